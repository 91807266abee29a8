package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// SecretError is a keyage setting stored encrypted in a stack file: only the Pulumi CLI, with the
// stack's secrets provider, can decrypt it, so offline commands cannot check it.
type SecretError struct {
	File string // the stack file
	Key  string // the setting, with a path into structured values
}

// Error says which value is encrypted and what to do about it.
func (e *SecretError) Error() string {
	return fmt.Sprintf("%s: %s is a secret (secure:), which offline commands cannot decrypt: store it in clear text, "+
		"or check the stack with `pulumi preview`, which decrypts it", e.File, e.Key)
}

// StackFile returns the path of a stack's settings file in a project directory.
func StackFile(projectDir, stack string) string {
	return filepath.Join(projectDir, "Pulumi."+stack+".yaml")
}

// LoadStackFile reads and validates Pulumi.<stack>.yaml in projectDir the way the Pulumi CLI
// would hand it to the program (ReadStackFile, then ParseConfig): the one reader of the offline
// commands. When the file cannot be read at all, it returns ReadStackFile's error. Otherwise keys
// it could not read (an encrypted value is a *SecretError, since offline commands cannot decrypt
// it) do not stop the others from being checked, and every problem of both steps is returned in
// one *StackFileError.
func LoadStackFile(projectDir, stack string) (Checked, error) {
	values, readErr := ReadStackFile(projectDir, stack)
	if values == nil {
		return Checked{}, readErr
	}
	problems := unjoin(readErr)
	if !hidesAgeDays(problems) {
		c, parseErr := ParseConfig(values)
		if readErr == nil && parseErr == nil {
			return c, nil
		}
		problems = append(problems, unjoin(parseErr)...)
	}
	return Checked{}, &StackFileError{File: filepath.Base(StackFile(projectDir, stack)), Problems: problems}
}

// StackFileError is every problem LoadStackFile found in a stack file, in the order found.
type StackFileError struct {
	File     string  // the stack file's name
	Problems []error // each names its setting; some start with File
}

// Error names the file once, then lists the problems one a line.
func (e *StackFileError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = strings.TrimPrefix(p.Error(), e.File+": ")
	}
	return e.File + ": " + strings.Join(lines, "\n")
}

// Unwrap returns the problems, for errors.As and errors.Is.
func (e *StackFileError) Unwrap() []error { return e.Problems }

// hidesAgeDays reports whether one of problems is about a secret maxAgeDays or warnAgeDays:
// checking the other against the default in its place could report a problem the stack does not
// have.
func hidesAgeDays(problems []error) bool {
	for _, e := range problems {
		var secret *SecretError
		if errors.As(e, &secret) && (secret.Key == "maxAgeDays" || secret.Key == "warnAgeDays") {
			return true
		}
	}
	return false
}

// unjoin splits an errors.Join error into its parts; nil has none.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// pulumiStackFields are the top-level keys of a stack file that Pulumi reads (its ProjectStack).
var pulumiStackFields = []string{"config", "encryptedkey", "encryptionsalt", "environment", "mainEnvironment", "secretsprovider"}

// ReadStackFile returns the configuration of Pulumi.<stack>.yaml as the Pulumi CLI hands it to
// a program, for ParseConfig: every namespaced key ("keyage:maxAgeDays", "aws:region") with its
// value as text, structured values as JSON. The CLI's typed check lets the text of a number or
// boolean through for an integer or boolean key (a quoted "90" is 90), so this does too. It
// refuses what Pulumi would silently ignore: a setting at the top level of the file instead of
// under config:, and a key without a namespace. When single keys cannot be read (secrets, such
// keys), it returns the other keys' values with the error, so that callers can check those too.
func ReadStackFile(projectDir, stack string) (map[string]string, error) {
	if stack == "" || strings.ContainsAny(stack, `/\`) {
		return nil, fmt.Errorf("stack name %q: want the short name of the stack, such as dev (also for org/project/dev), without path separators", stack)
	}
	path := StackFile(projectDir, stack)
	file, err := readStackYAML(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("stack file %s: %w: want %s", path, fs.ErrNotExist, existingStacks(projectDir))
	}
	if err != nil {
		return nil, err
	}
	name := filepath.Base(path)
	errs := misplaced(file, name)
	var config map[string]any
	if c, ok := file["config"]; ok && c != nil {
		if config, ok = c.(map[string]any); !ok {
			return nil, fmt.Errorf("parse stack file %s: config is %T, want a mapping of keys to values", path, c)
		}
	}
	values := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(config)) {
		ns, key, ok := strings.Cut(k, ":")
		if !ok || ns == "" || key == "" {
			example := "a key such as " + Namespace + ":maxAgeDays or aws:region"
			if isKnown(k) {
				example = Namespace + ":" + k
			}
			errs = append(errs, fmt.Errorf("%s: config key %q is not of the form namespace:name: want %s", name, k, example))
			continue
		}
		v := config[k]
		if ns == Namespace || k == RegionKey {
			if p := findSecret(v, key); p != "" {
				errs = append(errs, &SecretError{File: name, Key: p})
				continue
			}
		}
		text, err := configText(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %w", name, k, err))
			continue
		}
		values[k] = text
	}
	return values, errors.Join(errs...)
}

// MisplacedSettings reports keyage settings written at the top level of Pulumi.<stack>.yaml in
// projectDir instead of under config:. Pulumi ignores them and never passes them to the program,
// so the program calls this to fail as the offline commands do (ReadStackFile reports the same)
// rather than deploy the defaults. A stack without a file there (its configuration kept
// elsewhere) has nothing misplaced.
func MisplacedSettings(projectDir, stack string) error {
	if stack == "" || strings.ContainsAny(stack, `/\`) {
		return nil
	}
	path := StackFile(projectDir, stack)
	file, err := readStackYAML(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return errors.Join(misplaced(file, filepath.Base(path))...)
}

// readStackYAML reads and decodes the stack file at path, for ReadStackFile and
// MisplacedSettings. A missing file is an error wrapping fs.ErrNotExist.
func readStackYAML(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("read stack file: %w", err)
	}
	var file map[string]any
	if err := yaml.Unmarshal(data, &file); err != nil {
		return nil, fmt.Errorf("parse stack file %s: %w", path, err)
	}
	return file, nil
}

// misplaced reports keyage settings at the top level of a stack file named name.
func misplaced(file map[string]any, name string) []error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(file)) {
		if slices.Contains(pulumiStackFields, k) {
			continue
		}
		ns, key, namespaced := strings.Cut(k, ":")
		if isKnown(k) || (namespaced && (ns == Namespace || isKnown(key))) {
			want := Namespace + ":" + key
			if !namespaced {
				want = Namespace + ":" + k
			}
			errs = append(errs, fmt.Errorf("%s: %q is at the top level of the file, where Pulumi ignores it: want it under config:, as %s", name, k, want))
		}
	}
	return errs
}

// existingStacks says which stacks have a file in projectDir, for a stack name that has none.
func existingStacks(projectDir string) string {
	files, _ := filepath.Glob(filepath.Join(projectDir, "Pulumi.*.yaml")) // the pattern is valid
	var stacks []string
	for _, f := range files {
		stacks = append(stacks, strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml"))
	}
	if len(stacks) == 0 {
		return "a Pulumi.NAME.yaml next to Pulumi.yaml (see the README's settings)"
	}
	return "the name of a stack that has one (" + strings.Join(stacks, ", ") + "), or create it (copy " + filepath.Base(files[0]) + ")"
}

// findSecret returns the path of the first encrypted value ({secure: ciphertext}) in v, or "".
func findSecret(v any, path string) string {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["secure"].(string); ok && len(v) == 1 {
			return path
		}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			if p := findSecret(v[k], path+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, item := range v {
			if p := findSecret(item, path+"["+strconv.Itoa(i)+"]"); p != "" {
				return p
			}
		}
	}
	return ""
}

// configText renders a YAML config value as the string the Pulumi CLI passes to the program:
// strings as they are, numbers and booleans as their text, lists and objects as JSON.
func configText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return "null", nil
	case bool, int, int64, uint64, float64:
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := json.Marshal(jsonable(v))
	if err != nil {
		return "", fmt.Errorf("not representable as JSON: %w", err)
	}
	return string(b), nil
}

// jsonable converts YAML's decoded maps with non-string keys into JSON objects.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = jsonable(item)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[fmt.Sprint(k)] = jsonable(item)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = jsonable(item)
		}
		return out
	case time.Time:
		// An unquoted date inside a list or object (until: 2027-03-31) is a YAML timestamp;
		// the Pulumi CLI passes its Go String() form, and so does this.
		return v.String()
	}
	return v
}
