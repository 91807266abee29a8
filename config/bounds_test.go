package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/keyage/keyage/lambda/agecheck"
)

// These tests pin limits and rules that a one-character slip in the code would move (found
// by hand mutation: each fails on such a slip and passes on the real code).

func TestParseListLimitsAreInclusive(t *testing.T) {
	names := func(n int) string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprintf("user-%03d", i)
		}
		b, _ := json.Marshal(l)
		return string(b)
	}
	subs := func(n int) string {
		l := make([]map[string]string, n)
		for i := range l {
			l[i] = map[string]string{"protocol": "email", "endpoint": fmt.Sprintf("sec%03d@example.com", i)}
		}
		b, _ := json.Marshal(l)
		return string(b)
	}
	tags := func(n int) string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("tag%02d", i)] = "v"
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		key   string
		limit int
		value func(int) string
		want  string
	}{
		{"exemptUsers", agecheck.MaxExemptUsers, names, fmt.Sprintf("has %d entries: want at most %d entries", agecheck.MaxExemptUsers+1, agecheck.MaxExemptUsers)},
		{"subscriptions", MaxSubscriptions, subs, ""},
		{"alarmSubscriptions", MaxSubscriptions, subs, ""},
		{"tags", MaxUserTags, tags, fmt.Sprintf("has %d tags: want at most %d tags", MaxUserTags+1, MaxUserTags)},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if _, err := Parse(map[string]string{tt.key: tt.value(tt.limit)}); err != nil {
				t.Errorf("%d entries (the limit): %v", tt.limit, err)
			}
			_, err := Parse(map[string]string{tt.key: tt.value(tt.limit + 1)})
			if err == nil {
				t.Fatalf("%d entries (one over the limit) were accepted", tt.limit+1)
			}
			if !strings.Contains(err.Error(), tt.key+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%d entries: got %q, want a message on %s saying %q", tt.limit+1, err, tt.key, tt.want)
			}
		})
	}
}

func TestParseHTTPSEndpointNeedsTheHTTPSScheme(t *testing.T) {
	tests := []struct {
		endpoint, want string
	}{
		{"ftp://hooks.example.com/x", "is not an https URL"},
		{"wss://hooks.example.com/x", "is not an https URL"},
		{"hooks.example.com/x", "is not an https URL"},
		{"https:///x", "is not an https URL"},
		{"https:hooks.example.com", "is not an https URL"},
		{"HTTP://hooks.example.com/x", "is an http URL, which sends findings unencrypted"},
		{"Http://hooks.example.com/x", "is an http URL, which sends findings unencrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			v := fmt.Sprintf(`[{"protocol":"https","endpoint":%q}]`, tt.endpoint)
			_, err := Parse(map[string]string{"subscriptions": v})
			if err == nil {
				t.Fatalf("endpoint %q was accepted for protocol https", tt.endpoint)
			}
			if !strings.Contains(err.Error(), "subscriptions[0].endpoint: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want subscriptions[0].endpoint %s", err, tt.want)
			}
		})
	}
	if _, err := Parse(map[string]string{"subscriptions": `[{"protocol":"https","endpoint":"https://hooks.example.com/keyage"}]`}); err != nil {
		t.Errorf("a valid https endpoint: %v", err)
	}
}
