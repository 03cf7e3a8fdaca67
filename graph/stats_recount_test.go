package graph_test

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/district"
	"linli/graph"
)

// The figures checked against a recount made here, in Go, from the raw rows (wishes and
// their steps, the ledger, topics, meetings, votes, resolutions) of a generated district:
// nothing of the service's SQL is reused, so a wrong figure cannot agree with itself.

var (
	recountCfg = district.Config{Seed: 7, Subdistricts: 2, Communities: 6, Residents: 4000, Wishes: 12000,
		Votes: 40, Ballots: 4000, Years: 2, Now: testNow, BallotKey: testBallotKey}
)

// newGeneratedEnv serves a fresh database filled by the generator, with an analyst over
// its first subdistrict, sub; it returns the analyst's token.
func newGeneratedEnv(t *testing.T) (e *env, analyst string, sub int64) {
	t.Helper()
	d, _ := dbtest.New(t)
	if err := district.Generate(t.Context(), d, recountCfg, func(string, ...any) {}); err != nil {
		t.Fatalf("generating: %v", err)
	}
	e = serve(t, d)
	if err := d.Get(&sub, `SELECT id FROM places WHERE level = 'subdistrict' ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	// A sign-in of our own, so the test does not depend on the generator's accounts.
	addAnalyst(t, d, "19900000009", sub)
	var out struct{ Login struct{ Token string } }
	e.do("", `mutation { login(phone: "19900000009", password: "linli2026") { token } }`, nil).Decode(t, &out)
	return e, out.Login.Token, sub
}

// addAnalyst gives d an analyst account with the password linli2026 over the places, or
// makes sure it has one.
func addAnalyst(tb testing.TB, d *sqlx.DB, phone string, places ...int64) {
	tb.Helper()
	hash, err := db.HashPassword("linli2026", testPassword)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := d.Exec(`WITH a AS (INSERT INTO accounts (phone, name, password_hash, created_at) VALUES ($1, '统计员', $2, $3)
			ON CONFLICT (phone) DO UPDATE SET password_hash = EXCLUDED.password_hash RETURNING id)
		INSERT INTO role_grants (account_id, role, place_id, granted_at)
		SELECT a.id, 'analyst', p, $3 FROM a, unnest($4::bigint[]) p ON CONFLICT DO NOTHING`, phone, hash, testNow, pq.Array(places)); err != nil {
		tb.Fatal(err)
	}
}

// rawWish is one wish as the recount sees it, from wishes, wish_events, residents, places.
type rawWish struct {
	id, beneficiary                    int64
	category, state                    string
	created                            time.Time
	rating                             *int
	path                               []int64 // the beneficiary's household, subdistrict first
	reviewed, claimed, fulfil, confirm *time.Time
	released, lapsed                   int
}

func (w *rawWish) community() int64   { return w.path[1] }
func (w *rawWish) subdistrict() int64 { return w.path[0] }

func loadRawWishes(t *testing.T, e *env) []*rawWish {
	t.Helper()
	var rows []struct {
		ID          int64         `db:"id"`
		Beneficiary int64         `db:"beneficiary_id"`
		Category    string        `db:"category"`
		State       string        `db:"state"`
		Created     time.Time     `db:"created_at"`
		Rating      *int          `db:"rating"`
		Path        pq.Int64Array `db:"path"`
	}
	if err := e.db.Select(&rows, `SELECT w.id, w.beneficiary_id, w.category, w.state, w.created_at, w.rating, h.path
		FROM wishes w, residents r, places h WHERE r.id = w.beneficiary_id AND h.id = r.household_id`); err != nil {
		t.Fatal(err)
	}
	byID := map[int64]*rawWish{}
	var out []*rawWish
	for _, r := range rows {
		w := &rawWish{id: r.ID, beneficiary: r.Beneficiary, category: r.Category, state: r.State, created: r.Created, rating: r.Rating, path: r.Path}
		byID[r.ID] = w
		out = append(out, w)
	}
	var events []struct {
		Wish   int64     `db:"wish_id"`
		At     time.Time `db:"at"`
		Action string    `db:"action"`
	}
	if err := e.db.Select(&events, `SELECT wish_id, at, action FROM wish_events`); err != nil {
		t.Fatal(err)
	}
	first := func(p **time.Time, at time.Time) {
		if *p == nil || at.Before(**p) {
			*p = &at
		}
	}
	for _, ev := range events {
		w := byID[ev.Wish]
		switch ev.Action {
		case "publish", "reject":
			first(&w.reviewed, ev.At)
		case "claim":
			first(&w.claimed, ev.At)
		case "fulfil":
			first(&w.fulfil, ev.At)
		case "confirm":
			first(&w.confirm, ev.At)
		case "release":
			w.released++
		case "lapse":
			w.lapsed++
		}
	}
	return out
}

// percentileCont is PostgreSQL's percentile_cont: linear interpolation between the two
// values around p·(n−1) of the sorted values.
func percentileCont(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := math.Floor(pos)
	hi := math.Ceil(pos)
	a, b := sorted[int(lo)], sorted[int(hi)]
	if lo == hi {
		return a
	}
	return a + (b-a)*(pos-lo)
}

type durationOut struct {
	Count       int
	MedianHours *float64
	P90Hours    *float64
}

func recountDurations(ws []*rawWish, at func(*rawWish) *time.Time) durationOut {
	var secs []float64
	for _, w := range ws {
		if t := at(w); t != nil {
			secs = append(secs, math.Floor(t.Sub(w.created).Seconds()))
		}
	}
	d := durationOut{Count: len(secs)}
	if len(secs) > 0 {
		slices.Sort(secs)
		m, p := percentileCont(secs, 0.5)/3600, percentileCont(secs, 0.9)/3600
		d.MedianHours, d.P90Hours = &m, &p
	}
	return d
}

type wishGroupOut struct {
	Place       *struct{ ID string }
	Category    *string
	State       *string
	PeriodStart *time.Time
	Suppressed  bool
	Residents   *int
	Wishes      *int
	ByState     []struct {
		State string
		Count *int
	}
	AnsweredShare                          *float64
	ToReview, ToClaim, ToFulfil, ToConfirm *durationOut
	Satisfaction                           *struct {
		Count        int
		Average      *float64
		Distribution []*int
	}
	ClaimsReleased, ClaimsLapsed *int
}

const wishGroupFields = `place { id } category state periodStart suppressed residents wishes byState { state count } answeredShare
	toReview { count medianHours p90Hours } toClaim { count medianHours p90Hours }
	toFulfil { count medianHours p90Hours } toConfirm { count medianHours p90Hours }
	satisfaction { count average distribution } claimsReleased claimsLapsed`

const qWishRecount = `query($f: WishStatsFilter, $g: WishStatsGrouping) { wishStats(filter: $f, groupBy: $g) { minGroupSize suppressedGroups
	groups { ` + wishGroupFields + ` } total { ` + wishGroupFields + ` } } }`

var cst = time.FixedZone("CST", 8*3600)

func quarter(t time.Time) time.Time {
	t = t.In(cst)
	return time.Date(t.Year(), t.Month()-(t.Month()-1)%3, 1, 0, 0, 0, 0, cst)
}

func monthOf(t time.Time) time.Time {
	t = t.In(cst)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, cst)
}

var wishStateOrder = []string{"submitted", "published", "rejected", "cancelled", "claimed", "fulfilled", "confirmed", "disputed", "closed"}

// checkWishGroup compares one group's figures with a recount of its wishes: a group of
// fewer than minGroup people is suppressed, and every figure a group shows is exact. A
// larger group may be withheld too (secondary suppression, to protect its siblings), as
// may parts of its breakdowns; it reports whether it was.
func checkWishGroup(t *testing.T, name string, g wishGroupOut, ws []*rawWish, minGroup int) (secondary bool) {
	t.Helper()
	people := map[int64]bool{}
	for _, w := range ws {
		people[w.beneficiary] = true
	}
	if hidden(len(people), minGroup) && !g.Suppressed {
		t.Errorf("%s: shown with %d residents", name, len(people))
		return false
	}
	if g.Suppressed {
		if g.Wishes != nil || g.Residents != nil || g.ToReview != nil || g.Satisfaction != nil {
			t.Errorf("%s: a suppressed group shows figures", name)
		}
		return !hidden(len(people), minGroup)
	}
	eq := func(what string, got, want any) {
		if got != want {
			t.Errorf("%s %s: got %v, want %v", name, what, got, want)
		}
	}
	eq("residents", *g.Residents, len(people))
	eq("wishes", *g.Wishes, len(ws))
	states := map[string]int{}
	reviewed, released, lapsed, ratings, ratingSum := 0, 0, 0, 0, 0
	dist := make([]int, 5)
	for _, w := range ws {
		states[w.state]++
		if w.reviewed != nil {
			reviewed++
		}
		released += w.released
		lapsed += w.lapsed
		if w.rating != nil {
			ratings++
			ratingSum += *w.rating
			dist[*w.rating-1]++
		}
	}
	for i, s := range g.ByState {
		if s.Count != nil {
			eq("state "+s.State, *s.Count, states[wishStateOrder[i]])
		}
	}
	if g.AnsweredShare != nil {
		eq("answered share", *g.AnsweredShare, float64(reviewed)/float64(len(ws)))
	}
	if g.ClaimsReleased != nil {
		eq("released", *g.ClaimsReleased, released)
	}
	if g.ClaimsLapsed != nil {
		eq("lapsed", *g.ClaimsLapsed, lapsed)
	}
	if sat := g.Satisfaction; sat != nil {
		eq("ratings", sat.Count, ratings)
		whole := true
		for i, n := range sat.Distribution {
			if n == nil {
				whole = false
			} else {
				eq(fmt.Sprintf("ratings of %d", i+1), *n, dist[i])
			}
		}
		switch {
		case sat.Average != nil:
			eq("average rating", *sat.Average, float64(ratingSum)/float64(ratings))
		case whole && ratings > 0:
			t.Errorf("%s: no average of a whole distribution", name)
		}
	}
	for _, d := range []struct {
		what string
		got  *durationOut
		at   func(*rawWish) *time.Time
	}{
		{"to review", g.ToReview, func(w *rawWish) *time.Time { return w.reviewed }},
		{"to claim", g.ToClaim, func(w *rawWish) *time.Time { return w.claimed }},
		{"to fulfil", g.ToFulfil, func(w *rawWish) *time.Time { return w.fulfil }},
		{"to confirm", g.ToConfirm, func(w *rawWish) *time.Time { return w.confirm }},
	} {
		if d.got == nil {
			continue // withheld
		}
		want := recountDurations(ws, d.at)
		eq(d.what+" count", d.got.Count, want.Count)
		if (d.got.MedianHours == nil) != (want.MedianHours == nil) {
			t.Errorf("%s %s: median %v, want %v", name, d.what, d.got.MedianHours, want.MedianHours)
			continue
		}
		if want.MedianHours != nil {
			eq(d.what+" median", *d.got.MedianHours, *want.MedianHours)
			eq(d.what+" p90", *d.got.P90Hours, *want.P90Hours)
		}
	}
	return false
}

// TestWishStatsRecount: a year of one subdistrict's wishes by community, category and
// month, then a narrower cell (one category, rated wishes), each group equal to the
// recount, medians and 90th percentiles included.
func TestWishStatsRecount(t *testing.T) {
	t.Parallel()
	e, analyst, sub := newGeneratedEnv(t)
	raw := loadRawWishes(t, e)
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, cst)
	to := time.Date(2027, 1, 1, 0, 0, 0, 0, cst)

	type key struct {
		community int64
		category  string
		month     time.Time
	}
	cases := []struct {
		name   string
		filter map[string]any
		keep   func(*rawWish) bool
	}{
		{"a year", map[string]any{}, func(*rawWish) bool { return true }},
		{"rated repairs", map[string]any{
			"category": map[string]any{"eq": "REPAIR"},
			"rating":   map[string]any{"gte": 1},
		}, func(w *rawWish) bool { return w.category == "repair" && w.rating != nil }},
	}
	for _, c := range cases {
		c.filter["createdAt"] = map[string]any{"gte": from.Format(time.RFC3339), "lt": to.Format(time.RFC3339)}
		var out struct {
			WishStats struct {
				MinGroupSize     int
				SuppressedGroups int
				Groups           []wishGroupOut
				Total            wishGroupOut
			}
		}
		e.do(analyst, qWishRecount, map[string]any{"f": c.filter,
			"g": map[string]any{"placeLevel": "COMMUNITY", "category": true, "period": "MONTH"}}).Decode(t, &out)

		groups := map[key][]*rawWish{}
		var all []*rawWish
		for _, w := range raw {
			if w.subdistrict() != sub || w.created.Before(from) || !w.created.Before(to) || !c.keep(w) {
				continue
			}
			k := key{w.community(), w.category, monthOf(w.created)}
			groups[k] = append(groups[k], w)
			all = append(all, w)
		}
		gs := out.WishStats.Groups
		if len(gs) != len(groups) {
			t.Fatalf("%s: %d groups, want %d", c.name, len(gs), len(groups))
		}
		suppressed, secondary := 0, 0
		for _, g := range gs {
			k := key{graphKey(t, g.Place.ID), strings.ToLower(*g.Category), monthOf(*g.PeriodStart)}
			ws := groups[k]
			if ws == nil {
				t.Fatalf("%s: a group the recount does not have: %+v", c.name, k)
			}
			if g.Suppressed {
				suppressed++
			}
			if checkWishGroup(t, c.name, g, ws, out.WishStats.MinGroupSize) {
				secondary++
			}
		}
		if suppressed != out.WishStats.SuppressedGroups {
			t.Errorf("%s: suppressedGroups %d, counted %d", c.name, out.WishStats.SuppressedGroups, suppressed)
		}
		checkWishGroup(t, c.name+" total", out.WishStats.Total, all, out.WishStats.MinGroupSize)
		if suppressed == 0 || suppressed == len(gs) {
			t.Errorf("%s: %d of %d groups suppressed: the data should have both kinds", c.name, suppressed, len(gs))
		}
		// Secondary suppression costs some large groups, not all of them: the rest are exact.
		if large := len(gs) - suppressed + secondary; secondary*2 > large && c.name == "a year" || secondary == large {
			t.Errorf("%s: %d of %d large groups withheld", c.name, secondary, large)
		}
		t.Logf("%s: %d groups, %d suppressed, %d of them large", c.name, len(gs), suppressed, secondary)
	}
}

// graphKey is the database id behind a global ID.
func graphKey(t *testing.T, id string) int64 {
	t.Helper()
	_, n, ok := graph.ParseGlobalID(id)
	if !ok {
		t.Fatalf("bad global ID %q", id)
	}
	return n
}

// TestVolunteerStatsRecount: hours, points, wishes credited and active volunteers by
// community and quarter, and each group's leaderboard, against the ledger.
func TestVolunteerStatsRecount(t *testing.T) {
	t.Parallel()
	e, analyst, sub := newGeneratedEnv(t)
	var entries []struct {
		Account int64         `db:"account_id"`
		At      time.Time     `db:"at"`
		Kind    string        `db:"kind"`
		Minutes int           `db:"minutes"`
		Points  int           `db:"points"`
		Path    pq.Int64Array `db:"path"`
	}
	if err := e.db.Select(&entries, `SELECT l.account_id, l.at, l.kind, l.minutes, l.points, h.path
		FROM volunteer_ledger l, wishes w, residents r, places h
		WHERE w.id = l.wish_id AND r.id = w.beneficiary_id AND h.id = r.household_id`); err != nil {
		t.Fatal(err)
	}
	type key struct {
		community int64
		quarter   time.Time
	}
	type group = volunteerGroup
	groups := map[key]*group{}
	newGroup := func() *group {
		return &group{people: map[int64]bool{}, active: map[int64]bool{}, per: map[int64]*volunteerTally{}}
	}
	overall := newGroup()
	for _, en := range entries {
		if en.Path[0] != sub {
			continue
		}
		k := key{en.Path[1], quarter(en.At)}
		if groups[k] == nil {
			groups[k] = newGroup()
		}
		for _, g := range []*group{groups[k], overall} {
			g.add(en.Account, en.Kind, en.Minutes, en.Points)
		}
	}
	type groupOut struct {
		Place                                    *struct{ ID string }
		PeriodStart                              *time.Time
		Suppressed                               bool
		ActiveVolunteers, Points, WishesCredited *int
		Hours                                    *float64
		Leaderboard                              []struct {
			Rank           int
			Volunteer      *struct{ ID string }
			Hours          float64
			Points         int
			WishesCredited int
		}
	}
	var out struct {
		VolunteerStats struct {
			MinGroupSize int
			Groups       []groupOut
			Total        groupOut
		}
	}
	fields := `place { id } periodStart suppressed activeVolunteers hours points wishesCredited leaderboard { rank hours points wishesCredited } `
	e.do(analyst, `{ volunteerStats(groupBy: {placeLevel: COMMUNITY, period: QUARTER}, leaderboard: 5) { minGroupSize
		groups { `+fields+` } total { `+fields+` } } }`, nil).Decode(t, &out)
	gs := out.VolunteerStats.Groups
	if len(gs) != len(groups) {
		t.Fatalf("%d groups, want %d", len(gs), len(groups))
	}
	shown := 0
	check := func(name string, g groupOut, want *group) {
		if g.Suppressed != hidden(len(want.people), out.VolunteerStats.MinGroupSize) {
			t.Errorf("%s: suppressed=%v with %d volunteers", name, g.Suppressed, len(want.people))
			return
		}
		if g.Suppressed {
			if g.Points != nil || g.Leaderboard != nil {
				t.Errorf("%s: a suppressed group shows figures", name)
			}
			return
		}
		shown++
		if *g.ActiveVolunteers != len(want.active) || *g.Points != want.points || *g.WishesCredited != want.credited ||
			*g.Hours != float64(want.minutes)/60 {
			t.Errorf("%s: got %d active, %v h, %d points, %d wishes; want %d, %v, %d, %d", name,
				*g.ActiveVolunteers, *g.Hours, *g.Points, *g.WishesCredited, len(want.active), float64(want.minutes)/60, want.points, want.credited)
		}
		// The leaderboard: most points, then most minutes, then the lower account id.
		ids := make([]int64, 0, len(want.per))
		for id := range want.per {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool {
			a, b := want.per[ids[i]], want.per[ids[j]]
			if a.points != b.points {
				return a.points > b.points
			}
			if a.minutes != b.minutes {
				return a.minutes > b.minutes
			}
			return ids[i] < ids[j]
		})
		if len(g.Leaderboard) != min(5, len(ids)) {
			t.Fatalf("%s: leaderboard of %d, want %d", name, len(g.Leaderboard), min(5, len(ids)))
		}
		for i, le := range g.Leaderboard {
			w := want.per[ids[i]]
			if le.Rank != i+1 || le.Points != w.points || le.Hours != float64(w.minutes)/60 || le.WishesCredited != w.credited || le.Volunteer != nil {
				t.Errorf("%s: leaderboard %d: got %+v, want %+v (and no name for an analyst)", name, i+1, le, *w)
			}
		}
	}
	for _, g := range gs {
		want := groups[key{graphKey(t, g.Place.ID), quarter(*g.PeriodStart)}]
		if want == nil {
			t.Fatalf("a group the recount does not have: %s %v", g.Place.ID, g.PeriodStart)
		}
		check(g.Place.ID+" "+g.PeriodStart.String(), g, want)
	}
	check("total", out.VolunteerStats.Total, overall)
	// Who is on the leaderboard is not for an analyst to know.
	if r := e.do(analyst, `{ volunteerStats(leaderboard: 1) { total { leaderboard { volunteer { id } } } } }`, nil); r.Code() != db.EFORBIDDEN {
		t.Errorf("an analyst asking who leads: got %q, want FORBIDDEN", r.Code())
	}
	if shown < 2 {
		t.Fatal("every group suppressed: the recount checked nothing")
	}
}

// add counts one ledger entry of account into g.
func (g *volunteerGroup) add(account int64, kind string, minutes, points int) {
	g.people[account] = true
	n := 1
	if kind == "credit" {
		g.active[account] = true
	} else {
		n = -1
	}
	g.minutes += minutes
	g.points += points
	g.credited += n
	p := g.per[account]
	if p == nil {
		p = &volunteerTally{}
		g.per[account] = p
	}
	p.minutes += minutes
	p.points += points
	p.credited += n
}

// volunteerGroup is the recount of one group of ledger entries.
type volunteerGroup struct {
	people, active map[int64]bool
	volunteerTally
	per map[int64]*volunteerTally
}

type volunteerTally struct{ minutes, points, credited int }

// TestParticipationStatsRecount: topics, meetings, votes and resolutions by community and
// quarter against the raw rows.
func TestParticipationStatsRecount(t *testing.T) {
	t.Parallel()
	e, analyst, sub := newGeneratedEnv(t)
	type key struct {
		community int64
		quarter   time.Time
	}
	type counts map[string]int
	want := map[key]counts{}
	people := map[key]map[string]map[int64]bool{} // per part, the distinct people
	// Everything counts in its group and in the total, all.
	all := key{community: -1}
	add := func(k key, part string, fig string, n int) {
		for _, k := range []key{k, all} {
			if want[k] == nil {
				want[k] = counts{}
			}
			want[k][part+"."+fig] += n
		}
	}
	person := func(k key, part string, id int64) {
		for _, k := range []key{k, all} {
			if people[k] == nil {
				people[k] = map[string]map[int64]bool{}
			}
			if people[k][part] == nil {
				people[k][part] = map[int64]bool{}
			}
			people[k][part][id] = true
		}
	}
	var communities []int64
	e.db.Select(&communities, `SELECT id FROM places WHERE level = 'community' AND path[1] = $1`, sub)
	mine := func(c int64) bool { return slices.Contains(communities, c) }

	// Topics, and who was staff over their community when they were raised.
	var grants []struct {
		Account int64      `db:"account_id"`
		Place   int64      `db:"place_id"`
		From    time.Time  `db:"granted_at"`
		Until   *time.Time `db:"revoked_at"`
	}
	e.db.Select(&grants, `SELECT account_id, place_id, granted_at, revoked_at FROM role_grants WHERE role = 'staff'`)
	var topics []struct {
		ID, Community, RaisedBy int64
		State                   string
		Created                 time.Time
		Accepted, FromWishes    bool
		Path                    pq.Int64Array
	}
	if err := e.db.Select(&topics, `SELECT t.id, t.community_id AS community, t.raised_by AS raisedby, t.state, t.created_at AS created,
		EXISTS (SELECT 1 FROM topic_events e WHERE e.topic_id = t.id AND e.action = 'accept') AS accepted,
		EXISTS (SELECT 1 FROM topic_wishes w WHERE w.topic_id = t.id) AS fromwishes, c.path
		FROM topics t JOIN places c ON c.id = t.community_id`); err != nil {
		t.Fatal(err)
	}
	for _, tp := range topics {
		if !mine(tp.Community) {
			continue
		}
		k := key{tp.Community, quarter(tp.Created)}
		person(k, "topics", tp.RaisedBy)
		add(k, "topics", "raised", 1)
		add(k, "topics", "accepted", b2i(tp.Accepted))
		add(k, "topics", "declined", b2i(tp.State == "declined"))
		add(k, "topics", "withdrawn", b2i(tp.State == "withdrawn"))
		staff := false
		for _, g := range grants {
			if g.Account == tp.RaisedBy && slices.Contains(tp.Path, g.Place) && !g.From.After(tp.Created) && (g.Until == nil || g.Until.After(tp.Created)) {
				staff = true
			}
		}
		add(k, "topics", "fromWishes", b2i(tp.FromWishes))
		add(k, "topics", "byStaff", b2i(!tp.FromWishes && staff))
		add(k, "topics", "byResidents", b2i(!tp.FromWishes && !staff))
	}

	var meetings []struct {
		ID, Community int64
		State         string
		Starts        time.Time
	}
	e.db.Select(&meetings, `SELECT id, community_id AS community, state, starts_at AS starts FROM meetings`)
	var entitled []struct{ Meeting, Resident int64 }
	// People entitled: an owners' roll also has rows of parts nobody can attend for.
	e.db.Select(&entitled, `SELECT meeting_id AS meeting, resident_id AS resident FROM meeting_entitled WHERE resident_id IS NOT NULL`)
	var present []struct{ Meeting, Resident int64 }
	e.db.Select(&present, `SELECT meeting_id AS meeting, resident_id AS resident FROM meeting_attendance`)
	meetingKey := map[int64]key{}
	closed := map[int64]bool{}
	for _, m := range meetings {
		if !mine(m.Community) {
			continue
		}
		k := key{m.Community, quarter(m.Starts)}
		meetingKey[m.ID] = k
		closed[m.ID] = m.State == "closed"
		add(k, "meetings", "scheduled", 1)
		add(k, "meetings", "held", b2i(m.State == "closed"))
		add(k, "meetings", "cancelled", b2i(m.State == "cancelled"))
	}
	for _, en := range entitled {
		if k, ok := meetingKey[en.Meeting]; ok {
			person(k, "meetings", en.Resident)
			add(k, "meetings", "entitled", b2i(closed[en.Meeting]))
		}
	}
	for _, p := range present {
		if k, ok := meetingKey[p.Meeting]; ok {
			add(k, "meetings", "present", b2i(closed[p.Meeting]))
		}
	}

	var votes []struct {
		Community                     int64
		Closed                        time.Time
		Motion, ByArea, Quorum        bool
		Passed                        *bool
		Heads, Voted, Area, VotedArea int
	}
	e.db.Select(&votes, `SELECT community_id AS community, closed_at AS closed, motion, by_area AS byarea, quorum_met AS quorum, passed,
		entitled_heads AS heads, participating_heads AS voted, entitled_area AS area, participating_area AS votedarea
		FROM votes WHERE state = 'closed'`)
	largest := map[key]int{}
	for _, v := range votes {
		if !mine(v.Community) {
			continue
		}
		k := key{v.Community, quarter(v.Closed)}
		largest[k] = max(largest[k], v.Heads)
		largest[all] = max(largest[all], v.Heads)
		add(k, "votes", "closed", 1)
		add(k, "votes", "motions", b2i(v.Motion))
		add(k, "votes", "quorumReached", b2i(v.Quorum))
		add(k, "votes", "passed", b2i(v.Passed != nil && *v.Passed))
		add(k, "votes", "heads", v.Heads)
		add(k, "votes", "voted", v.Voted)
		if v.ByArea {
			add(k, "votes", "area", v.Area)
			add(k, "votes", "votedArea", v.VotedArea)
		}
	}

	var resolutions []struct {
		ID, Community int64
		State         string
		Published     time.Time
	}
	e.db.Select(&resolutions, `SELECT id, community_id AS community, state, published_at AS published FROM resolutions`)
	resKey := map[int64]key{}
	for _, r := range resolutions {
		if !mine(r.Community) {
			continue
		}
		k := key{r.Community, quarter(r.Published)}
		resKey[r.ID] = k
		add(k, "resolutions", "published", 1)
		add(k, "resolutions", r.State, 1)
	}
	var objections []struct {
		Resolution int64
		Upheld     *bool
	}
	e.db.Select(&objections, `SELECT resolution_id AS resolution, upheld FROM resolution_objections`)
	for _, o := range objections {
		if k, ok := resKey[o.Resolution]; ok {
			add(k, "resolutions", "objections", 1)
			add(k, "resolutions", "objectionsUpheld", b2i(o.Upheld != nil && *o.Upheld))
		}
	}
	var tasks []struct {
		Resolution int64
		State      string
		Due        time.Time
		Done       *time.Time
	}
	e.db.Select(&tasks, `SELECT resolution_id AS resolution, state, due_at AS due, done_at AS done FROM resolution_tasks`)
	for _, tk := range tasks {
		if k, ok := resKey[tk.Resolution]; ok {
			add(k, "resolutions", "tasks", 1)
			add(k, "resolutions", "onTime", b2i(tk.Done != nil && !tk.Done.After(tk.Due)))
			add(k, "resolutions", "late", b2i(tk.Done != nil && tk.Done.After(tk.Due)))
			add(k, "resolutions", "overdue", b2i(tk.State == "open" && tk.Due.Before(testNow)))
		}
	}
	var ratings []struct {
		Resolution, Resident int64
		Score                int
	}
	e.db.Select(&ratings, `SELECT resolution_id AS resolution, resident_id AS resident, score FROM result_ratings`)
	for _, r := range ratings {
		if k, ok := resKey[r.Resolution]; ok {
			person(k, "ratings", r.Resident)
			add(k, "resolutions", "ratings", 1)
			add(k, "resolutions", "ratingSum", r.Score)
		}
	}

	type partGroup struct {
		Place       *struct{ ID string }
		PeriodStart *time.Time
		Topics      struct {
			Suppressed                                                              bool
			Raised, Accepted, Declined, Withdrawn, FromWishes, ByStaff, ByResidents *int
		}
		Meetings struct {
			Suppressed                                    bool
			Scheduled, Held, Cancelled, Entitled, Present *int
			AttendanceRate                                *float64
		}
		Votes struct {
			Suppressed                              bool
			Closed, Motions, QuorumReached, Passed  *int
			PassRate, TurnoutByHeads, TurnoutByArea *float64
		}
		Resolutions struct {
			Published, InNotice, BeingCarriedOut, ResultPublished, Revoked int
			Objections, ObjectionsUpheld, Tasks                            int
			TasksDoneOnTime, TasksDoneLate, TasksOverdue                   int
			RatingsSuppressed                                              bool
			Ratings                                                        *int
			AverageRating                                                  *float64
		}
	}
	var out struct {
		ParticipationStats struct {
			MinGroupSize int
			Groups       []partGroup
			Total        partGroup
		}
	}
	fields := `topics { suppressed raised accepted declined withdrawn fromWishes byStaff byResidents }
		meetings { suppressed scheduled held cancelled entitled present attendanceRate }
		votes { suppressed closed motions quorumReached passed passRate turnoutByHeads turnoutByArea }
		resolutions { published inNotice beingCarriedOut resultPublished revoked objections objectionsUpheld tasks
			tasksDoneOnTime tasksDoneLate tasksOverdue ratingsSuppressed ratings averageRating }`
	e.do(analyst, `{ participationStats(groupBy: {placeLevel: COMMUNITY, period: QUARTER}) { minGroupSize
		groups { place { id } periodStart `+fields+` } total { `+fields+` } } }`, nil).Decode(t, &out)
	k5 := out.ParticipationStats.MinGroupSize
	gs := out.ParticipationStats.Groups
	if len(gs) != len(want)-1 {
		t.Fatalf("%d groups, want %d", len(gs), len(want)-1)
	}
	n := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	ratio := func(a, b int) *float64 {
		if b == 0 {
			return nil
		}
		r := float64(a) / float64(b)
		return &r
	}
	sameRatio := func(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
	checked := map[string]int{}
	check := func(k key, g partGroup) {
		w := want[k]
		if g.Topics.Suppressed != hidden(len(people[k]["topics"]), k5) {
			t.Errorf("%v topics suppressed=%v with %d raisers", k, g.Topics.Suppressed, len(people[k]["topics"]))
		} else if !g.Topics.Suppressed {
			checked["topics"]++
			got := []int{n(g.Topics.Raised), n(g.Topics.Accepted), n(g.Topics.Declined), n(g.Topics.Withdrawn), n(g.Topics.FromWishes), n(g.Topics.ByStaff), n(g.Topics.ByResidents)}
			exp := []int{w["topics.raised"], w["topics.accepted"], w["topics.declined"], w["topics.withdrawn"], w["topics.fromWishes"], w["topics.byStaff"], w["topics.byResidents"]}
			if !slices.Equal(got, exp) {
				t.Errorf("%v topics: got %v, want %v", k, got, exp)
			}
		}
		if g.Meetings.Suppressed != hidden(len(people[k]["meetings"]), k5) {
			t.Errorf("%v meetings suppressed=%v with %d entitled", k, g.Meetings.Suppressed, len(people[k]["meetings"]))
		} else if !g.Meetings.Suppressed {
			checked["meetings"]++
			got := []int{n(g.Meetings.Scheduled), n(g.Meetings.Held), n(g.Meetings.Cancelled), n(g.Meetings.Entitled), n(g.Meetings.Present)}
			exp := []int{w["meetings.scheduled"], w["meetings.held"], w["meetings.cancelled"], w["meetings.entitled"], w["meetings.present"]}
			if !slices.Equal(got, exp) || !sameRatio(g.Meetings.AttendanceRate, ratio(exp[4], exp[3])) {
				t.Errorf("%v meetings: got %v %v, want %v", k, got, g.Meetings.AttendanceRate, exp)
			}
		}
		if g.Votes.Suppressed != hidden(largest[k], k5) {
			t.Errorf("%v votes suppressed=%v with a largest roll of %d", k, g.Votes.Suppressed, largest[k])
		} else if !g.Votes.Suppressed {
			checked["votes"]++
			got := []int{n(g.Votes.Closed), n(g.Votes.Motions), n(g.Votes.QuorumReached), n(g.Votes.Passed)}
			exp := []int{w["votes.closed"], w["votes.motions"], w["votes.quorumReached"], w["votes.passed"]}
			if !slices.Equal(got, exp) || !sameRatio(g.Votes.PassRate, ratio(exp[3], exp[1])) ||
				!sameRatio(g.Votes.TurnoutByHeads, ratio(w["votes.voted"], w["votes.heads"])) ||
				!sameRatio(g.Votes.TurnoutByArea, ratio(w["votes.votedArea"], w["votes.area"])) {
				t.Errorf("%v votes: got %v, want %v", k, got, exp)
			}
		}
		r := g.Resolutions
		got := []int{r.Published, r.InNotice, r.BeingCarriedOut, r.ResultPublished, r.Revoked, r.Objections, r.ObjectionsUpheld, r.Tasks, r.TasksDoneOnTime, r.TasksDoneLate, r.TasksOverdue}
		exp := []int{w["resolutions.published"], w["resolutions.in_notice"], w["resolutions.being_carried_out"], w["resolutions.result_published"],
			w["resolutions.revoked"], w["resolutions.objections"], w["resolutions.objectionsUpheld"], w["resolutions.tasks"],
			w["resolutions.onTime"], w["resolutions.late"], w["resolutions.overdue"]}
		if !slices.Equal(got, exp) {
			t.Errorf("%v resolutions: got %v, want %v", k, got, exp)
		}
		if r.RatingsSuppressed != hidden(len(people[k]["ratings"]), k5) {
			t.Errorf("%v ratings suppressed=%v with %d raters", k, r.RatingsSuppressed, len(people[k]["ratings"]))
		} else if !r.RatingsSuppressed {
			checked["ratings"]++
			if n(r.Ratings) != w["resolutions.ratings"] || !sameRatio(r.AverageRating, ratio(w["resolutions.ratingSum"], w["resolutions.ratings"])) {
				t.Errorf("%v ratings: got %v %v, want %d", k, n(r.Ratings), r.AverageRating, w["resolutions.ratings"])
			}
		}
	}
	for _, g := range gs {
		k := key{graphKey(t, g.Place.ID), quarter(*g.PeriodStart)}
		if _, ok := want[k]; !ok {
			t.Fatalf("a group the recount does not have: %+v", k)
		}
		check(k, g)
	}
	check(all, out.ParticipationStats.Total)
	for _, part := range []string{"topics", "meetings", "votes", "ratings"} {
		if checked[part] == 0 {
			t.Errorf("no group showed %s: the recount checked none", part)
		}
	}
}

// hidden is the suppression rule: some people, but fewer than the threshold.
func hidden(people, threshold int) bool { return people > 0 && people < threshold }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestWishStatsPeriods: every period length cuts time where a calendar in China Standard
// Time does (weeks from Monday), with each group's end the next one's start.
func TestWishStatsPeriods(t *testing.T) {
	t.Parallel()
	e, analyst, sub := newGeneratedEnv(t)
	raw := loadRawWishes(t, e)
	date := func(t time.Time) time.Time {
		t = t.In(cst)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, cst)
	}
	starts := map[string]func(time.Time) time.Time{
		"DAY":     date,
		"WEEK":    func(t time.Time) time.Time { d := date(t); return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7)) },
		"MONTH":   monthOf,
		"QUARTER": quarter,
		"YEAR":    func(t time.Time) time.Time { return time.Date(t.In(cst).Year(), 1, 1, 0, 0, 0, 0, cst) },
	}
	// Each within one whole period (a filter may name nothing else), or over all time.
	var always time.Time
	for _, c := range []struct {
		period   string
		from, to time.Time
		next     func(time.Time) time.Time
	}{
		{"DAY", time.Date(2026, 10, 1, 0, 0, 0, 0, cst), time.Date(2026, 11, 1, 0, 0, 0, 0, cst), func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"WEEK", always, always, func(t time.Time) time.Time { return t.AddDate(0, 0, 7) }},
		{"MONTH", time.Date(2025, 1, 1, 0, 0, 0, 0, cst), time.Date(2026, 1, 1, 0, 0, 0, 0, cst), func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"QUARTER", time.Date(2025, 1, 1, 0, 0, 0, 0, cst), time.Date(2026, 1, 1, 0, 0, 0, 0, cst), func(t time.Time) time.Time { return t.AddDate(0, 3, 0) }},
		{"YEAR", always, always, func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	} {
		want := map[time.Time]int{}
		for _, w := range raw {
			if w.subdistrict() == sub && (c.from == always || !w.created.Before(c.from) && w.created.Before(c.to)) {
				want[starts[c.period](w.created)]++
			}
		}
		f := map[string]any{}
		if c.from != always {
			f["createdAt"] = map[string]any{"gte": c.from.Format(time.RFC3339), "lt": c.to.Format(time.RFC3339)}
		}
		var out struct {
			WishStats struct {
				Groups []struct {
					PeriodStart, PeriodEnd time.Time
					Suppressed             bool
					Wishes                 *int
				}
			}
		}
		e.do(analyst, `query($f: WishStatsFilter, $p: StatsPeriod) { wishStats(filter: $f, groupBy: {period: $p}) {
			groups { periodStart periodEnd suppressed wishes } } }`, map[string]any{"p": c.period, "f": f}).Decode(t, &out)
		gs := out.WishStats.Groups
		if len(gs) != len(want) || len(gs) < 2 {
			t.Fatalf("%s: %d groups, want %d", c.period, len(gs), len(want))
		}
		for i, g := range gs {
			start := g.PeriodStart.In(cst)
			n, ok := want[start]
			if !ok {
				t.Errorf("%s: a period starting %v the recount does not have", c.period, start)
				continue
			}
			if !g.PeriodEnd.Equal(c.next(start)) {
				t.Errorf("%s: period %v ends %v, want %v", c.period, start, g.PeriodEnd, c.next(start))
			}
			if i > 0 && !gs[i-1].PeriodStart.Before(g.PeriodStart) {
				t.Errorf("%s: periods out of order at %v", c.period, start)
			}
			if !g.Suppressed && *g.Wishes != n {
				t.Errorf("%s: period %v has %d wishes, want %d", c.period, start, *g.Wishes, n)
			}
		}
	}
}
