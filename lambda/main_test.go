package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/lambda/lambdatest"
	"github.com/keyage/keyage/ledger"
	"github.com/keyage/keyage/ledger/ledgertest"
)

// functionBinary is the function built for the host once for all tests (TestMain).
var functionBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keyage-lambda-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	functionBinary, err = lambdatest.BuildTo(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	usedAt = time.Date(2026, 11, 20, 17, 4, 0, 0, time.UTC)
	now    = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
)

// iamAccount is a fake IAM endpoint and the account it answers from.
type iamAccount struct {
	*lambdatest.IAM
	*lambdatest.Account
}

// fakeIAM answers: AKIASTALE used in s3, AKIAWARN never used, AKIADENIED access denied.
func fakeIAM(t *testing.T) iamAccount {
	a := lambdatest.NewAccount("123456789012")
	a.Add(&lambdatest.User{Name: "alice", Keys: []*lambdatest.Key{{ID: "AKIASTALE", Status: "Active", LastUsed: usedAt, LastService: "s3", LastRegion: "eu-west-1"}}},
		&lambdatest.User{Name: "bob", Keys: []*lambdatest.Key{{ID: "AKIAWARN", Status: "Active"}}},
		&lambdatest.User{Name: "dave", Keys: []*lambdatest.Key{{ID: "AKIADENIED", Status: "Active", LastUsedDenied: true}}})
	return iamAccount{lambdatest.NewIAM(t, a), a}
}

func TestLastUsedWithTheRealIAMClient(t *testing.T) {
	f := fakeIAM(t)
	lookup := lastUsed(f.Client())
	ctx := context.Background()

	got, err := lookup(ctx, "alice", "AKIASTALE")
	if err != nil {
		t.Fatalf("lookup AKIASTALE: %v", err)
	}
	if want := (agecheck.LastUsed{Date: usedAt, ServiceName: "s3", Region: "eu-west-1"}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}

	got, err = lookup(ctx, "bob", "AKIAWARN")
	if err != nil {
		t.Fatalf("lookup AKIAWARN: %v", err)
	}
	if want := (agecheck.LastUsed{ServiceName: "N/A", Region: "N/A"}); got != want {
		t.Errorf("got %+v for a never-used key, want %+v", got, want)
	}

	_, err = lookup(ctx, "dave", "AKIADENIED")
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Fatalf("got %v, want an smithy.APIError with code AccessDenied", err)
	}
	if !strings.Contains(err.Error(), `"dave"`) || !strings.Contains(err.Error(), "AKIADENIED") {
		t.Errorf("error %q does not name the user and the key", err)
	}
	if calls := f.KeyCalls(); !slices.Equal(calls, []string{"AKIASTALE", "AKIAWARN", "AKIADENIED"}) {
		t.Errorf("fake IAM saw calls %v, want AKIASTALE, AKIAWARN, AKIADENIED", calls)
	}
}

type fakeLastUsedAPI struct {
	out *iam.GetAccessKeyLastUsedOutput
}

func (f fakeLastUsedAPI) GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	return f.out, nil
}

func TestLastUsedRejectsAnEmptyAnswer(t *testing.T) {
	_, err := lastUsed(fakeLastUsedAPI{out: &iam.GetAccessKeyLastUsedOutput{}})(context.Background(), "u", "K")
	if !errors.Is(err, errNoLastUsed) {
		t.Errorf("got %v, want errNoLastUsed", err)
	}
}

func ago(d time.Duration) string { return now.Add(-d).Format("2006-01-02T15:04:05.000Z0700") }

// envelope is an event of op at the tests' now, for their account and policy.
func envelope(op string) agecheck.Event {
	return agecheck.Event{Op: op, Now: agecheck.ParseTimestamp(now.Format(time.RFC3339)), Account: "123456789012",
		Policy: agecheck.Policy{MaxAgeDays: 90, WarnAgeDays: 60}}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// invokeOp invokes the function with ev, fails the test on an error or an errorType, and
// decodes the result into out.
func invokeOp(t *testing.T, rt *lambdatest.Runtime, ev []byte, out any) {
	t.Helper()
	resp, errType, errMsg, err := rt.Invoke(context.Background(), ev)
	if err != nil || errType != "" {
		t.Fatalf("invoke %.60s...: err=%v errorType=%q message=%q\nstderr:\n%s", ev, err, errType, errMsg, rt.Stderr())
	}
	if err := json.Unmarshal(resp, out); err != nil {
		t.Fatalf("response %s: %v", resp, err)
	}
}

func checkEvent() []byte {
	const day = 24 * time.Hour
	ev := envelope(agecheck.OpCheck)
	ev.Policy.ExemptUsers = []string{"svc-*"}
	ev.Users = []agecheck.UserKeys{
		{UserName: "alice", Keys: []agecheck.AccessKey{
			{AccessKeyID: "AKIASTALE", Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(120 * day))},
			{AccessKeyID: "AKIAOK", Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(5 * day))},
		}},
		{UserName: "bob", Keys: []agecheck.AccessKey{{AccessKeyID: "AKIAWARN", Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(70 * day))}}},
		{UserName: "dave", Keys: []agecheck.AccessKey{{AccessKeyID: "AKIADENIED", Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(400 * day))}}},
		{UserName: "svc-ci", Keys: []agecheck.AccessKey{{AccessKeyID: "AKIAEXEMPT", Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(900 * day))}}},
		{UserName: "carol", Error: &agecheck.ScanError{Error: "Iam.IamException", Cause: "Rate exceeded"}},
	}
	b, _ := json.Marshal(ev)
	return b
}

func decodeLines(t *testing.T, lines []string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// TestFunctionThroughRuntimeAPI runs the real binary behind the Lambda Runtime API, its IAM
// calls answered by the fake IAM, and drives a check, a merge, a report and malformed events.
func TestFunctionThroughRuntimeAPI(t *testing.T) {
	f := fakeIAM(t)
	rt := lambdatest.Start(t, functionBinary, map[string]string{"AWS_ENDPOINT_URL": f.URL})
	ctx := context.Background()

	// check
	before := len(rt.Logs())
	var s agecheck.Summary
	invokeOp(t, rt, checkEvent(), &s)
	wantCounts := agecheck.Counts{Users: 5, Unchecked: 1, Exempt: 1, Compliant: 1, Warning: 1, Stale: 2, Flagged: 2 + 1}
	if got := s.Counts; got != wantCounts {
		t.Errorf("check counts %+v, want %+v", got, wantCounts)
	}
	var ids []string
	for _, fd := range s.Findings {
		ids = append(ids, fd.AccessKeyID)
	}
	if want := []string{"AKIADENIED", "AKIASTALE", "AKIAWARN"}; !slices.Equal(ids, want) {
		t.Fatalf("findings %v, want oldest first %v", ids, want)
	}
	if fd := s.Findings[1]; fd.LastUsedDate.String() != "2026-11-20T17:04:00Z" || fd.LastUsedService != "s3" || fd.LastUsedRegion != "eu-west-1" {
		t.Errorf("stale finding %+v, want last used 2026-11-20T17:04:00Z in s3, eu-west-1", fd)
	}
	if fd := s.Findings[2]; fd.LastUsedService != "N/A" || !fd.LastUsedDate.IsZero() {
		t.Errorf("warning finding %+v, want never used (N/A)", fd)
	}
	if fd := s.Findings[0]; fd.LastUsedService != "" || !fd.LastUsedDate.IsZero() {
		t.Errorf("finding %+v whose lookup was denied, want no last-used details", fd)
	}
	// The envelope's policy has no unusedDays: only the flagged keys need their last use, in
	// the event's order.
	if calls := f.KeyCalls(); !slices.Equal(calls, []string{"AKIASTALE", "AKIAWARN", "AKIADENIED"}) {
		t.Errorf("IAM calls %v, want the flagged keys only", calls)
	}

	logs := decodeLines(t, rt.Logs()[before:])
	byKey := map[string]map[string]any{}
	var unchecked, lookupFailed int
	for _, l := range logs {
		switch l["msg"] {
		case agecheck.FindingLogMessage:
			byKey[l["accessKeyId"].(string)] = l
		case agecheck.UncheckedLogMessage:
			unchecked++
		case "last-used lookup failed":
			lookupFailed++
			if !strings.Contains(l["error"].(string), "AccessDenied") {
				t.Errorf("lookup failure log %v does not carry the IAM error", l)
			}
		}
	}
	if len(byKey) != 3 || unchecked != 1 || lookupFailed != 1 {
		t.Errorf("got %d finding lines, %d unchecked, %d lookup failures; want 3, 1, 1:\n%v", len(byKey), unchecked, lookupFailed, logs)
	}
	if l := byKey["AKIASTALE"]; l["userName"] != "alice" || l["ageDays"] != 120.0 || l["severity"] != "stale" ||
		l["account"] != "123456789012" || l["lastUsedService"] != "s3" || l["createDate"] == "" {
		t.Errorf("finding log line %v, want alice's stale key of 120 days with last use", l)
	}

	// merge
	merge := envelope(agecheck.OpMerge)
	merge.Summary = &agecheck.Summary{Counts: agecheck.Counts{Users: 10, Compliant: 20}}
	merge.Results = []agecheck.Summary{s, {Counts: agecheck.Counts{Users: 1, Deleted: 1}}}
	var merged agecheck.Summary
	invokeOp(t, rt, mustJSON(t, merge), &merged)
	if merged.Users != 16 || merged.Compliant != 21 || merged.Deleted != 1 || len(merged.Findings) != 3 {
		t.Errorf("merged %+v, want 16 users, 21 compliant, 1 deleted, 3 findings", merged)
	}

	// report
	report := envelope(agecheck.OpReport)
	report.Summary = &merged
	var r agecheck.Report
	invokeOp(t, rt, mustJSON(t, report), &r)
	if want := "2 IAM access keys older than 90 days, 1 due soon, 1 user unchecked, in 123456789012"; !r.Publish || r.Subject != want || r.Severity != "stale" {
		t.Errorf("report %+v, want publish with subject %q, severity stale", r, want)
	}
	var msg map[string]string
	if err := json.Unmarshal([]byte(r.Message), &msg); err != nil || !strings.Contains(msg["email"], "AKIASTALE") {
		t.Errorf("report message %q (%v), want an email body listing AKIASTALE", r.Message, err)
	}

	// report with the chat message, as a stack with a chat topic asks for it
	report.Chat = true
	var rc agecheck.Report
	invokeOp(t, rt, mustJSON(t, report), &rc)
	var chat agecheck.ChatNotification
	if err := json.Unmarshal([]byte(rc.Chat), &chat); err != nil || chat.Version != agecheck.ChatVersion || chat.Source != agecheck.ChatSource ||
		chat.Content.TextType != agecheck.ChatTextType || chat.Content.Title != rc.Subject ||
		!strings.Contains(chat.Content.Description, "`alice` `AKIASTALE` stale") || chat.Metadata.AdditionalContext["findings"] != "3" {
		t.Errorf("report chat message %q (%v), want a custom notification titled %q listing alice's AKIASTALE, 3 findings", rc.Chat, err, rc.Subject)
	}
	if r.Chat != "" {
		t.Errorf("report without chat in the event has chat message %q, want none", r.Chat)
	}

	// malformed events: the errorType is the typed error's name, the message names the field
	for _, tt := range []struct{ payload, field string }{
		{`{"op":"check","now":"2026-11-23T08:00:00Z","policy":{"maxAgeDays":0}}`, "policy.maxAgeDays is 0"},
		{`{"op":"purge","now":"2026-11-23T08:00:00Z","policy":{"maxAgeDays":90}}`, `op is "purge"`},
		{`[1,2]`, "event is a JSON array"},
		{`not JSON at all`, "event is not valid JSON"},
	} {
		_, errType, errMsg, err := rt.Invoke(ctx, []byte(tt.payload))
		if err != nil {
			t.Fatalf("invoke %s: %v", tt.payload, err)
		}
		if errType != agecheck.ErrorTypeInvalidInput || !strings.Contains(errMsg, tt.field) {
			t.Errorf("invoke %s: errorType %q message %q, want %q naming %q", tt.payload, errType, errMsg, agecheck.ErrorTypeInvalidInput, tt.field)
		}
	}

	// The process survived every error and still answers.
	invokeOp(t, rt, checkEvent(), new(agecheck.Summary))
}

// TestFunctionHonoursServiceEndpoint checks the IAM-specific endpoint variable too.
func TestFunctionHonoursServiceEndpoint(t *testing.T) {
	f := fakeIAM(t)
	rt := lambdatest.Start(t, functionBinary, map[string]string{"AWS_ENDPOINT_URL_IAM": f.URL})
	invokeOp(t, rt, checkEvent(), new(agecheck.Summary))
	if n := len(f.KeyCalls()); n != 3 {
		t.Errorf("fake IAM got %d calls through AWS_ENDPOINT_URL_IAM, want 3", n)
	}
}

// TestFunctionWithTheLedger runs the real binary with its ledger in dynalite (the table created
// from the deployed schema, the SDK pointed at it by AWS_ENDPOINT_URL_DYNAMODB): a check, a
// report announcing what is new and a commit; then a second run a day later.
func TestFunctionWithTheLedger(t *testing.T) {
	tbl, endpoint := ledgertest.New(t)
	f := fakeIAM(t)
	rt := lambdatest.Start(t, functionBinary, map[string]string{
		"AWS_ENDPOINT_URL_IAM": f.URL, "AWS_ENDPOINT_URL_DYNAMODB": endpoint, ledger.EnvTable: tbl.Name})
	run := func(name string, at time.Time) agecheck.Report {
		lr := &agecheck.LedgerRun{Run: name, RemindEveryDays: 7, RetentionDays: 90}
		var ev agecheck.Event
		if err := json.Unmarshal(checkEvent(), &ev); err != nil {
			t.Fatal(err)
		}
		ev.Ledger, ev.Now = lr, agecheck.ParseTimestamp(at.Format(time.RFC3339))
		var s agecheck.Summary
		invokeOp(t, rt, mustJSON(t, ev), &s)
		rep := envelope(agecheck.OpReport)
		rep.Now, rep.Summary, rep.Ledger = ev.Now, &s, lr
		var r agecheck.Report
		invokeOp(t, rt, mustJSON(t, rep), &r)
		if r.Commit == nil { // nothing to record: the report released the lease
			return r
		}
		commit := envelope(agecheck.OpCommit)
		commit.Now, commit.Commit = ev.Now, r.Commit
		var done struct{}
		invokeOp(t, rt, mustJSON(t, commit), &done)
		return r
	}
	first := run("run-1", now)
	if !first.Publish || !strings.HasPrefix(first.Subject, "3 new IAM access key findings") || first.Commit == nil {
		t.Errorf("first run: got publish %v, subject %q, commit %v; want 3 new findings, committed", first.Publish, first.Subject, first.Commit)
	}
	entries, _, err := tbl.Load(context.Background(), "123456789012", "run-1")
	if err != nil || len(entries) != 3 {
		t.Fatalf("entries after the first run: %d (%v), want 3", len(entries), err)
	}
	// carol's keys could not be read: she is announced on every run, so the second run
	// publishes, with nothing new.
	second := run("run-2", now.Add(24*time.Hour))
	if !second.Publish || second.Subject != "1 user unchecked, in 123456789012" || second.Commit != nil {
		t.Errorf("second run: got publish %v, subject %q, commit %v; want only the unchecked user, nothing to record", second.Publish, second.Subject, second.Commit)
	}
	if err := tbl.Acquire(context.Background(), "123456789012", "manual", now.Add(24*time.Hour), now.Add(25*time.Hour)); err != nil {
		t.Errorf("a run right after the second: %v, want the lease free (the report released it)", err)
	}
}

// tagAccount: alice is tagged with an exemption that holds, bob's tags may not be read, carol
// has a stale key and no keyage tags, erin is compliant and tagged.
func tagAccount(t *testing.T) iamAccount {
	a := lambdatest.NewAccount("123456789012")
	a.Add(&lambdatest.User{Name: "alice", Tags: map[string]string{agecheck.TagExemptUntil: "2026-12-15", agecheck.TagExemptReason: "vendor cut-over", "team": "data"}},
		&lambdatest.User{Name: "bob", TagsDenied: true},
		&lambdatest.User{Name: "carol", Tags: map[string]string{"team": "web"}},
		&lambdatest.User{Name: "erin", Tags: map[string]string{agecheck.TagExemptUntil: "2026-12-15", agecheck.TagExemptReason: "x"}})
	return iamAccount{lambdatest.NewIAM(t, a), a}
}

func TestUserTagsWithTheRealIAMClient(t *testing.T) {
	f := tagAccount(t)
	lookup := userTags(f.Client())
	got, err := lookup(context.Background(), "alice")
	if err != nil || len(got) != 3 || got[agecheck.TagExemptUntil] != "2026-12-15" || got[agecheck.TagExemptReason] != "vendor cut-over" {
		t.Errorf("alice: got %v, %v; want her three tags", got, err)
	}
	_, err = lookup(context.Background(), "bob")
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || !strings.Contains(err.Error(), `"bob"`) {
		t.Errorf("bob: got %v, want AccessDenied naming the user", err)
	}
}

// TestFunctionReadsTagExemptions runs the real binary with tag exemptions on: it reads the tags
// of the users with findings only (alice, bob, carol; not erin), alice's tag exemption hides her
// key, bob's unreadable tags are reported and his key judged.
func TestFunctionReadsTagExemptions(t *testing.T) {
	f := tagAccount(t)
	rt := lambdatest.Start(t, functionBinary, map[string]string{"AWS_ENDPOINT_URL": f.URL})
	const day = 24 * time.Hour
	ev := envelope(agecheck.OpCheck)
	ev.Policy.TagExemptions, ev.Policy.MaxTagExemptionDays = true, 30
	for i, name := range []string{"alice", "bob", "carol", "erin"} {
		age := 120 * day
		if name == "erin" {
			age = day
		}
		ev.Users = append(ev.Users, agecheck.UserKeys{UserName: name, Keys: []agecheck.AccessKey{
			{AccessKeyID: fmt.Sprintf("AKIA%016d", i), Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(age))}}})
	}
	var s agecheck.Summary
	invokeOp(t, rt, mustJSON(t, ev), &s)
	if got := f.UserTagsCalls(); len(got) != 3 || got["alice"] != 1 || got["bob"] != 1 || got["carol"] != 1 {
		t.Errorf("ListUserTags calls %v, want one each for alice, bob and carol", got)
	}
	if s.Flagged != 2 || s.Exempt != 1 || s.TagExemptionCount != 2 {
		t.Fatalf("got flagged %d, exempt %d, tag exemptions %d; want 2, 1, 2", s.Flagged, s.Exempt, s.TagExemptionCount)
	}
	if a := s.TagExemptions[0]; a.UserName != "alice" || a.Status != agecheck.TagExemptionHolds || a.Reason != "vendor cut-over" || a.Until != "2026-12-15" || a.Keys != 1 {
		t.Errorf("alice's tag exemption %+v, want it to hold until 2026-12-15 for vendor cut-over, hiding 1 key", a)
	}
	if b := s.TagExemptions[1]; b.UserName != "bob" || b.Status != agecheck.TagExemptionRefused || !strings.Contains(b.Problem, "AccessDenied") {
		t.Errorf("bob's tag exemption %+v, want it refused with the AccessDenied error", b)
	}
}
