package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// mutationSeed is a small JSONPath machine touching Task, Retry, Catch, Choice, Wait, Succeed
// and Fail; TestASLValidator derives mutants from it.
const mutationSeed = `{
  "StartAt": "T",
  "TimeoutSeconds": 60,
  "States": {
    "T": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "f", "Payload.$": "$"},
      "ResultPath": "$.r",
      "TimeoutSeconds": 10,
      "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
      "Next": "C"
    },
    "C": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.r.ok", "BooleanEquals": true, "Next": "W"}],
      "Default": "F"
    },
    "W": {"Type": "Wait", "Seconds": 1, "Next": "S"},
    "S": {"Type": "Succeed"},
    "F": {"Type": "Fail", "Error": "E"}
  }
}`

// mutant is one small change to a definition: a key or array element deleted, or a scalar
// replaced by an empty string, a suffixed string, a negative, zero or fractional number, the
// other boolean, or a value of another JSON type.
type mutant struct {
	desc string
	def  []byte
}

// mutants derives every single-change mutant of def, in a deterministic order.
func mutants(def string) ([]mutant, error) {
	dec := json.NewDecoder(strings.NewReader(def))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	var out []mutant
	emit := func(desc string, v any) {
		b, err := json.Marshal(v)
		if err == nil {
			out = append(out, mutant{desc, b})
		}
	}
	var walk func(path string, node any, set func(any) any)
	walk = func(path string, node any, set func(any) any) {
		switch t := node.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				without := make(map[string]any, len(t))
				for kk, vv := range t {
					if kk != k {
						without[kk] = vv
					}
				}
				emit("delete "+path+"."+k, set(without))
				walk(path+"."+k, t[k], func(nv any) any {
					with := make(map[string]any, len(t))
					for kk, vv := range t {
						with[kk] = vv
					}
					with[k] = nv
					return set(with)
				})
			}
		case []any:
			for i := range t {
				emit(fmt.Sprintf("delete %s[%d]", path, i), set(slices.Delete(slices.Clone(t), i, i+1)))
				walk(fmt.Sprintf("%s[%d]", path, i), t[i], func(nv any) any {
					c := slices.Clone(t)
					c[i] = nv
					return set(c)
				})
			}
		case string:
			emit("empty "+path, set(""))
			emit("suffix "+path, set(t+"x"))
			emit("number "+path, set(json.Number("-1")))
		case json.Number:
			for _, n := range []string{"-1", "0", "1.5"} {
				emit(n+" "+path, set(json.Number(n)))
			}
			emit("string "+path, set("s"))
		case bool:
			emit("flip "+path, set(!t))
			emit("string "+path, set("true"))
		}
	}
	walk("$", root, func(v any) any { return v })
	return out, nil
}

// canonical compacts a JSON document for comparisons.
func canonical(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}
