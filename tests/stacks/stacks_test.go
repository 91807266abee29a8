// Package stacks checks the example stack files (every Pulumi.<stack>.yaml in the repository) for
// what an adopter deploying one as it is would regret: more than one scheduled notification a
// day, and user names and key IDs in the execution logs without a comment saying why.
package stacks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/internal/modroot"
)

// stackFiles returns the repository's stack names and files.
func stackFiles(t *testing.T) map[string]string {
	t.Helper()
	root := modroot.MustFind(t)
	paths, err := filepath.Glob(filepath.Join(root, "Pulumi.*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	stacks := map[string]string{}
	for _, p := range paths {
		stacks[strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), "Pulumi."), ".yaml")] = p
	}
	if len(stacks) == 0 {
		t.Fatalf("no Pulumi.<stack>.yaml in %s", root)
	}
	return stacks
}

var (
	rateExpr  = regexp.MustCompile(`^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$`)
	cronExpr  = regexp.MustCompile(`^cron\((\S+) (\S+) \S+ \S+ \S+ \S+\)$`)
	plainInt  = regexp.MustCompile(`^\d+$`)
	unitOfDay = map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}
)

// runsAtMostOnceADay reports whether a schedule expression starts at most one run a day; if not,
// it says why. A cron expression does when its minutes and hours fields are one number each; a
// rate when its interval is a day or more; an at() expression runs once.
func runsAtMostOnceADay(expr string) (bool, string) {
	switch {
	case strings.HasPrefix(expr, "at("):
		return true, ""
	case rateExpr.MatchString(expr):
		m := rateExpr.FindStringSubmatch(expr)
		n, _ := strconv.Atoi(m[1])
		every := time.Duration(n) * unitOfDay[strings.TrimSuffix(m[2], "s")]
		if every < 24*time.Hour {
			return false, fmt.Sprintf("runs every %v", every)
		}
		return true, ""
	case cronExpr.MatchString(expr):
		m := cronExpr.FindStringSubmatch(expr)
		if !plainInt.MatchString(m[1]) || !plainInt.MatchString(m[2]) {
			return false, fmt.Sprintf("minutes %q and hours %q are not one number each", m[1], m[2])
		}
		return true, ""
	}
	return false, "not a schedule expression this check knows"
}

func TestRunsAtMostOnceADay(t *testing.T) {
	cases := map[string]bool{
		"rate(1 day)": true, "rate(2 days)": true, "rate(24 hours)": true, "rate(1440 minutes)": true,
		"rate(1 hour)": false, "rate(23 hours)": false, "rate(30 minutes)": false,
		"cron(0 8 * * ? *)": true, "cron(30 7 ? * MON-FRI *)": true,
		"cron(0 8,20 * * ? *)": false, "cron(0 */6 * * ? *)": false, "cron(* 8 * * ? *)": false, "cron(0/30 8 * * ? *)": false,
		"at(2027-01-01T00:00:00)": true, "every day": false,
	}
	for expr, want := range cases {
		if got, why := runsAtMostOnceADay(expr); got != want {
			t.Errorf("runsAtMostOnceADay(%q) = %v (%s), want %v", expr, got, why, want)
		}
	}
}

// TestExampleStacksNotifyAtMostOnceADay: a run publishes at most one notification, so a stack
// file whose schedule starts more than one run a day could send more than one a day.
func TestExampleStacksNotifyAtMostOnceADay(t *testing.T) {
	root := modroot.MustFind(t)
	for stack := range stackFiles(t) {
		checked, err := config.LoadStackFile(root, stack)
		if err != nil {
			t.Errorf("stack %s: %v", stack, err)
			continue
		}
		s := checked.Settings()
		if ok, why := runsAtMostOnceADay(s.Schedule); !ok {
			t.Errorf("Pulumi.%s.yaml: keyage:schedule %q %s: want at most one scheduled run (and notification) a day", stack, s.Schedule, why)
		}
	}
}

// commentFor returns the comment on the line that sets key in a stack file, or on the comment
// lines right above it; "" when there is none or the key is not set.
func commentFor(text, key string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		if !strings.HasPrefix(trimmed, key+":") {
			continue
		}
		var comment []string
		for j := i - 1; j >= 0 && strings.HasPrefix(strings.TrimSpace(lines[j]), "#"); j-- {
			comment = append([]string{strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(lines[j]), "#"))}, comment...)
		}
		if _, after, ok := strings.Cut(trimmed, " #"); ok {
			comment = append(comment, strings.TrimSpace(after))
		}
		return strings.TrimSpace(strings.Join(comment, " "))
	}
	return ""
}

func TestCommentFor(t *testing.T) {
	text := "config:\n  # why:\n  # to debug\n  keyage:includeExecutionData: true\n  keyage:logLevel: ALL # loud\n  keyage:x: 1\n"
	for key, want := range map[string]string{
		"keyage:includeExecutionData": "why: to debug", "keyage:logLevel": "loud", "keyage:x": "", "keyage:absent": "",
	} {
		if got := commentFor(text, key); got != want {
			t.Errorf("commentFor(%q) = %q, want %q", key, got, want)
		}
	}
}

// TestExampleStacksSayWhyTheyLogExecutionData: includeExecutionData puts user names and access
// key IDs in the state machine's execution logs; a stack file that turns it on says why, in a
// comment on or right above the setting.
func TestExampleStacksSayWhyTheyLogExecutionData(t *testing.T) {
	root := modroot.MustFind(t)
	for stack, path := range stackFiles(t) {
		checked, err := config.LoadStackFile(root, stack)
		if err != nil {
			t.Errorf("stack %s: %v", stack, err)
			continue
		}
		if !checked.Settings().IncludeExecutionData {
			continue
		}
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if c := commentFor(string(text), config.Namespace+":includeExecutionData"); c == "" {
			t.Errorf("Pulumi.%s.yaml: keyage:includeExecutionData is true (user names and key IDs in the execution logs) with no comment on or above it saying why", stack)
		}
	}
}
