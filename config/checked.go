package config

import (
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/keyage/keyage/schedule"
)

// Checked is settings that passed the rule set, with what checking them parsed and implied.
// Only Settings.Check makes one (Parse, ParseConfig and LoadStackFile return its result), so
// code that takes a Checked (infra.NewKeyAgeNotifier, workflow.Definition) neither validates nor
// parses the settings again: a stack's settings are checked, and their schedule parsed, once per
// command or deployment.
type Checked struct {
	settings Settings
	schedule *schedule.Expr
	location *time.Location

	// Warnings are things that work, but not as one would expect: the same ones for every
	// command and the program.
	Warnings []string
	// DeadMansSwitch is the "no successful run" alarm's evaluation, or why there is none.
	DeadMansSwitch DeadMansSwitch
}

// ErrUnchecked is the error of code that takes a Checked and was given its zero value.
var ErrUnchecked = errors.New("settings were not checked: make them with config.Settings.Check (or config.Parse, ParseConfig, LoadStackFile)")

// Settings returns a copy of the settings that were checked.
func (c Checked) Settings() Settings { return c.settings.clone() }

// Schedule is Settings().Schedule, parsed.
func (c Checked) Schedule() *schedule.Expr { return c.schedule }

// Location is Settings().ScheduleTimezone, loaded.
func (c Checked) Location() *time.Location { return c.location }

// IsZero reports whether c is the zero value, which no check made.
func (c Checked) IsZero() bool { return c.schedule == nil }

// Check is the rule set with what the settings imply beyond their validity, as of now (a
// schedule with no run after now is a problem): the warnings and the dead-man's-switch
// decision. It returns every problem at once, as *SettingError values joined with errors.Join.
func (s Settings) Check(now time.Time) (Checked, error) {
	p, sched := s.validate(now)
	if err := p.err(); err != nil {
		return Checked{}, err
	}
	return s.checked(sched, now), nil
}

// checked is the Checked of valid settings whose schedule validate parsed.
func (s Settings) checked(sched parsedSchedule, now time.Time) Checked {
	c := Checked{settings: s.clone(), schedule: sched.expr, location: sched.loc, DeadMansSwitch: deadMansSwitch(sched, now)}
	if w := c.DeadMansSwitch.Warning; w != "" {
		c.Warnings = append(c.Warnings, w)
	}
	c.Warnings = append(c.Warnings, s.exemptionWarnings(now)...)
	c.Warnings = append(c.Warnings, s.ledgerWarnings()...)
	c.Warnings = append(c.Warnings, s.memberStackSetWarnings()...)
	c.Warnings = append(c.Warnings, s.ownerMessageWarnings()...)
	return c
}

// clone copies the settings' lists and maps, so that a Checked does not change with its caller's
// settings.
func (s Settings) clone() Settings {
	s.ExemptUsers = slices.Clone(s.ExemptUsers)
	s.Exemptions = s.Exemptions.clone()
	s.Subscriptions = slices.Clone(s.Subscriptions)
	s.AlarmSubscriptions = slices.Clone(s.AlarmSubscriptions)
	s.Tags = maps.Clone(s.Tags)
	if m := s.Component.MemberStackSet; m != nil {
		m := *m
		m.OrganizationalUnits = slices.Clone(m.OrganizationalUnits)
		s.Component.MemberStackSet = &m
	}
	s.Organization = s.Organization.clone()
	s.Chat = s.Chat.clone()
	return s
}

// MustCheck is Check as of now for settings known to be valid (tests, examples, settings
// written in Go); it panics on invalid ones, as regexp.MustCompile does on a bad pattern.
func MustCheck(s Settings) Checked {
	c, err := s.Check(time.Now())
	if err != nil {
		panic("config.MustCheck: " + err.Error())
	}
	return c
}
