package infra

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
)

// TestConfigEnv: what LoadSettings reads of PULUMI_CONFIG: a JSON object of strings, empty when
// unset; anything else is an error naming the variable.
func TestConfigEnv(t *testing.T) {
	if got, err := configEnv(""); err != nil || len(got) != 0 {
		t.Errorf(`configEnv("") = %v, %v; want no values`, got, err)
	}
	if _, err := configEnv(`["keyage:maxAgeDays"]`); err == nil || !strings.HasPrefix(err.Error(), "PULUMI_CONFIG: not a JSON object of strings: ") {
		t.Errorf("configEnv(list) error = %v, want PULUMI_CONFIG: not a JSON object of strings: ...", err)
	}
}

type mocks struct{}

func (mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return args.Name + "-id", args.Inputs, nil
}

func (mocks) Call(pulumi.MockCallArgs) (resource.PropertyMap, error) {
	return resource.PropertyMap{}, nil
}

func TestLoadSettings(t *testing.T) {
	run := func(env string) (config.Settings, error) {
		t.Setenv(pulumi.EnvConfig, env)
		var s config.Settings
		var loadErr error
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			var c config.Checked
			c, loadErr = LoadSettings(ctx)
			s = c.Settings()
			return nil
		}, pulumi.WithMocks("keyage", "test", mocks{}))
		if err != nil {
			t.Fatalf("pulumi.RunErr: %v", err)
		}
		return s, loadErr
	}

	s, err := run(`{"keyage:maxAgeDays":"45","keyage:scheduleTimezone":"Asia/Tokyo","aws:region":"ap-northeast-1"}`)
	want := config.Defaults()
	want.MaxAgeDays, want.ScheduleTimezone, want.Region = 45, "Asia/Tokyo", "ap-northeast-1"
	if err != nil || !reflect.DeepEqual(s, want) {
		t.Errorf("LoadSettings = %+v, %v; want %+v", s, err, want)
	}

	// Other namespaces belong to other packages; lists arrive as JSON text.
	s, err = run(`{"keyage:maxAgeDays":"30","keyage:exemptUsers":"[\"root-*\"]","aws:region":"eu-west-1","other:maxAgeDays":"x"}`)
	want = config.Defaults()
	want.MaxAgeDays, want.ExemptUsers, want.Region = 30, []string{"root-*"}, "eu-west-1"
	if err != nil || !reflect.DeepEqual(s, want) {
		t.Errorf("LoadSettings = %+v, %v; want %+v", s, err, want)
	}
	if s, err := run(""); err != nil || !reflect.DeepEqual(s, config.Defaults()) {
		t.Errorf(`LoadSettings without PULUMI_CONFIG = %+v, %v; want config.Defaults(), nil`, s, err)
	}
	_, err = run(`{"keyage:maxAgeDays":"0","keyage:logLevl":"ALL"}`)
	want2 := "maxAgeDays: 0 is out of range: want an integer from 1 to 3650\nlogLevl: unknown setting (did you mean logLevel?): want one of " + knownKeys()
	if err == nil || err.Error() != want2 {
		t.Errorf("LoadSettings(invalid) error = %v, want %q", err, want2)
	}

	_, err = run(`{"keyage:maxAgeDays":"45","keyage:maxAgeDayz":"30"}`)
	var unknown *config.UnknownKeyError
	if !errors.As(err, &unknown) || unknown.Key != "maxAgeDayz" || unknown.Suggestion != "maxAgeDays" {
		t.Errorf("LoadSettings with a typo: error = %v, want *config.UnknownKeyError for maxAgeDayz suggesting maxAgeDays", err)
	}
}

// knownKeys lists every setting, sorted, as UnknownKeyError does.
func knownKeys() string {
	var names []string
	for _, k := range config.Keys() {
		names = append(names, k.Name)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}
