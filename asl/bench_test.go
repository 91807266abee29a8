package asl

import (
	"fmt"
	"testing"
)

// machine200 builds a 200-state machine: a chain of Task, Pass, Choice and Wait states with
// retries, catchers and payload templates, the shape of a large real workflow.
func machine200() *StateMachine {
	const n = 200
	states := make(States, n)
	name := func(i int) string { return fmt.Sprintf("Step%03d", i) }
	for i := 0; i < n-2; i++ {
		next := name(i + 1)
		switch i % 4 {
		case 0:
			t := SDKTask("aws", "iam", "listAccessKeys")
			t.Parameters = map[string]any{"UserName.$": "$.user", "MaxItems": 100, "Marker.$": "$.marker"}
			t.ResultSelector = map[string]any{"keys.$": "$.AccessKeyMetadata", "more.$": "$.IsTruncated"}
			t.ResultPath = "$.result"
			t.TimeoutSeconds = Count{N: 30}
			t.Retry = []Retrier{{ErrorEquals: []string{"Iam.IamException"}, IntervalSeconds: 1, MaxAttempts: new(5), BackoffRate: 2, MaxDelaySeconds: 20, JitterStrategy: JitterFull}}
			t.Catch = []Catcher{{ErrorEquals: []string{ErrAll}, Next: name(n - 1), ResultPath: "$.error"}}
			t.Next = next
			states[name(i)] = t
		case 1:
			states[name(i)] = &Pass{Parameters: map[string]any{"user.$": "$.user", "count.$": "States.ArrayLength($.result.keys)"}, Flow: Flow{Next: next}}
		case 2:
			states[name(i)] = &Choice{
				Choices: []ChoiceRule{{And: []ChoiceRule{
					{Variable: "$.count", NumericGreaterThan: new(0.0)},
					{Variable: "$.user", StringMatches: new("svc-*")},
				}, Next: next}},
				Default: next,
			}
		case 3:
			states[name(i)] = &Wait{Seconds: Count{N: 1}, Flow: Flow{Next: next}}
		}
	}
	states[name(n-2)] = &Succeed{}
	states[name(n-1)] = &Fail{Error: "Scan.Failed", CausePath: "$.error.Cause"}
	return &StateMachine{StartAt: name(0), States: states, TimeoutSeconds: 3600}
}

func BenchmarkRender200States(b *testing.B) {
	m := machine200()
	if len(m.States) != 200 {
		b.Fatalf("machine has %d states, want 200", len(m.States))
	}
	out, err := m.Render()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Render(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse200States(b *testing.B) {
	out, err := machine200().Render()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate200States(b *testing.B) {
	m := machine200()
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
