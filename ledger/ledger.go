// Package ledger is keyage's memory between runs: the DynamoDB table in which the age-check
// function records what each run announced (agecheck.Entry), per account and access key, and
// what a run's check steps observed for its report. It implements agecheck.Ledger with
// aws-sdk-go-v2's DynamoDB client, and holds the table's schema, which the program deploys
// (package infra) and the tests create in dynalite: one source. It decides nothing about what
// to announce (agecheck.Diff does); it is not a general DynamoDB helper.
//
// Items, all in the account's partition (PartitionKey = the account ID):
//
//	sk "key#<AccessKeyId>" or "key#root"   an entry: what was announced about one finding key (and to which owner)
//	sk "seen#<run>#key#<AccessKeyId>"      a finding the run's check steps observed (JSON)
//	sk "seen#<run>#user#<UserName>"        a user whose keys the run could not read
//	sk "lease"                             the run marker: which run may write entries
//	sk "mail#<run>#<owner>"                the run's claim of an owner's mail (sent at most once)
//
// Concurrent runs: a run marker (the lease), not conditional writes of each entry. Entries are
// written with BatchWriteItem, 25 at a time, which takes no condition; so the report takes the
// account's lease with one conditional PutItem (Acquire), and only the lease holder writes
// entries, in its commit, which releases the lease with a conditional DeleteItem. A run that
// finds the lease held announces everything and writes no entry. Observations are keyed by run,
// so concurrent runs never read each other's.
package ledger

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keyage/keyage/lambda/agecheck"
)

// The table's schema: what infra deploys and the tests create (CreateTableInput).
const (
	PartitionKey = "account"   // S: the AWS account ID
	SortKey      = "sk"        // S: see the package comment
	TTLAttribute = "expiresAt" // N: epoch seconds after which DynamoDB may delete the item
)

// Batch limits of DynamoDB
// (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
const MaxBatchWrite = 25

// EnvTable names the environment variable that gives the function the table's name.
const EnvTable = "KEYAGE_LEDGER_TABLE"

// Sort key prefixes.
const (
	entryPrefix = "key#"
	seenPrefix  = "seen#"
	leaseKey    = "lease"
	mailPrefix  = "mail#"
	// unreadPrefix follows seenKey(run) in the sort key of a key whose last use was not known.
	unreadPrefix = "unread#"
)

// Attribute names of the items.
const (
	attrUser          = "user"
	attrOwner         = "owner" // absent when the key had no owner (agecheck.Entry.Owner)
	attrFirstSeen     = "firstSeen"
	attrSeverity      = "severity"
	attrKinds         = "kinds"
	attrLastAnnounced = "lastAnnounced"
	attrReminded      = "reminded"
	attrExemptExpired = "exemptExpired"
	attrResolvedAt    = "resolvedAt"
	attrFinding       = "finding"
	attrRun           = "run"
	attrUntil         = "until"
)

// CreateTableInput is the table as the program deploys it, for tests that create it in a local
// DynamoDB (dynalite): the same key schema and attribute definitions as infra's table, on demand.
// TTL, encryption, point-in-time recovery and deletion protection are not part of CreateTable
// in dynalite (it has no UpdateTimeToLive), so they are infra's alone.
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: AttributeDefinitions(),
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(PartitionKey), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(SortKey), KeyType: types.KeyTypeRange},
		},
	}
}

// AttributeDefinitions are the key attributes and their types (both strings).
func AttributeDefinitions() []types.AttributeDefinition {
	return []types.AttributeDefinition{
		{AttributeName: aws.String(PartitionKey), AttributeType: types.ScalarAttributeTypeS},
		{AttributeName: aws.String(SortKey), AttributeType: types.ScalarAttributeTypeS},
	}
}

// API lists the DynamoDB calls the ledger makes: the consumer-side view of *dynamodb.Client.
type API interface {
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

var (
	_ API             = (*dynamodb.Client)(nil)
	_ agecheck.Ledger = (*Table)(nil)
)

// Table is the ledger in one DynamoDB table.
type Table struct {
	API  API
	Name string
	// Stats, when set, counts the calls and the capacity they consumed (the benchmark's figures).
	Stats *Stats
	// MaxAttempts bounds the BatchWriteItem calls for one batch of 25 while DynamoDB returns
	// UnprocessedItems; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// Sleep waits between those attempts; nil means time.Sleep-like waiting on ctx.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Backoff of UnprocessedItems retries: DynamoDB asks for exponential backoff
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html#Programming.Errors.BatchOperations).
const (
	DefaultMaxAttempts = 8
	backoffBase        = 50 * time.Millisecond
	backoffCap         = 2 * time.Second
)

// Stats are the calls a Table made and the capacity units DynamoDB said they consumed.
type Stats struct {
	mu        sync.Mutex
	Calls     map[string]int // by operation name
	Items     map[string]int // items sent (writes) or returned (reads), by operation name
	ReadUnits float64
	// WriteUnits are write capacity units (on demand: write request units).
	WriteUnits float64
}

func (s *Stats) add(op string, items int, cc []types.ConsumedCapacity, write bool) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Calls == nil {
		s.Calls, s.Items = map[string]int{}, map[string]int{}
	}
	s.Calls[op]++
	s.Items[op] += items
	for _, c := range cc {
		units := aws.ToFloat64(c.CapacityUnits)
		if write {
			s.WriteUnits += units
		} else {
			s.ReadUnits += units
		}
	}
}

// Observe records the run's findings (as JSON, whole), unchecked users and unread keys, 25 to
// a BatchWriteItem. They expire at expires: only this run's report and commit read them.
func (t *Table) Observe(ctx context.Context, account, run string, findings []agecheck.Finding, uncheckedUsers, unreadKeys []string, expires time.Time) error {
	items := make([]map[string]types.AttributeValue, 0, len(findings)+len(uncheckedUsers)+len(unreadKeys))
	ttl := epoch(expires)
	for _, f := range findings {
		data, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("encode the finding of access key %s: %w", f.AccessKeyID, err)
		}
		items = append(items, map[string]types.AttributeValue{
			PartitionKey: str(account), SortKey: str(seenKey(run) + entryPrefix + f.AccessKeyID),
			attrFinding: str(string(data)), TTLAttribute: ttl,
		})
	}
	for _, u := range uncheckedUsers {
		items = append(items, map[string]types.AttributeValue{
			PartitionKey: str(account), SortKey: str(seenKey(run) + "user#" + u), TTLAttribute: ttl,
		})
	}
	for _, k := range unreadKeys {
		items = append(items, map[string]types.AttributeValue{
			PartitionKey: str(account), SortKey: str(seenKey(run) + unreadPrefix + k), TTLAttribute: ttl,
		})
	}
	return t.write(ctx, items)
}

// Save writes entries whole, 25 to a BatchWriteItem.
func (t *Table) Save(ctx context.Context, entries []agecheck.Entry) error {
	items := make([]map[string]types.AttributeValue, len(entries))
	for i, e := range entries {
		items[i] = entryItem(e)
	}
	return t.write(ctx, items)
}

// write puts items with BatchWriteItem, MaxBatchWrite at a time, retrying each batch's
// UnprocessedItems with exponential backoff and full jitter until none is left or MaxAttempts
// calls were made.
func (t *Table) write(ctx context.Context, items []map[string]types.AttributeValue) error {
	for chunk := range slices.Chunk(items, MaxBatchWrite) {
		reqs := make([]types.WriteRequest, len(chunk))
		for i, it := range chunk {
			reqs[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
		}
		attempts := cmp.Or(t.MaxAttempts, DefaultMaxAttempts)
		for attempt := 1; len(reqs) > 0; attempt++ {
			if attempt > attempts {
				return fmt.Errorf("BatchWriteItem on table %s: %d of %d items still unprocessed after %d attempts", t.Name, len(reqs), len(chunk), attempts)
			}
			if attempt > 1 {
				if err := t.sleep(ctx, backoff(attempt-1)); err != nil {
					return fmt.Errorf("BatchWriteItem on table %s: %d items unprocessed: %w", t.Name, len(reqs), err)
				}
			}
			out, err := t.API.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
				RequestItems:           map[string][]types.WriteRequest{t.Name: reqs},
				ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			})
			if err != nil {
				return fmt.Errorf("BatchWriteItem of %d items on table %s: %w", len(reqs), t.Name, err)
			}
			t.Stats.add("BatchWriteItem", len(reqs), out.ConsumedCapacity, true)
			reqs = out.UnprocessedItems[t.Name]
		}
	}
	return nil
}

// backoff is the wait before retry n (1, 2, ...): full jitter over base x 2^(n-1), capped.
func backoff(n int) time.Duration {
	d := min(backoffBase<<min(n-1, 16), backoffCap)
	return time.Duration(rand.Int64N(int64(d)) + 1)
}

func (t *Table) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep != nil {
		return t.Sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-timer.C:
		return nil
	}
}

// Load returns the account's entries and the run's observations, each with one Query per 1 MB
// page, strongly consistent (the check steps wrote the observations moments before). A Query
// rather than BatchGetItem: the report needs every entry of the account (an entry whose key
// was not observed is resolved), which only a Query can find, and a Query is charged for the
// total size of the items it returns rounded up to 4 KB, where BatchGetItem rounds up each item
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html).
func (t *Table) Load(ctx context.Context, account, run string) ([]agecheck.Entry, agecheck.Observations, error) {
	var entries []agecheck.Entry
	err := t.query(ctx, account, entryPrefix, func(it map[string]types.AttributeValue) error {
		e, err := entryOf(account, it)
		if err == nil {
			entries = append(entries, e)
		}
		return err
	})
	if err != nil {
		return nil, agecheck.Observations{}, err
	}
	var obs agecheck.Observations
	prefix := seenKey(run)
	err = t.query(ctx, account, prefix, func(it map[string]types.AttributeValue) error {
		rest := strings.TrimPrefix(getS(it, SortKey), prefix)
		if user, ok := strings.CutPrefix(rest, "user#"); ok {
			obs.UncheckedUsers = append(obs.UncheckedUsers, user)
			return nil
		}
		if key, ok := strings.CutPrefix(rest, unreadPrefix); ok {
			obs.UnreadKeys = append(obs.UnreadKeys, key)
			return nil
		}
		var f agecheck.Finding
		if err := json.Unmarshal([]byte(getS(it, attrFinding)), &f); err != nil {
			return fmt.Errorf("item %q: decode its finding: %w", getS(it, SortKey), err)
		}
		obs.Findings = append(obs.Findings, f)
		return nil
	})
	if err != nil {
		return nil, agecheck.Observations{}, err
	}
	return entries, obs, nil
}

// query calls each for every item of the account whose sort key starts with prefix.
func (t *Table) query(ctx context.Context, account, prefix string, each func(map[string]types.AttributeValue) error) error {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    aws.String("#pk = :pk AND begins_with(#sk, :prefix)"),
		ExpressionAttributeNames:  map[string]string{"#pk": PartitionKey, "#sk": SortKey},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(account), ":prefix": str(prefix)},
		ConsistentRead:            aws.Bool(true),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	}
	for {
		out, err := t.API.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("query items %q of account %s in table %s: %w", prefix, account, t.Name, err)
		}
		var cc []types.ConsumedCapacity
		if out.ConsumedCapacity != nil {
			cc = []types.ConsumedCapacity{*out.ConsumedCapacity}
		}
		t.Stats.add("Query", len(out.Items), cc, false)
		for _, it := range out.Items {
			if err := each(it); err != nil {
				return fmt.Errorf("account %s in table %s: %w", account, t.Name, err)
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// Acquire puts the account's lease for run with a conditional PutItem: it succeeds when there
// is no lease, when the lease has expired as of now, or when run holds it already (a retried
// report). Otherwise it fails wrapping agecheck.ErrLedgerBusy.
func (t *Table) Acquire(ctx context.Context, account, run string, now, until time.Time) error {
	return t.putIf(ctx, &dynamodb.PutItemInput{
		Item:                      t.leaseItem(account, run, until),
		ConditionExpression:       aws.String("attribute_not_exists(#sk) OR #until <= :now OR #run = :run"),
		ExpressionAttributeNames:  map[string]string{"#sk": SortKey, "#until": attrUntil, "#run": attrRun},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": epoch(now), ":run": str(run)},
	}, fmt.Sprintf("lease of account %s in table %s for run %q", account, t.Name, run), agecheck.ErrLedgerBusy,
		fmt.Sprintf("the lease of account %s in table %s", account, t.Name))
}

// ClaimMail puts the run's claim of owner's mail with a conditional PutItem that fails when the
// claim exists (agecheck.ErrMailClaimed): a retried report never mails an owner twice. The claim
// expires (TTL) at expires, long after the run.
func (t *Table) ClaimMail(ctx context.Context, account, run, owner string, expires time.Time) error {
	return t.putIf(ctx, &dynamodb.PutItemInput{
		Item:                     map[string]types.AttributeValue{PartitionKey: str(account), SortKey: str(mailKey(run, owner)), TTLAttribute: epoch(expires)},
		ConditionExpression:      aws.String("attribute_not_exists(#sk)"),
		ExpressionAttributeNames: map[string]string{"#sk": SortKey},
	}, fmt.Sprintf("mail of run %q to %s in table %s", run, owner, t.Name), agecheck.ErrMailClaimed,
		fmt.Sprintf("the mail claim of run %q to %s in table %s", run, owner, t.Name))
}

// UnclaimMail deletes the run's claim of owner's mail (after its send failed).
func (t *Table) UnclaimMail(ctx context.Context, account, run, owner string) error {
	out, err := t.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:              aws.String(t.Name),
		Key:                    map[string]types.AttributeValue{PartitionKey: str(account), SortKey: str(mailKey(run, owner))},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return fmt.Errorf("DeleteItem of the mail claim of run %q to %s in table %s: %w", run, owner, t.Name, err)
	}
	t.Stats.add("DeleteItem", 1, consumed(out.ConsumedCapacity), true)
	return nil
}

func mailKey(run, owner string) string { return mailPrefix + run + "#" + owner }

// ErrLeaseLost is wrapped by Hold and Release when run no longer holds the lease: it expired
// during the run and another run took it, so the two may have overlapped.
var ErrLeaseLost = agecheck.ErrLeaseLost

// Hold puts the account's lease for run until until with a conditional PutItem that succeeds
// only when run holds it, expired or not: a commit writes entries only under its own run's
// lease, never under one another run took (or took and released) after it expired. Otherwise
// it fails wrapping ErrLeaseLost.
func (t *Table) Hold(ctx context.Context, account, run string, until time.Time) error {
	return t.putIf(ctx, &dynamodb.PutItemInput{
		Item:                      t.leaseItem(account, run, until),
		ConditionExpression:       aws.String("#run = :run"),
		ExpressionAttributeNames:  map[string]string{"#run": attrRun},
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": str(run)},
	}, fmt.Sprintf("hold the lease of account %s in table %s for run %q", account, t.Name, run), ErrLeaseLost,
		fmt.Sprintf("the lease of account %s in table %s", account, t.Name))
}

// leaseItem is the account's lease held by run until until; the item itself expires (TTL) a
// day later.
func (t *Table) leaseItem(account, run string, until time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		PartitionKey: str(account), SortKey: str(leaseKey), attrRun: str(run),
		attrUntil: epoch(until), TTLAttribute: epoch(until.Add(24 * time.Hour)),
	}
}

// putIf makes the conditional PutItem in (on the table, returning consumed capacity) and
// counts it. A failed condition returns refused wrapped as "<refusedWhat>: <refused>"; any
// other error is "PutItem of <what>: <err>".
func (t *Table) putIf(ctx context.Context, in *dynamodb.PutItemInput, refusedWhat string, refused error, what string) error {
	in.TableName = aws.String(t.Name)
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityTotal
	out, err := t.API.PutItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		t.Stats.add("PutItem", 1, nil, true)
		return fmt.Errorf("%s: %w", refusedWhat, refused)
	}
	if err != nil {
		return fmt.Errorf("PutItem of %s: %w", what, err)
	}
	t.Stats.add("PutItem", 1, consumed(out.ConsumedCapacity), true)
	return nil
}

// Release deletes the account's lease if run holds it (a conditional DeleteItem).
func (t *Table) Release(ctx context.Context, account, run string) error {
	out, err := t.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.Name),
		Key:                       map[string]types.AttributeValue{PartitionKey: str(account), SortKey: str(leaseKey)},
		ConditionExpression:       aws.String("#run = :run"),
		ExpressionAttributeNames:  map[string]string{"#run": attrRun},
		ExpressionAttributeValues: map[string]types.AttributeValue{":run": str(run)},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return fmt.Errorf("release the lease of account %s for run %q: %w", account, run, ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("DeleteItem of the lease of account %s in table %s: %w", account, t.Name, err)
	}
	t.Stats.add("DeleteItem", 1, consumed(out.ConsumedCapacity), true)
	return nil
}

func consumed(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

func seenKey(run string) string { return seenPrefix + run + "#" }

// entryItem is an entry as an item; zero times are left out.
func entryItem(e agecheck.Entry) map[string]types.AttributeValue {
	kinds := make([]types.AttributeValue, len(e.Kinds))
	for i, k := range e.Kinds {
		kinds[i] = str(k)
	}
	it := map[string]types.AttributeValue{
		PartitionKey: str(e.Account), SortKey: str(entryPrefix + e.Key),
		attrUser: str(e.UserName), attrSeverity: str(e.Severity),
		attrKinds:         &types.AttributeValueMemberL{Value: kinds},
		attrReminded:      &types.AttributeValueMemberN{Value: strconv.Itoa(e.Reminded)},
		attrExemptExpired: &types.AttributeValueMemberBOOL{Value: e.ExemptExpired},
	}
	for name, t := range map[string]time.Time{attrFirstSeen: e.FirstSeen, attrLastAnnounced: e.LastAnnounced, attrResolvedAt: e.ResolvedAt} {
		if !t.IsZero() {
			it[name] = str(t.UTC().Format(time.RFC3339))
		}
	}
	if !e.ExpiresAt.IsZero() {
		it[TTLAttribute] = epoch(e.ExpiresAt)
	}
	if e.Owner != "" {
		it[attrOwner] = str(e.Owner)
	}
	return it
}

// entryOf reads an entry item back.
func entryOf(account string, it map[string]types.AttributeValue) (agecheck.Entry, error) {
	e := agecheck.Entry{
		Account:  account,
		Key:      strings.TrimPrefix(getS(it, SortKey), entryPrefix),
		UserName: getS(it, attrUser),
		Owner:    getS(it, attrOwner),
		Severity: getS(it, attrSeverity),
	}
	if l, ok := it[attrKinds].(*types.AttributeValueMemberL); ok {
		for _, v := range l.Value {
			if s, ok := v.(*types.AttributeValueMemberS); ok {
				e.Kinds = append(e.Kinds, s.Value)
			}
		}
	}
	if b, ok := it[attrExemptExpired].(*types.AttributeValueMemberBOOL); ok {
		e.ExemptExpired = b.Value
	}
	var err error
	if n, ok := it[attrReminded].(*types.AttributeValueMemberN); ok {
		if e.Reminded, err = strconv.Atoi(n.Value); err != nil {
			return e, fmt.Errorf("entry %q: %s %q is not an integer", e.Key, attrReminded, n.Value)
		}
	}
	for name, dst := range map[string]*time.Time{attrFirstSeen: &e.FirstSeen, attrLastAnnounced: &e.LastAnnounced, attrResolvedAt: &e.ResolvedAt} {
		if v := getS(it, name); v != "" {
			if *dst, err = time.Parse(time.RFC3339, v); err != nil {
				return e, fmt.Errorf("entry %q: %s %q is not an RFC 3339 time", e.Key, name, v)
			}
		}
	}
	if n, ok := it[TTLAttribute].(*types.AttributeValueMemberN); ok {
		sec, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return e, fmt.Errorf("entry %q: %s %q is not an integer", e.Key, TTLAttribute, n.Value)
		}
		e.ExpiresAt = time.Unix(sec, 0).UTC()
	}
	return e, nil
}

// New is the ledger in the table name, through the client cfg configures (in the function: the
// execution role's credentials, and AWS_ENDPOINT_URL_DYNAMODB when a test sets it).
func New(cfg aws.Config, name string) *Table {
	return &Table{API: dynamodb.NewFromConfig(cfg), Name: name}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// epoch is a time as DynamoDB's TTL wants it: a Number of seconds since the Unix epoch
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/time-to-live-ttl-before-you-start.html).
func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

func getS(it map[string]types.AttributeValue, name string) string {
	if s, ok := it[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
