package asl

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/keyage/keyage/internal/golden"
)

// TestRoundTrip parses every definition in testdata (the golden machines and the real-world
// style definitions, all written in canonical form) and renders it back byte for byte.
func TestRoundTrip(t *testing.T) {
	forEachTestdataMachine(t, func(t *testing.T, g testdataMachine) {
		got, err := g.m.Render()
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		if !bytes.Equal(got, g.data) {
			t.Errorf("Parse then Render of %s differs from the file:\ngot:\n%s", g.file, got)
		}
	})
}

// TestParseLegacyMap checks that the legacy Iterator and Parameters of a Map parse into
// ItemProcessor and ItemSelector and render in the modern form.
func TestParseLegacyMap(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "legacy_map.json"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "legacy_map_converted.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(in)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	mp := m.States["EachUser"].(*Map)
	if mp.Iterator != nil || mp.Parameters != nil || mp.ItemProcessor == nil || mp.ItemSelector == nil {
		t.Fatalf("legacy fields not converted: Iterator %v, Parameters %v, ItemProcessor %v, ItemSelector %v",
			mp.Iterator, mp.Parameters, mp.ItemProcessor, mp.ItemSelector)
	}
	got, err := m.Render()
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("render differs from the file:\n%s", golden.Diff(want, got))
	}
}
