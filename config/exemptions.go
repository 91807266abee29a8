package config

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keyage/keyage/lambda/agecheck"
)

// ExemptionSettings are the settings of exemptions: who is spared, why and until when. Their
// bounds are agecheck.Policy.Validate's (the policy carries them); this file decodes them and
// says what works but deserves a warning.
type ExemptionSettings struct {
	List       []agecheck.Exemption // exemptions: [{users, reason, until?}]
	FromTags   bool                 // tagExemptions, default false: users' keyage-exempt-* tags exempt them too
	MaxTagDays int                  // maxTagExemptionDays, default 90: how far ahead a tag exemption may end
}

// DefaultMaxTagExemptionDays is maxTagExemptionDays' default.
const DefaultMaxTagExemptionDays = 90

// exemptionFields are the fields of one exemptions entry.
var exemptionFields = []string{"users", "reason", "until"}

const exemptionsAllowed = `a list of objects such as [{"users": ["break-glass-*"], "reason": "emergency access, key in the safe", "until": "2027-03-31"}]`

// decodeExemptions reads the exemptions setting: a list of objects of exemptionFields.
func decodeExemptions(p *problems, s *Settings, v string) {
	raws, ok := decodeObjects(p, "exemptions", v, exemptionsAllowed)
	if !ok {
		return
	}
	list := make([]agecheck.Exemption, len(raws))
	for i, raw := range raws {
		path := itemPath("exemptions", i)
		if nullItem(p, path, raw, "{users, reason, until}") {
			continue
		}
		unknownFields(p, path, raw, exemptionFields, "an exemption field")
		e := &list[i]
		if r, ok := raw["users"]; ok && json.Unmarshal(r, &e.Users) != nil {
			p.add(path+".users", rawText(r), "is not a list of strings", "a list of IAM user names or * glob patterns, such as [\"break-glass-*\"]")
		}
		if r, ok := raw["reason"]; ok && json.Unmarshal(r, &e.Reason) != nil {
			p.add(path+".reason", rawText(r), "is not a string", "why the users are exempt, as text")
		}
		if r, ok := raw["until"]; ok {
			var text string
			switch {
			case json.Unmarshal(r, &text) != nil:
				p.add(path+".until", rawText(r), "is not a string", "a date YYYY-MM-DD such as \"2027-03-31\"")
			case text == "":
				// An empty until is not "no end": leaving the field out is.
				p.add(path+".until", rawText(r), "is empty", "a date YYYY-MM-DD such as \"2027-03-31\", or no until for an exemption with no end")
			default:
				e.Until = agecheck.ParseDate(yamlDate(text))
			}
		}
	}
	s.Exemptions.List = list
}

// yamlDate returns the day of an unquoted YAML date as the Pulumi CLI passes it inside an
// object ("2027-03-31 00:00:00 +0000 UTC", a YAML timestamp's Go String()) or as RFC 3339 at
// midnight UTC; any other text as it is.
func yamlDate(text string) string {
	for _, layout := range []string{"2006-01-02 15:04:05 -0700 MST", time.RFC3339} {
		if t, err := time.Parse(layout, text); err == nil && t.Equal(t.Truncate(24*time.Hour)) && t.Location() == time.UTC {
			return t.Format(time.DateOnly)
		}
	}
	return text
}

// exemptionWarnings are what works but will surprise, as of now: exemptions without an end or
// already ended, and the deprecated exemptUsers.
func (s Settings) exemptionWarnings(now time.Time) []string {
	var out []string
	for i, e := range s.Exemptions.List {
		users := strings.Join(e.Users, ", ")
		switch {
		case e.Until.IsZero():
			out = append(out, fmt.Sprintf("exemptions[%d] (%s) has no until: it never ends; give it a date (until: YYYY-MM-DD) so that it is reviewed", i, users))
		case !now.Before(e.Until.End()):
			out = append(out, fmt.Sprintf("exemptions[%d] (%s) ended on %s: it no longer exempts, and its users' keys are judged again; remove it or move its until", i, users, e.Until))
		}
	}
	if len(s.ExemptUsers) > 0 {
		out = append(out, fmt.Sprintf("exemptUsers is deprecated: its %d entries exempt with no reason and no end; move them to exemptions with a reason and an until", len(s.ExemptUsers)))
	}
	if !s.Exemptions.FromTags && s.Exemptions.MaxTagDays != DefaultMaxTagExemptionDays {
		out = append(out, fmt.Sprintf("maxTagExemptionDays (%d) has no effect while tagExemptions is false", s.Exemptions.MaxTagDays))
	}
	return out
}

// validate checks maxTagExemptionDays while tag exemptions are off: when they are on, the
// policy carries it and Policy.Validate checks it.
func (e ExemptionSettings) validate(p *problems) {
	if !e.FromTags {
		checkRange(p, "maxTagExemptionDays", e.MaxTagDays, 1, agecheck.MaxTagExemptionDaysLimit)
	}
}

// policy sets the exemption fields of the policy the settings describe. The tag fields are set
// only when tag exemptions are on, so that a stack without them has the definition it had.
func (e ExemptionSettings) policy(p *agecheck.Policy) {
	if len(e.List) > 0 {
		p.Exemptions = slices.Clone(e.List)
		for i := range p.Exemptions {
			p.Exemptions[i].Users = slices.Clone(p.Exemptions[i].Users)
		}
	}
	if e.FromTags {
		p.TagExemptions, p.MaxTagExemptionDays = true, e.MaxTagDays
	}
}

func (e ExemptionSettings) clone() ExemptionSettings {
	var p agecheck.Policy
	e.policy(&p)
	e.List = p.Exemptions
	return e
}
