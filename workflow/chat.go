package workflow

import (
	"github.com/keyage/keyage/asl"
)

// StateNotifyChat publishes the report's chat message (agecheck.Report.Chat) to the chat topic,
// after the digest: only in a definition whose settings have chat, and only on a run that
// publishes (HasFindings chose Notify), a test run included.
const StateNotifyChat = "NotifyChat"

// chatField is the report event's flag asking op report for the chat message (agecheck.Event.Chat).
const chatField = "chat"

// addChatToReport asks the report for the chat message when the settings have chat.
func (b builder) addChatToReport(fields map[string]any) {
	if b.s.Chat.Enabled {
		fields[chatField] = true
	}
}

// afterNotify is the state after the digest's publish: the chat publish when the settings have
// chat, else what follows it (afterChat, owners.go).
func (b builder) afterNotify() string {
	if b.s.Chat.Enabled {
		return StateNotifyChat
	}
	return b.afterChat()
}

// addChat adds the chat publish when the settings have chat. Its message is the custom
// notification of Amazon Q Developer in chat applications, sent as it is (no MessageStructure:
// the chat client reads the one body; no attributes: a chat channel does not filter). It comes
// after the digest, so a chat outage never holds the digest back; a publish that keeps failing
// fails the run, as the digest's does, and the executions-failed alarm fires.
func (b builder) addChat(st asl.States) {
	if !b.s.Chat.Enabled {
		return
	}
	t := asl.SNSPublishTask(b.r.Partition, b.r.ChatTopicARN)
	t.Comment = "The report's chat message (Amazon Q Developer custom notification: title, top findings, next steps, " +
		"exact counts) to the chat topic, after the digest."
	t.Parameters = map[string]any{
		"TopicArn":  b.r.ChatTopicARN,
		"Message.$": "$.chat",
	}
	t.ResultPath = asl.NullPath
	t.TimeoutSeconds = asl.Count{N: PublishTimeoutSeconds}
	t.Retry = []asl.Retrier{publishRetry()}
	t.Next = b.afterChat()
	st[StateNotifyChat] = t
}
