package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/chatbot"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
)

// Name limits of the chat resources.
const (
	// maxChatConfigurationName: channel configuration names, 1..128 of letters, digits, "-" and
	// "_" (CreateSlackChannelConfiguration, ConfigurationName:
	// https://docs.aws.amazon.com/chatbot/latest/APIReference/API_CreateSlackChannelConfiguration.html).
	maxChatConfigurationName = 128
	// maxManagedPolicyName: customer managed policy names, 1..128 of [\w+=,.@-] (CreatePolicy,
	// PolicyName: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html).
	maxManagedPolicyName = 128
)

// chatbotPrincipal is the service that assumes a channel configuration's role: "a user-defined
// role that Amazon Q Developer assumes", not its service-linked role (IamRoleArn,
// https://docs.aws.amazon.com/chatbot/latest/APIReference/API_SlackChannelConfiguration.html).
const chatbotPrincipal = "chatbot.amazonaws.com"

// chatServiceLinkedRole is the role through which Amazon Q Developer subscribes channel
// configurations to their topics: AWSServiceRoleForAWSChatbot, assumed by
// management.chatbot.amazonaws.com, whose managed policy (AWSChatbotServiceLinkedRolePolicy)
// allows sns:Subscribe, sns:Unsubscribe and sns:ListSubscriptionsByTopic
// (https://docs.aws.amazon.com/chatbot/latest/adminguide/slr-permissions.html).
const chatServiceLinkedRole = "role/aws-service-role/management.chatbot.amazonaws.com/AWSServiceRoleForAWSChatbot"

// chatSubscribeActions are what the service-linked role does on a topic a configuration reads.
var chatSubscribeActions = []string{"sns:ListSubscriptionsByTopic", "sns:Subscribe", "sns:Unsubscribe"}

// chatReadActions are what a channel may do in AWS, through its role and its guardrail alike:
// read this stack's state machine and its executions, where a finding's run can be looked at
// (@Amazon Q stepfunctions describe-execution ...). Nothing else: the notifications themselves
// need no permission of the channel.
var (
	chatMachineActions   = []string{"states:DescribeStateMachine", "states:ListExecutions"}
	chatExecutionActions = []string{"states:DescribeExecution", "states:GetExecutionHistory"}
)

// chatNames are the physical names of the chat resources.
type chatNames struct {
	topic, role, policy, guardrail string
}

func chatNamesFor(component, stack string) chatNames {
	base := component + "-" + stack
	return chatNames{
		topic:     physicalName(base, "chat", maxTopicName),
		role:      physicalName(base, "chat-role", maxRoleName),
		policy:    physicalName(base, "chat-policy", maxRolePolicyName),
		guardrail: physicalName(base, "chat-guardrail", maxManagedPolicyName),
	}
}

// chat creates, when the settings have chat, the chat topic (encrypted with the topics' key;
// only the state machine publishes; Amazon Q Developer's service-linked role may subscribe)
// and, for the channels the settings list, a channel configuration each, with one role and
// one guardrail policy, both limited to reading this stack's state machine. It returns the
// topic, nil when the settings have no chat.
func (b *builder) chat(key *kms.Key, machineRole *iam.Role, machineARN string) (*sns.Topic, error) {
	c := b.s.Chat
	if !c.Enabled {
		return nil, nil
	}
	n := chatNamesFor(b.name, b.ctx.Stack())
	slr := b.env.iamARN(chatServiceLinkedRole)
	topic, err := b.topic("chat topic", "chat", n.topic, "keyage chat", key, []any{machineRole.Arn},
		func(topic string, v []any) []iampolicy.Statement {
			return append(onlyTheStateMachinePublishes(topic, v),
				// Named in a condition, not as the principal: the service-linked role exists
				// only once the account has authorized a chat client, and a topic policy naming
				// a missing role as principal is refused.
				iampolicy.Statement{
					Sid:       "AmazonQDeveloperSubscribes",
					Effect:    "Allow",
					Principal: &iampolicy.Principal{AWS: []string{b.env.iamARN("root")}},
					Action:    chatSubscribeActions,
					Resource:  []string{topic},
					Condition: iampolicy.Condition{"ArnEquals": {"aws:PrincipalArn": {slr}}},
				})
		})
	if err != nil {
		return nil, err
	}
	if !c.Configures() {
		return topic, nil
	}
	if !slices.Contains(config.ChatAPIRegions, b.env.region) {
		return nil, fmt.Errorf("chat: the stack's region %s has no Amazon Q Developer API endpoint to create channel configurations through: "+
			"deploy the stack in %s, or set chat to {} and configure the channel in the Amazon Q Developer console", b.env.region, strings.Join(config.ChatAPIRegions, ", "))
	}

	executions := b.env.arn("states", "execution:"+b.names.machine+":*")
	read := document(
		allowStatement("ReadThisStateMachine", chatMachineActions, machineARN),
		allowStatement("ReadItsExecutions", chatExecutionActions, executions),
	)
	readJSON, err := jsonInput(read)
	if err != nil {
		return nil, fmt.Errorf("chat role policy: %w", err)
	}
	guardrail, err := iam.NewPolicy(b.ctx, b.child("chat-guardrail"), &iam.PolicyArgs{
		Name:        pulumi.String(n.guardrail),
		Description: pulumi.String("keyage: the most a chat channel of " + b.names.machine + " may do: read the state machine and its executions"),
		Policy:      readJSON,
		Tags:        b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("chat guardrail policy: %w", err)
	}
	// AWS documents no condition key for Amazon Q Developer assuming a channel role: the trust
	// names the service only. What binds the role to a channel is iam:PassRole.
	trust, err := jsonInput(document(iampolicy.Statement{
		Sid:       "AssumedByAmazonQDeveloper",
		Effect:    "Allow",
		Principal: &iampolicy.Principal{Service: []string{chatbotPrincipal}},
		Action:    []string{"sts:AssumeRole"},
	}))
	if err != nil {
		return nil, fmt.Errorf("chat role: %w", err)
	}
	role, err := b.role("chat role", "chat-role", n.role, "keyage: assumed by Amazon Q Developer for the chat channels of "+b.names.machine, trust)
	if err != nil {
		return nil, err
	}
	rolePolicy, err := b.rolePolicy("chat role policy", "chat-policy", n.policy, role, readJSON)
	if err != nil {
		return nil, err
	}
	after := pulumi.DependsOn([]pulumi.Resource{rolePolicy})
	topics := pulumi.StringArray{topic.Arn}
	guardrails := pulumi.StringArray{guardrail.Arn}
	for _, ch := range c.Slack {
		suffix := "slack-" + strings.ToLower(ch.ChannelID)
		if _, err := chatbot.NewSlackChannelConfiguration(b.ctx, b.child("chat-"+suffix), &chatbot.SlackChannelConfigurationArgs{
			ConfigurationName:   pulumi.String(physicalName(b.name+"-"+b.ctx.Stack(), suffix, maxChatConfigurationName)),
			IamRoleArn:          role.Arn,
			SlackTeamId:         pulumi.String(ch.TeamID),
			SlackChannelId:      pulumi.String(ch.ChannelID),
			SnsTopicArns:        topics,
			GuardrailPolicyArns: guardrails,
			Tags:                b.tagMap(),
		}, b.parent, after); err != nil {
			return nil, fmt.Errorf("slack channel configuration %s: %w", ch.ChannelID, err)
		}
	}
	for _, ch := range c.Teams {
		// A Teams channel ID holds "%": the name carries a hash of the channel instead.
		sum := sha256.Sum256([]byte(strings.ToLower(ch.TenantID + "/" + ch.TeamID + "/" + ch.ChannelID)))
		suffix := "teams-" + hex.EncodeToString(sum[:])[:10]
		if _, err := chatbot.NewTeamsChannelConfiguration(b.ctx, b.child("chat-"+suffix), &chatbot.TeamsChannelConfigurationArgs{
			ConfigurationName:   pulumi.String(physicalName(b.name+"-"+b.ctx.Stack(), suffix, maxChatConfigurationName)),
			IamRoleArn:          role.Arn,
			TenantId:            pulumi.String(ch.TenantID),
			TeamId:              pulumi.String(ch.TeamID),
			ChannelId:           pulumi.String(ch.ChannelID),
			SnsTopicArns:        topics,
			GuardrailPolicyArns: guardrails,
			Tags:                b.tagMap(),
		}, b.parent, after); err != nil {
			return nil, fmt.Errorf("teams channel configuration %s: %w", ch.ChannelID, err)
		}
	}
	return topic, nil
}
