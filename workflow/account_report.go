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
// A publish (or report) that still fails after its retries fails the child, and with it the
// run (the Map tolerates no failure), so the failed-run alarm fires: as in a single-account run,
// a message is never lost silently. An account that could not be scanned publishes nothing of its
// own; the digest names it.

// State names of an account's message, in a child (with the prefix Member).
const (
	// StateAccountReport turns the account's scan into its own report (op report).
	StateAccountReport      = "AccountReport"
	stateAccountHasFindings = "AccountHasFindings"
	// StateAccountNotify publishes the account's report.
	StateAccountNotify   = "AccountNotify"
	stateAccountReported = "AccountReported"
)

// addAccountReport makes the child's account result (result, op account) go on to the account's
// report and publish; the child's output stays the AccountResult.
func (b builder) addAccountReport(st asl.States, result *asl.Task) {
	result.OutputPath = ""
	result.ResultSelector = map[string]any{"result.$": "$.Payload"}
	result.ResultPath = "$.account"
	result.End = false
	result.Next = b.name(StateAccountReport)

	fields := map[string]any{"summary.$": "$.scan.summary", "test.$": "$.run.test"}
	if b.s.CheckRootKeys {
		fields["root.$"] = "$.root"
	}
	report := lambdaTask(b.r.Partition, b.r.FunctionARN, agecheck.OpReport, fields, parentLambdaMaxDelaySeconds)
	report.Comment = "The account's own report, from its full scan summary as a single-account run reports it (a test run's " +
		"always publishes). The output keeps only the account's result and this report: the page and summary are dropped."
	report.ResultSelector = map[string]any{"Payload.$": "$.Payload"}
	report.ResultPath = "$.account.report"
	report.OutputPath = "$.account"
	report.Next = b.name(stateAccountHasFindings)
	st[b.name(StateAccountReport)] = report

	st[b.name(stateAccountHasFindings)] = &asl.Choice{
		Choices: []asl.ChoiceRule{{Variable: "$.report.Payload.publish", BooleanEquals: new(true), Next: b.name(StateAccountNotify)}},
		Default: b.name(stateAccountReported),
	}
	notify := b.publishReport("$.report.Payload")
	notify.Comment = "The account's own message: attributes account (its ID) and scope (account), so a subscription can take " +
		"one account's findings."
	attrs := notify.Parameters.(map[string]any)["MessageAttributes"].(map[string]any)
	attrs["scope"] = map[string]any{"DataType": "String", "StringValue": agecheck.ScopeAccount}
	notify.OutputPath = "$.result"
	notify.End = true
	st[b.name(StateAccountNotify)] = notify
	st[b.name(stateAccountReported)] = &asl.Pass{
		Common: asl.Common{Comment: "Nothing to report about this account: its result alone goes to the parent."},
		IO:     asl.IO{OutputPath: "$.result"},
		Flow:   asl.Flow{End: true},
	}
}
