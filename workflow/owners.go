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
	if b.hasOwnersTopic() {
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
	publish := asl.SNSPublishTask(b.r.Partition, b.r.OwnersTopicARN)
	publish.Comment = "One owner's keys only, as plain text; the owner attribute is what each owner subscription's filter policy matches."
	publish.Parameters = map[string]any{
		"TopicArn":  b.r.OwnersTopicARN,
		"Subject.$": "$.subject",
		"Message.$": "$.message",
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
	st[StatePublishOwnerMessages] = &asl.Map{
		Common: asl.Common{Comment: "Publishes each owner's message on the owners topic, at most one per owner per run. A publish " +
			"that keeps failing fails the run (the digest, already published, lists every key), and the alarm fires."},
		ItemsPath:      "$.ownerMessages",
		MaxConcurrency: asl.Count{N: OwnerPublishConcurrency},
		ResultPath:     asl.NullPath,
		ItemProcessor: &asl.ItemProcessor{Branch: asl.Branch{
			StartAt: StateNotifyOwner,
			States:  asl.States{StateNotifyOwner: publish},
		}},
		Flow: asl.Flow{Next: stateNotified},
	}
}
