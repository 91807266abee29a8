package asl

import "testing"

func TestRetrierDefaults(t *testing.T) {
	var r Retrier
	if got := r.Attempts(); got != 3 {
		t.Errorf("Attempts of an empty retrier = %d, want the ASL default 3", got)
	}
	for k, want := range []float64{1, 2, 4} {
		if got := r.Delay(k); got != want {
			t.Errorf("Delay(%d) of an empty retrier = %g, want %g (interval 1, backoff 2)", k, got, want)
		}
	}
	capped := Retrier{IntervalSeconds: 5, MaxAttempts: new(0), BackoffRate: 3, MaxDelaySeconds: 20}
	if got := capped.Attempts(); got != 0 {
		t.Errorf("Attempts with MaxAttempts 0 = %d, want 0", got)
	}
	for k, want := range []float64{5, 15, 20, 20} {
		if got := capped.Delay(k); got != want {
			t.Errorf("Delay(%d) = %g, want %g (5 x 3^k, capped at 20)", k, got, want)
		}
	}
}

func TestTaskWorstCaseSeconds(t *testing.T) {
	tests := []struct {
		name   string
		task   Task
		want   int
		wantOK bool
	}{
		{"no timeout", Task{}, 0, false},
		{"timeout from a path", Task{TimeoutSeconds: Count{Path: "$.t"}}, 0, false},
		{"no retry", Task{TimeoutSeconds: Count{N: 10}}, 10, true},
		// 1 + 3 default attempts of 10 s, waits 1 + 2 + 4.
		{"default retrier", Task{TimeoutSeconds: Count{N: 10}, Retry: []Retrier{{ErrorEquals: []string{ErrAll}}}}, 47, true},
		// Each retrier counts its own attempts: 1 + 2 + 1 attempts of 5 s; waits 2 + 3, then 1.
		{"two retriers", Task{TimeoutSeconds: Count{N: 5}, Retry: []Retrier{
			{ErrorEquals: []string{"A"}, IntervalSeconds: 2, MaxAttempts: new(2), BackoffRate: 1.5},
			{ErrorEquals: []string{"B"}, MaxAttempts: new(1), IntervalSeconds: 1, BackoffRate: 1, MaxDelaySeconds: 1},
		}}, 4*5 + 6, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.task.WorstCaseSeconds()
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("WorstCaseSeconds = %d, %v; want %d, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
