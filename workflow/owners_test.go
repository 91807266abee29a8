package workflow

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// ownersSettings is prodSettings with owner subscriptions, a cap and direct mail.
func ownersSettings() config.Settings {
	s := prodSettings()
	// Every-run digests: the stack keeps the ledger for observations only (the changes case is
	// TestOwnersFollowTheLedger's).
	s.Ledger.Notify = agecheck.NotifyEveryRun
	s.Owners.TagKeys = []string{"owner", "team"}
	s.Owners.MaxMessages = 50
	s.Owners.Subscriptions = []config.OwnerSubscription{
		{Owner: "team-a", Subscription: config.Subscription{Protocol: "email", Endpoint: "team-a@example.com"}},
	}
	s.Owners.Email = &agecheck.OwnerEmail{From: "keyage@example.com", IdentityARN: "arn:aws:ses:eu-west-1:111122223333:identity/example.com"}
	return s
}

func ownersResources() Resources {
	r := prodResources()
	r.OwnersTopicARN = "arn:aws:sns:eu-west-1:111122223333:keyage-prod-owners-1a2b3c"
	return r
}

// TestOwnersPublish: with an owners topic, the digest's Notify goes on to a Map over the report's
// ownerMessages that publishes each on the owners topic with the owner, severity and account
// attributes; the role may publish there; the function gets the owner settings in every op
// that reads them.
func TestOwnersPublish(t *testing.T) {
	r := ownersResources()
	m := mustDefinition(t, ownersSettings(), r)
	if next := m.States[StateNotify].(*asl.Task).Next; next != stateHasOwnerMessages {
		t.Errorf("Notify goes to %q, want %q", next, stateHasOwnerMessages)
	}
	choice := m.States[stateHasOwnerMessages].(*asl.Choice)
	if c := choice.Choices[0]; c.Variable != "$.ownerMessages" || c.IsPresent == nil || !*c.IsPresent || c.Next != StatePublishOwnerMessages || choice.Default != stateNotified {
		t.Errorf("got choice %+v, want ownerMessages present -> %s, else %s", choice, StatePublishOwnerMessages, stateNotified)
	}
	mp := m.States[StatePublishOwnerMessages].(*asl.Map)
	if mp.ItemsPath != "$.ownerMessages" || mp.MaxConcurrency.N != OwnerPublishConcurrency || mp.Next != stateNotified {
		t.Errorf("got map %+v, want items $.ownerMessages, %d at a time, then %s", mp, OwnerPublishConcurrency, stateNotified)
	}
	// The stack keeps the ledger for the run's observations only (every-run with owners): no commit.
	if _, ok := m.States[StateCommit]; ok {
		t.Errorf("an every-run stack has %s, want no commit (observations only)", StateCommit)
	}
	pub := mp.ItemProcessor.States[StateNotifyOwner].(*asl.Task)
	params := pub.Parameters.(map[string]any)
	if params["TopicArn"] != r.OwnersTopicARN || params["Message.$"] != "States.JsonToString($.bodies)" || params["MessageStructure"] != "json" || params["Subject.$"] != "$.subject" {
		t.Errorf("got publish parameters %v, want the owners topic, subject and the bodies per protocol (MessageStructure json)", params)
	}
	// An SMS subscriber gets the subject (SNS: 1,600 characters per SMS publish), every other
	// protocol the message.
	sel, _ := mp.ItemSelector.(map[string]any)
	if bodies, _ := sel["bodies"].(map[string]any); len(bodies) != 2 || bodies["default.$"] != "$$.Map.Item.Value.message" || bodies["sms.$"] != "$$.Map.Item.Value.subject" {
		t.Errorf("got item selector %v, want bodies {default: the message, sms: the subject}", sel)
	}
	attrs := params["MessageAttributes"].(map[string]any)
	for name, path := range map[string]string{"owner": "$.owner", "severity": "$.severity", "account": "$.account"} {
		if a, _ := attrs[name].(map[string]any); a["StringValue.$"] != path || a["DataType"] != "String" {
			t.Errorf("attribute %s is %v, want a String from %s", name, attrs[name], path)
		}
	}
	if len(attrs) != 3 {
		t.Errorf("got attributes %v, want owner, severity and account only", attrs)
	}
	var topics []string
	for _, st := range m.IAMStatements("arn:aws:states:eu-west-1:111122223333:stateMachine:keyage-prod") {
		if acts := st.Action; len(acts) == 1 && acts[0] == "sns:Publish" {
			topics = append(topics, st.Resource...)
		}
	}
	if strings.Join(topics, ",") != r.TopicARN+","+r.OwnersTopicARN && strings.Join(topics, ",") != r.OwnersTopicARN+","+r.TopicARN {
		t.Errorf("sns:Publish on %v, want the findings and owners topics", topics)
	}
	want := ownersSettings().Owners.Event()
	run := m.States[stateInit].(*asl.Pass).Parameters.(map[string]any)["run"].(map[string]any)
	if got := run[ownersField]; !reflect.DeepEqual(got, want) {
		t.Errorf("run.owners is %+v, want %+v", got, want)
	}
	child := m.States[StateCheckKeys].(*asl.Map).ItemProcessor.Branch.States
	for name, st := range map[string]asl.State{StateCheckBatch: child[StateCheckBatch], StateReport: m.States[StateReport]} {
		payload := lambdaPayload(st.(*asl.Task))
		if payload["owners.$"] == nil {
			t.Errorf("%s does not pass the owner settings: %v", name, payload)
		}
		if payload["ledger.$"] == nil {
			t.Errorf("%s does not pass the run's ledger context (observations for exact owner groups): %v", name, payload)
		}
	}
	if lr, _ := run["ledger"].(map[string]any); lr["observeOnly"] != true {
		t.Errorf("run.ledger is %v, want observeOnly true (notify: every-run keeps observations only)", run["ledger"])
	}
	changes := ownersSettings()
	changes.Ledger.Notify = agecheck.NotifyChanges
	run = mustDefinition(t, changes, r).States[stateInit].(*asl.Pass).Parameters.(map[string]any)["run"].(map[string]any)
	if lr, _ := run["ledger"].(map[string]any); lr == nil || lr["observeOnly"] != nil {
		t.Errorf("with notify: changes run.ledger is %v, want the ledger without observeOnly", run["ledger"])
	}
}

// TestOwnersOffOrWithoutTopic: without ownerSubscriptions there is no owners publish; with
// ownerTagKeys [] the function gets no owner settings at all.
func TestOwnersOffOrWithoutTopic(t *testing.T) {
	m := mustDefinition(t, config.Defaults(), PlaceholderResources())
	if _, ok := m.States[StatePublishOwnerMessages]; ok {
		t.Error("a stack without ownerSubscriptions publishes owner messages")
	}
	off := config.Defaults()
	off.Owners.TagKeys = []string{}
	rendered := string(mustRender(t, mustDefinition(t, off, PlaceholderResources())))
	if strings.Contains(rendered, `"owners`) {
		t.Error("a stack with ownerTagKeys [] passes owner settings to the function")
	}
}

func TestDefinitionNeedsTheOwnersTopic(t *testing.T) {
	_, err := Definition(mustCheck(t, ownersSettings()), prodResources())
	if err == nil || !strings.Contains(err.Error(), "OwnersTopicARN is empty") {
		t.Errorf("got %v, want an error naming OwnersTopicARN", err)
	}
	r := ownersResources()
	r.OwnersTopicARN = "arn:aws:sns:us-east-1:111122223333:elsewhere"
	if _, err := Definition(mustCheck(t, ownersSettings()), r); err == nil || !strings.Contains(err.Error(), "OwnersTopicARN") {
		t.Errorf("got %v, want an error naming OwnersTopicARN in another region", err)
	}
}

// TestOwnersAfterChat: with chat and an owners topic, the digest goes first, then the chat card,
// then the owners' messages.
func TestOwnersAfterChat(t *testing.T) {
	s := ownersSettings()
	s.Chat = chatSettings().Chat
	r := ownersResources()
	r.ChatTopicARN = "arn:aws:sns:eu-west-1:111122223333:keyage-prod-chat-4d5e6f"
	m := mustDefinition(t, s, r)
	if next := m.States[StateNotify].(*asl.Task).Next; next != StateNotifyChat {
		t.Errorf("Notify goes to %q, want %q", next, StateNotifyChat)
	}
	if next := m.States[StateNotifyChat].(*asl.Task).Next; next != stateHasOwnerMessages {
		t.Errorf("NotifyChat goes to %q, want %q", next, stateHasOwnerMessages)
	}
}

// TestOwnersInOrganizationAccounts: in an organization run with an owners topic, each account's
// report (the child's and the deploying account's) gets the owner settings, and its message goes
// on to publish that account's owner messages from the report before the account is done; the
// role may publish on the owners topic.
func TestOwnersInOrganizationAccounts(t *testing.T) {
	s := organizationSettings()
	s.Owners = ownersSettings().Owners
	r := ownersResources()
	m := mustDefinition(t, s, r)
	var child asl.States
	for _, st := range m.States {
		if mp, ok := st.(*asl.Map); ok && mp.ItemProcessor != nil {
			if _, ok := mp.ItemProcessor.States[memberPrefix+StateAccountNotify]; ok {
				child = mp.ItemProcessor.States
			}
		}
	}
	if child == nil {
		t.Fatal("no child with the account's message")
	}
	for prefix, states := range map[string]asl.States{memberPrefix: child, "Own": m.States} {
		notify := prefix + StateAccountNotify
		if prefix == "Own" {
			notify = stateOwnAccountNotify
		}
		if next := states[notify].(*asl.Task).Next; next != prefix+stateAccountHasOwnerMessages {
			t.Errorf("%s goes to %q, want %q", notify, next, prefix+stateAccountHasOwnerMessages)
			continue
		}
		c := states[prefix+stateAccountHasOwnerMessages].(*asl.Choice).Choices[0]
		mp := states[prefix+stateAccountPublishOwnerMessages].(*asl.Map)
		pub := mp.ItemProcessor.States[prefix+stateAccountNotifyOwner].(*asl.Task)
		if c.Variable != "$.report.Payload.ownerMessages" || mp.ItemsPath != "$.report.Payload.ownerMessages" ||
			pub.Parameters.(map[string]any)["TopicArn"] != r.OwnersTopicARN {
			t.Errorf("%s: choice on %s, map over %s, publish %v; want the report's ownerMessages on the owners topic", prefix, c.Variable, mp.ItemsPath, pub.Parameters)
		}
	}
	report := child[memberPrefix+StateAccountReport].(*asl.Task).Parameters.(map[string]any)["Payload"].(map[string]any)
	if report["owners.$"] != "$.run.owners" {
		t.Errorf("the account's report payload %v, want the run's owner settings", report)
	}
	found := false
	for _, st := range m.IAMStatements("arn:aws:states:eu-west-1:111122223333:stateMachine:keyage-prod") {
		if slices.Contains(st.Action, "sns:Publish") && slices.Contains(st.Resource, r.OwnersTopicARN) {
			found = true
		}
	}
	if !found {
		t.Error("the role may not publish on the owners topic")
	}
}
