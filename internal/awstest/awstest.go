// Package awstest cuts the AWS SDK of a test process off from the machine it runs on: static
// test credentials, one region, no profile, no shared configuration files, no instance metadata,
// and only the endpoints the test names. It is for keyage's tests; it starts no fake service
// (lambdatest and internal/dynalite do) and builds no client.
package awstest

import (
	"path/filepath"
	"testing"
)

// Region is the region Env sets.
const Region = "us-east-1"

// Env sets, for the rest of t, the environment aws-sdk-go-v2 reads (in this process and in the
// processes it starts): static test credentials, Region, an empty profile, configuration and
// credentials files that do not exist, no EC2 instance metadata, no global AWS_ENDPOINT_URL, then
// endpoints, which maps AWS_ENDPOINT_URL_<SERVICE> variables to the fake services' URLs
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html). Like t.Setenv,
// it cannot be used in parallel tests.
func Env(t testing.TB, endpoints map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":            "",
		"AWS_ACCESS_KEY_ID":           "AKIAIOSFODNN7EXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  Region,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	for k, v := range endpoints {
		t.Setenv(k, v)
	}
}
