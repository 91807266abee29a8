package asl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Limits Step Functions enforces on definitions.
const (
	// MaxStateNameLength is the longest state name, in characters.
	MaxStateNameLength = 80
	// MaxLabelLength is the longest Distributed Map Label, in characters.
	MaxLabelLength = 40
	// MaxTimeoutSeconds bounds TimeoutSeconds, HeartbeatSeconds and IntervalSeconds.
	MaxTimeoutSeconds = 99999999
	// MaxRetryDelaySeconds is the largest MaxDelaySeconds of a Retrier (366 days; AWS wants
	// more than 0 and less than 31622401).
	MaxRetryDelaySeconds = 31622400
	// MaxPayloadBytes is the largest state input or output, and the largest batch.
	MaxPayloadBytes = 262144
)

// Validate checks the machine against the rules of the Amazon States Language and Step
// Functions' own limits, and reports every violation at once (errors.Join), each prefixed by
// the path of the state or field ("States.Scan.ItemProcessor.States.ListKeys: ..."). It checks
// transitions (dangling or missing Next and End, unreachable states, graphs that never end),
// names (unique across all nested graphs, at most 80 characters), Retry and Catch (States.ALL
// alone and last, bounds, jitter), timeouts (heartbeat below timeout), exclusive fields, fields
// of the other query language, JSONPath and reference path syntax, ".$" payload templates,
// JSONata "{% %}" delimiters, Choice rules, and Map's distributed-only fields, percentage and
// label.
//
// The query language of a state is its own QueryLanguage, else its graph's (Branch or
// ItemProcessor QueryLanguage), else the machine's, else JSONPath. A state may not use JSONPath
// inside a JSONata machine.
func (m *StateMachine) Validate() error {
	v := &validator{names: map[string]string{}}
	lang := JSONPath
	switch m.QueryLanguage {
	case "":
	case JSONPath, JSONata:
		lang = m.QueryLanguage
	default:
		v.add("QueryLanguage", "%q is unknown; want %q or %q", m.QueryLanguage, JSONPath, JSONata)
	}
	v.top = lang
	if m.Version != "" && m.Version != "1.0" {
		v.add("Version", "%q is not supported; want \"1.0\"", m.Version)
	}
	v.bound("TimeoutSeconds", m.TimeoutSeconds, 1, MaxTimeoutSeconds)
	v.graph("", m.StartAt, m.States, lang)
	return errors.Join(v.errs...)
}

type validator struct {
	errs  []error
	names map[string]string // state name -> path where it was first defined
	top   QueryLanguage
	// express counts the EXPRESS Distributed Map item processors enclosing the current graph.
	express int
}

// ValidationError is one violation found by Validate: where it is and what is wrong.
type ValidationError struct {
	// Path locates the state or field, e.g. "States.Scan.ItemProcessor.States.ListKeys.Retry[0]".
	Path string
	// Message says what is wrong and what is allowed.
	Message string
}

// Error returns "path: message".
func (e *ValidationError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &ValidationError{Path: path, Message: fmt.Sprintf(format, args...)})
}

// bound reports an integer field outside lo..hi; zero means absent and is not checked.
func (v *validator) bound(path string, n, lo, hi int) {
	if n != 0 && (n < lo || n > hi) {
		v.add(path, "%d is outside %d..%d", n, lo, hi)
	}
}

// stateCtx carries what the checks of one state need.
type stateCtx struct {
	*validator
	path     string
	lang     QueryLanguage
	siblings States
}

func (c stateCtx) at(field string) string { return c.path + "." + field }

func (c stateCtx) errf(field, format string, args ...any) {
	c.add(c.at(field), format, args...)
}

// jsonPathOnly reports a JSONPath field set in a JSONata state.
func (c stateCtx) jsonPathOnly(field string, set bool) bool {
	if set && c.lang == JSONata {
		c.errf(field, "is a JSONPath field; this state's query language is JSONata")
		return false
	}
	return set
}

// jsonataOnly reports a JSONata field set in a JSONPath state.
func (c stateCtx) jsonataOnly(field string, set bool) bool {
	if set && c.lang != JSONata {
		c.errf(field, "is a JSONata field; this state's query language is JSONPath")
		return false
	}
	return set
}

// pathField checks a JSONPath-only path field. ref requires a reference path; nullOK allows
// NullPath.
func (c stateCtx) pathField(field string, p Path, ref, nullOK bool) {
	if !c.jsonPathOnly(field, p != "") {
		return
	}
	if p.IsNull() {
		if !nullOK {
			c.errf(field, "null is not allowed; want a path")
		}
		return
	}
	if err := checkPath(string(p), ref); err != nil {
		c.errf(field, "%v", err)
	}
}

// resultPath checks a ResultPath (of a Task, Pass, Parallel, Map or Catcher): null or a
// reference path into the state's input. A variable ("$name") is refused: a result cannot be
// written into a variable (Assign does that).
func (c stateCtx) resultPath(field string, p Path) {
	c.pathField(field, p, true, true)
	if c.lang != JSONata && len(p) > 1 && p[0] == '$' && isIdentStart(p[1]) {
		c.errf(field, "path %q names a variable; ResultPath places the result in the state's input, so it starts with \"$\" (set variables with Assign)", p)
	}
}

// exclusive reports when more than one of the named fields is set.
func (c stateCtx) exclusive(fields []string, set ...bool) {
	var on []string
	for i, s := range set {
		if s {
			on = append(on, fields[i])
		}
	}
	if len(on) > 1 {
		c.errf(on[0], "%s are exclusive; set one", strings.Join(on, " and "))
	}
}

// expr checks a field that holds a JSONata expression.
func (c stateCtx) expr(field, s string) {
	if s == "" {
		return
	}
	if c.lang != JSONata {
		c.errf(field, "%q is a JSONata expression; this state's query language is JSONPath, which wants a number here", s)
		return
	}
	if err := checkExpression(s); err != nil {
		c.errf(field, "%v", err)
	}
}

// stringValue checks a string field that may be a JSONata expression in a JSONata state.
func (c stateCtx) stringValue(field, s string) {
	if c.lang == JSONata {
		if err := checkDelimiters(s); err != nil {
			c.errf(field, "%v", err)
		}
	}
}

func oneOf(v string, allowed ...string) bool { return v == "" || slices.Contains(allowed, v) }

// isRFC3339 reports whether s is a timestamp as Wait and the Timestamp operators want it.
func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}
