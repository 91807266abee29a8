package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// Worst-case field sizes. Where AWS documents a limit, it is used; the others are stated
// assumptions that the budget must hold under.
const (
	worstPartition   = "aws-us-gov" // the longest commercial partition name
	maxIAMPath       = 512          // IAM Path, also inside Arn and a boundary policy's ARN
	maxUserName      = 64
	maxUserID        = 128 // the API's length limit (real ones are 21 characters)
	maxPolicyName    = 128
	maxMarker        = 320
	maxAccessKeyID   = 128 // the API's length limit (real ones are 20 characters)
	maxErrorName     = 256 // Step Functions' limit on an error name
	maxCause         = 32768
	maxServiceName   = 64
	maxRegionName    = 32
	maxExemptPattern = 64 // config rejects longer exemptUsers entries
	// causeEscaping allows for JSON escaping in a Cause carried in the state (quotes in a
	// function's JSON error): a Cause of maxCause characters is counted as 25% larger.
	causeEscapingPercent = 125
	// invokeEnvelopeBytes is what lambda:invoke adds around the function's Payload
	// (StatusCode, ExecutedVersion, SdkHttpMetadata headers): about 1 KB; 4 KB allowed.
	invokeEnvelopeBytes = 4096
	// ratioPages is the share of the payload limit that the page-carrying states may use.
	ratioPagesPercent = 85
)

var worstTimestamp = "2021-11-27T20:15:43.123456789+00:00"

// encode is JSON as Step Functions would carry it: no HTML escaping.
func encode(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// raw is a JSON value of exactly n bytes (a string), standing for a document of that size.
func raw(n int) json.RawMessage {
	return json.RawMessage(`"` + strings.Repeat("x", n-2) + `"`)
}

// worstUser is the largest entry ListUsers can return. ListUsers returns no Tags (and, per its
// documentation, no PermissionsBoundary either; it is counted anyway). escapeAll fills the path
// with '"', a legal IAM path character that JSON doubles.
func worstUser(i int, escapeAll bool) map[string]any {
	fill := "p"
	if escapeAll {
		fill = `"`
	}
	path := "/" + strings.Repeat(fill, maxIAMPath-2) + "/"
	name := fmt.Sprintf("%0*d", maxUserName, i)
	prefix := "arn:" + worstPartition + ":iam::123456789012:"
	return map[string]any{
		"Arn":              prefix + "user" + path + name,
		"CreateDate":       worstTimestamp,
		"PasswordLastUsed": worstTimestamp,
		"Path":             path,
		"PermissionsBoundary": map[string]any{
			"PermissionsBoundaryArn":  prefix + "policy" + path + strings.Repeat("b", maxPolicyName),
			"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
		},
		"UserId":   strings.Repeat("A", maxUserID),
		"UserName": name,
	}
}

// rawPage is a whole ListUsers response of n worst-case users.
func rawPage(t testing.TB, n int, escapeAll bool) []byte {
	users := make([]any, n)
	for i := range users {
		users[i] = worstUser(i, escapeAll)
	}
	return encode(t, map[string]any{"IsTruncated": true, "Marker": strings.Repeat("m", maxMarker), "Users": users})
}

// worstPolicy is the largest policy the settings allow: every exemption (with a reason of
// quotes, which JSON doubles, and an end), the patterns shared among them and exemptUsers up to
// their common bound, and tag exemptions on.
func worstPolicy() agecheck.Policy {
	p := agecheck.Policy{MaxAgeDays: agecheck.MaxMaxAgeDays, WarnAgeDays: agecheck.MaxMaxAgeDays - 1,
		TagExemptions: true, MaxTagExemptionDays: agecheck.MaxTagExemptionDaysLimit}
	p.Exemptions = make([]agecheck.Exemption, agecheck.MaxExemptions)
	for i := range p.Exemptions {
		p.Exemptions[i] = agecheck.Exemption{Reason: strings.Repeat(`"`, agecheck.MaxReasonLength), Until: agecheck.ParseDate("2036-12-31")}
	}
	for i := range agecheck.MaxExemptUsers {
		pattern := fmt.Sprintf("%0*d*", maxExemptPattern-1, i)
		if i < agecheck.MaxExemptions { // one pattern each, the rest in exemptUsers
			p.Exemptions[i].Users = []string{pattern}
		} else {
			p.ExemptUsers = append(p.ExemptUsers, pattern)
		}
	}
	if pp := p.Validate(); pp != nil {
		panic(fmt.Sprintf("worstPolicy is invalid: %+v", pp))
	}
	return p
}

func worstRun(t testing.TB) json.RawMessage {
	return encode(t, map[string]any{"policy": worstPolicy(), "account": "123456789012", "now": worstTimestamp})
}

func worstCause() string { return strings.Repeat("c", maxCause*causeEscapingPercent/100) }

// worstUserKeys is the largest entry a child's inline Map produces for one user: two keys, or
// an error with the longest Cause.
func worstUserKeys(t testing.TB, i int) json.RawMessage {
	name := fmt.Sprintf("%0*d", maxUserName, i)
	key := agecheck.AccessKey{AccessKeyID: strings.Repeat("K", maxAccessKeyID), Status: "Inactive", CreateDate: agecheck.ParseTimestamp(worstTimestamp), UserName: name}
	withKeys := encode(t, agecheck.UserKeys{UserName: name, Keys: []agecheck.AccessKey{key, key}})
	withError := encode(t, agecheck.UserKeys{UserName: name, Error: &agecheck.ScanError{Error: strings.Repeat("E", maxErrorName), Cause: worstCause()}})
	if len(withKeys) > len(withError) {
		return withKeys
	}
	return withError
}

// worstLastUse gives every finding of s the longest last-used details.
func worstLastUse(s *agecheck.Summary) {
	for i := range s.Findings {
		f := &s.Findings[i]
		f.LastUsedDate = agecheck.ParseTimestamp(worstTimestamp)
		f.LastUsedService = strings.Repeat("s", maxServiceName)
		f.LastUsedRegion = strings.Repeat("r", maxRegionName)
	}
}

// worstChildSummary is the largest Summary a child returns for a batch of n users, computed by
// the function's own code: every user with two stale keys and full last-used details; or every
// user unchecked with the longest error and Cause (trimmed as the handler trims); or the
// batch-failed Summary the definition builds itself.
func worstChildSummary(t testing.TB, n int) int {
	now := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	stale := make([]agecheck.UserKeys, n)
	unchecked := make([]agecheck.UserKeys, n)
	failed := agecheck.Summary{Counts: agecheck.Counts{Users: n, Unchecked: n}}
	for i := range n {
		name := fmt.Sprintf("%0*d", maxUserName, i)
		k := agecheck.AccessKey{AccessKeyID: strings.Repeat("K", maxAccessKeyID), Status: "Active", CreateDate: agecheck.ParseTimestamp("1990-01-01T00:00:00Z")}
		stale[i] = agecheck.UserKeys{UserName: name, Keys: []agecheck.AccessKey{k, k}}
		// Control characters: the longest JSON encoding a Cause can have per character.
		unchecked[i] = agecheck.UserKeys{UserName: name, Error: &agecheck.ScanError{
			Error: strings.Repeat("E", maxErrorName), Cause: strings.Repeat("\x01", maxCause)}}
		failed.UncheckedUsers = append(failed.UncheckedUsers, agecheck.UncheckedUser{
			UserName: name, Error: strings.Repeat("E", maxErrorName), Cause: batchFailedCause})
	}
	p := agecheck.Policy{MaxAgeDays: 1}
	s1, err := agecheck.Check(stale, p, now)
	if err != nil {
		t.Fatal(err)
	}
	worstLastUse(&s1)
	must(s1.Trim(agecheck.MaxSummaryBytes))
	s2, err := agecheck.Check(unchecked, p, now)
	if err != nil {
		t.Fatal(err)
	}
	must(s2.Trim(agecheck.MaxSummaryBytes))
	// Every user's exemption ended (each finding names it) and every user has a refused tag
	// exemption with the longest reason JSON can make (quotes) and a long until: all listed.
	expired := agecheck.Policy{MaxAgeDays: 1, TagExemptions: true, MaxTagExemptionDays: 1, Exemptions: []agecheck.Exemption{
		{Users: []string{strings.Repeat("0", maxExemptPattern-3) + "*"}, Reason: "r", Until: agecheck.ParseDate("2035-12-31")}}}
	tagged := make([]agecheck.UserKeys, n)
	for i := range stale {
		tagged[i] = stale[i]
		tagged[i].Tags = map[string]string{agecheck.TagExemptUntil: strings.Repeat("9", 256), agecheck.TagExemptReason: strings.Repeat(`"`, 256)}
	}
	s3, err := agecheck.Check(tagged, expired, now)
	if err != nil {
		t.Fatal(err)
	}
	if s3.TagExemptionCount != n || s3.Findings[0].ExemptionExpired == "" {
		t.Fatalf("the tag exemptions' worst case has %d tag exemptions and marks %q, want %d and every finding marked", s3.TagExemptionCount, s3.Findings[0].ExemptionExpired, n)
	}
	worstLastUse(&s3)
	must(s3.Trim(agecheck.MaxSummaryBytes))
	return max(len(encode(t, s1)), len(encode(t, s2)), len(encode(t, s3)), len(encode(t, failed)))
}

// pageResults is the Distributed Map's result for a full page: one worst child Summary per batch.
func pageResults(t testing.TB, plan Plan) json.RawMessage {
	children := ceilDiv(plan.PageSize, plan.BatchSize)
	one := worstChildSummary(t, plan.BatchSize)
	items := make([]json.RawMessage, children)
	for i := range items {
		items[i] = raw(one)
	}
	return encode(t, items)
}

type budgetCase struct {
	state string
	doc   any
	limit int
}

// TestPayloadBudget computes, from the definition's constants and the function's own encoding,
// the largest input or output of every state that carries a variable amount of data, and
// checks each against the 256 KiB limit (an excess raises States.DataLimitExceeded, which no
// Catch can handle).
func TestPayloadBudget(t *testing.T) {
	for _, m := range []int{1, 10, 1000} {
		plan := PlanFor(m)
		run := worstRun(t)
		summary := raw(agecheck.MaxSummaryBytes)
		results := pageResults(t, plan)
		cursor := map[string]any{"IsTruncated": true, "Marker": strings.Repeat("m", maxMarker)}
		pageAfterMap := map[string]any{"IsTruncated": true, "Marker": strings.Repeat("m", maxMarker), "Users": results}
		policy := worstPolicy()
		items := make([]any, plan.BatchSize)
		userKeys := make([]json.RawMessage, plan.BatchSize)
		for i := range items {
			items[i] = map[string]any{"UserName": fmt.Sprintf("%0*d", maxUserName, i)}
			userKeys[i] = worstUserKeys(t, i)
		}
		batchInput := map[string]any{"policy": policy, "now": worstTimestamp, "account": "123456789012"}
		report := worstReport(t)
		limitPages := asl.MaxPayloadBytes * ratioPagesPercent / 100

		cases := []budgetCase{
			{"ListUsers result (a whole page)", json.RawMessage(rawPage(t, plan.PageSize, false)), limitPages},
			{"ListUsers output = CheckKeys input", map[string]any{"run": run, "scan": map[string]any{"summary": summary},
				"page": json.RawMessage(rawPage(t, plan.PageSize, false))}, limitPages},
			{"ListUsers output, every path character escaped", map[string]any{"run": run, "scan": map[string]any{"summary": summary},
				"page": json.RawMessage(rawPage(t, plan.PageSize, true))}, asl.MaxPayloadBytes},
			{"CheckKeys output = MergeResults input and output", map[string]any{"run": run, "scan": map[string]any{"summary": summary},
				"page": pageAfterMap}, limitPages},
			{"MergeResults event", map[string]any{"op": "merge", "policy": policy, "now": worstTimestamp, "account": "123456789012",
				"summary": summary, "results": results}, asl.MaxPayloadBytes},
			{"MergeResults result", map[string]any{"Payload": summary, "envelope": raw(invokeEnvelopeBytes)}, asl.MaxPayloadBytes},
			{"ListMoreUsers input", map[string]any{"run": run, "scan": map[string]any{"summary": summary}, "page": pageAfterMap, "cursor": cursor}, asl.MaxPayloadBytes},
			{"Report event", map[string]any{"op": "report", "policy": policy, "now": worstTimestamp, "account": "123456789012",
				"summary": summary, "test": true}, asl.MaxPayloadBytes},
			{"Report result", map[string]any{"Payload": report, "envelope": raw(invokeEnvelopeBytes)}, asl.MaxPayloadBytes},
			{"child input", map[string]any{"Items": items, "BatchInput": batchInput}, asl.MaxPayloadBytes},
			{"KeysUnreadable input", map[string]any{"UserName": items[0], "error": map[string]any{"Error": strings.Repeat("E", maxErrorName), "Cause": worstCause()}}, asl.MaxPayloadBytes},
			{"ListKeysOfBatch output = CheckBatch input", map[string]any{"Items": items, "BatchInput": batchInput,
				"batch": map[string]any{"users": userKeys}}, asl.MaxPayloadBytes},
			{"CheckBatch event", map[string]any{"op": "check", "policy": policy, "now": worstTimestamp, "account": "123456789012",
				"users": userKeys}, asl.MaxPayloadBytes},
			{"CheckBatch caught = MarkBatchUnchecked input", map[string]any{"Items": items, "BatchInput": batchInput,
				"batch": map[string]any{"Error": strings.Repeat("E", maxErrorName), "Cause": worstCause()}}, asl.MaxPayloadBytes},
			{"child output (a batch Summary)", raw(worstChildSummary(t, plan.BatchSize)), asl.MaxPayloadBytes},
		}
		for _, c := range cases {
			n := len(encode(t, c.doc))
			t.Logf("maxConcurrency %d: %-50s %7d bytes (%3d%% of 256 KiB)", m, c.state, n, n*100/asl.MaxPayloadBytes)
			if n > c.limit {
				t.Errorf("maxConcurrency %d: %s is %d bytes in the worst case, over its budget of %d", m, c.state, n, c.limit)
			}
		}
	}
}

// worstReport is the largest Report the function returns: from a Summary at MaxSummaryBytes
// full of findings with every detail, and from one full of unchecked users.
func worstReport(t testing.TB) json.RawMessage {
	now := time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC)
	p := worstPolicy()
	p.ExemptUsers = p.ExemptUsers[:0]
	var users []agecheck.UserKeys
	for i := range 2000 {
		k := agecheck.AccessKey{AccessKeyID: fmt.Sprintf("AKIA%016d", i), Status: "Active", CreateDate: agecheck.ParseTimestamp("1990-01-01T00:00:00Z")}
		users = append(users, agecheck.UserKeys{UserName: fmt.Sprintf("%0*d", maxUserName, i), Keys: []agecheck.AccessKey{k, k}})
		users = append(users, agecheck.UserKeys{UserName: fmt.Sprintf("u%0*d", maxUserName-1, i),
			Error: &agecheck.ScanError{Error: "Iam.IamException", Cause: strings.Repeat(`"\`, agecheck.MaxCauseLength)}})
	}
	s, err := agecheck.Check(users, agecheck.Policy{MaxAgeDays: 1}, now)
	if err != nil {
		t.Fatal(err)
	}
	worstLastUse(&s)
	merged := must(agecheck.Merge(nil, []agecheck.Summary{s}))
	if size := len(encode(t, merged)); size > agecheck.MaxSummaryBytes {
		t.Fatalf("Merge returned %d bytes, over agecheck.MaxSummaryBytes %d", size, agecheck.MaxSummaryBytes)
	}
	// A test run's report carries the same message with its marks: the larger of the two.
	r := encode(t, must(agecheck.NewReport(merged, agecheck.Policy{MaxAgeDays: 1}, "123456789012", now)))
	if test := encode(t, must(agecheck.NewTestReport(merged, agecheck.Policy{MaxAgeDays: 1}, "123456789012", now))); len(test) > len(r) {
		return test
	}
	return r
}

// TestPayloadSimulated5000Users pushes 5,000 users with 2 stale keys each through the data flow
// of the definition, with the function's real Check, Merge and NewReport, and measures the
// states that grow with the account.
func TestPayloadSimulated5000Users(t *testing.T) {
	plan := PlanFor(config.Defaults().MaxConcurrency)
	now := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	policy := config.Defaults().Policy()
	run := encode(t, map[string]any{"policy": policy, "account": "123456789012", "now": now.Format(time.RFC3339)})
	var summary *agecheck.Summary
	largest := map[string]int{}
	note := func(state string, v any) {
		if n := len(encode(t, v)); n > largest[state] {
			largest[state] = n
		}
	}
	const users = 5000
	for first := 0; first < users; first += plan.PageSize {
		var results []agecheck.Summary
		for b := first; b < min(first+plan.PageSize, users); b += plan.BatchSize {
			var batch []agecheck.UserKeys
			for u := b; u < min(b+plan.BatchSize, first+plan.PageSize, users); u++ {
				name := fmt.Sprintf("user.%06d@example.com", u)
				batch = append(batch, agecheck.UserKeys{UserName: name, Keys: []agecheck.AccessKey{
					{AccessKeyID: fmt.Sprintf("AKIA%016d", 2*u), Status: "Active", CreateDate: agecheck.ParseTimestamp("2024-01-02T03:04:05Z"), UserName: name},
					{AccessKeyID: fmt.Sprintf("AKIA%016d", 2*u+1), Status: "Active", CreateDate: agecheck.ParseTimestamp("2025-01-02T03:04:05Z"), UserName: name},
				}})
			}
			note("CheckBatch event", map[string]any{"op": "check", "policy": policy, "now": now, "account": "123456789012", "users": batch})
			s, err := agecheck.Check(batch, policy, now)
			if err != nil {
				t.Fatal(err)
			}
			for i := range s.Findings {
				s.Findings[i].LastUsedDate = agecheck.ParseTimestamp("2026-05-31T23:59:59Z")
				s.Findings[i].LastUsedService = "s3"
				s.Findings[i].LastUsedRegion = "eu-central-1"
			}
			must(s.Trim(agecheck.MaxSummaryBytes))
			results = append(results, s)
		}
		state := map[string]any{"run": run, "scan": map[string]any{"summary": summary},
			"page": map[string]any{"IsTruncated": true, "Marker": strings.Repeat("m", 64), "Users": results}}
		note("CheckKeys output", state)
		merged := must(agecheck.Merge(summary, results))
		summary = &merged
	}
	if summary.Stale != 2*users || summary.Users != users {
		t.Fatalf("simulated summary counts %d stale of %d users, want %d of %d", summary.Stale, summary.Users, 2*users, users)
	}
	note("Report result", must(agecheck.NewReport(*summary, policy, "123456789012", now)))
	for state, n := range largest {
		t.Logf("%-20s %7d bytes (%3d%% of 256 KiB)", state, n, n*100/asl.MaxPayloadBytes)
		if n > asl.MaxPayloadBytes {
			t.Errorf("%s reached %d bytes at 5,000 users x 2 stale keys, over %d", state, n, asl.MaxPayloadBytes)
		}
	}
}

// must returns v, panicking on err: for agecheck's Merge, Trim and NewReport, whose only error
// is a JSON encoding that cannot fail for the values these tests build.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
