package workflow

import (
	"math"

	"github.com/keyage/keyage/asl"
)

// Page and batch sizes.
const (
	// PageSize is ListUsers' MaxItems. IAM allows up to 1,000, but a user entry can be over 2 KB
	// (a 512-character Path appears again in the Arn, and so may a permissions boundary's ARN),
	// and the whole page sits in one state next to the running summary until the Distributed
	// Map replaces it with its results. At 40, a page of worst-case entries plus the largest
	// summary and policy stays under 85% of the 256 KiB payload limit (budget_test.go computes
	// it), and even a page whose paths all need JSON escaping still fits.
	PageSize = 40
	// MaxBatchSize is the most users one Distributed Map child (an ItemBatcher batch) checks.
	// A user whose keys cannot be read carries the error's Cause, which Step Functions allows
	// up to 32,768 characters, into the child's state and the function's event: five of them
	// still fit in 256 KiB, so no input can make a child exceed the payload limit (an error
	// that States.ALL cannot catch).
	MaxBatchSize = 5
	// MapLabel labels the Distributed Map; child executions are named <execution>/<label>:<id>.
	MapLabel = "CheckKeys"
)

// Timeouts. Every Task has one, so a hung call becomes States.Timeout and is retried or
// caught instead of stalling the execution.
const (
	// ListUsersTimeoutSeconds bounds one ListUsers call.
	ListUsersTimeoutSeconds = 10
	// ListAccessKeysTimeoutSeconds bounds one ListAccessKeys call: a single small read.
	ListAccessKeysTimeoutSeconds = 5
	// FunctionTimeoutSeconds is the timeout the age-check function must be deployed with (infra
	// uses it). A check batch makes at most 2*MaxBatchSize GetAccessKeyLastUsed calls, and with
	// tag exemptions at most MaxBatchSize ListUserTags calls, one at a time.
	FunctionTimeoutSeconds = 10
	// LambdaTaskTimeoutSeconds bounds one invocation as Step Functions sees it: the function's
	// timeout plus room for a cold start, so a function timeout arrives as Lambda.Unknown.
	LambdaTaskTimeoutSeconds = FunctionTimeoutSeconds + 5
	// PublishTimeoutSeconds bounds one SNS Publish.
	PublishTimeoutSeconds = 10
	// ExpressLimitSeconds is the longest an Express child execution may run.
	ExpressLimitSeconds = 300
	// ChildHeadroomSeconds is kept free in every child for its own transitions and start-up,
	// on top of the worst case of its tasks.
	ChildHeadroomSeconds = 30
	// MachineTimeoutSeconds bounds a whole run: 12 hours, a documented bound rather than the
	// strict worst case. A normal run of 5,000 users takes minutes; even if every call ran once
	// to its timeout it would take under 4 hours (TestMachineTimeoutBound). A run still going
	// after 12 hours is starved by throttling beyond what retries absorb, and failing it raises
	// the failed-execution alarm before a daily schedule's next run. (The strict worst case,
	// every attempt of every call timing out, is about 37 hours at 5,000 users.)
	MachineTimeoutSeconds = 12 * 60 * 60
)

// Plan is how the definition spreads work for a maxConcurrency setting: users per page and
// per child, and the concurrency of the Distributed Map (Outer) and of each child's inline Map
// (Inner). Outer*Inner never exceeds maxConcurrency, because that product is the number of
// IAM calls in flight that IAM's account-wide throttling sees; a child's function calls IAM
// only after its inline Map is done, one call at a time, so it adds nothing to the product.
type Plan struct {
	PageSize  int // ListUsers MaxItems
	BatchSize int // ItemBatcher MaxItemsPerBatch
	Outer     int // Distributed Map MaxConcurrency
	Inner     int // each child's inline Map MaxConcurrency
}

// PlanFor returns the plan for a maxConcurrency setting (values below 1 count as 1). Each child
// gets as much of the concurrency as its batch can use, so children are short (Express bills
// duration); the batch shrinks when so little concurrency is allowed that a full batch could
// not finish within the Express limit in the worst case (MaxChildRounds).
func PlanFor(maxConcurrency int) Plan {
	m := max(maxConcurrency, 1)
	inner := min(m, MaxBatchSize)
	batch := min(MaxBatchSize, inner*MaxChildRounds())
	perPage := ceilDiv(PageSize, batch)
	outer := max(1, min(m/inner, perPage))
	return Plan{PageSize: PageSize, BatchSize: batch, Outer: outer, Inner: inner}
}

// Rounds is the number of sequential rounds of ListAccessKeys calls a full batch needs.
func (p Plan) Rounds() int { return ceilDiv(p.BatchSize, p.Inner) }

// MaxChildRounds is how many sequential rounds of ListAccessKeys calls (each at its worst: every
// attempt timing out, every retry delay at its cap) fit in a child together with the check
// invocation at its worst, within ExpressLimitSeconds minus ChildHeadroomSeconds.
func MaxChildRounds() int {
	perUser, check := childTaskWorstCases()
	return (ExpressLimitSeconds - ChildHeadroomSeconds - check) / perUser
}

// ChildWorstCaseSeconds is the longest a child of this plan can run: its rounds of
// ListAccessKeys and its check invocation, each at their worst, without headroom.
func (p Plan) ChildWorstCaseSeconds() int {
	perUser, check := childTaskWorstCases()
	return p.Rounds()*perUser + check
}

// childTaskWorstCases returns the worst cases of a child's two kinds of Task: one ListAccessKeys
// call and the check invocation. Their timeouts and retries do not depend on the resources, so
// the placeholder ones serve.
func childTaskWorstCases() (perUser, check int) {
	r := PlaceholderResources()
	return TaskWorstCaseSeconds(listAccessKeysTask(r.Partition, r.AccountID)),
		TaskWorstCaseSeconds(builder{r: r}.checkTask())
}

// TaskWorstCaseSeconds is the longest a Task can take with its retries
// ((*asl.Task).WorstCaseSeconds); a Task without a literal TimeoutSeconds has no bound: the
// result is math.MaxInt.
func TaskWorstCaseSeconds(t *asl.Task) int {
	if s, ok := t.WorstCaseSeconds(); ok {
		return s
	}
	return math.MaxInt
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
