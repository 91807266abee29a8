package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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

// graph checks one state graph: the machine's top level (prefix "") or a nested one (prefix
// "States.P.Branches[0]." or "States.M.ItemProcessor.").
func (v *validator) graph(prefix, startAt string, states States, lang QueryLanguage) {
	if len(states) == 0 {
		v.add(prefix+"States", "no states; want at least one")
	}
	switch {
	case startAt == "":
		v.add(prefix+"StartAt", "missing; want the name of the first state")
	case states[startAt] == nil:
		v.add(prefix+"StartAt", "%q is not a state of this graph", startAt)
	}
	names := sortedNames(states)
	terminal := false
	for _, name := range names {
		path := prefix + "States." + name
		st := states[name]
		if st == nil {
			v.add(path, "state is nil")
			continue
		}
		if n := utf8.RuneCountInString(name); n > MaxStateNameLength {
			v.add(path, "name is %d characters; the limit is %d", n, MaxStateNameLength)
		}
		if name == "" {
			v.add(path, "name is empty")
		}
		if first, dup := v.names[name]; dup {
			v.add(path, "name %q is already used by %s; state names must be unique across the machine, nested graphs included", name, first)
		} else {
			v.names[name] = path
		}
		v.state(path, st, lang, states)
		if endsGraph(st) {
			terminal = true
		}
	}
	if len(states) > 0 && !terminal {
		v.add(prefix+"States", "no state ends this graph; want a state with End, a Succeed or a Fail")
	}
	if states[startAt] == nil {
		return
	}
	seen := map[string]bool{}
	for _, name := range reachable(startAt, states) {
		seen[name] = true
	}
	for _, name := range names {
		if !seen[name] && states[name] != nil {
			v.add(prefix+"States."+name, "unreachable from StartAt %q", startAt)
		}
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
	if p == NullPath {
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

// template checks a free-form payload (Parameters, Arguments, Output, Assign, ...) in the
// state's query language: in JSONPath, each key ending in ".$" must hold a path or intrinsic;
// in JSONata, strings must have balanced "{% %}" delimiters and no key ends in ".$".
func (c stateCtx) template(field string, value any) {
	value, ok := c.decoded(field, value)
	if !ok {
		return
	}
	walkTemplate(c.at(field), value, func(path, key string, val any) {
		if c.lang == JSONata {
			if strings.HasSuffix(key, ".$") {
				c.add(path, "a key ending in \".$\" is JSONPath; a JSONata state writes \"{%% ... %%}\" values")
			}
			if s, ok := val.(string); ok {
				if err := checkDelimiters(s); err != nil {
					c.add(path, "%v", err)
				}
			}
			return
		}
		if obj, ok := val.(map[string]any); ok {
			for _, k := range slices.Sorted(maps.Keys(obj)) {
				if base, dynamic := strings.CutSuffix(k, ".$"); dynamic {
					if _, dup := obj[base]; dup {
						c.add(path+"."+k, "%q and %q both name the field %q once \".$\" is removed; keep one", k, base, base)
					}
				}
			}
		}
		if !strings.HasSuffix(key, ".$") {
			return
		}
		s, ok := val.(string)
		if !ok {
			c.add(path, "a key ending in \".$\" must hold a path or an intrinsic function, got %s", jsonKind(val))
			return
		}
		if err := checkPathOrIntrinsic(s); err != nil {
			c.add(path, "%v", err)
		}
	})
}

// assign checks an Assign block: its values as a payload template of the state's query
// language, and each key (less a JSONPath ".$" suffix) as a variable name: a letter or "_"
// followed by letters, digits and "_", and not the reserved "states".
func (c stateCtx) assign(field string, vars map[string]any) {
	for _, key := range slices.Sorted(maps.Keys(vars)) {
		name := key
		if c.lang != JSONata {
			name = strings.TrimSuffix(key, ".$")
		}
		if !isVariableName(name) {
			c.errf(field+"."+key, "%q is not a variable name: want a letter or \"_\" followed by letters, digits or \"_\"", name)
		} else if name == "states" {
			c.errf(field+"."+key, "\"states\" is reserved for the $states variable")
		}
	}
	c.template(field, map[string]any(vars))
}

func isVariableName(s string) bool {
	for i, r := range s {
		if !(r == '_' || unicode.IsLetter(r) || (i > 0 && unicode.IsDigit(r))) {
			return false
		}
	}
	return s != ""
}

// decoded returns v as encoding/json decodes what Render writes for it (objects as
// map[string]any, arrays as []any), so the checks see the rendered document whatever Go types
// a caller built a payload from (a map[string]string, a struct); it reports the field and
// returns false when v cannot be rendered as JSON.
func (c stateCtx) decoded(field string, v any) (any, bool) {
	if isDecoded(v) {
		return v, true
	}
	raw, err := json.Marshal(v)
	var out any
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		err = dec.Decode(&out)
	}
	if err != nil {
		c.errf(field, "cannot be rendered as JSON: %v", err)
		return nil, false
	}
	return out, true
}

// isDecoded reports whether v is already made of the types encoding/json decodes into (or
// plain Go numbers), so decoded can skip the round trip.
func isDecoded(v any) bool {
	switch t := v.(type) {
	case nil, string, bool, json.Number, float64, int:
		return true
	case map[string]any:
		for _, e := range t {
			if !isDecoded(e) {
				return false
			}
		}
		return true
	case []any:
		for _, e := range t {
			if !isDecoded(e) {
				return false
			}
		}
		return true
	}
	return false
}

// walkTemplate calls fn for every value of a payload template with its path and the object
// key it sits under ("" for array elements and the root), in sorted key order.
func walkTemplate(path string, value any, fn func(path, key string, val any)) {
	var walk func(path, key string, val any)
	walk = func(path, key string, val any) {
		fn(path, key, val)
		switch t := val.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(t)) {
				walk(path+"."+k, k, t[k])
			}
		case []any:
			for i, e := range t {
				walk(path+"["+strconv.Itoa(i)+"]", "", e)
			}
		}
	}
	walk(path, "", value)
}

func (v *validator) state(path string, st State, inherited QueryLanguage, graph States) {
	c := stateCtx{validator: v, path: path, lang: inherited, siblings: graph}
	switch ql := st.common().QueryLanguage; ql {
	case "":
	case JSONPath:
		if v.top == JSONata {
			c.errf("QueryLanguage", "JSONPath is not allowed in a JSONata state machine")
		}
		c.lang = ql
	case JSONata:
		c.lang = ql
	default:
		c.errf("QueryLanguage", "%q is unknown; want %q or %q", ql, JSONPath, JSONata)
	}
	if f := st.flow(); f != nil {
		switch {
		case f.End && f.Next != "":
			c.errf("Next", "Next and End are exclusive; set one")
		case !f.End && f.Next == "":
			c.add(path, "has neither Next nor End; want exactly one")
		}
		c.target("Next", f.Next)
	}
	switch s := st.(type) {
	case *Task:
		c.task(s)
	case *Pass:
		c.io(s.IO)
		if c.jsonPathOnly("Result", s.Result != nil) {
			c.decoded("Result", s.Result)
		}
		c.resultPath("ResultPath", s.ResultPath)
		if c.jsonPathOnly("Parameters", s.Parameters != nil) {
			c.object("Parameters", s.Parameters)
		}
	case *Wait:
		c.io(s.IO)
		c.wait(s)
	case *Succeed:
		io := s.IO
		if io.Assign != nil {
			c.errf("Assign", "a Succeed state cannot assign variables; Assign belongs in a Pass, Task, Map, Parallel, Choice or Wait state")
			io.Assign = nil
		}
		c.io(io)
	case *Fail:
		c.fail(s)
	case *Choice:
		c.io(s.IO)
		c.choice(s)
	case *Parallel:
		c.io(s.IO)
		c.parallel(s)
	case *Map:
		c.io(s.IO)
		c.mapState(s)
	}
}

// target checks that a transition names a state of the same graph.
func (c stateCtx) target(field, name string) {
	if name != "" && c.siblings[name] == nil {
		c.errf(field, "%q is not a state of this graph", name)
	}
}

func (c stateCtx) io(io IO) {
	c.pathField("InputPath", io.InputPath, false, true)
	c.pathField("OutputPath", io.OutputPath, false, true)
	if c.jsonataOnly("Output", io.Output != nil) {
		c.template("Output", io.Output)
	}
	if io.Assign != nil {
		c.assign("Assign", io.Assign)
	}
}

// results checks the JSONPath result fields and the JSONata Arguments of Task and Parallel.
func (c stateCtx) results(params, args, selector any, resultPath Path) {
	if c.jsonPathOnly("Parameters", params != nil) {
		c.object("Parameters", params)
	}
	if c.jsonataOnly("Arguments", args != nil) {
		c.objectOrExpression("Arguments", args)
	}
	if c.jsonPathOnly("ResultSelector", selector != nil) {
		c.object("ResultSelector", selector)
	}
	c.resultPath("ResultPath", resultPath)
}

// object checks a payload template that must be a JSON object (Parameters, ResultSelector,
// ItemSelector in JSONPath).
func (c stateCtx) object(field string, v any) {
	v, ok := c.decoded(field, v)
	if !ok {
		return
	}
	if _, ok := v.(map[string]any); !ok {
		c.errf(field, "want an object, got %s", jsonKind(v))
		return
	}
	c.template(field, v)
}

// objectOrExpression checks a JSONata field that must be an object or a "{% %}" expression
// (Arguments, ItemSelector).
func (c stateCtx) objectOrExpression(field string, v any) {
	v, ok := c.decoded(field, v)
	if !ok {
		return
	}
	if s, ok := v.(string); ok {
		if err := checkExpression(s); err != nil {
			c.errf(field, "%v", err)
		}
		return
	}
	if _, ok := v.(map[string]any); !ok {
		c.errf(field, "want an object or a JSONata expression, got %s", jsonKind(v))
		return
	}
	c.template(field, v)
}

func (c stateCtx) task(s *Task) {
	c.io(s.IO)
	c.results(s.Parameters, s.Arguments, s.ResultSelector, s.ResultPath)
	switch {
	case s.Resource == "":
		c.errf("Resource", "missing; want an ARN")
	case !strings.HasPrefix(s.Resource, "arn:"):
		c.errf("Resource", "%q is not an ARN", s.Resource)
	case strings.Contains(s.Resource, ":aws-sdk:") && strings.Contains(s.Resource, ".sync"):
		c.errf("Resource", "%q: aws-sdk integrations do not support the .sync pattern", s.Resource)
	case c.express > 0 && (strings.HasSuffix(s.Resource, ".waitForTaskToken") || strings.Contains(s.Resource, ".sync")):
		c.errf("Resource", "%q: Express child workflows support neither .sync nor .waitForTaskToken", s.Resource)
	}
	number(c, "TimeoutSeconds", s.TimeoutSeconds, 1, MaxTimeoutSeconds)
	number(c, "HeartbeatSeconds", s.HeartbeatSeconds, 1, MaxTimeoutSeconds)
	if h, t := s.HeartbeatSeconds.N, s.TimeoutSeconds.N; h > 0 && t > 0 && h >= t {
		c.errf("HeartbeatSeconds", "%d must be less than TimeoutSeconds %d", h, t)
	}
	if cr := s.Credentials; cr != nil {
		switch {
		case cr.RoleArn == "" && cr.RoleArnPath == "":
			c.errf("Credentials", "want RoleArn or RoleArn.$")
		case cr.RoleArn != "" && cr.RoleArnPath != "":
			c.errf("Credentials", "RoleArn and RoleArn.$ are exclusive; set one")
		}
		if c.jsonPathOnly("Credentials.RoleArn.$", cr.RoleArnPath != "") {
			if err := checkPathOrIntrinsic(cr.RoleArnPath); err != nil {
				c.errf("Credentials.RoleArn.$", "%v", err)
			}
		}
		switch {
		case cr.RoleArn == "":
		case c.lang == JSONata && isExpression(cr.RoleArn):
		case !strings.HasPrefix(cr.RoleArn, "arn:"):
			c.errf("Credentials.RoleArn", "%q is not an ARN", cr.RoleArn)
		}
	}
	for i, p := range s.Permissions {
		field := "Permissions[" + strconv.Itoa(i) + "]"
		if p.Effect != "Allow" && p.Effect != "Deny" {
			c.errf(field+".Effect", "%q is not an IAM effect; want \"Allow\" or \"Deny\"", p.Effect)
		}
		if len(p.Action) == 0 || slices.Contains(p.Action, "") {
			c.errf(field+".Action", "want one or more non-empty IAM actions")
		}
		if len(p.Resource) == 0 || slices.Contains(p.Resource, "") {
			c.errf(field+".Resource", "want one or more non-empty resources")
		}
	}
	c.retry(s.Retry)
	c.catch(s.Catch)
}

// stringValue checks a string field that may be a JSONata expression in a JSONata state.
func (c stateCtx) stringValue(field, s string) {
	if c.lang == JSONata {
		if err := checkDelimiters(s); err != nil {
			c.errf(field, "%v", err)
		}
	}
}

func (c stateCtx) wait(s *Wait) {
	fields := []string{"Seconds", "Seconds (expression)", "Timestamp", "SecondsPath", "TimestampPath"}
	set := []bool{s.Seconds.N != 0, s.Seconds.Expr != "", s.Timestamp != "", s.Seconds.Path != "", s.TimestampPath != ""}
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	if n == 0 {
		c.add(c.path, "a Wait needs one of Seconds, Timestamp, SecondsPath or TimestampPath")
	}
	c.exclusive(fields, set...)
	numberValue(c, "Seconds", s.Seconds, 0, MaxTimeoutSeconds)
	c.pathField("TimestampPath", s.TimestampPath, true, false)
	if s.Timestamp != "" && !(c.lang == JSONata && isExpression(s.Timestamp)) {
		c.stringValue("Timestamp", s.Timestamp)
		if !isRFC3339(s.Timestamp) {
			c.errf("Timestamp", "%q is not an RFC 3339 timestamp", s.Timestamp)
		}
	}
}

func (c stateCtx) fail(s *Fail) {
	c.exclusive([]string{"Error", "ErrorPath"}, s.Error != "", s.ErrorPath != "")
	c.exclusive([]string{"Cause", "CausePath"}, s.Cause != "", s.CausePath != "")
	for _, f := range []struct {
		name string
		p    Path
	}{{"ErrorPath", s.ErrorPath}, {"CausePath", s.CausePath}} {
		if !c.jsonPathOnly(f.name, f.p != "") {
			continue
		}
		if f.p == NullPath {
			c.errf(f.name, "null is not allowed; want a path or an intrinsic function")
		} else if err := checkPathOrIntrinsic(string(f.p)); err != nil {
			c.errf(f.name, "%v", err)
		}
	}
	c.stringValue("Error", s.Error)
	c.stringValue("Cause", s.Cause)
}

func (c stateCtx) parallel(s *Parallel) {
	c.results(s.Parameters, s.Arguments, s.ResultSelector, s.ResultPath)
	if len(s.Branches) == 0 {
		c.errf("Branches", "empty; want at least one branch")
	}
	for i := range s.Branches {
		b := &s.Branches[i]
		c.nested(c.path+".Branches["+strconv.Itoa(i)+"].", b)
	}
	c.retry(s.Retry)
	c.catch(s.Catch)
}

// nested checks a nested graph, whose states default to the graph's QueryLanguage, else the
// machine's.
func (c stateCtx) nested(prefix string, b *Branch) {
	lang := c.top
	switch b.QueryLanguage {
	case "":
	case JSONPath:
		if c.top == JSONata {
			c.add(prefix+"QueryLanguage", "JSONPath is not allowed in a JSONata state machine")
		}
		lang = b.QueryLanguage
	case JSONata:
		lang = b.QueryLanguage
	default:
		c.add(prefix+"QueryLanguage", "%q is unknown; want %q or %q", b.QueryLanguage, JSONPath, JSONata)
	}
	c.graph(prefix, b.StartAt, b.States, lang)
}

func (c stateCtx) retry(rs []Retrier) {
	for i, r := range rs {
		field := "Retry[" + strconv.Itoa(i) + "]"
		c.errorEquals(field, r.ErrorEquals, i == len(rs)-1, "retrier")
		c.bound(c.at(field+".IntervalSeconds"), r.IntervalSeconds, 1, MaxTimeoutSeconds)
		if r.MaxAttempts != nil && (*r.MaxAttempts < 0 || *r.MaxAttempts > MaxTimeoutSeconds) {
			c.errf(field+".MaxAttempts", "%d is outside 0..%d", *r.MaxAttempts, MaxTimeoutSeconds)
		}
		if r.BackoffRate != 0 && r.BackoffRate < 1 {
			c.errf(field+".BackoffRate", "%g is less than 1", r.BackoffRate)
		}
		c.bound(c.at(field+".MaxDelaySeconds"), r.MaxDelaySeconds, 1, MaxRetryDelaySeconds)
		switch r.JitterStrategy {
		case "", JitterFull, JitterNone:
		default:
			c.errf(field+".JitterStrategy", "%q is unknown; want %q or %q", r.JitterStrategy, JitterFull, JitterNone)
		}
	}
}

func (c stateCtx) catch(cs []Catcher) {
	for i, k := range cs {
		field := "Catch[" + strconv.Itoa(i) + "]"
		c.errorEquals(field, k.ErrorEquals, i == len(cs)-1, "catcher")
		if k.Next == "" {
			c.errf(field+".Next", "missing; want the state to move to")
		}
		c.target(field+".Next", k.Next)
		c.resultPath(field+".ResultPath", k.ResultPath)
		if c.jsonataOnly(field+".Output", k.Output != nil) {
			c.template(field+".Output", k.Output)
		}
		if k.Assign != nil {
			c.assign(field+".Assign", k.Assign)
		}
	}
}

func (c stateCtx) errorEquals(field string, names []string, last bool, what string) {
	if len(names) == 0 {
		c.errf(field+".ErrorEquals", "empty; want at least one error name")
	}
	for _, n := range names {
		if n == "" {
			c.errf(field+".ErrorEquals", "has an empty error name")
		}
		if n != ErrAll {
			continue
		}
		if len(names) > 1 {
			c.errf(field+".ErrorEquals", "%q must appear alone", ErrAll)
		}
		if !last {
			c.errf(field, "a %s matching %q must be the last", what, ErrAll)
		}
	}
}

func (c stateCtx) choice(s *Choice) {
	if len(s.Choices) == 0 {
		c.errf("Choices", "empty; want at least one rule")
	}
	for i := range s.Choices {
		r := &s.Choices[i]
		field := "Choices[" + strconv.Itoa(i) + "]"
		if r.Next == "" {
			c.errf(field+".Next", "missing; a top-level rule names the state to move to")
		}
		c.target(field+".Next", r.Next)
		if c.jsonataOnly(field+".Output", r.Output != nil) {
			c.template(field+".Output", r.Output)
		}
		if r.Assign != nil {
			c.assign(field+".Assign", r.Assign)
		}
		c.rule(field, r)
	}
	c.target("Default", s.Default)
}

// rule checks one Choice rule: in JSONata a Condition; in JSONPath either exactly one of And,
// Or, Not, or a Variable with exactly one comparison operator.
func (c stateCtx) rule(field string, r *ChoiceRule) {
	ops := r.operands()
	if c.lang == JSONata {
		switch {
		case r.Condition == "":
			c.errf(field+".Condition", "missing; a JSONata rule needs a Condition")
		default:
			if err := checkExpression(r.Condition); err != nil {
				c.errf(field+".Condition", "%v", err)
			}
		}
		c.jsonPathOnly(field+".Variable", r.Variable != "")
		c.jsonPathOnly(field+".And", r.And != nil)
		c.jsonPathOnly(field+".Or", r.Or != nil)
		c.jsonPathOnly(field+".Not", r.Not != nil)
		for _, op := range ops {
			c.jsonPathOnly(field+"."+op.name, true)
		}
		return
	}
	c.jsonataOnly(field+".Condition", r.Condition != "")
	var combinators []string
	if r.And != nil {
		combinators = append(combinators, "And")
	}
	if r.Or != nil {
		combinators = append(combinators, "Or")
	}
	if r.Not != nil {
		combinators = append(combinators, "Not")
	}
	switch {
	case len(combinators) > 1:
		c.errf(field, "%s are exclusive; set one", strings.Join(combinators, " and "))
	case len(combinators) == 1:
		if r.Variable != "" || len(ops) > 0 {
			c.errf(field, "%s cannot be combined with Variable or a comparison operator", combinators[0])
		}
	case r.Variable == "":
		c.errf(field+".Variable", "missing; want a path (or use And, Or, Not)")
	case len(ops) == 0:
		c.errf(field, "no comparison operator; want exactly one, such as StringEquals or IsPresent")
	case len(ops) > 1:
		names := make([]string, len(ops))
		for i, op := range ops {
			names[i] = op.name
		}
		c.errf(field, "%s are exclusive; want exactly one comparison operator", strings.Join(names, " and "))
	}
	if r.Variable != "" {
		c.pathField(field+".Variable", r.Variable, false, false)
	}
	for _, op := range ops {
		switch {
		case op.path != "":
			c.pathField(field+"."+op.name, op.path, false, false)
		case op.op.kind == operandTimestamp:
			if ts := op.value.(string); !isRFC3339(ts) {
				c.errf(field+"."+op.name, "%q is not an RFC 3339 timestamp", ts)
			}
		}
	}
	for i, list := range [][]ChoiceRule{r.And, r.Or} {
		name := [...]string{"And", "Or"}[i]
		if list != nil && len(list) == 0 {
			c.errf(field+"."+name, "empty; want at least one rule")
		}
		for j := range list {
			c.nestedRule(field+"."+name+"["+strconv.Itoa(j)+"]", &list[j])
		}
	}
	if r.Not != nil {
		c.nestedRule(field+".Not", r.Not)
	}
}

func (c stateCtx) nestedRule(field string, r *ChoiceRule) {
	if r.Next != "" {
		c.errf(field+".Next", "only a top-level rule may have Next")
	}
	if r.Assign != nil || r.Output != nil {
		c.errf(field, "only a top-level rule may have Assign or Output")
	}
	c.rule(field, r)
}

// labelForbidden lists the characters the AWS CDK refuses in a Distributed Map Label, besides
// whitespace and control characters.
const labelForbidden = "<>{}[]?*\"#%\\^|~`$&,;:/"

func (c stateCtx) mapState(s *Map) {
	distributed := s.IsDistributed()
	switch {
	case s.ItemProcessor == nil && s.Iterator == nil:
		c.errf("ItemProcessor", "missing; want the graph to run for each item")
	case s.ItemProcessor != nil && s.Iterator != nil:
		c.errf("Iterator", "ItemProcessor and Iterator are exclusive; Iterator is the legacy name of ItemProcessor")
	}
	if s.ItemSelector != nil && s.Parameters != nil {
		c.errf("Parameters", "ItemSelector and Parameters are exclusive; Parameters is the legacy name of ItemSelector")
	}
	if p := s.ItemProcessor; p != nil {
		mode, exec := "", ""
		if p.ProcessorConfig != nil {
			mode, exec = p.ProcessorConfig.Mode, p.ProcessorConfig.ExecutionType
		}
		switch mode {
		case "", ModeInline, ModeDistributed:
		default:
			c.errf("ItemProcessor.ProcessorConfig.Mode", "%q is unknown; want %q or %q", mode, ModeInline, ModeDistributed)
		}
		switch {
		case mode == ModeDistributed && exec == "":
			c.errf("ItemProcessor.ProcessorConfig.ExecutionType", "missing; a DISTRIBUTED map needs %q or %q", ExecutionStandard, ExecutionExpress)
		case mode == ModeDistributed && exec != ExecutionStandard && exec != ExecutionExpress:
			c.errf("ItemProcessor.ProcessorConfig.ExecutionType", "%q is unknown; want %q or %q", exec, ExecutionStandard, ExecutionExpress)
		case mode != ModeDistributed && exec != "":
			c.errf("ItemProcessor.ProcessorConfig.ExecutionType", "only a DISTRIBUTED map has an ExecutionType")
		}
		if mode == ModeDistributed && exec == ExecutionExpress {
			c.express++
			defer func() { c.express-- }()
		}
		c.nested(c.path+".ItemProcessor.", &p.Branch)
	}
	if s.Iterator != nil {
		c.nested(c.path+".Iterator.", s.Iterator)
	}
	c.pathField("ItemsPath", s.ItemsPath, true, false)
	if items, ok := c.decoded("Items", s.Items); ok && c.jsonataOnly("Items", items != nil) {
		switch it := items.(type) {
		case string:
			if err := checkExpression(it); err != nil {
				c.errf("Items", "%v", err)
			}
		case []any:
			c.template("Items", it)
		default:
			c.errf("Items", "want an array or a JSONata expression, got %s", jsonKind(items))
		}
	}
	if s.ItemSelector != nil {
		if c.lang == JSONata {
			c.objectOrExpression("ItemSelector", s.ItemSelector)
		} else {
			c.object("ItemSelector", s.ItemSelector)
		}
	}
	if c.jsonPathOnly("Parameters", s.Parameters != nil) {
		c.object("Parameters", s.Parameters)
	}
	if c.jsonPathOnly("ResultSelector", s.ResultSelector != nil) {
		c.object("ResultSelector", s.ResultSelector)
	}
	c.resultPath("ResultPath", s.ResultPath)

	number(c, "MaxConcurrency", s.MaxConcurrency, 0, MaxTimeoutSeconds)

	distributedOnly := func(field string, set bool) {
		if set && !distributed {
			c.errf(field, "only a DISTRIBUTED map may have %s", field)
		}
	}
	distributedOnly("ItemReader", s.ItemReader != nil)
	distributedOnly("ItemBatcher", s.ItemBatcher != nil)
	distributedOnly("ResultWriter", s.ResultWriter != nil)
	distributedOnly("ToleratedFailureCount", !s.ToleratedFailureCount.IsZero())
	distributedOnly("ToleratedFailurePercentage", !s.ToleratedFailurePercentage.IsZero())
	distributedOnly("Label", s.Label != "")

	number(c, "ToleratedFailureCount", s.ToleratedFailureCount, 0, MaxTimeoutSeconds)
	number(c, "ToleratedFailurePercentage", s.ToleratedFailurePercentage, 0, 100)

	if n := utf8.RuneCountInString(s.Label); n > MaxLabelLength {
		c.errf("Label", "%q is %d characters; the limit is %d", s.Label, n, MaxLabelLength)
	}
	for _, r := range s.Label {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(labelForbidden, r) {
			c.errf("Label", "%q contains %q; a label may not contain whitespace, control characters or any of %s", s.Label, r, labelForbidden)
			break
		}
	}
	c.itemReader(s.ItemReader)
	c.itemBatcher(s.ItemBatcher)
	c.resultWriter(s.ResultWriter)
	c.retry(s.Retry)
	c.catch(s.Catch)
}

func (c stateCtx) resourceARN(field, arn string, required bool) {
	switch {
	case arn == "" && required:
		c.errf(field, "missing; want an ARN")
	case arn != "" && !strings.HasPrefix(arn, "arn:"):
		c.errf(field, "%q is not an ARN", arn)
	}
}

func oneOf(v string, allowed ...string) bool { return v == "" || slices.Contains(allowed, v) }

func (c stateCtx) itemReader(r *ItemReader) {
	if r == nil {
		return
	}
	c.resourceARN("ItemReader.Resource", r.Resource, true)
	if c.jsonPathOnly("ItemReader.Parameters", r.Parameters != nil) {
		c.template("ItemReader.Parameters", r.Parameters)
	}
	if c.jsonataOnly("ItemReader.Arguments", r.Arguments != nil) {
		c.template("ItemReader.Arguments", r.Arguments)
	}
	rc := r.ReaderConfig
	if rc == nil {
		return
	}
	if !oneOf(rc.InputType, "CSV", "JSON", "JSONL", "MANIFEST", "PARQUET") {
		c.errf("ItemReader.ReaderConfig.InputType", "%q is unknown; want CSV, JSON, JSONL, MANIFEST or PARQUET", rc.InputType)
	}
	if !oneOf(rc.CSVHeaderLocation, "FIRST_ROW", "GIVEN") {
		c.errf("ItemReader.ReaderConfig.CSVHeaderLocation", "%q is unknown; want FIRST_ROW or GIVEN", rc.CSVHeaderLocation)
	}
	if rc.CSVHeaderLocation == "GIVEN" && len(rc.CSVHeaders) == 0 {
		c.errf("ItemReader.ReaderConfig.CSVHeaders", "missing; CSVHeaderLocation GIVEN needs the headers")
	}
	if !oneOf(rc.CSVDelimiter, "COMMA", "PIPE", "SEMICOLON", "SPACE", "TAB") {
		c.errf("ItemReader.ReaderConfig.CSVDelimiter", "%q is unknown; want COMMA, PIPE, SEMICOLON, SPACE or TAB", rc.CSVDelimiter)
	}
	number(c, "ItemReader.ReaderConfig.MaxItems", rc.MaxItems, 1, MaxTimeoutSeconds)
}

func (c stateCtx) itemBatcher(b *ItemBatcher) {
	if b == nil {
		return
	}
	if b.MaxItemsPerBatch.IsZero() && b.MaxInputBytesPerBatch.IsZero() {
		c.errf("ItemBatcher", "want MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms)")
	}
	number(c, "ItemBatcher.MaxItemsPerBatch", b.MaxItemsPerBatch, 1, MaxTimeoutSeconds)
	number(c, "ItemBatcher.MaxInputBytesPerBatch", b.MaxInputBytesPerBatch, 1, MaxPayloadBytes)
	if b.BatchInput != nil {
		c.template("ItemBatcher.BatchInput", b.BatchInput)
	}
}

func (c stateCtx) resultWriter(w *ResultWriter) {
	if w == nil {
		return
	}
	if w.Resource == "" && w.WriterConfig == nil {
		c.errf("ResultWriter", "want a Resource, a WriterConfig, or both")
	}
	c.resourceARN("ResultWriter.Resource", w.Resource, false)
	if c.jsonPathOnly("ResultWriter.Parameters", w.Parameters != nil) {
		c.template("ResultWriter.Parameters", w.Parameters)
	}
	if c.jsonataOnly("ResultWriter.Arguments", w.Arguments != nil) {
		c.template("ResultWriter.Arguments", w.Arguments)
	}
	if wc := w.WriterConfig; wc != nil {
		if !oneOf(wc.OutputType, "JSON", "JSONL") {
			c.errf("ResultWriter.WriterConfig.OutputType", "%q is unknown; want JSON or JSONL", wc.OutputType)
		}
		if !oneOf(wc.Transformation, "NONE", "COMPACT", "FLATTEN") {
			c.errf("ResultWriter.WriterConfig.Transformation", "%q is unknown; want NONE, COMPACT or FLATTEN", wc.Transformation)
		}
	}
}

// isRFC3339 reports whether s is a timestamp as Wait and the Timestamp operators want it.
func isRFC3339(s string) bool {
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// jsonKind names the JSON type of a decoded or Go-built value, for messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case json.Number, float64, float32, int, int64, int32, uint, uint64, uint32:
		return "a number"
	}
	return fmt.Sprintf("a Go %T", v)
}
