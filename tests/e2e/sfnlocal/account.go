package sfnlocal

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keyage/keyage/lambda/lambdatest"
)

// IAM error names as the Step Functions aws-sdk integration reports them.
const (
	ErrIAMNoSuchEntity = "Iam.NoSuchEntityException"
	ErrIAMGeneric      = "Iam.IamException" // throttling, AccessDenied, validation: no modelled exception
	ErrIAMServiceFail  = "Iam.ServiceFailureException"
)

// Forever makes a fault repeat on every call.
const Forever = -1

// IAMDateFormat is how the aws-sdk integration renders IAM timestamps.
const IAMDateFormat = "2006-01-02T15:04:05Z"

// Account is a synthetic IAM account answering the calls keyage makes: ListUsers and
// ListAccessKeys as the Step Functions aws-sdk integration returns them (JSON, PascalCase,
// ISO 8601 dates), and GetAccessKeyLastUsed over the IAM query protocol for the function. Faults
// are configured per user; every call is counted. It is safe for concurrent use.
type Account struct {
	ID string

	// PageSize, when set, decides how many users the page-th ListUsers call (from 0) returns
	// when maxItems are asked for: IAM may return fewer than MaxItems while IsTruncated is true.
	PageSize func(page, maxItems int) int
	// ListUsersFailures makes that many ListUsers calls fail with throttling before answering
	// (Forever: all).
	ListUsersFailures int
	// OmitOptional leaves out of the aws-sdk responses every field IAM's API model marks
	// optional when it has nothing to say: Users on an empty page, AccessKeyMetadata for a user
	// without keys, IsTruncated when false (Marker is absent on the last page either way).
	OmitOptional bool
	// MarkerMissing makes truncated ListUsers pages leave out their Marker: a response the
	// workflow cannot continue from.
	MarkerMissing bool
	// Latency delays every answer (aws-sdk tasks and the function's calls alike), so that calls
	// overlap as they do against IAM and MaxInFlight means something.
	Latency time.Duration
	// RootAccessKeys is what GetAccountSummary says in SummaryMap.AccountAccessKeysPresent
	// (1 when true, else 0).
	RootAccessKeys bool
	// AccountSummaryFails makes every GetAccountSummary call fail with AccessDenied, which the
	// aws-sdk integration reports as the generic IAM error.
	AccountSummaryFails bool

	mu           sync.Mutex
	summaryCalls int
	users        []*User
	byName       map[string]*User // lower-cased names: IAM names are unique regardless of case
	byKey        map[string]*AccessKey
	listCalls    int
	keyCalls     map[string]int // ListAccessKeys calls per user name
	lastCalls    map[string]int // GetAccessKeyLastUsed calls per key
	inFlight     lambdatest.InFlight
}

// User is one IAM user of the synthetic account.
type User struct {
	Name    string
	Path    string // "/" when empty
	Created time.Time
	Keys    []*AccessKey
	// Throttle makes that many ListAccessKeys calls for the user fail with "Rate exceeded"
	// before it answers (Forever: all).
	Throttle int
	// DeletedAfterListing keeps the user in ListUsers but answers ListAccessKeys with
	// NoSuchEntity: the user was deleted between the two calls.
	DeletedAfterListing bool
}

// AccessKey is one access key and what GetAccessKeyLastUsed says of it.
type AccessKey struct {
	ID          string
	Status      string // Active or Inactive
	Created     time.Time
	LastUsed    time.Time // zero: never used
	LastService string
	LastRegion  string
	// LastUsedDenied makes GetAccessKeyLastUsed for this key fail with AccessDenied.
	LastUsedDenied bool
	// CreateDateText, when set, is the CreateDate string ListAccessKeys returns instead of
	// Created in IAMDateFormat: other ISO 8601 forms, or a malformed date.
	CreateDateText string
}

// NewAccount returns an empty account with the 12-digit id.
func NewAccount(id string) *Account {
	return &Account{
		ID:        id,
		byName:    map[string]*User{},
		byKey:     map[string]*AccessKey{},
		keyCalls:  map[string]int{},
		lastCalls: map[string]int{},
	}
}

// Add adds users in ListUsers order. A name that differs only by case from an existing one is a
// test bug and panics, as IAM would refuse it.
func (a *Account) Add(users ...*User) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, u := range users {
		k := strings.ToLower(u.Name)
		if _, dup := a.byName[k]; dup {
			panic(fmt.Sprintf("e2e: user %q added twice (IAM user names are unique regardless of case)", u.Name))
		}
		if u.Path == "" {
			u.Path = "/"
		}
		a.byName[k] = u
		a.users = append(a.users, u)
		for _, key := range u.Keys {
			a.byKey[key.ID] = key
		}
	}
}

// Users returns the users in ListUsers order.
func (a *Account) Users() []*User {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.users)
}

// Key returns the access key with the ID, or nil.
func (a *Account) Key(id string) *AccessKey {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byKey[id]
}

// User returns the named user, or nil.
func (a *Account) User(name string) *User {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byName[strings.ToLower(name)]
}

// MaxInFlight is the most IAM calls that were being answered at once: what IAM's account-wide
// throttling sees.
func (a *Account) MaxInFlight() int { return a.inFlight.Max() }

// call counts a call in flight for its Latency; the returned func ends it.
func (a *Account) call() func() {
	a.mu.Lock()
	latency := a.Latency
	a.mu.Unlock()
	return a.inFlight.Begin(latency)
}

// ListUsersCalls is the number of ListUsers calls answered or failed.
func (a *Account) ListUsersCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.listCalls
}

// ListAccessKeysCalls returns the ListAccessKeys calls per user name.
func (a *Account) ListAccessKeysCalls() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.keyCalls)
}

// AccountSummaryCalls returns the number of GetAccountSummary calls.
func (a *Account) AccountSummaryCalls() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.summaryCalls
}

// AccountSummary answers iam:getAccountSummary: a SummaryMap whose AccountAccessKeysPresent
// says whether the root user has access keys, or AccessDenied when AccountSummaryFails.
func (a *Account) AccountSummary(in json.RawMessage) (any, *StatesError, error) {
	var p struct{}
	if err := decodeStrict(in, &p); err != nil {
		return nil, nil, fmt.Errorf("getAccountSummary parameters %s: %w", in, err)
	}
	defer a.call()()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.summaryCalls++
	if a.AccountSummaryFails {
		return nil, &StatesError{Error: ErrIAMGeneric, Cause: fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/keyage/x is not authorized to perform: iam:GetAccountSummary (Service: Iam, Status Code: 403, Request ID: %s)", a.ID, requestID(a.summaryCalls))}, nil
	}
	present := 0
	if a.RootAccessKeys {
		present = 1
	}
	return map[string]any{"SummaryMap": map[string]int{"AccountAccessKeysPresent": present, "Users": len(a.users), "AccountMFAEnabled": 1}}, nil, nil
}

// LastUsedCalls returns the GetAccessKeyLastUsed calls per access key ID.
func (a *Account) LastUsedCalls() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.lastCalls)
}

func (a *Account) userARN(u *User) string {
	return "arn:aws:iam::" + a.ID + ":user" + u.Path + u.Name
}

// userID derives a stable unique ID (AIDA + 17 characters) from the user's position.
func userID(i int) string { return fmt.Sprintf("AIDA%017d", i) }

func requestID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }

func throttled(n int) *StatesError {
	return &StatesError{Error: ErrIAMGeneric, Cause: "Rate exceeded (Service: Iam, Status Code: 400, Request ID: " + requestID(n) + ")"}
}

// decodeStrict decodes a task's parameters, refusing unknown fields: Step Functions validates
// aws-sdk parameters against the API model, so an unknown one is a definition bug.
func decodeStrict(in json.RawMessage, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(in)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// ListUsers answers iam:listUsers.
func (a *Account) ListUsers(in json.RawMessage) (any, *StatesError, error) {
	var p struct {
		MaxItems   *int    `json:"MaxItems"`
		Marker     *string `json:"Marker"`
		PathPrefix *string `json:"PathPrefix"`
	}
	if err := decodeStrict(in, &p); err != nil {
		return nil, nil, fmt.Errorf("listUsers parameters %s: %w", in, err)
	}
	if p.PathPrefix != nil {
		return nil, nil, fmt.Errorf("listUsers: PathPrefix %q is not supported by the synthetic account", *p.PathPrefix)
	}
	defer a.call()()
	a.mu.Lock()
	defer a.mu.Unlock()
	call := a.listCalls
	a.listCalls++
	if a.ListUsersFailures == Forever || call < a.ListUsersFailures {
		return nil, throttled(call), nil
	}
	maxItems := 100
	if p.MaxItems != nil {
		maxItems = *p.MaxItems
		if maxItems < 1 || maxItems > 1000 {
			return nil, &StatesError{Error: ErrIAMGeneric, Cause: fmt.Sprintf("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000 (Service: Iam, Status Code: 400, Request ID: %s)", maxItems, requestID(call))}, nil
		}
	}
	start, page := 0, 0
	if p.Marker != nil {
		var err error
		if start, page, err = decodeMarker(*p.Marker); err != nil || start > len(a.users) {
			return nil, nil, fmt.Errorf("listUsers: Marker %q was not issued by this account", *p.Marker)
		}
	}
	n := maxItems
	if a.PageSize != nil {
		n = min(maxItems, a.PageSize(page, maxItems))
		if n < 1 && start < len(a.users) {
			n = 1
		}
	}
	end := min(start+n, len(a.users))
	type user struct {
		Arn        string `json:"Arn"`
		CreateDate string `json:"CreateDate"`
		Path       string `json:"Path"`
		UserID     string `json:"UserId"`
		UserName   string `json:"UserName"`
	}
	users := []user{}
	for i := start; i < end; i++ {
		u := a.users[i]
		users = append(users, user{Arn: a.userARN(u), CreateDate: u.Created.UTC().Format(IAMDateFormat), Path: u.Path, UserID: userID(i), UserName: u.Name})
	}
	out := map[string]any{"Users": users, "IsTruncated": false}
	if end < len(a.users) {
		out["IsTruncated"] = true
		if !a.MarkerMissing {
			out["Marker"] = encodeMarker(end, page+1)
		}
	}
	if a.OmitOptional {
		omitEmpty(out, "Users", "IsTruncated")
	}
	return out, nil, nil
}

// encodeMarker makes an opaque marker, as IAM's are.
func encodeMarker(offset, page int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("keyage-e2e:%d:%d", offset, page)))
}

func decodeMarker(m string) (offset, page int, err error) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return 0, 0, err
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != "keyage-e2e" {
		return 0, 0, fmt.Errorf("malformed marker")
	}
	if offset, err = strconv.Atoi(parts[1]); err != nil {
		return 0, 0, err
	}
	page, err = strconv.Atoi(parts[2])
	return offset, page, err
}

// ListAccessKeys answers iam:listAccessKeys.
func (a *Account) ListAccessKeys(in json.RawMessage) (any, *StatesError, error) {
	var p struct {
		UserName *string `json:"UserName"`
		MaxItems *int    `json:"MaxItems"`
		Marker   *string `json:"Marker"`
	}
	if err := decodeStrict(in, &p); err != nil {
		return nil, nil, fmt.Errorf("listAccessKeys parameters %s: %w", in, err)
	}
	if p.UserName == nil {
		// Without UserName IAM lists the caller's own keys: never what keyage means.
		return nil, nil, fmt.Errorf("listAccessKeys parameters %s: no UserName", in)
	}
	if p.Marker != nil {
		return nil, nil, fmt.Errorf("listAccessKeys: Marker %q was never issued (a user has at most 2 keys, one page)", *p.Marker)
	}
	defer a.call()()
	a.mu.Lock()
	defer a.mu.Unlock()
	name := *p.UserName
	call := a.keyCalls[name]
	a.keyCalls[name]++
	u := a.byName[strings.ToLower(name)]
	if u == nil || u.DeletedAfterListing {
		return nil, &StatesError{Error: ErrIAMNoSuchEntity, Cause: fmt.Sprintf("The user with name %s cannot be found. (Service: Iam, Status Code: 404, Request ID: %s)", name, requestID(call))}, nil
	}
	if u.Throttle == Forever || call < u.Throttle {
		return nil, throttled(call), nil
	}
	type key struct {
		AccessKeyID string `json:"AccessKeyId"`
		CreateDate  string `json:"CreateDate"`
		Status      string `json:"Status"`
		UserName    string `json:"UserName"`
	}
	keys := []key{}
	for _, k := range u.Keys {
		created := k.Created.UTC().Format(IAMDateFormat)
		if k.CreateDateText != "" {
			created = k.CreateDateText
		}
		keys = append(keys, key{AccessKeyID: k.ID, CreateDate: created, Status: k.Status, UserName: u.Name})
	}
	out := map[string]any{"AccessKeyMetadata": keys, "IsTruncated": false}
	if a.OmitOptional {
		omitEmpty(out, "AccessKeyMetadata", "IsTruncated")
	}
	return out, nil, nil
}

// omitEmpty deletes the named fields of a response that hold an empty list or false.
func omitEmpty(out map[string]any, fields ...string) {
	for _, f := range fields {
		switch v := out[f].(type) {
		case bool:
			if !v {
				delete(out, f)
			}
		default:
			if reflect.ValueOf(v).Len() == 0 {
				delete(out, f)
			}
		}
	}
}

// LastUsed answers the function's GetAccessKeyLastUsed calls, served over the IAM query
// protocol by lambdatest.NewIAMFunc(t, account.LastUsed): the key's last use, with its user's
// name, or AccessDenied for a key the account does not have. Each call is counted and waits the
// account's Latency, as the aws-sdk tasks do.
func (a *Account) LastUsed(keyID string) (lambdatest.KeyLastUsed, *lambdatest.IAMError) {
	defer a.call()()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lastCalls[keyID]++
	k := a.byKey[keyID]
	if k == nil {
		return lambdatest.KeyLastUsed{}, &lambdatest.IAMError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "no access key " + keyID}
	}
	if k.LastUsedDenied {
		return lambdatest.KeyLastUsed{}, &lambdatest.IAMError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "not authorized to perform: iam:GetAccessKeyLastUsed on " + keyID}
	}
	lu := lambdatest.KeyLastUsed{Date: k.LastUsed}
	if !k.LastUsed.IsZero() {
		lu.ServiceName, lu.Region = k.LastService, k.LastRegion
	}
	for _, u := range a.users {
		if slices.Contains(u.Keys, k) {
			lu.UserName = u.Name
		}
	}
	return lu, nil
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
