package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/keyage/keyage/lambda/agecheck"
)

// Owners are the settings that route findings to the people who own the keys (issue 11): the
// user tags that name an owner, the owners topic's subscriptions, the cap on per-owner messages,
// and the sender of direct mail.
type Owners struct {
	// TagKeys is ownerTagKeys, default ["owner"]: the user tags whose value names the owner,
	// first present wins; [] turns owners off (no tag lookup, no owner section in the digest).
	TagKeys []string
	// Subscriptions is ownerSubscriptions: the owners topic's subscribers, each filtered to one
	// owner. The owners topic exists only when there is one.
	Subscriptions []OwnerSubscription
	// MaxMessages is maxOwnerMessages, default DefaultMaxOwnerMessages: per-owner messages per
	// run; owners beyond it are listed in the digest instead.
	MaxMessages int
	// Email is ownerEmail: the sender of direct mail to owners that are email addresses; nil
	// for none.
	Email *agecheck.OwnerEmail
}

// DefaultMaxOwnerMessages is maxOwnerMessages' default. The state machine publishes the
// messages 10 at a time (workflow.OwnerPublishConcurrency), far below SNS's Publish quota in any
// region (at least 300 per second: https://docs.aws.amazon.com/general/latest/gr/sns.html), so
// the cap is about the run rather than SNS: each message is a few events of the run's history
// (25,000 at most) and a share of the report's payload (agecheck.MaxOwnerMessagesBytes).
const DefaultMaxOwnerMessages = 100

// OwnerSubscription is one subscription to the owners topic: a Subscription that receives only
// Owner's messages.
type OwnerSubscription struct {
	Owner string // the owner tag's value this subscriber receives, exactly
	Subscription
}

// FilterPolicy is the subscription's filter policy, which the program sets itself: the
// owner message attribute equal to Owner. A subscription without it would receive every
// owner's keys.
func (o OwnerSubscription) FilterPolicy() string {
	b, err := json.Marshal(map[string][]string{agecheck.OwnerAttribute: {o.Owner}})
	if err != nil {
		panic("config: encoding a filter policy of strings failed: " + err.Error())
	}
	return string(b)
}

// Event is what the definition embeds for the function ($.run.owners): nil when owners are off;
// MaxMessages 0 when the stack has no owners topic (no ownerSubscriptions).
func (o Owners) Event() *agecheck.Owners {
	if len(o.TagKeys) == 0 {
		return nil
	}
	e := &agecheck.Owners{TagKeys: slices.Clone(o.TagKeys)}
	if len(o.Subscriptions) > 0 {
		e.MaxMessages = o.MaxMessages
	}
	if o.Email != nil {
		email := *o.Email
		e.Email = &email
	}
	return e
}

// ReachesOwners reports whether the stack tells owners about their own keys (an owners topic,
// or direct mail), rather than only listing the keys without an owner in the digest.
func (o Owners) ReachesOwners() bool {
	e := o.Event()
	return e != nil && (e.MaxMessages > 0 || e.Email != nil)
}

// ObservesForOwners reports whether a notify: every-run stack keeps the ledger table for the
// run's observations only (agecheck.LedgerRun.ObserveOnly): a single-account stack that reaches
// owners. The check steps record every finding, with its owner, before the summary the state
// machine carries is trimmed to agecheck.MaxSummaryBytes (about 400 findings), and the report
// groups owners from those observations, so that each owner's message counts and lists every
// key of theirs, however many findings the run has. A table, rather than a larger summary:
// every state's payload is bounded (256 KiB), the observations are not. No entry is written
// and no lease taken: the run tells every finding, as every-run does.
func (s Settings) ObservesForOwners() bool {
	return !s.Ledger.Remembers() && !s.Organization.Enabled() && s.Owners.ReachesOwners()
}

// validateOwnersInOrganization refuses notify: every-run in an organization run that reaches
// owners. Such a run would keep no ledger: each account's owners would be grouped from its
// trimmed summary (not every key of theirs), and owner mail could not be claimed once per run
// (agecheck's mailOwners claims it in the ledger table). notify: changes keeps both exact.
func (s Settings) validateOwnersInOrganization(p *problems) {
	if s.Organization.Enabled() && !s.Ledger.Remembers() && s.Owners.ReachesOwners() {
		p.add("notify", s.Ledger.Notify, "with accounts, cannot reach owners (ownerSubscriptions or ownerEmail): an organization run keeps no ledger then, so owners' keys would not be grouped exactly nor mail claimed once per run",
			"changes (the default) with accounts and owners; every-run with owners only in a single-account stack, or no ownerSubscriptions and no ownerEmail")
	}
}

// ownerMessageWarnings says, in an organization run with an owners topic, that maxOwnerMessages
// bounds each account's report, not the run: each account publishes its owners' messages itself
// (attribute account = that account), so an owner with keys in three accounts gets three
// messages, and a run may publish accounts x maxOwnerMessages. Above agecheck.MaxOwnerMessagesPerRun
// (what one single-account run may publish) it names the values. SNS's Publish quota is per
// account and Region and shared with every other publisher there
// (https://docs.aws.amazon.com/general/latest/gr/sns.html), and an email subscription is
// throttled to 10 deliveries per second, so an owner with keys in many accounts scanned at once
// can have its subscription disabled
// (https://repost.aws/knowledge-center/sns-email-subscription-disabled).
func (s Settings) ownerMessageWarnings() []string {
	o := s.Organization
	if !o.Enabled() || len(s.Owners.TagKeys) == 0 || len(s.Owners.Subscriptions) == 0 {
		return nil
	}
	per := s.Owners.MaxMessages
	if o.WholeOrganization() {
		return []string{fmt.Sprintf("maxOwnerMessages %d bounds each account's owner messages, not the run's: with accounts [%s] a run publishes up to %d per scanned account (one message per owner per account), so an owner with keys in several accounts gets one message from each",
			per, OrganizationKeyword, per)}
	}
	n := 0
	for _, a := range o.Accounts {
		if !slices.Contains(o.ExcludeAccounts, a) {
			n++
		}
	}
	if n*per <= agecheck.MaxOwnerMessagesPerRun {
		return nil
	}
	return []string{fmt.Sprintf("maxOwnerMessages %d bounds each account's owner messages, not the run's: %d accounts x %d = %d owner messages per run at most (one message per owner per account), above %d, what a single-account run may publish; allowed without this warning: maxOwnerMessages up to %d for %d accounts",
		per, n, per, n*per, agecheck.MaxOwnerMessagesPerRun, max(agecheck.MaxOwnerMessagesPerRun/n, 1), n)}
}

// ownerSubscriptionFields are the fields an ownerSubscriptions object may have.
var ownerSubscriptionFields = []string{"endpoint", "owner", "protocol", "rawMessageDelivery", "subscriptionRoleArn"}

// decodeOwnerSubscriptions reads ownerSubscriptions: subscription objects with an owner, and
// no filter policy of their own (the program sets it).
func decodeOwnerSubscriptions(p *problems, v string) []OwnerSubscription {
	const key = "ownerSubscriptions"
	raws, ok := decodeObjects(p, key, v, `a list of objects such as [{"owner": "team-a", "protocol": "email", "endpoint": "team-a@example.com"}]`)
	if !ok {
		return nil
	}
	subs := make([]OwnerSubscription, len(raws))
	for i, raw := range raws {
		path := itemPath(key, i)
		if nullItem(p, path, raw, "{owner, protocol, endpoint, ...}") {
			continue
		}
		for _, f := range []string{"filterPolicy", "filterPolicyScope"} {
			if r, ok := raw[f]; ok {
				p.add(path+"."+f, rawText(r), `is set by keyage on the owners topic ({"owner": [owner]})`, "no "+f+": each subscriber receives its owner's messages only")
				delete(raw, f)
			}
		}
		if r, ok := raw["owner"]; ok {
			if err := json.Unmarshal(r, &subs[i].Owner); err != nil {
				p.add(path+".owner", string(r), "is not a string", "the owner tag's value, such as team-a or alice@example.com")
			}
			delete(raw, "owner")
		}
		unknownFields(p, path, raw, ownerSubscriptionFields, "an owner subscription field")
		subs[i].Subscription = decodeSubscription(p, path, raw)
	}
	return subs
}

// ownerEmailFields are the fields of ownerEmail.
var ownerEmailFields = []string{"configurationSet", "from", "identityArn", "maxSendRate"}

// decodeOwnerEmail reads ownerEmail: an object of strings, and maxSendRate, an integer
// (agecheck.OwnerEmail.Validate checks its range; an explicit 0 is refused here, where it would
// otherwise mean the default).
func decodeOwnerEmail(p *problems, v string) *agecheck.OwnerEmail {
	const key = "ownerEmail"
	var raw map[string]json.RawMessage
	if err := decodeJSON(v, &raw); err != nil || raw == nil {
		p.add(key, v, "is not an object", `an object such as {"from": "keyage@example.com"}, with identityArn, configurationSet and maxSendRate optional`)
		return nil
	}
	e := &agecheck.OwnerEmail{}
	fields := map[string]*string{"from": &e.From, "identityArn": &e.IdentityARN, "configurationSet": &e.ConfigurationSet}
	for _, f := range slices.Sorted(maps.Keys(raw)) {
		if f == "maxSendRate" {
			rateAllowed := fmt.Sprintf("mails per second, an integer from 1 to %d (default %d, SES's sandbox rate)", agecheck.MaxMaxSendRate, agecheck.DefaultMaxSendRate)
			if err := json.Unmarshal(raw[f], &e.MaxSendRate); err != nil {
				p.add(key+"."+f, rawText(raw[f]), "is not an integer", rateAllowed)
			} else if e.MaxSendRate == 0 {
				p.add(key+"."+f, "0", "is out of range", rateAllowed)
			}
			continue
		}
		dst, ok := fields[f]
		if !ok {
			p.add(key+"."+f, rawText(raw[f]), "is not an ownerEmail field", "one of "+strings.Join(ownerEmailFields, ", "))
			continue
		}
		if err := json.Unmarshal(raw[f], dst); err != nil {
			p.add(key+"."+f, string(raw[f]), "is not a string", "a string")
		}
	}
	return e
}

// decodeOwnerTagKeys reads ownerTagKeys: a list of strings.
func decodeOwnerTagKeys(p *problems, v string) []string {
	var keys []string
	if err := decodeJSON(v, &keys); err != nil || keys == nil {
		p.add("ownerTagKeys", v, "is not a list of strings", "a list of IAM tag keys such as [owner, team], or [] to turn owners off")
		return nil
	}
	return keys
}

// ownerSettingName maps agecheck.Owners.Validate's field names to the settings' keys.
func ownerSettingName(field string) string {
	switch {
	case strings.HasPrefix(field, "tagKeys"):
		return "ownerTagKeys" + strings.TrimPrefix(field, "tagKeys")
	case strings.HasPrefix(field, "email."):
		return "ownerEmail." + strings.TrimPrefix(field, "email.")
	}
	return field
}

// validateOwners checks the owner settings: the bounds agecheck.Owners.Validate owns, the cap,
// and the owners topic's subscriptions, with the checks of subscriptions.
func (o Owners) validate(p *problems) {
	ev := agecheck.Owners{TagKeys: o.TagKeys, Email: o.Email}
	noFrom := o.Email != nil && o.Email.From == ""
	for _, pp := range ev.Validate() {
		if !(noFrom && pp.Field == "email.from") {
			p.add(ownerSettingName(pp.Field), pp.Value, pp.Problem, pp.Allowed)
		}
	}
	checkRange(p, "maxOwnerMessages", o.MaxMessages, 1, agecheck.MaxOwnerMessagesPerRun)
	if noFrom {
		p.add("ownerEmail.from", "", problemMissing, "the sender's address, an SES verified identity or at a verified domain")
	}
	off := len(o.TagKeys) == 0
	if off && o.Email != nil {
		p.add("ownerEmail", "{...}", "needs owners, but ownerTagKeys is []", "ownerTagKeys naming the owner tag, or no ownerEmail")
	}
	if off && len(o.Subscriptions) > 0 {
		p.add("ownerSubscriptions", fmt.Sprintf("[%d subscriptions]", len(o.Subscriptions)), "needs owners, but ownerTagKeys is []", "ownerTagKeys naming the owner tag, or no ownerSubscriptions")
	}
	const key = "ownerSubscriptions"
	if len(o.Subscriptions) > MaxSubscriptions {
		p.add(key, fmt.Sprintf("[%d subscriptions]", len(o.Subscriptions)), fmt.Sprintf("has %d subscriptions", len(o.Subscriptions)), fmt.Sprintf("at most %d", MaxSubscriptions))
	}
	seen := map[string]int{}
	for i, s := range o.Subscriptions {
		path := key + "[" + strconv.Itoa(i) + "]"
		switch {
		case s.Owner == "":
			p.add(path+".owner", "", problemMissing, "the owner tag's value whose messages this subscriber receives, such as team-a")
		case len(s.Owner) > agecheck.MaxOwnerLength || strings.TrimSpace(s.Owner) != s.Owner || strings.ContainsFunc(s.Owner, isControlRune):
			p.add(path+".owner", s.Owner, "is not an owner tag value (keyage trims the tag's value)",
				fmt.Sprintf("1 to %d characters, no leading or trailing space, no line breaks", agecheck.MaxOwnerLength))
		}
		validateSubscription(p, path, s.Subscription, false)
		id := s.Owner + "\x00" + s.Protocol + " " + s.Endpoint
		if j, dup := seen[id]; dup && s.Protocol != "" {
			p.add(path+".endpoint", s.Endpoint, fmt.Sprintf("repeats %s[%d] (same owner, protocol and endpoint)", key, j), "each endpoint once per owner and protocol")
		} else {
			seen[id] = i
		}
	}
}

func isControlRune(r rune) bool { return r < 0x20 || r == 0x7f }
