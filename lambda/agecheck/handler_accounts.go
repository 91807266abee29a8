package agecheck

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// AccountIO is the function's I/O in one account: its last-used and tag lookups (nil: none).
type AccountIO struct {
	LastUsed LastUsedFunc
	UserTags UserTagsFunc
}

// AssumeRoleFunc returns the I/O of another account: lambda/main.go assumes roleARN with STS,
// in a session named session, and looks up last use and tags with those credentials.
type AssumeRoleFunc func(ctx context.Context, roleARN, session string) (AccountIO, error)

// UncheckedAccountLogMessage is the msg of the JSON log line written for every account an
// organization run could not scan.
const UncheckedAccountLogMessage = "unchecked account"

// accountIO is the I/O of the event's account: the function's own (its role's account) unless
// the event names a member role, which is then assumed once for the whole invocation. When
// assuming fails, the failure is logged and nothing is looked up: the keys that needed a lookup
// are reported with their last use unknown, never as unused, tag exemptions are not applied
// (the keys are reported), and the batch is still judged.
func (h *Handler) accountIO(ctx context.Context, ev Event) AccountIO {
	if ev.RoleARN == "" {
		return AccountIO{LastUsed: h.LastUsed, UserTags: h.UserTags}
	}
	if h.AssumeRole == nil {
		return AccountIO{}
	}
	io, err := h.AssumeRole(ctx, ev.RoleARN, ev.Session)
	if err != nil {
		h.logger().LogAttrs(ctx, slog.LevelWarn, "assume member role failed", slog.String("account", ev.Account),
			slog.String("roleArn", ev.RoleARN), slog.String("error", err.Error()))
		return AccountIO{}
	}
	return io
}

// accounts handles OpAccount and OpMergeAccounts.
func (h *Handler) accounts(ctx context.Context, ev Event) (any, error) {
	if ev.Op == OpAccount && ev.Error != nil {
		// Logged once, by the merge of its page (its full Cause stays in the child's history).
		return uncheckedAccount(*ev.Target, *ev.Error), nil
	}
	if ev.Op == OpAccount {
		r, err := accountResult(*ev.Target, *ev.Summary, ev.Policy, ev.Root)
		if err != nil {
			return nil, err
		}
		if err := h.accountChanges(ctx, ev, &r, ev.Now.Time()); err != nil {
			return nil, err
		}
		h.logger().LogAttrs(ctx, slog.LevelInfo, "account checked", append(r.Summary.attrs(), slog.String("account", r.Target.ID))...)
		return r, nil
	}
	page := ev.Accounts
	switch {
	case ev.Summary != nil:
		own, err := accountResult(Target{ID: ev.Account}, *ev.Summary, ev.Policy, ev.Root)
		if err != nil {
			return nil, err
		}
		if err := h.accountChanges(ctx, ev, &own, ev.Now.Time()); err != nil {
			return nil, err
		}
		page = append([]AccountResult{own}, page...)
	case ev.Error != nil:
		// The parent's scan of the deploying account failed: unchecked, as a child's account is.
		page = append([]AccountResult{uncheckedAccount(Target{ID: ev.Account}, *ev.Error)}, page...)
	}
	for _, r := range page {
		if r.Status == AccountUnchecked {
			h.logger().LogAttrs(ctx, slog.LevelWarn, UncheckedAccountLogMessage, slog.String("account", r.Target.ID),
				slog.String("name", r.Target.Name), slog.String("error", r.Error.Error), slog.String("cause", r.Error.Cause))
		}
	}
	scanned := ev.Account // by the parent, with its own role
	if ev.DeployingExcluded {
		scanned = ""
	}
	org, err := MergeAccounts(*ev.Org, page, scanned)
	if err != nil {
		return nil, fmt.Errorf("merge %d accounts: %w", len(page), err)
	}
	h.logger().LogAttrs(ctx, slog.LevelInfo, "accounts merged", append(org.Counts.attrs(),
		slog.Int("accountsChecked", org.Accounts.Checked), slog.Int("accountsUnchecked", org.Accounts.Unchecked),
		slog.Int("sectionsListed", len(org.Sections)))...)
	return org, nil
}

// orgReport handles an organization's OpReport.
func (h *Handler) orgReport(ctx context.Context, ev Event, now time.Time) (Report, error) {
	r, err := NewOrgReport(*ev.Org, ev.Policy, now, ev.Test)
	if err != nil {
		return Report{}, fmt.Errorf("report: %w", err)
	}
	if ev.Ledger != nil && !ev.Test {
		orgCommit(&r, *ev.Org, *ev.Ledger, now)
	}
	if ev.Chat && r.Publish {
		r.Chat = newOrgChatMessage(*ev.Org, ev.Policy, ev.Owners, r, now)
	}
	h.logger().LogAttrs(ctx, slog.LevelInfo, "report", slog.Bool("publish", r.Publish), slog.Bool("test", r.Test),
		slog.String("severity", r.Severity), slog.String("subject", r.Subject), slog.String("scope", ScopeOrganization),
		slog.Int("messageBytes", len(r.Message)))
	return r, nil
}
