package asl

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// sdkServiceIAMPrefix maps the service names of the Step Functions aws-sdk integration
// (arn:<partition>:states:::aws-sdk:<service>:<action>) to IAM action prefixes where the two
// differ. A service not listed uses its own name as prefix, which holds for most services (iam,
// sns, sqs, s3, dynamodb, lambda, kms, sts, ec2, ecs, ssm, ...).
var sdkServiceIAMPrefix = map[string]string{
	"sfn":                      "states",
	"cloudwatchlogs":           "logs",
	"eventbridge":              "events",
	"cloudwatchevents":         "events",
	"sesv2":                    "ses",
	"elasticloadbalancingv2":   "elasticloadbalancing",
	"cognitoidentityprovider":  "cognito-idp",
	"cognitoidentity":          "cognito-identity",
	"emr":                      "elasticmapreduce",
	"emrcontainers":            "emr-containers",
	"emrserverless":            "emr-serverless",
	"apigatewayv2":             "apigateway",
	"apigatewaymanagementapi":  "execute-api",
	"applicationautoscaling":   "application-autoscaling",
	"costexplorer":             "ce",
	"databasemigration":        "dms",
	"elasticsearch":            "es",
	"opensearch":               "es",
	"lexmodelsv2":              "lex",
	"lexruntimev2":             "lex",
	"marketplacecatalog":       "aws-marketplace",
	"resourcegroupstaggingapi": "tag",
	"sagemakerruntime":         "sagemaker",
	"bedrockruntime":           "bedrock",
	"bedrockagentruntime":      "bedrock",
	"bedrockagent":             "bedrock",
	"iotdata":                  "iot",
	"kinesisanalyticsv2":       "kinesisanalytics",
	"mediastoredata":           "mediastore",
	"redshiftdata":             "redshift-data",
	"ssmincidents":             "ssm-incidents",
	"timestreamwrite":          "timestream",
	"timestreamquery":          "timestream",
}

// sdkActionIAMName maps "<service>:<Action>" SDK operations whose IAM action has another name.
var sdkActionIAMName = map[string]string{
	"s3:ListObjectsV2":       "ListBucket",
	"s3:ListObjects":         "ListBucket",
	"s3:HeadObject":          "GetObject",
	"s3:HeadBucket":          "ListBucket",
	"lambda:Invoke":          "InvokeFunction",
	"lambda:InvokeAsync":     "InvokeFunction",
	"s3:GetObjectAttributes": "GetObject",
}

// SDKIAMAction returns the IAM action ("iam:ListAccessKeys") that the aws-sdk integration call
// <service>:<action> ("iam", "listAccessKeys") needs.
func SDKIAMAction(service, action string) string {
	prefix, ok := sdkServiceIAMPrefix[service]
	if !ok {
		prefix = service
	}
	action = strings.TrimSuffix(action, ".waitForTaskToken")
	name := upperFirst(action)
	if alt, ok := sdkActionIAMName[prefix+":"+name]; ok {
		name = alt
	}
	return prefix + ":" + name
}

func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// SDKTask returns a Task calling <service>:<action> through the aws-sdk integration, with
// Resource arn:<partition>:states:::aws-sdk:<service>:<action> and one Allow statement for the
// IAM action it needs on Resource "*". Callers set Parameters (or Arguments) and narrow the
// statement's Resource where the action supports resource-level permissions.
func SDKTask(partition, service, action string) *Task {
	return &Task{
		Resource:    integrationARN(partition, "aws-sdk:"+service+":"+action),
		Permissions: []PolicyStatement{allow([]string{SDKIAMAction(service, action)}, "*")},
	}
}

// LambdaInvokeTask returns a Task invoking a function through the optimized integration
// (arn:<partition>:states:::lambda:invoke), allowed to call lambda:InvokeFunction on the
// function and on its versions and aliases. Callers set Parameters (FunctionName, Payload).
func LambdaInvokeTask(partition, functionARN string) *Task {
	return &Task{
		Resource:    integrationARN(partition, "lambda:invoke"),
		Permissions: []PolicyStatement{allow([]string{"lambda:InvokeFunction"}, functionARN, functionARN+":*")},
	}
}

// SNSPublishTask returns a Task publishing through the optimized integration
// (arn:<partition>:states:::sns:publish), allowed to call sns:Publish on the topic only.
// Callers set Parameters (TopicArn, Message, ...).
func SNSPublishTask(partition, topicARN string) *Task {
	return &Task{
		Resource:    integrationARN(partition, "sns:publish"),
		Permissions: []PolicyStatement{allow([]string{"sns:Publish"}, topicARN)},
	}
}

// integrationARN is the Resource of a service integration: arn:<partition>:states:::<integration>.
func integrationARN(partition, integration string) string {
	return arn.ARN{Partition: partition, Service: "states", Resource: integration}.String()
}
