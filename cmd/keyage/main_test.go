package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/modroot"
)

// runCLI runs the command line in-process.
func runCLI(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(args, &out, &errOut)
	return status, out.String(), errOut.String()
}

// runCLIOK runs the command line in-process, which must succeed with nothing on stderr, and
// returns what it printed.
func runCLIOK(t *testing.T, args ...string) string {
	t.Helper()
	status, stdout, stderr := runCLI(args...)
	if status != exitOK || stderr != "" {
		t.Fatalf("keyage %s = %d, stderr %q; want 0 and nothing on stderr", strings.Join(args, " "), status, stderr)
	}
	return stdout
}

// runCLIJSON is runCLIOK for a command that prints a JSON document: it decodes it into v.
func runCLIJSON(t *testing.T, v any, args ...string) string {
	t.Helper()
	stdout := runCLIOK(t, args...)
	if err := json.Unmarshal([]byte(stdout), v); err != nil {
		t.Fatalf("keyage %s printed no JSON document: %v\n%s", strings.Join(args, " "), err, stdout)
	}
	return stdout
}

func TestUsageListsCommandsSorted(t *testing.T) {
	stdout := runCLIOK(t, "help")
	var listed []string
	inCommands := false
	for _, line := range strings.Split(stdout, "\n") {
		switch {
		case line == "Commands:":
			inCommands = true
		case inCommands && strings.HasPrefix(line, "  "):
			listed = append(listed, strings.Fields(line)[0])
		case inCommands:
			inCommands = false
		}
	}
	if len(listed) != len(commands) || !slices.IsSorted(listed) || !slices.Contains(listed, "validate") {
		t.Errorf("usage lists %v, want all %d commands sorted, validate among them:\n%s", listed, len(commands), stdout)
	}
	for _, cmd := range commands {
		if !strings.Contains(stdout, cmd.summary) {
			t.Errorf("usage lacks the summary of %s (%q)", cmd.name, cmd.summary)
		}
	}
}

// TestCommandTable pins the table's shape: each name once, in order, and each entry runs the
// command of its own name (its -h prints that command's usage line).
func TestCommandTable(t *testing.T) {
	for i, cmd := range commands {
		if i > 0 && commands[i-1].name >= cmd.name {
			t.Errorf("commands[%d] is %q after %q: want each name once, sorted", i, cmd.name, commands[i-1].name)
		}
		status, _, stderr := runCLI(cmd.name, "-h")
		if want := "Usage: keyage " + cmd.name + " "; status != exitOK || !strings.HasPrefix(stderr, want) {
			t.Errorf("keyage %s -h = %d, stderr %q; want 0 and a usage starting %q", cmd.name, status, stderr, want)
		}
	}
}

func TestNoCommandIsAUsageError(t *testing.T) {
	status, stdout, stderr := runCLI()
	if status != exitUsage || stdout != "" || !strings.HasPrefix(stderr, "Usage: keyage <command> [flags]\n") {
		t.Errorf("keyage = %d, stdout %q, stderr %q; want 2 and the usage on stderr", status, stdout, stderr)
	}
}

func TestUnknownCommand(t *testing.T) {
	status, stdout, stderr := runCLI("deploy", "--stack", "dev")
	if status != exitUsage || stdout != "" || !strings.HasPrefix(stderr, "keyage: unknown command \"deploy\"\n\nUsage: keyage") {
		t.Errorf("keyage deploy = %d, stdout %q, stderr %q; want 2, the name and the usage on stderr", status, stdout, stderr)
	}
}

// TestGoRun runs the real command once, as the README tells people to.
func TestGoRun(t *testing.T) {
	root := modroot.MustFind(t)
	cmd := exec.Command("go", "run", "./cmd/keyage", "validate", "--stack", "prod")
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run ./cmd/keyage validate --stack prod: %v\n%s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "Pulumi.prod.yaml: OK\n") {
		t.Errorf("go run ./cmd/keyage validate --stack prod printed %q, want Pulumi.prod.yaml: OK first", stdout.String())
	}
}
