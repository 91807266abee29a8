package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/ledger"
	"github.com/keyage/keyage/ledger/ledgertest"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// newLedgerEnv is newEnv with the ledger: dynalite behind the real function, which finds the
// table through KEYAGE_LEDGER_TABLE and AWS_ENDPOINT_URL_DYNAMODB as it would in Lambda.
func newLedgerEnv(t *testing.T, account *sfnlocal.Account) (*sfnlocal.Env, *ledger.Table) {
	t.Helper()
	tbl, env := startLedger(t)
	e, _ := startWorld(t, account, nil, false, env)
	return e, tbl
}

// ledgerEntries reads account's entries from the ledger, by key.
func ledgerEntries(t *testing.T, tbl *ledger.Table, account string) map[string]agecheck.Entry {
	t.Helper()
	es, _, err := tbl.Load(context.Background(), account, "none")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]agecheck.Entry{}
	for _, e := range es {
		out[e.Key] = e
	}
	return out
}

// startLedger starts dynalite with the ledger's table (after the harness's check for Node), and
// returns it and the environment that points the function at it.
func startLedger(t *testing.T) (*ledger.Table, map[string]string) {
	t.Helper()
	sfnlocal.SharedHarness(t)
	tbl, endpoint := ledgertest.Start(t)
	return tbl, map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": endpoint, ledger.EnvTable: tbl.Name}
}

// TestLedgerRunsInARow runs the default machine (notify: changes) several times against one
// ledger, "now" moving forward: the first run announces, a run with no change publishes nothing,
// a test run publishes and records nothing, a rotated key is announced resolved once, a reminder
// is due after remindEveryDays, and a publish that fails for good leaves the next run
// announcing the same finding again.
func TestLedgerRunsInARow(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	used := func(k *sfnlocal.AccessKey) *sfnlocal.AccessKey {
		k.LastUsed, k.LastService, k.LastRegion = testNow.Add(-days(1)), "s3", "eu-west-1"
		return k
	}
	alice := used(activeKey(0, 1, testNow.Add(-days(120))))
	bob := used(activeKey(1, 1, testNow.Add(-days(200))))
	a.Add(&sfnlocal.User{Name: "alice", Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{alice}},
		&sfnlocal.User{Name: "bob", Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{bob}},
		&sfnlocal.User{Name: "carol", Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{used(activeKey(2, 1, testNow.Add(-days(10))))}})
	s := config.Defaults()
	s.CheckRootKeys = false
	def := definition(t, s)
	e, tbl := newLedgerEnv(t, a)

	published := 0
	run := func(name string, day int, input map[string]any, status, wantSubject string) {
		t.Helper()
		t.Run(name, func(t *testing.T) {
			if input == nil {
				input = scheduled(testNow.Add(days(day)))
			}
			res := e.Run(t, def, input)
			sfnlocal.WantStatus(t, res, status)
			pubs := e.Tasks.Published()
			switch {
			case wantSubject == "" && len(pubs) != published:
				t.Errorf("published %q, want nothing", pubs[len(pubs)-1].Subject)
			case wantSubject != "" && (len(pubs) != published+1 || pubs[len(pubs)-1].Subject != wantSubject):
				t.Errorf("published %d messages (last %q), want one more: %q", len(pubs)-published, lastSubject(pubs), wantSubject)
			}
			published = len(pubs)
		})
	}
	entries := func() map[string]agecheck.Entry {
		t.Helper()
		return ledgerEntries(t, tbl, testAccount)
	}

	run("first run announces", 0, nil, "SUCCEEDED", "2 new IAM access key findings, in 123456789012")
	if es := entries(); len(es) != 2 || !es[alice.ID].LastAnnounced.Equal(testNow) {
		t.Fatalf("entries after the first run: %+v, want alice's and bob's keys announced at %v", es, testNow)
	}
	var body agecheck.MessageBody
	decodeDefault(t, e.Tasks.Published()[0].Message, &body)
	if body.Changes == nil || body.Changes.NewCount != 2 || len(body.Changes.New) != 2 || body.Changes.New[0].AccessKeyID != bob.ID {
		t.Errorf("first message's changes: %+v, want 2 new, oldest (bob's) first", body.Changes)
	}

	run("no change publishes nothing", 1, nil, "SUCCEEDED", "")
	run("a test run publishes and records nothing", 1, map[string]any{"scheduledTime": testNow.Add(days(1)).Format(time.RFC3339), "test": true},
		"SUCCEEDED", "Test run: 2 IAM access keys older than 90 days, in 123456789012")
	if es := entries(); !es[bob.ID].LastAnnounced.Equal(testNow) {
		t.Errorf("after the test run bob's key was last announced %v, want %v (unchanged)", es[bob.ID].LastAnnounced, testNow)
	}
	// Runs are named e2e-<test name> (sfnlocal.Env.RunRaw); a run keys its observations by name.
	observed := func(subtest string) int {
		_, obs, err := tbl.Load(context.Background(), testAccount, "e2e-"+strings.ReplaceAll(t.Name()+"/"+subtest, "/", "-"))
		if err != nil {
			t.Fatal(err)
		}
		return len(obs.Findings) + len(obs.UncheckedUsers)
	}
	if n, first := observed("a_test_run_publishes_and_records_nothing"), observed("first_run_announces"); n != 0 || first != 2 {
		t.Errorf("the test run recorded %d observations (the first run %d), want none (and 2): a test run touches no ledger", n, first)
	}

	a.Key(alice.ID).Status = "Inactive" // rotated: the old key deactivated
	run("a rotated key is resolved", 2, nil, "SUCCEEDED", "No new IAM access key findings, 1 resolved, in 123456789012")
	if r := entries()[alice.ID]; !r.ResolvedAt.Equal(testNow.Add(days(2))) || !r.ExpiresAt.Equal(testNow.Add(days(2+90))) {
		t.Errorf("alice's entry: %+v, want resolved on day 2 and expiring 90 days later (ledgerRetentionDays)", r)
	}
	run("resolved is said once", 3, nil, "SUCCEEDED", "")
	run("a reminder after remindEveryDays", 7, nil, "SUCCEEDED", "No new IAM access key findings, 1 reminder, in 123456789012")

	dave := used(activeKey(3, 1, testNow.Add(-days(300))))
	a.Add(&sfnlocal.User{Name: "dave", Created: testNow.Add(-days(800)), Keys: []*sfnlocal.AccessKey{dave}})
	e.Tasks.PublishFault = func() *sfnlocal.StatesError {
		return &sfnlocal.StatesError{Error: "SNS.KMSAccessDeniedException", Cause: "denied (Service: Sns, Status Code: 400)"}
	}
	run("a publish that fails for good", 8, nil, "FAILED", "")
	if _, ok := entries()[dave.ID]; ok {
		t.Errorf("dave's key has an entry after a run whose publish failed, want none")
	}
	e.Tasks.PublishFault = nil
	// The failed run's lease is timed by the function's clock, not by the run's "now": a run
	// within LeaseDuration of it (however far its "now") finds it held, announces every finding
	// and records nothing.
	run("lease held: announce all", 9, nil, "SUCCEEDED", "2 IAM access keys older than 90 days, in 123456789012")
	if _, ok := entries()[dave.ID]; ok {
		t.Errorf("dave's key has an entry after a run that found the lease held, want none")
	}
	// LeaseDuration later by the clock, the lease has expired: another run takes it (and gives it up).
	later := time.Now().Add(agecheck.LeaseDuration + time.Second)
	if err := tbl.Acquire(context.Background(), testAccount, "later", later, later.Add(time.Minute)); err != nil {
		t.Fatalf("the failed run's lease, %v after it was taken: %v, want it expired", agecheck.LeaseDuration, err)
	}
	if err := tbl.Release(context.Background(), testAccount, "later"); err != nil {
		t.Fatal(err)
	}
	run("the next run announces it again", 10, nil, "SUCCEEDED", "1 new IAM access key finding, in 123456789012")
	if es := entries(); !es[dave.ID].LastAnnounced.Equal(testNow.Add(days(10))) {
		t.Errorf("dave's entry: %+v, want announced on day 10", es[dave.ID])
	}
}

func lastSubject(pubs []sfnlocal.Publish) string {
	if len(pubs) == 0 {
		return ""
	}
	return pubs[len(pubs)-1].Subject
}

// decodeDefault decodes the default body of a MessageStructure json message.
func decodeDefault(t *testing.T, message string, v any) {
	t.Helper()
	var bodies map[string]string
	if err := json.Unmarshal([]byte(message), &bodies); err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(strings.NewReader(bodies["default"])).Decode(v); err != nil {
		t.Fatal(fmt.Errorf("default body: %w", err))
	}
}

// TestLedgerExemptionExpires: with notify: changes, a key hidden by an exemption is announced,
// once, as "exemption expired" the day after the exemption's end, and not again the day after.
func TestLedgerExemptionExpires(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.Add(
		&sfnlocal.User{Name: "svc-deploy", Keys: []*sfnlocal.AccessKey{activeKey(0, 1, testNow.Add(-days(200)))}},
		&sfnlocal.User{Name: "alice", Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(100)))}},
	)
	s := config.Defaults()
	s.UnusedDays, s.CheckRootKeys = 0, false
	s.Exemptions.List = []agecheck.Exemption{
		{Users: []string{"svc-*"}, Reason: "pipeline migration", Until: agecheck.ParseDate(testNow.Format("2006-01-02"))},
	}
	def := definition(t, s)
	e, _ := newLedgerEnv(t, a)
	for i, want := range []string{
		"1 new IAM access key finding, in 123456789012", // alice; svc-deploy still exempt
		"1 new IAM access key finding, in 123456789012", // svc-deploy: its exemption ended
		"", // nothing new the day after
	} {
		t.Run(fmt.Sprintf("day %d", i), func(t *testing.T) {
			before := len(e.Tasks.Published())
			res := e.Run(t, def, scheduled(testNow.Add(days(i))))
			sfnlocal.WantStatus(t, res, "SUCCEEDED")
			pubs := e.Tasks.Published()
			if want == "" {
				if len(pubs) != before {
					t.Errorf("published %q, want nothing", lastSubject(pubs))
				}
				return
			}
			if len(pubs) != before+1 || pubs[len(pubs)-1].Subject != want {
				t.Fatalf("published %d (last %q), want one: %q", len(pubs)-before, lastSubject(pubs), want)
			}
			var body agecheck.MessageBody
			decodeDefault(t, pubs[len(pubs)-1].Message, &body)
			wantKey, wantReason := keyID(1, 1), agecheck.ReasonNew
			if i == 1 {
				wantKey, wantReason = keyID(0, 1), agecheck.ReasonExemptionExpired
			}
			if c := body.Changes; c == nil || len(c.New) != 1 || c.New[0].AccessKeyID != wantKey || c.New[0].Reason != wantReason {
				t.Errorf("changes %+v, want %s new as %q", body.Changes, wantKey, wantReason)
			}
			// Every digest lists the exemptions: the keys each hid, and whether it ends soon or ended.
			wantStatus, wantKeys := agecheck.ExemptionEndingSoon, 1
			if i == 1 {
				wantStatus, wantKeys = agecheck.ExemptionEnded, 0
			}
			if ex := body.Exemptions; ex == nil || len(ex.Exemptions) != 1 || ex.Exemptions[0].Status != wantStatus || ex.Exemptions[0].Keys != wantKeys {
				t.Errorf("exemptions %+v, want svc-* %s hiding %d keys", body.Exemptions, wantStatus, wantKeys)
			}
			var bodies map[string]string
			if err := json.Unmarshal([]byte(pubs[len(pubs)-1].Message), &bodies); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(bodies["email"], "\nExemptions (the keys each one hid from this check):\n  svc-*: ") {
				t.Errorf("email digest lists no exemptions:\n%s", bodies["email"])
			}
		})
	}
}
