package infra

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra/infratest"
)

// TestChatTopicArnExportedOnlyWithChat: Program exports chatTopicArn on a stack with chat, and
// leaves it out (rather than exporting "") on a stack without, as the README says; every other
// stack output is exported either way.
func TestChatTopicArnExportedOnlyWithChat(t *testing.T) {
	fn := internalDummyFunction(t)
	for _, tc := range []struct {
		name string
		chat bool
	}{{"without chat", false}, {"with chat", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := config.Defaults()
			s.Chat.Enabled = tc.chat
			checked := config.MustCheck(s)
			var exported []string
			program := Program(ProgramOptions{Settings: &checked, Function: fn, Observe: func(n *KeyAgeNotifier) {
				for _, o := range n.exports() {
					exported = append(exported, o.name)
				}
			}})
			if err := infratest.New("aws", "us-east-1", "123456789012").Run("keyage", "dev", program); err != nil {
				t.Fatalf("program failed: %v", err)
			}
			want := slices.DeleteFunc(StackOutputs(), func(name string) bool { return name == "chatTopicArn" && !tc.chat })
			if !slices.Equal(exported, want) {
				t.Errorf("exported %v, want %v", exported, want)
			}
		})
	}
}

// internalDummyFunction writes a function package that is not a real function: the mocks never run it.
func internalDummyFunction(t *testing.T) FunctionPackage {
	t.Helper()
	path := filepath.Join(t.TempDir(), "function.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, err := zw.Create("bootstrap")
	if err == nil {
		_, err = w.Write([]byte("#!/bin/sh\n"))
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return FunctionPackage{ZipPath: path, SHA256Base64: base64.StdEncoding.EncodeToString(sum[:])}
}
