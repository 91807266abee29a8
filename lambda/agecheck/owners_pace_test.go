package agecheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

// emailOwnersSummary has one stale key for each of n owners that are email addresses.
func emailOwnersSummary(n int) Summary {
	var findings []Finding
	for i := range n {
		f := finding(fmt.Sprintf("user-%02d", i), fmt.Sprintf("AKIA%016d", i), 200)
		f.Owner = fmt.Sprintf("owner-%02d@example.com", i)
		findings = append(findings, f)
	}
	slices.SortStableFunc(findings, compareFindings)
	return Summary{Counts: Counts{Flagged: n, Stale: n}, Findings: findings}
}

// pacedClock is a clock that only Wait moves, with a deadline after which Wait refuses.
type pacedClock struct {
	now, deadline time.Time
	waits         []time.Duration
}

func (c *pacedClock) clock() time.Time { return c.now }

func (c *pacedClock) wait(_ context.Context, d time.Duration) error {
	c.waits = append(c.waits, d)
	if c.now.Add(d).After(c.deadline) {
		return errors.New("out of time")
	}
	c.now = c.now.Add(d)
	return nil
}

// TestMailOwnersPacedToSendRate: mails start one send interval apart at ownerEmail.maxSendRate
// (and at SES's sandbox rate, 1 per second, when it is not set), so SES takes every one; when
// the next wait would outlast the invocation, the owners left are listed as not sent.
func TestMailOwnersPacedToSendRate(t *testing.T) {
	start := ParseTimestamp("2026-11-23T08:00:00Z").Time()
	cases := []struct {
		name       string
		rate       int
		timeLeft   time.Duration
		wantGap    time.Duration
		wantMailed int
	}{
		{"sandbox default", 0, time.Hour, time.Second, 12},
		{"4 per second", 4, time.Hour, 250 * time.Millisecond, 12},
		{"time runs out", 2, 2 * time.Second, 500 * time.Millisecond, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &pacedClock{now: start, deadline: start.Add(tc.timeLeft)}
			var sentAt []time.Time
			h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Clock: c.clock, Wait: c.wait,
				OwnerMail: func(context.Context, OwnerEmail, OwnerMail) error {
					sentAt = append(sentAt, c.now)
					return nil
				}}
			o := &Owners{TagKeys: []string{"owner"}, Email: &OwnerEmail{From: "keyage@example.com", MaxSendRate: tc.rate}}
			r := invoke[Report](t, h, reportEvent(emailOwnersSummary(12), o))
			if len(sentAt) != tc.wantMailed {
				t.Fatalf("got %d mails, want %d", len(sentAt), tc.wantMailed)
			}
			for i := 1; i < len(sentAt); i++ {
				if gap := sentAt[i].Sub(sentAt[i-1]); gap != tc.wantGap {
					t.Errorf("mail %d started %v after the one before, want %v", i, gap, tc.wantGap)
				}
			}
			_, body := decodeMessage(t, r)
			var unmailed []OwnerFailure
			if body.Owners != nil {
				unmailed = body.Owners.Unmailed
			}
			if len(unmailed) != 12-tc.wantMailed {
				t.Fatalf("got %d owners unmailed, want %d", len(unmailed), 12-tc.wantMailed)
			}
			for _, f := range unmailed {
				if !strings.HasPrefix(f.Error, "not sent: ") {
					t.Errorf("unmailed %s with %q, want not sent", f.Owner, f.Error)
				}
			}
			// After the wait that ran out, no other is tried: the owners left are listed at once.
			if want := tc.wantMailed - 1 + min(1, 12-tc.wantMailed); len(c.waits) != want {
				t.Errorf("got %d waits, want %d", len(c.waits), want)
			}
		})
	}
}

// TestMailOwnersTimerGivesUpBeforeDeadline: the default wait (a timer) does not begin a wait
// that would end after the invocation's deadline: the second owner is listed as not sent at
// once, rather than when the invocation times out.
func TestMailOwnersTimerGivesUpBeforeDeadline(t *testing.T) {
	var mailed int
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		OwnerMail: func(context.Context, OwnerEmail, OwnerMail) error { mailed++; return nil }}
	ctx, cancel := context.WithTimeout(context.Background(), LookupReserve+300*time.Millisecond)
	defer cancel()
	begun := time.Now()
	out, err := h.Invoke(ctx, mustJSON(t, reportEvent(emailOwnersSummary(2), &Owners{TagKeys: []string{"owner"}, Email: &OwnerEmail{From: "keyage@example.com"}})))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(begun); took > 250*time.Millisecond {
		t.Errorf("the report took %v, want no wait begun that would outlast the deadline", took)
	}
	var r Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	_, body := decodeMessage(t, r)
	if mailed != 1 || body.Owners == nil || len(body.Owners.Unmailed) != 1 || !strings.Contains(body.Owners.Unmailed[0].Error, errWaitPastDeadline.Error()) {
		t.Errorf("got %d mailed and digest owners %+v, want 1 mailed and the other not sent, the wait past the deadline", mailed, body.Owners)
	}
}

func TestOwnerEmailMaxSendRateRange(t *testing.T) {
	for _, rate := range []int{-1, MaxMaxSendRate + 1} {
		o := Owners{TagKeys: []string{"owner"}, Email: &OwnerEmail{From: "keyage@example.com", MaxSendRate: rate}}
		got := o.Validate()
		if len(got) != 1 || got[0].Field != "email.maxSendRate" || got[0].Value != fmt.Sprint(rate) || !strings.Contains(got[0].Allowed, "from 1 to 1000") {
			t.Errorf("rate %d: got %+v, want email.maxSendRate out of range, 1 to 1000", rate, got)
		}
	}
	for _, rate := range []int{0, 1, MaxMaxSendRate} {
		if got := (Owners{TagKeys: []string{"owner"}, Email: &OwnerEmail{From: "keyage@example.com", MaxSendRate: rate}}).Validate(); len(got) != 0 {
			t.Errorf("rate %d: got %+v, want no problem", rate, got)
		}
	}
}
