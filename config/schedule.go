package config

import (
	"fmt"
	"time"

	"github.com/keyage/keyage/schedule"
)

// MaxScheduleGap returns the largest time between two consecutive scheduled runs from the day of
// from on, in the stack's time zone (see schedule.Expr.MaxGap). An at() schedule returns
// schedule.ErrOneShot.
func (s Settings) MaxScheduleGap(from time.Time) (time.Duration, error) {
	e, err := schedule.Parse(s.Schedule)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: %w", s.Schedule, err)
	}
	loc, err := schedule.LoadLocation(s.ScheduleTimezone)
	if err != nil {
		return 0, fmt.Errorf("scheduleTimezone %q: %w", s.ScheduleTimezone, err)
	}
	return e.MaxGap(loc, from)
}
