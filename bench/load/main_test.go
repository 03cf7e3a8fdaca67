package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// A run whose answers carry GraphQL errors, or are not 200, must fail with every failed
// request counted: it is never a fast run.
func TestFailuresAreCountedAndFailTheRun(t *testing.T) {
	for name, answer := range map[string]func(http.ResponseWriter){
		"graphql errors": func(w http.ResponseWriter) {
			w.Write([]byte(`{"data":null,"errors":[{"message":"no"}]}`))
		},
		"errors after data": func(w http.ResponseWriter) {
			w.Write([]byte(`{"data":{"wishFeed":null},"errors":[{"message":"partial"}]}`))
		},
		"status 500": func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"data":{}}`))
		},
		"not json": func(w http.ResponseWriter) { w.Write([]byte(`<html>`)) },
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer(w) }))
			defer srv.Close()
			lists := [][]request{{{body: []byte(`{}`)}, {body: []byte(`{}`)}}, {{body: []byte(`{}`)}}}
			lat, _, err := drive(srv.Client(), srv.URL, 2, 10*time.Second, 3, nil, lists)
			var f *failures
			if !errors.As(err, &f) || f.n != 3 || len(lat) != 0 {
				t.Fatalf("got err %v and %d successes, want 3 failures and none", err, len(lat))
			}
		})
	}
}

// A good answer that merely contains the word errors in its data is a success, and a
// request list is used exactly once.
func TestListIsUsedOnce(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte(`{"data":{"title":"errors: none \"errors\": here"}}`))
	}))
	defer srv.Close()
	lists := [][]request{{{body: []byte(`{}`)}, {body: []byte(`{}`)}}, {{body: []byte(`{}`)}}}
	lat, _, err := drive(srv.Client(), srv.URL, 2, 10*time.Second, 3, nil, lists)
	if err != nil || len(lat) != 3 || hits.Load() != 3 {
		t.Fatalf("got err %v, %d successes, %d hits; want 3 and 3", err, len(lat), hits.Load())
	}
}

func TestOnlyLoopbackTargets(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:8080/query", "http://localhost:1/", "http://[::1]:80/graphql"} {
		if err := loopbackOnly(u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1/query", "http://example.com/", "http://192.168.1.1:80/", "ftp://127.0.0.1/", "127.0.0.1:8080"} {
		if loopbackOnly(u) == nil {
			t.Errorf("%s: accepted", u)
		}
	}
}
