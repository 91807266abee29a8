package asl

import (
	"testing"

	"github.com/keyage/keyage/internal/nodecheck"
)

// aslValidatorResult is one entry of tests/node/asl-validate.mjs's output.
type aslValidatorResult struct {
	File   string   `json:"file"`
	Valid  bool     `json:"valid"`
	Errors []string `json:"errors"`
}

// runASLValidator runs asl-validator@4.0.0 (through tests/node/asl-validate.mjs) over the
// files and returns its verdicts keyed by file. When Node or the npm packages are missing it
// skips the test with a message saying so, or fails it under KEYAGE_CROSSCHECK=1.
func runASLValidator(t *testing.T, files []string) map[string]aslValidatorResult {
	t.Helper()
	var results []aslValidatorResult
	if err := nodecheck.Require(t, "asl-validator").RunJSON(nil, &results, "asl-validate.mjs", files...); err != nil {
		t.Fatal(err)
	}
	if len(results) != len(files) {
		t.Fatalf("asl-validate.mjs reported %d results for %d files", len(results), len(files))
	}
	out := make(map[string]aslValidatorResult, len(results))
	for _, r := range results {
		out[r.File] = r
	}
	return out
}
