package docs

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/keyage/keyage/internal/golden"
	"github.com/keyage/keyage/internal/modroot"
)

// TestREADMEChatCardIsTheGoldenFile: the chat card the README shows is the report's golden
// chat message (lambda/agecheck/testdata/report.chat.json), byte for byte.
func TestREADMEChatCardIsTheGoldenFile(t *testing.T) {
	shown := readmeSection(t, "<!-- chat example -->\n```json\n", "```\n<!-- end chat example -->") + "\n"
	want, err := os.ReadFile(filepath.Join(modroot.MustFind(t), "lambda", "agecheck", "testdata", "report.chat.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(shown), want) {
		t.Errorf("README's chat card differs from report.chat.json:\n%s", golden.Diff(want, []byte(shown)))
	}
}
