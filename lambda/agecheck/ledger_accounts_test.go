package agecheck

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

const memberAccount = "111111111111"

// orgLedgerRun runs an organization run that remembers through the handler, as the state
// machine does: each account's check (findings recorded), its result (op account, or the
// deploying account folded by mergeAccounts) and its own message (op report on its summary,
// with the ledger), the merge of the page, the report, and, when the report says so, one
// commit per account it lists. It returns the accounts' own reports by account.
func orgLedgerRun(t *testing.T, h *Handler, run, now string, users map[string][]UserKeys, commit bool) (OrgSummary, Report, map[string]Report) {
	t.Helper()
	lr := &LedgerRun{Run: run, RemindEveryDays: 7, RetentionDays: 90}
	p := Policy{MaxAgeDays: 90}
	at := ParseTimestamp(now)
	summary := func(account string) *Summary {
		s := invoke[Summary](t, h, Event{Op: OpCheck, Now: at, Policy: p, Account: account, Users: users[account], Ledger: lr})
		return &s
	}
	messages := map[string]Report{}
	message := func(account string, s *Summary) {
		messages[account] = invoke[Report](t, h, Event{Op: OpReport, Now: at, Policy: p, Account: account, Summary: s, Ledger: lr})
	}
	own := summary(testAccount)
	org := invoke[OrgSummary](t, h, Event{Op: OpMergeAccounts, Now: at, Policy: p, Account: testAccount, Org: &OrgSummary{}, Summary: own, Ledger: lr})
	message(testAccount, own)
	ms := summary(memberAccount)
	member := invoke[AccountResult](t, h, Event{Op: OpAccount, Now: at, Policy: p, Account: memberAccount, Target: &Target{ID: memberAccount},
		Summary: ms, Ledger: lr})
	message(memberAccount, ms)
	unchecked := AccountResult{Target: Target{ID: "222222222222"}, Status: AccountUnchecked, Error: &ScanError{Error: "Iam.AccessDenied"}}
	org = invoke[OrgSummary](t, h, Event{Op: OpMergeAccounts, Now: at, Policy: p, Account: testAccount, Org: &org, Accounts: []AccountResult{member, unchecked}, Ledger: lr})
	r := invoke[Report](t, h, Event{Op: OpReport, Now: at, Policy: p, Account: testAccount, Org: &org, Ledger: lr})
	if commit && r.Commit != nil {
		for _, c := range r.Commits {
			cm := *r.Commit
			cm.Root = c.Root
			invoke[struct{}](t, h, Event{Op: OpCommit, Now: cm.Now, Policy: p, Account: c.Account, Commit: &cm})
		}
	}
	return org, r, messages
}

// TestOrganizationLedgerThroughTheHandler: each account's changes are its own (per account and
// AccessKeyId), summed exactly; the accounts the run holds the lease of are committed, an
// unchecked one is not (and is announced on every run); a key rotated in one account is
// resolved in that account only, and an account with only quiet findings has no section.
func TestOrganizationLedgerThroughTheHandler(t *testing.T) {
	m := newMemLedger()
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m}
	// The same key ID in two accounts is two ledger entries.
	users := map[string][]UserKeys{testAccount: {staleUser("a", "AKIA1")}, memberAccount: {staleUser("b", "AKIA1"), staleUser("c", "AKIA2")}}
	org, r, msgs := orgLedgerRun(t, h, "run-1", "2026-03-01T08:00:00Z", users, true)
	if c := org.Changes; c == nil || c.New != 3 || c.Resolved != 0 {
		t.Fatalf("changes %+v, want 3 new", org.Changes)
	}
	if len(org.Commits) != 2 || org.Commits[0].Account != testAccount || org.Commits[1].Account != memberAccount {
		t.Errorf("commits %+v, want the deploying account and the member, not the unchecked one", org.Commits)
	}
	if !r.Publish || r.Subject != "IAM keys in 3 accounts: 3 new, 1 account unchecked" || r.Commit == nil || len(r.Commits) != 2 {
		t.Errorf("report publish %v, subject %q, commit %v, commits %v; want 3 new announced and 2 commits", r.Publish, r.Subject, r.Commit, r.Commits)
	}
	if _, ok := m.entries[memberAccount+"AKIA1"]; !ok || len(m.entries) != 3 || len(m.lease) != 0 {
		t.Errorf("entries %v, leases %v; want 3 entries (AKIA1 in both accounts) and every lease released", m.entries, m.lease)
	}
	// Each account's own message is its changes digest, as a single-account run's.
	for account, want := range map[string]string{testAccount: "1 new IAM access key finding, in " + testAccount,
		memberAccount: "2 new IAM access key findings, in " + memberAccount} {
		_, body := decodeMessage(t, msgs[account])
		if got := msgs[account]; !got.Publish || got.Subject != want || body.Changes == nil || body.Changes.NewCount != len(body.Findings) {
			t.Errorf("account %s's message: publish %v, subject %q, changes %+v; want %q listing its new findings", account, got.Publish, got.Subject, body.Changes, want)
		}
	}

	// A run with no change announces the unchecked account only; the member's key rotated.
	users[memberAccount] = users[memberAccount][:1]
	org, r, msgs = orgLedgerRun(t, h, "run-2", "2026-03-02T08:00:00Z", users, true)
	if c := org.Changes; c.New != 0 || c.Resolved != 1 || c.Quiet != 2 || !r.Publish || !strings.HasPrefix(r.Subject, "IAM keys in 3 accounts: nothing new, 1 resolved") {
		t.Errorf("changes %+v, subject %q; want AKIA2 of the member resolved, 2 quiet", c, r.Subject)
	}
	if len(org.Sections) != 2 || org.Sections[1].Target.ID != memberAccount || org.Accounts.Clean != 1 {
		t.Errorf("sections %+v, accounts %+v; want the unchecked account, then the member (resolved), the deploying one clean (quiet)", org.Sections, org.Accounts)
	}
	if len(m.lease) != 0 {
		t.Errorf("run 2: leases %v, want none: the member's released by its commit, the quiet deploying account's by its own message", m.lease)
	}
	if e := m.entries[memberAccount+"AKIA2"]; e.ResolvedAt.IsZero() {
		t.Errorf("AKIA2 of the member: %+v, want resolved", e)
	}
	if res := org.Sections[1].Changes.Resolved; len(res) != 1 || res[0].Reason != ResolvedGone {
		t.Errorf("the member's resolved keys %+v, want AKIA2 with why (%q)", res, ResolvedGone)
	}
	var digest snsMessage
	if err := json.Unmarshal([]byte(r.Message), &digest); err != nil || !strings.Contains(digest.Email, "  "+memberAccount+" c AKIA2 (was stale, first seen 2026-03-01): "+ResolvedGone+"\n") {
		t.Errorf("the digest's email (%v) does not say why AKIA2 was resolved:\n%s", err, digest.Email)
	}
	if got := msgs[testAccount]; got.Publish {
		t.Errorf("the deploying account's message %q published, want nothing (its finding announced yesterday, not due)", got.Subject)
	}
	if got, want := msgs[memberAccount].Subject, "No new IAM access key findings, 1 resolved, in "+memberAccount; !msgs[memberAccount].Publish || got != want {
		t.Errorf("the member's message: subject %q, want %q", got, want)
	}

	// Said once: the next day, neither account's message publishes.
	_, _, msgs = orgLedgerRun(t, h, "run-3", "2026-03-03T08:00:00Z", users, true)
	for account, got := range msgs {
		if got.Publish {
			t.Errorf("run 3: account %s's message %q published, want nothing", account, got.Subject)
		}
	}
}

// TestOrganizationLedgerBusyAccount: an account whose lease another run holds is announced
// whole (its findings, no changes) and is not committed; nor is a quiet one.
func TestOrganizationLedgerBusyAccount(t *testing.T) {
	m := newMemLedger()
	m.lease[memberAccount] = "scheduled"
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m}
	users := map[string][]UserKeys{memberAccount: {staleUser("b", "AKIA1")}}
	org, r, msgs := orgLedgerRun(t, h, "manual", "2026-03-01T08:00:00Z", users, false)
	sec := org.Sections[1]
	if org.Changes.Busy != 1 || sec.Changes == nil || !sec.Changes.Busy || len(sec.Summary.Findings) != 1 {
		t.Errorf("changes %+v, section %+v; want the member busy with its finding listed", org.Changes, sec)
	}
	if len(r.Commits) != 0 || !strings.Contains(r.Subject, "1 account announced whole") {
		t.Errorf("commits %+v, subject %q; want none (the deploying account has nothing to record)", r.Commits, r.Subject)
	}
	_, body := decodeMessage(t, msgs[memberAccount])
	if !msgs[memberAccount].Publish || body.Changes != nil || len(body.Findings) != 1 {
		t.Errorf("the busy member's message: publish %v, changes %+v, %d findings; want every finding, as notify: every-run announces them",
			msgs[memberAccount].Publish, body.Changes, len(body.Findings))
	}
}

// TestOrganizationLedgerLeaseTimedByTheClock: in an organization run too, every lease (each
// account's result and own message, and each commit) is taken for LeaseDuration from the
// function's clock, not from the run's "now" (here a slot 2 hours past).
func TestOrganizationLedgerLeaseTimedByTheClock(t *testing.T) {
	m := newMemLedger()
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m, Clock: func() time.Time { return clock }}
	users := map[string][]UserKeys{testAccount: {staleUser("a", "AKIA1")}, memberAccount: {staleUser("b", "AKIA1")}}
	orgLedgerRun(t, h, "run-1", "2026-03-01T08:00:00Z", users, true)
	want, hold := "2026-03-01T10:00:00Z 2026-03-01T10:15:00Z", "hold until 2026-03-01T10:15:00Z"
	if len(m.taken) != 6 {
		t.Errorf("%d leases taken (%q), want 6: two accounts' results, messages and commits", len(m.taken), m.taken)
	}
	for i, got := range m.taken {
		if want := map[bool]string{false: want, true: hold}[i >= 4]; got != want {
			t.Errorf("lease %d taken (now until) %q, want %q", i, got, want)
		}
	}
}

// TestOrganizationLedgerQuietPublishesNothing: only quiet findings, every account read: the
// report publishes nothing.
func TestOrganizationLedgerQuietPublishesNothing(t *testing.T) {
	o := OrgSummary{Counts: Counts{Flagged: 4, Stale: 4}, Accounts: AccountCounts{Checked: 2, Clean: 2}, Changes: &OrgChanges{Quiet: 4},
		Commits: []AccountCommit{{Account: testAccount}, {Account: memberAccount}}}
	r, err := NewOrgReport(o, Policy{MaxAgeDays: 90}, ledgerT0, false)
	if err != nil || r.Publish {
		t.Errorf("publish %v (%v), want nothing published", r.Publish, err)
	}
	o.Accounts.RootUnknown = 1
	if r, _ := NewOrgReport(o, Policy{MaxAgeDays: 90}, ledgerT0, false); !r.Publish || r.Subject != "IAM keys in 2 accounts: root not checked in 1 account" {
		t.Errorf("a root user not checked: publish %v, subject %q; want it announced on every run, named in the subject", r.Publish, r.Subject)
	}
	o.Accounts.RootUnknown, o.Counts.LastUsedUnknown = 0, 2
	if r, _ := NewOrgReport(o, Policy{MaxAgeDays: 90}, ledgerT0, false); !r.Publish || r.Subject != "IAM keys in 2 accounts: 2 last use unknown" {
		t.Errorf("keys whose last use is unknown: publish %v, subject %q; want them announced on every run, named in the subject", r.Publish, r.Subject)
	}
	o.Counts.LastUsedUnknown, o.Counts.Unchecked = 0, 1
	if r, _ := NewOrgReport(o, Policy{MaxAgeDays: 90}, ledgerT0, false); !r.Publish || r.Subject != "IAM keys in 2 accounts: 1 user unchecked" {
		t.Errorf("a user not read: publish %v, subject %q; want it announced on every run, named in the subject", r.Publish, r.Subject)
	}
}

// TestAccountChangesFit: the changes of an account with many findings of the longest kind and
// a summary full of unchecked users fit MaxAccountSummaryBytes + MaxAccountChangesBytes
// together, with exact counts; with room, they list findings.
func TestAccountChangesFit(t *testing.T) {
	long := strings.Repeat("\"", 64)
	var c Changes
	for i := range 300 {
		f := ledgerFinding(fmt.Sprintf("AKIA%016d", i), long, SeverityStale)
		f.Kinds = []string{KindStale, KindUnused}
		c.New = append(c.New, Announced{Finding: f, Reason: ReasonExemptionExpired, FirstSeen: timestampAt(ledgerT0)})
		c.Reminders = append(c.Reminders, Announced{Finding: f, Reason: ReasonReminder, Reminded: 99})
		c.Resolved = append(c.Resolved, Resolved{UserName: long, AccessKeyID: f.AccessKeyID, Severity: SeverityStale})
	}
	var full Summary
	for range 200 {
		full.UncheckedUsers = append(full.UncheckedUsers, UncheckedUser{UserName: long, Error: long})
	}
	full.Unchecked = 200
	if _, err := full.Trim(MaxAccountSummaryBytes); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]Summary{"empty summary": {}, "full summary": full} {
		t.Run(name, func(t *testing.T) {
			size, _ := jsonSize(s)
			ch, err := newAccountChanges(c, max(MaxAccountSummaryBytes-size, 0)+MaxAccountChangesBytes)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := jsonSize(ch)
			if size+n > MaxAccountSummaryBytes+MaxAccountChangesBytes {
				t.Errorf("summary %d + changes %d bytes, want at most %d", size, n, MaxAccountSummaryBytes+MaxAccountChangesBytes)
			}
			if ch.NewCount != 300 || ch.ReminderCount != 300 || ch.ResolvedCount != 300 {
				t.Errorf("counts %d/%d/%d, want 300 each (exact)", ch.NewCount, ch.ReminderCount, ch.ResolvedCount)
			}
			if name == "empty summary" && len(ch.New) == 0 {
				t.Errorf("no finding listed with %d bytes of room", MaxAccountSummaryBytes-size)
			}
		})
	}
}

// TestMergeAccountsCommitsBounded: at most MaxCommits accounts are committed; their root
// verdict keeps its status only.
func TestMergeAccountsCommitsBounded(t *testing.T) {
	var o OrgSummary
	for p := range MaxCommits/AccountsPerPage + 1 {
		var page []AccountResult
		for i := range AccountsPerPage {
			page = append(page, AccountResult{Target: Target{ID: fmt.Sprintf("%012d", p*AccountsPerPage+i)}, Status: AccountChecked,
				Summary: &Summary{Root: &RootCheck{Status: RootUnchecked, Cause: strings.Repeat("c", 500)}}, Changes: &AccountChanges{NewCount: 1}})
		}
		var err error
		if o, err = MergeAccounts(o, page, testAccount); err != nil {
			t.Fatal(err)
		}
	}
	if len(o.Commits) != MaxCommits || o.Commits[0].Root.Cause != "" || o.Commits[0].Root.Status != RootUnchecked {
		t.Errorf("%d commits (first %+v), want %d with the root status only", len(o.Commits), o.Commits[0], MaxCommits)
	}
	if n, _ := jsonSize(o); n > MaxOrgSummaryBytes {
		t.Errorf("the summary is %d bytes, want at most %d", n, MaxOrgSummaryBytes)
	}
}

// orgLedgerRunMany runs an organization run that remembers over accounts (the deploying one
// excluded) through the handler, each account with the users users gives it: op check and op
// account per account, op mergeAccounts per page, op report, and op commit for each account the
// report lists. The function's clock is the run's now.
func orgLedgerRunMany(t *testing.T, m *memLedger, run, now string, accounts []string, users func(string) []UserKeys) (OrgSummary, Report) {
	t.Helper()
	at := ParseTimestamp(now)
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m, Clock: at.Time}
	lr := &LedgerRun{Run: run, RemindEveryDays: 7, RetentionDays: 90}
	p := Policy{MaxAgeDays: 90}
	org := OrgSummary{}
	for page := range slices.Chunk(accounts, AccountsPerPage) {
		var results []AccountResult
		for _, a := range page {
			s := invoke[Summary](t, h, Event{Op: OpCheck, Now: at, Policy: p, Account: a, Users: users(a), Ledger: lr})
			results = append(results, invoke[AccountResult](t, h, Event{Op: OpAccount, Now: at, Policy: p, Account: a, Target: &Target{ID: a}, Summary: &s, Ledger: lr}))
		}
		org = invoke[OrgSummary](t, h, Event{Op: OpMergeAccounts, Now: at, Policy: p, Account: testAccount, DeployingExcluded: true, Org: &org,
			Accounts: results, Ledger: lr})
	}
	r := invoke[Report](t, h, Event{Op: OpReport, Now: at, Policy: p, Account: testAccount, Org: &org, Ledger: lr})
	for _, c := range r.Commits {
		cm := *r.Commit
		cm.Root = c.Root
		invoke[struct{}](t, h, Event{Op: OpCommit, Now: cm.Now, Policy: p, Account: c.Account, Commit: &cm})
	}
	return org, r
}

// TestOrganizationLedgerBacklogClears: only accounts with something to record are committed,
// so that MaxCommits bounds the accounts with changes: of MaxCommits+1 accounts with a new
// finding, the first run records MaxCommits; the next day, the others being quiet, the last
// one is announced again and recorded; the day after, nothing is new.
func TestOrganizationLedgerBacklogClears(t *testing.T) {
	m := newMemLedger()
	accounts := make([]string, MaxCommits+1)
	for i := range accounts {
		accounts[i] = fmt.Sprintf("%012d", 300000000000+i)
	}
	users := func(a string) []UserKeys { return []UserKeys{staleUser("u", "AKIA"+a)} }
	last := accounts[MaxCommits]
	org, r := orgLedgerRunMany(t, m, "run-1", "2026-03-01T08:00:00Z", accounts, users)
	if org.Changes.New != MaxCommits+1 || len(r.Commits) != MaxCommits || len(m.entries) != MaxCommits {
		t.Fatalf("run 1: %d new, %d commits, %d entries; want %d new, %d commits and entries", org.Changes.New, len(r.Commits), len(m.entries), MaxCommits+1, MaxCommits)
	}
	org, r = orgLedgerRunMany(t, m, "run-2", "2026-03-02T08:00:00Z", accounts, users)
	if org.Changes.New != 1 || org.Changes.Quiet != MaxCommits || len(r.Commits) != 1 || r.Commits[0].Account != last {
		t.Errorf("run 2: changes %+v, commits %v; want account %s new and its commit alone, %d quiet", org.Changes, r.Commits, last, MaxCommits)
	}
	if _, ok := m.entries[last+"AKIA"+last]; !ok || len(m.entries) != MaxCommits+1 {
		t.Errorf("run 2: %d entries, account %s's recorded %v; want %d, the last account's too", len(m.entries), last, ok, MaxCommits+1)
	}
	org, r = orgLedgerRunMany(t, m, "run-3", "2026-03-03T08:00:00Z", accounts, users)
	if org.Changes.New != 0 || r.Publish || len(r.Commits) != 0 {
		t.Errorf("run 3: changes %+v, publish %v (%q), %d commits; want nothing new, nothing published or committed", org.Changes, r.Publish, r.Subject, len(r.Commits))
	}
}
