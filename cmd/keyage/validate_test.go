package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keyage/keyage/internal/modroot"
)

func TestValidateStackFiles(t *testing.T) {
	root := modroot.MustFind(t)
	status, stdout, stderr := runCLI("validate", "--stack", "prod", "--dir", root)
	want := `Pulumi.prod.yaml: OK
  policy: stale after 90 days, due soon after 75; exempt: break-glass-* (until 2030-12-31, break-glass accounts, keys sealed in the safe)
  schedule: cron(30 7 ? * MON-FRI *) in Europe/Berlin, enabled; longest gap between runs 3d 1h
  findings to: email security-team@example.com; https https://tickets.example.com/hooks/keyage filtered by {"severity":["stale","unchecked"]}; sqs arn:aws:sqs:eu-central-1:123456789012:keyage-findings filtered by {"account":["123456789012"],"severity":["stale","unchecked","warning"]}
  alarms to: email cloud-ops@example.com; https https://events.pagerduty.example.com/integration/keyage/enqueue
  owners: from the user tag owner; no owners topic (no ownerSubscriptions); no direct mail (no ownerEmail)
  accounts: the deploying account only (no accounts setting)
  scan: at most 10 IAM calls in flight per account; function 256 MB
  logs: level ERROR, execution data excluded, kept 365 days
  start retries: 10 attempts within 2h, then the dead-letter queue
  tags: 3 extra
`
	if status != exitOK || stdout != want || stderr != "" {
		t.Errorf("validate --stack prod = %d\nstdout:\n%s\nstderr:\n%s\nwant 0 and stdout:\n%s", status, stdout, stderr, want)
	}

	// Without --dir, the project is found upwards from the working directory (cmd/keyage).
	status, stdout, stderr = runCLI("validate", "--stack", "dev")
	if status != exitOK || !strings.HasPrefix(stdout, "Pulumi.dev.yaml: OK\n") || stderr != "" {
		t.Errorf("validate --stack dev = %d, stdout %q, stderr %q; want 0 and Pulumi.dev.yaml: OK", status, stdout, stderr)
	}
}

func TestValidatePrintsTheAccountScope(t *testing.T) {
	dir := writeStack(t, "org", `config:
  aws:region: eu-west-1
  keyage:accounts: [organization]
  keyage:excludeAccounts: ["210987654321"]
  keyage:subscriptions:
    - protocol: email
      endpoint: security@example.com
    - protocol: email
      endpoint: team@example.com
      filterPolicy: {"account": ["111122223333"]}
`) // notify: changes (the default) keeps the ledger with accounts too: no warning on stderr
	status, stdout, stderr := runCLI("validate", "--stack", "org", "--dir", dir)
	want := "  accounts: every ACTIVE account AWS Organizations lists (organizations:ListAccounts); never 210987654321; " +
		"through role keyage-member in each account but the deploying one; 5 accounts at once\n"
	if status != exitOK || !strings.Contains(stdout, want) || stderr != "" {
		t.Errorf("validate --stack org = %d\nstdout:\n%s\nstderr:\n%s\nwant 0 and a line %q", status, stdout, stderr, want)
	}
	// The unfiltered subscription takes the organization's digest alone, and the line says so.
	want = `  findings to: email security@example.com filtered by {"scope":["organization"]}; email team@example.com filtered by {"account":["111122223333"]} ` +
		`(a subscription without a filterPolicy of its own gets {"scope":["organization"]}: the organization's digest, not each account's message; {"account": [ID]} takes one account's)` + "\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("validate --stack org stdout:\n%s\nwant a line %q", stdout, want)
	}
}

func writeStack(t *testing.T, stack, body string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"Pulumi.yaml": "name: keyage\nruntime: go\n", "Pulumi." + stack + ".yaml": body} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestValidateReportsEveryProblem(t *testing.T) {
	dir := writeStack(t, "bad", `config:
  aws:region: eu-west-1
  keyage:maxAgeDays: 0
  keyage:schedule: cron(0 8 * * * *)
  keyage:subscriptions:
    - protocol: https
      endpoint: http://hooks.example.com/keyage
  keyage:logLevl: ALL
`)
	status, stdout, stderr := runCLI("validate", "--stack", "bad", "--dir", dir)
	want := `Pulumi.bad.yaml: 4 problems
  maxAgeDays: 0 is out of range: want an integer from 1 to 3650
  schedule: "cron(0 8 * * * *)" is not a valid cron expression: day-of-month "*" and day-of-week "*": exactly one of them must be ?: want cron(minutes hours day-of-month month day-of-week year) as EventBridge Scheduler reads it, with ? in exactly one of day-of-month and day-of-week
  subscriptions[0].endpoint: "http://hooks.example.com/keyage" is an http URL, which sends findings unencrypted: want an https:// URL
  logLevl: unknown setting (did you mean logLevel?): want one of accountConcurrency, accounts, alarmSubscriptions, chat, checkRootKeys, deploy, excludeAccounts, exemptUsers, exemptions, functionMemoryMB, includeExecutionData, ledgerDeletionProtection, ledgerRetentionDays, logLevel, logRetentionDays, maxAgeDays, maxConcurrency, maxOwnerMessages, maxTagExemptionDays, memberRoleName, memberStackSet, newKeyGraceDays, notify, ownerEmail, ownerSubscriptions, ownerTagKeys, principalOrgId, remindEveryDays, rolePath, rolePermissionsBoundary, scannerFunctionRoleArn, scannerStateMachineRoleArn, schedule, scheduleEnabled, scheduleMaxEventAgeSeconds, scheduleRetryAttempts, scheduleTimezone, subscriptions, tagExemptions, tags, unusedDays, warnAgeDays
`
	if status != exitInvalid || stdout != "" || stderr != want {
		t.Errorf("validate --stack bad = %d\nstdout:\n%s\nstderr:\n%s\nwant 1 and stderr:\n%s", status, stdout, stderr, want)
	}
}

func TestValidateSecrets(t *testing.T) {
	const secret = " is a secret (secure:), which offline commands cannot decrypt: store it in clear text, " +
		"or check the stack with `pulumi preview`, which decrypts it\n"
	tests := []struct{ name, config, want string }{
		{"secret schedule", "config:\n  keyage:schedule:\n    secure: v1:AAAA\n",
			"Pulumi.s.yaml: 1 problem\n  schedule" + secret},
		{"a secret does not hide other problems",
			"config:\n  keyage:maxAgeDays: 0\n  keyage:subscriptions:\n    - protocol: https\n      endpoint:\n        secure: v1:AAAA\n",
			"Pulumi.s.yaml: 2 problems\n  subscriptions[0].endpoint" + secret + "  maxAgeDays: 0 is out of range: want an integer from 1 to 3650\n"},
		// A secret maxAgeDays of 120 stands behind warnAgeDays 100: checking 100 against the
		// default 90 would report a problem the stack does not have.
		{"secret maxAgeDays skips the cross-check", "config:\n  keyage:maxAgeDays:\n    secure: v1:AAAA\n  keyage:warnAgeDays: 100\n",
			"Pulumi.s.yaml: 1 problem\n  maxAgeDays" + secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeStack(t, "s", tt.config)
			status, _, stderr := runCLI("validate", "--stack", "s", "--dir", dir)
			if status != exitInvalid || stderr != tt.want {
				t.Errorf("validate = %d, stderr %q; want 1 and %q", status, stderr, tt.want)
			}
		})
	}
}

func TestValidateSummaryNotes(t *testing.T) {
	tests := []struct{ name, config, want string }{
		{"one-shot schedule", "  keyage:schedule: at(2030-01-01T08:00:00)\n  keyage:scheduleEnabled: false\n",
			"  schedule: at(2030-01-01T08:00:00) in UTC, disabled; no alarm watches for missing runs (see the warning)\n"},
		{"gap over a week", "  keyage:schedule: cron(0 8 1 * ? *)\n",
			"  schedule: cron(0 8 1 * ? *) in UTC, enabled; longest gap between runs 31d; no alarm watches for missing runs (see the warning)\n"},
		{"chat topic only", "  keyage:chat: {}\n",
			"  chat: the chat topic only (attach a channel configuration made in the Amazon Q Developer console to the chatTopicArn output)\n"},
		{"chat channels", "  aws:region: us-east-2\n  keyage:chat:\n    slack:\n      - {teamId: T07EA123LEP, channelId: C07EZ1ABC23}\n",
			"  chat: Slack channel C07EZ1ABC23 of workspace T07EA123LEP\n"},
		{"exemptions and tag exemptions", "  keyage:exemptions:\n    - {users: [ci, cd-*], reason: pipeline}\n  keyage:tagExemptions: true\n",
			"  policy: stale after 90 days; exempt: ci, cd-* (no end, pipeline); exempt by tags for up to 90 days\n"},
		{"defaults", "  aws:region: us-east-1\n",
			"  findings to: nobody (no subscriptions: findings are only in the function's log)\n  alarms to: nobody (no alarmSubscriptions: alarms are only in CloudWatch)\n  owners: from the user tag owner; no owners topic (no ownerSubscriptions); no direct mail (no ownerEmail)\n"},
		{"owners", "  keyage:ownerTagKeys: [owner, team]\n  keyage:maxOwnerMessages: 20\n" +
			"  keyage:ownerSubscriptions:\n    - owner: team-a\n      protocol: email\n      endpoint: team-a@example.com\n" +
			"  keyage:ownerEmail:\n    from: keyage@example.com\n",
			"  owners: from the user tag owner, then team; owners topic to team-a: email team-a@example.com (at most 20 owner messages a run); mail from keyage@example.com (SES)\n"},
		{"owners off", "  keyage:ownerTagKeys: []\n", "  owners: off (ownerTagKeys is [])\n"},
		{"owners in an organization run", "  keyage:accounts: [\"111122223333\"]\n  keyage:maxOwnerMessages: 20\n" +
			"  keyage:ownerSubscriptions:\n    - owner: team-a\n      protocol: email\n      endpoint: team-a@example.com\n",
			"  owners: from the user tag owner; owners topic to team-a: email team-a@example.com (one message per owner per account, at most 20 owner messages per account a run); no direct mail (no ownerEmail)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeStack(t, "x", "config:\n"+tt.config)
			status, stdout, stderr := runCLI("validate", "--stack", "x", "--dir", dir)
			if status != exitOK || !strings.Contains(stdout, tt.want) {
				t.Errorf("validate = %d\nstdout:\n%s\nstderr:\n%s\nwant 0 and a line %q", status, stdout, stderr, tt.want)
			}
		})
	}
}

func TestValidateCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantStderr string // a prefix
	}{
		{"no stack", []string{"validate"}, exitUsage, "keyage validate: --stack is required\nUsage: keyage validate --stack NAME [--dir DIR]\n"},
		{"stray argument", []string{"validate", "--stack", "dev", "prod"}, exitUsage, "keyage validate: unexpected argument \"prod\"\n"},
		{"unknown flag", []string{"validate", "--stak", "dev"}, exitUsage, "flag provided but not defined: -stak\n"},
		{"help", []string{"validate", "-h"}, exitOK, "Usage: keyage validate --stack NAME [--dir DIR]\n"},
		{"missing stack file", []string{"validate", "--stack", "nope", "--dir", "/nonexistent"}, exitInvalid,
			"Pulumi.nope.yaml: 1 problem\n  stack file /nonexistent/Pulumi.nope.yaml: file does not exist: want a Pulumi.NAME.yaml next to Pulumi.yaml (see the README's settings)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, stdout, stderr := runCLI(tt.args...)
			if status != tt.wantStatus || stdout != "" || !strings.HasPrefix(stderr, tt.wantStderr) {
				t.Errorf("keyage %v = %d, stdout %q, stderr %q; want %d and stderr starting %q", tt.args, status, stdout, stderr, tt.wantStatus, tt.wantStderr)
			}
		})
	}
}

func TestFindProjectDirOutsideAProject(t *testing.T) {
	t.Chdir(t.TempDir())
	status, _, stderr := runCLI("validate", "--stack", "dev")
	if status != exitUsage || !strings.Contains(stderr, "Pulumi.yaml") || !strings.Contains(stderr, "pass --dir") {
		t.Errorf("validate outside a project = %d, stderr %q; want 2 and a hint to pass --dir", status, stderr)
	}
}

// TestValidateShowsRoleSettings: the effective settings name the roles' path and boundary when
// the stack sets either.
func TestValidateShowsRoleSettings(t *testing.T) {
	dir := writeStack(t, "roles", `config:
  aws:region: eu-west-1
  keyage:rolePath: /security/keyage/
  keyage:rolePermissionsBoundary: arn:aws:iam::123456789012:policy/boundary
`)
	status, stdout, stderr := runCLI("validate", "--stack", "roles", "--dir", dir)
	want := "  roles: path /security/keyage/, permissions boundary arn:aws:iam::123456789012:policy/boundary\n"
	if status != exitOK || !strings.Contains(stdout, want) {
		t.Errorf("validate --stack roles = %d\nstdout:\n%s\nstderr:\n%s\nwant 0 and a line %q", status, stdout, stderr, want)
	}
}

// TestValidateRefusesEveryRunOrganizationOwners: validate, like the deploy, refuses notify:
// every-run in an organization run that reaches owners, naming the setting, value and what is
// allowed; and warns that maxOwnerMessages is per account when accounts x it exceeds a run's.
func TestValidateRefusesEveryRunOrganizationOwners(t *testing.T) {
	owners := "  keyage:ownerSubscriptions:\n    - owner: team-a\n      protocol: email\n      endpoint: team-a@example.com\n"
	dir := writeStack(t, "org", "config:\n  keyage:accounts: [\"111122223333\"]\n  keyage:notify: every-run\n"+owners)
	status, stdout, stderr := runCLI("validate", "--stack", "org", "--dir", dir)
	if status == exitOK || !strings.Contains(stderr, `notify: "every-run" with accounts, cannot reach owners`) || !strings.Contains(stderr, "changes (the default)") {
		t.Errorf("validate = %d\nstdout:\n%s\nstderr:\n%s\nwant a failure naming notify: every-run", status, stdout, stderr)
	}
	dir = writeStack(t, "org", "config:\n  keyage:accounts: [organization]\n"+owners)
	status, stdout, stderr = runCLI("validate", "--stack", "org", "--dir", dir)
	if status != exitOK || !strings.Contains(stderr, "warning: maxOwnerMessages 100 bounds each account's owner messages, not the run's") {
		t.Errorf("validate = %d\nstdout:\n%s\nstderr:\n%s\nwant 0 and the per-account warning", status, stdout, stderr)
	}
}
