package asl

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/golden"
)

// TestMermaidGolden draws every golden machine of testdata and compares the diagrams with
// testdata/mermaid/*.mmd (go test ./asl -run Mermaid -update rewrites them).
func TestMermaidGolden(t *testing.T) {
	forEachTestdataMachine(t, func(t *testing.T, g testdataMachine) {
		got := g.m.Mermaid()
		checkMermaidStructure(t, got)
		golden.Check(t, filepath.Join("testdata", "mermaid", g.name+".mmd"), []byte(got))
		if again := g.m.Mermaid(); again != got {
			t.Errorf("two drawings of the same machine differ")
		}
	})
}

var (
	mermaidDecl      = regexp.MustCompile(`^state "[^"\n]*" as ([A-Za-z_][A-Za-z0-9_]*)( \{)?$`)
	mermaidComposite = regexp.MustCompile(`^state ([A-Za-z_][A-Za-z0-9_]*) \{$`)
	mermaidBare      = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)$`)
	mermaidEdge      = regexp.MustCompile(`^(\[\*\]|[A-Za-z_][A-Za-z0-9_]*) --> (\[\*\]|[A-Za-z_][A-Za-z0-9_]*)( : (?:[^"\n;<>{}#]|#[a-z0-9]+;)+)?$`)
)

// checkMermaidStructure checks the diagram against the subset of the stateDiagram-v2 grammar
// Mermaid uses: every line is a declaration, an edge, a region separator or a closing brace;
// ids are declared once, before use, and braces balance.
func checkMermaidStructure(t *testing.T, diagram string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(diagram, "\n"), "\n")
	if lines[0] != "stateDiagram-v2" {
		t.Fatalf("first line is %q, want stateDiagram-v2", lines[0])
	}
	declared := map[string]bool{}
	depth := 0
	for i, raw := range lines[1:] {
		line := strings.TrimSpace(raw)
		indent := (len(raw) - len(strings.TrimLeft(raw, " "))) / 4
		declare := func(id string) {
			if declared[id] {
				t.Errorf("line %d: id %s declared twice", i+2, id)
			}
			declared[id] = true
		}
		switch {
		case line == "}":
			depth--
			if indent != depth+1 {
				t.Errorf("line %d: closing brace indented %d levels, want %d", i+2, indent, depth+1)
			}
		case line == "--":
		case mermaidDecl.MatchString(line):
			sub := mermaidDecl.FindStringSubmatch(line)
			declare(sub[1])
			if sub[2] != "" {
				depth++
			}
		case mermaidComposite.MatchString(line):
			declare(mermaidComposite.FindStringSubmatch(line)[1])
			depth++
		case mermaidBare.MatchString(line):
			declare(line)
		case mermaidEdge.MatchString(line):
			sub := mermaidEdge.FindStringSubmatch(line)
			for _, end := range sub[1:3] {
				if end != "[*]" && !declared[end] {
					t.Errorf("line %d: edge uses %s before declaring it", i+2, end)
				}
			}
		default:
			t.Errorf("line %d: %q is not a declaration, edge or brace", i+2, raw)
		}
		if depth < 0 {
			t.Fatalf("line %d: unbalanced }", i+2)
		}
	}
	if depth != 0 {
		t.Errorf("%d unclosed composite states", depth)
	}
}

func TestMermaidIDsAndLabels(t *testing.T) {
	m := &StateMachine{
		StartAt: "Read input",
		States: States{
			"Read input":           &Pass{Flow: Flow{Next: "state"}},
			"state":                &Pass{Flow: Flow{Next: "3rd"}},
			"3rd":                  &Pass{Flow: Flow{Next: "Read-input"}},
			"Read-input":           &Task{Resource: "arn:aws:lambda:us-east-1:123456789012:function:f", Flow: Flow{Next: "Say \"hi\" #1; <now>"}},
			"Say \"hi\" #1; <now>": &Succeed{},
			"Orphan":               &Fail{Error: "E"},
		},
	}
	got := m.Mermaid()
	checkMermaidStructure(t, got)
	for _, want := range []string{
		`state "Read input" as Read_input`,
		`state "state" as s_state`,
		`state "3rd" as s_3rd`,
		`state "Read-input (function:f)" as Read_input_2`,
		`state "Say #quot;hi#quot; #35;1#59; #lt;now#gt;" as Say__hi___1___now_`,
		"Orphan\n",
		"[*] --> Read_input\n",
		"Read_input --> s_state\n",
		"Say__hi___1___now_ --> [*]\n",
		"Orphan --> [*]\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagram lacks %q:\n%s", want, got)
		}
	}
	// Reachable states come in order of transitions, the orphan last.
	if strings.Index(got, "Read_input_2") > strings.Index(got, "Say__hi") || strings.Index(got, "Orphan") < strings.Index(got, "Say__hi") {
		t.Errorf("states are not in order of transitions:\n%s", got)
	}
}

func TestMermaidChoiceCatchAndNesting(t *testing.T) {
	m := &StateMachine{
		StartAt: "Decide",
		States: States{
			"Decide": &Choice{
				Choices: []ChoiceRule{
					{Variable: "$.n", NumericGreaterThan: new(3.0), Next: "Fan"},
					{And: []ChoiceRule{{Variable: "$.a", IsPresent: new(true)}, {Not: &ChoiceRule{Variable: "$.s", StringEquals: new("x")}}}, Next: "Each"},
					{Variable: "$.t", TimestampLessThanEqualsPath: "$.limit", Next: "Each"},
				},
				Default: "Done",
			},
			"Fan": &Parallel{
				Branches: []Branch{
					{StartAt: "A", States: States{"A": &Pass{Flow: Flow{End: true}}}},
					{StartAt: "B", States: States{"B": &Pass{Flow: Flow{End: true}}}},
				},
				Catch: []Catcher{{ErrorEquals: []string{"States.Timeout", ErrAll}, Next: "Done"}},
				Flow:  Flow{Next: "Done"},
			},
			"Each": &Map{
				ItemProcessor: &ItemProcessor{
					ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: ExecutionExpress},
					Branch:          Branch{StartAt: "Work", States: States{"Work": &Task{Resource: "arn:aws:states:::aws-sdk:s3:getObject", Flow: Flow{End: true}}}},
				},
				ItemBatcher: &ItemBatcher{MaxItemsPerBatch: Count{N: 7}},
				Flow:        Flow{Next: "Done"},
			},
			"Done": &Succeed{},
		},
	}
	got := m.Mermaid()
	checkMermaidStructure(t, got)
	for _, want := range []string{
		"Decide --> Fan : $.n #gt; 3\n",
		"Decide --> Each : ($.a is present and not $.s == #quot;x#quot;)\n",
		"Decide --> Each : $.t #lt;= $.limit\n",
		"Decide --> Done : otherwise\n",
		"Fan --> Done : catch States.Timeout, States.ALL\n",
		`state "Fan (Parallel)" as Fan {`,
		"    --\n",
		`state "Each (Distributed Map, express children, batches of 7)" as Each {`,
		`state "Work (aws-sdk:s3:getObject)" as Work`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("diagram lacks %q:\n%s", want, got)
		}
	}
}

func TestMermaidDescribeOperators(t *testing.T) {
	cases := []struct {
		rule ChoiceRule
		want string
	}{
		{ChoiceRule{Variable: "$.x", IsNull: new(false)}, "$.x is not null"},
		{ChoiceRule{Variable: "$.x", IsNumeric: new(false)}, "$.x is not a numeric"},
		{ChoiceRule{Variable: "$.x", StringMatches: new("a")}, `$.x matches "a"`},
		{ChoiceRule{Variable: "$.x", NumericLessThanEquals: new(1.5)}, "$.x <= 1.5"},
		{ChoiceRule{Variable: "$.x", StringGreaterThanEqualsPath: "$.y"}, "$.x >= $.y"},
		{ChoiceRule{Or: []ChoiceRule{{Variable: "$.x", NumericEquals: new(1.5)}, {Variable: "$.y", BooleanEquals: new(false)}}}, "($.x == 1.5 or $.y == false)"},
		{ChoiceRule{Condition: "{% $states.input.n > 1 %}"}, "{% $states.input.n > 1 %}"},
	}
	for _, c := range cases {
		if got := describeRule(&c.rule); got != c.want {
			t.Errorf("describeRule(%+v) = %q, want %q", c.rule, got, c.want)
		}
	}
}
