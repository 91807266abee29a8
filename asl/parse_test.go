package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		def  string
		want string // substring of the error
	}{
		{"not JSON", `{"StartAt":`, "parse state machine: unexpected EOF"},
		{"trailing data", `{"StartAt":"A","States":{}} {}`, "unexpected data after the JSON value"},
		{"unknown top-level field", `{"StartAt":"A","Stats":{}}`, `unknown field "Stats"`},
		{"States not an object", `{"StartAt":"A","States":[]}`, "States: want an object of states"},
		{"state not an object", `{"StartAt":"A","States":{"A":3}}`, "States.A: want a state object"},
		{"missing Type", `{"StartAt":"A","States":{"A":{"End":true}}}`, "States.A: Type is missing; want one of Task, Pass, Choice, Wait, Succeed, Fail, Parallel, Map"},
		{"unknown Type", `{"StartAt":"A","States":{"A":{"Type":"Sleep"}}}`, `States.A: Type "Sleep" is unknown`},
		{"unknown state field", `{"StartAt":"A","States":{"A":{"Type":"Pass","Nxt":"B"}}}`, `States.A: json: unknown field "Nxt"`},
		{"field of another type", `{"StartAt":"A","States":{"A":{"Type":"Pass","Resource":"arn:x"}}}`, `unknown field "Resource"`},
		{"duplicate state name", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"A":{"Type":"Succeed"}}}`, "States.A: state name appears twice in one States object"},
		{"nested error", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Nope"}}},"End":true}}}`, `States.X: Type "Nope" is unknown`},
		{"TimeoutSeconds fraction", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","TimeoutSeconds":1.5,"End":true}}}`, "TimeoutSeconds: want an integer or a JSONata expression, got 1.5"},
		{"TimeoutSeconds huge", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","TimeoutSeconds":1e12,"End":true}}}`, "TimeoutSeconds: want an integer"},
		{"TimeoutSeconds object", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","TimeoutSeconds":{},"End":true}}}`, "TimeoutSeconds: want an integer"},
		{"percentage object", `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":[],"End":true}}}`, "ToleratedFailurePercentage: want a number"},
		{"Path not a string", `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":3,"End":true}}}`, "path: want a string or null, got 3"},
		{"Seconds bad", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":true,"End":true}}}`, "Seconds: want an integer"},
		{"Choice field type", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":{}}}}`, "cannot unmarshal object"},
		{"Fail field type", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":1}}}`, "cannot unmarshal number"},
		{"Succeed field", `{"StartAt":"S","States":{"S":{"Type":"Succeed","End":true}}}`, `unknown field "End"`},
		{"Parallel field type", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":{}}}}`, "cannot unmarshal object"},
		{"empty path", `{"StartAt":"P","States":{"P":{"Type":"Pass","ResultPath":"","End":true}}}`, "path: empty string; omit the field"},
		{"empty Next", `{"StartAt":"P","States":{"P":{"Type":"Pass","Next":""}}}`, "States.P: Next: empty string; want the name of a state"},
		{"empty Default", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[],"Default":""}}}`, "States.C: Default: empty string"},
		{"ToleratedFailurePercentage not a number", `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":true,"End":true}}}`, "ToleratedFailurePercentage: want a number or a JSONata expression, got true"},
		{"MaxConcurrency as a string path", `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrencyPath":"","End":true}}}`, "path: empty string"},
		{"zero TimeoutSeconds", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","TimeoutSeconds":0,"End":true}}}`, "TimeoutSeconds: 0 is below the minimum 1"},
		{"zero Wait Seconds", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":0,"End":true}}}`, "Seconds: 0 is below the minimum 1"},
		{"zero IntervalSeconds", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","Retry":[{"ErrorEquals":["E"],"IntervalSeconds":0}],"End":true}}}`, "IntervalSeconds: 0 is below the minimum 1"},
		{"zero BackoffRate", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","Retry":[{"ErrorEquals":["E"],"BackoffRate":0.0}],"End":true}}}`, "BackoffRate: 0 is below the minimum 1"},
		{"zero MaxItemsPerBatch", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":0},"End":true}}}`, "MaxItemsPerBatch: 0 is below the minimum 1"},
		{"zero MaxItems", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:a","ReaderConfig":{"MaxItems":0}},"End":true}}}`, "MaxItems: 0 is below the minimum 1"},
		{"Retrier unknown field", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","Retry":[{"ErrorEquals":["E"],"Jitter":"FULL"}],"End":true}}}`, `unknown field "Jitter"`},
		{"ItemBatcher wrong type", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":[],"End":true}}}`, "cannot unmarshal array"},
		{"ReaderConfig wrong type", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:a","ReaderConfig":[]},"End":true}}}`, "cannot unmarshal array"},
		{"empty expression", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","HeartbeatSeconds":"","End":true}}}`, "HeartbeatSeconds: empty string; want a number or a JSONata expression"},
		{"empty percentage expression", `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":"","End":true}}}`, "ToleratedFailurePercentage: empty string"},
		{"empty QueryLanguage", `{"QueryLanguage":"","StartAt":"P","States":{}}`, "QueryLanguage: empty string"},
		{"QueryLanguage not a string", `{"QueryLanguage":1,"StartAt":"P","States":{}}`, `QueryLanguage: want "JSONPath" or "JSONata", got 1`},
		{"empty Mode", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":""},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`, "Mode: empty string; set a value or omit the field"},
		{"empty ExecutionType", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":""},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`, "ExecutionType: empty string"},
		{"empty JitterStrategy", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","Retry":[{"ErrorEquals":["E"],"JitterStrategy":""}],"End":true}}}`, "JitterStrategy: empty string"},
		{"empty Label", `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"","End":true}}}`, "Label: empty string"},
		{"empty reader enums", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:a","ReaderConfig":{"InputType":"","CSVHeaderLocation":"","CSVDelimiter":""}},"End":true}}}`, "InputType: empty string; set a value or omit the field\nCSVHeaderLocation: empty string; set a value or omit the field\nCSVDelimiter: empty string"},
		{"empty writer fields", `{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"Resource":"","WriterConfig":{"OutputType":"","Transformation":""}},"End":true}}}`, "OutputType: empty string; set a value or omit the field\nTransformation: empty string"},
		{"empty writer Resource", `{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"Resource":"","WriterConfig":{"OutputType":"JSON"}},"End":true}}}`, "Resource: empty string; set a value or omit the field"},
		{"bad expression string", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:a","TimeoutSeconds":"\u","End":true}}}`, "invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.def))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want an error containing %q", err, tc.want)
			}
			if ve := (*ValidationError)(nil); !errors.As(err, &ve) {
				t.Errorf("Parse error %v is a %T, want a *ValidationError (one error type with Validate)", err, err)
			}
		})
	}
}

// TestParseErrorPaths: a parse error inside a nested graph carries the path Validate would give
// it, through ItemProcessor, the legacy Iterator and Parallel branches.
func TestParseErrorPaths(t *testing.T) {
	tests := []struct {
		name, def, wantPath string
	}{
		{"top level", `{"StartAt":"A","States":{"A":{"Type":"Nope"}}}`, "States.A"},
		{"item processor", `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"X":{"Type":"Nope"}}},"End":true}}}`,
			"States.M.ItemProcessor.States.X"},
		{"iterator", `{"StartAt":"M","States":{"M":{"Type":"Map","Iterator":{"StartAt":"X","States":{"X":{"Type":"Pass","Nxt":"Y"}}},"End":true}}}`,
			"States.M.Iterator.States.X"},
		{"parallel branch", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"A","States":{"A":{"Type":"Succeed"}}},{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":0,"End":true}}}],"End":true}}}`,
			"States.P.Branches[1].States.B"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.def))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			if ve.Path != tc.wantPath {
				t.Errorf("error path = %q, want %q (error: %v)", ve.Path, tc.wantPath, err)
			}
		})
	}
}

func TestStateUnmarshalChecksType(t *testing.T) {
	for _, st := range []State{new(Task), new(Pass), new(Choice), new(Wait), new(Succeed), new(Fail), new(Parallel), new(Map)} {
		other := "Pass"
		if st.Type() == "Pass" {
			other = "Task"
		}
		err := json.Unmarshal([]byte(`{"Type":"`+other+`"}`), st)
		if err == nil || !strings.Contains(err.Error(), "decoded as a "+st.Type()) {
			t.Errorf("unmarshal a %s into a %T: got %v, want a Type mismatch", other, st, err)
		}
	}
}

func TestParseKeepsNumbersExact(t *testing.T) {
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"big":12345678901234567890,"pi":3.14159265358979323846,"small":1e-7,"int":1.0},"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"big": 12345678901234567890`, `"pi": 3.14159265358979323846`, `"small": 1e-7`, `"int": 1.0`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("rendered output lacks %s:\n%s", want, out)
		}
	}
}

func TestParseExpressionFields(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":"{% $t %}","HeartbeatSeconds":"{% $h %}","Next":"W"},
		"W":{"Type":"Wait","Seconds":"{% $s %}","Next":"M"},
		"M":{"Type":"Map","MaxConcurrency":"{% $c %}","ToleratedFailureCount":"{% $f %}","ToleratedFailurePercentage":"{% $p %}",
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	task, wait, mp := m.States["T"].(*Task), m.States["W"].(*Wait), m.States["M"].(*Map)
	got := []string{task.TimeoutSeconds.Expr, task.HeartbeatSeconds.Expr, wait.Seconds.Expr, mp.MaxConcurrency.Expr, mp.ToleratedFailureCount.Expr, mp.ToleratedFailurePercentage.Expr}
	want := []string{"{% $t %}", "{% $h %}", "{% $s %}", "{% $c %}", "{% $f %}", "{% $p %}"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("expression field %d = %q, want %q", i, got[i], want[i])
		}
	}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestBatcherAndReaderExpressionFields(t *testing.T) {
	def := `{"QueryLanguage":"JSONata","StartAt":"M","States":{
		"M":{"Type":"Map","Items":"{% $states.input.items %}",
			"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Arguments":{"Bucket":"b","Key":"k.json"},
				"ReaderConfig":{"InputType":"JSON","MaxItems":"{% $max %}"}},
			"ItemBatcher":{"MaxItemsPerBatch":"{% $n %}","MaxInputBytesPerBatch":"{% $bytes %}"},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`
	m, err := Parse([]byte(def))
	if err != nil {
		t.Fatal(err)
	}
	mp := m.States["M"].(*Map)
	got := []string{mp.ItemReader.ReaderConfig.MaxItems.Expr, mp.ItemBatcher.MaxItemsPerBatch.Expr, mp.ItemBatcher.MaxInputBytesPerBatch.Expr}
	want := []string{"{% $max %}", "{% $n %}", "{% $bytes %}"}
	if !slices.Equal(got, want) {
		t.Errorf("expression fields: got %q, want %q", got, want)
	}
	out, err := m.Render()
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	for _, w := range []string{`"MaxItems": "{% $max %}"`, `"MaxItemsPerBatch": "{% $n %}"`, `"MaxInputBytesPerBatch": "{% $bytes %}"`} {
		if !bytes.Contains(out, []byte(w)) {
			t.Errorf("rendered output lacks %s:\n%s", w, out)
		}
	}
	again, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(Render): %v", err)
	}
	if !reflect.DeepEqual(again.States["M"].(*Map).ItemBatcher, mp.ItemBatcher) {
		t.Errorf("round trip changed the batcher: got %+v, want %+v", again.States["M"].(*Map).ItemBatcher, mp.ItemBatcher)
	}
}

func TestBatcherExpressionRules(t *testing.T) {
	build := func(lang QueryLanguage, b *ItemBatcher) *StateMachine {
		return &StateMachine{QueryLanguage: lang, StartAt: "M", States: States{"M": &Map{
			Flow:        Flow{End: true},
			ItemBatcher: b,
			ItemProcessor: &ItemProcessor{ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: ExecutionExpress},
				Branch: Branch{StartAt: "S", States: States{"S": &Succeed{}}}},
		}}}
	}
	tests := []struct {
		name string
		m    *StateMachine
		want string
	}{
		{"expression in a JSONPath state", build(JSONPath, &ItemBatcher{MaxItemsPerBatch: Count{Expr: "{% 5 %}"}}),
			`States.M.ItemBatcher.MaxItemsPerBatch: "{% 5 %}" is a JSONata expression; this state's query language is JSONPath, which wants a number here`},
		{"number and expression", build(JSONata, &ItemBatcher{MaxItemsPerBatch: Count{N: 5, Expr: "{% 5 %}"}}),
			"States.M.ItemBatcher.MaxItemsPerBatch: ItemBatcher.MaxItemsPerBatch and ItemBatcher.MaxItemsPerBatch (expression) are exclusive; set one"},
		{"unbalanced expression", build(JSONata, &ItemBatcher{MaxInputBytesPerBatch: Count{Expr: "{% $n"}}),
			`States.M.ItemBatcher.MaxInputBytesPerBatch: "{% $n" is not a JSONata expression: want "{% ... %}"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.m.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate: got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if err := build(JSONata, &ItemBatcher{MaxItemsPerBatch: Count{Expr: "{% $n %}"}}).Validate(); err != nil {
		t.Errorf("Validate of a JSONata batcher with an expression: got %v, want nil", err)
	}
}

func TestRenderPathNullAndExprKeys(t *testing.T) {
	task := LambdaInvokeTask("aws", "arn:aws:lambda:r:1:function:f")
	task.QueryLanguage = JSONata
	task.TimeoutSeconds = Count{Expr: "{% $timeout %}"}
	task.Arguments = map[string]any{"FunctionName": "f", "Payload": "{% $states.input.a < $states.input.b & 'x' %}"}
	task.End = true
	m := &StateMachine{StartAt: "T", States: States{"T": task, "Discard": &Pass{ResultPath: NullPath, IO: IO{InputPath: NullPath}, Flow: Flow{End: true}}}}
	m.States["T"].(*Task).End = false
	task.Next = "Discard"
	out, err := m.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"TimeoutSeconds": "{% $timeout %}"`, `"ResultPath": null`, `"InputPath": null`, `< $states.input.b & 'x'`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("rendered output lacks %s:\n%s", want, out)
		}
	}
	if !bytes.HasSuffix(out, []byte("}\n")) {
		t.Errorf("rendered output does not end with a newline")
	}
	back, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if p := back.States["Discard"].(*Pass); p.ResultPath != NullPath || p.InputPath != NullPath {
		t.Errorf("null paths parsed as %q and %q, want NullPath", p.ResultPath, p.InputPath)
	}
	if back.States["T"].(*Task).TimeoutSeconds.Expr != "{% $timeout %}" {
		t.Errorf("TimeoutSeconds expression lost in the round trip")
	}
}

// TestRenderDeterministic renders the same machine many times (map iteration order varies
// between runs of a loop) and expects identical bytes.
func TestRenderDeterministic(t *testing.T) {
	first, err := everythingJSONPath().Render()
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, err := everythingJSONPath().Render()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, first) {
			t.Fatal("two renders of the same machine differ")
		}
	}
}

func TestRenderRefusesOversizedDefinition(t *testing.T) {
	big := strings.Repeat("x", MaxDefinitionBytes)
	m := &StateMachine{StartAt: "P", States: States{"P": &Pass{Result: big, Flow: Flow{End: true}}}}
	_, err := m.Render()
	if err == nil || !strings.Contains(err.Error(), "Step Functions accepts at most 1048576") {
		t.Fatalf("Render = %v, want a definition-size error", err)
	}
}

func TestRenderRefusesInvalid(t *testing.T) {
	m := &StateMachine{StartAt: "A", States: States{"A": &Pass{}}}
	_, err := m.Render()
	if err == nil || !strings.HasPrefix(err.Error(), "render state machine: ") {
		t.Fatalf("Render = %v, want a render error", err)
	}
	unmarshalable := &StateMachine{StartAt: "A", States: States{"A": &Pass{Result: func() {}, Flow: Flow{End: true}}}}
	if _, err := unmarshalable.Render(); err == nil {
		t.Fatal("Render of a Result holding a func succeeded, want an error")
	}
}

// FuzzParseRender checks that whatever Parse accepts and Render renders parses again and
// renders to the same bytes. The seed corpus is every testdata definition plus the invalid
// machines, so plain `go test` runs it.
func FuzzParseRender(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range invalidMachines {
		f.Add([]byte(tc.def))
	}
	f.Add([]byte(mutationSeed))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			return
		}
		// Validate must not panic on anything Parse accepts.
		_ = m.Validate()
		_ = m.IAMStatements("arn:aws:states:us-east-1:123456789012:stateMachine:fuzz")
		out, err := m.Render()
		if err != nil {
			return
		}
		m2, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse of rendered output: %v\n%s", err, out)
		}
		out2, err := m2.Render()
		if err != nil {
			t.Fatalf("Render of re-parsed machine: %v\n%s", err, out)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("parse -> render is not stable:\nfirst:\n%s\nsecond:\n%s", out, out2)
		}
	})
}

func TestPathIsNull(t *testing.T) {
	for _, tc := range []struct {
		p    Path
		want bool
	}{{NullPath, true}, {"", false}, {"$", false}, {"null", false}} {
		if got := tc.p.IsNull(); got != tc.want {
			t.Errorf("Path(%q).IsNull() = %v, want %v", tc.p, got, tc.want)
		}
	}
}
