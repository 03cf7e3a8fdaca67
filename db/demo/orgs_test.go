package demo_test

import (
	"testing"

	"linli/db"
	"linli/db/demo"
)

// The dual-reporting demo: five organisations with contacts who sign in, both kinds of
// check-in, offers of every kind (one flagged stale), and 刘洋's service in his unit's records.
func TestLoadDemo_Orgs(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	loadDemo(t, s)
	for q, want := range map[string]int{
		`SELECT count(*) FROM organisations`:                                                                                    5,
		`SELECT count(DISTINCT kind) FROM resources`:                                                                            5,
		`SELECT count(*) FROM organisation_members WHERE contact`:                                                               5,
		`SELECT count(*) FROM organisation_check_ins WHERE state = 'pending'`:                                                   1,
		`SELECT count(*) FROM organisation_check_ins WHERE state = 'accepted'`:                                                  1,
		`SELECT count(*) FROM member_check_ins WHERE state = 'accepted'`:                                                        1,
		`SELECT count(*) FROM resources r WHERE NOT EXISTS (SELECT 1 FROM resource_communities rc WHERE rc.resource_id = r.id)`: 0,
	} {
		if got := queryInt(t, d, q); got != want {
			t.Errorf("%s: got %d, want %d", q, got, want)
		}
	}
	var stale int
	for _, a := range demo.OrgAccounts {
		var id int64
		if err := d.Get(&id, `SELECT id FROM accounts WHERE phone = $1`, a.Phone); err != nil {
			t.Fatalf("contact %s: %v", a.Phone, err)
		}
		res, err := s.Resources(t.Context(), &db.Viewer{Account: &db.Account{ID: id}}, db.ResourceFilter{}, db.Page{First: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Items) == 0 {
			t.Errorf("%s (%s) keeps no offers", a.Name, a.Place)
		}
		for _, r := range res.Items {
			if r.Stale(demoNow) {
				stale++
			}
		}
	}
	if stale != 1 {
		t.Errorf("stale offers: got %d, want 1 (老王理发店's)", stale)
	}
	// 区住建委's contact reads 刘洋's service with the community.
	var contact int64
	if err := d.Get(&contact, `SELECT id FROM accounts WHERE phone = '13800000031'`); err != nil {
		t.Fatal(err)
	}
	var org int64
	if err := d.Get(&org, `SELECT id FROM organisations WHERE name = '区住建委机关党支部'`); err != nil {
		t.Fatal(err)
	}
	months, err := s.ServiceSummary(t.Context(), &db.Viewer{Account: &db.Account{ID: contact}}, org, demoNow.Year())
	if err != nil {
		t.Fatal(err)
	}
	var wishes int
	for _, m := range months {
		wishes += m.Credited
	}
	if wishes == 0 {
		t.Errorf("the unit's records show no confirmed wishes: %+v", months)
	}
}
