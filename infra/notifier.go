// Package infra is keyage's Pulumi component: KeyAgeNotifier creates, for one stack, the
// age-check function, the key-age state machine, the schedule that starts it, the encrypted
// topics people subscribe to, the roles each service assumes, the log groups and the alarms.
// Every policy is a Go value derived from what the resource does (the state machine's role from
// its definition), every ARN is built for the stack's partition, and every resource is a child
// of the component, named from the component's name.
//
// It is not the workflow (package workflow builds the definition), not the function (package
// lambda), and not the settings (package config validates them): it wires them to AWS.
package infra

import (
	"fmt"
	"maps"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/workflow"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "keyage:index:KeyAgeNotifier"

// Tag keys keyage sets on every taggable resource, next to the settings' tags.
const (
	TagStack     = "keyage:stack"
	TagComponent = "keyage:component"
)

// KeyAgeNotifierArgs are the component's inputs: plain Go values known when the program runs.
type KeyAgeNotifierArgs struct {
	// Settings are the stack's checked settings (LoadSettings, config.Parse, or settings built
	// in Go and checked with config.Settings.Check): the one check of a deployment, done before
	// the component registers anything; it does not check them again.
	Settings config.Checked
	// Function is the age-check function's deployment package. Left zero, the component
	// builds it from the module's lambda/ directory while the program runs (preview or up).
	Function FunctionPackage
}

// KeyAgeNotifier is one deployed keyage: schedule, state machine, function, topics, alarms.
type KeyAgeNotifier struct {
	pulumi.ResourceState

	TopicArn                 pulumi.StringOutput `pulumi:"topicArn"`
	AlarmTopicArn            pulumi.StringOutput `pulumi:"alarmTopicArn"`
	KeyArn                   pulumi.StringOutput `pulumi:"keyArn"`
	StateMachineArn          pulumi.StringOutput `pulumi:"stateMachineArn"`
	StateMachineName         pulumi.StringOutput `pulumi:"stateMachineName"`
	FunctionName             pulumi.StringOutput `pulumi:"functionName"`
	FunctionArn              pulumi.StringOutput `pulumi:"functionArn"`
	ScheduleName             pulumi.StringOutput `pulumi:"scheduleName"`
	ScheduleGroupName        pulumi.StringOutput `pulumi:"scheduleGroupName"`
	FunctionLogGroupName     pulumi.StringOutput `pulumi:"functionLogGroupName"`
	StateMachineLogGroupName pulumi.StringOutput `pulumi:"stateMachineLogGroupName"`
	DeadLetterQueueURL       pulumi.StringOutput `pulumi:"deadLetterQueueUrl"`

	// Warnings are what the component logged as warnings while it was built (also sent to
	// ctx.Log.Warn), for callers and tests that cannot see the engine's log.
	Warnings []string
}

// NewKeyAgeNotifier validates the settings, builds the function package when none is given,
// and then registers the component and its children. Invalid settings, a definition that cannot
// be built, or a failed function build return an error before any resource is registered.
func NewKeyAgeNotifier(ctx *pulumi.Context, name string, args *KeyAgeNotifierArgs, opts ...pulumi.ResourceOption) (*KeyAgeNotifier, error) {
	if args == nil {
		return nil, fmt.Errorf("keyage notifier %q: args are required", name)
	}
	checked := args.Settings
	if checked.IsZero() {
		return nil, fmt.Errorf("keyage notifier %q: %w", name, config.ErrUnchecked)
	}
	s := checked.Settings()
	// The definition is built once with placeholder ARNs, so that a setting it cannot express
	// fails the program before anything exists; it is built again below with the real ARNs.
	if _, err := workflow.Definition(checked, workflow.PlaceholderResources()); err != nil {
		return nil, fmt.Errorf("keyage notifier %q: %w", name, err)
	}
	fn := args.Function
	if fn.IsZero() {
		var err error
		if fn, err = BuildFunction(ctx.Context()); err != nil {
			return nil, fmt.Errorf("keyage notifier %q: %w", name, err)
		}
	} else if err := fn.Validate(); err != nil {
		return nil, fmt.Errorf("keyage notifier %q: %w", name, err)
	}

	c := &KeyAgeNotifier{}
	if err := ctx.RegisterComponentResource(TypeToken, name, c, opts...); err != nil {
		return nil, fmt.Errorf("register %s %q: %w", TypeToken, name, err)
	}
	env, err := lookupEnvironment(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("keyage notifier %q: %w", name, err)
	}
	b := &builder{
		ctx: ctx, name: name, s: s, checked: checked, env: env, names: namesFor(name, ctx.Stack()), fn: fn, c: c,
		parent: pulumi.Parent(c),
		tags:   tagsFor(s.Tags, ctx.Stack(), name),
	}
	for _, w := range checked.Warnings {
		b.warn(w)
	}
	if err := b.build(); err != nil {
		return nil, fmt.Errorf("keyage notifier %q: %w", name, err)
	}
	if err := ctx.RegisterResourceOutputs(c, pulumi.Map{
		"topicArn":                 c.TopicArn,
		"alarmTopicArn":            c.AlarmTopicArn,
		"keyArn":                   c.KeyArn,
		"stateMachineArn":          c.StateMachineArn,
		"stateMachineName":         c.StateMachineName,
		"functionName":             c.FunctionName,
		"functionArn":              c.FunctionArn,
		"scheduleName":             c.ScheduleName,
		"scheduleGroupName":        c.ScheduleGroupName,
		"functionLogGroupName":     c.FunctionLogGroupName,
		"stateMachineLogGroupName": c.StateMachineLogGroupName,
		"deadLetterQueueUrl":       c.DeadLetterQueueURL,
	}); err != nil {
		return nil, fmt.Errorf("keyage notifier %q: register outputs: %w", name, err)
	}
	return c, nil
}

func tagsFor(extra map[string]string, stack, component string) map[string]string {
	tags := maps.Clone(extra)
	if tags == nil {
		tags = map[string]string{}
	}
	tags[TagStack] = stack
	tags[TagComponent] = component
	return tags
}

// builder creates the component's children.
type builder struct {
	ctx     *pulumi.Context
	name    string
	s       config.Settings // checked.Settings()
	checked config.Checked
	env     environment
	names   names
	fn      FunctionPackage
	c       *KeyAgeNotifier
	parent  pulumi.ResourceOption
	tags    map[string]string
}

func (b *builder) warn(msg string) {
	b.c.Warnings = append(b.c.Warnings, msg)
	// A failed log call must not fail the deployment; the warning is also on the component.
	_ = b.ctx.Log.Warn(msg, &pulumi.LogArgs{Resource: b.c})
}

func (b *builder) child(suffix string) string { return b.name + "-" + suffix }

func (b *builder) tagMap() pulumi.StringMap { return pulumi.ToStringMap(b.tags) }

func (b *builder) build() error {
	env, n := b.env, b.names
	machineARN := env.arn("states", "stateMachine:"+n.machine)

	// Step Functions assumes the role for this machine's executions and for its Distributed
	// Map's runs, whose ARNs are the machine's qualified by the map's label
	// ("stateMachine:<name>/<label>", see StartExecution in the Step Functions API reference:
	// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
	// AWS's confused-deputy example scopes aws:SourceArn to "stateMachine:*"
	// (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html);
	// the machine's ARN and "<machineARN>/*" are the part of that which is this machine.
	machineTrust, err := jsonInput(trustPolicy(env.statesPrincipal, env.accountID, machineARN, machineARN+"/*"))
	if err != nil {
		return fmt.Errorf("state machine role: %w", err)
	}
	// AWS documents no aws:SourceArn for Lambda assuming an execution role, and CreateFunction
	// refuses a role Lambda cannot assume: the trust names Lambda and this account only
	// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html). What binds
	// the role to a function is iam:PassRole: only a principal allowed to pass it can give it
	// to a function.
	functionTrust, err := jsonInput(trustPolicy(env.lambdaPrincipal, env.accountID))
	if err != nil {
		return fmt.Errorf("function role: %w", err)
	}
	// Roles first: the key policy and the topic policy name the state machine's role.
	machineRole, err := iam.NewRole(b.ctx, b.child("machine-role"), &iam.RoleArgs{
		Name:             pulumi.String(n.machineRole),
		Description:      pulumi.String("keyage: assumed by the key-age state machine " + n.machine),
		AssumeRolePolicy: machineTrust,
		Tags:             b.tagMap(),

		Path:                b.rolePath(),
		PermissionsBoundary: b.rolePermissionsBoundary(),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("state machine role: %w", err)
	}
	functionRole, err := iam.NewRole(b.ctx, b.child("function-role"), &iam.RoleArgs{
		Name:             pulumi.String(n.functionRole),
		Description:      pulumi.String("keyage: assumed by the age-check function " + n.function),
		AssumeRolePolicy: functionTrust,
		Tags:             b.tagMap(),

		Path:                b.rolePath(),
		PermissionsBoundary: b.rolePermissionsBoundary(),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("function role: %w", err)
	}

	key, err := kms.NewKey(b.ctx, b.child("key"), &kms.KeyArgs{
		Description:          pulumi.String("keyage " + b.name + " (" + b.ctx.Stack() + "): encrypts the findings and alarm topics"),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(KeyDeletionWindowDays),
		Policy:               policyOutput([]any{machineRole.Arn}, func(v []any) PolicyDocument { return keyPolicy(env, v[0].(string)) }),
		Tags:                 b.tagMap(),
	}, b.parent)
	if err != nil {
		return fmt.Errorf("topic key: %w", err)
	}
	b.c.KeyArn = key.Arn
	if _, err := kms.NewAlias(b.ctx, b.child("key-alias"), &kms.AliasArgs{
		Name:        pulumi.String(n.keyAlias),
		TargetKeyId: key.KeyId,
	}, b.parent); err != nil {
		return fmt.Errorf("topic key alias: %w", err)
	}

	findings, alarmTopic, err := b.topics(key, machineRole)
	if err != nil {
		return err
	}

	fn, err := b.function(functionRole)
	if err != nil {
		return err
	}
	machine, err := b.stateMachine(machineRole, machineARN, key, fn, findings)
	if err != nil {
		return err
	}
	dlq, err := b.schedule(machine, machineARN)
	if err != nil {
		return err
	}
	return b.alarms(b.checked.DeadMansSwitch, alarmTopic, machineARN, dlq)
}
