package agecheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// An organization run that remembers (notify: changes with accounts) keeps the ledger per
// (account, AccessKeyId), the root user's keys under RootKey per account. Each account's check
// batches record its findings as in a single-account run; the account's changes are computed
// where its full findings are known: by OpAccount at the end of its child (by OpMergeAccounts
// for the deploying account, which the parent scans), under the account's own lease. The child
// returns them trimmed (AccountChanges, exact counts), OpMergeAccounts adds them up
// (OrgChanges) and lists the accounts whose lease the run holds (OrgSummary.Commits), and
// after the organization digest's publish succeeded the state machine runs OpCommit once per
// listed account. An account that could not be scanned has no changes and no commit: its keys
// are never resolved, and it is announced on every run.

// MaxAccountChangesBytes is what one account's AccountChanges may take beyond the room its
// Summary leaves of MaxAccountSummaryBytes (in a run that remembers, the summary lists no
// findings: the changes do): the JSON of the two together stays under MaxAccountSummaryBytes +
// MaxAccountChangesBytes, so that a page of AccountsPerPage results fits a state's 256 KiB
// beside the running OrgSummary (workflow's TestPayloadBudgetOrganizationLedger). The counts
// alone always fit it.
const MaxAccountChangesBytes = 256

// MaxCommits bounds OrgSummary.Commits and Report.Commits (an account ID and a root status
// each, at most 57 bytes): 500 fit MaxOrgSummaryBytes beside the counts (the sections give way
// to them) and the organization report's output beside a message of MaxMessageBytes
// (workflow's TestPayloadBudgetOrganizationLedger). Only accounts with something new, due or
// resolved are committed (a quiet account has nothing to write); the accounts with changes
// beyond it are not: their leases expire (LeaseDuration) and the next run announces their
// changes again, which is never silent, and records them, as the accounts recorded before are
// quiet then. A backlog of n accounts with changes is recorded in ceil(n/MaxCommits) runs.
const MaxCommits = 500

// AccountChanges are one account's changes in an organization run that remembers: new
// findings, due reminders and resolved keys, each list cut to the same length so that the
// whole fits MaxAccountChangesBytes; the counts are exact.
type AccountChanges struct {
	New           []Announced `json:"new,omitempty"`
	Reminders     []Announced `json:"reminders,omitempty"`
	Resolved      []Resolved  `json:"resolved,omitempty"`
	NewCount      int         `json:"newCount"`
	ReminderCount int         `json:"reminderCount"`
	ResolvedCount int         `json:"resolvedCount"`
	QuietCount    int         `json:"quietCount"` // findings announced before and not due
	// Busy is set when another run held the account's lease: the account's findings are
	// announced whole (as notify: every-run does) and nothing is recorded for it.
	Busy bool `json:"busy,omitempty"`
}

// something reports whether the account has anything new, due or resolved.
func (c *AccountChanges) something() bool {
	return c.NewCount+c.ReminderCount+c.ResolvedCount > 0
}

// truncated reports whether a list holds fewer entries than its count.
func (c *AccountChanges) truncated() bool {
	return len(c.New) < c.NewCount || len(c.Reminders) < c.ReminderCount || len(c.Resolved) < c.ResolvedCount
}

// OrgChanges are the exact sums of the accounts' changes.
type OrgChanges struct {
	New       int `json:"new"`
	Reminders int `json:"reminders"`
	Resolved  int `json:"resolved"`
	Quiet     int `json:"quiet"`
	// Busy counts the accounts whose lease another run held and that have something to
	// report: their findings are announced whole.
	Busy int `json:"busy"`
}

// AccountCommit is what OpCommit needs of one account, besides the run's Commit: the account,
// and its root verdict (status only), from which it derives the account's changes again.
type AccountCommit struct {
	Account string     `json:"account"`
	Root    *RootCheck `json:"root"` // null when the policy does not check root keys
}

// newAccountChanges turns c into an AccountChanges fitted to maxBytes.
func newAccountChanges(c Changes, maxBytes int) (*AccountChanges, error) {
	out := &AccountChanges{NewCount: len(c.New), ReminderCount: len(c.Reminders), ResolvedCount: len(c.Resolved), QuietCount: c.Quiet}
	for n := max(len(c.New), len(c.Reminders), len(c.Resolved)); n >= 0; n-- {
		out.New, out.Reminders, out.Resolved = c.New[:min(n, len(c.New))], c.Reminders[:min(n, len(c.Reminders))], c.Resolved[:min(n, len(c.Resolved))]
		size, err := jsonSize(out)
		if err != nil {
			return nil, err
		}
		if size <= maxBytes {
			break
		}
	}
	return out, nil
}

// accountChanges sets r.Changes when the event asks for the ledger: it takes the account's
// lease, loads the account's entries and the run's observations, and compares them (Diff).
// When another run holds the lease, the account is marked Busy.
func (h *Handler) accountChanges(ctx context.Context, ev Event, r *AccountResult, now time.Time) error {
	if ev.Ledger == nil || r.Status != AccountChecked {
		return nil
	}
	l, err := h.ledgerFor(ev)
	if err != nil {
		return err
	}
	account, lr := r.Target.ID, *ev.Ledger
	// Timed by the function's clock, as a single-account run's report takes it (changesReport):
	// the run's "now" may be long past, and a lease it timed would have expired at once.
	taken := h.clock()
	err = l.Acquire(ctx, account, lr.Run, taken, taken.Add(LeaseDuration))
	if errors.Is(err, ErrLedgerBusy) {
		h.logger().LogAttrs(ctx, slog.LevelWarn, "ledger busy: announcing every finding", slog.String("account", account),
			slog.String("run", lr.Run), slog.String("error", err.Error()))
		r.Changes = &AccountChanges{Busy: true}
		return nil
	}
	if err != nil {
		return fmt.Errorf("take the ledger's lease of account %s for run %q: %w", account, lr.Run, err)
	}
	c, err := h.diff(ctx, l, account, lr, r.Summary.Root, now)
	if err != nil {
		return err
	}
	explainResolved(c.Resolved, *r.Summary, ev.Policy, now) // as the account's own message says why
	// The changes list the findings that matter; the summary keeps its exact counts.
	r.Summary.Findings = nil
	size, err := jsonSize(r.Summary)
	if err != nil {
		return err
	}
	if r.Changes, err = newAccountChanges(c, max(MaxAccountSummaryBytes-size, 0)+MaxAccountChangesBytes); err != nil {
		return fmt.Errorf("trim the changes of account %s: %w", account, err)
	}
	h.logger().LogAttrs(ctx, slog.LevelInfo, "changes", slog.String("account", account), slog.String("run", lr.Run),
		slog.Int("new", len(c.New)), slog.Int("reminders", len(c.Reminders)), slog.Int("resolved", len(c.Resolved)),
		slog.Int("quiet", c.Quiet))
	return nil
}

// mergeChanges adds r's changes to the organization's, and its commit when the run holds its
// lease.
func (o *OrgSummary) mergeChanges(r AccountResult) {
	c := r.Changes
	if c == nil {
		return
	}
	if o.Changes == nil {
		o.Changes = &OrgChanges{}
	}
	if c.Busy {
		if r.hasSomethingToReport() {
			o.Changes.Busy++
		}
		return
	}
	o.Changes.New += c.NewCount
	o.Changes.Reminders += c.ReminderCount
	o.Changes.Resolved += c.ResolvedCount
	o.Changes.Quiet += c.QuietCount
	// Only an account with something to record takes a commit (a quiet account's own message
	// releases its lease), so that MaxCommits counts accounts with changes, and the accounts
	// beyond it are recorded by the next runs, as the quiet ones before them take no room.
	if c.something() && len(o.Commits) < MaxCommits {
		var root *RootCheck
		if r.Summary != nil && r.Summary.Root != nil {
			root = &RootCheck{Status: r.Summary.Root.Status}
		}
		o.Commits = append(o.Commits, AccountCommit{Account: r.Target.ID, Root: root})
	}
}

// orgCommit sets the report's Commit and Commits when the run holds accounts' leases.
func orgCommit(r *Report, o OrgSummary, lr LedgerRun, now time.Time) {
	if len(o.Commits) == 0 {
		return
	}
	r.Commit = &Commit{Now: timestampAt(now), Ledger: lr}
	r.Commits = o.Commits
}

// orgPublishes reports whether an organization run that remembers publishes: something new,
// due or resolved, an account whose lease another run held with something to report, and, as
// every run, anything not read (an account, a user, a key's last use, a root user).
func orgPublishes(o OrgSummary) bool {
	c, a := o.Counts, o.Accounts
	if c.Unchecked+c.LastUsedUnknown+a.Unchecked+a.RootUnknown > 0 {
		return true
	}
	ch := o.Changes
	return ch != nil && ch.New+ch.Reminders+ch.Resolved+ch.Busy > 0
}
