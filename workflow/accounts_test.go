package workflow

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// organizationSettings scan every account of the organization but one.
func organizationSettings() config.Settings {
	s := config.Defaults()
	s.Organization.Accounts = []string{config.OrganizationKeyword}
	s.Organization.ExcludeAccounts = []string{"210987654321"}
	return s
}

// accountsSettings scan a list of 25 accounts (two pages), the deploying one among them, one
// excluded, without the root check.
func accountsSettings() config.Settings {
	s := config.Defaults()
	s.CheckRootKeys = false
	for i := range 25 {
		s.Organization.Accounts = append(s.Organization.Accounts, fmt.Sprintf("1000000000%02d", i))
	}
	s.Organization.Accounts = append(s.Organization.Accounts, PlaceholderAccountID)
	s.Organization.ExcludeAccounts = []string{"100000000003"}
	s.Organization.AccountConcurrency = 3
	return s
}

// scanAccounts returns the child of ScanAccounts and its Map.
func scanAccounts(t *testing.T, m *asl.StateMachine) (*asl.Map, asl.States) {
	t.Helper()
	mp, ok := m.States[StateScanAccounts].(*asl.Map)
	if !ok || mp.ItemProcessor == nil {
		t.Fatalf("no Map %s", StateScanAccounts)
	}
	return mp, mp.ItemProcessor.States
}

// TestSingleAccountUnchanged: settings with no accounts build the machine they always did; only
// a setting asking for more accounts changes it (golden files guard the bytes:
// testdata/default.asl.json). An empty accounts list is refused by config.
func TestSingleAccountUnchanged(t *testing.T) {
	a := mustRender(t, mustDefinition(t, config.Defaults(), PlaceholderResources()))
	if strings.Contains(string(a), "Credentials") || strings.Contains(string(a), memberPrefix) {
		t.Error("the single-account definition has cross-account states")
	}
}

func TestOrganizationChildren(t *testing.T) {
	for name, s := range map[string]config.Settings{"organization": organizationSettings(), "accounts": accountsSettings()} {
		t.Run(name, func(t *testing.T) {
			m := mustDefinition(t, s, PlaceholderResources())
			mp, child := scanAccounts(t, m)
			if pc := mp.ItemProcessor.ProcessorConfig; pc.Mode != asl.ModeDistributed || pc.ExecutionType != asl.ExecutionStandard {
				t.Errorf("%s runs %+v, want DISTRIBUTED with STANDARD children (an account's history of its own)", StateScanAccounts, pc)
			}
			if got := mp.MaxConcurrency.N; got != s.Organization.AccountConcurrency {
				t.Errorf("MaxConcurrency %d, want accountConcurrency %d", got, s.Organization.AccountConcurrency)
			}
			// Every IAM call of a child is made with the account's member role, and every state
			// that can fail for the account is caught into its unchecked result.
			iamTasks := 0
			eachState(child, func(name string, st asl.State) {
				task, ok := st.(*asl.Task)
				if !ok || !strings.Contains(task.Resource, ":aws-sdk:iam:") {
					return
				}
				iamTasks++
				if task.Credentials == nil || task.Credentials.RoleArnPath == "" {
					t.Errorf("%s calls IAM without the member role's Credentials", name)
				}
				for _, p := range task.Permissions {
					if !slices.Equal(p.Action, []string{"sts:AssumeRole"}) {
						t.Errorf("%s gives the machine's role %v, want only sts:AssumeRole (the IAM action is the member role's)", name, p.Action)
					}
				}
			})
			if iamTasks == 0 {
				t.Fatal("no IAM task in the child")
			}
			for _, st := range []string{StateListUsers, StateListMoreUsers, StateCheckKeys, StateMergeResults} {
				if !catchesInto(child[memberPrefix+st], memberPrefix+stateAccountNotRead) {
					t.Errorf("%s%s does not catch States.ALL into %s", memberPrefix, st, stateAccountNotRead)
				}
			}
			if _, ok := child[memberPrefix+stateNoMarker].(*asl.Pass); !ok {
				t.Errorf("an incomplete listing in a child is %T, want a Pass to the account's unchecked result (a Fail would fail the whole run)", child[memberPrefix+stateNoMarker])
			}
		})
	}
}

// TestOrganizationOwnAccountCaught: the parent's scan of the deploying account catches every
// error (and an incomplete listing) into the deploying account's unchecked result, which feeds
// the organization's summary like any account's: one account that cannot be scanned never fails
// the run.
func TestOrganizationOwnAccountCaught(t *testing.T) {
	for name, s := range map[string]config.Settings{"organization": organizationSettings(), "accounts": accountsSettings()} {
		t.Run(name, func(t *testing.T) {
			m := mustDefinition(t, s, PlaceholderResources())
			for _, st := range []string{StateListUsers, StateListMoreUsers, StateCheckKeys, StateMergeResults} {
				if !catchesInto(m.States[st], StateOwnAccountUnchecked) {
					t.Errorf("%s does not catch States.ALL into %s", st, StateOwnAccountUnchecked)
				}
			}
			if p, ok := m.States[stateNoMarker].(*asl.Pass); !ok || p.Next != StateOwnAccountUnchecked || p.ResultPath != "$.error" {
				t.Errorf("an incomplete listing of the deploying account is %#v, want a Pass of the error to %s", m.States[stateNoMarker], StateOwnAccountUnchecked)
			}
			u, ok := m.States[StateOwnAccountUnchecked].(*asl.Task)
			if !ok {
				t.Fatalf("%s is %T, want a Task", StateOwnAccountUnchecked, m.States[StateOwnAccountUnchecked])
			}
			payload := lambdaPayload(u)
			if payload["op"] != agecheck.OpMergeAccounts || payload["error.$"] != "$.error" || payload["org.$"] != "$.org.summary" ||
				u.ResultPath != "$.org" || u.Next != stateOwnAccountDone {
				t.Errorf("%s sends %v to %s, want op %s with the error and the summary, into $.org, then %s",
					StateOwnAccountUnchecked, payload, u.Next, agecheck.OpMergeAccounts, stateOwnAccountDone)
			}
		})
	}
	// A single account has no unchecked result: its errors fail the run (and the alarm fires).
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	if _, ok := m.States[stateNoMarker].(*asl.Fail); !ok || len(m.States[StateListUsers].(*asl.Task).Catch) != 0 {
		t.Errorf("single account: %s is %T, ListUsers catches %v; want a Fail and no Catch", stateNoMarker, m.States[stateNoMarker], m.States[StateListUsers].(*asl.Task).Catch)
	}
}

// TestOrganizationDeployingAccountExcluded: excludeAccounts holding the deploying account takes
// it out of scope: the parent does not scan it, and the merges count it as excluded.
func TestOrganizationDeployingAccountExcluded(t *testing.T) {
	s := organizationSettings()
	s.Organization.ExcludeAccounts = append(s.Organization.ExcludeAccounts, PlaceholderAccountID)
	for name, tt := range map[string]struct {
		s        config.Settings
		excluded bool
	}{"excluded": {s, true}, "in scope": {organizationSettings(), false}} {
		t.Run(name, func(t *testing.T) {
			m := mustDefinition(t, tt.s, PlaceholderResources())
			payload := lambdaPayload(m.States[StateMergeAccounts].(*asl.Task))
			if got, _ := payload["deployingExcluded"].(bool); got != tt.excluded {
				t.Errorf("%s sends deployingExcluded %v, want %v", StateMergeAccounts, payload["deployingExcluded"], tt.excluded)
			}
			if _, scanned := m.States[StateListUsers]; scanned == tt.excluded {
				t.Errorf("the parent scans the deploying account: %v, want %v", scanned, !tt.excluded)
			}
		})
	}
}

func catchesInto(st asl.State, next string) bool {
	var catch []asl.Catcher
	switch s := st.(type) {
	case *asl.Task:
		catch = s.Catch
	case *asl.Map:
		catch = s.Catch
	}
	for _, c := range catch {
		if slices.Contains(c.ErrorEquals, asl.ErrAll) && c.Next == next {
			return true
		}
	}
	return false
}

func TestOrganizationPermissions(t *testing.T) {
	r := PlaceholderResources()
	machine := "arn:aws:states:us-east-1:123456789012:stateMachine:keyage"
	tests := []struct {
		name   string
		s      config.Settings
		assume []string
	}{
		{"organization", organizationSettings(), []string{"arn:aws:iam::*:role/keyage-member"}},
		{"accounts", accountsSettings(), func() []string {
			var arns []string
			for i := range 25 {
				if i != 3 {
					arns = append(arns, fmt.Sprintf("arn:aws:iam::1000000000%02d:role/keyage-member", i))
				}
			}
			return arns
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stmts := mustDefinition(t, tt.s, r).IAMStatements(machine)
			var assume, list []string
			for _, st := range stmts {
				if slices.Contains(st.Action, "sts:AssumeRole") {
					assume = append(assume, st.Resource...)
				}
				if slices.Contains(st.Action, "organizations:ListAccounts") {
					list = append(list, st.Resource...)
				}
			}
			if !slices.Equal(assume, tt.assume) {
				t.Errorf("sts:AssumeRole on %v, want exactly %v", assume, tt.assume)
			}
			if wantList := tt.s.Organization.WholeOrganization(); wantList != (len(list) > 0) {
				t.Errorf("organizations:ListAccounts on %v; want it only when accounts is organization", list)
			}
			if got := MemberRoleARNs(mustCheck(t, tt.s), r); !slices.Equal(got, tt.assume) {
				t.Errorf("MemberRoleARNs = %v, want %v", got, tt.assume)
			}
		})
	}
	if got := MemberRoleARNs(mustCheck(t, config.Defaults()), r); got != nil {
		t.Errorf("MemberRoleARNs of a single account = %v, want none", got)
	}
}

// afterInit is the state after Init and, when the stack keeps a ledger, after the test-run
// check, whose two ways must meet there.
func afterInit(t *testing.T, m *asl.StateMachine) string {
	t.Helper()
	next := m.States[stateInit].(*asl.Pass).Next
	if next != stateIsTestRun {
		return next
	}
	notTest := m.States[stateIsTestRun].(*asl.Choice).Choices[0].Next
	if test := m.States[stateNoLedger].(*asl.Pass).Next; test != notTest {
		t.Errorf("a test run goes on to %s, a scheduled one to %s: want the same state", test, notTest)
	}
	return notTest
}

func TestAccountPages(t *testing.T) {
	m := mustDefinition(t, accountsSettings(), PlaceholderResources())
	// The deploying account is listed: its scan comes first, and the pages join the state after it.
	pages := m.States[stateOwnAccountDone].(*asl.Pass).Parameters.(map[string]any)["pages"].([][]map[string]string)
	var sizes []int
	seen := map[string]bool{}
	for _, p := range pages {
		sizes = append(sizes, len(p))
		for _, a := range p {
			seen[a["Id"]] = true
		}
	}
	// 25 listed, one excluded, and the deploying account (scanned by the parent): 24 in pages of 20.
	if !reflect.DeepEqual(sizes, []int{20, 4}) || seen["100000000003"] || seen[PlaceholderAccountID] {
		t.Errorf("pages of %v, want [20 4] without the excluded and the deploying account", sizes)
	}
	if got := *m.States[stateMoreAccounts].(*asl.Choice).Choices[0].NumericLessThan; got != 2 {
		t.Errorf("MoreAccounts loops while next < %v, want 2", got)
	}
	// The deploying account is listed: the parent scans it first, with its own role.
	if next := afterInit(t, m); next != StateListUsers {
		t.Errorf("Init goes to %s, want %s (the deploying account's scan)", next, StateListUsers)
	}

	// Not listed: straight to the pages.
	s := accountsSettings()
	s.Organization.Accounts = s.Organization.Accounts[:25]
	m = mustDefinition(t, s, PlaceholderResources())
	if next := afterInit(t, m); next != stateNextAccountPage {
		t.Errorf("Init goes to %s, want %s", next, stateNextAccountPage)
	}
	if _, ok := m.States[StateListUsers]; ok {
		t.Errorf("the parent scans the deploying account, which is not in accounts")
	}
}

func TestOrganizationReportAndAttributes(t *testing.T) {
	m := mustDefinition(t, organizationSettings(), PlaceholderResources())
	payload := lambdaPayload(m.States[StateReport].(*asl.Task))
	if payload["org.$"] != "$.org.summary" || payload["summary.$"] != nil {
		t.Errorf("report payload %v, want the organization's summary", payload)
	}
	attrs := m.States[StateNotify].(*asl.Task).Parameters.(map[string]any)["MessageAttributes"].(map[string]any)
	if a, ok := attrs["account"]; ok {
		t.Errorf("account attribute %v on the organization's digest, want none (it is about many accounts)", a)
	}
	if a, ok := attrs["scope"].(map[string]any); !ok || a["StringValue.$"] != "$.scope" {
		t.Errorf("scope attribute %v, want the report's scope (organization)", attrs["scope"])
	}
}

// TestOrganizationEventsAreEvents: the organization's function events use agecheck.Event's
// fields only.
func TestOrganizationEventsAreEvents(t *testing.T) {
	m := mustDefinition(t, organizationSettings(), PlaceholderResources())
	_, child := scanAccounts(t, m)
	inner := child[memberPrefix+StateCheckKeys].(*asl.Map).ItemProcessor.Branch.States
	wantEvents(t, map[string]opState{
		StateFoldOwnAccount: {m.States[StateFoldOwnAccount], agecheck.OpMergeAccounts},
		StateMergeAccounts:  {m.States[StateMergeAccounts], agecheck.OpMergeAccounts},
		StateReport:         {m.States[StateReport], agecheck.OpReport},
		StateAccountResult:  {child[memberPrefix+StateAccountResult], agecheck.OpAccount},
		StateAccountReport:  {child[memberPrefix+StateAccountReport], agecheck.OpReport},
		stateAccountNotRead: {child[memberPrefix+stateAccountNotRead], agecheck.OpAccount},
		StateCheckBatch:     {inner[memberPrefix+StateCheckBatch], agecheck.OpCheck},
	})
	check := lambdaPayload(inner[memberPrefix+StateCheckBatch].(*asl.Task))
	if check["roleArn.$"] != "$.BatchInput.roleArn" || check["session.$"] != "$.BatchInput.session" {
		t.Errorf("a member's check event %v, want the member role and the run's name for the function's lookups", check)
	}
}

// TestOrganizationWithChat: an organization run with chat publishes the digest's chat card after
// the digest, as a single account's run does, and asks the report for it.
func TestOrganizationWithChat(t *testing.T) {
	s := chatSettings()
	s.Organization.Accounts = []string{config.OrganizationKeyword}
	m := mustDefinition(t, s, PlaceholderResources())
	if next := m.States[StateNotify].(*asl.Task).Next; next != StateNotifyChat {
		t.Errorf("Notify goes to %s, want %s", next, StateNotifyChat)
	}
	if _, ok := m.States[StateNotifyChat]; !ok {
		t.Errorf("no %s state", StateNotifyChat)
	}
	if payload := lambdaPayload(m.States[StateReport].(*asl.Task)); payload[chatField] != true || payload["org.$"] == nil {
		t.Errorf("report payload %v, want the organization's summary and the chat flag", payload)
	}
}
