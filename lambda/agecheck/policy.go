package agecheck

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/keyage/keyage/internal/awsid"
)

// Policy bounds. Policy.Validate is their one owner: package config checks a stack's settings
// with it (before anything is deployed) and the function checks every event with it.
const (
	MinMaxAgeDays = 1
	MaxMaxAgeDays = 3650 // ten years, far beyond any rotation policy
	// MaxExemptUsers bounds exemptUsers: the policy travels in the definition and in every event.
	MaxExemptUsers = 100
	// MaxUnusedDays bounds unusedDays (0 is off), as MaxMaxAgeDays bounds maxAgeDays.
	MaxUnusedDays = MaxMaxAgeDays
	// MaxNewKeyGraceDays bounds newKeyGraceDays: a year is more than any key needs to be put to use.
	MaxNewKeyGraceDays = 365
	// MaxPatternLength bounds an exemption pattern: IAM user names have at most 64 characters.
	MaxPatternLength = awsid.MaxNameLength
)

// PolicyProblem is one way a policy breaks its bounds.
type PolicyProblem struct {
	Field   string // "maxAgeDays", ..., "exemptUsers[3]", "exemptions[0].reason", "maxTagExemptionDays"
	Value   string // the value as text: a number, a name, or the list's JSON
	Problem string // what is wrong, e.g. "is out of range"
	Allowed string // what would be accepted, e.g. "an integer from 1 to 3650"
}

// Validate returns every way the policy breaks its bounds, in field order, or nil.
func (p Policy) Validate() []PolicyProblem {
	var out []PolicyProblem
	add := func(field, value, problem, allowed string) {
		out = append(out, PolicyProblem{Field: field, Value: value, Problem: problem, Allowed: allowed})
	}
	maxOK := p.MaxAgeDays >= MinMaxAgeDays && p.MaxAgeDays <= MaxMaxAgeDays
	if !maxOK {
		add("maxAgeDays", strconv.Itoa(p.MaxAgeDays), "is out of range", fmt.Sprintf("an integer from %d to %d", MinMaxAgeDays, MaxMaxAgeDays))
	}
	switch w := p.WarnAgeDays; {
	case w == 0: // off
	case w < 1 || w >= MaxMaxAgeDays:
		add("warnAgeDays", strconv.Itoa(w), "is out of range", fmt.Sprintf("an integer from 1 to %d, or no warnAgeDays", MaxMaxAgeDays-1))
	case maxOK && w >= p.MaxAgeDays:
		allowed := fmt.Sprintf("an integer from 1 to %d, or no warnAgeDays", p.MaxAgeDays-1)
		if p.MaxAgeDays == 1 {
			allowed = "no warnAgeDays when maxAgeDays is 1"
		}
		add("warnAgeDays", strconv.Itoa(w), fmt.Sprintf("is not below maxAgeDays (%d)", p.MaxAgeDays), allowed)
	}
	if u := p.UnusedDays; u < 0 || u > MaxUnusedDays {
		add("unusedDays", strconv.Itoa(u), "is out of range", fmt.Sprintf("an integer from 1 to %d, or 0 to turn the unused control off", MaxUnusedDays))
	}
	if g := p.NewKeyGraceDays; g < 0 || g > MaxNewKeyGraceDays {
		add("newKeyGraceDays", strconv.Itoa(g), "is out of range", fmt.Sprintf("an integer from 0 to %d", MaxNewKeyGraceDays))
	}
	if len(p.ExemptUsers) > MaxExemptUsers {
		list, _ := json.Marshal(p.ExemptUsers) // a []string always marshals
		add("exemptUsers", string(list), fmt.Sprintf("has %d entries", len(p.ExemptUsers)), fmt.Sprintf("at most %d entries", MaxExemptUsers))
	}
	seen := map[string]string{}
	for i, n := range p.ExemptUsers {
		checkPattern(add, fmt.Sprintf("exemptUsers[%d]", i), n, seen)
	}
	p.validateExemptions(add, seen)
	return out
}

// isPattern reports whether n is an IAM user name in which some characters may be * (a * stands
// where a name's characters would).
func isPattern(n string) bool { return awsid.IsUserName(strings.ReplaceAll(n, "*", "_")) }
