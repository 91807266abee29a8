// Package golden compares what a test produced with a golden file kept in the repository, and
// rewrites the file instead when the tests run with -update (`go test ./asl ./workflow -update`).
// A mismatch is reported with a short line diff and the command that accepts the new output.
//
// It is for keyage's own tests: every golden-file test uses it, so there is one -update flag and
// one message. It does not decide what a golden file holds or where it lives; the caller does.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/keyage/keyage/internal/modroot"
)

// update is the one -update flag of every test binary that imports this package.
var update = flag.Bool("update", false, "rewrite the golden files from the current output instead of comparing")

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// TB is the part of testing.TB that this package uses.
type TB interface {
	Helper()
	Name() string
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// Check compares got with the file at path. Under -update it first writes got there, creating
// the directories it needs, so the comparison then passes and `git diff` shows the change.
func Check(t TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden file: %v", err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file: %v (%s creates it)", err, command(t))
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (%s accepts it; review the diff):\n%s", path, command(t), Diff(want, got))
	}
}

// CheckSection is Check for the part of a file between the marker lines start and end (each
// ending in a newline), such as a generated table inside a Markdown document. Under -update it
// rewrites that part only.
func CheckSection(t TB, path, start, end, got string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
		return
	}
	text := string(data)
	i, j := strings.Index(text, start), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", path, start, end)
		return
	}
	want := text[i+len(start) : j]
	if got == want {
		return
	}
	if *update {
		text = text[:i+len(start)] + got + text[j:]
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatalf("update %s: %v", path, err)
		}
		return
	}
	t.Errorf("the section of %s after %q is stale (%s rewrites it):\n%s",
		path, strings.TrimSpace(start), command(t), Diff([]byte(want), []byte(got)))
}

// command is the go test command line that reruns the current top-level test with -update,
// such as `go test ./workflow -run '^TestGolden$' -update`.
func command(t TB) string {
	test, _, _ := strings.Cut(t.Name(), "/")
	pkg := "."
	if root, err := modroot.Find(); err == nil {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(root, wd); err == nil {
				pkg = "./" + filepath.ToSlash(rel)
			}
		}
	}
	return fmt.Sprintf("go test %s -run '^%s$' -update", pkg, test)
}

// contextLines is how many equal lines Diff shows around a change; maxShown caps the changed lines
// it prints from each side, so a wholly different document stays a screenful.
const (
	contextLines = 2
	maxShown     = 20
)

// Diff is a short line diff of want and got: the first changed region, with the equal lines
// around it and "-" for want's lines, "+" for got's. It returns "" when they are equal.
// It locates the region by the longest common prefix and suffix, which is exact for one change
// and, for several, shows everything from the first to the last.
func Diff(want, got []byte) string {
	if bytes.Equal(want, got) {
		return ""
	}
	w, g := splitLines(want), splitLines(got)
	pre := 0
	for pre < len(w) && pre < len(g) && w[pre] == g[pre] {
		pre++
	}
	suf := 0
	for suf < len(w)-pre && suf < len(g)-pre && w[len(w)-1-suf] == g[len(g)-1-suf] {
		suf++
	}
	var b strings.Builder
	from := max(pre-contextLines, 0)
	fmt.Fprintf(&b, "@@ want line %d, got line %d @@\n", from+1, from+1)
	for _, l := range w[from:pre] {
		b.WriteString("  " + l + "\n")
	}
	writeSide(&b, "- ", w[pre:len(w)-suf])
	writeSide(&b, "+ ", g[pre:len(g)-suf])
	for _, l := range w[len(w)-suf : min(len(w)-suf+contextLines, len(w))] {
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

func writeSide(b *strings.Builder, mark string, lines []string) {
	for i, l := range lines {
		if i == maxShown {
			fmt.Fprintf(b, "%s... (%d more lines)\n", mark, len(lines)-maxShown)
			return
		}
		b.WriteString(mark + l + "\n")
	}
}

// splitLines splits a document into lines, marking a missing final newline so that it shows
// in the diff.
func splitLines(data []byte) []string {
	s := string(data)
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		s += "\n\\ no newline at end of file"
	} else {
		s = strings.TrimSuffix(s, "\n")
	}
	return strings.Split(s, "\n")
}
