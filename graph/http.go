package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/trace"

	"linli/db"
	"linli/graph/model"
	"linli/graph/playground"
)

// Options hold the API's protections; every one stays on, with a setting.
type Options struct {
	// MaxBodyBytes caps a request body, enforced before it is parsed.
	MaxBodyBytes int64
	// MaxUploadBytes caps a multipart request (a file upload: a roster sheet), and
	// UploadTimeout is its time limit, longer than a query's: a large import takes a while.
	MaxUploadBytes int64
	UploadTimeout  time.Duration
	// MaxDepth, MaxComplexity and MaxAliases refuse a query before it runs.
	MaxDepth, MaxComplexity, MaxAliases int
	// MaxTokens, MaxFields, MaxSetFields and MaxDirectives refuse a document by its
	// size as it is parsed, before the validator (whose cost grows faster than the
	// document) runs: tokens in the text, fields in the operations with fragments
	// expanded, fields in one selection set, directives written.
	MaxTokens, MaxFields, MaxSetFields, MaxDirectives int
	// RequestTimeout cancels a request, and the SQL behind it.
	RequestTimeout time.Duration
	// AllowedOrigins may call the API from a browser on another site (CORS).
	AllowedOrigins []string
	// TrustedProxies are the proxies whose X-Forwarded-For names the client (clientAddress).
	TrustedProxies []netip.Prefix
	// LoaderWait is how long a batch of lookups waits for more keys.
	LoaderWait time.Duration
	Logger     *slog.Logger
	// Tracer, when set, traces each request (observe); nil when tracing is off.
	Tracer trace.Tracer
	// Hub delivers live updates (subscriptions); nil serves none (graph/live.go).
	Hub *db.Hub
	// PersistedQueryCache is how many automatic persisted queries each process remembers.
	PersistedQueryCache int
	// TrustedDocuments runs only documents registered with linli documents add, sent by
	// id; TrustedDocumentsDevelopers still lets a signed-in admin send any text.
	TrustedDocuments, TrustedDocumentsDevelopers bool

	persisted *persisted
	// ordinaryLists turns plainLists off, and plainListSeen hears what it did with each
	// list, for the test that compares the two.
	ordinaryLists bool
	plainListSeen func(plain bool)
}

// DefaultOptions are the options with no settings given.
func DefaultOptions() Options {
	return Options{
		MaxBodyBytes:   1 << 20,
		MaxUploadBytes: 20 << 20,
		UploadTimeout:  2 * time.Minute,
		MaxDepth:       12,
		MaxComplexity:  5000,
		MaxAliases:     20,
		MaxTokens:      10000,
		MaxFields:      1000,
		MaxSetFields:   100,
		MaxDirectives:  100,
		RequestTimeout: 15 * time.Second,
		LoaderWait:     2 * time.Millisecond,
		Logger:         slog.Default(),

		PersistedQueryCache: 1000,
	}
}

// NewHandler returns the whole HTTP service: the GraphQL endpoint at /query, the playground
// at /, /healthz (the process is up) and /readyz (the database answers).
func NewHandler(store *db.Store, cfg Options) http.Handler {
	cfg.persisted = newPersisted(cfg.PersistedQueryCache)
	schema, gql := newGraphQL(store, cfg)
	mux := http.NewServeMux()
	mux.Handle("/query", cfg.guard(schema, gql))
	pg := playground.Handler("linli 邻里", "/query")
	mux.Handle("GET /{$}", pg)
	mux.Handle("GET "+playground.Prefix, pg)
	mux.Handle("GET /schema.graphql", schemaFile(schema))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := store.DB.PingContext(ctx); err != nil {
			cfg.Logger.Warn("database not reachable", "error", err.Error())
			http.Error(w, "database unreachable\n", http.StatusServiceUnavailable)
			return
		}
		// The replica serves the figures: without it they answer UNAVAILABLE.
		if store.Read != nil {
			if err := store.Read.PingContext(ctx); err != nil {
				cfg.Logger.Warn("read replica not reachable", "error", err.Error())
				http.Error(w, "read replica unreachable (figures answer UNAVAILABLE)\n", http.StatusServiceUnavailable)
				return
			}
		}
		io.WriteString(w, "ok\n")
	})
	return cfg.logRequests(compress(cfg.observe(mux, store.Metrics)), store)
}

// newGraphQL returns the schema as served (without @defer and @stream) and the gqlgen
// server that executes a request once guard has parsed, measured and validated it.
func newGraphQL(store *db.Store, cfg Options) (*ast.Schema, *handler.Server) {
	c := Config{Resolvers: &Resolver{Store: store, Hub: cfg.Hub}}
	c.Directives.Personal = personal
	setComplexity(&c.Complexity)
	c.Schema = withoutIncremental(NewExecutableSchema(c).Schema())
	srv := handler.New(NewExecutableSchema(c))
	cfg.addLiveTransports(srv, c.Schema) // WebSocket and SSE, before GET and POST
	// JSON POST, GET for queries only, and multipart POST for uploads (the GraphQL multipart
	// request spec); guard has checked the size and the operation of an upload already.
	// Files up to 8 MB stay in memory, larger ones go to a temporary file.
	srv.AddTransport(transport.GET{})
	srv.AddTransport(rawPOST{})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: cfg.MaxUploadBytes, MaxMemory: 8 << 20})
	// guard has parsed and validated the document: gqlgen takes it from the request.
	srv.SetQueryCache(checkedDocument{})
	srv.SetParserTokenLimit(cfg.MaxTokens)
	usePersisted(srv, cfg.persisted)
	srv.Use(extension.Introspection{})
	srv.Use(extension.FixedComplexityLimit(cfg.MaxComplexity))
	if !cfg.ordinaryLists {
		srv.AroundFields(plainLists(cfg.plainListSeen))
	}
	srv.SetErrorPresenter(presentError(cfg.Logger))
	srv.SetRecoverFunc(recoverPanic(cfg.Logger))
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp != nil {
			resp.Errors = oneErrorPerField(resp.Errors)
			setOutcome(ctx, resp.Errors)
		}
		return resp
	})
	return c.Schema, srv
}

// checkedDocument hands gqlgen the document that guard validated for this request, so it
// is parsed and validated once, under the request's deadline.
type checkedDocument struct{}

func (checkedDocument) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	if r := requestFrom(ctx); r != nil && r.doc != nil && r.query == query {
		return r.doc, true
	}
	return nil, false
}

func (checkedDocument) Add(context.Context, string, *ast.QueryDocument) {}

// setComplexity makes a list cost its page size times what each item costs, so a query for
// 100 × 100 × 100 nested items is refused before it runs.
func setComplexity(c *ComplexityRoot) {
	pageCost := func(child int, first, last *int) int {
		n := defaultPage
		if first != nil {
			n = *first
		} else if last != nil {
			n = *last
		}
		// Past the cap the resolver refuses the page size itself, with a clearer message.
		return 1 + min(max(n, 1), maxPage)*child
	}
	c.Query.Subdistricts = func(child int, first *int, after *string, last *int, before *string) int {
		return pageCost(child, first, last)
	}
	c.Place.Children = func(child int, first *int, after *string, last *int, before *string) int {
		return pageCost(child, first, last)
	}
	c.Query.Residents = func(child int, placeID string, filter *model.ResidentFilter, first *int, after *string, last *int, before *string) int {
		return pageCost(child, first, last)
	}
	c.Query.AuditEvents = func(child int, placeID string, first *int, after *string) int {
		return pageCost(child, first, nil)
	}
	c.Query.Nodes = func(child int, ids []string) int { return 1 + max(len(ids), 1)*child }
}

// guard stands in front of the GraphQL endpoint: it refuses cross-site browser requests,
// bodies over the limit, anything but JSON POST and GET, and bodies of the wrong shape; it
// parses the document and refuses it by its size, its text and its validity before anything
// runs, all under the request's time limit; and it carries the bearer token to the resolvers.
func (cfg Options) guard(schema *ast.Schema, next http.Handler) http.Handler {
	limits := docLimits{tokens: cfg.MaxTokens, fields: cfg.MaxFields, setFields: cfg.MaxSetFields,
		depth: cfg.MaxDepth, aliases: cfg.MaxAliases, directives: cfg.MaxDirectives}
	present := presentError(cfg.Logger)
	checked := newCheckedDocs()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := requestFrom(r.Context())
		// gqlgen writes through out; its multipart transport answers 422 for a malformed
		// form, a request error rather than a document's, so that status stays.
		raw := w
		w = &mediaWriter{ResponseWriter: w, media: responseMedia(r)}
		out := w
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(cfg.AllowedOrigins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			// A browser's script may read the request id (to quote it in a report) and the
			// ETag, and may send its own request id.
			h.Set("Access-Control-Expose-Headers", "X-Request-Id, ETag")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		} else if crossSite(r) {
			writeError(w, req, http.StatusForbidden, db.EFORBIDDEN, "不接受来自其他网站的请求")
			return
		}
		if isWebSocket(r) {
			cfg.serveWebSocket(w, r, req, next)
			return
		}
		var p params
		var bad *db.Error
		timeout := cfg.RequestTimeout
		switch r.Method {
		case http.MethodGet:
			req.bytes = len(r.URL.RawQuery)
			p, bad = getParams(r.URL.RawQuery)
		case http.MethodPost:
			mt, mtParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt == "multipart/form-data" {
				out = raw
				var ok bool
				if p, ok = cfg.multipartParams(w, r, req, mtParams["boundary"]); !ok {
					return
				}
				timeout = max(timeout, cfg.UploadTimeout)
				break
			}
			if mt != "application/json" {
				writeError(w, req, http.StatusUnsupportedMediaType, db.EINVALID, "请用 Content-Type: application/json 发送 POST 请求（上传文件用 multipart/form-data）")
				return
			}
			if r.ContentLength > cfg.MaxBodyBytes {
				req.bytes = int(r.ContentLength)
				writeError(w, req, http.StatusRequestEntityTooLarge, db.EINVALID, tooLarge(cfg.MaxBodyBytes))
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes))
			req.bytes = len(body)
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, req, http.StatusRequestEntityTooLarge, db.EINVALID, tooLarge(cfg.MaxBodyBytes))
				return
			} else if err != nil {
				writeError(w, req, http.StatusBadRequest, db.EINVALID, "请求体读取失败")
				return
			}
			p, bad = postParams(body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, req, http.StatusMethodNotAllowed, db.EINVALID, "只支持 GET（仅查询）和 POST 请求")
			return
		}
		if bad != nil {
			writeErrors(w, http.StatusBadRequest, present(r.Context(), bad))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		if auth := r.Header.Get("Authorization"); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok || strings.TrimSpace(token) == "" {
				token = malformedToken // UNAUTHENTICATED wherever a viewer is needed
			}
			req.token = strings.TrimSpace(token)
		}
		if !cfg.resolvePersisted(ctx, w, req, &p) {
			return
		}

		doc, op, known := checked.get(p.Query, p.OperationName)
		var gerr *gqlerror.Error
		if !known {
			doc, op, gerr = limits.parseChecked(p.Query, p.OperationName)
		}
		if op != nil {
			req.operation, req.kind = op.Name, string(op.Operation)
		}
		if gerr != nil {
			writeErrors(w, statusRefusedDocument, present(ctx, gerr))
			return
		}
		if p.persisted.signInOnly && !onlySignsIn(op) {
			refuseUntrusted(w, req)
			return
		}
		if r.Method == http.MethodGet && op != nil && op.Operation != ast.Query {
			// GraphQL over HTTP: GET must not change anything.
			w.Header().Set("Allow", "POST")
			writeError(w, req, http.StatusMethodNotAllowed, db.EINVALID, "变更操作（mutation）只能用 POST 发送")
			return
		}
		if gerr := variableText(p.Variables); gerr != nil {
			writeErrors(w, statusRefusedDocument, present(ctx, gerr))
			return
		}
		var errs gqlerror.List
		var err error
		if !known {
			errs, err = validate(ctx, schema, doc)
		}
		if err != nil {
			if r.Context().Err() != nil {
				return // the client has gone: nobody reads an answer
			}
			writeErrors(w, http.StatusServiceUnavailable, present(ctx, err))
			return
		}
		if len(errs) > 0 {
			// The first few say what is wrong; thousands would only cost time to translate.
			errs = errs[:min(len(errs), 20)]
			out := make([]*gqlerror.Error, len(errs))
			for i, e := range errs {
				out[i] = present(ctx, e)
			}
			writeErrors(w, statusRefusedDocument, out...)
			return
		}
		if !known {
			checked.add(p.Query, p.OperationName, doc, op)
		}
		req.query, req.doc, req.persisted = p.Query, doc, p.persisted
		cfg.rememberPersisted(ctx, p)

		if op != nil && op.Operation == ast.Subscription {
			ctx = r.Context() // over SSE: it lasts as long as the client listens
		}
		req.wait = cfg.LoaderWait
		req.freshLoaders(ctx)
		if r.Method == http.MethodGet {
			etag := newETagWriter(out, r)
			defer etag.finish()
			out = etag
		}
		next.ServeHTTP(out, r.WithContext(ctx))
	})
}

// multipartParams reads an upload (the GraphQL multipart request spec: the parts
// operations, map, then the files), refusing one over MaxUploadBytes with HTTP 413 and
// INVALID_INPUT on field "file" before reading more of it. It returns the operation, and
// leaves the body for gqlgen's multipart transport to read again; on a refusal it has
// answered and returns false.
func (cfg Options) multipartParams(w http.ResponseWriter, r *http.Request, req *request, boundary string) (params, bool) {
	tooBig := func() (params, bool) {
		writeErrors(w, http.StatusRequestEntityTooLarge, &gqlerror.Error{
			Message:    "上传的文件太大（整个请求上限 " + strconv.FormatInt(cfg.MaxUploadBytes>>20, 10) + " MB），请分成几个文件上传",
			Extensions: map[string]any{"code": db.EINVALID, "field": "file", "reason": "UPLOAD_TOO_LARGE", "requestId": req.id}})
		return params{}, false
	}
	refuse := func(msg string) (params, bool) {
		writeError(w, req, http.StatusBadRequest, db.EINVALID, msg)
		return params{}, false
	}
	if r.ContentLength > cfg.MaxUploadBytes {
		req.bytes = int(r.ContentLength)
		return tooBig()
	}
	if boundary == "" {
		return refuse("multipart/form-data 请求缺少 boundary")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cfg.MaxUploadBytes))
	req.bytes = len(body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooBig()
	} else if err != nil {
		return refuse("请求体读取失败")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "operations" {
		return refuse("上传请求的第一部分应是 operations（GraphQL 请求的 JSON），见 GraphQL multipart request 规范")
	}
	ops, err := io.ReadAll(io.LimitReader(part, cfg.MaxBodyBytes+1))
	if err != nil {
		return refuse("上传请求的 operations 部分读取失败")
	}
	if int64(len(ops)) > cfg.MaxBodyBytes {
		return refuse(tooLarge(cfg.MaxBodyBytes))
	}
	p, bad := postParams(ops)
	if bad != nil {
		writeErrors(w, http.StatusBadRequest, presentError(cfg.Logger)(r.Context(), bad))
		return params{}, false
	}
	if part, err = mr.NextPart(); err != nil || part.FormName() != "map" {
		return refuse("上传请求的第二部分应是 map（文件与变量的对应关系），见 GraphQL multipart request 规范")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return p, true
}

// params are a GraphQL request as the client sent it. Variables stay raw JSON: gqlgen reads
// them, and guard only looks into them for bad text.
type params struct {
	Query, OperationName string
	Variables            json.RawMessage
	persisted            persistedParams
}

// postParams reads a JSON POST body, refusing any other shape than one operation's
// {"query", "operationName", "variables", "extensions"} with INVALID_INPUT. The error never
// repeats the body: it may carry a password.
func postParams(body []byte) (params, *db.Error) {
	var raw struct {
		Query         json.RawMessage `json:"query"`
		OperationName json.RawMessage `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
		DocumentID    json.RawMessage `json:"documentId"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || firstByte(body) != '{' {
		switch {
		case !json.Valid(body):
			return params{}, db.Invalid("", "请求体不是合法的 JSON")
		case firstByte(body) == '[':
			return params{}, db.Invalid("", "不支持批量请求：请求体应是一个 JSON 对象 {\"query\": …}，多个操作请分开发送")
		}
		return params{}, db.Invalid("", "请求体应是一个 JSON 对象，形如 {\"query\": \"…\", \"variables\": {…}}")
	}
	return rawParams(raw.Query, raw.OperationName, raw.Variables, raw.Extensions, raw.DocumentID)
}

// getParams reads a GET request's query string the same way.
func getParams(rawQuery string) (params, *db.Error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return params{}, db.Invalid("", "URL 查询参数格式不正确")
	}
	query, name, vars, ext, docID := json.RawMessage(nil), json.RawMessage(nil), json.RawMessage(nil), json.RawMessage(nil), json.RawMessage(nil)
	if q.Has("query") {
		query, _ = json.Marshal(q.Get("query"))
	}
	if q.Has("documentId") {
		docID, _ = json.Marshal(q.Get("documentId"))
	}
	if q.Has("operationName") && q.Get("operationName") != "" {
		name, _ = json.Marshal(q.Get("operationName"))
	}
	for _, f := range []struct {
		name string
		dst  *json.RawMessage
	}{{"variables", &vars}, {"extensions", &ext}} {
		if v := q.Get(f.name); v != "" {
			if !json.Valid([]byte(v)) {
				return params{}, db.Invalid(f.name, "%s 不是合法的 JSON", f.name)
			}
			*f.dst = json.RawMessage(v)
		}
	}
	return rawParams(query, name, vars, ext, docID)
}

func rawParams(query, name, vars, ext, docID json.RawMessage) (params, *db.Error) {
	var p params
	isNull := func(m json.RawMessage) bool { return len(m) == 0 || string(m) == "null" }
	// Both are valid JSON already: only their kind is checked.
	if !isNull(ext) && firstByte(ext) != '{' {
		return p, db.Invalid("extensions", "extensions 应是 JSON 对象")
	}
	var bad *db.Error
	if p.persisted, bad = readPersisted(ext, docID); bad != nil {
		return p, bad
	}
	byID := p.persisted.hash != "" || p.persisted.documentID != ""
	if isNull(query) && !byID {
		return p, db.Invalid("query", "请求缺少 query（GraphQL 查询文本）")
	}
	if !isNull(query) && json.Unmarshal(query, &p.Query) != nil {
		return p, db.Invalid("query", "query 应是字符串（GraphQL 查询文本）")
	}
	if !isNull(name) && json.Unmarshal(name, &p.OperationName) != nil {
		return p, db.Invalid("operationName", "operationName 应是字符串")
	}
	if !isNull(vars) {
		if firstByte(vars) != '{' {
			return p, db.Invalid("variables", "variables 应是 JSON 对象，键为变量名")
		}
		p.Variables = vars
	}
	return p, nil
}

func firstByte(b []byte) byte {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 {
		return 0
	}
	return b[0]
}

func tooLarge(limit int64) string {
	return "请求体太大（上限 " + strconv.FormatInt(limit/1024, 10) + " KB）"
}

// crossSite reports whether a browser sent r from another site. Tokens travel in the
// Authorization header, never in cookies, so such a request carries no credentials of its
// own; refusing it anyway means no other website can drive the API through a visitor's browser.
func crossSite(r *http.Request) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		return err != nil || u.Host != r.Host
	}
	return r.Header.Get("Sec-Fetch-Site") == "cross-site"
}

// writeError answers a request refused before GraphQL ran, in the GraphQL error shape.
func writeError(w http.ResponseWriter, req *request, status int, code, msg string) {
	ext := map[string]any{"code": code}
	if req != nil {
		ext["requestId"] = req.id
		req.outcome.note(code)
	}
	writeErrors(w, status, &gqlerror.Error{Message: msg, Extensions: ext})
}

// writeErrors answers with errors already in the client's terms.
func writeErrors(w http.ResponseWriter, status int, errs ...*gqlerror.Error) {
	w.Header().Set("Content-Type", contentType(w))
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": errs})
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets a subscription's events (SSE) out as they come.
func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets the WebSocket upgrade reach the connection (http.ResponseController).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// logRequests gives each request an id (the client's X-Request-Id when well formed, see
// requestID; echoed in X-Request-Id and in INTERNAL errors),
// logs it as one JSON line, and turns a panic outside the resolvers into a 500.
func (cfg Options) logRequests(next http.Handler, store *db.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		req := &request{id: requestID(r), store: store, address: clientAddress(r, cfg.TrustedProxies)}
		w.Header().Set("X-Request-Id", req.id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				cfg.Logger.Error("panic in handler", "request_id", req.id, "panic", p)
				writeError(sw, req, http.StatusInternalServerError, db.EINTERNAL, "服务内部错误（请求编号 "+req.id+"）")
			}
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
				return
			}
			// Never the body, the variables or a header: they may carry a password or a
			// token. The operation's name is a GraphQL name taken from the parsed document.
			cfg.Logger.Info("request", "request_id", req.id, "method", r.Method, "path", r.URL.Path,
				"operation", req.operation, "operation_type", req.kind, "bytes", req.bytes,
				"status", sw.status, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r.WithContext(withRequest(r.Context(), req)))
	})
}
