package agecheck

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestPolicyValidate(t *testing.T) {
	names := func(n int) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprintf("user-%03d", i)
		}
		return l
	}
	tests := []struct {
		name string
		p    Policy
		want []string // "field value: problem: allowed"
	}{
		{"defaults", Policy{MaxAgeDays: 90}, nil},
		{"bounds", Policy{MaxAgeDays: MaxMaxAgeDays, WarnAgeDays: MaxMaxAgeDays - 1, ExemptUsers: names(MaxExemptUsers)}, nil},
		{"a 64-character name", Policy{MaxAgeDays: 1, ExemptUsers: []string{strings.Repeat("a", 64)}}, nil},
		{"maxAgeDays 0", Policy{}, []string{"maxAgeDays 0: is out of range: an integer from 1 to 3650"}},
		{"maxAgeDays 3651", Policy{MaxAgeDays: 3651}, []string{"maxAgeDays 3651: is out of range: an integer from 1 to 3650"}},
		{"warn negative", Policy{MaxAgeDays: 90, WarnAgeDays: -1}, []string{"warnAgeDays -1: is out of range: an integer from 1 to 3649, or no warnAgeDays"}},
		{"warn at max", Policy{MaxAgeDays: 90, WarnAgeDays: 90}, []string{"warnAgeDays 90: is not below maxAgeDays (90): an integer from 1 to 89, or no warnAgeDays"}},
		{"warn with max 1", Policy{MaxAgeDays: 1, WarnAgeDays: 1}, []string{"warnAgeDays 1: is not below maxAgeDays (1): no warnAgeDays when maxAgeDays is 1"}},
		{"warn against an invalid max", Policy{MaxAgeDays: 0, WarnAgeDays: 5}, []string{"maxAgeDays 0: is out of range: an integer from 1 to 3650"}},
		{"unused and grace at their bounds", Policy{MaxAgeDays: 90, UnusedDays: 3650, NewKeyGraceDays: 365}, nil},
		{"unused off, no grace", Policy{MaxAgeDays: 90}, nil},
		{"unused negative", Policy{MaxAgeDays: 90, UnusedDays: -1}, []string{"unusedDays -1: is out of range: an integer from 1 to 3650, or 0 to turn the unused control off"}},
		{"unused 3651", Policy{MaxAgeDays: 90, UnusedDays: 3651}, []string{"unusedDays 3651: is out of range: an integer from 1 to 3650, or 0 to turn the unused control off"}},
		{"grace negative", Policy{MaxAgeDays: 90, NewKeyGraceDays: -1}, []string{"newKeyGraceDays -1: is out of range: an integer from 0 to 365"}},
		{"grace 366", Policy{MaxAgeDays: 90, UnusedDays: 45, NewKeyGraceDays: 366}, []string{"newKeyGraceDays 366: is out of range: an integer from 0 to 365"}},
		{"a 65-character name", Policy{MaxAgeDays: 90, ExemptUsers: []string{strings.Repeat("a", 65)}},
			[]string{"exemptUsers[0] " + strings.Repeat("a", 65) + ": is not an IAM user name or pattern: letters, digits and +=,.@_-*, 1 to 64 characters"}},
		{"empty, space, star, duplicate", Policy{MaxAgeDays: 90, ExemptUsers: []string{"", "a b", "**", "Bob", "bob"}},
			[]string{
				"exemptUsers[0]: is not an IAM user name or pattern: letters, digits and +=,.@_-*, 1 to 64 characters",
				"exemptUsers[1] a b: is not an IAM user name or pattern: letters, digits and +=,.@_-*, 1 to 64 characters",
				"exemptUsers[2] **: exempts every user, which turns keyage off: a name or a narrower pattern (set scheduleEnabled to false to pause keyage)",
				"exemptUsers[4] bob: repeats exemptUsers[3] (names are case-insensitive): each name or pattern once",
			}},
		{"101 entries", Policy{MaxAgeDays: 90, ExemptUsers: names(MaxExemptUsers + 1)}, []string{"exemptUsers: has 101 entries: at most 100 entries"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range tt.p.Validate() {
				value := p.Value
				if p.Field == "exemptUsers" {
					value = "" // the whole list
				}
				got = append(got, strings.TrimSpace(p.Field+" "+value)+": "+p.Problem+": "+p.Allowed)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate() =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}
