package workflow

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// chatSettings is a stack with chat: the topic and one Slack channel.
func chatSettings() config.Settings {
	s := config.Defaults()
	s.Chat = config.Chat{Enabled: true, Slack: []config.SlackChannel{{TeamID: "T07EA123LEP", ChannelID: "C07EZ1ABC23"}}}
	return s
}

func TestChatPublishFollowsTheDigest(t *testing.T) {
	r := PlaceholderResources()
	m := mustDefinition(t, chatSettings(), r)
	notify := m.States[StateNotify].(*asl.Task)
	if notify.Next != StateNotifyChat {
		t.Fatalf("%s goes to %q, want %s", StateNotify, notify.Next, StateNotifyChat)
	}
	chat, ok := m.States[StateNotifyChat].(*asl.Task)
	if !ok {
		t.Fatalf("no task %s", StateNotifyChat)
	}
	// With the default notify: changes, the ledger's commit follows the last publish.
	if chat.Next != stateHasCommit || chat.ResultPath != asl.NullPath {
		t.Errorf("%s goes to %q with ResultPath %q, want %s and null", StateNotifyChat, chat.Next, chat.ResultPath, stateHasCommit)
	}
	params := chat.Parameters.(map[string]any)
	want := map[string]any{"TopicArn": r.ChatTopicARN, "Message.$": "$." + chatField}
	if !reflect.DeepEqual(params, want) {
		t.Errorf("%s parameters %v, want %v", StateNotifyChat, params, want)
	}
	// $.chat is the report's chat message: the field agecheck.Report writes.
	if !jsonFields(reflect.TypeFor[agecheck.Report]())[chatField] || !jsonFields(reflect.TypeFor[agecheck.Event]())[chatField] {
		t.Errorf("agecheck.Report or agecheck.Event has no JSON field %q", chatField)
	}
	payload := lambdaPayload(m.States[StateReport].(*asl.Task))
	if payload[chatField] != true {
		t.Errorf("the report event's %s is %v, want true", chatField, payload[chatField])
	}
	// The role derived from the definition may publish to both topics, nothing else more.
	var topics []string
	for _, st := range m.IAMStatements(placeholderMachineARN) {
		if slices.Contains(st.Action, "sns:Publish") {
			topics = append(topics, st.Resource...)
		}
	}
	slices.Sort(topics)
	if want := []string{r.ChatTopicARN, r.TopicARN}; !slices.Equal(topics, want) {
		t.Errorf("sns:Publish on %v, want %v", topics, want)
	}
}

// TestNoChatNoChatState: without the setting, nothing of chat is in the definition (the
// default and prod golden files stay what they were).
func TestNoChatNoChatState(t *testing.T) {
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	if _, ok := m.States[StateNotifyChat]; ok {
		t.Errorf("a stack without chat has state %s", StateNotifyChat)
	}
	if next := m.States[StateNotify].(*asl.Task).Next; next != stateHasCommit {
		t.Errorf("%s goes to %q, want %s (the ledger's commit, with the default notify: changes)", StateNotify, next, stateHasCommit)
	}
	payload := lambdaPayload(m.States[StateReport].(*asl.Task))
	if _, ok := payload[chatField]; ok {
		t.Errorf("the report event of a stack without chat carries %s", chatField)
	}
}

func TestChatNeedsItsTopic(t *testing.T) {
	r := PlaceholderResources()
	r.ChatTopicARN = ""
	_, err := Definition(mustCheck(t, chatSettings()), r)
	if err == nil || !strings.Contains(err.Error(), "ChatTopicARN is empty") {
		t.Errorf("got %v, want an error naming ChatTopicARN", err)
	}
	r.ChatTopicARN = "arn:aws:sns:eu-west-1:123456789012:keyage-chat"
	_, err = Definition(mustCheck(t, chatSettings()), r)
	if err == nil || !strings.Contains(err.Error(), "ChatTopicARN is") {
		t.Errorf("a chat topic in another region: got %v, want an error naming ChatTopicARN", err)
	}
}

const placeholderMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:keyage-dev"
