package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/workflow"
)

func init() {
	commands["render"] = command{
		summary: "print every resource `pulumi up` would register for a stack, with its inputs, as JSON (runs the program under mocks)",
		run:     runRender,
	}
}

// Rendered is what `keyage render` prints: the environment the mocks stood in for, the
// program's warnings, and every resource it registered, sorted by URN.
type Rendered struct {
	Stack     string             `json:"stack"`
	Partition string             `json:"partition"`
	Region    string             `json:"region"`
	AccountID string             `json:"accountId"`
	Warnings  []string           `json:"warnings"`
	Resources []RenderedResource `json:"resources"`
}

// RenderedResource is one registered resource. Inputs that hold JSON documents (policies, the
// state machine's definition, filter policies, the schedule's input) are shown decoded, so
// that they can be read and diffed.
type RenderedResource struct {
	Type      string         `json:"type"`
	Name      string         `json:"name"`
	URN       string         `json:"urn"`
	Parent    string         `json:"parent,omitempty"`
	DependsOn []string       `json:"dependsOn,omitempty"`
	Inputs    map[string]any `json:"inputs"`
}

var (
	partitionFlag = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	regionFlag    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountFlag   = regexp.MustCompile(`^[0-9]{12}$`)
)

// envFlags are the --partition, --region and --account flags of the commands that run the
// program under mocks (render, deployer-policy).
type envFlags struct{ partition, region, account *string }

func addEnvFlags(fs *flag.FlagSet, what string) envFlags {
	return envFlags{
		partition: fs.String("partition", "", "the AWS partition "+what+" (aws, aws-cn, aws-us-gov; default: the region's)"),
		region:    fs.String("region", "", "the region "+what+" (default: the stack's aws:region, else "+workflow.PlaceholderRegion+")"),
		account:   fs.String("account", workflow.PlaceholderAccountID, "the account ID "+what),
	}
}

// check refuses malformed flags (a wrong command line); empty partition and region mean the
// stack's.
func (e envFlags) check(cmd string, stderr io.Writer) int {
	for _, f := range []struct {
		name, value string
		re          *regexp.Regexp
		allowed     string
	}{
		{"partition", *e.partition, partitionFlag, "aws, aws-cn or aws-us-gov"},
		{"region", *e.region, regionFlag, "a region such as us-east-1"},
		{"account", *e.account, accountFlag, "12 digits"},
	} {
		if f.value != "" && !f.re.MatchString(f.value) || f.name == "account" && f.value == "" {
			fmt.Fprintf(stderr, "keyage %s: --%s %q: want %s\n", cmd, f.name, f.value, f.allowed)
			return exitUsage
		}
	}
	return -1
}

// resolve returns the partition, region and account: the region defaults to the stack file's
// aws:region (as `pulumi up` deploys there), the partition to that region's.
func (e envFlags) resolve(s config.Settings) (partition, region, account string) {
	region = cmp.Or(*e.region, s.Region, workflow.PlaceholderRegion)
	partition = cmp.Or(*e.partition, config.PartitionOf(region))
	return partition, region, *e.account
}

// runRender implements `keyage render --stack NAME [--dir DIR] [--partition P] [--region R]
// [--account A]`. The region defaults to the stack file's aws:region (as `pulumi up` deploys
// there), the partition to that region's.
func runRender(args []string, stdout, stderr io.Writer) int {
	var sf stackFlags
	fs := newFlagSet("render", "render --stack NAME [--dir DIR] [--partition aws] [--region us-east-1] [--account 123456789012]", &sf, stderr)
	env := addEnvFlags(fs, "the mocks stand in for")
	if status := parseFlags(fs, &sf, args, stderr); status >= 0 {
		return status
	}
	if status := env.check("render", stderr); status >= 0 {
		return status
	}
	s, ok := loadSettings(sf, stderr)
	if !ok {
		return exitInvalid
	}
	partition, region, account := env.resolve(s.Settings())
	out, err := render(s, sf.stack, partition, region, account)
	if err != nil {
		fmt.Fprintf(stderr, "keyage render: %v\n", err)
		return exitInvalid
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "keyage render: write: %v\n", err)
		return exitInvalid
	}
	return exitOK
}

// render runs keyage's Pulumi program (the one `pulumi up` runs, function build included) with
// the settings under mocks, and collects what it registered.
func render(s config.Checked, stack, partition, region, account string) (Rendered, error) {
	mocks := infratest.New(partition, region, account)
	out := Rendered{Stack: stack, Partition: partition, Region: region, AccountID: account, Warnings: []string{}}
	program := infra.Program(infra.ProgramOptions{
		Settings: &s,
		Observe:  func(n *infra.KeyAgeNotifier) { out.Warnings = append(out.Warnings, n.Warnings...) },
	})
	if err := mocks.Run(config.Namespace, stack, program); err != nil {
		return Rendered{}, fmt.Errorf("run the program under mocks: %w", err)
	}
	for _, r := range mocks.Resources() {
		out.Resources = append(out.Resources, RenderedResource{
			Type: r.Type, Name: r.Name, URN: r.URN, Parent: r.Parent, DependsOn: r.DependsOn,
			Inputs: decodeDocuments(infratest.PlainMap(r.Inputs)).(map[string]any),
		})
	}
	// The SDK registers resources from several goroutines: sort, so that output diffs well.
	slices.SortFunc(out.Resources, func(a, b RenderedResource) int { return strings.Compare(a.URN, b.URN) })
	return out, nil
}

// decodeDocuments replaces string values that hold a JSON object with the object.
func decodeDocuments(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = decodeDocuments(item)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = decodeDocuments(item)
		}
		return out
	case string:
		if strings.HasPrefix(v, "{") {
			var doc map[string]any
			if err := json.Unmarshal([]byte(v), &doc); err == nil {
				return doc
			}
		}
	}
	return v
}
