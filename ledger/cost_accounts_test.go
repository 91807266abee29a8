package ledger_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/ledger"
	"github.com/keyage/keyage/ledger/ledgertest"
	"github.com/keyage/keyage/workflow"
)

// TestOrgLedgerCostMatchesDynalite makes, against dynalite, the ledger calls of one account of
// 1,000 users x 2 stale keys in an organization run, as the function makes them: each check
// batch of workflow.MaxBatchSize users observes its findings; the account's result and its own
// message each take the lease and load; an account with something to record (the first run)
// then commits: holds the lease, loads, saves and releases; a quiet one has no commit, and its
// message releases the lease. The first
// run and a run with nothing new must call and consume what workflow.OrgLedgerCost says, the
// figures OrgCost and COST.md price.
func TestOrgLedgerCostMatchesDynalite(t *testing.T) {
	tbl, _ := ledgertest.New(t)
	ctx := context.Background()
	const users = 1000
	findings := make([]agecheck.Finding, 0, 2*users)
	for i := range 2 * users {
		findings = append(findings, finding(i)) // user-%04d, 2 keys each
	}
	for day, first := range []bool{true, false} {
		run := fmt.Sprintf("%0*d", workflow.LedgerRunNameBytes, day) // an execution name of the length the model assumes
		now := t0.AddDate(0, 0, day)
		lr := agecheck.LedgerRun{Run: run, RemindEveryDays: 7, RetentionDays: 90}
		tbl.Stats = &ledger.Stats{}
		for batch := range slices.Chunk(findings, 2*workflow.MaxBatchSize) {
			if err := tbl.Observe(ctx, account, run, batch, nil, nil, now.Add(agecheck.ObservationLifetime)); err != nil {
				t.Fatal(err)
			}
		}
		load := func() agecheck.Changes {
			entries, obs, err := tbl.Load(ctx, account, run)
			if err != nil {
				t.Fatal(err)
			}
			return agecheck.Diff(account, entries, obs, nil, lr, now)
		}
		var c agecheck.Changes
		for range 2 { // the account's result, its own message
			if err := tbl.Acquire(ctx, account, run, now, now.Add(agecheck.LeaseDuration)); err != nil {
				t.Fatal(err)
			}
			c = load()
		}
		if c.Something() != first {
			t.Fatalf("first run %v: changes %v, want something to record on the first run only", first, c.Something())
		}
		if c.Something() { // its commit
			if err := tbl.Hold(ctx, account, run, now.Add(agecheck.LeaseDuration)); err != nil {
				t.Fatal(err)
			}
			if err := tbl.Save(ctx, load().Updates); err != nil {
				t.Fatal(err)
			}
		}
		if err := tbl.Release(ctx, account, run); err != nil { // by the commit, or by a quiet account's message
			t.Fatal(err)
		}
		s := tbl.Stats
		got := workflow.LedgerAccountCost{BatchWriteItem: s.Calls["BatchWriteItem"], Query: s.Calls["Query"], PutItem: s.Calls["PutItem"],
			DeleteItem: s.Calls["DeleteItem"], WriteUnits: s.WriteUnits, ReadUnits: s.ReadUnits}
		want := workflow.OrgLedgerCost(users, first)
		want.USD = 0
		if got != want {
			t.Errorf("first run %v: dynalite measured %+v, workflow.OrgLedgerCost says %+v", first, got, want)
		}
	}
}
