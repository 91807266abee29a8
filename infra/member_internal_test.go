package infra

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// TestMemberOutputsAreTheTaggedFields: KeyAgeMember's outputs list names every tagged field, in
// field order, and MemberStackOutputs names their exports.
func TestMemberOutputsAreTheTaggedFields(t *testing.T) {
	tagged := pulumiTags(reflect.TypeFor[KeyAgeMember]())
	var listed, exported []string
	for _, o := range (&KeyAgeMember{}).outputs() {
		listed = append(listed, o.name)
		exported = append(exported, o.export)
	}
	if !reflect.DeepEqual(listed, tagged) {
		t.Errorf("outputs() names %v, want the tagged fields %v", listed, tagged)
	}
	if got := MemberStackOutputs(); !reflect.DeepEqual(got, exported) {
		t.Errorf("MemberStackOutputs() = %v, want %v", got, exported)
	}
}

// stackSetNamePattern is what CreateStackSet accepts as StackSetName.
var stackSetNamePattern = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

func TestMemberStackSetName(t *testing.T) {
	for _, tt := range []struct{ stack, want string }{
		{"prod", "keyage-prod-member"},
		{"my-org", "keyage-my-org-member"},
	} {
		if got := memberStackSetName("keyage", tt.stack); got != tt.want {
			t.Errorf("memberStackSetName(keyage, %s) = %q, want %q", tt.stack, got, tt.want)
		}
	}
	underscore := memberStackSetName("keyage", "my_org")
	if !stackSetNamePattern.MatchString(underscore) || underscore == "keyage-my-org-member" || !strings.HasPrefix(underscore, "keyage-my-org-member-") {
		t.Errorf("memberStackSetName(keyage, my_org) = %q, want a valid name apart from my-org's, keyage-my-org-member-<hash>", underscore)
	}
	long := memberStackSetName("keyage", strings.Repeat("s", 200))
	if !stackSetNamePattern.MatchString(long) {
		t.Errorf("memberStackSetName of a long stack = %q (%d), want a valid StackSet name", long, len(long))
	}
}
