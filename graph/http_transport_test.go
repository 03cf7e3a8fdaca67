package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

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
