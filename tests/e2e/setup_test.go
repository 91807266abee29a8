package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyage/keyage/lambda/lambdatest"
)

// Identity of the synthetic deployment the tests run against.
const (
	testAccount  = "123456789012"
	testRegion   = "us-east-1"
	testFunction = "arn:aws:lambda:us-east-1:123456789012:function:keyage-agecheck"
	testTopic    = "arn:aws:sns:us-east-1:123456789012:keyage-findings"
)

// testNow is the scheduled time every scenario runs at.
var testNow = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

var (
	harnessOnce sync.Once
	harnessVal  *Harness
	harnessErr  error
)

// harness returns the node harness, shared by the tests so that each definition is validated
// once, or fails the test: node_modules missing is a failure with the command that fixes it,
// never a skip.
func harness(t testing.TB) *Harness {
	t.Helper()
	harnessOnce.Do(func() { harnessVal, harnessErr = NewHarness() })
	if harnessErr != nil {
		t.Fatalf("aws-local-stepfunctions harness: %v", harnessErr)
	}
	return harnessVal
}

// functionBinary builds the real function once per test binary.
func functionBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "keyage-e2e-bin-")
		if buildErr != nil {
			return
		}
		buildBin, buildErr = lambdatest.BuildTo(buildDir)
	})
	if buildErr != nil {
		t.Fatalf("%v", buildErr)
	}
	return buildBin
}

// env is one scenario's world: an account, the function, the task server.
type env struct {
	account *Account
	fn      *Function
	tasks   *TaskServer
	h       *Harness
}

func newEnv(t testing.TB, account *Account) *env {
	t.Helper()
	h := harness(t)
	bin := functionBinary(t)
	iam := account.ServeQuery()
	t.Cleanup(iam.Close)
	fn := StartFunction(t, bin, testFunction, 2, 30*time.Second, map[string]string{
		"AWS_REGION":       testRegion,
		"AWS_ENDPOINT_URL": iam.URL,
		"AWS_MAX_ATTEMPTS": "1",
	})
	tasks := NewTaskServer(account, fn, testTopic)
	t.Cleanup(tasks.Close)
	return &env{account: account, fn: fn, tasks: tasks, h: h}
}

// newBareEnv is an env without the function, for machines that do not invoke it.
func newBareEnv(t testing.TB, account *Account) *env {
	t.Helper()
	h := harness(t)
	tasks := NewTaskServer(account, nil, testTopic)
	t.Cleanup(tasks.Close)
	return &env{account: account, tasks: tasks, h: h}
}

// run executes the definition with the input and checks what every execution must satisfy:
// the harness and the task server saw no problem, and no payload went over the limit.
func (e *env) run(t testing.TB, definition []byte, input any) *Result {
	t.Helper()
	res, err := e.runRaw(definition, input, t.Name())
	if err != nil {
		stderr := ""
		if e.fn != nil {
			stderr = e.fn.Stderr()
		}
		t.Fatalf("run: %v\ntask server problems: %v\nfunction stderr: %s", err, e.tasks.Problems(), stderr)
	}
	if p := e.tasks.Problems(); len(p) > 0 {
		t.Fatalf("task server refused calls: %v", p)
	}
	for _, v := range res.Violations {
		t.Errorf("payload over %d bytes: %s of %s%s has %d bytes", PayloadLimit, v.What, v.Scope, v.Name, v.Bytes)
	}
	t.Logf("status %s in %d ms; largest state payload %v; %d child executions; transitions root %d, children %d",
		res.Status, res.DurationMs, res.Largest, res.Transitions.ChildExecutions, res.Transitions.Root, res.Transitions.Children)
	return res
}

// runRaw executes the definition and returns the harness's report as it is.
func (e *env) runRaw(definition []byte, input any, name string) (*Result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req := Request{
		Definition: definition,
		Input:      input,
		Context:    NewContext(testRegion, testAccount, "keyage", "e2e-"+strings.ReplaceAll(name, "/", "-"), testNow),
	}
	return e.h.Run(ctx, req, e.tasks.URL())
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustJSON encodes v or fails the test.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// days is a duration of n days.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// keyID derives a 20-character access key ID from a user's and a key's index.
func keyID(user, key int) string { return fmt.Sprintf("AKIA%014d%02d", user, key) }
