package agecheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/golden"
)

const testAccount = "123456789012"

func TestSubject(t *testing.T) {
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 75}
	tests := []struct {
		name string
		s    Summary
		want string
	}{
		{"stale and warning", Summary{Counts: Counts{Stale: 3, Warning: 2, Flagged: 3 + 2}}, "3 IAM access keys older than 90 days, 2 due soon, in 123456789012"},
		{"one stale", Summary{Counts: Counts{Stale: 1, Flagged: 1}}, "1 IAM access key older than 90 days, in 123456789012"},
		{"only warnings", Summary{Counts: Counts{Warning: 2, Flagged: 2}}, "2 IAM access keys due soon (older than 75 of 90 days), in 123456789012"},
		{"one warning", Summary{Counts: Counts{Warning: 1, Flagged: 1}}, "1 IAM access key due soon (older than 75 of 90 days), in 123456789012"},
		{"only unchecked", Summary{Counts: Counts{Unchecked: 1}}, "1 IAM user not checked for old access keys, in 123456789012"},
		{"several unchecked", Summary{Counts: Counts{Unchecked: 4}}, "4 IAM users not checked for old access keys, in 123456789012"},
		{"stale and unchecked", Summary{Counts: Counts{Stale: 2, Unchecked: 1, Flagged: 2}}, "2 IAM access keys older than 90 days, 1 user unchecked, in 123456789012"},
		{"warning and unchecked", Summary{Counts: Counts{Warning: 2, Unchecked: 3, Flagged: 2}}, "2 IAM access keys due soon (older than 75 of 90 days), 3 users unchecked, in 123456789012"},
		{"everything", Summary{Counts: Counts{Stale: 1, Warning: 1, Unchecked: 1, Flagged: 1 + 1}}, "1 IAM access key older than 90 days, 1 due soon, 1 user unchecked, in 123456789012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Subject(tt.s, p, testAccount); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSubjectStaysShort(t *testing.T) {
	for _, s := range []Summary{
		{Counts: Counts{Stale: 10000, Warning: 10000, Unchecked: 5000, Flagged: 10000 + 10000}},
		{Counts: Counts{Stale: 999999, Warning: 999999, Unchecked: 999999, Flagged: 999999 + 999999}},
		{Counts: Counts{Stale: math.MaxInt, Warning: math.MaxInt, Unchecked: math.MaxInt, Flagged: math.MaxInt}},
		{Counts: Counts{Warning: 1000000000, Flagged: 1000000000}},
	} {
		got := Subject(s, Policy{MaxAgeDays: 3650, WarnAgeDays: 3649}, testAccount)
		if len(got) >= 100 || strings.ContainsAny(got, "\r\n") {
			t.Errorf("subject %q is %d characters or has a line break, want under 100 on one line", got, len(got))
		}
		if !strings.Contains(got, testAccount) {
			t.Errorf("subject %q does not name the account", got)
		}
	}
}

func TestReportPublishesOnlyWithFindings(t *testing.T) {
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 75}
	tests := []struct {
		name     string
		s        Summary
		publish  bool
		severity string
	}{
		{"all clear", Summary{Counts: Counts{Users: 5, Compliant: 8, Exempt: 1, Inactive: 1, Deleted: 1}}, false, ""},
		{"stale wins", Summary{Counts: Counts{Stale: 1, Warning: 1, Unchecked: 1, Flagged: 1 + 1}}, true, SeverityStale},
		{"unchecked before warning", Summary{Counts: Counts{Warning: 1, Unchecked: 1, Flagged: 1}}, true, SeverityUnchecked},
		{"only warnings", Summary{Counts: Counts{Warning: 1, Flagged: 1}}, true, SeverityWarning},
		{"only unchecked is never all clear", Summary{Counts: Counts{Users: 3, Compliant: 4, Unchecked: 1}}, true, SeverityUnchecked},
		{"a last use unknown is never all clear", Summary{Counts: Counts{Users: 1, Compliant: 1, LastUsedUnknown: 1}}, true, SeverityUnchecked},
		{"stale before last use unknown", Summary{Counts: Counts{Stale: 1, Flagged: 1, LastUsedUnknown: 1}}, true, SeverityStale},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(NewReport(tt.s, p, testAccount, testNow))
			if r.Publish != tt.publish || r.Severity != tt.severity || r.Account != testAccount {
				t.Errorf("got publish=%v severity=%q account=%q, want %v %q %q", r.Publish, r.Severity, r.Account, tt.publish, tt.severity, testAccount)
			}
			if !tt.publish && (r.Subject != "" || r.Message != "") {
				t.Errorf("got subject %q and a message for a report that does not publish", r.Subject)
			}
			if tt.publish {
				var m map[string]string
				if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
					t.Fatalf("message is not a MessageStructure json document: %v", err)
				}
				if m["default"] == "" || m["email"] == "" || len(m) != 3 {
					t.Errorf("got message keys %v, want default, email and sms", m)
				}
				if m["sms"] != r.Subject {
					t.Errorf("got sms body %q, want the subject %q (SMS would otherwise get the JSON default body)", m["sms"], r.Subject)
				}
				if strings.Contains(strings.ToLower(m["email"]), "all clear") {
					t.Errorf("email claims all clear: %s", m["email"])
				}
			}
		})
	}
}

// goldenSummary is a small scan with one of everything.
func goldenSummary() Summary {
	return Summary{
		Counts: Counts{Users: 9, Deleted: 1, Unchecked: 2, Exempt: 3, Inactive: 2, Compliant: 4, Warning: 1, Stale: 2, Flagged: 2 + 1},
		Findings: []Finding{
			{UserName: "legacy-batch", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", CreateDate: ParseTimestamp("2023-01-15T09:30:00Z"), AgeDays: 1408,
				Severity: SeverityStale, Kinds: []string{KindStale}, LastUsedService: "N/A", LastUsedRegion: "N/A"},
			{UserName: "alice", AccessKeyID: "AKIAI44QH8DHBEXAMPLE", CreateDate: ParseTimestamp("2026-05-01T12:00:00Z"), AgeDays: 205,
				Severity: SeverityStale, Kinds: []string{KindStale}, LastUsedDate: ParseTimestamp("2026-11-20T17:04:00Z"), LastUsedService: "s3", LastUsedRegion: "eu-west-1"},
			{UserName: "deploy-bot", AccessKeyID: "AKIAJ6QH7GHEXAMPLE02", CreateDate: ParseTimestamp("2026-08-30T08:00:00Z"), AgeDays: 85,
				Severity: SeverityWarning, Kinds: []string{KindWarning}},
		},
		UncheckedUsers: []UncheckedUser{
			{UserName: "carol", Error: "Iam.IamException", Cause: "Rate exceeded (Service: Iam, Status Code: 400, Request ID: 1a2b)"},
			{UserName: "dave", Error: "States.Timeout"},
		},
	}
}

func TestReportGolden(t *testing.T) {
	s := goldenSummary()
	s.ExemptionKeys = []int{3} // exemptUsers' keys
	r := must(NewReport(s, Policy{MaxAgeDays: 90, WarnAgeDays: 75, ExemptUsers: []string{"svc-*"}}, testAccount, testNow))
	if !r.Publish || r.Severity != SeverityStale {
		t.Fatalf("got publish=%v severity=%q, want true, stale", r.Publish, r.Severity)
	}
	if want := "2 IAM access keys older than 90 days, 1 due soon, 2 users unchecked, in 123456789012"; r.Subject != want {
		t.Errorf("got subject %q, want %q", r.Subject, want)
	}
	var m snsMessage
	if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
		t.Fatal(err)
	}
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(m.Default), "", "  "); err != nil {
		t.Fatalf("default body is not JSON: %v", err)
	}
	indented.WriteString("\n")
	golden.Check(t, filepath.Join("testdata", "report.default.json"), indented.Bytes())
	golden.Check(t, filepath.Join("testdata", "report.email.txt"), []byte(m.Email))
}

func TestReportTruncatesToMessageBudget(t *testing.T) {
	// The largest summary the state machine can hand over: a merged, trimmed 5,000-user scan.
	s := must(Merge(nil, bigResults()))
	r := must(NewReport(s, Policy{MaxAgeDays: 90}, testAccount, testNow))
	if len(r.Message) > MaxMessageBytes {
		t.Fatalf("message is %d bytes, want <= %d", len(r.Message), MaxMessageBytes)
	}
	m, body := decodeMessage(t, r)
	if !body.Truncated || body.Counts.Stale != 10000 || body.Counts.Unchecked != 200 {
		t.Errorf("got truncated=%v stale=%d unchecked=%d, want true, 10000, 200", body.Truncated, body.Counts.Stale, body.Counts.Unchecked)
	}
	shown := fmt.Sprintf("This message shows %d of 10000 flagged keys and %d of 200 unchecked users",
		len(body.Findings), len(body.UncheckedUsers))
	if !strings.Contains(m.Email, shown) || !strings.Contains(m.Email, FindingLogMessage) {
		t.Errorf("email does not say %q and where the rest is:\n%s", shown, m.Email[len(m.Email)-600:])
	}
	if rows := strings.Count(m.Email, "\nstale "); rows != len(body.Findings) {
		t.Errorf("email has %d rows, the default body %d findings, want the same", rows, len(body.Findings))
	}

	// Now force trimming inside the report: a summary larger than any merge would produce.
	var big Summary
	for _, r := range bigResults() {
		big.Users += r.Users
		big.Stale += r.Stale
		big.Flagged += r.Flagged
		big.Findings = append(big.Findings, r.Findings...)
	}
	r = must(NewReport(big, Policy{MaxAgeDays: 90}, testAccount, testNow))
	if len(r.Message) > MaxMessageBytes {
		t.Fatalf("message is %d bytes, want <= %d", len(r.Message), MaxMessageBytes)
	}
	if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(m.Default), &body); err != nil {
		t.Fatal(err)
	}
	if n := len(body.Findings); n == 0 || n >= 10000 || !body.Truncated {
		t.Errorf("got %d findings shown, truncated=%v; want some of 10000 and truncated", n, body.Truncated)
	}
	if grown := must(jsonSize(renderMessage(big, Policy{MaxAgeDays: 90}, nil, testAccount, formatTime(testNow), SeverityStale, Subject(big, Policy{MaxAgeDays: 90}, testAccount), false, len(body.Findings)+1, 0))); grown <= MaxMessageBytes {
		t.Errorf("report showed %d findings though %d fit (%d bytes)", len(body.Findings), len(body.Findings)+1, grown)
	}
}

func TestEmailKeepsCellsOnOneLine(t *testing.T) {
	s := Summary{Counts: Counts{Stale: 1, Unchecked: 1, Flagged: 1},
		Findings:       []Finding{{UserName: "evil\nname", AccessKeyID: "AKIA\tX", CreateDate: ParseTimestamp("2020-01-01T00:00:00Z"), Severity: SeverityStale, Kinds: []string{KindStale}}},
		UncheckedUsers: []UncheckedUser{{UserName: "u", Error: "E", Cause: "line1\nline2\r\n"}},
	}
	r := must(NewReport(s, Policy{MaxAgeDays: 90}, testAccount, testNow))
	var m snsMessage
	if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Email, "evil name") || !strings.Contains(m.Email, "  u: E: line1 line2  \n") {
		t.Errorf("control characters were not flattened:\n%s", m.Email)
	}
}

// decodeMessage decodes a report's SNS message document and its machine-readable default body.
func decodeMessage(t *testing.T, r Report) (snsMessage, MessageBody) {
	t.Helper()
	var m snsMessage
	if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
		t.Fatalf("SNS message %q: %v", r.Message, err)
	}
	var body MessageBody
	if err := json.Unmarshal([]byte(m.Default), &body); err != nil {
		t.Fatalf("default body %q: %v", m.Default, err)
	}
	return m, body
}

// TestTestReportAlwaysPublishes: a test run publishes whatever it found, with the subject and
// both bodies marked as a test; with nothing found the severity is SeverityNone (SNS refuses an
// empty attribute value). A test run's report is otherwise the scheduled run's.
func TestTestReportAlwaysPublishes(t *testing.T) {
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 75}
	tests := []struct {
		name     string
		s        Summary
		subject  string
		severity string
		headline string
	}{
		{"nothing found", Summary{Counts: Counts{Users: 5, Compliant: 8, Exempt: 1}},
			"Test run: no IAM access keys older than 90 days, in 123456789012", SeverityNone,
			"Nothing found: no active key is older than 90 days or 75 days, and every user's keys were read."},
		{"stale", Summary{Counts: Counts{Users: 1, Stale: 1, Flagged: 1}, Findings: []Finding{{UserName: "a", AccessKeyID: "AKIAX", CreateDate: ParseTimestamp("2020-01-01T00:00:00Z"), AgeDays: 2000, Severity: SeverityStale, Kinds: []string{KindStale}}}},
			"Test run: 1 IAM access key older than 90 days, in 123456789012", SeverityStale, "1 active key is older than 90 days."},
		{"only unchecked", Summary{Counts: Counts{Users: 1, Unchecked: 1}, UncheckedUsers: []UncheckedUser{{UserName: "u", Error: "E"}}},
			"Test run: 1 IAM user not checked for old access keys, in 123456789012", SeverityUnchecked, "1 user's keys could not be read."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(NewTestReport(tt.s, p, testAccount, testNow))
			if !r.Publish || !r.Test || r.Subject != tt.subject || r.Severity != tt.severity || r.Account != testAccount {
				t.Errorf("got %+v, want publish and test, subject %q, severity %q", r, tt.subject, tt.severity)
			}
			m, body := decodeMessage(t, r)
			if !body.Test || body.Severity != tt.severity || body.Counts != tt.s.Counts {
				t.Errorf("default body: test %v, severity %q, counts %+v; want true, %q, %+v", body.Test, body.Severity, body.Counts, tt.severity, tt.s.Counts)
			}
			if !strings.HasPrefix(m.Email, "TEST RUN: ") || !strings.Contains(m.Email, tt.headline) {
				t.Errorf("email does not start with TEST RUN or lacks %q:\n%s", tt.headline, m.Email)
			}
			if m.SMS != r.Subject {
				t.Errorf("sms %q, want the subject %q", m.SMS, r.Subject)
			}
			// Apart from the marks, the same as a scheduled run's report.
			if plain := must(NewReport(tt.s, p, testAccount, testNow)); plain.Publish && (plain.Severity != r.Severity || TestSubjectPrefix+plain.Subject != r.Subject) {
				t.Errorf("scheduled report %+v and test report %+v differ beyond the test marks", plain, r)
			}
		})
	}
	if r := must(NewReport(Summary{Counts: Counts{Users: 5, Compliant: 8}}, p, testAccount, testNow)); r.Publish || r.Test {
		t.Errorf("a scheduled run that found nothing: got %+v, want no publish", r)
	}
}

func TestTestSubjectStaysShort(t *testing.T) {
	for _, s := range []Summary{
		{Counts: Counts{Stale: 10000, Warning: 10000, Unchecked: 5000, Flagged: 10000 + 10000}},
		{Counts: Counts{Stale: math.MaxInt, Warning: math.MaxInt, Unchecked: math.MaxInt, Flagged: math.MaxInt}},
		{Counts: Counts{Stale: 999, Warning: 999, Unchecked: 999, Flagged: 999 + 999}}, // 92 characters without the prefix, 102 with it
	} {
		r := must(NewTestReport(s, Policy{MaxAgeDays: 3650, WarnAgeDays: 3649}, testAccount, testNow))
		if len(r.Subject) >= 100 || !strings.HasPrefix(r.Subject, TestSubjectPrefix) || !strings.Contains(r.Subject, testAccount) {
			t.Errorf("subject %q (%d characters): want under 100, starting with %q, naming the account", r.Subject, len(r.Subject), TestSubjectPrefix)
		}
	}
	// The prefix pushes a subject that fits on its own into the short form, which still fits whole.
	r := must(NewTestReport(Summary{Counts: Counts{Stale: 999, Warning: 999, Unchecked: 999, Flagged: 999 + 999}}, Policy{MaxAgeDays: 3650, WarnAgeDays: 3649}, testAccount, testNow))
	if want := "Test run: IAM keys in 123456789012: 999 older than 3650d, 999 due soon, 999 unchecked"; r.Subject != want {
		t.Errorf("got subject %q, want %q", r.Subject, want)
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 keys", 1: "1 key", 2: "2 keys"} {
		if got := plural(n, "key", "keys"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSubjectAtTheLengthLimit(t *testing.T) {
	p := Policy{MaxAgeDays: 90}
	prefix := "1 IAM access key older than 90 days, in "
	for total := maxSubjectLength - 2; total <= maxSubjectLength+2; total++ {
		account := strings.Repeat("1", total-len(prefix))
		natural := prefix + account
		got := Subject(Summary{Counts: Counts{Stale: 1, Flagged: 1}}, p, account)
		if len(got) > maxSubjectLength {
			t.Errorf("%d-character natural subject: got %d characters", total, len(got))
		}
		if total <= maxSubjectLength {
			if got != natural {
				t.Errorf("%d-character subject fits, got %q, want %q", total, got, natural)
			}
		} else if !strings.HasPrefix(got, "IAM keys in ") {
			t.Errorf("%d-character subject is too long: got %q, want the compact form", total, got)
		}
	}
}

func TestReportBudgetCountsTheMessageEscaped(t *testing.T) {
	// User names full of quotes and backslashes double in size when the message, a string,
	// is JSON-encoded into the function's result: that encoding must fit MaxMessageBytes. The
	// 300 findings make a message that fits unescaped (about 170 KB) but not escaped (290 KB).
	var s Summary
	name := strings.Repeat(`"\`, 30)
	for i := range 300 {
		s.Stale++
		s.Flagged++
		s.Findings = append(s.Findings, finding(fmt.Sprintf("%s%04d", name, i), fmt.Sprintf("AKIA%016d", i), 2000-i))
	}
	r := must(NewReport(s, Policy{MaxAgeDays: 90}, testAccount, testNow))
	if size := must(jsonSize(r.Message)); size > MaxMessageBytes {
		t.Errorf("JSON-encoded message is %d bytes, want <= %d", size, MaxMessageBytes)
	}
	_, body := decodeMessage(t, r)
	if !body.Truncated || len(body.Findings) == 0 || len(body.Findings) >= 300 {
		t.Errorf("got %d findings shown, truncated=%v; want some of 300 and truncated", len(body.Findings), body.Truncated)
	}
}

func TestReportTruncatedWhenOnlyUncheckedUsersAreCut(t *testing.T) {
	// A merged summary lists at most MaxUncheckedListed users; the count stays exact.
	s := Summary{Counts: Counts{Users: 7, Stale: 1, Unchecked: 5, Flagged: 1},
		Findings:       []Finding{finding("alice", "AKIA1", 100)},
		UncheckedUsers: []UncheckedUser{{UserName: "u1", Error: "E"}, {UserName: "u2", Error: "E"}},
	}
	r := must(NewReport(s, Policy{MaxAgeDays: 90}, testAccount, testNow))
	m, body := decodeMessage(t, r)
	if !body.Truncated {
		t.Error("default body: truncated is false though 2 of 5 unchecked users are listed")
	}
	if want := "This message shows 1 of 1 flagged keys and 2 of 5 unchecked users"; !strings.Contains(m.Email, want) {
		t.Errorf("email does not say %q:\n%s", want, m.Email)
	}
}

func TestEmailCountsZeroInPlural(t *testing.T) {
	r := must(NewReport(Summary{Counts: Counts{Users: 1, Stale: 1, Flagged: 1}, Findings: []Finding{finding("alice", "AKIA1", 100)}}, Policy{MaxAgeDays: 90}, testAccount, testNow))
	var m snsMessage
	if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
		t.Fatal(err)
	}
	if want := "Not judged: 0 keys of exempt users, 0 inactive keys, 0 users deleted during the scan."; !strings.Contains(m.Email, want) {
		t.Errorf("email does not say %q:\n%s", want, m.Email)
	}
}

func TestLastUsedText(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{}, "unknown"},
		{Finding{LastUsedService: "s3"}, "unknown"},
		{Finding{LastUsedService: neverUsedService, LastUsedRegion: neverUsedService}, "never"},
		{Finding{LastUsedDate: ParseTimestamp("2026-11-20T17:04:00Z"), LastUsedService: "s3", LastUsedRegion: "eu-west-1"}, "2026-11-20 (s3, eu-west-1)"},
		{Finding{LastUsedDate: ParseTimestamp("2026-11-20T17:04:00Z"), LastUsedService: neverUsedService, LastUsedRegion: neverUsedService}, "2026-11-20"},
		{Finding{LastUsedDate: ParseTimestamp("2026-11-20T17:04:00Z"), LastUsedRegion: "us-east-1"}, "2026-11-20 (us-east-1)"},
	}
	for _, tt := range tests {
		if got := lastUsedText(tt.f); got != tt.want {
			t.Errorf("lastUsedText(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestReportUnusedKind(t *testing.T) {
	p := Policy{MaxAgeDays: 90, UnusedDays: 45}
	s := Summary{Counts: Counts{Users: 1, Unused: 1, Flagged: 1}, Findings: []Finding{{UserName: "a", AccessKeyID: "AKIAX",
		CreateDate: ParseTimestamp("2026-01-01T00:00:00Z"), AgeDays: 326, Severity: SeverityStale, Kinds: []string{KindUnused}}}}
	r := must(NewReport(s, p, testAccount, testNow))
	if !r.Publish || r.Severity != SeverityStale || r.Kinds != `["unused"]` {
		t.Fatalf("got publish %v severity %q kinds %s, want a publish with severity stale, kinds [unused]", r.Publish, r.Severity, r.Kinds)
	}
	if want := "1 IAM access key unused for 45 days, in 123456789012"; r.Subject != want {
		t.Errorf("got subject %q, want %q", r.Subject, want)
	}
	_, body := decodeMessage(t, r)
	if !slices.Equal(body.Kinds, []string{KindUnused}) || body.Counts.Unused != 1 || !slices.Equal(body.Findings[0].Kinds, []string{KindUnused}) {
		t.Errorf("got body kinds %v, counts %+v, want kinds [unused] and unused 1", body.Kinds, body.Counts)
	}
	// The longest subject with every kind present stays under 100 characters.
	all := Summary{Counts: Counts{Stale: 10000, Warning: 10000, Unused: 10000, Unchecked: 5000, Flagged: 20000}}
	long := Policy{MaxAgeDays: 3650, WarnAgeDays: 3649, UnusedDays: 3650}
	for _, prefix := range []string{"", TestSubjectPrefix} {
		want := prefix + "IAM keys in 123456789012: 10000 stale, 10000 unused, 10000 due soon, 5000 unchecked"
		if got := subject(all, long, testAccount, prefix); len(got) >= 100 || got != want {
			t.Errorf("subject %q (%d characters), want %q, under 100", got, len(got), want)
		}
	}
	// Five-digit counts without unused keys fit whole too, test prefix included.
	big := Summary{Counts: Counts{Stale: 99999, Warning: 99999, Unchecked: 99999, Flagged: 199998}}
	if got := subject(big, long, testAccount, TestSubjectPrefix); len(got) >= 100 || !strings.HasSuffix(got, "99999 unchecked") {
		t.Errorf("subject %q (%d characters), want every count whole, under 100", got, len(got))
	}
	if got := kindsOf(Summary{Counts: Counts{Unchecked: 1}}); !slices.Equal(got, []string{SeverityNone}) {
		t.Errorf("kinds of a message without findings %v, want [none]", got)
	}
}

func TestCheckRoot(t *testing.T) {
	tests := []struct {
		name string
		in   *AccountSummary
		want string
	}{
		{"keys present", &AccountSummary{SummaryMap: map[string]int{"AccountAccessKeysPresent": 1, "Users": 3}}, RootKeysPresent},
		{"no keys", &AccountSummary{SummaryMap: map[string]int{"AccountAccessKeysPresent": 0}}, RootKeysAbsent},
		{"key missing from the map", &AccountSummary{SummaryMap: map[string]int{"Users": 3}}, RootUnchecked},
		{"no SummaryMap", &AccountSummary{}, RootUnchecked},
		{"call failed", &AccountSummary{Error: "Iam.IamException", Cause: "Rate exceeded"}, RootUnchecked},
		{"no answer", nil, RootUnchecked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckRoot(tt.in)
			if got.Status != tt.want || (got.Status == RootUnchecked) != (got.Cause != "") {
				t.Errorf("got %+v, want status %q (with a cause exactly when unchecked)", got, tt.want)
			}
		})
	}
}

func TestReportRootFindingFirst(t *testing.T) {
	p := Policy{MaxAgeDays: 90, UnusedDays: 45, CheckRootKeys: true}
	stale := Summary{Counts: Counts{Users: 1, Stale: 1, Flagged: 1}, Findings: []Finding{{UserName: "a", AccessKeyID: "AKIAX",
		CreateDate: ParseTimestamp("2020-01-01T00:00:00Z"), AgeDays: 2518, Severity: SeverityStale, Kinds: []string{KindStale}}}}
	withRoot := stale
	withRoot.Root = &RootCheck{Status: RootKeysPresent}
	r := must(NewReport(withRoot, p, testAccount, testNow))
	if want := "Root user has access keys, 1 IAM access key older than 90 days, in 123456789012"; r.Subject != want {
		t.Errorf("subject %q, want %q", r.Subject, want)
	}
	if r.Severity != SeverityStale || r.Kinds != `["root","stale"]` {
		t.Errorf("severity %q kinds %s, want stale and [\"root\",\"stale\"]", r.Severity, r.Kinds)
	}
	m, body := decodeMessage(t, r)
	if body.Root == nil || body.Root.Status != RootKeysPresent {
		t.Errorf("body root %+v, want present", body.Root)
	}
	table := m.Email[strings.Index(m.Email, "SEVERITY"):]
	if rows := strings.Split(table, "\n"); len(rows) < 3 || !strings.HasPrefix(rows[1], "stale     root") || !strings.Contains(rows[2], "AKIAX") {
		t.Errorf("email table %q: want the root finding first, then the key", table)
	}

	// Only the root finding: still published. Unchecked root alone: published as unchecked.
	alone := Summary{Counts: Counts{Users: 1, Compliant: 1}, Root: &RootCheck{Status: RootKeysPresent}}
	if r := must(NewReport(alone, p, testAccount, testNow)); !r.Publish || r.Severity != SeverityStale || r.Kinds != `["root"]` {
		t.Errorf("root keys alone: %+v, want a publish with severity stale, kinds [root]", r)
	}
	unchecked := Summary{Counts: Counts{Users: 1, Compliant: 1}, Root: &RootCheck{Status: RootUnchecked, Cause: "Iam.IamException: Rate exceeded"}}
	r = must(NewReport(unchecked, p, testAccount, testNow))
	if !r.Publish || r.Severity != SeverityUnchecked || r.Subject != "Root keys not checked, in 123456789012" {
		t.Errorf("root unchecked: %+v, want a publish with severity unchecked and subject naming it", r)
	}
	if m, _ := decodeMessage(t, r); !strings.Contains(m.Email, "could not be checked (Iam.IamException: Rate exceeded)") {
		t.Errorf("email %q does not say why the root user was not checked", m.Email)
	}
	absent := Summary{Counts: Counts{Users: 1, Compliant: 1}, Root: &RootCheck{Status: RootKeysAbsent}}
	if r := must(NewReport(absent, p, testAccount, testNow)); r.Publish {
		t.Errorf("no root keys, nothing else: %+v, want nothing published", r)
	}

	// The longest subject with the root finding stays under 100 characters and starts with it.
	all := Summary{Counts: Counts{Stale: 10000, Warning: 10000, Unused: 10000, Unchecked: 5000, Flagged: 20000}, Root: &RootCheck{Status: RootKeysPresent}}
	for prefix, want := range map[string]string{
		"":                "Root user has access keys; 123456789012: 10000 stale, 10000 unused, 10000 due soon, 5000 unchecked",
		TestSubjectPrefix: "Test run: 123456789012: root keys, 10000 stale, 10000 unused, 10000 due soon, 5000 unchecked",
	} {
		if got := subject(all, Policy{MaxAgeDays: 3650, WarnAgeDays: 3649, UnusedDays: 3650}, testAccount, prefix); len(got) >= 100 || got != want {
			t.Errorf("subject %q (%d characters), want %q, under 100, the root finding first", got, len(got), want)
		}
	}
}

// TestLastUseUnknownIsAnnounced: when the only thing a run found is keys whose last use could not be
// looked up (iam:GetAccessKeyLastUsed denied, say), it still publishes, says so in the subject
// and the body, and is never all clear: the unused control could not judge those keys.
func TestLastUseUnknownIsAnnounced(t *testing.T) {
	s := Summary{Counts: Counts{Users: 2, Compliant: 2, LastUsedUnknown: 2}}
	r := must(NewReport(s, Policy{MaxAgeDays: 90, UnusedDays: 45}, testAccount, testNow))
	want := "2 IAM access keys not checked for use (last use unknown), in " + testAccount
	if !r.Publish || r.Severity != SeverityUnchecked || r.Subject != want {
		t.Errorf("publish %v severity %q subject %q, want true %q %q", r.Publish, r.Severity, r.Subject, SeverityUnchecked, want)
	}
	if !strings.Contains(r.Message, "last use") {
		t.Errorf("message does not say the last use was unknown:\n%s", r.Message)
	}
}
