package agecheck

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// MaxOwnerMessagesBytes bounds the JSON encoding of a report's OwnerMessages, all together. The
// digest's own bound shrinks by what they take, so that the report (one state's output) stays
// within MaxMessageBytes plus its few fields, as it does without owners.
const MaxOwnerMessagesBytes = 96 * 1024

// OwnerAttribute is the owners topic's message attribute naming the owner, on which each
// owner subscription's filter policy matches.
const OwnerAttribute = "owner"

// OwnerDigest is what the digest says about reaching owners (Summary.Owners).
type OwnerDigest struct {
	TagKeys []string `json:"tagKeys"` // the tags an owner is read from (Owners.TagKeys)
	// Unmessaged are the owners with findings that got no message on the owners topic: beyond
	// maxMessages, or beyond MaxOwnerMessagesBytes. Their keys are in the digest.
	Unmessaged []string `json:"unmessaged,omitempty"`
	// Unmailed are the owners whose direct mail SES refused or could not take, with the error.
	Unmailed []OwnerFailure `json:"unmailed,omitempty"`
	// MoreUnmessaged and MoreUnmailed count the owners left out of the two lists above, which
	// name at most MaxUnreachedListed each (every one is in the function's log).
	MoreUnmessaged int `json:"moreUnmessaged,omitempty"`
	MoreUnmailed   int `json:"moreUnmailed,omitempty"`
}

// MaxUnreachedListed bounds how many owners the digest names as not messaged, and as not mailed:
// thousands of owners whose mail SES refuses (its sandbox) must not crowd the keys out of the
// digest. The log names every one (OwnerMailLogMessage, OwnerUnmessagedLogMessage).
const MaxUnreachedListed = 100

// OwnerUnmessagedLogMessage is the msg of the log line of an owner that got no message of its own.
const OwnerUnmessagedLogMessage = "owner not messaged"

// bound keeps the first MaxUnreachedListed owners of each list and counts the rest.
func (d *OwnerDigest) bound() {
	if n := len(d.Unmessaged); n > MaxUnreachedListed {
		d.Unmessaged, d.MoreUnmessaged = d.Unmessaged[:MaxUnreachedListed], n-MaxUnreachedListed
	}
	if n := len(d.Unmailed); n > MaxUnreachedListed {
		d.Unmailed, d.MoreUnmailed = d.Unmailed[:MaxUnreachedListed], n-MaxUnreachedListed
	}
}

// OwnerFailure is an owner that could not be reached, and why.
type OwnerFailure struct {
	Owner string `json:"owner"`
	Error string `json:"error"`
}

// OwnerMessage is one message for the owners topic: one owner's keys only. The state machine
// publishes it as it is, with the message attributes owner, severity and account.
type OwnerMessage struct {
	Owner    string `json:"owner"`
	Subject  string `json:"subject"`
	Message  string `json:"message"` // plain text (MessageStructure string)
	Severity string `json:"severity"`
	Account  string `json:"account"`
}

// OwnerMail is one owner's direct mail (SES v2 SendEmail, Content.Simple).
type OwnerMail struct {
	To      string // the owner, an email address
	Subject string
	Text    string
	HTML    string
}

// OwnerMailFunc sends one owner's mail from the sender given; an error means it was not sent.
type OwnerMailFunc func(ctx context.Context, from OwnerEmail, m OwnerMail) error

// OwnerMailLogMessage is the msg of the log line of a mail that could not be sent.
const OwnerMailLogMessage = "owner mail failed"

// ownerGroup is one owner's keys to tell them about, in the order told.
type ownerGroup struct {
	owner    string
	findings []Finding
	// why says, in a run that remembers, why each finding is told (parallel to findings: a
	// Reason, "reminder 2"); nil in a notify: every-run run, which tells every finding.
	why []string
}

// groupByOwner groups the findings that have an owner by owner, owners in byte order.
func groupByOwner(findings []Finding) []ownerGroup {
	byOwner := map[string][]Finding{}
	for _, f := range findings {
		if f.Owner != "" {
			byOwner[f.Owner] = append(byOwner[f.Owner], f)
		}
	}
	groups := make([]ownerGroup, 0, len(byOwner))
	for owner, fs := range byOwner {
		groups = append(groups, ownerGroup{owner: owner, findings: fs})
	}
	slices.SortFunc(groups, func(a, b ownerGroup) int { return strings.Compare(a.owner, b.owner) })
	return groups
}

// groupChanges groups what a run that remembers tells (c.New, then c.Reminders, each oldest
// first) by owner, owners in byte order: an owner gets the new findings and due reminders of
// their own keys only, and an owner none of whose keys is new or due gets nothing. Resolved keys
// are not told to owners: the digest says each once, and an owner's message only ever lists keys
// that need action. The findings come from the run's observations in the ledger (every finding,
// with its owner, before any trimming), so each group is complete.
func groupChanges(c Changes) []ownerGroup {
	byOwner := map[string]*ownerGroup{}
	var groups []*ownerGroup
	for _, a := range slices.Concat(c.New, c.Reminders) {
		if a.Owner == "" {
			continue
		}
		g := byOwner[a.Owner]
		if g == nil {
			g = &ownerGroup{owner: a.Owner, why: []string{}}
			byOwner[a.Owner] = g
			groups = append(groups, g)
		}
		g.findings = append(g.findings, a.Finding)
		g.why = append(g.why, announcedWhy(a))
	}
	out := make([]ownerGroup, len(groups))
	for i, g := range groups {
		out[i] = *g
	}
	slices.SortFunc(out, func(a, b ownerGroup) int { return strings.Compare(a.owner, b.owner) })
	return out
}

// announcedWhy is why a finding is told: its Reason, with the reminder's number.
func announcedWhy(a Announced) string {
	if a.Reason == ReasonReminder {
		return fmt.Sprintf("reminder %d", a.Reminded)
	}
	return a.Reason
}

// reportWithOwners is the report op when owners are on and the run tells every finding
// (notify: every-run, or a test run): the owners of groups are reached (reachOwners) about all
// their keys, then the digest is built, which lists the keys without an owner and every owner
// that could not be reached. groups is nil on a test run, which reaches no owner; incomplete says
// the groups may miss keys.
func (h *Handler) reportWithOwners(ctx context.Context, s Summary, ev Event, now time.Time, groups []ownerGroup, incomplete bool) (Report, error) {
	msgs, digest, budget, err := h.reachOwners(ctx, groups, ev, now, incomplete)
	if err != nil {
		return Report{}, err
	}
	s.Owners = digest
	r, err := newReport(s, ev.Policy, ev.Account, now, ev.Test, budget)
	if err != nil {
		return Report{}, err
	}
	if r.Publish {
		r.OwnerMessages = msgs
	}
	return r, nil
}

// summaryOwnerGroups groups the findings of the run's summary by owner, for a report without the
// run's observations (an event without a ledger): a test run reaches no owner (nil). A stack that
// reaches owners gives its report the observations (LedgerRun.ObserveOnly with notify:
// every-run), whose groups are complete; the summary's may not be, as it holds at most
// MaxSummaryBytes of findings: the messages then say so.
func summaryOwnerGroups(s Summary, ev Event) []ownerGroup {
	if ev.Test {
		return nil
	}
	return groupByOwner(s.Findings)
}

// reachOwners mails the owners of groups who are email addresses and builds the owners topic's
// messages, one per group. It returns the messages, the digest's owner part (who could not be
// reached), and the bytes left for the digest's message (MaxMessageBytes less the messages'),
// so that the report stays within its bound. incomplete says the groups may miss keys (they
// come from a trimmed summary).
func (h *Handler) reachOwners(ctx context.Context, groups []ownerGroup, ev Event, now time.Time, incomplete bool) ([]OwnerMessage, *OwnerDigest, int, error) {
	o := ev.Owners
	digest := &OwnerDigest{TagKeys: o.TagKeys}
	var msgs []OwnerMessage
	nowText := formatTime(now)
	if o.Email != nil && h.OwnerMail != nil && len(groups) > 0 {
		digest.Unmailed = h.mailOwners(ctx, groups, *o.Email, ev, nowText, incomplete)
	}
	if o.MaxMessages > 0 && len(groups) > 0 {
		var err error
		msgs, digest.Unmessaged, err = ownerMessages(groups, ev.Policy, ev.Account, nowText, incomplete, o.MaxMessages, MaxOwnerMessagesBytes)
		if err != nil {
			return nil, nil, 0, err
		}
		for _, owner := range digest.Unmessaged {
			h.logger().LogAttrs(ctx, slog.LevelWarn, OwnerUnmessagedLogMessage, slog.String("owner", owner))
		}
	}
	digest.bound()
	budget := MaxMessageBytes
	if len(msgs) > 0 {
		n, err := jsonSize(msgs)
		if err != nil {
			return nil, nil, 0, err
		}
		budget -= n
	}
	return msgs, digest, budget, nil
}

// mailOwners sends each owner that is an email address their own keys, one mail each, one at a
// time, and returns the owners it could not mail (the error, or that time ran out:
// mails stop LookupReserve before the invocation's deadline).
//
// Mails are paced to from's rate (OwnerEmail.SendInterval): each starts at least one interval
// after the one before, so that SES, which refuses sends over the account's maximum send rate,
// takes every one. A wait that would outlast the invocation stops the mail there, and the owners
// left are listed as not sent.
//
// Mail is sent at most once per owner per run: with the run's ledger (every stack that mails
// owners keeps one, config.Settings.KeepsLedger), each mail is claimed first with a conditional
// write of a per-(run, owner) marker (Ledger.ClaimMail), and the claim is removed when the send
// fails. A report that the state machine retries (its invocation failed or timed out after some
// mails went out) skips the owners it claimed already: they are neither mailed twice nor listed as
// unmailed. An attempt that dies between claim and send leaves that one mail unsent: at most once,
// rather than twice. The wait comes before the claim, so that no claim is held while waiting.
func (h *Handler) mailOwners(ctx context.Context, groups []ownerGroup, from OwnerEmail, ev Event, now string, incomplete bool) []OwnerFailure {
	sendCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithDeadline(ctx, deadline.Add(-LookupReserve))
		defer cancel()
	}
	var claims Ledger
	if ev.Ledger != nil {
		claims = h.Ledger
	}
	var failed []OwnerFailure
	var stopped error  // set once time has run out: every owner left is not sent
	var next time.Time // the earliest start of the next mail; zero before the first
	for _, g := range groups {
		if !IsEmailAddress(g.owner) {
			continue
		}
		err := stopped
		if err == nil {
			if err = sendCtx.Err(); err != nil {
				err = context.Cause(sendCtx)
			} else if d := next.Sub(h.clock()); !next.IsZero() && d > 0 {
				err = h.wait(sendCtx, d)
			}
			if err != nil {
				stopped = fmt.Errorf("not sent: %w", err)
				err = stopped
			}
		}
		if err == nil && claims != nil {
			err = claims.ClaimMail(sendCtx, ev.Account, ev.Ledger.Run, g.owner, h.clock().Add(ObservationLifetime))
			if errors.Is(err, ErrMailClaimed) {
				h.logger().LogAttrs(ctx, slog.LevelInfo, "owner mail sent already", slog.String("owner", g.owner), slog.String("run", ev.Ledger.Run))
				continue
			}
			if err != nil {
				err = fmt.Errorf("not sent: %w", err)
			}
		}
		if err == nil {
			next = h.clock().Add(from.SendInterval())
			err = h.OwnerMail(sendCtx, from, ownerMail(g, ev.Policy, ev.Account, now, incomplete))
			if err != nil && claims != nil {
				if uerr := claims.UnclaimMail(ctx, ev.Account, ev.Ledger.Run, g.owner); uerr != nil {
					h.logger().LogAttrs(ctx, slog.LevelWarn, "owner mail claim not removed", slog.String("owner", g.owner), slog.String("error", uerr.Error()))
				}
			}
		}
		if err != nil {
			h.logger().LogAttrs(ctx, slog.LevelWarn, OwnerMailLogMessage, slog.String("owner", g.owner), slog.String("error", err.Error()))
			failed = append(failed, OwnerFailure{Owner: g.owner, Error: truncateUTF8(oneLine(err.Error()), MaxCauseLength)})
		}
	}
	return failed
}

// errWaitPastDeadline is why a wait that would end after the invocation's deadline is not begun.
var errWaitPastDeadline = errors.New("the wait for SES's send rate would outlast the invocation")

// wait waits d (Handler.Wait, or a timer that gives up at once when ctx ends before d is over).
func (h *Handler) wait(ctx context.Context, d time.Duration) error {
	if h.Wait != nil {
		return h.Wait(ctx, d)
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return errWaitPastDeadline
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// ownerMessages builds at most max messages, one per owner in groups' order, within budget
// bytes of JSON in all: each owner gets a fair share of what is left (what the owners before it
// left unused included), its oldest keys first; an owner whose message cannot fit even one key,
// and every owner beyond max, is returned as unmessaged.
func ownerMessages(groups []ownerGroup, p Policy, account, now string, incomplete bool, max, budget int) ([]OwnerMessage, []string, error) {
	var msgs []OwnerMessage
	var unmessaged []string
	left := budget - len("[]")
	for i, g := range groups {
		if len(msgs) == max {
			unmessaged = append(unmessaged, g.owner)
			continue
		}
		share := left / min(len(groups)-i, max-len(msgs))
		var sizeErr error
		size := func(n int) int {
			m := ownerMessage(g, n, p, account, now, incomplete)
			b, err := jsonSize(m)
			sizeErr = cmp.Or(sizeErr, err)
			return b + 1 // the comma
		}
		n := len(g.findings)
		if size(n) > share {
			n = sort.Search(n+1, func(k int) bool { return size(k) > share }) - 1
		}
		if sizeErr != nil {
			return nil, nil, sizeErr
		}
		if n < 1 {
			unmessaged = append(unmessaged, g.owner)
			continue
		}
		m := ownerMessage(g, n, p, account, now, incomplete)
		left -= size(n)
		msgs = append(msgs, m)
	}
	return msgs, unmessaged, nil
}

// ownerMessage is the owners topic's message for g showing its first n findings.
func ownerMessage(g ownerGroup, n int, p Policy, account, now string, incomplete bool) OwnerMessage {
	return OwnerMessage{
		Owner:    g.owner,
		Subject:  ownerSubject(g, account),
		Message:  ownerText(g, n, p, account, now, incomplete),
		Severity: ownerSeverity(g.findings),
		Account:  account,
	}
}

// ownerSeverity is SeverityStale when one of the keys fails a control, else SeverityWarning.
func ownerSeverity(fs []Finding) string {
	for _, f := range fs {
		if f.Severity == SeverityStale {
			return SeverityStale
		}
	}
	return SeverityWarning
}

// ownerSubject is the subject of an owner's message and mail, under 100 characters on one line:
// "team-a: 3 IAM access keys need action in 123456789012"; a long owner is shortened.
func ownerSubject(g ownerGroup, account string) string {
	rest := fmt.Sprintf(": %s action in %s", plural(len(g.findings), "IAM access key needs", "IAM access keys need"), oneLine(account))
	// SNS takes ASCII subjects only (Publish, Subject:
	// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html); a tag value may be any
	// Unicode letter: those show as "?" here, and in full in the body and the owner attribute.
	owner := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, g.owner)
	if len(owner)+len(rest) > maxSubjectLength {
		owner = truncateUTF8(owner, max(maxSubjectLength-len(rest)-len("..."), 0)) + "..."
	}
	return truncateUTF8(owner+rest, maxSubjectLength)
}

// ownerText is the plain-text body of an owner's message and mail, showing the first n of g's
// findings: who it is for, the policy, the table of keys, what to do.
func ownerText(g ownerGroup, n int, p Policy, account, now string, incomplete bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "IAM access keys owned by %s in AWS account %s, checked at %s.\n", oneLine(g.owner), oneLine(account), now)
	writePolicy(&b, p)
	fmt.Fprintf(&b, "%s need action%s: ", plural(len(g.findings), "key of yours", "keys of yours"), g.whyCounts())
	b.WriteString("you are their owner because the users' owner tag names you.\n")
	switch {
	case n < len(g.findings) && g.why != nil:
		fmt.Fprintf(&b, "Too many to list: below are the first %d of your %d keys, the new ones first, oldest first; the function's log has every one.\n", n, len(g.findings))
	case n < len(g.findings):
		fmt.Fprintf(&b, "Too many to list: below are the %d oldest of your %d keys; every one is in the security team's digest.\n", n, len(g.findings))
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	if g.why != nil {
		fmt.Fprint(tw, "WHY\t")
	}
	fmt.Fprintln(tw, "SEVERITY\tKIND\tUSER\tACCESS KEY ID\tAGE (DAYS)\tCREATED\tLAST USED")
	var kinds kindSet
	for i, f := range g.findings[:n] {
		if g.why != nil {
			fmt.Fprintf(tw, "%s\t", oneLine(g.why[i]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", oneLine(f.Severity), oneLine(strings.Join(f.Kinds, "+")),
			oneLine(f.UserName), oneLine(f.AccessKeyID), f.AgeDays, datePart(f.CreateDate), lastUsedText(f))
		for _, k := range f.Kinds {
			kinds |= kindOf(k)
		}
	}
	_ = tw.Flush() // writes to a strings.Builder, which cannot fail
	b.WriteString("\nWhat to do:\n")
	for _, kind := range kinds.names() {
		if todo, ok := whatToDo[kind]; ok {
			fmt.Fprintf(&b, "  %s: %s\n", kind, todo)
		}
	}
	if incomplete {
		b.WriteString("\nThis run found more keys than one summary carries, so this list may miss some of yours; " +
			"the security team's digest says how many, and every finding is in the age-check function's log.\n")
	}
	return b.String()
}

// whyCounts says, in a run that remembers, how many of g's keys are new and how many are
// reminders (" (2 new, 1 reminder)"); "" in a run that tells every finding.
func (g ownerGroup) whyCounts() string {
	if g.why == nil {
		return ""
	}
	reminders := 0
	for _, w := range g.why {
		if strings.HasPrefix(w, ReasonReminder) {
			reminders++
		}
	}
	var parts []string
	if n := len(g.why) - reminders; n > 0 {
		parts = append(parts, fmt.Sprintf("%d new", n))
	}
	if reminders > 0 {
		parts = append(parts, plural(reminders, "reminder", "reminders"))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// writePolicy writes the policy line the digest also starts with.
func writePolicy(b *strings.Builder, p Policy) {
	fmt.Fprintf(b, "Policy: active access keys are rotated within %d days (Security Hub IAM.3)", p.MaxAgeDays)
	if p.WarnAgeDays > 0 {
		fmt.Fprintf(b, "; keys older than %d days are due soon", p.WarnAgeDays)
	}
	if p.UnusedDays > 0 {
		fmt.Fprintf(b, "; active keys are used at least every %d days (Security Hub IAM.22)", p.UnusedDays)
	}
	b.WriteString(".\n\n")
}

// ownerMail is g's direct mail: the owner's message as text, and as HTML.
func ownerMail(g ownerGroup, p Policy, account, now string, incomplete bool) OwnerMail {
	n := len(g.findings)
	return OwnerMail{
		To:      g.owner,
		Subject: ownerSubject(g, account),
		Text:    ownerText(g, n, p, account, now, incomplete),
		HTML:    ownerHTML(g, p, account, now, incomplete),
	}
}

// ownerHTMLTemplate is the HTML body of an owner's mail; html/template escapes every value.
var ownerHTMLTemplate = template.Must(template.New("owner").Parse(`<!DOCTYPE html>
<html><body>
<p>IAM access keys owned by <b>{{.Owner}}</b> in AWS account {{.Account}}, checked at {{.Now}}.</p>
<p>{{.Policy}}</p>
<p>{{.Headline}}</p>
<table border="1" cellpadding="4" cellspacing="0">
<tr>{{if .Why}}<th>Why</th>{{end}}<th>Severity</th><th>Kind</th><th>User</th><th>Access key ID</th><th>Age (days)</th><th>Created</th><th>Last used</th></tr>
{{range .Rows}}<tr>{{if $.Why}}<td>{{.Why}}</td>{{end}}<td>{{.Severity}}</td><td>{{.Kind}}</td><td>{{.User}}</td><td>{{.KeyID}}</td><td>{{.Age}}</td><td>{{.Created}}</td><td>{{.LastUsed}}</td></tr>
{{end}}</table>
<p>What to do:</p>
<ul>{{range .ToDo}}<li>{{.}}</li>{{end}}</ul>
{{if .Incomplete}}<p>{{.Incomplete}}</p>{{end}}</body></html>
`))

type ownerHTMLRow struct {
	Why, Severity, Kind, User, KeyID string
	Age                              int
	Created, LastUsed                string
}

// ownerHTML renders g's findings as the HTML body of the owner's mail.
func ownerHTML(g ownerGroup, p Policy, account, now string, incomplete bool) string {
	var policy strings.Builder
	writePolicy(&policy, p)
	data := struct {
		Owner, Account, Now, Policy, Headline, Incomplete string
		Why                                               bool
		Rows                                              []ownerHTMLRow
		ToDo                                              []string
	}{
		Owner: g.owner, Account: account, Now: now, Policy: strings.TrimSpace(policy.String()),
		Headline: plural(len(g.findings), "key of yours needs", "keys of yours need") + " action" + g.whyCounts() +
			": you are their owner because the users' owner tag names you.",
		Why: g.why != nil,
	}
	if incomplete {
		data.Incomplete = "This run found more keys than one summary carries, so this list may miss some of yours; every finding is in the age-check function's log."
	}
	var kinds kindSet
	for i, f := range g.findings {
		why := ""
		if g.why != nil {
			why = g.why[i]
		}
		data.Rows = append(data.Rows, ownerHTMLRow{why, f.Severity, strings.Join(f.Kinds, "+"), f.UserName, f.AccessKeyID, f.AgeDays,
			datePart(f.CreateDate), lastUsedText(f)})
		for _, k := range f.Kinds {
			kinds |= kindOf(k)
		}
	}
	for _, k := range kinds.names() {
		if todo, ok := whatToDo[k]; ok {
			data.ToDo = append(data.ToDo, k+": "+todo)
		}
	}
	var b bytes.Buffer
	if err := ownerHTMLTemplate.Execute(&b, data); err != nil {
		// The template and its data are fixed types: it cannot fail on a bytes.Buffer.
		panic("agecheck: rendering an owner's mail failed: " + err.Error())
	}
	return b.String()
}

// writeOwnerSections writes the digest's owner sections: the keys without an owner (of those
// shown), and the owners that could not be reached. quiet is how many of s.NoOwner the digest
// does not tell (a changes digest's findings announced before and not due): they are counted
// on a line of their own, not as keys left out of the list. truncated says the digest lists
// only some of its findings: the owners' keys may then not be above, and the lines say where
// they are.
func writeOwnerSections(b *strings.Builder, s Summary, findings []Finding, quiet int, truncated bool) {
	d := s.Owners
	if d == nil {
		return
	}
	keysAbove := "their keys are above"
	if truncated {
		keysAbove = fmt.Sprintf("this message lists only some keys: theirs are in the counts above, and every one in the function's log, msg %q", FindingLogMessage)
	}
	if told := s.NoOwner - quiet; told > 0 {
		// Users, not keys: the table above has the keys; a user's name is enough to tag it.
		var users []string
		seen := map[string]bool{}
		listed := 0
		for _, f := range findings {
			if f.Owner != "" {
				continue
			}
			listed++
			if seen[f.UserName] {
				continue
			}
			seen[f.UserName] = true
			u := oneLine(f.UserName)
			if f.OwnerUnknown {
				u += " (tags unreadable)"
			}
			users = append(users, u)
		}
		fmt.Fprintf(b, "\nNo owner: %s of users without an owner tag (%s), so only this digest reports them; tag the users to reach their owners:\n",
			plural(told, "key", "keys"), oneLine(strings.Join(d.TagKeys, ", ")))
		writeWrapped(b, users)
		if listed < told {
			fmt.Fprintf(b, "  (and the users of %s left out of this message: see the function's log)\n", plural(told-listed, "more key", "more keys"))
		}
	}
	if quiet > 0 {
		fmt.Fprintf(b, "\nNo owner, announced before and not due (not listed here; counts.noOwner %d includes them): %s.\n",
			s.NoOwner, plural(quiet, "key", "keys"))
	}
	if len(d.Unmessaged) > 0 {
		b.WriteString("\nOwners not sent a message of their own this run (beyond maxOwnerMessages, or beyond what one run's payload carries); " + keysAbove + ":\n")
		for _, o := range d.Unmessaged {
			fmt.Fprintf(b, "  %s\n", oneLine(o))
		}
		if d.MoreUnmessaged > 0 {
			fmt.Fprintf(b, "  (and %d more: see the function's log, msg %q)\n", d.MoreUnmessaged, OwnerUnmessagedLogMessage)
		}
	}
	if len(d.Unmailed) > 0 {
		b.WriteString("\nOwners who could not be mailed (" + keysAbove + "):\n")
		for _, f := range d.Unmailed {
			fmt.Fprintf(b, "  %s: %s\n", oneLine(f.Owner), oneLine(f.Error))
		}
		if d.MoreUnmailed > 0 {
			fmt.Fprintf(b, "  (and %d more: see the function's log, msg %q)\n", d.MoreUnmailed, OwnerMailLogMessage)
		}
	}
}

// writeWrapped writes the items comma-separated, indented, in lines of about 100 characters.
func writeWrapped(b *strings.Builder, items []string) {
	const width = 100
	line := 0
	for i, it := range items {
		sep := ", "
		if i == len(items)-1 {
			sep = ""
		}
		if line > 0 && line+len(it)+len(sep) > width {
			b.WriteString("\n")
			line = 0
		}
		if line == 0 {
			b.WriteString("  ")
			line = 2
		}
		b.WriteString(it)
		b.WriteString(sep)
		line += len(it) + len(sep)
	}
	if len(items) > 0 {
		b.WriteString("\n")
	}
}
