package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"linli/db"
)

// shapeLimits refuses a query by its shape before anything runs: too deep (complexity alone
// lets a deep, thin query through), too many aliases (fifty aliased `login`s would get round
// the sign-in throttle), or more than one sign-in per request.
type shapeLimits struct {
	maxDepth   int
	maxAliases int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimits{}

func (shapeLimits) ExtensionName() string                          { return "ShapeLimits" }
func (shapeLimits) Validate(schema graphql.ExecutableSchema) error { return nil }

// signInFields may appear once per request.
var signInFields = map[string]bool{"login": true, "register": true}

func (l shapeLimits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	w := walker{doc: oc.Doc}
	depth := w.walk(oc.Operation.SelectionSet, 1)
	limitErr := func(msg string) *gqlerror.Error {
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": db.EINVALID, "reason": "QUERY_LIMIT_EXCEEDED"}}
	}
	if depth > l.maxDepth {
		return limitErr("查询嵌套太深（" + itoa(depth) + " 层，上限 " + itoa(l.maxDepth) + " 层），请减少嵌套层数")
	}
	if w.aliases > l.maxAliases {
		return limitErr("查询中的别名太多（" + itoa(w.aliases) + " 个，上限 " + itoa(l.maxAliases) + " 个），请拆成几次请求")
	}
	if oc.Operation.Operation == ast.Mutation {
		n := 0
		for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Mutation"}) {
			if signInFields[f.Name] {
				n++
			}
		}
		if n > 1 {
			return limitErr("一次请求只能登录或注册一次")
		}
	}
	return nil
}

// walker measures a selection set, following fragments.
type walker struct {
	doc     *ast.QueryDocument
	aliases int
}

// walk returns the depth of set, whose fields sit at level.
func (w *walker) walk(set ast.SelectionSet, level int) int {
	deepest := level - 1
	for _, sel := range set {
		d := 0
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			d = level
			// Introspection nests type wrappers deeply (GraphiQL's schema query is 15
			// levels) but is bounded by the schema itself: it does not count.
			if len(s.SelectionSet) > 0 && !strings.HasPrefix(s.Name, "__") {
				d = w.walk(s.SelectionSet, level+1)
			}
		case *ast.InlineFragment:
			d = w.walk(s.SelectionSet, level)
		case *ast.FragmentSpread:
			// Validation has already refused fragment cycles.
			if f := w.doc.Fragments.ForName(s.Name); f != nil {
				d = w.walk(f.SelectionSet, level)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
