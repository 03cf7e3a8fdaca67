package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"linli/db"
	"linli/graph"
)

// The owners' count at the law's boundaries (最高人民法院建筑物区分所有权司法解释 arts. 8–9):
// a compound, 法定花园, built for the tests, with
//   - P1, 91 m², owned by X1 and X2 together (one head);
//   - P2, P3, P4, 100 + 95 + 83 m², all owned by M (one head of 278 m²);
//   - D1, D2, 90 + 83 m², the developer's, unsold (one head of 173 m², nobody casts it);
//   - O1…O6, 131, 61, 137, 122, 120, 72 m², one ordinary owner each;
//   - U, 80 m², no owner recorded (not counted).
// So 9 heads and 1,185 m² (118,500 dm²). The areas are chosen so that the presets' thresholds
// fall exactly on sums of heads' areas: 2/3 of 1,185 is 790 = M+O2+O3+O4+O5+O6, and with the
// eight heads that can vote taking part (1,012 m²) 3/4 is 759 = H1+M+O2+O3+O5+O6.

const (
	qOwnersCount = `query($c: ID!, $on: Date) { ownersCount(compoundId: $c, on: $on) { on heads areaDm2
		owners { developer areaDm2 households { id name } owners { id name } voters { id name } }
		unrecordedHouseholds { name } } }`
	qSetOwners = `mutation($in: SetHouseholdOwnersInput!) { setHouseholdOwners(input: $in) {
		resident { id name } developer namedVoter since until } }`
	qNameVoter       = `mutation($in: NameVoterInput!) { nameVoter(input: $in) { resident { id name } developer namedVoter since until } }`
	qHouseholdOwners = `query($h: ID!, $on: Date) { householdOwners(householdId: $h, on: $on) {
		resident { name } developer namedVoter since until } }`
)

type ownerHeadOut struct {
	Developer  bool
	AreaDm2    int
	Households []struct{ ID, Name string }
	Owners     []struct{ ID, Name string }
	Voters     []struct{ ID, Name string }
}

type ownersCountOut struct {
	On                   string
	Heads, AreaDm2       int
	Owners               []ownerHeadOut
	UnrecordedHouseholds []struct{ Name string }
}

// lawCompound is 法定花园 as the tests built it.
type lawCompound struct {
	e          *env
	compound   string           // global ID
	compoundID int64            // row id
	flats      map[string]int64 // P1, P2 … → household id
	people     map[string]int64 // X1, X2, M, O1 … → resident id
	tokens     map[string]string
	votes      int
}

var lawFlats = []struct {
	name, building string
	m2             int
}{
	{"P1", "甲栋", 91}, {"P2", "甲栋", 100}, {"P3", "甲栋", 95}, {"P4", "乙栋", 83},
	{"D1", "乙栋", 90}, {"D2", "乙栋", 83},
	{"O1", "甲栋", 131}, {"O2", "甲栋", 61}, {"O3", "甲栋", 137}, {"O4", "乙栋", 122}, {"O5", "乙栋", 120}, {"O6", "乙栋", 72},
	{"U", "乙栋", 80},
}

// newLawCompound builds 法定花园 under 和平社区 with its people (accounts, verified residents)
// directly in the database, then records the owners through the API as staff would.
func newLawCompound(e *env, extraCoOwners int) *lawCompound {
	e.t.Helper()
	c := &lawCompound{e: e, flats: map[string]int64{}, people: map[string]int64{}, tokens: map[string]string{}}
	created := e.clock.Now().AddDate(-1, 0, 0)
	mustExec := func(q string, args ...any) {
		e.t.Helper()
		if _, err := e.db.Exec(q, args...); err != nil {
			e.t.Fatalf("%s: %v", q, err)
		}
	}
	if err := e.db.Get(&c.compoundID, `INSERT INTO places (level, parent_id, name, created_at)
		SELECT 'compound', id, '法定花园', $1 FROM places WHERE name = '和平社区' RETURNING id`, created); err != nil {
		e.t.Fatal(err)
	}
	c.compound = graph.GlobalID("Place", c.compoundID)
	mustExec(`INSERT INTO places (level, parent_id, name, created_at) VALUES ('grid', $1, '法定网格', $2)`, c.compoundID, created)
	mustExec(`INSERT INTO places (level, parent_id, name, created_at)
		SELECT 'building', g.id, b, $2 FROM places g, unnest(ARRAY['甲栋', '乙栋']) b WHERE g.parent_id = $1`, c.compoundID, created)
	for i, f := range lawFlats {
		var id int64
		if err := e.db.Get(&id, `INSERT INTO places (level, parent_id, name, room, floor_area_dm2, created_at)
			SELECT 'household', b.id, $2, $3, $4, $5 FROM places b JOIN places g ON g.id = b.parent_id
			WHERE g.parent_id = $1 AND b.name = $6 RETURNING id`,
			c.compoundID, f.name, fmt.Sprint(101+i), f.m2*100, created, f.building); err != nil {
			e.t.Fatal(err)
		}
		c.flats[f.name] = id
	}
	people := []struct{ name, home string }{{"X1", "P1"}, {"X2", "P1"}, {"M", "P2"}, {"O1", "O1"}, {"O2", "O2"},
		{"O3", "O3"}, {"O4", "O4"}, {"O5", "O5"}, {"O6", "O6"}, {"Y", "U"}}
	for i := range extraCoOwners {
		people = append(people, struct{ name, home string }{fmt.Sprintf("X%d", i+3), "P1"})
	}
	hash, err := db.HashPassword("mima-2026", testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	for i, p := range people {
		phone := fmt.Sprintf("136%08d", i+1)
		var id int64
		if err := e.db.Get(&id, `WITH a AS (INSERT INTO accounts (phone, name, password_hash, created_at)
				VALUES ($1, $2, $3, $4) RETURNING id)
			INSERT INTO residents (household_id, name, phone, birth_date, account_id, verified_at, created_at)
			SELECT $5, $2, $1, '1975-05-05', a.id, $4, $4 FROM a RETURNING id`,
			phone, "业主"+p.name, hash, created, c.flats[p.home]); err != nil {
			e.t.Fatal(err)
		}
		c.people[p.name] = id
		var out struct{ Login struct{ Token string } }
		e.do("", `mutation($p: String!) { login(phone: $p, password: "mima-2026") { token } }`,
			map[string]any{"p": phone}).Decode(e.t, &out)
		c.tokens[p.name] = out.Login.Token
	}
	staff := e.login(phoneStaff)
	coOwners := []string{"X1", "X2"}
	for i := range extraCoOwners {
		coOwners = append(coOwners, fmt.Sprintf("X%d", i+3))
	}
	c.setOwners(staff, "P1", "2026-03-01", coOwners...)
	for _, f := range []string{"P2", "P3", "P4"} {
		c.setOwners(staff, f, "2026-03-01", "M")
	}
	for _, f := range []string{"D1", "D2"} {
		c.setOwners(staff, f, "2026-03-01")
	}
	for _, o := range []string{"O1", "O2", "O3", "O4", "O5", "O6"} {
		c.setOwners(staff, o, "2026-03-01", o)
	}
	return c
}

func (c *lawCompound) ownersIn(names ...string) []string {
	ids := []string{}
	for _, n := range names {
		ids = append(ids, graph.GlobalID("Resident", c.people[n]))
	}
	return ids
}

// setOwners records the flat's owners from on; none is the developer.
func (c *lawCompound) setOwners(token, flat, on string, owners ...string) {
	c.e.t.Helper()
	in := map[string]any{"householdId": graph.GlobalID("Place", c.flats[flat]), "on": on, "reason": "不动产权证登记"}
	if len(owners) == 0 {
		in["developer"] = true
	} else {
		in["ownerIds"] = c.ownersIn(owners...)
	}
	var out struct{ SetHouseholdOwners []struct{ Developer bool } }
	c.e.do(token, qSetOwners, map[string]any{"in": in}).Decode(c.e.t, &out)
	if len(out.SetHouseholdOwners) != max(len(owners), 1) {
		c.e.t.Fatalf("%s: got %d owners, want %d", flat, len(out.SetHouseholdOwners), max(len(owners), 1))
	}
}

// recount counts the compound's owners on day from the raw ownership rows, by the law:
// every part with a recorded owner is a head of its own, then heads sharing an owner (a
// person, or the developer) are merged until none do. It returns the heads (each the sorted
// global IDs of its parts) and the area.
func (c *lawCompound) recount(day string) (heads [][]string, area int) {
	c.e.t.Helper()
	var rows []struct {
		Part  int64  `db:"id"`
		Area  int    `db:"floor_area_dm2"`
		Owner string `db:"owner"`
	}
	if err := c.e.db.Select(&rows, `SELECT h.id, h.floor_area_dm2, coalesce(o.resident_id::text, 'developer') AS owner
		FROM household_owners o JOIN places h ON h.id = o.household_id
		WHERE h.path @> ARRAY[$1::bigint] AND o.since <= $2::date AND (o.until IS NULL OR o.until > $2::date)`, c.compoundID, day); err != nil {
		c.e.t.Fatal(err)
	}
	type group struct {
		parts  map[int64]bool
		owners map[string]bool
	}
	var groups []*group
	areas := map[int64]int{}
	for _, r := range rows {
		areas[r.Part] = r.Area
		var g *group
		for _, x := range groups {
			if x.parts[r.Part] {
				g = x
			}
		}
		if g == nil {
			g = &group{parts: map[int64]bool{r.Part: true}, owners: map[string]bool{}}
			groups = append(groups, g)
		}
		g.owners[r.Owner] = true
	}
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(groups) && !merged; i++ {
			for j := i + 1; j < len(groups) && !merged; j++ {
				for o := range groups[j].owners {
					if groups[i].owners[o] {
						for p := range groups[j].parts {
							groups[i].parts[p] = true
						}
						for o := range groups[j].owners {
							groups[i].owners[o] = true
						}
						groups = slices.Delete(groups, j, j+1)
						merged = true
						break
					}
				}
			}
		}
	}
	for _, g := range groups {
		var parts []string
		for p := range g.parts {
			parts = append(parts, graph.GlobalID("Place", p))
			area += areas[p]
		}
		slices.Sort(parts)
		heads = append(heads, parts)
	}
	slices.SortFunc(heads, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return heads, area
}

func (c *lawCompound) count(token string, on any) ownersCountOut {
	c.e.t.Helper()
	var out struct{ OwnersCount ownersCountOut }
	c.e.do(token, qOwnersCount, map[string]any{"c": c.compound, "on": on}).Decode(c.e.t, &out)
	return out.OwnersCount
}

// headsOf turns the service's heads into the recount's form.
func headsOf(out ownersCountOut) [][]string {
	var heads [][]string
	for _, h := range out.Owners {
		var parts []string
		for _, p := range h.Households {
			parts = append(parts, p.ID)
		}
		slices.Sort(parts)
		heads = append(heads, parts)
	}
	slices.SortFunc(heads, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	return heads
}

// openOwnersVote opens an online owners' vote in the compound under preset.
func (c *lawCompound) openOwnersVote(preset string, secret, changeable bool) voteOut {
	c.e.t.Helper()
	c.votes++
	topic := c.e.acceptedTopic(fmt.Sprintf("法定花园第%d次表决：%s", c.votes, preset))
	in := map[string]any{"placeId": c.compound, "topicId": topic, "title": "是否同意续聘物业", "closesAt": "2026-11-30T12:00:00Z",
		"secret": secret, "changeable": changeable, "rule": preset}
	return mustVote(c.e.t, c.e.do(c.e.login(phoneStaff), qOpenVote, map[string]any{"in": in}))
}

// decide runs one owners' vote: each head in approve, oppose votes so (through the first of
// its people), then closes it and returns the result.
func (c *lawCompound) decide(preset string, approve, oppose []string) voteOut {
	c.e.t.Helper()
	v := c.openOwnersVote(preset, true, false)
	voter := map[string]string{"H1": "X1", "M": "M"}
	for _, set := range []struct {
		heads  []string
		option string
	}{{approve, "同意"}, {oppose, "反对"}} {
		for _, h := range set.heads {
			who := voter[h]
			if who == "" {
				who = h
			}
			mustVote(c.e.t, c.e.do(c.tokens[who], qCastBallot, map[string]any{"id": v.ID, "o": set.option}))
		}
	}
	return mustVote(c.e.t, c.e.do(c.e.login(phoneStaff), qCloseVote, map[string]any{"id": v.ID}))
}

func TestOwnersCountedByLaw(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := newLawCompound(e, 0)
	staff := e.login(phoneStaff)
	got := c.count(staff, nil)
	wantHeads, wantArea := c.recount("2026-11-23")
	if len(wantHeads) != 9 || wantArea != 118500 {
		t.Fatalf("the recount of the fixture: %d heads, %d dm², want 9 and 118500", len(wantHeads), wantArea)
	}
	if got.Heads != len(wantHeads) || got.AreaDm2 != wantArea || !slices.EqualFunc(headsOf(got), wantHeads, slices.Equal) {
		t.Fatalf("ownersCount: %d heads %v, %d dm²; the law: %d heads %v, %d dm²", got.Heads, headsOf(got), got.AreaDm2,
			len(wantHeads), wantHeads, wantArea)
	}
	if len(got.UnrecordedHouseholds) != 1 || got.UnrecordedHouseholds[0].Name != "U" {
		t.Fatalf("unrecorded: got %v, want U", got.UnrecordedHouseholds)
	}
	for _, h := range got.Owners {
		switch h.Households[0].Name {
		case "P1":
			if len(h.Owners) != 2 || len(h.Voters) != 2 || h.AreaDm2 != 9100 {
				t.Fatalf("the co-owned flat: got %+v, want two owners who may both cast, 9100 dm²", h)
			}
		case "D1":
			if !h.Developer || len(h.Owners) != 0 || len(h.Voters) != 0 || h.AreaDm2 != 17300 {
				t.Fatalf("the developer: got %+v, want one head of 17300 dm² nobody casts", h)
			}
		}
	}
	// An owners' vote's roll is the same count: heads and area.
	v := c.openOwnersVote("OWNERS_ORDINARY", true, false)
	if v.Turnout.EntitledHeads != 9 || v.Turnout.EntitledAreaDm2 != 118500 {
		t.Fatalf("vote turnout: %+v, want 9 heads and 118500 dm² entitled", v.Turnout)
	}
	// An owners' assembly's roll too, and attendance counts heads: both co-owners checking in
	// are one head present.
	m := mustMeeting(t, e.schedule(staff, e.meetingInput("法定花园业主大会", map[string]any{"kind": "OWNERS_ASSEMBLY", "placeId": c.compound})))
	started := mustMeeting(t, e.do(staff, qStart, map[string]any{"id": m.ID}))
	if a := started.Attendance; a.EntitledHeads != 9 || a.EntitledAreaDm2 != 118500 {
		t.Fatalf("assembly roll: %+v, want 9 heads, 118500 dm²", a)
	}
	for _, who := range []string{"X1", "X2", "M"} {
		if r := e.do(staff, qCheckIn, map[string]any{"id": m.ID, "r": graph.GlobalID("Resident", c.people[who])}); len(r.Errors) > 0 {
			t.Fatalf("check in %s: %+v", who, r.Errors)
		}
	}
	after := mustMeeting(t, e.do(staff, qMeeting, map[string]any{"id": m.ID}))
	if a := after.Attendance; a.PresentHeads != 2 || a.PresentAreaDm2 != 9100+27800 {
		t.Fatalf("present: %+v, want 2 heads (P1's co-owners are one), 36900 dm²", a)
	}
	// Only the community's keepers of the roster see the count.
	e.do(e.login(phoneResident), qOwnersCount, map[string]any{"c": c.compound}).wantCode(t, db.EFORBIDDEN)
	e.do(staff, qOwnersCount, map[string]any{"c": e.placeID("和平社区")}).wantCode(t, db.EINVALID)
}

func TestOwnersVoteAtTheBoundaries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := newLawCompound(e, 0)
	cases := []struct {
		name            string
		preset          string
		approve, oppose []string
		grow            string // a flat one m² larger before the vote opens
		quorum, passed  bool
	}{
		// Ordinary: at least 2/3 of the heads and of the area take part (6 of 9; 790 of 1,185 m²).
		{"six heads and exactly 2/3 of the area take part", "OWNERS_ORDINARY",
			[]string{"M", "O2", "O3", "O4", "O5", "O6"}, nil, "", true, true},
		{"five heads take part", "OWNERS_ORDINARY", []string{"M", "O2", "O3", "O4", "O5"}, nil, "", false, false},
		{"one m² more in the compound: 790 m² is less than 2/3", "OWNERS_ORDINARY",
			[]string{"M", "O2", "O3", "O4", "O5", "O6"}, nil, "D1", false, false},
		// Ordinary: more than half of the participating heads and area approve (of 8 heads, 5).
		{"five of eight heads approve", "OWNERS_ORDINARY", []string{"M", "O1", "O3", "O4", "O5"}, []string{"H1", "O2", "O6"}, "", true, true},
		{"four of eight heads approve, most of the area", "OWNERS_ORDINARY", []string{"M", "O1", "O3", "O4"},
			[]string{"H1", "O2", "O5", "O6"}, "", true, false},
		// Major: at least 3/4 of the participating heads and area approve (6 of 8; 759 of 1,012 m²).
		{"six heads and exactly 3/4 of the area approve", "OWNERS_MAJOR", []string{"H1", "M", "O2", "O3", "O5", "O6"},
			[]string{"O1", "O4"}, "", true, true},
		{"one m² more against: 759 m² is less than 3/4", "OWNERS_MAJOR", []string{"H1", "M", "O2", "O3", "O5", "O6"},
			[]string{"O1", "O4"}, "O1", true, false},
		{"five heads approve, more than 3/4 of the area", "OWNERS_MAJOR", []string{"M", "O1", "O3", "O4", "O5"},
			[]string{"H1", "O2", "O6"}, "", true, false},
	}
	for _, tc := range cases {
		if tc.grow != "" {
			if _, err := e.db.Exec(`UPDATE places SET floor_area_dm2 = floor_area_dm2 + 100 WHERE id = $1`, c.flats[tc.grow]); err != nil {
				t.Fatal(err)
			}
		}
		got := c.decide(tc.preset, tc.approve, tc.oppose)
		if tc.grow != "" {
			if _, err := e.db.Exec(`UPDATE places SET floor_area_dm2 = floor_area_dm2 - 100 WHERE id = $1`, c.flats[tc.grow]); err != nil {
				t.Fatal(err)
			}
		}
		if got.Result == nil || got.Result.QuorumMet != tc.quorum || got.Result.Passed == nil || *got.Result.Passed != tc.passed {
			t.Errorf("%s (%s): got %+v %+v, want quorum %v, passed %v", tc.name, tc.preset, got.Turnout, got.Result, tc.quorum, tc.passed)
		}
		if heads := len(tc.approve) + len(tc.oppose); got.Turnout.EntitledHeads != 9 || got.Turnout.ParticipatingHeads != heads {
			t.Errorf("%s: turnout %+v, want 9 entitled, %d taking part", tc.name, got.Turnout, heads)
		}
	}
}

func TestOwnersCoOwnersRaceForOneBallot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 16 // co-owners of P1
	c := newLawCompound(e, n-2)
	var tokens []string
	names := []string{"X1", "X2"}
	for i := range n - 2 {
		names = append(names, fmt.Sprintf("X%d", i+3))
	}
	for _, x := range names {
		tokens = append(tokens, c.tokens[x])
	}
	staff := e.login(phoneStaff)
	for _, changeable := range []bool{false, true} {
		for _, secret := range []bool{true, false} {
			v := c.openOwnersVote("OWNERS_ORDINARY", secret, changeable)
			opts := make([]string, n)
			for i := range opts {
				opts[i] = db.DefaultVoteOptions[i%2]
			}
			each := e.castAll(tokens, v.ID, opts, 0, nil)
			if codes := countCodes(each); codes[""] != 1 || codes[db.ECONFLICT] != n-1 {
				t.Fatalf("secret %v changeable %v: got %v, want 1 success and %d CONFLICT", secret, changeable, codes, n-1)
			}
			// The co-owner told they voted is the one the vote says has voted.
			for i, tok := range tokens {
				if got := mustVote(t, e.do(tok, qVote, map[string]any{"id": v.ID})).HasVoted; got != (each[i] == "") {
					t.Fatalf("secret %v changeable %v: %s was answered %q, and hasVoted is %v", secret, changeable, names[i], each[i], got)
				}
			}
			// The refusal names who voted for the flat.
			var holder string
			if err := e.db.Get(&holder, `SELECT r.name FROM vote_participation p JOIN residents r ON r.id = p.resident_id
				WHERE p.vote_id = (SELECT max(id) FROM votes)`); err != nil {
				t.Fatal(err)
			}
			for i, tok := range tokens {
				r := e.do(tok, qCastBallot, map[string]any{"id": v.ID, "o": "弃权"})
				switch {
				case "业主"+names[i] == holder && changeable && r.Code() != "":
					t.Fatalf("the co-owner who voted cannot change their ballot: %+v", r.Errors)
				case "业主"+names[i] != holder && (r.Code() != db.ECONFLICT || !strings.Contains(r.Errors[0].Message, "已由共有人"+holder)):
					t.Fatalf("%s: got %+v, want CONFLICT naming %s", names[i], r.Errors, holder)
				}
			}
			got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
			heads, area := 0, 0
			for _, tl := range got.Tallies {
				heads += tl.Heads
				area += tl.AreaDm2
			}
			if heads != 1 || area != 9100 || got.Turnout.ParticipatingHeads != 1 || got.Turnout.ParticipatingAreaDm2 != 9100 {
				t.Fatalf("secret %v changeable %v: %d ballots of %d dm², turnout %+v; want one ballot of P1's 9100 dm²",
					secret, changeable, heads, area, got.Turnout)
			}
		}
	}
}

func TestOwnersNamedVoter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := newLawCompound(e, 0)
	staff, grid := e.login(phoneStaff), e.login(phoneGridWorker)
	p1 := graph.GlobalID("Place", c.flats["P1"])
	name := func(token, who string) *response {
		in := map[string]any{"householdId": p1, "on": "2026-11-01", "reason": "共有人书面约定"}
		if who != "" {
			in["residentId"] = graph.GlobalID("Resident", c.people[who])
		}
		return e.do(token, qNameVoter, map[string]any{"in": in})
	}
	// Only staff of the community or the grid worker of the flat's grid (王丽 keeps another grid).
	name(grid, "X2").wantCode(t, db.ENOTFOUND)
	name(c.tokens["X1"], "X2").wantCode(t, db.EFORBIDDEN)
	// Only a co-owner of the flat can be named.
	name(staff, "M").wantCode(t, db.EINVALID)
	var out struct {
		NameVoter []struct {
			Resident   struct{ Name string }
			NamedVoter bool
		}
	}
	name(staff, "X2").Decode(t, &out)
	if len(out.NameVoter) != 2 || !slices.ContainsFunc(out.NameVoter, func(o struct {
		Resident   struct{ Name string }
		NamedVoter bool
	}) bool {
		return o.NamedVoter && o.Resident.Name == "业主X2"
	}) {
		t.Fatalf("named: got %+v, want X2 named among two co-owners", out.NameVoter)
	}
	if n := e.sqlInt(`SELECT count(*) FROM audit_events WHERE action = 'named_voter_set' AND place_id = $1`, c.flats["P1"]); n != 1 {
		t.Fatalf("audit: %d events, want 1", n)
	}
	v := c.openOwnersVote("OWNERS_ORDINARY", true, true)
	r := e.do(c.tokens["X1"], qCastBallot, map[string]any{"id": v.ID, "o": "同意"})
	if r.Code() != db.EFORBIDDEN || !strings.Contains(r.Errors[0].Message, "本户指定业主X2投票") {
		t.Fatalf("X1 casting for P1 with X2 named: got %+v, want FORBIDDEN naming X2", r.Errors)
	}
	got := mustVote(t, e.do(c.tokens["X2"], qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	if !got.HasVoted || got.Turnout.ParticipatingHeads != 1 || got.Turnout.ParticipatingAreaDm2 != 9100 {
		t.Fatalf("X2's ballot: %+v", got.Turnout)
	}
	// Naming nobody again: from then on any co-owner may cast (on a roll drawn after).
	name(staff, "").Decode(t, &out)
	v = c.openOwnersVote("OWNERS_ORDINARY", true, false)
	mustVote(t, e.do(c.tokens["X1"], qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	if r := e.do(c.tokens["X2"], qCastBallot, map[string]any{"id": v.ID, "o": "反对"}); r.Code() != db.ECONFLICT {
		t.Fatalf("X2 after X1: got %+v, want CONFLICT", r.Errors)
	}
}

func TestOwnersSaleAfterTheVoteOpened(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := newLawCompound(e, 0)
	staff := e.login(phoneStaff)
	v := c.openOwnersVote("OWNERS_ORDINARY", true, false)
	// O6 sells to Y today, and M's P4 is sold to Y too: on today's roster Y is one head
	// of two flats, M keeps two; the open vote's roll stays as it was.
	c.setOwners(staff, "O6", "2026-11-23", "Y")
	c.setOwners(staff, "P4", "2026-11-23", "Y")
	today, yesterday := c.count(staff, "2026-11-23"), c.count(staff, "2026-11-22")
	for _, tc := range []struct {
		got  ownersCountOut
		day  string
		want int
	}{{today, "2026-11-23", 9}, {yesterday, "2026-11-22", 9}} {
		heads, area := c.recount(tc.day)
		if tc.got.Heads != len(heads) || tc.got.AreaDm2 != area || !slices.EqualFunc(headsOf(tc.got), heads, slices.Equal) || len(heads) != tc.want {
			t.Fatalf("%s: got %d heads %v, the law: %v", tc.day, tc.got.Heads, headsOf(tc.got), heads)
		}
	}
	ys := []string{graph.GlobalID("Place", c.flats["O6"]), graph.GlobalID("Place", c.flats["P4"])}
	slices.Sort(ys)
	if !slices.ContainsFunc(headsOf(today), func(h []string) bool { return slices.Equal(h, ys) }) {
		t.Fatalf("today: %v, want Y's O6 and P4 one head", headsOf(today))
	}
	// Y is not on the open vote's roll; O6, the seller, still is.
	if r := e.do(c.tokens["Y"], qCastBallot, map[string]any{"id": v.ID, "o": "同意"}); r.Code() != db.EFORBIDDEN {
		t.Fatalf("the buyer on a roll drawn before: got %+v, want FORBIDDEN", r.Errors)
	}
	got := mustVote(t, e.do(c.tokens["O6"], qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	if got.Turnout.EntitledHeads != 9 || got.Turnout.EntitledAreaDm2 != 118500 || got.Turnout.ParticipatingAreaDm2 != 7200 {
		t.Fatalf("after the sale: %+v, want the roll unchanged", got.Turnout)
	}
	// The history keeps the seller.
	var hist struct {
		HouseholdOwners []struct {
			Resident struct{ Name string }
			Until    *string
		}
	}
	e.do(staff, qHouseholdOwners, map[string]any{"h": graph.GlobalID("Place", c.flats["O6"]), "on": "2026-11-22"}).Decode(t, &hist)
	if len(hist.HouseholdOwners) != 1 || hist.HouseholdOwners[0].Resident.Name != "业主O6" || hist.HouseholdOwners[0].Until == nil ||
		*hist.HouseholdOwners[0].Until != "2026-11-23" {
		t.Fatalf("O6 on the day before the sale: %+v", hist.HouseholdOwners)
	}
	if n := e.sqlInt(`SELECT count(*) FROM audit_events WHERE action = 'owners_set' AND place_id = $1`, c.flats["O6"]); n != 2 {
		t.Fatalf("audit: %d events for O6, want 2 (recorded, sold)", n)
	}
}

func TestOwnersRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := newLawCompound(e, 0)
	staff := e.login(phoneStaff)
	before := e.sqlInt(`SELECT count(*) FROM household_owners`)
	audits := e.sqlInt(`SELECT count(*) FROM audit_events`)
	o1 := graph.GlobalID("Place", c.flats["O1"])
	guangming := e.sqlInt(`SELECT r.id FROM residents r JOIN places h ON h.id = r.household_id JOIN places c ON c.id = ANY (h.path)
		WHERE c.name = '光明社区' ORDER BY r.id LIMIT 1`)
	for _, tc := range []struct {
		name, token, code, field string
		in                       map[string]any
	}{
		{"a future day", staff, db.EINVALID, "on", map[string]any{"ownerIds": c.ownersIn("M"), "on": "2026-11-24"}},
		{"before the current owner's day", staff, db.EINVALID, "on", map[string]any{"ownerIds": c.ownersIn("M"), "on": "2026-02-01"}},
		{"owners and the developer", staff, db.EINVALID, "ownerIds", map[string]any{"ownerIds": c.ownersIn("M"), "developer": true, "on": "2026-11-01"}},
		{"nobody", staff, db.EINVALID, "ownerIds", map[string]any{"on": "2026-11-01"}},
		{"the same owner twice", staff, db.EINVALID, "ownerIds", map[string]any{"ownerIds": c.ownersIn("M", "M"), "on": "2026-11-01"}},
		{"an owner of another community", staff, db.ENOTFOUND, "ownerIds",
			map[string]any{"ownerIds": []string{graph.GlobalID("Resident", guangming)}, "on": "2026-11-01"}},
		{"no reason", staff, db.EINVALID, "reason", map[string]any{"ownerIds": c.ownersIn("M"), "on": "2026-11-01", "reason": " "}},
		{"an owner", c.tokens["O1"], db.EFORBIDDEN, "", map[string]any{"ownerIds": c.ownersIn("M"), "on": "2026-11-01"}},
		{"staff of another community", e.login(phoneStaffGuangming), db.ENOTFOUND, "householdId",
			map[string]any{"ownerIds": c.ownersIn("M"), "on": "2026-11-01"}},
		{"a building", staff, db.EINVALID, "householdId", map[string]any{"householdId": e.placeID("1号楼"), "ownerIds": c.ownersIn("M"), "on": "2026-11-01"}},
	} {
		in := map[string]any{"householdId": o1, "reason": "过户"}
		for k, v := range tc.in {
			in[k] = v
		}
		r := e.do(tc.token, qSetOwners, map[string]any{"in": in})
		if r.Code() != tc.code || (tc.field != "" && r.Field() != tc.field) || len(r.Errors) == 0 || r.Errors[0].Message == "" {
			t.Errorf("%s: got %+v, want %s on %q", tc.name, r.Errors, tc.code, tc.field)
		}
	}
	if after := e.sqlInt(`SELECT count(*) FROM household_owners`); after != before {
		t.Fatalf("refusals changed ownership: %d rows, was %d", after, before)
	}
	if after := e.sqlInt(`SELECT count(*) FROM audit_events`); after != audits {
		t.Fatalf("refusals were audited as changes: %d events, was %d", after, audits)
	}
	// Setting the same owners again changes nothing and records nothing.
	c.setOwners(staff, "O1", "2026-11-01", "O1")
	if after := e.sqlInt(`SELECT count(*) FROM audit_events`); after != audits {
		t.Fatalf("setting the same owners was audited: %d events, was %d", after, audits)
	}
	// The grid worker of the flat's grid may record its owners.
	if _, err := e.db.Exec(`INSERT INTO role_grants (account_id, role, place_id, granted_at)
		SELECT a.id, 'grid_worker', g.id, now() FROM accounts a, places g WHERE a.phone = $1 AND g.name = '法定网格'`, phoneGridWorker); err != nil {
		t.Fatal(err)
	}
	c.setOwners(e.login(phoneGridWorker), "O1", "2026-11-10", "O1", "X1")
	if n := e.sqlInt(`SELECT count(*) FROM audit_events WHERE action = 'owners_set' AND place_id = $1`, c.flats["O1"]); n != 2 {
		t.Fatalf("audit: %d events for O1, want 2", n)
	}
}
