package config

import (
	"errors"
	"testing"
	"time"
)

// TestCheckedCarriesWhatCheckParsed: Check parses the schedule and loads its time zone once and
// hands both on, with a copy of the settings the caller cannot change afterwards.
func TestCheckedCarriesWhatCheckParsed(t *testing.T) {
	s := Defaults()
	s.Schedule, s.ScheduleTimezone = "cron(0 8 ? * MON-FRI *)", "Europe/Berlin"
	s.ExemptUsers = []string{"break-glass-*"}
	s.Tags = map[string]string{"team": "security"}
	c, err := s.Check(time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if c.IsZero() || c.Schedule() == nil || c.Schedule().Text() != s.Schedule {
		t.Errorf("Schedule() = %v, want %q parsed", c.Schedule(), s.Schedule)
	}
	if c.Location() == nil || c.Location().String() != "Europe/Berlin" {
		t.Errorf("Location() = %v, want Europe/Berlin", c.Location())
	}
	// The weekend when Berlin's clocks go back: Friday 08:00 CEST to Monday 08:00 CET.
	if !c.DeadMansSwitch.Enabled || c.DeadMansSwitch.Gap != 73*time.Hour {
		t.Errorf("DeadMansSwitch = %+v, want an alarm over the 73h gap of the weekend that ends summer time", c.DeadMansSwitch)
	}
	s.ExemptUsers[0], s.Tags["team"] = "everyone-*", "other"
	if got := c.Settings(); got.ExemptUsers[0] != "break-glass-*" || got.Tags["team"] != "security" {
		t.Errorf("Settings() = %v, %v after the caller changed its own: want what was checked", got.ExemptUsers, got.Tags)
	}
	got := c.Settings()
	got.ExemptUsers[0] = "changed"
	if c.Settings().ExemptUsers[0] != "break-glass-*" {
		t.Error("changing what Settings() returned changed the Checked")
	}
}

func TestCheckedZeroAndInvalid(t *testing.T) {
	if !(Checked{}).IsZero() {
		t.Error("the zero Checked is not IsZero")
	}
	s := Defaults()
	s.MaxConcurrency = 0
	c, err := s.Check(time.Now())
	var se *SettingError
	if !errors.As(err, &se) || se.Key != "maxConcurrency" || !c.IsZero() {
		t.Errorf("Check(maxConcurrency 0) = %+v, %v; want the zero Checked and a SettingError for maxConcurrency", c, err)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustCheck(invalid) did not panic")
		}
	}()
	MustCheck(s)
}
