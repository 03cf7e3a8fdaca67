// A vote of 1,000 residents cast at once: a test that every ballot counts exactly once,
// and benchmarks of casting (ballots/s, cast latency) and of reading the live turnout.
//
//	go test -run TestVote1000Voters -race ./graph/
//	go test -run '^$' -bench 'Ballots|LiveTurnout' -benchtime 3x ./graph/
package graph_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
	"linli/graph"
)

// fastVoterPhone is the prefix of newVotersFast's phones; newVoters uses '135'.
const fastVoterPhone = "136"

// insertVoters makes n verified adult residents with accounts, spread round-robin over
// every household of 和平花园小区, and signs each in by writing the session row itself, as
// db's newSession does: the token is 32 random bytes, base64url without padding, stored
// as its SHA-256 and valid until now+ttl. Logging in through the API would cost one
// argon2id hash per voter.
func insertVoters(tb testing.TB, d *sqlx.DB, now time.Time, ttl time.Duration, n int) []string {
	tb.Helper()
	hash, err := db.HashPassword("mima-2026", testPassword)
	if err != nil {
		tb.Fatal(err)
	}
	tokens := make([]string, n)
	hashes := make([][]byte, n)
	for i := range n {
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			tb.Fatal(err)
		}
		tokens[i] = base64.RawURLEncoding.EncodeToString(raw)
		h := sha256.Sum256([]byte(tokens[i]))
		hashes[i] = h[:]
	}
	// Voter i (from 1) lives in household (i-1) mod count, in id order; sessions pair
	// with accounts by the number in the phone, so tokens[i-1] is voter i's.
	res, err := d.Exec(`WITH h AS (
			SELECT array_agg(h.id ORDER BY h.id) AS ids FROM places h JOIN places c ON c.id = ANY(h.path)
			WHERE h.level = 'household' AND c.name = '和平花园小区'),
		a AS (
			INSERT INTO accounts (phone, name, password_hash, created_at)
			SELECT $3 || lpad(i::text, 8, '0'), '快投票人' || i, $1, $5 FROM generate_series(1, $2) i
			RETURNING id, phone, name),
		r AS (
			INSERT INTO residents (household_id, name, birth_date, account_id, verified_at, created_at)
			SELECT h.ids[1 + (substr(a.phone, 4)::int - 1) % array_length(h.ids, 1)], a.name, '1980-01-01', a.id, $5, $5
			FROM a, h)
		INSERT INTO sessions (token_hash, account_id, created_at, expires_at)
		SELECT t.hash, a.id, $5, $6 FROM unnest($4::bytea[]) WITH ORDINALITY t(hash, i)
		JOIN a ON a.phone = $3 || lpad(t.i::text, 8, '0')`,
		hash, n, fastVoterPhone, pq.ByteaArray(hashes), now, now.Add(ttl))
	if err != nil {
		tb.Fatal(err)
	}
	if got, _ := res.RowsAffected(); got != int64(n) {
		tb.Fatalf("inserted %d sessions, want %d", got, n)
	}
	return tokens
}

// newVotersFast is newVoters for many voters: no sign-in through the API, and the voters
// spread over all the households of 和平花园小区, so buildings differ in their numbers.
func (e *env) newVotersFast(n int) []string {
	e.t.Helper()
	return insertVoters(e.t, e.db, e.clock.Now(), e.store.TokenTTL, n)
}

func TestVote1000Voters(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 concurrent ballots")
	}
	// Not parallel: 1,000 requests at once load the machine enough on their own.
	e := newEnv(t)
	const n = 1000
	tokens := e.newVotersFast(n)
	// Round-robin over households: buildings with more households get more voters.
	var perBuilding []int
	if err := e.db.Select(&perBuilding, `SELECT count(*) FROM residents r JOIN accounts a ON a.id = r.account_id
		JOIN places h ON h.id = r.household_id JOIN places b ON b.id = ANY(h.path) AND b.level = 'building'
		WHERE a.phone LIKE $1 GROUP BY b.id ORDER BY b.id`, fastVoterPhone+"%"); err != nil {
		t.Fatal(err)
	}
	t.Logf("voters per building: %v", perBuilding)
	if len(perBuilding) < 2 || slices.Min(perBuilding) == slices.Max(perBuilding) {
		t.Fatalf("voters per building: %v, want several buildings with different numbers", perBuilding)
	}
	// Started after the voters exist: the roll is fixed when the meeting starts.
	meeting, topic := e.runningMeeting("千人居民会议")
	staff := e.login(phoneStaff)
	v := e.openVote(meeting, topic, nil) // secret, not changeable, RESIDENTS_ASSEMBLY
	t.Logf("%d entitled", v.Turnout.EntitledHeads)
	if v.Turnout.EntitledHeads < n {
		t.Fatalf("roll: %d entitled, want at least the %d voters", v.Turnout.EntitledHeads, n)
	}

	opts := make([]string, n)
	want := map[string]int{}
	for i := range n {
		opts[i] = db.DefaultVoteOptions[max(i%5-2, 0)] // 600 approve, 200 oppose, 200 abstain
		want[opts[i]]++
	}
	start := time.Now()
	codes := e.castAll(tokens, v.ID, opts, 0, nil)
	t.Logf("%d ballots cast in %v", n, time.Since(start).Round(time.Millisecond))
	if c := countCodes(codes); c[""] != n {
		for i, code := range codes {
			if code != "" {
				t.Fatalf("casts: got %v, want %d successes; voter %d: %s", c, n, i, code)
			}
		}
	}

	got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
	if len(got.Tallies) != len(db.DefaultVoteOptions) {
		t.Fatalf("tallies: got %v, want %v", got.Tallies, want)
	}
	for _, tl := range got.Tallies {
		if tl.Heads != want[tl.Option] {
			t.Fatalf("tallies: got %v, want %v", got.Tallies, want)
		}
	}
	if got.Turnout.ParticipatingHeads != n {
		t.Fatalf("turnout: %d participating, want %d", got.Turnout.ParticipatingHeads, n)
	}
	// Nobody checked in, so present is who voted. Quorum: more than half the roll present;
	// passed: more than half of those present approve.
	entitled := got.Turnout.EntitledHeads
	quorum := 2*n > entitled
	passed := quorum && 2*want["同意"] > n
	if r := got.Result; r == nil || r.PresentHeads != n || r.QuorumMet != quorum || r.Passed == nil || *r.Passed != passed {
		t.Fatalf("result: got %+v, want %d present, quorum %v, passed %v (of %d entitled)", r, n, quorum, passed, entitled)
	}
	if !passed {
		t.Fatalf("%d entitled: the roll outgrew the voters, so the pass path is not tested", entitled)
	}
}

// ---------------------------------------------------------------- benchmarks

// newVotersFast is env's, for a benchmark's env.
func (e *benchEnv) newVotersFast(n int) []string {
	e.b.Helper()
	return insertVoters(e.b, e.db, e.store.Now(), e.store.TokenTTL, n)
}

// wideClient lets all of n requests at once keep their connections between rounds, and
// opens them now, so that no round pays for dialling: newBenchEnv's client keeps 256.
func (e *benchEnv) wideClient(n int) {
	e.b.Helper()
	tr := &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n, IdleConnTimeout: 5 * time.Minute}
	e.client = &http.Client{Transport: tr, Timeout: 60 * time.Second}
	e.b.Cleanup(tr.CloseIdleConnections)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := e.raw("", `{ __typename }`, nil); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		e.b.Fatalf("opening connections: %v", err)
	}
}

// runningMeeting is env's runningMeeting for a benchmark: a residents' assembly of
// 和平社区, started, with an accepted topic about 和平花园小区 on its agenda.
func (e *benchEnv) runningMeeting(title string) (meeting, topic string) {
	e.b.Helper()
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	compound := graph.GlobalID("Place", e.id(`SELECT id FROM places WHERE name = '和平花园小区' ORDER BY id LIMIT 1`))
	var tp struct{ T struct{ ID string } }
	e.must(resident, qRaise, map[string]any{"in": map[string]any{"placeId": compound, "title": title + "议题",
		"description": "请大家一起商量。", "wishIds": []string{}}}, &tp)
	e.must(staff, qAccept, map[string]any{"id": tp.T.ID}, nil)
	// The benchmark's store runs on the wall clock.
	day := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Hour)
	var m struct{ M struct{ ID string } }
	e.must(staff, qSchedule, map[string]any{"in": map[string]any{
		"kind": "RESIDENTS_ASSEMBLY", "placeId": graph.GlobalID("Place", e.community("和平社区")), "title": title,
		"startsAt": day.Format(time.RFC3339), "endsAt": day.Add(2 * time.Hour).Format(time.RFC3339),
		"location": "社区党群服务中心二楼会议室", "topicIds": []string{tp.T.ID},
	}}, &m)
	e.must(staff, qStart, map[string]any{"id": m.M.ID}, nil)
	return m.M.ID, tp.T.ID
}

// openVote opens a secret, non-changeable RESIDENTS_ASSEMBLY vote closing in an hour.
func (e *benchEnv) openVote(staff, meeting, topic string) voteOut {
	e.b.Helper()
	var out struct{ V voteOut }
	e.must(staff, qOpenVote, map[string]any{"in": map[string]any{"meetingId": meeting, "topicId": topic,
		"title": "是否同意加装电梯", "closesAt": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"secret": true, "changeable": false, "rule": "RESIDENTS_ASSEMBLY"}}, &out)
	return out.V
}

// castRound has tokens[i] cast options[i] in vote, each from its own goroutine, all released
// at once. It returns how long the round took and the first failure, if any.
func (e *benchEnv) castRound(tokens []string, vote string, option func(i int) string, l *latencies) (time.Duration, error) {
	start := make(chan struct{})
	var (
		wg     sync.WaitGroup
		failed atomic.Pointer[error]
	)
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			began := time.Now()
			r, err := e.post(tok, qCastBallot, map[string]any{"id": vote, "o": option(i)})
			if l != nil {
				l.add(time.Since(began))
			}
			if err == nil && len(r.Errors) > 0 {
				err = fmt.Errorf("voter %d: %s %+v", i, r.Code(), r.Errors)
			}
			if err != nil {
				failed.CompareAndSwap(nil, &err)
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)
	if err := failed.Load(); err != nil {
		return took, *err
	}
	return took, nil
}

// BenchmarkBallots has 1,000 voters cast at once in a fresh secret vote of a running
// residents' assembly; one iteration is one such vote. It reports ballots/s (ballots per
// second of casting) and p50-ms and p95-ms of one cast as the voter sees it.
func BenchmarkBallots(b *testing.B) {
	const n = 1000
	e := newBenchEnv(b)
	tokens := e.newVotersFast(n)
	meeting, topic := e.runningMeeting("千人居民会议")
	staff := e.login(phoneStaff)
	e.wideClient(n)
	option := func(i int) string { return db.DefaultVoteOptions[i%3] }

	l := newLatencies(1 << 17)
	var (
		casting    time.Duration
		ballots    int
		statements int
	)
	for b.Loop() {
		b.StopTimer()
		v := e.openVote(staff, meeting, topic)
		count := dbtest.Statements(b, e.db)
		b.StartTimer()
		took, err := e.castRound(tokens, v.ID, option, l)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		statements += count()
		casting += took
		ballots += n
		// Every ballot counted once: the round is what it claims to be.
		var closed struct{ V voteOut }
		e.must(staff, qCloseVote, map[string]any{"id": v.ID}, &closed)
		if closed.V.Turnout.ParticipatingHeads != n {
			b.Fatalf("closed vote: %d participating, want %d", closed.V.Turnout.ParticipatingHeads, n)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(ballots)/casting.Seconds(), "ballots/s")
	b.ReportMetric(float64(statements)/float64(ballots), "statements/ballot") // sign-in included
	l.report(b)
}

const qLiveTurnout = `query($id: ID!) { vote(id: $id) { turnout { entitledHeads participatingHeads entitledAreaDm2 participatingAreaDm2 }
	turnoutByBuilding { building { name } entitledHeads participatingHeads entitledAreaDm2 participatingAreaDm2 } } }`

// BenchmarkLiveTurnout reads the live turnout of an open secret vote, overall and per
// building, as an entitled resident, with 1,000 voters on the roll and half of them voted, one request at a time.
func BenchmarkLiveTurnout(b *testing.B) {
	const n = 1000
	e := newBenchEnv(b)
	tokens := e.newVotersFast(n)
	meeting, topic := e.runningMeeting("千人居民会议")
	v := e.openVote(e.login(phoneStaff), meeting, topic)
	if _, err := e.castRound(tokens[:n/2], v.ID, func(int) string { return "同意" }, nil); err != nil {
		b.Fatal(err)
	}
	reader := tokens[n-1] // entitled, not voted

	var out struct {
		Vote struct {
			Turnout struct{ EntitledHeads, ParticipatingHeads int }
		}
	}
	e.must(reader, qLiveTurnout, map[string]any{"id": v.ID}, &out)
	if t := out.Vote.Turnout; t.EntitledHeads < n || t.ParticipatingHeads != n/2 {
		b.Fatalf("turnout: got %+v, want at least %d entitled, %d participating", t, n, n/2)
	}

	vars := map[string]any{"id": v.ID}
	l := newLatencies(1 << 17)
	for b.Loop() {
		began := time.Now()
		r, err := e.post(reader, qLiveTurnout, vars)
		l.add(time.Since(began))
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Errors) > 0 {
			b.Fatalf("errors: %+v", r.Errors)
		}
	}
	l.report(b)
}
