package docs

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/modroot"
)

// TestGoTestSummaryCountsPackages runs scripts/go-test-summary, which makes the last line of
// ./scripts/test, on go test output of every kind it must count.
func TestGoTestSummaryCountsPackages(t *testing.T) {
	script := filepath.Join(modroot.MustFind(t), "scripts", "go-test-summary")
	cases := []struct {
		name, input, want string
		wantStatus        int
	}{
		{
			name: "all passed, with coverage",
			input: "ok  \tgithub.com/keyage/keyage/asl\t1.2s\tcoverage: 97.3% of statements\n" +
				"ok  \tgithub.com/keyage/keyage/config\t0.3s\tcoverage: 91.0% of statements\n" +
				"\tgithub.com/keyage/keyage\t\tcoverage: 0.0% of statements\n" +
				"?   \tgithub.com/keyage/keyage/infra/infratest\t[no test files]\n",
			want: "2 packages passed, 0 failed, 2 without tests",
		},
		{
			name: "a test and a build failed",
			input: "--- FAIL: TestX (0.00s)\n    x_test.go:9: got 1, want 2\nFAIL\n" +
				"FAIL\tgithub.com/keyage/keyage/workflow\t0.2s\n" +
				"FAIL\tgithub.com/keyage/keyage/infra [build failed]\n" +
				"ok  \tgithub.com/keyage/keyage/asl\t1.2s\n",
			want:       "1 packages passed, 2 failed, 0 without tests",
			wantStatus: 1,
		},
		{name: "nothing ran", input: "", want: "0 packages passed, 0 failed, 0 without tests", wantStatus: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command("bash", script)
			cmd.Stdin = strings.NewReader(c.input)
			out, err := cmd.Output()
			status := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				status = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(out)); got != c.want || status != c.wantStatus {
				t.Errorf("got %q, status %d; want %q, status %d", got, status, c.want, c.wantStatus)
			}
		})
	}
}

// TestScriptsTestEndsWithWhatPassed keeps ./scripts/test's last line the summary of what passed,
// with go test's package counts in it.
func TestScriptsTestEndsWithWhatPassed(t *testing.T) {
	lines := strings.Split(strings.TrimSpace(read(t, "scripts/test")), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, `echo "== passed: `) || !strings.Contains(last, "$tests") {
		t.Errorf("scripts/test ends with %q, want the line echoing what passed, with go test's counts ($tests)", last)
	}
}
