package db

import (
	"context"
	"time"
)

// Visit figures for analysts (issue 17), in the form of participation figures: one place and
// one whole period (filter), groups by place (down to the grid) and period of the visit,
// primary suppression below MinGroup distinct households visited.

// visitLevels: visits belong to a grid of a community.
var visitLevels = map[PlaceLevel]string{LevelSubdistrict: "c.path[1]", LevelCommunity: "x.community_id", LevelGrid: "x.grid_id"}

// VisitFigures count the visits made in a group. A visit to several households counts once
// in Visits and once per household in the household figures. A household is vulnerable
// when it has a resident with a vulnerable tag now (tags keep no history), with the
// rhythm its community sets now; a visit to it is on time when the one before it was no
// more than the rhythm's days earlier (China calendar days), late when longer, and first
// when there was none.
type VisitFigures struct {
	statsRow
	Households           int `db:"households"`
	Visits               int `db:"visits"`
	HouseholdVisits      int `db:"household_visits"`
	VulnerableHouseholds int `db:"vulnerable_households"`
	VulnerableVisits     int `db:"vulnerable_visits"`
	OnTime               int `db:"on_time"`
	Late                 int `db:"late"`
	First                int `db:"first"`
	FollowUpNeeded       int `db:"follow_up_needed"`
	// NeedsFound: visits that recorded a need (未诉先办: found before anyone asked).
	NeedsFound  int `db:"needs_found"`
	LedToWishes int `db:"led_to_wishes"`
	LedToTopics int `db:"led_to_topics"`
	// NeedsFoundFirst: visits that recorded a need while a visited household had asked for
	// nothing in the 90 days before (askedBefore); NeedsAsked: wishes and reports residents
	// made themselves in the group (needsAskedSource). 未诉先办 is the first's share of both.
	NeedsFoundFirst int `db:"needs_found_first"`
	NeedsAsked      int `db:"-"`
}

// askedBefore is true for a visit row when the household had asked before the visit, in
// the 90 days up to it: a wish of the need's category entered by its beneficiary living
// there, or a report made by someone living there.
const askedBefore = `(EXISTS (SELECT 1 FROM wishes w JOIN residents wr ON wr.id = w.beneficiary_id AND wr.account_id = w.submitted_by
			WHERE wr.household_id = vh.household_id AND w.category = v.need_category
				AND w.created_at < v.visited_at AND w.created_at >= v.visited_at - interval '90 days')
		OR EXISTS (SELECT 1 FROM reports rp JOIN residents rr ON rr.account_id = rp.reporter_id
			WHERE rr.household_id = vh.household_id
				AND rp.created_at < v.visited_at AND rp.created_at >= v.visited_at - interval '90 days'))`

// needsAskedSource is one row per need residents raised themselves: a wish entered by its
// beneficiary (at the beneficiary's grid) and a report made by someone living in its grid.
const needsAskedSource = ` FROM (SELECT w.created_at AS at, w.community_id, h.path[array_length(h.path, 1) - 2] AS grid_id
		FROM wishes w JOIN residents r ON r.id = w.beneficiary_id AND r.account_id = w.submitted_by
		JOIN places h ON h.id = r.household_id
	UNION ALL
	SELECT rp.created_at, rp.community_id, rp.grid_id FROM reports rp
		WHERE EXISTS (SELECT 1 FROM residents r JOIN places h ON h.id = r.household_id
			WHERE r.account_id = rp.reporter_id AND h.path @> ARRAY[rp.grid_id])
	) x JOIN places c ON c.id = x.community_id`

// askedFigures count needsAskedSource's rows in a group.
type askedFigures struct {
	statsRow
	NeedsAsked int `db:"needs_asked"`
}

const visitFigures = `count(DISTINCT x.household_id) AS households, count(DISTINCT x.id) AS visits, count(*) AS household_visits,
	count(DISTINCT x.household_id) FILTER (WHERE x.every_days IS NOT NULL) AS vulnerable_households,
	count(*) FILTER (WHERE x.every_days IS NOT NULL) AS vulnerable_visits,
	count(*) FILTER (WHERE x.every_days IS NOT NULL AND x.gap_days <= x.every_days) AS on_time,
	count(*) FILTER (WHERE x.every_days IS NOT NULL AND x.gap_days > x.every_days) AS late,
	count(*) FILTER (WHERE x.every_days IS NOT NULL AND x.gap_days IS NULL) AS first,
	count(DISTINCT x.id) FILTER (WHERE x.follow_up_needed) AS follow_up_needed,
	count(DISTINCT x.id) FILTER (WHERE x.need_category IS NOT NULL) AS needs_found,
	count(DISTINCT x.id) FILTER (WHERE x.to_wish) AS led_to_wishes,
	count(DISTINCT x.id) FILTER (WHERE x.to_topic) AS led_to_topics,
	count(DISTINCT x.id) FILTER (WHERE x.need_category IS NOT NULL AND NOT x.asked_before) AS needs_found_first`

// visitSource is one row per visit and household, with the household's rhythm now (NULL:
// not vulnerable) and the days since its visit before.
const visitSource = ` FROM (SELECT v.id, v.grid_id, v.community_id, v.visited_at, v.follow_up_needed, v.need_category, vh.household_id,
		EXISTS (SELECT 1 FROM visit_outcomes o WHERE o.visit_id = v.id AND o.wish_id IS NOT NULL) AS to_wish,
		EXISTS (SELECT 1 FROM visit_outcomes o WHERE o.visit_id = v.id AND o.topic_id IS NOT NULL) AS to_topic,
		v.need_category IS NOT NULL AND ` + askedBefore + ` AS asked_before,
		rh.every_days,
		(v.visited_at AT TIME ZONE 'Asia/Shanghai')::date - (prev.at AT TIME ZONE 'Asia/Shanghai')::date AS gap_days
	FROM visits v JOIN visit_households vh ON vh.visit_id = v.id
	CROSS JOIN LATERAL (SELECT min(coalesce(vr.every_days, visit_rhythm_default(t.tag))) AS every_days
		FROM residents r CROSS JOIN LATERAL unnest(r.tags) t(tag)
		LEFT JOIN visit_rhythms vr ON vr.community_id = v.community_id AND vr.tag = t.tag
		WHERE r.household_id = vh.household_id AND r.left_on IS NULL AND t.tag IN ('elderly_alone', 'minimum_income', 'disabled')) rh
	CROSS JOIN LATERAL (SELECT max(p.visited_at) AS at FROM visit_households pvh JOIN visits p ON p.id = pvh.visit_id
		WHERE pvh.household_id = vh.household_id AND (p.visited_at, p.id) < (v.visited_at, v.id)) prev
	) x JOIN places c ON c.id = x.community_id`

// VisitStats computes visit figures for v: the groups, and with withTotal (or no grouping)
// the figures over all of them. Errors: those of ParticipationStats.
func (s *Store) VisitStats(ctx context.Context, v *Viewer, f PlacePeriodFilter, by StatsGrouping, withTotal bool) ([]*VisitFigures, *VisitFigures, error) {
	defer s.Metrics.StatsQuery("visits", time.Now())
	p, err := s.placePeriodOf(ctx, v, f, by, visitLevels, `SELECT min(visited_at) FROM visits`, withTotal)
	if err != nil {
		return nil, nil, err
	}
	groups, total, err := placePeriodPart[*VisitFigures](ctx, p, visitLevels, visitFigures, visitSource, "", "x.visited_at", nil)
	if err != nil {
		return nil, nil, err
	}
	asked, askedTotal, err := placePeriodPart[*askedFigures](ctx, p, visitLevels, `count(*) AS needs_asked`, needsAskedSource, "", "x.at", nil)
	if err != nil {
		return nil, nil, err
	}
	// A group with asks and no visits is not listed, as before: its share is 0 and its
	// visited households too few to show.
	byKey := map[groupKey]*VisitFigures{}
	for _, g := range groups {
		byKey[g.groupKey()] = g
	}
	for _, a := range asked {
		if g := byKey[a.groupKey()]; g != nil {
			g.NeedsAsked = a.NeedsAsked
		}
	}
	if total != nil && askedTotal != nil {
		total.NeedsAsked = askedTotal.NeedsAsked
	}
	for _, g := range append(groups, total) {
		if g != nil {
			g.Suppressed = s.suppressed(g.Households)
		}
	}
	return groups, total, nil
}
