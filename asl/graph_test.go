package asl

import (
	"slices"
	"testing"
)

// TestTransitions pins what each state type answers: Next, then a Choice's rules and Default,
// then each Catch, in order; and which states end their graph.
func TestTransitions(t *testing.T) {
	catch := []Catcher{{ErrorEquals: []string{ErrAll}, Next: "C1"}, {ErrorEquals: []string{"X"}, Next: "C2"}}
	tests := []struct {
		name string
		st   State
		want []string
		ends bool
	}{
		{"Task", &Task{Flow: Flow{Next: "N"}, Catch: catch}, []string{"N", "C1", "C2"}, false},
		{"Task with End", &Task{Flow: Flow{End: true}, Catch: catch}, []string{"C1", "C2"}, true},
		{"Pass", &Pass{Flow: Flow{Next: "N"}}, []string{"N"}, false},
		{"Wait", &Wait{Flow: Flow{End: true}}, nil, true},
		{"Parallel", &Parallel{Flow: Flow{Next: "N"}, Catch: catch[:1]}, []string{"N", "C1"}, false},
		{"Map", &Map{Flow: Flow{Next: "N"}, Catch: catch[1:]}, []string{"N", "C2"}, false},
		{"Choice", &Choice{Choices: []ChoiceRule{{Next: "A"}, {Next: "B"}}, Default: "D"}, []string{"A", "B", "D"}, false},
		{"Succeed", &Succeed{}, nil, true},
		{"Fail", &Fail{}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := transitions(tc.st); !slices.Equal(got, tc.want) {
				t.Errorf("transitions = %q, want %q", got, tc.want)
			}
			if got := endsGraph(tc.st); got != tc.ends {
				t.Errorf("endsGraph = %v, want %v", got, tc.ends)
			}
		})
	}
}

func TestReachableIsBreadthFirst(t *testing.T) {
	states := States{
		"A": &Choice{Choices: []ChoiceRule{{Next: "C"}}, Default: "B"},
		"B": &Pass{Flow: Flow{Next: "D"}},
		"C": &Pass{Flow: Flow{Next: "Missing"}},
		"D": &Succeed{},
		"E": &Pass{Flow: Flow{Next: "A"}}, // unreachable
	}
	if got, want := reachable("A", states), []string{"A", "C", "B", "D"}; !slices.Equal(got, want) {
		t.Errorf("reachable = %q, want %q", got, want)
	}
	if got := reachable("Nope", states); got != nil {
		t.Errorf("reachable from a missing StartAt = %q, want none", got)
	}
}

func TestNestedGraphs(t *testing.T) {
	p := &Parallel{Branches: []Branch{{StartAt: "A"}, {StartAt: "B"}}}
	m := &Map{ItemProcessor: &ItemProcessor{Branch: Branch{StartAt: "I"}}, Iterator: &Branch{StartAt: "L"}}
	var got []string
	for _, st := range []State{p, m, &Task{}} {
		for _, g := range st.graphs() {
			got = append(got, g.segment+"="+g.branch.StartAt)
		}
	}
	if want := []string{"Branches[0]=A", "Branches[1]=B", "ItemProcessor=I", "Iterator=L"}; !slices.Equal(got, want) {
		t.Errorf("graphs = %q, want %q", got, want)
	}
}
