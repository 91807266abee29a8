package asl

import (
	"strings"
	"testing"
)

func TestCheckPath(t *testing.T) {
	tests := []struct {
		path    string
		ref     bool
		wantErr string // substring; "" means valid
	}{
		{path: "$", ref: true},
		{path: "$$", ref: true},
		{path: "$.a.b", ref: true},
		{path: "$.a[0].b", ref: true},
		{path: "$['a b'].c", ref: true},
		{path: `$["x"]`, ref: true},
		{path: "$$.Execution.Input", ref: true},
		{path: "$$.Map.Item.Value", ref: true},
		{path: "$myVar.field", ref: true},
		{path: "$.a-b_c", ref: true},
		{path: "$.a[*]"},
		{path: "$..name"},
		{path: "$.*"},
		{path: "$.a[1:3]"},
		{path: "$.a[0,2]"},
		{path: "$.a[-1]"},
		{path: "$.a[?(@.b > 1)]"},
		{path: "$.a[(@.length-1)]"},
		{path: "$.a[*]", ref: true, wantErr: `"[*]" is not allowed`},
		{path: "$..name", ref: true, wantErr: `".." is not allowed`},
		{path: "$.*", ref: true, wantErr: `"*" is not allowed`},
		{path: "$.a[1:3]", ref: true, wantErr: `"[1:3]" is not allowed`},
		{path: "$.a[-1]", ref: true, wantErr: "a negative index is not allowed"},
		{path: "$.a[?(@.b)]", ref: true, wantErr: "a filter expression is not allowed"},
		{path: "", wantErr: "empty path"},
		{path: "a.b", wantErr: `must start with "$"`},
		{path: "$.", wantErr: "empty field name"},
		{path: "$.a..", wantErr: "empty field name"},
		{path: "$.a b", wantErr: `unexpected ' '`},
		{path: "$a.b(", wantErr: `unexpected '('`},
		{path: "$x!", wantErr: `unexpected '!'`},
		{path: "$.a[", wantErr: "is not closed"},
		{path: "$.a[]", wantErr: "empty brackets"},
		{path: "$.a[x]", wantErr: `"[x]" is not an index`},
		{path: "$.a[1:x]", wantErr: "is not an index, slice or union"},
		{path: "$.a['b]", wantErr: "is not closed"},
		{path: "$.a['']", wantErr: "is not closed or empty"},
		{path: "$.a[?(@.b]", wantErr: "is not closed"},
		{path: "$.a[(@.b]", wantErr: "is not closed"},
	}
	for _, tc := range tests {
		err := checkPath(tc.path, tc.ref)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("checkPath(%q, ref=%v) = %v, want nil", tc.path, tc.ref, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("checkPath(%q, ref=%v) = %v, want an error containing %q", tc.path, tc.ref, err, tc.wantErr)
		}
	}
}

func TestCheckIntrinsic(t *testing.T) {
	tests := []struct {
		expr    string
		wantErr string
	}{
		{expr: "States.Format('Hello, {}', $.name)"},
		{expr: `States.Format('a \{literal\} {} and \'quoted\'', $.x)`},
		{expr: "States.Format('no placeholders')"},
		{expr: "States.StringToJson($.s)"},
		{expr: "States.JsonToString($)"},
		{expr: "States.Array(1, 'two', $.three, true, null, States.UUID())"},
		{expr: "States.Array()"},
		{expr: "States.ArrayPartition($.a, 4)"},
		{expr: "States.ArrayContains($.a, $.b)"},
		{expr: "States.ArrayRange(1, 9, 2)"},
		{expr: "States.ArrayGetItem($.a, $.i)"},
		{expr: "States.ArrayLength($.items[*])"},
		{expr: "States.ArrayUnique($.a)"},
		{expr: "States.Base64Encode($.s)"},
		{expr: "States.Base64Decode($.s)"},
		{expr: "States.Hash($.s, 'SHA-256')"},
		{expr: "States.JsonMerge($.a, $.b, false)"},
		{expr: "States.MathRandom(1, 100)"},
		{expr: "States.MathRandom(1, 100, $.seed)"},
		{expr: "States.MathAdd($.n, -1.5)"},
		{expr: "States.StringSplit($.s, ',')"},
		{expr: "States.UUID()"},
		{expr: "States.Format('{}', States.ArrayGetItem($.a[?(@.x, 1)], 0))"},
		{expr: "$.path.instead"},
		{expr: "States.UUID", wantErr: "want States.Name(arguments)"},
		{expr: "States.Nope($)", wantErr: `unknown function "States.Nope"`},
		{expr: "States.UUID($)", wantErr: "States.UUID takes 0 arguments, got 1"},
		{expr: "States.MathRandom(1)", wantErr: "takes 2 to 3 arguments, got 1"},
		{expr: "States.Format()", wantErr: "takes at least 1 arguments, got 0"},
		{expr: "States.Format($.t, $.x)", wantErr: "must be a quoted template"},
		{expr: "States.Format('{}')", wantErr: "1 {} placeholders but 0 arguments"},
		{expr: "States.ArrayLength('unterminated)", wantErr: "unterminated quoted string"},
		{expr: "States.MathAdd($.a, )", wantErr: "empty argument"},
		{expr: "States.MathAdd($.a]), 1)", wantErr: "unbalanced"},
		{expr: "States.MathAdd(($.a, 1)", wantErr: "unbalanced"},
		{expr: "States.MathAdd(one, 1)", wantErr: `argument "one" is not`},
		{expr: "States.MathAdd('a'b, 1)", wantErr: "text after its closing quote"},
		{expr: "States.ArrayLength($.a[)", wantErr: "unbalanced"},
		{expr: "States.ArrayLength($.a b)", wantErr: "unexpected ' '"},
		{expr: "States.Array(States.Nope())", wantErr: `unknown function "States.Nope"`},
	}
	for _, tc := range tests {
		err := checkPathOrIntrinsic(tc.expr)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("checkPathOrIntrinsic(%q) = %v, want nil", tc.expr, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("checkPathOrIntrinsic(%q) = %v, want an error containing %q", tc.expr, err, tc.wantErr)
		}
	}
}

func TestCheckDelimiters(t *testing.T) {
	tests := []struct {
		s       string
		wantErr string
	}{
		{s: "plain"},
		{s: "{% $x %}"},
		{s: "100% sure"},
		{s: "{%%}", wantErr: "empty JSONata expression"},
		{s: "{%  %}", wantErr: "empty JSONata expression"},
		{s: "{%", wantErr: "does not close it"},
		{s: "{% $x", wantErr: "does not close it"},
		{s: "$x %}", wantErr: "does not open it"},
	}
	for _, tc := range tests {
		err := checkDelimiters(tc.s)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("checkDelimiters(%q) = %v, want nil", tc.s, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("checkDelimiters(%q) = %v, want an error containing %q", tc.s, err, tc.wantErr)
		}
	}
	if err := checkExpression("plain"); err == nil || !strings.Contains(err.Error(), "is not a JSONata expression") {
		t.Errorf("checkExpression(plain) = %v, want not-an-expression", err)
	}
}
