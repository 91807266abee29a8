package preview

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keyage/keyage/internal/awsid"
	"github.com/keyage/keyage/lambda/agecheck"
)

// Account is an AWS account's IAM users and access keys as an account file describes them: what
// ListUsers, ListAccessKeys and GetAccessKeyLastUsed would return, plus the instant to judge at.
// The format is documented in the README ("Preview a notification"); sample-account.json is the
// example and the built-in sample.
type Account struct {
	// AccountID is the 12-digit account ID the messages name; default SampleAccountID.
	AccountID string `json:"account,omitempty"`
	// Now is the instant the keys are judged at (RFC 3339); default: the current time.
	Now string `json:"now,omitempty"`
	// RootAccessKeys is whether the root user has access keys: GetAccountSummary's
	// AccountAccessKeysPresent, 1 when true. Absent: no root keys.
	RootAccessKeys bool   `json:"rootAccessKeys,omitempty"`
	Users          []User `json:"users"`
}

// User is one IAM user.
type User struct {
	UserName string `json:"userName"`
	// Path is the user's IAM path ("/" when absent). The messages never show it: the function
	// gets user names only. It is here so that a description copied from ListUsers is accepted.
	Path string `json:"path,omitempty"`
	Keys []Key  `json:"keys,omitempty"`
	// Deleted: the user was deleted between ListUsers and ListAccessKeys (skipped, counted).
	Deleted bool `json:"deleted,omitempty"`
	// Unreadable: ListAccessKeys failed after its retries with this error (the user is unchecked).
	Unreadable *Unreadable `json:"unreadable,omitempty"`
	// Tags are the user's tags (ListUserTags), where the owner is read (ownerTagKeys).
	Tags map[string]string `json:"tags,omitempty"`
}

// Key is one access key.
type Key struct {
	AccessKeyID string `json:"accessKeyId"`
	Status      string `json:"status"`     // Active, Inactive or Expired
	CreateDate  string `json:"createDate"` // ISO 8601 with an offset
	// LastUsed is what GetAccessKeyLastUsed returns; absent when the key was never used.
	LastUsed *LastUsed `json:"lastUsed,omitempty"`
}

// LastUsed is a key's last use.
type LastUsed struct {
	Date    string `json:"date"`              // ISO 8601 with an offset
	Service string `json:"service,omitempty"` // e.g. s3
	Region  string `json:"region,omitempty"`  // e.g. eu-west-1
}

// Unreadable is the error a user's ListAccessKeys failed with, as a Catch hands it over.
type Unreadable struct {
	Error string `json:"error"`           // e.g. Iam.IamException
	Cause string `json:"cause,omitempty"` // the service's message
}

// SampleAccountID is the account ID of the sample and of account files that name none.
const SampleAccountID = "123456789012"

//go:embed sample-account.json
var sampleAccount []byte

// Sample returns the built-in sample account (sample-account.json): a stale key never used, a
// stale key in use, one due soon, an exempt user, an inactive key, a user whose keys could not
// be read, a user deleted during the scan, and a user with a long path.
func Sample() Account {
	a, err := ParseAccount(sampleAccount)
	if err != nil {
		panic("preview: the built-in sample account is invalid: " + err.Error())
	}
	return a
}

// maxKeysPerUser is IAM's limit on a user's access keys.
const maxKeysPerUser = 2

// accessKeyIDPattern is IAM's form of an access key ID (IAM API reference: AccessKeyMetadata).
var accessKeyIDPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)

const timestampAllowed = `an ISO 8601 timestamp with an offset, e.g. "2026-05-01T09:12:00Z"`

// ParseAccount decodes and checks an account file. Its error names every problem, one a line:
// the field (as users[2].keys[0].createDate), the value and what is allowed; fields the format
// does not have are problems too, listed with the rest.
func ParseAccount(data []byte) (Account, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var a Account
	if err := dec.Decode(&a); err != nil {
		return Account{}, describeDecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Account{}, errors.New("more than one JSON value: want one object {\"account\", \"now\", \"users\"}")
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return Account{}, describeDecodeError(err)
	}
	ps := unknownFields(doc, reflect.TypeFor[Account](), "")
	if ps = append(ps, a.problems()...); len(ps) > 0 {
		return Account{}, ps
	}
	return a, nil
}

// unknownFields lists the fields of the decoded JSON value v that the Go type t (an account
// file's struct, or a pointer or slice of one) has no json tag for, at path.
func unknownFields(v any, t reflect.Type, path string) problems {
	var ps problems
	switch t.Kind() {
	case reflect.Pointer:
		return unknownFields(v, t.Elem(), path)
	case reflect.Slice:
		items, _ := v.([]any)
		for i, item := range items {
			ps = append(ps, unknownFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
	case reflect.Struct:
		obj, _ := v.(map[string]any)
		fields := map[string]reflect.Type{}
		var names []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields[name] = f.Type
			names = append(names, name)
		}
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			field := strings.TrimPrefix(path+"."+k, ".")
			ft, ok := fields[k]
			if !ok {
				ps.add(field, "unknown field", "only the fields "+strings.Join(names[:len(names)-1], ", ")+" and "+names[len(names)-1])
				continue
			}
			ps = append(ps, unknownFields(obj[k], ft, field)...)
		}
	}
	return ps
}

// describeDecodeError names the field a JSON decoding error is about.
func describeDecodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "the file"
		}
		return fmt.Errorf("%s: a JSON %s: want %s", field, typeErr.Value, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("not valid JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("not valid JSON: it ends before the object is complete")
	case errors.Is(err, io.EOF):
		return errors.New("empty: want one JSON object {\"account\", \"now\", \"users\"}")
	}
	return fmt.Errorf("not decodable: %w", err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "ptr":
		return "an object"
	}
	return "a " + goKind
}

// problems collects "field: value: want allowed" lines; as an error, it counts and lists them.
type problems []string

func (ps *problems) add(field, value, allowed string) {
	*ps = append(*ps, fmt.Sprintf("%s: %s: want %s", field, value, allowed))
}

// Error counts the problems and lists them, one a line.
func (ps problems) Error() string {
	noun := "problems"
	if len(ps) == 1 {
		noun = "problem"
	}
	return fmt.Sprintf("%d %s:\n  %s", len(ps), noun, strings.Join(ps, "\n  "))
}

// problems checks the decoded account against IAM's rules and the file format's.
func (a *Account) problems() problems {
	var ps problems
	if a.AccountID != "" && !awsid.IsAccountID(a.AccountID) {
		ps.add("account", fmt.Sprintf("%q", a.AccountID), "a 12-digit AWS account ID")
	}
	if a.Now != "" {
		if _, err := agecheck.ParseTime(a.Now); err != nil {
			ps.add("now", fmt.Sprintf("%q", a.Now), timestampAllowed)
		}
	}
	if a.Users == nil {
		ps.add("users", "absent", "an array of users (it may be empty)")
	}
	names := map[string]int{}
	keyIDs := map[string]string{}
	for i, u := range a.Users {
		field := fmt.Sprintf("users[%d]", i)
		if !awsid.IsUserName(u.UserName) {
			ps.add(field+".userName", fmt.Sprintf("%q", u.UserName),
				fmt.Sprintf("an IAM user name: 1..%d letters, digits and +=,.@_-", awsid.MaxNameLength))
		} else if j, dup := names[strings.ToLower(u.UserName)]; dup {
			ps.add(field+".userName", fmt.Sprintf("%q", u.UserName),
				fmt.Sprintf("a name no other user has (users[%d] has it; IAM compares names case-insensitively)", j))
		} else {
			names[strings.ToLower(u.UserName)] = i
		}
		if u.Path != "" && !awsid.IsPath(u.Path) {
			ps.add(field+".path", fmt.Sprintf("%q", u.Path),
				fmt.Sprintf("an IAM path of 1..%d characters: / alone, or printable ASCII without spaces between two slashes", awsid.MaxPathLength))
		}
		if u.Deleted && (u.Unreadable != nil || len(u.Keys) > 0) {
			ps.add(field+".deleted", "true", "no keys and no unreadable error for a deleted user")
		}
		if u.Unreadable != nil {
			if len(u.Keys) > 0 {
				ps.add(field+".unreadable", "set", "no keys for a user whose keys could not be read")
			}
			if u.Unreadable.Error == "" {
				ps.add(field+".unreadable.error", `""`, `the error's name, e.g. "Iam.IamException"`)
			}
		}
		if len(u.Keys) > maxKeysPerUser {
			ps.add(field+".keys", fmt.Sprintf("%d keys", len(u.Keys)), fmt.Sprintf("at most %d (IAM's limit per user)", maxKeysPerUser))
		}
		for j, k := range u.Keys {
			kf := fmt.Sprintf("%s.keys[%d]", field, j)
			if !accessKeyIDPattern.MatchString(k.AccessKeyID) {
				ps.add(kf+".accessKeyId", fmt.Sprintf("%q", k.AccessKeyID), "an access key ID: 16..128 upper-case letters and digits")
			} else if other, dup := keyIDs[k.AccessKeyID]; dup {
				ps.add(kf+".accessKeyId", fmt.Sprintf("%q", k.AccessKeyID), "an ID no other key has ("+other+" has it)")
			} else {
				keyIDs[k.AccessKeyID] = kf
			}
			switch k.Status {
			case agecheck.StatusActive, agecheck.StatusInactive, agecheck.StatusExpired:
			default:
				ps.add(kf+".status", fmt.Sprintf("%q", k.Status),
					fmt.Sprintf("%q, %q or %q", agecheck.StatusActive, agecheck.StatusInactive, agecheck.StatusExpired))
			}
			if _, err := agecheck.ParseTime(k.CreateDate); err != nil {
				ps.add(kf+".createDate", fmt.Sprintf("%q", k.CreateDate), timestampAllowed)
			}
			if k.LastUsed != nil {
				if _, err := agecheck.ParseTime(k.LastUsed.Date); err != nil {
					ps.add(kf+".lastUsed.date", fmt.Sprintf("%q", k.LastUsed.Date), timestampAllowed+" (leave lastUsed out for a key never used)")
				}
			}
		}
	}
	return ps
}

// now returns the instant to judge at: the file's, else fallback.
func (a Account) now(fallback time.Time) time.Time {
	if a.Now == "" {
		return fallback
	}
	t, _ := agecheck.ParseTime(a.Now) // validated
	return t
}

// accountID returns the account ID, SampleAccountID when the file names none.
func (a Account) accountID() string {
	if a.AccountID == "" {
		return SampleAccountID
	}
	return a.AccountID
}
