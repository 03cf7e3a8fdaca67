package graph_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"linli/db"
	"linli/graph"
)

// ---------------------------------------------------------------- helpers

const qAddResident = `mutation($in: AddResidentInput!) { addResident(input: $in) {
	id name gender birthDate relationship tags verified leftOn leftReason household { id }
	residencies { household { id } since until } } }`

const qMoveResident = `mutation($r: ID!, $h: ID!, $on: Date, $why: String) {
	moveResident(residentId: $r, householdId: $h, on: $on, reason: $why) { id household { id } residencies { household { id } since until } } }`

const qRecordLeaving = `mutation($r: ID!, $lr: LeftReason!, $on: Date, $why: String) {
	recordLeaving(residentId: $r, leftReason: $lr, on: $on, reason: $why) { id leftOn leftReason household { id } residencies { since until } } }`

const qCorrectResident = `mutation($in: CorrectResidentInput!) { correctResident(input: $in) {
	id name gender birthDate phone relationship tags } }`

const qRoster = `query($p: ID!, $d: Date, $after: String) { roster(placeId: $p, asOf: $d, first: 100, after: $after) {
	totalCount pageInfo { hasNextPage endCursor }
	nodes { household { id } residencies { since until resident { id name verified birthDate tags } }
		owners { developer since resident { id } } } } }`

type rosterResident struct {
	ID        string
	Name      string
	Verified  bool
	BirthDate string
	Tags      []string
}

type rosterHousehold struct {
	Household   struct{ ID string }
	Residencies []struct {
		Since    string
		Until    *string
		Resident *rosterResident
	}
	Owners []struct {
		Developer bool
		Since     string
		Resident  *struct{ ID string }
	}
}

// roster reads the whole roster of place as of day ("" for today), every page.
func (e *env) roster(token, place, day string) []rosterHousehold {
	e.t.Helper()
	var all []rosterHousehold
	var after any
	for {
		vars := map[string]any{"p": place, "after": after}
		if day != "" {
			vars["d"] = day
		}
		var out struct {
			Roster struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []rosterHousehold
			}
		}
		e.do(token, qRoster, vars).Decode(e.t, &out)
		all = append(all, out.Roster.Nodes...)
		if !out.Roster.PageInfo.HasNextPage {
			if len(all) != out.Roster.TotalCount {
				e.t.Fatalf("roster: %d households read, totalCount %d", len(all), out.Roster.TotalCount)
			}
			return all
		}
		after = out.Roster.PageInfo.EndCursor
	}
}

// livesIn returns the household (global id) where resident lives on the roster read, "" if
// nowhere.
func livesIn(roster []rosterHousehold, resident string) string {
	for _, h := range roster {
		for _, r := range h.Residencies {
			if r.Resident != nil && r.Resident.ID == resident {
				return h.Household.ID
			}
		}
	}
	return ""
}

// rosterHouseholds returns n households (global ids) of the grid named by its path under
// 和平社区, e.g. "和平花园小区 / 第一网格".
func (e *env) rosterHouseholds(grid string, n int) []string {
	e.t.Helper()
	names := strings.Split(grid, " / ")
	var ids []int64
	if err := e.db.Select(&ids, `SELECT h.id FROM places h JOIN places g ON g.id = ANY(h.path) JOIN places c ON c.id = ANY(g.path)
		JOIN places k ON k.id = ANY(g.path) AND k.name = '和平社区'
		WHERE h.level = 'household' AND g.level = 'grid' AND g.name = $1 AND c.name = $2
		ORDER BY h.id LIMIT $3`, names[len(names)-1], names[0], n); err != nil || len(ids) < n {
		e.t.Fatalf("households of %s: %v (%d)", grid, err, len(ids))
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = graph.GlobalID("Place", id)
	}
	return out
}

// idNumberFor completes a valid ID number from an area code, a birth date and a sequence.
func idNumberFor(area, birth string, seq int) string {
	first := fmt.Sprintf("%s%s%03d", area, strings.ReplaceAll(birth, "-", ""), seq)
	return first + string(db.IDCheckChar(first))
}

func (e *env) residentCount() int64 { return e.sqlInt(`SELECT count(*) FROM residents`) }

func (e *env) addResident(token string, in map[string]any) map[string]any {
	e.t.Helper()
	var out struct{ AddResident map[string]any }
	e.do(token, qAddResident, map[string]any{"in": in}).Decode(e.t, &out)
	return out.AddResident
}

// ---------------------------------------------------------------- tests

// A resident added, moved and moved away is where the roster says on every day: before
// they came, in the first home, in the second, and after they left; every change is in the
// audit with the day and the reason, and bad days change nothing.
func TestRosterAddMoveLeave(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	hh := e.rosterHouseholds("和平花园小区 / 第一网格", 2)
	compound := e.placeID("和平花园小区")

	added := e.addResident(staff, map[string]any{"householdId": hh[0], "name": "周桂兰", "gender": "FEMALE",
		"birthDate": "1948-05-02", "phone": "13987650001", "relationship": "本人", "tags": []string{"ELDERLY_ALONE"},
		"on": "2026-01-10", "reason": "网格员入户走访登记"})
	id := added["id"].(string)
	if added["verified"] != true || added["relationship"] != "本人" || added["gender"] != "FEMALE" {
		t.Fatalf("added: %v", added)
	}

	// Days that cannot be: in the future, and before the residency began.
	before := e.residentCount()
	for _, c := range []struct {
		q    string
		vars map[string]any
	}{
		{qMoveResident, map[string]any{"r": id, "h": hh[1], "on": "2026-11-24"}},
		{qMoveResident, map[string]any{"r": id, "h": hh[1], "on": "2026-01-09"}},
		{qRecordLeaving, map[string]any{"r": id, "lr": "MOVED_AWAY", "on": "2025-12-31"}},
		{qRecordLeaving, map[string]any{"r": id, "lr": "DIED", "on": "2027-01-01"}},
	} {
		r := e.do(staff, c.q, c.vars)
		r.wantCode(t, "INVALID_INPUT")
		if r.Field() != "on" || r.Errors[0].Message == "" || !strings.ContainsAny(r.Errors[0].Message, "日期今天") {
			t.Errorf("%v: field %q, message %q", c.vars, r.Field(), r.Errors[0].Message)
		}
	}
	if r := e.do(staff, qAddResident, map[string]any{"in": map[string]any{"householdId": hh[0], "name": "未来人",
		"birthDate": "1990-01-01", "on": "2026-11-24"}}); r.Code() != "INVALID_INPUT" || r.Field() != "on" {
		t.Errorf("adding in the future: %s %s", r.Code(), r.Field())
	}
	if n := e.sqlInt(`SELECT count(*) FROM residencies WHERE resident_id = $1`, mustRaw(t, id)); n != 1 || e.residentCount() != before {
		t.Fatalf("refused changes changed something: %d residencies, %d residents (was %d)", n, e.residentCount(), before)
	}

	var moved struct {
		MoveResident struct {
			Household   struct{ ID string }
			Residencies []struct {
				Household struct{ ID string }
				Since     string
				Until     *string
			}
		}
	}
	e.do(staff, qMoveResident, map[string]any{"r": id, "h": hh[1], "on": "2026-06-01", "why": "搬到女儿家"}).Decode(t, &moved)
	if m := moved.MoveResident; m.Household.ID != hh[1] || len(m.Residencies) != 2 ||
		m.Residencies[0].Household.ID != hh[0] || m.Residencies[0].Since != "2026-01-10" || *m.Residencies[0].Until != "2026-06-01" ||
		m.Residencies[1].Household.ID != hh[1] || m.Residencies[1].Since != "2026-06-01" || m.Residencies[1].Until != nil {
		t.Fatalf("after the move: %+v", m)
	}
	// Leaving cannot be dated before the move-in to the present home.
	e.do(staff, qRecordLeaving, map[string]any{"r": id, "lr": "MOVED_AWAY", "on": "2026-05-01"}).wantCode(t, "INVALID_INPUT")

	var left struct {
		RecordLeaving struct {
			LeftOn, LeftReason string
			Household          struct{ ID string }
		}
	}
	e.do(staff, qRecordLeaving, map[string]any{"r": id, "lr": "MOVED_AWAY", "on": "2026-10-01", "why": "随子女迁往外地"}).Decode(t, &left)
	if l := left.RecordLeaving; l.LeftOn != "2026-10-01" || l.LeftReason != "MOVED_AWAY" || l.Household.ID != hh[1] {
		t.Fatalf("after leaving: %+v", l)
	}
	// Once left, no more moves or leaving.
	e.do(staff, qMoveResident, map[string]any{"r": id, "h": hh[0]}).wantCode(t, "INVALID_STATE")
	e.do(staff, qRecordLeaving, map[string]any{"r": id, "lr": "DIED"}).wantCode(t, "INVALID_STATE")

	for day, want := range map[string]string{"2025-12-31": "", "2026-01-10": hh[0], "2026-03-01": hh[0], "2026-05-31": hh[0],
		"2026-06-01": hh[1], "2026-09-30": hh[1], "2026-10-01": "", "2026-11-01": "", "": ""} {
		if got := livesIn(e.roster(staff, compound, day), id); got != want {
			t.Errorf("roster as of %q: lives in %q, want %q", day, got, want)
		}
	}
	if r := e.do(staff, qRoster, map[string]any{"p": compound, "d": "2026-11-24"}); r.Code() != "INVALID_INPUT" || r.Field() != "asOf" {
		t.Errorf("roster of tomorrow: %s %s", r.Code(), r.Field())
	}

	// The present lists leave her out; her record stays.
	var list struct {
		Residents struct{ Nodes []struct{ ID string } }
	}
	e.do(staff, `query($p: ID!) { residents(placeId: $p, filter: {nameContains: "周桂兰"}) { nodes { id } } }`,
		map[string]any{"p": compound}).Decode(t, &list)
	if len(list.Residents.Nodes) != 0 {
		t.Errorf("residents lists someone who moved away: %v", list.Residents.Nodes)
	}
	var node struct{ Node *struct{ LeftOn string } }
	e.do(staff, `query($id: ID!) { node(id: $id) { ... on Resident { leftOn } } }`, map[string]any{"id": id}).Decode(t, &node)
	if node.Node == nil || node.Node.LeftOn != "2026-10-01" {
		t.Errorf("her record: %+v", node.Node)
	}

	community := e.placeID("和平社区")
	for action, want := range map[string]string{"RESIDENT_ADDED": "网格员入户走访登记", "RESIDENT_MOVED": "2026-06-01",
		"RESIDENT_LEFT": "随子女迁往外地"} {
		notes := e.auditNotes(staff, community, action)
		if len(notes) != 1 || !strings.Contains(notes[0], want) || !strings.Contains(notes[0], "周桂兰") {
			t.Errorf("audit %s: %q, want one note with %q", action, notes, want)
		}
	}
}

// A correction says what changed, old → new, with the phone masked and tags only as changed
// (admins read the audit but see neither).
func TestRosterCorrect(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	hh := e.rosterHouseholds("和平花园小区 / 第一网格", 1)
	id := e.addResident(staff, map[string]any{"householdId": hh[0], "name": "李建囯", "birthDate": "1960-02-03",
		"phone": "13987650002"})["id"].(string)
	var out struct {
		CorrectResident struct {
			Name, Gender, BirthDate, Phone, Relationship string
			Tags                                         []string
		}
	}
	e.do(staff, qCorrectResident, map[string]any{"in": map[string]any{"residentId": id, "name": "李建国", "phone": "13987650003",
		"relationship": "户主", "tags": []string{"VETERAN"}, "gender": "MALE", "reason": "姓名录入错字"}}).Decode(t, &out)
	if c := out.CorrectResident; c.Name != "李建国" || c.Phone != "13987650003" || c.Relationship != "户主" || !slices.Equal(c.Tags, []string{"VETERAN"}) {
		t.Fatalf("corrected: %+v", c)
	}
	notes := e.auditNotes(staff, e.placeID("和平社区"), "RESIDENT_CORRECTED")
	if len(notes) != 1 || !strings.Contains(notes[0], "李建囯 → 李建国") || !strings.Contains(notes[0], "139****0002 → 139****0003") ||
		strings.Contains(notes[0], "13987650003") || strings.Contains(notes[0], "veteran") || !strings.Contains(notes[0], "姓名录入错字") {
		t.Errorf("correction note: %q", notes)
	}
	// Nothing to change, and bad input: refused, unchanged.
	e.do(staff, qCorrectResident, map[string]any{"in": map[string]any{"residentId": id, "name": "李建国"}}).wantCode(t, "INVALID_INPUT")
	e.do(staff, qCorrectResident, map[string]any{"in": map[string]any{"residentId": id, "phone": "12345"}}).wantCode(t, "INVALID_INPUT")
	e.do(staff, qCorrectResident, map[string]any{"in": map[string]any{"residentId": id, "birthDate": "2030-01-01"}}).wantCode(t, "INVALID_INPUT")
	if n := len(e.auditNotes(staff, e.placeID("和平社区"), "RESIDENT_CORRECTED")); n != 1 {
		t.Errorf("%d correction events, want 1", n)
	}
}

// Who may keep the roster: staff of the community, the grid worker in their grid; not a
// grid worker outside it, staff of another community, a building leader or a resident.
// Protected tags show to staff and the grid worker, not to a building leader or volunteer.
func TestRosterPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid := e.login(phoneStaff), e.login(phoneGridWorker)
	inGrid := e.rosterHouseholds("和平花园小区 / 第一网格", 2)
	outside := e.rosterHouseholds("和平花园小区 / 第二网格", 1)[0]

	added := e.addResident(grid, map[string]any{"householdId": inGrid[0], "name": "孙秀珍", "birthDate": "1941-09-09",
		"tags": []string{"ELDERLY_ALONE"}})
	id := added["id"].(string)
	if !slices.Equal(toStrings(added["tags"]), []string{"ELDERLY_ALONE"}) {
		t.Fatalf("grid worker's own entry: %v", added)
	}
	before := e.residentCount()
	events := e.sqlInt(`SELECT count(*) FROM audit_events`)
	newIn := func(h string) map[string]any {
		return map[string]any{"in": map[string]any{"householdId": h, "name": "王五", "birthDate": "1980-01-01"}}
	}
	for _, c := range []struct {
		who, phone, q string
		vars          map[string]any
		code          string
	}{
		{"grid worker outside their grid", phoneGridWorker, qAddResident, newIn(outside), "NOT_FOUND"},
		{"grid worker moving out of their grid", phoneGridWorker, qMoveResident, map[string]any{"r": id, "h": outside}, "NOT_FOUND"},
		{"staff of another community", phoneStaffGuangming, qAddResident, newIn(inGrid[0]), "NOT_FOUND"},
		{"staff of another community", phoneStaffGuangming, qRecordLeaving, map[string]any{"r": id, "lr": "DIED"}, "NOT_FOUND"},
		{"resident", phoneResident, qAddResident, newIn(inGrid[0]), "NOT_FOUND"},
		{"resident", phoneResident, qCorrectResident, map[string]any{"in": map[string]any{"residentId": id, "name": "x"}}, "NOT_FOUND"},
		{"volunteer", phoneVolunteer, qMoveResident, map[string]any{"r": id, "h": inGrid[1]}, "NOT_FOUND"},
		{"admin", phoneAdmin, qAddResident, newIn(inGrid[0]), "FORBIDDEN"},
		{"nobody", "", qAddResident, newIn(inGrid[0]), "UNAUTHENTICATED"},
	} {
		tok := ""
		if c.phone != "" {
			tok = e.login(c.phone)
		}
		if r := e.do(tok, c.q, c.vars); r.Code() != c.code || len(r.Errors) == 0 || r.Errors[0].Message == "" {
			t.Errorf("%s: got %s (%v), want %s", c.who, r.Code(), r.Errors, c.code)
		}
	}
	if e.residentCount() != before || e.sqlInt(`SELECT count(*) FROM audit_events`) != events ||
		e.sqlInt(`SELECT count(*) FROM residencies WHERE resident_id = $1`, mustRaw(t, id)) != 1 {
		t.Fatal("a refused change changed something")
	}
	// Staff may move across grids of their community.
	e.do(staff, qMoveResident, map[string]any{"r": id, "h": outside}).Decode(t, &struct{}{})

	// Tags: staff and the grid worker (of her old grid: she no longer lives there, so the
	// grid worker no longer sees her) versus a building leader and a volunteer.
	tagsSeen := func(tok string) (found bool, tags []string) {
		var out struct {
			Node *struct{ Tags []string }
		}
		e.do(tok, `query($id: ID!) { node(id: $id) { ... on Resident { tags } } }`, map[string]any{"id": id}).Decode(t, &out)
		if out.Node == nil {
			return false, nil
		}
		return true, out.Node.Tags
	}
	if ok, tags := tagsSeen(staff); !ok || !slices.Equal(tags, []string{"ELDERLY_ALONE"}) {
		t.Errorf("staff: %v %v", ok, tags)
	}
	if ok, _ := tagsSeen(e.login(phoneVolunteer)); ok {
		t.Error("a volunteer sees the resident record")
	}
	e.do(e.login(phoneVolunteer), qRoster, map[string]any{"p": e.placeID("和平花园小区")}).wantCode(t, "FORBIDDEN")
	// A building leader reads the roster of their building with the tags withheld.
	var building int64
	if err := e.db.Get(&building, `SELECT g.place_id FROM role_grants g JOIN accounts a ON a.id = g.account_id
		WHERE a.phone = $1 AND g.role = 'building_leader'`, phoneBuildingLeader); err != nil {
		t.Fatal(err)
	}
	var tagged int64
	if err := e.db.Get(&tagged, `SELECT r.id FROM residents r JOIN places h ON h.id = r.household_id
		WHERE $1 = ANY(h.path) AND cardinality(r.tags) > 0 LIMIT 1`, building); err != nil {
		t.Fatalf("a tagged resident in the building leader's building: %v", err)
	}
	leaderRoster := e.roster(e.login(phoneBuildingLeader), graph.GlobalID("Place", building), "")
	staffRoster := e.roster(staff, graph.GlobalID("Place", building), "")
	taggedID := graph.GlobalID("Resident", tagged)
	for _, c := range []struct {
		who    string
		roster []rosterHousehold
		tags   bool
	}{{"building leader", leaderRoster, false}, {"staff", staffRoster, true}} {
		found := false
		for _, h := range c.roster {
			for _, r := range h.Residencies {
				if r.Resident != nil && r.Resident.ID == taggedID {
					found = true
					if (r.Resident.Tags != nil) != c.tags {
						t.Errorf("%s sees tags %v", c.who, r.Resident.Tags)
					}
				}
			}
		}
		if !found {
			t.Errorf("%s does not find the tagged resident on the roster", c.who)
		}
	}
}

// The roll of a vote is fixed when it opens; a resident who moves away later stays on it,
// and the roster as of the opening day explains it exactly. A new vote leaves them out.
func TestRosterExplainsPastVoteRoll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	compound := e.placeID("和平花园小区")
	opened := e.clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	e.onlineVote(e.acceptedTopic("小区东门加装门禁"), 7*24*time.Hour, nil)
	vote := e.sqlInt(`SELECT max(id) FROM votes`)

	roll := func(vote int64) []int64 {
		var ids []int64
		if err := e.db.Select(&ids, `SELECT resident_id FROM vote_entitled WHERE vote_id = $1 ORDER BY resident_id`, vote); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	first := roll(vote)
	if len(first) < 5 {
		t.Fatalf("roll of %d", len(first))
	}

	e.clock.Advance(2 * 24 * time.Hour)
	leaver := graph.GlobalID("Resident", first[0])
	e.do(staff, qRecordLeaving, map[string]any{"r": leaver, "lr": "MOVED_AWAY", "why": "房子卖了"}).Decode(t, &struct{}{})
	hh := e.rosterHouseholds("和平花园小区 / 第一网格", 1)
	newcomer := e.addResident(staff, map[string]any{"householdId": hh[0], "name": "钱多多", "birthDate": "1985-07-07"})["id"].(string)

	if got := roll(vote); !slices.Equal(got, first) {
		t.Fatalf("the past roll was rewritten: %d → %d entries", len(first), len(got))
	}
	// The roll as the roster stood on the opening day: verified adults living there then.
	adultBy := e.clock.Now().AddDate(-18, 0, -2).Format(time.DateOnly)
	var explained []int64
	for _, h := range e.roster(staff, compound, opened) {
		for _, r := range h.Residencies {
			if r.Resident == nil {
				t.Fatalf("staff cannot see a resident on their roster: %+v", h)
			}
			if r.Resident.Verified && r.Resident.BirthDate <= adultBy {
				_, n, _ := graph.ParseGlobalID(r.Resident.ID)
				explained = append(explained, n)
			}
		}
	}
	slices.Sort(explained)
	if !slices.Equal(explained, first) {
		t.Fatalf("roster as of %s explains %d of the roll's %d (first differences: roll %v, roster %v)", opened,
			len(explained), len(first), first[:min(5, len(first))], explained[:min(5, len(explained))])
	}
	if livesIn(e.roster(staff, compound, ""), leaver) != "" || livesIn(e.roster(staff, compound, ""), newcomer) == "" {
		t.Error("today's roster does not show the move-out and the newcomer")
	}

	// A new vote: the leaver is off its roll, the newcomer on it.
	e.onlineVote(e.acceptedTopic("小区西门加装门禁"), 7*24*time.Hour, nil)
	second := roll(e.sqlInt(`SELECT max(id) FROM votes`))
	if slices.Contains(second, first[0]) || !slices.Contains(second, mustRaw(t, newcomer)) {
		t.Errorf("new roll: leaver on it %v, newcomer on it %v", slices.Contains(second, first[0]), slices.Contains(second, mustRaw(t, newcomer)))
	}
	// And someone who left cannot be chosen as a wish's beneficiary.
	in := e.wishInput("帮忙搬家")
	in["beneficiaryId"] = leaver
	e.do(e.login(phoneGridWorker), `mutation($in: SubmitWishInput!) { submitWish(input: $in) { id } }`,
		map[string]any{"in": in}).wantCode(t, "INVALID_STATE")
}

// An ID number is never stored: a superuser reading every text and bytea column of every
// table finds it nowhere, in any form. The same number again is the same person: refused.
func TestRosterIDNumber(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	hh := e.rosterHouseholds("和平花园小区 / 第一网格", 2)
	number := idNumberFor("110105", "1953-11-08", 123) // sequence ends in 3: male
	added := e.addResident(staff, map[string]any{"householdId": hh[0], "name": "吴德全", "idNumber": number[:6] + " " + number[6:],
		"phone": "13987650009"})
	if added["birthDate"] != "1953-11-08" || added["gender"] != "MALE" {
		t.Fatalf("birth date and gender from the ID number: %v", added)
	}

	forms := []string{number, number[:17], number[6:14] + number[14:], strings.ToLower(number)}
	type column struct{ Table, Column, Type string }
	var cols []column
	if err := e.db.Select(&cols, `SELECT table_name AS "table", column_name AS "column", data_type AS "type"
		FROM information_schema.columns WHERE table_schema = 'public'
		AND data_type IN ('text', 'character varying', 'bytea', 'ARRAY', 'jsonb', 'json')`); err != nil {
		t.Fatal(err)
	}
	if len(cols) < 10 {
		t.Fatalf("only %d columns to scan", len(cols))
	}
	for _, c := range cols {
		var values [][]byte
		q := fmt.Sprintf(`SELECT %q::text::bytea FROM %q WHERE %q IS NOT NULL`, c.Column, c.Table, c.Column)
		if c.Type == "bytea" {
			q = fmt.Sprintf(`SELECT %q FROM %q WHERE %q IS NOT NULL`, c.Column, c.Table, c.Column)
		}
		if err := e.db.Select(&values, q); err != nil {
			t.Fatalf("%s.%s: %v", c.Table, c.Column, err)
		}
		for _, v := range values {
			for _, f := range forms {
				if bytes.Contains(v, []byte(f)) {
					t.Errorf("%s.%s holds the ID number (%q)", c.Table, c.Column, f)
				}
			}
		}
	}
	if e.sqlInt(`SELECT count(*) FROM residents WHERE id_digest IS NOT NULL AND id = $1`, mustRaw(t, added["id"].(string))) != 1 {
		t.Error("no digest kept to recognise the person again")
	}

	before := e.residentCount()
	for _, in := range []map[string]any{
		{"householdId": hh[1], "name": "吴德泉", "idNumber": number},
		{"householdId": hh[1], "name": "吴德全", "idNumber": strings.ToLower(number), "birthDate": "1953-11-08"},
	} {
		r := e.do(staff, qAddResident, map[string]any{"in": in})
		if r.Code() != "CONFLICT" || r.Field() != "idNumber" || !strings.Contains(r.Errors[0].Message, "同一个人") {
			t.Errorf("the same ID number again: %s %s %v", r.Code(), r.Field(), r.Errors)
		}
	}
	for _, c := range []struct {
		in    map[string]any
		field string
	}{
		{map[string]any{"idNumber": number[:17] + "0"}, "idNumber"}, // check character (unless it is 0)
		{map[string]any{"idNumber": "11010519530230123" + string(db.IDCheckChar("11010519530230123"))}, "idNumber"},
		{map[string]any{"idNumber": "1101051953"}, "idNumber"},
		{map[string]any{"idNumber": idNumberFor("110105", "1970-01-01", 124), "birthDate": "1970-01-02"}, "birthDate"},
		{map[string]any{"idNumber": idNumberFor("110105", "1970-01-01", 124), "gender": "MALE"}, "gender"},
	} {
		if c.in["idNumber"] == number {
			continue
		}
		c.in["householdId"], c.in["name"] = hh[1], "郑某"
		if r := e.do(staff, qAddResident, map[string]any{"in": c.in}); r.Code() != "INVALID_INPUT" || r.Field() != c.field {
			t.Errorf("%v: %s on %q, want INVALID_INPUT on %q", c.in, r.Code(), r.Field(), c.field)
		}
	}
	if e.residentCount() != before {
		t.Error("a refused ID number added a resident")
	}

	// Once he has moved away, the same number may come back under a new entry (say in
	// another community, whose staff cannot see the old one); the old entry keeps its history.
	e.clock.Advance(24 * time.Hour)
	e.do(staff, qRecordLeaving, map[string]any{"r": added["id"], "lr": "MOVED_AWAY"}).Decode(t, &struct{}{})
	back := e.addResident(staff, map[string]any{"householdId": hh[1], "name": "吴德全", "idNumber": number})
	if e.sqlInt(`SELECT count(*) FROM residents WHERE id_digest IS NOT NULL AND id = $1`, mustRaw(t, back["id"].(string))) != 1 ||
		e.sqlInt(`SELECT count(*) FROM residents WHERE id_digest IS NOT NULL AND id = $1`, mustRaw(t, added["id"].(string))) != 0 {
		t.Error("the digest does not follow him to his present entry")
	}
	if r := e.do(staff, qAddResident, map[string]any{"in": map[string]any{"householdId": hh[0], "name": "吴德全", "idNumber": number}}); r.Code() != "CONFLICT" {
		t.Errorf("the same number while he is present again: %s", r.Code())
	}
}

// Someone registering who is already on the roster is held for staff, who see the
// candidate and link the account in one step: no second resident. Duplicates on the roster
// are surfaced; a registration that matches nobody works as before.
func TestRosterRegistrationMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	hh := e.rosterHouseholds("和平花园小区 / 第一网格", 2)
	community := e.placeID("和平社区")
	entry := e.addResident(staff, map[string]any{"householdId": hh[0], "name": "赵晓梅", "birthDate": "1992-03-15",
		"phone": "13912340001", "relationship": "子女"})["id"].(string)
	before := e.residentCount()

	register := func(phone, name, household string) (token string, resident *string) {
		var out struct {
			Register struct {
				Token   string
				Account struct{ Resident *struct{ ID string } }
			}
		}
		e.do("", `mutation($in: RegisterInput!) { register(input: $in) { token account { resident { id } } } }`,
			map[string]any{"in": map[string]any{"phone": phone, "password": "mima-2026", "name": name,
				"birthDate": "1992-03-15", "householdId": household}}).Decode(t, &out)
		if out.Register.Account.Resident != nil {
			return out.Register.Token, &out.Register.Account.Resident.ID
		}
		return out.Register.Token, nil
	}
	tok, res := register("13912340001", "赵晓梅", hh[0])
	if res != nil || e.residentCount() != before {
		t.Fatalf("registering as a roster entry made a resident %v (%d → %d)", res, before, e.residentCount())
	}
	account := e.accountID("13912340001")

	const qPending = `query($p: ID!) { pendingRegistrations(placeId: $p) { account { id name } household { id }
		candidates { resident { id } sameName samePhone sameHousehold sameBirthDate linked } } }`
	var pending struct {
		PendingRegistrations []struct {
			Account    struct{ ID, Name string }
			Household  struct{ ID string }
			Candidates []struct {
				Resident                                                  *struct{ ID string }
				SameName, SamePhone, SameHousehold, SameBirthDate, Linked bool
			}
		}
	}
	e.do(staff, qPending, map[string]any{"p": community}).Decode(t, &pending)
	if p := pending.PendingRegistrations; len(p) != 1 || p[0].Account.ID != account || len(p[0].Candidates) != 1 ||
		p[0].Candidates[0].Resident == nil || p[0].Candidates[0].Resident.ID != entry ||
		!p[0].Candidates[0].SameName || !p[0].Candidates[0].SamePhone || !p[0].Candidates[0].SameHousehold || !p[0].Candidates[0].SameBirthDate ||
		p[0].Candidates[0].Linked {
		t.Fatalf("pending: %+v", p)
	}
	e.do(e.login(phoneStaffGuangming), qPending, map[string]any{"p": community}).wantCode(t, "FORBIDDEN")
	e.do(tok, qPending, map[string]any{"p": community}).wantCode(t, "FORBIDDEN")

	// One step: link and verify.
	const qLink = `mutation($r: ID!, $a: ID!) { linkResidentAccount(residentId: $r, accountId: $a) { id verified } }`
	var linked struct {
		LinkResidentAccount struct {
			ID       string
			Verified bool
		}
	}
	e.do(staff, qLink, map[string]any{"r": entry, "a": account}).Decode(t, &linked)
	if !linked.LinkResidentAccount.Verified || linked.LinkResidentAccount.ID != entry || e.residentCount() != before {
		t.Fatalf("linked: %+v, residents %d → %d", linked, before, e.residentCount())
	}
	var me struct {
		Me struct {
			Resident *struct {
				ID       string
				Verified bool
			}
		}
	}
	e.do(tok, `{ me { resident { id verified } } }`, nil).Decode(t, &me)
	if me.Me.Resident == nil || me.Me.Resident.ID != entry || !me.Me.Resident.Verified {
		t.Fatalf("me after linking: %+v", me.Me.Resident)
	}
	e.do(staff, qPending, map[string]any{"p": community}).Decode(t, &pending)
	if len(pending.PendingRegistrations) != 0 {
		t.Errorf("still pending: %+v", pending.PendingRegistrations)
	}
	if notes := e.auditNotes(staff, community, "RESIDENT_LINKED"); len(notes) != 1 || !strings.Contains(notes[0], "赵晓梅") {
		t.Errorf("link audit: %q", notes)
	}

	// Duplicates: the same phone entered on a second entry is surfaced, and the account
	// cannot be linked to it too.
	second := e.addResident(staff, map[string]any{"householdId": hh[1], "name": "赵小梅", "birthDate": "1992-03-15",
		"phone": "13912340001"})["id"].(string)
	var dups struct {
		ResidentDuplicates []struct {
			Reason    string
			Residents []struct{ ID string }
		}
	}
	e.do(staff, `query($p: ID!) { residentDuplicates(placeId: $p) { reason residents { id } } }`, map[string]any{"p": community}).Decode(t, &dups)
	found := false
	for _, d := range dups.ResidentDuplicates {
		if d.Reason == "SAME_PHONE" && len(d.Residents) == 2 && d.Residents[0].ID == entry && d.Residents[1].ID == second {
			found = true
		}
	}
	if !found {
		t.Errorf("duplicates: %+v", dups.ResidentDuplicates)
	}
	r := e.do(staff, qLink, map[string]any{"r": second, "a": account})
	if r.Code() != "CONFLICT" || r.Field() != "accountId" {
		t.Errorf("linking one account to two entries: %s %s", r.Code(), r.Field())
	}
	// Another account onto the linked entry: refused too.
	// (赵小梅 registering in her household is held: the roster has a 赵小梅 there.)
	if _, res := register("13912340002", "赵小梅", hh[1]); res != nil {
		t.Fatal("registering as a roster entry's name in its household made a resident")
	}
	if r := e.do(staff, qLink, map[string]any{"r": entry, "a": e.accountID("13912340002")}); r.Code() != "CONFLICT" || r.Field() != "residentId" {
		t.Errorf("linking a second account to an entry: %s %s", r.Code(), r.Field())
	}
	// Staff of another community cannot link.
	e.do(e.login(phoneStaffGuangming), qLink, map[string]any{"r": second, "a": e.accountID("13912340002")}).wantCode(t, "NOT_FOUND")
	if e.sqlInt(`SELECT count(*) FROM residents WHERE account_id = $1`, mustRaw(t, e.accountID("13912340002"))) != 0 {
		t.Error("a refused link linked")
	}

	// Someone the roster may hold but who is not them: staff admit them as a new resident.
	const qAdmit = `mutation($a: ID!) { admitRegistration(accountId: $a) { id verified household { id } } }`
	var admitted struct {
		AdmitRegistration struct {
			ID        string
			Verified  bool
			Household struct{ ID string }
		}
	}
	e.do(staff, qAdmit, map[string]any{"a": e.accountID("13912340002")}).Decode(t, &admitted)
	if !admitted.AdmitRegistration.Verified || admitted.AdmitRegistration.Household.ID != hh[1] {
		t.Errorf("admitted: %+v", admitted)
	}
	e.do(staff, qAdmit, map[string]any{"a": e.accountID("13912340002")}).wantCode(t, "INVALID_STATE")

	// She moves away and comes back under a new entry: her account follows her there.
	e.clock.Advance(24 * time.Hour)
	e.do(staff, qRecordLeaving, map[string]any{"r": entry, "lr": "MOVED_AWAY"}).Decode(t, &struct{}{})
	e.do(staff, qLink, map[string]any{"r": second, "a": account}).Decode(t, &linked)
	e.do(tok, `{ me { resident { id verified } } }`, nil).Decode(t, &me)
	if me.Me.Resident == nil || me.Me.Resident.ID != second || e.sqlInt(`SELECT count(*) FROM residents WHERE account_id = $1`, mustRaw(t, account)) != 1 {
		t.Errorf("after coming back: %+v", me.Me.Resident)
	}

	// No roster entry: registration works as it always has.
	_, res = register("13912340003", "钱新来", hh[1])
	if res == nil {
		t.Error("a registration matching nobody made no resident")
	}
}

func mustRaw(t *testing.T, id string) int64 {
	t.Helper()
	_, n, ok := graph.ParseGlobalID(id)
	if !ok {
		t.Fatalf("bad id %q", id)
	}
	return n
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// Many staff adding the same person at once, by the same ID number in different homes:
// exactly one is added, every other is told it is the same person.
func TestRosterSameIDAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	hh := e.rosterHouseholds("和平花园小区 / 第一网格", 8)
	number := idNumberFor("320106", "1975-04-30", 357)
	before := e.residentCount()
	codes := make([]string, len(hh))
	var wg sync.WaitGroup
	for i, h := range hh {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.do(staff, qAddResident, map[string]any{"in": map[string]any{"householdId": h, "name": "冯同一", "idNumber": number}})
			codes[i] = r.Code()
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case "CONFLICT":
			conflicts++
		}
	}
	if ok != 1 || conflicts != len(hh)-1 || e.residentCount() != before+1 {
		t.Fatalf("codes %v: %d added, %d conflicts, residents %d → %d", codes, ok, conflicts, before, e.residentCount())
	}
}
