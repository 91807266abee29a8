// Package infratest runs a keyage Pulumi program without an engine or an AWS account: Mocks
// answers the AWS provider's invokes for a chosen partition, region and account, gives every
// resource realistic outputs (ARNs, names, URLs) so that the program's Apply functions run, and
// records every resource the program registers, for tests and for `keyage render`.
//
// It is not a simulation of AWS: nothing is validated as AWS would, and no call leaves the
// process.
package infratest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/internal/awsid"
)

// Resource is one registered resource as the program sent it.
type Resource struct {
	URN       string
	Type      string
	Name      string
	Parent    string   // the parent's URN, "" for none
	DependsOn []string // URNs the registration depends on (explicit and through inputs)
	Custom    bool     // false for component resources
	Inputs    resource.PropertyMap
}

// Mocks is a pulumi.MockResourceMonitor for one partition, region and account. Use New, then
// Run. Safe for concurrent use, as the Pulumi SDK registers resources from several goroutines.
type Mocks struct {
	Partition string
	Region    string
	AccountID string
	// RootDirectory, when set, is the project directory the program is told it runs in
	// (ctx.RootDirectory(), where Pulumi.yaml and the stack files are), as the engine tells a
	// deployed program.
	RootDirectory string

	project, stack string

	mu        sync.Mutex
	resources []Resource
	invokes   []string
}

// New returns mocks for a partition ("aws", "aws-cn", "aws-us-gov"), region and account.
func New(partition, region, accountID string) *Mocks {
	return &Mocks{Partition: partition, Region: region, AccountID: accountID}
}

// Run runs program as stack of project under these mocks. Stack configuration comes from the
// PULUMI_CONFIG environment variable, as with the real engine.
func (m *Mocks) Run(project, stack string, program pulumi.RunFunc) error {
	m.mu.Lock()
	m.project, m.stack = project, stack
	m.mu.Unlock()
	return pulumi.RunErr(program, pulumi.WithMocks(project, stack, m), func(info *pulumi.RunInfo) {
		info.RootDirectory = m.RootDirectory
	})
}

// Resources returns every resource registered so far, in registration order.
func (m *Mocks) Resources() []Resource {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.resources)
}

// Invokes returns the tokens of every provider function called so far, in order.
func (m *Mocks) Invokes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.invokes)
}

// DNSSuffix returns the partition's DNS suffix.
func (m *Mocks) DNSSuffix() string {
	if m.Partition == "aws-cn" {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

func (m *Mocks) arn(service, res string) string {
	return awsid.ARN(m.Partition, service, m.Region, m.AccountID, res)
}

// NewResource records the registration and returns an ID and outputs: the inputs plus the
// attributes AWS would compute (arn, name, id, url, keyId).
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	project, stack := m.project, m.stack
	m.mu.Unlock()
	var parent string
	var deps []string
	if rpc := args.RegisterRPC; rpc != nil {
		parent = rpc.GetParent()
		deps = slices.Clone(rpc.GetDependencies())
		slices.Sort(deps)
	}
	r := Resource{
		URN:       urn(project, stack, parent, args.TypeToken, args.Name),
		Type:      args.TypeToken,
		Name:      args.Name,
		Parent:    parent,
		DependsOn: deps,
		Custom:    args.Custom,
		Inputs:    args.Inputs.Copy(),
	}
	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()

	state := args.Inputs.Copy()
	name := args.Name // Pulumi's auto-naming does not run under mocks: the logical name stands in
	if v, ok := args.Inputs["name"]; ok && v.IsString() {
		name = v.StringValue()
	}
	set := func(k, v string) { state[resource.PropertyKey(k)] = resource.NewProperty(v) }
	id := name
	switch args.TypeToken {
	case "aws:iam/role:Role":
		set("name", name)
		path := "/" // a role's ARN holds its path: arn:aws:iam::123456789012:role/PATH/NAME
		if v, ok := args.Inputs["path"]; ok && v.IsString() && v.StringValue() != "" {
			path = v.StringValue()
		}
		set("arn", awsid.ARN(m.Partition, "iam", "", m.AccountID, "role"+path+name))
	case "aws:kms/key:Key":
		sum := sha256.Sum256([]byte(args.Name))
		h := hex.EncodeToString(sum[:16])
		keyID := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
		id = keyID
		set("keyId", keyID)
		set("arn", m.arn("kms", "key/"+keyID))
	case "aws:sns/topic:Topic":
		set("name", name)
		id = m.arn("sns", name)
		set("arn", id)
	case "aws:sqs/queue:Queue":
		set("name", name)
		set("arn", m.arn("sqs", name))
		id = "https://sqs." + m.Region + "." + m.DNSSuffix() + "/" + m.AccountID + "/" + name
		set("url", id)
	case "aws:cloudwatch/logGroup:LogGroup":
		set("name", name)
		set("arn", m.arn("logs", "log-group:"+name))
	case "aws:lambda/function:Function":
		set("name", name)
		set("arn", m.arn("lambda", "function:"+name))
	case "aws:sfn/stateMachine:StateMachine":
		set("name", name)
		id = m.arn("states", "stateMachine:"+name)
		set("arn", id)
	case "aws:scheduler/scheduleGroup:ScheduleGroup":
		set("name", name)
		set("arn", m.arn("scheduler", "schedule-group/"+name))
	case "aws:scheduler/schedule:Schedule":
		group := "default"
		if v, ok := args.Inputs["groupName"]; ok && v.IsString() {
			group = v.StringValue()
		}
		set("name", name)
		set("arn", m.arn("scheduler", "schedule/"+group+"/"+name))
		id = group + "/" + name
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		set("name", name)
		set("arn", m.arn("cloudwatch", "alarm:"+name))
	case "aws:iam/policy:Policy": // a customer managed policy: arn:aws:iam::123456789012:policy/NAME
		set("name", name)
		id = awsid.ARN(m.Partition, "iam", "", m.AccountID, "policy/"+name)
		set("arn", id)
	case "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration",
		"aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration":
		// arn:aws:chatbot::123456789012:chat-configuration/slack-channel/NAME (chatbot ARNs
		// have no region)
		kind := "slack-channel"
		if strings.Contains(args.TypeToken, "teams") {
			kind = "microsoft-teams-channel"
		}
		if v, ok := args.Inputs["configurationName"]; ok && v.IsString() {
			name = v.StringValue()
		}
		id = awsid.ARN(m.Partition, "chatbot", "", m.AccountID, "chat-configuration/"+kind+"/"+name)
		set("chatConfigurationArn", id)
	default:
		id = args.Name + "-id"
	}
	if !args.Custom {
		id = ""
	}
	return id, state, nil
}

// Call answers the provider functions keyage calls: partition, caller identity, region and
// service principals. Any other call is an error, so a new invoke cannot go unnoticed.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.invokes = append(m.invokes, args.Token)
	m.mu.Unlock()
	switch args.Token {
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": m.Partition, "partition": m.Partition, "dnsSuffix": m.DNSSuffix(),
			"reverseDnsPrefix": reverse(m.DNSSuffix()),
		}), nil
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": m.AccountID, "accountId": m.AccountID, "userId": "AIDAEXAMPLEDEPLOYER",
			"arn": awsid.ARN(m.Partition, "iam", "", m.AccountID, "user/deployer"),
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": m.Region, "name": m.Region, "description": m.Region,
			"endpoint": "ec2." + m.Region + "." + m.DNSSuffix(),
		}), nil
	case "aws:index/getServicePrincipal:getServicePrincipal":
		service := args.Args["serviceName"]
		if !service.IsString() || service.StringValue() == "" {
			return nil, fmt.Errorf("getServicePrincipal: serviceName is missing")
		}
		// The provider's answer for most services: <service>.<partition's DNS suffix>.
		name := service.StringValue() + "." + m.DNSSuffix()
		return resource.NewPropertyMapFromMap(map[string]any{
			"id": name, "name": name, "region": m.Region, "serviceName": service.StringValue(), "suffix": m.DNSSuffix(),
		}), nil
	}
	return nil, fmt.Errorf("infratest: no mock for provider function %s", args.Token)
}

func reverse(dns string) string {
	parts := strings.Split(dns, ".")
	slices.Reverse(parts)
	return strings.Join(parts, ".")
}

// urn builds a resource's URN the way the engine (and the mock monitor) does.
func urn(project, stack, parent, typ, name string) string {
	parentType := tokens.Type("")
	if p := resource.URN(parent); p != "" && p.IsValid() && p.QualifiedType() != resource.RootStackType {
		parentType = p.QualifiedType()
	}
	return string(resource.NewURN(tokens.QName(stack), tokens.PackageName(project), parentType, tokens.Type(typ), name))
}

// Plain turns recorded inputs into JSON-friendly values: secrets are unwrapped (there are
// none in keyage), archives and assets become their path, unknown values "<unknown>", and
// resource references their URN.
func Plain(v resource.PropertyValue) any {
	switch {
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		out := make([]any, 0, len(v.ArrayValue()))
		for _, item := range v.ArrayValue() {
			out = append(out, Plain(item))
		}
		return out
	case v.IsObject():
		return PlainMap(v.ObjectValue())
	case v.IsSecret():
		return Plain(v.SecretValue().Element)
	case v.IsArchive():
		a := v.ArchiveValue()
		if a.Path != "" {
			return map[string]any{"archive": a.Path}
		}
		return map[string]any{"archive": a.URI}
	case v.IsAsset():
		a := v.AssetValue()
		return map[string]any{"asset": a.Path}
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	case v.IsOutput():
		o := v.OutputValue()
		if !o.Known {
			return "<unknown>"
		}
		return Plain(o.Element)
	case v.IsComputed():
		return "<unknown>"
	}
	return fmt.Sprint(v)
}

// PlainMap is Plain for a property map.
func PlainMap(m resource.PropertyMap) map[string]any {
	out := make(map[string]any, len(m))
	for k, item := range m {
		out[string(k)] = Plain(item)
	}
	return out
}
