package main

import (
	"cmp"
	"fmt"
	"io"

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
	checked, ok := loadSettings(sf, stderr)
	if !ok {
		return exitInvalid
	}
	region := cmp.Or(checked.Settings().Region, workflow.PlaceholderRegion)
	m, err := workflow.Definition(checked, workflow.PlaceholderResourcesIn(config.PartitionOf(region), region))
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
