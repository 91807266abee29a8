package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/internal/preview"
)

// runPreview implements `keyage preview --stack NAME [--dir DIR] [--account FILE] [--format F]`.
func runPreview(args []string, stdout, stderr io.Writer) int {
	var sf stackFlags
	fs := newFlagSet("preview", "preview --stack NAME [--dir DIR] [--account FILE] [--format all|email|json|sms|chat]", &sf, stderr)
	accountFile := fs.String("account", "", "a JSON file describing the account's users and keys (format: README, example: internal/preview/sample-account.json; default: that built-in sample)")
	format := fs.String("format", "all", "what to print: "+strings.Join(preview.Formats, ", "))
	checkFormat := func() error {
		if !slices.Contains(preview.Formats, *format) {
			return fmt.Errorf("--format %q: want one of %s", *format, strings.Join(preview.Formats, ", "))
		}
		return nil
	}
	return withStack(fs, &sf, args, stderr, checkFormat, func(s config.Checked) int {
		if !isScannerStack("preview", sf, s, stderr) {
			return exitInvalid
		}
		return printPreview(s, *accountFile, *format, stdout, stderr)
	})
}

// printPreview prints, in format, what the stack would send for the account in accountFile (""
// for the built-in sample).
func printPreview(s config.Checked, accountFile, format string, stdout, stderr io.Writer) int {
	account := preview.Sample()
	if accountFile != "" {
		data, err := os.ReadFile(accountFile)
		if err != nil {
			fmt.Fprintf(stderr, "keyage preview: %v\n", err)
			return exitInvalid
		}
		if account, err = preview.ParseAccount(data); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", accountFile, err)
			return exitInvalid
		}
	}
	result, err := preview.Run(s, account, time.Now())
	if err == nil {
		err = result.Write(stdout, format)
	}
	if err != nil {
		fmt.Fprintf(stderr, "keyage preview: %v\n", err)
		return exitInvalid
	}
	return exitOK
}
