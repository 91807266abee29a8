package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"

	"github.com/keyage/keyage/infra/deployer"
	"github.com/keyage/keyage/workflow"
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
	partition := fs.String("partition", "", "the AWS partition (aws, aws-cn, aws-us-gov; default: the region's)")
	region := fs.String("region", "", "the region the stack deploys to (default: the stack's aws:region, else "+workflow.PlaceholderRegion+")")
	account := fs.String("account", workflow.PlaceholderAccountID, "the account ID the stack deploys to")
	if status := parseFlags(fs, &sf, args, stderr); status >= 0 {
		return status
	}
	if *region == "" {
		r, err := stackRegion(sf.dir, sf.stack)
		if err != nil {
			fmt.Fprintf(stderr, "keyage deployer-policy: %v\n", err)
			return exitInvalid
		}
		*region = r
	}
	if *partition == "" {
		*partition = partitionOf(*region)
	}
	for _, f := range []struct {
		name, value string
		re          *regexp.Regexp
		allowed     string
	}{
		{"partition", *partition, partitionFlag, "aws, aws-cn or aws-us-gov"},
		{"region", *region, regionFlag, "a region such as us-east-1"},
		{"account", *account, accountFlag, "12 digits"},
	} {
		if !f.re.MatchString(f.value) {
			fmt.Fprintf(stderr, "keyage deployer-policy: --%s %q: want %s\n", f.name, f.value, f.allowed)
			return exitUsage
		}
	}
	s, ok := loadSettings(sf, stderr)
	if !ok {
		return exitInvalid
	}
	doc, err := deployer.ForStack(s, sf.stack, deployer.Env{Partition: *partition, Region: *region, AccountID: *account})
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
