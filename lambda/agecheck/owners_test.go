package agecheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/internal/golden"
)

func TestResolveOwner(t *testing.T) {
	tests := []struct {
		name string
		tags map[string]string
		keys []string
		want string
	}{
		{"one key present", map[string]string{"owner": "team-a"}, []string{"owner"}, "team-a"},
		{"first key wins", map[string]string{"owner": "team-a", "team": "team-b"}, []string{"team", "owner"}, "team-b"},
		{"second key when the first is absent", map[string]string{"contact": "bob@example.com"}, []string{"owner", "contact"}, "bob@example.com"},
		{"empty value falls through", map[string]string{"owner": "", "team": "team-b"}, []string{"owner", "team"}, "team-b"},
		{"blank value falls through", map[string]string{"owner": "  ", "team": "team-b"}, []string{"owner", "team"}, "team-b"},
		{"value trimmed", map[string]string{"owner": " team-a\t"}, []string{"owner"}, "team-a"},
		{"key case-insensitive, as IAM's", map[string]string{"Owner": "team-a"}, []string{"owner"}, "team-a"},
		{"value case kept", map[string]string{"owner": "Team-A"}, []string{"owner"}, "Team-A"},
		{"absent", map[string]string{"cost-center": "4711"}, []string{"owner", "team"}, ""},
		{"only empty values", map[string]string{"owner": ""}, []string{"owner"}, ""},
		{"no tags", nil, []string{"owner"}, ""},
		{"no keys", map[string]string{"owner": "team-a"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ResolveOwner(tt.tags, tt.keys); got != tt.want {
				t.Errorf("ResolveOwner(%v, %v) = %q, want %q", tt.tags, tt.keys, got, tt.want)
			}
		})
	}
}

func TestIsEmailAddress(t *testing.T) {
	for s, want := range map[string]bool{
		"alice@example.com":         true,
		"a.b+keys@sub.example.org":  true,
		"team-a":                    false,
		"alice@localhost":           false, // no dotted domain: a team name, not an address to mail
		"Alice <alice@example.com>": false,
		"alice@example.com ":        false,
		"":                          false,
		"@example.com":              false,
	} {
		if got := IsEmailAddress(s); got != want {
			t.Errorf("IsEmailAddress(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestOwnersValidate(t *testing.T) {
	ok := Owners{TagKeys: []string{"owner", "team"}, MaxMessages: 100,
		Email: &OwnerEmail{From: "keyage@example.com", IdentityARN: "arn:aws:ses:us-east-1:123456789012:identity/example.com", ConfigurationSet: "keyage-1"}}
	if ps := ok.Validate(); ps != nil {
		t.Fatalf("got %v for valid owners, want none", ps)
	}
	tests := []struct {
		name  string
		edit  func(*Owners)
		field string
		want  string
	}{
		{"empty tag key", func(o *Owners) { o.TagKeys = []string{""} }, "tagKeys[0]", "is not an IAM tag key"},
		{"tag key with a comma", func(o *Owners) { o.TagKeys = []string{"own,er"} }, "tagKeys[0]", "is not an IAM tag key"},
		{"tag key too long", func(o *Owners) { o.TagKeys = []string{strings.Repeat("k", 129)} }, "tagKeys[0]", "is not an IAM tag key"},
		{"tag key twice", func(o *Owners) { o.TagKeys = []string{"owner", "Owner"} }, "tagKeys[1]", "repeats tagKeys[0]"},
		{"too many tag keys", func(o *Owners) { o.TagKeys = strings.Split("a b c d e f g h i j k", " ") }, "tagKeys", "is too long"},
		{"negative max", func(o *Owners) { o.MaxMessages = -1 }, "maxMessages", "is out of range"},
		{"max too large", func(o *Owners) { o.MaxMessages = MaxOwnerMessagesPerRun + 1 }, "maxMessages", "is out of range"},
		{"from with a display name", func(o *Owners) { o.Email.From = "Keyage <keyage@example.com>" }, "email.from", "is not an email address"},
		{"identity of another service", func(o *Owners) { o.Email.IdentityARN = "arn:aws:sns:us-east-1:123456789012:identity/x" }, "email.identityArn", "is not an SES identity ARN"},
		{"identity without a name", func(o *Owners) { o.Email.IdentityARN = "arn:aws:ses:us-east-1:123456789012:identity/" }, "email.identityArn", "is not an SES identity ARN"},
		{"configuration set with a dot", func(o *Owners) { o.Email.ConfigurationSet = "a.b" }, "email.configurationSet", "is not an SES configuration set name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			e := *ok.Email
			o.Email = &e
			o.TagKeys = slices.Clone(ok.TagKeys)
			tt.edit(&o)
			ps := o.Validate()
			if len(ps) != 1 || ps[0].Field != tt.field || !strings.Contains(ps[0].Problem, tt.want) || ps[0].Allowed == "" {
				t.Errorf("got %+v, want one problem on %s that %s, with what is allowed", ps, tt.field, tt.want)
			}
		})
	}
}

func TestDecodeRefusesInvalidOwners(t *testing.T) {
	_, err := Decode([]byte(`{"op":"report","now":"2026-11-23T08:00:00Z","policy":{"maxAgeDays":90},"account":"123456789012",
		"summary":{},"owners":{"tagKeys":["owner"],"email":{"from":"nobody"}}}`))
	var invalid *InvalidInputError
	if !errors.As(err, &invalid) || !strings.Contains(err.Error(), `owners.email.from is "nobody", want an address`) {
		t.Errorf("got %v, want an InvalidInputError naming owners.email.from", err)
	}
}

// TestHandlerCheckLooksUpOwnersOfFlaggedUsersOnly: tags are read once per user with findings,
// never for compliant users; a failed read marks the findings OwnerUnknown and counts them as
// without an owner, and the finding's log line names the owner.
func TestHandlerCheckLooksUpOwnersOfFlaggedUsersOnly(t *testing.T) {
	var looked []string
	var buf bytes.Buffer
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(&buf, nil)),
		UserTags: func(_ context.Context, user string) (map[string]string, error) {
			looked = append(looked, user)
			switch user {
			case "alice":
				return map[string]string{"team": "team-a", "owner": ""}, nil
			case "bob":
				return map[string]string{"owner": "bob@example.com"}, nil
			case "dave":
				return nil, errors.New("AccessDenied: not authorized to perform iam:ListUserTags")
			}
			return map[string]string{}, nil
		},
	}
	ev := Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: testAccount, Policy: Policy{MaxAgeDays: 90},
		Owners: &Owners{TagKeys: []string{"owner", "team"}},
		Users: []UserKeys{
			{UserName: "alice", Keys: []AccessKey{activeKey("AKIAALICE1", ago(days(120))), activeKey("AKIAALICE2", ago(days(100)))}},
			{UserName: "bob", Keys: []AccessKey{activeKey("AKIABOB", ago(days(200)))}},
			{UserName: "carol", Keys: []AccessKey{activeKey("AKIACAROL", ago(days(95)))}},
			{UserName: "dave", Keys: []AccessKey{activeKey("AKIADAVE", ago(days(91)))}},
			{UserName: "erin", Keys: []AccessKey{activeKey("AKIAERIN", ago(days(3)))}},
		}}
	s := invoke[Summary](t, h, ev)
	slices.Sort(looked)
	if got := strings.Join(looked, ","); got != "alice,bob,carol,dave" {
		t.Errorf("looked up %s, want each flagged user once: alice,bob,carol,dave", got)
	}
	owners := map[string]string{}
	for _, f := range s.Findings {
		owners[f.AccessKeyID] = f.Owner
		if f.OwnerUnknown != (f.UserName == "dave") {
			t.Errorf("got ownerUnknown %v for %s, want it only for dave", f.OwnerUnknown, f.UserName)
		}
	}
	want := map[string]string{"AKIAALICE1": "team-a", "AKIAALICE2": "team-a", "AKIABOB": "bob@example.com", "AKIACAROL": "", "AKIADAVE": ""}
	for id, o := range want {
		if owners[id] != o {
			t.Errorf("got owner %q for %s, want %q", owners[id], id, o)
		}
	}
	if s.NoOwner != 2 {
		t.Errorf("got noOwner %d, want 2 (carol untagged, dave unreadable)", s.NoOwner)
	}
	lines := logLines(t, &buf)
	if got := withMsg(lines, OwnerLookupLogMessage); len(got) != 1 || got[0]["userName"] != "dave" {
		t.Errorf("got owner lookup failures %v, want one for dave", got)
	}
	for _, l := range withMsg(lines, FindingLogMessage) {
		if l["accessKeyId"] == "AKIABOB" && l["owner"] != "bob@example.com" {
			t.Errorf("got finding log %v, want owner bob@example.com", l)
		}
	}
}

// TestHandlerCheckWithoutOwners: no owners in the event (or no tag keys), no lookup.
func TestHandlerCheckWithoutOwners(t *testing.T) {
	for _, o := range []*Owners{nil, {TagKeys: []string{}}} {
		h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), UserTags: func(context.Context, string) (map[string]string, error) {
			t.Fatal("looked up an owner with owners off")
			return nil, nil
		}}
		s := invoke[Summary](t, h, Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: testAccount, Policy: Policy{MaxAgeDays: 90},
			Owners: o, Users: []UserKeys{{UserName: "alice", Keys: []AccessKey{activeKey("AKIAALICE", ago(days(120)))}}}})
		if s.NoOwner != 0 || s.Findings[0].Owner != "" {
			t.Errorf("got %+v, want no owner count with owners off", s)
		}
	}
}

// ownersSummary has keys of two teams, one email owner, and one user without an owner.
func ownersSummary() Summary {
	f := func(user, id string, age int, owner string) Finding {
		x := finding(user, id, age)
		x.Owner = owner
		return x
	}
	findings := []Finding{
		f("legacy", "AKIALEGACY0000000001", 400, ""),
		f("build", "AKIABUILD00000000001", 300, "team-b"),
		f("alice", "AKIAALICE00000000001", 200, "alice@example.com"),
		f("etl", "AKIAETL0000000000001", 150, "team-a"),
		f("etl", "AKIAETL0000000000002", 120, "team-a"),
	}
	findings[1].Severity, findings[1].Kinds = SeverityWarning, []string{KindWarning}
	return Summary{Counts: Counts{Users: 6, Flagged: 5, Stale: 4, Warning: 1, NoOwner: 1}, Findings: findings}
}

func reportEvent(s Summary, o *Owners) Event {
	return Event{Op: OpReport, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: testAccount,
		Policy: Policy{MaxAgeDays: 90, WarnAgeDays: 60}, Summary: &s, Owners: o}
}

// TestHandlerReportPerOwner: one message per owner with findings, each with only that owner's
// keys and the attributes' values; email owners are mailed (text and HTML, their keys only); a
// refused mail and the owner without a tag are in the digest, whose findings stay complete.
func TestHandlerReportPerOwner(t *testing.T) {
	var mails []OwnerMail
	var froms []OwnerEmail
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Wait: skipWait,
		OwnerMail: func(_ context.Context, from OwnerEmail, m OwnerMail) error {
			froms = append(froms, from)
			mails = append(mails, m)
			return nil
		}}
	sender := &OwnerEmail{From: "keyage@example.com"}
	r := invoke[Report](t, h, reportEvent(ownersSummary(), &Owners{TagKeys: []string{"owner"}, MaxMessages: 10, Email: sender}))
	if !r.Publish {
		t.Fatal("got no publish, want the digest")
	}
	var got []string
	for _, m := range r.OwnerMessages {
		got = append(got, m.Owner+"/"+m.Severity+"/"+m.Account)
	}
	if want := "alice@example.com/stale/123456789012,team-a/stale/123456789012,team-b/warning/123456789012"; strings.Join(got, ",") != want {
		t.Errorf("got owner messages %v, want %s", got, want)
	}
	keysOf := map[string][]string{
		"alice@example.com": {"AKIAALICE00000000001"},
		"team-a":            {"AKIAETL0000000000001", "AKIAETL0000000000002"},
		"team-b":            {"AKIABUILD00000000001"},
	}
	all := []string{"AKIALEGACY0000000001", "AKIABUILD00000000001", "AKIAALICE00000000001", "AKIAETL0000000000001", "AKIAETL0000000000002"}
	for _, m := range r.OwnerMessages {
		for _, id := range all {
			if strings.Contains(m.Message, id) != slices.Contains(keysOf[m.Owner], id) {
				t.Errorf("message for %s: mentions %s is %v, want only its own keys %v", m.Owner, id, !slices.Contains(keysOf[m.Owner], id), keysOf[m.Owner])
			}
		}
		if len(m.Subject) > maxSubjectLength || strings.ContainsAny(m.Subject, "\n\r") {
			t.Errorf("got subject %q, want one line under 100 characters", m.Subject)
		}
	}
	if len(mails) != 1 || mails[0].To != "alice@example.com" || *sender != froms[0] ||
		!strings.Contains(mails[0].Text, "AKIAALICE00000000001") || !strings.Contains(mails[0].HTML, "<td>AKIAALICE00000000001</td>") ||
		strings.Contains(mails[0].Text+mails[0].HTML, "AKIAETL") {
		t.Errorf("got mails %+v from %+v, want one to alice@example.com with her key only, text and HTML", mails, froms)
	}
	_, body := decodeMessage(t, r)
	if len(body.Findings) != 5 || body.Owners == nil || body.Counts.NoOwner != 1 {
		t.Errorf("got digest findings %d, owners %+v, noOwner %d: want all 5 findings, the owner section, 1 without owner",
			len(body.Findings), body.Owners, body.Counts.NoOwner)
	}
}

func TestOwnerMessageGolden(t *testing.T) {
	g := groupByOwner(ownersSummary().Findings)[1] // team-a
	m := ownerMessage(g, len(g.findings), Policy{MaxAgeDays: 90, WarnAgeDays: 60}, testAccount, "2026-11-23T08:00:00Z", false)
	if m.Subject != "team-a: 2 IAM access keys need action in 123456789012" {
		t.Errorf("got subject %q", m.Subject)
	}
	golden.Check(t, filepath.Join("testdata", "owner.team-a.txt"), []byte(m.Message))
	mail := ownerMail(groupByOwner(ownersSummary().Findings)[0], Policy{MaxAgeDays: 90}, testAccount, "2026-11-23T08:00:00Z", true)
	golden.Check(t, filepath.Join("testdata", "owner.mail.html"), []byte(mail.HTML))
}

// TestHandlerReportUnmailedOwnersInDigest: SES refuses one owner's mail; the others are sent,
// and the digest names the refused owner with the error, with every key still listed.
func TestHandlerReportUnmailedOwnersInDigest(t *testing.T) {
	s := ownersSummary()
	s.Findings[1].Owner = "bob@example.com" // a second email owner
	var sent []string
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Wait: skipWait,
		OwnerMail: func(_ context.Context, _ OwnerEmail, m OwnerMail) error {
			if m.To == "bob@example.com" {
				return errors.New("send mail to bob@example.com: MessageRejected: Email address is not verified")
			}
			sent = append(sent, m.To)
			return nil
		}}
	r := invoke[Report](t, h, reportEvent(s, &Owners{TagKeys: []string{"owner"}, Email: &OwnerEmail{From: "keyage@example.com"}}))
	if strings.Join(sent, ",") != "alice@example.com" {
		t.Errorf("sent %v, want alice@example.com", sent)
	}
	if len(r.OwnerMessages) != 0 {
		t.Errorf("got %d owner messages without an owners topic (maxMessages 0), want none", len(r.OwnerMessages))
	}
	email, body := decodeMessage(t, r)
	if body.Owners == nil || len(body.Owners.Unmailed) != 1 || body.Owners.Unmailed[0].Owner != "bob@example.com" ||
		!strings.Contains(body.Owners.Unmailed[0].Error, "MessageRejected") {
		t.Errorf("got owners %+v, want bob@example.com unmailed with SES's error", body.Owners)
	}
	if !strings.Contains(email.Email, "Owners who could not be mailed (their keys are above):\n  bob@example.com: send mail to bob@example.com: MessageRejected") {
		t.Errorf("email body does not name the unmailed owner:\n%s", email.Email)
	}
	if !strings.Contains(email.Email, "No owner: 1 key of users without an owner tag (owner)") || !strings.Contains(email.Email, "tag the users to reach their owners:\n  legacy\n") {
		t.Errorf("email body has no 'no owner' section with legacy's key:\n%s", email.Email)
	}
	if len(body.Findings) != 5 {
		t.Errorf("got %d findings in the digest, want all 5", len(body.Findings))
	}
}

// TestHandlerReportCapsOwnerMessages: beyond maxMessages, owners are listed in the digest.
func TestHandlerReportCapsOwnerMessages(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	r := invoke[Report](t, h, reportEvent(ownersSummary(), &Owners{TagKeys: []string{"owner"}, MaxMessages: 2}))
	if len(r.OwnerMessages) != 2 || r.OwnerMessages[0].Owner != "alice@example.com" || r.OwnerMessages[1].Owner != "team-a" {
		t.Fatalf("got %d owner messages %+v, want alice@example.com and team-a", len(r.OwnerMessages), r.OwnerMessages)
	}
	email, body := decodeMessage(t, r)
	if body.Owners == nil || strings.Join(body.Owners.Unmessaged, ",") != "team-b" {
		t.Errorf("got owners %+v, want team-b unmessaged", body.Owners)
	}
	if !strings.Contains(email.Email, "Owners not sent a message of their own this run (beyond maxOwnerMessages, or beyond what one run's payload carries); their keys are above:\n  team-b\n") {
		t.Errorf("email body does not list team-b:\n%s", email.Email)
	}
}

// TestHandlerTestRunReachesNoOwner: a test run sends no owner mail and no owner message.
func TestHandlerTestRunReachesNoOwner(t *testing.T) {
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Wait: skipWait,
		OwnerMail: func(context.Context, OwnerEmail, OwnerMail) error {
			t.Error("mailed an owner on a test run")
			return nil
		}}
	ev := reportEvent(ownersSummary(), &Owners{TagKeys: []string{"owner"}, MaxMessages: 10, Email: &OwnerEmail{From: "keyage@example.com"}})
	ev.Test = true
	r := invoke[Report](t, h, ev)
	if !r.Test || len(r.OwnerMessages) != 0 {
		t.Errorf("got test %v with %d owner messages, want a test report with none", r.Test, len(r.OwnerMessages))
	}
}

// TestOwnerMessagesFitTheirBudget: many owners with many keys: the messages together stay
// within the budget, each owner is either messaged (its oldest keys first, saying how many it
// shows) or listed as unmessaged, never both, never neither; and the whole report stays within
// MaxMessageBytes plus its fields.
func TestOwnerMessagesFitTheirBudget(t *testing.T) {
	var findings []Finding
	for i := range 3000 {
		f := finding(fmt.Sprintf("user-%d", i), fmt.Sprintf("AKIA%016d", i), 100+i%300)
		f.Owner = fmt.Sprintf("team-%d", i%40)
		findings = append(findings, f)
	}
	slices.SortStableFunc(findings, compareFindings)
	groups := groupByOwner(findings)
	msgs, unmessaged, err := ownerMessages(groups, Policy{MaxAgeDays: 90}, testAccount, "2026-11-23T08:00:00Z", false, 1000, MaxOwnerMessagesBytes)
	if err != nil {
		t.Fatal(err)
	}
	if n := must(jsonSize(msgs)); n > MaxOwnerMessagesBytes {
		t.Errorf("owner messages take %d bytes, want at most %d", n, MaxOwnerMessagesBytes)
	}
	t.Logf("3,000 findings of 40 owners: %d owners messaged in %d bytes, %d left to the digest", len(msgs), must(jsonSize(msgs)), len(unmessaged))
	if len(msgs)+len(unmessaged) != 40 || len(msgs) == 0 {
		t.Errorf("got %d messaged and %d unmessaged owners, want 40 in all, some messaged", len(msgs), len(unmessaged))
	}
	for _, m := range msgs {
		if !strings.Contains(m.Message, "Too many to list: below are the ") {
			t.Errorf("message for %s shows every key of 75 within its share, or does not say it is cut", m.Owner)
		}
	}
	s := Summary{Counts: Counts{Flagged: len(findings), Stale: len(findings)}, Findings: findings}
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	r, err := h.reportWithOwners(context.Background(), s, reportEvent(s, &Owners{TagKeys: []string{"owner"}, MaxMessages: 1000}), testNow, groupByOwner(s.Findings), false)
	if err != nil {
		t.Fatal(err)
	}
	if n := must(jsonSize(r)); n > MaxMessageBytes+4096 {
		t.Errorf("the report takes %d bytes, want at most MaxMessageBytes (%d) and its fields", n, MaxMessageBytes)
	}
}

// TestDigestOwnerSectionsGolden: the digest's owner sections: the users without an owner (one
// whose tags could not be read), an owner over the cap, an owner SES refused.
func TestDigestOwnerSectionsGolden(t *testing.T) {
	s := ownersSummary()
	s.Findings = append(s.Findings, finding("svc-unreadable", "AKIAUNREAD0000000001", 100))
	s.Findings[len(s.Findings)-1].OwnerUnknown = true
	s.Flagged, s.Stale, s.NoOwner = 6, 5, 2
	s.Owners = &OwnerDigest{TagKeys: []string{"owner", "team"}, Unmessaged: []string{"team-b"},
		Unmailed: []OwnerFailure{{Owner: "alice@example.com", Error: "send mail to alice@example.com: MessageRejected: Email address is not verified."}}}
	r := must(NewReport(s, Policy{MaxAgeDays: 90, WarnAgeDays: 60}, testAccount, testNow))
	m, _ := decodeMessage(t, r)
	golden.Check(t, filepath.Join("testdata", "report.owners.email.txt"), []byte(m.Email))
}

func TestWriteWrapped(t *testing.T) {
	var b strings.Builder
	writeWrapped(&b, []string{strings.Repeat("a", 60), strings.Repeat("b", 30), strings.Repeat("c", 30), "d"})
	want := "  " + strings.Repeat("a", 60) + ", " + strings.Repeat("b", 30) + ", \n  " + strings.Repeat("c", 30) + ", d\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// TestOwnerSubjectIsASCIIAndShort: SNS refuses subjects that are not ASCII, have line breaks
// or reach 100 characters; owners are tag values, which may be any of those.
func TestOwnerSubjectIsASCIIAndShort(t *testing.T) {
	for owner, want := range map[string]string{
		"team-a":         "team-a: 1 IAM access key needs action in 123456789012",
		"équipe-données": "?quipe-donn?es: 1 IAM access key needs action in 123456789012",
		"a\nb":           "a?b: 1 IAM access key needs action in 123456789012",
	} {
		got := ownerSubject(ownerGroup{owner: owner, findings: []Finding{finding("u", "AKIA1", 100)}}, testAccount)
		if got != want {
			t.Errorf("ownerSubject(%q) = %q, want %q", owner, got, want)
		}
	}
	got := ownerSubject(ownerGroup{owner: strings.Repeat("long-", 40), findings: []Finding{finding("u", "AKIA1", 100)}}, testAccount)
	if len(got) != maxSubjectLength || !strings.HasPrefix(got, "long-long-") || !strings.HasSuffix(got, "...: 1 IAM access key needs action in 123456789012") {
		t.Errorf("ownerSubject of a long owner = %q (%d characters), want it cut to %d with ... before the counts", got, len(got), maxSubjectLength)
	}
}

// TestOwnerHTMLEscapes: owners and user names are tag values and IAM names: the HTML body
// escapes them.
func TestOwnerHTMLEscapes(t *testing.T) {
	f := finding("a<b>&c", "AKIA1", 100)
	html := ownerHTML(ownerGroup{owner: `<script>alert("x")</script>`, findings: []Finding{f}}, Policy{MaxAgeDays: 90}, testAccount, "2026-11-23T08:00:00Z", false)
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") || !strings.Contains(html, "<td>a&lt;b&gt;&amp;c</td>") {
		t.Errorf("HTML body does not escape the owner and the user name:\n%s", html)
	}
}

// TestHandlerReportBoundsUnreachedOwners: 1,500 email owners whose mail SES refuses (its
// sandbox) and 1,500 beyond the cap: the digest names 100 of each, counts the rest, logs every
// one, and still lists keys within its budget.
func TestHandlerReportBoundsUnreachedOwners(t *testing.T) {
	var findings []Finding
	for i := range 1500 {
		f := finding(fmt.Sprintf("user-%d", i), fmt.Sprintf("AKIA%016d", i), 100+i%300)
		f.Owner = fmt.Sprintf("owner-%04d@example.com", i)
		findings = append(findings, f)
	}
	slices.SortStableFunc(findings, compareFindings)
	s := Summary{Counts: Counts{Flagged: len(findings), Stale: len(findings)}, Findings: findings}
	var logs bytes.Buffer
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		Wait: skipWait,
		OwnerMail: func(_ context.Context, _ OwnerEmail, m OwnerMail) error {
			return errors.New("send mail to " + m.To + ": MessageRejected: " + strings.Repeat("Email address is not verified. ", 8))
		}}
	r := invoke[Report](t, h, reportEvent(s, &Owners{TagKeys: []string{"owner"}, MaxMessages: 1, Email: &OwnerEmail{From: "keyage@example.com"}}))
	email, body := decodeMessage(t, r)
	d := body.Owners
	if d == nil || len(d.Unmailed) != MaxUnreachedListed || d.MoreUnmailed != 1500-MaxUnreachedListed ||
		len(d.Unmessaged) != MaxUnreachedListed || d.MoreUnmessaged != 1500-1-MaxUnreachedListed {
		t.Fatalf("got %d unmailed (+%d) and %d unmessaged (+%d), want %d of each and the rest counted",
			len(d.Unmailed), d.MoreUnmailed, len(d.Unmessaged), d.MoreUnmessaged, MaxUnreachedListed)
	}
	if !strings.Contains(email.Email, `(and 1400 more: see the function's log, msg "owner mail failed")`) ||
		!strings.Contains(email.Email, `(and 1399 more: see the function's log, msg "owner not messaged")`) {
		t.Errorf("the email does not count the owners left out")
	}
	if n := must(jsonSize(r)); n > MaxMessageBytes+4096 || len(body.Findings) == 0 {
		t.Errorf("the report takes %d bytes with %d findings listed, want within the budget and some keys", n, len(body.Findings))
	}
	lines := logLines(t, &logs)
	if a, b := len(withMsg(lines, OwnerMailLogMessage)), len(withMsg(lines, OwnerUnmessagedLogMessage)); a != 1500 || b != 1499 {
		t.Errorf("logged %d mail failures and %d unmessaged owners, want 1500 and 1499", a, b)
	}
}

// TestOwnersReuseTagsReadForExemptions: with tag exemptions and owners both on, each flagged
// user's tags are read once, for both.
func TestOwnersReuseTagsReadForExemptions(t *testing.T) {
	calls := map[string]int{}
	var buf bytes.Buffer
	h := &Handler{Logger: slog.New(slog.NewJSONHandler(&buf, nil)),
		UserTags: func(_ context.Context, user string) (map[string]string, error) {
			calls[user]++
			if user == "bob" {
				return nil, errors.New("AccessDenied")
			}
			return map[string]string{"owner": "team-" + user}, nil
		}}
	ev := Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Account: testAccount,
		Policy: Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 30}, Owners: &Owners{TagKeys: []string{"owner"}},
		Users: []UserKeys{
			{UserName: "alice", Keys: []AccessKey{activeKey("AKIAALICE", ago(days(120)))}},
			{UserName: "bob", Keys: []AccessKey{activeKey("AKIABOB", ago(days(120)))}},
		}}
	s := invoke[Summary](t, h, ev)
	if calls["alice"] != 1 || calls["bob"] != 1 {
		t.Errorf("ListUserTags calls %v, want one per flagged user", calls)
	}
	got := map[string]string{}
	for _, f := range s.Findings {
		got[f.UserName] = fmt.Sprintf("%s/%v", f.Owner, f.OwnerUnknown)
	}
	if got["alice"] != "team-alice/false" || got["bob"] != "/true" {
		t.Errorf("owners %v, want alice team-alice, bob unknown", got)
	}
	// The failed read, made for tagExemptions, is logged as an owner lookup too (README: Owners).
	if got := withMsg(logLines(t, &buf), OwnerLookupLogMessage); len(got) != 1 || got[0]["userName"] != "bob" || got[0]["error"] != "AccessDenied" {
		t.Errorf("got owner lookup failures %v, want one for bob with AccessDenied", got)
	}
}

// TestOwnerSectionsSayWhereKeysAre: the lines of owners not messaged or not mailed say their
// keys are above only when the digest lists every finding; a truncated digest points to the
// counts and the function's log instead.
func TestOwnerSectionsSayWhereKeysAre(t *testing.T) {
	s := ownersSummary()
	s.Owners = &OwnerDigest{TagKeys: []string{"owner"}, Unmessaged: []string{"team-b"},
		Unmailed: []OwnerFailure{{Owner: "alice@example.com", Error: "MessageRejected"}}}
	for _, tt := range []struct {
		truncated bool
		want      string
	}{
		{false, "their keys are above"},
		{true, `this message lists only some keys: theirs are in the counts above, and every one in the function's log, msg "` + FindingLogMessage + `"`},
	} {
		var b strings.Builder
		writeOwnerSections(&b, s, s.Findings[:1], 0, tt.truncated)
		got := b.String()
		for _, line := range []string{
			"Owners not sent a message of their own this run (beyond maxOwnerMessages, or beyond what one run's payload carries); " + tt.want + ":\n  team-b\n",
			"Owners who could not be mailed (" + tt.want + "):\n  alice@example.com: MessageRejected\n",
		} {
			if !strings.Contains(got, line) {
				t.Errorf("truncated %v: got\n%s\nwant a line %q", tt.truncated, got, line)
			}
		}
		if tt.truncated && strings.Contains(got, "are above") {
			t.Errorf("a truncated digest says the keys are above:\n%s", got)
		}
	}
}

// skipWait is a Handler.Wait that returns at once: tests that are not about pacing mail every
// owner without waiting SES's interval.
func skipWait(context.Context, time.Duration) error { return nil }
