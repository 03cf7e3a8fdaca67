package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"linli/db"
)

// presentError turns every error into one a client can act on: an application error keeps
// its code, message and field; a query the schema or the limits refuse is INVALID_INPUT;
// anything else is logged in full and shown only as INTERNAL with the request id, so no SQL,
// driver message or stack trace ever reaches a client.
// The first error presented is the request's outcome in the metrics (noteOutcome).
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	present := presentErrorTo(logger)
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := present(ctx, err)
		noteOutcome(ctx, gerr)
		return gerr
	}
}

// presentErrorTo is presentError's translation.
func presentErrorTo(logger *slog.Logger) graphql.ErrorPresenterFunc {
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
				gerr.Message = "查询无效：" + translate(gerr.Message, gerr.Path)
				gerr.Extensions = map[string]any{"code": db.EINVALID, "reason": code}
				if f := lastPathField(gerr.Path); f != "" {
					gerr.Extensions["field"] = f
				}
				return gerr
			}
		}
		// The driver reports a cancelled statement in its own words; the context says why.
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			logger.WarnContext(ctx, "request timed out", "request_id", reqID, "path", gerr.Path.String())
			return &gqlerror.Error{Path: gerr.Path, Message: "请求处理超时，请缩小查询范围后重试（请求编号 " + reqID + "）",
				Extensions: map[string]any{"code": db.ETIMEOUT, "requestId": reqID}}
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

// messages translate what gqlparser and gqlgen say about a document into Chinese, the
// common ones at least; anything else is shown as it is, after "查询无效：".
var messages = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^Cannot query field "(.+?)" on type "(.+?)"\.$`), `类型 $2 上没有字段 $1`},
	{regexp.MustCompile(`^Unknown argument "(.+?)" on field "(.+?)"\.$`), `字段 $2 没有参数 $1`},
	{regexp.MustCompile(`^Unknown argument "(.+?)" on directive "(.+?)"\.$`), `指令 $2 没有参数 $1`},
	{regexp.MustCompile(`^Field "(.+?)" argument "(.+?)" of type "(.+?)" is required, but it was not provided\.$`), `字段 $1 缺少必填参数 $2（类型 $3）`},
	{regexp.MustCompile(`^Field "(.+?)" of type "(.+?)" must have a selection of subfields\.$`), `字段 $1（类型 $2）需要选择子字段，例如 $1 { id }`},
	{regexp.MustCompile(`^Field "(.+?)" must not have a selection since type "(.+?)" has no subfields\.$`), `字段 $1 的类型 $2 没有子字段，不能再选择`},
	{regexp.MustCompile(`^Field "(.+?)" is not defined by type "(.+?)"\.$`), `输入类型 $2 没有字段 $1`},
	{regexp.MustCompile(`^Field "(.+?)" of required type "(.+?)" was not provided\.$`), `缺少必填字段 $1（类型 $2）`},
	{regexp.MustCompile(`^Unknown type "(.+?)"\.$`), `没有类型 $1`},
	{regexp.MustCompile(`^Unknown fragment "(.+?)"\.$`), `没有片段 $1`},
	{regexp.MustCompile(`^Fragment "(.+?)" is never used\.$`), `片段 $1 定义了但没有用到`},
	{regexp.MustCompile(`^Unknown directive "(.+?)"\.$`), `没有指令 $1`},
	{regexp.MustCompile(`^Variable "(.+?)" is not defined( by operation "(.+?)")?\.$`), `变量 $1 没有在操作中声明`},
	{regexp.MustCompile(`^Variable "(.+?)" is never used( in operation "(.+?)")?\.$`), `变量 $1 声明了但没有用到`},
	{regexp.MustCompile(`^Variable "(.+?)" of type "(.+?)" used in position expecting type "(.+?)"\.$`), `变量 $1 的类型是 $2，这里需要 $3`},
	{regexp.MustCompile(`^Expected value of type "(.+?)", found (.+?)\.$`), `这里需要 $1 类型的值，收到的是 $2`},
	{regexp.MustCompile(`^Value "(.+?)" does not exist in "(.+?)" enum\.$`), `枚举 $2 中没有 $1`},
	{regexp.MustCompile(`^Enum "(.+?)" cannot represent non-enum value: (.+?)\.?$`), `枚举 $1 的值不能是 $2`},
	{regexp.MustCompile(`^(Int|Float|String|Boolean|ID) cannot represent .*?value: (.+)$`), `$2 不是 $1 类型的值`},
	{regexp.MustCompile(`^Expected (.+?), found (.+)$`), `语法错误：这里应是 $1，却是 $2`},
	{regexp.MustCompile(`^Unexpected (.+)$`), `语法错误：不应出现 $1`},
	{regexp.MustCompile(`^Unterminated string\.$`), `语法错误：字符串没有结束的引号`},
	{regexp.MustCompile(`^Cannot parse the unexpected character (.+?)\.$`), `语法错误：无法识别的字符 $1`},
	{regexp.MustCompile(`^operation (.*) not found$`), `文档中没有名为 $1 的操作`},
	{regexp.MustCompile(`^must provide operation name if query contains multiple operations\.?$`), `文档中有多个操作时，须用 operationName 指明执行哪一个`},
	{regexp.MustCompile(`^This anonymous operation must be the only defined operation\.$`), `匿名操作只能是文档中唯一的操作`},
	{regexp.MustCompile(`^Schema does not support operation type "(.+?)"$`), `不支持 $1 操作`},
	{regexp.MustCompile(`^There can be only one (.+?) named "(.+?)"\.$`), `名为 $2 的 $1 只能有一个`},
	{regexp.MustCompile(`^must be defined$`), `必须提供`},
	{regexp.MustCompile(`^cannot be null$`), `不能为 null`},
	{regexp.MustCompile(`^unknown field$`), `不是这个输入类型的字段`},
	{regexp.MustCompile(`^cannot use (.+?) as (.+)$`), `类型不对：不能把 $1 当作 $2`},
	{regexp.MustCompile(`^must be a (.+?), not a (.+)$`), `类型不对：应是 $1，不能是 $2`},
	{regexp.MustCompile(`^(.+?) is not a valid (.+)$`), `$1 不是有效的 $2`},
	{regexp.MustCompile(`^operation has complexity (\d+), which exceeds the limit of (\d+)$`), `查询代价太高（$1，上限 $2），请减少每页条数或嵌套的列表`},
}

var didYouMean = regexp.MustCompile(` Did you mean (?:the enum value )?(.+)\?$`)

// translate returns msg in Chinese where it is one of the common messages; a variable's
// error names the variable's path, which gqlparser keeps apart.
func translate(msg string, path ast.Path) string {
	if utf8.RuneCountInString(msg) > 300 {
		msg = string([]rune(msg)[:300]) + "…" // the lexer may quote the rest of the document
	}
	hint := ""
	if m := didYouMean.FindStringSubmatch(msg); m != nil {
		msg = strings.TrimSuffix(msg, m[0])
		hint = "。你是不是要找 " + strings.NewReplacer(`", or "`, `" 或 "`, `" or "`, `" 或 "`, `", "`, `"、"`).Replace(m[1]) + "？"
	}
	for _, t := range messages {
		if t.re.MatchString(msg) {
			msg = t.re.ReplaceAllString(msg, t.zh)
			break
		}
	}
	if len(path) > 0 && path[0] == ast.PathName("variable") {
		msg = "变量 $" + strings.TrimPrefix(path[1:].String(), ".") + " " + msg
	}
	return msg + hint
}

// oneErrorPerField keeps, of errors that differ only in list indices, the first: a field
// refused on every row of a list (a leaderboard's volunteers for an analyst) is reported
// once, at the first row's path, instead of once per row.
func oneErrorPerField(errs gqlerror.List) gqlerror.List {
	if len(errs) < 2 {
		return errs
	}
	seen := make(map[string]bool, len(errs))
	out := errs[:0:0]
	for _, e := range errs {
		var key strings.Builder
		for _, p := range e.Path {
			if name, ok := p.(ast.PathName); ok {
				key.WriteString(string(name))
			}
			key.WriteByte('.')
		}
		code, _ := e.Extensions["code"].(string)
		key.WriteString("\x00" + code + "\x00" + e.Message)
		if !seen[key.String()] {
			seen[key.String()] = true
			out = append(out, e)
		}
	}
	return out
}
