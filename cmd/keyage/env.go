package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/internal/awsid"
	"github.com/keyage/keyage/workflow"
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
		valid       func(string) bool
		allowed     string
	}{
		{"partition", *e.partition, awsid.IsPartition, "aws, aws-cn or aws-us-gov"},
		{"region", *e.region, awsid.IsRegion, "a region such as us-east-1"},
		{"account", *e.account, awsid.IsAccountID, "12 digits"},
	} {
		if f.value != "" && !f.valid(f.value) || f.name == "account" && f.value == "" {
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
	partition = cmp.Or(*e.partition, awsid.PartitionOf(region))
	return partition, region, *e.account
}

// runInEnv runs a command that shows what the program does in one partition, region and account
// (render, deployer-policy): it parses --stack, --dir and the environment flags (described as
// "the partition <what>", ...), loads the stack's settings, and prints what produce returns for
// them as indented JSON. It returns the process exit status.
func runInEnv(name, synopsis, what string, args []string, stdout, stderr io.Writer,
	produce func(s config.Checked, stack, partition, region, account string) (any, error)) int {
	var sf stackFlags
	fs := newFlagSet(name, synopsis, &sf, stderr)
	env := addEnvFlags(fs, what)
	if status := parseFlags(fs, &sf, args, stderr); status >= 0 {
		return status
	}
	if status := env.check(name, stderr); status >= 0 {
		return status
	}
	s, ok := loadSettings(sf, stderr)
	if !ok {
		return exitInvalid
	}
	partition, region, account := env.resolve(s.Settings())
	if want := awsid.PartitionOf(region); partition != want {
		fmt.Fprintf(stderr, "keyage %s: --partition %q: region %s is in partition %s: want %s, or no --partition\n", name, partition, region, want, want)
		return exitUsage
	}
	if *env.region == "" && s.Settings().Region == "" {
		fmt.Fprintf(stderr, "keyage %s: the stack sets no %s: showing region %s (--region chooses another)\n", name, config.RegionKey, region)
	}
	out, err := produce(s, sf.stack, partition, region, account)
	if err != nil {
		fmt.Fprintf(stderr, "keyage %s: %v\n", name, err)
		return exitInvalid
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "keyage %s: write: %v\n", name, err)
		return exitInvalid
	}
	return exitOK
}
