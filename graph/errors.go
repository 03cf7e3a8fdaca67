package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"linli/db"
)

// presentError turns every error into one a client can act on: an application error keeps
// its code, message and field; a query the schema or the limits refuse is INVALID_INPUT;
// anything else is logged in full and shown only as INTERNAL with the request id, so no SQL,
// driver message or stack trace ever reaches a client.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		reqID := ""
		if req := requestFrom(ctx); req != nil {
			reqID = req.id
		}
		var app *db.Error
		if errors.As(err, &app) {
			gerr.Message = app.Message
			gerr.Extensions = map[string]any{"code": app.Code}
			field := app.Field
			if field == "" && app.Code == db.EINVALID {
				field = lastPathField(gerr.Path)
			}
			if field != "" {
				gerr.Extensions["field"] = field
			}
			if app.RetryAfter > 0 {
				gerr.Extensions["retryAfter"] = app.RetryAfter
			}
			if app.AttemptsLeft != nil {
				gerr.Extensions["attemptsLeft"] = *app.AttemptsLeft
			}
			return gerr
		}
		// Errors from gqlgen and gqlparser about the query itself carry their own code.
		if code, _ := gerr.Extensions["code"].(string); code != "" {
			switch code {
			case db.EINVALID, db.EFORBIDDEN, db.EUNAUTHENTICATED, db.ERATELIMITED:
				return gerr // our own limits, already in the client's terms
			case "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "COMPLEXITY_LIMIT_EXCEEDED":
				gerr.Message = "查询无效：" + gerr.Message
				gerr.Extensions = map[string]any{"code": db.EINVALID, "reason": code}
				return gerr
			}
		}
		// The driver reports a cancelled statement in its own words; the context says why.
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			logger.WarnContext(ctx, "request timed out", "request_id", reqID, "path", gerr.Path.String())
			return &gqlerror.Error{Path: gerr.Path, Message: "请求处理超时，请缩小查询范围后重试（请求编号 " + reqID + "）",
				Extensions: map[string]any{"code": db.EINTERNAL, "requestId": reqID}}
		}
		if errors.Is(err, context.Canceled) {
			return &gqlerror.Error{Path: gerr.Path, Message: "请求已取消", Extensions: map[string]any{"code": db.EINTERNAL, "requestId": reqID}}
		}
		logger.ErrorContext(ctx, "internal error", "request_id", reqID, "path", gerr.Path.String(), "error", err.Error())
		return &gqlerror.Error{Path: gerr.Path, Message: "服务内部错误，请稍后再试（请求编号 " + reqID + "）",
			Extensions: map[string]any{"code": db.EINTERNAL, "requestId": reqID}}
	}
}

// lastPathField is the innermost field name of an error's path: for an argument that could
// not be read, the input field at fault.
func lastPathField(p ast.Path) string {
	for i := len(p) - 1; i >= 0; i-- {
		if s, ok := p[i].(ast.PathName); ok {
			return string(s)
		}
	}
	return ""
}

// recoverPanic logs a resolver panic with its stack and reports it as INTERNAL.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		reqID := ""
		if req := requestFrom(ctx); req != nil {
			reqID = req.id
		}
		logger.ErrorContext(ctx, "panic in resolver", "request_id", reqID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errors.New("panic in resolver")
	}
}
