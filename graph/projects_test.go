package graph_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
	"linli/graph"
)

// Demo organisations' contacts (db/demo/orgs.go).
const (
	phoneUnitContact     = "13800000031" // 区住建委机关党支部, a paired unit of 和平社区
	phoneBarberContact   = "13800000033" // 老王理发店, a merchant
	phoneMarketContact   = "13800000034" // 惠民超市, a merchant
	phoneHelpersContact  = "13800000035" // 和平邻里互助团, a resident group
	orgUnit, orgBarber   = "区住建委机关党支部", "老王理发店"
	orgMarket, orgHelper = "惠民超市", "和平邻里互助团"
)

const (
	qCandidates = `query($id: ID!) { needCandidates(needId: $id) { organisation { id name } resource { title } score reason } }`
	qPropose    = `mutation($in: ProposeNeedInput!) { p: proposeNeed(input: $in) { id state organisation { name } need { id state } } }`
	qAcceptP    = `mutation($id: ID!) { p: acceptProposal(proposalId: $id) { id state project { id state organisations { name } } } }`
	qDeclineP   = `mutation($id: ID!, $r: String!) { p: declineProposal(proposalId: $id, reason: $r) { id state declineReason } }`
	qMyP        = `query { myProposals(pending: true) { totalCount nodes { id state goal organisation { name } need { title } } } }`
	qProjects   = `query { projects { totalCount nodes { id title state organisations { name } } } }`
	qProject    = `query($id: ID!) { p: node(id: $id) { ... on Project { id title goal state late result
		organisations { name } milestones { id title doneNote late } people { name } reports { body hours }
		rating { count average distribution } myRating need { id state timeline { action reason } } } } }`
	qMilestone     = `mutation($id: ID!, $t: String!, $d: Time!) { m: addMilestone(projectId: $id, title: $t, dueAt: $d) { id title } }`
	qDoneMilestone = `mutation($id: ID!, $n: String!) { m: completeMilestone(milestoneId: $id, note: $n) { id doneNote } }`
	qAddPerson     = `mutation($id: ID!, $a: ID!) { p: addProjectPerson(projectId: $id, accountId: $a) { id people { name } } }`
	qReportP       = `mutation($id: ID!, $b: String!, $h: Float) { r: reportProject(projectId: $id, body: $b, hours: $h) { body hours } }`
	qCompleteP     = `mutation($id: ID!, $r: String!) { p: completeProject(projectId: $id, result: $r) { id state result } }`
	qRateP         = `mutation($id: ID!, $s: Int!) { p: rateProject(projectId: $id, score: $s) { rating { count average } myRating } }`
)

type projectOut struct {
	ID, Title, Goal, State string
	Late                   bool
	Result                 *string
	Organisations          []struct{ Name string }
	Milestones             []struct {
		ID, Title string
		DoneNote  *string
		Late      bool
	}
	People  []struct{ Name string }
	Reports []struct {
		Body  string
		Hours float64
	}
	Rating struct {
		Count   int
		Average *float64
	}
	MyRating *int
	Need     *struct {
		ID, State string
		Timeline  []struct {
			Action string
			Reason *string
		}
	}
}

// newEnvWithOrgs is newEnv with the demo's organisations, their contacts and offers, which
// the demo loads with its wish board.
func newEnvWithOrgs(t *testing.T) *env {
	t.Helper()
	d, _ := dbtest.New(t)
	e := serve(t, d)
	if _, err := demo.LoadParts(t.Context(), e.store, true, false); err != nil {
		t.Fatalf("loading demo data: %v", err)
	}
	return e
}

func (e *env) orgID(name string) string {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM organisations WHERE name = $1`, name); err != nil {
		e.t.Fatalf("organisation %q: %v", name, err)
	}
	return graph.GlobalID("Organisation", id)
}

func (e *env) propose(token, need, org string) *response {
	e.t.Helper()
	return e.do(token, qPropose, map[string]any{"in": map[string]any{"needId": need, "organisationId": org,
		"goal": "为楼里的老人解决问题", "dueAt": e.clock.Now().Add(60 * 24 * time.Hour).Format(time.RFC3339), "budgetFen": 500000}})
}

type proposalOut struct {
	ID, State     string
	DeclineReason *string
	Organisation  struct{ Name string }
	Need          struct{ ID, State string }
	Project       *struct {
		ID, State     string
		Organisations []struct{ Name string }
	}
}

func mustProposal(t *testing.T, r *response) proposalOut {
	t.Helper()
	var out struct{ P *proposalOut }
	r.Decode(t, &out)
	if out.P == nil {
		t.Fatal("got no proposal, want one")
	}
	return *out.P
}

func (e *env) project(token, id string) *projectOut {
	e.t.Helper()
	var out struct{ P *projectOut }
	e.do(token, qProject, map[string]any{"id": id}).Decode(e.t, &out)
	return out.P
}

// TestProjectPath follows a need from a large wish and one from a topic through matching to
// an organisation's accepted project, its milestones and completion and the residents'
// rating, checking rights at each step.
func TestProjectPath(t *testing.T) {
	t.Parallel()
	e := newEnvWithOrgs(t)
	staff, resident := e.login(phoneStaff), e.login(phoneResident)
	unit, barber, market := e.login(phoneUnitContact), e.login(phoneBarberContact), e.login(phoneMarketContact)
	need, _ := e.needFromWish("楼里独居老人需要理发和助餐")
	fromTopic := e.needFromTopic("小区绿化带荒废")

	// Matching: staff see candidates ranked with reasons; organisations do not.
	var cands struct {
		NeedCandidates []struct {
			Organisation struct{ ID, Name string }
			Resource     *struct{ Title string }
			Score        int
			Reason       string
		}
	}
	e.do(staff, qCandidates, map[string]any{"id": need.ID}).Decode(t, &cands)
	cs := cands.NeedCandidates
	if len(cs) < 3 || cs[0].Resource == nil || cs[len(cs)-1].Resource != nil || cs[0].Reason == "" || cs[0].Score <= cs[len(cs)-1].Score {
		t.Fatalf("candidates: got %+v, want offers in the need's category first, with reasons", cs)
	}
	for _, c := range cs {
		if c.Organisation.Name == orgBarber && (c.Resource == nil || c.Resource.Title != "老人义剪") {
			t.Fatalf("老王理发店: got %+v, want its 老人义剪 offer", c)
		}
	}
	if c := e.do(barber, qCandidates, map[string]any{"id": need.ID}).Code(); c != db.EFORBIDDEN && c != db.ENOTFOUND {
		t.Fatalf("a merchant asking for candidates: got %q, want FORBIDDEN or NOT_FOUND", c)
	}

	// Staff propose to a merchant and to the paired unit; the merchant proposes nothing.
	e.propose(barber, need.ID, e.orgID(orgBarber)).wantCode(t, db.ENOTFOUND)
	toBarber := mustProposal(t, e.propose(staff, need.ID, e.orgID(orgBarber)))
	if toBarber.State != "PENDING" || toBarber.Need.State != "MATCHING" {
		t.Fatalf("proposed: got %+v, want PENDING and the need MATCHING", toBarber)
	}
	e.propose(staff, need.ID, e.orgID(orgBarber)).wantCode(t, db.ECONFLICT)
	toUnit := mustProposal(t, e.propose(staff, need.ID, e.orgID(orgUnit)))

	// A merchant sees only what was put to it (and waits for its answer: the demo's
	// declined proposal is answered).
	var mine struct {
		MyProposals struct {
			TotalCount int
			Nodes      []struct {
				ID           string
				Organisation struct{ Name string }
				Need         struct{ Title string }
			}
		}
	}
	e.do(barber, qMyP, nil).Decode(t, &mine)
	if mine.MyProposals.TotalCount != 1 || mine.MyProposals.Nodes[0].ID != toBarber.ID || mine.MyProposals.Nodes[0].Need.Title != need.Title {
		t.Fatalf("老王理发店's proposals: got %+v, want only its own, with the need", mine.MyProposals)
	}
	e.do(market, qMyP, nil).Decode(t, &mine)
	if mine.MyProposals.TotalCount != 0 {
		t.Fatalf("惠民超市 sees %d proposals, want 0", mine.MyProposals.TotalCount)
	}
	e.do(market, qAcceptP, map[string]any{"id": toBarber.ID}).wantCode(t, db.ENOTFOUND)
	e.do(unit, qAcceptP, map[string]any{"id": toBarber.ID}).wantCode(t, db.ENOTFOUND)

	// The merchant declines with a reason; the unit accepts and the project starts.
	r := e.do(barber, qDeclineP, map[string]any{"id": toBarber.ID, "r": " "})
	if r.Code() != db.EINVALID || r.Field() != "reason" {
		t.Fatalf("blank reason: got %s (%s), want INVALID_INPUT (reason)", r.Code(), r.Field())
	}
	declined := mustProposal(t, e.do(barber, qDeclineP, map[string]any{"id": toBarber.ID, "r": "店里人手不够，只能周一上门"}))
	if declined.State != "DECLINED" || str(declined.DeclineReason) != "店里人手不够，只能周一上门" {
		t.Fatalf("declined: got %+v", declined)
	}
	e.do(barber, qAcceptP, map[string]any{"id": toBarber.ID}).wantCode(t, db.EINVALIDSTATE)
	accepted := mustProposal(t, e.do(unit, qAcceptP, map[string]any{"id": toUnit.ID}))
	if accepted.State != "ACCEPTED" || accepted.Project == nil || accepted.Project.State != "RUNNING" ||
		len(accepted.Project.Organisations) != 1 || accepted.Project.Organisations[0].Name != orgUnit {
		t.Fatalf("accepted: got %+v, want a RUNNING project of %s", accepted, orgUnit)
	}
	pid := accepted.Project.ID

	// The merchant neither sees nor changes the unit's project.
	var list struct {
		Projects struct {
			TotalCount int
			Nodes      []struct{ ID string }
		}
	}
	e.do(barber, qProjects, nil).Decode(t, &list)
	if list.Projects.TotalCount != 0 || e.project(barber, pid) != nil {
		t.Fatalf("老王理发店 sees %d projects, want none", list.Projects.TotalCount)
	}
	due := e.clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)
	e.do(barber, qMilestone, map[string]any{"id": pid, "t": "采购", "d": due}).wantCode(t, db.ENOTFOUND)

	// The unit runs it: milestones, people, progress, completion.
	var m struct{ M struct{ ID string } }
	e.do(unit, qMilestone, map[string]any{"id": pid, "t": "联系理发师和助餐点", "d": due}).Decode(t, &m)
	e.do(unit, qCompleteP, map[string]any{"id": pid, "r": "完成"}).wantCode(t, db.EINVALIDSTATE)
	e.do(unit, qAddPerson, map[string]any{"id": pid, "a": e.accountID(phoneBarberContact)}).wantCode(t, db.EINVALID)
	var withPeople struct {
		P struct{ People []struct{ Name string } }
	}
	e.do(unit, qAddPerson, map[string]any{"id": pid, "a": e.accountID(phoneUnitContact)}).Decode(t, &withPeople)
	if len(withPeople.P.People) != 1 {
		t.Fatalf("people: got %+v, want the unit's contact", withPeople.P.People)
	}
	e.do(unit, qReportP, map[string]any{"id": pid, "b": "第一次上门理发 12 人", "h": 3.5}).Decode(t, &struct{}{})
	e.do(unit, qReportP, map[string]any{"id": pid, "b": "x", "h": -1}).wantCode(t, db.EINVALID)
	e.do(unit, qDoneMilestone, map[string]any{"id": m.M.ID, "n": "已和两家助餐点签约"}).Decode(t, &struct{}{})
	e.do(unit, qDoneMilestone, map[string]any{"id": m.M.ID, "n": "再完成一次"}).wantCode(t, db.EINVALIDSTATE)

	// Residents rate only once it is completed, once each.
	e.do(resident, qRateP, map[string]any{"id": pid, "s": 5}).wantCode(t, db.EINVALIDSTATE)
	e.do(unit, qCompleteP, map[string]any{"id": pid, "r": "每周二上门理发、每天助餐，已服务 40 位老人"}).Decode(t, &struct{}{})
	e.do(unit, qMilestone, map[string]any{"id": pid, "t": "再加一步", "d": due}).wantCode(t, db.EINVALIDSTATE)
	e.do(resident, qRateP, map[string]any{"id": pid, "s": 0}).wantCode(t, db.EINVALID)
	e.do(resident, qRateP, map[string]any{"id": pid, "s": 5}).Decode(t, &struct{}{})
	e.do(resident, qRateP, map[string]any{"id": pid, "s": 4}).wantCode(t, db.ECONFLICT)
	e.do(e.login(phoneStaffGuangming), qRateP, map[string]any{"id": pid, "s": 1}).wantCode(t, db.ENOTFOUND)

	// The resident reads the published result; staff read the whole record.
	p := e.project(resident, pid)
	if p == nil || p.State != "COMPLETED" || str(p.Result) == "" || p.Rating.Count != 1 || p.Rating.Average == nil ||
		*p.Rating.Average != 5 || p.MyRating == nil || *p.MyRating != 5 || p.Need != nil {
		t.Fatalf("resident's view: got %+v, want COMPLETED with its result and one rating of 5, no need", p)
	}
	p = e.project(staff, pid)
	if p.Need == nil || p.Need.State != "PROJECT" || len(p.Milestones) != 1 || str(p.Milestones[0].DoneNote) == "" ||
		len(p.Reports) != 1 || p.Reports[0].Hours != 3.5 {
		t.Fatalf("staff's view: got %+v", p)
	}
	var steps []string
	for _, s := range p.Need.Timeline {
		steps = append(steps, s.Action)
	}
	if want := []string{"CREATE", "PROPOSE", "PROPOSE", "DECLINE", "ACCEPT"}; !slices.Equal(steps, want) {
		t.Fatalf("need timeline: got %v, want %v", steps, want)
	}

	// The unit's contact reads its members' project work in the unit's service records
	// (报到反馈): the project, the report and its hours, and nothing about the residents.
	e.projectServiceReadable(unit, e.orgID(orgUnit), "孟建国", 1, 210)

	// The topic's need, proposed to the merchant and declined, goes back to OPEN.
	pr := mustProposal(t, e.propose(staff, fromTopic.ID, e.orgID(orgMarket)))
	mustProposal(t, e.do(market, qDeclineP, map[string]any{"id": pr.ID, "r": "超市不做绿化"}))
	if n := mustNeed(t, e.do(staff, qNeedNode, map[string]any{"id": fromTopic.ID})); n.State != "OPEN" {
		t.Fatalf("need after its only proposal was declined: got %s, want OPEN", n.State)
	}
}

// TestProjectAcceptRace: organisations accepting one need at the same moment start exactly
// one project, and all of them are on it.
func TestProjectAcceptRace(t *testing.T) {
	t.Parallel()
	e := newEnvWithOrgs(t)
	staff := e.login(phoneStaff)
	contacts := []string{e.login(phoneUnitContact), e.login(phoneBarberContact), e.login(phoneMarketContact), e.login(phoneHelpersContact)}
	orgs := []string{e.orgID(orgUnit), e.orgID(orgBarber), e.orgID(orgMarket), e.orgID(orgHelper)}
	const needs = 4
	// The demo has a project of its own, with its organisation.
	projects0, organisations0 := e.count(`SELECT count(*) FROM projects`), e.count(`SELECT count(*) FROM project_organisations`)
	matched0 := e.count(`SELECT count(*) FROM needs WHERE state = 'project' AND matched_at IS NOT NULL`)
	var proposals [needs][]string
	for i := range needs {
		n, _ := e.needFromWish("楼道改造" + string(rune('A'+i)))
		for _, o := range orgs {
			proposals[i] = append(proposals[i], mustProposal(t, e.propose(staff, n.ID, o)).ID)
		}
	}
	var wg sync.WaitGroup
	codes := make(chan string, needs*len(orgs))
	for i := range needs {
		for j, c := range contacts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes <- e.do(c, qAcceptP, map[string]any{"id": proposals[i][j]}).Code()
			}()
		}
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != "" {
			t.Fatalf("an acceptance failed with %s, want every one to succeed", c)
		}
	}
	if n := e.count(`SELECT count(*) FROM projects`) - projects0; n != needs {
		t.Fatalf("projects: got %d, want %d (one per need)", n, needs)
	}
	if n := e.count(`SELECT count(*) FROM project_organisations`) - organisations0; n != needs*len(orgs) {
		t.Fatalf("organisations on projects: got %d, want %d", n, needs*len(orgs))
	}
	if n := e.count(`SELECT count(*) FROM needs WHERE state = 'project' AND matched_at IS NOT NULL`) - matched0; n != needs {
		t.Fatalf("needs matched: got %d, want %d", n, needs)
	}
}

// projectServiceReadable checks that token, a contact of org, reads this month's project
// service in org's serviceSummary: reporter's reports and minutes, the month's totals
// adding up over its members (the demo's project has a report of its own), and no
// resident's name, phone or home in the answer.
func (e *env) projectServiceReadable(token, org, reporter string, reports, minutes int) {
	e.t.Helper()
	const q = `query($id: ID!, $y: Int!) { organisation(id: $id) { serviceSummary(year: $y) {
		month members projects projectReports projectMinutes
		people { projectReports projectMinutes member { name phone } } } } }`
	now := e.clock.Now().In(time.FixedZone("CST", 8*3600))
	r := e.do(token, q, map[string]any{"id": org, "y": now.Year()})
	var out struct {
		Organisation struct {
			ServiceSummary []struct {
				Month                                             string
				Members, Projects, ProjectReports, ProjectMinutes int
				People                                            []struct {
					ProjectReports, ProjectMinutes int
					Member                         struct{ Name string }
				}
			}
		}
	}
	r.Decode(e.t, &out)
	i := -1
	for j, m := range out.Organisation.ServiceSummary {
		if m.Month == now.Format("2006-01") {
			i = j
		}
	}
	m := out.Organisation.ServiceSummary[i]
	var found bool
	var sumReports, sumMinutes int
	for _, p := range m.People {
		sumReports, sumMinutes = sumReports+p.ProjectReports, sumMinutes+p.ProjectMinutes
		if p.Member.Name == reporter {
			found = true
			if p.ProjectReports != reports || p.ProjectMinutes != minutes {
				e.t.Fatalf("%s's project service: got %+v, want %d reports, %d minutes", reporter, p, reports, minutes)
			}
		}
	}
	if !found || m.Members != len(m.People) || m.Projects < 1 || m.ProjectReports != sumReports || m.ProjectMinutes != sumMinutes {
		e.t.Fatalf("service month: got %+v, want %s among its members, every member listed, the totals their sums", m, reporter)
	}
	var who struct {
		Name, Phone, Building, Room string
	}
	if err := e.db.Get(&who, `SELECT r.name AS name, r.phone AS phone, b.name AS building, h.room AS room FROM residents r
		JOIN accounts a ON a.id = r.account_id JOIN places h ON h.id = r.household_id JOIN places b ON b.id = h.parent_id
		WHERE a.phone = $1`, phoneResident); err != nil {
		e.t.Fatal(err)
	}
	for _, secret := range []string{who.Name, who.Phone, phoneResident, who.Building, who.Room} {
		if strings.Contains(string(r.Data), secret) {
			e.t.Errorf("the contact reads %q in %s", secret, r.Data)
		}
	}
}
