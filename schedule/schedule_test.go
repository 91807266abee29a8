package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fuzzFrom is a fixed start for schedule enumeration, so that results do not depend on today.
var fuzzFrom = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

func TestMaxGap(t *testing.T) {
	const day = 24 * time.Hour
	tests := []struct {
		name, schedule, zone string
		want                 time.Duration
	}{
		{"daily", "cron(0 8 * * ? *)", "UTC", day},
		{"weekdays only: Friday to Monday", "cron(0 8 ? * MON-FRI *)", "UTC", 72 * time.Hour},
		{"weekdays by number", "cron(0 8 ? * 2-6 *)", "UTC", 72 * time.Hour},
		{"weekdays in Berlin: the autumn weekend is an hour longer", "cron(0 8 ? * MON-FRI *)", "Europe/Berlin", 73 * time.Hour},
		{"monthly on the last day: March 31 after February 28/29", "cron(0 8 L * ? *)", "UTC", 31 * day},
		{"hourly", "cron(0 * * * ? *)", "UTC", time.Hour},
		{"hourly in Berlin: 02:00 runs once when it occurs twice", "cron(0 * * * ? *)", "Europe/Berlin", 2 * time.Hour},
		{"daily 08:00 in Berlin: the day clocks go back has 25 hours", "cron(0 8 * * ? *)", "Europe/Berlin", 25 * time.Hour},
		// 02:30 CET, the next day skipped, then 02:30 CEST: 48 hours on the wall clock, 47 in real time.
		{"daily 02:30 in Berlin: skipped when clocks jump from 02:00 to 03:00", "cron(30 2 * * ? *)", "Europe/Berlin", 47 * time.Hour},
		{"daily 02:30 in New York: skipped in March", "cron(30 2 * * ? *)", "America/New_York", 47 * time.Hour},
		{"twice a day, uneven", "cron(0 6,20 * * ? *)", "UTC", 14 * time.Hour},
		{"every 15 minutes during office hours", "cron(0/15 8-17 ? * MON-FRI *)", "UTC", 72*time.Hour - 9*time.Hour - 45*time.Minute},
		{"first Monday of the month", "cron(0 9 ? * MON#1 *)", "UTC", 35 * day},
		{"last Friday of the month", "cron(0 9 ? * 6L *)", "UTC", 35 * day},
		{"Saturdays (L alone)", "cron(0 9 ? * L *)", "UTC", 7 * day},
		{"quarterly on the 1st", "cron(0 0 1 1/3 ? *)", "UTC", 92 * day},
		{"leap day only", "cron(0 0 29 2 ? *)", "UTC", 1461 * day},
		{"rate is exact", "rate(5 minutes)", "Europe/Berlin", 5 * time.Minute},
		{"rate of days", "rate(7 days)", "UTC", 7 * day},
		{"rate of one hour", "rate(1 hour)", "UTC", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := maxGap(t, tt.schedule, tt.zone)
			if err != nil {
				t.Fatalf("MaxGap(%s in %s) error: %v", tt.schedule, tt.zone, err)
			}
			if got != tt.want {
				t.Errorf("MaxGap(%s in %s) = %v, want %v", tt.schedule, tt.zone, got, tt.want)
			}
		})
	}
}

// maxGap parses expr and returns its largest gap in zone, from fuzzFrom.
func maxGap(t testing.TB, expr, zone string) (time.Duration, error) {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%s): %v", expr, err)
	}
	loc, err := LoadLocation(zone)
	if err != nil {
		t.Fatalf("LoadLocation(%s): %v", zone, err)
	}
	return e.MaxGap(loc, fuzzFrom)
}

func TestMaxGapErrors(t *testing.T) {
	if _, err := maxGap(t, "at(2027-01-01T08:00:00)", "UTC"); !errors.Is(err, ErrOneShot) {
		t.Errorf("MaxGap(at) error = %v, want ErrOneShot", err)
	}
	want := `schedule "cron(0 8 * * ? 2020)" has no run in the 28 years from 2026-01-01`
	if _, err := maxGap(t, "cron(0 8 * * ? 2020)", "UTC"); err == nil || err.Error() != want || errors.Is(err, ErrOneShot) {
		t.Errorf("MaxGap(past year) error = %v, want %q", err, want)
	}
	if _, err := maxGap(t, "cron(0 8 1 1 ? 2026)", "UTC"); !errors.Is(err, ErrOneShot) || !strings.Contains(err.Error(), "runs once") {
		t.Errorf("MaxGap(one run) error = %v, want runs once and ErrOneShot", err)
	}
	if _, err := Parse("weekly"); err == nil || err.Error() != "is not a schedule expression: want "+AllowedSchedule {
		t.Errorf("Parse(weekly) error = %v, want the parse error", err)
	}
	for _, zone := range []string{"Mars/Olympus", "", "Local"} {
		if _, err := LoadLocation(zone); err == nil {
			t.Errorf("LoadLocation(%q) = nil error, want one", zone)
		}
	}
}

// TestMaxGapFrom: the enumeration starts at the date it is given, not today.
func TestMaxGapFrom(t *testing.T) {
	e, err := Parse("cron(0 8 * * ? 2030-2031)")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.MaxGap(time.UTC, time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || got != 24*time.Hour {
		t.Errorf("MaxGap(from 2030) = %v, %v; want 24h0m0s, nil", got, err)
	}
}

func TestNextRun(t *testing.T) {
	berlin, err := LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) // 11:00 in Berlin
	tests := []struct {
		expr string
		loc  *time.Location
		want string // RFC 3339 in UTC, "" for no run
	}{
		{"cron(0 8 * * ? *)", time.UTC, "2026-12-02T08:00:00Z"},
		{"cron(0 12 * * ? *)", berlin, "2026-12-01T11:00:00Z"},
		{"cron(0 11 * * ? *)", berlin, "2026-12-02T10:00:00Z"}, // 11:00 Berlin is now: not after it
		{"cron(0 8 * * ? 2020)", time.UTC, ""},
		{"cron(0 8 * * ? 2020-2025)", time.UTC, ""},
		{"cron(0 8 1 1 ? 2150)", time.UTC, "2150-01-01T08:00:00Z"},
		{"cron(0 8 ? * MON *)", time.UTC, "2026-12-07T08:00:00Z"},
		{"at(2026-12-01T10:30:00)", time.UTC, "2026-12-01T10:30:00Z"},
		{"at(2026-12-01T10:30:00)", berlin, ""}, // 09:30 UTC
		{"at(2020-01-01T00:00:00)", time.UTC, ""},
		{"rate(1 day)", time.UTC, "2026-12-02T10:00:00Z"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		next, ok := e.NextRun(tt.loc, now)
		got := ""
		if ok {
			got = next.UTC().Format(time.RFC3339)
		}
		if got != tt.want {
			t.Errorf("NextRun(%s in %s) = %q, want %q", tt.expr, tt.loc, got, tt.want)
		}
	}
}

// TestCronDays pins the day rules against dates checked by hand on a calendar.
func TestCronDays(t *testing.T) {
	tests := []struct {
		cron string
		date string // yyyy-mm-dd
		want bool
	}{
		{"cron(0 0 15W * ? *)", "2026-02-16", true},  // the 15th is a Sunday: Monday the 16th
		{"cron(0 0 15W * ? *)", "2026-02-15", false}, //
		{"cron(0 0 14W * ? *)", "2026-02-13", true},  // the 14th is a Saturday: Friday the 13th
		{"cron(0 0 1W * ? *)", "2026-08-03", true},   // the 1st is a Saturday: Monday the 3rd, not July 31st
		{"cron(0 0 31W * ? *)", "2026-05-29", true},  // the 31st is a Sunday: Friday the 29th, not June 1st
		{"cron(0 0 31W * ? *)", "2026-06-30", false}, // June has no 31st
		{"cron(0 0 L * ? *)", "2028-02-29", true},
		{"cron(0 0 L * ? *)", "2026-02-28", true},
		{"cron(0 0 ? * 6L *)", "2026-01-30", true},    // last Friday of January 2026
		{"cron(0 0 ? * FRIL *)", "2026-01-23", false}, // a Friday, not the last
		{"cron(0 0 ? * 3#2 *)", "2026-03-10", true},   // second Tuesday of March 2026
		{"cron(0 0 ? * TUE#2 *)", "2026-03-03", false},
		{"cron(0 0 ? * mon-fri *)", "2026-03-07", false}, // Saturday; names are case-insensitive
		{"cron(0 0 ? * SUN *)", "2026-03-08", true},
		{"cron(0 0 1-10/3 * ? *)", "2026-03-07", true}, // 1, 4, 7, 10
		{"cron(0 0 1-10/3 * ? *)", "2026-03-08", false},
		{"cron(0 0 5/10 * ? *)", "2026-03-25", true}, // 5, 15, 25
		{"cron(0 0 * JUN,DEC ? 2026/2)", "2028-12-01", true},
		{"cron(0 0 * JUN,DEC ? 2026/2)", "2027-12-01", false},
	}
	for _, tt := range tests {
		sched, err := parse(tt.cron)
		if err != nil {
			t.Fatalf("parseSchedule(%s): %v", tt.cron, err)
		}
		d, perr := time.Parse(time.DateOnly, tt.date)
		if perr != nil {
			t.Fatal(perr)
		}
		if got := sched.cron.matchesDay(d.Year(), d.Month(), d.Day(), d.Weekday()); got != tt.want {
			t.Errorf("%s on %s (%s) = %v, want %v", tt.cron, tt.date, d.Weekday(), got, tt.want)
		}
	}
}

func TestScheduleSyntax(t *testing.T) {
	valid := []string{
		"cron(0 8 * * ? *)", "cron(*/5 * * * ? *)", "cron(0 0 ? * SUN-SAT *)", "cron(59 23 31 12 ? 2199)",
		"cron(0 0 1,15 * ? 1970-2199)", "cron(0 12 ? JAN-DEC/2 MON,WED,FRI *)", "cron(0 0 L 2 ? *)",
		"rate(1 minute)", "rate(2 minutes)", "rate(1 day)", "rate(365 days)", "rate(8760 hours)",
		"at(2030-12-31T23:59:59)",
	}
	for _, expr := range valid {
		if _, err := Parse(expr); err != nil {
			t.Errorf("Parse(%s) error: %v, want none", expr, err)
		}
	}
	invalid := map[string]string{
		"cron(0 8 ? * ? *)":         `day-of-month "?" and day-of-week "?": exactly one of them must be ?`,
		"cron(0 8 * * MON *)":       `day-of-month "*" and day-of-week "MON": exactly one of them must be ?`,
		"cron(0 24 * * ? *)":        "hours value 24 is out of range 0-23",
		"cron(0 8 0 * ? *)":         "day-of-month value 0 is out of range 1-31",
		"cron(0 8 * 13 ? *)":        "month value 13 is out of range 1-12",
		"cron(0 8 ? * 8 *)":         "day-of-week value 8 is out of range 1-7",
		"cron(0 8 ? * 2#6 *)":       `day-of-week "2#6": the week after # is not from 1 to 5`,
		"cron(0 8 10-5 * ? *)":      `day-of-month range "10-5" runs backwards`,
		"cron(0/0 8 * * ? *)":       `minutes step "0" is not a whole number from 1 to 60`,
		"cron(0 8 LW * ? *)":        `day-of-month "LW": W takes one day, as in 15W (the weekday nearest the 15th)`,
		"cron(0 8 1,L * ? *)":       `day-of-month "1,L": ?, L and W stand alone (as ?, L or 15W) and # belongs to day-of-week`,
		"cron(0 8 ? * 1W *)":        `day-of-week value "1W" is neither a number from 1 to 7 nor one of SUN, MON, TUE, WED, THU, FRI, SAT`,
		"cron(0 8 ? * MON,? *)":     `day-of-week "MON,?": ? stands alone`,
		"cron(0 8 ? * MON,FRIL *)":  `day-of-week "MON,FRIL": L after a day takes one day, as in 6L (the month's last Friday)`,
		"cron(0 8 * * ? *":          "missing the closing parenthesis",
		"cron(0  8 * * ? * *)":      "has 7 fields, want 6 separated by single spaces",
		"cron(0 8 31 2,4,6,9 ? *)":  `day-of-month "31" never falls in month "2,4,6,9"`,
		"cron(0 8 * * ? -1)":        `year value "" is not a number from 1970 to 2199`,
		"rate(5 minute)":            `a value of 5 takes the plural unit "minutes"`,
		"rate(05 minutes)":          `value "05" is not a whole number of at least 1`,
		"rate(366 days)":            "runs less often than every 365 days",
		"rate(5  minutes)":          "is not a valid rate expression",
		"at(2026-01-01 08:00:00)":   "is not a valid at expression",
		"at(2026-13-01T08:00:00)":   "no such date or time",
		"cron(0 8 * * ? *) ":        "missing the closing parenthesis",
		"cron( 0 8 * * ? *)":        "has space other than single spaces between its 6 fields",
		"CRON(0 8 * * ? *)":         "is not a schedule expression",
		"cron(0 8 15W,16W * ? *)":   `day-of-month "15W,16W": W takes one day`,
		"cron(0 8 ? * MON#1,2 *)":   `the week after # is not from 1 to 5`,
		"cron(0 8 * * ? 2026-2025)": `year range "2026-2025" runs backwards`,
	}
	for expr, want := range invalid {
		_, err := parse(expr)
		if err == nil || !strings.Contains(err.Problem, want) {
			t.Errorf("parse(%s) = %v, want a problem containing %q", expr, err, want)
		}
	}
}

func BenchmarkMaxGap(b *testing.B) {
	for _, expr := range []string{"cron(0 8 ? * MON-FRI *)", "cron(* * * * ? *)"} {
		b.Run(expr, func(b *testing.B) {
			e, err := Parse(expr)
			if err != nil {
				b.Fatal(err)
			}
			loc, err := LoadLocation("Europe/Berlin")
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.MaxGap(loc, fuzzFrom); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
