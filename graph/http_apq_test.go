package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
	"linli/graph"
)

func sha(text string) string {
	s := sha256.Sum256([]byte(text))
	return hex.EncodeToString(s[:])
}

// persisted sends a request by hash (and text, when given), by POST or GET.
func (e *env) persisted(method, token, hash, query string, vars map[string]any) *response {
	e.t.Helper()
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
	var req *http.Request
	if method == http.MethodGet {
		extJSON, _ := json.Marshal(ext)
		q := url.Values{"extensions": {string(extJSON)}}
		if query != "" {
			q.Set("query", query)
		}
		if vars != nil {
			v, _ := json.Marshal(vars)
			q.Set("variables", string(v))
		}
		req, _ = http.NewRequest(method, e.srv.URL+"/query?"+q.Encode(), nil)
	} else {
		body := map[string]any{"extensions": ext, "variables": vars}
		if query != "" {
			body["query"] = query
		}
		b, _ := json.Marshal(body)
		req, _ = http.NewRequest(method, e.srv.URL+"/query", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

// Automatic persisted queries, as Apollo Client and urql speak them: a hash the server does
// not know answers PERSISTED_QUERY_NOT_FOUND; the hash with the text runs and is
// remembered; then the hash alone runs, over POST or GET, under the same limits.
func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	volunteer := e.login(phoneVolunteer)
	const q = `query Me { me { name } }`
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		t.Run(method, func(t *testing.T) {
			query := q + " # " + method // a text of its own for each method
			hash := sha(query)
			r := e.persisted(method, volunteer, hash, "", nil)
			r.wantCode(t, "PERSISTED_QUERY_NOT_FOUND")
			if r.Status != http.StatusOK || r.Errors[0].Message != "PersistedQueryNotFound" || r.Data != nil && string(r.Data) != "null" {
				t.Fatalf("unknown hash: got %d %+v %s", r.Status, r.Errors, r.Data)
			}
			var me struct{ Me struct{ Name string } }
			e.persisted(method, volunteer, hash, query, nil).Decode(t, &me)
			if me.Me.Name == "" {
				t.Fatal("hash with text: no name")
			}
			me.Me.Name = ""
			e.persisted(method, volunteer, strings.ToUpper(hash), "", nil).Decode(t, &me)
			if me.Me.Name == "" {
				t.Fatal("hash alone after the text: no name")
			}
		})
	}
	// A hash that is not the text's is refused, and the text is not remembered under it.
	other := sha("{ __typename }")
	r := e.persisted(http.MethodPost, volunteer, other, q, nil)
	r.wantCode(t, db.EINVALID)
	if r.Status != http.StatusBadRequest || r.Field() != "extensions" {
		t.Fatalf("mismatched hash: got %d field %q", r.Status, r.Field())
	}
	e.persisted(http.MethodPost, volunteer, other, "", nil).wantCode(t, "PERSISTED_QUERY_NOT_FOUND")
	// A document the limits refuse is refused by hash too, and never remembered.
	deep := deepQuery(13, 1)
	e.persisted(http.MethodPost, volunteer, sha(deep), deep, nil).wantCode(t, db.EINVALID)
	e.persisted(http.MethodPost, volunteer, sha(deep), "", nil).wantCode(t, "PERSISTED_QUERY_NOT_FOUND")
	// A mutation remembered by POST is still refused over GET.
	const login = `mutation($p: String!) { login(phone: $p, password: "wrong") { token } }`
	e.persisted(http.MethodPost, "", sha(login), login, map[string]any{"p": "13800000009"}).wantCode(t, db.EUNAUTHENTICATED)
	r = e.persisted(http.MethodGet, "", sha(login), "", map[string]any{"p": "13800000009"})
	if r.Status != http.StatusMethodNotAllowed {
		t.Fatalf("mutation by hash over GET: got %d %+v", r.Status, r.Errors)
	}
	// A remembered hash costs no SQL statement of its own.
	const typename = `query T { __typename }`
	e.persisted(http.MethodPost, "", sha(typename), typename, nil).Decode(t, &struct{}{})
	count := dbtest.Statements(t, e.db)
	e.persisted(http.MethodPost, "", sha(typename), "", nil).Decode(t, &struct{}{})
	if n := count(); n != 0 {
		t.Fatalf("a remembered hash: %d statements, want 0", n)
	}
	// Many clients at once, each with its own text, all find theirs.
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			query := q + " # " + itoa(i)
			if r := e.persisted(http.MethodPost, volunteer, sha(query), query, nil); len(r.Errors) > 0 {
				t.Errorf("%d with text: %+v", i, r.Errors)
			}
			if r := e.persisted(http.MethodPost, volunteer, sha(query), "", nil); len(r.Errors) > 0 {
				t.Errorf("%d by hash: %+v", i, r.Errors)
			}
		}()
	}
	wg.Wait()
}

// In trusted documents mode only registered documents run, by id; any other text is
// refused before it runs, except, when the operator allows it, from a signed-in admin.
func TestTrustedDocuments(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *graph.Options) { o.TrustedDocuments = true })
	const me = `query Me { me { name } }`
	const login = "mutation Login($phone: String!, $password: String!) { login(phone: $phone, password: $password) { token } }"
	manifest := `{"` + sha(me) + `": ` + quote(me) + `, "sha256:` + sha(login) + `": ` + quote(login) + `, "2f0bd3e1c6f0f4a1b5d2c3e4f5a6b7c8": "query Relay { __typename }"}`
	docs, err := db.ParseManifest([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := db.AddTrustedDocuments(t.Context(), e.db, docs, "persisted-documents.json"); err != nil || n != 3 {
		t.Fatalf("registering: %d, %v", n, err)
	}
	// The registered sign-in runs by documentId, as the proposal sends it.
	loginByID := func(phone string) string {
		b, _ := json.Marshal(map[string]any{"documentId": "sha256:" + sha(login), "variables": map[string]any{"phone": phone, "password": demo.Password}})
		var signIn struct{ Login struct{ Token string } }
		e.postRaw(string(b)).Decode(t, &signIn)
		if signIn.Login.Token == "" {
			t.Fatal("registered login by documentId: no token")
		}
		return signIn.Login.Token
	}
	token := loginByID(phoneVolunteer)
	// By APQ hash over GET and POST, and a relay id.
	var out struct{ Me struct{ Name string } }
	e.persisted(http.MethodGet, token, sha(me), "", nil).Decode(t, &out)
	e.persisted(http.MethodPost, token, sha(me), me, nil).Decode(t, &out)
	if out.Me.Name == "" {
		t.Fatal("registered query: no name")
	}
	e.postRaw(`{"documentId": "2f0bd3e1c6f0f4a1b5d2c3e4f5a6b7c8"}`).Decode(t, &struct{}{})
	// Unregistered: text, a hash with its text, an unknown id. Nothing runs: a refused
	// sign-in makes no session.
	var before int
	e.db.Get(&before, `SELECT count(*) FROM sessions`)
	other := strings.Replace(login, "Login", "Other", 1)
	for name, r := range map[string]*response{
		"Text":         e.do("", other, map[string]any{"phone": phoneVolunteer, "password": demo.Password}),
		"HashWithText": e.persisted(http.MethodPost, "", sha(other), other, map[string]any{"phone": phoneVolunteer, "password": demo.Password}),
		"UnknownID":    e.postRaw(`{"documentId": "sha256:` + sha(other) + `"}`),
		"AdminText":    e.do(loginByID(phoneAdmin), `{ me { name } }`, nil),
	} {
		r.wantCode(t, "DOCUMENT_NOT_TRUSTED")
		if r.Status != http.StatusForbidden || !strings.Contains(r.Errors[0].Message, "已登记") {
			t.Errorf("%s: got %d %+v", name, r.Status, r.Errors)
		}
	}
	var after int
	e.db.Get(&after, `SELECT count(*) FROM sessions`)
	if after != before+1 { // loginByID(phoneAdmin) above
		t.Fatalf("sessions: %d before, %d after, want one more (the admin's)", before, after)
	}
	// A registered id with another text is refused.
	e.persisted(http.MethodPost, token, sha(me), `{ __typename }`, nil).wantCode(t, db.EINVALID)
}

// With TrustedDocumentsDevelopers, a signed-in admin may still send any text (the
// playground); anyone may send a text that only signs in; nobody else may send text.
func TestTrustedDocumentsDevelopers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *graph.Options) { o.TrustedDocuments, o.TrustedDocumentsDevelopers = true, true })
	var out struct{ Me struct{ Name string } }
	e.do(e.login(phoneAdmin), `{ me { name } }`, nil).Decode(t, &out)
	if out.Me.Name == "" {
		t.Fatal("admin's text: no name")
	}
	e.do(e.login(phoneStaff), `{ me { name } }`, nil).wantCode(t, "DOCUMENT_NOT_TRUSTED")
	e.do("", `{ __typename }`, nil).wantCode(t, "DOCUMENT_NOT_TRUSTED")
	e.do("not-a-token", `{ __typename }`, nil).wantCode(t, "DOCUMENT_NOT_TRUSTED")
	e.do("", `mutation { login(phone: "13800000002", password: "x") { token } me: logout }`, nil).wantCode(t, "DOCUMENT_NOT_TRUSTED")
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
