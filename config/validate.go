package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyage/keyage/schedule"
)

// Validate is Check as of now, for callers that want only its verdict.
func (s Settings) Validate() error {
	_, err := s.Check(time.Now())
	return err
}

// parsedSchedule is the schedule and its time zone as validate parsed them; nil when invalid.
type parsedSchedule struct {
	expr *schedule.Expr
	loc  *time.Location
}

// validate is the one rule set that Check, Parse, ParseConfig and LoadStackFile apply, as of
// now. It also returns the parsed schedule, so that nothing parses it again.
func (s Settings) validate(now time.Time) (problems, parsedSchedule) {
	var p problems
	for _, pp := range s.Policy().Validate() {
		p.add(pp.Field, pp.Value, pp.Problem, pp.Allowed)
	}
	s.Exemptions.validate(&p)
	sched := s.validateSchedule(&p, now)
	validateSubscriptions(&p, "subscriptions", s.Subscriptions)
	validateSubscriptions(&p, "alarmSubscriptions", s.AlarmSubscriptions)
	checkRange(&p, "maxConcurrency", s.MaxConcurrency, MinMaxConcurrency, MaxMaxConcurrency)
	switch v := s.LogLevel; {
	case strings.ToUpper(v) == "OFF":
		p.add("logLevel", v, "is not allowed: it turns execution logging off, which fails Security Hub control StepFunctions.1", "ALL, ERROR or FATAL")
	case slices.Contains(LogLevels, strings.ToUpper(v)) && !slices.Contains(LogLevels, v):
		p.add("logLevel", v, "is not a log level (they are upper case)", "ALL, ERROR or FATAL")
	case !slices.Contains(LogLevels, v):
		p.add("logLevel", v, "is not a log level", "ALL, ERROR or FATAL")
	}
	if !slices.Contains(LogRetentionDays, s.LogRetentionDays) {
		p.add("logRetentionDays", strconv.Itoa(s.LogRetentionDays), "is not a retention period CloudWatch Logs accepts", "one of "+joinInts(LogRetentionDays))
	}
	checkRange(&p, "functionMemoryMB", s.FunctionMemoryMB, MinFunctionMemoryMB, MaxFunctionMemoryMB)
	checkRange(&p, "scheduleRetryAttempts", s.ScheduleRetryAttempts, 0, MaxScheduleRetryAttempts)
	checkRange(&p, "scheduleMaxEventAgeSeconds", s.ScheduleMaxEventAgeSec, MinScheduleMaxEventAgeSec, MaxScheduleMaxEventAgeSec)
	validateTags(&p, s.Tags)
	s.validateRoles(&p)
	s.validateComponent(&p)
	validateRegion(&p, s.Region)
	s.Owners.validate(&p)
	s.validateOwnersInOrganization(&p)
	s.Organization.validate(&p)
	s.validateScopeFilters(&p)
	s.Chat.validate(&p, s.Region, s.Partition())
	s.Ledger.validate(&p)
	p.sort()
	return p, sched
}

func checkRange(p *problems, key string, n, lo, hi int) {
	if n < lo || n > hi {
		p.add(key, strconv.Itoa(n), "is out of range", intRange(lo, hi))
	}
}

// validateSchedule checks the expression and the time zone, and that the schedule still has a
// run ahead: EventBridge Scheduler accepts an at() time or a cron year in the past, and the
// schedule then never starts a run.
func (s Settings) validateSchedule(p *problems, now time.Time) parsedSchedule {
	expr, err := schedule.Parse(s.Schedule)
	if err != nil {
		var se *schedule.Error
		errors.As(err, &se)
		p.add("schedule", s.Schedule, se.Problem, se.Allowed)
	}
	loc, err := schedule.LoadLocation(s.ScheduleTimezone)
	if err != nil {
		p.add("scheduleTimezone", s.ScheduleTimezone, "is not a known time zone", "an IANA time zone name such as UTC, Europe/Berlin or America/New_York")
	}
	if expr == nil || loc == nil {
		return parsedSchedule{}
	}
	if _, ok := expr.NextRun(loc, now); !ok {
		when := "its time has passed"
		if !expr.OneShot() {
			when = "every year it names has passed"
		}
		p.add("schedule", s.Schedule, fmt.Sprintf("never runs again (%s, as of %s in %s)", when, now.In(loc).Format("2006-01-02T15:04:05"), s.ScheduleTimezone),
			"a schedule with a run after now, such as cron(0 8 * * ? *)")
	}
	return parsedSchedule{expr, loc}
}

// tagPattern is the character set AWS allows in tag keys and values.
var tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

func validateTags(p *problems, tags map[string]string) {
	if len(tags) > MaxUserTags {
		p.add("tags", fmt.Sprintf("{%d tags}", len(tags)), fmt.Sprintf("has %d tags", len(tags)), fmt.Sprintf("at most %d tags (AWS allows 50 per resource; keyage keeps 10 for its own)", MaxUserTags))
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		path := fmt.Sprintf("tags[%q]", k)
		n := len([]rune(k))
		switch {
		case n == 0 || n > 128 || !tagPattern.MatchString(k):
			p.add(path, k, "is not a valid tag key", "1 to 128 letters, digits, spaces and _.:/=+-@")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			p.add(path, k, "uses the prefix aws:, which AWS reserves", "a tag key that does not start with aws:")
		}
		if val := tags[k]; len([]rune(val)) > 256 || !tagPattern.MatchString(val) {
			p.add(path, val, "is not a valid tag value", "0 to 256 letters, digits, spaces and _.:/=+-@")
		}
	}
}

// covers reports whether e is about a key (or a part of one) that one of p is about.
func (p problems) covers(e error) bool {
	var se *SettingError
	if !errors.As(e, &se) {
		return false
	}
	for _, d := range p {
		var de *SettingError
		if errors.As(d, &de) && (se.Key == de.Key || strings.HasPrefix(se.Key, de.Key+"[") || strings.HasPrefix(se.Key, de.Key+".")) {
			return true
		}
	}
	return false
}

// sort orders problems by the settings table's order of their keys, then by list index, keeping
// the order they were found in otherwise.
func (p problems) sort() {
	slices.SortStableFunc(p, func(a, b error) int {
		ka, ia := problemOrder(a)
		kb, ib := problemOrder(b)
		return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(ia, ib))
	})
}

// problemOrder returns the position of a problem's setting in the table and its first list
// index (-1 for none).
func problemOrder(e error) (int, int) {
	var se *SettingError
	if !errors.As(e, &se) {
		return len(settings), -1
	}
	root, rest, _ := strings.Cut(se.Key, "[")
	root, _, _ = strings.Cut(root, ".")
	index := -1
	if n, _, ok := strings.Cut(rest, "]"); ok {
		if i, err := strconv.Atoi(n); err == nil {
			index = i
		}
	}
	for i, st := range settings {
		if st.Name == root {
			return i, index
		}
	}
	return len(settings), index
}
