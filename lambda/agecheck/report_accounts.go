package agecheck

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Values of the SNS message attribute "scope" in an organization run (issue 8), so that a
// subscription can choose the organization's digest or the accounts' own messages.
const (
	// ScopeOrganization marks the organization's digest (Report.Scope). The digest is about many
	// accounts and carries no "account" attribute: a filter policy {"account": [ID]} takes one
	// account's own messages, never the digest with every other account's findings in it.
	ScopeOrganization = "organization"
	// ScopeAccount marks an account's own message, published by its child with the attribute
	// "account" = its ID.
	ScopeAccount = "account"
)

// OrgMessageBody is the machine-readable digest of an organization run: the "default" body.
type OrgMessageBody struct {
	Scope    string          `json:"scope"` // ScopeOrganization
	Now      string          `json:"now"`
	Policy   Policy          `json:"policy"`
	Severity string          `json:"severity"`
	Kinds    []string        `json:"kinds"`
	Counts   Counts          `json:"counts"`   // totals over every account checked
	Accounts AccountCounts   `json:"accounts"` // what became of the accounts
	Sections []AccountResult `json:"sections"` // unchecked accounts first; possibly fewer than accounts.sections
	// Truncated is set when Sections lists fewer accounts than accounts.sections, or a section
	// fewer findings than its counts: every finding is in the function's log with its account.
	Truncated bool `json:"truncated"`
	Test      bool `json:"test,omitempty"`
	// Changes are the exact sums of the sections' changes when the run remembers.
	Changes *OrgChanges `json:"changes,omitempty"`
	// Exemptions are the policy's exemptions with the keys each hid in every account checked,
	// and how many tag exemptions were read (each account's own message lists its own).
	Exemptions *ExemptionsBody `json:"exemptions,omitempty"`
}

// NewOrgReport turns an organization run's final OrgSummary into the digest: organization totals,
// then a section per account with something to report, unchecked accounts first, fitted to
// MaxMessageBytes by leaving out sections from the end (the counts stay exact). It publishes
// when an account could not be scanned or any account has a finding, an unchecked user, a key
// whose last use is unknown or a root key or unchecked root, and on every test run. When the
// run remembers (o.Changes), a finding announced before and not due is quiet: see orgPublishes.
func NewOrgReport(o OrgSummary, p Policy, now time.Time, test bool) (Report, error) {
	c, a := o.Counts, o.Accounts
	publishes := c.Flagged+c.Unchecked+c.LastUsedUnknown+a.Unchecked+a.RootPresent+a.RootUnknown > 0
	if o.Changes != nil {
		publishes = orgPublishes(o)
	}
	if !publishes && !test {
		return Report{Publish: false, Scope: ScopeOrganization}, nil
	}
	prefix := ""
	if test {
		prefix = TestSubjectPrefix
	}
	r := Report{
		Publish:  true,
		Subject:  orgSubject(o, prefix),
		Severity: orgSeverity(o),
		Kinds:    string(marshalNoEscape(orgKinds(o))),
		Test:     test,
		Scope:    ScopeOrganization,
	}
	nowText := formatTime(now)
	ex := orgExemptionsBody(o, p, now) // every digest lists the exemptions and the keys they hid
	var sizeErr error
	render := func(n int) string {
		return renderOrgMessage(o, p, ex, nowText, r.Severity, r.Subject, test, n)
	}
	tooBig := func(m string) bool {
		n, err := jsonSize(m)
		sizeErr = cmp.Or(sizeErr, err)
		return n > MaxMessageBytes
	}
	n := len(o.Sections)
	msg := render(n)
	if tooBig(msg) {
		n = max(sort.Search(n+1, func(k int) bool { return tooBig(render(k)) })-1, 0)
		msg = render(n)
	}
	if sizeErr != nil {
		return Report{}, sizeErr
	}
	r.Message = msg
	return r, nil
}

func orgSeverity(o OrgSummary) string {
	c, a := o.Counts, o.Accounts
	switch {
	case c.Stale > 0 || c.Unused > 0 || a.RootPresent > 0:
		return SeverityStale
	case c.Unchecked > 0 || c.LastUsedUnknown > 0 || a.Unchecked > 0 || a.RootUnknown > 0:
		return SeverityUnchecked
	case c.Warning > 0:
		return SeverityWarning
	}
	return SeverityNone
}

func orgKinds(o OrgSummary) []string {
	s := Summary{Counts: o.Counts}
	if o.Accounts.RootPresent > 0 {
		s.Root = &RootCheck{Status: RootKeysPresent}
	}
	return kindsOf(s)
}

// orgSubject is the digest's subject: totals over the organization, under 100 characters.
func orgSubject(o OrgSummary, prefix string) string {
	c, a := o.Counts, o.Accounts
	var parts []string
	if o.Changes != nil {
		parts = orgChangesSubject(*o.Changes)
	} else if a.RootPresent > 0 {
		parts = append(parts, plural(a.RootPresent, "root user", "root users")+" with keys")
	}
	for _, n := range []struct {
		n    int
		what string
	}{{c.Stale, "stale"}, {c.Unused, "unused"}, {c.Warning, "due soon"}} {
		if n.n > 0 && o.Changes == nil {
			parts = append(parts, fmt.Sprintf("%d %s", n.n, n.what))
		}
	}
	if c.Unchecked > 0 {
		parts = append(parts, plural(c.Unchecked, "user unchecked", "users unchecked"))
	}
	if a.Unchecked > 0 {
		parts = append(parts, plural(a.Unchecked, "account unchecked", "accounts unchecked"))
	}
	// What was not read publishes on every run: the subject says so, as a single account's does.
	if c.LastUsedUnknown > 0 {
		parts = append(parts, fmt.Sprintf("%d last use unknown", c.LastUsedUnknown))
	}
	if a.RootUnknown > 0 {
		parts = append(parts, "root not checked in "+plural(a.RootUnknown, "account", "accounts"))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing found")
	}
	text := prefix + "IAM keys in " + plural(a.Checked+a.Unchecked, "account", "accounts") + ": " + strings.Join(parts, ", ")
	return truncateUTF8(text, maxSubjectLength)
}

// orgExemptionsBody is the digest's exemptions section: the policy's exemptions with the keys
// each hid in every account checked, and the tag exemptions read (counted, and listed with
// their accounts up to MaxTagExemptionsListed).
func orgExemptionsBody(o OrgSummary, p Policy, now time.Time) *ExemptionsBody {
	var s Summary
	if o.Exemptions != nil {
		s.ExemptionTally = *o.Exemptions
	}
	return exemptionsBody(s, p, now)
}

// renderOrgMessage builds the digest showing the first n sections.
func renderOrgMessage(o OrgSummary, p Policy, ex *ExemptionsBody, now, severity, subject string, test bool, n int) string {
	sections := o.Sections[:n]
	truncated := n < o.Accounts.Sections
	for _, s := range sections {
		if s.Changes != nil && !s.Changes.Busy {
			truncated = truncated || s.Changes.truncated() || len(s.Summary.UncheckedUsers) < s.Summary.Unchecked
			continue
		}
		if s.Summary != nil && (len(s.Summary.Findings) < s.Summary.Flagged || len(s.Summary.UncheckedUsers) < s.Summary.Unchecked) {
			truncated = true
		}
	}
	body := OrgMessageBody{
		Scope: ScopeOrganization, Now: now, Policy: p, Severity: severity, Kinds: orgKinds(o),
		Counts: o.Counts, Accounts: o.Accounts, Sections: sections, Truncated: truncated, Test: test, Changes: o.Changes,
		Exemptions: ex,
	}
	if body.Sections == nil {
		body.Sections = []AccountResult{}
	}
	msg := snsMessage{
		Default: string(marshalNoEscape(body)),
		Email:   orgEmailText(o, p, ex, now, test, sections, truncated),
		SMS:     subject,
	}
	return string(marshalNoEscape(msg))
}

// accountLabel is an account's ID and, when Organizations gave one, its name.
func accountLabel(t Target) string {
	if t.Name == "" {
		return oneLine(t.ID)
	}
	return oneLine(t.ID) + " (" + oneLine(t.Name) + ")"
}

// orgEmailText is the digest's plain-text body: totals, then the sections.
func orgEmailText(o OrgSummary, p Policy, ex *ExemptionsBody, now string, test bool, sections []AccountResult, truncated bool) string {
	var b strings.Builder
	c, a := o.Counts, o.Accounts
	if test {
		b.WriteString("TEST RUN: this message was sent because the run was started with the input {\"test\": true}, " +
			"to check that notifications reach their subscribers. The scan below is real.\n\n")
	}
	fmt.Fprintf(&b, "IAM access key age check of %s of the organization at %s.\n",
		plural(a.Checked+a.Unchecked, "account", "accounts"), now)
	fmt.Fprintf(&b, "Policy: active access keys are rotated within %d days (Security Hub IAM.3)", p.MaxAgeDays)
	if p.UnusedDays > 0 {
		fmt.Fprintf(&b, "; active keys are used at least every %d days (Security Hub IAM.22)", p.UnusedDays)
	}
	b.WriteString(".\n\n")
	if o.Changes != nil {
		orgChangesText(&b, *o.Changes, sections)
	}
	fmt.Fprintf(&b, "Organization totals: %d stale, %d unused, %d due soon, %s, %s; root user with access keys in %s, root not checked in %s.\n",
		c.Stale, c.Unused, c.Warning, plural(c.Unchecked, "user unchecked", "users unchecked"),
		plural(c.LastUsedUnknown, "key's last use unknown", "keys' last use unknown"),
		plural(a.RootPresent, "account", "accounts"), plural(a.RootUnknown, "account", "accounts"))
	fmt.Fprintf(&b, "Accounts: %d checked (%d with nothing to report), %d could not be scanned, %d not active, %d excluded. "+
		"Users scanned: %d. Compliant active keys: %d.\n", a.Checked, a.Clean, a.Unchecked, a.Skipped, a.Excluded, c.Users, c.Compliant)

	for _, s := range sections {
		b.WriteString("\n")
		switch s.Status {
		case AccountUnchecked:
			fmt.Fprintf(&b, "Account %s: NOT CHECKED, its keys were not judged: %s", accountLabel(s.Target), oneLine(s.Error.Error))
			if s.Error.Cause != "" {
				fmt.Fprintf(&b, ": %s", oneLine(truncateUTF8(s.Error.Cause, MaxCauseLength)))
			}
			b.WriteString("\n")
		case AccountSkipped:
			fmt.Fprintf(&b, "Account %s: not scanned, Organizations lists it as %s.\n", accountLabel(s.Target), oneLine(s.Target.state()))
		default:
			accountSection(&b, s)
		}
	}
	writeOrgExemptions(&b, ex, sections)
	if truncated {
		fmt.Fprintf(&b, "\nThis message shows %d of %d accounts with something to report, and at most the oldest findings of each. "+
			"Every finding is in the age-check function's CloudWatch log group as one JSON line with msg %q and its account.\n",
			len(sections), a.Sections, FindingLogMessage)
	}
	return b.String()
}

// accountSection writes one checked account's counts, findings and unchecked users.
func accountSection(b *strings.Builder, r AccountResult) {
	s := r.Summary
	fmt.Fprintf(b, "Account %s: %d stale, %d unused, %d due soon, %s", accountLabel(r.Target), s.Stale, s.Unused, s.Warning,
		plural(s.Unchecked, "user unchecked", "users unchecked"))
	switch {
	case rootPresent(*s):
		b.WriteString("; the root user has access keys (Security Hub IAM.4)")
	case rootUnchecked(*s):
		b.WriteString("; the root user's access keys could not be checked (" + oneLine(s.Root.Cause) + ")")
	}
	fmt.Fprintf(b, ". Users scanned: %d.\n", s.Users)
	if c := r.Changes; c != nil && !c.Busy {
		fmt.Fprintf(b, "  %d new, %d reminders, %d resolved, %d announced before and not due.\n", c.NewCount, c.ReminderCount, c.ResolvedCount, c.QuietCount)
	}
	if len(s.Findings) > 0 {
		tw := tabwriter.NewWriter(b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "  SEVERITY\tKIND\tUSER\tACCESS KEY ID\tAGE (DAYS)\tCREATED\tLAST USED")
		for _, f := range s.Findings {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%s\t%s\n", oneLine(f.Severity), oneLine(strings.Join(f.Kinds, "+")),
				oneLine(f.UserName), oneLine(f.AccessKeyID), f.AgeDays, datePart(f.CreateDate), lastUsedText(f))
		}
		_ = tw.Flush() // writes to a strings.Builder, which cannot fail
		if len(s.Findings) < s.Flagged {
			fmt.Fprintf(b, "  (the %d oldest of %d flagged keys)\n", len(s.Findings), s.Flagged)
		}
	}
	for _, u := range s.UncheckedUsers {
		fmt.Fprintf(b, "  unchecked user %s: %s", oneLine(u.UserName), oneLine(u.Error))
		if u.Cause != "" {
			fmt.Fprintf(b, ": %s", oneLine(u.Cause))
		}
		b.WriteString("\n")
	}
}

// writeOrgExemptions writes the digest's exemptions: the policy's, with the keys each hid in
// every account checked and those ending within EndingSoonDays, the listed findings whose
// exemption ended, and how many tag exemptions the accounts read (each account's own message
// lists its own, with reason and end).
func writeOrgExemptions(b *strings.Builder, ex *ExemptionsBody, sections []AccountResult) {
	if ex == nil {
		return
	}
	var findings []Finding
	for _, s := range sections {
		if s.Summary != nil {
			findings = append(findings, s.Summary.Findings...)
		}
		if s.Changes != nil {
			for _, a := range append(slices.Clone(s.Changes.New), s.Changes.Reminders...) {
				findings = append(findings, a.Finding)
			}
		}
	}
	policy := *ex
	policy.TagExemptionCount = 0
	writeExemptions(b, &policy, findings)
	writeTagExemptions(b, ex, " in the accounts checked", "account and user name", " (each account's own message says why one is refused)", true)
}
