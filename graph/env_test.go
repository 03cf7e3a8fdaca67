package graph_test

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
	"linli/graph"
)

func TestMain(m *testing.M) {
	// The wish tests count the wishes they make themselves: start from an empty board.
	demo.Wishes = false
	demo.Deliberation = false
	demo.Reports = false
	dbtest.Main(m)
}

// clock is a settable clock, so tests can expire tokens without waiting.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is one test's service: a fresh database (with the demo data, from newEnv), served
// over real HTTP.
type env struct {
	t     *testing.T
	db    *sqlx.DB
	store *db.Store
	clock *clock
	srv   *httptest.Server
	opts  graph.Options
}

// testPassword keeps argon2id cheap in tests; production costs are checked in db.
var testPassword = db.PasswordParams{Time: 1, Memory: 64, Threads: 1}

func newEnv(t *testing.T, configure ...func(*graph.Options)) *env {
	t.Helper()
	d, _ := dbtest.New(t)
	e := serve(t, d, configure...)
	if _, err := demo.Load(t.Context(), e.store); err != nil {
		t.Fatalf("loading demo data: %v", err)
	}
	return e
}

// testNow is the tests' clock at the start: the demo and the generated district are made
// as of it.
var testNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// serve serves database d, as it is, over real HTTP.
func serve(t *testing.T, d *sqlx.DB, configure ...func(*graph.Options)) *env {
	t.Helper()
	e := &env{t: t, db: d, clock: &clock{now: testNow}}
	e.store = db.NewStore(d)
	e.store.Now = e.clock.Now
	e.store.Password = testPassword
	e.store.BallotKey = testBallotKey
	e.opts = graph.DefaultOptions()
	e.opts.Logger = discardLogger()
	// Tests assert what a request does, not how fast: on a loaded machine, with the race
	// detector, hundreds of requests at once can take far longer than the service's 15 s.
	// The tests of the time limit itself set their own.
	e.opts.RequestTimeout = testRequestTimeout
	for _, c := range configure {
		c(&e.opts)
	}
	e.srv = httptest.NewServer(graph.NewHandler(e.store, e.opts))
	t.Cleanup(e.srv.Close)
	return e
}

// testRequestTimeout is the tests' request time limit: longer than any test takes, so that
// a request is answered by the code, never cut by the clock.
const testRequestTimeout = time.Hour

// batchGenerously lets a batch wait longer for its keys (200 ms of quiet, 4 s in all), for
// the tests that count statements: on a machine busy with other test binaries, a short wait
// can split a batch, which costs one statement more and says nothing about the code under
// test.
func batchGenerously(o *graph.Options) { o.LoaderWait = 200 * time.Millisecond }

// fewestStatements counts the SQL statements of each of runs (warm runs first and is not
// counted) and returns, for each, the fewest it cost over up to five rounds, stopping once ok
// accepts them. A loader batch can still split on a busy machine (a goroutine held off the
// CPU for longer than the batch waits sends its key in a batch of its own): that only ever
// adds statements, and not in every round. A statement the code really costs, such as a
// lookup per item, shows in every round, so the fewest seen is the code's count, not the
// machine's.
func (e *env) fewestStatements(warm func(), ok func(counts []int) bool, runs ...func()) []int {
	e.t.Helper()
	fewest := make([]int, len(runs))
	for round := range 5 {
		for i, run := range runs {
			warm()
			count := dbtest.Statements(e.t, e.db)
			run()
			if n := count(); round == 0 || n < fewest[i] {
				fewest[i] = n
			}
		}
		if ok(fewest) {
			break
		}
		e.t.Logf("round %d: fewest statements so far %v; running again", round+1, fewest)
	}
	return fewest
}

// gqlError is one error of a GraphQL response.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// response is a GraphQL response as a client sees it.
type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// Code is the code of the first error, or "" when there is none.
func (r *response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Field is extensions.field of the first error.
func (r *response) Field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// Decode reads data into dst, failing the test on any error in the response.
func (r *response) Decode(t *testing.T, dst any) {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, dst); err != nil {
		t.Fatalf("decoding %s: %v", r.Data, err)
	}
}

// wantCode checks that the response failed with code.
func (r *response) wantCode(t *testing.T, code string) {
	t.Helper()
	if got := r.Code(); got != code {
		t.Fatalf("error code: got %q, want %q (errors: %+v)", got, code, r.Errors)
	}
}

// do posts a GraphQL request as the holder of token ("" for nobody).
func (e *env) do(token, query string, vars map[string]any) *response {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) *response {
	e.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		e.t.Fatalf("decoding response (status %d): %v", res.StatusCode, err)
	}
	r.Status = res.StatusCode
	return &r
}

// login signs in a demo account by phone and returns its token.
func (e *env) login(phone string) string {
	e.t.Helper()
	var out struct {
		Login struct{ Token string }
	}
	e.do("", `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { token } }`,
		map[string]any{"p": phone, "w": demo.Password}).Decode(e.t, &out)
	return out.Login.Token
}

// placeID returns the global ID of the place with that name.
func (e *env) placeID(name string) string {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM places WHERE name = $1 ORDER BY id LIMIT 1`, name); err != nil {
		e.t.Fatalf("place %q: %v", name, err)
	}
	return graph.GlobalID("Place", id)
}

// accountID returns the global ID of the account with that phone.
func (e *env) accountID(phone string) string {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM accounts WHERE phone = $1`, phone); err != nil {
		e.t.Fatalf("account %q: %v", phone, err)
	}
	return graph.GlobalID("Account", id)
}

// holdLock takes table's exclusive lock in a transaction of its own, for a test that needs
// a statement to wait; rolling the transaction back releases it.
func (e *env) holdLock(table string) *sqlx.Tx {
	e.t.Helper()
	tx, err := e.db.Beginx()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE ` + pq.QuoteIdentifier(table) + ` IN ACCESS EXCLUSIVE MODE`); err != nil {
		tx.Rollback()
		e.t.Fatal(err)
	}
	return tx
}

// waitLockWaiters polls until done holds for the number of other statements of this database
// waiting on a lock, or the test's time runs out; it returns the last count.
func (e *env) waitLockWaiters(done func(waiting int) bool) int {
	e.t.Helper()
	deadline := time.Now().Add(dbtest.TimeLeft(e.t))
	for {
		var waiting int
		if err := e.db.Get(&waiting, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`); err != nil {
			e.t.Fatal(err)
		}
		if done(waiting) || time.Now().After(deadline) {
			return waiting
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// Demo sign-ins (demo.Accounts).
const (
	phoneResident       = "13800000001"
	phoneVolunteer      = "13800000002"
	phonePartyMember    = "13800000003"
	phoneGridWorker     = "13800000004"
	phoneBuildingLeader = "13800000005"
	phoneStaff          = "13800000006"
	phoneCouncil        = "13800000007"
	phoneSupervisor     = "13800000008"
	phoneAnalyst        = "13800000009"
	phoneAdmin          = "13800000010"
	phoneStaffGuangming = "13800000011"
)

// testBallotKey is a fixed random key for changeable secret ballots.
var testBallotKey = func() []byte {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		panic(err)
	}
	return k
}()
