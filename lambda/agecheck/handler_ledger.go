package agecheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// LeaseLostLogMessage is logged (warning) by a commit that found its run's lease lost: nothing
// is recorded for the account, and the next run announces its changes again.
const LeaseLostLogMessage = "ledger lease lost: nothing recorded"

// errNoLedger is the error of an event that asks for the ledger when the function has none.
var errNoLedger = errors.New("the event has a ledger (notify: changes, or notify: every-run reaching owners) but the function has no ledger table configured")

// ledgerFor returns the ledger an event asks for: nil when it asks for none (notify:
// every-run), an error when it asks for one the function does not have.
func (h *Handler) ledgerFor(ev Event) (Ledger, error) {
	if ev.Ledger == nil && ev.Op != OpCommit {
		return nil, nil
	}
	if h.Ledger == nil {
		return nil, errNoLedger
	}
	return h.Ledger, nil
}

// observe records a check batch's findings (all of them, before trimming), unchecked users and
// unread keys for the run's report. A failure fails the invocation: the state machine retries
// it, then reports the batch's users unchecked, which keeps their keys from being resolved.
func (h *Handler) observe(ctx context.Context, ev Event, findings []Finding, unchecked []UncheckedUser, unreadKeys []string, now time.Time) error {
	l, err := h.ledgerFor(ev)
	if l == nil || err != nil {
		return err
	}
	names := make([]string, len(unchecked))
	for i, u := range unchecked {
		names[i] = u.UserName
	}
	if err := l.Observe(ctx, ev.Account, ev.Ledger.Run, findings, names, unreadKeys, now.Add(ObservationLifetime)); err != nil {
		return fmt.Errorf("record %d findings, %d unchecked users and %d unread keys of run %q: %w", len(findings), len(names), len(unreadKeys), ev.Ledger.Run, err)
	}
	return nil
}

// changesReport is the report of a run that remembers. It takes the account's lease, loads the
// entries and the run's observations, and announces their Diff (NewChangesReport), with the
// Commit that OpCommit needs once the message is published when there is something to record;
// otherwise it releases the lease at once. When another run holds the lease,
// it announces every finding (NewReport, as notify: every-run does) and commits nothing: a
// concurrent run (a manual run during a scheduled one) never writes the ledger another run is
// about to write, and is never silent.
func (h *Handler) changesReport(ctx context.Context, ev Event, s Summary, now time.Time) (Report, error) {
	l, err := h.ledgerFor(ev)
	if err != nil {
		return Report{}, err
	}
	lr := *ev.Ledger
	taken := h.clock()
	err = l.Acquire(ctx, ev.Account, lr.Run, taken, taken.Add(LeaseDuration))
	if errors.Is(err, ErrLedgerBusy) {
		h.logger().LogAttrs(ctx, slog.LevelWarn, "ledger busy: announcing every finding", slog.String("account", ev.Account),
			slog.String("run", lr.Run), slog.String("error", err.Error()))
		if ev.Owners != nil {
			// Owners are told by the run that holds the lease, on the ledger's cadence: this
			// one reaches none (at most one message per owner), but its digest still lists the
			// keys without an owner.
			s.Owners = &OwnerDigest{TagKeys: ev.Owners.TagKeys}
		}
		return NewReport(s, ev.Policy, ev.Account, now)
	}
	if err != nil {
		return Report{}, fmt.Errorf("take the ledger's lease of account %s for run %q: %w", ev.Account, lr.Run, err)
	}
	c, err := h.diff(ctx, l, ev.Account, lr, s.Root, now)
	if err != nil {
		return Report{}, err
	}
	explainResolved(c.Resolved, s, ev.Policy, now)
	var msgs []OwnerMessage
	budget := MaxMessageBytes
	if ev.Owners != nil {
		// Owners follow the ledger's cadence (report_owners.go, groupChanges): each gets the new
		// findings and due reminders of their own keys, grouped from the run's observations.
		msgs, s.Owners, budget, err = h.reachOwners(ctx, groupChanges(c), ev, now, false)
		if err != nil {
			return Report{}, err
		}
	}
	r, err := newChangesReport(s, c, ev.Policy, lr, ev.Account, now, budget)
	if err != nil {
		return Report{}, err
	}
	if r.Publish {
		r.OwnerMessages = msgs
	}
	if c.Something() {
		r.Commit = &Commit{Now: timestampAt(now), Ledger: lr, Root: s.Root}
	} else {
		// Nothing to record: the lease goes now, not at a commit (there is none; in an
		// organization run, the account's own message is the last to take it), so that a run
		// soon after finds it free.
		h.release(ctx, l, ev.Account, lr.Run)
	}
	h.logger().LogAttrs(ctx, slog.LevelInfo, "changes", slog.String("account", ev.Account), slog.String("run", lr.Run),
		slog.Int("new", len(c.New)), slog.Int("reminders", len(c.Reminders)), slog.Int("resolved", len(c.Resolved)),
		slog.Int("quiet", c.Quiet))
	return r, nil
}

// diff loads the account's entries and the run's observations and compares them.
func (h *Handler) diff(ctx context.Context, l Ledger, account string, lr LedgerRun, root *RootCheck, now time.Time) (Changes, error) {
	entries, obs, err := l.Load(ctx, account, lr.Run)
	if err != nil {
		return Changes{}, fmt.Errorf("load the ledger of account %s for run %q: %w", account, lr.Run, err)
	}
	return Diff(account, entries, obs, root, lr, now), nil
}

// commit runs after the publish succeeded (or when the report published nothing): it holds
// the run's lease for LeaseDuration more from the function's clock, on condition that the run
// still holds it, expired or not (Ledger.Hold: never re-taking a lease another run took, or
// took and released, after it expired), derives the report's changes again, which nothing
// else can change while the run holds the lease, writes their entries, and releases the
// lease. When the lease was lost, it writes nothing for the account and logs it, and the run
// goes on: what this run announced is not recorded, so the next run announces it again, which
// is never silent. Nothing is recorded as announced unless the publish succeeded: the state
// machine calls op commit only after Notify succeeded.
func (h *Handler) commit(ctx context.Context, ev Event) error {
	l, err := h.ledgerFor(ev)
	if err != nil {
		return err
	}
	cm := ev.Commit
	err = l.Hold(ctx, ev.Account, cm.Ledger.Run, h.clock().Add(LeaseDuration))
	if errors.Is(err, ErrLeaseLost) {
		h.logger().LogAttrs(ctx, slog.LevelWarn, LeaseLostLogMessage, slog.String("account", ev.Account),
			slog.String("run", cm.Ledger.Run), slog.String("error", err.Error()))
		return nil
	}
	if err != nil {
		return fmt.Errorf("hold the ledger's lease of account %s for run %q before recording the announcement (nothing recorded): %w",
			ev.Account, cm.Ledger.Run, err)
	}
	now := cm.Now.Time()
	c, err := h.diff(ctx, l, ev.Account, cm.Ledger, cm.Root, now)
	if err != nil {
		return err
	}
	if err := l.Save(ctx, c.Updates); err != nil {
		return fmt.Errorf("record %d ledger entries of account %s for run %q: %w", len(c.Updates), ev.Account, cm.Ledger.Run, err)
	}
	if err := l.Release(ctx, ev.Account, cm.Ledger.Run); err != nil {
		return fmt.Errorf("release the ledger's lease of account %s for run %q: %w", ev.Account, cm.Ledger.Run, err)
	}
	h.logger().LogAttrs(ctx, slog.LevelInfo, "committed", slog.String("account", ev.Account), slog.String("run", cm.Ledger.Run),
		slog.Int("entries", len(c.Updates)))
	return nil
}

// release gives up the account's lease of a run with nothing to record; a failure is logged
// only: the lease then expires (LeaseDuration).
func (h *Handler) release(ctx context.Context, l Ledger, account, run string) {
	if err := l.Release(ctx, account, run); err != nil {
		h.logger().LogAttrs(ctx, slog.LevelWarn, "ledger lease not released: it expires", slog.String("account", account),
			slog.String("run", run), slog.String("error", err.Error()))
	}
}

// clock is the function's clock (Handler.Clock, or time.Now).
func (h *Handler) clock() time.Time {
	if h.Clock != nil {
		return h.Clock()
	}
	return time.Now()
}

// reportObservedOwners is the report of a notify: every-run run that reaches owners
// (LedgerRun.ObserveOnly): the digest tells every finding of the summary, as every-run does, and
// each owner is told every key of theirs, grouped from the run's observations (every finding,
// before the summary was trimmed), so that no owner's list misses a key. A finding recorded
// twice (a retried batch) is told once.
func (h *Handler) reportObservedOwners(ctx context.Context, ev Event, s Summary, now time.Time) (Report, error) {
	l, err := h.ledgerFor(ev)
	if err != nil {
		return Report{}, err
	}
	if ev.Owners == nil {
		return NewReport(s, ev.Policy, ev.Account, now)
	}
	_, obs, err := l.Load(ctx, ev.Account, ev.Ledger.Run)
	if err != nil {
		return Report{}, fmt.Errorf("load the observations of account %s for run %q: %w", ev.Account, ev.Ledger.Run, err)
	}
	seen := make(map[string]bool, len(obs.Findings))
	findings := obs.Findings[:0]
	for _, f := range obs.Findings {
		if !seen[f.AccessKeyID] {
			seen[f.AccessKeyID] = true
			findings = append(findings, f)
		}
	}
	slices.SortStableFunc(findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.CreateDate.Time().Unix(), b.CreateDate.Time().Unix()), cmp.Compare(a.AccessKeyID, b.AccessKeyID))
	})
	return h.reportWithOwners(ctx, s, ev, now, groupByOwner(findings), false)
}
