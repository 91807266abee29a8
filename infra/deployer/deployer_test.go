package deployer

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/internal/modroot"
)

var testEnv = Env{Partition: "aws", Region: "eu-central-1", AccountID: "123456789012"}

var (
	docsOnce sync.Once
	docs     map[string]infra.PolicyDocument
	docsErr  error
)

// stackDocs derives the policy of each example stack once (the program builds the function).
func stackDocs(t *testing.T) map[string]infra.PolicyDocument {
	t.Helper()
	docsOnce.Do(func() {
		docs = map[string]infra.PolicyDocument{}
		for _, stack := range []string{"dev", "prod"} {
			s, err := config.LoadStackFile(modroot.MustFind(t), stack)
			if err != nil {
				docsErr = err
				return
			}
			if docs[stack], err = ForStack(s, stack, testEnv); err != nil {
				docsErr = err
				return
			}
		}
	})
	if docsErr != nil {
		t.Fatal(docsErr)
	}
	return docs
}

// statement returns the statement whose Resource list holds arn.
func statement(t *testing.T, doc infra.PolicyDocument, arn string) infra.Statement {
	t.Helper()
	for _, st := range doc.Statement {
		if slices.Contains(st.Resource, arn) {
			return st
		}
	}
	t.Fatalf("no statement on %s; statements: %+v", arn, doc.Statement)
	return infra.Statement{}
}

func TestPolicyScopesToTheStack(t *testing.T) {
	doc := stackDocs(t)["prod"]
	for arn, actions := range map[string][]string{
		"arn:aws:states:eu-central-1:123456789012:stateMachine:keyage-prod":              {"states:CreateStateMachine", "states:DeleteStateMachine"},
		"arn:aws:lambda:eu-central-1:123456789012:function:keyage-prod-*":                {"lambda:CreateFunction", "lambda:UpdateFunctionCode"},
		"arn:aws:cloudwatch:eu-central-1:123456789012:alarm:keyage-prod-*":               {"cloudwatch:PutMetricAlarm"},
		"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/keyage-prod-*":     {"logs:CreateLogGroup", "logs:PutRetentionPolicy"},
		"arn:aws:scheduler:eu-central-1:123456789012:schedule/keyage-prod/keyage-prod-*": {"scheduler:CreateSchedule"},
		"arn:aws:kms:eu-central-1:123456789012:alias/keyage-prod":                        {"kms:CreateAlias"},
		"arn:aws:iam::123456789012:role/keyage-prod-*":                                   {"iam:CreateRole", "iam:PutRolePolicy"},
		"arn:aws:sns:eu-central-1:123456789012:keyage-prod-*":                            {"sns:CreateTopic", "sns:Subscribe", "sns:Unsubscribe"},
		"arn:aws:sqs:eu-central-1:123456789012:keyage-prod-*":                            {"sqs:CreateQueue", "sqs:SetQueueAttributes"},
	} {
		st := statement(t, doc, arn)
		for _, a := range actions {
			if !slices.Contains(st.Action, a) {
				t.Errorf("statement %s on %s lacks %s: %v", st.Sid, arn, a, st.Action)
			}
		}
	}
	for _, st := range doc.Statement {
		for _, arn := range st.Resource {
			if arn == "*" {
				for _, a := range st.Action {
					if !unscoped[a] {
						t.Errorf("%s is on \"*\", want it scoped", a)
					}
				}
				continue
			}
			if strings.Contains(arn, "keyage-dev") {
				t.Errorf("prod's policy names dev's %s", arn)
			}
		}
	}
}

func TestPolicyPassesEachRoleToItsServiceOnly(t *testing.T) {
	want := map[string]string{
		"lambda.amazonaws.com":    "arn:aws:iam::123456789012:role/keyage-prod-*",
		"states.amazonaws.com":    "arn:aws:iam::123456789012:role/keyage-prod-*",
		"scheduler.amazonaws.com": "arn:aws:iam::123456789012:role/keyage-prod-*",
	}
	got := map[string]string{}
	for _, st := range stackDocs(t)["prod"].Statement {
		if !slices.Contains(st.Action, passRole) {
			continue
		}
		services := st.Condition["StringEquals"]["iam:PassedToService"]
		if len(st.Action) != 1 || len(st.Resource) != 1 || len(services) != 1 || services[0] == "" {
			t.Errorf("statement %s: %v on %v with condition %v; want iam:PassRole alone, on one role, for one service", st.Sid, st.Action, st.Resource, st.Condition)
			continue
		}
		got[services[0]] = st.Resource[0]
	}
	if len(got) != len(want) {
		t.Errorf("iam:PassRole for %v, want %v", got, want)
	}
	for service, role := range want {
		if got[service] != role {
			t.Errorf("role passed to %s: %q, want %q", service, got[service], role)
		}
	}
}

// TestPolicyScopingMatchesIAM has tests/node/iam-scope.mjs check every action of both example
// stacks' policies against AWS's service authorization data: the action exists, "*" only where
// IAM allows nothing narrower, and every ARN is one the action can be authorized on.
func TestPolicyScopingMatchesIAM(t *testing.T) {
	root := modroot.MustFind(t)
	if _, err := os.Stat(filepath.Join(root, "tests", "node", "node_modules", "@cloud-copilot", "iam-data")); err != nil {
		t.Fatalf("tests/node/node_modules is missing (%v): run `npm ci --prefix tests/node` first", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed (%v): install Node.js 20 or later, then run `npm ci --prefix tests/node`", err)
	}
	for stack, doc := range stackDocs(t) {
		in, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(node, filepath.Join(root, "tests", "node", "iam-scope.mjs"))
		cmd.Stdin = bytes.NewReader(in)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		var exit *exec.ExitError
		if runErr != nil && (!errors.As(runErr, &exit) || exit.ExitCode() != 1) {
			t.Fatalf("iam-scope.mjs could not check %s's policy: %v\n%s", stack, runErr, stderr.String())
		}
		var report struct {
			Checked  int
			Problems []struct{ Sid, Action, Problem string }
		}
		if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
			t.Fatalf("iam-scope.mjs output %q: %v", stdout.String(), err)
		}
		if report.Checked < 50 {
			t.Errorf("%s: iam-scope.mjs checked %d actions, want the whole policy", stack, report.Checked)
		}
		for _, p := range report.Problems {
			t.Errorf("%s: statement %s: %s %s", stack, p.Sid, p.Action, p.Problem)
		}
	}
}

func TestEveryTypeOfTheTableHasARNs(t *testing.T) {
	p := planner{env: testEnv, prefix: "keyage-prod"}
	for typ := range Table {
		if _, err := p.arns(infratest.Resource{Type: typ, Name: "x", Inputs: resource.PropertyMap{}}); err != nil &&
			strings.Contains(err.Error(), "no ARN known") {
			t.Errorf("Table lists %s, but arns does not know its ARN", typ)
		}
	}
	for a := range unscoped {
		found := false
		for _, access := range Table {
			found = found || slices.Contains(access.all(), a)
		}
		if !found {
			t.Errorf("unscoped lists %s, which no type of Table needs", a)
		}
	}
}

func TestPolicyRefusesUnknownTypes(t *testing.T) {
	_, err := Policy([]infratest.Resource{{Type: "aws:s3/bucket:Bucket", Name: "b", Custom: true}}, testEnv, "keyage-prod")
	if err == nil || !strings.Contains(err.Error(), "resource b has type aws:s3/bucket:Bucket, which deployer.Table does not list") {
		t.Errorf("Policy(bucket) = %v, want the type named", err)
	}
	// Components and providers make no AWS calls.
	doc, err := Policy([]infratest.Resource{{Type: "keyage:index:KeyAgeNotifier", Name: "c"}, {Type: "pulumi:providers:aws", Name: "p", Custom: true}}, testEnv, "keyage-prod")
	if err != nil || len(doc.Statement) != 0 {
		t.Errorf("Policy(component, provider) = %v, %v; want no statement", doc.Statement, err)
	}
}

func TestScope(t *testing.T) {
	p := planner{prefix: "keyage-prod"}
	named := func(name string) infratest.Resource {
		return infratest.Resource{Name: "logical", Inputs: resource.PropertyMap{"name": resource.NewProperty(name)}}
	}
	for name, want := range map[string]string{
		"keyage-prod":                      "keyage-prod",
		"keyage-prod-agecheck":             "keyage-prod-*",
		"/aws/lambda/keyage-prod-agecheck": "/aws/lambda/keyage-prod-*",
		"alias/keyage-prod":                "alias/keyage-prod",
		"keyage-production-agecheck":       "keyage-production-agecheck", // another stack's prefix
		"someone-else":                     "someone-else",
	} {
		if got := p.scope(named(name), name); got != want {
			t.Errorf("scope(%q) = %q, want %q", name, got, want)
		}
	}
	if got := p.scope(infratest.Resource{Name: "keyage-findings"}, "keyage-findings"); got != "keyage-findings-*" {
		t.Errorf("scope(auto-named keyage-findings) = %q, want keyage-findings-* (Pulumi's auto-names)", got)
	}
}

// TestForStackNeedsNoToolchain derives a policy with no Go toolchain on PATH and outside the
// module: the function's code plays no part in the policy, so it is not built.
func TestForStackNeedsNoToolchain(t *testing.T) {
	s, err := config.LoadStackFile(modroot.MustFind(t), "prod")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir())
	t.Setenv("GOROOT", "")
	t.Chdir(t.TempDir())
	if _, err := ForStack(s, "prod", testEnv); err != nil {
		t.Errorf("ForStack outside the module, without go on PATH: %v; want the policy", err)
	}
}
