package workflow

import (
	"math"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

func TestOrgCost(t *testing.T) {
	// Each account's scan compares with a single-account run without the ledger: the ledger's
	// states and DynamoDB requests are counted apart (the commit Map, OrgLedgerCost).
	everyRun := config.Defaults()
	everyRun.Ledger.Notify = agecheck.NotifyEveryRun
	single, err := CostFor(config.MustCheck(everyRun), 1000)
	if err != nil {
		t.Fatal(err)
	}
	one, err := OrgCost(1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// The deploying account alone: its scan as a single run, plus the fold (2 states), its own
	// message (5: set aside, report, choice, publish, done), one page of accounts (5) in which its
	// own child is skipped (1 child started, 3 states), and the ledger's: IsTestRun, then after
	// Notify HasCommit, RecordAnnounced (no iteration: nothing new to record) and Done where the
	// single run without a ledger has Notified.
	if want := single.Transitions + 2 + 5 + 5 + 1 + 3 + 1 + 2; one.Transitions != want {
		t.Errorf("OrgCost(1): %d transitions, want %d", one.Transitions, want)
	}
	if want := single.LambdaInvocations + 3; one.LambdaInvocations != want {
		t.Errorf("OrgCost(1): %d invocations, want %d (fold, one merge and its own report besides the single run's; no commit)", one.LambdaInvocations, want)
	}
	if want := OrgLedgerCost(1000, false); one.Ledger != want || want.USD <= 0 {
		t.Errorf("OrgCost(1): ledger %+v, want %+v", one.Ledger, want)
	}
	for _, n := range []int{10, 100, 500} {
		c, err := OrgCost(n, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if c.AccountPages != (n+19)/20 {
			t.Errorf("OrgCost(%d): %d account pages, want %d", n, c.AccountPages, (n+19)/20)
		}
		// Each added account costs a single run less its input states, report and publish
		// (under $0.0003), plus the overhead per account and its ledger.
		perAccount := (c.RunUSD - one.RunUSD) / float64(n-1)
		if scan := perAccount - c.OverheadPerAccountUSD - c.Ledger.USD; scan > single.RunUSD || scan < single.RunUSD-0.0003 {
			t.Errorf("OrgCost(%d): $%.6f per added account less the overhead ($%.6f) and the ledger ($%.6f) is $%.6f, want a single run's scan (a bit under $%.6f)",
				n, perAccount, c.OverheadPerAccountUSD, c.Ledger.USD, scan, single.RunUSD)
		}
		// Transitions: each account's scan is a single run's less its 5 input states and 4
		// report states (the root check stays); each child adds its entry (3 choices,
		// AccountInit), its result and its own message (5) and the parent's transition for
		// starting it; with nothing new, no commit.
		if extra := c.Transitions - one.Transitions - (n-1)*(single.Transitions-9) - (c.AccountPages-1)*5; extra != (n-1)*10 {
			t.Errorf("OrgCost(%d): %d transitions beyond the scans and pages, want %d (10 per child)", n, extra, (n-1)*10)
		}
		if extra := c.LambdaInvocations - one.LambdaInvocations - (n-1)*(single.LambdaInvocations-1); extra != 2*(n-1)+c.AccountPages-1 {
			t.Errorf("OrgCost(%d): %d invocations beyond the scans, want %d (a result and a report per child, a merge per page)", n, extra, 2*(n-1)+c.AccountPages-1)
		}
	}
	if c, _ := OrgCost(500, 1000); math.Abs(c.OverheadPerAccountUSD) < 1e-7 || c.OverheadPerAccountUSD > 0.001 {
		t.Errorf("overhead per account $%.6f, want a small positive amount", c.OverheadPerAccountUSD)
	}
}

// TestOrgLedgerCost: an account's ledger calls are batched as the ledger batches them (one
// BatchWriteItem per check batch, the commit's entries 25 to a call, one Query page per MB);
// a run with nothing new takes two leases and loads (result, message), writes only its
// observations and reads every entry, and has no commit (its message releases the lease); the
// first run also commits (a third lease and load, every entry written, the release).
// Package ledger's TestOrgLedgerCostMatchesDynalite holds the figures to dynalite's.
func TestOrgLedgerCost(t *testing.T) {
	for _, tt := range []struct {
		users int
		first bool
		want  LedgerAccountCost
	}{
		// 2 loads of 2,000 entries (176 bytes: 86 read units) and 2,000 observations (263 bytes: 129).
		{1000, false, LedgerAccountCost{BatchWriteItem: 200, Query: 4, PutItem: 2, DeleteItem: 1, WriteUnits: 2003, ReadUnits: 430}},
		{1000, true, LedgerAccountCost{BatchWriteItem: 280, Query: 6, PutItem: 3, DeleteItem: 1, WriteUnits: 4004, ReadUnits: 387}},
		// 10,000 entries take 2 pages, 10,000 observations 3.
		{5000, false, LedgerAccountCost{BatchWriteItem: 1000, Query: 10, PutItem: 2, DeleteItem: 1, WriteUnits: 10003}},
	} {
		got := OrgLedgerCost(tt.users, tt.first)
		want := tt.want
		if want.ReadUnits == 0 {
			want.ReadUnits = got.ReadUnits
		}
		want.USD = want.WriteUnits*PriceDynamoDBWriteUnit + want.ReadUnits*PriceDynamoDBReadUnit
		if got != want {
			t.Errorf("OrgLedgerCost(%d, first %v): got %+v, want %+v", tt.users, tt.first, got, want)
		}
	}
}
