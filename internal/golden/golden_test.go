package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a TB that keeps what a check reported instead of failing the real test.
type recorder struct {
	name   string
	errors []string
	fatal  bool
}

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return r.name }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.fatal = true
}

// setUpdate sets -update for one test.
func setUpdate(t *testing.T, on bool) {
	old := *update
	*update = on
	t.Cleanup(func() { *update = old })
}

func TestDiff(t *testing.T) {
	tests := []struct {
		name      string
		want, got string
		diff      string
	}{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"one line changed, context around it", "1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\nX\n5\n6\n7\n",
			"@@ want line 2, got line 2 @@\n  2\n  3\n- 4\n+ X\n  5\n  6\n"},
		{"line added at the end", "a\n", "a\nb\n", "@@ want line 1, got line 1 @@\n  a\n+ b\n"},
		{"line removed at the start", "a\nb\n", "b\n", "@@ want line 1, got line 1 @@\n- a\n  b\n"},
		{"missing final newline", "a\n", "a", "@@ want line 1, got line 1 @@\n  a\n+ \\ no newline at end of file\n"},
		{"empty want", "", "a\n", "@@ want line 1, got line 1 @@\n+ a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Diff([]byte(tt.want), []byte(tt.got)); got != tt.diff {
				t.Errorf("Diff(%q, %q):\ngot:\n%s\nwant:\n%s", tt.want, tt.got, got, tt.diff)
			}
		})
	}
}

func TestDiffIsShortForWhollyDifferentDocuments(t *testing.T) {
	var want, got strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&want, "want %d\n", i)
		fmt.Fprintf(&got, "got %d\n", i)
	}
	d := Diff([]byte(want.String()), []byte(got.String()))
	if n := strings.Count(d, "\n"); n > 2*maxShown+5 {
		t.Errorf("Diff of two 1,000-line documents has %d lines, want at most %d:\n%s", n, 2*maxShown+5, d)
	}
	for _, s := range []string{"- want 0\n", "+ got 0\n", "- ... (980 more lines)\n", "+ ... (980 more lines)\n"} {
		if !strings.Contains(d, s) {
			t.Errorf("Diff lacks %q:\n%s", s, d)
		}
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := &recorder{name: "TestThing/case"}
	Check(r, path, []byte("a\nb\n"))
	if len(r.errors) != 0 {
		t.Errorf("equal output: got reports %q, want none", r.errors)
	}

	r = &recorder{name: "TestThing/case"}
	Check(r, path, []byte("a\nc\n"))
	if len(r.errors) != 1 || r.fatal {
		t.Fatalf("changed output: got reports %q (fatal %v), want one error", r.errors, r.fatal)
	}
	for _, s := range []string{path, "go test ./internal/golden -run '^TestThing$' -update", "- b\n+ c\n"} {
		if !strings.Contains(r.errors[0], s) {
			t.Errorf("message lacks %q:\n%s", s, r.errors[0])
		}
	}

	r = &recorder{name: "TestThing"}
	Check(r, filepath.Join(dir, "missing.txt"), []byte("a\n"))
	if !r.fatal || !strings.Contains(r.errors[0], "-update") {
		t.Errorf("missing golden file: got reports %q (fatal %v), want a fatal one naming -update", r.errors, r.fatal)
	}
}

func TestCheckUpdateWritesTheFile(t *testing.T) {
	setUpdate(t, true)
	path := filepath.Join(t.TempDir(), "new", "dir", "out.txt")
	r := &recorder{name: "TestThing"}
	Check(r, path, []byte("fresh\n"))
	if len(r.errors) != 0 {
		t.Errorf("got reports %q, want none under -update", r.errors)
	}
	if data, err := os.ReadFile(path); err != nil || string(data) != "fresh\n" {
		t.Errorf("golden file after -update: %q, %v; want %q", data, err, "fresh\n")
	}
}

func TestCheckSection(t *testing.T) {
	const start, end = "<!-- start -->\n", "<!-- end -->\n"
	doc := "# Title\n" + start + "old table\n" + end + "after\n"
	path := filepath.Join(t.TempDir(), "DOC.md")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}

	r := &recorder{name: "TestTable"}
	CheckSection(r, path, start, end, "old table\n")
	if len(r.errors) != 0 {
		t.Errorf("equal section: got reports %q, want none", r.errors)
	}

	r = &recorder{name: "TestTable"}
	CheckSection(r, path, start, end, "new table\n")
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "- old table\n+ new table\n") || !strings.Contains(r.errors[0], "-update") {
		t.Errorf("stale section: got reports %q, want one with the diff and the -update command", r.errors)
	}

	r = &recorder{name: "TestTable"}
	CheckSection(r, path, "<!-- nowhere -->\n", end, "x")
	if !r.fatal || !strings.Contains(r.errors[0], "lacks the markers") {
		t.Errorf("missing marker: got reports %q (fatal %v), want a fatal one naming the markers", r.errors, r.fatal)
	}

	setUpdate(t, true)
	r = &recorder{name: "TestTable"}
	CheckSection(r, path, start, end, "new table\n")
	data, err := os.ReadFile(path)
	if want := "# Title\n" + start + "new table\n" + end + "after\n"; err != nil || string(data) != want || len(r.errors) != 0 {
		t.Errorf("after -update: %q, %v, reports %q; want %q and no reports", data, err, r.errors, want)
	}
}
