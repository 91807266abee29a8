package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// staleAccount is an account of n users, each with two active keys older than maxAgeDays and
// never used: every key is a finding (stale and unused).
func staleAccount(id string, n int) *sfnlocal.Account {
	a := sfnlocal.NewAccount(id)
	a.RootAccessKeys = true
	for i := range n {
		a.Add(&sfnlocal.User{Name: fmt.Sprintf("user-%05d", i), Created: testNow.Add(-days(2000)), Keys: []*sfnlocal.AccessKey{
			activeKey(i, 1, testNow.Add(-days(91+i%1500))),
			activeKey(i, 2, testNow.Add(-days(91+(i*7)%1500)-time.Hour)),
		}})
	}
	return a
}

// BenchmarkOrganization20Accounts5000Users: an organization of 20 accounts (the deploying one and
// 19 members, one page of ListAccounts) of 5,000 users each, every key stale and unused, run
// through the real function. It fails when any state, task or child payload exceeds 256 KiB or an
// execution's history 25,000 events, or when a count is not exact, and reports the largest state,
// the most history events of one Standard execution, the child executions, and the run's exact
// findings and accounts. One iteration takes minutes: scripts/test runs it once (-benchtime 1x).
func BenchmarkOrganization20Accounts5000Users(b *testing.B) {
	const accounts, users = 20, 5000
	s := orgSettings()
	s.Organization.AccountConcurrency = config.MaxAccountConcurrency
	def := definition(b, s)
	var res *sfnlocal.Result
	var body agecheck.OrgMessageBody
	var perAccount int
	for b.Loop() {
		b.StopTimer()
		own := staleAccount(testAccount, users)
		org := &sfnlocal.Organization{Accounts: []sfnlocal.OrgAccount{{ID: testAccount}}}
		var members []*sfnlocal.Account
		var want agecheck.Counts
		for i := range accounts - 1 {
			m := staleAccount(fmt.Sprintf("%012d", 600000000000+i), users)
			members = append(members, m)
			org.Accounts = append(org.Accounts, sfnlocal.OrgAccount{ID: m.ID})
		}
		for _, a := range append([]*sfnlocal.Account{own}, members...) {
			want = addCounts(want, expect(a, s.Policy(), testNow).counts)
		}
		e, _ := newOrgEnv(b, own, org, members...)
		e.RunTimeout = 30 * time.Minute
		b.StartTimer()
		res = e.Run(b, def, scheduled(testNow))
		b.StopTimer()
		if res.Status != "SUCCEEDED" {
			b.Fatalf("execution %s: %+v", res.Status, res.Error)
		}
		if res.Largest.Bytes > sfnlocal.PayloadLimit || len(res.Violations) > 0 {
			b.Fatalf("largest state %v, violations %+v: over %d bytes", res.Largest, res.Violations, sfnlocal.PayloadLimit)
		}
		if res.History.MaxEvents > sfnlocal.HistoryLimit || res.History.MaxEvents == 0 {
			b.Fatalf("history of %s: %d events, want 1..%d", res.History.Scope, res.History.MaxEvents, sfnlocal.HistoryLimit)
		}
		pubs := e.Tasks.Published()
		_, body, _ = orgDigest(b, e)
		if body.Counts != want || body.Accounts.Checked != accounts || want.Stale != 2*accounts*users {
			b.Fatalf("digest counts %+v, accounts %+v; want %+v over %d accounts (every key stale)", body.Counts, body.Accounts, want, accounts)
		}
		perAccount = len(pubs) - 1
		if perAccount != accounts {
			b.Fatalf("%d account messages, want one per account (%d)", perAccount, accounts)
		}
		for _, p := range pubs {
			if len(p.Message) > agecheck.MaxMessageBytes {
				b.Fatalf("a message of %d bytes, over agecheck.MaxMessageBytes", len(p.Message))
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(res.Largest.Bytes), "max-state-bytes")
	b.ReportMetric(float64(res.History.MaxEvents), "max-history-events")
	b.ReportMetric(float64(res.Transitions.ChildExecutions), "child-executions")
	b.ReportMetric(float64(body.Counts.Stale), "stale-keys")
	b.ReportMetric(float64(body.Accounts.Checked), "accounts")
	b.ReportMetric(float64(perAccount), "account-messages")
	b.Logf("largest state %v; most history events %d (%s); transitions root %d, children %d", res.Largest, res.History.MaxEvents,
		res.History.Scope, res.Transitions.Root, res.Transitions.Children)
}

// addCounts adds the scan counts of b to a.
func addCounts(a, b agecheck.Counts) agecheck.Counts {
	return sumCounts(expectation{counts: a}, expectation{counts: b})
}
