package asl

import (
	"maps"
	"slices"
)

// The graph model. Each state type answers for itself (types.go): its Next and End (flow), a
// Choice's rule targets, its catchers, its nested graphs, and whether its type ends a graph.
// This file turns those answers into the walks that validation, Mermaid and IAMStatements
// share, as the AWS CDK's State.outgoingTransitions and StateGraph do, so no other file needs
// to know which state types carry which transitions or how a Map nests.

// nestedGraph is a nested state graph with its path segment ("Branches[0]", "ItemProcessor").
type nestedGraph struct {
	segment string
	branch  *Branch
	// express is set on the item processor of a Distributed Map whose children are EXPRESS
	// executions, where some service integration patterns are not allowed.
	express bool
}

// transitions lists the names a state can move to, in order: Next, a Choice's rules and
// Default, then each Catch.
func transitions(st State) []string {
	var out []string
	if f := st.flow(); f != nil && f.Next != "" {
		out = append(out, f.Next)
	}
	out = append(out, st.ruleTargets()...)
	for _, c := range st.catchers() {
		if c.Next != "" {
			out = append(out, c.Next)
		}
	}
	return out
}

// endsGraph reports whether the state can end its graph: a Succeed or Fail, or End.
func endsGraph(st State) bool {
	if st.terminal() {
		return true
	}
	f := st.flow()
	return f != nil && f.End
}

// reachable returns the names of the states reachable from startAt, breadth first in order of
// transitions (startAt first); none when startAt names no state. Transitions to names that are
// not states are ignored.
func reachable(startAt string, states States) []string {
	if states[startAt] == nil {
		return nil
	}
	seen := map[string]bool{startAt: true}
	order := []string{startAt}
	for i := 0; i < len(order); i++ {
		for _, next := range transitions(states[order[i]]) {
			if states[next] != nil && !seen[next] {
				seen[next] = true
				order = append(order, next)
			}
		}
	}
	return order
}

// sortedNames returns the graph's state names in sorted order.
func sortedNames(states States) []string {
	return slices.Sorted(maps.Keys(states))
}

// eachState calls fn for every state in every graph of the machine, depth first in sorted name
// order, with the state's path ("States.Scan.ItemProcessor.States.ListKeys").
func (m *StateMachine) eachState(fn func(path string, st State)) {
	eachInGraph("States", m.States, fn)
}

func eachInGraph(prefix string, states States, fn func(string, State)) {
	for _, name := range sortedNames(states) {
		st := states[name]
		path := prefix + "." + name
		fn(path, st)
		if st == nil {
			continue
		}
		for _, g := range st.graphs() {
			eachInGraph(path+"."+g.segment+".States", g.branch.States, fn)
		}
	}
}
