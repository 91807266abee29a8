package config

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/modroot"
)

// TestNoPulumiDependency: config, schedule and workflow are pure (settings, expressions, the
// state machine); reading settings from a Pulumi context is infra's job. Importing the Pulumi
// SDK here would pull its ~500 packages into every tool that only checks settings.
func TestNoPulumiDependency(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./config", "./schedule", "./workflow")
	cmd.Dir = modroot.MustFind(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/keyage/keyage/config") {
		t.Fatalf("go list -deps lists %q, without config itself", deps)
	}
	for _, d := range deps {
		if strings.Contains(d, "pulumi") {
			t.Errorf("config, schedule or workflow depends on %s", d)
		}
	}
}
