package main

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/smithy-go"

	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/lambda/lambdatest"
)

func sesClient(url string) *sesv2.Client {
	return sesv2.New(sesv2.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// TestSendEmailRequestBodies: what SES receives from the real client, per sender setting.
func TestSendEmailRequestBodies(t *testing.T) {
	mail := agecheck.OwnerMail{To: "alice@example.com", Subject: "alice@example.com: 1 IAM access key needs action in 123456789012",
		Text: "text body", HTML: "<p>html body</p>"}
	tests := []struct {
		name             string
		from             agecheck.OwnerEmail
		identity, config string
	}{
		{"address only", agecheck.OwnerEmail{From: "keyage@example.com"}, "", ""},
		{"with identity ARN", agecheck.OwnerEmail{From: "keyage@example.com", IdentityARN: "arn:aws:ses:us-east-1:123456789012:identity/example.com"},
			"arn:aws:ses:us-east-1:123456789012:identity/example.com", ""},
		{"with configuration set", agecheck.OwnerEmail{From: "keyage@example.com", ConfigurationSet: "keyage"}, "", "keyage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := lambdatest.NewSES(t)
			if err := ownerMail(sesClient(f.URL))(context.Background(), tt.from, mail); err != nil {
				t.Fatal(err)
			}
			sent := f.Sent()
			if len(sent) != 1 {
				t.Fatalf("SES got %d requests, want 1", len(sent))
			}
			r := sent[0]
			var want lambdatest.SESRequest
			want.FromEmailAddress = "keyage@example.com"
			want.FromEmailAddressIdentityArn = tt.identity
			want.ConfigurationSetName = tt.config
			want.Destination.ToAddresses = []string{"alice@example.com"}
			want.Content.Simple.Subject.Data, want.Content.Simple.Subject.Charset = mail.Subject, "UTF-8"
			want.Content.Simple.Body.Text.Data, want.Content.Simple.Body.Text.Charset = "text body", "UTF-8"
			want.Content.Simple.Body.HTML.Data, want.Content.Simple.Body.HTML.Charset = "<p>html body</p>", "UTF-8"
			if !reflect.DeepEqual(r, want) {
				t.Errorf("got request %+v, want %+v", r, want)
			}
		})
	}
}

func TestSendEmailRejected(t *testing.T) {
	f := lambdatest.NewSES(t)
	f.Reject("bob@example.com", "Email address is not verified. The following identities failed the check in region US-EAST-1: bob@example.com")
	err := ownerMail(sesClient(f.URL))(context.Background(), agecheck.OwnerEmail{From: "keyage@example.com"}, agecheck.OwnerMail{To: "bob@example.com", Subject: "s", Text: "t", HTML: "h"})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "MessageRejected" || !strings.Contains(err.Error(), "send mail to bob@example.com") {
		t.Errorf("got %v, want a MessageRejected APIError naming the recipient", err)
	}
}

// TestFunctionMailsOwnersThroughSES runs the real binary with AWS_ENDPOINT_URL_SESV2: a report
// with owners mails the email owner, and the refused one is in the digest with SES's error.
func TestFunctionMailsOwnersThroughSES(t *testing.T) {
	ses := lambdatest.NewSES(t)
	ses.Reject("bob@example.com", "Email address is not verified.")
	rt := lambdatest.Start(t, functionBinary, map[string]string{"AWS_ENDPOINT_URL_SESV2": ses.URL})
	report := envelope(agecheck.OpReport)
	report.Owners = &agecheck.Owners{TagKeys: []string{"owner"}, MaxMessages: 10, Email: &agecheck.OwnerEmail{From: "keyage@example.com"}}
	findings := []agecheck.Finding{
		{UserName: "alice", AccessKeyID: "AKIAALICE", CreateDate: agecheck.ParseTimestamp("2026-01-01T00:00:00Z"), AgeDays: 326, Severity: "stale", Kinds: []string{"stale"}, Owner: "alice@example.com"},
		{UserName: "bob", AccessKeyID: "AKIABOB", CreateDate: agecheck.ParseTimestamp("2026-02-01T00:00:00Z"), AgeDays: 295, Severity: "stale", Kinds: []string{"stale"}, Owner: "bob@example.com"},
		{UserName: "etl", AccessKeyID: "AKIAETL", CreateDate: agecheck.ParseTimestamp("2026-03-01T00:00:00Z"), AgeDays: 267, Severity: "stale", Kinds: []string{"stale"}, Owner: "team-a"},
	}
	report.Summary = &agecheck.Summary{Counts: agecheck.Counts{Users: 3, Flagged: 3, Stale: 3}, Findings: findings}
	var r agecheck.Report
	invokeOp(t, rt, mustJSON(t, report), &r)
	sent := ses.Sent()
	if len(sent) != 1 || sent[0].Destination.ToAddresses[0] != "alice@example.com" || !strings.Contains(sent[0].Content.Simple.Body.Text.Data, "AKIAALICE") {
		t.Errorf("SES accepted %+v, want one mail to alice@example.com with her key", sent)
	}
	if len(r.OwnerMessages) != 3 {
		t.Errorf("got %d owner messages, want 3 (one per owner)", len(r.OwnerMessages))
	}
	if !strings.Contains(r.Message, "bob@example.com: send mail to bob@example.com: operation error SESv2: SendEmail") ||
		!strings.Contains(r.Message, "MessageRejected") {
		t.Errorf("digest does not name bob@example.com as unmailed with SES's error:\n%s", r.Message)
	}
}

// TestOwnerTagsWithTheRealIAMClient: ListUserTags through the real client, from the fake IAM.
func TestOwnerTagsWithTheRealIAMClient(t *testing.T) {
	a := lambdatest.NewAccount("123456789012")
	a.Add(&lambdatest.User{Name: "alice", Tags: map[string]string{"owner": "alice@example.com", "cost-center": "42"}},
		&lambdatest.User{Name: "bob"},
		&lambdatest.User{Name: "dave", TagsDenied: true})
	lookup := userTags(lambdatest.NewIAM(t, a).Client())
	ctx := context.Background()
	got, err := lookup(ctx, "alice")
	if err != nil || !reflect.DeepEqual(got, map[string]string{"owner": "alice@example.com", "cost-center": "42"}) {
		t.Errorf("alice's tags: got %v (%v), want owner and cost-center", got, err)
	}
	if got, err := lookup(ctx, "bob"); err != nil || len(got) != 0 {
		t.Errorf("bob's tags: got %v (%v), want none", got, err)
	}
	_, err = lookup(ctx, "dave")
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" || !strings.Contains(err.Error(), `"dave"`) {
		t.Errorf("dave's tags: got %v, want AccessDenied naming the user", err)
	}
	if calls := a.Calls("ListUserTags"); strings.Join(calls, ",") != "alice,bob,dave" {
		t.Errorf("fake IAM saw ListUserTags for %v, want alice, bob, dave", calls)
	}
}

// TestFunctionResolvesOwnersThroughIAM runs the real binary against the fake IAM: a check with
// owners reads the tags of the flagged users only, and names each finding's owner.
func TestFunctionResolvesOwnersThroughIAM(t *testing.T) {
	a := lambdatest.NewAccount("123456789012")
	a.Add(&lambdatest.User{Name: "alice", Tags: map[string]string{"Team": "team-a"}},
		&lambdatest.User{Name: "bob", Tags: map[string]string{"owner": "bob@example.com"}},
		&lambdatest.User{Name: "carol"})
	f := lambdatest.NewIAM(t, a)
	rt := lambdatest.Start(t, functionBinary, map[string]string{"AWS_ENDPOINT_URL_IAM": f.URL})
	ev := envelope(agecheck.OpCheck)
	ev.Owners = &agecheck.Owners{TagKeys: []string{"owner", "team"}}
	ev.Users = []agecheck.UserKeys{
		{UserName: "alice", Keys: []agecheck.AccessKey{{AccessKeyID: "AKIAALICE", Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(200 * 24 * time.Hour))}}},
		{UserName: "bob", Keys: []agecheck.AccessKey{{AccessKeyID: "AKIABOB", Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(100 * 24 * time.Hour))}}},
		{UserName: "carol", Keys: []agecheck.AccessKey{{AccessKeyID: "AKIACAROL", Status: "Active", CreateDate: agecheck.ParseTimestamp(ago(2 * 24 * time.Hour))}}},
	}
	var s agecheck.Summary
	invokeOp(t, rt, mustJSON(t, ev), &s)
	got := map[string]string{}
	for _, fd := range s.Findings {
		got[fd.UserName] = fd.Owner
	}
	if !reflect.DeepEqual(got, map[string]string{"alice": "team-a", "bob": "bob@example.com"}) {
		t.Errorf("owners of the findings %v, want alice: team-a, bob: bob@example.com", got)
	}
	if calls := a.Calls("ListUserTags"); strings.Join(calls, ",") != "alice,bob" {
		t.Errorf("ListUserTags for %v, want the flagged users alice and bob only", calls)
	}
}
