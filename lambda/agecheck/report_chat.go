package agecheck

import (
	"cmp"
	"fmt"
	"slices"
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

// cardFacts is what a report's builder announced that the chat card shows besides the run's
// Summary; it is not part of the function's result. changes are the entries a run with notify:
// changes announced (nil: every finding is announced); owners what the digest says about owners
// (nil: owners are off); org the organization run's summary when the report is its digest.
type cardFacts struct {
	changes *Changes
	owners  *OwnerDigest
	org     *OrgSummary
}

// maxChatAccountsListed is how many accounts an organization's card gives counts for, at most.
const maxChatAccountsListed = 5

// maxChatOwnersNamed is how many unreached owners the card names per list, at most, each cut to
// maxChatOwnerLength characters (an owner may be a 256-character tag value).
const (
	maxChatOwnersNamed = 3
	maxChatOwnerLength = 64
)

// NewChatMessage returns the chat message of a report r made from s, p and now: the report's
// subject as title; as description what the digest announces, as many entries as fit, oldest
// first (every finding; with notify: changes the new findings, then the reminders, then the
// resolved keys), with exact counts, and, when owners are on, the keys without an owner and
// the owners not reached; what to do as next steps. A test run's message says it is one. It is
// JSON text, ready to publish.
func NewChatMessage(s Summary, p Policy, r Report, now time.Time) string {
	return string(marshalNoEscape(newChatNotification(s, p, r, formatTime(now))))
}

// chatMessage is the report op's chat message for ev's report r of s: with owners on, the card
// shows the keys without an owner even when the report's builder kept no owner digest.
func chatMessage(ev Event, s Summary, r Report, now time.Time) string {
	if ev.Owners != nil && r.card.owners == nil {
		r.card.owners = &OwnerDigest{TagKeys: ev.Owners.TagKeys}
	}
	return NewChatMessage(s, ev.Policy, r, now)
}

// newOrgChatMessage is the chat message of an organization run's digest r of o: the
// organization's totals and changes, the entries its sections list with their accounts, and the
// counts of the accounts with something to report; with owners on (owners not nil), the keys
// without an owner in all accounts.
func newOrgChatMessage(o OrgSummary, p Policy, owners *Owners, r Report, now time.Time) string {
	s := Summary{Counts: o.Counts}
	r.Account = ScopeOrganization
	r.card = cardFacts{org: &o}
	if owners != nil {
		r.card.owners = &OwnerDigest{TagKeys: owners.TagKeys}
	}
	return NewChatMessage(s, p, r, now)
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
	if o := r.card.org; o != nil {
		flagged += o.Accounts.RootPresent
	}
	kinds := chatKinds(s, r)
	ctx := map[string]string{
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
	}
	if t := changeTotals(r); t != nil {
		ctx["new"], ctx["reminders"], ctx["resolved"], ctx["quiet"] = strconv.Itoa(t.New), strconv.Itoa(t.Reminders),
			strconv.Itoa(t.Resolved), strconv.Itoa(t.Quiet)
	}
	if d := r.card.owners; d != nil {
		ctx["noOwner"] = strconv.Itoa(s.NoOwner)
		ctx["ownersNotMessaged"] = strconv.Itoa(len(d.Unmessaged) + d.MoreUnmessaged)
		ctx["ownersNotMailed"] = strconv.Itoa(len(d.Unmailed) + d.MoreUnmailed)
	}
	if o := r.card.org; o != nil {
		a := o.Accounts
		ctx["accountsChecked"], ctx["accountsUnchecked"], ctx["accountsWithFindings"] = strconv.Itoa(a.Checked),
			strconv.Itoa(a.Unchecked), strconv.Itoa(a.Sections)
	}
	return ChatNotification{
		Version: ChatVersion,
		Source:  ChatSource,
		ID:      "keyage-" + oneLine(r.Account) + "-" + now,
		Content: ChatContent{
			TextType:    ChatTextType,
			Title:       truncateRunes(r.Subject, MaxChatTitleLength),
			Description: chatDescription(s, p, r, now),
			NextSteps:   chatNextSteps(s, r, kinds),
			Keywords:    chatKeywords(r, kinds),
		},
		Metadata: ChatMetadata{
			Summary:           truncateRunes(r.Subject, MaxChatSummaryLength),
			EventType:         eventType,
			AdditionalContext: ctx,
		},
	}
}

// changeTotals are the exact counts of what a run that remembers announced, nil on any other.
func changeTotals(r Report) *OrgChanges {
	if o := r.card.org; o != nil {
		return o.Changes
	}
	if c := r.card.changes; c != nil {
		return &OrgChanges{New: len(c.New), Reminders: len(c.Reminders), Resolved: len(c.Resolved), Quiet: c.Quiet}
	}
	return nil
}

// chatKinds are the kinds of the findings the card announces: every finding's (kindsOf), or with
// notify: changes those of the new findings and reminders only.
func chatKinds(s Summary, r Report) []string {
	if o := r.card.org; o != nil {
		if o.Changes == nil {
			return orgKinds(*o)
		}
		var k kindSet
		for _, sec := range o.Sections {
			switch c := sec.Changes; {
			case c == nil:
			case c.Busy && sec.Summary != nil:
				k |= kindSetOf(sec.Summary.Findings...)
				if rootPresent(*sec.Summary) {
					k |= kindRoot
				}
			default:
				k |= kindSetOfAnnounced(c.New) | kindSetOfAnnounced(c.Reminders)
			}
		}
		return kindNamesOrNone(k)
	}
	if c := r.card.changes; c != nil {
		return kindNamesOrNone(kindSetOfAnnounced(c.New) | kindSetOfAnnounced(c.Reminders))
	}
	return kindsOf(s)
}

func kindSetOf(fs ...Finding) kindSet {
	var k kindSet
	for _, f := range fs {
		for _, name := range f.Kinds {
			k |= kindOf(name)
		}
	}
	return k
}

func kindSetOfAnnounced(as []Announced) kindSet {
	var k kindSet
	for _, a := range as {
		k |= kindSetOf(a.Finding)
	}
	return k
}

// kindNamesOrNone is k's names, or ["none"] as kindsOf says when nothing is found.
func kindNamesOrNone(k kindSet) []string {
	if k == 0 {
		return []string{SeverityNone}
	}
	return k.names()
}

// chatList is one list of the description: a heading, the exact number of entries, and the
// lines of those the builder kept (possibly fewer).
type chatList struct {
	heading string
	total   int
	lines   []string
}

// chatLists are the description's lists, in the order they are filled: every finding (root
// first), or with notify: changes the new findings, then the reminders, then the resolved keys.
func chatLists(s Summary, r Report) []chatList {
	if o := r.card.org; o != nil {
		return orgChatLists(*o)
	}
	if c := r.card.changes; c != nil {
		return []chatList{
			{"*New*", len(c.New), announcedLines("", c.New)},
			{"*Reminders*", len(c.Reminders), announcedLines("", c.Reminders)},
			{"*Resolved*", len(c.Resolved), resolvedLines("", c.Resolved)},
		}
	}
	var lines []string
	total := s.Flagged
	if rootPresent(s) {
		lines = append(lines, rootLine(""))
		total++
	}
	for _, f := range s.Findings {
		lines = append(lines, findingLine("", f))
	}
	return []chatList{{"*Findings*", total, lines}}
}

// orgChatLists are an organization digest's lists: as chatLists, each entry with its account.
func orgChatLists(o OrgSummary) []chatList {
	if o.Changes == nil {
		type entry struct {
			account string
			f       Finding
		}
		var roots []string
		var es []entry
		for _, sec := range o.Sections {
			if sec.Summary == nil {
				continue
			}
			label := "`" + chatCode(sec.Target.ID) + "` "
			if rootPresent(*sec.Summary) {
				roots = append(roots, rootLine(label))
			}
			for _, f := range sec.Summary.Findings {
				es = append(es, entry{label, f})
			}
		}
		slices.SortStableFunc(es, func(a, b entry) int { return compareFindings(a.f, b.f) })
		lines := roots
		for _, e := range es {
			lines = append(lines, findingLine(e.account, e.f))
		}
		return []chatList{{"*Findings*", o.Counts.Flagged + o.Accounts.RootPresent, lines}}
	}
	c := o.Changes
	var newLines, reminders, resolved, whole []string
	wholeTotal := 0
	for _, sec := range o.Sections {
		ch := sec.Changes
		if ch == nil {
			continue
		}
		label := "`" + chatCode(sec.Target.ID) + "` "
		if ch.Busy {
			if s := sec.Summary; s != nil {
				if rootPresent(*s) {
					whole = append(whole, rootLine(label))
					wholeTotal++
				}
				for _, f := range s.Findings {
					whole = append(whole, findingLine(label, f))
				}
				wholeTotal += s.Flagged
			}
			continue
		}
		newLines = append(newLines, announcedLines(label, ch.New)...)
		reminders = append(reminders, announcedLines(label, ch.Reminders)...)
		resolved = append(resolved, resolvedLines(label, ch.Resolved)...)
	}
	return []chatList{
		{"*New*", c.New, newLines},
		{"*Reminders*", c.Reminders, reminders},
		{"*Resolved*", c.Resolved, resolved},
		{"*Announced whole* (another run held the account's ledger)", wholeTotal, whole},
	}
}

func rootLine(account string) string {
	return fmt.Sprintf("• %s`%s` %s: the root user has access keys (Security Hub IAM.4)", account, rootUserName, KindRoot)
}

func findingLine(account string, f Finding) string {
	return fmt.Sprintf("• %s`%s` `%s` %s: %d days old, last used %s", account, chatCode(f.UserName), chatCode(f.AccessKeyID),
		oneLine(strings.Join(f.Kinds, "+")), f.AgeDays, lastUsedText(f))
}

// announcedLines are the lines of new findings or reminders: a finding's line, with why it is
// announced and since when it is one.
func announcedLines(account string, as []Announced) []string {
	lines := make([]string, len(as))
	for i, a := range as {
		line := rootLine(account)
		if a.AccessKeyID != RootKey {
			line = findingLine(account, a.Finding)
		}
		why := a.Reason
		if a.Reason == ReasonReminder {
			why = fmt.Sprintf("reminder %d", a.Reminded)
		}
		lines[i] = line + fmt.Sprintf(" (%s, first seen %s)", oneLine(why), datePart(a.FirstSeen))
	}
	return lines
}

func resolvedLines(account string, rs []Resolved) []string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		why := cmp.Or(r.Reason, ResolvedGone)
		lines[i] = fmt.Sprintf("• %s`%s` `%s` was %s: %s", account, chatCode(r.UserName), chatCode(r.AccessKeyID),
			oneLine(r.Severity), oneLine(why))
	}
	return lines
}

// chatDescription lists as many entries (up to MaxChatFindingsListed, the lists filled in
// order) as fit MaxChatDescriptionLength with the counts, which are always whole.
func chatDescription(s Summary, p Policy, r Report, now string) string {
	listed := 0
	for _, l := range chatLists(s, r) {
		listed += len(l.lines)
	}
	nF := min(listed, MaxChatFindingsListed)
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

// renderChatDescription builds the description listing nEntries entries of the lists, in
// order, and nUnchecked unchecked users.
func renderChatDescription(s Summary, p Policy, r Report, now string, nEntries, nUnchecked int) string {
	var b strings.Builder
	if r.Test {
		b.WriteString("*TEST RUN*: sent because the run was started with the input `{\"test\": true}`, to check that " +
			"notifications reach this channel. The scan is real.\n\n")
	}
	o := r.card.org
	if o != nil {
		fmt.Fprintf(&b, "IAM access key check of %s of the organization at %s. Policy: rotate within %d days",
			plural(o.Accounts.Checked+o.Accounts.Unchecked, "account", "accounts"), now, p.MaxAgeDays)
	} else {
		fmt.Fprintf(&b, "IAM access key check of AWS account `%s` at %s. Policy: rotate within %d days",
			chatCode(r.Account), now, p.MaxAgeDays)
	}
	if p.WarnAgeDays > 0 {
		fmt.Fprintf(&b, ", due soon after %d", p.WarnAgeDays)
	}
	if p.UnusedDays > 0 {
		fmt.Fprintf(&b, ", use at least every %d", p.UnusedDays)
	}
	b.WriteString(".\n")

	totals := changeTotals(r)
	if totals != nil {
		fmt.Fprintf(&b, "\n*Since the last message*: %d new, %s, %d resolved; %d announced before and not due.\n",
			totals.New, plural(totals.Reminders, "reminder", "reminders"), totals.Resolved, totals.Quiet)
	}
	left := nEntries
	anything := false
	for _, l := range chatLists(s, r) {
		if l.total == 0 {
			continue
		}
		anything = true
		n := min(left, len(l.lines))
		left -= n
		fmt.Fprintf(&b, "\n%s (oldest first, %d of %d):\n", l.heading, n, l.total)
		for _, line := range l.lines[:n] {
			b.WriteString(line + "\n")
		}
		if n < l.total {
			fmt.Fprintf(&b, "…and %d more: every finding is in the email and in the function's log (msg %q).\n",
				l.total-n, FindingLogMessage)
		}
	}
	switch {
	case anything:
	case totals != nil:
		b.WriteString("\nNothing new, due or resolved.\n")
	default:
		b.WriteString("\nNothing found: no active key fails the policy.\n")
	}
	if o != nil {
		writeChatAccounts(&b, *o)
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
	if d := r.card.owners; d != nil {
		writeChatOwners(&b, s, *d)
	}
	fmt.Fprintf(&b, "\n*Counts*: %d stale, %d unused, %d due soon, %d last use unknown, %s; %s, %s, %s, %s, %s.",
		s.Stale, s.Unused, s.Warning, s.LastUsedUnknown, plural(s.Unchecked, "user unchecked", "users unchecked"),
		plural(s.Users, "user scanned", "users scanned"), plural(s.Compliant, "compliant key", "compliant keys"),
		plural(s.Exempt, "key of exempt users", "keys of exempt users"), plural(s.Inactive, "inactive key", "inactive keys"),
		plural(s.Deleted, "user deleted during the scan", "users deleted during the scan"))
	return b.String()
}

// writeChatAccounts gives an organization's card its accounts: what became of them, and the
// counts of the first accounts with something to report (unchecked accounts first, as the
// digest lists them).
func writeChatAccounts(b *strings.Builder, o OrgSummary) {
	a := o.Accounts
	fmt.Fprintf(b, "\n*Accounts*: %d checked (%d with nothing to report), %d could not be scanned, %d not active, %d excluded.\n",
		a.Checked, a.Clean, a.Unchecked, a.Skipped, a.Excluded)
	n := min(len(o.Sections), maxChatAccountsListed)
	for _, sec := range o.Sections[:n] {
		label := "`" + chatCode(sec.Target.ID) + "`"
		switch {
		case sec.Status == AccountUnchecked:
			fmt.Fprintf(b, "• %s: not checked (%s)\n", label, oneLine(sec.Error.Error))
		case sec.Summary == nil:
			fmt.Fprintf(b, "• %s: %s\n", label, oneLine(sec.Status))
		case sec.Changes != nil && !sec.Changes.Busy:
			c := sec.Changes
			fmt.Fprintf(b, "• %s: %d new, %s, %d resolved; %d stale, %d unused, %d due soon, %d unchecked\n", label, c.NewCount,
				plural(c.ReminderCount, "reminder", "reminders"), c.ResolvedCount, sec.Summary.Stale, sec.Summary.Unused,
				sec.Summary.Warning, sec.Summary.Unchecked)
		default:
			s := sec.Summary
			fmt.Fprintf(b, "• %s: %d stale, %d unused, %d due soon, %d unchecked\n", label, s.Stale, s.Unused, s.Warning, s.Unchecked)
		}
	}
	if more := a.Sections - n; more > 0 {
		fmt.Fprintf(b, "…and %s: see the email.\n", plural(more, "more account", "more accounts"))
	}
}

// writeChatOwners says, when owners are on, how many keys have no owner and which owners could
// not be reached; nothing when every key has an owner and every owner was reached.
func writeChatOwners(b *strings.Builder, s Summary, d OwnerDigest) {
	if s.NoOwner > 0 {
		fmt.Fprintf(b, "\n*No owner*: %s of users without an owner tag (%s), so only the digest reports them.\n",
			plural(s.NoOwner, "key", "keys"), chatCode(strings.Join(d.TagKeys, ", ")))
	}
	named := func(owners []string, more int) string {
		n := min(len(owners), maxChatOwnersNamed)
		names := make([]string, n)
		for i, o := range owners[:n] {
			names[i] = "`" + chatCode(truncateRunes(o, maxChatOwnerLength)) + "`"
		}
		text := strconv.Itoa(len(owners) + more)
		if n > 0 {
			text += ", such as " + strings.Join(names, ", ")
		}
		return text
	}
	if len(d.Unmessaged)+d.MoreUnmessaged > 0 {
		fmt.Fprintf(b, "\n*Owners not sent a message of their own*: %s.\n", named(d.Unmessaged, d.MoreUnmessaged))
	}
	if len(d.Unmailed)+d.MoreUnmailed > 0 {
		owners := make([]string, len(d.Unmailed))
		for i, f := range d.Unmailed {
			owners[i] = f.Owner
		}
		fmt.Fprintf(b, "\n*Owners who could not be mailed*: %s.\n", named(owners, d.MoreUnmailed))
	}
}

// chatNextSteps is what to do for each kind announced, then for what could not be read, then
// for owners not known or not reached, at most MaxChatNextSteps.
func chatNextSteps(s Summary, r Report, kinds []string) []string {
	var steps []string
	for _, kind := range kinds {
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
	if d := r.card.owners; d != nil {
		if s.NoOwner > 0 {
			steps = append(steps, "no owner: tag the users the digest lists under no owner with "+strings.Join(d.TagKeys, " or ")+", so their owners are reached.")
		}
		if len(d.Unmessaged)+d.MoreUnmessaged+len(d.Unmailed)+d.MoreUnmailed > 0 {
			steps = append(steps, "owners not reached: the digest lists them with the reason; forward their keys to them.")
		}
	}
	if len(steps) == 0 && r.Test {
		steps = append(steps, "Nothing to do: this test run found nothing, and the channel receives keyage's messages.")
	}
	for i := range steps {
		steps[i] = truncateRunes(steps[i], MaxChatNextStepLength)
	}
	return steps[:min(len(steps), MaxChatNextSteps)]
}

// chatKeywords tags the card: keyage, the severity and the kinds announced, and a test run.
func chatKeywords(r Report, kinds []string) []string {
	kw := []string{"keyage", "severity: " + r.Severity}
	for _, k := range kinds {
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
