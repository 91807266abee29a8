// Package iampolicy holds the IAM policy statement, the one type shared by package asl (the
// statements a state machine's tasks need from its role) and package infra (every policy
// document it renders: identity, trust, key, topic and queue policies), so a statement derived
// from a definition is rendered as it is, without a conversion.
//
// It is not a policy language: it renders and reads back statements, and checks nothing about
// actions, resources or condition keys (infra/deployer and the Node cross-checks do).
package iampolicy

import (
	"encoding/json"
	"fmt"
)

// Statement is one policy statement, with JSON keys as IAM spells them, always in this order
// (TestStatementJSON pins it). Principal is set in resource-based and trust policies only; a
// statement without Resource (a trust policy's) renders none.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    []string   `json:"Action"`
	Resource  []string   `json:"Resource,omitempty"`
	Condition Condition  `json:"Condition,omitempty"`
}

// Principal names who a resource-based or trust policy statement is about. Everyone renders
// as "*" (keyage's infra uses it only in Deny statements).
type Principal struct {
	Everyone bool
	AWS      []string
	Service  []string
}

// MarshalJSON renders "*" for Everyone, else {"AWS": [...], "Service": [...]}.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Everyone {
		return []byte(`"*"`), nil
	}
	return json.Marshal(struct {
		AWS     []string `json:"AWS,omitempty"`
		Service []string `json:"Service,omitempty"`
	}{p.AWS, p.Service})
}

// UnmarshalJSON reads "*" or an object of string lists (a single string is accepted as a list of
// one, as IAM does), so tests can read recorded documents back.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		if star != "*" {
			return fmt.Errorf("principal %q: want \"*\" or an object", star)
		}
		*p = Principal{Everyone: true}
		return nil
	}
	var raw struct {
		AWS     stringList `json:"AWS"`
		Service stringList `json:"Service"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	*p = Principal{AWS: raw.AWS, Service: raw.Service}
	return nil
}

// stringList is a JSON string or list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// Condition maps a condition operator ("StringEquals", "ArnLike", "Bool") to its keys, each
// with the values it may take (a request matches when it matches any of them). A key with one
// value renders as a string, with several as a list, as in AWS's examples.
type Condition map[string]map[string][]string

// MarshalJSON renders a key's single value as a string and several values as a list.
func (c Condition) MarshalJSON() ([]byte, error) {
	if c == nil {
		return []byte("null"), nil
	}
	out := make(map[string]map[string]any, len(c))
	for op, keys := range c {
		m := make(map[string]any, len(keys))
		for key, values := range keys {
			if len(values) == 0 {
				return nil, fmt.Errorf("condition %s %s: no value", op, key)
			}
			if len(values) == 1 {
				m[key] = values[0]
			} else {
				m[key] = values
			}
		}
		out[op] = m
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a key's value as a string or a list of strings, so tests can read
// recorded documents back.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var raw map[string]map[string]stringList
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	if raw == nil {
		*c = nil
		return nil
	}
	out := make(Condition, len(raw))
	for op, keys := range raw {
		out[op] = make(map[string][]string, len(keys))
		for key, values := range keys {
			out[op][key] = []string(values)
		}
	}
	*c = out
	return nil
}
