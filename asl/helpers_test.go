package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

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

// crossCheckEnv names the environment variable that makes a missing Node cross-checker a
// failure instead of a skip; scripts/test sets it, so CI fails hard.
const crossCheckEnv = "KEYAGE_CROSSCHECK"

// missingCrossChecker skips the test with why and how to fix it, or fails it when
// KEYAGE_CROSSCHECK=1 (in the spirit of the standard library's internal/testenv.MustHaveExec):
// the package's own tests then run on a machine without Node, and CI still cannot lose a check.
func missingCrossChecker(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv(crossCheckEnv) == "1" {
		t.Fatalf("%s (%s=1 makes this a failure)", msg, crossCheckEnv)
		return
	}
	t.Skipf("skipping the Node cross-check: %s (set %s=1 to fail instead)", msg, crossCheckEnv)
}

// runASLValidator runs asl-validator@4.0.0 (through tests/node/asl-validate.mjs) over the
// files and returns its verdicts keyed by file. When Node or the npm packages are missing it
// skips the test with a message saying so, or fails it under KEYAGE_CROSSCHECK=1.
func runASLValidator(t *testing.T, files []string) map[string]aslValidatorResult {
	t.Helper()
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "tests", "node", "node_modules", "asl-validator", "package.json")); err != nil {
		missingCrossChecker(t, "asl-validator is not installed (%v): run `npm ci --prefix tests/node`", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missingCrossChecker(t, "node is not on PATH (%v): install Node.js 20 or later, then run `npm ci --prefix tests/node`", err)
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

// fakeTB records what missingCrossChecker asks of a test.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (*fakeTB) Helper()                         {}
func (f *fakeTB) Skipf(format string, a ...any) { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) {
	f.failed = fmt.Sprintf(format, a...)
}

func TestMissingCrossCheckerSkipsUnlessRequired(t *testing.T) {
	for _, tc := range []struct {
		env                     string
		wantSkipped, wantFailed bool
	}{
		{env: "", wantSkipped: true},
		{env: "0", wantSkipped: true},
		{env: "1", wantFailed: true},
	} {
		t.Run("KEYAGE_CROSSCHECK="+tc.env, func(t *testing.T) {
			t.Setenv(crossCheckEnv, tc.env)
			f := &fakeTB{}
			missingCrossChecker(f, "node is not on PATH")
			if got := f.skipped != ""; got != tc.wantSkipped {
				t.Errorf("skipped = %q, want skipped %v", f.skipped, tc.wantSkipped)
			}
			if got := f.failed != ""; got != tc.wantFailed {
				t.Errorf("failed = %q, want failed %v", f.failed, tc.wantFailed)
			}
			for _, msg := range []string{f.skipped, f.failed} {
				if msg != "" && (!strings.Contains(msg, "node is not on PATH") || !strings.Contains(msg, crossCheckEnv+"=1")) {
					t.Errorf("message %q does not say what is missing and how %s=1 changes it", msg, crossCheckEnv)
				}
			}
		})
	}
}
