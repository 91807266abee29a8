package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/keyage/keyage/internal/awstest"
	"github.com/keyage/keyage/lambda/lambdatest"
)

// fakeAccount starts a fake IAM endpoint answering for an empty account, 123456789012, and points
// the AWS SDK at it with static test credentials and a standard retryer without backoff (the
// retries, not the waits, are tested).
func fakeAccount(t testing.TB) *lambdatest.Account {
	t.Helper()
	f := lambdatest.NewAccount("123456789012")
	endpoint := lambdatest.NewIAM(t, f)
	awstest.Env(t, map[string]string{"AWS_ENDPOINT_URL_IAM": endpoint.URL})
	old := scanAWSOptions
	scanAWSOptions = []func(*awsconfig.LoadOptions) error{awsconfig.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			o.RateLimiter = ratelimit.None
		})
	})}
	t.Cleanup(func() { scanAWSOptions = old })
	return f
}

func keyID(n int) string { return fmt.Sprintf("AKIA%016d", n) }

// scanCLI runs `keyage scan args...` and returns its status, stdout and stderr.
func scanCLI(ctx context.Context, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	status := scanCommand(ctx, args, &stdout, &stderr)
	return status, stdout.String(), stderr.String()
}

var scanNow = time.Now().UTC()

func daysAgo(d int) time.Time { return scanNow.Add(-time.Duration(d) * 24 * time.Hour) }

// mixedAccount is 2,000 users with pages of 7: every 100th user has a key 200 days old
// last used 10 days ago (stale), every 100th+1 one a 60-day-old key never used (unused under
// the defaults), user 5 is denied, user 6 deleted after ListUsers listed it; the rest have
// one fresh key.
func mixedAccount(f *lambdatest.Account, n int) {
	for i := range n {
		u := &lambdatest.User{Name: fmt.Sprintf("user-%04d", i)}
		switch {
		case i == 5:
			u.Error = &lambdatest.IAMError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "not authorized to perform iam:ListAccessKeys"}
		case i == 6:
			u.DeletedAfterListing = true
		case i%100 == 0:
			u.Keys = []*lambdatest.Key{{ID: keyID(i), Status: "Active", Created: daysAgo(200), LastUsed: daysAgo(10), LastService: "s3", LastRegion: "us-east-1"}}
		case i%100 == 1:
			u.Keys = []*lambdatest.Key{{ID: keyID(i), Status: "Active", Created: daysAgo(60)}}
		default:
			u.Keys = []*lambdatest.Key{{ID: keyID(i), Status: "Active", Created: daysAgo(3)}}
		}
		f.Add(u)
	}
	f.PageSize = func(int, int) int { return 7 }
}

func TestScanJSON(t *testing.T) {
	f := fakeAccount(t)
	mixedAccount(f, 2000)
	f.Throttle("ListUsers", 2)
	f.Throttle("ListAccessKeys", 3)
	status, stdout, stderr := scanCLI(t.Context(), "--format", "json")
	if status != exitFindings {
		t.Fatalf("status %d, want %d (findings); stderr %q", status, exitFindings, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr %q, want nothing when it is not a terminal", stderr)
	}
	var body struct {
		Severity string
		Kinds    []string
		Root     struct{ Status string }
		Counts   struct{ Users, Stale, Unused, Unchecked, Deleted, Compliant int }
		Findings []struct {
			UserName string
			Kinds    []string
		}
		UncheckedUsers []struct{ UserName, Error, Cause string }
	}
	if err := json.Unmarshal([]byte(stdout), &body); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	c := body.Counts
	if c.Users != 2000 || c.Stale != 20 || c.Unused != 20 || c.Unchecked != 1 || c.Deleted != 1 || c.Compliant != 2000-40-2 {
		t.Errorf("counts %+v, want 2000 users, 20 stale, 20 unused, 1 unchecked, 1 deleted, 1958 compliant", c)
	}
	if len(body.UncheckedUsers) != 1 || body.UncheckedUsers[0].UserName != "user-0005" || !strings.Contains(body.UncheckedUsers[0].Error, "AccessDenied") {
		t.Errorf("unchecked users %+v, want user-0005 denied", body.UncheckedUsers)
	}
	if body.Root.Status != "absent" || body.Severity != "stale" || len(body.Findings) != 40 {
		t.Errorf("root %q, severity %q, %d findings; want absent, stale, 40", body.Root.Status, body.Severity, len(body.Findings))
	}
	// Every user listed once (2000/7 pages, two throttled), every user's keys asked for once
	// beyond the throttled requests, and last use only for the keys that need it.
	if got, want := f.Requests("ListUsers"), (2000+6)/7+2; got != want {
		t.Errorf("%d ListUsers requests, want %d", got, want)
	}
	if got, want := f.Requests("ListAccessKeys"), 2000+3; got != want {
		t.Errorf("%d ListAccessKeys requests, want %d", got, want)
	}
	if got := len(f.KeyCalls()); got != 40 {
		t.Errorf("%d GetAccessKeyLastUsed calls, want 40 (the stale and the 60-day-old keys)", got)
	}
}

func TestScanTableAndCSV(t *testing.T) {
	f := fakeAccount(t)
	mixedAccount(f, 300)
	status, stdout, stderr := scanCLI(t.Context())
	if status != exitFindings || !strings.HasPrefix(stdout, "Subject: ") || !strings.Contains(stdout, "user-0100") || !strings.Contains(stdout, "user-0005") {
		t.Errorf("scan = %d, %q, %q; want 3 and the email with user-0100 and unchecked user-0005", status, stdout, stderr)
	}
	out := filepath.Join(t.TempDir(), "findings.csv")
	status, stdout, stderr = scanCLI(t.Context(), "--format", "csv", "--output", out)
	if status != exitFindings || stdout != "" {
		t.Fatalf("scan --format csv --output = %d, %q, %q; want 3 and nothing on stdout", status, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The defaults read owners (ownerTagKeys: owner): an owner column follows.
	if len(rows) != 1+6+1 || strings.Join(rows[0], ",") != strings.Join(scanCSVHeader, ",")+",owner" {
		t.Fatalf("csv rows %q, want the header, 6 findings and the unchecked user", rows)
	}
	if r := rows[7]; r[0] != "user-0005" || r[2] != "unchecked" || r[9] != "Iam.AccessDenied" || r[10] == "" {
		t.Errorf("last row %q, want unchecked user-0005 with its error and cause", r)
	}
	if info, err := os.Stat(out); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("--output file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	// A path that cannot be written fails before any IAM call.
	calls := f.Requests("ListUsers")
	status, _, stderr = scanCLI(t.Context(), "--format", "csv", "--output", filepath.Join(t.TempDir(), "missing", "x.csv"))
	if status != exitScanFailed || !strings.Contains(stderr, "--output") || f.Requests("ListUsers") != calls {
		t.Errorf("scan --output into a missing directory = %d, %q, %d ListUsers calls; want 1, an --output error, and no scan", status, stderr, f.Requests("ListUsers")-calls)
	}
	if r := rows[1]; r[0] != "user-0000" || r[1] != keyID(0) || r[2] != "stale" || r[3] != "stale" || r[4] != "200" || r[7] != "s3" || r[11] != scanNoOwner {
		t.Errorf("first row %q, want user-0000's stale key, 200 days, last used by s3, no owner", r)
	}
}

func TestScanNoFinding(t *testing.T) {
	f := fakeAccount(t)
	f.Add(&lambdatest.User{Name: "alice", Keys: []*lambdatest.Key{{ID: keyID(1), Status: "Active", Created: daysAgo(1)}}})
	status, stdout, stderr := scanCLI(t.Context(), "--format", "json")
	if status != exitOK || !strings.Contains(stdout, `"publish": false`) {
		t.Errorf("scan = %d, %q, %q; want 0 and publish false", status, stdout, stderr)
	}
	// GetAccountSummary failing leaves the root user unchecked, never compliant.
	f.Update(func(a *lambdatest.Account) { a.AccountSummaryFails = true })
	if status, stdout, _ := scanCLI(t.Context(), "--format", "json"); status != exitFindings || !strings.Contains(stdout, `"status": "unchecked"`) {
		t.Errorf("scan with GetAccountSummary denied = %d, %q; want 3 and the root unchecked", status, stdout)
	}
	// A root key alone is a finding.
	f.Update(func(a *lambdatest.Account) { a.AccountSummaryFails, a.RootAccessKeys = false, true })
	if status, stdout, _ := scanCLI(t.Context()); status != exitFindings || !strings.Contains(stdout, "root") {
		t.Errorf("scan with a root key = %d, %q; want 3 and the root finding", status, stdout)
	}
	// Every reason for status 3 is a csv row: here the root key alone.
	status, stdout, _ = scanCLI(t.Context(), "--format", "csv")
	want := strings.Join(scanCSVHeader, ",") + ",owner\n" + scanRootUser + ",,stale,root,,,,,,,,\n"
	if status != exitFindings || stdout != want {
		t.Errorf("scan --format csv with a root key = %d, %q; want 3 and %q", status, stdout, want)
	}
}

func TestScanFails(t *testing.T) {
	f := fakeAccount(t)
	f.Throttle("ListUsers", 1000) // beyond the standard retryer's attempts
	status, _, stderr := scanCLI(t.Context())
	if status != exitScanFailed || !strings.Contains(stderr, "list users") || !strings.Contains(stderr, "Throttling") {
		t.Errorf("scan with ListUsers always throttled = %d, %q; want 1 and the error", status, stderr)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	status, _, stderr = scanCLI(ctx)
	if status != exitScanFailed || !strings.Contains(stderr, "interrupted") {
		t.Errorf("scan interrupted = %d, %q; want 1 and interrupted", status, stderr)
	}
}

func TestScanUsage(t *testing.T) {
	for _, args := range [][]string{{"--format", "xml"}, {"extra"}, {"--nope"}} {
		status, _, stderr := scanCLI(t.Context(), args...)
		if status != exitUsage || stderr == "" {
			t.Errorf("scan %q = %d, %q; want 2 and why", args, status, stderr)
		}
	}
	if _, _, stderr := scanCLI(t.Context(), "--format", "xml"); !strings.Contains(stderr, `--format "xml": want one of table, json, csv`) {
		t.Errorf("stderr %q, want the setting, the value and what is allowed", stderr)
	}
}

func TestScanStackPolicy(t *testing.T) {
	f := fakeAccount(t)
	mixedAccount(f, 300)
	// Pulumi.prod.yaml's policy, not the defaults, judges the keys: whatever it is, scan
	// must load it and refuse a stack that does not exist.
	status, _, stderr := scanCLI(t.Context(), "--stack", "nosuchstack", "--dir", "../..")
	if status != exitScanFailed || !strings.Contains(stderr, "nosuchstack") {
		t.Errorf("scan --stack nosuchstack = %d, %q; want 1 naming the stack file", status, stderr)
	}
	if status, stdout, stderr := scanCLI(t.Context(), "--stack", "prod", "--dir", "../..", "--format", "json"); status != exitFindings || !strings.Contains(stdout, `"policy"`) {
		t.Errorf("scan --stack prod = %d, %q, %q", status, stdout, stderr)
	}
}

// BenchmarkScan scans 5,000 users with one key each, in pages of 7 (mixedAccount), against the fake IAM.
func BenchmarkScan(b *testing.B) {
	f := fakeAccount(b)
	mixedAccount(f, 5000)
	b.ReportAllocs()
	start := time.Now()
	for b.Loop() {
		if status, _, stderr := scanCLI(context.Background(), "--format", "json"); status != exitFindings {
			b.Fatalf("status %d: %s", status, stderr)
		}
	}
	b.ReportMetric(float64(5000*b.N)/time.Since(start).Seconds(), "users/s")
}

func TestScanProgressOnTerminal(t *testing.T) {
	f := fakeAccount(t)
	mixedAccount(f, 50)
	old := scanIsTerminal
	scanIsTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { scanIsTerminal = old })
	status, _, stderr := scanCLI(t.Context(), "--format", "json")
	if want := "\rkeyage scan: [####################] 50 users listed, 50 checked\n"; status != exitFindings || !strings.HasSuffix(stderr, want) || !strings.HasPrefix(stderr, "\rkeyage scan: ") {
		t.Errorf("scan on a terminal = %d, stderr %q; want progress lines ending %q", status, stderr, want)
	}
}

// readmeAccount is the account of the README's `keyage scan` example, scanned at 2026-12-01.
func readmeAccount(t *testing.T) {
	f := fakeAccount(t)
	date := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	f.Add(
		&lambdatest.User{Name: "alice", Keys: []*lambdatest.Key{{ID: "AKIAIOSFODNN7EXAMPLE", Status: "Active", Created: date("2026-05-01"),
			LastUsed: date("2026-11-28"), LastService: "s3", LastRegion: "eu-west-1"}}, Tags: map[string]string{"owner": "team-payments"}},
		&lambdatest.User{Name: "bob", Keys: []*lambdatest.Key{{ID: "AKIAI44QH8DHBEXAMPLE", Status: "Active", Created: date("2026-10-01")}}},
		&lambdatest.User{Name: "carol", Error: &lambdatest.IAMError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "User: arn:aws:iam::123456789012:user/scanner is not authorized to perform: iam:ListAccessKeys"}},
		&lambdatest.User{Name: "dave", Keys: []*lambdatest.Key{{ID: "AKIAJ5Q7R2EXAMPLEKEY", Status: "Active", Created: date("2026-11-20")}}},
	)
	old := scanClock
	scanClock = func() time.Time { return date("2026-12-01").Add(8 * time.Hour) }
	t.Cleanup(func() { scanClock = old })
}

// TestScanREADMEExample checks that the README's `keyage scan` example is the command's output.
func TestScanREADMEExample(t *testing.T) {
	readmeAccount(t)
	status, stdout, stderr := scanCLI(t.Context())
	if status != exitFindings {
		t.Fatalf("status %d, want 3; stderr %q", status, stderr)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- scan example output -->\n```text\n", "```\n<!-- end scan example output -->"
	text := string(readme)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README has no block between %q and %q; the output is:\n%s", begin, end, stdout)
	}
	if got := text[i+len(begin) : j]; got != stdout {
		t.Errorf("README's scan example output differs from the output; the output is:\n%s", stdout)
	}
}

// TestScanConcurrency checks that the stack's maxConcurrency bounds the IAM calls in flight,
// ListUsers pages included, and that the scan uses it.
func TestScanConcurrency(t *testing.T) {
	f := fakeAccount(t)
	mixedAccount(f, 120)
	f.Latency = 2 * time.Millisecond
	dir := writeStack(t, "c", "config:\n  keyage:maxConcurrency: 4\n  keyage:subscriptions:\n    - protocol: email\n      endpoint: sec@example.com\n")
	status, _, stderr := scanCLI(t.Context(), "--stack", "c", "--dir", dir, "--format", "json")
	if status != exitFindings {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	if got := f.MaxInFlight(); got != 4 {
		t.Errorf("%d IAM calls in flight at most, want maxConcurrency, 4", got)
	}
}

func TestProgressBar(t *testing.T) {
	for _, c := range []struct {
		checked, listed int64
		want            string
	}{
		{0, 0, "[....................]"},
		{0, 40, "[....................]"},
		{10, 40, "[#####...............]"},
		{39, 40, "[###################.]"},
		{40, 40, "[####################]"},
	} {
		if got := progressBar(c.checked, c.listed); got != c.want {
			t.Errorf("progressBar(%d, %d) = %q, want %q", c.checked, c.listed, got, c.want)
		}
	}
}

// TestScanWithoutCredentials: no credentials anywhere fails at once, status 1, saying what to set.
func TestScanWithoutCredentials(t *testing.T) {
	fakeAccount(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "")
	status, stdout, stderr := scanCLI(t.Context())
	if status != exitScanFailed || stdout != "" || !strings.Contains(stderr, "no AWS credentials were found: set AWS_PROFILE or --profile") {
		t.Errorf("scan without credentials = %d, %q, %q; want 1 and the credentials hint", status, stdout, stderr)
	}
}

// TestScanOwnersAndTagExemptions: with ownerTagKeys and tagExemptions, the scan reads the tags
// of flagged users only (ListUserTags, as the function does), applies tag exemptions, and shows
// each finding's owner (the first tag key present), the keys without one, and an owner whose
// tags could not be read.
func TestScanOwnersAndTagExemptions(t *testing.T) {
	f := fakeAccount(t)
	stale := func(id string) []*lambdatest.Key {
		return []*lambdatest.Key{{ID: id, Status: "Active", Created: daysAgo(200), LastUsed: daysAgo(1), LastService: "s3", LastRegion: "us-east-1"}}
	}
	until := scanNow.AddDate(0, 0, 30).Format(time.DateOnly)
	f.Add(
		&lambdatest.User{Name: "ann", Keys: stale(keyID(1)), Tags: map[string]string{"owner": "ann@example.com", "team": "payments"}},
		&lambdatest.User{Name: "ben", Keys: stale(keyID(2)), Tags: map[string]string{"Team": "search"}},
		&lambdatest.User{Name: "cid", Keys: stale(keyID(3))},
		&lambdatest.User{Name: "dot", Keys: stale(keyID(4)), Tags: map[string]string{"keyage-exempt-until": until, "keyage-exempt-reason": "vendor migration", "owner": "x"}},
		&lambdatest.User{Name: "eve", Keys: stale(keyID(5)), TagsDenied: true},
		&lambdatest.User{Name: "fay", Keys: []*lambdatest.Key{{ID: keyID(6), Status: "Active", Created: daysAgo(2)}}, Tags: map[string]string{"owner": "y"}},
	)
	dir := writeStack(t, "own", "config:\n  keyage:tagExemptions: true\n  keyage:ownerTagKeys: [owner, team]\n  keyage:unusedDays: 0\n")
	status, stdout, stderr := scanCLI(t.Context(), "--stack", "own", "--dir", dir, "--format", "json")
	if status != exitFindings {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	var body struct {
		Counts   struct{ Stale, Exempt, NoOwner int }
		Findings []struct {
			UserName, Owner string
			OwnerUnknown    bool
		}
		Owners struct{ TagKeys []string }
	}
	if err := json.Unmarshal([]byte(stdout), &body); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	owners := map[string]string{}
	for _, fd := range body.Findings {
		owners[fd.UserName] = fd.Owner
		if fd.OwnerUnknown {
			owners[fd.UserName] = "?"
		}
	}
	want := map[string]string{"ann": "ann@example.com", "ben": "search", "cid": "", "eve": "?"}
	if fmt.Sprint(owners) != fmt.Sprint(want) || body.Counts.Stale != 4 || body.Counts.Exempt != 1 || body.Counts.NoOwner != 2 ||
		strings.Join(body.Owners.TagKeys, ",") != "owner,team" {
		t.Errorf("owners %v, counts %+v, tag keys %v; want %v, 4 stale, dot exempt by its tags, 2 without an owner", owners, body.Counts, body.Owners.TagKeys, want)
	}
	// Tags are read for the users with findings only, each once: not for fay.
	if got := f.Requests("ListUserTags"); got != 5 {
		t.Errorf("%d ListUserTags calls, want 5 (the flagged users, once each)", got)
	}
	status, stdout, _ = scanCLI(t.Context(), "--stack", "own", "--dir", dir)
	for _, line := range []string{"No owner: 2 keys of users without an owner tag (owner, team)", "\nOwners (owner, team):\n",
		"ann   " + keyID(1) + "  ann@example.com\n", "cid   " + keyID(3) + "  " + scanNoOwner + "\n", "eve   " + keyID(5) + "  " + scanOwnerUnknown + "\n"} {
		if status != exitFindings || !strings.Contains(stdout, line) {
			t.Errorf("table output lacks %q:\n%s", line, stdout)
		}
	}
}
