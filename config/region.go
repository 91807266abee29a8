package config

import (
	"regexp"
	"strings"
)

// regionPattern is the form of AWS region names: a two-letter area, one or more lower-case
// words, and a number (us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, us-isob-east-1).
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

const allowedRegion = "an AWS region name in lower case, such as eu-central-1 or us-gov-west-1"

func validateRegion(p *problems, region string) {
	switch {
	case region == "": // not set: the provider's default region (AWS_REGION) applies
	case regionPattern.MatchString(strings.ToLower(region)) && !regionPattern.MatchString(region):
		p.add(RegionKey, region, "is not a region name (they are lower case)", allowedRegion)
	case !regionPattern.MatchString(region):
		p.add(RegionKey, region, "is not a region name", allowedRegion)
	}
}

// PartitionOf returns the AWS partition a region belongs to: aws-cn for China, aws-us-gov for
// GovCloud, aws-iso and aws-iso-b for the isolated regions, else aws.
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

// Partition returns the partition of the stack's region ("aws" when it sets none).
func (s Settings) Partition() string { return PartitionOf(s.Region) }
