package workflow

import (
	"fmt"
	"math"
	"strings"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
)

// List prices (us-east-1) the cost model uses.
const (
	PriceStandardTransition  = 0.000025     // USD per Standard state transition (retries count)
	PriceExpressRequest      = 1.00 / 1e6   // USD per Express execution
	PriceExpressGBSecond     = 0.00001667   // USD per GB-second, billed in 64 MB / 100 ms steps
	PriceLambdaRequest       = 0.20 / 1e6   // USD per invocation
	PriceLambdaGBSecondARM64 = 0.0000133334 // USD per GB-second on arm64
	PriceSNSPublish          = 0.50 / 1e6   // USD per publish (64 KB chunk)
	RunsPerMonth             = 30           // a daily schedule
)

// Durations the cost model assumes for calls that succeed at the first attempt. They are
// estimates (IAM reads take tens to a few hundred milliseconds); the count of transitions and
// executions, which dominates the cost, comes from the definition itself.
const (
	assumedIAMCallSeconds = 0.15
	assumedCheckSeconds   = 0.3 // judging a batch and looking up last use of its flagged keys
	assumedMergeSeconds   = 0.05
	assumedReportSeconds  = 0.1
	expressMemoryGB       = 64.0 / 1024 // Express bills memory in 64 MB steps; the state is small
	expressStepSeconds    = 0.1
)

// CostEstimate is the cost of one run over some number of users, for this design and for the
// naive design with one Express child per user.
type CostEstimate struct {
	Users             int
	Pages             int     // ListUsers calls
	Children          int     // Express child executions (batches)
	Transitions       int     // billed Standard state transitions, one per child included
	ExpressGBSeconds  float64 // billed Express duration
	LambdaInvocations int
	LambdaGBSeconds   float64
	RunUSD            float64 // one run of this design

	NaiveChildren    int     // one Express child per user
	NaiveTransitions int     // billed Standard transitions of the naive design
	NaiveRunUSD      float64 // one run of the naive design
}

// MonthlyUSD is the cost of RunsPerMonth runs of this design.
func (c CostEstimate) MonthlyUSD() float64 { return c.RunUSD * RunsPerMonth }

// NaiveMonthlyUSD is the cost of RunsPerMonth runs of the naive design.
func (c CostEstimate) NaiveMonthlyUSD() float64 { return c.NaiveRunUSD * RunsPerMonth }

// Cost estimates a run over users with the default settings, assuming every call succeeds at
// its first attempt and the run publishes. See CostFor.
func Cost(users int) CostEstimate {
	c, err := CostFor(config.MustCheck(config.Defaults()), users)
	if err != nil {
		panic("workflow: the default settings do not build a definition: " + err.Error())
	}
	return c
}

// CostFor estimates a run over users with the checked settings. Transitions are counted by walking the
// definition built for s: the states before the page loop (a scheduled run), the states of one
// loop iteration, times the pages, plus one per child started, and the states after the loop
// (with a publish). Express children are billed per request and for their duration; the
// function for each check, each merge, the report and, with notify: changes, the commit (the
// ledger's DynamoDB requests are measured by package ledger's benchmark, not estimated here).
func CostFor(checked config.Checked, users int) (CostEstimate, error) {
	m, err := Definition(checked, PlaceholderResources())
	if err != nil {
		return CostEstimate{}, err
	}
	users = max(users, 0)
	s := checked.Settings()
	plan := PlanFor(s.MaxConcurrency)
	c := CostEstimate{Users: users, Pages: max(1, ceilDiv(users, plan.PageSize))}
	for p := range c.Pages {
		onPage := min(plan.PageSize, users-p*plan.PageSize)
		if onPage > 0 {
			c.Children += ceilDiv(onPage, plan.BatchSize)
		}
	}
	before, loop, after, err := transitionsPerSection(m)
	if err != nil {
		return CostEstimate{}, err
	}
	c.Transitions = before + c.Pages*loop + c.Children + after

	// Each child reads its users in rounds of Inner, then invokes the check.
	fullRounds := ceilDiv(min(users, plan.BatchSize), plan.Inner)
	childSeconds := float64(fullRounds)*assumedIAMCallSeconds + assumedCheckSeconds
	c.ExpressGBSeconds = float64(c.Children) * billedExpress(childSeconds)
	c.LambdaInvocations = c.Children + c.Pages + 1
	reports := 1.0
	if s.Ledger.Remembers() { // the commit after the publish
		c.LambdaInvocations++
		reports++
	}
	memGB := float64(s.FunctionMemoryMB) / 1024
	c.LambdaGBSeconds = memGB * (float64(c.Children)*assumedCheckSeconds + float64(c.Pages)*assumedMergeSeconds + reports*assumedReportSeconds)
	c.RunUSD = float64(c.Transitions)*PriceStandardTransition +
		float64(c.Children)*PriceExpressRequest + c.ExpressGBSeconds*PriceExpressGBSecond +
		float64(c.LambdaInvocations)*PriceLambdaRequest + c.LambdaGBSeconds*PriceLambdaGBSecondARM64 +
		PriceSNSPublish

	// The naive design: list users once, one Distributed Map with one Express child per user
	// (a single ListAccessKeys), one function invocation over all keys, publish: ListUsers, Map,
	// the children, the function, a Choice, the publish and a Succeed.
	c.NaiveChildren = users
	c.NaiveTransitions = 6 + users
	naiveLambdaGBs := memGB * (assumedCheckSeconds + float64(users)*0.001)
	c.NaiveRunUSD = float64(c.NaiveTransitions)*PriceStandardTransition +
		float64(users)*(PriceExpressRequest+billedExpress(assumedIAMCallSeconds)*PriceExpressGBSecond) +
		PriceLambdaRequest + naiveLambdaGBs*PriceLambdaGBSecondARM64 + PriceSNSPublish
	return c, nil
}

// billedExpress is the GB-seconds Express bills for one child running seconds.
func billedExpress(seconds float64) float64 {
	steps := math.Ceil(seconds/expressStepSeconds - 1e-9)
	return steps * expressStepSeconds * expressMemoryGB
}

// transitionsPerSection walks the top-level graph of m and counts the states entered before
// the first ListUsers (a scheduled run), in one page iteration (ListMoreUsers around the loop
// back to itself; the first page's ListUsers is one state too), and from the state after the last
// page (CheckRootKeys or Report) to the end of a run that publishes.
func transitionsPerSection(m *asl.StateMachine) (before, loop, after int, err error) {
	if before, err = countStates(m.States, m.StartAt, StateListUsers); err != nil {
		return 0, 0, 0, err
	}
	if loop, err = countStates(m.States, StateListMoreUsers, StateListMoreUsers); err != nil {
		return 0, 0, 0, err
	}
	more, ok := m.States[stateMorePages].(*asl.Choice)
	if !ok {
		return 0, 0, 0, fmt.Errorf("count transitions: no Choice %q", stateMorePages)
	}
	after, err = countStates(m.States, more.Default, "")
	return before, loop, after, err
}

// countStates follows transitions from start, counting the states entered until it comes to
// stop (not counted; stop may equal start to count a cycle) or leaves a terminal state
// (counted). At a Choice it takes the first rule: no test flag, a scheduled time present and
// valid, users on the page, another page, something to publish.
func countStates(states asl.States, start, stop string) (int, error) {
	seen := map[string]bool{}
	n := 0
	for name := start; n == 0 || name != stop; {
		st, ok := states[name]
		if !ok {
			return 0, fmt.Errorf("count transitions: no state %q", name)
		}
		if seen[name] {
			return 0, fmt.Errorf("count transitions: back at %q without reaching %q", name, stop)
		}
		seen[name] = true
		n++
		switch s := st.(type) {
		case *asl.Choice:
			if len(s.Choices) == 0 {
				return 0, fmt.Errorf("count transitions: Choice %q has no rules", name)
			}
			name = s.Choices[0].Next
		case *asl.Succeed, *asl.Fail:
			return n, nil
		default:
			f := flow(st)
			if f.End {
				return n, nil
			}
			name = f.Next
		}
	}
	return n, nil
}

func flow(st asl.State) asl.Flow {
	switch s := st.(type) {
	case *asl.Task:
		return s.Flow
	case *asl.Pass:
		return s.Flow
	case *asl.Wait:
		return s.Flow
	case *asl.Map:
		return s.Flow
	case *asl.Parallel:
		return s.Flow
	}
	return asl.Flow{}
}

// numberTable renders a Markdown table of right-aligned columns: the header, then one row per
// number of users, written by row (its cells, "|"-separated, without the outer bars).
func numberTable(header []string, users []int, row func(users int) string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---:|", len(header)) + "\n")
	for _, u := range users {
		b.WriteString("| " + row(u) + " |\n")
	}
	return b.String()
}

// CostTable renders, as a Markdown table, the estimates for each number of users.
func CostTable(users ...int) string {
	header := []string{"users", "pages", "children", "billed transitions", "cost per run", "per month (30 runs)",
		"naive: transitions", "naive: per run", "naive: per month"}
	return numberTable(header, users, func(u int) string {
		c := Cost(u)
		return fmt.Sprintf("%d | %d | %d | %d | $%.4f | $%.2f | %d | $%.4f | $%.2f",
			u, c.Pages, c.Children, c.Transitions, c.RunUSD, c.MonthlyUSD(),
			c.NaiveTransitions, c.NaiveRunUSD, c.NaiveMonthlyUSD())
	})
}

// LookupEstimate is what the unused control's last-used lookups add to a run at its worst:
// every user has two active keys older than unusedDays, so the function looks up every key
// (without the control it looks up only keys that are stale or due soon, which CostFor's
// assumed check time covers).
type LookupEstimate struct {
	Users int
	// Calls is the GetAccessKeyLastUsed calls: two per user.
	Calls int
	// AddedSeconds is the wall time added to the run: each check makes its lookups one at a
	// time, a page's children run Outer at a time, and pages run one after another.
	AddedSeconds float64
	// AddedLambdaGBSeconds and AddedExpressGBSeconds are the billed durations added: the
	// function waits for each lookup, and its child waits for the function.
	AddedLambdaGBSeconds  float64
	AddedExpressGBSeconds float64
	AddedRunUSD           float64 // one run
}

// AddedMonthlyUSD is the cost RunsPerMonth runs add.
func (l LookupEstimate) AddedMonthlyUSD() float64 { return l.AddedRunUSD * RunsPerMonth }

// LookupCost estimates what the last-used lookups add to a run over users with the default
// settings, assuming every lookup succeeds at its first attempt in assumedIAMCallSeconds.
func LookupCost(users int) LookupEstimate {
	s := config.Defaults()
	plan := PlanFor(s.MaxConcurrency)
	users = max(users, 0)
	l := LookupEstimate{Users: users, Calls: 2 * users}
	memGB := float64(s.FunctionMemoryMB) / 1024
	baseChild := float64(ceilDiv(min(users, plan.BatchSize), plan.Inner))*assumedIAMCallSeconds + assumedCheckSeconds
	for page := 0; page*plan.PageSize < users; page++ {
		onPage := min(plan.PageSize, users-page*plan.PageSize)
		var slowest float64
		for child := 0; child*plan.BatchSize < onPage; child++ {
			added := float64(2*min(plan.BatchSize, onPage-child*plan.BatchSize)) * assumedIAMCallSeconds
			slowest = max(slowest, added)
			l.AddedLambdaGBSeconds += memGB * added
			l.AddedExpressGBSeconds += billedExpress(baseChild+added) - billedExpress(baseChild)
		}
		// Children of a page start Outer at a time: each wave is as slow as its slowest child.
		l.AddedSeconds += float64(ceilDiv(ceilDiv(onPage, plan.BatchSize), plan.Outer)) * slowest
	}
	l.AddedRunUSD = l.AddedLambdaGBSeconds*PriceLambdaGBSecondARM64 + l.AddedExpressGBSeconds*PriceExpressGBSecond
	return l
}

// LookupTable renders, as a Markdown table, LookupCost for each number of users.
func LookupTable(users ...int) string {
	header := []string{"users", "GetAccessKeyLastUsed calls (at most)", "time added per run", "cost added per run", "per month (30 runs)"}
	return numberTable(header, users, func(u int) string {
		l := LookupCost(u)
		return fmt.Sprintf("%d | %d | %.0f s | $%.4f | $%.2f", u, l.Calls, l.AddedSeconds, l.AddedRunUSD, l.AddedMonthlyUSD())
	})
}
