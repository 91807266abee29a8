package infra

import (
	"fmt"
	"slices"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sfn"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/workflow"
)

// stateMachine creates the state machine from the workflow's definition with the real ARNs, its
// log group, and its role's policy: what the definition needs (derived from it, so the two
// cannot drift), use of the topic key, log delivery and tracing. The machine has a fixed name,
// so the policy can name the machine's own ARN (for its Distributed Map's child executions)
// without waiting for it, and it depends on that policy: CreateStateMachine fails unless the
// role can already deliver logs.
func (b *builder) stateMachine(role *iam.Role, machineARN string, key *kms.Key, fn *lambda.Function, topic *sns.Topic) (*sfn.StateMachine, *cloudwatch.LogGroup, error) {
	env, n, s := b.env, b.names, b.s
	logGroup, err := b.logGroup("state machine log group", "machine-logs", n.machineLogGroup)
	if err != nil {
		return nil, nil, err
	}
	// The definition is built once from the real ARNs; its rendering and its statements both
	// come from that one value, so the role cannot be derived from another definition.
	type builtMachine struct {
		definition string
		statements []iampolicy.Statement
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
		return builtMachine{definition: string(out), statements: m.IAMStatements(machineARN)}, nil
	})
	definition := built.ApplyT(func(m any) string { return m.(builtMachine).definition }).(pulumi.StringOutput)
	policy := pulumi.All(built, key.Arn).ApplyT(func(v []any) (string, error) {
		stmts := append(slices.Clone(v[0].(builtMachine).statements),
			// The topic is encrypted: publishing needs a data key, through SNS only.
			iampolicy.Statement{
				Sid: "UseTopicKeyThroughSNS", Effect: "Allow",
				Action:    []string{"kms:Decrypt", "kms:GenerateDataKey"},
				Resource:  []string{v[1].(string)},
				Condition: iampolicy.Condition{"StringEquals": {"kms:ViaService": {"sns." + env.region + "." + env.dnsSuffix}}},
			},
			// Log delivery actions support no resource-level permissions.
			allowStatement("DeliverExecutionLogs", logDeliveryActions, "*"),
			// X-Ray's trace upload supports no resource-level permissions.
			allowStatement("SendTraces", xrayActions, "*"),
		)
		return document(stmts...).JSON()
	}).(pulumi.StringOutput)
	rolePolicy, err := b.rolePolicy("state machine role policy", "machine-policy", n.machinePolicy, role, policy)
	if err != nil {
		return nil, nil, err
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
		return nil, nil, fmt.Errorf("state machine: %w", err)
	}
	return machine, logGroup, nil
}
