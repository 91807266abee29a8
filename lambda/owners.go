package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/keyage/keyage/lambda/agecheck"
)

// sesAPI lists the SES v2 calls the function makes: the consumer-side view of *sesv2.Client.
type sesAPI interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, optFns ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ sesAPI = (*sesv2.Client)(nil)

// sendEmailInput is the SES v2 SendEmail request for one owner's mail: a simple message with a
// text and an HTML body, both UTF-8
// (https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html).
func sendEmailInput(from agecheck.OwnerEmail, m agecheck.OwnerMail) *sesv2.SendEmailInput {
	utf8 := aws.String("UTF-8")
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from.From),
		Destination:      &sestypes.Destination{ToAddresses: []string{m.To}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: utf8},
			Body: &sestypes.Body{
				Text: &sestypes.Content{Data: aws.String(m.Text), Charset: utf8},
				Html: &sestypes.Content{Data: aws.String(m.HTML), Charset: utf8},
			},
		}},
	}
	if from.IdentityARN != "" {
		in.FromEmailAddressIdentityArn = aws.String(from.IdentityARN)
	}
	if from.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(from.ConfigurationSet)
	}
	return in
}

// ownerMail adapts the SES v2 client to agecheck.OwnerMailFunc.
func ownerMail(client sesAPI) agecheck.OwnerMailFunc {
	return func(ctx context.Context, from agecheck.OwnerEmail, m agecheck.OwnerMail) error {
		if _, err := client.SendEmail(ctx, sendEmailInput(from, m)); err != nil {
			return fmt.Errorf("send mail to %s: %w", m.To, err)
		}
		return nil
	}
}
