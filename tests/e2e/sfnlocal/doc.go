// Package sfnlocal runs an Amazon States Language definition offline, end to end, the way Step
// Functions would run keyage's state machine, for tests: the definition executes in
// aws-local-stepfunctions (driven by tests/node/run-sfn.mjs), every Task is answered by a
// loopback TaskServer (a synthetic IAM Account, lambdatest's, answered as the aws-sdk
// integration does, for the aws-sdk tasks; the real function binary behind lambda:invoke through
// the Lambda Runtime API; a recorder for sns:publish), and the function's own
// GetAccessKeyLastUsed calls go to lambdatest's fake IAM endpoint speaking the IAM query
// protocol, answering from the same Account. The keyage scenarios that use it are in tests/e2e.
//
// What it reproduces of AWS: JSONPath states as aws-local-stepfunctions interprets them, plus
// what run-sfn.mjs adds by rewriting the definition: a Distributed Map as a Map Run (ItemBatcher
// batches by count and bytes, one child execution per batch with its own Context Object, at most
// MaxConcurrency at once, ToleratedFailureCount/Percentage); $$.Execution.Input and StartTime as
// the execution's; the 262,144-byte payload limit on every state's input and output, every
// Task's parameters and result and every child's input (States.DataLimitExceeded); Retry and
// Catch with the error names the aws-sdk and Lambda integrations use, with the waits counted
// instead of slept; and the state transitions billed. The Account answers ListUsers (pages,
// markers, fields IAM may omit), ListAccessKeys and GetAccessKeyLastUsed, with throttling, deleted
// users and latency per call, and rejects parameters Step Functions' API model would refuse.
//
// What it does not reproduce (run-sfn.mjs lists it too): JSONata states, ItemReader and
// ResultWriter, the $$.State and $$.Task context fields, role assumption beyond the member
// role (a Task's Credentials.RoleArn is resolved, and an IAM call acts in the account of the
// TaskServer's Members whose MemberRole it names: roles.go), the
// 25,000-event history limit, Express children's 5-minute limit (the nominal retry waits let a
// test check it), States.DataLimitExceeded being catchable by its own name, failed children within
// the tolerance (AWS's output shape for them is not documented: the harness stops instead of
// guessing), IAM authorization, and any AWS API keyage does not call. A call it cannot answer is
// a harness error, never an execution error, so a test cannot pass by accident. It is test
// support, not a simulator of AWS at large.
package sfnlocal
