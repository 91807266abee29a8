package e2e

// Each account's own message in an organization run, and what subscriptions receive of them.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// accountMessage decodes an account's own message: its subject, attributes and default body.
func accountMessage(t *testing.T, p sfnlocal.Publish) agecheck.MessageBody {
	t.Helper()
	var bodies struct{ Default string }
	var body agecheck.MessageBody
	if err := json.Unmarshal([]byte(p.Message), &bodies); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(bodies.Default), &body); err != nil {
		t.Fatalf("default body: %v\n%s", err, bodies.Default)
	}
	return body
}

// TestOrganizationAccountMessages: the deploying account and a member with findings each publish
// their own report, from their full scan (every finding listed, which the digest's 2 KiB section
// cannot), with account = their ID and scope account; the clean member publishes nothing. A
// subscription filtering on one account receives that account's message alone, the unfiltered
// one (as deployed: the digest's filter policy) the digest alone, {"scope": ["account"]} every
// account's message and not the digest.
func TestOrganizationAccountMessages(t *testing.T) {
	t.Parallel()
	own := mixedAccount(20)
	member := accountWithID("111111111111", 45)
	clean := sfnlocal.NewAccount("222222222222")
	clean.Add(&sfnlocal.User{Name: "ok", Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(3)))}})
	org := &sfnlocal.Organization{Accounts: []sfnlocal.OrgAccount{{ID: testAccount}, {ID: member.ID}, {ID: clean.ID}}}
	s := orgSettings()
	e, _ := newOrgEnv(t, own, org, member, clean)
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	pubs := e.Tasks.Published()
	if len(pubs) != 3 {
		t.Fatalf("%d messages published, want 3: the digest and the two accounts with findings", len(pubs))
	}
	_, digest, _ := orgDigest(t, e)
	p := s.Policy()
	for _, a := range []*sfnlocal.Account{own, member} {
		got := delivered(t, `{"account":["`+a.ID+`"]}`, pubs)
		if len(got) != 1 {
			t.Fatalf("account %s: %d messages delivered to its subscription, want its own one", a.ID, len(got))
		}
		want := expect(a, p, testNow)
		body := accountMessage(t, got[0])
		if got[0].Attributes["scope"] != agecheck.ScopeAccount || got[0].Attributes["severity"] != body.Severity || body.Account != a.ID {
			t.Errorf("account %s: attributes %v, body account %s; want scope account, its severity and ID", a.ID, got[0].Attributes, body.Account)
		}
		if body.Counts != want.counts || len(body.Findings) != want.counts.Flagged || body.Truncated {
			t.Errorf("account %s: counts %+v, %d findings listed (truncated %v); want %+v and every finding", a.ID, body.Counts, len(body.Findings), body.Truncated, want.counts)
		}
		if !strings.HasSuffix(got[0].Subject, "in "+a.ID) {
			t.Errorf("account %s: subject %q, want the account's own", a.ID, got[0].Subject)
		}
		if sec, ok := section(digest, a.ID); !ok || len(sec.Summary.Findings) >= len(body.Findings) {
			t.Errorf("account %s: the digest's section lists %d findings, its message %d; want the message to list more (the full summary, not the 2 KiB result)",
				a.ID, len(sec.Summary.Findings), len(body.Findings))
		}
	}
	if got := delivered(t, `{"account":["`+clean.ID+`"]}`, pubs); len(got) != 0 {
		t.Errorf("the clean account's subscription received %d messages, want none", len(got))
	}
	if got := delivered(t, `{"scope":["account"]}`, pubs); len(got) != 2 {
		t.Errorf(`{"scope":["account"]} received %d messages, want the 2 accounts' own`, len(got))
	}
	// As deployed: a subscription written without a filter policy has the digest's.
	s.Subscriptions = []config.Subscription{{Protocol: "email", Endpoint: "all@example.com"}}
	if got := delivered(t, s.FindingsSubscriptions()[0].FilterPolicy, pubs); len(got) != 1 || got[0].Attributes["scope"] != agecheck.ScopeOrganization {
		t.Errorf("the unfiltered subscription received %d messages, want the digest alone", len(got))
	}
}

// TestOrganizationTestRunAccountMessages: a test run publishes every checked account's message,
// marked as a test, with nothing found, so that a subscription to one account can see delivery
// work; and the digest, marked too.
func TestOrganizationTestRunAccountMessages(t *testing.T) {
	t.Parallel()
	own := sfnlocal.NewAccount(testAccount)
	own.Add(&sfnlocal.User{Name: "ok", Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(3)))}})
	clean := sfnlocal.NewAccount("222222222222")
	clean.Add(&sfnlocal.User{Name: "ok", Keys: []*sfnlocal.AccessKey{activeKey(2, 1, testNow.Add(-days(3)))}})
	s := orgSettings()
	s.Organization.Accounts = []string{testAccount, clean.ID}
	e, _ := newOrgEnv(t, own, nil, clean)
	in := scheduled(testNow)
	in["test"] = true
	res := e.Run(t, definition(t, s), in)
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	pubs := e.Tasks.Published()
	if len(pubs) != 3 {
		t.Fatalf("%d messages published, want 3: the digest and each account's test message", len(pubs))
	}
	for _, id := range []string{testAccount, clean.ID} {
		got := delivered(t, `{"account":["`+id+`"]}`, pubs)
		if len(got) != 1 || !strings.HasPrefix(got[0].Subject, agecheck.TestSubjectPrefix) || !accountMessage(t, got[0]).Test || got[0].Attributes["severity"] != agecheck.SeverityNone {
			t.Errorf("account %s: %d messages %+v, want one test message with severity none", id, len(got), got)
		}
	}
	if pub, body, _ := orgDigest(t, e); !body.Test || !strings.HasPrefix(pub.Subject, agecheck.TestSubjectPrefix) {
		t.Errorf("digest %q (test %v), want a test run's", pub.Subject, body.Test)
	}
}
