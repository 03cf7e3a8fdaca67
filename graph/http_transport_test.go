package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"linli/db"
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
