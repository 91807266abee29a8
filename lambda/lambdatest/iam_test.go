package lambdatest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestIAMAnswersGetAccessKeyLastUsedFromTheAccount has the real IAM client read what the
// account says: a used key, a never-used key and a key it does not have, each asked once.
func TestIAMAnswersGetAccessKeyLastUsedFromTheAccount(t *testing.T) {
	used := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	a := NewAccount("123456789012")
	a.Add(&User{Name: "alice", Keys: []*Key{{ID: "AKIAUSED", Status: "Active", LastUsed: used, LastService: "s3", LastRegion: "eu-west-1"}}},
		&User{Name: "bob", Keys: []*Key{{ID: "AKIANEVER", Status: "Active"}}})
	f := NewIAM(t, a)
	client, ctx := f.Client(), context.Background()

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
	if lu := out.AccessKeyLastUsed; lu.LastUsedDate != nil || aws.ToString(lu.ServiceName) != "N/A" || aws.ToString(lu.Region) != "N/A" || aws.ToString(out.UserName) != "bob" {
		t.Errorf("AKIANEVER: got %q, %v, %q, %q; want bob, no date, N/A, N/A", aws.ToString(out.UserName), lu.LastUsedDate, aws.ToString(lu.ServiceName), aws.ToString(lu.Region))
	}

	_, err = client.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAGONE")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || apiErr.ErrorMessage() != "no access key AKIAGONE" {
		t.Errorf("AKIAGONE: got %v, want AccessDenied for a key the account does not have", err)
	}

	if got, want := a.KeyCalls(), []string{"AKIAUSED", "AKIANEVER", "AKIAGONE"}; !slices.Equal(got, want) {
		t.Errorf("KeyCalls() = %q, want %q", got, want)
	}
	if got := a.LastUsedCalls(); len(got) != 3 || got["AKIAUSED"] != 1 || got["AKIANEVER"] != 1 || got["AKIAGONE"] != 1 {
		t.Errorf("LastUsedCalls() = %v, want one call for each key", got)
	}
}

// TestIAMRoutesByCredentials: with several accounts, a call signed with the caller's own
// credentials acts in the first account; one signed with credentials from the endpoint's STS
// AssumeRole of another account's member role acts in that account; a role that is not the
// member role, or that does not trust the caller, is AccessDenied, and every attempt is logged.
func TestIAMRoutesByCredentials(t *testing.T) {
	own, member, untrusted := NewAccount("111111111111"), NewAccount("222222222222"), NewAccount("333333333333")
	own.Add(&User{Name: "own-user"})
	member.Add(&User{Name: "member-user"})
	untrusted.RoleUntrusted = true
	f := NewIAM(t, own, member, untrusted)
	f.MemberRole = "keyage-member"
	ctx := context.Background()
	names := func(client *iam.Client) string {
		out, err := client.ListUsers(ctx, &iam.ListUsersInput{})
		if err != nil {
			return "error: " + err.Error()
		}
		return aws.ToString(out.Users[0].UserName)
	}
	if got := names(f.Client()); got != "own-user" {
		t.Errorf("own credentials list %q, want own-user (the first account)", got)
	}
	stsClient := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), RetryMaxAttempts: 1})
	assumed := func(role string) *iam.Client {
		provider := stscreds.NewAssumeRoleProvider(stsClient, role, func(o *stscreds.AssumeRoleOptions) { o.RoleSessionName = "run-1" })
		return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(f.URL), Credentials: aws.NewCredentialsCache(provider), RetryMaxAttempts: 1})
	}
	if got := names(assumed("arn:aws:iam::222222222222:role/keyage-member")); got != "member-user" {
		t.Errorf("the member role's credentials list %q, want member-user", got)
	}
	for _, role := range []string{"arn:aws:iam::333333333333:role/keyage-member", "arn:aws:iam::222222222222:role/admin", "arn:aws:iam::444444444444:role/keyage-member"} {
		if got := names(assumed(role)); !strings.Contains(got, "AccessDenied") || !strings.Contains(got, "sts:AssumeRole on resource: "+role) {
			t.Errorf("assuming %s: %q, want AccessDenied naming the role", role, got)
		}
	}
	if got := f.Assumed(); len(got) != 4 || got[0] != "arn:aws:iam::222222222222:role/keyage-member as run-1" {
		t.Errorf("Assumed() = %q, want the four attempts, the member role's first", got)
	}
	if own.ListUsersCalls() != 1 || member.ListUsersCalls() != 1 || untrusted.ListUsersCalls() != 0 {
		t.Errorf("ListUsers calls: own %d, member %d, untrusted %d; want 1, 1, 0", own.ListUsersCalls(), member.ListUsersCalls(), untrusted.ListUsersCalls())
	}
}

// TestAccountPagesAndThrottles drives ListUsers and ListAccessKeys through the real client's
// paginators: pages as PageSize says, throttling counted and answered, keys with their user.
func TestAccountPagesAndThrottles(t *testing.T) {
	a := NewAccount("123456789012")
	for i := range 5 {
		a.Add(&User{Name: fmt.Sprintf("u%d", i), Keys: []*Key{{ID: fmt.Sprintf("AKIA%d", i), Status: "Active"}}})
	}
	a.PageSize = func(page, maxItems int) int { return page + 1 } // 1, 2, then 2 users
	a.Throttle("ListUsers", 1)
	client, ctx := NewIAM(t, a).Client(), context.Background()
	var apiErr smithy.APIError
	if _, err := client.ListUsers(ctx, &iam.ListUsersInput{}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" {
		t.Fatalf("first ListUsers = %v, want Throttling", err)
	}
	var names []string
	pages := 0
	for p := iam.NewListUsersPaginator(client, &iam.ListUsersInput{}); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
			if arn := aws.ToString(u.Arn); arn != "arn:aws:iam::123456789012:user/"+aws.ToString(u.UserName) {
				t.Errorf("user ARN %q", arn)
			}
		}
	}
	if want := []string{"u0", "u1", "u2", "u3", "u4"}; !slices.Equal(names, want) || pages != 3 {
		t.Errorf("listed %q in %d pages, want %q in 3", names, pages, want)
	}
	if got := a.ListUsersCalls(); got != 4 {
		t.Errorf("ListUsersCalls() = %d, want 4 (one throttled)", got)
	}
	out, err := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("U3")})
	if err != nil || len(out.AccessKeyMetadata) != 1 || aws.ToString(out.AccessKeyMetadata[0].UserName) != "u3" || aws.ToString(out.AccessKeyMetadata[0].AccessKeyId) != "AKIA3" {
		t.Errorf("ListAccessKeys U3 = %+v, %v; want u3's key AKIA3 (names are case-insensitive)", out, err)
	}
}

// TestIAMAnswersListUserTags has the real IAM client read a user's tags, a user whose tags it
// may not read, and a user that does not exist; every call is counted.
func TestIAMAnswersListUserTags(t *testing.T) {
	a := NewAccount("123456789012")
	a.Add(&User{Name: "alice", Tags: map[string]string{"team": "x", "keyage-exempt-until": "2027-01-31"}},
		&User{Name: "bob", TagsDenied: true}, &User{Name: "carol"})
	client, ctx := NewIAM(t, a).Client(), context.Background()

	out, err := client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("ALICE")})
	if err != nil {
		t.Fatalf("alice: %v", err)
	}
	var got []string
	for _, tag := range out.Tags {
		got = append(got, aws.ToString(tag.Key)+"="+aws.ToString(tag.Value))
	}
	if want := []string{"keyage-exempt-until=2027-01-31", "team=x"}; !slices.Equal(got, want) || out.IsTruncated {
		t.Errorf("alice: got %q (truncated %v), want %q on one page", got, out.IsTruncated, want)
	}
	if out, err := client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("carol")}); err != nil || len(out.Tags) != 0 {
		t.Errorf("carol: got %v, %v; want no tags", out, err)
	}
	for user, code := range map[string]string{"bob": "AccessDenied", "dave": "NoSuchEntity"} {
		_, err := client.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(user)})
		var apiErr smithy.APIError
		if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code {
			t.Errorf("%s: got %v, want %s", user, err, code)
		}
	}
	if got := a.UserTagsCalls(); len(got) != 4 || got["ALICE"] != 1 || got["bob"] != 1 {
		t.Errorf("UserTagsCalls() = %v, want one call per user asked", got)
	}
}
