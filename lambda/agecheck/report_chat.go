package agecheck

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The chat message: a custom notification of Amazon Q Developer in chat applications (formerly
// AWS Chatbot), which renders it as a card in Slack and Microsoft Teams. Any other body on a
// topic it reads is dropped as an unsupported event. The schema, and what each field is for,
// are AWS's ("Custom notifications using Amazon Q Developer in chat applications", Event schema
// and Parameter details: https://docs.aws.amazon.com/chatbot/latest/adminguide/custom-notifs.html):
// version "1.0" and source "custom" are required; content holds textType ("client-markdown",
// the only one supported), title, description, nextSteps and keywords; metadata holds
// threadId, summary, eventType, relatedResources and additionalContext.
const (
	ChatVersion  = "1.0"
	ChatSource   = "custom"
	ChatTextType = "client-markdown"
	// ChatEventType and ChatTestEventType are metadata.eventType of a run's message and of a
	// test run's.
	ChatEventType     = "KeyageFindings"
	ChatTestEventType = "KeyageTestRun"
)

// Bounds of the chat message, in characters (runes). The AWS page gives no length limit for
// the fields, so keyage keeps to what the chat clients render without cutting: Slack's header
// block takes 150 characters and its section block 3,000 (Block Kit reference,
// https://api.slack.com/reference/block-kit/blocks), and Teams' message limit (about 28 KB) is
// larger. The lists are keyage's own choice: a card, not a report.
const (
	MaxChatTitleLength       = 150
	MaxChatDescriptionLength = 3000
	MaxChatSummaryLength     = 150
	MaxChatNextSteps         = 5
	MaxChatNextStepLength    = 300
	MaxChatKeywords          = 10
	MaxChatKeywordLength     = 75
	// MaxChatFindingsListed is how many findings (oldest first) the description lists at most;
	// the counts are always exact, and every finding is in the email and the function's log.
	MaxChatFindingsListed = 10
	// maxChatUncheckedListed is how many unchecked users the description names at most.
	maxChatUncheckedListed = 5
)

// ChatNotification is the custom notification document (its JSON is what the chat topic
// receives).
type ChatNotification struct {
	Version  string       `json:"version"`
	Source   string       `json:"source"`
	ID       string       `json:"id,omitempty"`
	Content  ChatContent  `json:"content"`
	Metadata ChatMetadata `json:"metadata"`
}

// ChatContent is what the card shows.
type ChatContent struct {
	TextType    string   `json:"textType"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	NextSteps   []string `json:"nextSteps,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
}

// ChatMetadata is what the chat client uses besides the card: the notification preview
// (summary), the event type custom actions match on, and key-value context. keyage sets no
// threadId (each run is its own message) and no relatedResources (IAM users' ARNs need their
// paths, which findings do not carry).
type ChatMetadata struct {
	Summary           string            `json:"summary"`
	EventType         string            `json:"eventType"`
	AdditionalContext map[string]string `json:"additionalContext,omitempty"`
}

// NewChatMessage returns the chat message of a report r made from s, p and now: the report's
// subject as title, the top findings and the exact counts as description, what to do as next
// steps. A test run's message says it is one. It is JSON text, ready to publish.
func NewChatMessage(s Summary, p Policy, r Report, now time.Time) string {
	return string(marshalNoEscape(newChatNotification(s, p, r, formatTime(now))))
}

func newChatNotification(s Summary, p Policy, r Report, now string) ChatNotification {
	eventType := ChatEventType
	if r.Test {
		eventType = ChatTestEventType
	}
	flagged := s.Flagged
	if rootPresent(s) {
		flagged++ // the root finding is listed first, beside the keys
	}
	return ChatNotification{
		Version: ChatVersion,
		Source:  ChatSource,
		ID:      "keyage-" + oneLine(r.Account) + "-" + now,
		Content: ChatContent{
			TextType:    ChatTextType,
			Title:       truncateRunes(r.Subject, MaxChatTitleLength),
			Description: chatDescription(s, p, r, now),
			NextSteps:   chatNextSteps(s, r.Test),
			Keywords:    chatKeywords(s, r),
		},
		Metadata: ChatMetadata{
			Summary:   truncateRunes(r.Subject, MaxChatSummaryLength),
			EventType: eventType,
			AdditionalContext: map[string]string{
				"account":         oneLine(r.Account),
				"now":             now,
				"severity":        r.Severity,
				"findings":        strconv.Itoa(flagged),
				"stale":           strconv.Itoa(s.Stale),
				"unused":          strconv.Itoa(s.Unused),
				"warning":         strconv.Itoa(s.Warning),
				"unchecked":       strconv.Itoa(s.Unchecked),
				"lastUsedUnknown": strconv.Itoa(s.LastUsedUnknown),
				"test":            strconv.FormatBool(r.Test),
			},
		},
	}
}

// chatDescription lists as many of the oldest findings (up to MaxChatFindingsListed) as fit
// MaxChatDescriptionLength with the counts, which are always whole.
func chatDescription(s Summary, p Policy, r Report, now string) string {
	nF := min(len(s.Findings), MaxChatFindingsListed)
	nU := min(len(s.UncheckedUsers), maxChatUncheckedListed)
	for {
		d := renderChatDescription(s, p, r, now, nF, nU)
		if utf8.RuneCountInString(d) <= MaxChatDescriptionLength {
			return d
		}
		switch {
		case nF > 0:
			nF--
		case nU > 0:
			nU--
		default:
			// Nothing left to drop (cannot happen with IAM's name lengths): keep the bound.
			return truncateRunes(d, MaxChatDescriptionLength)
		}
	}
}

func renderChatDescription(s Summary, p Policy, r Report, now string, nFindings, nUnchecked int) string {
	var b strings.Builder
	if r.Test {
		b.WriteString("*TEST RUN*: sent because the run was started with the input `{\"test\": true}`, to check that " +
			"notifications reach this channel. The scan is real.\n\n")
	}
	fmt.Fprintf(&b, "IAM access key check of AWS account `%s` at %s. Policy: rotate within %d days",
		chatCode(r.Account), now, p.MaxAgeDays)
	if p.WarnAgeDays > 0 {
		fmt.Fprintf(&b, ", due soon after %d", p.WarnAgeDays)
	}
	if p.UnusedDays > 0 {
		fmt.Fprintf(&b, ", use at least every %d", p.UnusedDays)
	}
	b.WriteString(".\n")

	listed := nFindings
	total := s.Flagged
	if rootPresent(s) {
		listed++
		total++
	}
	if total > 0 {
		fmt.Fprintf(&b, "\n*Findings* (oldest first, %d of %d):\n", listed, total)
		if rootPresent(s) {
			fmt.Fprintf(&b, "• `%s` %s: the root user has access keys (Security Hub IAM.4)\n", rootUserName, KindRoot)
		}
		for _, f := range s.Findings[:nFindings] {
			fmt.Fprintf(&b, "• `%s` `%s` %s: %d days old, last used %s\n", chatCode(f.UserName), chatCode(f.AccessKeyID),
				oneLine(strings.Join(f.Kinds, "+")), f.AgeDays, lastUsedText(f))
		}
		if listed < total {
			fmt.Fprintf(&b, "…and %d more: every finding is in the email and in the function's log (msg %q).\n",
				total-listed, FindingLogMessage)
		}
	} else {
		fmt.Fprintf(&b, "\nNothing found: no active key fails the policy.\n")
	}
	if rootUnchecked(s) {
		fmt.Fprintf(&b, "\nThe root user's access keys could not be checked: %s\n", oneLine(s.Root.Cause))
	}
	if s.Unchecked > 0 {
		names := make([]string, nUnchecked)
		for i, u := range s.UncheckedUsers[:nUnchecked] {
			names[i] = "`" + chatCode(u.UserName) + "`"
		}
		fmt.Fprintf(&b, "\n*Unchecked users* (keys could not be read): %d", s.Unchecked)
		if nUnchecked > 0 {
			fmt.Fprintf(&b, ", such as %s", strings.Join(names, ", "))
		}
		b.WriteString(".\n")
	}
	fmt.Fprintf(&b, "\n*Counts*: %d stale, %d unused, %d due soon, %d last use unknown, %s; %s, %s, %s, %s, %s.",
		s.Stale, s.Unused, s.Warning, s.LastUsedUnknown, plural(s.Unchecked, "user unchecked", "users unchecked"),
		plural(s.Users, "user scanned", "users scanned"), plural(s.Compliant, "compliant key", "compliant keys"),
		plural(s.Exempt, "key of exempt users", "keys of exempt users"), plural(s.Inactive, "inactive key", "inactive keys"),
		plural(s.Deleted, "user deleted during the scan", "users deleted during the scan"))
	return b.String()
}

// chatNextSteps is what to do for each kind present, then for what could not be read, at most
// MaxChatNextSteps.
func chatNextSteps(s Summary, test bool) []string {
	var steps []string
	for _, kind := range kindsOf(s) {
		if todo, ok := whatToDo[kind]; ok {
			steps = append(steps, kind+": "+todo)
		}
	}
	if s.Unchecked > 0 || rootUnchecked(s) {
		steps = append(steps, "unchecked: read the errors in the email (or the function's log, msg \""+UncheckedLogMessage+"\") and run a check again once fixed.")
	}
	if s.LastUsedUnknown > 0 {
		steps = append(steps, "last use unknown: see the function's log (msg \"last-used lookup failed\"); GetAccessKeyLastUsed failed for those keys.")
	}
	if len(steps) == 0 && test {
		steps = append(steps, "Nothing to do: this test run found nothing, and the channel receives keyage's messages.")
	}
	for i := range steps {
		steps[i] = truncateRunes(steps[i], MaxChatNextStepLength)
	}
	return steps[:min(len(steps), MaxChatNextSteps)]
}

// chatKeywords tags the card: keyage, the severity and the kinds present, and a test run.
func chatKeywords(s Summary, r Report) []string {
	kw := []string{"keyage", "severity: " + r.Severity}
	for _, k := range kindsOf(s) {
		if k != SeverityNone {
			kw = append(kw, k)
		}
	}
	if r.Test {
		kw = append(kw, "test run")
	}
	return kw[:min(len(kw), MaxChatKeywords)]
}

// chatCode makes a value safe inside a markdown code span: one line, no backticks (IAM names
// cannot hold one; the guard keeps a malformed value from breaking the card).
func chatCode(s string) string { return strings.ReplaceAll(oneLine(s), "`", "'") }

// truncateRunes shortens s to at most n characters, ending with "…" when it was cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
