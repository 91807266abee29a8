package workflow

import (
	"os"
	"testing"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// TestEveryRunMachineHasNoLedger: with notify: every-run the definition is the one keyage had
// before the ledger, byte for byte (testdata/every-run.asl.json is the default machine of then).
func TestEveryRunMachineHasNoLedger(t *testing.T) {
	s := config.Defaults()
	s.Ledger.Notify = agecheck.NotifyEveryRun
	got := mustRender(t, mustDefinition(t, s, PlaceholderResources()))
	want, err := os.ReadFile("testdata/every-run.asl.json")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("the every-run machine differs from testdata/every-run.asl.json (the machine before the ledger)")
	}
}

// TestCommitOnlyAfterThePublish: with notify: changes the commit is reached from Notify's
// success and from a report that publishes nothing, never from a failure: Notify has no Catch,
// so a publish that fails for good fails the run before anything is recorded.
func TestCommitOnlyAfterThePublish(t *testing.T) {
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	notify := m.States[StateNotify].(*asl.Task)
	if notify.Next != stateHasCommit || len(notify.Catch) != 0 {
		t.Errorf("Notify: Next %q, %d catchers; want %q and none", notify.Next, len(notify.Catch), stateHasCommit)
	}
	if d := m.States[stateHasFindings].(*asl.Choice).Default; d != stateHasCommit {
		t.Errorf("nothing to publish goes to %q, want %q (the lease is released)", d, stateHasCommit)
	}
	commit := m.States[StateCommit].(*asl.Task)
	payload := lambdaPayload(commit)
	if payload["op"] != agecheck.OpCommit || payload["commit.$"] != "$.commit" {
		t.Errorf("commit payload %v: want op commit with the report's commit", payload)
	}
	for _, name := range []string{StateCheckKeys, StateMergeResults, StateReport} {
		if !containsLedger(m.States[name]) {
			t.Errorf("%s does not pass the run's ledger context to the function", name)
		}
	}
}

func containsLedger(st asl.State) bool {
	switch s := st.(type) {
	case *asl.Map:
		_, ok := s.ItemBatcher.BatchInput.(map[string]any)["ledger.$"]
		return ok
	case *asl.Task:
		_, ok := lambdaPayload(s)["ledger.$"]
		return ok
	}
	return false
}
