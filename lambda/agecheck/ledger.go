package agecheck

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Notify settings: what a run publishes.
const (
	// NotifyChanges publishes what changed since the last announcement (new findings, due
	// reminders, resolved keys) and unchecked users, remembering announcements in the ledger.
	NotifyChanges = "changes"
	// NotifyEveryRun publishes every finding on every run, as keyage did before the ledger.
	NotifyEveryRun = "every-run"
)

// OpCommit records, after the publish succeeded, what the run's report announced (see
// Handler.commit). The state machine calls it after Notify, or after a report that publishes
// nothing, when the report has something to record; never when the publish failed.
const OpCommit = "commit"

// RootKey is the ledger key of an account's root user's access keys (one finding per account).
const RootKey = "root"

// Severity ranks: a finding is new again when its severity rose above the one announced.
var severityRank = map[string]int{SeverityWarning: 1, SeverityUnchecked: 2, SeverityStale: 3}

// Reasons a finding is announced.
const (
	ReasonNew              = "new"               // the key was not a finding at the last announcement
	ReasonSeverityRose     = "severity rose"     // its severity is higher than the one announced
	ReasonExemptionExpired = "exemption expired" // its user's exemption ended since it was announced
	ReasonReminder         = "reminder"          // announced before, and remindEveryDays have passed
)

// LedgerRun is, on every event of a run that remembers (notify: changes), what the function
// needs to use the ledger. Absent, the function never touches the ledger.
type LedgerRun struct {
	// Run is the execution's name: it keys the run's observations and its lease, so that
	// concurrent runs never read each other's.
	Run string `json:"run"`
	// RemindEveryDays is the cadence of reminders, counted per finding from its last announcement.
	RemindEveryDays int `json:"remindEveryDays"`
	// RetentionDays is how long a resolved key's entry is kept (its TTL) after it was resolved.
	RetentionDays int `json:"retentionDays"`
	// ObserveOnly is set in a notify: every-run run that reaches owners: the check steps record
	// the run's observations, from which the report groups owners exactly; no lease is taken,
	// no entry is written, and every finding is told (reportObservedOwners).
	ObserveOnly bool `json:"observeOnly,omitempty"`
}

// Entry is one ledger item: what the runs announced about one finding key of one account.
type Entry struct {
	Account  string
	Key      string // the AccessKeyId, or RootKey
	UserName string
	// Owner is the owner the key's user's tags named when it was last announced (Finding.Owner),
	// "" when none did: the ledger keeps whom each key was told to, beside the observations of the
	// run, which carry every finding's owner whole (issue 11, owners under the ledger's cadence).
	Owner string
	// FirstSeen is when the key first became a finding (again, after it was resolved).
	FirstSeen time.Time
	Severity  string   // as last announced
	Kinds     []string // as last announced
	// LastAnnounced is the last run that published the key (new or reminder).
	LastAnnounced time.Time
	Reminded      int  // reminders published since it became a finding
	ExemptExpired bool // announced as "exemption expired"
	// ResolvedAt is when the key stopped being a finding and was announced resolved; zero
	// while it is open.
	ResolvedAt time.Time
	// ExpiresAt is the entry's TTL: ResolvedAt plus the retention, zero while open (an open
	// finding is never forgotten).
	ExpiresAt time.Time
}

// Observations are what a run's check and merge steps recorded in the ledger for its report:
// every finding (before any trimming), every user whose keys could not be read, and every key
// with no finding whose last use could not be looked up (Summary.UnreadKeys).
type Observations struct {
	Findings       []Finding
	UncheckedUsers []string
	UnreadKeys     []string // AccessKeyIds
}

// ErrLeaseLost is wrapped by Ledger.Hold and Ledger.Release when the run no longer holds the
// account's lease: it expired and another run took it (and perhaps released it since).
var ErrLeaseLost = errors.New("the run no longer holds the lease (it expired and another run took it)")

// ErrLedgerBusy is wrapped by Ledger.Acquire when another run holds the account's lease.
var ErrLedgerBusy = errors.New("another run holds the ledger's lease for this account")

// Ledger is the store of what earlier runs announced, per account. Package ledger implements
// it over DynamoDB; lambda/main.go sets it on the Handler. Every method is keyed by account.
type Ledger interface {
	// Observe records findings, unchecked users and unread keys (Summary.UnreadKeys) of one
	// check batch of the run (run keyed), expiring at expires.
	Observe(ctx context.Context, account, run string, findings []Finding, uncheckedUsers, unreadKeys []string, expires time.Time) error
	// Acquire takes the account's lease for run until until (as of now), or fails wrapping
	// ErrLedgerBusy when another run holds an unexpired one.
	Acquire(ctx context.Context, account, run string, now, until time.Time) error
	// Load returns the account's entries and the run's observations.
	Load(ctx context.Context, account, run string) ([]Entry, Observations, error)
	// Save writes entries whole.
	Save(ctx context.Context, entries []Entry) error
	// Hold extends the lease run holds until until, whether or not it has expired, or fails
	// wrapping ErrLeaseLost when run no longer holds it (another run took it, or it was
	// released): it never takes a lease another run took or gave up.
	Hold(ctx context.Context, account, run string, until time.Time) error
	// Release gives the lease up, if run still holds it.
	Release(ctx context.Context, account, run string) error
	// ClaimMail records that run mails owner (a conditional write, expiring at expires), before
	// the mail is sent; it fails wrapping ErrMailClaimed when run claimed it already.
	ClaimMail(ctx context.Context, account, run, owner string, expires time.Time) error
	// UnclaimMail removes run's claim of owner's mail, after its send failed.
	UnclaimMail(ctx context.Context, account, run, owner string) error
}

// ErrMailClaimed is wrapped by Ledger.ClaimMail when the run claimed the owner's mail already:
// an earlier attempt of the run's report sent it (or was sending it when it failed).
var ErrMailClaimed = errors.New("the run has mailed this owner already")

// Announced is a finding a changes digest lists, and why.
type Announced struct {
	Finding
	Reason    string    `json:"reason"`             // a Reason constant
	FirstSeen Timestamp `json:"firstSeen,omitzero"` // when it became a finding
	Reminded  int       `json:"reminded,omitempty"` // reminders so far, this one included
	Announced Timestamp `json:"announced,omitzero"` // the last announcement before this run
}

// Resolved is a key that was announced and is no longer a finding.
type Resolved struct {
	UserName    string    `json:"userName"`
	AccessKeyID string    `json:"accessKeyId"`
	Severity    string    `json:"severity"` // as last announced
	FirstSeen   Timestamp `json:"firstSeen"`
	// Owner is the key's owner as last announced (Entry.Owner), "" when it had none.
	Owner string `json:"owner,omitempty"`
	// Reason says why: ResolvedGone, or "exempted by ..." when an exemption held for its user
	// (explainResolved).
	Reason string `json:"reason,omitempty"`
}

// Changes is what a run that remembers announces, and the entries that record it.
type Changes struct {
	New       []Announced // became a finding, rose in severity or lost its exemption; oldest first
	Reminders []Announced // announced before and due a reminder; oldest first
	Resolved  []Resolved  // announced before, not a finding now (said once)
	Quiet     int         // findings announced before and not due
	// Updates are the entries to write once the digest is published.
	Updates []Entry
}

// Something reports whether there is anything new, due or resolved.
func (c Changes) Something() bool { return len(c.New)+len(c.Reminders)+len(c.Resolved) > 0 }

// Diff compares a run's observations (and root verdict) with the account's entries as of now.
// A finding is new when it has no open entry, its severity rose, or its exemption expired since
// its announcement; it is a reminder when lr.RemindEveryDays have passed since its last
// announcement. An open entry whose key is no longer a finding is resolved, unless its user's
// keys could not be read this run, its last use could not be looked up (obs.UnreadKeys) or, for
// RootKey, the root check failed: not reading a key never resolves it. root is nil when the policy does not check root keys (the root entry
// is then left as it is).
func Diff(account string, entries []Entry, obs Observations, root *RootCheck, lr LedgerRun, now time.Time) Changes {
	now = now.UTC().Truncate(time.Second)
	byKey := make(map[string]Entry, len(entries))
	for _, e := range entries {
		byKey[e.Key] = e
	}
	findings := slices.Clone(obs.Findings)
	if root != nil && root.Status == RootKeysPresent {
		findings = append(findings, Finding{UserName: rootUserName, AccessKeyID: RootKey, Severity: SeverityStale, Kinds: []string{KindRoot}})
	}
	slices.SortStableFunc(findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.CreateDate.Time().Unix(), b.CreateDate.Time().Unix()), cmp.Compare(a.AccessKeyID, b.AccessKeyID))
	})
	remind := time.Duration(lr.RemindEveryDays) * 24 * time.Hour
	var c Changes
	seen := make(map[string]bool, len(findings))
	for _, f := range findings {
		if seen[f.AccessKeyID] {
			continue // a batch retried by the state machine records its findings twice
		}
		seen[f.AccessKeyID] = true
		e, ok := byKey[f.AccessKeyID]
		open := ok && e.ResolvedAt.IsZero()
		next := Entry{Account: account, Key: f.AccessKeyID, UserName: f.UserName, Owner: f.Owner, FirstSeen: now,
			Severity: f.Severity, Kinds: f.Kinds, LastAnnounced: now, ExemptExpired: f.ExemptionExpired != ""}
		a := Announced{Finding: f, FirstSeen: timestampAt(now)}
		switch {
		case f.ExemptionExpired != "" && (!open || !e.ExemptExpired):
			a.Reason = ReasonExemptionExpired // said once, new to the ledger or not
		case !open:
			a.Reason = ReasonNew
		case severityRank[f.Severity] > severityRank[e.Severity]:
			a.Reason = ReasonSeverityRose
		case !now.Before(e.LastAnnounced.Add(remind)):
			a.Reason = ReasonReminder
		default:
			c.Quiet++
			continue
		}
		if open {
			next.FirstSeen = e.FirstSeen
			a.FirstSeen = timestampAt(e.FirstSeen)
			a.Announced = timestampAt(e.LastAnnounced)
		}
		if a.Reason == ReasonReminder {
			next.Reminded = e.Reminded + 1
			a.Reminded = next.Reminded
			c.Reminders = append(c.Reminders, a)
		} else {
			c.New = append(c.New, a)
		}
		c.Updates = append(c.Updates, next)
	}
	unread := make(map[string]bool, len(obs.UncheckedUsers))
	for _, u := range obs.UncheckedUsers {
		unread[u] = true
	}
	unreadKey := make(map[string]bool, len(obs.UnreadKeys))
	for _, k := range obs.UnreadKeys {
		unreadKey[k] = true
	}
	rootUnread := root != nil && root.Status == RootUnchecked
	for _, e := range entries {
		if !e.ResolvedAt.IsZero() || seen[e.Key] {
			continue
		}
		if e.Key == RootKey && (root == nil || rootUnread) {
			continue
		}
		if e.Key != RootKey && (unread[e.UserName] || unreadKey[e.Key]) {
			continue
		}
		c.Resolved = append(c.Resolved, Resolved{UserName: e.UserName, AccessKeyID: e.Key, Severity: e.Severity, FirstSeen: timestampAt(e.FirstSeen), Owner: e.Owner})
		e.ResolvedAt = now
		e.ExpiresAt = now.Add(time.Duration(lr.RetentionDays) * 24 * time.Hour)
		c.Updates = append(c.Updates, e)
	}
	slices.SortFunc(c.Resolved, func(a, b Resolved) int {
		return cmp.Or(cmp.Compare(a.FirstSeen.Time().Unix(), b.FirstSeen.Time().Unix()), cmp.Compare(a.AccessKeyID, b.AccessKeyID))
	})
	return c
}

// Bounds of the ledger's settings (config's remindEveryDays and ledgerRetentionDays).
const (
	MinRemindEveryDays = 1
	MaxRemindEveryDays = 365
	MinRetentionDays   = 1
	MaxRetentionDays   = 3650
	// MaxRunLength bounds LedgerRun.Run: a Step Functions execution name has at most 80 characters.
	MaxRunLength = 80
)

// Durations of what the ledger keeps for a run.
const (
	// LeaseDuration is how long a run's lease lasts from when it is taken, by the function's
	// clock (Handler.Clock), not the run's "now": the report takes it, and the commit after the
	// publish takes it again (so it holds while the entries are written) and releases it. A run
	// that fails in between (a publish failing for good) leaves it to expire: a run that reports
	// this much later or more uses the ledger again. An organization run's commit Map may come
	// later than this after an account's report: its commit holds the lease only if no other run
	// took it meanwhile (Ledger.Hold), and otherwise records nothing for the account, whose
	// changes the next run announces again. A lease timed to the whole run would instead lock
	// the ledger for that long after a run that failed.
	LeaseDuration = 15 * time.Minute
	// ObservationLifetime is the TTL of a run's observations: only its own report and commit read
	// them, within the run (at most a Standard execution's year in theory, minutes in practice).
	ObservationLifetime = 48 * time.Hour
)

// validateLedger adds the problems of the event's LedgerRun and, on OpCommit, its Commit.
func validateLedger(ps *problems, ev *Event) {
	check := func(field string, lr *LedgerRun) {
		if lr.Run == "" || len(lr.Run) > MaxRunLength {
			ps.add(field+".run", quote(lr.Run), fmt.Sprintf("the execution's name, 1 to %d characters", MaxRunLength))
		}
		if lr.RemindEveryDays < MinRemindEveryDays || lr.RemindEveryDays > MaxRemindEveryDays {
			ps.add(field+".remindEveryDays", strconv.Itoa(lr.RemindEveryDays), fmt.Sprintf("an integer from %d to %d", MinRemindEveryDays, MaxRemindEveryDays))
		}
		if lr.RetentionDays < MinRetentionDays || lr.RetentionDays > MaxRetentionDays {
			ps.add(field+".retentionDays", strconv.Itoa(lr.RetentionDays), fmt.Sprintf("an integer from %d to %d", MinRetentionDays, MaxRetentionDays))
		}
	}
	if ev.Ledger != nil {
		check("ledger", ev.Ledger)
	}
	if ev.Op != OpCommit {
		return
	}
	if ev.Commit == nil {
		ps.add("commit", "absent", "the report's commit (op commit runs only when the report has one)")
		return
	}
	if !ev.Commit.Now.Valid() {
		ps.add("commit.now", quote(ev.Commit.Now.String()), timeAllowed)
	}
	check("commit.ledger", &ev.Commit.Ledger)
}
