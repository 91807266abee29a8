package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

func TestMonthly(t *testing.T) {
	s := config.Defaults()
	m, err := Monthly(config.MustCheck(s), 5000)
	if err != nil {
		t.Fatal(err)
	}
	if m.RunsUSD != Cost(5000).MonthlyUSD() || m.KMSUSD != 1 || math.Abs(m.AlarmsUSD-0.70) > 1e-9 {
		t.Errorf("runs $%.4f, KMS $%.2f, alarms $%.2f; want Cost(5000).MonthlyUSD(), $1 and 7 x $0.10", m.RunsUSD, m.KMSUSD, m.AlarmsUSD)
	}
	// The default notify: changes keeps a ledger: its requests in 30 runs with nothing new, of
	// 500 findings (a check batch each at most), a report and a commit each.
	if want := LedgerCost(250, false); m.LedgerUSD <= 0 || math.Abs(m.LedgerUSD-want.USD*RunsPerMonth) > 1e-12 {
		t.Errorf("ledger $%.6f a month, want 30 x $%.8f (the ledger of 500 findings, LedgerCost)", m.LedgerUSD, want.USD)
	}
	if sum := m.RunsUSD + m.LedgerUSD + m.KMSUSD + m.AlarmsUSD + m.LogsUSD; math.Abs(m.TotalUSD-sum) > 1e-9 {
		t.Errorf("total $%.4f, want the sum of its parts $%.4f", m.TotalUSD, sum)
	}
	if m.FindingsPerRun != 500 || m.LogGBPerMonth <= 0 {
		t.Errorf("findings per run %d, log GB %.4f; want 500 (10%% of users) and some logs", m.FindingsPerRun, m.LogGBPerMonth)
	}
	// Stored logs scale with the retention; ingesting them does not.
	s.LogRetentionDays = 30
	short, err := Monthly(config.MustCheck(s), 5000)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(short.StoredLogGB*365/30-m.StoredLogGB) > 1e-12 || short.LogGBPerMonth != m.LogGBPerMonth {
		t.Errorf("30-day retention stores %.6f GB, 365-day %.6f GB; want a 30/365 share of it, same ingestion", short.StoredLogGB, m.StoredLogGB)
	}
	s.Ledger.Notify = agecheck.NotifyEveryRun
	if m, _ := Monthly(config.MustCheck(s), 5000); m.LedgerUSD != 0 {
		t.Errorf("notify: every-run: ledger $%.6f a month, want none (no table)", m.LedgerUSD)
	}
	if _, err := Monthly(config.Checked{}, 10); !errors.Is(err, config.ErrUnchecked) {
		t.Errorf("Monthly(unchecked settings): error %v, want config.ErrUnchecked", err)
	}
}

// TestLogLineBytes keeps the log line sizes the monthly estimate uses honest: each is at least
// what the function's handler writes (as lambda/main.go configures its logger) and at most 25%
// more.
func TestLogLineBytes(t *testing.T) {
	var logs bytes.Buffer
	h := &agecheck.Handler{
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
		LastUsed: func(context.Context, string, string) (agecheck.LastUsed, error) {
			return agecheck.LastUsed{ServiceName: "N/A", Region: "N/A"}, nil
		},
	}
	invoke := func(event string) []byte {
		t.Helper()
		out, err := h.Invoke(context.Background(), []byte(event))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	envelope := `"policy":{"maxAgeDays":90,"warnAgeDays":75},"now":"2026-12-01T08:00:00Z","account":"123456789012"`
	checked := invoke(`{"op":"check",` + envelope + `,"users":[
		{"userName":"svc-data-pipeline-01","keys":[{"AccessKeyId":"AKIAIOSFODNN7EXAMPLE","Status":"Active","CreateDate":"2020-01-01T00:00:00Z"}]},
		{"userName":"svc-data-pipeline-02","keys":[{"AccessKeyId":"AKIAIOSFODNN7EXAMPL2","Status":"Active","CreateDate":"2026-11-01T00:00:00Z"}]}]}`)
	merged := invoke(`{"op":"merge",` + envelope + `,"results":[` + string(checked) + `]}`)
	invoke(`{"op":"report",` + envelope + `,"summary":` + string(merged) + `}`)

	sizes := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatal(err)
		}
		sizes[l.Msg] = len(line) + 1 // and its newline
	}
	for msg, assumed := range map[string]int{
		agecheck.FindingLogMessage: findingLogBytes, "checked": checkedLogBytes, "merged": mergedLogBytes, "report": reportLogBytes,
	} {
		got, ok := sizes[msg]
		if !ok {
			t.Errorf("the handler wrote no %q line; lines: %v", msg, sizes)
			continue
		}
		if assumed < got || float64(assumed) > 1.25*float64(got) {
			t.Errorf("%q lines have %d bytes; the estimate assumes %d, want %d..%d", msg, got, assumed, got, int(1.25*float64(got)))
		}
	}
}
