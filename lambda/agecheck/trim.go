package agecheck

// MaxUncheckedListed bounds how many unchecked users a trimmed Summary names; the count
// (Summary.Unchecked) stays exact. A hundred names tell the reader what is wrong; more would
// crowd out the findings.
const MaxUncheckedListed = 100

// findingsKeyOverhead is the JSON a non-empty findings list adds besides its elements and the
// commas between them: `,"findings":[` and `]`.
const findingsKeyOverhead = len(`,"findings":[`) + len(`]`)

// Trim bounds the Summary's JSON encoding to maxBytes, keeping the counts exact: it shortens
// each Cause to MaxCauseLength and keeps at most MaxUncheckedListed unchecked users, then drops
// findings from the end (the newest, as Check and Merge sort them), then, if the unchecked
// users alone are still too large, drops them from the end too. It reports whether anything
// was shortened or dropped. Its error is one of measuring the encoding (jsonSize).
func (s *Summary) Trim(maxBytes int) (bool, error) {
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
	size, err := jsonSize(s)
	if err != nil || size <= maxBytes {
		return trimmed, err
	}

	findings := s.Findings
	s.Findings = nil
	if size, err = jsonSize(s); err != nil {
		return trimmed, err
	}
	keep := 0
	for i := range findings {
		add, err := jsonSize(&findings[i])
		if err != nil {
			return trimmed, err
		}
		if i == 0 {
			add += findingsKeyOverhead
		} else {
			add++ // the comma before the element
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
	for len(s.UncheckedUsers) > 0 {
		if size, err = jsonSize(s); err != nil {
			return true, err
		}
		if size <= maxBytes {
			break
		}
		s.UncheckedUsers = s.UncheckedUsers[:len(s.UncheckedUsers)-1]
	}
	if len(s.UncheckedUsers) == 0 {
		s.UncheckedUsers = nil
	}
	return true, nil
}
