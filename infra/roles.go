package infra

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// rolePath is the IAM path of every role the notifier creates (setting rolePath), or nil for
// IAM's default, "/".
func (b *builder) rolePath() pulumi.StringPtrInput {
	if b.s.RolePath == "" {
		return nil
	}
	return pulumi.String(b.s.RolePath)
}

// rolePermissionsBoundary is the permissions boundary of every role the notifier creates
// (setting rolePermissionsBoundary), or nil for none.
func (b *builder) rolePermissionsBoundary() pulumi.StringPtrInput {
	if b.s.RolePermissionsBoundary == "" {
		return nil
	}
	return pulumi.String(b.s.RolePermissionsBoundary)
}
