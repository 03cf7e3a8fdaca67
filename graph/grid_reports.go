package graph

import (
	"context"
	"slices"
	"time"

	"linli/db"
	"linli/graph/model"
)

// Reports (事件上报) and departments: the resolvers in schema.resolvers.go call these.

// writeReport runs a report step on the report with global ID id.
func (r *Resolver) writeReport(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.Report, error)) (*db.Report, error) {
	return mutate(ctx, "reportId", "Report", id, f)
}

// reportNode answers node(id:) for a report: NOT_FOUND (nil) when the viewer may not see it.
func reportNode(ctx context.Context, key int64) (any, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	rep, err := requestFrom(ctx).store.Report(ctx, v, key)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, nil
	}
	return rep, err
}

// departmentNode answers node(id:) for a department: those the viewer may list.
func departmentNode(ctx context.Context, key int64) (any, error) {
	ds, err := visibleDepartments(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.ID == key {
			return d, nil
		}
	}
	return nil, nil
}

func visibleDepartments(ctx context.Context) ([]*db.Department, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return requestFrom(ctx).store.Departments(ctx, v)
}

// reportList answers the reports query.
func reportList(ctx context.Context, placeID *string, states []db.ReportState, mine *bool, first *int, after *string) (*model.ReportConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	place, err := optionalKey("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	f := db.ReportFilter{PlaceID: place, States: states, Mine: mine != nil && *mine}
	res, count, err := requestFrom(ctx).store.Reports(ctx, v, f, page)
	if err != nil {
		return nil, err
	}
	return model.NewReportConnection(res, count), nil
}

// seesReporter reports whether the viewer may know who made r: the reporter, the grid's
// worker and the community's staff. A department acts on the matter, not on the person.
func seesReporter(ctx context.Context, r *db.Report) (bool, error) {
	v, err := viewer(ctx)
	if err != nil || v == nil {
		return false, err
	}
	if v.Is(r.ReporterID) {
		return true, nil
	}
	place, err := placeByID(ctx, r.PlaceID)
	if err != nil {
		return false, err
	}
	return v.Holds(place, db.RoleGridWorker, db.RoleStaff), nil
}

// reportReporter is the reporter, for those who may know them.
func reportReporter(ctx context.Context, r *db.Report) (*db.Account, error) {
	if ok, err := seesReporter(ctx, r); err != nil || !ok {
		return nil, err
	}
	return accountByID(ctx, r.ReporterID)
}

// reportTimeline is r's steps; the reporter's own steps are named 上报人 to whoever may not
// know who reported.
func reportTimeline(ctx context.Context, r *db.Report) ([]*db.ReportEvent, error) {
	es, err := requestFrom(ctx).store.ReportEventsByReport(ctx, []int64{r.ID})
	if err != nil {
		return nil, err
	}
	out := es[r.ID]
	if out == nil {
		out = []*db.ReportEvent{}
	}
	ok, err := seesReporter(ctx, r)
	if err != nil {
		return nil, err
	}
	if !ok {
		for _, e := range out {
			if e.ActorID != nil && *e.ActorID == r.ReporterID {
				e.ActorID = nil
				e.Reporter = true
			}
		}
	}
	return out, nil
}

// reportActorName names who took a step.
func reportActorName(ctx context.Context, e *db.ReportEvent) (string, error) {
	if e.Reporter {
		return "上报人", nil
	}
	return actorName(ctx, e.ActorID)
}

// reportDepartment is the department r was whistled to.
func reportDepartment(ctx context.Context, r *db.Report) (*db.Department, error) {
	if r.DepartmentID == nil {
		return nil, nil
	}
	ds, err := requestFrom(ctx).store.DepartmentsByID(ctx, []int64{*r.DepartmentID})
	if err != nil {
		return nil, err
	}
	return ds[*r.DepartmentID], nil
}

func hoursBetween(from time.Time, to *time.Time) *float64 {
	if to == nil {
		return nil
	}
	h := to.Sub(from).Hours()
	return &h
}

// departmentOnTime: resolved by the deadline; false once past it unresolved; null otherwise.
func departmentOnTime(ctx context.Context, r *db.Report) *bool {
	if r.DueAt == nil {
		return nil
	}
	var on bool
	switch {
	case r.SettledLevel != nil && *r.SettledLevel == db.LevelSettledDepartment:
		on = !r.ResolvedAt.After(*r.DueAt)
	case requestFrom(ctx).store.Now().After(*r.DueAt):
		on = false
	default:
		return nil
	}
	return &on
}

// reportDeadlines lists a community's deadlines by category, in the enum's order.
func reportDeadlines(s *db.ReportSettings) []*db.ReportDeadline {
	out := make([]*db.ReportDeadline, 0, len(db.ReportCategories))
	for _, c := range db.ReportCategories {
		out = append(out, &db.ReportDeadline{Category: c, Days: s.DeadlineDays[c]})
	}
	return out
}

// deadlinesIn turns the input's deadlines into values.
func deadlinesIn(ds []*db.ReportDeadline) []db.ReportDeadline {
	out := make([]db.ReportDeadline, 0, len(ds))
	for _, d := range ds {
		out = append(out, *d)
	}
	return slices.Clip(out)
}
