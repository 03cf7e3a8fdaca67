package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
)

// checkedDocs remembers documents that passed every check (parseChecked's limits and the
// validator), by their text and the operation asked for: an app sends the same few
// documents again and again, and parsing and validating one again cost a twentieth of a
// feed request's CPU. What depends on the request (its variables, GET or POST, a
// persisted query's rights) is still checked every time. A remembered document is shared
// by the requests that run it, which only read it, as gqlgen's own query cache does.
type checkedDocs struct{ lru *lru.LRU[checkedDoc] }

type checkedDoc struct {
	doc *ast.QueryDocument
	op  *ast.OperationDefinition
}

// Only short documents are remembered, a few hundred of them: a client sending endless
// distinct long documents cannot make the cache hold more than a few megabytes.
const (
	checkedDocsMax     = 256
	checkedDocMaxBytes = 4 << 10
)

func newCheckedDocs() checkedDocs { return checkedDocs{lru: lru.New[checkedDoc](checkedDocsMax)} }

func checkedKey(query, opName string) string { return opName + "\x00" + query }

// get returns the document and operation remembered for query and opName.
func (c checkedDocs) get(query, opName string) (*ast.QueryDocument, *ast.OperationDefinition, bool) {
	if len(query) > checkedDocMaxBytes {
		return nil, nil, false
	}
	d, ok := c.lru.Get(context.Background(), checkedKey(query, opName))
	return d.doc, d.op, ok
}

// add remembers a document that passed every check.
func (c checkedDocs) add(query, opName string, doc *ast.QueryDocument, op *ast.OperationDefinition) {
	if len(query) <= checkedDocMaxBytes && op != nil {
		c.lru.Add(context.Background(), checkedKey(query, opName), checkedDoc{doc, op})
	}
}
