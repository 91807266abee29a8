package infra

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
)

// ComponentName is the name the keyage program gives its one notifier.
const ComponentName = "keyage"

// ProgramOptions change what Program reads; the zero value is the deployed program.
type ProgramOptions struct {
	// Settings, when set, are used instead of the stack's configuration (the command line
	// renders a stack file this way).
	Settings *config.Checked
	// Function, when set, is used instead of building the function (tests pass a prebuilt
	// package).
	Function FunctionPackage
	// ModuleRoot, when set and Function is not, is the module the function is built from
	// instead of the one at or above the working directory (the command line builds from its
	// --dir this way).
	ModuleRoot string
	// Observe, when set, is called with the notifier once it is built (the command line reads
	// its warnings this way).
	Observe func(*KeyAgeNotifier)
}

// Program is keyage's Pulumi program, the one main.go runs: load the stack's settings, build the
// component they select (deploy: the notifier, or the member role), export its outputs. Invalid
// settings fail it before any resource is registered.
func Program(opts ProgramOptions) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		var s config.Checked
		if opts.Settings != nil {
			s = *opts.Settings
		} else {
			var err error
			if s, err = LoadSettings(ctx); err != nil {
				return fmt.Errorf("stack %s settings: %w", ctx.Stack(), err)
			}
		}
		if s.Settings().Component.Deploy == config.DeployMember {
			return memberProgram(ctx, s)
		}
		fn := opts.Function
		if fn.IsZero() && opts.ModuleRoot != "" {
			var err error
			if fn, err = buildFunction(ctx.Context(), opts.ModuleRoot); err != nil {
				return fmt.Errorf("keyage notifier %q: %w", ComponentName, err)
			}
		}
		n, err := NewKeyAgeNotifier(ctx, ComponentName, &KeyAgeNotifierArgs{Settings: s, Function: fn})
		if err != nil {
			return err
		}
		if opts.Observe != nil {
			opts.Observe(n)
		}
		for _, o := range n.exports() {
			ctx.Export(o.name, o.value)
		}
		return nil
	}
}

// memberProgram builds a member stack: the member role, its ARN and name exported.
func memberProgram(ctx *pulumi.Context, s config.Checked) error {
	m, err := NewKeyAgeMember(ctx, ComponentName, &KeyAgeMemberArgs{Settings: s})
	if err != nil {
		return err
	}
	for _, o := range m.outputs() {
		ctx.Export(o.export, o.value)
	}
	return nil
}
