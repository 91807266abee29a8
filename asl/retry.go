package asl

import "math"

// The defaults of a Retrier's optional fields, as the States Language and Step Functions define
// them (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error).
const (
	DefaultRetryIntervalSeconds = 1
	DefaultRetryMaxAttempts     = 3
	DefaultRetryBackoffRate     = 2.0
)

// Attempts returns how many times the retrier retries: MaxAttempts, else the default 3.
func (r Retrier) Attempts() int {
	if r.MaxAttempts != nil {
		return *r.MaxAttempts
	}
	return DefaultRetryMaxAttempts
}

// Delay returns the longest wait before retry k (0 for the first): IntervalSeconds (default 1)
// times BackoffRate (default 2) to the power k, capped at MaxDelaySeconds when set. FULL jitter
// only shortens waits, so this is also its bound.
func (r Retrier) Delay(k int) float64 {
	interval := float64(r.IntervalSeconds)
	if r.IntervalSeconds == 0 {
		interval = DefaultRetryIntervalSeconds
	}
	rate := r.BackoffRate
	if rate == 0 {
		rate = DefaultRetryBackoffRate
	}
	d := interval * math.Pow(rate, float64(k))
	if r.MaxDelaySeconds > 0 {
		d = math.Min(d, float64(r.MaxDelaySeconds))
	}
	return d
}

// WorstCaseSeconds returns the longest the Task can take with its retries: every attempt runs
// to TimeoutSeconds (each retrier's attempts are counted separately, as Step Functions counts
// them) and every retry waits its full Delay. ok is false when the Task has no literal
// TimeoutSeconds (absent, an expression or a path), so no bound is known statically.
func (t *Task) WorstCaseSeconds() (seconds int, ok bool) {
	if t.TimeoutSeconds.N <= 0 {
		return 0, false
	}
	attempts := 1
	delays := 0.0
	for _, r := range t.Retry {
		n := r.Attempts()
		for k := range n {
			delays += r.Delay(k)
		}
		attempts += n
	}
	return attempts*t.TimeoutSeconds.N + int(math.Ceil(delays)), true
}
