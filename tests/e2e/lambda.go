package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// BuildFunction builds the age-check function (./lambda) for the host into dir and returns the
// binary's path. The flags are the deploy's, except the target platform.
func BuildFunction(ctx context.Context, dir string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-buildvcs=false", "-o", bin, "./lambda")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the function (go build ./lambda): %w\n%s", err, out)
	}
	return bin, nil
}

// FunctionError is an invocation that the function answered with an error: ErrorType is what
// Step Functions names the error, Payload the error document as Lambda returns it.
type FunctionError struct {
	ErrorType string
	Message   string
	Payload   json.RawMessage
}

func (e *FunctionError) Error() string { return e.ErrorType + ": " + e.Message }

// Function runs instances of a function binary behind one Lambda Runtime API endpoint, as the
// Lambda service does: each instance polls for the next invocation, so up to Instances
// invocations run at once. Its stdout lines (the function's logs) are kept.
type Function struct {
	ARN string

	listener net.Listener
	server   *http.Server
	queue    chan *invocation
	mu       sync.Mutex
	pending  map[string]*invocation
	logs     []string
	procs    []*exec.Cmd
	initErr  error
	seq      atomic.Int64
	done     chan struct{}
	closed   sync.Once
	stderr   bytes.Buffer
	timeout  time.Duration
}

type invocation struct {
	id      string
	payload []byte
	result  chan invokeResult
}

type invokeResult struct {
	payload []byte
	errDoc  []byte // set for a function error
}

// StartFunction starts instances copies of the binary with the extra environment (the Lambda
// runtime's variables are set here) and the given per-invocation timeout.
func StartFunction(bin, arn string, instances int, timeout time.Duration, env []string) (*Function, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime API listener: %w", err)
	}
	f := &Function{
		ARN:      arn,
		listener: ln,
		queue:    make(chan *invocation),
		pending:  map[string]*invocation{},
		done:     make(chan struct{}),
		timeout:  timeout,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", f.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", f.respond(false))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", f.respond(true))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", f.initError)
	f.server = &http.Server{Handler: mux}
	go func() { _ = f.server.Serve(ln) }()

	name := arn[strings.LastIndex(arn, ":")+1:]
	base := append([]string{
		"AWS_LAMBDA_RUNTIME_API=" + ln.Addr().String(),
		"AWS_LAMBDA_FUNCTION_NAME=" + name,
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME=e2e",
		"_HANDLER=bootstrap",
		"HOME=" + os.TempDir(),
		"PATH=" + os.Getenv("PATH"),
	}, env...)
	for i := 0; i < instances; i++ {
		cmd := exec.Command(bin)
		cmd.Env = base
		cmd.Stderr = &lockedWriter{mu: &f.mu, w: &f.stderr}
		out, err := cmd.StdoutPipe()
		if err != nil {
			f.Close()
			return nil, err
		}
		if err := cmd.Start(); err != nil {
			f.Close()
			return nil, fmt.Errorf("start function instance: %w", err)
		}
		f.procs = append(f.procs, cmd)
		go f.collect(out)
	}
	return f, nil
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (f *Function) collect(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f.mu.Lock()
		f.logs = append(f.logs, sc.Text())
		f.mu.Unlock()
	}
}

// Logs returns the function's stdout lines so far.
func (f *Function) Logs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.logs...)
}

// Stderr returns what the instances wrote to stderr.
func (f *Function) Stderr() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stderr.String()
}

// Close stops the instances and the endpoint.
func (f *Function) Close() {
	f.closed.Do(func() {
		close(f.done)
		for _, p := range f.procs {
			_ = p.Process.Kill()
			_ = p.Wait()
		}
		_ = f.server.Close()
	})
}

func (f *Function) next(w http.ResponseWriter, r *http.Request) {
	select {
	case inv := <-f.queue:
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(f.timeout).UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", f.ARN)
		h.Set("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0")
		h.Set("Content-Type", "application/json")
		_, _ = w.Write(inv.payload)
	case <-f.done:
		http.Error(w, "shutting down", http.StatusGone)
	case <-r.Context().Done():
	}
}

func (f *Function) respond(isError bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		inv := f.pending[r.PathValue("id")]
		delete(f.pending, r.PathValue("id"))
		f.mu.Unlock()
		if inv == nil {
			http.Error(w, "unknown request id", http.StatusBadRequest)
			return
		}
		res := invokeResult{payload: body}
		if isError {
			res = invokeResult{errDoc: body}
		}
		inv.result <- res
		w.WriteHeader(http.StatusAccepted)
	}
}

func (f *Function) initError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.initErr = fmt.Errorf("function init error: %s", body)
	f.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// ErrFunctionTimeout is an invocation that outlived the function's timeout.
var ErrFunctionTimeout = errors.New("function timed out")

// Invoke runs one invocation and returns the function's response, a *FunctionError when the
// function failed, or another error when the runtime did (init error, timeout, closed).
func (f *Function) Invoke(ctx context.Context, payload []byte) (json.RawMessage, error) {
	inv := &invocation{
		id:      fmt.Sprintf("e2e-%08d", f.seq.Add(1)),
		payload: payload,
		result:  make(chan invokeResult, 1),
	}
	f.mu.Lock()
	if f.initErr != nil {
		err := f.initErr
		f.mu.Unlock()
		return nil, err
	}
	f.pending[inv.id] = inv
	f.mu.Unlock()
	timer := time.NewTimer(f.timeout + 5*time.Second) // queueing included, generously
	defer timer.Stop()
	select {
	case f.queue <- inv:
	case <-timer.C:
		return nil, fmt.Errorf("invoke %s: no instance polled for work (stderr: %s): %w", f.ARN, f.Stderr(), ErrFunctionTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.done:
		return nil, errors.New("invoke: function closed")
	}
	select {
	case res := <-inv.result:
		if res.errDoc != nil {
			var doc struct {
				ErrorType    string `json:"errorType"`
				ErrorMessage string `json:"errorMessage"`
			}
			if err := json.Unmarshal(res.errDoc, &doc); err != nil {
				return nil, fmt.Errorf("invoke %s: error document %q: %w", f.ARN, res.errDoc, err)
			}
			return nil, &FunctionError{ErrorType: doc.ErrorType, Message: doc.ErrorMessage, Payload: res.errDoc}
		}
		return res.payload, nil
	case <-timer.C:
		return nil, fmt.Errorf("invoke %s (stderr: %s): %w", f.ARN, f.Stderr(), ErrFunctionTimeout)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
