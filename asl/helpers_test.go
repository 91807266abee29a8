package asl

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata from the current output")

// repoRoot walks up from the test's directory to the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// aslValidatorResult is one entry of tests/node/asl-validate.mjs's output.
type aslValidatorResult struct {
	File   string   `json:"file"`
	Valid  bool     `json:"valid"`
	Errors []string `json:"errors"`
}

// runASLValidator runs asl-validator@4.0.0 (through tests/node/asl-validate.mjs) over the
// files and returns its verdicts keyed by file. It fails the test, never skips it, when Node or
// the npm packages are missing.
func runASLValidator(t *testing.T, files []string) map[string]aslValidatorResult {
	t.Helper()
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "tests", "node", "node_modules", "asl-validator", "package.json")); err != nil {
		t.Fatalf("asl-validator is not installed (%v): run `npm ci --prefix tests/node`", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): install Node.js 20 or later, then run `npm ci --prefix tests/node`", err)
	}
	args := append([]string{filepath.Join(root, "tests", "node", "asl-validate.mjs")}, files...)
	cmd := exec.Command(node, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("asl-validate.mjs: %v\n%s", err, stderr.String())
	}
	var results []aslValidatorResult
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		t.Fatalf("asl-validate.mjs output is not JSON: %v\n%s", err, stdout.String())
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
