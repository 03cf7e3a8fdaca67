package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"linli/db"
	"linli/db/demo"
	"linli/graph"
)

const loginMutation = `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { token } }`

// behindProxy trusts the loopback address the tests connect from as a proxy, so each request
// names its client in X-Forwarded-For.
func behindProxy(o *graph.Options) {
	proxies, err := graph.ParseTrustedProxies("127.0.0.1, ::1")
	if err != nil {
		panic(err)
	}
	o.TrustedProxies = proxies
}

// loginFrom tries to sign in with X-Forwarded-For set to forwardedFor ("" for none).
func (e *env) loginFrom(forwardedFor, phone, password string) *response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": loginMutation, "variables": map[string]any{"p": phone, "w": password}})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	return e.send(req)
}

// signsIn checks that r is a successful sign-in.
func signsIn(t *testing.T, r *response) {
	t.Helper()
	var out struct{ Login struct{ Token string } }
	r.Decode(t, &out)
	if out.Login.Token == "" {
		t.Fatal("signed in without a token")
	}
}

// attempts runs n sign-ins at once, the i-th from forwardedFor(i) for phone(i), and counts
// the answers by code. Every RATE_LIMITED answer must say how long to wait.
func (e *env) attempts(t *testing.T, n int, forwardedFor, phone func(i int) string, password string) map[string]int {
	t.Helper()
	var wg sync.WaitGroup
	answers := make([]*response, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = e.loginFrom(forwardedFor(i), phone(i), password)
		}()
	}
	wg.Wait()
	count := map[string]int{}
	for _, r := range answers {
		count[r.Code()]++
		if r.Code() == db.ERATELIMITED {
			if ra, _ := r.Errors[0].Extensions["retryAfter"].(float64); ra <= 0 {
				t.Fatalf("RATE_LIMITED without retryAfter: %+v", r.Errors[0])
			}
		}
	}
	return count
}

func wantCounts(t *testing.T, got map[string]int, failed, refused int) {
	t.Helper()
	if got[db.EUNAUTHENTICATED] != failed || got[db.ERATELIMITED] != refused || len(got) > 2 {
		t.Fatalf("got %v, want exactly %d UNAUTHENTICATED and %d RATE_LIMITED", got, failed, refused)
	}
}

func sprayPhone(i int) string { return fmt.Sprintf("139%08d", i) }

// One client trying a password on 40 numbers at once is stopped at the per-address limit,
// exactly; the client it names to a trusted proxy is the right-most address the proxy
// vouches for, whatever it writes to the left; others sign in meanwhile.
func TestLoginSpray(t *testing.T) {
	t.Parallel()
	e := newEnv(t, behindProxy)
	limit := e.store.LoginLimits.PerAddress
	const attacker = "203.0.113.7"
	got := e.attempts(t, limit+10, func(i int) string { return fmt.Sprintf("10.9.%d.%d, %s", i/250, i%250, attacker) },
		sprayPhone, "password123")
	wantCounts(t, got, limit, 10)

	// Even a right password is refused from that address until the window ends...
	e.loginFrom(attacker, phoneResident, demo.Password).wantCode(t, db.ERATELIMITED)
	// ...while everyone else signs in, the owners of the sprayed numbers included.
	signsIn(t, e.loginFrom("198.51.100.9", phoneCouncil, demo.Password))
	signsIn(t, e.loginFrom("", phoneResident, demo.Password)) // the proxy itself
	e.clock.Advance(e.store.LoginLimits.Window + time.Second)
	e.loginFrom(attacker, sprayPhone(0), "password123").wantCode(t, db.EUNAUTHENTICATED)
}

// Without a trusted proxy X-Forwarded-For is the client's own say and is ignored: spraying
// with a different forwarded address each time is stopped all the same.
func TestLoginForwardedForUntrusted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	limit := e.store.LoginLimits.PerAddress
	got := e.attempts(t, limit+10, func(i int) string { return fmt.Sprintf("198.51.100.%d", i) }, sprayPhone, "password123")
	wantCounts(t, got, limit, 10)
	e.loginFrom("192.0.2.200", phoneCouncil, demo.Password).wantCode(t, db.ERATELIMITED)
}

// An attacker's failures on a number from one address lock that address out of that number,
// exactly at the limit, however often it keeps trying, and never the real owner elsewhere.
func TestLoginOwnerNotLockedOut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, behindProxy)
	limits := e.store.LoginLimits
	const attacker, owner = "203.0.113.7", "198.51.100.9"
	// More refused attempts than the per-number limit: refused attempts must count nowhere.
	n := limits.PerPhone + 10
	got := e.attempts(t, n, func(int) string { return attacker }, func(int) string { return phoneSupervisor }, "guess-it")
	wantCounts(t, got, limits.PerPhoneAddress, n-limits.PerPhoneAddress)
	e.loginFrom(attacker, phoneSupervisor, demo.Password).wantCode(t, db.ERATELIMITED)
	// The same address may still sign in to other numbers.
	signsIn(t, e.loginFrom(attacker, phoneCouncil, demo.Password))
	signsIn(t, e.loginFrom(owner, phoneSupervisor, demo.Password))
}

// Many addresses against one number together are stopped at the per-number limit, exactly:
// then the number is refused from everywhere until the window ends.
func TestLoginPerPhoneLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, behindProxy)
	e.store.LoginLimits.PerPhone = 12
	got := e.attempts(t, 40, func(i int) string { return fmt.Sprintf("203.0.113.%d", i) }, func(int) string { return phoneSupervisor }, "guess-it")
	wantCounts(t, got, 12, 28)
	e.loginFrom("198.51.100.9", phoneSupervisor, demo.Password).wantCode(t, db.ERATELIMITED)
	e.clock.Advance(e.store.LoginLimits.Window + time.Second)
	signsIn(t, e.loginFrom("198.51.100.9", phoneSupervisor, demo.Password))
}

// A failed sign-in says how many attempts are left; a right password forgets the failures of
// that number from that address.
func TestLoginAttemptsLeft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	limit := e.store.LoginLimits.PerPhoneAddress
	left := func(r *response) int {
		t.Helper()
		r.wantCode(t, db.EUNAUTHENTICATED)
		n, ok := r.Errors[0].Extensions["attemptsLeft"].(float64)
		if !ok {
			t.Fatalf("no attemptsLeft in %+v", r.Errors[0])
		}
		return int(n)
	}
	for i := 1; i < limit; i++ {
		if got := left(e.loginFrom("", phoneSupervisor, "guess-it")); got != limit-i {
			t.Fatalf("after %d failures: attemptsLeft %d, want %d", i, got, limit-i)
		}
	}
	signsIn(t, e.loginFrom("", phoneSupervisor, demo.Password))
	if got := left(e.loginFrom("", phoneSupervisor, "guess-it")); got != limit-1 {
		t.Fatalf("after signing in and failing once: attemptsLeft %d, want %d", got, limit-1)
	}
	for range limit - 2 {
		e.loginFrom("", phoneSupervisor, "guess-it")
	}
	last := e.loginFrom("", phoneSupervisor, "guess-it")
	if got := left(last); got != 0 {
		t.Fatalf("the last allowed failure: attemptsLeft %d, want 0", got)
	}
	if ra, _ := last.Errors[0].Extensions["retryAfter"].(float64); ra <= 0 {
		t.Fatalf("the last allowed failure does not say how long to wait: %+v", last.Errors[0])
	}
	e.loginFrom("", phoneSupervisor, demo.Password).wantCode(t, db.ERATELIMITED)
}

// The sweep forgets counts whose window has ended, and only those.
func TestForgetLoginFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.loginFrom("", phoneSupervisor, "guess-it").wantCode(t, db.EUNAUTHENTICATED)
	e.clock.Advance(e.store.LoginLimits.Window / 2)
	e.loginFrom("", phoneCouncil, "guess-it").wantCode(t, db.EUNAUTHENTICATED)
	e.clock.Advance(e.store.LoginLimits.Window/2 + time.Second)
	n, err := e.store.ForgetLoginFailures(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The address's count and the first number's have ended; the second number's have not.
	var rest int
	e.db.Get(&rest, `SELECT count(*) FROM login_throttle`)
	if n != 3 || rest != 2 {
		t.Fatalf("forgot %d counts and kept %d, want 3 and 2", n, rest)
	}
}

func TestClientAddress(t *testing.T) {
	trusted, err := graph.ParseTrustedProxies("10.0.0.0/8, 127.0.0.1, ::1, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, peer, forwardedFor, want string }{
		{"untrusted peer: the header is ignored", "203.0.113.7:5000", "198.51.100.1", "203.0.113.7"},
		{"trusted peer, no header", "10.0.0.2:5000", "", "10.0.0.2"},
		{"trusted peer names the client", "10.0.0.2:5000", "198.51.100.1", "198.51.100.1"},
		{"right-most untrusted, past a chain of proxies", "127.0.0.1:5000", "6.6.6.6, 198.51.100.1, 10.1.1.1, 10.2.2.2", "198.51.100.1"},
		{"all trusted: the left-most", "10.0.0.2:5000", "10.3.3.3, 10.1.1.1", "10.3.3.3"},
		{"unreadable hop: the last one vouched for", "10.0.0.2:5000", "198.51.100.1, bogus, 10.1.1.1", "10.1.1.1"},
		{"ports and IPv6", "[::1]:5000", "[2001:db8::1]:443", "2001:db8::1"},
		{"IPv4 in IPv6", "[::ffff:10.0.0.2]:5000", "198.51.100.1:80", "198.51.100.1"},
		{"IPv6 proxy range", "[fd00::5]:5000", "2001:db8::9", "2001:db8::9"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/query", nil)
			r.RemoteAddr = c.peer
			if c.forwardedFor != "" {
				r.Header.Set("X-Forwarded-For", c.forwardedFor)
			}
			if got := graph.ClientAddress(r, trusted); got != c.want {
				t.Fatalf("got %s, want %s", got, c.want)
			}
		})
	}
	// Several header lines read as one list.
	r := httptest.NewRequest(http.MethodPost, "/query", nil)
	r.RemoteAddr = "10.0.0.2:5000"
	r.Header.Add("X-Forwarded-For", "6.6.6.6")
	r.Header.Add("X-Forwarded-For", "198.51.100.1, 10.1.1.1")
	if got := graph.ClientAddress(r, trusted); got != "198.51.100.1" {
		t.Fatalf("two header lines: got %s, want 198.51.100.1", got)
	}
	for _, bad := range []string{"10.0.0.0/33", "localhost", "10.0.0.1/8/8"} {
		if _, err := graph.ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q): got no error", bad)
		}
	}
}

// Failures and successes at once, over numbers and addresses that share counts: every
// failure is counted once and every success gives its attempt back, with no attempt lost to
// a deadlock between counts locked by different sign-ins.
func TestLoginCountsUnderMixedLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t, behindProxy)
	e.store.LoginLimits = db.LoginLimits{PerPhoneAddress: 100, PerAddress: 100, PerPhone: 200, Window: 15 * time.Minute}
	phones := []string{phoneSupervisor, phoneCouncil, sprayPhone(1)}
	addresses := []string{"203.0.113.1", "203.0.113.2", "2001:db8::1"}
	const n = 60
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			password := "guess-it"
			if i%2 == 0 {
				password = demo.Password
			}
			codes[i] = e.loginFrom(addresses[i%3], phones[i/3%3], password).Code()
		}()
	}
	wg.Wait()
	failedFrom, failedFor := map[string]int{}, map[string]int{}
	for i, code := range codes {
		switch {
		case code == db.EUNAUTHENTICATED:
			failedFrom[addresses[i%3]]++
			failedFor[phones[i/3%3]]++
		case code != "" && code != db.EUNAUTHENTICATED:
			t.Fatalf("attempt %d: got %s, want a sign-in or UNAUTHENTICATED", i, code)
		case phones[i/3%3] == sprayPhone(1):
			t.Fatalf("attempt %d signed in to a number nobody registered", i)
		}
	}
	count := func(phone, address string) int {
		var n int
		e.db.Get(&n, `SELECT coalesce(sum(failures), 0) FROM login_throttle WHERE phone = $1 AND address = $2`, phone, address)
		return n
	}
	for _, a := range addresses {
		key := a
		if a == "2001:db8::1" {
			key = "2001:db8::/64"
		}
		if got := count("", key); got != failedFrom[a] {
			t.Errorf("failures counted for %s: got %d, want %d", a, got, failedFrom[a])
		}
	}
	for _, p := range phones {
		if got := count(p, ""); got != failedFor[p] {
			t.Errorf("failures counted for %s: got %d, want %d", p, got, failedFor[p])
		}
	}
}
