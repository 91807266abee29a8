package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
)

// MemberTypeToken is the KeyAgeMember component's Pulumi type.
const MemberTypeToken = "keyage:index:KeyAgeMember"

// KeyAgeMemberArgs are the member component's inputs.
type KeyAgeMemberArgs struct {
	// Settings are a member stack's checked settings (deploy: member): memberRoleName, the
	// scanner's two role ARNs, principalOrgId, tags and rolePermissionsBoundary.
	Settings config.Checked
}

// KeyAgeMember is the read-only role one scanned account holds for keyage's scanner: the role
// memberRoleName at path /, trusting the scanner's state machine and function roles, allowed
// only the IAM reads a scan makes (workflow.AccountReads) on the account's own users.
type KeyAgeMember struct {
	pulumi.ResourceState

	RoleArn  pulumi.StringOutput `pulumi:"roleArn"`
	RoleName pulumi.StringOutput `pulumi:"roleName"`
}

// NewKeyAgeMember creates the member role and its inline policy. Settings that are not checked,
// or that select the scanner, return an error before anything is registered.
func NewKeyAgeMember(ctx *pulumi.Context, name string, args *KeyAgeMemberArgs, opts ...pulumi.ResourceOption) (*KeyAgeMember, error) {
	if args == nil {
		return nil, fmt.Errorf("keyage member %q: args are required", name)
	}
	if args.Settings.IsZero() {
		return nil, fmt.Errorf("keyage member %q: %w", name, config.ErrUnchecked)
	}
	s := args.Settings.Settings()
	if d := s.Component.Deploy; d != config.DeployMember {
		return nil, fmt.Errorf("keyage member %q: settings select deploy %q, want %q", name, d, config.DeployMember)
	}
	c := &KeyAgeMember{}
	if err := ctx.RegisterComponentResource(MemberTypeToken, name, c, opts...); err != nil {
		return nil, fmt.Errorf("register %s %q: %w", MemberTypeToken, name, err)
	}
	env, err := lookupEnvironment(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("keyage member %q: %w", name, err)
	}
	spec := memberRoleFor(env.partition, env.accountID, s.Organization.MemberRoleName,
		[]string{s.Component.ScannerStateMachineRoleARN, s.Component.ScannerFunctionRoleARN}, s.Component.PrincipalOrgID)
	trust, err := jsonInput(spec.Trust)
	if err != nil {
		return nil, fmt.Errorf("keyage member %q: role trust: %w", name, err)
	}
	policy, err := jsonInput(spec.Policy)
	if err != nil {
		return nil, fmt.Errorf("keyage member %q: role policy: %w", name, err)
	}
	var boundary pulumi.StringPtrInput
	if b := s.RolePermissionsBoundary; b != "" {
		boundary = pulumi.String(b)
	}
	parent := pulumi.Parent(c)
	role, err := iam.NewRole(ctx, name+"-role", &iam.RoleArgs{
		Name:                pulumi.String(spec.Name),
		Path:                pulumi.String("/"),
		Description:         pulumi.String(spec.Description),
		AssumeRolePolicy:    trust,
		PermissionsBoundary: boundary,
		Tags:                pulumi.ToStringMap(tagsFor(s.Tags, ctx.Stack(), name)),
	}, parent)
	if err != nil {
		return nil, fmt.Errorf("keyage member %q: role: %w", name, err)
	}
	if _, err := iam.NewRolePolicy(ctx, name+"-policy", &iam.RolePolicyArgs{
		Name:   pulumi.String(spec.PolicyName),
		Role:   role.ID(),
		Policy: policy,
	}, parent); err != nil {
		return nil, fmt.Errorf("keyage member %q: role policy: %w", name, err)
	}
	c.RoleArn, c.RoleName = role.Arn, role.Name
	registered := pulumi.Map{}
	for _, o := range c.outputs() {
		registered[o.name] = o.value
	}
	if err := ctx.RegisterResourceOutputs(c, registered); err != nil {
		return nil, fmt.Errorf("keyage member %q: register outputs: %w", name, err)
	}
	return c, nil
}

// memberOutput is one of the member component's outputs: its name on the component (the field's
// pulumi tag) and as a stack output, which says "member" as a scanner's outputs do not.
type memberOutput struct {
	name, export string
	value        pulumi.StringOutput
}

// outputs is the one list of the member component's outputs: NewKeyAgeMember registers them,
// Program exports them, MemberStackOutputs names them.
func (c *KeyAgeMember) outputs() []memberOutput {
	return []memberOutput{
		{"roleArn", "memberRoleArn", c.RoleArn},
		{"roleName", "memberRoleName", c.RoleName},
	}
}

// MemberStackOutputs returns the names of the stack outputs Program exports for a member stack.
func MemberStackOutputs() []string {
	var names []string
	for _, o := range (&KeyAgeMember{}).outputs() {
		names = append(names, o.export)
	}
	return names
}
