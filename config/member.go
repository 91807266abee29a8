package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/keyage/keyage/internal/awsid"
)

// The components a stack can deploy (setting deploy).
const (
	// DeployScanner is the scan itself: schedule, state machine, function, topics, alarms.
	DeployScanner = "scanner"
	// DeployMember is the read-only role memberRoleName in one account the scanner scans.
	DeployMember = "member"
)

// Values of memberStackSet.callAs: CloudFormation's CallAs (CreateStackSet,
// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html).
const (
	CallAsSelf           = "SELF"
	CallAsDelegatedAdmin = "DELEGATED_ADMIN"
)

// Component is which component a stack deploys and what that component needs beyond the
// scanner's settings: a member stack names the scanner's roles, a scanner stack may create the
// member role in every account of some organizational units through a StackSet.
type Component struct {
	Deploy string // deploy, default scanner: DeployScanner or DeployMember

	// ScannerStateMachineRoleARN and ScannerFunctionRoleARN are scannerStateMachineRoleArn and
	// scannerFunctionRoleArn, required on a member stack only: the scanner stack's outputs
	// stateMachineRoleArn and functionRoleArn, the principals the member role trusts.
	ScannerStateMachineRoleARN string
	ScannerFunctionRoleARN     string
	// PrincipalOrgID is principalOrgId, optional, on a member stack or with memberStackSet: the
	// member role is then assumable only by principals of that organization (aws:PrincipalOrgID).
	PrincipalOrgID string
	// MemberStackSet is memberStackSet, optional, on a scanner stack only: a service-managed
	// StackSet that creates the member role in every account of the organizational units.
	MemberStackSet *MemberStackSet
}

// MemberStackSet is where the scanner stack's StackSet puts the member role.
type MemberStackSet struct {
	// OrganizationalUnits are the OU IDs (or the root ID) whose accounts, present and future,
	// get the role. StackSets never deploy to the management account.
	OrganizationalUnits []string `json:"organizationalUnits"`
	// Region is the one region its stack instances are created in, default the stack's region:
	// IAM is global, so a second region's instance would fail on the role that already exists.
	Region string `json:"region,omitempty"`
	// CallAs is SELF (the default, the stack deploys from the management account) or
	// DELEGATED_ADMIN (from an account registered as the StackSets delegated administrator).
	CallAs string `json:"callAs,omitempty"`
}

// InstanceRegion returns the region of the StackSet's stack instances: Region, or the stack's.
func (m MemberStackSet) InstanceRegion(stackRegion string) string {
	if m.Region != "" {
		return m.Region
	}
	return stackRegion
}

// CallAsOrDefault returns CallAs, or SELF when it is not set.
func (m MemberStackSet) CallAsOrDefault() string {
	if m.CallAs == "" {
		return CallAsSelf
	}
	return m.CallAs
}

// Patterns AWS documents for the IDs the member side takes.
var (
	// ouPattern: an OU or root ID (StackSetAutoDeploymentTargetSummary, OrganizationalUnitId:
	// https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetAutoDeploymentTargetSummary.html).
	ouPattern = regexp.MustCompile(`^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$`)
	// orgIDPattern: an organization ID (Organization, Id:
	// https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html).
	orgIDPattern = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// memberStackSetFields are the fields of memberStackSet, in the JSON's spelling.
var memberStackSetFields = []string{"callAs", "organizationalUnits", "region"}

const allowedMemberStackSet = `an object such as {"organizationalUnits": ["ou-ab12-cdef3456"], "region": "eu-central-1", "callAs": "SELF"} (region and callAs optional)`

// decodeMemberStackSet reads memberStackSet: an object of known fields of the right JSON types.
func decodeMemberStackSet(p *problems, v string) *MemberStackSet {
	var raw map[string]json.RawMessage
	if err := decodeJSON(v, &raw); err != nil || raw == nil {
		p.add("memberStackSet", v, "is not an object", allowedMemberStackSet)
		return nil
	}
	m := &MemberStackSet{}
	for _, f := range slices.Sorted(maps.Keys(raw)) {
		r := raw[f]
		var err error
		switch f {
		case "organizationalUnits":
			if err = json.Unmarshal(r, &m.OrganizationalUnits); err != nil {
				p.add("memberStackSet.organizationalUnits", rawText(r), "is not a list of strings", `a list of OU IDs such as ["ou-ab12-cdef3456"]`)
			}
		case "region":
			if err = json.Unmarshal(r, &m.Region); err != nil {
				p.add("memberStackSet.region", rawText(r), "is not a string", allowedRegion)
			}
		case "callAs":
			if err = json.Unmarshal(r, &m.CallAs); err != nil {
				p.add("memberStackSet.callAs", rawText(r), "is not a string", CallAsSelf+" or "+CallAsDelegatedAdmin)
			}
		default:
			p.add("memberStackSet."+f, rawText(r), "is not a memberStackSet field", "one of "+strings.Join(memberStackSetFields, ", "))
		}
	}
	return m
}

// memberKeys are the settings a member stack uses (aws:region aside): everything else is the
// scanner's.
var memberKeys = []string{"deploy", "memberRoleName", "scannerStateMachineRoleArn", "scannerFunctionRoleArn", "principalOrgId", "tags", "rolePermissionsBoundary"}

// scannerSetting is a setting a member stack does not use, with how to read its value.
type scannerSetting struct {
	key   string
	value func(Settings) any
	why   string // why a member stack has no use for it, when more than "it is the scanner's"
}

// scannerOnly reads each setting a member stack does not use, so that the rule set can tell a
// value that differs from its default (settings written in Go); the stack file's keys are
// refused by name (componentKeys). A test keeps it and memberKeys covering every key.
var scannerOnly = []scannerSetting{
	{"maxAgeDays", func(s Settings) any { return s.MaxAgeDays }, ""},
	{"warnAgeDays", func(s Settings) any { return s.WarnAgeDays }, ""},
	{"unusedDays", func(s Settings) any { return s.UnusedDays }, ""},
	{"newKeyGraceDays", func(s Settings) any { return s.NewKeyGraceDays }, ""},
	{"checkRootKeys", func(s Settings) any { return s.CheckRootKeys }, ""},
	{"exemptUsers", func(s Settings) any { return s.ExemptUsers }, ""},
	{"schedule", func(s Settings) any { return s.Schedule }, ""},
	{"scheduleTimezone", func(s Settings) any { return s.ScheduleTimezone }, ""},
	{"scheduleEnabled", func(s Settings) any { return s.ScheduleEnabled }, ""},
	{"subscriptions", func(s Settings) any { return s.Subscriptions }, ""},
	{"alarmSubscriptions", func(s Settings) any { return s.AlarmSubscriptions }, ""},
	{"maxConcurrency", func(s Settings) any { return s.MaxConcurrency }, ""},
	{"logLevel", func(s Settings) any { return s.LogLevel }, ""},
	{"includeExecutionData", func(s Settings) any { return s.IncludeExecutionData }, ""},
	{"logRetentionDays", func(s Settings) any { return s.LogRetentionDays }, ""},
	{"functionMemoryMB", func(s Settings) any { return s.FunctionMemoryMB }, ""},
	{"scheduleRetryAttempts", func(s Settings) any { return s.ScheduleRetryAttempts }, ""},
	{"scheduleMaxEventAgeSeconds", func(s Settings) any { return s.ScheduleMaxEventAgeSec }, ""},
	{"rolePath", func(s Settings) any { return s.RolePath },
		"the member role stays at path / so that the scanner's arn:<partition>:iam::<account>:role/<memberRoleName> names it"},
	{"memberStackSet", func(s Settings) any { return s.Component.MemberStackSet }, ""},
	{"chat", func(s Settings) any { return s.Chat }, ""},
	{"ownerTagKeys", func(s Settings) any { return s.Owners.TagKeys }, ""},
	{"ownerSubscriptions", func(s Settings) any { return s.Owners.Subscriptions }, ""},
	{"maxOwnerMessages", func(s Settings) any { return s.Owners.MaxMessages }, ""},
	{"ownerEmail", func(s Settings) any { return s.Owners.Email }, ""},
	{"exemptions", func(s Settings) any { return s.Exemptions.List }, ""},
	{"tagExemptions", func(s Settings) any { return s.Exemptions.FromTags }, ""},
	{"maxTagExemptionDays", func(s Settings) any { return s.Exemptions.MaxTagDays }, ""},
	{"accounts", func(s Settings) any { return s.Organization.Accounts }, ""},
	{"excludeAccounts", func(s Settings) any { return s.Organization.ExcludeAccounts }, ""},
	{"accountConcurrency", func(s Settings) any { return s.Organization.AccountConcurrency }, ""},
	{"notify", func(s Settings) any { return s.Ledger.Notify }, ""},
	{"remindEveryDays", func(s Settings) any { return s.Ledger.RemindEveryDays }, ""},
	{"ledgerRetentionDays", func(s Settings) any { return s.Ledger.RetentionDays }, ""},
	{"ledgerDeletionProtection", func(s Settings) any { return s.Ledger.DeletionProtection }, ""},
}

// scannerRoles are the settings only a member stack uses: the scanner stack's roles, each with
// the scanner's output that gives it and the end of that role's name.
var scannerRoles = []struct{ key, output, suffix string }{
	{"scannerStateMachineRoleArn", "stateMachineRoleArn", "machine-role"},
	{"scannerFunctionRoleArn", "functionRoleArn", "function-role"},
}

// misplacedKey is a setting the selected component does not use.
func misplacedKey(p *problems, deploy, key, value, why string) {
	problem := fmt.Sprintf("is a setting of the scanner, which a member stack (deploy: %s) does not use", DeployMember)
	if deploy == DeployScanner {
		problem = fmt.Sprintf("is a setting of a member stack (deploy: %s), which this scanner stack does not use", DeployMember)
	}
	if why != "" {
		problem += ": " + why
	}
	p.add(key, value, problem, fmt.Sprintf("no %s in a stack with deploy: %s", key, deploy))
}

// componentKeys refuses settings a stack file gives that its component does not use, by name
// (a value equal to the default included), for parse; validateComponent finds the same ones by
// value. An invalid deploy is validateComponent's to report.
func componentKeys(p *problems, deploy string, values map[string]string) {
	switch deploy {
	case DeployMember:
		for _, so := range scannerOnly {
			if v, ok := values[so.key]; ok {
				misplacedKey(p, deploy, so.key, v, so.why)
			}
		}
	case DeployScanner:
		for _, r := range scannerRoles {
			if v, ok := values[r.key]; ok {
				misplacedKey(p, deploy, r.key, v, "")
			}
		}
	}
}

// validateComponent checks deploy and the settings of the component it selects.
func (s Settings) validateComponent(p *problems) {
	c := s.Component
	if org := c.PrincipalOrgID; org != "" && !orgIDPattern.MatchString(org) {
		p.add("principalOrgId", org, "is not an AWS Organizations organization ID", "o- and 10 to 32 lower-case letters or digits, such as o-a1b2c3d4e5")
	}
	switch c.Deploy {
	case DeployScanner:
		for _, r := range scannerRoles {
			if v := s.componentValue(r.key); v != "" {
				misplacedKey(p, c.Deploy, r.key, v, "")
			}
		}
		if c.PrincipalOrgID != "" && c.MemberStackSet == nil {
			p.add("principalOrgId", c.PrincipalOrgID, "is used by a member stack or with memberStackSet, and this scanner stack sets no memberStackSet",
				"principalOrgId in a stack with deploy: member, or next to memberStackSet")
		}
		if c.MemberStackSet != nil {
			s.validateMemberStackSet(p, *c.MemberStackSet)
		}
	case DeployMember:
		d := Defaults()
		for _, so := range scannerOnly {
			if v := so.value(s); !reflect.DeepEqual(v, so.value(d)) {
				text, _ := json.Marshal(v)
				misplacedKey(p, c.Deploy, so.key, strings.Trim(string(text), `"`), so.why)
			}
		}
		s.validateScannerRoles(p)
	default:
		p.add("deploy", c.Deploy, "is not a component keyage deploys",
			DeployScanner+" (the default: the scan, its schedule and notifications) or "+DeployMember+" (the read-only role memberRoleName in an account the scanner scans)")
	}
}

// componentValue returns a member-only setting's value.
func (s Settings) componentValue(key string) string {
	switch key {
	case "scannerStateMachineRoleArn":
		return s.Component.ScannerStateMachineRoleARN
	case "scannerFunctionRoleArn":
		return s.Component.ScannerFunctionRoleARN
	}
	return ""
}

// validateScannerRoles checks a member stack's two scanner role ARNs: both present, IAM role
// ARNs of one account, in the stack's partition.
func (s Settings) validateScannerRoles(p *problems) {
	var accounts []string
	for _, r := range scannerRoles {
		k, v := r.key, s.componentValue(r.key)
		allowed := fmt.Sprintf("the scanner stack's output %s (pulumi stack output %s), such as arn:%s:iam::123456789012:role/keyage-prod-%s",
			r.output, r.output, s.Partition(), r.suffix)
		a, _ := awsid.Parse(v, "iam")
		switch {
		case v == "":
			p.add(k, "", problemMissing, allowed+", on a stack with deploy: "+DeployMember)
		case !isRoleARN(v):
			p.add(k, v, "is not an IAM role ARN", allowed)
		case s.Region != "" && a.Partition != s.Partition():
			p.add(k, v, fmt.Sprintf("is in partition %s, but the stack's region %s is in %s", a.Partition, s.Region, s.Partition()), allowed)
		default:
			accounts = append(accounts, a.AccountID)
		}
	}
	if len(accounts) == 2 && accounts[0] != accounts[1] {
		p.add("scannerFunctionRoleArn", s.Component.ScannerFunctionRoleARN,
			fmt.Sprintf("is in account %s, but scannerStateMachineRoleArn is in %s", accounts[1], accounts[0]),
			"the two roles of one scanner stack, which live in one account")
	}
}

// validateMemberStackSet checks memberStackSet.
func (s Settings) validateMemberStackSet(p *problems, m MemberStackSet) {
	if len(m.OrganizationalUnits) == 0 {
		p.add("memberStackSet.organizationalUnits", "[]", "is empty", `at least one OU ID (ou-...) or the root ID (r-...), such as ["ou-ab12-cdef3456"]`)
	}
	seen := map[string]bool{}
	for i, ou := range m.OrganizationalUnits {
		key := fmt.Sprintf("memberStackSet.organizationalUnits[%d]", i)
		switch {
		case !ouPattern.MatchString(ou):
			p.add(key, ou, "is not an organizational unit or root ID", "ou- then 4 to 32 and 8 to 32 lower-case letters or digits (ou-ab12-cdef3456), or r- then 4 to 32 (r-ab12)")
		case seen[ou]:
			p.add(key, ou, "is listed twice", "each OU once")
		}
		seen[ou] = true
	}
	if r := m.Region; r != "" {
		switch {
		case !awsid.IsRegion(r):
			p.add("memberStackSet.region", r, "is not a region name", allowedRegion)
		case s.Region != "" && awsid.PartitionOf(r) != s.Partition():
			p.add("memberStackSet.region", r, fmt.Sprintf("is in partition %s, but the stack's region %s is in %s", awsid.PartitionOf(r), s.Region, s.Partition()),
				"a region of the stack's partition, or none for the stack's region")
		}
	}
	if c := m.CallAs; c != "" && c != CallAsSelf && c != CallAsDelegatedAdmin {
		p.add("memberStackSet.callAs", c, "is not a CallAs value",
			CallAsSelf+" (deployed from the management account) or "+CallAsDelegatedAdmin+" (from the StackSets delegated administrator)")
	}
}
