package agecheck

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// TestTimestampKeepsItsText: a decoded Timestamp is parsed once, and encodes back to the very
// text it was read from, valid or not, so that the event on the wire does not change.
func TestTimestampKeepsItsText(t *testing.T) {
	want := time.Date(2021, 11, 27, 20, 15, 43, 0, time.UTC)
	tests := []struct {
		text  string
		valid bool
		time  time.Time
	}{
		{"2021-11-27T20:15:43Z", true, want},
		{"2021-11-27T20:15:43.000+0000", true, want},
		{"2021-11-27T22:15:43.5+02:00", true, want.Add(500 * time.Millisecond)},
		{"2021-11-27 20:15:43z", true, want},
		{"2021-11-27T20:15:43", false, time.Time{}},
		{"today <&>", false, time.Time{}},
		{"", false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			in, err := json.Marshal(map[string]string{"CreateDate": tt.text})
			if err != nil {
				t.Fatal(err)
			}
			var k AccessKey
			if err := json.Unmarshal(in, &k); err != nil {
				t.Fatalf("Unmarshal(%s): %v, want no error (Check reports a malformed date)", in, err)
			}
			if got := k.CreateDate; got.Valid() != tt.valid || !got.Time().Equal(tt.time) || got.String() != tt.text {
				t.Errorf("got valid %v, time %v, text %q; want %v, %v, %q", got.Valid(), got.Time(), got.String(), tt.valid, tt.time, tt.text)
			}
			out, err := json.Marshal(k.CreateDate)
			if wantOut, _ := json.Marshal(tt.text); err != nil || string(out) != string(wantOut) {
				t.Errorf("Marshal = %s, %v; want %s, the text as received", out, err, wantOut)
			}
		})
	}
}

// TestTimestampDecodesAsAStringDoes: a JSON value that is not a string fails decoding exactly
// as it does for a string field (the same error, naming the same field), the first such error
// of the event is the one reported, and null leaves the field as it was.
func TestTimestampDecodesAsAStringDoes(t *testing.T) {
	type asTimestamp struct {
		Op   string    `json:"op"`
		Now  Timestamp `json:"now"`
		Keys []struct {
			CreateDate Timestamp `json:"CreateDate"`
		} `json:"keys"`
	}
	type asString struct {
		Op   string `json:"op"`
		Now  string `json:"now"`
		Keys []struct {
			CreateDate string `json:"CreateDate"`
		} `json:"keys"`
	}
	for _, in := range []string{
		`{"now":5}`, `{"now":true}`, `{"now":{"a":1}}`, `{"now":["x"]}`,
		`{"keys":[{"CreateDate":1}]}`, `{"keys":[{"CreateDate":{}}]}`,
		`{"op":1,"keys":[{"CreateDate":2}]}`, `{"now":1,"op":2}`,
	} {
		var ts asTimestamp
		var s asString
		tsErr, sErr := json.Unmarshal([]byte(in), &ts), json.Unmarshal([]byte(in), &s)
		var tsType, sType *json.UnmarshalTypeError
		if !errors.As(tsErr, &tsType) || !errors.As(sErr, &sType) {
			t.Errorf("%s: got errors %v and %v, want two *json.UnmarshalTypeError", in, tsErr, sErr)
			continue
		}
		if tsType.Value != sType.Value || tsType.Field != sType.Field {
			t.Errorf("%s: got a JSON %s at %q, want a JSON %s at %q as for a string", in, tsType.Value, tsType.Field, sType.Value, sType.Field)
		}
	}
	ts := asTimestamp{Now: ParseTimestamp("2021-11-27T20:15:43Z")}
	if err := json.Unmarshal([]byte(`{"now":null}`), &ts); err != nil || ts.Now.String() != "2021-11-27T20:15:43Z" {
		t.Errorf(`"now":null: got %q, %v; want the field unchanged and no error`, ts.Now, err)
	}
}

// TestDecodeNamesEveryMalformedTimestamp: timestamps are parsed while decoding, and each one
// that does not parse is reported under its field's path, with the event's other problems.
func TestDecodeNamesEveryMalformedTimestamp(t *testing.T) {
	ev, err := Decode([]byte(`{"op":"check","now":"2026-11-23T08:00:00.250+0100","policy":{"maxAgeDays":90},
		"users":[{"userName":"a","keys":[{"AccessKeyId":"K1","Status":"Active","CreateDate":"2021-11-27"}]},
		         {"userName":"b","keys":[{"AccessKeyId":"K2","Status":"Revoked","CreateDate":"2021-11-27T20:15:43Z"},
		                                 {"AccessKeyId":"K3","Status":"Inactive","CreateDate":"yesterday"}]}]}`))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if want := time.Date(2026, 11, 23, 7, 0, 0, 250e6, time.UTC); !ev.Now.Time().Equal(want) {
		t.Errorf("now = %v, want %v", ev.Now.Time(), want)
	}
	s, err := Check(ev.Users, ev.Policy, ev.Now.Time())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := map[string]string{
		"a": `users[0].keys[0].CreateDate is "2021-11-27", want ` + timeAllowed,
		"b": `users[1].keys[0].Status is "Revoked", want "Active", "Inactive" or "Expired"; ` +
			`users[1].keys[1].CreateDate is "yesterday", want ` + timeAllowed,
	}
	if len(s.UncheckedUsers) != len(want) {
		t.Fatalf("unchecked users %+v, want a and b", s.UncheckedUsers)
	}
	for _, u := range s.UncheckedUsers {
		if u.Error != ErrorMalformedKeys || u.Cause != want[u.UserName] {
			t.Errorf("%s: %s %q, want %s %q", u.UserName, u.Error, u.Cause, ErrorMalformedKeys, want[u.UserName])
		}
	}
}

// TestFindingJSONKeepsItsShape: a Finding's timestamps encode as the RFC 3339 strings the
// contract has always carried, whole seconds in UTC, and an absent LastUsedDate is left out,
// not written as "".
func TestFindingJSONKeepsItsShape(t *testing.T) {
	at := time.Date(2021, 11, 27, 21, 15, 43, 500, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		f    Finding
		want string
	}{
		{"never used", Finding{UserName: "a", CreateDate: timestampAt(at)},
			`{"userName":"a","accessKeyId":"","createDate":"2021-11-27T20:15:43Z","ageDays":0,"severity":""}`},
		{"last used", Finding{UserName: "a", CreateDate: timestampAt(at), LastUsedDate: timestampAt(at.Add(time.Hour))},
			`{"userName":"a","accessKeyId":"","createDate":"2021-11-27T20:15:43Z","ageDays":0,"severity":"","lastUsedDate":"2021-11-27T21:15:43Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
			var back Finding
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if !back.CreateDate.Time().Equal(tt.f.CreateDate.Time()) || back.LastUsedDate != tt.f.LastUsedDate {
				t.Errorf("decoded %+v, want %+v", back, tt.f)
			}
		})
	}
}
