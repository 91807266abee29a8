// Package workflow builds keyage's state machine: the Step Functions definition that lists an
// account's IAM users page by page, reads each user's access keys in Distributed Map children,
// has the age-check function judge them, and publishes one notification when something is
// found. It is built with package asl and renders deterministically, so the same settings always
// give the same bytes.
//
// It is not the function (package lambda/agecheck judges keys; this package only moves data to
// and from it under the contract in agecheck's contract.go) and not the infrastructure (package
// infra creates the role, topic and function and derives the role's policy from the
// definition's IAMStatements). It also states the design's worst cases: payload sizes, child
// durations, and the cost of a run (Cost).
package workflow

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/keyage/keyage/asl"
	"github.com/keyage/keyage/config"
	"github.com/keyage/keyage/internal/awsid"
)

// The input contract: what an execution's input may carry.
const (
	// ScheduledTimeField is the input field holding the scan's "now". The schedule sends
	// {"scheduledTime": "<aws.scheduler.scheduled-time>"}; a manual execution may send {} and
	// the execution's start time is used. A value that is not an RFC 3339 timestamp fails the
	// execution with ErrorInvalidInput.
	ScheduledTimeField = "scheduledTime"
	// TestField marks a test run: {"test": true} scans as usual and always publishes, findings
	// or not, with the subject marked as a test (agecheck.NewTestReport), so an operator can see
	// that subscribers receive mail. The schedule never sends it; absent means false. A value
	// that is not a boolean fails the execution with ErrorInvalidInput.
	TestField = "test"
	// ErrorInvalidInput is the error an execution fails with when its input is malformed.
	ErrorInvalidInput = "Keyage.InvalidInput"
	// ErrorIncompleteListing is the error an execution fails with when ListUsers says more users
	// follow but gives no Marker to list them with.
	ErrorIncompleteListing = "Keyage.IncompleteListing"
)

// Resources are the ARNs and identity of what the state machine calls. infra computes them from
// the physical names it sets, before the resources exist; PlaceholderResources stands in for them
// offline.
type Resources struct {
	Partition   string // aws, aws-cn, aws-us-gov, ...
	Region      string // e.g. us-east-1
	AccountID   string // the 12-digit account the machine scans
	FunctionARN string // the age-check function
	TopicARN    string // the findings topic
	// OwnersTopicARN is the owners topic (issue 11), needed when the settings have
	// ownerSubscriptions; "" otherwise.
	OwnersTopicARN string
	// ChatTopicARN is the chat topic, required when the settings have chat (and unused
	// otherwise).
	ChatTopicARN string
}

// Placeholder identity used by PlaceholderResources.
const (
	PlaceholderAccountID = "123456789012"
	PlaceholderRegion    = "us-east-1"
)

// PlaceholderResources returns clearly fake resources for printing a definition before
// anything is deployed (the command line's "definition").
func PlaceholderResources() Resources {
	return PlaceholderResourcesIn("aws", PlaceholderRegion)
}

// PlaceholderResourcesIn is PlaceholderResources for another partition and region.
func PlaceholderResourcesIn(partition, region string) Resources {
	return Resources{
		Partition:    partition,
		Region:       region,
		AccountID:    PlaceholderAccountID,
		FunctionARN:  awsid.ARN(partition, "lambda", region, PlaceholderAccountID, "function:PLACEHOLDER-keyage-agecheck"),
		TopicARN:     awsid.ARN(partition, "sns", region, PlaceholderAccountID, "PLACEHOLDER-keyage-findings"),
		ChatTopicARN: awsid.ARN(partition, "sns", region, PlaceholderAccountID, "PLACEHOLDER-keyage-chat"),
		// Used only by a definition whose settings have ownerSubscriptions.
		OwnersTopicARN: awsid.ARN(partition, "sns", region, PlaceholderAccountID, "PLACEHOLDER-keyage-owners"),
	}
}

// Validate checks that the resources are well formed and agree with each other: each ARN is in
// the partition, region and account given. It reports every problem at once.
func (r Resources) Validate() error {
	var errs []error
	bad := func(field, value, allowed string) {
		errs = append(errs, fmt.Errorf("resources: %s is %q, want %s", field, value, allowed))
	}
	if !awsid.IsPartition(r.Partition) {
		bad("Partition", r.Partition, `an AWS partition such as "aws", "aws-cn" or "aws-us-gov"`)
	}
	if !awsid.IsRegion(r.Region) {
		bad("Region", r.Region, `an AWS region such as "us-east-1"`)
	}
	if !awsid.IsAccountID(r.AccountID) {
		bad("AccountID", r.AccountID, "a 12-digit AWS account ID")
	}
	check := func(field, s, service, resourcePrefix string) {
		a, err := arn.Parse(s)
		if err != nil || a.Partition != r.Partition || a.Service != service || a.Region != r.Region || a.AccountID != r.AccountID ||
			!strings.HasPrefix(a.Resource, resourcePrefix) || len(a.Resource) == len(resourcePrefix) {
			form := awsid.ARN(r.Partition, service, r.Region, r.AccountID, resourcePrefix)
			bad(field, s, fmt.Sprintf("an ARN of the form %s<name>", form))
		}
	}
	check("FunctionARN", r.FunctionARN, "lambda", "function:")
	check("TopicARN", r.TopicARN, "sns", "")
	if r.OwnersTopicARN != "" {
		check("OwnersTopicARN", r.OwnersTopicARN, "sns", "")
	}
	if r.ChatTopicARN != "" {
		check("ChatTopicARN", r.ChatTopicARN, "sns", "")
	}
	return errors.Join(errs...)
}

// Definition builds the key-age state machine for checked settings and the resources, validated.
// The settings were checked once, by whoever made c (config.Settings.Check): they are not checked
// again here. The same arguments always give a machine that renders to the same bytes.
func Definition(c config.Checked, r Resources) (*asl.StateMachine, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("workflow definition: %w", err)
	}
	if c.IsZero() {
		return nil, fmt.Errorf("workflow definition: %w", config.ErrUnchecked)
	}
	s := c.Settings()
	if s.Owners.Event() != nil && s.Owners.Event().MaxMessages > 0 && r.OwnersTopicARN == "" {
		return nil, fmt.Errorf("workflow definition: resources: OwnersTopicARN is empty, want the owners topic's ARN (the settings have ownerSubscriptions)")
	}
	if s.Chat.Enabled && r.ChatTopicARN == "" {
		return nil, fmt.Errorf("workflow definition: resources: ChatTopicARN is empty, want the chat topic's ARN (the settings have chat)")
	}
	plan := PlanFor(s.MaxConcurrency)
	b := builder{s: s, r: r, plan: plan}
	m := &asl.StateMachine{
		Comment: "keyage: notifies about IAM users' access keys older than the policy allows (Security Hub IAM.3). " +
			"Lists users page by page, reads their keys in batched Express children of a Distributed Map, " +
			"has the age-check function judge them, and publishes one message when something is found.",
		QueryLanguage:  asl.JSONPath,
		StartAt:        stateCheckTest,
		States:         b.states(),
		TimeoutSeconds: MachineTimeoutSeconds,
	}
	if s.Organization.Enabled() {
		m.Comment = organizationComment
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("workflow definition: %w", err)
	}
	return m, nil
}
