package infra_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
)

// alarm is what one alarm must say.
type alarm struct {
	namespace, metric, statistic, dimension, dimensionValue, comparison, missing string
	threshold                                                                    float64
	period, periods                                                              int
}

func TestAlarms(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil) // daily at 08:00 UTC: the largest gap is 24 hours
	execution := func(metric string) alarm {
		return alarm{"AWS/States", metric, "Sum", "StateMachineArn", machineARN, "GreaterThanOrEqualToThreshold", "notBreaching", 1, 300, 1}
	}
	want := map[string]alarm{
		"executions-failed":    execution("ExecutionsFailed"),
		"executions-timed-out": execution("ExecutionsTimedOut"),
		"executions-aborted":   execution("ExecutionsAborted"),
		"executions-throttled": execution("ExecutionThrottled"),
		"function-errors":      {"AWS/Lambda", "Errors", "Sum", "FunctionName", functionName, "GreaterThanOrEqualToThreshold", "notBreaching", 1, 300, 1},
		"schedule-dead-letters": {"AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "QueueName", deadLetterQueue,
			"GreaterThanThreshold", "notBreaching", 0, 300, 1},
		// 24 h + 1 h of slack, in hourly periods (over a day, periods must be an hour or more),
		// every one of which must have no success; no data is no success.
		"no-successful-run": {"AWS/States", "ExecutionsSucceeded", "Sum", "StateMachineArn", machineARN, "LessThanThreshold", "breaching", 1, 3600, 25},
	}
	if got := len(d.ofType(tAlarm)); got != len(want) {
		t.Errorf("%d alarms, want %d", got, len(want))
	}
	for suffix, w := range want {
		a := d.one(tAlarm, "keyage-"+suffix)
		wantInput(t, a, "name", "keyage-dev-"+suffix)
		wantInput(t, a, "namespace", w.namespace)
		wantInput(t, a, "metricName", w.metric)
		wantInput(t, a, "statistic", w.statistic)
		wantInput(t, a, "dimensions", map[string]string{w.dimension: w.dimensionValue})
		wantInput(t, a, "comparisonOperator", w.comparison)
		wantInput(t, a, "threshold", w.threshold)
		wantInput(t, a, "period", w.period)
		wantInput(t, a, "evaluationPeriods", w.periods)
		wantInput(t, a, "datapointsToAlarm", w.periods)
		wantInput(t, a, "treatMissingData", w.missing)
		// Alarms go to the alarm topic, whose subscribers do not filter on message
		// attributes (alarm notifications carry none).
		wantInput(t, a, "alarmActions", []string{alarmsARN})
		wantInput(t, a, "okActions", []string{alarmsARN})
		wantInput(t, a, "actionsEnabled", true)
		if span := w.period * w.periods; span > 7*24*3600 || (w.period < 3600 && span > 24*3600) {
			t.Errorf("%s %q: watches %d s in periods of %d s, beyond CloudWatch's limits", a.Type, a.Name, span, w.period)
		}
		if desc := inputString(t, a, "alarmDescription"); !strings.HasPrefix(desc, "keyage: ") {
			t.Errorf("%s %q: description %q does not say it is keyage's", a.Type, a.Name, desc)
		}
	}
}

// TestDeadMansSwitchMutedWhileScheduleDisabled: a disabled schedule starts no runs, so the
// dead-man's switch is deployed with its actions off; the other alarms still notify.
func TestDeadMansSwitchMutedWhileScheduleDisabled(t *testing.T) {
	t.Parallel()
	d := mustRun(t, map[string]string{"scheduleEnabled": "false"})
	for _, a := range d.ofType(tAlarm) {
		wantInput(t, a, "actionsEnabled", a.Name != "keyage-no-successful-run")
	}
}

// TestDeadMansSwitch sizes the no-successful-run alarm for several schedules, and checks that a
// schedule CloudWatch cannot watch gives a warning and no alarm.
func TestDeadMansSwitch(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, schedule, timezone string
		period, periods          int    // 0 periods: no alarm
		warning                  string // in the warning, when there is no alarm
	}{
		{"every 5 minutes", "rate(5 minutes)", "UTC", 300, 13, ""},              // 65 min in 5-min periods
		{"hourly", "rate(1 hour)", "UTC", 300, 24, ""},                          // 2 h
		{"every 23 hours", "rate(23 hours)", "UTC", 300, 288, ""},               // exactly a day in 5-min periods
		{"daily", "cron(0 8 * * ? *)", "UTC", 3600, 25, ""},                     // 25 h
		{"weekdays", "cron(30 7 ? * MON-FRI *)", "Europe/Berlin", 3600, 74, ""}, // Fri to Mon over the autumn DST change: 73 h, + 1 h
		{"every 6 days", "rate(6 days)", "UTC", 3600, 145, ""},                  // 144 h + 1 h
		{"weekly", "cron(0 8 ? * MON *)", "UTC", 0, 0, "more than a CloudWatch alarm can watch"},
		{"monthly", "cron(0 8 1 * ? *)", "UTC", 0, 0, "schedule a run at least every 6d 23h"},
		{"one shot", "at(2030-01-01T08:00:00)", "UTC", 0, 0, "runs once"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := config.Defaults()
			s.Schedule, s.ScheduleTimezone = c.schedule, c.timezone
			var n *infra.KeyAgeNotifier
			d, err := runWith(t, "aws", func(ctx *pulumi.Context) error {
				var err error
				n, err = infra.NewKeyAgeNotifier(ctx, infra.ComponentName, &infra.KeyAgeNotifierArgs{Settings: config.MustCheck(s), Function: dummyFunction})
				return err
			})
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			alarms := d.ofType(tAlarm)
			var found bool
			for _, a := range alarms {
				if a.Name != "keyage-no-successful-run" {
					continue
				}
				found = true
				wantInput(t, a, "period", c.period)
				wantInput(t, a, "evaluationPeriods", c.periods)
			}
			if c.periods == 0 {
				if found {
					t.Errorf("schedule %s: has a dead-man's-switch alarm, want none", c.schedule)
				}
				if len(n.Warnings) != 1 || !strings.Contains(n.Warnings[0], c.warning) {
					t.Errorf("schedule %s: warnings %q, want one containing %q", c.schedule, n.Warnings, c.warning)
				}
				if len(alarms) != 6 {
					t.Errorf("schedule %s: %d alarms, want the other 6", c.schedule, len(alarms))
				}
				return
			}
			if !found {
				t.Errorf("schedule %s: no dead-man's-switch alarm", c.schedule)
			}
			if len(n.Warnings) != 0 {
				t.Errorf("schedule %s: warnings %q, want none", c.schedule, n.Warnings)
			}
		})
	}
}
