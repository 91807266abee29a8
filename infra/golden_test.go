package infra_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/internal/golden"
	"github.com/keyage/keyage/internal/modroot"
	"github.com/keyage/keyage/workflow"
)

// TestDefinitionEqualsGoldenFile deploys the default stack into the placeholder account and
// region, and compares the state machine's definition input byte for byte with the workflow's
// golden file (workflow/testdata/default.asl.json), once the two deployed ARNs (function and
// topic) are replaced by the golden file's placeholders. A change to the deployed definition
// therefore shows up as a golden-file diff to review.
func TestDefinitionEqualsGoldenFile(t *testing.T) {
	t.Parallel()
	s := settings(t, nil)
	d, err := runIn(t, "aws", workflow.PlaceholderRegion, workflow.PlaceholderAccountID, infra.Program(infra.ProgramOptions{Settings: &s, Function: dummyFunction}))
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	placeholders := workflow.PlaceholderResources()
	prefix := "arn:aws:%s:" + workflow.PlaceholderRegion + ":" + workflow.PlaceholderAccountID + ":"
	deployed := strings.NewReplacer(
		strings.Replace(prefix, "%s", "lambda", 1)+"function:"+functionName, placeholders.FunctionARN,
		strings.Replace(prefix, "%s", "sns", 1)+findingsTopic, placeholders.TopicARN,
	)
	m := d.one(tMachine, "keyage-machine")
	got := deployed.Replace(inputString(t, m, "definition"))
	path := filepath.Join(modroot.MustFind(t), "workflow", "testdata", "default.asl.json")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := bytes.TrimSpace([]byte(got)), bytes.TrimSpace(want); !bytes.Equal(g, w) {
		t.Errorf("%s %q: definition (deployed ARNs replaced by placeholders) differs from %s:\n%s", m.Type, m.Name, path, golden.Diff(w, g))
	}
	if !strings.Contains(string(want), placeholders.FunctionARN) || !strings.Contains(string(want), placeholders.TopicARN) {
		t.Errorf("%s does not name the placeholder function and topic: the replacement above proves nothing", path)
	}
}
