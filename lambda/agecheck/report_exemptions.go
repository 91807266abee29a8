package agecheck

import (
	"fmt"
	"strings"
	"time"
)

// Statuses of an exemption of the policy in the digest.
const (
	ExemptionHolds      = "exempt"      // holds, ending later than EndingSoonDays or never
	ExemptionEndingSoon = "ending-soon" // holds, ending within EndingSoonDays
	ExemptionEnded      = "expired"     // its until has passed: its users' keys are judged again
)

// ExemptionsBody is the digest's account of exemptions, so that they are seen: every exemption
// of the policy with the keys it hid in this run and whether it ends soon or has ended, and the
// exemptions read from user tags. Its size is bounded by the policy's bounds and
// MaxTagExemptionsListed.
type ExemptionsBody struct {
	Exemptions        []ExemptionStatus `json:"exemptions"`
	TagExemptions     []TagExemption    `json:"tagExemptions,omitempty"`
	TagExemptionCount int               `json:"tagExemptionCount"`
}

// ExemptionStatus is one exemption of the policy as of the run.
type ExemptionStatus struct {
	Users      []string `json:"users"`
	Reason     string   `json:"reason,omitempty"`
	Until      string   `json:"until,omitempty"` // absent: no end
	Status     string   `json:"status"`          // ExemptionHolds, ExemptionEndingSoon or ExemptionEnded
	DaysLeft   *int     `json:"daysLeft,omitempty"`
	Keys       int      `json:"keys"`                 // keys it hid in this run
	Deprecated bool     `json:"deprecated,omitempty"` // exemptUsers: no reason, no end
}

// exemptionsBody is the digest's exemptions section, or nil when the policy has no exemptions
// and no tag exemption was read.
func exemptionsBody(s Summary, p Policy, now time.Time) *ExemptionsBody {
	list := p.exemptionList()
	if len(list) == 0 && s.TagExemptionCount == 0 {
		return nil
	}
	body := &ExemptionsBody{Exemptions: make([]ExemptionStatus, len(list)), TagExemptions: s.TagExemptions, TagExemptionCount: s.TagExemptionCount}
	for i, e := range list {
		st := ExemptionStatus{Users: e.Users, Reason: e.Reason, Until: e.Until.String(), Status: ExemptionHolds,
			Deprecated: len(p.ExemptUsers) > 0 && i == len(list)-1}
		if i < len(s.ExemptionKeys) {
			st.Keys = s.ExemptionKeys[i]
		}
		switch {
		case e.Until.IsZero():
		case !holdsAt(e.Until, now):
			st.Status = ExemptionEnded
		default:
			left := daysLeft(e.Until, now)
			st.DaysLeft = &left
			if e.Until.End().Sub(now) <= EndingSoonDays*day {
				st.Status = ExemptionEndingSoon
			}
		}
		body.Exemptions[i] = st
	}
	return body
}

// writeExemptions writes the email's exemptions section: every exemption with the keys it hid,
// those ending within EndingSoonDays, the findings whose exemption ended, and the tag
// exemptions read.
func writeExemptions(b *strings.Builder, ex *ExemptionsBody, findings []Finding) {
	if ex == nil {
		return
	}
	if len(ex.Exemptions) > 0 {
		b.WriteString("\nExemptions (the keys each one hid from this check):\n")
		var soon []string
		for _, e := range ex.Exemptions {
			users := oneLine(strings.Join(e.Users, ", "))
			switch {
			case e.Deprecated:
				fmt.Fprintf(b, "  %s: %s; exemptUsers (deprecated): no reason, no end\n", users, plural(e.Keys, "key", "keys"))
				continue
			case e.Status == ExemptionEnded:
				fmt.Fprintf(b, "  %s: ENDED on %s, no longer exempts: its users' keys are judged again; reason was: %s\n", users, oneLine(e.Until), oneLine(e.Reason))
				continue
			}
			end := "no end"
			if e.DaysLeft != nil {
				end = fmt.Sprintf("until %s (%s left)", oneLine(e.Until), plural(*e.DaysLeft, "day", "days"))
			}
			if e.Status == ExemptionEndingSoon {
				soon = append(soon, fmt.Sprintf("%s on %s", users, oneLine(e.Until)))
			}
			fmt.Fprintf(b, "  %s: %s; %s; reason: %s\n", users, plural(e.Keys, "key", "keys"), end, oneLine(e.Reason))
		}
		if len(soon) > 0 {
			fmt.Fprintf(b, "Ending within %d days: %s.\n", EndingSoonDays, strings.Join(soon, "; "))
		} else {
			fmt.Fprintf(b, "No exemption ends within %d days.\n", EndingSoonDays)
		}
	}
	var ended []string
	for _, f := range findings {
		if f.ExemptionExpired != "" {
			ended = append(ended, fmt.Sprintf("  %s %s: %s\n", oneLine(f.UserName), oneLine(f.AccessKeyID), oneLine(f.ExemptionExpired)))
		}
	}
	if len(ended) > 0 {
		b.WriteString("\nKeys listed above whose exemption has ended (judged again):\n")
		b.WriteString(strings.Join(ended, ""))
	}
	writeTagExemptions(b, ex, "", "user name", "", false)
}

// writeTagExemptions lists the tag exemptions read (where: in which accounts, for an
// organization), the first ones by order when not all are listed, note after the heading,
// each line after its account when byAccount; nothing when none was read.
func writeTagExemptions(b *strings.Builder, ex *ExemptionsBody, where, order, note string, byAccount bool) {
	if ex.TagExemptionCount == 0 {
		return
	}
	fmt.Fprintf(b, "\nExemptions by user tags (%s, %s), %d read%s", TagExemptUntil, TagExemptReason, ex.TagExemptionCount, where)
	if len(ex.TagExemptions) < ex.TagExemptionCount {
		fmt.Fprintf(b, ", the first %d by %s shown", len(ex.TagExemptions), order)
	}
	b.WriteString(note + ":\n")
	for _, t := range ex.TagExemptions {
		prefix := ""
		if byAccount {
			prefix = oneLine(t.Account) + " "
		}
		writeTagExemption(b, prefix, t)
	}
}

// writeTagExemption writes one tag exemption's line, after prefix (an organization digest's
// account). One that does not hold shows its until tag's value as written, and its problem
// when known: "REFUSED (keyage-exempt-until 2027-13-01: not a date ...)".
func writeTagExemption(b *strings.Builder, prefix string, t TagExemption) {
	if t.Status == TagExemptionHolds {
		fmt.Fprintf(b, "  %s%s: exempt until %s, %s hidden; reason: %s\n", prefix, oneLine(t.UserName), oneLine(t.Until), plural(t.Keys, "key", "keys"), oneLine(t.Reason))
		return
	}
	fmt.Fprintf(b, "  %s%s: %s", prefix, oneLine(t.UserName), strings.ToUpper(t.Status))
	var why []string
	if t.Until != "" {
		why = append(why, TagExemptUntil+" "+oneLine(t.Until))
	}
	if t.Problem != "" {
		why = append(why, oneLine(t.Problem))
	}
	if len(why) > 0 {
		fmt.Fprintf(b, " (%s)", strings.Join(why, ": "))
	}
	b.WriteString(", keys judged")
	if t.Reason != "" {
		fmt.Fprintf(b, "; reason given: %s", oneLine(t.Reason))
	}
	b.WriteString("\n")
}
