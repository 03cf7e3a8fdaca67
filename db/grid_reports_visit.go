package db

import "context"

// A visit turned into a report (走访发现问题就地上报), linked both ways through
// visit_outcomes (migration 0025), as SubmitWishFromVisit and RaiseTopicFromVisit do for
// wishes and topics.

// ReportFromVisit submits a report (by SubmitReport and its rules) about the visit's grid
// or a building in it, linked to the visit. Errors: those of SubmitReport, and NOT_FOUND
// (visitId: a visit v may not read), INVALID_INPUT (placeId outside the visit's grid).
func (s *Store) ReportFromVisit(ctx context.Context, v *Viewer, visitID int64, in SubmitReport) (*Report, error) {
	if v == nil {
		return nil, needSignIn
	}
	x, err := s.readableVisit(ctx, v, visitID, "visitId")
	if err != nil {
		return nil, err
	}
	p, err := s.Place(ctx, in.PlaceID)
	if err != nil {
		return nil, withField(err, "placeId")
	}
	if !p.Within(x.GridID) {
		return nil, Invalid("placeId", "上报需要针对这次走访所在的网格或其中的楼栋")
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

// linkVisitReport records that report came of a visit, in the transaction creating it.
func (tx *Tx) linkVisitReport(visitID, reportID int64) error {
	if visitID == 0 {
		return nil
	}
	_, err := tx.exec(`INSERT INTO visit_outcomes (visit_id, report_id) VALUES ($1, $2)`, visitID, reportID)
	return err
}
