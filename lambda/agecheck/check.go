package agecheck

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Key statuses as IAM reports them. IAM's AccessKeyMetadata declares Expired a valid status
// too: like Inactive, such a key cannot sign requests, so only Active keys are judged.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
	StatusExpired  = "Expired"
)

const day = 24 * time.Hour

// Decode parses an event and validates its envelope: op, now, policy, account, and for merge
// and report the summaries' counts. The users of a check event are validated by Check, which
// is the one pass over them. Errors are *InvalidInputError.
func Decode(data []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return Event{}, &InvalidInputError{Problems: []FieldProblem{{
			Field: "event", Value: describeJSONError(err), Allowed: "one JSON object matching the agecheck.Event contract",
		}}}
	}
	if err := ev.Validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// describeJSONError names what was wrong with the JSON without echoing the whole input.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Sprintf("a JSON %s at %q", typeErr.Value, typeErr.Field)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not valid JSON (offset %d: %v)", syntaxErr.Offset, syntaxErr)
	default:
		return fmt.Sprintf("not decodable (%v)", err)
	}
}

// Validate checks the event's envelope (see Decode). It returns an *InvalidInputError listing
// every problem, or nil.
func (ev *Event) Validate() error {
	var ps problems
	switch ev.Op {
	case OpCheck, OpMerge, OpReport:
	default:
		ps.add("op", quote(ev.Op), fmt.Sprintf("%q, %q or %q", OpCheck, OpMerge, OpReport))
	}
	if ev.Now == "" {
		ps.add("now", `""`, timeAllowed)
	} else if _, err := ParseTime(ev.Now); err != nil {
		ps.add("now", quote(ev.Now), timeAllowed)
	}
	validatePolicy(&ps, ev.Policy)
	if ev.Account != "" || ev.Op == OpReport {
		if !isAccountID(ev.Account) {
			ps.add("account", quote(ev.Account), "a 12-digit AWS account ID")
		}
	}
	switch ev.Op {
	case OpMerge:
		if ev.Summary != nil {
			validateCounts(&ps, "summary", ev.Summary)
			validateNotBatch(&ps, "summary", ev.Summary)
		}
		for i := range ev.Results {
			field := fmt.Sprintf("results[%d]", i)
			validateCounts(&ps, field, &ev.Results[i])
			if r := &ev.Results[i]; r.BatchFailed && len(r.UncheckedUsers) != r.Unchecked {
				// Merge logs a failed batch's users: a list shorter than the count would lose some.
				ps.add(field+".uncheckedUsers", fmt.Sprintf("%d entries", len(r.UncheckedUsers)),
					fmt.Sprintf("exactly unchecked = %d when batchFailed is true", r.Unchecked))
			}
		}
	case OpReport:
		if ev.Summary == nil {
			ps.add("summary", "absent", "the final Summary of the scan")
		} else {
			validateCounts(&ps, "summary", ev.Summary)
			validateNotBatch(&ps, "summary", ev.Summary)
		}
	}
	return ps.err(ev.Op)
}

// validatePolicy adds the policy's problems (Policy.Validate) under the event's "policy" field.
func validatePolicy(ps *problems, p Policy) {
	for _, pp := range p.Validate() {
		value := pp.Value
		if strings.HasPrefix(pp.Field, "exemptUsers[") {
			value = quote(value)
		}
		ps.add("policy."+pp.Field, value, pp.Allowed)
	}
}

func validateCounts(ps *problems, field string, s *Summary) {
	counts := []struct {
		name string
		n    int
	}{
		{"users", s.Users}, {"deleted", s.Deleted}, {"unchecked", s.Unchecked}, {"exempt", s.Exempt},
		{"inactive", s.Inactive}, {"compliant", s.Compliant}, {"warning", s.Warning}, {"stale", s.Stale},
	}
	for _, c := range counts {
		if c.n < 0 {
			ps.add(field+"."+c.name, strconv.Itoa(c.n), "a count of 0 or more")
		}
	}
	if len(s.Findings) > s.Stale+s.Warning {
		ps.add(field+".findings", fmt.Sprintf("%d entries", len(s.Findings)),
			fmt.Sprintf("at most stale+warning = %d", s.Stale+s.Warning))
	}
	if len(s.UncheckedUsers) > s.Unchecked {
		ps.add(field+".uncheckedUsers", fmt.Sprintf("%d entries", len(s.UncheckedUsers)),
			fmt.Sprintf("at most unchecked = %d", s.Unchecked))
	}
}

// validateNotBatch refuses batchFailed on a running or final Summary: only a child's result
// carries it, and only Merge's logging reads it.
func validateNotBatch(ps *problems, field string, s *Summary) {
	if s.BatchFailed {
		ps.add(field+".batchFailed", "true", "false or absent (only a child's result in results may carry it)")
	}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Check judges users' access keys against the policy at the instant now. It is pure: the same
// users, policy and now give the same Summary. Only Active keys count; a key is stale when it
// is older than MaxAgeDays*24h (exactly that old is still compliant), a warning when older
// than WarnAgeDays*24h but not stale. Deleted users are counted and skipped; exempt users'
// keys are counted as Exempt (an exempt user whose keys could not be read is not unchecked:
// its keys would not have been judged); other users with an Error are unchecked. Findings are sorted oldest
// first, then by user name and key ID. The Summary is complete, not trimmed (causes are whole
// too): the caller logs every finding, then trims (Summary.Trim). A malformed user or key gives
// *InvalidInputError.
func Check(users []UserKeys, p Policy, now time.Time) (Summary, error) {
	var ps problems
	validatePolicy(&ps, p)
	if err := ps.err(OpCheck); err != nil {
		return Summary{}, err
	}
	maxAge := time.Duration(p.MaxAgeDays) * day
	warnAge := time.Duration(p.WarnAgeDays) * day
	exempt := newExemptions(p.ExemptUsers)
	now = now.UTC()

	var s Summary
	// Flagged keys are collected as small pointer-free records and sorted before any Finding
	// exists: several times faster than sorting the findings themselves (benchmark).
	var flagged []flaggedKey
	for i := range users {
		u := &users[i]
		s.Users++
		if u.UserName == "" {
			ps.add(fmt.Sprintf("users[%d].userName", i), `""`, "an IAM user name")
			continue
		}
		switch {
		case u.Deleted:
			s.Deleted++
			continue
		case exempt.match(u.UserName):
			s.Exempt += len(u.Keys)
			continue
		case u.Error != nil:
			s.Unchecked++
			s.UncheckedUsers = append(s.UncheckedUsers, UncheckedUser{
				UserName: u.UserName,
				Error:    cmp.Or(u.Error.Error, "States.Unknown"),
				Cause:    u.Error.Cause,
			})
			continue
		}
		for j := range u.Keys {
			k := &u.Keys[j]
			if k.AccessKeyID == "" {
				ps.add(fmt.Sprintf("users[%d].keys[%d].AccessKeyId", i, j), `""`, "an access key ID")
				continue
			}
			var active bool
			switch {
			case strings.EqualFold(k.Status, StatusActive):
				active = true
			case strings.EqualFold(k.Status, StatusInactive), strings.EqualFold(k.Status, StatusExpired):
			default:
				ps.add(fmt.Sprintf("users[%d].keys[%d].Status", i, j), quote(k.Status),
					fmt.Sprintf("%q, %q or %q", StatusActive, StatusInactive, StatusExpired))
				continue
			}
			createdAt, err := ParseTime(k.CreateDate)
			if err != nil {
				ps.add(fmt.Sprintf("users[%d].keys[%d].CreateDate", i, j), quote(k.CreateDate), timeAllowed)
				continue
			}
			if !active {
				s.Inactive++
				continue
			}
			age := now.Sub(createdAt)
			var severity string
			switch {
			case age > maxAge:
				s.Stale++
				severity = SeverityStale
			case p.WarnAgeDays > 0 && age > warnAge:
				s.Warning++
				severity = SeverityWarning
			default:
				s.Compliant++
				continue
			}
			flagged = append(flagged, flaggedKey{created: createdAt.Unix(), ageDays: ageDays(age),
				user: int32(i), key: int32(j), stale: severity == SeverityStale})
		}
	}
	if err := ps.err(OpCheck); err != nil {
		return Summary{}, err
	}
	s.Findings = findingsOf(users, flagged)
	slices.SortFunc(s.UncheckedUsers, compareUnchecked)
	return s, nil
}

// flaggedKey is a stale or warning key: users[user].Keys[key], created at Unix second created.
type flaggedKey struct {
	created   int64
	ageDays   int
	user, key int32
	stale     bool
}

// findingsOf sorts the flagged keys as compareFindings orders findings (whole Unix seconds
// order as the whole-second CreateDate strings do) and returns their Findings, nil if none.
func findingsOf(users []UserKeys, flagged []flaggedKey) []Finding {
	if len(flagged) == 0 {
		return nil
	}
	slices.SortFunc(flagged, func(a, b flaggedKey) int {
		if c := cmp.Compare(a.created, b.created); c != 0 {
			return c
		}
		if c := strings.Compare(users[a.user].UserName, users[b.user].UserName); c != 0 {
			return c
		}
		return strings.Compare(users[a.user].Keys[a.key].AccessKeyID, users[b.user].Keys[b.key].AccessKeyID)
	})
	findings := make([]Finding, len(flagged))
	for i, fk := range flagged {
		severity := SeverityWarning
		if fk.stale {
			severity = SeverityStale
		}
		findings[i] = Finding{
			UserName:    users[fk.user].UserName,
			AccessKeyID: users[fk.user].Keys[fk.key].AccessKeyID,
			CreateDate:  formatTime(time.Unix(fk.created, 0)),
			AgeDays:     fk.ageDays,
			Severity:    severity,
		}
	}
	return findings
}

// ageDays is an age in whole days, rounded down; a key created after now is 0 days old.
func ageDays(age time.Duration) int {
	if age < 0 {
		return 0
	}
	return int(age / day)
}

// compareFindings orders findings oldest first, then by user name and key ID, so that the
// order is total and every run renders the same. CreateDate strings are whole-second RFC 3339
// in UTC, whose lexical order is time order.
func compareFindings(a, b Finding) int {
	// Not cmp.Or: it would evaluate every comparison; most pairs differ in the first.
	if c := strings.Compare(a.CreateDate, b.CreateDate); c != 0 {
		return c
	}
	if c := strings.Compare(a.UserName, b.UserName); c != 0 {
		return c
	}
	return strings.Compare(a.AccessKeyID, b.AccessKeyID)
}

func compareUnchecked(a, b UncheckedUser) int {
	return cmp.Or(strings.Compare(a.UserName, b.UserName), strings.Compare(a.Error, b.Error))
}
