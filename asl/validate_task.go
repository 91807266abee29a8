package asl

import (
	"slices"
	"strconv"
	"strings"
)

// Validation of Task states and of the Retry and Catch lists of Task, Parallel and Map.

func (c stateCtx) task(s *Task) {
	c.io(s.IO)
	c.results(s.Parameters, s.Arguments, s.ResultSelector, s.ResultPath)
	switch {
	case s.Resource == "":
		c.errf("Resource", "missing; want an ARN")
	case !strings.HasPrefix(s.Resource, "arn:"):
		c.errf("Resource", "%q is not an ARN", s.Resource)
	case strings.Contains(s.Resource, ":aws-sdk:") && strings.Contains(s.Resource, ".sync"):
		c.errf("Resource", "%q: aws-sdk integrations do not support the .sync pattern", s.Resource)
	case c.express > 0 && (strings.HasSuffix(s.Resource, ".waitForTaskToken") || strings.Contains(s.Resource, ".sync")):
		c.errf("Resource", "%q: Express child workflows support neither .sync nor .waitForTaskToken", s.Resource)
	}
	number(c, "TimeoutSeconds", s.TimeoutSeconds, 1, MaxTimeoutSeconds)
	number(c, "HeartbeatSeconds", s.HeartbeatSeconds, 1, MaxTimeoutSeconds)
	if h, t := s.HeartbeatSeconds.N, s.TimeoutSeconds.N; h > 0 && t > 0 && h >= t {
		c.errf("HeartbeatSeconds", "%d must be less than TimeoutSeconds %d", h, t)
	}
	if cr := s.Credentials; cr != nil {
		switch {
		case cr.RoleArn == "" && cr.RoleArnPath == "":
			c.errf("Credentials", "want RoleArn or RoleArn.$")
		case cr.RoleArn != "" && cr.RoleArnPath != "":
			c.errf("Credentials", "RoleArn and RoleArn.$ are exclusive; set one")
		}
		if c.jsonPathOnly("Credentials.RoleArn.$", cr.RoleArnPath != "") {
			if err := checkPathOrIntrinsic(cr.RoleArnPath); err != nil {
				c.errf("Credentials.RoleArn.$", "%v", err)
			}
		}
		switch {
		case cr.RoleArn == "":
		case c.lang == JSONata && isExpression(cr.RoleArn):
		case !strings.HasPrefix(cr.RoleArn, "arn:"):
			c.errf("Credentials.RoleArn", "%q is not an ARN", cr.RoleArn)
		}
	}
	for i, p := range s.Permissions {
		field := "Permissions[" + strconv.Itoa(i) + "]"
		if p.Effect != "Allow" && p.Effect != "Deny" {
			c.errf(field+".Effect", "%q is not an IAM effect; want \"Allow\" or \"Deny\"", p.Effect)
		}
		if len(p.Action) == 0 || slices.Contains(p.Action, "") {
			c.errf(field+".Action", "want one or more non-empty IAM actions")
		}
		if len(p.Resource) == 0 || slices.Contains(p.Resource, "") {
			c.errf(field+".Resource", "want one or more non-empty resources")
		}
		// Permissions are statements of the role's identity policy, which names no principal;
		// IAMStatements merges them by effect, actions and resources, so it has no way to keep
		// a condition on one of them.
		if p.Principal != nil {
			c.errf(field+".Principal", "%+v: want none (a role's identity policy names no principal)", *p.Principal)
		}
		if p.Condition != nil {
			c.errf(field+".Condition", "%v: want none (IAMStatements merges statements by actions and resources and would drop it)", p.Condition)
		}
	}
	c.retry(s.Retry)
	c.catch(s.Catch)
}

func (c stateCtx) resourceARN(field, arn string, required bool) {
	switch {
	case arn == "" && required:
		c.errf(field, "missing; want an ARN")
	case arn != "" && !strings.HasPrefix(arn, "arn:"):
		c.errf(field, "%q is not an ARN", arn)
	}
}

func (c stateCtx) retry(rs []Retrier) {
	for i, r := range rs {
		field := "Retry[" + strconv.Itoa(i) + "]"
		c.errorEquals(field, r.ErrorEquals, i == len(rs)-1, "retrier")
		c.bound(c.at(field+".IntervalSeconds"), r.IntervalSeconds, 1, MaxTimeoutSeconds)
		if r.MaxAttempts != nil && (*r.MaxAttempts < 0 || *r.MaxAttempts > MaxTimeoutSeconds) {
			c.errf(field+".MaxAttempts", "%d is outside 0..%d", *r.MaxAttempts, MaxTimeoutSeconds)
		}
		if r.BackoffRate != 0 && r.BackoffRate < 1 {
			c.errf(field+".BackoffRate", "%g is less than 1", r.BackoffRate)
		}
		c.bound(c.at(field+".MaxDelaySeconds"), r.MaxDelaySeconds, 1, MaxRetryDelaySeconds)
		switch r.JitterStrategy {
		case "", JitterFull, JitterNone:
		default:
			c.errf(field+".JitterStrategy", "%q is unknown; want %q or %q", r.JitterStrategy, JitterFull, JitterNone)
		}
	}
}

func (c stateCtx) catch(cs []Catcher) {
	for i, k := range cs {
		field := "Catch[" + strconv.Itoa(i) + "]"
		c.errorEquals(field, k.ErrorEquals, i == len(cs)-1, "catcher")
		if k.Next == "" {
			c.errf(field+".Next", "missing; want the state to move to")
		}
		c.target(field+".Next", k.Next)
		c.resultPath(field+".ResultPath", k.ResultPath)
		if c.jsonataOnly(field+".Output", k.Output != nil) {
			c.template(field+".Output", k.Output)
		}
		if k.Assign != nil {
			c.assign(field+".Assign", k.Assign)
		}
	}
}

func (c stateCtx) errorEquals(field string, names []string, last bool, what string) {
	if len(names) == 0 {
		c.errf(field+".ErrorEquals", "empty; want at least one error name")
	}
	for _, n := range names {
		if n == "" {
			c.errf(field+".ErrorEquals", "has an empty error name")
		}
		if n != ErrAll {
			continue
		}
		if len(names) > 1 {
			c.errf(field+".ErrorEquals", "%q must appear alone", ErrAll)
		}
		if !last {
			c.errf(field, "a %s matching %q must be the last", what, ErrAll)
		}
	}
}
