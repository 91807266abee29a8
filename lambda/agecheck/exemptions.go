package agecheck

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Exemption bounds. Policy.Validate is their one owner, as for the other policy fields: the
// exemptions travel in the definition and in every event, so their size is bounded
// (TestPayloadBudget measures the largest policy they allow).
const (
	// MaxExemptions bounds the exemptions list.
	MaxExemptions = 10
	// MaxReasonLength bounds an exemption's reason, in bytes (UTF-8).
	MaxReasonLength = 100
	// MaxTagExemptionDaysLimit bounds maxTagExemptionDays: a year at most.
	MaxTagExemptionDaysLimit = 365
	// EndingSoonDays is how far ahead the digest lists exemptions that are about to end.
	EndingSoonDays = 14
	// MaxTagExemptionsListed bounds how many tag exemptions a Summary lists; the count
	// (TagExemptionCount) stays exact.
	MaxTagExemptionsListed = 50
)

// The user tags that exempt a user when Policy.TagExemptions is on.
const (
	TagExemptUntil  = "keyage-exempt-until"
	TagExemptReason = "keyage-exempt-reason"
)

// Statuses of a TagExemption.
const (
	TagExemptionHolds   = "exempt"  // the user's keys are not judged
	TagExemptionExpired = "expired" // its end has passed: the keys are judged, findings marked
	TagExemptionRefused = "refused" // not a valid exemption (Problem says why): the keys are judged
)

// Exemption spares users' keys from findings, for a reason, until the end of a day (UTC) or,
// without Until, with no end.
type Exemption struct {
	Users  []string `json:"users"` // names or * globs, case-insensitive
	Reason string   `json:"reason"`
	Until  Date     `json:"until,omitzero"` // the last day it holds; zero: no end
}

// Date is a calendar day as settings and tags carry it: YYYY-MM-DD text, parsed once. Like
// Timestamp it keeps its text, and a text that does not parse is kept too (Valid is false) so
// that validation can name it.
type Date struct {
	text  string
	day   time.Time // midnight UTC; zero unless valid
	valid bool
}

// dateAllowed says what ParseDate accepts, for messages.
const dateAllowed = "a date YYYY-MM-DD such as 2027-03-31"

// ParseDate reads a YYYY-MM-DD day; it never fails, Valid reports whether text is one.
func ParseDate(text string) Date {
	d, err := time.Parse(time.DateOnly, text)
	return Date{text: text, day: d, valid: err == nil}
}

// IsZero reports whether the Date has no text (an absent field).
func (d Date) IsZero() bool { return d.text == "" }

// Valid reports whether the text is a date.
func (d Date) Valid() bool { return d.valid }

// String returns the text as given.
func (d Date) String() string { return d.text }

// End is the instant the day ends (midnight UTC after it): an exemption holds before it.
func (d Date) End() time.Time { return d.day.Add(day) }

// MarshalText returns the text as given.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.text), nil }

// UnmarshalText parses text as ParseDate does and never fails (see Timestamp.UnmarshalText).
func (d *Date) UnmarshalText(text []byte) error {
	*d = ParseDate(string(text))
	return nil
}

// holdsAt reports whether an exemption ending with until (zero: no end) still holds at now.
func holdsAt(until Date, now time.Time) bool { return until.IsZero() || now.Before(until.End()) }

// daysLeft is how many whole days an exemption ending with until has left at now (0 on its
// last day).
func daysLeft(until Date, now time.Time) int { return int(until.End().Sub(now) / day) }

// exemptionList is the policy's exemptions in the order ExemptionTally.ExemptionKeys counts
// them: Exemptions, then exemptUsers (deprecated) as one exemption with no reason and no end.
func (p Policy) exemptionList() []Exemption {
	list := p.Exemptions
	if len(p.ExemptUsers) > 0 {
		list = append(slices.Clip(list), Exemption{Users: p.ExemptUsers})
	}
	return list
}

// validateExemptions adds the problems of the exemptions and tag exemption fields; seen holds
// the folded exemptUsers patterns already checked (a pattern is named once in all).
func (p Policy) validateExemptions(add func(field, value, problem, allowed string), seen map[string]string) {
	if len(p.Exemptions) > MaxExemptions {
		add("exemptions", fmt.Sprintf("%d exemptions", len(p.Exemptions)), "has too many entries", fmt.Sprintf("at most %d exemptions", MaxExemptions))
	}
	total := len(p.ExemptUsers)
	for _, e := range p.Exemptions {
		total += len(e.Users)
	}
	if len(p.Exemptions) > 0 && total > MaxExemptUsers {
		add("exemptions", fmt.Sprintf("%d names and patterns", total), "names too many users and patterns (with exemptUsers)",
			fmt.Sprintf("at most %d names and patterns in exemptions and exemptUsers together", MaxExemptUsers))
	}
	for i, e := range p.Exemptions {
		field := fmt.Sprintf("exemptions[%d]", i)
		if len(e.Users) == 0 {
			add(field+".users", "[]", "is empty", "a list of IAM user names or * glob patterns, such as [break-glass-*]")
		}
		for j, n := range e.Users {
			checkPattern(add, fmt.Sprintf("%s.users[%d]", field, j), n, seen)
		}
		switch r := e.Reason; {
		case strings.TrimSpace(r) == "":
			add(field+".reason", r, "is missing", fmt.Sprintf("why the users are exempt, 1 to %d bytes of text, such as \"break-glass account, key in the safe\"", MaxReasonLength))
		case len(r) > MaxReasonLength || !utf8.ValidString(r) || strings.ContainsFunc(r, unicode.IsControl):
			add(field+".reason", r, fmt.Sprintf("is not a reason of 1 to %d bytes of text (%d bytes)", MaxReasonLength, len(r)),
				fmt.Sprintf("1 to %d bytes of UTF-8 text without line breaks or control characters", MaxReasonLength))
		}
		if !e.Until.IsZero() && !e.Until.Valid() {
			add(field+".until", e.Until.String(), "is not a date", dateAllowed+", or no until for an exemption with no end")
		}
	}
	if p.TagExemptions {
		if d := p.MaxTagExemptionDays; d < 1 || d > MaxTagExemptionDaysLimit {
			add("maxTagExemptionDays", strconv.Itoa(d), "is out of range", fmt.Sprintf("an integer from 1 to %d", MaxTagExemptionDaysLimit))
		}
	}
}

// checkPattern adds the problems of one exemption pattern at field; seen maps folded patterns
// to the field that named them first.
func checkPattern(add func(field, value, problem, allowed string), field, n string, seen map[string]string) {
	switch {
	case !isPattern(n):
		add(field, n, "is not an IAM user name or pattern", fmt.Sprintf("letters, digits and +=,.@_-*, 1 to %d characters", MaxPatternLength))
	case strings.Trim(n, "*") == "":
		add(field, n, "exempts every user, which turns keyage off", "a name or a narrower pattern (set scheduleEnabled to false to pause keyage)")
	default:
		if first, dup := seen[strings.ToLower(n)]; dup {
			add(field, n, fmt.Sprintf("repeats %s (names are case-insensitive)", first), "each name or pattern once")
		} else {
			seen[strings.ToLower(n)] = field
		}
	}
}

// exemptionSet matches user names against the policy's exemptions (exemptionList),
// case-insensitively.
type exemptionSet struct {
	entries []exemptionEntry
}

type exemptionEntry struct {
	exact    map[string]string // folded name -> the name as written
	patterns []string          // folded
	written  []string          // patterns as written, parallel to patterns
	until    Date
}

func newExemptionSet(p Policy) exemptionSet {
	var set exemptionSet
	for _, e := range p.exemptionList() {
		entry := exemptionEntry{exact: make(map[string]string, len(e.Users)), until: e.Until}
		for _, s := range e.Users {
			folded := strings.ToLower(s)
			if strings.Contains(folded, "*") {
				entry.patterns = append(entry.patterns, folded)
				entry.written = append(entry.written, s)
			} else {
				entry.exact[folded] = s
			}
		}
		set.entries = append(set.entries, entry)
	}
	return set
}

// match reports whether the exemption names the (folded) user name, and the name or pattern
// that does, as written.
func (e exemptionEntry) match(name string) (string, bool) {
	if w, ok := e.exact[name]; ok {
		return w, true
	}
	for i, p := range e.patterns {
		if globMatch(p, name) {
			return e.written[i], true
		}
	}
	return "", false
}

// judge decides whether the exemptions (and, when the policy reads them, the user's tags) hold
// for u at now. It returns the index of the listed exemption that holds (-1 for none; a tag
// exemption that holds is len(entries)), and when none holds but one matched and has ended, the
// expired marker for its keys' findings (Finding.ExemptionExpired).
func (e exemptionSet) judge(u *UserKeys, p Policy, now time.Time) (holds int, tag *TagExemption, expired string) {
	if len(e.entries) > 0 {
		name := strings.ToLower(u.UserName)
		for i, entry := range e.entries {
			w, ok := entry.match(name)
			switch {
			case !ok:
			case holdsAt(entry.until, now):
				return i, nil, ""
			case expired == "":
				expired = fmt.Sprintf("%s (until %s)", w, entry.until)
			}
		}
	}
	if p.TagExemptions && (u.Tags != nil || u.TagsError != "") {
		t := tagExemptionOf(u, p, now)
		if t != nil {
			switch t.Status {
			case TagExemptionHolds:
				return len(e.entries), t, ""
			case TagExemptionExpired:
				if expired == "" {
					expired = fmt.Sprintf("tag %s %s", TagExemptUntil, t.Until)
				}
			}
			return -1, t, expired
		}
	}
	return -1, nil, expired
}

// tagExemptionOf reads a user's keyage-exempt-* tags as an exemption at now: nil when the user
// has neither tag (and its tags were read). The until tag must be a date no more than
// MaxTagExemptionDays ahead, and the reason tag non-empty; otherwise the exemption is refused,
// and so it is when the tags could not be read.
func tagExemptionOf(u *UserKeys, p Policy, now time.Time) *TagExemption {
	if u.TagsError != "" {
		return &TagExemption{UserName: u.UserName, Status: TagExemptionRefused,
			Problem: truncateUTF8("tags could not be read: "+u.TagsError, MaxCauseLength)}
	}
	untilText, hasUntil := u.Tags[TagExemptUntil]
	reason, hasReason := u.Tags[TagExemptReason]
	if !hasUntil && !hasReason {
		return nil
	}
	t := &TagExemption{UserName: u.UserName, Reason: truncateUTF8(strings.TrimSpace(reason), MaxReasonLength),
		Until: truncateUTF8(untilText, len(time.DateOnly)+8), Status: TagExemptionRefused}
	until := ParseDate(strings.TrimSpace(untilText))
	limit := now.UTC().Truncate(day).AddDate(0, 0, p.MaxTagExemptionDays)
	switch {
	case !hasUntil:
		t.Problem = fmt.Sprintf("no %s tag: an exemption by tag needs an end, %s at most %d days ahead", TagExemptUntil, dateAllowed, p.MaxTagExemptionDays)
	case !until.Valid():
		t.Problem = "not " + dateAllowed // the line shows the value (writeTagExemption)
	case t.Reason == "":
		t.Problem = fmt.Sprintf("no %s tag: an exemption by tag needs a reason", TagExemptReason)
	case !holdsAt(until, now):
		t.Status, t.Problem = TagExemptionExpired, fmt.Sprintf("ended on %s", until)
	case until.day.After(limit):
		t.Problem = fmt.Sprintf("ends more than maxTagExemptionDays (%d) ahead: at most %s", p.MaxTagExemptionDays, limit.Format(time.DateOnly))
	default:
		t.Status = TagExemptionHolds
	}
	return t
}

// ExemptionTally is what a Summary says about exemptions: exact counts, added up by Merge like
// Counts, and a bounded list of the exemptions read from user tags.
type ExemptionTally struct {
	// ExemptionKeys[i] counts the keys (any status) that exemption i hides, in the order of the
	// policy's exemptions followed, when exemptUsers is set, by exemptUsers as one more.
	ExemptionKeys []int `json:"exemptionKeys,omitempty"`
	// TagExemptions lists the users with keyage-exempt-* tags that were read (only users with
	// findings are), by user name, at most MaxTagExemptionsListed; TagExemptionCount counts all.
	TagExemptions     []TagExemption `json:"tagExemptions,omitempty"`
	TagExemptionCount int            `json:"tagExemptionCount,omitempty"`
}

// TagExemption is one user's exemption by tags, whether it holds or not.
type TagExemption struct {
	Account  string `json:"account,omitempty"` // in an organization's summary only
	UserName string `json:"userName"`
	Reason   string `json:"reason,omitempty"`  // the keyage-exempt-reason tag, at most MaxReasonLength bytes
	Until    string `json:"until,omitempty"`   // the keyage-exempt-until tag as written (shortened)
	Status   string `json:"status"`            // TagExemptionHolds, TagExemptionExpired or TagExemptionRefused
	Problem  string `json:"problem,omitempty"` // why it does not hold
	Keys     int    `json:"keys"`              // keys it hides (only when it holds)
}

// count adds n hidden keys to exemption i.
func (t *ExemptionTally) count(i, n int) {
	if len(t.ExemptionKeys) <= i {
		t.ExemptionKeys = append(t.ExemptionKeys, make([]int, i+1-len(t.ExemptionKeys))...)
	}
	t.ExemptionKeys[i] += n
}

// add adds o's counts and lists to t's; finish sorts and bounds the list.
func (t *ExemptionTally) add(o ExemptionTally) {
	for i, n := range o.ExemptionKeys {
		t.count(i, n)
	}
	t.TagExemptions = append(t.TagExemptions, o.TagExemptions...)
	t.TagExemptionCount += o.TagExemptionCount
}

// finish orders the tag exemptions by user name and keeps MaxTagExemptionsListed of them.
func (t *ExemptionTally) finish() {
	slices.SortStableFunc(t.TagExemptions, func(a, b TagExemption) int { return strings.Compare(a.UserName, b.UserName) })
	if len(t.TagExemptions) > MaxTagExemptionsListed {
		t.TagExemptions = slices.Clip(t.TagExemptions[:MaxTagExemptionsListed])
	}
}

// validateTally adds the problems of a Summary's exemption tally: no negative count, and no
// more tag exemptions listed than counted or allowed.
func validateTally(ps *problems, field string, t *ExemptionTally) {
	if len(t.ExemptionKeys) > MaxExemptions+1 {
		ps.add(field+".exemptionKeys", fmt.Sprintf("%d entries", len(t.ExemptionKeys)), fmt.Sprintf("at most %d (one per exemption)", MaxExemptions+1))
	}
	for i, n := range t.ExemptionKeys {
		if n < 0 {
			ps.add(fmt.Sprintf("%s.exemptionKeys[%d]", field, i), strconv.Itoa(n), "a count of 0 or more")
		}
	}
	if t.TagExemptionCount < len(t.TagExemptions) {
		ps.add(field+".tagExemptionCount", strconv.Itoa(t.TagExemptionCount), fmt.Sprintf("at least the %d tagExemptions listed", len(t.TagExemptions)))
	}
	if len(t.TagExemptions) > MaxTagExemptionsListed {
		ps.add(field+".tagExemptions", fmt.Sprintf("%d entries", len(t.TagExemptions)), fmt.Sprintf("at most %d", MaxTagExemptionsListed))
	}
}
