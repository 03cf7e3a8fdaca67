-- Grid work, second round (issue 17): a visit can turn into a report, linked both ways.

-- What came of a visit: a wish, a topic or now a report; still exactly one subject per row.
ALTER TABLE visit_outcomes ADD COLUMN report_id bigint UNIQUE REFERENCES reports (id);
ALTER TABLE visit_outcomes DROP CONSTRAINT visit_outcomes_one_subject;
ALTER TABLE visit_outcomes ADD CONSTRAINT visit_outcomes_one_subject CHECK (num_nonnulls(wish_id, topic_id, report_id) = 1);

-- Notifications to a report's next handler: a new report to the grid workers of its grid,
-- escalated to the community's staff, whistled to the department's members, resolved to the
-- reporter (asking for a rating). Written in the step's transaction (db.Tx.notifyNextHandler).
ALTER TYPE notification_kind ADD VALUE 'report_submitted';
ALTER TYPE notification_kind ADD VALUE 'report_escalated';
ALTER TYPE notification_kind ADD VALUE 'report_whistled';
ALTER TYPE notification_kind ADD VALUE 'report_resolved';
ALTER TABLE notifications ADD COLUMN report_id bigint REFERENCES reports (id);
