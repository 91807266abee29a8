package workflow

import (
	"strings"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/lambda/agecheck"
)

// States of a machine whose stack keeps a ledger (notify: changes).
const (
	// StateCommit invokes the function with op "commit" after the publish succeeded, or after a
	// report that publishes nothing: it records what was announced and releases the lease.
	StateCommit       = "RecordAnnounced"
	stateHasCommit    = "HasCommit"
	stateDone         = "Done"
	stateIsTestRun    = "IsTestRun"
	stateNoLedger     = "TestRunKeepsNoLedger"
	ledgerContextPath = "$.run.ledger"
	// stateCommitAccount is the commit of one account in an organization run's commit Map.
	stateCommitAccount = "RecordAccountAnnounced"
)

// withLedgerContext adds the run's ledger context (agecheck.LedgerRun) to Init's run, when the
// stack keeps a ledger: the execution's name keys the run's observations and lease.
func (b builder) withLedgerContext(run map[string]any) map[string]any {
	if l := b.s.Ledger; b.s.KeepsLedger() {
		lr := map[string]any{"run.$": "$$.Execution.Name", "remindEveryDays": l.RemindEveryDays, "retentionDays": l.RetentionDays}
		if b.s.ObservesForOwners() {
			lr["observeOnly"] = true // notify: every-run with owners (config.Settings.ObservesForOwners)
		}
		run["ledger"] = lr
	}
	return run
}

// withLedger adds the event field "ledger" from path to fields, when the stack keeps a ledger.
func (b builder) withLedger(fields map[string]any, path string) map[string]any {
	if b.s.KeepsLedger() {
		fields["ledger.$"] = path
	}
	return fields
}

// addLedger, when the stack keeps a ledger, sends the run from Notify, and from a report that
// publishes nothing, to the commit: only after the publish succeeded is anything recorded as
// announced. A publish that fails for good fails the run before the commit; the next run then
// announces the same findings again (its lease expires after agecheck.LeaseDuration).
func (b builder) addLedger(st asl.States) {
	if !b.s.KeepsLedger() {
		return
	}
	// A test run never touches the ledger: its run context has a null ledger, so that no event
	// of it carries one (only the report sees the test flag itself).
	init := st[stateInit].(*asl.Pass)
	next := init.Next
	init.Next = stateIsTestRun
	st[stateIsTestRun] = &asl.Choice{
		Common:  asl.Common{Comment: "A test run publishes everything and touches no ledger: its events carry no ledger."},
		Choices: []asl.ChoiceRule{{Variable: "$.run.test", BooleanEquals: new(false), Next: next}},
		Default: stateNoLedger,
	}
	// The run's context again, every field from itself, but a null ledger.
	run := map[string]any{"ledger": nil}
	for k := range init.Parameters.(map[string]any)["run"].(map[string]any) {
		if k = strings.TrimSuffix(k, ".$"); k != "ledger" {
			run[k+".$"] = "$.run." + k
		}
	}
	st[stateNoLedger] = &asl.Pass{
		// Every field of the run, the owner settings included (owners.go).
		Parameters: run,
		ResultPath: "$.run",
		Flow:       asl.Flow{Next: next},
	}
	if b.s.ObservesForOwners() {
		// Observations only (notify: every-run with owners): no lease, no entry, no commit.
		return
	}
	// The commit follows the last publish (Notify, NotifyChat when the stack has chat, the owners'
	// messages when it has an owners topic).
	for _, state := range st {
		switch s := state.(type) {
		case *asl.Task:
			if s.Next == stateNotified {
				s.Next = stateHasCommit
			}
		case *asl.Map:
			if s.Next == stateNotified {
				s.Next = stateHasCommit
			}
		case *asl.Choice:
			if s.Default == stateNotified && s != st[stateHasFindings] {
				s.Default = stateHasCommit
			}
		}
	}
	st[stateHasFindings].(*asl.Choice).Default = stateHasCommit
	delete(st, stateNotified)
	delete(st, stateNothingToReport)
	st[stateHasCommit] = &asl.Choice{
		Common: asl.Common{Comment: "The report holds the ledger's lease and has something to record (commit); a test run, " +
			"and a run that found the lease held by another run, record nothing."},
		Choices: []asl.ChoiceRule{{Variable: "$.commit", IsPresent: new(true), Next: StateCommit}},
		Default: stateDone,
	}
	commit := asl.LambdaInvokeTask(b.r.Partition, b.r.FunctionARN)
	commit.Comment = "Records what the report announced (op commit) and releases the lease; runs only once the publish succeeded."
	commit.Parameters = map[string]any{"FunctionName": b.r.FunctionARN, "Payload": map[string]any{
		"op":        agecheck.OpCommit,
		"policy":    b.s.Policy(),
		"now.$":     "$.commit.now",
		"account.$": "$.account",
		"commit.$":  "$.commit",
	}}
	commit.TimeoutSeconds = asl.Count{N: LambdaTaskTimeoutSeconds}
	commit.Retry = lambdaTask(b.r.Partition, b.r.FunctionARN, agecheck.OpCommit, nil, parentLambdaMaxDelaySeconds).Retry
	commit.ResultPath = asl.NullPath
	commit.Next = stateDone
	st[StateCommit] = commit
	st[stateDone] = &asl.Succeed{}
	if b.s.Organization.Enabled() {
		st[StateCommit] = b.commitAccounts(commit)
	}
}

// commitAccounts is an organization run's commit: once the organization digest's publish
// succeeded (or its report published nothing), op commit runs for every account whose lease
// the run holds (agecheck.Report.Commits), each with the run's commit and the account's root
// verdict. The accounts' own messages were published before (a failed one fails the run before
// the digest), so an account is recorded only when its message and the digest went out. An
// account the digest did not cover (unchecked, or its lease held by another run) has no
// commit: nothing is recorded for it.
func (b builder) commitAccounts(commit *asl.Task) *asl.Map {
	payload := lambdaPayload(commit)
	payload["now.$"] = "$.commit.now"
	payload["account.$"] = "$.account"
	payload["commit.$"] = "$.commit"
	commit.Next, commit.End = "", true
	return &asl.Map{
		Common: asl.Common{Comment: "Records what the organization digest announced, one account at a time per iteration " +
			"(op commit), and releases each account's lease; runs only once the publish succeeded."},
		ItemsPath: "$.commits",
		ItemSelector: map[string]any{
			"account.$": "$$.Map.Item.Value.account",
			"commit": map[string]any{
				"now.$": "$.commit.now", "ledger.$": "$.commit.ledger", "root.$": "$$.Map.Item.Value.root",
			},
		},
		MaxConcurrency: asl.Count{N: b.org().AccountConcurrency},
		ResultPath:     asl.NullPath,
		ItemProcessor: &asl.ItemProcessor{
			ProcessorConfig: &asl.ProcessorConfig{Mode: asl.ModeInline},
			Branch:          asl.Branch{StartAt: stateCommitAccount, States: asl.States{stateCommitAccount: commit}},
		},
		Flow: asl.Flow{Next: stateDone},
	}
}
