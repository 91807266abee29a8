package lambdatest

import (
	"encoding/base64"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Forever makes a fault repeat on every call.
const Forever = -1

// IAMDateFormat is how IAM's timestamps are written in the fake's answers (ISO 8601, UTC, whole
// seconds), over the query protocol and through the Step Functions aws-sdk integration alike.
const IAMDateFormat = "2006-01-02T15:04:05Z"

// IAMError is an error IAM answers a call with, as its API names it: the HTTP status, the error
// code (e.g. "AccessDenied", "NoSuchEntity", "Throttling") and the message. Each front-end
// renders it its own way: the query protocol's ErrorResponse (IAM), or the aws-sdk
// integration's error name and Cause (tests/e2e/sfnlocal).
type IAMError struct {
	Status  int    // HTTP status, e.g. 403
	Code    string // e.g. "AccessDenied", "NoSuchEntity", "Throttling"
	Message string
	// RequestID is the ID of the call that failed; the account sets it on the errors it returns.
	RequestID string
}

// Account is one fake IAM account: its users and their access keys, what GetAccessKeyLastUsed
// and GetAccountSummary say, the faults to answer with (throttling, denied calls, users deleted
// between ListUsers and ListAccessKeys, truncated pages without a marker), the latency of every
// call, and a count of every call and of the calls in flight. It holds no protocol: the fake IAM
// endpoint (NewIAM) serves it over IAM's query protocol, and tests/e2e/sfnlocal answers the Step
// Functions aws-sdk integration's calls from it. An Account has an ID, so that a test can hold
// several (Accounts). Set its fields before the first call, or through Update while calls may be
// in flight; it is safe for concurrent use.
type Account struct {
	ID string

	// PageSize, when set, decides how many users the page-th ListUsers call (from 0) returns
	// when maxItems are asked for: IAM may return fewer than MaxItems while IsTruncated is true.
	PageSize func(page, maxItems int) int
	// OmitOptional leaves out of the aws-sdk integration's answers every field IAM's API model
	// marks optional when it has nothing to say: Users on an empty page, AccessKeyMetadata for a
	// user without keys, IsTruncated when false (Marker is absent on the last page either way).
	OmitOptional bool
	// MarkerMissing makes truncated ListUsers pages leave out their Marker: a response a caller
	// cannot continue from.
	MarkerMissing bool
	// Latency delays every answer, so that calls overlap as they do against IAM and MaxInFlight
	// means something.
	Latency time.Duration
	// RootAccessKeys is what GetAccountSummary says in SummaryMap.AccountAccessKeysPresent
	// (1 when true, else 0).
	RootAccessKeys bool
	// AccountSummaryFails makes every GetAccountSummary call fail with AccessDenied.
	AccountSummaryFails bool
	// RoleUntrusted makes the account's member role refuse to be assumed by another account's
	// caller (a role missing or not trusting it): STS AssumeRole and Step Functions' Credentials
	// fail for it.
	RoleUntrusted bool

	mu       sync.Mutex
	users    []*User
	byName   map[string]*User // lower-cased names: IAM names are unique regardless of case
	byKey    map[string]*Key
	ownerOf  map[string]*User    // access key ID -> its user
	throttle map[string]int      // action -> calls still to throttle (Forever: all)
	log      map[string][]string // action -> the subject of each call, in order
	per      map[[2]string]int   // {action, subject} -> calls
	calls    int                 // calls of every action: the request IDs' sequence
	inFlight InFlight
}

// User is one IAM user of an Account.
type User struct {
	Name    string
	Path    string // "/" when empty
	Created time.Time
	Keys    []*Key
	// Throttle makes that many ListAccessKeys calls for the user fail with "Rate exceeded"
	// before it answers (Forever: all).
	Throttle int
	// DeletedAfterListing keeps the user in ListUsers but answers ListAccessKeys with
	// NoSuchEntity: the user was deleted between the two calls.
	DeletedAfterListing bool
	// Error, when set, is ListAccessKeys' answer for the user instead of its keys, e.g.
	// AccessDenied (403).
	Error *IAMError
	// Tags are what ListUserTags answers for the user.
	Tags map[string]string
	// TagsDenied makes ListUserTags for the user fail with AccessDenied.
	TagsDenied bool
}

// Key is one access key of a User and what GetAccessKeyLastUsed says of it.
type Key struct {
	ID          string
	Status      string // Active, Inactive or Expired
	Created     time.Time
	LastUsed    time.Time // zero: never used (ServiceName and Region are then "N/A")
	LastService string
	LastRegion  string
	// LastUsedDenied makes GetAccessKeyLastUsed for this key fail with AccessDenied.
	LastUsedDenied bool
	// CreateDateText, when set, is the CreateDate string ListAccessKeys returns instead of
	// Created in IAMDateFormat: other ISO 8601 forms, or a malformed date.
	CreateDateText string
}

// CreateDate is the key's CreateDate as ListAccessKeys answers it.
func (k *Key) CreateDate() string {
	if k.CreateDateText != "" {
		return k.CreateDateText
	}
	return k.Created.UTC().Format(IAMDateFormat)
}

// KeyLastUsed is GetAccessKeyLastUsed's answer for one key.
type KeyLastUsed struct {
	UserName    string
	Date        time.Time // zero: never used
	ServiceName string    // "N/A" when never used
	Region      string    // "N/A" when never used
}

// ListedUser is one user of a ListUsers page, with the fields IAM lists.
type ListedUser struct {
	Path, UserName, UserID, ARN, CreateDate string
}

// UsersPage is ListUsers' answer: the page's users, whether more follow, and the marker to ask
// for them with ("" when none is given: the last page, or MarkerMissing).
type UsersPage struct {
	Users       []ListedUser
	IsTruncated bool
	Marker      string
}

// DefaultMaxItems is how many users a ListUsers page holds at most when the call gives no
// MaxItems, as IAM's API reference says.
const DefaultMaxItems = 100

// NewAccount returns an empty account with the 12-digit id.
func NewAccount(id string) *Account {
	return &Account{
		ID:       id,
		byName:   map[string]*User{},
		byKey:    map[string]*Key{},
		ownerOf:  map[string]*User{},
		throttle: map[string]int{},
		log:      map[string][]string{},
		per:      map[[2]string]int{},
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
			panic(fmt.Sprintf("lambdatest: user %q added twice (IAM user names are unique regardless of case)", u.Name))
		}
		if u.Path == "" {
			u.Path = "/"
		}
		a.byName[k] = u
		a.users = append(a.users, u)
		for _, key := range u.Keys {
			a.byKey[key.ID] = key
			a.ownerOf[key.ID] = u
		}
	}
}

// Update runs change under the account's lock: how a test changes the account's fields while
// calls may be in flight.
func (a *Account) Update(change func(a *Account)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	change(a)
}

// Throttle makes the next n calls of action fail with the Throttling error code (HTTP 400), as
// IAM does when its request rate is exceeded (Forever: every call).
func (a *Account) Throttle(action string, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.throttle[action] = n
}

// Users returns the users in ListUsers order.
func (a *Account) Users() []*User {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.users)
}

// Key returns the access key with the ID, or nil.
func (a *Account) Key(id string) *Key {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.byKey[id]
}

// Calls returns the subject of every call of action so far, in order, throttled ones
// included: the user name of ListAccessKeys, the access key ID of GetAccessKeyLastUsed, ""
// for ListUsers and GetAccountSummary.
func (a *Account) Calls(action string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.log[action])
}

// CallsPer returns how many calls of action each subject had (see Calls).
func (a *Account) CallsPer(action string) map[string]int {
	out := map[string]int{}
	for _, s := range a.Calls(action) {
		out[s]++
	}
	return out
}

// Requests returns how many calls of action the account has answered, throttled ones included.
func (a *Account) Requests(action string) int { return len(a.Calls(action)) }

// ListUsersCalls is the number of ListUsers calls answered or failed.
func (a *Account) ListUsersCalls() int { return a.Requests("ListUsers") }

// AccountSummaryCalls returns the number of GetAccountSummary calls.
func (a *Account) AccountSummaryCalls() int { return a.Requests("GetAccountSummary") }

// ListAccessKeysCalls returns the ListAccessKeys calls per user name.
func (a *Account) ListAccessKeysCalls() map[string]int { return a.CallsPer("ListAccessKeys") }

// LastUsedCalls returns the GetAccessKeyLastUsed calls per access key ID.
func (a *Account) LastUsedCalls() map[string]int { return a.CallsPer("GetAccessKeyLastUsed") }

// KeyCalls returns the AccessKeyId of every GetAccessKeyLastUsed call so far, in order.
func (a *Account) KeyCalls() []string { return a.Calls("GetAccessKeyLastUsed") }

// MaxInFlight is the most calls that were being answered at once: what IAM's account-wide
// throttling sees.
func (a *Account) MaxInFlight() int { return a.inFlight.Max() }

// begin starts a call of action about subject (see Calls): it waits the account's Latency
// counted in flight, then takes the lock and logs the call. It returns the call's request ID,
// how many calls of action about subject came before it, and an error when the call is
// throttled; end (deferred by the caller) unlocks and ends the call.
func (a *Account) begin(action, subject string) (requestID string, before int, throttled *IAMError, end func()) {
	a.mu.Lock()
	latency := a.Latency
	a.mu.Unlock()
	done := a.inFlight.Begin(latency)
	a.mu.Lock()
	a.log[action] = append(a.log[action], subject)
	k := [2]string{action, subject}
	before = a.per[k]
	a.per[k]++
	a.calls++
	requestID = fmt.Sprintf("00000000-0000-4000-8000-%012d", a.calls)
	end = func() { a.mu.Unlock(); done() }
	if left := a.throttle[action]; left == Forever || left > 0 {
		if left > 0 {
			a.throttle[action]--
		}
		return requestID, before, &IAMError{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded", RequestID: requestID}, end
	}
	return requestID, before, nil, end
}

// ListUsers answers ListUsers: the page after marker ("" for the first), of at most maxItems
// users (nil: DefaultMaxItems). A marker the account did not issue is an error (not an
// IAMError): no correct caller sends one.
func (a *Account) ListUsers(marker string, maxItems *int) (UsersPage, *IAMError, error) {
	id, _, e, end := a.begin("ListUsers", "")
	defer end()
	if e != nil {
		return UsersPage{}, e, nil
	}
	size := DefaultMaxItems
	if maxItems != nil {
		size = *maxItems
		if size < 1 || size > 1000 {
			return UsersPage{}, &IAMError{Status: http.StatusBadRequest, Code: "ValidationError", RequestID: id,
				Message: fmt.Sprintf("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", size)}, nil
		}
	}
	start, page := 0, 0
	if marker != "" {
		var err error
		if start, page, err = decodeMarker(marker); err != nil || start > len(a.users) {
			return UsersPage{}, nil, fmt.Errorf("Marker %q was not issued by this account", marker)
		}
	}
	if a.PageSize != nil {
		size = min(size, a.PageSize(page, size))
		if size < 1 && start < len(a.users) {
			size = 1
		}
	}
	last := min(start+size, len(a.users))
	out := UsersPage{Users: []ListedUser{}}
	for i := start; i < last; i++ {
		u := a.users[i]
		out.Users = append(out.Users, ListedUser{Path: u.Path, UserName: u.Name, UserID: fmt.Sprintf("AIDA%017d", i),
			ARN: "arn:aws:iam::" + a.ID + ":user" + u.Path + u.Name, CreateDate: u.Created.UTC().Format(IAMDateFormat)})
	}
	if last < len(a.users) {
		out.IsTruncated = true
		if !a.MarkerMissing {
			out.Marker = encodeMarker(last, page+1)
		}
	}
	return out, nil, nil
}

// encodeMarker makes an opaque marker, as IAM's are.
func encodeMarker(offset, page int) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "lambdatest:%d:%d", offset, page))
}

func decodeMarker(m string) (offset, page int, err error) {
	b, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil {
		return 0, 0, err
	}
	parts := strings.Split(string(b), ":")
	if len(parts) != 3 || parts[0] != "lambdatest" {
		return 0, 0, fmt.Errorf("malformed marker")
	}
	if offset, err = strconv.Atoi(parts[1]); err != nil {
		return 0, 0, err
	}
	page, err = strconv.Atoi(parts[2])
	return offset, page, err
}

// ListAccessKeys answers ListAccessKeys for the named user: the user's name as IAM spells it and
// its keys (one page: a user has at most two), or NoSuchEntity, the user's Error or throttling.
func (a *Account) ListAccessKeys(userName string) (string, []Key, *IAMError) {
	id, call, e, end := a.begin("ListAccessKeys", userName)
	defer end()
	if e != nil {
		return "", nil, e
	}
	u := a.byName[strings.ToLower(userName)]
	switch {
	case u == nil || u.DeletedAfterListing:
		return "", nil, &IAMError{Status: http.StatusNotFound, Code: "NoSuchEntity", RequestID: id,
			Message: "The user with name " + userName + " cannot be found."}
	case u.Throttle == Forever || call < u.Throttle:
		return "", nil, &IAMError{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded", RequestID: id}
	case u.Error != nil:
		e := *u.Error
		e.RequestID = id
		return "", nil, &e
	}
	keys := make([]Key, len(u.Keys))
	for i, k := range u.Keys {
		keys[i] = *k
	}
	return u.Name, keys, nil
}

// LastUsed answers GetAccessKeyLastUsed: the key's last use, with its user's name, or
// AccessDenied for a key the account does not have or one with LastUsedDenied.
func (a *Account) LastUsed(keyID string) (KeyLastUsed, *IAMError) {
	id, _, e, end := a.begin("GetAccessKeyLastUsed", keyID)
	defer end()
	if e != nil {
		return KeyLastUsed{}, e
	}
	k := a.byKey[keyID]
	if k == nil {
		return KeyLastUsed{}, &IAMError{Status: http.StatusForbidden, Code: "AccessDenied", Message: "no access key " + keyID, RequestID: id}
	}
	if k.LastUsedDenied {
		return KeyLastUsed{}, &IAMError{Status: http.StatusForbidden, Code: "AccessDenied", RequestID: id,
			Message: "User: arn:aws:sts::" + a.ID + ":assumed-role/keyage/x is not authorized to perform: iam:GetAccessKeyLastUsed on " + keyID}
	}
	lu := KeyLastUsed{UserName: a.ownerOf[keyID].Name, Date: k.LastUsed, ServiceName: k.LastService, Region: k.LastRegion}
	if k.LastUsed.IsZero() {
		lu.ServiceName, lu.Region = "N/A", "N/A"
	}
	return lu, nil
}

// Tag is one of a user's tags as ListUserTags answers it.
type Tag struct{ Key, Value string }

// ListUserTags answers ListUserTags for the named user: its tags sorted by key (one page: a user
// has at most 50), or NoSuchEntity, AccessDenied when TagsDenied, or throttling.
func (a *Account) ListUserTags(userName string) ([]Tag, *IAMError) {
	id, _, e, end := a.begin("ListUserTags", userName)
	defer end()
	if e != nil {
		return nil, e
	}
	u := a.byName[strings.ToLower(userName)]
	switch {
	case u == nil:
		return nil, &IAMError{Status: http.StatusNotFound, Code: "NoSuchEntity", RequestID: id,
			Message: "The user with name " + userName + " cannot be found."}
	case u.TagsDenied:
		return nil, &IAMError{Status: http.StatusForbidden, Code: "AccessDenied", RequestID: id,
			Message: "User: arn:aws:sts::" + a.ID + ":assumed-role/keyage/x is not authorized to perform: iam:ListUserTags on resource: user " + userName}
	}
	tags := make([]Tag, 0, len(u.Tags))
	for _, k := range slices.Sorted(maps.Keys(u.Tags)) {
		tags = append(tags, Tag{Key: k, Value: u.Tags[k]})
	}
	return tags, nil
}

// UserTagsCalls returns the ListUserTags calls per user name.
func (a *Account) UserTagsCalls() map[string]int { return a.CallsPer("ListUserTags") }

// AccountSummary answers GetAccountSummary: a SummaryMap whose AccountAccessKeysPresent says
// whether the root user has access keys, or AccessDenied when AccountSummaryFails.
func (a *Account) AccountSummary() (map[string]int, *IAMError) {
	id, _, e, end := a.begin("GetAccountSummary", "")
	defer end()
	if e != nil {
		return nil, e
	}
	if a.AccountSummaryFails {
		return nil, &IAMError{Status: http.StatusForbidden, Code: "AccessDenied", RequestID: id,
			Message: "User: arn:aws:sts::" + a.ID + ":assumed-role/keyage/x is not authorized to perform: iam:GetAccountSummary"}
	}
	present := 0
	if a.RootAccessKeys {
		present = 1
	}
	return map[string]int{"AccountAccessKeysPresent": present, "Users": len(a.users), "AccountMFAEnabled": 1}, nil
}

// SetRoleUntrusted sets RoleUntrusted while front-ends may be reading it (between runs).
func (a *Account) SetRoleUntrusted(untrusted bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.RoleUntrusted = untrusted
}

// MemberRoleUntrusted reports RoleUntrusted, for the front-ends.
func (a *Account) MemberRoleUntrusted() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.RoleUntrusted
}

// Accounts is a set of fake accounts by ID: what a front-end answering for several accounts
// looks each call's account up in. It is safe for concurrent use.
type Accounts struct {
	mu   sync.Mutex
	byID map[string]*Account
}

// NewAccounts returns the set of the accounts. Two with one ID are a test bug and panic.
func NewAccounts(accounts ...*Account) *Accounts {
	r := &Accounts{byID: map[string]*Account{}}
	for _, a := range accounts {
		if _, dup := r.byID[a.ID]; dup {
			panic(fmt.Sprintf("lambdatest: account %s added twice", a.ID))
		}
		r.byID[a.ID] = a
	}
	return r
}

// Get returns the account with the ID, or nil.
func (r *Accounts) Get(id string) *Account {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id]
}

// IDs returns the accounts' IDs, sorted.
func (r *Accounts) IDs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.byID))
}
