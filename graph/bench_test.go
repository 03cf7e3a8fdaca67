// Benchmarks of the wish feed and of many volunteers claiming the same wishes at once,
// over real HTTP (an httptest server on 127.0.0.1) against a fresh database with the demo
// data. Benchmarks never run under plain `go test`; run them with -bench:
//
//	go test -run '^$' -bench 'WishFeed|ClaimContention' -benchtime 3s ./graph/
//
// or one at a time (ClaimContention is one batch of 20 wishes × 20 volunteers per
// iteration, so a small count of iterations is enough):
//
//	go test -run '^$' -bench WishFeed -benchtime 3s ./graph/
//	go test -run '^$' -bench ClaimContention -benchtime 5x ./graph/
//
// Besides ns/op, WishFeed reports p50-ms and p95-ms (request latency as the client sees
// it, over the last run's requests) and ClaimContention reports claims/s (successful
// claims per second of racing), attempts/s and conflicts/op.
package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
	"linli/graph"
)

// benchEnv is newEnv for benchmarks: a fresh database with the demo data, served over
// real HTTP, with a client that keeps enough connections open for concurrent requests.
type benchEnv struct {
	b      *testing.B
	db     *sqlx.DB
	store  *db.Store
	srv    *httptest.Server
	client *http.Client
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	d, dsn := dbtest.New(b)
	e := serveBench(b, benchDB(b, d, dsn))
	if _, err := demo.Load(b.Context(), e.store); err != nil {
		b.Fatalf("loading demo data: %v", err)
	}
	return e
}

// serveBench serves database d over real HTTP, as it is.
func serveBench(b *testing.B, d *sqlx.DB, configure ...func(*graph.Options)) *benchEnv {
	d.SetMaxOpenConns(db.DefaultMaxConns()) // the server's pool, not the tests' larger one
	e := &benchEnv{b: b, db: d, store: db.NewStore(d)}
	e.store.Password = testPassword
	e.store.BallotKey = testBallotKey // secret votes are sealed under it
	opts := graph.DefaultOptions()
	opts.Logger = discardLogger()
	observeBench(b, e.store, &opts)
	for _, c := range configure {
		c(&opts)
	}
	e.srv = httptest.NewServer(graph.NewHandler(e.store, opts))
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	e.client = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	b.Cleanup(func() {
		tr.CloseIdleConnections()
		e.srv.Close()
	})
	return e
}

// raw posts a GraphQL request as the holder of token and returns the status and body.
// It is safe from any goroutine.
func (e *benchEnv) raw(token, query string, vars map[string]any) (int, []byte, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/query", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := e.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

// post is raw, decoded. It is safe from any goroutine.
func (e *benchEnv) post(token, query string, vars map[string]any) (*response, error) {
	status, body, err := e.raw(token, query, vars)
	if err != nil {
		return nil, err
	}
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("decoding response (status %d): %w", status, err)
	}
	r.Status = status
	return &r, nil
}

// must posts from the benchmark's goroutine, failing it on any error, and decodes data into dst.
func (e *benchEnv) must(token, query string, vars map[string]any, dst any) {
	e.b.Helper()
	r, err := e.post(token, query, vars)
	if err != nil {
		e.b.Fatalf("request: %v", err)
	}
	if len(r.Errors) > 0 {
		e.b.Fatalf("unexpected errors: %+v", r.Errors)
	}
	if dst != nil {
		if err := json.Unmarshal(r.Data, dst); err != nil {
			e.b.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
}

func (e *benchEnv) login(phone string) string {
	e.b.Helper()
	var out struct{ Login struct{ Token string } }
	e.must("", `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { token } }`,
		map[string]any{"p": phone, "w": demo.Password}, &out)
	return out.Login.Token
}

func (e *benchEnv) viewer(token string) *db.Viewer {
	e.b.Helper()
	v, err := e.store.ViewerByToken(e.b.Context(), token)
	if err != nil || v == nil {
		e.b.Fatalf("viewer: %v", err)
	}
	return v
}

func (e *benchEnv) id(q string, args ...any) int64 {
	e.b.Helper()
	var id int64
	if err := e.db.Get(&id, q, args...); err != nil {
		e.b.Fatalf("%s: %v", q, err)
	}
	return id
}

func (e *benchEnv) community(name string) int64 {
	return e.id(`SELECT id FROM places WHERE name = $1 AND level = 'community' ORDER BY id LIMIT 1`, name)
}

// homeOf is the household of the account with that phone.
func (e *benchEnv) homeOf(phone string) int64 {
	return e.id(`SELECT r.household_id FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = $1`, phone)
}

// beneficiaries returns up to n residents of the community living outside the given households.
func (e *benchEnv) beneficiaries(community int64, n int, except ...int64) []int64 {
	e.b.Helper()
	var ids []int64
	if err := e.db.Select(&ids, `SELECT r.id FROM residents r JOIN places h ON h.id = r.household_id
		WHERE $1 = ANY(h.path) AND r.household_id <> ALL($2) ORDER BY r.id LIMIT $3`,
		community, pq.Array(except), n); err != nil {
		e.b.Fatal(err)
	}
	if len(ids) == 0 {
		e.b.Fatal("no residents to submit wishes for")
	}
	return ids
}

// publish submits n wishes for the beneficiaries in turn (as staff, 代办) and publishes them,
// through the store. It returns their database ids.
func (e *benchEnv) publish(staff *db.Viewer, beneficiaries []int64, n int, tag string) []int64 {
	e.b.Helper()
	ctx := e.b.Context()
	now := time.Now()
	ids := make([]int64, 0, n)
	for i := range n {
		w, err := e.store.SubmitWish(ctx, staff, db.SubmitWish{
			BeneficiaryID: beneficiaries[i%len(beneficiaries)],
			Category:      "goods",
			Title:         fmt.Sprintf("基准心愿 %s-%d", tag, i),
			Description:   "基准测试用的心愿，谢谢大家。",
			Deadline:      now.Add(time.Duration(1+i%80) * 24 * time.Hour),
		})
		if err != nil {
			e.b.Fatalf("submitting wish %d: %v", i, err)
		}
		if _, err := e.store.ReviewWish(ctx, staff, w.ID, true, nil); err != nil {
			e.b.Fatalf("publishing wish %d: %v", i, err)
		}
		ids = append(ids, w.ID)
	}
	return ids
}

// latencies keeps up to len(buf) request durations; safe from any goroutine.
type latencies struct {
	buf []time.Duration
	n   atomic.Int64
}

func newLatencies(max int) *latencies { return &latencies{buf: make([]time.Duration, max)} }

func (l *latencies) add(d time.Duration) {
	if i := l.n.Add(1) - 1; i < int64(len(l.buf)) {
		l.buf[i] = d
	}
}

// report adds p50-ms and p95-ms (nearest rank) to the benchmark's result.
func (l *latencies) report(b *testing.B) {
	n := min(l.n.Load(), int64(len(l.buf)))
	if n == 0 {
		return
	}
	s := slices.Clone(l.buf[:n])
	slices.Sort(s)
	at := func(p int) float64 { return float64(s[(int(n)-1)*p/100]) / float64(time.Millisecond) }
	b.ReportMetric(at(50), "p50-ms")
	b.ReportMetric(at(95), "p95-ms")
}

// reportCPU reports the CPU time per operation since since (cpuTime): less moved by other
// work on the machine than ns/op, so it compares runs on a busy machine.
func reportCPU(b *testing.B, since time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-since)/float64(b.N)/float64(time.Millisecond), "cpu-ms/op")
	}
}

const benchFeedQuery = `{ wishFeed(first: 50) { totalCount nodes { id title category deadline beneficiaryName
	beneficiaryPhone address place { name } claim { dueAt } canClaim } } }`

// BenchmarkWishFeed measures a volunteer's first page of the wish feed, with about 200
// published wishes in their community, one request at a time and concurrently.
func BenchmarkWishFeed(b *testing.B) {
	e := newBenchEnv(b)
	heping := e.community("和平社区")
	staff := e.viewer(e.login(phoneStaff))
	volunteer := e.login(phoneVolunteer)
	const wishes = 200
	e.publish(staff, e.beneficiaries(heping, 50, e.homeOf(phoneVolunteer)), wishes, "feed")

	// The page is what the benchmark means it to be.
	var out struct {
		WishFeed struct {
			TotalCount int
			Nodes      []struct {
				ID       string
				CanClaim bool
			}
		}
	}
	e.must(volunteer, benchFeedQuery, nil, &out)
	if out.WishFeed.TotalCount < wishes || len(out.WishFeed.Nodes) != 50 {
		b.Fatalf("feed: got totalCount %d and %d nodes, want at least %d and 50", out.WishFeed.TotalCount, len(out.WishFeed.Nodes), wishes)
	}
	for _, w := range out.WishFeed.Nodes {
		if !w.CanClaim {
			b.Fatalf("feed: wish %s cannot be claimed by the volunteer", w.ID)
		}
	}

	// one is a request as the benchmark's loops make it: status and body checked cheaply.
	one := func(l *latencies) error {
		start := time.Now()
		status, body, err := e.raw(volunteer, benchFeedQuery, nil)
		l.add(time.Since(start))
		switch {
		case err != nil:
			return err
		case status != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)):
			return fmt.Errorf("status %d: %.300s", status, body)
		}
		return nil
	}
	const maxSamples = 1 << 17

	b.Run("Serial", func(b *testing.B) {
		l := newLatencies(maxSamples)
		cpu := cpuTime()
		for b.Loop() {
			if err := one(l); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
		l.report(b)
	})
	b.Run("Parallel", func(b *testing.B) {
		l := newLatencies(maxSamples)
		cpu := cpuTime()
		defer reportCPU(b, cpu)
		var failed atomic.Pointer[error]
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if failed.Load() != nil {
					continue // drain the remaining iterations quickly
				}
				if err := one(l); err != nil {
					failed.CompareAndSwap(nil, &err)
				}
			}
		})
		if err := failed.Load(); err != nil {
			b.Fatal(*err)
		}
		l.report(b)
	})
}

const benchClaimQuery = `mutation($id: ID!) { claimWish(wishId: $id) { id claim { claimer { id } } } }`

// BenchmarkClaimContention has G volunteers race to claim each of K freshly published
// wishes: every volunteer tries every wish, in an order of its own, all starting at once.
// One iteration is one such batch; exactly one claim per wish must win and every other
// attempt must get CONFLICT.
func BenchmarkClaimContention(b *testing.B) {
	const (
		K = 20 // wishes per batch
		G = 20 // volunteers
	)
	e := newBenchEnv(b)
	ctx := b.Context()
	heping := e.community("和平社区")
	staff := e.viewer(e.login(phoneStaff))
	// G volunteers of 和平社区 who may hold any number of claims, so that every batch is a race
	// on every wish.
	tokens, accounts := e.volunteers(G, "136")
	home := e.id(`SELECT h.id FROM places h WHERE h.level = 'household' AND $1 = ANY(h.path) ORDER BY h.id DESC LIMIT 1`, heping)
	beneficiaries := e.beneficiaries(heping, 50, home)

	var (
		all       []int64              // every wish raced for
		winners   = map[int64]string{} // wish id → the account whose claim succeeded
		claims    int
		attempts  int
		conflicts int
		racing    time.Duration
		batch     int
	)
	type result struct {
		code    string // "" for success
		claimer string
		err     error
	}
	rng := rand.New(rand.NewPCG(1, 2))

	for b.Loop() {
		b.StopTimer()
		batch++
		ids := e.publish(staff, beneficiaries, K, fmt.Sprint(batch))
		all = append(all, ids...)
		gids := make([]string, K)
		for i, id := range ids {
			gids[i] = graph.GlobalID("Wish", id)
		}
		orders := make([][]int, G)
		for g := range orders {
			orders[g] = rng.Perm(K)
		}
		results := make([][]result, G) // [volunteer][wish]
		for g := range results {
			results[g] = make([]result, K)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for g := range G {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for _, k := range orders[g] {
					r, err := e.post(tokens[g], benchClaimQuery, map[string]any{"id": gids[k]})
					res := result{err: err}
					if err == nil {
						if res.code = r.Code(); res.code == "" && len(r.Errors) == 0 {
							var out struct {
								ClaimWish struct {
									Claim *struct{ Claimer struct{ ID string } }
								}
							}
							if err := json.Unmarshal(r.Data, &out); err != nil || out.ClaimWish.Claim == nil {
								res.err = fmt.Errorf("no claim in %s (%v)", r.Data, err)
							} else {
								res.claimer = out.ClaimWish.Claim.Claimer.ID
							}
						} else if res.code == "" {
							res.err = fmt.Errorf("errors without a code: %+v", r.Errors)
						}
					}
					results[g][k] = res
				}
			}()
		}
		b.StartTimer()
		began := time.Now()
		close(start)
		wg.Wait()
		racing += time.Since(began)
		b.StopTimer()

		for k, id := range ids {
			won := 0
			for g := range G {
				switch r := results[g][k]; {
				case r.err != nil:
					b.Fatalf("batch %d, volunteer %d, wish %d: %v", batch, g, k, r.err)
				case r.code == "":
					won++
					if r.claimer != accounts[g] {
						b.Fatalf("batch %d, wish %d: claimer %s, want the volunteer who claimed it, %s", batch, k, r.claimer, accounts[g])
					}
					winners[id] = accounts[g]
				case r.code == db.ECONFLICT:
					conflicts++
				default:
					b.Fatalf("batch %d, volunteer %d, wish %d: got code %s, want success or %s", batch, g, k, r.code, db.ECONFLICT)
				}
			}
			if won != 1 {
				b.Fatalf("batch %d, wish %d: %d successful claims, want exactly 1", batch, k, won)
			}
			claims += won
			attempts += G
		}
		b.StartTimer()
	}

	// Exactly one claim, active and held by the winner, on every wish raced for.
	var rows []struct {
		ID      int64  `db:"id"`
		State   string `db:"state"`
		Active  int    `db:"active"`
		Total   int    `db:"total"`
		Claimer *int64 `db:"claimer"`
	}
	if err := e.db.SelectContext(ctx, &rows, `SELECT w.id, w.state::text AS state,
			count(c.id) FILTER (WHERE c.ended_at IS NULL) AS active, count(c.id) AS total,
			max(c.claimer_id) FILTER (WHERE c.ended_at IS NULL) AS claimer
		FROM wishes w LEFT JOIN wish_claims c ON c.wish_id = w.id
		WHERE w.id = ANY($1) GROUP BY w.id`, pq.Array(all)); err != nil {
		b.Fatal(err)
	}
	if len(rows) != len(all) {
		b.Fatalf("found %d of the %d wishes raced for", len(rows), len(all))
	}
	for _, r := range rows {
		if r.Active != 1 || r.Total != 1 || r.State != "claimed" || r.Claimer == nil ||
			graph.GlobalID("Account", *r.Claimer) != winners[r.ID] {
			b.Fatalf("wish %d: state %s, %d active of %d claims, claimer %v; want claimed, exactly one active claim, by %s",
				r.ID, r.State, r.Active, r.Total, r.Claimer, winners[r.ID])
		}
	}

	secs := racing.Seconds()
	b.ReportMetric(float64(claims)/secs, "claims/s")
	b.ReportMetric(float64(attempts)/secs, "attempts/s")
	b.ReportMetric(float64(conflicts)/float64(batch), "conflicts/op")
}
