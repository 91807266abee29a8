package agecheck

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// ChangesBody is the part of the machine-readable body (MessageBody.Changes) a run with
// notify: changes adds: what is new, the reminders due and the keys resolved, each listed up to
// what fits MaxMessageBytes, with exact counts.
type ChangesBody struct {
	New           []Announced `json:"new"`
	Reminders     []Announced `json:"reminders"`
	Resolved      []Resolved  `json:"resolved"`
	NewCount      int         `json:"newCount"`
	ReminderCount int         `json:"reminderCount"`
	ResolvedCount int         `json:"resolvedCount"`
	QuietCount    int         `json:"quietCount"` // findings announced before and not due
	// QuietNoOwnerCount counts the quiet findings without an owner: counts.noOwner counts
	// every flagged key without an owner, the digest lists only the new and reminded ones.
	QuietNoOwnerCount int `json:"quietNoOwnerCount,omitempty"`
	RemindEveryDays   int `json:"remindEveryDays"`
}

// NewChangesReport is NewReport for a run with notify: changes: it publishes when something is
// new, a reminder is due or a key was resolved (c), and, as every run, when a user's keys, a
// key's last use or the root user could not be read: not reading is never quiet. The digest
// lists new findings, then reminders, then resolved keys, then the totals of s; the subject
// says what is new. The message fits MaxMessageBytes: each list is cut to the same length,
// the longest that fits, and the counts stay exact.
func NewChangesReport(s Summary, c Changes, p Policy, lr LedgerRun, account string, now time.Time) (Report, error) {
	return newChangesReport(s, c, p, lr, account, now, MaxMessageBytes)
}

// newChangesReport builds the changes report with a message of at most maxBytes (JSON-encoded):
// less than MaxMessageBytes when the report also carries owner messages.
func newChangesReport(s Summary, c Changes, p Policy, lr LedgerRun, account string, now time.Time, maxBytes int) (Report, error) {
	if !c.Something() && s.Unchecked+s.LastUsedUnknown <= 0 && !rootUnchecked(s) {
		return Report{Publish: false, Account: account}, nil
	}
	r := Report{
		Publish:  true,
		Subject:  changesSubject(s, c, account),
		Severity: severityOf(s),
		Kinds:    string(marshalNoEscape(kindsOf(s))),
		Account:  account,
		card:     cardFacts{changes: &c, owners: s.Owners},
	}
	nowText := formatTime(now)
	ex := exemptionsBody(s, p, now) // every digest lists the exemptions, as every-run's does
	render := func(n, nUnchecked int) string {
		return renderChanges(s, c, p, ex, lr, account, nowText, r.Subject, r.Severity, n, nUnchecked)
	}
	var sizeErr error
	tooBig := func(m string) bool {
		n, err := jsonSize(m)
		sizeErr = cmp.Or(sizeErr, err)
		return n > maxBytes
	}
	longest := max(len(c.New), len(c.Reminders), len(c.Resolved))
	n, nU := longest, len(s.UncheckedUsers)
	msg := render(n, nU)
	if tooBig(msg) {
		n = sort.Search(n+1, func(k int) bool { return tooBig(render(k, nU)) }) - 1
		if n < 0 {
			n = 0
			nU = max(sort.Search(nU+1, func(k int) bool { return tooBig(render(0, k)) })-1, 0)
		}
		msg = render(n, nU)
	}
	if sizeErr != nil {
		return Report{}, sizeErr
	}
	r.Message = msg
	return r, nil
}

// changesSubject says what is new first, then the reminders, the resolved keys and the
// unchecked users, under 100 characters, e.g. "2 new IAM access key findings (1 stale), 3
// reminders, 1 resolved, in 123456789012".
func changesSubject(s Summary, c Changes, account string) string {
	var parts []string
	if rootUnchecked(s) {
		parts = append(parts, "Root keys not checked")
	}
	if n := len(c.New); n > 0 {
		stale := 0
		for _, a := range c.New {
			if a.Severity == SeverityStale {
				stale++
			}
		}
		text := plural(n, "new IAM access key finding", "new IAM access key findings")
		if stale > 0 && stale < n {
			text += fmt.Sprintf(" (%d stale)", stale)
		}
		parts = append(parts, text)
	} else if len(c.Reminders)+len(c.Resolved) > 0 {
		parts = append(parts, "No new IAM access key findings")
	}
	if n := len(c.Reminders); n > 0 {
		parts = append(parts, plural(n, "reminder", "reminders"))
	}
	if n := len(c.Resolved); n > 0 {
		parts = append(parts, fmt.Sprintf("%d resolved", n))
	}
	if s.Unchecked > 0 {
		parts = append(parts, plural(s.Unchecked, "user unchecked", "users unchecked"))
	}
	if s.LastUsedUnknown > 0 {
		parts = append(parts, fmt.Sprintf("%d last use unknown", s.LastUsedUnknown))
	}
	return truncateUTF8(strings.Join(parts, ", ")+", in "+oneLine(account), maxSubjectLength)
}

// renderChanges builds the SNS message listing the first n entries of each list of c and the
// first nUnchecked unchecked users of s.
func renderChanges(s Summary, c Changes, p Policy, ex *ExemptionsBody, lr LedgerRun, account, now, subject, severity string, n, nUnchecked int) string {
	cb := ChangesBody{
		New:       c.New[:min(n, len(c.New))],
		Reminders: c.Reminders[:min(n, len(c.Reminders))],
		Resolved:  c.Resolved[:min(n, len(c.Resolved))],
		NewCount:  len(c.New), ReminderCount: len(c.Reminders), ResolvedCount: len(c.Resolved),
		QuietCount: c.Quiet, RemindEveryDays: lr.RemindEveryDays,
		QuietNoOwnerCount: max(s.NoOwner-noOwner(c.New)-noOwner(c.Reminders), 0),
	}
	for _, l := range []*[]Announced{&cb.New, &cb.Reminders} {
		if *l == nil {
			*l = []Announced{}
		}
	}
	if cb.Resolved == nil {
		cb.Resolved = []Resolved{}
	}
	unchecked := s.UncheckedUsers[:nUnchecked]
	truncated := n < max(len(c.New), len(c.Reminders), len(c.Resolved)) || nUnchecked < s.Unchecked
	findings := make([]Finding, 0, len(cb.New)+len(cb.Reminders))
	for _, a := range append(append([]Announced{}, cb.New...), cb.Reminders...) {
		findings = append(findings, a.Finding)
	}
	body := MessageBody{
		Account: account, Now: now, Policy: p, Severity: severity, Kinds: kindsOf(s), Root: s.Root,
		Counts: s.Counts, Findings: findings, UncheckedUsers: unchecked, Truncated: truncated, Changes: &cb,
		Exemptions: ex, Owners: s.Owners,
	}
	if body.UncheckedUsers == nil {
		body.UncheckedUsers = []UncheckedUser{}
	}
	msg := snsMessage{
		Default: string(marshalNoEscape(body)),
		Email:   changesEmail(s, cb, p, ex, findings, account, now, unchecked, truncated),
		SMS:     subject,
	}
	return string(marshalNoEscape(msg))
}

// changesEmail is the plain-text digest: new, reminders, resolved, unchecked users,
// exemptions, totals.
func changesEmail(s Summary, cb ChangesBody, p Policy, ex *ExemptionsBody, findings []Finding, account, now string, unchecked []UncheckedUser, truncated bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "IAM access key age check of AWS account %s at %s: what changed since the last message.\n", oneLine(account), now)
	fmt.Fprintf(&b, "Policy: active access keys are rotated within %d days (Security Hub IAM.3)", p.MaxAgeDays)
	if p.UnusedDays > 0 {
		fmt.Fprintf(&b, "; active keys are used at least every %d days (Security Hub IAM.22)", p.UnusedDays)
	}
	fmt.Fprintf(&b, ". Findings already announced are reminded every %d days.\n", cb.RemindEveryDays)

	table := func(title string, count int, list []Announced) {
		if count == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s (%d", title, count)
		if len(list) < count {
			fmt.Fprintf(&b, ", %d listed", len(list))
		}
		b.WriteString("):\n")
		tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "WHY\tSEVERITY\tKIND\tUSER\tACCESS KEY ID\tAGE (DAYS)\tFIRST SEEN\tLAST USED")
		for _, a := range list {
			why := a.Reason
			if a.Reason == ReasonReminder {
				why = fmt.Sprintf("reminder %d", a.Reminded)
			}
			key, age, used := a.AccessKeyID, fmt.Sprint(a.AgeDays), lastUsedText(a.Finding)
			if a.AccessKeyID == RootKey {
				key, age, used = "-", "-", "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", why, oneLine(a.Severity), oneLine(strings.Join(a.Kinds, "+")),
				oneLine(a.UserName), oneLine(key), age, datePart(a.FirstSeen), used)
		}
		_ = tw.Flush() // writes to a strings.Builder, which cannot fail
	}
	table("New", cb.NewCount, cb.New)
	table("Reminders", cb.ReminderCount, cb.Reminders)
	if cb.ResolvedCount > 0 {
		fmt.Fprintf(&b, "\nResolved since the last message (%d", cb.ResolvedCount)
		if len(cb.Resolved) < cb.ResolvedCount {
			fmt.Fprintf(&b, ", %d listed", len(cb.Resolved))
		}
		b.WriteString("):\n")
		for _, r := range cb.Resolved {
			fmt.Fprintf(&b, "  %s %s (was %s, first seen %s): %s\n", oneLine(r.UserName), oneLine(r.AccessKeyID), oneLine(r.Severity),
				datePart(r.FirstSeen), oneLine(cmp.Or(r.Reason, ResolvedGone)))
		}
	}
	switch {
	case rootUnchecked(s):
		b.WriteString("\nThe root user's access keys could not be checked (" + oneLine(s.Root.Cause) + ").\n")
	}
	if s.LastUsedUnknown > 0 {
		fmt.Fprintf(&b, "\n%s could not be looked up: see the function's log group (\"last-used lookup failed\").\n",
			plural(s.LastUsedUnknown, "active key's last use", "active keys' last use"))
	}
	writeUncheckedUsers(&b, "announced on every run", unchecked)
	writeExemptions(&b, ex, findings)
	writeOwnerSections(&b, s, findings, cb.QuietNoOwnerCount, truncated)
	fmt.Fprintf(&b, "\nTotals: %d users scanned; %d keys flagged (%d stale, %d unused, %d due soon), %d of them announced before and not due; "+
		"%d users unchecked; %d compliant active keys.\n",
		s.Users, s.Flagged, s.Stale, s.Unused, s.Warning, cb.QuietCount, s.Unchecked, s.Compliant)
	if truncated {
		fmt.Fprintf(&b, "\nToo many to list: every finding is in the age-check function's CloudWatch log group as one JSON line with msg %q.\n",
			FindingLogMessage)
	}
	return b.String()
}

// noOwner counts the findings of as without an owner.
func noOwner(as []Announced) int {
	n := 0
	for _, a := range as {
		if a.Owner == "" {
			n++
		}
	}
	return n
}
