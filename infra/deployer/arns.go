package deployer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/keyage/keyage/infra/infratest"
)

// planner builds ARN patterns for the registered resources.
type planner struct {
	env    Env
	prefix string
	byName map[string]map[string]infratest.Resource // type -> physical name (under mocks) -> resource
}

// physical is a resource's name as the mocks saw it: its name input, else its logical name
// (auto-naming does not run under mocks).
func physical(r infratest.Resource) string {
	if v, ok := r.Inputs["name"]; ok && v.IsString() {
		return v.StringValue()
	}
	return r.Name
}

// autoNamed reports whether Pulumi names the resource: the program gave it no name input.
func autoNamed(r infratest.Resource) bool {
	v, ok := r.Inputs["name"]
	return !ok || !v.IsString()
}

// scope returns the name pattern for a resource named name: auto-named resources are
// "<logical name>-<7 random characters>"; a name holding the stack's prefix is widened to the
// stack's names (everything after the prefix becomes "-*"); any other name is kept.
func (p planner) scope(r infratest.Resource, name string) string {
	if autoNamed(r) {
		return name + "-*"
	}
	i := strings.Index(name, p.prefix)
	if i < 0 {
		return name
	}
	rest := name[i+len(p.prefix):]
	switch {
	case rest == "":
		return name
	case strings.HasPrefix(rest, "-"):
		return name[:i+len(p.prefix)] + "-*"
	}
	return name
}

func (p planner) arn(service, res string) string {
	return arn.ARN{Partition: p.env.Partition, Service: service, Region: p.env.Region, AccountID: p.env.AccountID, Resource: res}.String()
}

// arns returns the ARN patterns a resource's actions act on.
func (p planner) arns(r infratest.Resource) ([]string, error) {
	name := p.scope(r, physical(r))
	switch r.Type {
	case "aws:iam/role:Role":
		path := "/"
		if v, ok := r.Inputs["path"]; ok && v.IsString() {
			path = v.StringValue()
		}
		// IAM is global: its ARNs have no region.
		return []string{arn.ARN{Partition: p.env.Partition, Service: "iam", AccountID: p.env.AccountID, Resource: "role" + path + name}.String()}, nil
	case "aws:iam/rolePolicy:RolePolicy":
		return p.ref(r, "role", "aws:iam/role:Role")
	case "aws:kms/key:Key":
		return []string{p.arn("kms", "key/*")}, nil // key IDs are random
	case "aws:kms/alias:Alias":
		return []string{p.arn("kms", name), p.arn("kms", "key/*")}, nil // the alias and its key
	case "aws:sns/topic:Topic":
		return []string{p.arn("sns", name)}, nil
	case "aws:sns/topicPolicy:TopicPolicy":
		return p.ref(r, "arn", "aws:sns/topic:Topic")
	case "aws:sns/topicSubscription:TopicSubscription":
		topics, err := p.ref(r, "topic", "aws:sns/topic:Topic")
		return withChildren(topics, ":*"), err // the topic, and its subscriptions' ARNs
	case "aws:sqs/queue:Queue":
		return []string{p.arn("sqs", name)}, nil
	case "aws:sqs/queuePolicy:QueuePolicy":
		return p.ref(r, "queueUrl", "aws:sqs/queue:Queue")
	case "aws:cloudwatch/logGroup:LogGroup":
		return withChildren([]string{p.arn("logs", "log-group:"+name)}, ":*"), nil
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		return []string{p.arn("cloudwatch", "alarm:"+name)}, nil
	case "aws:lambda/function:Function":
		return []string{p.arn("lambda", "function:"+name)}, nil
	case "aws:sfn/stateMachine:StateMachine":
		return []string{p.arn("states", "stateMachine:"+name)}, nil
	case "aws:scheduler/scheduleGroup:ScheduleGroup":
		return []string{p.arn("scheduler", "schedule-group/"+name)}, nil
	case "aws:scheduler/schedule:Schedule":
		group := "default"
		if v, ok := r.Inputs["groupName"]; ok && v.IsString() {
			group = v.StringValue()
			if g, ok := p.byName["aws:scheduler/scheduleGroup:ScheduleGroup"][group]; ok {
				group = p.scope(g, group)
			}
		}
		return []string{p.arn("scheduler", "schedule/"+group+"/"+name)}, nil
	}
	return nil, fmt.Errorf("no ARN known for type %s", r.Type)
}

// withChildren adds, to each pattern that does not already end with *, the pattern of the ARNs
// under it (a log group's streams, a topic's subscriptions).
func withChildren(arns []string, suffix string) []string {
	out := arns
	for _, a := range arns {
		if !strings.HasSuffix(a, "*") {
			out = append(out, a+suffix)
		}
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

// passedRole returns the ARN patterns of the role a resource is given and the services the
// role trusts (its trust policy's service principals): iam:PassRole is granted for those only.
func (p planner) passedRole(r infratest.Resource) ([]string, []string, error) {
	input := map[string]string{
		"aws:lambda/function:Function":      "role",
		"aws:sfn/stateMachine:StateMachine": "roleArn",
		"aws:scheduler/schedule:Schedule":   "target.roleArn",
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
