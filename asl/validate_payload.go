package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Validation of payload templates (Parameters, Arguments, Output, Assign, ...) in either query
// language.

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
