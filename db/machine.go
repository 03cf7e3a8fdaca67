package db

import "context"

// Wishes, topics and meetings each move through states, and every move is recorded in a
// timeline table of the same shape. stateTables names those tables for one of them; the
// names come from this package's code, never from input.
type stateTables struct {
	table, alias, columns string // the row, and the columns read back after a move
	events, key           string // its timeline, and the timeline's column naming the row
}

var (
	wishTables    = stateTables{"wishes", "w", wishColumns, "wish_events", "wish_id"}
	topicTables   = stateTables{"topics", "t", topicColumns, "topic_events", "topic_id"}
	meetingTables = stateTables{"meetings", "m", meetingColumns, "meeting_events", "meeting_id"}
)

// record adds a step to the timeline of row id: action, by actor (nil: the system), from one
// state (nil: none before) to another.
func (tx *Tx) record(t stateTables, id int64, action, actor, from, to any, reason *string) error {
	_, err := tx.exec(`INSERT INTO `+t.events+` (`+t.key+`, at, action, actor_id, from_state, to_state, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, tx.now, action, actor, from, to, reason)
	return err
}

// move sets row id's state to `to`, with more assignments in set (their parameters start at
// $4), reads the row back into dest and records the step.
func (tx *Tx) move(t stateTables, dest any, id int64, from, to, action any, actor *int64, reason *string, set string, args ...any) error {
	q := `UPDATE ` + t.table + ` ` + t.alias + ` SET state = $2, updated_at = $3` + set +
		` WHERE ` + t.alias + `.id = $1 RETURNING ` + t.columns
	if err := tx.get(dest, q, append([]any{id, to, tx.now}, args...)...); err != nil {
		return err
	}
	return tx.record(t, id, action, actor, from, to, reason)
}

// inLockedTx runs f on what lock takes, in one transaction that commits only if both succeed.
func inLockedTx[L any](ctx context.Context, s *Store, lock func(*Tx) (L, error), f func(*Tx, L) error) (L, error) {
	var zero L
	tx, err := s.Begin(ctx)
	if err != nil {
		return zero, err
	}
	defer tx.Rollback()
	locked, err := lock(tx)
	if err != nil {
		return zero, err
	}
	if err := f(tx, locked); err != nil {
		return zero, err
	}
	return locked, tx.Commit()
}
