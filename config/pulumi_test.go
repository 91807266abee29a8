package config

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/keyage/keyage/internal/modroot"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/diag/colors"
	pulumiconfig "github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
)

// TestPulumiAcceptsProjectFile loads Pulumi.yaml with the Pulumi CLI's own loader, which checks
// it against Pulumi's project schema and checks each declared default against its type.
func TestPulumiAcceptsProjectFile(t *testing.T) {
	project, err := workspace.LoadProject(filepath.Join(modroot.MustFind(t), "Pulumi.yaml"))
	if err != nil {
		t.Fatalf("Pulumi rejects Pulumi.yaml: %v", err)
	}
	if len(project.Config) != len(Keys()) {
		t.Errorf("Pulumi reads %d config declarations, want %d", len(project.Config), len(Keys()))
	}
}

// TestStackFilesReadLikePulumi: ReadStackFile must hand Parse the same strings the Pulumi CLI
// hands the program, for the committed stacks and for a file using every YAML form.
func TestStackFilesReadLikePulumi(t *testing.T) {
	root := modroot.MustFind(t)
	project, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sample := t.TempDir()
	if err := os.WriteFile(StackFile(sample, "forms"), []byte(`config:
  aws:region: eu-west-1
  keyage:maxAgeDays: 30
  keyage:scheduleEnabled: false
  keyage:schedule: "cron(0 8 * * ? *)"
  keyage:exemptUsers: [alice, "bob-*"]
  keyage:tags: {team: security, cost: "4711"}
  keyage:subscriptions:
    - protocol: sqs
      endpoint: arn:aws:sqs:eu-west-1:123456789012:q
      rawMessageDelivery: true
      filterPolicy: {severity: [stale], account: [{prefix: "12"}]}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	for _, tt := range []struct{ dir, stack string }{{root, "dev"}, {root, "prod"}, {sample, "forms"}} {
		t.Run(tt.stack, func(t *testing.T) {
			stack, err := workspace.LoadProjectStack(sink, project, StackFile(tt.dir, tt.stack))
			if err != nil {
				t.Fatalf("Pulumi rejects %s: %v", StackFile(tt.dir, tt.stack), err)
			}
			want := map[string]string{}
			for k, v := range stack.Config {
				if want[k.String()], err = v.Value(pulumiconfig.NopDecrypter); err != nil {
					t.Fatal(err)
				}
			}
			got, err := ReadStackFile(tt.dir, tt.stack)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ReadStackFile(%s)\n got %q\nwant %q (what Pulumi passes)", tt.stack, got, want)
			}
		})
	}
}

// TestTypedConfigLikePulumi: the Pulumi CLI checks each stack value against the type Pulumi.yaml
// declares (workspace.ValidateConfigValue: a string that strconv.Atoi reads passes for an
// integer key, "true" and "false" for a boolean one, so a quoted "90" is 90). keyage's reading
// of a stack file accepts and refuses the same values.
func TestTypedConfigLikePulumi(t *testing.T) {
	root := modroot.MustFind(t)
	project, err := workspace.LoadProject(filepath.Join(root, "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	sink := diag.DefaultSink(io.Discard, io.Discard, diag.FormatOptions{Color: colors.Never})
	for _, tt := range []struct {
		key, yaml string
		ok        bool
	}{
		{"maxAgeDays", `"90"`, true},
		{"maxAgeDays", `90`, true},
		{"maxAgeDays", `"+90"`, true},
		{"maxAgeDays", `"ninety"`, false},
		{"maxAgeDays", `" 90"`, false},
		{"scheduleEnabled", `"false"`, true},
		{"scheduleEnabled", `"no"`, false},
		{"exemptUsers", `"alice"`, false},
	} {
		t.Run(tt.key+"="+tt.yaml, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(StackFile(dir, "typed"), []byte("config:\n  keyage:"+tt.key+": "+tt.yaml+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			stack, err := workspace.LoadProjectStack(sink, project, StackFile(dir, "typed"))
			if err != nil {
				t.Fatal(err)
			}
			key := pulumiconfig.MustMakeKey(Namespace, tt.key)
			value, err := stack.Config[key].Value(pulumiconfig.NopDecrypter)
			if err != nil {
				t.Fatal(err)
			}
			var content any = value
			if stack.Config[key].Object() {
				if err := json.Unmarshal([]byte(value), &content); err != nil {
					t.Fatal(err)
				}
			}
			declared := project.Config[key.String()]
			if got := workspace.ValidateConfigValue(declared.TypeName(), declared.Items, content); got != tt.ok {
				t.Fatalf("Pulumi's ValidateConfigValue(%s) = %v, want %v: the premise of this test changed", tt.yaml, got, tt.ok)
			}
			_, err = LoadStackFile(dir, "typed")
			if (err == nil) != tt.ok {
				t.Errorf("LoadStackFile(%s: %s) error = %v, want accepted = %v, as the Pulumi CLI", tt.key, tt.yaml, err, tt.ok)
			}
		})
	}
}
