package workflow

import (
	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/lambda/agecheck"
)

// An organization run's account messages (issue 8): each child whose account has something to
// report (a finding, an unchecked user, a key whose last use is unknown, a root key or an
// unchecked root), and every checked account's child on a test run, publishes the account's own
// report to the findings topic, built by op report from the account's full scan summary (the
// one a single-account run reports from, not the 2 KiB result the parent folds), with the
// attributes severity, kinds, account = its ID and scope = agecheck.ScopeAccount. A subscription
// takes one account's findings with the filter policy {"account": ["111122223333"]}; the
// organization's digest carries scope = agecheck.ScopeOrganization and no account attribute.
//
// With notify: changes (the ledger), the account's message is that account's changes digest, the
// one a single-account run of it would publish: op report gets the run's ledger context, takes
// the account's lease again (the run holds it since the account's result) and diffs the same
// entries and observations; it publishes only when the account has something new, a reminder
// due, a key resolved, or an unchecked user, key or root user, and nothing otherwise. An account
// whose lease another run holds is announced whole, as the digest says. With notify: every-run,
// and on a test run (whose run context has a null ledger), it is the account's full report.
//
// A publish (or report) that still fails after its retries fails the child, and with it the
// run (the Map tolerates no failure), so the failed-run alarm fires: as in a single-account run,
// a message is never lost silently. The commit Map (ledger.go) comes after the digest's publish,
// so an account's entries are recorded only when its own message AND the digest were published:
// otherwise the next run announces them again, in both. An account that could not be scanned
// publishes nothing of its own; the digest names it.

// State names of an account's message, in a child (with the prefix Member).
const (
	// StateAccountReport turns the account's scan into its own report (op report).
	StateAccountReport      = "AccountReport"
	stateAccountHasFindings = "AccountHasFindings"
	// StateAccountNotify publishes the account's report.
	StateAccountNotify   = "AccountNotify"
	stateAccountReported = "AccountReported"

	// The deploying account's, in the parent.
	stateOwnAccountScanned     = "OwnAccountScanned"
	stateOwnAccountReport      = "OwnAccountReport"
	stateOwnAccountHasFindings = "OwnAccountHasFindings"
	stateOwnAccountNotify      = "OwnAccountNotify"
	stateOwnAccountReported    = "OwnAccountReported"
)

// addAccountReport makes the child's account result (result, op account) go on to the account's
// report and publish; the child's output stays the AccountResult.
func (b builder) addAccountReport(st asl.States, result *asl.Task) {
	result.OutputPath = ""
	result.ResultSelector = map[string]any{"result.$": "$.Payload"}
	result.ResultPath = "$.account"
	result.End = false
	result.Next = b.name(StateAccountReport)
	// The output keeps only the account's result and its report: the page and summary go.
	done := &asl.Pass{
		Common: asl.Common{Comment: "Its result alone goes to the parent."},
		IO:     asl.IO{OutputPath: "$.result"},
		Flow:   asl.Flow{End: true},
	}
	b.addAccountMessage(st, "$.run", "$.account", done)
}

// addOwnAccountReport adds the deploying account's own message in the parent, between the fold
// of its scan into the organization's summary (fold) and the accounts' pages (next). The run's
// context and the organization's summary are set aside with the report, so that the summary and
// page of the scan are dropped before the report joins the state.
func (b builder) addOwnAccountReport(st asl.States, fold *asl.Task, next string) {
	fold.Next = stateOwnAccountScanned
	keep := map[string]any{
		"run.$":  "$.run",
		"scan.$": "$.scan",
		"keep":   map[string]any{"run.$": "$.run", "org.$": "$.org"},
	}
	if b.s.CheckRootKeys {
		keep["root.$"] = "$.root"
	}
	st[stateOwnAccountScanned] = &asl.Pass{
		Common:     asl.Common{Comment: "Sets the run's context and the organization's summary aside for after the deploying account's report."},
		Parameters: keep,
		Flow:       asl.Flow{Next: stateOwnAccountReport},
	}
	b.addAccountMessage(st, "$.keep.run", "$.keep", &asl.Pass{Flow: asl.Flow{Next: next}})
}

// addAccountMessage adds an account's report (op report on the scan's summary), the choice and
// its publish, then done. keep is the object the report is put in and which the report's state
// outputs; it holds the run's context at run.
func (b builder) addAccountMessage(st asl.States, run, keep string, done *asl.Pass) {
	names := map[bool][4]string{
		false: {stateOwnAccountReport, stateOwnAccountHasFindings, stateOwnAccountNotify, stateOwnAccountReported},
		true:  {b.name(StateAccountReport), b.name(stateAccountHasFindings), b.name(StateAccountNotify), b.name(stateAccountReported)},
	}[b.member]
	// With the ledger (notify: changes), op report turns the account's changes into its message as a
	// single-account run's report does: it takes the account's lease again (the run holds it since
	// op account, or the deploying account's fold) and diffs the same entries and observations.
	fields := b.withOwners(b.withLedger(map[string]any{"summary.$": "$.scan.summary", "test.$": run + ".test"}, run+".ledger"), run)
	if b.s.CheckRootKeys {
		fields["root.$"] = "$.root"
	}
	report := lambdaTask(b.r.Partition, b.r.FunctionARN, agecheck.OpReport, fields, parentLambdaMaxDelaySeconds)
	report.Comment = "The account's own report, from its full scan summary as a single-account run reports it (with the " +
		"ledger, its changes digest; a test run's always publishes). Its output keeps the report beside what comes after; " +
		"the scan's page and summary are dropped."
	report.ResultSelector = map[string]any{"Payload.$": "$.Payload"}
	report.ResultPath = asl.Path(keep + ".report")
	report.OutputPath = asl.Path(keep)
	report.Next = names[1]
	st[names[0]] = report

	st[names[1]] = &asl.Choice{
		Choices: []asl.ChoiceRule{{Variable: "$.report.Payload.publish", BooleanEquals: new(true), Next: names[2]}},
		Default: names[3],
	}
	notify := b.publishReport("$.report.Payload")
	notify.Comment = "The account's own message: attributes account (its ID) and scope (account), so a subscription can take " +
		"one account's findings."
	attrs := notify.Parameters.(map[string]any)["MessageAttributes"].(map[string]any)
	attrs["scope"] = map[string]any{"DataType": "String", "StringValue": agecheck.ScopeAccount}
	notify.Next = names[3]
	b.addAccountOwners(st, notify, map[bool]string{false: "Own", true: b.name("")}[b.member])
	st[names[2]] = notify
	done.Common.Comment = "Nothing more about this account. " + done.Common.Comment
	st[names[3]] = done
}
