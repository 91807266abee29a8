package workflow

import (
	"strings"
	"testing"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
)

// TestIAMTasksRetryThrottlingAndTransientErrors pins the retry lists of the IAM calls by
// meaning rather than through the golden file (found by hand mutation): IAM throttling arrives
// as Iam.IamException, so a list without it fails the run (ListUsers) or reports users
// unchecked (ListAccessKeys) at the first throttle; a deleted user is not retried.
func TestIAMTasksRetryThrottlingAndTransientErrors(t *testing.T) {
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	var found []string
	eachState(m.States, func(name string, st asl.State) {
		task, ok := st.(*asl.Task)
		if !ok || !strings.Contains(task.Resource, ":aws-sdk:iam:") {
			return
		}
		found = append(found, name)
		if task.TimeoutSeconds.N <= 0 {
			t.Errorf("%s has no TimeoutSeconds: a hung call would stall the run", name)
		}
		if len(task.Retry) == 0 {
			t.Fatalf("%s has no Retry", name)
		}
		r := task.Retry[0].ErrorEquals
		for _, e := range []string{"Iam.IamException", "Iam.ServiceFailureException", asl.ErrTimeout} {
			if !contains(r, e) {
				t.Errorf("%s: Retry[0] %v does not retry %s", name, r, e)
			}
		}
		for _, e := range []string{"Iam.NoSuchEntityException", asl.ErrAll} {
			if contains(r, e) {
				t.Errorf("%s: Retry[0] %v retries %s, which cannot succeed on retry", name, r, e)
			}
		}
	})
	if len(found) != 4 || !contains(found, StateListUsers) || !contains(found, StateListMoreUsers) || !contains(found, StateListAccessKeys) ||
		!contains(found, StateCheckRootKeys) {
		t.Errorf("found IAM tasks %v, want ListUsers, ListMoreUsers, ListAccessKeys and CheckRootKeys", found)
	}
}
