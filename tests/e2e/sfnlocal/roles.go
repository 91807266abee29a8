package sfnlocal

import (
	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// ErrRoleNotAssumable is the error an IAM task fails with when Step Functions cannot assume its
// Credentials.RoleArn. AWS does not document it; this is the message Step Functions gives for a
// role that does not trust it, under States.TaskFailed (inferred). keyage catches every error of
// an account's scan, so only the message's text depends on it.
const (
	ErrRoleNotAssumable   = "States.TaskFailed"
	causeRoleNotAssumable = "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role."
)

// iamAccount is the account an IAM task acts in: Account without Credentials, else the member
// whose member role the Task's RoleArn names, if it lets itself be assumed.
func (s *TaskServer) iamAccount(roleARN string) (*Account, *StatesError) {
	if roleARN == "" {
		return s.Account, nil
	}
	a, err := arn.Parse(roleARN)
	var member *Account
	if err == nil && a.Service == "iam" && s.Members != nil && s.MemberRole != "" && a.Resource == "role/"+s.MemberRole {
		member = s.Members.Get(a.AccountID)
	}
	if member == nil || member.MemberRoleUntrusted() {
		return nil, &StatesError{Error: ErrRoleNotAssumable, Cause: causeRoleNotAssumable + " (role " + roleARN + ")"}
	}
	return member, nil
}
