package agecheck

import (
	"cmp"
	"fmt"
	"strings"
	"text/tabwriter"
)

// orgChangesSubject are the subject's first parts in an organization run that remembers: what
// is new, then the reminders, the resolved keys and the accounts announced whole.
func orgChangesSubject(c OrgChanges) []string {
	var parts []string
	if c.New > 0 {
		parts = append(parts, fmt.Sprintf("%d new", c.New))
	} else if c.Reminders+c.Resolved > 0 {
		parts = append(parts, "nothing new")
	}
	if c.Reminders > 0 {
		parts = append(parts, plural(c.Reminders, "reminder", "reminders"))
	}
	if c.Resolved > 0 {
		parts = append(parts, fmt.Sprintf("%d resolved", c.Resolved))
	}
	if c.Busy > 0 {
		parts = append(parts, plural(c.Busy, "account announced whole", "accounts announced whole"))
	}
	return parts
}

// orgChangesText writes an organization digest's changes before its totals: the new findings,
// then the reminders, then the resolved keys, each with its account; exact counts, and the
// entries the sections list.
func orgChangesText(b *strings.Builder, c OrgChanges, sections []AccountResult) {
	fmt.Fprintf(b, "Since the last message: %d new, %d reminders, %d resolved; %d findings announced before and not due.\n",
		c.New, c.Reminders, c.Resolved, c.Quiet)
	table := func(title string, count int, list func(*AccountChanges) []Announced) {
		if count == 0 {
			return
		}
		fmt.Fprintf(b, "\n%s (%d):\n", title, count)
		tw := tabwriter.NewWriter(b, 0, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "  ACCOUNT\tWHY\tSEVERITY\tKIND\tUSER\tACCESS KEY ID\tAGE (DAYS)\tFIRST SEEN")
		for _, s := range sections {
			if s.Changes == nil {
				continue
			}
			for _, a := range list(s.Changes) {
				why, key, age := a.Reason, a.AccessKeyID, fmt.Sprint(a.AgeDays)
				if a.Reason == ReasonReminder {
					why = fmt.Sprintf("reminder %d", a.Reminded)
				}
				if a.AccessKeyID == RootKey {
					key, age = "-", "-"
				}
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", accountLabel(s.Target), why, oneLine(a.Severity),
					oneLine(strings.Join(a.Kinds, "+")), oneLine(a.UserName), oneLine(key), age, datePart(a.FirstSeen))
			}
		}
		_ = tw.Flush() // writes to a strings.Builder, which cannot fail
	}
	table("New", c.New, func(a *AccountChanges) []Announced { return a.New })
	table("Reminders", c.Reminders, func(a *AccountChanges) []Announced { return a.Reminders })
	if c.Resolved > 0 {
		fmt.Fprintf(b, "\nResolved since the last message (%d):\n", c.Resolved)
		for _, s := range sections {
			if s.Changes == nil {
				continue
			}
			for _, r := range s.Changes.Resolved {
				fmt.Fprintf(b, "  %s %s %s (was %s, first seen %s): %s\n", accountLabel(s.Target), oneLine(r.UserName), oneLine(r.AccessKeyID),
					oneLine(r.Severity), datePart(r.FirstSeen), oneLine(cmp.Or(r.Reason, ResolvedGone)))
			}
		}
	}
	b.WriteString("\n")
}
