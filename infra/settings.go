package infra

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/keyage/keyage/config"
)

// checkSettings holds settings to exactly the checks a stack file gets, also when a Go program
// builds them without config.Parse: it writes them back as the stack configuration values
// config.Parse reads, and parses those. One set of rules, in package config, with its messages
// (setting, value, what is allowed).
func checkSettings(s config.Settings) error {
	values, err := stackValues(s)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if _, err := config.Parse(values); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

// subscriptionValue is a subscription in the stack file's spelling.
type subscriptionValue struct {
	Protocol            string `json:"protocol"`
	Endpoint            string `json:"endpoint"`
	FilterPolicy        string `json:"filterPolicy,omitempty"` // JSON text, as the SNS API takes it
	FilterPolicyScope   string `json:"filterPolicyScope,omitempty"`
	RawMessageDelivery  bool   `json:"rawMessageDelivery,omitempty"`
	SubscriptionRoleARN string `json:"subscriptionRoleArn,omitempty"`
}

// stackValues is the inverse of config.Parse: the configuration values (keys without the
// namespace) that parse to s. Optional settings at their zero value are left out, as a stack
// file that does not set them.
func stackValues(s config.Settings) (map[string]string, error) {
	v := map[string]string{
		"maxAgeDays":                 strconv.Itoa(s.MaxAgeDays),
		"schedule":                   s.Schedule,
		"scheduleTimezone":           s.ScheduleTimezone,
		"scheduleEnabled":            strconv.FormatBool(s.ScheduleEnabled),
		"maxConcurrency":             strconv.Itoa(s.MaxConcurrency),
		"logLevel":                   s.LogLevel,
		"includeExecutionData":       strconv.FormatBool(s.IncludeExecutionData),
		"logRetentionDays":           strconv.Itoa(s.LogRetentionDays),
		"functionMemoryMB":           strconv.Itoa(s.FunctionMemoryMB),
		"scheduleRetryAttempts":      strconv.Itoa(s.ScheduleRetryAttempts),
		"scheduleMaxEventAgeSeconds": strconv.Itoa(s.ScheduleMaxEventAgeSec),
	}
	if s.WarnAgeDays != 0 {
		v["warnAgeDays"] = strconv.Itoa(s.WarnAgeDays)
	}
	structured := map[string]any{}
	if s.ExemptUsers != nil {
		structured["exemptUsers"] = s.ExemptUsers
	}
	if s.Tags != nil {
		structured["tags"] = s.Tags
	}
	for key, subs := range map[string][]config.Subscription{"subscriptions": s.Subscriptions, "alarmSubscriptions": s.AlarmSubscriptions} {
		if subs == nil {
			continue
		}
		out := make([]subscriptionValue, len(subs))
		for i, sub := range subs {
			out[i] = subscriptionValue(sub)
		}
		structured[key] = out
	}
	for key, value := range structured {
		b, err := json.Marshal(value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		v[key] = string(b)
	}
	return v, nil
}
