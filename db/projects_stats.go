package db

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Needs and projects figures for analysts (needStats): the same one-cell filters as
// participationStats (one place, one whole period of the needs' creation), grouped by
// place and period. A need is a record of a neighbourhood's problem, kept by staff, but it
// starts from residents (a wish, a topic, a visit): a group is withheld below MinGroup
// needs, as other figures are below MinGroup people. The organisations' part (projects and
// hours each organisation took on) is shown whatever the counts: organisations are public
// partners and these are their acts, as departments' are in reportStats.

// needStatsLevels: a need is in a community or a place below it (never a household).
var needStatsLevels = map[PlaceLevel]string{LevelSubdistrict: "c.path[1]", LevelCommunity: "x.community_id"}

// NeedFigures count the needs created in a group. Suppressed below MinGroup needs.
type NeedFigures struct {
	statsRow
	Needs int `db:"needs"`
	// ByCategory counts needs in serviceCategories' order; BySource in needSources'.
	ByCategory pq.Int64Array `db:"by_category"`
	BySource   pq.Int64Array `db:"by_source"`
	// Matched needs (an organisation accepted) and hours from creation to the match.
	Matched     int      `db:"matched"`
	MatchMedian *float64 `db:"match_median"`
	MatchP90    *float64 `db:"match_p90"`
	Completed   int      `db:"completed"`
	OnTime      int      `db:"on_time"`
	Late        int      `db:"late"`
	// ResourcesUsed is the distinct offers named in the accepted proposals for these needs
	// (one a need: a project is counted on the offer it started from).
	ResourcesUsed int `db:"resources_used"`
}

// OrganisationService is one organisation's part in the projects of the filter's needs.
type OrganisationService struct {
	OrganisationID int64 `db:"organisation_id"`
	Projects       int   `db:"projects"`
	Reports        int   `db:"reports"`
	Minutes        int   `db:"minutes"`
}

// NeedCategoryOrder and NeedSourceOrder are the orders of ByCategory and BySource.
func NeedCategoryOrder() []ServiceCategory { return serviceCategories }
func NeedSourceOrder() []NeedSource        { return needSources }

// countsBy is an array of counts of x.column, one for each of values (constants of ours).
func countsBy[T ~string](column string, values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = `count(*) FILTER (WHERE x.` + column + ` = '` + string(v) + `')`
	}
	return `ARRAY[` + strings.Join(parts, ", ") + `]::bigint[]`
}

var needFigures = `count(*) AS needs, ` + countsBy("category", serviceCategories) + ` AS by_category, ` +
	countsBy("source", needSources) + ` AS by_source,
	count(x.matched_at) AS matched,
	percentile_cont(0.5) WITHIN GROUP (ORDER BY (extract(epoch FROM x.matched_at - x.created_at) / 3600)::float8) AS match_median,
	percentile_cont(0.9) WITHIN GROUP (ORDER BY (extract(epoch FROM x.matched_at - x.created_at) / 3600)::float8) AS match_p90,
	count(p.completed_at) AS completed,
	count(*) FILTER (WHERE p.completed_at <= p.due_at) AS on_time,
	count(*) FILTER (WHERE p.completed_at > p.due_at) AS late,
	count(DISTINCT u.resource_id) AS resources_used`

// needSource: a need, its project if any, and (one row a need) the highest offer named
// in an accepted proposal for it.
const needSource = ` FROM needs x JOIN places c ON c.id = x.community_id LEFT JOIN projects p ON p.need_id = x.id
	LEFT JOIN LATERAL (SELECT max(r.resource_id) AS resource_id FROM need_proposals r WHERE r.need_id = x.id AND r.state = 'accepted') u ON true`

// NeedStats computes needs figures for v: the groups, with withTotal (or no grouping) the
// figures over all of them, and each organisation's service over the whole filter.
func (s *Store) NeedStats(ctx context.Context, v *Viewer, f PlacePeriodFilter, by StatsGrouping, withTotal bool) ([]*NeedFigures, *NeedFigures, []*OrganisationService, error) {
	defer s.Metrics.StatsQuery("need", time.Now())
	p, err := s.placePeriodOf(ctx, v, f, by, needStatsLevels, `SELECT min(created_at) FROM needs`, withTotal)
	if err != nil {
		return nil, nil, nil, err
	}
	q := statsQuery{}
	cond := p.where(&q, needStatsLevels, "", "x.created_at")
	var orgs []*OrganisationService
	orgPart := statsPart{&orgs, `SELECT po.organisation_id, count(DISTINCT po.project_id) AS projects,
			count(r.id) AS reports, coalesce(sum(r.minutes), 0) AS minutes` + needSource + `
		JOIN project_organisations po ON po.project_id = p.id
		LEFT JOIN project_reports r ON r.project_id = p.id
			AND EXISTS (SELECT 1 FROM organisation_members m WHERE m.organisation_id = po.organisation_id AND m.account_id = r.author_id)
		WHERE ` + cond + ` GROUP BY po.organisation_id ORDER BY po.organisation_id`, slices.Clone(q.args)}
	g := p.plan.grouping(&q, "", periodOf("x.created_at"))
	groups, total, err := readGroups[*NeedFigures](ctx, s, g, needFigures, needSource+` WHERE `+cond, q.args, withTotal, orgPart)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, r := range append(groups, total) {
		if r != nil {
			r.Suppressed = s.suppressed(r.Needs)
		}
	}
	return groups, total, orgs, nil
}
