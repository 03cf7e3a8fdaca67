package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"linli/graph"
)

// A community's first days on linli, as its staff would live them, through the API only:
// staff build a new compound, bring its people in from a messy spreadsheet (dry run, then
// the real run), the owners sign up and are matched to their roster entries, an owners' vote
// is decided exactly at the law's boundary, counted per exclusive part, and after an owner
// moves away the closed vote's roll is still explained by the roster as it stood.
//
// 新苑 (a compound of 和平社区), buildings 1栋 and 2栋, areas in m²:
//   - 1栋 1单元101, 91: 甲一 and 甲二, a couple, co-owners: one head;
//   - 1栋 1单元102, 100; 1栋 1单元201, 95; 2栋 1单元101, 83: all 韩多房's, who lives in the
//     first: one head of 278;
//   - 2栋 1单元102, 120: 丙; 2栋 1单元201, 71: 丁; 2栋 1单元202, 150: 戊; 2栋 2单元101, 130: 己.
//
// Six heads and 840 m². An ordinary matter needs at least 2/3 of both to take part: four
// heads, and 560 m², which is exactly 甲 + 韩 + 丙 + 丁. Counted per owner instead (one head
// per person per flat), the compound would have nine "heads" and those four owners six.
func TestRosterFromSpreadsheetToVote(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	cst := time.FixedZone("CST", 8*3600)

	// Staff build the places the spreadsheet names: an import never invents a building.
	create := func(parent, level, name string, extra map[string]any) string {
		t.Helper()
		in := map[string]any{"parentId": parent, "level": level, "name": name, "reason": "新小区入驻"}
		for k, v := range extra {
			in[k] = v
		}
		var out struct{ CreatePlace struct{ ID string } }
		e.do(staff, `mutation($in: CreatePlaceInput!) { createPlace(input: $in) { id } }`,
			map[string]any{"in": in}).Decode(t, &out)
		return out.CreatePlace.ID
	}
	community := e.placeID("和平社区")
	compound := create(community, "COMPOUND", "新苑", nil)
	grid := create(compound, "GRID", "新苑网格", nil)
	create(grid, "BUILDING", "1栋", map[string]any{"units": 1})
	create(grid, "BUILDING", "2栋", map[string]any{"units": 2})

	// The sheet as communities keep it, with what such sheets hold: a building misspelt,
	// a building that does not exist, a row entered twice, a bad phone, co-owners, and one
	// owner of three flats who appears once per flat. The demo's 和平花园小区 has a 1栋 and a
	// 2栋 too, so the sheet says which compound (小区) each row is in.
	hanID := idNumberFor("110105", "1968-04-09", 135)
	rows := []string{
		"小区,楼栋,单元,房号,面积,姓名,性别,出生日期,身份证号,手机,与户主关系,是否业主,标签",
		"新苑,1栋,1单元,101,91,甲一,男,1970-01-01,,13600000001,户主,是,",      // 2
		"新苑,1栋,1单元,101,91,甲二,女,1972-02-02,,13600000002,配偶,是,",      // 3
		"新苑,1栋,1单元,102,100,韩多房,男,," + hanID + ",13600000003,户主,是,", // 4
		"新苑,1栋,1单元,201,95,韩多房,男,," + hanID + ",13600000003,,是,",    // 5: owns only
		"新苑,2栋,1单元,101,83,韩多房,男,," + hanID + ",13600000003,,是,",    // 6: owns only
		"新苑,2栋,1单元,102,120,丙,女,1980-03-03,,13600000004,户主,是,",      // 7
		"新苑,2栋,1单元,102,120,丙,女,1980-03-03,,13600000004,户主,是,",      // 8: entered twice
		"新苑,2栋,1单元,201,71,丁,男,1955-05-05,,13600000005,户主,是,独居老人",   // 9
		"新苑,2栋,1单元,202,150,戊,男,1961-06-06,,13600000006,户主,是,",      // 10
		"新苑,2栋,2单元,101,130,己,女,1966-07-07,,13600000007,户主,是,",      // 11
		"新苑,2冻,1单元,301,88,庚,男,1990-08-08,,13600000008,户主,是,",       // 12: typo
		"新苑,3栋,1单元,101,70,辛,女,1991-09-09,,13600000009,户主,是,",       // 13: no such building
		"新苑,2栋,2单元,102,66,壬,男,1992-10-10,,1360000001,户主,是,",        // 14: phone one digit short
	}
	sheet := []byte(strings.Join(rows, "\n") + "\n")

	before := e.rosterCounts()
	dry := e.importRoster(staff, community, "新苑花名册.csv", sheet, true, "")
	sameCounts(t, "after the dry run", before, e.rosterCounts())
	refused := map[int]string{8: "同一人", 12: "是不是「2栋」", 13: "没有楼栋「3栋」", 14: "手机号"}
	for _, r := range dry.Rows {
		if r.Row == 0 {
			continue
		}
		want, isRefused := refused[r.Row]
		if isRefused != (r.Action == "REFUSE") || isRefused && !strings.Contains(text(r.Reason), want) {
			t.Errorf("row %d: got %s %q, want refused %v (%q)", r.Row, r.Action, text(r.Reason), isRefused, want)
		}
	}
	// 8 flats; 7 people (韩多房 once); 9 ownerships (two co-owners, three flats of one owner).
	if dry.Households.Created != 8 || dry.Residents.Created != 7 || dry.Ownerships.Created != 9 || dry.RefusedRows != 4 {
		t.Fatalf("dry run: households %+v residents %+v ownerships %+v refused %d; want 8, 7, 9 created and 4 refused",
			dry.Households, dry.Residents, dry.Ownerships, dry.RefusedRows)
	}
	real := e.importRoster(staff, community, "新苑花名册.csv", sheet, false, dry.PlanDigest)
	if real.Households != dry.Households || real.Residents != dry.Residents || real.Ownerships != dry.Ownerships {
		t.Fatalf("the real run did not apply the dry run's plan: %+v %+v %+v", real.Households, real.Residents, real.Ownerships)
	}
	if again := e.importRoster(staff, community, "新苑花名册.csv", sheet, true, ""); again.Residents.Created+again.Residents.Changed+
		again.Households.Created+again.Ownerships.Created != 0 {
		t.Errorf("the same file again would change the roster: %+v %+v %+v", again.Households, again.Residents, again.Ownerships)
	}

	// The owners sign up; registering with the name and phone the roster holds in that flat
	// makes no second resident: staff link the account to the roster entry in one step.
	flats := map[string]string{} // "1栋 1单元101" → household global ID
	for _, h := range e.roster(staff, compound, "") {
		var name string
		_, id, _ := graph.ParseGlobalID(h.Household.ID)
		if err := e.db.Get(&name, `SELECT b.name || ' ' || coalesce(h.unit, '') || h.room FROM places h
			JOIN places b ON b.id = h.parent_id WHERE h.id = $1`, id); err != nil {
			t.Fatal(err)
		}
		flats[name] = h.Household.ID
	}
	if len(flats) != 8 {
		t.Fatalf("roster of 新苑: %d flats, want 8: %v", len(flats), flats)
	}
	voters := []struct{ name, phone, birth, home string }{
		{"甲一", "13600000001", "1970-01-01", "1栋 1单元101"}, {"甲二", "13600000002", "1972-02-02", "1栋 1单元101"},
		{"韩多房", "13600000003", "1968-04-09", "1栋 1单元102"}, {"丙", "13600000004", "1980-03-03", "2栋 1单元102"},
		{"丁", "13600000005", "1955-05-05", "2栋 1单元201"},
	}
	tokens := map[string]string{}
	residentOf := map[string]string{}
	for _, v := range voters {
		var reg struct{ Register struct{ Token string } }
		e.do("", `mutation($in: RegisterInput!) { register(input: $in) { token } }`, map[string]any{"in": map[string]any{
			"phone": v.phone, "password": "xinyuan-2026", "name": v.name, "birthDate": v.birth, "householdId": flats[v.home]}}).Decode(t, &reg)
		tokens[v.name] = reg.Register.Token
	}
	var pending struct {
		PendingRegistrations []struct {
			Account    struct{ ID, Name string }
			Candidates []struct {
				Resident                           *struct{ ID, Name string }
				SameName, SamePhone, SameHousehold bool
			}
		}
	}
	e.do(staff, `query($p: ID!) { pendingRegistrations(placeId: $p) { account { id name }
		candidates { resident { id name } sameName samePhone sameHousehold } } }`, map[string]any{"p": compound}).Decode(t, &pending)
	if len(pending.PendingRegistrations) != len(voters) {
		t.Fatalf("pending registrations: got %d, want %d", len(pending.PendingRegistrations), len(voters))
	}
	for _, p := range pending.PendingRegistrations {
		if len(p.Candidates) != 1 || p.Candidates[0].Resident == nil || !p.Candidates[0].SameName || !p.Candidates[0].SamePhone || !p.Candidates[0].SameHousehold {
			t.Fatalf("%s: got candidates %+v, want their one roster entry", p.Account.Name, p.Candidates)
		}
		e.do(staff, `mutation($r: ID!, $a: ID!) { linkResidentAccount(residentId: $r, accountId: $a, reason: "核对身份证") { id verified } }`,
			map[string]any{"r": p.Candidates[0].Resident.ID, "a": p.Account.ID}).Decode(t, &struct{}{})
		residentOf[p.Candidates[0].Resident.Name] = p.Candidates[0].Resident.ID
	}
	if n := e.sqlInt(`SELECT count(*) FROM residents r JOIN places h ON h.id = r.household_id WHERE $1 = ANY(h.path)`, mustRaw(t, compound)); n != 7 {
		t.Fatalf("新苑 has %d residents after sign-up, want the 7 imported (no duplicates)", n)
	}

	// The owners' vote: six heads, 840 m², counted per exclusive part.
	opened := e.clock.Now().In(cst).Format(time.DateOnly)
	decide := func(title string, cast map[string]string) voteOut {
		t.Helper()
		topic := e.acceptedTopic(title)
		v := mustVote(t, e.do(staff, qOpenVote, map[string]any{"in": map[string]any{"placeId": compound, "topicId": topic,
			"title": title, "closesAt": e.clock.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339), "secret": true, "changeable": false, "rule": "OWNERS_ORDINARY"}}))
		if v.Turnout.EntitledHeads != 6 || v.Turnout.EntitledAreaDm2 != 84000 {
			t.Fatalf("%s: entitled %d heads and %d dm², want 6 heads and 84,000 dm² (per exclusive part)", title,
				v.Turnout.EntitledHeads, v.Turnout.EntitledAreaDm2)
		}
		for _, who := range []string{"甲一", "甲二", "韩多房", "丙", "丁"} {
			option, ok := cast[who]
			if !ok {
				continue
			}
			r := e.do(tokens[who], qCastBallot, map[string]any{"id": v.ID, "o": option})
			if who == "甲二" && cast["甲一"] != "" {
				r.wantCode(t, "CONFLICT") // the flat's one ballot is cast already
				continue
			}
			mustVote(t, r)
		}
		return mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
	}
	// Four heads and exactly 2/3 of the area take part (甲二 is refused: 甲一 cast the flat's
	// ballot): the quorum holds, at its boundary.
	first := decide("新苑续聘物业", map[string]string{"甲一": "同意", "甲二": "反对", "韩多房": "同意", "丙": "同意", "丁": "反对"})
	if first.Result == nil || !first.Result.QuorumMet || first.Result.Passed == nil || !*first.Result.Passed ||
		first.Turnout.ParticipatingHeads != 4 || first.Turnout.ParticipatingAreaDm2 != 56000 {
		t.Fatalf("at the boundary: turnout %+v result %+v, want 4 heads and 56,000 dm² taking part, quorum met, passed",
			first.Turnout, first.Result)
	}
	// One head fewer: three of six heads is less than 2/3, whatever the area.
	second := decide("新苑加装充电桩", map[string]string{"甲二": "同意", "韩多房": "同意", "丙": "同意"})
	if second.Result == nil || second.Result.QuorumMet || second.Turnout.ParticipatingHeads != 3 {
		t.Fatalf("a head short: turnout %+v result %+v, want 3 heads and no quorum", second.Turnout, second.Result)
	}

	// 丁 moves away after the vote. The closed vote's roll is untouched, and the roster as it
	// stood on the opening day explains it: the same flats, the same owners, the same heads.
	e.clock.Advance(3 * 24 * time.Hour)
	e.do(staff, qRecordLeaving, map[string]any{"r": residentOf["丁"], "lr": "MOVED_AWAY", "why": "房子卖了，搬去女儿家"}).Decode(t, &struct{}{})
	if livesIn(e.roster(staff, compound, ""), residentOf["丁"]) != "" {
		t.Fatal("today's roster still shows 丁 living in 新苑")
	}
	if livesIn(e.roster(staff, compound, opened), residentOf["丁"]) != flats["2栋 1单元201"] {
		t.Errorf("the roster as of %s does not show 丁 living in 2栋 1单元201", opened)
	}
	// Each head of the roll, written as its flats | its voters, against the same heads drawn
	// from the roster's owners that day by the law: flats sharing an owner are one head.
	_, voteID, _ := graph.ParseGlobalID(first.ID)
	var roll []struct{ Head, Household, Resident, Area int64 }
	if err := e.db.Select(&roll, `SELECT head AS "head", household_id AS "household", coalesce(resident_id, 0) AS "resident",
		area_dm2 AS "area" FROM vote_entitled WHERE vote_id = $1`, voteID); err != nil {
		t.Fatal(err)
	}
	flatsOf, votersOf := map[int64][]int64{}, map[int64][]int64{}
	for _, r := range roll {
		if r.Area > 0 {
			flatsOf[r.Head] = append(flatsOf[r.Head], r.Household)
		}
		if r.Resident != 0 {
			votersOf[r.Head] = append(votersOf[r.Head], r.Resident)
		}
	}
	headString := func(flats, people []int64) string {
		slices.Sort(flats)
		slices.Sort(people)
		return fmt.Sprint(flats, "|", people)
	}
	var onRoll []string
	for head := range flatsOf {
		onRoll = append(onRoll, headString(flatsOf[head], votersOf[head]))
	}
	owners := map[int64][]int64{} // flat → owners that day
	for _, h := range e.roster(staff, compound, opened) {
		_, flat, _ := graph.ParseGlobalID(h.Household.ID)
		for _, o := range h.Owners {
			_, r, _ := graph.ParseGlobalID(o.Resident.ID)
			owners[flat] = append(owners[flat], r)
		}
	}
	var heads [][]int64 // flats, joined while any two heads share an owner
	for flat := range owners {
		heads = append(heads, []int64{flat})
	}
	for joined := true; joined; {
		joined = false
		for a := 0; a < len(heads) && !joined; a++ {
			for b := a + 1; b < len(heads) && !joined; b++ {
				for _, fa := range heads[a] {
					for _, fb := range heads[b] {
						if slices.ContainsFunc(owners[fa], func(o int64) bool { return slices.Contains(owners[fb], o) }) {
							joined = true
						}
					}
				}
				if joined {
					heads[a] = append(heads[a], heads[b]...)
					heads = slices.Delete(heads, b, b+1)
				}
			}
		}
	}
	var fromRoster []string
	for _, flats := range heads {
		var people []int64
		for _, f := range flats {
			for _, o := range owners[f] {
				if !slices.Contains(people, o) {
					people = append(people, o)
				}
			}
		}
		fromRoster = append(fromRoster, headString(flats, people))
	}
	slices.Sort(onRoll)
	slices.Sort(fromRoster)
	if len(onRoll) != 6 || !slices.Equal(onRoll, fromRoster) {
		t.Fatalf("the closed vote's roll %v is not the heads of the roster as of %s: %v", onRoll, opened, fromRoster)
	}
	if again := mustVote(t, e.do(staff, qVote, map[string]any{"id": first.ID})); again.Turnout != first.Turnout ||
		again.Result == nil || again.Result.QuorumMet != first.Result.QuorumMet || again.Result.Passed == nil || *again.Result.Passed != *first.Result.Passed {
		t.Errorf("the closed vote changed after the move: %+v %+v, was %+v %+v", again.Turnout, again.Result, first.Turnout, first.Result)
	}
}
