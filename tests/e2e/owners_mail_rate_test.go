package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// TestOwnerMailPacedToSESRate: 40 owners who are email addresses, SES taking at most 20 mails
// in any second (as it enforces an account's maximum send rate) and rejecting one recipient, and
// ownerEmail.maxSendRate 20: every other owner is mailed exactly once, SES throttles no send,
// and the digest lists the rejected owner with SES's error.
func TestOwnerMailPacedToSESRate(t *testing.T) {
	t.Parallel()
	const owners, rate = 40, 20
	a := sfnlocal.NewAccount(testAccount)
	for i := range owners {
		a.Add(&sfnlocal.User{Name: fmt.Sprintf("user-%02d", i), Created: testNow.Add(-days(1000)),
			Tags: map[string]string{"owner": fmt.Sprintf("owner-%02d@example.com", i)},
			Keys: []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(200)))}})
	}
	s := config.Defaults()
	s.Ledger.Notify = agecheck.NotifyEveryRun
	s.Owners.Email = &agecheck.OwnerEmail{From: "keyage@example.com", MaxSendRate: rate}
	const rejected = "owner-07@example.com"

	e, _, ses := newOwnersLedgerEnv(t, a)
	ses.LimitRate(rate)
	ses.Reject(rejected, "Email address is not verified. The following identities failed the check in region US-EAST-1: "+rejected)
	begun := time.Now()
	res := e.Run(t, definition(t, s), scheduled(testNow))
	sfnlocal.WantStatus(t, res, "SUCCEEDED")

	if n := ses.Throttled(); n != 0 {
		t.Errorf("SES throttled %d sends, want none: mail is paced to %d per second", n, rate)
	}
	mailed := map[string]int{}
	for _, m := range ses.Sent() {
		mailed[m.Destination.ToAddresses[0]]++
	}
	for i := range owners {
		o := fmt.Sprintf("owner-%02d@example.com", i)
		if want := map[bool]int{true: 0, false: 1}[o == rejected]; mailed[o] != want {
			t.Errorf("%s was mailed %d times, want %d", o, mailed[o], want)
		}
	}
	var digest sfnlocal.Publish
	for _, pub := range e.Tasks.Published() {
		if pub.TopicARN == testTopic {
			digest = pub
		}
	}
	body, _ := message(t, digest)
	if body.Owners == nil || len(body.Owners.Unmailed) != 1 || body.Owners.Unmailed[0].Owner != rejected ||
		!strings.Contains(body.Owners.Unmailed[0].Error, "MessageRejected") {
		t.Errorf("digest owners = %+v, want %s unmailed with SES's MessageRejected, every other owner mailed", body.Owners, rejected)
	}
	t.Logf("%d mails at %d per second in a run of %v", len(ses.Sent()), rate, time.Since(begun).Round(time.Millisecond))
}
