package agecheck

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func date(s string) Date { return ParseDate(s) }

func TestPolicyValidateExemptions(t *testing.T) {
	ok := func(users ...string) Exemption { return Exemption{Users: users, Reason: "break-glass"} }
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("n%d", i)
		}
		return out
	}
	many := func(n int) []Exemption {
		out := make([]Exemption, n)
		for i := range out {
			out[i] = ok(fmt.Sprintf("u%d", i))
		}
		return out
	}
	tests := []struct {
		name string
		p    Policy
		want []string // "field value: problem: allowed"
	}{
		{"valid, with and without an end", Policy{MaxAgeDays: 90, Exemptions: []Exemption{
			{Users: []string{"svc-*", "ci"}, Reason: "pipeline", Until: date("2027-01-31")}, ok("break-glass")}}, nil},
		{"at the bounds", Policy{MaxAgeDays: 90, Exemptions: many(MaxExemptions)}, nil},
		{"too many exemptions", Policy{MaxAgeDays: 90, Exemptions: many(MaxExemptions + 1)},
			[]string{"exemptions 11 exemptions: has too many entries: at most 10 exemptions"}},
		{"too many patterns with exemptUsers", Policy{MaxAgeDays: 90, ExemptUsers: []string{"a", "b"},
			Exemptions: []Exemption{{Users: append(names(98), "A"), Reason: "r"}}},
			[]string{
				"exemptions 101 names and patterns: names too many users and patterns (with exemptUsers): at most 100 names and patterns in exemptions and exemptUsers together",
				"exemptions[0].users[98] A: repeats exemptUsers[0] (names are case-insensitive): each name or pattern once"}},
		{"no users, no reason, bad until", Policy{MaxAgeDays: 90, Exemptions: []Exemption{{Reason: " ", Until: date("2027-02-30")}}},
			[]string{
				"exemptions[0].users []: is empty: a list of IAM user names or * glob patterns, such as [break-glass-*]",
				`exemptions[0].reason: is missing: why the users are exempt, 1 to 100 bytes of text, such as "break-glass account, key in the safe"`,
				"exemptions[0].until 2027-02-30: is not a date: a date YYYY-MM-DD such as 2027-03-31, or no until for an exemption with no end"}},
		{"a reason too long, a line break", Policy{MaxAgeDays: 90, Exemptions: []Exemption{
			{Users: []string{"a"}, Reason: strings.Repeat("r", 101)}, {Users: []string{"b"}, Reason: "two\nlines"}}},
			[]string{
				"exemptions[0].reason " + strings.Repeat("r", 101) + ": is not a reason of 1 to 100 bytes of text (101 bytes): 1 to 100 bytes of UTF-8 text without line breaks or control characters",
				"exemptions[1].reason two\nlines: is not a reason of 1 to 100 bytes of text (9 bytes): 1 to 100 bytes of UTF-8 text without line breaks or control characters"}},
		{"a pattern named in exemptUsers too, every user", Policy{MaxAgeDays: 90, ExemptUsers: []string{"Bob"},
			Exemptions: []Exemption{{Users: []string{"bob", "*", "a b"}, Reason: "r"}}},
			[]string{
				"exemptions[0].users[0] bob: repeats exemptUsers[0] (names are case-insensitive): each name or pattern once",
				"exemptions[0].users[1] *: exempts every user, which turns keyage off: a name or a narrower pattern (set scheduleEnabled to false to pause keyage)",
				"exemptions[0].users[2] a b: is not an IAM user name or pattern: letters, digits and +=,.@_-*, 1 to 64 characters"}},
		{"tag exemptions at the bounds", Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 365}, nil},
		{"tag exemptions without a maximum", Policy{MaxAgeDays: 90, TagExemptions: true},
			[]string{"maxTagExemptionDays 0: is out of range: an integer from 1 to 365"}},
		{"tag exemptions over a year", Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 366},
			[]string{"maxTagExemptionDays 366: is out of range: an integer from 1 to 365"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range tt.p.Validate() {
				got = append(got, strings.TrimSpace(p.Field+" "+p.Value)+": "+p.Problem+": "+p.Allowed)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestDecodeExemptionsRoundTrip(t *testing.T) {
	in := `{"maxAgeDays":90,"exemptions":[{"users":["svc-*"],"reason":"pipeline","until":"2026-12-01"},{"users":["bg"],"reason":"safe"}]}`
	var p Policy
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	if !p.Exemptions[0].Until.Valid() || !p.Exemptions[1].Until.IsZero() {
		t.Fatalf("got untils %+v, want the first parsed and the second absent", p.Exemptions)
	}
	out, _ := json.Marshal(p)
	if string(out) != in {
		t.Errorf("encoded again:\n%s\nwant\n%s", out, in)
	}
}

// TestCheckExemptionExpiry: an exemption holds through its until day (UTC) and no longer after
// it; its users' keys are then judged, their findings marked.
func TestCheckExemptionExpiry(t *testing.T) {
	p := Policy{MaxAgeDays: 90, Exemptions: []Exemption{
		{Users: []string{"svc-*"}, Reason: "pipeline", Until: date("2026-11-23")},
		{Users: []string{"bg"}, Reason: "break-glass"},
	}, ExemptUsers: []string{"legacy"}}
	users := func() []UserKeys {
		return []UserKeys{
			{UserName: "svc-deploy", Keys: []AccessKey{activeKey("AKIASVC1", ago(days(100))), activeKey("AKIASVC2", ago(days(1)))}},
			{UserName: "BG", Keys: []AccessKey{activeKey("AKIABG", ago(days(400)))}},
			{UserName: "legacy", Keys: []AccessKey{activeKey("AKIALEG", ago(days(400)))}},
			{UserName: "alice", Keys: []AccessKey{activeKey("AKIAALICE", ago(days(100)))}},
		}
	}
	endOfDay := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		now         time.Time
		wantExempt  int
		wantKeys    []int    // ExemptionKeys
		wantExpired []string // ExemptionExpired of each finding, by key ID order of findings
	}{
		{"on its last day", endOfDay.Add(-time.Second), 4, []int{2, 1, 1}, []string{""}},
		{"the day after", endOfDay, 2, []int{0, 1, 1}, []string{"", "svc-* (until 2026-11-23)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Check(users(), p, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if s.Exempt != tt.wantExempt || !reflect.DeepEqual(s.ExemptionKeys, tt.wantKeys) {
				t.Errorf("got exempt %d, exemptionKeys %v; want %d, %v", s.Exempt, s.ExemptionKeys, tt.wantExempt, tt.wantKeys)
			}
			var expired []string
			for _, f := range s.Findings {
				expired = append(expired, f.ExemptionExpired)
			}
			if !reflect.DeepEqual(expired, tt.wantExpired) {
				t.Errorf("got findings %+v, want exemptionExpired %q", s.Findings, tt.wantExpired)
			}
		})
	}
}

// TestCheckExemptionPrecedence: a user named by an exemption that ended and by one that holds
// is exempt (counted against the one that holds); the expired marker names the first ended one.
func TestCheckExemptionPrecedence(t *testing.T) {
	p := Policy{MaxAgeDays: 90, Exemptions: []Exemption{
		{Users: []string{"a*"}, Reason: "old", Until: date("2026-01-01")},
		{Users: []string{"al*"}, Reason: "older", Until: date("2025-01-01")},
		{Users: []string{"alice"}, Reason: "now", Until: date("2027-01-01")},
	}}
	users := []UserKeys{
		{UserName: "alice", Keys: []AccessKey{activeKey("K1", ago(days(100)))}},
		{UserName: "alan", Keys: []AccessKey{activeKey("K2", ago(days(100)))}},
	}
	s, err := Check(users, p, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 0, 1}; !reflect.DeepEqual(s.ExemptionKeys, want) {
		t.Errorf("got exemptionKeys %v, want %v", s.ExemptionKeys, want)
	}
	if len(s.Findings) != 1 || s.Findings[0].ExemptionExpired != "a* (until 2026-01-01)" {
		t.Errorf("got findings %+v, want alan's key marked a* (until 2026-01-01)", s.Findings)
	}
}

func TestTagExemptionOf(t *testing.T) {
	p := Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 30}
	// testNow is 2026-11-23T08:00Z: 30 days ahead is 2026-12-23.
	tests := []struct {
		name string
		tags map[string]string
		err  string
		want *TagExemption
	}{
		{"no keyage tags", map[string]string{"team": "x"}, "", nil},
		{"holds", map[string]string{TagExemptUntil: "2026-12-23", TagExemptReason: " vendor integration "}, "",
			&TagExemption{UserName: "u", Reason: "vendor integration", Until: "2026-12-23", Status: TagExemptionHolds}},
		{"a day too far", map[string]string{TagExemptUntil: "2026-12-24", TagExemptReason: "vendor"}, "",
			&TagExemption{UserName: "u", Reason: "vendor", Until: "2026-12-24", Status: TagExemptionRefused,
				Problem: "ends more than maxTagExemptionDays (30) ahead: at most 2026-12-23"}},
		{"no end", map[string]string{TagExemptReason: "vendor"}, "",
			&TagExemption{UserName: "u", Reason: "vendor", Status: TagExemptionRefused,
				Problem: "no keyage-exempt-until tag: an exemption by tag needs an end, a date YYYY-MM-DD such as 2027-03-31 at most 30 days ahead"}},
		{"not a date", map[string]string{TagExemptUntil: "next week", TagExemptReason: "vendor"}, "",
			&TagExemption{UserName: "u", Reason: "vendor", Until: "next week", Status: TagExemptionRefused,
				Problem: "not a date YYYY-MM-DD such as 2027-03-31"}},
		{"no reason", map[string]string{TagExemptUntil: "2026-12-01", TagExemptReason: ""}, "",
			&TagExemption{UserName: "u", Until: "2026-12-01", Status: TagExemptionRefused,
				Problem: "no keyage-exempt-reason tag: an exemption by tag needs a reason"}},
		{"ended yesterday", map[string]string{TagExemptUntil: "2026-11-22", TagExemptReason: "vendor"}, "",
			&TagExemption{UserName: "u", Reason: "vendor", Until: "2026-11-22", Status: TagExemptionExpired, Problem: "ended on 2026-11-22"}},
		{"ends today", map[string]string{TagExemptUntil: "2026-11-23", TagExemptReason: "vendor"}, "",
			&TagExemption{UserName: "u", Reason: "vendor", Until: "2026-11-23", Status: TagExemptionHolds}},
		{"a long reason is shortened", map[string]string{TagExemptUntil: "2026-12-01", TagExemptReason: strings.Repeat("é", 60)}, "",
			&TagExemption{UserName: "u", Reason: strings.Repeat("é", 50), Until: "2026-12-01", Status: TagExemptionHolds}},
		{"tags unreadable", nil, "AccessDenied", &TagExemption{UserName: "u", Status: TagExemptionRefused, Problem: "tags could not be read: AccessDenied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tagExemptionOf(&UserKeys{UserName: "u", Tags: tt.tags, TagsError: tt.err}, p, testNow)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestCheckTagExemptions: tags count only when the policy reads them; a tag exemption that
// holds hides the user's keys, one refused or ended leaves them judged, and every one is listed.
func TestCheckTagExemptions(t *testing.T) {
	users := func() []UserKeys {
		return []UserKeys{
			{UserName: "held", Tags: map[string]string{TagExemptUntil: "2026-12-01", TagExemptReason: "vendor"},
				Keys: []AccessKey{activeKey("K1", ago(days(100))), activeKey("K2", ago(days(200)))}},
			{UserName: "ended", Tags: map[string]string{TagExemptUntil: "2026-11-01", TagExemptReason: "vendor"},
				Keys: []AccessKey{activeKey("K3", ago(days(100)))}},
			{UserName: "far", Tags: map[string]string{TagExemptUntil: "2030-01-01", TagExemptReason: "forever"},
				Keys: []AccessKey{activeKey("K4", ago(days(100)))}},
		}
	}
	off, err := Check(users(), Policy{MaxAgeDays: 90}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if off.Flagged != 4 || off.TagExemptionCount != 0 {
		t.Fatalf("tag exemptions off: got %d flagged, %d tag exemptions; want 4 and 0", off.Flagged, off.TagExemptionCount)
	}
	s, err := Check(users(), Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 90}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if s.Flagged != 2 || s.Exempt != 2 || s.TagExemptionCount != 3 {
		t.Errorf("got flagged %d, exempt %d, tag exemptions %d; want 2, 2, 3", s.Flagged, s.Exempt, s.TagExemptionCount)
	}
	var got []string
	for _, te := range s.TagExemptions {
		got = append(got, fmt.Sprintf("%s %s %d", te.UserName, te.Status, te.Keys))
	}
	if want := []string{"ended expired 0", "far refused 0", "held exempt 2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got tag exemptions %q, want %q", got, want)
	}
	marks := map[string]string{}
	for _, f := range s.Findings {
		marks[f.UserName] = f.ExemptionExpired
	}
	if want := map[string]string{"ended": "tag keyage-exempt-until 2026-11-01", "far": ""}; !reflect.DeepEqual(marks, want) {
		t.Errorf("got exemptionExpired by user %v, want %v", marks, want)
	}
}

// TestMergeExemptionTally: counts add exactly across batches; the tag list is sorted and bounded.
func TestMergeExemptionTally(t *testing.T) {
	batch := func(first int, keys []int) Summary {
		var s Summary
		s.ExemptionKeys = keys
		for i := range 30 {
			s.TagExemptions = append(s.TagExemptions, TagExemption{UserName: fmt.Sprintf("u%03d", first+i), Status: TagExemptionHolds, Keys: 1})
		}
		s.TagExemptionCount = 30
		return s
	}
	prev := batch(30, []int{1})
	m, err := Merge(&prev, []Summary{batch(0, []int{2, 0, 5}), batch(60, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{3, 0, 5}; !reflect.DeepEqual(m.ExemptionKeys, want) {
		t.Errorf("got exemptionKeys %v, want %v", m.ExemptionKeys, want)
	}
	if m.TagExemptionCount != 90 || len(m.TagExemptions) != MaxTagExemptionsListed ||
		m.TagExemptions[0].UserName != "u000" || m.TagExemptions[MaxTagExemptionsListed-1].UserName != "u049" {
		t.Errorf("got %d tag exemptions counted, %d listed (%s..%s); want 90, %d (u000..u049)", m.TagExemptionCount,
			len(m.TagExemptions), m.TagExemptions[0].UserName, m.TagExemptions[len(m.TagExemptions)-1].UserName, MaxTagExemptionsListed)
	}
}

func TestDecodeRefusesBadTally(t *testing.T) {
	ev := `{"op":"report","now":"2026-11-23T08:00:00Z","account":"123456789012","policy":{"maxAgeDays":90},` +
		`"summary":{"users":1,"exemptionKeys":[-1],"tagExemptions":[{"userName":"a","status":"exempt","keys":1}],"tagExemptionCount":0}}`
	_, err := Decode([]byte(ev))
	for _, want := range []string{"summary.exemptionKeys[0]", "summary.tagExemptionCount"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode: got %v, want a problem naming %s", err, want)
		}
	}
}
