package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/lambda/agecheck"
)

// worstLedgerRun is worstOrgRun with the run's ledger context (an execution name of 80
// characters).
func worstLedgerRun(t testing.TB) json.RawMessage {
	return encode(t, map[string]any{"policy": worstPolicy(), "account": "123456789012", "now": worstTimestamp, "test": true,
		"session": strings.Repeat("s", 80), "ledger": worstLedger()})
}

// worstLedger is the longest ledger context.
func worstLedger() agecheck.LedgerRun {
	return agecheck.LedgerRun{Run: strings.Repeat("r", agecheck.MaxRunLength), RemindEveryDays: agecheck.MaxRemindEveryDays,
		RetentionDays: agecheck.MaxRetentionDays}
}

// worstLedgerAccountResult is the largest result a child of a run that remembers returns: a
// checked account whose Summary and changes together are at MaxAccountSummaryBytes +
// MaxAccountChangesBytes (agecheck's TestAccountChangesFit holds them to it).
func worstLedgerAccountResult(t testing.TB, i int) json.RawMessage {
	return encode(t, map[string]any{"target": worstTarget(i), "status": agecheck.AccountChecked,
		"summary": raw(agecheck.MaxAccountSummaryBytes), "changes": raw(agecheck.MaxAccountChangesBytes)})
}

// worstCommits are MaxCommits commits of the longest kind: a root check unchecked.
func worstCommits() []agecheck.AccountCommit {
	commits := make([]agecheck.AccountCommit, agecheck.MaxCommits)
	for i := range commits {
		commits[i] = agecheck.AccountCommit{Account: fmt.Sprintf("%012d", i), Root: &agecheck.RootCheck{Status: agecheck.RootUnchecked}}
	}
	return commits
}

// TestPayloadBudgetOrganizationLedger: what a run that remembers adds to an organization run
// (the ledger context, each account's changes, the accounts to commit) stays under 256 KiB.
func TestPayloadBudgetOrganizationLedger(t *testing.T) {
	run := worstLedgerRun(t)
	skip := worstSkip()
	org := map[string]any{"summary": raw(agecheck.MaxOrgSummaryBytes)}
	var results []json.RawMessage
	for i := range agecheck.AccountsPerPage {
		results = append(results, worstLedgerAccountResult(t, i))
	}
	commits := worstCommits()
	if n := len(encode(t, commits)); n > agecheck.MaxOrgSummaryBytes/2 {
		t.Errorf("%d commits are %d bytes, want at most half of MaxOrgSummaryBytes (%d): the sections give way to them", len(commits), n, agecheck.MaxOrgSummaryBytes/2)
	}
	var report map[string]any
	if err := json.Unmarshal(worstReport(t), &report); err != nil {
		t.Fatal(err)
	}
	report["scope"] = agecheck.ScopeOrganization
	report["commits"] = commits
	report["commit"] = map[string]any{"now": worstTimestamp, "ledger": worstLedger()}
	// An account's own message in a run that remembers: its changes digest (bounded by
	// MaxMessageBytes as the full report is) with the Commit op report adds, which the child drops.
	var message map[string]any
	if err := json.Unmarshal(worstReport(t), &message); err != nil {
		t.Fatal(err)
	}
	message["commit"] = map[string]any{"now": worstTimestamp, "ledger": worstLedger(), "root": agecheck.RootCheck{Status: agecheck.RootUnchecked,
		Cause: strings.Repeat("c", agecheck.MaxCauseLength)}}
	cases := []budgetCase{
		{"member: AccountReport output", map[string]any{"result": worstLedgerAccountResult(t, 1), "run": run,
			"report": map[string]any{"Payload": message}}, asl.MaxPayloadBytes},
		{"own account: OwnAccountReport output", map[string]any{"run": run,
			"org":    map[string]any{"summary": map[string]any{"sections": []json.RawMessage{worstLedgerAccountResult(t, 0)}}},
			"report": map[string]any{"Payload": message}}, asl.MaxPayloadBytes},
		{"child output", worstLedgerAccountResult(t, 1), asl.MaxPayloadBytes},
		{"child input", map[string]any{"target": worstTarget(1), "run": run, "skip": skip["skip"]}, asl.MaxPayloadBytes},
		{"ScanAccounts output = MergeAccounts input", map[string]any{"run": run, "org": org, "scope": skip,
			"accounts": map[string]any{"Accounts": results, "NextToken": strings.Repeat("n", maxNextToken)}}, asl.MaxPayloadBytes},
		{"MergeAccounts event", map[string]any{"op": agecheck.OpMergeAccounts, "policy": worstPolicy(), "now": worstTimestamp,
			"account": "123456789012", "org": raw(agecheck.MaxOrgSummaryBytes), "accounts": results, "ledger": json.RawMessage(run)}, asl.MaxPayloadBytes},
		{"Report result with commits", map[string]any{"Payload": report, "envelope": raw(invokeEnvelopeBytes)}, asl.MaxPayloadBytes},
		{"commit iteration", map[string]any{"account": "123456789012", "commit": map[string]any{"now": worstTimestamp,
			"ledger": worstLedger(), "root": commits[0].Root}}, asl.MaxPayloadBytes},
		// The account scans carry the ledger context too.
		{"own account: ListUsers output", map[string]any{"run": run, "org": map[string]any{"summary": agecheck.OrgSummary{}},
			"scan": map[string]any{"summary": raw(agecheck.MaxSummaryBytes)}, "page": json.RawMessage(rawPage(t, PageSize, true))}, asl.MaxPayloadBytes},
		{"member: ListUsers output", map[string]any{"target": worstTarget(1), "run": json.RawMessage(encode(t, map[string]any{"policy": worstPolicy(),
			"account": "123456789012", "now": worstTimestamp, "session": strings.Repeat("s", 80), "ledger": worstLedger(),
			"roleArn": "arn:" + worstPartition + ":iam::123456789012:role/" + strings.Repeat("r", 64)})),
			"scan": map[string]any{"summary": raw(agecheck.MaxSummaryBytes)}, "page": json.RawMessage(rawPage(t, PageSize, true))}, asl.MaxPayloadBytes},
	}
	for _, c := range cases {
		n := len(encode(t, c.doc))
		t.Logf("%-45s %7d bytes (%3d%% of 256 KiB)", c.state, n, n*100/asl.MaxPayloadBytes)
		if n > c.limit {
			t.Errorf("%s is %d bytes in the worst case, over its budget of %d", c.state, n, c.limit)
		}
	}
}
