package lambdatest

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// iamNamespace is the XML namespace of IAM's query-protocol responses.
const iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// KeyLastUsed is what the fake IAM answers to GetAccessKeyLastUsed for one key.
type KeyLastUsed struct {
	UserName    string
	Date        time.Time // zero: never used (ServiceName and Region then default to "N/A")
	ServiceName string
	Region      string
}

// IAMError is an error the fake IAM returns for one key, as IAM's query protocol does.
type IAMError struct {
	Status  int    // HTTP status, e.g. 403
	Code    string // e.g. "AccessDenied", "NoSuchEntity", "Throttling"
	Message string
}

// LastUsedFunc answers GetAccessKeyLastUsed for one access key ID: what IAM says of the key,
// or the error IAM answers instead (nil when there is none).
type LastUsedFunc func(keyID string) (KeyLastUsed, *IAMError)

// IAM is a fake IAM endpoint speaking the query protocol (form-encoded POST, XML answers) for
// GetAccessKeyLastUsed, the one call the function makes, and for ListUsers, ListAccessKeys and
// GetAccountSummary, which `keyage scan` makes too (iamaccount.go). Point the function at it with
// AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_IAM) set to URL. Its answers come from SetLastUsed and
// SetError (NewIAM), where keys it knows nothing of are answered as never used, or from a
// LastUsedFunc (NewIAMFunc). It is safe for concurrent use.
type IAM struct {
	URL string // the endpoint, e.g. http://127.0.0.1:PORT

	lookup LastUsedFunc

	mu       sync.Mutex
	lastUsed map[string]KeyLastUsed
	errs     map[string]IAMError
	calls    []string // the AccessKeyId of every GetAccessKeyLastUsed call, in order

	// The account ListUsers, ListAccessKeys and GetAccountSummary answer from (iamaccount.go).
	users      []User
	userIndex  map[string]int
	pageSize   int
	summary    map[string]int
	summaryErr *IAMError
	throttle   map[string]int // action -> requests still to throttle
	requests   map[string]int // action -> requests received
	inFlight   InFlight       // requests being answered
	delay      time.Duration  // SetDelay
}

// NewIAM starts a fake IAM endpoint answering from SetLastUsed and SetError; it is closed when
// the test ends.
func NewIAM(t testing.TB) *IAM {
	t.Helper()
	f := &IAM{lastUsed: map[string]KeyLastUsed{}, errs: map[string]IAMError{}}
	f.lookup = f.fromTables
	f.start(t)
	return f
}

// NewIAMFunc starts a fake IAM endpoint whose GetAccessKeyLastUsed answers come from lookup,
// which may be called concurrently (SetLastUsed and SetError are not consulted); it is closed
// when the test ends.
func NewIAMFunc(t testing.TB, lookup LastUsedFunc) *IAM {
	t.Helper()
	f := &IAM{lookup: lookup}
	f.start(t)
	return f
}

func (f *IAM) start(t testing.TB) {
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
}

// fromTables is NewIAM's lookup: SetError's error, else SetLastUsed's answer (never used when
// the key was not set).
func (f *IAM) fromTables(keyID string) (KeyLastUsed, *IAMError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, failing := f.errs[keyID]; failing {
		return KeyLastUsed{}, &e
	}
	return f.lastUsed[keyID], nil
}

// SetLastUsed sets what GetAccessKeyLastUsed answers for keyID.
func (f *IAM) SetLastUsed(keyID string, lu KeyLastUsed) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastUsed[keyID] = lu
}

// SetError makes GetAccessKeyLastUsed fail for keyID.
func (f *IAM) SetError(keyID string, e IAMError) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[keyID] = e
}

// Calls returns the AccessKeyId of every GetAccessKeyLastUsed call so far, in order.
func (f *IAM) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

type iamErrorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}

type getAccessKeyLastUsedResult struct {
	XMLName           xml.Name `xml:"GetAccessKeyLastUsedResult"`
	AccessKeyLastUsed struct {
		Region       string `xml:"Region"`
		LastUsedDate string `xml:"LastUsedDate,omitempty"`
		ServiceName  string `xml:"ServiceName"`
	} `xml:"AccessKeyLastUsed"`
	UserName string `xml:"UserName,omitempty"`
}

func (f *IAM) serve(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	delay := f.delay
	f.mu.Unlock()
	defer f.inFlight.Begin(delay)()
	if req.Method != http.MethodPost {
		f.writeError(w, IAMError{Status: http.StatusMethodNotAllowed, Code: "InvalidAction", Message: "IAM's query protocol uses POST"})
		return
	}
	if err := req.ParseForm(); err != nil {
		f.writeError(w, IAMError{Status: http.StatusBadRequest, Code: "MalformedQueryString", Message: err.Error()})
		return
	}
	action := req.PostForm.Get("Action")
	switch action {
	case "GetAccessKeyLastUsed", "ListUsers", "ListAccessKeys", "GetAccountSummary":
	default:
		f.writeError(w, IAMError{Status: http.StatusBadRequest, Code: "InvalidAction",
			Message: fmt.Sprintf("the fake IAM implements GetAccessKeyLastUsed, ListUsers, ListAccessKeys and GetAccountSummary, not %q", action)})
		return
	}
	if v := req.PostForm.Get("Version"); v != "2010-05-08" {
		f.writeError(w, IAMError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: fmt.Sprintf("Version %q, want 2010-05-08", v)})
		return
	}
	if req.Header.Get("Authorization") == "" {
		f.writeError(w, IAMError{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "request is not signed"})
		return
	}
	if f.throttled(action) {
		f.writeError(w, IAMError{Status: http.StatusBadRequest, Code: "Throttling", Message: "Rate exceeded"})
		return
	}
	switch action {
	case "ListUsers":
		f.serveListUsers(w, req)
		return
	case "ListAccessKeys":
		f.serveListAccessKeys(w, req)
		return
	case "GetAccountSummary":
		f.serveGetAccountSummary(w)
		return
	}
	keyID := req.PostForm.Get("AccessKeyId")
	f.mu.Lock()
	f.calls = append(f.calls, keyID)
	f.mu.Unlock()
	if keyID == "" {
		f.writeError(w, IAMError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "AccessKeyId is required"})
		return
	}
	lu, e := f.lookup(keyID)
	if e != nil {
		f.writeError(w, *e)
		return
	}

	var result getAccessKeyLastUsedResult
	result.UserName = lu.UserName
	last := &result.AccessKeyLastUsed
	last.ServiceName, last.Region = lu.ServiceName, lu.Region
	if lu.Date.IsZero() {
		last.ServiceName, last.Region = cmp.Or(last.ServiceName, "N/A"), cmp.Or(last.Region, "N/A")
	} else {
		last.LastUsedDate = lu.Date.UTC().Format(time.RFC3339)
	}
	writeResult(w, "GetAccessKeyLastUsed", result)
}

func (f *IAM) writeError(w http.ResponseWriter, e IAMError) {
	var resp iamErrorResponse
	resp.Xmlns = iamNamespace
	resp.Error.Type = "Sender"
	if e.Status >= 500 {
		resp.Error.Type = "Receiver"
	}
	resp.Error.Code, resp.Error.Message = e.Code, e.Message
	resp.RequestID = "3e9d1f5a-0b1c-4a9e-9d7e-EXAMPLE0000"
	writeXML(w, e.Status, resp)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}
