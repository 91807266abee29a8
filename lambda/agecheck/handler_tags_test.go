package agecheck

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
)

// TestHandlerReadsTagsOfFlaggedUsersOnly: with tag exemptions on, the handler asks for the tags
// of the users with findings only (not of compliant, exempt or unreadable users); a tag
// exemption that holds hides its user's keys, and a lookup that fails is reported, not silent.
func TestHandlerReadsTagsOfFlaggedUsersOnly(t *testing.T) {
	var asked []string
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		UserTags: func(_ context.Context, user string) (map[string]string, error) {
			asked = append(asked, user)
			switch user {
			case "tagged":
				return map[string]string{TagExemptUntil: "2026-12-01", TagExemptReason: "vendor", "team": "x"}, nil
			case "denied":
				return nil, errors.New("AccessDenied")
			}
			return nil, nil
		},
	}
	users := []UserKeys{
		{UserName: "tagged", Keys: []AccessKey{activeKey("K1", ago(days(100)))}},
		{UserName: "denied", Keys: []AccessKey{activeKey("K2", ago(days(100)))}},
		{UserName: "plain", Keys: []AccessKey{activeKey("K3", ago(days(100)))}},
		{UserName: "fresh", Keys: []AccessKey{activeKey("K4", ago(days(1)))}},
		{UserName: "svc-x", Keys: []AccessKey{activeKey("K5", ago(days(100)))}},
		{UserName: "broken", Error: &ScanError{Error: "States.Timeout"}},
	}
	on := Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 30,
		Exemptions: []Exemption{{Users: []string{"svc-*"}, Reason: "pipeline"}}}
	s := invoke[Summary](t, h, Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: on, Users: slices.Clone(users)})
	if want := []string{"tagged", "denied", "plain"}; !slices.Equal(asked, want) {
		t.Errorf("asked for the tags of %v, want %v", asked, want)
	}
	if s.Flagged != 2 || s.Exempt != 2 || s.TagExemptionCount != 2 {
		t.Errorf("got flagged %d, exempt %d, tag exemptions %d; want 2, 2, 2", s.Flagged, s.Exempt, s.TagExemptionCount)
	}
	if len(s.TagExemptions) == 2 {
		if d := s.TagExemptions[0]; d.UserName != "denied" || d.Status != TagExemptionRefused || d.Problem != "tags could not be read: AccessDenied" {
			t.Errorf("got %+v, want denied's exemption refused as unreadable", d)
		}
		if g := s.TagExemptions[1]; g.UserName != "tagged" || g.Status != TagExemptionHolds || g.Keys != 1 {
			t.Errorf("got %+v, want tagged exempt with 1 key", g)
		}
	}

	asked = nil
	off := on
	off.TagExemptions, off.MaxTagExemptionDays = false, 0
	s = invoke[Summary](t, h, Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: off, Users: slices.Clone(users)})
	if len(asked) != 0 || s.Flagged != 3 || s.TagExemptionCount != 0 {
		t.Errorf("tag exemptions off: asked %v, %d flagged, %d tag exemptions; want no lookups, 3, 0", asked, s.Flagged, s.TagExemptionCount)
	}
}

// TestHandlerTagLookupsStopWhenOutOfTime: out of time, the remaining users' tag exemptions are
// refused as not read (reported), rather than the batch failing.
func TestHandlerTagLookupsStopWhenOutOfTime(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	h := &Handler{
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		UserTags: func(context.Context, string) (map[string]string, error) {
			calls++
			cancel()
			return map[string]string{}, nil
		},
	}
	ev := Event{Op: OpCheck, Now: ParseTimestamp("2026-11-23T08:00:00Z"), Policy: Policy{MaxAgeDays: 90, TagExemptions: true, MaxTagExemptionDays: 30},
		Users: []UserKeys{{UserName: "a", Keys: []AccessKey{activeKey("K1", ago(days(200)))}}, {UserName: "b", Keys: []AccessKey{activeKey("K2", ago(days(200)))}}}}
	payload, _ := json.Marshal(ev)
	out, err := h.Invoke(ctx, payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var s Summary
	_ = json.Unmarshal(out, &s)
	if calls != 1 || s.TagExemptionCount != 1 || s.TagExemptions[0].UserName != "b" || s.TagExemptions[0].Status != TagExemptionRefused {
		t.Errorf("got %d lookups and tag exemptions %+v, want 1 lookup and b's refused as not read", calls, s.TagExemptions)
	}
}
