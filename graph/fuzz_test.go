// Fuzz targets: the HTTP endpoint (documents, variables, whole bodies, analysts' filters)
// and the global IDs (cursors, times and dates are fuzzed in graph/model, whose test binary
// starts no database, so its fuzz workers start at once). Any
// panic, any HTTP 500 and any INTERNAL answer fails. Under plain `go test` each runs its
// seed corpus; CI runs each for a fixed time, one at a time:
//
//	go test -run '^$' -fuzz '^FuzzEndpoint$' -fuzztime 20s -parallel 2 ./graph/
package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
	"linli/graph"
)

// fuzzServer is a service on a fresh database with the demo data, and a token of staff
// and of the analyst. Fuzz workers are processes of their own: each makes its own.
type fuzzServer struct {
	url            string
	staff, analyst string
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	d, _ := dbtest.New(f)
	store := db.NewStore(d)
	store.Password = testPassword
	store.BallotKey = testBallotKey
	opts := graph.DefaultOptions()
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv := httptest.NewServer(graph.NewHandler(store, opts))
	f.Cleanup(srv.Close)
	if _, err := demo.Load(f.Context(), store); err != nil {
		f.Fatalf("loading demo data: %v", err)
	}
	s := &fuzzServer{url: srv.URL + "/query"}
	for _, a := range []struct {
		phone string
		dst   *string
	}{{phoneStaff, &s.staff}, {phoneAnalyst, &s.analyst}} {
		body, _ := json.Marshal(map[string]any{"query": `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { token } }`,
			"variables": map[string]any{"p": a.phone, "w": demo.Password}})
		var out struct {
			Data struct{ Login struct{ Token string } }
		}
		res, err := http.Post(s.url, "application/json", bytes.NewReader(body))
		if err != nil {
			f.Fatal(err)
		}
		json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		*a.dst = out.Data.Login.Token
	}
	return s
}

// check posts body as the holder of token and fails on a 500, a body that is not a GraphQL
// response, or an INTERNAL error.
func (s *fuzzServer) check(t *testing.T, token string, body []byte) {
	req, _ := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("status %d, not a GraphQL response: %.300s", res.StatusCode, raw)
	}
	if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d for %.300q: %+v", res.StatusCode, body, r.Errors)
	}
	for _, e := range r.Errors {
		if e.Extensions["code"] == db.EINTERNAL {
			t.Fatalf("INTERNAL for %.500q: %+v", body, e)
		}
	}
}

// readmeOperations are the GraphQL examples of the README: real operations, as seeds.
func readmeOperations(f *testing.F) []string {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		f.Fatal(err)
	}
	var ops []string
	for _, block := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		starts := regexp.MustCompile(`(?m)^(?:\{|query|mutation)`).FindAllStringIndex(block[1], -1)
		for i, st := range starts {
			end := len(block[1])
			if i+1 < len(starts) {
				end = starts[i+1][0]
			}
			ops = append(ops, strings.TrimSpace(block[1][st[0]:end]))
		}
	}
	if len(ops) < 10 {
		f.Fatalf("found %d GraphQL examples in the README, want more", len(ops))
	}
	return ops
}

// FuzzEndpoint sends documents with variables, as staff.
func FuzzEndpoint(f *testing.F) {
	s := newFuzzServer(f)
	for _, op := range readmeOperations(f) {
		f.Add(op, `{}`)
	}
	f.Add(`query($p: ID!, $f: ResidentFilter) { residents(placeId: $p, filter: $f) { totalCount nodes { name } } }`, `{"p": "UGxhY2U6Mg", "f": {"nameContains": "张"}}`)
	f.Add(`mutation($in: SubmitWishInput!) { submitWish(input: $in) { id } }`, `{"in": {"category": "REPAIR", "title": "t", "description": "d", "deadline": "2026-12-31T10:00:00+08:00"}}`)
	f.Add(`{ wishes(filter: {createdAfter: "2026-01-01T00:00:00Z", text: "轮椅"}) { totalCount } }`, `null`)
	f.Add(`query { ...F } fragment F on Query { me { id } }`, `{}`)
	f.Add(`{ node(id: "UGxhY2U6MQ") { ... on Place { name } } }`, `{}`)
	f.Fuzz(func(t *testing.T, query, variables string) {
		vars := json.RawMessage(variables)
		if !json.Valid(vars) {
			vars = json.RawMessage(`null`)
		}
		body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		s.check(t, s.staff, body)
	})
}

// FuzzBody sends whole bodies, well-formed or not.
func FuzzBody(f *testing.F) {
	s := newFuzzServer(f)
	for _, op := range readmeOperations(f)[:5] {
		b, _ := json.Marshal(map[string]any{"query": op})
		f.Add(b)
	}
	for _, b := range []string{`[{"query":"{ me { id } }"}]`, `{"query":"{ me { id } }","variables":[]}`, `{"query":5}`,
		`{"query":"{ me { id } }","extensions":{"persistedQuery":{"version":1}}}`, `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"ab"}}}`, `{"documentId":"sha256:ab","query":"{ me { id } }"}`, `{"query":"{ me { id } }","operationName":null}`, `null`, ``} {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		s.check(t, "", body)
	})
}

// FuzzStatsFilter sends analysts' filters (and/or/not, comparisons of numbers and times).
func FuzzStatsFilter(f *testing.F) {
	s := newFuzzServer(f)
	for _, filter := range []string{
		`{"createdAt": {"gte": "2026-01-01T00:00:00+08:00"}, "or": [{"category": {"in": ["REPAIR", "ESCORT"]}}, {"rating": {"lte": 2}}], "not": {"state": {"eq": "CANCELLED"}}}`,
		`{"rating": {"gte": 1}, "not": {"placeIds": ["UGxhY2U6Mjc"]}}`,
		`{"and": [{"and": [{"not": {"rating": {"in": [1, 2]}}}]}]}`,
		`{"createdAt": {"gt": "2026-13-45"}}`,
	} {
		f.Add(filter, "MONTH")
	}
	const q = `query($f: WishStatsFilter, $p: StatsPeriod) { wishStats(filter: $f, groupBy: {period: $p}) { groups { wishes } total { wishes } } }`
	f.Fuzz(func(t *testing.T, filter, period string) {
		vars := map[string]any{"p": period}
		var fv any
		if json.Unmarshal([]byte(filter), &fv) == nil {
			vars["f"] = fv
		}
		body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
		s.check(t, s.analyst, body)
	})
}

// FuzzGlobalID: any text is an ID or not, without panicking, and an ID reads back as made.
func FuzzGlobalID(f *testing.F) {
	for _, s := range []string{graph.GlobalID("Wish", 1), graph.GlobalID("Place", 1<<62), "UGxhY2U6MQ", "", "Ojo", "V2lzaDotMQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, n, ok := graph.ParseGlobalID(s)
		if !ok {
			return
		}
		if n <= 0 {
			t.Fatalf("%q: key %d, want positive", s, n)
		}
		if typ2, n2, ok := graph.ParseGlobalID(graph.GlobalID(typ, n)); !ok || typ2 != typ || n2 != n {
			t.Fatalf("%q: (%q, %d) does not read back", s, typ, n)
		}
	})
}
