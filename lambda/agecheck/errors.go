package agecheck

import (
	"fmt"
	"strings"
)

// Error types the function returns. aws-lambda-go reports a returned error under the name of its
// dynamic type, which a state machine's Retry and Catch can match. The definition names none of
// them (its Retry lists Lambda's own errors, its Catch is States.ALL): tests use these constants
// to check that such an error is never retried and reaches the unchecked users, and a test pins
// them to the types' names.
const (
	// ErrorTypeInvalidInput is the errorType of *InvalidInputError: the event is malformed.
	// Retrying cannot help; the execution should fail with the message.
	ErrorTypeInvalidInput = "InvalidInputError"
)

// ErrorMalformedKeys is the error of an unchecked user whose key data (from ListAccessKeys)
// could not be judged: an empty AccessKeyId, an unknown Status or a CreateDate that does not
// parse. Its Cause names each field, its value and what is allowed. Only that user is
// unchecked: the rest of its batch is judged.
const ErrorMalformedKeys = "Keyage.MalformedKeyData"

// maxProblemsListed bounds how many problems an InvalidInputError spells out, so that a badly
// broken event of thousands of keys still yields a readable message under Lambda's limits.
const maxProblemsListed = 10

// FieldProblem is one thing wrong with an event: which field, what it held, what is allowed.
type FieldProblem struct {
	Field   string // a path into the event, e.g. "users[3].keys[0].CreateDate"
	Value   string // the offending value, quoted or as JSON
	Allowed string // what the field may hold
}

// String renders the problem as "FIELD is VALUE, want ALLOWED".
func (p FieldProblem) String() string {
	return fmt.Sprintf("%s is %s, want %s", p.Field, p.Value, p.Allowed)
}

// InvalidInputError reports a malformed event. Its type name is ErrorTypeInvalidInput; the
// handler returns it unwrapped so that the name survives to the state machine.
type InvalidInputError struct {
	Op       string         // the event's op, when known
	Problems []FieldProblem // every problem found, in the order of the event
}

// Error lists the problems, at most maxProblemsListed of them, then how many more there are.
func (e *InvalidInputError) Error() string {
	var b strings.Builder
	b.WriteString("invalid ")
	if e.Op != "" {
		b.WriteString(e.Op)
		b.WriteString(" ")
	}
	b.WriteString("event: ")
	for i, p := range e.Problems {
		if i == maxProblemsListed {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-maxProblemsListed)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects FieldProblems while an event is validated.
type problems []FieldProblem

func (ps *problems) add(field, value, allowed string) {
	*ps = append(*ps, FieldProblem{Field: field, Value: value, Allowed: allowed})
}

// err returns nil when nothing was collected, else an *InvalidInputError. The return type is
// error, not *InvalidInputError, so that no caller can mistake a nil pointer for success.
func (ps problems) err(op string) error {
	if len(ps) == 0 {
		return nil
	}
	return &InvalidInputError{Op: op, Problems: ps}
}
