package infra

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudformation"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// maxStackSetName: StackSet names, up to 128 letters, digits and "-", starting with a letter
// (CreateStackSet, StackSetName:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html).
const maxStackSetName = 128

// memberStackSetName is the StackSet's name: physicalName's, but StackSet names do not allow
// "_", so a base holding one counts as changed (it gets the hash, as physicalName gives any
// changed name) and "_" becomes "-": stacks my_org and my-org do not share a name.
func memberStackSetName(component, stack string) string {
	base := component + "-" + stack
	return physicalName(strings.ReplaceAll(base, "_", "."), "member", maxStackSetName)
}

// roleARN is the ARN of one of the notifier's roles, known before it exists: its path (setting
// rolePath, "/" by default) is part of it.
func (b *builder) roleARN(name string) string {
	path := b.s.RolePath
	if path == "" {
		path = "/"
	}
	return b.env.iamARN("role" + path + name)
}

// memberStackSet renders the member role's template (b.c.MemberTemplate) and, when the settings
// ask for memberStackSet, creates a service-managed StackSet of it with one stack instance per
// account of the organizational units, in one region (IAM is global: a second region's
// instance would fail on the role the first created).
//
// Service-managed permissions let StackSets create the stack instances through AWS
// Organizations, in accounts added to the OUs later too (AutoDeployment), but never in the
// management account; the template names an IAM role, so it needs CAPABILITY_NAMED_IAM
// (CreateStackSet: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html;
// DeploymentTargets: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DeploymentTargets.html).
// The StackSet waits for the scanner's two roles: a trust policy naming a role that does not
// exist yet is refused.
func (b *builder) memberStackSet(machineRole, functionRole *iam.Role) error {
	c := b.s.Component
	scannerRoles := []string{b.roleARN(b.names.machineRole), b.roleARN(b.names.functionRole)}
	template, err := memberTemplate(b.env.partition, b.s.Organization.MemberRoleName, scannerRoles, c.PrincipalOrgID, b.tags)
	if err != nil {
		return err
	}
	b.c.MemberTemplate = template
	ss := c.MemberStackSet
	if ss == nil {
		return nil
	}
	callAs := pulumi.String(ss.CallAsOrDefault())
	set, err := cloudformation.NewStackSet(b.ctx, b.child("member-stackset"), &cloudformation.StackSetArgs{
		Name:            pulumi.String(memberStackSetName(b.name, b.ctx.Stack())),
		Description:     pulumi.String("keyage: the read-only role " + b.s.Organization.MemberRoleName + " for the keyage scanner " + b.names.machine),
		PermissionModel: pulumi.String("SERVICE_MANAGED"),
		AutoDeployment: &cloudformation.StackSetAutoDeploymentArgs{
			Enabled:                      pulumi.Bool(true),
			RetainStacksOnAccountRemoval: pulumi.Bool(false),
		},
		CallAs:       callAs,
		Capabilities: pulumi.StringArray{pulumi.String("CAPABILITY_NAMED_IAM")},
		TemplateBody: pulumi.String(template),
		Tags:         b.tagMap(),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{machineRole, functionRole}))
	if err != nil {
		return fmt.Errorf("member StackSet: %w", err)
	}
	if _, err := cloudformation.NewStackSetInstance(b.ctx, b.child("member-stackset-instance"), &cloudformation.StackSetInstanceArgs{
		StackSetName: set.Name,
		CallAs:       callAs,
		Region:       pulumi.String(ss.InstanceRegion(b.env.region)),
		DeploymentTargets: &cloudformation.StackSetInstanceDeploymentTargetsArgs{
			OrganizationalUnitIds: pulumi.ToStringArray(ss.OrganizationalUnits),
		},
		// Every account at once, and a failure in any fails the operation (and pulumi up). By
		// default StackSets goes one account at a time (STRICT_FAILURE_TOLERANCE caps the
		// concurrency at FailureToleranceCount + 1), hours for hundreds of accounts; SOFT
		// decouples the two (StackSetOperationPreferences:
		// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html).
		// They do not apply to AutoDeployment, which adds accounts as they join.
		OperationPreferences: &cloudformation.StackSetInstanceOperationPreferencesArgs{
			ConcurrencyMode:         pulumi.String("SOFT_FAILURE_TOLERANCE"),
			MaxConcurrentPercentage: pulumi.Int(100),
			FailureToleranceCount:   pulumi.Int(0),
		},
	}, b.parent); err != nil {
		return fmt.Errorf("member StackSet instances: %w", err)
	}
	return nil
}
