package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// Exit statuses of `keyage scan` beyond exitOK and exitUsage.
const (
	exitScanFailed = 1 // the scan could not complete (credentials, ListUsers, Ctrl-C)
	exitFindings   = 3 // something was found, or some user's keys could not be read
)

// scanMaxAttempts is how often the SDK tries one IAM call (throttling included) before the user
// is reported unchecked.
const scanMaxAttempts = 10

// scanFormats are the values of `keyage scan --format`.
var scanFormats = []string{"table", "json", "csv"}

// scanAWSOptions are extra options for LoadDefaultConfig: tests set a retryer without backoff.
var scanAWSOptions []func(*awsconfig.LoadOptions) error

// scanIsTerminal reports whether w is a terminal, for progress; tests replace it.
var scanIsTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// scanClock is the scan's "now"; tests fix it.
var scanClock = time.Now

// unknownAccount is what the report names as the account when no user was listed: the account
// ID comes from the listed users' ARNs, sparing an STS call (and permission).
const unknownAccount = "(no user listed)"

// scanIAM lists the IAM calls a scan makes: the consumer-side view of *iam.Client.
type scanIAM interface {
	iam.ListUsersAPIClient
	iam.ListAccessKeysAPIClient
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error)
	ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, optFns ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
}

var _ scanIAM = (*iam.Client)(nil)

// limitedIAM makes every call of its scanIAM take one of slots, so that at most cap(slots) IAM
// calls are in flight, ListUsers pages included: the stack's maxConcurrency.
type limitedIAM struct {
	scanIAM
	slots chan struct{}
}

func call[In, Out any](ctx context.Context, slots chan struct{}, f func(context.Context, In, ...func(*iam.Options)) (Out, error), in In, optFns []func(*iam.Options)) (Out, error) {
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		var zero Out
		return zero, ctx.Err()
	}
	defer func() { <-slots }()
	return f(ctx, in, optFns...)
}

func (l limitedIAM) ListUsers(ctx context.Context, in *iam.ListUsersInput, optFns ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	return call(ctx, l.slots, l.scanIAM.ListUsers, in, optFns)
}

func (l limitedIAM) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	return call(ctx, l.slots, l.scanIAM.ListAccessKeys, in, optFns)
}

func (l limitedIAM) GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	return call(ctx, l.slots, l.scanIAM.GetAccessKeyLastUsed, in, optFns)
}

func (l limitedIAM) GetAccountSummary(ctx context.Context, in *iam.GetAccountSummaryInput, optFns ...func(*iam.Options)) (*iam.GetAccountSummaryOutput, error) {
	return call(ctx, l.slots, l.scanIAM.GetAccountSummary, in, optFns)
}

func (l limitedIAM) ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, optFns ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	return call(ctx, l.slots, l.scanIAM.ListUserTags, in, optFns)
}

// runScan implements `keyage scan`.
func runScan(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return scanCommand(ctx, args, stdout, stderr)
}

func scanCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	const synopsis = "scan [--stack NAME] [--dir DIR] [--profile P] [--region R] [--format table|json|csv] [--output FILE]"
	var sf stackFlags
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&sf.stack, "stack", "", "the stack whose Pulumi.NAME.yaml holds the policy (default: the default settings)")
	fs.StringVar(&sf.dir, "dir", "", "the project directory holding Pulumi.yaml (default: found upwards from the working directory)")
	profile := fs.String("profile", "", "the AWS shared-config profile (default: the standard credential chain)")
	region := fs.String("region", "", "the AWS region to send IAM calls to (default: from the environment or profile)")
	format := fs.String("format", "table", "the output: "+strings.Join(scanFormats, ", "))
	output := fs.String("output", "", "write the output to FILE instead of standard output")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: keyage %s\n\nExit status: 0 no finding, 3 findings or unchecked users, 1 the scan could not complete, 2 wrong command line.\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "keyage scan: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if !slices.Contains(scanFormats, *format) {
		fmt.Fprintf(stderr, "keyage scan: --format %q: want one of %s\n", *format, strings.Join(scanFormats, ", "))
		return exitUsage
	}
	settings := config.Defaults()
	if sf.stack != "" {
		if sf.dir == "" {
			dir, err := findProjectDir()
			if err != nil {
				fmt.Fprintf(stderr, "keyage scan: %v\n", err)
				return exitUsage
			}
			sf.dir = dir
		}
		checked, ok := loadSettings(sf, stderr)
		if !ok || !isScannerStack("scan", sf, checked, stderr) {
			return exitScanFailed
		}
		settings = checked.Settings()
	}

	// IAM throttles per account; with many calls in flight the standard retryer's 3 attempts
	// would turn throttling into unchecked users: 10, with its backoff and jitter.
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRetryer(func() aws.Retryer {
		return retry.AddWithMaxAttempts(retry.NewStandard(), scanMaxAttempts)
	})}
	opts = append(opts, scanAWSOptions...)
	if *profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(*profile))
	}
	if *region != "" {
		opts = append(opts, awsconfig.WithRegion(*region))
	}
	// The standard credential chain (environment, shared config and SSO profiles) and the SDK's
	// standard retryer, which retries throttling errors (Throttling) with backoff:
	// https://docs.aws.amazon.com/sdk-for-go/v2/developer-guide/configure-retries-timeouts.html
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "keyage scan: load the AWS configuration: %v\n", err)
		return exitScanFailed
	}
	// --output is opened before the scan (a wrong path fails at once), as a temporary file next
	// to it that replaces it only once everything is written.
	var outFile *os.File
	if *output != "" {
		f, err := os.CreateTemp(filepath.Dir(*output), "."+filepath.Base(*output)+".*")
		if err != nil {
			fmt.Fprintf(stderr, "keyage scan: --output: %v\n", err)
			return exitScanFailed
		}
		defer os.Remove(f.Name()) // gone once renamed
		defer f.Close()
		outFile = f
	}
	var progress io.Writer
	if scanIsTerminal(stderr) {
		progress = stderr
	}
	policy := settings.Policy()
	now := scanClock().UTC().Truncate(time.Second)
	client := iam.NewFromConfig(cfg)
	res, err := scan(ctx, client, policy, settings.MaxConcurrency, now, progress)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			fmt.Fprintln(stderr, "keyage scan: interrupted: the scan did not complete")
		case credentialsHint(err) != "":
			fmt.Fprintf(stderr, "keyage scan: %s (%v)\n", credentialsHint(err), err)
		default:
			fmt.Fprintf(stderr, "keyage scan: %v\n", err)
		}
		return exitScanFailed
	}
	// The function's own judging: tag exemptions and owners read from the tags of flagged users
	// (ListUserTags, one at a time), last use already looked up by scan.
	owners := settings.Owners.Event()
	judge := &agecheck.Handler{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tags := agecheck.AccountIO{UserTags: scanUserTags(limitedIAM{client, make(chan struct{}, max(settings.MaxConcurrency, 1))})}
	full, err := judge.Judge(ctx, tags, res.account, res.users, policy, owners, now)
	var summary agecheck.Summary
	if err == nil {
		// Merge trims the list to what a notification can carry; csv lists everything (full).
		summary, err = agecheck.Merge(nil, []agecheck.Summary{full})
	}
	if err != nil {
		fmt.Fprintf(stderr, "keyage scan: %v\n", err)
		return exitScanFailed
	}
	if policy.CheckRootKeys {
		root := agecheck.CheckRoot(res.root)
		summary.Root, full.Root = &root, &root
	}
	if owners != nil {
		// The digest lists the keys without an owner under the tag keys, as the function's does.
		summary.Owners = &agecheck.OwnerDigest{TagKeys: owners.TagKeys}
	}
	report, err := agecheck.NewReport(summary, policy, cmp.Or(res.account, unknownAccount), now)
	if err != nil {
		fmt.Fprintf(stderr, "keyage scan: %v\n", err)
		return exitScanFailed
	}

	out := stdout
	if outFile != nil {
		out = outFile
	}
	if err := writeScan(out, *format, summary, full, report, owners != nil); err != nil {
		fmt.Fprintf(stderr, "keyage scan: write the output: %v\n", err)
		return exitScanFailed
	}
	if outFile != nil {
		if err := outFile.Chmod(0o600); err == nil {
			err = outFile.Close()
		}
		if err == nil {
			err = os.Rename(outFile.Name(), *output)
		}
		if err != nil {
			fmt.Fprintf(stderr, "keyage scan: --output: %v\n", err)
			return exitScanFailed
		}
	}
	if *format != "csv" && len(summary.Findings) < len(full.Findings) {
		fmt.Fprintf(stderr, "keyage scan: the %s output lists %d of the %d findings (a notification's limit); --format csv lists every one\n",
			*format, len(summary.Findings), len(full.Findings))
	}
	if report.Publish {
		return exitFindings
	}
	return exitOK
}

// writeScan prints the result: table the email body, json the JSON ("default") body (both from
// s, trimmed as a notification is), csv a row per finding, unchecked user and root check of full
// (untrimmed). With nothing to report, table says so and json is {"publish": false, "counts": ...}.
// With owners on, table ends with each listed finding's owner, and csv has an owner column.
func writeScan(w io.Writer, format string, s, full agecheck.Summary, r agecheck.Report, owners bool) error {
	if format == "csv" {
		return writeFindingsCSV(w, full, owners)
	}
	if !r.Publish {
		if format == "json" {
			b, err := json.MarshalIndent(map[string]any{"publish": false, "counts": s.Counts}, "", "  ")
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "%s\n", b)
			return err
		}
		_, err := fmt.Fprintf(w, "No finding: %d users, %d compliant active keys, %d keys of exempt users, %d inactive keys, %d users deleted during the scan.\n",
			s.Users, s.Compliant, s.Exempt, s.Inactive, s.Deleted)
		return err
	}
	var bodies struct {
		Default string `json:"default"`
		Email   string `json:"email"`
	}
	if err := json.Unmarshal([]byte(r.Message), &bodies); err != nil {
		return fmt.Errorf("decode the report's message: %w", err)
	}
	if format == "json" {
		var v any
		if err := json.Unmarshal([]byte(bodies.Default), &v); err != nil {
			return fmt.Errorf("decode the JSON body: %w", err)
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	if _, err := fmt.Fprintf(w, "Subject: %s\n\n%s", r.Subject, bodies.Email); err != nil || !owners || len(s.Findings) == 0 {
		return err
	}
	return writeOwnerTable(w, s)
}

// scanNoOwner stands for a finding without an owner in the owner table and the csv.
const (
	scanNoOwner      = "(no owner)"
	scanOwnerUnknown = "(tags unreadable)"
)

// ownerOf is a finding's owner as the scan prints it.
func ownerOf(f agecheck.Finding) string {
	switch {
	case f.Owner != "":
		return f.Owner
	case f.OwnerUnknown:
		return scanOwnerUnknown
	}
	return scanNoOwner
}

// writeOwnerTable lists the owner of each finding s lists (its user's tag, ResolveOwner).
func writeOwnerTable(w io.Writer, s agecheck.Summary) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "\nOwners (%s):\n", strings.Join(s.Owners.TagKeys, ", "))
	fmt.Fprintln(tw, "USER\tACCESS KEY ID\tOWNER")
	for _, f := range s.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.UserName, f.AccessKeyID, ownerOf(f))
	}
	return tw.Flush()
}

// scanUserTags reads a user's tags (every page of ListUserTags), as the function does.
func scanUserTags(client scanIAM) agecheck.UserTagsFunc {
	return func(ctx context.Context, userName string) (map[string]string, error) {
		tags := map[string]string{}
		pages := iam.NewListUserTagsPaginator(client, &iam.ListUserTagsInput{UserName: aws.String(userName)})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list tags of user %q: %w", userName, err)
			}
			for _, t := range page.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		}
		return tags, nil
	}
}

// scanCSVHeader is the header row of --format csv; with owners on, "owner" follows.
var scanCSVHeader = []string{"userName", "accessKeyId", "severity", "kinds", "ageDays", "createDate", "lastUsedDate", "lastUsedService", "lastUsedRegion", "error", "cause"}

// scanRootUser names the root user in the csv's userName column.
const scanRootUser = "(root user)"

// writeFindingsCSV writes a row for the root check when it found keys or could not tell, one per
// finding, and one per unchecked user (severity unchecked, with its error and cause): every reason
// for exit status 3 is a row.
func writeFindingsCSV(w io.Writer, s agecheck.Summary, owners bool) error {
	cw := csv.NewWriter(w)
	write := func(row []string, owner string) {
		if owners {
			row = append(row, owner)
		}
		_ = cw.Write(row)
	}
	write(scanCSVHeader, "owner")
	if root := s.Root; root != nil {
		switch root.Status {
		case agecheck.RootKeysPresent:
			write([]string{scanRootUser, "", agecheck.SeverityStale, agecheck.KindRoot, "", "", "", "", "", "", ""}, "")
		case agecheck.RootUnchecked:
			write([]string{scanRootUser, "", agecheck.SeverityUnchecked, agecheck.KindRoot, "", "", "", "", "", "RootUnchecked", root.Cause}, "")
		}
	}
	for _, f := range s.Findings {
		write([]string{f.UserName, f.AccessKeyID, f.Severity, strings.Join(f.Kinds, " "), strconv.Itoa(f.AgeDays),
			f.CreateDate.String(), f.LastUsedDate.String(), f.LastUsedService, f.LastUsedRegion, "", ""}, ownerOf(f))
	}
	for _, u := range s.UncheckedUsers {
		write([]string{u.UserName, "", agecheck.SeverityUnchecked, "", "", "", "", "", "", u.Error, u.Cause}, "")
	}
	cw.Flush()
	return cw.Error()
}

// scanResult is what a scan read from IAM.
type scanResult struct {
	users   []agecheck.UserKeys
	account string                   // from the first listed user's ARN; "" when no user was listed
	root    *agecheck.AccountSummary // nil unless asked for
}

// scan lists every user (ListUsers), then, with at most concurrency IAM calls in flight, each
// user's keys (ListAccessKeys) and the last use of the keys agecheck.NeedsLastUsed names
// (GetAccessKeyLastUsed), and GetAccountSummary when the policy checks root keys. A user whose
// keys cannot be read is unchecked with its error; one that no longer exists (NoSuchEntity) is
// deleted. A failed last-used lookup leaves the key's last use unknown. Only ListUsers failing,
// or ctx ending, fails the scan. When progress is not nil, it gets a line of users listed and
// checked, rewritten in place.
func scan(ctx context.Context, client scanIAM, p agecheck.Policy, concurrency int, now time.Time, progress io.Writer) (scanResult, error) {
	var res scanResult
	concurrency = max(concurrency, 1)
	client = limitedIAM{client, make(chan struct{}, concurrency)}
	if p.CheckRootKeys {
		out, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		switch {
		case ctx.Err() != nil:
			return res, ctx.Err()
		case err != nil:
			res.root = &agecheck.AccountSummary{Error: "Iam." + errorCode(err), Cause: errorMessage(err)}
		default:
			m := make(map[string]int, len(out.SummaryMap))
			for k, v := range out.SummaryMap {
				m[k] = int(v)
			}
			res.root = &agecheck.AccountSummary{SummaryMap: m}
		}
	}

	var listed, checked atomic.Int64
	show := func() {
		if progress != nil {
			fmt.Fprintf(progress, "\rkeyage scan: %s %d users listed, %d checked", progressBar(checked.Load(), listed.Load()), listed.Load(), checked.Load())
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		i    int
		name string
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for j := range jobs {
				u := readUser(ctx, client, j.name, p, now)
				mu.Lock()
				res.users[j.i] = u
				mu.Unlock()
				checked.Add(1)
			}
		})
	}
	var listErr error
	pages := iam.NewListUsersPaginator(client, &iam.ListUsersInput{})
list:
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			listErr = fmt.Errorf("list users: %w", err)
			break
		}
		for _, u := range page.Users {
			if res.account == "" {
				if a, err := arn.Parse(aws.ToString(u.Arn)); err == nil {
					res.account = a.AccountID
				}
			}
			mu.Lock()
			i := len(res.users)
			res.users = append(res.users, agecheck.UserKeys{})
			mu.Unlock()
			listed.Add(1)
			select {
			case jobs <- job{i, aws.ToString(u.UserName)}:
			case <-ctx.Done():
				listErr = ctx.Err()
				break list
			}
		}
		show()
	}
	close(jobs)
	wg.Wait()
	show()
	if progress != nil {
		fmt.Fprintln(progress)
	}
	if listErr == nil {
		listErr = ctx.Err()
	}
	if listErr != nil {
		return scanResult{}, listErr
	}
	return res, nil
}

// readUser reads one user's keys and the last use of those that need it.
func readUser(ctx context.Context, client scanIAM, name string, p agecheck.Policy, now time.Time) agecheck.UserKeys {
	u := agecheck.UserKeys{UserName: name}
	pages := iam.NewListAccessKeysPaginator(client, &iam.ListAccessKeysInput{UserName: aws.String(name)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			code := errorCode(err)
			if code == "NoSuchEntity" { // deleted after ListUsers listed it
				return agecheck.UserKeys{UserName: name, Deleted: true}
			}
			return agecheck.UserKeys{UserName: name, Error: &agecheck.ScanError{Error: "Iam." + code, Cause: errorMessage(err)}}
		}
		for _, k := range page.AccessKeyMetadata {
			ak := agecheck.AccessKey{AccessKeyID: aws.ToString(k.AccessKeyId), Status: string(k.Status), UserName: name}
			if k.CreateDate != nil {
				ak.CreateDate = agecheck.ParseTimestamp(k.CreateDate.UTC().Format(time.RFC3339))
			}
			u.Keys = append(u.Keys, ak)
		}
	}
	for i := range u.Keys {
		k := &u.Keys[i]
		if !agecheck.NeedsLastUsed(*k, p, now) {
			continue
		}
		out, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(k.AccessKeyID)})
		if err != nil || out.AccessKeyLastUsed == nil {
			continue // unknown: Check never reports it as unused
		}
		lu := out.AccessKeyLastUsed
		last := agecheck.LastUsed{ServiceName: aws.ToString(lu.ServiceName), Region: aws.ToString(lu.Region)}
		if lu.LastUsedDate != nil {
			last.Date = lu.LastUsedDate.UTC()
		}
		k.LastUsed = &last
	}
	return u
}

// errorCode is the AWS error code of err ("Unknown" when it has none).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return "Unknown"
}

// errorMessage is IAM's own message for an API error, else the whole error.
func errorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return err.Error()
}

// credentialsHint says what to do when the scan failed for want of credentials, or "".
func credentialsHint(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "get credentials") || strings.Contains(msg, "failed to refresh cached credentials") ||
		strings.Contains(msg, "no EC2 IMDS role found") {
		return "no AWS credentials were found: set AWS_PROFILE or --profile (after `aws sso login` for an SSO profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	}
	return ""
}

// progressBarWidth is the number of cells of the progress bar.
const progressBarWidth = 20

// progressBar draws the users checked of those listed so far as [#####...............]; the
// total grows while ListUsers pages arrive, so the bar can move back a little.
func progressBar(checked, listed int64) string {
	filled := 0
	if listed > 0 {
		filled = int(min(checked, listed) * progressBarWidth / listed)
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", progressBarWidth-filled) + "]"
}
