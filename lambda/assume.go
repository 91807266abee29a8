package main

import (
	"context"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/keyage/keyage/lambda/agecheck"
)

// stsAPI lists the STS call the function makes: the consumer-side view of *sts.Client.
type stsAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

var _ stsAPI = (*sts.Client)(nil)

// assumeRole adapts STS to agecheck.AssumeRoleFunc: it assumes the member role of another
// account once (the handler calls it once per invocation), in a session named after the run,
// and returns the last-used and tag lookups of an IAM client with those credentials. cfg is the
// function's own configuration (region, endpoints, retryer), which the member's client keeps.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
func assumeRole(cfg aws.Config, client stsAPI) agecheck.AssumeRoleFunc {
	return func(ctx context.Context, roleARN, session string) (agecheck.AccountIO, error) {
		provider := stscreds.NewAssumeRoleProvider(client, roleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = sessionName(session)
		})
		creds := aws.NewCredentialsCache(provider)
		// Retrieve now: a role that cannot be assumed is one error for the whole batch, not
		// one per lookup.
		if _, err := creds.Retrieve(ctx); err != nil {
			return agecheck.AccountIO{}, fmt.Errorf("assume role %s: %w", roleARN, err)
		}
		member := cfg.Copy()
		member.Credentials = creds
		client := iam.NewFromConfig(member)
		return agecheck.AccountIO{LastUsed: lastUsed(client), UserTags: userTags(client)}, nil
	}
}

// sessionChars are the characters STS allows in RoleSessionName ([\w+=,.@-], 2 to 64).
var sessionChars = regexp.MustCompile(`[^\w+=,.@-]`)

// sessionName turns the run's execution name into an STS session name, so that the member
// account's CloudTrail names the run: characters STS does not allow become "-", and the name
// is cut to 64 characters; a name shorter than 2 becomes "keyage".
func sessionName(run string) string {
	name := sessionChars.ReplaceAllString(run, "-")
	if len(name) > 64 {
		name = name[:64]
	}
	if len(name) < 2 {
		return "keyage"
	}
	return name
}
