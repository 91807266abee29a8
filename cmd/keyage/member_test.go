package main

import (
	"encoding/json"
	"strings"
	"testing"
)

const memberStack = `config:
  aws:region: eu-central-1
  keyage:deploy: member
  keyage:scannerStateMachineRoleArn: arn:aws:iam::111122223333:role/keyage-prod-machine-role
  keyage:scannerFunctionRoleArn: arn:aws:iam::111122223333:role/keyage-prod-function-role
  keyage:principalOrgId: o-a1b2c3d4e5
`

func TestValidateMemberStack(t *testing.T) {
	dir := writeStack(t, "member", memberStack)
	got := runCLIOK(t, "validate", "--stack", "member", "--dir", dir)
	want := "Pulumi.member.yaml: OK\n" +
		"  component: member: the read-only role keyage-member (path /), assumable by arn:aws:iam::111122223333:role/keyage-prod-machine-role " +
		"and arn:aws:iam::111122223333:role/keyage-prod-function-role, callers in organization o-a1b2c3d4e5 only\n"
	if got != want {
		t.Errorf("validate --stack member:\n%s\nwant:\n%s", got, want)
	}

	// A scanner setting in a member stack is an error naming it.
	dir = writeStack(t, "member", memberStack+"  keyage:schedule: cron(0 8 * * ? *)\n")
	status, _, stderr := runCLI("validate", "--stack", "member", "--dir", dir)
	if want := `schedule: "cron(0 8 * * ? *)" is a setting of the scanner, which a member stack (deploy: member) does not use`; status != exitInvalid || !strings.Contains(stderr, want) {
		t.Errorf("validate a member stack with a schedule = %d, stderr:\n%s\nwant 1 and %q", status, stderr, want)
	}
}

func TestValidateMemberStackSet(t *testing.T) {
	dir := writeStack(t, "org", `config:
  aws:region: eu-central-1
  keyage:memberStackSet:
    organizationalUnits: [ou-ab12-cdef3456, r-ab12]
    callAs: DELEGATED_ADMIN
`)
	got := runCLIOK(t, "validate", "--stack", "org", "--dir", dir)
	want := "  member role: keyage-member in every account of ou-ab12-cdef3456, r-ab12 (and accounts added later; never the management account), " +
		"one StackSet instance per account in eu-central-1, called as DELEGATED_ADMIN\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("validate --stack org:\n%s\nwant it to end with:\n%s", got, want)
	}
}

// TestScannerCommandsRefuseMemberStacks: definition, preview and scan (with --stack, for its
// rules) are about the scanner. scan fails with its own status for a stack it cannot use.
func TestScannerCommandsRefuseMemberStacks(t *testing.T) {
	dir := writeStack(t, "member", memberStack)
	for cmd, wantStatus := range map[string]int{"definition": exitInvalid, "preview": exitInvalid, "scan": exitScanFailed} {
		status, stdout, stderr := runCLI(cmd, "--stack", "member", "--dir", dir)
		want := "keyage " + cmd + ": stack member deploys the member role only (deploy: member), which has no state machine and sends nothing: " +
			"run " + cmd + " for the scanner's stack, or render or validate this one\n"
		if status != wantStatus || stdout != "" || stderr != want {
			t.Errorf("%s --stack member = %d, stdout %q, stderr %q; want %d and %q", cmd, status, stdout, stderr, wantStatus, want)
		}
	}
}

func TestRenderMemberStackAndTemplate(t *testing.T) {
	dir := writeStack(t, "member", memberStack)
	var member Rendered
	runCLIJSON(t, &member, "render", "--stack", "member", "--dir", dir, "--account", "444455556666")
	var got []string
	for _, r := range member.Resources {
		got = append(got, r.Type+" "+r.Name)
	}
	want := []string{"aws:iam/role:Role keyage-role", "aws:iam/rolePolicy:RolePolicy keyage-policy", "keyage:index:KeyAgeMember keyage"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("render a member stack: resources\n%q\nwant\n%q", got, want)
	}
	if member.MemberTemplate != nil {
		t.Errorf("render a member stack: memberTemplate %v, want none", member.MemberTemplate)
	}

	// A scanner stack renders the member role's template, whether or not it deploys it.
	var scanner Rendered
	runCLIJSON(t, &scanner, "render", "--stack", "dev", "--account", "111122223333")
	resources, _ := scanner.MemberTemplate["Resources"].(map[string]any)
	role, _ := resources["KeyageMemberRole"].(map[string]any)
	if role["Type"] != "AWS::IAM::Role" {
		t.Errorf("render --stack dev: memberTemplate %v, want the KeyageMemberRole role", scanner.MemberTemplate)
	}
	props, _ := role["Properties"].(map[string]any)
	trust, _ := props["AssumeRolePolicyDocument"].(map[string]any)
	if text := toJSON(t, trust); !strings.Contains(text, `"arn:aws:iam::111122223333:role/keyage-dev-machine-role"`) {
		t.Errorf("render --stack dev: the template's trust %s does not name the dev stack's machine role", text)
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
