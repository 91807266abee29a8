package docs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
)

// TestREADMEMemberStackIsValid: the member stack file the README shows is one the rule set
// accepts, as a member stack trusting the scanner roles it names.
func TestREADMEMemberStackIsValid(t *testing.T) {
	block := readmeSection(t, "# Pulumi.member.yaml, deployed with the account's credentials", "\n\n")
	var lines []string
	for _, line := range strings.Split(block, "\n") {
		line, _, _ = strings.Cut(strings.TrimPrefix(line, "       "), "#") // the block's indent, and comments
		lines = append(lines, strings.TrimRight(line, " "))
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.member.yaml"), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.LoadStackFile(dir, "member")
	if err != nil {
		t.Fatalf("the README's member stack: %v\n%s", err, strings.Join(lines, "\n"))
	}
	s := c.Settings().Component
	if s.Deploy != config.DeployMember || !strings.HasSuffix(s.ScannerStateMachineRoleARN, ":role/keyage-prod-machine-role") ||
		!strings.HasSuffix(s.ScannerFunctionRoleARN, ":role/keyage-prod-function-role") {
		t.Errorf("the README's member stack reads as %+v, want a member stack trusting prod's two roles", s)
	}
}
