package infra

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/schedule"
)

// CloudWatch's limits on what one alarm can watch: Period x EvaluationPeriods at most 7 days,
// and at most 1 day when the period is under an hour.
const (
	MaxAlarmSpan          = 7 * 24 * time.Hour
	MaxShortPeriodSpan    = 24 * time.Hour
	shortPeriod           = 5 * time.Minute
	longPeriod            = time.Hour
	incidentPeriodSeconds = 300
)

// DeadMansSwitchSlack is added to the schedule's largest gap: a run's success is counted when it
// ends, so two successes can be a run's duration (typically minutes) further apart than their
// scheduled starts, and a start may be retried by the scheduler.
const DeadMansSwitchSlack = time.Hour

// deadMansSwitch is the "no successful run" alarm's evaluation, or why there is none.
type deadMansSwitch struct {
	enabled bool
	gap     time.Duration // the schedule's largest gap between runs
	period  int           // seconds
	periods int           // EvaluationPeriods, all of which must breach
	warning string        // set when the alarm cannot be created
}

// span is the time the alarm watches.
func (d deadMansSwitch) span() time.Duration {
	return time.Duration(d.period*d.periods) * time.Second
}

// planDeadMansSwitch sizes the alarm that fires when no execution succeeded within the
// schedule's largest gap plus DeadMansSwitchSlack. A window CloudWatch cannot watch (over 7
// days), or a one-shot schedule, gives no alarm and a warning that says what to do instead.
func planDeadMansSwitch(s config.Settings) (deadMansSwitch, error) {
	gap, err := s.MaxScheduleGap(time.Now())
	if errors.Is(err, schedule.ErrOneShot) {
		return deadMansSwitch{warning: fmt.Sprintf(
			"no dead-man's-switch alarm: the schedule %q runs once, so there is no next run to miss; "+
				"use a cron() or rate() schedule to have missing runs alarmed", s.Schedule)}, nil
	}
	if err != nil {
		return deadMansSwitch{}, fmt.Errorf("dead-man's-switch alarm: %w", err)
	}
	return sizeDeadMansSwitch(s.Schedule, gap), nil
}

func sizeDeadMansSwitch(schedule string, gap time.Duration) deadMansSwitch {
	window := gap + DeadMansSwitchSlack
	if window > MaxAlarmSpan {
		longest := MaxAlarmSpan - DeadMansSwitchSlack
		return deadMansSwitch{gap: gap, warning: fmt.Sprintf(
			"no dead-man's-switch alarm: the schedule %q can leave %s between two runs, and that plus %s of slack "+
				"is more than a CloudWatch alarm can watch (%s); schedule a run at least every %s "+
				"(for example cron(0 8 ? * MON,THU *)), or watch for missing runs outside CloudWatch alarms "+
				"(for example an external heartbeat check on the state machine's ExecutionsSucceeded metric)",
			schedule, formatDuration(gap), formatDuration(DeadMansSwitchSlack), formatDuration(MaxAlarmSpan), formatDuration(longest))}
	}
	period := longPeriod
	if window <= MaxShortPeriodSpan {
		period = shortPeriod
	}
	periods := int(math.Ceil(float64(window) / float64(period)))
	return deadMansSwitch{enabled: true, gap: gap, period: int(period / time.Second), periods: periods}
}

// formatDuration writes a duration in days, hours and minutes ("7d", "1d 1h", "5m").
func formatDuration(d time.Duration) string {
	days := int(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	hours := int(d / time.Hour)
	d -= time.Duration(hours) * time.Hour
	minutes := int(d / time.Minute)
	out := ""
	for _, part := range []struct {
		n    int
		unit string
	}{{days, "d"}, {hours, "h"}, {minutes, "m"}} {
		if part.n != 0 {
			if out != "" {
				out += " "
			}
			out += fmt.Sprintf("%d%s", part.n, part.unit)
		}
	}
	if out == "" {
		return "0m"
	}
	return out
}

// alarmSpec is one metric alarm.
type alarmSpec struct {
	suffix      string // of the alarm's name
	description string
	namespace   string
	metric      string
	statistic   string
	dimension   string
	value       pulumi.StringInput
	period      int
	periods     int
	comparison  string
	threshold   float64
	missing     string // TreatMissingData
	muted       bool   // created with its actions disabled
}

// alarms creates the operational alarms on the alarm topic: runs that failed, timed out, were
// aborted or throttled; no successful run in the schedule's largest gap (the dead-man's switch);
// function errors; undeliverable schedule events. They notify on ALARM and on OK, so people also
// learn when it is over.
func (b *builder) alarms(watch deadMansSwitch, topic *sns.Topic, machineARN string, dlq *sqs.Queue) error {
	machine := pulumi.String(machineARN)
	incident := func(suffix, metric, what string) alarmSpec {
		return alarmSpec{
			suffix: suffix, namespace: "AWS/States", metric: metric, statistic: "Sum",
			dimension: "StateMachineArn", value: machine,
			period: incidentPeriodSeconds, periods: 1,
			comparison: "GreaterThanOrEqualToThreshold", threshold: 1, missing: "notBreaching",
			description: "keyage: " + what + ". Open the state machine " + b.names.machine +
				"'s executions in the Step Functions console to see which run and why.",
		}
	}
	specs := []alarmSpec{
		incident("executions-failed", "ExecutionsFailed", "a key-age scan failed: keys may be unchecked"),
		incident("executions-timed-out", "ExecutionsTimedOut", "a key-age scan timed out: keys may be unchecked"),
		incident("executions-aborted", "ExecutionsAborted", "a key-age scan was stopped before it ended"),
		incident("executions-throttled", "ExecutionThrottled", "Step Functions throttled the key-age state machine"),
		{
			suffix: "function-errors", namespace: "AWS/Lambda", metric: "Errors", statistic: "Sum",
			dimension: "FunctionName", value: pulumi.String(b.names.function),
			period: incidentPeriodSeconds, periods: 1,
			comparison: "GreaterThanOrEqualToThreshold", threshold: 1, missing: "notBreaching",
			description: "keyage: the age-check function " + b.names.function + " returned errors; see its log group " +
				b.names.functionLogGroup + ".",
		},
		{
			suffix: "schedule-dead-letters", namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", statistic: "Maximum",
			dimension: "QueueName", value: dlq.Name,
			period: incidentPeriodSeconds, periods: 1,
			comparison: "GreaterThanThreshold", threshold: 0, missing: "notBreaching",
			description: "keyage: EventBridge Scheduler could not start a key-age scan; the undelivered event is in the dead-letter queue.",
		},
	}
	if watch.enabled {
		specs = append(specs, alarmSpec{
			suffix: "no-successful-run", namespace: "AWS/States", metric: "ExecutionsSucceeded", statistic: "Sum",
			dimension: "StateMachineArn", value: machine,
			period: watch.period, periods: watch.periods,
			comparison: "LessThanThreshold", threshold: 1,
			// No data means no successful run: that is what this alarm is for.
			missing: "breaching",
			// A disabled schedule starts no runs: the alarm would only cry wolf. It stays
			// deployed, and notifies again once the schedule is enabled.
			muted: !b.s.ScheduleEnabled,
			description: fmt.Sprintf("keyage: no key-age scan succeeded in %s (the schedule's largest gap, %s, plus %s of slack): "+
				"the schedule, the state machine or its role may be broken.",
				formatDuration(watch.span()), formatDuration(watch.gap), formatDuration(DeadMansSwitchSlack)),
		})
	}
	actions := pulumi.Array{topic.Arn}
	for _, a := range specs {
		if _, err := cloudwatch.NewMetricAlarm(b.ctx, b.child(a.suffix), &cloudwatch.MetricAlarmArgs{
			Name:               pulumi.String(b.names.alarmPrefix + "-" + a.suffix),
			AlarmDescription:   pulumi.String(a.description),
			Namespace:          pulumi.String(a.namespace),
			MetricName:         pulumi.String(a.metric),
			Statistic:          pulumi.String(a.statistic),
			Dimensions:         pulumi.StringMap{a.dimension: a.value},
			Period:             pulumi.Int(a.period),
			EvaluationPeriods:  pulumi.Int(a.periods),
			DatapointsToAlarm:  pulumi.Int(a.periods),
			ComparisonOperator: pulumi.String(a.comparison),
			Threshold:          pulumi.Float64(a.threshold),
			TreatMissingData:   pulumi.String(a.missing),
			ActionsEnabled:     pulumi.Bool(!a.muted),
			AlarmActions:       actions,
			OkActions:          actions,
			Tags:               b.tagMap(),
		}, b.parent); err != nil {
			return fmt.Errorf("alarm %s: %w", a.suffix, err)
		}
	}
	return nil
}
