package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/keyage/keyage/internal/preview"
)

// runPreview implements `keyage preview --stack NAME [--dir DIR] [--account FILE] [--format F]`.
func runPreview(args []string, stdout, stderr io.Writer) int {
	var sf stackFlags
	fs := newFlagSet("preview", "preview --stack NAME [--dir DIR] [--account FILE] [--format all|email|json|sms]", &sf, stderr)
	accountFile := fs.String("account", "", "a JSON file describing the account's users and keys (format: README, example: internal/preview/sample-account.json; default: that built-in sample)")
	format := fs.String("format", "all", "what to print: "+strings.Join(preview.Formats, ", "))
	if status := parseFlags(fs, &sf, args, stderr); status >= 0 {
		return status
	}
	if !slices.Contains(preview.Formats, *format) {
		fmt.Fprintf(stderr, "keyage preview: --format %q: want one of %s\n", *format, strings.Join(preview.Formats, ", "))
		return exitUsage
	}
	s, ok := loadSettings(sf, stderr)
	if !ok {
		return exitInvalid
	}
	account := preview.Sample()
	if *accountFile != "" {
		data, err := os.ReadFile(*accountFile)
		if err != nil {
			fmt.Fprintf(stderr, "keyage preview: %v\n", err)
			return exitInvalid
		}
		if account, err = preview.ParseAccount(data); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", *accountFile, err)
			return exitInvalid
		}
	}
	result, err := preview.Run(s, account, time.Now())
	if err == nil {
		err = result.Write(stdout, *format)
	}
	if err != nil {
		fmt.Fprintf(stderr, "keyage preview: %v\n", err)
		return exitInvalid
	}
	return exitOK
}
