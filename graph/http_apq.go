package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"linli/db"
)

// Persisted operations. A client may send, instead of the document's text, its id:
//   - automatic persisted queries (APQ, as Apollo Client and urql send them): the SHA-256 of
//     the text in extensions.persistedQuery.sha256Hash. The first time, the server answers
//     PERSISTED_QUERY_NOT_FOUND and the client sends the text with the hash; the server
//     checks the hash and remembers the text (in a bounded LRU cache, per process).
//   - trusted documents: an id registered from the client's manifest (linli documents add),
//     in documentId (the GraphQL-over-HTTP persisted documents proposal) or in the APQ
//     field. With Options.TrustedDocuments on, nothing else runs.
// The guard resolves the id to text before anything else, so a persisted operation is
// parsed, measured and validated like any other, under the same limits.

// Codes of the persisted-operations answers. PersistedQueryNotFound, as message and code, is
// the APQ protocol's own signal (clients compare it to retry with the text), so it is not
// translated: users never see it.
const (
	codePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	codeDocumentNotTrusted     = "DOCUMENT_NOT_TRUSTED"
)

// apqMaxBytes is the largest text the APQ cache keeps, so that 1,000 entries stay within
// tens of MB whatever clients send; a larger document runs but is not remembered.
const apqMaxBytes = 32 << 10

// persisted is the APQ cache and the trusted documents seen so far.
type persisted struct {
	apq *lru.LRU[string]
	// registered remembers documents read from trusted_documents by id: a registered id
	// never changes its text, so no process needs to ask twice.
	registered sync.Map
}

func newPersisted(size int) *persisted {
	return &persisted{apq: lru.New[string](max(size, 1))}
}

// persistedParams are the persisted-operation fields of a request.
type persistedParams struct {
	hash       string // extensions.persistedQuery.sha256Hash
	documentID string // documentId
	// registered is set when the text came from trusted_documents.
	registered bool
	// signInOnly: trusted documents mode lets this text run only if it just signs in.
	signInOnly bool
}

// readPersisted reads extensions.persistedQuery; ext is a JSON object already.
func readPersisted(ext json.RawMessage, documentID json.RawMessage) (persistedParams, *db.Error) {
	var pp persistedParams
	if len(documentID) > 0 && string(documentID) != "null" {
		if json.Unmarshal(documentID, &pp.documentID) != nil || pp.documentID == "" {
			return pp, db.Invalid("documentId", "documentId 应是非空字符串（已登记操作的编号）")
		}
	}
	if len(ext) == 0 || string(ext) == "null" {
		return pp, nil
	}
	var e struct {
		PersistedQuery *struct {
			Version    json.RawMessage `json:"version"`
			Sha256Hash json.RawMessage `json:"sha256Hash"`
		} `json:"persistedQuery"`
	}
	if json.Unmarshal(ext, &e) != nil {
		return pp, db.Invalid("extensions", "extensions 应是 JSON 对象")
	}
	if e.PersistedQuery == nil {
		return pp, nil
	}
	if string(e.PersistedQuery.Version) != "1" {
		return pp, db.Invalid("extensions", "extensions.persistedQuery.version 只支持 1")
	}
	if json.Unmarshal(e.PersistedQuery.Sha256Hash, &pp.hash) != nil || pp.hash == "" {
		return pp, db.Invalid("extensions", "extensions.persistedQuery.sha256Hash 应是非空字符串")
	}
	return pp, nil
}

// resolve fills in p.Query from a persisted id, or refuses the request; it answers and
// returns false on a refusal. Called with the viewer's token known.
func (cfg Options) resolvePersisted(ctx context.Context, w http.ResponseWriter, req *request, p *params) bool {
	id := p.persisted.documentID
	if id == "" {
		id = p.persisted.hash
	}
	refuse := func(status int, code, msg string, more ...any) bool {
		ext := map[string]any{"code": code, "requestId": req.id}
		for i := 0; i+1 < len(more); i += 2 {
			ext[more[i].(string)] = more[i+1]
		}
		writeErrors(w, status, &gqlerror.Error{Message: msg, Extensions: ext})
		return false
	}
	mismatch := func() bool {
		return refuse(http.StatusBadRequest, db.EINVALID, "extensions.persistedQuery.sha256Hash 与 query 文本的 SHA-256 不符", "field", "extensions", "reason", "PERSISTED_QUERY_HASH_MISMATCH")
	}
	notTrusted := func() bool {
		refuseUntrusted(w, req)
		return false
	}
	if id != "" {
		if !cfg.TrustedDocuments && p.persisted.hash != "" && p.persisted.documentID == "" {
			// APQ first, which costs no statement: a text with its hash, or a hash this
			// process remembers.
			hash := strings.ToLower(p.persisted.hash)
			if p.Query != "" {
				if db.DocumentHash(p.Query) != hash {
					return mismatch()
				}
				p.persisted.hash = hash
				return true
			}
			if text, ok := cfg.persisted.apq.Get(ctx, hash); ok {
				p.Query, p.persisted.hash = text, hash
				return true
			}
		}
		text, ok, err := cfg.registeredDocument(ctx, req.store, id)
		if err != nil {
			writeErrors(w, http.StatusServiceUnavailable, presentError(cfg.Logger)(ctx, err))
			return false
		}
		if ok {
			if p.Query != "" && p.Query != text {
				return mismatch()
			}
			p.Query, p.persisted.registered = text, true
			return true
		}
		if cfg.TrustedDocuments && !cfg.developer(ctx) {
			return notTrusted()
		}
		if p.persisted.hash == "" {
			// documentId names registered documents only.
			return refuse(http.StatusOK, codePersistedQueryNotFound, "PersistedQueryNotFound")
		}
		hash := strings.ToLower(p.persisted.hash)
		if p.Query == "" {
			text, ok := cfg.persisted.apq.Get(ctx, hash)
			if !ok {
				return refuse(http.StatusOK, codePersistedQueryNotFound, "PersistedQueryNotFound")
			}
			p.Query = text
		} else if db.DocumentHash(p.Query) != hash {
			return mismatch()
		}
		p.persisted.hash = hash
		return true
	}
	if cfg.TrustedDocuments && !cfg.developer(ctx) {
		if !cfg.TrustedDocumentsDevelopers {
			return notTrusted()
		}
		// A developer signs in from the playground first: a text that only signs in may
		// run, which the guard checks once the document is parsed.
		p.persisted.signInOnly = true
	}
	return true
}

// refuseUntrusted answers a document that trusted documents mode does not run.
func refuseUntrusted(w http.ResponseWriter, req *request) {
	writeErrors(w, http.StatusForbidden, &gqlerror.Error{
		Message:    "本服务只执行已登记的操作：请发送已登记操作的编号（documentId），新操作须由运维人员用 linli documents add 登记",
		Extensions: map[string]any{"code": codeDocumentNotTrusted, "requestId": req.id}})
}

// onlySignsIn reports whether op is a mutation of login fields alone.
func onlySignsIn(op *ast.OperationDefinition) bool {
	if op == nil || op.Operation != ast.Mutation || len(op.SelectionSet) == 0 {
		return false
	}
	for _, sel := range op.SelectionSet {
		if f, ok := sel.(*ast.Field); !ok || f.Name != "login" {
			return false
		}
	}
	return true
}

// registeredDocument is the text registered under id, remembered once read.
func (cfg Options) registeredDocument(ctx context.Context, store *db.Store, id string) (string, bool, error) {
	if text, ok := cfg.persisted.registered.Load(id); ok {
		return text.(string), true, nil
	}
	text, ok, err := store.TrustedDocument(ctx, id)
	if ok {
		cfg.persisted.registered.Store(id, text)
	}
	return text, ok, err
}

// developer reports whether the request may send any document in trusted documents mode:
// the operator allows it (TrustedDocumentsDevelopers) and the viewer holds the admin role
// somewhere, which only the people who run the service are given.
func (cfg Options) developer(ctx context.Context) bool {
	if !cfg.TrustedDocumentsDevelopers {
		return false
	}
	v, err := viewer(ctx)
	if err != nil || v == nil {
		return false
	}
	for _, g := range v.Grants {
		if g.Role == db.RoleAdmin {
			return true
		}
	}
	return false
}

// remember keeps an APQ document that passed validation, for the next hash-only request.
func (cfg Options) rememberPersisted(ctx context.Context, p params) {
	if p.persisted.hash != "" && !p.persisted.registered && len(p.Query) <= apqMaxBytes {
		cfg.persisted.apq.Add(ctx, p.persisted.hash, p.Query)
	}
}

// resolvedDocument hands gqlgen the text the guard resolved, and the persistedQuery
// extension as the guard checked it (lower-case hash), so gqlgen's APQ extension, which
// runs next on the same cache, finds the request in order (and records its statistics);
// for a registered document, whose id need not be a SHA-256, it removes the extension.
type resolvedDocument struct{}

var _ interface {
	graphql.OperationParameterMutator
	graphql.HandlerExtension
} = resolvedDocument{}

func (resolvedDocument) ExtensionName() string                   { return "ResolvedDocument" }
func (resolvedDocument) Validate(graphql.ExecutableSchema) error { return nil }

func (resolvedDocument) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	req := requestFrom(ctx)
	if req == nil || req.doc == nil {
		return nil
	}
	raw.Query = req.query
	if raw.Extensions == nil {
		raw.Extensions = map[string]any{}
	}
	if req.persisted.hash != "" && !req.persisted.registered {
		raw.Extensions["persistedQuery"] = map[string]any{"version": int64(1), "sha256Hash": req.persisted.hash}
	} else {
		delete(raw.Extensions, "persistedQuery")
	}
	return nil
}

// usePersisted adds the extensions to gqlgen's server.
func usePersisted(srv interface {
	Use(graphql.HandlerExtension)
}, p *persisted) {
	srv.Use(resolvedDocument{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: p.apq})
}
