package e2e

// Organization runs (settings accounts): the deploying account scanned by the parent, every other
// account in a child through its member role. Each IAM task with Credentials acts in the account
// whose member role it names, the function's own lookups go through STS AssumeRole of that role
// (lambdatest's fake IAM answers both and routes by the signing credentials), and Organizations
// lists the accounts in pages.

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/lambda/lambdatest"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
	"github.com/keyage/keyage/workflow"
)

const memberRole = config.DefaultMemberRoleName

// newOrgEnv is an organization's world: the deploying account own, the member accounts (each
// holding the member role), the organization that lists accounts (nil: an accounts list), the
// real function whose IAM and STS calls the fake IAM answers for all of them, and the task server.
func newOrgEnv(t testing.TB, own *sfnlocal.Account, org *sfnlocal.Organization, members ...*sfnlocal.Account) (*sfnlocal.Env, *lambdatest.IAM) {
	t.Helper()
	e, iam := startWorld(t, own, members, true, nil)
	e.Tasks.Organization = org
	return e, iam
}

// accountWithID is a mixed account of n users with another ID.
func accountWithID(id string, n int) *sfnlocal.Account {
	a := mixedAccount(n)
	a.ID = id
	return a
}

// orgDigest returns the organization's digest, the one message a subscription without a filter
// policy of its own receives (config.DigestFilterPolicy), and its machine-readable body.
func orgDigest(t testing.TB, e *sfnlocal.Env) (sfnlocal.Publish, agecheck.OrgMessageBody, string) {
	t.Helper()
	pubs := delivered(t, config.DigestFilterPolicy, e.Tasks.Published())
	if len(pubs) != 1 {
		t.Fatalf("%d messages delivered to a subscription without a filter policy, want the organization's one digest", len(pubs))
	}
	return orgDigestAt(t, e, 0)
}

// orgDigestAt returns the i-th organization digest published (the messages a subscription
// without a filter policy receives, config.DigestFilterPolicy) and its machine-readable body.
func orgDigestAt(t testing.TB, e *sfnlocal.Env, i int) (sfnlocal.Publish, agecheck.OrgMessageBody, string) {
	t.Helper()
	pubs := delivered(t, config.DigestFilterPolicy, e.Tasks.Published())
	var bodies struct{ Default, Email string }
	if err := json.Unmarshal([]byte(pubs[i].Message), &bodies); err != nil {
		t.Fatal(err)
	}
	var body agecheck.OrgMessageBody
	if err := json.Unmarshal([]byte(bodies.Default), &body); err != nil {
		t.Fatalf("default body: %v\n%s", err, bodies.Default)
	}
	return pubs[i], body, bodies.Email
}

// sumCounts adds the expectations' counts, field by field: every field of agecheck.Counts is a
// count, and one added there is summed here too.
func sumCounts(want ...expectation) agecheck.Counts {
	var c agecheck.Counts
	sum := reflect.ValueOf(&c).Elem()
	for _, w := range want {
		v := reflect.ValueOf(w.counts)
		for i := range v.NumField() {
			sum.Field(i).SetInt(sum.Field(i).Int() + v.Field(i).Int())
		}
	}
	return c
}

// TestSumCountsAddsEveryField: each field of agecheck.Counts, one in each expectation, sums to two.
func TestSumCountsAddsEveryField(t *testing.T) {
	var one expectation
	v := reflect.ValueOf(&one.counts).Elem()
	for i := range v.NumField() {
		v.Field(i).SetInt(1)
	}
	got := reflect.ValueOf(sumCounts(one, one))
	for i := range got.NumField() {
		if n := got.Field(i).Int(); n != 2 {
			t.Errorf("%s sums to %d, want 2", got.Type().Field(i).Name, n)
		}
	}
}

func section(body agecheck.OrgMessageBody, id string) (agecheck.AccountResult, bool) {
	for _, s := range body.Sections {
		if s.Target.ID == id {
			return s, true
		}
	}
	return agecheck.AccountResult{}, false
}

func orgSettings() config.Settings {
	s := mixedSettings()
	s.Organization.Accounts = []string{config.OrganizationKeyword}
	return s
}

// TestOrganizationThreeAccounts: Organizations lists the deploying account and two members in
// two pages; each account is judged from its own users and keys, the members' through their
// member role (aws-sdk tasks and the function's lookups alike), and the digest gives the
// organization's totals, then a section per account with findings; the clean one is counted.
func TestOrganizationThreeAccounts(t *testing.T) {
	t.Parallel()
	own := mixedAccount(30)
	findings := accountWithID("111111111111", 45)
	findings.RootAccessKeys = true
	clean := sfnlocal.NewAccount("222222222222")
	clean.Add(&sfnlocal.User{Name: "ok", Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(3)))}})
	org := &sfnlocal.Organization{PageSize: 2, Accounts: []sfnlocal.OrgAccount{
		{ID: testAccount, Name: "management"}, {ID: findings.ID, Name: "workloads"}, {ID: clean.ID, Name: "sandbox"}}}
	s := orgSettings()
	e, iam := newOrgEnv(t, own, org, findings, clean)
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	p := s.Policy()
	wantOwn, wantFindings, wantClean := expect(own, p, testNow), expect(findings, p, testNow), expect(clean, p, testNow)

	pub, body, email := orgDigest(t, e)
	if got, want := body.Counts, sumCounts(wantOwn, wantFindings, wantClean); got != want {
		t.Errorf("organization counts %+v, want %+v", got, want)
	}
	wantAccounts := agecheck.AccountCounts{Checked: 3, Clean: 1, Sections: 2, RootPresent: 1}
	if body.Accounts != wantAccounts {
		t.Errorf("accounts %+v, want %+v", body.Accounts, wantAccounts)
	}
	for id, want := range map[string]expectation{testAccount: wantOwn, findings.ID: wantFindings} {
		sec, ok := section(body, id)
		if !ok || sec.Summary == nil || sec.Summary.Counts != want.counts {
			t.Errorf("account %s: section %+v, want its counts %+v", id, sec, want.counts)
		}
	}
	if sec, _ := section(body, findings.ID); sec.Target.Name != "workloads" || sec.Summary.Root == nil || sec.Summary.Root.Status != agecheck.RootKeysPresent {
		t.Errorf("account %s: section %+v, want its name from Organizations and its root key", findings.ID, sec)
	}
	if sec, _ := section(body, testAccount); sec.Target.Name != "management" || !strings.Contains(email, "Account "+testAccount+" (management):") {
		t.Errorf("the deploying account's section %+v, want its name from Organizations, management", sec)
	}
	if _, ok := section(body, clean.ID); ok {
		t.Errorf("the clean account %s has a section", clean.ID)
	}
	if _, ok := pub.Attributes["account"]; ok || pub.Attributes["scope"] != agecheck.ScopeOrganization || pub.Attributes["severity"] != agecheck.SeverityStale {
		t.Errorf("attributes %v, want scope organization, no account (it is about many), severity stale", pub.Attributes)
	}
	if !strings.HasPrefix(pub.Subject, "IAM keys in 3 accounts: 1 root user with keys") || !strings.Contains(email, "Account 111111111111 (workloads):") {
		t.Errorf("subject %q / email without the workloads section:\n%s", pub.Subject, email)
	}

	// Every account was read with its own calls, the members' through their role.
	for _, a := range []*sfnlocal.Account{own, findings, clean} {
		if a.ListUsersCalls() == 0 || a.AccountSummaryCalls() != 1 {
			t.Errorf("account %s: %d ListUsers, %d GetAccountSummary calls; want its own", a.ID, a.ListUsersCalls(), a.AccountSummaryCalls())
		}
	}
	for _, c := range e.Tasks.Calls() {
		if strings.HasPrefix(c.State, "Member") && strings.Contains(c.Resource, ":iam:") && !strings.HasSuffix(c.RoleARN, ":role/"+memberRole) {
			t.Errorf("%s called IAM with role %q, want a member role", c.State, c.RoleARN)
		}
		if !strings.HasPrefix(c.State, "Member") && c.RoleARN != "" {
			t.Errorf("%s (the deploying account's scan) called with role %q, want its own", c.State, c.RoleARN)
		}
	}
	// The function looked up the members' keys in the members, through STS, once per invocation.
	if len(findings.KeyCalls()) == 0 {
		t.Errorf("no GetAccessKeyLastUsed call reached account %s", findings.ID)
	}
	for _, call := range iam.Assumed() {
		if !strings.Contains(call, ":role/"+memberRole+" as e2e-") {
			t.Errorf("AssumeRole %q, want the member role in a session named after the run", call)
		}
	}
	if len(iam.Assumed()) == 0 {
		t.Error("the function assumed no member role")
	}
	if org.ListAccountsCalls() != 2 {
		t.Errorf("%d ListAccounts calls, want 2 (pages of 2)", org.ListAccountsCalls())
	}
}

// TestOrganizationRoleNotAssumable: one listed account's member role cannot be assumed; it is
// reported unchecked with the error, first, and the other account is still scanned.
func TestOrganizationRoleNotAssumable(t *testing.T) {
	t.Parallel()
	own := mixedAccount(5)
	ok := accountWithID("111111111111", 20)
	locked := accountWithID("222222222222", 20)
	locked.RoleUntrusted = true
	s := mixedSettings()
	s.Organization.Accounts = []string{ok.ID, locked.ID} // not the deploying account
	e, _ := newOrgEnv(t, own, nil, ok, locked)
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	_, body, email := orgDigest(t, e)
	if body.Accounts.Checked != 1 || body.Accounts.Unchecked != 1 || len(body.Sections) != 2 {
		t.Fatalf("accounts %+v, %d sections; want 1 checked, 1 unchecked, 2 sections", body.Accounts, len(body.Sections))
	}
	first := body.Sections[0]
	if first.Target.ID != locked.ID || first.Status != agecheck.AccountUnchecked || first.Error == nil || first.Error.Error != sfnlocal.ErrRoleNotAssumable {
		t.Errorf("first section %+v, want %s unchecked with %s", first, locked.ID, sfnlocal.ErrRoleNotAssumable)
	}
	if want := expect(ok, s.Policy(), testNow).counts; body.Counts != want {
		t.Errorf("counts %+v, want the scanned account's %+v", body.Counts, want)
	}
	if !strings.Contains(email, "Account 222222222222: NOT CHECKED") || body.Severity != agecheck.SeverityStale {
		t.Errorf("severity %s; email:\n%s\nwant the unchecked account named, severity stale (the other account's findings)", body.Severity, email)
	}
	if locked.ListUsersCalls() != 0 || own.ListUsersCalls() != 0 {
		t.Errorf("ListUsers calls: locked %d, deploying %d; want none (not assumable; not in accounts)", locked.ListUsersCalls(), own.ListUsersCalls())
	}
}

// TestOrganizationInactiveAndExcludedAccounts: Organizations lists a SUSPENDED account, one with
// only the retired Status, and an excluded one: only ACTIVE, not excluded accounts are scanned;
// the suspended one has a section saying so.
func TestOrganizationInactiveAndExcludedAccounts(t *testing.T) {
	t.Parallel()
	own := mixedAccount(5)
	suspended, statusOnly, excluded := accountWithID("111111111111", 5), accountWithID("222222222222", 5), accountWithID("333333333333", 5)
	org := &sfnlocal.Organization{Accounts: []sfnlocal.OrgAccount{{ID: testAccount}, {ID: suspended.ID, Name: "old", State: sfnlocal.AccountSuspended},
		{ID: statusOnly.ID, StatusOnly: true}, {ID: excluded.ID}}}
	s := orgSettings()
	s.Organization.ExcludeAccounts = []string{excluded.ID}
	e, _ := newOrgEnv(t, own, org, suspended, statusOnly, excluded)
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	_, body, email := orgDigest(t, e)
	want := agecheck.AccountCounts{Checked: 2, Skipped: 1, Excluded: 1, Sections: 3}
	if body.Accounts != want {
		t.Errorf("accounts %+v, want %+v", body.Accounts, want)
	}
	if sec, ok := section(body, suspended.ID); !ok || sec.Status != agecheck.AccountSkipped || !strings.Contains(email, "Account 111111111111 (old): not scanned, Organizations lists it as SUSPENDED") {
		t.Errorf("suspended account: section %+v; email:\n%s", sec, email)
	}
	if suspended.ListUsersCalls() != 0 || excluded.ListUsersCalls() != 0 || statusOnly.ListUsersCalls() == 0 {
		t.Errorf("ListUsers calls: suspended %d, excluded %d, Status-only %d; want 0, 0 and some", suspended.ListUsersCalls(), excluded.ListUsersCalls(), statusOnly.ListUsersCalls())
	}
}

// TestOrganizationNotListable: an organization that cannot be listed fails the run (and the
// failed-run alarm fires), rather than report the accounts it never saw as clean. The deploying
// account, scanned before the listing, has published its own message: it is about that account
// alone, and true.
func TestOrganizationNotListable(t *testing.T) {
	t.Parallel()
	e, _ := newOrgEnv(t, mixedAccount(5), &sfnlocal.Organization{Failures: sfnlocal.Forever})
	res := e.Run(t, definition(t, orgSettings()), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "FAILED")
	pubs := e.Tasks.Published()
	if res.Error.Error != "Organizations.AccessDeniedException" || len(pubs) != 1 || pubs[0].Attributes["account"] != testAccount || pubs[0].Attributes["scope"] != agecheck.ScopeAccount {
		t.Errorf("error %+v, %d messages; want the run failed with Organizations.AccessDeniedException, only the deploying account's own message published", res.Error, len(pubs))
	}
}

// Test200Accounts50Users: 200 member accounts of 50 users and the deploying one, listed 20 a
// page: the totals are exact, every account is scanned once, and no state exceeds 256 KiB.
func Test200Accounts50Users(t *testing.T) {
	t.Parallel()
	own := mixedAccount(50)
	var members []*sfnlocal.Account
	org := &sfnlocal.Organization{Accounts: []sfnlocal.OrgAccount{{ID: testAccount}}}
	wants := []expectation{}
	s := orgSettings()
	s.Organization.AccountConcurrency = config.MaxAccountConcurrency
	wants = append(wants, expect(own, s.Policy(), testNow))
	for i := range 200 {
		m := accountWithID(fmt.Sprintf("%012d", 500000000000+i), 50)
		members = append(members, m)
		org.Accounts = append(org.Accounts, sfnlocal.OrgAccount{ID: m.ID, Name: fmt.Sprintf("team-%03d", i)})
		wants = append(wants, expect(m, s.Policy(), testNow))
	}
	e, _ := newOrgEnv(t, own, org, members...)
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	_, body, _ := orgDigest(t, e)
	if got, want := body.Counts, sumCounts(wants...); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
	if body.Accounts.Checked != 201 || body.Accounts.Sections != 201 || !body.Truncated || len(body.Sections) == 0 {
		t.Errorf("accounts %+v, %d sections listed, truncated %v; want 201 checked with sections, the digest trimmed", body.Accounts, len(body.Sections), body.Truncated)
	}
	if i := slices.IndexFunc(members, func(m *sfnlocal.Account) bool { return m.ListUsersCalls() != 2 }); i >= 0 {
		t.Errorf("account %s: %d ListUsers calls, want 2 (50 users, pages of 40)", members[i].ID, members[i].ListUsersCalls())
	}
	if org.ListAccountsCalls() != 11 {
		t.Errorf("%d ListAccounts calls, want 11 (201 accounts, 20 a page)", org.ListAccountsCalls())
	}
	t.Logf("201 accounts of 50 users: largest state %v; root transitions %d, children's %d, child executions %d",
		res.Largest, res.Transitions.Root, res.Transitions.Children, res.Transitions.ChildExecutions)
}

// TestOrganizationDeployingAccountNotRead: the deploying account's own scan fails (ListUsers
// throttled beyond its retries; a truncated page without a Marker), or excludeAccounts holds it.
// The run still succeeds, the member account is scanned, and the digest counts the member's keys
// alone. A failed scan makes the deploying account NOT CHECKED with its error, first; an excluded
// one is not scanned at all (neither ListUsers nor GetAccountSummary) and counted as excluded.
func TestOrganizationDeployingAccountNotRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		breakScan func(*sfnlocal.Account)
		exclude   bool
		want      agecheck.AccountCounts
		wantError string // of the deploying account's section; "" when excluded
	}{
		{"throttled", func(a *sfnlocal.Account) { a.Throttle("ListUsers", sfnlocal.Forever) }, false,
			agecheck.AccountCounts{Checked: 1, Unchecked: 1, Sections: 2}, sfnlocal.ErrIAMGeneric},
		{"no marker", func(a *sfnlocal.Account) {
			a.PageSize = func(page, maxItems int) int { return 10 } // IAM may return short pages
			a.MarkerMissing = true
		}, false, agecheck.AccountCounts{Checked: 1, Unchecked: 1, Sections: 2}, workflow.ErrorIncompleteListing},
		{"excluded", func(*sfnlocal.Account) {}, true, agecheck.AccountCounts{Checked: 1, Excluded: 1, Sections: 1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			own := mixedAccount(30)
			tt.breakScan(own)
			member := accountWithID("111111111111", 10)
			org := &sfnlocal.Organization{Accounts: []sfnlocal.OrgAccount{{ID: testAccount, Name: "management"}, {ID: member.ID, Name: "workloads"}}}
			s := orgSettings()
			if tt.exclude {
				s.Organization.ExcludeAccounts = []string{testAccount}
			}
			e, _ := newOrgEnv(t, own, org, member)
			res := e.Run(t, definition(t, s), scheduled(testNow))
			sfnlocal.WantStatus(t, res, "SUCCEEDED")

			_, body, email := orgDigest(t, e)
			if body.Accounts != tt.want {
				t.Errorf("accounts %+v, want %+v", body.Accounts, tt.want)
			}
			if want := expect(member, s.Policy(), testNow).counts; body.Counts != want {
				t.Errorf("counts %+v, want the member's %+v alone (the deploying account was not read)", body.Counts, want)
			}
			if member.ListUsersCalls() == 0 {
				t.Errorf("the member account %s was not scanned", member.ID)
			}
			if tt.exclude {
				if own.ListUsersCalls() != 0 || own.AccountSummaryCalls() != 0 {
					t.Errorf("the excluded deploying account was read: %d ListUsers calls, %d GetAccountSummary calls; want none",
						own.ListUsersCalls(), own.AccountSummaryCalls())
				}
				return
			}
			if len(body.Sections) == 0 {
				t.Fatal("no section")
			}
			first := body.Sections[0]
			if first.Target.ID != testAccount || first.Status != agecheck.AccountUnchecked || first.Error == nil || first.Error.Error != tt.wantError {
				t.Errorf("first section %+v, want %s unchecked with %s", first, testAccount, tt.wantError)
			}
			if !strings.Contains(email, "Account "+testAccount+" (management): NOT CHECKED") {
				t.Errorf("email without the deploying account NOT CHECKED:\n%s", email)
			}
		})
	}
}
