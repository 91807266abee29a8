package agecheck

import (
	"slices"
	"strings"
)

// Merge folds the Summaries of a page's children (results) into the running Summary (prev,
// nil on the first page). Counts add exactly; findings and unchecked users are merged in the
// order Check gives them (oldest first), and the result is trimmed to MaxSummaryBytes (Trim,
// whose error it returns).
func Merge(prev *Summary, results []Summary) (Summary, error) {
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
		out.ExemptionTally.add(s.ExemptionTally)
		out.Findings = append(out.Findings, s.Findings...)
		out.UncheckedUsers = append(out.UncheckedUsers, s.UncheckedUsers...)
	}
	slices.SortStableFunc(out.Findings, compareFindings)
	slices.SortStableFunc(out.UncheckedUsers, compareUnchecked)
	out.ExemptionTally.finish()
	if _, err := out.Trim(MaxSummaryBytes); err != nil {
		return Summary{}, err
	}
	return out, nil
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
