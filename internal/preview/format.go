package preview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// Formats are the values of `keyage preview --format`.
var Formats = []string{"all", "email", "json", "sms", "chat"}

// Write prints the result in format (one of Formats): "email" the subject and the email body,
// "json" the default body (indented), "sms" the SMS text, "all" the subject, the message
// attributes and every body under a heading naming who receives it. When the run would publish
// nothing, every format says so and gives the counts ("json" as {"publish": false, "counts": ...},
// so that its output is always one JSON document). "chat" is the chat card (indented), which is
// published exactly when the digest is; a stack without chat has none, and "chat" is refused.
func (r Result) Write(w io.Writer, format string) error {
	if !slices.Contains(Formats, format) {
		return fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats, ", "))
	}
	if format == "chat" && !r.ChatEnabled {
		return fmt.Errorf("format %q: the stack has no chat setting, so the function writes no chat card; want a stack with chat (README: Chat), or one of %s",
			format, strings.Join(slices.DeleteFunc(slices.Clone(Formats), func(f string) bool { return f == "chat" }), ", "))
	}
	if r.Publish == nil && format == "json" {
		out, err := json.MarshalIndent(map[string]any{"publish": false, "counts": r.Summary.Counts}, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", out)
		return err
	}
	if r.Publish == nil {
		s := r.Summary
		_, err := fmt.Fprintf(w, "Nothing would be published: no finding (no key stale, unused or due soon, no root key) and every user's keys were read "+
			"(%d users: %d compliant active keys, %d keys of exempt users, %d inactive keys, %d users deleted during the scan).\n",
			s.Users, s.Compliant, s.Exempt, s.Inactive, s.Deleted)
		return err
	}
	p := r.Publish
	var b strings.Builder
	switch format {
	case "email":
		fmt.Fprintf(&b, "Subject: %s\n\n%s", p.Subject, p.Bodies["email"])
	case "json":
		body, err := indent(p.Bodies["default"])
		if err != nil {
			return err
		}
		b.WriteString(body)
	case "sms":
		b.WriteString(p.Bodies["sms"] + "\n")
	case "chat":
		card, err := indent(r.Chat)
		if err != nil {
			return err
		}
		b.WriteString(card)
	case "all":
		body, err := indent(p.Bodies["default"])
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "Subject: %s\n", p.Subject)
		var attrs []string
		for _, name := range slices.Sorted(maps.Keys(p.Attributes)) {
			attrs = append(attrs, name+"="+p.Attributes[name])
		}
		fmt.Fprintf(&b, "Message attributes: %s\n", strings.Join(attrs, ", "))
		fmt.Fprintf(&b, "\n--- email body (email subscribers)\n%s", p.Bodies["email"])
		fmt.Fprintf(&b, "\n--- JSON body (the default: email-json, https, sqs, lambda and firehose subscribers)\n%s", body)
		fmt.Fprintf(&b, "\n--- SMS text (sms subscribers)\n%s\n", p.Bodies["sms"])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// indent returns a JSON document indented by two spaces, ending with a newline.
func indent(doc string) (string, error) {
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(doc), "", "  "); err != nil {
		return "", fmt.Errorf("not a JSON document: %w", err)
	}
	out.WriteByte('\n')
	return out.String(), nil
}
