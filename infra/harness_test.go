// Package infra_test runs keyage's real Pulumi program under mocks and asserts, resource by
// resource, the inputs that matter: what AWS would be asked to create.
package infra_test

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
)

const (
	project   = config.Namespace
	testStack = "dev"
	account   = "111122223333"
	region    = "eu-west-1"
)

// dummyFunction is a small zip standing in for the built function, so that most tests do not
// compile the function; TestRealFunctionBuild exercises the real build.
var dummyFunction infra.FunctionPackage

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keyage-infra-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	dummyFunction, err = writeDummyZip(filepath.Join(dir, "function.zip"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func writeDummyZip(path string) (infra.FunctionPackage, error) {
	f, err := os.Create(path)
	if err != nil {
		return infra.FunctionPackage{}, err
	}
	zw := zip.NewWriter(f)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "bootstrap", Method: zip.Deflate})
	if err == nil {
		_, err = w.Write([]byte("#!/bin/sh\necho not a real function\n"))
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return infra.FunctionPackage{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return infra.FunctionPackage{}, err
	}
	sum := sha256.Sum256(data)
	return infra.FunctionPackage{ZipPath: path, SHA256Base64: base64.StdEncoding.EncodeToString(sum[:])}, nil
}

// stackConfig is what PULUMI_CONFIG would hold for keyage settings given without namespace
// (as in a stack file), in the test's region.
func stackConfig(values map[string]string) map[string]string {
	all := map[string]string{"aws:region": region}
	for k, v := range values {
		all[config.Namespace+":"+k] = v
	}
	return all
}

// settings checks keyage settings (keys without namespace) with the rule set LoadSettings
// applies, failing the test when they are invalid.
func settings(t testing.TB, values map[string]string) config.Checked {
	t.Helper()
	s, err := config.ParseConfig(stackConfig(values))
	if err != nil {
		t.Fatalf("settings %v: %v", values, err)
	}
	return s
}

// setConfig puts keyage settings (keys without namespace) into PULUMI_CONFIG for this test,
// for the tests of loading settings from there: the test cannot run in parallel.
func setConfig(t testing.TB, values map[string]string) {
	t.Helper()
	b, err := json.Marshal(stackConfig(values))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(pulumi.EnvConfig, string(b))
}

// deployment is one program run under mocks.
type deployment struct {
	t     testing.TB
	mocks *infratest.Mocks
	res   []infratest.Resource
}

// runProgram runs keyage's program (the one main.go runs) with the settings given as values,
// which must be valid.
func runProgram(t testing.TB, partition string, values map[string]string) (*deployment, error) {
	t.Helper()
	s := settings(t, values)
	return runWith(t, partition, infra.Program(infra.ProgramOptions{Settings: &s, Function: dummyFunction}))
}

// runFromConfigEnv runs keyage's program as pulumi up does: the settings are loaded from
// PULUMI_CONFIG, where setConfig puts them.
func runFromConfigEnv(t testing.TB, values map[string]string) (*deployment, error) {
	t.Helper()
	setConfig(t, values)
	return runWith(t, "aws", infra.Program(infra.ProgramOptions{Function: dummyFunction}))
}

func runWith(t testing.TB, partition string, program pulumi.RunFunc) (*deployment, error) {
	t.Helper()
	return runIn(t, partition, region, account, program)
}

// runIn is runWith in another region and account.
func runIn(t testing.TB, partition, region, account string, program pulumi.RunFunc) (*deployment, error) {
	t.Helper()
	m := infratest.New(partition, region, account)
	err := m.Run(project, testStack, program)
	return &deployment{t: t, mocks: m, res: m.Resources()}, err
}

// mustRun is runProgram for settings that must deploy.
func mustRun(t testing.TB, values map[string]string) *deployment {
	t.Helper()
	d, err := runProgram(t, "aws", values)
	if err != nil {
		t.Fatalf("program failed: %v", err)
	}
	return d
}

// one returns the only resource of a type whose logical name is name.
func (d *deployment) one(typ, name string) infratest.Resource {
	d.t.Helper()
	var found []infratest.Resource
	for _, r := range d.res {
		if r.Type == typ && r.Name == name {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		d.t.Fatalf("%s %q: registered %d times, want once", typ, name, len(found))
	}
	return found[0]
}

// ofType returns every resource of a type, in registration order.
func (d *deployment) ofType(typ string) []infratest.Resource {
	var out []infratest.Resource
	for _, r := range d.res {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func (d *deployment) component() infratest.Resource {
	return d.one(infra.TypeToken, infra.ComponentName)
}

// input returns a resource's input at a dotted path ("loggingConfiguration.level") as a plain
// value, failing the test when it is absent.
func input(t testing.TB, r infratest.Resource, path string) any {
	t.Helper()
	var cur any = infratest.PlainMap(r.Inputs)
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s %q: input %s: %q is not an object", r.Type, r.Name, path, part)
		}
		if cur, ok = obj[part]; !ok {
			t.Fatalf("%s %q: input %s is missing", r.Type, r.Name, path)
		}
	}
	return cur
}

func inputString(t testing.TB, r infratest.Resource, path string) string {
	t.Helper()
	s, ok := input(t, r, path).(string)
	if !ok {
		t.Fatalf("%s %q: input %s is %v, want a string", r.Type, r.Name, path, input(t, r, path))
	}
	return s
}

func hasInput(r infratest.Resource, key string) bool {
	v, ok := r.Inputs[resource.PropertyKey(key)]
	return ok && !v.IsNull()
}

// wantInput compares one input with the value wanted.
func wantInput(t testing.TB, r infratest.Resource, path string, want any) {
	t.Helper()
	got := input(t, r, path)
	if n, ok := want.(int); ok {
		want = float64(n)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Errorf("%s %q: %s is %s, want %s", r.Type, r.Name, path, gb, wb)
	}
}

// policy parses a policy document input.
func policy(t testing.TB, r infratest.Resource, key string) infra.PolicyDocument {
	t.Helper()
	text := inputString(t, r, key)
	var doc infra.PolicyDocument
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s %q: %s is not a policy document: %v\n%s", r.Type, r.Name, key, err, text)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("%s %q: %s Version is %q, want 2012-10-17", r.Type, r.Name, key, doc.Version)
	}
	return doc
}

// statement returns the statement with a Sid, failing when there is not exactly one.
func statement(t testing.TB, r infratest.Resource, doc infra.PolicyDocument, sid string) iampolicy.Statement {
	t.Helper()
	var found []iampolicy.Statement
	for _, s := range doc.Statement {
		if s.Sid == sid {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s %q: policy has %d statements with Sid %q, want 1: %+v", r.Type, r.Name, len(found), sid, doc.Statement)
	}
	return found[0]
}

// sids returns the statements' Sids, sorted.
func sids(doc infra.PolicyDocument) []string {
	var out []string
	for _, s := range doc.Statement {
		out = append(out, s.Sid)
	}
	slices.Sort(out)
	return out
}

func equalStrings(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// arn builds an ARN in the test's region and account.
func arn(partition, service, res string) string {
	return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + res
}

// one returns a condition key's value when it has exactly one, else all of them printed, so
// that a comparison with one expected value fails.
func one(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return fmt.Sprint(values)
}
