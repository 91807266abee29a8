package lambdatest

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

func iamClient(url string) *iam.Client {
	return iam.New(iam.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// TestNewIAMFuncAnswersFromTheLookup has the real IAM client read what a lookup function says:
// a used key, a never-used key and an error, each asked once.
func TestNewIAMFuncAnswersFromTheLookup(t *testing.T) {
	used := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	var asked atomic.Int64
	f := NewIAMFunc(t, func(keyID string) (KeyLastUsed, *IAMError) {
		asked.Add(1)
		switch keyID {
		case "AKIAUSED":
			return KeyLastUsed{UserName: "alice", Date: used, ServiceName: "s3", Region: "eu-west-1"}, nil
		case "AKIANEVER":
			return KeyLastUsed{UserName: "bob"}, nil
		}
		return KeyLastUsed{}, &IAMError{Status: 403, Code: "AccessDenied", Message: "no access key " + keyID}
	})
	client, ctx := iamClient(f.URL), context.Background()

	out, err := client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAUSED")})
	if err != nil {
		t.Fatalf("AKIAUSED: %v", err)
	}
	lu := out.AccessKeyLastUsed
	if aws.ToString(out.UserName) != "alice" || !aws.ToTime(lu.LastUsedDate).Equal(used) || aws.ToString(lu.ServiceName) != "s3" || aws.ToString(lu.Region) != "eu-west-1" {
		t.Errorf("AKIAUSED: got user %q, %v, %q, %q; want alice, %v, s3, eu-west-1",
			aws.ToString(out.UserName), aws.ToTime(lu.LastUsedDate), aws.ToString(lu.ServiceName), aws.ToString(lu.Region), used)
	}

	out, err = client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIANEVER")})
	if err != nil {
		t.Fatalf("AKIANEVER: %v", err)
	}
	if lu := out.AccessKeyLastUsed; lu.LastUsedDate != nil || aws.ToString(lu.ServiceName) != "N/A" || aws.ToString(lu.Region) != "N/A" {
		t.Errorf("AKIANEVER: got %v, %q, %q; want no date, N/A, N/A", lu.LastUsedDate, aws.ToString(lu.ServiceName), aws.ToString(lu.Region))
	}

	_, err = client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAGONE")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || apiErr.ErrorMessage() != "no access key AKIAGONE" {
		t.Errorf("AKIAGONE: got %v, want the lookup's AccessDenied error", err)
	}

	if n := asked.Load(); n != 3 {
		t.Errorf("lookup asked %d times, want 3", n)
	}
	if got, want := f.Calls(), []string{"AKIAUSED", "AKIANEVER", "AKIAGONE"}; !slices.Equal(got, want) {
		t.Errorf("Calls() = %q, want %q", got, want)
	}
}
