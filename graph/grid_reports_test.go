package graph_test

import (
	"sync"
	"testing"
	"time"
)

// Reports (事件上报): a courier's report through the grid, the community and a department
// to the reporter's rating; who sees what at every step; the overdue queue of the level
// above; concurrent steps.

const reportFields = `id state category urgency description photoUrls settledLevel
	place { name } grid { name } community { name } reporter { name } department { name }
	createdAt acceptedAt escalatedAt whistledAt dueAt reportedInAt resolvedAt ratedAt
	hoursToAccept hoursToResolve departmentOnTime rating ratingComment departmentRating departmentRatingComment
	timeline { action at fromState toState note actorName }`

type reportOut struct {
	ID, State, Category, Urgency, Description string
	PhotoUrls                                 []string
	SettledLevel                              *string
	Place, Grid, Community                    struct{ Name string }
	Reporter                                  *struct{ Name string }
	Department                                *struct{ Name string }
	CreatedAt                                 time.Time
	AcceptedAt, EscalatedAt, WhistledAt       *time.Time
	DueAt, ReportedInAt, ResolvedAt, RatedAt  *time.Time
	HoursToAccept, HoursToResolve             *float64
	DepartmentOnTime                          *bool
	Rating, DepartmentRating                  *int
	RatingComment, DepartmentRatingComment    *string
	Timeline                                  []struct {
		Action, ToState, ActorName string
		FromState, Note            *string
		At                         time.Time
	}
}

// newStaffAccount has the admin make an account at place and grant it role there; it
// returns the new account's token.
func (e *env) newAccountWithRole(phone, name, role string, place string) string {
	e.t.Helper()
	admin := e.login(phoneAdmin)
	var made struct{ CreateAccount struct{ ID string } }
	e.do(admin, `mutation($in: CreateAccountInput!) { createAccount(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"phone": phone, "name": name, "password": "password-" + phone, "placeId": place}}).Decode(e.t, &made)
	if role != "" {
		e.do(admin, `mutation($in: GrantRoleInput!) { grantRole(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"accountId": made.CreateAccount.ID, "role": role, "placeId": place}}).Decode(e.t, &struct{}{})
	}
	return e.loginWith(phone, "password-"+phone)
}

// newDepartment registers a department of 幸福街道 with one member account, and returns the
// department's id and the member's token.
func (e *env) newDepartment(name, kind, phone, person string) (string, string) {
	e.t.Helper()
	admin := e.login(phoneAdmin)
	var d struct{ CreateDepartment struct{ ID string } }
	e.do(admin, `mutation($s: ID!, $n: String!, $k: DepartmentKind!) { createDepartment(subdistrictId: $s, name: $n, kind: $k) { id } }`,
		map[string]any{"s": e.placeID("幸福街道"), "n": name, "k": kind}).Decode(e.t, &d)
	token := e.newAccountWithRole(phone, person, "", e.placeID("幸福街道"))
	e.do(admin, `mutation($d: ID!, $a: ID!) { addDepartmentMember(departmentId: $d, accountId: $a) { name } }`,
		map[string]any{"d": d.CreateDepartment.ID, "a": e.accountID(phone)}).Decode(e.t, &struct{}{})
	return d.CreateDepartment.ID, token
}

func (e *env) report(token, id string) (reportOut, *response) {
	e.t.Helper()
	res := e.do(token, `query($id: ID!) { report(id: $id) { `+reportFields+` } }`, map[string]any{"id": id})
	var out struct{ Report reportOut }
	if len(res.Errors) == 0 {
		res.Decode(e.t, &out)
	}
	return out.Report, res
}

// reportStep runs one step mutation and returns the report it answers.
func (e *env) reportStep(token, mutation string, vars map[string]any) (reportOut, *response) {
	e.t.Helper()
	res := e.do(token, mutation, vars)
	var out map[string]reportOut
	if len(res.Errors) == 0 {
		res.Decode(e.t, &out)
	}
	for _, r := range out {
		return r, res
	}
	return reportOut{}, res
}

func (e *env) submitReport(token, place, category, description string) string {
	e.t.Helper()
	r, res := e.reportStep(token, `mutation($in: SubmitReportInput!) { submitReport(input: $in) { `+reportFields+` } }`,
		map[string]any{"in": map[string]any{"placeId": place, "category": category, "description": description}})
	if len(res.Errors) > 0 {
		e.t.Fatalf("submitReport: %+v", res.Errors)
	}
	return r.ID
}

func (e *env) reportIDs(token string, vars map[string]any) []string {
	e.t.Helper()
	var out struct {
		Reports struct {
			TotalCount int
			Nodes      []struct{ ID string }
		}
	}
	e.do(token, `query($mine: Boolean, $p: ID) { reports(mine: $mine, placeId: $p) { totalCount nodes { id } } }`, vars).Decode(e.t, &out)
	ids := []string{}
	for _, n := range out.Reports.Nodes {
		ids = append(ids, n.ID)
	}
	if out.Reports.TotalCount != len(ids) {
		e.t.Fatalf("reports: totalCount %d, %d nodes", out.Reports.TotalCount, len(ids))
	}
	return ids
}

const (
	mAccept   = `mutation($id: ID!) { acceptReport(reportId: $id) { ` + reportFields + ` } }`
	mSettle   = `mutation($id: ID!, $n: String!) { settleReport(reportId: $id, note: $n) { ` + reportFields + ` } }`
	mEscalate = `mutation($id: ID!, $n: String!) { escalateReport(reportId: $id, reason: $n) { ` + reportFields + ` } }`
	mWhistle  = `mutation($id: ID!, $d: ID!) { whistleReport(reportId: $id, departmentId: $d, note: "请城管执法队处理") { ` + reportFields + ` } }`
	mReportIn = `mutation($id: ID!) { reportIn(reportId: $id, note: "已收到，明天到现场") { ` + reportFields + ` } }`
	mProgress = `mutation($id: ID!, $n: String!) { addReportProgress(reportId: $id, note: $n) { ` + reportFields + ` } }`
	mResolve  = `mutation($id: ID!, $n: String!) { resolveReport(reportId: $id, note: $n) { ` + reportFields + ` } }`
	mRate     = `mutation($id: ID!, $r: Int!) { rateReport(reportId: $id, rating: $r, comment: "处理得很快") { ` + reportFields + ` } }`
	mRateDept = `mutation($id: ID!, $r: Int!) { rateDepartment(reportId: $id, rating: $r, comment: "按时办结") { ` + reportFields + ` } }`
)

func TestReportFromCourierToRating(t *testing.T) {
	e := newEnv(t)
	community := e.placeID("和平社区")
	building := e.placeAt("和平花园小区", "第一网格", "1号楼")
	courier := e.newAccountWithRole("13900000001", "快递员小马", "MOBILE_GRID_MEMBER", community)
	otherCourier := e.newAccountWithRole("13900000002", "外卖骑手小刘", "MOBILE_GRID_MEMBER", community)
	urban, urbanToken := e.newDepartment("幸福街道城管执法队", "URBAN_MANAGEMENT", "13900000003", "城管李队")
	_, policeToken := e.newDepartment("幸福派出所", "POLICE", "13900000004", "民警赵")
	grid, staff := e.login(phoneGridWorker), e.login(phoneStaff)

	// The community gives departments 4 days for environment matters.
	var set struct {
		SetReportSettings struct {
			Deadlines []struct {
				Category string
				Days     int
			}
		}
	}
	e.do(staff, `mutation($c: ID!) { setReportSettings(communityId: $c, deadlines: [{ category: ENVIRONMENT, days: 4 }]) { deadlines { category days } } }`,
		map[string]any{"c": community}).Decode(t, &set)
	if set.SetReportSettings.Deadlines[0].Category != "ENVIRONMENT" || set.SetReportSettings.Deadlines[0].Days != 4 {
		t.Fatalf("deadlines: %+v", set.SetReportSettings.Deadlines)
	}
	e.do(grid, `mutation($c: ID!) { setReportSettings(communityId: $c, acceptHours: 2) { acceptHours } }`,
		map[string]any{"c": community}).wantCode(t, "FORBIDDEN")

	// 1. The courier reports a pile of rubbish blocking 1号楼's entrance.
	reportedAt := e.clock.Now()
	id := e.submitReport(courier, building, "ENVIRONMENT", "1号楼门口堆了很多建筑垃圾，挡住了通道")
	r, _ := e.report(courier, id)
	if r.State != "REPORTED" || r.Place.Name != "1号楼" || r.Grid.Name != "第一网格" || r.Community.Name != "和平社区" ||
		!r.CreatedAt.Equal(reportedAt) || r.Reporter == nil || r.Reporter.Name != "快递员小马" {
		t.Fatalf("reported: %+v", r)
	}
	// The courier sees only their own reports; the other courier sees none and cannot open it.
	if ids := e.reportIDs(courier, nil); len(ids) != 1 || ids[0] != id {
		t.Fatalf("courier's reports: %v", ids)
	}
	if ids := e.reportIDs(otherCourier, nil); len(ids) != 0 {
		t.Fatalf("another courier sees %v", ids)
	}
	if _, res := e.report(otherCourier, id); res.Code() != "NOT_FOUND" {
		t.Fatalf("another courier opening the report: %+v", res.Errors)
	}
	// Departments see nothing until it is whistled to them; the analyst sees no report.
	for _, tok := range []string{urbanToken, policeToken, e.login(phoneAnalyst), e.login(phoneStaffGuangming)} {
		if _, res := e.report(tok, id); res.Code() != "NOT_FOUND" {
			t.Fatalf("report visible too early: %+v", res.Errors)
		}
		if ids := e.reportIDs(tok, nil); len(ids) != 0 {
			t.Fatalf("reports visible too early: %v", ids)
		}
	}
	// Nobody but the grid accepts it, and nothing skips a level.
	for _, step := range []struct {
		token, mutation, code string
		vars                  map[string]any
	}{
		{courier, mAccept, "FORBIDDEN", nil},
		{grid, mEscalate, "INVALID_STATE", map[string]any{"n": "处理不了"}},
		{staff, mWhistle, "INVALID_STATE", map[string]any{"d": urban}},
		{urbanToken, mReportIn, "NOT_FOUND", nil},
	} {
		vars := map[string]any{"id": id}
		for k, v := range step.vars {
			vars[k] = v
		}
		if _, res := e.reportStep(step.token, step.mutation, vars); res.Code() != step.code {
			t.Fatalf("%s: got %+v, want %s", step.mutation, res.Errors, step.code)
		}
	}

	// 2. Two hours later the grid worker accepts it, and a day later escalates it.
	e.clock.Advance(2 * time.Hour)
	r, res := e.reportStep(grid, mAccept, map[string]any{"id": id})
	res.Decode(t, &struct{}{})
	if r.State != "ACCEPTED" || r.HoursToAccept == nil || *r.HoursToAccept != 2 {
		t.Fatalf("accepted: %+v", r)
	}
	e.clock.Advance(24 * time.Hour)
	r, res = e.reportStep(grid, mEscalate, map[string]any{"id": id, "n": "垃圾量大，需要清运车"})
	res.Decode(t, &struct{}{})
	if r.State != "ESCALATED" || !r.EscalatedAt.Equal(reportedAt.Add(26*time.Hour)) {
		t.Fatalf("escalated: %+v", r)
	}
	// The grid worker cannot whistle: the community does.
	if _, res := e.reportStep(grid, mWhistle, map[string]any{"id": id, "d": urban}); res.Code() != "FORBIDDEN" {
		t.Fatalf("grid worker whistling: %+v", res.Errors)
	}

	// 3. Staff whistle it to urban management: the deadline is the community's 4 days.
	e.clock.Advance(3 * time.Hour)
	whistledAt := e.clock.Now()
	r, res = e.reportStep(staff, mWhistle, map[string]any{"id": id, "d": urban})
	res.Decode(t, &struct{}{})
	if r.State != "WHISTLED" || r.Department == nil || r.Department.Name != "幸福街道城管执法队" ||
		!r.WhistledAt.Equal(whistledAt) || !r.DueAt.Equal(whistledAt.Add(4*24*time.Hour)) {
		t.Fatalf("whistled: %+v", r)
	}

	// The department sees this report, with its place by name, and not who reported it.
	seen, res := e.report(urbanToken, id)
	if res.Code() != "" || seen.Place.Name != "1号楼" || seen.Reporter != nil || seen.Timeline[0].ActorName != "上报人" {
		t.Fatalf("department's view: %+v %+v", seen, res.Errors)
	}
	if ids := e.reportIDs(urbanToken, nil); len(ids) != 1 || ids[0] != id {
		t.Fatalf("department's reports: %v", ids)
	}
	// Nothing else: not another department's report, not residents.
	if _, res := e.report(policeToken, id); res.Code() != "NOT_FOUND" {
		t.Fatalf("police see urban management's report: %+v", res.Errors)
	}
	own := e.submitReport(e.login(phoneResident), building, "FACILITY", "1号楼二单元的楼道灯坏了")
	if _, res := e.report(urbanToken, own); res.Code() != "NOT_FOUND" {
		t.Fatalf("department sees a report not whistled to it: %+v", res.Errors)
	}
	res = e.do(urbanToken, `query($p: ID!) { residents(placeId: $p) { totalCount } }`, map[string]any{"p": community})
	if res.Code() != "FORBIDDEN" {
		t.Fatalf("department reading residents: %s %+v", res.Data, res.Errors)
	}
	res = e.do(urbanToken, `query { wishStats { total { wishes } } }`, nil)
	if res.Code() != "FORBIDDEN" {
		t.Fatalf("department reading figures: %s %+v", res.Data, res.Errors)
	}
	// Another department cannot report in; this one cannot resolve before reporting in.
	if _, res := e.reportStep(policeToken, mReportIn, map[string]any{"id": id}); res.Code() != "NOT_FOUND" {
		t.Fatalf("police reporting in: %+v", res.Errors)
	}
	if _, res := e.reportStep(urbanToken, mResolve, map[string]any{"id": id, "n": "已清运"}); res.Code() != "INVALID_STATE" {
		t.Fatalf("resolving before reporting in: %+v", res.Errors)
	}

	// 4. The department reports in, notes progress and resolves it within its deadline.
	e.clock.Advance(5 * time.Hour)
	r, res = e.reportStep(urbanToken, mReportIn, map[string]any{"id": id})
	res.Decode(t, &struct{}{})
	if r.State != "HANDLING" || !r.ReportedInAt.Equal(whistledAt.Add(5*time.Hour)) {
		t.Fatalf("reported in: %+v", r)
	}
	if _, res := e.reportStep(urbanToken, mReportIn, map[string]any{"id": id}); res.Code() != "CONFLICT" {
		t.Fatalf("reporting in twice: %+v", res.Errors)
	}
	e.clock.Advance(20 * time.Hour)
	e.reportStep(urbanToken, mProgress, map[string]any{"id": id, "n": "已联系清运车，明早清运"})
	e.clock.Advance(20 * time.Hour)
	r, res = e.reportStep(urbanToken, mResolve, map[string]any{"id": id, "n": "建筑垃圾已全部清运，通道恢复"})
	res.Decode(t, &struct{}{})
	wantResolve := 26 + 3 + 5 + 20 + 20.0
	if r.State != "RESOLVED" || r.SettledLevel == nil || *r.SettledLevel != "DEPARTMENT" ||
		r.HoursToResolve == nil || *r.HoursToResolve != wantResolve || r.DepartmentOnTime == nil || !*r.DepartmentOnTime {
		t.Fatalf("resolved: %+v", r)
	}

	// 5. Only the reporter rates the outcome, once; staff rate the department's handling.
	if _, res := e.reportStep(grid, mRate, map[string]any{"id": id, "r": 5}); res.Code() != "FORBIDDEN" {
		t.Fatalf("grid worker rating: %+v", res.Errors)
	}
	if _, res := e.reportStep(courier, mRate, map[string]any{"id": id, "r": 6}); res.Code() != "INVALID_INPUT" {
		t.Fatalf("rating 6: %+v", res.Errors)
	}
	if _, res := e.reportStep(urbanToken, mRateDept, map[string]any{"id": id, "r": 5}); res.Code() != "FORBIDDEN" {
		t.Fatalf("department rating itself: %+v", res.Errors)
	}
	e.clock.Advance(time.Hour)
	r, res = e.reportStep(courier, mRate, map[string]any{"id": id, "r": 5})
	res.Decode(t, &struct{}{})
	if r.State != "RATED" || *r.Rating != 5 || *r.RatingComment != "处理得很快" {
		t.Fatalf("rated: %+v", r)
	}
	if _, res := e.reportStep(courier, mRate, map[string]any{"id": id, "r": 1}); res.Code() != "INVALID_STATE" {
		t.Fatalf("rating twice: %+v", res.Errors)
	}
	r, res = e.reportStep(staff, mRateDept, map[string]any{"id": id, "r": 4})
	res.Decode(t, &struct{}{})
	if *r.DepartmentRating != 4 {
		t.Fatalf("department rated: %+v", r)
	}
	if _, res := e.reportStep(staff, mRateDept, map[string]any{"id": id, "r": 4}); res.Code() != "CONFLICT" {
		t.Fatalf("rating the department twice: %+v", res.Errors)
	}

	// Every step is on record, timed, with who took it, as the staff see it.
	r, _ = e.report(staff, id)
	want := []struct {
		action, to, actor string
		after             time.Duration
	}{
		{"REPORT", "REPORTED", "快递员小马", 0},
		{"ACCEPT", "ACCEPTED", "王丽", 2 * time.Hour},
		{"ESCALATE", "ESCALATED", "王丽", 26 * time.Hour},
		{"WHISTLE", "WHISTLED", "陈静", 29 * time.Hour},
		{"REPORT_IN", "HANDLING", "城管李队", 34 * time.Hour},
		{"PROGRESS", "HANDLING", "城管李队", 54 * time.Hour},
		{"RESOLVE", "RESOLVED", "城管李队", 74 * time.Hour},
		{"RATE", "RATED", "快递员小马", 75 * time.Hour},
		{"RATE_DEPARTMENT", "RATED", "陈静", 75 * time.Hour},
	}
	if len(r.Timeline) != len(want) {
		t.Fatalf("timeline: %+v", r.Timeline)
	}
	for i, w := range want {
		got := r.Timeline[i]
		if got.Action != w.action || got.ToState != w.to || got.ActorName != w.actor || !got.At.Equal(reportedAt.Add(w.after)) {
			t.Fatalf("step %d: got %+v, want %+v", i, got, w)
		}
	}
	// The courier still sees only their own report, now rated.
	if ids := e.reportIDs(courier, nil); len(ids) != 1 || ids[0] != id {
		t.Fatalf("courier's reports at the end: %v", ids)
	}
}

func TestReportSettledInGridAndByCommunity(t *testing.T) {
	e := newEnv(t)
	building := e.placeAt("和平花园小区", "第一网格", "1号楼")
	resident, grid, staff := e.login(phoneResident), e.login(phoneGridWorker), e.login(phoneStaff)

	small := e.submitReport(resident, building, "FACILITY", "楼道灯不亮")
	e.reportStep(grid, mAccept, map[string]any{"id": small})
	r, res := e.reportStep(grid, mSettle, map[string]any{"id": small, "n": "已换灯泡"})
	res.Decode(t, &struct{}{})
	if r.State != "RESOLVED" || *r.SettledLevel != "GRID" {
		t.Fatalf("settled in the grid: %+v", r)
	}

	big := e.submitReport(resident, building, "DISPUTE", "楼上装修噪音，协商无果")
	e.reportStep(grid, mAccept, map[string]any{"id": big})
	e.reportStep(grid, mEscalate, map[string]any{"id": big, "n": "需要社区调解"})
	// An escalated report is the community's: the grid worker no longer settles it.
	if _, res := e.reportStep(grid, mSettle, map[string]any{"id": big, "n": "调解好了"}); res.Code() != "FORBIDDEN" {
		t.Fatalf("grid worker settling an escalated report: %+v", res.Errors)
	}
	r, res = e.reportStep(staff, mSettle, map[string]any{"id": big, "n": "社区组织双方调解，约定施工时间"})
	res.Decode(t, &struct{}{})
	if r.State != "RESOLVED" || *r.SettledLevel != "COMMUNITY" || r.DepartmentOnTime != nil {
		t.Fatalf("settled by the community: %+v", r)
	}
	// Bad input is refused and changes nothing.
	for _, in := range []map[string]any{
		{"placeId": building, "category": "OTHER", "description": ""},
		{"placeId": building, "category": "OTHER", "description": "x", "photoUrls": []string{"javascript:alert(1)"}},
		{"placeId": e.placeID("和平社区"), "category": "OTHER", "description": "社区里有问题"},
	} {
		res := e.do(resident, `mutation($in: SubmitReportInput!) { submitReport(input: $in) { id } }`, map[string]any{"in": in})
		res.wantCode(t, "INVALID_INPUT")
	}
	if n := e.sqlInt(`SELECT count(*) FROM reports`); n != 2 {
		t.Fatalf("%d reports after refused ones, want 2", n)
	}
	// 光明社区's staff cannot report about 和平社区's buildings.
	res = e.do(e.login(phoneStaffGuangming), `mutation($in: SubmitReportInput!) { submitReport(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"placeId": building, "category": "OTHER", "description": "看到的问题"}})
	res.wantCode(t, "FORBIDDEN")
}

type overdueOut struct {
	OverdueReports []struct {
		Reason string
		Since  time.Time
		Report struct{ ID string }
	}
}

func (e *env) overdue(token string) map[string]string {
	e.t.Helper()
	var out overdueOut
	e.do(token, `{ overdueReports { reason since report { id } } }`, nil).Decode(e.t, &out)
	m := map[string]string{}
	for _, o := range out.OverdueReports {
		m[o.Report.ID] = o.Reason
	}
	return m
}

func TestReportOverdueSeenByLevelAbove(t *testing.T) {
	e := newEnv(t)
	building := e.placeAt("和平花园小区", "第一网格", "1号楼")
	resident, grid, staff := e.login(phoneResident), e.login(phoneGridWorker), e.login(phoneStaff)
	subdistrict := e.newAccountWithRole("13900000011", "街道网格中心老钱", "STAFF", e.placeID("幸福街道"))
	urban, urbanToken := e.newDepartment("幸福街道城管执法队", "URBAN_MANAGEMENT", "13900000012", "城管李队")

	unanswered := e.submitReport(resident, building, "FACILITY", "小区健身器材松动")
	late := e.submitReport(resident, building, "FIRE_SAFETY", "楼道里有电动车充电")
	e.reportStep(grid, mAccept, map[string]any{"id": late})
	e.reportStep(grid, mEscalate, map[string]any{"id": late, "n": "屡劝不改，需要执法"})
	e.reportStep(staff, mWhistle, map[string]any{"id": late, "d": urban})

	// Within the times, nothing is overdue.
	e.clock.Advance(23 * time.Hour)
	if o := e.overdue(staff); len(o) != 0 {
		t.Fatalf("overdue too early: %v", o)
	}
	// Past 24 hours unaccepted: the community's staff see it, with since when.
	e.clock.Advance(2 * time.Hour)
	if o := e.overdue(staff); o[unanswered] != "NOT_ACCEPTED" || len(o) != 1 {
		t.Fatalf("community's overdue queue: %v", o)
	}
	var out overdueOut
	e.do(staff, `{ overdueReports { reason since report { id } } }`, nil).Decode(t, &out)
	if !out.OverdueReports[0].Since.Equal(testNow.Add(24 * time.Hour)) {
		t.Fatalf("overdue since %v", out.OverdueReports[0].Since)
	}
	// Fire safety gives the department 2 days: past them, the subdistrict sees it late,
	// and the community's staff do not (it is not theirs to chase).
	e.clock.Advance(24 * time.Hour)
	if o := e.overdue(subdistrict); o[late] != "DEPARTMENT_LATE" || o[unanswered] != "NOT_ACCEPTED" {
		t.Fatalf("subdistrict's overdue queue: %v", o)
	}
	if o := e.overdue(staff); o[late] != "" {
		t.Fatalf("community staff see the department's lateness: %v", o)
	}
	r, _ := e.report(urbanToken, late)
	if r.DepartmentOnTime == nil || *r.DepartmentOnTime {
		t.Fatalf("a department past its deadline is on time: %+v", r.DepartmentOnTime)
	}
	// Nobody else has the queue; 光明社区's staff do not see 和平社区's.
	e.do(grid, `{ overdueReports { reason } }`, nil).wantCode(t, "FORBIDDEN")
	e.do(urbanToken, `{ overdueReports { reason } }`, nil).wantCode(t, "FORBIDDEN")
	if o := e.overdue(e.login(phoneStaffGuangming)); len(o) != 0 {
		t.Fatalf("光明社区's staff see %v", o)
	}
	// Answered, it leaves the queue.
	e.reportStep(grid, mAccept, map[string]any{"id": unanswered})
	if o := e.overdue(staff); len(o) != 0 {
		t.Fatalf("after accepting: %v", o)
	}
}

func TestReportConcurrentAccept(t *testing.T) {
	e := newEnv(t)
	building := e.placeAt("和平花园小区", "第一网格", "1号楼")
	tokens := []string{e.login(phoneGridWorker), e.login(phoneStaff),
		e.newAccountWithRole("13900000021", "网格员二", "GRID_WORKER", e.placeAt("和平花园小区", "第一网格"))}
	id := e.submitReport(e.login(phoneResident), building, "ENVIRONMENT", "草坪上有垃圾")

	const n = 12
	codes := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = e.do(tokens[i%len(tokens)], `mutation($id: ID!) { acceptReport(reportId: $id) { state } }`,
				map[string]any{"id": id}).Code()
		}()
	}
	// Every accept queues behind a lock on the timeline: the first holds the report and
	// waits to record its step, the others wait for the report. Released only once all are
	// waiting, so that each one's check of the state races the others'.
	hold := e.holdLock("report_events")
	close(start)
	if got := e.waitLockWaiters(func(w int) bool { return w >= n }); got < n {
		hold.Rollback()
		t.Fatalf("%d of %d accepts waiting on the lock when the test's time ran out", got, n)
	}
	hold.Rollback()
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case "CONFLICT":
			conflict++
		default:
			t.Fatalf("unexpected code %q", c)
		}
	}
	if ok != 1 || conflict != n-1 {
		t.Fatalf("%d accepted, %d conflicts; want exactly one accept", ok, conflict)
	}
	if k := e.sqlInt(`SELECT count(*) FROM report_events WHERE action = 'accept'`); k != 1 {
		t.Fatalf("%d accept steps recorded", k)
	}
}

func TestReportStats(t *testing.T) {
	e := newEnv(t)
	e.store.Stats.MinGroup = 2
	building := e.placeAt("和平花园小区", "第一网格", "1号楼")
	courier := e.newAccountWithRole("13900000031", "快递员小马", "MOBILE_GRID_MEMBER", e.placeID("和平社区"))
	urban, urbanToken := e.newDepartment("幸福街道城管执法队", "URBAN_MANAGEMENT", "13900000032", "城管李队")
	grid, staff := e.login(phoneGridWorker), e.login(phoneStaff)

	small := e.submitReport(e.login(phoneResident), building, "FACILITY", "楼道灯不亮")
	big := e.submitReport(courier, building, "ILLEGAL_BUILDING", "楼顶有人搭建彩钢房")
	// One report in 光明社区, by one person: a group of one is withheld.
	e.submitReport(e.login(phoneStaffGuangming), e.placeAt("光明社区", "第一网格", "1号楼"), "OTHER", "路面有坑")
	e.clock.Advance(time.Hour)
	e.reportStep(grid, mAccept, map[string]any{"id": small})
	e.reportStep(grid, mAccept, map[string]any{"id": big})
	e.clock.Advance(2 * time.Hour)
	e.reportStep(grid, mSettle, map[string]any{"id": small, "n": "已换灯泡"})
	e.reportStep(grid, mEscalate, map[string]any{"id": big, "n": "需要执法"})
	e.reportStep(staff, mWhistle, map[string]any{"id": big, "d": urban})
	// Illegal building gives the department 15 days; it resolves on the 16th.
	e.clock.Advance(16 * 24 * time.Hour)
	e.reportStep(urbanToken, mReportIn, map[string]any{"id": big})
	e.reportStep(urbanToken, mResolve, map[string]any{"id": big, "n": "已拆除"})
	e.reportStep(staff, mRateDept, map[string]any{"id": big, "r": 2})

	const q = `{ reportStats(groupBy: { placeLevel: COMMUNITY }) {
		minGroupSize
		groups { place { name } suppressed reports open byCategory { category count } bySettledLevel { level count }
			timeToAccept { count medianHours p90Hours } timeToResolve { count medianHours p90Hours } rating { count average } }
		departments { department { name } whistled resolved onTime late overdue onTimeShare rating { count average } } } }`
	type counted struct {
		Category, Level string
		Count           int
	}
	type duration struct {
		Count                 int
		MedianHours, P90Hours *float64
	}
	var out struct {
		ReportStats struct {
			Groups []struct {
				Place                      struct{ Name string }
				Suppressed                 bool
				Reports, Open              *int
				ByCategory, BySettledLevel []counted
				TimeToAccept               *duration
				TimeToResolve              *duration
			}
			Departments []struct {
				Department                                struct{ Name string }
				Whistled, Resolved, OnTime, Late, Overdue int
				OnTimeShare                               *float64
				Rating                                    struct {
					Count   int
					Average *float64
				}
			}
		}
	}
	e.do(e.login(phoneAnalyst), q, nil).Decode(t, &out)
	gs := out.ReportStats.Groups
	if len(gs) != 2 || gs[0].Place.Name != "和平社区" || gs[1].Place.Name != "光明社区" {
		t.Fatalf("groups: %+v", gs)
	}
	heping, guangming := gs[0], gs[1]
	if !guangming.Suppressed || guangming.Reports != nil {
		t.Fatalf("a group of one reporter is shown: %+v", guangming)
	}
	if heping.Suppressed || *heping.Reports != 2 || *heping.Open != 0 {
		t.Fatalf("和平社区: %+v", heping)
	}
	levels := map[string]int{}
	for _, l := range heping.BySettledLevel {
		levels[l.Level] = l.Count
	}
	if levels["GRID"] != 1 || levels["COMMUNITY"] != 0 || levels["DEPARTMENT"] != 1 {
		t.Fatalf("by level: %+v", heping.BySettledLevel)
	}
	categories := map[string]int{}
	for _, c := range heping.ByCategory {
		categories[c.Category] = c.Count
	}
	if len(heping.ByCategory) != 7 || categories["FACILITY"] != 1 || categories["ILLEGAL_BUILDING"] != 1 {
		t.Fatalf("by category: %+v", heping.ByCategory)
	}
	// Accepted after 1 hour both; resolved after 3 hours and after 3 hours + 16 days.
	a, r := heping.TimeToAccept, heping.TimeToResolve
	if a.Count != 2 || *a.MedianHours != 1 || *a.P90Hours != 1 {
		t.Fatalf("time to accept: %+v", a)
	}
	long := 3 + 16*24.0
	if r.Count != 2 || *r.MedianHours != (3+long)/2 || *r.P90Hours != 3+0.9*(long-3) {
		t.Fatalf("time to resolve: %+v %v %v", r, *r.MedianHours, *r.P90Hours)
	}
	ds := out.ReportStats.Departments
	if len(ds) != 1 || ds[0].Department.Name != "幸福街道城管执法队" || ds[0].Whistled != 1 || ds[0].Late != 1 ||
		ds[0].OnTime != 0 || *ds[0].OnTimeShare != 0 || ds[0].Rating.Count != 1 || *ds[0].Rating.Average != 2 {
		t.Fatalf("departments: %+v", ds)
	}
	// Departments and couriers read no figures.
	e.do(urbanToken, q, nil).wantCode(t, "FORBIDDEN")
	e.do(courier, q, nil).wantCode(t, "FORBIDDEN")
}
