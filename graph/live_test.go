package graph_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
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

// twoProcesses serves one database from two "processes": two Stores, two hubs (two
// listening connections) and two servers. Demo data is loaded through the first.
func twoProcesses(t *testing.T) (a, b *env) {
	t.Helper()
	a, b, _ = twoProcessesAt(t)
	return a, b
}

// twoProcessesAt is twoProcesses, with the database's address.
func twoProcessesAt(t *testing.T) (a, b *env, dsn string) {
	t.Helper()
	d, dsn := dbtest.New(t)
	d2, err := db.Open(t.Context(), dsn, 20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d2.Close() })
	a = serve(t, d, withHub(t, dsn))
	b = serve(t, d2, withHub(t, dsn))
	if _, err := demo.Load(t.Context(), a.store); err != nil {
		t.Fatal(err)
	}
	return a, b, dsn
}

// withHub gives a server a hub of its own on the database at dsn.
func withHub(t *testing.T, dsn string) func(*graph.Options) {
	return func(o *graph.Options) {
		o.Hub = db.NewHub(dsn, func(string, ...any) {})
		t.Cleanup(o.Hub.Close)
	}
}

// listening waits until n subscriptions listen on e's hub: a change committed after that
// reaches them.
func (e *env) listening(n int) {
	e.t.Helper()
	deadline := time.Now().Add(dbtest.TimeLeft(e.t))
	for e.opts.Hub.Subscribers() < n {
		if time.Now().After(deadline) {
			e.t.Fatalf("%d subscriptions listen, want %d", e.opts.Hub.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// oneProcess is newEnv with a hub.
func oneProcess(t *testing.T) *env {
	t.Helper()
	d, dsn := dbtest.New(t)
	e := serve(t, d, withHub(t, dsn))
	if _, err := demo.Load(t.Context(), e.store); err != nil {
		t.Fatal(err)
	}
	return e
}

// wsMsg is a graphql-ws message.
type wsMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient is a graphql-transport-ws client over a real WebSocket.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	msgs chan wsMsg
	raw  chan []byte // every frame as it came
	done chan struct{}
	err  error // why the connection ended (a websocket.CloseError when the server closed it)
	mu   sync.Mutex
}

// dialLive opens a WebSocket to e's /query with the subprotocol and sends connection_init
// with payload (nil sends none).
func (e *env) dialLive(protocol string, payload any, header http.Header) (*wsClient, error) {
	e.t.Helper()
	url := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/query"
	conn, _, err := websocket.Dial(e.t.Context(), url, &websocket.DialOptions{Subprotocols: []string{protocol}, HTTPHeader: header})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	c := &wsClient{t: e.t, conn: conn, msgs: make(chan wsMsg, 1000), raw: make(chan []byte, 1000), done: make(chan struct{})}
	e.t.Cleanup(func() { conn.CloseNow() })
	go func() {
		defer close(c.done)
		for {
			_, b, err := conn.Read(context.Background())
			if err != nil {
				c.mu.Lock()
				c.err = err
				c.mu.Unlock()
				return
			}
			var m wsMsg
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			if m.Type == "ping" {
				c.send(wsMsg{Type: "pong"})
				continue
			}
			select {
			case c.raw <- b:
			default:
			}
			c.msgs <- m
		}
	}()
	init := wsMsg{Type: "connection_init"}
	if payload != nil {
		init.Payload, _ = json.Marshal(payload)
	}
	c.send(init)
	return c, nil
}

// signIn dials with the token in connection_init and waits for the ack.
func (e *env) liveAs(token string) *wsClient {
	e.t.Helper()
	c, err := e.dialLive("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + token}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if m := c.next(); m.Type != "connection_ack" {
		e.t.Fatalf("after connection_init: got %s %s, want connection_ack", m.Type, m.Payload)
	}
	return c
}

func (c *wsClient) send(m wsMsg) {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c.conn.Write(ctx, websocket.MessageText, b)
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	p, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.send(wsMsg{ID: id, Type: "subscribe", Payload: p})
}

// next waits for the next message; the test fails if the connection ends first.
func (c *wsClient) next() wsMsg {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-c.done:
		select {
		case m := <-c.msgs:
			return m
		default:
		}
		c.t.Fatalf("connection ended waiting for a message: %v", c.closeErr())
	case <-time.After(dbtest.TimeLeft(c.t)):
		c.t.Fatal("no message came")
	}
	return wsMsg{}
}

// data waits for the next message, which must be `next` without errors, and decodes it.
func (c *wsClient) data(dst any) {
	c.t.Helper()
	m := c.next()
	var p struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	json.Unmarshal(m.Payload, &p)
	if m.Type != "next" || len(p.Errors) > 0 {
		c.t.Fatalf("got %s %s, want next with data", m.Type, m.Payload)
	}
	if err := json.Unmarshal(p.Data, dst); err != nil {
		c.t.Fatal(err)
	}
}

// ended waits for the operation's `error` message and returns its first error's code.
func (c *wsClient) ended() (code, message string) {
	c.t.Helper()
	m := c.next()
	var errs []gqlError
	json.Unmarshal(m.Payload, &errs)
	if m.Type != "error" || len(errs) == 0 {
		c.t.Fatalf("got %s %s, want error", m.Type, m.Payload)
	}
	code, _ = errs[0].Extensions["code"].(string)
	return code, errs[0].Message
}

// quiet checks that nothing more came by the time probe (an action whose own event follows
// on the same connection) has been heard.
func (c *wsClient) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// closed waits for the server to close the connection and returns the close status and
// reason.
func (c *wsClient) closed() (websocket.StatusCode, string) {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(dbtest.TimeLeft(c.t)):
		c.t.Fatal("the connection stayed open")
	}
	var ce websocket.CloseError
	if !errors.As(c.closeErr(), &ce) {
		c.t.Fatalf("connection ended with %v, want a close frame", c.closeErr())
	}
	return ce.Code, ce.Reason
}

const qWishBoard = `subscription($p: ID) { wishBoard(placeId: $p) { kind wishId wish { id state title beneficiaryName beneficiaryPhone address canClaim } } }`

type boardEvent struct {
	WishBoard struct {
		Kind, WishID string
		Wish         *struct {
			ID, State, Title, BeneficiaryName, Address string
			BeneficiaryPhone                           *string
			CanClaim                                   bool
		}
	}
}

// A claim made on one process reaches a volunteer watching the board on another, masked as
// the feed masks it; so do the wish appearing and being released.
func TestLiveClaimReachesOtherProcess(t *testing.T) {
	t.Parallel()
	a, b := twoProcesses(t)
	volunteer := b.login(phoneVolunteer)
	sub := b.liveAs(volunteer)
	sub.subscribe("1", qWishBoard, nil)
	b.listening(1)
	resident, staff, member := a.login(phoneResident), a.login(phoneStaff), a.login(phonePartyMember)
	w := a.published(resident, staff, "想要一台轮椅")

	var ev boardEvent
	sub.data(&ev)
	if ev.WishBoard.Kind != "APPEARED" || ev.WishBoard.WishID != w.ID || ev.WishBoard.Wish == nil || !ev.WishBoard.Wish.CanClaim {
		t.Fatalf("after publishing: got %+v, want APPEARED with the wish, claimable", ev.WishBoard)
	}
	var feed struct {
		WishFeed struct {
			Nodes []struct {
				ID, BeneficiaryName, Address string
				BeneficiaryPhone             *string
			}
		}
	}
	b.do(volunteer, `{ wishFeed { nodes { id beneficiaryName beneficiaryPhone address } } }`, nil).Decode(t, &feed)
	if len(feed.WishFeed.Nodes) != 1 {
		t.Fatalf("feed: got %+v", feed)
	}
	f, got := feed.WishFeed.Nodes[0], ev.WishBoard.Wish
	if got.BeneficiaryName != f.BeneficiaryName || str(got.BeneficiaryPhone) != str(f.BeneficiaryPhone) || got.Address != f.Address {
		t.Fatalf("masking: board shows %q %q %q, feed shows %q %q %q", got.BeneficiaryName, str(got.BeneficiaryPhone), got.Address,
			f.BeneficiaryName, str(f.BeneficiaryPhone), f.Address)
	}

	mustWish(t, a.claim(member, w.ID))
	sub.data(&ev)
	if ev.WishBoard.Kind != "TAKEN" || ev.WishBoard.WishID != w.ID {
		t.Fatalf("after the claim on the other process: got %+v, want TAKEN", ev.WishBoard)
	}
	mustWish(t, a.do(member, qRelease, map[string]any{"id": w.ID, "r": "临时有事"}))
	sub.data(&ev)
	if ev.WishBoard.Kind != "RELEASED" || ev.WishBoard.Wish == nil || ev.WishBoard.Wish.State != "PUBLISHED" {
		t.Fatalf("after the release: got %+v, want RELEASED, published", ev.WishBoard)
	}
}

const voteLiveFields = `id state options secret hasVoted myChoice
	turnout { entitledHeads participatingHeads entitledAreaDm2 participatingAreaDm2 }
	turnoutByBuilding { building { id } entitledHeads participatingHeads }
	tallies { option heads areaDm2 } result { quorumMet passed top presentHeads presentAreaDm2 } rollCall { name option }`

// A secret vote's live turnout is, event by event, exactly what the vote query answers at
// that moment: no tally, no choice, until the close, whose result ends the subscription.
func TestLiveSecretVoteRevealsNoMore(t *testing.T) {
	t.Parallel()
	e := oneProcess(t)
	voters := e.newVoters(6) // on the roll, fixed when the meeting starts
	meeting, topic := e.runningMeeting("十二月居民会议")
	v := e.openVote(meeting, topic, map[string]any{"secret": true})
	watcher := voters[0] // a voter watches, and votes too
	sub := e.liveAs(watcher)
	sub.subscribe("v", `subscription($id: ID!) { v: voteTurnout(voteId: $id) { `+voteLiveFields+` } }`, map[string]any{"id": v.ID})

	query := func() string {
		r := e.do(watcher, `query($id: ID!) { v: vote(id: $id) { `+voteLiveFields+` } }`, map[string]any{"id": v.ID})
		if len(r.Errors) > 0 {
			t.Fatalf("vote query: %+v", r.Errors)
		}
		return string(r.Data)
	}
	event := func() string {
		var raw json.RawMessage
		sub.data(&raw)
		return string(raw)
	}
	compare := func(when string) {
		t.Helper()
		got, want := event(), query()
		if !sameJSON(got, want) {
			t.Fatalf("%s: the subscription sent\n%s\nthe query answers\n%s", when, got, want)
		}
		if strings.Contains(got, `"tallies":[`) || strings.Contains(got, `"rollCall":[`) || strings.Contains(got, `"myChoice":"`) {
			t.Fatalf("%s: a secret vote's event carries a choice: %s", when, got)
		}
	}
	compare("at the start")
	choices := []string{"同意", "反对", "同意", "弃权", "同意", "同意"}
	for i, tok := range voters {
		mustVote(t, e.do(tok, qCastBallot, map[string]any{"id": v.ID, "o": choices[i]}))
		compare(fmt.Sprintf("after ballot %d", i+1))
	}
	mustVote(t, e.do(e.login(phoneStaff), qCloseVote, map[string]any{"id": v.ID}))
	got, want := event(), query()
	if !sameJSON(got, want) || !strings.Contains(got, `"state":"CLOSED"`) {
		t.Fatalf("at the close: the subscription sent\n%s\nthe query answers\n%s", got, want)
	}
	if m := sub.next(); m.Type != "complete" || m.ID != "v" {
		t.Fatalf("after the close: got %s %s, want complete", m.Type, m.Payload)
	}
	// No frame before the close named a count per option.
	close(sub.raw)
	for b := range sub.raw {
		if bytes.Contains(b, []byte(`"CLOSED"`)) {
			continue
		}
		for _, c := range []string{"同意", "反对", "弃权"} {
			if n := bytes.Count(b, []byte(c)); n > 1 {
				t.Fatalf("a frame names %s %d times (options list it once): %s", c, n, b)
			}
		}
	}
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// A volunteer whose role is revoked is told, and their board ends; a volunteer who signs out
// likewise; a token expiring while subscribed ends the subscription at the next event.
func TestLiveRightsEndSubscriptions(t *testing.T) {
	t.Parallel()
	e := oneProcess(t)
	volunteer, member, admin := e.login(phoneVolunteer), e.login(phonePartyMember), e.login(phoneAdmin)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	revoked, probe := e.liveAs(volunteer), e.liveAs(member)
	revoked.subscribe("1", qWishBoard, nil)
	probe.subscribe("1", qWishBoard, nil)
	mine := e.liveAs(resident)
	mine.subscribe("m", `subscription { myWishes { id state } }`, nil)
	e.listening(3)

	var grant int64
	if err := e.db.Get(&grant, `SELECT g.id FROM role_grants g JOIN accounts a ON a.id = g.account_id
		WHERE a.phone = $1 AND g.role = 'volunteer' AND g.revoked_at IS NULL`, phoneVolunteer); err != nil {
		t.Fatal(err)
	}
	e.do(admin, revokeMutation, map[string]any{"g": graph.GlobalID("RoleGrant", grant), "why": "不再服务"}).Decode(t, &struct{}{})
	if code, msg := revoked.ended(); code != db.EFORBIDDEN {
		t.Fatalf("after the revocation: got %s %q, want FORBIDDEN", code, msg)
	}

	w := e.published(resident, staff, "想请人修水龙头")
	var ev boardEvent
	probe.data(&ev)
	if ev.WishBoard.Kind != "APPEARED" || ev.WishBoard.WishID != w.ID {
		t.Fatalf("probe: got %+v", ev.WishBoard)
	}
	// One event for the submission and one for the publication, each showing the wish as
	// it is when delivered: the first may already show it published.
	var own struct{ MyWishes struct{ ID, State string } }
	for i, want := range [][]string{{"SUBMITTED", "PUBLISHED"}, {"PUBLISHED"}} {
		mine.data(&own)
		if own.MyWishes.ID != w.ID || !slices.Contains(want, own.MyWishes.State) {
			t.Fatalf("myWishes, event %d: got %+v, want one of %v", i+1, own.MyWishes, want)
		}
	}
	select {
	case m := <-revoked.msgs:
		t.Fatalf("the revoked volunteer still received %s %s", m.Type, m.Payload)
	default:
	}

	// Signing out ends the resident's subscription.
	e.do(resident, `mutation { logout }`, nil).Decode(t, &struct{}{})
	if code, msg := mine.ended(); code != db.EUNAUTHENTICATED || !strings.Contains(msg, "登录") {
		t.Fatalf("after sign-out: got %s %q, want UNAUTHENTICATED", code, msg)
	}

	// The party member's session expires; the next event ends the board.
	e.clock.Advance(31 * 24 * time.Hour)
	e.store.Now = e.clock.Now
	w2 := e.published(e.login(phoneResident), e.login(phoneStaff), "想要一把雨伞")
	_ = w2
	if code, _ := probe.ended(); code != db.EUNAUTHENTICATED {
		t.Fatalf("after the session expired: got %s, want UNAUTHENTICATED", code)
	}
}

// A WebSocket whose connection_init carries a token that signs nobody in is closed with 4403
// and a reason; one from another website is refused before the upgrade.
func TestLiveSignInAndOrigin(t *testing.T) {
	t.Parallel()
	e := oneProcess(t)
	for _, p := range []map[string]any{
		{"Authorization": "Bearer not-a-token"},
		{"token": "not-a-token"},
		{"Authorization": "Basic abc"},
	} {
		for _, proto := range []string{"graphql-transport-ws", "graphql-ws"} {
			c, err := e.dialLive(proto, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			code, reason := c.closed()
			if code != 4403 || !strings.Contains(reason, "登录") {
				t.Fatalf("%s %v: closed with %d %q, want 4403 and a reason", proto, p, code, reason)
			}
		}
	}
	// An expired session is refused the same way.
	token := e.login(phoneVolunteer)
	e.clock.Advance(31 * 24 * time.Hour)
	c, err := e.dialLive("graphql-transport-ws", map[string]any{"Authorization": "Bearer " + token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := c.closed(); code != 4403 {
		t.Fatalf("expired token: closed with %d, want 4403", code)
	}
	// No token: the connection is open, a subscription needs a sign-in.
	c, err = e.dialLive("graphql-transport-ws", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := c.next(); m.Type != "connection_ack" {
		t.Fatalf("got %s", m.Type)
	}
	c.subscribe("1", qWishBoard, nil)
	m := c.next()
	var p struct{ Errors []gqlError }
	json.Unmarshal(m.Payload, &p)
	if len(p.Errors) == 0 || p.Errors[0].Extensions["code"] != db.EUNAUTHENTICATED {
		t.Fatalf("signed out: got %s %s, want UNAUTHENTICATED", m.Type, m.Payload)
	}

	_, err = e.dialLive("graphql-transport-ws", nil, http.Header{"Origin": {"https://evil.example"}})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("from another site: got %v, want 403", err)
	}
}

// A subscription too deep or too large is refused with the same code and reason as the
// same query over HTTP.
func TestLiveLimits(t *testing.T) {
	t.Parallel()
	e := oneProcess(t)
	token := e.login(phoneStaff)
	deep := "id" + strings.Repeat("}", 0)
	for range 14 {
		deep = "parent { " + deep + " }"
	}
	aliases := ""
	for i := range 30 {
		aliases += fmt.Sprintf(" a%d: id", i)
	}
	for name, sel := range map[string]string{"depth": "place { " + deep + " }", "aliases": aliases} {
		sub := e.liveAs(token)
		sub.subscribe("1", `subscription { meetingAttendance(meetingId: "x") { `+sel+` } }`, nil)
		m := sub.next()
		var p struct{ Errors []gqlError }
		json.Unmarshal(m.Payload, &p)
		q := e.do(token, `query { node(id: "x") { ... on Meeting { `+sel+` } } }`, nil)
		if len(p.Errors) == 0 || len(q.Errors) == 0 {
			t.Fatalf("%s: subscription %s %s, query %+v: want both refused", name, m.Type, m.Payload, q.Errors)
		}
		if p.Errors[0].Extensions["code"] != q.Code() || p.Errors[0].Extensions["reason"] != q.Errors[0].Extensions["reason"] ||
			q.Code() != db.EINVALID || q.Errors[0].Extensions["reason"] != "QUERY_LIMIT_EXCEEDED" {
			t.Fatalf("%s: subscription refused with %+v, query with %+v", name, p.Errors[0], q.Errors[0])
		}
	}
}

// The listener's connection is cut while a claim commits: once it is back, the subscriber
// gets the state it missed.
func TestLiveListenerReconnects(t *testing.T) {
	t.Parallel()
	d, dsn := dbtest.New(t)
	e := serve(t, d, withHub(t, dsn))
	if _, err := demo.Load(t.Context(), e.store); err != nil {
		t.Fatal(err)
	}
	resident, staff, member := e.login(phoneResident), e.login(phoneStaff), e.login(phonePartyMember)
	sub := e.liveAs(e.login(phoneVolunteer))
	sub.subscribe("1", qWishBoard, nil)
	e.listening(1)
	w := e.published(resident, staff, "想要一台轮椅")
	var ev boardEvent
	sub.data(&ev)

	// Keep the listener out while the claim commits (cutListener).
	allow := e.cutListener(dsn)
	mustWish(t, e.claim(member, w.ID))
	allow()
	mustWish(t, e.claim(member, w.ID))
	for {
		sub.data(&ev)
		if ev.WishBoard.WishID == w.ID && ev.WishBoard.Kind == "TAKEN" {
			break
		}
	}
}

// Over SSE (graphql-sse, distinct connections), a subscription streams `next` events, and
// one that ends for lack of rights sends the error as a last event before `complete`.
func TestLiveSSE(t *testing.T) {
	t.Parallel()
	e := oneProcess(t)
	voter := e.newVoters(1)[0]
	meeting, topic := e.runningMeeting("十二月居民会议")
	v := e.openVote(meeting, topic, map[string]any{"secret": false})
	body, _ := json.Marshal(map[string]any{"query": `subscription($id: ID!) { voteTurnout(voteId: $id) { turnout { participatingHeads } } }`,
		"variables": map[string]any{"id": v.ID}})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+voter)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Fatalf("Content-Type %q", ct)
	}
	events := make(chan [2]string, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var kind string
		for sc.Scan() {
			line := sc.Text()
			if k, ok := strings.CutPrefix(line, "event: "); ok {
				kind = k
				if kind == "complete" {
					events <- [2]string{kind, ""}
				}
			} else if d, ok := strings.CutPrefix(line, "data: "); ok {
				events <- [2]string{kind, d}
			}
		}
	}()
	nextEvent := func() (string, string) {
		t.Helper()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			return ev[0], ev[1]
		case <-time.After(dbtest.TimeLeft(t)):
			t.Fatal("no event came")
		}
		return "", ""
	}
	heads := func() int {
		t.Helper()
		kind, data := nextEvent()
		var p struct {
			Data struct {
				VoteTurnout struct {
					Turnout struct{ ParticipatingHeads int }
				}
			}
		}
		if kind != "next" || json.Unmarshal([]byte(data), &p) != nil {
			t.Fatalf("got %s %s", kind, data)
		}
		return p.Data.VoteTurnout.Turnout.ParticipatingHeads
	}
	if n := heads(); n != 0 {
		t.Fatalf("at the start: %d participating", n)
	}
	mustVote(t, e.do(voter, qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	if n := heads(); n != 1 {
		t.Fatalf("after a ballot: %d participating, want 1", n)
	}
	e.do(voter, `mutation { logout }`, nil).Decode(t, &struct{}{})
	kind, data := nextEvent()
	if kind != "next" || !strings.Contains(data, db.EUNAUTHENTICATED) {
		t.Fatalf("after sign-out: got %s %s, want the error", kind, data)
	}
	if kind, _ := nextEvent(); kind != "complete" {
		t.Fatalf("after the error: got %s, want complete", kind)
	}
}

// otherDatabase is dsn (a URL or key=value settings) naming database name instead.
func otherDatabase(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String()
	}
	return dsn + " dbname=" + name
}

// A claim that lapses (the sweep, run by any process) shows on the board as LAPSED.
func TestLiveLapse(t *testing.T) {
	t.Parallel()
	e := oneProcess(t)
	resident, staff, member := e.login(phoneResident), e.login(phoneStaff), e.login(phonePartyMember)
	w := e.published(resident, staff, "想请人陪同去医院")
	mustWish(t, e.claim(member, w.ID))
	sub := e.liveAs(e.login(phoneVolunteer))
	sub.subscribe("1", qWishBoard, nil)
	e.listening(1)
	e.clock.Advance(4 * 24 * time.Hour) // past the claim's 72 hours
	if n, err := e.store.LapseOverdueClaims(t.Context()); err != nil || n != 1 {
		t.Fatalf("lapsing: %d, %v", n, err)
	}

	var ev boardEvent
	sub.data(&ev)
	if ev.WishBoard.Kind != "LAPSED" || ev.WishBoard.WishID != w.ID || ev.WishBoard.Wish == nil || ev.WishBoard.Wish.State != "PUBLISHED" {
		t.Fatalf("after the lapse: got %+v, want LAPSED, published", ev.WishBoard)
	}
}
