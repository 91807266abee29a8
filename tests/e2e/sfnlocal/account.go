package sfnlocal

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/keyage/keyage/lambda/lambdatest"
)

// The synthetic IAM account is lambdatest's: one model of users, keys, last use, faults,
// latency and call counts, which the function's GetAccessKeyLastUsed calls reach over the IAM
// query protocol (lambdatest.NewIAM) and the machine's aws-sdk tasks through the TaskServer,
// answered below as the Step Functions aws-sdk integration returns them (JSON, PascalCase, its
// error names).
type (
	// Account is a synthetic IAM account (lambdatest.Account).
	Account = lambdatest.Account
	// User is one IAM user of an Account.
	User = lambdatest.User
	// AccessKey is one access key of a User and what GetAccessKeyLastUsed says of it.
	AccessKey = lambdatest.Key
)

// NewAccount returns an empty account with the 12-digit id.
func NewAccount(id string) *Account { return lambdatest.NewAccount(id) }

// Forever makes a fault repeat on every call.
const Forever = lambdatest.Forever

// IAM error names as the Step Functions aws-sdk integration reports them.
const (
	ErrIAMNoSuchEntity = "Iam.NoSuchEntityException"
	ErrIAMGeneric      = "Iam.IamException" // throttling, AccessDenied, validation: no modelled exception
	ErrIAMServiceFail  = "Iam.ServiceFailureException"
)

// statesError is how the aws-sdk integration reports an IAM error: named Iam.<Exception> for the
// exceptions IAM's API model declares, else the generic Iam.IamException; the Cause carries the
// message, the status and the request ID.
func statesError(e *lambdatest.IAMError) *StatesError {
	name := ErrIAMGeneric
	switch e.Code {
	case "NoSuchEntity":
		name = ErrIAMNoSuchEntity
	case "ServiceFailure":
		name = ErrIAMServiceFail
	}
	return &StatesError{Error: name, Cause: fmt.Sprintf("%s (Service: Iam, Status Code: %d, Request ID: %s)", e.Message, e.Status, e.RequestID)}
}

// decodeParams decodes the parameters of a call to task, refusing unknown fields: Step
// Functions validates aws-sdk parameters against the API model, so an unknown one is a
// definition bug, reported as the harness's error.
func decodeParams[T any](task string, in json.RawMessage) (T, error) {
	var p T
	dec := json.NewDecoder(strings.NewReader(string(in)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("%s parameters %s: %w", task, in, err)
	}
	return p, nil
}

// iamTask answers a call to an aws-sdk iam task: it decodes the parameters (decodeParams),
// answers from them, and reports an IAM error as the integration does (statesError). An error
// of answer is the harness's: a call Step Functions would have refused.
func iamTask[P any](task string, in json.RawMessage, answer func(P) (any, *lambdatest.IAMError, error)) (any, *StatesError, error) {
	p, err := decodeParams[P](task, in)
	if err != nil {
		return nil, nil, err
	}
	out, e, err := answer(p)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("%s: %w", task, err)
	case e != nil:
		return nil, statesError(e), nil
	}
	return out, nil, nil
}

// paging is the parameters IAM's list calls share.
type paging struct {
	MaxItems *int    `json:"MaxItems"`
	Marker   *string `json:"Marker"`
}

type listUsersParams struct {
	paging
	PathPrefix *string `json:"PathPrefix"`
}

// listUsers answers iam:listUsers.
func listUsers(a *Account, p listUsersParams) (any, *lambdatest.IAMError, error) {
	switch {
	case p.PathPrefix != nil:
		return nil, nil, fmt.Errorf("PathPrefix %q is not supported by the synthetic account", *p.PathPrefix)
	case p.Marker != nil && *p.Marker == "":
		return nil, nil, fmt.Errorf("an empty Marker was never issued")
	}
	var marker string
	if p.Marker != nil {
		marker = *p.Marker
	}
	page, e, err := a.ListUsers(marker, p.MaxItems)
	if e != nil || err != nil {
		return nil, e, err
	}
	type user struct {
		Arn        string `json:"Arn"`
		CreateDate string `json:"CreateDate"`
		Path       string `json:"Path"`
		UserID     string `json:"UserId"`
		UserName   string `json:"UserName"`
	}
	users := []user{}
	for _, u := range page.Users {
		users = append(users, user{Arn: u.ARN, CreateDate: u.CreateDate, Path: u.Path, UserID: u.UserID, UserName: u.UserName})
	}
	out := map[string]any{"Users": users, "IsTruncated": page.IsTruncated}
	if page.Marker != "" {
		out["Marker"] = page.Marker
	}
	if a.OmitOptional {
		omitEmpty(out, "Users", len(users), page.IsTruncated)
	}
	return out, nil, nil
}

type listAccessKeysParams struct {
	paging
	UserName *string `json:"UserName"`
}

// listAccessKeys answers iam:listAccessKeys.
func listAccessKeys(a *Account, p listAccessKeysParams) (any, *lambdatest.IAMError, error) {
	switch {
	case p.UserName == nil:
		// Without UserName IAM lists the caller's own keys: never what keyage means.
		return nil, nil, fmt.Errorf("no UserName")
	case p.Marker != nil:
		return nil, nil, fmt.Errorf("Marker %q was never issued (a user has at most 2 keys, one page)", *p.Marker)
	}
	name, keys, e := a.ListAccessKeys(*p.UserName)
	if e != nil {
		return nil, e, nil
	}
	type key struct {
		AccessKeyID string `json:"AccessKeyId"`
		CreateDate  string `json:"CreateDate"`
		Status      string `json:"Status"`
		UserName    string `json:"UserName"`
	}
	list := []key{}
	for _, k := range keys {
		list = append(list, key{AccessKeyID: k.ID, CreateDate: k.CreateDate(), Status: k.Status, UserName: name})
	}
	out := map[string]any{"AccessKeyMetadata": list, "IsTruncated": false}
	if a.OmitOptional {
		omitEmpty(out, "AccessKeyMetadata", len(list), false)
	}
	return out, nil, nil
}

// omitEmpty deletes a response's list field when it is empty, and IsTruncated when false: the
// fields IAM's API model marks optional.
func omitEmpty(out map[string]any, list string, n int, truncated bool) {
	if n == 0 {
		delete(out, list)
	}
	if !truncated {
		delete(out, "IsTruncated")
	}
}

// accountSummary answers iam:getAccountSummary.
func accountSummary(a *Account, _ struct{}) (any, *lambdatest.IAMError, error) {
	summary, e := a.AccountSummary()
	if e != nil {
		return nil, e, nil
	}
	return map[string]any{"SummaryMap": summary}, nil, nil
}

// LongPath returns an IAM path ("/.../") of exactly n characters, for users as large as IAM
// allows (paths of up to 512 characters).
func LongPath(n int) string {
	var b strings.Builder
	b.WriteString("/")
	for b.Len() < n-1 {
		seg := fmt.Sprintf("division-%03d/", b.Len())
		if b.Len()+len(seg) > n {
			seg = strings.Repeat("x", n-1-b.Len()) + "/"
		}
		b.WriteString(seg)
	}
	return b.String()
}
