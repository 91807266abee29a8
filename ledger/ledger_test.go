package ledger_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/ledger"
	"github.com/keyage/keyage/ledger/ledgertest"
)

const (
	account = "123456789012"
	other   = "210987654321"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func finding(i int) agecheck.Finding {
	return agecheck.Finding{
		UserName: fmt.Sprintf("user-%04d", i/2), AccessKeyID: fmt.Sprintf("AKIAEXAMPLE%08d", i),
		CreateDate: agecheck.ParseTimestamp("2025-01-02T03:04:05Z"), AgeDays: 423,
		Severity: agecheck.SeverityStale, Kinds: []string{agecheck.KindStale, agecheck.KindUnused},
	}
}

func TestEntriesRoundTrip(t *testing.T) {
	tbl, _ := ledgertest.New(t)
	ctx := context.Background()
	want := []agecheck.Entry{
		{Account: account, Key: "AKIAOPEN", UserName: "alice", Owner: "team-a@example.com", FirstSeen: t0, Severity: agecheck.SeverityStale,
			Kinds: []string{agecheck.KindStale}, LastAnnounced: t0.Add(48 * time.Hour), Reminded: 2, ExemptExpired: true},
		{Account: account, Key: agecheck.RootKey, UserName: "(root user)", FirstSeen: t0, Severity: agecheck.SeverityStale,
			Kinds: []string{agecheck.KindRoot}, LastAnnounced: t0, ResolvedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(91 * 24 * time.Hour)},
		{Account: other, Key: "AKIAOTHER", UserName: "bob", FirstSeen: t0, Severity: agecheck.SeverityWarning, LastAnnounced: t0},
	}
	if err := tbl.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, obs, err := tbl.Load(ctx, account, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(got, func(a, b agecheck.Entry) int { return strings.Compare(a.Key, b.Key) })
	if len(got) != 2 || len(obs.Findings)+len(obs.UncheckedUsers) != 0 {
		t.Fatalf("got %d entries and %+v of account %s, want 2 entries (not the other account's) and no observations", len(got), obs, account)
	}
	for i, w := range []agecheck.Entry{want[0], want[1]} {
		if fmt.Sprint(got[i]) != fmt.Sprint(w) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], w)
		}
	}
}

func TestObservationsAreTheRunsOwn(t *testing.T) {
	tbl, _ := ledgertest.New(t)
	tbl.Stats = &ledger.Stats{}
	ctx := context.Background()
	var findings []agecheck.Finding
	for i := range 60 {
		findings = append(findings, finding(i))
	}
	if err := tbl.Observe(ctx, account, "run-1", findings, []string{"carol", "dave"}, []string{"AKIAUNREAD"}, t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Observe(ctx, account, "run-2", findings[:1], []string{"erin"}, nil, t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := tbl.Stats.Calls["BatchWriteItem"]; got != 3+1 {
		t.Errorf("got %d BatchWriteItem calls for 63 + 2 items, want 4 (25 items each)", got)
	}
	entries, obs, err := tbl.Load(ctx, account, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 || len(obs.Findings) != 60 || !slices.Equal(obs.UncheckedUsers, []string{"carol", "dave"}) ||
		!slices.Equal(obs.UnreadKeys, []string{"AKIAUNREAD"}) {
		t.Fatalf("run-1 loaded %d entries, %d findings, unchecked %v, unread keys %v; want 0, 60, [carol dave], [AKIAUNREAD]",
			len(entries), len(obs.Findings), obs.UncheckedUsers, obs.UnreadKeys)
	}
	got := obs.Findings[7]
	if want := findingByKey(findings, got.AccessKeyID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("finding read back:\n got %+v\nwant %+v", got, want)
	}
}

func findingByKey(fs []agecheck.Finding, key string) agecheck.Finding {
	for _, f := range fs {
		if f.AccessKeyID == key {
			return f
		}
	}
	return agecheck.Finding{}
}

// unprocessing passes BatchWriteItem to dynalite with only the first keep items of each call
// for the first calls calls, and returns the others as UnprocessedItems, as DynamoDB does when
// it is throttled.
type unprocessing struct {
	ledger.API
	mu    sync.Mutex
	calls int
	limit int // calls that leave items unprocessed; -1 for all
	keep  int
	sizes []int
}

func (u *unprocessing) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	u.mu.Lock()
	u.calls++
	provoke := u.limit < 0 || u.calls <= u.limit
	for _, reqs := range in.RequestItems {
		u.sizes = append(u.sizes, len(reqs))
	}
	u.mu.Unlock()
	if !provoke {
		return u.API.BatchWriteItem(ctx, in, opts...)
	}
	sent := map[string][]types.WriteRequest{}
	left := map[string][]types.WriteRequest{}
	for table, reqs := range in.RequestItems {
		k := min(u.keep, len(reqs))
		sent[table], left[table] = reqs[:k], reqs[k:]
	}
	if u.keep == 0 { // DynamoDB processed nothing (dynalite refuses an empty request)
		return &dynamodb.BatchWriteItemOutput{UnprocessedItems: left}, nil
	}
	out, err := u.API.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: sent, ReturnConsumedCapacity: in.ReturnConsumedCapacity}, opts...)
	if err != nil {
		return nil, err
	}
	out.UnprocessedItems = left
	return out, nil
}

func TestUnprocessedItemsAreRetriedWithBackoff(t *testing.T) {
	tbl, _ := ledgertest.New(t)
	u := &unprocessing{API: tbl.API, limit: 2, keep: 10}
	tbl.API = u
	var waits []time.Duration
	tbl.Sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	ctx := context.Background()
	var findings []agecheck.Finding
	for i := range 25 {
		findings = append(findings, finding(i))
	}
	if err := tbl.Observe(ctx, account, "run-1", findings, nil, nil, t0); err != nil {
		t.Fatal(err)
	}
	// 25 sent, 10 kept; 15 sent, 10 kept; 5 sent, all written.
	if !slices.Equal(u.sizes, []int{25, 15, 5}) || len(waits) != 2 {
		t.Errorf("got BatchWriteItem calls of %v items and %d waits, want [25 15 5] and 2", u.sizes, len(waits))
	}
	for i, w := range waits {
		if limit := 50 * time.Millisecond << i; w <= 0 || w > limit {
			t.Errorf("wait %d is %v, want in (0, %v]: full jitter over 50ms doubling", i+1, w, limit)
		}
	}
	_, obs, err := tbl.Load(ctx, account, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Findings) != 25 {
		t.Errorf("got %d findings stored, want all 25", len(obs.Findings))
	}
}

func TestUnprocessedItemsFailAfterMaxAttempts(t *testing.T) {
	tbl, _ := ledgertest.New(t)
	tbl.API = &unprocessing{API: tbl.API, limit: -1, keep: 0}
	tbl.MaxAttempts = 3
	tbl.Sleep = func(context.Context, time.Duration) error { return nil }
	err := tbl.Save(context.Background(), []agecheck.Entry{{Account: account, Key: "AKIA1"}, {Account: account, Key: "AKIA2"}})
	if err == nil || !strings.Contains(err.Error(), "2 of 2 items still unprocessed after 3 attempts") {
		t.Errorf("got %v, want the count of items left unprocessed after 3 attempts", err)
	}
}

func TestLeaseIsAConditionalRunMarker(t *testing.T) {
	tbl, _ := ledgertest.New(t)
	ctx := context.Background()
	until := t0.Add(agecheck.LeaseDuration)
	if err := tbl.Acquire(ctx, account, "scheduled", t0, until); err != nil {
		t.Fatalf("first run: %v", err)
	}
	// A manual run during the scheduled one: dynalite refuses the conditional put.
	err := tbl.Acquire(ctx, account, "manual", t0.Add(time.Minute), t0.Add(time.Minute+agecheck.LeaseDuration))
	if !errors.Is(err, agecheck.ErrLedgerBusy) {
		t.Fatalf("concurrent run: got %v, want ErrLedgerBusy", err)
	}
	if err := tbl.Acquire(ctx, other, "manual", t0, until); err != nil {
		t.Errorf("another account's lease is its own: %v", err)
	}
	if err := tbl.Acquire(ctx, account, "scheduled", t0.Add(time.Minute), until); err != nil {
		t.Errorf("the holder again (a retried report): %v", err)
	}
	if err := tbl.Release(ctx, account, "manual"); !errors.Is(err, ledger.ErrLeaseLost) {
		t.Errorf("release by a run that does not hold it: got %v, want ErrLeaseLost", err)
	}
	if err := tbl.Release(ctx, account, "scheduled"); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := tbl.Acquire(ctx, account, "manual", t0.Add(2*time.Minute), t0.Add(2*time.Minute+agecheck.LeaseDuration)); err != nil {
		t.Errorf("after release: %v", err)
	}
	// A run that failed before its commit leaves the lease; it expires.
	if err := tbl.Acquire(ctx, account, "next", t0.Add(2*time.Minute+agecheck.LeaseDuration), t0.Add(time.Hour)); err != nil {
		t.Errorf("after expiry: %v", err)
	}
}

// TestCommitWithALostLeaseWritesNothing: a run's commit writes entries only under its own
// lease, expired or not (Hold): when its lease expired and another run took it, the commit
// writes nothing, does not fail, and leaves the other run's lease; when the other run has
// released it since, the commit takes no lease either; under its own expired lease, which no
// run took, it records and releases.
func TestCommitWithALostLeaseWritesNothing(t *testing.T) {
	tbl, _ := ledgertest.New(t)
	ctx := context.Background()
	lr := agecheck.LedgerRun{Run: "slow", RemindEveryDays: 7, RetentionDays: 90}
	if err := tbl.Observe(ctx, account, lr.Run, []agecheck.Finding{finding(1)}, nil, nil, t0.Add(agecheck.ObservationLifetime)); err != nil {
		t.Fatal(err)
	}
	if err := tbl.Acquire(ctx, account, lr.Run, t0, t0.Add(agecheck.LeaseDuration)); err != nil {
		t.Fatal(err)
	}
	clock := t0.Add(agecheck.LeaseDuration + time.Minute)
	if err := tbl.Acquire(ctx, account, "next", clock, clock.Add(agecheck.LeaseDuration)); err != nil {
		t.Fatalf("another run after the lease expired: %v", err)
	}
	var logs strings.Builder
	h := &agecheck.Handler{Ledger: tbl, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Clock: func() time.Time { return clock }}
	commit, err := json.Marshal(agecheck.Event{Op: agecheck.OpCommit, Now: agecheck.ParseTimestamp("2026-03-01T08:00:00Z"),
		Policy: agecheck.Policy{MaxAgeDays: 90}, Account: account, Commit: &agecheck.Commit{Now: agecheck.ParseTimestamp("2026-03-01T08:00:00Z"), Ledger: lr}})
	if err != nil {
		t.Fatal(err)
	}
	entries := func() int {
		t.Helper()
		es, _, err := tbl.Load(ctx, account, lr.Run)
		if err != nil {
			t.Fatal(err)
		}
		return len(es)
	}
	if _, err := h.Invoke(ctx, commit); err != nil || entries() != 0 {
		t.Errorf("commit under another run's lease: error %v, %d entries; want nothing recorded and no error", err, entries())
	}
	if !strings.Contains(logs.String(), agecheck.LeaseLostLogMessage) {
		t.Errorf("logs %s, want %q", logs.String(), agecheck.LeaseLostLogMessage)
	}
	if err := tbl.Acquire(ctx, account, "third", clock, clock.Add(agecheck.LeaseDuration)); !errors.Is(err, agecheck.ErrLedgerBusy) {
		t.Errorf("the other run's lease after the commit: got %v, want it still held (ErrLedgerBusy)", err)
	}
	if err := tbl.Release(ctx, account, "next"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Invoke(ctx, commit); err != nil || entries() != 0 {
		t.Errorf("commit after the other run released the lease: error %v, %d entries; want nothing recorded", err, entries())
	}
	if err := tbl.Release(ctx, account, lr.Run); !errors.Is(err, ledger.ErrLeaseLost) {
		t.Errorf("the lease after that commit: release by %q got %v, want ErrLeaseLost (no lease taken)", lr.Run, err)
	}
	// Its own lease, expired, which no other run took: the commit records and releases it.
	if err := tbl.Acquire(ctx, account, lr.Run, t0, t0.Add(agecheck.LeaseDuration)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Invoke(ctx, commit); err != nil || entries() != 1 {
		t.Errorf("commit under its own expired lease: error %v, %d entries; want 1 recorded", err, entries())
	}
	if err := tbl.Hold(ctx, account, lr.Run, clock.Add(agecheck.LeaseDuration)); !errors.Is(err, ledger.ErrLeaseLost) {
		t.Errorf("hold after the commit released the lease: got %v, want ErrLeaseLost", err)
	}
}

// TestMailClaimIsOncePerRunAndOwner: a run claims an owner's mail once (a conditional put that
// dynalite refuses the second time), another run or owner has its own claim, a removed claim
// can be taken again, and claims are not observations or entries.
func TestMailClaimIsOncePerRunAndOwner(t *testing.T) {
	tbl, _ := ledgertest.New(t)
	ctx := context.Background()
	expires := t0.Add(agecheck.ObservationLifetime)
	if err := tbl.ClaimMail(ctx, account, "run-1", "alice@example.com", expires); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	if err := tbl.ClaimMail(ctx, account, "run-1", "alice@example.com", expires); !errors.Is(err, agecheck.ErrMailClaimed) {
		t.Fatalf("the same run again (a retried report): got %v, want ErrMailClaimed", err)
	}
	for _, c := range []struct{ account, run, owner string }{{account, "run-2", "alice@example.com"}, {account, "run-1", "bob@example.com"}, {other, "run-1", "alice@example.com"}} {
		if err := tbl.ClaimMail(ctx, c.account, c.run, c.owner, expires); err != nil {
			t.Errorf("claim %+v: %v, want its own claim", c, err)
		}
	}
	if err := tbl.UnclaimMail(ctx, account, "run-1", "alice@example.com"); err != nil {
		t.Fatalf("unclaim: %v", err)
	}
	if err := tbl.ClaimMail(ctx, account, "run-1", "alice@example.com", expires); err != nil {
		t.Errorf("claim after the failed send's unclaim: %v", err)
	}
	entries, obs, err := tbl.Load(ctx, account, "run-1")
	if err != nil || len(entries) != 0 || len(obs.Findings)+len(obs.UncheckedUsers)+len(obs.UnreadKeys) != 0 {
		t.Errorf("Load after mail claims: %v entries, %+v, err %v; want nothing", entries, obs, err)
	}
}
