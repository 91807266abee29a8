package deployer

import (
	"slices"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
)

// memberDocs derives the policies of a member stack and of a scanner with memberStackSet.
func memberDocs(t *testing.T) (member, org infra.PolicyDocument) {
	t.Helper()
	s := config.Defaults()
	s.Region = testEnv.Region
	s.Component = config.Component{Deploy: config.DeployMember,
		ScannerStateMachineRoleARN: "arn:aws:iam::111122223333:role/keyage-prod-machine-role",
		ScannerFunctionRoleARN:     "arn:aws:iam::111122223333:role/keyage-prod-function-role"}
	c, err := s.Check(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if member, err = ForStack(c, "member", testEnv); err != nil {
		t.Fatal(err)
	}
	s = config.Defaults()
	s.Region = testEnv.Region
	s.Component.MemberStackSet = &config.MemberStackSet{OrganizationalUnits: []string{"ou-ab12-cdef3456"}, CallAs: config.CallAsDelegatedAdmin}
	if c, err = s.Check(time.Now()); err != nil {
		t.Fatal(err)
	}
	if org, err = ForStack(c, "org", testEnv); err != nil {
		t.Fatal(err)
	}
	return member, org
}

// TestMemberStackPolicy: a member stack's deployer manages its one role, by its exact ARN.
func TestMemberStackPolicy(t *testing.T) {
	member, _ := memberDocs(t)
	if len(member.Statement) != 1 {
		t.Fatalf("member stack policy: %+v, want one statement on the member role", member.Statement)
	}
	st := member.Statement[0]
	if !slices.Equal(st.Resource, []string{"arn:aws:iam::123456789012:role/keyage-member"}) ||
		!slices.Contains(st.Action, "iam:CreateRole") || !slices.Contains(st.Action, "iam:PutRolePolicy") {
		t.Errorf("member stack policy statement %+v, want CreateRole and PutRolePolicy on role/keyage-member", st)
	}
	if report := iamScope(t, member); len(report.Problems) > 0 {
		t.Errorf("iam-scope.mjs: %+v", report.Problems)
	}
}

// TestStackSetPolicy: a scanner with memberStackSet may manage its own StackSet (by name, any
// ID) and its instances; CreateStackSet and the delegated administrators' list are on "*",
// which is all IAM allows for them; iam-scope.mjs agrees with every ARN.
func TestStackSetPolicy(t *testing.T) {
	_, org := memberDocs(t)
	st := statement(t, org, "arn:aws:cloudformation:eu-central-1:123456789012:stackset/keyage-org-member:*")
	for _, a := range []string{"cloudformation:CreateStackInstances", "cloudformation:DeleteStackSet", "cloudformation:DescribeStackSet", "cloudformation:UpdateStackSet"} {
		if !slices.Contains(st.Action, a) {
			t.Errorf("statement on the StackSet lacks %s: %v", a, st.Action)
		}
	}
	var unscopedActions []string
	for _, st := range org.Statement {
		if st.Sid == "NoResourceLevelPermissions" {
			unscopedActions = st.Action
		}
	}
	for _, a := range []string{"cloudformation:CreateStackSet", "organizations:ListDelegatedAdministrators"} {
		if !slices.Contains(unscopedActions, a) {
			t.Errorf("statement on \"*\" lacks %s: %v", a, unscopedActions)
		}
	}
	report := iamScope(t, org)
	for _, p := range report.Problems {
		t.Errorf("iam-scope.mjs: statement %s: %s %s", p.Sid, p.Action, p.Problem)
	}
}
