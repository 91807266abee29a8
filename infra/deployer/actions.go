package deployer

// Access is what the AWS provider calls to create, read, update and delete one kind of
// resource: the IAM actions each operation needs. They follow the calls of the Terraform AWS
// provider that pulumi-aws v6 wraps (create also reads the resource back; delete may list what
// must go first); a first real deploy confirms them (an AccessDenied in CloudTrail names what
// is missing). Tagging on create is listed under Create: every keyage resource carries tags.
type Access struct {
	Create, Read, Update, Delete []string
}

// all returns every action of the four operations.
func (a Access) all() []string {
	var out []string
	for _, list := range [][]string{a.Create, a.Read, a.Update, a.Delete} {
		out = append(out, list...)
	}
	return out
}

// unscoped are the actions IAM authorizes on Resource "*" only (AWS's service authorization
// reference lists no resource type for them; tests/node/iam-scope.mjs checks it).
var unscoped = map[string]bool{
	"kms:CreateKey":          true,
	"kms:ListAliases":        true,
	"logs:DescribeLogGroups": true,
	// A StackSet's name is in its ARN with an ID StackSets picks, and CreateStackSet is
	// authorized on no resource type; reading the delegated administrators is how the provider
	// checks callAs DELEGATED_ADMIN (pulumi-aws's StackSet page).
	"cloudformation:CreateStackSet":             true,
	"organizations:ListDelegatedAdministrators": true,
	// Amazon Q Developer in chat applications authorizes creating and reading channel
	// configurations, and listing their tags, on "*" only: a stack with chat channels gets them
	// on "*"; changing and deleting configurations stay on the stack's own.
	"chatbot:CreateSlackChannelConfiguration":          true,
	"chatbot:DescribeSlackChannelConfigurations":       true,
	"chatbot:CreateMicrosoftTeamsChannelConfiguration": true,
	"chatbot:GetMicrosoftTeamsChannelConfiguration":    true,
	"chatbot:ListTagsForResource":                      true,
}

// passRole is the action that lets a resource be created or updated with a role: Lambda,
// Step Functions, EventBridge Scheduler and SNS (a Firehose subscription's role) check it
// against the role passed.
const passRole = "iam:PassRole"

// policyAttribute is the access to a resource that is its parent's Policy attribute (a topic's
// or a queue's): the provider sets it and reads it back, and deleting it sets the attribute
// again, to the parent's default.
func policyAttribute(set, get string) Access {
	return Access{Create: []string{set, get}, Read: []string{get}, Update: []string{set}, Delete: []string{set}}
}

// Table maps each pulumi-aws resource type keyage registers to the actions the provider needs
// for it. The actions act on the resource's own ARN (see arns), except the unscoped ones and
// iam:PassRole, which acts on the role the resource is given.
var Table = map[string]Access{
	"aws:iam/role:Role": {
		Create: []string{"iam:CreateRole", "iam:TagRole", "iam:GetRole"},
		Read:   []string{"iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"},
		// The provider sets or removes the permissions boundary when rolePermissionsBoundary
		// changes on a deployed stack.
		Update: []string{"iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
			"iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"},
		Delete: []string{"iam:DeleteRole", "iam:ListInstanceProfilesForRole", "iam:ListRolePolicies",
			"iam:DeleteRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy"},
	},
	"aws:iam/policy:Policy": { // a customer managed policy (the chat guardrail)
		Create: []string{"iam:CreatePolicy", "iam:TagPolicy", "iam:GetPolicy", "iam:GetPolicyVersion"},
		Read:   []string{"iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags"},
		Update: []string{"iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:ListPolicyVersions", "iam:TagPolicy", "iam:UntagPolicy"},
		Delete: []string{"iam:DeletePolicy", "iam:ListPolicyVersions", "iam:DeletePolicyVersion"},
	},
	// Amazon Q Developer in chat applications' channel configurations; iam:PassRole on the
	// channel role, which they are given (IamRoleArn).
	"aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": {
		Create: []string{"chatbot:CreateSlackChannelConfiguration", "chatbot:TagResource", "chatbot:DescribeSlackChannelConfigurations", passRole},
		Read:   []string{"chatbot:DescribeSlackChannelConfigurations", "chatbot:ListTagsForResource"},
		Update: []string{"chatbot:UpdateSlackChannelConfiguration", "chatbot:TagResource", "chatbot:UntagResource", passRole},
		Delete: []string{"chatbot:DeleteSlackChannelConfiguration", "chatbot:DescribeSlackChannelConfigurations"},
	},
	"aws:chatbot/teamsChannelConfiguration:TeamsChannelConfiguration": {
		Create: []string{"chatbot:CreateMicrosoftTeamsChannelConfiguration", "chatbot:TagResource", "chatbot:GetMicrosoftTeamsChannelConfiguration", passRole},
		Read:   []string{"chatbot:GetMicrosoftTeamsChannelConfiguration", "chatbot:ListTagsForResource"},
		Update: []string{"chatbot:UpdateMicrosoftTeamsChannelConfiguration", "chatbot:TagResource", "chatbot:UntagResource", passRole},
		Delete: []string{"chatbot:DeleteMicrosoftTeamsChannelConfiguration", "chatbot:GetMicrosoftTeamsChannelConfiguration"},
	},
	"aws:iam/rolePolicy:RolePolicy": { // an inline policy: the actions act on its role
		Create: []string{"iam:PutRolePolicy", "iam:GetRolePolicy"},
		Read:   []string{"iam:GetRolePolicy"},
		Update: []string{"iam:PutRolePolicy"},
		Delete: []string{"iam:DeleteRolePolicy"},
	},
	"aws:kms/key:Key": {
		// CreateKey with tags needs kms:TagResource on every key of the account and region
		// (https://docs.aws.amazon.com/kms/latest/developerguide/manage-tags-api.html), which
		// the key/* ARN is; targets limits it, and every other key action, to the stack's
		// tags. Once the key exists, its policy lets the account's IAM policies (this one)
		// administer it.
		// kms:CreateGrant: DynamoDB creates a grant on the key, as the deployer, when it creates
		// the ledger table encrypted with it
		// (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
		Create: []string{"kms:CreateKey", "kms:TagResource", "kms:DescribeKey", "kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:CreateGrant"},
		Read: []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
			"kms:ListAliases"},
		Update: []string{"kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:UpdateKeyDescription",
			"kms:TagResource", "kms:UntagResource"},
		Delete: []string{"kms:ScheduleKeyDeletion"},
	},
	"aws:kms/alias:Alias": { // acts on the alias and on the key it points to
		Create: []string{"kms:CreateAlias", "kms:ListAliases"},
		Read:   []string{"kms:ListAliases"},
		Update: []string{"kms:UpdateAlias"},
		Delete: []string{"kms:DeleteAlias"},
	},
	"aws:sns/topic:Topic": {
		Create: []string{"sns:CreateTopic", "sns:TagResource", "sns:SetTopicAttributes", "sns:GetTopicAttributes"},
		Read:   []string{"sns:GetTopicAttributes", "sns:ListTagsForResource"},
		Update: []string{"sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"},
		Delete: []string{"sns:DeleteTopic"},
	},
	"aws:sns/topicPolicy:TopicPolicy": policyAttribute("sns:SetTopicAttributes", "sns:GetTopicAttributes"),
	// On the topic and its subscriptions; iam:PassRole on a Firehose subscription's role
	// (subscriptionRoleArn), which Subscribe and SetSubscriptionAttributes hand to SNS.
	"aws:sns/topicSubscription:TopicSubscription": {
		Create: []string{"sns:Subscribe", "sns:SetSubscriptionAttributes", "sns:GetSubscriptionAttributes", passRole},
		Read:   []string{"sns:GetSubscriptionAttributes"},
		Update: []string{"sns:SetSubscriptionAttributes", passRole},
		Delete: []string{"sns:Unsubscribe"},
	},
	"aws:sqs/queue:Queue": {
		Create: []string{"sqs:CreateQueue", "sqs:TagQueue", "sqs:GetQueueAttributes"},
		Read:   []string{"sqs:GetQueueAttributes", "sqs:ListQueueTags", "sqs:GetQueueUrl"},
		Update: []string{"sqs:SetQueueAttributes", "sqs:TagQueue", "sqs:UntagQueue"},
		Delete: []string{"sqs:DeleteQueue"},
	},
	"aws:sqs/queuePolicy:QueuePolicy": policyAttribute("sqs:SetQueueAttributes", "sqs:GetQueueAttributes"),
	"aws:cloudwatch/logGroup:LogGroup": {
		Create: []string{"logs:CreateLogGroup", "logs:TagResource", "logs:TagLogGroup", "logs:PutRetentionPolicy", "logs:DescribeLogGroups"},
		Read:   []string{"logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup"},
		Update: []string{"logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource"},
		Delete: []string{"logs:DeleteLogGroup"},
	},
	"aws:cloudwatch/metricAlarm:MetricAlarm": {
		Create: []string{"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:DescribeAlarms"},
		Read:   []string{"cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource"},
		Update: []string{"cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"},
		Delete: []string{"cloudwatch:DeleteAlarms"},
	},
	"aws:lambda/function:Function": {
		Create: []string{"lambda:CreateFunction", "lambda:TagResource", "lambda:GetFunction", passRole},
		Read: []string{"lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction",
			"lambda:GetFunctionRecursionConfig", "lambda:ListTags"},
		Update: []string{"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:TagResource",
			"lambda:UntagResource", passRole},
		Delete: []string{"lambda:DeleteFunction"},
	},
	"aws:sfn/stateMachine:StateMachine": {
		Create: []string{"states:CreateStateMachine", "states:TagResource", "states:DescribeStateMachine", passRole},
		Read:   []string{"states:DescribeStateMachine", "states:ListTagsForResource"},
		Update: []string{"states:UpdateStateMachine", "states:TagResource", "states:UntagResource", passRole},
		Delete: []string{"states:DeleteStateMachine", "states:DescribeStateMachine"},
	},
	"aws:scheduler/scheduleGroup:ScheduleGroup": {
		Create: []string{"scheduler:CreateScheduleGroup", "scheduler:TagResource", "scheduler:GetScheduleGroup"},
		Read:   []string{"scheduler:GetScheduleGroup", "scheduler:ListTagsForResource"},
		Update: []string{"scheduler:TagResource", "scheduler:UntagResource"},
		Delete: []string{"scheduler:DeleteScheduleGroup", "scheduler:GetScheduleGroup"},
	},
	// The member role's StackSet (memberStackSet), service-managed: the stack instances are
	// created through Organizations, by StackSets' own roles, not with this identity's.
	"aws:cloudformation/stackSet:StackSet": {
		Create: []string{"cloudformation:CreateStackSet", "cloudformation:DescribeStackSet", "organizations:ListDelegatedAdministrators"},
		Read:   []string{"cloudformation:DescribeStackSet", "organizations:ListDelegatedAdministrators"},
		Update: []string{"cloudformation:UpdateStackSet", "cloudformation:DescribeStackSetOperation", "cloudformation:TagResource",
			"cloudformation:UntagResource"},
		Delete: []string{"cloudformation:DeleteStackSet"},
	},
	// On the StackSet: its instances have no ARN of their own.
	"aws:cloudformation/stackSetInstance:StackSetInstance": {
		Create: []string{"cloudformation:CreateStackInstances", "cloudformation:DescribeStackSetOperation", "cloudformation:ListStackInstances"},
		Read:   []string{"cloudformation:ListStackInstances"},
		Update: []string{"cloudformation:UpdateStackInstances", "cloudformation:DescribeStackSetOperation"},
		Delete: []string{"cloudformation:DeleteStackInstances", "cloudformation:DescribeStackSetOperation"},
	},
	// The ledger (notify: changes): the provider sets TTL and point-in-time recovery after
	// CreateTable and reads them back.
	"aws:dynamodb/table:Table": {
		Create: []string{"dynamodb:CreateTable", "dynamodb:TagResource", "dynamodb:DescribeTable", "dynamodb:UpdateTimeToLive",
			"dynamodb:DescribeTimeToLive", "dynamodb:UpdateContinuousBackups", "dynamodb:DescribeContinuousBackups"},
		Read: []string{"dynamodb:DescribeTable", "dynamodb:DescribeTimeToLive", "dynamodb:DescribeContinuousBackups",
			"dynamodb:ListTagsOfResource"},
		Update: []string{"dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive", "dynamodb:UpdateContinuousBackups",
			"dynamodb:TagResource", "dynamodb:UntagResource"},
		Delete: []string{"dynamodb:DeleteTable", "dynamodb:DescribeTable"},
	},
	"aws:scheduler/schedule:Schedule": {
		Create: []string{"scheduler:CreateSchedule", "scheduler:GetSchedule", passRole},
		Read:   []string{"scheduler:GetSchedule"},
		Update: []string{"scheduler:UpdateSchedule", passRole},
		Delete: []string{"scheduler:DeleteSchedule"},
	},
}
