package graph_test

import (
	"testing"
	"time"
)

// A visit turned into a report (issue 17): linked both ways, the visit shown only to those
// who may read it, the report listed on the visit only to those who may see it.

const mReportFromVisit = `mutation($v: ID!, $in: SubmitReportInput!) { reportFromVisit(visitId: $v, input: $in) { id state visit { id } } }`

const qReportVisit = `query($id: ID!) { report(id: $id) { visit { id } } }`

const qVisitReports = `query($id: ID!) { node(id: $id) { ... on Visit { reports { id } } } }`

func TestVisitTurnsIntoReport(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid := e.login(phoneStaff), e.login(phoneGridWorker)
	urban, urbanToken := e.newDepartment("幸福街道城管执法队", "URBAN_MANAGEMENT", "13900000003", "城管李队")
	h, _ := e.vulnerable("elderly_alone", 0)
	visit := e.recordVisit(grid, testNow.Add(-time.Hour), h)
	building := e.placeAt("和平花园小区", "第一网格", "1号楼")
	in := map[string]any{"placeId": building, "category": "FACILITY", "description": "走访时发现1号楼楼道灯坏了，老人夜里出门不安全"}

	var made struct {
		ReportFromVisit struct {
			ID, State string
			Visit     *struct{ ID string }
		}
	}
	e.do(grid, mReportFromVisit, map[string]any{"v": visit.ID, "in": in}).Decode(t, &made)
	rep := made.ReportFromVisit
	if rep.State != "REPORTED" || rep.Visit == nil || rep.Visit.ID != visit.ID {
		t.Fatalf("reportFromVisit: got %+v, want a reported report whose visit is %s", rep, visit.ID)
	}
	visitReports := func(token string) []string {
		t.Helper()
		var n struct {
			Node *struct{ Reports []struct{ ID string } }
		}
		e.do(token, qVisitReports, map[string]any{"id": visit.ID}).Decode(t, &n)
		ids := []string{}
		if n.Node != nil {
			for _, r := range n.Node.Reports {
				ids = append(ids, r.ID)
			}
		}
		return ids
	}
	reportVisit := func(token string) *struct{ ID string } {
		t.Helper()
		var r struct {
			Report struct{ Visit *struct{ ID string } }
		}
		e.do(token, qReportVisit, map[string]any{"id": rep.ID}).Decode(t, &r)
		return r.Report.Visit
	}
	for _, tok := range []string{grid, staff} {
		if ids := visitReports(tok); len(ids) != 1 || ids[0] != rep.ID {
			t.Fatalf("visit.reports: got %v, want [%s]", ids, rep.ID)
		}
		if x := reportVisit(tok); x == nil || x.ID != visit.ID {
			t.Fatalf("report.visit: got %+v, want %s", x, visit.ID)
		}
	}

	// Whistled to a department: its member sees the report but not the visit notes.
	e.reportStep(grid, mAccept, map[string]any{"id": rep.ID})
	e.reportStep(grid, mEscalate, map[string]any{"id": rep.ID, "n": "需要物业维修资金，网格处理不了"})
	if _, res := e.reportStep(staff, mWhistle, map[string]any{"id": rep.ID, "d": urban}); len(res.Errors) > 0 {
		t.Fatalf("whistle: %+v", res.Errors)
	}
	if x := reportVisit(urbanToken); x != nil {
		t.Fatalf("department reads the visit through report.visit: %+v", x)
	}

	// Refusals change nothing: a visit the viewer may not read is not there for them; a
	// place outside the visit's grid; bad input as for submitReport.
	other := e.placeAt("和平花园小区", "第二网格")
	for _, c := range []struct {
		token, code, field string
		in                 map[string]any
	}{
		{e.login(phoneStaffGuangming), "NOT_FOUND", "visitId", in},
		{e.login(phoneBuildingLeader), "NOT_FOUND", "visitId", in},
		{grid, "INVALID_INPUT", "placeId", map[string]any{"placeId": other, "category": "FACILITY", "description": "别的网格"}},
		{grid, "INVALID_INPUT", "placeId", map[string]any{"placeId": h, "category": "FACILITY", "description": "一户不是网格或楼栋"}},
		{grid, "INVALID_INPUT", "description", map[string]any{"placeId": building, "category": "FACILITY", "description": " "}},
	} {
		res := e.do(c.token, mReportFromVisit, map[string]any{"v": visit.ID, "in": c.in})
		res.wantCode(t, c.code)
		if res.Field() != c.field {
			t.Fatalf("refusal %+v: field %q, want %q", c, res.Field(), c.field)
		}
	}
	if ids := visitReports(grid); len(ids) != 1 {
		t.Fatalf("visit.reports after refusals: %v", ids)
	}
	if ids := e.reportIDs(grid, nil); len(ids) != 1 {
		t.Fatalf("reports after refusals: %v", ids)
	}
}
