//go:build unix

package main

import (
	"bytes"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestScanInterrupt sends the process SIGINT during a scan: runScan stops with status 1.
func TestScanInterrupt(t *testing.T) {
	f := fakeAccount(t)
	mixedAccount(f, 200)
	f.Latency = 20 * time.Millisecond
	type result struct {
		status         int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		var stdout, stderr bytes.Buffer
		status := runScan(nil, &stdout, &stderr)
		done <- result{status, stdout.String(), stderr.String()}
	}()
	// runScan has registered for SIGINT before its first IAM call.
	for f.Requests("GetAccountSummary") == 0 {
		time.Sleep(time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.status != exitScanFailed || r.stdout != "" || !strings.Contains(r.stderr, "interrupted") {
			t.Errorf("interrupted scan = %d, %q, %q; want 1, nothing on stdout, and why", r.status, r.stdout, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the scan did not stop within 10s of SIGINT")
	}
	if n := f.Requests("ListAccessKeys"); n >= 200 {
		t.Errorf("%d ListAccessKeys requests: the scan ran to the end", n)
	}
}
