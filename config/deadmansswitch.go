package config

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/keyage/keyage/schedule"
)

// CloudWatch's limits on what one alarm can watch: Period x EvaluationPeriods at most 7 days,
// and at most 1 day when the period is under an hour.
const (
	MaxAlarmSpan       = 7 * 24 * time.Hour
	MaxShortPeriodSpan = 24 * time.Hour
	shortPeriod        = 5 * time.Minute
	longPeriod         = time.Hour
)

// DeadMansSwitchSlack is added to the schedule's largest gap: a run's success is counted when it
// ends, so two successes can be a run's duration (typically minutes) further apart than their
// scheduled starts, and a start may be retried by the scheduler.
const DeadMansSwitchSlack = time.Hour

// DeadMansSwitch is the "no successful run" alarm's evaluation, or why there is none.
type DeadMansSwitch struct {
	Enabled bool          // whether the alarm is created
	Gap     time.Duration // the schedule's largest gap between runs (0 when unknown)
	Period  time.Duration // the alarm's period
	Periods int           // EvaluationPeriods, all of which must breach
	Warning string        // why there is no alarm, and what to do instead
}

// Span is the time the alarm watches.
func (d DeadMansSwitch) Span() time.Duration { return d.Period * time.Duration(d.Periods) }

// deadMansSwitch decides, as of now, whether an alarm can fire when no execution succeeded
// within the schedule's largest gap plus DeadMansSwitchSlack, and sizes it. A window CloudWatch
// cannot watch (over 7 days), a one-shot schedule, or a schedule whose gap cannot be known gives
// no alarm and a warning that says what to do instead. This is the one place that decides it
// (through Check): the program creates the alarm from it and `keyage validate` reports it.
func deadMansSwitch(sched parsedSchedule, now time.Time) DeadMansSwitch {
	gap, err := sched.expr.MaxGap(sched.loc, now)
	switch {
	case errors.Is(err, schedule.ErrOneShot):
		return DeadMansSwitch{Warning: fmt.Sprintf(
			"no dead-man's-switch alarm: the schedule %q runs once, so there is no next run to miss; "+
				"use a cron() or rate() schedule to have missing runs alarmed", sched.expr.Text())}
	case err != nil:
		return DeadMansSwitch{Warning: fmt.Sprintf("no dead-man's-switch alarm: %v; watch for missing runs outside CloudWatch alarms", err)}
	}
	return sizeDeadMansSwitch(sched.expr.Text(), gap)
}

func sizeDeadMansSwitch(expr string, gap time.Duration) DeadMansSwitch {
	window := gap + DeadMansSwitchSlack
	if window > MaxAlarmSpan {
		longest := MaxAlarmSpan - DeadMansSwitchSlack
		return DeadMansSwitch{Gap: gap, Warning: fmt.Sprintf(
			"no dead-man's-switch alarm: the schedule %q can leave %s between two runs, and that plus %s of slack "+
				"is more than a CloudWatch alarm can watch (%s); schedule a run at least every %s "+
				"(for example cron(0 8 ? * MON,THU *)), or watch for missing runs outside CloudWatch alarms "+
				"(for example an external heartbeat check on the state machine's ExecutionsSucceeded metric)",
			expr, FormatDuration(gap), FormatDuration(DeadMansSwitchSlack), FormatDuration(MaxAlarmSpan), FormatDuration(longest))}
	}
	period := longPeriod
	if window <= MaxShortPeriodSpan {
		period = shortPeriod
	}
	periods := int(math.Ceil(float64(window) / float64(period)))
	return DeadMansSwitch{Enabled: true, Gap: gap, Period: period, Periods: periods}
}

// FormatDuration writes a duration in days, hours and minutes ("7d", "1d 1h", "5m"), and
// seconds only when it has some ("1m 30s"). Every duration keyage shows goes through it.
func FormatDuration(d time.Duration) string {
	var parts []string
	for _, u := range []struct {
		size time.Duration
		unit string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.size; n != 0 {
			parts = append(parts, fmt.Sprintf("%d%s", n, u.unit))
			d -= n * u.size
		}
	}
	if len(parts) == 0 {
		return "0m"
	}
	return strings.Join(parts, " ")
}
