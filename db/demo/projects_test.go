package demo_test

import (
	"testing"

	"linli/db"
	"linli/db/demo"
)

// The needs and projects demo: a need from a visit, declined by a merchant with a reason and
// accepted by a paired unit into a running project with one milestone done and one open and
// a progress report, which the unit's contact reads in its service records.
func TestLoadDemo_Projects(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	loadDemo(t, s)
	for q, want := range map[string]int{
		`SELECT count(*) FROM needs WHERE state = 'project' AND source = 'visit' AND visit_id IS NOT NULL`: 1,
		`SELECT count(*) FROM need_proposals p JOIN organisations o ON o.id = p.organisation_id
			WHERE p.state = 'declined' AND o.kind = 'merchant' AND p.decline_reason <> ''`: 1,
		`SELECT count(*) FROM need_proposals p JOIN organisations o ON o.id = p.organisation_id
			WHERE p.state = 'accepted' AND o.kind = 'paired_unit'`: 1,
		`SELECT count(*) FROM projects WHERE state = 'running' AND due_at > now() - interval '1 year'`: 1,
		`SELECT count(*) FROM project_milestones WHERE done_at IS NOT NULL`:                            1,
		`SELECT count(*) FROM project_milestones WHERE done_at IS NULL`:                                1,
		`SELECT count(*) FROM project_people`:                                                          2,
		`SELECT count(*) FROM project_reports WHERE minutes > 0`:                                       1,
		`SELECT count(*) FROM need_events`:                                                             5,
	} {
		if got := queryInt(t, d, q); got != want {
			t.Errorf("%s: got %d, want %d", q, got, want)
		}
	}
	// 孟建国 reads the project in his unit's list, and 刘洋's report in its service records.
	var contact, org int64
	if err := d.Get(&contact, `SELECT id FROM accounts WHERE phone = '13800000031'`); err != nil {
		t.Fatal(err)
	}
	if err := d.Get(&org, `SELECT id FROM organisations WHERE name = '区住建委机关党支部'`); err != nil {
		t.Fatal(err)
	}
	v := &db.Viewer{Account: &db.Account{ID: contact}}
	months, err := s.ServiceSummary(t.Context(), v, org, demoNow.Year())
	if err != nil {
		t.Fatal(err)
	}
	var reports, minutes int
	for _, m := range months {
		reports, minutes = reports+m.ProjectReports, minutes+m.ProjectMinutes
	}
	if reports != 1 || minutes != 180 {
		t.Errorf("the unit's project service: got %d reports, %d minutes, want 1 and 180", reports, minutes)
	}
	if n := queryInt(t, d, `SELECT count(*) FROM projects WHERE title = $1`, demo.DemoProjectTitle); n != 1 {
		t.Errorf("projects titled %q: got %d, want 1", demo.DemoProjectTitle, n)
	}
}
