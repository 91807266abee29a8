package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/lambda/agecheck"
)

func TestParseExemptionsInvalid(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		want   []string
	}{
		{"not a list", map[string]string{"exemptions": `{"users":["a"]}`},
			[]string{`exemptions: {"users":["a"]} is not a list of objects: want a list of objects such as [{"users": ["break-glass-*"], "reason": "emergency access, key in the safe", "until": "2027-03-31"}]`}},
		{"wrong types, unknown field", map[string]string{"exemptions": `[{"users":"a","reason":1,"until":20270331,"owner":"x"}]`},
			[]string{
				`exemptions[0].owner: "x" is not an exemption field: want one of users, reason, until`,
				`exemptions[0].users: "a" is not a list of strings: want a list of IAM user names or * glob patterns, such as ["break-glass-*"]`,
				`exemptions[0].reason: 1 is not a string: want why the users are exempt, as text`,
				`exemptions[0].until: 20270331 is not a string: want a date YYYY-MM-DD such as "2027-03-31"`,
			}},
		{"the policy's rules, under their paths", map[string]string{"exemptions": `[{"users":["svc-*"],"until":"31.12.2027"},{"users":[],"reason":"r","until":""}]`},
			[]string{
				`exemptions[0].reason is missing: want why the users are exempt, 1 to 100 bytes of text, such as "break-glass account, key in the safe"`,
				`exemptions[0].until: "31.12.2027" is not a date: want a date YYYY-MM-DD such as 2027-03-31, or no until for an exemption with no end`,
				`exemptions[1].until: "" is empty: want a date YYYY-MM-DD such as "2027-03-31", or no until for an exemption with no end`,
				`exemptions[1].users: [] is empty: want a list of IAM user names or * glob patterns, such as [break-glass-*]`,
			}},
		{"tag days out of range, tags off", map[string]string{"maxTagExemptionDays": "0"},
			[]string{"maxTagExemptionDays: 0 is out of range: want an integer from 1 to 365"}},
		{"tag days out of range, tags on", map[string]string{"tagExemptions": "true", "maxTagExemptionDays": "400"},
			[]string{"maxTagExemptionDays: 400 is out of range: want an integer from 1 to 365"}},
		{"tagExemptions not a boolean", map[string]string{"tagExemptions": "yes"},
			[]string{`tagExemptions: "yes" is not a boolean: want true or false`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.values)
			wantProblems(t, err, tt.want, "Parse(%v)", tt.values)
		})
	}
}

// TestParseExemptionsEmptyUsers: an exemption with no users is refused by the policy's rules,
// which the pipeline reports after decoding (the decoded problems above hide it).
func TestParseExemptionsEmptyUsers(t *testing.T) {
	_, err := Parse(map[string]string{"exemptions": `[{"users":[],"reason":"r"}]`})
	want := "exemptions[0].users: [] is empty: want a list of IAM user names or * glob patterns, such as [break-glass-*]"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestExemptionsPolicyAndWarnings(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s := Defaults()
	s.ExemptUsers = []string{"legacy"}
	s.Exemptions.List = []agecheck.Exemption{
		{Users: []string{"bg-*"}, Reason: "break-glass"},
		{Users: []string{"svc"}, Reason: "migration", Until: agecheck.ParseDate("2026-11-30")},
		{Users: []string{"ci"}, Reason: "pipeline", Until: agecheck.ParseDate("2026-12-01")},
	}
	c, err := s.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"exemptions[0] (bg-*) has no until: it never ends; give it a date (until: YYYY-MM-DD) so that it is reviewed",
		"exemptions[1] (svc) ended on 2026-11-30: it no longer exempts, and its users' keys are judged again; remove it or move its until",
		"exemptUsers is deprecated: its 1 entries exempt with no reason and no end; move them to exemptions with a reason and an until",
	}
	if !reflect.DeepEqual(c.Warnings, want) {
		t.Errorf("warnings\n got %q\nwant %q", c.Warnings, want)
	}
	p := c.Settings().Policy()
	if len(p.Exemptions) != 3 || p.TagExemptions || p.MaxTagExemptionDays != 0 {
		t.Errorf("policy %+v: want 3 exemptions and no tag fields while tagExemptions is off", p)
	}
	s.Exemptions.List[0].Users[0] = "changed"
	if got := c.Settings().Exemptions.List[0].Users[0]; got != "bg-*" {
		t.Errorf("a Checked changed with its caller's settings: users[0] = %q", got)
	}

	s = Defaults()
	s.Exemptions.FromTags, s.Exemptions.MaxTagDays = true, 30
	if p := MustCheck(s).Settings().Policy(); !p.TagExemptions || p.MaxTagExemptionDays != 30 {
		t.Errorf("policy %+v: want tagExemptions with 30 days", p)
	}
	s = Defaults()
	s.Exemptions.MaxTagDays = 30
	if w := MustCheck(s).Warnings; len(w) != 1 || !strings.Contains(w[0], "maxTagExemptionDays (30) has no effect") {
		t.Errorf("warnings %q, want maxTagExemptionDays without tagExemptions to be warned about", w)
	}
}

// TestStackFileUnquotedUntil: an unquoted date in a stack file is a YAML timestamp, which the
// Pulumi CLI hands over in Go's time format; it is read as the date it was written as.
func TestStackFileUnquotedUntil(t *testing.T) {
	dir := t.TempDir()
	body := "config:\n  keyage:exemptions:\n    - users: [bg]\n      reason: break-glass\n      until: 2030-06-30\n"
	if err := os.WriteFile(StackFile(dir, "s"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadStackFile(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Settings().Exemptions.List[0].Until.String(); got != "2030-06-30" {
		t.Errorf("until = %q, want 2030-06-30", got)
	}
	for _, text := range []string{"2030-06-30 00:00:00 +0000 UTC", "2030-06-30T00:00:00Z"} {
		if got := yamlDate(text); got != "2030-06-30" {
			t.Errorf("yamlDate(%q) = %q, want 2030-06-30", text, got)
		}
	}
	if got := yamlDate("2030-06-30T08:00:00Z"); got != "2030-06-30T08:00:00Z" {
		t.Errorf("yamlDate of a time of day = %q, want it unchanged (not a date)", got)
	}
}
