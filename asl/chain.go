package asl

import (
	"errors"
	"fmt"
)

// Chain links the named states of one graph in sequence, in the spirit of the AWS CDK's
// Chain.next: each state's Next becomes the following name, and the last state gets End (or,
// for Succeed and Fail, stays terminal by type). It refuses to chain after a Succeed, a Fail or
// a Choice (a Choice's transitions are its rules and Default), to chain a name that is not in
// states, and to chain a state that already has a different Next or End: chaining never
// silently rewires a transition. Nothing is changed when an error is returned.
func Chain(states States, names ...string) error {
	if len(names) == 0 {
		return errors.New("chain: no state names given")
	}
	var errs []error
	for i, name := range names {
		st, ok := states[name]
		if !ok || st == nil {
			errs = append(errs, fmt.Errorf("chain: state %q is not in the graph", name))
			continue
		}
		last := i == len(names)-1
		switch st.(type) {
		case *Succeed, *Fail:
			if !last {
				errs = append(errs, fmt.Errorf("chain: cannot chain %q after %s state %q: it ends its graph", names[i+1], st.Type(), name))
			}
			continue
		case *Choice:
			if !last {
				errs = append(errs, fmt.Errorf("chain: cannot chain %q after Choice state %q: a Choice moves by its rules and Default", names[i+1], name))
			} else {
				errs = append(errs, fmt.Errorf("chain: Choice state %q cannot end a chain: it has no End", name))
			}
			continue
		}
		f := flowOf(st)
		if last {
			if f.Next != "" {
				errs = append(errs, fmt.Errorf("chain: state %q already has Next %q; cannot set End", name, f.Next))
			}
			continue
		}
		next := names[i+1]
		if f.End || (f.Next != "" && f.Next != next) {
			errs = append(errs, fmt.Errorf("chain: state %q already has %s; cannot set Next %q", name, describeFlow(f), next))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, name := range names {
		f := flowOf(states[name])
		if f == nil {
			continue
		}
		if i == len(names)-1 {
			f.End = true
		} else {
			f.Next = names[i+1]
		}
	}
	return nil
}

func describeFlow(f *Flow) string {
	if f.End {
		return "End"
	}
	return fmt.Sprintf("Next %q", f.Next)
}

// flowOf returns the Next/End fields of a state, or nil for Choice, Succeed and Fail.
func flowOf(st State) *Flow {
	switch s := st.(type) {
	case *Task:
		return &s.Flow
	case *Pass:
		return &s.Flow
	case *Wait:
		return &s.Flow
	case *Parallel:
		return &s.Flow
	case *Map:
		return &s.Flow
	}
	return nil
}
