package sfnlocal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/internal/modroot"
	"github.com/keyage/keyage/internal/nodecheck"
)

// PayloadLimit is Step Functions' limit, in bytes, on any state's input or output, a task's
// result and a child execution's input: asl's, so the two cannot disagree (run-sfn.mjs
// enforces the same number; TestTaskResultOverLimit and TestStateOutputOverLimit pin it).
const PayloadLimit = asl.MaxPayloadBytes

// Request is one execution for the harness.
type Request struct {
	Definition json.RawMessage `json:"definition"`
	Input      any             `json:"input"`
	Context    ContextObject   `json:"context"`
	// RetryWaitMs replaces every Retry's pause (0: retry at once); attempts still count.
	RetryWaitMs int `json:"retryWaitMs"`
	// Parallelism bounds the child executions run at once locally (0: 16).
	Parallelism int `json:"parallelism,omitempty"`
	// Validate has the interpreter validate the definition (asl-validator, ARNs, paths) before
	// running it. Harness.Run sets it for the first run of each definition only.
	Validate bool `json:"validate"`
}

// ContextObject is the execution's Context Object as the definition may read it ($$).
type ContextObject struct {
	Execution    ExecutionContext    `json:"Execution"`
	StateMachine StateMachineContext `json:"StateMachine"`
}

// ExecutionContext is $$.Execution (Input is always the execution's input).
type ExecutionContext struct {
	ID        string `json:"Id"`
	Name      string `json:"Name"`
	RoleARN   string `json:"RoleArn"`
	StartTime string `json:"StartTime"`
}

// StateMachineContext is $$.StateMachine.
type StateMachineContext struct {
	ID   string `json:"Id"`
	Name string `json:"Name"`
}

// NewContext returns a Context Object for an execution named name of state machine smName in
// the account and region, started at start.
func NewContext(region, account, smName, name string, start time.Time) ContextObject {
	sm := "arn:aws:states:" + region + ":" + account + ":stateMachine:" + smName
	return ContextObject{
		Execution: ExecutionContext{
			ID:        "arn:aws:states:" + region + ":" + account + ":execution:" + smName + ":" + name,
			Name:      name,
			RoleARN:   "arn:aws:iam::" + account + ":role/" + smName + "-states",
			StartTime: start.UTC().Format("2006-01-02T15:04:05.000Z"),
		},
		StateMachine: StateMachineContext{ID: sm, Name: smName},
	}
}

// Result is what run-sfn.mjs reports about one execution.
type Result struct {
	Status     string          `json:"status"` // SUCCEEDED, FAILED or TIMED_OUT
	Output     json.RawMessage `json:"output"`
	Error      *StatesError    `json:"error"`
	Limit      int             `json:"limit"`
	Largest    Largest         `json:"largest"`
	States     []StateSizes    `json:"states"`
	Violations []Violation     `json:"violations"`
	Tasks      []TaskSizes     `json:"tasks"`
	Maps       []MapRun        `json:"distributedMaps"`
	// Transitions counts states entered: in the root execution (inline Map iterations
	// included) and in all child executions, and the child executions started.
	Transitions struct {
		Root            int `json:"root"`
		Children        int `json:"children"`
		ChildExecutions int `json:"childExecutions"`
	} `json:"transitions"`
	// History is the most events one Standard execution (the root or a STANDARD child) would
	// record, counted as AWS records them (run-sfn.mjs), and which: AWS fails it at
	// HistoryLimit.
	History struct {
		MaxEvents int    `json:"maxEvents"`
		Scope     string `json:"scope"`
	} `json:"history"`
	Retries    Retries `json:"retries"`
	DurationMs int     `json:"durationMs"`
}

// HistoryLimit is the most events a Standard execution's history holds.
const HistoryLimit = 25000

// StatesError is an execution's or a state's Error and Cause.
type StatesError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// Largest is the largest state input or output measured.
type Largest struct {
	Scope     string `json:"scope"`
	Name      string `json:"name"`
	Direction string `json:"direction"`
	Bytes     int    `json:"bytes"`
}

// String says how large the payload was and where it was measured.
func (l Largest) String() string {
	return fmt.Sprintf("%d bytes (%s of %s%s)", l.Bytes, l.Direction, l.Scope, l.Name)
}

// StateSizes are the largest input and output of one state in one scope ("" for the root
// execution, "<Map>/child" for a Distributed Map's children).
type StateSizes struct {
	Scope          string `json:"scope"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Entered        int    `json:"entered"`
	MaxInputBytes  int    `json:"maxInputBytes"`
	MaxOutputBytes int    `json:"maxOutputBytes"`
}

// Violation is a payload over PayloadLimit.
type Violation struct {
	What  string `json:"what"`
	Scope string `json:"scope"`
	Name  string `json:"name"`
	Bytes int    `json:"bytes"`
}

// TaskSizes are one Task state's calls: how many, how many failed, the largest parameters and
// result.
type TaskSizes struct {
	State          string `json:"state"`
	Resource       string `json:"resource"`
	Calls          int    `json:"calls"`
	Failures       int    `json:"failures"`
	MaxInputBytes  int    `json:"maxInputBytes"`
	MaxResultBytes int    `json:"maxResultBytes"`
}

// MapRun is one run of a Distributed Map.
type MapRun struct {
	State               string `json:"state"`
	Scope               string `json:"scope"`
	Items               int    `json:"items"`
	Children            int    `json:"children"`
	MinBatchItems       int    `json:"minBatchItems"`
	MaxBatchItems       int    `json:"maxBatchItems"`
	MaxChildInputBytes  int    `json:"maxChildInputBytes"`
	MaxChildOutputBytes int    `json:"maxChildOutputBytes"`
	FailedChildren      int    `json:"failedChildren"`
}

// Retries summarises the retries taken and the waits AWS would have spent on them (before
// jitter), per retried call and per child execution.
type Retries struct {
	Count                         int            `json:"count"`
	ByState                       map[string]int `json:"byState"`
	MaxNominalWaitSecondsPerCall  float64        `json:"maxNominalWaitSecondsPerCall"`
	MaxNominalWaitSecondsPerChild float64        `json:"maxNominalWaitSecondsPerChild"`
}

// State returns the sizes of the named state in scope, or false.
func (r *Result) State(scope, name string) (StateSizes, bool) {
	for _, s := range r.States {
		if s.Scope == scope && s.Name == name {
			return s, true
		}
	}
	return StateSizes{}, false
}

// HarnessError is a failure of the harness itself (not of the execution): node missing, a bad
// request, the task server unreachable. Its Stderr is run-sfn.mjs's.
type HarnessError struct {
	Op     string
	Stderr string
	Err    error
}

// Error names the harness operation and its cause, then run-sfn.mjs's stderr if any.
func (e *HarnessError) Error() string {
	msg := "run-sfn.mjs " + e.Op + ": " + e.Err.Error()
	if e.Stderr != "" {
		msg += "\n" + e.Stderr
	}
	return msg
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *HarnessError) Unwrap() error { return e.Err }

// Harness runs run-sfn.mjs.
type Harness struct {
	checker nodecheck.Checker

	mu        sync.Mutex
	validated map[[sha256.Size]byte]bool
}

// NewHarness finds run-sfn.mjs and checks that node and the npm packages are installed; what
// is missing is a *nodecheck.MissingError naming the command that installs it.
func NewHarness() (*Harness, error) {
	root, err := modroot.Find()
	if err != nil {
		return nil, err
	}
	return newHarness(filepath.Join(root, "tests", "node"))
}

// newHarness is NewHarness for the tests/node directory dir.
func newHarness(dir string) (*Harness, error) {
	c, err := nodecheck.FindIn(dir, "aws-local-stepfunctions")
	if err != nil {
		return nil, err
	}
	return &Harness{checker: c, validated: map[[sha256.Size]byte]bool{}}, nil
}

// SharedHarness returns one Harness per test binary, so that each definition is validated once.
// When Node or aws-local-stepfunctions is missing it skips the test saying so, or fails it under
// KEYAGE_CROSSCHECK=1 (nodecheck.Missing).
func SharedHarness(t testing.TB) *Harness {
	t.Helper()
	shared.once.Do(func() { shared.h, shared.err = NewHarness() })
	var missing *nodecheck.MissingError
	switch {
	case errors.As(shared.err, &missing):
		nodecheck.Missing(t, shared.err)
	case shared.err != nil:
		t.Fatalf("aws-local-stepfunctions harness: %v", shared.err)
	}
	return shared.h
}

var shared struct {
	once sync.Once
	h    *Harness
	err  error
}

// Run executes req, sending every Task to taskURL, and returns the harness's report. An error
// means the harness failed; an execution that fails is a Result with Status "FAILED". The first
// run of each definition has the interpreter validate it; an invalid one is a harness error.
func (h *Harness) Run(ctx context.Context, req Request, taskURL string) (*Result, error) {
	sum := sha256.Sum256(req.Definition)
	h.mu.Lock()
	req.Validate = !h.validated[sum]
	h.mu.Unlock()
	body, err := json.Marshal(req)
	if err != nil {
		return nil, &HarnessError{Op: "run", Err: fmt.Errorf("encode request: %w", err)}
	}
	f, err := os.CreateTemp("", "keyage-sfn-*.json")
	if err != nil {
		return nil, &HarnessError{Op: "run", Err: err}
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(body); err != nil {
		f.Close()
		return nil, &HarnessError{Op: "run", Err: err}
	}
	if err := f.Close(); err != nil {
		return nil, &HarnessError{Op: "run", Err: err}
	}
	out, err := h.node(ctx, []string{"run", f.Name()}, nil, "KEYAGE_TASK_URL="+taskURL)
	if err != nil {
		return nil, err
	}
	var res Result
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, &HarnessError{Op: "run", Err: fmt.Errorf("decode report: %w", err)}
	}
	h.mu.Lock()
	h.validated[sum] = true
	h.mu.Unlock()
	return &res, nil
}

// BatchSpec is an ItemBatcher problem for run-sfn.mjs's batch mode.
type BatchSpec struct {
	Items                 []any `json:"items"`
	BatchInput            any   `json:"batchInput,omitempty"`
	MaxItemsPerBatch      int   `json:"maxItemsPerBatch,omitempty"`
	MaxInputBytesPerBatch int   `json:"maxInputBytesPerBatch,omitempty"`
}

// BatchResult is the outcome of one BatchSpec: the batches, or the States error the harness
// fails the Map with.
type BatchResult struct {
	Batches []json.RawMessage `json:"batches"`
	Error   *StatesError      `json:"error"`
}

// Batches returns, for each spec, the batches the harness hands a Distributed Map's children.
func (h *Harness) Batches(ctx context.Context, specs []BatchSpec) ([]BatchResult, error) {
	in, err := json.Marshal(specs)
	if err != nil {
		return nil, &HarnessError{Op: "batch", Err: err}
	}
	out, err := h.node(ctx, []string{"batch"}, in)
	if err != nil {
		return nil, err
	}
	var res []BatchResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, &HarnessError{Op: "batch", Err: fmt.Errorf("decode: %w", err)}
	}
	if len(res) != len(specs) {
		return nil, &HarnessError{Op: "batch", Err: fmt.Errorf("%d results for %d specs", len(res), len(specs))}
	}
	return res, nil
}

func (h *Harness) node(ctx context.Context, args []string, stdin []byte, env ...string) ([]byte, error) {
	cmd := h.checker.CommandContext(ctx, "run-sfn.mjs", args...)
	cmd.Env = append(os.Environ(), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, &HarnessError{Op: args[0], Stderr: stderr.String(), Err: err}
	}
	return stdout.Bytes(), nil
}
