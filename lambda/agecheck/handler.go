package agecheck

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// LastUsed is what IAM's GetAccessKeyLastUsed says about a key.
type LastUsed struct {
	Date        time.Time // zero when the key was never used
	ServiceName string    // "N/A" when never used, as IAM says
	Region      string    // "N/A" when never used, as IAM says
}

// LastUsedFunc looks up when a key was last used. The handler calls it for the keys Check needs
// it for (NeedsLastUsed); a failure is logged and the key's last use is reported as unknown.
type LastUsedFunc func(ctx context.Context, userName, accessKeyID string) (LastUsed, error)

// UserTagsFunc reads a user's tags (IAM ListUserTags). The handler calls it, when the policy
// reads tag exemptions, for the users with findings only; a failure refuses the user's tag
// exemption, which the digest reports.
type UserTagsFunc func(ctx context.Context, userName string) (map[string]string, error)

// LookupReserve is the time before an invocation's deadline that last-used lookups leave free
// for logging and returning the batch's summary.
const LookupReserve = time.Second

// Handler adapts the core to an invocation: it decodes the event, dispatches on Op, looks up
// last use for the keys that need it, and logs every finding and unchecked user as one JSON line, so
// that nothing is lost when summaries are trimmed. It holds no clock: "now" is the event's.
type Handler struct {
	LastUsed  LastUsedFunc  // nil: no lookups
	UserTags  UserTagsFunc  // nil: no tag lookups (tag exemptions and owners are not read)
	OwnerMail OwnerMailFunc // nil: no direct mail to owners
	Logger    *slog.Logger  // nil: slog.Default()
	// AssumeRole returns the LastUsedFunc of another account, through the member role there
	// (Event.RoleARN), in a session named after the run; nil: no lookups in other accounts.
	AssumeRole AssumeRoleFunc
	Ledger     Ledger // nil: no ledger; an event with one (notify: changes) then fails
	// Clock is the function's clock, which times the ledger's lease (never the run's "now",
	// which may be long past); nil: time.Now.
	Clock func() time.Time
}

// Invoke processes one event, given as the raw payload. A malformed event is an
// *InvalidInputError, returned as it is (never wrapped) so that the Lambda runtime reports
// ErrorTypeInvalidInput as the errorType; the only other error would be a result that cannot
// be measured (jsonSize) or encoded (encodeResult). The result is a Summary (check, merge) or a Report (report) as JSON.
//
// Invoke makes *Handler an aws-lambda-go lambda.Handler: the runtime passes the payload
// through undecoded, so that even a payload that is not JSON fails as InvalidInputError
// rather than as the runtime's own decoding error.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ev, err := Decode(payload)
	if err != nil {
		return nil, err
	}
	now := ev.Now.Time() // parsed by Decode, which refuses an event without a valid one
	var out any
	switch ev.Op {
	case OpCheck:
		s, err := h.check(ctx, ev, now)
		if err != nil {
			return nil, err
		}
		out = s
	case OpMerge:
		// A failed batch's users were marked unchecked by the state machine, not the function:
		// they are logged here, before Merge trims the list to MaxUncheckedListed.
		nowText := formatTime(now)
		for i := range ev.Results {
			if ev.Results[i].BatchFailed {
				for _, u := range ev.Results[i].UncheckedUsers {
					h.logUnchecked(ctx, ev.Account, nowText, u)
				}
				if err := h.observe(ctx, ev, nil, ev.Results[i].UncheckedUsers, nil, now); err != nil {
					return nil, err
				}
			}
		}
		s, err := Merge(ev.Summary, ev.Results)
		if err != nil {
			return nil, fmt.Errorf("merge %d results: %w", len(ev.Results), err)
		}
		h.logger().LogAttrs(ctx, slog.LevelInfo, "merged", append(s.attrs(),
			slog.Int("results", len(ev.Results)), slog.Int("findingsListed", len(s.Findings)))...)
		out = s
	case OpReport:
		if ev.Org != nil {
			r, err := h.orgReport(ctx, ev, now)
			if err != nil {
				return nil, err
			}
			out = r
			break
		}
		report := NewReport
		if ev.Test {
			report = NewTestReport
		}
		s := *ev.Summary
		if ev.Policy.CheckRootKeys {
			root := CheckRoot(ev.Root)
			s.Root = &root
		}
		var r Report
		switch {
		case ev.Ledger != nil && ev.Ledger.ObserveOnly && !ev.Test:
			r, err = h.reportObservedOwners(ctx, ev, s, now)
		case ev.Ledger != nil && !ev.Test:
			// The ledger's cadence decides what the digest announces, and what owners are told.
			r, err = h.changesReport(ctx, ev, s, now)
		case ev.Owners != nil:
			r, err = h.reportWithOwners(ctx, s, ev, now, summaryOwnerGroups(s, ev), len(s.Findings) < s.Flagged)
		default:
			r, err = report(s, ev.Policy, ev.Account, now)
		}
		if err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if ev.Chat && r.Publish {
			r.Chat = chatMessage(ev, s, r, now)
		}
		h.logger().LogAttrs(ctx, slog.LevelInfo, "report", slog.Bool("publish", r.Publish), slog.Bool("test", r.Test),
			slog.String("severity", r.Severity), slog.String("subject", r.Subject),
			slog.Int("messageBytes", len(r.Message)))
		out = r
	case OpAccount, OpMergeAccounts:
		r, err := h.accounts(ctx, ev)
		if err != nil {
			return nil, err
		}
		out = r
	case OpCommit:
		if err := h.commit(ctx, ev); err != nil {
			return nil, fmt.Errorf("commit: %w", err)
		}
		out = struct{}{}
	}
	return encodeResult(ev.Op, out)
}

// encodeResult is the invocation's result as JSON. Summaries and reports hold strings, numbers
// and booleans only, so it should never fail; if it does, the invocation fails with the reason
// rather than a panic.
func encodeResult(op string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode the result of op %s: %w", op, err)
	}
	return b, nil
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// check looks up the last use of the keys Check needs it for (NeedsLastUsed), runs Check,
// logs every finding, and trims the Summary for the state machine.
func (h *Handler) check(ctx context.Context, ev Event, now time.Time) (Summary, error) {
	log := h.logger()
	s, err := h.Judge(ctx, h.accountIO(ctx, ev), ev.Account, ev.Users, ev.Policy, ev.Owners, now)
	if err != nil {
		return Summary{}, err
	}
	nowText := formatTime(now)
	for i := range s.Findings {
		f := &s.Findings[i]
		log.LogAttrs(ctx, slog.LevelInfo, FindingLogMessage,
			slog.String("account", ev.Account),
			slog.String("userName", f.UserName),
			slog.String("accessKeyId", f.AccessKeyID),
			slog.Int("ageDays", f.AgeDays),
			slog.String("severity", f.Severity),
			slog.Any("kinds", f.Kinds),
			slog.String("createDate", f.CreateDate.String()),
			slog.String("lastUsedDate", f.LastUsedDate.String()),
			slog.String("lastUsedService", f.LastUsedService),
			slog.String("lastUsedRegion", f.LastUsedRegion),
			slog.String("owner", f.Owner),
			slog.Int("maxAgeDays", ev.Policy.MaxAgeDays),
			slog.Int("warnAgeDays", ev.Policy.WarnAgeDays),
			slog.Int("unusedDays", ev.Policy.UnusedDays),
			slog.String("now", nowText),
		)
	}
	for _, u := range s.UncheckedUsers {
		h.logUnchecked(ctx, ev.Account, nowText, u)
	}
	if err := h.observe(ctx, ev, s.Findings, s.UncheckedUsers, s.UnreadKeys, now); err != nil {
		return Summary{}, err
	}
	listed := len(s.Findings)
	trimmed, err := s.Trim(MaxSummaryBytes)
	if err != nil {
		return Summary{}, fmt.Errorf("trim the summary: %w", err)
	}
	log.LogAttrs(ctx, slog.LevelInfo, "checked", append(s.attrs(),
		slog.Int("findingsListed", len(s.Findings)), slog.Int("findingsLogged", listed), slog.Bool("trimmed", trimmed))...)
	return s, nil
}

// logUnchecked writes the UncheckedLogMessage line of one unchecked user.
func (h *Handler) logUnchecked(ctx context.Context, account, now string, u UncheckedUser) {
	h.logger().LogAttrs(ctx, slog.LevelWarn, UncheckedLogMessage,
		slog.String("account", account),
		slog.String("userName", u.UserName),
		slog.String("error", u.Error),
		slog.String("cause", u.Cause),
		slog.String("now", now),
	)
}

// lookUpLastUsed sets AccessKey.LastUsed on every key of users that NeedsLastUsed, one lookup
// at a time: a check batch runs after its child's ListAccessKeys calls are done, so its one
// lookup in flight stays within the child's share of maxConcurrency. Users Check skips
// (deleted, exempt, unreadable) are not looked up. A failed lookup is logged and leaves
// LastUsed nil: Check reports such a key's last use as unknown, never as unused. Lookups stop
// LookupReserve before the invocation's deadline, so that a lookup still in flight cannot make
// the function time out before it has logged and returned the batch.
func (h *Handler) lookUpLastUsed(ctx context.Context, lastUsed LastUsedFunc, account string, users []UserKeys, p Policy, now time.Time) {
	log := h.logger()
	lookupCtx, cancel := lookupContext(ctx)
	defer cancel()
	exempt := newExemptionSet(p)
	skipped := 0
	for i := range users {
		u := &users[i]
		if u.UserName == "" || u.Deleted || u.Error != nil {
			continue
		}
		if holds, _, _ := exempt.judge(u, p, now); holds >= 0 {
			continue
		}
		for j := range u.Keys {
			k := &u.Keys[j]
			if k.AccessKeyID == "" || !NeedsLastUsed(*k, p, now) {
				continue
			}
			if lookupCtx.Err() != nil {
				// Out of time: the remaining keys' last use stays unknown rather than the
				// whole batch failing.
				skipped++
				continue
			}
			lu, err := lastUsed(lookupCtx, u.UserName, k.AccessKeyID)
			if err != nil {
				log.LogAttrs(ctx, slog.LevelWarn, "last-used lookup failed", slog.String("account", account), slog.String("userName", u.UserName),
					slog.String("accessKeyId", k.AccessKeyID), slog.String("error", err.Error()))
				continue
			}
			k.LastUsed = &lu
		}
	}
	if skipped > 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "last-used lookups skipped", slog.Int("skipped", skipped),
			slog.String("error", context.Cause(lookupCtx).Error()))
	}
}

// lookUpTags sets UserKeys.Tags (or TagsError) on the users that have findings without tag
// exemptions, one lookup at a time like lookUpLastUsed (within the child's share of
// maxConcurrency), so that Check can apply their keyage-exempt-* tags. Users without findings
// are not looked up: a tag exemption there would hide nothing. Lookups stop LookupReserve before
// the deadline; a user not looked up in time has its tag exemption refused as unread.
func (h *Handler) lookUpTags(ctx context.Context, userTags UserTagsFunc, users []UserKeys, p Policy, now time.Time) error {
	first, err := Check(users, p, now)
	if err != nil {
		return err
	}
	flagged := make(map[string]bool, len(first.Findings))
	for i := range first.Findings {
		flagged[first.Findings[i].UserName] = true
	}
	lookupCtx, cancel := lookupContext(ctx)
	defer cancel()
	read, failed := 0, 0
	for i := range users {
		u := &users[i]
		if !flagged[u.UserName] {
			continue
		}
		if err := lookupCtx.Err(); err != nil {
			u.TagsError = "not read in time: " + context.Cause(lookupCtx).Error()
			failed++
			continue
		}
		tags, err := userTags(lookupCtx, u.UserName)
		if err != nil {
			h.logger().LogAttrs(ctx, slog.LevelWarn, "user tags lookup failed", slog.String("userName", u.UserName), slog.String("error", err.Error()))
			u.TagsError = err.Error()
			failed++
			continue
		}
		u.Tags = tags
		if u.Tags == nil {
			u.Tags = map[string]string{}
		}
		read++
	}
	h.logger().LogAttrs(ctx, slog.LevelInfo, "user tags read", slog.Int("read", read), slog.Int("failed", failed))
	return nil
}

// lookupContext is ctx ending LookupReserve before ctx's deadline (if it has one): the context
// of the IAM lookups, which must leave time to log and return the batch.
func lookupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, deadline.Add(-LookupReserve))
	}
	return context.WithCancel(ctx)
}
