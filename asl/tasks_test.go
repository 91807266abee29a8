package asl

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSDKIAMAction(t *testing.T) {
	tests := []struct{ service, action, want string }{
		{"iam", "listAccessKeys", "iam:ListAccessKeys"},
		{"iam", "listUsers", "iam:ListUsers"},
		{"sfn", "startExecution", "states:StartExecution"},
		{"cloudwatchlogs", "putLogEvents", "logs:PutLogEvents"},
		{"eventbridge", "putEvents", "events:PutEvents"},
		{"sns", "publish", "sns:Publish"},
		{"sqs", "sendMessage.waitForTaskToken", "sqs:SendMessage"},
		{"s3", "getObject", "s3:GetObject"},
		{"s3", "listObjectsV2", "s3:ListBucket"},
		{"s3", "headObject", "s3:GetObject"},
		{"dynamodb", "getItem", "dynamodb:GetItem"},
		{"lambda", "invoke", "lambda:InvokeFunction"},
		{"kms", "decrypt", "kms:Decrypt"},
		{"sts", "getCallerIdentity", "sts:GetCallerIdentity"},
		{"sesv2", "sendEmail", "ses:SendEmail"},
		{"cognitoidentityprovider", "adminGetUser", "cognito-idp:AdminGetUser"},
		{"ec2", "describeInstances", "ec2:DescribeInstances"},
	}
	for _, tc := range tests {
		if got := SDKIAMAction(tc.service, tc.action); got != tc.want {
			t.Errorf("SDKIAMAction(%q, %q) = %q, want %q", tc.service, tc.action, got, tc.want)
		}
	}
	if got := upperFirst(""); got != "" {
		t.Errorf("upperFirst(\"\") = %q, want \"\"", got)
	}
}

// TestTaskHelpers: each constructor builds its integration's Resource in the partition given
// and carries the one statement it needs.
func TestTaskHelpers(t *testing.T) {
	for _, partition := range []string{"aws", "aws-cn", "aws-us-gov"} {
		fn := "arn:" + partition + ":lambda:r-1:123456789012:function:f"
		topic := "arn:" + partition + ":sns:r-1:123456789012:t"
		tests := []struct {
			name     string
			task     *Task
			resource string
			want     PolicyStatement
		}{
			{"SDKTask", SDKTask(partition, "iam", "listAccessKeys"), "aws-sdk:iam:listAccessKeys",
				PolicyStatement{Effect: "Allow", Action: []string{"iam:ListAccessKeys"}, Resource: []string{"*"}}},
			{"LambdaInvokeTask", LambdaInvokeTask(partition, fn), "lambda:invoke",
				PolicyStatement{Effect: "Allow", Action: []string{"lambda:InvokeFunction"}, Resource: []string{fn, fn + ":*"}}},
			{"SNSPublishTask", SNSPublishTask(partition, topic), "sns:publish",
				PolicyStatement{Effect: "Allow", Action: []string{"sns:Publish"}, Resource: []string{topic}}},
		}
		for _, tc := range tests {
			if want := "arn:" + partition + ":states:::" + tc.resource; tc.task.Resource != want {
				t.Errorf("%s Resource = %q, want %q", tc.name, tc.task.Resource, want)
			}
			if want := []PolicyStatement{tc.want}; !reflect.DeepEqual(tc.task.Permissions, want) {
				t.Errorf("%s Permissions = %+v, want %+v", tc.name, tc.task.Permissions, want)
			}
		}
	}
}

func TestIAMStatements(t *testing.T) {
	m := everythingJSONPath()
	got := m.IAMStatements(testMachineARN)
	want := []PolicyStatement{
		// iam:ListUsers has no resource-level permissions; the listObjectsV2 reader's bucket
		// comes from a path. Both need "*", so they share a statement.
		{Effect: "Allow", Action: []string{"iam:ListUsers", "s3:ListBucket"}, Resource: []string{"*"}},
		{Effect: "Allow", Action: []string{"lambda:InvokeFunction"}, Resource: []string{testFunction, testFunction + ":*"}},
		{Effect: "Allow", Action: []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"}, Resource: []string{"arn:aws:s3:::keyage-results/runs/*"}},
		{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::keyage-input/users.csv"}},
		{Effect: "Allow", Action: []string{"sns:Publish"}, Resource: []string{testTopic}},
		// AWS's documented "execution:<name>:*" and the children's "execution:<name>/<label>:<id>".
		{Effect: "Allow", Action: []string{"states:DescribeExecution", "states:StopExecution"}, Resource: []string{
			"arn:aws:states:us-east-1:123456789012:execution:everything/*", "arn:aws:states:us-east-1:123456789012:execution:everything:*"}},
		{Effect: "Allow", Action: []string{"states:StartExecution"}, Resource: []string{testMachineARN}},
		{Effect: "Allow", Action: []string{"sts:AssumeRole"}, Resource: []string{testRole}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("IAMStatements:\ngot  %+v\nwant %+v", got, want)
	}
	if again := m.IAMStatements(testMachineARN); !reflect.DeepEqual(again, got) {
		t.Errorf("IAMStatements is not deterministic")
	}
}

func TestIAMStatementsPartitionAndMerge(t *testing.T) {
	const machine = "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m"
	keys := SDKTask("aws-cn", "iam", "listAccessKeys")
	keys.Permissions[0].Resource = []string{"arn:aws-cn:iam::123456789012:user/*"}
	lastUsed := SDKTask("aws-cn", "iam", "getAccessKeyLastUsed")
	lastUsed.Permissions[0].Resource = []string{"arn:aws-cn:iam::123456789012:user/*"}
	again := SDKTask("aws-cn", "iam", "listAccessKeys") // same action, other resource
	again.Permissions[0].Resource = []string{"arn:aws-cn:iam::123456789012:user/admins/*"}
	pub1 := SNSPublishTask("aws-cn", "arn:aws-cn:sns:cn-north-1:123456789012:a")
	pub2 := SNSPublishTask("aws-cn", "arn:aws-cn:sns:cn-north-1:123456789012:b")
	m := &StateMachine{StartAt: "Scan", States: States{
		"Scan": &Map{
			ItemReader: &ItemReader{
				Resource:   "arn:aws-cn:states:::s3:listObjectsV2",
				Parameters: map[string]any{"Bucket": "in"},
			},
			ResultWriter: &ResultWriter{Resource: "arn:aws-cn:states:::s3:putObject", Parameters: map[string]any{"Bucket.$": "$.b"}},
			ItemProcessor: &ItemProcessor{
				ProcessorConfig: &ProcessorConfig{Mode: ModeDistributed, ExecutionType: ExecutionExpress},
				Branch: Branch{StartAt: "Keys", States: States{
					"Keys": keys, "LastUsed": lastUsed, "Again": again, "Pub1": pub1, "Pub2": pub2,
				}},
			},
			Flow: Flow{End: true},
		},
	}}
	got := m.IAMStatements(machine)
	want := []PolicyStatement{
		{Effect: "Allow", Action: []string{"iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"}, Resource: []string{"arn:aws-cn:iam::123456789012:user/*"}},
		{Effect: "Allow", Action: []string{"iam:ListAccessKeys"}, Resource: []string{"arn:aws-cn:iam::123456789012:user/admins/*"}},
		{Effect: "Allow", Action: []string{"s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"}, Resource: []string{"*"}},
		{Effect: "Allow", Action: []string{"s3:ListBucket"}, Resource: []string{"arn:aws-cn:s3:::in"}},
		{Effect: "Allow", Action: []string{"sns:Publish"}, Resource: []string{"arn:aws-cn:sns:cn-north-1:123456789012:a", "arn:aws-cn:sns:cn-north-1:123456789012:b"}},
		{Effect: "Allow", Action: []string{"states:DescribeExecution", "states:StopExecution"}, Resource: []string{
			"arn:aws-cn:states:cn-north-1:123456789012:execution:m/*", "arn:aws-cn:states:cn-north-1:123456789012:execution:m:*"}},
		{Effect: "Allow", Action: []string{"states:StartExecution"}, Resource: []string{machine}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("IAMStatements:\ngot  %+v\nwant %+v", got, want)
	}
	for _, s := range got {
		for _, r := range s.Resource {
			if strings.HasPrefix(r, "arn:aws:") {
				t.Errorf("resource %q is not in the aws-cn partition", r)
			}
		}
	}
}

func TestIAMStatementsInlineOnly(t *testing.T) {
	m := &StateMachine{StartAt: "M", States: States{"M": &Map{
		ItemProcessor: &ItemProcessor{Branch: Branch{StartAt: "P", States: States{"P": &Pass{Flow: Flow{End: true}}}}},
		Flow:          Flow{End: true},
	}}}
	if got := m.IAMStatements("arn:aws:states:r:1:stateMachine:m"); len(got) != 0 {
		t.Errorf("an inline Map of Pass states needs no permissions, got %+v", got)
	}
	if got := arnPartition("not-an-arn"); got != "aws" {
		t.Errorf("arnPartition(not-an-arn) = %q, want aws", got)
	}
}

func TestIAMStatementsInferredForParsedTasks(t *testing.T) {
	m, err := Parse([]byte(`{
  "StartAt": "Sdk",
  "States": {
    "Sdk": {"Type": "Task", "Resource": "arn:aws-cn:states:::aws-sdk:iam:listUsers", "Next": "Invoke"},
    "Invoke": {"Type": "Task", "Resource": "arn:aws-cn:states:::lambda:invoke",
      "Parameters": {"FunctionName": "arn:aws-cn:lambda:cn-north-1:123456789012:function:check", "Payload.$": "$"}, "Next": "InvokeDynamic"},
    "InvokeDynamic": {"Type": "Task", "Resource": "arn:aws-cn:states:::lambda:invoke",
      "Parameters": {"FunctionName.$": "$.fn"}, "Next": "Legacy"},
    "Legacy": {"Type": "Task", "Resource": "arn:aws-cn:lambda:cn-north-1:123456789012:function:legacy", "Next": "Publish"},
    "Publish": {"Type": "Task", "Resource": "arn:aws-cn:states:::sns:publish",
      "Parameters": {"TopicArn": "arn:aws-cn:sns:cn-north-1:123456789012:t", "Message": "hi"}, "Next": "Activity"},
    "Activity": {"Type": "Task", "Resource": "arn:aws-cn:states:cn-north-1:123456789012:activity:a", "End": true}
  }
}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got := m.IAMStatements("arn:aws-cn:states:cn-north-1:123456789012:stateMachine:m")
	want := map[string][]string{
		"iam:ListUsers": {"*"},
		"lambda:InvokeFunction": {
			"*", // FunctionName.$: known only at run time
			"arn:aws-cn:lambda:cn-north-1:123456789012:function:check",
			"arn:aws-cn:lambda:cn-north-1:123456789012:function:check:*",
			"arn:aws-cn:lambda:cn-north-1:123456789012:function:legacy",
		},
		"sns:Publish": {"arn:aws-cn:sns:cn-north-1:123456789012:t"},
	}
	pairs := map[string][]string{}
	for _, s := range got {
		for _, a := range s.Action {
			pairs[a] = append(pairs[a], s.Resource...)
		}
	}
	for a := range pairs {
		slices.Sort(pairs[a])
	}
	if !reflect.DeepEqual(pairs, want) {
		t.Errorf("IAMStatements of a parsed definition:\ngot  %v\nwant %v", pairs, want)
	}
}

func TestIAMStatementsPreferExplicitPermissions(t *testing.T) {
	task := SDKTask("aws", "iam", "listAccessKeys")
	task.Permissions[0].Resource = []string{"arn:aws:iam::123456789012:user/*"}
	task.End = true
	m := &StateMachine{StartAt: "T", States: States{"T": task}}
	got := m.IAMStatements(testMachineARN)
	want := []PolicyStatement{{Effect: "Allow", Action: []string{"iam:ListAccessKeys"}, Resource: []string{"arn:aws:iam::123456789012:user/*"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want only the task's narrowed Permissions %+v", got, want)
	}
}
