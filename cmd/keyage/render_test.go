package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/modroot"
)

// TestRenderFromOutsideTheModule: `render --dir DIR` run elsewhere builds the function from the
// module holding DIR (the working directory holds none).
func TestRenderFromOutsideTheModule(t *testing.T) {
	root := modroot.MustFind(t)
	t.Chdir(t.TempDir())
	stdout := runCLIOK(t, "render", "--stack", "dev", "--dir", root)
	if !strings.Contains(stdout, `"type": "aws:lambda/function:Function"`) {
		t.Errorf("render printed no function:\n%s", stdout)
	}
}

func TestRender(t *testing.T) {
	dir := writeStack(t, "weekly", `config:
  aws:region: cn-northwest-1
  keyage:schedule: cron(0 8 ? * MON *)
  keyage:subscriptions:
    - protocol: email
      endpoint: security@example.com
      filterPolicy:
        severity: [stale]
`)
	var stdout, stderr bytes.Buffer
	code := run([]string{"render", "--stack", "weekly", "--dir", dir, "--partition", "aws-cn", "--region", "cn-north-1", "--account", "111122223333"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, stderr.String())
	}
	var out Rendered
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	if out.Stack != "weekly" || out.Partition != "aws-cn" || out.Region != "cn-north-1" || out.AccountID != "111122223333" {
		t.Errorf("environment %+v, want stack weekly in aws-cn, cn-north-1, 111122223333", out)
	}
	// A weekly schedule is beyond what a CloudWatch alarm can watch: the program says so.
	if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "no dead-man's-switch alarm") {
		t.Errorf("warnings %q, want the dead-man's-switch warning", out.Warnings)
	}
	byName := map[string]RenderedResource{}
	for _, r := range out.Resources {
		byName[r.Type+" "+r.Name] = r
	}
	if !slices.IsSortedFunc(out.Resources, func(a, b RenderedResource) int { return strings.Compare(a.URN, b.URN) }) {
		t.Error("resources are not sorted by URN")
	}
	if len(out.Resources) != 29 {
		t.Errorf("%d resources, want 29 (the component and 28 children, with 6 alarms, 1 subscription and the ledger table)", len(out.Resources))
	}
	machine, ok := byName["aws:sfn/stateMachine:StateMachine keyage-machine"]
	if !ok {
		t.Fatalf("no state machine in %v", byName)
	}
	def, ok := machine.Inputs["definition"].(map[string]any)
	if !ok || def["StartAt"] == nil {
		t.Errorf("state machine definition is %T, want the decoded definition", machine.Inputs["definition"])
	}
	if !strings.HasSuffix(machine.Parent, "KeyAgeNotifier::keyage") {
		t.Errorf("state machine's parent is %q, want the component", machine.Parent)
	}
	rp := byName["aws:iam/rolePolicy:RolePolicy keyage-machine-policy"]
	doc, ok := rp.Inputs["policy"].(map[string]any)
	if !ok || doc["Version"] != "2012-10-17" {
		t.Errorf("role policy is %v, want a decoded policy document", rp.Inputs["policy"])
	}
	sub := byName["aws:sns/topicSubscription:TopicSubscription keyage-findings-email-"+subscriptionSuffix(t, out)]
	if fp, ok := sub.Inputs["filterPolicy"].(map[string]any); !ok || fp["severity"] == nil {
		t.Errorf("subscription filter policy is %v, want the decoded policy", sub.Inputs["filterPolicy"])
	}
	fn := byName["aws:lambda/function:Function keyage-function"]
	if code, _ := fn.Inputs["code"].(map[string]any); !strings.HasSuffix(code["archive"].(string), "keyage-function-linux-arm64.zip") {
		t.Errorf("function code is %v, want the built bundle", fn.Inputs["code"])
	}
	if strings.Contains(stdout.String(), "arn:aws:") {
		t.Error("output names an arn:aws: ARN in partition aws-cn")
	}
}

// subscriptionSuffix finds the email subscription's name suffix (a hash of its endpoint).
func subscriptionSuffix(t *testing.T, out Rendered) string {
	t.Helper()
	for _, r := range out.Resources {
		if rest, ok := strings.CutPrefix(r.Name, "keyage-findings-email-"); ok {
			return rest
		}
	}
	t.Fatal("no email subscription rendered")
	return ""
}

func TestRenderInvalid(t *testing.T) {
	dir := writeStack(t, "bad", "config:\n  keyage:maxAgeDays: 0\n  keyage:logLevel: OFF\n")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"render", "--stack", "bad", "--dir", dir}, &stdout, &stderr); code != exitInvalid {
		t.Fatalf("exit status %d, want %d", code, exitInvalid)
	}
	for _, want := range []string{"Pulumi.bad.yaml: 2 problems", "maxAgeDays: 0 is out of range", `logLevel: "OFF" is not allowed`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q, want it to contain %q", stderr.String(), want)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing", stdout.String())
	}
}

func TestRenderUsage(t *testing.T) {
	for _, args := range [][]string{
		{"render"},
		{"render", "--stack", "dev", "--partition", "azure"},
		{"render", "--stack", "dev", "--account", "12"},
		{"render", "--stack", "dev", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != exitUsage {
			t.Errorf("%q: exit status %d, want %d; stderr %q", args, code, exitUsage, stderr.String())
		}
	}
}

// TestRenderDefaultsToTheStacksRegion: without --region and --partition, render stands in for
// the stack's aws:region and that region's partition, as `pulumi up` would deploy there.
func TestRenderDefaultsToTheStacksRegion(t *testing.T) {
	for _, c := range []struct{ region, partition string }{{"eu-central-1", "aws"}, {"cn-northwest-1", "aws-cn"}} {
		t.Run(c.region, func(t *testing.T) {
			dir := writeStack(t, "here", "config:\n  aws:region: "+c.region+"\n")
			var out Rendered
			stdout := runCLIJSON(t, &out, "render", "--stack", "here", "--dir", dir)
			if out.Region != c.region || out.Partition != c.partition {
				t.Errorf("rendered for %s in %s, want the stack's %s in %s", out.Region, out.Partition, c.region, c.partition)
			}
			want := "arn:" + c.partition + ":states:" + c.region + ":"
			if !strings.Contains(stdout, want) {
				t.Errorf("output names no ARN starting %q", want)
			}
		})
	}
}

// TestEnvFlagsAgree: a partition that is not the region's is a wrong command line, and a stack
// without aws:region says which region it is shown in.
func TestEnvFlagsAgree(t *testing.T) {
	for _, cmd := range []string{"render", "deployer-policy"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{cmd, "--stack", "prod", "--partition", "aws-cn"}, &stdout, &stderr)
		want := `--partition "aws-cn": region eu-central-1 is in partition aws: want aws, or no --partition`
		if code != exitUsage || !strings.Contains(stderr.String(), want) || stdout.Len() != 0 {
			t.Errorf("%s --partition aws-cn on an eu-central-1 stack: status %d, stderr %q; want %d and %q", cmd, code, stderr.String(), exitUsage, want)
		}
	}
	dir := writeStack(t, "noregion", "config:\n  keyage:maxAgeDays: 60\n")
	var stdout, stderr bytes.Buffer
	code := run([]string{"deployer-policy", "--stack", "noregion", "--dir", dir}, &stdout, &stderr)
	want := "keyage deployer-policy: the stack sets no aws:region: showing region us-east-1 (--region chooses another)\n"
	if code != exitOK || stderr.String() != want {
		t.Errorf("deployer-policy without aws:region: status %d, stderr %q; want 0 and %q", code, stderr.String(), want)
	}
}

// TestRegionStaysInTheStacksPartition: --region may choose another region of the stack's
// partition only: its settings (a permissions boundary's ARN, say) were checked for that one.
func TestRegionStaysInTheStacksPartition(t *testing.T) {
	dir := writeStack(t, "gov", `config:
  aws:region: us-gov-west-1
  keyage:rolePermissionsBoundary: arn:aws-us-gov:iam::123456789012:policy/B
`)
	for _, cmd := range []string{"render", "deployer-policy"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{cmd, "--stack", "gov", "--dir", dir, "--region", "us-east-1"}, &stdout, &stderr)
		want := `--region "us-east-1": the stack's aws:region us-gov-west-1 is in partition aws-us-gov: want a region of that partition, or no --region`
		if code != exitUsage || !strings.Contains(stderr.String(), want) || stdout.Len() != 0 {
			t.Errorf("%s --region us-east-1 on a us-gov-west-1 stack: status %d, stderr %q; want %d and %q", cmd, code, stderr.String(), exitUsage, want)
		}
	}
}
