package db

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lib/pq"
)

// The channels that migration 0018's triggers notify (their payloads are described there).
const (
	ChannelWishes   = "linli_wishes"
	ChannelVotes    = "linli_votes"
	ChannelMeetings = "linli_meetings"
	ChannelAccounts = "linli_accounts"
	// ChannelNotifications carries "<account id>:<notification id>" for each new notification
	// addressed to an account (migration 0017).
	ChannelNotifications = "linli_notifications"
)

// Hub is the process's one listening connection to PostgreSQL (LISTEN/NOTIFY). It fans every
// notification out to the subscribers in this process that listen to its channel and key, so
// a change committed by any process reaches the subscribers of every process. It never waits
// for a subscriber: each has a small buffer, and one that falls behind is told to resync (read
// again what it shows) instead of being queued for. After the connection is lost and made
// again, every subscriber is told to resync, since notifications sent meanwhile are lost.
//
// To add a subscription (graph/live.go has the GraphQL side): pick a channel and a payload
// whose first field (up to the first ':') is the key subscribers filter on, notify it from a
// trigger in a migration (pg_notify, ids only), and in the resolver call hub.Listen with the
// tunes, then loop on Listening.Next: a Note with a payload says what changed; a Note with
// Resync says that some may have been missed, so read the current state again.
type Hub struct {
	listener *pq.Listener
	logf     func(msg string, args ...any)

	mu        sync.Mutex
	subs      map[Tune]map[*Listening]struct{}
	listening map[string]bool
	closed    bool
	seq       uint64 // the last note's Seq

	listenMu sync.Mutex // one LISTEN at a time, outside mu (it waits for the server)
	done     chan struct{}
	stopped  chan struct{}
}

// Tune is what a subscriber listens to (not a deliberation topic): the notifications of Channel whose key (the
// payload's first field) is Key, or all of them when Key is "".
type Tune struct{ Channel, Key string }

// Note is one notification as a subscriber receives it, or, with Resync, word that some may
// have been lost (the listener reconnected, or the subscriber fell behind).
type Note struct {
	Channel, Payload string
	Resync           bool
	// Seq numbers the hub's notifications in the order they arrived (from 1; 0 with Resync):
	// whatever is read after a note's arrival sees its change, so subscribers of one note, and
	// of the notes before it, may share one read made after it arrived.
	Seq uint64
}

// Fields splits the payload at its colons.
func (n Note) Fields() []string { return strings.Split(n.Payload, ":") }

// noteBuffer is how many notifications a subscriber may have waiting before it is told to
// resync instead.
const noteBuffer = 16

// NewHub starts listening on a connection of its own to the database at dsn. logf reports
// losing and regaining the connection.
func NewHub(dsn string, logf func(msg string, args ...any)) *Hub {
	h := &Hub{logf: logf, subs: map[Tune]map[*Listening]struct{}{}, listening: map[string]bool{},
		done: make(chan struct{}), stopped: make(chan struct{})}
	h.listener = pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			logf("live updates: lost the database connection; reconnecting", "error", errString(err))
		case pq.ListenerEventReconnected:
			logf("live updates: reconnected to the database; subscribers read again what they show")
		case pq.ListenerEventConnectionAttemptFailed:
			logf("live updates: reconnecting to the database failed", "error", errString(err))
		}
	})
	go h.run()
	return h
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// run hands each notification to its subscribers until Close.
func (h *Hub) run() {
	defer close(h.stopped)
	// A connection that dies silently (no reset from the server) is noticed by a ping.
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-h.done:
			return
		case <-ping.C:
			go h.listener.Ping()
		case n, ok := <-h.listener.Notify:
			if !ok {
				return
			}
			if n == nil { // lib/pq sends nil after it reconnected
				h.resyncAll()
				continue
			}
			h.deliver(Note{Channel: n.Channel, Payload: n.Extra})
		}
	}
}

func (h *Hub) deliver(n Note) {
	key, _, _ := strings.Cut(n.Payload, ":")
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	n.Seq = h.seq
	for _, t := range []Tune{{n.Channel, ""}, {n.Channel, key}} {
		for s := range h.subs[t] {
			s.offer(n)
		}
		if key == "" {
			break
		}
	}
}

func (h *Hub) resyncAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[*Listening]bool{}
	for _, set := range h.subs {
		for s := range set {
			if !seen[s] {
				seen[s] = true
				s.tellResync()
			}
		}
	}
}

// ErrHubClosed is what Listen and Next return once the hub has closed (the process is
// shutting down).
var ErrHubClosed = errors.New("live updates have stopped: the service is shutting down")

// Listen subscribes to tunes. It returns once the database is listening to their
// channels, so that any change committed after it returns is delivered. Close the
// Listening when done.
func (h *Hub) Listen(tunes ...Tune) (*Listening, error) {
	s := &Listening{hub: h, tunes: tunes, notes: make(chan Note, noteBuffer), nudge: make(chan struct{}, 1),
		closed: make(chan struct{})}
	// The channels first: once the subscriber is counted (Subscribers), it hears everything.
	for _, t := range tunes {
		if err := h.listen(t.Channel); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrHubClosed
	}
	for _, t := range tunes {
		if h.subs[t] == nil {
			h.subs[t] = map[*Listening]struct{}{}
		}
		h.subs[t][s] = struct{}{}
	}
	return s, nil
}

// listen makes the connection LISTEN to channel, once: channels are few and stay listened to.
func (h *Hub) listen(channel string) error {
	h.listenMu.Lock()
	defer h.listenMu.Unlock()
	h.mu.Lock()
	done := h.listening[channel]
	h.mu.Unlock()
	if done {
		return nil
	}
	if err := h.listener.Listen(channel); err != nil && !errors.Is(err, pq.ErrChannelAlreadyOpen) {
		return err
	}
	h.mu.Lock()
	h.listening[channel] = true
	h.mu.Unlock()
	return nil
}

// Close ends every subscription (their Next returns ErrHubClosed) and the connection.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for _, set := range h.subs {
		for s := range set {
			s.closeOnce.Do(func() { close(s.closed) })
		}
	}
	h.subs = map[Tune]map[*Listening]struct{}{}
	h.mu.Unlock()
	close(h.done)
	<-h.stopped
	h.listener.Close()
}

// Subscribers is how many subscriptions listen now.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	seen := map[*Listening]bool{}
	for _, set := range h.subs {
		for s := range set {
			seen[s] = true
		}
	}
	return len(seen)
}

// Listening is one subscriber's place in the hub.
type Listening struct {
	hub       *Hub
	tunes     []Tune
	notes     chan Note
	nudge     chan struct{}
	missed    atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
}

// offer hands n over without waiting; a full buffer means the subscriber must resync.
// Called with the hub's lock held.
func (s *Listening) offer(n Note) {
	select {
	case s.notes <- n:
	default:
		s.tellResync()
	}
}

func (s *Listening) tellResync() {
	s.missed.Store(true)
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// Next waits for the next note: a notification, or Resync. It returns ctx's error when ctx
// ends and ErrHubClosed when the hub has closed.
func (s *Listening) Next(ctx context.Context) (Note, error) {
	for {
		if s.missed.Swap(false) {
			// Whatever waits in the buffer is older than the state a resync reads.
			for len(s.notes) > 0 {
				<-s.notes
			}
			return Note{Resync: true}, nil
		}
		select {
		case n := <-s.notes:
			return n, nil
		case <-s.nudge:
		case <-s.closed:
			return Note{}, ErrHubClosed
		case <-ctx.Done():
			return Note{}, ctx.Err()
		}
	}
}

// Close leaves the hub.
func (s *Listening) Close() {
	h := s.hub
	h.mu.Lock()
	for _, t := range s.tunes {
		delete(h.subs[t], s)
		if len(h.subs[t]) == 0 {
			delete(h.subs, t)
		}
	}
	h.mu.Unlock()
	s.closeOnce.Do(func() { close(s.closed) })
}

// SessionExpires returns when the session of token ends, for a live subscription that keeps
// its viewer between events: UNAUTHENTICATED when it has ended already.
func (s *Store) SessionExpires(ctx context.Context, token string) (time.Time, error) {
	var until time.Time
	err := s.get(ctx, &until, `SELECT expires_at FROM sessions WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2`,
		tokenHash(token), s.Now().UTC())
	if errors.Is(err, sql.ErrNoRows) {
		return until, &Error{Code: EUNAUTHENTICATED, Message: "登录已失效，请重新登录"}
	}
	return until, err
}

// WishesChangedSince returns the ids of the wishes in communities changed at or after since,
// at most limit of them, the latest last: what a wish subscription re-reads after a resync.
func (s *Store) WishesChangedSince(ctx context.Context, communities []int64, since time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := s.selectRows(ctx, &ids, `SELECT id FROM (SELECT id, updated_at FROM wishes
		WHERE ($1::bigint[] IS NULL OR community_id = ANY($1)) AND updated_at >= $2 ORDER BY updated_at DESC, id DESC LIMIT $3) w
		ORDER BY updated_at, id`, pq.Array(communities), since.UTC(), limit)
	return ids, err
}
