package sfnlocal

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keyage/keyage/lambda/lambdatest"
)

// TestCredentialsRouteIAMCalls: a Task's Credentials.RoleArn.$ is resolved on the state's input,
// as its Parameters are, a literal RoleArn as it is, and the IAM call acts in the account whose
// member role it names, without the call's parameters carrying it; a Task without Credentials
// acts in the deploying account; a role that does not let itself be assumed fails the Task.
func TestCredentialsRouteIAMCalls(t *testing.T) {
	t.Parallel()
	own, byPath, literal, untrusted := NewAccount(testAccount), NewAccount("111111111111"), NewAccount("222222222222"), NewAccount("333333333333")
	untrusted.RoleUntrusted = true
	def := `{"StartAt": "ByPath", "States": {
    "ByPath": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"MaxItems": 5},
      "Credentials": {"RoleArn.$": "$.role"}, "ResultPath": null, "Next": "Literal"},
    "Literal": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"MaxItems": 5},
      "Credentials": {"RoleArn": "arn:aws:iam::222222222222:role/keyage-member"}, "ResultPath": null, "Next": "Own"},
    "Own": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"MaxItems": 5}, "ResultPath": null, "Next": "Untrusted"},
    "Untrusted": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"MaxItems": 5},
      "Credentials": {"RoleArn": "arn:aws:iam::333333333333:role/keyage-member"}, "End": true}}}`
	e := newBareEnv(t, own)
	e.Tasks.Members, e.Tasks.MemberRole = lambdatest.NewAccounts(byPath, literal, untrusted), "keyage-member"
	res := e.Run(t, []byte(def), map[string]any{"role": "arn:aws:iam::111111111111:role/keyage-member"})
	WantStatus(t, res, "FAILED")
	if res.Error.Error != ErrRoleNotAssumable || !strings.Contains(res.Error.Cause, "333333333333") {
		t.Errorf("error %+v, want %s naming the untrusted account's role", res.Error, ErrRoleNotAssumable)
	}
	for _, a := range []*Account{own, byPath, literal} {
		if a.ListUsersCalls() != 1 {
			t.Errorf("account %s: %d ListUsers calls, want 1", a.ID, a.ListUsersCalls())
		}
	}
	if untrusted.ListUsersCalls() != 0 {
		t.Errorf("the untrusted account answered %d calls, want none", untrusted.ListUsersCalls())
	}
	calls := e.Tasks.Calls()
	want := []string{"arn:aws:iam::111111111111:role/keyage-member", "arn:aws:iam::222222222222:role/keyage-member", "", "arn:aws:iam::333333333333:role/keyage-member"}
	if len(calls) != len(want) {
		t.Fatalf("%d calls, want %d", len(calls), len(want))
	}
	for i, c := range calls {
		if c.RoleARN != want[i] || string(c.Input) != `{"MaxItems":5}` {
			t.Errorf("call %d (%s): role %q, parameters %s; want %q and {\"MaxItems\":5} alone", i, c.State, c.RoleARN, c.Input, want[i])
		}
	}
}

// TestListAccountsPages: the organization answers ListAccounts in pages with NextToken, State
// (or the retired Status), and refuses a MaxResults the API refuses.
func TestListAccountsPages(t *testing.T) {
	t.Parallel()
	o := &Organization{PageSize: 2, Accounts: []OrgAccount{
		{ID: "111111111111", Name: "a"}, {ID: "222222222222", Name: "b", State: AccountSuspended},
		{ID: "333333333333", Name: "c", StatusOnly: true}}}
	def := `{"StartAt": "List", "States": {
    "List": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:organizations:listAccounts", "Parameters": {"MaxResults": 20},
      "ResultPath": "$.first", "Next": "More"},
    "More": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:organizations:listAccounts",
      "Parameters": {"MaxResults": 20, "NextToken.$": "$.first.NextToken"}, "ResultPath": "$.second", "End": true}}}`
	e := newBareEnv(t, NewAccount(testAccount))
	e.Tasks.Organization = o
	res := e.Run(t, []byte(def), map[string]any{})
	WantStatus(t, res, "SUCCEEDED")
	var out struct {
		First, Second struct {
			Accounts  []map[string]any
			NextToken *string
		}
	}
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.First.Accounts) != 2 || out.First.NextToken == nil || out.First.Accounts[1]["State"] != AccountSuspended {
		t.Errorf("first page %+v, want 2 accounts (the second SUSPENDED) and a NextToken", out.First)
	}
	if len(out.Second.Accounts) != 1 || out.Second.NextToken != nil || out.Second.Accounts[0]["Status"] != AccountActive || out.Second.Accounts[0]["State"] != nil {
		t.Errorf("second page %+v, want the last account with Status only and no NextToken", out.Second)
	}
	if o.ListAccountsCalls() != 2 {
		t.Errorf("%d calls, want 2", o.ListAccountsCalls())
	}
}
