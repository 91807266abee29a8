package infra

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
)

// LoadSettings reads the stack's settings in a running Pulumi program and checks them with
// config.ParseConfig. The context answers only for keys asked by name, so the rest (misspelt
// keys, a misspelt namespace) are found in PULUMI_CONFIG, the variable the engine fills the
// context from: a typo fails the deployment instead of being ignored. Settings written at the
// top level of the stack file, which Pulumi drops, are found in the file itself
// (config.MisplacedSettings, in the project directory the engine names).
func LoadSettings(ctx *pulumi.Context) (config.Checked, error) {
	all, err := configEnv(os.Getenv(pulumi.EnvConfig))
	if err != nil {
		return config.Checked{}, err
	}
	keys := []string{config.RegionKey}
	for _, k := range config.Keys() {
		keys = append(keys, config.Namespace+":"+k.Name)
	}
	for _, k := range keys {
		if v, ok := ctx.GetConfig(k); ok {
			all[k] = v
		}
	}
	// Settings written outside config: never reach the context: the stack file tells.
	var misplaced error
	if dir := ctx.RootDirectory(); dir != "" {
		misplaced = config.MisplacedSettings(dir, ctx.Stack())
	}
	checked, err := config.ParseConfig(all)
	if err := errors.Join(misplaced, err); err != nil {
		return config.Checked{}, err
	}
	return checked, nil
}

func configEnv(env string) (map[string]string, error) {
	all := map[string]string{}
	if strings.TrimSpace(env) == "" {
		return all, nil
	}
	if err := json.Unmarshal([]byte(env), &all); err != nil {
		return nil, fmt.Errorf("%s: not a JSON object of strings: %w", pulumi.EnvConfig, err)
	}
	return all, nil
}
