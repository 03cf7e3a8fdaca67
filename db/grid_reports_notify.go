package db

// Notifications to a report's next handler (migration 0025), in the transaction of the step
// that hands it on, so nobody is told of a step that was rolled back: a new report to the
// grid workers of its grid, escalated to the community's staff, whistled to the members of
// the department, resolved (by whichever level) to the reporter, asking for a rating. The
// one who took the step is not told of it. The texts name no resident (db/inbox_text.go).

// reportRecipients selects, for a report state, who handles the report next ($2: the
// subject the query needs).
var reportRecipients = map[ReportState]struct {
	kind  NotificationKind
	query string
}{
	ReportReported: {NotifyReportSubmitted, `SELECT account_id FROM role_grants
		WHERE role = 'grid_worker' AND place_id = $2 AND revoked_at IS NULL`},
	ReportEscalated: {NotifyReportEscalated, `SELECT account_id FROM role_grants
		WHERE role = 'staff' AND place_id = $2 AND revoked_at IS NULL`},
	ReportWhistled: {NotifyReportWhistled, `SELECT m.account_id FROM department_members m
		JOIN role_grants g ON g.id = m.role_grant_id AND g.revoked_at IS NULL WHERE m.department_id = $2`},
	ReportResolved: {NotifyReportResolved, `SELECT $2::bigint`},
}

// notifyNextHandler tells the next handler of r, in the state it has just reached, once
// each; actor took the step.
func (tx *Tx) notifyNextHandler(r *Report, actor int64) error {
	to, ok := reportRecipients[r.State]
	if !ok {
		return nil
	}
	var subject int64
	switch r.State {
	case ReportReported:
		subject = r.GridID
	case ReportEscalated:
		subject = r.CommunityID
	case ReportWhistled:
		subject = *r.DepartmentID
	case ReportResolved:
		subject = r.ReporterID
	}
	_, err := tx.exec(`INSERT INTO notifications (kind, account_id, report_id, created_at)
		SELECT DISTINCT $1::notification_kind, h.account_id, $3::bigint, $4::timestamptz
		FROM (`+to.query+`) h(account_id) WHERE h.account_id <> $5`, to.kind, subject, r.ID, tx.now, actor)
	return err
}
