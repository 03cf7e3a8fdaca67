package db

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/lib/pq"
)

// A secret vote that cannot be changed takes its ballots through a box: while one batch of
// casts is being written, the casts that arrive queue, and the next writer takes them all in
// one transaction: one read of the vote and of the voters' places on the roll, one insert of
// their participations, one stripe of the sealed sums rewritten with all their choices added.
// A thousand voters at once cost tens of transactions rather than a thousand, and a lone
// voter's cast is written at once, as it would be alone. The sums of a batch are its
// ballots' together, so even whoever holds the ballot key and watches the stripes sees a
// batch's choices, not whose was which, unless it held a single ballot.
//
// Each cast is judged on its own, as castAlone judges it, and a refused one changes nothing.
// If the batch's transaction fails, every cast in it is tried again alone.

// maxBatch bounds the casts written in one transaction.
const maxBatch = 256

// ballotBox queues the casts of one vote.
type ballotBox struct {
	mu      sync.Mutex
	queue   []*boxedCast
	writing bool // a cast is writing a batch: those that arrive wait for it
}

// boxedCast is a cast waiting in a box, and its outcome.
type boxedCast struct {
	v      *Viewer
	option string
	done   chan struct{} // closed when vote and err are set, or when lead is
	lead   bool          // this cast is to write the next batch
	vote   *Vote
	err    error
}

// errAlone marks a cast whose batch failed as a whole: it is tried again in a transaction
// of its own.
var errAlone = errors.New("cast again alone")

func (s *Store) boxOf(vote int64) *ballotBox {
	if b, ok := s.ballotBoxes.Load(vote); ok {
		return b.(*ballotBox)
	}
	b := new(ballotBox)
	got, _ := s.ballotBoxes.LoadOrStore(vote, b)
	return got.(*ballotBox)
}

// castInBox casts the viewer's ballot through the vote's box: it waits for the batch being
// written, if any, and then writes its own with whatever else has queued, or has the cast
// written by the cast that does.
func (s *Store) castInBox(ctx context.Context, v *Viewer, voteID int64, option string) (*Vote, error) {
	box := s.boxOf(voteID)
	c := &boxedCast{v: v, option: option, done: make(chan struct{})}
	box.mu.Lock()
	box.queue = append(box.queue, c)
	lead := !box.writing
	box.writing = true
	box.mu.Unlock()
	if !lead {
		// Whoever writes this cast does so whether or not its voter is still waiting:
		// once queued, a ballot is cast or refused, never lost half-way.
		<-c.done
		lead = c.lead
	}
	if lead {
		s.writeBox(ctx, voteID, box)
	}
	if c.err == errAlone {
		return s.castAlone(ctx, v, voteID, option)
	}
	return c.vote, c.err
}

// writeBox writes one batch of the box's queue (this cast's among them) and hands the box to
// the first of the casts that queued meanwhile, or leaves it idle.
func (s *Store) writeBox(ctx context.Context, voteID int64, box *ballotBox) {
	box.mu.Lock()
	n := min(len(box.queue), maxBatch)
	batch := slices.Clone(box.queue[:n])
	clear(box.queue[:n]) // the queue's array keeps no answered cast alive
	if box.queue = box.queue[n:]; len(box.queue) == 0 {
		box.queue = nil
	}
	box.mu.Unlock()

	// The batch is written for everyone in it: this voter leaving does not cancel it.
	if err := s.castBatchSafely(context.WithoutCancel(ctx), voteID, batch); err != nil {
		for _, c := range batch {
			c.vote, c.err = nil, errAlone
		}
	}
	for _, c := range batch[1:] {
		close(c.done)
	}

	box.mu.Lock()
	if len(box.queue) > 0 {
		next := box.queue[0]
		next.lead = true
		close(next.done)
	} else {
		box.writing = false
	}
	box.mu.Unlock()
}

// castBatchSafely is castBatch with a panic made an error, so that the casts waiting on the
// batch are always answered (and tried again alone).
func (s *Store) castBatchSafely(ctx context.Context, voteID int64, batch []*boxedCast) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("ballot box: %v", p)
		}
	}()
	return s.castBatch(ctx, voteID, batch)
}

// castBatch writes the casts of batch in one transaction, setting each one's vote or err;
// it returns an error, and sets nothing, if the transaction failed.
func (s *Store) castBatch(ctx context.Context, voteID int64, batch []*boxedCast) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	residents := make([]int64, len(batch))
	for i, c := range batch {
		residents[i] = c.v.Resident.ID
	}
	r, err := tx.readCast(voteID, residents)
	if err != nil {
		if ErrorCode(err) == EINTERNAL {
			return err
		}
		for _, c := range batch {
			c.err = err
		}
		return nil
	}
	if !r.Secret || r.Changeable {
		return errAlone // never: a vote's kind does not change
	}
	lv := &lockedVote{voteRow: r.voteRow, community: &r.Community}

	// Each cast judged alone; of those allowed, the first for each head is written.
	entries := make([]*castEntry, len(batch)) // nil: refused
	first := make(map[int64]int, len(batch))  // head -> the cast that takes it
	var heads, ballotResidents []int64
	for i, c := range batch {
		e, err := tx.castAllowed(c.v, r, c.option)
		if ErrorCode(err) == EINTERNAL {
			return err
		} else if err != nil {
			c.err = err
			continue
		}
		entries[i] = &e
		if _, taken := first[e.head]; !taken {
			first[e.head] = i
			heads = append(heads, e.head)
			ballotResidents = append(ballotResidents, e.resident)
		}
	}
	if len(heads) == 0 {
		return nil
	}
	sealer, err := tx.sumsStripe(lv.ID, len(r.Labels), &r.sumsStripe)
	if err != nil {
		return err
	}
	var took []int64
	if err := tx.selectRows(&took, `INSERT INTO vote_participation (vote_id, resident_id, head)
		SELECT $1, u.resident_id, u.head FROM unnest($2::bigint[], $3::bigint[]) u(resident_id, head)
		ON CONFLICT DO NOTHING RETURNING head`, voteID, pq.Array(ballotResidents), pq.Array(heads)); err != nil {
		return err
	}
	written := make(map[int64]bool, len(took))
	for _, h := range took {
		written[h] = true
	}
	delta := make([]positionCount, len(r.Labels))
	if err := tx.sealUnsealed(lv, sealer, delta); err != nil {
		return err
	}
	counted := make([]bool, len(batch)) // this cast's ballot is the one written for its head
	var held []int64                    // heads someone else already holds
	for i, e := range entries {
		switch {
		case e == nil:
		case first[e.head] == i && written[e.head]:
			counted[i] = true
			delta[e.pos].Heads++
			delta[e.pos].Area += e.area
		default:
			held = append(held, e.head)
		}
	}
	var holders map[int64]headHolder
	if len(held) > 0 {
		if holders, err = tx.headHolders(voteID, held); err != nil {
			return err
		}
	}
	turnout, err := tx.addToSums(lv, sealer, &r.sumsStripe, delta)
	if err != nil {
		return err
	}
	// A co-owner earlier in this batch holds the head as if they had committed first.
	for i, e := range entries {
		if e == nil || counted[i] {
			continue
		}
		h, ok := holders[e.head]
		if !ok {
			return errors.New("ballot box: a head neither written nor held")
		}
		batch[i].err = h.refusal(e.resident, false)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for i := range batch {
		if counted[i] {
			out := newVote(&lv.voteRow, r.Labels)
			out.HasVoted = true
			out.Turnout = turnout
			batch[i].vote = out
		}
	}
	return nil
}
