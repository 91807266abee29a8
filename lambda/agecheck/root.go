package agecheck

import "strconv"

// KindRoot is the kind of the account's one root finding: the root user has access keys
// (Security Hub IAM.4). It is first in every message that has it.
const KindRoot = "root"

// Root statuses (RootCheck.Status).
const (
	RootKeysAbsent  = "absent"    // the root user has no access key: compliant
	RootKeysPresent = "present"   // the root user has an access key: a KindRoot finding
	RootUnchecked   = "unchecked" // GetAccountSummary failed or did not say: never compliant
)

// accountAccessKeysPresent is the SummaryMap key GetAccountSummary sets to 1 when the root user
// has access keys.
const accountAccessKeysPresent = "AccountAccessKeysPresent"

// AccountSummary is what the state machine hands the report op when the policy checks root
// keys: GetAccountSummary's answer (its SummaryMap), or the error a Catch hands over when the
// call failed after its retries.
type AccountSummary struct {
	SummaryMap map[string]int `json:"SummaryMap,omitempty"`
	Error      string         `json:"Error,omitempty"`
	Cause      string         `json:"Cause,omitempty"`
}

// RootCheck is the verdict on the account's root user.
type RootCheck struct {
	Status string `json:"status"`          // RootKeysAbsent, RootKeysPresent or RootUnchecked
	Cause  string `json:"cause,omitempty"` // why it is RootUnchecked
}

// CheckRoot judges GetAccountSummary's answer: the root user has keys when SummaryMap's
// AccountAccessKeysPresent is 1 or more, none when it is 0. A failed call, or an answer
// without SummaryMap or that key (a nil a too), is RootUnchecked, never compliant.
func CheckRoot(a *AccountSummary) RootCheck {
	switch {
	case a == nil:
		return RootCheck{Status: RootUnchecked, Cause: "no GetAccountSummary answer"}
	case a.Error != "":
		return RootCheck{Status: RootUnchecked, Cause: truncateUTF8(a.Error+": "+a.Cause, MaxCauseLength)}
	}
	n, ok := a.SummaryMap[accountAccessKeysPresent]
	switch {
	case !ok:
		return RootCheck{Status: RootUnchecked, Cause: "GetAccountSummary's SummaryMap has no " + accountAccessKeysPresent}
	case n > 0:
		return RootCheck{Status: RootKeysPresent}
	case n == 0:
		return RootCheck{Status: RootKeysAbsent}
	}
	return RootCheck{Status: RootUnchecked, Cause: accountAccessKeysPresent + " is " + strconv.Itoa(n)}
}
