// Package config is the one place that knows every keyage stack setting: its key, type, default
// and allowed values. It turns raw stack configuration into validated Settings, for the Pulumi
// program and the offline command line alike. It returns errors; it never panics.
package config

import "github.com/keyage/keyage/lambda/agecheck"

// Namespace is the Pulumi project name, the prefix of every key ("keyage:maxAgeDays").
const Namespace = "keyage"

// Settings are one stack's validated settings.
type Settings struct {
	MaxAgeDays      int      // maxAgeDays, default 90, 1..3650
	WarnAgeDays     int      // warnAgeDays, optional (0 = off), 1..MaxAgeDays-1
	UnusedDays      int      // unusedDays, default 45 (0 = off), 1..3650: the unused control (IAM.22)
	NewKeyGraceDays int      // newKeyGraceDays, default 7, 0..365: never-used keys younger than it are not unused
	CheckRootKeys   bool     // checkRootKeys, default true: the root control (IAM.4), GetAccountSummary once per run
	ExemptUsers     []string // exemptUsers (deprecated): user names or * globs, case-insensitive

	Exemptions ExemptionSettings // exemptions, tagExemptions, maxTagExemptionDays (exemptions.go)

	Schedule         string // schedule, default "cron(0 8 * * ? *)"
	ScheduleTimezone string // scheduleTimezone, default "UTC", an IANA name
	ScheduleEnabled  bool   // scheduleEnabled, default true

	Subscriptions      []Subscription // subscriptions: who hears about findings
	AlarmSubscriptions []Subscription // alarmSubscriptions: who hears the ops alarms (own topic)

	MaxConcurrency int // maxConcurrency, default 10: IAM calls in flight (outer x inner map)

	LogLevel             string // logLevel, default "ERROR": ALL, ERROR or FATAL (OFF fails StepFunctions.1)
	IncludeExecutionData bool   // includeExecutionData, default false
	LogRetentionDays     int    // logRetentionDays, default 365, a value CloudWatch Logs accepts

	FunctionMemoryMB int // functionMemoryMB, default 256, 128..10240

	ScheduleRetryAttempts  int // scheduleRetryAttempts, default 3, 0..185
	ScheduleMaxEventAgeSec int // scheduleMaxEventAgeSeconds, default 3600, 60..86400

	Tags map[string]string // tags: extra tags on every taggable resource

	RolePath                string // rolePath, optional: the IAM path of every role the stack creates
	RolePermissionsBoundary string // rolePermissionsBoundary, optional: a managed policy's ARN, the boundary of every role

	Owners       Owners       // ownerTagKeys, ownerSubscriptions, maxOwnerMessages, ownerEmail (owners.go)
	Organization Organization // accounts, excludeAccounts, memberRoleName, accountConcurrency (accounts.go)
	Component    Component    // which component the stack deploys, and its own settings (member.go)
	Chat         Chat         // chat, optional: a chat topic, and Slack and Teams channel configurations (chat.go)

	Ledger LedgerSettings // notify, remindEveryDays, ledgerRetentionDays, ledgerDeletionProtection (ledger.go)

	// Region is the stack's aws:region, "" when it sets none (the AWS provider then takes the
	// region from its environment). Its partition is Partition().
	Region string
}

// Defaults returns the settings of a stack that sets nothing. Pulumi.yaml declares the same
// defaults (a test keeps the two equal): Pulumi applies the declared ones on deploy, but the
// code's apply wherever Pulumi does not (mocks, offline commands).
func Defaults() Settings {
	return Settings{
		MaxAgeDays:             90,
		UnusedDays:             45,
		NewKeyGraceDays:        7,
		CheckRootKeys:          true,
		Schedule:               "cron(0 8 * * ? *)",
		ScheduleTimezone:       "UTC",
		ScheduleEnabled:        true,
		MaxConcurrency:         10,
		LogLevel:               "ERROR",
		LogRetentionDays:       365,
		FunctionMemoryMB:       256,
		ScheduleRetryAttempts:  3,
		ScheduleMaxEventAgeSec: 3600,
		Owners:                 Owners{TagKeys: []string{"owner"}, MaxMessages: DefaultMaxOwnerMessages},
		Organization:           Organization{MemberRoleName: DefaultMemberRoleName, AccountConcurrency: DefaultAccountConcurrency},
		Component:              Component{Deploy: DeployScanner},
		Exemptions:             ExemptionSettings{MaxTagDays: DefaultMaxTagExemptionDays},
		Ledger:                 defaultLedger(),
	}
}

// Subscription is one SNS subscription.
type Subscription struct {
	Protocol            string // one of Protocols (http is refused: it would send findings unencrypted)
	Endpoint            string
	FilterPolicy        string // a JSON document, "" for none
	FilterPolicyScope   string // MessageAttributes (default) or MessageBody
	RawMessageDelivery  bool
	SubscriptionRoleARN string // firehose only: the role SNS uses to write
}

// Policy returns the rotation policy the settings describe, as the definition embeds it and the
// function applies it.
func (s Settings) Policy() agecheck.Policy {
	p := agecheck.Policy{MaxAgeDays: s.MaxAgeDays, WarnAgeDays: s.WarnAgeDays, UnusedDays: s.UnusedDays, NewKeyGraceDays: s.NewKeyGraceDays,
		CheckRootKeys: s.CheckRootKeys}
	if len(s.ExemptUsers) > 0 {
		p.ExemptUsers = append([]string(nil), s.ExemptUsers...)
	}
	s.Exemptions.policy(&p)
	return p
}
