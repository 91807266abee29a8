package e2e

// The oracle: what a scan of a synthetic account must report, computed from the account with the
// policy's rules independently of package agecheck, and the assertions every scenario shares.

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/internal/modroot"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/tests/e2e/sfnlocal"
	"github.com/keyage/keyage/workflow"
)

// expectation is what a scan of an account must report, computed here from the account's keys
// with the policy's rules (independently of package agecheck).
type expectation struct {
	counts    agecheck.Counts
	findings  map[string]agecheck.Finding // by access key ID
	unchecked []string                    // user names, sorted
	// ownerless are the users with findings and no owner (by name: true when their tags could
	// not be read).
	ownerless map[string]bool
	root      string    // the root check's status, "" when the policy has none
	now       time.Time // the instant judged
}

// expect judges the account as of now. unchecked names users whose keys cannot be read.
func expect(a *sfnlocal.Account, p agecheck.Policy, now time.Time) expectation {
	e := expectation{findings: map[string]agecheck.Finding{}, ownerless: map[string]bool{}, now: now}
	switch {
	case !p.CheckRootKeys:
	case a.AccountSummaryFails:
		e.root = agecheck.RootUnchecked
	case a.RootAccessKeys:
		e.root = agecheck.RootKeysPresent
	default:
		e.root = agecheck.RootKeysAbsent
	}
	for _, u := range a.Users() {
		e.counts.Users++
		switch {
		case u.DeletedAfterListing:
			e.counts.Deleted++
			continue
		case u.Throttle == sfnlocal.Forever:
			e.counts.Unchecked++
			e.unchecked = append(e.unchecked, u.Name)
			continue
		}
		exempt := false
		for _, pat := range p.ExemptUsers {
			if globFold(pat, u.Name) {
				exempt = true
			}
		}
		// An exemption holds through its until day (UTC); after it, the user's findings name
		// the first ended exemption that matched, as "pattern (until date)".
		ended := ""
		for _, ex := range p.Exemptions {
			end, err := time.Parse(time.DateOnly, ex.Until.String())
			holds := ex.Until.IsZero() || (err == nil && now.Before(end.AddDate(0, 0, 1)))
			for _, pat := range ex.Users {
				switch {
				case !globFold(pat, u.Name):
				case holds:
					exempt = true
				case ended == "":
					ended = pat + " (until " + ex.Until.String() + ")"
				}
			}
		}
		for _, k := range u.Keys {
			age := now.Sub(k.Created)
			switch {
			case exempt:
				e.counts.Exempt++
				continue
			case k.Status != "Active":
				e.counts.Inactive++
				continue
			}
			var kinds []string
			switch {
			case age > days(p.MaxAgeDays):
				e.counts.Stale++
				kinds = append(kinds, agecheck.KindStale)
			case p.WarnAgeDays > 0 && age > days(p.WarnAgeDays):
				e.counts.Warning++
				kinds = append(kinds, agecheck.KindWarning)
			}
			if p.UnusedDays > 0 && age > days(p.UnusedDays) {
				unused := false
				switch {
				case k.LastUsedDenied:
					e.counts.LastUsedUnknown++
				case k.LastUsed.IsZero():
					unused = age > days(p.NewKeyGraceDays)
				default:
					unused = now.Sub(k.LastUsed) > days(p.UnusedDays)
				}
				if unused {
					e.counts.Unused++
					kinds = append(kinds, agecheck.KindUnused)
				}
			}
			if len(kinds) == 0 {
				e.counts.Compliant++
				continue
			}
			e.counts.Flagged++
			owner := ownerOf(u, ownerTagKeys)
			if owner == "" {
				e.counts.NoOwner++
				e.ownerless[u.Name] = u.TagsDenied
			}
			severity := agecheck.SeverityWarning
			if slices.Contains(kinds, agecheck.KindStale) || slices.Contains(kinds, agecheck.KindUnused) {
				severity = agecheck.SeverityStale
			}
			e.findings[k.ID] = agecheck.Finding{UserName: u.Name, AccessKeyID: k.ID, AgeDays: int(age / days(1)), Severity: severity, Kinds: kinds,
				ExemptionExpired: ended, Owner: owner, OwnerUnknown: owner == "" && u.TagsDenied}
		}
	}
	sort.Strings(e.unchecked)
	return e
}

// ownerTagKeys are the tags the scenarios' settings read owners from: the default.
var ownerTagKeys = config.Defaults().Owners.TagKeys

// ownerOf is the owner u's tags name under keys: the first key present (case-insensitively) with
// a value that is not blank, trimmed; "" when none is, or when the tags cannot be read.
func ownerOf(u *sfnlocal.User, keys []string) string {
	if u.TagsDenied {
		return ""
	}
	for _, k := range keys {
		for tk, v := range u.Tags {
			if strings.EqualFold(tk, k) && strings.TrimSpace(v) != "" {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// globFold matches a name against an exemptUsers pattern: "*" is any run, case-insensitive.
func globFold(pattern, name string) bool {
	pattern, name = strings.ToLower(pattern), strings.ToLower(name)
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == name
	}
	if !strings.HasPrefix(name, parts[0]) {
		return false
	}
	name = name[len(parts[0]):]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(name, mid)
		if i < 0 {
			return false
		}
		name = name[i+len(mid):]
	}
	return strings.HasSuffix(name, parts[len(parts)-1])
}

// message decodes a published message's two bodies.
func message(t testing.TB, p sfnlocal.Publish) (agecheck.MessageBody, string) {
	t.Helper()
	if p.MessageStructure != "json" {
		t.Fatalf("MessageStructure = %q, want json", p.MessageStructure)
	}
	var bodies struct {
		Default string `json:"default"`
		Email   string `json:"email"`
		SMS     string `json:"sms"`
	}
	if err := json.Unmarshal([]byte(p.Message), &bodies); err != nil {
		t.Fatalf("message is not a JSON document: %v", err)
	}
	var body agecheck.MessageBody
	if err := json.Unmarshal([]byte(bodies.Default), &body); err != nil {
		t.Fatalf("default body is not the MessageBody JSON: %v\n%s", err, bodies.Default)
	}
	if bodies.Email == "" {
		t.Fatal("the message has no email body")
	}
	if bodies.SMS != p.Subject {
		t.Errorf("sms body = %q, want the subject %q (SMS would otherwise get the JSON default body)", bodies.SMS, p.Subject)
	}
	return body, bodies.Email
}

// checkMessage asserts one published message against the expectation: subject, attributes,
// exact counts, listed findings (the oldest, oldest first, each exactly as expected), unchecked
// users, truncation, and that the email names every listed key.
func checkMessage(t *testing.T, e *sfnlocal.Env, want expectation, p agecheck.Policy, subject, severity string) agecheck.MessageBody {
	t.Helper()
	var pubs []sfnlocal.Publish
	for _, p := range e.Tasks.Published() {
		if p.TopicARN == testTopic { // the digest; the owners topic has messages of its own
			pubs = append(pubs, p)
		}
	}
	if len(pubs) != 1 {
		t.Fatalf("published %d messages on the findings topic, want 1", len(pubs))
	}
	pub := pubs[0]
	if pub.Subject != subject {
		t.Errorf("subject = %q, want %q", pub.Subject, subject)
	}
	if len(pub.Subject) >= 100 || strings.ContainsAny(pub.Subject, "\r\n") {
		t.Errorf("subject %q is not one line under 100 characters", pub.Subject)
	}
	if got := pub.Attributes["severity"]; got != severity {
		t.Errorf("severity attribute = %q, want %q", got, severity)
	}
	if got := pub.Attributes["account"]; got != testAccount {
		t.Errorf("account attribute = %q, want %q", got, testAccount)
	}
	body, email := message(t, pub)
	if body.Counts != want.counts {
		t.Errorf("counts = %+v, want %+v", body.Counts, want.counts)
	}
	if body.Severity != severity || body.Account != testAccount || body.Now != want.now.Format(time.RFC3339) {
		t.Errorf("body severity/account/now = %q/%q/%q, want %q/%q/%q", body.Severity, body.Account, body.Now, severity, testAccount, want.now.Format(time.RFC3339))
	}
	if body.Policy.MaxAgeDays != p.MaxAgeDays || body.Policy.WarnAgeDays != p.WarnAgeDays {
		t.Errorf("body policy = %+v, want %+v", body.Policy, p)
	}
	flagged := want.counts.Flagged
	var kindsPresent []string
	if want.root == agecheck.RootKeysPresent {
		kindsPresent = append(kindsPresent, agecheck.KindRoot)
	}
	gotRoot := ""
	if body.Root != nil {
		gotRoot = body.Root.Status
	}
	if gotRoot != want.root {
		t.Errorf("body root = %q, want %q", gotRoot, want.root)
	}
	for kind, n := range map[string]int{agecheck.KindStale: want.counts.Stale, agecheck.KindWarning: want.counts.Warning, agecheck.KindUnused: want.counts.Unused} {
		if n > 0 {
			kindsPresent = append(kindsPresent, kind)
		}
	}
	if len(kindsPresent) == 0 {
		kindsPresent = []string{agecheck.SeverityNone}
	}
	var gotKinds []string
	if err := json.Unmarshal([]byte(pub.Attributes["kinds"]), &gotKinds); err != nil {
		t.Errorf("kinds attribute %q is not a JSON array: %v", pub.Attributes["kinds"], err)
	}
	if !sameSet(gotKinds, kindsPresent) || !slices.Equal(gotKinds, body.Kinds) {
		t.Errorf("kinds attribute %v, body kinds %v, want the kinds present %v", gotKinds, body.Kinds, kindsPresent)
	}
	if wantTrunc := len(body.Findings) < flagged || len(body.UncheckedUsers) < want.counts.Unchecked; body.Truncated != wantTrunc {
		t.Errorf("truncated = %v with %d of %d findings and %d of %d unchecked listed", body.Truncated, len(body.Findings), flagged, len(body.UncheckedUsers), want.counts.Unchecked)
	}
	seen := map[string]bool{}
	var newestListed time.Time
	for i, f := range body.Findings {
		w, ok := want.findings[f.AccessKeyID]
		switch {
		case !ok:
			t.Errorf("finding %d: key %s of %q is not stale or due soon", i, f.AccessKeyID, f.UserName)
			continue
		case seen[f.AccessKeyID]:
			t.Errorf("finding %d: key %s listed twice", i, f.AccessKeyID)
		case f.UserName != w.UserName || f.AgeDays != w.AgeDays || f.Severity != w.Severity || !slices.Equal(f.Kinds, w.Kinds) || f.ExemptionExpired != w.ExemptionExpired ||
			f.Owner != w.Owner || f.OwnerUnknown != w.OwnerUnknown:
			t.Errorf("finding %d = %s/%s %d days %s %v %q owner %q (unknown %v), want %s/%s %d days %s %v %q owner %q (unknown %v)", i, f.UserName, f.AccessKeyID, f.AgeDays, f.Severity, f.Kinds, f.ExemptionExpired, f.Owner, f.OwnerUnknown,
				w.UserName, w.AccessKeyID, w.AgeDays, w.Severity, w.Kinds, w.ExemptionExpired, w.Owner, w.OwnerUnknown)
		}
		seen[f.AccessKeyID] = true
		if !f.CreateDate.Valid() {
			t.Errorf("finding %d: createDate %q is not a timestamp", i, f.CreateDate)
		}
		created := f.CreateDate.Time()
		if created.Before(newestListed) {
			t.Errorf("finding %d (%s, created %s) is listed after a newer key: want oldest first", i, f.AccessKeyID, f.CreateDate)
		}
		newestListed = created
		if i < 50 && !strings.Contains(email, f.AccessKeyID) {
			t.Errorf("the email body does not show key %s", f.AccessKeyID)
		}
	}
	// Listed findings are the oldest: no key left out is older than one listed.
	for id, w := range want.findings {
		if seen[id] {
			continue
		}
		created := e.Account.Key(id).Created
		if created.Before(newestListed) {
			t.Errorf("key %s of %q (created %s) is left out while a newer one is listed", id, w.UserName, created.Format(time.RFC3339))
		}
	}
	if !body.Truncated && len(seen) != flagged {
		t.Errorf("listed %d findings, want all %d", len(seen), flagged)
	}
	var unchecked []string
	for _, u := range body.UncheckedUsers {
		unchecked = append(unchecked, u.UserName)
	}
	sort.Strings(unchecked)
	if !body.Truncated && !slices.Equal(unchecked, want.unchecked) {
		t.Errorf("unchecked users = %v, want %v", unchecked, want.unchecked)
	}
	return body
}

// checkEveryUserOnce asserts that ListAccessKeys was called for every user of the account and
// for no one else; retried users may be called more than once.
func checkEveryUserOnce(t *testing.T, e *sfnlocal.Env, retried map[string]int) {
	t.Helper()
	calls := e.Account.ListAccessKeysCalls()
	for _, u := range e.Account.Users() {
		want := 1
		if n, ok := retried[u.Name]; ok {
			want = n
		}
		if calls[u.Name] != want {
			t.Errorf("ListAccessKeys called %d times for %q, want %d", calls[u.Name], u.Name, want)
		}
		delete(calls, u.Name)
	}
	for name, n := range calls {
		t.Errorf("ListAccessKeys called %d times for %q, who is not in the account", n, name)
	}
}

func checkPayloads(t *testing.T, res *sfnlocal.Result) {
	t.Helper()
	if res.Largest.Bytes > sfnlocal.PayloadLimit || res.Largest.Bytes == 0 {
		t.Errorf("largest state payload %v: want 1..%d bytes", res.Largest, sfnlocal.PayloadLimit)
	}
	for _, m := range res.Maps {
		if m.MaxChildInputBytes > sfnlocal.PayloadLimit || m.MaxChildOutputBytes > sfnlocal.PayloadLimit {
			t.Errorf("map run %s: child input %d, output %d bytes: over %d", m.State, m.MaxChildInputBytes, m.MaxChildOutputBytes, sfnlocal.PayloadLimit)
		}
	}
	for _, tk := range res.Tasks {
		if tk.MaxInputBytes > sfnlocal.PayloadLimit || tk.MaxResultBytes > sfnlocal.PayloadLimit {
			t.Errorf("task %s: parameters %d, result %d bytes: over %d", tk.State, tk.MaxInputBytes, tk.MaxResultBytes, sfnlocal.PayloadLimit)
		}
	}
}

// readmeLargest finds the README's "largest measured: 190,516 bytes, the input of `HasFindings`"
// (the words may wrap).
var readmeLargest = regexp.MustCompile("largest measured: ([0-9,]+) bytes,\\s+the (input|output) of `([A-Za-z]+)`")

// checkReadmeLargest compares the README's figure for the largest state at 5,000 users x 2 stale
// keys with what this scenario measured, so the claim cannot drift. When a change moves the
// figure, this fails with the new measurement: check that it keeps room under
// asl.MaxPayloadBytes (checkPayloads fails above it), then write the new bytes and state into
// the README's sentence.
func checkReadmeLargest(t *testing.T, got sfnlocal.Largest) {
	t.Helper()
	readme := string(readFile(t, filepath.Join(modroot.MustFind(t), "README.md")))
	m := readmeLargest.FindStringSubmatch(readme)
	if m == nil {
		t.Fatalf("README.md: no %q", readmeLargest)
	}
	bytes, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil {
		t.Fatalf("README.md: largest measured %q: %v", m[1], err)
	}
	if bytes != got.Bytes || m[2] != got.Direction || m[3] != got.Name || got.Scope != "" {
		t.Errorf("README.md says the largest state is %s bytes, the %s of %s; measured %v: update the README", m[1], m[2], m[3], got)
	}
}

// checkCost compares the run with the cost model the README quotes (workflow.CostFor): the
// pages, child executions and billed Standard transitions (states entered in the root
// execution, plus one per child started) it predicts for a run that publishes and retries
// nothing are the ones the interpreter went through.
func checkCost(t *testing.T, e *sfnlocal.Env, res *sfnlocal.Result, s config.Settings, users int) {
	t.Helper()
	c, err := workflow.CostFor(config.MustCheck(s), users)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Account.ListUsersCalls(); got != c.Pages {
		t.Errorf("ListUsers pages = %d, cost model says %d", got, c.Pages)
	}
	if got := res.Transitions.ChildExecutions; got != c.Children {
		t.Errorf("child executions = %d, cost model says %d", got, c.Children)
	}
	if got := res.Transitions.Root + res.Transitions.ChildExecutions; got != c.Transitions {
		t.Errorf("billed transitions = %d (root %d + children %d), cost model says %d", got, res.Transitions.Root, res.Transitions.ChildExecutions, c.Transitions)
	}
	if got := e.Function.Invocations(); got != c.LambdaInvocations {
		t.Errorf("function invocations = %d, cost model says %d", got, c.LambdaInvocations)
	}
	t.Logf("cost model at %d users: %d pages, %d children, %d transitions, $%.4f per run (naive: %d children, $%.4f)", users, c.Pages, c.Children, c.Transitions, c.RunUSD, c.NaiveChildren, c.NaiveRunUSD)
}

// sameSet reports whether a and b hold the same strings, in any order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
