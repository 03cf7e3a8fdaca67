package db

import (
	"context"
	"slices"
	"time"
)

// PlacePeriodFilter picks what participation, visit, report and need figures count: every part set must
// hold. At is when each thing happened: a topic raised, a meeting held, a vote closed, a
// resolution published.
type PlacePeriodFilter struct {
	PlaceIDs []int64   // at most one
	At       *TimeCond // one whole period
}

// participationLevels: topics, meetings, votes and resolutions belong to a community (or a
// compound of it), so they group by subdistrict and community.
var participationLevels = map[PlaceLevel]string{LevelSubdistrict: "c.path[1]", LevelCommunity: "x.community_id"}

// TopicFigures count topics raised in a group. Suppressed below MinGroup distinct raisers.
type TopicFigures struct {
	statsRow
	Raisers   int `db:"raisers"`
	Raised    int `db:"raised"`
	Accepted  int `db:"accepted"`
	Declined  int `db:"declined"`
	Withdrawn int `db:"withdrawn"`
	// By source: linked to wishes, raised by staff of the community, raised by residents.
	FromWishes int `db:"from_wishes"`
	ByStaff    int `db:"by_staff"`
	ByResident int `db:"by_residents"`
}

// MeetingFigures count meetings starting in a group; attendance is over closed meetings.
// Suppressed below MinGroup distinct people entitled.
type MeetingFigures struct {
	statsRow
	People    int `db:"people"`
	Scheduled int `db:"scheduled"`
	Held      int `db:"held"`
	Cancelled int `db:"cancelled"`
	Entitled  int `db:"entitled"`
	Present   int `db:"present"`
}

// VoteFigures count votes closing in a group. Suppressed when no closed vote in it had
// MinGroup people on its roll.
type VoteFigures struct {
	statsRow
	LargestRoll   int   `db:"largest_roll"`
	Closed        int   `db:"closed"`
	Motions       int   `db:"motions"`
	QuorumReached int   `db:"quorum_reached"`
	Passed        int   `db:"passed"`
	EntitledHeads int64 `db:"entitled_heads"`
	VotedHeads    int64 `db:"voted_heads"`
	EntitledArea  int64 `db:"entitled_area"`
	VotedArea     int64 `db:"voted_area"`
}

// ResolutionFigures count resolutions published in a group, their objections and tasks.
// They are acts of the committees, shown always; only the ratings, which are residents'
// own, are hidden below MinGroup distinct raters (RatingsSuppressed).
type ResolutionFigures struct {
	statsRow
	Published         int   `db:"published"`
	InNotice          int   `db:"in_notice"`
	BeingCarriedOut   int   `db:"being_carried_out"`
	ResultPublished   int   `db:"result_published"`
	Revoked           int   `db:"revoked"`
	Objections        int   `db:"objections"`
	ObjectionsUpheld  int   `db:"objections_upheld"`
	Tasks             int   `db:"tasks"`
	TasksDoneOnTime   int   `db:"tasks_done_on_time"`
	TasksDoneLate     int   `db:"tasks_done_late"`
	TasksOverdue      int   `db:"tasks_overdue"`
	Raters            int   `db:"raters"`
	Ratings           int   `db:"ratings"`
	RatingSum         int64 `db:"rating_sum"`
	RatingsSuppressed bool  `db:"-"`
}

// statsRow is the key every group row carries.
type statsRow struct {
	PlaceID     *int64     `db:"place_id"`
	PeriodStart *time.Time `db:"period"`
	Suppressed  bool       `db:"-"`
}

// GroupKey is the place and the period start that name the group (nil for none).
func (r *statsRow) GroupKey() (*int64, *time.Time) { return r.PlaceID, r.PeriodStart }

// GroupKey is the place and the period start that name the group (nil for none).
func (g *ParticipationStatsGroup) GroupKey() (*int64, *time.Time) { return g.PlaceID, g.PeriodStart }

// ParticipationStatsGroup is one group's figures, each part possibly absent (nothing of
// that kind happened in the group).
type ParticipationStatsGroup struct {
	PlaceID     *int64
	PeriodStart *time.Time
	Topics      *TopicFigures
	Meetings    *MeetingFigures
	Votes       *VoteFigures
	Resolutions *ResolutionFigures
}

const topicFigures = `count(DISTINCT x.raised_by) AS raisers, count(*) AS raised,
	count(*) FILTER (WHERE EXISTS (SELECT 1 FROM topic_events e WHERE e.topic_id = x.id AND e.action = 'accept')) AS accepted,
	count(*) FILTER (WHERE x.state = 'declined') AS declined, count(*) FILTER (WHERE x.state = 'withdrawn') AS withdrawn,
	count(*) FILTER (WHERE EXISTS (SELECT 1 FROM topic_wishes tw WHERE tw.topic_id = x.id)) AS from_wishes,
	count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM topic_wishes tw WHERE tw.topic_id = x.id) AND x.by_staff) AS by_staff,
	count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM topic_wishes tw WHERE tw.topic_id = x.id) AND NOT x.by_staff) AS by_residents`

// topicSource adds by_staff: whether the raiser was staff over the community when raising it.
const topicSource = ` FROM (SELECT t.*, EXISTS (SELECT 1 FROM role_grants g JOIN places gp ON gp.id = g.place_id
		WHERE g.account_id = t.raised_by AND g.role = 'staff' AND cp.path @> ARRAY[gp.id]
			AND g.granted_at <= t.created_at AND (g.revoked_at IS NULL OR g.revoked_at > t.created_at)) AS by_staff
	FROM topics t JOIN places cp ON cp.id = t.community_id) x JOIN places c ON c.id = x.community_id`

const meetingFigures = `count(DISTINCT me.resident_id) AS people,
	count(DISTINCT x.id) AS scheduled, count(DISTINCT x.id) FILTER (WHERE x.state = 'closed') AS held,
	count(DISTINCT x.id) FILTER (WHERE x.state = 'cancelled') AS cancelled,
	count(me.resident_id) FILTER (WHERE x.state = 'closed') AS entitled,
	count(ma.resident_id) FILTER (WHERE x.state = 'closed') AS present`

const meetingSource = ` FROM meetings x JOIN places c ON c.id = x.community_id
	LEFT JOIN meeting_entitled me ON me.meeting_id = x.id
	LEFT JOIN meeting_attendance ma ON ma.meeting_id = me.meeting_id AND ma.resident_id = me.resident_id`

const voteFigures = `coalesce(max(x.entitled_heads), 0) AS largest_roll, count(*) AS closed,
	count(*) FILTER (WHERE x.motion) AS motions, count(*) FILTER (WHERE x.quorum_met) AS quorum_reached,
	count(*) FILTER (WHERE x.passed) AS passed,
	coalesce(sum(x.entitled_heads), 0) AS entitled_heads, coalesce(sum(x.participating_heads), 0) AS voted_heads,
	coalesce(sum(x.entitled_area) FILTER (WHERE x.by_area), 0) AS entitled_area,
	coalesce(sum(x.participating_area) FILTER (WHERE x.by_area), 0) AS voted_area`

const voteSource = ` FROM votes x JOIN places c ON c.id = x.community_id`

// resolutionFigures count each resolution once (on the row where once is not false),
// and every rating.
const resolutionFigures = `count(*) FILTER (WHERE once) AS published,
	count(*) FILTER (WHERE once AND x.state = 'in_notice') AS in_notice,
	count(*) FILTER (WHERE once AND x.state = 'being_carried_out') AS being_carried_out,
	count(*) FILTER (WHERE once AND x.state = 'result_published') AS result_published,
	count(*) FILTER (WHERE once AND x.state = 'revoked') AS revoked,
	coalesce(sum(o.objections) FILTER (WHERE once), 0) AS objections,
	coalesce(sum(o.upheld) FILTER (WHERE once), 0) AS objections_upheld,
	coalesce(sum(k.tasks) FILTER (WHERE once), 0) AS tasks,
	coalesce(sum(k.on_time) FILTER (WHERE once), 0) AS tasks_done_on_time,
	coalesce(sum(k.late) FILTER (WHERE once), 0) AS tasks_done_late,
	coalesce(sum(k.overdue) FILTER (WHERE once), 0) AS tasks_overdue,
	count(DISTINCT rr.resident_id) AS raters, count(rr.resident_id) AS ratings, coalesce(sum(rr.score), 0) AS rating_sum`

// resolutionSource joins each resolution with its objection and task counts and its
// ratings, one row per rating (or one row with none); once marks one row per resolution.
// Overdue is judged at $1.
const resolutionSource = ` FROM resolutions x JOIN places c ON c.id = x.community_id
	CROSS JOIN LATERAL (SELECT count(*) AS objections, count(*) FILTER (WHERE ob.upheld) AS upheld
		FROM resolution_objections ob WHERE ob.resolution_id = x.id) o
	CROSS JOIN LATERAL (SELECT count(*) AS tasks,
			count(*) FILTER (WHERE t.done_at <= t.due_at) AS on_time,
			count(*) FILTER (WHERE t.done_at > t.due_at) AS late,
			count(*) FILTER (WHERE t.state = 'open' AND t.due_at < $1) AS overdue
		FROM resolution_tasks t WHERE t.resolution_id = x.id) k
	LEFT JOIN LATERAL (SELECT r.resident_id, r.score, row_number() OVER (ORDER BY r.resident_id) AS n
		FROM result_ratings r WHERE r.resolution_id = x.id) rr ON true
	CROSS JOIN LATERAL (SELECT rr.n IS NULL OR rr.n = 1 AS once) one`

// placePeriod is what every part of figures over one place and one whole period shares
// (participation, visits, reports, needs): the lattice wish figures use, one place and one
// whole period, and one plan priced for all the parts.
type placePeriod struct {
	s         *Store
	plan      statsPlan
	withTotal bool
	// The one place and the one whole period (kind) figures are about.
	place    *Place
	from, to time.Time
	kind     int8
}

// placePeriodOf checks f and by for v over places at levels and prices the plan; earliest
// is a query for the first time anything was counted. Errors: those of ParticipationStats.
func (s *Store) placePeriodOf(ctx context.Context, v *Viewer, f PlacePeriodFilter, by StatsGrouping,
	levels map[PlaceLevel]string, earliest string, withTotal bool) (placePeriod, error) {
	sc, err := s.scopeOf(ctx, v, f.PlaceIDs, "placeIds", levels)
	if err != nil {
		return placePeriod{}, err
	}
	place, err := sc.onePlace(f.PlaceIDs)
	if err != nil {
		return placePeriod{}, err
	}
	from, to, kind, err := wholePeriod(f.At, "at")
	if err != nil {
		return placePeriod{}, err
	}
	if err := periodsNest(by, kind); err != nil {
		return placePeriod{}, err
	}
	plan, err := s.plan(ctx, sc, StatsGrouping{PlaceLevel: by.PlaceLevel, Period: by.Period}, levels, s.earliest(ctx, earliest), f.At)
	if err != nil {
		return placePeriod{}, err
	}
	return placePeriod{s: s, plan: plan, withTotal: withTotal, place: place, from: from, to: to, kind: kind}, nil
}

// where is the condition of a part: cond (if any), the place at levels, and timeCol within
// the period.
func (p placePeriod) where(q *statsQuery, levels map[PlaceLevel]string, cond, timeCol string) string {
	var where []string
	if cond != "" {
		where = append(where, cond)
	}
	where = append(where, q.placeCond("", []*Place{p.place}, levels))
	if p.kind != kindAll {
		where = append(where, timeCol+` >= `+q.arg(p.from), timeCol+` < `+q.arg(p.to))
	}
	return joinConds(where, " AND ")
}

// placePeriodPart reads one part: its figures over source, with a condition of its own (or
// none) and the column that places its rows in time, over places at levels; extra parts
// read beside it on the same snapshot. args come first (the resolutions' $1 is now).
func placePeriodPart[T keyed](ctx context.Context, p placePeriod, levels map[PlaceLevel]string, figures, source, cond, timeCol string,
	args []any, extra ...statsPart) ([]T, T, error) {
	q := statsQuery{args: args}
	where := p.where(&q, levels, cond, timeCol)
	g := p.plan.grouping(&q, "", periodOf(timeCol))
	return readGroups[T](ctx, p.s, g, figures, source+` WHERE `+where, q.args, p.withTotal, extra...)
}

// participationPart is placePeriodPart over participation's places.
func participationPart[T keyed](ctx context.Context, p placePeriod, figures, source, cond, timeCol string, args ...any) ([]T, T, error) {
	return placePeriodPart[T](ctx, p, participationLevels, figures, source, cond, timeCol, args)
}

// ParticipationStats computes participation figures for v: the groups, and with withTotal
// (or no grouping) the figures over all of them.
func (s *Store) ParticipationStats(ctx context.Context, v *Viewer, f PlacePeriodFilter, by StatsGrouping, withTotal bool) ([]*ParticipationStatsGroup, *ParticipationStatsGroup, error) {
	defer s.Metrics.StatsQuery("participation", time.Now())
	p, err := s.placePeriodOf(ctx, v, f, by, participationLevels, `SELECT least((SELECT min(created_at) FROM topics),
		(SELECT min(starts_at) FROM meetings), (SELECT min(closed_at) FROM votes), (SELECT min(published_at) FROM resolutions))`, withTotal)
	if err != nil {
		return nil, nil, err
	}
	topics, topicTotal, err := participationPart[*TopicFigures](ctx, p, topicFigures, topicSource, "", "x.created_at")
	if err != nil {
		return nil, nil, err
	}
	meetings, meetingTotal, err := participationPart[*MeetingFigures](ctx, p, meetingFigures, meetingSource, "", "x.starts_at")
	if err != nil {
		return nil, nil, err
	}
	votes, voteTotal, err := participationPart[*VoteFigures](ctx, p, voteFigures, voteSource, "x.state = 'closed'", "x.closed_at")
	if err != nil {
		return nil, nil, err
	}
	resolutions, resolutionTotal, err := participationPart[*ResolutionFigures](ctx, p, resolutionFigures, resolutionSource, "", "x.published_at", s.Now())
	if err != nil {
		return nil, nil, err
	}

	// Merge the four parts by group.
	var out []*ParticipationStatsGroup
	groups := map[groupKey]*ParticipationStatsGroup{}
	group := func(r *statsRow) *ParticipationStatsGroup {
		k := r.groupKey()
		g := groups[k]
		if g == nil {
			g = &ParticipationStatsGroup{PlaceID: r.PlaceID, PeriodStart: r.PeriodStart}
			groups[k] = g
			out = append(out, g)
		}
		return g
	}
	for _, t := range topics {
		group(&t.statsRow).Topics = t
	}
	for _, m := range meetings {
		group(&m.statsRow).Meetings = m
	}
	for _, v := range votes {
		group(&v.statsRow).Votes = v
	}
	for _, r := range resolutions {
		group(&r.statsRow).Resolutions = r
	}
	slices.SortFunc(out, func(a, b *ParticipationStatsGroup) int {
		return newGroupKey(a.PlaceID, nil, nil, a.PeriodStart).compare(newGroupKey(b.PlaceID, nil, nil, b.PeriodStart))
	})
	var total *ParticipationStatsGroup
	if topicTotal != nil {
		total = &ParticipationStatsGroup{Topics: topicTotal, Meetings: meetingTotal, Votes: voteTotal, Resolutions: resolutionTotal}
	}
	for _, g := range append(out, total) {
		if g == nil {
			continue
		}
		if g.Topics != nil {
			g.Topics.Suppressed = s.suppressed(g.Topics.Raisers)
		}
		if g.Meetings != nil {
			g.Meetings.Suppressed = s.suppressed(g.Meetings.People)
		}
		if g.Votes != nil {
			g.Votes.Suppressed = s.suppressed(g.Votes.LargestRoll)
		}
		if g.Resolutions != nil {
			g.Resolutions.RatingsSuppressed = s.suppressed(g.Resolutions.Raters)
		}
	}
	return out, total, nil
}
