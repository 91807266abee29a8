package ledger_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/ledger"
	"github.com/keyage/keyage/ledger/ledgertest"
	"github.com/keyage/keyage/workflow"
)

// On-demand prices in us-east-1 (FACTS.md): per write and read request unit.
const (
	pricePerWRU = 0.625 / 1e6
	pricePerRRU = 0.125 / 1e6
)

// Scale of the benchmark: 5,000 users with 2 stale keys each, checked in batches of 5 users
// (workflow.MaxBatchSize), as the state machine's children check them.
const (
	benchUsers     = 5000
	benchBatchSize = 5
)

func benchFindings(offset int) []agecheck.Finding {
	out := make([]agecheck.Finding, 0, 2*benchUsers)
	for u := range benchUsers {
		for k := range 2 {
			f := finding(offset + 2*u + k)
			f.UserName = fmt.Sprintf("user-%04d", u)
			out = append(out, f)
		}
	}
	return out
}

// ledgerRun makes the ledger calls of one single-account run, as the function makes them: each
// check batch observes its findings; the report takes the lease (Acquire), loads and diffs;
// when there is something to record, the commit holds the lease (Hold), loads and diffs again,
// saves and releases; otherwise the report releases the lease.
func ledgerRun(ctx context.Context, tb testing.TB, tbl *ledger.Table, account, run string, findings []agecheck.Finding, now time.Time) agecheck.Changes {
	tb.Helper()
	lr := agecheck.LedgerRun{Run: run, RemindEveryDays: 7, RetentionDays: 90}
	for batch := range slices.Chunk(findings, 2*benchBatchSize) {
		if err := tbl.Observe(ctx, account, run, batch, nil, nil, now.Add(agecheck.ObservationLifetime)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tbl.Acquire(ctx, account, run, now, now.Add(agecheck.LeaseDuration)); err != nil {
		tb.Fatal(err)
	}
	load := func() agecheck.Changes {
		entries, obs, err := tbl.Load(ctx, account, run)
		if err != nil {
			tb.Fatal(err)
		}
		return agecheck.Diff(account, entries, obs, nil, lr, now)
	}
	c := load()
	if c.Something() { // the commit
		if err := tbl.Hold(ctx, account, run, now.Add(agecheck.LeaseDuration)); err != nil {
			tb.Fatal(err)
		}
		c = load()
		if err := tbl.Save(ctx, c.Updates); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tbl.Release(ctx, account, run); err != nil { // by the commit, or by the report with nothing to record
		tb.Fatal(err)
	}
	return c
}

// TestLedgerCostMatchesDynalite makes, against dynalite, the ledger calls of a single-account
// run (ledgerRun) at the benchmark's scale and with an execution name of the length the model
// assumes: the first run and a run with nothing new must call and consume what
// workflow.LedgerCost says, the figures of the README's ledger table and its monthly costs.
func TestLedgerCostMatchesDynalite(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 findings through dynalite")
	}
	tbl, _ := ledgertest.New(t)
	ctx := context.Background()
	findings := benchFindings(0)
	for day, first := range []bool{true, false} {
		run := fmt.Sprintf("%0*d", workflow.LedgerRunNameBytes, day)
		tbl.Stats = &ledger.Stats{}
		ledgerRun(ctx, t, tbl, account, run, findings, t0.AddDate(0, 0, day))
		s := tbl.Stats
		got := workflow.LedgerAccountCost{BatchWriteItem: s.Calls["BatchWriteItem"], Query: s.Calls["Query"], PutItem: s.Calls["PutItem"],
			DeleteItem: s.Calls["DeleteItem"], WriteUnits: s.WriteUnits, ReadUnits: s.ReadUnits}
		want := workflow.LedgerCost(benchUsers, first)
		want.USD = 0
		if got != want {
			t.Errorf("first run %v: dynalite measured %+v, workflow.LedgerCost says %+v", first, got, want)
		}
	}
}

// BenchmarkLedgerRun reports the ledger's calls and consumed capacity (as dynalite computes it,
// by DynamoDB's rules) for one run at 5,000 users x 2 stale keys: the first run, which
// announces all 10,000 findings, and a run with nothing new, which writes only its
// observations. Figures are per run: go test ./ledger -run '^$' -bench LedgerRun -benchtime 1x.
func BenchmarkLedgerRun(b *testing.B) {
	tbl, _ := ledgertest.New(b)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, quiet := range []bool{false, true} {
		name := map[bool]string{false: "first", true: "nothingNew"}[quiet]
		b.Run(name, func(b *testing.B) {
			for i := range b.N {
				account := fmt.Sprintf("%012d", 100000+i+map[bool]int{false: 0, true: 50000}[quiet])
				findings := benchFindings(0)
				// Execution names of the length workflow's model assumes (a UUID's): observations' keys hold them.
				if quiet {
					tbl.Stats = nil
					ledgerRun(ctx, b, tbl, account, fmt.Sprintf("%0*d", workflow.LedgerRunNameBytes, 0), findings, t0)
				}
				tbl.Stats = &ledger.Stats{}
				c := ledgerRun(ctx, b, tbl, account, fmt.Sprintf("%0*d", workflow.LedgerRunNameBytes, 1), findings, t0.Add(24*time.Hour))
				if want := map[bool]int{false: 2 * benchUsers, true: 0}[quiet]; len(c.New) != want {
					b.Fatalf("%d new, want %d", len(c.New), want)
				}
				s := tbl.Stats
				for _, op := range []string{"BatchWriteItem", "Query", "PutItem", "DeleteItem"} {
					b.ReportMetric(float64(s.Calls[op]), op+"-calls/run")
				}
				b.ReportMetric(s.WriteUnits, "WRU/run")
				b.ReportMetric(s.ReadUnits, "RRU/run")
				b.ReportMetric(s.WriteUnits*pricePerWRU+s.ReadUnits*pricePerRRU, "USD/run")
				if testing.Verbose() {
					b.Logf("%s: calls %v, items %v, %.0f WRU, %.1f RRU", name, s.Calls, s.Items, s.WriteUnits, s.ReadUnits)
				}
			}
		})
	}
}

// TestLedgerRunIsBatched: at 5,000 users x 2 stale keys, every write goes in batches (one
// BatchWriteItem per check batch of 5 users, 25 entries per BatchWriteItem in the commit) and
// every read in 1 MB Query pages; the second run, with nothing new, writes no entry.
func TestLedgerRunIsBatched(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 findings through dynalite")
	}
	tbl, _ := ledgertest.New(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	findings := benchFindings(0)
	for i, want := range []struct {
		writes, writtenItems int
	}{
		{benchUsers/benchBatchSize + 2*benchUsers/ledger.MaxBatchWrite, 2 * 2 * benchUsers}, // observations, then every entry
		{benchUsers / benchBatchSize, 2 * benchUsers},                                       // observations only
	} {
		tbl.Stats = &ledger.Stats{}
		ledgerRun(ctx, t, tbl, account, fmt.Sprintf("run-%d", i), findings, t0.Add(time.Duration(i)*24*time.Hour))
		s := tbl.Stats
		if s.Calls["BatchWriteItem"] != want.writes || s.Items["BatchWriteItem"] != want.writtenItems || s.WriteUnits < float64(want.writtenItems) {
			t.Errorf("run %d: %d BatchWriteItem calls of %d items (%.0f WRU), want %d calls of %d items", i+1,
				s.Calls["BatchWriteItem"], s.Items["BatchWriteItem"], s.WriteUnits, want.writes, want.writtenItems)
		}
		if s.Calls["Query"] > 16 || s.Items["Query"] < 2*2*benchUsers {
			t.Errorf("run %d: %d Query calls returning %d items, want at most 16 pages for the report's and the commit's reads", i+1, s.Calls["Query"], s.Items["Query"])
		}
		t.Logf("run %d: calls %v, items %v, %.0f WRU, %.1f RRU", i+1, s.Calls, s.Items, s.WriteUnits, s.ReadUnits)
	}
}
