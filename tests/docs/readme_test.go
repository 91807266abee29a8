// Package docs checks that what the README copies from generated files (the state graph, the cost
// table) is still what the code produces, so the first thing a user reads cannot drift.
package docs

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/deployer"
	"github.com/keyage/keyage/internal/golden"
	"github.com/keyage/keyage/internal/modroot"
	"github.com/keyage/keyage/internal/preview"
	"github.com/keyage/keyage/workflow"
)

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(modroot.MustFind(t), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// between returns the text after start up to end, failing the test when either is missing.
func between(t *testing.T, name, text, start, end string) string {
	t.Helper()
	_, after, ok := strings.Cut(text, start)
	if !ok {
		t.Fatalf("%s: no %q", name, start)
	}
	inside, _, ok := strings.Cut(after, end)
	if !ok {
		t.Fatalf("%s: no %q after %q", name, end, start)
	}
	return strings.TrimSpace(inside)
}

// quoted returns the spans of text set in backticks, in order.
func quoted(text string) []string {
	var spans []string
	for i, part := range strings.Split(text, "`") {
		if i%2 == 1 {
			spans = append(spans, part)
		}
	}
	return spans
}

// readmeSection returns the README's text after start up to end, failing the test when either
// is missing.
func readmeSection(t *testing.T, start, end string) string {
	t.Helper()
	return between(t, "README.md", read(t, "README.md"), start, end)
}

// loadStack returns the checked settings of one of the repository's example stacks.
func loadStack(t *testing.T, stack string) config.Checked {
	t.Helper()
	s, err := config.LoadStackFile(modroot.MustFind(t), stack)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestREADMECopiesWhatTheCodeProduces keeps each block the README copies from the code equal to
// what the code produces now: the state graph, the deployer policy, the chat card, the example
// notification.
func TestREADMECopiesWhatTheCodeProduces(t *testing.T) {
	for _, c := range []struct {
		name       string
		start, end string // the README's copy lies between them
		indented   bool   // the copy is a block indented by four spaces
		what       string // what the copy is, and its source, for the failure message
		source     string
		want       func(t *testing.T) string
	}{
		{
			name: "state graph", start: "```mermaid\n", end: "```",
			what: "mermaid block", source: "workflow/testdata/default.mmd (go run ./cmd/keyage definition --stack NAME --format mermaid); copy the file into the README",
			want: func(t *testing.T) string { return read(t, "workflow/testdata/default.mmd") },
		},
		{
			name: "deployer policy", start: "<code>go run ./cmd/keyage deployer-policy --stack prod</code>)</summary>\n\n```json\n", end: "```",
			what: "deployer policy", source: "`go run ./cmd/keyage deployer-policy --stack prod`",
			want: func(t *testing.T) string {
				// Pulumi.prod.yaml's aws:region, which the command defaults to.
				doc, err := deployer.ForStack(loadStack(t, "prod"), "prod", deployer.Env{Partition: "aws", Region: "eu-central-1", AccountID: workflow.PlaceholderAccountID})
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.MarshalIndent(doc, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			},
		},
		{
			name: "chat card", start: "<!-- chat example -->\n```json\n", end: "```",
			what: "chat card", source: "lambda/agecheck/testdata/report.chat.json (TestChatMessageGolden); copy the file into the README",
			want: func(t *testing.T) string { return read(t, "lambda/agecheck/testdata/report.chat.json") },
		},
		{
			name:  "notification",
			start: "`go run ./cmd/keyage preview --stack dev --format\nemail` prints what `Pulumi.dev.yaml`'s policy sends for the built-in sample account:\n", end: "\n\n`stale` keys",
			indented: true, what: "example notification", source: "`go run ./cmd/keyage preview --stack dev --format email`",
			want: func(t *testing.T) string {
				r, err := preview.Run(loadStack(t, "dev"), preview.Sample(), time.Now())
				if err != nil {
					t.Fatal(err)
				}
				var out bytes.Buffer
				if err := r.Write(&out, "email"); err != nil {
					t.Fatal(err)
				}
				return out.String()
			},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := readmeSection(t, c.start, c.end)
			if c.indented {
				var lines []string
				for _, l := range strings.Split(got, "\n") {
					lines = append(lines, strings.TrimPrefix(l, "    "))
				}
				got = strings.Join(lines, "\n")
			}
			if want := strings.TrimSpace(c.want(t)); got != want {
				t.Errorf("README.md's %s differs from %s:\n%s", c.what, c.source, golden.Diff([]byte(want), []byte(got)))
			}
		})
	}
}

func TestREADMECostTablesAreCOSTmds(t *testing.T) {
	cost := read(t, "workflow/COST.md")
	readme := read(t, "README.md")
	for _, generator := range []string{"cost table: generated by workflow.CostTable", "monthly table: generated by workflow.MonthlyTable", "lookup table: generated by workflow.LookupTable",
		"org table: generated by workflow.OrgCostTable"} {
		name, _, _ := strings.Cut(generator, ":")
		want := between(t, "workflow/COST.md", cost, "<!-- "+generator+" -->", "<!-- end of "+name+" -->")
		header := strings.SplitN(want, "\n", 2)[0]
		if !strings.Contains(readme, header) {
			t.Errorf("README.md has no %s (want the header %q from workflow/COST.md)", name, header)
			continue
		}
		got := between(t, "README.md", readme, header, "\n\n")
		if got = header + "\n" + got; got != want {
			t.Errorf("README.md's %s differs from workflow/COST.md's:\n%s", name, golden.Diff([]byte(want), []byte(got)))
		}
	}
}

func TestREADMEListsEveryStackOutput(t *testing.T) {
	list := readmeSection(t, "The stack's outputs (`pulumi stack output --stack NAME`) name what you need:", "\n\n")
	var listed []string
	for _, name := range quoted(list) {
		if name != "" && !strings.ContainsAny(name, " ,.()\n") {
			listed = append(listed, name)
		}
	}
	want := append(infra.StackOutputs(), infra.MemberStackOutputs()...)
	slices.Sort(listed)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Errorf("README.md lists the stack outputs %v, want what infra.Program exports (infra.StackOutputs, infra.MemberStackOutputs): %v", listed, want)
	}
}

// TestREADMESettingsTableListsEverySetting: the settings table has one row per setting keyage
// reads, and no row for one it does not.
func TestREADMESettingsTableListsEverySetting(t *testing.T) {
	table := readmeSection(t, "| key | default | allowed |", "\n\n")
	var rows []string
	for _, line := range strings.Split(table, "\n") {
		if key, ok := strings.CutPrefix(line, "| `"); ok {
			key, _, _ = strings.Cut(key, "`")
			rows = append(rows, key)
		}
	}
	var keys []string
	for _, k := range config.Keys() {
		keys = append(keys, k.Name)
	}
	slices.Sort(rows)
	slices.Sort(keys)
	if !slices.Equal(rows, keys) {
		t.Errorf("README settings table rows %q, want one per setting %q", rows, keys)
	}
}
