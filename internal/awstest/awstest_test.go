package awstest_test

import (
	"context"
	"os"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/keyage/keyage/internal/awstest"
)

// TestEnvIsolatesTheSDK: a profile, a global endpoint and credentials of the machine are
// replaced; the SDK loads the test credentials and region, and the named endpoint is set.
func TestEnvIsolatesTheSDK(t *testing.T) {
	t.Setenv("AWS_PROFILE", "no-such-profile")
	t.Setenv("AWS_ENDPOINT_URL", "http://global.invalid")
	t.Setenv("AWS_SESSION_TOKEN", "machine-token")
	awstest.Env(t, map[string]string{"AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:1"})

	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("load AWS configuration: %v", err)
	}
	if cfg.Region != awstest.Region {
		t.Errorf("region %q, want %q", cfg.Region, awstest.Region)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("retrieve credentials: %v", err)
	}
	if creds.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || creds.SessionToken != "" {
		t.Errorf("credentials %s with session token %q, want the static test key and no token", creds.AccessKeyID, creds.SessionToken)
	}
	for k, want := range map[string]string{"AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:1", "AWS_ENDPOINT_URL": ""} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
}
