package graph

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
)

// requestID is the id of r: the X-Request-Id a proxy or client sent, when well formed, so
// one id follows a request through every log; otherwise a new one. Well formed is 1 to
// 128 characters of A-Z, a-z, 0-9 and . _ : - (what UUIDs, ULIDs and the ids proxies make
// use), so an id copied into a log line or an error message cannot forge another line or
// carry markup.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); wellFormedRequestID(id) {
		return id
	}
	return newRequestID()
}

func wellFormedRequestID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
