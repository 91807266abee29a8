package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/keyage/keyage/schedule"
)

// Key is one setting's name and type as Pulumi.yaml declares it (Pulumi.yaml also describes it).
type Key struct {
	Name      string // without namespace, e.g. "maxAgeDays"
	Type      string // Pulumi project config type: integer, boolean, string, array or object
	ItemsType string // for arrays: the items' type
}

// Limits that are keyage's own choices, not AWS's.
const (
	// MaxExemptUsers bounds exemptUsers: the policy travels in the definition and in every event.
	MaxExemptUsers = 100
	// MaxSubscriptions bounds subscriptions and alarmSubscriptions (each).
	MaxSubscriptions = 100
	// MaxUserTags bounds tags: AWS allows 50 per resource and keyage keeps 10 for its own.
	MaxUserTags = 40
	// MaxAgeDaysLimit bounds maxAgeDays: ten years, far beyond any rotation policy.
	MaxAgeDaysLimit = 3650
)

// LogRetentionDays lists the retention periods CloudWatch Logs accepts (PutRetentionPolicy).
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// LogLevels lists the state machine log levels keyage accepts. OFF is missing on purpose:
// it fails Security Hub control StepFunctions.1.
var LogLevels = []string{"ALL", "ERROR", "FATAL"}

type setting struct {
	Key
	parse func(p *problems, s *Settings, value string)
}

// settings is the one table of every key, in the order errors are reported.
var settings = []setting{
	{Key{"maxAgeDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.MaxAgeDays = parseInt(p, "maxAgeDays", v, 1, MaxAgeDaysLimit)
		}},
	{Key{"warnAgeDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.WarnAgeDays = parseInt(p, "warnAgeDays", v, 1, MaxAgeDaysLimit-1)
		}},
	{Key{"exemptUsers", "array", "string"},
		func(p *problems, s *Settings, v string) { s.ExemptUsers = parseExemptUsers(p, v) }},
	{Key{"schedule", "string", ""},
		func(p *problems, s *Settings, v string) {
			s.Schedule = v
			if _, err := schedule.Parse(v); err != nil {
				var se *schedule.Error
				errors.As(err, &se)
				p.add("schedule", v, se.Problem, se.Allowed)
			}
		}},
	{Key{"scheduleTimezone", "string", ""},
		func(p *problems, s *Settings, v string) {
			s.ScheduleTimezone = v
			if _, err := schedule.LoadLocation(v); err != nil {
				p.add("scheduleTimezone", v, "is not a known time zone", "an IANA time zone name such as UTC, Europe/Berlin or America/New_York")
			}
		}},
	{Key{"scheduleEnabled", "boolean", ""},
		func(p *problems, s *Settings, v string) { s.ScheduleEnabled = parseBool(p, "scheduleEnabled", v) }},
	{Key{"subscriptions", "array", "object"},
		func(p *problems, s *Settings, v string) { s.Subscriptions = parseSubscriptions(p, "subscriptions", v) }},
	{Key{"alarmSubscriptions", "array", "object"},
		func(p *problems, s *Settings, v string) {
			s.AlarmSubscriptions = parseSubscriptions(p, "alarmSubscriptions", v)
		}},
	{Key{"maxConcurrency", "integer", ""},
		func(p *problems, s *Settings, v string) { s.MaxConcurrency = parseInt(p, "maxConcurrency", v, 1, 1000) }},
	{Key{"logLevel", "string", ""},
		func(p *problems, s *Settings, v string) {
			s.LogLevel = v
			switch {
			case strings.ToUpper(v) == "OFF":
				p.add("logLevel", v, "is not allowed: it turns execution logging off, which fails Security Hub control StepFunctions.1", "ALL, ERROR or FATAL")
			case slices.Contains(LogLevels, strings.ToUpper(v)) && !slices.Contains(LogLevels, v):
				p.add("logLevel", v, "is not a log level (they are upper case)", "ALL, ERROR or FATAL")
			case !slices.Contains(LogLevels, v):
				p.add("logLevel", v, "is not a log level", "ALL, ERROR or FATAL")
			}
		}},
	{Key{"includeExecutionData", "boolean", ""},
		func(p *problems, s *Settings, v string) {
			s.IncludeExecutionData = parseBool(p, "includeExecutionData", v)
		}},
	{Key{"logRetentionDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			n, err := strconv.Atoi(v)
			if err != nil || !slices.Contains(LogRetentionDays, n) {
				p.add("logRetentionDays", v, "is not a retention period CloudWatch Logs accepts", "one of "+joinInts(LogRetentionDays))
			}
			s.LogRetentionDays = n
		}},
	{Key{"functionMemoryMB", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.FunctionMemoryMB = parseInt(p, "functionMemoryMB", v, 128, 10240)
		}},
	{Key{"scheduleRetryAttempts", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.ScheduleRetryAttempts = parseInt(p, "scheduleRetryAttempts", v, 0, 185)
		}},
	{Key{"scheduleMaxEventAgeSeconds", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.ScheduleMaxEventAgeSec = parseInt(p, "scheduleMaxEventAgeSeconds", v, 60, 86400)
		}},
	{Key{"tags", "object", ""},
		func(p *problems, s *Settings, v string) { s.Tags = parseTags(p, v) }},
}

// Keys returns every setting keyage knows, in a stable order.
func Keys() []Key {
	keys := make([]Key, len(settings))
	for i, s := range settings {
		keys[i] = s.Key
	}
	return keys
}

// Parse validates raw settings (keys without namespace, values as Pulumi hands them to a Go
// program: strings, with lists and objects as JSON text) over Defaults(). It reports every
// problem at once: unknown keys as *UnknownKeyError, invalid values as *SettingError.
func Parse(values map[string]string) (Settings, error) {
	s := Defaults()
	var p problems
	for _, st := range settings {
		if v, ok := values[st.Name]; ok {
			st.parse(&p, &s, v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !isKnown(k) {
			p = append(p, unknownKey(k))
		}
	}
	// warnAgeDays is checked against maxAgeDays only when both are valid on their own.
	if w, m := s.WarnAgeDays, s.MaxAgeDays; w >= 1 && w < MaxAgeDaysLimit && m >= 1 && m <= MaxAgeDaysLimit && w >= m {
		allowed := fmt.Sprintf("an integer from 1 to %d, or no warnAgeDays", m-1)
		if m == 1 {
			allowed = "no warnAgeDays when maxAgeDays is 1"
		}
		p.add("warnAgeDays", strconv.Itoa(w), fmt.Sprintf("is not below maxAgeDays (%d)", m), allowed)
	}
	if err := p.err(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

func isKnown(key string) bool {
	return slices.ContainsFunc(settings, func(s setting) bool { return s.Name == key })
}

func unknownKey(key string) *UnknownKeyError {
	e := &UnknownKeyError{Key: key}
	best := -1
	for _, s := range settings {
		e.Known = append(e.Known, s.Name)
		lower, name := strings.ToLower(key), strings.ToLower(s.Name)
		d := editDistance(lower, name)
		if len(lower) >= 4 && strings.HasPrefix(name, lower) {
			d = 1 // a truncated key: "maxage" for "maxAgeDays"
		}
		if d <= max(2, len(name)/4) && (best < 0 || d < best) {
			best, e.Suggestion = d, s.Name
		}
	}
	slices.Sort(e.Known)
	return e
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func parseInt(p *problems, key, v string, lo, hi int) int {
	allowed := fmt.Sprintf("an integer from %d to %d", lo, hi)
	n, err := strconv.Atoi(v)
	if err != nil {
		p.add(key, v, "is not an integer", allowed)
		return 0
	}
	if n < lo || n > hi {
		p.add(key, v, "is out of range", allowed)
	}
	return n
}

func parseBool(p *problems, key, v string) bool {
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	p.add(key, v, "is not a boolean", "true or false")
	return false
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ", ")
}

// decodeJSON decodes v into out, refusing trailing data, and reports why it could not.
func decodeJSON(v string, out any) error {
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("unexpected data after the JSON value")
	}
	return nil
}

// userNamePattern is an exemptUsers entry: IAM user-name characters plus the * wildcard.
var userNamePattern = regexp.MustCompile(`^[\w+=,.@*-]+$`)

func parseExemptUsers(p *problems, v string) []string {
	const allowed = "a list of IAM user names or * glob patterns (letters, digits and +=,.@_-*, 1 to 64 characters each), such as [break-glass-*]"
	var names []string
	if err := decodeJSON(v, &names); err != nil {
		p.add("exemptUsers", v, "is not a list of strings", allowed)
		return nil
	}
	if len(names) > MaxExemptUsers {
		p.add("exemptUsers", v, fmt.Sprintf("has %d entries", len(names)), fmt.Sprintf("at most %d entries", MaxExemptUsers))
	}
	seen := map[string]int{}
	for i, n := range names {
		key := fmt.Sprintf("exemptUsers[%d]", i)
		switch {
		case n == "" || len(n) > 64 || !userNamePattern.MatchString(n):
			p.add(key, n, "is not an IAM user name or pattern", "letters, digits and +=,.@_-*, 1 to 64 characters")
		case strings.Trim(n, "*") == "":
			p.add(key, n, "exempts every user, which turns keyage off", "a name or a narrower pattern (set scheduleEnabled to false to pause keyage)")
		default:
			if j, dup := seen[strings.ToLower(n)]; dup {
				p.add(key, n, fmt.Sprintf("repeats exemptUsers[%d] (names are case-insensitive)", j), "each name or pattern once")
			} else {
				seen[strings.ToLower(n)] = i
			}
		}
	}
	return names
}

// tagPattern is the character set AWS allows in tag keys and values.
var tagPattern = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

func parseTags(p *problems, v string) map[string]string {
	var tags map[string]string
	if err := decodeJSON(v, &tags); err != nil {
		var values map[string]json.RawMessage
		if decodeJSON(v, &values) != nil || values == nil {
			p.add("tags", v, "is not an object of string values", `an object of strings such as {"team": "security", "cost-center": "4711"}`)
			return nil
		}
		for _, k := range slices.Sorted(maps.Keys(values)) {
			var s string
			if json.Unmarshal(values[k], &s) != nil {
				p.add(fmt.Sprintf("tags[%q]", k), string(values[k]), "is not a string", `a string: quote numbers and booleans, such as "4711"`)
			}
		}
		return nil
	}
	if len(tags) > MaxUserTags {
		p.add("tags", v, fmt.Sprintf("has %d tags", len(tags)), fmt.Sprintf("at most %d tags (AWS allows 50 per resource; keyage keeps 10 for its own)", MaxUserTags))
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		path := fmt.Sprintf("tags[%q]", k)
		n := len([]rune(k))
		switch {
		case n == 0 || n > 128 || !tagPattern.MatchString(k):
			p.add(path, k, "is not a valid tag key", "1 to 128 letters, digits, spaces and _.:/=+-@")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			p.add(path, k, "uses the prefix aws:, which AWS reserves", "a tag key that does not start with aws:")
		}
		if val := tags[k]; len([]rune(val)) > 256 || !tagPattern.MatchString(val) {
			p.add(path, val, "is not a valid tag value", "0 to 256 letters, digits, spaces and _.:/=+-@")
		}
	}
	return tags
}

// compactJSON returns the JSON text in v without insignificant space.
func compactJSON(v []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return string(v)
	}
	return b.String()
}
