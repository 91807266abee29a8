// Package agecheck is keyage's age-check function apart from the Lambda runtime. An invocation's
// event goes through its files in this order: handler.go (Handler, the adapter: it decodes the
// event, dispatches on its op, looks up last use for the keys that need it and logs every finding),
// event.go (the contract with the state machine: the event and result types, Decode, Validate),
// check.go (Check), merge.go (Merge), trim.go (Summary.Trim) and report.go (NewReport). Beside
// them, counts.go holds the summaries' Counts, exemptions.go who is exempt and until when
// (with report_exemptions.go, the digest's account of it), time.go reads and writes the
// contract's timestamps, and format.go the leaf helpers for text and sizes. Check, Merge and NewReport are pure functions of (event,
// now); the handler does I/O only through its LastUsedFunc and logger. Nothing here imports the
// Lambda runtime, Step Functions or Pulumi: lambda/main.go wires the IAM client and starts the
// runtime.
//
// The JSON shapes in this file are the contract between the state machine (package workflow)
// and the function: change them only together.
package agecheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/keyage/keyage/internal/awsid"
)

// Operations the function performs, chosen by Event.Op.
const (
	// OpCheck judges one batch of users' keys (from a Distributed Map child) and returns a
	// Summary of that batch. It looks up last use for the keys NeedsLastUsed names and logs every
	// finding as one JSON line, so nothing is lost when later summaries are trimmed.
	OpCheck = "check"
	// OpMerge folds a page's child Summaries (Results) into the running Summary.
	OpMerge = "merge"
	// OpReport turns the final Summary into the notification (Report).
	OpReport = "report"
)

// Size budgets that keep every state input and output under Step Functions' 256 KiB.
const (
	// MaxSummaryBytes bounds the encoded running Summary returned by OpMerge: findings beyond it
	// are dropped newest first (the counts stay exact).
	MaxSummaryBytes = 96 * 1024
	// MaxCauseLength bounds each unchecked user's Cause as carried in summaries.
	MaxCauseLength = 256
	// MaxMessageBytes bounds the SNS message built by OpReport (SNS allows 256 KiB in all,
	// subject and attributes included).
	MaxMessageBytes = 200 * 1024
)

// Severities, the value of the SNS message attribute "severity", in order of precedence.
const (
	SeverityStale     = "stale"     // a finding fails a control now: a key stale or unused, or a root key
	SeverityUnchecked = "unchecked" // none fails, but something could not be read: a user's keys, a key's last use, the root check
	SeverityWarning   = "warning"   // only keys older than WarnAgeDays (due soon)
	SeverityNone      = "none"      // nothing found: only a test run publishes such a message
)

// Event is what the state machine sends the function.
type Event struct {
	Op      string    `json:"op"`
	Policy  Policy    `json:"policy"`
	Now     Timestamp `json:"now"`     // RFC 3339: the scheduled time, else the execution's start time
	Account string    `json:"account"` // the AWS account ID, for the message

	Users   []UserKeys `json:"users,omitempty"`   // OpCheck
	Summary *Summary   `json:"summary,omitempty"` // OpMerge (absent on the first page), OpReport
	Results []Summary  `json:"results,omitempty"` // OpMerge: one Summary per Distributed Map child
	// Test marks an OpReport of a test run (execution input {"test": true}): the report always
	// publishes, findings or not, with the subject and body marked as a test.
	Test bool `json:"test,omitempty"`
	// Root is, on OpReport when Policy.CheckRootKeys, GetAccountSummary's answer or error.
	Root *AccountSummary `json:"root,omitempty"`
	// Owners is how owners are found (OpCheck) and reached (OpReport); nil: owners are off.
	Owners *Owners `json:"owners,omitempty"`

	// Organization runs (accounts.go): the account an OpAccount is about; the running OrgSummary
	// of OpMergeAccounts and of an organization's OpReport; a page of AccountResults to merge.
	Target *Target `json:"target,omitempty"`
	// Error is, on an OpAccount, why the account could not be scanned (instead of Summary); on
	// an OpMergeAccounts, why the deploying account could not be.
	Error    *ScanError      `json:"error,omitempty"`
	Org      *OrgSummary     `json:"org,omitempty"`
	Accounts []AccountResult `json:"accounts,omitempty"`
	// DeployingExcluded is set on OpMergeAccounts when excludeAccounts holds the deploying
	// account: the parent did not scan it, and its entry in a page counts as excluded.
	DeployingExcluded bool `json:"deployingExcluded,omitempty"`
	// RoleARN is, on an OpCheck of another account, the member role the function assumes for its
	// own IAM calls there (Handler.AssumeRole), once per invocation, with the session named Session
	// (the run's execution name).
	RoleARN string `json:"roleArn,omitempty"`
	Session string `json:"session,omitempty"`
	// Chat asks OpReport for the chat message too (Report.Chat): the stack has a chat topic.
	Chat bool `json:"chat,omitempty"`
	// Ledger is set on every event of a run with notify: changes (absent: the ledger is not used).
	Ledger *LedgerRun `json:"ledger,omitempty"`
	// Commit is, on OpCommit, what OpReport returned in Report.Commit.
	Commit *Commit `json:"commit,omitempty"`
}

// Policy is the rotation policy, embedded in the definition by the workflow.
type Policy struct {
	MaxAgeDays  int `json:"maxAgeDays"`
	WarnAgeDays int `json:"warnAgeDays,omitempty"`
	// UnusedDays turns on the unused control (Security Hub IAM.22): an active key not used for
	// more than UnusedDays x 24 h is a finding of KindUnused. 0 (absent) is off.
	UnusedDays int `json:"unusedDays,omitempty"`
	// NewKeyGraceDays spares never-used keys younger than it (x 24 h) from KindUnused.
	NewKeyGraceDays int `json:"newKeyGraceDays,omitempty"`
	// CheckRootKeys turns on the root control (Security Hub IAM.4): the state machine asks
	// GetAccountSummary once per run and the report op judges the answer (CheckRoot).
	CheckRootKeys bool `json:"checkRootKeys,omitempty"`
	// ExemptUsers (deprecated: use Exemptions) are names or * globs, case-insensitive, exempt
	// with no reason and no end.
	ExemptUsers []string `json:"exemptUsers,omitempty"`
	// Exemptions spare users' keys, each for a reason and until an end (exemptions.go).
	Exemptions []Exemption `json:"exemptions,omitempty"`
	// TagExemptions makes the users' keyage-exempt-until and keyage-exempt-reason tags
	// exemptions too, ending at most MaxTagExemptionDays ahead (read only for users with findings).
	TagExemptions       bool `json:"tagExemptions,omitempty"`
	MaxTagExemptionDays int  `json:"maxTagExemptionDays,omitempty"`
}

// UserKeys is one user as a Distributed Map child hands it over: the keys ListAccessKeys
// returned, or why they could not be read.
type UserKeys struct {
	UserName string      `json:"userName"`
	Keys     []AccessKey `json:"keys,omitempty"`
	// Deleted is set when the user no longer existed when its keys were listed
	// (Iam.NoSuchEntityException): skipped, not a failure.
	Deleted bool `json:"deleted,omitempty"`
	// Error is set when the keys could not be read after retries: the user is unchecked.
	Error *ScanError `json:"error,omitempty"`
	// Tags are the user's tags (or TagsError why they could not be read), filled in by the
	// caller of Check (the handler) when the policy reads tag exemptions; not part of the event.
	Tags      map[string]string `json:"-"`
	TagsError string            `json:"-"`
}

// AccessKey is IAM's AccessKeyMetadata as the Step Functions aws-sdk integration returns it.
type AccessKey struct {
	AccessKeyID string    `json:"AccessKeyId"`
	Status      string    `json:"Status"`
	CreateDate  Timestamp `json:"CreateDate"`
	UserName    string    `json:"UserName,omitempty"`
	// LastUsed is the key's GetAccessKeyLastUsed answer, filled in by the caller of Check (the
	// handler) for the keys NeedsLastUsed names; nil when not looked up or the lookup failed,
	// which Check reports as unknown, never as unused. It is not part of the event.
	LastUsed *LastUsed `json:"-"`
}

// ScanError is a Step Functions error as a Catch hands it over.
type ScanError struct {
	Error string `json:"Error"`
	Cause string `json:"Cause,omitempty"`
}

// Summary is the result of judging some users: exact counts and the details of what was found.
// Its JSON has the counts inline, beside findings and uncheckedUsers.
type Summary struct {
	Counts

	// Findings are the keys with a finding, oldest first; possibly fewer than Flagged when
	// trimmed to MaxSummaryBytes.
	Findings []Finding `json:"findings,omitempty"`
	// UncheckedUsers lists users whose keys could not be read; possibly fewer than Unchecked.
	UncheckedUsers []UncheckedUser `json:"uncheckedUsers,omitempty"`

	// BatchFailed is set on a child's Summary that the state machine built itself because the
	// check invocation failed after its retries: all its users are unchecked, listed in full,
	// and the function has not logged them, so OpMerge does (before any trimming). Merge never
	// sets it: a merged Summary's unchecked users have all been logged.
	BatchFailed bool `json:"batchFailed,omitempty"`

	// ExemptionTally counts the keys each exemption hides and lists the tag exemptions read.
	ExemptionTally

	// Root is the verdict on the account's root user, set for the report when the policy checks
	// root keys (nil otherwise). It is the account's, not a batch's: Merge never sets it.
	Root *RootCheck `json:"root,omitempty"`

	// UnreadKeys are the active keys of the batch, by AccessKeyId, whose last use could not be
	// looked up and that have no other finding: neither compliant nor findings, they are
	// counted in LastUsedUnknown, and the check observes them for the ledger so that their open
	// entries are never resolved (Diff). Never sent to the state machine.
	UnreadKeys []string `json:"-"`

	// Owners is what the report op did to reach owners (messages, mail), set for the report
	// when owners are on; nil otherwise. Like Root, it is the run's: Merge never sets it.
	Owners *OwnerDigest `json:"owners,omitempty"`
}

// Finding is one flagged key, with every kind of finding it has.
type Finding struct {
	UserName        string    `json:"userName"`
	AccessKeyID     string    `json:"accessKeyId"`
	CreateDate      Timestamp `json:"createDate"`            // RFC 3339, UTC, whole seconds (timestampAt)
	AgeDays         int       `json:"ageDays"`               // whole days, rounded down
	Severity        string    `json:"severity"`              // SeverityStale (fails a control) or SeverityWarning (kindSet.severity)
	Kinds           []string  `json:"kinds,omitempty"`       // KindStale, KindWarning, KindUnused, in that order
	LastUsedDate    Timestamp `json:"lastUsedDate,omitzero"` // zero when never used or unknown
	LastUsedService string    `json:"lastUsedService,omitempty"`
	LastUsedRegion  string    `json:"lastUsedRegion,omitempty"`
	// Owner is the owner the user's tags name (Owners.TagKeys), "" when none does.
	Owner string `json:"owner,omitempty"`
	// OwnerUnknown is set when the user's tags could not be read: Owner is then "".
	OwnerUnknown bool `json:"ownerUnknown,omitempty"`
	// ExemptionExpired names the exemption of the key's user that has ended ("break-glass-*
	// (until 2026-11-30)", or "tag keyage-exempt-until 2026-11-30"): the key is judged again,
	// and a ledger announces such a finding as new.
	ExemptionExpired string `json:"exemptionExpired,omitempty"`
}

// UncheckedUser is a user whose keys the scan could not read.
type UncheckedUser struct {
	UserName string `json:"userName"`
	Error    string `json:"error"`
	Cause    string `json:"cause,omitempty"`
}

// Report is what OpReport returns: whether to publish, and the SNS Publish fields.
type Report struct {
	Publish  bool   `json:"publish"`
	Subject  string `json:"subject,omitempty"`
	Message  string `json:"message,omitempty"` // a MessageStructure "json" document: default, email, sms
	Severity string `json:"severity,omitempty"`
	// Kinds is the SNS message attribute "kinds" (String.Array): a JSON array, as text, of the
	// kinds of finding present (KindStale, KindWarning, KindUnused), or ["none"]. It is text
	// because the state machine passes it to SNS as it is (no JSONPath intrinsic needed).
	Kinds   string `json:"kinds,omitempty"`
	Account string `json:"account,omitempty"`
	Test    bool   `json:"test,omitempty"` // a test run's report
	// OwnerMessages are the per-owner messages for the owners topic: at most one per owner,
	// at most Owners.MaxMessages, within MaxOwnerMessagesBytes in all.
	OwnerMessages []OwnerMessage `json:"ownerMessages,omitempty"`
	// Scope is ScopeOrganization on an organization run's digest (which has no Account); absent
	// on an account's report (an organization run's children publish theirs with the attribute
	// scope = ScopeAccount).
	Scope string `json:"scope,omitempty"`
	// Chat is the chat topic's message (NewChatMessage), when the event asked for it and the
	// report publishes.
	Chat string `json:"chat,omitempty"`
	// Commit is set when the run holds the ledger's lease: OpCommit records what was announced
	// (after the publish, or at once when nothing is published) and releases the lease.
	Commit *Commit `json:"commit,omitempty"`
	// Commits are, on an organization run's report, the accounts OpCommit runs for (with Commit).
	Commits []AccountCommit `json:"commits,omitempty"`
	// card is what the builder announced that the chat card shows (report_chat.go); not part
	// of the function's result.
	card cardFacts
}

// Commit is what OpCommit needs from the report: the run's "now", its LedgerRun and the root
// verdict, from which it derives again exactly the changes the report announced.
type Commit struct {
	Now    Timestamp  `json:"now"`
	Ledger LedgerRun  `json:"ledger"`
	Root   *RootCheck `json:"root,omitempty"`
}

// Decode parses an event and validates its envelope: op, now, policy, account, and for merge
// and report the summaries' counts. Every timestamp is parsed here, once (Timestamp); the
// users of a check event are validated by Check, which is the one pass over them. Errors are
// *InvalidInputError.
func Decode(data []byte) (Event, error) {
	var ev Event
	if err := json.Unmarshal(data, &ev); err != nil {
		return Event{}, &InvalidInputError{Problems: []FieldProblem{{
			Field: "event", Value: describeJSONError(err), Allowed: "one JSON object matching the agecheck.Event contract",
		}}}
	}
	if err := ev.Validate(); err != nil {
		return Event{}, err
	}
	return ev, nil
}

// describeJSONError names what was wrong with the JSON without echoing the whole input.
func describeJSONError(err error) string {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Sprintf("a JSON %s at %q", typeErr.Value, typeErr.Field)
	case errors.As(err, &syntaxErr):
		return fmt.Sprintf("not valid JSON (offset %d: %v)", syntaxErr.Offset, syntaxErr)
	default:
		return fmt.Sprintf("not decodable (%v)", err)
	}
}

// Validate checks the event's envelope (see Decode). It returns an *InvalidInputError listing
// every problem, or nil.
func (ev *Event) Validate() error {
	var ps problems
	switch ev.Op {
	case OpCheck, OpMerge, OpReport, OpAccount, OpMergeAccounts, OpCommit:
	default:
		ps.add("op", quote(ev.Op), fmt.Sprintf("%q, %q, %q, %q, %q or %q", OpCheck, OpMerge, OpReport, OpAccount, OpMergeAccounts, OpCommit))
	}
	validateLedger(&ps, ev)
	if !ev.Now.Valid() {
		ps.add("now", quote(ev.Now.String()), timeAllowed)
	}
	validatePolicy(&ps, ev.Policy)
	if ev.Owners != nil {
		for _, pp := range ev.Owners.Validate() {
			ps.add("owners."+pp.Field, quote(pp.Value), pp.Allowed)
		}
	}
	if ev.Account != "" || ev.Op == OpReport || ev.Op == OpMergeAccounts {
		if !awsid.IsAccountID(ev.Account) {
			ps.add("account", quote(ev.Account), "a 12-digit AWS account ID")
		}
	}
	if ev.Chat && ev.Op != OpReport {
		ps.add("chat", "true", "false or absent (only op "+OpReport+" writes the chat message)")
	}
	switch ev.Op {
	case OpMerge:
		if ev.Summary != nil {
			validateCounts(&ps, "summary", ev.Summary)
			validateNotBatch(&ps, "summary", ev.Summary)
		}
		for i := range ev.Results {
			field := fmt.Sprintf("results[%d]", i)
			validateCounts(&ps, field, &ev.Results[i])
			if r := &ev.Results[i]; r.BatchFailed && len(r.UncheckedUsers) != r.Unchecked {
				// Merge logs a failed batch's users: a list shorter than the count would lose some.
				ps.add(field+".uncheckedUsers", fmt.Sprintf("%d entries", len(r.UncheckedUsers)),
					fmt.Sprintf("exactly unchecked = %d when batchFailed is true", r.Unchecked))
			}
		}
	case OpAccount, OpMergeAccounts:
		validateAccountsEvent(&ps, ev)
	case OpReport:
		if ev.Org != nil {
			break // an organization's digest: the OrgSummary is MergeAccounts' own output
		}
		if ev.Summary == nil {
			ps.add("summary", "absent", "the final Summary of the scan")
		} else {
			validateCounts(&ps, "summary", ev.Summary)
			validateNotBatch(&ps, "summary", ev.Summary)
		}
	}
	return ps.err(ev.Op)
}

// validatePolicy adds the policy's problems (Policy.Validate) under the event's "policy" field.
func validatePolicy(ps *problems, p Policy) {
	for _, pp := range p.Validate() {
		value := pp.Value
		if strings.HasSuffix(pp.Field, "]") || strings.HasSuffix(pp.Field, ".reason") || strings.HasSuffix(pp.Field, ".until") {
			value = quote(value)
		}
		ps.add("policy."+pp.Field, value, pp.Allowed)
	}
}

// validateCounts adds the problems of a Summary's counts: none negative, and no more findings
// or unchecked users listed than counted.
func validateCounts(ps *problems, field string, s *Summary) {
	for _, c := range s.named() {
		if c.n < 0 {
			ps.add(field+"."+c.name, strconv.Itoa(c.n), "a count of 0 or more")
		}
	}
	if len(s.Findings) > s.Flagged {
		ps.add(field+".findings", fmt.Sprintf("%d entries", len(s.Findings)),
			fmt.Sprintf("at most flagged = %d", s.Flagged))
	}
	if len(s.UncheckedUsers) > s.Unchecked {
		ps.add(field+".uncheckedUsers", fmt.Sprintf("%d entries", len(s.UncheckedUsers)),
			fmt.Sprintf("at most unchecked = %d", s.Unchecked))
	}
	validateTally(ps, field, &s.ExemptionTally)
}

// validateNotBatch refuses batchFailed on a running or final Summary: only a child's result
// carries it, and only Merge's logging reads it.
func validateNotBatch(ps *problems, field string, s *Summary) {
	if s.BatchFailed {
		ps.add(field+".batchFailed", "true", "false or absent (only a child's result in results may carry it)")
	}
}
