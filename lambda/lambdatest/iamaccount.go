package lambdatest

import (
	"encoding/xml"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// User is one IAM user of the fake account that ListUsers and ListAccessKeys answer from.
type User struct {
	Name string
	Keys []Key
	// Error, when set, is ListAccessKeys' answer for the user instead of its keys: e.g.
	// AccessDenied (403), or NoSuchEntity (404) for a user deleted after ListUsers listed it.
	Error *IAMError
}

// Key is one access key of a User, as ListAccessKeys answers it.
type Key struct {
	ID      string
	Status  string // Active, Inactive or Expired
	Created time.Time
}

// DefaultPageSize is how many users a ListUsers page holds when neither the request's MaxItems
// nor SetUsers' pageSize is smaller.
const DefaultPageSize = 100

// SetUsers sets the users ListUsers lists, in order, at most pageSize a page (0:
// DefaultPageSize), with Marker the index of the page's first user.
func (f *IAM) SetUsers(users []User, pageSize int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users = users
	f.userIndex = make(map[string]int, len(users))
	for i, u := range users {
		f.userIndex[u.Name] = i
	}
	f.pageSize = pageSize
}

// SetAccountSummary sets GetAccountSummary's SummaryMap, or its error when e is not nil.
func (f *IAM) SetAccountSummary(summary map[string]int, e *IAMError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.summary, f.summaryErr = summary, e
}

// Throttle makes the next n requests of action fail with the Throttling error code (HTTP 400),
// as IAM does when its request rate is exceeded.
func (f *IAM) Throttle(action string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.throttle == nil {
		f.throttle = map[string]int{}
	}
	f.throttle[action] = n
}

// Requests returns how many requests of action the fake has received, throttled ones included.
func (f *IAM) Requests(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[action]
}

// SetDelay makes the fake wait d before answering each request, so that concurrent callers
// overlap (MaxInFlight).
func (f *IAM) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// MaxInFlight returns the most requests the fake was answering at once.
func (f *IAM) MaxInFlight() int { return f.inFlight.Max() }

// throttled counts a request of action and reports whether it is to be throttled.
func (f *IAM) throttled(action string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests == nil {
		f.requests = map[string]int{}
	}
	f.requests[action]++
	if f.throttle[action] > 0 {
		f.throttle[action]--
		return true
	}
	return false
}

type responseMetadata struct {
	RequestID string `xml:"RequestId"`
}

// queryResponse is the IAM query protocol's envelope of every answer:
// <ActionResponse xmlns=...><ActionResult>...</ActionResult><ResponseMetadata>...</ResponseMetadata>.
// Result is an ActionResult type, whose XMLName names its element.
type queryResponse struct {
	XMLName          xml.Name
	Xmlns            string `xml:"xmlns,attr"`
	Result           any
	ResponseMetadata responseMetadata `xml:"ResponseMetadata"`
}

// writeResult answers action with result in the query protocol's envelope.
func writeResult(w http.ResponseWriter, action string, result any) {
	writeXML(w, http.StatusOK, queryResponse{XMLName: xml.Name{Local: action + "Response"}, Xmlns: iamNamespace,
		Result: result, ResponseMetadata: responseMetadata{RequestID: fakeRequestID}})
}

type listUsersResult struct {
	XMLName     xml.Name  `xml:"ListUsersResult"`
	Users       []iamUser `xml:"Users>member"`
	IsTruncated bool      `xml:"IsTruncated"`
	Marker      string    `xml:"Marker,omitempty"`
}

type iamUser struct {
	Path       string `xml:"Path"`
	UserName   string `xml:"UserName"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

type listAccessKeysResult struct {
	XMLName     xml.Name `xml:"ListAccessKeysResult"`
	Keys        []iamKey `xml:"AccessKeyMetadata>member"`
	IsTruncated bool     `xml:"IsTruncated"`
}

type iamKey struct {
	UserName    string `xml:"UserName"`
	AccessKeyID string `xml:"AccessKeyId"`
	Status      string `xml:"Status"`
	CreateDate  string `xml:"CreateDate"`
}

type getAccountSummaryResult struct {
	XMLName xml.Name       `xml:"GetAccountSummaryResult"`
	Entries []summaryEntry `xml:"SummaryMap>entry"`
}

type summaryEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

const fakeRequestID = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"

func (f *IAM) serveListUsers(w http.ResponseWriter, req *http.Request) {
	start := 0
	if m := req.PostForm.Get("Marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			f.writeError(w, IAMError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "Marker " + strconv.Quote(m) + " is not one the fake IAM returned"})
			return
		}
		start = n
	}
	f.mu.Lock()
	size := f.pageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	if m, err := strconv.Atoi(req.PostForm.Get("MaxItems")); err == nil && m > 0 {
		size = min(size, m)
	}
	start = min(start, len(f.users))
	end := min(start+size, len(f.users))
	page := f.users[start:end]
	total := len(f.users)
	f.mu.Unlock()

	result := listUsersResult{Users: make([]iamUser, len(page))}
	for i, u := range page {
		result.Users[i] = iamUser{Path: "/", UserName: u.Name, UserID: "AIDA" + strconv.Itoa(start+i),
			Arn: "arn:aws:iam::123456789012:user/" + u.Name, CreateDate: "2020-01-01T00:00:00Z"}
	}
	if end < total {
		result.IsTruncated, result.Marker = true, strconv.Itoa(end)
	}
	writeResult(w, "ListUsers", result)
}

func (f *IAM) serveListAccessKeys(w http.ResponseWriter, req *http.Request) {
	name := req.PostForm.Get("UserName")
	f.mu.Lock()
	i, ok := f.userIndex[name]
	var u User
	if ok {
		u = f.users[i]
	}
	f.mu.Unlock()
	switch {
	case !ok:
		f.writeError(w, IAMError{Status: http.StatusNotFound, Code: "NoSuchEntity", Message: "The user with name " + name + " cannot be found."})
		return
	case u.Error != nil:
		f.writeError(w, *u.Error)
		return
	}
	var result listAccessKeysResult
	for _, k := range u.Keys {
		result.Keys = append(result.Keys, iamKey{UserName: u.Name, AccessKeyID: k.ID, Status: k.Status,
			CreateDate: k.Created.UTC().Format(time.RFC3339)})
	}
	writeResult(w, "ListAccessKeys", result)
}

func (f *IAM) serveGetAccountSummary(w http.ResponseWriter) {
	f.mu.Lock()
	summary, e := f.summary, f.summaryErr
	f.mu.Unlock()
	if e != nil {
		f.writeError(w, *e)
		return
	}
	var result getAccountSummaryResult
	for _, k := range slices.Sorted(maps.Keys(summary)) {
		result.Entries = append(result.Entries, summaryEntry{Key: k, Value: summary[k]})
	}
	writeResult(w, "GetAccountSummary", result)
}
