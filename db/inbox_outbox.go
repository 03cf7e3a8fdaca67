package db

import (
	"context"
	"database/sql"
	"errors"
	"time"
	"unicode/utf8"
)

// Message is one notification on its way out of the service, as a Sender gets it. Its
// JSON is what the webhook sender posts. ID is the outbox row's: the same message retried
// carries the same ID, so a gateway can drop a repeat.
type Message struct {
	ID             int64               `json:"id"`
	NotificationID int64               `json:"notificationId"`
	Channel        NotificationChannel `json:"channel"`
	Phone          string              `json:"phone"`
	Kind           NotificationKind    `json:"kind"`
	Title          string              `json:"title"`
	Body           string              `json:"body"`
	CreatedAt      time.Time           `json:"createdAt"`
	// Attempt is 1 for the first try, 2 for the first retry, and so on.
	Attempt int `json:"attempt"`
}

// Sender delivers messages beyond the service (a text-message gateway). An error means not
// delivered: the outbox tries again later.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// OutboxSettings bound delivery: a message failing MaxAttempts times is given up (FAILED,
// for staff to see); between tries the wait doubles from RetryAfter up to MaxRetryAfter.
type OutboxSettings struct {
	MaxAttempts   int
	RetryAfter    time.Duration
	MaxRetryAfter time.Duration
	// SendTimeout bounds one try.
	SendTimeout time.Duration
	// Batch is how many messages one pass sends at most, so a pass ends.
	Batch int
}

// DefaultOutboxSettings: 8 tries over about two hours.
var DefaultOutboxSettings = OutboxSettings{MaxAttempts: 8, RetryAfter: 30 * time.Second, MaxRetryAfter: time.Hour,
	SendTimeout: 10 * time.Second, Batch: 500}

// retryDelay is the wait after the attempts-th failed try: RetryAfter doubled per earlier
// failure, capped.
func (o OutboxSettings) retryDelay(attempts int) time.Duration {
	d := o.RetryAfter
	for i := 1; i < attempts && d < o.MaxRetryAfter; i++ {
		d *= 2
	}
	return min(d, o.MaxRetryAfter)
}

// takeOutbox locks one message due at $1 that no other worker holds, with what it says.
const takeOutbox = `SELECT o.id AS outbox_id, o.channel, o.attempts, coalesce(a.phone, r.phone, '') AS phone, ` +
	`nt.id, nt.kind, nt.account_id, nt.resident_id, nt.wish_id, nt.claim_id, nt.vote_id, nt.meeting_id, nt.resolution_id,
	nt.task_id, nt.created_at, nt.read_at, nt.visited_at, nt.wish_title, nt.wish_reason, nt.on_behalf, nt.claim_due_at,
	nt.vote_title, nt.vote_closes_at, nt.meeting_title, nt.meeting_starts_at, nt.meeting_location, nt.resolution_title,
	nt.notice_ends_at, nt.task_title, nt.task_due_at, nt.household_id
	FROM (SELECT * FROM notification_outbox WHERE state = 'pending' AND next_attempt_at <= $1
		ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) o
	CROSS JOIN LATERAL (` + notificationSelect + ` WHERE n.id = o.notification_id) nt
	LEFT JOIN accounts a ON a.id = nt.account_id LEFT JOIN residents r ON r.id = nt.resident_id`

type outboxRow struct {
	OutboxID int64               `db:"outbox_id"`
	Channel  NotificationChannel `db:"channel"`
	Attempts int                 `db:"attempts"`
	Phone    string              `db:"phone"`
	Notification
}

// DeliverOutbox sends what is due in the outbox through sender, one message per
// transaction: the row stays locked while it is sent, so however many processes run this
// at once, each message is with one of them (SKIP LOCKED: the others take the next). A
// message sent is recorded delivered once; one that fails is tried again after a growing
// wait, and given up after MaxAttempts (FAILED). A process that stops between sending and
// recording sends it again: delivery is at least once, and Message.ID lets a gateway
// drop the repeat. It returns how many were delivered and how many failed this pass.
func (s *Store) DeliverOutbox(ctx context.Context, sender Sender, o OutboxSettings) (delivered, failed int, err error) {
	for range o.Batch {
		ok, sent, err := s.deliverOne(ctx, sender, o)
		if err != nil || !ok {
			return delivered, failed, err
		}
		if sent {
			delivered++
		} else {
			failed++
		}
	}
	return delivered, failed, nil
}

// deliverOne sends one due message, if there is one (ok), and says whether it went.
func (s *Store) deliverOne(ctx context.Context, sender Sender, o OutboxSettings) (ok, sent bool, err error) {
	tx, err := s.Begin(ctx)
	if err != nil {
		return false, false, err
	}
	defer tx.Rollback()
	var r outboxRow
	if err := tx.get(&r, takeOutbox, tx.now); errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	} else if err != nil {
		return false, false, err
	}
	r.render()
	m := Message{ID: r.OutboxID, NotificationID: r.ID, Channel: r.Channel, Phone: r.Phone, Kind: r.Kind,
		Title: r.Title, Body: r.Body, CreatedAt: r.CreatedAt, Attempt: r.Attempts + 1}
	sendCtx, cancel := context.WithTimeout(ctx, o.SendTimeout)
	sendErr := sender.Send(sendCtx, m)
	cancel()
	if ctx.Err() != nil {
		return false, false, ctx.Err() // shutting down: the row stays due
	}
	now := s.Now().UTC()
	if sendErr == nil {
		_, err = tx.exec(`UPDATE notification_outbox SET state = 'delivered', attempts = attempts + 1, delivered_at = $2,
			last_error = NULL WHERE id = $1 AND state = 'pending'`, r.OutboxID, now)
	} else {
		state := "pending"
		if m.Attempt >= o.MaxAttempts {
			state = "failed"
		}
		_, err = tx.exec(`UPDATE notification_outbox SET state = $2, attempts = attempts + 1, next_attempt_at = $3,
			last_error = $4 WHERE id = $1 AND state = 'pending'`,
			r.OutboxID, state, now.Add(o.retryDelay(m.Attempt)), truncate(sendErr.Error(), 500))
	}
	if err != nil {
		return false, false, err
	}
	return true, sendErr == nil, tx.Commit()
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// OutboxDelivery is one message's delivery, for staff.
type OutboxDelivery struct {
	ID             int64               `db:"id"`
	NotificationID int64               `db:"notification_id"`
	Channel        NotificationChannel `db:"channel"`
	State          string              `db:"state"`
	Attempts       int                 `db:"attempts"`
	LastError      *string             `db:"last_error"`
	DeliveredAt    *time.Time          `db:"delivered_at"`
	CreatedAt      time.Time           `db:"created_at"`
	// ResidentID is the recipient's resident record.
	ResidentID int64 `db:"resident_id"`
}

// Failed deliveries are listed for staff with the recipient's resident record, where there
// is one: the account's own, or the resident the notification is for.
const failedFrom = ` FROM notification_outbox o JOIN notifications n ON n.id = o.notification_id
	JOIN residents fr ON fr.id = coalesce(n.resident_id, (SELECT x.id FROM residents x WHERE x.account_id = n.account_id))
	JOIN places fh ON fh.id = fr.household_id
	WHERE o.state = 'failed' AND fh.path @> ARRAY[$1::bigint]`

// FailedDeliveries lists, newest first, the messages given up after every try, whose
// recipients live under place: for staff and grid workers of the place, to reach those
// people another way. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN.
func (s *Store) FailedDeliveries(ctx context.Context, v *Viewer, place int64, p Page) (Paged[*OutboxDelivery], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*OutboxDelivery]{}, nil, needSignIn
	}
	pl, err := s.Place(ctx, place)
	if err != nil {
		return Paged[*OutboxDelivery]{}, nil, err
	}
	if !v.Holds(pl, rolesReviewing...) {
		return Paged[*OutboxDelivery]{}, nil, forbidden("只有%s的社区工作者和网格员可以查看发送失败的通知", pl.Name)
	}
	args := []any{place}
	res, err := listQuery(ctx, s, `SELECT o.id, o.notification_id, o.channel, o.state, o.attempts, o.last_error,
		o.delivered_at, o.created_at, fr.id AS resident_id`+failedFrom, args, byIDDesc.qualified("o"),
		func(d *OutboxDelivery) Key { return idKey(d.ID) }, p)
	if err != nil {
		return res, nil, err
	}
	return res, func(ctx context.Context) (int, error) { return s.count(ctx, failedFrom, args...) }, nil
}
