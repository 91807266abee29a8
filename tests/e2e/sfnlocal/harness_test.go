package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/nodecheck"
)

// TestBatches pins the ItemBatcher reproduction to hand-computed batches. Sizes: an item
// {"n":1} is 7 bytes; {"Items":[]} is 12; each further item adds a comma; ,"BatchInput":{"b":1}
// adds 21.
func TestBatches(t *testing.T) {
	t.Parallel()
	h := SharedHarness(t)
	items := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = map[string]any{"n": i + 1}
		}
		return out
	}
	tests := []struct {
		name    string
		spec    BatchSpec
		want    string // the batches' JSON
		wantErr string // or the States error name
	}{
		{
			name: "count limit, BatchInput in every batch",
			spec: BatchSpec{Items: items(5), BatchInput: map[string]any{"b": 1}, MaxItemsPerBatch: 2},
			want: `[{"Items":[{"n":1},{"n":2}],"BatchInput":{"b":1}},{"Items":[{"n":3},{"n":4}],"BatchInput":{"b":1}},{"Items":[{"n":5}],"BatchInput":{"b":1}}]`,
		},
		{
			name: "byte limit met exactly: 12+7*3+2 = 35",
			spec: BatchSpec{Items: items(5), MaxInputBytesPerBatch: 35},
			want: `[{"Items":[{"n":1},{"n":2},{"n":3}]},{"Items":[{"n":4},{"n":5}]}]`,
		},
		{
			name: "one byte less splits",
			spec: BatchSpec{Items: items(5), MaxInputBytesPerBatch: 34},
			want: `[{"Items":[{"n":1},{"n":2}]},{"Items":[{"n":3},{"n":4}]},{"Items":[{"n":5}]}]`,
		},
		{
			name: "BatchInput counts toward the byte limit: 35+21 = 56",
			spec: BatchSpec{Items: items(4), BatchInput: map[string]any{"b": 1}, MaxInputBytesPerBatch: 56},
			want: `[{"Items":[{"n":1},{"n":2},{"n":3}],"BatchInput":{"b":1}},{"Items":[{"n":4}],"BatchInput":{"b":1}}]`,
		},
		{
			name: "BatchInput counts toward the byte limit: 55 splits",
			spec: BatchSpec{Items: items(4), BatchInput: map[string]any{"b": 1}, MaxInputBytesPerBatch: 55},
			want: `[{"Items":[{"n":1},{"n":2}],"BatchInput":{"b":1}},{"Items":[{"n":3},{"n":4}],"BatchInput":{"b":1}}]`,
		},
		{
			name: "both limits: the count is reached first",
			spec: BatchSpec{Items: items(3), MaxItemsPerBatch: 2, MaxInputBytesPerBatch: 1000},
			want: `[{"Items":[{"n":1},{"n":2}]},{"Items":[{"n":3}]}]`,
		},
		{
			name: "no limit but the payload limit",
			spec: BatchSpec{Items: items(3)},
			want: `[{"Items":[{"n":1},{"n":2},{"n":3}]}]`,
		},
		{
			name: "no items, no batches",
			spec: BatchSpec{Items: []any{}, MaxItemsPerBatch: 5},
			want: `[]`,
		},
		{
			name: "bytes, not characters: é is 2 bytes, 12+10 = 22",
			spec: BatchSpec{Items: []any{map[string]any{"s": "é"}}, MaxInputBytesPerBatch: 22},
			want: `[{"Items":[{"s":"é"}]}]`,
		},
		{
			name:    "an item too large for an empty batch",
			spec:    BatchSpec{Items: []any{map[string]any{"s": "é"}}, MaxInputBytesPerBatch: 21},
			wantErr: "States.DataLimitExceeded",
		},
		{
			name:    "an item over the payload limit",
			spec:    BatchSpec{Items: []any{strings.Repeat("x", PayloadLimit)}},
			wantErr: "States.DataLimitExceeded",
		},
	}
	specs := make([]BatchSpec, len(tests))
	for i, tc := range tests {
		specs[i] = tc.spec
	}
	results, err := h.Batches(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			batches, serr := results[i].Batches, results[i].Error
			if tc.wantErr != "" {
				if serr == nil || serr.Error != tc.wantErr {
					t.Fatalf("got error %+v and %d batches, want %s", serr, len(batches), tc.wantErr)
				}
				return
			}
			if serr != nil {
				t.Fatalf("got error %+v, want batches", serr)
			}
			if batches == nil {
				batches = []json.RawMessage{}
			}
			b, err := json.Marshal(batches)
			if err != nil {
				t.Fatal(err)
			}
			got := string(b)
			if got != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
			for i, b := range batches {
				limit := tc.spec.MaxInputBytesPerBatch
				if limit == 0 {
					limit = PayloadLimit
				}
				if len(b) > limit {
					t.Errorf("batch %d has %d bytes, over %d", i, len(b), limit)
				}
			}
		})
	}
}

// TestDistributedMapAsAWS checks what a Distributed Map's children receive and what the Map
// outputs: ItemSelector with $$.Map.Item, BatchInput from the Map's input, each child its own
// execution context, results in batch order under the Map's ResultPath.
func TestDistributedMapAsAWS(t *testing.T) {
	t.Parallel()
	def := `{
  "StartAt": "Fan",
  "States": {
    "Fan": {
      "Type": "Map",
      "InputPath": "$.in",
      "ItemsPath": "$.list",
      "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "tag.$": "$.tag"},
      "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"tag.$": "$.tag", "run.$": "$$.Execution.Input.name"}},
      "Label": "Fan",
      "MaxConcurrency": 1,
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "Echo",
        "States": {
          "Echo": {
            "Type": "Pass",
            "Parameters": {
              "input.$": "$$.Execution.Input",
              "id.$": "$$.Execution.Id",
              "start.$": "$$.Execution.StartTime",
              "count.$": "States.ArrayLength($.Items)"
            },
            "End": true
          }
        }
      },
      "ResultPath": "$.in.out",
      "End": true
    }
  }
}`
	e := newBareEnv(t, NewAccount(testAccount))
	res := e.Run(t, []byte(def), map[string]any{"name": "run1", "in": map[string]any{"tag": "T", "list": []string{"a", "b", "c"}}})
	WantStatus(t, res, "SUCCEEDED")
	var out struct {
		Name string `json:"name"`
		In   struct {
			Tag  string   `json:"tag"`
			List []string `json:"list"`
			Out  []struct {
				Input json.RawMessage `json:"input"`
				ID    string          `json:"id"`
				Start string          `json:"start"`
				Count int             `json:"count"`
			} `json:"out"`
		} `json:"in"`
	}
	if err := json.Unmarshal(res.Output, &out); err != nil {
		t.Fatalf("output %s: %v", res.Output, err)
	}
	if out.Name != "run1" || out.In.Tag != "T" || len(out.In.List) != 3 {
		t.Errorf("ResultPath did not keep the input: %s", res.Output)
	}
	wantInputs := []string{
		`{"Items":[{"v":"a","i":0,"tag":"T"},{"v":"b","i":1,"tag":"T"}],"BatchInput":{"tag":"T","run":"run1"}}`,
		`{"Items":[{"v":"c","i":2,"tag":"T"}],"BatchInput":{"tag":"T","run":"run1"}}`,
	}
	if len(out.In.Out) != len(wantInputs) {
		t.Fatalf("map output has %d entries, want %d: %s", len(out.In.Out), len(wantInputs), res.Output)
	}
	ids := map[string]bool{}
	for i, c := range out.In.Out {
		if !jsonEqual(t, c.Input, []byte(wantInputs[i])) {
			t.Errorf("child %d input = %s, want %s", i, c.Input, wantInputs[i])
		}
		if c.Count != 2-i {
			t.Errorf("child %d counted %d items, want %d", i, c.Count, 2-i)
		}
		if !strings.HasPrefix(c.ID, "arn:aws:states:us-east-1:123456789012:express:keyage/Fan:") || ids[c.ID] {
			t.Errorf("child %d execution ID %q: want a distinct express execution of keyage/Fan", i, c.ID)
		}
		ids[c.ID] = true
		if c.Start != testNow.Format("2006-01-02T15:04:05.000Z") {
			t.Errorf("child %d StartTime = %q, want %s", i, c.Start, testNow)
		}
	}
	want := MapRun{State: "Fan", Items: 3, Children: 2, MinBatchItems: 1, MaxBatchItems: 2}
	if len(res.Maps) != 1 {
		t.Fatalf("map runs = %+v, want one", res.Maps)
	}
	got := res.Maps[0]
	got.MaxChildInputBytes, got.MaxChildOutputBytes = 0, 0
	if got != want {
		t.Errorf("map run = %+v, want %+v", got, want)
	}
	if res.Transitions.ChildExecutions != 2 || res.Transitions.Children != 2 {
		t.Errorf("transitions = %+v, want 2 child executions of one state each", res.Transitions)
	}
}

func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

// failingMap is a Distributed Map over $.list whose children fail for items "bad".
func failingMap(tolerated int, catch bool) string {
	c, caught := "", ""
	if catch {
		c = `"Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],`
		caught = `, "Caught": {"Type": "Pass", "End": true}`
	}
	return fmt.Sprintf(`{
  "StartAt": "Fan",
  "States": {
    "Fan": {
      "Type": "Map",
      "ItemsPath": "$.list",
      "ToleratedFailureCount": %d,
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "Judge",
        "States": {
          "Judge": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "Boom"}], "Default": "Fine"},
          "Boom": {"Type": "Fail", "Error": "Boom", "Cause": "a bad item"},
          "Fine": {"Type": "Succeed"}
        }
      },
      %s
      "ResultPath": "$.out",
      "End": true
    }%s
  }
}`, tolerated, c, caught)
}

// TestDistributedMapChildFailure: failed children beyond the tolerance fail the Map with
// States.ExceedToleratedFailureThreshold, which a Catch on the Map handles.
func TestDistributedMapChildFailure(t *testing.T) {
	t.Parallel()
	e := newBareEnv(t, NewAccount(testAccount))
	input := map[string]any{"list": []string{"ok", "bad", "ok", "bad"}}

	res := e.Run(t, []byte(failingMap(1, false)), input)
	WantStatus(t, res, "FAILED")
	if res.Error.Error != "States.ExceedToleratedFailureThreshold" || !strings.Contains(res.Error.Cause, "Boom") {
		t.Errorf("error = %+v, want States.ExceedToleratedFailureThreshold naming the child's Boom", res.Error)
	}

	res = e.Run(t, []byte(failingMap(0, true)), input)
	WantStatus(t, res, "SUCCEEDED")
	var out struct {
		Error StatesError `json:"error"`
	}
	if err := json.Unmarshal(res.Output, &out); err != nil || out.Error.Error != "States.ExceedToleratedFailureThreshold" {
		t.Errorf("caught %s (%v), want States.ExceedToleratedFailureThreshold", res.Output, err)
	}

	// Within the tolerance AWS's output shape for the failed children is not documented: the
	// harness refuses to guess.
	_, err := e.RunRaw([]byte(failingMap(2, false)), input, t.Name())
	var herr *HarnessError
	if !errors.As(err, &herr) || !strings.Contains(herr.Error(), "not reproduced") {
		t.Errorf("got %v, want a harness error saying tolerated failures are not reproduced", err)
	}
}

// TestTaskResultOverLimit: a ListUsers page of 1,000 users with 512-character paths is over
// 256 KiB; the execution fails with States.DataLimitExceeded, which States.ALL does not catch.
func TestTaskResultOverLimit(t *testing.T) {
	t.Parallel()
	a := NewAccount(testAccount)
	path := LongPath(512)
	for i := 0; i < 1000; i++ {
		a.Add(&User{Name: fmt.Sprintf("%s-%05d", strings.Repeat("n", 57), i), Path: path})
	}
	def := listUsersMachine(`"Parameters": {"MaxItems": 1000},
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]`,
		`"Caught": {"Type": "Pass", "End": true}`)
	e := newBareEnv(t, a)
	res, err := e.RunRaw([]byte(def), map[string]any{}, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	WantStatus(t, res, "FAILED")
	if res.Error.Error != "States.DataLimitExceeded" {
		t.Errorf("error = %+v, want States.DataLimitExceeded", res.Error)
	}
	if len(res.Violations) != 1 || res.Violations[0].What != "task result" || res.Violations[0].Bytes <= PayloadLimit {
		t.Errorf("violations = %+v, want the task result over %d bytes", res.Violations, PayloadLimit)
	}
	t.Logf("a page of 1,000 worst-case users: %d bytes", res.Violations[0].Bytes)
}

// TestStateOutputOverLimit: a state output over 256 KiB is reported and fails the execution,
// as AWS would fail it there.
func TestStateOutputOverLimit(t *testing.T) {
	t.Parallel()
	def := fmt.Sprintf(`{"StartAt": "Big", "States": {"Big": {"Type": "Pass", "Result": {"s": %q}, "End": true}}}`, strings.Repeat("x", PayloadLimit))
	e := newBareEnv(t, NewAccount(testAccount))
	res, err := e.RunRaw([]byte(def), map[string]any{}, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	WantStatus(t, res, "FAILED")
	if res.Error.Error != "States.DataLimitExceeded" || len(res.Violations) != 1 || res.Violations[0].What != "state output" {
		t.Errorf("error %+v, violations %+v: want States.DataLimitExceeded for Big's output", res.Error, res.Violations)
	}
	if res.Largest.Name != "Big" || res.Largest.Bytes != PayloadLimit+8 {
		t.Errorf("largest = %v, want Big's output of %d bytes", res.Largest, PayloadLimit+8)
	}
}

// TestRetriesDoNotWait: retries happen (attempts count against MaxAttempts) without sleeping,
// and the waits AWS would take are reported: 1 + 2 + 4 s for three retries.
func TestRetriesDoNotWait(t *testing.T) {
	t.Parallel()
	a := NewAccount(testAccount)
	a.Add(&User{Name: "u"})
	a.Throttle("ListUsers", 3)
	def := listUsersMachine(`"Retry": [{"ErrorEquals": ["Iam.IamException"], "IntervalSeconds": 1, "BackoffRate": 2, "MaxAttempts": 3, "JitterStrategy": "FULL"}]`, "")
	e := newBareEnv(t, a)
	res := e.Run(t, []byte(def), map[string]any{})
	WantStatus(t, res, "SUCCEEDED")
	if a.ListUsersCalls() != 4 || res.Retries.Count != 3 || res.Retries.MaxNominalWaitSecondsPerCall != 7 {
		t.Errorf("calls %d, retries %+v: want 4 calls, 3 retries, 7 s of nominal waits", a.ListUsersCalls(), res.Retries)
	}
	a.Throttle("ListUsers", 4) // one more failure than the retries allow
	res = e.Run(t, []byte(def), map[string]any{})
	WantStatus(t, res, "FAILED")
	if res.Error.Error != ErrIAMGeneric {
		t.Errorf("error = %+v, want %s", res.Error, ErrIAMGeneric)
	}
}

// TestHarnessErrors: what the harness cannot answer is its error, never the execution's.
func TestHarnessErrors(t *testing.T) {
	t.Parallel()
	e := newBareEnv(t, NewAccount(testAccount))
	for name, def := range map[string]string{
		"unknown resource":   `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listRoles", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}], "End": true}, "C": {"Type": "Pass", "End": true}}}`,
		"unknown parameter":  `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"MaxItem": 5}, "End": true}}}`,
		"marker not issued":  `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listUsers", "Parameters": {"Marker": "bogus"}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}], "End": true}, "C": {"Type": "Pass", "End": true}}}`,
		"keys of no user":    `{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:iam:listAccessKeys", "Parameters": {}, "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}], "End": true}, "C": {"Type": "Pass", "End": true}}}`,
		"invalid definition": `{"StartAt": "Missing", "States": {"T": {"Type": "Pass", "End": true}}}`,
		"JSONata":            `{"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Pass", "End": true}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.RunRaw([]byte(def), map[string]any{}, t.Name())
			var herr *HarnessError
			if !errors.As(err, &herr) {
				t.Errorf("got %v, want a *HarnessError", err)
			}
		})
	}
}

// TestNodeModulesMissing: without `npm ci` the harness refuses with the command to run.
func TestNodeModulesMissing(t *testing.T) {
	t.Parallel()
	_, err := newHarness(t.TempDir())
	var missing *nodecheck.MissingError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), "aws-local-stepfunctions") || !strings.Contains(err.Error(), "npm ci --prefix tests/node") {
		t.Errorf("got %v, want a *nodecheck.MissingError naming aws-local-stepfunctions and npm ci --prefix tests/node", err)
	}
}

// listUsersMachine is a machine that starts with one ListUsers task, with taskFields (JSON
// members, such as Parameters, Retry or Catch) besides its Type, Resource and End, followed by
// otherStates (JSON members of States; "" for none).
func listUsersMachine(taskFields, otherStates string) string {
	states := `"ListUsers": {
      "Type": "Task",
      "Resource": "arn:aws:states:::aws-sdk:iam:listUsers",
      ` + taskFields + `,
      "End": true
    }`
	if otherStates != "" {
		states += ",\n    " + otherStates
	}
	return "{\n  \"StartAt\": \"ListUsers\",\n  \"States\": {\n    " + states + "\n  }\n}"
}
