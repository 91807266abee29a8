// Package schedule reads EventBridge Scheduler expressions (cron, rate and at) the way Scheduler
// does, and answers what keyage needs to know about one: whether it is valid, whether it still has
// a run ahead, and the largest gap between two runs in a time zone (DST included), which sizes
// the dead-man's-switch alarm. It knows nothing about stack settings; package config decides what
// to do with the answers. It reads no clock: callers pass "now".
package schedule

import (
	"errors"
	"fmt"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // IANA time zones without the system's zoneinfo (distroless, CI images)
)

// What each kind of schedule expression allows: the Allowed of its Errors.
const (
	AllowedSchedule = "cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)"
	AllowedRate     = "rate(value unit): a whole value of at least 1 with unit minute, hour or day when the value is 1, minutes, hours or days otherwise, at most 365 days"
	AllowedCron     = "cron(minutes hours day-of-month month day-of-week year) as EventBridge Scheduler reads it, with ? in exactly one of day-of-month and day-of-week"
	AllowedAt       = "at(yyyy-mm-ddThh:mm:ss), a valid date and time"
)

// MaxRateDays bounds a rate() schedule: a key-age check that runs less than once a year is not one.
const MaxRateDays = 365

// ErrOneShot is returned by MaxGap for an at() expression: a schedule that fires once has no gap
// between runs to watch.
var ErrOneShot = errors.New("one-shot schedule")

// Error is a schedule expression that EventBridge Scheduler would refuse: what is wrong with it
// and what Scheduler accepts.
type Error struct {
	Problem string // e.g. "is not a valid rate expression: ..."
	Allowed string // the form Scheduler accepts
}

// Error says what is wrong and what EventBridge Scheduler accepts.
func (e *Error) Error() string { return e.Problem + ": want " + e.Allowed }

// Expr is a parsed EventBridge Scheduler expression: exactly one of rate, cron and at is set.
// The zero value is not valid; use Parse.
type Expr struct {
	text string
	rate time.Duration
	cron *cronSpec
	at   *time.Time // wall clock in the schedule's time zone; the Location is meaningless
}

var (
	rateExpr = regexp.MustCompile(`^rate\((\S+) (\S+)\)$`)
	atExpr   = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)
)

// Parse parses an EventBridge Scheduler expression. Its error is an *Error.
func Parse(expr string) (*Expr, error) {
	e, err := parse(expr)
	if err != nil {
		return nil, err
	}
	e.text = expr
	return e, nil
}

// Text returns the expression as written, which is what Scheduler is given.
func (e *Expr) Text() string { return e.text }

// OneShot reports whether the expression is an at() schedule, which runs once.
func (e *Expr) OneShot() bool { return e.at != nil }

func parse(expr string) (*Expr, *Error) {
	switch {
	case strings.HasPrefix(expr, "rate("):
		d, err := parseRate(expr)
		if err != nil {
			return nil, err
		}
		return &Expr{rate: d}, nil
	case strings.HasPrefix(expr, "cron("):
		if !strings.HasSuffix(expr, ")") {
			return nil, &Error{"is not a valid cron expression: missing the closing parenthesis", AllowedCron}
		}
		c, err := parseCron(expr[len("cron(") : len(expr)-1])
		if err != nil {
			return nil, &Error{"is not a valid cron expression: " + err.Error(), AllowedCron}
		}
		return &Expr{cron: c}, nil
	case strings.HasPrefix(expr, "at("):
		m := atExpr.FindStringSubmatch(expr)
		if m == nil {
			return nil, &Error{"is not a valid at expression", AllowedAt}
		}
		t, err := time.Parse("2006-01-02T15:04:05", m[1])
		if err != nil {
			return nil, &Error{"is not a valid at expression: no such date or time", AllowedAt}
		}
		return &Expr{at: &t}, nil
	}
	return nil, &Error{"is not a schedule expression", AllowedSchedule}
}

func parseRate(expr string) (time.Duration, *Error) {
	m := rateExpr.FindStringSubmatch(expr)
	if m == nil {
		return 0, &Error{"is not a valid rate expression", AllowedRate}
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 || m[1][0] == '+' || m[1][0] == '0' {
		return 0, &Error{fmt.Sprintf("is not a valid rate expression: value %q is not a whole number of at least 1", m[1]), AllowedRate}
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit, plural := strings.CutSuffix(m[2], "s")
	d, ok := units[unit]
	switch {
	case !ok:
		return 0, &Error{fmt.Sprintf("is not a valid rate expression: unit %q is not minute(s), hour(s) or day(s)", m[2]), AllowedRate}
	case n == 1 && plural:
		return 0, &Error{fmt.Sprintf("is not a valid rate expression: a value of 1 takes the singular unit %q", unit), AllowedRate}
	case n > 1 && !plural:
		return 0, &Error{fmt.Sprintf("is not a valid rate expression: a value of %d takes the plural unit %q", n, unit+"s"), AllowedRate}
	case int64(n) > int64(MaxRateDays*24*time.Hour/d):
		return 0, &Error{fmt.Sprintf("is not a valid rate expression: runs less often than every %d days", MaxRateDays), AllowedRate}
	}
	return time.Duration(n) * d, nil
}

// cronSpec is a parsed cron expression. Bit i of a set means value i is selected.
type cronSpec struct {
	minutes uint64    // 0..59
	hours   uint32    // 0..23
	months  uint16    // 1..12
	years   [4]uint64 // year-1970, 0..229
	dom     domSpec   // when dow.any
	dow     dowSpec   // when dom.any
}

type domSpec struct {
	any     bool   // "?"
	days    uint32 // 1..31
	last    bool   // "L"
	weekday int    // "nW": the weekday nearest to day n, 0 if unused
}

type dowSpec struct {
	any     bool  // "?"
	days    uint8 // 1..7, 1 = Sunday; "L" alone is 7, the last day of the week
	lastOf  int   // "nL": the month's last weekday n, 0 if unused
	nth     int   // "n#k": weekday n in the k-th week of the month, 0 if unused
	nthWeek int   // k of "n#k", 1..5
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

// field describes one cron field's range and names.
type field struct {
	name   string
	lo, hi int
	names  []string // names[i] is value lo+i, case-insensitive
}

var (
	minuteField = field{"minutes", 0, 59, nil}
	hourField   = field{"hours", 0, 23, nil}
	domField    = field{"day-of-month", 1, 31, nil}
	monthField  = field{"month", 1, 12, monthNames}
	dowField    = field{"day-of-week", 1, 7, dayNames}
	yearField   = field{"year", 1970, 2199, nil}
)

func parseCron(body string) (*cronSpec, error) {
	parts := strings.Fields(body)
	switch {
	case len(parts) == 5:
		return nil, fmt.Errorf("has 5 fields, as Unix cron does, but EventBridge Scheduler wants 6 (the last is the year, usually *)")
	case len(parts) != 6:
		return nil, fmt.Errorf("has %d fields, want 6 separated by single spaces", len(parts))
	case strings.Join(parts, " ") != body:
		return nil, fmt.Errorf("has space other than single spaces between its 6 fields")
	}
	c := &cronSpec{}
	var err error
	set := func(f field, text string) (bitset [4]uint64) {
		if err == nil {
			bitset, err = f.parse(text)
		}
		return bitset
	}
	c.minutes = set(minuteField, parts[0])[0]
	c.hours = uint32(set(hourField, parts[1])[0])
	c.months = uint16(set(monthField, parts[3])[0])
	c.years = set(yearField, parts[5])
	if err != nil {
		return nil, err
	}
	if c.dom, err = parseDOM(parts[2]); err != nil {
		return nil, err
	}
	if c.dow, err = parseDOW(parts[4]); err != nil {
		return nil, err
	}
	if c.dom.any == c.dow.any {
		return nil, fmt.Errorf("day-of-month %q and day-of-week %q: exactly one of them must be ?", parts[2], parts[4])
	}
	if !c.dom.any && !c.domPossible() {
		return nil, fmt.Errorf("day-of-month %q never falls in month %q", parts[2], parts[3])
	}
	return c, nil
}

// domPossible reports whether some selected month has a selected day of the month.
func (c *cronSpec) domPossible() bool {
	longest := 0
	for m := 1; m <= 12; m++ {
		if c.months&(1<<m) != 0 {
			longest = max(longest, daysIn(2000, time.Month(m))) // a leap year: February has 29
		}
	}
	if c.dom.last {
		return true
	}
	if c.dom.weekday != 0 {
		return c.dom.weekday <= longest
	}
	return bits.TrailingZeros32(c.dom.days) <= longest
}

// parse reads a list of values, ranges and steps: "*", "*/s", "a", "a-b", "a/s", "a-b/s".
func (f field) parse(text string) ([4]uint64, error) {
	var set [4]uint64
	for _, item := range strings.Split(text, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		lo, hi := f.lo, f.hi
		switch {
		case rng == "*":
		default:
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = f.value(a); err != nil {
				return set, err
			}
			hi = lo
			if isRange {
				if hi, err = f.value(b); err != nil {
					return set, err
				}
				if hi < lo {
					return set, fmt.Errorf("%s range %q runs backwards", f.name, rng)
				}
			} else if hasStep {
				hi = f.hi // "a/s": from a to the end of the range
			}
		}
		step := 1
		if hasStep {
			s, err := strconv.Atoi(stepText)
			if err != nil || s < 1 || s > f.hi-f.lo+1 {
				return set, fmt.Errorf("%s step %q is not a whole number from 1 to %d", f.name, stepText, f.hi-f.lo+1)
			}
			step = s
		}
		for v := lo; v <= hi; v += step {
			i := v
			if f.hi >= 64 { // only years do not fit a bit per value: they count from 1970
				i -= f.lo
			}
			set[i/64] |= 1 << (i % 64)
		}
	}
	return set, nil
}

// value reads one number or name of the field.
func (f field) value(text string) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(text, n) {
			return f.lo + i, nil
		}
	}
	v, err := strconv.Atoi(text)
	if err != nil || text == "" || text[0] == '+' || text[0] == '-' {
		if f.names != nil {
			return 0, fmt.Errorf("%s value %q is neither a number from %d to %d nor one of %s", f.name, text, f.lo, f.hi, strings.Join(f.names, ", "))
		}
		return 0, fmt.Errorf("%s value %q is not a number from %d to %d", f.name, text, f.lo, f.hi)
	}
	if v < f.lo || v > f.hi {
		return 0, fmt.Errorf("%s value %d is out of range %d-%d", f.name, v, f.lo, f.hi)
	}
	return v, nil
}

func parseDOM(text string) (domSpec, error) {
	switch {
	case text == "?":
		return domSpec{any: true}, nil
	case text == "L":
		return domSpec{last: true}, nil
	case strings.HasSuffix(text, "W"):
		n, err := domField.value(strings.TrimSuffix(text, "W"))
		if err != nil || strings.ContainsAny(text, ",-/*") {
			return domSpec{}, fmt.Errorf("day-of-month %q: W takes one day, as in 15W (the weekday nearest the 15th)", text)
		}
		return domSpec{weekday: n}, nil
	case strings.ContainsAny(text, "LW#?"):
		return domSpec{}, fmt.Errorf("day-of-month %q: ?, L and W stand alone (as ?, L or 15W) and # belongs to day-of-week", text)
	}
	set, err := domField.parse(text)
	return domSpec{days: uint32(set[0])}, err
}

func parseDOW(text string) (dowSpec, error) {
	switch {
	case text == "?":
		return dowSpec{any: true}, nil
	case text == "L":
		return dowSpec{days: 1 << 7}, nil // the last day of the week: Saturday
	case strings.Contains(text, "#"):
		d, k, _ := strings.Cut(text, "#")
		day, err := dowField.value(d)
		if err != nil {
			return dowSpec{}, err
		}
		week, err := strconv.Atoi(k)
		if err != nil || week < 1 || week > 5 {
			return dowSpec{}, fmt.Errorf("day-of-week %q: the week after # is not from 1 to 5", text)
		}
		return dowSpec{nth: day, nthWeek: week}, nil
	case strings.HasSuffix(text, "L"):
		day, err := dowField.value(strings.TrimSuffix(text, "L"))
		if err != nil || strings.ContainsAny(text, ",-/*") {
			return dowSpec{}, fmt.Errorf("day-of-week %q: L after a day takes one day, as in 6L (the month's last Friday)", text)
		}
		return dowSpec{lastOf: day}, nil
	case strings.Contains(text, "?"):
		return dowSpec{}, fmt.Errorf("day-of-week %q: ? stands alone", text)
	}
	set, err := dowField.parse(text)
	return dowSpec{days: uint8(set[0])}, err
}

// matchesDay reports whether the cron selects the civil date y-m-d (weekday wd).
func (c *cronSpec) matchesDay(y int, m time.Month, d int, wd time.Weekday) bool {
	yi := y - 1970
	if yi < 0 || yi >= 230 || c.years[yi/64]&(1<<(yi%64)) == 0 || c.months&(1<<int(m)) == 0 {
		return false
	}
	last := daysIn(y, m)
	if c.dow.any {
		switch {
		case c.dom.last:
			return d == last
		case c.dom.weekday != 0:
			return d == nearestWeekday(y, m, c.dom.weekday)
		}
		return c.dom.days&(1<<d) != 0
	}
	dow := int(wd) + 1 // 1 = Sunday
	switch {
	case c.dow.lastOf != 0:
		return dow == c.dow.lastOf && d+7 > last
	case c.dow.nth != 0:
		return dow == c.dow.nth && (d-1)/7+1 == c.dow.nthWeek
	}
	return c.dow.days&(1<<dow) != 0
}

// nearestWeekday is the Monday-to-Friday day closest to day n of the month, without leaving
// the month; 0 when the month has no day n.
func nearestWeekday(y int, m time.Month, n int) int {
	last := daysIn(y, m)
	if n > last {
		return 0
	}
	switch time.Date(y, m, n, 12, 0, 0, 0, time.UTC).Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3 // Monday the 3rd
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2 // Friday
		}
		return n + 1
	}
	return n
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

// minutesOfDay lists the selected times of day as minutes since midnight, ascending.
func (c *cronSpec) minutesOfDay() []int {
	var out []int
	for h := 0; h < 24; h++ {
		if c.hours&(1<<h) == 0 {
			continue
		}
		for m := 0; m < 60; m++ {
			if c.minutes&(1<<m) != 0 {
				out = append(out, h*60+m)
			}
		}
	}
	return out
}

// LoadLocation is time.LoadLocation without "Local" (which means the deploying machine's zone,
// not a zone EventBridge Scheduler knows) and without the empty name (UTC in Go, an error in AWS).
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q: not an IANA name", name)
	}
	return time.LoadLocation(name)
}

// GapHorizonYears is how far MaxGap enumerates a cron schedule: 28 years, after which
// the Gregorian calendar's weekdays repeat (within a century).
const GapHorizonYears = 28

// MaxGap returns the largest time between two consecutive runs, the span a dead-man's-switch
// alarm must cover. A rate is exact. A cron schedule is enumerated in loc for GapHorizonYears
// from the civil date of from, as EventBridge Scheduler runs it across daylight saving time: a
// run at a wall-clock time that does not exist that day is skipped, and a run at a time that
// occurs twice runs once. An at() schedule, or a cron one that runs once, returns ErrOneShot.
func (e *Expr) MaxGap(loc *time.Location, from time.Time) (time.Duration, error) {
	switch {
	case e.rate > 0:
		return e.rate, nil
	case e.at != nil:
		return 0, fmt.Errorf("schedule %q runs once, so there is no gap between runs to watch: %w", e.text, ErrOneShot)
	}
	c := e.cron
	times := c.minutesOfDay()
	maxInDay := time.Duration(0)
	for i := 1; i < len(times); i++ {
		maxInDay = max(maxInDay, time.Duration(times[i]-times[i-1])*time.Minute)
	}

	from = from.In(loc)
	day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC) // a civil date
	end := day.AddDate(GapHorizonYears, 0, 0)
	var (
		prev  time.Time
		runs  int
		worst time.Duration
	)
	fire := func(t time.Time) {
		if runs > 0 {
			worst = max(worst, t.Sub(prev))
		}
		prev = t
		runs++
	}
	for ; day.Before(end); day = day.Add(24 * time.Hour) {
		y, m, d := day.Date()
		if !c.matchesDay(y, m, d, day.Weekday()) {
			continue
		}
		midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
		if time.Date(y, m, d+1, 0, 0, 0, 0, loc).Sub(midnight) == 24*time.Hour && midnight.Hour() == 0 {
			// An ordinary day: its runs are evenly spaced in wall-clock and real time alike.
			first := midnight.Add(time.Duration(times[0]) * time.Minute)
			fire(first)
			runs += len(times) - 1
			prev = midnight.Add(time.Duration(times[len(times)-1]) * time.Minute)
			worst = max(worst, maxInDay)
			continue
		}
		for _, tod := range times {
			h, mi := tod/60, tod%60
			t := time.Date(y, m, d, h, mi, 0, 0, loc)
			if t.Hour() != h || t.Minute() != mi || t.Day() != d {
				continue // this wall-clock time does not exist today: the run is skipped
			}
			if runs > 0 && !t.After(prev) {
				continue // a repeated wall-clock time runs once
			}
			fire(t)
		}
	}
	switch runs {
	case 0:
		return 0, fmt.Errorf("schedule %q has no run in the %d years from %s", e.text, GapHorizonYears, from.Format(time.DateOnly))
	case 1:
		return 0, fmt.Errorf("schedule %q runs once in the %d years from %s, so there is no gap between runs to watch: %w",
			e.text, GapHorizonYears, from.Format(time.DateOnly), ErrOneShot)
	}
	return worst, nil
}

// NextRun returns the first run strictly after now, in loc, and false when there is none: an
// at() time that has passed, or a cron expression whose years are all past. EventBridge
// Scheduler accepts such an expression, and the schedule then never starts a run.
func (e *Expr) NextRun(loc *time.Location, now time.Time) (time.Time, bool) {
	switch {
	case e.rate > 0:
		return now.Add(e.rate), true
	case e.at != nil:
		t := time.Date(e.at.Year(), e.at.Month(), e.at.Day(), e.at.Hour(), e.at.Minute(), e.at.Second(), 0, loc)
		return t, t.After(now)
	}
	c := e.cron
	times := c.minutesOfDay()
	local := now.In(loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC) // a civil date
	for ; day.Year() <= yearField.hi; day = day.Add(24 * time.Hour) {
		y, m, d := day.Date()
		if yi := y - 1970; c.years[yi/64]&(1<<(yi%64)) == 0 {
			day = time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC) // no run this year
			continue
		}
		if !c.matchesDay(y, m, d, day.Weekday()) {
			continue
		}
		for _, tod := range times {
			h, mi := tod/60, tod%60
			t := time.Date(y, m, d, h, mi, 0, 0, loc)
			if t.Hour() == h && t.Minute() == mi && t.After(now) {
				return t, true
			}
		}
	}
	return time.Time{}, false
}
