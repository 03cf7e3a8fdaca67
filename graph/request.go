package graph

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"linli/db"
	"linli/graph/model"
)

// request is what one HTTP request carries through the resolvers. The viewer is looked up on
// first use, so a query refused by the depth or complexity limits runs no SQL at all.
type request struct {
	id        string
	token     string
	operation string // the operation's name, for the log
	kind      string // query or mutation, for the log
	bytes     int    // the body's size (a GET's query string), for the log
	address   string // the client's, for the sign-in throttle
	store     *db.Store

	// query and doc are the document guard parsed and validated, for gqlgen to run.
	query     string
	doc       *ast.QueryDocument
	persisted persistedParams // how the document was sent, if by id
	loaders   atomic.Pointer[lazyLoaders]
	wait      time.Duration

	// ws marks a WebSocket connection and its operations; live, a subscription (graph/live.go).
	ws   bool
	live *liveOp

	once   sync.Once
	viewer *db.Viewer
	err    error

	// outcome is ok or the first error's code, for the metrics and the trace (observe).
	outcome outcome
}

type requestKey struct{}

func withRequest(ctx context.Context, r *request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

func requestFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// malformedToken stands for an Authorization header that is not "Bearer <token>": it can
// match no session, and viewer answers it with its own message.
const malformedToken = "\x00malformed"

// viewer returns who is asking: nil when nobody signed in, UNAUTHENTICATED for a malformed
// header or a token that is unknown, expired or revoked, each with its own message so a
// client can tell the person which (not signed in, header wrong, sign-in expired or ended).
func viewer(ctx context.Context) (*db.Viewer, error) {
	r := requestFrom(ctx)
	if r == nil || r.token == "" {
		return nil, nil
	}
	if r.token == malformedToken {
		return nil, &db.Error{Code: db.EUNAUTHENTICATED, Message: `请求头格式不对：Authorization 应为 "Bearer " 加登录得到的令牌`}
	}
	r.once.Do(func() {
		r.viewer, r.err = r.store.ViewerByToken(ctx, r.token)
	})
	return r.viewer, r.err
}

// signedIn returns the viewer, or UNAUTHENTICATED when nobody signed in.
func signedIn(ctx context.Context) (*db.Viewer, error) {
	v, err := viewer(ctx)
	if err == nil && v == nil {
		err = &db.Error{Code: db.EUNAUTHENTICATED, Message: "请先登录"}
	}
	return v, err
}

func load(ctx context.Context) *loaders { return requestFrom(ctx).loaders.Load().get() }

// lazyLoaders are a request's loaders, made when first used: a request with no loader to
// ask (a ballot, whose answer the cast builds; a sign-in) does not build some sixty of them.
type lazyLoaders struct {
	once  sync.Once
	ctx   context.Context
	store *db.Store
	wait  time.Duration
	l     *loaders
}

func (z *lazyLoaders) get() *loaders {
	z.once.Do(func() { z.l = newLoaders(z.ctx, z.store, z.wait) })
	return z.l
}

// freshLoaders gives r loaders that remember nothing yet, to be made under ctx when first used.
func (r *request) freshLoaders(ctx context.Context) {
	r.loaders.Store(&lazyLoaders{ctx: ctx, store: r.store, wait: r.wait})
}

// mutate runs a mutation on the object of type typ whose global ID the argument field holds.
// Afterwards the request's loaders start afresh: what they remember may have just changed.
func mutate[T any](ctx context.Context, field, typ, id string, f func(*db.Viewer, int64) (T, error)) (T, error) {
	var zero T
	key, err := idOf(field, typ, id)
	if err != nil {
		return zero, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return zero, err
	}
	out, err := f(v, key)
	if err != nil {
		return zero, err
	}
	forgetLoaded(ctx)
	return out, nil
}

// forgetLoaded drops what the request's loaders remember: a mutation has just changed it.
// Mutations run one after another, each with its results, so nothing reads the old
// loaders after this.
func forgetLoaded(ctx context.Context) {
	r := requestFrom(ctx)
	r.freshLoaders(ctx)
}

// Global IDs are "Type:id" in unpadded base64url: opaque to clients, and they say what they
// point at, so node(id:) knows where to look.
func globalID(typ string, id int64) string { return db.GlobalID(typ, id) }

// parseGlobalID splits a global ID into its type and key.
func parseGlobalID(id string) (string, int64, bool) {
	raw, err := b64.DecodeString(strings.TrimSpace(id))
	if err != nil {
		return "", 0, false
	}
	typ, num, ok := strings.Cut(string(raw), ":")
	n, err := strconv.ParseInt(num, 10, 64)
	if !ok || err != nil || n <= 0 {
		return "", 0, false
	}
	return typ, n, true
}

// idOf decodes an ID argument that must point at a typ, or returns INVALID_INPUT for field.
func idOf(field, typ, id string) (int64, error) {
	t, n, ok := parseGlobalID(id)
	if !ok {
		return 0, db.Invalid(field, "ID 格式不正确，请使用接口返回的 ID")
	}
	if t != typ {
		what, ok := typeNames[t]
		if !ok {
			what = "别的对象"
		}
		return 0, db.Invalid(field, "这个 ID 指向的是%s，这里需要%s", what, typeNames[typ])
	}
	return n, nil
}

// optionalID decodes an optional global ID argument: nil when it is not given.
func optionalID(field, typ string, id *string) (*int64, error) {
	if id == nil {
		return nil, nil
	}
	key, err := idOf(field, typ, *id)
	if err != nil {
		return nil, err
	}
	return &key, nil
}

// optionalKey is optionalID for the store's inputs that take 0 for "not given".
func optionalKey(field, typ string, id *string) (int64, error) {
	key, err := optionalID(field, typ, id)
	if key == nil {
		return 0, err
	}
	return *key, nil
}

// idsOf decodes a list of global IDs of type typ for field.
func idsOf(field, typ string, ids []string) ([]int64, error) {
	out := make([]int64, len(ids))
	for i, id := range ids {
		n, err := idOf(field, typ, id)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// typeNames are the Chinese names of the types a global ID can name, for the error that says
// an ID names the wrong type. Every object with an `id` is here (TestEveryIDTypeHasAName).
var typeNames = map[string]string{
	"Place": "地点", "Resident": "居民", "Account": "账号", "RoleGrant": "角色授予", "AuditEvent": "操作记录",
	"Wish": "心愿", "LedgerEntry": "服务记录", "Topic": "议题", "TopicComment": "议题评论",
	"Meeting": "会议", "Vote": "表决", "Resolution": "决议", "Objection": "异议", "ResolutionTask": "实施任务",
	"SupervisionNote": "监督意见",
	"Notification":    "通知", "VisitNeeded": "上门告知", "FailedDelivery": "发送失败的通知",
	"CareAssignment": "包联", "Visit": "走访", "Report": "事件上报", "Department": "职能部门",
	"Organisation": "组织", "OrganisationCheckIn": "组织报到", "MemberCheckIn": "个人报到", "Resource": "资源",
	"Need": "需求", "Proposal": "对接", "Project": "项目", "ProjectMilestone": "里程碑",
}

// Page sizes: a list gives defaultPage items unless asked, and never more than maxPage.
const (
	defaultPage = 20
	maxPage     = 100
)

// pageOf validates Relay paging arguments.
func pageOf(first *int, after *string, last *int, before *string) (db.Page, error) {
	var p db.Page
	if first != nil && last != nil {
		return p, db.Invalid("first", "first 和 last 不能同时使用")
	}
	for _, c := range []struct {
		name string
		n    *int
	}{{"first", first}, {"last", last}} {
		if c.n != nil && (*c.n < 0 || *c.n > maxPage) {
			return p, db.Invalid(c.name, "%s 需要在 0 到 %d 之间（每页最多 %d 条），收到 %d", c.name, maxPage, maxPage, *c.n)
		}
	}
	switch {
	case last != nil:
		p.Last = *last
	case first != nil:
		p.First = *first
	default:
		p.First = defaultPage
	}
	for _, c := range []struct {
		name string
		s    *string
		dst  *db.Key
	}{{"after", after, &p.After}, {"before", before, &p.Before}} {
		if c.s == nil {
			continue
		}
		k, ok := model.ParseCursor(*c.s)
		if !ok {
			return p, db.Invalid(c.name, "翻页游标 %s 无效，请使用接口返回的 cursor", c.name)
		}
		*c.dst = k
	}
	return p, nil
}

// hidden is what a client sees for something that does not exist or that it may not see:
// the same answer for both, so IDs cannot be probed.
func hidden(what string) error {
	return &db.Error{Code: db.ENOTFOUND, Message: "找不到这个" + what}
}

var b64 = base64.RawURLEncoding
