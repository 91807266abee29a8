package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/lambda/lambdatest"
	"github.com/keyage/keyage/ledger"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// ownersStack is the default stack (notify: changes) with owners read from owner and team tags,
// one owner subscription per owner and direct mail from keyage@example.com.
func ownersStack(owners []string) config.Settings {
	s := config.Defaults()
	s.CheckRootKeys = false
	s.Owners.TagKeys = []string{"owner", "team"}
	for _, o := range owners {
		s.Owners.Subscriptions = append(s.Owners.Subscriptions, config.OwnerSubscription{Owner: o,
			Subscription: config.Subscription{Protocol: "https", Endpoint: "https://hooks.example.com/" + strings.TrimSuffix(o, "@example.com")}})
	}
	// Not about pacing (TestOwnerMailPacedToSESRate is): the fastest rate, so no mail waits.
	s.Owners.Email = &agecheck.OwnerEmail{From: "keyage@example.com", MaxSendRate: agecheck.MaxMaxSendRate}
	return s
}

// newOwnersLedgerEnv is newLedgerEnv with a fake SES behind the function and the owners topic.
func newOwnersLedgerEnv(t *testing.T, a *sfnlocal.Account) (*sfnlocal.Env, *ledger.Table, *lambdatest.SES) {
	t.Helper()
	tbl, env := startLedger(t)
	ses := lambdatest.NewSES(t)
	env["AWS_ENDPOINT_URL_SESV2"] = ses.URL
	e, _ := startWorld(t, a, nil, false, env)
	e.Tasks.OwnersTopicARN = testOwnersTopic
	return e, tbl, ses
}

// ownersTold is what the owners were sent since published messages and mailed mails: the keys
// each owner subscription received (filter policy on the owner attribute), the keys each mail
// named, and how many messages and mails each owner got.
type ownersTold struct {
	keys, mailed      map[string][]string
	messages, mails   map[string]int
	digests, digestAt int
}

func toldSince(t *testing.T, e *sfnlocal.Env, ses *lambdatest.SES, s config.Settings, published, mailed int) ownersTold {
	t.Helper()
	out := ownersTold{keys: map[string][]string{}, mailed: map[string][]string{}, messages: map[string]int{}, mails: map[string]int{}, digestAt: -1}
	for i, pub := range e.Tasks.Published()[published:] {
		if pub.TopicARN == testTopic {
			out.digests++
			out.digestAt = published + i
			continue
		}
		for _, sub := range s.Owners.Subscriptions {
			if matchesFilter(sub.FilterPolicy(), pub.Attributes) {
				out.messages[sub.Owner]++
				out.keys[sub.Owner] = append(out.keys[sub.Owner], keysIn(ownerText(t, pub))...)
			}
		}
	}
	for _, m := range ses.Sent()[mailed:] {
		to := m.Destination.ToAddresses[0]
		out.mails[to]++
		out.mailed[to] = append(out.mailed[to], keysIn(m.Content.Simple.Body.Text.Data)...)
	}
	return out
}

// TestOwnersFollowTheLedger1000Users30Owners: with notify: changes (the default), 1,000 users
// across 30 owners over several runs with "now" moved forward. Run 1: each owner gets exactly
// their own keys, as new, once (message and mail); run 2 (no change): no owner message and no
// mail; a reminder day: each owner gets only their due keys, and a key rotated since is in
// nobody's message; the ledger's entries record each key's owner.
func TestOwnersFollowTheLedger1000Users30Owners(t *testing.T) {
	t.Parallel()
	a, owners := ownersAccount(1000)
	s := ownersStack(owners)
	def := definition(t, s)
	e, tbl, ses := newOwnersLedgerEnv(t, a)

	defer func(keys []string) { ownerTagKeys = keys }(ownerTagKeys)
	ownerTagKeys = s.Owners.TagKeys
	want := expect(a, s.Policy(), testNow)
	wantKeys := map[string][]string{}
	for id, f := range want.findings {
		if f.Owner != "" {
			wantKeys[f.Owner] = append(wantKeys[f.Owner], id)
		}
	}
	if len(wantKeys) != 30 || want.counts.NoOwner == 0 {
		t.Fatalf("the account does not exercise 30 owners and users without one: %d owners, %+v", len(wantKeys), want.counts)
	}
	for _, ids := range wantKeys {
		sort.Strings(ids)
	}
	check := func(name string, got ownersTold, wantKeys map[string][]string) {
		t.Helper()
		for _, o := range owners {
			wantN := 0
			if len(wantKeys[o]) > 0 {
				wantN = 1
			}
			if got.messages[o] != wantN {
				t.Errorf("%s: owner %s received %d messages, want %d", name, o, got.messages[o], wantN)
			}
			if ids := slices.Sorted(slices.Values(got.keys[o])); !slices.Equal(ids, wantKeys[o]) {
				t.Errorf("%s: owner %s received keys %v, want exactly %v", name, o, ids, wantKeys[o])
			}
			if !agecheck.IsEmailAddress(o) {
				continue
			}
			if got.mails[o] != wantN {
				t.Errorf("%s: %s was mailed %d times, want %d", name, o, got.mails[o], wantN)
			}
			if ids := slices.Sorted(slices.Values(got.mailed[o])); !slices.Equal(ids, wantKeys[o]) {
				t.Errorf("%s: the mail to %s names keys %v, want exactly %v", name, o, ids, wantKeys[o])
			}
		}
	}

	// Each run under its own name: a run keys its observations by its execution's name.
	run := func(name string, at time.Time) {
		t.Helper()
		res, err := e.RunRaw(def, scheduled(at), t.Name()+"-"+name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sfnlocal.WantStatus(t, res, "SUCCEEDED")
	}
	run("run-1", testNow)
	got := toldSince(t, e, ses, s, 0, 0)
	check("run 1", got, wantKeys)
	if got.digests != 1 {
		t.Fatalf("run 1 published %d digests, want 1", got.digests)
	}
	var body agecheck.MessageBody
	decodeDefault(t, e.Tasks.Published()[got.digestAt].Message, &body)
	if body.Counts.NoOwner != want.counts.NoOwner || body.Owners == nil || len(body.Owners.Unmessaged)+len(body.Owners.Unmailed) != 0 {
		t.Errorf("run 1's digest: noOwner %d, owners %+v; want noOwner %d and every owner reached", body.Counts.NoOwner, body.Owners, want.counts.NoOwner)
	}
	entries, _, err := tbl.Load(context.Background(), testAccount, "none")
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if f := want.findings[en.Key]; en.Owner != f.Owner {
			t.Errorf("the entry of %s records owner %q, want %q", en.Key, en.Owner, f.Owner)
		}
	}

	published, mailed := len(e.Tasks.Published()), len(ses.Sent())
	run("run-2", testNow.Add(days(1)))
	if got := toldSince(t, e, ses, s, published, mailed); len(got.messages)+len(got.mails)+got.digests != 0 {
		t.Errorf("run 2 (no change) sent owner messages %v, mails %v and %d digests, want nothing", got.messages, got.mails, got.digests)
	}

	// Each owner's first key is rotated (deactivated); a week after run 1 every other key is due.
	due := map[string][]string{}
	for o, ids := range wantKeys {
		a.Key(ids[0]).Status = "Inactive"
		if len(ids) > 1 {
			due[o] = ids[1:]
		}
	}
	published, mailed = len(e.Tasks.Published()), len(ses.Sent())
	run("reminder-day", testNow.Add(days(7)))
	check("reminder day", toldSince(t, e, ses, s, published, mailed), due)
}

// TestOwnerMessagesAboveTheTrim: 1,000 stale keys, 600 of one owner, more than the summary the
// state machine carries (MaxSummaryBytes): with notify: every-run (observations only) as with
// notify: changes, that owner's message counts all 600 keys and names only theirs, and the
// other owner's counts its 400; the digest itself is trimmed.
func TestOwnerMessagesAboveTheTrim(t *testing.T) {
	t.Parallel()
	for _, notify := range []string{agecheck.NotifyEveryRun, agecheck.NotifyChanges} {
		t.Run(notify, func(t *testing.T) {
			t.Parallel()
			a := sfnlocal.NewAccount(testAccount)
			owned := map[string]map[string]bool{"team-big": {}, "team-small": {}}
			for i := range 1000 {
				owner := "team-big"
				if i%5 >= 3 {
					owner = "team-small"
				}
				k := activeKey(i, 1, testNow.Add(-days(100+i%200)))
				owned[owner][k.ID] = true
				a.Add(&sfnlocal.User{Name: fmt.Sprintf("user-%04d", i), Created: testNow.Add(-days(1000)),
					Tags: map[string]string{"owner": owner}, Keys: []*sfnlocal.AccessKey{k}})
			}
			s := ownersStack([]string{"team-big", "team-small"})
			s.Owners.Email = nil
			s.Ledger.Notify = notify
			e, _, _ := newOwnersLedgerEnv(t, a)
			res := e.Run(t, definition(t, s), scheduled(testNow))
			sfnlocal.WantStatus(t, res, "SUCCEEDED")
			subjects := map[string]string{}
			for _, pub := range e.Tasks.Published() {
				if pub.TopicARN == testTopic {
					var body agecheck.MessageBody
					decodeDefault(t, pub.Message, &body)
					if !body.Truncated {
						t.Errorf("the digest is not truncated: the test needs more findings than one summary carries")
					}
					continue
				}
				o := pub.Attributes["owner"]
				subjects[o] = pub.Subject
				for _, id := range keysIn(ownerText(t, pub)) {
					if !owned[o][id] {
						t.Errorf("%s's message names %s, not theirs", o, id)
					}
				}
			}
			want := map[string]string{
				"team-big":   "team-big: 600 IAM access keys need action in 123456789012",
				"team-small": "team-small: 400 IAM access keys need action in 123456789012",
			}
			if fmt.Sprint(subjects) != fmt.Sprint(want) {
				t.Errorf("owner messages %v, want %v (every key counted)", subjects, want)
			}
		})
	}
}

// TestRetriedReportMailsOnce: the report's invocation fails after it mailed the owners (as a
// late timeout would: Lambda.ServiceException, which the state machine retries); the retry
// mails nobody again, and the one digest lists nobody as unmailed.
func TestRetriedReportMailsOnce(t *testing.T) {
	t.Parallel()
	a, owners := ownersAccount(120)
	s := ownersStack(owners)
	e, _, ses := newOwnersLedgerEnv(t, a)
	var reports atomic.Int32
	e.Tasks.InvokeFaultAfter = func(op string) *sfnlocal.StatesError {
		if op == agecheck.OpReport && reports.Add(1) == 1 {
			return &sfnlocal.StatesError{Error: "Lambda.ServiceException", Cause: "the invocation failed after its mails went out"}
		}
		return nil
	}
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	if n := reports.Load(); n != 2 {
		t.Fatalf("the report ran %d times, want 2 (the failed attempt and its retry)", n)
	}
	// The email owners of the oracle's findings (under the stack's owner tags: the package's
	// ownerTagKeys is left alone, other tests run in parallel), each mailed exactly once over
	// both attempts.
	flagged := map[string]bool{}
	for _, f := range expect(a, s.Policy(), testNow).findings {
		flagged[f.UserName] = true
	}
	wantMails := map[string]int{}
	for _, u := range a.Users() {
		if o := ownerOf(u, s.Owners.TagKeys); flagged[u.Name] && agecheck.IsEmailAddress(o) {
			wantMails[o] = 1
		}
	}
	mails := map[string]int{}
	for _, m := range ses.Sent() {
		mails[m.Destination.ToAddresses[0]]++
	}
	if len(wantMails) < 2 {
		t.Fatalf("the account has %d email owners with findings, want several", len(wantMails))
	}
	if !maps.Equal(mails, wantMails) {
		t.Errorf("mailed %v, want each email owner with findings exactly once: %v", mails, wantMails)
	}
	digests := 0
	for _, pub := range e.Tasks.Published() {
		if pub.TopicARN == testTopic {
			digests++
			var body agecheck.MessageBody
			decodeDefault(t, pub.Message, &body)
			if body.Owners == nil || len(body.Owners.Unmailed) != 0 {
				t.Errorf("the digest's owners %+v, want nobody unmailed (the first attempt's mails went out)", body.Owners)
			}
		}
	}
	if digests != 1 {
		t.Errorf("published %d digests, want 1", digests)
	}
}

// TestOrganizationOwners: an organization run (notify: changes, three accounts, the deploying
// one among them) reaches the owners in each account: each account's report sends that
// account's owners one message each, with the attribute account = that account and exactly the
// owner's keys there; an owner with keys in two accounts gets one message per account.
func TestOrganizationOwners(t *testing.T) {
	t.Parallel()
	own, m1, m2 := sfnlocal.NewAccount(testAccount), sfnlocal.NewAccount("111111111111"), sfnlocal.NewAccount("222222222222")
	want := map[string][]string{} // account/owner -> keys
	n := 0
	for _, a := range []*sfnlocal.Account{own, m1, m2} {
		for _, owner := range []string{"team-a", "team-b", ""} {
			for range 2 {
				k := activeKey(n, 1, testNow.Add(-days(100+n)))
				u := &sfnlocal.User{Name: fmt.Sprintf("user-%02d", n), Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{k}}
				if owner != "" {
					u.Tags = map[string]string{"owner": owner}
					want[a.ID+"/"+owner] = append(want[a.ID+"/"+owner], k.ID)
				}
				a.Add(u)
				n++
			}
		}
	}
	s := ownersStack([]string{"team-a", "team-b"})
	s.Owners.Email = nil
	s.CheckRootKeys = false
	s.Organization.Accounts = []string{testAccount, m1.ID, m2.ID}
	e, _ := newOrgLedgerEnv(t, own, m1, m2)
	e.Tasks.OwnersTopicARN = testOwnersTopic
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")
	got := map[string][]string{}
	for _, pub := range e.Tasks.Published() {
		if pub.TopicARN != testOwnersTopic {
			continue
		}
		k := pub.Attributes["account"] + "/" + pub.Attributes["owner"]
		if _, dup := got[k]; dup {
			t.Errorf("%s got two messages, want one per account", k)
		}
		got[k] = keysIn(ownerText(t, pub))
	}
	for _, ids := range want {
		sort.Strings(ids)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("owner messages by account/owner:\n got %v\nwant %v", got, want)
	}
}
