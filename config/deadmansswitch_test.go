package config

import (
	"testing"
	"time"
)

func TestSizeDeadMansSwitch(t *testing.T) {
	for gap := time.Minute; gap <= 8*24*time.Hour; gap += 7 * time.Minute {
		d := sizeDeadMansSwitch("rate(x)", gap)
		window := gap + DeadMansSwitchSlack
		if window > MaxAlarmSpan {
			if d.Enabled || d.Warning == "" {
				t.Fatalf("gap %s: enabled %v, warning %q; want no alarm and a warning", gap, d.Enabled, d.Warning)
			}
			continue
		}
		if !d.Enabled {
			t.Fatalf("gap %s: no alarm, want one", gap)
		}
		span := d.Span()
		if span < window {
			t.Fatalf("gap %s: the alarm watches %s, less than the gap plus slack (%s)", gap, span, window)
		}
		if span >= window+d.Period {
			t.Fatalf("gap %s: the alarm watches %s, a whole period more than needed", gap, span)
		}
		if span > MaxAlarmSpan || (d.Period < time.Hour && span > MaxShortPeriodSpan) {
			t.Fatalf("gap %s: period %s x %d is beyond CloudWatch's limits", gap, d.Period, d.Periods)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0m", 5 * time.Minute: "5m", 25 * time.Hour: "1d 1h", 7 * 24 * time.Hour: "7d", 167 * time.Hour: "6d 23h",
		24*time.Hour + 30*time.Minute: "1d 30m", 73 * time.Hour: "3d 1h", 90 * time.Second: "1m 30s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
}
