package db

import (
	"context"
	"time"
)

// ReminderSettings say how far ahead each reminder is sent.
type ReminderSettings struct {
	// ClaimDueWithin: a claimer is reminded when their claim is due within this.
	ClaimDueWithin time.Duration
	// VoteClosingWithin: those on a vote's roll who have not voted are reminded when it
	// closes within this and its turnout has not reached the quorum.
	VoteClosingWithin time.Duration
	// MeetingWithin: those entitled to a scheduled meeting are reminded when it starts
	// within this.
	MeetingWithin time.Duration
	// ObjectionClosingWithin: the roll of a resolution in notice is reminded when the
	// notice period ends within this.
	ObjectionClosingWithin time.Duration
}

// DefaultReminderSettings: claims 3 hours ahead, the rest a day ahead.
var DefaultReminderSettings = ReminderSettings{ClaimDueWithin: 3 * time.Hour, VoteClosingWithin: 24 * time.Hour,
	MeetingWithin: 24 * time.Hour, ObjectionClosingWithin: 24 * time.Hour}

// Every reminder statement inserts with ON CONFLICT DO NOTHING against
// notifications_reminder_once (kind, subject, account): however many processes run the pass
// at once, and however often, each reminder is written once. $1 is now, $2 the horizon.
const (
	remindClaims = `INSERT INTO notifications (kind, account_id, wish_id, claim_id, created_at)
		SELECT 'claim_due_soon', c.claimer_id, c.wish_id, c.id, $1
		FROM wish_claims c JOIN wishes w ON w.id = c.wish_id AND w.claim_id = c.id AND w.state = 'claimed'
		WHERE c.ended_at IS NULL AND c.due_at > $1 AND c.due_at <= $2
		ORDER BY c.id
		ON CONFLICT DO NOTHING`

	// Turnout is public while a vote runs; who took part is recorded (vote_participation,
	// by head), never how. A head counts as voted whichever of its people cast.
	remindVotes = `INSERT INTO notifications (kind, account_id, vote_id, created_at)
		SELECT DISTINCT 'vote_closing'::notification_kind, r.account_id, v.id, $1::timestamptz
		FROM votes v
		CROSS JOIN LATERAL (SELECT coalesce(sum(heads), 0) AS heads, coalesce(sum(area_dm2), 0) AS area
			FROM vote_turnout WHERE vote_id = v.id) t
		CROSS JOIN LATERAL (SELECT count(DISTINCT head) AS heads, coalesce(sum(area_dm2), 0) AS area
			FROM vote_entitled WHERE vote_id = v.id) e
		JOIN vote_entitled ve ON ve.vote_id = v.id
		JOIN residents r ON r.id = ve.resident_id AND r.account_id IS NOT NULL
		WHERE v.state = 'open' AND v.closes_at > $1 AND v.closes_at <= $2
			AND NOT ((t.heads * v.quorum_den > v.quorum_num * e.heads
					OR (NOT v.quorum_strict AND t.heads * v.quorum_den = v.quorum_num * e.heads))
				AND (NOT v.by_area OR t.area * v.quorum_den > v.quorum_num * e.area
					OR (NOT v.quorum_strict AND t.area * v.quorum_den = v.quorum_num * e.area)))
			AND NOT EXISTS (SELECT 1 FROM vote_participation p WHERE p.vote_id = v.id AND p.head = ve.head)
		ON CONFLICT DO NOTHING`

	remindObjections = `INSERT INTO notifications (kind, account_id, resolution_id, created_at)
		SELECT DISTINCT 'objection_closing'::notification_kind, r.account_id, res.id, $1::timestamptz
		FROM resolutions res
		JOIN vote_entitled e ON e.vote_id = res.vote_id
		JOIN residents r ON r.id = e.resident_id AND r.account_id IS NOT NULL
		WHERE res.state = 'in_notice' AND res.notice_ends_at > $1 AND res.notice_ends_at <= $2
			AND NOT EXISTS (SELECT 1 FROM resolution_objections o WHERE o.resolution_id = res.id AND o.author_id = r.account_id)
		ON CONFLICT DO NOTHING`
)

// meetingRoll draws who a scheduled meeting's reminder goes to, by basis, as rows of
// resident_id: the roll is fixed only when the meeting starts, so this is who would be on
// it today. $2 is the place (the community for council members), $3 for residents the
// last birth date of an adult.
var meetingRoll = map[EntitlementBasis]string{
	BasisAdultResidents:           rollSelect[BasisAdultResidents],
	BasisHouseholdRepresentatives: rollSelect[BasisHouseholdRepresentatives],
	BasisCouncilMembers:           rollSelect[BasisCouncilMembers],
	BasisOwners: `SELECT o.resident_id FROM household_owners o JOIN places h ON h.id = o.household_id
		WHERE h.path @> ARRAY[$2::bigint] AND o.until IS NULL AND o.resident_id IS NOT NULL`,
}

// SendReminders writes the reminders now due: claims due soon, votes closing with low
// turnout to those who have not voted, meetings tomorrow, notice periods ending, visits to
// vulnerable households overdue (grid_visits_due.go). Safe to
// run from every process at once. It returns how many it wrote.
func (s *Store) SendReminders(ctx context.Context, rs ReminderSettings) (int, error) {
	now := s.Now().UTC()
	total := 0
	for _, r := range []struct {
		q      string
		within time.Duration
	}{{remindClaims, rs.ClaimDueWithin}, {remindVotes, rs.VoteClosingWithin}, {remindObjections, rs.ObjectionClosingWithin}} {
		st, err := s.prepared(ctx, r.q)
		if err != nil {
			return total, err
		}
		res, err := st.ExecContext(ctx, now, now.Add(r.within))
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	n, err := s.remindMeetings(ctx, now, now.Add(rs.MeetingWithin))
	if err != nil {
		return total + n, err
	}
	m, err := s.remindVisits(ctx, now)
	return total + n + m, err
}

// remindMeetings reminds those entitled to the scheduled meetings starting before until.
func (s *Store) remindMeetings(ctx context.Context, now, until time.Time) (int, error) {
	var due []struct {
		ID          int64            `db:"id"`
		PlaceID     int64            `db:"place_id"`
		CommunityID int64            `db:"community_id"`
		Basis       EntitlementBasis `db:"basis"`
	}
	if err := s.selectRows(ctx, &due, `SELECT id, place_id, community_id, basis FROM meetings
		WHERE state = 'scheduled' AND starts_at > $1 AND starts_at <= $2 ORDER BY id`, now, until); err != nil {
		return 0, err
	}
	total := 0
	for _, m := range due {
		args := []any{m.ID, m.PlaceID, adultBorn(now), now}
		at := "$4"
		switch m.Basis {
		case BasisCouncilMembers:
			args, at = []any{m.ID, m.CommunityID, now}, "$3"
		case BasisOwners:
			args, at = []any{m.ID, m.PlaceID, now}, "$3"
		}
		res, err := s.DB.ExecContext(ctx, `INSERT INTO notifications (kind, account_id, meeting_id, created_at)
			SELECT DISTINCT 'meeting_tomorrow'::notification_kind, r.account_id, $1::bigint, `+at+`::timestamptz
			FROM (`+meetingRoll[m.Basis]+`) e JOIN residents r ON r.id = e.resident_id AND r.account_id IS NOT NULL
			ON CONFLICT DO NOTHING`, args...)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}
