package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// A visit turned into a report, linked both ways: Report.visit is read only by those who
// may read the visit (db.Viewer.ReadsVisit, through visitOf); Visit.reports lists only the
// reports the viewer may see.

func (r *reportResolver) visit(ctx context.Context, obj *db.Report) (*db.Visit, error) {
	return visitOf(ctx, load(ctx).visits.visitOfReport, obj.ID)
}

func (r *visitResolver) reports(ctx context.Context, obj *db.Visit) ([]*db.Report, error) {
	return visitOutcomes(ctx, obj.ID, func(o *db.VisitOutcome) *int64 { return o.ReportID }, func(id int64) (*db.Report, bool, error) {
		n, err := reportNode(ctx, id)
		rep, ok := n.(*db.Report)
		return rep, ok, err
	})
}

func (r *mutationResolver) reportFromVisit(ctx context.Context, visitID string, input model.SubmitReportInput) (*db.Report, error) {
	key, err := idOf("visitId", "Visit", visitID)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, "placeId", "Place", input.PlaceID, func(v *db.Viewer, place int64) (*db.Report, error) {
		return r.Store.ReportFromVisit(ctx, v, key, db.SubmitReport{PlaceID: place, Category: input.Category,
			Urgency: input.Urgency, Description: input.Description, PhotoURLs: input.PhotoUrls})
	})
}

// notificationReport is a REPORT_* notification's report, as a global ID.
func notificationReport(obj *db.Notification) *string {
	if obj.ReportID == nil {
		return nil
	}
	id := globalID("Report", *obj.ReportID)
	return &id
}
