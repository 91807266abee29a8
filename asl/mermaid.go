package asl

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Mermaid draws the machine as a Mermaid stateDiagram-v2, for documentation: one node per
// state, Map and Parallel states as composite states holding their nested graphs (a Parallel's
// branches as concurrent regions), and one edge per transition: Next, End (to [*]), each
// Choice rule (labelled with its condition), Default, and each Catch (labelled with the errors
// it catches).
//
// Node ids are the state names reduced to letters, digits and underscores (made unique), since
// Mermaid allows nothing else there; a node whose id is not its name is declared with its name
// as label. A Task's label adds the call it makes; a composite's label says what kind of Map or
// Parallel it is. The output is deterministic: each graph is walked from StartAt in order of
// transitions, then any unreachable states in name order.
func (m *StateMachine) Mermaid() string {
	w := &mermaidWriter{used: map[string]bool{}}
	w.line(0, "stateDiagram-v2")
	w.graph(1, m.StartAt, m.States)
	return w.b.String()
}

type mermaidWriter struct {
	b    strings.Builder
	used map[string]bool // ids taken, across all graphs (Mermaid ids are global)
}

func (w *mermaidWriter) line(depth int, format string, args ...any) {
	w.b.WriteString(strings.Repeat("    ", depth))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteByte('\n')
}

// mermaidReserved are words of the stateDiagram grammar that cannot be ids.
var mermaidReserved = map[string]bool{
	"state": true, "note": true, "direction": true, "end": true, "as": true, "classDef": true,
	"class": true, "style": true, "click": true, "left": true, "right": true, "of": true,
}

// newID derives a unique Mermaid id from a state name.
func (w *mermaidWriter) newID(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	id := b.String()
	if id == "" || (id[0] >= '0' && id[0] <= '9') || mermaidReserved[id] {
		id = "s_" + id
	}
	base := id
	for n := 2; w.used[id]; n++ {
		id = base + "_" + strconv.Itoa(n)
	}
	w.used[id] = true
	return id
}

// mermaidText makes text safe inside a quoted label or after an edge's colon: Mermaid's entity
// codes for the characters its grammar would read, and one line.
func mermaidText(s string) string {
	r := strings.NewReplacer(
		"#", "#35;", "\"", "#quot;", ";", "#59;", "<", "#lt;", ">", "#gt;",
		"{", "#123;", "}", "#125;", "\r\n", " ", "\n", " ", "\r", " ", "\t", " ",
	)
	return r.Replace(s)
}

// graphOrder returns the names of a graph: reachable ones in the order transitions reach them
// (breadth first from startAt), then the rest sorted.
func graphOrder(startAt string, states States) []string {
	out := reachable(startAt, states)
	seen := make(map[string]bool, len(out))
	for _, name := range out {
		seen[name] = true
	}
	for _, name := range sortedNames(states) {
		if !seen[name] && states[name] != nil {
			out = append(out, name)
		}
	}
	return out
}

// graph writes one state graph: declarations (composites with their nested graphs), then edges.
func (w *mermaidWriter) graph(depth int, startAt string, states States) {
	names := graphOrder(startAt, states)
	ids := make(map[string]string, len(names))
	for _, name := range names {
		ids[name] = w.newID(name)
	}
	for _, name := range names {
		w.declare(depth, name, ids[name], states[name])
	}
	if id, ok := ids[startAt]; ok {
		w.line(depth, "[*] --> %s", id)
	}
	for _, name := range names {
		w.edges(depth, ids[name], states[name], ids)
	}
}

// declare writes a state's node: a composite for Map and Parallel, else a labelled state.
func (w *mermaidWriter) declare(depth int, name, id string, st State) {
	if gs := st.graphs(); len(gs) > 0 {
		kind := "Parallel"
		if m, ok := st.(*Map); ok {
			kind = mapKind(m)
		}
		w.line(depth, "state \"%s\" as %s {", mermaidText(name+" ("+kind+")"), id)
		for i, g := range gs {
			if i > 0 {
				w.line(depth+1, "--")
			}
			w.graph(depth+1, g.branch.StartAt, g.branch.States)
		}
		w.line(depth, "}")
		return
	}
	label := name
	if t, ok := st.(*Task); ok {
		if call := taskCall(t.Resource); call != "" {
			label += " (" + call + ")"
		}
	}
	if label != id {
		w.line(depth, "state \"%s\" as %s", mermaidText(label), id)
	} else {
		w.line(depth, "%s", id)
	}
}

// mapKind names the kind of a Map: "inline Map", or "Distributed Map, express children,
// batches of 5".
func mapKind(s *Map) string {
	if !s.IsDistributed() {
		return "inline Map"
	}
	kind := "Distributed Map"
	if t := s.ItemProcessor.ProcessorConfig.ExecutionType; t != "" {
		kind += ", " + strings.ToLower(t) + " children"
	}
	if s.ItemBatcher != nil && s.ItemBatcher.MaxItemsPerBatch.N > 0 {
		kind += ", batches of " + strconv.Itoa(s.ItemBatcher.MaxItemsPerBatch.N)
	}
	return kind
}

// taskCall shortens a Task's Resource to the call it makes: "aws-sdk:iam:listUsers",
// "lambda:invoke", "sns:publish"; a function or activity ARN gives its resource part.
func taskCall(resource string) string {
	a, err := arn.Parse(resource)
	switch {
	case err != nil:
		return ""
	case a.Service == "states" && a.Region == "" && a.AccountID == "":
		return a.Resource // a service integration: arn:<partition>:states:::<call>
	case strings.Contains(a.Resource, ":"):
		return a.Resource // function:<name>, activity:<name>
	}
	return ""
}

// edges writes a state's outgoing transitions.
func (w *mermaidWriter) edges(depth int, id string, st State, ids map[string]string) {
	to := func(next, label string) {
		target, ok := ids[next]
		if !ok {
			return // a dangling Next: Validate reports it; nothing to draw
		}
		if label == "" {
			w.line(depth, "%s --> %s", id, target)
		} else {
			w.line(depth, "%s --> %s : %s", id, target, mermaidText(label))
		}
	}
	if s, ok := st.(*Choice); ok {
		for _, r := range s.Choices {
			to(r.Next, describeRule(&r))
		}
		if s.Default != "" {
			to(s.Default, "otherwise")
		}
	} else if endsGraph(st) {
		w.line(depth, "%s --> [*]", id)
	} else if f := st.flow(); f.Next != "" {
		to(f.Next, "")
	}
	for _, c := range st.catchers() {
		to(c.Next, "catch "+strings.Join(c.ErrorEquals, ", "))
	}
}

// describeRule renders a Choice rule as a short condition: "$.n > 3", "$.x is present",
// "($.a == true and not $.b is null)", or a JSONata Condition as written.
func describeRule(r *ChoiceRule) string {
	if r.Condition != "" {
		return r.Condition
	}
	switch {
	case len(r.And) > 0:
		return joinRules(r.And, " and ")
	case len(r.Or) > 0:
		return joinRules(r.Or, " or ")
	case r.Not != nil:
		return "not " + describeRule(r.Not)
	}
	ops := r.operands()
	slices.SortFunc(ops, func(a, b ruleOperand) int { return strings.Compare(a.name, b.name) })
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = describeOperand(op)
	}
	return strings.TrimSpace(string(r.Variable) + " " + strings.Join(parts, " "))
}

func joinRules(rules []ChoiceRule, sep string) string {
	parts := make([]string, len(rules))
	for i := range rules {
		parts[i] = describeRule(&rules[i])
	}
	return "(" + strings.Join(parts, sep) + ")"
}

// describeOperand renders one comparison: IsPresent true -> "is present", NumericLessThan 3 ->
// "< 3", StringEqualsPath $.x -> "== $.x", StringEquals "a" -> `== "a"`.
func describeOperand(o ruleOperand) string {
	if o.op.kind == operandType {
		if o.value == false {
			return "is not " + o.op.symbol
		}
		return "is " + o.op.symbol
	}
	if o.path != "" {
		return o.op.symbol + " " + string(o.path)
	}
	var v string
	switch x := o.value.(type) {
	case string:
		v = strconv.Quote(x)
	default: // a number as JSON writes it, or a boolean
		raw, _ := json.Marshal(x)
		v = string(raw)
	}
	return o.op.symbol + " " + v
}
