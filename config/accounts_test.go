package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseOrganizationInvalid(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		want   []string
	}{
		{"bad account ID", map[string]string{"accounts": `["12345"]`},
			[]string{`accounts[0]: 12345 is not an account ID: want a 12-digit AWS account ID, or organization alone for every account of the organization`}},
		{"keyword misspelt", map[string]string{"accounts": `["organisation"]`},
			[]string{`accounts[0]: "organisation" is not an account ID: want a 12-digit AWS account ID, or organization alone for every account of the organization`}},
		{"keyword mixed with IDs", map[string]string{"accounts": `["organization","111111111111"]`},
			[]string{`accounts: ["organization","111111111111"] mixes organization with account IDs: want either [organization] alone, or a list of 12-digit account IDs`}},
		{"keyword as a string", map[string]string{"accounts": "organization"},
			[]string{`accounts: "organization" is not a list: want [organization] (a list of the one word)`}},
		{"IDs as numbers", map[string]string{"accounts": `[111111111111]`},
			[]string{`accounts: [111111111111] is not a list of strings: want a list of 12-digit account IDs, or [organization] for every ACTIVE account of the organization; quote account IDs ("012345678901"), a number loses leading zeros`}},
		{"repeated account", map[string]string{"accounts": `["111111111111","222222222222","111111111111"]`},
			[]string{`accounts[2]: 111111111111 repeats accounts[0]: want each account ID once`}},
		{"empty accounts", map[string]string{"accounts": `[]`, "excludeAccounts": `["111111111111"]`},
			[]string{`accounts: [] is an empty list: want a list of 12-digit account IDs, [organization] for every ACTIVE account of the organization, or no accounts setting to scan only the account the stack is deployed in`}},
		{"exclude without accounts", map[string]string{"excludeAccounts": `["111111111111"]`},
			[]string{`excludeAccounts: ["111111111111"] is set, but accounts is not (the stack scans only the account it is deployed in): want no excludeAccounts, or accounts set to a list of account IDs or [organization]`}},
		{"exclude everything", map[string]string{"accounts": `["111111111111"]`, "excludeAccounts": `["111111111111"]`},
			[]string{`excludeAccounts: ["111111111111"] excludes every account of accounts, so nothing would be scanned: want account IDs that leave at least one account of accounts to scan`}},
		{"bad excluded ID", map[string]string{"accounts": `["organization"]`, "excludeAccounts": `["x"]`},
			[]string{`excludeAccounts[0]: "x" is not an account ID: want a 12-digit AWS account ID`}},
		{"role name with a slash", map[string]string{"memberRoleName": "keyage/member"},
			[]string{`memberRoleName: "keyage/member" is not an IAM role name: want 1 to 64 letters, digits and +=,.@_-, such as keyage-member`}},
		{"role name too long", map[string]string{"memberRoleName": strings.Repeat("r", 65)},
			[]string{`memberRoleName: "` + strings.Repeat("r", 65) + `" is not an IAM role name: want 1 to 64 letters, digits and +=,.@_-, such as keyage-member`}},
		{"concurrency zero", map[string]string{"accountConcurrency": "0"},
			[]string{"accountConcurrency: 0 is out of range: want an integer from 1 to 20"}},
		{"concurrency above a page", map[string]string{"accountConcurrency": "21"},
			[]string{"accountConcurrency: 21 is out of range: want an integer from 1 to 20"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.values)
			wantProblems(t, err, tt.want, "Parse(%v)", tt.values)
		})
	}
}

func TestParseOrganization(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		want   Organization
		scope  string
	}{
		{"absent", nil, Organization{MemberRoleName: "keyage-member", AccountConcurrency: 5},
			"the deploying account only (no accounts setting)"},
		{"list", map[string]string{"accounts": `["111111111111","222222222222"]`, "memberRoleName": "audit", "accountConcurrency": "20"},
			Organization{Accounts: []string{"111111111111", "222222222222"}, MemberRoleName: "audit", AccountConcurrency: 20},
			"2 accounts: 111111111111, 222222222222; through role audit in each account but the deploying one; 20 accounts at once"},
		{"organization", map[string]string{"accounts": `["organization"]`, "excludeAccounts": `["333333333333"]`, "accountConcurrency": "1"},
			Organization{Accounts: []string{"organization"}, ExcludeAccounts: []string{"333333333333"}, MemberRoleName: "keyage-member", AccountConcurrency: 1},
			"every ACTIVE account AWS Organizations lists (organizations:ListAccounts); never 333333333333; through role keyage-member in each account but the deploying one; 1 account at once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.values)
			if err != nil {
				t.Fatal(err)
			}
			got := c.Settings().Organization
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Organization = %+v, want %+v", got, tt.want)
			}
			if s := got.Scope(); s != tt.scope {
				t.Errorf("Scope() = %q, want %q", s, tt.scope)
			}
		})
	}
}

func TestMemberRoleARN(t *testing.T) {
	o := Defaults().Organization
	if got, want := o.MemberRoleARN("aws-cn", "111111111111"), "arn:aws-cn:iam::111111111111:role/keyage-member"; got != want {
		t.Errorf("MemberRoleARN = %q, want %q", got, want)
	}
	if got, want := o.MemberRoleARNPattern("aws"), "arn:aws:iam::*:role/keyage-member"; got != want {
		t.Errorf("MemberRoleARNPattern = %q, want %q", got, want)
	}
}

// TestCheckedOrganizationIsACopy: a Checked must not change when its caller's lists do.
func TestCheckedOrganizationIsACopy(t *testing.T) {
	s := Defaults()
	s.Organization.Accounts = []string{"111111111111"}
	c := MustCheck(s)
	s.Organization.Accounts[0] = "222222222222"
	if got := c.Settings().Organization.Accounts[0]; got != "111111111111" {
		t.Errorf("Checked's accounts changed with the caller's to %q", got)
	}
}
