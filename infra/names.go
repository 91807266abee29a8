package infra

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Physical name limits of the resources keyage names itself. physicalName keeps to letters,
// digits, "-" and "_", which every one of these services accepts.
const (
	maxFunctionName     = 64  // Lambda function names
	maxStateMachineName = 80  // Step Functions state machine names
	maxScheduleName     = 64  // EventBridge Scheduler schedule and group names
	maxAlarmNamePrefix  = 200 // of 255 for alarm names, leaving room for each alarm's suffix
	maxKeyAliasName     = 250 // of 256 for KMS alias names, after "alias/"
	// maxRoleName: IAM role names, 1..64 of [\w+=,.@-], unique in the account without regard to
	// case and not regional (CreateRole, RoleName:
	// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
	maxRoleName = 64
	// maxRolePolicyName: inline role policy names, 1..128 of [\w+=,.@-] (PutRolePolicy,
	// PolicyName: https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html).
	maxRolePolicyName = 128
	// maxTopicName: SNS topic names, 1..256 ASCII letters, digits, "_" and "-" (CreateTopic,
	// Name: https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html).
	maxTopicName = 256
	// maxQueueName: SQS queue names, up to 80 letters, digits, "-" and "_" (CreateQueue,
	// QueueName: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
	maxQueueName = 80

	physicalHashLength   = 8
	physicalNameSafeRune = '-'
)

// physicalName returns a deterministic AWS name for a child resource: base ("<component>-<stack>")
// plus a suffix, limited to the characters every service here accepts (letters, digits, - and _)
// and to max bytes. A name that had to be changed (base cut, or characters replaced) ends with a
// hash of the original, so two different components or stacks do not share a name; a cut
// shortens the base and keeps the suffix, which tells a stack's resources of one service (its
// three roles) apart. Deterministic names let a role's policy name the resource's ARN before the
// resource exists (no dependency cycle) and keep two stacks or two component instances in one
// account from colliding.
func physicalName(base, suffix string, max int) string {
	full := base
	if suffix != "" {
		full += "-" + suffix
	}
	if sanitize(full) == full && len(full) <= max {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	hash := "-" + hex.EncodeToString(sum[:])[:physicalHashLength]
	base, tail := sanitize(base), hash
	if suffix != "" {
		tail = "-" + sanitize(suffix) + hash
	}
	if len(tail) >= max { // no room for the base next to the suffix: cut the whole name
		base, tail = sanitize(full), hash
	}
	keep := min(len(base), max-len(tail))
	return strings.TrimRight(base[:keep], "-_") + tail
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune(physicalNameSafeRune)
		}
	}
	return b.String()
}

// names are the physical names keyage chooses itself, all derived from the component's name
// and the stack, so that a console user can tell two stacks in one account apart: none is left
// to Pulumi's auto-naming, which would drop the stack.
type names struct {
	function, machine, scheduleGroup, schedule, alarmPrefix string
	functionLogGroup, machineLogGroup                       string
	keyAlias                                                string
	machineRole, functionRole, schedulerRole                string
	machinePolicy, functionPolicy, schedulerPolicy          string
	findingsTopic, alarmTopic, deadLetterQueue              string
	ownersTopic                                             string
	ledgerTable                                             string
}

func namesFor(component, stack string) names {
	base := component + "-" + stack
	n := names{
		function:        physicalName(base, "agecheck", maxFunctionName),
		machine:         physicalName(base, "", maxStateMachineName),
		scheduleGroup:   physicalName(base, "", maxScheduleName),
		schedule:        physicalName(base, "scan", maxScheduleName),
		alarmPrefix:     physicalName(base, "", maxAlarmNamePrefix),
		machineRole:     physicalName(base, "machine-role", maxRoleName),
		functionRole:    physicalName(base, "function-role", maxRoleName),
		schedulerRole:   physicalName(base, "scheduler-role", maxRoleName),
		machinePolicy:   physicalName(base, "machine-policy", maxRolePolicyName),
		functionPolicy:  physicalName(base, "function-policy", maxRolePolicyName),
		schedulerPolicy: physicalName(base, "scheduler-policy", maxRolePolicyName),
		findingsTopic:   physicalName(base, "findings", maxTopicName),
		alarmTopic:      physicalName(base, "alarms", maxTopicName),
		ownersTopic:     physicalName(base, "owners", maxTopicName),
		deadLetterQueue: physicalName(base, "schedule-dlq", maxQueueName),
		ledgerTable:     physicalName(base, "ledger", maxTableName),
	}
	// An alias lets operators find the key by name (KMS aliases allow 256 characters).
	n.keyAlias = "alias/" + physicalName(base, "", maxKeyAliasName)
	n.functionLogGroup = "/aws/lambda/" + n.function
	// /aws/vendedlogs/ keeps the log group under the prefix CloudWatch Logs' resource policy
	// for vended logs covers, so many state machines do not outgrow its size limit.
	n.machineLogGroup = "/aws/vendedlogs/states/" + n.machine
	return n
}
