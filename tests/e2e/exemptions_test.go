package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// TestExemptionExpiresBetweenRuns: two scheduled runs of the real definition and function, a day
// apart. The exemption holds through its until day: the first run hides the exempt user's stale
// key, counts it against the exemption and lists the exemption as ending within 14 days. The
// next day it has ended: the key is a finding again, marked with the exemption that ended, and
// the digest says the exemption no longer exempts.
func TestExemptionExpiresBetweenRuns(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.Add(
		&sfnlocal.User{Name: "svc-deploy", Keys: []*sfnlocal.AccessKey{activeKey(0, 1, testNow.Add(-days(200)))}},
		&sfnlocal.User{Name: "alice", Keys: []*sfnlocal.AccessKey{activeKey(1, 1, testNow.Add(-days(100)))}},
		&sfnlocal.User{Name: "bg-1", Keys: []*sfnlocal.AccessKey{activeKey(2, 1, testNow.Add(-days(300)))}},
	)
	s := everyRun()
	s.UnusedDays = 0
	s.Exemptions.List = []agecheck.Exemption{
		{Users: []string{"svc-*"}, Reason: "pipeline migration", Until: agecheck.ParseDate(testNow.Format("2006-01-02"))},
		{Users: []string{"bg-*"}, Reason: "break-glass"},
	}
	p := s.Policy()
	def := definition(t, s)

	for _, run := range []struct {
		name        string
		days        int
		subject     string
		exemptKeys  []int
		svcStatus   string
		emailPhrase string
	}{
		{"on the last day", 0, "1 IAM access key older than 90 days, in 123456789012", []int{1, 1}, agecheck.ExemptionEndingSoon,
			"Ending within 14 days: svc-* on 2026-03-02."},
		{"the day after", 1, "2 IAM access keys older than 90 days, in 123456789012", []int{0, 1}, agecheck.ExemptionEnded,
			"svc-*: ENDED on 2026-03-02, no longer exempts"},
	} {
		t.Run(run.name, func(t *testing.T) {
			now := testNow.Add(days(run.days))
			e := newEnv(t, a)
			res := e.Run(t, def, scheduled(now))
			sfnlocal.WantStatus(t, res, "SUCCEEDED")
			want := expect(a, p, now)
			body := checkMessage(t, e, want, p, run.subject, agecheck.SeverityStale)
			ex := body.Exemptions
			if ex == nil || len(ex.Exemptions) != 2 {
				t.Fatalf("digest exemptions = %+v, want both", ex)
			}
			if got := []int{ex.Exemptions[0].Keys, ex.Exemptions[1].Keys}; got[0] != run.exemptKeys[0] || got[1] != run.exemptKeys[1] {
				t.Errorf("keys hidden per exemption = %v, want %v", got, run.exemptKeys)
			}
			if ex.Exemptions[0].Status != run.svcStatus || ex.Exemptions[1].Status != agecheck.ExemptionHolds {
				t.Errorf("statuses = %s, %s; want %s, %s", ex.Exemptions[0].Status, ex.Exemptions[1].Status, run.svcStatus, agecheck.ExemptionHolds)
			}
			_, email := message(t, e.Tasks.Published()[0])
			if !strings.Contains(email, run.emailPhrase) {
				t.Errorf("email lacks %q:\n%s", run.emailPhrase, email)
			}
			marked := 0
			for _, f := range body.Findings {
				if f.ExemptionExpired != "" {
					marked++
				}
			}
			if wantMarked := run.days; marked != wantMarked {
				t.Errorf("%d findings marked exemption expired, want %d", marked, wantMarked)
			}
		})
	}
}

// TestTagExemptions: with tagExemptions on, the real function reads the tags of the users with
// findings (iam:ListUserTags, through the fake IAM, within maxConcurrency); a tag exemption that
// holds hides its user's key, one ending too far ahead is refused and reported, and both are
// listed in the digest.
func TestTagExemptions(t *testing.T) {
	t.Parallel()
	a := sfnlocal.NewAccount(testAccount)
	a.Latency = 5 * time.Millisecond
	in10 := testNow.AddDate(0, 0, 10).Format(time.DateOnly)
	in60 := testNow.AddDate(0, 0, 60).Format(time.DateOnly)
	for i := range 30 {
		u := &sfnlocal.User{Name: fmt.Sprintf("user-%02d", i), Keys: []*sfnlocal.AccessKey{activeKey(i, 1, testNow.Add(-days(10)))}}
		switch i {
		case 3:
			u.Keys[0].Created = testNow.Add(-days(120))
			u.Tags = map[string]string{agecheck.TagExemptUntil: in10, agecheck.TagExemptReason: "vendor cut-over"}
		case 4:
			u.Keys[0].Created = testNow.Add(-days(120))
			u.Tags = map[string]string{agecheck.TagExemptUntil: in60, agecheck.TagExemptReason: "someday"}
		case 5:
			u.Keys[0].Created = testNow.Add(-days(120))
		case 6: // tagged, but no finding: its tags are not read
			u.Tags = map[string]string{agecheck.TagExemptUntil: in10, agecheck.TagExemptReason: "x"}
		}
		a.Add(u)
	}
	s := everyRun()
	s.UnusedDays = 0
	s.MaxConcurrency = 3
	s.Exemptions.FromTags, s.Exemptions.MaxTagDays = true, 30
	e, _ := scan(t, a, s, "SUCCEEDED")
	if got := a.UserTagsCalls(); len(got) != 3 || got["user-03"] != 1 || got["user-04"] != 1 || got["user-05"] != 1 {
		t.Errorf("ListUserTags calls %v, want one each for the users with findings (user-03, -04, -05)", got)
	}
	if got := a.MaxInFlight(); got > s.MaxConcurrency {
		t.Errorf("%d IAM calls in flight at once, want at most maxConcurrency %d", got, s.MaxConcurrency)
	}
	pubs := e.Tasks.Published()
	if len(pubs) != 1 {
		t.Fatalf("published %d messages, want 1", len(pubs))
	}
	body, email := message(t, pubs[0])
	if body.Counts.Stale != 2 || body.Counts.Exempt != 1 {
		t.Errorf("counts %+v, want 2 stale (user-04, user-05) and 1 exempt (user-03)", body.Counts)
	}
	ex := body.Exemptions
	if ex == nil || ex.TagExemptionCount != 2 || len(ex.TagExemptions) != 2 ||
		ex.TagExemptions[0].Status != agecheck.TagExemptionHolds || ex.TagExemptions[1].Status != agecheck.TagExemptionRefused {
		t.Fatalf("digest exemptions %+v, want user-03's holding and user-04's refused", ex)
	}
	for _, want := range []string{"user-03: exempt until " + in10 + ", 1 key hidden; reason: vendor cut-over",
		"user-04: REFUSED (keyage-exempt-until " + in60 + ": ends more than maxTagExemptionDays (30) ahead"} {
		if !strings.Contains(email, want) {
			t.Errorf("email lacks %q:\n%s", want, email)
		}
	}
}
