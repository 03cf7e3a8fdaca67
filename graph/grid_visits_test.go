package graph_test

import (
	"sync"
	"testing"
	"time"

	"linli/db"
	"linli/graph"
)

// vulnerable returns a household of 和平花园小区 / 第一网格 with a current resident tagged tag,
// and that resident, as global IDs.
func (e *env) vulnerable(tag string, skip int) (household, resident string) {
	e.t.Helper()
	grid := e.placeKey("和平花园小区", "第一网格")
	var row struct {
		H int64 `db:"h"`
		R int64 `db:"r"`
	}
	if err := e.db.Get(&row, `SELECT h.id AS h, min(r.id) AS r FROM residents r JOIN places h ON h.id = r.household_id
		WHERE h.path @> ARRAY[$1::bigint] AND $2 = ANY(r.tags) AND r.left_on IS NULL
		GROUP BY h.id ORDER BY h.id OFFSET $3 LIMIT 1`, grid, tag, skip); err != nil {
		e.t.Fatalf("a household tagged %s: %v", tag, err)
	}
	return graph.GlobalID("Place", row.H), graph.GlobalID("Resident", row.R)
}

const qRecordVisit = `mutation($in: RecordVisitInput!) { recordVisit(input: $in) { id visitedAt findings followUpNeeded followUp needCategory
	households { id } residentsMet { id } } }`

type visitOut struct {
	ID             string
	VisitedAt      time.Time
	Findings       string
	FollowUpNeeded bool
	FollowUp       *string
	NeedCategory   *string
	Households     []struct{ ID string }
	ResidentsMet   []struct{ ID string }
	Wishes         []struct{ ID string }
}

// recordVisit records a visit to households as token, at, and returns it.
func (e *env) recordVisit(token string, at time.Time, households ...string) visitOut {
	e.t.Helper()
	var out struct{ RecordVisit visitOut }
	e.do(token, qRecordVisit, map[string]any{"in": map[string]any{"householdIds": households, "visitedAt": at,
		"findings": "老人精神不错，说厨房水龙头漏水，想找人修一下。", "followUpNeeded": true, "followUp": "联系志愿者修水龙头",
		"needCategory": "REPAIR"}}).Decode(e.t, &out)
	return out.RecordVisit
}

const qAssign = `mutation($h: ID!, $a: ID!, $s: Date) { assignCare(householdId: $h, accountId: $a, since: $s) { id role since until
	account { id name } household { id } } }`

type dueOut struct {
	VisitsDue []struct {
		Household     struct{ ID string }
		Tags          []string
		EveryDays     int
		LastVisitedAt *time.Time
		DueOn         *string
		DaysOverdue   *int
	}
}

const qDue = `query($p: ID!) { visitsDue(placeId: $p) { household { id } tags everyDays lastVisitedAt dueOn daysOverdue } }`

// Done when (issue 17): an elderly person living alone whose visit is overdue appears in the
// grid worker's queue and gets a reminder (once), a visit turns into a wish linked both
// ways, and the figures count it.
func TestVisitOverdueQueueReminderAndWish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid, party := e.login(phoneStaff), e.login(phoneGridWorker), e.login(phonePartyMember)
	h, r := e.vulnerable("elderly_alone", 0)

	// The party member 刘洋 looks after the household.
	var a struct {
		AssignCare struct {
			ID, Role string
			Account  struct{ ID, Name string }
		}
	}
	e.do(staff, qAssign, map[string]any{"h": h, "a": e.accountID(phonePartyMember)}).Decode(t, &a)
	if a.AssignCare.Role != "PARTY_MEMBER" || a.AssignCare.Account.Name != "刘洋" {
		t.Fatalf("assignment: got %+v, want 刘洋 as a party member", a.AssignCare)
	}

	// Visited ten days ago; elderly people living alone are visited every 7 days by default.
	visit := e.recordVisit(grid, testNow.Add(-10*24*time.Hour), h)
	var due dueOut
	e.do(grid, qDue, map[string]any{"p": e.placeAt("和平花园小区", "第一网格")}).Decode(t, &due)
	found := false
	for _, d := range due.VisitsDue {
		if d.Household.ID == h {
			found = true
			if d.EveryDays != 7 || d.DaysOverdue == nil || *d.DaysOverdue != 3 || d.DueOn == nil || *d.DueOn != "2026-11-20" {
				t.Fatalf("queue entry: got %+v, want every 7 days, due 2026-11-20, 3 days overdue", d)
			}
		}
	}
	if !found {
		t.Fatalf("queue: household %s missing from %+v", h, due.VisitsDue)
	}

	// The reminder: to the grid worker and to 刘洋, once however often the pass runs.
	e.remindAll(3)
	for _, tok := range []string{grid, party} {
		var in struct {
			Notifications struct {
				Nodes []struct {
					Kind, Title, Body string
					HouseholdID       *string
					VisitDueOn        *string
				}
			}
		}
		e.do(tok, `{ notifications(first: 100) { nodes { kind title body householdId visitDueOn } } }`, nil).Decode(t, &in)
		var got int
		for _, n := range in.Notifications.Nodes {
			if n.Kind == "VISIT_OVERDUE" && n.HouseholdID != nil && *n.HouseholdID == h {
				got++
				if n.VisitDueOn == nil || *n.VisitDueOn != "2026-11-20" || n.Title != "入户走访已逾期" {
					t.Fatalf("reminder: got %+v, want due 2026-11-20", n)
				}
			}
		}
		if got != 1 {
			t.Fatalf("VISIT_OVERDUE reminders for the household: got %d, want 1", got)
		}
	}

	// The visit turns into a wish (代办), linked both ways.
	var w struct {
		SubmitWishFromVisit struct {
			ID    string
			Visit *struct{ ID string }
		}
	}
	e.do(grid, `mutation($v: ID!, $in: SubmitWishInput!) { submitWishFromVisit(visitId: $v, input: $in) { id visit { id } } }`,
		map[string]any{"v": visit.ID, "in": map[string]any{"beneficiaryId": r, "category": "REPAIR", "title": "修厨房水龙头",
			"description": "走访时发现厨房水龙头漏水，老人独居，需要志愿者上门修理。", "deadline": testNow.Add(7 * 24 * time.Hour)}}).Decode(t, &w)
	if w.SubmitWishFromVisit.Visit == nil || w.SubmitWishFromVisit.Visit.ID != visit.ID {
		t.Fatalf("wish.visit: got %+v, want %s", w.SubmitWishFromVisit.Visit, visit.ID)
	}
	var n struct {
		Node struct{ Wishes []struct{ ID string } }
	}
	e.do(grid, `query($id: ID!) { node(id: $id) { ... on Visit { wishes { id } } } }`, map[string]any{"id": visit.ID}).Decode(t, &n)
	if len(n.Node.Wishes) != 1 || n.Node.Wishes[0].ID != w.SubmitWishFromVisit.ID {
		t.Fatalf("visit.wishes: got %+v, want the wish %s", n.Node.Wishes, w.SubmitWishFromVisit.ID)
	}

	// A visit today takes the household off the queue; the next period may remind again.
	e.recordVisit(party, testNow.Add(-time.Hour), h)
	e.do(grid, qDue, map[string]any{"p": e.placeAt("和平花园小区", "第一网格")}).Decode(t, &due)
	for _, d := range due.VisitsDue {
		if d.Household.ID == h {
			t.Fatalf("queue after today's visit: household still listed: %+v", d)
		}
	}
}

// The queue follows the community's rhythm, which only its staff set.
func TestVisitRhythm(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid := e.login(phoneStaff), e.login(phoneGridWorker)
	community := e.placeID("和平社区")
	h, _ := e.vulnerable("elderly_alone", 0)
	e.recordVisit(grid, testNow.Add(-5*24*time.Hour), h)
	inQueue := func() bool {
		var due dueOut
		e.do(grid, qDue, map[string]any{"p": e.placeAt("和平花园小区", "第一网格")}).Decode(t, &due)
		for _, d := range due.VisitsDue {
			if d.Household.ID == h {
				return true
			}
		}
		return false
	}
	if inQueue() {
		t.Fatal("visited 5 days ago, every 7 days: got in the queue, want not")
	}
	const q = `mutation($c: ID!, $t: ResidentTag!, $d: Int!) { setVisitRhythm(communityId: $c, tag: $t, everyDays: $d) { tag everyDays isDefault } }`
	e.do(grid, q, map[string]any{"c": community, "t": "ELDERLY_ALONE", "d": 3}).wantCode(t, db.EFORBIDDEN)
	e.do(e.login(phoneStaffGuangming), q, map[string]any{"c": community, "t": "ELDERLY_ALONE", "d": 3}).wantCode(t, db.EFORBIDDEN)
	e.do(staff, q, map[string]any{"c": community, "t": "ELDERLY_ALONE", "d": 0}).wantCode(t, db.EINVALID)
	e.do(staff, q, map[string]any{"c": community, "t": "VETERAN", "d": 3}).wantCode(t, db.EINVALID)
	e.do(staff, q, map[string]any{"c": e.placeAt("和平花园小区", "第一网格"), "t": "ELDERLY_ALONE", "d": 3}).wantCode(t, db.EINVALID)
	if inQueue() {
		t.Fatal("refused changes changed the rhythm")
	}
	var out struct {
		SetVisitRhythm []struct {
			Tag       string
			EveryDays int
			IsDefault bool
		}
	}
	e.do(staff, q, map[string]any{"c": community, "t": "ELDERLY_ALONE", "d": 3}).Decode(t, &out)
	if r := out.SetVisitRhythm; len(r) != 3 || r[0].Tag != "ELDERLY_ALONE" || r[0].EveryDays != 3 || r[0].IsDefault ||
		r[1].EveryDays != 30 || !r[1].IsDefault || r[2].EveryDays != 14 {
		t.Fatalf("rhythms: got %+v, want elderly 3 (set), minimum income 30 and disabled 14 (defaults)", r)
	}
	if !inQueue() {
		t.Fatal("visited 5 days ago, every 3 days: got not in the queue, want in it")
	}
}

// Who may assign, what an assigned member sees, and bad input that changes nothing.
func TestCareAssignments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, party := e.login(phoneStaff), e.login(phonePartyMember)
	h, r := e.vulnerable("elderly_alone", 0)
	partyID := e.accountID(phonePartyMember)
	assignments := func() int64 { return e.sqlInt(`SELECT count(*) FROM care_assignments`) }

	for _, c := range []struct {
		name, token, household, account string
		since                           any
		code                            string
	}{
		{"grid worker", e.login(phoneGridWorker), h, partyID, nil, db.EFORBIDDEN},
		{"volunteer", e.login(phoneVolunteer), h, partyID, nil, db.EFORBIDDEN},
		{"staff of another community", e.login(phoneStaffGuangming), h, partyID, nil, db.EFORBIDDEN},
		{"analyst", e.login(phoneAnalyst), h, partyID, nil, db.EFORBIDDEN},
		{"nobody", "", h, partyID, nil, db.EUNAUTHENTICATED},
		{"not a household", staff, e.placeAt("和平花园小区", "第一网格"), partyID, nil, db.EINVALID},
		{"no caring role", staff, h, e.accountID(phoneResident), nil, db.EINVALID},
		{"caring role elsewhere", staff, h, e.accountID(phoneStaffGuangming), nil, db.EINVALID},
		{"since in the future", staff, h, partyID, "2026-12-01", db.EINVALID},
		{"bad id", staff, "nonsense", partyID, nil, db.EINVALID},
	} {
		res := e.do(c.token, qAssign, map[string]any{"h": c.household, "a": c.account, "s": c.since})
		if res.Code() != c.code {
			t.Fatalf("%s: got %q, want %q (%+v)", c.name, res.Code(), c.code, res.Errors)
		}
	}
	if n := assignments(); n != 0 {
		t.Fatalf("refused assignments: got %d rows, want 0", n)
	}

	// Before: the party member sees neither the household nor its people.
	const qHome = `query($h: ID!) { node(id: $h) { ... on Place { name careAssignments { account { name phone } residents { name phone phoneMasked } } } } }`
	var before struct{ Node *struct{ Name string } }
	e.do(party, qHome, map[string]any{"h": h}).Decode(t, &before)
	if before.Node != nil {
		t.Fatalf("household before assignment: got %+v, want null", before.Node)
	}

	// Two staff assigning the same person at once make one assignment.
	var wg sync.WaitGroup
	codes := make([]string, 8)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = e.do(staff, qAssign, map[string]any{"h": h, "a": partyID}).Code()
		}()
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case db.ECONFLICT:
		default:
			t.Fatalf("concurrent assignment: got code %q", c)
		}
	}
	if ok != 1 || assignments() != 1 {
		t.Fatalf("concurrent assignments: got %d successes and %d rows, want 1 and 1", ok, assignments())
	}

	// Now he sees the household, its residents' full names and phones (not their records).
	var home struct {
		Node *struct {
			Name            string
			CareAssignments []struct {
				Account   struct{ Name, Phone string }
				Residents []struct {
					Name        string
					Phone       *string
					PhoneMasked bool
				}
			}
		}
	}
	e.do(party, qHome, map[string]any{"h": h}).Decode(t, &home)
	if home.Node == nil || len(home.Node.CareAssignments) != 1 || len(home.Node.CareAssignments[0].Residents) == 0 {
		t.Fatalf("household after assignment: got %+v, want it with one assignment and its residents", home.Node)
	}
	var name string
	if err := e.db.Get(&name, `SELECT name FROM residents WHERE id = $1`, e.key(r)); err != nil {
		t.Fatal(err)
	}
	if got := home.Node.CareAssignments[0].Residents[0]; got.Name != name || got.PhoneMasked {
		t.Fatalf("resident as the party member sees them: got %+v, want %s unmasked", got, name)
	}
	var rec struct{ Node *struct{ ID string } }
	e.do(party, `query($r: ID!) { node(id: $r) { ... on Resident { id } } }`, map[string]any{"r": r}).Decode(t, &rec)
	if rec.Node != nil {
		t.Fatal("the party member opened the resident record; want null")
	}
	var mine struct {
		MyCareAssignments []struct{ Household *struct{ ID string } }
	}
	e.do(party, `{ myCareAssignments { household { id } } }`, nil).Decode(t, &mine)
	if len(mine.MyCareAssignments) != 1 || mine.MyCareAssignments[0].Household == nil || mine.MyCareAssignments[0].Household.ID != h {
		t.Fatalf("myCareAssignments: got %+v, want the household", mine.MyCareAssignments)
	}

	// The household is no longer listed among the vulnerable ones nobody looks after.
	const qUnassigned = `query($p: ID!) { unassignedVulnerableHouseholds(placeId: $p) { id } }`
	var un struct{ UnassignedVulnerableHouseholds []struct{ ID string } }
	e.do(staff, qUnassigned, map[string]any{"p": e.placeID("和平社区")}).Decode(t, &un)
	for _, p := range un.UnassignedVulnerableHouseholds {
		if p.ID == h {
			t.Fatal("an assigned household is listed as unassigned")
		}
	}
	other, _ := e.vulnerable("elderly_alone", 1)
	listed := false
	for _, p := range un.UnassignedVulnerableHouseholds {
		listed = listed || p.ID == other
	}
	if !listed {
		t.Fatalf("unassigned vulnerable households: %s missing", other)
	}
	e.do(e.login(phoneVolunteer), qUnassigned, map[string]any{"p": e.placeID("和平社区")}).wantCode(t, db.EFORBIDDEN)

	// Ending keeps the record and ends what he sees.
	var a struct{ MyCareAssignments []struct{ ID string } }
	e.do(party, `{ myCareAssignments { id } }`, nil).Decode(t, &a)
	const qEnd = `mutation($id: ID!) { endCareAssignment(id: $id) { until } }`
	e.do(party, qEnd, map[string]any{"id": a.MyCareAssignments[0].ID}).wantCode(t, db.EFORBIDDEN)
	var end struct{ EndCareAssignment struct{ Until *string } }
	e.do(staff, qEnd, map[string]any{"id": a.MyCareAssignments[0].ID}).Decode(t, &end)
	if end.EndCareAssignment.Until == nil {
		t.Fatal("ended assignment has no end date")
	}
	e.do(staff, qEnd, map[string]any{"id": a.MyCareAssignments[0].ID}).wantCode(t, db.EINVALIDSTATE)
	e.do(party, qHome, map[string]any{"h": h}).Decode(t, &before)
	if before.Node != nil || assignments() != 1 {
		t.Fatalf("after ending: got household %+v and %d rows, want null and the row kept", before.Node, assignments())
	}
}

// key returns the database id of a global ID.
func (e *env) key(id string) int64 {
	e.t.Helper()
	_, k, ok := graph.ParseGlobalID(id)
	if !ok {
		e.t.Fatalf("bad global id %q", id)
	}
	return k
}

// Visit notes are read by the grid's staff and grid worker and the author; nobody else, on
// any path: node(id), a household's visits, a wish's visit.
func TestVisitNotesPrivacy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid, party := e.login(phoneStaff), e.login(phoneGridWorker), e.login(phonePartyMember)
	h, r := e.vulnerable("elderly_alone", 0)
	e.do(staff, qAssign, map[string]any{"h": h, "a": e.accountID(phonePartyMember)}).Decode(t, &struct{}{})
	visit := e.recordVisit(grid, testNow.Add(-time.Hour), h)
	own := e.recordVisit(party, testNow.Add(-30*time.Minute), h)
	var w struct{ SubmitWishFromVisit struct{ ID string } }
	e.do(grid, `mutation($v: ID!, $in: SubmitWishInput!) { submitWishFromVisit(visitId: $v, input: $in) { id } }`,
		map[string]any{"v": visit.ID, "in": map[string]any{"beneficiaryId": r, "category": "REPAIR", "title": "修水龙头",
			"description": "厨房水龙头漏水。", "deadline": testNow.Add(7 * 24 * time.Hour), "placeId": e.placeID("和平社区")}}).Decode(t, &w)

	const qNode = `query($id: ID!) { node(id: $id) { ... on Visit { id findings } } }`
	const qHousehold = `query($h: ID!) { node(id: $h) { ... on Place { visits { id findings } } } }`
	const qWish = `query($w: ID!) { node(id: $w) { ... on Wish { visit { id findings } } } }`
	reads := func(token, visitID string) (node, viaHousehold, viaWish bool) {
		t.Helper()
		var n struct{ Node *struct{ ID string } }
		if res := e.do(token, qNode, map[string]any{"id": visitID}); len(res.Errors) == 0 {
			res.Decode(t, &n)
		}
		var hh struct {
			Node *struct{ Visits []struct{ ID string } }
		}
		if res := e.do(token, qHousehold, map[string]any{"h": h}); len(res.Errors) == 0 {
			res.Decode(t, &hh)
		}
		var ww struct {
			Node *struct{ Visit *struct{ ID string } }
		}
		if res := e.do(token, qWish, map[string]any{"w": w.SubmitWishFromVisit.ID}); len(res.Errors) == 0 {
			res.Decode(t, &ww)
		}
		if hh.Node != nil {
			for _, x := range hh.Node.Visits {
				viaHousehold = viaHousehold || x.ID == visitID
			}
		}
		return n.Node != nil, viaHousehold, ww.Node != nil && ww.Node.Visit != nil && ww.Node.Visit.ID == visitID
	}
	for _, c := range []struct {
		who   string
		token string
		read  bool
	}{
		{"grid worker", grid, true},
		{"staff", staff, true},
		{"assigned party member", party, false},
		{"building leader", e.login(phoneBuildingLeader), false},
		{"volunteer", e.login(phoneVolunteer), false},
		{"admin", e.login(phoneAdmin), false},
		{"analyst", e.login(phoneAnalyst), false},
		{"staff of another community", e.login(phoneStaffGuangming), false},
		{"nobody", "", false},
	} {
		node, household, wish := reads(c.token, visit.ID)
		if node != c.read || household != c.read || (wish && !c.read) {
			t.Fatalf("%s reading the grid worker's visit: got node %v, household %v, wish %v; want %v", c.who, node, household, wish, c.read)
		}
	}
	// The grid worker's wish path: the wish shows its visit to the grid worker.
	if _, _, wish := reads(grid, visit.ID); !wish {
		t.Fatal("grid worker: wish.visit missing")
	}
	// The party member reads his own visit, and the grid worker reads it too.
	for _, tok := range []string{party, grid, staff} {
		if node, household, _ := reads(tok, own.ID); !node || !household {
			t.Fatalf("own visit: got node %v, household %v, want both", node, household)
		}
	}
	if node, _, _ := reads(e.login(phoneBuildingLeader), own.ID); node {
		t.Fatal("building leader read the party member's visit")
	}
}

// Recording: who may, and bad input that records nothing.
func TestRecordVisitRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	grid, party := e.login(phoneGridWorker), e.login(phonePartyMember)
	h, r := e.vulnerable("elderly_alone", 0)
	h2, _ := e.vulnerable("elderly_alone", 1)
	var other int64
	if err := e.db.Get(&other, `SELECT h.id FROM places h WHERE h.level = 'household' AND h.path @> ARRAY[$1::bigint] ORDER BY h.id LIMIT 1`,
		e.placeKey("和平花园小区", "第二网格")); err != nil {
		t.Fatal(err)
	}
	otherGrid := graph.GlobalID("Place", other)
	var elsewhere int64
	if err := e.db.Get(&elsewhere, `SELECT r.id FROM residents r WHERE r.household_id = $1 LIMIT 1`, other); err != nil {
		t.Fatal(err)
	}
	visits := func() int64 { return e.sqlInt(`SELECT count(*) FROM visits`) }
	base := func(set map[string]any) map[string]any {
		in := map[string]any{"householdIds": []string{h}, "visitedAt": testNow.Add(-time.Hour), "findings": "一切正常", "followUpNeeded": false}
		for k, v := range set {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	for _, c := range []struct {
		name  string
		token string
		set   map[string]any
		code  string
	}{
		{"in the future", grid, map[string]any{"visitedAt": testNow.Add(time.Hour)}, db.EINVALID},
		{"long ago", grid, map[string]any{"visitedAt": testNow.AddDate(0, -6, 0)}, db.EINVALID},
		{"household of another grid (not there for them)", grid, map[string]any{"householdIds": []string{otherGrid}}, db.ENOTFOUND},
		{"two grids at once", e.login(phoneStaff), map[string]any{"householdIds": []string{h, otherGrid}}, db.EINVALID},
		{"not a household", grid, map[string]any{"householdIds": []string{e.placeAt("和平花园小区", "第一网格")}}, db.EINVALID},
		{"no household", grid, map[string]any{"householdIds": []string{}}, db.EINVALID},
		{"met someone living elsewhere", grid, map[string]any{"residentIds": []string{graph.GlobalID("Resident", elsewhere)}}, db.EINVALID},
		{"empty findings", grid, map[string]any{"findings": "  "}, db.EINVALID},
		{"follow-up without saying what", grid, map[string]any{"followUpNeeded": true}, db.EINVALID},
		{"unassigned party member (not there for them)", party, nil, db.ENOTFOUND},
		{"building leader of another building", e.login(phoneBuildingLeader), nil, db.ENOTFOUND},
		{"analyst", e.login(phoneAnalyst), nil, db.ENOTFOUND},
		{"nobody", "", nil, db.EUNAUTHENTICATED},
	} {
		if res := e.do(c.token, qRecordVisit, base(c.set)); res.Code() != c.code {
			t.Fatalf("%s: got %q, want %q (%+v)", c.name, res.Code(), c.code, res.Errors)
		}
	}
	if n := visits(); n != 0 {
		t.Fatalf("refused visits: got %d rows, want 0", n)
	}
	// One round, two households, someone met: recorded.
	var out struct{ RecordVisit visitOut }
	e.do(grid, qRecordVisit, base(map[string]any{"householdIds": []string{h, h2}, "residentIds": []string{r}})).Decode(t, &out)
	if len(out.RecordVisit.Households) != 2 || len(out.RecordVisit.ResidentsMet) != 1 || out.RecordVisit.ResidentsMet[0].ID != r {
		t.Fatalf("round: got %+v, want two households and the resident met", out.RecordVisit)
	}
	// A wish from a visit for someone who does not live there: refused, nothing made.
	e.do(grid, `mutation($v: ID!, $in: SubmitWishInput!) { submitWishFromVisit(visitId: $v, input: $in) { id } }`,
		map[string]any{"v": out.RecordVisit.ID, "in": map[string]any{"beneficiaryId": graph.GlobalID("Resident", elsewhere), "category": "REPAIR",
			"title": "修水龙头", "description": "漏水", "deadline": testNow.Add(24 * time.Hour)}}).wantCode(t, db.EINVALID)
	// Nor by someone who cannot read the visit.
	e.do(e.login(phoneStaffGuangming), `mutation($v: ID!, $in: SubmitWishInput!) { submitWishFromVisit(visitId: $v, input: $in) { id } }`,
		map[string]any{"v": out.RecordVisit.ID, "in": map[string]any{"beneficiaryId": r, "category": "REPAIR",
			"title": "修水龙头", "description": "漏水", "deadline": testNow.Add(24 * time.Hour)}}).wantCode(t, db.ENOTFOUND)
	if n := e.sqlInt(`SELECT count(*) FROM wishes`); n != 0 {
		t.Fatalf("refused wishes: got %d, want 0", n)
	}
}

// Visit figures: on time against the rhythm, visits that led to wishes, needs found, and the
// same suppression as the other figures.
func TestVisitFigures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid, analyst := e.login(phoneStaff), e.login(phoneGridWorker), e.login(phoneAnalyst)
	for _, tag := range []string{"ELDERLY_ALONE", "MINIMUM_INCOME", "DISABLED"} {
		e.do(staff, `mutation($c: ID!, $t: ResidentTag!) { setVisitRhythm(communityId: $c, tag: $t, everyDays: 10) { tag } }`,
			map[string]any{"c": e.placeID("和平社区"), "t": tag}).Decode(t, &struct{}{})
	}
	var rows []struct {
		H int64 `db:"h"`
		R int64 `db:"r"`
	}
	if err := e.db.Select(&rows, `SELECT h.id AS h, min(r.id) AS r FROM residents r JOIN places h ON h.id = r.household_id
		WHERE h.path @> ARRAY[$1::bigint] AND r.tags && ARRAY['elderly_alone', 'minimum_income', 'disabled'] AND r.left_on IS NULL
		GROUP BY h.id ORDER BY h.id LIMIT 5`, e.placeKey("和平花园小区", "第一网格")); err != nil || len(rows) < 5 {
		t.Fatalf("five vulnerable households: got %d (%v)", len(rows), err)
	}
	var first visitOut
	for i, row := range rows {
		h := graph.GlobalID("Place", row.H)
		x := e.recordVisit(grid, testNow.Add(-20*24*time.Hour), h) // first
		e.recordVisit(grid, testNow.Add(-2*24*time.Hour), h)       // 18 days later: late
		if i == 0 {
			first = x
			e.recordVisit(grid, testNow.Add(-time.Hour), h) // 2 days later: on time
		}
	}
	e.do(grid, `mutation($v: ID!, $in: SubmitWishInput!) { submitWishFromVisit(visitId: $v, input: $in) { id } }`,
		map[string]any{"v": first.ID, "in": map[string]any{"beneficiaryId": graph.GlobalID("Resident", rows[0].R), "category": "REPAIR",
			"title": "修水龙头", "description": "走访发现厨房水龙头漏水。", "deadline": testNow.Add(7 * 24 * time.Hour)}}).Decode(t, &struct{}{})
	// One visit in 第二网格: one household, too few to show.
	var other int64
	if err := e.db.Get(&other, `SELECT h.id FROM places h WHERE h.level = 'household' AND h.path @> ARRAY[$1::bigint] ORDER BY h.id LIMIT 1`,
		e.placeKey("和平花园小区", "第二网格")); err != nil {
		t.Fatal(err)
	}
	e.recordVisit(staff, testNow.Add(-time.Hour), graph.GlobalID("Place", other))

	type group struct {
		Place                                              *struct{ Name string }
		Suppressed                                         bool
		Visits, Households, VulnerableHouseholds           *int
		VulnerableVisits, OnTime, Late, First, LedToWishes *int
		NeedsFound, LedToTopics                            *int
		OnTimeShare                                        *float64
	}
	var out struct {
		VisitStats struct {
			Groups []group
			Total  group
		}
	}
	const q = `query($p: [ID!]) { visitStats(filter: {placeIds: $p}, groupBy: {placeLevel: GRID}) { groups { place { name } suppressed visits
		households vulnerableHouseholds vulnerableVisits onTime late first ledToWishes needsFound ledToTopics onTimeShare }
		total { suppressed visits households } } }`
	e.do(analyst, q, map[string]any{"p": []string{e.placeID("和平社区")}}).Decode(t, &out)
	var one, two *group
	for i, g := range out.VisitStats.Groups {
		switch g.Place.Name {
		case "第一网格":
			one = &out.VisitStats.Groups[i]
		case "第二网格":
			two = &out.VisitStats.Groups[i]
		}
	}
	n := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	if one == nil || one.Suppressed || n(one.Visits) != 11 || n(one.Households) != 5 || n(one.VulnerableHouseholds) != 5 ||
		n(one.VulnerableVisits) != 11 || n(one.First) != 5 || n(one.Late) != 5 || n(one.OnTime) != 1 ||
		n(one.LedToWishes) != 1 || n(one.NeedsFound) != 11 || n(one.LedToTopics) != 0 || one.OnTimeShare == nil || *one.OnTimeShare != 1.0/6 {
		t.Fatalf("第一网格: got %+v, want 11 visits to 5 vulnerable households: 5 first, 5 late, 1 on time, 1 led to a wish", one)
	}
	if two == nil || !two.Suppressed || two.Visits != nil {
		t.Fatalf("第二网格 (one household): got %+v, want suppressed", two)
	}
	if tot := out.VisitStats.Total; tot.Suppressed || n(tot.Visits) != 12 || n(tot.Households) != 6 {
		t.Fatalf("total: got %+v, want 12 visits to 6 households", tot)
	}
	// Figures are for analysts, staff and admins; a grid worker is refused.
	e.do(grid, q, map[string]any{"p": []string{e.placeID("和平社区")}}).wantCode(t, db.EFORBIDDEN)
}
