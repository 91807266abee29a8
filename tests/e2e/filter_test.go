package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// arrayAttributes are the attributes keyage publishes as String.Array (a JSON array as text).
var arrayAttributes = []string{"kinds"}

// filterMatches evaluates an SNS attribute filter policy against a published message's
// attributes as SNS does, for the operators keyage's tests use: every key of the policy must
// match (an absent attribute matches none of its values, and only {"exists": false}); a key
// matches when any of its values does: a string equal to the attribute (to any element of a
// String.Array), {"prefix": p}, {"anything-but": v or [v...]}, {"exists": b}.
// https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
func filterMatches(t testing.TB, policy string, attrs map[string]string) bool {
	t.Helper()
	if policy == "" {
		return true
	}
	var doc map[string][]any
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("filter policy %s: %v", policy, err)
	}
	for key, values := range doc {
		raw, present := attrs[key]
		elems := []string{raw}
		if present && slices.Contains(arrayAttributes, key) {
			if err := json.Unmarshal([]byte(raw), &elems); err != nil {
				t.Fatalf("attribute %s = %q is no String.Array: %v", key, raw, err)
			}
		}
		if !slices.ContainsFunc(values, func(v any) bool { return valueMatches(t, v, present, elems) }) {
			return false
		}
	}
	return true
}

func valueMatches(t testing.TB, v any, present bool, elems []string) bool {
	switch v := v.(type) {
	case string:
		return present && slices.Contains(elems, v)
	case map[string]any:
		for op, arg := range v {
			switch op {
			case "exists":
				return present == arg.(bool)
			case "prefix":
				return present && slices.ContainsFunc(elems, func(e string) bool { return strings.HasPrefix(e, arg.(string)) })
			case "anything-but":
				var but []any
				if list, ok := arg.([]any); ok {
					but = list
				} else {
					but = []any{arg}
				}
				return present && slices.ContainsFunc(elems, func(e string) bool { return !slices.Contains(but, any(e)) })
			}
			t.Fatalf("filter operator %q is not evaluated here", op)
		}
	}
	t.Fatalf("filter value %v (%T) is not evaluated here", v, v)
	return false
}

// delivered is what a subscription with the filter policy receives of the messages published.
func delivered(t testing.TB, policy string, pubs []sfnlocal.Publish) []sfnlocal.Publish {
	t.Helper()
	var out []sfnlocal.Publish
	for _, p := range pubs {
		if filterMatches(t, policy, p.Attributes) {
			out = append(out, p)
		}
	}
	return out
}

func TestFilterMatches(t *testing.T) {
	attrs := map[string]string{"severity": "stale", "account": "111122223333", "scope": "account", "kinds": `["stale","unused"]`}
	for _, tt := range []struct {
		policy string
		want   bool
	}{
		{"", true},
		{`{"account":["111122223333"]}`, true},
		{`{"account":["444455556666"]}`, false},
		{`{"scope":["organization"]}`, false},
		{`{"kinds":["unused"]}`, true},
		{`{"kinds":["warning"]}`, false},
		{`{"severity":["stale"],"account":["111122223333"]}`, true},
		{`{"severity":["warning"],"account":["111122223333"]}`, false},
		{`{"severity":[{"anything-but":"warning"}]}`, true},
		{`{"severity":[{"anything-but":["stale"]}]}`, false},
		{`{"account":[{"prefix":"1111"}]}`, true},
		{`{"test":[{"exists":false}]}`, true},
		{`{"test":[{"exists":true}]}`, false},
		{`{"test":["x"]}`, false},
	} {
		if got := filterMatches(t, tt.policy, attrs); got != tt.want {
			t.Errorf("filter %s on %v: %v, want %v", tt.policy, attrs, got, tt.want)
		}
	}
}
