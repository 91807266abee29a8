// Package asl is a typed model of the Amazon States Language as AWS Step Functions runs it today:
// both query languages (JSONPath and JSONata), all eight state types, Distributed Map, retries and
// catchers. It builds, validates, parses and renders state machine definitions deterministically,
// and derives the IAM statements a definition's tasks need.
//
// States are plain data and transitions are names: build a StateMachine from the state types
// (helped by SDKTask, LambdaInvokeTask and SNSPublishTask), then Render it; Render
// validates first and returns canonical JSON (sorted keys, two-space indentation), so the same
// machine always renders the same bytes. Parse reads an existing definition back. Validate
// reports every violation at once, each prefixed by the path of its state; Parse's errors have
// the same type (*ValidationError). IAMStatements
// derives the role's policy from the tasks' Permissions, so the role cannot drift from the
// definition.
//
// Optional fields follow one convention: the Go zero value means "absent" (an empty Path, a
// zero Count), so fields whose JSON zero would mean something else are pointers
// (Retrier.MaxAttempts, the ChoiceRule operators), NullPath stands for JSON null, and Parse
// refuses an explicit empty string or zero where that would silently vanish. A number that ASL
// lets a definition give as a literal, a JSONata expression or a path is one Number field.
//
// It is not tied to any particular workflow: nothing in this package knows about IAM keys, Pulumi
// or any caller. It does not execute definitions or evaluate JSONPath and JSONata expressions; it
// checks their syntax only.
package asl

import (
	"strconv"

	"github.com/keyage/keyage/iampolicy"
)

// QueryLanguage selects how a state's fields are interpreted.
type QueryLanguage string

// The two query languages of ASL.
const (
	JSONPath QueryLanguage = "JSONPath"
	JSONata  QueryLanguage = "JSONata"
)

// Path is a JSONPath or reference path field (InputPath, OutputPath, ResultPath, ItemsPath, ...).
// The zero value means the field is absent; NullPath renders as JSON null (for example
// "ResultPath": null, which discards a result).
type Path string

// NullPath is the Path that renders as JSON null.
const NullPath Path = "\x00null"

// IsNull reports whether p is NullPath (JSON null), as opposed to an absent ("") or a real path.
func (p Path) IsNull() bool { return p == NullPath }

// StateMachine is a whole definition (the top level of an ASL document).
type StateMachine struct {
	Comment        string        `json:"Comment,omitempty"`
	QueryLanguage  QueryLanguage `json:"QueryLanguage,omitempty"`
	StartAt        string        `json:"StartAt"`
	States         States        `json:"States"`
	TimeoutSeconds int           `json:"TimeoutSeconds,omitempty"`
	Version        string        `json:"Version,omitempty"`
}

// States maps state names to states. Rendering sorts names, so output is deterministic.
type States map[string]State

// State is one of the eight ASL state types: *Task, *Pass, *Choice, *Wait, *Succeed, *Fail,
// *Parallel, *Map.
type State interface {
	// Type is the ASL "Type" value of the state ("Task", "Pass", ...).
	Type() string
	common() *Common
	// flow returns the state's Next and End, or nil for a Choice, Succeed or Fail.
	flow() *Flow
	// ruleTargets returns the names a Choice can move to by its rules and Default, in order.
	ruleTargets() []string
	// catchers returns the state's Catch list.
	catchers() []Catcher
	// graphs returns the state's nested state graphs, in order.
	graphs() []nestedGraph
	// terminal reports whether the state ends its graph by its type (Succeed, Fail).
	terminal() bool
}

// Common holds the fields every state type may carry.
type Common struct {
	Comment       string        `json:"Comment,omitempty"`
	QueryLanguage QueryLanguage `json:"QueryLanguage,omitempty"`
}

// Flow holds the transition fields of states that are not terminal by type: exactly one of Next
// or End.
type Flow struct {
	Next string `json:"Next,omitempty"`
	End  bool   `json:"End,omitempty"`
}

// IO holds the input and output processing fields shared by most states. InputPath and
// OutputPath are JSONPath-only; Output is JSONata-only. Assign works in both.
type IO struct {
	InputPath  Path           `json:"InputPath,omitempty"`
	OutputPath Path           `json:"OutputPath,omitempty"`
	Output     any            `json:"Output,omitempty"`
	Assign     map[string]any `json:"Assign,omitempty"`
}

// Task runs one unit of work: a Lambda function, an optimized or aws-sdk service integration,
// or an activity.
type Task struct {
	Common
	IO
	Flow
	Resource       string       `json:"Resource"`
	Parameters     any          `json:"Parameters,omitempty"`
	Arguments      any          `json:"Arguments,omitempty"`
	ResultSelector any          `json:"ResultSelector,omitempty"`
	ResultPath     Path         `json:"ResultPath,omitempty"`
	Credentials    *Credentials `json:"Credentials,omitempty"`
	Retry          []Retrier    `json:"Retry,omitempty"`
	Catch          []Catcher    `json:"Catch,omitempty"`
	// TimeoutSeconds and HeartbeatSeconds render as TimeoutSeconds (a number or, in JSONata,
	// an expression) or TimeoutSecondsPath, and the same for HeartbeatSeconds.
	TimeoutSeconds   Count `json:"-"`
	HeartbeatSeconds Count `json:"-"`

	// Permissions are the IAM statements this task needs from the state machine's role. They
	// are not rendered (so Parse cannot restore them); StateMachine.IAMStatements collects
	// them. Helpers such as SDKTask fill in the actions; callers narrow the resources.
	Permissions []PolicyStatement `json:"-"`
}

// Credentials makes Step Functions assume a role for a Task's call (cross-account access).
type Credentials struct {
	RoleArn     string `json:"RoleArn,omitempty"`
	RoleArnPath string `json:"RoleArn.$,omitempty"`
}

// Pass passes its input to its output, optionally injecting Result or Parameters.
type Pass struct {
	Common
	IO
	Flow
	Parameters any  `json:"Parameters,omitempty"`
	Result     any  `json:"Result,omitempty"`
	ResultPath Path `json:"ResultPath,omitempty"`
}

// Wait delays for a time. Exactly one of Seconds (a number, a JSONata expression or
// SecondsPath), Timestamp or TimestampPath is set. A literal Seconds is at least 1: its zero
// value means absent, so a 0-second Wait (which AWS accepts, and which does nothing) cannot be
// expressed, and Parse refuses one.
type Wait struct {
	Common
	IO
	Flow
	Seconds       Count  `json:"-"`
	Timestamp     string `json:"Timestamp,omitempty"`
	TimestampPath Path   `json:"TimestampPath,omitempty"`
}

// Succeed ends the execution (or a branch or iteration) successfully.
type Succeed struct {
	Common
	IO
}

// Fail ends the execution with an error name and cause.
type Fail struct {
	Common
	Error     string `json:"Error,omitempty"`
	Cause     string `json:"Cause,omitempty"`
	ErrorPath Path   `json:"ErrorPath,omitempty"`
	CausePath Path   `json:"CausePath,omitempty"`
}

// Choice picks the next state from the first matching rule, else Default.
type Choice struct {
	Common
	IO
	Choices []ChoiceRule `json:"Choices"`
	Default string       `json:"Default,omitempty"`
}

// ChoiceRule is a top-level rule of a Choice state (with Next) or a nested rule inside And, Or
// and Not (without Next). In JSONPath it names a Variable and exactly one comparison operator,
// or one of And, Or, Not; in JSONata it has a Condition.
type ChoiceRule struct {
	Comment   string `json:"Comment,omitempty"`
	Variable  Path   `json:"Variable,omitempty"`
	Condition string `json:"Condition,omitempty"`

	And []ChoiceRule `json:"And,omitempty"`
	Or  []ChoiceRule `json:"Or,omitempty"`
	Not *ChoiceRule  `json:"Not,omitempty"`

	StringEquals                   *string  `json:"StringEquals,omitempty"`
	StringEqualsPath               Path     `json:"StringEqualsPath,omitempty"`
	StringLessThan                 *string  `json:"StringLessThan,omitempty"`
	StringLessThanPath             Path     `json:"StringLessThanPath,omitempty"`
	StringGreaterThan              *string  `json:"StringGreaterThan,omitempty"`
	StringGreaterThanPath          Path     `json:"StringGreaterThanPath,omitempty"`
	StringLessThanEquals           *string  `json:"StringLessThanEquals,omitempty"`
	StringLessThanEqualsPath       Path     `json:"StringLessThanEqualsPath,omitempty"`
	StringGreaterThanEquals        *string  `json:"StringGreaterThanEquals,omitempty"`
	StringGreaterThanEqualsPath    Path     `json:"StringGreaterThanEqualsPath,omitempty"`
	StringMatches                  *string  `json:"StringMatches,omitempty"`
	NumericEquals                  *float64 `json:"NumericEquals,omitempty"`
	NumericEqualsPath              Path     `json:"NumericEqualsPath,omitempty"`
	NumericLessThan                *float64 `json:"NumericLessThan,omitempty"`
	NumericLessThanPath            Path     `json:"NumericLessThanPath,omitempty"`
	NumericGreaterThan             *float64 `json:"NumericGreaterThan,omitempty"`
	NumericGreaterThanPath         Path     `json:"NumericGreaterThanPath,omitempty"`
	NumericLessThanEquals          *float64 `json:"NumericLessThanEquals,omitempty"`
	NumericLessThanEqualsPath      Path     `json:"NumericLessThanEqualsPath,omitempty"`
	NumericGreaterThanEquals       *float64 `json:"NumericGreaterThanEquals,omitempty"`
	NumericGreaterThanEqualsPath   Path     `json:"NumericGreaterThanEqualsPath,omitempty"`
	BooleanEquals                  *bool    `json:"BooleanEquals,omitempty"`
	BooleanEqualsPath              Path     `json:"BooleanEqualsPath,omitempty"`
	TimestampEquals                *string  `json:"TimestampEquals,omitempty"`
	TimestampEqualsPath            Path     `json:"TimestampEqualsPath,omitempty"`
	TimestampLessThan              *string  `json:"TimestampLessThan,omitempty"`
	TimestampLessThanPath          Path     `json:"TimestampLessThanPath,omitempty"`
	TimestampGreaterThan           *string  `json:"TimestampGreaterThan,omitempty"`
	TimestampGreaterThanPath       Path     `json:"TimestampGreaterThanPath,omitempty"`
	TimestampLessThanEquals        *string  `json:"TimestampLessThanEquals,omitempty"`
	TimestampLessThanEqualsPath    Path     `json:"TimestampLessThanEqualsPath,omitempty"`
	TimestampGreaterThanEquals     *string  `json:"TimestampGreaterThanEquals,omitempty"`
	TimestampGreaterThanEqualsPath Path     `json:"TimestampGreaterThanEqualsPath,omitempty"`
	IsNull                         *bool    `json:"IsNull,omitempty"`
	IsPresent                      *bool    `json:"IsPresent,omitempty"`
	IsNumeric                      *bool    `json:"IsNumeric,omitempty"`
	IsString                       *bool    `json:"IsString,omitempty"`
	IsBoolean                      *bool    `json:"IsBoolean,omitempty"`
	IsTimestamp                    *bool    `json:"IsTimestamp,omitempty"`

	Assign map[string]any `json:"Assign,omitempty"`
	Output any            `json:"Output,omitempty"`
	Next   string         `json:"Next,omitempty"`
}

// Parallel runs its branches concurrently and outputs an array of their results.
type Parallel struct {
	Common
	IO
	Flow
	Branches       []Branch  `json:"Branches"`
	Parameters     any       `json:"Parameters,omitempty"`
	Arguments      any       `json:"Arguments,omitempty"`
	ResultSelector any       `json:"ResultSelector,omitempty"`
	ResultPath     Path      `json:"ResultPath,omitempty"`
	Retry          []Retrier `json:"Retry,omitempty"`
	Catch          []Catcher `json:"Catch,omitempty"`
}

// Branch is a nested state graph: a Parallel branch or a Map's ItemProcessor.
type Branch struct {
	Comment       string        `json:"Comment,omitempty"`
	QueryLanguage QueryLanguage `json:"QueryLanguage,omitempty"`
	StartAt       string        `json:"StartAt"`
	States        States        `json:"States"`
}

// Map processes each item of an array (inline) or of a data set (distributed, an AWS extension
// selected with ItemProcessor.ProcessorConfig.Mode = DISTRIBUTED).
type Map struct {
	Common
	IO
	Flow
	ItemProcessor *ItemProcessor `json:"ItemProcessor,omitempty"`
	// Iterator is the legacy name of ItemProcessor; accepted when parsing.
	Iterator     *Branch `json:"Iterator,omitempty"`
	ItemsPath    Path    `json:"ItemsPath,omitempty"`
	Items        any     `json:"Items,omitempty"`
	ItemSelector any     `json:"ItemSelector,omitempty"`
	// Parameters is the legacy name of ItemSelector; accepted when parsing.
	Parameters     any           `json:"Parameters,omitempty"`
	ItemReader     *ItemReader   `json:"ItemReader,omitempty"`
	ItemBatcher    *ItemBatcher  `json:"ItemBatcher,omitempty"`
	ResultWriter   *ResultWriter `json:"ResultWriter,omitempty"`
	ResultSelector any           `json:"ResultSelector,omitempty"`
	ResultPath     Path          `json:"ResultPath,omitempty"`
	Retry          []Retrier     `json:"Retry,omitempty"`
	Catch          []Catcher     `json:"Catch,omitempty"`

	// Each Number renders under its own name or its name plus "Path".
	MaxConcurrency             Count    `json:"-"`
	ToleratedFailureCount      Count    `json:"-"`
	ToleratedFailurePercentage Fraction `json:"-"`
	Label                      string   `json:"Label,omitempty"`
}

// Processing modes and child execution types of a Map's ProcessorConfig.
const (
	ModeInline        = "INLINE"
	ModeDistributed   = "DISTRIBUTED"
	ExecutionStandard = "STANDARD"
	ExecutionExpress  = "EXPRESS"
)

// ItemProcessor is the state graph a Map runs for each item (or batch).
type ItemProcessor struct {
	ProcessorConfig *ProcessorConfig `json:"ProcessorConfig,omitempty"`
	Branch
}

// ProcessorConfig selects inline or distributed processing and, for distributed, the child
// workflow type.
type ProcessorConfig struct {
	Mode          string `json:"Mode,omitempty"`
	ExecutionType string `json:"ExecutionType,omitempty"`
}

// ItemReader reads a Distributed Map's items from a data source such as S3.
type ItemReader struct {
	Resource     string        `json:"Resource"`
	Parameters   any           `json:"Parameters,omitempty"`
	Arguments    any           `json:"Arguments,omitempty"`
	ReaderConfig *ReaderConfig `json:"ReaderConfig,omitempty"`
}

// ReaderConfig describes the items an ItemReader reads.
type ReaderConfig struct {
	InputType         string   `json:"InputType,omitempty"`
	CSVHeaderLocation string   `json:"CSVHeaderLocation,omitempty"`
	CSVHeaders        []string `json:"CSVHeaders,omitempty"`
	CSVDelimiter      string   `json:"CSVDelimiter,omitempty"`
	// MaxItems renders as MaxItems or MaxItemsPath.
	MaxItems Count `json:"-"`
}

// ItemBatcher groups a Distributed Map's items into batches; a child then receives
// {"Items": [...], "BatchInput": ...}.
type ItemBatcher struct {
	// MaxItemsPerBatch and MaxInputBytesPerBatch render under their names or with "Path".
	MaxItemsPerBatch      Count `json:"-"`
	MaxInputBytesPerBatch Count `json:"-"`
	BatchInput            any   `json:"BatchInput,omitempty"`
}

// ResultWriter writes a Distributed Map's child results to S3.
type ResultWriter struct {
	Resource     string        `json:"Resource,omitempty"`
	Parameters   any           `json:"Parameters,omitempty"`
	Arguments    any           `json:"Arguments,omitempty"`
	WriterConfig *WriterConfig `json:"WriterConfig,omitempty"`
}

// WriterConfig formats what a ResultWriter writes.
type WriterConfig struct {
	OutputType     string `json:"OutputType,omitempty"`
	Transformation string `json:"Transformation,omitempty"`
}

// Retrier retries a failed state for the listed errors.
type Retrier struct {
	Comment         string   `json:"Comment,omitempty"`
	ErrorEquals     []string `json:"ErrorEquals"`
	IntervalSeconds int      `json:"IntervalSeconds,omitempty"`
	// MaxAttempts is a pointer because 0 ("never retry") differs from absent (3).
	MaxAttempts     *int    `json:"MaxAttempts,omitempty"`
	BackoffRate     float64 `json:"BackoffRate,omitempty"`
	MaxDelaySeconds int     `json:"MaxDelaySeconds,omitempty"`
	JitterStrategy  string  `json:"JitterStrategy,omitempty"`
}

// Jitter strategies of a Retrier.
const (
	JitterFull = "FULL"
	JitterNone = "NONE"
)

// Catcher moves to Next when a state fails with one of the listed errors.
type Catcher struct {
	Comment     string         `json:"Comment,omitempty"`
	ErrorEquals []string       `json:"ErrorEquals"`
	Next        string         `json:"Next"`
	ResultPath  Path           `json:"ResultPath,omitempty"`
	Output      any            `json:"Output,omitempty"`
	Assign      map[string]any `json:"Assign,omitempty"`
}

// Error names defined by the ASL specification (and AWS's additions).
const (
	ErrAll                             = "States.ALL"
	ErrHeartbeatTimeout                = "States.HeartbeatTimeout"
	ErrTimeout                         = "States.Timeout"
	ErrTaskFailed                      = "States.TaskFailed"
	ErrPermissions                     = "States.Permissions"
	ErrResultPathMatchFailure          = "States.ResultPathMatchFailure"
	ErrParameterPathFailure            = "States.ParameterPathFailure"
	ErrQueryEvaluationError            = "States.QueryEvaluationError"
	ErrBranchFailed                    = "States.BranchFailed"
	ErrNoChoiceMatched                 = "States.NoChoiceMatched"
	ErrIntrinsicFailure                = "States.IntrinsicFailure"
	ErrExceedToleratedFailureThreshold = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed                = "States.ItemReaderFailed"
	ErrResultWriterFailed              = "States.ResultWriterFailed"
	ErrRuntime                         = "States.Runtime"
	ErrDataLimitExceeded               = "States.DataLimitExceeded"
)

// PolicyStatement is one IAM policy statement: the type of package iampolicy, so a caller
// renders IAMStatements' result in its own policy documents without a conversion. A task's
// Permissions are statements of the role's identity policy: Sid, Effect, Action and Resource
// (Validate refuses a Principal or a Condition).
type PolicyStatement = iampolicy.Statement

// Type returns "Task".
func (*Task) Type() string { return "Task" }

// Type returns "Pass".
func (*Pass) Type() string { return "Pass" }

// Type returns "Choice".
func (*Choice) Type() string { return "Choice" }

// Type returns "Wait".
func (*Wait) Type() string { return "Wait" }

// Type returns "Succeed".
func (*Succeed) Type() string { return "Succeed" }

// Type returns "Fail".
func (*Fail) Type() string { return "Fail" }

// Type returns "Parallel".
func (*Parallel) Type() string { return "Parallel" }

// Type returns "Map".
func (*Map) Type() string { return "Map" }

func (s *Task) common() *Common     { return &s.Common }
func (s *Pass) common() *Common     { return &s.Common }
func (s *Choice) common() *Common   { return &s.Common }
func (s *Wait) common() *Common     { return &s.Common }
func (s *Succeed) common() *Common  { return &s.Common }
func (s *Fail) common() *Common     { return &s.Common }
func (s *Parallel) common() *Common { return &s.Common }
func (s *Map) common() *Common      { return &s.Common }

// flow is promoted to every state type that embeds Flow.
func (f *Flow) flow() *Flow  { return f }
func (*Choice) flow() *Flow  { return nil }
func (*Succeed) flow() *Flow { return nil }
func (*Fail) flow() *Flow    { return nil }

func (s *Choice) ruleTargets() []string {
	var out []string
	for _, r := range s.Choices {
		if r.Next != "" {
			out = append(out, r.Next)
		}
	}
	if s.Default != "" {
		out = append(out, s.Default)
	}
	return out
}
func (*Task) ruleTargets() []string     { return nil }
func (*Pass) ruleTargets() []string     { return nil }
func (*Wait) ruleTargets() []string     { return nil }
func (*Succeed) ruleTargets() []string  { return nil }
func (*Fail) ruleTargets() []string     { return nil }
func (*Parallel) ruleTargets() []string { return nil }
func (*Map) ruleTargets() []string      { return nil }

func (s *Task) catchers() []Catcher     { return s.Catch }
func (s *Parallel) catchers() []Catcher { return s.Catch }
func (s *Map) catchers() []Catcher      { return s.Catch }
func (*Pass) catchers() []Catcher       { return nil }
func (*Choice) catchers() []Catcher     { return nil }
func (*Wait) catchers() []Catcher       { return nil }
func (*Succeed) catchers() []Catcher    { return nil }
func (*Fail) catchers() []Catcher       { return nil }

func (s *Parallel) graphs() []nestedGraph {
	out := make([]nestedGraph, len(s.Branches))
	for i := range s.Branches {
		out[i] = nestedGraph{segment: "Branches[" + strconv.Itoa(i) + "]", branch: &s.Branches[i]}
	}
	return out
}

// graphs returns the ItemProcessor, and the legacy Iterator when a caller set it (Parse moves
// it into ItemProcessor unless both are present, which Validate reports).
func (s *Map) graphs() []nestedGraph {
	var out []nestedGraph
	if s.ItemProcessor != nil {
		express := s.IsDistributed() && s.ItemProcessor.ProcessorConfig.ExecutionType == ExecutionExpress
		out = append(out, nestedGraph{segment: "ItemProcessor", branch: &s.ItemProcessor.Branch, express: express})
	}
	if s.Iterator != nil {
		out = append(out, nestedGraph{segment: "Iterator", branch: s.Iterator})
	}
	return out
}
func (*Task) graphs() []nestedGraph    { return nil }
func (*Pass) graphs() []nestedGraph    { return nil }
func (*Choice) graphs() []nestedGraph  { return nil }
func (*Wait) graphs() []nestedGraph    { return nil }
func (*Succeed) graphs() []nestedGraph { return nil }
func (*Fail) graphs() []nestedGraph    { return nil }

func (*Succeed) terminal() bool  { return true }
func (*Fail) terminal() bool     { return true }
func (*Task) terminal() bool     { return false }
func (*Pass) terminal() bool     { return false }
func (*Choice) terminal() bool   { return false }
func (*Wait) terminal() bool     { return false }
func (*Parallel) terminal() bool { return false }
func (*Map) terminal() bool      { return false }

// IsDistributed reports whether the Map runs its items as child executions (Distributed Map).
func (s *Map) IsDistributed() bool {
	return s.ItemProcessor != nil && s.ItemProcessor.ProcessorConfig != nil &&
		s.ItemProcessor.ProcessorConfig.Mode == ModeDistributed
}
