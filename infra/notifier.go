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

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/workflow"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "keyage:index:KeyAgeNotifier"

// Tag keys keyage sets on every taggable resource, next to the settings' tags. The deployer
// policy (infra/deployer) conditions the KMS key's management on them.
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
	// StateMachineRoleArn and FunctionRoleArn are the roles a member role trusts: a member
	// stack's scannerStateMachineRoleArn and scannerFunctionRoleArn.
	StateMachineRoleArn pulumi.StringOutput `pulumi:"stateMachineRoleArn"`
	FunctionRoleArn     pulumi.StringOutput `pulumi:"functionRoleArn"`

	// MemberTemplate is the CloudFormation template (JSON) of the member role that trusts this
	// scanner: the one its memberStackSet deploys, also for a StackSet made by other means.
	MemberTemplate string
	// ChatTopicArn is the chat topic's ARN, "" when the settings have no chat: it is then neither
	// registered nor exported as a stack output (exports).
	ChatTopicArn pulumi.StringOutput `pulumi:"chatTopicArn"`
	// hasChat is set when the settings have chat, so the component has ChatTopicArn's topic.
	hasChat bool

	// Warnings are what the component logged as warnings while it was built (also sent to
	// ctx.Log.Warn), for callers and tests that cannot see the engine's log.
	Warnings []string
}

// NewKeyAgeNotifier takes checked settings, builds the function package when none is given,
// registers the component, and builds the state machine's definition (once, with the ARNs the
// program's names give) before any child. Unchecked settings or a failed function build return
// an error before any resource is registered; a definition that cannot be built, before any
// child is.
func NewKeyAgeNotifier(ctx *pulumi.Context, name string, args *KeyAgeNotifierArgs, opts ...pulumi.ResourceOption) (*KeyAgeNotifier, error) {
	if args == nil {
		return nil, fmt.Errorf("keyage notifier %q: args are required", name)
	}
	checked := args.Settings
	if checked.IsZero() {
		return nil, fmt.Errorf("keyage notifier %q: %w", name, config.ErrUnchecked)
	}
	s := checked.Settings()
	if d := s.Component.Deploy; d != config.DeployScanner {
		return nil, fmt.Errorf("keyage notifier %q: settings select deploy %q, want %q", name, d, config.DeployScanner)
	}
	fn := args.Function
	if fn.IsZero() {
		var err error
		if fn, err = buildFunction(ctx.Context(), ""); err != nil {
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
	n := namesFor(name, ctx.Stack())
	// The definition is built and rendered once, before any child is registered, so that a
	// definition that cannot be built or rendered fails the program before any of them exists. Every physical name is set by
	// the program (names.go), so the function's and the topic's ARNs are known before either
	// exists, as the machine's own is: "arn:<partition>:lambda:<region>:<account>:function:<name>"
	// and "arn:<partition>:sns:<region>:<account>:<name>" (the Lambda and SNS resource types of
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html and
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html).
	// The state machine depends on both explicitly (machine.go), as it no longer reads their ARNs.
	definition, err := workflow.Definition(checked, workflow.Resources{
		Partition: env.partition, Region: env.region, AccountID: env.accountID,
		FunctionARN:  env.arn("lambda", "function:"+n.function),
		TopicARN:     env.arn("sns", n.findingsTopic),
		ChatTopicARN: env.arn("sns", chatNamesFor(name, ctx.Stack()).topic),
		// Named only when the stack has ownerSubscriptions (owners.go).
		OwnersTopicARN: ownersTopicARN(s, env, n),
	})
	if err != nil {
		return nil, fmt.Errorf("keyage notifier %q: %w", name, err)
	}
	rendered, err := definition.Render()
	if err != nil {
		return nil, fmt.Errorf("keyage notifier %q: state machine: %w", name, err)
	}
	b := &builder{
		ctx: ctx, name: name, s: s, checked: checked, env: env, names: n, fn: fn, c: c,
		definition: definition, renderedDefinition: string(rendered),
		parent: pulumi.Parent(c),
		tags:   tagsFor(s.Tags, ctx.Stack(), name),
	}
	for _, w := range checked.Warnings {
		b.warn(w)
	}
	r, err := b.build()
	if err != nil {
		return nil, fmt.Errorf("keyage notifier %q: %w", name, err)
	}
	c.TopicArn, c.AlarmTopicArn, c.KeyArn = r.findings.Arn, r.alarmTopic.Arn, r.key.Arn
	c.StateMachineArn, c.StateMachineName = r.machine.Arn, r.machine.Name
	c.StateMachineLogGroupName = r.machineLogs.Name
	c.FunctionName, c.FunctionArn, c.FunctionLogGroupName = r.function.Name, r.function.Arn, r.functionLogs.Name
	c.ScheduleName, c.ScheduleGroupName = r.schedule.Name, r.scheduleGroup.Name
	c.DeadLetterQueueURL = r.deadLetterQueue.Url
	c.StateMachineRoleArn, c.FunctionRoleArn = r.machineRole.Arn, r.functionRole.Arn
	c.ChatTopicArn = pulumi.String("").ToStringOutput()
	if r.chatTopic != nil {
		c.ChatTopicArn, c.hasChat = r.chatTopic.Arn, true
	}
	registered := pulumi.Map{}
	for _, o := range c.outputs() {
		if !o.absent {
			registered[o.name] = o.value
		}
	}
	if err := ctx.RegisterResourceOutputs(c, registered); err != nil {
		return nil, fmt.Errorf("keyage notifier %q: register outputs: %w", name, err)
	}
	return c, nil
}

// output is one of the component's outputs.
type output struct {
	name  string // the field's pulumi tag: registered, exported and listed in the README
	value pulumi.StringOutput
	// stack: Program exports it as a stack output.
	stack bool
	// absent: the settings leave its resource out (chatTopicArn without chat), so it is neither
	// registered nor exported, rather than exported as "" as if the stack had one.
	absent bool
}

// outputs is the one list of the component's outputs: NewKeyAgeNotifier registers those not
// absent (RegisterResourceOutputs), Program exports those marked stack and not absent (exports),
// and StackOutputs names those marked stack.
func (c *KeyAgeNotifier) outputs() []output {
	return []output{
		{name: "topicArn", value: c.TopicArn, stack: true},
		{name: "alarmTopicArn", value: c.AlarmTopicArn, stack: true},
		{name: "keyArn", value: c.KeyArn, stack: true},
		{name: "stateMachineArn", value: c.StateMachineArn, stack: true},
		{name: "stateMachineName", value: c.StateMachineName, stack: true},
		{name: "functionName", value: c.FunctionName, stack: true},
		// Registered on the component only: Program has never exported it, and exporting it
		// would add an output to every stack.
		{name: "functionArn", value: c.FunctionArn, stack: false},
		{name: "scheduleName", value: c.ScheduleName, stack: true},
		{name: "scheduleGroupName", value: c.ScheduleGroupName, stack: true},
		{name: "functionLogGroupName", value: c.FunctionLogGroupName, stack: true},
		{name: "stateMachineLogGroupName", value: c.StateMachineLogGroupName, stack: true},
		{name: "deadLetterQueueUrl", value: c.DeadLetterQueueURL, stack: true},
		{name: "stateMachineRoleArn", value: c.StateMachineRoleArn, stack: true},
		{name: "functionRoleArn", value: c.FunctionRoleArn, stack: true},
		{name: "chatTopicArn", value: c.ChatTopicArn, stack: true, absent: !c.hasChat},
	}
}

// exports are the outputs Program exports on this stack: those marked stack that are not absent.
func (c *KeyAgeNotifier) exports() []output {
	var out []output
	for _, o := range c.outputs() {
		if o.stack && !o.absent {
			out = append(out, o)
		}
	}
	return out
}

// StackOutputs returns the names of the stack outputs Program exports, in order (chatTopicArn only
// when the settings have chat).
func StackOutputs() []string {
	var names []string
	for _, o := range (&KeyAgeNotifier{}).outputs() {
		if o.stack {
			names = append(names, o.name)
		}
	}
	return names
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
	// definition is the state machine's definition, built once with the computed ARNs of the
	// function and the findings topic, and renderedDefinition its rendering.
	definition         *asl.StateMachine
	renderedDefinition string
	env                environment
	names              names
	fn                 FunctionPackage
	c                  *KeyAgeNotifier
	parent             pulumi.ResourceOption
	tags               map[string]string
	// machineDeps are more resources the state machine names by ARN and waits for (the chat
	// topic).
	machineDeps []pulumi.Resource
}

func (b *builder) warn(msg string) {
	b.c.Warnings = append(b.c.Warnings, msg)
	// A failed log call must not fail the deployment; the warning is also on the component.
	_ = b.ctx.Log.Warn(msg, &pulumi.LogArgs{Resource: b.c})
}

func (b *builder) child(suffix string) string { return b.name + "-" + suffix }

func (b *builder) tagMap() pulumi.StringMap { return pulumi.ToStringMap(b.tags) }

// logGroup creates a log group (what names it in errors) with the settings' retention, before
// the service that writes to it, so that the service never creates one without retention.
func (b *builder) logGroup(what, suffix, name string) (*cloudwatch.LogGroup, error) {
	g, err := cloudwatch.NewLogGroup(b.ctx, b.child(suffix), &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(name),
		RetentionInDays: pulumi.Int(b.s.LogRetentionDays),
		Tags:            b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return g, nil
}

// created is what build creates that the component's outputs name.
type created struct {
	key                  *kms.Key
	findings, alarmTopic *sns.Topic
	owners               *sns.Topic // nil without ownerSubscriptions
	function             *lambda.Function
	functionLogs         *cloudwatch.LogGroup
	machine              *sfn.StateMachine
	machineLogs          *cloudwatch.LogGroup
	scheduleGroup        *scheduler.ScheduleGroup
	schedule             *scheduler.Schedule
	deadLetterQueue      *sqs.Queue
	machineRole          *iam.Role
	functionRole         *iam.Role
	chatTopic            *sns.Topic      // nil without chat
	ledger               *dynamodb.Table // nil without a ledger (notify: every-run)
}

// build creates the children in dependency order: the roles first (the key policy and the
// findings topic's policy name the state machine's role), then the key, the topics, the
// function, the state machine, the schedule and the alarms.
func (b *builder) build() (created, error) {
	var r created
	machineARN := b.env.arn("states", "stateMachine:"+b.names.machine)
	machineRole, functionRole, err := b.roles(machineARN)
	if err != nil {
		return r, err
	}
	r.machineRole, r.functionRole = machineRole, functionRole
	if err := b.memberStackSet(machineRole, functionRole); err != nil {
		return r, err
	}
	if r.key, err = b.key(machineRole, functionRole); err != nil {
		return r, err
	}
	if r.findings, r.alarmTopic, err = b.topics(r.key, machineRole); err != nil {
		return r, err
	}
	if r.owners, err = b.ownersTopic(r.key, machineRole); err != nil {
		return r, err
	}
	if r.owners != nil {
		b.machineDeps = append(b.machineDeps, r.owners)
	}
	if r.chatTopic, err = b.chat(r.key, machineRole, machineARN); err != nil {
		return r, err
	}
	if r.chatTopic != nil {
		b.machineDeps = append(b.machineDeps, r.chatTopic)
	}
	if r.ledger, err = b.ledgerTable(r.key); err != nil {
		return r, err
	}
	if r.function, r.functionLogs, err = b.function(functionRole); err != nil {
		return r, err
	}
	if r.machine, r.machineLogs, err = b.stateMachine(machineRole, machineARN, r.key, r.function, r.findings); err != nil {
		return r, err
	}
	if r.scheduleGroup, r.schedule, r.deadLetterQueue, err = b.schedule(r.machine, machineARN); err != nil {
		return r, err
	}
	return r, b.alarms(b.checked.DeadMansSwitch, r.alarmTopic, machineARN, r.deadLetterQueue)
}
