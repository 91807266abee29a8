package agecheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// memLedger is a Ledger in memory that records the calls made.
type memLedger struct {
	mu      sync.Mutex
	entries map[string]Entry // by account + key
	obs     map[string]*Observations
	lease   map[string]string    // account -> run
	until   map[string]time.Time // account -> when its lease expires (absent: never)
	mails   map[string]bool      // account + run + owner: the mail claims
	taken   []string             // each Acquire's now and until
	calls   []string
	failOn  string // a method that fails
}

func newMemLedger() *memLedger {
	return &memLedger{entries: map[string]Entry{}, obs: map[string]*Observations{}, lease: map[string]string{}, until: map[string]time.Time{},
		mails: map[string]bool{}}
}

func (m *memLedger) call(name string) error {
	m.calls = append(m.calls, name)
	if m.failOn == name {
		return errors.New(name + " failed")
	}
	return nil
}

func (m *memLedger) Observe(_ context.Context, account, run string, findings []Finding, unchecked, unreadKeys []string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("Observe"); err != nil {
		return err
	}
	o := m.obs[account+run]
	if o == nil {
		o = &Observations{}
		m.obs[account+run] = o
	}
	o.Findings = append(o.Findings, findings...)
	o.UncheckedUsers = append(o.UncheckedUsers, unchecked...)
	o.UnreadKeys = append(o.UnreadKeys, unreadKeys...)
	return nil
}

func (m *memLedger) Acquire(_ context.Context, account, run string, now, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("Acquire"); err != nil {
		return err
	}
	m.taken = append(m.taken, formatTime(now)+" "+formatTime(until))
	if held, ok := m.lease[account]; ok && held != run {
		if u, timed := m.until[account]; !timed || now.Before(u) {
			return fmt.Errorf("held by %s: %w", held, ErrLedgerBusy)
		}
	}
	m.lease[account], m.until[account] = run, until
	return nil
}

func (m *memLedger) Load(_ context.Context, account, run string) ([]Entry, Observations, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("Load"); err != nil {
		return nil, Observations{}, err
	}
	var es []Entry
	for _, e := range m.entries {
		if e.Account == account {
			es = append(es, e)
		}
	}
	var o Observations
	if p := m.obs[account+run]; p != nil {
		o = *p
	}
	return es, o, nil
}

func (m *memLedger) Save(_ context.Context, entries []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("Save"); err != nil {
		return err
	}
	for _, e := range entries {
		m.entries[e.Account+e.Key] = e
	}
	return nil
}

func (m *memLedger) Hold(_ context.Context, account, run string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("Hold"); err != nil {
		return err
	}
	m.taken = append(m.taken, "hold until "+formatTime(until))
	if m.lease[account] != run {
		return fmt.Errorf("held by %q: %w", m.lease[account], ErrLeaseLost)
	}
	m.until[account] = until
	return nil
}

func (m *memLedger) ClaimMail(_ context.Context, account, run, owner string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("ClaimMail"); err != nil {
		return err
	}
	if m.mails[account+run+owner] {
		return fmt.Errorf("mail to %s: %w", owner, ErrMailClaimed)
	}
	m.mails[account+run+owner] = true
	return nil
}

func (m *memLedger) UnclaimMail(_ context.Context, account, run, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("UnclaimMail"); err != nil {
		return err
	}
	delete(m.mails, account+run+owner)
	return nil
}

func (m *memLedger) Release(_ context.Context, account, run string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.call("Release"); err != nil {
		return err
	}
	delete(m.lease, account)
	return nil
}

// ledgerRun runs check, report and (when the report asks for it) commit for users as of now,
// and returns the report.
func ledgerRun(t *testing.T, h *Handler, run string, users []UserKeys, now string, test bool) Report {
	t.Helper()
	return ledgerRunWith(t, h, Policy{MaxAgeDays: 90}, run, users, now, test)
}

// ledgerRunPolicy is ledgerRun of a scheduled run with policy p.
func ledgerRunPolicy(t *testing.T, h *Handler, p Policy, run string, users []UserKeys, now string) Report {
	t.Helper()
	return ledgerRunWith(t, h, p, run, users, now, false)
}

func ledgerRunWith(t *testing.T, h *Handler, p Policy, run string, users []UserKeys, now string, test bool) Report {
	t.Helper()
	lr := &LedgerRun{Run: run, RemindEveryDays: 7, RetentionDays: 90}
	check, _ := json.Marshal(Event{Op: OpCheck, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Users: users, Ledger: lr})
	out, err := h.Invoke(context.Background(), check)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	var s Summary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	report, _ := json.Marshal(Event{Op: OpReport, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Summary: &s, Ledger: lr, Test: test})
	if out, err = h.Invoke(context.Background(), report); err != nil {
		t.Fatalf("report: %v", err)
	}
	var r Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if r.Commit != nil {
		commit, _ := json.Marshal(Event{Op: OpCommit, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Commit: r.Commit})
		if _, err := h.Invoke(context.Background(), commit); err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	return r
}

func staleUser(name, key string) UserKeys {
	return UserKeys{UserName: name, Keys: []AccessKey{{AccessKeyID: key, Status: "Active", CreateDate: ParseTimestamp("2025-01-01T00:00:00Z")}}}
}

func TestHandlerAnnouncesChanges(t *testing.T) {
	m := newMemLedger()
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m}
	users := []UserKeys{staleUser("a", "AKIA1"), staleUser("b", "AKIA2")}
	if r := ledgerRun(t, h, "run-1", users, "2026-03-01T08:00:00Z", false); !r.Publish || r.Subject != "2 new IAM access key findings, in 123456789012" {
		t.Errorf("first run: got publish %v, subject %q; want 2 new", r.Publish, r.Subject)
	}
	if r := ledgerRun(t, h, "run-2", users, "2026-03-02T08:00:00Z", false); r.Publish {
		t.Errorf("second run, nothing changed: got a publish (%q), want none", r.Subject)
	}
	if r := ledgerRun(t, h, "test", users, "2026-03-02T09:00:00Z", true); !r.Publish || !r.Test || r.Commit != nil {
		t.Errorf("test run: got %+v, want a test publish without commit", r)
	}
	users[1] = UserKeys{UserName: "b"} // AKIA2 deleted
	if r := ledgerRun(t, h, "run-3", users, "2026-03-03T08:00:00Z", false); r.Subject != "No new IAM access key findings, 1 resolved, in 123456789012" {
		t.Errorf("key deleted: got subject %q, want it resolved", r.Subject)
	}
	if r := ledgerRun(t, h, "run-4", users, "2026-03-08T08:00:00Z", false); r.Subject != "No new IAM access key findings, 1 reminder, in 123456789012" {
		t.Errorf("a week after: got subject %q, want a reminder of AKIA1 only (AKIA2's resolution said once)", r.Subject)
	}
	if len(m.lease) != 0 {
		t.Errorf("leases left: %v", m.lease)
	}
}

func TestHandlerTestRunNeverTouchesTheLedgerOnReport(t *testing.T) {
	m := newMemLedger()
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m}
	ledgerRun(t, h, "test", []UserKeys{staleUser("a", "AKIA1")}, "2026-03-01T08:00:00Z", true)
	// The state machine gives a test run's events no ledger at all (workflow's IsTestRun); should
	// one carry a ledger anyway, its check observes (keyed by the run, read by nobody else) and
	// nothing else is called.
	if got := strings.Join(m.calls, ","); got != "Observe" {
		t.Errorf("ledger calls of a test run: %s, want Observe only (no lease, no entries)", got)
	}
	if len(m.entries) != 0 {
		t.Errorf("a test run wrote entries: %v", m.entries)
	}
}

func TestHandlerLedgerBusyAnnouncesEverything(t *testing.T) {
	m := newMemLedger()
	m.lease[testAccount] = "scheduled"
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m}
	r := ledgerRun(t, h, "manual", []UserKeys{staleUser("a", "AKIA1")}, "2026-03-01T08:00:00Z", false)
	if !r.Publish || r.Commit != nil || r.Subject != "1 IAM access key older than 90 days, in 123456789012" {
		t.Errorf("got publish %v, commit %v, subject %q; want every finding announced, no commit", r.Publish, r.Commit, r.Subject)
	}
	if len(m.entries) != 0 || m.lease[testAccount] != "scheduled" {
		t.Errorf("the busy run wrote entries %v or touched the lease %v", m.entries, m.lease)
	}
}

func TestHandlerNoCommitNoAnnouncement(t *testing.T) {
	// A publish that fails for good: the state machine never calls commit, and the next run
	// announces the same findings again.
	m := newMemLedger()
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m}
	lr := &LedgerRun{Run: "run-1", RemindEveryDays: 7, RetentionDays: 90}
	check, _ := json.Marshal(Event{Op: OpCheck, Now: ParseTimestamp("2026-03-01T08:00:00Z"), Policy: Policy{MaxAgeDays: 90}, Account: testAccount,
		Users: []UserKeys{staleUser("a", "AKIA1")}, Ledger: lr})
	out, err := h.Invoke(context.Background(), check)
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	_ = json.Unmarshal(out, &s)
	report, _ := json.Marshal(Event{Op: OpReport, Now: ParseTimestamp("2026-03-01T08:00:00Z"), Policy: Policy{MaxAgeDays: 90}, Account: testAccount, Summary: &s, Ledger: lr})
	if _, err := h.Invoke(context.Background(), report); err != nil {
		t.Fatal(err)
	}
	delete(m.lease, testAccount) // expired
	if r := ledgerRun(t, h, "run-2", []UserKeys{staleUser("a", "AKIA1")}, "2026-03-02T08:00:00Z", false); r.Subject != "1 new IAM access key finding, in 123456789012" {
		t.Errorf("after a run without commit: got %q, want the finding announced again as new", r.Subject)
	}
}

func TestHandlerLedgerErrors(t *testing.T) {
	lr := &LedgerRun{Run: "r", RemindEveryDays: 7, RetentionDays: 90}
	check, _ := json.Marshal(Event{Op: OpCheck, Now: ParseTimestamp("2026-03-01T08:00:00Z"), Policy: Policy{MaxAgeDays: 90}, Account: testAccount,
		Users: []UserKeys{staleUser("a", "AKIA1")}, Ledger: lr})
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if _, err := h.Invoke(context.Background(), check); !errors.Is(err, errNoLedger) {
		t.Errorf("no ledger configured: got %v, want errNoLedger", err)
	}
	m := newMemLedger()
	m.failOn = "Observe"
	h.Ledger = m
	if _, err := h.Invoke(context.Background(), check); err == nil || !strings.Contains(err.Error(), `record 1 findings, 0 unchecked users and 0 unread keys of run "r"`) {
		t.Errorf("observe failing: got %v, want the check to fail naming what it recorded", err)
	}
}

func TestValidateLedger(t *testing.T) {
	ev := `{"op":"commit","now":"2026-03-01T08:00:00Z","policy":{"maxAgeDays":90},"account":"123456789012",` +
		`"ledger":{"run":"","remindEveryDays":0,"retentionDays":4000},"commit":{"now":"yesterday","ledger":{"run":"r","remindEveryDays":7,"retentionDays":90}}}`
	_, err := Decode([]byte(ev))
	for _, want := range []string{`ledger.run is ""`, "ledger.remindEveryDays is 0, want an integer from 1 to 365",
		"ledger.retentionDays is 4000, want an integer from 1 to 3650", `commit.now is "yesterday"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want it to contain %q", err, want)
		}
	}
	if _, err := Decode([]byte(`{"op":"commit","now":"2026-03-01T08:00:00Z","policy":{"maxAgeDays":90},"account":"123456789012"}`)); err == nil ||
		!strings.Contains(err.Error(), "commit is absent") {
		t.Errorf("commit without its report's commit: got %v", err)
	}
}

// TestHandlerChangesDigestListsExemptions: with notify: changes, the digest lists every
// exemption with the keys it hid and its end, as every-run's message does.
func TestHandlerChangesDigestListsExemptions(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: newMemLedger()}
	p := Policy{MaxAgeDays: 90, Exemptions: []Exemption{{Users: []string{"svc-*"}, Reason: "migration", Until: ParseDate("2026-03-05")}}}
	r := ledgerRunPolicy(t, h, p, "run-1", []UserKeys{staleUser("a", "AKIA1"), staleUser("svc-x", "AKIA2")}, "2026-03-01T08:00:00Z")
	m, b := decodeMessage(t, r)
	if b.Exemptions == nil || len(b.Exemptions.Exemptions) != 1 || b.Exemptions.Exemptions[0].Keys != 1 ||
		b.Exemptions.Exemptions[0].Status != ExemptionEndingSoon || b.Changes == nil {
		t.Errorf("changes digest's exemptions: %+v, want svc-* ending soon, hiding 1 key", b.Exemptions)
	}
	for _, want := range []string{
		"\n  svc-*: 1 key; until 2026-03-05 (4 days left); reason: migration\n",
		"Ending within 14 days: svc-* on 2026-03-05.",
	} {
		if !strings.Contains(m.Email, want) {
			t.Errorf("changes email lacks %q:\n%s", want, m.Email)
		}
	}
}

// TestHandlerLastUseUnknownNeverResolves: a finding whose key's last use cannot be looked up in a
// later run (and is no other finding) is neither resolved nor counted compliant, and the run
// still publishes; once the lookup works again, the key is not new (its entry stayed open).
func TestHandlerLastUseUnknownNeverResolves(t *testing.T) {
	m := newMemLedger()
	fail := false
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m,
		LastUsed: func(ctx context.Context, u, k string) (LastUsed, error) {
			if fail {
				return LastUsed{}, errors.New("throttled")
			}
			return LastUsed{Date: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), ServiceName: "s3", Region: "us-east-1"}, nil
		}}
	p := Policy{MaxAgeDays: 90, UnusedDays: 45}
	users := []UserKeys{{UserName: "a", Keys: []AccessKey{{AccessKeyID: "AKIA1", Status: "Active", CreateDate: ParseTimestamp("2026-01-01T00:00:00Z")}}}}
	if r := ledgerRunPolicy(t, h, p, "run-1", users, "2026-03-01T08:00:00Z"); r.Subject != "1 new IAM access key finding, in 123456789012" {
		t.Fatalf("run 1: subject %q, want AKIA1 new (unused)", r.Subject)
	}
	fail = true
	r := ledgerRunPolicy(t, h, p, "run-2", users, "2026-03-02T08:00:00Z")
	if r.Subject != "1 last use unknown, in 123456789012" {
		t.Errorf("run 2, lookup failing: subject %q, want the unknown last use announced and nothing resolved", r.Subject)
	}
	_, b := decodeMessage(t, r)
	if b.Counts.Compliant != 0 || b.Counts.LastUsedUnknown != 1 || b.Changes == nil || b.Changes.ResolvedCount != 0 {
		t.Errorf("run 2: counts %+v, changes %+v; want 0 compliant, 1 last use unknown, 0 resolved", b.Counts, b.Changes)
	}
	if e := m.entries[testAccount+"AKIA1"]; !e.ResolvedAt.IsZero() {
		t.Errorf("run 2 resolved AKIA1's entry: %+v", e)
	}
	fail = false
	if r := ledgerRunPolicy(t, h, p, "run-3", users, "2026-03-03T08:00:00Z"); r.Publish {
		t.Errorf("run 3, lookup working again: published %q, want nothing (AKIA1 announced 2 days ago, still open)", r.Subject)
	}
}

// TestHandlerLeaseTimedByTheClock: the report and the commit take the lease for LeaseDuration
// from the function's clock, not from the run's "now" (here a slot 2 hours past).
func TestHandlerLeaseTimedByTheClock(t *testing.T) {
	m := newMemLedger()
	clock := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m, Clock: func() time.Time { return clock }}
	ledgerRun(t, h, "run-1", []UserKeys{staleUser("a", "AKIA1")}, "2026-03-01T08:00:00Z", false)
	want, hold := "2026-03-01T10:00:00Z 2026-03-01T10:15:00Z", "hold until 2026-03-01T10:15:00Z"
	if len(m.taken) != 2 || m.taken[0] != want || m.taken[1] != hold {
		t.Errorf("leases taken (now until): %q, want [%q %q] (report, then commit)", m.taken, want, hold)
	}
}

// TestHandlerCommitWithoutTheLeaseWritesNothing: a run whose lease expired and was taken by
// another run between its report and its commit records nothing, logs it, does not fail, and
// leaves the other run's lease alone; so too when the other run released it since.
func TestHandlerCommitWithoutTheLeaseWritesNothing(t *testing.T) {
	m := newMemLedger()
	var logs strings.Builder
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Ledger: m}
	p := Policy{MaxAgeDays: 90}
	lr := &LedgerRun{Run: "slow", RemindEveryDays: 7, RetentionDays: 90}
	now := ParseTimestamp("2026-03-01T08:00:00Z")
	check, _ := json.Marshal(Event{Op: OpCheck, Now: now, Policy: p, Account: testAccount, Users: []UserKeys{staleUser("a", "AKIA1")}, Ledger: lr})
	out, err := h.Invoke(context.Background(), check)
	if err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	report, _ := json.Marshal(Event{Op: OpReport, Now: now, Policy: p, Account: testAccount, Summary: &s, Ledger: lr})
	if out, err = h.Invoke(context.Background(), report); err != nil {
		t.Fatal(err)
	}
	var r Report
	if err := json.Unmarshal(out, &r); err != nil || r.Commit == nil {
		t.Fatalf("report: %v, commit %v", err, r.Commit)
	}
	m.lease[testAccount] = "next" // the lease expired and another run took it
	commit, _ := json.Marshal(Event{Op: OpCommit, Now: now, Policy: p, Account: testAccount, Commit: r.Commit})
	if _, err = h.Invoke(context.Background(), commit); err != nil {
		t.Errorf("commit without the lease: got %v, want nothing recorded and no error", err)
	}
	if len(m.entries) != 0 || m.lease[testAccount] != "next" {
		t.Errorf("commit without the lease wrote %v or touched the lease (%q)", m.entries, m.lease[testAccount])
	}
	if !strings.Contains(logs.String(), `"msg":"`+LeaseLostLogMessage+`"`) || !strings.Contains(logs.String(), `"run":"slow"`) {
		t.Errorf("logs %s, want %q for run slow", logs.String(), LeaseLostLogMessage)
	}
	delete(m.lease, testAccount) // the other run released it
	if _, err = h.Invoke(context.Background(), commit); err != nil || len(m.entries) != 0 || len(m.lease) != 0 {
		t.Errorf("commit after the other run released the lease: error %v, entries %v, leases %v; want nothing recorded or taken", err, m.entries, m.lease)
	}
	m.lease[testAccount] = "slow" // its own lease, expired but taken by no one: the commit records
	if _, err = h.Invoke(context.Background(), commit); err != nil || len(m.entries) != 1 || len(m.lease) != 0 {
		t.Errorf("commit under its own expired lease: error %v, entries %v, leases %v; want AKIA1 recorded and the lease released", err, m.entries, m.lease)
	}
}

// TestHandlerResolvedSaysWhy: a finding whose user became exempt is resolved "exempted by" the
// exemption, not as rotated; a key deleted is resolved as rotated, deactivated or deleted.
func TestHandlerResolvedSaysWhy(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: newMemLedger()}
	users := []UserKeys{staleUser("svc-x", "AKIA2"), staleUser("bob", "AKIA3")}
	p := Policy{MaxAgeDays: 90}
	ledgerRunPolicy(t, h, p, "run-1", users, "2026-03-01T08:00:00Z")
	p.Exemptions = []Exemption{{Users: []string{"svc-*"}, Reason: "migration", Until: ParseDate("2026-03-20")}}
	users[1] = UserKeys{UserName: "bob"} // AKIA3 deleted
	r := ledgerRunPolicy(t, h, p, "run-2", users, "2026-03-02T08:00:00Z")
	m, b := decodeMessage(t, r)
	want := map[string]string{"AKIA2": "exempted by svc-* (until 2026-03-20; reason: migration)", "AKIA3": ResolvedGone}
	if b.Changes == nil || len(b.Changes.Resolved) != 2 {
		t.Fatalf("changes %+v, want 2 resolved", b.Changes)
	}
	for _, res := range b.Changes.Resolved {
		if res.Reason != want[res.AccessKeyID] {
			t.Errorf("%s resolved as %q, want %q", res.AccessKeyID, res.Reason, want[res.AccessKeyID])
		}
		line := fmt.Sprintf("  %s %s (was stale, first seen 2026-03-01): %s\n", res.UserName, res.AccessKeyID, want[res.AccessKeyID])
		if !strings.Contains(m.Email, line) {
			t.Errorf("email lacks %q:\n%s", line, m.Email)
		}
	}
}

func TestExplainResolved(t *testing.T) {
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	p := Policy{MaxAgeDays: 90, ExemptUsers: []string{"Legacy"},
		Exemptions: []Exemption{{Users: []string{"svc-*"}, Reason: "m", Until: ParseDate("2026-03-01")}, {Users: []string{"ops"}, Reason: "r"}}}
	s := Summary{ExemptionTally: ExemptionTally{TagExemptions: []TagExemption{
		{UserName: "carol", Status: TagExemptionHolds, Until: "2026-03-10", Reason: "leave"},
		{UserName: "dave", Status: TagExemptionRefused, Until: "2027-03-10", Reason: "too long"},
	}}}
	list := []Resolved{{UserName: "svc-x", AccessKeyID: "A1"}, {UserName: "ops", AccessKeyID: "A2"}, {UserName: "legacy", AccessKeyID: "A3"},
		{UserName: "carol", AccessKeyID: "A4"}, {UserName: "dave", AccessKeyID: "A5"}, {UserName: rootUserName, AccessKeyID: RootKey}}
	explainResolved(list, s, p, now)
	want := []string{
		ResolvedGone, // svc-*'s exemption ended the day before
		"exempted by ops (no end; reason: r)",
		"exempted by exemptUsers Legacy (deprecated: no reason, no end)",
		"exempted by tag keyage-exempt-until 2026-03-10 (reason: leave)",
		ResolvedGone, // a refused tag exemption exempts nothing
		ResolvedGone,
	}
	for i, r := range list {
		if r.Reason != want[i] {
			t.Errorf("%s (%s): reason %q, want %q", r.AccessKeyID, r.UserName, r.Reason, want[i])
		}
	}
}

// TestHandlerQuietReportReleasesTheLease: a report with nothing to record (only quiet findings)
// has no commit and releases the account's lease at once, so that a run soon after (by the
// function's clock) finds it free and reports changes, not everything.
func TestHandlerQuietReportReleasesTheLease(t *testing.T) {
	m := newMemLedger()
	clock := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m, Clock: func() time.Time { return clock }}
	users := []UserKeys{staleUser("a", "AKIA1")}
	ledgerRun(t, h, "run-1", users, "2026-03-01T08:00:00Z", false)
	r := ledgerRun(t, h, "run-2", users, "2026-03-02T08:00:00Z", false)
	if r.Commit != nil || r.Publish || len(m.lease) != 0 {
		t.Errorf("quiet run: commit %+v, publish %v, leases %v; want no commit, nothing published, the lease released", r.Commit, r.Publish, m.lease)
	}
	clock = clock.Add(time.Minute) // a manual run a minute later
	if r := ledgerRun(t, h, "run-3", users, "2026-03-02T08:01:00Z", false); r.Publish || r.Commit != nil {
		t.Errorf("a run a minute later: publish %v (%q), want nothing (the lease was free: changes, not everything)", r.Publish, r.Subject)
	}
}
