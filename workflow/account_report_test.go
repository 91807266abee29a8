package workflow

import (
	"testing"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/lambda/agecheck"
)

// TestAccountMessageStates: each child reports its account from the full scan summary (root
// check and test flag included), publishes when the report says so with the account's ID and
// scope account, and ends with the AccountResult alone, whichever way it goes.
func TestAccountMessageStates(t *testing.T) {
	m := mustDefinition(t, organizationSettings(), PlaceholderResources())
	_, child := scanAccounts(t, m)
	result := child[memberPrefix+StateAccountResult].(*asl.Task)
	if result.End || result.Next != memberPrefix+StateAccountReport || result.ResultPath != "$.account" {
		t.Errorf("AccountResult: end %v, next %q, result path %q; want on to %s, the result at $.account", result.End, result.Next, result.ResultPath, StateAccountReport)
	}
	report := child[memberPrefix+StateAccountReport].(*asl.Task)
	payload := lambdaPayload(report)
	if payload["summary.$"] != "$.scan.summary" || payload["test.$"] != "$.run.test" || payload["account.$"] != "$.run.account" {
		t.Errorf("AccountReport payload %v, want the account's full summary, the test flag and the account", payload)
	}
	if organizationSettings().CheckRootKeys && payload["root.$"] != "$.root" {
		t.Errorf("AccountReport payload %v, want the root check", payload)
	}
	if report.OutputPath != "$.account" {
		t.Errorf("AccountReport output %q, want $.account (the page and the summary dropped)", report.OutputPath)
	}
	if init := child[memberPrefix+stateAccountInit].(*asl.Pass).Parameters.(map[string]any)["run"].(map[string]any); init["test.$"] != "$.run.test" || init["account.$"] != "$.target.Id" {
		t.Errorf("the child's run %v, want the test flag and the account's ID", init)
	}
	notify := child[memberPrefix+StateAccountNotify].(*asl.Task)
	attrs := notify.Parameters.(map[string]any)["MessageAttributes"].(map[string]any)
	if a := attrs["account"].(map[string]any); a["StringValue.$"] != "$.report.Payload.account" {
		t.Errorf("account attribute %v, want the report's account", a)
	}
	if a := attrs["scope"].(map[string]any); a["StringValue"] != agecheck.ScopeAccount {
		t.Errorf("scope attribute %v, want %q", a, agecheck.ScopeAccount)
	}
	if notify.Parameters.(map[string]any)["TopicArn"] != PlaceholderResources().TopicARN || notify.Next != memberPrefix+stateAccountReported {
		t.Errorf("AccountNotify: topic %v, next %q; want the findings topic, then %s", notify.Parameters.(map[string]any)["TopicArn"], notify.Next, stateAccountReported)
	}
	if done := child[memberPrefix+stateAccountReported].(*asl.Pass); !done.End || done.OutputPath != "$.result" {
		t.Errorf("AccountReported: end %v, output %q; want the end with the AccountResult", done.End, done.OutputPath)
	}
	if c := child[memberPrefix+stateAccountHasFindings].(*asl.Choice); c.Choices[0].Next != memberPrefix+StateAccountNotify || c.Default != memberPrefix+stateAccountReported {
		t.Errorf("AccountHasFindings %+v, want Notify when publish, else Reported", c)
	}
}

// TestAccountMessagesFollowTheLedger: with notify: changes, each account's own report (in a
// child, and the deploying account's in the parent) gets the run's ledger context, so that op
// report announces the account's changes; with notify: every-run it gets none.
func TestAccountMessagesFollowTheLedger(t *testing.T) {
	for _, notify := range []string{agecheck.NotifyChanges, agecheck.NotifyEveryRun} {
		t.Run(notify, func(t *testing.T) {
			s := organizationSettings()
			s.Organization.ExcludeAccounts = nil
			s.Ledger.Notify = notify
			m := mustDefinition(t, s, PlaceholderResources())
			_, child := scanAccounts(t, m)
			for name, want := range map[string]any{
				memberPrefix + StateAccountReport: "$.run.ledger",
				stateOwnAccountReport:             "$.keep.run.ledger",
			} {
				st := child
				if name == stateOwnAccountReport {
					st = m.States
				}
				task, ok := st[name].(*asl.Task)
				if !ok {
					t.Fatalf("no task %s", name)
				}
				got, has := lambdaPayload(task)["ledger.$"]
				if notify == agecheck.NotifyEveryRun {
					if has {
						t.Errorf("%s: ledger %v, want none with notify: every-run", name, got)
					}
					continue
				}
				if got != want {
					t.Errorf("%s: ledger %v, want %v (the run's ledger context)", name, got, want)
				}
			}
		})
	}
}
