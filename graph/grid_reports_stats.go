package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// reportStats answers reportStats: groups by place and period, each withheld below the
// minimum group size, and every department's handling over the whole filter.
func (r *queryResolver) reportStats(ctx context.Context, filter *model.PlacePeriodFilter, groupBy *model.StatsGrouping) (*model.ReportStats, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	f, err := placePeriodFilter(filter)
	if err != nil {
		return nil, err
	}
	by := statsGrouping(groupBy)
	groups, total, departments, err := r.Store.ReportStats(ctx, v, f, by, selected(ctx, "total"))
	if err != nil {
		return nil, err
	}
	keys, err := loadGroupKeys(ctx, r.Store, by.Period, groups)
	if err != nil {
		return nil, err
	}
	group := func(g *db.ReportFigures) *model.ReportStatsGroup {
		m := reportFigures(g)
		m.Place, m.PeriodStart, m.PeriodEnd = keys.of(g)
		return m
	}
	out := &model.ReportStats{MinGroupSize: r.Store.Stats.MinGroup, Groups: []*model.ReportStatsGroup{}, Departments: departments}
	for _, g := range groups {
		out.Groups = append(out.Groups, group(g))
	}
	if total == nil {
		total = &db.ReportFigures{} // no report at all: zero counts
	}
	out.Total = group(total)
	if out.Departments == nil {
		out.Departments = []*db.DepartmentFigures{}
	}
	return out, nil
}

func reportFigures(g *db.ReportFigures) *model.ReportStatsGroup {
	if g.Suppressed {
		return &model.ReportStatsGroup{Suppressed: true}
	}
	m := &model.ReportStatsGroup{Reports: ptr(g.Reports), Open: ptr(g.Open),
		TimeToAccept:  &model.DurationFigures{Count: g.Accepted, MedianHours: g.AcceptMedian, P90Hours: g.AcceptP90},
		TimeToResolve: &model.DurationFigures{Count: g.Resolved, MedianHours: g.ResolveMedian, P90Hours: g.ResolveP90}}
	for i, n := range g.ByCategory() {
		m.ByCategory = append(m.ByCategory, &model.ReportCategoryCount{Category: db.ReportCategories[i], Count: n})
	}
	for _, l := range []struct {
		level db.ReportLevel
		n     int
	}{{db.LevelSettledGrid, g.SettledGrid}, {db.LevelSettledCommunity, g.SettledCommunity}, {db.LevelSettledDepartment, g.SettledDepartment}} {
		m.BySettledLevel = append(m.BySettledLevel, &model.ReportLevelCount{Level: l.level, Count: l.n})
	}
	if !g.RatingsSuppressed {
		m.Rating = ratingFigures(g.Ratings, g.RatingSum)
	}
	return m
}

func ratingFigures(n int, sum int64) *model.ReportRatingFigures {
	out := &model.ReportRatingFigures{Count: n}
	if n > 0 {
		out.Average = ptr(float64(sum) / float64(n))
	}
	return out
}

// departmentOnTimeShare: on time over those whose deadline has come (resolved, or overdue).
func departmentOnTimeShare(d *db.DepartmentFigures) *float64 {
	return share(d.OnTime, d.Resolved+d.Overdue)
}

func departmentByID(ctx context.Context, id int64) (*db.Department, error) {
	ds, err := requestFrom(ctx).store.DepartmentsByID(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	if d := ds[id]; d != nil {
		return d, nil
	}
	return nil, hidden("职能部门")
}
