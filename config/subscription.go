package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/keyage/keyage/internal/awsid"
)

// Protocols lists the SNS subscription protocols keyage accepts: every one SNS accepts except
// http, which would carry findings (user names, key IDs) unencrypted.
var Protocols = []string{"email", "email-json", "firehose", "https", "lambda", "sms", "sqs"}

// MessageAttributes are the SNS message attributes keyage's notifications carry (issue 3):
// an attribute filter policy on any other name would drop every message. Only an organization
// run's messages carry scope (digest_filter.go).
var MessageAttributes = []string{"account", "kinds", "scope", "severity"}

// Filter policy limits (SNS "Filter policy constraints").
const (
	MaxFilterPolicyKeys         = 5
	MaxFilterPolicyCombinations = 150
	MaxFilterPolicyBytes        = 256 * 1024
	filterPolicyNumberLimit     = 1e9
)

// Filter policy scopes.
const (
	ScopeMessageAttributes = "MessageAttributes"
	ScopeMessageBody       = "MessageBody"
)

// The resource part of the ARNs subscriptions name (after arn:partition:service:region:account:).
var (
	sqsQueue       = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}(\.fifo)?$`)
	lambdaFunction = regexp.MustCompile(`^function:[A-Za-z0-9_-]{1,64}(:(\$LATEST|[A-Za-z0-9_-]{1,128}))?$`)
	deliveryStream = regexp.MustCompile(`^deliverystream/[A-Za-z0-9_.-]{1,64}$`)
)

var e164 = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

// isRegionalARN reports whether s is the ARN of a regional resource of service (with a region
// and an account ID) whose resource part matches resource.
func isRegionalARN(s, service string, resource *regexp.Regexp) bool {
	a, ok := awsid.ParseRegional(s, service)
	return ok && resource.MatchString(a.Resource)
}

// isRoleARN reports whether s is an IAM role's ARN: IAM's have no region.
func isRoleARN(s string) bool {
	a, ok := awsid.Parse(s, "iam")
	if !ok || a.Region != "" || !awsid.IsAccountID(a.AccountID) {
		return false
	}
	// role/<path without its leading slash><name>: the name follows the last slash.
	rest, ok := strings.CutPrefix(a.Resource, "role/")
	i := strings.LastIndexByte(rest, '/')
	return ok && awsid.IsPath("/"+rest[:i+1]) && awsid.IsRoleName(rest[i+1:])
}

// subscriptionFields are the fields a subscription object may have, in the JSON's spelling.
var subscriptionFields = []string{"endpoint", "filterPolicy", "filterPolicyScope", "protocol", "rawMessageDelivery", "subscriptionRoleArn"}

// rawText shows a raw JSON value as a setting's value: a JSON string as its text (displayValue
// quotes it once), anything else as its JSON.
func rawText(r json.RawMessage) string {
	var s string
	if err := json.Unmarshal(r, &s); err == nil {
		return s
	}
	return string(r)
}

func decodeSubscriptions(p *problems, key, v string) []Subscription {
	const allowed = `a list of objects such as [{"protocol": "email", "endpoint": "security@example.com"}]`
	raws, ok := decodeObjects(p, key, v, allowed)
	if !ok {
		return nil
	}
	subs := make([]Subscription, len(raws))
	for i, raw := range raws {
		path := itemPath(key, i)
		if !nullItem(p, path, raw, "{protocol, endpoint, ...}") {
			subs[i] = decodeSubscription(p, path, raw)
		}
	}
	return subs
}

// decodeSubscription reads one subscription object: its fields' names and JSON types.
func decodeSubscription(p *problems, path string, raw map[string]json.RawMessage) Subscription {
	unknownFields(p, path, raw, subscriptionFields, "a subscription field")
	str := func(field string) string {
		r, ok := raw[field]
		if !ok {
			return ""
		}
		var v string
		if err := json.Unmarshal(r, &v); err != nil {
			p.add(path+"."+field, string(r), "is not a string", "a string")
		}
		return v
	}
	s := Subscription{
		Protocol:            str("protocol"),
		Endpoint:            str("endpoint"),
		FilterPolicyScope:   str("filterPolicyScope"),
		SubscriptionRoleARN: str("subscriptionRoleArn"),
	}
	if r, present := raw["rawMessageDelivery"]; present {
		if err := json.Unmarshal(r, &s.RawMessageDelivery); err != nil {
			p.add(path+".rawMessageDelivery", rawText(r), "is not a boolean", "true or false")
		}
	}
	if fp, present := raw["filterPolicy"]; present {
		policy := []byte(fp)
		// Accept the policy as an object or as JSON text in a string, as the SNS API takes it.
		var text string
		if json.Unmarshal(fp, &text) == nil {
			policy = []byte(text)
		}
		s.FilterPolicy = compactJSON(policy)
	}
	return s
}

// validateSubscriptions checks a list of subscriptions (key is subscriptions or
// alarmSubscriptions; alarm notifications carry no message attributes).
func validateSubscriptions(p *problems, key string, subs []Subscription) {
	if len(subs) > MaxSubscriptions {
		p.add(key, fmt.Sprintf("[%d subscriptions]", len(subs)), fmt.Sprintf("has %d subscriptions", len(subs)), fmt.Sprintf("at most %d", MaxSubscriptions))
	}
	seen := map[string]int{}
	for i, s := range subs {
		path := fmt.Sprintf("%s[%d]", key, i)
		validateSubscription(p, path, s, key == "alarmSubscriptions")
		id := s.Protocol + " " + s.Endpoint
		if j, dup := seen[id]; dup && s.Protocol != "" {
			p.add(path+".endpoint", s.Endpoint, fmt.Sprintf("repeats %s[%d] (same protocol and endpoint)", key, j), "each endpoint once per protocol")
		} else {
			seen[id] = i
		}
	}
}

func validateSubscription(p *problems, path string, s Subscription, alarms bool) {
	proto := s.Protocol
	switch {
	case proto == "":
		p.add(path+".protocol", "", problemMissing, "one of "+strings.Join(Protocols, ", "))
	case proto == "http":
		p.add(path+".protocol", proto, "is not allowed: it sends findings unencrypted", "https (or another of "+strings.Join(Protocols, ", ")+")")
	case proto == "application":
		p.add(path+".protocol", proto, "is not supported: mobile push payloads are limited to about 4 KB and need per-platform bodies, which keyage's messages are not",
			"one of "+strings.Join(Protocols, ", ")+" (forward to a push service from an sqs or lambda subscriber)")
	case !slices.Contains(Protocols, proto):
		p.add(path+".protocol", proto, "is not an SNS protocol", "one of "+strings.Join(Protocols, ", "))
	}

	if s.Endpoint == "" {
		p.add(path+".endpoint", "", problemMissing, "the address, URL, ARN or phone number the protocol delivers to")
	} else if problem, allowed := checkEndpoint(proto, s.Endpoint); problem != "" {
		p.add(path+".endpoint", s.Endpoint, problem, allowed)
	}

	if s.RawMessageDelivery && slices.Contains(Protocols, proto) && !slices.Contains([]string{"firehose", "https", "sqs"}, proto) {
		p.add(path+".rawMessageDelivery", "true", "is not supported for protocol "+proto, "false, or protocol sqs, https or firehose")
	}

	switch role := s.SubscriptionRoleARN; {
	case proto == "firehose" && role == "":
		p.add(path+".subscriptionRoleArn", "", problemMissing, "the ARN of the IAM role SNS assumes to write to the delivery stream (protocol firehose needs one)")
	case proto == "firehose" && !isRoleARN(role):
		p.add(path+".subscriptionRoleArn", role, "is not an IAM role ARN", "arn:aws:iam::123456789012:role/NAME")
	case proto != "firehose" && role != "":
		p.add(path+".subscriptionRoleArn", role, "is only used by protocol firehose", "no subscriptionRoleArn for protocol "+proto)
	}

	scope, validScope := s.FilterPolicyScope, true
	if scope != "" && scope != ScopeMessageAttributes && scope != ScopeMessageBody {
		p.add(path+".filterPolicyScope", scope, "is not a filter policy scope", "MessageAttributes or MessageBody")
		validScope = false
	}
	switch {
	case s.FilterPolicy != "":
		if scope == "" || !validScope {
			scope = ScopeMessageAttributes
		}
		if problem, allowed := checkFilterPolicy([]byte(s.FilterPolicy), scope, alarms); problem != "" {
			p.add(path+".filterPolicy", s.FilterPolicy, problem, allowed)
		}
	case scope != "" && validScope:
		p.add(path+".filterPolicyScope", scope, "has no filterPolicy to scope", "a filterPolicy, or no filterPolicyScope")
	}
}

// checkEndpoint returns what is wrong with an endpoint for a protocol ("" when nothing is).
func checkEndpoint(proto, endpoint string) (problem, allowed string) {
	switch proto {
	case "email", "email-json":
		addr, err := mail.ParseAddress(endpoint)
		if err != nil || addr.Address != endpoint || addr.Name != "" || !strings.Contains(endpoint[strings.LastIndex(endpoint, "@")+1:], ".") {
			return "is not an email address", "an address such as security@example.com, without a display name"
		}
	case "https":
		u, err := url.Parse(endpoint)
		switch {
		case err == nil && strings.EqualFold(u.Scheme, "http"):
			return "is an http URL, which sends findings unencrypted", "an https:// URL"
		case err != nil || u.Scheme != "https" || u.Hostname() == "" || u.Opaque != "":
			return "is not an https URL", "an https:// URL such as https://hooks.example.com/keyage"
		}
	case "sqs":
		if !isRegionalARN(endpoint, "sqs", sqsQueue) {
			return "is not an SQS queue ARN", "arn:aws:sqs:REGION:ACCOUNT:QUEUE"
		}
	case "lambda":
		if !isRegionalARN(endpoint, "lambda", lambdaFunction) {
			return "is not a Lambda function ARN", "arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]"
		}
	case "firehose":
		if !isRegionalARN(endpoint, "firehose", deliveryStream) {
			return "is not a Firehose delivery stream ARN", "arn:aws:firehose:REGION:ACCOUNT:deliverystream/NAME"
		}
	case "sms":
		if !e164.MatchString(endpoint) {
			return "is not an E.164 phone number", "+ and 2 to 15 digits, such as +14155550100"
		}
	}
	return "", ""
}

// filterOperators are the operators SNS filter policies accept inside a value list.
var filterOperators = []string{"anything-but", "cidr", "equals-ignore-case", "exists", "numeric", "prefix", "suffix", "wildcard"}

// filterCheck walks one filter policy, counting keys and value combinations.
type filterCheck struct {
	body    bool            // scope MessageBody: nested objects allowed
	keys    map[string]bool // leaf key paths
	problem string          // the first problem found
}

// checkFilterPolicy validates a filter policy per SNS's rules and returns the first problem.
func checkFilterPolicy(policy []byte, scope string, alarms bool) (problem, allowed string) {
	const shape = "a JSON object whose keys map to lists of values or operators, such as {\"severity\": [\"stale\"]}"
	if len(policy) > MaxFilterPolicyBytes {
		return fmt.Sprintf("is %d bytes long", len(policy)), fmt.Sprintf("at most %d bytes", MaxFilterPolicyBytes)
	}
	var doc any
	if err := decodeJSON(string(policy), &doc); err != nil {
		return "is not valid JSON (" + err.Error() + ")", shape
	}
	obj, ok := doc.(map[string]any)
	if !ok || len(obj) == 0 {
		return "is not a non-empty JSON object", shape
	}
	c := &filterCheck{body: scope == ScopeMessageBody, keys: map[string]bool{}}
	combos := c.object(obj, "")
	if c.problem != "" {
		return c.problem, shape
	}
	if len(c.keys) > MaxFilterPolicyKeys {
		return fmt.Sprintf("has %d keys", len(c.keys)), fmt.Sprintf("at most %d keys", MaxFilterPolicyKeys)
	}
	if combos > MaxFilterPolicyCombinations {
		return fmt.Sprintf("has %d value combinations", combos), fmt.Sprintf("at most %d (the product of the lengths of its value lists)", MaxFilterPolicyCombinations)
	}
	if !c.body {
		for _, k := range slices.Sorted(maps.Keys(c.keys)) {
			switch {
			case alarms:
				return "filters on message attributes, which alarm notifications never carry, so it would drop every alarm",
					"no filterPolicy, or filterPolicyScope MessageBody"
			case !slices.Contains(MessageAttributes, k):
				return fmt.Sprintf("filters on attribute %q, which keyage's messages never carry, so it would drop every message", k),
					"attributes " + strings.Join(MessageAttributes, ", ")
			}
		}
	}
	return "", ""
}

// object checks an object of the policy and returns its number of value combinations.
func (c *filterCheck) object(obj map[string]any, prefix string) int {
	combos := 1
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		path := prefix + k
		switch v := obj[k].(type) {
		case []any:
			if k == "$or" {
				sum := 0
				for _, alt := range v {
					o, ok := alt.(map[string]any)
					if !ok || len(o) == 0 {
						c.fail(`"$or" must list objects`)
						return combos
					}
					sum += c.object(o, prefix)
				}
				if len(v) < 2 {
					c.fail(`"$or" must list at least two objects`)
				}
				combos = capMul(combos, sum)
				continue
			}
			if len(v) == 0 {
				c.fail(fmt.Sprintf("has an empty value list at %q", path))
				return combos
			}
			for _, item := range v {
				c.value(path, item)
			}
			c.keys[path] = true
			combos = capMul(combos, len(v))
		case map[string]any:
			if !c.body {
				c.fail(fmt.Sprintf("nests an object at %q, which attribute filtering (MessageAttributes) does not accept", path))
				return combos
			}
			if len(v) == 0 {
				c.fail(fmt.Sprintf("has an empty object at %q", path))
				return combos
			}
			combos = capMul(combos, c.object(v, path+"."))
		default:
			c.fail(fmt.Sprintf("maps %q to a single value instead of a list", path))
			return combos
		}
	}
	return combos
}

// value checks one entry of a value list: a string, number, boolean, null or an operator.
func (c *filterCheck) value(path string, item any) {
	switch v := item.(type) {
	case string, bool, nil:
	case json.Number:
		if f, err := v.Float64(); err != nil || f < -filterPolicyNumberLimit || f > filterPolicyNumberLimit {
			c.fail(fmt.Sprintf("has number %s at %q outside -1e9..1e9", v, path))
		}
	case map[string]any:
		if len(v) != 1 {
			c.fail(fmt.Sprintf("has an operator object with %d keys at %q (want exactly one)", len(v), path))
			return
		}
		for op, arg := range v {
			if !slices.Contains(filterOperators, op) {
				c.fail(fmt.Sprintf("has unknown operator %q at %q (want one of %s)", op, path, strings.Join(filterOperators, ", ")))
				return
			}
			c.operator(path, op, arg)
		}
	default:
		c.fail(fmt.Sprintf("has a nested list at %q", path))
	}
}

func (c *filterCheck) operator(path, op string, arg any) {
	switch op {
	case "exists":
		if _, ok := arg.(bool); !ok {
			c.fail(fmt.Sprintf(`"exists" at %q takes true or false`, path))
		}
	case "numeric":
		args, ok := arg.([]any)
		if !ok || (len(args) != 2 && len(args) != 4) {
			c.fail(fmt.Sprintf(`"numeric" at %q takes [op, number] or [op, number, op, number]`, path))
			return
		}
		for i := 0; i < len(args); i += 2 {
			cmp, _ := args[i].(string)
			if !slices.Contains([]string{"=", "<", "<=", ">", ">="}, cmp) {
				c.fail(fmt.Sprintf(`"numeric" at %q has comparison %v (want =, <, <=, > or >=)`, path, args[i]))
				return
			}
			c.value(path, args[i+1])
			if _, isNum := args[i+1].(json.Number); !isNum {
				c.fail(fmt.Sprintf(`"numeric" at %q compares with %v, not a number`, path, args[i+1]))
				return
			}
		}
	case "prefix", "suffix", "equals-ignore-case", "cidr", "wildcard":
		switch a := arg.(type) {
		case string:
			if a == "" && op != "equals-ignore-case" {
				c.fail(fmt.Sprintf("%q at %q is empty", op, path))
			}
		case map[string]any:
			if _, ok := a["equals-ignore-case"].(string); !ok || len(a) != 1 || (op != "prefix" && op != "suffix") {
				c.fail(fmt.Sprintf("%q at %q takes a string", op, path))
			}
		default:
			c.fail(fmt.Sprintf("%q at %q takes a string", op, path))
		}
	case "anything-but":
		switch a := arg.(type) {
		case string, json.Number:
		case []any:
			if len(a) == 0 {
				c.fail(fmt.Sprintf(`"anything-but" at %q has an empty list`, path))
			}
		case map[string]any:
			for k := range a {
				if !slices.Contains([]string{"prefix", "suffix", "equals-ignore-case", "wildcard"}, k) {
					c.fail(fmt.Sprintf(`"anything-but" at %q has unknown operator %q`, path, k))
				}
			}
		default:
			c.fail(fmt.Sprintf(`"anything-but" at %q takes a value, a list or an operator`, path))
		}
	}
}

func (c *filterCheck) fail(problem string) {
	if c.problem == "" {
		c.problem = problem
	}
}

// capMul multiplies combination counts without overflowing: anything over the limit is too many.
func capMul(a, b int) int {
	if a > 1<<20 || b > 1<<20 {
		return 1 << 21
	}
	return min(a*b, 1<<21)
}
