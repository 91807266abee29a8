package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"reflect"
	"testing"

	"github.com/keyage/keyage/lambda/agecheck"
)

func TestParseOwners(t *testing.T) {
	c, err := Parse(map[string]string{
		"ownerTagKeys":       `["owner","team"]`,
		"maxOwnerMessages":   "25",
		"ownerSubscriptions": `[{"owner":"team-a","protocol":"email","endpoint":"team-a@example.com"},{"owner":"alice@example.com","protocol":"https","endpoint":"https://hooks.example.com/a"}]`,
		"ownerEmail":         `{"from":"keyage@example.com","identityArn":"arn:aws:ses:eu-west-1:123456789012:identity/example.com","configurationSet":"keyage","maxSendRate":14}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := c.Settings().Owners
	if len(o.Subscriptions) != 2 || o.Subscriptions[0].Owner != "team-a" || o.Subscriptions[0].Protocol != "email" || o.Subscriptions[1].Endpoint != "https://hooks.example.com/a" {
		t.Errorf("got subscriptions %+v", o.Subscriptions)
	}
	if got := o.Subscriptions[1].FilterPolicy(); got != `{"owner":["alice@example.com"]}` {
		t.Errorf("got filter policy %s, want the owner attribute equal to the owner", got)
	}
	want := &agecheck.Owners{TagKeys: []string{"owner", "team"}, MaxMessages: 25,
		Email: &agecheck.OwnerEmail{From: "keyage@example.com", IdentityARN: "arn:aws:ses:eu-west-1:123456789012:identity/example.com", ConfigurationSet: "keyage", MaxSendRate: 14}}
	if got := o.Event(); !reflect.DeepEqual(got, want) {
		t.Errorf("got event owners %+v, want %+v", got, want)
	}
}

func TestOwnersEventDefaultsAndOff(t *testing.T) {
	d := Defaults().Owners
	if got := d.Event(); !reflect.DeepEqual(got, &agecheck.Owners{TagKeys: []string{"owner"}}) {
		t.Errorf("defaults give %+v, want owner lookups from the owner tag and no owners topic (maxMessages 0)", got)
	}
	c, err := Parse(map[string]string{"ownerTagKeys": `[]`})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Settings().Owners.Event(); got != nil {
		t.Errorf("ownerTagKeys [] gives %+v, want owners off (nil)", got)
	}
}

func TestParseOwnersInvalid(t *testing.T) {
	const sub = `"protocol":"email","endpoint":"team-a@example.com"`
	tests := []struct {
		name   string
		values map[string]string
		want   []string
	}{
		{"tag keys not a list", map[string]string{"ownerTagKeys": `"owner"`},
			[]string{`ownerTagKeys: "\"owner\"" is not a list of strings: want a list of IAM tag keys such as [owner, team], or [] to turn owners off`}},
		{"tag key with a comma", map[string]string{"ownerTagKeys": `["own,er"]`},
			[]string{`ownerTagKeys[0]: "own,er" is not an IAM tag key: want an IAM tag key: 1 to 128 letters, digits, spaces and _.:/=+-@`}},
		{"tag key twice", map[string]string{"ownerTagKeys": `["owner","OWNER"]`},
			[]string{`ownerTagKeys[1]: "OWNER" repeats tagKeys[0] (IAM tag keys are case-insensitive): want each tag key once`}},
		{"cap zero", map[string]string{"maxOwnerMessages": "0"},
			[]string{`maxOwnerMessages: 0 is out of range: want an integer from 1 to 1000`}},
		{"cap too large", map[string]string{"maxOwnerMessages": "1001"},
			[]string{`maxOwnerMessages: 1001 is out of range: want an integer from 1 to 1000`}},
		{"subscription without owner", map[string]string{"ownerSubscriptions": `[{` + sub + `}]`},
			[]string{`ownerSubscriptions[0].owner is missing: want the owner tag's value whose messages this subscriber receives, such as team-a`}},
		{"owner with a trailing space", map[string]string{"ownerSubscriptions": `[{"owner":"team-a ",` + sub + `}]`},
			[]string{`ownerSubscriptions[0].owner: "team-a " is not an owner tag value (keyage trims the tag's value): want 1 to 256 characters, no leading or trailing space, no line breaks`}},
		{"own filter policy", map[string]string{"ownerSubscriptions": `[{"owner":"team-a",` + sub + `,"filterPolicy":{"severity":["stale"]}}]`},
			[]string{`ownerSubscriptions[0].filterPolicy: {"severity":["stale"]} is set by keyage on the owners topic ({"owner": [owner]}): want no filterPolicy: each subscriber receives its owner's messages only`}},
		{"same endpoint checks as subscriptions", map[string]string{"ownerSubscriptions": `[{"owner":"team-a","protocol":"http","endpoint":"http://x.example.com"}]`},
			[]string{
				`ownerSubscriptions[0].protocol: "http" is not allowed: it sends findings unencrypted: want https (or another of email, email-json, firehose, https, lambda, sms, sqs)`,
			}},
		{"bad email endpoint", map[string]string{"ownerSubscriptions": `[{"owner":"team-a","protocol":"email","endpoint":"team-a"}]`},
			[]string{`ownerSubscriptions[0].endpoint: "team-a" is not an email address: want an address such as security@example.com, without a display name`}},
		{"unknown field", map[string]string{"ownerSubscriptions": `[{"owner":"team-a",` + sub + `,"team":"x"}]`},
			[]string{`ownerSubscriptions[0].team: "x" is not an owner subscription field: want one of endpoint, owner, protocol, rawMessageDelivery, subscriptionRoleArn`}},
		{"duplicate", map[string]string{"ownerSubscriptions": `[{"owner":"team-a",` + sub + `},{"owner":"team-a",` + sub + `}]`},
			[]string{`ownerSubscriptions[1].endpoint: "team-a@example.com" repeats ownerSubscriptions[0] (same owner, protocol and endpoint): want each endpoint once per owner and protocol`}},
		{"subscriptions with owners off", map[string]string{"ownerTagKeys": `[]`, "ownerSubscriptions": `[{"owner":"team-a",` + sub + `}]`},
			[]string{`ownerSubscriptions: "[1 subscriptions]" needs owners, but ownerTagKeys is []: want ownerTagKeys naming the owner tag, or no ownerSubscriptions`}},
		{"email without from", map[string]string{"ownerEmail": `{"identityArn":"arn:aws:ses:eu-west-1:123456789012:identity/example.com"}`},
			[]string{`ownerEmail.from is missing: want the sender's address, an SES verified identity or at a verified domain`}},
		{"email from with a display name", map[string]string{"ownerEmail": `{"from":"Keyage <k@example.com>"}`},
			[]string{`ownerEmail.from: "Keyage <k@example.com>" is not an email address: want an address such as keyage@example.com, without a display name`}},
		{"email identity not SES", map[string]string{"ownerEmail": `{"from":"k@example.com","identityArn":"arn:aws:iam::123456789012:user/x"}`},
			[]string{`ownerEmail.identityArn: "arn:aws:iam::123456789012:user/x" is not an SES identity ARN: want arn:aws:ses:REGION:ACCOUNT:identity/DOMAIN-OR-ADDRESS`}},
		{"email unknown field", map[string]string{"ownerEmail": `{"from":"k@example.com","to":"x"}`},
			[]string{`ownerEmail.to: "x" is not an ownerEmail field: want one of configurationSet, from, identityArn, maxSendRate`}},
		{"email a string", map[string]string{"ownerEmail": `"k@example.com"`},
			[]string{`ownerEmail: "\"k@example.com\"" is not an object: want an object such as {"from": "keyage@example.com"}, with identityArn, configurationSet and maxSendRate optional`}},
		{"email send rate 0", map[string]string{"ownerEmail": `{"from":"k@example.com","maxSendRate":0}`},
			[]string{`ownerEmail.maxSendRate: 0 is out of range: want mails per second, an integer from 1 to 1000 (default 1, SES's sandbox rate)`}},
		{"email send rate too high", map[string]string{"ownerEmail": `{"from":"k@example.com","maxSendRate":1001}`},
			[]string{`ownerEmail.maxSendRate: 1001 is out of range: want mails per second, an integer from 1 to 1000 (default 1, SES's sandbox rate)`}},
		{"email send rate not an integer", map[string]string{"ownerEmail": `{"from":"k@example.com","maxSendRate":"fast"}`},
			[]string{`ownerEmail.maxSendRate: "fast" is not an integer: want mails per second, an integer from 1 to 1000 (default 1, SES's sandbox rate)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.values)
			wantProblems(t, err, tt.want, "Parse(%v)", tt.values)
		})
	}
}

// TestObservesForOwners: a notify: every-run stack that reaches owners (an owners topic or
// mail) keeps the ledger table for the run's observations, so that owner groups are exact; one
// that reaches none, an organization stack, and a notify: changes stack (a full ledger) do not
// observe only.
func TestObservesForOwners(t *testing.T) {
	sub := []OwnerSubscription{{Owner: "team-a", Subscription: Subscription{Protocol: "email", Endpoint: "team-a@example.com"}}}
	tests := []struct {
		name          string
		change        func(s *Settings)
		observes, has bool // ObservesForOwners, KeepsLedger
	}{
		{"changes (default)", func(s *Settings) {}, false, true},
		{"changes with an owners topic", func(s *Settings) { s.Owners.Subscriptions = sub }, false, true},
		{"every-run, owners read for the digest only", func(s *Settings) { s.Ledger.Notify = agecheck.NotifyEveryRun }, false, false},
		{"every-run with an owners topic", func(s *Settings) { s.Ledger.Notify = agecheck.NotifyEveryRun; s.Owners.Subscriptions = sub }, true, true},
		{"every-run with owner mail", func(s *Settings) {
			s.Ledger.Notify = agecheck.NotifyEveryRun
			s.Owners.Email = &agecheck.OwnerEmail{From: "keyage@example.com"}
		}, true, true},
		{"every-run, ownerTagKeys []", func(s *Settings) {
			s.Ledger.Notify = agecheck.NotifyEveryRun
			s.Owners.Subscriptions = sub
			s.Owners.TagKeys = []string{}
		}, false, false},
		{"every-run organization run", func(s *Settings) {
			s.Ledger.Notify = agecheck.NotifyEveryRun
			s.Owners.Subscriptions = sub
			s.Organization.Accounts = []string{"111111111111"}
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Defaults()
			tt.change(&s)
			if got := s.ObservesForOwners(); got != tt.observes {
				t.Errorf("ObservesForOwners() = %v, want %v", got, tt.observes)
			}
			if got := s.KeepsLedger(); got != tt.has {
				t.Errorf("KeepsLedger() = %v, want %v", got, tt.has)
			}
		})
	}
}

// TestEveryRunOrganizationOwnersRefused: an organization run with notify: every-run keeps no
// ledger, so it could neither group owners exactly nor claim mail once: Check refuses it when
// the stack reaches owners, naming notify, its value and what is allowed; without an owners topic
// or mail it is fine.
func TestEveryRunOrganizationOwnersRefused(t *testing.T) {
	sub := []OwnerSubscription{{Owner: "team-a", Subscription: Subscription{Protocol: "email", Endpoint: "team-a@example.com"}}}
	tests := []struct {
		name    string
		change  func(s *Settings)
		refused bool
	}{
		{"owners topic", func(s *Settings) { s.Owners.Subscriptions = sub }, true},
		{"owner mail", func(s *Settings) { s.Owners.Email = &agecheck.OwnerEmail{From: "keyage@example.com"} }, true},
		{"owners only in the digest", func(s *Settings) {}, false},
		{"notify: changes", func(s *Settings) { s.Owners.Subscriptions = sub; s.Ledger.Notify = agecheck.NotifyChanges }, false},
		{"single account", func(s *Settings) { s.Owners.Subscriptions = sub; s.Organization.Accounts = nil }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Defaults()
			s.Ledger.Notify = agecheck.NotifyEveryRun
			s.Organization.Accounts = []string{"111111111111"}
			tt.change(&s)
			_, err := s.Check(time.Now())
			if !tt.refused {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			var se *SettingError
			if !errors.As(err, &se) || se.Key != "notify" || se.Value != "every-run" ||
				!strings.Contains(se.Problem, "cannot reach owners") || !strings.Contains(se.Allowed, "changes (the default)") {
				t.Fatalf("got %v, want notify every-run refused with accounts and owners, allowing changes", err)
			}
		})
	}
}

// TestOwnerMessagesPerAccountWarning: in an organization run maxOwnerMessages bounds each
// account's messages; Check warns, naming the values, when accounts x maxOwnerMessages exceeds
// what one single-account run may publish, and always with [organization] (count unknown).
func TestOwnerMessagesPerAccountWarning(t *testing.T) {
	sub := []OwnerSubscription{{Owner: "team-a", Subscription: Subscription{Protocol: "email", Endpoint: "team-a@example.com"}}}
	ids := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%012d", 100000000000+i))
		}
		return out
	}
	tests := []struct {
		name     string
		accounts []string
		exclude  []string
		max      int
		want     string // "" for no warning
	}{
		{"10 accounts x 100", ids(10), nil, 100, ""},
		{"11 accounts x 100", ids(11), nil, 100, "11 accounts x 100 = 1100 owner messages per run at most (one message per owner per account), above 1000, what a single-account run may publish; allowed without this warning: maxOwnerMessages up to 90 for 11 accounts"},
		{"11 accounts, one excluded", ids(11), ids(1), 100, ""},
		{"organization", []string{OrganizationKeyword}, nil, 50, "with accounts [organization] a run publishes up to 50 per scanned account"},
		{"single account", nil, nil, 1000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Defaults()
			s.Owners.Subscriptions = sub
			s.Owners.MaxMessages = tt.max
			s.Organization.Accounts = tt.accounts
			s.Organization.ExcludeAccounts = tt.exclude
			c, err := s.Check(time.Now())
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings {
				if strings.Contains(w, "maxOwnerMessages") {
					got = append(got, w)
				}
			}
			switch {
			case tt.want == "" && len(got) != 0:
				t.Errorf("got warnings %q, want none about maxOwnerMessages", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want) || !strings.Contains(got[0], "bounds each account's owner messages, not the run's")):
				t.Errorf("got warnings %q, want one containing %q", got, tt.want)
			}
		})
	}
}
