// Command keyage is the offline command line of the keyage Pulumi program. It checks and shows
// what a stack would deploy with the program's own code, without AWS credentials or the Pulumi
// CLI. It deploys nothing: that is `pulumi up`'s job.
//
//	go run ./cmd/keyage <command> [flags]
//
// Each command lives in a file of its own and registers itself in commands from init.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/keyage/keyage/config"
)

// command is one subcommand. run gets the arguments after the command's name and returns the
// process exit status: 0 success, 1 the stack or its settings are wrong, 2 the command line is.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands holds every subcommand by name; each command's file adds itself in init.
var commands = map[string]command{}

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
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "keyage: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return cmd.run(args[1:], stdout, stderr)
}

// usage lists the commands, sorted by name.
func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: keyage <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Checks and shows, offline, what `pulumi up --stack NAME` would deploy for a stack: no AWS")
	fmt.Fprintln(w, "account or Pulumi CLI needed. Deploying is pulumi's job.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := slices.Sorted(maps.Keys(commands))
	width := 0
	for _, name := range names {
		width = max(width, len(name))
	}
	for _, name := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, name, commands[name].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `Run "keyage <command> -h" for a command's flags. Example: keyage validate --stack dev`)
	fmt.Fprintln(w, "Exit status: 0 done, 1 the stack or its settings are invalid, 2 the command line is wrong.")
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

// loadSettings reads and checks the stack's settings (config.ParseConfig, which applies
// Settings.Check, the rule set the program applies). On failure it prints every problem, one a
// line, under the stack file's name, and returns false. Keys the file reader could not read (a secret) do not
// stop the others from being checked, so one run shows every problem. Warnings go to stderr,
// one a line, the same for every command and the same the program logs.
func loadSettings(sf stackFlags, stderr io.Writer) (config.Checked, bool) {
	name := filepath.Base(config.StackFile(sf.dir, sf.stack))
	values, readErr := config.ReadStackFile(sf.dir, sf.stack)
	var parseErr error
	if values != nil && !hidesAgeDays(readErr) {
		var checked config.Checked
		if checked, parseErr = config.ParseConfig(values); readErr == nil && parseErr == nil {
			for _, w := range checked.Warnings {
				fmt.Fprintf(stderr, "%s: warning: %s\n", name, w)
			}
			return checked, true
		}
	}
	var problems []error
	for _, err := range []error{readErr, parseErr} {
		if err != nil {
			problems = append(problems, unjoin(err)...)
		}
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

// hidesAgeDays reports whether err is about a secret maxAgeDays or warnAgeDays: checking the
// other against the default in its place could report a problem the stack does not have.
func hidesAgeDays(err error) bool {
	for _, e := range unjoin(err) {
		var secret *config.SecretError
		if errors.As(e, &secret) && (secret.Key == "maxAgeDays" || secret.Key == "warnAgeDays") {
			return true
		}
	}
	return false
}

// unjoin splits an errors.Join error into its parts.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}
