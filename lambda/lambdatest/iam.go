package lambdatest

import (
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// iamNamespace is the XML namespace of IAM's query-protocol responses.
const iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// IAM is a fake IAM endpoint speaking the query protocol (form-encoded POST, XML answers) for
// the calls keyage makes: GetAccessKeyLastUsed and ListUserTags (the function), and ListUsers, ListAccessKeys and
// GetAccountSummary (`keyage scan` too), answered from an Account. Point the AWS SDK at it with
// AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_IAM) set to URL. It is safe for concurrent use.
type IAM struct {
	URL      string    // the endpoint, e.g. http://127.0.0.1:PORT
	Accounts *Accounts // the accounts it answers for
	// MemberRole is the role name every account holds for another account's caller to assume
	// with STS AssumeRole, which the endpoint answers too (sts.go); "" for none. A call signed
	// with the credentials it handed out acts in that role's account.
	MemberRole string

	home     string // the caller's own account: the first given to NewIAM
	sessions sessions
}

// NewIAM starts a fake IAM endpoint answering from the accounts; it is closed when the test
// ends. A call acts in the caller's own account, the first one given, unless it is signed with
// credentials from the endpoint's STS AssumeRole of another account's MemberRole.
func NewIAM(t testing.TB, accounts ...*Account) *IAM {
	t.Helper()
	f := &IAM{Accounts: NewAccounts(accounts...)}
	if len(accounts) > 0 {
		f.home = accounts[0].ID
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Client returns a real IAM client pointed at the endpoint, with static test credentials and no
// retries, so that each call the test makes is one request.
func (f *IAM) Client() *iam.Client {
	return iam.New(iam.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(f.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// account returns the account a request is for: its credentials' (sessionAccount).
func (f *IAM) account(req *http.Request) (*Account, *IAMError) {
	id := f.sessionAccount(req)
	if a := f.Accounts.Get(id); a != nil {
		return a, nil
	}
	return nil, &IAMError{Status: http.StatusInternalServerError, Code: "InternalFailure",
		Message: fmt.Sprintf("the fake IAM holds no account %q for the caller", id)}
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

// actions are the calls the endpoint answers, each from its Account.
var actions = map[string]func(a *Account, form formValues) (any, *IAMError){
	"GetAccessKeyLastUsed": getAccessKeyLastUsed,
	"ListUsers":            listUsers,
	"ListAccessKeys":       listAccessKeys,
	"GetAccountSummary":    getAccountSummary,
	"ListUserTags":         listUserTags,
}

type formValues interface{ Get(string) string }

func (f *IAM) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		writeError(w, IAMError{Status: http.StatusMethodNotAllowed, Code: "InvalidAction", Message: "IAM's query protocol uses POST"})
		return
	}
	if err := req.ParseForm(); err != nil {
		writeError(w, IAMError{Status: http.StatusBadRequest, Code: "MalformedQueryString", Message: err.Error()})
		return
	}
	action := req.PostForm.Get("Action")
	if action == "AssumeRole" {
		f.serveAssumeRole(w, req)
		return
	}
	answer, ok := actions[action]
	if !ok {
		writeError(w, IAMError{Status: http.StatusBadRequest, Code: "InvalidAction",
			Message: fmt.Sprintf("the fake IAM implements %s, not %q", strings.Join(slices.Sorted(maps.Keys(actions)), ", "), action)})
		return
	}
	if v := req.PostForm.Get("Version"); v != "2010-05-08" {
		writeError(w, IAMError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: fmt.Sprintf("Version %q, want 2010-05-08", v)})
		return
	}
	if req.Header.Get("Authorization") == "" {
		writeError(w, IAMError{Status: http.StatusForbidden, Code: "MissingAuthenticationToken", Message: "request is not signed"})
		return
	}
	a, e := f.account(req)
	if e != nil {
		writeError(w, *e)
		return
	}
	result, e := answer(a, req.PostForm)
	if e != nil {
		writeError(w, *e)
		return
	}
	writeXML(w, http.StatusOK, queryResponse{XMLName: xml.Name{Local: action + "Response"}, Xmlns: iamNamespace,
		Result: result, ResponseMetadata: responseMetadata{RequestID: fakeRequestID}})
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

const fakeRequestID = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"

type getAccessKeyLastUsedResult struct {
	XMLName           xml.Name `xml:"GetAccessKeyLastUsedResult"`
	AccessKeyLastUsed struct {
		Region       string `xml:"Region"`
		LastUsedDate string `xml:"LastUsedDate,omitempty"`
		ServiceName  string `xml:"ServiceName"`
	} `xml:"AccessKeyLastUsed"`
	UserName string `xml:"UserName,omitempty"`
}

func getAccessKeyLastUsed(a *Account, form formValues) (any, *IAMError) {
	keyID := form.Get("AccessKeyId")
	if keyID == "" {
		return nil, &IAMError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "AccessKeyId is required"}
	}
	lu, e := a.LastUsed(keyID)
	if e != nil {
		return nil, e
	}
	var result getAccessKeyLastUsedResult
	result.UserName = lu.UserName
	last := &result.AccessKeyLastUsed
	last.ServiceName, last.Region = lu.ServiceName, lu.Region
	if !lu.Date.IsZero() {
		last.LastUsedDate = lu.Date.UTC().Format(time.RFC3339)
	}
	return result, nil
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

func listUsers(a *Account, form formValues) (any, *IAMError) {
	var maxItems *int
	if s := form.Get("MaxItems"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, &IAMError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "MaxItems " + strconv.Quote(s) + " is not an integer"}
		}
		maxItems = &n
	}
	page, e, err := a.ListUsers(form.Get("Marker"), maxItems)
	switch {
	case err != nil:
		return nil, &IAMError{Status: http.StatusBadRequest, Code: "ValidationError", Message: err.Error()}
	case e != nil:
		return nil, e
	}
	result := listUsersResult{IsTruncated: page.IsTruncated, Marker: page.Marker}
	for _, u := range page.Users {
		result.Users = append(result.Users, iamUser{Path: u.Path, UserName: u.UserName, UserID: u.UserID, Arn: u.ARN, CreateDate: u.CreateDate})
	}
	return result, nil
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

func listAccessKeys(a *Account, form formValues) (any, *IAMError) {
	name, keys, e := a.ListAccessKeys(form.Get("UserName"))
	if e != nil {
		return nil, e
	}
	var result listAccessKeysResult
	for _, k := range keys {
		result.Keys = append(result.Keys, iamKey{UserName: name, AccessKeyID: k.ID, Status: k.Status, CreateDate: k.CreateDate()})
	}
	return result, nil
}

type getAccountSummaryResult struct {
	XMLName xml.Name       `xml:"GetAccountSummaryResult"`
	Entries []summaryEntry `xml:"SummaryMap>entry"`
}

type summaryEntry struct {
	Key   string `xml:"key"`
	Value int    `xml:"value"`
}

func getAccountSummary(a *Account, _ formValues) (any, *IAMError) {
	summary, e := a.AccountSummary()
	if e != nil {
		return nil, e
	}
	var result getAccountSummaryResult
	for _, k := range slices.Sorted(maps.Keys(summary)) {
		result.Entries = append(result.Entries, summaryEntry{Key: k, Value: summary[k]})
	}
	return result, nil
}

type listUserTagsResult struct {
	XMLName     xml.Name `xml:"ListUserTagsResult"`
	Tags        []Tag    `xml:"Tags>member"`
	IsTruncated bool     `xml:"IsTruncated"`
}

func listUserTags(a *Account, form formValues) (any, *IAMError) {
	name := form.Get("UserName")
	if name == "" {
		return nil, &IAMError{Status: http.StatusBadRequest, Code: "ValidationError", Message: "UserName is required"}
	}
	tags, e := a.ListUserTags(name)
	if e != nil {
		return nil, e
	}
	return listUserTagsResult{Tags: tags}, nil
}

func writeError(w http.ResponseWriter, e IAMError) {
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
	w.Header().Set("X-Amzn-Requestid", fakeRequestID)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}
