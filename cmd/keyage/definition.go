package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/workflow"
)

func init() {
	commands["definition"] = command{
		summary: "print the state machine definition `pulumi up` would deploy for a stack (placeholder ARNs), or its Mermaid diagram",
		run:     runDefinition,
	}
}

// Output formats of the definition command.
const (
	formatJSON    = "json"
	formatMermaid = "mermaid"
)

// runDefinition implements `keyage definition --stack NAME [--dir DIR] [--format json|mermaid]`.
func runDefinition(args []string, stdout, stderr io.Writer) int {
	var sf stackFlags
	fs := newFlagSet("definition", "definition --stack NAME [--dir DIR] [--format json|mermaid]", &sf, stderr)
	format := fs.String("format", formatJSON, "json: the Amazon States Language document; mermaid: a stateDiagram-v2 of it")
	if status := parseFlags(fs, &sf, args, stderr); status >= 0 {
		return status
	}
	if *format != formatJSON && *format != formatMermaid {
		fmt.Fprintf(stderr, "keyage definition: --format %q: want %s or %s\n", *format, formatJSON, formatMermaid)
		return exitUsage
	}
	s, ok := loadSettings(sf, stderr)
	if !ok {
		return exitInvalid
	}
	region, err := stackRegion(sf.dir, sf.stack)
	if err != nil {
		fmt.Fprintf(stderr, "keyage definition: %v\n", err)
		return exitInvalid
	}
	m, err := workflow.Definition(s, workflow.PlaceholderResourcesIn(partitionOf(region), region))
	if err != nil {
		fmt.Fprintf(stderr, "keyage definition: %v\n", err)
		return exitInvalid
	}
	if *format == formatMermaid {
		fmt.Fprint(stdout, m.Mermaid())
		return exitOK
	}
	out, err := m.Render()
	if err != nil {
		fmt.Fprintf(stderr, "keyage definition: %v\n", err)
		return exitInvalid
	}
	stdout.Write(out)
	return exitOK
}

// stackRegion returns the stack's aws:region, or workflow.PlaceholderRegion when the stack file
// sets none. The settings were read from the same file before, so it exists.
func stackRegion(dir, stack string) (string, error) {
	path := config.StackFile(dir, stack)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return workflow.PlaceholderRegion, nil
	}
	if err != nil {
		return "", fmt.Errorf("read the region of stack %q: %w", stack, err)
	}
	var file struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		return "", fmt.Errorf("read the region of stack %q from %s: %w", stack, path, err)
	}
	switch v := file.Config["aws:region"].(type) {
	case nil:
		return workflow.PlaceholderRegion, nil
	case string:
		if !regionFlag.MatchString(v) {
			return "", fmt.Errorf("%s: aws:region is %q, want a region such as us-east-1", path, v)
		}
		return v, nil
	default:
		return "", fmt.Errorf("%s: aws:region is %v, want a region name such as us-east-1", path, v)
	}
}

// partitionOf returns the partition of a region: aws-cn for China, aws-us-gov for GovCloud,
// else aws.
func partitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
