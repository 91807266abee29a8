package config

import (
	"strings"

	"github.com/keyage/keyage/internal/awsid"
)

const allowedRegion = "an AWS region name in lower case, such as eu-central-1 or us-gov-west-1"

func validateRegion(p *problems, region string) {
	switch {
	case region == "": // not set: the provider's default region (AWS_REGION) applies
	case awsid.IsRegion(strings.ToLower(region)) && !awsid.IsRegion(region):
		p.add(RegionKey, region, "is not a region name (they are lower case)", allowedRegion)
	case !awsid.IsRegion(region):
		p.add(RegionKey, region, "is not a region name", allowedRegion)
	}
}

// Partition returns the partition of the stack's region ("aws" when it sets none).
func (s Settings) Partition() string { return awsid.PartitionOf(s.Region) }
