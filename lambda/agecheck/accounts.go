package agecheck

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/keyage/keyage/internal/awsid"
)

// Operations of an organization run (issue 8): each account is scanned in a child execution of
// its own, which ends with OpAccount; the parent folds each page of accounts into the running
// OrgSummary with OpMergeAccounts, and OpReport turns the final OrgSummary into the digest.
const (
	// OpAccount turns one account's final scan Summary (and root check) into its AccountResult,
	// trimmed to MaxAccountSummaryBytes; or, given Error instead, the account's unchecked
	// result, its Cause cut to MaxCauseLength (a Cause may be 32,768 characters, and 20 of them
	// would not fit a page's results).
	OpAccount = "account"
	// OpMergeAccounts folds a page of AccountResults (Accounts) into the running OrgSummary
	// (Org). With a Summary it first turns it into the deploying account's own result, which
	// the parent scanned with its own role; with an Error instead, into the deploying account's
	// unchecked result.
	OpMergeAccounts = "mergeAccounts"
)

// Account statuses (AccountResult.Status).
const (
	AccountChecked   = "checked"   // the account's users were listed and judged
	AccountUnchecked = "unchecked" // the scan failed (role not assumable, AccessDenied, throttling...): never all clear
	AccountSkipped   = "skipped"   // Organizations lists it, but not ACTIVE (suspended, closing): not scanned
	AccountExcluded  = "excluded"  // in excludeAccounts: not scanned
)

// MaxAccountSummaryBytes bounds the Summary in one AccountResult, and MaxOrgSummaryBytes the
// running OrgSummary, so that a page of AccountsPerPage results, the OrgSummary, the run's
// context (the policy, up to 1,001 accounts to skip) and a ListAccounts NextToken (up to 100,000
// characters) fit one state's 256 KiB: workflow's TestPayloadBudgetOrganization measures it. An
// account's counts are exact; its section lists its oldest findings. Every finding is in the
// function's log before it is trimmed.
const (
	MaxAccountSummaryBytes = 2 * 1024
	MaxOrgSummaryBytes     = 64 * 1024
)

// AccountsPerPage is the most accounts one OpMergeAccounts event carries: a ListAccounts page
// (MaxResults at most 20), and the pages an accounts list is cut into.
const AccountsPerPage = 20

// Target is an account to scan, as Organizations' ListAccounts gives it (Id, Name, State, and the
// retired Status) or as the accounts setting gives it (Id alone).
type Target struct {
	ID     string `json:"Id"`
	Name   string `json:"Name,omitempty"`
	State  string `json:"State,omitempty"`  // ACTIVE, SUSPENDED, PENDING_CLOSURE, ...
	Status string `json:"Status,omitempty"` // retired by Organizations on 2026-09-09: read State, tolerate Status
}

// state is the account's Organizations state, from State, else the retired Status.
func (t Target) state() string { return cmp.Or(t.State, t.Status) }

// AccountResult is one account's part of an organization run.
type AccountResult struct {
	Target Target     `json:"target"`
	Status string     `json:"status"`          // AccountChecked, AccountUnchecked, AccountSkipped or AccountExcluded
	Error  *ScanError `json:"error,omitempty"` // AccountUnchecked: why
	// Summary is the account's scan (AccountChecked), root check included when the policy has
	// it, trimmed to MaxAccountSummaryBytes.
	Summary *Summary `json:"summary,omitempty"`
	// Changes are the account's changes when the run remembers (ledger_accounts.go).
	Changes *AccountChanges `json:"changes,omitempty"`
}

// AccountCounts count an organization run's accounts by what became of them.
type AccountCounts struct {
	Checked   int `json:"checked"`
	Unchecked int `json:"unchecked"`
	Skipped   int `json:"skipped"`
	Excluded  int `json:"excluded"`
	// Clean counts checked accounts with nothing to report: they have no section.
	Clean int `json:"clean"`
	// Sections counts the accounts with something to report (OrgSummary.Sections lists them,
	// possibly fewer when trimmed).
	Sections    int `json:"sections"`
	RootPresent int `json:"rootPresent"` // accounts whose root user has access keys
	RootUnknown int `json:"rootUnknown"` // accounts whose root check failed
}

func (c *AccountCounts) add(o AccountCounts) {
	c.Checked += o.Checked
	c.Unchecked += o.Unchecked
	c.Skipped += o.Skipped
	c.Excluded += o.Excluded
	c.Clean += o.Clean
	c.Sections += o.Sections
	c.RootPresent += o.RootPresent
	c.RootUnknown += o.RootUnknown
}

// OrgSummary is the running result of an organization run: exact totals over every account
// checked, counts of accounts, and a section per account with something to report (an unchecked
// or skipped account, a finding, an unchecked user, a root key), unchecked accounts first.
type OrgSummary struct {
	Counts   Counts          `json:"counts"`
	Accounts AccountCounts   `json:"accounts"`
	Sections []AccountResult `json:"sections,omitempty"`
	// Changes and Commits are set when the run remembers (ledger_accounts.go).
	Changes *OrgChanges     `json:"changes,omitempty"`
	Commits []AccountCommit `json:"commits,omitempty"`
	// Exemptions sums the checked accounts' exemption counts (keys each exemption hides, tag
	// exemptions read) and lists the first MaxTagExemptionsListed tag exemptions by account and
	// user name, each with its account, until, reason and status (without its problem: the
	// account's own message says it). Nil when no account had any.
	Exemptions *ExemptionTally `json:"exemptions,omitempty"`
}

// addExemptions adds an account's exemption counts and tag exemptions to the organization's.
func (o *OrgSummary) addExemptions(account string, t ExemptionTally) {
	if len(t.ExemptionKeys) == 0 && t.TagExemptionCount == 0 {
		return
	}
	sum := ExemptionTally{TagExemptionCount: t.TagExemptionCount}
	if o.Exemptions != nil {
		sum.ExemptionKeys = slices.Clone(o.Exemptions.ExemptionKeys)
		sum.TagExemptionCount += o.Exemptions.TagExemptionCount
		sum.TagExemptions = slices.Clone(o.Exemptions.TagExemptions)
	}
	for i, n := range t.ExemptionKeys {
		sum.count(i, n)
	}
	for _, e := range t.TagExemptions {
		e.Account, e.Problem = account, ""
		sum.TagExemptions = append(sum.TagExemptions, e)
	}
	slices.SortStableFunc(sum.TagExemptions, func(a, b TagExemption) int {
		return cmp.Or(strings.Compare(a.Account, b.Account), strings.Compare(a.UserName, b.UserName))
	})
	sum.TagExemptions = slices.Clip(sum.TagExemptions[:min(len(sum.TagExemptions), MaxTagExemptionsListed)])
	o.Exemptions = &sum
}

// uncheckedAccount is the AccountResult of an account whose scan failed with e.
func uncheckedAccount(t Target, e ScanError) AccountResult {
	e.Cause = truncateUTF8(e.Cause, MaxCauseLength)
	return AccountResult{Target: t, Status: AccountUnchecked, Error: &e}
}

// accountResult is the AccountResult of an account whose scan ended with s (and, when the
// policy checks root keys, root), its summary trimmed to MaxAccountSummaryBytes.
func accountResult(t Target, s Summary, p Policy, root *AccountSummary) (AccountResult, error) {
	if p.CheckRootKeys {
		r := CheckRoot(root)
		s.Root = &r
	}
	if _, err := s.Trim(MaxAccountSummaryBytes); err != nil {
		return AccountResult{}, fmt.Errorf("trim the summary of account %s: %w", t.ID, err)
	}
	return AccountResult{Target: t, Status: AccountChecked, Summary: &s}, nil
}

// hasSomethingToReport reports whether an account needs a section of its own.
func (r *AccountResult) hasSomethingToReport() bool {
	if r.Status != AccountChecked {
		return true
	}
	s := r.Summary
	switch {
	case s == nil:
		return false
	case s.Unchecked+s.LastUsedUnknown > 0 || rootUnchecked(*s):
		return true
	case r.Changes != nil && !r.Changes.Busy:
		// A run that remembers has a section for what changed: a quiet finding needs none.
		return r.Changes.something()
	}
	return s.Flagged > 0 || rootPresent(*s)
}

// MergeAccounts folds a page of account results into the running organization summary: totals
// add exactly, excluded accounts are only counted, clean accounts are counted without a
// section, and the sections (unchecked accounts first, then skipped ones, then by account ID)
// are trimmed to MaxOrgSummaryBytes, from the end. deploying is the deploying account when the
// parent scanned it with its own role ("" when it is excluded, and so counted as excluded): its
// entry in a page is dropped (the children skip it), and the name Organizations gives it there
// goes to its section, folded in before the first page with its ID alone.
func MergeAccounts(prev OrgSummary, page []AccountResult, deploying string) (OrgSummary, error) {
	out := prev
	out.Sections = slices.Clone(prev.Sections)
	out.Commits = slices.Clone(prev.Commits)
	if prev.Changes != nil {
		c := *prev.Changes
		out.Changes = &c
	}
	for _, r := range page {
		if r.Target.ID == deploying && r.Status == AccountExcluded {
			if i := slices.IndexFunc(out.Sections, func(s AccountResult) bool { return s.Target.ID == deploying }); i >= 0 && out.Sections[i].Target.Name == "" {
				out.Sections[i].Target.Name = r.Target.Name
			}
			continue
		}
		var c AccountCounts
		switch r.Status {
		case AccountChecked:
			c.Checked = 1
			if r.Summary != nil {
				out.Counts.add(r.Summary.Counts)
				out.addExemptions(r.Target.ID, r.Summary.ExemptionTally)
				if rootPresent(*r.Summary) {
					c.RootPresent = 1
				}
				if rootUnchecked(*r.Summary) {
					c.RootUnknown = 1
				}
			}
		case AccountUnchecked:
			c.Unchecked = 1
		case AccountSkipped:
			c.Skipped = 1
		case AccountExcluded:
			c.Excluded = 1
		}
		switch {
		case r.Status == AccountExcluded:
		case r.hasSomethingToReport():
			c.Sections = 1
			out.Sections = append(out.Sections, r)
		default:
			c.Clean = 1
		}
		out.Accounts.add(c)
		out.mergeChanges(r)
	}
	slices.SortStableFunc(out.Sections, compareSections)
	if err := out.trim(MaxOrgSummaryBytes); err != nil {
		return OrgSummary{}, err
	}
	return out, nil
}

// sectionRank orders sections: unchecked accounts first (never all clear about an account not
// read), then accounts not scanned, then the rest.
func sectionRank(status string) int {
	switch status {
	case AccountUnchecked:
		return 0
	case AccountSkipped:
		return 1
	}
	return 2
}

func compareSections(a, b AccountResult) int {
	return cmp.Or(cmp.Compare(sectionRank(a.Status), sectionRank(b.Status)), cmp.Compare(a.Target.ID, b.Target.ID))
}

// trim bounds the summary's JSON encoding to maxBytes by dropping sections from the end; the
// counts stay exact.
func (o *OrgSummary) trim(maxBytes int) error {
	for len(o.Sections) > 0 {
		n, err := jsonSize(o)
		if err != nil {
			return err
		}
		if n <= maxBytes {
			return nil
		}
		o.Sections = o.Sections[:len(o.Sections)-1]
	}
	o.Sections = nil
	return nil
}

// validateAccountsEvent adds the problems of an organization op's event.
func validateAccountsEvent(ps *problems, ev *Event) {
	switch ev.Op {
	case OpAccount:
		switch {
		case ev.Target == nil:
			ps.add("target", "absent", "the account scanned, as {\"Id\": \"123456789012\"}")
		case !awsid.IsAccountID(ev.Target.ID):
			ps.add("target.Id", quote(ev.Target.ID), "a 12-digit AWS account ID")
		}
		switch {
		case ev.Summary == nil && ev.Error == nil:
			ps.add("summary", "absent", "the final Summary of the account's scan, or the error that ended it")
		case ev.Summary != nil && ev.Error != nil:
			ps.add("error", "present with summary", "either summary (the account was scanned) or error (it was not)")
		case ev.Summary != nil:
			validateCounts(ps, "summary", ev.Summary)
			validateNotBatch(ps, "summary", ev.Summary)
		}
	case OpMergeAccounts:
		if ev.Org == nil {
			ps.add("org", "absent", "the running OrgSummary ({} before the first page)")
		}
		if len(ev.Accounts) > AccountsPerPage {
			ps.add("accounts", fmt.Sprintf("%d entries", len(ev.Accounts)), fmt.Sprintf("at most %d (a page)", AccountsPerPage))
		}
		for i, r := range ev.Accounts {
			field := fmt.Sprintf("accounts[%d]", i)
			if !awsid.IsAccountID(r.Target.ID) {
				ps.add(field+".target.Id", quote(r.Target.ID), "a 12-digit AWS account ID")
			}
			switch r.Status {
			case AccountChecked:
				if r.Summary == nil {
					ps.add(field+".summary", "absent", "the account's Summary when status is checked")
				} else {
					validateCounts(ps, field+".summary", r.Summary)
				}
			case AccountUnchecked:
				if r.Error == nil {
					ps.add(field+".error", "absent", "the error that kept the account from being scanned")
				}
			case AccountSkipped, AccountExcluded:
			default:
				ps.add(field+".status", quote(r.Status), fmt.Sprintf("%q, %q, %q or %q", AccountChecked, AccountUnchecked, AccountSkipped, AccountExcluded))
			}
		}
		if ev.DeployingExcluded && (ev.Summary != nil || ev.Error != nil) {
			ps.add("deployingExcluded", "true with summary or error", "false or absent when the deploying account was scanned")
		}
		if ev.Summary != nil {
			validateCounts(ps, "summary", ev.Summary)
			if ev.Error != nil {
				ps.add("error", "present with summary", "either summary (the deploying account was scanned) or error (it was not)")
			}
		}
	}
}
