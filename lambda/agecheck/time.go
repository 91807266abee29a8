package agecheck

import (
	"strings"
	"time"
)

// Timestamp is an instant as the contract carries it (Event.Now, AccessKey.CreateDate): ISO 8601
// text, parsed once, when the event is decoded. It keeps the text it was read from and writes
// that text back, so that an event encoded again is the event received. A text that does not
// parse is kept too rather than failing the decoding: Validate and Check report it under its
// field's path (users[i].keys[j].CreateDate), beside the event's other problems.
type Timestamp struct {
	text  string
	time  time.Time // UTC; the zero time unless valid
	valid bool
}

// ParseTimestamp reads text as decoding does: it never fails; Valid reports whether text is a
// timestamp ParseTime accepts.
func ParseTimestamp(text string) Timestamp {
	t, err := ParseTime(text)
	return Timestamp{text: text, time: t, valid: err == nil}
}

// timestampAt is the Timestamp the summaries carry for t: its text is formatTime(t).
func timestampAt(t time.Time) Timestamp {
	return Timestamp{text: formatTime(t), time: t.UTC().Truncate(time.Second), valid: true}
}

// IsZero reports whether the Timestamp has no text (an absent field); encoding/json's omitzero
// leaves such a field out.
func (ts Timestamp) IsZero() bool { return ts.text == "" }

// Time returns the instant in UTC, or the zero time when the text did not parse.
func (ts Timestamp) Time() time.Time { return ts.time }

// Valid reports whether the text parsed.
func (ts Timestamp) Valid() bool { return ts.valid }

// String returns the text as received.
func (ts Timestamp) String() string { return ts.text }

// MarshalText returns the text as received; encoding/json writes it as a JSON string.
func (ts Timestamp) MarshalText() ([]byte, error) { return []byte(ts.text), nil }

// UnmarshalText parses text as ParseTimestamp does and never fails. It is UnmarshalText, not
// UnmarshalJSON, so that encoding/json decodes a Timestamp exactly as it decodes a string: a
// JSON number, bool, object or array is an *json.UnmarshalTypeError naming the field, decoding
// goes on to report the first such error, and null leaves the Timestamp as it was.
func (ts *Timestamp) UnmarshalText(text []byte) error {
	*ts = ParseTimestamp(string(text))
	return nil
}

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
