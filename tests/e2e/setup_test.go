package e2e

import (
	"fmt"
	"maps"
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
	e, _ := startWorld(t, account, nil, false, nil)
	e.Tasks.OwnersTopicARN = testOwnersTopic
	return e
}

// startWorld starts what a run talks to besides the state machine: lambdatest's fake IAM
// answering for own and the members (and, in an organization run, STS for the member role), the
// real function (2 invocations at a time, 4 in an organization run) with its AWS SDK pointed
// there and the extra environment, and the task server, which knows the members.
func startWorld(t testing.TB, own *sfnlocal.Account, members []*sfnlocal.Account, organization bool, extra map[string]string) (*sfnlocal.Env, *lambdatest.IAM) {
	t.Helper()
	sfnlocal.SharedHarness(t) // skip before building the function when Node is missing
	bin := functionBinary(t)
	iam := lambdatest.NewIAM(t, append([]*sfnlocal.Account{own}, members...)...)
	concurrency := 2
	if organization {
		iam.MemberRole, concurrency = memberRole, 4
	}
	env := map[string]string{
		"AWS_REGION":       testRegion,
		"AWS_ENDPOINT_URL": iam.URL, // IAM and STS
		"AWS_MAX_ATTEMPTS": "1",
	}
	maps.Copy(env, extra)
	fn := sfnlocal.StartFunction(t, bin, testFunction, concurrency, 30*time.Second, env)
	e := sfnlocal.NewEnv(t, own, fn, testTopic, testRegion, testNow)
	if organization {
		e.Tasks.Members, e.Tasks.MemberRole = lambdatest.NewAccounts(members...), memberRole
	}
	return e, iam
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
