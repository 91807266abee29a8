package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/internal/modroot"
	"github.com/keyage/keyage/lambda/agecheck"

	"gopkg.in/yaml.v3"
)

// projectConfig is the config section of Pulumi.yaml.
type projectConfig map[string]struct {
	Type        string                 `yaml:"type"`
	Items       *struct{ Type string } `yaml:"items"`
	Default     any                    `yaml:"default"`
	Description string                 `yaml:"description"`
}

func readProjectConfig(t *testing.T) projectConfig {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(modroot.MustFind(t), "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var project struct {
		Name   string        `yaml:"name"`
		Config projectConfig `yaml:"config"`
	}
	if err := yaml.Unmarshal(data, &project); err != nil {
		t.Fatalf("Pulumi.yaml: %v", err)
	}
	if project.Name != Namespace {
		t.Fatalf("Pulumi.yaml name = %q, want %q (the config namespace)", project.Name, Namespace)
	}
	return project.Config
}

// TestPulumiYAMLDeclaresEveryKey: Pulumi.yaml declares each setting once, with the type Parse
// expects and a description, and nothing else in keyage's namespace.
func TestPulumiYAMLDeclaresEveryKey(t *testing.T) {
	declared := readProjectConfig(t)
	var names []string
	for k := range declared {
		names = append(names, strings.TrimPrefix(k, Namespace+":"))
	}
	var want []string
	for _, k := range Keys() {
		want = append(want, k.Name)
		d, ok := declared[Namespace+":"+k.Name]
		if !ok {
			t.Errorf("Pulumi.yaml does not declare %s:%s", Namespace, k.Name)
			continue
		}
		if d.Type != k.Type {
			t.Errorf("Pulumi.yaml %s type = %q, want %q", k.Name, d.Type, k.Type)
		}
		items := ""
		if d.Items != nil {
			items = d.Items.Type
		}
		if items != k.ItemsType {
			t.Errorf("Pulumi.yaml %s items type = %q, want %q", k.Name, items, k.ItemsType)
		}
		if d.Description == "" {
			t.Errorf("Pulumi.yaml %s has no description", k.Name)
		}
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("Pulumi.yaml declares %v, want %v", names, want)
	}
}

// TestPulumiYAMLDefaultsEqualDefaults: Pulumi applies Pulumi.yaml's defaults on deploy; mocks and
// offline commands apply Defaults(). Both must give the same settings, and a setting without a
// declared default must be the zero value in Defaults().
func TestPulumiYAMLDefaultsEqualDefaults(t *testing.T) {
	declared := readProjectConfig(t)
	var got Settings // zero: only declared defaults fill it
	var p problems
	for _, st := range settings {
		d := declared[Namespace+":"+st.Name]
		if d.Default == nil {
			continue
		}
		text, err := configText(d.Default)
		if err != nil {
			t.Fatalf("Pulumi.yaml %s default: %v", st.Name, err)
		}
		st.decode(&p, &got, text)
	}
	if err := p.err(); err != nil {
		t.Fatalf("Pulumi.yaml defaults are invalid: %v", err)
	}
	if want := Defaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("Pulumi.yaml defaults give\n%+v\nwant Defaults()\n%+v", got, want)
	}
}

func TestStackFilesLoad(t *testing.T) {
	root := modroot.MustFind(t)
	for _, stack := range []string{"dev", "prod"} {
		t.Run(stack, func(t *testing.T) {
			c, err := LoadStackFile(root, stack)
			if err != nil {
				t.Fatalf("LoadStackFile(%s): %v", stack, err)
			}
			s := c.Settings()
			if len(s.Subscriptions) == 0 || len(s.AlarmSubscriptions) == 0 {
				t.Errorf("%s has %d subscriptions and %d alarm subscriptions, want both", stack, len(s.Subscriptions), len(s.AlarmSubscriptions))
			}
			if c, err := s.Check(time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)); err != nil || !c.DeadMansSwitch.Enabled || len(c.Warnings) != 0 {
				t.Errorf("%s: Check = %+v, %v; want the no-run alarm (a gap CloudWatch can watch) and no warnings", stack, c, err)
			}
		})
	}

	checked, err := LoadStackFile(root, "prod")
	if err != nil {
		t.Fatal(err)
	}
	prod := checked.Settings()
	if ex := prod.Exemptions.List; prod.MaxAgeDays != 90 || prod.WarnAgeDays != 75 || len(ex) != 1 ||
		!slices.Contains(ex[0].Users, "break-glass-*") || ex[0].Until.String() != "2030-12-31" {
		t.Errorf("prod = %d/%d days exempting %+v, want 90/75 exempting break-glass-* until 2030-12-31", prod.MaxAgeDays, prod.WarnAgeDays, ex)
	}
	protocols := map[string]bool{}
	filtered := false
	for _, s := range prod.Subscriptions {
		protocols[s.Protocol] = true
		filtered = filtered || strings.Contains(s.FilterPolicy, `"severity"`)
	}
	if !protocols["email"] || !protocols["https"] || !protocols["sqs"] || !filtered {
		t.Errorf("prod subscriptions %+v, want email, https and sqs with a filter on severity", prod.Subscriptions)
	}
}

func writeStack(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.test.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestReadStackFileConvertsLikePulumi(t *testing.T) {
	dir := writeStack(t, `
secretsprovider: passphrase
encryptedkey: abc
config:
  aws:region: eu-west-1
  aws:secretKey:
    secure: v1:AAAA
  keyage:maxAgeDays: 30
  keyage:scheduleEnabled: false
  keyage:schedule: cron(0 8 * * ? *)
  keyage:exemptUsers: [alice, "bob-*"]
  keyage:tags:
    team: security
    cost: 4711
  keyage:subscriptions:
    - protocol: sqs
      endpoint: arn:aws:sqs:eu-west-1:123456789012:q
      rawMessageDelivery: true
      filterPolicy: {severity: [stale]}
`)
	got, err := ReadStackFile(dir, "test")
	if err != nil {
		t.Fatalf("ReadStackFile: %v", err)
	}
	want := map[string]string{
		"aws:region":             "eu-west-1",
		"aws:secretKey":          `{"secure":"v1:AAAA"}`, // another package's secret: passed on, never read
		"keyage:maxAgeDays":      "30",
		"keyage:scheduleEnabled": "false",
		"keyage:schedule":        "cron(0 8 * * ? *)",
		"keyage:exemptUsers":     `["alice","bob-*"]`,
		"keyage:tags":            `{"cost":4711,"team":"security"}`,
		"keyage:subscriptions":   `[{"endpoint":"arn:aws:sqs:eu-west-1:123456789012:q","filterPolicy":{"severity":["stale"]},"protocol":"sqs","rawMessageDelivery":true}]`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadStackFile\n got %v\nwant %v", got, want)
	}

	// A tag value must be a string: YAML's 4711 is a number, as Pulumi would pass it.
	_, err = LoadStackFile(dir, "test")
	wantErr := `Pulumi.test.yaml: tags["cost"]: 4711 is not a string: want a string: quote numbers and booleans, such as "4711"`
	if err == nil || err.Error() != wantErr {
		t.Errorf("LoadStackFile error = %v, want %q", err, wantErr)
	}
	var se *SettingError
	if !errors.As(err, &se) || se.Key != `tags["cost"]` {
		t.Errorf("errors.As(%v, *SettingError) = %v, want the error of tags[\"cost\"]", err, se)
	}
}

func TestReadStackFileErrors(t *testing.T) {
	t.Run("missing file names the path", func(t *testing.T) {
		dir := t.TempDir()
		_, err := LoadStackFile(dir, "staging")
		path := filepath.Join(dir, "Pulumi.staging.yaml")
		if err == nil || !strings.Contains(err.Error(), path) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("LoadStackFile(missing) error = %v, want one naming %s and wrapping os.ErrNotExist", err, path)
		}
	})
	t.Run("missing file lists the stacks that have one", func(t *testing.T) {
		dir := t.TempDir()
		for _, stack := range []string{"dev", "prod"} {
			if err := os.WriteFile(filepath.Join(dir, "Pulumi."+stack+".yaml"), []byte("config: {}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := ReadStackFile(dir, "prdo")
		want := "stack file " + filepath.Join(dir, "Pulumi.prdo.yaml") + ": file does not exist: " +
			"want the name of a stack that has one (dev, prod), or create it (copy Pulumi.dev.yaml)"
		if err == nil || err.Error() != want {
			t.Errorf("ReadStackFile(missing) error = %v, want %q", err, want)
		}
	})
	t.Run("stack name with a path", func(t *testing.T) {
		_, err := LoadStackFile(t.TempDir(), "../prod")
		if err == nil || err.Error() != `stack name "../prod": want the short name of the stack, such as dev (also for org/project/dev), without path separators` {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("secrets cannot be checked offline", func(t *testing.T) {
		dir := writeStack(t, `
config:
  keyage:schedule:
    secure: v1:AAAA
  keyage:subscriptions:
    - protocol: https
      endpoint:
        secure: v1:BBBB
`)
		_, err := ReadStackFile(dir, "test")
		var secret *SecretError
		if !errors.As(err, &secret) {
			t.Fatalf("error = %v, want *SecretError", err)
		}
		want := "Pulumi.test.yaml: schedule is a secret (secure:), which offline commands cannot decrypt: store it in clear text, " +
			"or check the stack with `pulumi preview`, which decrypts it\n" +
			"Pulumi.test.yaml: subscriptions[0].endpoint is a secret (secure:), which offline commands cannot decrypt: store it in clear text, " +
			"or check the stack with `pulumi preview`, which decrypts it"
		if err.Error() != want {
			t.Errorf("error:\n got %s\nwant %s", err, want)
		}
	})
	t.Run("key without namespace", func(t *testing.T) {
		dir := writeStack(t, "config:\n  maxAgeDays: 30\n")
		_, err := ReadStackFile(dir, "test")
		want := `Pulumi.test.yaml: config key "maxAgeDays" is not of the form namespace:name: want keyage:maxAgeDays`
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want %q", err, want)
		}
	})
	t.Run("unknown key without namespace", func(t *testing.T) {
		dir := writeStack(t, "config:\n  region: eu-west-1\n")
		_, err := ReadStackFile(dir, "test")
		want := `Pulumi.test.yaml: config key "region" is not of the form namespace:name: want a key such as keyage:maxAgeDays or aws:region`
		if err == nil || err.Error() != want {
			t.Errorf("error = %v, want %q", err, want)
		}
	})
	t.Run("not YAML", func(t *testing.T) {
		dir := writeStack(t, "config: [unclosed\n")
		if _, err := ReadStackFile(dir, "test"); err == nil || !strings.HasPrefix(err.Error(), "parse stack file ") {
			t.Errorf("error = %v, want parse stack file ...", err)
		}
	})
	t.Run("invalid values are all reported", func(t *testing.T) {
		dir := writeStack(t, "config:\n  keyage:maxAgeDays: 0\n  keyage:logLevel: OFF\n  keyage:warnAgeDays:\n")
		_, err := LoadStackFile(dir, "test")
		want := "Pulumi.test.yaml: maxAgeDays: 0 is out of range: want an integer from 1 to 3650\n" +
			`warnAgeDays: null (the key has no value) is not an integer: want an integer from 1 to 3649` + "\n" +
			`logLevel: "OFF" is not allowed: it turns execution logging off, which fails Security Hub control StepFunctions.1: want ALL, ERROR or FATAL`
		if err == nil || err.Error() != want {
			t.Errorf("error:\n got %v\nwant %s", err, want)
		}
	})
}

// TestPulumiYAMLStatesTheLimits: Pulumi.yaml's description of each bounded list (and of the role
// path) states its limit, the number the rule set enforces.
func TestPulumiYAMLStatesTheLimits(t *testing.T) {
	declared := readProjectConfig(t)
	for key, limit := range map[string]int{
		"exemptUsers":        agecheck.MaxExemptUsers,
		"subscriptions":      MaxSubscriptions,
		"alarmSubscriptions": MaxSubscriptions,
		"tags":               MaxUserTags,
		"rolePath":           MaxRolePathLength,
	} {
		d := declared[Namespace+":"+key].Description
		if !strings.Contains(d, fmt.Sprintf("at most %d", limit)) && !strings.Contains(d, fmt.Sprintf("to %d", limit)) {
			t.Errorf("Pulumi.yaml %s: description %q does not state the limit %d", key, d, limit)
		}
	}
}

// TestMisplacedSettings: what the program checks of the stack file itself: a keyage setting at
// the top level (which Pulumi drops) is an error; a stack without a file has nothing misplaced.
func TestMisplacedSettings(t *testing.T) {
	dir := t.TempDir()
	if err := MisplacedSettings(dir, "absent"); err != nil {
		t.Errorf("MisplacedSettings(no file) = %v, want nil", err)
	}
	body := "maxAgeDays: 30\nconfig:\n  keyage:warnAgeDays: 10\n"
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.x.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	err := MisplacedSettings(dir, "x")
	want := `Pulumi.x.yaml: "maxAgeDays" is at the top level of the file, where Pulumi ignores it: want it under config:, as keyage:maxAgeDays`
	if err == nil || err.Error() != want {
		t.Errorf("MisplacedSettings = %v, want %q", err, want)
	}
}
