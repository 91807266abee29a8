package preview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/internal/modroot"
	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/workflow"
)

// devStack returns the example stack Pulumi.dev.yaml's settings: warnings after 60 days,
// break-glass-* exempt.
func devStack(t *testing.T) config.Checked {
	t.Helper()
	s, err := config.LoadStackFile(modroot.MustFind(t), "dev")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var sampleNow = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // never used: the sample names its own now

func TestRunSample(t *testing.T) {
	r, err := Run(devStack(t), Sample(), sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Now.Format(time.RFC3339), "2026-12-01T08:00:00Z"; got != want {
		t.Errorf("now = %s, want the sample's %s", got, want)
	}
	want := agecheck.Summary{Counts: agecheck.Counts{Users: 8, Deleted: 1, Unchecked: 1, Exempt: 1, Inactive: 1, Compliant: 1, Warning: 1, Stale: 2, Unused: 2, Flagged: 4,
		NoOwner: 2}, // legacy-batch and reporting-job have no owner tag
		ExemptionTally: agecheck.ExemptionTally{ExemptionKeys: []int{1}}} // the dev stack's one exemption
	got := r.Summary
	got.Findings, got.UncheckedUsers = nil, nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts %+v, want %+v (every kind of key and user in the sample)", got, want)
	}
	p := r.Publish
	if p == nil {
		t.Fatal("the sample publishes nothing, want a notification")
	}
	if want := "Root user has access keys; 123456789012: 2 stale, 2 unused, 1 due soon, 1 unchecked"; p.Subject != want {
		t.Errorf("subject %q, want %q", p.Subject, want)
	}
	if p.Attributes["severity"] != agecheck.SeverityStale || p.Attributes["account"] != SampleAccountID ||
		p.Attributes["kinds"] != `["root","stale","warning","unused"]` || len(p.Attributes) != 3 {
		t.Errorf("attributes %v, want severity=stale, account=%s and kinds=[\"root\",\"stale\",\"warning\",\"unused\"] (the Notify state's)", p.Attributes, SampleAccountID)
	}
	if p.Bodies["sms"] != p.Subject {
		t.Errorf("SMS text %q, want the subject", p.Bodies["sms"])
	}
	var body agecheck.MessageBody
	if err := json.Unmarshal([]byte(p.Bodies["default"]), &body); err != nil {
		t.Fatalf("default body is not a MessageBody: %v", err)
	}
	if len(body.Findings) != 4 || body.Findings[0].UserName != "legacy-batch" || body.Findings[0].LastUsedService != "N/A" ||
		!slices.Equal(body.Findings[0].Kinds, []string{agecheck.KindStale, agecheck.KindUnused}) ||
		body.Findings[1].LastUsedService != "s3" || !slices.Equal(body.Findings[3].Kinds, []string{agecheck.KindUnused}) || len(body.UncheckedUsers) != 1 {
		t.Errorf("default body findings %+v, unchecked %+v; want the oldest (never used: stale and unused) first, then alice's (used in s3), reporting-job's unused key last, and contractor-jane",
			body.Findings, body.UncheckedUsers)
	}
	for _, line := range []string{
		"stale     stale+unused  legacy-batch   AKIAIOSFODNN7EXAMPLE  1415        2023-01-15  never",
		"stale     stale         alice          AKIAI44QH8DHBEXAMPLE  213         2026-05-01  2026-11-20 (s3, eu-west-1)",
		"stale     unused        reporting-job  AKIAR7T8U9V0W1X2Y3Z4  57          2026-10-05  2026-10-06 (athena, eu-west-1)",
		"contractor-jane: Iam.IamException: Rate exceeded",
	} {
		if !strings.Contains(p.Bodies["email"], line) {
			t.Errorf("email body lacks %q:\n%s", line, p.Bodies["email"])
		}
	}
}

// TestRunPagesLikeTheStateMachine: an account larger than a page goes through several checks
// and merges, and the counts stay exact.
func TestRunPagesLikeTheStateMachine(t *testing.T) {
	n := 3*workflow.PageSize + 1
	a := Account{Now: "2026-12-01T00:00:00Z", Users: make([]User, n)}
	for i := range a.Users {
		a.Users[i] = User{UserName: fmt.Sprintf("user-%03d", i), Keys: []Key{{
			AccessKeyID: fmt.Sprintf("AKIA%016d", i), Status: "Active",
			CreateDate: time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC).Format(time.RFC3339),
		}}}
	}
	r, err := Run(config.MustCheck(config.Defaults()), a, sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Users != n || r.Summary.Stale != n || len(r.Summary.Findings) != n {
		t.Fatalf("users %d, stale %d, findings %d; want %d of each", r.Summary.Users, r.Summary.Stale, len(r.Summary.Findings), n)
	}
	if r.Summary.Findings[0].UserName != "user-000" || r.Summary.Findings[n-1].UserName != fmt.Sprintf("user-%03d", n-1) {
		t.Errorf("findings from %s to %s, want oldest first across pages", r.Summary.Findings[0].UserName, r.Summary.Findings[n-1].UserName)
	}
	if r.Account != SampleAccountID {
		t.Errorf("account %q, want %s when the file names none", r.Account, SampleAccountID)
	}
}

func TestRunNothingToPublish(t *testing.T) {
	a := Account{Users: []User{{UserName: "fresh", Keys: []Key{{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Status: "Active",
		CreateDate: "2026-11-01T00:00:00Z"}}}}}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r, err := Run(config.MustCheck(config.Defaults()), a, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Publish != nil || r.Report.Publish || !r.Now.Equal(now) {
		t.Fatalf("publish %+v at %v, want nothing published, judged at the fallback %v", r.Publish, r.Now, now)
	}
	var out bytes.Buffer
	if err := r.Write(&out, "email"); err != nil {
		t.Fatal(err)
	}
	if want := "Nothing would be published: no finding (no key stale, unused or due soon, no root key) and every user's keys were read (1 users: 1 compliant"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("output %q, want it to start with %q", out.String(), want)
	}
	// --format json stays one JSON document.
	out.Reset()
	if err := r.Write(&out, "json"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Publish *bool           `json:"publish"`
		Counts  agecheck.Counts `json:"counts"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil || doc.Publish == nil || *doc.Publish || doc.Counts.Users != 1 || doc.Counts.Compliant != 1 {
		t.Errorf("json output %q (%v), want {\"publish\": false, \"counts\": {users 1, compliant 1, ...}}", out.String(), err)
	}
	// A month later the same key is stale.
	if r, err = Run(config.MustCheck(config.Defaults()), a, now.AddDate(0, 3, 0)); err != nil || r.Publish == nil {
		t.Errorf("three months later: publish %v, err %v; want a notification", r.Publish, err)
	}
}

func TestWriteFormats(t *testing.T) {
	r, err := Run(devStack(t), Sample(), sampleNow)
	if err != nil {
		t.Fatal(err)
	}
	write := func(format string) string {
		t.Helper()
		var out bytes.Buffer
		if err := r.Write(&out, format); err != nil {
			t.Fatalf("Write(%s): %v", format, err)
		}
		return out.String()
	}
	if got, want := write("email"), "Subject: "+r.Publish.Subject+"\n\n"+r.Publish.Bodies["email"]; got != want {
		t.Errorf("email:\n%s\nwant\n%s", got, want)
	}
	var fromJSON, fromBody any
	if err := json.Unmarshal([]byte(write("json")), &fromJSON); err != nil {
		t.Fatalf("--format json is not JSON: %v", err)
	}
	_ = json.Unmarshal([]byte(r.Publish.Bodies["default"]), &fromBody)
	if fmt.Sprint(fromJSON) != fmt.Sprint(fromBody) {
		t.Errorf("--format json prints %v, want the default body %v", fromJSON, fromBody)
	}
	if got := write("sms"); got != r.Publish.Subject+"\n" {
		t.Errorf("sms: %q, want the subject", got)
	}
	all := write("all")
	for _, part := range []string{"Subject: " + r.Publish.Subject + "\n", "Message attributes: account=123456789012, kinds=[\"root\",\"stale\",\"warning\",\"unused\"], severity=stale\n",
		r.Publish.Bodies["email"], `"truncated": false`, "--- SMS text (sms subscribers)\n" + r.Publish.Subject + "\n"} {
		if !strings.Contains(all, part) {
			t.Errorf("--format all lacks %q", part)
		}
	}
	if err := r.Write(&bytes.Buffer{}, "html"); err == nil || !strings.Contains(err.Error(), `format "html": want one of all, email, json, sms`) {
		t.Errorf("Write(html) = %v, want the formats named", err)
	}
}

func TestResolveRefusesOtherPaths(t *testing.T) {
	input := map[string]any{"subject": "s", "nested": map[string]any{"x": 1}}
	got, err := resolve(map[string]any{"A": map[string]any{"B.$": "$.subject"}, "L": []any{"c"}}, input, "P")
	if err != nil || fmt.Sprint(got) != "map[A:map[B:s] L:[c]]" {
		t.Errorf("resolve = %v, %v; want the subject at A.B", got, err)
	}
	for tmpl, want := range map[string]string{
		"$.nested.x": `P.X.$: path "$.nested.x": want $.<field>`,
		"$":          `P.X.$: path "$": want $.<field>`,
		"$.absent":   `P.X.$: path "$.absent" selects nothing in the report`,
	} {
		if _, err := resolve(map[string]any{"X.$": tmpl}, input, "P"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("resolve(%s) = %v, want %q", tmpl, err, want)
		}
	}
}
