package agecheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/golden"
)

// ownersLedgerRun runs check, report and (when the report asks for it) commit of a run that
// remembers, with owners o, and returns the report.
func ownersLedgerRun(t *testing.T, h *Handler, o *Owners, run string, users []UserKeys, now string) Report {
	t.Helper()
	p := Policy{MaxAgeDays: 90}
	lr := &LedgerRun{Run: run, RemindEveryDays: 7, RetentionDays: 90}
	invoke := func(ev Event, out any) {
		t.Helper()
		payload, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		b, err := h.Invoke(context.Background(), payload)
		if err != nil {
			t.Fatalf("%s: %v", ev.Op, err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s result %s: %v", ev.Op, b, err)
		}
	}
	var s Summary
	invoke(Event{Op: OpCheck, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Users: users, Ledger: lr, Owners: o}, &s)
	var r Report
	invoke(Event{Op: OpReport, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Summary: &s, Ledger: lr, Owners: o}, &r)
	if r.Commit != nil {
		var done struct{}
		invoke(Event{Op: OpCommit, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Commit: r.Commit}, &done)
	}
	return r
}

// ownerTagsOf is a UserTagsFunc over a map user -> owner ("" for a user without an owner tag).
func ownerTagsOf(owners map[string]string) UserTagsFunc {
	return func(_ context.Context, user string) (map[string]string, error) {
		if o := owners[user]; o != "" {
			return map[string]string{"owner": o}, nil
		}
		return map[string]string{}, nil
	}
}

// told is what each owner's message lists: owner -> "AKIA.. why" lines, from the message text.
func told(t *testing.T, r Report, keys []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, m := range r.OwnerMessages {
		for _, line := range strings.Split(m.Message, "\n") {
			for _, k := range keys {
				if strings.Contains(line, k) {
					out[m.Owner] = append(out[m.Owner], k+" "+strings.Fields(line)[0])
				}
			}
		}
	}
	return out
}

// TestHandlerOwnersFollowTheLedger: with notify: changes, each owner is told the new findings
// and the due reminders of their own keys only, and nothing when none changed or is due; a
// rotated key is in nobody's next message; a new key goes to its owner alone.
func TestHandlerOwnersFollowTheLedger(t *testing.T) {
	owners := map[string]string{"a": "team-a", "b": "team-a", "c": "team-b", "e": "alice@example.com"}
	var mailed []string
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: newMemLedger(), UserTags: ownerTagsOf(owners),
		Wait: skipWait,
		OwnerMail: func(_ context.Context, _ OwnerEmail, m OwnerMail) error {
			mailed = append(mailed, m.To+": "+m.Subject)
			return nil
		}}
	o := &Owners{TagKeys: []string{"owner"}, MaxMessages: 10, Email: &OwnerEmail{From: "keyage@example.com"}}
	users := []UserKeys{staleUser("a", "AKIA1"), staleUser("b", "AKIA2"), staleUser("c", "AKIA3"), staleUser("d", "AKIA4"), staleUser("e", "AKIA5")}
	keys := []string{"AKIA1", "AKIA2", "AKIA3", "AKIA4", "AKIA5", "AKIA6"}
	steps := []struct {
		name   string
		change func()
		now    string
		want   map[string][]string
		mailed []string
		dQuiet bool // d's ownerless key was announced before and is not due
	}{
		{name: "first run: every owner gets their own keys, as new", now: "2026-03-01T08:00:00Z",
			want:   map[string][]string{"team-a": {"AKIA1 new", "AKIA2 new"}, "team-b": {"AKIA3 new"}, "alice@example.com": {"AKIA5 new"}},
			mailed: []string{"alice@example.com: alice@example.com: 1 IAM access key needs action in 123456789012"}},
		{name: "nothing changed: no owner message, no mail", now: "2026-03-02T08:00:00Z", want: map[string][]string{}},
		{name: "a key rotated, reminders due: only the due keys, the rotated one in nobody's", now: "2026-03-08T08:00:00Z",
			change: func() { users[1] = UserKeys{UserName: "b"} },
			want:   map[string][]string{"team-a": {"AKIA1 reminder"}, "team-b": {"AKIA3 reminder"}, "alice@example.com": {"AKIA5 reminder"}},
			mailed: []string{"alice@example.com: alice@example.com: 1 IAM access key needs action in 123456789012"}},
		{name: "a new key: its owner alone, the others are not due", now: "2026-03-09T08:00:00Z",
			change: func() { users[2].Keys = append(users[2].Keys, staleUser("c", "AKIA6").Keys...) },
			want:   map[string][]string{"team-b": {"AKIA6 new"}}, dQuiet: true},
	}
	for _, st := range steps {
		if st.change != nil {
			st.change()
		}
		mailed = nil
		r := ownersLedgerRun(t, h, o, "run-"+st.now, users, st.now)
		if got := told(t, r, keys); fmt.Sprint(got) != fmt.Sprint(st.want) {
			t.Errorf("%s: owners told %v, want %v", st.name, got, st.want)
		}
		if !slices.Equal(mailed, st.mailed) {
			t.Errorf("%s: mailed %q, want %q", st.name, mailed, st.mailed)
		}
		if len(r.OwnerMessages) > 0 {
			m, body := decodeMessage(t, r)
			if body.Owners == nil || body.Counts.NoOwner != 1 {
				t.Errorf("%s: the changes digest has owners %+v, noOwner %d, want its owner section with d's key", st.name, body.Owners, body.Counts.NoOwner)
			}
			// d's key is listed under "No owner" when the digest tells it, else counted apart.
			listed, quiet := strings.Contains(m.Email, "No owner: 1 key of users without an owner tag"),
				strings.Contains(m.Email, "No owner, announced before and not due (not listed here; counts.noOwner 1 includes them): 1 key.")
			if listed == st.dQuiet || quiet != st.dQuiet || (body.Changes.QuietNoOwnerCount == 1) != st.dQuiet {
				t.Errorf("%s: no-owner line listed %v, quiet %v (quietNoOwnerCount %d); want d's key quiet %v:\n%s",
					st.name, listed, quiet, body.Changes.QuietNoOwnerCount, st.dQuiet, m.Email)
			}
		}
	}
}

// TestHandlerOwnersLedgerIsExact: an owner's message counts every one of their new keys, also
// beyond what the trimmed summary carries: the groups come from the run's observations.
func TestHandlerOwnersLedgerIsExact(t *testing.T) {
	const n = 1000
	users := make([]UserKeys, n)
	owners := map[string]string{}
	for i := range users {
		users[i] = staleUser(fmt.Sprintf("user-%04d", i), fmt.Sprintf("AKIAEXAMPLE%09d", i))
		owners[users[i].UserName] = "team-big"
		if i%10 == 0 {
			owners[users[i].UserName] = "team-small"
		}
	}
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: newMemLedger(), UserTags: ownerTagsOf(owners)}
	r := ownersLedgerRun(t, h, &Owners{TagKeys: []string{"owner"}, MaxMessages: 10}, "run-1", users, "2026-03-01T08:00:00Z")
	got := map[string]string{}
	for _, m := range r.OwnerMessages {
		got[m.Owner] = m.Subject
		if !strings.Contains(m.Message, "need action (") {
			t.Errorf("%s: message without its counts:\n%s", m.Owner, m.Message)
		}
	}
	want := map[string]string{
		"team-big":   "team-big: 900 IAM access keys need action in 123456789012",
		"team-small": "team-small: 100 IAM access keys need action in 123456789012",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got owner subjects %v, want %v (every key counted, not only the trimmed summary's)", got, want)
	}
	for _, m := range r.OwnerMessages {
		if m.Owner == "team-big" && (!strings.Contains(m.Message, "900 keys of yours need action (900 new)") ||
			!strings.Contains(m.Message, "Too many to list: below are the first ")) {
			t.Errorf("team-big's message does not count all 900 keys as new, or does not say it lists some:\n%.900s", m.Message)
		}
	}
	if size, _ := jsonSize(r); size > MaxMessageBytes+MaxOwnerMessagesBytes {
		t.Errorf("the report is %d bytes, over its bound", size)
	}
}

// TestHandlerObservedOwnersAreExact: with notify: every-run, a stack that reaches owners keeps
// the ledger for observations only (LedgerRun.ObserveOnly): each owner's message counts every
// one of their keys, beyond what the trimmed summary carries, and the run takes no lease and
// writes no entry; the digest tells every finding, as every-run does.
func TestHandlerObservedOwnersAreExact(t *testing.T) {
	const n = 1000
	users := make([]UserKeys, n)
	owners := map[string]string{}
	for i := range users {
		users[i] = staleUser(fmt.Sprintf("user-%04d", i), fmt.Sprintf("AKIAEXAMPLE%09d", i))
		owners[users[i].UserName] = "team-big"
	}
	m := newMemLedger()
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m, UserTags: ownerTagsOf(owners)}
	p := Policy{MaxAgeDays: 90}
	lr := &LedgerRun{Run: "run-1", RemindEveryDays: 7, RetentionDays: 90, ObserveOnly: true}
	o := &Owners{TagKeys: []string{"owner"}, MaxMessages: 10}
	now := ParseTimestamp("2026-03-01T08:00:00Z")
	var s Summary
	out, err := h.Invoke(context.Background(), mustJSON(t, Event{Op: OpCheck, Now: now, Policy: p, Account: testAccount, Users: users, Ledger: lr, Owners: o}))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if len(s.Findings) >= n {
		t.Fatalf("the summary lists %d findings: the test needs it trimmed below %d", len(s.Findings), n)
	}
	report := func() Report {
		t.Helper()
		out, err := h.Invoke(context.Background(), mustJSON(t, Event{Op: OpReport, Now: now, Policy: p, Account: testAccount, Summary: &s, Ledger: lr, Owners: o}))
		if err != nil {
			t.Fatal(err)
		}
		var r Report
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := report()
	if len(r.OwnerMessages) != 1 || r.OwnerMessages[0].Subject != "team-big: 1000 IAM access keys need action in 123456789012" ||
		strings.Contains(r.OwnerMessages[0].Message, "may miss some of yours") {
		t.Fatalf("got owner messages %+v, want team-big's counting all 1000 keys, complete", r.OwnerMessages)
	}
	if r.Commit != nil || r.Subject != "1000 IAM access keys older than 90 days, in 123456789012" {
		t.Errorf("got commit %+v, subject %q: want no commit and the every-run digest of all 1000", r.Commit, r.Subject)
	}
	if got := strings.Join(m.calls, ","); got != "Observe,Load" {
		t.Errorf("ledger calls: %s, want Observe,Load (no lease, no entry)", got)
	}
	// A retried check batch records its findings twice: each key is still told once.
	if _, err := h.Invoke(context.Background(), mustJSON(t, Event{Op: OpCheck, Now: now, Policy: p, Account: testAccount, Users: users[:10], Ledger: lr, Owners: o})); err != nil {
		t.Fatal(err)
	}
	if r := report(); len(r.OwnerMessages) != 1 || r.OwnerMessages[0].Subject != "team-big: 1000 IAM access keys need action in 123456789012" {
		t.Errorf("after a retried batch: got %+v, want each key counted once", r.OwnerMessages)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestHandlerRetriedReportMailsOnce: the report of a run that remembers is invoked again (the
// state machine retries it after its invocation failed): owners mailed by the first attempt are
// not mailed again, nor listed as unmailed; an owner whose send failed is unclaimed, listed as
// unmailed, and mailed by the retry.
func TestHandlerRetriedReportMailsOnce(t *testing.T) {
	for _, observeOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("observeOnly=%v", observeOnly), func(t *testing.T) {
			owners := map[string]string{"a": "alice@example.com", "b": "bob@example.com"}
			var mailed []string
			failBob := true
			h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: newMemLedger(), UserTags: ownerTagsOf(owners),
				Wait: skipWait,
				OwnerMail: func(_ context.Context, _ OwnerEmail, m OwnerMail) error {
					if m.To == "bob@example.com" && failBob {
						return fmt.Errorf("MessageRejected: not verified")
					}
					mailed = append(mailed, m.To)
					return nil
				}}
			o := &Owners{TagKeys: []string{"owner"}, Email: &OwnerEmail{From: "keyage@example.com"}}
			lr := &LedgerRun{Run: "run-1", RemindEveryDays: 7, RetentionDays: 90, ObserveOnly: observeOnly}
			now := ParseTimestamp("2026-03-01T08:00:00Z")
			p := Policy{MaxAgeDays: 90}
			var s Summary
			out, err := h.Invoke(context.Background(), mustJSON(t, Event{Op: OpCheck, Now: now, Policy: p, Account: testAccount,
				Users: []UserKeys{staleUser("a", "AKIA1"), staleUser("b", "AKIA2")}, Ledger: lr, Owners: o}))
			if err != nil {
				t.Fatal(err)
			}
			_ = json.Unmarshal(out, &s)
			report := func() *OwnerDigest {
				out, err := h.Invoke(context.Background(), mustJSON(t, Event{Op: OpReport, Now: now, Policy: p, Account: testAccount, Summary: &s, Ledger: lr, Owners: o}))
				if err != nil {
					t.Fatal(err)
				}
				var r Report
				_ = json.Unmarshal(out, &r)
				_, body := decodeMessage(t, r)
				return body.Owners
			}
			if d := report(); len(d.Unmailed) != 1 || d.Unmailed[0].Owner != "bob@example.com" || !slices.Equal(mailed, []string{"alice@example.com"}) {
				t.Fatalf("first attempt: mailed %v, unmailed %+v; want alice mailed, bob unmailed", mailed, d.Unmailed)
			}
			failBob = false
			if d := report(); len(d.Unmailed) != 0 || !slices.Equal(mailed, []string{"alice@example.com", "bob@example.com"}) {
				t.Errorf("retried report: mailed %v, unmailed %+v; want bob mailed now, alice not again, nobody unmailed", mailed, d.Unmailed)
			}
			if d := report(); len(d.Unmailed) != 0 || len(mailed) != 2 {
				t.Errorf("third attempt: mailed %v, unmailed %+v; want no more mail", mailed, d.Unmailed)
			}
		})
	}
}

// TestOwnerChangesMessageGolden: an owner's message in a run that remembers says how many keys
// are new and how many are reminders, and each row why (testdata/owner.changes.txt).
func TestOwnerChangesMessageGolden(t *testing.T) {
	s := ownersSummary()
	c := Changes{
		New:       []Announced{{Finding: s.Findings[3], Reason: ReasonNew}},
		Reminders: []Announced{{Finding: s.Findings[4], Reason: ReasonReminder, Reminded: 2}},
	}
	groups := groupChanges(c)
	if len(groups) != 1 || groups[0].owner != "team-a" {
		t.Fatalf("got groups %+v, want team-a's", groups)
	}
	m := ownerMessage(groups[0], 2, Policy{MaxAgeDays: 90, WarnAgeDays: 60}, testAccount, "2026-11-23T08:00:00Z", false)
	golden.Check(t, filepath.Join("testdata", "owner.changes.txt"), []byte(m.Message))
	html := ownerHTML(groups[0], Policy{MaxAgeDays: 90}, testAccount, "2026-11-23T08:00:00Z", false)
	if !strings.Contains(html, "<td>reminder 2</td>") || !strings.Contains(html, "(1 new, 1 reminder)") {
		t.Errorf("the HTML mail lacks the reasons and counts:\n%s", html)
	}
}

// TestHandlerLedgerBusyReachesNoOwner: a run that finds the lease held announces every finding
// in its digest, with the keys without an owner, and tells no owner: the holder does.
func TestHandlerLedgerBusyReachesNoOwner(t *testing.T) {
	m := newMemLedger()
	m.lease[testAccount] = "scheduled"
	var mailed []string
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: m,
		UserTags: ownerTagsOf(map[string]string{"a": "alice@example.com"}),
		Wait:     skipWait,
		OwnerMail: func(_ context.Context, _ OwnerEmail, ml OwnerMail) error {
			mailed = append(mailed, ml.To)
			return nil
		}}
	o := &Owners{TagKeys: []string{"owner"}, MaxMessages: 10, Email: &OwnerEmail{From: "keyage@example.com"}}
	r := ownersLedgerRun(t, h, o, "manual", []UserKeys{staleUser("a", "AKIA1"), staleUser("b", "AKIA2")}, "2026-03-01T08:00:00Z")
	if !r.Publish || r.Commit != nil || len(r.OwnerMessages) != 0 || len(mailed) != 0 {
		t.Fatalf("got publish %v, commit %v, owner messages %d, mailed %v; want the digest only", r.Publish, r.Commit, len(r.OwnerMessages), mailed)
	}
	m2, body := decodeMessage(t, r)
	if body.Owners == nil || body.Counts.NoOwner != 1 || !strings.Contains(m2.Email, "No owner: 1 key") {
		t.Errorf("digest owners %+v, noOwner %d: want the no-owner section with b's key", body.Owners, body.Counts.NoOwner)
	}
}

// TestChangesDigestNoOwnerGolden: a changes digest lists under "No owner" the users of the
// ownerless keys it tells (new, reminders), counts only those there, and states apart the
// ownerless keys announced before and not due, which counts.noOwner also counts
// (testdata/report.changes.owners.email.txt).
func TestChangesDigestNoOwnerGolden(t *testing.T) {
	s := ownersSummary()
	s.Flagged, s.Stale, s.NoOwner = 7, 6, 3 // legacy's key is new; two more ownerless keys are quiet
	s.Owners = &OwnerDigest{TagKeys: []string{"owner"}, Unmessaged: []string{}, Unmailed: []OwnerFailure{}}
	c := Changes{
		New:       []Announced{{Finding: s.Findings[0], Reason: ReasonNew}},
		Reminders: []Announced{{Finding: s.Findings[3], Reason: ReasonReminder, Reminded: 2}},
		Quiet:     5,
	}
	r, err := NewChangesReport(s, c, Policy{MaxAgeDays: 90, WarnAgeDays: 60}, LedgerRun{RemindEveryDays: 7}, testAccount, ParseTimestamp("2026-11-23T08:00:00Z").Time())
	if err != nil {
		t.Fatal(err)
	}
	m, body := decodeMessage(t, r)
	if body.Changes.QuietNoOwnerCount != 2 || body.Counts.NoOwner != 3 {
		t.Errorf("quietNoOwnerCount %d, noOwner %d; want 2 of 3", body.Changes.QuietNoOwnerCount, body.Counts.NoOwner)
	}
	golden.Check(t, filepath.Join("testdata", "report.changes.owners.email.txt"), []byte(m.Email))
}
