package preview

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// chatStack is Pulumi.dev.yaml's settings with a chat topic.
func chatStack(t *testing.T) config.Checked {
	t.Helper()
	s := devStack(t).Settings()
	s.Chat = config.Chat{Enabled: true}
	return config.MustCheck(s)
}

// TestRunChatCard: on a stack with chat, the preview's card is what the NotifyChat state
// publishes: the report op's card (the function's own builder), a custom notification whose
// title is the digest's subject; with owners on it counts the sample's keys without an owner.
func TestRunChatCard(t *testing.T) {
	r, err := Run(chatStack(t), Sample(), sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if r.Publish == nil || r.Chat == "" || r.Chat != r.Report.Chat {
		t.Fatalf("publish %v, chat %q, report's chat %q; want the report's card", r.Publish, r.Chat, r.Report.Chat)
	}
	var card agecheck.ChatNotification
	if err := json.Unmarshal([]byte(r.Chat), &card); err != nil {
		t.Fatalf("the card is not JSON: %v", err)
	}
	if card.Version != agecheck.ChatVersion || card.Source != agecheck.ChatSource || card.Content.Title != r.Publish.Subject ||
		!strings.Contains(card.Content.Description, "*No owner*: 2 keys") ||
		// The preview keeps no ledger: Pulumi.dev.yaml's notify: changes announces every finding.
		strings.Contains(card.Content.Description, "*Since the last message*") || r.Report.Commit != nil {
		t.Errorf("card %+v, want a custom notification titled %q counting 2 keys without an owner", card, r.Publish.Subject)
	}
	var out bytes.Buffer
	if err := r.Write(&out, "chat"); err != nil {
		t.Fatal(err)
	}
	var printed agecheck.ChatNotification
	if err := json.Unmarshal(out.Bytes(), &printed); err != nil || !strings.HasPrefix(out.String(), "{\n  \"version\": \"1.0\"") {
		t.Fatalf("--format chat printed %q (%v), want the card indented", out.String(), err)
	}
	if printed.Content.Description != card.Content.Description {
		t.Errorf("--format chat printed another card:\n%s", out.String())
	}
	// Without chat, the definition has no NotifyChat and the report op writes no card.
	if r, err := Run(devStack(t), Sample(), sampleNow); err != nil || r.Chat != "" || r.ChatEnabled {
		t.Errorf("dev stack: chat %q, enabled %v, err %v; want none", r.Chat, r.ChatEnabled, err)
	}
}

// TestWriteChatRefusedWithoutChat: a stack without chat has no card to show: --format chat
// names the setting.
func TestWriteChatRefusedWithoutChat(t *testing.T) {
	r, err := Run(devStack(t), Sample(), sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	err = r.Write(&bytes.Buffer{}, "chat")
	if want := `format "chat": the stack has no chat setting, so the function writes no chat card; want a stack with chat (README: Chat), or one of all, email, json, sms`; err == nil || err.Error() != want {
		t.Errorf("Write(chat) = %v, want %q", err, want)
	}
}

// TestWriteChatNothingToPublish: no digest, no card: --format chat says nothing is published.
func TestWriteChatNothingToPublish(t *testing.T) {
	s := config.Defaults()
	s.Chat = config.Chat{Enabled: true}
	r, err := Run(config.MustCheck(s), Account{Users: []User{{UserName: "fresh"}}}, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := r.Write(&out, "chat"); err != nil || r.Chat != "" || !strings.HasPrefix(out.String(), "Nothing would be published") {
		t.Errorf("Write(chat) = %q, %v (card %q); want nothing published", out.String(), err, r.Chat)
	}
}
