package sfnlocal

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
)

// ResourceListAccounts is the aws-sdk task that lists an organization's accounts.
const ResourceListAccounts = "arn:aws:states:::aws-sdk:organizations:listAccounts"

// Organizations' account states (Account.State).
const (
	AccountActive    = "ACTIVE"
	AccountSuspended = "SUSPENDED"
)

// OrgAccount is one account as organizations:ListAccounts lists it.
type OrgAccount struct {
	ID    string
	Name  string
	State string // ACTIVE when empty
	// StatusOnly lists the account with the retired Status field and no State, as the API did
	// before State existed (Organizations retires Status on 2026-09-09).
	StatusOnly bool
}

// Organization answers organizations:ListAccounts, MaxResults at a time (at most 20, as the API
// allows), or PageSize when set (the API may return fewer results while a NextToken follows), in
// the order given. Failures makes that many calls fail with AccessDenied (Forever: all), as
// from an account that is neither the management account nor a delegated administrator.
type Organization struct {
	Accounts []OrgAccount
	PageSize int
	Failures int

	mu    sync.Mutex
	calls int
}

// ListAccountsCalls returns the number of ListAccounts calls.
func (o *Organization) ListAccountsCalls() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.calls
}

// ListAccounts answers organizations:listAccounts as the aws-sdk integration returns it.
func (o *Organization) ListAccounts(in json.RawMessage) (any, *StatesError, error) {
	p, err := decodeParams[struct {
		MaxResults *int    `json:"MaxResults"`
		NextToken  *string `json:"NextToken"`
	}]("listAccounts", in)
	if err != nil {
		return nil, nil, err
	}
	// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
	if p.MaxResults != nil && (*p.MaxResults < 1 || *p.MaxResults > 20) {
		return nil, nil, fmt.Errorf("listAccounts: MaxResults %d, which the API refuses (1..20)", *p.MaxResults)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	call := o.calls
	o.calls++
	if o.Failures == Forever || call < o.Failures {
		return nil, &StatesError{Error: "Organizations.AccessDeniedException",
			Cause: "You don't have permissions to access this resource. (Service: Organizations, Status Code: 400)"}, nil
	}
	start := 0
	if p.NextToken != nil {
		n, err := strconv.Atoi(*p.NextToken)
		if err != nil || n <= 0 || n > len(o.Accounts) {
			return nil, nil, fmt.Errorf("listAccounts: NextToken %q was never handed out", *p.NextToken)
		}
		start = n
	}
	size := 20
	if p.MaxResults != nil {
		size = *p.MaxResults
	}
	if o.PageSize > 0 {
		size = min(size, o.PageSize)
	}
	end := min(start+size, len(o.Accounts))
	accounts := make([]map[string]any, 0, end-start)
	for _, a := range o.Accounts[start:end] {
		state := a.State
		if state == "" {
			state = AccountActive
		}
		entry := map[string]any{
			"Id": a.ID, "Arn": "arn:aws:organizations::" + "123456789012" + ":account/o-exampleorgid/" + a.ID,
			"Email": "aws+" + a.ID + "@example.com", "Name": a.Name, "JoinedMethod": "CREATED", "JoinedTimestamp": "2020-01-01T00:00:00Z",
		}
		if a.StatusOnly {
			entry["Status"] = state
		} else {
			entry["State"] = state
		}
		accounts = append(accounts, entry)
	}
	out := map[string]any{"Accounts": accounts}
	if end < len(o.Accounts) {
		out["NextToken"] = strconv.Itoa(end)
	}
	return out, nil, nil
}
