package awsid

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

func TestIsPartition(t *testing.T) {
	for s, want := range map[string]bool{
		"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso-b": true,
		"": false, "AWS": false, "aws-": false, "aws-cn1": false, "gcp": false, " aws": false, "aws:cn": false,
	} {
		if got := IsPartition(s); got != want {
			t.Errorf("IsPartition(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsRegion(t *testing.T) {
	for s, want := range map[string]bool{
		"us-east-1": true, "eu-central-2": true, "us-gov-west-1": true, "cn-northwest-1": true, "us-isob-east-1": true,
		"": false, "US-EAST-1": false, "us-east": false, "useast1": false, "mars": false, "u-east-1": false, "us-east-1a": false,
	} {
		if got := IsRegion(s); got != want {
			t.Errorf("IsRegion(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"123456789012": true, "000000000000": true,
		"": false, "12345678901": false, "1234567890123": false, "12345678901a": false, "1234-5678-90": false,
		"１23456789012": false, // a full-width digit is not an ASCII one
	} {
		if got := IsAccountID(s); got != want {
			t.Errorf("IsAccountID(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsPath(t *testing.T) {
	for s, want := range map[string]bool{
		"/": true, "/keyage/": true, "/a/b/": true, "///": true, "/" + strings.Repeat("p", 510) + "/": true,
		"": false, "//": false, "keyage/": false, "/keyage": false, "/a b/": false, "/\x7f/": false,
		"/" + strings.Repeat("p", 511) + "/": false,
	} {
		if got := IsPath(s); got != want {
			t.Errorf("IsPath(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestIsUserName(t *testing.T) {
	for s, want := range map[string]bool{
		"alice": true, "Bob_2+=,.@-": true, strings.Repeat("u", 64): true,
		"": false, "a b": false, "a/b": false, "a*": false, "é": false, strings.Repeat("u", 65): false,
	} {
		if got, role := IsUserName(s), IsRoleName(s); got != want || role != want {
			t.Errorf("IsUserName(%q), IsRoleName = %v, %v; want %v", s, got, role, want)
		}
	}
}

func TestPartitionOf(t *testing.T) {
	for region, want := range map[string]string{
		"": "aws", "us-east-1": "aws", "eu-central-2": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b",
	} {
		if got := PartitionOf(region); got != want {
			t.Errorf("PartitionOf(%q) = %q, want %q", region, got, want)
		}
	}
}

func TestARN(t *testing.T) {
	for _, tt := range []struct {
		partition, service, region, account, resource, want string
	}{
		{"aws", "lambda", "us-east-1", "123456789012", "function:f", "arn:aws:lambda:us-east-1:123456789012:function:f"},
		{"aws-cn", "iam", "", "123456789012", "user/*", "arn:aws-cn:iam::123456789012:user/*"},
		{"aws", "s3", "", "", "bucket/key", "arn:aws:s3:::bucket/key"},
	} {
		got := ARN(tt.partition, tt.service, tt.region, tt.account, tt.resource)
		if got != tt.want {
			t.Errorf("ARN(%q, %q, %q, %q, %q) = %q, want %q", tt.partition, tt.service, tt.region, tt.account, tt.resource, got, tt.want)
		}
		back, err := arn.Parse(got)
		if err != nil || back.Partition != tt.partition || back.Service != tt.service || back.Region != tt.region ||
			back.AccountID != tt.account || back.Resource != tt.resource {
			t.Errorf("arn.Parse(%q) = %+v, %v; want the fields ARN was given", got, back, err)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, s, service string
		ok, okRegional   bool
		region, account  string
		resource         string
	}{
		{"regional", "arn:aws:sqs:eu-west-1:123456789012:q", "sqs", true, true, "eu-west-1", "123456789012", "q"},
		{"resource with colons", "arn:aws:lambda:us-east-1:123456789012:function:f:live", "lambda", true, true, "us-east-1", "123456789012", "function:f:live"},
		{"global", "arn:aws-us-gov:iam::123456789012:role/r", "iam", true, false, "", "123456789012", "role/r"},
		{"AWS-managed policy", "arn:aws:iam::aws:policy/ReadOnlyAccess", "iam", true, false, "", "aws", "policy/ReadOnlyAccess"},
		{"other service", "arn:aws:sns:eu-west-1:123456789012:q", "sqs", false, false, "", "", ""},
		{"bad partition", "arn:AWS:sqs:eu-west-1:123456789012:q", "sqs", false, false, "", "", ""},
		{"bad region", "arn:aws:sqs:EU-WEST-1:123456789012:q", "sqs", true, false, "EU-WEST-1", "123456789012", "q"},
		{"bad account", "arn:aws:sqs:eu-west-1:12345:q", "sqs", true, false, "eu-west-1", "12345", "q"},
		{"five fields", "arn:aws:sqs:eu-west-1:123456789012", "sqs", false, false, "", "", ""},
		{"not an ARN", "sqs:eu-west-1:123456789012:q:x", "sqs", false, false, "", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := Parse(tt.s, tt.service)
			if ok != tt.ok || ok && (a.Service != tt.service || a.Region != tt.region || a.AccountID != tt.account || a.Resource != tt.resource) {
				t.Errorf("Parse(%q, %q) = %+v, %v; want ok %v, region %q, account %q, resource %q", tt.s, tt.service, a, ok, tt.ok, tt.region, tt.account, tt.resource)
			}
			if _, ok := ParseRegional(tt.s, tt.service); ok != tt.okRegional {
				t.Errorf("ParseRegional(%q, %q) ok = %v, want %v", tt.s, tt.service, ok, tt.okRegional)
			}
		})
	}
}
