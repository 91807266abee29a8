package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/keyage/keyage/lambda/agecheck"
)

// TestREADMECountsLogLineIsTheMergeLine checks the README's "a run that finds nothing" advice:
// the log line it names is the one the function writes after each merge, and it carries every
// count the README lists, with the merged values.
func TestREADMECountsLogLineIsTheMergeLine(t *testing.T) {
	sentence := readmeSection(t, "A run that finds nothing publishes\nnothing: ", ".\n")
	msg := between(t, "README.md", sentence, "with `msg = \"", "\"`")
	fields := quoted(between(t, "README.md", sentence, "counts (", ")"))
	if len(fields) == 0 {
		t.Fatalf("README.md names no count fields in %q", sentence)
	}

	var logs bytes.Buffer
	h := agecheck.Handler{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	event := `{"op":"merge","policy":{"maxAgeDays":90},"now":"2026-12-01T08:00:00Z","account":"123456789012",
		"summary":{"users":3,"compliant":1,"exempt":1,"inactive":1},
		"results":[{"users":4,"deleted":1,"unchecked":1,"compliant":2,"uncheckedUsers":[{"userName":"u","error":"Iam.IamException"}]}]}`
	if _, err := h.Invoke(context.Background(), []byte(event)); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"users": 7, "compliant": 3, "exempt": 1, "inactive": 1, "deleted": 1, "stale": 0, "warning": 0, "unchecked": 1}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == msg {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("the merge logged no line with msg %q (README.md names it); logs:\n%s", msg, logs.String())
	}
	for _, f := range fields {
		w, ok := want[f]
		if !ok {
			t.Errorf("README.md lists %q among the counts; it is not a count of a Summary", f)
			continue
		}
		if got, ok := line[f].(float64); !ok || got != w {
			t.Errorf("the %q line has %s = %v, want %v", msg, f, line[f], w)
		}
	}
	if len(fields) != len(want) {
		t.Errorf("README.md lists the counts %v, want all %d of them", fields, len(want))
	}
}
