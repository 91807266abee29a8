// Package preview shows the notification a stack would send for a described account, offline:
// it runs the age-check function's own handler (lambda/agecheck) over the account's users in the
// pages and batches the state machine uses (check, merge, report), then evaluates the deployed
// definition's Notify state on the report, so what it prints is what SNS would be asked to
// publish. It is the `keyage preview` command's core; it calls no AWS API.
package preview

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/workflow"
)

// Result is what a scan of the account would end with.
type Result struct {
	Account string
	Now     time.Time
	Policy  agecheck.Policy
	Summary agecheck.Summary // the final, merged summary: exact counts
	Report  agecheck.Report  // the function's report
	// Publish is what the Notify state would send, nil when the run publishes nothing.
	Publish *Publish
	// ChatEnabled is set when the stack has chat; Chat is then the chat card the NotifyChat
	// state would publish after Publish (a custom notification of Amazon Q Developer in chat
	// applications, as JSON), "" when the run publishes nothing.
	ChatEnabled bool
	Chat        string
}

// Publish is one SNS Publish call as the Notify state makes it.
type Publish struct {
	Subject string
	// Bodies are the message's per-protocol bodies (MessageStructure "json"): "default" (JSON,
	// for email-json, https, sqs, lambda and firehose), "email" and "sms".
	Bodies map[string]string
	// Attributes are the message attributes' string values, by name.
	Attributes map[string]string
}

// Run scans the account with settings s as a scheduled run would, through the age-check
// function's handler, and returns the notification. now is the instant to judge at when the
// account names none.
func Run(c config.Checked, a Account, now time.Time) (Result, error) {
	m, err := workflow.Definition(c, workflow.PlaceholderResources())
	if err != nil {
		return Result{}, err
	}
	s := c.Settings()
	r := Result{Account: a.accountID(), Now: a.now(now).UTC(), Policy: s.Policy(), ChatEnabled: s.Chat.Enabled}
	h := &agecheck.Handler{
		LastUsed: a.lastUsed,
		UserTags: a.userTags,
		// No OwnerMail: a preview mails nobody.
		// The function logs every finding; the preview prints the message instead.
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	base := agecheck.Event{Policy: r.Policy, Now: agecheck.ParseTimestamp(r.Now.Format(time.RFC3339)), Account: r.Account,
		Owners: s.Owners.Event()}
	users := a.userKeys()
	plan := workflow.PlanFor(s.MaxConcurrency)
	var summary *agecheck.Summary
	// As the state machine does: a page of ListUsers at a time (at least one, even for no
	// users), a check per batch of the page, then a merge of the page's results.
	for first := 0; first == 0 || first < len(users); first += plan.PageSize {
		page := users[first:min(first+plan.PageSize, len(users))]
		var results []agecheck.Summary
		for batch := range slices.Chunk(page, plan.BatchSize) {
			ev := base
			ev.Op, ev.Users = agecheck.OpCheck, batch
			var res agecheck.Summary
			if err := invoke(h, ev, &res); err != nil {
				return Result{}, err
			}
			results = append(results, res)
		}
		ev := base
		ev.Op, ev.Summary, ev.Results = agecheck.OpMerge, summary, results
		var merged agecheck.Summary
		if err := invoke(h, ev, &merged); err != nil {
			return Result{}, err
		}
		summary = &merged
	}
	r.Summary = *summary
	ev := base
	ev.Op, ev.Summary = agecheck.OpReport, summary
	ev.Chat = s.Chat.Enabled     // as the definition's report event asks (workflow's addChatToReport)
	if ev.Policy.CheckRootKeys { // what the CheckRootKeys state hands the report
		present := 0
		if a.RootAccessKeys {
			present = 1
		}
		ev.Root = &agecheck.AccountSummary{SummaryMap: map[string]int{"AccountAccessKeysPresent": present}}
	}
	var report json.RawMessage
	if s.Organization.Enabled() {
		// The account stands for the deploying account of an organization run (accounts.go).
		report, err = organizationReport(h, ev)
	} else {
		err = invoke(h, ev, &report)
	}
	if err != nil {
		return Result{}, err
	}
	if err := json.Unmarshal(report, &r.Report); err != nil {
		return Result{}, fmt.Errorf("decode the report: %w", err)
	}
	if r.Report.Publish {
		if r.Publish, err = notify(m, report); err != nil {
			return Result{}, err
		}
		if r.ChatEnabled {
			if r.Chat, err = notifyChat(m, report); err != nil {
				return Result{}, err
			}
		}
	}
	return r, nil
}

// notifyChat evaluates the definition's NotifyChat state's Parameters on the report and returns
// the message it publishes.
func notifyChat(m *asl.StateMachine, report []byte) (string, error) {
	task, ok := m.States[workflow.StateNotifyChat].(*asl.Task)
	if !ok {
		return "", fmt.Errorf("the definition has no Task %q", workflow.StateNotifyChat)
	}
	var input map[string]any
	if err := json.Unmarshal(report, &input); err != nil {
		return "", fmt.Errorf("decode the report: %w", err)
	}
	v, err := resolve(task.Parameters, input, "Parameters")
	if err != nil {
		return "", fmt.Errorf("state %s: %w", workflow.StateNotifyChat, err)
	}
	params, _ := v.(map[string]any)
	msg, ok := params["Message"].(string)
	if !ok {
		return "", fmt.Errorf("state %s: its Parameters have no Message string: %v", workflow.StateNotifyChat, v)
	}
	return msg, nil
}

// invoke sends ev to the function's handler, as the state machine's Lambda tasks do, and
// decodes its result into out.
func invoke(h *agecheck.Handler, ev agecheck.Event, out any) error {
	payload, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode the %s event: %w", ev.Op, err)
	}
	res, err := h.Invoke(context.Background(), payload)
	if err != nil {
		return fmt.Errorf("the function's %s: %w", ev.Op, err)
	}
	if err := json.Unmarshal(res, out); err != nil {
		return fmt.Errorf("decode the function's %s result: %w", ev.Op, err)
	}
	return nil
}

// notify evaluates the definition's Notify state's Parameters on its input, the function's
// report (the Report state's output).
func notify(m *asl.StateMachine, report []byte) (*Publish, error) {
	task, ok := m.States[workflow.StateNotify].(*asl.Task)
	if !ok {
		return nil, fmt.Errorf("the definition has no Task %q", workflow.StateNotify)
	}
	var input map[string]any
	if err := json.Unmarshal(report, &input); err != nil {
		return nil, fmt.Errorf("decode the report: %w", err)
	}
	v, err := resolve(task.Parameters, input, "Parameters")
	if err != nil {
		return nil, fmt.Errorf("state %s: %w", workflow.StateNotify, err)
	}
	var params struct {
		Subject           string
		Message           string
		MessageStructure  string
		MessageAttributes map[string]struct{ DataType, StringValue string }
	}
	b, err := json.Marshal(v)
	if err == nil {
		err = json.Unmarshal(b, &params)
	}
	if err != nil {
		return nil, fmt.Errorf("state %s: its Parameters are not an SNS Publish request: %w", workflow.StateNotify, err)
	}
	p := &Publish{Subject: params.Subject, Bodies: map[string]string{"default": params.Message},
		Attributes: map[string]string{}}
	if params.MessageStructure == "json" {
		p.Bodies = nil
		if err := json.Unmarshal([]byte(params.Message), &p.Bodies); err != nil {
			return nil, fmt.Errorf("state %s: MessageStructure json, but the message is not a JSON object of bodies: %w", workflow.StateNotify, err)
		}
	}
	for name, attr := range params.MessageAttributes {
		p.Attributes[name] = attr.StringValue
	}
	return p, nil
}

// resolve applies a JSONPath Parameters template to input: a field "name.$" whose value is
// "$.field" becomes "name" with input's field. Other paths are refused: Notify uses none.
func resolve(tmpl any, input map[string]any, at string) (any, error) {
	switch t := tmpl.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, v := range t {
			name, isPath := strings.CutSuffix(k, ".$")
			if !isPath {
				r, err := resolve(v, input, at+"."+k)
				if err != nil {
					return nil, err
				}
				out[k] = r
				continue
			}
			path, _ := v.(string)
			field, ok := strings.CutPrefix(path, "$.")
			if !ok || strings.ContainsAny(field, ".[]") {
				return nil, fmt.Errorf("%s.%s: path %q: want $.<field> (the preview evaluates no other paths)", at, k, path)
			}
			value, ok := input[field]
			if !ok {
				return nil, fmt.Errorf("%s.%s: path %q selects nothing in the report (a States.Runtime error in AWS)", at, k, path)
			}
			out[name] = value
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, v := range t {
			r, err := resolve(v, input, fmt.Sprintf("%s[%d]", at, i))
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return tmpl, nil
}

// userKeys returns the users as Distributed Map children hand them to the function.
func (a Account) userKeys() []agecheck.UserKeys {
	out := make([]agecheck.UserKeys, len(a.Users))
	for i, u := range a.Users {
		uk := agecheck.UserKeys{UserName: u.UserName, Deleted: u.Deleted}
		if u.Unreadable != nil {
			uk.Error = &agecheck.ScanError{Error: u.Unreadable.Error, Cause: u.Unreadable.Cause}
		}
		for _, k := range u.Keys {
			uk.Keys = append(uk.Keys, agecheck.AccessKey{AccessKeyID: k.AccessKeyID, Status: k.Status,
				CreateDate: agecheck.ParseTimestamp(k.CreateDate), UserName: u.UserName})
		}
		out[i] = uk
	}
	return out
}

// neverUsed is what GetAccessKeyLastUsed returns as ServiceName and Region for a key never used.
const neverUsed = "N/A"

// lastUsed answers the function's GetAccessKeyLastUsed lookups from the account file.
func (a Account) lastUsed(_ context.Context, userName, accessKeyID string) (agecheck.LastUsed, error) {
	for _, u := range a.Users {
		for _, k := range u.Keys {
			if k.AccessKeyID != accessKeyID || u.UserName != userName {
				continue
			}
			if k.LastUsed == nil {
				return agecheck.LastUsed{ServiceName: neverUsed, Region: neverUsed}, nil
			}
			date, _ := agecheck.ParseTime(k.LastUsed.Date) // validated
			return agecheck.LastUsed{Date: date, ServiceName: k.LastUsed.Service, Region: k.LastUsed.Region}, nil
		}
	}
	return agecheck.LastUsed{}, fmt.Errorf("get last use of %s of user %q: no such key in the account file", accessKeyID, userName)
}

// userTags answers ListUserTags from the account file.
func (a Account) userTags(_ context.Context, userName string) (map[string]string, error) {
	for _, u := range a.Users {
		if u.UserName == userName {
			return u.Tags, nil
		}
	}
	return nil, fmt.Errorf("list tags of user %q: no such user in the account file", userName)
}
