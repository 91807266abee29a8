package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPhysicalName(t *testing.T) {
	long := strings.Repeat("x", 70)
	cases := []struct {
		name, base, suffix string
		max                int
		want               string
	}{
		{"fits", "keyage-dev", "agecheck", 64, "keyage-dev-agecheck"},
		{"no suffix", "keyage-dev", "", 80, "keyage-dev"},
		{"too long: the base is cut, the suffix kept", long, "agecheck", 64, strings.Repeat("x", 46) + "-agecheck-" + hash8(long+"-agecheck")},
		{"too long without suffix", long, "", 64, strings.Repeat("x", 55) + "-" + hash8(long)},
		{"no room for the base", "keyage-dev", "scheduler-policy", 20, "keyage-dev-" + hash8("keyage-dev-scheduler-policy")},
		{"replaced characters with suffix", "keyage-team.prod", "machine-role", 64, "keyage-team-prod-machine-role-" + hash8("keyage-team.prod-machine-role")},
		{"replaced characters", "keyage-team.prod", "", 80, "keyage-team-prod-" + hash8("keyage-team.prod")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := physicalName(c.base, c.suffix, c.max)
			if got != c.want {
				t.Errorf("physicalName(%q, %q, %d) = %q, want %q", c.base, c.suffix, c.max, got, c.want)
			}
			if len(got) > c.max {
				t.Errorf("physicalName(%q, %q, %d) is %d bytes, over %d", c.base, c.suffix, c.max, len(got), c.max)
			}
		})
	}
	// Names that sanitize alike stay apart.
	if a, b := physicalName("a.b", "", 64), physicalName("a-b", "", 64); a == b {
		t.Errorf("a.b and a-b both named %q", a)
	}
}

// TestNamesForKeepsEachServicesLimit: with a component and stack far too long for any service,
// every name is within its service's limit, starts with as much of "<component>-<stack>" as
// fits before its suffix, keeps the suffix and ends with a hash; the names of one stack stay
// distinct.
func TestNamesForKeepsEachServicesLimit(t *testing.T) {
	component, stack := "keyage", strings.Repeat("s", 300)
	n := namesFor(component, stack)
	// Names must differ within a service; across services they may be the same.
	seen := map[string]string{}
	for _, c := range []struct {
		service, what, name, suffix string
		max                         int
	}{
		{"lambda", "function", n.function, "agecheck", maxFunctionName},
		{"states", "state machine", n.machine, "", maxStateMachineName},
		{"scheduler", "schedule group", n.scheduleGroup, "", maxScheduleName},
		{"scheduler", "schedule", n.schedule, "scan", maxScheduleName},
		{"cloudwatch", "alarm prefix", n.alarmPrefix, "", maxAlarmNamePrefix},
		{"kms", "key alias", strings.TrimPrefix(n.keyAlias, "alias/"), "", maxKeyAliasName},
		{"iam", "machine role", n.machineRole, "machine-role", 64},
		{"iam", "function role", n.functionRole, "function-role", 64},
		{"iam", "scheduler role", n.schedulerRole, "scheduler-role", 64},
		{"iam policy", "machine policy", n.machinePolicy, "machine-policy", 128},
		{"iam policy", "function policy", n.functionPolicy, "function-policy", 128},
		{"iam policy", "scheduler policy", n.schedulerPolicy, "scheduler-policy", 128},
		{"sns", "findings topic", n.findingsTopic, "findings", 256},
		{"sns", "alarm topic", n.alarmTopic, "alarms", 256},
		{"sqs", "dead-letter queue", n.deadLetterQueue, "schedule-dlq", 80},
	} {
		if len(c.name) > c.max {
			t.Errorf("%s: %q is %d bytes, over %d", c.what, c.name, len(c.name), c.max)
		}
		tail := "-" + c.suffix
		if c.suffix == "" {
			tail = ""
		}
		if keep := c.max - len(tail) - physicalHashLength - 1; !strings.HasPrefix(c.name, (component + "-" + stack)[:keep]) {
			t.Errorf("%s: %q does not start with the first %d bytes of %s-<stack>", c.what, c.name, keep, component)
		}
		if i := len(c.name) - physicalHashLength - 1; i < 0 || c.name[i] != '-' || !strings.HasSuffix(c.name[:i], tail) {
			t.Errorf("%s: %q does not end with %q and a hash", c.what, c.name, tail)
		}
		key := c.service + " " + c.name
		if other, dup := seen[key]; dup {
			t.Errorf("%s and %s share the name %q", c.what, other, c.name)
		}
		seen[key] = c.what
	}
	short := namesFor("keyage", "prod")
	got := []string{short.machineRole, short.functionPolicy, short.findingsTopic, short.alarmTopic, short.deadLetterQueue}
	want := []string{"keyage-prod-machine-role", "keyage-prod-function-policy", "keyage-prod-findings", "keyage-prod-alarms", "keyage-prod-schedule-dlq"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names for keyage-prod: %v, want %v", got, want)
	}
}

func hash8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

func TestPolicyDocumentJSON(t *testing.T) {
	doc := trustPolicy("states.amazonaws.com", "111122223333", "arn:aws:states:us-east-1:111122223333:stateMachine:m")
	doc.Statement = append(doc.Statement, denyInsecureTransport([]string{"sns:Publish"}, "arn:aws:sns:us-east-1:111122223333:t"))
	got, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AssumedByServiceForThisResourceOnly","Effect":"Allow","Principal":{"Service":["states.amazonaws.com"]},"Action":["sts:AssumeRole"],` +
		`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:states:us-east-1:111122223333:stateMachine:m"},"StringEquals":{"aws:SourceAccount":"111122223333"}}},` +
		`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":["sns:Publish"],"Resource":["arn:aws:sns:us-east-1:111122223333:t"],` +
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	if got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
	var back PolicyDocument
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
	again, err := back.JSON()
	if err != nil || again != got {
		t.Errorf("round trip: %s (%v), want %s", again, err, got)
	}
}

func TestFunctionPackageValidate(t *testing.T) {
	zip := filepath.Join(t.TempDir(), "f.zip")
	if err := os.WriteFile(zip, []byte("zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	for _, c := range []struct {
		name string
		p    FunctionPackage
		want string
	}{
		{"good", FunctionPackage{zip, good}, ""},
		{"no path", FunctionPackage{"", good}, "ZipPath is empty"},
		{"missing zip", FunctionPackage{zip + ".gone", good}, "no such file"},
		{"bad hash", FunctionPackage{zip, "abc"}, `SHA256Base64 is "abc"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			if c.want == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// pulumiTags lists the `pulumi:"..."` tags of the fields of typ, a struct, in field order.
func pulumiTags(typ reflect.Type) []string {
	var tags []string
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("pulumi"); tag != "" {
			tags = append(tags, tag)
		}
	}
	return tags
}

// TestOutputsAreTheTaggedFields: the outputs list names every field tagged `pulumi:"..."`, in
// field order, and nothing else, so a new output field cannot be left out of
// RegisterResourceOutputs or the stack's exports.
func TestOutputsAreTheTaggedFields(t *testing.T) {
	tagged := pulumiTags(reflect.TypeFor[KeyAgeNotifier]())
	var listed, stack []string
	for _, o := range (&KeyAgeNotifier{}).outputs() {
		listed = append(listed, o.name)
		if o.stack {
			stack = append(stack, o.name)
		}
	}
	if !reflect.DeepEqual(listed, tagged) {
		t.Errorf("outputs() names %v, want the tagged fields %v", listed, tagged)
	}
	if got := StackOutputs(); !reflect.DeepEqual(got, stack) {
		t.Errorf("StackOutputs() = %v, want the outputs marked stack %v", got, stack)
	}
}

// TestLambdaArchitecture: Go's GOARCH names become Lambda's; anything else is refused, naming
// the value and what is allowed.
func TestLambdaArchitecture(t *testing.T) {
	for goarch, want := range map[string]string{"arm64": "arm64", "amd64": "x86_64"} {
		if got, err := lambdaArchitecture(goarch); err != nil || got != want {
			t.Errorf("lambdaArchitecture(%q) = %q, %v; want %q, nil", goarch, got, err, want)
		}
	}
	for _, goarch := range []string{"", "386", "x86_64", "arm"} {
		_, err := lambdaArchitecture(goarch)
		want := `GOARCH "` + goarch + `" is not one Lambda runs, want "arm64" or "amd64"`
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("lambdaArchitecture(%q): error %v, want one containing %q", goarch, err, want)
		}
	}
}
