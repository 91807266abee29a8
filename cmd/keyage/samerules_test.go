package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
)

// TestEveryPathAppliesTheSameRules feeds stack files to validate, definition, render and the
// Pulumi program (under mocks, configured through PULUMI_CONFIG as the engine does) and wants
// the same problems and the same warnings from all four: they share one rule set
// (config.Settings.Check), so none accepts what another refuses.
func TestEveryPathAppliesTheSameRules(t *testing.T) {
	const (
		weeklyWarning = `no dead-man's-switch alarm: the schedule "cron(0 8 ? * MON *)" can leave 7d between two runs`
		onceWarning   = `no dead-man's-switch alarm: the schedule "at(2099-01-01T08:00:00)" runs once`
	)
	tests := []struct {
		name     string
		config   string   // the stack file's config: section
		problems []string // every problem, as validate lists them
		warnings []string // prefixes of every warning
		// fileOnly: the problem is in the file's shape: Pulumi drops what is not under config:,
		// so the program finds it by reading the stack file in its project directory.
		fileOnly bool
	}{
		{name: "region without its last dash", config: "  aws:region: eu-central1\n",
			problems: []string{`aws:region: "eu-central1" is not a region name: want an AWS region name in lower case, such as eu-central-1 or us-gov-west-1`}},
		{name: "region in upper case", config: "  aws:region: EU-CENTRAL-1\n",
			problems: []string{`aws:region: "EU-CENTRAL-1" is not a region name (they are lower case): want an AWS region name in lower case, such as eu-central-1 or us-gov-west-1`}},
		{name: "region empty", config: "  aws:region: \"\"\n",
			problems: []string{`aws:region: "" is empty: want an AWS region name in lower case, such as eu-central-1 or us-gov-west-1, or no aws:region`}},
		{name: "cron year past", config: "  keyage:schedule: cron(0 8 * * ? 2020)\n",
			problems: []string{`schedule: "cron(0 8 * * ? 2020)" never runs again (every year it names has passed, as of `}},
		{name: "at() past", config: "  keyage:schedule: at(2021-06-01T08:00:00)\n",
			problems: []string{`schedule: "at(2021-06-01T08:00:00)" never runs again (its time has passed, as of `}},
		{name: "weekly schedule", config: "  keyage:schedule: cron(0 8 ? * MON *)\n", warnings: []string{weeklyWarning}},
		{name: "one-shot schedule", config: "  keyage:schedule: at(2099-01-01T08:00:00)\n", warnings: []string{onceWarning}},
		{name: "misspelt namespace", config: "  keyag:maxAgeDays: 30\n",
			problems: []string{`keyag:maxAgeDays: 30 is in namespace "keyag", which nothing reads (did you mean keyage:maxAgeDays?): want keyage:maxAgeDays: keyage's settings live in the keyage namespace`}},
		{name: "misspelt key", config: "  keyage:maxAgeDay: 30\n",
			problems: []string{"maxAgeDay: unknown setting (did you mean maxAgeDays?): want one of "}},
		{name: "quoted number", config: "  keyage:maxAgeDays: \"30\"\n"},
		{name: "quoted number out of range", config: "  keyage:maxAgeDays: \"0\"\n",
			problems: []string{"maxAgeDays: 0 is out of range: want an integer from 1 to 3650"}},
		{name: "role settings", config: "  keyage:rolePath: keyage\n  keyage:rolePermissionsBoundary: arn:aws:iam::123456789012:role/B\n",
			problems: []string{`rolePath: "keyage" is not an IAM path`, `rolePermissionsBoundary: "arn:aws:iam::123456789012:role/B" is not an IAM policy ARN`}},
		{name: "several at once", config: "  aws:region: eu-central1\n  keyage:maxAgeDays: 0\n  keyage:logLevel: OFF\n",
			problems: []string{"maxAgeDays: 0 is out of range", `logLevel: "OFF" is not allowed`, `aws:region: "eu-central1" is not a region name`}},
		{name: "key outside config:", config: "", fileOnly: true,
			problems: []string{`"keyage:maxAgeDays" is at the top level of the file, where Pulumi ignores it: want it under config:, as keyage:maxAgeDays`}},
	}
	function := dummyFunction(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := "config:\n  aws:region: eu-west-1\n" + tt.config
			if strings.Contains(tt.config, "aws:region") {
				body = "config:\n" + tt.config
			}
			if tt.fileOnly {
				body = "keyage:maxAgeDays: 30\nconfig:\n  aws:region: eu-west-1\n"
			}
			dir := writeStack(t, "x", body)
			for _, command := range []string{"validate", "definition", "render"} {
				status, _, stderr := runCLI(command, "--stack", "x", "--dir", dir)
				problems, warnings := cliReport(stderr)
				if (status == exitOK) != (len(tt.problems) == 0) {
					t.Errorf("%s: exit status %d, stderr:\n%s", command, status, stderr)
				}
				checkSame(t, command+" problems", problems, tt.problems)
				checkSame(t, command+" warnings", warnings, tt.warnings)
			}

			problems, warnings := programReport(t, dir, function)
			checkSame(t, "program problems", problems, tt.problems)
			checkSame(t, "program warnings", warnings, tt.warnings)
		})
	}
}

// cliReport splits a command's stderr into its problems and its warnings.
func cliReport(stderr string) (problems, warnings []string) {
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		switch {
		case strings.HasPrefix(line, "  "):
			problems = append(problems, strings.TrimPrefix(line, "  "))
		case strings.Contains(line, ": warning: "):
			_, w, _ := strings.Cut(line, ": warning: ")
			warnings = append(warnings, w)
		}
	}
	return problems, warnings
}

// programReport runs keyage's Pulumi program under mocks with the stack file's configuration
// in PULUMI_CONFIG, and returns the problems it failed with and the warnings it logged.
func programReport(t *testing.T, dir string, function infra.FunctionPackage) (problems, warnings []string) {
	t.Helper()
	// What the reader refuses about the file's shape (a key outside config:) is not passed on,
	// as Pulumi passes only config:.
	values, err := config.ReadStackFile(dir, "x")
	if values == nil {
		t.Fatalf("ReadStackFile: %v", err)
	}
	env, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(env))
	program := infra.Program(infra.ProgramOptions{
		Function: function,
		Observe:  func(n *infra.KeyAgeNotifier) { warnings = append(warnings, n.Warnings...) },
	})
	mocks := infratest.New("aws", "eu-west-1", "123456789012")
	mocks.RootDirectory = dir // as the engine runs a program in its project directory
	err = mocks.Run(config.Namespace, "x", program)
	if err != nil {
		_, list, ok := strings.Cut(err.Error(), "stack x settings: ")
		if !ok {
			t.Fatalf("program failed otherwise than on its settings: %v", err)
		}
		for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
			problems = append(problems, strings.TrimPrefix(line, "Pulumi.x.yaml: "))
		}
	}
	return problems, warnings
}

// checkSame wants one got entry per want entry, in order, each starting with it.
func checkSame(t *testing.T, what string, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = strings.HasPrefix(got[i], want[i])
	}
	if !ok {
		t.Errorf("%s:\n got %q\nwant %q (prefixes)", what, got, want)
	}
}

// dummyFunction writes a stand-in for the function's zip, so that the program does not build
// the function (render does).
func dummyFunction(t *testing.T) infra.FunctionPackage {
	path := filepath.Join(t.TempDir(), "function.zip")
	if err := os.WriteFile(path, []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o600); err != nil {
		t.Fatal(err)
	}
	return infra.FunctionPackage{ZipPath: path, SHA256Base64: base64.StdEncoding.EncodeToString(make([]byte, 32))}
}
