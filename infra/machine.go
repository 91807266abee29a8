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
)

// stateMachine creates the state machine from the workflow's definition (b.definition, built
// with the function's and topic's computed ARNs), its log group, and its role's policy: what the
// definition needs (derived from it, so the two cannot drift), use of the topic key, log
// delivery and tracing. The machine has a fixed name, so the policy can name the machine's own
// ARN (for its Distributed Map's child executions) without waiting for it, and it depends on
// that policy: CreateStateMachine fails unless the role can already deliver logs. It depends on
// the function and the topic too: the definition names them by ARN but reads no output of theirs.
func (b *builder) stateMachine(role *iam.Role, machineARN string, key *kms.Key, fn *lambda.Function, topic *sns.Topic) (*sfn.StateMachine, *cloudwatch.LogGroup, error) {
	env, n, s := b.env, b.names, b.s
	logGroup, err := b.logGroup("state machine log group", "machine-logs", n.machineLogGroup)
	if err != nil {
		return nil, nil, err
	}
	// The rendering and the role's statements both come from the one definition b holds, so
	// the role cannot be derived from another definition.
	statements := b.definition.IAMStatements(machineARN)
	policy := key.Arn.ApplyT(func(keyARN string) (string, error) {
		stmts := append(slices.Clone(statements),
			// The topic is encrypted: publishing needs a data key, through SNS only.
			iampolicy.Statement{
				Sid: "UseTopicKeyThroughSNS", Effect: "Allow",
				Action:    []string{"kms:Decrypt", "kms:GenerateDataKey"},
				Resource:  []string{keyARN},
				Condition: iampolicy.Condition{"StringEquals": {"kms:ViaService": {"sns." + env.region + "." + env.dnsSuffix}}},
			},
			// Log delivery actions support no resource-level permissions.
			allowStatement("DeliverExecutionLogs", logDeliveryActions, "*"),
			// X-Ray's trace upload supports no resource-level permissions.
			allowStatement("SendTraces", xrayActions, "*"),
		)
		return document(stmts...).JSON()
	}).(pulumi.StringOutput)
	// The policy names the function and the topic by their computed ARNs; it still waits for
	// both, as it did when it read their ARNs, so that the deployment order stays as it was.
	// machineDeps (the chat and owners topics, when there are) are named by ARN too.
	deps := append([]pulumi.Resource{fn, topic}, b.machineDeps...)
	rolePolicy, err := b.rolePolicy("state machine role policy", "machine-policy", n.machinePolicy, role, policy,
		pulumi.DependsOn(deps))
	if err != nil {
		return nil, nil, err
	}
	machine, err := sfn.NewStateMachine(b.ctx, b.child("machine"), &sfn.StateMachineArgs{
		Name:       pulumi.String(n.machine),
		Type:       pulumi.String("STANDARD"),
		RoleArn:    role.Arn,
		Definition: pulumi.String(b.renderedDefinition),
		LoggingConfiguration: &sfn.StateMachineLoggingConfigurationArgs{
			Level:                pulumi.String(s.LogLevel),
			IncludeExecutionData: pulumi.Bool(s.IncludeExecutionData),
			// Step Functions wants the log group's ARN with its streams' wildcard.
			LogDestination: logGroup.Arn.ApplyT(func(arn string) string { return arn + ":*" }).(pulumi.StringOutput),
		},
		TracingConfiguration: &sfn.StateMachineTracingConfigurationArgs{Enabled: pulumi.Bool(true)},
		Tags:                 b.tagMap(),
	}, b.parent, pulumi.DependsOn(append([]pulumi.Resource{rolePolicy, logGroup, fn, topic}, b.machineDeps...)))
	if err != nil {
		return nil, nil, fmt.Errorf("state machine: %w", err)
	}
	return machine, logGroup, nil
}
