package agecheck

import (
	"fmt"
	"strings"
	"time"
)

// ResolvedGone is the Reason of a resolved key that no exemption explains: it was rotated,
// deactivated or deleted, or no longer fails a control.
const ResolvedGone = "rotated, deactivated or deleted"

// explainResolved sets the Reason of each resolved key: "exempted by ..." when an exemption of
// the policy held for its user at now, or a tag exemption of its user that holds is among those
// s lists (MaxTagExemptionsListed), else ResolvedGone.
func explainResolved(list []Resolved, s Summary, p Policy, now time.Time) {
	if len(list) == 0 {
		return
	}
	exemptions, set := p.exemptionList(), newExemptionSet(p)
	tags := make(map[string]TagExemption, len(s.TagExemptions))
	for _, t := range s.TagExemptions {
		if t.Status == TagExemptionHolds {
			tags[t.UserName] = t
		}
	}
	for i := range list {
		r := &list[i]
		r.Reason = ResolvedGone
		if r.AccessKeyID == RootKey {
			continue
		}
		name := strings.ToLower(r.UserName)
		for j, entry := range set.entries {
			w, ok := entry.match(name)
			if !ok || !holdsAt(entry.until, now) {
				continue
			}
			e := exemptions[j]
			switch {
			case len(p.ExemptUsers) > 0 && j == len(exemptions)-1:
				r.Reason = fmt.Sprintf("exempted by exemptUsers %s (deprecated: no reason, no end)", w)
			case e.Until.IsZero():
				r.Reason = fmt.Sprintf("exempted by %s (no end; reason: %s)", w, e.Reason)
			default:
				r.Reason = fmt.Sprintf("exempted by %s (until %s; reason: %s)", w, e.Until, e.Reason)
			}
			break
		}
		if t, ok := tags[r.UserName]; ok && r.Reason == ResolvedGone {
			r.Reason = fmt.Sprintf("exempted by tag %s %s (reason: %s)", TagExemptUntil, t.Until, t.Reason)
		}
	}
}
