package sfnlocal

import (
	"testing"
	"time"
)

// The synthetic deployment the self-tests run against.
const (
	testAccount = "123456789012"
	testRegion  = "us-east-1"
	testTopic   = "arn:aws:sns:us-east-1:123456789012:keyage-findings"
)

// testNow is when every self-test's execution starts.
var testNow = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// newBareEnv is an Env without the function, for machines that do not invoke it.
func newBareEnv(t testing.TB, account *Account) *Env {
	t.Helper()
	return NewEnv(t, account, nil, testTopic, testRegion, testNow)
}
