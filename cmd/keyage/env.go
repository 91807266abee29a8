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
func (e envFlags) check() error {
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
			return fmt.Errorf("--%s %q: want %s", f.name, f.value, f.allowed)
		}
	}
	return nil
}

// resolve returns the partition, region and account the flags choose for the stack s.
func (e envFlags) resolve(s config.Settings) (partition, region, account string) {
	partition, region = environment(s, *e.partition, *e.region)
	return partition, region, *e.account
}

// environment returns the partition and region a command shows the stack s in: the region
// given, else the stack file's aws:region (as `pulumi up` deploys there), else
// workflow.PlaceholderRegion; the partition given, else that region's.
func environment(s config.Settings, partition, region string) (string, string) {
	region = cmp.Or(region, s.Region, workflow.PlaceholderRegion)
	return cmp.Or(partition, awsid.PartitionOf(region)), region
}

// noteDefaultRegion says on stderr which region a command shows a stack in when neither the
// stack nor the command line (flag, "" for none or for a command without --region) names one.
func noteDefaultRegion(cmd string, s config.Settings, flag, region string, stderr io.Writer) {
	if flag == "" && s.Region == "" {
		hint := "set " + config.RegionKey + " in the stack file"
		if cmd != "definition" {
			hint = "--region chooses another"
		}
		fmt.Fprintf(stderr, "keyage %s: the stack sets no %s: showing region %s (%s)\n", cmd, config.RegionKey, region, hint)
	}
}

// withStack runs a command that reads one stack: it parses args into fs (made by newFlagSet
// with sf), calls checkFlags (nil: none) on the command's other flags, loads the stack's
// settings and returns run's exit status for them. A wrong command line is exitUsage, settings
// with problems exitInvalid.
func withStack(fs *flag.FlagSet, sf *stackFlags, args []string, stderr io.Writer, checkFlags func() error, run func(config.Checked) int) int {
	if status := parseFlags(fs, sf, args, stderr); status >= 0 {
		return status
	}
	if checkFlags != nil {
		if err := checkFlags(); err != nil {
			fmt.Fprintf(stderr, "keyage %s: %v\n", fs.Name(), err)
			return exitUsage
		}
	}
	s, ok := loadSettings(*sf, stderr)
	if !ok {
		return exitInvalid
	}
	return run(s)
}

// runInEnv runs a command that shows what the program does in one partition, region and account
// (render, deployer-policy): it parses --stack, --dir and the environment flags (described as
// "the partition <what>", ...), loads the stack's settings, and prints what produce returns for
// them as indented JSON. It returns the process exit status.
func runInEnv(name, synopsis, what string, args []string, stdout, stderr io.Writer,
	produce func(s config.Checked, sf stackFlags, partition, region, account string) (any, error)) int {
	var sf stackFlags
	fs := newFlagSet(name, synopsis, &sf, stderr)
	env := addEnvFlags(fs, what)
	return withStack(fs, &sf, args, stderr, env.check, func(s config.Checked) int {
		return showInEnv(name, sf, env, s, stdout, stderr, produce)
	})
}

// showInEnv is runInEnv's part after the settings are loaded.
func showInEnv(name string, sf stackFlags, env envFlags, s config.Checked, stdout, stderr io.Writer,
	produce func(s config.Checked, sf stackFlags, partition, region, account string) (any, error)) int {
	partition, region, account := env.resolve(s.Settings())
	if want := awsid.PartitionOf(region); partition != want {
		fmt.Fprintf(stderr, "keyage %s: --partition %q: region %s is in partition %s: want %s, or no --partition\n", name, partition, region, want, want)
		return exitUsage
	}
	// The settings were checked for the stack's region (ARNs in them, such as the permissions
	// boundary, name its partition): another partition would show what cannot be deployed.
	if stack := s.Settings().Region; stack != "" && awsid.PartitionOf(stack) != partition {
		fmt.Fprintf(stderr, "keyage %s: --region %q: the stack's %s %s is in partition %s: want a region of that partition, or no --region\n",
			name, region, config.RegionKey, stack, awsid.PartitionOf(stack))
		return exitUsage
	}
	noteDefaultRegion(name, s.Settings(), *env.region, region, stderr)
	out, err := produce(s, sf, partition, region, account)
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
