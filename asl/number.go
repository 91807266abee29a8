package asl

import (
	"encoding/json"
	"fmt"
	"math"
)

// Number is a numeric field that ASL lets a definition give in one of three forms: a literal
// (N), a JSONata expression "{% ... %}" (Expr, rendered under the field's own name), or a
// JSONPath reference path read at run time (Path, rendered under the field's name plus
// "Path", as in TimeoutSecondsPath). At most one form is set; the zero Number is absent, so a
// literal 0 cannot be expressed (Parse refuses one where the minimum is 1). Its two
// instances are Count (integers: TimeoutSeconds, MaxConcurrency, MaxItemsPerBatch, ...) and
// Fraction (ToleratedFailurePercentage). The AWS CDK models the same choice as value objects
// (Timeout.duration/at, WaitTime.seconds/secondsPath).
type Number[T int | float64] struct {
	N    T
	Expr string
	Path Path
}

// Count is an integer Number.
type Count = Number[int]

// Fraction is a fractional Number.
type Fraction = Number[float64]

// IsZero reports whether no form is set (the field is absent).
func (n Number[T]) IsZero() bool { return n.N == 0 && n.Expr == "" && n.Path == "" }

// literal is what renders under the field's own name: the expression, else the literal, else
// nil (omitted).
func (n Number[T]) literal() any {
	if n.Expr != "" {
		return n.Expr
	}
	if n.N != 0 {
		return n.N
	}
	return nil
}

// decode sets n from the raw JSON under the field's own name (a number or, in JSONata, a
// "{% %}" expression string) and the already decoded path under name+"Path". Since the zero
// literal means "absent", a literal 0 is refused where min > 0 rather than silently dropped;
// integers must fit in 32 bits.
func (n *Number[T]) decode(name string, raw json.RawMessage, path Path, min T) error {
	*n = Number[T]{Path: path}
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if s == "" {
			return fmt.Errorf("%s: empty string; want a number or a JSONata expression", name)
		}
		n.Expr = s
		return nil
	}
	var num json.Number
	if err := json.Unmarshal(raw, &num); err != nil {
		return fmt.Errorf("%s: want %s or a JSONata expression, got %s", name, kindOf[T](), raw)
	}
	var v T
	switch p := any(&v).(type) {
	case *int:
		i, err := num.Int64()
		if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
			return fmt.Errorf("%s: want an integer or a JSONata expression, got %s", name, raw)
		}
		*p = int(i)
	case *float64:
		f, err := num.Float64()
		if err != nil {
			return fmt.Errorf("%s: want a number or a JSONata expression, got %s", name, raw)
		}
		*p = f
	}
	if v == 0 && min > 0 {
		return fmt.Errorf("%s: 0 is below the minimum %v; omit the field for the default", name, min)
	}
	n.N = v
	return nil
}

// kindOf names T for messages.
func kindOf[T int | float64]() string {
	var v T
	if _, ok := any(v).(int); ok {
		return "an integer"
	}
	return "a number"
}

// number checks a Number field: at most one form, then numberValue.
func number[T int | float64](c stateCtx, field string, n Number[T], lo, hi T) {
	c.exclusive([]string{field, field + " (expression)", field + "Path"}, n.N != 0, n.Expr != "", n.Path != "")
	numberValue(c, field, n, lo, hi)
}

// numberValue checks each form of a Number: the literal within lo..hi, the expression only in
// JSONata and well delimited, the path a JSONPath reference path.
func numberValue[T int | float64](c stateCtx, field string, n Number[T], lo, hi T) {
	if n.N != 0 && (n.N < lo || n.N > hi) {
		c.errf(field, "%v is outside %v..%v", n.N, lo, hi)
	}
	c.expr(field, n.Expr)
	c.pathField(field+"Path", n.Path, true, false)
}
