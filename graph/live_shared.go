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
	votes map[int64]*sharedRead[*db.SharedVote]
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

// vote returns vote id as read after note seq arrived: the read a subscriber of an earlier
// or the same note made, or started, if any, else a new one (singleflight: the others wait
// for it).
func (ls *liveShared) vote(ctx context.Context, store *db.Store, id int64, seq uint64) (*db.SharedVote, error) {
	ls.mu.Lock()
	if ls.votes == nil {
		ls.votes = map[int64]*sharedRead[*db.SharedVote]{}
	}
	rd := ls.votes[id]
	lead := rd == nil || rd.seq < seq
	if lead {
		rd = &sharedRead[*db.SharedVote]{seq: seq, done: make(chan struct{})}
		ls.votes[id] = rd
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
		rd.val, rd.err = store.SharedVote(rctx, id)
		cancel()
		ls.mu.Lock()
		rd.at = time.Now()
		if rd.err != nil && ls.votes[id] == rd { // the next note reads again
			delete(ls.votes, id)
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
