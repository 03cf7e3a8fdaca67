package graph_test

import (
	"context"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
	"linli/graph"
)

// BenchmarkLiveFanout: LINLI_LIVE_SUBSCRIBERS (default 10,000) subscriptions to one vote's
// turnout on one server, then, each iteration, one ballot: its event reaches every one of
// them. Reported: the delivery latency from sending the ballot (its commit follows within
// the mutation) to each subscription's receipt, p50 and p99, and the memory each subscription
// holds (Go heap after a collection, and the process's RSS, before and after subscribing,
// divided by the subscriptions).
//
// The fd limit (20,000 here) does not allow 10,000 connections and the server's 10,000 in
// one process, so the subscriptions share LINLI_LIVE_CONNECTIONS (default 100) WebSocket
// connections (graphql-transport-ws runs many operations on one), each signed in as its own
// voter. The figures include the clients, which run in the same process.
//
//	go test -run '^$' -bench LiveFanout -benchtime 3x -timeout 30m ./graph/
func BenchmarkLiveFanout(b *testing.B) {
	subscribers := envInt("LINLI_LIVE_SUBSCRIBERS", 10000)
	connections := min(envInt("LINLI_LIVE_CONNECTIONS", 100), subscribers)
	d, dsn := dbtest.New(b)
	hub := db.NewHub(dsn, func(string, ...any) {})
	b.Cleanup(hub.Close)
	e := serveBench(b, d, func(o *graph.Options) { o.Hub = hub })
	if _, err := demo.Load(b.Context(), e.store); err != nil {
		b.Fatal(err)
	}
	voters := e.newVotersFast(connections + 1000) // ballots from the last thousand
	meeting, topic := e.runningMeeting("全体居民会议")
	v := e.openVote(e.login(phoneStaff), meeting, topic)

	heapBefore, rssBefore := memory()
	const query = `subscription($id: ID!) { voteTurnout(voteId: $id) { turnout { participatingHeads } } }`
	type receipt struct {
		at    time.Time
		heads int
	}
	var mu sync.Mutex
	var receipts []receipt
	started := make(chan struct{}, subscribers)
	var conns []*websocket.Conn
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/query"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for c := range connections {
		conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
		if err != nil {
			b.Fatal(err)
		}
		conn.SetReadLimit(1 << 20)
		conns = append(conns, conn)
		write := func(v any) {
			msg, _ := json.Marshal(v)
			if err := conn.Write(ctx, websocket.MessageText, msg); err != nil && ctx.Err() == nil {
				b.Error(err)
			}
		}
		write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + voters[c]}})
		go func() {
			seen := map[string]bool{}
			for {
				_, msg, err := conn.Read(ctx)
				if err != nil {
					return
				}
				at := time.Now()
				var m struct {
					ID, Type string
					Payload  struct {
						Data struct {
							VoteTurnout struct {
								Turnout struct{ ParticipatingHeads int }
							}
						}
					}
				}
				json.Unmarshal(msg, &m)
				switch {
				case m.Type == "ping":
					write(map[string]any{"type": "pong"})
				case m.Type == "next" && !seen[m.ID]:
					seen[m.ID] = true
					started <- struct{}{}
				case m.Type == "next":
					mu.Lock()
					receipts = append(receipts, receipt{at, m.Payload.Data.VoteTurnout.Turnout.ParticipatingHeads})
					mu.Unlock()
				case m.Type == "error":
					b.Errorf("subscription ended: %s", msg)
				}
			}
		}()
		for i := c; i < subscribers; i += connections {
			write(map[string]any{"id": strconv.Itoa(i), "type": "subscribe",
				"payload": map[string]any{"query": query, "variables": map[string]any{"id": v.ID}}})
		}
	}
	defer func() {
		cancel()
		for _, c := range conns {
			c.CloseNow()
		}
	}()
	setup := time.Now()
	deadline := time.After(10 * time.Minute)
	for range subscribers {
		select {
		case <-started:
		case <-deadline:
			b.Fatalf("subscribing took over 10 minutes")
		}
	}
	b.Logf("%d subscriptions on %d connections started in %v", subscribers, connections, time.Since(setup).Round(time.Millisecond))
	heapAfter, rssAfter := memory()

	var latencies []time.Duration
	b.ResetTimer()
	for i := range b.N {
		mu.Lock()
		receipts = receipts[:0]
		mu.Unlock()
		sent := time.Now()
		e.must(voters[connections+i%1000], qCastBallot, map[string]any{"id": v.ID, "o": "同意"}, nil)
		wait := time.After(10 * time.Minute)
		for done := false; !done; {
			mu.Lock()
			done = len(receipts) >= subscribers
			mu.Unlock()
			if !done {
				select {
				case <-wait:
					b.Fatalf("ballot %d: %d of %d subscriptions heard it in 10 minutes", i+1, len(receipts), subscribers)
				case <-time.After(10 * time.Millisecond):
				}
			}
		}
		mu.Lock()
		for _, r := range receipts {
			if r.heads != i+1 {
				b.Fatalf("ballot %d: a subscription saw %d participating", i+1, r.heads)
			}
			latencies = append(latencies, r.at.Sub(sent))
		}
		mu.Unlock()
	}
	b.StopTimer()
	slices.Sort(latencies)
	q := func(p float64) time.Duration { return latencies[int(float64(len(latencies)-1)*p)] }
	b.ReportMetric(float64(q(0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(q(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "max-ms")
	// Signed: the RSS may shrink meanwhile (the runtime returns memory), which unsigned wrapped.
	b.ReportMetric(float64(int64(heapAfter)-int64(heapBefore))/float64(subscribers)/1024, "heap-KiB/sub")
	b.ReportMetric(float64(int64(rssAfter)-int64(rssBefore))/float64(subscribers)/1024, "rss-KiB/sub")
	b.ReportMetric(0, "ns/op")
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// memory returns the live Go heap after a collection and the process's resident set, in bytes.
func memory() (heap, rss uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	status, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			rss = kb * 1024
		}
	}
	return m.HeapAlloc, rss
}
