// Package modroot finds keyage's module root (the directory holding go.mod), for the function
// build and for tests that read the repository's files. It is not for locating anything else.
package modroot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Find returns the nearest directory at or above the working directory that holds go.mod.
func Find() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	root, err := FindFrom(dir)
	if err != nil {
		return "", errors.New("find module root: no go.mod at or above the working directory")
	}
	return root, nil
}

// FindFrom returns the nearest directory at or above dir that holds go.mod.
func FindFrom(start string) (string, error) {
	start, err := filepath.Abs(start)
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for dir := start; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find module root: no go.mod at or above %s", start)
		}
		dir = parent
	}
}

// TB is the part of testing.TB that MustFind uses.
type TB interface {
	Helper()
	Fatal(args ...any)
}

// MustFind is Find for tests: it stops the test when there is no module root.
func MustFind(t TB) string {
	t.Helper()
	dir, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
