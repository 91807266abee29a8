package workflow

import (
	"slices"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/internal/awsid"
)

// IAMRead is one IAM call a scan makes in the account it scans.
type IAMRead struct {
	Action string // the IAM action, e.g. "iam:ListAccessKeys"
	// OnUsers: IAM authorizes the action on its user resource type, so it is granted on
	// arn:<partition>:iam::<account>:user/* (every path); otherwise the action has no resource
	// type and is granted on "*" (Service Authorization Reference, IAM:
	// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html).
	OnUsers bool
	// ByFunction: the age-check function makes the call; otherwise the state machine does (an
	// aws-sdk task of the definition).
	ByFunction bool
	// MadeWhen, when set, tells from the scanner's settings whether it makes the call at all
	// (nil: always). The scanner's roles get such a read only then; the member role always,
	// since it cannot know the scanner's settings (and a scanner may turn them on later).
	MadeWhen func(config.Settings) bool
}

// Made reports whether a scanner with settings s makes the call.
func (r IAMRead) Made(s config.Settings) bool { return r.MadeWhen == nil || r.MadeWhen(s) }

// AccountReads is every IAM call a scan makes in an account, the one list of them: the
// function's role policy takes its reads from it, the member role (infra's KeyAgeMember and
// its StackSet template) grants exactly these, and a test holds the definition's own IAM
// tasks to it, so that a new read (such as iam:ListUserTags) is added here once.
var AccountReads = []IAMRead{
	{Action: "iam:ListUsers"},
	{Action: "iam:ListAccessKeys", OnUsers: true},
	{Action: "iam:GetAccessKeyLastUsed", OnUsers: true, ByFunction: true},
	{Action: "iam:GetAccountSummary"},
	// Tag exemptions and owners: the function reads the tags of users with findings.
	// ListUserTags takes the user resource type.
	{Action: "iam:ListUserTags", OnUsers: true, ByFunction: true, MadeWhen: func(s config.Settings) bool {
		return s.Exemptions.FromTags || len(s.Owners.TagKeys) > 0
	}},
}

// Resource is the narrowest resource the read is allowed on in account.
func (r IAMRead) Resource(partition, account string) string {
	if r.OnUsers {
		return awsid.ARN(partition, "iam", "", account, "user/*")
	}
	return "*"
}

// ReadStatements returns Allow statements for the reads that match (all of them for nil), in
// account: one named onUsersSid for those on the account's users, one named anySid for those
// on "*" (none for a group without reads). Actions are sorted.
func ReadStatements(partition, account, onUsersSid, anySid string, match func(IAMRead) bool) []iampolicy.Statement {
	var onUsers, any []string
	for _, r := range AccountReads {
		if match != nil && !match(r) {
			continue
		}
		if r.OnUsers {
			onUsers = append(onUsers, r.Action)
		} else {
			any = append(any, r.Action)
		}
	}
	var out []iampolicy.Statement
	if len(onUsers) > 0 {
		out = append(out, iampolicy.Statement{Sid: onUsersSid, Effect: "Allow", Action: slices.Sorted(slices.Values(onUsers)),
			Resource: []string{IAMRead{OnUsers: true}.Resource(partition, account)}})
	}
	if len(any) > 0 {
		out = append(out, iampolicy.Statement{Sid: anySid, Effect: "Allow", Action: slices.Sorted(slices.Values(any)), Resource: []string{"*"}})
	}
	return out
}
