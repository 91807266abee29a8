package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/keyage/keyage/infra/deployer"
)

func init() {
	commands["deployer-policy"] = command{
		summary: "print the IAM policy the identity running `pulumi up` needs for a stack, derived from what the program registers",
		run:     runDeployerPolicy,
	}
}

// runDeployerPolicy implements `keyage deployer-policy --stack NAME [--dir DIR] [--partition P]
// [--region R] [--account A]`: the region defaults to the stack's aws:region, the partition to
// that region's, as for render.
func runDeployerPolicy(args []string, stdout, stderr io.Writer) int {
	var sf stackFlags
	fs := newFlagSet("deployer-policy", "deployer-policy --stack NAME [--dir DIR] [--partition aws] [--region eu-central-1] [--account 123456789012]", &sf, stderr)
	env := addEnvFlags(fs, "the stack deploys to")
	if status := parseFlags(fs, &sf, args, stderr); status >= 0 {
		return status
	}
	if status := env.check("deployer-policy", stderr); status >= 0 {
		return status
	}
	s, ok := loadSettings(sf, stderr)
	if !ok {
		return exitInvalid
	}
	partition, region, account := env.resolve(s.Settings())
	doc, err := deployer.ForStack(s, sf.stack, deployer.Env{Partition: partition, Region: region, AccountID: account})
	if err != nil {
		fmt.Fprintf(stderr, "keyage deployer-policy: %v\n", err)
		return exitInvalid
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		fmt.Fprintf(stderr, "keyage deployer-policy: write: %v\n", err)
		return exitInvalid
	}
	return exitOK
}
