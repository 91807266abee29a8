package modroot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindFromASubdirectory(t *testing.T) {
	root := MustFind(t)
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatalf("read go.mod at %s: %v", root, err)
	}
	if !strings.HasPrefix(string(data), "module github.com/keyage/keyage\n") {
		t.Errorf("got module file %q, want keyage's", strings.SplitN(string(data), "\n", 2)[0])
	}
	if filepath.Base(root) == "modroot" {
		t.Errorf("got %s: want the module root, not this package's directory", root)
	}
}

func TestFindWithoutGoMod(t *testing.T) {
	t.Chdir(t.TempDir())
	if dir, err := Find(); err == nil || !strings.Contains(err.Error(), "no go.mod") {
		t.Errorf("got %q, %v; want an error saying there is no go.mod", dir, err)
	}
}

func TestFindFromADirectory(t *testing.T) {
	root := MustFind(t)
	t.Chdir(t.TempDir())
	if got, err := FindFrom(filepath.Join(root, "internal", "modroot")); err != nil || got != root {
		t.Errorf("FindFrom(internal/modroot) = %q, %v; want %s", got, err, root)
	}
	empty := t.TempDir()
	if got, err := FindFrom(empty); err == nil || !strings.Contains(err.Error(), "no go.mod at or above "+empty) {
		t.Errorf("FindFrom(%s) = %q, %v; want an error naming it", empty, got, err)
	}
}
