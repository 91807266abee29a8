package deployer

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
)

const (
	roleType = "aws:iam/role:Role"
	keyType  = "aws:kms/key:Key"
)

// target is one place an action is granted: an ARN (or "*"), the condition it is granted
// under (nil for none), and the statement's name.
type target struct {
	arn  string
	sid  string
	cond iampolicy.Condition
	own  bool // arn is the resource's own ARN (its type names the statement)
}

// targets returns where r's action is granted, given the ARNs r's actions act on: none when
// the stack's resources never need it.
//
// KMS key IDs are random, so key actions are granted on every key of the account and region,
// but only for keys tagged with this stack and component (ABAC:
// https://docs.aws.amazon.com/kms/latest/developerguide/abac.html,
// https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html): CreateKey
// only with those tags in the request, and tagging on create (which KMS authorizes on keys
// not yet tagged, https://docs.aws.amazon.com/kms/latest/developerguide/tag-permissions.html)
// only when the request sets them and the key carries no other stack's. Two limits, from
// AWS's pages: tagging on create cannot be told apart from tagging an existing key that has no
// keyage tags, so such a key of the account (if its key policy defers to IAM) could be
// claimed; and tag changes may take up to five minutes to affect authorization, which a first
// real deploy (CreateKey, then DescribeKey and EnableKeyRotation at once) must confirm does not
// apply to tags set by CreateKey.
//
// With a permissions boundary set, roles can be created, and their boundary set, only with
// that boundary (condition key iam:PermissionsBoundary, as in AWS's example of delegating role
// creation: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html),
// and the boundary cannot be removed.
func (p planner) targets(r infratest.Resource, action string, arns []string) ([]target, error) {
	if unscoped[action] {
		if action != "kms:CreateKey" {
			return []target{{arn: "*", sid: "NoResourceLevelPermissions", own: true}}, nil
		}
		cond, err := p.tagCondition("StringEquals", "aws:RequestTag/")
		return []target{{arn: "*", sid: "KmsKeyCreate", cond: cond}}, err
	}
	boundary := ""
	if r.Type == roleType {
		if v, ok := r.Inputs["permissionsBoundary"]; ok && v.IsString() {
			boundary = v.StringValue()
		}
	}
	var out []target
	for i, a := range arns {
		switch {
		case a == p.keyPattern():
			cond, err := p.tagCondition("StringEquals", "aws:ResourceTag/")
			if err != nil {
				return nil, err
			}
			out = append(out, target{arn: a, sid: "KmsKey", cond: cond})
			if r.Type == keyType && action == "kms:TagResource" {
				request, err := p.tagCondition("StringEquals", "aws:RequestTag/")
				if err != nil {
					return nil, err
				}
				current, err := p.tagCondition("StringEqualsIfExists", "aws:ResourceTag/")
				if err != nil {
					return nil, err
				}
				out = append(out, target{arn: a, sid: "KmsKeyTagOnCreate", cond: iampolicy.Condition{
					"StringEquals":         request["StringEquals"],
					"StringEqualsIfExists": current["StringEqualsIfExists"],
				}})
			}
		case boundary != "" && (action == "iam:CreateRole" || action == "iam:PutRolePermissionsBoundary"):
			out = append(out, target{arn: a, sid: "IamRoleWithBoundary",
				cond: iampolicy.Condition{"StringEquals": {"iam:PermissionsBoundary": {boundary}}}})
		case boundary != "" && action == "iam:DeleteRolePermissionsBoundary":
			// The stack's roles keep their boundary: removing it is not granted.
		default:
			out = append(out, target{arn: a, sid: sidOf(r.Type), own: i == 0})
		}
	}
	return out, nil
}

// tagCondition returns the condition that the tags named prefix+key (aws:RequestTag/ or
// aws:ResourceTag/) equal the stack's key tags, under operator op.
func (p planner) tagCondition(op, prefix string) (iampolicy.Condition, error) {
	if len(p.keyTags) == 0 {
		return nil, fmt.Errorf("the stack registers no KMS key: nothing to scope KMS key actions to")
	}
	keys := map[string][]string{}
	for k, v := range p.keyTags {
		keys[prefix+k] = []string{v}
	}
	return iampolicy.Condition{op: keys}, nil
}

// stackTags returns the keyage:stack and keyage:component tags of every KMS key registered:
// the tags the key actions are conditioned on. Every key must carry both, with the same values.
func stackTags(resources []infratest.Resource) (map[string]string, error) {
	var tags map[string]string
	for _, r := range resources {
		if r.Type != keyType {
			continue
		}
		got := map[string]string{}
		v := r.Inputs["tags"]
		for _, k := range []string{infra.TagStack, infra.TagComponent} {
			var t string
			if v.IsObject() {
				if tv, ok := v.ObjectValue()[resource.PropertyKey(k)]; ok && tv.IsString() {
					t = tv.StringValue()
				}
			}
			if t == "" {
				return nil, fmt.Errorf("KMS key %s has no %s tag: its actions cannot be limited to the stack's key", r.Name, k)
			}
			got[k] = t
		}
		if tags != nil && (tags[infra.TagStack] != got[infra.TagStack] || tags[infra.TagComponent] != got[infra.TagComponent]) {
			return nil, fmt.Errorf("KMS key %s has tags %v, another key of the stack %v: want the same %s and %s tags on every key",
				r.Name, got, tags, infra.TagStack, infra.TagComponent)
		}
		tags = got
	}
	return tags, nil
}
