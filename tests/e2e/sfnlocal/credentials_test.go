package sfnlocal

import "testing"

// TestCredentialsReachTheTaskServer: a Task's Credentials.RoleArn.$ is resolved on the state's
// input, as its Parameters are, and reaches the task server with the call, without the call's
// parameters carrying it; a literal RoleArn too; a Task without Credentials has none.
func TestCredentialsReachTheTaskServer(t *testing.T) {
	t.Parallel()
	a := NewAccount(testAccount)
	a.Add(&User{Name: "u"})
	def := `{"StartAt": "ByPath", "States": {
    "ByPath": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"MaxItems": 5},
      "Credentials": {"RoleArn.$": "$.role"}, "ResultPath": null, "Next": "Literal"},
    "Literal": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"MaxItems": 5},
      "Credentials": {"RoleArn": "arn:aws:iam::222222222222:role/literal"}, "ResultPath": null, "Next": "Own"},
    "Own": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"MaxItems": 5}, "End": true}}}`
	e := newBareEnv(t, a)
	res := e.Run(t, []byte(def), map[string]any{"role": "arn:aws:iam::111111111111:role/keyage-member"})
	WantStatus(t, res, "SUCCEEDED")
	calls := e.Tasks.Calls()
	want := []string{"arn:aws:iam::111111111111:role/keyage-member", "arn:aws:iam::222222222222:role/literal", ""}
	if len(calls) != len(want) {
		t.Fatalf("%d calls, want %d", len(calls), len(want))
	}
	for i, c := range calls {
		if c.RoleARN != want[i] {
			t.Errorf("call %d (%s): role %q, want %q", i, c.State, c.RoleARN, want[i])
		}
		if string(c.Input) != `{"MaxItems":5}` {
			t.Errorf("call %d (%s): parameters %s, want {\"MaxItems\":5} alone", i, c.State, c.Input)
		}
	}
}
