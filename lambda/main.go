// Command lambda is keyage's age-check function: a thin AWS Lambda adapter over package
// agecheck. It wires the IAM client used for last-used and owner lookups, the SES v2 client
// that mails owners, and a JSON logger on stdout
// (CloudWatch Logs), and hands each invocation to agecheck.Handler. It reads no settings from
// the environment: the policy and "now" arrive in every event. It is built into the bundle
// by package bundle; it is not meant to run anywhere but the Lambda runtime (or a test of it).
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/keyage/keyage/lambda/agecheck"
)

// iamAPI lists the IAM calls the function makes: the consumer-side view of *iam.Client.
type iamAPI interface {
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

var (
	_ iamAPI         = (*iam.Client)(nil)
	_ lambda.Handler = (*agecheck.Handler)(nil)
)

// lastUsed adapts the IAM client to agecheck.LastUsedFunc.
func lastUsed(client iamAPI) agecheck.LastUsedFunc {
	return func(ctx context.Context, userName, accessKeyID string) (agecheck.LastUsed, error) {
		out, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(accessKeyID)})
		if err != nil {
			return agecheck.LastUsed{}, fmt.Errorf("get last use of access key %s of user %q: %w", accessKeyID, userName, err)
		}
		if out.AccessKeyLastUsed == nil {
			return agecheck.LastUsed{}, fmt.Errorf("get last use of access key %s of user %q: %w", accessKeyID, userName, errNoLastUsed)
		}
		lu := out.AccessKeyLastUsed
		res := agecheck.LastUsed{ServiceName: aws.ToString(lu.ServiceName), Region: aws.ToString(lu.Region)}
		if lu.LastUsedDate != nil {
			res.Date = lu.LastUsedDate.UTC()
		}
		return res, nil
	}
}

// errNoLastUsed reports a response without the AccessKeyLastUsed element IAM always sends.
var errNoLastUsed = errors.New("response has no AccessKeyLastUsed")

func newHandler(ctx context.Context) (*agecheck.Handler, error) {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	// The default chain: the execution role's credentials, AWS_REGION, and AWS_ENDPOINT_URL /
	// AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_SESV2, through which tests point the function at a
	// local IAM and SES.
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	iamClient := iam.NewFromConfig(cfg)
	return &agecheck.Handler{
		LastUsed:  lastUsed(iamClient),
		OwnerTags: ownerTags(iamClient),
		OwnerMail: ownerMail(sesv2.NewFromConfig(cfg)),
		Logger:    logger,
	}, nil
}

func main() {
	h, err := newHandler(context.Background())
	if err != nil {
		// Before lambda.Start the runtime reports a non-zero exit as an init error.
		slog.Error("init", "error", err)
		os.Exit(1)
	}
	lambda.Start(h) // a lambda.Handler: the payload reaches agecheck undecoded
}
