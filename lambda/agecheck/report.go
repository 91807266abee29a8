package agecheck

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// maxSubjectLength is one less than SNS's limit: the subject must stay under 100 characters.
const maxSubjectLength = 99

// neverUsedService is what GetAccessKeyLastUsed reports as ServiceName (and Region) for a key
// that was never used; with no LastUsedDate it means "never used", not "unknown".
const neverUsedService = "N/A"

// FindingLogMessage is the msg of the JSON log line written for every finding: search the
// function's log group for it to see findings a trimmed message leaves out.
const FindingLogMessage = "access key finding"

// UncheckedLogMessage is the msg of the JSON log line written for every unchecked user.
const UncheckedLogMessage = "unchecked user"

// MessageBody is the machine-readable notification: the "default" body of the SNS message,
// which SQS, Lambda, HTTPS and email-json subscribers receive.
type MessageBody struct {
	Account        string          `json:"account"`
	Now            string          `json:"now"`
	Policy         Policy          `json:"policy"`
	Severity       string          `json:"severity"`
	Kinds          []string        `json:"kinds"`          // the kinds of finding present (Report.Kinds); counts.stale, .warning, .unused count each
	Root           *RootCheck      `json:"root,omitempty"` // the root control's verdict; absent when it is off
	Counts         Counts          `json:"counts"`
	Findings       []Finding       `json:"findings"`
	UncheckedUsers []UncheckedUser `json:"uncheckedUsers"`
	// Truncated is set when Findings or UncheckedUsers list fewer entries than the counts:
	// every finding is still in the function's log group (FindingLogMessage).
	Truncated bool `json:"truncated"`
	// Exemptions says which exemptions hid which keys, which end soon or have ended, and what
	// user tags exempt (report_exemptions.go); absent when there are none.
	Exemptions *ExemptionsBody `json:"exemptions,omitempty"`
	// Test is set on a test run's message (absent otherwise): the scan is real, but the message
	// was sent to check delivery, whether or not anything was found.
	Test bool `json:"test,omitempty"`
	// Owners says, when owners are on, which owners could not be reached (counts.noOwner
	// counts the keys without one).
	Owners *OwnerDigest `json:"owners,omitempty"`
	// Changes is set on a message of a run with notify: changes (report_ledger.go).
	Changes *ChangesBody `json:"changes,omitempty"`
}

// snsMessage is the MessageStructure "json" document: one body per protocol. SMS subscribers
// (an accepted protocol) would otherwise get the default body, a JSON document of up to
// MaxMessageBytes, split into dozens of billed text messages: they get the subject line alone.
type snsMessage struct {
	Default string `json:"default"`
	Email   string `json:"email"`
	SMS     string `json:"sms"`
}

// TestSubjectPrefix starts the subject of a test run's message.
const TestSubjectPrefix = "Test run: "

// NewReport turns the scan's final Summary into the notification. It publishes when some key
// is stale, due soon or unused, and also when some user could not be checked or some key's last
// use could not be looked up (the unused control could not judge it), so a scan that could not
// read everything is never silent. The message, JSON-encoded, fits MaxMessageBytes: rows beyond it
// are left out and the message says how many it shows of how many. Its error is one of
// measuring the message (jsonSize).
func NewReport(s Summary, p Policy, account string, now time.Time) (Report, error) {
	return newReport(s, p, account, now, false, MaxMessageBytes)
}

// NewTestReport is NewReport for a test run: it always publishes, findings or not (severity
// SeverityNone when there are none), with the subject starting with TestSubjectPrefix and the
// bodies saying it is a test, so that an operator can see subscribers receive the mail.
func NewTestReport(s Summary, p Policy, account string, now time.Time) (Report, error) {
	return newReport(s, p, account, now, true, MaxMessageBytes)
}

// newReport builds the report with a message of at most maxBytes (JSON-encoded).
func newReport(s Summary, p Policy, account string, now time.Time, test bool, maxBytes int) (Report, error) {
	if s.Flagged+s.Unchecked+s.LastUsedUnknown <= 0 && !rootPresent(s) && !rootUnchecked(s) && !test {
		return Report{Publish: false, Account: account}, nil
	}
	prefix := ""
	if test {
		prefix = TestSubjectPrefix
	}
	r := Report{
		Publish:  true,
		Subject:  subject(s, p, account, prefix),
		Severity: severityOf(s),
		Kinds:    string(marshalNoEscape(kindsOf(s))),
		Account:  account,
		Test:     test,
		card:     cardFacts{owners: s.Owners},
	}
	nowText := formatTime(now)
	ex := exemptionsBody(s, p, now)
	render := func(nFindings, nUnchecked int) string {
		return renderMessage(s, p, ex, account, nowText, r.Severity, r.Subject, test, nFindings, nUnchecked)
	}
	// The message travels JSON-encoded, as a string inside the function's result and the state
	// machine's state, where quotes and backslashes double: it is that encoding that must fit.
	var sizeErr error
	tooBig := func(m string) bool {
		n, err := jsonSize(m)
		sizeErr = cmp.Or(sizeErr, err)
		return n > maxBytes
	}
	nF, nU := len(s.Findings), len(s.UncheckedUsers)
	msg := render(nF, nU)
	if tooBig(msg) {
		// The size grows with the rows shown: find the most findings that fit with every
		// listed unchecked user, else the most unchecked users that fit with no finding.
		nF = sort.Search(nF+1, func(n int) bool { return tooBig(render(n, nU)) }) - 1
		if nF < 0 {
			nF = 0
			nU = sort.Search(nU+1, func(n int) bool { return tooBig(render(0, n)) }) - 1
			nU = max(nU, 0)
		}
		msg = render(nF, nU)
	}
	if sizeErr != nil {
		return Report{}, sizeErr
	}
	r.Message = msg
	return r, nil
}

// severityOf applies the precedence of the Severity constants. A key failing a control (stale
// or unused) makes the message SeverityStale, as it makes its finding (kindSet.severity).
func severityOf(s Summary) string {
	switch {
	case s.Stale > 0 || s.Unused > 0 || rootPresent(s):
		return SeverityStale
	case s.Unchecked > 0 || rootUnchecked(s) || s.LastUsedUnknown > 0:
		return SeverityUnchecked
	case s.Warning > 0:
		return SeverityWarning
	default:
		return SeverityNone
	}
}

// kindsOf lists the kinds of finding present in s, in the order of the Kind constants: the
// value of the message attribute "kinds". It is never empty, so that the attribute (a String.Array)
// always has a value: a message with no finding (unchecked users only, or a test run) says
// ["none"].
func kindsOf(s Summary) []string {
	var k kindSet
	if rootPresent(s) {
		k |= kindRoot
	}
	if s.Stale > 0 {
		k |= kindStale
	}
	if s.Warning > 0 {
		k |= kindWarning
	}
	if s.Unused > 0 {
		k |= kindUnused
	}
	if k == 0 {
		return []string{SeverityNone}
	}
	return k.names()
}

// rootPresent and rootUnchecked report the root control's verdict, false when it is off.
func rootPresent(s Summary) bool   { return s.Root != nil && s.Root.Status == RootKeysPresent }
func rootUnchecked(s Summary) bool { return s.Root != nil && s.Root.Status == RootUnchecked }

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Subject is the SNS subject (the mail's subject line): the counts, the threshold and the
// account, under 100 characters and on one line, e.g.
// "3 IAM access keys older than 90 days, 2 due soon, in 123456789012".
func Subject(s Summary, p Policy, account string) string {
	return subject(s, p, account, "")
}

// subject is Subject starting with prefix, the whole under 100 characters. With nothing found
// (a test run) it says so.
func subject(s Summary, p Policy, account, prefix string) string {
	var parts []string
	switch {
	case rootPresent(s):
		parts = append(parts, "Root user has access keys")
	case rootUnchecked(s):
		parts = append(parts, "Root keys not checked")
	}
	if s.Stale > 0 {
		parts = append(parts, fmt.Sprintf("%s older than %d days",
			plural(s.Stale, "IAM access key", "IAM access keys"), p.MaxAgeDays))
	}
	if s.Unused > 0 {
		if len(parts) > 0 {
			parts = append(parts, fmt.Sprintf("%d unused", s.Unused)) // the days are in the body: room for the rest
		} else {
			parts = append(parts, fmt.Sprintf("%s unused for %d days",
				plural(s.Unused, "IAM access key", "IAM access keys"), p.UnusedDays))
		}
	}
	if s.Warning > 0 {
		if len(parts) > 0 {
			parts = append(parts, fmt.Sprintf("%d due soon", s.Warning))
		} else {
			parts = append(parts, fmt.Sprintf("%s due soon (older than %d of %d days)",
				plural(s.Warning, "IAM access key", "IAM access keys"), p.WarnAgeDays, p.MaxAgeDays))
		}
	}
	if s.Unchecked > 0 {
		if len(parts) > 0 {
			parts = append(parts, plural(s.Unchecked, "user unchecked", "users unchecked"))
		} else {
			parts = append(parts, plural(s.Unchecked, "IAM user", "IAM users")+" not checked for old access keys")
		}
	}
	if s.LastUsedUnknown > 0 {
		if len(parts) > 0 {
			parts = append(parts, fmt.Sprintf("%d last use unknown", s.LastUsedUnknown))
		} else {
			parts = append(parts, plural(s.LastUsedUnknown, "IAM access key", "IAM access keys")+" not checked for use (last use unknown)")
		}
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("no IAM access keys older than %d days", p.MaxAgeDays))
	}
	text := prefix + strings.Join(parts, ", ") + ", in " + oneLine(account)
	if len(text) > maxSubjectLength {
		text = prefix + fmt.Sprintf("IAM keys in %s: %d older than %dd, %d due soon, %d unchecked",
			oneLine(account), s.Stale, p.MaxAgeDays, s.Warning, s.Unchecked)
		if s.Unused > 0 || len(text) > maxSubjectLength {
			// Every count, without the thresholds: with five-digit counts they would not fit.
			text = prefix + fmt.Sprintf("IAM keys in %s: %d stale, %d unused, %d due soon, %d unchecked",
				oneLine(account), s.Stale, s.Unused, s.Warning, s.Unchecked)
		}
		if rootPresent(s) || rootUnchecked(s) {
			// The root finding comes first; the counts follow, as short as they get.
			counts := fmt.Sprintf("%s: %d stale, %d unused, %d due soon, %d unchecked",
				oneLine(account), s.Stale, s.Unused, s.Warning, s.Unchecked)
			text = prefix + parts[0] + "; " + counts
			if len(text) > maxSubjectLength {
				short := "root keys"
				if rootUnchecked(s) {
					short = "root unchecked"
				}
				text = prefix + strings.Replace(counts, ": ", ": "+short+", ", 1)
			}
		}
	}
	return truncateUTF8(text, maxSubjectLength)
}

// oneLine replaces control characters (line breaks, tabs) with spaces: a subject or a table
// cell must stay on its line.
func oneLine(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return ' '
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) }

// renderMessage builds the SNS message showing the first nFindings findings and nUnchecked
// unchecked users of s; subject is the SMS body.
func renderMessage(s Summary, p Policy, ex *ExemptionsBody, account, now, severity, subject string, test bool, nFindings, nUnchecked int) string {
	findings := s.Findings[:nFindings]
	unchecked := s.UncheckedUsers[:nUnchecked]
	truncated := nFindings < s.Flagged || nUnchecked < s.Unchecked
	body := MessageBody{
		Account:        account,
		Now:            now,
		Policy:         p,
		Severity:       severity,
		Kinds:          kindsOf(s),
		Root:           s.Root,
		Counts:         s.Counts,
		Findings:       findings,
		UncheckedUsers: unchecked,
		Truncated:      truncated,
		Exemptions:     ex,
		Test:           test,
		Owners:         s.Owners,
	}
	if body.Findings == nil {
		body.Findings = []Finding{}
	}
	if body.UncheckedUsers == nil {
		body.UncheckedUsers = []UncheckedUser{}
	}
	msg := snsMessage{
		Default: string(marshalNoEscape(body)),
		Email:   emailText(s, p, ex, account, now, test, findings, unchecked, truncated),
		SMS:     subject,
	}
	return string(marshalNoEscape(msg))
}

// marshalNoEscape encodes v without HTML escaping: the bodies are not HTML, and escaping
// "<" and ">" would only cost bytes. The types passed here always encode.
func marshalNoEscape(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic("agecheck: encoding a message failed: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// emailText is the plain-text body for email subscribers.
func emailText(s Summary, p Policy, ex *ExemptionsBody, account, now string, test bool, findings []Finding, unchecked []UncheckedUser, truncated bool) string {
	var b strings.Builder
	if test {
		b.WriteString("TEST RUN: this message was sent because the run was started with the input {\"test\": true}, " +
			"to check that notifications reach their subscribers. The scan below is real.\n\n")
	}
	fmt.Fprintf(&b, "IAM access key age check of AWS account %s at %s.\n", oneLine(account), now)
	writePolicy(&b, p)

	var headline []string
	switch {
	case rootPresent(s):
		headline = append(headline, "The root user has access keys (Security Hub IAM.4)")
	case rootUnchecked(s):
		headline = append(headline, "The root user's access keys could not be checked ("+oneLine(s.Root.Cause)+")")
	}
	if s.Stale > 0 {
		headline = append(headline, plural(s.Stale, "active key is", "active keys are")+
			fmt.Sprintf(" older than %d days", p.MaxAgeDays))
	}
	if s.Warning > 0 {
		headline = append(headline, plural(s.Warning, "active key is", "active keys are")+
			fmt.Sprintf(" older than %d days and due soon", p.WarnAgeDays))
	}
	if s.Unused > 0 {
		headline = append(headline, plural(s.Unused, "active key was", "active keys were")+
			fmt.Sprintf(" not used for %d days", p.UnusedDays))
	}
	if s.Unchecked > 0 {
		headline = append(headline, plural(s.Unchecked, "user's keys", "users' keys")+" could not be read")
	}
	if len(headline) == 0 { // a test run that found nothing
		headline = append(headline, fmt.Sprintf("Nothing found: no active key is older than %d days", p.MaxAgeDays))
		if p.WarnAgeDays > 0 {
			headline[0] += fmt.Sprintf(" or %d days", p.WarnAgeDays)
		}
		headline[0] += ", and every user's keys were read"
	}
	b.WriteString(strings.Join(headline, "; "))
	b.WriteString(".\n")
	if truncated {
		fmt.Fprintf(&b, "Too many to list: below are the %d oldest of %d flagged keys; see the note at the end.\n",
			len(findings), s.Flagged)
	}

	if len(findings) > 0 || rootPresent(s) {
		b.WriteString("\n")
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tKIND\tUSER\tACCESS KEY ID\tAGE (DAYS)\tCREATED\tLAST USED")
		if rootPresent(s) { // the account's one root finding, first
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t-\n", SeverityStale, KindRoot, rootUserName)
		}
		for _, f := range findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", oneLine(f.Severity), oneLine(strings.Join(f.Kinds, "+")),
				oneLine(f.UserName), oneLine(f.AccessKeyID), f.AgeDays, datePart(f.CreateDate), lastUsedText(f))
		}
		_ = tw.Flush() // writes to a strings.Builder, which cannot fail
		b.WriteString("\nWhat to do:\n")
		for _, kind := range kindsOf(s) {
			if todo, ok := whatToDo[kind]; ok {
				fmt.Fprintf(&b, "  %s: %s\n", kind, todo)
			}
		}
	}
	if s.LastUsedUnknown > 0 {
		fmt.Fprintf(&b, "\n%s old enough to be unused could not be looked up (GetAccessKeyLastUsed failed): "+
			"not reported as unused; see the function's log group (\"last-used lookup failed\").\n",
			plural(s.LastUsedUnknown, "active key's last use", "active keys' last use"))
	}

	writeUncheckedUsers(&b, "so their keys were not judged", unchecked)

	writeOwnerSections(&b, s, findings, 0, truncated)
	writeExemptions(&b, ex, findings)

	fmt.Fprintf(&b, "\nUsers scanned: %d. Compliant active keys: %d. Not judged: %s of exempt users, %s, %s.\n",
		s.Users, s.Compliant, plural(s.Exempt, "key", "keys"), plural(s.Inactive, "inactive key", "inactive keys"),
		plural(s.Deleted, "user deleted during the scan", "users deleted during the scan"))

	if truncated {
		fmt.Fprintf(&b, "\nThis message shows %d of %d flagged keys", len(findings), s.Flagged)
		if s.Unchecked > 0 {
			fmt.Fprintf(&b, " and %d of %d unchecked users", len(unchecked), s.Unchecked)
		}
		fmt.Fprintf(&b, " (oldest first). Every finding is in the age-check function's CloudWatch log group "+
			"as one JSON line with msg %q.\n", FindingLogMessage)
	}
	return b.String()
}

// whatToDo is the email's advice for each kind of finding present.
// rootUserName stands for the root user in the email's table.
const rootUserName = "(root user)"

var whatToDo = map[string]string{
	KindRoot:    "sign in as the root user and delete its access keys (Security Hub IAM.4); use IAM roles instead.",
	KindStale:   "create a new key, move its users to it, deactivate the old key, then delete it.",
	KindWarning: "plan the rotation: the key becomes stale soon.",
	KindUnused:  "deactivate the key; delete it if nothing breaks (an unused key is access nobody needs).",
}

// datePart shows the date of a timestamp, or its text if it is not one.
func datePart(ts Timestamp) string {
	switch {
	case ts.Valid():
		return ts.Time().Format(time.DateOnly)
	case ts.IsZero():
		return "-"
	}
	return oneLine(ts.String())
}

// lastUsedText shows when and where a key was last used, "never" when IAM says so, and
// "unknown" when the lookup failed.
func lastUsedText(f Finding) string {
	if f.LastUsedDate.IsZero() {
		if f.LastUsedService == neverUsedService {
			return "never"
		}
		return "unknown"
	}
	text := datePart(f.LastUsedDate)
	var where []string
	for _, v := range []string{f.LastUsedService, f.LastUsedRegion} {
		if v != "" && v != neverUsedService {
			where = append(where, oneLine(v))
		}
	}
	if len(where) > 0 {
		text += " (" + strings.Join(where, ", ") + ")"
	}
	return text
}

// writeUncheckedUsers lists the users whose keys could not be read, each with its error and
// cause, under a heading that ends with why it matters; nothing when there are none.
func writeUncheckedUsers(b *strings.Builder, why string, unchecked []UncheckedUser) {
	if len(unchecked) == 0 {
		return
	}
	fmt.Fprintf(b, "\nUsers whose keys could not be read (after retries), %s:\n", why)
	for _, u := range unchecked {
		fmt.Fprintf(b, "  %s: %s", oneLine(u.UserName), oneLine(u.Error))
		if u.Cause != "" {
			fmt.Fprintf(b, ": %s", oneLine(u.Cause))
		}
		b.WriteString("\n")
	}
}
