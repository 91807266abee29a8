package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

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

// roles creates the roles of the state machine and of the function, each trusting its service
// in this account only. The scheduler's role is created with the schedule (schedule.go): its
// trust names the schedule group.
func (b *builder) roles(machineARN string) (machine, function *iam.Role, err error) {
	env, n := b.env, b.names
	// Step Functions assumes the role for this machine's executions and for its Distributed
	// Map's runs, whose ARNs are the machine's qualified by the map's label
	// ("stateMachine:<name>/<label>", see StartExecution in the Step Functions API reference:
	// https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
	// AWS's confused-deputy example scopes aws:SourceArn to "stateMachine:*"
	// (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html);
	// the machine's ARN and "<machineARN>/*" are the part of that which is this machine.
	machineTrust, err := jsonInput(trustPolicy(env.statesPrincipal, env.accountID, machineARN, env.arn("states", "stateMachine:"+n.machine+"/*")))
	if err != nil {
		return nil, nil, fmt.Errorf("state machine role: %w", err)
	}
	// AWS documents no aws:SourceArn for Lambda assuming an execution role, and CreateFunction
	// refuses a role Lambda cannot assume: the trust names Lambda and this account only
	// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html). What binds
	// the role to a function is iam:PassRole: only a principal allowed to pass it can give it
	// to a function.
	functionTrust, err := jsonInput(trustPolicy(env.lambdaPrincipal, env.accountID))
	if err != nil {
		return nil, nil, fmt.Errorf("function role: %w", err)
	}
	machine, err = b.role("state machine role", "machine-role", n.machineRole,
		"keyage: assumed by the key-age state machine "+n.machine, machineTrust)
	if err != nil {
		return nil, nil, err
	}
	function, err = b.role("function role", "function-role", n.functionRole,
		"keyage: assumed by the age-check function "+n.function, functionTrust)
	if err != nil {
		return nil, nil, err
	}
	return machine, function, nil
}

// role creates one of the notifier's roles (what names it in errors): its physical name and
// description, the trust policy, the tags, and the settings' rolePath and
// rolePermissionsBoundary, which every role gets.
func (b *builder) role(what, suffix, name, description string, trust pulumi.StringInput) (*iam.Role, error) {
	role, err := iam.NewRole(b.ctx, b.child(suffix), &iam.RoleArgs{
		Name:                pulumi.String(name),
		Description:         pulumi.String(description),
		AssumeRolePolicy:    trust,
		Tags:                b.tagMap(),
		Path:                b.rolePath(),
		PermissionsBoundary: b.rolePermissionsBoundary(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return role, nil
}

// rolePolicy gives a role its one inline policy (what names it in errors).
func (b *builder) rolePolicy(what, suffix, name string, role *iam.Role, policy pulumi.StringInput, opts ...pulumi.ResourceOption) (*iam.RolePolicy, error) {
	p, err := iam.NewRolePolicy(b.ctx, b.child(suffix), &iam.RolePolicyArgs{
		Name:   pulumi.String(name),
		Role:   role.ID(),
		Policy: policy,
	}, append([]pulumi.ResourceOption{b.parent}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return p, nil
}
