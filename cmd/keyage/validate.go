package main

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/keyage/keyage/config"
)

// runValidate implements `keyage validate --stack NAME [--dir DIR]`.
func runValidate(args []string, stdout, stderr io.Writer) int {
	var sf stackFlags
	fs := newFlagSet("validate", "validate --stack NAME [--dir DIR]", &sf, stderr)
	return withStack(fs, &sf, args, stderr, nil, func(checked config.Checked) int {
		fmt.Fprintf(stdout, "%s: OK\n", filepath.Base(config.StackFile(sf.dir, sf.stack)))
		for _, line := range summarize(checked) {
			fmt.Fprintf(stdout, "  %s\n", line)
		}
		return exitOK
	})
}

// summarize describes the effective settings (defaults applied) in a few lines.
func summarize(checked config.Checked) []string {
	s := checked.Settings()
	if s.Component.Deploy == config.DeployMember {
		return summarizeComponent(s)
	}
	policy := fmt.Sprintf("stale after %d days", s.MaxAgeDays)
	if s.WarnAgeDays > 0 {
		policy += fmt.Sprintf(", due soon after %d", s.WarnAgeDays)
	}
	if len(s.ExemptUsers) > 0 {
		policy += fmt.Sprintf("; exempt: %s", strings.Join(s.ExemptUsers, ", "))
	}
	for _, e := range s.Exemptions.List {
		until := "no end"
		if !e.Until.IsZero() {
			until = "until " + e.Until.String()
		}
		policy += fmt.Sprintf("; exempt: %s (%s, %s)", strings.Join(e.Users, ", "), until, e.Reason)
	}
	if s.Exemptions.FromTags {
		policy += fmt.Sprintf("; exempt by tags for up to %d days", s.Exemptions.MaxTagDays)
	}

	state := "enabled"
	if !s.ScheduleEnabled {
		state = "disabled"
	}
	sched := fmt.Sprintf("schedule: %s in %s, %s", s.Schedule, s.ScheduleTimezone, state)
	lines := []string{"policy: " + policy}
	if watch := checked.DeadMansSwitch; watch.Gap > 0 {
		sched += "; longest gap between runs " + config.FormatDuration(watch.Gap)
	}
	if !checked.DeadMansSwitch.Enabled {
		sched += "; no alarm watches for missing runs (see the warning)"
	}
	findings := describeSubscriptions(s.FindingsSubscriptions(), "subscriptions", "findings are only in the function's log")
	if s.Organization.Enabled() {
		findings += " (a subscription without a filterPolicy of its own gets " + config.DigestFilterPolicy +
			": the organization's digest, not each account's message; {\"account\": [ID]} takes one account's)"
	}
	lines = append(lines, sched,
		"findings to: "+findings,
		"alarms to: "+describeSubscriptions(s.AlarmSubscriptions, "alarmSubscriptions", "alarms are only in CloudWatch"),
		"owners: "+describeOwners(s.Owners, s.Organization.Enabled()),
		"accounts: "+s.Organization.Scope(),
		fmt.Sprintf("scan: at most %d IAM calls in flight per account; function %d MB", s.MaxConcurrency, s.FunctionMemoryMB),
		fmt.Sprintf("logs: level %s, execution data %s, kept %d days", s.LogLevel, included(s.IncludeExecutionData), s.LogRetentionDays),
		fmt.Sprintf("start retries: %d attempts within %s, then the dead-letter queue", s.ScheduleRetryAttempts,
			config.FormatDuration(time.Duration(s.ScheduleMaxEventAgeSec)*time.Second)),
	)
	if s.RolePath != "" || s.RolePermissionsBoundary != "" {
		lines = append(lines, fmt.Sprintf("roles: path %s, permissions boundary %s", cmp.Or(s.RolePath, "/"), cmp.Or(s.RolePermissionsBoundary, "none")))
	}
	if len(s.Tags) > 0 {
		lines = append(lines, fmt.Sprintf("tags: %d extra", len(s.Tags)))
	}
	if s.Chat.Enabled {
		lines = append(lines, "chat: "+describeChat(s.Chat))
	}
	return append(lines, summarizeComponent(s)...)
}

// describeChat lists the chat channels the stack configures, or says the topic is for a
// configuration made elsewhere.
func describeChat(c config.Chat) string {
	if !c.Configures() {
		return "the chat topic only (attach a channel configuration made in the Amazon Q Developer console to the chatTopicArn output)"
	}
	var parts []string
	for _, ch := range c.Slack {
		parts = append(parts, "Slack channel "+ch.ChannelID+" of workspace "+ch.TeamID)
	}
	for _, ch := range c.Teams {
		parts = append(parts, "Teams channel "+ch.ChannelID+" of team "+ch.TeamID)
	}
	return strings.Join(parts, "; ")
}

// describeSubscriptions lists subscribers; with none, it names the setting to add them to and
// where the messages can still be found.
func describeSubscriptions(subs []config.Subscription, key, meanwhile string) string {
	if len(subs) == 0 {
		return fmt.Sprintf("nobody (no %s: %s)", key, meanwhile)
	}
	parts := make([]string, len(subs))
	for i, sub := range subs {
		parts[i] = sub.Protocol + " " + sub.Endpoint
		if sub.FilterPolicy != "" {
			parts[i] += " filtered by " + sub.FilterPolicy
		}
	}
	return strings.Join(parts, "; ")
}

// describeOwners says where owners are read from and how they are reached; in an organization
// run (perAccount) the cap and the one message per owner hold per account.
func describeOwners(o config.Owners, perAccount bool) string {
	if len(o.TagKeys) == 0 {
		return "off (ownerTagKeys is [])"
	}
	parts := []string{"from the user tag " + strings.Join(o.TagKeys, ", then ")}
	if len(o.Subscriptions) == 0 {
		parts = append(parts, "no owners topic (no ownerSubscriptions)")
	} else {
		subs := make([]string, len(o.Subscriptions))
		for i, sub := range o.Subscriptions {
			subs[i] = sub.Owner + ": " + sub.Protocol + " " + sub.Endpoint
		}
		limit := fmt.Sprintf("at most %d owner messages a run", o.MaxMessages)
		if perAccount {
			limit = fmt.Sprintf("one message per owner per account, at most %d owner messages per account a run", o.MaxMessages)
		}
		parts = append(parts, fmt.Sprintf("owners topic to %s (%s)", strings.Join(subs, ", "), limit))
	}
	if o.Email == nil {
		parts = append(parts, "no direct mail (no ownerEmail)")
	} else {
		parts = append(parts, "mail from "+o.Email.From+" (SES)")
	}
	return strings.Join(parts, "; ")
}

func included(b bool) string {
	if b {
		return "included"
	}
	return "excluded"
}
