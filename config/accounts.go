package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keyage/keyage/internal/awsid"
)

// Organization is which accounts a stack scans (issue 8): absent accounts is the account it is
// deployed in, as before; otherwise a list of account IDs, or every ACTIVE account AWS
// Organizations lists. Each other account is read through the role MemberRoleName in it.
type Organization struct {
	// Accounts is the accounts setting: nil for this account only; 12-digit account IDs; or the
	// one element OrganizationKeyword for every account Organizations lists.
	Accounts []string
	// ExcludeAccounts is excludeAccounts: account IDs never scanned.
	ExcludeAccounts []string
	// MemberRoleName is memberRoleName, default DefaultMemberRoleName: the read-only role each
	// scanned account other than the deploying one holds (at path "/").
	MemberRoleName string
	// AccountConcurrency is accountConcurrency, default 5: accounts scanned at once. maxConcurrency
	// stays per account, since IAM throttles each account on its own.
	AccountConcurrency int
}

// Organization settings' fixed values and bounds.
const (
	// OrganizationKeyword, as the only element of accounts, scans every ACTIVE account that
	// organizations:ListAccounts lists.
	OrganizationKeyword = "organization"
	// DefaultMemberRoleName is memberRoleName's default.
	DefaultMemberRoleName = "keyage-member"
	// DefaultAccountConcurrency is accountConcurrency's default.
	DefaultAccountConcurrency = 5
	// MaxAccountConcurrency bounds accountConcurrency: accounts are scanned a page at a time,
	// and a ListAccounts page holds at most 20 accounts (MaxResults 1..20,
	// https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html), so a
	// higher value could never be used. Each account scanned at once adds its own maxConcurrency
	// IAM calls (in that account) and up to as many function invocations.
	MaxAccountConcurrency = 20
	// AccountsPerPage is how many accounts one page of the scan holds: ListAccounts' largest page,
	// and the size of the pages an accounts list is cut into.
	AccountsPerPage = 20
	// MaxAccounts bounds the accounts and excludeAccounts lists: the definition carries them (a
	// definition may be 1 MB), and 1,000 is a larger organization than keyage is measured for.
	MaxAccounts = 1000
)

// Enabled reports whether the stack scans more than the account it is deployed in.
func (o Organization) Enabled() bool { return len(o.Accounts) > 0 }

// WholeOrganization reports whether accounts is the organization keyword.
func (o Organization) WholeOrganization() bool {
	return len(o.Accounts) == 1 && o.Accounts[0] == OrganizationKeyword
}

// MemberRoleARN is the ARN of the member role in an account.
func (o Organization) MemberRoleARN(partition, account string) string {
	return awsid.ARN(partition, "iam", "", account, "role/"+o.MemberRoleName)
}

// MemberRoleARNPattern is the ARN pattern of the member role in every account ("*" for the
// account): what the state machine and the function may assume when the accounts are
// Organizations', and so not known before a run.
func (o Organization) MemberRoleARNPattern(partition string) string {
	return o.MemberRoleARN(partition, "*")
}

// Scope describes which accounts the settings scan, for `keyage validate`.
func (o Organization) Scope() string {
	if !o.Enabled() {
		return "the deploying account only (no accounts setting)"
	}
	var scope string
	if o.WholeOrganization() {
		scope = "every ACTIVE account AWS Organizations lists (organizations:ListAccounts)"
	} else {
		scope = fmt.Sprintf("%d %s: %s", len(o.Accounts), pluralWord(len(o.Accounts), "account", "accounts"), strings.Join(o.Accounts, ", "))
	}
	if len(o.ExcludeAccounts) > 0 {
		scope += "; never " + strings.Join(o.ExcludeAccounts, ", ")
	}
	return scope + fmt.Sprintf("; through role %s in each account but the deploying one; %d %s at once",
		o.MemberRoleName, o.AccountConcurrency, pluralWord(o.AccountConcurrency, "account", "accounts"))
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (o Organization) clone() Organization {
	o.Accounts = slices.Clone(o.Accounts)
	o.ExcludeAccounts = slices.Clone(o.ExcludeAccounts)
	return o
}

const accountIDAllowed = "a 12-digit AWS account ID"

// validate adds the problems of the organization settings.
func (o Organization) validate(p *problems) {
	switch {
	case slices.Contains(o.Accounts, OrganizationKeyword) && len(o.Accounts) > 1:
		p.add("accounts", listText(o.Accounts), "mixes "+OrganizationKeyword+" with account IDs",
			"either ["+OrganizationKeyword+"] alone, or a list of 12-digit account IDs")
	case !o.WholeOrganization():
		validateAccountList(p, "accounts", o.Accounts, true)
	}
	if o.Accounts != nil && len(o.Accounts) == 0 {
		// Absent means this account only; an empty list could mean that or "no account": refused.
		p.add("accounts", "[]", "is an empty list",
			"a list of 12-digit account IDs, ["+OrganizationKeyword+"] for every ACTIVE account of the organization, or no accounts setting to scan only the account the stack is deployed in")
	}
	validateAccountList(p, "excludeAccounts", o.ExcludeAccounts, false)
	if len(o.ExcludeAccounts) > 0 && o.Accounts == nil {
		p.add("excludeAccounts", listText(o.ExcludeAccounts), "is set, but accounts is not (the stack scans only the account it is deployed in)",
			"no excludeAccounts, or accounts set to a list of account IDs or ["+OrganizationKeyword+"]")
	}
	if o.Enabled() && !o.WholeOrganization() {
		left := slices.DeleteFunc(slices.Clone(o.Accounts), func(a string) bool { return slices.Contains(o.ExcludeAccounts, a) })
		if len(left) == 0 && len(o.Accounts) > 0 {
			p.add("excludeAccounts", listText(o.ExcludeAccounts), "excludes every account of accounts, so nothing would be scanned",
				"account IDs that leave at least one account of accounts to scan")
		}
	}
	if !awsid.IsRoleName(o.MemberRoleName) {
		p.add("memberRoleName", o.MemberRoleName, "is not an IAM role name", "1 to 64 letters, digits and +=,.@_-, such as "+DefaultMemberRoleName)
	}
	checkRange(p, "accountConcurrency", o.AccountConcurrency, 1, MaxAccountConcurrency)
}

// validateAccountList checks a list of account IDs: each well formed, none twice, at most
// MaxAccounts. keyword says whether the organization keyword may be meant (a misspelling is
// named as such).
func validateAccountList(p *problems, key string, ids []string, keyword bool) {
	if len(ids) > MaxAccounts {
		p.add(key, fmt.Sprintf("{%d accounts}", len(ids)), fmt.Sprintf("has %d accounts", len(ids)), fmt.Sprintf("at most %d account IDs", MaxAccounts))
	}
	seen := map[string]int{}
	for i, id := range ids {
		path := key + "[" + strconv.Itoa(i) + "]"
		switch {
		case !awsid.IsAccountID(id):
			allowed := accountIDAllowed
			if keyword {
				allowed += ", or " + OrganizationKeyword + " alone for every account of the organization"
			}
			p.add(path, id, "is not an account ID", allowed)
		case seen[id] > 0:
			p.add(path, id, fmt.Sprintf("repeats %s[%d]", key, seen[id]-1), "each account ID once")
		default:
			seen[id] = i + 1
		}
	}
}

// listText is a list as its JSON text, for problems about the whole list.
func listText(ids []string) string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = strconv.Quote(id)
	}
	return "[" + strings.Join(quoted, ",") + "]"
}

// organizationSettings are the organization keys of the settings table.
var organizationSettings = []setting{
	{Key{"accounts", "array", "string"},
		func(p *problems, s *Settings, v string) {
			s.Organization.Accounts = decodeAccountList(p, "accounts", v,
				"a list of 12-digit account IDs, or ["+OrganizationKeyword+"] for every ACTIVE account of the organization")
		}},
	{Key{"excludeAccounts", "array", "string"},
		func(p *problems, s *Settings, v string) {
			s.Organization.ExcludeAccounts = decodeAccountList(p, "excludeAccounts", v, "a list of 12-digit account IDs")
		}},
	{Key{"memberRoleName", "string", ""},
		func(p *problems, s *Settings, v string) { s.Organization.MemberRoleName = v }},
	{Key{"accountConcurrency", "integer", ""},
		func(p *problems, s *Settings, v string) {
			s.Organization.AccountConcurrency = decodeInt(p, "accountConcurrency", v, intRange(1, MaxAccountConcurrency))
		}},
}

// decodeAccountList decodes a list of strings. Account IDs written as YAML numbers arrive as
// JSON numbers: they are refused, since a number loses leading zeros.
func decodeAccountList(p *problems, key, v, allowed string) []string {
	var ids []string
	if err := decodeJSON(v, &ids); err != nil {
		if v == OrganizationKeyword {
			p.add(key, v, "is not a list", "["+OrganizationKeyword+"] (a list of the one word)")
			return nil
		}
		p.add(key, v, "is not a list of strings", allowed+"; quote account IDs (\"012345678901\"), a number loses leading zeros")
		return nil
	}
	return ids
}
