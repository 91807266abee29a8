package workflow

import (
	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/internal/awsid"
	"github.com/keyage/keyage/lambda/agecheck"
)

// State names. The end-to-end tests override tasks by these names.
const (
	stateCheckTest          = "CheckTest"
	stateNotATest           = "NotATest"
	stateKeepTestFlag       = "KeepTestFlag"
	stateInvalidTest        = "InvalidTest"
	stateHasScheduledTime   = "HasScheduledTime"
	stateCheckScheduledTime = "CheckScheduledTime"
	stateUseStartTime       = "UseStartTime"
	stateInvalidScheduled   = "InvalidScheduledTime"
	stateInvalidInput       = "InvalidInput"
	stateInit               = "Init"

	// StateListUsers lists the first page of users; StateListMoreUsers the following ones.
	StateListUsers     = "ListUsers"
	StateListMoreUsers = "ListMoreUsers"
	// stateHasUsers skips the check of a page whose response has no Users.
	stateHasUsers = "HasUsers"
	// StateCheckKeys is the Distributed Map over a page's users.
	StateCheckKeys = "CheckKeys"
	// StateListKeysOfBatch is a child's inline Map over its batch.
	StateListKeysOfBatch = "ListKeysOfBatch"
	// StateListAccessKeys calls iam:ListAccessKeys for one user.
	StateListAccessKeys = "ListAccessKeys"
	stateHasKeys        = "HasKeys"
	stateKeysListed     = "KeysListed"
	stateNoKeys         = "NoKeys"
	stateUserDeleted    = "UserDeleted"
	stateKeysUnreadable = "KeysUnreadable"
	// StateCheckBatch invokes the function with op "check" for a child's batch.
	StateCheckBatch     = "CheckBatch"
	stateMarkBatch      = "MarkBatchUnchecked"
	stateMarkUser       = "UncheckedUser"
	stateBatchUnchecked = "BatchUnchecked"
	StateMergeResults   = "MergeResults" // op "merge"
	stateMorePages      = "MorePages"
	stateNoMarker       = "ListingIncomplete"
	// StateCheckRootKeys calls iam:GetAccountSummary once per run, after the pages, when the
	// policy checks root keys.
	StateCheckRootKeys   = "CheckRootKeys"
	StateReport          = "Report" // op "report"
	stateHasFindings     = "HasFindings"
	StateNotify          = "Notify" // sns:Publish
	stateNotified        = "Notified"
	stateNothingToReport = "NothingToReport"
)

// Messages the definition carries.
const (
	// batchFailedCause is each user's Cause when a child's check invocation failed for good.
	// Express children keep no execution history, so the full error is only in the execution
	// log (the state machine's log group logs task failures at level ERROR and ALL).
	batchFailedCause = "the age-check function failed for this batch after retries; its full error is in the state machine's execution log (Express children keep no history)"
	// scheduledTimeAllowed and testAllowed say what the input fields may hold, in the Cause of
	// ErrorInvalidInput. They go into an intrinsic function's string literal: no ' { } or \.
	scheduledTimeAllowed = "an RFC 3339 timestamp such as 2026-01-31T08:00:00Z, or no " + ScheduledTimeField + " to use the execution start time"
	testAllowed          = "true (a test run, which always publishes) or false, or no " + TestField
	// noMarkerMsg is the Cause of ErrorIncompleteListing.
	noMarkerMsg = "ListUsers answered IsTruncated true without a Marker, so the remaining users cannot be listed; " +
		"the run stops rather than report a partial scan as complete"
)

// Error names the definition retries.
const (
	errIAM               = "Iam.IamException" // throttling, AccessDenied and other unmodelled errors
	errIAMServiceFailure = "Iam.ServiceFailureException"
	errIAMNoSuchEntity   = "Iam.NoSuchEntityException"
)

// lambdaRetryErrors are the errors AWS recommends retrying for Lambda tasks, plus throttling.
var lambdaRetryErrors = []string{
	"Lambda.ClientExecutionTimeoutException",
	"Lambda.ServiceException",
	"Lambda.AWSLambdaException",
	"Lambda.SdkClientException",
	"Lambda.TooManyRequestsException",
}

type builder struct {
	s    config.Settings
	r    Resources
	plan Plan
	// prefix starts the name of every state of the account scan (the pages, their children and
	// the root check), so that the scan can appear twice in one machine with unique state names.
	prefix string
	// member is set when building the account scan of a child of ScanAccounts (accounts.go):
	// its IAM calls carry the member role's Credentials and its errors make the account unchecked.
	member bool
}

// name is the name of a state of the account scan in this builder's copy of it.
func (b builder) name(state string) string { return b.prefix + state }

func (b builder) states() asl.States {
	st := asl.States{}
	b.addInput(st)
	if b.s.Organization.Enabled() {
		b.addReport(st)
		b.addOrganization(st)
		b.addChat(st)
		b.addLedger(st)
		return st
	}
	b.addPages(st)
	b.addReport(st)
	b.addOwners(st)
	b.addChat(st)
	b.addLedger(st) // after addChat: the commit follows the last publish
	return st
}

// addInput adds the states that turn the execution input into the run's context.
func (b builder) addInput(st asl.States) {
	test := asl.Path("$." + TestField)
	st[stateCheckTest] = &asl.Choice{
		Common: asl.Common{Comment: "A test run (input " + TestField + ": true) always publishes, marked as a test; " +
			"the schedule never sends the flag, so absent is false. A value that is not a boolean fails the run here."},
		Choices: []asl.ChoiceRule{
			// Not IsPresent rather than IsPresent false: the same in AWS, and the local
			// interpreter the end-to-end tests run (aws-local-stepfunctions 3) never matches the latter.
			{Not: &asl.ChoiceRule{Variable: test, IsPresent: new(true)}, Next: stateNotATest},
			{Variable: test, IsBoolean: new(true), Next: stateKeepTestFlag},
		},
		Default: stateInvalidTest,
	}
	// Both write the flag to $.run.test, where Init finds it whatever the input held. (Not a
	// Result of false at $.test: the local interpreter ignores a Result that is false.)
	st[stateNotATest] = &asl.Pass{
		Common:     asl.Common{Comment: "Not a test run: run.test is false."},
		Parameters: map[string]any{TestField: false},
		ResultPath: "$.run",
		Flow:       asl.Flow{Next: stateHasScheduledTime},
	}
	st[stateKeepTestFlag] = &asl.Pass{
		Parameters: map[string]any{TestField + ".$": string(test)},
		ResultPath: "$.run",
		Flow:       asl.Flow{Next: stateHasScheduledTime},
	}
	st[stateInvalidTest] = describeInvalidInput(TestField, testAllowed)

	field := asl.Path("$." + ScheduledTimeField)
	st[stateHasScheduledTime] = &asl.Choice{
		Common: asl.Common{Comment: "\"now\" is the schedule's time when the input carries " + ScheduledTimeField +
			" (so a delayed or retried run judges keys as of its slot), else the execution's start time: an input of {} works."},
		Choices: []asl.ChoiceRule{{Variable: field, IsPresent: new(true), Next: stateCheckScheduledTime}},
		Default: stateUseStartTime,
	}
	st[stateCheckScheduledTime] = &asl.Choice{
		Common:  asl.Common{Comment: "A malformed time fails the run here, with a message, rather than in the function."},
		Choices: []asl.ChoiceRule{{Variable: field, IsTimestamp: new(true), Next: stateInit}},
		Default: stateInvalidScheduled,
	}
	st[stateInvalidScheduled] = describeInvalidInput(ScheduledTimeField, scheduledTimeAllowed)
	st[stateInvalidInput] = &asl.Fail{
		Common:    asl.Common{Comment: "Fails the run with the description of the malformed input field."},
		Error:     ErrorInvalidInput,
		CausePath: "$.cause",
	}
	st[stateUseStartTime] = &asl.Pass{
		Parameters: map[string]any{ScheduledTimeField + ".$": "$$.Execution.StartTime", "run.$": "$.run"},
		Flow:       asl.Flow{Next: stateInit},
	}
	st[stateInit] = &asl.Pass{
		Common: asl.Common{Comment: "The run's context: the policy and account are part of the definition, so each execution's " +
			"history shows exactly what was applied; scan.summary starts empty and each page's merge replaces it."},
		Parameters: map[string]any{
			"run": b.withOwnerSettings(b.withLedgerContext(map[string]any{
				"policy":  b.s.Policy(),
				"account": b.r.AccountID,
				"now.$":   "$." + ScheduledTimeField,
				"test.$":  "$.run.test",
			})),
			"scan": map[string]any{"summary": agecheck.Summary{}},
		},
		Flow: asl.Flow{Next: StateListUsers},
	}
}

// describeInvalidInput is the state that describes a malformed input field (its name, its
// value as JSON, what is allowed) as $.cause, for the Fail state stateInvalidInput. AWS also
// accepts States.Format in CausePath itself
// (https://docs.aws.amazon.com/step-functions/latest/dg/state-fail.html), but the local
// interpreter reads CausePath as a path only. allowed must hold none of the characters an
// intrinsic's string literal reserves (' { } \,
// https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html).
func describeInvalidInput(field, allowed string) *asl.Pass {
	return &asl.Pass{
		Parameters: map[string]any{
			"cause.$": "States.Format('the input field " + field + " is {}: want " + allowed + "', States.JsonToString($." + field + "))",
		},
		Flow: asl.Flow{Next: stateInvalidInput},
	}
}

// addPages adds the page loop: list a page, check it, merge, repeat while IsTruncated.
func (b builder) addPages(st asl.States) {
	first := listUsersTask(b.r.Partition, "")
	first.Comment = "The first page. The whole response goes to $.page: its Marker is absent on the last page, which " +
		"a ResultSelector could not tolerate, and the Distributed Map replaces its Users right away."
	first.Next = b.name(stateHasUsers)
	b.crossAccount(first, "$.run.roleArn", true)
	st[b.name(StateListUsers)] = first

	more := listUsersTask(b.r.Partition, asl.Path("$.page.Marker"))
	more.Comment = "A following page, from the previous page's Marker (MorePages checked it is present)."
	more.Next = b.name(stateHasUsers)
	b.crossAccount(more, "$.run.roleArn", true)
	st[b.name(StateListMoreUsers)] = more

	// IAM's model marks Users, IsTruncated and Marker optional, and a path to an absent field
	// is States.Runtime, which no Catch handles: each is read only once present.
	// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUsers.html
	st[b.name(stateHasUsers)] = &asl.Choice{
		Common: asl.Common{Comment: "A response without Users (IAM's model makes the list optional) is an empty page: " +
			"nothing to check or merge."},
		Choices: []asl.ChoiceRule{{Variable: "$.page.Users", IsPresent: new(true), Next: b.name(StateCheckKeys)}},
		Default: b.name(stateMorePages),
	}
	checkKeys := b.checkKeysMap()
	b.catchAccount(&checkKeys.Catch)
	st[b.name(StateCheckKeys)] = checkKeys

	merge := lambdaTask(b.r.Partition, b.r.FunctionARN, agecheck.OpMerge, b.withLedger(map[string]any{
		"summary.$": "$.scan.summary",
		"results.$": "$.page.Users",
	}, ledgerContextPath), parentLambdaMaxDelaySeconds)
	merge.Comment = "Folds the page's child summaries into the running summary (trimmed to agecheck.MaxSummaryBytes, " +
		"counts exact). The result replaces $.scan; the page's summaries are dropped by the next ListMoreUsers or by Report."
	merge.ResultSelector = map[string]any{"summary.$": "$.Payload"}
	merge.ResultPath = "$.scan"
	merge.Next = b.name(stateMorePages)
	b.catchAccount(&merge.Catch)
	st[b.name(StateMergeResults)] = merge

	// IsTruncated is present and true, and then the rules given.
	truncatedAnd := func(rules ...asl.ChoiceRule) []asl.ChoiceRule {
		return append([]asl.ChoiceRule{
			{Variable: "$.page.IsTruncated", IsPresent: new(true)},
			{Variable: "$.page.IsTruncated", BooleanEquals: new(true)},
		}, rules...)
	}
	st[b.name(stateMorePages)] = &asl.Choice{
		Common: asl.Common{Comment: "Loops while IAM says the list is truncated; never on the page being full, since IAM may " +
			"return short pages. IsTruncated is optional in IAM's model, so an absent one ends the loop rather than the run."},
		Choices: []asl.ChoiceRule{
			{And: truncatedAnd(asl.ChoiceRule{Variable: "$.page.Marker", IsPresent: new(true)}), Next: b.name(StateListMoreUsers)},
			{And: truncatedAnd(), Next: b.name(stateNoMarker)},
		},
		Default: b.afterPages(),
	}
	st[b.name(stateNoMarker)] = &asl.Fail{Error: ErrorIncompleteListing, Cause: noMarkerMsg}
	if next := b.accountUnchecked(); next != "" {
		// In an organization run, the account is unchecked with this error; the other accounts go on.
		st[b.name(stateNoMarker)] = &asl.Pass{
			Parameters: map[string]any{"Error": ErrorIncompleteListing, "Cause": noMarkerMsg},
			ResultPath: "$.error",
			Flow:       asl.Flow{Next: next},
		}
	}
	if b.s.CheckRootKeys {
		root := checkRootKeysTask(b.r.Partition, b.afterScan())
		b.crossAccount(root, "$.run.roleArn", false)
		st[b.name(StateCheckRootKeys)] = root
	}
}

// listUsersTask calls iam:ListUsers; marker is the path of the Marker, empty for the first page.
func listUsersTask(partition string, marker asl.Path) *asl.Task {
	t := asl.SDKTask(partition, "iam", "listUsers")
	params := map[string]any{"MaxItems": PageSize}
	if marker != "" {
		params["Marker.$"] = string(marker)
	}
	t.Parameters = params
	t.ResultPath = "$.page"
	t.TimeoutSeconds = asl.Count{N: ListUsersTimeoutSeconds}
	// iam:ListUsers supports no resource-level permissions: its statement keeps Resource "*".
	t.Retry = []asl.Retrier{parentIAMRetry("Throttling and transient failures. Bounded: a ListUsers failure after these retries fails the run (and the alarm fires).")}
	return t
}

// parentIAMRetry is the retry of an IAM call in the Standard parent: throttling (which arrives as
// Iam.IamException, like AccessDenied, so attempts are bounded) and transient failures, 6
// attempts from 1 s, doubling, capped at 30 s, with full jitter.
func parentIAMRetry(comment string) asl.Retrier {
	return asl.Retrier{
		Comment:         comment,
		ErrorEquals:     []string{errIAM, errIAMServiceFailure, asl.ErrTimeout},
		IntervalSeconds: 1,
		MaxAttempts:     new(6),
		BackoffRate:     2,
		MaxDelaySeconds: 30,
		JitterStrategy:  asl.JitterFull,
	}
}

// checkKeysMap is the Distributed Map over one page's users.
func (b builder) checkKeysMap() *asl.Map {
	return &asl.Map{
		Common: asl.Common{Comment: "Checks one page: Express children of up to BatchSize users each. Children catch every " +
			"error per user and per batch, so none fails and no user is lost (ToleratedFailurePercentage stays at its default, 0). " +
			"The children's summaries replace the page's user entries, which are not needed any more."},
		ItemsPath:    "$.page.Users",
		ItemSelector: map[string]any{"UserName.$": "$$.Map.Item.Value.UserName"},
		ItemBatcher: &asl.ItemBatcher{
			MaxItemsPerBatch: asl.Count{N: b.plan.BatchSize},
			BatchInput:       b.withOwners(b.withLedger(b.batchInput(), ledgerContextPath), "$.run"),
		},
		MaxConcurrency: asl.Count{N: b.plan.Outer},
		Label:          b.name(MapLabel),
		ResultPath:     "$.page.Users",
		ItemProcessor: &asl.ItemProcessor{
			ProcessorConfig: &asl.ProcessorConfig{Mode: asl.ModeDistributed, ExecutionType: asl.ExecutionExpress},
			Branch:          b.child(),
		},
		Flow: asl.Flow{Next: b.name(StateMergeResults)},
	}
}

// batchInput is what every child of CheckKeys receives besides its users; in another account,
// the member role and the run's name too (the function assumes the role for its lookups).
func (b builder) batchInput() map[string]any {
	in := map[string]any{
		"policy.$":  "$.run.policy",
		"now.$":     "$.run.now",
		"account.$": "$.run.account",
	}
	if b.member {
		in["roleArn.$"] = "$.run.roleArn"
		in["session.$"] = "$.run.session"
	}
	return in
}

// child is one Distributed Map child: input {"Items": [{"UserName": ...}], "BatchInput": {...}},
// output one agecheck.Summary.
func (b builder) child() asl.Branch {
	p := b.r.Partition
	list := listAccessKeysTask(p, b.r.AccountID)
	list.Next = b.name(stateHasKeys)
	for i := range list.Catch {
		list.Catch[i].Next = b.name(list.Catch[i].Next)
	}
	var users any // each user of the batch as it is, in this account
	if b.member {
		users = map[string]any{"UserName.$": "$$.Map.Item.Value.UserName", "roleArn.$": "$.BatchInput.roleArn"}
		// Only the Catch's own error is caught: a user's keys unreadable is that user unchecked.
		b.crossAccount(list, "$.roleArn", false)
	}

	check := b.checkTask()
	check.Catch[0].Next = b.name(check.Catch[0].Next)
	if b.member {
		payload := lambdaPayload(check)
		payload["roleArn.$"] = "$.BatchInput.roleArn"
		payload["session.$"] = "$.BatchInput.session"
	}
	b.withLedger(lambdaPayload(check), "$.BatchInput.ledger")
	check.Comment = "Judges the batch (op check). If the function still fails after its retries, the batch's users " +
		"are reported unchecked instead of the child failing."
	check.End = true

	// One batch: read each user's keys (errors caught per user), then judge them in one invocation.
	// No Comment on the ItemProcessor itself: AWS documents none there.
	return asl.Branch{
		StartAt: b.name(StateListKeysOfBatch),
		States: asl.States{
			b.name(StateListKeysOfBatch): &asl.Map{
				Common:         asl.Common{Comment: "Reads the batch's users' keys, Inner at a time."},
				ItemsPath:      "$.Items",
				ItemSelector:   users,
				MaxConcurrency: asl.Count{N: b.plan.Inner},
				ResultPath:     "$.batch.users",
				ItemProcessor: &asl.ItemProcessor{Branch: asl.Branch{
					StartAt: b.name(StateListAccessKeys),
					States: asl.States{
						b.name(StateListAccessKeys): list,
						b.name(stateHasKeys): &asl.Choice{
							Common: asl.Common{Comment: "IAM's model makes AccessKeyMetadata optional: a response without it is a user without keys."},
							Choices: []asl.ChoiceRule{{
								Variable: "$.listed.AccessKeyMetadata", IsPresent: new(true), Next: b.name(stateKeysListed),
							}},
							Default: b.name(stateNoKeys),
						},
						b.name(stateKeysListed): &asl.Pass{
							Parameters: map[string]any{"userName.$": "$.UserName", "keys.$": "$.listed.AccessKeyMetadata"},
							Flow:       asl.Flow{End: true},
						},
						b.name(stateNoKeys): &asl.Pass{
							Parameters: map[string]any{"userName.$": "$.UserName"},
							Flow:       asl.Flow{End: true},
						},
						b.name(stateUserDeleted): &asl.Pass{
							Common:     asl.Common{Comment: "Deleted between listing and key listing: skipped, not a failure."},
							Parameters: map[string]any{"userName.$": "$.UserName", "deleted": true},
							Flow:       asl.Flow{End: true},
						},
						b.name(stateKeysUnreadable): &asl.Pass{
							Common:     asl.Common{Comment: "Keys unreadable after retries: the user is reported unchecked, with the error."},
							Parameters: map[string]any{"userName.$": "$.UserName", "error.$": "$.error"},
							Flow:       asl.Flow{End: true},
						},
					},
				}},
				Flow: asl.Flow{Next: b.name(StateCheckBatch)},
			},
			b.name(StateCheckBatch): check,
			b.name(stateMarkBatch): &asl.Map{
				Common:    asl.Common{Comment: "The function failed: every user of the batch becomes unchecked, named with the function's error."},
				ItemsPath: "$.Items",
				ItemSelector: map[string]any{
					"userName.$": "$$.Map.Item.Value.UserName",
					"error.$":    "$.batch.Error",
					"cause":      batchFailedCause,
				},
				ResultPath: "$.uncheckedUsers",
				ItemProcessor: &asl.ItemProcessor{Branch: asl.Branch{
					StartAt: b.name(stateMarkUser),
					States:  asl.States{b.name(stateMarkUser): &asl.Pass{Flow: asl.Flow{End: true}}},
				}},
				Flow: asl.Flow{Next: b.name(stateBatchUnchecked)},
			},
			b.name(stateBatchUnchecked): &asl.Pass{
				Common: asl.Common{Comment: "The batch's Summary when the function failed: all users unchecked, nothing judged; " +
					"batchFailed has the merge log each of them, since the function never saw them."},
				Parameters: map[string]any{
					"users.$":          "States.ArrayLength($.Items)",
					"deleted":          0,
					"unchecked.$":      "States.ArrayLength($.Items)",
					"exempt":           0,
					"inactive":         0,
					"compliant":        0,
					"warning":          0,
					"stale":            0,
					"uncheckedUsers.$": "$.uncheckedUsers",
					// The function never saw these users: op merge logs them (agecheck.Summary.BatchFailed).
					"batchFailed": true,
				},
				Flow: asl.Flow{End: true},
			},
		},
	}
}

// listAccessKeysTask calls iam:ListAccessKeys for the user in $.UserName.
func listAccessKeysTask(partition, account string) *asl.Task {
	t := asl.SDKTask(partition, "iam", "listAccessKeys")
	t.Permissions[0].Resource = []string{awsid.ARN(partition, "iam", "", account, "user/*")}
	t.Comment = "A user has at most 2 keys, so one call (default MaxItems 100) lists them all. The response goes " +
		"to $.listed whole: a ResultSelector could not tolerate an absent AccessKeyMetadata."
	t.Parameters = map[string]any{"UserName.$": "$.UserName"}
	t.ResultPath = "$.listed"
	t.TimeoutSeconds = asl.Count{N: ListAccessKeysTimeoutSeconds}
	t.Retry = []asl.Retrier{{
		Comment: "Throttling (it arrives as Iam.IamException, like AccessDenied, so attempts are bounded) and transient " +
			"failures, with full jitter; the worst case fits the Express limit (MaxChildRounds).",
		ErrorEquals:     []string{errIAM, errIAMServiceFailure, asl.ErrTimeout},
		IntervalSeconds: 1,
		MaxAttempts:     new(4),
		BackoffRate:     2,
		MaxDelaySeconds: 8,
		JitterStrategy:  asl.JitterFull,
	}}
	t.Catch = []asl.Catcher{
		{ErrorEquals: []string{errIAMNoSuchEntity}, ResultPath: "$.error", Next: stateUserDeleted},
		{ErrorEquals: []string{asl.ErrAll}, ResultPath: "$.error", Next: stateKeysUnreadable},
	}
	return t
}

// Retry delay caps of Lambda tasks: short inside Express children (their 5 minutes must hold
// the worst case), longer in the Standard parent.
const (
	childLambdaMaxDelaySeconds  = 8
	parentLambdaMaxDelaySeconds = 30
)

// checkTask invokes the function with op "check" for a child's batch.
func (b builder) checkTask() *asl.Task {
	t := lambdaTask(b.r.Partition, b.r.FunctionARN, agecheck.OpCheck, b.withOwners(map[string]any{
		"policy.$":  "$.BatchInput.policy",
		"now.$":     "$.BatchInput.now",
		"account.$": "$.BatchInput.account",
		"users.$":   "$.batch.users",
	}, "$.BatchInput"), childLambdaMaxDelaySeconds)
	t.OutputPath = "$.Payload"
	t.Catch = []asl.Catcher{{
		Comment: "The error replaces the batch's keys, which are no longer needed and, with a long Cause per " +
			"unreadable user, the largest part of the child's state.",
		ErrorEquals: []string{asl.ErrAll},
		ResultPath:  "$.batch",
		Next:        stateMarkBatch,
	}}
	return t
}

// lambdaTask invokes the function with an event of the op and fields; in the parent, the run's
// policy, now and account are added from $.run.
func lambdaTask(partition, functionARN, op string, fields map[string]any, maxDelay int) *asl.Task {
	payload := map[string]any{"op": op}
	if op != agecheck.OpCheck {
		payload["policy.$"] = "$.run.policy"
		payload["now.$"] = "$.run.now"
		payload["account.$"] = "$.run.account"
	}
	for k, v := range fields {
		payload[k] = v
	}
	t := asl.LambdaInvokeTask(partition, functionARN)
	t.Parameters = map[string]any{"FunctionName": functionARN, "Payload": payload}
	t.TimeoutSeconds = asl.Count{N: LambdaTaskTimeoutSeconds}
	t.Retry = []asl.Retrier{{
		Comment:         "As AWS recommends for Lambda tasks (2 s, 6 attempts, backoff 2), plus throttling, with a delay cap and full jitter.",
		ErrorEquals:     lambdaRetryErrors,
		IntervalSeconds: 2,
		MaxAttempts:     new(6),
		BackoffRate:     2,
		MaxDelaySeconds: maxDelay,
		JitterStrategy:  asl.JitterFull,
	}}
	return t
}

// lambdaPayload is the Payload of a task lambdaTask built: the event the function receives.
func lambdaPayload(t *asl.Task) map[string]any {
	return t.Parameters.(map[string]any)["Payload"].(map[string]any)
}

// afterPages is the state after the last page: the root check when the policy has it.
func (b builder) afterPages() string {
	if b.s.CheckRootKeys {
		return b.name(StateCheckRootKeys)
	}
	return b.afterScan()
}

// afterScan is the state after the account's scan (its pages and root check): the report of a
// single account; in an organization run, the fold of the deploying account into the
// organization's summary, or a child's account result.
func (b builder) afterScan() string {
	switch {
	case b.member:
		return b.name(StateAccountResult)
	case b.s.Organization.Enabled():
		return StateFoldOwnAccount
	}
	return StateReport
}

// checkRootKeysTask asks iam:GetAccountSummary whether the root user has access keys. Its
// whole answer goes to $.root (no ResultSelector: a SummaryMap that is absent would be an
// uncatchable States.Runtime error there); the function judges it (agecheck.CheckRoot). A call
// that still fails after its retries is caught into $.root as {Error, Cause}: the report then
// says the root user is unchecked, never compliant.
func checkRootKeysTask(partition, next string) *asl.Task {
	t := asl.SDKTask(partition, "iam", "getAccountSummary")
	t.Comment = "Whether the root user has access keys (Security Hub IAM.4), once per run. The answer, or the error after " +
		"retries, goes to the report: a failure makes the root check unchecked, never compliant."
	t.Parameters = map[string]any{}
	t.ResultPath = "$.root"
	t.TimeoutSeconds = asl.Count{N: ListUsersTimeoutSeconds}
	// iam:GetAccountSummary supports no resource-level permissions: its statement keeps Resource "*".
	t.Retry = []asl.Retrier{parentIAMRetry("Throttling and transient failures, bounded; then the Catch.")}
	t.Catch = []asl.Catcher{{ErrorEquals: []string{asl.ErrAll}, ResultPath: "$.root", Next: next}}
	t.Next = next
	return t
}

// publishRetry is the retry of an SNS publish: any failure (States.TaskFailed matches all but
// States.Timeout), bounded.
func publishRetry() asl.Retrier {
	return asl.Retrier{
		Comment: "Any failure of the publish (States.TaskFailed matches all but States.Timeout), bounded: a publish that " +
			"keeps failing fails the run, and the alarm fires. A retry after a timeout may deliver twice, never zero times.",
		ErrorEquals:     []string{asl.ErrTaskFailed, asl.ErrTimeout},
		IntervalSeconds: 2,
		MaxAttempts:     new(4),
		BackoffRate:     2,
		MaxDelaySeconds: 30,
		JitterStrategy:  asl.JitterFull,
	}
}

// publishReport publishes the agecheck.Report at the path report ("$" when it is the whole
// state) to the findings topic, with its attributes.
func (b builder) publishReport(report string) *asl.Task {
	notify := asl.SNSPublishTask(b.r.Partition, b.r.TopicARN)
	notify.Parameters = map[string]any{
		"TopicArn":         b.r.TopicARN,
		"Subject.$":        report + ".subject",
		"Message.$":        report + ".message",
		"MessageStructure": "json",
		"MessageAttributes": map[string]any{
			"severity": map[string]any{"DataType": "String", "StringValue.$": report + ".severity"},
			"account":  map[string]any{"DataType": "String", "StringValue.$": report + ".account"},
			// SNS's String.Array is a JSON array as text ("Amazon SNS message attributes", data
			// types: https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html), which a
			// filter policy matches element by element: {"kinds": ["unused"]}.
			"kinds": map[string]any{"DataType": "String.Array", "StringValue.$": report + ".kinds"},
		},
	}
	notify.ResultPath = asl.NullPath
	notify.TimeoutSeconds = asl.Count{N: PublishTimeoutSeconds}
	notify.Retry = []asl.Retrier{publishRetry()}
	return notify
}

// addReport adds the root check (when the policy has it), the report and the publish.
func (b builder) addReport(st asl.States) {
	fields := b.withOwners(b.withLedger(map[string]any{
		"summary.$": "$.scan.summary",
		"test.$":    "$.run.test",
	}, ledgerContextPath), "$.run")
	if b.s.CheckRootKeys {
		fields["root.$"] = "$.root"
	}
	b.addChatToReport(fields)
	report := lambdaTask(b.r.Partition, b.r.FunctionARN, agecheck.OpReport, fields, parentLambdaMaxDelaySeconds)
	report.Comment = "Turns the final summary into the notification (op report); its output is the agecheck.Report alone. " +
		"A test run's report always publishes."
	report.OutputPath = "$.Payload"
	report.Next = stateHasFindings
	st[StateReport] = report

	st[stateHasFindings] = &asl.Choice{
		Common:  asl.Common{Comment: "Publishes when something was found (a finding of any kind, or an unchecked user), and on every test run."},
		Choices: []asl.ChoiceRule{{Variable: "$.publish", BooleanEquals: new(true), Next: StateNotify}},
		Default: stateNothingToReport,
	}

	notify := b.publishReport("$")
	notify.Comment = "One message: an email body for people and a JSON default body for machines; severity, " +
		"account and kinds attributes let subscriptions filter."
	notify.Next = b.afterNotify()
	st[StateNotify] = notify
	st[stateNotified] = &asl.Succeed{}
	st[stateNothingToReport] = &asl.Succeed{Common: asl.Common{Comment: "No finding: nothing is published."}}
}
