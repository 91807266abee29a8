package preview

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// TestRunOrganization: a stack with accounts previews the organization's digest, the sample
// account standing for the deploying one, through the organization definition's Notify state.
func TestRunOrganization(t *testing.T) {
	s := devStack(t).Settings()
	s.Organization.Accounts = []string{config.OrganizationKeyword}
	r, err := Run(config.MustCheck(s), Sample(), sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Publish
	if p == nil {
		t.Fatal("the sample publishes nothing in an organization run, want the digest")
	}
	if _, ok := p.Attributes["account"]; ok || p.Attributes["scope"] != agecheck.ScopeOrganization || p.Attributes["severity"] != agecheck.SeverityStale {
		t.Errorf("attributes %v, want scope=organization, no account (the digest is about many), severity=stale", p.Attributes)
	}
	if !strings.HasPrefix(p.Subject, "IAM keys in 1 account: 1 root user with keys, 2 stale") {
		t.Errorf("subject %q, want the organization's totals", p.Subject)
	}
	var body agecheck.OrgMessageBody
	if err := json.Unmarshal([]byte(p.Bodies["default"]), &body); err != nil {
		t.Fatal(err)
	}
	if body.Accounts.Checked != 1 || len(body.Sections) != 1 || body.Sections[0].Target.ID != SampleAccountID || body.Counts.Stale != 2 {
		t.Errorf("digest body %+v, want one checked account with its section and 2 stale keys", body)
	}
}
