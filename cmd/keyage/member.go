package main

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/keyage/keyage/config"
)

// isScannerStack reports whether the stack deploys the scanner; for a member stack it says on
// stderr that the command (name) is about the scanner's state machine and notifications.
func isScannerStack(name string, sf stackFlags, s config.Checked, stderr io.Writer) bool {
	if s.Settings().Component.Deploy == config.DeployScanner {
		return true
	}
	fmt.Fprintf(stderr, "keyage %s: stack %s deploys the member role only (deploy: %s), which has no state machine and sends nothing: "+
		"run %s for the scanner's stack, or render or validate this one\n", name, sf.stack, config.DeployMember, name)
	return false
}

// summarizeComponent describes the member side of a stack: a member stack's role, or the
// scanner's memberStackSet. It returns nothing for a scanner without one.
func summarizeComponent(s config.Settings) []string {
	c := s.Component
	org := ""
	if c.PrincipalOrgID != "" {
		org = ", callers in organization " + c.PrincipalOrgID + " only"
	}
	switch {
	case c.Deploy == config.DeployMember:
		lines := []string{
			fmt.Sprintf("component: member: the read-only role %s (path /), assumable by %s and %s%s",
				s.Organization.MemberRoleName, c.ScannerStateMachineRoleARN, c.ScannerFunctionRoleARN, org),
		}
		if s.RolePermissionsBoundary != "" {
			lines = append(lines, "role: permissions boundary "+s.RolePermissionsBoundary)
		}
		if len(s.Tags) > 0 {
			lines = append(lines, fmt.Sprintf("tags: %d extra", len(s.Tags)))
		}
		return lines
	case c.MemberStackSet != nil:
		m := c.MemberStackSet
		return []string{fmt.Sprintf("member role: %s in every account of %s (and accounts added later; never the management account), "+
			"one StackSet instance per account in %s, called as %s%s", s.Organization.MemberRoleName, strings.Join(m.OrganizationalUnits, ", "),
			cmp.Or(m.Region, cmp.Or(s.Region, "the stack's region")), m.CallAsOrDefault(), org)}
	}
	return nil
}
