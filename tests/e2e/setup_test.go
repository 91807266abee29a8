package e2e

import (
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/keyage/keyage/lambda/lambdatest"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
)

// Identity of the synthetic deployment the tests run against.
const (
	testAccount  = "123456789012"
	testRegion   = "us-east-1"
	testFunction = "arn:aws:lambda:us-east-1:123456789012:function:keyage-agecheck"
	testTopic    = "arn:aws:sns:us-east-1:123456789012:keyage-findings"
	// testOwnersTopic is the owners topic, published on when the settings have ownerSubscriptions.
	testOwnersTopic = "arn:aws:sns:us-east-1:123456789012:keyage-owners"
	// testChatTopic is the chat topic, published to by stacks with chat only.
	testChatTopic = "arn:aws:sns:us-east-1:123456789012:keyage-chat"
)

// testNow is the scheduled time every scenario runs at.
var testNow = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// functionBinary builds the real function once per test binary.
func functionBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "keyage-e2e-bin-")
		if buildErr != nil {
			return
		}
		buildBin, buildErr = lambdatest.BuildTo(buildDir)
	})
	if buildErr != nil {
		t.Fatalf("%v", buildErr)
	}
	return buildBin
}

// newEnv is the scenario's world: the account, the real function (its IAM calls answered by
// the account through lambdatest's fake IAM), and the task server.
func newEnv(t testing.TB, account *sfnlocal.Account) *sfnlocal.Env {
	t.Helper()
	sfnlocal.SharedHarness(t) // skip before building the function when Node is missing
	bin := functionBinary(t)
	iam := lambdatest.NewIAM(t, account)
	fn := sfnlocal.StartFunction(t, bin, testFunction, 2, 30*time.Second, map[string]string{
		"AWS_REGION":       testRegion,
		"AWS_ENDPOINT_URL": iam.URL,
		"AWS_MAX_ATTEMPTS": "1",
	})
	e := sfnlocal.NewEnv(t, account, fn, testTopic, testRegion, testNow)
	e.Tasks.OwnersTopicARN = testOwnersTopic
	return e
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// days is a duration of n days.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// keyID derives a 20-character access key ID from a user's and a key's index.
func keyID(user, key int) string { return fmt.Sprintf("AKIA%014d%02d", user, key) }
