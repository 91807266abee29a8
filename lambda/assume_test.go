package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// fakeSTSAndIAM answers STS AssumeRole (for the one role it trusts, with access key ASIAMEMBER)
// and IAM GetAccessKeyLastUsed, recording which access key signed each IAM call.
type fakeSTSAndIAM struct {
	mu       sync.Mutex
	trusted  string
	assumed  []string // RoleArn as RoleSessionName
	iamKeyID []string // the access key ID that signed each IAM call
}

func (f *fakeSTSAndIAM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	switch r.Form.Get("Action") {
	case "AssumeRole":
		role := r.Form.Get("RoleArn")
		f.assumed = append(f.assumed, role+" as "+r.Form.Get("RoleSessionName"))
		if role != f.trusted {
			w.WriteHeader(403)
			fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform: sts:AssumeRole on resource: %s</Message></Error><RequestId>1</RequestId></ErrorResponse>`, role)
			return
		}
		fmt.Fprint(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAMEMBER</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>`+role+`/x</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	case "GetAccessKeyLastUsed":
		auth := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(auth, "Credential=")
		keyID, _, _ := strings.Cut(cred, "/")
		f.iamKeyID = append(f.iamKeyID, keyID)
		fmt.Fprint(w, `<GetAccessKeyLastUsedResponse><GetAccessKeyLastUsedResult><UserName>alice</UserName><AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed></GetAccessKeyLastUsedResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetAccessKeyLastUsedResponse>`)
	default:
		http.Error(w, "unexpected action "+r.Form.Get("Action"), 400)
	}
}

func TestAssumeRoleLooksUpThroughTheMemberRole(t *testing.T) {
	role := "arn:aws:iam::111111111111:role/keyage-member"
	f := &fakeSTSAndIAM{trusted: role}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDFUNCTION", "secret", ""),
		RetryMaxAttempts: 1,
	}
	assume := assumeRole(cfg, sts.NewFromConfig(cfg))
	ctx := context.Background()

	io, err := assume(ctx, role, "keyage-prod/run:2026-12-01T08:00")
	if err != nil {
		t.Fatalf("assume: %v", err)
	}
	if io.UserTags == nil {
		t.Error("the member's I/O has no tag lookup")
	}
	for _, id := range []string{"AKIA1", "AKIA2"} {
		if _, err := io.LastUsed(ctx, "alice", id); err != nil {
			t.Fatalf("lookup %s: %v", id, err)
		}
	}
	if want := role + " as keyage-prod-run-2026-12-01T08-00"; len(f.assumed) != 1 || f.assumed[0] != want {
		t.Errorf("AssumeRole calls %q, want one: %q", f.assumed, want)
	}
	if strings.Join(f.iamKeyID, ",") != "ASIAMEMBER,ASIAMEMBER" {
		t.Errorf("IAM calls signed by %q, want the member role's credentials (ASIAMEMBER) for both", f.iamKeyID)
	}

	if _, err := assume(ctx, "arn:aws:iam::222222222222:role/keyage-member", "run"); err == nil ||
		!strings.Contains(err.Error(), "assume role arn:aws:iam::222222222222:role/keyage-member") || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("assuming an untrusted role: %v, want an error naming the role and AccessDenied", err)
	}
}

func TestSessionName(t *testing.T) {
	for in, want := range map[string]string{
		"abc":                    "abc",
		"a b/c:d":                "a-b-c-d",
		"":                       "keyage",
		"x":                      "keyage",
		strings.Repeat("r", 80):  strings.Repeat("r", 64),
		"run@keyage=1,2.3+4_5-6": "run@keyage=1,2.3+4_5-6",
	} {
		if got := sessionName(in); got != want {
			t.Errorf("sessionName(%q) = %q, want %q", in, got, want)
		}
	}
}
