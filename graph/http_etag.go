package graph

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// etagWriter holds a GET query's answer to give it a strong ETag (a hash of the body) and
// answer If-None-Match with 304 and no body: a client polling the same query gets "nothing
// changed" for a few hundred bytes. The query still runs; only the transfer is saved. The
// answer is the viewer's own, so shared caches must not keep it and a browser must ask
// again before using it (private, no-cache).
type etagWriter struct {
	http.ResponseWriter
	r      *http.Request
	status int
	body   []byte
}

func newETagWriter(w http.ResponseWriter, r *http.Request) *etagWriter {
	h := w.Header()
	h.Set("Cache-Control", "private, no-cache")
	h.Add("Vary", "Authorization, Accept")
	return &etagWriter{ResponseWriter: w, r: r}
}

func (e *etagWriter) WriteHeader(code int) {
	if e.status == 0 {
		e.status = code
	}
}

func (e *etagWriter) Write(b []byte) (int, error) {
	if e.status == 0 {
		e.status = http.StatusOK
	}
	e.body = append(e.body, b...)
	return len(b), nil
}

// finish sends the answer, or 304 when the client holds it already.
func (e *etagWriter) finish() {
	if e.status == 0 {
		return
	}
	w := e.ResponseWriter
	if e.status == http.StatusOK {
		sum := sha256.Sum256(e.body)
		tag := base64.RawURLEncoding.EncodeToString(sum[:18])
		// A strong validator names one sequence of bytes: the gzipped answer is another.
		if willGzip(e.r, w.Header(), e.status, len(e.body)) {
			tag += "-gzip"
		}
		tag = `"` + tag + `"`
		w.Header().Set("ETag", tag)
		if noneMatch(e.r.Header.Get("If-None-Match"), tag) {
			h := w.Header()
			h.Del("Content-Type")
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.WriteHeader(e.status)
	w.Write(e.body)
}

// noneMatch reports whether If-None-Match header lists tag (or is *). Comparison is weak, as
// RFC 9110 says for If-None-Match: a W/ prefix is ignored.
func noneMatch(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}

func (e *etagWriter) Unwrap() http.ResponseWriter { return e.ResponseWriter }
