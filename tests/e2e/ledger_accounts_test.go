package e2e

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/ledger"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// newOrgLedgerEnv is newOrgEnv with the ledger: dynalite behind the real function.
func newOrgLedgerEnv(t *testing.T, own *sfnlocal.Account, members ...*sfnlocal.Account) (*sfnlocal.Env, *ledger.Table) {
	t.Helper()
	tbl, env := startLedger(t)
	e, _ := startWorld(t, own, members, true, env)
	return e, tbl
}

// TestOrganizationLedgerRunsInARow runs an organization machine (notify: changes, three
// accounts listed, the deploying one among them) several times against one ledger, "now"
// moving forward, and counts every message: the digest and each account's own message, which
// is that account's changes digest. The first run announces every account's findings, root keys
// per account; a run with no change publishes nothing at all; an account that cannot be scanned
// is announced (in the digest: it has no message of its own) and its keys are not resolved; keys
// rotated in one account are resolved once, in the digest and that account's message; a publish
// that fails for good (an account's message, or the digest after the account's message went out)
// leaves the next run announcing again, in both; a reminder day publishes the digest and the
// messages of the accounts with keys due only.
func TestOrganizationLedgerRunsInARow(t *testing.T) {
	t.Parallel()
	used := func(k *sfnlocal.AccessKey) *sfnlocal.AccessKey {
		k.LastUsed, k.LastService, k.LastRegion = testNow.Add(-days(1)), "s3", "eu-west-1"
		return k
	}
	user := func(name string, k *sfnlocal.AccessKey) *sfnlocal.User {
		return &sfnlocal.User{Name: name, Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{k}}
	}
	own := sfnlocal.NewAccount(testAccount)
	alice := used(activeKey(0, 1, testNow.Add(-days(120))))
	own.Add(user("alice", alice))
	m1 := sfnlocal.NewAccount("111111111111")
	m1.RootAccessKeys = true
	bob := used(activeKey(1, 1, testNow.Add(-days(200))))
	m1.Add(user("bob", bob), user("fresh", used(activeKey(2, 1, testNow.Add(-days(10))))))
	m2 := sfnlocal.NewAccount("222222222222")
	carol, dan := used(activeKey(3, 1, testNow.Add(-days(150)))), used(activeKey(4, 1, testNow.Add(-days(300))))
	m2.Add(user("carol", carol), user("dan", dan))

	s := config.Defaults()
	s.Organization.Accounts = []string{testAccount, m1.ID, m2.ID}
	def := definition(t, s)
	e, tbl := newOrgLedgerEnv(t, own, m1, m2)

	seen := 0 // messages published before the run
	var last agecheck.OrgMessageBody
	// run runs the machine on day and wants status, the digest's subject ("" for none) and the
	// accounts' own messages' subjects by account (nil for none).
	run := func(name string, day int, status, wantDigest string, wantAccounts map[string]string) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			res := e.Run(t, def, scheduled(testNow.Add(days(day))))
			sfnlocal.WantStatus(t, res, status)
			pubs := e.Tasks.Published()[seen:]
			seen += len(pubs)
			digests := delivered(t, config.DigestFilterPolicy, pubs)
			switch {
			case wantDigest == "" && len(digests) != 0:
				t.Errorf("published the digest %q, want none", digests[0].Subject)
			case wantDigest != "" && (len(digests) != 1 || digests[0].Subject != wantDigest):
				t.Errorf("published %d digests (last %q), want one: %q", len(digests), lastSubject(digests), wantDigest)
			case wantDigest != "":
				last = agecheck.OrgMessageBody{}
				decodeDefault(t, digests[0].Message, &last)
			}
			got := map[string]string{}
			for _, p := range delivered(t, `{"scope":["account"]}`, pubs) {
				if _, twice := got[p.Attributes["account"]]; twice {
					t.Errorf("account %s: two messages in one run, want at most one", p.Attributes["account"])
				}
				got[p.Attributes["account"]] = p.Subject
			}
			if !maps.Equal(got, wantAccounts) {
				t.Errorf("the accounts' own messages %q, want %q", got, wantAccounts)
			}
			if len(digests)+len(got) != len(pubs) {
				t.Errorf("%d messages published, want the digest and the accounts' only (%d)", len(pubs), len(digests)+len(got))
			}
		})
	}
	entries := func(account string) map[string]agecheck.Entry {
		t.Helper()
		return ledgerEntries(t, tbl, account)
	}
	// expireLeases lets the leases of a failed run (timed by the function's clock) expire:
	// another run takes each, LeaseDuration later by the clock, and gives it up.
	expireLeases := func() {
		t.Helper()
		later := time.Now().Add(agecheck.LeaseDuration + time.Second)
		for _, a := range []string{own.ID, m1.ID, m2.ID} {
			if err := tbl.Acquire(context.Background(), a, "later", later, later.Add(time.Minute)); err != nil {
				t.Fatalf("account %s: the failed run's lease, %v after it was taken: %v, want it expired", a, agecheck.LeaseDuration, err)
			}
			if err := tbl.Release(context.Background(), a, "later"); err != nil {
				t.Fatal(err)
			}
		}
	}

	run("first run announces", 0, "SUCCEEDED", "IAM keys in 3 accounts: 5 new", map[string]string{
		own.ID: "1 new IAM access key finding, in " + own.ID,
		m1.ID:  "2 new IAM access key findings, in " + m1.ID,
		m2.ID:  "2 new IAM access key findings, in " + m2.ID,
	})
	for account, keys := range map[string][]string{own.ID: {alice.ID}, m1.ID: {bob.ID, agecheck.RootKey}, m2.ID: {carol.ID, dan.ID}} {
		es := entries(account)
		for _, k := range keys {
			if !es[k].LastAnnounced.Equal(testNow) {
				t.Errorf("account %s key %s: entry %+v, want announced at %v", account, k, es[k], testNow)
			}
		}
		if len(es) != len(keys) {
			t.Errorf("account %s: %d entries, want %d (its own keys only)", account, len(es), len(keys))
		}
	}
	if c := last.Changes; c == nil || c.New != 5 || c.Reminders+c.Resolved+c.Quiet != 0 {
		t.Errorf("first digest's changes %+v, want 5 new", c)
	}
	if sec, ok := section(last, m1.ID); !ok || sec.Changes == nil || sec.Changes.NewCount != 2 || len(sec.Changes.New) != 2 {
		t.Errorf("account %s's section %+v, want its 2 new findings (bob's key and the root user's)", m1.ID, sec)
	}

	run("no change publishes nothing at all", 1, "SUCCEEDED", "", nil)

	m2.SetRoleUntrusted(true)
	run("an unchecked account is announced", 2, "SUCCEEDED", "IAM keys in 3 accounts: 1 account unchecked", nil)
	if sec, ok := section(last, m2.ID); !ok || sec.Status != agecheck.AccountUnchecked || last.Changes == nil || last.Changes.Resolved != 0 {
		t.Errorf("section %+v, changes %+v; want %s unchecked and nothing resolved", sec, last.Changes, m2.ID)
	}
	for _, k := range []string{carol.ID, dan.ID} {
		if r := entries(m2.ID)[k]; !r.ResolvedAt.IsZero() {
			t.Errorf("account %s key %s resolved while the account was not read: %+v", m2.ID, k, r)
		}
	}
	run("an unchecked account is announced every run", 3, "SUCCEEDED", "IAM keys in 3 accounts: 1 account unchecked", nil)
	m2.SetRoleUntrusted(false)

	// In the first member, bob's key is rotated (the old one deactivated), the root user's keys
	// deleted, and frank's stale key appears.
	frank := used(activeKey(6, 1, testNow.Add(-days(100))))
	m1.Update(func(a *sfnlocal.Account) { a.RootAccessKeys = false })
	m1.Key(bob.ID).Status = "Inactive"
	m1.Add(user("frank", frank))
	run("rotated keys are resolved", 4, "SUCCEEDED", "IAM keys in 3 accounts: 1 new, 2 resolved", map[string]string{
		m1.ID: "1 new IAM access key finding, 2 resolved, in " + m1.ID,
	})
	if r := entries(m1.ID)[bob.ID]; !r.ResolvedAt.Equal(testNow.Add(days(4))) {
		t.Errorf("bob's entry %+v, want resolved on day 4", r)
	}
	if r := entries(m1.ID)[agecheck.RootKey]; !r.ResolvedAt.Equal(testNow.Add(days(4))) {
		t.Errorf("the root user's entry %+v, want resolved on day 4", r)
	}
	if sec, ok := section(last, m1.ID); !ok || sec.Changes == nil || len(sec.Changes.Resolved) != 2 {
		t.Errorf("account %s's section %+v, want bob's key and the root user's resolved", m1.ID, sec)
	}
	for _, k := range []string{carol.ID, dan.ID} {
		if r := entries(m2.ID)[k]; !r.ResolvedAt.IsZero() || !r.LastAnnounced.Equal(testNow) {
			t.Errorf("account %s key %s: %+v, want open, announced on day 0 (read again, not due)", m2.ID, k, r)
		}
	}
	run("resolved is said once", 5, "SUCCEEDED", "", nil)

	// The second member's message (the run's first publish: nothing else is new or due) fails
	// for good: the run fails before the digest, and nothing is recorded.
	erin := used(activeKey(5, 1, testNow.Add(-days(400))))
	m2.Add(user("erin", erin))
	e.Tasks.PublishFault = func() *sfnlocal.StatesError {
		return &sfnlocal.StatesError{Error: "SNS.KMSAccessDeniedException", Cause: "denied (Service: Sns, Status Code: 400)"}
	}
	run("an account's message fails for good", 6, "FAILED", "", nil)
	if _, ok := entries(m2.ID)[erin.ID]; ok {
		t.Errorf("erin's key has an entry after a run whose publish failed, want none")
	}
	e.Tasks.PublishFault = nil
	expireLeases()
	run("reminders, failed message again", 7, "SUCCEEDED", "IAM keys in 3 accounts: 1 new, 3 reminders", map[string]string{
		own.ID: "No new IAM access key findings, 1 reminder, in " + own.ID,
		m2.ID:  "1 new IAM access key finding, 2 reminders, in " + m2.ID,
	})
	if r := entries(m2.ID)[erin.ID]; !r.LastAnnounced.Equal(testNow.Add(days(7))) {
		t.Errorf("erin's entry %+v, want announced on day 7", r)
	}
	if r := entries(m1.ID)[frank.ID]; !r.LastAnnounced.Equal(testNow.Add(days(4))) {
		t.Errorf("frank's entry %+v, want announced on day 4 (not due on day 7)", r)
	}
	_, _, email := orgDigestAt(t, e, len(delivered(t, config.DigestFilterPolicy, e.Tasks.Published()))-1)
	newAt, remindAt, totalsAt := strings.Index(email, "\nNew (1):"), strings.Index(email, "\nReminders (3):"), strings.Index(email, "Organization totals:")
	if newAt < 0 || remindAt < newAt || totalsAt < remindAt {
		t.Errorf("the last digest's email, want New (1), then Reminders (3), then the totals:\n%s", email)
	}

	// The first member's message goes out, then the digest fails for good: the member's new key is
	// not recorded, and the next run announces it again, in its message and the digest.
	gina := used(activeKey(7, 1, testNow.Add(-days(95))))
	m1.Add(user("gina", gina))
	publishes := 0
	e.Tasks.PublishFault = func() *sfnlocal.StatesError {
		if publishes++; publishes == 1 {
			return nil
		}
		return &sfnlocal.StatesError{Error: "SNS.KMSAccessDeniedException", Cause: "denied (Service: Sns, Status Code: 400)"}
	}
	run("digest fails after a message", 8, "FAILED", "", map[string]string{
		m1.ID: "1 new IAM access key finding, in " + m1.ID,
	})
	if _, ok := entries(m1.ID)[gina.ID]; ok {
		t.Errorf("gina's key has an entry after a run whose digest failed, want none")
	}
	e.Tasks.PublishFault = nil
	expireLeases()
	run("message announced again", 9, "SUCCEEDED", "IAM keys in 3 accounts: 1 new", map[string]string{
		m1.ID: "1 new IAM access key finding, in " + m1.ID,
	})
	if r := entries(m1.ID)[gina.ID]; !r.LastAnnounced.Equal(testNow.Add(days(9))) {
		t.Errorf("gina's entry %+v, want announced on day 9", r)
	}

	run("a reminder day in one account only", 11, "SUCCEEDED", "IAM keys in 3 accounts: nothing new, 1 reminder", map[string]string{
		m1.ID: "No new IAM access key findings, 1 reminder, in " + m1.ID,
	})
}

// TestOrganizationLedgerUnreadKey: in a member account, an open finding's key whose last use
// cannot be looked up (GetAccessKeyLastUsed denied) is neither compliant nor resolved: the run
// announces the unknown last use (in the digest and the account's message, as every run does),
// records nothing as resolved, and once the lookup works again nothing is published at all. A
// test run then sends the digest and every checked account's full list, and records nothing.
func TestOrganizationLedgerUnreadKey(t *testing.T) {
	t.Parallel()
	own := sfnlocal.NewAccount(testAccount)
	member := sfnlocal.NewAccount("111111111111")
	// Unused only: 60 days old (under maxAgeDays 90), last used 50 days ago (unusedDays 45).
	gus := activeKey(1, 1, testNow.Add(-days(60)))
	gus.LastUsed, gus.LastService, gus.LastRegion = testNow.Add(-days(50)), "s3", "eu-west-1"
	member.Add(&sfnlocal.User{Name: "gus", Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{gus}})
	s := config.Defaults()
	s.Organization.Accounts = []string{testAccount, member.ID}
	def := definition(t, s)
	e, tbl := newOrgLedgerEnv(t, own, member)

	seen := 0
	// run runs the machine on day and wants these messages, each "digest: ", "member: " or
	// "own: " and its subject; a test run when the first is a test run's.
	run := func(name string, day int, want ...string) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			input := scheduled(testNow.Add(days(day)))
			if len(want) > 0 && strings.Contains(want[0], agecheck.TestSubjectPrefix) {
				input["test"] = true
			}
			res := e.Run(t, def, input)
			sfnlocal.WantStatus(t, res, "SUCCEEDED")
			pubs := e.Tasks.Published()[seen:]
			seen += len(pubs)
			var got []string
			for label, policy := range map[string]string{"digest: ": config.DigestFilterPolicy,
				"member: ": `{"account":["` + member.ID + `"]}`, "own: ": `{"account":["` + own.ID + `"]}`} {
				for _, p := range delivered(t, policy, pubs) {
					got = append(got, label+p.Subject)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) || len(pubs) != len(want) {
				t.Errorf("published %q (%d messages), want %q", got, len(pubs), want)
			}
		})
	}
	entry := func() agecheck.Entry {
		t.Helper()
		es, _, err := tbl.Load(context.Background(), member.ID, "none")
		if err != nil || len(es) != 1 {
			t.Fatalf("entries %+v (%v), want gus's key's", es, err)
		}
		return es[0]
	}

	run("announced", 0, "digest: IAM keys in 2 accounts: 1 new", "member: 1 new IAM access key finding, in "+member.ID)
	member.Update(func(*sfnlocal.Account) { gus.LastUsedDenied = true })
	run("last use unknown", 1, "digest: IAM keys in 2 accounts: 1 last use unknown", "member: 1 last use unknown, in "+member.ID)
	if en := entry(); !en.ResolvedAt.IsZero() || !en.LastAnnounced.Equal(testNow) {
		t.Errorf("gus's entry %+v, want open, announced on day 0 (its last use not read: never resolved)", en)
	}
	member.Update(func(*sfnlocal.Account) { gus.LastUsedDenied = false })
	run("read again: nothing", 2)
	if en := entry(); !en.ResolvedAt.IsZero() {
		t.Errorf("gus's entry %+v, want still open", en)
	}
	// A test run sends the digest and every checked account's full list, and records nothing.
	run("a test run", 3, "digest: "+agecheck.TestSubjectPrefix+"IAM keys in 2 accounts: 1 unused",
		"member: "+agecheck.TestSubjectPrefix+"1 IAM access key unused for 45 days, in "+member.ID,
		"own: "+agecheck.TestSubjectPrefix+"no IAM access keys older than 90 days, in "+own.ID)
	if en := entry(); !en.LastAnnounced.Equal(testNow) || en.Reminded != 0 {
		t.Errorf("gus's entry %+v after a test run, want as announced on day 0", en)
	}
}
