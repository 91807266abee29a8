package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keyage/keyage/lambda/agecheck"
)

// Key is one setting's name and type as Pulumi.yaml declares it (Pulumi.yaml also describes it).
type Key struct {
	Name      string // without namespace, e.g. "maxAgeDays"
	Type      string // Pulumi project config type: integer, boolean, string, array or object
	ItemsType string // for arrays: the items' type
}

// Limits that are keyage's own choices, not AWS's.
const (
	// MaxSubscriptions bounds subscriptions and alarmSubscriptions (each).
	MaxSubscriptions = 100
	// MaxUserTags bounds tags: AWS allows 50 per resource and keyage keeps 10 for its own.
	MaxUserTags = 40
	// MinMaxConcurrency and MaxMaxConcurrency bound maxConcurrency (IAM calls in flight).
	MinMaxConcurrency = 1
	MaxMaxConcurrency = 1000
)

// Limits AWS sets (Lambda memory; EventBridge Scheduler's RetryPolicy).
const (
	MinFunctionMemoryMB       = 128
	MaxFunctionMemoryMB       = 10240
	MaxScheduleRetryAttempts  = 185
	MinScheduleMaxEventAgeSec = 60
	MaxScheduleMaxEventAgeSec = 86400
)

// LogRetentionDays lists the retention periods CloudWatch Logs accepts (PutRetentionPolicy).
var LogRetentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// LogLevels lists the state machine log levels keyage accepts. OFF is missing on purpose:
// it fails Security Hub control StepFunctions.1.
var LogLevels = []string{"ALL", "ERROR", "FATAL"}

type setting struct {
	Key
	// decode turns the value's text into its typed field of s. It reports only what keeps the
	// text from being a value of the field's type; every rule on the value is Settings.Validate's.
	decode func(p *problems, s *Settings, value string)
}

// settings is the one table of every key, in the order errors are reported.
var settings = slices.Concat(coreSettings, organizationSettings)

// coreSettings are the settings of the single-account notifier.
var coreSettings = []setting{
	{Key{"maxAgeDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.MaxAgeDays = decodeInt(p, "maxAgeDays", v, fmt.Sprintf("an integer from %d to %d", agecheck.MinMaxAgeDays, agecheck.MaxMaxAgeDays))
		}},
	{Key{"warnAgeDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			allowed := intRange(1, agecheck.MaxMaxAgeDays-1)
			s.WarnAgeDays = decodeInt(p, "warnAgeDays", v, allowed)
			if n, err := strconv.Atoi(v); err == nil && n == 0 {
				// 0 is how Settings say "off"; a stack file says it by leaving the key out.
				p.add("warnAgeDays", v, "is out of range", allowed)
			}
		}},
	{Key{"unusedDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.UnusedDays = decodeInt(p, "unusedDays", v, fmt.Sprintf("an integer from 1 to %d, or 0 to turn the unused control off", agecheck.MaxUnusedDays))
		}},
	{Key{"newKeyGraceDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.NewKeyGraceDays = decodeInt(p, "newKeyGraceDays", v, intRange(0, agecheck.MaxNewKeyGraceDays))
		}},
	{Key{"checkRootKeys", "boolean", ""},
		func(p *problems, s *Settings, v string) { s.CheckRootKeys = decodeBool(p, "checkRootKeys", v) }},
	{Key{"exemptUsers", "array", "string"},
		func(p *problems, s *Settings, v string) {
			if err := decodeJSON(v, &s.ExemptUsers); err != nil {
				p.add("exemptUsers", v, "is not a list of strings", fmt.Sprintf("a list of IAM user names or * glob patterns (letters, digits and +=,.@_-*, 1 to %d characters each), such as [break-glass-*]", agecheck.MaxPatternLength))
			}
		}},
	{Key{"exemptions", "array", "object"}, decodeExemptions},
	{Key{"tagExemptions", "boolean", ""},
		func(p *problems, s *Settings, v string) { s.Exemptions.FromTags = decodeBool(p, "tagExemptions", v) }},
	{Key{"maxTagExemptionDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.Exemptions.MaxTagDays = decodeInt(p, "maxTagExemptionDays", v, intRange(1, agecheck.MaxTagExemptionDaysLimit))
		}},
	{Key{"schedule", "string", ""},
		func(p *problems, s *Settings, v string) { s.Schedule = v }},
	{Key{"scheduleTimezone", "string", ""},
		func(p *problems, s *Settings, v string) { s.ScheduleTimezone = v }},
	{Key{"scheduleEnabled", "boolean", ""},
		func(p *problems, s *Settings, v string) { s.ScheduleEnabled = decodeBool(p, "scheduleEnabled", v) }},
	{Key{"subscriptions", "array", "object"},
		func(p *problems, s *Settings, v string) { s.Subscriptions = decodeSubscriptions(p, "subscriptions", v) }},
	{Key{"alarmSubscriptions", "array", "object"},
		func(p *problems, s *Settings, v string) {
			s.AlarmSubscriptions = decodeSubscriptions(p, "alarmSubscriptions", v)
		}},
	{Key{"maxConcurrency", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.MaxConcurrency = decodeInt(p, "maxConcurrency", v, intRange(MinMaxConcurrency, MaxMaxConcurrency))
		}},
	{Key{"logLevel", "string", ""},
		func(p *problems, s *Settings, v string) { s.LogLevel = v }},
	{Key{"includeExecutionData", "boolean", ""},
		func(p *problems, s *Settings, v string) {
			s.IncludeExecutionData = decodeBool(p, "includeExecutionData", v)
		}},
	{Key{"logRetentionDays", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.LogRetentionDays = decodeInt(p, "logRetentionDays", v, "one of "+joinInts(LogRetentionDays))
		}},
	{Key{"functionMemoryMB", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.FunctionMemoryMB = decodeInt(p, "functionMemoryMB", v, intRange(MinFunctionMemoryMB, MaxFunctionMemoryMB))
		}},
	{Key{"scheduleRetryAttempts", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.ScheduleRetryAttempts = decodeInt(p, "scheduleRetryAttempts", v, intRange(0, MaxScheduleRetryAttempts))
		}},
	{Key{"scheduleMaxEventAgeSeconds", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.ScheduleMaxEventAgeSec = decodeInt(p, "scheduleMaxEventAgeSeconds", v, intRange(MinScheduleMaxEventAgeSec, MaxScheduleMaxEventAgeSec))
		}},
	{Key{"tags", "object", ""},
		func(p *problems, s *Settings, v string) { s.Tags = decodeTags(p, v) }},
	{Key{"rolePath", "string", ""},
		func(p *problems, s *Settings, v string) { s.RolePath = v }},
	{Key{"rolePermissionsBoundary", "string", ""},
		func(p *problems, s *Settings, v string) { s.RolePermissionsBoundary = v }},
	{Key{"ownerTagKeys", "array", "string"},
		func(p *problems, s *Settings, v string) { s.Owners.TagKeys = decodeOwnerTagKeys(p, v) }},
	{Key{"ownerSubscriptions", "array", "object"},
		func(p *problems, s *Settings, v string) { s.Owners.Subscriptions = decodeOwnerSubscriptions(p, v) }},
	{Key{"maxOwnerMessages", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.Owners.MaxMessages = decodeInt(p, "maxOwnerMessages", v, intRange(1, agecheck.MaxOwnerMessagesPerRun))
		}},
	{Key{"ownerEmail", "object", ""},
		func(p *problems, s *Settings, v string) { s.Owners.Email = decodeOwnerEmail(p, v) }},
	{Key{"deploy", "string", ""},
		func(p *problems, s *Settings, v string) { s.Component.Deploy = v }},
	{Key{"scannerStateMachineRoleArn", "string", ""},
		func(p *problems, s *Settings, v string) { s.Component.ScannerStateMachineRoleARN = v }},
	{Key{"scannerFunctionRoleArn", "string", ""},
		func(p *problems, s *Settings, v string) { s.Component.ScannerFunctionRoleARN = v }},
	{Key{"principalOrgId", "string", ""},
		func(p *problems, s *Settings, v string) { s.Component.PrincipalOrgID = v }},
	{Key{"memberStackSet", "object", ""},
		func(p *problems, s *Settings, v string) { s.Component.MemberStackSet = decodeMemberStackSet(p, v) }},
	{Key{"chat", "object", ""},
		func(p *problems, s *Settings, v string) { s.Chat = decodeChat(p, v) }},
}

// Keys returns every setting keyage knows, in a stable order.
func Keys() []Key {
	keys := make([]Key, len(settings))
	for i, s := range settings {
		keys[i] = s.Key
	}
	return keys
}

// Parse decodes raw settings (keys without namespace, values as Pulumi hands them to a Go
// program: strings, with lists and objects as JSON text) over Defaults(), and validates the
// result with the rule set of Settings.Check, whose result it returns. It reports every
// problem at once, in the order of the settings table: values that are not of their key's type
// and invalid values as *SettingError, unknown keys as *UnknownKeyError.
func Parse(values map[string]string) (Checked, error) {
	return parse(values, nil, nil)
}

// ParseConfig is Parse for a stack's whole configuration as Pulumi hands it to a program:
// namespaced keys ("keyage:maxAgeDays", "aws:region") with text values. keyage's keys are
// Parse's; aws:region becomes Settings.Region, checked by the same rule set. Keys of other
// namespaces belong to other packages and are ignored, except in a namespace that is a
// misspelling of keyage's ("keyag:maxAgeDays"), which Pulumi would silently ignore too.
func ParseConfig(all map[string]string) (Checked, error) {
	values := map[string]string{}
	var region *string
	var p problems
	for _, k := range slices.Sorted(maps.Keys(all)) {
		ns, name, ok := strings.Cut(k, ":")
		switch {
		case !ok:
			p.add(k, all[k], "is not of the form namespace:name", "a key such as "+Namespace+":maxAgeDays or "+RegionKey)
		case ns == Namespace:
			values[name] = all[k]
		case k == RegionKey:
			v := all[k]
			region = &v
		case misspelledNamespace(ns):
			p.add(k, all[k], fmt.Sprintf("is in namespace %q, which nothing reads (did you mean %s:%s?)", ns, Namespace, name),
				fmt.Sprintf("%s:%s: keyage's settings live in the %s namespace", Namespace, name, Namespace))
		}
	}
	return parse(values, region, p)
}

// RegionKey is the AWS provider's region setting, which ParseConfig reads into Settings.Region.
const RegionKey = "aws:region"

// misspelledNamespace reports whether a config namespace looks like a typo of keyage's.
func misspelledNamespace(ns string) bool {
	lower := strings.ToLower(ns)
	return lower == Namespace || editDistance(lower, Namespace) <= 2
}

func parse(values map[string]string, region *string, early problems) (Checked, error) {
	s := Defaults()
	decoded := early
	for _, st := range settings {
		if v, ok := values[st.Name]; ok {
			st.decode(&decoded, &s, v)
		}
	}
	// A key the stack's component does not use is refused by name, even at its default value.
	componentKeys(&decoded, s.Component.Deploy, values)
	if region != nil {
		s.Region = *region
		if *region == "" {
			decoded.add(RegionKey, "", "is empty", allowedRegion+", or no "+RegionKey)
		}
	}
	// A value that could not be decoded is not validated: its zero value would only add
	// a second, misleading problem for the same key.
	all := decoded
	now := time.Now()
	validated, sched := s.validate(now)
	for _, e := range validated {
		if !decoded.covers(e) {
			all = append(all, e)
		}
	}
	all.sort()
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !isKnown(k) {
			all = append(all, unknownKey(k))
		}
	}
	if err := all.err(); err != nil {
		return Checked{}, err
	}
	return s.checked(sched, now), nil
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

func decodeInt(p *problems, key, v, allowed string) int {
	n, err := strconv.Atoi(v)
	if err != nil {
		p.add(key, v, "is not an integer", allowed)
	}
	return n
}

func decodeBool(p *problems, key, v string) bool {
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	p.add(key, v, "is not a boolean", "true or false")
	return false
}

func intRange(lo, hi int) string { return fmt.Sprintf("an integer from %d to %d", lo, hi) }

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

func decodeTags(p *problems, v string) map[string]string {
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
