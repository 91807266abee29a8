package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
)

// ownersTopic creates the owners topic (issue 11) when the stack has ownerSubscriptions: the
// same key and the same policy as the findings topic (only the state machine publishes), and one
// subscription per entry, each with the filter policy keyage sets on the owner attribute, so that
// no subscriber receives another owner's keys. nil when there are none.
func (b *builder) ownersTopic(key *kms.Key, machineRole *iam.Role) (*sns.Topic, error) {
	subs := b.s.Owners.Subscriptions
	if len(subs) == 0 {
		return nil, nil
	}
	topic, err := b.topic("owners topic", "owners", b.names.ownersTopic, "keyage owners", key,
		[]any{machineRole.Arn}, onlyTheStateMachinePublishes)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, o := range subs {
		sub := o.Subscription
		sub.FilterPolicy, sub.FilterPolicyScope = o.FilterPolicy(), config.ScopeMessageAttributes
		// Named from owner, protocol and endpoint: one mailbox may serve two owners.
		sum := sha256.Sum256([]byte(o.Owner + "\x00" + sub.Protocol + "\x00" + sub.Endpoint))
		logical := b.child("owners-" + sub.Protocol + "-" + hex.EncodeToString(sum[:])[:10])
		if seen[logical] {
			return nil, fmt.Errorf("owners subscription %d: owner %q's %s endpoint %q is subscribed twice", i, o.Owner, sub.Protocol, sub.Endpoint)
		}
		seen[logical] = true
		if err := b.subscription("owners", i, logical, topic, sub); err != nil {
			return nil, err
		}
	}
	return topic, nil
}

// ownerStatements are the function role's statements for mailing owners (its ReadUserTags,
// function.go, reads their tags): send mail from the one SES identity ownerEmail names, only with
// ownerEmail's From address. SES's SendEmail requires the identity resource and takes the configuration set's
// when one is used (Service Authorization Reference, Amazon SES v2:
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsimpleemailservicev2.html).
// Without identityArn, the identity is the From address or its domain, whichever SES verified:
// both ARNs, in this account and region, name only that sender.
func (b *builder) ownerStatements() []iampolicy.Statement {
	o, env := b.s.Owners, b.env
	e := o.Email
	if len(o.TagKeys) == 0 || e == nil {
		return nil
	}
	resources := []string{e.IdentityARN}
	if e.IdentityARN == "" {
		domain := e.From[strings.LastIndexByte(e.From, '@')+1:]
		resources = []string{env.arn("ses", "identity/"+e.From), env.arn("ses", "identity/"+domain)}
	}
	if e.ConfigurationSet != "" {
		resources = append(resources, env.arn("ses", "configuration-set/"+e.ConfigurationSet))
	}
	send := allowStatement("MailOwnersFromOneSender", []string{"ses:SendEmail"}, resources...)
	send.Condition = iampolicy.Condition{"StringEquals": {"ses:FromAddress": {e.From}}}
	return []iampolicy.Statement{send}
}

// ownersTopicARN is the owners topic's ARN when the stack has one, else "".
func ownersTopicARN(s config.Settings, env environment, n names) string {
	if len(s.Owners.Subscriptions) == 0 {
		return ""
	}
	return env.arn("sns", n.ownersTopic)
}
