// Command keyage is the Pulumi program that deploys keyage for one stack: it loads the stack's
// settings, builds the KeyAgeNotifier component (function, state machine, schedule, topics,
// alarms) and exports its outputs. See infra.Program.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/infra"
)

func main() {
	pulumi.Run(infra.Program(infra.ProgramOptions{}))
}
