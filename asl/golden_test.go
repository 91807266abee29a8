package asl

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/keyage/keyage/internal/golden"
)

const (
	testPartition  = "aws"
	testFunction   = "arn:aws:lambda:us-east-1:123456789012:function:worker"
	testTopic      = "arn:aws:sns:us-east-1:123456789012:alerts"
	testMachineARN = "arn:aws:states:us-east-1:123456789012:stateMachine:everything"
	testRole       = "arn:aws:iam::210987654321:role/reader"
)

// everythingJSONPath uses every state type and every JSONPath-language field, plus one state
// that opts into JSONata.
func everythingJSONPath() *StateMachine {
	invoke := LambdaInvokeTask(testPartition, testFunction)
	invoke.Comment = "every Task field of JSONPath"
	invoke.InputPath = "$.request"
	invoke.Parameters = map[string]any{
		"FunctionName": testFunction,
		"Payload": map[string]any{
			"id.$":      "$.id",
			"started.$": "$$.Execution.StartTime",
			"greeting.$": "States.Format('Hello, {}! You have {} items', $.name, " +
				"States.ArrayLength($.items))",
			"tags.$":   "$.tags[*].key",
			"first.$":  "$.items[0]",
			"literal":  "not a path",
			"nested":   []any{map[string]any{"n.$": "$.n"}, 3},
			"uuid.$":   "States.UUID()",
			"merged.$": "States.JsonMerge($.a, $.b, false)",
		},
	}
	invoke.ResultSelector = map[string]any{"body.$": "$.Payload", "status.$": "$.StatusCode"}
	invoke.ResultPath = "$.result"
	invoke.OutputPath = "$"
	invoke.Assign = map[string]any{"attempt": 1, "resultId.$": "$.result.body.id"}
	invoke.TimeoutSeconds = Count{N: 300}
	invoke.HeartbeatSeconds = Count{N: 60}
	invoke.Credentials = &Credentials{RoleArn: testRole}
	invoke.Retry = []Retrier{
		{
			Comment:         "transient Lambda errors, as AWS recommends",
			ErrorEquals:     []string{"Lambda.ServiceException", "Lambda.TooManyRequestsException"},
			IntervalSeconds: 2,
			MaxAttempts:     new(6),
			BackoffRate:     2,
			MaxDelaySeconds: 60,
			JitterStrategy:  JitterFull,
		},
		{ErrorEquals: []string{ErrAll}, MaxAttempts: new(0), JitterStrategy: JitterNone},
	}
	invoke.Catch = []Catcher{
		{Comment: "give up", ErrorEquals: []string{ErrTimeout, ErrTaskFailed}, Next: "Failed", ResultPath: "$.error", Assign: map[string]any{"failed": true}},
		{ErrorEquals: []string{ErrAll}, Next: "FailedDynamic"},
	}
	invoke.Next = "Inject"

	list := SDKTask(testPartition, "iam", "listUsers")
	list.Parameters = map[string]any{"MaxItems": 100}
	list.TimeoutSeconds = Count{Path: "$.limits.timeout"}
	list.HeartbeatSeconds = Count{Path: "$.limits.heartbeat"}
	list.Credentials = &Credentials{RoleArnPath: "$.roleArn"}
	list.ResultPath = NullPath
	list.Next = "Decide"

	publish := SNSPublishTask(testPartition, testTopic)
	publish.QueryLanguage = JSONata
	publish.Comment = "a JSONata state inside a JSONPath machine"
	publish.Arguments = map[string]any{"TopicArn": testTopic, "Message": "{% $string($states.input) %}"}
	publish.Output = "{% $states.input %}"
	publish.End = true

	return &StateMachine{
		Comment:        "Every state type and every JSONPath field",
		QueryLanguage:  JSONPath,
		StartAt:        "Invoke",
		TimeoutSeconds: 3600,
		Version:        "1.0",
		States: States{
			"Invoke": invoke,
			"Inject": &Pass{
				IO:         IO{InputPath: "$", OutputPath: "$"},
				Result:     map[string]any{"threshold": 90, "ratio": 0.25, "flags": []any{true, false, nil}},
				ResultPath: "$.config",
				Flow:       Flow{Next: "Shape"},
			},
			"Shape": &Pass{
				Parameters: map[string]any{"users.$": "$.users", "count.$": "States.ArrayLength($.users)", "threshold.$": "$.config.threshold"},
				Flow:       Flow{Next: "ListUsers"},
			},
			"ListUsers": list,
			"Decide": &Choice{
				Common: Common{Comment: "every comparison operator"},
				IO:     IO{InputPath: "$", OutputPath: "$"},
				Choices: []ChoiceRule{
					{
						Comment: "all string, numeric, boolean and timestamp operators",
						And: []ChoiceRule{
							{Variable: "$.s", StringEquals: new("a")},
							{Variable: "$.s", StringEqualsPath: "$.t"},
							{Variable: "$.s", StringLessThan: new("b")},
							{Variable: "$.s", StringLessThanPath: "$.t"},
							{Variable: "$.s", StringGreaterThan: new("0")},
							{Variable: "$.s", StringGreaterThanPath: "$.t"},
							{Variable: "$.s", StringLessThanEquals: new("a")},
							{Variable: "$.s", StringLessThanEqualsPath: "$.t"},
							{Variable: "$.s", StringGreaterThanEquals: new("a")},
							{Variable: "$.s", StringGreaterThanEqualsPath: "$.t"},
							{Variable: "$.s", StringMatches: new("a*")},
							{Variable: "$.n", NumericEquals: new(1.0)},
							{Variable: "$.n", NumericEqualsPath: "$.m"},
							{Variable: "$.n", NumericLessThan: new(2.5)},
							{Variable: "$.n", NumericLessThanPath: "$.m"},
							{Variable: "$.n", NumericGreaterThan: new(-1.0)},
							{Variable: "$.n", NumericGreaterThanPath: "$.m"},
							{Variable: "$.n", NumericLessThanEquals: new(1.0)},
							{Variable: "$.n", NumericLessThanEqualsPath: "$.m"},
							{Variable: "$.n", NumericGreaterThanEquals: new(1.0)},
							{Variable: "$.n", NumericGreaterThanEqualsPath: "$.m"},
							{Variable: "$.b", BooleanEquals: new(true)},
							{Variable: "$.b", BooleanEqualsPath: "$.c"},
							{Variable: "$.ts", TimestampEquals: new("2024-01-01T00:00:00Z")},
							{Variable: "$.ts", TimestampEqualsPath: "$.tt"},
							{Variable: "$.ts", TimestampLessThan: new("2030-01-01T00:00:00Z")},
							{Variable: "$.ts", TimestampLessThanPath: "$.tt"},
							{Variable: "$.ts", TimestampGreaterThan: new("2020-01-01T00:00:00+02:00")},
							{Variable: "$.ts", TimestampGreaterThanPath: "$.tt"},
							{Variable: "$.ts", TimestampLessThanEquals: new("2030-01-01T00:00:00Z")},
							{Variable: "$.ts", TimestampLessThanEqualsPath: "$.tt"},
							{Variable: "$.ts", TimestampGreaterThanEquals: new("2020-01-01T00:00:00.5Z")},
							{Variable: "$.ts", TimestampGreaterThanEqualsPath: "$.tt"},
						},
						Assign: map[string]any{"branch": "all"},
						Next:   "WaitSeconds",
					},
					{
						Or: []ChoiceRule{
							{Variable: "$.x", IsNull: new(true)},
							{Variable: "$.x", IsPresent: new(false)},
							{Variable: "$.x", IsNumeric: new(true)},
							{Variable: "$.x", IsString: new(true)},
							{Variable: "$.x", IsBoolean: new(false)},
							{Variable: "$.x", IsTimestamp: new(true)},
						},
						Next: "Fan",
					},
					{Not: &ChoiceRule{Variable: "$.users[0].name", StringEquals: new("root")}, Next: "Scan"},
				},
				Default: "Publish",
			},
			"WaitSeconds":   &Wait{Seconds: Count{N: 5}, Flow: Flow{Next: "WaitUntil"}},
			"WaitUntil":     &Wait{Timestamp: "2030-01-01T08:00:00Z", Flow: Flow{Next: "WaitPath"}},
			"WaitPath":      &Wait{Seconds: Count{Path: "$.delay"}, IO: IO{InputPath: "$", OutputPath: "$"}, Flow: Flow{Next: "WaitStampPath"}},
			"WaitStampPath": &Wait{TimestampPath: "$.when", Flow: Flow{Next: "Done"}},
			"Done":          &Succeed{IO: IO{InputPath: "$", OutputPath: "$.result"}, Common: Common{Comment: "all good"}},
			"Failed":        &Fail{Error: "Worker.Failed", Cause: "the worker gave up"},
			"FailedDynamic": &Fail{ErrorPath: "$.Error", CausePath: "States.Format('cause: {}', $.Cause)"},
			"Fan": &Parallel{
				IO:             IO{InputPath: "$", OutputPath: "$"},
				Parameters:     map[string]any{"input.$": "$"},
				ResultSelector: map[string]any{"left.$": "$[0]", "right.$": "$[1]"},
				ResultPath:     "$.fan",
				Branches: []Branch{
					{StartAt: "Left", States: States{"Left": &Pass{Flow: Flow{End: true}}}},
					{Comment: "right branch", StartAt: "Right", States: States{"Right": &Wait{Seconds: Count{N: 1}, Flow: Flow{End: true}}}},
				},
				Retry: []Retrier{{ErrorEquals: []string{ErrBranchFailed}, IntervalSeconds: 1, MaxAttempts: new(2), BackoffRate: 1.5}},
				Catch: []Catcher{{ErrorEquals: []string{ErrAll}, Next: "Failed", ResultPath: NullPath}},
				Flow:  Flow{Next: "Publish"},
			},
			"Scan": &Map{
				Common:         Common{Comment: "inline map over users"},
				IO:             IO{InputPath: "$", OutputPath: "$"},
				ItemsPath:      "$.users",
				ItemSelector:   map[string]any{"user.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
				MaxConcurrency: Count{Path: "$.limits.concurrency"},
				ResultSelector: map[string]any{"count.$": "States.ArrayLength($)"},
				ResultPath:     "$.scanned",
				ItemProcessor: &ItemProcessor{
					ProcessorConfig: &ProcessorConfig{Mode: ModeInline},
					Branch: Branch{StartAt: "CheckOne", States: States{
						"CheckOne": &Pass{Flow: Flow{End: true}},
					}},
				},
				Retry: []Retrier{{ErrorEquals: []string{ErrAll}}},
				Catch: []Catcher{{ErrorEquals: []string{ErrAll}, Next: "Failed"}},
				Flow:  Flow{Next: "Bulk"},
			},
			"Bulk": &Map{
				Label:                      "BulkScan",
				MaxConcurrency:             Count{N: 50},
				ToleratedFailureCount:      Count{N: 10},
				ToleratedFailurePercentage: Fraction{N: 5},
				ItemReader: &ItemReader{
					Resource:   "arn:aws:states:::s3:getObject",
					Parameters: map[string]any{"Bucket": "keyage-input", "Key": "users.csv"},
					ReaderConfig: &ReaderConfig{
						InputType: "CSV", CSVHeaderLocation: "GIVEN", CSVHeaders: []string{"user", "team"},
						CSVDelimiter: "COMMA", MaxItems: Count{N: 5000},
					},
				},
				ItemBatcher: &ItemBatcher{
					MaxItemsPerBatch:      Count{N: 100},
					MaxInputBytesPerBatch: Count{N: 131072},
					BatchInput:            map[string]any{"threshold.$": "$.config.threshold"},
				},
				ResultWriter: &ResultWriter{
					Resource:     "arn:aws:states:::s3:putObject",
					Parameters:   map[string]any{"Bucket": "keyage-results", "Prefix": "runs/"},
					WriterConfig: &WriterConfig{OutputType: "JSONL", Transformation: "COMPACT"},
				},
				ItemProcessor: &ItemProcessor{
					ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: ExecutionExpress},
					Branch: Branch{Comment: "one batch", StartAt: "Batch", States: States{
						"Batch": &Pass{Flow: Flow{End: true}},
					}},
				},
				ResultPath: NullPath,
				Flow:       Flow{Next: "BulkByPath"},
			},
			"BulkByPath": &Map{
				ItemsPath:                  "$.users",
				ToleratedFailureCount:      Count{Path: "$.limits.failures"},
				ToleratedFailurePercentage: Fraction{Path: "$.limits.percentage"},
				ItemReader: &ItemReader{
					Resource:     "arn:aws:states:::s3:listObjectsV2",
					Parameters:   map[string]any{"Bucket.$": "$.bucket", "Prefix": "in/"},
					ReaderConfig: &ReaderConfig{MaxItems: Count{Path: "$.limits.items"}},
				},
				ItemBatcher: &ItemBatcher{MaxItemsPerBatch: Count{Path: "$.limits.batch"}, MaxInputBytesPerBatch: Count{Path: "$.limits.bytes"}},
				ItemProcessor: &ItemProcessor{
					ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: ExecutionStandard},
					Branch: Branch{StartAt: "Nested", States: States{
						"Nested": &Map{
							ItemsPath: "$.Items",
							ItemProcessor: &ItemProcessor{Branch: Branch{StartAt: "Leaf", States: States{
								"Leaf": &Succeed{},
							}}},
							Flow: Flow{End: true},
						},
					}},
				},
				Flow: Flow{Next: "Publish"},
			},
			"Publish": publish,
		},
	}
}

// everythingJSONata uses every state type and every JSONata-language field.
func everythingJSONata() *StateMachine {
	invoke := LambdaInvokeTask(testPartition, testFunction)
	invoke.Arguments = map[string]any{"FunctionName": testFunction, "Payload": "{% $states.input %}"}
	invoke.Output = "{% $states.result.Payload %}"
	invoke.Assign = map[string]any{"started": "{% $states.context.Execution.StartTime %}", "fixed": 1}
	invoke.TimeoutSeconds = Count{Expr: "{% $timeout %}"}
	invoke.HeartbeatSeconds = Count{Expr: "{% $heartbeat %}"}
	invoke.Credentials = &Credentials{RoleArn: "{% $roleArn %}"}
	invoke.Retry = []Retrier{{ErrorEquals: []string{"Lambda.ServiceException"}, IntervalSeconds: 2, MaxAttempts: new(6), BackoffRate: 2}}
	invoke.Catch = []Catcher{{
		ErrorEquals: []string{ErrAll}, Next: "Failed",
		Output: map[string]any{"error": "{% $states.errorOutput %}"}, Assign: map[string]any{"failed": true},
	}}
	invoke.Next = "Inject"

	publish := SNSPublishTask(testPartition, testTopic)
	publish.Arguments = map[string]any{"TopicArn": testTopic, "Message": "{% $string($states.input) %}", "Subject": "plain text"}
	publish.TimeoutSeconds = Count{N: 30}
	publish.End = true

	return &StateMachine{
		Comment:       "Every state type and every JSONata field",
		QueryLanguage: JSONata,
		StartAt:       "Invoke",
		States: States{
			"Invoke": invoke,
			"Inject": &Pass{
				IO: IO{
					Output: map[string]any{"threshold": 90, "doubled": "{% $states.input.n * 2 %}"},
					Assign: map[string]any{"threshold": 90},
				},
				Flow: Flow{Next: "Decide"},
			},
			"Decide": &Choice{
				Choices: []ChoiceRule{
					{Condition: "{% $states.input.n > 10 %}", Next: "WaitSeconds", Output: "{% $states.input %}", Assign: map[string]any{"big": true}},
					{Condition: "{% $exists($states.input.items) %}", Next: "Scan"},
				},
				Default: "Fan",
				IO:      IO{Output: "{% $states.input %}"},
			},
			"WaitSeconds": &Wait{Seconds: Count{Expr: "{% $states.input.delay %}"}, Flow: Flow{Next: "WaitUntil"}},
			"WaitUntil":   &Wait{Timestamp: "{% $states.input.when %}", Flow: Flow{Next: "WaitFixed"}},
			"WaitFixed":   &Wait{Timestamp: "2030-01-01T08:00:00Z", IO: IO{Output: "{% $states.input %}"}, Flow: Flow{Next: "Done"}},
			"Done":        &Succeed{IO: IO{Output: "{% $states.input.result %}"}},
			"Failed":      &Fail{Error: "{% $states.input.error.Error %}", Cause: "{% 'cause: ' & $states.input.error.Cause %}"},
			"Fan": &Parallel{
				Arguments: "{% $states.input %}",
				IO:        IO{Output: "{% $states.result %}"},
				Branches: []Branch{
					{StartAt: "Left", States: States{"Left": &Pass{Flow: Flow{End: true}}}},
					{QueryLanguage: JSONata, StartAt: "Right", States: States{"Right": &Pass{IO: IO{Output: "{% 1 %}"}, Flow: Flow{End: true}}}},
				},
				Catch: []Catcher{{ErrorEquals: []string{ErrAll}, Next: "Failed"}},
				Flow:  Flow{Next: "Publish"},
			},
			"Scan": &Map{
				Items:          "{% $states.input.items %}",
				ItemSelector:   map[string]any{"item": "{% $states.context.Map.Item.Value %}"},
				MaxConcurrency: Count{Expr: "{% $concurrency %}"},
				ItemProcessor: &ItemProcessor{Branch: Branch{StartAt: "One", States: States{
					"One": &Pass{Flow: Flow{End: true}},
				}}},
				Flow: Flow{Next: "Bulk"},
			},
			"Bulk": &Map{
				Items:                      []any{1, 2, "{% $three %}"},
				ToleratedFailureCount:      Count{Expr: "{% $failures %}"},
				ToleratedFailurePercentage: Fraction{Expr: "{% $percentage %}"},
				Label:                      "Bulk",
				ItemReader: &ItemReader{
					Resource:     "arn:aws:states:::s3:getObject",
					Arguments:    map[string]any{"Bucket": "keyage-input", "Key": "{% $key %}"},
					ReaderConfig: &ReaderConfig{InputType: "JSON"},
				},
				ItemBatcher: &ItemBatcher{MaxItemsPerBatch: Count{N: 10}, BatchInput: map[string]any{"at": "{% $now() %}"}},
				ResultWriter: &ResultWriter{
					Resource:  "arn:aws:states:::s3:putObject",
					Arguments: map[string]any{"Bucket": "keyage-results", "Prefix": "{% $prefix %}"},
				},
				ItemProcessor: &ItemProcessor{
					ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: ExecutionExpress},
					Branch:          Branch{StartAt: "Batch", States: States{"Batch": &Pass{Flow: Flow{End: true}}}},
				},
				Retry: []Retrier{{ErrorEquals: []string{ErrAll}, MaxAttempts: new(1)}},
				Flow:  Flow{Next: "Publish"},
			},
			"Publish": publish,
		},
	}
}

// goldenMachines are the machines whose rendering is pinned in testdata/<name>.asl.json.
func goldenMachines() map[string]*StateMachine {
	return map[string]*StateMachine{
		"everything_jsonpath": everythingJSONPath(),
		"everything_jsonata":  everythingJSONata(),
	}
}

func TestGoldenRender(t *testing.T) {
	for name, m := range goldenMachines() {
		t.Run(name, func(t *testing.T) {
			got, err := m.Render()
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			golden.Check(t, filepath.Join("testdata", name+".asl.json"), got)
			again, err := m.Render()
			if err != nil || !bytes.Equal(again, got) {
				t.Errorf("second Render differs from the first (err %v)", err)
			}
		})
	}
}
