// Package lambdatest runs the real age-check function binary the way AWS Lambda does, for
// tests: it builds ./lambda for the host, serves the Lambda Runtime API from an httptest server,
// starts the binary against it and drives invocations; and it models fake IAM accounts
// (Account: users, keys, last use, faults, call counts), served over IAM's query protocol
// (NewIAM) for the function and `keyage scan`, and answered through the Step Functions aws-sdk
// integration by tests/e2e/sfnlocal. It is test support only: nothing outside _test.go files
// and test helpers should import it.
package lambdatest

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keyage/keyage/internal/modroot"
)

// runtimeAPIPrefix is the path of the Runtime API's endpoints (version 2018-06-01).
const runtimeAPIPrefix = "/2018-06-01/runtime/"

// DefaultInvokeTimeout is the deadline each invocation is given (Lambda-Runtime-Deadline-Ms)
// and how long Invoke waits for its answer unless Runtime.InvokeTimeout says otherwise.
const DefaultInvokeTimeout = 60 * time.Second

// BuildTo builds the function (./lambda, tag lambda.norpc as deployed) for the host into
// dir/bootstrap and returns that path. Use it from TestMain to build once per test binary.
func BuildTo(dir string) (string, error) {
	root, err := modroot.Find()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, "./lambda")
	cmd.Dir = root
	if output, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ./lambda: %w\n%s", err, output)
	}
	return out, nil
}

// Build builds the function for the host into a temporary directory of the test and returns
// the binary's path; it fails the test if the build fails.
func Build(t testing.TB) string {
	t.Helper()
	bin, err := BuildTo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// invocation is one event in flight through the fake Runtime API.
type invocation struct {
	id      string
	payload []byte
	done    chan result // receives exactly one result
}

type result struct {
	resp      []byte
	errorType string
	errorMsg  string
}

// Runtime is a running function process behind a fake Lambda Runtime API. Invoke is safe for
// sequential use from one goroutine at a time (concurrent calls are serialized, as a Lambda
// execution environment handles one event at a time); Logs and Stderr may be called at any time.
type Runtime struct {
	// InvokeTimeout is the deadline given to each invocation; DefaultInvokeTimeout if zero.
	// Set it before invoking.
	InvokeTimeout time.Duration

	server  *httptest.Server
	cmd     *exec.Cmd
	stdout  *os.File // the process's stdout: a file, so that every line written before a
	stderr  *os.File // response is readable once the response has arrived
	exited  chan struct{}
	waitErr error
	closing chan struct{}

	invokeMu sync.Mutex // serializes Invoke
	queue    chan *invocation

	mu        sync.Mutex
	inFlight  map[string]*invocation
	nextID    int
	initError string
}

// Start runs the function binary at bin against a fresh fake Runtime API. The process gets a
// minimal environment, not the test's: AWS_LAMBDA_RUNTIME_API, HOME (an empty directory, so no
// shared AWS config is read), fake credentials, AWS_REGION us-east-1, IMDS disabled, and then
// env, which overrides any of those (e.g. AWS_ENDPOINT_URL for a fake IAM). The process and
// server are stopped when the test ends.
func Start(t testing.TB, bin string, env map[string]string) *Runtime {
	t.Helper()
	r := &Runtime{
		exited:   make(chan struct{}),
		closing:  make(chan struct{}),
		queue:    make(chan *invocation),
		inFlight: make(map[string]*invocation),
	}
	r.server = httptest.NewServer(http.HandlerFunc(r.serveRuntimeAPI))

	dir := t.TempDir()
	var err error
	if r.stdout, err = os.Create(filepath.Join(dir, "stdout")); err != nil {
		t.Fatal(err)
	}
	if r.stderr, err = os.Create(filepath.Join(dir, "stderr")); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":    strings.TrimPrefix(r.server.URL, "http://"),
		"HOME":                      home,
		"PATH":                      os.Getenv("PATH"),
		"AWS_REGION":                "us-east-1",
		"AWS_ACCESS_KEY_ID":         "AKIDLAMBDATEST000000",
		"AWS_SECRET_ACCESS_KEY":     "lambdatest-secret",
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_LAMBDA_FUNCTION_NAME":  "keyage-age-check-test",
	}
	for k, v := range env {
		vars[k] = v
	}
	r.cmd = exec.Command(bin)
	for k, v := range vars {
		r.cmd.Env = append(r.cmd.Env, k+"="+v)
	}
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	if err := r.cmd.Start(); err != nil {
		r.server.Close()
		t.Fatalf("start function %s: %v", bin, err)
	}
	go func() {
		r.waitErr = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(r.stop)
	return r
}

// stop kills the process and shuts the server down.
func (r *Runtime) stop() {
	close(r.closing) // releases a pending /next so the server can close
	_ = r.cmd.Process.Kill()
	<-r.exited
	r.server.Close()
	_ = r.stdout.Close()
	_ = r.stderr.Close()
}

// Invoke sends one event and waits for the function's answer. On success it returns the
// response payload; on a function error, errorType and errorMessage as the function reported
// them (what Step Functions would see as Error and Cause). err is set only when the harness
// failed: the process exited, ctx ended, or the timeout passed.
func (r *Runtime) Invoke(ctx context.Context, payload []byte) (resp []byte, errorType, errorMessage string, err error) {
	r.invokeMu.Lock()
	defer r.invokeMu.Unlock()

	timeout := r.InvokeTimeout
	if timeout <= 0 {
		timeout = DefaultInvokeTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	r.mu.Lock()
	r.nextID++
	inv := &invocation{
		id:      fmt.Sprintf("lambdatest-%08d", r.nextID),
		payload: payload,
		done:    make(chan result, 1),
	}
	r.mu.Unlock()

	select {
	case r.queue <- inv: // handed to the process's pending /next
	case <-r.exited:
		return nil, "", "", r.exitError()
	case <-ctx.Done():
		return nil, "", "", fmt.Errorf("invoke %s: the function did not ask for the next event: %w", inv.id, ctx.Err())
	}
	select {
	case res := <-inv.done:
		return res.resp, res.errorType, res.errorMsg, nil
	case <-r.exited:
		return nil, "", "", r.exitError()
	case <-ctx.Done():
		return nil, "", "", fmt.Errorf("invoke %s: no response: %w", inv.id, ctx.Err())
	}
}

func (r *Runtime) exitError() error {
	r.mu.Lock()
	initErr := r.initError
	r.mu.Unlock()
	msg := fmt.Sprintf("function process exited (%v)", r.waitErr)
	if initErr != "" {
		msg += "; init error: " + initErr
	}
	return fmt.Errorf("%s; stderr:\n%s", msg, r.Stderr())
}

// Logs returns every line the function has written to stdout so far (its JSON log lines).
// Lines written during an invocation are all present once Invoke has returned.
func (r *Runtime) Logs() []string {
	b, err := os.ReadFile(r.stdout.Name())
	if err != nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// Stderr returns what the function has written to stderr so far.
func (r *Runtime) Stderr() string {
	b, _ := os.ReadFile(r.stderr.Name())
	return string(b)
}

// serveRuntimeAPI implements the Runtime API endpoints the Go runtime client uses:
// GET invocation/next, POST invocation/{id}/response, POST invocation/{id}/error, POST
// init/error.
func (r *Runtime) serveRuntimeAPI(w http.ResponseWriter, req *http.Request) {
	path, ok := strings.CutPrefix(req.URL.Path, runtimeAPIPrefix)
	if !ok {
		http.NotFound(w, req)
		return
	}
	switch {
	case req.Method == http.MethodGet && path == "invocation/next":
		r.serveNext(w, req)
	case req.Method == http.MethodPost && path == "init/error":
		body, _ := readAll(req)
		r.mu.Lock()
		r.initError = string(body)
		r.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	case req.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		rest := strings.TrimPrefix(path, "invocation/")
		id, kind, ok := strings.Cut(rest, "/")
		if !ok || (kind != "response" && kind != "error") {
			http.NotFound(w, req)
			return
		}
		r.serveResult(w, req, id, kind)
	default:
		http.NotFound(w, req)
	}
}

func (r *Runtime) serveNext(w http.ResponseWriter, req *http.Request) {
	var inv *invocation
	select {
	case inv = <-r.queue:
	case <-r.closing:
		http.Error(w, "runtime shutting down", http.StatusInternalServerError)
		return
	case <-req.Context().Done():
		return
	}
	r.mu.Lock()
	r.inFlight[inv.id] = inv
	r.mu.Unlock()
	timeout := r.InvokeTimeout
	if timeout <= 0 {
		timeout = DefaultInvokeTimeout
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(timeout).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:keyage-age-check-test")
	h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
	h.Set("Content-Type", "application/json")
	_, _ = w.Write(inv.payload)
}

func (r *Runtime) serveResult(w http.ResponseWriter, req *http.Request, id, kind string) {
	body, err := readAll(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	inv := r.inFlight[id]
	delete(r.inFlight, id)
	r.mu.Unlock()
	if inv == nil {
		http.Error(w, fmt.Sprintf("unknown or finished request id %q", id), http.StatusBadRequest)
		return
	}
	res := result{resp: body}
	if kind == "error" {
		var e struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		if err := json.Unmarshal(body, &e); err != nil {
			e.Message = string(body)
		}
		res = result{errorType: cmp.Or(e.Type, req.Header.Get("Lambda-Runtime-Function-Error-Type"), "Unknown"), errorMsg: e.Message}
	}
	inv.done <- res
	w.WriteHeader(http.StatusAccepted)
}

func readAll(req *http.Request) ([]byte, error) { return io.ReadAll(req.Body) }
