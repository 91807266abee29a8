package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBuildIsReproducible(t *testing.T) {
	ctx := context.Background()
	first, err := Build(ctx, Options{OutputDir: t.TempDir()}) // module root found from the working directory
	if err != nil {
		t.Fatalf("first build: %v", err)
	}
	second, err := Build(ctx, Options{OutputDir: t.TempDir(), GOARCH: "arm64"})
	if err != nil {
		t.Fatalf("second build: %v", err)
	}
	a, err := os.ReadFile(first.ZipPath)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(second.ZipPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) || first.SHA256Base64 != second.SHA256Base64 {
		t.Errorf("two builds differ: %s (%d bytes) vs %s (%d bytes)", first.SHA256Base64, len(a), second.SHA256Base64, len(b))
	}
	sum := sha256.Sum256(a)
	if want := base64.StdEncoding.EncodeToString(sum[:]); first.SHA256Base64 != want {
		t.Errorf("SHA256Base64 %q, want %q (base64 of the zip's SHA-256)", first.SHA256Base64, want)
	}
	if first.Size != int64(len(a)) || first.GOARCH != "arm64" || filepath.Base(first.ZipPath) != "keyage-function-linux-arm64.zip" {
		t.Errorf("result %+v, want size %d, GOARCH arm64, keyage-function-linux-arm64.zip", first, len(a))
	}
	t.Logf("bundle: %d bytes, sha256 %s", first.Size, first.SHA256Base64)

	checkZip(t, a)

	// Nothing but the zip is left in the output directory.
	entries, err := os.ReadDir(filepath.Dir(first.ZipPath))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("output directory holds %v, want only the zip", names)
	}
}

// checkZip asserts the zip's single entry: name, mode, creator, date, method, and that it is
// a static linux/arm64 executable.
func checkZip(t *testing.T, data []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	if len(zr.File) != 1 {
		t.Fatalf("zip has %d entries, want 1", len(zr.File))
	}
	f := zr.File[0]
	if f.Name != EntryName {
		t.Errorf("entry name %q, want %q", f.Name, EntryName)
	}
	if mode := f.Mode(); mode != 0o755 {
		t.Errorf("entry mode %v, want -rwxr-xr-x", mode)
	}
	if creator := f.CreatorVersion >> 8; creator != 3 {
		t.Errorf("entry created by %d, want 3 (Unix), so that the mode is honoured", creator)
	}
	if f.ExternalAttrs>>16 != 0o100755 {
		t.Errorf("external attributes %o, want regular file 0755 in the high 16 bits", f.ExternalAttrs>>16)
	}
	if f.Method != zip.Deflate {
		t.Errorf("method %d, want deflate", f.Method)
	}
	if !f.Modified.Equal(time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("modified %v, want 1980-01-01", f.Modified)
	}
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatalf("read entry: %v", err)
	}
	ef, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("bootstrap is not ELF: %v", err)
	}
	if ef.Machine != elf.EM_AARCH64 || ef.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want an AArch64 executable", ef.Machine, ef.Type)
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("bootstrap has an interpreter: want a static binary (CGO_ENABLED=0)")
		}
	}
	if ef.Section(".symtab") != nil {
		t.Errorf("bootstrap has a symbol table: want it stripped (-s -w)")
	}
}

func TestBuildReportsCompilerErrors(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/broken\n\ngo 1.22\n")
	write("lambda/main.go", "package main\n\nfunc main() {\n\tundefinedThing()\n}\n")

	out := t.TempDir()
	_, err := Build(context.Background(), Options{ModuleRoot: root, OutputDir: out})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want *BuildError", err)
	}
	for _, want := range []string{"lambda/main.go:4", "undefined: undefinedThing", root} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("a failed build left %d entries in the output directory, want none", len(entries))
	}
}

func TestBuildRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"unknown architecture", Options{GOARCH: "386"}, `GOARCH "386" is not one Lambda runs, want "arm64" or "amd64"`},
		{"root without go.mod", Options{ModuleRoot: t.TempDir()}, "has no go.mod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestBuildHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, Options{OutputDir: t.TempDir()})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want an error wrapping context.Canceled", err)
	}
}
