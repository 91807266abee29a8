package infra_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
)

const (
	tGuardrail    = "aws:iam/policy:Policy"
	tSlackChannel = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
	tTeamsChannel = "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration"

	chatTopic = "keyage-dev-chat"
	chatSLR   = "arn:aws:iam::" + account + ":role/aws-service-role/management.chatbot.amazonaws.com/AWSServiceRoleForAWSChatbot"

	testTenant       = "5f4a8c2e-1b3d-4e6f-8a9b-0c1d2e3f4a5b"
	testTeam         = "0e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b"
	testTeamsChannel = "19%3Aab12cd34ef56ab12cd34ef56ab12cd34%40thread.tacv2"
)

var chatARN = arn("aws", "sns", chatTopic)

// chatChannels is a chat setting with a Slack channel and a Teams channel.
var chatChannels = map[string]string{"chat": `{"slack":[{"teamId":"T07EA123LEP","channelId":"C07EZ1ABC23"}],` +
	`"teams":[{"tenantId":"` + testTenant + `","teamId":"` + testTeam + `","channelId":"` + testTeamsChannel + `"}]}`}

// TestNoChat: without the setting, nothing of chat is registered and the output is empty.
func TestNoChat(t *testing.T) {
	t.Parallel()
	wantNoChatChannels(t, mustRun(t, nil), "a stack without chat", tTopic, tRole)
}

// wantNoChatChannels fails for any channel configuration or guardrail in d, and for any resource
// of the named types whose name has "chat" in it; what names the stack in the message.
func wantNoChatChannels(t *testing.T, d *deployment, what string, named ...string) {
	t.Helper()
	for _, typ := range []string{tSlackChannel, tTeamsChannel, tGuardrail} {
		if got := d.ofType(typ); len(got) != 0 {
			t.Errorf("%s registers %d %s", what, len(got), typ)
		}
	}
	for _, typ := range named {
		for _, r := range d.ofType(typ) {
			if strings.Contains(r.Name, "chat") {
				t.Errorf("%s registers %s %q", what, typ, r.Name)
			}
		}
	}
}

// TestChatTopic: the chat topic is encrypted with the stack's key; only the state machine
// publishes, Amazon Q Developer's service-linked role may subscribe, and everything needs TLS.
// The state machine's role may publish to it, and its definition does, after the digest.
func TestChatTopic(t *testing.T) {
	t.Parallel()
	for name, values := range map[string]map[string]string{"topic only": {"chat": "{}"}, "channels": chatChannels} {
		t.Run(name, func(t *testing.T) {
			d := mustRun(t, values)
			topic := d.one(tTopic, "keyage-chat")
			wantInput(t, topic, "name", chatTopic)
			if got := inputString(t, topic, "kmsMasterKeyId"); !strings.HasPrefix(got, arn("aws", "kms", "key/")) {
				t.Errorf("chat topic encrypted with %q, want the stack's key", got)
			}
			p := d.one(tTopicPolicy, "keyage-chat-policy")
			wantInput(t, p, "arn", chatARN)
			doc := policy(t, p, "policy")
			machineRole := roleARN("keyage-dev-machine-role")
			if got, want := sids(doc), []string{"AmazonQDeveloperSubscribes", "DenyInsecureTransport", "DenyOtherPublishers", "OnlyThisStateMachinePublishes"}; !slices.Equal(got, want) {
				t.Fatalf("chat topic policy statements %v, want %v", got, want)
			}
			for sid, want := range map[string]iampolicy.Statement{
				"OnlyThisStateMachinePublishes": {Sid: "OnlyThisStateMachinePublishes", Effect: "Allow", Principal: &iampolicy.Principal{AWS: []string{machineRole}},
					Action: []string{"sns:Publish"}, Resource: []string{chatARN}},
				"DenyOtherPublishers": {Sid: "DenyOtherPublishers", Effect: "Deny", Principal: &iampolicy.Principal{Everyone: true},
					Action: []string{"sns:Publish"}, Resource: []string{chatARN},
					Condition: iampolicy.Condition{"StringNotEquals": {"aws:PrincipalArn": {machineRole}}}},
				"AmazonQDeveloperSubscribes": {Sid: "AmazonQDeveloperSubscribes", Effect: "Allow", Principal: &iampolicy.Principal{AWS: []string{"arn:aws:iam::" + account + ":root"}},
					Action: []string{"sns:ListSubscriptionsByTopic", "sns:Subscribe", "sns:Unsubscribe"}, Resource: []string{chatARN},
					Condition: iampolicy.Condition{"ArnEquals": {"aws:PrincipalArn": {chatSLR}}}},
				"DenyInsecureTransport": {Sid: "DenyInsecureTransport", Effect: "Deny", Principal: &iampolicy.Principal{Everyone: true},
					Action: []string{"sns:*"}, Resource: []string{chatARN}, Condition: iampolicy.Condition{"Bool": {"aws:SecureTransport": {"false"}}}},
			} {
				if got := statement(t, p, doc, sid); !jsonEqual(got, want) {
					t.Errorf("chat topic policy statement %s:\n got %+v\nwant %+v", sid, got, want)
				}
			}

			machinePolicy := policy(t, d.one(tRolePolicy, "keyage-machine-policy"), "policy")
			var publishes []string
			for _, s := range machinePolicy.Statement {
				if slices.Contains(s.Action, "sns:Publish") {
					publishes = append(publishes, s.Resource...)
				}
			}
			if !equalStrings(publishes, []string{findingsARN, chatARN}) {
				t.Errorf("the state machine's role publishes to %v, want the findings and chat topics", publishes)
			}
			machine := d.one(tMachine, "keyage-machine")
			if def := inputString(t, machine, "definition"); !strings.Contains(def, `"NotifyChat"`) || !strings.Contains(def, `"TopicArn": "`+chatARN+`"`) {
				t.Errorf("the definition has no NotifyChat publishing to %s", chatARN)
			}
			if !slices.ContainsFunc(machine.DependsOn, func(u string) bool { return strings.HasSuffix(u, "::keyage-chat") }) {
				t.Errorf("the state machine does not wait for the chat topic: depends on %v", machine.DependsOn)
			}
			if name == "topic only" {
				wantNoChatChannels(t, d, "a chat topic without channels", tRole)
			}
		})
	}
}

// TestChatChannelConfigurations: one channel configuration per channel, on the chat topic, with
// one role trusting Amazon Q Developer and one guardrail, both allowing only the reading of this
// stack's state machine and its executions.
func TestChatChannelConfigurations(t *testing.T) {
	t.Parallel()
	d := mustRun(t, chatChannels)
	read := map[string][2][]string{
		"ReadThisStateMachine": {{"states:DescribeStateMachine", "states:ListExecutions"}, {machineARN}},
		"ReadItsExecutions":    {{"states:DescribeExecution", "states:GetExecutionHistory"}, {arn("aws", "states", "execution:"+machineName+":*")}},
	}

	role := d.one(tRole, "keyage-chat-role")
	wantInput(t, role, "name", "keyage-dev-chat-role")
	trust := policy(t, role, "assumeRolePolicy")
	wantTrustStatement := iampolicy.Statement{Sid: "AssumedByAmazonQDeveloper", Effect: "Allow",
		Principal: &iampolicy.Principal{Service: []string{"chatbot.amazonaws.com"}}, Action: []string{"sts:AssumeRole"}}
	if len(trust.Statement) != 1 || !jsonEqual(trust.Statement[0], wantTrustStatement) {
		t.Errorf("chat role trust %+v, want only %+v", trust.Statement, wantTrustStatement)
	}
	rp := d.one(tRolePolicy, "keyage-chat-policy")
	wantInput(t, rp, "name", "keyage-dev-chat-policy")
	wantInput(t, rp, "role", "keyage-dev-chat-role")
	wantStatements(t, rp, policy(t, rp, "policy"), read)

	guardrail := d.one(tGuardrail, "keyage-chat-guardrail")
	wantInput(t, guardrail, "name", "keyage-dev-chat-guardrail")
	wantStatements(t, guardrail, policy(t, guardrail, "policy"), read)
	guardrailARN := "arn:aws:iam::" + account + ":policy/keyage-dev-chat-guardrail"

	common := func(r infratest.Resource, name string) {
		t.Helper()
		wantInput(t, r, "configurationName", name)
		wantInput(t, r, "iamRoleArn", roleARN("keyage-dev-chat-role"))
		wantInput(t, r, "snsTopicArns", []string{chatARN})
		wantInput(t, r, "guardrailPolicyArns", []string{guardrailARN})
		wantInput(t, r, "tags", map[string]string{"keyage:component": "keyage", "keyage:stack": "dev"})
		if hasInput(r, "userAuthorizationRequired") || hasInput(r, "loggingLevel") {
			t.Errorf("%s %q: sets inputs keyage does not choose", r.Type, r.Name)
		}
		if !slices.ContainsFunc(r.DependsOn, func(u string) bool { return strings.HasSuffix(u, "::keyage-chat-policy") }) {
			t.Errorf("%s %q: does not wait for its role's policy: depends on %v", r.Type, r.Name, r.DependsOn)
		}
	}
	if got := d.ofType(tSlackChannel); len(got) != 1 {
		t.Fatalf("%d Slack channel configurations, want 1", len(got))
	}
	slack := d.one(tSlackChannel, "keyage-chat-slack-c07ez1abc23")
	common(slack, "keyage-dev-slack-c07ez1abc23")
	wantInput(t, slack, "slackTeamId", "T07EA123LEP")
	wantInput(t, slack, "slackChannelId", "C07EZ1ABC23")

	teamsConfigs := d.ofType(tTeamsChannel)
	if len(teamsConfigs) != 1 {
		t.Fatalf("%d Teams channel configurations, want 1", len(teamsConfigs))
	}
	teams := teamsConfigs[0]
	name := inputString(t, teams, "configurationName")
	if !strings.HasPrefix(name, "keyage-dev-teams-") || len(name) != len("keyage-dev-teams-")+10 || teams.Name != "keyage-chat-"+strings.TrimPrefix(name, "keyage-dev-") {
		t.Errorf("Teams configuration %q named %q, want keyage-dev-teams-<10 hex of the channel>", teams.Name, name)
	}
	common(teams, name)
	wantInput(t, teams, "tenantId", testTenant)
	wantInput(t, teams, "teamId", testTeam)
	wantInput(t, teams, "channelId", testTeamsChannel)
}

// TestChatChannelsNeedAnAPIRegion: where the provider's region has no Amazon Q Developer API
// (the settings did not name it), the program fails before creating a channel configuration;
// the chat topic alone deploys there.
func TestChatChannelsNeedAnAPIRegion(t *testing.T) {
	t.Parallel()
	s := settings(t, chatChannels)
	_, err := runIn(t, "aws", "eu-central-1", account, infra.Program(infra.ProgramOptions{Settings: &s, Function: dummyFunction}))
	if err == nil || !strings.Contains(err.Error(), "region eu-central-1 has no Amazon Q Developer API endpoint") {
		t.Errorf("channels in eu-central-1: got %v, want an error naming the region", err)
	}
	topicOnly := settings(t, map[string]string{"chat": "{}"})
	if _, err := runIn(t, "aws", "eu-central-1", account, infra.Program(infra.ProgramOptions{Settings: &topicOnly, Function: dummyFunction})); err != nil {
		t.Errorf("the chat topic alone in eu-central-1: %v", err)
	}
}
