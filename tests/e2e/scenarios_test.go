package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
	"github.com/keyage/keyage/workflow"
)

// definition renders the real workflow for the settings, against the test's function and topic.
func definition(t testing.TB, s config.Settings) []byte {
	t.Helper()
	m, err := workflow.Definition(config.MustCheck(s), workflow.Resources{
		Partition: "aws", Region: testRegion, AccountID: testAccount,
		FunctionARN: testFunction, TopicARN: testTopic, OwnersTopicARN: testOwnersTopic, ChatTopicARN: testChatTopic,
	})
	if err != nil {
		t.Fatalf("workflow.Definition: %v", err)
	}
	b, err := m.Render()
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return b
}

// everyRun is the default settings with notify: every-run: these scenarios judge the message
// of one run, which every run sends in full (ledger_test.go runs the default notify: changes).
func everyRun() config.Settings {
	s := config.Defaults()
	s.Ledger.Notify = agecheck.NotifyEveryRun
	return s
}

// scheduled is the input the schedule sends.
func scheduled(now time.Time) map[string]any {
	return map[string]any{workflow.ScheduledTimeField: now.UTC().Format(time.RFC3339)}
}

// scan runs the workflow for the settings on the account as the schedule would at testNow, and
// stops the test unless the execution ends with status.
func scan(t *testing.T, a *sfnlocal.Account, s config.Settings, status string) (*sfnlocal.Env, *sfnlocal.Result) {
	t.Helper()
	e := newEnv(t, a)
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, status)
	return e, res
}

func activeKey(user, n int, created time.Time) *sfnlocal.AccessKey {
	return &sfnlocal.AccessKey{ID: keyID(user, n), Status: "Active", Created: created}
}

func TestOneUser(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	stale := activeKey(0, 1, testNow.Add(-days(90)-time.Second)) // one second past the limit
	stale.LastUsed, stale.LastService, stale.LastRegion = testNow.Add(-days(3)), "s3", "eu-west-1"
	limit := activeKey(0, 2, testNow.Add(-days(90)))                                                 // exactly the limit: compliant
	limit.LastUsed, limit.LastService, limit.LastRegion = testNow.Add(-days(45)), "sts", "us-east-1" // exactly unusedDays: not unused
	a.Add(&sfnlocal.User{Name: "alice", Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{stale, limit}})
	s := everyRun()
	e, res := scan(t, a, s, "SUCCEEDED")
	checkPayloads(t, res)
	p := s.Policy()
	body := checkMessage(t, e, expect(a, p, testNow), p, "1 IAM access key older than 90 days, in 123456789012", agecheck.SeverityStale)
	if len(body.Findings) == 1 {
		f := body.Findings[0]
		if f.LastUsedDate.String() != "2026-02-27T08:00:00Z" || f.LastUsedService != "s3" || f.LastUsedRegion != "eu-west-1" {
			t.Errorf("last used = %q %q %q, want 2026-02-27T08:00:00Z s3 eu-west-1", f.LastUsedDate, f.LastUsedService, f.LastUsedRegion)
		}
	}
	if got := e.Account.LastUsedCalls(); len(got) != 2 || got[stale.ID] != 1 || got[limit.ID] != 1 {
		t.Errorf("GetAccessKeyLastUsed calls = %v, want one for each key older than unusedDays (%s, %s)", got, stale.ID, limit.ID)
	}
	checkEveryUserOnce(t, e, nil)
	checkCost(t, e, res, s, 1)
	t.Logf("largest state payload: %v", res.Largest)
}

// TestManualExecutionWithoutScheduledTime runs with input {}: "now" is the execution's start.
func TestManualExecutionWithoutScheduledTime(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.Add(&sfnlocal.User{Name: "bob", Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{activeKey(0, 1, testNow.Add(-days(120)))}})
	s := everyRun()
	e := newEnv(t, a)
	res := e.Run(t, definition(t, s), map[string]any{})
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	p := s.Policy()
	checkMessage(t, e, expect(a, p, testNow), p, "1 IAM access key older than 90 days, 1 unused, in 123456789012", agecheck.SeverityStale)
}

// wantNoPublish fails when the run called sns:Publish at all.
func wantNoPublish(t *testing.T, e *sfnlocal.Env) {
	t.Helper()
	if calls := e.Tasks.CallsTo(sfnlocal.ResourceSNSPublish); len(calls) != 0 {
		t.Errorf("sns:publish called %d times, want none", len(calls))
	}
}

// compliantAccount is an account of n users, user-00 on, each with one active key i days old:
// nothing to report.
func compliantAccount(n int) *sfnlocal.Account {
	a := sfnlocal.NewAccount(testAccount)
	for i := range n {
		a.Add(&sfnlocal.User{Name: fmt.Sprintf("user-%02d", i), Keys: []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(i)))}})
	}
	return a
}

// mixedAccount has n users with every kind of key: stale, due soon, compliant, inactive, none;
// users named svc-* are exempt under the test policy.
func mixedAccount(n int) *sfnlocal.Account {
	a := sfnlocal.NewAccount(testAccount)
	for i := 0; i < n; i++ {
		u := &sfnlocal.User{Name: fmt.Sprintf("user-%04d", i), Created: testNow.Add(-days(1000))}
		if i%17 == 0 {
			u.Name = fmt.Sprintf("SVC-deploy-%04d", i)
		}
		switch i % 5 {
		case 0: // stale and compliant
			u.Keys = []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(91+i%400)-time.Duration(i)*time.Minute)), activeKey(i, 2, testNow.Add(-days(5)))}
		case 1: // due soon
			u.Keys = []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(81)-time.Duration(i)*time.Minute))}
		case 2: // inactive and old, and one compliant
			u.Keys = []*sfnlocal.AccessKey{{ID: keyID(i, 1), Status: "Inactive", Created: testNow.Add(-days(700))}, activeKey(i, 2, testNow.Add(-days(30)))}
		case 3: // no keys
		case 4: // compliant at the exact boundaries
			u.Keys = []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(80))), activeKey(i, 2, testNow.Add(-days(1)))}
		}
		a.Add(u)
	}
	return a
}

func mixedSettings() config.Settings {
	s := everyRun()
	s.WarnAgeDays = 80
	s.ExemptUsers = []string{"svc-*", "break-glass"}
	return s
}

// Test250UsersShortPages: IAM returns short pages while IsTruncated is true; every user must be
// checked exactly once.
func Test250UsersShortPages(t *testing.T) {
	t.Parallel()
	a := mixedAccount(250)
	sizes := []int{40, 7, 1, 33, 12, 40, 3}
	a.PageSize = func(page, maxItems int) int { return sizes[page%len(sizes)] }
	s := mixedSettings()
	e, res := scan(t, a, s, "SUCCEEDED")
	checkPayloads(t, res)
	checkEveryUserOnce(t, e, nil)
	// Pages: 250 users in short pages of the cycle above.
	pages, left := 0, 250
	for left > 0 {
		left -= min(sizes[pages%len(sizes)], workflow.PageSize)
		pages++
	}
	if got := a.ListUsersCalls(); got != pages {
		t.Errorf("ListUsers called %d times, want %d pages", got, pages)
	}
	p := s.Policy()
	want := expect(a, p, testNow)
	subject := fmt.Sprintf("%d IAM access keys older than 90 days, %d unused, %d due soon, in 123456789012", want.counts.Stale, want.counts.Unused, want.counts.Warning)
	checkMessage(t, e, want, p, subject, agecheck.SeverityStale)
	if want.counts.Exempt == 0 || want.counts.Inactive == 0 || want.counts.Warning == 0 {
		t.Fatalf("the account does not exercise exemptions, inactive keys and warnings: %+v", want.counts)
	}
	t.Logf("counts %+v; %d ListUsers pages; largest state payload %v", want.counts, pages, res.Largest)
}

// worstCaseAccount has 5,000 users with 64-character names and 512-character paths, every one
// with two stale keys of distinct ages: the worst case of the payload limits.
func worstCaseAccount() *sfnlocal.Account {
	a := sfnlocal.NewAccount(testAccount)
	a.RootAccessKeys = true // the root finding too: every kind of finding is in the message
	path := sfnlocal.LongPath(512)
	for i := 0; i < 5000; i++ {
		name := fmt.Sprintf("%s-%05d", strings.Repeat("n", 57), i) // 64 characters
		a.Add(&sfnlocal.User{Name: name, Path: path, Created: testNow.Add(-days(2000)), Keys: []*sfnlocal.AccessKey{
			activeKey(i, 1, testNow.Add(-days(91+i%1500)-time.Duration(i)*time.Second)),
			activeKey(i, 2, testNow.Add(-days(91+(i*7)%1500)-time.Duration(i)*time.Second-time.Hour)),
		}})
	}
	return a
}

// TestUnusedKeys: the unused control end to end. Keys last used more than unusedDays ago, never
// used past the grace, never used within it, and keys whose lookup is denied (unknown, never
// unused); a stale, unused key is one finding with both kinds; only keys old enough to be unused
// are looked up.
func TestUnusedKeys(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	used := func(k *sfnlocal.AccessKey, ago time.Duration) *sfnlocal.AccessKey {
		k.LastUsed, k.LastService, k.LastRegion = testNow.Add(-ago), "s3", "eu-west-1"
		return k
	}
	denied := func(k *sfnlocal.AccessKey) *sfnlocal.AccessKey { k.LastUsedDenied = true; return k }
	s := everyRun()
	s.UnusedDays, s.NewKeyGraceDays = 30, 40 // a grace longer than unusedDays, to see it apply
	keys := []*sfnlocal.AccessKey{
		used(activeKey(0, 1, testNow.Add(-days(60))), days(30)+time.Second), // unused by one second
		used(activeKey(1, 1, testNow.Add(-days(60))), days(30)),             // exactly 30 days: used
		activeKey(2, 1, testNow.Add(-days(40)-time.Second)),                 // never used, past the grace
		activeKey(3, 1, testNow.Add(-days(40))),                             // never used, within the grace
		activeKey(4, 1, testNow.Add(-days(20))),                             // too young: not looked up
		denied(activeKey(5, 1, testNow.Add(-days(60)))),                     // lookup denied: unknown
		denied(activeKey(6, 1, testNow.Add(-days(100)))),                    // denied and stale: stale only
		activeKey(7, 1, testNow.Add(-days(100))),                            // stale and never used: both kinds
	}
	for i, k := range keys {
		a.Add(&sfnlocal.User{Name: fmt.Sprintf("user-%d", i), Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{k}})
	}
	e, res := scan(t, a, s, "SUCCEEDED")
	checkPayloads(t, res)
	p := s.Policy()
	want := expect(a, p, testNow)
	if c := want.counts; c.Unused != 3 || c.Stale != 2 || c.LastUsedUnknown != 2 || c.Flagged != 4 || c.Compliant != 3 {
		t.Fatalf("oracle counts %+v, want 3 unused, 2 stale, 2 unknown, 4 flagged, 3 compliant (a key whose last use is unknown is not)", c)
	}
	body := checkMessage(t, e, want, p, "2 IAM access keys older than 90 days, 3 unused, 2 last use unknown, in 123456789012", agecheck.SeverityStale)
	for _, f := range body.Findings {
		if f.AccessKeyID == keys[7].ID && !slices.Equal(f.Kinds, []string{agecheck.KindStale, agecheck.KindUnused}) {
			t.Errorf("stale, never-used key: kinds %v, want [stale unused] in one finding", f.Kinds)
		}
	}
	calls := e.Account.LastUsedCalls()
	if len(calls) != len(keys)-1 || calls[keys[4].ID] != 0 {
		t.Errorf("GetAccessKeyLastUsed calls %v, want one for every key but the 20-day-old %s", calls, keys[4].ID)
	}
	checkEveryUserOnce(t, e, nil)
}

// TestRootKeys: the root control end to end. GetAccountSummary is asked once per run; root keys
// are a finding first in the message; a GetAccountSummary that keeps failing does not fail the
// run but reports the root user unchecked; with checkRootKeys off nothing is asked.
func TestRootKeys(t *testing.T) {
	t.Parallel()
	account := func() *sfnlocal.Account {
		a := sfnlocal.NewAccount(testAccount)
		k := activeKey(0, 1, testNow.Add(-days(10)))
		k.LastUsed, k.LastService, k.LastRegion = testNow.Add(-days(1)), "s3", "eu-west-1"
		a.Add(&sfnlocal.User{Name: "alice", Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{k}})
		return a
	}
	tests := []struct {
		name                string
		present, fails, off bool
		subject, severity   string
		wantPublish         bool
		minCalls, maxCalls  int
	}{
		{name: "root keys present", present: true, subject: "Root user has access keys, in 123456789012", severity: agecheck.SeverityStale, wantPublish: true, minCalls: 1, maxCalls: 1},
		{name: "GetAccountSummary denied", fails: true, subject: "Root keys not checked, in 123456789012", severity: agecheck.SeverityUnchecked, wantPublish: true, minCalls: 2, maxCalls: 7},
		{name: "no root keys", minCalls: 1, maxCalls: 1},
		{name: "control off", present: true, off: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := account()
			a.RootAccessKeys, a.AccountSummaryFails = tt.present, tt.fails
			s := everyRun()
			s.CheckRootKeys = !tt.off
			e, res := scan(t, a, s, "SUCCEEDED")
			checkPayloads(t, res)
			if n := a.AccountSummaryCalls(); n < tt.minCalls || n > tt.maxCalls {
				t.Errorf("GetAccountSummary calls = %d, want %d..%d", n, tt.minCalls, tt.maxCalls)
			}
			if !tt.wantPublish {
				if pubs := e.Tasks.Published(); len(pubs) != 0 {
					t.Errorf("published %d messages, want none", len(pubs))
				}
				return
			}
			p := s.Policy()
			body := checkMessage(t, e, expect(a, p, testNow), p, tt.subject, tt.severity)
			if tt.present && (len(body.Kinds) == 0 || body.Kinds[0] != agecheck.KindRoot) {
				t.Errorf("kinds %v, want root first", body.Kinds)
			}
			if tt.fails && (body.Root == nil || !strings.Contains(body.Root.Cause, "not authorized to perform: iam:GetAccountSummary")) {
				t.Errorf("root %+v, want unchecked with the error's cause", body.Root)
			}
		})
	}
}

// Test5000UsersTwoStaleKeys is the worst case of the payload limits: 5,000 users with 64-character
// names and 512-character paths, every one with two stale keys that were never used, so every
// key is one finding of two kinds (stale and unused) under the default policy.
func Test5000UsersTwoStaleKeys(t *testing.T) {
	a := worstCaseAccount()
	s := everyRun()
	e := newEnv(t, a)
	start := time.Now()
	res := e.Run(t, definition(t, s), scheduled(testNow))
	elapsed := time.Since(start)
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	checkPayloads(t, res)
	checkReadmeLargest(t, res.Largest)
	checkEveryUserOnce(t, e, nil)
	checkCost(t, e, res, s, 5000)
	p := s.Policy()
	want := expect(a, p, testNow)
	if want.counts.Stale != 10000 || want.counts.Unused != 10000 || want.counts.Flagged != 10000 {
		t.Fatalf("expected 10,000 keys both stale and unused, have %+v", want.counts)
	}
	body := checkMessage(t, e, want, p, "Root user has access keys, 10000 IAM access keys older than 90 days, 10000 unused, in 123456789012", agecheck.SeverityStale)
	if !body.Truncated || len(body.Findings) == 0 {
		t.Errorf("truncated = %v with %d findings listed, want a truncated, non-empty list", body.Truncated, len(body.Findings))
	}
	if pub := e.Tasks.Published(); len(pub) == 1 && len(pub[0].Message) > agecheck.MaxMessageBytes {
		t.Errorf("message has %d bytes, over agecheck.MaxMessageBytes %d", len(pub[0].Message), agecheck.MaxMessageBytes)
	}
	// Nothing is lost: every finding is one JSON log line of the function.
	logged := map[string]bool{}
	for _, line := range e.Function.Logs() {
		var l struct {
			Msg         string `json:"msg"`
			AccessKeyID string `json:"accessKeyId"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == agecheck.FindingLogMessage {
			logged[l.AccessKeyID] = true
		}
	}
	for id := range want.findings {
		if !logged[id] {
			t.Errorf("finding %s was not logged by the function", id)
			break
		}
	}
	if len(logged) != len(want.findings) {
		t.Errorf("function logged %d distinct findings, want %d", len(logged), len(want.findings))
	}
	children := 0
	for _, m := range res.Maps {
		children += m.Children
	}
	t.Logf("5,000 users x 2 stale keys: %v wall, harness %d ms; largest state payload %v; %d map runs, %d child executions; %d findings listed of %d; message %d bytes",
		elapsed, res.DurationMs, res.Largest, len(res.Maps), children, len(body.Findings), want.counts.Stale, len(e.Tasks.Published()[0].Message))
	for _, st := range res.States {
		t.Logf("  %-22s %-28s %-18s entered %6d  max input %7d  max output %7d", st.Scope, st.Name, st.Type, st.Entered, st.MaxInputBytes, st.MaxOutputBytes)
	}
}

// TestThrottledUsers: throttling that ends is retried and the user is checked; throttling that
// does not end makes the user unchecked, named in the message, never compliant.
func TestThrottledUsers(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.Add(
		&sfnlocal.User{Name: "transient", Throttle: 2, Keys: []*sfnlocal.AccessKey{activeKey(0, 1, testNow.Add(-days(200)))}},
		&sfnlocal.User{Name: "persistent", Throttle: sfnlocal.Forever, Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(10)))}},
		&sfnlocal.User{Name: "fine", Keys: []*sfnlocal.AccessKey{activeKey(2, 1, testNow.Add(-days(10)))}},
	)
	s := everyRun()
	e, res := scan(t, a, s, "SUCCEEDED")
	checkPayloads(t, res)
	attempts := listAccessKeysAttempts(t, s)
	checkEveryUserOnce(t, e, map[string]int{"transient": 3, "persistent": attempts})
	p := s.Policy()
	body := checkMessage(t, e, expect(a, p, testNow), p, "1 IAM access key older than 90 days, 1 unused, 1 user unchecked, in 123456789012", agecheck.SeverityStale)
	if len(body.UncheckedUsers) == 1 {
		u := body.UncheckedUsers[0]
		if u.Error != sfnlocal.ErrIAMGeneric || !strings.Contains(u.Cause, "Rate exceeded") {
			t.Errorf("unchecked user error = %q %q, want %s with the throttling cause", u.Error, u.Cause, sfnlocal.ErrIAMGeneric)
		}
	}
	if res.Retries.Count != 2+(attempts-1) {
		t.Errorf("retries = %d, want %d", res.Retries.Count, 2+(attempts-1))
	}
	limit := float64(workflow.ExpressLimitSeconds)
	if res.Retries.MaxNominalWaitSecondsPerChild >= limit {
		t.Errorf("a child would wait %.0f s in retries, over the Express limit of %.0f s", res.Retries.MaxNominalWaitSecondsPerChild, limit)
	}
	t.Logf("retries %+v", res.Retries)
}

// TestOnlyUncheckedIsNotAllClear: when the only problem is a user that could not be read, the
// scan still publishes (severity unchecked): it never says "all clear" about users it did not read.
func TestOnlyUncheckedIsNotAllClear(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.Add(
		&sfnlocal.User{Name: "persistent", Throttle: sfnlocal.Forever, Keys: []*sfnlocal.AccessKey{activeKey(0, 1, testNow.Add(-days(300)))}},
		&sfnlocal.User{Name: "fine", Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(10)))}},
	)
	s := everyRun()
	e, _ := scan(t, a, s, "SUCCEEDED")
	p := s.Policy()
	checkMessage(t, e, expect(a, p, testNow), p, "1 IAM user not checked for old access keys, in 123456789012", agecheck.SeverityUnchecked)
}

// listAccessKeysAttempts is 1 + the MaxAttempts of the definition's retrier for Iam.IamException
// on the ListAccessKeys task.
func listAccessKeysAttempts(t *testing.T, s config.Settings) int {
	t.Helper()
	var doc any
	if err := json.Unmarshal(definition(t, s), &doc); err != nil {
		t.Fatal(err)
	}
	var found *int
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if v["Type"] == "Task" && v["Resource"] == sfnlocal.ResourceListAccessKeys {
				retry, _ := v["Retry"].([]any)
				for _, r := range retry {
					r := r.(map[string]any)
					for _, e := range r["ErrorEquals"].([]any) {
						if e == sfnlocal.ErrIAMGeneric || e == "States.ALL" {
							n := 3
							if m, ok := r["MaxAttempts"].(float64); ok {
								n = int(m)
							}
							n++
							found = &n
							return
						}
					}
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	if found == nil {
		t.Fatal("the definition does not retry Iam.IamException on ListAccessKeys")
	}
	return *found
}

// TestUserDeletedMidScan: a user listed by ListUsers but gone by ListAccessKeys is skipped, not
// unchecked, and the run succeeds.
func TestUserDeletedMidScan(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.Add(
		&sfnlocal.User{Name: "gone", DeletedAfterListing: true, Keys: []*sfnlocal.AccessKey{activeKey(0, 1, testNow.Add(-days(300)))}},
		&sfnlocal.User{Name: "old", Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(100)))}},
	)
	s := everyRun()
	e, _ := scan(t, a, s, "SUCCEEDED")
	checkEveryUserOnce(t, e, nil)
	p := s.Policy()
	want := expect(a, p, testNow)
	if want.counts.Deleted != 1 || want.counts.Unchecked != 0 {
		t.Fatalf("expectation %+v", want.counts)
	}
	checkMessage(t, e, want, p, "1 IAM access key older than 90 days, 1 unused, in 123456789012", agecheck.SeverityStale)
}

// TestNoFindingsPublishesNothing: compliant keys, inactive old keys, exempt users and a deleted
// user are no findings: no sns:publish call at all.
func TestNoFindingsPublishesNothing(t *testing.T) {
	t.Parallel()
	a := compliantAccount(30)
	a.Add(
		&sfnlocal.User{Name: "retired", Keys: []*sfnlocal.AccessKey{{ID: keyID(90, 1), Status: "Inactive", Created: testNow.Add(-days(900))}}},
		&sfnlocal.User{Name: "Break-Glass", Keys: []*sfnlocal.AccessKey{activeKey(91, 1, testNow.Add(-days(900)))}},
		&sfnlocal.User{Name: "gone", DeletedAfterListing: true},
	)
	s := mixedSettings()
	e, res := scan(t, a, s, "SUCCEEDED")
	wantNoPublish(t, e)
	var report agecheck.Report
	if err := json.Unmarshal(res.Output, &report); err != nil || report.Publish {
		t.Errorf("execution output %s: want the report with publish false (%v)", res.Output, err)
	}
	checkEveryUserOnce(t, e, nil)
}

// TestEmptyAccount: an account with no IAM users (ListUsers returns an empty list): the
// Distributed Map starts no child, the run succeeds and nothing is published.
func TestEmptyAccount(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	e := newEnv(t, a)
	res := e.Run(t, definition(t, everyRun()), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	wantNoPublish(t, e)
	if n := a.ListUsersCalls(); n != 1 {
		t.Errorf("ListUsers called %d times, want 1", n)
	}
	if calls := a.ListAccessKeysCalls(); len(calls) != 0 {
		t.Errorf("ListAccessKeys called for %v, want no calls", calls)
	}
	var report agecheck.Report
	if err := json.Unmarshal(res.Output, &report); err != nil || report.Publish {
		t.Errorf("execution output %s: want the report with publish false (%v)", res.Output, err)
	}
}

// TestExemptUsers: exempt users' keys are counted as exempt and never listed, whatever the case
// of their names.
func TestExemptUsers(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.Add(
		&sfnlocal.User{Name: "SVC-Deploy", Keys: []*sfnlocal.AccessKey{activeKey(0, 1, testNow.Add(-days(500))), activeKey(0, 2, testNow.Add(-days(85)))}},
		&sfnlocal.User{Name: "break-GLASS", Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(400)))}},
		&sfnlocal.User{Name: "svcuser", Keys: []*sfnlocal.AccessKey{activeKey(2, 1, testNow.Add(-days(95)))}}, // not "svc-*"
	)
	s := mixedSettings()
	e, _ := scan(t, a, s, "SUCCEEDED")
	p := s.Policy()
	want := expect(a, p, testNow)
	if want.counts.Exempt != 3 || want.counts.Stale != 1 {
		t.Fatalf("expectation %+v", want.counts)
	}
	body := checkMessage(t, e, want, p, "1 IAM access key older than 90 days, 1 unused, in 123456789012", agecheck.SeverityStale)
	for _, f := range body.Findings {
		if f.UserName != "svcuser" {
			t.Errorf("exempt user %q listed", f.UserName)
		}
	}
}

// TestListUsersFailsPersistently: a ListUsers failure after the retries fails the execution (the
// alarm's signal), and nothing is judged or published.
func TestListUsersFailsPersistently(t *testing.T) {
	t.Parallel()
	a := mixedAccount(10)
	a.Throttle("ListUsers", sfnlocal.Forever)
	s := everyRun()
	e, res := scan(t, a, s, "FAILED")
	if res.Error.Error != sfnlocal.ErrIAMGeneric || !strings.Contains(res.Error.Cause, "Rate exceeded") {
		t.Errorf("error = %+v, want %s with the throttling cause", res.Error, sfnlocal.ErrIAMGeneric)
	}
	if n := a.ListUsersCalls(); n < 2 {
		t.Errorf("ListUsers called %d times: want retries before failing", n)
	}
	if calls := e.Tasks.CallsTo(sfnlocal.ResourceLambdaInvoke); len(calls) != 0 {
		t.Errorf("the function was invoked %d times, want none", len(calls))
	}
	wantNoPublish(t, e)
	t.Logf("ListUsers calls: %d; retries %+v", a.ListUsersCalls(), res.Retries)
}

// BenchmarkScan5000Users times the worst-case scan end to end (5,000 users x 2 stale keys, 64-
// character names, 512-character paths) and reports what AWS would see: the largest state
// payload, the child executions and the billed transitions. Target: under 2 minutes on 2 cores.
func BenchmarkScan5000Users(b *testing.B) {
	s := everyRun()
	def := definition(b, s)
	var res *sfnlocal.Result
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, worstCaseAccount())
		b.StartTimer()
		res = e.Run(b, def, scheduled(testNow))
		if res.Status != "SUCCEEDED" {
			b.Fatalf("execution %s: %+v", res.Status, res.Error)
		}
	}
	b.ReportMetric(float64(res.Largest.Bytes), "max-state-bytes")
	b.ReportMetric(float64(res.Transitions.ChildExecutions), "children")
	b.ReportMetric(float64(res.Transitions.Root+res.Transitions.ChildExecutions), "transitions")
}

// TestMalformedKeyDataMarksOnlyItsUser: when IAM hands over key data the function cannot judge
// (here a CreateDate without a time zone), that user alone is reported unchecked, with
// agecheck.ErrorMalformedKeys and a cause naming the field and its value, and the rest of its
// batch and the other batches are judged: no invocation fails, nothing is lost, and the run
// succeeds. Dates in other ISO 8601 forms are judged like any other.
func TestMalformedKeyDataMarksOnlyItsUser(t *testing.T) {
	t.Parallel()
	s := everyRun()
	batch := workflow.PlanFor(s.MaxConcurrency).BatchSize
	a := sfnlocal.NewAccount(testAccount)
	for i := 0; i < 2*batch; i++ {
		u := &sfnlocal.User{Name: fmt.Sprintf("user-%02d", i), Keys: []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(100)))}}
		switch i {
		case 1:
			u.Keys[0].CreateDateText = "2025-11-20 08:00:00" // no zone: the function refuses to guess
		case batch + 1:
			u.Keys[0].CreateDateText = testNow.Add(-days(100)).Format("2006-01-02T15:04:05.000-0700")
		}
		a.Add(u)
	}
	e, _ := scan(t, a, s, "SUCCEEDED")
	checkEveryUserOnce(t, e, nil)
	for _, c := range e.Tasks.CallsTo(sfnlocal.ResourceLambdaInvoke) {
		if c.Error != nil {
			t.Errorf("invocation failed with %+v, want none: one user's malformed key must not fail its batch", c.Error)
		}
	}
	pubs := e.Tasks.Published()
	if len(pubs) != 1 {
		t.Fatalf("published %d messages, want 1", len(pubs))
	}
	body, _ := message(t, pubs[0])
	want := agecheck.Counts{Users: 2 * batch, Unchecked: 1, Stale: 2*batch - 1, Unused: 2*batch - 1, Flagged: 2*batch - 1, // never used: stale and unused
		NoOwner: 2*batch - 1} // and no owner tag
	if body.Counts != want {
		t.Errorf("counts = %+v, want %+v", body.Counts, want)
	}
	wantCause := `users[1].keys[0].CreateDate is "2025-11-20 08:00:00", want`
	if len(body.UncheckedUsers) != 1 || body.UncheckedUsers[0].UserName != "user-01" ||
		body.UncheckedUsers[0].Error != agecheck.ErrorMalformedKeys || !strings.HasPrefix(body.UncheckedUsers[0].Cause, wantCause) {
		t.Errorf("unchecked users = %+v, want user-01 alone, with %s and a cause starting %q", body.UncheckedUsers, agecheck.ErrorMalformedKeys, wantCause)
	}
	if pubs[0].Attributes["severity"] != agecheck.SeverityStale {
		t.Errorf("severity = %q, want %s", pubs[0].Attributes["severity"], agecheck.SeverityStale)
	}
}

// TestIAMConcurrencyBound: the IAM calls in flight at once (ListAccessKeys from the children's
// inline Maps and the function's GetAccessKeyLastUsed) never exceed maxConcurrency, the setting
// that stands for IAM's account-wide throttling.
func TestIAMConcurrencyBound(t *testing.T) {
	t.Parallel()
	for _, mc := range []int{3, 10} {
		t.Run(fmt.Sprintf("maxConcurrency=%d", mc), func(t *testing.T) {
			a := mixedAccount(120)
			a.Latency = 5 * time.Millisecond
			s := mixedSettings()
			s.MaxConcurrency = mc
			e, _ := scan(t, a, s, "SUCCEEDED")
			checkEveryUserOnce(t, e, nil)
			got := a.MaxInFlight()
			if got > mc || got < 2 {
				t.Errorf("at most %d IAM calls were in flight at once, want 2..%d", got, mc)
			}
			t.Logf("maxConcurrency %d: at most %d IAM calls in flight (plan %+v)", mc, got, workflow.PlanFor(mc))
		})
	}
}

// TestOptionalFieldsAbsent: IAM's model marks Users, AccessKeyMetadata, IsTruncated and Marker
// optional. Responses that leave them out when they are empty or false (users without keys, the
// last page) are read as empty lists and "not truncated": the scan is the same as with them.
func TestOptionalFieldsAbsent(t *testing.T) {
	t.Parallel()
	a := mixedAccount(90) // every fifth user has no keys; the last of 3 pages is not truncated
	a.OmitOptional = true
	s := mixedSettings()
	e, res := scan(t, a, s, "SUCCEEDED")
	checkEveryUserOnce(t, e, nil)
	if got := a.ListUsersCalls(); got != 3 {
		t.Errorf("ListUsers called %d times, want 3 pages", got)
	}
	p := s.Policy()
	want := expect(a, p, testNow)
	subject := fmt.Sprintf("%d IAM access keys older than 90 days, %d unused, %d due soon, in 123456789012", want.counts.Stale, want.counts.Unused, want.counts.Warning)
	checkMessage(t, e, want, p, subject, agecheck.SeverityStale)
	checkCost(t, e, res, s, 90)
}

// TestEmptyAccountWithoutUsers: an account without users whose ListUsers response has neither
// Users nor IsTruncated: no child, no publish, the run succeeds.
func TestEmptyAccountWithoutUsers(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.OmitOptional = true
	e := newEnv(t, a)
	res := e.Run(t, definition(t, everyRun()), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	wantNoPublish(t, e)
	if n := res.Transitions.ChildExecutions; n != 0 {
		t.Errorf("%d child executions, want none", n)
	}
	var report agecheck.Report
	if err := json.Unmarshal(res.Output, &report); err != nil || report.Publish || report.Account != testAccount {
		t.Errorf("execution output %s: want the report with publish false (%v)", res.Output, err)
	}
}

// TestTruncatedPageWithoutMarker: a page that says IsTruncated but gives no Marker leaves users
// that cannot be listed: the run fails with a clear error (and the alarm fires) instead of
// reporting a partial scan as complete.
func TestTruncatedPageWithoutMarker(t *testing.T) {
	t.Parallel()
	a := mixedAccount(50)
	a.MarkerMissing = true
	e := newEnv(t, a)
	res := e.Run(t, definition(t, everyRun()), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "FAILED")
	if res.Error == nil || res.Error.Error != workflow.ErrorIncompleteListing || !strings.Contains(res.Error.Cause, "Marker") {
		t.Errorf("error = %+v, want %s naming the missing Marker", res.Error, workflow.ErrorIncompleteListing)
	}
	wantNoPublish(t, e)
}

// TestCheckThrottledForGood: every check invocation is throttled beyond its retries (merge and
// report succeed). The 150 users are reported unchecked; the message lists MaxUncheckedListed of
// them and the function logs every one, with its error, so none is named nowhere.
func TestCheckThrottledForGood(t *testing.T) {
	t.Parallel()
	const users = 150
	a := sfnlocal.NewAccount(testAccount)
	for i := range users {
		a.Add(&sfnlocal.User{Name: fmt.Sprintf("user-%03d", i), Keys: []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(200)))}})
	}
	const throttled = "Lambda.TooManyRequestsException"
	e := newEnv(t, a)
	e.Tasks.InvokeFault = func(op string) *sfnlocal.StatesError {
		if op == agecheck.OpCheck {
			return &sfnlocal.StatesError{Error: throttled, Cause: "Rate Exceeded. (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException)"}
		}
		return nil
	}
	s := everyRun()
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	checkEveryUserOnce(t, e, nil)
	pubs := e.Tasks.Published()
	if len(pubs) != 1 {
		t.Fatalf("published %d messages, want 1", len(pubs))
	}
	body, _ := message(t, pubs[0])
	if want := (agecheck.Counts{Users: users, Unchecked: users}); body.Counts != want {
		t.Errorf("counts = %+v, want %+v", body.Counts, want)
	}
	if len(body.UncheckedUsers) != agecheck.MaxUncheckedListed || !body.Truncated {
		t.Errorf("message lists %d unchecked users (truncated %v), want %d and truncated", len(body.UncheckedUsers), body.Truncated, agecheck.MaxUncheckedListed)
	}
	if pubs[0].Attributes["severity"] != agecheck.SeverityUnchecked {
		t.Errorf("severity = %q, want %s", pubs[0].Attributes["severity"], agecheck.SeverityUnchecked)
	}
	named := map[string]bool{}
	for _, u := range body.UncheckedUsers {
		named[u.UserName] = true
		if u.Error != throttled {
			t.Errorf("message: %s unchecked with error %q, want %s", u.UserName, u.Error, throttled)
		}
	}
	logged := map[string]int{}
	for _, line := range e.Function.Logs() {
		var l struct {
			Msg      string `json:"msg"`
			UserName string `json:"userName"`
			Error    string `json:"error"`
		}
		if json.Unmarshal([]byte(line), &l) != nil || l.Msg != agecheck.UncheckedLogMessage {
			continue
		}
		logged[l.UserName]++
		if l.Error != throttled {
			t.Errorf("log: %s unchecked with error %q, want %s", l.UserName, l.Error, throttled)
		}
	}
	for i := range users {
		name := fmt.Sprintf("user-%03d", i)
		if logged[name] != 1 {
			t.Errorf("%s logged %d times as unchecked, want once (named in the message: %v)", name, logged[name], named[name])
		}
	}
	attempts := 0
	for _, c := range e.Tasks.CallsTo(sfnlocal.ResourceLambdaInvoke) {
		if c.Error != nil && c.Error.Error == throttled {
			attempts++
		}
	}
	batches := users / workflow.PlanFor(s.MaxConcurrency).BatchSize
	t.Logf("%d check attempts throttled for %d batches", attempts, batches)
	if attempts <= batches {
		t.Errorf("%d throttled check attempts for %d batches: want retries before giving up", attempts, batches)
	}
}

// TestTestRunPublishesWithNothingFound: the input {"test": true} scans as usual and publishes
// although nothing was found, marked as a test (subject, bodies, severity "none"), and reaches
// the chat channel too, marked as a test, when the stack has one; the same account scanned on
// schedule, or with test false, publishes to no topic.
func TestTestRunPublishesWithNothingFound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		input         map[string]any
		chat, publish bool
	}{
		{"test run", map[string]any{workflow.TestField: true}, false, true},
		{"test false", map[string]any{workflow.TestField: false}, false, false},
		{"scheduled", scheduled(testNow), false, false},
		{"test run with chat", map[string]any{workflow.TestField: true}, true, true},
		{"scheduled with chat", scheduled(testNow), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := compliantAccount(12)
			s := everyRun()
			var e *sfnlocal.Env
			if tc.chat {
				s, e = chatOn(s), chatEnv(t, a)
			} else {
				e = newEnv(t, a)
			}
			res := e.Run(t, definition(t, s), tc.input)
			sfnlocal.WantStatus(t, res, "SUCCEEDED")
			checkEveryUserOnce(t, e, nil)
			var report agecheck.Report
			if err := json.Unmarshal(res.Output, &report); err != nil || report.Test != tc.publish {
				t.Errorf("execution output %s: want the report with test %v (%v)", res.Output, tc.publish, err)
			}
			if !tc.publish {
				wantNoPublish(t, e)
				return
			}
			p := s.Policy()
			body := checkMessage(t, e, expect(a, p, testNow), p, "Test run: no IAM access keys older than 90 days, in 123456789012", agecheck.SeverityNone)
			if !body.Test {
				t.Errorf("the message body does not say it is a test run")
			}
			if _, email := message(t, e.Tasks.Published()[0]); !strings.HasPrefix(email, "TEST RUN: ") {
				t.Errorf("the email does not start with TEST RUN:\n%s", email)
			}
			if !tc.chat {
				return
			}
			n := chatMessage(t, e)
			if n.Metadata.EventType != agecheck.ChatTestEventType || n.Metadata.AdditionalContext["test"] != "true" ||
				!strings.HasPrefix(n.Content.Title, agecheck.TestSubjectPrefix) || !strings.Contains(n.Content.Description, "*TEST RUN*") {
				t.Errorf("chat message of a test run is not marked as one: %+v", n)
			}
		})
	}
}

// TestTestRunWithFindings: a test run at a scheduled time reports what it finds, as a scheduled
// run would, with the subject marked.
func TestTestRunWithFindings(t *testing.T) {
	t.Parallel()
	a := mixedAccount(30)
	s := mixedSettings()
	e := newEnv(t, a)
	input := scheduled(testNow)
	input[workflow.TestField] = true
	res := e.Run(t, definition(t, s), input)
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	p := s.Policy()
	want := expect(a, p, testNow)
	subject := fmt.Sprintf("Test run: %d IAM access keys older than 90 days, %d unused, %d due soon, in 123456789012", want.counts.Stale, want.counts.Unused, want.counts.Warning)
	if body := checkMessage(t, e, want, p, subject, agecheck.SeverityStale); !body.Test {
		t.Errorf("the message body does not say it is a test run")
	}
}

// TestMalformedInput: a test flag that is not a boolean, or a scheduledTime that is not a
// timestamp, fails the run before anything is listed, with a cause naming the field, its value
// and what is allowed.
func TestMalformedInput(t *testing.T) {
	t.Parallel()
	const (
		testAllowed = ": want true (a test run, which always publishes) or false, or no test"
		timeAllowed = ": want an RFC 3339 timestamp such as 2026-01-31T08:00:00Z, or no scheduledTime to use the execution start time"
	)
	for _, tc := range []struct {
		name  string
		input map[string]any
		cause string
	}{
		{"test a string", map[string]any{workflow.TestField: "true"}, `the input field test is "true"` + testAllowed},
		{"test a number", map[string]any{workflow.TestField: 1}, `the input field test is 1` + testAllowed},
		{"test null", map[string]any{workflow.TestField: nil}, `the input field test is null` + testAllowed},
		{"test an object", map[string]any{workflow.TestField: map[string]any{"a": 1}}, `the input field test is {"a":1}` + testAllowed},
		{"scheduledTime not a timestamp", map[string]any{workflow.ScheduledTimeField: "yesterday"}, `the input field scheduledTime is "yesterday"` + timeAllowed},
		{"scheduledTime a number", map[string]any{workflow.ScheduledTimeField: 1764576000, workflow.TestField: true}, `the input field scheduledTime is 1764576000` + timeAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := mixedAccount(3)
			e := newEnv(t, a)
			res := e.Run(t, definition(t, everyRun()), tc.input)
			sfnlocal.WantStatus(t, res, "FAILED")
			if res.Error == nil || res.Error.Error != workflow.ErrorInvalidInput || res.Error.Cause != tc.cause {
				t.Errorf("error = %+v, want %s with cause %q", res.Error, workflow.ErrorInvalidInput, tc.cause)
			}
			if n := a.ListUsersCalls(); n != 0 {
				t.Errorf("ListUsers called %d times, want none", n)
			}
		})
	}
}

// TestHandWrittenDefinition runs the harness's own machine (testdata), independent of package
// workflow: pages of users, batched children, the function, a publish.
func TestHandWrittenDefinition(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	for i := 0; i < 90; i++ {
		a.Add(&sfnlocal.User{Name: fmt.Sprintf("user-%02d", i), Keys: []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(85+i%10)))}})
	}
	a.PageSize = func(page, maxItems int) int { return 30 }
	e := newEnv(t, a)
	res := e.Run(t, readFile(t, filepath.Join("testdata", "harness.asl.json")), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	checkEveryUserOnce(t, e, nil)
	if len(res.Maps) != 3 || res.Transitions.ChildExecutions != 3 {
		t.Errorf("map runs %+v, %d children: want 3 pages of one batch each", res.Maps, res.Transitions.ChildExecutions)
	}
	pubs := e.Tasks.Published()
	if len(pubs) != 1 {
		t.Fatalf("published %d messages, want 1", len(pubs))
	}
	body, _ := message(t, pubs[0])
	// Ages 85..94 days, ten users each: 85..90 compliant or due soon (warnAgeDays 80), 91..94 stale.
	if body.Counts.Stale != 36 || body.Counts.Warning != 54 || body.Counts.Users != 90 {
		t.Errorf("counts = %+v, want 36 stale, 54 warning of 90 users", body.Counts)
	}
}
