package infra_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/infra/infratest"
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

// TestOrganizationSubscriptionFilters: in an organization stack, a findings subscription without
// a filter policy is deployed with the digest's ({"scope":["organization"]}), one with a policy
// keeps it, and an alarm subscription stays unfiltered.
func TestOrganizationSubscriptionFilters(t *testing.T) {
	t.Parallel()
	values := map[string]string{
		"subscriptions":      `[{"protocol":"email","endpoint":"all@example.com"},{"protocol":"email","endpoint":"team@example.com","filterPolicy":{"account":["111122223333"]}}]`,
		"alarmSubscriptions": `[{"protocol":"email","endpoint":"oncall@example.com"}]`,
	}
	maps.Copy(values, orgSettings)
	d := mustRun(t, values)
	want := map[string][2]string{
		"all@example.com":    {config.DigestFilterPolicy, config.ScopeMessageAttributes},
		"team@example.com":   {`{"account":["111122223333"]}`, ""},
		"oncall@example.com": {"", ""},
	}
	for _, r := range d.ofType(tSubscription) {
		plain := infratest.PlainMap(r.Inputs)
		endpoint, _ := plain["endpoint"].(string)
		policy, _ := plain["filterPolicy"].(string)
		scope, _ := plain["filterPolicyScope"].(string)
		if w, ok := want[endpoint]; !ok || policy != w[0] || scope != w[1] {
			t.Errorf("subscription %s: filter policy %q scope %q, want %q %q", endpoint, policy, scope, w[0], w[1])
		}
		delete(want, endpoint)
	}
	if len(want) > 0 {
		t.Errorf("subscriptions not deployed: %v", want)
	}
}
