package agecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"
)

// logLines decodes the JSON log lines a handler wrote.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func withMsg(lines []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

func TestHandlerCheckLooksUpFlaggedKeysAndLogsEveryFinding(t *testing.T) {
	var looked []string
	h := &Handler{
		LastUsed: func(_ context.Context, user, id string) (LastUsed, error) {
			looked = append(looked, id)
			switch id {
			case "AKIASTALE":
				return LastUsed{Date: time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), ServiceName: "s3", Region: "us-east-1"}, nil
			case "AKIAWARN":
				return LastUsed{}, errors.New("AccessDenied")
			}
			return LastUsed{ServiceName: "N/A", Region: "N/A"}, nil
		},
	}
	var buf bytes.Buffer
	h.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	ev := Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: testAccount, Policy: Policy{MaxAgeDays: 90, WarnAgeDays: 60},
		Users: []UserKeys{
			{UserName: "alice", Keys: []AccessKey{activeKey("AKIASTALE", ago(days(120))), activeKey("AKIAOK", ago(days(3)))}},
			{UserName: "bob", Keys: []AccessKey{activeKey("AKIAWARN", ago(days(70)))}},
			{UserName: "carol", Error: &ScanError{Error: "Iam.IamException", Cause: strings.Repeat("x", 400)}},
		}}
	s := invoke[Summary](t, h, ev)
	if strings.Join(looked, ",") != "AKIASTALE,AKIAWARN" {
		t.Errorf("looked up %v, want the flagged keys only: AKIASTALE, AKIAWARN", looked)
	}
	if s.Stale != 1 || s.Warning != 1 || s.Compliant != 1 || s.Unchecked != 1 || len(s.Findings) != 2 {
		t.Fatalf("got %+v, want 1 stale, 1 warning, 1 compliant, 1 unchecked", s)
	}
	if f := s.Findings[0]; f.LastUsedDate.String() != "2026-11-01T10:00:00Z" || f.LastUsedService != "s3" || f.LastUsedRegion != "us-east-1" {
		t.Errorf("got stale finding %+v, want last used 2026-11-01T10:00:00Z in s3, us-east-1", f)
	}
	if f := s.Findings[1]; !f.LastUsedDate.IsZero() || f.LastUsedService != "" {
		t.Errorf("got warning finding %+v, want no last-used details after a failed lookup", f)
	}
	if len(s.UncheckedUsers[0].Cause) != MaxCauseLength {
		t.Errorf("got a %d-byte cause in the summary, want %d", len(s.UncheckedUsers[0].Cause), MaxCauseLength)
	}

	lines := logLines(t, &buf)
	findings := withMsg(lines, FindingLogMessage)
	if len(findings) != 2 {
		t.Fatalf("got %d finding log lines, want 2: %v", len(findings), lines)
	}
	want := map[string]any{"account": testAccount, "userName": "alice", "accessKeyId": "AKIASTALE", "ageDays": 120.0,
		"severity": "stale", "lastUsedDate": "2026-11-01T10:00:00Z", "lastUsedService": "s3", "maxAgeDays": 90.0,
		"now": "2026-11-23T08:00:00Z", "createDate": formatTime(testNow.Add(-days(120)))}
	for k, v := range want {
		if findings[0][k] != v {
			t.Errorf("finding log line %s = %v, want %v", k, findings[0][k], v)
		}
	}
	if u := withMsg(lines, UncheckedLogMessage); len(u) != 1 || len(u[0]["cause"].(string)) != 400 {
		t.Errorf("got unchecked log lines %v, want one with the whole 400-byte cause", u)
	}
	if f := withMsg(lines, "last-used lookup failed"); len(f) != 1 || f[0]["accessKeyId"] != "AKIAWARN" {
		t.Errorf("got lookup-failure log lines %v, want one for AKIAWARN", f)
	}
}

func TestHandlerCheckLogsFindingsBeyondTheTrimmedSummary(t *testing.T) {
	var users []UserKeys
	for i := range 1500 {
		users = append(users, UserKeys{UserName: fmt.Sprintf("user-%04d-%s", i, strings.Repeat("n", 50)),
			Keys: []AccessKey{activeKey(fmt.Sprintf("AKIA%016d", i), ago(days(100+i)))}})
	}
	var buf bytes.Buffer
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	payload, _ := json.Marshal(Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: Policy{MaxAgeDays: 90}, Users: users})
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if len(out) > MaxSummaryBytes {
		t.Errorf("check result is %d bytes, want <= %d", len(out), MaxSummaryBytes)
	}
	var s Summary
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatal(err)
	}
	if s.Stale != 1500 || len(s.Findings) >= 1500 {
		t.Errorf("got stale=%d with %d listed, want 1500 counted and fewer listed", s.Stale, len(s.Findings))
	}
	if n := len(withMsg(logLines(t, &buf), FindingLogMessage)); n != 1500 {
		t.Errorf("got %d finding log lines, want all 1500", n)
	}
}

func TestHandlerStopsLookupsWhenOutOfTime(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		LastUsed: func(context.Context, string, string) (LastUsed, error) {
			calls++
			cancel() // the deadline passes during the first lookup
			return LastUsed{ServiceName: "iam", Region: "us-east-1", Date: testNow}, nil
		},
	}
	payload, _ := json.Marshal(Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: Policy{MaxAgeDays: 90},
		Users: []UserKeys{{UserName: "a", Keys: []AccessKey{activeKey("K1", ago(days(200))), activeKey("K2", ago(days(100)))}}}})
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var s Summary
	_ = json.Unmarshal(out, &s)
	if calls != 1 || len(s.Findings) != 2 || s.Findings[1].LastUsedService != "" {
		t.Errorf("got %d lookups and findings %+v, want 1 lookup and 2 findings, the second without details", calls, s.Findings)
	}
}

func TestHandlerLookupsLeaveReserveBeforeDeadline(t *testing.T) {
	deadline := time.Now().Add(LookupReserve + 200*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	var lookupDeadline time.Time
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		LastUsed: func(ctx context.Context, _, _ string) (LastUsed, error) {
			lookupDeadline, _ = ctx.Deadline()
			<-ctx.Done() // a lookup that hangs until its context gives up
			return LastUsed{}, ctx.Err()
		},
	}
	payload, _ := json.Marshal(Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: Policy{MaxAgeDays: 90},
		Users: []UserKeys{{UserName: "a", Keys: []AccessKey{activeKey("K1", ago(days(200))), activeKey("K2", ago(days(100)))}}}})
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if want := deadline.Add(-LookupReserve); !lookupDeadline.Equal(want) {
		t.Errorf("lookup deadline: got %v, want %v (invocation deadline minus LookupReserve)", lookupDeadline, want)
	}
	if ctx.Err() != nil {
		t.Errorf("Invoke returned after the invocation's deadline: %v", ctx.Err())
	}
	var s Summary
	if err := json.Unmarshal(out, &s); err != nil || len(s.Findings) != 2 {
		t.Errorf("got %s (%v), want a summary with both findings", out, err)
	}
}

func TestHandlerMergeAndReport(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	merge := `{"op":"merge","now":"2026-11-23T08:00:00Z","policy":{"maxAgeDays":90},"account":"123456789012",
		"summary":{"users":1,"compliant":1},"results":[{"users":2,"stale":1,"flagged":1,"findings":[{"userName":"a","accessKeyId":"K","createDate":"2020-01-01T00:00:00Z","ageDays":2518,"severity":"stale"}]}]}`
	out, err := h.Invoke(context.Background(), []byte(merge))
	if err != nil {
		t.Fatalf("merge: %v", err)
	}
	var s Summary
	if err := json.Unmarshal(out, &s); err != nil || s.Users != 3 || s.Stale != 1 || len(s.Findings) != 1 {
		t.Fatalf("got %s (%v), want 3 users, 1 stale finding", out, err)
	}
	report, _ := json.Marshal(Event{Op: OpReport, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: Policy{MaxAgeDays: 90}, Account: testAccount, Summary: &s})
	out, err = h.Invoke(context.Background(), report)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	var r Report
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatal(err)
	}
	if !r.Publish || r.Subject != "1 IAM access key older than 90 days, in 123456789012" || r.Severity != SeverityStale {
		t.Errorf("got %+v, want a stale report for 1 key", r)
	}
}

// TestHandlerMergeLogsFailedBatchesUsers: users of batches whose check invocation failed were
// marked unchecked by the state machine, so the function never logged them in op check; merge
// logs each (with its error) before trimming the list to MaxUncheckedListed, and only those:
// other children's unchecked users were logged by their check.
func TestHandlerMergeLogsFailedBatchesUsers(t *testing.T) {
	var buf bytes.Buffer
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	const failedBatches, batchSize = 30, 5
	ev := Event{Op: OpMerge, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: testAccount, Policy: Policy{MaxAgeDays: 90},
		Summary: &Summary{Counts: Counts{Users: 3, Unchecked: 1}, UncheckedUsers: []UncheckedUser{{UserName: "earlier", Error: "Iam.IamException"}}}}
	for b := range failedBatches {
		r := Summary{Counts: Counts{Users: batchSize, Unchecked: batchSize}, BatchFailed: true}
		for u := range batchSize {
			r.UncheckedUsers = append(r.UncheckedUsers, UncheckedUser{
				UserName: fmt.Sprintf("user-%03d", b*batchSize+u), Error: "Lambda.TooManyRequestsException", Cause: "the function failed"})
		}
		ev.Results = append(ev.Results, r)
	}
	ev.Results = append(ev.Results, Summary{Counts: Counts{Users: 1, Unchecked: 1}, UncheckedUsers: []UncheckedUser{{UserName: "checked-elsewhere", Error: "Iam.IamException"}}})
	s := invoke[Summary](t, h, ev)

	want := failedBatches * batchSize
	if s.Unchecked != want+2 || len(s.UncheckedUsers) != MaxUncheckedListed || s.BatchFailed {
		t.Errorf("merged: %d unchecked, %d listed, batchFailed %v; want %d, %d, false", s.Unchecked, len(s.UncheckedUsers), s.BatchFailed, want+2, MaxUncheckedListed)
	}
	logged := map[string]bool{}
	for _, l := range withMsg(logLines(t, &buf), UncheckedLogMessage) {
		name, _ := l["userName"].(string)
		if logged[name] {
			t.Errorf("%s logged twice", name)
		}
		logged[name] = true
		if l["error"] != "Lambda.TooManyRequestsException" || l["cause"] != "the function failed" || l["account"] != testAccount || l["now"] != "2026-11-23T08:00:00Z" {
			t.Errorf("log line %v: want the batch's error and cause, the account and now", l)
		}
	}
	if len(logged) != want {
		t.Errorf("logged %d unchecked users, want the %d of the failed batches", len(logged), want)
	}
	for _, name := range []string{"user-000", "user-149", "user-100"} {
		if !logged[name] {
			t.Errorf("%s of a failed batch was not logged", name)
		}
	}
	if logged["earlier"] || logged["checked-elsewhere"] {
		t.Errorf("merge logged users that their check already logged: %v", logged)
	}
}

// TestHandlerReportOfATestRun: the event's test flag makes the report publish with nothing
// found; without it the same summary publishes nothing.
func TestHandlerReportOfATestRun(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	for _, test := range []bool{false, true} {
		ev, _ := json.Marshal(Event{Op: OpReport, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: Policy{MaxAgeDays: 90}, Account: testAccount,
			Summary: &Summary{Counts: Counts{Users: 2, Compliant: 2}}, Test: test})
		out, err := h.Invoke(context.Background(), ev)
		if err != nil {
			t.Fatalf("report (test %v): %v", test, err)
		}
		var r Report
		if err := json.Unmarshal(out, &r); err != nil {
			t.Fatal(err)
		}
		if r.Publish != test || r.Test != test || (test && !strings.HasPrefix(r.Subject, TestSubjectPrefix)) {
			t.Errorf("test %v: got %+v, want publish and test %v", test, r, test)
		}
	}
}

func TestHandlerReturnsTheTypedErrorItself(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	for _, payload := range []string{`{"op":"nope"}`, `not json`,
		`{"op":"check","now":"2026-11-23T08:00:00Z","policy":{"maxAgeDays":90},"users":[{"userName":""}]}`} {
		_, err := h.Invoke(context.Background(), []byte(payload))
		if _, ok := err.(*InvalidInputError); !ok { // not errors.As: the dynamic type is the contract
			t.Errorf("Invoke(%s) returned %T (%v), want *InvalidInputError itself", payload, err, err)
		}
	}
}

func FuzzInvoke(f *testing.F) {
	seeds := []string{
		`{"op":"check","now":"2026-11-23T08:00:00Z","account":"123456789012","policy":{"maxAgeDays":90,"warnAgeDays":60,"exemptUsers":["svc-*"]},
		  "users":[{"userName":"a","keys":[{"AccessKeyId":"K1","Status":"Active","CreateDate":"2021-11-27T20:15:43.000+0000"}]},
		           {"userName":"svc-x","keys":[{"AccessKeyId":"K2","Status":"Inactive","CreateDate":"2021-11-27T20:15:43Z"}]},
		           {"userName":"gone","deleted":true},{"userName":"t","error":{"Error":"Iam.IamException","Cause":"Rate exceeded"}}]}`,
		`{"op":"merge","now":"2026-11-23T08:00:00Z","policy":{"maxAgeDays":90},"summary":{"users":1,"stale":1,"findings":[{"userName":"a","accessKeyId":"K","createDate":"x","ageDays":-5,"severity":"?"}]},"results":[{}]}`,
		`{"op":"report","now":"2026-11-23T08:00:00Z","account":"123456789012","policy":{"maxAgeDays":1},"summary":{"stale":9223372036854775807,"warning":1,"unchecked":1,"uncheckedUsers":[{"userName":"\u0000","error":"\n"}]}}`,
		`{"op":"check","now":"0001-01-01T00:00:00Z","policy":{"maxAgeDays":3650},"users":[{"userName":"a","keys":[{"AccessKeyId":"K","Status":"Active","CreateDate":"9999-12-31T23:59:59Z"}]}]}`,
		`{"op":"check","now":"9999-12-31T23:59:59+23:59","policy":{"maxAgeDays":3650,"exemptUsers":["**********a"]},"users":[{"userName":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","keys":[{"AccessKeyId":"K","Status":"Active","CreateDate":"0001-01-01T00:00:00-23:59"}]}]}`,
		`{}`, `null`, `[]`, `"x"`, ``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		LastUsed: func(context.Context, string, string) (LastUsed, error) {
			return LastUsed{Date: testNow, ServiceName: "iam", Region: "us-east-1"}, nil
		},
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(context.Background(), payload)
		if err != nil {
			if _, ok := err.(*InvalidInputError); !ok {
				t.Fatalf("Invoke returned %T (%v), want *InvalidInputError", err, err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("Invoke returned invalid JSON %q", out)
		}
	})
}

// invoke runs ev through h, as the state machine does (encoded, and the result decoded), and
// returns the result as a T.
func invoke[T any](t *testing.T, h *Handler, ev Event) T {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := h.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke op %s: %v", ev.Op, err)
	}
	var r T
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("result of op %s %s: %v", ev.Op, out, err)
	}
	return r
}

// TestEncodeResultReturnsAnError: a result that cannot be encoded fails the invocation with an
// error naming the op, not a panic.
func TestEncodeResultReturnsAnError(t *testing.T) {
	var unsupported *json.UnsupportedValueError
	if _, err := encodeResult(OpMerge, math.Inf(1)); !errors.As(err, &unsupported) || !strings.Contains(err.Error(), "op merge") {
		t.Errorf("encodeResult(+Inf) error = %v, want a *json.UnsupportedValueError naming op merge", err)
	}
	if b, err := encodeResult(OpReport, Report{Account: testAccount}); err != nil || string(b) != `{"publish":false,"account":"123456789012"}` {
		t.Errorf("encodeResult(Report) = %s, %v; want the report's JSON", b, err)
	}
}

func TestHandlerCheckLooksUpTheRestAfterAFailedLookup(t *testing.T) {
	var looked []string
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		LastUsed: func(_ context.Context, _, id string) (LastUsed, error) {
			looked = append(looked, id)
			if id == "AKIAOLDEST" {
				return LastUsed{}, errors.New("AccessDenied")
			}
			return LastUsed{Date: testNow.Add(-time.Hour), ServiceName: "s3", Region: "eu-west-1"}, nil
		},
	}
	ev := Event{Op: OpCheck, Now: ParseTimestamp(formatTime(testNow)), Account: testAccount, Policy: Policy{MaxAgeDays: 90},
		Users: []UserKeys{{UserName: "alice", Keys: []AccessKey{
			activeKey("AKIAOLDEST", ago(days(300))), activeKey("AKIANEWER", ago(days(200))),
		}}}}
	s := invoke[Summary](t, h, ev)
	if strings.Join(looked, ",") != "AKIAOLDEST,AKIANEWER" {
		t.Errorf("looked up %v, want both keys: one failed lookup must not stop the others", looked)
	}
	if len(s.Findings) != 2 || s.Findings[1].LastUsedService != "s3" || s.Findings[0].LastUsedService != "" {
		t.Errorf("got findings %+v, want the newer key's last use (s3) and none for the failed lookup", s.Findings)
	}
}
