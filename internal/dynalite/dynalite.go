// Package dynalite starts dynalite (npm dynalite, a DynamoDB API server kept in memory,
// installed in tests/node by `npm ci --prefix tests/node`) for tests that need a real DynamoDB
// API: the ledger's, the function's and the end-to-end tests. It is for tests only; it knows
// nothing about keyage's table (package ledger creates it).
package dynalite

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/internal/nodecheck"
)

// Package is the npm package, pinned in tests/node/package-lock.json.
const Package = "dynalite"

// Start runs dynalite on a free local port until the test ends and returns its endpoint URL
// ("http://127.0.0.1:PORT"). Tables are ACTIVE as soon as they are created (createTableMs 0).
// Without node or the package, the test is skipped, or fails under KEYAGE_CROSSCHECK=1
// (nodecheck.Require).
func Start(t testing.TB) string {
	t.Helper()
	c := nodecheck.Require(t, Package)
	var lastErr error
	for range 3 { // the free port may be taken between finding and listening
		port, err := freePort()
		if err != nil {
			t.Fatalf("find a free port for dynalite: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cmd := c.CommandContext(ctx, "node_modules/dynalite/cli.js", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			cancel()
			t.Fatalf("dynalite: %v", err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatalf("start dynalite: %v", err)
		}
		ready := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "listening") {
					ready <- true
					break
				}
			}
			ready <- false
			for sc.Scan() { // keep draining so that dynalite never blocks on a full pipe
			}
		}()
		select {
		case ok := <-ready:
			if ok {
				t.Cleanup(func() { cancel(); _ = cmd.Wait() })
				return "http://127.0.0.1:" + strconv.Itoa(port)
			}
			lastErr = fmt.Errorf("dynalite exited before listening: %s", stderr.String())
		case <-time.After(20 * time.Second):
			lastErr = fmt.Errorf("dynalite did not listen within 20s: %s", stderr.String())
		}
		cancel()
		_ = cmd.Wait()
	}
	t.Fatalf("%v", lastErr)
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
