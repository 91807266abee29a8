package preview

import (
	"strings"
	"testing"
)

func TestSampleAccountParses(t *testing.T) {
	a := Sample()
	if a.AccountID != SampleAccountID || a.Now == "" || len(a.Users) == 0 {
		t.Fatalf("Sample() = account %q, now %q, %d users; want the sample's", a.AccountID, a.Now, len(a.Users))
	}
	long := false
	for _, u := range a.Users {
		long = long || len(u.Path) > 100
	}
	if !long {
		t.Error("the sample has no user with a long path (over 100 characters)")
	}
}

// TestParseAccountNamesTheField: every invalid account file gets a message naming the field,
// the value and what is allowed.
func TestParseAccountNamesTheField(t *testing.T) {
	key := func(fields string) string {
		return `{"users":[{"userName":"u","keys":[{` + fields + `}]}]}`
	}
	good := `"accessKeyId":"AKIAIOSFODNN7EXAMPLE","status":"Active","createDate":"2026-01-01T00:00:00Z"`
	cases := []struct {
		name, file string
		want       []string
	}{
		{"not JSON", `{"users": [`, []string{"not valid JSON: it ends before"}},
		{"bad syntax", `{"users": ]`, []string{"not valid JSON at byte 11"}},
		{"empty", ``, []string{"empty: want one JSON object"}},
		{"two values", `{"users":[]} {}`, []string{"more than one JSON value"}},
		{"unknown field", `{"users":[],"acount":"1"}`, []string{`acount: unknown field: want only the fields account, now, rootAccessKeys and users`}},
		// An unknown field is one problem among the others, not the end of the check.
		{"unknown fields and other problems", `{"account":"1","users":[{"userName":"u","keys":[{` + good + `,"enabled":true}]},{"userName":"a b","age":3}]}`,
			[]string{"4 problems:",
				"users[0].keys[0].enabled: unknown field: want only the fields accessKeyId, status, createDate and lastUsed",
				"users[1].age: unknown field: want only the fields userName, path, keys, deleted, unreadable and tags",
				`account: "1": want a 12-digit AWS account ID`,
				`users[1].userName: "a b": want an IAM user name`}},
		{"users not an array", `{"users":{}}`, []string{"users: a JSON object: want an array"}},
		{"key status a number", key(`"accessKeyId":"AKIAIOSFODNN7EXAMPLE","status":1,"createDate":"2026-01-01T00:00:00Z"`),
			[]string{"users.keys.status: a JSON number: want a string"}},
		{"no users", `{}`, []string{"users: absent: want an array of users"}},
		{"account", `{"account":"12345","users":[]}`, []string{`account: "12345": want a 12-digit AWS account ID`}},
		{"now", `{"now":"2026-12-01","users":[]}`, []string{`now: "2026-12-01": want an ISO 8601 timestamp with an offset`}},
		{"user name", `{"users":[{"userName":"a b"}]}`, []string{`users[0].userName: "a b": want an IAM user name`}},
		{"duplicate user", `{"users":[{"userName":"Bob"},{"userName":"bob"}]}`,
			[]string{`users[1].userName: "bob": want a name no other user has (users[0] has it`}},
		{"path", `{"users":[{"userName":"u","path":"no-slash"}]}`, []string{`users[0].path: "no-slash": want an IAM path`}},
		{"empty path between slashes", `{"users":[{"userName":"u","path":"//"}]}`, []string{`users[0].path: "//": want an IAM path`}},
		{"path too long", `{"users":[{"userName":"u","path":"/` + strings.Repeat("p", 511) + `/"}]}`, []string{`users[0].path: "/ppp`}},
		{"create date", key(strings.Replace(good, "2026-01-01T00:00:00Z", "yesterday", 1)),
			[]string{`users[0].keys[0].createDate: "yesterday": want an ISO 8601 timestamp`}},
		{"status", key(strings.Replace(good, "Active", "Enabled", 1)),
			[]string{`users[0].keys[0].status: "Enabled": want "Active", "Inactive" or "Expired"`}},
		{"key ID", key(strings.Replace(good, "AKIAIOSFODNN7EXAMPLE", "akia-1", 1)),
			[]string{`users[0].keys[0].accessKeyId: "akia-1": want an access key ID`}},
		{"last used date", key(good + `,"lastUsed":{"date":"never"}`),
			[]string{`users[0].keys[0].lastUsed.date: "never": want an ISO 8601 timestamp`, "leave lastUsed out for a key never used"}},
		{"three keys", `{"users":[{"userName":"u","keys":[{` + good + `},{` + strings.Replace(good, "EXAMPLE", "EXAMPL2", 1) + `},{` +
			strings.Replace(good, "EXAMPLE", "EXAMPL3", 1) + `}]}]}`, []string{"users[0].keys: 3 keys: want at most 2"}},
		{"duplicate key", `{"users":[{"userName":"u","keys":[{` + good + `}]},{"userName":"v","keys":[{` + good + `}]}]}`,
			[]string{`users[1].keys[0].accessKeyId: "AKIAIOSFODNN7EXAMPLE": want an ID no other key has (users[0].keys[0] has it)`}},
		{"deleted with keys", `{"users":[{"userName":"u","deleted":true,"keys":[{` + good + `}]}]}`,
			[]string{"users[0].deleted: true: want no keys and no unreadable error for a deleted user"}},
		{"unreadable without error", `{"users":[{"userName":"u","unreadable":{"cause":"x"}}]}`,
			[]string{`users[0].unreadable.error: "": want the error's name`}},
		{"several problems", `{"account":"x","now":"y","users":[]}`, []string{"2 problems:", "account:", "now:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseAccount([]byte(c.file))
			if err == nil {
				t.Fatalf("ParseAccount(%s) succeeded, want an error", c.file)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("ParseAccount(%s) = %q, want it to contain %q", c.file, err, w)
				}
			}
		})
	}
}
