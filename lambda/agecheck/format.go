package agecheck

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// Leaf helpers for text and sizes, shared by the files that follow the event: they depend on
// nothing else in the package.

// formatTime renders a time as the summaries carry it: RFC 3339 in UTC, whole seconds, so that
// the strings sort in time order.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// quote renders a string value for a FieldProblem, shortened so a huge value cannot flood the
// message.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q (%d bytes)", truncateUTF8(s, max)+"...", len(s))
	}
	return fmt.Sprintf("%q", s)
}

// truncateUTF8 shortens s to at most max bytes without splitting a UTF-8 sequence.
func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// jsonSize is the length of v's JSON encoding. The summaries and messages measured here hold
// strings, numbers and booleans only, so it should never fail; if it does, the caller fails
// with the reason rather than a panic.
func jsonSize(v any) (int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("measure the JSON encoding of a %T: %w", v, err)
	}
	return len(b), nil
}
