package demo_test

import (
	"testing"

	"linli/db"
)

// The grid worker's week: four households looked after, visits over the past week, one of
// them turned into a wish, and exactly one vulnerable household of 第一网格 overdue, the
// one 刘洋 looks after, so the reminder pass tells 王丽 and 刘洋 of it and of nothing else.
func TestLoadDemo_GridWeek(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	loadDemo(t, s)
	if n := queryInt(t, d, `SELECT count(*) FROM care_assignments WHERE ended_at IS NULL`); n != 4 {
		t.Errorf("care assignments: got %d, want 4", n)
	}
	if n := queryInt(t, d, `SELECT count(*) FROM visit_outcomes o JOIN wishes w ON w.id = o.wish_id WHERE w.title = '帮忙在手机上办理医保认证'`); n != 1 {
		t.Errorf("visit turned into the wish: got %d, want 1", n)
	}
	if n := queryInt(t, d, `SELECT count(*) FROM visits WHERE visited_at > $1`, demoNow); n != 0 {
		t.Errorf("visits in the future: got %d", n)
	}
	if _, err := s.SendReminders(t.Context(), db.DefaultReminderSettings); err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Phone     string `db:"phone"`
		Household int64  `db:"household_id"`
		DueOn     string `db:"due_on"`
	}
	if err := d.Select(&got, `SELECT a.phone, n.household_id, n.visit_due_on::text AS due_on FROM notifications n
		JOIN accounts a ON a.id = n.account_id JOIN places h ON h.id = n.household_id
		JOIN places g ON g.id = h.path[cardinality(h.path) - 2]
		WHERE n.kind = 'visit_overdue' AND g.name = '第一网格' AND g.path[2] = (SELECT id FROM places WHERE name = '和平社区')
		ORDER BY a.phone`); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Phone != "13800000003" || got[1].Phone != "13800000004" || got[0].Household != got[1].Household ||
		got[0].DueOn != "2026-11-21" {
		t.Fatalf("overdue reminders in 第一网格: got %+v, want one household due 2026-11-21, to 刘洋 and 王丽", got)
	}
}
