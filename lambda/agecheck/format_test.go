package agecheck

import (
	"math"
	"strings"
	"testing"
)

// TestJSONSizeReturnsAnError: a value that cannot be encoded is an error for the caller to
// return (Trim, Merge, NewReport, then the invocation), not a panic that kills the function.
func TestJSONSizeReturnsAnError(t *testing.T) {
	if n, err := jsonSize(`a "quoted" <b>`); err != nil || n != len(`"a \"quoted\" \u003cb\u003e"`) {
		t.Errorf("jsonSize(string) = %d, %v; want %d, nil", n, err, len(`"a \"quoted\" \u003cb\u003e"`))
	}
	n, err := jsonSize(math.Inf(1))
	if err == nil || !strings.Contains(err.Error(), "measure the JSON encoding of a float64") {
		t.Errorf("jsonSize(+Inf) = %d, %v; want an error naming what it measured", n, err)
	}
}
