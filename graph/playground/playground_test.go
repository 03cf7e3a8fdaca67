package playground_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"linli/graph/playground"
)

const title = "linli 邻里"

func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	h := playground.Handler(title, "/query")
	mux.Handle("GET /{$}", h)
	mux.Handle("GET "+playground.Prefix, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path with no transparent decompression, so headers are what the server sent.
func get(t *testing.T, srv *httptest.Server, path string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestPage(t *testing.T) {
	srv := server(t)
	resp, body := get(t, srv, "/", nil)
	page := string(body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{title, "/query", `<html lang="zh-CN">`, `<meta charset="utf-8">`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "://") {
		t.Errorf("page names an external URL:\n%s", page)
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<style") || strings.Contains(page, " style=") {
		t.Errorf("page has inline script or style, which its policy refuses:\n%s", page)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	inline, err := os.ReadFile("inline-style.css")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(inline)
	styleSrc := "style-src 'self' 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "';"
	for _, want := range []string{"default-src 'none'", "script-src 'self';", styleSrc, "connect-src 'self';"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy %q allows unsafe sources", csp)
	}
	if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options %q", got)
	}
}

var (
	scriptRe = regexp.MustCompile(`<script src="([^"]+)"`)
	linkRe   = regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)"`)
)

func TestAssets(t *testing.T) {
	srv := server(t)
	_, body := get(t, srv, "/", nil)
	page := string(body)
	refs := map[string]string{}
	for _, m := range scriptRe.FindAllStringSubmatch(page, -1) {
		refs[m[1]] = "text/javascript"
	}
	for _, m := range linkRe.FindAllStringSubmatch(page, -1) {
		refs[m[1]] = "text/css"
	}
	if len(refs) < 5 {
		t.Fatalf("page refers to %d assets, want React, ReactDOM, GraphiQL's script and style, and its own script:\n%s", len(refs), page)
	}
	for ref, wantType := range refs {
		if !strings.HasPrefix(ref, playground.Prefix) {
			t.Errorf("%s is not served under %s", ref, playground.Prefix)
			continue
		}
		ref = strings.ReplaceAll(ref, "&amp;", "&")
		resp, body := get(t, srv, ref, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", ref, resp.StatusCode)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
			t.Errorf("%s: Content-Type %q, want %s", ref, ct, wantType)
		}
		if len(body) == 0 {
			t.Errorf("%s: empty body", ref)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s: versioned link gets Cache-Control %q", ref, cc)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", ref, got)
		}

		// Compressed for browsers that ask, with the same content.
		zresp, zbody := get(t, srv, ref, map[string]string{"Accept-Encoding": "gzip, deflate, br"})
		if zresp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(bytes.NewReader(zbody))
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(plain, body) {
				t.Errorf("%s: gzip body differs from the plain one (err %v)", ref, err)
			}
		} else if len(body) > 100_000 {
			t.Errorf("%s: %d bytes sent uncompressed", ref, len(body))
		}

		// A revalidation with the ETag costs nothing.
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Errorf("%s: no ETag", ref)
			continue
		}
		if resp, _ := get(t, srv, ref, map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
			t.Errorf("%s: revalidation got %d, want 304", ref, resp.StatusCode)
		}
	}
}

func TestUnversionedAssetIsRevalidated(t *testing.T) {
	srv := server(t)
	resp, body := get(t, srv, playground.Prefix+"graphiql.min.js", nil)
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Fatalf("status %d, %d bytes", resp.StatusCode, len(body))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q for a link without the content's version", cc)
	}
}

func TestUnknownAsset(t *testing.T) {
	srv := server(t)
	for _, path := range []string{
		playground.Prefix + "nope.js",
		playground.Prefix,
		playground.Prefix + "assets/playground.js",
		playground.Prefix + "..%2fplayground.go",
		"/playground.js",
	} {
		if resp, _ := get(t, srv, path, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestAbsoluteEndpointIsAllowedToConnect(t *testing.T) {
	rec := httptest.NewRecorder()
	playground.Handler(title, "https://api.example.org/query").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://api.example.org;") {
		t.Errorf("Content-Security-Policy %q does not allow the endpoint", csp)
	}
}

// Every file in assets/ that the browser runs or styles with is on the page: a script or
// stylesheet added to the folder but not to the page's lists would never load.
func TestPageListsEveryAsset(t *testing.T) {
	srv := server(t)
	_, body := get(t, srv, "/", nil)
	page := string(body)
	entries, err := os.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".css") {
			continue
		}
		if !strings.Contains(page, `"`+playground.Prefix+name+"?v=") {
			t.Errorf("assets/%s is not on the page", name)
		}
	}
}

// Nothing the page loads fetches from another host: the playground's own scripts and styles
// name no URL at all, and no stylesheet (GraphiQL's included) loads anything but data: URLs.
func TestAssetsStayOnThisHost(t *testing.T) {
	entries, err := os.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}
	urlRe := regexp.MustCompile(`url\(\s*['"]?([^'")\s]*)`)
	for _, e := range entries {
		name := e.Name()
		body, err := os.ReadFile("assets/" + name)
		if err != nil {
			t.Fatal(err)
		}
		text := string(body)
		if strings.HasPrefix(name, "playground") && strings.Contains(text, "://") {
			t.Errorf("assets/%s names a URL", name)
		}
		if strings.HasSuffix(name, ".css") {
			if strings.Contains(text, "@import") {
				t.Errorf("assets/%s imports another stylesheet", name)
			}
			for _, m := range urlRe.FindAllStringSubmatch(text, -1) {
				if !strings.HasPrefix(m[1], "data:") {
					t.Errorf("assets/%s loads %q", name, m[1])
				}
			}
		}
	}
}

// The browser tests (and people writing their own) find the playground's parts by these
// data-testid names; renaming one breaks them, so the names are checked here.
func TestBrowserContractNames(t *testing.T) {
	var all strings.Builder
	entries, err := os.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "playground") && strings.HasSuffix(e.Name(), ".js") {
			b, err := os.ReadFile("assets/" + e.Name())
			if err != nil {
				t.Fatal(err)
			}
			all.Write(b)
		}
	}
	js := all.String()
	for _, id := range []string{
		"signin-phone", "signin-password", "signin-submit", "signin-error", "whoami", "signout",
		"guide", "guide-open", "wish-card", "claim", "release", "fulfil", "confirm",
		"fulfil-note", "fulfil-hours", "fulfil-submit", "confirm-comment", "confirm-submit",
		"wish-title", "wish-description", "wish-category", "wish-deadline", "wish-submit",
		"my-hours", "my-points", "toast", "readable", "text-size-up", "text-size-down",
	} {
		if !strings.Contains(js, `'data-testid': '`+id+`'`) {
			t.Errorf("no element has data-testid %q", id)
		}
	}
	// Built from a prefix: guide-tab-<id> and rating-1..5.
	for _, part := range []string{`'data-testid': 'guide-tab-' + t.id`, `'data-testid': 'rating-' + n`,
		"id: 'board'", "id: 'mine'", "id: 'submit'", "id: 'confirm'", "id: 'proxy'", "id: 'review'",
		"[1, 2, 3, 4, 5]", "'data-wish-id': w.id", "'data-state': w.state"} {
		if !strings.Contains(js, part) {
			t.Errorf("the scripts lack %q", part)
		}
	}
}
