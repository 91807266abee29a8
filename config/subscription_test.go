package config

import (
	"fmt"
	"strings"
	"testing"
)

// TestSubscriptionARNs pins which ARNs each ARN-taking protocol, and a firehose subscription's
// role, accepts: the partition, service, region and account fields as well as the resource.
func TestSubscriptionARNs(t *testing.T) {
	const (
		sqs      = "arn:aws:sqs:eu-central-1:123456789012:"
		lambda   = "arn:aws:lambda:eu-central-1:123456789012:function:"
		firehose = "arn:aws:firehose:eu-central-1:123456789012:deliverystream/"
	)
	cases := []struct {
		proto, endpoint string
		ok              bool
	}{
		{"sqs", sqs + "q", true},
		{"sqs", sqs + "q.fifo", true},
		{"sqs", sqs + strings.Repeat("q", 80), true},
		{"sqs", sqs + strings.Repeat("q", 81), false},
		{"sqs", sqs, false},
		{"sqs", sqs + "q.txt", false},
		{"sqs", sqs + "q:x", false},
		{"sqs", "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:q", true},
		{"sqs", "arn:AWS:sqs:eu-central-1:123456789012:q", false},
		{"sqs", "arn:aws:sqs:EU-CENTRAL-1:123456789012:q", false},
		{"sqs", "arn:aws:sqs::123456789012:q", false},
		{"sqs", "arn:aws:sqs:eu-central-1:12345678901:q", false},
		{"sqs", "arn:aws:sqs:eu-central-1::q", false},
		{"sqs", "arn:aws:sns:eu-central-1:123456789012:q", false},
		{"sqs", "aws:sqs:eu-central-1:123456789012:q", false},
		{"lambda", lambda + "f", true},
		{"lambda", lambda + "f:$LATEST", true},
		{"lambda", lambda + "f:live", true},
		{"lambda", lambda + "f:live:x", false},
		{"lambda", lambda + "f.g", false},
		{"lambda", lambda, false},
		{"lambda", "arn:aws:lambda:eu-central-1:123456789012:layer:f", false},
		{"lambda", "arn:aws-cn:lambda:cn-north-1:123456789012:function:f", true},
		{"lambda", "arn:aws:lambda:eu-central:123456789012:function:f", false},
		{"firehose", firehose + "s.1", true},
		{"firehose", firehose, false},
		{"firehose", firehose + strings.Repeat("s", 65), false},
		{"firehose", "arn:aws:firehose:eu-central-1:123456789012:stream/s", false},
		{"firehose", "arn:aws:firehose:eu-central-1:1234567890123:deliverystream/s", false},
	}
	for _, c := range cases {
		t.Run(c.proto+" "+c.endpoint, func(t *testing.T) {
			problem, _ := checkEndpoint(c.proto, c.endpoint)
			if got := problem == ""; got != c.ok {
				t.Errorf("checkEndpoint(%q, %q) = %q; want accepted %v", c.proto, c.endpoint, problem, c.ok)
			}
		})
	}

	roles := []struct {
		role string
		ok   bool
	}{
		{"arn:aws:iam::123456789012:role/r", true},
		{"arn:aws:iam::123456789012:role/service/sns-firehose", true},
		{"arn:aws:iam::123456789012:role/a:b/r", true}, // a path may hold any printable ASCII
		{"arn:aws-cn:iam::123456789012:role/r", true},
		{"arn:aws:iam::123456789012:role/", false},
		{"arn:aws:iam::123456789012:role/" + strings.Repeat("r", 65), false},
		{"arn:aws:iam::123456789012:user/r", false},
		{"arn:aws:iam:eu-central-1:123456789012:role/r", false},
		{"arn:aws:iam::aws:role/r", false},
		{"arn:aws:sts::123456789012:role/r", false},
		{"arn:aws-:iam::123456789012:role/r", false},
	}
	for _, c := range roles {
		t.Run("role "+c.role, func(t *testing.T) {
			subs := fmt.Sprintf(`[{"protocol":"firehose","endpoint":%q,"subscriptionRoleArn":%q}]`, firehose+"s", c.role)
			_, err := ParseConfig(namespace(map[string]string{"subscriptions": subs}))
			want := ""
			if !c.ok {
				want = fmt.Sprintf(`subscriptions[0].subscriptionRoleArn: %q is not an IAM role ARN: want arn:aws:iam::123456789012:role/NAME`, c.role)
			}
			if got := fmt.Sprint(err); err == nil && want != "" || err != nil && got != want {
				t.Errorf("subscriptionRoleArn %q: error %v, want %q", c.role, err, want)
			}
		})
	}
}

// TestParseHTTPSEndpointNeedsTheHTTPSScheme: an https subscription's endpoint is an https URL;
// http is refused with its own reason.
func TestParseHTTPSEndpointNeedsTheHTTPSScheme(t *testing.T) {
	tests := []struct {
		endpoint, want string
	}{
		{"ftp://hooks.example.com/x", "is not an https URL"},
		{"wss://hooks.example.com/x", "is not an https URL"},
		{"hooks.example.com/x", "is not an https URL"},
		{"https:///x", "is not an https URL"},
		{"https:hooks.example.com", "is not an https URL"},
		{"HTTP://hooks.example.com/x", "is an http URL, which sends findings unencrypted"},
		{"Http://hooks.example.com/x", "is an http URL, which sends findings unencrypted"},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			v := fmt.Sprintf(`[{"protocol":"https","endpoint":%q}]`, tt.endpoint)
			_, err := Parse(map[string]string{"subscriptions": v})
			if err == nil {
				t.Fatalf("endpoint %q was accepted for protocol https", tt.endpoint)
			}
			if !strings.Contains(err.Error(), "subscriptions[0].endpoint: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want subscriptions[0].endpoint %s", err, tt.want)
			}
		})
	}
	if _, err := Parse(map[string]string{"subscriptions": `[{"protocol":"https","endpoint":"https://hooks.example.com/keyage"}]`}); err != nil {
		t.Errorf("a valid https endpoint: %v", err)
	}
}
