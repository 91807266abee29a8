package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPreviewDev(t *testing.T) {
	var body struct {
		Account  string
		Severity string
		Policy   struct{ Exemptions []struct{ Users []string } }
	}
	runCLIJSON(t, &body, "preview", "--stack", "dev", "--format", "json")
	if body.Account != "123456789012" || body.Severity != "stale" || len(body.Policy.Exemptions) == 0 {
		t.Errorf("body %+v, want the sample account's stale findings under Pulumi.dev.yaml's policy", body)
	}
	status, stdout, _ := runCLI("preview", "--stack", "dev")
	if status != exitOK || !strings.HasPrefix(stdout, "Subject: ") || !strings.Contains(stdout, "--- email body") {
		t.Errorf("preview --stack dev = %d, %q; want every part, the subject first", status, stdout)
	}
}

func TestPreviewAccountFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := write("good.json", `{"now":"2026-12-01T00:00:00Z","users":[{"userName":"old","keys":[
		{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","status":"Active","createDate":"2020-01-01T00:00:00Z"}]}]}`)
	status, stdout, stderr := runCLI("preview", "--stack", "prod", "--account", good, "--format", "sms")
	if want := "1 IAM access key older than 90 days, 1 unused, in 123456789012\n"; status != exitOK || stdout != want {
		t.Errorf("preview --account good.json --format sms = %d, %q, %q; want 0 and %q", status, stdout, stderr, want)
	}

	bad := write("bad.json", `{"users":[{"userName":"u","keys":[{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","status":"on","createDate":"2020-01-01T00:00:00Z"}]}]}`)
	status, _, stderr = runCLI("preview", "--stack", "prod", "--account", bad)
	if want := bad + `: 1 problem:` + "\n" + `  users[0].keys[0].status: "on": want "Active", "Inactive" or "Expired"` + "\n"; status != exitInvalid || stderr != want {
		t.Errorf("preview --account bad.json = %d, stderr %q; want 1 and %q", status, stderr, want)
	}
	status, _, stderr = runCLI("preview", "--stack", "prod", "--account", filepath.Join(dir, "absent.json"))
	if status != exitInvalid || !strings.Contains(stderr, "absent.json: no such file") {
		t.Errorf("preview --account absent.json = %d, stderr %q; want 1 and the file named", status, stderr)
	}
}

func TestPreviewUsage(t *testing.T) {
	status, _, stderr := runCLI("preview", "--stack", "dev", "--format", "html")
	if want := `keyage preview: --format "html": want one of all, email, json, sms, chat` + "\n"; status != exitUsage || stderr != want {
		t.Errorf("preview --format html = %d, stderr %q; want 2 and %q", status, stderr, want)
	}
	// Pulumi.dev.yaml has no chat: no card to show, and the error names the setting.
	status, stdout, stderr := runCLI("preview", "--stack", "dev", "--format", "chat")
	if status != exitInvalid || stdout != "" || !strings.Contains(stderr, `keyage preview: format "chat": the stack has no chat setting`) {
		t.Errorf("preview --stack dev --format chat = %d, %q, stderr %q; want 1 and the chat setting named", status, stdout, stderr)
	}
}

// TestPreviewChat: on a stack with chat, --format chat prints the card NotifyChat publishes: a
// custom notification titled with the digest's subject.
func TestPreviewChat(t *testing.T) {
	dir := writeStack(t, "team", "config:\n  keyage:chat: {}\n")
	var card struct {
		Version, Source string
		Content         struct{ TextType, Title, Description string }
	}
	runCLIJSON(t, &card, "preview", "--stack", "team", "--dir", dir, "--format", "chat")
	_, subject, _ := runCLI("preview", "--stack", "team", "--dir", dir, "--format", "sms")
	if card.Version != "1.0" || card.Source != "custom" || card.Content.TextType != "client-markdown" ||
		card.Content.Title+"\n" != subject || !strings.Contains(card.Content.Description, "*Findings*") {
		t.Errorf("card %+v, want a custom notification titled %q with the findings", card, subject)
	}
}
