package agecheck

import (
	"cmp"
	"fmt"
	"slices"
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

// Check judges users' access keys against the policy at the instant now. It is pure: the same
// users, policy and now give the same Summary. Only Active keys count; a key is stale when it
// is older than MaxAgeDays*24h (exactly that old is still compliant), a warning when older
// than WarnAgeDays*24h but not stale, and unused (unusedOf) by its AccessKey.LastUsed, which
// the caller fills in for the keys NeedsLastUsed names: a key may be stale or a warning and
// unused too, one Finding with both kinds. A key with a kind is Flagged; else a key whose last
// use could not be looked up is in UnreadKeys (and LastUsedUnknown), and any other is Compliant.
// Deleted users are counted and skipped; exempt users' keys are counted as Exempt and against
// the exemption that holds (exemptions.go; an exempt user whose keys could not be read is not
// unchecked: its keys would not have been judged), and the findings of a user whose exemption
// has ended carry Finding.ExemptionExpired;
// other users with an Error are unchecked, and so is a
// user whose key data cannot be judged (an empty AccessKeyId, an unknown Status, a CreateDate
// that did not parse): it is unchecked with ErrorMalformedKeys and a Cause naming each field,
// and the rest of the batch is judged. Findings are sorted oldest first, then by user name and
// key ID. The Summary is complete, not trimmed (causes are whole too): the caller logs every
// finding, then trims (Summary.Trim). A user without a name breaks the contract with the state
// machine and gives *InvalidInputError.
//
// p must be valid (Policy.Validate finds nothing): Decode refuses an event whose policy is not,
// so Check does not check it again.
func Check(users []UserKeys, p Policy, now time.Time) (Summary, error) {
	var ps problems
	maxAge := time.Duration(p.MaxAgeDays) * day
	warnAge := time.Duration(p.WarnAgeDays) * day
	exempt := newExemptionSet(p)
	now = now.UTC()

	var s Summary
	// expiredOf names, by user index, the exemption that ended for a user whose keys are judged
	// again (rare: a map keeps flaggedKey free of pointers).
	var expiredOf map[int32]string
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
		if u.Deleted {
			s.Deleted++
			continue
		}
		holds, tag, expired := exempt.judge(u, p, now)
		if tag != nil {
			if holds >= 0 {
				tag.Keys = len(u.Keys)
			}
			s.TagExemptions = append(s.TagExemptions, *tag)
			s.TagExemptionCount++
		}
		switch {
		case holds >= 0:
			s.Exempt += len(u.Keys)
			if tag == nil {
				s.count(holds, len(u.Keys))
			}
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
		if bad := malformedKeys(i, u.Keys); len(bad) > 0 {
			causes := make([]string, len(bad))
			for n, p := range bad {
				causes[n] = p.String()
			}
			s.Unchecked++
			s.UncheckedUsers = append(s.UncheckedUsers, UncheckedUser{
				UserName: u.UserName, Error: ErrorMalformedKeys, Cause: strings.Join(causes, "; "),
			})
			continue
		}
		if expired != "" {
			if expiredOf == nil {
				expiredOf = map[int32]string{}
			}
			expiredOf[int32(i)] = expired
		}
		for j := range u.Keys {
			k := &u.Keys[j]
			if !strings.EqualFold(k.Status, StatusActive) {
				s.Inactive++
				continue
			}
			createdAt := k.CreateDate.Time()
			age := now.Sub(createdAt)
			var kinds kindSet
			switch {
			case age > maxAge:
				s.Stale++
				kinds |= kindStale
			case p.WarnAgeDays > 0 && age > warnAge:
				s.Warning++
				kinds |= kindWarning
			}
			use := unusedOf(k, p, age, now)
			switch use {
			case lastUseUnused:
				s.Unused++
				kinds |= kindUnused
			case lastUseUnknown:
				s.LastUsedUnknown++
			}
			if kinds == 0 && use == lastUseUnknown {
				// Not known to be used: never compliant, and never resolved by a ledger.
				s.UnreadKeys = append(s.UnreadKeys, k.AccessKeyID)
				continue
			}
			if kinds == 0 {
				s.Compliant++
				continue
			}
			s.Flagged++
			flagged = append(flagged, flaggedKey{created: createdAt.Unix(), ageDays: ageDays(age),
				user: int32(i), key: int32(j), kinds: kinds})
		}
	}
	if err := ps.err(OpCheck); err != nil {
		return Summary{}, err
	}
	s.Findings = findingsOf(users, flagged, expiredOf)
	slices.SortFunc(s.UncheckedUsers, compareUnchecked)
	s.ExemptionTally.finish()
	return s, nil
}

// malformedKeys returns what makes the keys of users[i] impossible to judge, or nothing.
func malformedKeys(i int, keys []AccessKey) []FieldProblem {
	var ps problems
	for j := range keys {
		k := &keys[j]
		if k.AccessKeyID == "" {
			ps.add(fmt.Sprintf("users[%d].keys[%d].AccessKeyId", i, j), `""`, "an access key ID")
		}
		switch {
		case strings.EqualFold(k.Status, StatusActive), strings.EqualFold(k.Status, StatusInactive), strings.EqualFold(k.Status, StatusExpired):
		default:
			ps.add(fmt.Sprintf("users[%d].keys[%d].Status", i, j), quote(k.Status),
				fmt.Sprintf("%q, %q or %q", StatusActive, StatusInactive, StatusExpired))
		}
		if !k.CreateDate.Valid() {
			ps.add(fmt.Sprintf("users[%d].keys[%d].CreateDate", i, j), quote(k.CreateDate.String()), timeAllowed)
		}
	}
	return ps
}

// flaggedKey is a key with a finding: users[user].Keys[key], created at Unix second created.
type flaggedKey struct {
	created   int64
	ageDays   int
	user, key int32
	kinds     kindSet
}

// lastUse is what the unused control concludes about one active key.
type lastUse int

const (
	lastUseIrrelevant lastUse = iota // the control is off, or the key is too young to be unused
	lastUseRecent                    // used (or, never used, created) within the limits
	lastUseUnused                    // a KindUnused finding
	lastUseUnknown                   // old enough to be unused, but its last use is not known
)

// NeedsLastUsed reports whether Check needs k's last use (AccessKey.LastUsed) to judge it
// under p at now: an active key old enough to be unused, or old enough to be a finding, whose
// last use the message shows. Exempt users' keys never need it; the caller skips them.
func NeedsLastUsed(k AccessKey, p Policy, now time.Time) bool {
	if !strings.EqualFold(k.Status, StatusActive) || !k.CreateDate.Valid() {
		return false
	}
	age := now.Sub(k.CreateDate.Time())
	limit := time.Duration(p.MaxAgeDays) * day
	if p.WarnAgeDays > 0 {
		limit = min(limit, time.Duration(p.WarnAgeDays)*day)
	}
	if p.UnusedDays > 0 {
		limit = min(limit, time.Duration(p.UnusedDays)*day)
	}
	return age > limit
}

// unusedOf applies the unused control to an active key of the given age. A key used more than
// UnusedDays*24h before now is unused (exactly that long ago is not); a key never used counts
// from its creation, and only once it is older than NewKeyGraceDays*24h too. A key whose last
// use is not known (k.LastUsed nil: not looked up, or the lookup failed) is never unused.
func unusedOf(k *AccessKey, p Policy, age time.Duration, now time.Time) lastUse {
	unusedAge := time.Duration(p.UnusedDays) * day
	if p.UnusedDays == 0 || age <= unusedAge {
		return lastUseIrrelevant
	}
	switch lu := k.LastUsed; {
	case lu == nil:
		return lastUseUnknown
	case lu.Date.IsZero():
		if age > time.Duration(p.NewKeyGraceDays)*day {
			return lastUseUnused
		}
	case now.Sub(lu.Date) > unusedAge:
		return lastUseUnused
	}
	return lastUseRecent
}

// findingsOf sorts the flagged keys as compareFindings orders findings (whole Unix seconds
// order as the whole-second CreateDate strings do) and returns their Findings, nil if none.
func findingsOf(users []UserKeys, flagged []flaggedKey, expiredOf map[int32]string) []Finding {
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
		k := &users[fk.user].Keys[fk.key]
		f := Finding{
			UserName:         users[fk.user].UserName,
			AccessKeyID:      k.AccessKeyID,
			CreateDate:       timestampAt(time.Unix(fk.created, 0)),
			AgeDays:          fk.ageDays,
			Severity:         fk.kinds.severity(),
			Kinds:            fk.kinds.names(),
			ExemptionExpired: expiredOf[fk.user],
		}
		if lu := k.LastUsed; lu != nil {
			if !lu.Date.IsZero() {
				f.LastUsedDate = timestampAt(lu.Date)
			}
			f.LastUsedService = lu.ServiceName
			f.LastUsedRegion = lu.Region
		}
		findings[i] = f
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

func compareUnchecked(a, b UncheckedUser) int {
	return cmp.Or(strings.Compare(a.UserName, b.UserName), strings.Compare(a.Error, b.Error))
}

// globMatch reports whether name matches pattern, where "*" matches any run of characters
// (including none) and every other character matches itself. Both must already be folded to
// lower case. It runs in O(len(pattern)*len(name)) at worst, never exponentially.
func globMatch(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case p < len(pattern) && pattern[p] == name[n]:
			p++
			n++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
