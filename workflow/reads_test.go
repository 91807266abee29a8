package workflow

import (
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
)

// TestDefinitionReadsAreAccountReads: the IAM calls of the definition's tasks are exactly
// AccountReads' state-machine reads, on the resources AccountReads gives them, so that the
// member role, which grants AccountReads, allows every call the scan makes.
func TestDefinitionReadsAreAccountReads(t *testing.T) {
	r := PlaceholderResources()
	m, err := Definition(config.MustCheck(config.Defaults()), r)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, st := range m.IAMStatements("arn:aws:states:us-east-1:123456789012:stateMachine:keyage") {
		for _, a := range st.Action {
			if strings.HasPrefix(a, "iam:") {
				got[a] = append(got[a], st.Resource...)
			}
		}
	}
	want := map[string][]string{}
	for _, read := range AccountReads {
		if !read.ByFunction {
			want[read.Action] = []string{read.Resource(r.Partition, r.AccountID)}
		}
	}
	for a, res := range want {
		if !slices.Equal(got[a], res) {
			t.Errorf("definition grants %s on %q, want %q (AccountReads)", a, got[a], res)
		}
	}
	for a := range got {
		if _, ok := want[a]; !ok {
			t.Errorf("definition calls %s, which AccountReads does not list as a state machine read: add it there", a)
		}
	}
}

func TestReadStatements(t *testing.T) {
	all := ReadStatements("aws-cn", "111122223333", "Users", "Any", nil)
	if len(all) != 2 || all[0].Sid != "Users" || all[1].Sid != "Any" ||
		!slices.Equal(all[0].Action, []string{"iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:ListUserTags"}) ||
		!slices.Equal(all[0].Resource, []string{"arn:aws-cn:iam::111122223333:user/*"}) ||
		!slices.Equal(all[1].Action, []string{"iam:GetAccountSummary", "iam:ListUsers"}) || !slices.Equal(all[1].Resource, []string{"*"}) {
		t.Errorf("ReadStatements(all) = %+v", all)
	}
	plain := config.Defaults()
	plain.Owners.TagKeys = nil // owners off: the default reads owner tags
	tags := plain
	tags.Exemptions.FromTags = true
	for _, tt := range []struct {
		name string
		s    config.Settings
		want []string
	}{
		{"no tags", plain, []string{"iam:GetAccessKeyLastUsed"}},
		{"default (owners)", config.Defaults(), []string{"iam:GetAccessKeyLastUsed", "iam:ListUserTags"}},
		{"tagExemptions", tags, []string{"iam:GetAccessKeyLastUsed", "iam:ListUserTags"}},
	} {
		fn := ReadStatements("aws", "111122223333", "Users", "Any", func(r IAMRead) bool { return r.ByFunction && r.Made(tt.s) })
		if len(fn) != 1 || !slices.Equal(fn[0].Action, tt.want) {
			t.Errorf("%s: ReadStatements(function) = %+v, want %q on users only", tt.name, fn, tt.want)
		}
	}
}

// TestOrganizationReadsAreAccountReads: an organization run's IAM calls, in member accounts
// too, are among AccountReads, which the member role grants.
func TestOrganizationReadsAreAccountReads(t *testing.T) {
	s := config.Defaults()
	s.Organization.Accounts = []string{config.OrganizationKeyword}
	m, err := Definition(config.MustCheck(s), PlaceholderResources())
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	for _, st := range m.IAMStatements("arn:aws:states:us-east-1:123456789012:stateMachine:keyage") {
		for _, a := range st.Action {
			if strings.HasPrefix(a, "iam:") {
				calls = append(calls, a)
			}
		}
	}
	if len(calls) == 0 {
		t.Fatal("the organization definition calls no IAM action: the check proves nothing")
	}
	for _, a := range calls {
		if !slices.ContainsFunc(AccountReads, func(r IAMRead) bool { return r.Action == a }) {
			t.Errorf("the organization definition calls %s, which AccountReads (the member role's actions) does not list", a)
		}
	}
}
