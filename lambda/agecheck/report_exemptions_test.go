package agecheck

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/golden"
)

// exemptionsPolicy has an exemption of each state at testNow (2026-11-23T08:00Z): ending
// within 14 days, ending later, with no end, ended, and exemptUsers.
func exemptionsPolicy() Policy {
	return Policy{MaxAgeDays: 90, WarnAgeDays: 75, ExemptUsers: []string{"svc-*"}, TagExemptions: true, MaxTagExemptionDays: 90,
		Exemptions: []Exemption{
			{Users: []string{"break-glass-*"}, Reason: "emergency access, keys in the safe", Until: date("2026-12-06")},
			{Users: []string{"ci", "cd"}, Reason: "pipeline migration", Until: date("2026-12-07")},
			{Users: []string{"vendor"}, Reason: "vendor integration"},
			{Users: []string{"legacy-*"}, Reason: "old batch jobs", Until: date("2026-11-22")},
		}}
}

func exemptionsSummary() Summary {
	s := goldenSummary()
	s.Findings[0].ExemptionExpired = "legacy-* (until 2026-11-22)"
	s.ExemptionKeys = []int{2, 1, 0, 0, 3}
	s.Exempt = 6 + 1
	s.TagExemptions = []TagExemption{
		{UserName: "erin", Reason: "vendor", Until: "2026-12-20", Status: TagExemptionHolds, Keys: 1},
		{UserName: "frank", Reason: "forever", Until: "2030-01-01", Status: TagExemptionRefused, Problem: "ends more than maxTagExemptionDays (90) ahead: at most 2027-02-21"},
	}
	s.TagExemptionCount = 3
	return s
}

// TestReportExemptionsGolden: every exemption is listed with the keys it hid; the one ending in
// 14 days is called out and the one ending in 15 is not; the ended one is marked, and so is the
// finding it no longer hides; tag exemptions are listed with their reason and end or problem.
func TestReportExemptionsGolden(t *testing.T) {
	r := must(NewReport(exemptionsSummary(), exemptionsPolicy(), testAccount, testNow))
	var m snsMessage
	if err := json.Unmarshal([]byte(r.Message), &m); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "report.exemptions.email.txt"), []byte(m.Email))

	var body MessageBody
	if err := json.Unmarshal([]byte(m.Default), &body); err != nil {
		t.Fatal(err)
	}
	ex := body.Exemptions
	if ex == nil || len(ex.Exemptions) != 5 {
		t.Fatalf("got exemptions %+v, want the policy's 4 and exemptUsers", ex)
	}
	var got []string
	for _, e := range ex.Exemptions {
		left := "-"
		if e.DaysLeft != nil {
			left = strconv.Itoa(*e.DaysLeft)
		}
		got = append(got, strings.Join(e.Users, ",")+" "+e.Status+" "+left)
	}
	want := []string{"break-glass-* ending-soon 13", "ci,cd exempt 14", "vendor exempt -", "legacy-* expired -", "svc-* exempt -"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("got %q, want %q", got, want)
	}
	if ex.TagExemptionCount != 3 || len(ex.TagExemptions) != 2 || body.Findings[0].ExemptionExpired == "" {
		t.Errorf("got %d tag exemptions (%d listed), first finding %+v; want 3 (2 listed) and the ended exemption named",
			ex.TagExemptionCount, len(ex.TagExemptions), body.Findings[0])
	}
}

// TestReportWithoutExemptions: a policy without exemptions and no tag exemptions read adds
// nothing to the digest.
func TestReportWithoutExemptions(t *testing.T) {
	r := must(NewReport(goldenSummary(), Policy{MaxAgeDays: 90}, testAccount, testNow))
	if strings.Contains(r.Message, "xemption") {
		t.Errorf("message mentions exemptions without any: %s", r.Message)
	}
}

// TestRefusedTagExemptionShowsItsValue: a tag exemption that does not hold shows its until
// tag's value as written, then why; in an organization digest (no problem carried), the value.
func TestRefusedTagExemptionShowsItsValue(t *testing.T) {
	u := UserKeys{UserName: "carol", Tags: map[string]string{TagExemptUntil: "next week", TagExemptReason: "vendor"}}
	te := tagExemptionOf(&u, Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 30}, testNow)
	for _, tc := range []struct {
		prefix string
		t      TagExemption
		want   string
	}{
		{"", *te, "  carol: REFUSED (keyage-exempt-until next week: not a date YYYY-MM-DD such as 2027-03-31), keys judged; reason given: vendor\n"},
		{memberAccount + " ", TagExemption{UserName: "carol", Until: "2027-06-01", Reason: "vendor", Status: TagExemptionRefused},
			"  111111111111 carol: REFUSED (keyage-exempt-until 2027-06-01), keys judged; reason given: vendor\n"},
		{"", TagExemption{UserName: "dan", Status: TagExemptionRefused, Problem: "tags could not be read: AccessDenied"},
			"  dan: REFUSED (tags could not be read: AccessDenied), keys judged\n"},
	} {
		var b strings.Builder
		writeTagExemption(&b, tc.prefix, tc.t)
		if b.String() != tc.want {
			t.Errorf("got %q, want %q", b.String(), tc.want)
		}
	}
}
