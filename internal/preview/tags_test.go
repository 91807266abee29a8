package preview

import (
	"testing"

	"github.com/keyage/keyage/config"
)

// TestRunAppliesTagExemptions: with tagExemptions, the preview reads the account file's tags
// through the function's handler, as a run reads ListUserTags: a user's keyage-exempt-* tags
// exempt its keys; without the setting they are findings.
func TestRunAppliesTagExemptions(t *testing.T) {
	a := Account{Now: "2026-12-01T08:00:00Z", Users: []User{{UserName: "vendor",
		Keys: []Key{{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Status: "Active", CreateDate: "2025-01-01T00:00:00Z"}},
		Tags: map[string]string{"keyage-exempt-until": "2026-12-20", "keyage-exempt-reason": "vendor migration"}}}}
	s := config.Defaults()
	for _, on := range []bool{false, true} {
		s.Exemptions.FromTags = on
		r, err := Run(config.MustCheck(s), a, sampleNow)
		if err != nil {
			t.Fatal(err)
		}
		if exempt := r.Summary.Exempt == 1 && r.Summary.Flagged == 0; exempt != on {
			t.Errorf("tagExemptions %v: counts %+v, want the key exempt: %v", on, r.Summary.Counts, on)
		}
	}
}
