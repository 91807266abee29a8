package asl

import "unicode/utf8"

// Validation of state graphs: names, StartAt, transitions, reachability, and the dispatch to
// each state's rules. Split by construct, as go/types splits its checker.

// graph checks one state graph: the machine's top level (prefix "") or a nested one (prefix
// "States.P.Branches[0]." or "States.M.ItemProcessor.").
func (v *validator) graph(prefix, startAt string, states States, lang QueryLanguage) {
	if len(states) == 0 {
		v.add(prefix+"States", "no states; want at least one")
	}
	switch {
	case startAt == "":
		v.add(prefix+"StartAt", "missing; want the name of the first state")
	case states[startAt] == nil:
		v.add(prefix+"StartAt", "%q is not a state of this graph", startAt)
	}
	names := sortedNames(states)
	terminal := false
	for _, name := range names {
		path := prefix + "States." + name
		st := states[name]
		if st == nil {
			v.add(path, "state is nil")
			continue
		}
		if n := utf8.RuneCountInString(name); n > MaxStateNameLength {
			v.add(path, "name is %d characters; the limit is %d", n, MaxStateNameLength)
		}
		if name == "" {
			v.add(path, "name is empty")
		}
		if first, dup := v.names[name]; dup {
			v.add(path, "name %q is already used by %s; state names must be unique across the machine, nested graphs included", name, first)
		} else {
			v.names[name] = path
		}
		v.state(path, st, lang, states)
		for _, g := range st.graphs() {
			v.nested(path+"."+g.segment+".", g)
		}
		if endsGraph(st) {
			terminal = true
		}
	}
	if len(states) > 0 && !terminal {
		v.add(prefix+"States", "no state ends this graph; want a state with End, a Succeed or a Fail")
	}
	if states[startAt] == nil {
		return
	}
	seen := map[string]bool{}
	for _, name := range reachable(startAt, states) {
		seen[name] = true
	}
	for _, name := range names {
		if !seen[name] && states[name] != nil {
			v.add(prefix+"States."+name, "unreachable from StartAt %q", startAt)
		}
	}
}

// nested checks a nested graph, whose states default to the graph's QueryLanguage, else the
// machine's.
func (v *validator) nested(prefix string, g nestedGraph) {
	b := g.branch
	lang := v.top
	switch b.QueryLanguage {
	case "":
	case JSONPath:
		if v.top == JSONata {
			v.add(prefix+"QueryLanguage", "JSONPath is not allowed in a JSONata state machine")
		}
		lang = b.QueryLanguage
	case JSONata:
		lang = b.QueryLanguage
	default:
		v.add(prefix+"QueryLanguage", "%q is unknown; want %q or %q", b.QueryLanguage, JSONPath, JSONata)
	}
	if g.express {
		v.express++
		defer func() { v.express-- }()
	}
	v.graph(prefix, b.StartAt, b.States, lang)
}

func (v *validator) state(path string, st State, inherited QueryLanguage, graph States) {
	c := stateCtx{validator: v, path: path, lang: inherited, siblings: graph}
	switch ql := st.common().QueryLanguage; ql {
	case "":
	case JSONPath:
		if v.top == JSONata {
			c.errf("QueryLanguage", "JSONPath is not allowed in a JSONata state machine")
		}
		c.lang = ql
	case JSONata:
		c.lang = ql
	default:
		c.errf("QueryLanguage", "%q is unknown; want %q or %q", ql, JSONPath, JSONata)
	}
	if f := st.flow(); f != nil {
		switch {
		case f.End && f.Next != "":
			c.errf("Next", "Next and End are exclusive; set one")
		case !f.End && f.Next == "":
			c.add(path, "has neither Next nor End; want exactly one")
		}
		c.target("Next", f.Next)
	}
	switch s := st.(type) {
	case *Task:
		c.task(s)
	case *Pass:
		c.io(s.IO)
		if c.jsonPathOnly("Result", s.Result != nil) {
			c.decoded("Result", s.Result)
		}
		c.resultPath("ResultPath", s.ResultPath)
		if c.jsonPathOnly("Parameters", s.Parameters != nil) {
			c.object("Parameters", s.Parameters)
		}
	case *Wait:
		c.io(s.IO)
		c.wait(s)
	case *Succeed:
		io := s.IO
		if io.Assign != nil {
			c.errf("Assign", "a Succeed state cannot assign variables; Assign belongs in a Pass, Task, Map, Parallel, Choice or Wait state")
			io.Assign = nil
		}
		c.io(io)
	case *Fail:
		c.fail(s)
	case *Choice:
		c.io(s.IO)
		c.choice(s)
	case *Parallel:
		c.io(s.IO)
		c.parallel(s)
	case *Map:
		c.io(s.IO)
		c.mapState(s)
	}
}

// target checks that a transition names a state of the same graph.
func (c stateCtx) target(field, name string) {
	if name != "" && c.siblings[name] == nil {
		c.errf(field, "%q is not a state of this graph", name)
	}
}
