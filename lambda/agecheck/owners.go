package agecheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/keyage/keyage/internal/awsid"
)

// Owners is how the function finds and reaches the owners of keys with findings (issue 11):
// which user tags name the owner, how many per-owner messages a run may publish on the owners
// topic, and the sender of direct mail. The workflow embeds it in the definition ($.run.owners),
// so that each execution's history shows what was applied; absent (nil) turns owners off.
type Owners struct {
	// TagKeys are the user tags whose value names a user's owner (a team or an email
	// address), in order: the first present with a non-empty value wins.
	TagKeys []string `json:"tagKeys"`
	// MaxMessages bounds the per-owner messages a run publishes on the owners topic; owners
	// beyond it are listed in the digest instead. 0: the stack has no owners topic.
	MaxMessages int `json:"maxMessages,omitempty"`
	// Email, when set, has the report op mail owners whose owner is an email address.
	Email *OwnerEmail `json:"email,omitempty"`
}

// OwnerEmail is the sender of direct mail to owners (SES API v2 SendEmail).
type OwnerEmail struct {
	From             string `json:"from"`                       // FromEmailAddress, a verified identity or at one's domain
	IdentityARN      string `json:"identityArn,omitempty"`      // FromEmailAddressIdentityArn (sending authorization)
	ConfigurationSet string `json:"configurationSet,omitempty"` // ConfigurationSetName
	// MaxSendRate is the most mails sent per second (SES's maximum send rate for the account);
	// 0: DefaultMaxSendRate.
	MaxSendRate int `json:"maxSendRate,omitempty"`
}

// SES sending rates. The sandbox allows 1 mail per second
// (https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas.html); faster sends are
// refused with a throttling error ("Maximum sending rate exceeded",
// https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas-errors.html), so mail is paced
// to the rate rather than sent as fast as the loop goes.
const (
	// DefaultMaxSendRate is the sandbox's rate, the one every account starts with.
	DefaultMaxSendRate = 1
	// MaxMaxSendRate bounds ownerEmail.maxSendRate: far above a production account's default
	// rate, it catches a value meant as per minute or per day.
	MaxMaxSendRate = 1000
)

// SendInterval is the time between the starts of two mails at e's rate.
func (e OwnerEmail) SendInterval() time.Duration {
	rate := e.MaxSendRate
	if rate <= 0 {
		rate = DefaultMaxSendRate
	}
	return time.Second / time.Duration(rate)
}

// Owner bounds. Owners.Validate is their one owner: package config checks a stack's settings
// with it, and the function checks every event with it.
const (
	// MaxOwnerTagKeys bounds TagKeys: each is looked for in every flagged user's tags.
	MaxOwnerTagKeys = 10
	// MaxOwnerTagKeyLength is IAM's limit on a tag key
	// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_Tag.html).
	MaxOwnerTagKeyLength = 128
	// MaxOwnerLength is IAM's limit on a tag value, so on an owner.
	MaxOwnerLength = 256
	// MaxOwnerMessagesPerRun bounds MaxMessages: each message is a few events of the run's
	// history (25,000 at most) and a share of the report's payload.
	MaxOwnerMessagesPerRun = 1000
	// MaxConfigurationSetLength is SES's limit on a configuration set's name.
	MaxConfigurationSetLength = 64
)

// tagKeyPattern is what IAM allows in a tag key (API_Tag: [\p{L}\p{Z}\p{N}_.:/=+\-@]+).
var tagKeyPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)

// configurationSetPattern is what SES allows in a configuration set's name.
var configurationSetPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Validate returns every way the owner settings break their bounds, in field order, or nil.
// Fields are named as the event spells them (tagKeys, maxMessages, email.from, ...).
func (o Owners) Validate() []PolicyProblem {
	var out []PolicyProblem
	add := func(field, value, problem, allowed string) {
		out = append(out, PolicyProblem{Field: field, Value: value, Problem: problem, Allowed: allowed})
	}
	keyAllowed := fmt.Sprintf("an IAM tag key: 1 to %d letters, digits, spaces and _.:/=+-@", MaxOwnerTagKeyLength)
	if len(o.TagKeys) > MaxOwnerTagKeys {
		add("tagKeys", strconv.Itoa(len(o.TagKeys))+" keys", "is too long", fmt.Sprintf("at most %d tag keys", MaxOwnerTagKeys))
	}
	seen := map[string]int{}
	for i, k := range o.TagKeys {
		field := fmt.Sprintf("tagKeys[%d]", i)
		switch {
		case k == "" || len(k) > MaxOwnerTagKeyLength || !tagKeyPattern.MatchString(k):
			add(field, k, "is not an IAM tag key", keyAllowed)
		default:
			// IAM tag keys are unique case-insensitively on a user
			// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html): a key twice is a mistake.
			if j, dup := seen[strings.ToLower(k)]; dup {
				add(field, k, fmt.Sprintf("repeats tagKeys[%d] (IAM tag keys are case-insensitive)", j), "each tag key once")
			} else {
				seen[strings.ToLower(k)] = i
			}
		}
	}
	if o.MaxMessages < 0 || o.MaxMessages > MaxOwnerMessagesPerRun {
		add("maxMessages", strconv.Itoa(o.MaxMessages), "is out of range", fmt.Sprintf("an integer from 1 to %d (0: no owners topic)", MaxOwnerMessagesPerRun))
	}
	if e := o.Email; e != nil {
		if !IsEmailAddress(e.From) {
			add("email.from", e.From, "is not an email address", "an address such as keyage@example.com, without a display name")
		}
		if e.IdentityARN != "" {
			if a, ok := awsid.ParseRegional(e.IdentityARN, "ses"); !ok ||
				!strings.HasPrefix(a.Resource, "identity/") || len(a.Resource) == len("identity/") {
				add("email.identityArn", e.IdentityARN, "is not an SES identity ARN", "arn:aws:ses:REGION:ACCOUNT:identity/DOMAIN-OR-ADDRESS")
			}
		}
		if c := e.ConfigurationSet; c != "" && (len(c) > MaxConfigurationSetLength || !configurationSetPattern.MatchString(c)) {
			add("email.configurationSet", c, "is not an SES configuration set name", fmt.Sprintf("1 to %d letters, digits, _ and -", MaxConfigurationSetLength))
		}
		if e.MaxSendRate < 0 || e.MaxSendRate > MaxMaxSendRate {
			add("email.maxSendRate", strconv.Itoa(e.MaxSendRate), "is out of range", fmt.Sprintf("mails per second, an integer from 1 to %d (default %d, SES's sandbox rate)", MaxMaxSendRate, DefaultMaxSendRate))
		}
	}
	return out
}

// IsEmailAddress reports whether s is a bare email address (no display name, a dotted domain):
// an owner that is one gets direct mail; any other owner is a team name.
func IsEmailAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return false
	}
	return strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".")
}

// ResolveOwner returns the owner that a user's tags name under keys: the value of the first key
// present with a non-blank value, trimmed; "" when none is. Keys match case-insensitively, as
// IAM treats tag keys.
func ResolveOwner(tags map[string]string, keys []string) string {
	for _, k := range keys {
		for tk, v := range tags {
			if strings.EqualFold(tk, k) {
				if v = strings.TrimSpace(v); v != "" {
					return v
				}
			}
		}
	}
	return ""
}

// OwnerLookupLogMessage is the msg of the log line of a failed owner lookup.
const OwnerLookupLogMessage = "owner lookup failed"

// lookUpOwners sets Owner on every finding of s from its user's tags (userTags: the account's,
// through its member role in an organization run): the tags
// already read for tag exemptions (UserKeys.Tags or TagsError) are used as they are; other users
// with findings are looked up once each, one at a time, as lookUpLastUsed does, so the batch
// stays within its share of maxConcurrency. A failed lookup is logged and marks the user's
// findings OwnerUnknown: the digest lists them with the keys without an owner. Lookups stop
// LookupReserve before the invocation's deadline.
func (h *Handler) lookUpOwners(ctx context.Context, userTags UserTagsFunc, s *Summary, users []UserKeys, o *Owners) {
	if userTags == nil || o == nil || len(o.TagKeys) == 0 || len(s.Findings) == 0 {
		return
	}
	lookupCtx := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		lookupCtx, cancel = context.WithDeadline(ctx, deadline.Add(-LookupReserve))
		defer cancel()
	}
	type answer struct {
		owner string
		err   error
	}
	answers := map[string]answer{}
	for i := range users {
		switch u := &users[i]; {
		case u.TagsError != "":
			answers[u.UserName] = answer{err: errors.New(u.TagsError)}
		case u.Tags != nil:
			answers[u.UserName] = answer{owner: ResolveOwner(u.Tags, o.TagKeys)}
		}
	}
	logged := map[string]bool{}
	for i := range s.Findings {
		f := &s.Findings[i]
		a, done := answers[f.UserName]
		if !done {
			if err := lookupCtx.Err(); err != nil {
				a.err = context.Cause(lookupCtx)
			} else {
				tags, err := userTags(lookupCtx, f.UserName)
				a = answer{owner: ResolveOwner(tags, o.TagKeys), err: err}
			}
			if a.err != nil {
				a.owner = ""
			}
			answers[f.UserName] = a
		}
		// Once per user whose owner is unknown, also when the tags were read (and failed) for
		// tagExemptions: the one message the README names, whichever read failed.
		if a.err != nil && !logged[f.UserName] {
			logged[f.UserName] = true
			h.logger().LogAttrs(ctx, slog.LevelWarn, OwnerLookupLogMessage, slog.String("userName", f.UserName),
				slog.String("error", a.err.Error()))
		}
		f.Owner, f.OwnerUnknown = a.owner, a.err != nil
		if f.Owner == "" {
			s.NoOwner++
		}
	}
}
