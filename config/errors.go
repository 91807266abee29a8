package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SettingError is one invalid setting: the key (a Pulumi config path such as
// "subscriptions[1].endpoint"), the value as given, what is wrong with it and what is allowed.
// Parse returns every SettingError it finds, joined with errors.Join.
type SettingError struct {
	Key     string // the setting's key without namespace, with a path into structured values
	Value   string // the value as given (JSON text for structured values)
	Problem string // what is wrong, e.g. "is out of range"
	Allowed string // what would be accepted, e.g. "an integer from 1 to 3650"
}

// Error renders the problem as `key: value problem: want allowed`, or `key is missing: want
// allowed` for a required field that is not there.
func (e *SettingError) Error() string {
	if e.Value == "" && e.Problem == problemMissing {
		return fmt.Sprintf("%s %s: want %s", e.Key, e.Problem, e.Allowed)
	}
	return fmt.Sprintf("%s: %s %s: want %s", e.Key, displayValue(e.Value), e.Problem, e.Allowed)
}

// displayValue quotes a value unless it reads unambiguously on its own (a number, a boolean,
// or JSON text of a list or object), so that empty strings and spaces stay visible. null is what
// Pulumi passes for a key written without a value ("maxAgeDays:"), so it says so.
func displayValue(v string) string {
	switch v {
	case "true", "false":
		return v
	case "null":
		return "null (the key has no value)"
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil && strings.TrimSpace(v) == v {
		return v
	}
	if len(v) > 1 && (v[0] == '[' || v[0] == '{') && json.Valid([]byte(v)) {
		return v
	}
	return strconv.Quote(v)
}

// UnknownKeyError is a key in the keyage namespace that no setting has: most often a typo.
type UnknownKeyError struct {
	Key        string   // the key as given, without namespace
	Suggestion string   // the known key closest to Key, or "" when none is close
	Known      []string // every known key, sorted
}

// Error names the key, the closest known key and the list of known keys.
func (e *UnknownKeyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: unknown setting", e.Key)
	if e.Suggestion != "" {
		fmt.Fprintf(&b, " (did you mean %s?)", e.Suggestion)
	}
	fmt.Fprintf(&b, ": want one of %s", strings.Join(e.Known, ", "))
	return b.String()
}

// problemMissing is the Problem of a required field that is not there.
const problemMissing = "is missing"

// problems collects SettingErrors in the order they are found.
type problems []error

func (p *problems) add(key, value, problem, allowed string) {
	*p = append(*p, &SettingError{Key: key, Value: value, Problem: problem, Allowed: allowed})
}

func (p problems) err() error { return errors.Join(p...) }
