package main

import (
	"strings"
	"testing"
)

func TestDeployerPolicy(t *testing.T) {
	var doc struct {
		Version   string
		Statement []struct{ Resource []string }
	}
	stdout := runCLIJSON(t, &doc, "deployer-policy", "--stack", "prod", "--account", "111122223333")
	if doc.Version != "2012-10-17" || len(doc.Statement) == 0 {
		t.Fatalf("document %+v, want version 2012-10-17 and statements", doc)
	}
	// The stack's region (Pulumi.prod.yaml's aws:region) and the account given.
	if !strings.Contains(stdout, `"arn:aws:states:eu-central-1:111122223333:stateMachine:keyage-prod"`) {
		t.Errorf("no statement on prod's state machine in eu-central-1, account 111122223333:\n%s", stdout)
	}
}

func TestDeployerPolicyUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"deployer-policy", "--stack", "prod", "--account", "12"}, `keyage deployer-policy: --account "12": want 12 digits`},
		{[]string{"deployer-policy", "--stack", "prod", "--partition", "azure"}, `keyage deployer-policy: --partition "azure": want aws, aws-cn or aws-us-gov`},
		{[]string{"deployer-policy", "--stack", "prod", "--region", "US-EAST-1"}, `keyage deployer-policy: --region "US-EAST-1": want a region such as us-east-1`},
		{[]string{"deployer-policy", "--stack", "prod", "--account", ""}, `keyage deployer-policy: --account "": want 12 digits`},
		{[]string{"deployer-policy"}, "keyage deployer-policy: --stack is required"},
	} {
		status, _, stderr := runCLI(tt.args...)
		if status != exitUsage || !strings.HasPrefix(stderr, tt.want) {
			t.Errorf("%v = %d, stderr %q; want 2 and %q", tt.args, status, stderr, tt.want)
		}
	}
}
