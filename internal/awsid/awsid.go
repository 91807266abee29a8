// Package awsid knows the forms of the AWS identifiers keyage builds and checks: partition
// names, region names, account IDs, IAM paths and user and role names, and the ARNs made of them
// (https://docs.aws.amazon.com/general/latest/gr/aws-arns-and-namespaces.html). ARNs are built
// and parsed with aws-sdk-go-v2's aws/arn; this package adds what that one does not know: which
// partition a region is in, and what well-formed partitions, regions and account IDs look like.
//
// It is not a registry of AWS's regions or services: a well-formed name that AWS does not have
// passes. It says nothing to users either: each caller words its own message about a bad value.
package awsid

import (
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

var (
	// partitionPattern is the form of partition names: aws, aws-cn, aws-us-gov, aws-iso-b.
	partitionPattern = regexp.MustCompile(`^aws(-[a-z]+)*$`)
	// regionPattern is the form of region names: a two-letter area, one or more lower-case
	// words, and a number (us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, us-isob-east-1).
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
)

// IAM's limits on paths and on user and role names (CreateUser, Path and UserName:
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html; CreateRole's Path and
// RoleName are the same: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
const (
	MaxPathLength = 512
	MaxNameLength = 64
)

var (
	// pathPattern is IAM's documented pattern for a path, (\u002F)|(\u002F[\u0021-\u007E]+\u002F):
	// "/" alone, or one or more of ! through ~ between two slashes, so "//" is not a path.
	pathPattern = regexp.MustCompile(`^(/|/[\x21-\x7e]+/)$`)
	// namePattern is IAM's documented pattern for user and role names, [\w+=,.@-]+.
	namePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
)

// IsPath reports whether s is an IAM path of at most MaxPathLength characters.
func IsPath(s string) bool { return len(s) <= MaxPathLength && pathPattern.MatchString(s) }

// IsUserName reports whether s is an IAM user name: 1 to MaxNameLength letters, digits and
// _+=,.@- (IAM compares user names without regard to case; this does not).
func IsUserName(s string) bool { return len(s) <= MaxNameLength && namePattern.MatchString(s) }

// IsRoleName reports whether s is an IAM role name, which has the rules of a user name.
func IsRoleName(s string) bool { return IsUserName(s) }

// IsPartition reports whether s has the form of an AWS partition name.
func IsPartition(s string) bool { return partitionPattern.MatchString(s) }

// IsRegion reports whether s has the form of an AWS region name (lower case only).
func IsRegion(s string) bool { return regionPattern.MatchString(s) }

// IsAccountID reports whether s is an AWS account ID: exactly 12 ASCII digits
// (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html).
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// PartitionOf returns the partition a region belongs to: aws-cn for China, aws-us-gov for
// GovCloud, aws-iso and aws-iso-b for the isolated regions, else aws (also for "").
func PartitionOf(region string) string {
	for _, p := range []struct{ prefix, partition string }{
		{"cn-", "aws-cn"}, {"us-gov-", "aws-us-gov"}, {"us-isob-", "aws-iso-b"}, {"us-iso-", "aws-iso"},
	} {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// ARN returns arn:partition:service:region:account:resource. region and account are "" for
// resources whose ARNs have none (IAM's have no region; S3 buckets' have neither).
func ARN(partition, service, region, account, resource string) string {
	return arn.ARN{Partition: partition, Service: service, Region: region, AccountID: account, Resource: resource}.String()
}

// Parse parses s as the ARN of one of service's resources: arn.Parse's six fields, a
// well-formed partition, and that service. Its region and account are left to the caller
// (ParseRegional checks both); ok is false when s is anything else.
func Parse(s, service string) (a arn.ARN, ok bool) {
	a, err := arn.Parse(s)
	if err != nil || !IsPartition(a.Partition) || a.Service != service {
		return arn.ARN{}, false
	}
	return a, true
}

// ParseRegional is Parse for a regional resource: the ARN also has a well-formed region and a
// 12-digit account ID.
func ParseRegional(s, service string) (a arn.ARN, ok bool) {
	a, ok = Parse(s, service)
	if !ok || !IsRegion(a.Region) || !IsAccountID(a.AccountID) {
		return arn.ARN{}, false
	}
	return a, true
}
