package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"linli/db"
)

// Live updates (subscriptions) reach clients over WebSocket (graphql-ws: the
// graphql-transport-ws subprotocol and the legacy graphql-ws one) and over server-sent events
// (graphql-sse, distinct connections: a POST with Accept: text/event-stream). Events come from
// the database through db.Hub, so a change made by any process reaches subscribers on all.
//
// How to add a subscription: give migration triggers a channel and a payload of ids (see
// db.Hub), add the field to the Subscription block of schema.graphqls, and write its resolver
// with subscribe: a liveSpec names the hub tunes to listen to, allowed (may the viewer go on
// subscribing? called at the start and whenever their account changed) and handle (the
// values to send for a note; a note with Resync, the first call included, means "read the
// current state again": the listener reconnected or the subscriber fell behind). handle runs
// with a fresh request for every note (its own loaders, the viewer as of the last account
// change), so everything it reads and every field the client selects is read anew and checked
// against the viewer's rights as they are now, through the same code as the queries.

// wsCloseForbidden closes a WebSocket whose sign-in is refused (graphql-ws's 4403).
const wsCloseForbidden = 4403

// addLiveTransports adds the WebSocket and SSE transports; they go before GET and POST,
// which would otherwise take a WebSocket upgrade (a GET) and an SSE request (a POST).
func (cfg Options) addLiveTransports(srv *handler.Server, schema *ast.Schema) {
	srv.AddTransport(transport.Websocket{
		// guard checked the Origin against AllowedOrigins before the upgrade.
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: coderws.AcceptOptions{InsecureSkipVerify: true}},
		InitFunc:              initLive,
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 25 * time.Second,
		PingPongInterval:      25 * time.Second,
		PayloadReadLimit:      &cfg.MaxBodyBytes,
	})
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: 25 * time.Second})
	srv.Use(wsLimits{cfg: cfg, schema: schema})
	srv.AroundOperations(cfg.liveOperation)
	srv.AroundResponses(liveResponse)
}

// isWebSocket reports whether r asks to upgrade to a WebSocket.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// serveWebSocket hands an upgrade (its Origin already checked by guard) to gqlgen's
// WebSocket transport. The connection has no time limit; its operations are checked one by
// one (wsLimits) and sign in with connection_init's payload (initLive).
func (cfg Options) serveWebSocket(w http.ResponseWriter, r *http.Request, req *request, next http.Handler) {
	req.ws, req.kind, req.wait = true, "websocket", cfg.LoaderWait
	req.freshLoaders(r.Context())
	next.ServeHTTP(w, r)
}

// initLive signs a WebSocket in with connection_init's payload: {"Authorization": "Bearer
// <token>"} or {"token": "<token>"}. A token that signs nobody in closes the connection with
// 4403 and a reason in Chinese; no token leaves it signed out (subscriptions then answer
// UNAUTHENTICATED).
func initLive(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	req := requestFrom(ctx)
	token := strings.TrimSpace(p.Authorization())
	if t, ok := strings.CutPrefix(token, "Bearer "); ok {
		token = strings.TrimSpace(t)
	} else if token != "" {
		token = "\x00malformed"
	}
	if token == "" {
		token = strings.TrimSpace(p.GetString("token"))
	}
	if token == "" || req == nil {
		return ctx, nil, nil
	}
	if _, err := req.store.ViewerByToken(ctx, token); err != nil {
		reason := "登录已失效，请重新登录"
		if db.ErrorCode(err) != db.EUNAUTHENTICATED {
			reason = "暂时无法核对登录，请稍后再连接"
		}
		ctx = transport.WithWebsocketCloseCode(ctx, wsCloseForbidden)
		return transport.AppendCloseReason(ctx, reason), nil, errors.New(reason)
	}
	req.token = token
	return ctx, nil, nil
}

// wsLimits gives a WebSocket's operations what guard gives an HTTP request's: the document
// is parsed, measured and validated with the same limits and the same errors before gqlgen
// sees it. A connection's operations arrive one at a time, so the connection's request may
// hold the checked document until gqlgen takes it (checkedDocument).
type wsLimits struct {
	cfg    Options
	schema *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = wsLimits{}

func (wsLimits) ExtensionName() string                   { return "LinliWebSocketLimits" }
func (wsLimits) Validate(graphql.ExecutableSchema) error { return nil }
func (l wsLimits) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	req := requestFrom(ctx)
	if req == nil || !req.ws {
		return nil // guard has checked it
	}
	req.query, req.doc = "", nil
	cfg := l.cfg
	limits := docLimits{tokens: cfg.MaxTokens, fields: cfg.MaxFields, setFields: cfg.MaxSetFields,
		depth: cfg.MaxDepth, aliases: cfg.MaxAliases, directives: cfg.MaxDirectives}
	present := presentError(cfg.Logger)
	doc, _, gerr := limits.parseChecked(p.Query, p.OperationName)
	if gerr != nil {
		return present(ctx, gerr)
	}
	if len(p.Variables) > 0 {
		vars, err := json.Marshal(p.Variables)
		if err != nil {
			return present(ctx, db.Invalid("variables", "variables 应是 JSON 对象，键为变量名"))
		}
		if gerr := variableText(vars); gerr != nil {
			return present(ctx, gerr)
		}
	}
	vctx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	defer cancel()
	errs, err := validate(vctx, l.schema, doc)
	if err != nil {
		return present(ctx, err)
	}
	if len(errs) > 0 {
		return present(ctx, errs[0])
	}
	req.query, req.doc = p.Query, doc
	return nil
}

// liveOperation gives each operation of a WebSocket, and each subscription, a request of its
// own: a connection runs several at once, and a subscription's loaders start afresh for every
// event.
func (cfg Options) liveOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	conn := requestFrom(ctx)
	oc := graphql.GetOperationContext(ctx)
	if conn == nil || oc == nil || oc.Operation == nil || (!conn.ws && oc.Operation.Operation != ast.Subscription) {
		return next(ctx)
	}
	op := &request{id: conn.id, token: conn.token, store: conn.store, address: conn.address, wait: conn.wait, ws: conn.ws,
		operation: oc.OperationName, kind: string(oc.Operation.Operation)}
	op.freshLoaders(ctx)
	if oc.Operation.Operation == ast.Subscription {
		op.live = &liveOp{marshaled: make(chan struct{}, 1), present: presentError(cfg.Logger)}
	}
	return next(withRequest(ctx, op))
}

// liveResponse tells a subscription that its event has been written out (so it may start
// the next with fresh loaders), and over SSE, where the protocol has no error message, sends
// the error that ended a subscription as a last event before `complete`.
func liveResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	req := requestFrom(ctx)
	if req == nil || req.live == nil {
		return resp
	}
	lv := req.live
	if resp != nil {
		select {
		case lv.marshaled <- struct{}{}:
		default:
		}
		return resp
	}
	if !req.ws {
		lv.mu.Lock()
		defer lv.mu.Unlock()
		if lv.endErr != nil && !lv.endSent {
			lv.endSent = true
			return &graphql.Response{Errors: gqlerror.List{lv.endErr}}
		}
	}
	return nil
}

// liveOp is one running subscription.
type liveOp struct {
	marshaled chan struct{} // an event has been written out
	present   graphql.ErrorPresenterFunc
	viewer    *db.Viewer // as of the last account change
	until     time.Time  // when the session ends

	mu      sync.Mutex
	endErr  *gqlerror.Error // why it ended, for SSE
	endSent bool
}

// renew starts an event: fresh loaders, and the viewer as the subscription knows it (read
// again whenever the account changes).
func (r *request) renew(ctx context.Context, v *db.Viewer) {
	r.freshLoaders(ctx)
	r.once = sync.Once{}
	r.once.Do(func() { r.viewer, r.err = v, nil })
}

// liveSpec is one subscription's behaviour; see the comment at the top of this file.
type liveSpec[T any] struct {
	tunes   []db.Tune
	allowed func(ctx context.Context) error
	// handle returns the values to send for n and whether the subscription has ended.
	handle func(ctx context.Context, n db.Note) (out []T, end bool, err error)
}

// errLiveOff answers a subscription when the server runs without a hub.
var errLiveOff = &db.Error{Code: db.EUNAVAILABLE, Message: "实时更新未启用"}

// subscribe runs a subscription: it checks the viewer and spec.allowed, listens, sends
// handle's first values, then handles each note until the client leaves, handle ends it, or
// the viewer loses the right (UNAUTHENTICATED when the session ended, else allowed's error).
// Over WebSocket such an error is the operation's `error` message; over SSE a last `next`
// event with `errors`, then `complete`.
func subscribe[T any](ctx context.Context, hub *db.Hub, spec liveSpec[T]) (<-chan T, error) {
	req := requestFrom(ctx)
	if hub == nil || req == nil || req.live == nil {
		return nil, errLiveOff
	}
	lv := req.live
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if lv.until, err = req.store.SessionExpires(ctx, req.token); err != nil {
		return nil, err
	}
	lv.viewer = v
	if err := spec.allowed(ctx); err != nil {
		return nil, err
	}
	// Listening before the first read: whatever commits after that read is heard.
	tunes := append(spec.tunes, db.Tune{Channel: db.ChannelAccounts, Key: strconv.FormatInt(v.Account.ID, 10)})
	l, err := hub.Listen(tunes...)
	if err != nil {
		return nil, err
	}
	first, end, err := spec.handle(ctx, db.Note{Resync: true})
	if err != nil {
		l.Close()
		return nil, err
	}
	out := make(chan T)
	go func() {
		defer close(out)
		defer l.Close()
		send := func(vals []T) bool {
			for _, val := range vals {
				select {
				case out <- val:
				case <-ctx.Done():
					return false
				}
				select {
				case <-lv.marshaled:
				case <-ctx.Done():
					return false
				}
			}
			return true
		}
		if !send(first) || end {
			return
		}
		for {
			n, err := l.Next(ctx)
			if err != nil {
				// The hub closes when the server shuts down, as the connections close. Over
				// WebSocket the subscription just completes: gqlgen reads a subscription's
				// errors without a lock once the connection's context ends, so adding one
				// then would race with that read; the closing socket tells the client anyway.
				if errors.Is(err, db.ErrHubClosed) && !req.ws {
					lv.fail(ctx, req, &db.Error{Code: db.EUNAVAILABLE, Message: "服务正在重启，请重新订阅"})
				}
				return
			}
			req.renew(ctx, lv.viewer)
			if !req.store.Now().Before(lv.until) {
				lv.fail(ctx, req, &db.Error{Code: db.EUNAUTHENTICATED, Message: "登录已过期，订阅已结束，请重新登录后再订阅"})
				return
			}
			if n.Channel == db.ChannelAccounts || n.Resync {
				// Sign-out, a password change or a role granted or revoked: read the viewer
				// again, and end what it no longer allows. A resync may have missed such a change.
				v, err := req.store.ViewerByToken(ctx, req.token)
				if err == nil {
					lv.until, err = req.store.SessionExpires(ctx, req.token)
				}
				if err != nil {
					if db.ErrorCode(err) == db.EUNAUTHENTICATED {
						err = &db.Error{Code: db.EUNAUTHENTICATED, Message: "登录已失效（已退出登录或修改了密码），订阅已结束"}
					}
					lv.fail(ctx, req, err)
					return
				}
				lv.viewer = v
				req.renew(ctx, v)
				if err := spec.allowed(ctx); err != nil {
					lv.fail(ctx, req, err)
					return
				}
				if !n.Resync {
					continue
				}
			}
			vals, end, err := spec.handle(ctx, n)
			if err != nil {
				lv.fail(ctx, req, err)
				return
			}
			if !send(vals) || end {
				return
			}
		}
	}()
	return out, nil
}

// fail ends the subscription with err, in the client's terms.
func (lv *liveOp) fail(ctx context.Context, req *request, err error) {
	if ctx.Err() != nil {
		return // the client has gone
	}
	gerr := lv.present(withRequest(ctx, req), err)
	gerr.Path = nil
	if req.ws {
		transport.AddSubscriptionError(ctx, gerr)
		return
	}
	lv.mu.Lock()
	lv.endErr = gerr
	lv.mu.Unlock()
}
