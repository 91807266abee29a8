package infra_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/infra"
)

// TestInvalidSettingsRegisterNothing: each invalid setting fails the program with its message,
// before any resource (the component included) is registered.
func TestInvalidSettingsRegisterNothing(t *testing.T) {
	cases := []struct {
		name, key, value, want string
	}{
		{"max age zero", "maxAgeDays", "0", "maxAgeDays: 0 is out of range: want an integer from 1 to 3650"},
		{"max age too large", "maxAgeDays", "3651", "maxAgeDays: 3651 is out of range"},
		{"max age not a number", "maxAgeDays", "ninety", `maxAgeDays: "ninety" is not an integer`},
		{"warn not below max", "warnAgeDays", "90", "warnAgeDays: 90 is not below maxAgeDays (90)"},
		{"warn negative", "warnAgeDays", "-1", "warnAgeDays: -1 is out of range"},
		{"cron with both days", "schedule", "cron(0 8 * * MON *)", `schedule: "cron(0 8 * * MON *)"`},
		{"cron with five fields", "schedule", "cron(0 8 * * ?)", `schedule: "cron(0 8 * * ?)"`},
		{"rate in seconds", "schedule", "rate(30 seconds)", `schedule: "rate(30 seconds)"`},
		{"not an expression", "schedule", "daily", `schedule: "daily"`},
		{"unknown time zone", "scheduleTimezone", "Mars/Olympus", `scheduleTimezone: "Mars/Olympus" is not a known time zone`},
		{"local time zone", "scheduleTimezone", "Local", `scheduleTimezone: "Local" is not a known time zone`},
		{"bad email", "subscriptions", `[{"protocol":"email","endpoint":"not-an-address"}]`, "subscriptions[0].endpoint"},
		{"http endpoint for https", "subscriptions", `[{"protocol":"https","endpoint":"http://hooks.example.com/x"}]`, "subscriptions[0].endpoint"},
		{"http protocol", "subscriptions", `[{"protocol":"http","endpoint":"http://hooks.example.com/x"}]`, "subscriptions[0].protocol: \"http\" is not allowed"},
		{"unknown protocol", "subscriptions", `[{"protocol":"pigeon","endpoint":"roof"}]`, `subscriptions[0].protocol: "pigeon" is not an SNS protocol`},
		{"malformed filter policy", "subscriptions", `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":"{severity"}]`, "subscriptions[0].filterPolicy"},
		{"filter on unknown attribute", "subscriptions", `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":{"team":["x"]}}]`, "subscriptions[0].filterPolicy"},
		{"alarm filter on attributes", "alarmSubscriptions", `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":{"severity":["stale"]}}]`, "alarmSubscriptions[0].filterPolicy"},
		{"subscriptions not a list", "subscriptions", `{"protocol":"email"}`, "subscriptions: {\"protocol\":\"email\"} is not a list of objects"},
		{"concurrency zero", "maxConcurrency", "0", "maxConcurrency: 0 is out of range"},
		{"log level off", "logLevel", "OFF", `logLevel: "OFF" is not allowed`},
		{"log level unknown", "logLevel", "DEBUG", `logLevel: "DEBUG" is not a log level`},
		{"retention not accepted", "logRetentionDays", "100", "logRetentionDays: 100 is not a retention period CloudWatch Logs accepts"},
		{"memory too small", "functionMemoryMB", "64", "functionMemoryMB: 64 is out of range"},
		{"retries too many", "scheduleRetryAttempts", "186", "scheduleRetryAttempts: 186 is out of range"},
		{"event age too short", "scheduleMaxEventAgeSeconds", "59", "scheduleMaxEventAgeSeconds: 59 is out of range"},
		{"enabled not boolean", "scheduleEnabled", "yes", `scheduleEnabled: "yes" is not a boolean`},
		{"exempt everyone", "exemptUsers", `["*"]`, "exempts every user"},
		{"reserved tag", "tags", `{"aws:owner":"me"}`, "uses the prefix aws:"},
		{"typo in key", "maxAgeDay", "90", "maxAgeDay: unknown setting (did you mean maxAgeDays?)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := runFromConfigEnv(t, map[string]string{c.key: c.value})
			if err == nil {
				t.Fatalf("%s = %s: program succeeded, want an error containing %q", c.key, c.value, c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s = %s: error %q, want it to contain %q", c.key, c.value, err, c.want)
			}
			// Every message names the setting (above) and says what is allowed.
			if !strings.Contains(err.Error(), c.key) || !strings.Contains(err.Error(), ": want ") {
				t.Errorf("%s = %s: error %q does not name the setting and what is allowed (\": want ...\")", c.key, c.value, err)
			}
			if len(d.res) != 0 {
				t.Errorf("%s = %s: %d resources registered (first %s %q), want none", c.key, c.value, len(d.res), d.res[0].Type, d.res[0].Name)
			}
			if inv := d.mocks.Invokes(); len(inv) != 0 {
				t.Errorf("%s = %s: provider functions called (%v), want none", c.key, c.value, inv)
			}
		})
	}
}

// TestInvalidGoSettings: settings built in Go without config.Parse are held to the same checks
// and messages as a stack file, subscriptions and tags included (config.Settings.Check), and the
// component takes only checked settings: unchecked ones register nothing.
func TestInvalidGoSettings(t *testing.T) {
	t.Parallel()
	s := config.Defaults()
	s.LogLevel, s.FunctionMemoryMB = "OFF", 0
	s.Subscriptions = []config.Subscription{{Protocol: "http", Endpoint: "http://hooks.example.com/x"}}
	s.AlarmSubscriptions = []config.Subscription{{Protocol: "email", Endpoint: "a@example.com", FilterPolicy: `{"severity":["stale"]}`}}
	s.Tags = map[string]string{"aws:owner": "me"}
	_, err := s.Check(time.Now())
	for _, want := range []string{
		`logLevel: "OFF" is not allowed`, "functionMemoryMB: 0 is out of range: want",
		`subscriptions[0].protocol: "http" is not allowed`, "alarmSubscriptions[0].filterPolicy", `tags["aws:owner"]`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
	d, err := runWith(t, "aws", func(ctx *pulumi.Context) error {
		_, err := infra.NewKeyAgeNotifier(ctx, "keyage", &infra.KeyAgeNotifierArgs{Function: dummyFunction})
		return err
	})
	if !errors.Is(err, config.ErrUnchecked) {
		t.Errorf("unchecked settings: error %v, want config.ErrUnchecked", err)
	}
	if len(d.res) != 0 {
		t.Errorf("%d resources registered, want none", len(d.res))
	}
}

// TestTwoInstancesDoNotCollide builds two notifiers in one program: no logical or physical
// name is shared.
func TestTwoInstancesDoNotCollide(t *testing.T) {
	t.Parallel()
	s := config.Defaults()
	s.Subscriptions = []config.Subscription{{Protocol: "email", Endpoint: "a@example.com"}}
	s.AlarmSubscriptions = s.Subscriptions
	d, err := runWith(t, "aws", func(ctx *pulumi.Context) error {
		for _, name := range []string{"keyage", "keyage-eu"} {
			if _, err := infra.NewKeyAgeNotifier(ctx, name, &infra.KeyAgeNotifierArgs{Settings: config.MustCheck(s), Function: dummyFunction}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	if got := len(d.ofType(infra.TypeToken)); got != 2 {
		t.Fatalf("%d components, want 2", got)
	}
	urns := map[string]bool{}
	physical := map[string]string{}
	for _, r := range d.res {
		if urns[r.URN] {
			t.Errorf("URN %s registered twice", r.URN)
		}
		urns[r.URN] = true
		if hasInput(r, "name") {
			key := r.Type + " " + inputString(t, r, "name")
			if other, dup := physical[key]; dup {
				t.Errorf("%s: %q and %q share the physical name", key, other, r.Name)
			}
			physical[key] = r.Name
		}
	}
	if len(physical) < 12 {
		t.Errorf("only %d physical names compared: %v", len(physical), physical)
	}
}

// TestRealFunctionBuild runs the program without a prebuilt package: the component builds the
// function from lambda/ (linux/arm64, reproducible) and deploys that zip.
func TestRealFunctionBuild(t *testing.T) {
	t.Parallel()
	s := settings(t, nil)
	d, err := runWith(t, "aws", infra.Program(infra.ProgramOptions{Settings: &s}))
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	fn := d.one(tFunction, "keyage-function")
	code, ok := input(t, fn, "code").(map[string]any)
	if !ok {
		t.Fatalf("%s %q: code is %v, want an archive", fn.Type, fn.Name, input(t, fn, "code"))
	}
	path, _ := code["archive"].(string)
	if !strings.HasSuffix(path, "keyage-function-linux-arm64.zip") {
		t.Fatalf("%s %q: code archive %q, want the built linux/arm64 bundle", fn.Type, fn.Name, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s %q: code archive: %v", fn.Type, fn.Name, err)
	}
	sum := sha256.Sum256(data)
	wantInput(t, fn, "sourceCodeHash", base64.StdEncoding.EncodeToString(sum[:]))
}

// BenchmarkProgram runs the whole program under mocks (settings parsed from PULUMI_CONFIG, the
// definition built once, every resource registered), so growth in time or allocations shows.
func BenchmarkProgram(b *testing.B) {
	setConfig(b, fullSettings)
	program := infra.Program(infra.ProgramOptions{Function: dummyFunction})
	b.ReportAllocs()
	for b.Loop() {
		d, err := runWith(b, "aws", program)
		if err != nil {
			b.Fatal(err)
		}
		if len(d.res) < 30 {
			b.Fatalf("%d resources registered", len(d.res))
		}
	}
}

// TestFailedFunctionBuild: when the function cannot be built, the program fails with the
// build's error and registers nothing.
func TestFailedFunctionBuild(t *testing.T) {
	s := settings(t, nil)
	t.Chdir(t.TempDir()) // no go.mod above: the bundle has no module to build
	d, err := runWith(t, "aws", infra.Program(infra.ProgramOptions{Settings: &s}))
	if err == nil || !strings.Contains(err.Error(), "build the age-check function") {
		t.Fatalf("error %v, want the function build's error", err)
	}
	if len(d.res) != 0 {
		t.Errorf("%d resources registered, want none", len(d.res))
	}
}

// TestComponentOutputs reads the component's exported outputs as a caller would.
func TestComponentOutputs(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	var mu sync.Mutex
	_, err := runWith(t, "aws", func(ctx *pulumi.Context) error {
		n, err := infra.NewKeyAgeNotifier(ctx, infra.ComponentName, &infra.KeyAgeNotifierArgs{Settings: config.MustCheck(config.Defaults()), Function: dummyFunction})
		if err != nil {
			return err
		}
		for name, o := range map[string]pulumi.StringOutput{
			"topicArn": n.TopicArn, "alarmTopicArn": n.AlarmTopicArn, "stateMachineArn": n.StateMachineArn,
			"stateMachineName": n.StateMachineName, "functionName": n.FunctionName, "functionArn": n.FunctionArn,
			"scheduleName": n.ScheduleName, "scheduleGroupName": n.ScheduleGroupName,
			"functionLogGroupName": n.FunctionLogGroupName, "stateMachineLogGroupName": n.StateMachineLogGroupName,
			"deadLetterQueueUrl": n.DeadLetterQueueURL,
		} {
			o.ApplyT(func(v string) string {
				mu.Lock()
				defer mu.Unlock()
				got[name] = v
				return v
			})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	want := map[string]string{
		"topicArn": findingsARN, "alarmTopicArn": alarmsARN, "stateMachineArn": machineARN,
		"stateMachineName": machineName, "functionName": functionName, "functionArn": functionARN,
		"scheduleName": "keyage-dev-scan", "scheduleGroupName": "keyage-dev",
		"functionLogGroupName": "/aws/lambda/" + functionName, "stateMachineLogGroupName": "/aws/vendedlogs/states/" + machineName,
		"deadLetterQueueUrl": "https://sqs." + region + ".amazonaws.com/" + account + "/" + deadLetterQueue,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("output %s = %q, want %q", k, got[k], w)
		}
	}
}
