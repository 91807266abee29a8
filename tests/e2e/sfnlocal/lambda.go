package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyage/keyage/lambda/lambdatest"
)

// FunctionError is an invocation that the function answered with an error: ErrorType is what
// Step Functions names the error, Payload the error document Lambda returns (the Cause).
type FunctionError struct {
	ErrorType string
	Message   string
	Payload   json.RawMessage
}

// Error is the errorType and errorMessage, as Step Functions would show them.
func (e *FunctionError) Error() string { return e.ErrorType + ": " + e.Message }

// ErrFunctionTimeout is an invocation that outlived the function's timeout.
var ErrFunctionTimeout = errors.New("function timed out")

// Function is a function ARN served by several instances of the real binary, each behind its
// own Lambda Runtime API (lambdatest.Runtime), as Lambda scales out: an invocation goes to an
// idle instance, so up to len(instances) run at once.
type Function struct {
	ARN       string
	instances []*lambdatest.Runtime
	idle      chan *lambdatest.Runtime
	invoked   atomic.Int64
}

// StartFunction starts n instances of the binary with the environment (added to lambdatest's
// minimal one) and the per-invocation timeout; they stop when the test ends.
func StartFunction(t testing.TB, bin, arn string, n int, timeout time.Duration, env map[string]string) *Function {
	t.Helper()
	name := arn[strings.LastIndex(arn, ":")+1:]
	vars := map[string]string{"AWS_LAMBDA_FUNCTION_NAME": name}
	for k, v := range env {
		vars[k] = v
	}
	f := &Function{ARN: arn, idle: make(chan *lambdatest.Runtime, n)}
	for i := 0; i < n; i++ {
		r := lambdatest.Start(t, bin, vars)
		r.InvokeTimeout = timeout
		f.instances = append(f.instances, r)
		f.idle <- r
	}
	return f
}

// Invocations is the number of invocations made so far.
func (f *Function) Invocations() int { return int(f.invoked.Load()) }

// Logs returns every instance's stdout lines (the function's JSON logs).
func (f *Function) Logs() []string {
	var out []string
	for _, r := range f.instances {
		out = append(out, r.Logs()...)
	}
	return out
}

// Stderr returns what the instances wrote to stderr.
func (f *Function) Stderr() string {
	var b strings.Builder
	for i, r := range f.instances {
		if s := r.Stderr(); s != "" {
			fmt.Fprintf(&b, "instance %d:\n%s\n", i, s)
		}
	}
	return b.String()
}

// Invoke runs one invocation on an idle instance and returns the function's response, a
// *FunctionError when the function failed, ErrFunctionTimeout when it did not answer in time,
// or another error when an instance died.
func (f *Function) Invoke(ctx context.Context, payload []byte) (json.RawMessage, error) {
	var r *lambdatest.Runtime
	select {
	case r = <-f.idle:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { f.idle <- r }()
	f.invoked.Add(1)
	resp, errorType, errorMessage, err := r.Invoke(ctx, payload)
	switch {
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return nil, fmt.Errorf("invoke %s: %w (%v)", f.ARN, ErrFunctionTimeout, err)
	case err != nil:
		return nil, fmt.Errorf("invoke %s: %w", f.ARN, err)
	case errorType != "":
		doc, _ := json.Marshal(map[string]string{"errorMessage": errorMessage, "errorType": errorType})
		return nil, &FunctionError{ErrorType: errorType, Message: errorMessage, Payload: doc}
	}
	return resp, nil
}
