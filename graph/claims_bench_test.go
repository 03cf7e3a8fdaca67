// Benchmarks of claiming wishes nobody else wants at that moment: the write path itself,
// without contention on one wish (BenchmarkClaimContention measures that).
//
//	go test -run '^$' -bench 'Claims' -benchtime 3x ./graph/
package graph_test

import (
	"bytes"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"linli/graph"
)

// volunteers registers n new residents of one household of 和平社区, verified by staff and
// made volunteers there, and returns their tokens and account IDs. Their cap on claims is
// raised to the most a community may set (1,000 each), so that a benchmark measures claims,
// not refusals.
func (e *benchEnv) volunteers(n int, phonePrefix string) (tokens, accounts []string) {
	e.b.Helper()
	heping := e.community("和平社区")
	staffToken, admin := e.login(phoneStaff), e.login(phoneAdmin)
	if _, err := e.db.ExecContext(e.b.Context(), `INSERT INTO community_settings (community_id, claim_limit) VALUES ($1, $2)
		ON CONFLICT (community_id) DO UPDATE SET claim_limit = EXCLUDED.claim_limit`, heping, 1000); err != nil {
		e.b.Fatal(err)
	}
	home := e.id(`SELECT h.id FROM places h WHERE h.level = 'household' AND $1 = ANY(h.path) ORDER BY h.id DESC LIMIT 1`, heping)
	tokens, accounts = make([]string, n), make([]string, n)
	for i := range n {
		var reg struct {
			Register struct {
				Token   string
				Account struct {
					ID       string
					Resident struct{ ID string }
				}
			}
		}
		e.must("", `mutation($in: RegisterInput!) { register(input: $in) { token account { id resident { id } } } }`,
			map[string]any{"in": map[string]any{
				"phone": fmt.Sprintf("%s%08d", phonePrefix, 900+i), "password": "mima-2026", "name": fmt.Sprintf("基准志愿者%d", i),
				"birthDate": "1990-04-12", "householdId": graph.GlobalID("Place", home), "isOwner": false,
			}}, &reg)
		e.must(staffToken, `mutation($id: ID!) { verifyResident(residentId: $id) { verified } }`,
			map[string]any{"id": reg.Register.Account.Resident.ID}, nil)
		e.must(admin, grantMutation, map[string]any{
			"a": reg.Register.Account.ID, "r": "VOLUNTEER", "p": graph.GlobalID("Place", heping),
		}, nil)
		tokens[i], accounts[i] = reg.Register.Token, reg.Register.Account.ID
	}
	return tokens, accounts
}

// benchClaimsQuery is a claim as a volunteer's app makes it: the answer shows what the
// claim opens up (the beneficiary's contact and address) and when it is due.
const benchClaimsQuery = `mutation($id: ID!) { claimWish(wishId: $id) { id state claim { dueAt claimer { id } }
	beneficiaryName beneficiaryPhone address } }`

// BenchmarkClaims has eight volunteers claim published wishes that nobody else is claiming:
// wish i goes to volunteer i mod 8, so no two requests touch one wish. Serial is one client,
// one claim at a time (latency); Parallel8 is eight clients at once, one per volunteer
// (throughput). One iteration is a batch of 400 wishes, published untimed beforehand; each
// volunteer may hold 1,000 claims, so run at most 10 iterations (-benchtime 3x). It reports
// claims/s and the p50 and p95 of one claim as the client sees it.
func BenchmarkClaims(b *testing.B) {
	const perBatch = 400
	e := newBenchEnv(b)
	staff := e.viewer(e.login(phoneStaff))
	tokens, accounts := e.volunteers(8, "136")
	home := e.homeOf(fmt.Sprintf("136%08d", 900))
	beneficiaries := e.beneficiaries(e.community("和平社区"), 50, home)

	run := func(b *testing.B, clients int) {
		l := newLatencies(1 << 17)
		var (
			claiming time.Duration
			claims   int
			batch    int
		)
		for b.Loop() {
			b.StopTimer()
			batch++
			ids := e.publish(staff, beneficiaries, perBatch, fmt.Sprintf("%d-%d", clients, batch))
			var (
				wg     sync.WaitGroup
				failed atomic.Pointer[error]
				start  = make(chan struct{})
			)
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					for i := c; i < len(ids); i += clients {
						began := time.Now()
						v := i % len(tokens)
						status, body, err := e.raw(tokens[v], benchClaimsQuery, map[string]any{"id": graph.GlobalID("Wish", ids[i])})
						l.add(time.Since(began))
						if err == nil && (status != http.StatusOK || !containsAll(body, `"state":"CLAIMED"`, accounts[v])) {
							err = fmt.Errorf("claim of wish %d: status %d: %.300s", ids[i], status, body)
						}
						if err != nil {
							failed.CompareAndSwap(nil, &err)
							return
						}
					}
				}()
			}
			b.StartTimer()
			began := time.Now()
			close(start)
			wg.Wait()
			claiming += time.Since(began)
			b.StopTimer()
			if err := failed.Load(); err != nil {
				b.Fatal(*err)
			}
			claims += len(ids)
			b.StartTimer()
		}
		b.ReportMetric(float64(claims)/claiming.Seconds(), "claims/s")
		l.report(b)
	}
	b.Run("Serial", func(b *testing.B) { run(b, 1) })
	b.Run("Parallel8", func(b *testing.B) { run(b, 8) })
}

// containsAll reports whether body contains every one of the strings.
func containsAll(body []byte, ss ...string) bool {
	for _, s := range ss {
		if !bytes.Contains(body, []byte(s)) {
			return false
		}
	}
	return true
}
