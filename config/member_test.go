package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testMachineRole  = "arn:aws:iam::111122223333:role/keyage-prod-machine-role"
	testFunctionRole = "arn:aws:iam::111122223333:role/keyage/keyage-prod-function-role"
)

// memberValues are a valid member stack's settings (keys without namespace) plus extra.
func memberValues(extra map[string]string) map[string]string {
	v := map[string]string{"deploy": "member", "scannerStateMachineRoleArn": testMachineRole, "scannerFunctionRoleArn": testFunctionRole}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

func TestComponentDefaults(t *testing.T) {
	c, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Settings()
	if s.Component.Deploy != DeployScanner || s.Organization.MemberRoleName != "keyage-member" || s.Component.MemberStackSet != nil {
		t.Errorf("defaults: deploy %q, memberRoleName %q, memberStackSet %v; want scanner, keyage-member, none",
			s.Component.Deploy, s.Organization.MemberRoleName, s.Component.MemberStackSet)
	}
}

func TestMemberStackSettings(t *testing.T) {
	c, err := Parse(memberValues(map[string]string{"principalOrgId": "o-a1b2c3d4e5", "memberRoleName": "audit-keyage", "tags": `{"team":"sec"}`,
		"rolePermissionsBoundary": "arn:aws:iam::111122223333:policy/Boundary"}))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Settings().Component
	want := Component{Deploy: DeployMember, ScannerStateMachineRoleARN: testMachineRole, ScannerFunctionRoleARN: testFunctionRole, PrincipalOrgID: "o-a1b2c3d4e5"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("component = %+v, want %+v", got, want)
	}
	if n := c.Settings().Organization.MemberRoleName; n != "audit-keyage" {
		t.Errorf("memberRoleName = %q, want audit-keyage", n)
	}
}

func TestMemberStackSetSettings(t *testing.T) {
	c, err := ParseConfig(namespace(map[string]string{"memberStackSet": `{"organizationalUnits":["ou-ab12-cdef3456","r-ab12"],"callAs":"DELEGATED_ADMIN"}`,
		"principalOrgId": "o-a1b2c3d4e5"}))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Settings().Component.MemberStackSet
	want := &MemberStackSet{OrganizationalUnits: []string{"ou-ab12-cdef3456", "r-ab12"}, CallAs: CallAsDelegatedAdmin}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("memberStackSet = %+v, want %+v", m, want)
	}
	if r := m.InstanceRegion("eu-west-1"); r != "eu-west-1" {
		t.Errorf("instance region = %q, want the stack's, eu-west-1", r)
	}
	if got := (MemberStackSet{Region: "us-east-1"}).InstanceRegion("eu-west-1"); got != "us-east-1" {
		t.Errorf("instance region = %q, want the set one, us-east-1", got)
	}
	if got := (MemberStackSet{}).CallAsOrDefault(); got != CallAsSelf {
		t.Errorf("callAs default = %q, want SELF", got)
	}
	// The Checked holds its own copy.
	m.OrganizationalUnits[0] = "changed"
	if c.Settings().Component.MemberStackSet.OrganizationalUnits[0] != "ou-ab12-cdef3456" {
		t.Error("changing a returned memberStackSet changed the checked settings")
	}
}

// TestMemberStackSetWithoutAccounts: a StackSet of member roles on a scanner that scans only its
// own account is accepted (roles first, accounts later) with a warning naming both settings;
// with accounts set, no warning.
func TestMemberStackSetWithoutAccounts(t *testing.T) {
	stackSet := `{"organizationalUnits":["r-ab12"]}`
	c, err := ParseConfig(namespace(map[string]string{"memberStackSet": stackSet}))
	if err != nil {
		t.Fatal(err)
	}
	want := "memberStackSet is set, but accounts is not: the StackSet deploys member roles to its organizational units, and this stack " +
		"scans only the account it is deployed in, so none of them is used; set accounts (a list of account IDs, or [organization]) to scan those accounts"
	if !slices.Contains(c.Warnings, want) {
		t.Errorf("warnings %q, want %q", c.Warnings, want)
	}
	c, err = ParseConfig(namespace(map[string]string{"memberStackSet": stackSet, "accounts": `["organization"]`}))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w, "memberStackSet") {
			t.Errorf("with accounts set, warning %q", w)
		}
	}
}

func TestComponentInvalid(t *testing.T) {
	scannerOnlyProblem := func(key, value string) string {
		return key + ": " + value + " is a setting of the scanner, which a member stack (deploy: member) does not use: want no " + key + " in a stack with deploy: member"
	}
	tests := []struct {
		name   string
		values map[string]string
		want   []string
	}{
		{"unknown component", map[string]string{"deploy": "scaner"},
			[]string{`deploy: "scaner" is not a component keyage deploys: want scanner (the default: the scan, its schedule and notifications) or member (the read-only role memberRoleName in an account the scanner scans)`}},
		{"member without the scanner's roles", map[string]string{"deploy": "member"},
			[]string{
				"scannerStateMachineRoleArn is missing: want the scanner stack's output stateMachineRoleArn (pulumi stack output stateMachineRoleArn), such as arn:aws:iam::123456789012:role/keyage-prod-machine-role, on a stack with deploy: member",
				"scannerFunctionRoleArn is missing: want the scanner stack's output functionRoleArn (pulumi stack output functionRoleArn), such as arn:aws:iam::123456789012:role/keyage-prod-function-role, on a stack with deploy: member",
			}},
		{"member given a scanner setting at its default", memberValues(map[string]string{"maxAgeDays": "90", "schedule": "cron(0 8 * * ? *)"}),
			[]string{scannerOnlyProblem("maxAgeDays", "90"), scannerOnlyProblem("schedule", `"cron(0 8 * * ? *)"`)}},
		{"member with rolePath", memberValues(map[string]string{"rolePath": "/keyage/"}),
			[]string{`rolePath: "/keyage/" is a setting of the scanner, which a member stack (deploy: member) does not use: the member role stays at path / so that the scanner's arn:<partition>:iam::<account>:role/<memberRoleName> names it: want no rolePath in a stack with deploy: member`}},
		{"member with memberStackSet", memberValues(map[string]string{"memberStackSet": `{"organizationalUnits":["r-ab12"]}`}),
			[]string{scannerOnlyProblem("memberStackSet", `{"organizationalUnits":["r-ab12"]}`)}},
		{"scanner roles of two accounts", memberValues(map[string]string{"scannerFunctionRoleArn": "arn:aws:iam::444455556666:role/f"}),
			[]string{`scannerFunctionRoleArn: "arn:aws:iam::444455556666:role/f" is in account 444455556666, but scannerStateMachineRoleArn is in 111122223333: want the two roles of one scanner stack, which live in one account`}},
		{"a user is no role", memberValues(map[string]string{"scannerStateMachineRoleArn": "arn:aws:iam::111122223333:user/alice"}),
			[]string{`scannerStateMachineRoleArn: "arn:aws:iam::111122223333:user/alice" is not an IAM role ARN: want the scanner stack's output stateMachineRoleArn (pulumi stack output stateMachineRoleArn), such as arn:aws:iam::123456789012:role/keyage-prod-machine-role`}},
		{"scanner role in another partition", memberValues(map[string]string{"aws:region": "cn-north-1"}),
			[]string{
				`scannerStateMachineRoleArn: "arn:aws:iam::111122223333:role/keyage-prod-machine-role" is in partition aws, but the stack's region cn-north-1 is in aws-cn: want the scanner stack's output stateMachineRoleArn (pulumi stack output stateMachineRoleArn), such as arn:aws-cn:iam::123456789012:role/keyage-prod-machine-role`,
				`scannerFunctionRoleArn: "arn:aws:iam::111122223333:role/keyage/keyage-prod-function-role" is in partition aws, but the stack's region cn-north-1 is in aws-cn: want the scanner stack's output functionRoleArn (pulumi stack output functionRoleArn), such as arn:aws-cn:iam::123456789012:role/keyage-prod-function-role`,
			}},
		{"scanner given a member setting", map[string]string{"scannerFunctionRoleArn": testFunctionRole},
			[]string{`scannerFunctionRoleArn: "` + testFunctionRole + `" is a setting of a member stack (deploy: member), which this scanner stack does not use: want no scannerFunctionRoleArn in a stack with deploy: scanner`}},
		{"scanner with principalOrgId but no StackSet", map[string]string{"principalOrgId": "o-a1b2c3d4e5"},
			[]string{`principalOrgId: "o-a1b2c3d4e5" is used by a member stack or with memberStackSet, and this scanner stack sets no memberStackSet: want principalOrgId in a stack with deploy: member, or next to memberStackSet`}},
		{"bad organization ID", memberValues(map[string]string{"principalOrgId": "o-short"}),
			[]string{`principalOrgId: "o-short" is not an AWS Organizations organization ID: want o- and 10 to 32 lower-case letters or digits, such as o-a1b2c3d4e5`}},
		{"memberStackSet not an object", map[string]string{"memberStackSet": `["ou-ab12-cdef3456"]`},
			[]string{`memberStackSet: ["ou-ab12-cdef3456"] is not an object: want ` + allowedMemberStackSet}},
		{"memberStackSet fields", map[string]string{"memberStackSet": `{"organizationalUnits":"ou-ab12-cdef3456","regions":["eu-west-1"],"callAs":1}`},
			[]string{
				`memberStackSet.callAs: 1 is not a string: want SELF or DELEGATED_ADMIN`,
				`memberStackSet.organizationalUnits: "ou-ab12-cdef3456" is not a list of strings: want a list of OU IDs such as ["ou-ab12-cdef3456"]`,
				`memberStackSet.regions: ["eu-west-1"] is not a memberStackSet field: want one of callAs, organizationalUnits, region`,
			}},
		{"memberStackSet values", map[string]string{"memberStackSet": `{"organizationalUnits":["ou-ab12-cdef3456","OU-1","ou-ab12-cdef3456"],"region":"cn-north-1","callAs":"self"}`},
			[]string{
				`memberStackSet.region: "cn-north-1" is in partition aws-cn, but the stack's region eu-west-1 is in aws: want a region of the stack's partition, or none for the stack's region`,
				`memberStackSet.callAs: "self" is not a CallAs value: want SELF (deployed from the management account) or DELEGATED_ADMIN (from the StackSets delegated administrator)`,
				`memberStackSet.organizationalUnits[1]: "OU-1" is not an organizational unit or root ID: want ou- then 4 to 32 and 8 to 32 lower-case letters or digits (ou-ab12-cdef3456), or r- then 4 to 32 (r-ab12)`,
				`memberStackSet.organizationalUnits[2]: "ou-ab12-cdef3456" is listed twice: want each OU once`,
			}},
		{"memberStackSet without OUs", map[string]string{"memberStackSet": `{}`},
			[]string{`memberStackSet.organizationalUnits: [] is empty: want at least one OU ID (ou-...) or the root ID (r-...), such as ["ou-ab12-cdef3456"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			all := map[string]string{RegionKey: "eu-west-1"}
			for k, v := range tt.values {
				if strings.Contains(k, ":") {
					all[k] = v
				} else {
					all[Namespace+":"+k] = v
				}
			}
			_, err := ParseConfig(all)
			wantProblems(t, err, tt.want, "ParseConfig(%v)", tt.values)
		})
	}
}

// TestMemberSettingsWrittenInGo: Check, not only the stack file's reader, refuses the scanner's
// settings on a member stack: a value that differs from its default.
func TestMemberSettingsWrittenInGo(t *testing.T) {
	s := Defaults()
	s.Component = Component{Deploy: DeployMember, ScannerStateMachineRoleARN: testMachineRole, ScannerFunctionRoleARN: testFunctionRole}
	if _, err := s.Check(time.Now()); err != nil {
		t.Fatalf("a member stack's settings: %v", err)
	}
	s.WarnAgeDays = 60
	s.Subscriptions = []Subscription{{Protocol: "email", Endpoint: "a@example.com"}}
	_, err := s.Check(time.Now())
	want := []string{
		"warnAgeDays: 60 is a setting of the scanner, which a member stack (deploy: member) does not use: want no warnAgeDays in a stack with deploy: member",
		`subscriptions: [{"Protocol":"email","Endpoint":"a@example.com","FilterPolicy":"","FilterPolicyScope":"","RawMessageDelivery":false,"SubscriptionRoleARN":""}] is a setting of the scanner, which a member stack (deploy: member) does not use: want no subscriptions in a stack with deploy: member`,
	}
	if err == nil || !reflect.DeepEqual(strings.Split(err.Error(), "\n"), want) {
		t.Errorf("Check = %v\nwant %q", err, want)
	}
}

// TestEveryKeyHasAComponent: every setting is either one a member stack uses or one of
// scannerOnly, so that a new setting cannot slip onto member stacks unchecked.
func TestEveryKeyHasAComponent(t *testing.T) {
	for _, k := range Keys() {
		member := slices.Contains(memberKeys, k.Name)
		scanner := slices.ContainsFunc(scannerOnly, func(s scannerSetting) bool { return s.key == k.Name })
		if member == scanner {
			t.Errorf("%s: in memberKeys %v, in scannerOnly %v: want exactly one", k.Name, member, scanner)
		}
	}
}
