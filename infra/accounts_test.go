package infra_test

import (
	"slices"
	"testing"

	"github.com/keyage/keyage/iampolicy"
)

// orgSettings scan every account of the organization, one excluded.
var orgSettings = map[string]string{
	"accounts":        `["organization"]`,
	"excludeAccounts": `["210987654321"]`,
	"memberRoleName":  "keyage-reader",
}

// actionsOn collects the resources of every statement that grants action.
func actionsOn(doc []iampolicy.Statement, action string) []string {
	var out []string
	for _, s := range doc {
		if s.Effect == "Allow" && slices.Contains(s.Action, action) {
			out = append(out, s.Resource...)
		}
	}
	return out
}

// TestOrganizationPermissions: an organization run's roles may assume exactly the member role in
// other accounts (the state machine for its IAM tasks, the function for its last-used lookups)
// and list the organization's accounts; a single-account stack's roles may do neither.
func TestOrganizationPermissions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		values   map[string]string
		assume   []string
		listAccs []string
	}{
		{"organization", orgSettings, []string{"arn:aws:iam::*:role/keyage-reader"}, []string{"*"}},
		{"accounts", map[string]string{"accounts": `["111111111111","` + account + `"]`},
			[]string{"arn:aws:iam::111111111111:role/keyage-member"}, nil},
		{"single account", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustRun(t, tt.values)
			machine := policy(t, d.one(tRolePolicy, "keyage-machine-policy"), "policy").Statement
			function := policy(t, d.one(tRolePolicy, "keyage-function-policy"), "policy").Statement
			if got := actionsOn(machine, "sts:AssumeRole"); !slices.Equal(got, tt.assume) {
				t.Errorf("machine role may assume %v, want exactly %v", got, tt.assume)
			}
			if got := actionsOn(function, "sts:AssumeRole"); !slices.Equal(got, tt.assume) {
				t.Errorf("function role may assume %v, want exactly %v", got, tt.assume)
			}
			if got := actionsOn(machine, "organizations:ListAccounts"); !slices.Equal(got, tt.listAccs) {
				t.Errorf("machine role may list accounts on %v, want %v", got, tt.listAccs)
			}
			if got := actionsOn(function, "organizations:ListAccounts"); got != nil {
				t.Errorf("function role may list accounts on %v, want never", got)
			}
		})
	}
}
