package config

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// MaxRolePathLength is IAM's limit on a role's path (CreateRole, Path: 1 to 512 characters).
const MaxRolePathLength = 512

// rolePathPattern is IAM's form of a path, "/" alone or a string that begins and ends with "/"
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html, Path). IAM also
// takes DEL (\u007F); keyage keeps to printable ASCII, ! (\u0021) through ~ (\u007E).
var rolePathPattern = regexp.MustCompile(`^/([\x21-\x7e]+/)?$`)

// partitionPattern is the form of an AWS partition name (aws, aws-cn, aws-us-gov, aws-iso-b).
var partitionPattern = regexp.MustCompile(`^aws(-[a-z]+)*$`)

// managedPolicyAccountPattern is the account of a managed policy's ARN: 12 digits, or "aws" for
// a policy AWS manages.
var managedPolicyAccountPattern = regexp.MustCompile(`^([0-9]{12}|aws)$`)

// validateRoles checks rolePath and rolePermissionsBoundary, which every role the stack creates
// gets (enterprises often require both).
func (s Settings) validateRoles(p *problems) {
	if path := s.RolePath; path != "" {
		switch {
		case len(path) > MaxRolePathLength:
			p.add("rolePath", path, fmt.Sprintf("is %d characters long", len(path)), fmt.Sprintf("at most %d characters", MaxRolePathLength))
		case !rolePathPattern.MatchString(path):
			p.add("rolePath", path, "is not an IAM path", `"/" alone, or a path that starts and ends with "/" and holds printable ASCII without spaces, such as /keyage/`)
		}
	}
	boundary := s.RolePermissionsBoundary
	if boundary == "" {
		return
	}
	const allowed = "the ARN of an IAM managed policy, such as arn:aws:iam::123456789012:policy/Boundary"
	a, err := arn.Parse(boundary)
	switch {
	case err != nil || !partitionPattern.MatchString(a.Partition) || a.Service != "iam" || a.Region != "" ||
		!managedPolicyAccountPattern.MatchString(a.AccountID) || !strings.HasPrefix(a.Resource, "policy/") || len(a.Resource) == len("policy/"):
		p.add("rolePermissionsBoundary", boundary, "is not an IAM policy ARN", allowed)
	case s.Region != "" && a.Partition != s.Partition():
		p.add("rolePermissionsBoundary", boundary,
			fmt.Sprintf("is in partition %s, but the stack's region %s is in %s", a.Partition, s.Region, s.Partition()),
			fmt.Sprintf("an IAM policy ARN in partition %s, such as arn:%s:iam::123456789012:policy/Boundary", s.Partition(), s.Partition()))
	}
}
