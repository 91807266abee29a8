package agecheck

import (
	"encoding/json"
	"slices"
	"strings"
)

// MaxUncheckedListed bounds how many unchecked users a trimmed Summary names; the count
// (Summary.Unchecked) stays exact. A hundred names tell the reader what is wrong; more would
// crowd out the findings.
const MaxUncheckedListed = 100

// findingsKeyOverhead is the JSON a non-empty findings list adds besides its elements and the
// commas between them: `,"findings":[` and `]`.
const findingsKeyOverhead = len(`,"findings":[`) + len(`]`)

// Merge folds the Summaries of a page's children (results) into the running Summary (prev,
// nil on the first page). Counts add exactly; findings and unchecked users are merged in the
// order Check gives them (oldest first), and the result is trimmed to MaxSummaryBytes.
func Merge(prev *Summary, results []Summary) Summary {
	var out Summary
	all := results
	if prev != nil {
		all = append([]Summary{*prev}, results...)
	}
	nFindings, nUnchecked := 0, 0
	for i := range all {
		nFindings += len(all[i].Findings)
		nUnchecked += len(all[i].UncheckedUsers)
	}
	if nFindings > 0 {
		out.Findings = make([]Finding, 0, nFindings)
	}
	if nUnchecked > 0 {
		out.UncheckedUsers = make([]UncheckedUser, 0, nUnchecked)
	}
	for i := range all {
		s := &all[i]
		out.Counts.add(s.Counts)
		out.Findings = append(out.Findings, s.Findings...)
		out.UncheckedUsers = append(out.UncheckedUsers, s.UncheckedUsers...)
	}
	slices.SortStableFunc(out.Findings, compareFindings)
	slices.SortStableFunc(out.UncheckedUsers, compareUnchecked)
	out.Trim(MaxSummaryBytes)
	return out
}

// Trim bounds the Summary's JSON encoding to maxBytes, keeping the counts exact: it shortens
// each Cause to MaxCauseLength and keeps at most MaxUncheckedListed unchecked users, then drops
// findings from the end (the newest, as Check and Merge sort them), then, if the unchecked
// users alone are still too large, drops them from the end too. It reports whether anything
// was shortened or dropped.
func (s *Summary) Trim(maxBytes int) bool {
	trimmed := false
	for i := range s.UncheckedUsers {
		if c := s.UncheckedUsers[i].Cause; len(c) > MaxCauseLength {
			s.UncheckedUsers[i].Cause = truncateUTF8(c, MaxCauseLength)
			trimmed = true
		}
	}
	if len(s.UncheckedUsers) > MaxUncheckedListed {
		s.UncheckedUsers = s.UncheckedUsers[:MaxUncheckedListed]
		trimmed = true
	}
	if encodedSize(s) <= maxBytes {
		return trimmed
	}

	findings := s.Findings
	s.Findings = nil
	base := encodedSize(s)
	size, keep := base, 0
	for i := range findings {
		add := jsonSize(&findings[i]) + 1 // the element and its comma (or the key's overhead)
		if i == 0 {
			add = jsonSize(&findings[i]) + findingsKeyOverhead
		}
		if size+add > maxBytes {
			break
		}
		size += add
		keep++
	}
	if keep > 0 {
		s.Findings = findings[:keep:keep]
	}
	// A summary without findings may still be too large when the causes are; shed unchecked
	// users one at a time (rare, and bounded by MaxUncheckedListed).
	for len(s.UncheckedUsers) > 0 && encodedSize(s) > maxBytes {
		s.UncheckedUsers = s.UncheckedUsers[:len(s.UncheckedUsers)-1]
	}
	if len(s.UncheckedUsers) == 0 {
		s.UncheckedUsers = nil
	}
	return true
}

// compareFindings orders findings oldest first, then by user name and key ID, so that the
// order is total and every run renders the same. CreateDate texts are whole-second RFC 3339
// in UTC (timestampAt), whose lexical order is time order; comparing the texts also orders
// texts that a merge event carried and that do not parse.
func compareFindings(a, b Finding) int {
	// Not cmp.Or: it would evaluate every comparison; most pairs differ in the first.
	if c := strings.Compare(a.CreateDate.String(), b.CreateDate.String()); c != 0 {
		return c
	}
	if c := strings.Compare(a.UserName, b.UserName); c != 0 {
		return c
	}
	return strings.Compare(a.AccessKeyID, b.AccessKeyID)
}

func encodedSize(s *Summary) int { return jsonSize(s) }

// jsonSize is the length of v's JSON encoding. The types passed here always encode.
func jsonSize(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		panic("agecheck: encoding a summary failed: " + err.Error())
	}
	return len(b)
}
