package config

import (
	"strings"
	"testing"
	"time"
)

func TestLedgerSettingsInvalid(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		want   []string
	}{
		{"notify unknown", map[string]string{"notify": "daily"},
			[]string{`notify: "daily" is not a notify mode: want changes or every-run (changes: what is new, due reminders and resolved keys; every-run: every finding on every run)`}},
		{"notify empty", map[string]string{"notify": ""},
			[]string{`notify: "" is not a notify mode: want changes or every-run (changes: what is new, due reminders and resolved keys; every-run: every finding on every run)`}},
		{"remindEveryDays zero", map[string]string{"remindEveryDays": "0"},
			[]string{"remindEveryDays: 0 is out of range: want an integer from 1 to 365"}},
		{"remindEveryDays too large", map[string]string{"remindEveryDays": "366"},
			[]string{"remindEveryDays: 366 is out of range: want an integer from 1 to 365"}},
		{"remindEveryDays not a number", map[string]string{"remindEveryDays": "weekly"},
			[]string{`remindEveryDays: "weekly" is not an integer: want an integer from 1 to 365`}},
		{"retention zero", map[string]string{"ledgerRetentionDays": "0"},
			[]string{"ledgerRetentionDays: 0 is out of range: want an integer from 1 to 3650"}},
		{"retention too large", map[string]string{"ledgerRetentionDays": "3651"},
			[]string{"ledgerRetentionDays: 3651 is out of range: want an integer from 1 to 3650"}},
		{"deletion protection not a boolean", map[string]string{"ledgerDeletionProtection": "yes"},
			[]string{`ledgerDeletionProtection: "yes" is not a boolean: want true or false`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig(namespace(tt.values))
			wantProblems(t, err, tt.want, "Parse(%v)", tt.values)
		})
	}
}

func TestLedgerSettingsValid(t *testing.T) {
	c, err := ParseConfig(namespace(map[string]string{"remindEveryDays": "1", "ledgerRetentionDays": "3650", "ledgerDeletionProtection": "true"}))
	if err != nil {
		t.Fatal(err)
	}
	want := LedgerSettings{Notify: "changes", RemindEveryDays: 1, RetentionDays: 3650, DeletionProtection: true}
	if got := c.Settings().Ledger; got != want || !got.Remembers() {
		t.Errorf("got %+v, want %+v (remembering)", got, want)
	}
	if d := Defaults().Ledger; d != (LedgerSettings{Notify: "changes", RemindEveryDays: 7, RetentionDays: 90}) {
		t.Errorf("defaults: got %+v, want notify changes, remind every 7 days, retention 90", d)
	}
}

func TestLedgerSettingsWithoutLedgerWarn(t *testing.T) {
	s := Defaults()
	s.Ledger.Notify = "every-run"
	c, err := s.Check(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 || c.Settings().KeepsLedger() {
		t.Errorf("every-run with defaults: warnings %q, keeps a ledger %v; want none", c.Warnings, c.Settings().KeepsLedger())
	}
	s.Ledger.RemindEveryDays, s.Ledger.DeletionProtection = 3, true
	c, err = s.Check(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := "remindEveryDays 3, ledgerDeletionProtection true: no effect with notify: every-run, which keeps no ledger"
	if len(c.Warnings) != 1 || c.Warnings[0] != want {
		t.Errorf("got warnings %q, want [%q]", c.Warnings, want)
	}
}

// TestLedgerWithAccounts: an organization stack keeps the ledger too (per account and key), and
// Check warns of nothing.
func TestLedgerWithAccounts(t *testing.T) {
	s := Defaults()
	s.Organization.Accounts = []string{OrganizationKeyword}
	c, err := s.Check(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, "notify") {
			t.Errorf("got warning %q, want none about notify", w)
		}
	}
	if !c.Settings().KeepsLedger() {
		t.Errorf("the organization stack keeps no ledger, want one")
	}
	if !Defaults().KeepsLedger() {
		t.Errorf("the default single-account stack keeps no ledger, want one")
	}
}
