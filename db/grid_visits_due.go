package db

import (
	"context"
	"slices"
	"time"

	"github.com/lib/pq"
)

// The visiting rhythm (走访周期), the grid worker's queue of overdue visits and its reminder.

// DefaultVisitRhythm is the days between visits for a tag a community has not set, as
// visit_rhythm_default in migration 0021: elderly people living alone weekly, disabled
// residents every two weeks, minimum-income households monthly.
var DefaultVisitRhythm = map[ResidentTag]int{TagElderlyAlone: 7, TagDisabled: 14, TagMinimumIncome: 30}

// VisitRhythm is how often a community visits households with a tag.
type VisitRhythm struct {
	Tag       ResidentTag `db:"tag"`
	EveryDays int         `db:"every_days"`
	// IsDefault: the community has not set it (DefaultVisitRhythm).
	IsDefault bool `db:"is_default"`
}

// VisitRhythms returns the community's rhythm for each vulnerable tag. Anyone signed in may
// read it (it is a rule, not personal data). Errors: UNAUTHENTICATED, NOT_FOUND, INVALID_INPUT.
func (s *Store) VisitRhythms(ctx context.Context, v *Viewer, communityID int64) ([]*VisitRhythm, error) {
	if v == nil {
		return nil, needSignIn
	}
	if _, err := s.communityFor(ctx, communityID); err != nil {
		return nil, err
	}
	var out []*VisitRhythm
	err := s.selectRows(ctx, &out, `SELECT t.tag, coalesce(r.every_days, visit_rhythm_default(t.tag)) AS every_days, r.tag IS NULL AS is_default
		FROM unnest($2::text[]) WITH ORDINALITY t(tag, n) LEFT JOIN visit_rhythms r ON r.community_id = $1 AND r.tag = t.tag
		ORDER BY t.n`, communityID, pq.Array(VulnerableTags))
	return out, err
}

// SetVisitRhythm sets how many days may pass between visits to households with tag in the
// community (1–365). For its staff. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND,
// INVALID_INPUT.
func (s *Store) SetVisitRhythm(ctx context.Context, v *Viewer, communityID int64, tag ResidentTag, everyDays int) ([]*VisitRhythm, error) {
	if v == nil {
		return nil, needSignIn
	}
	c, err := s.communityFor(ctx, communityID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(c, RoleStaff) {
		return nil, forbidden("只有%s的社区工作者可以设定走访周期", c.Name)
	}
	if !slices.Contains(VulnerableTags, tag) {
		return nil, Invalid("tag", "走访周期只对独居老人、低保和残疾人设定")
	}
	if everyDays < 1 || everyDays > 365 {
		return nil, Invalid("everyDays", "走访周期需要在 1 到 365 天之间")
	}
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO visit_rhythms (community_id, tag, every_days, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (community_id, tag) DO UPDATE SET every_days = EXCLUDED.every_days, updated_by = EXCLUDED.updated_by,
			updated_at = EXCLUDED.updated_at`, c.ID, tag, everyDays, v.Account.ID, s.Now()); err != nil {
		return nil, err
	}
	return s.VisitRhythms(ctx, v, c.ID)
}

// VisitDue is a vulnerable household whose visit is overdue.
type VisitDue struct {
	HouseholdID int64          `db:"household_id"`
	Tags        pq.StringArray `db:"tags"`
	EveryDays   int            `db:"every_days"`
	// LastVisitedAt is the last visit; nil: never visited.
	LastVisitedAt *time.Time `db:"last_visited_at"`
	// DueOn is the last day the next visit was due (China calendar); nil: never visited.
	DueOn *time.Time `db:"due_on"`
	// DaysOverdue are the whole days since DueOn; nil: never visited.
	DaysOverdue *int `db:"days_overdue"`
}

// visitsDue selects the vulnerable households under places matching placeCond (on h) whose
// visit is overdue on day $1: those never visited, and those whose last visit plus the
// rhythm (the shortest of their current residents' tags, as their community set it) is
// before $1. Most overdue first.
func visitsDue(placeCond string) string {
	return `WITH tagged AS (
		SELECT r.household_id, array_agg(DISTINCT t.tag ORDER BY t.tag) AS tags,
			min(coalesce(vr.every_days, visit_rhythm_default(t.tag))) AS every_days
		FROM residents r JOIN places h ON h.id = r.household_id
		CROSS JOIN LATERAL unnest(r.tags) t(tag)
		LEFT JOIN visit_rhythms vr ON vr.community_id = h.path[2] AND vr.tag = t.tag
		WHERE r.left_on IS NULL AND h.retired_at IS NULL AND t.tag IN ('elderly_alone', 'minimum_income', 'disabled') AND ` + placeCond + `
		GROUP BY r.household_id
	), due AS (
		SELECT t.household_id, t.tags, t.every_days, last.at AS last_visited_at,
			(last.at AT TIME ZONE 'Asia/Shanghai')::date + t.every_days AS due_on
		FROM tagged t CROSS JOIN LATERAL (SELECT max(x.visited_at) AS at FROM visit_households vh
			JOIN visits x ON x.id = vh.visit_id WHERE vh.household_id = t.household_id) last
	)
	SELECT household_id, tags, every_days, last_visited_at, due_on, $1::date - due_on AS days_overdue
	FROM due WHERE due_on IS NULL OR due_on < $1::date`
}

// VisitsDue is the grid worker's queue: the vulnerable households under place whose visit
// is overdue today, never visited first, then most overdue first. For staff and grid
// workers of the place. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN.
func (s *Store) VisitsDue(ctx context.Context, v *Viewer, placeID int64) ([]*VisitDue, error) {
	if v == nil {
		return nil, needSignIn
	}
	p, err := s.Place(ctx, placeID)
	if err != nil {
		return nil, withField(err, "placeId")
	}
	if !v.Holds(p, rolesRecordingVisits...) {
		return nil, forbidden("只有%s的网格员或社区工作者可以查看待走访的户", p.Name)
	}
	var out []*VisitDue
	err = s.selectRows(ctx, &out, visitsDue(`h.path @> ARRAY[$2::bigint]`)+`
		ORDER BY due_on NULLS FIRST, household_id LIMIT 500`, chinaDay(s.Now()), placeID)
	return out, err
}

// remindVisitsDue tells the grid workers over each household whose visit is overdue, and
// those assigned to it, once per household and overdue period (the day it fell due, or
// never visited): notifications_visit_overdue_once makes a second pass write nothing.
var remindVisitsDue = `INSERT INTO notifications (kind, account_id, household_id, visit_due_on, created_at)
	SELECT DISTINCT 'visit_overdue'::notification_kind, w.account_id, d.household_id, d.due_on, $2::timestamptz
	FROM (` + visitsDue(`true`) + `) d JOIN places h ON h.id = d.household_id
	CROSS JOIN LATERAL (
		SELECT g.account_id FROM role_grants g WHERE g.place_id = ANY(h.path) AND g.role = 'grid_worker' AND g.revoked_at IS NULL
		UNION
		SELECT a.account_id FROM care_assignments a WHERE a.household_id = d.household_id AND a.ended_at IS NULL) w
	ON CONFLICT DO NOTHING`

// remindVisits writes the overdue-visit reminders due at now.
func (s *Store) remindVisits(ctx context.Context, now time.Time) (int, error) {
	st, err := s.prepared(ctx, remindVisitsDue)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, chinaDay(now), now)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// visitOverdueText is the reminder's text: no name or address (see render), only that a
// household the recipient looks after is due a visit.
func visitOverdueText(dueOn *time.Time) (title, body string) {
	if dueOn == nil {
		return "有重点关怀户还没有走访", "您负责的一户重点关怀户（独居老人、低保或残疾人）还没有走访记录，请尽快入户看望，并在走访后记录民情日记。"
	}
	return "入户走访已逾期", "您负责的一户重点关怀户按走访周期应在" + dueOn.Format("1月2日") +
		"前走访，现已逾期，请尽快入户看望，并在走访后记录民情日记。"
}
