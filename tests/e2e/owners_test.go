package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// ownersAccount has n users across 30 owners: 20 teams and 10 email addresses, named in the
// owner tag (some as "Owner", some with an empty owner tag and the owner in team), and users
// without an owner: untagged, and one whose tags cannot be read. Every fourth user has a stale
// key, the rest compliant ones.
func ownersAccount(n int) (*sfnlocal.Account, []string) {
	var owners []string
	for i := range 20 {
		owners = append(owners, fmt.Sprintf("team-%02d", i))
	}
	for i := range 10 {
		owners = append(owners, fmt.Sprintf("owner-%02d@example.com", i))
	}
	a := sfnlocal.NewAccount(testAccount)
	for i := range n {
		u := &sfnlocal.User{Name: fmt.Sprintf("user-%04d", i), Created: testNow.Add(-days(1000))}
		owner := owners[(i/4)%len(owners)] // every owner has users with findings
		switch {
		case i%13 == 5: // no owner tag at all
			u.Tags = map[string]string{"cost-center": "42"}
		case i == 8:
			u.TagsDenied = true
		case i%7 == 0:
			u.Tags = map[string]string{"Owner": owner} // IAM tag keys are case-insensitive
		case i%7 == 1:
			u.Tags = map[string]string{"owner": " ", "team": owner} // a blank owner falls through to team
		default:
			u.Tags = map[string]string{"owner": owner}
		}
		if i%4 == 0 {
			u.Keys = []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(100+i%300)-time.Duration(i)*time.Minute))}
		} else {
			u.Keys = []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(10)))}
		}
		a.Add(u)
	}
	return a, owners
}

var accessKeyIDs = regexp.MustCompile(`AKIA[0-9A-Z]{16}`)

// keysIn lists the access key IDs a text names, sorted, each once.
func keysIn(text string) []string {
	set := map[string]bool{}
	for _, id := range accessKeyIDs.FindAllString(text, -1) {
		set[id] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// ownerText is the text an owner message's subscribers read (the default body): owner messages
// are published with MessageStructure json, and an SMS subscriber gets the subject alone (SNS
// sends at most 1,600 characters per SMS publish).
func ownerText(t *testing.T, pub sfnlocal.Publish) string {
	t.Helper()
	var bodies map[string]string
	if pub.MessageStructure != "json" || json.Unmarshal([]byte(pub.Message), &bodies) != nil {
		t.Fatalf("owner message with structure %q and message %.200q: want MessageStructure json", pub.MessageStructure, pub.Message)
	}
	if len(bodies) != 2 || bodies["sms"] != pub.Subject || bodies["default"] == "" {
		t.Errorf("owner message bodies %.300q, want {default: the text, sms: the subject %q}", bodies, pub.Subject)
	}
	return bodies["default"]
}

// TestOwners1000Users30Owners: 1,000 users across 30 owners, some without an owner tag, some
// owners email addresses, one of which SES rejects. Each owner subscription (keyage's filter
// policy on the owner attribute) receives exactly its owner's keys in one message; each email
// owner but the rejected one gets one mail with exactly their keys; the digest lists every key,
// the users without an owner and the owner that could not be mailed.
func TestOwners1000Users30Owners(t *testing.T) {
	t.Parallel()
	a, owners := ownersAccount(1000)
	s := config.Defaults()
	s.Ledger.Notify = agecheck.NotifyEveryRun // every-run digests; the table keeps the run's observations only
	s.Owners.TagKeys = []string{"owner", "team"}
	for _, o := range owners {
		s.Owners.Subscriptions = append(s.Owners.Subscriptions, config.OwnerSubscription{Owner: o,
			Subscription: config.Subscription{Protocol: "https", Endpoint: "https://hooks.example.com/" + strings.TrimSuffix(o, "@example.com")}})
	}
	// Not about pacing (TestOwnerMailPacedToSESRate is): the fastest rate, so no mail waits.
	s.Owners.Email = &agecheck.OwnerEmail{From: "keyage@example.com", MaxSendRate: agecheck.MaxMaxSendRate}
	const rejected = "owner-03@example.com"

	e, _, ses := newOwnersLedgerEnv(t, a)
	ses.Reject(rejected, "Email address is not verified. The following identities failed the check in region US-EAST-1: "+rejected)
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	checkPayloads(t, res)

	// The oracle, with this stack's owner tags.
	defer func(keys []string) { ownerTagKeys = keys }(ownerTagKeys)
	ownerTagKeys = s.Owners.TagKeys
	p := s.Policy()
	want := expect(a, p, testNow)
	wantKeys := map[string][]string{}
	for id, f := range want.findings {
		if f.Owner != "" {
			wantKeys[f.Owner] = append(wantKeys[f.Owner], id)
		}
	}
	for _, ids := range wantKeys {
		sort.Strings(ids)
	}
	if len(wantKeys) != 30 || want.counts.NoOwner == 0 || !slices.Contains(slices.Collect(maps.Values(want.ownerless)), true) {
		t.Fatalf("the account does not exercise 30 owners, users without one and unreadable tags: %d owners, %+v", len(wantKeys), want.counts)
	}

	// The digest: every key, exact counts (noOwner included), the owner sections.
	subject := fmt.Sprintf("%d IAM access keys older than 90 days, %d unused, in 123456789012", want.counts.Stale, want.counts.Unused)
	body := checkMessage(t, e, want, p, subject, agecheck.SeverityStale)
	if body.Truncated || len(body.Findings) != want.counts.Flagged {
		t.Errorf("the digest lists %d of %d findings (truncated %v), want all", len(body.Findings), want.counts.Flagged, body.Truncated)
	}
	if body.Owners == nil || len(body.Owners.Unmessaged) != 0 || len(body.Owners.Unmailed) != 1 || body.Owners.Unmailed[0].Owner != rejected ||
		!strings.Contains(body.Owners.Unmailed[0].Error, "MessageRejected") {
		t.Errorf("digest owners = %+v, want nobody unmessaged and %s unmailed with SES's MessageRejected", body.Owners, rejected)
	}
	var digest sfnlocal.Publish
	for _, pub := range e.Tasks.Published() {
		if pub.TopicARN == testTopic {
			digest = pub
		}
	}
	_, email := message(t, digest)
	for user, unreadable := range want.ownerless {
		entry := user
		if unreadable {
			entry += " (tags unreadable)"
		}
		if !strings.Contains(email, " "+entry+",") && !strings.Contains(email, " "+entry+"\n") {
			t.Errorf("the digest's no-owner section does not name %q", entry)
		}
	}

	// The owners topic: one message per owner, as each owner's subscription (filter policy
	// {"owner": [owner]}) receives it, with exactly that owner's keys.
	received := map[string][]sfnlocal.Publish{}
	for _, pub := range e.Tasks.Published() {
		if pub.TopicARN != testOwnersTopic {
			continue
		}
		if pub.Attributes["account"] != testAccount || pub.Attributes["severity"] != agecheck.SeverityStale {
			t.Errorf("owner message attributes %v: want account, severity stale", pub.Attributes)
		}
		pub.Message = ownerText(t, pub)
		for _, sub := range s.Owners.Subscriptions {
			if matchesFilter(sub.FilterPolicy(), pub.Attributes) {
				received[sub.Owner] = append(received[sub.Owner], pub)
			}
		}
	}
	for _, o := range owners {
		got := received[o]
		if len(got) != 1 {
			t.Errorf("owner %s's subscription received %d messages, want 1", o, len(got))
			continue
		}
		if ids := keysIn(got[0].Message); !slices.Equal(ids, wantKeys[o]) {
			t.Errorf("owner %s received keys %v, want exactly %v", o, ids, wantKeys[o])
		}
	}

	// Direct mail: one per email owner but the rejected one, with exactly their keys.
	mailed := map[string]int{}
	for _, m := range ses.Sent() {
		to := m.Destination.ToAddresses[0]
		mailed[to]++
		if m.FromEmailAddress != "keyage@example.com" {
			t.Errorf("mail to %s from %q, want keyage@example.com", to, m.FromEmailAddress)
		}
		text, html := m.Content.Simple.Body.Text.Data, m.Content.Simple.Body.HTML.Data
		if ids := keysIn(text); !slices.Equal(ids, wantKeys[to]) {
			t.Errorf("mail to %s names keys %v, want exactly %v", to, ids, wantKeys[to])
		}
		if ids := keysIn(html); !slices.Equal(ids, wantKeys[to]) {
			t.Errorf("HTML mail to %s names keys %v, want exactly %v", to, ids, wantKeys[to])
		}
	}
	for _, o := range owners {
		wantN := 0
		if agecheck.IsEmailAddress(o) && o != rejected {
			wantN = 1
		}
		if mailed[o] != wantN {
			t.Errorf("%s was mailed %d times, want %d", o, mailed[o], wantN)
		}
	}
	if calls := len(a.Calls("ListUserTags")); calls != len(usersWithFindings(want)) {
		t.Errorf("ListUserTags called %d times, want once per user with findings (%d)", calls, len(usersWithFindings(want)))
	}
	t.Logf("%d findings of %d users across %d owners, %d without an owner; %d owner messages; %d mails; largest state payload %v",
		want.counts.Flagged, 1000, len(wantKeys), want.counts.NoOwner, len(e.Tasks.Published())-1, len(ses.Sent()), res.Largest)
}

func usersWithFindings(want expectation) map[string]bool {
	users := map[string]bool{}
	for _, f := range want.findings {
		users[f.UserName] = true
	}
	return users
}

// matchesFilter applies an owner subscription's filter policy ({"owner": ["<owner>"]}, exact
// string values only) to a message's attributes, as SNS would.
func matchesFilter(policy string, attrs map[string]string) bool {
	var p map[string][]string
	if err := json.Unmarshal([]byte(policy), &p); err != nil {
		return false
	}
	for name, values := range p {
		if !slices.Contains(values, attrs[name]) {
			return false
		}
	}
	return true
}
