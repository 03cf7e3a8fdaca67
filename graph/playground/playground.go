// Package playground serves GraphiQL for the GraphQL endpoint with everything it needs
// embedded in the binary, so the playground works on machines with no internet access.
//
// The browser bundles of GraphiQL and React come from their published packages, byte for byte
// (versions and checksums in assets/VERSIONS.txt, licences beside them); update.sh fetches
// them again. The page itself runs no inline script: the playground's own scripts
// (assets/playground-*.js, started by assets/playground.js) add the sign-in bar, the guided
// tasks and the readable answer around GraphiQL.
package playground

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

// Prefix is where the assets are served; the page refers to them there.
const Prefix = "/playground/"

//go:embed assets
var embedded embed.FS

// The page loads these, in this order.
var (
	stylesheets = []string{"graphiql.min.css", "playground.css"}
	scripts     = []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js",
		"playground-core.js", "playground-i18n.js", "playground-guide.js", "playground-readable.js", "playground.js"}
)

// inlineStyle is the one stylesheet GraphiQL adds to the page itself: its menus and dialogs
// lock page scrolling with it (react-remove-scroll-bar). On this page, with no scroll bar and
// no body margin, its text is always this; update.sh writes it from the bundle.
//
//go:embed inline-style.css
var inlineStyle []byte

// contentSecurityPolicy allows the page only its own scripts and styles, plus that one inline
// stylesheet by its hash. GraphiQL's stylesheet carries its fonts and a few icons as data:
// URLs, hence font-src and img-src. connect-src is the GraphQL endpoint.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self' '%s'; " +
	"img-src data:; font-src data:; connect-src 'self'%s; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="icon" href="data:,">
{{- range .Stylesheets}}
<link rel="stylesheet" href="{{.}}">
{{- end}}
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}"><div class="loading">正在加载调试台…</div></div>
<noscript>调试台需要浏览器启用 JavaScript。</noscript>
{{- range .Scripts}}
<script src="{{.}}"></script>
{{- end}}
</body>
</html>
`))

type asset struct {
	name        string
	body        []byte
	contentType string
	hash        string // hex SHA-256 prefix: the ?v= of the page's links, and the ETag

	gzipOnce sync.Once
	gzipped  []byte // nil when compressing does not pay
}

var assets = sync.OnceValue(func() map[string]*asset {
	entries, err := fs.ReadDir(embedded, "assets")
	if err != nil {
		panic(err)
	}
	m := make(map[string]*asset, len(entries))
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		body, err := embedded.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		sum := sha256.Sum256(body)
		m[e.Name()] = &asset{
			name:        e.Name(),
			body:        body,
			contentType: contentType(e.Name()),
			hash:        hex.EncodeToString(sum[:8]),
		}
	}
	return m
})

func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}

// gzipBody compresses the asset once, on first demand.
func (a *asset) gzipBody() []byte {
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.body)
		zw.Close()
		if buf.Len() < len(a.body)*9/10 {
			a.gzipped = buf.Bytes()
		}
	})
	return a.gzipped
}

// Handler serves the playground page at / and its assets under /playground/; mount it at
// both. The page runs GraphiQL against endpoint, a path on this server or an absolute URL.
func Handler(title, endpoint string) http.Handler {
	all := assets()
	link := func(name string) string {
		a, ok := all[name]
		if !ok {
			panic("playground: asset " + name + " is not embedded")
		}
		return Prefix + name + "?v=" + a.hash
	}
	var data struct {
		Title, Endpoint      string
		Stylesheets, Scripts []string
	}
	data.Title, data.Endpoint = title, endpoint
	for _, n := range stylesheets {
		data.Stylesheets = append(data.Stylesheets, link(n))
	}
	for _, n := range scripts {
		data.Scripts = append(data.Scripts, link(n))
	}
	var html bytes.Buffer
	if err := page.Execute(&html, data); err != nil {
		panic(err)
	}
	body := html.Bytes()

	connect := ""
	if u, err := url.Parse(endpoint); err == nil && u.Scheme != "" && u.Host != "" {
		connect = " " + u.Scheme + "://" + u.Host
	}
	styleHash := sha256.Sum256(inlineStyle)
	csp := fmt.Sprintf(contentSecurityPolicy, "sha256-"+base64.StdEncoding.EncodeToString(styleHash[:]), connect)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/" {
			h.Set("Content-Type", "text/html; charset=utf-8")
			h.Set("Content-Security-Policy", csp)
			h.Set("Cache-Control", "no-cache")
			http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(body))
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		a := all[name]
		if !ok || a == nil {
			http.NotFound(w, r)
			return
		}
		serveAsset(w, r, a)
	})
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	if r.URL.Query().Get("v") == a.hash {
		// The URL names this exact content: it never changes.
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Add("Vary", "Accept-Encoding")
	body, etag := a.body, `"`+a.hash+`"`
	if AcceptsGzip(r) {
		if gz := a.gzipBody(); gz != nil {
			body, etag = gz, `"`+a.hash+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
}

// AcceptsGzip reports whether r accepts a gzipped answer (Accept-Encoding lists gzip, not with q=0).
func AcceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
