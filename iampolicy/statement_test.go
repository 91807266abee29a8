package iampolicy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestStatementJSON: keys render in the order of AWS's examples, and empty optional keys
// (Sid, Principal, Resource, Condition) are left out; Action is always there.
func TestStatementJSON(t *testing.T) {
	for _, c := range []struct {
		name string
		s    Statement
		want string
	}{
		{"every key", Statement{Sid: "S", Effect: "Deny", Principal: &Principal{Everyone: true}, Action: []string{"sns:Publish"},
			Resource: []string{"arn:aws:sns:us-east-1:111122223333:t"}, Condition: Condition{"Bool": {"aws:SecureTransport": {"false"}}}},
			`{"Sid":"S","Effect":"Deny","Principal":"*","Action":["sns:Publish"],"Resource":["arn:aws:sns:us-east-1:111122223333:t"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`},
		{"trust", Statement{Effect: "Allow", Principal: &Principal{Service: []string{"states.amazonaws.com"}}, Action: []string{"sts:AssumeRole"}},
			`{"Effect":"Allow","Principal":{"Service":["states.amazonaws.com"]},"Action":["sts:AssumeRole"]}`},
		{"identity", Statement{Effect: "Allow", Action: []string{"iam:ListUsers"}, Resource: []string{"*"}},
			`{"Effect":"Allow","Action":["iam:ListUsers"],"Resource":["*"]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := json.Marshal(c.s)
			if err != nil || string(got) != c.want {
				t.Errorf("JSON:\n got %s (%v)\nwant %s", got, err, c.want)
			}
			var back Statement
			if err := json.Unmarshal(got, &back); err != nil || !reflect.DeepEqual(back, c.s) {
				t.Errorf("round trip: %+v (%v), want %+v", back, err, c.s)
			}
		})
	}
}

// TestPrincipalJSON: a single AWS principal string reads as a list of one, as IAM accepts it;
// a string other than "*" is an error.
func TestPrincipalJSON(t *testing.T) {
	var p Principal
	if err := json.Unmarshal([]byte(`{"AWS":"arn:aws:iam::111122223333:root"}`), &p); err != nil || len(p.AWS) != 1 {
		t.Errorf("a single AWS principal string: %+v, %v", p, err)
	}
	if err := json.Unmarshal([]byte(`"someone"`), &p); err == nil {
		t.Error(`principal "someone": no error, want one`)
	}
}

// TestConditionValues: a key with one value renders as a string (as before), with several as a
// list; both read back; a key without a value is an error, not a condition that matches nothing.
func TestConditionValues(t *testing.T) {
	c := Condition{"ArnLike": {"aws:SourceArn": {"arn:aws:states:us-east-1:111122223333:stateMachine:m",
		"arn:aws:states:us-east-1:111122223333:stateMachine:m/*"}}, "Bool": {"aws:SecureTransport": {"false"}}}
	got, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"ArnLike":{"aws:SourceArn":["arn:aws:states:us-east-1:111122223333:stateMachine:m",` +
		`"arn:aws:states:us-east-1:111122223333:stateMachine:m/*"]},"Bool":{"aws:SecureTransport":"false"}}`
	if string(got) != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
	var back Condition
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip: %v, want %v", back, c)
	}
	if _, err := json.Marshal(Condition{"Bool": {"aws:SecureTransport": nil}}); err == nil ||
		!strings.Contains(err.Error(), "condition Bool aws:SecureTransport: no value") {
		t.Errorf("a key without values: error %v, want one naming the operator and key", err)
	}
}
