package e2e

import (
	"path/filepath"
	"testing"
)

func TestHarnessSmoke(t *testing.T) {
	a := NewAccount(testAccount)
	for i := 0; i < 90; i++ {
		a.Add(&User{Name: "user" + string(rune('a'+i%26)) + keyID(i, 0), Created: testNow.Add(-days(400)), Keys: []*AccessKey{{ID: keyID(i, 1), Status: "Active", Created: testNow.Add(-days(100 + i))}}})
	}
	a.PageSize = func(page, max int) int { return 30 }
	e := newEnv(t, a)
	res := e.run(t, readFile(t, filepath.Join("testdata", "harness.asl.json")), map[string]any{"scheduledTime": testNow.Format("2006-01-02T15:04:05Z")})
	t.Logf("%+v %+v", res, res.Error)
	t.Logf("%+v", e.tasks.Published())
}
