package agecheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// chatLedgerRun is ledgerRunWith of a stack with chat and, when owners is set, owners: the
// report event asks for the chat message.
func chatLedgerRun(t *testing.T, h *Handler, run string, users []UserKeys, now string, owners *Owners) Report {
	t.Helper()
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 75}
	lr := &LedgerRun{Run: run, RemindEveryDays: 7, RetentionDays: 90}
	var s Summary
	invokeInto(t, h, Event{Op: OpCheck, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Users: users, Ledger: lr, Owners: owners}, &s)
	var r Report
	invokeInto(t, h, Event{Op: OpReport, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Summary: &s, Ledger: lr, Owners: owners, Chat: true}, &r)
	if r.Commit != nil {
		var out struct{}
		invokeInto(t, h, Event{Op: OpCommit, Now: ParseTimestamp(now), Policy: p, Account: testAccount, Commit: r.Commit}, &out)
	}
	return r
}

func decodeChat(t *testing.T, msg string) ChatNotification {
	t.Helper()
	if ps := checkChatSchema(msg); len(ps) != 0 {
		t.Fatalf("chat message breaks the schema:\n%s\n%s", strings.Join(ps, "\n"), msg)
	}
	var n ChatNotification
	if err := json.Unmarshal([]byte(msg), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// inOrder reports whether every one of parts is in s, in that order.
func inOrder(s string, parts ...string) bool {
	at := 0
	for _, p := range parts {
		i := strings.Index(s[at:], p)
		if i < 0 {
			return false
		}
		at += i + len(p)
	}
	return true
}

// TestChatCardFollowsTheLedger: with notify: changes the card is published exactly when the
// digest is, and says what changed: new findings first, then reminders, then resolved keys,
// with exact counts; a finding announced before and not due is not on it.
func TestChatCardFollowsTheLedger(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: newMemLedger()}
	users := []UserKeys{staleUser("a", "AKIA1"), staleUser("b", "AKIA2")}
	r := chatLedgerRun(t, h, "run-1", users, "2026-03-01T08:00:00Z", nil)
	n := decodeChat(t, r.Chat)
	d := n.Content.Description
	if !r.Publish || n.Content.Title != r.Subject || !inOrder(d, "*Since the last message*: 2 new, 0 reminders, 0 resolved; 0 announced before",
		"*New* (oldest first, 2 of 2):", "`a` `AKIA1` stale", "(new, first seen 2026-03-01)", "`b` `AKIA2`") {
		t.Errorf("first run: publish %v, title %q, description:\n%s\nwant 2 new listed", r.Publish, n.Content.Title, d)
	}
	if ctx := n.Metadata.AdditionalContext; ctx["new"] != "2" || ctx["reminders"] != "0" || ctx["resolved"] != "0" || ctx["quiet"] != "0" {
		t.Errorf("additionalContext %v, want new 2, reminders 0, resolved 0, quiet 0", ctx)
	}

	// Nothing changed: no digest, no card.
	if r := chatLedgerRun(t, h, "run-2", users, "2026-03-02T08:00:00Z", nil); r.Publish || r.Chat != "" {
		t.Errorf("nothing changed: publish %v, chat %q; want neither", r.Publish, r.Chat)
	}

	// A new key (due soon only), AKIA2 deleted, and, a week after, AKIA1 due a reminder.
	users = []UserKeys{staleUser("a", "AKIA1"), {UserName: "c", Keys: []AccessKey{{AccessKeyID: "AKIA3", Status: "Active",
		CreateDate: ParseTimestamp("2025-12-20T00:00:00Z")}}}}
	r = chatLedgerRun(t, h, "run-3", users, "2026-03-08T08:00:00Z", nil)
	n = decodeChat(t, r.Chat)
	d = n.Content.Description
	if !r.Publish || !inOrder(d, "*New* (oldest first, 1 of 1):", "`c` `AKIA3` warning", "*Reminders* (oldest first, 1 of 1):",
		"`a` `AKIA1` stale", "(reminder 1, first seen 2026-03-01)", "*Resolved* (oldest first, 1 of 1):", "`b` `AKIA2` was stale: ") {
		t.Errorf("run 3 description:\n%s\nwant the new key, then the reminder, then the resolved key", d)
	}
	// The card's kinds are the announced ones: the reminder is stale, the new key due soon.
	if !slices.Equal(n.Content.Keywords, []string{"keyage", "severity: stale", "stale", "warning"}) {
		t.Errorf("keywords %v", n.Content.Keywords)
	}
}

// TestChatCardChangesKindsAreTheAnnouncedOnes: a stale key announced before and not due is
// quiet: the card about a new key due soon neither lists it nor advises on stale keys.
func TestChatCardChangesKindsAreTheAnnouncedOnes(t *testing.T) {
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 75}
	quiet := Finding{UserName: "old", AccessKeyID: "AKIAQUIET", AgeDays: 400, Severity: SeverityStale, Kinds: []string{KindStale}}
	due := Finding{UserName: "new", AccessKeyID: "AKIADUE", AgeDays: 80, Severity: SeverityWarning, Kinds: []string{KindWarning}}
	s := Summary{Counts: Counts{Users: 2, Flagged: 2, Stale: 1, Warning: 1}, Findings: []Finding{quiet, due}}
	c := Changes{New: []Announced{{Finding: due, Reason: ReasonNew, FirstSeen: timestampAt(testNow)}}, Quiet: 1}
	r := must(NewChangesReport(s, c, p, LedgerRun{Run: "r", RemindEveryDays: 7}, testAccount, testNow))
	n := decodeChat(t, NewChatMessage(s, p, r, testNow))
	if strings.Contains(n.Content.Description, "AKIAQUIET") || !strings.Contains(n.Content.Description, "AKIADUE") {
		t.Errorf("description:\n%s\nwant the new key only", n.Content.Description)
	}
	if len(n.Content.NextSteps) != 1 || !strings.HasPrefix(n.Content.NextSteps[0], "warning:") {
		t.Errorf("next steps %q, want the warning's only", n.Content.NextSteps)
	}
	if !slices.Equal(n.Content.Keywords, []string{"keyage", "severity: stale", "warning"}) {
		t.Errorf("keywords %v, want the new key's kind", n.Content.Keywords)
	}
	// Every-run's card of the same summary lists both (it stays as it was).
	every := decodeChat(t, NewChatMessage(s, p, must(NewReport(s, p, testAccount, testNow)), testNow))
	if !strings.Contains(every.Content.Description, "AKIAQUIET") || strings.Contains(every.Content.Description, "Since the last message") {
		t.Errorf("every-run description:\n%s\nwant every finding and no changes", every.Content.Description)
	}
}

// TestChatCardChangesFit: 5,000 new findings, 5,000 reminders and 5,000 resolved keys of the
// longest names: the lists are cut, in order, to what fits; the counts stay exact.
func TestChatCardChangesFit(t *testing.T) {
	p := Policy{MaxAgeDays: 90, UnusedDays: 45}
	s := manyFindings(5000)
	var c Changes
	for i, f := range s.Findings {
		c.New = append(c.New, Announced{Finding: f, Reason: ReasonNew, FirstSeen: timestampAt(testNow)})
		c.Reminders = append(c.Reminders, Announced{Finding: f, Reason: ReasonReminder, Reminded: 3, FirstSeen: timestampAt(testNow)})
		c.Resolved = append(c.Resolved, Resolved{UserName: f.UserName, AccessKeyID: fmt.Sprintf("AKIR%016d", i), Severity: SeverityStale})
	}
	r := must(NewChangesReport(s, c, p, LedgerRun{Run: "r", RemindEveryDays: 7}, testAccount, testNow))
	n := decodeChat(t, NewChatMessage(s, p, r, testNow))
	d := n.Content.Description
	if utf8.RuneCountInString(d) > MaxChatDescriptionLength || !strings.Contains(d, "5000 new, 5000 reminders, 5000 resolved") ||
		!strings.Contains(d, " of 5000):") || strings.Contains(d, "*New* (oldest first, 0 of") {
		t.Errorf("description (%d characters):\n%s", utf8.RuneCountInString(d), d)
	}
	if listed := strings.Count(d, "\n• "); listed < 1 || listed > MaxChatFindingsListed {
		t.Errorf("%d entries listed, want 1 to %d", listed, MaxChatFindingsListed)
	}
}

// TestChatCardOwners: with owners on, the card counts the keys without an owner and names
// owners not reached, in the description, the next steps and the metadata; with owners off it
// says nothing of owners.
func TestChatCardOwners(t *testing.T) {
	p := Policy{MaxAgeDays: 90}
	s := Summary{Counts: Counts{Users: 3, Flagged: 3, Stale: 3, NoOwner: 2}, Findings: []Finding{
		{UserName: "a", AccessKeyID: "AKIA1", AgeDays: 100, Severity: SeverityStale, Kinds: []string{KindStale}, Owner: "team-x"},
		{UserName: "b", AccessKeyID: "AKIA2", AgeDays: 100, Severity: SeverityStale, Kinds: []string{KindStale}},
		{UserName: "c", AccessKeyID: "AKIA3", AgeDays: 100, Severity: SeverityStale, Kinds: []string{KindStale}},
	}}
	withOwners := s
	withOwners.Owners = &OwnerDigest{TagKeys: []string{"owner", "team"}, Unmessaged: []string{"team-x"},
		Unmailed: []OwnerFailure{{Owner: "dev@example.com", Error: "MessageRejected"}}, MoreUnmailed: 4}
	n := decodeChat(t, NewChatMessage(withOwners, p, must(NewReport(withOwners, p, testAccount, testNow)), testNow))
	d := n.Content.Description
	for _, want := range []string{"*No owner*: 2 keys of users without an owner tag (owner, team)",
		"*Owners not sent a message of their own*: 1, such as `team-x`.", "*Owners who could not be mailed*: 5, such as `dev@example.com`."} {
		if !strings.Contains(d, want) {
			t.Errorf("description does not say %q:\n%s", want, d)
		}
	}
	if ctx := n.Metadata.AdditionalContext; ctx["noOwner"] != "2" || ctx["ownersNotMessaged"] != "1" || ctx["ownersNotMailed"] != "5" {
		t.Errorf("additionalContext %v, want noOwner 2, ownersNotMessaged 1, ownersNotMailed 5", ctx)
	}
	if !slices.ContainsFunc(n.Content.NextSteps, func(s string) bool {
		return strings.HasPrefix(s, "no owner: tag the users") && strings.Contains(s, "owner or team")
	}) ||
		!slices.ContainsFunc(n.Content.NextSteps, func(s string) bool { return strings.HasPrefix(s, "owners not reached:") }) {
		t.Errorf("next steps %q, want the no-owner and unreached steps", n.Content.NextSteps)
	}

	off := decodeChat(t, NewChatMessage(s, p, must(NewReport(s, p, testAccount, testNow)), testNow))
	if strings.Contains(off.Content.Description, "owner") {
		t.Errorf("owners off: description mentions owners:\n%s", off.Content.Description)
	}
	if _, ok := off.Metadata.AdditionalContext["noOwner"]; ok {
		t.Errorf("owners off: additionalContext has noOwner")
	}
}

// TestChatCardOwnersThroughTheHandler: the report op's card counts the keys without an owner,
// on an every-run stack and on a stack with notify: changes.
func TestChatCardOwnersThroughTheHandler(t *testing.T) {
	tags := map[string]map[string]string{"a": {"owner": "team-a"}}
	userTags := func(_ context.Context, user string) (map[string]string, error) { return tags[user], nil }
	owners := &Owners{TagKeys: []string{"owner"}}
	users := []UserKeys{staleUser("a", "AKIA1"), staleUser("b", "AKIA2")}
	t.Run("every run", func(t *testing.T) {
		h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), UserTags: userTags}
		p := Policy{MaxAgeDays: 90}
		var s Summary
		invokeInto(t, h, Event{Op: OpCheck, Now: timestampAt(testNow), Policy: p, Account: testAccount, Users: users, Owners: owners}, &s)
		var r Report
		invokeInto(t, h, Event{Op: OpReport, Now: timestampAt(testNow), Policy: p, Account: testAccount, Summary: &s, Owners: owners, Chat: true}, &r)
		if n := decodeChat(t, r.Chat); !strings.Contains(n.Content.Description, "*No owner*: 1 key of users without an owner tag (owner)") {
			t.Errorf("description:\n%s\nwant 1 key without an owner", n.Content.Description)
		}
	})
	t.Run("changes", func(t *testing.T) {
		h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), UserTags: userTags, Ledger: newMemLedger()}
		r := chatLedgerRun(t, h, "run-1", users, "2026-03-01T08:00:00Z", owners)
		if n := decodeChat(t, r.Chat); n.Metadata.AdditionalContext["noOwner"] != "1" || !strings.Contains(n.Content.Description, "*No owner*: 1 key") {
			t.Errorf("additionalContext %v, description:\n%s\nwant 1 key without an owner", n.Metadata.AdditionalContext, n.Content.Description)
		}
	})
}

// TestOrgChatCardFollowsTheLedger: an organization run that remembers publishes the card with
// the digest: its new findings with their accounts and each account's counts; nothing when
// nothing changed.
func TestOrgChatCardFollowsTheLedger(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Ledger: newMemLedger()}
	users := map[string][]UserKeys{testAccount: {staleUser("a", "AKIA1")}, memberAccount: {staleUser("b", "AKIA2")}}
	org, r, _ := orgLedgerRun(t, h, "run-1", "2026-03-01T08:00:00Z", users, true)
	p := Policy{MaxAgeDays: 90}
	card := newOrgChatMessage(org, p, nil, r, ledgerT0)
	n := decodeChat(t, card)
	d := n.Content.Description
	if !inOrder(d, "IAM access key check of 3 accounts of the organization", "*Since the last message*: 2 new",
		"*New* (oldest first, 2 of 2):", "`"+testAccount+"` `a` `AKIA1` stale", "*Accounts*: 2 checked", "• `222222222222`: not checked (Iam.AccessDenied)",
		"• `"+memberAccount+"`: 1 new, 0 reminders, 0 resolved; 1 stale") {
		t.Errorf("description:\n%s", d)
	}
	if ctx := n.Metadata.AdditionalContext; ctx["account"] != ScopeOrganization || ctx["new"] != "2" || ctx["accountsUnchecked"] != "1" {
		t.Errorf("additionalContext %v, want the organization, 2 new, 1 unchecked account", ctx)
	}
	// The report op writes the same card when asked.
	lr := &LedgerRun{Run: "run-1b", RemindEveryDays: 7, RetentionDays: 90}
	var viaOp Report
	invokeInto(t, h, Event{Op: OpReport, Now: ParseTimestamp("2026-03-01T08:00:00Z"), Policy: p, Account: testAccount, Org: &org, Ledger: lr, Chat: true}, &viaOp)
	if viaOp.Chat != card {
		t.Errorf("op report's card differs from newOrgChatMessage's:\n%s\n%s", viaOp.Chat, card)
	}
}

// TestOrgChatCardQuietPublishesNothing: only quiet findings: no digest, so no card.
func TestOrgChatCardQuietPublishesNothing(t *testing.T) {
	o := OrgSummary{Counts: Counts{Flagged: 4, Stale: 4}, Accounts: AccountCounts{Checked: 2, Clean: 2}, Changes: &OrgChanges{Quiet: 4}}
	lr := &LedgerRun{Run: "r", RemindEveryDays: 7, RetentionDays: 90}
	var r Report
	invokeInto(t, &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}, Event{Op: OpReport, Now: timestampAt(testNow), Policy: Policy{MaxAgeDays: 90},
		Account: testAccount, Org: &o, Ledger: lr, Chat: true}, &r)
	if r.Publish || r.Chat != "" {
		t.Errorf("quiet organization: publish %v, chat %q; want neither", r.Publish, r.Chat)
	}
}

// TestOrgChatCardOwners: with owners on, an organization's card counts the keys without an
// owner over every account.
func TestOrgChatCardOwners(t *testing.T) {
	o := OrgSummary{Counts: Counts{Users: 9, Flagged: 4, Stale: 4, NoOwner: 3}, Accounts: AccountCounts{Checked: 2, Sections: 2}}
	p := Policy{MaxAgeDays: 90}
	r := must(NewOrgReport(o, p, testNow, false))
	var out Report
	invokeInto(t, &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}, Event{Op: OpReport, Now: timestampAt(testNow), Policy: p,
		Account: testAccount, Org: &o, Owners: &Owners{TagKeys: []string{"owner"}}, Chat: true}, &out)
	n := decodeChat(t, out.Chat)
	if !strings.Contains(n.Content.Description, "*No owner*: 3 keys of users without an owner tag (owner)") || n.Metadata.AdditionalContext["noOwner"] != "3" {
		t.Errorf("additionalContext %v, description:\n%s\nwant 3 keys without an owner", n.Metadata.AdditionalContext, n.Content.Description)
	}
	if off := decodeChat(t, newOrgChatMessage(o, p, nil, r, testNow)); strings.Contains(off.Content.Description, "owner") {
		t.Errorf("owners off: description mentions owners:\n%s", off.Content.Description)
	}
}

// TestOrgChatCardFits: 100 accounts with 50 new findings each, of the longest names: the card
// keeps the schema's bounds, lists at most MaxChatFindingsListed entries and 5 accounts, and the
// counts stay exact.
func TestOrgChatCardFits(t *testing.T) {
	p := Policy{MaxAgeDays: 90}
	o := OrgSummary{Accounts: AccountCounts{Checked: 100, Sections: 100}, Changes: &OrgChanges{New: 5000}}
	for a := range 100 {
		s := manyFindings(50)
		s.UncheckedUsers = nil
		s.Unchecked = 0
		ch := &AccountChanges{NewCount: 50}
		for _, f := range s.Findings {
			ch.New = append(ch.New, Announced{Finding: f, Reason: ReasonNew, FirstSeen: timestampAt(testNow)})
		}
		o.Counts.add(s.Counts)
		o.Sections = append(o.Sections, AccountResult{Target: Target{ID: fmt.Sprintf("%012d", a), Name: strings.Repeat("n", 50)},
			Status: AccountChecked, Summary: &s, Changes: ch})
	}
	r := must(NewOrgReport(o, p, testNow, false))
	n := decodeChat(t, newOrgChatMessage(o, p, nil, r, testNow))
	d := n.Content.Description
	if listed := strings.Count(d, "\n• `"); listed > MaxChatFindingsListed+maxChatAccountsListed {
		t.Errorf("%d lines listed, want at most %d entries and %d accounts", listed, MaxChatFindingsListed, maxChatAccountsListed)
	}
	if !strings.Contains(d, "*Since the last message*: 5000 new") || !strings.Contains(d, " of 5000):") || !strings.Contains(d, "…and 95 more accounts") {
		t.Errorf("description:\n%s", d)
	}
}

// invokeInto is invoke, its result stored in out.
func invokeInto[T any](t *testing.T, h *Handler, ev Event, out *T) {
	t.Helper()
	*out = invoke[T](t, h, ev)
}
