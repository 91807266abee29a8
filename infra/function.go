package infra

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/bundle"
	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/workflow"
)

// FunctionPackage is the age-check function's deployment package: a zip with an executable
// bootstrap, and the base64 SHA-256 of that zip (Lambda's CodeSha256), which tells Pulumi when
// the code changed.
type FunctionPackage struct {
	ZipPath      string
	SHA256Base64 string
}

// IsZero reports whether no package was given.
func (p FunctionPackage) IsZero() bool { return p == FunctionPackage{} }

// Validate checks that the zip exists and the hash is a base64 SHA-256.
func (p FunctionPackage) Validate() error {
	if p.ZipPath == "" {
		return fmt.Errorf("function package: ZipPath is empty, want the path of the function's zip")
	}
	if _, err := os.Stat(p.ZipPath); err != nil {
		return fmt.Errorf("function package: %w", err)
	}
	sum, err := base64.StdEncoding.DecodeString(p.SHA256Base64)
	if err != nil || len(sum) != 32 {
		return fmt.Errorf("function package: SHA256Base64 is %q, want the base64 encoding of the zip's SHA-256 (44 characters)", p.SHA256Base64)
	}
	return nil
}

// buildFunction builds the age-check function from the lambda/ directory of the module at
// moduleRoot ("": the module found by walking up from the working directory, as `pulumi up` runs
// in the project) for linux/arm64, reproducibly (same source, same zip), and returns its
// package. A failed build is a *bundle.BuildError carrying the compiler's output.
func buildFunction(ctx context.Context, moduleRoot string) (FunctionPackage, error) {
	res, err := bundle.Build(ctx, bundle.Options{ModuleRoot: moduleRoot, GOARCH: functionGOARCH})
	if err != nil {
		return FunctionPackage{}, fmt.Errorf("build the age-check function: %w", err)
	}
	return FunctionPackage{ZipPath: res.ZipPath, SHA256Base64: res.SHA256Base64}, nil
}

// functionRuntime is the OS-only runtime that starts the bundle's executable
// (bundle.EntryName, the function's handler).
const functionRuntime = "provided.al2023"

// functionGOARCH is the architecture the function is built for and runs on: Graviton, 20%
// cheaper per GB-second than x86_64.
const functionGOARCH = "arm64"

// lambdaArchitecture returns Lambda's name for the instruction set a Go GOARCH builds for:
// Lambda offers "arm64" and "x86_64"
// (https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html).
func lambdaArchitecture(goarch string) (string, error) {
	switch goarch {
	case "arm64":
		return "arm64", nil
	case "amd64":
		return "x86_64", nil
	}
	return "", fmt.Errorf("function architecture: GOARCH %q is not one Lambda runs, want \"arm64\" or \"amd64\"", goarch)
}

// function creates the age-check function, its log group (before the function, so Lambda never
// creates one without retention) and its role's policy: write its own logs, read keys' last
// use, send traces.
func (b *builder) function(role *iam.Role) (*lambda.Function, *cloudwatch.LogGroup, error) {
	env, n := b.env, b.names
	arch, err := lambdaArchitecture(functionGOARCH)
	if err != nil {
		return nil, nil, err
	}
	logGroup, err := b.logGroup("function log group", "function-logs", n.functionLogGroup)
	if err != nil {
		return nil, nil, err
	}
	stmts := []iampolicy.Statement{allowStatement("WriteOwnLogs", []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		env.arn("logs", "log-group:"+n.functionLogGroup+":*"))}
	// The function's own IAM reads in this account, of users with findings (when each flagged
	// key was last used; with tagExemptions, their tags), from the one list of a scan's reads,
	// which the member role grants too.
	stmts = append(stmts, workflow.ReadStatements(env.partition, env.accountID, "ReadFlaggedUsers", "ReadAccount",
		func(r workflow.IAMRead) bool { return r.ByFunction && r.Made(b.s) })...)
	// X-Ray's trace upload supports no resource-level permissions.
	stmts = append(stmts, allowStatement("SendTraces", xrayActions, "*"))
	// Mail to owners, from ownerEmail's identity only (owners.go).
	stmts = append(stmts, b.ownerStatements()...)
	// In an organization run, the function looks up last use (and tags) in another account
	// through its member role: the same roles the state machine assumes, and no others.
	if roles := workflow.MemberRoleARNs(b.checked, workflow.Resources{Partition: env.partition, AccountID: env.accountID}); len(roles) > 0 {
		stmts = append(stmts, allowStatement("AssumeMemberRoles", []string{"sts:AssumeRole"}, roles...))
	}
	stmts = append(stmts, b.ledgerStatements()...)
	policy, err := jsonInput(document(stmts...))
	if err != nil {
		return nil, nil, fmt.Errorf("function role policy: %w", err)
	}
	rolePolicy, err := b.rolePolicy("function role policy", "function-policy", n.functionPolicy, role, policy)
	if err != nil {
		return nil, nil, err
	}
	fn, err := lambda.NewFunction(b.ctx, b.child("function"), &lambda.FunctionArgs{
		Name:           pulumi.String(n.function),
		Description:    pulumi.String("keyage: judges IAM access keys' age for the state machine " + n.machine),
		Role:           role.Arn,
		Runtime:        pulumi.String(functionRuntime),
		Handler:        pulumi.String(bundle.EntryName),
		Architectures:  pulumi.StringArray{pulumi.String(arch)},
		Code:           pulumi.NewFileArchive(b.fn.ZipPath),
		SourceCodeHash: pulumi.String(b.fn.SHA256Base64),
		MemorySize:     pulumi.Int(b.s.FunctionMemoryMB),
		Timeout:        pulumi.Int(workflow.FunctionTimeoutSeconds),
		TracingConfig:  &lambda.FunctionTracingConfigArgs{Mode: pulumi.String("Active")},
		LoggingConfig: &lambda.FunctionLoggingConfigArgs{
			LogFormat: pulumi.String("Text"),
			LogGroup:  logGroup.Name,
		},
		Environment: b.functionEnvironment(),
		Tags:        b.tagMap(),
	}, b.parent, pulumi.DependsOn([]pulumi.Resource{logGroup, rolePolicy}))
	if err != nil {
		return nil, nil, fmt.Errorf("function: %w", err)
	}
	return fn, logGroup, nil
}
