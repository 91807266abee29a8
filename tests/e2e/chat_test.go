package e2e

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
	"github.com/keyage/keyage/workflow"
)

// chatOn is s with the chat topic (a channel configured elsewhere).
func chatOn(s config.Settings) config.Settings {
	s.Chat = config.Chat{Enabled: true}
	return s
}

// chatEnv is newEnv whose task server also accepts publishes to the chat topic.
func chatEnv(t *testing.T, a *sfnlocal.Account) *sfnlocal.Env {
	t.Helper()
	e := newEnv(t, a)
	e.Tasks.ChatTopicARN = testChatTopic
	return e
}

// chatMessage returns the second publish, which must be to the chat topic, as a custom
// notification.
func chatMessage(t *testing.T, e *sfnlocal.Env) agecheck.ChatNotification {
	t.Helper()
	pubs := e.Tasks.Published()
	if len(pubs) != 2 || pubs[0].TopicARN != testTopic || pubs[1].TopicARN != testChatTopic {
		var topics []string
		for _, p := range pubs {
			topics = append(topics, p.TopicARN)
		}
		t.Fatalf("published to %v, want the findings topic, then the chat topic", topics)
	}
	chat := pubs[1]
	if chat.MessageStructure != "" || chat.Subject != "" || len(chat.Attributes) != 0 {
		t.Errorf("chat publish has structure %q, subject %q, attributes %v; want the message alone", chat.MessageStructure, chat.Subject, chat.Attributes)
	}
	var n agecheck.ChatNotification
	dec := json.NewDecoder(strings.NewReader(chat.Message))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&n); err != nil {
		t.Fatalf("chat message %s: %v", chat.Message, err)
	}
	if n.Version != agecheck.ChatVersion || n.Source != agecheck.ChatSource || n.Content.TextType != agecheck.ChatTextType {
		t.Errorf("chat message is version %q, source %q, textType %q; want a custom notification", n.Version, n.Source, n.Content.TextType)
	}
	return n
}

// TestChatAfterTheDigest: with chat, a run with findings publishes the digest, then the chat
// card to the chat topic, with the digest's exact counts and its subject as title.
func TestChatAfterTheDigest(t *testing.T) {
	t.Parallel()
	a := mixedAccount(120)
	s := chatOn(mixedSettings())
	e := chatEnv(t, a)
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	p := s.Policy()
	want := expect(a, p, testNow)
	n := chatMessage(t, e)
	subject := e.Tasks.Published()[0].Subject
	if wantPrefix := fmt.Sprintf("%d IAM access keys older than 90 days, %d unused", want.counts.Stale, want.counts.Unused); !strings.HasPrefix(subject, wantPrefix) {
		t.Errorf("digest subject %q, want it to start %q", subject, wantPrefix)
	}
	body, _ := message(t, e.Tasks.Published()[0])
	if n.Content.Title != subject || n.Metadata.EventType != agecheck.ChatEventType {
		t.Errorf("chat title %q (event %s), want the digest's subject %q", n.Content.Title, n.Metadata.EventType, subject)
	}
	ctx := n.Metadata.AdditionalContext
	for k, v := range map[string]int{"findings": body.Counts.Flagged, "stale": want.counts.Stale, "warning": want.counts.Warning,
		"unused": want.counts.Unused, "unchecked": want.counts.Unchecked} {
		if ctx[k] != strconv.Itoa(v) {
			t.Errorf("chat additionalContext.%s = %q, want %d (the digest's)", k, ctx[k], v)
		}
	}
	if listed := strings.Count(n.Content.Description, "\n• "); listed != agecheck.MaxChatFindingsListed {
		t.Errorf("chat lists %d findings, want the %d oldest", listed, agecheck.MaxChatFindingsListed)
	}
	oldest := body.Findings[0]
	if !strings.Contains(n.Content.Description, "`"+oldest.UserName+"` `"+oldest.AccessKeyID+"`") {
		t.Errorf("chat does not list the oldest finding %s of %s first:\n%s", oldest.AccessKeyID, oldest.UserName, n.Content.Description)
	}
	// The chat publish comes after the digest's, in the execution's order too.
	var states []string
	for _, c := range e.Tasks.CallsTo(sfnlocal.ResourceSNSPublish) {
		states = append(states, c.State)
	}
	if strings.Join(states, ",") != workflow.StateNotify+","+workflow.StateNotifyChat {
		t.Errorf("publishing states %v, want %s then %s", states, workflow.StateNotify, workflow.StateNotifyChat)
	}
	checkEveryUserOnce(t, e, nil)
}
