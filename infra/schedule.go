package infra

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/workflow"
)

const (
	// deadLetterRetentionSeconds keeps undeliverable schedule events as long as SQS can (14
	// days), time enough to notice the alarm and look.
	deadLetterRetentionSeconds = 14 * 24 * 60 * 60
	// sqsManagedKey encrypts the dead-letter queue with the AWS managed key for SQS, whose key
	// policy lets any principal of the account use it through SQS: the scheduler's role needs
	// sqs:SendMessage and nothing else.
	sqsManagedKey = "alias/aws/sqs"
)

// scheduledTimePlaceholder is the EventBridge Scheduler context attribute that the scheduler
// replaces, in the target's Input text, with the run's scheduled time (2022-03-22T18:59:43Z).
const scheduledTimePlaceholder = "<aws.scheduler.scheduled-time>"

// scheduleInput is the execution input the schedule sends: the scheduled time under the
// workflow's input key, filled in by EventBridge Scheduler at each run.
//
// The scheduler substitutes its keywords in the Input as text, so the placeholder must appear
// literally: json.Marshal would escape its angle brackets as \u003c and \u003e, the scheduler
// would pass the keyword through unreplaced, and every scheduled run would fail its
// scheduledTime check.
func scheduleInput() (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]string{workflow.ScheduledTimeField: scheduledTimePlaceholder}); err != nil {
		return "", fmt.Errorf("marshal schedule input: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// schedule creates the stack's own schedule group (tagged, and the precise aws:SourceArn of
// the scheduler role's trust), the encrypted dead-letter queue, the role (start this machine,
// send to that queue, nothing else) and the schedule.
func (b *builder) schedule(machine *sfn.StateMachine, machineARN string) (*scheduler.ScheduleGroup, *scheduler.Schedule, *sqs.Queue, error) {
	env, n, s := b.env, b.names, b.s
	input, err := scheduleInput()
	if err != nil {
		return nil, nil, nil, err
	}
	dlq, err := sqs.NewQueue(b.ctx, b.child("schedule-dlq"), &sqs.QueueArgs{
		Name:                    pulumi.String(n.deadLetterQueue),
		KmsMasterKeyId:          pulumi.String(sqsManagedKey),
		MessageRetentionSeconds: pulumi.Int(deadLetterRetentionSeconds),
		Tags:                    b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("dead-letter queue: %w", err)
	}
	group, err := scheduler.NewScheduleGroup(b.ctx, b.child("schedules"), &scheduler.ScheduleGroupArgs{
		Name: pulumi.String(n.scheduleGroup),
		Tags: b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("schedule group: %w", err)
	}
	// The scheduler's source is the schedule group, never the schedule.
	trust := policyOutput([]any{group.Arn}, func(v []any) PolicyDocument {
		return trustPolicy(env.schedulerPrincipal, env.accountID, v[0].(string))
	})
	role, err := b.role("scheduler role", "scheduler-role", n.schedulerRole,
		"keyage: assumed by EventBridge Scheduler to start "+n.machine, trust)
	if err != nil {
		return nil, nil, nil, err
	}
	rolePolicy, err := b.rolePolicy("scheduler role policy", "scheduler-policy", n.schedulerPolicy, role,
		policyOutput([]any{dlq.Arn}, func(v []any) PolicyDocument {
			return document(
				allowStatement("StartThisStateMachine", []string{"states:StartExecution"}, machineARN),
				allowStatement("DeadLetterUndeliveredRuns", []string{"sqs:SendMessage"}, v[0].(string)),
			)
		}))
	if err != nil {
		return nil, nil, nil, err
	}
	if _, err := sqs.NewQueuePolicy(b.ctx, b.child("schedule-dlq-policy"), &sqs.QueuePolicyArgs{
		QueueUrl: dlq.Url,
		Policy: policyOutput([]any{dlq.Arn, role.Arn}, func(v []any) PolicyDocument {
			queue, sender := v[0].(string), v[1].(string)
			return document(
				iampolicy.Statement{
					Sid: "OnlyTheSchedulerSends", Effect: "Allow",
					Principal: &iampolicy.Principal{AWS: []string{sender}},
					Action:    []string{"sqs:SendMessage"},
					Resource:  []string{queue},
				},
				denyInsecureTransport([]string{"sqs:*"}, queue),
			)
		}),
	}, b.parent); err != nil {
		return nil, nil, nil, fmt.Errorf("dead-letter queue policy: %w", err)
	}
	state := "ENABLED"
	if !s.ScheduleEnabled {
		state = "DISABLED"
	}
	schedule, err := scheduler.NewSchedule(b.ctx, b.child("schedule"), &scheduler.ScheduleArgs{
		Name:                       pulumi.String(n.schedule),
		GroupName:                  group.Name,
		Description:                pulumi.String("keyage: starts the key-age scan " + n.machine),
		ScheduleExpression:         pulumi.String(s.Schedule),
		ScheduleExpressionTimezone: pulumi.String(s.ScheduleTimezone),
		State:                      pulumi.String(state),
		// A key-age scan is due at its time: no flexible window.
		FlexibleTimeWindow: &scheduler.ScheduleFlexibleTimeWindowArgs{Mode: pulumi.String("OFF")},
		Target: &scheduler.ScheduleTargetArgs{
			Arn:     machine.Arn,
			RoleArn: role.Arn,
			Input:   pulumi.String(input),
			RetryPolicy: &scheduler.ScheduleTargetRetryPolicyArgs{
				MaximumRetryAttempts:     pulumi.Int(s.ScheduleRetryAttempts),
				MaximumEventAgeInSeconds: pulumi.Int(s.ScheduleMaxEventAgeSec),
			},
			DeadLetterConfig: &scheduler.ScheduleTargetDeadLetterConfigArgs{Arn: dlq.Arn},
		},
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy}))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("schedule: %w", err)
	}
	return group, schedule, dlq, nil
}
