package lambdatest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// stsNamespace is the XML namespace of STS's query-protocol responses.
const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// sessions are the credentials the fake STS handed out: which account each access key ID acts
// in, and every AssumeRole call made.
type sessions struct {
	mu      sync.Mutex
	account map[string]string // access key ID -> account ID
	assumed []string          // "<RoleArn> as <RoleSessionName>", in order
}

// Assumed returns every AssumeRole call the endpoint answered or refused, as
// "<RoleArn> as <RoleSessionName>", in order.
func (f *IAM) Assumed() []string {
	f.sessions.mu.Lock()
	defer f.sessions.mu.Unlock()
	return append([]string(nil), f.sessions.assumed...)
}

// sessionAccount returns the account a request's credentials act in: the one of the session
// whose access key signed it, else the caller's own (the first account given to NewIAM).
func (f *IAM) sessionAccount(req *http.Request) string {
	_, cred, _ := strings.Cut(req.Header.Get("Authorization"), "Credential=")
	keyID, _, _ := strings.Cut(cred, "/")
	f.sessions.mu.Lock()
	defer f.sessions.mu.Unlock()
	if id, ok := f.sessions.account[keyID]; ok {
		return id
	}
	return f.home
}

type assumeRoleResponse struct {
	XMLName xml.Name `xml:"AssumeRoleResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Credentials struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
			Expiration      string `xml:"Expiration"`
		} `xml:"Credentials"`
		AssumedRoleUser struct {
			Arn           string `xml:"Arn"`
			AssumedRoleID string `xml:"AssumedRoleId"`
		} `xml:"AssumedRoleUser"`
	} `xml:"AssumeRoleResult"`
	ResponseMetadata responseMetadata `xml:"ResponseMetadata"`
}

// serveAssumeRole answers STS AssumeRole for the member role (MemberRole) of an account it holds
// that trusts the caller (Account.MemberRoleUntrusted false): credentials whose access key ID
// makes the IAM calls they sign act in that account. Any other role is AccessDenied, as STS
// answers for a role that does not exist or does not trust the caller.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
func (f *IAM) serveAssumeRole(w http.ResponseWriter, req *http.Request) {
	if v := req.PostForm.Get("Version"); v != "2011-06-15" {
		writeError(w, IAMError{Status: http.StatusBadRequest, Code: "InvalidParameterValue", Message: fmt.Sprintf("Version %q, want 2011-06-15", v)})
		return
	}
	roleARN, session := req.PostForm.Get("RoleArn"), req.PostForm.Get("RoleSessionName")
	f.sessions.mu.Lock()
	f.sessions.assumed = append(f.sessions.assumed, roleARN+" as "+session)
	f.sessions.mu.Unlock()
	caller := f.sessionAccount(req)
	a, err := arn.Parse(roleARN)
	var target *Account
	if err == nil && a.Service == "iam" && f.MemberRole != "" && a.Resource == "role/"+f.MemberRole {
		target = f.Accounts.Get(a.AccountID)
	}
	if target == nil || target.MemberRoleUntrusted() || len(session) < 2 || len(session) > 64 {
		writeError(w, IAMError{Status: http.StatusForbidden, Code: "AccessDenied", Message: fmt.Sprintf(
			"User: arn:aws:sts::%s:assumed-role/keyage-function/x is not authorized to perform: sts:AssumeRole on resource: %s", caller, roleARN)})
		return
	}
	keyID := "ASIA" + target.ID + "EXAMPLE"
	f.sessions.mu.Lock()
	if f.sessions.account == nil {
		f.sessions.account = map[string]string{}
	}
	f.sessions.account[keyID] = target.ID
	f.sessions.mu.Unlock()
	var resp assumeRoleResponse
	resp.Xmlns = stsNamespace
	c := &resp.Result.Credentials
	c.AccessKeyID, c.SecretAccessKey, c.SessionToken, c.Expiration = keyID, "secret", "token", "2099-01-01T00:00:00Z"
	resp.Result.AssumedRoleUser.Arn = "arn:" + a.Partition + ":sts::" + target.ID + ":assumed-role/" + f.MemberRole + "/" + session
	resp.Result.AssumedRoleUser.AssumedRoleID = "AROAEXAMPLE:" + session
	resp.ResponseMetadata.RequestID = fakeRequestID
	writeXML(w, http.StatusOK, resp)
}
