package workflow

import (
	"fmt"
	"strings"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/lambda/agecheck"
)

// OrgCostEstimate is the cost of one organization run (accounts: [organization], every other
// setting at its default) over accounts that each hold the same number of users: the deploying
// account scanned by the parent, the others each in a STANDARD child of ScanAccounts.
type OrgCostEstimate struct {
	Accounts        int
	UsersPerAccount int
	AccountPages    int // ListAccounts calls (and MergeAccounts invocations)
	// Transitions are every billed Standard transition: the parent's, one per child started,
	// and each child's own.
	Transitions       int
	LambdaInvocations int
	RunUSD            float64
	// OverheadPerAccountUSD is what scanning an account in an organization run costs beyond
	// scanning it alone: its child's entry states and result, the child started, its share of
	// the ListAccounts page loop, its account and merge invocations, and its own message (in a
	// run with nothing new, which it prices, an account has no commit).
	OverheadPerAccountUSD float64
	// Ledger is each account's DynamoDB use in a run with nothing new (OrgLedgerCost); its USD
	// is in RunUSD once per account.
	Ledger LedgerAccountCost
}

// DynamoDB on-demand prices in us-east-1 (FACTS.md, since 2024-11-01).
const (
	PriceDynamoDBWriteUnit = 0.625 / 1e6 // USD per write request unit
	PriceDynamoDBReadUnit  = 0.125 / 1e6 // USD per read request unit
)

// LedgerRunNameBytes is the length of the execution name the ledger model assumes: a UUID, as
// Step Functions names an execution started without a name (EventBridge Scheduler's). An
// observation's sort key holds it.
const LedgerRunNameBytes = 36

// What the ledger model assumes of an account's findings and items: the shape of package
// ledger's benchmark (two stale keys per user, user names of 9 characters), whose items
// dynalite measured at these sizes: TestOrgLedgerCostMatchesDynalite (package ledger) runs an
// account's ledger calls against dynalite and holds OrgLedgerCost to what it consumed.
const (
	ledgerFindingsPerUser  = 2
	ledgerEntryBytes       = 176                      // an entry (ledger.Table.Save), as Query charges it
	ledgerObservationBytes = 227 + LedgerRunNameBytes // an observed finding (ledger.Table.Observe)
	// A Query page ends with the item that takes it to 1 MB, by a size that dynalite reckons
	// apart from the read units: measured at 7,333 entries and 3,957 observations a page.
	ledgerEntryPageBytes       = 143
	ledgerObservationPageBytes = 229 + LedgerRunNameBytes
	ledgerQueryPageBytes       = 1 << 20
	ledgerReadUnitBytes        = 4096 // a strongly consistent read unit: 4 KB of the items a Query page returns
	ledgerBatchWriteItems      = 25   // BatchWriteItem's bound, which the commit fills
	// In an organization run each account takes its lease and loads its entries and the run's
	// observations twice: for its result (op account, or the deploying account's fold) and for
	// its own message (op report); an account with something to record loads them a third time
	// in its commit, which then releases the lease. A quiet account has no commit: its own
	// message releases the lease.
	ledgerLoadsPerAccount = 2
)

// LedgerAccountCost is one account's ledger use in one organization run that remembers
// (notify: changes): its DynamoDB calls, the request units they consume and their price.
type LedgerAccountCost struct {
	BatchWriteItem, Query, PutItem, DeleteItem int
	WriteUnits, ReadUnits                      float64
	USD                                        float64
}

// OrgLedgerCost is what the ledger costs for one account of users users in an organization
// run, ledgerFindingsPerUser findings each: every check batch (MaxBatchSize users) writes its
// observations in one BatchWriteItem (an item under 1 KB: one write unit); the account's
// result and its own message each take the lease (a conditional PutItem) and Query its entries
// and the run's observations (1 MB pages, 4 KB read units). On the first run (first) every
// finding is new: there are no entries to read, and the account's commit holds the lease, loads
// again, writes one entry per finding, 25 to a BatchWriteItem, and releases the lease
// (DeleteItem); on a run with nothing new the account has no commit, and its own message
// releases the lease.
func OrgLedgerCost(users int, first bool) LedgerAccountCost {
	loads := ledgerLoadsPerAccount
	if first {
		loads++
	}
	return ledgerCost(users, users*ledgerFindingsPerUser, first, loads)
}

// LedgerCost is what the ledger costs in a single-account run of users users, as OrgLedgerCost
// counts it: the report takes the lease and loads; on the first run the commit holds the lease
// and loads again, and releases it; on a run with nothing new there is no commit, and the
// report releases the lease.
func LedgerCost(users int, first bool) LedgerAccountCost {
	return ledgerCost(users, users*ledgerFindingsPerUser, first, singleLoads(first))
}

// singleLoads are a single-account run's loads of the ledger: the report's, and the commit's
// when there is something to record.
func singleLoads(commit bool) int {
	if commit {
		return 2
	}
	return 1
}

// ledgerCost is the ledger's use by one account of users users with findings findings, whose
// lease is taken or held, and its entries and the run's observations loaded, loads times, the
// lease released once (by the commit, or by the last report when there is nothing to record).
// A check batch without findings writes no observation; with fewer findings than batches, each
// is counted in a batch of its own (an upper bound).
func ledgerCost(users, findings int, first bool, loads int) LedgerAccountCost {
	c := LedgerAccountCost{BatchWriteItem: min(ceilDiv(users, MaxBatchSize), findings), PutItem: loads, DeleteItem: 1}
	c.WriteUnits = float64(findings + c.PutItem + c.DeleteItem)
	entries := findings
	if first {
		entries = 0
		c.BatchWriteItem += ceilDiv(findings, ledgerBatchWriteItems)
		c.WriteUnits += float64(findings)
	}
	query := func(items, bytes, pageBytes int) {
		perPage := ceilDiv(ledgerQueryPageBytes, pageBytes)
		for left := items; ; left -= perPage {
			c.Query++
			c.ReadUnits += float64(ceilDiv(min(left, perPage)*bytes, ledgerReadUnitBytes))
			if left <= perPage {
				return
			}
		}
	}
	for range loads {
		query(entries, ledgerEntryBytes, ledgerEntryPageBytes)
		query(findings, ledgerObservationBytes, ledgerObservationPageBytes)
	}
	c.USD = c.WriteUnits*PriceDynamoDBWriteUnit + c.ReadUnits*PriceDynamoDBReadUnit
	return c
}

// MonthlyUSD is the cost of RunsPerMonth runs.
func (c OrgCostEstimate) MonthlyUSD() float64 { return c.RunUSD * RunsPerMonth }

// orgCostSettings are the settings OrgCost prices: the whole organization, defaults otherwise
// (notify: changes: the ledger per account, OrgLedgerCost).
func orgCostSettings() config.Checked {
	s := config.Defaults()
	s.Organization.Accounts = []string{config.OrganizationKeyword}
	return config.MustCheck(s)
}

// OrgCost estimates an organization run over accounts (the deploying one included) of
// usersPerAccount users each, every call succeeding at its first attempt, the run publishing
// its digest and every account its own message. Each account's scan costs what Cost says of a single account of as many users
// (the same states, in the parent or in a child), less the single run's input states and
// report, which an organization run has once; transitions around the scans are counted by
// walking the organization's definition.
func OrgCost(accounts, usersPerAccount int) (OrgCostEstimate, error) {
	accounts = max(accounts, 1)
	m, err := Definition(orgCostSettings(), PlaceholderResources())
	if err != nil {
		return OrgCostEstimate{}, err
	}
	single, err := CostFor(singleWithoutLedger(), usersPerAccount)
	if err != nil {
		return OrgCostEstimate{}, err
	}
	single1, _, singleAfter, err := transitionsPerSection(mustSingle())
	if err != nil {
		return OrgCostEstimate{}, err
	}
	// One account's scan: its pages and children, and its root check (the first state after the
	// pages in both); without the input states and the report.
	rootCheck := 1
	scanTransitions := single.Transitions - single1 - singleAfter + rootCheck
	scanUSD := single.RunUSD - float64(single1+singleAfter-rootCheck)*PriceStandardTransition - PriceLambdaRequest - PriceSNSPublish -
		float64(config.Defaults().FunctionMemoryMB)/1024*assumedReportSeconds*PriceLambdaGBSecondARM64

	before, err := countStates(m.States, m.StartAt, StateListUsers) // input states, before the own scan
	if err != nil {
		return OrgCostEstimate{}, err
	}
	fold, err := countStates(m.States, StateFoldOwnAccount, StateListAccounts) // FoldOwnAccount, OwnAccountFolded
	if err != nil {
		return OrgCostEstimate{}, err
	}
	page, err := countStates(m.States, StateListMoreAccount, StateListMoreAccount) // one page of accounts
	if err != nil {
		return OrgCostEstimate{}, err
	}
	more, ok := m.States[stateMoreAccounts].(*asl.Choice)
	if !ok {
		return OrgCostEstimate{}, fmt.Errorf("count transitions: no Choice %q", stateMoreAccounts)
	}
	after, err := countStates(m.States, more.Default, "") // the report, a publish and the commit Map
	if err != nil {
		return OrgCostEstimate{}, err
	}
	// The commit Map (RecordAnnounced) runs an inline iteration per account with something to
	// record, each a billed transition (RecordAccountAnnounced) and an invocation (op commit):
	// none in a run with nothing new, which OrgCost prices.
	commits := 0
	// A child of an ACTIVE account in scope: AccountActive, AccountInScope and AccountScope before
	// AccountInit, which leads to the scan; AccountResult after it.
	child, err := countStates(m.States[StateScanAccounts].(*asl.Map).ItemProcessor.States, memberPrefix+stateAccountInit, memberPrefix+StateListUsers)
	if err != nil {
		return OrgCostEstimate{}, err
	}
	// After the scan: AccountResult, then the account's own report and its publish.
	childResult, err := countStates(m.States[StateScanAccounts].(*asl.Map).ItemProcessor.States, memberPrefix+StateAccountResult, "")
	if err != nil {
		return OrgCostEstimate{}, err
	}
	const childChoices = 3
	childEntry := childChoices + child + childResult

	members := accounts - 1
	c := OrgCostEstimate{Accounts: accounts, UsersPerAccount: usersPerAccount, AccountPages: max(1, ceilDiv(accounts, agecheck.AccountsPerPage))}
	// The page of the deploying account is listed too: its child skips it (3 states).
	c.Transitions = before + accounts*scanTransitions + fold + c.AccountPages*page + accounts + members*childEntry + childChoices + after + commits
	// Each account's scan invokes what a single run does but the report; the parent adds the
	// fold, a merge per page of accounts and the report, and each child its account result.
	perScanInvocations := single.LambdaInvocations - 1
	// Each account's own report (account_report.go) is one more invocation and one more publish,
	// and its commit (an account with something to record) one more invocation.
	c.LambdaInvocations = accounts*perScanInvocations + 1 + c.AccountPages + members + 1 + accounts + commits
	memGB := float64(config.Defaults().FunctionMemoryMB) / 1024
	lambdaUSD := func(n int, seconds float64) float64 {
		return float64(n) * (PriceLambdaRequest + memGB*seconds*PriceLambdaGBSecondARM64)
	}
	c.Ledger = OrgLedgerCost(usersPerAccount, false)
	extraTransitions := before + fold + c.AccountPages*page + accounts + members*childEntry + childChoices + after + commits
	c.RunUSD = float64(accounts)*scanUSD + float64(extraTransitions)*PriceStandardTransition +
		lambdaUSD(1+c.AccountPages+members, assumedMergeSeconds) + lambdaUSD(1+accounts+commits, assumedReportSeconds) +
		float64(1+accounts)*PriceSNSPublish + float64(accounts)*c.Ledger.USD
	c.OverheadPerAccountUSD = float64(childEntry+1)*PriceStandardTransition + float64(page)/agecheck.AccountsPerPage*PriceStandardTransition +
		lambdaUSD(1, assumedMergeSeconds) + lambdaUSD(1, assumedMergeSeconds)/agecheck.AccountsPerPage +
		lambdaUSD(1, assumedReportSeconds) + PriceSNSPublish
	return c, nil
}

// singleWithoutLedger is the default single-account stack with notify: every-run: OrgCost
// prices an organization run without the ledger (orgCostSettings), so its accounts' scans
// compare with a single run without one.
func singleWithoutLedger() config.Checked {
	s := config.Defaults()
	s.Ledger.Notify = agecheck.NotifyEveryRun
	return config.MustCheck(s)
}

// mustSingle is the single-account definition of singleWithoutLedger.
func mustSingle() *asl.StateMachine {
	m, err := Definition(singleWithoutLedger(), PlaceholderResources())
	if err != nil {
		panic("workflow: the default settings do not build a definition: " + err.Error())
	}
	return m
}

// OrgCostTable renders, as a Markdown table, OrgCost for each number of accounts of
// usersPerAccount users.
func OrgCostTable(usersPerAccount int, accounts ...int) string {
	header := []string{"accounts", "users each", "account pages", "billed transitions", "function invocations", "cost per run",
		"per month (30 runs)", "overhead per account per run", "ledger per account per run"}
	var b strings.Builder
	b.WriteString(numberTable(header, accounts, func(n int) string {
		c, err := OrgCost(n, usersPerAccount)
		if err != nil {
			return "error: " + err.Error()
		}
		return fmt.Sprintf("%d | %d | %d | %d | %d | $%.4f | $%.2f | $%.6f | $%.6f", n, usersPerAccount, c.AccountPages, c.Transitions,
			c.LambdaInvocations, c.RunUSD, c.MonthlyUSD(), c.OverheadPerAccountUSD, c.Ledger.USD)
	}))
	return b.String()
}
