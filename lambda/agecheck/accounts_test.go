package agecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	memberA = "111111111111"
	memberB = "222222222222"
	memberC = "333333333333"
)

func checkedResult(id string, c Counts, findings ...Finding) AccountResult {
	return AccountResult{Target: Target{ID: id}, Status: AccountChecked, Summary: &Summary{Counts: c, Findings: findings}}
}

// mergePages merges pages of AccountsPerPage accounts, numbered from 000000000001 on, whose
// results result gives, page by page as the state machine does.
func mergePages(t *testing.T, pages int, result func(id string) AccountResult) OrgSummary {
	t.Helper()
	var org OrgSummary
	for page := range pages {
		var results []AccountResult
		for i := range AccountsPerPage {
			results = append(results, result(fmt.Sprintf("%012d", page*AccountsPerPage+i+1)))
		}
		var err error
		if org, err = MergeAccounts(org, results, testAccount); err != nil {
			t.Fatal(err)
		}
	}
	return org
}

func TestMergeAccounts(t *testing.T) {
	page := []AccountResult{
		checkedResult(memberC, Counts{Users: 3, Flagged: 1, Stale: 1, Compliant: 2},
			Finding{UserName: "ci", AccessKeyID: "AKIAC", Severity: SeverityStale, Kinds: []string{KindStale}}),
		checkedResult(memberA, Counts{Users: 4, Compliant: 4}),
		{Target: Target{ID: memberB, Name: "sandbox"}, Status: AccountUnchecked, Error: &ScanError{Error: "States.TaskFailed", Cause: "not authorized to perform sts:AssumeRole"}},
		{Target: Target{ID: "444444444444", State: "SUSPENDED"}, Status: AccountSkipped},
		{Target: Target{ID: "555555555555"}, Status: AccountExcluded},
		{Target: Target{ID: testAccount}, Status: AccountExcluded}, // the deploying account: scanned by the parent
	}
	prev := OrgSummary{Counts: Counts{Users: 10, Compliant: 10}, Accounts: AccountCounts{Checked: 1, Clean: 1}}
	got, err := MergeAccounts(prev, page, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	wantAccounts := AccountCounts{Checked: 3, Unchecked: 1, Skipped: 1, Excluded: 1, Clean: 2, Sections: 3}
	if got.Accounts != wantAccounts {
		t.Errorf("accounts = %+v, want %+v", got.Accounts, wantAccounts)
	}
	if got.Counts.Users != 17 || got.Counts.Stale != 1 || got.Counts.Compliant != 16 {
		t.Errorf("counts = %+v, want 17 users, 1 stale, 16 compliant", got.Counts)
	}
	var order []string
	for _, s := range got.Sections {
		order = append(order, s.Target.ID+":"+s.Status)
	}
	if want := memberB + ":unchecked," + "444444444444:skipped," + memberC + ":checked"; strings.Join(order, ",") != want {
		t.Errorf("sections %s, want %s (unchecked first, then not active, then findings)", strings.Join(order, ","), want)
	}
}

// TestMergeAccountsDeployingAccount: the deploying account's entry in a page (the children skip
// it) gives its section, folded in before with the ID alone, the name Organizations lists; when
// the deploying account is excluded (deploying ""), the entry counts as excluded.
func TestMergeAccountsDeployingAccount(t *testing.T) {
	own := checkedResult(testAccount, Counts{Users: 1, Flagged: 1, Stale: 1},
		Finding{UserName: "ci", AccessKeyID: "AKIAO", Severity: SeverityStale, Kinds: []string{KindStale}})
	prev, err := MergeAccounts(OrgSummary{}, []AccountResult{own}, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	entry := AccountResult{Target: Target{ID: testAccount, Name: "management", State: "ACTIVE"}, Status: AccountExcluded}
	got, err := MergeAccounts(prev, []AccountResult{entry}, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sections) != 1 || got.Sections[0].Target.Name != "management" || got.Accounts != prev.Accounts {
		t.Errorf("sections %+v, accounts %+v; want the deploying account's one section named management, accounts %+v", got.Sections, got.Accounts, prev.Accounts)
	}
	got, err = MergeAccounts(OrgSummary{}, []AccountResult{entry}, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := (AccountCounts{Excluded: 1}); got.Accounts != want || len(got.Sections) != 0 {
		t.Errorf("excluded deploying account: accounts %+v, sections %+v; want %+v and no section", got.Accounts, got.Sections, want)
	}
}

func TestMergeAccountsTrimsSectionsKeepingCounts(t *testing.T) {
	long := strings.Repeat("c", MaxCauseLength)
	org := mergePages(t, 30, func(id string) AccountResult {
		return AccountResult{Target: Target{ID: id, Name: strings.Repeat("n", 50)}, Status: AccountUnchecked,
			Error: &ScanError{Error: "States.TaskFailed", Cause: long}}
	})
	if org.Accounts.Unchecked != 600 || org.Accounts.Sections != 600 {
		t.Errorf("accounts = %+v, want 600 unchecked, 600 sections counted", org.Accounts)
	}
	size, _ := jsonSize(org)
	if size > MaxOrgSummaryBytes || len(org.Sections) == 0 || len(org.Sections) >= 600 {
		t.Errorf("summary is %d bytes with %d sections, want at most %d bytes and some, not all, sections", size, len(org.Sections), MaxOrgSummaryBytes)
	}
}

func TestAccountResultTrimsAndJudgesRoot(t *testing.T) {
	s := Summary{Counts: Counts{Users: 200, Flagged: 200, Stale: 200}}
	for i := range 200 {
		s.Findings = append(s.Findings, Finding{UserName: fmt.Sprintf("user-%03d", i), AccessKeyID: fmt.Sprintf("AKIA%016d", i),
			Severity: SeverityStale, Kinds: []string{KindStale}})
	}
	r, err := accountResult(Target{ID: memberA}, s, Policy{MaxAgeDays: 90, CheckRootKeys: true},
		&AccountSummary{SummaryMap: map[string]int{"AccountAccessKeysPresent": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if size, _ := jsonSize(r.Summary); size > MaxAccountSummaryBytes || r.Summary.Flagged != 200 || len(r.Summary.Findings) == 0 {
		t.Errorf("account summary %d bytes, %d of %d findings; want at most %d bytes, counts exact", size, len(r.Summary.Findings), r.Summary.Flagged, MaxAccountSummaryBytes)
	}
	if r.Summary.Root == nil || r.Summary.Root.Status != RootKeysPresent {
		t.Errorf("root = %+v, want present", r.Summary.Root)
	}
}

func TestHandlerAssumesTheMemberRoleOncePerInvocation(t *testing.T) {
	var assumed []string
	lookups := 0
	h := &Handler{
		LastUsed: func(context.Context, string, string) (LastUsed, error) {
			t.Error("the function's own account was asked about another account's key")
			return LastUsed{}, nil
		},
		AssumeRole: func(_ context.Context, role, session string) (AccountIO, error) {
			assumed = append(assumed, role+" as "+session)
			return AccountIO{LastUsed: func(context.Context, string, string) (LastUsed, error) {
				lookups++
				return LastUsed{ServiceName: "N/A", Region: "N/A"}, nil
			}}, nil
		},
	}
	role := "arn:aws:iam::" + memberA + ":role/keyage-member"
	ev := Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: memberA, Policy: Policy{MaxAgeDays: 90, UnusedDays: 45},
		RoleARN: role, Session: "run-1",
		Users: []UserKeys{
			{UserName: "a", Keys: []AccessKey{activeKey("AKIA1", ago(days(120))), activeKey("AKIA2", ago(days(100)))}},
			{UserName: "b", Keys: []AccessKey{activeKey("AKIA3", ago(days(200)))}},
		}}
	s := invoke[Summary](t, h, ev)
	if len(assumed) != 1 || assumed[0] != role+" as run-1" {
		t.Errorf("assumed %q, want the member role once, in session run-1", assumed)
	}
	if lookups != 3 || s.Unused != 3 {
		t.Errorf("%d lookups, %d unused; want 3 of each through the assumed role", lookups, s.Unused)
	}

	// A role that cannot be assumed: the batch is still judged, its lookups unknown.
	h.AssumeRole = func(context.Context, string, string) (AccountIO, error) {
		return AccountIO{}, errors.New("AccessDenied: not authorized to perform sts:AssumeRole")
	}
	var buf bytes.Buffer
	h.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	s = invoke[Summary](t, h, ev)
	if s.Stale != 3 || s.LastUsedUnknown != 3 || s.Unused != 0 {
		t.Errorf("got %+v, want 3 stale with last use unknown, none unused", s.Counts)
	}
	if l := withMsg(logLines(t, &buf), "assume member role failed"); len(l) != 1 || l[0]["account"] != memberA {
		t.Errorf("log lines %v, want one naming account %s", l, memberA)
	}
}

// TestHandlerMergeAccountsDeployingAccount: op mergeAccounts folds the deploying account into
// the organization's summary: scanned, as a checked account (its root check unknown here) after
// the page's unchecked member; or, when the parent's scan of it failed, as an unchecked account
// with its error (Cause cut). Each unchecked account is logged once.
func TestHandlerMergeAccountsDeployingAccount(t *testing.T) {
	for _, tt := range []struct {
		name         string
		ev           Event // op, now, account and org aside
		want         AccountCounts
		wantUsers    int
		wantSections []string // the sections' accounts, in order
		wantError    string   // of the deploying account's section ("": checked)
		wantLogged   string   // the account of the one unchecked-account log line
	}{
		{"scanned", Event{Policy: Policy{MaxAgeDays: 90, CheckRootKeys: true},
			Summary: &Summary{Counts: Counts{Users: 2, Compliant: 2}},
			Root:    &AccountSummary{Error: "Iam.IamException", Cause: "Rate exceeded"},
			Accounts: []AccountResult{{Target: Target{ID: memberB}, Status: AccountUnchecked,
				Error: &ScanError{Error: "States.TaskFailed", Cause: "role cannot be assumed"}}}},
			AccountCounts{Checked: 1, Unchecked: 1, RootUnknown: 1, Sections: 2}, 2, []string{memberB, testAccount}, "", memberB},
		{"scan failed", Event{Policy: Policy{MaxAgeDays: 90},
			Error: &ScanError{Error: "Iam.IamException", Cause: "Rate exceeded " + strings.Repeat("c", 32768)}},
			AccountCounts{Unchecked: 1, Sections: 1}, 0, []string{testAccount}, "Iam.IamException", testAccount},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			h := &Handler{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
			ev := tt.ev
			ev.Op, ev.Now, ev.Account, ev.Org = OpMergeAccounts, ParseTimestamp("2026-11-23T08:00:00Z"), testAccount, &OrgSummary{}
			org := invoke[OrgSummary](t, h, ev)
			if org.Accounts != tt.want || org.Counts.Users != tt.wantUsers {
				t.Errorf("got accounts %+v, %d users; want %+v, %d users", org.Accounts, org.Counts.Users, tt.want, tt.wantUsers)
			}
			var sections []string
			for _, s := range org.Sections {
				sections = append(sections, s.Target.ID)
			}
			if !slices.Equal(sections, tt.wantSections) {
				t.Fatalf("sections of %v, want %v", sections, tt.wantSections)
			}
			own := org.Sections[len(org.Sections)-1]
			if tt.wantError == "" && (own.Status != AccountChecked || own.Error != nil) {
				t.Errorf("section %+v, want %s checked", own, testAccount)
			}
			if tt.wantError != "" && (own.Status != AccountUnchecked || own.Error == nil || own.Error.Error != tt.wantError || len(own.Error.Cause) != MaxCauseLength) {
				t.Errorf("section %+v, want %s unchecked with %s and a Cause of %d bytes", own, testAccount, tt.wantError, MaxCauseLength)
			}
			if l := withMsg(logLines(t, &buf), UncheckedAccountLogMessage); len(l) != 1 || l[0]["account"] != tt.wantLogged {
				t.Errorf("log lines %v, want one unchecked account line for %s", l, tt.wantLogged)
			}
		})
	}
}

func TestHandlerAccountUncheckedCutsTheCause(t *testing.T) {
	h := &Handler{}
	ev := Event{Op: OpAccount, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: Policy{MaxAgeDays: 90},
		Target: &Target{ID: memberB, Name: "sandbox"}, Error: &ScanError{Error: "States.TaskFailed", Cause: strings.Repeat("c", 32768)}}
	r := invoke[AccountResult](t, h, ev)
	if r.Status != AccountUnchecked || r.Error == nil || r.Error.Error != "States.TaskFailed" || len(r.Error.Cause) != MaxCauseLength || r.Target.Name != "sandbox" {
		t.Errorf("got %+v, want account %s unchecked with the error and a Cause of %d bytes", r, memberB, MaxCauseLength)
	}
}

func TestDecodeAccountsEvents(t *testing.T) {
	base := `"policy":{"maxAgeDays":90},"now":"2026-11-23T08:00:00Z"`
	tests := []struct{ name, event, want string }{
		{"account without target", `{"op":"account",` + base + `,"summary":{}}`, "target is absent"},
		{"account with neither summary nor error", `{"op":"account",` + base + `,"target":{"Id":"111111111111"}}`, "summary is absent"},
		{"account with summary and error", `{"op":"account",` + base + `,"target":{"Id":"111111111111"},"summary":{},"error":{"Error":"x"}}`, "error is present with summary"},
		{"account with a bad ID", `{"op":"account",` + base + `,"target":{"Id":"1"},"summary":{}}`, `target.Id is "1"`},
		{"merge with summary and error", `{"op":"mergeAccounts",` + base + `,"account":"123456789012","org":{},"summary":{},"error":{"Error":"x"}}`,
			"error is present with summary"},
		{"merge of a scanned deploying account marked excluded", `{"op":"mergeAccounts",` + base + `,"account":"123456789012","org":{},"summary":{},"deployingExcluded":true}`,
			"deployingExcluded is true with summary or error"},
		{"merge without org", `{"op":"mergeAccounts",` + base + `,"account":"123456789012"}`, "org is absent"},
		{"merge without the deploying account", `{"op":"mergeAccounts",` + base + `,"org":{}}`, `account is ""`},
		{"unchecked without error", `{"op":"mergeAccounts",` + base + `,"account":"123456789012","org":{},"accounts":[{"target":{"Id":"111111111111"},"status":"unchecked"}]}`,
			"accounts[0].error is absent"},
		{"unknown status", `{"op":"mergeAccounts",` + base + `,"account":"123456789012","org":{},"accounts":[{"target":{"Id":"111111111111"},"status":"gone"}]}`,
			`accounts[0].status is "gone"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.event))
			var ie *InvalidInputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, want an InvalidInputError containing %q", err, tt.want)
			}
		})
	}
}

func TestNewOrgReport(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	p := Policy{MaxAgeDays: 90, UnusedDays: 45}
	clean := OrgSummary{Counts: Counts{Users: 5, Compliant: 5}, Accounts: AccountCounts{Checked: 3, Clean: 3}}
	if r, err := NewOrgReport(clean, p, now, false); err != nil || r.Publish || r.Scope != ScopeOrganization {
		t.Errorf("clean organization: %+v, %v; want no publish, scope organization", r, err)
	}

	var org OrgSummary
	org, err := MergeAccounts(org, []AccountResult{
		checkedResult(memberA, Counts{Users: 3, Flagged: 1, Unused: 1, Compliant: 2},
			Finding{UserName: "deploy", AccessKeyID: "AKIAUNUSED", AgeDays: 50, Severity: SeverityStale, Kinds: []string{KindUnused}}),
		{Target: Target{ID: memberB, Name: "sandbox"}, Status: AccountUnchecked, Error: &ScanError{Error: "States.TaskFailed", Cause: "cannot assume keyage-member"}},
		checkedResult(memberC, Counts{Users: 1, Compliant: 1}),
	}, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewOrgReport(org, p, now, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "IAM keys in 3 accounts: 1 unused, 1 account unchecked"; r.Subject != want {
		t.Errorf("subject %q, want %q", r.Subject, want)
	}
	if r.Severity != SeverityStale || r.Kinds != `["unused"]` || r.Account != "" || r.Scope != ScopeOrganization {
		t.Errorf("attributes severity %q kinds %s account %q scope %q; want stale, [unused], no account (the digest is about many), organization", r.Severity, r.Kinds, r.Account, r.Scope)
	}
	var msg snsMessage
	if err := json.Unmarshal([]byte(r.Message), &msg); err != nil {
		t.Fatal(err)
	}
	unchecked := strings.Index(msg.Email, "Account "+memberB+" (sandbox): NOT CHECKED")
	section := strings.Index(msg.Email, "Account "+memberA+": 0 stale, 1 unused")
	if unchecked < 0 || section < 0 || unchecked > section || !strings.Contains(msg.Email, "AKIAUNUSED") {
		t.Errorf("email body does not list the unchecked account first, then %s's finding:\n%s", memberA, msg.Email)
	}
	if strings.Contains(msg.Email, "Account "+memberC) {
		t.Errorf("email body has a section for the clean account %s:\n%s", memberC, msg.Email)
	}
	var body OrgMessageBody
	if err := json.Unmarshal([]byte(msg.Default), &body); err != nil || body.Accounts.Unchecked != 1 || len(body.Sections) != 2 {
		t.Errorf("default body %s (%v), want 1 unchecked account and 2 sections", msg.Default, err)
	}
}

func TestNewOrgReportFitsTheMessage(t *testing.T) {
	org := mergePages(t, 25, func(id string) AccountResult {
		s := Summary{Counts: Counts{Users: 5000, Flagged: 10000, Stale: 10000}}
		for k := range 100 {
			s.Findings = append(s.Findings, Finding{UserName: fmt.Sprintf("user-%04d", k), AccessKeyID: fmt.Sprintf("AKIA%016d", k),
				AgeDays: 400, Severity: SeverityStale, Kinds: []string{KindStale}, CreateDate: ParseTimestamp("2025-10-01T00:00:00Z")})
		}
		r, err := accountResult(Target{ID: id, Name: "team"}, s, Policy{MaxAgeDays: 90}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	})
	r, err := NewOrgReport(org, Policy{MaxAgeDays: 90}, time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), false)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := jsonSize(r.Message); n > MaxMessageBytes {
		t.Errorf("message is %d bytes encoded, want at most %d", n, MaxMessageBytes)
	}
	if want := "IAM keys in 500 accounts: 5000000 stale"; r.Subject != want {
		t.Errorf("subject %q, want %q", r.Subject, want)
	}
	if !strings.Contains(r.Message, "This message shows") {
		t.Errorf("message does not say it is trimmed")
	}
}

func TestOrgReportChatCard(t *testing.T) {
	org, err := MergeAccounts(OrgSummary{}, []AccountResult{checkedResult(memberA, Counts{Users: 1, Flagged: 1, Stale: 1},
		Finding{UserName: "ci", AccessKeyID: "AKIACHAT", AgeDays: 100, Severity: SeverityStale, Kinds: []string{KindStale}})}, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	ev := Event{Op: OpReport, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: testAccount, Policy: Policy{MaxAgeDays: 90}, Org: &org, Chat: true}
	r := invoke[Report](t, &Handler{}, ev)
	if !r.Publish || !strings.Contains(r.Chat, "AKIACHAT") || !strings.Contains(r.Chat, ScopeOrganization) || strings.Contains(r.Chat, `[\"`) {
		t.Errorf("chat message %s, want the organization's card with its finding", r.Chat)
	}
}

// TestHandlerReadsAMembersTagsThroughItsRole: tag exemptions of another account's users are read
// with the member role's credentials, never the function's own.
func TestHandlerReadsAMembersTagsThroughItsRole(t *testing.T) {
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		UserTags: func(context.Context, string) (map[string]string, error) {
			t.Error("the function's own account was asked for another account's user's tags")
			return nil, nil
		},
		AssumeRole: func(context.Context, string, string) (AccountIO, error) {
			return AccountIO{UserTags: func(context.Context, string) (map[string]string, error) {
				return map[string]string{TagExemptUntil: "2026-12-01", TagExemptReason: "vendor"}, nil
			}}, nil
		},
	}
	ev := Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: memberA, RoleARN: "arn:aws:iam::" + memberA + ":role/keyage-member",
		Policy: Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 30},
		Users:  []UserKeys{{UserName: "tagged", Keys: []AccessKey{activeKey("K1", ago(days(100)))}}}}
	if s := invoke[Summary](t, h, ev); s.Flagged != 0 || s.TagExemptionCount != 1 {
		t.Errorf("got flagged %d, tag exemptions %d; want the member's tag to exempt the key", s.Flagged, s.TagExemptionCount)
	}
}

// TestOrganizationDigestListsExemptions: the organization's digest, every-run or changes,
// lists the policy's exemptions with the keys each hid summed over the accounts checked, calls
// out the one ending within 14 days, and counts the tag exemptions the accounts read.
func TestOrganizationDigestListsExemptions(t *testing.T) {
	p := exemptionsPolicy()
	account := func(id string, keys []int, tags ...TagExemption) AccountResult {
		s := Summary{Counts: Counts{Users: 3, Flagged: 1, Stale: 1}, Findings: []Finding{ledgerFinding("AKIA"+id, "u", SeverityStale)}}
		s.ExemptionKeys, s.TagExemptions, s.TagExemptionCount = keys, tags, len(tags)
		return AccountResult{Target: Target{ID: id}, Status: AccountChecked, Summary: &s}
	}
	o, err := MergeAccounts(OrgSummary{}, []AccountResult{
		account(testAccount, []int{2, 0, 0, 0, 1}, TagExemption{UserName: "ops", Until: "2026-12-20", Reason: "rotation pending", Status: TagExemptionHolds, Keys: 2}),
		account(memberAccount, []int{1, 1},
			TagExemption{UserName: "carol", Until: "2027-13-01", Reason: "vendor", Status: TagExemptionRefused, Problem: "not a date"},
			TagExemption{UserName: "bob", Until: "2026-11-01", Reason: "old", Status: TagExemptionExpired, Problem: "ended on 2026-11-01"}),
	}, testAccount)
	if err != nil {
		t.Fatal(err)
	}
	if e := o.Exemptions; e == nil || !slices.Equal(e.ExemptionKeys, []int{3, 1, 0, 0, 1}) || e.TagExemptionCount != 3 || len(e.TagExemptions) != 3 {
		t.Fatalf("the organization's exemptions %+v, want keys [3 1 0 0 1] and 3 tag exemptions (summed and listed)", o.Exemptions)
	}
	for _, changes := range []*OrgChanges{nil, {New: 2}} {
		o.Changes = changes
		r, err := NewOrgReport(o, p, testNow, false)
		if err != nil {
			t.Fatal(err)
		}
		var m snsMessage
		if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
			t.Fatal(err)
		}
		var body OrgMessageBody
		if err := json.Unmarshal([]byte(m.Default), &body); err != nil {
			t.Fatal(err)
		}
		if ex := body.Exemptions; ex == nil || len(ex.Exemptions) != 5 || ex.Exemptions[0].Keys != 3 || ex.Exemptions[0].Status != ExemptionEndingSoon || ex.TagExemptionCount != 3 {
			t.Errorf("changes %v: exemptions %+v, want the policy's 5, the first ending soon with 3 keys, 3 tag exemptions", changes, body.Exemptions)
		}
		for _, want := range []string{"break-glass-*: 3 keys; until 2026-12-06", "Ending within 14 days: break-glass-* on 2026-12-06.",
			"Exemptions by user tags (keyage-exempt-until, keyage-exempt-reason), 3 read in the accounts checked (each account's own message says why one is refused):\n" +
				"  111111111111 bob: EXPIRED (keyage-exempt-until 2026-11-01), keys judged; reason given: old\n" +
				"  111111111111 carol: REFUSED (keyage-exempt-until 2027-13-01), keys judged; reason given: vendor\n" +
				"  123456789012 ops: exempt until 2026-12-20, 2 keys hidden; reason: rotation pending\n"} {
			if !strings.Contains(m.Email, want) {
				t.Errorf("changes %v: the email lacks %q:\n%s", changes, want, m.Email)
			}
		}
	}
	if ex := o.Exemptions.TagExemptions; ex[0].Account != memberAccount || ex[2].Account != testAccount || ex[0].Problem != "" {
		t.Errorf("the listed tag exemptions %+v, want each with its account, by account then user, without its problem", ex)
	}
	// Beyond MaxTagExemptionsListed, the first by account and user are listed; the count is exact.
	var many []AccountResult
	for i := range MaxTagExemptionsListed + 5 {
		many = append(many, account(fmt.Sprintf("%012d", 400000000000+i), nil, TagExemption{UserName: "u", Until: "2026-12-20", Reason: "r", Status: TagExemptionHolds}))
	}
	slices.Reverse(many) // the pages come in any order
	var big OrgSummary
	for page := range slices.Chunk(many, AccountsPerPage) {
		if big, err = MergeAccounts(big, page, testAccount); err != nil {
			t.Fatal(err)
		}
	}
	if ex := big.Exemptions; ex.TagExemptionCount != MaxTagExemptionsListed+5 || len(ex.TagExemptions) != MaxTagExemptionsListed ||
		ex.TagExemptions[0].Account != "400000000000" || ex.TagExemptions[MaxTagExemptionsListed-1].Account != fmt.Sprintf("%012d", 400000000000+MaxTagExemptionsListed-1) {
		t.Errorf("%d tag exemptions counted, %d listed (first %+v); want %d counted, the first %d by account listed", ex.TagExemptionCount, len(ex.TagExemptions), ex.TagExemptions[0], MaxTagExemptionsListed+5, MaxTagExemptionsListed)
	}
	if r := must(NewOrgReport(big, p, testNow, false)); !strings.Contains(r.Message, fmt.Sprintf("%d read in the accounts checked, the first %d by account and user name shown", MaxTagExemptionsListed+5, MaxTagExemptionsListed)) {
		t.Errorf("the digest does not say how many of the tag exemptions it lists:\n%s", r.Message)
	}
	if r := must(NewOrgReport(o, Policy{MaxAgeDays: 90}, testNow, false)); strings.Contains(r.Message, "Exemptions (") {
		t.Errorf("a policy without exemptions: the digest lists exemptions:\n%s", r.Message)
	}
}
