package agecheck

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)

func ago(d time.Duration) string { return testNow.Add(-d).Format(time.RFC3339) }

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func activeKey(id, created string) AccessKey {
	return AccessKey{AccessKeyID: id, Status: StatusActive, CreateDate: ParseTimestamp(created)}
}

func TestCheckBoundaries(t *testing.T) {
	const hms = 23*time.Hour + 59*time.Minute + 59*time.Second
	tests := []struct {
		name     string
		age      time.Duration
		warn     int
		want     string // "" compliant, else the severity
		wantDays int
	}{
		{"exactly 90 days is compliant", days(90), 0, "", 0},
		{"90 days and 1s is stale", days(90) + time.Second, 0, SeverityStale, 90},
		{"90d 23h59m59s is stale, shown as 90 days", days(90) + hms, 0, SeverityStale, 90},
		{"91 days is stale, shown as 91", days(91), 0, SeverityStale, 91},
		{"89 days without warning is compliant", days(89), 0, "", 0},
		{"exactly 60 days with warn 60 is compliant", days(60), 60, "", 0},
		{"60 days and 1s with warn 60 is a warning", days(60) + time.Second, 60, SeverityWarning, 60},
		{"60d 23h59m59s with warn 60 is a warning, shown as 60", days(60) + hms, 60, SeverityWarning, 60},
		{"exactly 90 days with warn 60 is a warning, not stale", days(90), 60, SeverityWarning, 90},
		{"90 days and 1s with warn 60 is stale", days(90) + time.Second, 60, SeverityStale, 90},
		{"created one second from now is compliant", -time.Second, 60, "", 0},
		{"created now is compliant", 0, 60, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := []UserKeys{{UserName: "alice", Keys: []AccessKey{activeKey("AKIA1", ago(tt.age))}}}
			s, err := Check(users, Policy{MaxAgeDays: 90, WarnAgeDays: tt.warn}, testNow)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if tt.want == "" {
				if s.Compliant != 1 || len(s.Findings) != 0 {
					t.Fatalf("got compliant=%d findings=%+v, want 1 compliant key and no finding", s.Compliant, s.Findings)
				}
				return
			}
			if len(s.Findings) != 1 {
				t.Fatalf("got %d findings (%+v), want 1", len(s.Findings), s)
			}
			f := s.Findings[0]
			if f.Severity != tt.want || f.AgeDays != tt.wantDays {
				t.Errorf("got severity %q age %d days, want %q %d days", f.Severity, f.AgeDays, tt.want, tt.wantDays)
			}
			if got := s.Stale + s.Warning; got != 1 || s.Compliant != 0 {
				t.Errorf("got stale+warning=%d compliant=%d, want 1 and 0", got, s.Compliant)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2021, 11, 27, 20, 15, 43, 0, time.UTC)
	valid := []struct {
		in   string
		want time.Time
	}{
		{"2021-11-27T20:15:43Z", want},
		{"2021-11-27T20:15:43.000Z", want},
		{"2021-11-27T20:15:43.5Z", want.Add(500 * time.Millisecond)},
		{"2021-11-27T20:15:43.123456789Z", want.Add(123456789)},
		{"2021-11-27T22:15:43+02:00", want},
		{"2021-11-27T15:15:43-05:00", want},
		{"2021-11-27T20:15:43.000+0000", want},
		{"2021-11-27T21:45:43.000+0130", want},
		{"2021-11-27T20:15:43+00", want},
		{"2021-11-27 20:15:43Z", want},
		{"2021-11-27t20:15:43z", want},
	}
	for _, tt := range valid {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if err != nil {
				t.Fatalf("ParseTime(%q): %v", tt.in, err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, want %v in UTC", tt.in, got, tt.want)
			}
		})
	}
	for _, in := range []string{"", "2021-11-27T20:15:43", "2021-11-27", "yesterday", "1637957743",
		"2021-13-27T20:15:43Z", "2021-11-27T20:15Z", "2021-11-27T20:15:43+2", "x"} {
		t.Run("invalid "+in, func(t *testing.T) {
			if got, err := ParseTime(in); err == nil {
				t.Errorf("ParseTime(%q) = %v, want an error", in, got)
			}
		})
	}
}

func TestCheckTimestampFormsAgree(t *testing.T) {
	forms := []string{"2021-11-27T20:15:43Z", "2021-11-27T20:15:43.000Z", "2021-11-27T22:15:43+02:00",
		"2021-11-27T20:15:43.000+0000", "2021-11-27T15:15:43-0500"}
	var users []UserKeys
	for i, f := range forms {
		users = append(users, UserKeys{UserName: fmt.Sprintf("u%d", i), Keys: []AccessKey{activeKey(fmt.Sprintf("AKIA%d", i), f)}})
	}
	s, err := Check(users, Policy{MaxAgeDays: 90}, testNow)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(s.Findings) != len(forms) {
		t.Fatalf("got %d findings, want %d", len(s.Findings), len(forms))
	}
	for i, f := range s.Findings {
		if f.CreateDate.String() != "2021-11-27T20:15:43Z" || f.AgeDays != s.Findings[0].AgeDays {
			t.Errorf("finding %d (%s): got createDate %q age %d, want 2021-11-27T20:15:43Z and the same age as the others",
				i, forms[i], f.CreateDate, f.AgeDays)
		}
	}
}

func TestCheckExemptionGlobs(t *testing.T) {
	p := Policy{MaxAgeDays: 90, ExemptUsers: []string{"svc-*", "Break-Glass", "*-CI", "a*b*c"}}
	tests := []struct {
		user   string
		exempt bool
	}{
		{"svc-deploy", true},
		{"SVC-Deploy", true},
		{"svc-", true},
		{"svc", false},
		{"my-svc-x", false},
		{"break-glass", true},
		{"BREAK-GLASS", true},
		{"break-glass2", false},
		{"app-ci", true},
		{"app-ci-2", false},
		{"abxc", true},
		{"aXbYc", true},
		{"acb", false},
		{"alice", false},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			users := []UserKeys{{UserName: tt.user, Keys: []AccessKey{
				activeKey("AKIA1", ago(days(400))),
				{AccessKeyID: "AKIA2", Status: StatusInactive, CreateDate: ParseTimestamp(ago(days(400)))},
			}}}
			s, err := Check(users, p, testNow)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if tt.exempt {
				if s.Exempt != 2 || s.Stale != 0 || s.Inactive != 0 || len(s.Findings) != 0 {
					t.Errorf("got %+v, want both keys exempt and no finding", s)
				}
			} else if s.Exempt != 0 || s.Stale != 1 || s.Inactive != 1 {
				t.Errorf("got %+v, want 1 stale, 1 inactive, 0 exempt", s)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"a*", "a", true},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a**b", "ab", true},
		{"a*b*c*d", "axxbyycd", true},
		{"a*b*c*d", "axxbyyc", false},
		{"?", "?", true},
		{"?", "a", false}, // only * is special
		{"[a]", "a", false},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 100), false}, // no exponential blow-up
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestCheckCounts(t *testing.T) {
	users := []UserKeys{
		{UserName: "nokeys"},
		{UserName: "inactive", Keys: []AccessKey{{AccessKeyID: "AKIAI", Status: "Inactive", CreateDate: ParseTimestamp(ago(days(900)))}}},
		// IAM declares Expired a valid AccessKeyMetadata status: not active, so not judged (and
		// not a malformed event, which would leave the whole batch unchecked).
		{UserName: "expired", Keys: []AccessKey{{AccessKeyID: "AKIAE", Status: "Expired", CreateDate: ParseTimestamp(ago(days(900)))}}},
		{UserName: "gone", Deleted: true, Keys: []AccessKey{activeKey("AKIAG", ago(days(900)))}},
		{UserName: "throttled", Error: &ScanError{Error: "Iam.IamException", Cause: strings.Repeat("Rate exceeded ", 40)}},
		{UserName: "denied", Error: &ScanError{Error: "States.TaskFailed"}},
		{UserName: "mixed", Keys: []AccessKey{
			activeKey("AKIAM1", ago(days(100))),
			{AccessKeyID: "AKIAM2", Status: "active", CreateDate: ParseTimestamp(ago(days(10)))}, // case-insensitive status
		}},
		{UserName: "svc-exempt", Error: &ScanError{Error: "Iam.IamException"}}, // exempt wins: not unchecked
	}
	s, err := Check(users, Policy{MaxAgeDays: 90, WarnAgeDays: 80, ExemptUsers: []string{"svc-*"}}, testNow)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := Counts{Users: 8, Deleted: 1, Unchecked: 2, Exempt: 0, Inactive: 2, Compliant: 1, Warning: 0, Stale: 1, Flagged: 1 + 0}
	if got := s.Counts; got != want {
		t.Errorf("got counts %+v, want %+v", got, want)
	}
	wantUnchecked := []UncheckedUser{
		{UserName: "denied", Error: "States.TaskFailed"},
		{UserName: "throttled", Error: "Iam.IamException", Cause: strings.Repeat("Rate exceeded ", 40)},
	}
	if !reflect.DeepEqual(s.UncheckedUsers, wantUnchecked) {
		t.Errorf("got unchecked %+v, want %+v (whole causes, sorted by name)", s.UncheckedUsers, wantUnchecked)
	}
	if !must(s.Trim(MaxSummaryBytes)) {
		t.Errorf("Trim reported nothing trimmed, want the long cause shortened")
	}
	if got := len(s.UncheckedUsers[1].Cause); got != MaxCauseLength {
		t.Errorf("got cause of %d bytes after Trim, want %d", got, MaxCauseLength)
	}
}

func TestCheckSortsOldestFirst(t *testing.T) {
	same := ago(days(200))
	users := []UserKeys{
		{UserName: "bob", Keys: []AccessKey{activeKey("AKIAB2", same), activeKey("AKIAB1", same)}},
		{UserName: "alice", Keys: []AccessKey{activeKey("AKIAA1", same), activeKey("AKIAA0", ago(days(95)))}},
		{UserName: "carol", Keys: []AccessKey{activeKey("AKIAC1", ago(days(300)))}},
	}
	s, err := Check(users, Policy{MaxAgeDays: 90}, testNow)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	var got []string
	for _, f := range s.Findings {
		got = append(got, f.UserName+"/"+f.AccessKeyID)
	}
	want := []string{"carol/AKIAC1", "alice/AKIAA1", "bob/AKIAB1", "bob/AKIAB2", "alice/AKIAA0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got order %v, want %v", got, want)
	}
}

func TestErrorTypeNameMatchesType(t *testing.T) {
	// aws-lambda-go reports reflect.TypeOf(err).Elem().Name() as the errorType.
	if got := reflect.TypeOf(&InvalidInputError{}).Elem().Name(); got != ErrorTypeInvalidInput {
		t.Errorf("type name %q, want ErrorTypeInvalidInput %q", got, ErrorTypeInvalidInput)
	}
}

func TestDecodeMalformedEvents(t *testing.T) {
	const okPolicy = `"policy":{"maxAgeDays":90}`
	const okNow = `"now":"2026-11-23T08:00:00Z"`
	tests := []struct {
		name  string
		event string
		want  []string // substrings of the message: field, value, allowed
	}{
		{"not JSON", `{`, []string{"event", "not valid JSON"}},
		{"an array", `[]`, []string{"event", "a JSON array"}},
		{"two objects", `{"op":"check"} {}`, []string{"event", "not valid JSON", "one JSON object"}},
		{"wrong type", `{"op":"check","policy":{"maxAgeDays":"90"}}`, []string{"policy.maxAgeDays", "a JSON string"}},
		{"unknown op", `{"op":"scan",` + okPolicy + `,` + okNow + `}`, []string{`op is "scan"`, `"check", "merge", "report", "account", "mergeAccounts" or "commit"`}},
		{"missing op", `{` + okPolicy + `,` + okNow + `}`, []string{`op is ""`}},
		{"missing now", `{"op":"check",` + okPolicy + `}`, []string{`now is ""`, "ISO 8601"}},
		{"bad now", `{"op":"check",` + okPolicy + `,"now":"today"}`, []string{`now is "today"`}},
		{"missing policy", `{"op":"check",` + okNow + `}`, []string{"policy.maxAgeDays is 0", "from 1 to 3650"}},
		{"maxAgeDays too large", `{"op":"check","policy":{"maxAgeDays":3651},` + okNow + `}`, []string{"policy.maxAgeDays is 3651", "from 1 to 3650"}},
		{"warn equal to max", `{"op":"check","policy":{"maxAgeDays":90,"warnAgeDays":90},` + okNow + `}`, []string{"policy.warnAgeDays is 90", "from 1 to 89"}},
		{"warn negative", `{"op":"check","policy":{"maxAgeDays":90,"warnAgeDays":-1},` + okNow + `}`, []string{"policy.warnAgeDays is -1"}},
		{"empty exemption", `{"op":"check","policy":{"maxAgeDays":90,"exemptUsers":["ok",""]},` + okNow + `}`, []string{"policy.exemptUsers[1]"}},
		{"bad account", `{"op":"check",` + okPolicy + `,` + okNow + `,"account":"12345"}`, []string{`account is "12345"`, "12-digit"}},
		{"report without account", `{"op":"report",` + okPolicy + `,` + okNow + `,"summary":{}}`, []string{`account is ""`}},
		{"report without summary", `{"op":"report",` + okPolicy + `,` + okNow + `,"account":"123456789012"}`, []string{"summary is absent"}},
		{"negative count", `{"op":"merge",` + okPolicy + `,` + okNow + `,"results":[{"stale":-1}]}`, []string{"results[0].stale is -1"}},
		{"more findings than counted", `{"op":"merge",` + okPolicy + `,` + okNow + `,"summary":{"findings":[{}]}}`, []string{"summary.findings is 1 entries", "at most flagged = 0"}},
		{"several problems", `{"op":"x","policy":{"maxAgeDays":0}}`, []string{`op is "x"`, `now is ""`, "policy.maxAgeDays is 0"}},
		{"test not a boolean", `{"op":"report",` + okPolicy + `,` + okNow + `,"account":"123456789012","summary":{},"test":"yes"}`,
			[]string{"event", `a JSON string at "test"`}},
		{"failed batch listing fewer users than counted", `{"op":"merge",` + okPolicy + `,` + okNow + `,"results":[{"users":2,"unchecked":2,"batchFailed":true,"uncheckedUsers":[{"userName":"a","error":"E"}]}]}`,
			[]string{"results[0].uncheckedUsers is 1 entries", "exactly unchecked = 2 when batchFailed is true"}},
		{"batchFailed on the running summary", `{"op":"merge",` + okPolicy + `,` + okNow + `,"summary":{"batchFailed":true}}`,
			[]string{"summary.batchFailed is true", "only a child's result"}},
		{"batchFailed on the final summary", `{"op":"report",` + okPolicy + `,` + okNow + `,"account":"123456789012","summary":{"batchFailed":true}}`,
			[]string{"summary.batchFailed is true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.event))
			var inv *InvalidInputError
			if !errors.As(err, &inv) {
				t.Fatalf("Decode(%s) error = %v, want *InvalidInputError", tt.event, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("message %q does not contain %q", err.Error(), w)
				}
			}
		})
	}
}

// TestCheckUserWithoutName: a user without a name breaks the state machine's contract: the
// whole batch is refused, naming the field.
func TestCheckUserWithoutName(t *testing.T) {
	_, err := Check([]UserKeys{{UserName: "a"}, {UserName: ""}}, Policy{MaxAgeDays: 90}, testNow)
	var inv *InvalidInputError
	if !errors.As(err, &inv) || inv.Op != OpCheck || !strings.Contains(err.Error(), `users[1].userName is ""`) {
		t.Fatalf("Check error = %v, want an *InvalidInputError (op check) naming users[1].userName", err)
	}
}

// TestCheckMalformedUsers: a user whose key data cannot be judged is unchecked, with
// ErrorMalformedKeys and a cause naming the field, the value and what is allowed; the other
// users of the batch are judged as usual.
func TestCheckMalformedUsers(t *testing.T) {
	tests := []struct {
		name  string
		users []UserKeys
		want  string
	}{
		{"empty key ID", []UserKeys{{UserName: "a", Keys: []AccessKey{activeKey("", ago(0))}}}, `users[0].keys[0].AccessKeyId is ""`},
		{"bad status", []UserKeys{{UserName: "a", Keys: []AccessKey{{AccessKeyID: "K", Status: "Revoked", CreateDate: ParseTimestamp(ago(0))}}}},
			`users[0].keys[0].Status is "Revoked", want "Active", "Inactive" or "Expired"`},
		{"bad create date", []UserKeys{{UserName: "a"}, {UserName: "b", Keys: []AccessKey{activeKey("K", "2021-11-27")}}},
			`users[1].keys[0].CreateDate is "2021-11-27", want an ISO 8601 timestamp`},
		{"create date without zone", []UserKeys{{UserName: "a", Keys: []AccessKey{activeKey("K", "2021-11-27T20:15:43")}}},
			`users[0].keys[0].CreateDate is "2021-11-27T20:15:43"`},
		{"inactive key with bad date", []UserKeys{{UserName: "a", Keys: []AccessKey{{AccessKeyID: "K", Status: "Inactive", CreateDate: ParseTimestamp("?")}}}},
			`users[0].keys[0].CreateDate is "?"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := UserKeys{UserName: "good", Keys: []AccessKey{activeKey("AKIAGOOD", ago(100*24*time.Hour))}}
			users := append(slices.Clone(tt.users), good)
			s, err := Check(users, Policy{MaxAgeDays: 90}, testNow)
			if err != nil {
				t.Fatalf("Check error = %v, want the malformed user unchecked and no error", err)
			}
			bad := tt.users[len(tt.users)-1].UserName
			if s.Unchecked != 1 || len(s.UncheckedUsers) != 1 || s.UncheckedUsers[0].UserName != bad ||
				s.UncheckedUsers[0].Error != ErrorMalformedKeys || !strings.Contains(s.UncheckedUsers[0].Cause, tt.want) {
				t.Errorf("unchecked = %d %+v, want %s unchecked with %s and a cause containing %q", s.Unchecked, s.UncheckedUsers, bad, ErrorMalformedKeys, tt.want)
			}
			if s.Stale != 1 || len(s.Findings) != 1 || s.Findings[0].UserName != "good" || s.Inactive != 0 || s.Compliant != 0 {
				t.Errorf("summary %+v, want only good's key judged (stale), the malformed user's keys not counted", s.Counts)
			}
		})
	}
}

func TestInvalidInputErrorListsAtMostTen(t *testing.T) {
	var users []UserKeys
	for range 25 {
		users = append(users, UserKeys{})
	}
	_, err := Check(users, Policy{MaxAgeDays: 90}, testNow)
	if err == nil {
		t.Fatal("Check: got nil error, want *InvalidInputError")
	}
	msg := err.Error()
	if n := strings.Count(msg, "userName is"); n != maxProblemsListed || !strings.Contains(msg, "and 15 more") {
		t.Errorf("got %d problems listed in %q, want %d and \"and 15 more\"", n, msg, maxProblemsListed)
	}
}

func TestQuoteBoundsLongValues(t *testing.T) {
	got := quote(strings.Repeat("é", 100))
	if len(got) > 200 || !strings.Contains(got, "(200 bytes)") {
		t.Errorf("quote of a 200-byte value = %q, want it shortened with its length", got)
	}
}

func TestCheckExemptUserWhoseKeysCouldNotBeReadIsNotUnchecked(t *testing.T) {
	users := []UserKeys{
		{UserName: "Break-Glass", Error: &ScanError{Error: "Iam.IamException", Cause: "Rate exceeded"}},
		{UserName: "bob", Error: &ScanError{Error: "States.Timeout"}},
	}
	s, err := Check(users, Policy{MaxAgeDays: 90, ExemptUsers: []string{"break-glass"}}, testNow)
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if s.Unchecked != 1 || len(s.UncheckedUsers) != 1 || s.UncheckedUsers[0].UserName != "bob" {
		t.Errorf("got unchecked=%d %+v, want only bob (an exempt user's keys would not have been judged)",
			s.Unchecked, s.UncheckedUsers)
	}
}

func TestDecodeAccountIsExactlyTwelveDigits(t *testing.T) {
	for account, ok := range map[string]bool{
		"123456789012": true, "1234567890123": false, "12345678901": false, "12345678901a": false, "12345678901２": false,
	} {
		ev := fmt.Sprintf(`{"op":"check","policy":{"maxAgeDays":90},"now":"2026-11-23T08:00:00Z","account":%q}`, account)
		_, err := Decode([]byte(ev))
		var inv *InvalidInputError
		switch {
		case ok && err != nil:
			t.Errorf("account %q: %v", account, err)
		case !ok && (!errors.As(err, &inv) || !strings.Contains(err.Error(), "12-digit")):
			t.Errorf("account %q: got %v, want an *InvalidInputError asking for a 12-digit account ID", account, err)
		}
	}
}

func TestCheckUnusedBoundaries(t *testing.T) {
	p := Policy{MaxAgeDays: 90, UnusedDays: 45, NewKeyGraceDays: 7}
	used := func(d time.Duration) *LastUsed {
		return &LastUsed{Date: testNow.Add(-d), ServiceName: "s3", Region: "eu-west-1"}
	}
	never := &LastUsed{ServiceName: "N/A", Region: "N/A"}
	tests := []struct {
		name        string
		policy      Policy
		age         time.Duration
		lastUsed    *LastUsed
		wantKinds   []string // nil: compliant
		wantUnknown int
	}{
		{"last used exactly 45 days ago is not unused", p, days(60), used(days(45)), nil, 0},
		{"last used 45 days and 1s ago is unused", p, days(60), used(days(45) + time.Second), []string{KindUnused}, 0},
		{"stale and unused is one finding with both kinds", p, days(100), used(days(50)), []string{KindStale, KindUnused}, 0},
		{"never used, created exactly 45 days ago, is not unused", p, days(45), never, nil, 0},
		{"never used, created 45 days and 1s ago, is unused", p, days(45) + time.Second, never, []string{KindUnused}, 0},
		{"never used within a grace longer than unusedDays is not unused", Policy{MaxAgeDays: 90, UnusedDays: 1, NewKeyGraceDays: 7}, days(7), never, nil, 0},
		{"never used past the grace is unused", Policy{MaxAgeDays: 90, UnusedDays: 1, NewKeyGraceDays: 7}, days(7) + time.Second, never, []string{KindUnused}, 0},
		{"lookup failed: unknown, never unused, not compliant", p, days(60), nil, nil, 1},
		{"lookup failed on a stale key: stale only, unknown", p, days(100), nil, []string{KindStale}, 1},
		{"too young to be unused needs no last use", p, days(45), nil, nil, 0},
		{"control off", Policy{MaxAgeDays: 90}, days(60), never, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := activeKey("AKIA1", ago(tt.age))
			k.LastUsed = tt.lastUsed
			s, err := Check([]UserKeys{{UserName: "alice", Keys: []AccessKey{k}}}, tt.policy, testNow)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if s.LastUsedUnknown != tt.wantUnknown {
				t.Errorf("got lastUsedUnknown %d, want %d", s.LastUsedUnknown, tt.wantUnknown)
			}
			if tt.wantKinds == nil && tt.wantUnknown > 0 {
				// Neither compliant nor a finding: an unread key, which a ledger never resolves.
				if s.Compliant != 0 || len(s.Findings) != 0 || s.Flagged != 0 || !slices.Equal(s.UnreadKeys, []string{"AKIA1"}) {
					t.Fatalf("got compliant=%d flagged=%d findings=%+v unread=%v, want AKIA1 unread only", s.Compliant, s.Flagged, s.Findings, s.UnreadKeys)
				}
				return
			}
			if len(s.UnreadKeys) != 0 {
				t.Errorf("got unread keys %v, want none", s.UnreadKeys)
			}
			if tt.wantKinds == nil {
				if s.Compliant != 1 || len(s.Findings) != 0 || s.Flagged != 0 {
					t.Fatalf("got compliant=%d flagged=%d findings=%+v, want 1 compliant key", s.Compliant, s.Flagged, s.Findings)
				}
				return
			}
			if len(s.Findings) != 1 || s.Flagged != 1 {
				t.Fatalf("got %d findings, flagged %d, want 1", len(s.Findings), s.Flagged)
			}
			f := s.Findings[0]
			if !slices.Equal(f.Kinds, tt.wantKinds) || f.Severity != SeverityStale {
				t.Errorf("got kinds %v severity %q, want %v and %q", f.Kinds, f.Severity, tt.wantKinds, SeverityStale)
			}
			wantUnused := 0
			if slices.Contains(tt.wantKinds, KindUnused) {
				wantUnused = 1
			}
			if s.Unused != wantUnused {
				t.Errorf("got unused count %d, want %d", s.Unused, wantUnused)
			}
		})
	}
}

func TestNeedsLastUsed(t *testing.T) {
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 60, UnusedDays: 45}
	tests := []struct {
		name string
		p    Policy
		k    AccessKey
		want bool
	}{
		{"exactly unusedDays old", p, activeKey("K", ago(days(45))), false},
		{"older than unusedDays", p, activeKey("K", ago(days(45)+time.Second)), true},
		{"unused off, warning age", Policy{MaxAgeDays: 90, WarnAgeDays: 60}, activeKey("K", ago(days(60)+time.Second)), true},
		{"unused off, young", Policy{MaxAgeDays: 90, WarnAgeDays: 60}, activeKey("K", ago(days(50))), false},
		{"inactive", p, AccessKey{AccessKeyID: "K", Status: StatusInactive, CreateDate: ParseTimestamp(ago(days(400)))}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NeedsLastUsed(tt.k, tt.p, testNow); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
