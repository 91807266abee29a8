package agecheck

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// benchUsers is 5,000 users with 2 keys each (10,000 keys), the design's largest account: a
// mix of stale, warning, compliant and inactive keys, some exempt users, CreateDate in the
// forms the integration may send.
func benchUsers() []UserKeys {
	users := make([]UserKeys, 5000)
	forms := []string{time.RFC3339, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05.000Z07:00"}
	for i := range users {
		users[i].UserName = fmt.Sprintf("user-%05d", i)
		if i%50 == 0 {
			users[i].UserName = fmt.Sprintf("svc-%05d", i)
		}
		for k := range 2 {
			status := StatusActive
			if (i+k)%7 == 0 {
				status = StatusInactive
			}
			created := testNow.Add(-time.Duration((i*13+k*101)%400) * 24 * time.Hour).Add(-time.Duration(i) * time.Second)
			users[i].Keys = append(users[i].Keys, AccessKey{
				AccessKeyID: fmt.Sprintf("AKIA%016d", i*2+k),
				Status:      status,
				CreateDate:  ParseTimestamp(created.Format(forms[(i+k)%len(forms)])),
			})
		}
	}
	return users
}

// BenchmarkCheck10000Keys judges 10,000 keys; the target is under 5 ms and 10 MB per run.
func BenchmarkCheck10000Keys(b *testing.B) {
	users := benchUsers()
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 75, ExemptUsers: []string{"svc-*", "break-glass"}}
	b.ReportAllocs()
	for b.Loop() {
		s, err := Check(users, p, testNow)
		if err != nil {
			b.Fatal(err)
		}
		if s.Users != 5000 {
			b.Fatalf("got %d users, want 5000", s.Users)
		}
	}
}

// BenchmarkDecodeCheck10000Keys decodes a check event of 10,000 keys and judges them: the work
// of an invocation before any last-used lookup, reading every CreateDate included.
func BenchmarkDecodeCheck10000Keys(b *testing.B) {
	p := Policy{MaxAgeDays: 90, WarnAgeDays: 75, ExemptUsers: []string{"svc-*", "break-glass"}}
	payload, err := json.Marshal(Event{Op: OpCheck, Now: ParseTimestamp(formatTime(testNow)), Account: testAccount, Policy: p, Users: benchUsers()})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ev, err := Decode(payload)
		if err != nil {
			b.Fatal(err)
		}
		s, err := Check(ev.Users, ev.Policy, testNow)
		if err != nil {
			b.Fatal(err)
		}
		if s.Users != 5000 {
			b.Fatalf("got %d users, want 5000", s.Users)
		}
	}
}

// BenchmarkMerge5000Users folds 100 children's summaries of 10,000 stale keys and trims.
func BenchmarkMerge5000Users(b *testing.B) {
	results := bigResults()
	b.ReportAllocs()
	for b.Loop() {
		must(Merge(nil, results))
	}
}
