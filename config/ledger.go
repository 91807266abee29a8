package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keyage/keyage/lambda/agecheck"
)

// LedgerSettings are what a run publishes and what the ledger (a DynamoDB table per stack,
// package ledger) remembers between runs.
type LedgerSettings struct {
	// Notify is notify, default "changes": publish what changed since the last announcement
	// (agecheck.NotifyChanges), or every finding on every run (agecheck.NotifyEveryRun, no table).
	Notify string
	// RemindEveryDays is remindEveryDays, default 7: days between reminders of a finding.
	RemindEveryDays int
	// RetentionDays is ledgerRetentionDays, default 90: days a resolved key's entry is kept (its TTL).
	RetentionDays int
	// DeletionProtection is ledgerDeletionProtection, default false: the table's deletion protection.
	DeletionProtection bool
}

// Remembers reports whether the stack has a ledger (notify: changes).
func (l LedgerSettings) Remembers() bool { return l.Notify == agecheck.NotifyChanges }

// KeepsLedger reports whether the stack deploys and uses the ledger: notify: changes, in a
// single-account stack as in an organization run (kept per account and AccessKeyId); and a
// notify: every-run stack that reaches owners, for the run's observations only (owners.go).
func (s Settings) KeepsLedger() bool { return s.Ledger.Remembers() || s.ObservesForOwners() }

// NotifyValues lists the values of notify.
var NotifyValues = []string{agecheck.NotifyChanges, agecheck.NotifyEveryRun}

func defaultLedger() LedgerSettings {
	return LedgerSettings{Notify: agecheck.NotifyChanges, RemindEveryDays: 7, RetentionDays: 90}
}

// ledgerSettings are the table rows of the ledger's keys, appended to the settings table.
var ledgerSettings = []setting{
	{Key{"notify", "string", ""},
		func(p *problems, s *Settings, v string) { s.Ledger.Notify = v }},
	{Key{"remindEveryDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.Ledger.RemindEveryDays = decodeInt(p, "remindEveryDays", v, intRange(agecheck.MinRemindEveryDays, agecheck.MaxRemindEveryDays))
		}},
	{Key{"ledgerRetentionDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.Ledger.RetentionDays = decodeInt(p, "ledgerRetentionDays", v, intRange(agecheck.MinRetentionDays, agecheck.MaxRetentionDays))
		}},
	{Key{"ledgerDeletionProtection", "boolean", ""},
		func(p *problems, s *Settings, v string) {
			s.Ledger.DeletionProtection = decodeBool(p, "ledgerDeletionProtection", v)
		}},
}

func init() { settings = append(settings, ledgerSettings...) }

// validate adds the ledger settings' problems.
func (l LedgerSettings) validate(p *problems) {
	allowed := strings.Join(NotifyValues, " or ")
	if !slices.Contains(NotifyValues, l.Notify) {
		p.add("notify", l.Notify, "is not a notify mode", allowed+" (changes: what is new, due reminders and resolved keys; every-run: every finding on every run)")
	}
	checkRange(p, "remindEveryDays", l.RemindEveryDays, agecheck.MinRemindEveryDays, agecheck.MaxRemindEveryDays)
	checkRange(p, "ledgerRetentionDays", l.RetentionDays, agecheck.MinRetentionDays, agecheck.MaxRetentionDays)
}

// ledgerWarnings are the ledger settings that have no effect.
func (s Settings) ledgerWarnings() []string {
	l, d := s.Ledger, defaultLedger()
	if l.Notify != agecheck.NotifyEveryRun {
		return nil
	}
	var unused []string
	if l.RemindEveryDays != d.RemindEveryDays {
		unused = append(unused, "remindEveryDays "+strconv.Itoa(l.RemindEveryDays))
	}
	if l.RetentionDays != d.RetentionDays {
		unused = append(unused, "ledgerRetentionDays "+strconv.Itoa(l.RetentionDays))
	}
	if l.DeletionProtection && !s.ObservesForOwners() { // the table of owners' observations has it
		unused = append(unused, "ledgerDeletionProtection true")
	}
	if len(unused) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s: no effect with notify: every-run, which keeps no ledger", strings.Join(unused, ", "))}
}
