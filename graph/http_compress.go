package graph

import (
	"compress/gzip"
	"mime"
	"net/http"
	"strings"
	"sync"

	"linli/graph/playground"
)

// gzipMinBytes is the smallest answer worth compressing: below about 1 KiB, gzip's header
// and the CPU cost more than the bytes saved.
const gzipMinBytes = 1024

// gzipLevel favours CPU over the last few per cent of size: JSON's repeated keys compress
// well even at the fastest level, and the service's CPU is spent on the feed.
const gzipLevel = gzip.BestSpeed

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzipLevel)
	return w
}}

// compress gzips answers over gzipMinBytes of a textual type for clients that accept gzip.
// The answer is held until it is known to be that large; a WebSocket upgrade or an event
// stream passes untouched.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept-Encoding")
		if r.Method == http.MethodHead || !playground.AcceptsGzip(r) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w}
		defer gw.finish()
		next.ServeHTTP(gw, r)
	})
}

// compressible reports whether an answer with header h and status would be gzipped if it
// were large enough: text, JSON, JavaScript or SVG, not encoded already, with a body.
func compressible(h http.Header, status int) bool {
	if h.Get("Content-Encoding") != "" || status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
		return false
	}
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case strings.HasPrefix(mt, "text/") && mt != "text/event-stream",
		mt == mediaJSON, mt == mediaGraphQLResponse, mt == "application/javascript", mt == "image/svg+xml":
		return true
	}
	return false
}

// willGzip reports whether compress will gzip an answer of size bytes to r: the ETag of a
// GET answer names its encoding, as a strong validator must.
func willGzip(r *http.Request, h http.Header, status, size int) bool {
	return size >= gzipMinBytes && r.Method != http.MethodHead && playground.AcceptsGzip(r) && compressible(h, status)
}

type gzipWriter struct {
	http.ResponseWriter
	status  int
	buf     []byte
	decided bool
	gz      *gzip.Writer
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.decided {
		g.ResponseWriter.WriteHeader(code)
	} else if g.status == 0 {
		g.status = code
	}
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.status == 0 {
			g.status = http.StatusOK
		}
		if len(g.buf)+len(b) < gzipMinBytes {
			g.buf = append(g.buf, b...)
			return len(b), nil
		}
		if err := g.decide(true, b); err != nil {
			return 0, err
		}
		return len(b), nil
	}
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// decide sends the header, gzipped or not, and what was held back followed by more.
func (g *gzipWriter) decide(large bool, more []byte) error {
	g.decided = true
	h := g.ResponseWriter.Header()
	if large && compressible(h, g.status) {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		g.gz = gzipWriters.Get().(*gzip.Writer)
		g.gz.Reset(g.ResponseWriter)
	}
	if g.status != 0 {
		g.ResponseWriter.WriteHeader(g.status)
	}
	var out interface{ Write([]byte) (int, error) } = g.ResponseWriter
	if g.gz != nil {
		out = g.gz
	}
	for _, b := range [][]byte{g.buf, more} {
		if len(b) > 0 {
			if _, err := out.Write(b); err != nil {
				return err
			}
		}
	}
	g.buf = nil
	return nil
}

// Flush sends what is held: a handler that flushes wants its client to see it now.
func (g *gzipWriter) Flush() {
	if !g.decided {
		g.decide(len(g.buf) >= gzipMinBytes, nil)
	}
	if g.gz != nil {
		g.gz.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (g *gzipWriter) finish() {
	if !g.decided && (g.status != 0 || len(g.buf) > 0) {
		g.decide(false, nil)
	}
	if g.gz != nil {
		g.gz.Close()
		g.gz.Reset(nil)
		gzipWriters.Put(g.gz)
		g.gz = nil
	}
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }
