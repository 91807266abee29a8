package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/internal/modroot"
)

// Rendered is what `keyage render` prints: the environment the mocks stood in for, the
// program's warnings, and every resource it registered, sorted by URN.
type Rendered struct {
	Stack     string             `json:"stack"`
	Partition string             `json:"partition"`
	Region    string             `json:"region"`
	AccountID string             `json:"accountId"`
	Warnings  []string           `json:"warnings"`
	Resources []RenderedResource `json:"resources"`
	// MemberTemplate is a scanner stack's member role as a CloudFormation template (the one
	// its memberStackSet deploys, or a StackSet made by other means would), decoded; none for
	// a member stack.
	MemberTemplate map[string]any `json:"memberTemplate,omitempty"`
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

// runRender implements `keyage render --stack NAME [--dir DIR] [--partition P] [--region R]
// [--account A]`. The region defaults to the stack file's aws:region (as `pulumi up` deploys
// there), the partition to that region's.
func runRender(args []string, stdout, stderr io.Writer) int {
	return runInEnv("render", "render --stack NAME [--dir DIR] [--partition aws] [--region us-east-1] [--account 123456789012]",
		"the mocks stand in for", args, stdout, stderr,
		func(s config.Checked, sf stackFlags, partition, region, account string) (any, error) {
			// The function is built from the module holding --dir, so that render works from
			// outside it too; without one there, from the working directory's, as pulumi up.
			root, _ := modroot.FindFrom(sf.dir)
			return render(s, sf.stack, root, partition, region, account)
		})
}

// render runs keyage's Pulumi program (the one `pulumi up` runs, function build included, from
// the module at moduleRoot, "" for the working directory's) with the settings under mocks, and
// collects what it registered.
func render(s config.Checked, stack, moduleRoot, partition, region, account string) (Rendered, error) {
	mocks := infratest.New(partition, region, account)
	out := Rendered{Stack: stack, Partition: partition, Region: region, AccountID: account, Warnings: []string{}}
	var template string
	program := infra.Program(infra.ProgramOptions{
		Settings:   &s,
		ModuleRoot: moduleRoot,
		Observe: func(n *infra.KeyAgeNotifier) {
			out.Warnings = append(out.Warnings, n.Warnings...)
			template = n.MemberTemplate
		},
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
	if template != "" {
		if err := json.Unmarshal([]byte(template), &out.MemberTemplate); err != nil {
			return Rendered{}, fmt.Errorf("member role template: %w", err)
		}
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
