package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Render validates the machine and renders it as canonical JSON: object keys sorted, two-space
// indentation, no HTML escaping, a trailing newline. The same machine always renders the same
// bytes, so a deployment shows no spurious diff.
func (m *StateMachine) Render() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("render state machine: %w", err)
	}
	out, err := canonicalJSON(m)
	if err != nil {
		return nil, fmt.Errorf("render state machine: %w", err)
	}
	if len(out) > MaxDefinitionBytes {
		return nil, fmt.Errorf("render state machine: the definition is %d bytes; Step Functions accepts at most %d", len(out), MaxDefinitionBytes)
	}
	return out, nil
}

// MaxDefinitionBytes is the largest definition Step Functions accepts (1 MiB).
const MaxDefinitionBytes = 1 << 20

// canonicalJSON marshals v, then re-encodes the generic tree so that every object's keys are
// sorted (struct fields marshal in declaration order, maps sorted) and numbers keep their exact
// text.
func canonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(raw) + len(raw)/2)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// MarshalJSON renders NullPath as JSON null and any other Path as a string.
func (p Path) MarshalJSON() ([]byte, error) {
	if p.IsNull() {
		return []byte("null"), nil
	}
	return json.Marshal(string(p))
}

// UnmarshalJSON reads JSON null as NullPath and a string as itself.
func (p *Path) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		*p = NullPath
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("path: want a string or null, got %s", data)
	}
	if s == "" {
		// The zero Path means "absent", so an empty one would vanish silently.
		return errors.New("path: empty string; omit the field (or use null where allowed)")
	}
	*p = Path(s)
	return nil
}

// MarshalJSON renders the state with its "Type" key and its Numbers.
func (s *Task) MarshalJSON() ([]byte, error) {
	type plain Task
	return json.Marshal(struct {
		Type string `json:"Type"`
		*plain
		TimeoutSeconds       any  `json:"TimeoutSeconds,omitempty"`
		TimeoutSecondsPath   Path `json:"TimeoutSecondsPath,omitempty"`
		HeartbeatSeconds     any  `json:"HeartbeatSeconds,omitempty"`
		HeartbeatSecondsPath Path `json:"HeartbeatSecondsPath,omitempty"`
	}{
		s.Type(), (*plain)(s),
		s.TimeoutSeconds.literal(), s.TimeoutSeconds.Path,
		s.HeartbeatSeconds.literal(), s.HeartbeatSeconds.Path,
	})
}

// withType marshals plain (a state's fields, as a type without MarshalJSON) as a JSON object
// with the state's "Type" key added; canonicalJSON sorts the keys afterwards.
func withType(typ string, plain any) ([]byte, error) {
	raw, err := json.Marshal(plain)
	if err != nil {
		return nil, err
	}
	head := []byte(`{"Type":` + strconv.Quote(typ))
	if len(raw) == 2 { // {}
		return append(head, '}'), nil
	}
	return append(append(head, ','), raw[1:]...), nil
}

// MarshalJSON renders the state with its "Type" key.
func (s *Pass) MarshalJSON() ([]byte, error) {
	type plain Pass
	return withType(s.Type(), (*plain)(s))
}

// MarshalJSON renders the state with its "Type" key.
func (s *Choice) MarshalJSON() ([]byte, error) {
	type plain Choice
	return withType(s.Type(), (*plain)(s))
}

// MarshalJSON renders the state with its "Type" key and its Seconds.
func (s *Wait) MarshalJSON() ([]byte, error) {
	type plain Wait
	return json.Marshal(struct {
		Type string `json:"Type"`
		*plain
		Seconds     any  `json:"Seconds,omitempty"`
		SecondsPath Path `json:"SecondsPath,omitempty"`
	}{s.Type(), (*plain)(s), s.Seconds.literal(), s.Seconds.Path})
}

// MarshalJSON renders the state with its "Type" key.
func (s *Succeed) MarshalJSON() ([]byte, error) {
	type plain Succeed
	return withType(s.Type(), (*plain)(s))
}

// MarshalJSON renders the state with its "Type" key.
func (s *Fail) MarshalJSON() ([]byte, error) {
	type plain Fail
	return withType(s.Type(), (*plain)(s))
}

// MarshalJSON renders the state with its "Type" key.
func (s *Parallel) MarshalJSON() ([]byte, error) {
	type plain Parallel
	return withType(s.Type(), (*plain)(s))
}

// MarshalJSON renders the batcher and its Numbers.
func (b *ItemBatcher) MarshalJSON() ([]byte, error) {
	type plain ItemBatcher
	return json.Marshal(struct {
		*plain
		MaxItemsPerBatch          any  `json:"MaxItemsPerBatch,omitempty"`
		MaxItemsPerBatchPath      Path `json:"MaxItemsPerBatchPath,omitempty"`
		MaxInputBytesPerBatch     any  `json:"MaxInputBytesPerBatch,omitempty"`
		MaxInputBytesPerBatchPath Path `json:"MaxInputBytesPerBatchPath,omitempty"`
	}{
		(*plain)(b),
		b.MaxItemsPerBatch.literal(), b.MaxItemsPerBatch.Path,
		b.MaxInputBytesPerBatch.literal(), b.MaxInputBytesPerBatch.Path,
	})
}

// MarshalJSON renders the reader's config and its MaxItems.
func (c *ReaderConfig) MarshalJSON() ([]byte, error) {
	type plain ReaderConfig
	return json.Marshal(struct {
		*plain
		MaxItems     any  `json:"MaxItems,omitempty"`
		MaxItemsPath Path `json:"MaxItemsPath,omitempty"`
	}{(*plain)(c), c.MaxItems.literal(), c.MaxItems.Path})
}

// MarshalJSON renders the state with its "Type" key and its Numbers.
func (s *Map) MarshalJSON() ([]byte, error) {
	type plain Map
	return json.Marshal(struct {
		Type string `json:"Type"`
		*plain
		MaxConcurrency                 any  `json:"MaxConcurrency,omitempty"`
		MaxConcurrencyPath             Path `json:"MaxConcurrencyPath,omitempty"`
		ToleratedFailureCount          any  `json:"ToleratedFailureCount,omitempty"`
		ToleratedFailureCountPath      Path `json:"ToleratedFailureCountPath,omitempty"`
		ToleratedFailurePercentage     any  `json:"ToleratedFailurePercentage,omitempty"`
		ToleratedFailurePercentagePath Path `json:"ToleratedFailurePercentagePath,omitempty"`
	}{
		s.Type(), (*plain)(s),
		s.MaxConcurrency.literal(), s.MaxConcurrency.Path,
		s.ToleratedFailureCount.literal(), s.ToleratedFailureCount.Path,
		s.ToleratedFailurePercentage.literal(), s.ToleratedFailurePercentage.Path,
	})
}
