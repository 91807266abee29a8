package agecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keyage/keyage/internal/golden"
)

// checkChatSchema checks a chat message against the custom notification schema of Amazon Q
// Developer in chat applications (https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html)
// and keyage's length bounds, reading the JSON as a chat client would: generic values, no Go
// types of the builder. It returns every problem.
func checkChatSchema(msg string) []string {
	var ps []string
	bad := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	var doc map[string]any
	dec := json.NewDecoder(strings.NewReader(msg))
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return []string{fmt.Sprintf("not one JSON object: %v", err)}
	}
	keysIn := func(where string, obj map[string]any, allowed ...string) {
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if !slices.Contains(allowed, k) {
				bad("%s has key %q, which the schema does not have", where, k)
			}
		}
	}
	str := func(where string, v any, required bool, max int) string {
		s, ok := v.(string)
		switch {
		case v == nil && !required:
		case !ok:
			bad("%s is %v, want a string", where, v)
		case required && s == "":
			bad("%s is empty", where)
		case max > 0 && utf8.RuneCountInString(s) > max:
			bad("%s is %d characters, want at most %d", where, utf8.RuneCountInString(s), max)
		}
		return s
	}
	strList := func(where string, v any, maxItems, maxLen int) {
		if v == nil {
			return
		}
		list, ok := v.([]any)
		if !ok {
			bad("%s is %v, want a list of strings", where, v)
			return
		}
		if len(list) > maxItems {
			bad("%s has %d items, want at most %d", where, len(list), maxItems)
		}
		for i, item := range list {
			str(fmt.Sprintf("%s[%d]", where, i), item, true, maxLen)
		}
	}
	keysIn("the message", doc, "version", "source", "id", "content", "metadata")
	if v := str("version", doc["version"], true, 0); v != "1.0" {
		bad("version is %q, want 1.0", v)
	}
	if v := str("source", doc["source"], true, 0); v != "custom" {
		bad("source is %q, want custom", v)
	}
	str("id", doc["id"], false, 0)
	content, ok := doc["content"].(map[string]any)
	if !ok {
		bad("content is %v, want an object", doc["content"])
	} else {
		keysIn("content", content, "textType", "title", "description", "nextSteps", "keywords")
		if v := str("content.textType", content["textType"], false, 0); v != "client-markdown" {
			bad("content.textType is %q, want client-markdown (the only one supported)", v)
		}
		str("content.title", content["title"], true, MaxChatTitleLength)
		str("content.description", content["description"], true, MaxChatDescriptionLength)
		strList("content.nextSteps", content["nextSteps"], MaxChatNextSteps, MaxChatNextStepLength)
		strList("content.keywords", content["keywords"], MaxChatKeywords, MaxChatKeywordLength)
	}
	if m, present := doc["metadata"]; present {
		meta, ok := m.(map[string]any)
		if !ok {
			bad("metadata is %v, want an object", m)
		} else {
			keysIn("metadata", meta, "threadId", "summary", "eventType", "relatedResources", "additionalContext")
			str("metadata.threadId", meta["threadId"], false, 0)
			str("metadata.summary", meta["summary"], false, MaxChatSummaryLength)
			str("metadata.eventType", meta["eventType"], false, 0)
			strList("metadata.relatedResources", meta["relatedResources"], 100, 2048)
			if ac, present := meta["additionalContext"]; present {
				obj, ok := ac.(map[string]any)
				if !ok {
					bad("metadata.additionalContext is %v, want an object of strings", ac)
				}
				for k, v := range obj {
					str("metadata.additionalContext."+k, v, false, 0)
				}
			}
		}
	}
	return ps
}

func TestCheckChatSchemaRefuses(t *testing.T) {
	ok := `{"version":"1.0","source":"custom","content":{"textType":"client-markdown","title":"t","description":"d"}}`
	if ps := checkChatSchema(ok); len(ps) != 0 {
		t.Fatalf("a minimal valid message got %v, want no problem", ps)
	}
	long := strings.Repeat("é", MaxChatDescriptionLength+1)
	for name, tt := range map[string]struct{ msg, want string }{
		"wrong version":     {strings.Replace(ok, `"1.0"`, `"2.0"`, 1), "version is"},
		"wrong source":      {strings.Replace(ok, `"custom"`, `"aws.iam"`, 1), "source is"},
		"wrong text type":   {strings.Replace(ok, `client-markdown`, `plain`, 1), "textType"},
		"unknown key":       {strings.Replace(ok, `"title"`, `"body":"x","title"`, 1), `"body"`},
		"long description":  {strings.Replace(ok, `"d"`, strconv.Quote(long), 1), "content.description is 3001 characters"},
		"no description":    {strings.Replace(ok, `"d"`, `""`, 1), "content.description is empty"},
		"keywords not list": {strings.Replace(ok, `"d"}`, `"d","keywords":"k"}`, 1), "content.keywords"},
		"trailing data":     {ok + "{}", "not one JSON object"},
	} {
		t.Run(name, func(t *testing.T) {
			ps := checkChatSchema(tt.msg)
			if !slices.ContainsFunc(ps, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("got %v, want a problem containing %q", ps, tt.want)
			}
		})
	}
}

// chatOf makes the report of s (a test run's when test) and its chat message.
func chatOf(t *testing.T, s Summary, p Policy, test bool) (Report, ChatNotification, string) {
	t.Helper()
	report := NewReport
	if test {
		report = NewTestReport
	}
	r := must(report(s, p, testAccount, testNow))
	msg := NewChatMessage(s, p, r, testNow)
	var n ChatNotification
	if err := json.Unmarshal([]byte(msg), &n); err != nil {
		t.Fatalf("chat message %s: %v", msg, err)
	}
	return r, n, msg
}

// manyFindings is a summary with n stale keys of users with the longest names IAM allows.
func manyFindings(n int) Summary {
	s := Summary{Counts: Counts{Users: n, Stale: n, Unused: n, Flagged: n, Unchecked: 150}}
	for i := range n {
		s.Findings = append(s.Findings, Finding{
			UserName: fmt.Sprintf("%s%04d", strings.Repeat("u", 60), i), AccessKeyID: fmt.Sprintf("AKIA%016d", i),
			CreateDate: ParseTimestamp("2020-01-01T00:00:00Z"), AgeDays: 2518, Severity: SeverityStale,
			Kinds: []string{KindStale, KindUnused}, LastUsedDate: ParseTimestamp("2020-02-01T00:00:00Z"),
			LastUsedService: strings.Repeat("s", 64), LastUsedRegion: "ap-southeast-4",
		})
	}
	for i := range MaxUncheckedListed {
		s.UncheckedUsers = append(s.UncheckedUsers, UncheckedUser{UserName: fmt.Sprintf("%s%04d", strings.Repeat("c", 60), i), Error: "Iam.IamException"})
	}
	return s
}

func TestChatMessage(t *testing.T) {
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 75, UnusedDays: 45}
	root := goldenSummary()
	root.Root = &RootCheck{Status: RootKeysPresent}
	rootUnknown := Summary{Counts: Counts{Users: 2, Compliant: 2}, Root: &RootCheck{Status: RootUnchecked, Cause: "AccessDenied"}}
	tests := []struct {
		name     string
		s        Summary
		test     bool
		listed   string // the description's "(oldest first, listed of total)", "" when nothing is found
		event    string
		steps    []string // the first words of the next steps
		keywords []string
		desc     []string // more the description must contain
	}{
		{"golden scan", goldenSummary(), false, "3 of 3", ChatEventType, []string{"stale:", "warning:", "unchecked:"},
			[]string{"keyage", "severity: stale", "stale", "warning"}, []string{"`legacy-batch` `AKIAIOSFODNN7EXAMPLE` stale: 1408 days old, last used never", "*Unchecked users* (keys could not be read): 2, such as `carol`, `dave`."}},
		{"root first", root, false, "4 of 4", ChatEventType, []string{"root:", "stale:", "warning:", "unchecked:"},
			[]string{"keyage", "severity: stale", "root", "stale", "warning"}, []string{"(oldest first, 4 of 4):\n• `(root user)` root:"}},
		{"root unchecked", rootUnknown, false, "", ChatEventType, []string{"unchecked:"},
			[]string{"keyage", "severity: unchecked"}, []string{"could not be checked: AccessDenied"}},
		{"test run that found nothing", Summary{Counts: Counts{Users: 3, Compliant: 4}}, true, "", ChatTestEventType, []string{"Nothing to do"},
			[]string{"keyage", "severity: none", "test run"}, []string{"*TEST RUN*", "Nothing found", "3 users scanned, 4 compliant keys"}},
		{"last use unknown", Summary{Counts: Counts{Users: 1, LastUsedUnknown: 2}}, false, "", ChatEventType, []string{"last use unknown:"},
			[]string{"keyage", "severity: unchecked"}, []string{"2 last use unknown"}},
		{"5,000 findings: the oldest that fit, counts exact", manyFindings(5000), false, "of 5000", ChatEventType, []string{"stale:", "unused:", "unchecked:"},
			[]string{"keyage", "severity: stale", "stale", "unused"}, []string{"5000 stale, 5000 unused", "150 users unchecked", "…and "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, n, msg := chatOf(t, tt.s, p, tt.test)
			if ps := checkChatSchema(msg); len(ps) != 0 {
				t.Fatalf("chat message breaks the schema:\n%s\n%s", strings.Join(ps, "\n"), msg)
			}
			if n.Content.Title != r.Subject || n.Metadata.Summary != r.Subject {
				t.Errorf("title %q, summary %q, want the subject %q", n.Content.Title, n.Metadata.Summary, r.Subject)
			}
			if n.Metadata.EventType != tt.event {
				t.Errorf("eventType %q, want %q", n.Metadata.EventType, tt.event)
			}
			d := n.Content.Description
			if tt.listed != "" && !strings.Contains(d, tt.listed+"):") {
				t.Errorf("description does not say %q:\n%s", tt.listed, d)
			}
			for _, want := range tt.desc {
				if !strings.Contains(d, want) {
					t.Errorf("description does not contain %q:\n%s", want, d)
				}
			}
			var firsts []string
			for _, s := range n.Content.NextSteps {
				firsts = append(firsts, strings.Fields(s)[0])
			}
			for i, want := range tt.steps {
				if i >= len(firsts) || !strings.HasPrefix(firsts[i], strings.Fields(want)[0]) {
					t.Errorf("next steps start %v, want %v", firsts, tt.steps)
					break
				}
			}
			if !slices.Equal(n.Content.Keywords, tt.keywords) {
				t.Errorf("keywords %v, want %v", n.Content.Keywords, tt.keywords)
			}
			// The counts are exact, whatever the description lists.
			ctx := n.Metadata.AdditionalContext
			flagged := tt.s.Flagged
			if rootPresent(tt.s) {
				flagged++
			}
			for k, want := range map[string]int{"findings": flagged, "stale": tt.s.Stale, "unused": tt.s.Unused, "warning": tt.s.Warning,
				"unchecked": tt.s.Unchecked, "lastUsedUnknown": tt.s.LastUsedUnknown} {
				if ctx[k] != strconv.Itoa(want) {
					t.Errorf("additionalContext.%s = %q, want %d", k, ctx[k], want)
				}
			}
			if ctx["account"] != testAccount || ctx["test"] != strconv.FormatBool(tt.test) || ctx["severity"] != r.Severity {
				t.Errorf("additionalContext %v, want account %s, test %v, severity %s", ctx, testAccount, tt.test, r.Severity)
			}
		})
	}
}

// TestChatMessageListsTheMostThatFit: the description lists MaxChatFindingsListed findings
// when they fit, fewer when they do not, and never more than the bound allows.
func TestChatMessageListsTheMostThatFit(t *testing.T) {
	p := Policy{MaxAgeDays: 90}
	for _, n := range []int{1, MaxChatFindingsListed, MaxChatFindingsListed + 1, 5000} {
		s := manyFindings(n)
		_, c, _ := chatOf(t, s, p, false)
		lines := strings.Count(c.Content.Description, "\n• ")
		if lines > MaxChatFindingsListed || lines < 1 {
			t.Errorf("%d findings: %d listed, want 1 to %d", n, lines, MaxChatFindingsListed)
		}
		if lines == min(n, MaxChatFindingsListed) {
			continue
		}
		one := renderChatDescription(s, p, must(NewReport(s, p, testAccount, testNow)), formatTime(testNow), lines+1, min(len(s.UncheckedUsers), maxChatUncheckedListed))
		if utf8.RuneCountInString(one) <= MaxChatDescriptionLength {
			t.Errorf("%d findings: %d listed, but %d fit", n, lines, lines+1)
		}
	}
}

func TestChatMessageGolden(t *testing.T) {
	_, _, msg := chatOf(t, goldenSummary(), Policy{MaxAgeDays: 90, WarnAgeDays: 75, ExemptUsers: []string{"svc-*"}}, false)
	var indented bytes.Buffer
	if err := json.Indent(&indented, []byte(msg), "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.WriteString("\n")
	golden.Check(t, filepath.Join("testdata", "report.chat.json"), indented.Bytes())
}

// TestReportOpWritesChatOnlyWhenAsked: op report writes Report.Chat when the event asks for it
// and the report publishes; other ops refuse the flag.
func TestReportOpWritesChatOnlyWhenAsked(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	event := func(op string, chat bool, s Summary) []byte {
		ev := Event{Op: op, Policy: Policy{MaxAgeDays: 90}, Now: timestampAt(testNow), Account: testAccount, Summary: &s, Chat: chat}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	stale := Summary{Counts: Counts{Users: 1, Stale: 1, Flagged: 1}}
	clear := Summary{Counts: Counts{Users: 1, Compliant: 1}}
	for _, tt := range []struct {
		name     string
		chat     bool
		s        Summary
		wantChat bool
	}{
		{"asked, findings", true, stale, true},
		{"not asked", false, stale, false},
		{"asked, nothing to publish", true, clear, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := h.Invoke(context.Background(), event(OpReport, tt.chat, tt.s))
			if err != nil {
				t.Fatal(err)
			}
			var r Report
			if err := json.Unmarshal(out, &r); err != nil {
				t.Fatal(err)
			}
			if (r.Chat != "") != tt.wantChat {
				t.Fatalf("chat %q, want one: %v", r.Chat, tt.wantChat)
			}
			if tt.wantChat {
				if ps := checkChatSchema(r.Chat); len(ps) != 0 {
					t.Errorf("chat message breaks the schema: %v", ps)
				}
			}
		})
	}
	_, err := h.Invoke(context.Background(), event(OpMerge, true, clear))
	if err == nil || !strings.Contains(err.Error(), "chat") {
		t.Errorf("op merge with chat: got %v, want an error naming chat", err)
	}
}

// TestReportWithChatFitsAState: the report op's result, the state that follows it, stays under
// Step Functions' 256 KiB with the chat message beside a digest trimmed to MaxMessageBytes,
// even when the chat description is made of multi-byte characters.
func TestReportWithChatFitsAState(t *testing.T) {
	const stateLimit = 256 * 1024
	p := Policy{MaxAgeDays: 90, UnusedDays: 45}
	s := manyFindings(5000)
	s.Root = &RootCheck{Status: RootUnchecked, Cause: strings.Repeat("é\"", 5000)}
	r := must(NewReport(s, p, testAccount, testNow))
	r.Chat = NewChatMessage(s, p, r, testNow)
	if ps := checkChatSchema(r.Chat); len(ps) != 0 {
		t.Fatalf("chat message breaks the schema: %v", ps)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report %d bytes, of which the chat message %d bytes (message %d)", len(out), len(r.Chat), len(r.Message))
	if len(out) > stateLimit {
		t.Errorf("the report with chat is %d bytes, over the %d of a state", len(out), stateLimit)
	}
}
