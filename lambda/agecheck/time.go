package agecheck

import (
	"strings"
	"time"
)

// timeLayouts are the ISO 8601 forms accepted for CreateDate and Now, tried in order. Go's
// parser accepts a fractional second after the seconds field in any of them. The forms cover
// RFC 3339 ("2021-11-27T20:15:43Z", "...43.5+02:00") and the Java style the Step Functions
// aws-sdk integration may produce ("2021-11-27T20:15:43.000+0000"). A timestamp without an
// offset is rejected: guessing its zone could misjudge a key by a day.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
}

// timeAllowed says what ParseTime accepts, for error messages.
const timeAllowed = `an ISO 8601 timestamp with an offset, e.g. "2021-11-27T20:15:43Z" or "2021-11-27T20:15:43.000+0000"`

// ParseTime parses an ISO 8601 timestamp with seconds and an offset (Z or ±hh:mm, ±hhmm, ±hh),
// optionally with fractional seconds and a space or lower-case "t"/"z", and returns it in UTC.
func ParseTime(s string) (time.Time, error) {
	norm := s
	if len(norm) > 10 && (norm[10] == ' ' || norm[10] == 't') {
		norm = norm[:10] + "T" + norm[11:]
	}
	if strings.HasSuffix(norm, "z") {
		norm = norm[:len(norm)-1] + "Z"
	}
	var firstErr error
	for _, layout := range timeLayouts {
		t, err := time.Parse(layout, norm)
		if err == nil {
			return t.UTC(), nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return time.Time{}, firstErr
}

// formatTime renders a time as the summaries carry it: RFC 3339 in UTC, whole seconds, so that
// the strings sort in time order.
func formatTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}
