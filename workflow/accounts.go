package workflow

import (
	"fmt"
	"maps"
	"slices"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// An organization run (settings accounts, issue 8) scans each account in a STANDARD child
// execution of a Distributed Map, ScanAccounts, one page of at most 20 accounts at a time. The
// child runs the same account scan as a single-account machine (addPages, built a second time
// with the prefix Member and the member role's Credentials), so there is one builder, not two
// copies. Why a Distributed Map with STANDARD children rather than a nested
// states:startExecution.sync:2 of a second, account-scan machine:
//   - history: each child has its own 25,000 events, so an account of 5,000 users fits as it
//     does in a single-account run, and the parent holds only ~20 events per page of accounts:
//     200 accounts of 5,000 users never meet in one history;
//   - payload: each child returns its AccountResult trimmed to agecheck.MaxAccountSummaryBytes
//     (2 KiB), so a page of 20 results, the running OrgSummary (64 KiB), the run's context and a
//     NextToken stay under 256 KiB (TestPayloadBudgetOrganization); a nested execution's output
//     would be bounded the same way;
//   - cost: the parent pays one transition per child started, as for the nested Task, but no
//     second machine, role, log group and EventBridge rule permissions (.sync needs
//     events:PutTargets/PutRule/DescribeRule) are deployed, and the one role's policy stays
//     derived from the one definition;
//   - nesting: each child holds the account's EXPRESS Distributed Map of users; AWS's ItemReader
//     page describes a Distributed Map inside another's child
//     (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html), which
//     the local interpreter runs; a real deploy confirms it (README, first-deploy list);
//   - isolation: a child catches every error of its account's scan (role not assumable,
//     AccessDenied, throttling beyond retries, an account closed mid-run) and returns the
//     account as unchecked, so the Map never fails for one account and the others complete.
//
// The deploying account is scanned by the parent itself, with the machine's own role (a member
// role there is not needed, and StackSets never deploy to the management account), then folded
// into the running OrgSummary (FoldOwnAccount); children skip it. Its scan's errors are caught
// as a child's are: the account is then folded in unchecked, with its error (OwnAccountUnchecked),
// and the other accounts are still scanned.

// State names of an organization run.
const (
	// memberPrefix starts the names of the account scan's states inside a child.
	memberPrefix = "Member"

	// StateFoldOwnAccount folds the deploying account's scan into the running OrgSummary.
	StateFoldOwnAccount  = "FoldOwnAccount"
	stateOwnAccountDone  = "OwnAccountFolded"
	StateListAccounts    = "ListAccounts"     // organizations:ListAccounts, first page
	StateListMoreAccount = "ListMoreAccounts" // the following pages
	stateNextAccountPage = "NextAccountPage"  // an accounts list: the next page of the definition's own
	stateHasAccounts     = "HasAccounts"
	// StateScanAccounts is the Distributed Map of STANDARD children, one per account of a page.
	StateScanAccounts = "ScanAccounts"
	// StateMergeAccounts folds a page of AccountResults into the OrgSummary (op mergeAccounts).
	StateMergeAccounts = "MergeAccounts"
	stateMoreAccounts  = "MoreAccounts"

	// In a child.
	stateAccountActive   = "AccountActive"
	stateAccountIsSkip   = "AccountInScope"
	stateAccountSkipped  = "AccountScope"
	stateAccountInit     = "AccountInit"
	StateAccountResult   = "AccountResult" // op account
	stateAccountNotRead  = "AccountUnchecked"
	stateAccountNoCause  = "AccountUncheckedUnreported"
	stateAccountInactive = "AccountNotActive"
	stateAccountExcluded = "AccountExcluded"
)

// StateOwnAccountUnchecked folds the deploying account into the running OrgSummary as an
// unchecked account, with the error that ended its scan.
const StateOwnAccountUnchecked = "OwnAccountUnchecked"

// Organizations' error names as the aws-sdk integration raises them, retried when listing.
const (
	errOrgTooManyRequests = "Organizations.TooManyRequestsException"
	errOrgService         = "Organizations.ServiceException"
)

// uncheckedCauseInHistory is an unchecked account's Cause when the function could not carry it.
const uncheckedCauseInHistory = "the full error is in this account's child execution history (ScanAccounts map run)"

// accountStateActive is the Organizations account State (and retired Status) of an account
// that can be scanned.
const accountStateActive = "ACTIVE"

// org is the settings' organization part.
func (b builder) org() config.Organization { return b.s.Organization }

// ownAccountInScope reports whether the deploying account is one the settings scan.
func (b builder) ownAccountInScope() bool {
	o := b.org()
	if slices.Contains(o.ExcludeAccounts, b.r.AccountID) {
		return false
	}
	return o.WholeOrganization() || slices.Contains(o.Accounts, b.r.AccountID)
}

// accountPages are an accounts list's accounts other than the deploying one and the excluded
// ones, as Organizations entries ({"Id": ...}), in pages of agecheck.AccountsPerPage.
func (b builder) accountPages() [][]map[string]string {
	o := b.org()
	var pages [][]map[string]string
	var page []map[string]string
	for _, id := range o.Accounts {
		if id == b.r.AccountID || slices.Contains(o.ExcludeAccounts, id) {
			continue
		}
		page = append(page, map[string]string{"Id": id})
		if len(page) == agecheck.AccountsPerPage {
			pages, page = append(pages, page), nil
		}
	}
	if len(page) > 0 {
		pages = append(pages, page)
	}
	return pages
}

// skipAccounts are the accounts children skip: the excluded ones and the deploying one.
func (b builder) skipAccounts() []string {
	skip := slices.Clone(b.org().ExcludeAccounts)
	if !slices.Contains(skip, b.r.AccountID) {
		skip = append(skip, b.r.AccountID)
	}
	return skip
}

// memberRoleARNs are the member roles the machine and the function may assume: each listed
// account's, or the pattern of every account's for the whole organization.
func (b builder) memberRoleARNs() []string {
	o := b.org()
	if o.WholeOrganization() {
		return []string{o.MemberRoleARNPattern(b.r.Partition)}
	}
	var arns []string
	for _, page := range b.accountPages() {
		for _, a := range page {
			arns = append(arns, o.MemberRoleARN(b.r.Partition, a["Id"]))
		}
	}
	return arns
}

// MemberRoleARNs are the ARNs (or the ARN pattern) of the member roles an organization run
// assumes, for the function's role; none for a single-account run.
func MemberRoleARNs(c config.Checked, r Resources) []string {
	if !c.Settings().Organization.Enabled() {
		return nil
	}
	return builder{s: c.Settings(), r: r}.memberRoleARNs()
}

// firstAccountsState is where the accounts' pages start.
func (b builder) firstAccountsState() string {
	switch {
	case b.org().WholeOrganization():
		return StateListAccounts
	case len(b.accountPages()) > 0:
		return stateNextAccountPage
	}
	return StateReport
}

// addOrganization adds an organization run's states to a parent that has its input states and
// its report: the deploying account's scan (when in scope), the pages of accounts and their
// children, and the organization's report.
func (b builder) addOrganization(st asl.States) {
	init := st[stateInit].(*asl.Pass)
	initParams := init.Parameters.(map[string]any)
	run := initParams["run"].(map[string]any)
	run["session.$"] = "$$.Execution.Name"
	params := map[string]any{"run": run, "org": map[string]any{"summary": agecheck.OrgSummary{}}}
	// What only the accounts' pages need (the accounts to skip, an accounts list's pages) joins
	// the state after the deploying account's scan, whose pages leave no room for it.
	accounts := map[string]any{"scope": map[string]any{"skip": b.skipAccounts()}}
	if !b.org().WholeOrganization() {
		accounts["pages"] = b.accountPages()
		accounts["accounts"] = map[string]any{"next": 0}
	}
	if b.ownAccountInScope() {
		params["scan"] = initParams["scan"]
		b.addPages(st)
		fold := b.mergeAccounts("The deploying account, scanned above with the machine's own role, becomes the first account of the "+
			"organization's summary.",
			b.withLedger(map[string]any{"org.$": "$.org.summary", "summary.$": "$.scan.summary"}, ledgerContextPath), stateOwnAccountDone)
		st[StateFoldOwnAccount] = fold
		carry := map[string]any{"run.$": "$.run", "org.$": "$.org"}
		maps.Copy(carry, accounts)
		st[stateOwnAccountDone] = &asl.Pass{
			Common: asl.Common{Comment: "Drops the deploying account's pages and summary, and brings what the accounts' pages need: " +
				"the accounts children skip (the excluded ones and this one)."},
			Parameters: carry,
			Flow:       asl.Flow{Next: b.firstAccountsState()},
		}
		if b.s.CheckRootKeys {
			lambdaPayload(fold)["root.$"] = "$.root"
		}
		b.addOwnAccountReport(st, fold, stateOwnAccountDone)
		st[StateOwnAccountUnchecked] = b.mergeAccounts("The deploying account's scan failed (throttling beyond retries, an incomplete listing...): it becomes "+
			"an unchecked account of the organization's summary, with its error, and the other accounts are still scanned.",
			map[string]any{"org.$": "$.org.summary", "error.$": "$.error"}, stateOwnAccountDone)
	} else {
		maps.Copy(params, accounts)
		init.Next = b.firstAccountsState()
	}
	init.Parameters = params

	if b.org().WholeOrganization() {
		b.addOrganizationPages(st)
	} else {
		st[stateNextAccountPage] = &asl.Pass{
			Common: asl.Common{Comment: "The next page of the accounts setting (cut into pages in the definition), and the index of the one after."},
			Parameters: map[string]any{
				"Accounts.$": "States.ArrayGetItem($.pages, $.accounts.next)",
				"next.$":     "States.MathAdd($.accounts.next, 1)",
			},
			ResultPath: "$.accounts",
			Flow:       asl.Flow{Next: StateScanAccounts},
		}
		st[stateMoreAccounts] = &asl.Choice{
			Choices: []asl.ChoiceRule{{Variable: "$.accounts.next", NumericLessThan: new(float64(len(b.accountPages()))), Next: stateNextAccountPage}},
			Default: StateReport,
		}
	}
	st[StateScanAccounts] = b.scanAccountsMap()
	merge := b.mergeAccounts("Folds the page's account results into the organization's summary (trimmed to agecheck.MaxOrgSummaryBytes, counts exact).",
		map[string]any{"org.$": "$.org.summary", "accounts.$": "$.accounts.Accounts"}, stateMoreAccounts)
	if slices.Contains(b.org().ExcludeAccounts, b.r.AccountID) {
		// Not in scope, so not scanned: counted as excluded, as any excluded account is.
		lambdaPayload(merge)["deployingExcluded"] = true
	}
	st[StateMergeAccounts] = merge

	b.addOrganizationReport(st)
}

// mergeAccounts is a Task of the parent folding fields (the deploying account's scan or error,
// or a page of account results) into the organization's summary at $.org, then going to next.
func (b builder) mergeAccounts(comment string, fields map[string]any, next string) *asl.Task {
	t := b.lambda(agecheck.OpMergeAccounts, fields)
	t.Comment = comment
	t.ResultSelector = map[string]any{"summary.$": "$.Payload"}
	t.ResultPath = "$.org"
	t.Next = next
	return t
}

// lambda is a Task of the parent invoking the function with op and fields.
func (b builder) lambda(op string, fields map[string]any) *asl.Task {
	return lambdaTask(b.r.Partition, b.r.FunctionARN, op, fields, parentLambdaMaxDelaySeconds)
}

// addOrganizationPages adds the ListAccounts loop. A failure after retries fails the run (and
// the alarm fires): an organization that cannot be listed is never reported as all clear.
func (b builder) addOrganizationPages(st asl.States) {
	list := func(next bool) *asl.Task {
		t := asl.SDKTask(b.r.Partition, "organizations", "listAccounts")
		// MaxResults is at most 20:
		// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
		params := map[string]any{"MaxResults": agecheck.AccountsPerPage}
		if next {
			params["NextToken.$"] = "$.accounts.NextToken"
		}
		t.Parameters = params
		t.ResultPath = "$.accounts"
		t.TimeoutSeconds = asl.Count{N: ListUsersTimeoutSeconds}
		t.Retry = []asl.Retrier{{
			Comment:     "Throttling and transient failures, bounded: an organization that cannot be listed fails the run (and the alarm fires).",
			ErrorEquals: []string{errOrgTooManyRequests, errOrgService, asl.ErrTimeout}, IntervalSeconds: 1, MaxAttempts: new(6),
			BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: asl.JitterFull,
		}}
		t.Next = stateHasAccounts
		return t
	}
	first := list(false)
	first.Comment = "The organization's accounts, 20 a page (callable from the management account or a delegated administrator). " +
		"The whole response goes to $.accounts: NextToken is absent on the last page."
	st[StateListAccounts] = first
	st[StateListMoreAccount] = list(true)
	st[stateHasAccounts] = &asl.Choice{
		Choices: []asl.ChoiceRule{{Variable: "$.accounts.Accounts", IsPresent: new(true), Next: StateScanAccounts}},
		Default: stateMoreAccounts,
	}
	st[stateMoreAccounts] = &asl.Choice{
		Choices: []asl.ChoiceRule{{Variable: "$.accounts.NextToken", IsPresent: new(true), Next: StateListMoreAccount}},
		Default: StateReport,
	}
}

// scanAccountsMap is the Distributed Map over a page of accounts: one STANDARD child each.
func (b builder) scanAccountsMap() *asl.Map {
	m := b
	m.prefix = memberPrefix
	m.member = true
	st := asl.States{}
	m.addPages(st)
	m.addAccountStates(st)
	return &asl.Map{
		Common: asl.Common{Comment: "Scans each account of the page in a STANDARD child of its own (its own 25,000-event history), " +
			"accountConcurrency at a time. Children catch every error of their account, so none fails and no account is lost."},
		ItemsPath:      "$.accounts.Accounts",
		ItemSelector:   map[string]any{"target.$": "$$.Map.Item.Value", "run.$": "$.run", "skip.$": "$.scope.skip"},
		MaxConcurrency: asl.Count{N: b.org().AccountConcurrency},
		Label:          StateScanAccounts,
		ResultPath:     "$.accounts.Accounts",
		ItemProcessor: &asl.ItemProcessor{
			ProcessorConfig: &asl.ProcessorConfig{Mode: asl.ModeDistributed, ExecutionType: asl.ExecutionStandard},
			Branch:          asl.Branch{StartAt: memberPrefix + stateAccountActive, States: st},
		},
		Flow: asl.Flow{Next: StateMergeAccounts},
	}
}

// addAccountStates adds a child's states around its account scan: whether the account is to
// be scanned, its context, and its result.
func (b builder) addAccountStates(st asl.States) {
	state := func(field string) []asl.ChoiceRule {
		return []asl.ChoiceRule{
			{Variable: asl.Path("$.target." + field), IsPresent: new(true)},
			{Not: &asl.ChoiceRule{Variable: asl.Path("$.target." + field), StringEquals: new(accountStateActive)}},
		}
	}
	st[b.name(stateAccountActive)] = &asl.Choice{
		Common: asl.Common{Comment: "Only ACTIVE accounts are scanned (State; the retired Status when State is absent; an account " +
			"of the accounts setting has neither)."},
		Choices: []asl.ChoiceRule{
			{And: state("State"), Next: b.name(stateAccountInactive)},
			{And: append([]asl.ChoiceRule{{Not: &asl.ChoiceRule{Variable: "$.target.State", IsPresent: new(true)}}}, state("Status")...),
				Next: b.name(stateAccountInactive)},
		},
		Default: b.name(stateAccountIsSkip),
	}
	st[b.name(stateAccountIsSkip)] = &asl.Pass{
		Parameters: map[string]any{"skip.$": "States.ArrayContains($.skip, $.target.Id)"},
		ResultPath: "$.scope",
		Flow:       asl.Flow{Next: b.name(stateAccountSkipped)},
	}
	st[b.name(stateAccountSkipped)] = &asl.Choice{
		Common:  asl.Common{Comment: "Excluded accounts, and the deploying one (the parent scans it with its own role), are not scanned here."},
		Choices: []asl.ChoiceRule{{Variable: "$.scope.skip", BooleanEquals: new(true), Next: b.name(stateAccountExcluded)}},
		Default: b.name(stateAccountInit),
	}
	st[b.name(stateAccountInit)] = &asl.Pass{
		Common: asl.Common{Comment: "The account's scan context: every IAM call in it is made with the member role of the account."},
		Parameters: map[string]any{
			"target.$": "$.target",
			// The owner settings too, when owners are on: the account's checks read owners (owners.go).
			"run": b.withOwners(b.withLedger(map[string]any{
				"policy.$":  "$.run.policy",
				"now.$":     "$.run.now",
				"account.$": "$.target.Id",
				"session.$": "$.run.session",
				"test.$":    "$.run.test",
				// A role name holds none of the characters an intrinsic's string literal reserves.
				"roleArn.$": fmt.Sprintf("States.Format('%s', $.target.Id)", b.org().MemberRoleARN(b.r.Partition, "{}")),
			}, ledgerContextPath), "$.run"),
			"scan": map[string]any{"summary": agecheck.Summary{}},
		},
		Flow: asl.Flow{Next: b.name(StateListUsers)},
	}
	fields := b.withLedger(map[string]any{"target.$": "$.target", "summary.$": "$.scan.summary"}, ledgerContextPath)
	if b.s.CheckRootKeys {
		fields["root.$"] = "$.root"
	}
	result := lambdaTask(b.r.Partition, b.r.FunctionARN, agecheck.OpAccount, fields, parentLambdaMaxDelaySeconds)
	result.Comment = "The account's result: its summary and root check, trimmed to agecheck.MaxAccountSummaryBytes."
	result.OutputPath = "$.Payload"
	result.Catch = []asl.Catcher{{ErrorEquals: []string{asl.ErrAll}, ResultPath: "$.error", Next: b.name(stateAccountNotRead)}}
	st[b.name(StateAccountResult)] = result
	b.addAccountReport(st, result)
	unchecked := lambdaTask(b.r.Partition, b.r.FunctionARN, agecheck.OpAccount,
		map[string]any{"target.$": "$.target", "error.$": "$.error"}, parentLambdaMaxDelaySeconds)
	unchecked.Comment = "The account could not be scanned: reported unchecked with its error, never as all clear. The function " +
		"cuts the Cause (up to 32,768 characters) so that a page of results fits 256 KiB."
	unchecked.OutputPath = "$.Payload"
	unchecked.Catch = []asl.Catcher{{ErrorEquals: []string{asl.ErrAll}, ResultPath: "$.functionError", Next: b.name(stateAccountNoCause)}}
	unchecked.End = true
	st[b.name(stateAccountNotRead)] = unchecked
	st[b.name(stateAccountNoCause)] = &asl.Pass{
		Common: asl.Common{Comment: "The function failed too: the account is unchecked with its error's name; the Cause stays in " +
			"this child's history."},
		Parameters: map[string]any{"target.$": "$.target", "status": agecheck.AccountUnchecked,
			"error": map[string]any{"Error.$": "$.error.Error", "Cause": uncheckedCauseInHistory}},
		Flow: asl.Flow{End: true},
	}
	st[b.name(stateAccountInactive)] = &asl.Pass{
		Parameters: map[string]any{"target.$": "$.target", "status": agecheck.AccountSkipped},
		Flow:       asl.Flow{End: true},
	}
	st[b.name(stateAccountExcluded)] = &asl.Pass{
		Parameters: map[string]any{"target.$": "$.target", "status": agecheck.AccountExcluded},
		Flow:       asl.Flow{End: true},
	}
}

// crossAccount makes an IAM Task of a child's account scan call with the member role of the
// account (Credentials, at rolePath in the state), and an IAM Task of any account scan of an
// organization run catch every error into the account's unchecked result (caught is false for
// tasks whose errors are handled otherwise). The machine's role needs only sts:AssumeRole on the
// member roles for it: the IAM action is the member role's.
func (b builder) crossAccount(t *asl.Task, rolePath string, caught bool) {
	if caught && b.catchAccount(&t.Catch) {
		for i := range t.Retry {
			t.Retry[i].Comment = "Throttling and transient failures, bounded; then the account is reported unchecked with the error, and the other accounts go on."
		}
	}
	if !b.member {
		return
	}
	t.Credentials = &asl.Credentials{RoleArnPath: rolePath}
	t.Permissions = []asl.PolicyStatement{{Effect: "Allow", Action: []string{"sts:AssumeRole"}, Resource: b.memberRoleARNs()}}
}

// organizationComment is the machine's Comment in an organization run.
const organizationComment = "keyage: notifies about IAM users' access keys older than the policy allows (Security Hub IAM.3), " +
	"in many accounts. Scans the deploying account, then each other account in a STANDARD child of its own through " +
	"its member role, a page of accounts at a time, and publishes one digest when something is found."

// catchAccount makes a state of an organization run's account scan (a child's, or the
// deploying account's in the parent) catch every error into the account's unchecked result, so
// that an account that cannot be scanned never fails the run; it reports whether it did (a
// single-account scan has no such result: its errors fail the run, and the alarm fires).
func (b builder) catchAccount(catch *[]asl.Catcher) bool {
	next := b.accountUnchecked()
	if next == "" {
		return false
	}
	*catch = append(*catch, asl.Catcher{ErrorEquals: []string{asl.ErrAll}, ResultPath: "$.error", Next: next})
	return true
}

// accountUnchecked is the state that reports the scanned account unchecked with the error at
// $.error: a child's own, or the parent's for the deploying account; none in a single-account run.
func (b builder) accountUnchecked() string {
	switch {
	case b.member:
		return b.name(stateAccountNotRead)
	case b.s.Organization.Enabled():
		return StateOwnAccountUnchecked
	}
	return ""
}

// addOrganizationReport turns the single-account report into the organization's: the report op
// reads the OrgSummary, and the digest says it is about the organization (scope) and lists the
// accounts it has a section for (account, a String.Array).
func (b builder) addOrganizationReport(st asl.States) {
	report := st[StateReport].(*asl.Task)
	payload := lambdaPayload(report)
	delete(payload, "summary.$")
	delete(payload, "root.$")
	payload["org.$"] = "$.org.summary"
	report.Comment = "Turns the organization's summary into the digest (op report): totals, then a section per account with " +
		"something to report, unchecked accounts first. A test run's report always publishes."
	notify := st[StateNotify].(*asl.Task)
	attrs := notify.Parameters.(map[string]any)["MessageAttributes"].(map[string]any)
	// No account attribute: the digest is about many accounts, and a filter policy
	// {"account": [ID]} is to take that account's own messages (account_report.go), not every
	// account's findings.
	delete(attrs, "account")
	attrs["scope"] = map[string]any{"DataType": "String", "StringValue.$": "$.scope"}
	notify.Comment = "One digest for the organization: an email body for people and a JSON default body for machines; severity, " +
		"kinds and scope (organization) attributes let subscriptions filter. Each account's own message comes from its child."
}
