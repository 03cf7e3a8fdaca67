package graph_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"linli/db"
)

// The playground (and any client) tells a person why they are not signed in from the
// message alone: never signed in, a header in the wrong form, a sign-in that expired, or one
// that was ended. Each is UNAUTHENTICATED with its own message.
func TestSignInMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const needsSignIn = `{ myClaims { totalCount } }`

	withHeader := func(h string) *response {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", strings.NewReader(`{"query":"`+needsSignIn+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", h)
		return e.send(req)
	}
	message := func(r *response) string {
		t.Helper()
		r.wantCode(t, db.EUNAUTHENTICATED)
		return r.Errors[0].Message
	}
	want := func(what, got, phrase string) {
		t.Helper()
		if !strings.Contains(got, phrase) {
			t.Errorf("%s: message %q, want one saying %q", what, got, phrase)
		}
	}

	notSignedIn := message(e.do("", needsSignIn, nil))
	want("no header", notSignedIn, "请先登录")
	for _, h := range []string{"Bearer ", "Bearer", "Basic abc", "Token abc"} {
		want(h, message(withHeader(h)), "请求头格式不对")
	}
	ended := message(withHeader("Bearer forged-token"))
	want("unknown token", ended, "登录已失效")

	token := e.login(phoneVolunteer)
	var out struct{ Logout bool }
	e.do(token, `mutation { logout }`, nil).Decode(t, &out)
	want("signed out", message(e.do(token, needsSignIn, nil)), "已退出登录")

	token = e.login(phoneVolunteer)
	e.clock.Advance(e.store.TokenTTL + time.Minute)
	want("expired", message(e.do(token, needsSignIn, nil)), "登录已过期")
}
