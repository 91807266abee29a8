package docs

import (
	"encoding/json"
	"testing"

	"github.com/keyage/keyage/infra/deployer"
	"github.com/keyage/keyage/internal/golden"
	"github.com/keyage/keyage/workflow"
)

// TestREADMEShowsTheDeployerPolicy keeps the README's deployer policy equal to what
// `keyage deployer-policy --stack prod` prints.
func TestREADMEShowsTheDeployerPolicy(t *testing.T) {
	got := readmeSection(t, "<code>go run ./cmd/keyage deployer-policy --stack prod</code>)</summary>\n\n```json\n", "```")
	s := loadStack(t, "prod")
	// Pulumi.prod.yaml's aws:region, which the command defaults to.
	doc, err := deployer.ForStack(s, "prod", deployer.Env{Partition: "aws", Region: "eu-central-1", AccountID: workflow.PlaceholderAccountID})
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("README.md's deployer policy differs from `go run ./cmd/keyage deployer-policy --stack prod`:\n%s", golden.Diff(want, []byte(got)))
	}
}
