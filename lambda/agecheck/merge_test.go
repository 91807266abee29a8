package agecheck

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// finding builds a stale finding created the given number of days before testNow.
func finding(user, id string, ageDays int) Finding {
	return Finding{
		UserName: user, AccessKeyID: id, AgeDays: ageDays, Severity: SeverityStale, Kinds: []string{KindStale},
		CreateDate: timestampAt(testNow.Add(-days(ageDays) - time.Hour)),
	}
}

func TestMergeAddsCountsAndOrders(t *testing.T) {
	prev := &Summary{Counts: Counts{Users: 10, Compliant: 7, Stale: 2, Warning: 1, Exempt: 3, Flagged: 2 + 1},
		Findings: []Finding{finding("a", "AKIA1", 300), finding("b", "AKIA2", 100)},
	}
	results := []Summary{
		{Counts: Counts{Users: 5, Deleted: 1, Unchecked: 1, Inactive: 2, Stale: 1, Flagged: 1},
			Findings:       []Finding{finding("c", "AKIA3", 200)},
			UncheckedUsers: []UncheckedUser{{UserName: "z", Error: "Iam.IamException"}}},
		{Counts: Counts{Users: 3, Unchecked: 1, Warning: 1, Flagged: 1},
			UncheckedUsers: []UncheckedUser{{UserName: "y", Error: "States.Timeout"}}},
		{},
	}
	got := must(Merge(prev, results))
	wantCounts := Counts{Users: 18, Deleted: 1, Unchecked: 2, Exempt: 3, Inactive: 2, Compliant: 7, Warning: 2, Stale: 3, Flagged: 3 + 2}
	if c := got.Counts; c != wantCounts {
		t.Errorf("got counts %+v, want %+v", c, wantCounts)
	}
	var order []string
	for _, f := range got.Findings {
		order = append(order, f.AccessKeyID)
	}
	if want := []string{"AKIA1", "AKIA3", "AKIA2"}; !reflect.DeepEqual(order, want) {
		t.Errorf("got findings %v, want oldest first %v", order, want)
	}
	if got.UncheckedUsers[0].UserName != "y" || got.UncheckedUsers[1].UserName != "z" {
		t.Errorf("got unchecked %+v, want y then z", got.UncheckedUsers)
	}
	if prev.Users != 10 || len(results[0].Findings) != 1 {
		t.Errorf("Merge modified its inputs")
	}
}

func TestMergeFirstPage(t *testing.T) {
	got := must(Merge(nil, []Summary{{Counts: Counts{Users: 2, Compliant: 2}}}))
	if got.Users != 2 || got.Compliant != 2 || got.Findings != nil || got.UncheckedUsers != nil {
		t.Errorf("got %+v, want 2 users, 2 compliant and no lists", got)
	}
	empty := must(Merge(nil, nil))
	b, _ := json.Marshal(empty)
	if string(b) != `{"users":0,"deleted":0,"unchecked":0,"exempt":0,"inactive":0,"compliant":0,"flagged":0,"warning":0,"stale":0,"unused":0,"lastUsedUnknown":0}` {
		t.Errorf("got %s for an empty merge, want all counts 0 and no lists", b)
	}
}

// bigResults is 5,000 users x 2 stale keys in 100 children, plus 150 unchecked users with
// maximal causes: far beyond MaxSummaryBytes.
func bigResults() []Summary {
	var results []Summary
	for c := range 100 {
		s := Summary{Counts: Counts{Users: 52, Stale: 100, Unchecked: 2, Flagged: 100}}
		for u := range 50 {
			name := fmt.Sprintf("user-%03d-%02d-%s", c, u, strings.Repeat("x", 50))
			for k := range 2 {
				s.Findings = append(s.Findings, finding(name, fmt.Sprintf("AKIA%04d%02d%d", c, u, k), 100+(c*50+u)%3000))
			}
		}
		for u := range 2 {
			s.UncheckedUsers = append(s.UncheckedUsers, UncheckedUser{
				UserName: fmt.Sprintf("unchecked-%03d-%d", c, u), Error: "Iam.IamException",
				Cause: strings.Repeat("Rate exceeded. ", 20)[:MaxCauseLength],
			})
		}
		slices.SortFunc(s.Findings, compareFindings)
		results = append(results, s)
	}
	return results
}

func TestMergeTrimsToBudgetKeepingOldest(t *testing.T) {
	results := bigResults()
	var all []Finding
	for _, r := range results {
		all = append(all, r.Findings...)
	}
	slices.SortFunc(all, compareFindings)

	got := must(Merge(nil, results))
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxSummaryBytes {
		t.Errorf("merged summary is %d bytes, want <= %d", len(b), MaxSummaryBytes)
	}
	if got.Stale != 10000 || got.Users != 5200 || got.Unchecked != 200 {
		t.Errorf("got stale=%d users=%d unchecked=%d, want exact counts 10000, 5200, 200", got.Stale, got.Users, got.Unchecked)
	}
	if len(got.UncheckedUsers) != MaxUncheckedListed {
		t.Errorf("got %d unchecked users listed, want %d", len(got.UncheckedUsers), MaxUncheckedListed)
	}
	n := len(got.Findings)
	if n == 0 || n >= len(all) {
		t.Fatalf("got %d findings kept, want some but fewer than %d", n, len(all))
	}
	if !reflect.DeepEqual(got.Findings, all[:n]) {
		t.Errorf("kept findings are not the %d oldest", n)
	}
	// The budget is used well: one more finding would not have fitted.
	more := got
	more.Findings = all[:n+1]
	if b2, _ := json.Marshal(more); len(b2) <= MaxSummaryBytes {
		t.Errorf("trim kept %d findings (%d bytes) though %d fit (%d bytes)", n, len(b), n+1, len(b2))
	}

	// Merging the trimmed summary with nothing new keeps it as it is.
	again := must(Merge(&got, nil))
	if !reflect.DeepEqual(again, got) {
		t.Errorf("re-merging a trimmed summary changed it")
	}
}

func TestTrimShedsUncheckedWhenTheyAloneAreTooLarge(t *testing.T) {
	s := Summary{Counts: Counts{Unchecked: 50, Stale: 1, Flagged: 1}, Findings: []Finding{finding("a", "AKIA1", 100)}}
	for i := range 50 {
		s.UncheckedUsers = append(s.UncheckedUsers, UncheckedUser{UserName: fmt.Sprintf("u%02d", i), Error: "E", Cause: strings.Repeat("c", 300)})
	}
	if !must(s.Trim(2000)) {
		t.Fatal("Trim reported nothing trimmed")
	}
	b, _ := json.Marshal(s)
	if len(b) > 2000 || len(s.Findings) != 0 || len(s.UncheckedUsers) == 0 || s.Unchecked != 50 {
		t.Errorf("got %d bytes, %d findings, %d unchecked listed, unchecked=%d; want <= 2000 bytes, 0 findings, some listed, 50",
			len(b), len(s.Findings), len(s.UncheckedUsers), s.Unchecked)
	}
	for _, u := range s.UncheckedUsers {
		if len(u.Cause) != MaxCauseLength {
			t.Errorf("cause of %s is %d bytes, want %d", u.UserName, len(u.Cause), MaxCauseLength)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	s := "aé" // 'é' is 2 bytes
	if got := truncateUTF8(s, 2); got != "a" {
		t.Errorf("truncateUTF8(%q, 2) = %q, want %q", s, got, "a")
	}
	if got := truncateUTF8(s, 3); got != s {
		t.Errorf("truncateUTF8(%q, 3) = %q, want %q", s, got, s)
	}
}

func TestTrimListsExactlyMaxUncheckedListed(t *testing.T) {
	for _, n := range []int{MaxUncheckedListed, MaxUncheckedListed + 1} {
		s := Summary{Counts: Counts{Unchecked: n}}
		for i := range n {
			s.UncheckedUsers = append(s.UncheckedUsers, UncheckedUser{UserName: fmt.Sprintf("u%03d", i), Error: "E"})
		}
		trimmed := must(s.Trim(MaxSummaryBytes))
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
	if !must(s.Trim(MaxSummaryBytes)) {
		t.Error("Trim reported nothing trimmed, want the cause one byte too long shortened")
	}
	for i, want := range []int{MaxCauseLength, MaxCauseLength, len("short")} {
		if got := len(s.UncheckedUsers[i].Cause); got != want {
			t.Errorf("cause of %s is %d bytes, want %d", s.UncheckedUsers[i].UserName, got, want)
		}
	}
	atLimit := Summary{Counts: Counts{Unchecked: 1}, UncheckedUsers: []UncheckedUser{{UserName: "a", Error: "E", Cause: strings.Repeat("x", MaxCauseLength)}}}
	if must(atLimit.Trim(MaxSummaryBytes)) {
		t.Error("Trim reported a cause of exactly MaxCauseLength bytes as trimmed")
	}
}

func TestTrimKeepsFindingsThatFitExactly(t *testing.T) {
	full := Summary{Counts: Counts{Users: 10, Stale: 10, Flagged: 10}}
	for i := range 10 {
		full.Findings = append(full.Findings, finding(fmt.Sprintf("user%d", i), fmt.Sprintf("AKIA%d", i), 400-i))
	}
	for keep := 1; keep < len(full.Findings); keep++ {
		prefix := full
		prefix.Findings = full.Findings[:keep]
		budget := must(jsonSize(&prefix)) // a budget that the first keep findings fill to the byte
		s := full
		s.Findings = append([]Finding(nil), full.Findings...)
		if !must(s.Trim(budget)) {
			t.Errorf("budget %d: Trim reported nothing trimmed", budget)
		}
		if len(s.Findings) != keep {
			t.Errorf("budget %d bytes, exactly the size with %d findings: kept %d", budget, keep, len(s.Findings))
		}
		if size := must(jsonSize(&s)); size != budget {
			t.Errorf("budget %d: trimmed summary is %d bytes", budget, size)
		}
		// One byte less and the last of them no longer fits (the first finding also costs
		// the "findings" key).
		s = full
		s.Findings = append([]Finding(nil), full.Findings...)
		must(s.Trim(budget - 1))
		if len(s.Findings) != keep-1 || must(jsonSize(&s)) > budget-1 {
			t.Errorf("budget %d bytes: kept %d findings in %d bytes, want %d", budget-1, len(s.Findings), must(jsonSize(&s)), keep-1)
		}
	}
}

func TestTrimNeverExceedsTheBudgetWithUncheckedUsers(t *testing.T) {
	base := Summary{Counts: Counts{Unchecked: 20, Stale: 1, Flagged: 1}, Findings: []Finding{finding("a", "AKIA1", 100)}}
	for i := range 20 {
		base.UncheckedUsers = append(base.UncheckedUsers, UncheckedUser{UserName: fmt.Sprintf("u%02d", i), Error: "E", Cause: strings.Repeat("c", 40)})
	}
	for budget := 200; budget <= 2000; budget += 3 {
		s := base
		s.Findings = append([]Finding(nil), base.Findings...)
		s.UncheckedUsers = append([]UncheckedUser(nil), base.UncheckedUsers...)
		must(s.Trim(budget))
		size := must(jsonSize(&s))
		if size > budget {
			t.Fatalf("budget %d: trimmed summary is %d bytes", budget, size)
		}
		// Shedding stops as soon as it fits: one more listed user would not have.
		if n := len(s.UncheckedUsers); len(s.Findings) == 0 && n < len(base.UncheckedUsers) {
			more := s
			more.UncheckedUsers = base.UncheckedUsers[:n+1]
			if grown := must(jsonSize(&more)); grown <= budget {
				t.Fatalf("budget %d: kept %d unchecked users though %d fit (%d bytes)", budget, n, n+1, grown)
			}
		}
	}
}

// must returns v, panicking on err: for Merge, Trim, NewReport and jsonSize, whose only error
// is a JSON encoding that cannot fail for the values the tests build.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
