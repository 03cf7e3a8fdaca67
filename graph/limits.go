package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"linli/db"
)

// docLimits refuse a document by its shape, measured on the parsed text before the
// validator runs: the validator's cost grows faster than quadratically with repeated
// fields, so a 100 KB body of `__typename` once took 20 s of CPU. Parsing stops at the
// token limit, and the walk below follows each fragment once, so the whole check costs
// time in proportion to the tokens allowed.
type docLimits struct {
	tokens     int // lexical tokens in the document
	fields     int // fields in all operations, each fragment counted wherever it is spread
	setFields  int // fields in one selection set, its fragments' fields included
	depth      int // deepest field nesting of the operation to run
	aliases    int // aliased fields in the operation to run
	directives int // directives written in the document
}

func (l docLimits) refuse(format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": db.EINVALID, "reason": "QUERY_LIMIT_EXCEEDED"}}
}

// signInFields may appear once per request: fifty aliased `login`s would get round the
// sign-in throttle.
var signInFields = map[string]bool{"login": true, "register": true}

// unsupportedDirectives are declared by gqlgen's prelude, but our transports deliver no
// incremental responses: a document using them is refused, and the schema does not list them.
var unsupportedDirectives = map[string]bool{"defer": true, "stream": true}

// shape is what the limits measure of a selection set, fragments expanded.
type shape struct {
	fields  int // fields at any depth
	flat    int // fields merged into this set itself
	depth   int // levels of fields (1 for a set of leaves)
	aliases int
	signIns int            // login/register fields in this set itself
	names   map[string]int // how often each response name is merged into this set
}

// maxRepeats is how often one response name may be merged into one selection set (a field
// and the same field from fragments). The validator compares every pair of them, and
// their subselections pair by pair, so repeats cost the square of their number at each
// level; legitimate documents repeat a field a few times, from a few fragments.
const maxRepeats = 20

// capped adds without overflowing: a fragment spread twice in each of 60 nested fragments
// expands to 2^60 fields, which must still compare as "too many".
func capped(a, b int) int { return min(a+b, 1<<40) }

// measurer walks a document once, remembering each fragment's shape.
type measurer struct {
	l          docLimits
	doc        *ast.QueryDocument
	frags      map[string]*shape
	visiting   map[string]bool
	directives int
	err        *gqlerror.Error
}

// parseChecked parses query and refuses it, before any validation, when it breaks a limit,
// uses @defer or @stream, or holds a control character in a string. It returns the
// document and the operation that would run (nil when none matches opName: validation
// then says why).
func (l docLimits) parseChecked(query, opName string) (*ast.QueryDocument, *ast.OperationDefinition, *gqlerror.Error) {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.tokens)
	if err != nil {
		gerr, ok := err.(*gqlerror.Error)
		if !ok {
			gerr = gqlerror.Wrap(err)
		}
		if strings.HasPrefix(gerr.Message, "exceeded token limit") {
			return nil, nil, l.refuse("查询太长（超过 %d 个词法单元），请拆成几次请求", l.tokens)
		}
		gerr.Extensions = map[string]any{"code": "GRAPHQL_PARSE_FAILED"}
		return nil, nil, gerr
	}
	if len(doc.Operations) == 0 {
		return nil, nil, &gqlerror.Error{Message: "请求中没有任何操作（query 为空或只有片段）",
			Extensions: map[string]any{"code": db.EINVALID}}
	}
	m := &measurer{l: l, doc: doc, frags: map[string]*shape{}, visiting: map[string]bool{}}
	total := 0
	for _, op := range doc.Operations {
		m.directives += len(op.Directives)
		for _, v := range op.VariableDefinitions {
			m.directives += len(v.Directives)
		}
		s := m.set(op.SelectionSet)
		if m.err != nil {
			return nil, nil, m.err
		}
		total = capped(total, s.fields)
	}
	for _, f := range doc.Fragments {
		m.directives += len(f.Directives)
		m.fragment(f.Name)
		if m.err != nil {
			return nil, nil, m.err
		}
	}
	if total > l.fields {
		return nil, nil, l.refuse("查询中的字段太多（展开片段后超过 %d 个），请拆成几次请求", l.fields)
	}
	if m.directives > l.directives {
		return nil, nil, l.refuse("查询中的指令太多（%d 个，上限 %d 个）", m.directives, l.directives)
	}
	op := doc.Operations.ForName(opName)
	if op != nil {
		s := m.set(op.SelectionSet) // remembered fragments make this second walk cheap
		if s.depth > l.depth {
			return nil, nil, l.refuse("查询嵌套太深（%d 层，上限 %d 层），请减少嵌套层数", s.depth, l.depth)
		}
		if s.aliases > l.aliases {
			return nil, nil, l.refuse("查询中的别名太多（%d 个，上限 %d 个），请拆成几次请求", s.aliases, l.aliases)
		}
		if op.Operation == ast.Mutation && s.signIns > 1 {
			return nil, nil, l.refuse("一次请求只能登录或注册一次")
		}
	}
	if err := literalText(doc); err != nil {
		return nil, nil, err
	}
	return doc, op, nil
}

// set measures a selection set. Errors stop the walk and are kept in m.err.
func (m *measurer) set(sels ast.SelectionSet) shape {
	s := shape{names: map[string]int{}}
	for _, sel := range sels {
		if m.err != nil {
			return s
		}
		var sub shape
		switch x := sel.(type) {
		case *ast.Field:
			m.directive(x.Directives)
			s.fields = capped(s.fields, 1)
			s.flat = capped(s.flat, 1)
			s.names[x.Alias]++
			if x.Alias != "" && x.Alias != x.Name {
				s.aliases++
			}
			if signInFields[x.Name] {
				s.signIns++
			}
			if len(x.SelectionSet) == 0 {
				s.depth = max(s.depth, 1)
				continue
			}
			child := m.set(x.SelectionSet)
			s.fields = capped(s.fields, child.fields)
			s.aliases = capped(s.aliases, child.aliases)
			// Introspection nests type wrappers deeply (GraphiQL's schema query is 15
			// levels) but is bounded by the schema itself: it does not count.
			if strings.HasPrefix(x.Name, "__") {
				s.depth = max(s.depth, 1)
			} else {
				s.depth = max(s.depth, 1+child.depth)
			}
			continue
		case *ast.InlineFragment:
			m.directive(x.Directives)
			sub = m.set(x.SelectionSet)
		case *ast.FragmentSpread:
			m.directive(x.Directives)
			if f := m.fragment(x.Name); f != nil {
				sub = *f
			}
		}
		s.fields = capped(s.fields, sub.fields)
		s.flat = capped(s.flat, sub.flat)
		s.depth = max(s.depth, sub.depth)
		s.aliases = capped(s.aliases, sub.aliases)
		s.signIns = capped(s.signIns, sub.signIns)
		for name, n := range sub.names {
			s.names[name] += n
		}
	}
	if m.err != nil {
		return s
	}
	if s.flat > m.l.setFields {
		m.err = m.l.refuse("一个选择集中的字段太多（超过 %d 个），请拆成几次请求", m.l.setFields)
		return s
	}
	for name, n := range s.names {
		if n > maxRepeats {
			m.err = m.l.refuse("字段 %s 在同一层重复了 %d 次（上限 %d 次），请去掉重复", name, n, maxRepeats)
			return s
		}
	}
	return s
}

// fragment measures a named fragment once; nil for one the document does not define.
func (m *measurer) fragment(name string) *shape {
	if s, ok := m.frags[name]; ok {
		return s
	}
	f := m.doc.Fragments.ForName(name)
	if f == nil {
		return nil // validation names the unknown fragment
	}
	if m.visiting[name] {
		if m.err == nil {
			m.err = &gqlerror.Error{Message: fmt.Sprintf("片段 %s 直接或间接地引用了自己", name),
				Extensions: map[string]any{"code": db.EINVALID}}
		}
		return nil
	}
	m.visiting[name] = true
	s := m.set(f.SelectionSet)
	m.visiting[name] = false
	m.frags[name] = &s
	return &s
}

func (m *measurer) directive(ds ast.DirectiveList) {
	m.directives += len(ds)
	for _, d := range ds {
		if unsupportedDirectives[d.Name] && m.err == nil {
			m.err = &gqlerror.Error{
				Message:    fmt.Sprintf("不支持 @%s：本服务一次返回完整结果，请去掉这个指令", d.Name),
				Extensions: map[string]any{"code": db.EINVALID, "field": "@" + d.Name},
			}
		}
	}
}

// badText reports whether s is text the database refuses or no person writes: invalid
// UTF-8, NUL (PostgreSQL refuses it in text and in jsonb), or any other control character
// but tab and line breaks.
func badText(s string) bool {
	if !utf8.ValidString(s) {
		return true
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return true
		}
	}
	return false
}

func badTextError(field string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("%s 含有不允许的控制字符（如 \\u0000），只能有文字、制表符和换行", field),
		Extensions: map[string]any{"code": db.EINVALID, "field": field},
	}
}

// literalText refuses a string literal anywhere in the document that holds bad text,
// naming the argument or input field it is given for. Checking here, once, keeps such text
// from every resolver and every SQL statement.
func literalText(doc *ast.QueryDocument) *gqlerror.Error {
	var err *gqlerror.Error
	var value func(field string, v *ast.Value)
	value = func(field string, v *ast.Value) {
		if v == nil || err != nil {
			return
		}
		switch v.Kind {
		case ast.StringValue, ast.BlockValue:
			if badText(v.Raw) {
				err = badTextError(field)
			}
		case ast.ListValue:
			for _, c := range v.Children {
				value(field, c.Value)
			}
		case ast.ObjectValue:
			for _, c := range v.Children {
				value(c.Name, c.Value)
			}
		}
	}
	directives := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				value(a.Name, a.Value)
			}
		}
	}
	var set func(ast.SelectionSet)
	set = func(sels ast.SelectionSet) {
		for _, sel := range sels {
			switch x := sel.(type) {
			case *ast.Field:
				for _, a := range x.Arguments {
					value(a.Name, a.Value)
				}
				directives(x.Directives)
				set(x.SelectionSet)
			case *ast.InlineFragment:
				directives(x.Directives)
				set(x.SelectionSet)
			case *ast.FragmentSpread:
				directives(x.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			value(v.Variable, v.DefaultValue)
		}
		directives(op.Directives)
		set(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		directives(f.Directives)
		set(f.SelectionSet)
	}
	return err
}

// variableText refuses bad text anywhere in the request's variables (raw JSON, an object),
// naming the innermost input field (or else the variable) that holds it. JSON escapes every
// control character but DEL, so text without `\u00` and DEL is clean, and a large body
// is scanned, not decoded.
func variableText(vars json.RawMessage) *gqlerror.Error {
	suspect := func(raw []byte) bool {
		return bytes.Contains(raw, []byte(`\u00`)) || bytes.IndexByte(raw, 0x7f) >= 0
	}
	if !suspect(vars) {
		return nil
	}
	var bad func(field string, v any) (string, bool)
	bad = func(field string, v any) (string, bool) {
		switch x := v.(type) {
		case string:
			return field, badText(x)
		case []any:
			for _, e := range x {
				if f, ok := bad(field, e); ok {
					return f, true
				}
			}
		case map[string]any:
			for k, e := range x {
				if badText(k) {
					return field, true
				}
				if f, ok := bad(k, e); ok {
					return f, true
				}
			}
		}
		return "", false
	}
	// Decode only the variable that holds the suspect text, not a map of all of them.
	dec := json.NewDecoder(bytes.NewReader(vars))
	if _, err := dec.Token(); err != nil { // {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		name, _ := t.(string)
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return nil
		}
		if badText(name) {
			return badTextError("variables")
		}
		if !suspect(raw) {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return nil
		}
		if field, ok := bad(name, v); ok {
			return badTextError(field)
		}
	}
	return nil
}

// validate runs the GraphQL validator under ctx: a request past its deadline, or whose
// client has gone, does not wait for it. The limits above keep it cheap; this is the
// backstop. A panic in the validator is an error for this request, not a crash.
func validate(ctx context.Context, schema *ast.Schema, doc *ast.QueryDocument) (gqlerror.List, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	done := make(chan gqlerror.List, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- gqlerror.List{{Message: fmt.Sprintf("validator panic: %v", p)}}
			}
		}()
		rs := rules.NewDefaultRules()
		// Suggestions ("Did you mean …") are translated, so keep the rules that make them.
		rs.RemoveRule("FieldsOnCorrectTypeWithoutSuggestions")
		rs.AddRule(rules.FieldsOnCorrectTypeRule.Name, rules.FieldsOnCorrectTypeRule.RuleFunc)
		rs.RemoveRule("ScalarLeafsWithoutSuggestions")
		rs.AddRule(rules.ScalarLeafsRule.Name, rules.ScalarLeafsRule.RuleFunc)
		errs := validator.ValidateWithRules(schema, doc, rs)
		for _, e := range errs {
			e.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
		}
		done <- errs
	}()
	select {
	case errs := <-done:
		return errs, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// withoutIncremental is the schema without @defer and @stream, so introspection does not
// offer what the service does not deliver.
func withoutIncremental(s *ast.Schema) *ast.Schema {
	c := *s
	c.Directives = maps.Clone(s.Directives)
	for name := range unsupportedDirectives {
		delete(c.Directives, name)
	}
	return &c
}
