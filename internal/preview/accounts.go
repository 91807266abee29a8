package preview

import (
	"encoding/json"

	"github.com/keyage/keyage/lambda/agecheck"
)

// organizationReport is the report of an organization run in which the account is the deploying
// one and the only one scanned: its final summary (and root check), in report, folded into the
// organization's summary as the state machine's FoldOwnAccount does, then the digest.
func organizationReport(h *agecheck.Handler, report agecheck.Event) (json.RawMessage, error) {
	fold := report
	fold.Op, fold.Org, fold.Test, fold.Chat = agecheck.OpMergeAccounts, &agecheck.OrgSummary{}, false, false
	var org agecheck.OrgSummary
	if err := invoke(h, fold, &org); err != nil {
		return nil, err
	}
	digest := report
	digest.Summary, digest.Root, digest.Org = nil, nil, &org
	var out json.RawMessage
	if err := invoke(h, digest, &out); err != nil {
		return nil, err
	}
	return out, nil
}
