package agecheck

import (
	"context"
	"time"
)

// Judge is what the check op makes of users in one account (io: its lookups, nil ones skipped):
// the last use of the keys that need it, the tags of flagged users when the policy reads tag
// exemptions, Check, and each finding's owner when owners is set. Its Summary is whole (not
// trimmed, nothing logged but failed lookups, nothing recorded in a ledger), so that `keyage
// scan` judges an account with exactly the function's code.
func (h *Handler) Judge(ctx context.Context, io AccountIO, account string, users []UserKeys, p Policy, owners *Owners, now time.Time) (Summary, error) {
	if io.LastUsed != nil {
		h.lookUpLastUsed(ctx, io.LastUsed, account, users, p, now)
	}
	if p.TagExemptions && io.UserTags != nil {
		if err := h.lookUpTags(ctx, io.UserTags, users, p, now); err != nil {
			return Summary{}, err
		}
	}
	s, err := Check(users, p, now)
	if err != nil {
		return Summary{}, err
	}
	h.lookUpOwners(ctx, io.UserTags, &s, users, owners)
	return s, nil
}
