package sfnlocal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/keyage/keyage/lambda/lambdatest"
)

// Task resources keyage's definition uses.
const (
	ResourceListUsers      = "arn:aws:states:::aws-sdk:iam:listUsers"
	ResourceListAccessKeys = "arn:aws:states:::aws-sdk:iam:listAccessKeys"
	ResourceAccountSummary = "arn:aws:states:::aws-sdk:iam:getAccountSummary"
	ResourceLambdaInvoke   = "arn:aws:states:::lambda:invoke"
	ResourceSNSPublish     = "arn:aws:states:::sns:publish"
)

// TaskServer answers run-sfn.mjs's Task calls on a loopback address: IAM from Account, the
// function from Function, and sns:publish recorded. A call it cannot answer (unknown resource,
// parameters Step Functions would have rejected when the machine was created) is a harness
// failure, never an execution error: a test cannot pass by accident.
type TaskServer struct {
	// Account answers the IAM tasks without Credentials: the deploying account's.
	Account *Account
	// Members answer the IAM tasks whose Credentials.RoleArn is the member role (MemberRole) of
	// one of them (roles.go).
	Members    *lambdatest.Accounts
	MemberRole string
	// Organization answers organizations:listAccounts (nil: a harness error, as for any
	// resource without a fake).
	Organization *Organization
	Function     *Function
	TopicARN     string
	// OwnersTopicARN, when set, is the other topic sns:publish may name (the owners topic).
	OwnersTopicARN string
	// ChatTopicARN, when set, is a second topic sns:publish may name (the chat topic).
	ChatTopicARN string
	// InvokeFault, when set, is asked before every lambda:invoke with the event's op: an error
	// it returns answers the call instead of the function (e.g. Lambda throttling).
	InvokeFault func(op string) *StatesError
	// PublishFault, when set, is asked before every sns:publish: an error it returns answers
	// the call instead of SNS (e.g. a publish that fails for good).
	PublishFault func() *StatesError
	// InvokeFaultAfter, when set, is asked after every lambda:invoke with the event's op: an
	// error it returns answers the task instead of the function's result, whose effects (mail
	// sent, items written) stay, as when an invocation times out late.
	InvokeFaultAfter func(op string) *StatesError

	server *httptest.Server
	mu     sync.Mutex
	calls  []Call
	pubs   []Publish
	broken []string
}

// Call is one Task call as the harness made it.
type Call struct {
	Execution string
	State     string
	Resource  string
	Input     json.RawMessage
	// RoleARN is the Task's Credentials.RoleArn as resolved for the call ("" without Credentials).
	RoleARN string
	Error   *StatesError // nil when it succeeded
}

// Publish is one sns:publish call that SNS accepted.
type Publish struct {
	TopicARN         string
	Subject          string
	Message          string
	MessageStructure string
	Attributes       map[string]string // StringValue by name
}

// NewTaskServer starts a server; Close it when done.
func NewTaskServer(account *Account, fn *Function, topicARN string) *TaskServer {
	s := &TaskServer{Account: account, Function: fn, TopicARN: topicARN}
	s.server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the address for KEYAGE_TASK_URL.
func (s *TaskServer) URL() string { return s.server.URL + "/task" }

// Close stops the server.
func (s *TaskServer) Close() { s.server.Close() }

// Calls returns every call so far, in arrival order.
func (s *TaskServer) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the calls to one resource.
func (s *TaskServer) CallsTo(resource string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Resource == resource {
			out = append(out, c)
		}
	}
	return out
}

// Published returns the messages SNS accepted.
func (s *TaskServer) Published() []Publish {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Publish(nil), s.pubs...)
}

// Problems returns the calls the server refused as harness failures.
func (s *TaskServer) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.broken...)
}

func (s *TaskServer) serve(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Execution string          `json:"execution"`
		State     string          `json:"state"`
		Resource  string          `json:"resource"`
		Input     json.RawMessage `json:"input"`
		RoleARN   string          `json:"roleArn"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, "decode task call: "+err.Error(), http.StatusBadRequest)
		return
	}
	result, serr, err := s.answer(r.Context(), req.Resource, req.RoleARN, req.Input)
	if err != nil {
		msg := fmt.Sprintf("state %s (%s): %v", req.State, req.Resource, err)
		s.mu.Lock()
		s.broken = append(s.broken, msg)
		s.mu.Unlock()
		http.Error(w, msg, http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Execution: req.Execution, State: req.State, Resource: req.Resource, Input: req.Input, RoleARN: req.RoleARN, Error: serr})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if serr != nil {
		_ = json.NewEncoder(w).Encode(map[string]string{"error": serr.Error, "cause": serr.Cause})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"result": result})
}

func (s *TaskServer) answer(ctx context.Context, resource, roleARN string, in json.RawMessage) (any, *StatesError, error) {
	if strings.HasPrefix(resource, "arn:aws:states:::aws-sdk:iam:") {
		a, serr := s.iamAccount(roleARN)
		if serr != nil {
			return nil, serr, nil
		}
		switch resource {
		case ResourceListUsers:
			return iamTask("listUsers", in, func(p listUsersParams) (any, *lambdatest.IAMError, error) { return listUsers(a, p) })
		case ResourceListAccessKeys:
			return iamTask("listAccessKeys", in, func(p listAccessKeysParams) (any, *lambdatest.IAMError, error) { return listAccessKeys(a, p) })
		case ResourceAccountSummary:
			return iamTask("getAccountSummary", in, func(p struct{}) (any, *lambdatest.IAMError, error) { return accountSummary(a, p) })
		}
	} else if roleARN != "" {
		return nil, nil, fmt.Errorf("Credentials %q on %s: only IAM tasks take them here", roleARN, resource)
	}
	switch resource {
	case ResourceLambdaInvoke:
		return s.invoke(ctx, in)
	case ResourceSNSPublish:
		if s.PublishFault != nil {
			if e := s.PublishFault(); e != nil {
				return nil, e, nil
			}
		}
		return s.publish(in)
	case ResourceListAccounts:
		if s.Organization != nil {
			return s.Organization.ListAccounts(in)
		}
	}
	return nil, nil, fmt.Errorf("no fake for resource %q", resource)
}

// sdkMetadata is what the optimized integrations add around a response; it counts toward the
// state's payload like the rest.
func sdkMetadata(requestID string, contentLength int) map[string]any {
	headers := map[string]string{
		"Connection":                     "keep-alive",
		"Content-Length":                 fmt.Sprint(contentLength),
		"Content-Type":                   "application/json",
		"Date":                           "Mon, 02 Mar 2026 08:00:00 GMT",
		"X-Amz-Executed-Version":         "$LATEST",
		"x-amzn-Remapped-Content-Length": "0",
		"x-amzn-RequestId":               requestID,
		"X-Amzn-Trace-Id":                "root=1-00000000-000000000000000000000000;sampled=0",
	}
	all := make(map[string][]string, len(headers))
	for k, v := range headers {
		all[k] = []string{v}
	}
	return map[string]any{"AllHttpHeaders": all, "HttpHeaders": headers, "HttpStatusCode": 200}
}

// invoke answers lambda:invoke as the optimized integration does: the function's JSON response
// as Payload with StatusCode 200, or its error named after errorType with the error document as
// Cause.
func (s *TaskServer) invoke(ctx context.Context, in json.RawMessage) (any, *StatesError, error) {
	p, err := decodeParams[struct {
		FunctionName string          `json:"FunctionName"`
		Payload      json.RawMessage `json:"Payload"`
	}]("lambda:invoke", in)
	if err != nil {
		return nil, nil, err
	}
	if s.Function == nil {
		return nil, nil, errors.New("lambda:invoke: no function configured")
	}
	if p.FunctionName != s.Function.ARN && !strings.HasPrefix(p.FunctionName, s.Function.ARN+":") {
		return nil, nil, fmt.Errorf("lambda:invoke FunctionName %q, want the function %q", p.FunctionName, s.Function.ARN)
	}
	if len(p.Payload) == 0 {
		return nil, nil, errors.New("lambda:invoke without Payload")
	}
	var ev struct {
		Op string `json:"op"`
	}
	if s.InvokeFault != nil || s.InvokeFaultAfter != nil {
		if err := json.Unmarshal(p.Payload, &ev); err != nil {
			return nil, nil, fmt.Errorf("lambda:invoke Payload is not an event: %w", err)
		}
	}
	if s.InvokeFault != nil {
		if serr := s.InvokeFault(ev.Op); serr != nil {
			return nil, serr, nil
		}
	}
	resp, err := s.Function.Invoke(ctx, p.Payload)
	if s.InvokeFaultAfter != nil && err == nil {
		if serr := s.InvokeFaultAfter(ev.Op); serr != nil {
			return nil, serr, nil
		}
	}
	var ferr *FunctionError
	switch {
	case errors.As(err, &ferr):
		return nil, &StatesError{Error: ferr.ErrorType, Cause: string(ferr.Payload)}, nil
	case errors.Is(err, ErrFunctionTimeout):
		return nil, &StatesError{Error: "Lambda.Unknown", Cause: "The cause could not be determined because Lambda did not return an error type. " + err.Error()}, nil
	case err != nil:
		return nil, nil, err
	}
	var payload any = string(resp)
	if json.Valid(resp) {
		payload = json.RawMessage(resp)
	}
	id := fmt.Sprintf("00000000-0000-4000-9000-%012d", s.Function.Invocations())
	return map[string]any{
		"ExecutedVersion":     "$LATEST",
		"Payload":             payload,
		"SdkHttpMetadata":     sdkMetadata(id, len(resp)),
		"SdkResponseMetadata": map[string]string{"RequestId": id},
		"StatusCode":          200,
	}, nil, nil
}

// publish answers sns:publish, refusing what SNS refuses with SNS.InvalidParameterException.
func (s *TaskServer) publish(in json.RawMessage) (any, *StatesError, error) {
	p, err := decodeParams[struct {
		TopicArn          string `json:"TopicArn"`
		Subject           string `json:"Subject"`
		Message           string `json:"Message"`
		MessageStructure  string `json:"MessageStructure"`
		MessageAttributes map[string]struct {
			DataType    string `json:"DataType"`
			StringValue string `json:"StringValue"`
		} `json:"MessageAttributes"`
	}]("sns:publish", in)
	if err != nil {
		return nil, nil, err
	}
	if s.TopicARN != "" && p.TopicArn != s.TopicARN && (s.ChatTopicARN == "" || p.TopicArn != s.ChatTopicARN) &&
		(s.OwnersTopicARN == "" || p.TopicArn != s.OwnersTopicARN) {
		want := fmt.Sprintf("%q", s.TopicARN)
		for _, other := range []string{s.ChatTopicARN, s.OwnersTopicARN} {
			if other != "" {
				want += fmt.Sprintf(" or %q", other)
			}
		}
		return nil, nil, fmt.Errorf("sns:publish TopicArn %q, want %s", p.TopicArn, want)
	}
	invalid := func(format string, args ...any) (any, *StatesError, error) {
		return nil, &StatesError{Error: "SNS.InvalidParameterException", Cause: "Invalid parameter: " + fmt.Sprintf(format, args...) + " (Service: Sns, Status Code: 400)"}, nil
	}
	if p.Message == "" {
		return invalid("Message is empty")
	}
	if p.Subject != "" {
		if utf8.RuneCountInString(p.Subject) >= 100 {
			return invalid("Subject has %d characters, must be under 100", utf8.RuneCountInString(p.Subject))
		}
		for _, r := range p.Subject {
			if r > unicode.MaxASCII || unicode.IsControl(r) {
				return invalid("Subject must be ASCII without line breaks or control characters, has %q", r)
			}
		}
	}
	size := len(p.Message) + len(p.Subject)
	attrs := map[string]string{}
	for name, a := range p.MessageAttributes {
		if (a.DataType != "String" && a.DataType != "String.Array") || a.StringValue == "" {
			return invalid("MessageAttributes %s: DataType %q, StringValue %q", name, a.DataType, a.StringValue)
		}
		if a.DataType == "String.Array" {
			var list []string
			if err := json.Unmarshal([]byte(a.StringValue), &list); err != nil || len(list) == 0 {
				return invalid("MessageAttributes %s: String.Array value %q is not a non-empty JSON array of strings", name, a.StringValue)
			}
		}
		attrs[name] = a.StringValue
		size += len(name) + len(a.DataType) + len(a.StringValue)
	}
	if size > PayloadLimit {
		return invalid("message of %d bytes, over %d", size, PayloadLimit)
	}
	switch p.MessageStructure {
	case "":
	case "json":
		var bodies map[string]any
		if err := json.Unmarshal([]byte(p.Message), &bodies); err != nil {
			return invalid("Message Structure - JSON message body failed to parse")
		}
		if _, ok := bodies["default"].(string); !ok {
			return invalid("Message Structure - No default entry in JSON message body")
		}
		for k, v := range bodies {
			if _, ok := v.(string); !ok {
				return invalid("Message Structure - the %q entry is not a string", k)
			}
		}
	default:
		return invalid("MessageStructure %q, want json or none", p.MessageStructure)
	}
	s.mu.Lock()
	n := len(s.pubs)
	s.pubs = append(s.pubs, Publish{TopicARN: p.TopicArn, Subject: p.Subject, Message: p.Message, MessageStructure: p.MessageStructure, Attributes: attrs})
	s.mu.Unlock()
	id := fmt.Sprintf("00000000-0000-4000-a000-%012d", n)
	return map[string]any{"MessageId": id, "SdkHttpMetadata": sdkMetadata(id, 0), "SdkResponseMetadata": map[string]string{"RequestId": id}}, nil, nil
}
