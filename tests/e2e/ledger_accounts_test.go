package e2e

import (
	"strings"
	"testing"

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
// moving forward: the first run announces every account's findings, root keys per account; a
// run with no change publishes nothing; an account that cannot be scanned is announced and its
// keys are not resolved; a key rotated in one account is resolved once; a publish that fails
// for good leaves the next run announcing again.
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

	published := 0
	var last agecheck.OrgMessageBody
	run := func(name string, day int, status, wantSubject string) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			res := e.Run(t, def, scheduled(testNow.Add(days(day))))
			sfnlocal.WantStatus(t, res, status)
			pubs := delivered(t, config.DigestFilterPolicy, e.Tasks.Published()) // the digests
			switch {
			case wantSubject == "" && len(pubs) != published:
				t.Errorf("published %q, want nothing", pubs[len(pubs)-1].Subject)
			case wantSubject != "" && (len(pubs) != published+1 || pubs[len(pubs)-1].Subject != wantSubject):
				t.Errorf("published %d messages (last %q), want one more: %q", len(pubs)-published, lastSubject(pubs), wantSubject)
			case wantSubject != "":
				last = agecheck.OrgMessageBody{}
				decodeDefault(t, pubs[len(pubs)-1].Message, &last)
			}
			published = len(pubs)
		})
	}
	entries := func(account string) map[string]agecheck.Entry {
		t.Helper()
		return ledgerEntries(t, tbl, account)
	}

	run("first run announces", 0, "SUCCEEDED", "IAM keys in 3 accounts: 5 new")
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

	run("no change publishes nothing", 1, "SUCCEEDED", "")

	m2.SetRoleUntrusted(true)
	run("an unchecked account is announced", 2, "SUCCEEDED", "IAM keys in 3 accounts: 1 account unchecked")
	if sec, ok := section(last, m2.ID); !ok || sec.Status != agecheck.AccountUnchecked || last.Changes == nil || last.Changes.Resolved != 0 {
		t.Errorf("section %+v, changes %+v; want %s unchecked and nothing resolved", sec, last.Changes, m2.ID)
	}
	for _, k := range []string{carol.ID, dan.ID} {
		if r := entries(m2.ID)[k]; !r.ResolvedAt.IsZero() {
			t.Errorf("account %s key %s resolved while the account was not read: %+v", m2.ID, k, r)
		}
	}
	run("an unchecked account is announced every run", 3, "SUCCEEDED", "IAM keys in 3 accounts: 1 account unchecked")
	m2.SetRoleUntrusted(false)

	m1.Key(bob.ID).Status = "Inactive" // rotated: the old key deactivated
	run("a rotated key is resolved", 4, "SUCCEEDED", "IAM keys in 3 accounts: nothing new, 1 resolved")
	if r := entries(m1.ID)[bob.ID]; !r.ResolvedAt.Equal(testNow.Add(days(4))) {
		t.Errorf("bob's entry %+v, want resolved on day 4", r)
	}
	if sec, ok := section(last, m1.ID); !ok || sec.Changes == nil || len(sec.Changes.Resolved) != 1 || sec.Changes.Resolved[0].AccessKeyID != bob.ID {
		t.Errorf("account %s's section %+v, want bob's key resolved", m1.ID, sec)
	}
	for _, k := range []string{carol.ID, dan.ID} {
		if r := entries(m2.ID)[k]; !r.ResolvedAt.IsZero() || !r.LastAnnounced.Equal(testNow) {
			t.Errorf("account %s key %s: %+v, want open, announced on day 0 (read again, not due)", m2.ID, k, r)
		}
	}
	run("resolved is said once", 5, "SUCCEEDED", "")

	erin := used(activeKey(5, 1, testNow.Add(-days(400))))
	m2.Add(user("erin", erin))
	e.Tasks.PublishFault = func() *sfnlocal.StatesError {
		return &sfnlocal.StatesError{Error: "SNS.KMSAccessDeniedException", Cause: "denied (Service: Sns, Status Code: 400)"}
	}
	run("a publish that fails for good", 6, "FAILED", "")
	if _, ok := entries(m2.ID)[erin.ID]; ok {
		t.Errorf("erin's key has an entry after a run whose publish failed, want none")
	}
	e.Tasks.PublishFault = nil
	run("the next run announces it again", 7, "SUCCEEDED", "IAM keys in 3 accounts: 1 new, 4 reminders")
	if r := entries(m2.ID)[erin.ID]; !r.LastAnnounced.Equal(testNow.Add(days(7))) {
		t.Errorf("erin's entry %+v, want announced on day 7", r)
	}
	_, _, email := orgDigestAt(t, e, published-1)
	newAt, remindAt, totalsAt := strings.Index(email, "\nNew (1):"), strings.Index(email, "\nReminders (4):"), strings.Index(email, "Organization totals:")
	if newAt < 0 || remindAt < newAt || totalsAt < remindAt {
		t.Errorf("the last digest's email, want New (1), then Reminders (4), then the totals:\n%s", email)
	}
}
