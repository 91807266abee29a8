package asl

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/nodecheck"
)

// aslValidatorResult is one entry of tests/node/asl-validate.mjs's output.
type aslValidatorResult struct {
	File   string   `json:"file"`
	Valid  bool     `json:"valid"`
	Errors []string `json:"errors"`
}

// runASLValidator runs asl-validator@4.0.0 (through tests/node/asl-validate.mjs) over the
// files and returns its verdicts keyed by file. When Node or the npm packages are missing it
// skips the test with a message saying so, or fails it under KEYAGE_CROSSCHECK=1.
func runASLValidator(t *testing.T, files []string) map[string]aslValidatorResult {
	t.Helper()
	var results []aslValidatorResult
	if err := nodecheck.Require(t, "asl-validator").RunJSON(nil, &results, "asl-validate.mjs", files...); err != nil {
		t.Fatal(err)
	}
	if len(results) != len(files) {
		t.Fatalf("asl-validate.mjs reported %d results for %d files", len(results), len(files))
	}
	out := make(map[string]aslValidatorResult, len(results))
	for _, r := range results {
		out[r.File] = r
	}
	return out
}

// testdataMachine is one testdata/*.asl.json definition: its name (the file's without
// ".asl.json"), its path, its bytes and what Parse made of them.
type testdataMachine struct {
	name, file string
	data       []byte
	m          *StateMachine
}

// forEachTestdataMachine runs check as a subtest, named after the file, for every machine of
// testdata.
func forEachTestdataMachine(t *testing.T, check func(t *testing.T, g testdataMachine)) {
	t.Helper()
	for _, g := range testdataMachines(t) {
		t.Run(g.name, func(t *testing.T) { check(t, g) })
	}
}

// testdataMachines reads the testdata/*.asl.json definitions: the golden machines and the
// real-world style definitions, all in canonical form, and parses each. It fails the test when
// one does not parse, or when it finds fewer than the 2 golden machines and 5 real-world
// definitions.
func testdataMachines(t *testing.T) []testdataMachine {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 7 {
		t.Fatalf("found %d testdata/*.asl.json files, want the 2 golden machines and at least 5 real-world definitions", len(files))
	}
	out := make([]testdataMachine, len(files))
	for i, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(data)
		if err != nil {
			t.Fatalf("Parse %s: %v", file, err)
		}
		out[i] = testdataMachine{name: strings.TrimSuffix(filepath.Base(file), ".asl.json"), file: file, data: data, m: m}
	}
	return out
}
