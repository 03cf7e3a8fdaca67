package db

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// Report figures for analysts (reportStats): the same one-cell filters as
// participationStats (one place, one whole period of report creation), grouped by place and
// period, a group withheld below MinGroup distinct reporters (primary suppression, as for
// volunteer and participation figures).

// reportStatsLevels: a report is about a grid (or a building in it).
var reportStatsLevels = map[PlaceLevel]string{LevelSubdistrict: "c.path[1]", LevelCommunity: "x.community_id", LevelGrid: "x.grid_id"}

// ReportFigures count reports made in a group. Suppressed below MinGroup distinct reporters;
// the ratings alone below MinGroup distinct raters.
type ReportFigures struct {
	statsRow
	Reporters int `db:"reporters"`
	Reports   int `db:"reports"`
	Open      int `db:"open"`
	// By category, in ReportCategories' order.
	Environment, Facility, FireSafety, Dispute, PublicSecurity, IllegalBuilding, Other int
	// By the level that settled them.
	SettledGrid       int `db:"settled_grid"`
	SettledCommunity  int `db:"settled_community"`
	SettledDepartment int `db:"settled_department"`
	// Hours from reporting to acceptance and to resolution.
	Accepted      int      `db:"accepted"`
	AcceptMedian  *float64 `db:"accept_median"`
	AcceptP90     *float64 `db:"accept_p90"`
	Resolved      int      `db:"resolved"`
	ResolveMedian *float64 `db:"resolve_median"`
	ResolveP90    *float64 `db:"resolve_p90"`
	// Reporters' ratings.
	Raters            int   `db:"raters"`
	Ratings           int   `db:"ratings"`
	RatingSum         int64 `db:"rating_sum"`
	RatingsSuppressed bool  `db:"-"`
}

// ByCategory returns the counts in ReportCategories' order.
func (f *ReportFigures) ByCategory() []int {
	return []int{f.Environment, f.Facility, f.FireSafety, f.Dispute, f.PublicSecurity, f.IllegalBuilding, f.Other}
}

const reportFigures = `count(DISTINCT x.reporter_id) AS reporters, count(*) AS reports,
	count(*) FILTER (WHERE x.state IN ('reported', 'accepted', 'escalated', 'whistled', 'handling')) AS open,
	count(*) FILTER (WHERE x.category = 'environment') AS environment,
	count(*) FILTER (WHERE x.category = 'facility') AS facility,
	count(*) FILTER (WHERE x.category = 'fire_safety') AS firesafety,
	count(*) FILTER (WHERE x.category = 'dispute') AS dispute,
	count(*) FILTER (WHERE x.category = 'public_security') AS publicsecurity,
	count(*) FILTER (WHERE x.category = 'illegal_building') AS illegalbuilding,
	count(*) FILTER (WHERE x.category = 'other') AS other,
	count(*) FILTER (WHERE x.settled_level = 'grid') AS settled_grid,
	count(*) FILTER (WHERE x.settled_level = 'community') AS settled_community,
	count(*) FILTER (WHERE x.settled_level = 'department') AS settled_department,
	count(x.accepted_at) AS accepted,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM x.accepted_at - x.created_at) / 3600)::float8) AS accept_median,
	percentile_cont(0.9) WITHIN GROUP (ORDER BY (extract(epoch FROM x.accepted_at - x.created_at) / 3600)::float8) AS accept_p90,
	count(x.resolved_at) AS resolved,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM x.resolved_at - x.created_at) / 3600)::float8) AS resolve_median,
	percentile_cont(0.9) WITHIN GROUP (ORDER BY (extract(epoch FROM x.resolved_at - x.created_at) / 3600)::float8) AS resolve_p90,
	count(DISTINCT x.reporter_id) FILTER (WHERE x.rating IS NOT NULL) AS raters, count(x.rating) AS ratings,
	coalesce(sum(x.rating), 0) AS rating_sum`

const reportSource = ` FROM reports x JOIN places c ON c.id = x.community_id`

// DepartmentFigures are one department's handling of the reports whistled to it in the
// filter's place and period: on time, late, still overdue, and the communities' ratings.
// Departments are public bodies and these are their acts, so they are shown whatever the
// counts (as resolutions are); nothing in them names a reporter.
type DepartmentFigures struct {
	DepartmentID int64 `db:"department_id"`
	Whistled     int   `db:"whistled"`
	Resolved     int   `db:"resolved"`
	OnTime       int   `db:"on_time"`
	Late         int   `db:"late"`
	Overdue      int   `db:"overdue"`
	Ratings      int   `db:"ratings"`
	RatingSum    int64 `db:"rating_sum"`
}

// ReportStats computes report figures for v: the groups, with withTotal (or no grouping)
// the figures over all of them, and each department's figures over the whole filter.
func (s *Store) ReportStats(ctx context.Context, v *Viewer, f PlacePeriodFilter, by StatsGrouping, withTotal bool) ([]*ReportFigures, *ReportFigures, []*DepartmentFigures, error) {
	defer s.Metrics.StatsQuery("report", time.Now())
	p, err := s.placePeriodOf(ctx, v, f, by, reportStatsLevels, `SELECT min(created_at) FROM reports`, withTotal)
	if err != nil {
		return nil, nil, nil, err
	}
	q := statsQuery{}
	cond := p.where(&q, reportStatsLevels, "", "x.created_at")
	var departments []*DepartmentFigures
	// The departments' part reads beside the groups, on the same snapshot, overdue as of now.
	deptArgs := append(slices.Clone(q.args), s.Now())
	now := "$" + strconv.Itoa(len(deptArgs))
	deptPart := statsPart{&departments, `SELECT x.department_id, count(*) AS whistled, count(x.resolved_at) AS resolved,
			count(*) FILTER (WHERE x.resolved_at <= x.due_at) AS on_time,
			count(*) FILTER (WHERE x.resolved_at > x.due_at) AS late,
			count(*) FILTER (WHERE x.resolved_at IS NULL AND x.due_at < ` + now + `) AS overdue,
			count(x.department_rating) AS ratings, coalesce(sum(x.department_rating), 0) AS rating_sum` +
		reportSource + ` WHERE x.department_id IS NOT NULL AND ` + cond + ` GROUP BY x.department_id ORDER BY x.department_id`, deptArgs}
	g := p.plan.grouping(&q, "", periodOf("x.created_at"))
	groups, total, err := readGroups[*ReportFigures](ctx, s, g, reportFigures, reportSource+` WHERE `+cond, q.args, withTotal, deptPart)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, r := range append(groups, total) {
		if r != nil {
			r.Suppressed = s.suppressed(r.Reporters)
			r.RatingsSuppressed = r.Suppressed || s.suppressed(r.Raters)
		}
	}
	return groups, total, departments, nil
}
