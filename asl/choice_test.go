package asl

import (
	"reflect"
	"strings"
	"testing"
)

// TestChoiceOperatorTable pins choiceOperators to ChoiceRule: every operator and Path form is a
// field whose JSON key is its name and whose Go type fits its operand, and every other field of
// ChoiceRule is one of the rule's non-operator fields. Parse and Render use those fields, so a
// new operator added to one and not the other fails here.
func TestChoiceOperatorTable(t *testing.T) {
	typ := reflect.TypeFor[ChoiceRule]()
	want := map[operandKind]reflect.Type{
		operandString:    reflect.TypeFor[*string](),
		operandNumber:    reflect.TypeFor[*float64](),
		operandBoolean:   reflect.TypeFor[*bool](),
		operandTimestamp: reflect.TypeFor[*string](),
		operandType:      reflect.TypeFor[*bool](),
	}
	covered := map[string]bool{}
	check := func(name string, wantType reflect.Type) {
		f, ok := typ.FieldByName(name)
		if !ok {
			t.Errorf("operator %s has no ChoiceRule field", name)
			return
		}
		covered[name] = true
		if key, _, _ := strings.Cut(f.Tag.Get("json"), ","); key != name {
			t.Errorf("field %s renders as %q, want %q", name, key, name)
		}
		if f.Type != wantType {
			t.Errorf("field %s is a %v, want %v", name, f.Type, wantType)
		}
	}
	for _, op := range choiceOperators {
		check(op.name, want[op.kind])
		if op.withPath {
			check(op.name+"Path", reflect.TypeFor[Path]())
		}
	}
	if len(covered) != 39 {
		t.Errorf("the table covers %d operator fields, want the 39 of ASL", len(covered))
	}
	other := map[string]bool{"Comment": true, "Variable": true, "Condition": true, "And": true, "Or": true, "Not": true, "Assign": true, "Output": true, "Next": true}
	for f := range typ.Fields() {
		if !covered[f.Name] && !other[f.Name] {
			t.Errorf("ChoiceRule field %s is neither in choiceOperators nor a non-operator field", f.Name)
		}
	}
}

func TestRuleOperandsInTableOrder(t *testing.T) {
	r := ChoiceRule{Variable: "$.x", IsPresent: new(true), NumericEquals: new(2.0), NumericEqualsPath: "$.y", TimestampLessThan: new("2030-01-01T00:00:00Z")}
	var got []string
	for _, o := range r.operands() {
		got = append(got, o.name)
	}
	if want := []string{"NumericEquals", "NumericEqualsPath", "TimestampLessThan", "IsPresent"}; !reflect.DeepEqual(got, want) {
		t.Errorf("operands = %q, want %q", got, want)
	}
}
