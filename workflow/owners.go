package workflow

import (
	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/lambda/agecheck"
)

// States of the owners' part (issue 11): after the digest, the report's per-owner messages are
// published on the owners topic, one publish per owner.
const (
	stateHasOwnerMessages = "HasOwnerMessages"
	// StatePublishOwnerMessages is the inline Map over the report's ownerMessages.
	StatePublishOwnerMessages = "PublishOwnerMessages"
	// StateNotifyOwner publishes one owner's message (sns:Publish on the owners topic).
	StateNotifyOwner = "NotifyOwner"
)

// OwnerPublishConcurrency is how many owner messages are published at a time: far below SNS's
// Publish quota in any region (https://docs.aws.amazon.com/general/latest/gr/sns.html).
const OwnerPublishConcurrency = 10

// ownersField is the run's owner settings ($.run.owners): what the check and report ops read.
const ownersField = "owners"

// owners is what the definition embeds for the function, nil when owners are off.
func (b builder) owners() *agecheck.Owners { return b.s.Owners.Event() }

// hasOwnersTopic reports whether the stack publishes per-owner messages.
func (b builder) hasOwnersTopic() bool {
	o := b.owners()
	return o != nil && o.MaxMessages > 0
}

// withOwnerSettings adds the owner settings to the run's context (Init), when owners are on.
func (b builder) withOwnerSettings(run map[string]any) map[string]any {
	if o := b.owners(); o != nil {
		run[ownersField] = o
	}
	return run
}

// withOwners adds the run's owner settings to a lambda payload under prefix ("$.run" in the
// parent, "$.BatchInput" in a child), when owners are on.
func (b builder) withOwners(fields map[string]any, prefix string) map[string]any {
	if b.owners() != nil {
		fields[ownersField+".$"] = prefix + "." + ownersField
	}
	return fields
}

// afterChat is the state after the digest's publish and the chat's (chat.go): the owners'
// messages when the stack has an owners topic.
func (b builder) afterChat() string {
	// An organization digest carries no owner messages: each account's report does (addAccountOwners).
	if b.hasOwnersTopic() && !b.s.Organization.Enabled() {
		return stateHasOwnerMessages
	}
	return stateNotified
}

// addOwners adds the publish of the report's per-owner messages, when the stack has an owners
// topic. The report omits ownerMessages when there are none, and a path to an absent field is an
// uncatchable States.Runtime error: the Choice looks first.
func (b builder) addOwners(st asl.States) {
	if !b.hasOwnersTopic() {
		return
	}
	st[stateHasOwnerMessages] = &asl.Choice{
		Common:  asl.Common{Comment: "Per-owner messages, when the report has some (owners with findings, up to maxOwnerMessages)."},
		Choices: []asl.ChoiceRule{{Variable: "$.ownerMessages", IsPresent: new(true), Next: StatePublishOwnerMessages}},
		Default: stateNotified,
	}
	st[StatePublishOwnerMessages] = b.publishOwnerMessages("$.ownerMessages", StateNotifyOwner, stateNotified)
}

// publishOwnerMessages is the inline Map that publishes the owner messages at items (a report's
// ownerMessages), one publish state (publish) per owner, then goes to next.
func (b builder) publishOwnerMessages(items, publishName, next string) *asl.Map {
	publish := asl.SNSPublishTask(b.r.Partition, b.r.OwnersTopicARN)
	publish.Comment = "One owner's keys only, the plain-text table for every protocol but SMS, which gets the subject; " +
		"the owner attribute is what each owner subscription's filter policy matches."
	publish.Parameters = map[string]any{
		"TopicArn":         b.r.OwnersTopicARN,
		"Subject.$":        "$.subject",
		"Message.$":        "States.JsonToString($.bodies)",
		"MessageStructure": "json",
		"MessageAttributes": map[string]any{
			agecheck.OwnerAttribute: map[string]any{"DataType": "String", "StringValue.$": "$.owner"},
			"severity":              map[string]any{"DataType": "String", "StringValue.$": "$.severity"},
			"account":               map[string]any{"DataType": "String", "StringValue.$": "$.account"},
		},
	}
	publish.ResultPath = asl.NullPath
	publish.TimeoutSeconds = asl.Count{N: PublishTimeoutSeconds}
	publish.Retry = []asl.Retrier{publishRetry()}
	publish.End = true
	return &asl.Map{
		Common: asl.Common{Comment: "Publishes each owner's message on the owners topic, at most one per owner per run. A publish " +
			"that keeps failing fails the run (the digest, already published, lists every key), and the alarm fires."},
		ItemsPath: asl.Path(items),
		// The owner message's bodies per protocol (MessageStructure json, as the digest's): an SMS
		// subscriber gets the subject, not a table of several KB (SNS sends at most 1,600
		// characters per SMS publish: https://docs.aws.amazon.com/sns/latest/dg/sms_publish-to-phone.html).
		// Built here rather than in the report, so that the report's message stays the text
		// its payload budget measures; an ItemSelector adds no state to the run's history.
		ItemSelector: map[string]any{
			"owner.$":    "$$.Map.Item.Value.owner",
			"subject.$":  "$$.Map.Item.Value.subject",
			"severity.$": "$$.Map.Item.Value.severity",
			"account.$":  "$$.Map.Item.Value.account",
			"bodies": map[string]any{
				"default.$": "$$.Map.Item.Value.message",
				"sms.$":     "$$.Map.Item.Value.subject",
			},
		},
		MaxConcurrency: asl.Count{N: OwnerPublishConcurrency},
		ResultPath:     asl.NullPath,
		ItemProcessor: &asl.ItemProcessor{Branch: asl.Branch{
			StartAt: publishName,
			States:  asl.States{publishName: publish},
		}},
		Flow: asl.Flow{Next: next},
	}
}

// State names of an account's owner messages in an organization run (the child's with the
// prefix Member; the deploying account's in the parent with "Own").
const (
	stateAccountHasOwnerMessages     = "AccountHasOwnerMessages"
	stateAccountPublishOwnerMessages = "AccountPublishOwnerMessages"
	stateAccountNotifyOwner          = "AccountNotifyOwner"
)

// addAccountOwners adds, in an organization run, the publish of an account's owner messages
// after the account's own message (notify, whose next it takes), when the stack has an owners
// topic: each account's report (op report with the owner settings) groups that account's owners,
// so an owner is sent at most one message per account per run, with the attribute account = that
// account, and maxOwnerMessages bounds each account's report. prefix tells the child's states
// ("Member") from the deploying account's ("Own").
func (b builder) addAccountOwners(st asl.States, notify *asl.Task, prefix string) {
	if !b.hasOwnersTopic() {
		return
	}
	has, publish, one := prefix+stateAccountHasOwnerMessages, prefix+stateAccountPublishOwnerMessages, prefix+stateAccountNotifyOwner
	next := notify.Next
	notify.Next = has
	st[has] = &asl.Choice{
		Common:  asl.Common{Comment: "The account's per-owner messages, when its report has some (owners with findings in this account)."},
		Choices: []asl.ChoiceRule{{Variable: "$.report.Payload.ownerMessages", IsPresent: new(true), Next: publish}},
		Default: next,
	}
	st[publish] = b.publishOwnerMessages("$.report.Payload.ownerMessages", one, next)
}
