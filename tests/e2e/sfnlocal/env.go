package sfnlocal

import (
	"cmp"
	"context"
	"strings"
	"testing"
	"time"
)

// Env is one test's world: a synthetic account, the function (nil for machines that invoke
// none), the task server answering the machine's Tasks from them, and the shared Harness.
type Env struct {
	Account  *Account
	Function *Function
	Tasks    *TaskServer
	Harness  *Harness
	// Region and Start make each execution's Context Object: the state machine "keyage" in
	// Region and Account.ID, started at Start.
	Region string
	Start  time.Time
	// RunTimeout bounds one run (0: 5 minutes).
	RunTimeout time.Duration
}

// NewEnv starts a task server for the account, the function (nil: none) and the topic, which
// stops when the test ends, with the shared Harness (SharedHarness: skipped without Node).
func NewEnv(t testing.TB, account *Account, fn *Function, topicARN, region string, start time.Time) *Env {
	t.Helper()
	h := SharedHarness(t)
	tasks := NewTaskServer(account, fn, topicARN)
	t.Cleanup(tasks.Close)
	return &Env{Account: account, Function: fn, Tasks: tasks, Harness: h, Region: region, Start: start}
}

// Run executes the definition with the input and checks what every execution must satisfy:
// the harness and the task server saw no problem, and no payload went over the limit.
func (e *Env) Run(t testing.TB, definition []byte, input any) *Result {
	t.Helper()
	res, err := e.RunRaw(definition, input, t.Name())
	if err != nil {
		stderr := ""
		if e.Function != nil {
			stderr = e.Function.Stderr()
		}
		t.Fatalf("run: %v\ntask server problems: %v\nfunction stderr: %s", err, e.Tasks.Problems(), stderr)
	}
	if p := e.Tasks.Problems(); len(p) > 0 {
		t.Fatalf("task server refused calls: %v", p)
	}
	for _, v := range res.Violations {
		t.Errorf("payload over %d bytes: %s of %s%s has %d bytes", PayloadLimit, v.What, v.Scope, v.Name, v.Bytes)
	}
	t.Logf("status %s in %d ms; largest state payload %v; %d child executions; transitions root %d, children %d",
		res.Status, res.DurationMs, res.Largest, res.Transitions.ChildExecutions, res.Transitions.Root, res.Transitions.Children)
	return res
}

// RunRaw executes the definition as the execution named name and returns the harness's report
// as it is.
func (e *Env) RunRaw(definition []byte, input any, name string) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(e.RunTimeout, 5*time.Minute))
	defer cancel()
	req := Request{
		Definition: definition,
		Input:      input,
		Context:    NewContext(e.Region, e.Account.ID, "keyage", "e2e-"+strings.ReplaceAll(name, "/", "-"), e.Start),
	}
	return e.Harness.Run(ctx, req, e.Tasks.URL())
}

// WantStatus stops the test unless the execution ended with status (SUCCEEDED, FAILED, ...).
func WantStatus(t testing.TB, res *Result, status string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("execution %s (%+v), want %s", res.Status, res.Error, status)
	}
}
