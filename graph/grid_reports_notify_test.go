package graph_test

import "testing"

// Each handler of a report is told once when it reaches them, the reporter once when it is
// resolved, and nobody else.
func TestReportNotifiesNextHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	community := e.placeID("和平社区")
	building := e.placeAt("和平花园小区", "第一网格", "1号楼")
	courier := e.newAccountWithRole("13900000001", "快递员小马", "MOBILE_GRID_MEMBER", community)
	urban, urbanToken := e.newDepartment("幸福街道城管执法队", "URBAN_MANAGEMENT", "13900000003", "城管李队")
	_, policeToken := e.newDepartment("幸福派出所", "POLICE", "13900000004", "民警赵")
	grid, staff := e.login(phoneGridWorker), e.login(phoneStaff)

	id := e.submitReport(courier, building, "ENVIRONMENT", "1号楼门口堆了很多建筑垃圾")
	e.reportStep(grid, mAccept, map[string]any{"id": id})
	e.reportStep(grid, mEscalate, map[string]any{"id": id, "n": "需要城管执法"})
	e.reportStep(staff, mWhistle, map[string]any{"id": id, "d": urban})
	e.reportStep(urbanToken, mReportIn, map[string]any{"id": id})
	if _, res := e.reportStep(urbanToken, mResolve, map[string]any{"id": id, "n": "已清运"}); len(res.Errors) > 0 {
		t.Fatalf("resolve: %+v", res.Errors)
	}

	kinds := func(token string) map[string]int {
		t.Helper()
		var in struct {
			Notifications struct {
				Nodes []struct {
					Kind, Title, Body string
					ReportID          *string
				}
			}
		}
		e.do(token, `{ notifications(first: 100) { nodes { kind title body reportId } } }`, nil).Decode(t, &in)
		out := map[string]int{}
		for _, n := range in.Notifications.Nodes {
			if len(n.Kind) > 7 && n.Kind[:7] == "REPORT_" {
				if n.ReportID == nil || *n.ReportID != id || n.Title == "" || n.Body == "" {
					t.Fatalf("notification: got %+v, want report %s with a text", n, id)
				}
				out[n.Kind]++
			}
		}
		return out
	}
	for _, c := range []struct {
		who   string
		token string
		want  map[string]int
	}{
		{"grid worker", grid, map[string]int{"REPORT_SUBMITTED": 1}},
		{"staff", staff, map[string]int{"REPORT_ESCALATED": 1}},
		{"department", urbanToken, map[string]int{"REPORT_WHISTLED": 1}},
		{"reporter", courier, map[string]int{"REPORT_RESOLVED": 1}},
		{"another department", policeToken, map[string]int{}},
		{"staff of another community", e.login(phoneStaffGuangming), map[string]int{}},
		{"building leader", e.login(phoneBuildingLeader), map[string]int{}},
		{"analyst", e.login(phoneAnalyst), map[string]int{}},
	} {
		got := kinds(c.token)
		if len(got) != len(c.want) {
			t.Fatalf("%s: got %v, want %v", c.who, got, c.want)
		}
		for k, n := range c.want {
			if got[k] != n {
				t.Fatalf("%s: got %v, want %v", c.who, got, c.want)
			}
		}
	}
}
