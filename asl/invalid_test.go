package asl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// lines joins the messages of several violations as errors.Join prints them.
func lines(msgs ...string) string { return strings.Join(msgs, "\n") }

// invalidMachines are definitions that Parse accepts and Validate must reject with exactly the
// message given. aslValidatorRejects pins asl-validator@4.0.0's verdict on each: the cases it
// accepts are rules this package checks beyond its JSON schema.
var invalidMachines = []struct {
	name                string
	def                 string
	want                string
	aslValidatorRejects bool
}{
	{
		name: "dangling Next",
		def:  `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"C":{"Type":"Succeed"}}}`,
		want: lines("States.A.Next: \"B\" is not a state of this graph",
			"States.C: unreachable from StartAt \"A\""),

		aslValidatorRejects: true,
	},
	{
		name: "missing Next and End",
		def:  `{"StartAt":"A","States":{"A":{"Type":"Pass"},"B":{"Type":"Succeed"}}}`,
		want: lines("States.A: has neither Next nor End; want exactly one",
			"States.B: unreachable from StartAt \"A\""),

		aslValidatorRejects: true,
	},
	{
		name: "Next and End both",
		def:  `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}}}`,
		want: "States.A.Next: Next and End are exclusive; set one",

		aslValidatorRejects: true,
	},
	{
		name: "unreachable state",
		def:  `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Pass","Next":"A"}}}`,
		want: "States.B: unreachable from StartAt \"A\"",

		aslValidatorRejects: true,
	},
	{
		name: "StartAt names no state",
		def:  `{"StartAt":"Begin","States":{"A":{"Type":"Succeed"}}}`,
		want: "StartAt: \"Begin\" is not a state of this graph",

		aslValidatorRejects: true,
	},
	{
		name: "no terminal state",
		def:  `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}}`,
		want: "States: no state ends this graph; want a state with End, a Succeed or a Fail",

		aslValidatorRejects: true,
	},
	{
		name: "duplicate name across nested graphs",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}],"End":true}}}`,
		want: "States.P.Branches[0].States.P: name \"P\" is already used by States.P; state names must be unique across the machine, nested graphs included",

		aslValidatorRejects: true,
	},
	{
		name: "duplicate name in two branches",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"}}},{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}],"End":true}}}`,
		want: "States.P.Branches[1].States.X: name \"X\" is already used by States.P.Branches[0].States.X; state names must be unique across the machine, nested graphs included",

		aslValidatorRejects: true,
	},
	{
		name: "name over 80 characters",
		def:  `{"StartAt":"AAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDDEEEEEEEEEEFFFFFFFFFFGGGGGGGGGGHHHHHHHHHHI","States":{"AAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDDEEEEEEEEEEFFFFFFFFFFGGGGGGGGGGHHHHHHHHHHI":{"Type":"Succeed"}}}`,
		want: "States.AAAAAAAAAABBBBBBBBBBCCCCCCCCCCDDDDDDDDDDEEEEEEEEEEFFFFFFFFFFGGGGGGGGGGHHHHHHHHHHI: name is 81 characters; the limit is 80",

		aslValidatorRejects: true,
	},
	{
		name: "States.ALL not alone in Retry",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL","States.Timeout"]}],"End":true}}}`,
		want: "States.T.Retry[0].ErrorEquals: \"States.ALL\" must appear alone",

		aslValidatorRejects: false,
	},
	{
		name: "States.ALL not last in Retry",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["States.Timeout"]}],"End":true}}}`,
		want: "States.T.Retry[0]: a retrier matching \"States.ALL\" must be the last",

		aslValidatorRejects: false,
	},
	{
		name: "States.ALL not last in Catch",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"F"},{"ErrorEquals":["States.Timeout"],"Next":"F"}],"End":true},"F":{"Type":"Fail"}}}`,
		want: "States.T.Catch[0]: a catcher matching \"States.ALL\" must be the last",

		aslValidatorRejects: false,
	},
	{
		name: "empty ErrorEquals",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":[]}],"End":true}}}`,
		want: "States.T.Retry[0].ErrorEquals: empty; want at least one error name",

		aslValidatorRejects: false,
	},
	{
		name: "heartbeat not below timeout",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","TimeoutSeconds":60,"HeartbeatSeconds":60,"End":true}}}`,
		want: "States.T.HeartbeatSeconds: 60 must be less than TimeoutSeconds 60",

		aslValidatorRejects: false,
	},
	{
		name: "TimeoutSeconds with TimeoutSecondsPath",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":60,"TimeoutSecondsPath":"$.t","End":true}}}`,
		want: "States.T.TimeoutSeconds: TimeoutSeconds and TimeoutSecondsPath are exclusive; set one",

		aslValidatorRejects: true,
	},
	{
		name: "Task without Resource",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"","End":true}}}`,
		want: "States.T.Resource: missing; want an ARN",

		aslValidatorRejects: true,
	},
	{
		name: "Task Resource not an ARN",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"lambda:invoke","End":true}}}`,
		want: "States.T.Resource: \"lambda:invoke\" is not an ARN",

		aslValidatorRejects: true,
	},
	{
		name: "Wait with two time fields",
		def:  `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"TimestampPath":"$.when","End":true}}}`,
		want: "States.W.Seconds: Seconds and TimestampPath are exclusive; set one",

		aslValidatorRejects: true,
	},
	{
		name: "Wait without a time field",
		def:  `{"StartAt":"W","States":{"W":{"Type":"Wait","End":true}}}`,
		want: "States.W: a Wait needs one of Seconds, Timestamp, SecondsPath or TimestampPath",

		aslValidatorRejects: true,
	},
	{
		name: "Wait with a malformed Timestamp",
		def:  `{"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2030-01-01 08:00","End":true}}}`,
		want: "States.W.Timestamp: \"2030-01-01 08:00\" is not an RFC 3339 timestamp",

		aslValidatorRejects: true,
	},
	{
		name: "Fail with Error and ErrorPath",
		def:  `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`,
		want: "States.F.Error: Error and ErrorPath are exclusive; set one",

		aslValidatorRejects: true,
	},
	{
		name: "JSONPath field in a JSONata state",
		def:  `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},"ResultPath":"$.r","End":true}}}`,
		want: lines("States.T.Parameters: is a JSONPath field; this state's query language is JSONata",
			"States.T.ResultPath: is a JSONPath field; this state's query language is JSONata"),

		aslValidatorRejects: true,
	},
	{
		name: "JSONata field in a JSONPath state",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"f"},"Output":"{% $states.result %}","End":true}}}`,
		want: lines("States.T.Output: is a JSONata field; this state's query language is JSONPath",
			"States.T.Arguments: is a JSONata field; this state's query language is JSONPath"),

		aslValidatorRejects: true,
	},
	{
		name: "JSONPath state in a JSONata machine",
		def:  `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`,
		want: "States.P.QueryLanguage: JSONPath is not allowed in a JSONata state machine",

		aslValidatorRejects: false,
	},
	{
		name: "unknown QueryLanguage",
		def:  `{"QueryLanguage":"XPath","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
		want: "QueryLanguage: \"XPath\" is unknown; want \"JSONPath\" or \"JSONata\"",

		aslValidatorRejects: true,
	},
	{
		name: "ResultPath with a wildcard",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","ResultPath":"$.items[*]","End":true}}}`,
		want: "States.P.ResultPath: path \"$.items[*]\" is not a reference path: \"[*]\" is not allowed",

		aslValidatorRejects: true,
	},
	{
		name: "ResultPath with a filter",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","ResultPath":"$.items[?(@.a > 1)]","End":true}}}`,
		want: "States.P.ResultPath: path \"$.items[?(@.a > 1)]\" is not a reference path: a filter expression is not allowed",

		aslValidatorRejects: true,
	},
	{
		name: "InputPath without $",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","InputPath":"input.a","End":true}}}`,
		want: "States.P.InputPath: path \"input.a\" must start with \"$\"",

		aslValidatorRejects: true,
	},
	{
		name: "OutputPath with an unclosed bracket",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"$.a[0","End":true}}}`,
		want: "States.P.OutputPath: path \"$.a[0\": \"[\" at offset 3 is not closed",

		aslValidatorRejects: true,
	},
	{
		name: "unclosed JSONata expression",
		def:  `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"x":"{% $states.input"},"End":true}}}`,
		want: "States.P.Output.x: \"{% $states.input\" opens a JSONata expression with \"{%\" but does not close it with \"%}\"",

		aslValidatorRejects: true,
	},
	{
		name: "unopened JSONata expression",
		def:  `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"$states.input %}","End":true}}}`,
		want: "States.P.Output: \"$states.input %}\" closes a JSONata expression with \"%}\" but does not open it with \"{%\"",

		aslValidatorRejects: true,
	},
	{
		name: "JSONata Condition without delimiters",
		def:  `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"$states.input.ok","Next":"S"}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Choices[0].Condition: \"$states.input.ok\" is not a JSONata expression: want \"{% ... %}\"",

		aslValidatorRejects: true,
	},
	{
		name: ".$ key holding a literal",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"name.$":"hello"},"End":true}}}`,
		want: "States.P.Parameters.name.$: path \"hello\" must start with \"$\"",

		aslValidatorRejects: true,
	},
	{
		name: ".$ key holding a number",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"n.$":5},"End":true}}}`,
		want: "States.P.Parameters.n.$: a key ending in \".$\" must hold a path or an intrinsic function, got a number",

		aslValidatorRejects: true,
	},
	{
		name: ".$ key with an unknown intrinsic",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"States.Concat($.a, $.b)"},"End":true}}}`,
		want: "States.P.Parameters.x.$: intrinsic \"States.Concat($.a, $.b)\": unknown function \"States.Concat\"",

		aslValidatorRejects: true,
	},
	{
		name: "States.Format with too few values",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"x.$":"States.Format('{} and {}', $.a)"},"End":true}}}`,
		want: "States.P.Parameters.x.$: intrinsic \"States.Format('{} and {}', $.a)\": the template has 2 {} placeholders but 1 arguments follow it",

		aslValidatorRejects: false,
	},
	{
		name: ".$ key in a JSONata state",
		def:  `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{"x.$":"$.a"},"End":true}}}`,
		want: "States.P.Output.x.$: a key ending in \".$\" is JSONPath; a JSONata state writes \"{% ... %}\" values",

		aslValidatorRejects: false,
	},
	{
		name: "ToleratedFailurePercentage over 100",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailurePercentage":150,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ToleratedFailurePercentage: 150 is outside 0..100",

		aslValidatorRejects: true,
	},
	{
		name: "Label too long",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"ThisLabelIsLongerThanFortyCharactersInAll","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.Label: \"ThisLabelIsLongerThanFortyCharactersInAll\" is 41 characters; the limit is 40",

		aslValidatorRejects: false,
	},
	{
		name: "Label with a forbidden character",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"scan:users","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.Label: \"scan:users\" contains ':'; a label may not contain whitespace, control characters or any of <>{}[]?*\"#%\\^|~`$&,;:/",

		aslValidatorRejects: false,
	},
	{
		name: "ItemBatcher on an inline Map",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxItemsPerBatch":10},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ItemBatcher: only a DISTRIBUTED map may have ItemBatcher",

		aslValidatorRejects: false,
	},
	{
		name: "ExecutionType on an inline Map",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE","ExecutionType":"EXPRESS"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ItemProcessor.ProcessorConfig.ExecutionType: only a DISTRIBUTED map has an ExecutionType",

		aslValidatorRejects: false,
	},
	{
		name: "Distributed Map without ExecutionType",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ItemProcessor.ProcessorConfig.ExecutionType: missing; a DISTRIBUTED map needs \"STANDARD\" or \"EXPRESS\"",

		aslValidatorRejects: true,
	},
	{
		name: "Map without ItemProcessor",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","End":true}}}`,
		want: "States.M.ItemProcessor: missing; want the graph to run for each item",

		aslValidatorRejects: true,
	},
	{
		name: "batch larger than 256 KiB",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"MaxInputBytesPerBatch":300000},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ItemBatcher.MaxInputBytesPerBatch: 300000 is outside 1..262144",

		aslValidatorRejects: true,
	},
	{
		name: "Choice without rules",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[],"Default":"S"},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Choices: empty; want at least one rule",

		aslValidatorRejects: true,
	},
	{
		name: "Choice rule with two operators",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"x","IsPresent":true,"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Choices[0]: StringEquals and IsPresent are exclusive; want exactly one comparison operator",

		aslValidatorRejects: true,
	},
	{
		name: "Choice rule without an operator",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","Next":"S"}]},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Choices[0]: no comparison operator; want exactly one, such as StringEquals or IsPresent",

		aslValidatorRejects: true,
	},
	{
		name: "Choice rule without Next",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true}],"Default":"S"},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Choices[0].Next: missing; a top-level rule names the state to move to",

		aslValidatorRejects: true,
	},
	{
		name: "nested Choice rule with Next",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsPresent":true,"Next":"S"},"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Choices[0].Not.Next: only a top-level rule may have Next",

		aslValidatorRejects: false,
	},
	{
		name: "Choice Default names no state",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"S"}],"Default":"Elsewhere"},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Default: \"Elsewhere\" is not a state of this graph",

		aslValidatorRejects: true,
	},
	{
		name: "Choice Condition in a JSONPath state",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"S"}]},"S":{"Type":"Succeed"}}}`,
		want: lines("States.C.Choices[0].Condition: is a JSONata field; this state's query language is JSONPath",
			"States.C.Choices[0].Variable: missing; want a path (or use And, Or, Not)"),

		aslValidatorRejects: true,
	},
	{
		name: "MaxAttempts negative",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.Timeout"],"MaxAttempts":-1}],"End":true}}}`,
		want: "States.T.Retry[0].MaxAttempts: -1 is outside 0..99999999",

		aslValidatorRejects: true,
	},
	{
		name: "BackoffRate below 1",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.Timeout"],"BackoffRate":0.5}],"End":true}}}`,
		want: "States.T.Retry[0].BackoffRate: 0.5 is less than 1",

		aslValidatorRejects: false,
	},
	{
		name: "JitterStrategy unknown",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Retry":[{"ErrorEquals":["States.Timeout"],"JitterStrategy":"PARTIAL"}],"End":true}}}`,
		want: "States.T.Retry[0].JitterStrategy: \"PARTIAL\" is unknown; want \"FULL\" or \"NONE\"",

		aslValidatorRejects: false,
	},
	{
		name: "Catch Next names no state",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"Nowhere"}],"End":true}}}`,
		want: "States.T.Catch[0].Next: \"Nowhere\" is not a state of this graph",

		aslValidatorRejects: true,
	},
	{
		name: "Parallel without branches",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[],"End":true}}}`,
		want: "States.P.Branches: empty; want at least one branch",

		aslValidatorRejects: false,
	},
	{
		name: "negative machine TimeoutSeconds",
		def:  `{"StartAt":"P","TimeoutSeconds":-5,"States":{"P":{"Type":"Pass","End":true}}}`,
		want: "TimeoutSeconds: -5 is outside 1..99999999",

		aslValidatorRejects: true,
	},
	{
		name: "unsupported Version",
		def:  `{"Version":"2.0","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`,
		want: "Version: \"2.0\" is not supported; want \"1.0\"",

		aslValidatorRejects: false,
	},
	{
		name: "JSONPath branch in a JSONata machine",
		def:  `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"QueryLanguage":"JSONPath","StartAt":"X","States":{"X":{"Type":"Succeed"}}}],"End":true}}}`,
		want: "States.P.Branches[0].QueryLanguage: JSONPath is not allowed in a JSONata state machine",

		aslValidatorRejects: false,
	},
	{
		name: "waitForTaskToken in an Express child",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}},"End":true}}}`,
		want: "States.M.ItemProcessor.States.Ask.Resource: \"arn:aws:states:::sqs:sendMessage.waitForTaskToken\": Express child workflows support neither .sync nor .waitForTaskToken",

		aslValidatorRejects: false,
	},
	{
		name: "aws-sdk integration with .sync",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject.sync","End":true}}}`,
		want: "States.T.Resource: \"arn:aws:states:::aws-sdk:s3:getObject.sync\": aws-sdk integrations do not support the .sync pattern",

		aslValidatorRejects: false,
	},
	{
		name: "Credentials with RoleArn and RoleArn.$",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Credentials":{"RoleArn":"arn:aws:iam::1:role/r","RoleArn.$":"$.role"},"End":true}}}`,
		want: "States.T.Credentials: RoleArn and RoleArn.$ are exclusive; set one",

		aslValidatorRejects: false,
	},
	{
		name: "ItemReader with an unknown InputType",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"XML"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ItemReader.ReaderConfig.InputType: \"XML\" is unknown; want CSV, JSON, JSONL, MANIFEST or PARQUET",

		aslValidatorRejects: false,
	},
	{
		name: "CSV headers GIVEN but missing",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ItemReader.ReaderConfig.CSVHeaders: missing; CSVHeaderLocation GIVEN needs the headers",

		aslValidatorRejects: false,
	},
	{
		name: "ResultWriter without Resource or WriterConfig",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ResultWriter":{"Parameters":{"Bucket":"b"}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ResultWriter: want a Resource, a WriterConfig, or both",

		aslValidatorRejects: true,
	},
	{
		name: "ItemBatcher without a size",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemBatcher":{"BatchInput":{"a":1}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ItemBatcher: want MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms)",

		aslValidatorRejects: false,
	},
	{
		name: "Items in a JSONPath Map",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","Items":[1,2],"ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.Items: is a JSONata field; this state's query language is JSONPath",

		aslValidatorRejects: true,
	},
	{
		name: "ItemProcessor and legacy Iterator",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"Iterator":{"StartAt":"T","States":{"T":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.Iterator: ItemProcessor and Iterator are exclusive; Iterator is the legacy name of ItemProcessor",

		aslValidatorRejects: true,
	},
	{
		name: "JSONata Map Items not an array",
		def:  `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map","Items":{"a":1},"ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.Items: want an array or a JSONata expression, got an object",

		aslValidatorRejects: true,
	},
	{
		name: "ToleratedFailureCount on an inline Map",
		def:  `{"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":3,"ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
		want: "States.M.ToleratedFailureCount: only a DISTRIBUTED map may have ToleratedFailureCount",

		aslValidatorRejects: false,
	},
	{
		name: "TimeoutSeconds expression in a JSONPath state",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":"{% $t %}","End":true}}}`,
		want: "States.T.TimeoutSeconds: \"{% $t %}\" is a JSONata expression; this state's query language is JSONPath, which wants a number here",

		aslValidatorRejects: true,
	},
	{
		name: "Catcher Output in a JSONPath state",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Catch":[{"ErrorEquals":["States.ALL"],"Next":"F","Output":{"e":1}}],"End":true},"F":{"Type":"Fail"}}}`,
		want: "States.T.Catch[0].Output: is a JSONata field; this state's query language is JSONPath",

		aslValidatorRejects: false,
	},
	{
		name: "Choice rule mixing Not and Variable",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","Not":{"Variable":"$.a","IsNull":true},"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Choices[0]: Not cannot be combined with Variable or a comparison operator",

		aslValidatorRejects: false,
	},
	{
		name: "Choice rule with an invalid timestamp",
		def:  `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.t","TimestampLessThan":"yesterday","Next":"S"}]},"S":{"Type":"Succeed"}}}`,
		want: "States.C.Choices[0].TimestampLessThan: \"yesterday\" is not an RFC 3339 timestamp",

		aslValidatorRejects: false,
	},
	{
		name: "JSONPath operator in a JSONata rule",
		def:  `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Variable":"$.a","IsPresent":true,"Next":"S"}]},"S":{"Type":"Succeed"}}}`,
		want: lines("States.C.Choices[0].Variable: is a JSONPath field; this state's query language is JSONata",
			"States.C.Choices[0].IsPresent: is a JSONPath field; this state's query language is JSONata"),

		aslValidatorRejects: false,
	},
	{
		name: "Fail ErrorPath not a path",
		def:  `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"Error"}}}`,
		want: "States.F.ErrorPath: path \"Error\" must start with \"$\"",

		aslValidatorRejects: false,
	},
	{
		name: "SecondsPath with a wildcard",
		def:  `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.delays[*]","End":true}}}`,
		want: "States.W.SecondsPath: path \"$.delays[*]\" is not a reference path: \"[*]\" is not allowed",

		aslValidatorRejects: true,
	},
	{
		name:                "Parameters not an object",
		def:                 `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":[1,2],"End":true}}}`,
		want:                "States.P.Parameters: want an object, got an array",
		aslValidatorRejects: false,
	},
	{
		name:                "Arguments a number",
		def:                 `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Parallel","Arguments":-1,"Branches":[{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}],"End":true}}}`,
		want:                "States.P.Arguments: want an object or a JSONata expression, got a number",
		aslValidatorRejects: true,
	},
	{
		name: "Assign to an invalid variable name",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"1st":1,"ok.$":"$.a","bad-name.$":"$.b"},"End":true}}}`,
		want: lines(
			`States.P.Assign.1st: "1st" is not a variable name: want a letter or "_" followed by letters, digits or "_"`,
			`States.P.Assign.bad-name.$: "bad-name" is not a variable name: want a letter or "_" followed by letters, digits or "_"`,
		),
		aslValidatorRejects: false,
	},
	{
		name: "field named twice once .$ is removed",
		def:  `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"a":1,"a.$":"$.b","n":{"c.$":"$.c","c":2}},"End":true}}}`,
		want: lines(
			`States.P.Parameters.a.$: "a.$" and "a" both name the field "a" once ".$" is removed; keep one`,
			`States.P.Parameters.n.c.$: "c.$" and "c" both name the field "c" once ".$" is removed; keep one`,
		),
		aslValidatorRejects: true,
	},
	{
		name: "ResultPath naming a variable",
		def:  `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$result","Catch":[{"ErrorEquals":["States.ALL"],"Next":"S","ResultPath":"$err.cause"}],"End":true},"S":{"Type":"Succeed"}}}`,
		want: lines(
			`States.T.ResultPath: path "$result" names a variable; ResultPath places the result in the state's input, so it starts with "$" (set variables with Assign)`,
			`States.T.Catch[0].ResultPath: path "$err.cause" names a variable; ResultPath places the result in the state's input, so it starts with "$" (set variables with Assign)`,
		),
		aslValidatorRejects: true,
	},
	{
		name: "Pass Result in a JSONata state",
		def:  `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Result":{"a":1},"End":true}}}`,
		want: "States.P.Result: is a JSONPath field; this state's query language is JSONata",
		// AWS documents Result as "JSONPath only" (a JSONata Pass writes Output instead);
		// asl-validator@4.0.0 accepts it.
		aslValidatorRejects: false,
	},
	{
		name:                "Succeed with Assign",
		def:                 `{"StartAt":"S","States":{"S":{"Type":"Succeed","Assign":{"done":true}}}}`,
		want:                "States.S.Assign: a Succeed state cannot assign variables; Assign belongs in a Pass, Task, Map, Parallel, Choice or Wait state",
		aslValidatorRejects: true,
	},
	{
		name:                "Assign to the reserved states variable",
		def:                 `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Assign":{"states":"{% 1 %}"},"End":true}}}`,
		want:                `States.P.Assign.states: "states" is reserved for the $states variable`,
		aslValidatorRejects: false,
	},
}

func TestValidateInvalidMachines(t *testing.T) {
	if len(invalidMachines) < 25 {
		t.Fatalf("%d invalid machines, want at least 25", len(invalidMachines))
	}
	for _, tc := range invalidMachines {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.def))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			err = m.Validate()
			if err == nil {
				t.Fatalf("Validate accepted it; want %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Validate:\ngot  %q\nwant %q", got, tc.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("errors.As(%T, *ValidationError) = false, want true", err)
			}
			if _, err := m.Render(); err == nil {
				t.Errorf("Render accepted an invalid machine")
			}
		})
	}
}

// parseRejected are definitions that asl-validator rejects and that Parse must refuse, mostly
// because an explicit empty or zero value would otherwise decode as "absent" and vanish (found
// by mutating the testdata definitions and comparing verdicts).
var parseRejected = []string{
	`{"StartAt":"P","States":{"P":{"Type":"Pass","ResultPath":"","End":true}}}`,
	`{"StartAt":"P","States":{"P":{"Type":"Pass","OutputPath":"","End":true}}}`,
	`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"","ItemProcessor":{"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
	`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"S"}],"Default":""},"S":{"Type":"Succeed"}}}`,
	`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":0,"End":true}}}`,
	`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","HeartbeatSeconds":0,"End":true}}}`,
	`{"StartAt":"M","States":{"M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"MaxItems":0}},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
	`{"StartAt":"P","States":{"P":{"Type":"Pass","Nxt":"Q","End":true}}}`,
	`{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Parallel","Branches":[{"QueryLanguage":"","StartAt":"X","States":{"X":{"Type":"Succeed"}}}],"End":true}}}`,
	`{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":"","End":true}}}`,
	`{"StartAt":"P","States":{"P":{"Type":"Sleep","End":true}}}`,
	`{"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":""},"StartAt":"S","States":{"S":{"Type":"Succeed"}}},"End":true}}}`,
}

// stricterThanASLValidator lists the mutants of mutationSeed that asl-validator accepts and
// this package refuses, with the reason.
var stricterThanASLValidator = map[string]string{
	"delete $.States.T.Catch[0].ErrorEquals[0]": "the spec: ErrorEquals MUST be a non-empty array",
	"empty $.States.T.Catch[0].ErrorEquals[0]":  "an empty error name matches nothing",
	"delete $.States.T.Retry[0].ErrorEquals[0]": "the spec: ErrorEquals MUST be a non-empty array",
	"empty $.States.T.Retry[0].ErrorEquals[0]":  "an empty error name matches nothing",
	"0 $.States.T.Retry[0].BackoffRate":         "the spec: BackoffRate MUST be at least 1.0",
	"0 $.States.T.Retry[0].IntervalSeconds":     "the spec: IntervalSeconds MUST be a positive integer",
	"1.5 $.States.T.Retry[0].IntervalSeconds":   "the spec: IntervalSeconds MUST be a positive integer",
	"1.5 $.States.T.Retry[0].MaxAttempts":       "the spec: MaxAttempts MUST be a non-negative integer",
	"1.5 $.States.W.Seconds":                    "the spec: Seconds MUST be an integer",
	// AWS accepts a Wait of 0 seconds, but Wait.Seconds is an int whose zero value means
	// "absent", so Parse refuses it instead of dropping it.
	"0 $.States.W.Seconds": "a 0-second Wait cannot be represented",
}

// TestASLValidator runs asl-validator@4.0.0 once (one Node process) over every definition in
// testdata, which it must accept; over every invalid machine, where its verdict must match the
// pinned one and every machine it rejects Validate rejects too (the cross-check table); over
// parseRejected; and over every single-change mutant of mutationSeed, where each mutant it
// rejects Parse or Validate rejects too, and each it accepts is accepted here unless listed in
// stricterThanASLValidator.
func TestASLValidator(t *testing.T) {
	valid, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(valid) == 0 {
		t.Fatal("no testdata/*.json definitions")
	}
	for i, f := range valid {
		if valid[i], err = filepath.Abs(f); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	invalid := make([]string, len(invalidMachines))
	for i, tc := range invalidMachines {
		invalid[i] = filepath.Join(dir, fmt.Sprintf("%02d.json", i))
		if err := os.WriteFile(invalid[i], []byte(tc.def), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var unparsable []string
	for i, def := range parseRejected {
		file := filepath.Join(dir, fmt.Sprintf("unparsable-%02d.json", i))
		if err := os.WriteFile(file, []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
		unparsable = append(unparsable, file)
	}
	muts, err := mutants(mutationSeed)
	if err != nil {
		t.Fatal(err)
	}
	mutFiles := make([]string, len(muts))
	for i, m := range muts {
		mutFiles[i] = filepath.Join(dir, fmt.Sprintf("mutant-%03d.json", i))
		if err := os.WriteFile(mutFiles[i], m.def, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	results := runASLValidator(t, slices.Concat(valid, invalid, unparsable, mutFiles))
	mutRejected := 0
	for i, m := range muts {
		r := results[mutFiles[i]]
		if r.Valid {
			parsed, err := Parse(m.def)
			if err == nil {
				err = parsed.Validate()
			}
			_, known := stricterThanASLValidator[m.desc]
			switch {
			case err != nil && !known:
				t.Errorf("mutant %q: asl-validator accepts it, Parse or Validate rejects it (%v); if that is right, add it to stricterThanASLValidator", m.desc, err)
			case err == nil && known:
				t.Errorf("mutant %q is listed in stricterThanASLValidator but is accepted", m.desc)
			}
			continue
		}
		mutRejected++
		parsed, err := Parse(m.def)
		if err == nil {
			err = parsed.Validate()
		}
		if err == nil {
			t.Errorf("mutant %q: asl-validator rejects it (%v) but Parse and Validate accept it: %s", m.desc, r.Errors, canonical(m.def))
		}
	}
	if mutRejected < len(muts)/4 {
		t.Errorf("asl-validator rejected only %d of %d mutants; the mutation cross-check is not exercising it", mutRejected, len(muts))
	}
	t.Logf("mutants: %d, rejected by asl-validator: %d (all also rejected here)", len(muts), mutRejected)
	for i, def := range parseRejected {
		if r := results[unparsable[i]]; r.Valid {
			t.Errorf("asl-validator accepts %s, want it rejected", def)
		}
		if _, err := Parse([]byte(def)); err == nil {
			t.Errorf("Parse accepts %s, which asl-validator rejects", def)
		}
	}

	for _, f := range valid {
		if r := results[f]; !r.Valid {
			t.Errorf("testdata/%s: asl-validator rejects it: %v", filepath.Base(f), r.Errors)
		}
	}
	rejected := 0
	for i, tc := range invalidMachines {
		r := results[invalid[i]]
		if r.Valid == tc.aslValidatorRejects {
			t.Errorf("%s: asl-validator valid=%v, want valid=%v (errors %v)", tc.name, r.Valid, !tc.aslValidatorRejects, r.Errors)
		}
		if r.Valid {
			continue
		}
		rejected++
		m, err := Parse([]byte(tc.def))
		if err == nil {
			err = m.Validate()
		}
		if err == nil {
			t.Errorf("%s: asl-validator rejects it (%v) but Parse and Validate accept it", tc.name, r.Errors)
		}
	}
	if rejected < len(invalidMachines)/2 {
		t.Errorf("asl-validator rejected only %d of %d machines; the cross-check is not exercising it", rejected, len(invalidMachines))
	}
}

// mutationSeed is a small JSONPath machine touching Task, Retry, Catch, Choice, Wait, Succeed
// and Fail; TestASLValidator derives mutants from it.
const mutationSeed = `{
  "StartAt": "T",
  "TimeoutSeconds": 60,
  "States": {
    "T": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"FunctionName": "f", "Payload.$": "$"},
      "ResultPath": "$.r",
      "TimeoutSeconds": 10,
      "Retry": [{"ErrorEquals": ["Lambda.ServiceException"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
      "Next": "C"
    },
    "C": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.r.ok", "BooleanEquals": true, "Next": "W"}],
      "Default": "F"
    },
    "W": {"Type": "Wait", "Seconds": 1, "Next": "S"},
    "S": {"Type": "Succeed"},
    "F": {"Type": "Fail", "Error": "E"}
  }
}`

// mutant is one small change to a definition: a key or array element deleted, or a scalar
// replaced by an empty string, a suffixed string, a negative, zero or fractional number, the
// other boolean, or a value of another JSON type.
type mutant struct {
	desc string
	def  []byte
}

// mutants derives every single-change mutant of def, in a deterministic order.
func mutants(def string) ([]mutant, error) {
	dec := json.NewDecoder(strings.NewReader(def))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	var out []mutant
	emit := func(desc string, v any) {
		b, err := json.Marshal(v)
		if err == nil {
			out = append(out, mutant{desc, b})
		}
	}
	var walk func(path string, node any, set func(any) any)
	walk = func(path string, node any, set func(any) any) {
		switch t := node.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				without := make(map[string]any, len(t))
				for kk, vv := range t {
					if kk != k {
						without[kk] = vv
					}
				}
				emit("delete "+path+"."+k, set(without))
				walk(path+"."+k, t[k], func(nv any) any {
					with := make(map[string]any, len(t))
					for kk, vv := range t {
						with[kk] = vv
					}
					with[k] = nv
					return set(with)
				})
			}
		case []any:
			for i := range t {
				emit(fmt.Sprintf("delete %s[%d]", path, i), set(slices.Delete(slices.Clone(t), i, i+1)))
				walk(fmt.Sprintf("%s[%d]", path, i), t[i], func(nv any) any {
					c := slices.Clone(t)
					c[i] = nv
					return set(c)
				})
			}
		case string:
			emit("empty "+path, set(""))
			emit("suffix "+path, set(t+"x"))
			emit("number "+path, set(json.Number("-1")))
		case json.Number:
			for _, n := range []string{"-1", "0", "1.5"} {
				emit(n+" "+path, set(json.Number(n)))
			}
			emit("string "+path, set("s"))
		case bool:
			emit("flip "+path, set(!t))
			emit("string "+path, set("true"))
		}
	}
	walk("$", root, func(v any) any { return v })
	return out, nil
}

// canonical compacts a JSON document for comparisons.
func canonical(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}
