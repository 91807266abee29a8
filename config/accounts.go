package config

import "github.com/keyage/keyage/internal/awsid"

// DefaultMemberRoleName is memberRoleName's default.
const DefaultMemberRoleName = "keyage-member"

// Organization is how a scan reaches the accounts it scans (issue 8). This file holds only
// memberRoleName, which the member side (config/member.go, infra's KeyAgeMember and StackSet)
// needs; the organization's scope settings join it here.
type Organization struct {
	// MemberRoleName is memberRoleName, default keyage-member: the read-only role each scanned
	// account holds, at path / (the scanner assumes arn:<partition>:iam::<account>:role/<name>).
	MemberRoleName string
}

// validateOrganization checks the organization's settings.
func (s Settings) validateOrganization(p *problems) {
	if name := s.Organization.MemberRoleName; !awsid.IsRoleName(name) {
		p.add("memberRoleName", name, "is not an IAM role name", "1 to 64 letters, digits and +=,.@_- (IAM's role name rules), such as keyage-member")
	}
}
