package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Parse reads an ASL document into typed values. Numbers inside free-form fields (Parameters,
// Arguments, Result, Assign, ...) are kept as json.Number, so they render back exactly. Unknown
// fields are rejected, since a misspelt field would otherwise vanish silently. The legacy Map
// fields Iterator and Parameters are accepted and converted to ItemProcessor and ItemSelector.
// Parse does not validate; call Validate (or Render) for that. Its errors are
// *ValidationError values (joined when there are several), located like Validate's: a
// violation inside a state carries the state's path ("States.Scan.ItemProcessor.States.List").
func Parse(data []byte) (*StateMachine, error) {
	var m StateMachine
	if err := decodeStrict(data, &m); err != nil {
		return nil, fmt.Errorf("parse state machine: %w", located("", err))
	}
	return &m, nil
}

// located returns err as *ValidationError values under path: a *ValidationError gets path
// prefixed to its own; errors joined with errors.Join that hold any *ValidationError are
// located one by one; any other error becomes one ValidationError whose Message is its text.
func located(path string, err error) error {
	if err == nil {
		return nil
	}
	if ve, ok := err.(*ValidationError); ok {
		return &ValidationError{Path: joinPath(path, ve.Path), Message: ve.Message}
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok && holdsValidationError(err) {
		errs := j.Unwrap()
		out := make([]error, len(errs))
		for i, e := range errs {
			out[i] = located(path, e)
		}
		return errors.Join(out...)
	}
	return &ValidationError{Path: path, Message: err.Error()}
}

func holdsValidationError(err error) bool {
	var ve *ValidationError
	return errors.As(err, &ve)
}

func joinPath(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// decodeStrict decodes exactly one JSON value into v, with numbers kept exact and unknown
// fields refused.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// stateTypes lists the ASL state types in the order error messages name them.
var stateTypes = []string{"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"}

func newState(typ string) State {
	switch typ {
	case "Task":
		return new(Task)
	case "Pass":
		return new(Pass)
	case "Choice":
		return new(Choice)
	case "Wait":
		return new(Wait)
	case "Succeed":
		return new(Succeed)
	case "Fail":
		return new(Fail)
	case "Parallel":
		return new(Parallel)
	case "Map":
		return new(Map)
	}
	return nil
}

// UnmarshalJSON decodes each state by its "Type" and refuses a state name that appears twice
// in the same object (encoding/json would silently keep the last).
func (ss *States) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		*ss = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return &ValidationError{Path: "States", Message: fmt.Sprintf("want an object of states, got %.40s", data)}
	}
	out := make(States)
	var errs []error
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return located("States", err)
		}
		name := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return located("States."+name, err)
		}
		if _, dup := out[name]; dup {
			errs = append(errs, &ValidationError{Path: "States." + name, Message: "state name appears twice in one States object"})
			continue
		}
		st, err := decodeState(raw)
		if err != nil {
			errs = append(errs, located("States."+name, err))
			continue
		}
		out[name] = st
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	*ss = out
	return nil
}

func decodeState(raw json.RawMessage) (State, error) {
	var probe struct {
		Type    *string `json:"Type"`
		Next    *string `json:"Next"`
		Default *string `json:"Default"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("want a state object: %w", err)
	}
	// An empty transition would decode as "absent" and vanish silently.
	if probe.Next != nil && *probe.Next == "" {
		return nil, errors.New("Next: empty string; want the name of a state")
	}
	if probe.Default != nil && *probe.Default == "" {
		return nil, errors.New("Default: empty string; want the name of a state")
	}
	if probe.Type == nil {
		return nil, fmt.Errorf("Type is missing; want one of %s", strings.Join(stateTypes, ", "))
	}
	st := newState(*probe.Type)
	if st == nil {
		return nil, fmt.Errorf("Type %q is unknown; want one of %s", *probe.Type, strings.Join(stateTypes, ", "))
	}
	if err := json.Unmarshal(raw, st); err != nil {
		return nil, err
	}
	return st, nil
}

// members are a JSON object's members by key, read once (scanObject) for what a struct
// decoding cannot see: a state's "Type", and a literal 0 or "" that would vanish as the Go zero
// value.
type members map[string]json.RawMessage

// scanObject reads a JSON object's members in one pass: by key (the last of a repeated key wins,
// as in encoding/json), and the object again without its "Type" members, the others in their
// order, for decodeTyped. ok is false when data is not a well-formed object; the strict
// decoding that follows then reports why.
func scanObject(data []byte) (m members, untyped []byte, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, false
	}
	m = members{}
	untyped = append(make([]byte, 0, len(data)), '{')
	for dec.More() {
		start := dec.InputOffset()
		key, err := dec.Token()
		if err != nil {
			return nil, nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, false
		}
		m[key.(string)] = v // object keys are always strings
		if key == "Type" {
			continue
		}
		if len(untyped) > 1 {
			untyped = append(untyped, ',')
		}
		untyped = append(untyped, bytes.TrimLeft(data[start:dec.InputOffset()], " \t\r\n,")...)
	}
	return m, append(untyped, '}'), true
}

// decodeMembers decodes data strictly into v (decodeStrict) and returns its members.
func decodeMembers(data []byte, v any) (members, error) {
	if err := decodeStrict(data, v); err != nil {
		return nil, err
	}
	m, _, _ := scanObject(data)
	return m, nil
}

// decodeTyped decodes data, a state object, into aux (the state's fields as a type without
// UnmarshalJSON, beside any raw Number fields), and checks that its "Type" is typ: the inverse
// of withType. It returns the object's members for the state's own checks.
func decodeTyped(data []byte, typ string, aux any) (members, error) {
	m, untyped, ok := scanObject(data)
	if !ok {
		untyped = data
	}
	if err := decodeStrict(untyped, aux); err != nil {
		return nil, err
	}
	var got string
	if raw, ok := m["Type"]; ok {
		if err := json.Unmarshal(raw, &got); err != nil {
			return nil, err
		}
	}
	if got != typ {
		return nil, fmt.Errorf("Type %q decoded as a %s", got, typ)
	}
	return m, nil
}

// UnmarshalJSON decodes a Task and its Numbers.
func (s *Task) UnmarshalJSON(data []byte) error {
	type plain Task
	aux := struct {
		*plain
		TimeoutSeconds       json.RawMessage `json:"TimeoutSeconds"`
		TimeoutSecondsPath   Path            `json:"TimeoutSecondsPath"`
		HeartbeatSeconds     json.RawMessage `json:"HeartbeatSeconds"`
		HeartbeatSecondsPath Path            `json:"HeartbeatSecondsPath"`
	}{plain: (*plain)(s)}
	if _, err := decodeTyped(data, s.Type(), &aux); err != nil {
		return err
	}
	return errors.Join(s.TimeoutSeconds.decode("TimeoutSeconds", aux.TimeoutSeconds, aux.TimeoutSecondsPath, 1),
		s.HeartbeatSeconds.decode("HeartbeatSeconds", aux.HeartbeatSeconds, aux.HeartbeatSecondsPath, 1))
}

// UnmarshalJSON decodes a Pass state.
func (s *Pass) UnmarshalJSON(data []byte) error {
	type plain Pass
	_, err := decodeTyped(data, s.Type(), &struct{ *plain }{(*plain)(s)})
	return err
}

// UnmarshalJSON decodes a Choice state.
func (s *Choice) UnmarshalJSON(data []byte) error {
	type plain Choice
	_, err := decodeTyped(data, s.Type(), &struct{ *plain }{(*plain)(s)})
	return err
}

// UnmarshalJSON decodes a Wait state and its Seconds.
func (s *Wait) UnmarshalJSON(data []byte) error {
	type plain Wait
	aux := struct {
		*plain
		Seconds     json.RawMessage `json:"Seconds"`
		SecondsPath Path            `json:"SecondsPath"`
	}{plain: (*plain)(s)}
	if _, err := decodeTyped(data, s.Type(), &aux); err != nil {
		return err
	}
	return s.Seconds.decode("Seconds", aux.Seconds, aux.SecondsPath, 1)
}

// UnmarshalJSON decodes a Succeed state.
func (s *Succeed) UnmarshalJSON(data []byte) error {
	type plain Succeed
	_, err := decodeTyped(data, s.Type(), &struct{ *plain }{(*plain)(s)})
	return err
}

// UnmarshalJSON decodes a Fail state.
func (s *Fail) UnmarshalJSON(data []byte) error {
	type plain Fail
	_, err := decodeTyped(data, s.Type(), &struct{ *plain }{(*plain)(s)})
	return err
}

// UnmarshalJSON decodes a Parallel state; errors inside a branch are located under
// "Branches[i]".
func (s *Parallel) UnmarshalJSON(data []byte) error {
	type plain Parallel
	aux := struct {
		*plain
		Branches []json.RawMessage `json:"Branches"`
	}{plain: (*plain)(s)}
	if _, err := decodeTyped(data, s.Type(), &aux); err != nil {
		return err
	}
	s.Branches = nil
	if aux.Branches != nil {
		s.Branches = make([]Branch, len(aux.Branches))
	}
	var errs []error
	for i, raw := range aux.Branches {
		errs = append(errs, located("Branches["+strconv.Itoa(i)+"]", decodeStrict(raw, &s.Branches[i])))
	}
	return errors.Join(errs...)
}

// UnmarshalJSON decodes an ItemProcessor; errors inside it are located under "ItemProcessor".
func (p *ItemProcessor) UnmarshalJSON(data []byte) error {
	type plain ItemProcessor
	return located("ItemProcessor", decodeStrict(data, (*plain)(p)))
}

// UnmarshalJSON decodes a Map state and its Numbers. The legacy Iterator becomes
// ItemProcessor and the legacy Parameters becomes ItemSelector, unless the modern field is also
// present (Validate then reports the conflict).
func (s *Map) UnmarshalJSON(data []byte) error {
	type plain Map
	aux := struct {
		*plain
		MaxConcurrency                 json.RawMessage `json:"MaxConcurrency"`
		MaxConcurrencyPath             Path            `json:"MaxConcurrencyPath"`
		ToleratedFailureCount          json.RawMessage `json:"ToleratedFailureCount"`
		ToleratedFailureCountPath      Path            `json:"ToleratedFailureCountPath"`
		ToleratedFailurePercentage     json.RawMessage `json:"ToleratedFailurePercentage"`
		ToleratedFailurePercentagePath Path            `json:"ToleratedFailurePercentagePath"`
		Iterator                       json.RawMessage `json:"Iterator"`
	}{plain: (*plain)(s)}
	m, err := decodeTyped(data, s.Type(), &aux)
	if err != nil {
		return err
	}
	s.Iterator = nil
	if len(aux.Iterator) > 0 && string(aux.Iterator) != "null" {
		s.Iterator = new(Branch)
		if err := decodeStrict(aux.Iterator, s.Iterator); err != nil {
			return located("Iterator", err)
		}
	}
	err1 := s.MaxConcurrency.decode("MaxConcurrency", aux.MaxConcurrency, aux.MaxConcurrencyPath, 0)
	err2 := s.ToleratedFailureCount.decode("ToleratedFailureCount", aux.ToleratedFailureCount, aux.ToleratedFailureCountPath, 0)
	err3 := s.ToleratedFailurePercentage.decode("ToleratedFailurePercentage", aux.ToleratedFailurePercentage, aux.ToleratedFailurePercentagePath, 0)
	if s.Iterator != nil && s.ItemProcessor == nil {
		s.ItemProcessor = &ItemProcessor{Branch: *s.Iterator}
		s.Iterator = nil
	}
	if s.Parameters != nil && s.ItemSelector == nil {
		s.ItemSelector = s.Parameters
		s.Parameters = nil
	}
	return errors.Join(err1, err2, err3, m.rejectEmpty("Label"))
}

// rejectZero refuses a literal 0 in the named integer fields of a JSON object: the Go zero value
// means "absent", and these fields have a minimum of 1, so a 0 would otherwise vanish silently.
func (m members) rejectZero(fields ...string) error {
	var errs []error
	for _, field := range fields {
		var n json.Number
		if raw, ok := m[field]; ok && json.Unmarshal(raw, &n) == nil {
			if v, err := n.Float64(); err == nil && v == 0 {
				errs = append(errs, fmt.Errorf("%s: 0 is below the minimum 1; omit the field for the default", field))
			}
		}
	}
	return errors.Join(errs...)
}

// rejectEmpty refuses an explicit "" in the named string fields of a JSON object: the Go zero
// value means "absent", and none of these fields accepts an empty value, so a "" would otherwise
// vanish silently (and an invalid definition would render as a valid one).
func (m members) rejectEmpty(fields ...string) error {
	var errs []error
	for _, field := range fields {
		if raw, ok := m[field]; ok && string(bytes.TrimSpace(raw)) == `""` {
			errs = append(errs, fmt.Errorf("%s: empty string; set a value or omit the field", field))
		}
	}
	return errors.Join(errs...)
}

// UnmarshalJSON decodes a Retrier, refusing a literal 0 IntervalSeconds, MaxDelaySeconds or
// BackoffRate (their minimum is 1; zero means absent here) and an empty JitterStrategy.
func (r *Retrier) UnmarshalJSON(data []byte) error {
	type plain Retrier
	m, err := decodeMembers(data, (*plain)(r))
	if err != nil {
		return err
	}
	return errors.Join(m.rejectZero("IntervalSeconds", "MaxDelaySeconds", "BackoffRate"), m.rejectEmpty("JitterStrategy"))
}

// UnmarshalJSON decodes a ProcessorConfig, refusing an empty Mode or ExecutionType.
func (p *ProcessorConfig) UnmarshalJSON(data []byte) error {
	type plain ProcessorConfig
	m, err := decodeMembers(data, (*plain)(p))
	if err != nil {
		return err
	}
	return m.rejectEmpty("Mode", "ExecutionType")
}

// UnmarshalJSON decodes a ResultWriter, refusing an empty Resource.
func (w *ResultWriter) UnmarshalJSON(data []byte) error {
	type plain ResultWriter
	m, err := decodeMembers(data, (*plain)(w))
	if err != nil {
		return err
	}
	return m.rejectEmpty("Resource")
}

// UnmarshalJSON decodes a WriterConfig, refusing an empty OutputType or Transformation.
func (w *WriterConfig) UnmarshalJSON(data []byte) error {
	type plain WriterConfig
	m, err := decodeMembers(data, (*plain)(w))
	if err != nil {
		return err
	}
	return m.rejectEmpty("OutputType", "Transformation")
}

// UnmarshalJSON decodes an ItemBatcher and its Numbers, refusing a literal 0 batch size.
func (b *ItemBatcher) UnmarshalJSON(data []byte) error {
	type plain ItemBatcher
	aux := struct {
		*plain
		MaxItemsPerBatch          json.RawMessage `json:"MaxItemsPerBatch"`
		MaxItemsPerBatchPath      Path            `json:"MaxItemsPerBatchPath"`
		MaxInputBytesPerBatch     json.RawMessage `json:"MaxInputBytesPerBatch"`
		MaxInputBytesPerBatchPath Path            `json:"MaxInputBytesPerBatchPath"`
	}{plain: (*plain)(b)}
	if err := decodeStrict(data, &aux); err != nil {
		return err
	}
	return errors.Join(
		b.MaxItemsPerBatch.decode("MaxItemsPerBatch", aux.MaxItemsPerBatch, aux.MaxItemsPerBatchPath, 1),
		b.MaxInputBytesPerBatch.decode("MaxInputBytesPerBatch", aux.MaxInputBytesPerBatch, aux.MaxInputBytesPerBatchPath, 1))
}

// UnmarshalJSON decodes a ReaderConfig, refusing a literal 0 MaxItems and an empty InputType,
// CSVHeaderLocation or CSVDelimiter.
func (c *ReaderConfig) UnmarshalJSON(data []byte) error {
	type plain ReaderConfig
	aux := struct {
		*plain
		MaxItems     json.RawMessage `json:"MaxItems"`
		MaxItemsPath Path            `json:"MaxItemsPath"`
	}{plain: (*plain)(c)}
	m, err := decodeMembers(data, &aux)
	if err != nil {
		return err
	}
	return errors.Join(c.MaxItems.decode("MaxItems", aux.MaxItems, aux.MaxItemsPath, 1),
		m.rejectEmpty("InputType", "CSVHeaderLocation", "CSVDelimiter"))
}

// UnmarshalJSON refuses an empty QueryLanguage, which would otherwise mean "inherit" silently.
// Unknown values are kept for Validate to report.
func (q *QueryLanguage) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("QueryLanguage: want %q or %q, got %s", JSONPath, JSONata, data)
	}
	if s == "" {
		return fmt.Errorf("QueryLanguage: empty string; want %q or %q, or omit the field", JSONPath, JSONata)
	}
	*q = QueryLanguage(s)
	return nil
}
