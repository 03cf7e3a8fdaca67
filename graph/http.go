package graph

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
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

	"linli/db"
	"linli/graph/model"
	"linli/graph/playground"
)

// Options hold the API's protections; every one stays on, with a setting.
type Options struct {
	// MaxBodyBytes caps a request body, enforced before it is parsed.
	MaxBodyBytes int64
	// MaxDepth, MaxComplexity and MaxAliases refuse a query before it runs.
	MaxDepth, MaxComplexity, MaxAliases int
	// RequestTimeout cancels a request, and the SQL behind it.
	RequestTimeout time.Duration
	// AllowedOrigins may call the API from a browser on another site (CORS).
	AllowedOrigins []string
	// TrustedProxies are the proxies whose X-Forwarded-For names the client (clientAddress).
	TrustedProxies []netip.Prefix
	// LoaderWait is how long a batch of lookups waits for more keys.
	LoaderWait time.Duration
	Logger     *slog.Logger
}

// DefaultOptions are the options with no settings given.
func DefaultOptions() Options {
	return Options{
		MaxBodyBytes:   1 << 20,
		MaxDepth:       12,
		MaxComplexity:  5000,
		MaxAliases:     20,
		RequestTimeout: 15 * time.Second,
		LoaderWait:     2 * time.Millisecond,
		Logger:         slog.Default(),
	}
}

// NewHandler returns the whole HTTP service: the GraphQL endpoint at /query, the playground
// at /, /healthz (the process is up) and /readyz (the database answers).
func NewHandler(store *db.Store, cfg Options) http.Handler {
	gql := newGraphQL(store, cfg)
	mux := http.NewServeMux()
	mux.Handle("/query", cfg.guard(gql))
	pg := playground.Handler("linli 邻里", "/query")
	mux.Handle("GET /{$}", pg)
	mux.Handle("GET "+playground.Prefix, pg)
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
		io.WriteString(w, "ok\n")
	})
	return cfg.logRequests(mux, store)
}

func newGraphQL(store *db.Store, cfg Options) *handler.Server {
	c := Config{Resolvers: &Resolver{Store: store}}
	c.Directives.Personal = personal
	setComplexity(&c.Complexity)
	srv := handler.New(NewExecutableSchema(c))
	// JSON POST, and GET for queries only: no form or multipart transports.
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.Use(extension.Introspection{})
	srv.Use(shapeLimits{maxDepth: cfg.MaxDepth, maxAliases: cfg.MaxAliases})
	srv.Use(extension.FixedComplexityLimit(cfg.MaxComplexity))
	srv.SetErrorPresenter(presentError(cfg.Logger))
	srv.SetRecoverFunc(recoverPanic(cfg.Logger))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if req := requestFrom(ctx); req != nil {
			req.operation = graphql.GetOperationContext(ctx).OperationName
		}
		return next(ctx)
	})
	return srv
}

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
// bodies over the limit and anything but JSON POST and GET, sets the time limit, and carries
// the bearer token to the resolvers.
func (cfg Options) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := requestFrom(r.Context())
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(cfg.AllowedOrigins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		} else if crossSite(r) {
			writeError(w, req, http.StatusForbidden, db.EFORBIDDEN, "不接受来自其他网站的请求")
			return
		}
		switch r.Method {
		case http.MethodGet:
		case http.MethodPost:
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "application/json" {
				writeError(w, req, http.StatusUnsupportedMediaType, db.EINVALID, "请用 Content-Type: application/json 发送 POST 请求")
				return
			}
			if r.ContentLength > cfg.MaxBodyBytes {
				writeError(w, req, http.StatusRequestEntityTooLarge, db.EINVALID, tooLarge(cfg.MaxBodyBytes))
				return
			}
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, cfg.MaxBodyBytes))
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, req, http.StatusRequestEntityTooLarge, db.EINVALID, tooLarge(cfg.MaxBodyBytes))
				return
			} else if err != nil {
				writeError(w, req, http.StatusBadRequest, db.EINVALID, "请求体读取失败")
				return
			}
			if !json.Valid(body) {
				writeError(w, req, http.StatusBadRequest, db.EINVALID, "请求体不是合法的 JSON")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		default:
			w.Header().Set("Allow", "GET, POST")
			writeError(w, req, http.StatusMethodNotAllowed, db.EINVALID, "只支持 GET（仅查询）和 POST 请求")
			return
		}
		if auth := r.Header.Get("Authorization"); auth != "" {
			token, ok := strings.CutPrefix(auth, "Bearer ")
			if !ok || strings.TrimSpace(token) == "" {
				token = "\x00malformed" // matches no session: UNAUTHENTICATED wherever a viewer is needed
			}
			req.token = strings.TrimSpace(token)
		}
		ctx, cancel := context.WithTimeout(r.Context(), cfg.RequestTimeout)
		defer cancel()
		req.wait = cfg.LoaderWait
		req.loaders.Store(newLoaders(ctx, req.store, cfg.LoaderWait))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
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
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": msg, "extensions": ext}}})
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

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// logRequests gives each request an id (echoed in X-Request-Id and in INTERNAL errors),
// logs it as one JSON line, and turns a panic outside the resolvers into a 500.
func (cfg Options) logRequests(next http.Handler, store *db.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		req := &request{id: newRequestID(), store: store, address: clientAddress(r, cfg.TrustedProxies)}
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
			cfg.Logger.Info("request", "request_id", req.id, "method", r.Method, "path", r.URL.Path,
				"operation", req.operation, "status", sw.status, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r.WithContext(withRequest(r.Context(), req)))
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func itoa(n int) string { return strconv.Itoa(n) }
