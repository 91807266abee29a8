package infra_test

import (
	"strings"
	"testing"
)

// TestRolePathAndBoundary: rolePath and rolePermissionsBoundary reach every role the stack
// creates (enterprises require both on each role); without them, no role has either.
func TestRolePathAndBoundary(t *testing.T) {
	t.Parallel()
	const (
		path     = "/keyage/security/"
		boundary = "arn:aws:iam::111122223333:policy/org/Boundary"
	)
	d := mustRun(t, map[string]string{"rolePath": path, "rolePermissionsBoundary": boundary})
	roles := d.ofType(tRole)
	if len(roles) != 3 {
		t.Fatalf("%d roles registered, want 3 (state machine, function, scheduler)", len(roles))
	}
	for _, r := range roles {
		wantInput(t, r, "path", path)
		wantInput(t, r, "permissionsBoundary", boundary)
	}

	// Policies that name a role name it by its ARN, which holds the path.
	keyPolicy := inputString(t, d.ofType(tKey)[0], "policy")
	if !strings.Contains(keyPolicy, ":role"+path+"keyage-dev-machine-role") {
		t.Errorf("the key policy does not name the machine role with its path %s:\n%s", path, keyPolicy)
	}

	d = mustRun(t, nil)
	for _, r := range d.ofType(tRole) {
		for _, key := range []string{"path", "permissionsBoundary"} {
			if hasInput(r, key) {
				t.Errorf("%s %q: input %s is %v without the setting, want it absent (IAM's default)", r.Type, r.Name, key, input(t, r, key))
			}
		}
	}
}

// TestRoleSettingsAreChecked: an invalid rolePath or boundary fails the program before anything
// is registered, with the setting's name in the message.
func TestRoleSettingsAreChecked(t *testing.T) {
	d, err := runFromConfigEnv(t, map[string]string{"rolePath": "keyage", "rolePermissionsBoundary": "arn:aws:iam::111122223333:role/B"})
	for _, want := range []string{`rolePath: "keyage" is not an IAM path`, `rolePermissionsBoundary: "arn:aws:iam::111122223333:role/B" is not an IAM policy ARN`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
	if len(d.res) != 0 {
		t.Errorf("%d resources registered, want none", len(d.res))
	}
}
