package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPhysicalName(t *testing.T) {
	long := strings.Repeat("x", 70)
	cases := []struct {
		name, base, suffix string
		max                int
		want               string
	}{
		{"fits", "keyage-dev", "agecheck", 64, "keyage-dev-agecheck"},
		{"no suffix", "keyage-dev", "", 80, "keyage-dev"},
		{"too long", long, "agecheck", 64, strings.Repeat("x", 55) + "-" + hash8(long+"-agecheck")},
		{"replaced characters", "keyage-team.prod", "", 80, "keyage-team-prod-" + hash8("keyage-team.prod")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := physicalName(c.base, c.suffix, c.max)
			if got != c.want {
				t.Errorf("physicalName(%q, %q, %d) = %q, want %q", c.base, c.suffix, c.max, got, c.want)
			}
			if len(got) > c.max {
				t.Errorf("physicalName(%q, %q, %d) is %d bytes, over %d", c.base, c.suffix, c.max, len(got), c.max)
			}
		})
	}
	// Names that sanitize alike stay apart.
	if a, b := physicalName("a.b", "", 64), physicalName("a-b", "", 64); a == b {
		t.Errorf("a.b and a-b both named %q", a)
	}
}

func hash8(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:8]
}

func TestPolicyDocumentJSON(t *testing.T) {
	doc := trustPolicy("states.amazonaws.com", "111122223333", "arn:aws:states:us-east-1:111122223333:stateMachine:m")
	doc.Statement = append(doc.Statement, denyInsecureTransport([]string{"sns:Publish"}, "arn:aws:sns:us-east-1:111122223333:t"))
	got, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"AssumedByServiceForThisResourceOnly","Effect":"Allow","Principal":{"Service":["states.amazonaws.com"]},"Action":["sts:AssumeRole"],` +
		`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:states:us-east-1:111122223333:stateMachine:m"},"StringEquals":{"aws:SourceAccount":"111122223333"}}},` +
		`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":["sns:Publish"],"Resource":["arn:aws:sns:us-east-1:111122223333:t"],` +
		`"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	if got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
	var back PolicyDocument
	if err := json.Unmarshal([]byte(got), &back); err != nil {
		t.Fatal(err)
	}
	again, err := back.JSON()
	if err != nil || again != got {
		t.Errorf("round trip: %s (%v), want %s", again, err, got)
	}
	var p Principal
	if err := json.Unmarshal([]byte(`{"AWS":"arn:aws:iam::111122223333:root"}`), &p); err != nil || len(p.AWS) != 1 {
		t.Errorf("a single AWS principal string: %+v, %v", p, err)
	}
	if err := json.Unmarshal([]byte(`"someone"`), &p); err == nil {
		t.Error(`principal "someone": no error, want one`)
	}
}

func TestFunctionPackageValidate(t *testing.T) {
	zip := filepath.Join(t.TempDir(), "f.zip")
	if err := os.WriteFile(zip, []byte("zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
	for _, c := range []struct {
		name string
		p    FunctionPackage
		want string
	}{
		{"good", FunctionPackage{zip, good}, ""},
		{"no path", FunctionPackage{"", good}, "ZipPath is empty"},
		{"missing zip", FunctionPackage{zip + ".gone", good}, "no such file"},
		{"bad hash", FunctionPackage{zip, "abc"}, `SHA256Base64 is "abc"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			if c.want == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
