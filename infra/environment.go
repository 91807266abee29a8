package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/internal/awsid"
)

// environment is what the invokes tell about the account the stack deploys to.
type environment struct {
	partition, dnsSuffix, region, accountID string
	// service principals, as the provider knows them for the partition and region
	lambdaPrincipal, statesPrincipal, schedulerPrincipal, cloudwatchPrincipal string
}

// arn returns the ARN of a resource of the stack's account in the stack's region.
func (e environment) arn(service, resource string) string {
	return awsid.ARN(e.partition, service, e.region, e.accountID, resource)
}

// iamARN returns the ARN of an IAM resource of the stack's account: IAM is global, so its ARNs
// have no region ("arn:aws:iam::123456789012:user/*", see
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
func (e environment) iamARN(resource string) string {
	return awsid.ARN(e.partition, "iam", "", e.accountID, resource)
}

// lookupEnvironment asks the provider (the component's, when one is given) for the partition,
// region, account and service principals.
func lookupEnvironment(ctx *pulumi.Context, parent pulumi.Resource) (environment, error) {
	opt := pulumi.Parent(parent)
	part, err := aws.GetPartition(ctx, nil, opt)
	if err != nil {
		return environment{}, fmt.Errorf("look up the AWS partition: %w", err)
	}
	who, err := aws.GetCallerIdentity(ctx, nil, opt)
	if err != nil {
		return environment{}, fmt.Errorf("look up the AWS account: %w", err)
	}
	region, err := aws.GetRegion(ctx, nil, opt)
	if err != nil {
		return environment{}, fmt.Errorf("look up the AWS region: %w", err)
	}
	env := environment{partition: part.Partition, dnsSuffix: part.DnsSuffix, region: region.Name, accountID: who.AccountId}
	for service, dst := range map[string]*string{
		"lambda": &env.lambdaPrincipal, "states": &env.statesPrincipal,
		"scheduler": &env.schedulerPrincipal, "cloudwatch": &env.cloudwatchPrincipal,
	} {
		p, err := aws.GetServicePrincipal(ctx, &aws.GetServicePrincipalArgs{ServiceName: service, Region: &env.region}, opt)
		if err != nil {
			return environment{}, fmt.Errorf("look up the service principal of %s: %w", service, err)
		}
		*dst = p.Name
	}
	return env, nil
}
