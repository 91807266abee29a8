package main

import (
	"io"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra/deployer"
)

// runDeployerPolicy implements `keyage deployer-policy --stack NAME [--dir DIR] [--partition P]
// [--region R] [--account A]`: the region defaults to the stack's aws:region, the partition to
// that region's, as for render.
func runDeployerPolicy(args []string, stdout, stderr io.Writer) int {
	return runInEnv("deployer-policy", "deployer-policy --stack NAME [--dir DIR] [--partition aws] [--region eu-central-1] [--account 123456789012]",
		"the stack deploys to", args, stdout, stderr,
		func(s config.Checked, sf stackFlags, partition, region, account string) (any, error) {
			return deployer.ForStack(s, sf.stack, deployer.Env{Partition: partition, Region: region, AccountID: account})
		})
}
