package agecheck

import "log/slog"

// Counts are a Summary's exact counts. The notification's machine-readable body carries them
// too (MessageBody.Counts).
type Counts struct {
	Users     int `json:"users"`     // users seen (deleted ones included)
	Deleted   int `json:"deleted"`   // users gone before their keys were listed
	Unchecked int `json:"unchecked"` // users whose keys could not be read
	Exempt    int `json:"exempt"`    // keys of exempt users (any status)
	Inactive  int `json:"inactive"`  // keys of non-exempt users that are not Active (Inactive, Expired)
	Compliant int `json:"compliant"` // active keys with no finding
	Flagged   int `json:"flagged"`   // active keys with a finding (one finding per key, whatever its kinds)
	Warning   int `json:"warning"`   // active keys past WarnAgeDays, not stale
	Stale     int `json:"stale"`     // active keys past MaxAgeDays
	Unused    int `json:"unused"`    // active keys not used for UnusedDays, stale or not
	// LastUsedUnknown counts active keys old enough to be unused whose last use could not be
	// looked up: never counted as unused, and not compliant with IAM.22 either, as far as known.
	LastUsedUnknown int `json:"lastUsedUnknown"`
	// NoOwner counts flagged keys whose user has no owner tag (or whose tags could not be
	// read), when owners are on.
	NoOwner int `json:"noOwner,omitempty"`
}

// add adds o's counts to c's.
func (c *Counts) add(o Counts) {
	c.Users += o.Users
	c.Deleted += o.Deleted
	c.Unchecked += o.Unchecked
	c.Exempt += o.Exempt
	c.Inactive += o.Inactive
	c.Compliant += o.Compliant
	c.Flagged += o.Flagged
	c.Warning += o.Warning
	c.Stale += o.Stale
	c.Unused += o.Unused
	c.LastUsedUnknown += o.LastUsedUnknown
	c.NoOwner += o.NoOwner
}

// named lists the counts under their JSON names, in order: what validation and the log lines
// read.
func (c *Counts) named() [12]namedCount {
	return [12]namedCount{
		{"users", c.Users}, {"deleted", c.Deleted}, {"unchecked", c.Unchecked}, {"exempt", c.Exempt},
		{"inactive", c.Inactive}, {"compliant", c.Compliant}, {"flagged", c.Flagged}, {"warning", c.Warning},
		{"stale", c.Stale}, {"unused", c.Unused}, {"lastUsedUnknown", c.LastUsedUnknown},
		{"noOwner", c.NoOwner},
	}
}

type namedCount struct {
	name string
	n    int
}

// attrs are the counts as log attributes, under their JSON names.
func (c *Counts) attrs() []slog.Attr {
	named := c.named()
	out := make([]slog.Attr, len(named), len(named)+3) // room for the callers' own attributes
	for i, nc := range named {
		out[i] = slog.Int(nc.name, nc.n)
	}
	return out
}
