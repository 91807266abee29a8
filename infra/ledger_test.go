package infra_test

import (
	"slices"
	"testing"

	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/ledger"
)

func TestLedgerTable(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		values     map[string]string
		protection bool
	}{{"defaults", nil, false}, {"ledgerDeletionProtection", map[string]string{"ledgerDeletionProtection": "true"}, true}} {
		d := mustRun(t, c.values)
		table := d.one(tTable, "keyage-ledger")
		wantInput(t, table, "name", ledgerTable)
		wantInput(t, table, "billingMode", "PAY_PER_REQUEST")
		// The key schema is package ledger's, the one the tests create in dynalite.
		wantInput(t, table, "hashKey", ledger.PartitionKey)
		wantInput(t, table, "rangeKey", ledger.SortKey)
		wantInput(t, table, "attributes", []map[string]string{{"name": ledger.PartitionKey, "type": "S"}, {"name": ledger.SortKey, "type": "S"}})
		wantInput(t, table, "serverSideEncryption.enabled", true)
		key := d.one(tKey, "keyage-key")
		alias := d.one(tKeyAlias, "keyage-key-alias")
		if got := inputString(t, table, "serverSideEncryption.kmsKeyArn"); got != arn("aws", "kms", "key/"+inputString(t, alias, "targetKeyId")) || !slices.Contains(table.DependsOn, key.URN) {
			t.Errorf("%s %q: kmsKeyArn %q (depends on %v), want the stack's key %s", table.Type, table.Name, got, table.DependsOn, key.URN)
		}
		wantInput(t, table, "pointInTimeRecovery.enabled", true)
		wantInput(t, table, "ttl.attributeName", ledger.TTLAttribute)
		wantInput(t, table, "ttl.enabled", true)
		wantInput(t, table, "deletionProtectionEnabled", c.protection)
	}
}

func TestLedgerKeyUse(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	key := d.one(tKey, "keyage-key")
	s := statement(t, key, policy(t, key, "policy"), "FunctionUsesLedgerThroughDynamoDB")
	if s.Principal == nil || !slices.Equal(s.Principal.AWS, []string{roleARN("keyage-dev-function-role")}) {
		t.Errorf("%s %q: ledger statement's principal %+v, want the function role only", key.Type, key.Name, s.Principal)
	}
	if got := s.Condition["StringEquals"]["kms:ViaService"]; !slices.Equal(got, []string{"dynamodb." + region + ".amazonaws.com"}) {
		t.Errorf("%s %q: ledger statement's kms:ViaService %v, want DynamoDB in the stack's region only", key.Type, key.Name, got)
	}
}

// TestEveryRunHasNoLedger: with notify: every-run there is no table, and neither the function,
// its role nor the key is given anything for one.
func TestEveryRunHasNoLedger(t *testing.T) {
	t.Parallel()
	d := mustRun(t, map[string]string{"notify": "every-run"})
	for _, r := range d.res {
		if r.Type == tTable {
			t.Errorf("%s %q registered with notify: every-run", r.Type, r.Name)
		}
	}
	fn := d.one(tFunction, "keyage-function")
	if hasInput(fn, "environment") {
		t.Errorf("%s %q: has environment variables with notify: every-run, want none", fn.Type, fn.Name)
	}
	wantStatement(t, d.one(tRolePolicy, "keyage-function-policy"), "UseLedgerTable", false)
	wantStatement(t, d.one(tKey, "keyage-key"), "FunctionUsesLedgerThroughDynamoDB", false)
}

// TestOrganizationKeepsLedger: an organization stack (notify: changes, the default) deploys
// the table, and its function finds it and may use it, as a single-account stack's does.
func TestOrganizationKeepsLedger(t *testing.T) {
	t.Parallel()
	d := mustRun(t, orgSettings)
	table := d.one(tTable, "keyage-ledger")
	wantInput(t, table, "name", ledgerTable)
	fn := d.one(tFunction, "keyage-function")
	wantInput(t, fn, "environment.variables", map[string]string{ledger.EnvTable: ledgerTable})
	wantStatement(t, d.one(tRolePolicy, "keyage-function-policy"), "UseLedgerTable", true)
}

// wantStatement fails unless r's policy has a statement with Sid sid exactly when want is true.
func wantStatement(t *testing.T, r infratest.Resource, sid string, want bool) {
	t.Helper()
	if got := sids(policy(t, r, "policy")); slices.Contains(got, sid) != want {
		t.Errorf("%s %q: statements %v, want %s present: %v", r.Type, r.Name, got, sid, want)
	}
}

// TestEveryRunWithOwnersKeepsObservations: a notify: every-run stack that reaches owners (here
// by mail) deploys the table for the run's observations (exact owner groups), and its function
// finds it and may use it.
func TestEveryRunWithOwnersKeepsObservations(t *testing.T) {
	t.Parallel()
	d := mustRun(t, map[string]string{"notify": "every-run", "ownerEmail": `{"from": "keyage@example.com"}`})
	wantInput(t, d.one(tTable, "keyage-ledger"), "name", ledgerTable)
	wantInput(t, d.one(tFunction, "keyage-function"), "environment.variables", map[string]string{ledger.EnvTable: ledgerTable})
	rp := d.one(tRolePolicy, "keyage-function-policy")
	if got := sids(policy(t, rp, "policy")); !slices.Contains(got, "UseLedgerTable") {
		t.Errorf("%s %q: statements %v, want the ledger statement", rp.Type, rp.Name, got)
	}
}
