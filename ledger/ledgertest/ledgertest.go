// Package ledgertest gives tests the ledger table in a local DynamoDB API (dynalite): started on
// a free port, the real aws-sdk-go-v2 client pointed at it through AWS_ENDPOINT_URL_DYNAMODB
// (as the function's client would be), and the table created from ledger.CreateTableInput, the
// schema the program deploys. For tests only.
package ledgertest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keyage/keyage/internal/awstest"
	"github.com/keyage/keyage/internal/dynalite"
	"github.com/keyage/keyage/ledger"
)

// TableName is the table's name in the tests.
const TableName = "keyage-ledger-test"

// Env points the AWS SDK of this process (and of the processes it starts) at endpoint for
// DynamoDB, with static test credentials and no shared configuration (awstest.Env).
func Env(t testing.TB, endpoint string) {
	t.Helper()
	awstest.Env(t, map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": endpoint})
}

// New starts dynalite, points the SDK at it (Env) and creates the table: it returns the ledger
// and the endpoint.
func New(t testing.TB) (*ledger.Table, string) {
	t.Helper()
	endpoint := dynalite.Start(t)
	Env(t, endpoint)
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatalf("load AWS configuration: %v", err)
	}
	client := dynamodb.NewFromConfig(cfg)
	if _, err := client.CreateTable(ctx, ledger.CreateTableInput(TableName)); err != nil {
		t.Fatalf("create table %s in dynalite: %v", TableName, err)
	}
	return &ledger.Table{API: client, Name: TableName}, endpoint
}

// Start starts dynalite and creates the table there without touching this process's
// environment (for parallel tests, whose function processes get AWS_ENDPOINT_URL_DYNAMODB):
// it returns the ledger, through a client with BaseEndpoint set, and the endpoint.
func Start(t testing.TB) (*ledger.Table, string) {
	t.Helper()
	endpoint := dynalite.Start(t)
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "test", ""),
	})
	if _, err := client.CreateTable(context.Background(), ledger.CreateTableInput(TableName)); err != nil {
		t.Fatalf("create table %s in dynalite: %v", TableName, err)
	}
	return &ledger.Table{API: client, Name: TableName}, endpoint
}
