package workflow

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// Worst-case sizes of Organizations' fields (ListAccounts' Account: Name 1..50, Email 6..64).
const (
	maxAccountName  = 50
	maxAccountEmail = 64
	maxNextToken    = 100000 // the API allows a NextToken of up to 100,000 characters
)

// worstTarget is the largest entry ListAccounts returns.
func worstTarget(i int) map[string]any {
	id := fmt.Sprintf("%012d", i)
	return map[string]any{
		"Id": id, "Arn": "arn:" + worstPartition + ":organizations::123456789012:account/o-" + strings.Repeat("o", 32) + "/" + id,
		"Email": strings.Repeat("e", maxAccountEmail), "Name": strings.Repeat("\"", maxAccountName),
		"State": "PENDING_CLOSURE", "Status": "PENDING_CLOSURE", "JoinedMethod": "INVITED", "JoinedTimestamp": worstTimestamp,
	}
}

// worstAccountResult is the largest result a child returns: a checked account whose Summary is
// at MaxAccountSummaryBytes, or an unchecked one whose Cause the function cut.
func worstAccountResult(t testing.TB, i int) json.RawMessage {
	checked := encode(t, map[string]any{"target": worstTarget(i), "status": agecheck.AccountChecked, "summary": raw(agecheck.MaxAccountSummaryBytes)})
	unchecked := encode(t, map[string]any{"target": worstTarget(i), "status": agecheck.AccountUnchecked,
		"error": map[string]any{"Error": strings.Repeat("E", maxErrorName), "Cause": strings.Repeat("\"", agecheck.MaxCauseLength)}})
	if len(unchecked) > len(checked) {
		return unchecked
	}
	return checked
}

// worstOrgRun is the parent's run context with the longest lists the settings allow.
func worstOrgRun(t testing.TB) json.RawMessage {
	return encode(t, map[string]any{"policy": worstPolicy(), "account": "123456789012", "now": worstTimestamp, "test": true,
		"session": strings.Repeat("s", 80)})
}

// worstSkip is the accounts children skip at their most: every excluded account and the
// deploying one.
func worstSkip() map[string]any {
	skip := make([]string, config.MaxAccounts+1)
	for i := range skip {
		skip[i] = fmt.Sprintf("%012d", i)
	}
	return map[string]any{"skip": skip}
}

// TestPayloadBudgetOrganization: the states an organization run adds stay under 256 KiB with a
// page of the largest results, the largest OrgSummary, and the longest account lists.
func TestPayloadBudgetOrganization(t *testing.T) {
	run := worstOrgRun(t)
	skip := worstSkip()
	emptyOrg := map[string]any{"summary": agecheck.OrgSummary{}}
	org := map[string]any{"summary": raw(agecheck.MaxOrgSummaryBytes)}
	var page, results []json.RawMessage
	pages := make([][]map[string]string, config.MaxAccounts/agecheck.AccountsPerPage)
	for i := range agecheck.AccountsPerPage {
		page = append(page, encode(t, worstTarget(i)))
		results = append(results, worstAccountResult(t, i))
	}
	for i := range pages {
		for j := range agecheck.AccountsPerPage {
			pages[i] = append(pages[i], map[string]string{"Id": fmt.Sprintf("%012d", i*agecheck.AccountsPerPage+j)})
		}
	}
	listed := map[string]any{"Accounts": page, "NextToken": strings.Repeat("n", maxNextToken)}
	afterMap := map[string]any{"Accounts": results, "NextToken": strings.Repeat("n", maxNextToken)}
	cases := []budgetCase{
		{"ListAccounts output = ScanAccounts input", map[string]any{"run": run, "org": org, "scope": skip, "accounts": listed}, asl.MaxPayloadBytes},
		{"ScanAccounts output = MergeAccounts input", map[string]any{"run": run, "org": org, "scope": skip, "accounts": afterMap}, asl.MaxPayloadBytes},
		{"ScanAccounts output, an accounts list", map[string]any{"run": run, "org": org, "scope": skip, "pages": pages,
			"accounts": map[string]any{"Accounts": results, "next": 50}}, asl.MaxPayloadBytes},
		{"MergeAccounts event", map[string]any{"op": agecheck.OpMergeAccounts, "policy": worstPolicy(), "now": worstTimestamp,
			"account": "123456789012", "org": raw(agecheck.MaxOrgSummaryBytes), "accounts": results}, asl.MaxPayloadBytes},
		{"child input", map[string]any{"target": worstTarget(1), "run": run, "skip": skip["skip"]}, asl.MaxPayloadBytes},
		// The deploying account's scan carries the organization's run context and summary too.
		{"own account: CheckKeys output = MergeResults input", map[string]any{"run": run, "org": emptyOrg, "scan": map[string]any{"summary": raw(agecheck.MaxSummaryBytes)},
			"page": map[string]any{"IsTruncated": true, "Marker": strings.Repeat("m", maxMarker), "Users": pageResults(t, PlanFor(1000))}}, asl.MaxPayloadBytes},
		{"own account: ListUsers output", map[string]any{"run": run, "org": emptyOrg,
			"scan": map[string]any{"summary": raw(agecheck.MaxSummaryBytes)}, "page": json.RawMessage(rawPage(t, PageSize, true))}, asl.MaxPayloadBytes},
		// A member account's scan carries its target and the member role besides what a single account's does.
		{"member: ListUsers output", map[string]any{"target": worstTarget(1), "run": json.RawMessage(encode(t, map[string]any{"policy": worstPolicy(),
			"account": "123456789012", "now": worstTimestamp, "session": strings.Repeat("s", 80),
			"roleArn": "arn:" + worstPartition + ":iam::123456789012:role/" + strings.Repeat("r", 64)})),
			"scan": map[string]any{"summary": raw(agecheck.MaxSummaryBytes)}, "page": json.RawMessage(rawPage(t, PageSize, true))}, asl.MaxPayloadBytes},
		{"child output", worstAccountResult(t, 1), asl.MaxPayloadBytes},
		// An account's own message (account_report.go): the report beside the account's result in
		// a child, beside the run and the organization's summary holding the deploying account
		// alone in the parent; the scan's page and summary are dropped by then.
		{"member: AccountReport output", map[string]any{"result": worstAccountResult(t, 1),
			"report": map[string]any{"Payload": worstReport(t)}}, asl.MaxPayloadBytes},
		{"own account: OwnAccountReport output", map[string]any{"run": run,
			"org":    map[string]any{"summary": map[string]any{"sections": []json.RawMessage{worstAccountResult(t, 0)}}},
			"report": map[string]any{"Payload": worstReport(t)}}, asl.MaxPayloadBytes},
	}
	for _, c := range cases {
		n := len(encode(t, c.doc))
		t.Logf("%-45s %7d bytes (%3d%% of 256 KiB)", c.state, n, n*100/asl.MaxPayloadBytes)
		if n > c.limit {
			t.Errorf("%s is %d bytes in the worst case, over its budget of %d", c.state, n, c.limit)
		}
	}
}
