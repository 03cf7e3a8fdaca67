package graph_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"linli/db"
	"linli/graph"
)

// post sends body as it is, as JSON, to the GraphQL endpoint.
func (e *env) postRaw(body string) *response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return e.send(req)
}

func queryBody(query string) string {
	b, _ := json.Marshal(map[string]any{"query": query})
	return string(b)
}

// wantRefused checks a refusal's code, HTTP status and, when given, the field it names.
func (r *response) wantRefused(t *testing.T, code string, status int, field string) {
	t.Helper()
	r.wantCode(t, code)
	if r.Status != status {
		t.Fatalf("status: got %d, want %d (errors: %+v)", r.Status, status, r.Errors)
	}
	if field != "" && r.Field() != field {
		t.Fatalf("field: got %q, want %q (errors: %+v)", r.Field(), field, r.Errors)
	}
}

// Documents that once cost the validator seconds or minutes of CPU are refused by their
// shape; each answer is INVALID_INPUT with the reason. (Their CPU cost is measured by
// BenchmarkHostileRefusal, not here.)
func TestHostileDocumentsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var bomb strings.Builder
	bomb.WriteString("query { ...F0 }\n")
	for i := range 40 {
		bomb.WriteString("fragment F" + itoa(i) + " on Query { ...F" + itoa(i+1) + " ...F" + itoa(i+1) + " }\n")
	}
	bomb.WriteString("fragment F40 on Query { __typename }\n")
	cases := map[string]string{
		// issue 11: 110 KB and 550 KB of one field repeated.
		"Fields10000": "{ " + strings.Repeat("__typename ", 10000) + "}",
		"Fields50000": "{ " + strings.Repeat("__typename ", 50000) + "}",
		// Under the token limit, but one field repeated past what one set may hold.
		"Repeats":   "{ " + strings.Repeat("__typename ", 30) + "}",
		"SetFields": "{ me { " + strings.Repeat("id name ", 60) + "} }",
		// Each fragment spreads the next twice: 2^40 fields once expanded.
		"FragmentBomb": bomb.String(),
		// Validation would refuse the cycle; the shape walk must not loop on it first.
		"FragmentCycle": "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
		"Directives":    "{ __typename " + strings.Repeat("@include(if: true) ", 200) + "}",
	}
	for name, q := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.postRaw(queryBody(q))
			r.wantRefused(t, db.EINVALID, http.StatusOK, "")
		})
	}
	// The same shape within the limits is answered.
	var out struct {
		Typename string `json:"__typename"`
	}
	e.do("", "{ "+strings.Repeat("__typename ", 20)+"}", nil).Decode(t, &out)
	if out.Typename != "Query" {
		t.Fatalf("__typename: got %q", out.Typename)
	}
}

// A malformed time is INVALID_INPUT naming its field, as a literal or a variable, in a
// mutation's input or a filter, and nothing is written.
func TestMalformedTime(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.login(phoneResident)
	input := func(deadline any) map[string]any {
		return map[string]any{"category": "REPAIR", "title": "水龙头漏水", "description": "厨房水龙头一直滴水", "deadline": deadline}
	}
	for _, bad := range []any{"not-a-time", "2026-12-31", 5, "2026-13-45T10:00:00Z", "2026-12-31 10:00:00", ""} {
		r := e.do(token, qSubmit, map[string]any{"in": input(bad)})
		r.wantRefused(t, db.EINVALID, http.StatusOK, "deadline")
		if !strings.Contains(r.Errors[0].Message, "2026-12-31T18:00:00+08:00") {
			t.Fatalf("deadline %v: message %q gives no example of a good time", bad, r.Errors[0].Message)
		}
	}
	e.do(token, `{ wishes(filter: {createdAfter: 5}) { totalCount } }`, nil).wantRefused(t, db.EINVALID, http.StatusOK, "createdAfter")
	e.do(token, `{ wishes(filter: {createdAfter: "2026-13-45"}) { totalCount } }`, nil).wantRefused(t, db.EINVALID, http.StatusOK, "createdAfter")
	e.do(token, `query($t: Time) { wishes(filter: {createdBefore: $t}) { totalCount } }`, map[string]any{"t": "not-a-time"}).
		wantRefused(t, db.EINVALID, http.StatusOK, "")
	if n := e.sqlInt(`SELECT count(*) FROM wishes`); n != 0 {
		t.Fatalf("%d wishes written by refused requests, want 0", n)
	}
	// A good time, with an offset, works.
	var ok struct{ W wishOut }
	e.do(token, qSubmit, map[string]any{"in": input(testNow.Add(72 * time.Hour).Format(time.RFC3339))}).Decode(t, &ok)
}

// A NUL or another control character in any text input, literal or variable, is refused
// before any resolver runs, naming the field; tab and line breaks are text.
func TestControlCharacters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident := e.login(phoneResident)
	staff := e.login(phoneStaff)
	input := func(title string) map[string]any {
		return map[string]any{"category": "REPAIR", "title": title, "description": "厨房水龙头一直滴水",
			"deadline": testNow.Add(72 * time.Hour).Format(time.RFC3339)}
	}
	cases := []struct {
		name, token, query string
		vars               map[string]any
		field              string
	}{
		{"FilterLiteral", resident, `{ wishes(filter: {text: "\u0000"}) { totalCount } }`, nil, "text"},
		{"FilterVariable", resident, `query($s: String) { wishes(filter: {text: $s}) { totalCount } }`, map[string]any{"s": "轮椅\x00"}, "s"},
		{"InputVariable", resident, qSubmit, map[string]any{"in": input("水龙头\x00漏水")}, "title"},
		{"Bell", resident, qSubmit, map[string]any{"in": input("水龙头\a漏水")}, "title"},
		{"InputLiteral", resident, `mutation { submitWish(input: {category: REPAIR, title: "a\u0000", description: "b", deadline: "2026-12-31T10:00:00Z"}) { id } }`, nil, "title"},
		{"Comment", resident, `mutation { commentOnTopic(input: {topicId: "VG9waWM6MQ", body: "同意\u0000"}) { id } }`, nil, "body"},
		{"NameContains", staff, residentsQuery, map[string]any{"p": e.placeID("和平社区"), "f": map[string]any{"nameContains": "\x00"}}, "nameContains"},
		{"InList", staff, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": []any{"x", "y\x00"}}, "ids"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.token, c.query, c.vars)
			r.wantRefused(t, db.EINVALID, http.StatusOK, c.field)
		})
	}
	if n := e.sqlInt(`SELECT count(*) FROM wishes`); n != 0 {
		t.Fatalf("%d wishes written by refused requests, want 0", n)
	}
	var ok struct{ W wishOut }
	e.do(resident, qSubmit, map[string]any{"in": map[string]any{"category": "REPAIR", "title": "水龙头漏水",
		"description": "厨房\t水龙头\r\n一直滴水", "deadline": testNow.Add(72 * time.Hour).Format(time.RFC3339)}}).Decode(t, &ok)
}

// lockedBuffer collects the service's log lines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// A body of the wrong shape is INVALID_INPUT (HTTP 400) with a Chinese message, and no log
// line repeats the body, a variable or a header: a sign-in sent that way keeps its password
// out of the log.
func TestWrongShapedBodies(t *testing.T) {
	t.Parallel()
	var log lockedBuffer
	e := newEnv(t, func(o *graph.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	const secret = "pw-Secret-7731"
	login := `mutation Login($p: String!) { login(phone: \"13800000002\", password: $p) { token } }`
	literal := `mutation Login { login(phone: \"13800000002\", password: \"` + secret + `\") { token } }`
	bodies := map[string]string{
		"Batch":             `[{"query":"` + literal + `"}]`,
		"VariablesArray":    `{"query":"` + login + `","variables":["` + secret + `"]}`,
		"VariablesString":   `{"query":"` + login + `","variables":"` + secret + `"}`,
		"ExtensionsNumber":  `{"query":"` + literal + `","extensions":5}`,
		"ExtensionsArray":   `{"query":"` + literal + `","extensions":["` + secret + `"]}`,
		"QueryNumber":       `{"query":5,"variables":{"p":"` + secret + `"}}`,
		"QueryMissing":      `{"variables":{"p":"` + secret + `"}}`,
		"OperationNameList": `{"query":"` + literal + `","operationName":["` + secret + `"]}`,
		"String":            `"` + secret + `"`,
		"Null":              `null`,
		"NotJSON":           `{"query":"` + literal,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			r := e.postRaw(body)
			r.wantRefused(t, db.EINVALID, http.StatusBadRequest, "")
			msg := r.Errors[0].Message
			if strings.Contains(msg, secret) || !strings.ContainsFunc(msg, func(c rune) bool { return c >= 0x4e00 && c <= 0x9fff }) {
				t.Fatalf("message: got %q, want Chinese, without the body", msg)
			}
		})
	}
	// Well-shaped sign-ins with the wrong password, in a variable and in the text.
	e.do("", strings.ReplaceAll(login, `\"`, `"`), map[string]any{"p": secret}).wantCode(t, db.EUNAUTHENTICATED)
	e.postRaw(`{"query":"`+literal+`"}`).wantCode(t, db.EUNAUTHENTICATED)

	logged := log.String()
	if strings.Contains(logged, secret) || strings.Contains(logged, "13800000002") || strings.Contains(logged, "login(") {
		t.Fatalf("the log repeats what a client sent:\n%s", logged)
	}
	// Every request was logged, with its size and, once known, its operation.
	if n := strings.Count(logged, `"msg":"request"`); n != len(bodies)+2 {
		t.Fatalf("logged %d requests, want %d:\n%s", n, len(bodies)+2, logged)
	}
	if !strings.Contains(logged, `"operation":"Login"`) || !strings.Contains(logged, `"bytes":`) {
		t.Fatalf("the log does not name the operation and the body size:\n%s", logged)
	}
}

// GET carries queries only: a mutation is 405 with Allow: POST and a code, and runs not.
func TestGetMutation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	q := url.QueryEscape(`mutation { login(phone: "13800000002", password: "linli2026") { token } }`)
	res, err := http.Get(e.srv.URL + "/query?query=" + q)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	json.NewDecoder(res.Body).Decode(&r)
	r.Status = res.StatusCode
	r.wantRefused(t, db.EINVALID, http.StatusMethodNotAllowed, "")
	if a := res.Header.Get("Allow"); a != "POST" {
		t.Fatalf("Allow: got %q, want POST", a)
	}
	if n := e.sqlInt(`SELECT count(*) FROM sessions`); n != 0 {
		t.Fatal("a mutation over GET signed someone in")
	}
	// Variables of the wrong shape over GET are refused like a POST body's.
	res2, err := http.Get(e.srv.URL + "/query?query=" + url.QueryEscape("{ __typename }") + "&variables=" + url.QueryEscape("[1]"))
	if err != nil {
		t.Fatal(err)
	}
	res2.Body.Close()
	if res2.StatusCode != http.StatusBadRequest {
		t.Fatalf("GET with variables [1]: status %d, want 400", res2.StatusCode)
	}
}

// @defer and @stream are not delivered, so they are neither offered nor accepted.
func TestIncrementalDeliveryRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.login(phoneStaff)
	r := e.do(token, `{ me { id ... @defer { name } } }`, nil)
	r.wantRefused(t, db.EINVALID, http.StatusOK, "@defer")
	var out struct {
		Schema struct{ Directives []struct{ Name string } } `json:"__schema"`
	}
	e.do("", `{ __schema { directives { name } } }`, nil).Decode(t, &out)
	for _, d := range out.Schema.Directives {
		if d.Name == "defer" || d.Name == "stream" {
			t.Fatalf("introspection offers @%s", d.Name)
		}
	}
	if len(out.Schema.Directives) == 0 {
		t.Fatal("introspection lists no directives at all")
	}
}

// Running out of time is TIMEOUT, also while the document is still being checked.
func TestValidationUnderDeadline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *graph.Options) { o.RequestTimeout = time.Nanosecond })
	r := e.do("", `{ subdistricts { totalCount } }`, nil)
	r.wantRefused(t, db.ETIMEOUT, http.StatusServiceUnavailable, "")
}

// Messages about a document are in Chinese, suggestions included, and a global ID of the
// wrong type names both types.
func TestMessagesInChinese(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.login(phoneStaff)
	cases := map[string]struct {
		query string
		vars  map[string]any
		want  string
	}{
		"UnknownField":    {`{ me { nam } }`, nil, `类型 Account 上没有字段 nam。你是不是要找 "name"？`},
		"UnknownArgument": {`{ subdistricts(frist: 1) { totalCount } }`, nil, `没有参数 frist`},
		"MissingArgument": {`{ residents { totalCount } }`, nil, `缺少必填参数 placeId`},
		"NoSubfields":     {`{ me }`, nil, `需要选择子字段`},
		"Syntax":          {`{ me { id `, nil, `语法错误`},
		"VariableNull":    {`query($p: ID!) { node(id: $p) { id } }`, map[string]any{"p": nil}, `变量 $p 不能为 null`},
		"UnknownInput":    {`query($f: WishFilter) { wishes(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"txt": "a"}}, `变量 $f.txt 不是这个输入类型的字段`},
		"Enum":            {`{ wishes(filter: {state: [NOPE]}) { totalCount } }`, nil, `中没有 NOPE`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.do(token, c.query, c.vars)
			r.wantCode(t, db.EINVALID)
			if !strings.Contains(r.Errors[0].Message, c.want) {
				t.Fatalf("message: got %q, want it to contain %q", r.Errors[0].Message, c.want)
			}
		})
	}
	// A resolution's ID where a wish's is needed.
	resolutionID := graph.GlobalID("Resolution", 1)
	r := e.do(token, `mutation($id: ID!) { cancelWish(wishId: $id) { id } }`, map[string]any{"id": resolutionID})
	r.wantCode(t, db.EINVALID)
	if msg := r.Errors[0].Message; !strings.Contains(msg, "决议") || !strings.Contains(msg, "心愿") {
		t.Fatalf("message: got %q, want it to name both types", msg)
	}
}
