package config

import (
	"fmt"
	"strings"

	"github.com/keyage/keyage/internal/awsid"
)

// MaxRolePathLength is IAM's limit on a role's path (CreateRole, Path: 1 to 512 characters).
const MaxRolePathLength = awsid.MaxPathLength

// validateRoles checks rolePath and rolePermissionsBoundary, which every role the stack creates
// gets (enterprises often require both).
func (s Settings) validateRoles(p *problems) {
	if path := s.RolePath; path != "" {
		switch {
		case len(path) > MaxRolePathLength:
			p.add("rolePath", path, fmt.Sprintf("is %d characters long", len(path)), fmt.Sprintf("at most %d characters", MaxRolePathLength))
		case !awsid.IsPath(path):
			p.add("rolePath", path, "is not an IAM path", `"/" alone, or a path that starts and ends with "/" and holds printable ASCII without spaces, such as /keyage/`)
		}
	}
	boundary := s.RolePermissionsBoundary
	if boundary == "" {
		return
	}
	const allowed = "the ARN of an IAM managed policy, such as arn:aws:iam::123456789012:policy/Boundary"
	// A managed policy's account is 12 digits, or "aws" for a policy AWS manages.
	a, ok := awsid.Parse(boundary, "iam")
	switch {
	case !ok || a.Region != "" || !awsid.IsAccountID(a.AccountID) && a.AccountID != "aws" ||
		!strings.HasPrefix(a.Resource, "policy/") || len(a.Resource) == len("policy/"):
		p.add("rolePermissionsBoundary", boundary, "is not an IAM policy ARN", allowed)
	case s.Region != "" && a.Partition != s.Partition():
		p.add("rolePermissionsBoundary", boundary,
			fmt.Sprintf("is in partition %s, but the stack's region %s is in %s", a.Partition, s.Region, s.Partition()),
			fmt.Sprintf("an IAM policy ARN in partition %s, such as arn:%s:iam::123456789012:policy/Boundary", s.Partition(), s.Partition()))
	}
}
