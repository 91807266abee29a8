package asl

import "reflect"

// operandKind is what a JSONPath Choice operator compares its Variable with.
type operandKind int

const (
	operandString operandKind = iota
	operandNumber
	operandBoolean
	operandTimestamp
	// operandType marks the type tests (IsNull, IsPresent, ...): a boolean saying whether the
	// Variable is, or is not, of the kind.
	operandType
)

// choiceOperator is one comparison operator of a JSONPath Choice rule. Its name is the ASL
// key and the ChoiceRule field; withPath says there is also a name+"Path" form that compares
// with the value at a path. symbol is how Mermaid draws it: a comparison symbol, or for a type
// test the words after "is" ("present", "a numeric").
type choiceOperator struct {
	name     string
	kind     operandKind
	withPath bool
	symbol   string
}

// choiceOperators is the one table of Choice comparison operators, in the order of the ASL
// specification's list; Validate and Mermaid read rules through it, and TestChoiceOperatorTable
// pins it to ChoiceRule's fields (which Parse and Render use), so the three cannot disagree.
//
// Parse decodes the operators by ChoiceRule's struct tags rather than through this table, on
// purpose. The typed fields are the package's Go API (workflow writes IsPresent: new(true)), so
// they and their tags exist whatever Parse does, and Render encodes through those tags: the
// struct is already where each key and its Go type are written down once for encoding/json. A
// decoder driven by this table would be a second decoding path next to encoding/json's (which
// still decodes every other field of the rule): it would need its own unknown-key check, merging
// with DisallowUnknownFields, and its own type errors, which Parse's diagnostics would then have
// to reproduce from encoding/json's word for word. It would add code that can drift without
// removing a place a key is written. What the struct cannot say (the operand kind, the Path
// form, the Mermaid symbol) is here, and TestChoiceOperatorTable fails when the two disagree:
// an operator field outside the table, a table entry without its field, a field whose JSON key
// or Go type is not the table's, or a count other than ASL's 39.
var choiceOperators = []choiceOperator{
	{"StringEquals", operandString, true, "=="},
	{"StringLessThan", operandString, true, "<"},
	{"StringGreaterThan", operandString, true, ">"},
	{"StringLessThanEquals", operandString, true, "<="},
	{"StringGreaterThanEquals", operandString, true, ">="},
	{"StringMatches", operandString, false, "matches"},
	{"NumericEquals", operandNumber, true, "=="},
	{"NumericLessThan", operandNumber, true, "<"},
	{"NumericGreaterThan", operandNumber, true, ">"},
	{"NumericLessThanEquals", operandNumber, true, "<="},
	{"NumericGreaterThanEquals", operandNumber, true, ">="},
	{"BooleanEquals", operandBoolean, true, "=="},
	{"TimestampEquals", operandTimestamp, true, "=="},
	{"TimestampLessThan", operandTimestamp, true, "<"},
	{"TimestampGreaterThan", operandTimestamp, true, ">"},
	{"TimestampLessThanEquals", operandTimestamp, true, "<="},
	{"TimestampGreaterThanEquals", operandTimestamp, true, ">="},
	{"IsNull", operandType, false, "null"},
	{"IsPresent", operandType, false, "present"},
	{"IsNumeric", operandType, false, "a numeric"},
	{"IsString", operandType, false, "a string"},
	{"IsBoolean", operandType, false, "a boolean"},
	{"IsTimestamp", operandType, false, "a timestamp"},
}

// operatorFields holds, for each entry of choiceOperators, the index of its ChoiceRule field
// and of its Path form's, looked up once so that reading a rule costs no search by name.
var operatorFields = indexOperators()

// indexOperators looks up the fields of choiceOperators. A name without a field is a bug in the
// table, which TestChoiceOperatorTable reports by name.
func indexOperators() []struct{ field, pathField int } {
	typ := reflect.TypeFor[ChoiceRule]()
	index := func(name string) int {
		f, ok := typ.FieldByName(name)
		if !ok {
			panic("asl: choiceOperators names " + name + ", which is not a ChoiceRule field")
		}
		return f.Index[0]
	}
	out := make([]struct{ field, pathField int }, len(choiceOperators))
	for i, op := range choiceOperators {
		out[i].field = index(op.name)
		if op.withPath {
			out[i].pathField = index(op.name + "Path")
		}
	}
	return out
}

// ruleOperand is one operator set on a rule, with its operand: value holds a literal (a
// string, float64 or bool), path the path of a ...Path form.
type ruleOperand struct {
	op    *choiceOperator
	name  string // op.name, or op.name+"Path"
	value any
	path  Path
}

// operands lists the comparison operators set on the rule, in table order (each operator
// before its Path form).
func (r *ChoiceRule) operands() []ruleOperand {
	rv := reflect.ValueOf(r).Elem()
	var out []ruleOperand
	for i := range choiceOperators {
		op := &choiceOperators[i]
		if f := rv.Field(operatorFields[i].field); !f.IsNil() {
			out = append(out, ruleOperand{op: op, name: op.name, value: f.Elem().Interface()})
		}
		if op.withPath {
			if p := Path(rv.Field(operatorFields[i].pathField).String()); p != "" {
				out = append(out, ruleOperand{op: op, name: op.name + "Path", path: p})
			}
		}
	}
	return out
}
