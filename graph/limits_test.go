package graph_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"linli/db"
	"linli/db/dbtest"
	"linli/graph"
)

// deepQuery nests children n levels below subdistricts.
func deepQuery(n int, first int) string {
	q := "name"
	for range n {
		q = "name children(first: " + itoa(first) + ") { nodes { " + q + " } }"
	}
	return "{ subdistricts(first: " + itoa(first) + ") { nodes { " + q + " } } }"
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestQueryLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *graph.Options) { o.MaxDepth = 8; o.MaxComplexity = 500 })
	token := e.login(phoneStaff)

	cases := []struct{ name, query string }{
		// Thin but deep: cheap by complexity, refused by depth.
		{"Depth", deepQuery(6, 1)},
		// Shallow but wide: refused by complexity.
		{"Complexity", `{ subdistricts(first: 100) { nodes { children(first: 100) { nodes { name children(first: 100) { nodes { name } } } } } } }`},
		{"Aliases", "{ " + strings.Repeat("a: me { id } b: me { id } c: me { id } d: me { id } e: me { id } ", 5) + "}"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			count := dbtest.Statements(t, e.db)
			r := e.do(token, c.query, nil)
			r.wantCode(t, db.EINVALID)
			if n := count(); n != 0 {
				t.Fatalf("a refused query ran %d SQL statements, want 0", n)
			}
		})
	}
	// Within the limits it runs.
	var ok struct {
		Subdistricts struct{ Nodes []struct{ Name string } }
	}
	e.do(token, deepQuery(2, 5), nil).Decode(t, &ok)
}

func TestTransport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *graph.Options) { o.MaxBodyBytes = 4096; o.AllowedOrigins = []string{"https://app.example.org"} })

	post := func(body, contentType string, header map[string]string) *response {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return e.send(req)
	}
	get := func(q string, header map[string]string) *response {
		req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/query?query="+url.QueryEscape(q), nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return e.send(req)
	}

	t.Run("BodyTooLarge", func(t *testing.T) {
		r := post(`{"query":"{ me { id } }","variables":{"pad":"`+strings.Repeat("x", 5000)+`"}}`, "application/json", nil)
		r.wantCode(t, db.EINVALID)
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status: got %d, want 413", r.Status)
		}
	})
	t.Run("FormRefused", func(t *testing.T) {
		post(`query=%7B+me+%7B+id+%7D+%7D`, "application/x-www-form-urlencoded", nil).wantCode(t, db.EINVALID)
		post(`--x\r\n`, "multipart/form-data; boundary=x", nil).wantCode(t, db.EINVALID)
	})
	t.Run("GetQuery", func(t *testing.T) {
		var out struct{ Subdistricts struct{ TotalCount int } }
		get(`{ subdistricts { totalCount } }`, nil).Decode(t, &out)
		if out.Subdistricts.TotalCount != 1 {
			t.Fatalf("GET query: got %d subdistricts", out.Subdistricts.TotalCount)
		}
	})
	t.Run("GetMutationRefused", func(t *testing.T) {
		r := get(`mutation { login(phone: "13800000002", password: "linli2026") { token } }`, nil)
		if len(r.Errors) == 0 || r.Data != nil && string(r.Data) != "null" {
			t.Fatalf("mutation over GET: got %s, want it refused", r.Data)
		}
		var n int
		e.db.Get(&n, `SELECT count(*) FROM sessions`)
		if n != 0 {
			t.Fatal("a mutation over GET signed someone in")
		}
	})
	t.Run("CrossSiteRefused", func(t *testing.T) {
		r := post(`{"query":"{ me { id } }"}`, "application/json", map[string]string{"Origin": "https://evil.example.com"})
		r.wantCode(t, db.EFORBIDDEN)
		get(`{ me { id } }`, map[string]string{"Sec-Fetch-Site": "cross-site"}).wantCode(t, db.EFORBIDDEN)
		// An allowed frontend origin works.
		var out struct{ Me *struct{ ID string } }
		post(`{"query":"{ me { id } }"}`, "application/json", map[string]string{"Origin": "https://app.example.org"}).Decode(t, &out)
	})
	t.Run("SyntaxError", func(t *testing.T) {
		post(`{"query":"{ me { id "}`, "application/json", nil).wantCode(t, db.EINVALID)
		post(`{"query":"{ nosuchfield }"}`, "application/json", nil).wantCode(t, db.EINVALID)
		post(`not json`, "application/json", nil).wantCode(t, db.EINVALID)
	})
}

// A nested list costs a fixed number of statements, however long the page.
func TestStatementCount(t *testing.T) {
	e := newEnv(t, batchGenerously)
	token := e.login(phoneStaff)
	const q = `query($p: ID!, $n: Int) {
		residents(placeId: $p, first: $n) { nodes { name phone tags household { name floorArea parent { name parent { name } } } } }
	}`
	community := e.placeID("和平社区")
	page := func(n int) func() {
		return func() {
			var out residentsPage
			e.do(token, q, map[string]any{"p": community, "n": n}).Decode(t, &out)
			if len(out.Residents.Nodes) != n {
				t.Fatalf("got %d residents, want %d", len(out.Residents.Nodes), n)
			}
		}
	}
	// the viewer with their grants, the place check, the page, then one batch per level:
	// household, building, grid.
	const want = 6
	counts := e.fewestStatements(
		func() { e.do(token, `{ me { id } }`, nil) }, // warm: statements are prepared once per connection
		func(c []int) bool { return c[0] == want && c[1] == want },
		page(5), page(50))
	if counts[0] != want || counts[1] != want {
		t.Fatalf("statements for 5 and 50 residents: got %v, want %d for both", counts, want)
	}
}

func TestInternalErrorsHidden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.login(phoneStaff)
	// Break the database under the service: what the client sees names no SQL.
	if _, err := e.db.Exec(`ALTER TABLE residents RENAME COLUMN tags TO tags_gone`); err != nil {
		t.Fatal(err)
	}
	r := e.do(token, residentsQuery, map[string]any{"p": e.placeID("和平社区")})
	r.wantCode(t, db.EINTERNAL)
	msg := r.Errors[0].Message
	if strings.Contains(msg, "tags") || strings.Contains(strings.ToLower(msg), "column") || r.Errors[0].Extensions["requestId"] == "" {
		t.Fatalf("internal error: got %+v, want a plain message with a request id", r.Errors[0])
	}
}

// A request past its time limit is answered, and the SQL behind it does not go on running.
// The lock is held throughout, so an answer at all shows the limit fired.
func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.login(phoneStaff) // with the tests' time limit: a busy machine may take 300 ms to sign in
	short := serve(t, e.db, func(o *graph.Options) { o.RequestTimeout = 300 * time.Millisecond })

	// Hold a lock the residents query needs, so it waits until cancelled.
	tx := e.holdLock("residents")
	defer tx.Rollback()
	r := short.do(token, residentsQuery, map[string]any{"p": e.placeID("和平社区")})
	r.wantCode(t, db.ETIMEOUT)
	if !strings.Contains(r.Errors[0].Message, "超时") {
		t.Fatalf("message: got %q, want it to say the request timed out", r.Errors[0].Message)
	}
	// Nothing is left waiting on the lock (PostgreSQL takes the cancel in its own time).
	if waiting := e.waitLockWaiters(func(w int) bool { return w == 0 }); waiting != 0 {
		t.Fatalf("%d statements still waiting after the request ended, want 0", waiting)
	}
}

// Schema tools (the playground, code generators) can load the schema despite the depth limit.
func TestIntrospectionAllowed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const typeRef = `kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`
	var out struct {
		Schema struct{ Types []struct{ Name string } } `json:"__schema"`
	}
	e.do("", `{ __schema { types { name fields { name type { `+typeRef+` } } } } }`, nil).Decode(t, &out)
	if len(out.Schema.Types) < 10 {
		t.Fatalf("got %d types, want the whole schema", len(out.Schema.Types))
	}
}

// graphiqlIntrospection is graphql-js's getIntrospectionQuery with every option on, as
// GraphiQL and code generators send it: the document limits must let it through.
const graphiqlIntrospection = `query IntrospectionQuery {
  __schema {
    description
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) { name description args(includeDeprecated: true) { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue isDeprecated deprecationReason }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

func TestGraphiQLIntrospection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var out struct {
		Schema struct{ Types []struct{ Name string } } `json:"__schema"`
	}
	e.do("", graphiqlIntrospection, nil).Decode(t, &out)
	if len(out.Schema.Types) < 10 {
		t.Fatalf("got %d types, want the whole schema", len(out.Schema.Types))
	}
}
