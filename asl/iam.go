package asl

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// IAMStatements returns the IAM statements the state machine's role needs for this definition,
// so the role cannot drift from it: every task's Permissions in every nested graph (for a task
// without Permissions, such as one from Parse, what its Resource implies: see
// inferredPermissions); sts:AssumeRole
// on each literal Credentials.RoleArn; and, when any Map is DISTRIBUTED, states:StartExecution
// on machineARN plus states:DescribeExecution and states:StopExecution on its executions (see
// executionARNPatterns), and the S3 access its ItemReader and ResultWriter need. A role reached through a RoleArn.$ path is not known
// statically: add a statement for it to the task's Permissions.
//
// Statements are merged exactly (same resources: actions united; then same actions: resources
// united), actions and resources are sorted, and the statements come in a fixed order, so the
// result is deterministic.
func (m *StateMachine) IAMStatements(machineARN string) []PolicyStatement {
	partition := arnPartition(machineARN)
	var stmts []PolicyStatement
	distributed := false
	m.eachState(func(_ string, st State) {
		switch s := st.(type) {
		case *Task:
			if len(s.Permissions) > 0 {
				stmts = append(stmts, s.Permissions...)
			} else {
				stmts = append(stmts, inferredPermissions(s)...)
			}
			if s.Credentials != nil && s.Credentials.RoleArn != "" && !isExpression(s.Credentials.RoleArn) {
				stmts = append(stmts, allow([]string{"sts:AssumeRole"}, s.Credentials.RoleArn))
			}
		case *Map:
			if !s.IsDistributed() {
				return
			}
			distributed = true
			stmts = append(stmts, itemReaderStatements(partition, s.ItemReader)...)
			stmts = append(stmts, resultWriterStatements(partition, s.ResultWriter)...)
		}
	})
	if distributed {
		stmts = append(stmts,
			allow([]string{"states:StartExecution"}, machineARN),
			allow([]string{"states:DescribeExecution", "states:StopExecution"}, executionARNPatterns(machineARN)...),
		)
	}
	return mergeStatements(stmts)
}

// inferredPermissions derives a task's statements from its Resource when the task carries no
// Permissions (a parsed definition, or a Task built by hand): an aws-sdk integration needs its
// IAM action (on "*": the resource it acts on is in the call's parameters); lambda:invoke needs
// lambda:InvokeFunction on a literal FunctionName ARN (and its versions and aliases), sns:publish
// sns:Publish on a literal TopicArn, each on "*" when the target is only known at run time; a
// function ARN as Resource needs lambda:InvokeFunction on that function. Other integrations
// yield nothing: give such tasks Permissions.
func inferredPermissions(t *Task) []PolicyStatement {
	res := strings.TrimSuffix(strings.TrimSuffix(t.Resource, ".waitForTaskToken"), ".sync")
	a, err := arn.Parse(res)
	if err != nil {
		return nil
	}
	tmpl := readerWriterTemplate(t.Parameters, t.Arguments)
	call := strings.Split(a.Resource, ":")
	switch {
	case a.Service == "states" && len(call) == 3 && call[0] == "aws-sdk":
		return []PolicyStatement{allow([]string{SDKIAMAction(call[1], call[2])}, "*")}
	case a.Service == "states" && a.Resource == "lambda:invoke":
		if fn, ok := literalString(tmpl, "FunctionName"); ok && strings.HasPrefix(fn, "arn:") {
			return []PolicyStatement{allow([]string{"lambda:InvokeFunction"}, fn, fn+":*")}
		}
		return []PolicyStatement{allow([]string{"lambda:InvokeFunction"}, "*")}
	case a.Service == "states" && a.Resource == "sns:publish":
		if topic, ok := literalString(tmpl, "TopicArn"); ok {
			return []PolicyStatement{allow([]string{"sns:Publish"}, topic)}
		}
		return []PolicyStatement{allow([]string{"sns:Publish"}, "*")}
	case a.Service == "lambda" && strings.HasPrefix(a.Resource, "function:"):
		return []PolicyStatement{allow([]string{"lambda:InvokeFunction"}, res)}
	}
	return nil
}

// allow is one Allow statement.
func allow(actions []string, resources ...string) PolicyStatement {
	return PolicyStatement{Effect: "Allow", Action: actions, Resource: resources}
}

// arnPartition returns the partition field of an ARN, "aws" when it has none or is no ARN.
func arnPartition(s string) string {
	if a, err := arn.Parse(s); err == nil && a.Partition != "" {
		return a.Partition
	}
	return "aws"
}

// s3ARN is the ARN of an S3 bucket, or of objects in it when resource has a "/key" part: S3's
// ARNs have neither region nor account.
func s3ARN(partition, resource string) string {
	return arn.ARN{Partition: partition, Service: "s3", Resource: resource}.String()
}

// executionARNPatterns turns a state machine ARN into the patterns of the execution ARNs a
// Distributed Map needs to describe and stop: "execution:<name>:*", what AWS's page "IAM
// policies for using Distributed Map states" grants
// (https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html), and
// "execution:<name>/*", the child executions' own ARNs ("<name>/<label>:<id>"), which the
// first pattern does not match.
func executionARNPatterns(machineARN string) []string {
	executions := strings.Replace(machineARN, ":stateMachine:", ":execution:", 1)
	return []string{executions + ":*", executions + "/*"}
}

// literalString returns the value of key in a payload template when it is a literal string
// (not a JSONPath ".$" key, not a JSONata expression).
func literalString(template any, key string) (string, bool) {
	obj, ok := template.(map[string]any)
	if !ok {
		return "", false
	}
	s, ok := obj[key].(string)
	if !ok || isExpression(s) {
		return "", false
	}
	return s, true
}

func readerWriterTemplate(params, args any) any {
	if params != nil {
		return params
	}
	return args
}

func itemReaderStatements(partition string, r *ItemReader) []PolicyStatement {
	if r == nil {
		return nil
	}
	tmpl := readerWriterTemplate(r.Parameters, r.Arguments)
	bucket, hasBucket := literalString(tmpl, "Bucket")
	switch {
	case strings.HasSuffix(r.Resource, ":s3:listObjectsV2"):
		res := "*"
		if hasBucket {
			res = s3ARN(partition, bucket)
		}
		return []PolicyStatement{allow([]string{"s3:ListBucket"}, res)}
	case strings.HasSuffix(r.Resource, ":s3:getObject"):
		res := "*"
		if hasBucket {
			key, hasKey := literalString(tmpl, "Key")
			if !hasKey {
				key = "*"
			}
			res = s3ARN(partition, bucket+"/"+key)
		}
		return []PolicyStatement{allow([]string{"s3:GetObject"}, res)}
	}
	return nil
}

func resultWriterStatements(partition string, w *ResultWriter) []PolicyStatement {
	if w == nil || w.Resource == "" {
		return nil
	}
	tmpl := readerWriterTemplate(w.Parameters, w.Arguments)
	res := "*"
	if bucket, ok := literalString(tmpl, "Bucket"); ok {
		prefix, _ := literalString(tmpl, "Prefix")
		res = s3ARN(partition, bucket+"/"+prefix+"*")
	}
	return []PolicyStatement{allow([]string{
		"s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject",
	}, res)}
}

// mergeStatements unites statements exactly: first those with the same Sid, Effect and
// resources (their actions united), then those with the same Sid, Effect and actions (their
// resources united). Either step grants exactly the same set of (action, resource) pairs.
func mergeStatements(in []PolicyStatement) []PolicyStatement {
	norm := make([]PolicyStatement, 0, len(in))
	for _, s := range in {
		norm = append(norm, PolicyStatement{
			Sid: s.Sid, Effect: s.Effect,
			Action: sortedUnique(s.Action), Resource: sortedUnique(s.Resource),
		})
	}
	byResource := groupStatements(norm, func(s PolicyStatement) string { return strings.Join(s.Resource, "\x00") },
		func(dst *PolicyStatement, src PolicyStatement) {
			dst.Action = sortedUnique(append(dst.Action, src.Action...))
		})
	byAction := groupStatements(byResource, func(s PolicyStatement) string { return strings.Join(s.Action, "\x00") },
		func(dst *PolicyStatement, src PolicyStatement) {
			dst.Resource = sortedUnique(append(dst.Resource, src.Resource...))
		})
	slices.SortFunc(byAction, func(a, b PolicyStatement) int {
		return strings.Compare(statementKey(a), statementKey(b))
	})
	return byAction
}

func statementKey(s PolicyStatement) string {
	return s.Sid + "\x01" + s.Effect + "\x01" + strings.Join(s.Action, "\x00") + "\x01" + strings.Join(s.Resource, "\x00")
}

func groupStatements(in []PolicyStatement, key func(PolicyStatement) string, merge func(*PolicyStatement, PolicyStatement)) []PolicyStatement {
	var out []PolicyStatement
	index := map[string]int{}
	for _, s := range in {
		k := s.Sid + "\x01" + s.Effect + "\x01" + key(s)
		if i, ok := index[k]; ok {
			merge(&out[i], s)
			continue
		}
		index[k] = len(out)
		out = append(out, s)
	}
	return out
}

func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}
