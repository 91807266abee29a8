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

func TestSettingsFromConfigEnv(t *testing.T) {
	checked, err := SettingsFromConfigEnv(`{"keyage:maxAgeDays":"30","keyage:exemptUsers":"[\"root-*\"]","aws:region":"eu-west-1","other:maxAgeDays":"x"}`)
	got := checked.Settings()
	if err != nil {
		t.Fatalf("SettingsFromConfigEnv error: %v", err)
	}
	want := config.Defaults()
	want.MaxAgeDays, want.ExemptUsers, want.Region = 30, []string{"root-*"}, "eu-west-1"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SettingsFromConfigEnv\n got %+v\nwant %+v", got, want)
	}

	if got, err := SettingsFromConfigEnv(""); err != nil || !reflect.DeepEqual(got.Settings(), config.Defaults()) {
		t.Errorf(`SettingsFromConfigEnv("") = %+v, %v; want config.Defaults(), nil`, got, err)
	}
	if _, err := SettingsFromConfigEnv(`["keyage:maxAgeDays"]`); err == nil || !strings.HasPrefix(err.Error(), "PULUMI_CONFIG: not a JSON object of strings: ") {
		t.Errorf("SettingsFromConfigEnv(list) error = %v, want PULUMI_CONFIG: not a JSON object of strings: ...", err)
	}
	_, err = SettingsFromConfigEnv(`{"keyage:maxAgeDays":"0","keyage:logLevl":"ALL"}`)
	want2 := "maxAgeDays: 0 is out of range: want an integer from 1 to 3650\nlogLevl: unknown setting (did you mean logLevel?): want one of " + knownKeys()
	if err == nil || err.Error() != want2 {
		t.Errorf("SettingsFromConfigEnv(invalid) error = %v, want %q", err, want2)
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
