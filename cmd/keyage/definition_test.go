package main

import (
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/modroot"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/workflow"
)

func TestDefinitionPrintsWhatTheProgramBuilds(t *testing.T) {
	root := modroot.MustFind(t)
	stdout := runCLIOK(t, "definition", "--stack", "prod", "--dir", root)
	s, err := config.LoadStackFile(root, "prod")
	if err != nil {
		t.Fatal(err)
	}
	region := s.Settings().Region
	m, err := workflow.Definition(s, workflow.PlaceholderResourcesIn("aws", region))
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Render()
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Errorf("definition --stack prod printed a different document than workflow.Definition renders")
	}
	if region == workflow.PlaceholderRegion || !strings.Contains(stdout, ":lambda:"+region+":123456789012:function:PLACEHOLDER-") {
		t.Errorf("the function ARN does not use the stack's region %s and the placeholder account", region)
	}
	if _, err := asl.Parse([]byte(stdout)); err != nil {
		t.Errorf("printed definition does not parse: %v", err)
	}
	// Same stack, same bytes.
	if _, again, _ := runCLI("definition", "--stack", "prod", "--dir", root); again != stdout {
		t.Errorf("two runs printed different definitions")
	}
}

func TestDefinitionMermaid(t *testing.T) {
	stdout := runCLIOK(t, "definition", "--stack", "dev", "--dir", modroot.MustFind(t), "--format", "mermaid")
	for _, want := range []string{"stateDiagram-v2\n", "[*] --> CheckTest\n", `state "CheckKeys (Distributed Map, express children`, "MorePages --> ListMoreUsers : "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("mermaid output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestDefinitionRegionAndPartition(t *testing.T) {
	cases := []struct {
		name, config, want, forbid string
	}{
		{"china", "config:\n  aws:region: cn-north-1\n", "arn:aws-cn:lambda:cn-north-1:", "arn:aws:"},
		{"govcloud", "config:\n  aws:region: us-gov-west-1\n  keyage:maxAgeDays: 30\n", "arn:aws-us-gov:sns:us-gov-west-1:", "arn:aws:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeStack(t, "s", c.config)
			stdout := runCLIOK(t, "definition", "--stack", "s", "--dir", dir)
			if !strings.Contains(stdout, c.want) || strings.Contains(stdout, c.forbid) {
				t.Errorf("definition for %q: want %q and no %q in it", c.config, c.want, c.forbid)
			}
		})
	}
}

func TestDefinitionRejects(t *testing.T) {
	bad := writeStack(t, "bad", "config:\n  keyage:maxAgeDays: 0\n  keyage:maxConcurrency: -1\n")
	badRegion := writeStack(t, "r", "config:\n  aws:region: Mars\n")
	cases := []struct {
		name   string
		args   []string
		status int
		stderr []string
	}{
		{"invalid settings", []string{"--stack", "bad", "--dir", bad}, exitInvalid,
			[]string{"Pulumi.bad.yaml: 2 problems\n", "maxAgeDays: 0", "maxConcurrency: -1"}},
		{"invalid region", []string{"--stack", "r", "--dir", badRegion}, exitInvalid, []string{`aws:region: "Mars" is not a region name: want an AWS region name in lower case`}},
		{"unknown format", []string{"--stack", "bad", "--dir", bad, "--format", "yaml"}, exitUsage, []string{`--format "yaml": want json or mermaid`}},
		{"no stack", []string{"--dir", bad}, exitUsage, []string{"--stack is required"}},
		{"missing stack file", []string{"--stack", "nope", "--dir", bad}, exitInvalid, []string{"Pulumi.nope.yaml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, stdout, stderr := runCLI(append([]string{"definition"}, c.args...)...)
			if status != c.status || stdout != "" {
				t.Errorf("definition %v = %d, stdout %q; want %d and nothing on stdout", c.args, status, stdout, c.status)
			}
			for _, w := range c.stderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
		})
	}
}

// TestDefinitionSaysWhichRegion: a stack without aws:region is shown in the placeholder region,
// and definition says so, as render and deployer-policy do.
func TestDefinitionSaysWhichRegion(t *testing.T) {
	dir := writeStack(t, "noregion", "config:\n  keyage:maxAgeDays: 60\n")
	status, stdout, stderr := runCLI("definition", "--stack", "noregion", "--dir", dir)
	want := "keyage definition: the stack sets no aws:region: showing region us-east-1 (set aws:region in the stack file)\n"
	if status != exitOK || stderr != want || !strings.Contains(stdout, "arn:aws:lambda:us-east-1:123456789012:") {
		t.Errorf("definition without aws:region: status %d, stderr %q; want 0 and %q, with us-east-1 ARNs", status, stderr, want)
	}
}
