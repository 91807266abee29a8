package agecheck

// Kinds of finding: the controls a key (or the account, KindRoot) fails. A finding carries
// every kind that applies (Finding.Kinds), in this order after KindRoot; the SNS message
// attribute "kinds" lists those present in the message, KindRoot first.
const (
	KindStale   = "stale"   // an active key older than MaxAgeDays (Security Hub IAM.3)
	KindWarning = "warning" // an active key older than WarnAgeDays, not stale: due soon
	KindUnused  = "unused"  // an active key not used for UnusedDays (Security Hub IAM.22)
)

// kindSet is a finding's kinds as bits, in the order of the Kind constants.
type kindSet uint8

const (
	kindStale kindSet = 1 << iota
	kindWarning
	kindUnused
	kindRoot // the account's, never a key's: only kindsOf sets it
)

var kindNames = [...]struct {
	bit  kindSet
	name string
}{{kindRoot, KindRoot}, {kindStale, KindStale}, {kindWarning, KindWarning}, {kindUnused, KindUnused}}

// names lists the set's kinds in the order of the Kind constants.
func (k kindSet) names() []string {
	out := make([]string, 0, 2)
	for _, kn := range kindNames {
		if k&kn.bit != 0 {
			out = append(out, kn.name)
		}
	}
	return out
}

// kindOf is the bit of a kind's name, 0 for a name that is none.
func kindOf(name string) kindSet {
	for _, kn := range kindNames {
		if kn.name == name {
			return kn.bit
		}
	}
	return 0
}

// severity is a finding's severity: SeverityStale when the key fails a control now (stale or
// unused), SeverityWarning when it is only due soon. So a subscription filtering on severity
// [stale, unchecked] still receives every control failure.
func (k kindSet) severity() string {
	if k&(kindStale|kindUnused) != 0 {
		return SeverityStale
	}
	return SeverityWarning
}
