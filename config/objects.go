package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// decodeObjects reads v, the value of key, as a list of JSON objects (a null item is nil). It
// reports a v that is no such list (allowed says what is); ok is false then.
func decodeObjects(p *problems, key, v, allowed string) (objs []map[string]json.RawMessage, ok bool) {
	if err := decodeJSON(v, &objs); err != nil {
		p.add(key, v, "is not a list of objects", allowed)
		return nil, false
	}
	return objs, true
}

// itemPath names item i of the list at key.
func itemPath(key string, i int) string { return fmt.Sprintf("%s[%d]", key, i) }

// nullItem reports obj, the list item at path, when it is null (want says what an item is),
// and says whether it was.
func nullItem(p *problems, path string, obj map[string]json.RawMessage, want string) bool {
	if obj == nil {
		p.add(path, "null", "is not an object", want)
	}
	return obj == nil
}

// unknownFields reports each field of obj that is not one of fields, at path.field and in
// sorted order, as "is not <what>", and removes it from obj, so that what reads obj next sees
// known fields only.
func unknownFields(p *problems, path string, obj map[string]json.RawMessage, fields []string, what string) {
	for _, f := range slices.Sorted(maps.Keys(obj)) {
		if !slices.Contains(fields, f) {
			p.add(path+"."+f, rawText(obj[f]), "is not "+what, "one of "+strings.Join(fields, ", "))
			delete(obj, f)
		}
	}
}
