package config

import (
	"encoding/json"
	"fmt"
)

// ScopeAttribute is the message attribute that tells an organization run's (accounts set) two
// kinds of message on the findings topic apart: the organization's digest
// (agecheck.ScopeOrganization, no account attribute) and each account's own message
// (agecheck.ScopeAccount, with account = its ID).
const ScopeAttribute = "scope"

// DigestFilterPolicy ({"scope": [agecheck.ScopeOrganization]}) is the filter policy an
// organization stack gives a findings subscription that has none: it receives the organization's digest, not also a message per account. A
// subscription that wants one account's findings says {"account": ["111122223333"]}; one that
// wants every account's message says {"scope": ["account"]}.
const DigestFilterPolicy = `{"scope":["organization"]}`

// FindingsSubscriptions are the findings topic's subscriptions as the stack deploys them: in an
// organization run, each one without a filter policy has DigestFilterPolicy.
func (s Settings) FindingsSubscriptions() []Subscription {
	subs := make([]Subscription, len(s.Subscriptions))
	copy(subs, s.Subscriptions)
	if !s.Organization.Enabled() {
		return subs
	}
	for i := range subs {
		if subs[i].FilterPolicy == "" {
			subs[i].FilterPolicy = DigestFilterPolicy
			subs[i].FilterPolicyScope = ScopeMessageAttributes
		}
	}
	return subs
}

// validateScopeFilters refuses a findings subscription filtering on the scope attribute in a
// stack without accounts: a single account's messages carry none, so it would drop them all.
func (s Settings) validateScopeFilters(p *problems) {
	if s.Organization.Enabled() {
		return
	}
	for i, sub := range s.Subscriptions {
		if sub.FilterPolicy == "" || (sub.FilterPolicyScope != "" && sub.FilterPolicyScope != ScopeMessageAttributes) {
			continue
		}
		var doc map[string]any
		if json.Unmarshal([]byte(sub.FilterPolicy), &doc) != nil {
			continue // validateSubscriptions says so
		}
		if _, ok := doc[ScopeAttribute]; ok {
			p.add(fmt.Sprintf("subscriptions[%d].filterPolicy", i), sub.FilterPolicy,
				`filters on attribute "scope", which only an organization run's messages carry (accounts set), so it would drop every message`,
				"no scope key without accounts; attributes account, kinds, severity")
		}
	}
}
