package lambdatest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bootstrap")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestInvokeReportsAnExitedProcess(t *testing.T) {
	rt := Start(t, script(t, `echo "init failed: no config" >&2; exit 3`), nil)
	_, _, _, err := rt.Invoke(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "init failed: no config") {
		t.Errorf("got %v, want an error saying the process exited, with its stderr", err)
	}
}

func TestInvokeTimesOut(t *testing.T) {
	rt := Start(t, script(t, "exec sleep 30"), nil)
	rt.InvokeTimeout = 200 * time.Millisecond
	start := time.Now()
	_, _, _, err := rt.Invoke(context.Background(), []byte(`{}`))
	if err == nil || !strings.Contains(err.Error(), "did not ask for the next event") {
		t.Errorf("got %v, want a timeout saying the function never asked for the event", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Invoke took %v, want about the 200ms timeout", d)
	}
}
