package infra

import (
	"slices"

	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/internal/awsid"
	"github.com/keyage/keyage/workflow"
)

// memberRolePolicyName is the name of the member role's one inline policy.
const memberRolePolicyName = "keyage-read"

// memberRole is the read-only role a scanned account holds, as KeyAgeMember creates it and the
// StackSet's template declares it: both take it from memberRoleFor, so that names, trust and
// actions cannot differ between the two ways of creating it.
type memberRole struct {
	Name        string // memberRoleName; its path is always "/"
	Description string
	Trust       PolicyDocument // who may assume it: the scanner's two roles
	PolicyName  string
	Policy      PolicyDocument // what it may do: workflow.AccountReads, in its own account
}

// memberRoleFor builds the member role of account (a 12-digit ID, or "${AWS::AccountId}" in a
// CloudFormation template) in partition, named name, assumable by the scanner's roles (their
// ARNs) and, when orgID is set, only by principals of that organization.
//
// The trust names the two roles by ARN, the narrowest principal IAM offers: Step Functions
// assumes the role named by a task's Credentials.RoleArn with the state machine's role
// (TaskCredentials: https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskCredentials.html),
// and the function assumes it with its own role (sts:AssumeRole). AWS's cross-account sample
// also requires sts:ExternalId (the state machine's ARN); the function's AssumeRole sends
// none, so the trust does not ask for one. A trust policy that names a role which
// does not exist is refused (MalformedPolicyDocument, "Invalid principal in policy"), so the
// scanner stack is deployed first. aws:PrincipalOrgID, a global condition key, also ties the
// callers to the organization
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid).
func memberRoleFor(partition, account, name string, scannerRoles []string, orgID string) memberRole {
	scannerAccount := ""
	if len(scannerRoles) > 0 {
		if a, ok := awsid.Parse(scannerRoles[0], "iam"); ok {
			scannerAccount = a.AccountID
		}
	}
	trust := iampolicy.Statement{
		Sid:       "AssumedByKeyageScanner",
		Effect:    "Allow",
		Principal: &iampolicy.Principal{AWS: slices.Sorted(slices.Values(scannerRoles))},
		Action:    []string{"sts:AssumeRole"},
	}
	if orgID != "" {
		trust.Condition = iampolicy.Condition{"StringEquals": {"aws:PrincipalOrgID": {orgID}}}
	}
	return memberRole{
		Name:        name,
		Description: "keyage: read-only access to IAM users and their access keys, for the keyage scanner in account " + scannerAccount,
		Trust:       document(trust),
		PolicyName:  memberRolePolicyName,
		Policy:      document(workflow.ReadStatements(partition, account, "ReadUsersAndKeys", "ListUsersAndAccountSummary", nil)...),
	}
}
