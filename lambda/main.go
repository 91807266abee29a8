// Command lambda is keyage's age-check function: a thin AWS Lambda adapter over package
// agecheck. It wires the IAM client used for last-used and user-tag lookups (tag exemptions,
// owners), the SES v2 client that mails owners, and a JSON logger on stdout
// (CloudWatch Logs), and the DynamoDB ledger when KEYAGE_LEDGER_TABLE names its table (a stack
// with notify: changes), and hands each invocation to agecheck.Handler. It reads no other
// settings from the environment: the policy and "now" arrive in every event. It is built into the bundle
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
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/ledger"
)

// iamAPI lists the IAM calls the function makes: the consumer-side view of *iam.Client.
type iamAPI interface {
	lastUsedAPI
	userTagsAPI
}

type lastUsedAPI interface {
	GetAccessKeyLastUsed(ctx context.Context, in *iam.GetAccessKeyLastUsedInput, optFns ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
}

type userTagsAPI interface {
	ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, optFns ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
}

var (
	_ iamAPI         = (*iam.Client)(nil)
	_ lambda.Handler = (*agecheck.Handler)(nil)
)

// lastUsed adapts the IAM client to agecheck.LastUsedFunc.
func lastUsed(client lastUsedAPI) agecheck.LastUsedFunc {
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

// userTags adapts the IAM client to agecheck.UserTagsFunc: every page of ListUserTags (a user
// has at most 50 tags, one page of the default 100, but IsTruncated is honoured all the same).
func userTags(client userTagsAPI) agecheck.UserTagsFunc {
	return func(ctx context.Context, userName string) (map[string]string, error) {
		tags := map[string]string{}
		in := &iam.ListUserTagsInput{UserName: aws.String(userName)}
		for {
			out, err := client.ListUserTags(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("list tags of user %q: %w", userName, err)
			}
			for _, t := range out.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if !out.IsTruncated || aws.ToString(out.Marker) == "" {
				return tags, nil
			}
			in.Marker = out.Marker
		}
	}
}

// errNoLastUsed reports a response without the AccessKeyLastUsed element IAM always sends.
var errNoLastUsed = errors.New("response has no AccessKeyLastUsed")

func newHandler(ctx context.Context) (*agecheck.Handler, error) {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	// The default chain: the execution role's credentials, AWS_REGION, and AWS_ENDPOINT_URL /
	// AWS_ENDPOINT_URL_IAM / AWS_ENDPOINT_URL_SESV2 / AWS_ENDPOINT_URL_DYNAMODB, through which
	// tests point the function at a local IAM, SES and DynamoDB.
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := iam.NewFromConfig(cfg)
	h := &agecheck.Handler{
		LastUsed:  lastUsed(client),
		UserTags:  userTags(client), // called only when the event reads tag exemptions or owners
		OwnerMail: ownerMail(sesv2.NewFromConfig(cfg)),
		// Another account's keys (an organization run): through its member role, assumed with
		// STS (AWS_ENDPOINT_URL_STS in tests).
		AssumeRole: assumeRole(cfg, sts.NewFromConfig(cfg)),
		Logger:     logger,
	}
	if table := os.Getenv(ledger.EnvTable); table != "" {
		h.Ledger = ledger.New(cfg, table)
	}
	return h, nil
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
