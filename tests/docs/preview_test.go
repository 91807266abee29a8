package docs

import (
	"reflect"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/preview"
)

// TestREADMEDocumentsTheAccountFile: the README's table of the account file names every field
// ParseAccount accepts, and its example error is the one ParseAccount gives.
func TestREADMEDocumentsTheAccountFile(t *testing.T) {
	table := readmeSection(t, "| field | meaning |", "\n\n")
	var walk func(typ reflect.Type, at string)
	walk = func(typ reflect.Type, at string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct {
			return
		}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !strings.Contains(table, "`"+name) {
				t.Errorf("README.md's account file table does not name %s%s", at, name)
			}
			walk(f.Type, at+name+".")
		}
	}
	walk(reflect.TypeFor[preview.Account](), "")

	example := readmeSection(t, "is allowed, such as `", "`.\n")
	_, err := preview.ParseAccount([]byte(`{"users":[{"userName":"u","keys":[{"accessKeyId":"AKIAIOSFODNN7EXAMPLE","status":"on","createDate":"2020-01-01T00:00:00Z"}]}]}`))
	if err == nil || !strings.HasSuffix(err.Error(), "\n  "+example) {
		t.Errorf("ParseAccount with status \"on\" = %v, want README.md's example %q", err, example)
	}
}
