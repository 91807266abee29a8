package asl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// isExpression reports whether s is a JSONata expression: "{%" ... "%}".
func isExpression(s string) bool {
	return len(s) >= 4 && strings.HasPrefix(s, "{%") && strings.HasSuffix(s, "%}")
}

// checkExpression checks the "{% %}" delimiters of a string that must be a JSONata expression.
func checkExpression(s string) error {
	if !isExpression(s) {
		return fmt.Errorf("%q is not a JSONata expression: want \"{%% ... %%}\"", s)
	}
	return checkDelimiters(s)
}

// checkDelimiters checks a string that may be a JSONata expression: one that opens with "{%"
// must close with "%}" around a non-empty body, and one that closes with "%}" must open with
// "{%". Other strings are literals.
func checkDelimiters(s string) error {
	opens, closes := strings.HasPrefix(s, "{%"), strings.HasSuffix(s, "%}")
	switch {
	case opens && (!closes || len(s) < 4):
		return fmt.Errorf("%q opens a JSONata expression with \"{%%\" but does not close it with \"%%}\"", s)
	case closes && !opens:
		return fmt.Errorf("%q closes a JSONata expression with \"%%}\" but does not open it with \"{%%\"", s)
	case opens && strings.TrimSpace(s[2:len(s)-2]) == "":
		return fmt.Errorf("%q is an empty JSONata expression", s)
	}
	return nil
}

// checkPath checks a JSONPath as Step Functions accepts it: "$" (the input), "$$" (the
// context object) or "$name" (a variable), followed by ".name", "['name']", "[n]" and, unless
// ref is set (a reference path, such as ResultPath), also "..", "*", "[a:b]", "[a,b]" and
// "[?(...)]" filters.
func checkPath(p string, ref bool) error {
	if p == "" {
		return errors.New("empty path")
	}
	if p[0] != '$' {
		return fmt.Errorf("path %q must start with \"$\"", p)
	}
	i := 1
	if i < len(p) && p[i] == '$' {
		i++
	} else if i < len(p) && isIdentStart(p[i]) {
		for i < len(p) && isIdentPart(p[i]) {
			i++
		}
	}
	notRef := func(what string) error {
		return fmt.Errorf("path %q is not a reference path: %s is not allowed", p, what)
	}
	for i < len(p) {
		switch p[i] {
		case '.':
			i++
			if i < len(p) && p[i] == '.' {
				if ref {
					return notRef(`".."`)
				}
				i++
			}
			if i < len(p) && p[i] == '*' {
				if ref {
					return notRef(`"*"`)
				}
				i++
				continue
			}
			start := i
			for i < len(p) && p[i] != '.' && p[i] != '[' {
				if strings.IndexByte("]()*@?,:'\" \t\n", p[i]) >= 0 {
					return fmt.Errorf("path %q: unexpected %q at offset %d", p, p[i], i)
				}
				i++
			}
			if i == start {
				return fmt.Errorf("path %q: empty field name at offset %d", p, start)
			}
		case '[':
			end, err := bracketEnd(p, i)
			if err != nil {
				return err
			}
			if err := checkBracket(p, p[i+1:end], ref); err != nil {
				return err
			}
			i = end + 1
		default:
			return fmt.Errorf("path %q: unexpected %q at offset %d", p, p[i], i)
		}
	}
	return nil
}

// bracketEnd returns the index of the "]" that closes the "[" at open, skipping quoted names
// and parenthesised filter expressions.
func bracketEnd(p string, open int) (int, error) {
	depth := 0
	var quote byte
	for i := open + 1; i < len(p); i++ {
		c := p[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ']' && depth == 0:
			return i, nil
		}
	}
	return 0, fmt.Errorf("path %q: \"[\" at offset %d is not closed", p, open)
}

func checkBracket(p, inner string, ref bool) error {
	notRef := func(what string) error {
		return fmt.Errorf("path %q is not a reference path: %s is not allowed", p, what)
	}
	switch {
	case inner == "":
		return fmt.Errorf("path %q: empty brackets", p)
	case inner == "*":
		if ref {
			return notRef(`"[*]"`)
		}
		return nil
	case strings.HasPrefix(inner, "?(") || strings.HasPrefix(inner, "("):
		if !strings.HasSuffix(inner, ")") {
			return fmt.Errorf("path %q: filter %q is not closed with \")\"", p, inner)
		}
		if ref {
			return notRef("a filter expression")
		}
		return nil
	case inner[0] == '\'' || inner[0] == '"':
		if len(inner) < 3 || inner[len(inner)-1] != inner[0] {
			return fmt.Errorf("path %q: quoted name %s is not closed or empty", p, inner)
		}
		return nil
	}
	if strings.ContainsAny(inner, ":,") {
		if ref {
			return notRef(fmt.Sprintf("%q", "["+inner+"]"))
		}
		for _, part := range strings.FieldsFunc(inner, func(r rune) bool { return r == ':' || r == ',' }) {
			if _, err := strconv.Atoi(strings.TrimSpace(part)); err != nil {
				return fmt.Errorf("path %q: %q is not an index, slice or union of indexes", p, "["+inner+"]")
			}
		}
		return nil
	}
	n, err := strconv.Atoi(inner)
	if err != nil {
		return fmt.Errorf("path %q: %q is not an index", p, "["+inner+"]")
	}
	if n < 0 && ref {
		return notRef("a negative index")
	}
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9'
}

// intrinsicArity gives the argument counts of the intrinsic functions: min and max (-1: any).
var intrinsicArity = map[string][2]int{
	"States.Format":         {1, -1},
	"States.StringToJson":   {1, 1},
	"States.JsonToString":   {1, 1},
	"States.Array":          {0, -1},
	"States.ArrayPartition": {2, 2},
	"States.ArrayContains":  {2, 2},
	"States.ArrayRange":     {3, 3},
	"States.ArrayGetItem":   {2, 2},
	"States.ArrayLength":    {1, 1},
	"States.ArrayUnique":    {1, 1},
	"States.Base64Encode":   {1, 1},
	"States.Base64Decode":   {1, 1},
	"States.Hash":           {2, 2},
	"States.JsonMerge":      {3, 3},
	"States.MathRandom":     {2, 3},
	"States.MathAdd":        {2, 2},
	"States.StringSplit":    {2, 2},
	"States.UUID":           {0, 0},
}

// checkPathOrIntrinsic checks the value of a ".$" payload template key: a path or an
// intrinsic function call.
func checkPathOrIntrinsic(s string) error {
	if strings.HasPrefix(s, "States.") {
		return checkIntrinsic(s)
	}
	return checkPath(s, false)
}

// checkIntrinsic checks an intrinsic function call such as States.Format('{}', $.name): a
// known function, balanced syntax, argument count, and each argument a quoted string, number,
// boolean, null, path or nested call.
func checkIntrinsic(s string) error {
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return fmt.Errorf("intrinsic %q: want States.Name(arguments)", s)
	}
	name := s[:open]
	arity, ok := intrinsicArity[name]
	if !ok {
		return fmt.Errorf("intrinsic %q: unknown function %q", s, name)
	}
	args, err := splitArgs(s[open+1 : len(s)-1])
	if err != nil {
		return fmt.Errorf("intrinsic %q: %w", s, err)
	}
	if len(args) < arity[0] || (arity[1] >= 0 && len(args) > arity[1]) {
		want := strconv.Itoa(arity[0])
		if arity[1] < 0 {
			want = "at least " + want
		} else if arity[1] != arity[0] {
			want += " to " + strconv.Itoa(arity[1])
		}
		return fmt.Errorf("intrinsic %q: %s takes %s arguments, got %d", s, name, want, len(args))
	}
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "'"):
			// splitArgs checked the quoting.
		case strings.HasPrefix(a, "$"):
			if err := checkPath(a, false); err != nil {
				return fmt.Errorf("intrinsic %q: %w", s, err)
			}
		case strings.HasPrefix(a, "States."):
			if err := checkIntrinsic(a); err != nil {
				return err
			}
		case a == "true" || a == "false" || a == "null":
		default:
			if _, err := strconv.ParseFloat(a, 64); err != nil {
				return fmt.Errorf("intrinsic %q: argument %q is not a string, number, boolean, null, path or function call", s, a)
			}
		}
	}
	if name == "States.Format" {
		tmpl := args[0]
		if !strings.HasPrefix(tmpl, "'") {
			return fmt.Errorf("intrinsic %q: the first argument of States.Format must be a quoted template", s)
		}
		if n := countPlaceholders(tmpl); n != len(args)-1 {
			return fmt.Errorf("intrinsic %q: the template has %d {} placeholders but %d arguments follow it", s, n, len(args)-1)
		}
	}
	return nil
}

// splitArgs splits an intrinsic's argument list at top-level commas.
func splitArgs(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var args []string
	depth, start := 0, 0
	inQuote := false
	for i := 0; i < len(list); i++ {
		c := list[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '\'' {
				inQuote = false
			}
		case c == '\'':
			inQuote = true
		case c == '(' || c == '[':
			depth++
		case c == ')' || c == ']':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced %q", c)
			}
		case c == ',' && depth == 0:
			args = append(args, strings.TrimSpace(list[start:i]))
			start = i + 1
		}
	}
	if inQuote {
		return nil, errors.New("unterminated quoted string")
	}
	if depth != 0 {
		return nil, errors.New("unbalanced parentheses or brackets")
	}
	args = append(args, strings.TrimSpace(list[start:]))
	for _, a := range args {
		if a == "" {
			return nil, errors.New("empty argument")
		}
		if a[0] == '\'' && (len(a) < 2 || a[len(a)-1] != '\'') {
			return nil, fmt.Errorf("argument %s has text after its closing quote", a)
		}
	}
	return args, nil
}

// countPlaceholders counts the unescaped "{}" in a quoted States.Format template.
func countPlaceholders(tmpl string) int {
	n := 0
	for i := 0; i < len(tmpl)-1; i++ {
		if tmpl[i] == '\\' {
			i++
			continue
		}
		if tmpl[i] == '{' && tmpl[i+1] == '}' {
			n++
		}
	}
	return n
}
