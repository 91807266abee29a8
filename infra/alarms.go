package infra

import (
	"fmt"
	"time"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
)

// incidentPeriodSeconds is the period of the alarms on failed, timed-out, aborted and throttled
// runs, function errors and dead letters: any in 5 minutes.
const incidentPeriodSeconds = 300

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
func (b *builder) alarms(watch config.DeadMansSwitch, topic *sns.Topic, machineARN string, dlq *sqs.Queue) error {
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
	if watch.Enabled {
		specs = append(specs, alarmSpec{
			suffix: "no-successful-run", namespace: "AWS/States", metric: "ExecutionsSucceeded", statistic: "Sum",
			dimension: "StateMachineArn", value: machine,
			period: int(watch.Period / time.Second), periods: watch.Periods,
			comparison: "LessThanThreshold", threshold: 1,
			// No data means no successful run: that is what this alarm is for.
			missing: "breaching",
			// A disabled schedule starts no runs: the alarm would only cry wolf. It stays
			// deployed, and notifies again once the schedule is enabled.
			muted: !b.s.ScheduleEnabled,
			description: fmt.Sprintf("keyage: no key-age scan succeeded in %s (the schedule's largest gap, %s, plus %s of slack): "+
				"the schedule, the state machine or its role may be broken.",
				config.FormatDuration(watch.Span()), config.FormatDuration(watch.Gap), config.FormatDuration(config.DeadMansSwitchSlack)),
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
