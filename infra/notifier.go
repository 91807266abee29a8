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
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/scheduler"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sqs"
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

// Fixed choices of the deployment.
const (
	// FunctionRuntime and FunctionArchitecture: a Go binary named bootstrap on the OS-only
	// runtime, on Graviton (20% cheaper per GB-second).
	FunctionRuntime      = "provided.al2023"
	FunctionArchitecture = "arm64"
	// FunctionHandler is the executable's name in the zip, as provided runtimes require.
	FunctionHandler = "bootstrap"
	// DeadLetterRetentionSeconds keeps undeliverable schedule events as long as SQS can (14
	// days), time enough to notice the alarm and look.
	DeadLetterRetentionSeconds = 14 * 24 * 60 * 60
	// KeyDeletionWindowDays is the longest wait before a scheduled key deletion: the topics'
	// messages cannot be read without the key.
	KeyDeletionWindowDays = 30
	// sqsManagedKey encrypts the dead-letter queue with the AWS managed key for SQS, whose key
	// policy lets any principal of the account use it through SQS: the scheduler's role needs
	// sqs:SendMessage and nothing else.
	sqsManagedKey = "alias/aws/sqs"
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

// environment is what the invokes tell about the account the stack deploys to.
type environment struct {
	partition, dnsSuffix, region, accountID string
	// service principals, as the provider knows them for the partition and region
	lambdaPrincipal, statesPrincipal, schedulerPrincipal, cloudwatchPrincipal string
}

func (e environment) arn(service, resource string) string {
	return "arn:" + e.partition + ":" + service + ":" + e.region + ":" + e.accountID + ":" + resource
}

// names are the physical names keyage chooses itself, all derived from the component's name
// and the stack, so that a console user can tell two stacks in one account apart: none is left
// to Pulumi's auto-naming, which would drop the stack.
type names struct {
	function, machine, scheduleGroup, schedule, alarmPrefix string
	functionLogGroup, machineLogGroup                       string
	keyAlias                                                string
	machineRole, functionRole, schedulerRole                string
	machinePolicy, functionPolicy, schedulerPolicy          string
	findingsTopic, alarmTopic, deadLetterQueue              string
}

func namesFor(component, stack string) names {
	base := component + "-" + stack
	n := names{
		function:        physicalName(base, "agecheck", maxFunctionName),
		machine:         physicalName(base, "", maxStateMachineName),
		scheduleGroup:   physicalName(base, "", maxScheduleName),
		schedule:        physicalName(base, "scan", maxScheduleName),
		alarmPrefix:     physicalName(base, "", maxAlarmNamePrefix),
		machineRole:     physicalName(base, "machine-role", maxRoleName),
		functionRole:    physicalName(base, "function-role", maxRoleName),
		schedulerRole:   physicalName(base, "scheduler-role", maxRoleName),
		machinePolicy:   physicalName(base, "machine-policy", maxRolePolicyName),
		functionPolicy:  physicalName(base, "function-policy", maxRolePolicyName),
		schedulerPolicy: physicalName(base, "scheduler-policy", maxRolePolicyName),
		findingsTopic:   physicalName(base, "findings", maxTopicName),
		alarmTopic:      physicalName(base, "alarms", maxTopicName),
		deadLetterQueue: physicalName(base, "schedule-dlq", maxQueueName),
	}
	// An alias lets operators find the key by name (KMS aliases allow 256 characters).
	n.keyAlias = "alias/" + physicalName(base, "", maxKeyAliasName)
	n.functionLogGroup = "/aws/lambda/" + n.function
	// /aws/vendedlogs/ keeps the log group under the prefix CloudWatch Logs' resource policy
	// for vended logs covers, so many state machines do not outgrow its size limit.
	n.machineLogGroup = "/aws/vendedlogs/states/" + n.machine
	return n
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

// lookupEnvironment asks the provider (the component's, when one is given) for the partition,
// region, account and service principals.
func lookupEnvironment(ctx *pulumi.Context, parent pulumi.Resource) (environment, error) {
	opt := pulumi.Parent(parent)
	part, err := aws.GetPartition(ctx, nil, opt)
	if err != nil {
		return environment{}, fmt.Errorf("look up the AWS partition: %w", err)
	}
	who, err := aws.GetCallerIdentity(ctx, nil, opt)
	if err != nil {
		return environment{}, fmt.Errorf("look up the AWS account: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil, opt)
	if err != nil {
		return environment{}, fmt.Errorf("look up the AWS region: %w", err)
	}
	env := environment{partition: part.Partition, dnsSuffix: part.DnsSuffix, region: region.Name, accountID: who.AccountId}
	for service, dst := range map[string]*string{
		"lambda": &env.lambdaPrincipal, "states": &env.statesPrincipal,
		"scheduler": &env.schedulerPrincipal, "cloudwatch": &env.cloudwatchPrincipal,
	} {
		p, err := aws.GetServicePrincipal(ctx, &aws.GetServicePrincipalArgs{ServiceName: service, Region: &env.region}, opt)
		if err != nil {
			return environment{}, fmt.Errorf("look up the service principal of %s: %w", service, err)
		}
		*dst = p.Name
	}
	return env, nil
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

// policyOutput renders a document built from resolved outputs.
func policyOutput(inputs []any, build func(vals []any) PolicyDocument) pulumi.StringOutput {
	return pulumi.All(inputs...).ApplyT(func(vals []any) (string, error) {
		return build(vals).JSON()
	}).(pulumi.StringOutput)
}

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

// jsonInput renders a document whose values are all known now.
func jsonInput(d PolicyDocument) (pulumi.StringInput, error) {
	text, err := d.JSON()
	if err != nil {
		return nil, err
	}
	return pulumi.String(text), nil
}

// keyPolicy follows AWS's conventions for a customer managed key that AWS services publish
// with: the account (root) administers the key, so IAM policies stay in control and the key
// cannot become unmanageable; the state machine's role and CloudWatch alarms may encrypt for
// and decrypt from SNS. SNS itself needs no statement: it uses the key on the publisher's behalf.
// Key policy statements always say Resource "*", meaning this key.
func keyPolicy(env environment, machineRoleARN string) PolicyDocument {
	use := []string{"kms:Decrypt", "kms:GenerateDataKey*"}
	return document(
		Statement{
			Sid:       "AccountAdministersKey",
			Effect:    "Allow",
			Principal: &Principal{AWS: []string{"arn:" + env.partition + ":iam::" + env.accountID + ":root"}},
			Action:    []string{"kms:*"},
			Resource:  []string{"*"},
		},
		Statement{
			Sid:       "StateMachinePublishesThroughSNS",
			Effect:    "Allow",
			Principal: &Principal{AWS: []string{machineRoleARN}},
			Action:    use,
			Resource:  []string{"*"},
			Condition: Condition{"StringEquals": {"kms:ViaService": {"sns." + env.region + "." + env.dnsSuffix}}},
		},
		Statement{
			Sid:       "CloudWatchAlarmsPublish",
			Effect:    "Allow",
			Principal: &Principal{Service: []string{env.cloudwatchPrincipal}},
			Action:    use,
			Resource:  []string{"*"},
			Condition: Condition{"StringEquals": {"aws:SourceAccount": {env.accountID}}},
		},
	)
}

// snsActions is every SNS action: a topic refuses all of them without TLS. AWS's SNS security
// best practices ("Enforce encryption of data in transit",
// https://docs.aws.amazon.com/sns/latest/dg/sns-security-best-practices.html#enforce-encryption-data-in-transit)
// deny sns:Publish when aws:SecureTransport is false; subscribing, reading attributes and
// managing the topic carry endpoints and policies too, so the deny covers them as well.
var snsActions = []string{"sns:*"}

// topics creates the findings topic (the state machine publishes) and the alarm topic
// (CloudWatch alarms publish), both encrypted with the key, and their subscriptions. Alarm
// notifications carry no message attributes, so they go to a topic of their own whose
// subscribers (alarmSubscriptions) do not filter on attributes: filters on the findings topic
// can never hide an alarm.
func (b *builder) topics(key *kms.Key, machineRole *iam.Role) (findings, alarms *sns.Topic, err error) {
	env := b.env
	findings, err = sns.NewTopic(b.ctx, b.child("findings"), &sns.TopicArgs{
		Name:           pulumi.String(b.names.findingsTopic),
		DisplayName:    pulumi.String("keyage"),
		KmsMasterKeyId: key.Arn,
		Tags:           b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("findings topic: %w", err)
	}
	if _, err := sns.NewTopicPolicy(b.ctx, b.child("findings-policy"), &sns.TopicPolicyArgs{
		Arn: findings.Arn,
		Policy: policyOutput([]any{findings.Arn, machineRole.Arn}, func(v []any) PolicyDocument {
			topic, role := v[0].(string), v[1].(string)
			return document(
				Statement{
					Sid:       "OnlyThisStateMachinePublishes",
					Effect:    "Allow",
					Principal: &Principal{AWS: []string{role}},
					Action:    []string{"sns:Publish"},
					Resource:  []string{topic},
				},
				// A session of the role has the role's ARN as aws:PrincipalArn.
				denyOtherPublishers(topic, Condition{"StringNotEquals": {"aws:PrincipalArn": {role}}}),
				denyInsecureTransport(snsActions, topic),
			)
		}),
	}, b.parent); err != nil {
		return nil, nil, fmt.Errorf("findings topic policy: %w", err)
	}

	alarms, err = sns.NewTopic(b.ctx, b.child("alarms"), &sns.TopicArgs{
		Name:           pulumi.String(b.names.alarmTopic),
		DisplayName:    pulumi.String("keyage alarms"),
		KmsMasterKeyId: key.Arn,
		Tags:           b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, nil, fmt.Errorf("alarm topic: %w", err)
	}
	alarmARNs := env.arn("cloudwatch", "alarm:"+b.names.alarmPrefix+"-*")
	if _, err := sns.NewTopicPolicy(b.ctx, b.child("alarms-policy"), &sns.TopicPolicyArgs{
		Arn: alarms.Arn,
		Policy: policyOutput([]any{alarms.Arn}, func(v []any) PolicyDocument {
			topic := v[0].(string)
			return document(
				Statement{
					Sid:       "OnlyThisStacksAlarmsPublish",
					Effect:    "Allow",
					Principal: &Principal{Service: []string{env.cloudwatchPrincipal}},
					Action:    []string{"sns:Publish"},
					Resource:  []string{topic},
					Condition: Condition{
						"StringEquals": {"aws:SourceAccount": {env.accountID}},
						"ArnLike":      {"aws:SourceArn": {alarmARNs}},
					},
				},
				// Every signed request carries aws:PrincipalIsAWSService: false for IAM
				// principals, true for CloudWatch's service principal (which the Allow above
				// narrows to this stack's alarms), so the Deny can never stop an alarm.
				denyOtherPublishers(topic, Condition{"Bool": {"aws:PrincipalIsAWSService": {"false"}}}),
				denyInsecureTransport(snsActions, topic),
			)
		}),
	}, b.parent); err != nil {
		return nil, nil, fmt.Errorf("alarm topic policy: %w", err)
	}

	if err := b.subscribe("findings", findings, b.s.Subscriptions); err != nil {
		return nil, nil, err
	}
	if err := b.subscribe("alarms", alarms, b.s.AlarmSubscriptions); err != nil {
		return nil, nil, err
	}
	b.c.TopicArn, b.c.AlarmTopicArn = findings.Arn, alarms.Arn
	return findings, alarms, nil
}

// subscribe creates one subscription per entry. A subscription's logical name comes from its
// protocol and endpoint, not its position, so reordering the list replaces nothing.
func (b *builder) subscribe(topicName string, topic *sns.Topic, subs []config.Subscription) error {
	seen := map[string]bool{}
	for i, sub := range subs {
		sum := sha256.Sum256([]byte(sub.Protocol + "\x00" + sub.Endpoint))
		logical := b.child(topicName + "-" + sub.Protocol + "-" + hex.EncodeToString(sum[:])[:10])
		if seen[logical] {
			return fmt.Errorf("%s subscription %d: %s endpoint %q is subscribed twice", topicName, i, sub.Protocol, sub.Endpoint)
		}
		seen[logical] = true
		args := &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String(sub.Protocol),
			Endpoint: pulumi.String(sub.Endpoint),
		}
		if sub.FilterPolicy != "" {
			args.FilterPolicy = pulumi.String(sub.FilterPolicy)
			if sub.FilterPolicyScope != "" {
				args.FilterPolicyScope = pulumi.String(sub.FilterPolicyScope)
			}
		}
		if sub.RawMessageDelivery {
			args.RawMessageDelivery = pulumi.Bool(true)
		}
		if sub.SubscriptionRoleARN != "" {
			args.SubscriptionRoleArn = pulumi.String(sub.SubscriptionRoleARN)
		}
		if _, err := sns.NewTopicSubscription(b.ctx, logical, args, b.parent); err != nil {
			return fmt.Errorf("%s subscription %d (%s): %w", topicName, i, sub.Protocol, err)
		}
	}
	return nil
}

// function creates the age-check function, its log group (before the function, so Lambda never
// creates one without retention) and its role's policy: write its own logs, read keys' last
// use, send traces.
func (b *builder) function(role *iam.Role) (*lambda.Function, error) {
	env, n := b.env, b.names
	logGroup, err := cloudwatch.NewLogGroup(b.ctx, b.child("function-logs"), &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(n.functionLogGroup),
		RetentionInDays: pulumi.Int(b.s.LogRetentionDays),
		Tags:            b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("function log group: %w", err)
	}
	policy, err := jsonInput(document(
		allowStatement("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
			env.arn("logs", "log-group:"+n.functionLogGroup+":*")),
		// The function asks when each flagged key was last used; IAM's user resource type
		// covers GetAccessKeyLastUsed.
		allowStatement("ReadKeysLastUse", []string{"iam:GetAccessKeyLastUsed"},
			"arn:"+env.partition+":iam::"+env.accountID+":user/*"),
		// X-Ray's trace upload supports no resource-level permissions.
		allowStatement("SendTraces", xrayActions, "*"),
	))
	if err != nil {
		return nil, fmt.Errorf("function role policy: %w", err)
	}
	rolePolicy, err := iam.NewRolePolicy(b.ctx, b.child("function-policy"), &iam.RolePolicyArgs{
		Name:   pulumi.String(n.functionPolicy),
		Role:   role.ID(),
		Policy: policy,
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("function role policy: %w", err)
	}
	fn, err := lambda.NewFunction(b.ctx, b.child("function"), &lambda.FunctionArgs{
		Name:           pulumi.String(n.function),
		Description:    pulumi.String("keyage: judges IAM access keys' age for the state machine " + n.machine),
		Role:           role.Arn,
		Runtime:        pulumi.String(FunctionRuntime),
		Handler:        pulumi.String(FunctionHandler),
		Architectures:  pulumi.StringArray{pulumi.String(FunctionArchitecture)},
		Code:           pulumi.NewFileArchive(b.fn.ZipPath),
		SourceCodeHash: pulumi.String(b.fn.SHA256Base64),
		MemorySize:     pulumi.Int(b.s.FunctionMemoryMB),
		Timeout:        pulumi.Int(workflow.FunctionTimeoutSeconds),
		TracingConfig:  &lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("Text"),
			LogGroup:  logGroup.Name,
		},
		Tags: b.tagMap(),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{logGroup, rolePolicy}))
	if err != nil {
		return nil, fmt.Errorf("function: %w", err)
	}
	b.c.FunctionName, b.c.FunctionArn = fn.Name, fn.Arn
	b.c.FunctionLogGroupName = logGroup.Name
	return fn, nil
}

// stateMachine creates the state machine from the workflow's definition with the real ARNs, its
// log group, and its role's policy: what the definition needs (derived from it, so the two
// cannot drift), use of the topic key, log delivery and tracing. The machine has a fixed name,
// so the policy can name the machine's own ARN (for its Distributed Map's child executions)
// without waiting for it, and it depends on that policy: CreateStateMachine fails unless the
// role can already deliver logs.
func (b *builder) stateMachine(role *iam.Role, machineARN string, key *kms.Key, fn *lambda.Function, topic *sns.Topic) (*sfn.StateMachine, error) {
	env, n, s := b.env, b.names, b.s
	logGroup, err := cloudwatch.NewLogGroup(b.ctx, b.child("machine-logs"), &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(n.machineLogGroup),
		RetentionInDays: pulumi.Int(s.LogRetentionDays),
		Tags:            b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("state machine log group: %w", err)
	}
	// The definition is built once from the real ARNs; its rendering and its statements both
	// come from that one value, so the role cannot be derived from another definition.
	type builtMachine struct {
		definition string
		statements []Statement
	}
	built := pulumi.All(fn.Arn, topic.Arn).ApplyT(func(v []any) (builtMachine, error) {
		m, err := workflow.Definition(b.checked, workflow.Resources{Partition: env.partition, Region: env.region,
			AccountID: env.accountID, FunctionARN: v[0].(string), TopicARN: v[1].(string)})
		if err != nil {
			return builtMachine{}, err
		}
		out, err := m.Render()
		if err != nil {
			return builtMachine{}, fmt.Errorf("render the definition: %w", err)
		}
		return builtMachine{definition: string(out), statements: fromASL(m.IAMStatements(machineARN))}, nil
	})
	definition := built.ApplyT(func(m any) string { return m.(builtMachine).definition }).(pulumi.StringOutput)
	policy := pulumi.All(built, key.Arn).ApplyT(func(v []any) (string, error) {
		stmts := append(slices.Clone(v[0].(builtMachine).statements),
			// The topic is encrypted: publishing needs a data key, through SNS only.
			Statement{
				Sid: "UseTopicKeyThroughSNS", Effect: "Allow",
				Action:    []string{"kms:Decrypt", "kms:GenerateDataKey"},
				Resource:  []string{v[1].(string)},
				Condition: Condition{"StringEquals": {"kms:ViaService": {"sns." + env.region + "." + env.dnsSuffix}}},
			},
			// Log delivery actions support no resource-level permissions.
			allowStatement("DeliverExecutionLogs", logDeliveryActions, "*"),
			// X-Ray's trace upload supports no resource-level permissions.
			allowStatement("SendTraces", xrayActions, "*"),
		)
		return document(stmts...).JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := iam.NewRolePolicy(b.ctx, b.child("machine-policy"), &iam.RolePolicyArgs{
		Name:   pulumi.String(n.machinePolicy),
		Role:   role.ID(),
		Policy: policy,
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("state machine role policy: %w", err)
	}
	machine, err := sfn.NewStateMachine(b.ctx, b.child("machine"), &sfn.StateMachineArgs{
		Name:       pulumi.String(n.machine),
		Type:       pulumi.String("STANDARD"),
		RoleArn:    role.Arn,
		Definition: definition,
		LoggingConfiguration: &sfn.StateMachineLoggingConfigurationArgs{
			Level:                pulumi.String(s.LogLevel),
			IncludeExecutionData: pulumi.Bool(s.IncludeExecutionData),
			// Step Functions wants the log group's ARN with its streams' wildcard.
			LogDestination: logGroup.Arn.ApplyT(func(arn string) string { return arn + ":*" }).(pulumi.StringOutput),
		},
		TracingConfiguration: &sfn.StateMachineTracingConfigurationArgs{Enabled: pulumi.Bool(true)},
		Tags:                 b.tagMap(),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{rolePolicy, logGroup}))
	if err != nil {
		return nil, fmt.Errorf("state machine: %w", err)
	}
	b.c.StateMachineArn, b.c.StateMachineName = machine.Arn, machine.Name
	b.c.StateMachineLogGroupName = logGroup.Name
	return machine, nil
}

// ScheduledTimePlaceholder is the EventBridge Scheduler context attribute that the scheduler
// replaces, in the target's Input text, with the run's scheduled time (2022-03-22T18:59:43Z).
const ScheduledTimePlaceholder = "<aws.scheduler.scheduled-time>"

// ScheduleInput is the execution input the schedule sends: the scheduled time under the
// workflow's input key, filled in by EventBridge Scheduler at each run.
//
// The scheduler substitutes its keywords in the Input as text, so the placeholder must appear
// literally: json.Marshal would escape its angle brackets as \u003c and \u003e, the scheduler
// would pass the keyword through unreplaced, and every scheduled run would fail its
// scheduledTime check.
func ScheduleInput() (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(map[string]string{workflow.ScheduledTimeField: ScheduledTimePlaceholder}); err != nil {
		return "", fmt.Errorf("marshal schedule input: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// schedule creates the stack's own schedule group (tagged, and the precise aws:SourceArn of
// the scheduler role's trust), the encrypted dead-letter queue, the role (start this machine,
// send to that queue, nothing else) and the schedule.
func (b *builder) schedule(machine *sfn.StateMachine, machineARN string) (*sqs.Queue, error) {
	env, n, s := b.env, b.names, b.s
	input, err := ScheduleInput()
	if err != nil {
		return nil, err
	}
	dlq, err := sqs.NewQueue(b.ctx, b.child("schedule-dlq"), &sqs.QueueArgs{
		Name:                    pulumi.String(n.deadLetterQueue),
		KmsMasterKeyId:          pulumi.String(sqsManagedKey),
		MessageRetentionSeconds: pulumi.Int(DeadLetterRetentionSeconds),
		Tags:                    b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("dead-letter queue: %w", err)
	}
	group, err := scheduler.NewScheduleGroup(b.ctx, b.child("schedules"), &scheduler.ScheduleGroupArgs{
		Name: pulumi.String(n.scheduleGroup),
		Tags: b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("schedule group: %w", err)
	}
	role, err := iam.NewRole(b.ctx, b.child("scheduler-role"), &iam.RoleArgs{
		Name:        pulumi.String(n.schedulerRole),
		Description: pulumi.String("keyage: assumed by EventBridge Scheduler to start " + n.machine),
		AssumeRolePolicy: policyOutput([]any{group.Arn}, func(v []any) PolicyDocument {
			// The scheduler's source is the schedule group, never the schedule.
			return trustPolicy(env.schedulerPrincipal, env.accountID, v[0].(string))
		}),
		Tags: b.tagMap(),

		Path:                b.rolePath(),
		PermissionsBoundary: b.rolePermissionsBoundary(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("scheduler role: %w", err)
	}
	rolePolicy, err := iam.NewRolePolicy(b.ctx, b.child("scheduler-policy"), &iam.RolePolicyArgs{
		Name: pulumi.String(n.schedulerPolicy),
		Role: role.ID(),
		Policy: policyOutput([]any{dlq.Arn}, func(v []any) PolicyDocument {
			return document(
				allowStatement("StartThisStateMachine", []string{"states:StartExecution"}, machineARN),
				allowStatement("DeadLetterUndeliveredRuns", []string{"sqs:SendMessage"}, v[0].(string)),
			)
		}),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("scheduler role policy: %w", err)
	}
	if _, err := sqs.NewQueuePolicy(b.ctx, b.child("schedule-dlq-policy"), &sqs.QueuePolicyArgs{
		QueueUrl: dlq.Url,
		Policy: policyOutput([]any{dlq.Arn, role.Arn}, func(v []any) PolicyDocument {
			queue, sender := v[0].(string), v[1].(string)
			return document(
				Statement{
					Sid: "OnlyTheSchedulerSends", Effect: "Allow",
					Principal: &Principal{AWS: []string{sender}},
					Action:    []string{"sqs:SendMessage"},
					Resource:  []string{queue},
				},
				denyInsecureTransport([]string{"sqs:*"}, queue),
			)
		}),
	}, b.parent); err != nil {
		return nil, fmt.Errorf("dead-letter queue policy: %w", err)
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
		return nil, fmt.Errorf("schedule: %w", err)
	}
	b.c.ScheduleName, b.c.ScheduleGroupName = schedule.Name, group.Name
	b.c.DeadLetterQueueURL = dlq.Url
	return dlq, nil
}
