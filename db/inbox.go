package db

import (
	"context"
	"io"
	"time"

	"github.com/lib/pq"
)

// NotificationKind is what a notification tells of (migration 0017).
type NotificationKind string

// Notification kinds.
const (
	NotifyWishPublished       NotificationKind = "wish_published"
	NotifyWishRejected        NotificationKind = "wish_rejected"
	NotifyWishClaimed         NotificationKind = "wish_claimed"
	NotifyWishReleased        NotificationKind = "wish_released"
	NotifyWishFulfilled       NotificationKind = "wish_fulfilled"
	NotifyWishConfirmed       NotificationKind = "wish_confirmed"
	NotifyWishDisputed        NotificationKind = "wish_disputed"
	NotifyClaimDueSoon        NotificationKind = "claim_due_soon"
	NotifyClaimLapsed         NotificationKind = "claim_lapsed"
	NotifyVoteOpened          NotificationKind = "vote_opened"
	NotifyVoteClosing         NotificationKind = "vote_closing"
	NotifyMeetingTomorrow     NotificationKind = "meeting_tomorrow"
	NotifyMeetingOpened       NotificationKind = "meeting_opened"
	NotifyResolutionPublished NotificationKind = "resolution_published"
	NotifyObjectionClosing    NotificationKind = "objection_closing"
	NotifyTaskAssigned        NotificationKind = "task_assigned"
	NotifyTaskConcernRaised   NotificationKind = "task_concern_raised"
	NotifyVisitOverdue        NotificationKind = "visit_overdue"
	NotifyReportSubmitted     NotificationKind = "report_submitted"
	NotifyReportEscalated     NotificationKind = "report_escalated"
	NotifyReportWhistled      NotificationKind = "report_whistled"
	NotifyReportResolved      NotificationKind = "report_resolved"
)

// NotificationKinds are all the kinds, in the order preferences list them.
var NotificationKinds = []NotificationKind{NotifyWishPublished, NotifyWishRejected, NotifyWishClaimed,
	NotifyWishReleased, NotifyWishFulfilled, NotifyWishConfirmed, NotifyWishDisputed, NotifyClaimDueSoon,
	NotifyClaimLapsed, NotifyVoteOpened, NotifyVoteClosing, NotifyMeetingTomorrow, NotifyMeetingOpened, NotifyResolutionPublished,
	NotifyObjectionClosing, NotifyTaskAssigned, NotifyTaskConcernRaised, NotifyVisitOverdue,
	NotifyReportSubmitted, NotifyReportEscalated, NotifyReportWhistled, NotifyReportResolved}

// smsByDefault mirrors notification_sms_default in migration 0017: the kinds sent by text
// message when the recipient has chosen nothing.
var smsByDefault = map[NotificationKind]bool{NotifyWishRejected: true, NotifyWishClaimed: true,
	NotifyWishFulfilled: true, NotifyWishDisputed: true, NotifyClaimDueSoon: true, NotifyClaimLapsed: true,
	NotifyVoteClosing: true, NotifyMeetingTomorrow: true, NotifyTaskAssigned: true, NotifyTaskConcernRaised: true}

// NotificationChannel is a way a notification reaches someone.
type NotificationChannel string

// Channels. The inbox is always on; accounts hold no WeChat id, so text messages are the
// only channel beyond the service.
const (
	ChannelInbox NotificationChannel = "inbox"
	ChannelSMS   NotificationChannel = "sms"
)

var notificationChannels = []NotificationChannel{ChannelInbox, ChannelSMS}

func (k NotificationKind) MarshalGQL(w io.Writer) { marshalEnum(w, k) }
func (k *NotificationKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(k, v, NotificationKinds, "NotificationKind")
}
func (c NotificationChannel) MarshalGQL(w io.Writer) { marshalEnum(w, c) }
func (c *NotificationChannel) UnmarshalGQL(v any) error {
	return unmarshalEnum(c, v, notificationChannels, "NotificationChannel")
}

// Notification is one notification of one recipient, with its text rendered for them.
type Notification struct {
	ID         int64            `db:"id"`
	Kind       NotificationKind `db:"kind"`
	AccountID  *int64           `db:"account_id"`
	ResidentID *int64           `db:"resident_id"`
	// The subject's ids; which are set depends on the kind.
	WishID       *int64     `db:"wish_id"`
	ClaimID      *int64     `db:"claim_id"`
	VoteID       *int64     `db:"vote_id"`
	MeetingID    *int64     `db:"meeting_id"`
	ResolutionID *int64     `db:"resolution_id"`
	TaskID       *int64     `db:"task_id"`
	CreatedAt    time.Time  `db:"created_at"`
	ReadAt       *time.Time `db:"read_at"`
	VisitedAt    *time.Time `db:"visited_at"`
	// Title and Body are the text shown, rendered from the kind and the subject.
	Title, Body string
	subject
}

// subject is what the text of a notification says of its subject, read with it.
type subject struct {
	WishTitle       *string    `db:"wish_title"`
	WishReason      *string    `db:"wish_reason"`
	OnBehalf        bool       `db:"on_behalf"`
	ClaimDueAt      *time.Time `db:"claim_due_at"`
	VoteTitle       *string    `db:"vote_title"`
	VoteClosesAt    *time.Time `db:"vote_closes_at"`
	MeetingTitle    *string    `db:"meeting_title"`
	MeetingStartsAt *time.Time `db:"meeting_starts_at"`
	MeetingLocation *string    `db:"meeting_location"`
	ResolutionTitle *string    `db:"resolution_title"`
	NoticeEndsAt    *time.Time `db:"notice_ends_at"`
	TaskTitle       *string    `db:"task_title"`
	TaskDueAt       *time.Time `db:"task_due_at"`
	// The household of a resident without an account, for the grid worker's visit; or the
	// household whose visit is overdue (visit_overdue), due on VisitDueOn (nil: never visited).
	HouseholdID *int64     `db:"household_id"`
	VisitDueOn  *time.Time `db:"visit_due_on"`
	// ReportID is the report a report_* notification is about.
	ReportID *int64 `db:"report_id"`
}

// notificationSelect reads notifications (alias n) with their subjects; a statement adds
// its WHERE.
const notificationSelect = `SELECT n.id, n.kind, n.account_id, n.resident_id, n.wish_id, n.claim_id, n.vote_id,
		n.meeting_id, n.resolution_id, n.task_id, n.created_at, n.read_at, n.visited_at,
		w.title AS wish_title, w.closing_reason AS wish_reason,
		coalesce(n.account_id = w.submitted_by AND br.account_id IS DISTINCT FROM n.account_id, false) AS on_behalf,
		c.due_at AS claim_due_at, v.title AS vote_title, v.closes_at AS vote_closes_at,
		m.title AS meeting_title, m.starts_at AS meeting_starts_at, m.location AS meeting_location,
		res.title AS resolution_title, res.notice_ends_at, t.title AS task_title, t.due_at AS task_due_at,
		coalesce(n.household_id, nr.household_id) AS household_id, n.visit_due_on, n.report_id
	FROM notifications n
	LEFT JOIN wishes w ON w.id = n.wish_id LEFT JOIN residents br ON br.id = w.beneficiary_id
	LEFT JOIN wish_claims c ON c.id = n.claim_id LEFT JOIN votes v ON v.id = n.vote_id
	LEFT JOIN meetings m ON m.id = n.meeting_id LEFT JOIN resolutions res ON res.id = n.resolution_id
	LEFT JOIN resolution_tasks t ON t.id = n.task_id LEFT JOIN residents nr ON nr.id = n.resident_id`

// Notification returns notification id with its text, whoever it is for: for the live
// delivery, which checks the recipient (AccountID) against the subscriber itself.
// Errors: NOT_FOUND.
func (s *Store) Notification(ctx context.Context, id int64) (*Notification, error) {
	var n Notification
	if err := s.get(ctx, &n, notificationSelect+` WHERE n.id = $1`, id); err != nil {
		return nil, notFound(err, "找不到这条通知")
	}
	n.render()
	return &n, nil
}

var notificationOrder = byIDDesc.qualified("n")

// NotificationsAfter returns v's notifications with an id above after, oldest first, at most
// limit of them: what a live subscriber has not been sent yet (ids only grow). Errors:
// UNAUTHENTICATED.
func (s *Store) NotificationsAfter(ctx context.Context, v *Viewer, after int64, limit int) ([]*Notification, error) {
	if v == nil {
		return nil, needSignIn
	}
	var out []*Notification
	if err := s.selectRows(ctx, &out, notificationSelect+` WHERE n.account_id = $1 AND n.id > $2 ORDER BY n.id LIMIT $3`,
		v.Account.ID, after, limit); err != nil {
		return nil, err
	}
	for _, n := range out {
		n.render()
	}
	return out, nil
}

// LatestNotificationID is the id of v's newest notification, 0 when there is none.
// Errors: UNAUTHENTICATED.
func (s *Store) LatestNotificationID(ctx context.Context, v *Viewer) (int64, error) {
	if v == nil {
		return 0, needSignIn
	}
	var id int64
	err := s.get(ctx, &id, `SELECT coalesce(max(id), 0) FROM notifications WHERE account_id = $1`, v.Account.ID)
	return id, err
}

// Notifications lists v's own notifications, newest first; unreadOnly leaves out those read.
// Errors: UNAUTHENTICATED.
func (s *Store) Notifications(ctx context.Context, v *Viewer, unreadOnly bool, p Page) (Paged[*Notification], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Notification]{}, nil, needSignIn
	}
	where := ` WHERE n.account_id = $1`
	if unreadOnly {
		where += ` AND n.read_at IS NULL`
	}
	args := []any{v.Account.ID}
	res, err := listQuery(ctx, s, notificationSelect+where, args, notificationOrder,
		func(n *Notification) Key { return idKey(n.ID) }, p)
	if err != nil {
		return res, nil, err
	}
	for _, n := range res.Items {
		n.render()
	}
	return res, func(ctx context.Context) (int, error) { return s.count(ctx, `FROM notifications n`+where, args...) }, nil
}

// UnreadNotificationCount is how many of v's notifications are unread. Errors:
// UNAUTHENTICATED.
func (s *Store) UnreadNotificationCount(ctx context.Context, v *Viewer) (int, error) {
	if v == nil {
		return 0, needSignIn
	}
	return s.count(ctx, `FROM notifications WHERE account_id = $1 AND read_at IS NULL`, v.Account.ID)
}

// markRead marks the notifications $1 of account $2 read at $3 (those read already keep
// their time), all or none: only when every id is the account's ($4 distinct ids). It
// returns how many of the ids are the account's.
const markRead = `WITH mine AS (
		SELECT id FROM notifications WHERE id = ANY ($1) AND account_id = $2 FOR UPDATE
	), marked AS (
		UPDATE notifications n SET read_at = $3 FROM mine
		WHERE n.id = mine.id AND n.read_at IS NULL AND (SELECT count(*) FROM mine) = $4
	)
	SELECT count(*) FROM mine`

// MarkNotificationsRead marks v's notifications ids read and returns them. An id that is
// not v's is NOT_FOUND, as if it did not exist, so ids cannot be probed, and then nothing
// is marked. Errors: UNAUTHENTICATED, NOT_FOUND, INVALID_INPUT (more than 100 ids).
func (s *Store) MarkNotificationsRead(ctx context.Context, v *Viewer, ids []int64) ([]*Notification, error) {
	if v == nil {
		return nil, needSignIn
	}
	if len(ids) > 100 {
		return nil, Invalid("ids", "一次最多标记 100 条通知，收到 %d 条；全部标记请用 markAllNotificationsRead", len(ids))
	}
	distinct := map[int64]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	var mine int
	if err := s.get(ctx, &mine, markRead, pq.Array(ids), v.Account.ID, s.Now().UTC(), len(distinct)); err != nil {
		return nil, err
	}
	if mine < len(distinct) {
		return nil, &Error{Code: ENOTFOUND, Field: "ids", Message: "找不到其中的一条或几条通知，没有标记任何通知"}
	}
	var out []*Notification
	if err := s.selectRows(ctx, &out, notificationSelect+` WHERE n.id = ANY ($1) AND n.account_id = $2 ORDER BY n.id DESC`,
		pq.Array(ids), v.Account.ID); err != nil {
		return nil, err
	}
	for _, n := range out {
		n.render()
	}
	return out, nil
}

// MarkAllNotificationsRead marks every unread notification of v read and returns how many
// it marked. Errors: UNAUTHENTICATED.
func (s *Store) MarkAllNotificationsRead(ctx context.Context, v *Viewer) (int, error) {
	if v == nil {
		return 0, needSignIn
	}
	res, err := s.DB.ExecContext(ctx, `UPDATE notifications SET read_at = $2 WHERE account_id = $1 AND read_at IS NULL`,
		v.Account.ID, s.Now().UTC())
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// NotificationPreference is whether one kind reaches an account by one channel.
type NotificationPreference struct {
	Kind    NotificationKind    `db:"kind"`
	Channel NotificationChannel `db:"channel"`
	Enabled bool                `db:"enabled"`
	// Default: the account has not chosen; Enabled is the default for the kind.
	Default bool `db:"-"`
}

// NotificationPreferences lists every kind on every channel for v: what v chose, or the
// default. Errors: UNAUTHENTICATED.
func (s *Store) NotificationPreferences(ctx context.Context, v *Viewer) ([]*NotificationPreference, error) {
	if v == nil {
		return nil, needSignIn
	}
	var chosen []NotificationPreference
	if err := s.selectRows(ctx, &chosen, `SELECT kind, channel, enabled FROM notification_preferences WHERE account_id = $1`,
		v.Account.ID); err != nil {
		return nil, err
	}
	type kc struct {
		k NotificationKind
		c NotificationChannel
	}
	got := map[kc]bool{}
	for _, p := range chosen {
		got[kc{p.Kind, p.Channel}] = p.Enabled
	}
	var out []*NotificationPreference
	for _, k := range NotificationKinds {
		out = append(out, &NotificationPreference{Kind: k, Channel: ChannelInbox, Enabled: true, Default: true})
		on, ok := got[kc{k, ChannelSMS}]
		if !ok {
			on = smsByDefault[k]
		}
		out = append(out, &NotificationPreference{Kind: k, Channel: ChannelSMS, Enabled: on, Default: !ok})
	}
	return out, nil
}

// SetNotificationPreference turns kind on channel on or off for v, from the next
// notification on. The inbox cannot be turned off. Errors: UNAUTHENTICATED, INVALID_INPUT.
func (s *Store) SetNotificationPreference(ctx context.Context, v *Viewer, kind NotificationKind, channel NotificationChannel, enabled bool) (*NotificationPreference, error) {
	if v == nil {
		return nil, needSignIn
	}
	if channel == ChannelInbox && !enabled {
		return nil, Invalid("enabled", "站内通知不能关闭；可以关闭短信")
	}
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO notification_preferences (account_id, kind, channel, enabled, updated_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account_id, kind, channel) DO UPDATE SET enabled = EXCLUDED.enabled,
		updated_at = EXCLUDED.updated_at`, v.Account.ID, kind, channel, enabled, s.Now().UTC()); err != nil {
		return nil, err
	}
	return &NotificationPreference{Kind: kind, Channel: channel, Enabled: enabled}, nil
}
