package db

import "context"

// A visit turned into a report (走访发现问题就地上报), linked both ways through
// visit_outcomes (migration 0025), as SubmitWishFromVisit and RaiseTopicFromVisit do for
// wishes and topics.

// ReportFromVisit submits a report (by SubmitReport and its rules) about the visit's grid
// or a building in it, linked to the visit. Errors: those of SubmitReport, and NOT_FOUND
// (visitId: a visit v may not read), INVALID_INPUT (placeId outside the visit's grid).
func (s *Store) ReportFromVisit(ctx context.Context, v *Viewer, visitID int64, in SubmitReport) (*Report, error) {
	x, err := s.outcomeVisit(ctx, v, visitID)
	if err != nil {
		return nil, err
	}
	if err := s.placeWithin(ctx, in.PlaceID, x.GridID, "上报需要针对这次走访所在的网格或其中的楼栋"); err != nil {
		return nil, err
	}
	in.VisitID = x.ID
	return s.SubmitReport(ctx, v, in)
}

// VisitOfReports returns the visit each report came of, for those that came of one.
func (s *Store) VisitOfReports(ctx context.Context, reports []int64) (map[int64]int64, error) {
	m, err := selectByKey(ctx, s, `SELECT `+visitOutcomeColumns+` FROM visit_outcomes WHERE report_id = ANY($1)`,
		reports, func(o *VisitOutcome) int64 { return *o.ReportID })
	return outcomeVisits(m, err)
}
