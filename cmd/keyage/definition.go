package main

import (
	"fmt"
	"io"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/workflow"
)

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
	checkFormat := func() error {
		if *format != formatJSON && *format != formatMermaid {
			return fmt.Errorf("--format %q: want %s or %s", *format, formatJSON, formatMermaid)
		}
		return nil
	}
	return withStack(fs, &sf, args, stderr, checkFormat, func(checked config.Checked) int {
		if !isScannerStack("definition", sf, checked, stderr) {
			return exitInvalid
		}
		return printDefinition(checked, *format, stdout, stderr)
	})
}

// printDefinition prints the state machine for the stack's settings, in the stack's partition
// and region, with placeholder ARNs.
func printDefinition(checked config.Checked, format string, stdout, stderr io.Writer) int {
	partition, region := environment(checked.Settings(), "", "")
	noteDefaultRegion("definition", checked.Settings(), "", region, stderr)
	m, err := workflow.Definition(checked, workflow.PlaceholderResourcesIn(partition, region))
	if err != nil {
		fmt.Fprintf(stderr, "keyage definition: %v\n", err)
		return exitInvalid
	}
	if format == formatMermaid {
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
