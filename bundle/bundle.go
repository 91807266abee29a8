// Package bundle builds the age-check function's deployment package: ./lambda compiled for
// Lambda's provided.al2023 runtime and zipped as a single executable "bootstrap". The zip is
// reproducible: the same source gives the same bytes, hence the same SHA-256, so `pulumi up`
// sees no change when nothing changed. It is not a general zip or build tool.
package bundle

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/keyage/keyage/internal/modroot"
)

// FunctionPackage is the Go package built into the bundle, relative to the module root.
const FunctionPackage = "./lambda"

// EntryName is the zip's single entry: the executable the provided.al2023 runtime starts.
const EntryName = "bootstrap"

// entryMode is bootstrap's mode in the zip: Lambda runs the file, so it must be executable.
const entryMode os.FileMode = 0o755

// DefaultGOARCH is the architecture built unless Options.GOARCH says otherwise: Graviton is
// 20% cheaper per GB-second than x86_64.
const DefaultGOARCH = "arm64"

// entryTime is the fixed modification time of the zip entry (the earliest a zip can store),
// so that build time does not leak into the bytes.
var entryTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Options say what to build and where.
type Options struct {
	// ModuleRoot is the directory holding go.mod; "" finds it by walking up from the working
	// directory.
	ModuleRoot string
	// OutputDir receives the zip; "" means <ModuleRoot>/.build.
	OutputDir string
	// GOARCH is "arm64" (the default when "") or "amd64", the architectures Lambda runs.
	GOARCH string
}

// Result describes a built bundle.
type Result struct {
	// ZipPath is the zip's absolute path: <OutputDir>/keyage-function-linux-<GOARCH>.zip.
	ZipPath string
	// SHA256Base64 is the base64-encoded SHA-256 of the zip, the form Lambda's
	// sourceCodeHash takes.
	SHA256Base64 string
	// Size is the zip's size in bytes.
	Size int64
	// GOARCH is the architecture built ("arm64" or "amd64"): Lambda's architecture is
	// "arm64" or "x86_64" accordingly.
	GOARCH string
}

// BuildError reports that compiling the function failed; Output is the go command's output,
// which names the file, line and problem.
type BuildError struct {
	Dir    string // the module root the build ran in
	Output string
	Err    error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("build function %s in %s: %v\n%s", FunctionPackage, e.Dir, e.Err, e.Output)
}

func (e *BuildError) Unwrap() error { return e.Err }

// Build compiles FunctionPackage for linux/GOARCH with cgo off, tag lambda.norpc, -trimpath,
// -buildvcs=false and no build ID, so that the binary depends on the source and the Go
// toolchain only, and writes it as the zip's single entry "bootstrap": mode 0755, created by
// Unix, dated 1980-01-01, deflated. It returns the zip's path and hash.
func Build(ctx context.Context, opts Options) (Result, error) {
	arch := opts.GOARCH
	if arch == "" {
		arch = DefaultGOARCH
	}
	if arch != "arm64" && arch != "amd64" {
		return Result{}, fmt.Errorf("bundle: GOARCH %q is not one Lambda runs, want \"arm64\" or \"amd64\"", arch)
	}
	root := opts.ModuleRoot
	if root == "" {
		var err error
		if root, err = modroot.Find(); err != nil {
			return Result{}, fmt.Errorf("bundle: %w; set Options.ModuleRoot", err)
		}
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return Result{}, fmt.Errorf("bundle: module root %q: %w", opts.ModuleRoot, err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return Result{}, fmt.Errorf("bundle: module root %s has no go.mod: %w", root, err)
	}
	outDir := opts.OutputDir
	if outDir == "" {
		outDir = filepath.Join(root, ".build")
	}
	if outDir, err = filepath.Abs(outDir); err != nil {
		return Result{}, fmt.Errorf("bundle: output directory %q: %w", opts.OutputDir, err)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Result{}, fmt.Errorf("bundle: create output directory: %w", err)
	}

	work, err := os.MkdirTemp(outDir, ".bundle-")
	if err != nil {
		return Result{}, fmt.Errorf("bundle: create work directory: %w", err)
	}
	defer os.RemoveAll(work)

	bin := filepath.Join(work, EntryName)
	if err := compile(ctx, root, arch, bin); err != nil {
		return Result{}, err
	}
	zipBytes, err := zipEntry(bin)
	if err != nil {
		return Result{}, err
	}

	zipPath := filepath.Join(outDir, fmt.Sprintf("keyage-function-linux-%s.zip", arch))
	// Write then rename, so that a concurrent build or reader never sees half a zip.
	tmp := filepath.Join(work, "bundle.zip")
	if err := os.WriteFile(tmp, zipBytes, 0o644); err != nil {
		return Result{}, fmt.Errorf("bundle: write zip: %w", err)
	}
	if err := os.Rename(tmp, zipPath); err != nil {
		return Result{}, fmt.Errorf("bundle: move zip into place: %w", err)
	}
	sum := sha256.Sum256(zipBytes)
	return Result{
		ZipPath:      zipPath,
		SHA256Base64: base64.StdEncoding.EncodeToString(sum[:]),
		Size:         int64(len(zipBytes)),
		GOARCH:       arch,
	}, nil
}

// compile runs go build for the function.
func compile(ctx context.Context, root, arch, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build",
		"-tags", "lambda.norpc",
		"-trimpath",
		"-buildvcs=false",
		"-ldflags", "-s -w -buildid=",
		"-o", out,
		FunctionPackage,
	)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return &BuildError{Dir: root, Output: output.String(), Err: err}
	}
	return nil
}

// zipEntry returns a zip holding the file at path as EntryName, with fixed metadata.
func zipEntry(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bundle: open built binary: %w", err)
	}
	defer f.Close()

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	h := &zip.FileHeader{Name: EntryName, Method: zip.Deflate, Modified: entryTime}
	h.SetMode(entryMode) // Unix mode bits in the external attributes, "created by" Unix
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, fmt.Errorf("bundle: add %s to zip: %w", EntryName, err)
	}
	if _, err := io.Copy(w, f); err != nil {
		return nil, fmt.Errorf("bundle: compress %s: %w", EntryName, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("bundle: finish zip: %w", err)
	}
	return buf.Bytes(), nil
}
