package infra

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/dynamodb"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/kms"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/keyage/keyage/iampolicy"
	"github.com/keyage/keyage/ledger"
)

// maxTableName: DynamoDB table names, 3..255 of [a-zA-Z0-9_.-] (CreateTable, TableName:
// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html).
const maxTableName = 255

// ledgerActions are the DynamoDB calls the function makes on the ledger (package ledger's API).
var ledgerActions = []string{"dynamodb:BatchWriteItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"}

// ledgerTableARN is the ledger table's ARN, known before the table exists (the program names it).
func (b *builder) ledgerTableARN() string { return b.env.arn("dynamodb", "table/"+b.names.ledgerTable) }

// ledgerTable creates the ledger's DynamoDB table when the stack keeps one (notify: changes),
// else nothing: on demand, encrypted with the stack's key, with point-in-time recovery, the TTL
// attribute that forgets resolved keys, and deletion protection when ledgerDeletionProtection
// asks. Its key schema is package ledger's, which the tests create in dynalite.
func (b *builder) ledgerTable(key *kms.Key) (*dynamodb.Table, error) {
	l := b.s.Ledger
	if !b.s.KeepsLedger() {
		return nil, nil
	}
	var attrs dynamodb.TableAttributeArray
	for _, a := range ledger.AttributeDefinitions() {
		attrs = append(attrs, dynamodb.TableAttributeArgs{Name: pulumi.String(*a.AttributeName), Type: pulumi.String(string(a.AttributeType))})
	}
	t, err := dynamodb.NewTable(b.ctx, b.child("ledger"), &dynamodb.TableArgs{
		Name:                      pulumi.String(b.names.ledgerTable),
		BillingMode:               pulumi.String("PAY_PER_REQUEST"),
		HashKey:                   pulumi.String(ledger.PartitionKey),
		RangeKey:                  pulumi.String(ledger.SortKey),
		Attributes:                attrs,
		ServerSideEncryption:      &dynamodb.TableServerSideEncryptionArgs{Enabled: pulumi.Bool(true), KmsKeyArn: key.Arn},
		PointInTimeRecovery:       &dynamodb.TablePointInTimeRecoveryArgs{Enabled: pulumi.Bool(true)},
		Ttl:                       &dynamodb.TableTtlArgs{AttributeName: pulumi.String(ledger.TTLAttribute), Enabled: pulumi.Bool(true)},
		DeletionProtectionEnabled: pulumi.Bool(l.DeletionProtection),
		Tags:                      b.tagMap(),
	}, b.parent)
	if err != nil {
		return nil, fmt.Errorf("ledger table: %w", err)
	}
	return t, nil
}

// ledgerStatements are the function role's statements on the ledger: its four calls on this
// table only (no index, no other table). None without a ledger.
func (b *builder) ledgerStatements() []iampolicy.Statement {
	if !b.s.KeepsLedger() {
		return nil
	}
	return []iampolicy.Statement{allowStatement("UseLedgerTable", ledgerActions, b.ledgerTableARN())}
}

// ledgerKeyStatement lets the function role use the stack's key through DynamoDB only, as AWS's
// key policy for DynamoDB tables does for the principals that use the table
// (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
func ledgerKeyStatement(env environment, functionRoleARN string) iampolicy.Statement {
	return iampolicy.Statement{
		Sid:       "FunctionUsesLedgerThroughDynamoDB",
		Effect:    "Allow",
		Principal: &iampolicy.Principal{AWS: []string{functionRoleARN}},
		Action:    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
		Resource:  []string{"*"},
		Condition: iampolicy.Condition{"StringEquals": {"kms:ViaService": {"dynamodb." + env.region + "." + env.dnsSuffix}}},
	}
}

// functionEnvironment is the function's environment variables: the ledger table's name when
// the stack keeps a ledger, none otherwise (the function reads no other setting from it).
func (b *builder) functionEnvironment() lambda.FunctionEnvironmentPtrInput {
	if !b.s.KeepsLedger() {
		return nil
	}
	return &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{ledger.EnvTable: pulumi.String(b.names.ledgerTable)}}
}
