package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/keyage/keyage/lambda/agecheck"
	"github.com/keyage/keyage/schedule"
)

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name   string
		values map[string]string
		want   []string // every message, in order
	}{
		{"maxAgeDays zero", map[string]string{"maxAgeDays": "0"},
			[]string{"maxAgeDays: 0 is out of range: want an integer from 1 to 3650"}},
		{"maxAgeDays too large", map[string]string{"maxAgeDays": "3651"},
			[]string{"maxAgeDays: 3651 is out of range: want an integer from 1 to 3650"}},
		{"maxAgeDays not a number", map[string]string{"maxAgeDays": "ninety"},
			[]string{`maxAgeDays: "ninety" is not an integer: want an integer from 1 to 3650`}},
		{"maxAgeDays fraction", map[string]string{"maxAgeDays": "90.5"},
			[]string{`maxAgeDays: 90.5 is not an integer: want an integer from 1 to 3650`}},
		{"warn equal to max", map[string]string{"maxAgeDays": "90", "warnAgeDays": "90"},
			[]string{"warnAgeDays: 90 is not below maxAgeDays (90): want an integer from 1 to 89, or no warnAgeDays"}},
		{"warn above default max", map[string]string{"warnAgeDays": "120"},
			[]string{"warnAgeDays: 120 is not below maxAgeDays (90): want an integer from 1 to 89, or no warnAgeDays"}},
		{"warn with max 1", map[string]string{"maxAgeDays": "1", "warnAgeDays": "1"},
			[]string{"warnAgeDays: 1 is not below maxAgeDays (1): want no warnAgeDays when maxAgeDays is 1"}},
		{"warn zero", map[string]string{"warnAgeDays": "0"},
			[]string{"warnAgeDays: 0 is out of range: want an integer from 1 to 3649"}},
		{"warn minus zero", map[string]string{"warnAgeDays": "-0"},
			[]string{"warnAgeDays: -0 is out of range: want an integer from 1 to 3649"}},
		{"bad cron field count", map[string]string{"schedule": "cron(0 8 * * *)"},
			[]string{`schedule: "cron(0 8 * * *)" is not a valid cron expression: has 5 fields, as Unix cron does, but EventBridge Scheduler wants 6 (the last is the year, usually *): want ` + schedule.AllowedCron}},
		{"cron both days", map[string]string{"schedule": "cron(0 8 * * * *)"},
			[]string{`schedule: "cron(0 8 * * * *)" is not a valid cron expression: day-of-month "*" and day-of-week "*": exactly one of them must be ?: want ` + schedule.AllowedCron}},
		{"cron minute out of range", map[string]string{"schedule": "cron(60 8 * * ? *)"},
			[]string{`schedule: "cron(60 8 * * ? *)" is not a valid cron expression: minutes value 60 is out of range 0-59: want ` + schedule.AllowedCron}},
		{"cron bad day name", map[string]string{"schedule": "cron(0 8 ? * MON-FRY *)"},
			[]string{`schedule: "cron(0 8 ? * MON-FRY *)" is not a valid cron expression: day-of-week value "FRY" is neither a number from 1 to 7 nor one of SUN, MON, TUE, WED, THU, FRI, SAT: want ` + schedule.AllowedCron}},
		{"cron year before 1970", map[string]string{"schedule": "cron(0 8 * * ? 1969)"},
			[]string{`schedule: "cron(0 8 * * ? 1969)" is not a valid cron expression: year value 1969 is out of range 1970-2199: want ` + schedule.AllowedCron}},
		{"cron impossible date", map[string]string{"schedule": "cron(0 8 30 FEB ? *)"},
			[]string{`schedule: "cron(0 8 30 FEB ? *)" is not a valid cron expression: day-of-month "30" never falls in month "FEB": want ` + schedule.AllowedCron}},
		{"rate plural for one", map[string]string{"schedule": "rate(1 hours)"},
			[]string{`schedule: "rate(1 hours)" is not a valid rate expression: a value of 1 takes the singular unit "hour": want ` + schedule.AllowedRate}},
		{"rate zero", map[string]string{"schedule": "rate(0 minutes)"},
			[]string{`schedule: "rate(0 minutes)" is not a valid rate expression: value "0" is not a whole number of at least 1: want ` + schedule.AllowedRate}},
		{"rate seconds", map[string]string{"schedule": "rate(30 seconds)"},
			[]string{`schedule: "rate(30 seconds)" is not a valid rate expression: unit "seconds" is not minute(s), hour(s) or day(s): want ` + schedule.AllowedRate}},
		{"not an expression", map[string]string{"schedule": "daily"},
			[]string{`schedule: "daily" is not a schedule expression: want ` + schedule.AllowedSchedule}},
		{"at without a real date", map[string]string{"schedule": "at(2026-02-30T08:00:00)"},
			[]string{`schedule: "at(2026-02-30T08:00:00)" is not a valid at expression: no such date or time: want ` + schedule.AllowedAt}},
		{"unknown time zone", map[string]string{"scheduleTimezone": "Europe/Atlantis"},
			[]string{`scheduleTimezone: "Europe/Atlantis" is not a known time zone: want an IANA time zone name such as UTC, Europe/Berlin or America/New_York`}},
		{"Local time zone", map[string]string{"scheduleTimezone": "Local"},
			[]string{`scheduleTimezone: "Local" is not a known time zone: want an IANA time zone name such as UTC, Europe/Berlin or America/New_York`}},
		{"scheduleEnabled yes", map[string]string{"scheduleEnabled": "yes"},
			[]string{`scheduleEnabled: "yes" is not a boolean: want true or false`}},
		{"bad email", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"security.example.com"}]`},
			[]string{`subscriptions[0].endpoint: "security.example.com" is not an email address: want an address such as security@example.com, without a display name`}},
		{"email with display name", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"Sec <sec@example.com>"}]`},
			[]string{`subscriptions[0].endpoint: "Sec <sec@example.com>" is not an email address: want an address such as security@example.com, without a display name`}},
		{"http endpoint where https is required", map[string]string{"subscriptions": `[{"protocol":"https","endpoint":"http://hooks.example.com/x"}]`},
			[]string{`subscriptions[0].endpoint: "http://hooks.example.com/x" is an http URL, which sends findings unencrypted: want an https:// URL`}},
		{"protocol http", map[string]string{"subscriptions": `[{"protocol":"http","endpoint":"http://hooks.example.com/x"}]`},
			[]string{`subscriptions[0].protocol: "http" is not allowed: it sends findings unencrypted: want https (or another of email, email-json, firehose, https, lambda, sms, sqs)`}},
		{"mobile push protocol", map[string]string{"subscriptions": `[{"protocol":"application","endpoint":"arn:aws:sns:eu-central-1:123456789012:endpoint/GCM/keyage/5d2c9b0e"}]`},
			[]string{`subscriptions[0].protocol: "application" is not supported: mobile push payloads are limited to about 4 KB and need per-platform bodies, which keyage's messages are not: want one of email, email-json, firehose, https, lambda, sms, sqs (forward to a push service from an sqs or lambda subscriber)`}},
		{"unknown protocol", map[string]string{"subscriptions": `[{"protocol":"slack","endpoint":"#security"}]`},
			[]string{`subscriptions[0].protocol: "slack" is not an SNS protocol: want one of email, email-json, firehose, https, lambda, sms, sqs`}},
		{"missing endpoint", map[string]string{"subscriptions": `[{"protocol":"email"}]`},
			[]string{`subscriptions[0].endpoint is missing: want the address, URL, ARN or phone number the protocol delivers to`}},
		{"sqs endpoint not an ARN", map[string]string{"subscriptions": `[{"protocol":"sqs","endpoint":"https://sqs.eu-central-1.amazonaws.com/123456789012/q"}]`},
			[]string{`subscriptions[0].endpoint: "https://sqs.eu-central-1.amazonaws.com/123456789012/q" is not an SQS queue ARN: want arn:aws:sqs:REGION:ACCOUNT:QUEUE`}},
		{"lambda endpoint of another service", map[string]string{"subscriptions": `[{"protocol":"lambda","endpoint":"arn:aws:sqs:eu-central-1:123456789012:q"}]`},
			[]string{`subscriptions[0].endpoint: "arn:aws:sqs:eu-central-1:123456789012:q" is not a Lambda function ARN: want arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`}},
		{"sms not E.164", map[string]string{"subscriptions": `[{"protocol":"sms","endpoint":"0151 1234567"}]`},
			[]string{`subscriptions[0].endpoint: "0151 1234567" is not an E.164 phone number: want + and 2 to 15 digits, such as +14155550100`}},
		{"firehose without role", map[string]string{"subscriptions": `[{"protocol":"firehose","endpoint":"arn:aws:firehose:eu-central-1:123456789012:deliverystream/keyage"}]`},
			[]string{`subscriptions[0].subscriptionRoleArn is missing: want the ARN of the IAM role SNS assumes to write to the delivery stream (protocol firehose needs one)`}},
		{"role on email", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","subscriptionRoleArn":"arn:aws:iam::123456789012:role/r"}]`},
			[]string{`subscriptions[0].subscriptionRoleArn: "arn:aws:iam::123456789012:role/r" is only used by protocol firehose: want no subscriptionRoleArn for protocol email`}},
		{"raw delivery to email", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","rawMessageDelivery":true}]`},
			[]string{`subscriptions[0].rawMessageDelivery: true is not supported for protocol email: want false, or protocol sqs, https or firehose`}},
		{"malformed filter policy", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":"{severity: stale}"}]`},
			[]string{`subscriptions[0].filterPolicy: "{severity: stale}" is not valid JSON (invalid character 's' looking for beginning of object key string): want ` + filterShape}},
		{"filter policy single value", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":{"severity":"stale"}}]`},
			[]string{`subscriptions[0].filterPolicy: {"severity":"stale"} maps "severity" to a single value instead of a list: want ` + filterShape}},
		{"filter policy nested for attributes", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":{"severity":{"level":["stale"]}}}]`},
			[]string{`subscriptions[0].filterPolicy: {"severity":{"level":["stale"]}} nests an object at "severity", which attribute filtering (MessageAttributes) does not accept: want ` + filterShape}},
		{"unusedDays out of range", map[string]string{"unusedDays": "3651"},
			[]string{`unusedDays: 3651 is out of range: want an integer from 1 to 3650, or 0 to turn the unused control off`}},
		{"unusedDays not an integer", map[string]string{"unusedDays": "45d"},
			[]string{`unusedDays: "45d" is not an integer: want an integer from 1 to 3650, or 0 to turn the unused control off`}},
		{"newKeyGraceDays negative", map[string]string{"newKeyGraceDays": "-1"},
			[]string{`newKeyGraceDays: -1 is out of range: want an integer from 0 to 365`}},
		{"filter policy unknown attribute", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":{"sev":["stale"]}}]`},
			[]string{`subscriptions[0].filterPolicy: {"sev":["stale"]} filters on attribute "sev", which keyage's messages never carry, so it would drop every message: want attributes account, kinds, scope, severity`}},
		{"filter policy too many keys", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterPolicyScope":"MessageBody","filterPolicy":{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}}]`},
			[]string{`subscriptions[0].filterPolicy: {"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]} has 6 keys: want at most 5 keys`}},
		{"filter policy too many combinations", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterPolicyScope":"MessageBody","filterPolicy":{"a":[1,2,3,4,5,6,7,8,9,10,11,12,13],"b":[1,2,3,4,5,6,7,8,9,10,11,12]}}]`},
			[]string{`subscriptions[0].filterPolicy: {"a":[1,2,3,4,5,6,7,8,9,10,11,12,13],"b":[1,2,3,4,5,6,7,8,9,10,11,12]} has 156 value combinations: want at most 150 (the product of the lengths of its value lists)`}},
		{"filter policy unknown operator", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":{"severity":[{"startsWith":"st"}]}}]`},
			[]string{`subscriptions[0].filterPolicy: {"severity":[{"startsWith":"st"}]} has unknown operator "startsWith" at "severity" (want one of anything-but, cidr, equals-ignore-case, exists, numeric, prefix, suffix, wildcard): want ` + filterShape}},
		{"filter policy bad scope", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterPolicyScope":"Body","filterPolicy":{"severity":["stale"]}}]`},
			[]string{`subscriptions[0].filterPolicyScope: "Body" is not a filter policy scope: want MessageAttributes or MessageBody`}},
		{"attribute filter on alarms", map[string]string{"alarmSubscriptions": `[{"protocol":"email","endpoint":"ops@example.com","filterPolicy":{"severity":["stale"]}}]`},
			[]string{`alarmSubscriptions[0].filterPolicy: {"severity":["stale"]} filters on message attributes, which alarm notifications never carry, so it would drop every alarm: want no filterPolicy, or filterPolicyScope MessageBody`}},
		{"subscription field typo", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com","filterpolicy":{}}]`},
			[]string{`subscriptions[0].filterpolicy: {} is not a subscription field: want one of endpoint, filterPolicy, filterPolicyScope, protocol, rawMessageDelivery, subscriptionRoleArn`}},
		{"duplicate subscription", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com"},{"protocol":"email","endpoint":"a@example.com"}]`},
			[]string{`subscriptions[1].endpoint: "a@example.com" repeats subscriptions[0] (same protocol and endpoint): want each endpoint once per protocol`}},
		{"subscriptions not a list", map[string]string{"subscriptions": `{"protocol":"email"}`},
			[]string{`subscriptions: {"protocol":"email"} is not a list of objects: want a list of objects such as [{"protocol": "email", "endpoint": "security@example.com"}]`}},
		{"maxConcurrency too high", map[string]string{"maxConcurrency": "1001"},
			[]string{"maxConcurrency: 1001 is out of range: want an integer from 1 to 1000"}},
		{"logLevel OFF", map[string]string{"logLevel": "OFF"},
			[]string{`logLevel: "OFF" is not allowed: it turns execution logging off, which fails Security Hub control StepFunctions.1: want ALL, ERROR or FATAL`}},
		{"logLevel lower case", map[string]string{"logLevel": "error"},
			[]string{`logLevel: "error" is not a log level (they are upper case): want ALL, ERROR or FATAL`}},
		{"retention CloudWatch refuses", map[string]string{"logRetentionDays": "100"},
			[]string{"logRetentionDays: 100 is not a retention period CloudWatch Logs accepts: want one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"}},
		{"memory too small", map[string]string{"functionMemoryMB": "64"},
			[]string{"functionMemoryMB: 64 is out of range: want an integer from 128 to 10240"}},
		{"retries too many", map[string]string{"scheduleRetryAttempts": "186"},
			[]string{"scheduleRetryAttempts: 186 is out of range: want an integer from 0 to 185"}},
		{"event age too short", map[string]string{"scheduleMaxEventAgeSeconds": "59"},
			[]string{"scheduleMaxEventAgeSeconds: 59 is out of range: want an integer from 60 to 86400"}},
		{"exempt user with a slash", map[string]string{"exemptUsers": `["ops/admin"]`},
			[]string{`exemptUsers[0]: "ops/admin" is not an IAM user name or pattern: want letters, digits and +=,.@_-*, 1 to 64 characters`}},
		{"exempt everyone", map[string]string{"exemptUsers": `["*"]`},
			[]string{`exemptUsers[0]: "*" exempts every user, which turns keyage off: want a name or a narrower pattern (set scheduleEnabled to false to pause keyage)`}},
		{"exempt user twice", map[string]string{"exemptUsers": `["Alice","alice"]`},
			[]string{`exemptUsers[1]: "alice" repeats exemptUsers[0] (names are case-insensitive): want each name or pattern once`}},
		{"exempt users not a list", map[string]string{"exemptUsers": "alice,bob"},
			[]string{`exemptUsers: "alice,bob" is not a list of strings: want a list of IAM user names or * glob patterns (letters, digits and +=,.@_-*, 1 to 64 characters each), such as [break-glass-*]`}},
		{"reserved tag prefix", map[string]string{"tags": `{"AWS:owner":"me"}`},
			[]string{`tags["AWS:owner"]: "AWS:owner" uses the prefix aws:, which AWS reserves: want a tag key that does not start with aws:`}},
		{"tag value with forbidden character", map[string]string{"tags": `{"owner":"a;b"}`},
			[]string{`tags["owner"]: "a;b" is not a valid tag value: want 0 to 256 letters, digits, spaces and _.:/=+-@`}},
		{"tag key too long", map[string]string{"tags": `{"` + strings.Repeat("k", 129) + `":"v"}`},
			[]string{`tags["` + strings.Repeat("k", 129) + `"]: "` + strings.Repeat("k", 129) + `" is not a valid tag key: want 1 to 128 letters, digits, spaces and _.:/=+-@`}},
		{"unknown key with suggestion", map[string]string{"maxAgeDay": "90"},
			[]string{"maxAgeDay: unknown setting (did you mean maxAgeDays?): want one of " + knownKeys}},
		{"logLevel off in lower case", map[string]string{"logLevel": "off"},
			[]string{`logLevel: "off" is not allowed: it turns execution logging off, which fails Security Hub control StepFunctions.1: want ALL, ERROR or FATAL`}},
		{"rawMessageDelivery a string", map[string]string{"subscriptions": `[{"protocol":"sqs","endpoint":"arn:aws:sqs:eu-central-1:123456789012:q","rawMessageDelivery":"yes"}]`},
			[]string{`subscriptions[0].rawMessageDelivery: "yes" is not a boolean: want true or false`}},
		{"misspelt subscription field", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"sec@example.com","filter":"x"}]`},
			[]string{`subscriptions[0].filter: "x" is not a subscription field: want one of endpoint, filterPolicy, filterPolicyScope, protocol, rawMessageDelivery, subscriptionRoleArn`}},
		{"tags with a number and a boolean", map[string]string{"tags": `{"cost-center":4711,"team":"security","prod":true}`},
			[]string{
				`tags["cost-center"]: 4711 is not a string: want a string: quote numbers and booleans, such as "4711"`,
				`tags["prod"]: true is not a string: want a string: quote numbers and booleans, such as "4711"`,
			}},
		{"tags a list", map[string]string{"tags": `[{"env":"dev"}]`},
			[]string{`tags: [{"env":"dev"}] is not an object of string values: want an object of strings such as {"team": "security", "cost-center": "4711"}`}},
		{"unknown key without suggestion", map[string]string{"region": "eu-west-1"},
			[]string{"region: unknown setting: want one of " + knownKeys}},
		{"every problem at once", map[string]string{"maxAgeDays": "0", "logLevel": "OFF", "Schedule": "rate(1 day)"},
			[]string{
				"maxAgeDays: 0 is out of range: want an integer from 1 to 3650",
				`logLevel: "OFF" is not allowed: it turns execution logging off, which fails Security Hub control StepFunctions.1: want ALL, ERROR or FATAL`,
				"Schedule: unknown setting (did you mean schedule?): want one of " + knownKeys,
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseConfig(namespace(tt.values))
			wantProblems(t, err, tt.want, "Parse(%v)", tt.values)
			if !s.IsZero() {
				t.Errorf("Parse returned settings %+v with its error, want the zero Checked", s)
			}
		})
	}
}

const (
	filterShape = `a JSON object whose keys map to lists of values or operators, such as {"severity": ["stale"]}`
	knownKeys   = "accountConcurrency, accounts, alarmSubscriptions, chat, checkRootKeys, deploy, excludeAccounts, exemptUsers, exemptions, functionMemoryMB, includeExecutionData, ledgerDeletionProtection, " +
		"ledgerRetentionDays, logLevel, logRetentionDays, maxAgeDays, maxConcurrency, maxOwnerMessages, maxTagExemptionDays, memberRoleName, memberStackSet, newKeyGraceDays, notify, ownerEmail, ownerSubscriptions, ownerTagKeys, principalOrgId, remindEveryDays, rolePath, " +
		"rolePermissionsBoundary, scannerFunctionRoleArn, scannerStateMachineRoleArn, schedule, scheduleEnabled, scheduleMaxEventAgeSeconds, scheduleRetryAttempts, scheduleTimezone, subscriptions, tagExemptions, tags, unusedDays, warnAgeDays"
)

func TestParseTypedErrors(t *testing.T) {
	_, err := Parse(map[string]string{"maxAgeDays": "0", "maxage": "1"})
	var se *SettingError
	if !errors.As(err, &se) {
		t.Fatalf("errors.As(%v, *SettingError) = false, want true", err)
	}
	want := SettingError{Key: "maxAgeDays", Value: "0", Problem: "is out of range", Allowed: "an integer from 1 to 3650"}
	if *se != want {
		t.Errorf("SettingError = %+v, want %+v", *se, want)
	}
	var ue *UnknownKeyError
	if !errors.As(err, &ue) {
		t.Fatalf("errors.As(%v, *UnknownKeyError) = false, want true", err)
	}
	if ue.Key != "maxage" || ue.Suggestion != "maxAgeDays" || len(ue.Known) != len(Keys()) {
		t.Errorf("UnknownKeyError = %+v, want key maxage, suggestion maxAgeDays and %d known keys", ue, len(Keys()))
	}
}

func TestParseValid(t *testing.T) {
	withDefaults := func(change func(*Settings)) Settings {
		s := Defaults()
		change(&s)
		return s
	}
	tests := []struct {
		name   string
		values map[string]string
		want   Settings
	}{
		{"nothing set", nil, Defaults()},
		{"bounds", map[string]string{"maxAgeDays": "3650", "warnAgeDays": "3649", "maxConcurrency": "1", "functionMemoryMB": "10240",
			"scheduleRetryAttempts": "0", "scheduleMaxEventAgeSeconds": "86400", "logRetentionDays": "3653"},
			withDefaults(func(s *Settings) {
				s.MaxAgeDays, s.WarnAgeDays, s.MaxConcurrency, s.FunctionMemoryMB = 3650, 3649, 1, 10240
				s.ScheduleRetryAttempts, s.ScheduleMaxEventAgeSec, s.LogRetentionDays = 0, 86400, 3653
			})},
		{"unused control bounds", map[string]string{"unusedDays": "3650", "newKeyGraceDays": "365"},
			withDefaults(func(s *Settings) { s.UnusedDays, s.NewKeyGraceDays = 3650, 365 })},
		{"unused control off, no grace", map[string]string{"unusedDays": "0", "newKeyGraceDays": "0"},
			withDefaults(func(s *Settings) { s.UnusedDays, s.NewKeyGraceDays = 0, 0 })},
		{"a filter on kinds", map[string]string{"subscriptions": `[{"protocol":"sqs","endpoint":"arn:aws:sqs:us-east-1:123456789012:q","filterPolicy":{"kinds":["unused"]}}]`},
			withDefaults(func(s *Settings) {
				s.Subscriptions = []Subscription{{Protocol: "sqs", Endpoint: "arn:aws:sqs:us-east-1:123456789012:q", FilterPolicy: `{"kinds":["unused"]}`}}
			})},
		{"booleans and levels", map[string]string{"scheduleEnabled": "false", "includeExecutionData": "true", "logLevel": "ALL"},
			withDefaults(func(s *Settings) { s.ScheduleEnabled, s.IncludeExecutionData, s.LogLevel = false, true, "ALL" })},
		{"schedule and zone", map[string]string{"schedule": "cron(15,45 8-17/3 ? JAN-MAR,OCT 2#1 2026-2030)", "scheduleTimezone": "America/New_York"},
			withDefaults(func(s *Settings) {
				s.Schedule, s.ScheduleTimezone = "cron(15,45 8-17/3 ? JAN-MAR,OCT 2#1 2026-2030)", "America/New_York"
			})},
		{"exemptions", map[string]string{"exemptUsers": `["break-glass-*","ci+deploy@example.com","svc.a_b=c,d"]`},
			withDefaults(func(s *Settings) { s.ExemptUsers = []string{"break-glass-*", "ci+deploy@example.com", "svc.a_b=c,d"} })},
		{"tags", map[string]string{"tags": `{"team":"security","cost center":"4711","path":"a/b:c=d+e-f@g_h."}`},
			withDefaults(func(s *Settings) {
				s.Tags = map[string]string{"team": "security", "cost center": "4711", "path": "a/b:c=d+e-f@g_h."}
			})},
		{"every protocol", map[string]string{"subscriptions": `[
			{"protocol":"email","endpoint":"security@example.com"},
			{"protocol":"email-json","endpoint":"soc@example.com"},
			{"protocol":"https","endpoint":"https://hooks.example.com/keyage?x=1","rawMessageDelivery":true},
			{"protocol":"sqs","endpoint":"arn:aws-us-gov:sqs:us-gov-west-1:123456789012:findings.fifo","filterPolicy":"{\"severity\": [\"stale\"]}"},
			{"protocol":"lambda","endpoint":"arn:aws:lambda:eu-central-1:123456789012:function:ticket:live"},
			{"protocol":"firehose","endpoint":"arn:aws-cn:firehose:cn-north-1:123456789012:deliverystream/keyage","subscriptionRoleArn":"arn:aws-cn:iam::123456789012:role/service/sns-firehose","rawMessageDelivery":true},
			{"protocol":"sms","endpoint":"+4915112345678"}]`},
			withDefaults(func(s *Settings) {
				s.Subscriptions = []Subscription{
					{Protocol: "email", Endpoint: "security@example.com"},
					{Protocol: "email-json", Endpoint: "soc@example.com"},
					{Protocol: "https", Endpoint: "https://hooks.example.com/keyage?x=1", RawMessageDelivery: true},
					{Protocol: "sqs", Endpoint: "arn:aws-us-gov:sqs:us-gov-west-1:123456789012:findings.fifo", FilterPolicy: `{"severity":["stale"]}`},
					{Protocol: "lambda", Endpoint: "arn:aws:lambda:eu-central-1:123456789012:function:ticket:live"},
					{Protocol: "firehose", Endpoint: "arn:aws-cn:firehose:cn-north-1:123456789012:deliverystream/keyage",
						SubscriptionRoleARN: "arn:aws-cn:iam::123456789012:role/service/sns-firehose", RawMessageDelivery: true},
					{Protocol: "sms", Endpoint: "+4915112345678"},
				}
			})},
		{"filter policies SNS accepts", map[string]string{"subscriptions": `[
			{"protocol":"email","endpoint":"a@example.com","filterPolicy":{"severity":[{"anything-but":"warning"}],"account":[{"prefix":"1234"}]}},
			{"protocol":"email","endpoint":"b@example.com","filterPolicy":{"$or":[{"severity":["stale"]},{"account":["123456789012"]}]}},
			{"protocol":"email","endpoint":"c@example.com","filterPolicyScope":"MessageBody","filterPolicy":{"totals":{"stale":[{"numeric":[">",0,"<=",100]}]},"findings":{"user":[{"exists":true}]}}}]`,
			"alarmSubscriptions": `[{"protocol":"email","endpoint":"ops@example.com","filterPolicyScope":"MessageBody","filterPolicy":{"NewStateValue":["ALARM"]}}]`},
			withDefaults(func(s *Settings) {
				s.Subscriptions = []Subscription{
					{Protocol: "email", Endpoint: "a@example.com", FilterPolicy: `{"severity":[{"anything-but":"warning"}],"account":[{"prefix":"1234"}]}`},
					{Protocol: "email", Endpoint: "b@example.com", FilterPolicy: `{"$or":[{"severity":["stale"]},{"account":["123456789012"]}]}`},
					{Protocol: "email", Endpoint: "c@example.com", FilterPolicyScope: "MessageBody",
						FilterPolicy: `{"totals":{"stale":[{"numeric":[">",0,"<=",100]}]},"findings":{"user":[{"exists":true}]}}`},
				}
				s.AlarmSubscriptions = []Subscription{{Protocol: "email", Endpoint: "ops@example.com", FilterPolicyScope: "MessageBody", FilterPolicy: `{"NewStateValue":["ALARM"]}`}}
			})},
		{"same endpoint, two protocols", map[string]string{"subscriptions": `[{"protocol":"email","endpoint":"a@example.com"},{"protocol":"email-json","endpoint":"a@example.com"}]`},
			withDefaults(func(s *Settings) {
				s.Subscriptions = []Subscription{{Protocol: "email", Endpoint: "a@example.com"}, {Protocol: "email-json", Endpoint: "a@example.com"}}
			})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.values)
			if err != nil {
				t.Fatalf("Parse(%v) error: %v", tt.values, err)
			}
			if got := c.Settings(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Parse(%v)\n got %+v\nwant %+v", tt.values, got, tt.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"abc", "", 3}, {"maxagedays", "maxagedays", 0}, {"maxagedy", "maxagedays", 2}, {"kitten", "sitting", 3}} {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// FuzzParse feeds arbitrary values to every key: Parse must return settings or errors, never panic,
// and every error must be one of its typed errors.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"90", "", "cron(0 8 * * ? *)", "rate(5 minutes)", "at(2026-01-01T00:00:00)", `[{"protocol":"email","endpoint":"a@example.com","filterPolicy":{"$or":[{"a":[1]},{"b":[{"numeric":["<",1]}]}]}}]`,
		`{"a":"b"}`, `["*"]`, "cron(0/5 */2 L * ? *)", "cron(0 0 ? * 6L *)", "cron(0 0 15W * ? *)", "cron(0 0 ? * 7#5 2199)"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, k := range Keys() {
			_, err := Parse(map[string]string{k.Name: v})
			for _, e := range unjoin(err) {
				var se *SettingError
				if !errors.As(e, &se) {
					t.Fatalf("Parse(%s=%q) returned untyped error %v", k.Name, v, e)
				}
			}
		}
		s := Defaults()
		s.Schedule = v
		_, _ = s.Check(time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)) // must not panic
	})
}

// TestParseListLimitsAreInclusive: each bounded list takes its limit and refuses one more.
func TestParseListLimitsAreInclusive(t *testing.T) {
	names := func(n int) string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprintf("user-%03d", i)
		}
		b, _ := json.Marshal(l)
		return string(b)
	}
	subs := func(n int) string {
		l := make([]map[string]string, n)
		for i := range l {
			l[i] = map[string]string{"protocol": "email", "endpoint": fmt.Sprintf("sec%03d@example.com", i)}
		}
		b, _ := json.Marshal(l)
		return string(b)
	}
	tags := func(n int) string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprintf("tag%02d", i)] = "v"
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	tests := []struct {
		key   string
		limit int
		value func(int) string
		want  string
	}{
		{"exemptUsers", agecheck.MaxExemptUsers, names, fmt.Sprintf("has %d entries: want at most %d entries", agecheck.MaxExemptUsers+1, agecheck.MaxExemptUsers)},
		{"subscriptions", MaxSubscriptions, subs, ""},
		{"alarmSubscriptions", MaxSubscriptions, subs, ""},
		{"tags", MaxUserTags, tags, fmt.Sprintf("has %d tags: want at most %d tags", MaxUserTags+1, MaxUserTags)},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if _, err := Parse(map[string]string{tt.key: tt.value(tt.limit)}); err != nil {
				t.Errorf("%d entries (the limit): %v", tt.limit, err)
			}
			_, err := Parse(map[string]string{tt.key: tt.value(tt.limit + 1)})
			if err == nil {
				t.Fatalf("%d entries (one over the limit) were accepted", tt.limit+1)
			}
			if !strings.Contains(err.Error(), tt.key+": ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%d entries: got %q, want a message on %s saying %q", tt.limit+1, err, tt.key, tt.want)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	values, err := ReadStackFile("..", "prod")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseConfig(values); err != nil {
			b.Fatal(err)
		}
	}
}

// namespace puts keyage's keys in their namespace and leaves namespaced keys as they are.
// wantProblems fails unless err reports exactly want, one problem a line and in order (want nil:
// no error); call and args name what returned err.
func wantProblems(t *testing.T, err error, want []string, call string, args ...any) {
	t.Helper()
	var got []string
	if err != nil {
		got = strings.Split(err.Error(), "\n")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s problems:\n got %q\nwant %q", fmt.Sprintf(call, args...), got, want)
	}
}

func namespace(values map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range values {
		if !strings.Contains(k, ":") {
			k = Namespace + ":" + k
		}
		out[k] = v
	}
	return out
}

func TestParseRolesAndRegion(t *testing.T) {
	const (
		allowedPath     = `want "/" alone, or a path that starts and ends with "/" and holds printable ASCII without spaces, such as /keyage/`
		allowedBoundary = "want the ARN of an IAM managed policy, such as arn:aws:iam::123456789012:policy/Boundary"
	)
	long := "/" + strings.Repeat("a", 510) + "/" // 512 characters
	tests := []struct {
		name   string
		values map[string]string
		want   []string // every message, in order; none for valid settings
	}{
		{"no role settings", nil, nil},
		{"root path", map[string]string{"rolePath": "/"}, nil},
		{"nested path", map[string]string{"rolePath": "/keyage/team-a_1/"}, nil},
		{"512 characters", map[string]string{"rolePath": long}, nil},
		{"513 characters", map[string]string{"rolePath": long[:511] + "a/"}, []string{"rolePath: \"/" + strings.Repeat("a", 511) + "/\" is 513 characters long: want at most 512 characters"}},
		{"no leading slash", map[string]string{"rolePath": "keyage/"}, []string{`rolePath: "keyage/" is not an IAM path: ` + allowedPath}},
		{"no trailing slash", map[string]string{"rolePath": "/keyage"}, []string{`rolePath: "/keyage" is not an IAM path: ` + allowedPath}},
		{"two slashes", map[string]string{"rolePath": "//"}, []string{`rolePath: "//" is not an IAM path: ` + allowedPath}},
		{"a space", map[string]string{"rolePath": "/a b/"}, []string{`rolePath: "/a b/" is not an IAM path: ` + allowedPath}},
		{"not ASCII", map[string]string{"rolePath": "/ä/"}, []string{`rolePath: "/ä/" is not an IAM path: ` + allowedPath}},
		{"customer boundary", map[string]string{"rolePermissionsBoundary": "arn:aws:iam::123456789012:policy/org/Boundary"}, nil},
		{"AWS managed boundary", map[string]string{"rolePermissionsBoundary": "arn:aws:iam::aws:policy/PowerUserAccess"}, nil},
		{"boundary in the region's partition", map[string]string{"aws:region": "cn-north-1", "rolePermissionsBoundary": "arn:aws-cn:iam::123456789012:policy/B"}, nil},
		{"boundary not an ARN", map[string]string{"rolePermissionsBoundary": "Boundary"}, []string{`rolePermissionsBoundary: "Boundary" is not an IAM policy ARN: ` + allowedBoundary}},
		{"boundary a role", map[string]string{"rolePermissionsBoundary": "arn:aws:iam::123456789012:role/B"}, []string{`rolePermissionsBoundary: "arn:aws:iam::123456789012:role/B" is not an IAM policy ARN: ` + allowedBoundary}},
		{"boundary of another service", map[string]string{"rolePermissionsBoundary": "arn:aws:s3:::policy/B"}, []string{`rolePermissionsBoundary: "arn:aws:s3:::policy/B" is not an IAM policy ARN: ` + allowedBoundary}},
		{"boundary with a region", map[string]string{"rolePermissionsBoundary": "arn:aws:iam:eu-west-1:123456789012:policy/B"}, []string{`rolePermissionsBoundary: "arn:aws:iam:eu-west-1:123456789012:policy/B" is not an IAM policy ARN: ` + allowedBoundary}},
		{"boundary without a name", map[string]string{"rolePermissionsBoundary": "arn:aws:iam::123456789012:policy/"}, []string{`rolePermissionsBoundary: "arn:aws:iam::123456789012:policy/" is not an IAM policy ARN: ` + allowedBoundary}},
		{"boundary in another partition", map[string]string{"aws:region": "us-gov-west-1", "rolePermissionsBoundary": "arn:aws:iam::123456789012:policy/B"},
			[]string{`rolePermissionsBoundary: "arn:aws:iam::123456789012:policy/B" is in partition aws, but the stack's region us-gov-west-1 is in aws-us-gov: want an IAM policy ARN in partition aws-us-gov, such as arn:aws-us-gov:iam::123456789012:policy/Boundary`}},
		{"region", map[string]string{"aws:region": "eu-central-1"}, nil},
		{"region without its last dash", map[string]string{"aws:region": "eu-central1"}, []string{`aws:region: "eu-central1" is not a region name: want an AWS region name in lower case, such as eu-central-1 or us-gov-west-1`}},
		{"region in upper case", map[string]string{"aws:region": "EU-CENTRAL-1"}, []string{`aws:region: "EU-CENTRAL-1" is not a region name (they are lower case): want an AWS region name in lower case, such as eu-central-1 or us-gov-west-1`}},
		{"region empty", map[string]string{"aws:region": ""}, []string{`aws:region: "" is empty: want an AWS region name in lower case, such as eu-central-1 or us-gov-west-1, or no aws:region`}},
		{"misspelt namespace", map[string]string{"keyag:maxAgeDays": "30"}, []string{`keyag:maxAgeDays: 30 is in namespace "keyag", which nothing reads (did you mean keyage:maxAgeDays?): want keyage:maxAgeDays: keyage's settings live in the keyage namespace`}},
		{"namespace in upper case", map[string]string{"Keyage:maxAgeDays": "30"}, []string{`Keyage:maxAgeDays: 30 is in namespace "Keyage", which nothing reads (did you mean keyage:maxAgeDays?): want keyage:maxAgeDays: keyage's settings live in the keyage namespace`}},
		{"other namespaces are other packages'", map[string]string{"aws:profile": "x", "pulumi:tags": "{}", "acme:maxAgeDays": "x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseConfig(namespace(tt.values))
			s := c.Settings()
			wantProblems(t, err, tt.want, "ParseConfig(%v)", tt.values)
			if err == nil && (s.RolePath != tt.values["rolePath"] || s.RolePermissionsBoundary != tt.values["rolePermissionsBoundary"] || s.Region != tt.values["aws:region"]) {
				t.Errorf("ParseConfig(%v) = path %q, boundary %q, region %q; want the values given", tt.values, s.RolePath, s.RolePermissionsBoundary, s.Region)
			}
		})
	}
}
