package infra

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/iampolicy"
)

// PolicyDocument is an IAM policy document (identity, trust, key, topic or queue policy), built
// as a Go value and marshalled, never concatenated: field order is fixed and maps marshal with
// sorted keys, so the same document always renders to the same bytes.
type PolicyDocument struct {
	Version   string                `json:"Version"`
	Statement []iampolicy.Statement `json:"Statement"`
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

func document(stmts ...iampolicy.Statement) PolicyDocument {
	return PolicyDocument{Version: policyVersion, Statement: stmts}
}

func allowStatement(sid string, actions []string, resources ...string) iampolicy.Statement {
	return iampolicy.Statement{Sid: sid, Effect: "Allow", Action: slices.Clone(actions), Resource: resources}
}

// trustPolicy lets one AWS service assume a role, only on behalf of this account and, when
// sourceARNs are given, only for those resources (aws:SourceArn, ArnLike, so a pattern may end
// in "*"): the confused-deputy conditions AWS recommends where the service documents the key.
func trustPolicy(servicePrincipal, accountID string, sourceARNs ...string) PolicyDocument {
	st := iampolicy.Statement{
		Sid:       "AssumedByServiceForThisAccountOnly",
		Effect:    "Allow",
		Principal: &iampolicy.Principal{Service: []string{servicePrincipal}},
		Action:    []string{"sts:AssumeRole"},
		Condition: iampolicy.Condition{"StringEquals": {"aws:SourceAccount": {accountID}}},
	}
	if len(sourceARNs) > 0 {
		st.Sid = "AssumedByServiceForThisResourceOnly"
		st.Condition["ArnLike"] = map[string][]string{"aws:SourceArn": slices.Clone(sourceARNs)}
	}
	return document(st)
}

// denyInsecureTransport refuses every request to a resource that does not use TLS.
func denyInsecureTransport(actions []string, resource string) iampolicy.Statement {
	return iampolicy.Statement{
		Sid:       "DenyInsecureTransport",
		Effect:    "Deny",
		Principal: &iampolicy.Principal{Everyone: true},
		Action:    actions,
		Resource:  []string{resource},
		Condition: iampolicy.Condition{"Bool": {"aws:SecureTransport": {"false"}}},
	}
}

// denyOtherPublishers refuses sns:Publish on a topic to every request that matches unless: a
// topic policy's Allow alone does not stop principals of the same account whose identity
// policies allow sns:Publish, so the Allow statements only say "only" with this Deny beside them.
func denyOtherPublishers(topic string, unless iampolicy.Condition) iampolicy.Statement {
	return iampolicy.Statement{
		Sid:       "DenyOtherPublishers",
		Effect:    "Deny",
		Principal: &iampolicy.Principal{Everyone: true},
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
