package asl

import (
	"strconv"
	"strings"
)

// Validation of Choice states and their rules (operators come from choiceOperators).

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
