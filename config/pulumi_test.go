package config

import (
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
				if k.Namespace() != Namespace {
					continue
				}
				if want[k.Name()], err = v.Value(pulumiconfig.NopDecrypter); err != nil {
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
