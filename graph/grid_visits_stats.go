package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// visitStats answers visitStats as participationStats answers its own: the same filter, the
// same group keys.
func (r *queryResolver) visitStats(ctx context.Context, filter *model.PlacePeriodFilter, groupBy *model.StatsGrouping) (*model.VisitStats, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	f, err := placePeriodFilter(filter)
	if err != nil {
		return nil, err
	}
	by := statsGrouping(groupBy)
	groups, total, err := r.Store.VisitStats(ctx, v, f, by, selected(ctx, "total"))
	if err != nil {
		return nil, err
	}
	keys, err := loadGroupKeys(ctx, r.Store, by.Period, groups)
	if err != nil {
		return nil, err
	}
	out := &model.VisitStats{MinGroupSize: r.Store.Stats.MinGroup, Groups: []*model.VisitStatsGroup{}}
	for _, g := range groups {
		m := visitFigures(g)
		m.Place, m.PeriodStart, m.PeriodEnd = keys.of(g)
		out.Groups = append(out.Groups, m)
	}
	if total != nil {
		out.Total = visitFigures(total)
	}
	return out, nil
}

// visitFigures is a group's figures, or only that it is suppressed.
func visitFigures(g *db.VisitFigures) *model.VisitStatsGroup {
	if g == nil {
		g = &db.VisitFigures{}
	}
	if g.Suppressed {
		return &model.VisitStatsGroup{Suppressed: true}
	}
	return &model.VisitStatsGroup{Visits: ptr(g.Visits), Households: ptr(g.Households), HouseholdVisits: ptr(g.HouseholdVisits),
		VulnerableHouseholds: ptr(g.VulnerableHouseholds), VulnerableVisits: ptr(g.VulnerableVisits), OnTime: ptr(g.OnTime),
		Late: ptr(g.Late), First: ptr(g.First), OnTimeShare: share(g.OnTime, g.OnTime+g.Late), FollowUpNeeded: ptr(g.FollowUpNeeded),
		NeedsFound: ptr(g.NeedsFound), LedToWishes: ptr(g.LedToWishes), LedToTopics: ptr(g.LedToTopics),
		NeedsFoundFirst: ptr(g.NeedsFoundFirst), NeedsAsked: ptr(g.NeedsAsked),
		FoundFirstShare: share(g.NeedsFoundFirst, g.NeedsFoundFirst+g.NeedsAsked)}
}
