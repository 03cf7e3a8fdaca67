-- Grid work, second round (issue 17): a visit can turn into a report, linked both ways.

-- What came of a visit: a wish, a topic or now a report; still exactly one subject per row.
ALTER TABLE visit_outcomes ADD COLUMN report_id bigint UNIQUE REFERENCES reports (id);
ALTER TABLE visit_outcomes DROP CONSTRAINT visit_outcomes_one_subject;
ALTER TABLE visit_outcomes ADD CONSTRAINT visit_outcomes_one_subject CHECK (num_nonnulls(wish_id, topic_id, report_id) = 1);
