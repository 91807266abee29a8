package deployer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/keyage/keyage/infra/infratest"
)

// planner builds the ARNs (and conditions) of the registered resources.
type planner struct {
	env    Env
	byName map[string]map[string]infratest.Resource // type -> physical name (under mocks) -> resource
	// keyTags are the keyage:stack and keyage:component tags every KMS key of the stack
	// carries: key IDs are random, so the key's actions are granted on key/* for keys with
	// these tags only.
	keyTags map[string]string
}

// physical is a resource's name as the mocks saw it: its name input, else its logical name
// (auto-naming does not run under mocks).
func physical(r infratest.Resource) string {
	if v, ok := r.Inputs["name"]; ok && v.IsString() {
		return v.StringValue()
	}
	return r.Name
}

// givenName returns the physical name the program gives r. keyage names every resource whose ARN
// holds its name (infra/names.go), so the policy can name the exact ARN: an auto-named one
// ("<logical name>-<random>") could only be matched with a wildcard that also matches other
// stacks' resources, and is refused.
func givenName(r infratest.Resource) (string, error) {
	if v, ok := r.Inputs["name"]; ok && v.IsString() && v.StringValue() != "" {
		return v.StringValue(), nil
	}
	return "", fmt.Errorf("resource %s has no name input: give it a physical name (infra/names.go), "+
		"so the deployer policy can name its exact ARN", r.Name)
}

// arn returns the ARN of resource res of service in the stack's region and account.
func (p planner) arn(service, res string) string {
	return arn.ARN{Partition: p.env.Partition, Service: service, Region: p.env.Region, AccountID: p.env.AccountID, Resource: res}.String()
}

// keyPattern is the ARN pattern of every KMS key of the account and region.
func (p planner) keyPattern() string { return p.arn("kms", "key/*") }

// arns returns the ARNs a resource's actions act on: its own first.
func (p planner) arns(r infratest.Resource) ([]string, error) {
	switch r.Type {
	case "aws:iam/rolePolicy:RolePolicy":
		return p.ref(r, "role", "aws:iam/role:Role")
	case "aws:kms/key:Key":
		return []string{p.keyPattern()}, nil // key IDs are random: scoped by tag (see conditions)
	case "aws:sns/topicPolicy:TopicPolicy":
		return p.ref(r, "arn", "aws:sns/topic:Topic")
	case "aws:sns/topicSubscription:TopicSubscription":
		topics, err := p.ref(r, "topic", "aws:sns/topic:Topic")
		return withChildren(topics, ":*"), err // the topic, and its subscriptions' ARNs
	case "aws:sqs/queuePolicy:QueuePolicy":
		return p.ref(r, "queueUrl", "aws:sqs/queue:Queue")
	case "aws:cloudformation/stackSetInstance:StackSetInstance":
		return p.ref(r, "stackSetName", "aws:cloudformation/stackSet:StackSet")
	case chatbotSlack, chatbotTeams:
		return p.chatConfiguration(r)
	}
	if _, known := namedARN[r.Type]; !known {
		return nil, fmt.Errorf("no ARN known for type %s", r.Type)
	}
	n, err := givenName(r)
	if err != nil {
		return nil, err
	}
	return namedARN[r.Type](p, r, n)
}

// namedARN builds the ARNs of the resource types whose ARN holds the name the program gives.
var namedARN = map[string]func(p planner, r infratest.Resource, name string) ([]string, error){
	"aws:iam/role:Role": func(p planner, r infratest.Resource, name string) ([]string, error) {
		path := "/"
		if v, ok := r.Inputs["path"]; ok && v.IsString() && v.StringValue() != "" {
			path = v.StringValue()
		}
		// IAM ARNs have no region.
		return []string{arn.ARN{Partition: p.env.Partition, Service: "iam", AccountID: p.env.AccountID, Resource: "role" + path + name}.String()}, nil
	},
	"aws:iam/policy:Policy": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		// IAM ARNs have no region; keyage's managed policies have the default path, "/".
		return []string{arn.ARN{Partition: p.env.Partition, Service: "iam", AccountID: p.env.AccountID, Resource: "policy/" + name}.String()}, nil
	},
	"aws:kms/alias:Alias": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("kms", name), p.keyPattern()}, nil // the alias, and the key it points to
	},
	"aws:sns/topic:Topic": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("sns", name)}, nil
	},
	"aws:sqs/queue:Queue": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("sqs", name)}, nil
	},
	"aws:cloudwatch/logGroup:LogGroup": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return withChildren([]string{p.arn("logs", "log-group:"+name)}, ":*"), nil // the group, and its streams
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("cloudwatch", "alarm:"+name)}, nil
	},
	"aws:lambda/function:Function": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("lambda", "function:"+name)}, nil
	},
	"aws:sfn/stateMachine:StateMachine": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("states", "stateMachine:"+name)}, nil
	},
	"aws:dynamodb/table:Table": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("dynamodb", "table/"+name)}, nil
	},
	"aws:scheduler/scheduleGroup:ScheduleGroup": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("scheduler", "schedule-group/"+name)}, nil
	},
	// stackset/<name>:<ID>: the ID is StackSets' choice, and names hold no ":".
	"aws:cloudformation/stackSet:StackSet": func(p planner, _ infratest.Resource, name string) ([]string, error) {
		return []string{p.arn("cloudformation", "stackset/"+name+":*")}, nil
	},
	"aws:scheduler/schedule:Schedule": func(p planner, r infratest.Resource, name string) ([]string, error) {
		group := "default"
		if v, ok := r.Inputs["groupName"]; ok && v.IsString() && v.StringValue() != "" {
			group = v.StringValue()
		}
		return []string{p.arn("scheduler", "schedule/"+group+"/"+name)}, nil
	},
}

// The channel configuration types, whose name input is configurationName.
const (
	chatbotSlack = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
	chatbotTeams = "aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration"
)

// chatConfiguration returns a channel configuration's ARN,
// arn:PARTITION:chatbot::ACCOUNT:chat-configuration/slack-channel/NAME (or
// microsoft-teams-channel; chatbot ARNs have no region, see the ChatbotConfiguration resource
// type of https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonqdeveloperinchatapplications.html).
func (p planner) chatConfiguration(r infratest.Resource) ([]string, error) {
	v, ok := r.Inputs["configurationName"]
	if !ok || !v.IsString() || v.StringValue() == "" {
		return nil, fmt.Errorf("resource %s has no configurationName input: give it a physical name, "+
			"so the deployer policy can name its exact ARN", r.Name)
	}
	kind := "slack-channel"
	if r.Type == chatbotTeams {
		kind = "microsoft-teams-channel"
	}
	return []string{arn.ARN{Partition: p.env.Partition, Service: "chatbot", AccountID: p.env.AccountID,
		Resource: "chat-configuration/" + kind + "/" + v.StringValue()}.String()}, nil
}

// withChildren adds, to each ARN, the pattern of the ARNs under it (a log group's streams, a
// topic's subscriptions). Names hold no ":", so the pattern matches no other resource's ARN.
func withChildren(arns []string, suffix string) []string {
	out := arns
	for _, a := range arns {
		out = append(out, a+suffix)
	}
	return out
}

// ref returns the ARN patterns of the resource of type typ that r's input names (by name, ARN
// or URL: the last part of it is the name under the mocks).
func (p planner) ref(r infratest.Resource, input, typ string) ([]string, error) {
	target, err := p.referenced(r, input, typ)
	if err != nil {
		return nil, err
	}
	return p.arns(target)
}

func (p planner) referenced(r infratest.Resource, input, typ string) (infratest.Resource, error) {
	path := strings.Split(input, ".")
	v := r.Inputs[resource.PropertyKey(path[0])]
	for _, key := range path[1:] {
		if !v.IsObject() {
			break
		}
		v = v.ObjectValue()[resource.PropertyKey(key)]
	}
	if !v.IsString() {
		return infratest.Resource{}, fmt.Errorf("input %s is not a string naming a %s", input, typ)
	}
	id := v.StringValue()
	name := id[strings.LastIndexAny(id, ":/")+1:]
	target, ok := p.byName[typ][name]
	if !ok {
		return infratest.Resource{}, fmt.Errorf("input %s = %q names no registered %s", input, id, typ)
	}
	return target, nil
}

// snsPrincipal is the service a subscription's role is passed to.
const snsPrincipal = "sns.amazonaws.com"

// subscriptionRole returns the role a subscription to a Firehose stream names
// (subscriptionRoleArn: a role of the stack's settings, which SNS assumes to write to the
// stream) and SNS, the service it is passed to; none for a subscription without one. Subscribe
// with a subscription role checks that the caller may pass it
// (https://docs.aws.amazon.com/sns/latest/dg/prereqs-kinesis-data-firehose.html).
func subscriptionRole(r infratest.Resource) ([]string, []string, error) {
	v, ok := r.Inputs["subscriptionRoleArn"]
	if !ok || !v.IsString() || v.StringValue() == "" {
		return nil, nil, nil
	}
	role, err := arn.Parse(v.StringValue())
	if err != nil || role.Service != "iam" || !strings.HasPrefix(role.Resource, "role/") {
		return nil, nil, fmt.Errorf("input subscriptionRoleArn = %q is not an IAM role ARN, want arn:PARTITION:iam::ACCOUNT:role/NAME", v.StringValue())
	}
	return []string{v.StringValue()}, []string{snsPrincipal}, nil
}

// passedRole returns the ARN patterns of the role a resource is given and the services the
// role trusts (its trust policy's service principals): iam:PassRole is granted for those only.
func (p planner) passedRole(r infratest.Resource) ([]string, []string, error) {
	if r.Type == "aws:sns/topicSubscription:TopicSubscription" {
		return subscriptionRole(r)
	}
	input := map[string]string{
		"aws:lambda/function:Function":      "role",
		"aws:sfn/stateMachine:StateMachine": "roleArn",
		"aws:scheduler/schedule:Schedule":   "target.roleArn",
		chatbotSlack:                        "iamRoleArn",
		chatbotTeams:                        "iamRoleArn",
	}[r.Type]
	if input == "" {
		return nil, nil, fmt.Errorf("no role input known for type %s", r.Type)
	}
	role, err := p.referenced(r, input, "aws:iam/role:Role")
	if err != nil {
		return nil, nil, err
	}
	arns, err := p.arns(role)
	if err != nil {
		return nil, nil, err
	}
	trust := role.Inputs["assumeRolePolicy"]
	if !trust.IsString() {
		return nil, nil, fmt.Errorf("role %s has no assumeRolePolicy document", role.Name)
	}
	var doc struct {
		Statement []struct {
			Effect    string
			Principal struct{ Service any }
		}
	}
	if err := json.Unmarshal([]byte(trust.StringValue()), &doc); err != nil {
		return nil, nil, fmt.Errorf("role %s's assumeRolePolicy: %w", role.Name, err)
	}
	var services []string
	for _, st := range doc.Statement {
		if st.Effect != "Allow" {
			continue
		}
		switch s := st.Principal.Service.(type) {
		case string:
			services = append(services, s)
		case []any:
			for _, item := range s {
				if str, ok := item.(string); ok {
					services = append(services, str)
				}
			}
		}
	}
	if len(services) == 0 {
		return nil, nil, fmt.Errorf("role %s trusts no service: nothing to pass it to", role.Name)
	}
	return arns, services, nil
}
