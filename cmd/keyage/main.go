// Command keyage is the offline command line of the keyage Pulumi program. It checks and shows
// what a stack would deploy with the program's own code, without AWS credentials or the Pulumi
// CLI. It deploys nothing: that is `pulumi up`'s job.
//
//	go run ./cmd/keyage <command> [flags]
//
// Each command's code lives in a file of its own; the table of commands, in main.go, names them
// all (as cmd/go's main.go does).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keyage/keyage/config"
)

// command is one subcommand. run gets the arguments after the command's name and returns the
// process exit status: 0 success, 1 the stack or its settings are wrong, 2 the command line is.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands is every subcommand, sorted by name, in the order usage lists them.
var commands = []command{
	{"definition", "print the state machine definition `pulumi up` would deploy for a stack (placeholder ARNs), or its Mermaid diagram", runDefinition},
	{"deployer-policy", "print the IAM policy the identity running `pulumi up` needs for a stack, derived from what the program registers", runDeployerPolicy},
	{"preview", "print the notification a stack would send (subject, email, JSON and SMS bodies, attributes) for a sample account or --account FILE", runPreview},
	{"render", "print every resource `pulumi up` would register for a stack, with its inputs, as JSON (runs the program under mocks)", runRender},
	{"scan", "scan the account the AWS credentials reach for stale, unused and root access keys, with the function's own rules (exit 3 when something is found)", runScan},
	{"validate", "check a stack's settings (Pulumi.NAME.yaml) with the program's own code", runValidate},
}

// Exit statuses.
const (
	exitOK      = 0
	exitInvalid = 1 // the settings or the stack are invalid
	exitUsage   = 2 // the command line is
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to the command named by args[0].
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(stderr, "keyage: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return commands[i].run(args[1:], stdout, stderr)
}

// usage lists the commands in the table's order (sorted by name).
func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: keyage <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Checks and shows, offline, what `pulumi up --stack NAME` would deploy for a stack: no AWS")
	fmt.Fprintln(w, "account or Pulumi CLI needed. Deploying is pulumi's job.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "keyage <command> -h" for a command's flags. Example: keyage validate --stack dev`)
	fmt.Fprintln(w, "Exit status: 0 done, 1 the stack or its settings are invalid, 2 the command line is wrong;")
	fmt.Fprintln(w, "scan (which reads the account with your AWS credentials): 3 findings, 1 the scan could not complete.")
}

// stackFlags are the flags of every command that reads a stack: --stack NAME and --dir DIR.
type stackFlags struct {
	stack string
	dir   string
}

// newFlagSet returns a flag set for a command that reports its errors on stderr instead of
// exiting, with --stack and --dir bound to sf. synopsis is the command's usage line.
func newFlagSet(name, synopsis string, sf *stackFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&sf.stack, "stack", "", "the stack whose Pulumi.NAME.yaml to read (required)")
	fs.StringVar(&sf.dir, "dir", "", "the project directory holding Pulumi.yaml (default: found upwards from the working directory)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: keyage %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs and checks the stack flags. It returns the exit status to
// return when the command must stop (help was asked for, or the command line is wrong), or -1.
func parseFlags(fs *flag.FlagSet, sf *stackFlags, args []string, stderr io.Writer) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "keyage %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if sf.stack == "" {
		fmt.Fprintf(stderr, "keyage %s: --stack is required\n", fs.Name())
		fs.Usage()
		return exitUsage
	}
	if sf.dir == "" {
		dir, err := findProjectDir()
		if err != nil {
			fmt.Fprintf(stderr, "keyage %s: %v\n", fs.Name(), err)
			return exitUsage
		}
		sf.dir = dir
	}
	return -1
}

// findProjectDir walks up from the working directory to the directory holding Pulumi.yaml.
func findProjectDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the project directory: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "Pulumi.yaml")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no Pulumi.yaml in %s or above it: pass --dir", wd)
		}
	}
}

// loadSettings reads and checks the stack's settings with config.LoadStackFile (which applies
// Settings.Check, the rule set the program applies). On failure it prints every problem, one a
// line, under the stack file's name, and returns false. Warnings go to stderr, one a line, the
// same for every command and the same the program logs.
func loadSettings(sf stackFlags, stderr io.Writer) (config.Checked, bool) {
	name := filepath.Base(config.StackFile(sf.dir, sf.stack))
	checked, err := config.LoadStackFile(sf.dir, sf.stack)
	if err == nil {
		for _, w := range checked.Warnings {
			fmt.Fprintf(stderr, "%s: warning: %s\n", name, w)
		}
		return checked, true
	}
	problems := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		problems = j.Unwrap()
	}
	noun := "problems"
	if len(problems) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(stderr, "%s: %d %s\n", name, len(problems), noun)
	for _, p := range problems {
		fmt.Fprintf(stderr, "  %s\n", strings.TrimPrefix(p.Error(), name+": "))
	}
	return config.Checked{}, false
}
