package infra

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/keyage/keyage/iampolicy"
)

// The member role's CloudFormation template, as typed values: rendered with encoding/json,
// never written as text. Its one resource is memberRoleFor's role, in the account each stack
// instance deploys to (the pseudo parameter AWS::AccountId).

// templateAccount stands for the account a stack instance deploys to, in Fn::Sub strings
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html).
const templateAccount = "${AWS::AccountId}"

// MemberRoleLogicalID is the logical ID of the member role in the template.
const MemberRoleLogicalID = "KeyageMemberRole"

// cfnTemplate is a CloudFormation template with IAM roles only.
type cfnTemplate struct {
	AWSTemplateFormatVersion string                 `json:"AWSTemplateFormatVersion"`
	Description              string                 `json:"Description"`
	Resources                map[string]cfnResource `json:"Resources"`
	Outputs                  map[string]cfnOutput   `json:"Outputs"`
}

// cfnResource is an AWS::IAM::Role
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html).
type cfnResource struct {
	Type       string            `json:"Type"`
	Properties cfnRoleProperties `json:"Properties"`
}

type cfnRoleProperties struct {
	RoleName                 string            `json:"RoleName"`
	Path                     string            `json:"Path"`
	Description              string            `json:"Description"`
	AssumeRolePolicyDocument cfnPolicyDocument `json:"AssumeRolePolicyDocument"`
	Policies                 []cfnInlinePolicy `json:"Policies"`
	Tags                     []cfnTag          `json:"Tags,omitempty"`
}

type cfnInlinePolicy struct {
	PolicyName     string            `json:"PolicyName"`
	PolicyDocument cfnPolicyDocument `json:"PolicyDocument"`
}

type cfnTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type cfnOutput struct {
	Description string         `json:"Description"`
	Value       map[string]any `json:"Value"`
}

// cfnPolicyDocument is a PolicyDocument whose resources may name the stack instance's account.
type cfnPolicyDocument struct {
	Version   string         `json:"Version"`
	Statement []cfnStatement `json:"Statement"`
}

// cfnStatement is iampolicy.Statement with template strings as resources, same keys, same order.
type cfnStatement struct {
	Sid       string               `json:"Sid,omitempty"`
	Effect    string               `json:"Effect"`
	Principal *iampolicy.Principal `json:"Principal,omitempty"`
	Action    []string             `json:"Action"`
	Resource  []cfnString          `json:"Resource,omitempty"`
	Condition iampolicy.Condition  `json:"Condition,omitempty"`
}

// cfnString is a template string: literal text, or, when it names a pseudo parameter
// (${AWS::...}), {"Fn::Sub": text}, which CloudFormation replaces per stack instance.
type cfnString string

// MarshalJSON renders the string, as Fn::Sub when it holds a pseudo parameter.
func (s cfnString) MarshalJSON() ([]byte, error) {
	if strings.Contains(string(s), "${AWS::") {
		return json.Marshal(map[string]string{"Fn::Sub": string(s)})
	}
	return json.Marshal(string(s))
}

func cfnDocument(d PolicyDocument) cfnPolicyDocument {
	out := cfnPolicyDocument{Version: d.Version}
	for _, st := range d.Statement {
		var res []cfnString
		for _, r := range st.Resource {
			res = append(res, cfnString(r))
		}
		out.Statement = append(out.Statement, cfnStatement{Sid: st.Sid, Effect: st.Effect, Principal: st.Principal,
			Action: st.Action, Resource: res, Condition: st.Condition})
	}
	return out
}

// memberTemplate renders the template of the member role trusting the scanner's roles in
// partition, with tags: what the scanner's StackSet deploys to every account of its OUs.
func memberTemplate(partition, roleName string, scannerRoles []string, orgID string, tags map[string]string) (string, error) {
	role := memberRoleFor(partition, templateAccount, roleName, scannerRoles, orgID)
	var cfnTags []cfnTag
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		cfnTags = append(cfnTags, cfnTag{Key: k, Value: tags[k]})
	}
	t := cfnTemplate{
		AWSTemplateFormatVersion: "2010-09-09",
		Description:              role.Description,
		Resources: map[string]cfnResource{MemberRoleLogicalID: {
			Type: "AWS::IAM::Role",
			Properties: cfnRoleProperties{
				RoleName: role.Name, Path: "/", Description: role.Description,
				AssumeRolePolicyDocument: cfnDocument(role.Trust),
				Policies:                 []cfnInlinePolicy{{PolicyName: role.PolicyName, PolicyDocument: cfnDocument(role.Policy)}},
				Tags:                     cfnTags,
			},
		}},
		Outputs: map[string]cfnOutput{"RoleArn": {
			Description: "The member role's ARN",
			Value:       map[string]any{"Fn::GetAtt": []string{MemberRoleLogicalID, "Arn"}},
		}},
	}
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return "", fmt.Errorf("member role template: %w", err)
	}
	return string(b) + "\n", nil
}
