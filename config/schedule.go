package config

import (
	"fmt"
	"math/bits"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// What each kind of schedule expression allows, for error messages.
const (
	allowedSchedule = "cron(minutes hours day-of-month month day-of-week year), rate(value unit) or at(yyyy-mm-ddThh:mm:ss)"
	allowedRate     = "rate(value unit): a whole value of at least 1 with unit minute, hour or day when the value is 1, minutes, hours or days otherwise, at most 365 days"
	allowedCron     = "cron(minutes hours day-of-month month day-of-week year) as EventBridge Scheduler reads it, with ? in exactly one of day-of-month and day-of-week"
	allowedAt       = "at(yyyy-mm-ddThh:mm:ss), a valid date and time"
)

// scheduleError is a schedule expression that EventBridge Scheduler would refuse.
type scheduleError struct{ problem, allowed string }

// Error says what is wrong and what EventBridge Scheduler accepts.
func (e *scheduleError) Error() string { return e.problem + ": want " + e.allowed }

// schedule is a parsed EventBridge Scheduler expression: exactly one of its fields is set.
type schedule struct {
	rate time.Duration
	cron *cronSpec
	at   *time.Time // wall clock in the schedule's time zone; the Location is meaningless
}

var (
	rateExpr = regexp.MustCompile(`^rate\((\S+) (\S+)\)$`)
	atExpr   = regexp.MustCompile(`^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$`)
)

// parseSchedule parses an EventBridge Scheduler expression.
func parseSchedule(expr string) (schedule, *scheduleError) {
	switch {
	case strings.HasPrefix(expr, "rate("):
		d, err := parseRate(expr)
		return schedule{rate: d}, err
	case strings.HasPrefix(expr, "cron("):
		if !strings.HasSuffix(expr, ")") {
			return schedule{}, &scheduleError{"is not a valid cron expression: missing the closing parenthesis", allowedCron}
		}
		c, err := parseCron(expr[len("cron(") : len(expr)-1])
		if err != nil {
			return schedule{}, &scheduleError{"is not a valid cron expression: " + err.Error(), allowedCron}
		}
		return schedule{cron: c}, nil
	case strings.HasPrefix(expr, "at("):
		m := atExpr.FindStringSubmatch(expr)
		if m == nil {
			return schedule{}, &scheduleError{"is not a valid at expression", allowedAt}
		}
		t, err := time.Parse("2006-01-02T15:04:05", m[1])
		if err != nil {
			return schedule{}, &scheduleError{"is not a valid at expression: no such date or time", allowedAt}
		}
		return schedule{at: &t}, nil
	}
	return schedule{}, &scheduleError{"is not a schedule expression", allowedSchedule}
}

func parseRate(expr string) (time.Duration, *scheduleError) {
	m := rateExpr.FindStringSubmatch(expr)
	if m == nil {
		return 0, &scheduleError{"is not a valid rate expression", allowedRate}
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 || m[1][0] == '+' || m[1][0] == '0' {
		return 0, &scheduleError{fmt.Sprintf("is not a valid rate expression: value %q is not a whole number of at least 1", m[1]), allowedRate}
	}
	units := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
	unit, plural := strings.CutSuffix(m[2], "s")
	d, ok := units[unit]
	switch {
	case !ok:
		return 0, &scheduleError{fmt.Sprintf("is not a valid rate expression: unit %q is not minute(s), hour(s) or day(s)", m[2]), allowedRate}
	case n == 1 && plural:
		return 0, &scheduleError{fmt.Sprintf("is not a valid rate expression: a value of 1 takes the singular unit %q", unit), allowedRate}
	case n > 1 && !plural:
		return 0, &scheduleError{fmt.Sprintf("is not a valid rate expression: a value of %d takes the plural unit %q", n, unit+"s"), allowedRate}
	case int64(n) > int64(MaxRateDays*24*time.Hour/d):
		return 0, &scheduleError{fmt.Sprintf("is not a valid rate expression: runs less often than every %d days", MaxRateDays), allowedRate}
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

// GapHorizonYears is how far MaxScheduleGap enumerates a cron schedule: 28 years, after which
// the Gregorian calendar's weekdays repeat (within a century).
const GapHorizonYears = 28

// clock is the time MaxScheduleGap enumerates from; tests replace it.
var clock = time.Now

// MaxScheduleGap returns the largest time between two consecutive scheduled runs, the span a
// dead-man's-switch alarm must cover. A rate is exact. A cron schedule is enumerated in the
// stack's time zone for GapHorizonYears from today, as EventBridge Scheduler runs it across
// daylight saving time: a run at a wall-clock time that does not exist that day is skipped, and a
// run at a time that occurs twice runs once. An at() schedule returns ErrOneShotSchedule.
func (s Settings) MaxScheduleGap() (time.Duration, error) {
	return s.maxScheduleGapFrom(clock())
}

func (s Settings) maxScheduleGapFrom(from time.Time) (time.Duration, error) {
	sched, serr := parseSchedule(s.Schedule)
	if serr != nil {
		return 0, fmt.Errorf("schedule %q: %w", s.Schedule, serr)
	}
	switch {
	case sched.rate > 0:
		return sched.rate, nil
	case sched.at != nil:
		return 0, fmt.Errorf("schedule %q runs once, so there is no gap between runs to watch: %w", s.Schedule, ErrOneShotSchedule)
	}
	loc, err := loadLocation(s.ScheduleTimezone)
	if err != nil {
		return 0, fmt.Errorf("scheduleTimezone %q: %w", s.ScheduleTimezone, err)
	}
	c := sched.cron
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
	if runs < 2 {
		return 0, fmt.Errorf("schedule %q runs %d times in the %d years from %s, so there is no gap between runs to watch",
			s.Schedule, runs, GapHorizonYears, from.Format(time.DateOnly))
	}
	return worst, nil
}
