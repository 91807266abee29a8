package infra

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/asl"
)

// PolicyDocument is an IAM policy document (identity, trust, key, topic or queue policy), built
// as a Go value and marshalled, never concatenated: field order is fixed and maps marshal with
// sorted keys, so the same document always renders to the same bytes.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one policy statement. Principal is set in resource-based and trust policies
// only.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    []string   `json:"Action"`
	Resource  []string   `json:"Resource,omitempty"`
	Condition Condition  `json:"Condition,omitempty"`
}

// Principal names who a resource-based or trust policy statement is about. Everyone renders
// as "*" (used only in Deny statements here).
type Principal struct {
	Everyone bool
	AWS      []string
	Service  []string
}

// MarshalJSON renders "*" for Everyone, else {"AWS": [...], "Service": [...]}.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Everyone {
		return []byte(`"*"`), nil
	}
	return json.Marshal(struct {
		AWS     []string `json:"AWS,omitempty"`
		Service []string `json:"Service,omitempty"`
	}{p.AWS, p.Service})
}

// UnmarshalJSON reads "*" or an object of string lists (a single string is accepted as a list of
// one, as IAM does), so tests can read recorded documents back.
func (p *Principal) UnmarshalJSON(b []byte) error {
	var star string
	if err := json.Unmarshal(b, &star); err == nil {
		if star != "*" {
			return fmt.Errorf("principal %q: want \"*\" or an object", star)
		}
		*p = Principal{Everyone: true}
		return nil
	}
	var raw struct {
		AWS     stringList `json:"AWS"`
		Service stringList `json:"Service"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("principal: %w", err)
	}
	*p = Principal{AWS: raw.AWS, Service: raw.Service}
	return nil
}

// stringList is a JSON string or list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// Condition maps a condition operator ("StringEquals", "ArnLike", "Bool") to its keys, each
// with the values it may take (a request matches when it matches any of them). A key with one
// value renders as a string, with several as a list, as in AWS's examples.
type Condition map[string]map[string][]string

// MarshalJSON renders a key's single value as a string and several values as a list.
func (c Condition) MarshalJSON() ([]byte, error) {
	if c == nil {
		return []byte("null"), nil
	}
	out := make(map[string]map[string]any, len(c))
	for op, keys := range c {
		m := make(map[string]any, len(keys))
		for key, values := range keys {
			if len(values) == 0 {
				return nil, fmt.Errorf("condition %s %s: no value", op, key)
			}
			if len(values) == 1 {
				m[key] = values[0]
			} else {
				m[key] = values
			}
		}
		out[op] = m
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a key's value as a string or a list of strings, so tests can read
// recorded documents back.
func (c *Condition) UnmarshalJSON(b []byte) error {
	var raw map[string]map[string]stringList
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("condition: %w", err)
	}
	if raw == nil {
		*c = nil
		return nil
	}
	out := make(Condition, len(raw))
	for op, keys := range raw {
		out[op] = make(map[string][]string, len(keys))
		for key, values := range keys {
			out[op][key] = []string(values)
		}
	}
	*c = out
	return nil
}

// policyVersion is the current IAM policy language version.
const policyVersion = "2012-10-17"

// JSON renders the document.
func (d PolicyDocument) JSON() (string, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("marshal policy document: %w", err)
	}
	return string(b), nil
}

func document(stmts ...Statement) PolicyDocument {
	return PolicyDocument{Version: policyVersion, Statement: stmts}
}

func allowStatement(sid string, actions []string, resources ...string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: slices.Clone(actions), Resource: resources}
}

// fromASL converts the statements a state machine definition needs into policy statements.
func fromASL(stmts []asl.PolicyStatement) []Statement {
	out := make([]Statement, 0, len(stmts))
	for _, s := range stmts {
		out = append(out, Statement{Sid: s.Sid, Effect: s.Effect, Action: slices.Clone(s.Action), Resource: slices.Clone(s.Resource)})
	}
	return out
}

// trustPolicy lets one AWS service assume a role, only on behalf of this account and, when
// sourceARNs are given, only for those resources (aws:SourceArn, ArnLike, so a pattern may end
// in "*"): the confused-deputy conditions AWS recommends where the service documents the key.
func trustPolicy(servicePrincipal, accountID string, sourceARNs ...string) PolicyDocument {
	st := Statement{
		Sid:       "AssumedByServiceForThisAccountOnly",
		Effect:    "Allow",
		Principal: &Principal{Service: []string{servicePrincipal}},
		Action:    []string{"sts:AssumeRole"},
		Condition: Condition{"StringEquals": {"aws:SourceAccount": {accountID}}},
	}
	if len(sourceARNs) > 0 {
		st.Sid = "AssumedByServiceForThisResourceOnly"
		st.Condition["ArnLike"] = map[string][]string{"aws:SourceArn": slices.Clone(sourceARNs)}
	}
	return document(st)
}

// denyInsecureTransport refuses every request to a resource that does not use TLS.
func denyInsecureTransport(actions []string, resource string) Statement {
	return Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: &Principal{Everyone: true},
		Action:    actions,
		Resource:  []string{resource},
		Condition: Condition{"Bool": {"aws:SecureTransport": {"false"}}},
	}
}

// denyOtherPublishers refuses sns:Publish on a topic to every request that matches unless: a
// topic policy's Allow alone does not stop principals of the same account whose identity
// policies allow sns:Publish, so the Allow statements only say "only" with this Deny beside them.
func denyOtherPublishers(topic string, unless Condition) Statement {
	return Statement{
		Sid:       "DenyOtherPublishers",
		Effect:    "Deny",
		Principal: &Principal{Everyone: true},
		Action:    []string{"sns:Publish"},
		Resource:  []string{topic},
		Condition: unless,
	}
}

// Actions that support no resource-level permissions, so their statements say Resource "*".
var (
	// logDeliveryActions are what Step Functions needs to send execution logs to CloudWatch
	// Logs (vended logs). None of them supports resource-level permissions, and
	// CreateStateMachine fails unless the role already has them.
	logDeliveryActions = []string{
		"logs:CreateLogDelivery",
		"logs:DeleteLogDelivery",
		"logs:DescribeLogGroups",
		"logs:DescribeResourcePolicies",
		"logs:GetLogDelivery",
		"logs:ListLogDeliveries",
		"logs:PutResourcePolicy",
		"logs:UpdateLogDelivery",
	}
	// xrayActions are what an X-Ray traced service needs to send traces; none of them supports
	// resource-level permissions.
	xrayActions = []string{
		"xray:GetSamplingRules",
		"xray:GetSamplingTargets",
		"xray:PutTelemetryRecords",
		"xray:PutTraceSegments",
	}
)

// jsonInput renders a document whose values are all known now.
func jsonInput(d PolicyDocument) (pulumi.StringInput, error) {
	text, err := d.JSON()
	if err != nil {
		return nil, err
	}
	return pulumi.String(text), nil
}

// policyOutput renders a document built from resolved outputs.
func policyOutput(inputs []any, build func(vals []any) PolicyDocument) pulumi.StringOutput {
	return pulumi.All(inputs...).ApplyT(func(vals []any) (string, error) {
		return build(vals).JSON()
	}).(pulumi.StringOutput)
}
