package config

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/lambda/agecheck"
)

// TestFindingsSubscriptionsInAnOrganization: with accounts, a findings subscription without a
// filter policy takes the organization's digest only; one with a policy keeps it; without
// accounts nothing changes, and the alarm subscriptions never do.
func TestFindingsSubscriptionsInAnOrganization(t *testing.T) {
	var policy map[string][]string
	if err := json.Unmarshal([]byte(DigestFilterPolicy), &policy); err != nil || !slices.Equal(policy[ScopeAttribute], []string{agecheck.ScopeOrganization}) {
		t.Fatalf("DigestFilterPolicy %s (%v), want scope: [%s]", DigestFilterPolicy, err, agecheck.ScopeOrganization)
	}
	s := Defaults()
	s.Subscriptions = []Subscription{
		{Protocol: "email", Endpoint: "all@example.com"},
		{Protocol: "email", Endpoint: "team@example.com", FilterPolicy: `{"account":["111122223333"]}`},
	}
	if got := s.FindingsSubscriptions(); !slices.Equal(got, s.Subscriptions) {
		t.Errorf("without accounts: %+v, want the subscriptions as written", got)
	}
	s.Organization.Accounts = []string{OrganizationKeyword}
	got := s.FindingsSubscriptions()
	if got[0].FilterPolicy != DigestFilterPolicy || got[0].FilterPolicyScope != ScopeMessageAttributes {
		t.Errorf("unfiltered subscription %+v, want the digest's filter policy", got[0])
	}
	if got[1] != s.Subscriptions[1] || s.Subscriptions[0].FilterPolicy != "" {
		t.Errorf("filtered subscription %+v (settings changed: %+v), want it as written", got[1], s.Subscriptions[0])
	}
	if _, err := s.Check(time.Now()); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestScopeFilterNeedsAccounts: a filter on scope is accepted with accounts and refused without,
// naming the subscription, its policy and why.
func TestScopeFilterNeedsAccounts(t *testing.T) {
	s := Defaults()
	s.Subscriptions = []Subscription{{Protocol: "email", Endpoint: "a@example.com", FilterPolicy: `{"scope":["account"]}`}}
	_, err := s.Check(time.Now())
	if err == nil || !strings.Contains(err.Error(), `subscriptions[0].filterPolicy: {"scope":["account"]} filters on attribute "scope", which only an organization run's messages carry`) {
		t.Errorf("without accounts: %v, want the scope filter refused", err)
	}
	s.Organization.Accounts = []string{"111122223333"}
	if _, err := s.Check(time.Now()); err != nil {
		t.Errorf("with accounts: %v, want the scope filter accepted", err)
	}
}
