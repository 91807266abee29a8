package agecheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// These tests pin boundaries that a one-character slip in the code would move (found by hand
// mutation: each fails on such a slip and passes on the real code).

func TestCheckExemptUserWhoseKeysCouldNotBeReadIsNotUnchecked(t *testing.T) {
	users := []UserKeys{
		{UserName: "Break-Glass", Error: &ScanError{Error: "Iam.IamException", Cause: "Rate exceeded"}},
		{UserName: "bob", Error: &ScanError{Error: "States.Timeout"}},
	}
	s, err := Check(users, Policy{MaxAgeDays: 90, ExemptUsers: []string{"break-glass"}}, testNow)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if s.Unchecked != 1 || len(s.UncheckedUsers) != 1 || s.UncheckedUsers[0].UserName != "bob" {
		t.Errorf("got unchecked=%d %+v, want only bob (an exempt user's keys would not have been judged)",
			s.Unchecked, s.UncheckedUsers)
	}
}

func TestTrimListsExactlyMaxUncheckedListed(t *testing.T) {
	for _, n := range []int{MaxUncheckedListed, MaxUncheckedListed + 1} {
		s := Summary{Counts: Counts{Unchecked: n}}
		for i := range n {
			s.UncheckedUsers = append(s.UncheckedUsers, UncheckedUser{UserName: fmt.Sprintf("u%03d", i), Error: "E"})
		}
		trimmed := s.Trim(MaxSummaryBytes)
		if want := n > MaxUncheckedListed; trimmed != want {
			t.Errorf("%d unchecked users: Trim reported %v, want %v", n, trimmed, want)
		}
		if len(s.UncheckedUsers) != MaxUncheckedListed || s.Unchecked != n {
			t.Errorf("%d unchecked users: %d listed, count %d; want %d listed, count %d",
				n, len(s.UncheckedUsers), s.Unchecked, MaxUncheckedListed, n)
		}
	}
}

func TestTrimShortensCausesBeyondMaxCauseLengthOnly(t *testing.T) {
	s := Summary{Counts: Counts{Unchecked: 3}, UncheckedUsers: []UncheckedUser{
		{UserName: "a", Error: "E", Cause: strings.Repeat("x", MaxCauseLength)},
		{UserName: "b", Error: "E", Cause: strings.Repeat("y", MaxCauseLength+1)},
		{UserName: "c", Error: "E", Cause: "short"},
	}}
	if !s.Trim(MaxSummaryBytes) {
		t.Error("Trim reported nothing trimmed, want the cause one byte too long shortened")
	}
	for i, want := range []int{MaxCauseLength, MaxCauseLength, len("short")} {
		if got := len(s.UncheckedUsers[i].Cause); got != want {
			t.Errorf("cause of %s is %d bytes, want %d", s.UncheckedUsers[i].UserName, got, want)
		}
	}
	atLimit := Summary{Counts: Counts{Unchecked: 1}, UncheckedUsers: []UncheckedUser{{UserName: "a", Error: "E", Cause: strings.Repeat("x", MaxCauseLength)}}}
	if atLimit.Trim(MaxSummaryBytes) {
		t.Error("Trim reported a cause of exactly MaxCauseLength bytes as trimmed")
	}
}

func TestTrimKeepsFindingsThatFitExactly(t *testing.T) {
	full := Summary{Counts: Counts{Users: 10, Stale: 10}}
	for i := range 10 {
		full.Findings = append(full.Findings, finding(fmt.Sprintf("user%d", i), fmt.Sprintf("AKIA%d", i), 400-i))
	}
	for keep := 1; keep < len(full.Findings); keep++ {
		prefix := full
		prefix.Findings = full.Findings[:keep]
		budget := jsonSize(&prefix) // a budget that the first keep findings fill to the byte
		s := full
		s.Findings = append([]Finding(nil), full.Findings...)
		if !s.Trim(budget) {
			t.Errorf("budget %d: Trim reported nothing trimmed", budget)
		}
		if len(s.Findings) != keep {
			t.Errorf("budget %d bytes, exactly the size with %d findings: kept %d", budget, keep, len(s.Findings))
		}
		if size := jsonSize(&s); size != budget {
			t.Errorf("budget %d: trimmed summary is %d bytes", budget, size)
		}
		// One byte less and the last of them no longer fits (the first finding also costs
		// the "findings" key).
		s = full
		s.Findings = append([]Finding(nil), full.Findings...)
		s.Trim(budget - 1)
		if len(s.Findings) != keep-1 || jsonSize(&s) > budget-1 {
			t.Errorf("budget %d bytes: kept %d findings in %d bytes, want %d", budget-1, len(s.Findings), jsonSize(&s), keep-1)
		}
	}
}

func TestTrimNeverExceedsTheBudgetWithUncheckedUsers(t *testing.T) {
	base := Summary{Counts: Counts{Unchecked: 20, Stale: 1}, Findings: []Finding{finding("a", "AKIA1", 100)}}
	for i := range 20 {
		base.UncheckedUsers = append(base.UncheckedUsers, UncheckedUser{UserName: fmt.Sprintf("u%02d", i), Error: "E", Cause: strings.Repeat("c", 40)})
	}
	for budget := 200; budget <= 2000; budget += 3 {
		s := base
		s.Findings = append([]Finding(nil), base.Findings...)
		s.UncheckedUsers = append([]UncheckedUser(nil), base.UncheckedUsers...)
		s.Trim(budget)
		size := jsonSize(&s)
		if size > budget {
			t.Fatalf("budget %d: trimmed summary is %d bytes", budget, size)
		}
		// Shedding stops as soon as it fits: one more listed user would not have.
		if n := len(s.UncheckedUsers); len(s.Findings) == 0 && n < len(base.UncheckedUsers) {
			more := s
			more.UncheckedUsers = base.UncheckedUsers[:n+1]
			if grown := jsonSize(&more); grown <= budget {
				t.Fatalf("budget %d: kept %d unchecked users though %d fit (%d bytes)", budget, n, n+1, grown)
			}
		}
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 keys", 1: "1 key", 2: "2 keys"} {
		if got := plural(n, "key", "keys"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestSubjectAtTheLengthLimit(t *testing.T) {
	p := Policy{MaxAgeDays: 90}
	prefix := "1 IAM access key older than 90 days, in "
	for total := maxSubjectLength - 2; total <= maxSubjectLength+2; total++ {
		account := strings.Repeat("1", total-len(prefix))
		natural := prefix + account
		got := Subject(Summary{Counts: Counts{Stale: 1}}, p, account)
		if len(got) > maxSubjectLength {
			t.Errorf("%d-character natural subject: got %d characters", total, len(got))
		}
		if total <= maxSubjectLength {
			if got != natural {
				t.Errorf("%d-character subject fits, got %q, want %q", total, got, natural)
			}
		} else if !strings.HasPrefix(got, "IAM keys in ") {
			t.Errorf("%d-character subject is too long: got %q, want the compact form", total, got)
		}
	}
}

func TestReportBudgetCountsTheMessageEscaped(t *testing.T) {
	// User names full of quotes and backslashes double in size when the message, a string,
	// is JSON-encoded into the function's result: that encoding must fit MaxMessageBytes. The
	// 300 findings make a message that fits unescaped (about 170 KB) but not escaped (290 KB).
	var s Summary
	name := strings.Repeat(`"\`, 30)
	for i := range 300 {
		s.Stale++
		s.Findings = append(s.Findings, finding(fmt.Sprintf("%s%04d", name, i), fmt.Sprintf("AKIA%016d", i), 2000-i))
	}
	r := NewReport(s, Policy{MaxAgeDays: 90}, testAccount, testNow)
	if size := jsonSize(r.Message); size > MaxMessageBytes {
		t.Errorf("JSON-encoded message is %d bytes, want <= %d", size, MaxMessageBytes)
	}
	_, body := decodeMessage(t, r)
	if !body.Truncated || len(body.Findings) == 0 || len(body.Findings) >= 300 {
		t.Errorf("got %d findings shown, truncated=%v; want some of 300 and truncated", len(body.Findings), body.Truncated)
	}
}

func TestReportTruncatedWhenOnlyUncheckedUsersAreCut(t *testing.T) {
	// A merged summary lists at most MaxUncheckedListed users; the count stays exact.
	s := Summary{Counts: Counts{Users: 7, Stale: 1, Unchecked: 5},
		Findings:       []Finding{finding("alice", "AKIA1", 100)},
		UncheckedUsers: []UncheckedUser{{UserName: "u1", Error: "E"}, {UserName: "u2", Error: "E"}},
	}
	r := NewReport(s, Policy{MaxAgeDays: 90}, testAccount, testNow)
	m, body := decodeMessage(t, r)
	if !body.Truncated {
		t.Error("default body: truncated is false though 2 of 5 unchecked users are listed")
	}
	if want := "This message shows 1 of 1 flagged keys and 2 of 5 unchecked users"; !strings.Contains(m.Email, want) {
		t.Errorf("email does not say %q:\n%s", want, m.Email)
	}
}

func TestEmailCountsZeroInPlural(t *testing.T) {
	r := NewReport(Summary{Counts: Counts{Users: 1, Stale: 1}, Findings: []Finding{finding("alice", "AKIA1", 100)}}, Policy{MaxAgeDays: 90}, testAccount, testNow)
	var m snsMessage
	if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
		t.Fatal(err)
	}
	if want := "Not judged: 0 keys of exempt users, 0 inactive keys, 0 users deleted during the scan."; !strings.Contains(m.Email, want) {
		t.Errorf("email does not say %q:\n%s", want, m.Email)
	}
}

func TestLastUsedText(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{}, "unknown"},
		{Finding{LastUsedService: "s3"}, "unknown"},
		{Finding{LastUsedService: neverUsedService, LastUsedRegion: neverUsedService}, "never"},
		{Finding{LastUsedDate: "2026-11-20T17:04:00Z", LastUsedService: "s3", LastUsedRegion: "eu-west-1"}, "2026-11-20 (s3, eu-west-1)"},
		{Finding{LastUsedDate: "2026-11-20T17:04:00Z", LastUsedService: neverUsedService, LastUsedRegion: neverUsedService}, "2026-11-20"},
		{Finding{LastUsedDate: "2026-11-20T17:04:00Z", LastUsedRegion: "us-east-1"}, "2026-11-20 (us-east-1)"},
	}
	for _, tt := range tests {
		if got := lastUsedText(tt.f); got != tt.want {
			t.Errorf("lastUsedText(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestHandlerCheckLooksUpTheRestAfterAFailedLookup(t *testing.T) {
	var looked []string
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		LastUsed: func(_ context.Context, _, id string) (LastUsed, error) {
			looked = append(looked, id)
			if id == "AKIAOLDEST" {
				return LastUsed{}, errors.New("AccessDenied")
			}
			return LastUsed{Date: testNow.Add(-time.Hour), ServiceName: "s3", Region: "eu-west-1"}, nil
		},
	}
	ev := Event{Op: OpCheck, Now: ParseTimestamp(formatTime(testNow)), Account: testAccount, Policy: Policy{MaxAgeDays: 90},
		Users: []UserKeys{{UserName: "alice", Keys: []AccessKey{
			activeKey("AKIAOLDEST", ago(days(300))), activeKey("AKIANEWER", ago(days(200))),
		}}}}
	s := invokeSummary(t, h, ev)
	if strings.Join(looked, ",") != "AKIAOLDEST,AKIANEWER" {
		t.Errorf("looked up %v, want both keys: one failed lookup must not stop the others", looked)
	}
	if len(s.Findings) != 2 || s.Findings[1].LastUsedService != "s3" || s.Findings[0].LastUsedService != "" {
		t.Errorf("got findings %+v, want the newer key's last use (s3) and none for the failed lookup", s.Findings)
	}
}

func TestDecodeAccountIsExactlyTwelveDigits(t *testing.T) {
	for account, ok := range map[string]bool{
		"123456789012": true, "1234567890123": false, "12345678901": false, "12345678901a": false, "12345678901２": false,
	} {
		ev := fmt.Sprintf(`{"op":"check","policy":{"maxAgeDays":90},"now":"2026-11-23T08:00:00Z","account":%q}`, account)
		_, err := Decode([]byte(ev))
		var inv *InvalidInputError
		switch {
		case ok && err != nil:
			t.Errorf("account %q: %v", account, err)
		case !ok && (!errors.As(err, &inv) || !strings.Contains(err.Error(), "12-digit")):
			t.Errorf("account %q: got %v, want an *InvalidInputError asking for a 12-digit account ID", account, err)
		}
	}
}
