package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// needStats answers needStats: groups by place and period, each withheld below the minimum
// group size, and every organisation's service over the whole filter.
func (r *queryResolver) needStats(ctx context.Context, filter *model.PlacePeriodFilter, groupBy *model.StatsGrouping) (*model.NeedStats, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	f, err := placePeriodFilter(filter)
	if err != nil {
		return nil, err
	}
	by := statsGrouping(groupBy)
	groups, total, orgs, err := r.Store.NeedStats(ctx, v, f, by, selected(ctx, "total"))
	if err != nil {
		return nil, err
	}
	keys, err := loadGroupKeys(ctx, r.Store, by.Period, groups)
	if err != nil {
		return nil, err
	}
	group := func(g *db.NeedFigures) *model.NeedStatsGroup {
		m := needFigures(g)
		m.Place, m.PeriodStart, m.PeriodEnd = keys.of(g)
		return m
	}
	out := &model.NeedStats{MinGroupSize: r.Store.Stats.MinGroup, Groups: []*model.NeedStatsGroup{}, Organisations: orgs}
	for _, g := range groups {
		out.Groups = append(out.Groups, group(g))
	}
	if total == nil {
		total = &db.NeedFigures{} // no need at all: zero counts
	}
	out.Total = group(total)
	if out.Organisations == nil {
		out.Organisations = []*db.OrganisationService{}
	}
	return out, nil
}

func needFigures(g *db.NeedFigures) *model.NeedStatsGroup {
	if g.Suppressed {
		return &model.NeedStatsGroup{Suppressed: true}
	}
	m := &model.NeedStatsGroup{Needs: ptr(g.Needs), MatchedShare: share(g.Matched, g.Needs),
		TimeToMatch:    &model.DurationFigures{Count: g.Matched, MedianHours: g.MatchMedian, P90Hours: g.MatchP90},
		ProjectsOnTime: ptr(g.OnTime), ProjectsLate: ptr(g.Late), ResourcesUsed: ptr(g.ResourcesUsed)}
	for i, c := range db.NeedCategoryOrder() {
		m.ByCategory = append(m.ByCategory, &model.NeedCategoryCount{Category: c, Count: countAt(g.ByCategory, i)})
	}
	for i, s := range db.NeedSourceOrder() {
		m.BySource = append(m.BySource, &model.NeedSourceCount{Source: s, Count: countAt(g.BySource, i)})
	}
	return m
}

// countAt reads counts[i], zero for the empty total.
func countAt(counts []int64, i int) int {
	if i < len(counts) {
		return int(counts[i])
	}
	return 0
}
