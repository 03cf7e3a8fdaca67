package graph_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"linli/db"
	"linli/graph"
)

// post sends body to /query with the Accept header given ("" for none) and returns the
// answer's status, headers and body.
func (e *env) postAccept(accept, body string) (int, http.Header, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// A document that cannot run is answered by the media type the client accepts (GraphQL
// over HTTP): 200 with errors for application/json, 400 without a data entry for
// application/graphql-response+json; whether the guard refused it (parse, validation) or
// gqlgen did (a variable's value).
func TestRefusedDocumentStatusByMediaType(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := map[string]string{
		"Parse":      `{"query": "{"}`,
		"Validation": `{"query": "{ nosuchfield }"}`,
		"Limits":     queryBody("{ " + strings.Repeat("__typename ", 30) + "}"),
		"Variable":   `{"query": "query($id: ID!) { node(id: $id) { id } }", "variables": {"id": null}}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				accept, media string
				status        int
			}{
				{"", "application/json", http.StatusOK},
				{"application/json", "application/json", http.StatusOK},
				{"*/*", "application/json", http.StatusOK},
				{"application/graphql-response+json", "application/graphql-response+json", http.StatusBadRequest},
				{"application/graphql-response+json, application/json;q=0.9", "application/graphql-response+json", http.StatusBadRequest},
			} {
				status, h, b := e.postAccept(c.accept, body)
				var out map[string]json.RawMessage
				if err := json.Unmarshal(b, &out); err != nil {
					t.Fatalf("Accept %q: %s: %v", c.accept, b, err)
				}
				var errs []gqlError
				json.Unmarshal(out["errors"], &errs)
				if status != c.status || len(errs) == 0 {
					t.Errorf("Accept %q: got %d %s, want %d with errors", c.accept, status, b, c.status)
				}
				if code, _ := errs[0].Extensions["code"].(string); code != db.EINVALID {
					t.Errorf("Accept %q: code %q, want %s", c.accept, code, db.EINVALID)
				}
				if got := h.Get("Content-Type"); !strings.HasPrefix(got, c.media) {
					t.Errorf("Accept %q: Content-Type %q, want %s", c.accept, got, c.media)
				}
				if _, ok := out["data"]; ok && c.media == "application/graphql-response+json" {
					t.Errorf("Accept %q: a data entry in %s", c.accept, b)
				}
			}
		})
	}
	// A request that runs is 200 in either media type.
	status, h, b := e.postAccept("application/graphql-response+json", queryBody("{ __typename }"))
	if status != http.StatusOK || h.Get("Content-Type") != "application/graphql-response+json" || !bytes.Contains(b, []byte(`"Query"`)) {
		t.Fatalf("got %d %s %s", status, h.Get("Content-Type"), b)
	}
}

// An X-Request-Id sent by a proxy or client is kept when well formed (echoed, and in the
// log), and replaced otherwise; browsers on an allowed origin may send it and read it.
func TestRequestID(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	e := newEnv(t, func(o *graph.Options) {
		o.Logger = slog.New(slog.NewJSONHandler(logs, nil))
		o.AllowedOrigins = []string{"https://app.example.org"}
	})
	send := func(id string, header ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", strings.NewReader(queryBody("{ __typename }")))
		req.Header.Set("Content-Type", "application/json")
		if id != "" {
			req.Header.Set("X-Request-Id", id)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, id := range []string{"a", "7f3c2a9e-1b4d-4c8a-9e2f-0a1b2c3d4e5f", "01HZX3K9V6T2Q8R4M7N5P0W1YZ", "lb:node-3_1702.5", strings.Repeat("x", 128)} {
		if got := send(id).Header.Get("X-Request-Id"); got != id {
			t.Errorf("X-Request-Id %q: echoed %q", id, got)
		}
		if !strings.Contains(logs.String(), `"request_id":"`+id+`"`) {
			t.Errorf("X-Request-Id %q: not in the log", id)
		}
	}
	fresh := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, id := range []string{strings.Repeat("x", 129), "a b", `"},"admin":true`, "<script>", "编号1"} {
		if got := send(id).Header.Get("X-Request-Id"); !fresh.MatchString(got) {
			t.Errorf("X-Request-Id %q: answered %q, want a new id", id, got)
		}
		if strings.Contains(logs.String(), id) {
			t.Errorf("X-Request-Id %q: in the log", id)
		}
	}
	res := send("from-the-app", "Origin", "https://app.example.org")
	if exp := res.Header.Get("Access-Control-Expose-Headers"); !strings.Contains(exp, "X-Request-Id") {
		t.Errorf("Access-Control-Expose-Headers %q: want X-Request-Id", exp)
	}
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/query", nil)
	req.Header.Set("Origin", "https://app.example.org")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type, x-request-id")
	pre, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pre.Body.Close()
	if allow := pre.Header.Get("Access-Control-Allow-Headers"); !strings.Contains(allow, "X-Request-Id") {
		t.Errorf("preflight Access-Control-Allow-Headers %q: want X-Request-Id", allow)
	}
}

// fetch sends req with Accept-Encoding as given (which turns off the client's own
// decompression) and returns the answer and its body as sent, and decoded.
func fetch(t *testing.T, req *http.Request, encoding string) (*http.Response, []byte, []byte) {
	t.Helper()
	req.Header.Set("Accept-Encoding", encoding)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	plain := raw
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		if plain, err = io.ReadAll(zr); err != nil {
			t.Fatalf("gzip: %v", err)
		}
	}
	return res, raw, plain
}

// A large answer comes gzipped to a client that accepts gzip and decodes to the same
// JSON; a small one, or one to a client that does not, comes as it is.
func TestGzip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	volunteer := e.publishWishes(8)
	feed := func(method string) *http.Request {
		var req *http.Request
		if method == http.MethodGet {
			req, _ = http.NewRequest(method, e.srv.URL+"/query?query="+url.QueryEscape(feedQuery), nil)
		} else {
			req, _ = http.NewRequest(method, e.srv.URL+"/query", strings.NewReader(queryBody(feedQuery)))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+volunteer)
		return req
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		res, plain, _ := fetch(t, feed(method), "identity")
		if res.Header.Get("Content-Encoding") != "" || len(plain) < 1500 || !bytes.Contains(plain, []byte("想要一台轮椅 7")) {
			t.Fatalf("%s identity: Content-Encoding %q, %d bytes: %.200s", method, res.Header.Get("Content-Encoding"), len(plain), plain)
		}
		res, raw, decoded := fetch(t, feed(method), "br;q=1.0, gzip;q=0.8")
		if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Accept-Encoding") {
			t.Fatalf("%s gzip: Content-Encoding %q, Vary %q", method, res.Header.Get("Content-Encoding"), res.Header.Values("Vary"))
		}
		if len(raw) >= len(plain)/2 || !jsonEqual(t, plain, decoded) {
			t.Fatalf("%s gzip: %d bytes for %d, decoded to %.200s", method, len(raw), len(plain), decoded)
		}
		if res, _, _ := fetch(t, feed(method), "gzip;q=0"); res.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s gzip;q=0: gzipped anyway", method)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", strings.NewReader(queryBody("{ __typename }")))
	req.Header.Set("Content-Type", "application/json")
	if res, _, plain := fetch(t, req, "gzip"); res.Header.Get("Content-Encoding") != "" || !bytes.Contains(plain, []byte("Query")) {
		t.Fatalf("small answer: Content-Encoding %q: %s", res.Header.Get("Content-Encoding"), plain)
	}
	// The playground page keeps its Content-Security-Policy; its assets, gzipped already,
	// are not gzipped twice.
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/", nil)
	res, _, page := fetch(t, req, "gzip")
	if res.Header.Get("Content-Security-Policy") == "" || !bytes.Contains(page, []byte("/query")) {
		t.Fatalf("playground: CSP %q, %.100s", res.Header.Get("Content-Security-Policy"), page)
	}
	req, _ = http.NewRequest(http.MethodGet, e.srv.URL+"/playground/playground.js", nil)
	res, _, js := fetch(t, req, "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || !utf8.Valid(js) || len(js) < 1000 {
		t.Fatalf("playground.js: Content-Encoding %q, %d bytes decoded once: %.100q", res.Header.Get("Content-Encoding"), len(js), js)
	}
}

// publishWishes publishes n wishes in the demo community, so that its feed is over 1 KiB,
// and returns a volunteer's token.
func (e *env) publishWishes(n int) string {
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	for i := range n {
		w := e.submit(resident, e.wishInput("想要一台轮椅 "+itoa(i)))
		mustWish(e.t, e.review(staff, w.ID, "PUBLISH", nil))
	}
	return e.login(phoneVolunteer)
}

const feedQuery = `{ wishFeed(first: 50) { totalCount nodes { id title category deadline beneficiaryName
	address place { name } claim { dueAt } canClaim } } }`

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// A GET query's answer carries a strong ETag; asking again with it answers 304 with no
// body until the answer changes. Gzipped and plain answers have different tags.
func TestETag(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	volunteer := e.publishWishes(8)
	get := func(encoding, ifNoneMatch string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/query?query="+url.QueryEscape(feedQuery), nil)
		req.Header.Set("Authorization", "Bearer "+volunteer)
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		res, raw, _ := fetch(t, req, encoding)
		return res, raw
	}
	res, body := get("identity", "")
	tag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || !regexp.MustCompile(`^"[A-Za-z0-9_-]+"$`).MatchString(tag) || len(body) == 0 {
		t.Fatalf("first GET: %d, ETag %q", res.StatusCode, tag)
	}
	vary := strings.Join(res.Header.Values("Vary"), ",")
	if cc := res.Header.Get("Cache-Control"); cc != "private, no-cache" || !strings.Contains(vary, "Authorization") || !strings.Contains(vary, "Accept-Encoding") {
		t.Fatalf("Cache-Control %q, Vary %q: want private, no-cache and Vary naming Authorization and Accept-Encoding", cc, vary)
	}
	res, body = get("identity", tag)
	if res.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("If-None-Match %s: got %d with %d bytes, want 304 and no body", tag, res.StatusCode, len(body))
	}
	if res, _ := get("identity", `"other", W/`+tag); res.StatusCode != http.StatusNotModified {
		t.Fatalf("If-None-Match listing the tag weakly: got %d, want 304", res.StatusCode)
	}
	// gzipped: another tag, which works the same way.
	res, _ = get("gzip", tag)
	gzTag := res.Header.Get("ETag")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" || gzTag == tag {
		t.Fatalf("gzip with the plain tag: %d, %q, ETag %q", res.StatusCode, res.Header.Get("Content-Encoding"), gzTag)
	}
	if res, body := get("gzip", gzTag); res.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Fatalf("gzip If-None-Match: got %d with %d bytes", res.StatusCode, len(body))
	}
	// Once the answer changes, so does its tag.
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	mustWish(t, e.review(staff, e.submit(resident, e.wishInput("想要一袋米")).ID, "PUBLISH", nil))
	res, body = get("identity", tag)
	if res.StatusCode != http.StatusOK || res.Header.Get("ETag") == tag || !bytes.Contains(body, []byte("想要一袋米")) {
		t.Fatalf("after a change: %d, ETag %q (was %q)", res.StatusCode, res.Header.Get("ETag"), tag)
	}
}

// An answer of data alone is written as the executor made it ({"data":…}, rawPOST), and
// still reads back exactly: text with markup, quotes, newlines and Chinese, in either media
// type. An answer with errors is gqlgen's as before.
func TestAnswerOfDataAlone(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	title := `<b>轮椅</b> & "拐杖"` + "\n第二行\t\\"
	w := e.published(resident, staff, title)
	q, _ := json.Marshal(map[string]any{"query": `query($id: ID!) { node(id: $id) { ... on Wish { title } } }`,
		"variables": map[string]any{"id": w.ID}})
	for _, accept := range []string{"", "application/graphql-response+json"} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", bytes.NewReader(q))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+resident)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out struct {
			Data struct{ Node struct{ Title string } }
		}
		if err := json.Unmarshal(b, &out); err != nil || !bytes.HasPrefix(b, []byte(`{"data":{"node":{"title":`)) || !bytes.HasSuffix(b, []byte("}}}")) {
			t.Fatalf("Accept %q: got %s (%v), want {\"data\":…} alone", accept, b, err)
		}
		if out.Data.Node.Title != title || res.StatusCode != http.StatusOK {
			t.Fatalf("Accept %q: got %d %q, want 200 %q", accept, res.StatusCode, out.Data.Node.Title, title)
		}
		if want := map[string]string{"": "application/json", "application/graphql-response+json": "application/graphql-response+json"}[accept]; res.Header.Get("Content-Type") != want {
			t.Fatalf("Accept %q: Content-Type %q, want %q", accept, res.Header.Get("Content-Type"), want)
		}
	}
	_, _, b := e.postAccept("", queryBody(`{ __typename wishFeed(first: 1) { totalCount } }`))
	var out struct {
		Data   *struct{}
		Errors []struct{ Extensions struct{ Code string } }
	}
	if err := json.Unmarshal(b, &out); err != nil || !bytes.Contains(b, []byte(`"data":null`)) || len(out.Errors) != 1 || out.Errors[0].Extensions.Code != "UNAUTHENTICATED" {
		t.Fatalf("got %s (%v), want one UNAUTHENTICATED error and null data", b, err)
	}
}

// A document that passed its checks is remembered (checkedDocs) by its text and the
// operation asked for: the same text run as each of its operations in turn answers each,
// and a document refused is refused every time it comes.
func TestCheckedDocumentsRemembered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const doc = `query A { __typename } query B { me { id } }`
	for _, op := range []string{"A", "B", "A", "B"} {
		b, _ := json.Marshal(map[string]any{"query": doc, "operationName": op})
		_, _, body := e.postAccept("", string(b))
		want := map[string]string{"A": `{"data":{"__typename":"Query"}}`, "B": `{"data":{"me":null}}`}[op]
		if string(body) != want {
			t.Fatalf("operation %s: got %s, want %s", op, body, want)
		}
	}
	for range 2 {
		_, _, body := e.postAccept("", queryBody(`{ wishFeed(first: 1) { nope } }`))
		if !bytes.Contains(body, []byte("GRAPHQL_VALIDATION_FAILED")) {
			t.Fatalf("got %s, want GRAPHQL_VALIDATION_FAILED each time", body)
		}
	}
}
