package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
)

// keyDeletionWindowDays is the longest wait before a scheduled key deletion: the topics'
// messages cannot be read without the key.
const keyDeletionWindowDays = 30

// key creates the customer managed key that encrypts the stack's topics and its ledger table,
// and its alias.
func (b *builder) key(machineRole, functionRole *iam.Role) (*kms.Key, error) {
	env, n := b.env, b.names
	remembers := b.s.KeepsLedger()
	key, err := kms.NewKey(b.ctx, b.child("key"), &kms.KeyArgs{
		Description:          pulumi.String("keyage " + b.name + " (" + b.ctx.Stack() + "): encrypts " + keyUses(b.s)),
		EnableKeyRotation:    pulumi.Bool(true),
		DeletionWindowInDays: pulumi.Int(keyDeletionWindowDays),
		Policy: policyOutput([]any{machineRole.Arn, functionRole.Arn}, func(v []any) PolicyDocument {
			d := keyPolicy(env, v[0].(string))
			if remembers {
				d.Statement = append(d.Statement, ledgerKeyStatement(env, v[1].(string)))
			}
			return d
		}),
		Tags: b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("topic key: %w", err)
	}
	if _, err := kms.NewAlias(b.ctx, b.child("key-alias"), &kms.AliasArgs{
		Name:        pulumi.String(n.keyAlias),
		TargetKeyId: key.KeyId,
	}, b.parent); err != nil {
		return nil, fmt.Errorf("topic key alias: %w", err)
	}
	return key, nil
}

// keyUses says what the stack's key encrypts: the findings and alarm topics, and the owners
// topic (ownersTopic), the chat topic (chat) and the ledger table (ledgerTable) when the
// settings have them.
func keyUses(s config.Settings) string {
	topics := []string{"findings", "alarm"}
	if len(s.Owners.Subscriptions) > 0 {
		topics = append(topics, "owners")
	}
	if s.Chat.Enabled {
		topics = append(topics, "chat")
	}
	last := len(topics) - 1
	what := "the " + strings.Join(topics[:last], ", ") + " and " + topics[last] + " topics"
	if s.KeepsLedger() {
		what += " and the ledger table"
	}
	return what
}

// keyPolicy follows AWS's conventions for a customer managed key that AWS services publish
// with: the account (root) administers the key, so IAM policies stay in control and the key
// cannot become unmanageable; the state machine's role and CloudWatch alarms may encrypt for
// and decrypt from SNS. SNS itself needs no statement: it uses the key on the publisher's behalf.
// Key policy statements always say Resource "*", meaning this key.
func keyPolicy(env environment, machineRoleARN string) PolicyDocument {
	use := []string{"kms:Decrypt", "kms:GenerateDataKey*"}
	return document(
		iampolicy.Statement{
			Sid:       "AccountAdministersKey",
			Effect:    "Allow",
			Principal: &iampolicy.Principal{AWS: []string{env.iamARN("root")}},
			Action:    []string{"kms:*"},
			Resource:  []string{"*"},
		},
		iampolicy.Statement{
			Sid:       "StateMachinePublishesThroughSNS",
			Effect:    "Allow",
			Principal: &iampolicy.Principal{AWS: []string{machineRoleARN}},
			Action:    use,
			Resource:  []string{"*"},
			Condition: iampolicy.Condition{"StringEquals": {"kms:ViaService": {"sns." + env.region + "." + env.dnsSuffix}}},
		},
		iampolicy.Statement{
			Sid:       "CloudWatchAlarmsPublish",
			Effect:    "Allow",
			Principal: &iampolicy.Principal{Service: []string{env.cloudwatchPrincipal}},
			Action:    use,
			Resource:  []string{"*"},
			Condition: iampolicy.Condition{"StringEquals": {"aws:SourceAccount": {env.accountID}}},
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
	findings, err = b.topic("findings topic", "findings", b.names.findingsTopic, "keyage", key,
		[]any{machineRole.Arn}, onlyTheStateMachinePublishes)
	if err != nil {
		return nil, nil, err
	}
	alarmARNs := env.arn("cloudwatch", "alarm:"+b.names.alarmPrefix+"-*")
	alarms, err = b.topic("alarm topic", "alarms", b.names.alarmTopic, "keyage alarms", key,
		nil, func(topic string, _ []any) []iampolicy.Statement {
			return []iampolicy.Statement{
				{
					Sid:       "OnlyThisStacksAlarmsPublish",
					Effect:    "Allow",
					Principal: &iampolicy.Principal{Service: []string{env.cloudwatchPrincipal}},
					Action:    []string{"sns:Publish"},
					Resource:  []string{topic},
					Condition: iampolicy.Condition{
						"StringEquals": {"aws:SourceAccount": {env.accountID}},
						"ArnLike":      {"aws:SourceArn": {alarmARNs}},
					},
				},
				// Every signed request carries aws:PrincipalIsAWSService: false for IAM
				// principals, true for CloudWatch's service principal (which the Allow above
				// narrows to this stack's alarms), so the Deny can never stop an alarm.
				denyOtherPublishers(topic, iampolicy.Condition{"Bool": {"aws:PrincipalIsAWSService": {"false"}}}),
			}
		})
	if err != nil {
		return nil, nil, err
	}

	if err := b.subscribe("findings", findings, b.s.FindingsSubscriptions()); err != nil {
		return nil, nil, err
	}
	if err := b.subscribe("alarms", alarms, b.s.AlarmSubscriptions); err != nil {
		return nil, nil, err
	}
	return findings, alarms, nil
}

// onlyTheStateMachinePublishes is the publishers' part of the policy of a topic only the state
// machine publishes on (findings, owners, chat); inputs are the machine role's ARN.
func onlyTheStateMachinePublishes(topic string, inputs []any) []iampolicy.Statement {
	role := inputs[0].(string)
	return []iampolicy.Statement{
		{
			Sid:       "OnlyThisStateMachinePublishes",
			Effect:    "Allow",
			Principal: &iampolicy.Principal{AWS: []string{role}},
			Action:    []string{"sns:Publish"},
			Resource:  []string{topic},
		},
		// A session of the role has the role's ARN as aws:PrincipalArn.
		denyOtherPublishers(topic, iampolicy.Condition{"StringNotEquals": {"aws:PrincipalArn": {role}}}),
	}
}

// topic creates a topic encrypted with the key (what names it in errors) and its policy: the
// statements publishers returns for the topic's ARN and the resolved inputs, then a Deny of
// every SNS action without TLS.
func (b *builder) topic(what, suffix, name, displayName string, key *kms.Key, inputs []any, publishers func(topic string, inputs []any) []iampolicy.Statement) (*sns.Topic, error) {
	topic, err := sns.NewTopic(b.ctx, b.child(suffix), &sns.TopicArgs{
		Name:           pulumi.String(name),
		DisplayName:    pulumi.String(displayName),
		KmsMasterKeyId: key.Arn,
		Tags:           b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if _, err := sns.NewTopicPolicy(b.ctx, b.child(suffix+"-policy"), &sns.TopicPolicyArgs{
		Arn: topic.Arn,
		Policy: policyOutput(append([]any{topic.Arn}, inputs...), func(v []any) PolicyDocument {
			arn := v[0].(string)
			return document(append(publishers(arn, v[1:]), denyInsecureTransport(snsActions, arn))...)
		}),
	}, b.parent); err != nil {
		return nil, fmt.Errorf("%s policy: %w", what, err)
	}
	return topic, nil
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
		if err := b.subscription(topicName, i, logical, topic, sub); err != nil {
			return err
		}
	}
	return nil
}

// subscription creates the subscription sub (entry i of topicName's) under the logical name.
func (b *builder) subscription(topicName string, i int, logical string, topic *sns.Topic, sub config.Subscription) error {
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
	return nil
}
