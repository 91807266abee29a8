package infra_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/internal/golden"
	"github.com/keyage/keyage/workflow"
)

// Resource types, as registered.
const (
	tRole         = "aws:iam/role:Role"
	tRolePolicy   = "aws:iam/rolePolicy:RolePolicy"
	tKey          = "aws:kms/key:Key"
	tKeyAlias     = "aws:kms/alias:Alias"
	tTopic        = "aws:sns/topic:Topic"
	tTopicPolicy  = "aws:sns/topicPolicy:TopicPolicy"
	tSubscription = "aws:sns/topicSubscription:TopicSubscription"
	tLogGroup     = "aws:cloudwatch/logGroup:LogGroup"
	tFunction     = "aws:lambda/function:Function"
	tMachine      = "aws:sfn/stateMachine:StateMachine"
	tQueue        = "aws:sqs/queue:Queue"
	tQueuePolicy  = "aws:sqs/queuePolicy:QueuePolicy"
	tGroup        = "aws:scheduler/scheduleGroup:ScheduleGroup"
	tSchedule     = "aws:scheduler/schedule:Schedule"
	tAlarm        = "aws:cloudwatch/metricAlarm:MetricAlarm"
	tTable        = "aws:dynamodb/table:Table"
)

// Physical names for component "keyage" in stack "dev".
const (
	functionName    = "keyage-dev-agecheck"
	machineName     = "keyage-dev"
	findingsTopic   = "keyage-dev-findings"
	alarmTopic      = "keyage-dev-alarms"
	deadLetterQueue = "keyage-dev-schedule-dlq"
	ledgerTable     = "keyage-dev-ledger"
)

var (
	machineARN  = arn("aws", "states", "stateMachine:"+machineName)
	functionARN = arn("aws", "lambda", "function:"+functionName)
	findingsARN = arn("aws", "sns", findingsTopic)
	alarmsARN   = arn("aws", "sns", alarmTopic)
	roleARN     = func(name string) string { return "arn:aws:iam::" + account + ":role/" + name }
)

// fullSettings sets every key to a value other than its default.
var fullSettings = map[string]string{
	"maxAgeDays":                 "60",
	"warnAgeDays":                "45",
	"exemptUsers":                `["break-glass","svc-*"]`,
	"schedule":                   "cron(30 7 ? * MON-FRI *)",
	"scheduleTimezone":           "Europe/Berlin",
	"scheduleEnabled":            "false",
	"maxConcurrency":             "20",
	"logLevel":                   "ALL",
	"includeExecutionData":       "true",
	"logRetentionDays":           "90",
	"functionMemoryMB":           "512",
	"scheduleRetryAttempts":      "5",
	"scheduleMaxEventAgeSeconds": "7200",
	"remindEveryDays":            "3",
	"ledgerRetentionDays":        "30",
	"ledgerDeletionProtection":   "true",
	"tags":                       `{"team":"security","cost-center":"42"}`,
	"subscriptions": `[
		{"protocol":"email","endpoint":"security@example.com","filterPolicy":{"severity":["stale"]}},
		{"protocol":"https","endpoint":"https://hooks.example.com/keyage","rawMessageDelivery":true},
		{"protocol":"sqs","endpoint":"arn:aws:sqs:eu-west-1:111122223333:findings","filterPolicy":{"severity":[{"anything-but":"warning"}]},"filterPolicyScope":"MessageAttributes"},
		{"protocol":"firehose","endpoint":"arn:aws:firehose:eu-west-1:111122223333:deliverystream/keyage","subscriptionRoleArn":"arn:aws:iam::111122223333:role/sns-firehose"}
	]`,
	"alarmSubscriptions": `[{"protocol":"email","endpoint":"oncall@example.com"}]`,
	"chat":               `{"slack":[{"teamId":"T07EA123LEP","channelId":"C07EZ1ABC23"}]}`,
}

func TestEveryResourceIsAChildOfTheComponent(t *testing.T) {
	t.Parallel()
	d := mustRun(t, fullSettings)
	c := d.component()
	if c.Parent == "" || !strings.HasSuffix(c.Parent, "pulumi:pulumi:Stack::keyage-dev") {
		t.Errorf("component's parent is %q, want the stack", c.Parent)
	}
	counts := map[string]int{}
	for _, r := range d.res {
		if r.Type == infra.TypeToken {
			continue
		}
		counts[r.Type]++
		if r.Parent != c.URN {
			t.Errorf("%s %q: parent is %q, want the component %q", r.Type, r.Name, r.Parent, c.URN)
		}
		if !r.Custom {
			t.Errorf("%s %q: registered as a component, want a custom resource", r.Type, r.Name)
		}
		if !strings.HasPrefix(r.Name, infra.ComponentName+"-") {
			t.Errorf("%s %q: logical name does not start with the component's name", r.Type, r.Name)
		}
	}
	want := map[string]int{
		tRole: 3 + 1, tRolePolicy: 3 + 1, tKey: 1, tKeyAlias: 1, tTopic: 2 + 1, tTopicPolicy: 2 + 1, tSubscription: 5, tLogGroup: 2,
		tFunction: 1, tMachine: 1, tQueue: 1, tQueuePolicy: 1, tGroup: 1, tSchedule: 1,
		// chat: its topic and topic policy, its role and role policy, its guardrail, one Slack channel
		tGuardrail: 1, tSlackChannel: 1,
		tTable: 1, // the ledger (notify: changes)
		// 4 execution alarms, function errors, dead letters, and the dead-man's switch
		tAlarm: 7,
	}
	for typ, n := range want {
		if counts[typ] != n {
			t.Errorf("%s: registered %d, want %d", typ, counts[typ], n)
		}
	}
	for typ, n := range counts {
		if _, ok := want[typ]; !ok {
			t.Errorf("%s: registered %d, want none", typ, n)
		}
	}
}

func TestFunction(t *testing.T) {
	t.Parallel()
	d := mustRun(t, fullSettings)
	fn := d.one(tFunction, "keyage-function")
	wantInput(t, fn, "name", functionName)
	wantInput(t, fn, "runtime", "provided.al2023")
	wantInput(t, fn, "architectures", []string{"arm64"})
	wantInput(t, fn, "handler", "bootstrap")
	wantInput(t, fn, "memorySize", 512)
	wantInput(t, fn, "timeout", workflow.FunctionTimeoutSeconds)
	wantInput(t, fn, "tracingConfig.mode", "Active")
	wantInput(t, fn, "role", roleARN("keyage-dev-function-role"))
	wantInput(t, fn, "code", map[string]string{"archive": dummyFunction.ZipPath})
	wantInput(t, fn, "sourceCodeHash", dummyFunction.SHA256Base64)
	wantInput(t, fn, "loggingConfig.logGroup", "/aws/lambda/"+functionName)
	// The ledger table's name is the only variable: the function reads its policy from each event.
	wantInput(t, fn, "environment.variables", map[string]string{"KEYAGE_LEDGER_TABLE": ledgerTable})

	logs := d.one(tLogGroup, "keyage-function-logs")
	wantInput(t, logs, "name", "/aws/lambda/"+functionName)
	wantInput(t, logs, "retentionInDays", 90)
	// The log group and the role's policy exist before the function runs or logs.
	for _, dep := range []string{logs.URN, d.one(tRolePolicy, "keyage-function-policy").URN} {
		if !slices.Contains(fn.DependsOn, dep) {
			t.Errorf("%s %q: does not depend on %s", fn.Type, fn.Name, dep)
		}
	}
}

func TestFunctionRole(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	role := d.one(tRole, "keyage-function-role")
	// AWS documents no aws:SourceArn for Lambda's AssumeRole: the account is the condition.
	wantTrust(t, role, "lambda.amazonaws.com")

	rp := d.one(tRolePolicy, "keyage-function-policy")
	wantInput(t, rp, "role", "keyage-dev-function-role")
	doc := policy(t, rp, "policy")
	wantStatements(t, rp, doc, map[string][2][]string{
		"WriteOwnLogs": {{"logs:CreateLogStream", "logs:PutLogEvents"},
			{arn("aws", "logs", "log-group:/aws/lambda/"+functionName+":*")}},
		// ownerTagKeys defaults to [owner]: the function reads flagged users' tags too.
		"ReadFlaggedUsers": {{"iam:GetAccessKeyLastUsed", "iam:ListUserTags"}, {"arn:aws:iam::" + account + ":user/*"}},
		"SendTraces": {{"xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"},
			{"*"}},
		"UseLedgerTable": {{"dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"},
			{arn("aws", "dynamodb", "table/"+ledgerTable)}},
	})
}

// TestFunctionRoleReadsUserTagsOnlyForTagExemptions: iam:ListUserTags is granted only when the
// function reads tag exemptions (TestFunctionRole: not by default).
func TestFunctionRoleReadsUserTagsOnlyForTagExemptions(t *testing.T) {
	t.Parallel()
	d := mustRun(t, map[string]string{"tagExemptions": "true"})
	rp := d.one(tRolePolicy, "keyage-function-policy")
	doc := policy(t, rp, "policy")
	if s := statement(t, rp, doc, "ReadFlaggedUsers"); !equalStrings(s.Action, []string{"iam:GetAccessKeyLastUsed", "iam:ListUserTags"}) ||
		!equalStrings(s.Resource, []string{"arn:aws:iam::" + account + ":user/*"}) || s.Effect != "Allow" {
		t.Errorf("%s %q: ReadFlaggedUsers = %+v, want Allow iam:GetAccessKeyLastUsed and iam:ListUserTags on the account's users", rp.Type, rp.Name, s)
	}
}

// wantStatements checks that a policy has exactly these Allow statements (by Sid: actions and
// resources).
func wantStatements(t *testing.T, r infratest.Resource, doc infra.PolicyDocument, want map[string][2][]string) {
	t.Helper()
	var wantSids []string
	for sid, ar := range want {
		wantSids = append(wantSids, sid)
		s := statement(t, r, doc, sid)
		if s.Effect != "Allow" {
			t.Errorf("%s %q: statement %s has Effect %s, want Allow", r.Type, r.Name, sid, s.Effect)
		}
		if !equalStrings(s.Action, ar[0]) {
			t.Errorf("%s %q: statement %s allows %v, want %v", r.Type, r.Name, sid, s.Action, ar[0])
		}
		if !equalStrings(s.Resource, ar[1]) {
			t.Errorf("%s %q: statement %s is on %v, want %v", r.Type, r.Name, sid, s.Resource, ar[1])
		}
	}
	slices.Sort(wantSids)
	if got := sids(doc); !slices.Equal(got, wantSids) {
		t.Errorf("%s %q: statements %v, want %v", r.Type, r.Name, got, wantSids)
	}
}

// wantTrust checks that a role can be assumed only by one service, for this account and, when
// sourceARNs are given, only for those sources: the condition is exactly that.
func wantTrust(t *testing.T, role infratest.Resource, principal string, sourceARNs ...string) {
	t.Helper()
	doc := policy(t, role, "assumeRolePolicy")
	if len(doc.Statement) != 1 {
		t.Fatalf("%s %q: trust policy has %d statements, want 1", role.Type, role.Name, len(doc.Statement))
	}
	s := doc.Statement[0]
	if s.Effect != "Allow" || !slices.Equal(s.Action, []string{"sts:AssumeRole"}) {
		t.Errorf("%s %q: trust statement is %s %v, want Allow [sts:AssumeRole]", role.Type, role.Name, s.Effect, s.Action)
	}
	if s.Principal == nil || !slices.Equal(s.Principal.Service, []string{principal}) || len(s.Principal.AWS) != 0 || s.Principal.Everyone {
		t.Errorf("%s %q: trust principal is %+v, want service %s only", role.Type, role.Name, s.Principal, principal)
	}
	want := iampolicy.Condition{"StringEquals": {"aws:SourceAccount": {account}}}
	if len(sourceARNs) > 0 {
		want["ArnLike"] = map[string][]string{"aws:SourceArn": sourceARNs}
	}
	if !reflect.DeepEqual(s.Condition, want) {
		t.Errorf("%s %q: trust condition is %v, want %v", role.Type, role.Name, s.Condition, want)
	}
}

// settingsFor parses settings the way the program does.
func settingsFor(t *testing.T, values map[string]string) config.Settings {
	t.Helper()
	c, err := config.Parse(values)
	if err != nil {
		t.Fatal(err)
	}
	return c.Settings()
}

// forDefaultsAndFull runs check in a subtest on the program run with the default settings, and
// in another with fullSettings, with those settings.
func forDefaultsAndFull(t *testing.T, check func(t *testing.T, d *deployment, s config.Settings)) {
	for name, values := range map[string]map[string]string{"defaults": nil, "full": fullSettings} {
		t.Run(name, func(t *testing.T) { check(t, mustRun(t, values), settingsFor(t, values)) })
	}
}

func TestStateMachine(t *testing.T) {
	t.Parallel()
	forDefaultsAndFull(t, func(t *testing.T, d *deployment, s config.Settings) {
		m := d.one(tMachine, "keyage-machine")
		wantInput(t, m, "name", machineName)
		wantInput(t, m, "type", "STANDARD")
		wantInput(t, m, "roleArn", roleARN("keyage-dev-machine-role"))
		wantInput(t, m, "tracingConfiguration.enabled", true)
		wantInput(t, m, "loggingConfiguration.level", s.LogLevel)
		wantInput(t, m, "loggingConfiguration.includeExecutionData", s.IncludeExecutionData)
		wantInput(t, m, "loggingConfiguration.logDestination",
			arn("aws", "logs", "log-group:/aws/vendedlogs/states/"+machineName+":*"))

		def, err := workflow.Definition(config.MustCheck(s), workflow.Resources{Partition: "aws", Region: region, AccountID: account,
			FunctionARN: functionARN, TopicARN: findingsARN, ChatTopicARN: chatARN})
		if err != nil {
			t.Fatal(err)
		}
		want, err := def.Render()
		if err != nil {
			t.Fatal(err)
		}
		if got := inputString(t, m, "definition"); got != string(want) {
			t.Errorf("%s %q: definition differs from the workflow's render with the deployed ARNs:\n%s", m.Type, m.Name, golden.Diff(want, []byte(got)))
		}

		logs := d.one(tLogGroup, "keyage-machine-logs")
		wantInput(t, logs, "name", "/aws/vendedlogs/states/"+machineName)
		wantInput(t, logs, "retentionInDays", s.LogRetentionDays)
		// CreateStateMachine fails unless the role can already deliver logs.
		rp := d.one(tRolePolicy, "keyage-machine-policy")
		if !slices.Contains(m.DependsOn, rp.URN) {
			t.Errorf("%s %q: does not depend on its role policy %s", m.Type, m.Name, rp.URN)
		}
		// The definition names the function and the topic by computed ARNs, not by their
		// outputs: the machine and its policy still wait for both.
		for _, dep := range []infratest.Resource{d.one(tFunction, "keyage-function"), d.one(tTopic, "keyage-findings")} {
			for _, r := range []infratest.Resource{m, rp} {
				if !slices.Contains(r.DependsOn, dep.URN) {
					t.Errorf("%s %q: does not depend on %s", r.Type, r.Name, dep.URN)
				}
			}
		}
	})
}

func TestStateMachineRole(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	role := d.one(tRole, "keyage-machine-role")
	// The machine's executions, and its Distributed Map's runs (stateMachine:<name>/<label>).
	wantTrust(t, role, "states.amazonaws.com", machineARN, machineARN+"/*")

	rp := d.one(tRolePolicy, "keyage-machine-policy")
	doc := policy(t, rp, "policy")
	def, err := workflow.Definition(config.MustCheck(config.Defaults()), workflow.Resources{Partition: "aws", Region: region, AccountID: account,
		FunctionARN: functionARN, TopicARN: findingsARN})
	if err != nil {
		t.Fatal(err)
	}
	derived := def.IAMStatements(machineARN)
	// Every statement the definition needs is in the policy, unchanged.
	for _, want := range derived {
		if !slices.ContainsFunc(doc.Statement, func(s iampolicy.Statement) bool {
			return s.Sid == want.Sid && s.Effect == want.Effect && slices.Equal(s.Action, want.Action) &&
				slices.Equal(s.Resource, want.Resource) && s.Condition == nil
		}) {
			t.Errorf("%s %q: misses the definition's statement %+v", rp.Type, rp.Name, want)
		}
	}
	if got, want := len(doc.Statement), len(derived)+3; got != want {
		t.Errorf("%s %q: has %d statements, want %d (the definition's %d, key use, log delivery, X-Ray)", rp.Type, rp.Name, got, want, len(derived))
	}
	// What the whole policy grants, action by action, spelled out exactly: nothing more.
	grants := map[string][]string{}
	for _, s := range doc.Statement {
		for _, a := range s.Action {
			grants[a] = append(grants[a], s.Resource...)
		}
	}
	for a, r := range grants {
		slices.Sort(r)
		grants[a] = slices.Compact(r)
	}
	keyARN := arn("aws", "kms", "key/"+inputString(t, d.one(tKeyAlias, "keyage-key-alias"), "targetKeyId"))
	executions := []string{arn("aws", "states", "execution:"+machineName+"/*"), arn("aws", "states", "execution:"+machineName+":*")}
	want := map[string][]string{
		"iam:ListUsers":            {"*"},
		"iam:GetAccountSummary":    {"*"}, // checkRootKeys, on by default
		"iam:ListAccessKeys":       {"arn:aws:iam::" + account + ":user/*"},
		"sns:Publish":              {findingsARN},
		"states:StartExecution":    {machineARN},
		"states:DescribeExecution": executions,
		"states:StopExecution":     executions,
		"kms:GenerateDataKey":      {keyARN},
		"kms:Decrypt":              {keyARN},
		"lambda:InvokeFunction":    {functionARN, functionARN + ":*"},
	}
	for _, a := range []string{"logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
		"logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
		"logs:UpdateLogDelivery", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords",
		"xray:PutTraceSegments"} {
		want[a] = []string{"*"}
	}
	for action, resources := range want {
		if got := grants[action]; !slices.Equal(got, resources) {
			t.Errorf("%s %q: %s is granted on %v, want exactly %v", rp.Type, rp.Name, action, got, resources)
		}
	}
	for action, resources := range grants {
		if _, ok := want[action]; !ok {
			t.Errorf("%s %q: grants %s on %v, want no such action", rp.Type, rp.Name, action, resources)
		}
	}
	keyUse := statement(t, rp, doc, "UseTopicKeyThroughSNS")
	if got := one(keyUse.Condition["StringEquals"]["kms:ViaService"]); got != "sns."+region+".amazonaws.com" {
		t.Errorf("%s %q: key use through %q, want SNS in %s", rp.Type, rp.Name, got, region)
	}
}

func TestKeyAlias(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	alias := d.one(tKeyAlias, "keyage-key-alias")
	wantInput(t, alias, "name", "alias/"+machineName)
	key := d.one(tKey, "keyage-key")
	if !slices.Contains(alias.DependsOn, key.URN) {
		t.Errorf("%s %q: depends on %v, want the topic key %s (its targetKeyId)", alias.Type, alias.Name, alias.DependsOn, key.URN)
	}
	if id := inputString(t, alias, "targetKeyId"); len(id) != 36 || strings.Count(id, "-") != 4 {
		t.Errorf("%s %q: targetKeyId %q, want the key's ID (a UUID)", alias.Type, alias.Name, id)
	}
}

func TestKeyPolicy(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	key := d.one(tKey, "keyage-key")
	wantInput(t, key, "enableKeyRotation", true)
	wantInput(t, key, "deletionWindowInDays", 30)
	doc := policy(t, key, "policy")
	if got, want := sids(doc), []string{"AccountAdministersKey", "CloudWatchAlarmsPublish", "FunctionUsesLedgerThroughDynamoDB", "StateMachinePublishesThroughSNS"}; !slices.Equal(got, want) {
		t.Fatalf("%s %q: statements %v, want %v", key.Type, key.Name, got, want)
	}
	for _, s := range doc.Statement {
		if !slices.Equal(s.Resource, []string{"*"}) {
			t.Errorf("%s %q: statement %s is on %v, want \"*\" (this key)", key.Type, key.Name, s.Sid, s.Resource)
		}
		if s.Effect != "Allow" {
			t.Errorf("%s %q: statement %s has Effect %s, want Allow", key.Type, key.Name, s.Sid, s.Effect)
		}
	}
	admin := statement(t, key, doc, "AccountAdministersKey")
	if !slices.Equal(admin.Principal.AWS, []string{"arn:aws:iam::" + account + ":root"}) || !slices.Equal(admin.Action, []string{"kms:*"}) || admin.Condition != nil {
		t.Errorf("%s %q: administration statement %+v, want the account root with kms:* and no condition", key.Type, key.Name, admin)
	}
	use := []string{"kms:Decrypt", "kms:GenerateDataKey*"}
	machine := statement(t, key, doc, "StateMachinePublishesThroughSNS")
	if !slices.Equal(machine.Principal.AWS, []string{roleARN("keyage-dev-machine-role")}) || !equalStrings(machine.Action, use) {
		t.Errorf("%s %q: state machine statement %+v, want the machine role with %v", key.Type, key.Name, machine, use)
	}
	if got := one(machine.Condition["StringEquals"]["kms:ViaService"]); got != "sns."+region+".amazonaws.com" {
		t.Errorf("%s %q: state machine may use the key through %q, want SNS", key.Type, key.Name, got)
	}
	cw := statement(t, key, doc, "CloudWatchAlarmsPublish")
	if !slices.Equal(cw.Principal.Service, []string{"cloudwatch.amazonaws.com"}) || !equalStrings(cw.Action, use) ||
		one(cw.Condition["StringEquals"]["aws:SourceAccount"]) != account {
		t.Errorf("%s %q: CloudWatch statement %+v, want cloudwatch.amazonaws.com with %v for account %s", key.Type, key.Name, cw, use, account)
	}
}

// TestKeyDescription: the key's description names everything the key encrypts: each topic
// registered with it, and the ledger table when there is one.
func TestKeyDescription(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		values map[string]string
		want   string
	}{
		{"every-run", map[string]string{"notify": "every-run"}, "the findings and alarm topics"},
		{"defaults", nil, "the findings and alarm topics and the ledger table"},
		{"owners and chat", ownersSettings(map[string]string{"chat": "{}", "notify": "changes"}), "the findings, alarm, owners and chat topics and the ledger table"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			d := mustRun(t, c.values)
			key := d.one(tKey, "keyage-key")
			wantInput(t, key, "description", "keyage keyage (dev): encrypts "+c.want)
			encrypted := 0
			for _, topic := range d.ofType(tTopic) {
				if strings.HasPrefix(inputString(t, topic, "kmsMasterKeyId"), arn("aws", "kms", "key/")) {
					encrypted++
				}
			}
			if words := strings.Count(c.want, ",") + 2; encrypted != words {
				t.Errorf("%d topics encrypted with the key, want %d (%s)", encrypted, words, c.want)
			}
			if tables := len(d.ofType(tTable)); tables != strings.Count(c.want, "ledger table") {
				t.Errorf("%d ledger tables, but the description says %q", tables, c.want)
			}
		})
	}
}

func TestTopics(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	key := arn("aws", "kms", "key/")
	for _, name := range []string{"keyage-findings", "keyage-alarms"} {
		topic := d.one(tTopic, name)
		if got := inputString(t, topic, "kmsMasterKeyId"); !strings.HasPrefix(got, key) {
			t.Errorf("%s %q: encrypted with %q, want the stack's key", topic.Type, topic.Name, got)
		}
	}
	// others is the condition under which everyone else is denied sns:Publish: an Allow alone
	// would leave publishing open to principals of the account with sns:Publish in their own
	// policies.
	check := func(name, topicARN string, others iampolicy.Condition, allow func(iampolicy.Statement) string) {
		p := d.one(tTopicPolicy, name)
		wantInput(t, p, "arn", topicARN)
		doc := policy(t, p, "policy")
		var allows int
		for _, s := range doc.Statement {
			switch {
			case s.Effect == "Allow":
				allows++
				if !slices.Equal(s.Action, []string{"sns:Publish"}) || !slices.Equal(s.Resource, []string{topicARN}) {
					t.Errorf("%s %q: allows %v on %v, want sns:Publish on the topic only", p.Type, p.Name, s.Action, s.Resource)
				}
				if problem := allow(s); problem != "" {
					t.Errorf("%s %q: %s", p.Type, p.Name, problem)
				}
			case s.Sid == "DenyOtherPublishers":
				if s.Effect != "Deny" || !s.Principal.Everyone || !slices.Equal(s.Action, []string{"sns:Publish"}) ||
					!slices.Equal(s.Resource, []string{topicARN}) || !jsonEqual(s.Condition, others) {
					t.Errorf("%s %q: other publishers' statement %+v, want everyone denied sns:Publish on the topic when %v", p.Type, p.Name, s, others)
				}
			default:
				// Every SNS action, not only sns:Publish: the README says the topics refuse
				// requests without TLS.
				if s.Effect != "Deny" || !s.Principal.Everyone || one(s.Condition["Bool"]["aws:SecureTransport"]) != "false" ||
					!slices.Equal(s.Resource, []string{topicARN}) || !slices.Equal(s.Action, []string{"sns:*"}) || len(s.Condition) != 1 {
					t.Errorf("%s %q: deny statement %+v, want everyone denied every SNS action without TLS", p.Type, p.Name, s)
				}
			}
		}
		if got, want := sids(doc), []string{"DenyInsecureTransport", "DenyOtherPublishers"}; allows != 1 || len(doc.Statement) != 3 || !slices.Equal(got[:2], want) {
			t.Errorf("%s %q: statements %v with %d allows, want one allow, the other publishers' deny and the TLS deny", p.Type, p.Name, got, allows)
		}
	}
	check("keyage-findings-policy", findingsARN, iampolicy.Condition{"StringNotEquals": {"aws:PrincipalArn": {roleARN("keyage-dev-machine-role")}}}, func(s iampolicy.Statement) string {
		if !slices.Equal(s.Principal.AWS, []string{roleARN("keyage-dev-machine-role")}) || len(s.Principal.Service) != 0 {
			return "publisher is not the state machine's role alone"
		}
		return ""
	})
	check("keyage-alarms-policy", alarmsARN, iampolicy.Condition{"Bool": {"aws:PrincipalIsAWSService": {"false"}}}, func(s iampolicy.Statement) string {
		if !slices.Equal(s.Principal.Service, []string{"cloudwatch.amazonaws.com"}) || len(s.Principal.AWS) != 0 {
			return "publisher is not CloudWatch alone"
		}
		if one(s.Condition["StringEquals"]["aws:SourceAccount"]) != account {
			return "CloudWatch may publish for other accounts"
		}
		if got := one(s.Condition["ArnLike"]["aws:SourceArn"]); got != arn("aws", "cloudwatch", "alarm:keyage-dev-*") {
			return "CloudWatch source is " + got + ", want this stack's alarms"
		}
		return ""
	})
}

func TestSubscriptions(t *testing.T) {
	t.Parallel()
	d := mustRun(t, fullSettings)
	s := settingsFor(t, fullSettings)
	type sub struct {
		topic, protocol, endpoint, filter, scope, role string
		raw                                            bool
	}
	var got []sub
	for _, r := range d.ofType(tSubscription) {
		plain := infratest.PlainMap(r.Inputs)
		str := func(k string) string { v, _ := plain[k].(string); return v }
		raw, _ := plain["rawMessageDelivery"].(bool)
		got = append(got, sub{str("topic"), str("protocol"), str("endpoint"), str("filterPolicy"), str("filterPolicyScope"), str("subscriptionRoleArn"), raw})
	}
	var want []sub
	for _, x := range s.Subscriptions {
		want = append(want, sub{findingsARN, x.Protocol, x.Endpoint, x.FilterPolicy, x.FilterPolicyScope, x.SubscriptionRoleARN, x.RawMessageDelivery})
	}
	for _, x := range s.AlarmSubscriptions {
		want = append(want, sub{alarmsARN, x.Protocol, x.Endpoint, x.FilterPolicy, x.FilterPolicyScope, x.SubscriptionRoleARN, x.RawMessageDelivery})
	}
	key := func(a sub) string {
		b, _ := json.Marshal([]any{a.topic, a.protocol, a.endpoint, a.filter, a.scope, a.role, a.raw})
		return string(b)
	}
	gotKeys, wantKeys := make([]string, len(got)), make([]string, len(want))
	for i := range got {
		gotKeys[i] = key(got[i])
	}
	for i := range want {
		wantKeys[i] = key(want[i])
	}
	if !equalStrings(gotKeys, wantKeys) {
		t.Errorf("subscriptions:\n got %v\nwant %v", gotKeys, wantKeys)
	}
	// The filter policy reaches SNS as the settings give it.
	email := s.Subscriptions[0]
	if email.FilterPolicy != `{"severity":["stale"]}` {
		t.Errorf("settings: email filter policy is %q", email.FilterPolicy)
	}
}

func TestSubscriptionNamesDoNotDependOnOrder(t *testing.T) {
	t.Parallel()
	a := mustRun(t, map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com"},{"protocol":"email","endpoint":"b@example.com"}]`})
	b := mustRun(t, map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"b@example.com"},{"protocol":"email","endpoint":"a@example.com"}]`})
	names := func(d *deployment) map[string]string {
		out := map[string]string{}
		for _, r := range d.ofType(tSubscription) {
			out[r.Name] = inputString(t, r, "endpoint")
		}
		return out
	}
	na, nb := names(a), names(b)
	if len(na) != 2 || len(nb) != 2 {
		t.Fatalf("subscriptions: %v and %v, want 2 each", na, nb)
	}
	for name, endpoint := range na {
		if nb[name] != endpoint {
			t.Errorf("subscription %q is %q in one order and %q in the other: reordering would replace it", name, endpoint, nb[name])
		}
	}
}

func TestSchedule(t *testing.T) {
	t.Parallel()
	forDefaultsAndFull(t, func(t *testing.T, d *deployment, s config.Settings) {
		sched := d.one(tSchedule, "keyage-schedule")
		wantInput(t, sched, "name", "keyage-dev-scan")
		wantInput(t, sched, "groupName", "keyage-dev")
		wantInput(t, sched, "scheduleExpression", s.Schedule)
		wantInput(t, sched, "scheduleExpressionTimezone", s.ScheduleTimezone)
		wantInput(t, sched, "flexibleTimeWindow", map[string]string{"mode": "OFF"})
		state := "ENABLED"
		if !s.ScheduleEnabled {
			state = "DISABLED"
		}
		wantInput(t, sched, "state", state)
		wantInput(t, sched, "target.arn", machineARN)
		wantInput(t, sched, "target.roleArn", roleARN("keyage-dev-scheduler-role"))
		wantInput(t, sched, "target.retryPolicy.maximumRetryAttempts", s.ScheduleRetryAttempts)
		wantInput(t, sched, "target.retryPolicy.maximumEventAgeInSeconds", s.ScheduleMaxEventAgeSec)
		wantInput(t, sched, "target.deadLetterConfig.arn", arn("aws", "sqs", deadLetterQueue))
		// EventBridge Scheduler replaces its keywords in the Input as text: the placeholder
		// must be there literally, not JSON-escaped (\u003c...\u003e), or it is never filled in.
		rawInput := inputString(t, sched, "target.input")
		if want := `"` + workflow.ScheduledTimeField + `":"` + "<aws.scheduler.scheduled-time>" + `"`; !strings.Contains(rawInput, want) {
			t.Errorf("%s %q: target input %s does not carry %s literally", sched.Type, sched.Name, rawInput, want)
		}
		var in map[string]any
		if err := json.Unmarshal([]byte(rawInput), &in); err != nil {
			t.Fatalf("%s %q: target input is not JSON: %v", sched.Type, sched.Name, err)
		}
		if want := map[string]any{workflow.ScheduledTimeField: "<aws.scheduler.scheduled-time>"}; !jsonEqual(in, want) {
			t.Errorf("%s %q: target input %v, want %v", sched.Type, sched.Name, in, want)
		}

		group := d.one(tGroup, "keyage-schedules")
		wantInput(t, group, "name", "keyage-dev")
		if !slices.Contains(sched.DependsOn, d.one(tRolePolicy, "keyage-scheduler-policy").URN) {
			t.Errorf("%s %q: does not depend on its role's policy", sched.Type, sched.Name)
		}
	})
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestSchedulerRoleAndDeadLetterQueue(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	dlqARN := arn("aws", "sqs", deadLetterQueue)
	role := d.one(tRole, "keyage-scheduler-role")
	// The scheduler's source is the schedule group, never the schedule.
	wantTrust(t, role, "scheduler.amazonaws.com", arn("aws", "scheduler", "schedule-group/keyage-dev"))
	rp := d.one(tRolePolicy, "keyage-scheduler-policy")
	wantStatements(t, rp, policy(t, rp, "policy"), map[string][2][]string{
		"StartThisStateMachine":     {{"states:StartExecution"}, {machineARN}},
		"DeadLetterUndeliveredRuns": {{"sqs:SendMessage"}, {dlqARN}},
	})

	q := d.one(tQueue, "keyage-schedule-dlq")
	wantInput(t, q, "kmsMasterKeyId", "alias/aws/sqs")
	wantInput(t, q, "messageRetentionSeconds", 14*24*3600)
	if hasInput(q, "fifoQueue") && input(t, q, "fifoQueue") == true {
		t.Errorf("%s %q: is FIFO, want a standard queue (EventBridge Scheduler's dead-letter queues are standard)", q.Type, q.Name)
	}
	qp := d.one(tQueuePolicy, "keyage-schedule-dlq-policy")
	wantInput(t, qp, "queueUrl", "https://sqs."+region+".amazonaws.com/"+account+"/"+deadLetterQueue)
	doc := policy(t, qp, "policy")
	send := statement(t, qp, doc, "OnlyTheSchedulerSends")
	if !slices.Equal(send.Principal.AWS, []string{roleARN("keyage-dev-scheduler-role")}) || !slices.Equal(send.Action, []string{"sqs:SendMessage"}) || !slices.Equal(send.Resource, []string{dlqARN}) {
		t.Errorf("%s %q: send statement %+v, want the scheduler role sending to the queue", qp.Type, qp.Name, send)
	}
	deny := statement(t, qp, doc, "DenyInsecureTransport")
	if deny.Effect != "Deny" || !deny.Principal.Everyone || one(deny.Condition["Bool"]["aws:SecureTransport"]) != "false" {
		t.Errorf("%s %q: TLS statement %+v, want everyone denied without TLS", qp.Type, qp.Name, deny)
	}
}

func TestTags(t *testing.T) {
	t.Parallel()
	d := mustRun(t, fullSettings)
	// A Schedule cannot carry tags in pulumi-aws v6 (its group does); policies and
	// subscriptions and KMS aliases are not taggable in AWS.
	untaggable := []string{tSchedule, tRolePolicy, tTopicPolicy, tQueuePolicy, tSubscription, tKeyAlias}
	want := map[string]any{"team": "security", "cost-center": "42", "keyage:stack": testStack, "keyage:component": infra.ComponentName}
	for _, r := range d.res {
		if !r.Custom || slices.Contains(untaggable, r.Type) {
			continue
		}
		if !hasInput(r, "tags") {
			t.Errorf("%s %q: has no tags", r.Type, r.Name)
			continue
		}
		if got := input(t, r, "tags"); !jsonEqual(got, want) {
			t.Errorf("%s %q: tags %v, want %v", r.Type, r.Name, got, want)
		}
	}
}

// TestPhysicalNames: every resource AWS names carries a name keyage chose, starting with
// "<component>-<stack>" (after the service's fixed prefix), so two stacks in one account can be
// told apart in the console; none is left to Pulumi's auto-naming, which drops the stack.
func TestPhysicalNames(t *testing.T) {
	t.Parallel()
	d := mustRun(t, fullSettings)
	// Types whose AWS resources have names; subscriptions, keys and resource policies do not.
	named := []string{tRole, tRolePolicy, tTopic, tQueue, tFunction, tMachine, tGroup, tSchedule, tAlarm, tLogGroup, tKeyAlias}
	prefix := infra.ComponentName + "-" + testStack
	var checked int
	for _, r := range d.res {
		if !slices.Contains(named, r.Type) {
			continue
		}
		if !hasInput(r, "name") {
			t.Errorf("%s %q: has no name, want one starting with %q", r.Type, r.Name, prefix)
			continue
		}
		checked++
		name := inputString(t, r, "name")
		for _, fixed := range []string{"/aws/lambda/", "/aws/vendedlogs/states/", "alias/"} {
			name = strings.TrimPrefix(name, fixed)
		}
		if name != prefix && !strings.HasPrefix(name, prefix+"-") {
			t.Errorf("%s %q: named %q, want %q or %q-...", r.Type, r.Name, inputString(t, r, "name"), prefix, prefix)
		}
	}
	if checked < 20 {
		t.Errorf("only %d named resources checked", checked)
	}
	for logical, want := range map[string]string{
		tRole + " keyage-machine-role":           "keyage-dev-machine-role",
		tRole + " keyage-function-role":          "keyage-dev-function-role",
		tRole + " keyage-scheduler-role":         "keyage-dev-scheduler-role",
		tRolePolicy + " keyage-machine-policy":   "keyage-dev-machine-policy",
		tRolePolicy + " keyage-function-policy":  "keyage-dev-function-policy",
		tRolePolicy + " keyage-scheduler-policy": "keyage-dev-scheduler-policy",
		tTopic + " keyage-findings":              findingsTopic,
		tTopic + " keyage-alarms":                alarmTopic,
		tQueue + " keyage-schedule-dlq":          deadLetterQueue,
	} {
		typ, name, _ := strings.Cut(logical, " ")
		wantInput(t, d.one(typ, name), "name", want)
	}
}
