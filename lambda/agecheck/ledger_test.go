package agecheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var ledgerT0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func ledgerFinding(key, user, severity string) Finding {
	return Finding{UserName: user, AccessKeyID: key, CreateDate: ParseTimestamp("2025-01-01T00:00:00Z"), AgeDays: 424,
		Severity: severity, Kinds: []string{severity}}
}

func announced(key, user, severity string, at time.Time) Entry {
	return Entry{Account: testAccount, Key: key, UserName: user, FirstSeen: at, Severity: severity, Kinds: []string{severity}, LastAnnounced: at}
}

func keysOf[T any](list []T, key func(T) string) []string {
	var out []string
	for _, x := range list {
		out = append(out, key(x))
	}
	return out
}

func TestDiff(t *testing.T) {
	lr := LedgerRun{Run: "r", RemindEveryDays: 7, RetentionDays: 90}
	day := 24 * time.Hour
	stale := func(key, user string) Finding { return ledgerFinding(key, user, SeverityStale) }
	present := &RootCheck{Status: RootKeysPresent}
	absent := &RootCheck{Status: RootKeysAbsent}
	unchecked := &RootCheck{Status: RootUnchecked, Cause: "denied"}
	tests := []struct {
		name      string
		entries   []Entry
		obs       Observations
		root      *RootCheck
		now       time.Time
		new       []string // keys, with reasons
		reminders []string
		resolved  []string
		quiet     int
	}{
		{name: "first run: everything is new",
			obs: Observations{Findings: []Finding{stale("AKIA1", "a"), stale("AKIA2", "b")}}, root: present, now: ledgerT0,
			new: []string{"root new", "AKIA1 new", "AKIA2 new"}}, // the root finding first, as in every digest
		{name: "nothing changed, no reminder due",
			entries: []Entry{announced("AKIA1", "a", SeverityStale, ledgerT0)},
			obs:     Observations{Findings: []Finding{stale("AKIA1", "a")}}, now: ledgerT0.Add(7*day - time.Second), quiet: 1},
		{name: "a reminder is due after remindEveryDays",
			entries: []Entry{announced("AKIA1", "a", SeverityStale, ledgerT0)},
			obs:     Observations{Findings: []Finding{stale("AKIA1", "a")}}, now: ledgerT0.Add(7 * day), reminders: []string{"AKIA1 reminder"}},
		{name: "a key gone is resolved, once",
			entries: []Entry{announced("AKIA1", "a", SeverityStale, ledgerT0), {Account: testAccount, Key: "AKIA0", UserName: "a", ResolvedAt: ledgerT0}},
			now:     ledgerT0.Add(day), resolved: []string{"AKIA1"}},
		{name: "severity rose",
			entries: []Entry{announced("AKIA1", "a", SeverityWarning, ledgerT0)},
			obs:     Observations{Findings: []Finding{stale("AKIA1", "a")}}, now: ledgerT0.Add(day), new: []string{"AKIA1 severity rose"}},
		{name: "severity fell: quiet",
			entries: []Entry{announced("AKIA1", "a", SeverityStale, ledgerT0)},
			obs:     Observations{Findings: []Finding{ledgerFinding("AKIA1", "a", SeverityWarning)}}, now: ledgerT0.Add(day), quiet: 1},
		{name: "exemption expired",
			entries: []Entry{announced("AKIA1", "a", SeverityStale, ledgerT0)},
			obs:     Observations{Findings: []Finding{func() Finding { f := stale("AKIA1", "a"); f.ExemptionExpired = "legacy-* (until 2026-03-01)"; return f }()}},
			now:     ledgerT0.Add(day), new: []string{"AKIA1 exemption expired"}},
		{name: "an unchecked user's keys are never resolved",
			entries: []Entry{announced("AKIA1", "a", SeverityStale, ledgerT0), announced("AKIA2", "b", SeverityStale, ledgerT0)},
			obs:     Observations{UncheckedUsers: []string{"a"}}, now: ledgerT0.Add(day), resolved: []string{"AKIA2"}},
		{name: "a key whose last use could not be looked up is never resolved",
			entries: []Entry{announced("AKIA1", "a", SeverityWarning, ledgerT0), announced("AKIA2", "a", SeverityStale, ledgerT0)},
			obs:     Observations{UnreadKeys: []string{"AKIA1"}}, now: ledgerT0.Add(day), resolved: []string{"AKIA2"}},
		{name: "a failed root check never resolves the root finding",
			entries: []Entry{announced(RootKey, rootUserName, SeverityStale, ledgerT0)}, root: unchecked, now: ledgerT0.Add(day)},
		{name: "root check off: the root entry stays",
			entries: []Entry{announced(RootKey, rootUserName, SeverityStale, ledgerT0)}, now: ledgerT0.Add(day)},
		{name: "root keys deleted: resolved",
			entries: []Entry{announced(RootKey, rootUserName, SeverityStale, ledgerT0)}, root: absent, now: ledgerT0.Add(day), resolved: []string{RootKey}},
		{name: "a resolved key that is a finding again is new",
			entries: []Entry{{Account: testAccount, Key: "AKIA1", UserName: "a", Severity: SeverityStale, FirstSeen: ledgerT0, LastAnnounced: ledgerT0, ResolvedAt: ledgerT0.Add(day)}},
			obs:     Observations{Findings: []Finding{stale("AKIA1", "a")}}, now: ledgerT0.Add(2 * day), new: []string{"AKIA1 new"}},
		{name: "exemption expired on a key never announced (it was exempt)",
			obs: Observations{Findings: []Finding{func() Finding { f := stale("AKIA1", "a"); f.ExemptionExpired = "svc-* (until 2026-03-01)"; return f }()}},
			now: ledgerT0, new: []string{"AKIA1 exemption expired"}},
		{name: "exemption expired is said once, then reminded",
			entries: []Entry{func() Entry { e := announced("AKIA1", "a", SeverityStale, ledgerT0); e.ExemptExpired = true; return e }()},
			obs:     Observations{Findings: []Finding{func() Finding { f := stale("AKIA1", "a"); f.ExemptionExpired = "svc-* (until 2026-03-01)"; return f }()}},
			now:     ledgerT0.Add(7 * day), reminders: []string{"AKIA1 reminder"}},
		{name: "a finding observed twice (a retried batch) counts once",
			obs: Observations{Findings: []Finding{stale("AKIA1", "a"), stale("AKIA1", "a")}}, now: ledgerT0, new: []string{"AKIA1 new"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Diff(testAccount, tt.entries, tt.obs, tt.root, lr, tt.now)
			reason := func(a Announced) string { return a.AccessKeyID + " " + a.Reason }
			if got := keysOf(c.New, reason); !slices.Equal(got, tt.new) {
				t.Errorf("new: got %v, want %v", got, tt.new)
			}
			if got := keysOf(c.Reminders, reason); !slices.Equal(got, tt.reminders) {
				t.Errorf("reminders: got %v, want %v", got, tt.reminders)
			}
			if got := keysOf(c.Resolved, func(r Resolved) string { return r.AccessKeyID }); !slices.Equal(got, tt.resolved) {
				t.Errorf("resolved: got %v, want %v", got, tt.resolved)
			}
			if c.Quiet != tt.quiet {
				t.Errorf("quiet: got %d, want %d", c.Quiet, tt.quiet)
			}
			if n := len(tt.new) + len(tt.reminders) + len(tt.resolved); len(c.Updates) != n {
				t.Errorf("got %d updates, want one per announced or resolved key (%d)", len(c.Updates), n)
			}
		})
	}
}

func TestDiffUpdates(t *testing.T) {
	lr := LedgerRun{Run: "r", RemindEveryDays: 7, RetentionDays: 90}
	now := ledgerT0.Add(10 * 24 * time.Hour)
	entries := []Entry{announced("AKIA1", "a", SeverityStale, ledgerT0), announced("AKIA2", "b", SeverityStale, ledgerT0)}
	entries[0].Reminded = 2
	c := Diff(testAccount, entries, Observations{Findings: []Finding{ledgerFinding("AKIA1", "a", SeverityStale)}}, nil, lr, now)
	if len(c.Updates) != 2 {
		t.Fatalf("got %d updates, want 2", len(c.Updates))
	}
	reminded, resolved := c.Updates[0], c.Updates[1]
	if reminded.Reminded != 3 || !reminded.LastAnnounced.Equal(now) || !reminded.FirstSeen.Equal(ledgerT0) || !reminded.ResolvedAt.IsZero() {
		t.Errorf("reminded entry: got %+v, want reminded 3, announced now, first seen kept, open", reminded)
	}
	if c.Reminders[0].Reminded != 3 || c.Reminders[0].Announced.Time() != ledgerT0 {
		t.Errorf("reminder: got %+v, want reminder 3, last announced %v", c.Reminders[0], ledgerT0)
	}
	if !resolved.ResolvedAt.Equal(now) || !resolved.ExpiresAt.Equal(now.Add(90*24*time.Hour)) || resolved.LastAnnounced != ledgerT0 {
		t.Errorf("resolved entry: got %+v, want resolved now, expiring after retentionDays, last announcement kept", resolved)
	}
}

func TestDiffRecordsOwners(t *testing.T) {
	lr := LedgerRun{Run: "r", RemindEveryDays: 7, RetentionDays: 90}
	f := ledgerFinding("AKIA1", "a", SeverityStale)
	f.Owner = "team-a"
	gone := announced("AKIA2", "b", SeverityStale, ledgerT0)
	gone.Owner = "bob@example.com"
	c := Diff(testAccount, []Entry{gone}, Observations{Findings: []Finding{f}}, nil, lr, ledgerT0.Add(24*time.Hour))
	if len(c.Updates) != 2 || c.Updates[0].Owner != "team-a" || c.Updates[1].Owner != "bob@example.com" {
		t.Errorf("updates: got %+v, want AKIA1's entry with owner team-a and AKIA2's resolved one keeping bob@example.com", c.Updates)
	}
	if len(c.Resolved) != 1 || c.Resolved[0].Owner != "bob@example.com" {
		t.Errorf("resolved: got %+v, want AKIA2 with its owner bob@example.com", c.Resolved)
	}
}

func TestChangesReport(t *testing.T) {
	p := Policy{MaxAgeDays: 90}
	lr := LedgerRun{Run: "r", RemindEveryDays: 7, RetentionDays: 90}
	s := Summary{Counts: Counts{Users: 3, Flagged: 2, Stale: 2}}
	stale := func(key, user string) Finding { return ledgerFinding(key, user, SeverityStale) }
	tests := []struct {
		name    string
		s       Summary
		c       Changes
		publish bool
		subject string
	}{
		{"nothing new, nothing due", s, Changes{Quiet: 2}, false, ""},
		{"new", s, Changes{New: []Announced{{Finding: stale("AKIA1", "a"), Reason: ReasonNew}}, Quiet: 1}, true,
			"1 new IAM access key finding, in 123456789012"},
		{"reminders and resolved only", s, Changes{Reminders: []Announced{{Finding: stale("AKIA1", "a"), Reason: ReasonReminder, Reminded: 1}},
			Resolved: []Resolved{{UserName: "b", AccessKeyID: "AKIA2", Severity: SeverityStale}}}, true,
			"No new IAM access key findings, 1 reminder, 1 resolved, in 123456789012"},
		{"unchecked users are announced every run", Summary{Counts: Counts{Users: 3, Unchecked: 1}, UncheckedUsers: []UncheckedUser{{UserName: "u", Error: "Iam.IamException"}}},
			Changes{}, true, "1 user unchecked, in 123456789012"},
		{"the root check failing is announced every run", Summary{Root: &RootCheck{Status: RootUnchecked, Cause: "denied"}},
			Changes{}, true, "Root keys not checked, in 123456789012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewChangesReport(tt.s, tt.c, p, lr, testAccount, ledgerT0)
			if err != nil {
				t.Fatal(err)
			}
			if r.Publish != tt.publish || r.Subject != tt.subject {
				t.Errorf("got publish %v, subject %q; want %v, %q", r.Publish, r.Subject, tt.publish, tt.subject)
			}
		})
	}
}

func TestChangesDigestOrderAndBudget(t *testing.T) {
	p := Policy{MaxAgeDays: 90}
	lr := LedgerRun{Run: "r", RemindEveryDays: 7, RetentionDays: 90}
	var c Changes
	for i := range 3000 {
		f := ledgerFinding(fmt.Sprintf("AKIA%016d", i), fmt.Sprintf("user-with-a-long-name-%05d", i), SeverityStale)
		c.New = append(c.New, Announced{Finding: f, Reason: ReasonNew})
		c.Reminders = append(c.Reminders, Announced{Finding: f, Reason: ReasonReminder, Reminded: 1})
		c.Resolved = append(c.Resolved, Resolved{UserName: f.UserName, AccessKeyID: f.AccessKeyID + "X", Severity: SeverityStale})
	}
	s := Summary{Counts: Counts{Users: 6000, Flagged: 6000, Stale: 6000}}
	r, err := NewChangesReport(s, c, p, lr, testAccount, ledgerT0)
	if err != nil {
		t.Fatal(err)
	}
	msg, body := decodeMessage(t, r)
	if n, _ := jsonSize(r.Message); n > MaxMessageBytes {
		t.Errorf("message is %d bytes encoded, over MaxMessageBytes %d", n, MaxMessageBytes)
	}
	cb := body.Changes
	if cb == nil || cb.NewCount != 3000 || cb.ReminderCount != 3000 || cb.ResolvedCount != 3000 || !body.Truncated {
		t.Fatalf("changes body: got %+v (truncated %v), want exact counts 3000 each, truncated", cb, body.Truncated)
	}
	if len(cb.New) == 0 || len(cb.New) != len(cb.Reminders) || len(cb.New) != len(cb.Resolved) {
		t.Errorf("listed %d new, %d reminders, %d resolved; want the same number, more than 0", len(cb.New), len(cb.Reminders), len(cb.Resolved))
	}
	iNew, iRem, iRes, iTot := strings.Index(msg.Email, "\nNew ("), strings.Index(msg.Email, "\nReminders ("), strings.Index(msg.Email, "\nResolved since"), strings.Index(msg.Email, "\nTotals:")
	if !(0 <= iNew && iNew < iRem && iRem < iRes && iRes < iTot) {
		t.Errorf("email sections at %d, %d, %d, %d: want new, reminders, resolved, totals in that order", iNew, iRem, iRes, iTot)
	}
}
