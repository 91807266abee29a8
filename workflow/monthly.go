package workflow

import (
	"fmt"

	"github.com/keyage/keyage/config"
)

// Monthly list prices (us-east-1) of what a stack keeps deployed. Sources: workflow/COST.md.
const (
	// PriceKMSKeyMonth is one customer managed key a month (prorated hourly). Each automatic
	// rotation adds $1 a month for the first two rotations only, so a yearly-rotated key costs
	// $1 in its first year, $2 in its second and $3 from its third on.
	// https://aws.amazon.com/kms/pricing/
	PriceKMSKeyMonth = 1.00
	// PriceAlarmMetricMonth is one standard-resolution alarm metric a month; each keyage alarm
	// watches one metric. https://aws.amazon.com/cloudwatch/pricing/
	PriceAlarmMetricMonth = 0.10
	// PriceLogsIngestedGB is one GB of logs ingested (standard log class).
	PriceLogsIngestedGB = 0.50
	// PriceLogsStoredGBMonth is one GB of logs stored for a month (archived).
	PriceLogsStoredGBMonth = 0.03
)

// Alarms is how many CloudWatch alarms infra creates for a stack whose schedule the
// no-successful-run alarm can watch (6 without it); tests/docs checks it against the program.
const Alarms = 7

// Bytes the function logs a run, per line; measured with the handler (TestLogLineBytes keeps
// them upper bounds within 25% of what it writes) except the platform lines, which Lambda writes.
const (
	// lambdaPlatformLogBytes are Lambda's START, END and REPORT lines of one invocation (the
	// REPORT line carries durations, memory and the X-Ray trace ID).
	lambdaPlatformLogBytes = 450
	checkedLogBytes        = 280 // the "checked" line of each check (one per child)
	mergedLogBytes         = 256 // the "merged" line of each page
	reportLogBytes         = 230 // the "report" line
	findingLogBytes        = 440 // the "access key finding" line of each flagged key, with an owner of ~20 characters
	// findingsPerUser is the share of users assumed to have a stale or due-soon key each run.
	findingsPerUser = 0.1
)

// MonthlyEstimate is what a stack costs a month: RunsPerMonth runs and what stays deployed.
type MonthlyEstimate struct {
	Users   int
	RunsUSD float64 // RunsPerMonth runs (CostEstimate.MonthlyUSD)
	// LedgerUSD is the ledger's DynamoDB requests in RunsPerMonth runs with nothing new, of
	// FindingsPerRun findings (notify: changes, the default; 0 with every-run). Its storage, an
	// entry of about ledgerEntryBytes per finding, is left out.
	LedgerUSD      float64
	KMSUSD         float64 // the topics' customer managed key, in its first year
	AlarmsUSD      float64 // Alarms alarm metrics
	LogGBPerMonth  float64 // the function's logs ingested a month
	LogsUSD        float64 // ingesting them, and storing logGBPerMonth x retention at steady state
	StoredLogGB    float64 // stored once the retention period is full
	TotalUSD       float64
	RetentionDays  int
	FindingsPerRun int // the assumed stale and due-soon keys of a run
}

// Monthly estimates a month of a stack with the checked settings scanning users, daily: the runs
// (CostFor), the ledger's requests (ledgerCost), the KMS key, the alarms and the function's logs. The state machine's logs are
// left out: at the default level (ERROR) a run that succeeds writes none.
func Monthly(checked config.Checked, users int) (MonthlyEstimate, error) {
	c, err := CostFor(checked, users)
	if err != nil {
		return MonthlyEstimate{}, err
	}
	retention := checked.Settings().LogRetentionDays
	m := MonthlyEstimate{
		Users: c.Users, RunsUSD: c.MonthlyUSD(), KMSUSD: PriceKMSKeyMonth,
		AlarmsUSD: Alarms * PriceAlarmMetricMonth, RetentionDays: retention,
		FindingsPerRun: int(float64(c.Users)*findingsPerUser + 0.5),
	}
	if checked.Settings().KeepsLedger() {
		m.LedgerUSD = ledgerCost(c.Users, m.FindingsPerRun, false, singleLoads(false)).USD * RunsPerMonth
	}
	runBytes := c.LambdaInvocations*lambdaPlatformLogBytes + c.Children*checkedLogBytes +
		c.Pages*mergedLogBytes + reportLogBytes + m.FindingsPerRun*findingLogBytes
	m.LogGBPerMonth = float64(runBytes) * RunsPerMonth / 1e9
	// Stored logs grow for the retention period, then stay level: a month's logs times the
	// retention in months. CloudWatch bills storage compressed, so this overstates it.
	m.StoredLogGB = m.LogGBPerMonth * float64(retention) / 30
	m.LogsUSD = m.LogGBPerMonth*PriceLogsIngestedGB + m.StoredLogGB*PriceLogsStoredGBMonth
	m.TotalUSD = m.RunsUSD + m.LedgerUSD + m.KMSUSD + m.AlarmsUSD + m.LogsUSD
	return m, nil
}

// MonthlyTable renders, as a Markdown table, the monthly estimates of a stack with the default
// settings for each number of users.
func MonthlyTable(users ...int) string {
	header := []string{"users", fmt.Sprintf("%d runs", RunsPerMonth), "ledger", "KMS key", fmt.Sprintf("%d alarms", Alarms),
		"function logs a month", "logs: ingested + stored", "total per month"}
	return numberTable(header, users, func(u int) string {
		m, err := Monthly(config.MustCheck(config.Defaults()), u)
		if err != nil {
			panic("workflow: the default settings do not build a definition: " + err.Error())
		}
		return fmt.Sprintf("%d | $%.2f | $%.4f | $%.2f | $%.2f | %.1f MB | $%.3f | $%.2f",
			u, m.RunsUSD, m.LedgerUSD, m.KMSUSD, m.AlarmsUSD, m.LogGBPerMonth*1000, m.LogsUSD, m.TotalUSD)
	})
}
