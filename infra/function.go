package infra

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"

	"github.com/keyage/keyage/bundle"
)

// FunctionPackage is the age-check function's deployment package: a zip with an executable
// bootstrap, and the base64 SHA-256 of that zip (Lambda's CodeSha256), which tells Pulumi when
// the code changed.
type FunctionPackage struct {
	ZipPath      string
	SHA256Base64 string
}

// IsZero reports whether no package was given.
func (p FunctionPackage) IsZero() bool { return p == FunctionPackage{} }

// Validate checks that the zip exists and the hash is a base64 SHA-256.
func (p FunctionPackage) Validate() error {
	if p.ZipPath == "" {
		return fmt.Errorf("function package: ZipPath is empty, want the path of the function's zip")
	}
	if _, err := os.Stat(p.ZipPath); err != nil {
		return fmt.Errorf("function package: %w", err)
	}
	sum, err := base64.StdEncoding.DecodeString(p.SHA256Base64)
	if err != nil || len(sum) != 32 {
		return fmt.Errorf("function package: SHA256Base64 is %q, want the base64 encoding of the zip's SHA-256 (44 characters)", p.SHA256Base64)
	}
	return nil
}

// BuildFunction builds the age-check function from the module's lambda/ directory (the module
// found by walking up from the working directory, as `pulumi up` runs in the project) for
// linux/arm64, reproducibly (same source, same zip), and returns its package. A failed build is
// a *bundle.BuildError carrying the compiler's output.
func BuildFunction(ctx context.Context) (FunctionPackage, error) {
	res, err := bundle.Build(ctx, bundle.Options{GOARCH: FunctionArchitecture})
	if err != nil {
		return FunctionPackage{}, fmt.Errorf("build the age-check function: %w", err)
	}
	return FunctionPackage{ZipPath: res.ZipPath, SHA256Base64: res.SHA256Base64}, nil
}
