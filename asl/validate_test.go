package asl

import (
	"errors"
	"strings"
	"testing"

	"github.com/keyage/keyage/iampolicy"
)

// TestValidateGoValues covers what only Go-built machines can get wrong: task permissions,
// nil states, legacy fields set by hand.
func TestValidateGoValues(t *testing.T) {
	end := Flow{End: true}
	leaf := func(name string) *ItemProcessor {
		return &ItemProcessor{Branch: Branch{StartAt: name, States: States{name: &Succeed{}}}}
	}
	tests := []struct {
		name string
		m    *StateMachine
		want string
	}{
		{
			name: "malformed permissions",
			m: &StateMachine{StartAt: "T", States: States{"T": &Task{
				Resource: "arn:aws:states:::lambda:invoke", Flow: end,
				Permissions: []PolicyStatement{{Effect: "allow", Action: nil, Resource: []string{""}}},
			}}},
			want: lines(
				`States.T.Permissions[0].Effect: "allow" is not an IAM effect; want "Allow" or "Deny"`,
				"States.T.Permissions[0].Action: want one or more non-empty IAM actions",
				"States.T.Permissions[0].Resource: want one or more non-empty resources",
			),
		},
		{
			name: "permissions with a principal or a condition",
			m: &StateMachine{StartAt: "T", States: States{"T": &Task{
				Resource: "arn:aws:states:::lambda:invoke", Flow: end,
				Permissions: []PolicyStatement{{Effect: "Allow", Action: []string{"sns:Publish"}, Resource: []string{"*"},
					Principal: &iampolicy.Principal{Service: []string{"states.amazonaws.com"}},
					Condition: iampolicy.Condition{"Bool": {"aws:SecureTransport": {"true"}}}}},
			}}},
			want: lines(
				"States.T.Permissions[0].Principal: {Everyone:false AWS:[] Service:[states.amazonaws.com]}: want none (a role's identity policy names no principal)",
				"States.T.Permissions[0].Condition: map[Bool:map[aws:SecureTransport:[true]]]: want none (IAMStatements merges statements by actions and resources and would drop it)",
			),
		},
		{
			name: "credentials",
			m: &StateMachine{StartAt: "T", States: States{
				"T": &Task{Resource: "arn:aws:states:::lambda:invoke", Credentials: &Credentials{RoleArn: "reader"}, Flow: Flow{Next: "U"}},
				"U": &Task{Resource: "arn:aws:states:::lambda:invoke", Credentials: &Credentials{}, Flow: end},
			}},
			want: lines(
				`States.T.Credentials.RoleArn: "reader" is not an ARN`,
				"States.U.Credentials: want RoleArn or RoleArn.$",
			),
		},
		{
			name: "payloads built from typed Go values are checked as rendered",
			m: &StateMachine{StartAt: "P", States: States{
				"P": &Pass{
					Parameters: map[string]any{"Payload": map[string]string{"x.$": "bad", "y.$": "$.y"}},
					Flow:       Flow{Next: "Q"},
				},
				"Q": &Pass{Parameters: map[string]string{"a.$": "$.a"}, Flow: Flow{Next: "R"}},
				"R": &Pass{Result: func() {}, Flow: end},
			}},
			want: lines(
				`States.P.Parameters.Payload.x.$: path "bad" must start with "$"`,
				"States.R.Result: cannot be rendered as JSON: json: unsupported type: func()",
			),
		},
		{
			name: "nil state",
			m:    &StateMachine{StartAt: "A", States: States{"A": &Pass{Flow: Flow{Next: "B"}}, "B": nil, "C": &Succeed{}}},
			want: lines(
				`States.A.Next: "B" is not a state of this graph`,
				"States.B: state is nil",
				`States.C: unreachable from StartAt "A"`,
			),
		},
		{
			name: "empty machine",
			m:    &StateMachine{},
			want: lines("States: no states; want at least one", "StartAt: missing; want the name of the first state"),
		},
		{
			name: "legacy fields set by hand",
			m: &StateMachine{StartAt: "M", States: States{"M": &Map{
				ItemProcessor: leaf("A"), Iterator: &Branch{StartAt: "B", States: States{"B": &Succeed{}}},
				ItemSelector: map[string]any{}, Parameters: map[string]any{}, Flow: end,
			}}},
			want: lines(
				"States.M.Iterator: ItemProcessor and Iterator are exclusive; Iterator is the legacy name of ItemProcessor",
				"States.M.Parameters: ItemSelector and Parameters are exclusive; Parameters is the legacy name of ItemSelector",
			),
		},
		{
			name: "map bounds and JSONata fields in JSONPath",
			m: &StateMachine{StartAt: "M", States: States{"M": &Map{
				ItemProcessor:              &ItemProcessor{ProcessorConfig: &ProcessorConfig{Mode: "PARALLEL"}, Branch: leaf("A").Branch},
				MaxConcurrency:             Count{N: -1, Path: "$.c"},
				ToleratedFailurePercentage: Fraction{Expr: "{% $p %}"},
				ResultWriter:               &ResultWriter{Resource: "s3", WriterConfig: &WriterConfig{OutputType: "CSV", Transformation: "ZIP"}},
				ItemReader:                 &ItemReader{ReaderConfig: &ReaderConfig{CSVHeaderLocation: "LAST_ROW", CSVDelimiter: "DASH", MaxItems: Count{N: 5, Path: "$.n"}}},
				ItemBatcher:                &ItemBatcher{MaxItemsPerBatch: Count{N: 1, Path: "$.b"}},
				Flow:                       end,
			}}},
			want: lines(
				`States.M.ItemProcessor.ProcessorConfig.Mode: "PARALLEL" is unknown; want "INLINE" or "DISTRIBUTED"`,
				"States.M.MaxConcurrency: MaxConcurrency and MaxConcurrencyPath are exclusive; set one",
				"States.M.MaxConcurrency: -1 is outside 0..99999999",
				"States.M.ItemReader: only a DISTRIBUTED map may have ItemReader",
				"States.M.ItemBatcher: only a DISTRIBUTED map may have ItemBatcher",
				"States.M.ResultWriter: only a DISTRIBUTED map may have ResultWriter",
				"States.M.ToleratedFailurePercentage: only a DISTRIBUTED map may have ToleratedFailurePercentage",
				`States.M.ToleratedFailurePercentage: "{% $p %}" is a JSONata expression; this state's query language is JSONPath, which wants a number here`,
				"States.M.ItemReader.Resource: missing; want an ARN",
				`States.M.ItemReader.ReaderConfig.CSVHeaderLocation: "LAST_ROW" is unknown; want FIRST_ROW or GIVEN`,
				`States.M.ItemReader.ReaderConfig.CSVDelimiter: "DASH" is unknown; want COMMA, PIPE, SEMICOLON, SPACE or TAB`,
				"States.M.ItemReader.ReaderConfig.MaxItems: ItemReader.ReaderConfig.MaxItems and ItemReader.ReaderConfig.MaxItemsPath are exclusive; set one",
				"States.M.ItemBatcher.MaxItemsPerBatch: ItemBatcher.MaxItemsPerBatch and ItemBatcher.MaxItemsPerBatchPath are exclusive; set one",
				`States.M.ResultWriter.Resource: "s3" is not an ARN`,
				`States.M.ResultWriter.WriterConfig.OutputType: "CSV" is unknown; want JSON or JSONL`,
				`States.M.ResultWriter.WriterConfig.Transformation: "ZIP" is unknown; want NONE, COMPACT or FLATTEN`,
			),
		},
		{
			name: "JSONata reader and writer Parameters, retry bounds",
			m: &StateMachine{QueryLanguage: JSONata, StartAt: "M", States: States{"M": &Map{
				ItemProcessor: &ItemProcessor{ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: "FAST"}, Branch: leaf("A").Branch},
				ItemReader:    &ItemReader{Resource: "arn:aws:states:::s3:getObject", Parameters: map[string]any{}},
				ResultWriter:  &ResultWriter{Resource: "arn:aws:states:::s3:putObject", Parameters: map[string]any{}},
				ItemSelector:  42,
				Retry:         []Retrier{{ErrorEquals: []string{"X"}, IntervalSeconds: -1, MaxDelaySeconds: MaxRetryDelaySeconds + 1}},
				Flow:          end,
			}}},
			want: lines(
				`States.M.ItemProcessor.ProcessorConfig.ExecutionType: "FAST" is unknown; want "STANDARD" or "EXPRESS"`,
				"States.M.ItemSelector: want an object or a JSONata expression, got a number",
				"States.M.ItemReader.Parameters: is a JSONPath field; this state's query language is JSONata",
				"States.M.ResultWriter.Parameters: is a JSONPath field; this state's query language is JSONata",
				"States.M.Retry[0].IntervalSeconds: -1 is outside 1..99999999",
				"States.M.Retry[0].MaxDelaySeconds: 31622401 is outside 1..31622400",
			),
		},
		{
			name: "JSONPath reader and writer Arguments",
			m: &StateMachine{StartAt: "M", States: States{"M": &Map{
				ItemProcessor: &ItemProcessor{ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: ExecutionStandard}, Branch: leaf("A").Branch},
				ItemReader:    &ItemReader{Resource: "arn:aws:states:::s3:getObject", Arguments: map[string]any{}},
				ResultWriter:  &ResultWriter{Resource: "arn:aws:states:::s3:putObject", Arguments: map[string]any{}},
				Flow:          end,
			}}},
			want: lines(
				"States.M.ItemReader.Arguments: is a JSONata field; this state's query language is JSONPath",
				"States.M.ResultWriter.Arguments: is a JSONata field; this state's query language is JSONPath",
			),
		},
		{
			name: "Fail paths in JSONata and null",
			m: &StateMachine{StartAt: "F", States: States{
				"F": &Fail{Common: Common{QueryLanguage: JSONata}, ErrorPath: "$.e", Error: "{% $e"},
				"G": &Fail{CausePath: NullPath},
			}},
			want: lines(
				"States.F.Error: Error and ErrorPath are exclusive; set one",
				"States.F.ErrorPath: is a JSONPath field; this state's query language is JSONata",
				`States.F.Error: "{% $e" opens a JSONata expression with "{%" but does not close it with "%}"`,
				"States.G.CausePath: null is not allowed; want a path or an intrinsic function",
				`States.G: unreachable from StartAt "F"`,
			),
		},
		{
			name: "null where a path is required, bad Wait expression",
			m: &StateMachine{QueryLanguage: JSONata, StartAt: "W", States: States{
				"W": &Wait{Seconds: Count{Expr: "5"}, Flow: Flow{Next: "X"}},
				"X": &Wait{Common: Common{QueryLanguage: JSONPath}, Seconds: Count{Path: NullPath}, Flow: end},
			}},
			want: lines(
				`States.W.Seconds: "5" is not a JSONata expression: want "{% ... %}"`,
				"States.X.QueryLanguage: JSONPath is not allowed in a JSONata state machine",
				"States.X.SecondsPath: null is not allowed; want a path",
			),
		},
		{
			name: "unknown nested query language and nested rule extras",
			m: &StateMachine{StartAt: "P", States: States{
				"P": &Parallel{Branches: []Branch{{QueryLanguage: "XPath", StartAt: "C", States: States{
					"C": &Choice{Choices: []ChoiceRule{{
						And:  []ChoiceRule{},
						Or:   []ChoiceRule{{Variable: "$.a", IsNull: new(true), Assign: map[string]any{"x": 1}}},
						Next: "S",
					}}},
					"S": &Succeed{Common: Common{QueryLanguage: "XPath"}},
				}}}, Flow: end},
			}},
			want: lines(
				`States.P.Branches[0].QueryLanguage: "XPath" is unknown; want "JSONPath" or "JSONata"`,
				"States.P.Branches[0].States.C.Choices[0]: And and Or are exclusive; set one",
				"States.P.Branches[0].States.C.Choices[0].And: empty; want at least one rule",
				"States.P.Branches[0].States.C.Choices[0].Or[0]: only a top-level rule may have Assign or Output",
				`States.P.Branches[0].States.S.QueryLanguage: "XPath" is unknown; want "JSONPath" or "JSONata"`,
			),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.m.Validate()
			if err == nil {
				t.Fatalf("Validate accepted it; want %q", tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Validate:\ngot  %q\nwant %q", got, tc.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Path == "" || ve.Message == "" {
				t.Errorf("errors.As(*ValidationError) = %v, %+v; want a path and a message", errors.As(err, &ve), ve)
			}
		})
	}
}

// TestValidateAcceptsLimits builds a machine at every upper limit Step Functions documents, so
// an off-by-one in a bound is caught in the accepting direction too.
func TestValidateAcceptsLimits(t *testing.T) {
	name := strings.Repeat("n", MaxStateNameLength)
	m := &StateMachine{StartAt: name, TimeoutSeconds: MaxTimeoutSeconds, States: States{
		name: &Task{
			Resource:         "arn:aws:states:::lambda:invoke",
			TimeoutSeconds:   Count{N: MaxTimeoutSeconds},
			HeartbeatSeconds: Count{N: MaxTimeoutSeconds - 1},
			Retry: []Retrier{{
				ErrorEquals: []string{ErrAll}, IntervalSeconds: MaxTimeoutSeconds,
				MaxAttempts: new(MaxTimeoutSeconds), MaxDelaySeconds: MaxRetryDelaySeconds,
			}},
			Flow: Flow{Next: "M"},
		},
		"M": &Map{
			Label:                      strings.Repeat("l", MaxLabelLength),
			ToleratedFailurePercentage: Fraction{N: 100},
			ItemBatcher:                &ItemBatcher{MaxInputBytesPerBatch: Count{N: MaxPayloadBytes}},
			ItemProcessor: &ItemProcessor{
				ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: ExecutionExpress},
				Branch:          Branch{StartAt: "S", States: States{"S": &Succeed{}}},
			},
			Flow: Flow{End: true},
		},
	}}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate at the documented limits: got %v, want nil", err)
	}
}
