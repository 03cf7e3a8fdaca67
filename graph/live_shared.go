package graph

import (
	"context"
	"sync"
	"time"

	"linli/db"
)

// liveShared lets the subscribers of this process share one read per note: when 10,000
// watch a vote, a cast costs one read of the vote, then in-memory work per subscriber (each
// decides what its viewer sees: db.SharedVote.For). Its zero value is ready.
type liveShared struct {
	mu    sync.Mutex
	votes map[sharedVoteKey]*sharedRead[*db.SharedVote]
}

// sharedVoteKey: a vote, with its turnout per building or without.
type sharedVoteKey struct {
	id        int64
	buildings bool
}

// sharedRead is one read, started after the hub's note seq arrived.
type sharedRead[T any] struct {
	seq  uint64
	done chan struct{}
	val  T
	err  error
	at   time.Time // when it finished (zero until then)
}

// sharedReadTimeout bounds a shared read: it runs on behalf of every waiting subscriber, so
// the one that happens to start it must not cancel it by leaving.
const sharedReadTimeout = 30 * time.Second

// sharedReadKept is how long a finished read stays in the memo of a vote nobody asks about.
const sharedReadKept = time.Minute

// vote returns vote id (with buildings, its turnout per building too) as read after note seq
// arrived: the read a subscriber of the same or a later note made, or started, if any, else a
// new one (singleflight: the others wait for it).
func (ls *liveShared) vote(ctx context.Context, store *db.Store, id int64, buildings bool, seq uint64) (*db.SharedVote, error) {
	ls.mu.Lock()
	if ls.votes == nil {
		ls.votes = map[sharedVoteKey]*sharedRead[*db.SharedVote]{}
	}
	key := sharedVoteKey{id, buildings}
	rd := ls.votes[key]
	lead := rd == nil || rd.seq < seq
	if lead {
		rd = &sharedRead[*db.SharedVote]{seq: seq, done: make(chan struct{})}
		ls.votes[key] = rd
		now := time.Now()
		for k, old := range ls.votes { // votes no longer watched
			if !old.at.IsZero() && now.Sub(old.at) > sharedReadKept {
				delete(ls.votes, k)
			}
		}
	}
	ls.mu.Unlock()
	if lead {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedReadTimeout)
		rd.val, rd.err = store.SharedVote(rctx, id, buildings)
		cancel()
		ls.mu.Lock()
		rd.at = time.Now()
		if rd.err != nil && ls.votes[key] == rd { // the next note reads again
			delete(ls.votes, key)
		}
		ls.mu.Unlock()
		close(rd.done)
	}
	select {
	case <-rd.done:
		return rd.val, rd.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
