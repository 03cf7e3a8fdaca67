package graph_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"linli/db"
	"linli/graph"
)

// The attacks an analyst would try to recover a group smaller than the minimum from wish
// figures, played on a generated district. For every answer the test knows, from the raw
// rows, which wishes each figure counts: a figure shown must count nobody or at least the
// minimum of people, and so must whatever a parent less its shown children leaves over
// (the withheld children together), wherever the parent and children come from.

// auditor checks answers against the raw rows and counts the attacks that had something
// to find (a set of children with a group below the minimum in it).
type auditor struct {
	t        *testing.T
	k        int
	attempts map[string]int // attack → sets with a small group in them
	sets     map[string]int // attack → sets audited
}

// part is one figure of an answer (nil when withheld) and the wishes it counts.
type part struct {
	value *int
	ws    []*rawWish
}

func peopleOf(ws []*rawWish) int {
	p := map[int64]bool{}
	for _, w := range ws {
		p[w.beneficiary] = true
	}
	return len(p)
}

func (a *auditor) small(ws []*rawWish) bool { return hidden(peopleOf(ws), a.k) }

// audit checks a parent figure against its children, which partition its wishes: every
// figure shown is exact and counts 0 or at least k people, and so do the withheld children
// together (the parent less the shown ones).
func (a *auditor) audit(attack string, parent *int, parentWs []*rawWish, children []part) {
	a.t.Helper()
	total := 0
	var withheld []*rawWish
	smallChild := false
	for i, c := range children {
		total += len(c.ws)
		if a.small(c.ws) {
			smallChild = true
		}
		if c.value == nil {
			withheld = append(withheld, c.ws...)
			continue
		}
		if *c.value != len(c.ws) {
			a.t.Errorf("%s: child %d shows %d, the rows count %d", attack, i, *c.value, len(c.ws))
		}
		if a.small(c.ws) {
			a.t.Errorf("%s: child %d shows %d wishes of %d people", attack, i, *c.value, peopleOf(c.ws))
		}
	}
	if total != len(parentWs) {
		a.t.Fatalf("%s: the test's children hold %d wishes of the parent's %d", attack, total, len(parentWs))
	}
	if parent == nil {
		return // nothing to subtract from
	}
	a.sets[attack]++
	if smallChild {
		a.attempts[attack]++
	}
	if *parent != len(parentWs) {
		a.t.Errorf("%s: the parent shows %d, the rows count %d", attack, *parent, len(parentWs))
	}
	if a.small(parentWs) {
		a.t.Errorf("%s: the parent shows %d wishes of %d people", attack, *parent, peopleOf(parentWs))
	}
	if a.small(withheld) {
		a.t.Errorf("%s: the parent less its shown children gives %d wishes of %d people", attack, len(withheld), peopleOf(withheld))
	}
}

func keep(ws []*rawWish, f func(*rawWish) bool) []*rawWish {
	var out []*rawWish
	for _, w := range ws {
		if f(w) {
			out = append(out, w)
		}
	}
	return out
}

// breakdowns audits what a shown group shows of itself: its states, rated or not, its
// ratings, and each step reached or not.
func (a *auditor) breakdowns(g wishGroupOut, ws []*rawWish) {
	a.t.Helper()
	if g.Suppressed {
		return
	}
	var states []part
	for i, s := range g.ByState {
		states = append(states, part{s.Count, keep(ws, func(w *rawWish) bool { return w.state == wishStateOrder[i] })})
	}
	a.audit("states of a group", g.Wishes, ws, states)
	rated := keep(ws, func(w *rawWish) bool { return w.rating != nil })
	unrated := keep(ws, func(w *rawWish) bool { return w.rating == nil })
	if g.Satisfaction == nil && (a.small(rated) || a.small(unrated)) {
		a.attempts["rated or not"]++ // found nothing: withheld
	}
	if sat := g.Satisfaction; sat != nil {
		count := sat.Count
		a.audit("rated or not", g.Wishes, ws, []part{{&count, rated}, {nil, unrated}})
		var ratings []part
		whole := true
		for r, n := range sat.Distribution {
			ratings = append(ratings, part{n, keep(rated, func(w *rawWish) bool { return *w.rating == r+1 })})
			whole = whole && n != nil
		}
		a.audit("ratings of a group", &count, rated, ratings)
		if !whole && sat.Average != nil {
			a.t.Errorf("an average beside a withheld rating: %v of %v", *sat.Average, sat.Distribution)
		}
	}
	for _, s := range []struct {
		what string
		d    *durationOut
		at   func(*rawWish) *time.Time
	}{
		{"reviewed or not", g.ToReview, func(w *rawWish) *time.Time { return w.reviewed }},
		{"claimed or not", g.ToClaim, func(w *rawWish) *time.Time { return w.claimed }},
		{"fulfilled or not", g.ToFulfil, func(w *rawWish) *time.Time { return w.fulfil }},
		{"confirmed or not", g.ToConfirm, func(w *rawWish) *time.Time { return w.confirm }},
	} {
		if s.d != nil {
			count := s.d.Count
			a.audit(s.what, g.Wishes, ws, []part{{&count, keep(ws, func(w *rawWish) bool { return s.at(w) != nil })},
				{nil, keep(ws, func(w *rawWish) bool { return s.at(w) == nil })}})
		}
	}
	for _, s := range []struct {
		what  string
		shown *int
		n     func(*rawWish) int
	}{
		{"claims released", g.ClaimsReleased, func(w *rawWish) int { return w.released }},
		{"claims lapsed", g.ClaimsLapsed, func(w *rawWish) int { return w.lapsed }},
	} {
		if s.shown != nil && (a.small(keep(ws, func(w *rawWish) bool { return s.n(w) > 0 })) || a.small(keep(ws, func(w *rawWish) bool { return s.n(w) == 0 }))) {
			a.t.Errorf("%s: %d shown, with fewer than %d people on one side", s.what, *s.shown, a.k)
		}
	}
}

var categories = []string{"GOODS", "REPAIR", "COMPANIONSHIP", "ESCORT", "TUTORING", "PAPERWORK", "OTHER"}

type wishAnswer struct {
	MinGroupSize int
	Groups       []wishGroupOut
	Total        wishGroupOut
}

// TestWishStatsAttacks: on a generated district, the analyst tries complements,
// differences of two filters, sibling groups against their parent, nested place filters,
// breakdowns by state and rating, and periods that differ by a day, and recovers nothing
// about a group smaller than the minimum.
func TestWishStatsAttacks(t *testing.T) {
	t.Parallel()
	e, analyst, sub := newGeneratedEnv(t)
	a := &auditor{t: t, k: e.store.Stats.MinGroup, attempts: map[string]int{}, sets: map[string]int{}}
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, cst), time.Date(2027, 1, 1, 0, 0, 0, 0, cst)
	period := func(from, to time.Time) map[string]any {
		return map[string]any{"gte": from.Format(time.RFC3339), "lt": to.Format(time.RFC3339)}
	}
	year := period(from, to)
	// A month, where groups are small enough for the attacks to have something to find.
	monthFrom, monthTo := time.Date(2026, 3, 1, 0, 0, 0, 0, cst), time.Date(2026, 4, 1, 0, 0, 0, 0, cst)
	month := period(monthFrom, monthTo)
	var ws, mws []*rawWish // the subdistrict's wishes of the year, of the month
	for _, w := range loadRawWishes(t, e) {
		if w.subdistrict() == sub && !w.created.Before(from) && w.created.Before(to) {
			ws = append(ws, w)
			if !w.created.Before(monthFrom) && w.created.Before(monthTo) {
				mws = append(mws, w)
			}
		}
	}
	grid := func(w *rawWish) int64 { return w.path[len(w.path)-3] }
	building := func(w *rawWish) int64 { return w.path[len(w.path)-2] }
	ask := func(f, g map[string]any) wishAnswer {
		t.Helper()
		var out struct{ WishStats wishAnswer }
		e.do(analyst, qWishRecount, map[string]any{"f": f, "g": g}).Decode(t, &out)
		return out.WishStats
	}
	place := func(id int64) []string { return []string{graph.GlobalID("Place", id)} }
	// byPlace splits ws by a place of each wish, in a stable order.
	byPlace := func(ws []*rawWish, of func(*rawWish) int64) (ids []int64, split map[int64][]*rawWish) {
		split = map[int64][]*rawWish{}
		for _, w := range ws {
			if split[of(w)] == nil {
				ids = append(ids, of(w))
			}
			split[of(w)] = append(split[of(w)], w)
		}
		slices.Sort(ids)
		return ids, split
	}
	// children pairs an answer's groups, keyed by place, with the wishes of each place.
	children := func(ans wishAnswer, ids []int64, split map[int64][]*rawWish) []part {
		shown := map[int64]*int{}
		for _, g := range ans.Groups {
			shown[graphKey(t, g.Place.ID)] = g.Wishes
			a.breakdowns(g, split[graphKey(t, g.Place.ID)])
		}
		var out []part
		for _, id := range ids {
			out = append(out, part{shown[id], split[id]})
		}
		return out
	}

	communities, inCommunity := byPlace(ws, (*rawWish).community)
	_, inCommunityMonth := byPlace(mws, (*rawWish).community)
	// What each building shows when grouped under its grid, to compare with it asked alone.
	groupedBuilding := map[int64]bool{}
	for _, c := range communities {
		// Siblings against their parent: a community's grids for a category in a month, a
		// grid's buildings in the year.
		cws := keep(inCommunityMonth[c], func(w *rawWish) bool { return w.category == "tutoring" })
		ans := ask(map[string]any{"placeIds": place(c), "createdAt": month, "category": map[string]any{"eq": "TUTORING"}}, map[string]any{"placeLevel": "GRID"})
		grids, inGrid := byPlace(cws, grid)
		a.audit("grids against their community", ans.Total.Wishes, cws, children(ans, grids, inGrid))
		a.breakdowns(ans.Total, cws)
		_, inGrid = byPlace(inCommunity[c], grid)
		for _, g := range grids {
			ans := ask(map[string]any{"placeIds": place(g), "createdAt": year}, map[string]any{"placeLevel": "BUILDING"})
			buildings, inBuilding := byPlace(inGrid[g], building)
			a.audit("buildings against their grid", ans.Total.Wishes, inGrid[g], children(ans, buildings, inBuilding))
			for _, b := range ans.Groups {
				groupedBuilding[graphKey(t, b.Place.ID)] = b.Suppressed
			}
		}
		// A difference of two filters: the community's month less each category asked alone.
		cws = inCommunityMonth[c]
		var cats []part
		for _, cat := range categories {
			ans := ask(map[string]any{"placeIds": place(c), "createdAt": month, "category": map[string]any{"eq": cat}}, nil)
			cws := keep(cws, func(w *rawWish) bool { return w.category == strings.ToLower(cat) })
			a.breakdowns(ans.Total, cws)
			cats = append(cats, part{ans.Total.Wishes, cws})
		}
		a.audit("categories asked one by one", ask(map[string]any{"placeIds": place(c), "createdAt": month}, nil).Total.Wishes, cws, cats)
	}

	// Nested place filters: each building of the first community asked alone, against its
	// grid asked alone; and the same decision as when grouped.
	grids, inGrid := byPlace(inCommunity[communities[0]], grid)
	for _, g := range grids {
		buildings, inBuilding := byPlace(inGrid[g], building)
		var parts []part
		for _, b := range buildings {
			ans := ask(map[string]any{"placeIds": place(b), "createdAt": year}, nil)
			if ans.Total.Suppressed != groupedBuilding[b] {
				t.Errorf("building %d: suppressed=%v alone, %v grouped under its grid", b, ans.Total.Suppressed, groupedBuilding[b])
			}
			a.breakdowns(ans.Total, inBuilding[b])
			parts = append(parts, part{ans.Total.Wishes, inBuilding[b]})
		}
		a.audit("buildings asked one by one", ask(map[string]any{"placeIds": place(g), "createdAt": year}, nil).Total.Wishes, inGrid[g], parts)
	}

	// The attack: the rating distribution of rated wishes, of the subdistrict
	// against its communities, rating by rating, in a month.
	rated := keep(mws, func(w *rawWish) bool { return w.rating != nil })
	whole := ask(map[string]any{"createdAt": month, "rating": map[string]any{"gte": 1}}, map[string]any{"placeLevel": "COMMUNITY"})
	_, ratedIn := byPlace(rated, (*rawWish).community)
	for r := range 5 {
		if whole.Total.Satisfaction == nil {
			break
		}
		of := func(ws []*rawWish) []*rawWish { return keep(ws, func(w *rawWish) bool { return *w.rating == r+1 }) }
		var parts []part
		for _, c := range communities {
			var shown *int
			for _, g := range whole.Groups {
				if graphKey(t, g.Place.ID) == c && g.Satisfaction != nil {
					shown = g.Satisfaction.Distribution[r]
				}
			}
			parts = append(parts, part{shown, of(ratedIn[c])})
		}
		a.audit("a rating's count against the communities'", whole.Total.Satisfaction.Distribution[r], of(rated), parts)
	}
	for _, g := range whole.Groups {
		a.breakdowns(g, ratedIn[graphKey(t, g.Place.ID)])
	}

	// Periods: a month against its days, the year against its months, for each community
	// and category.
	for _, q := range [][2]any{{communities[0], ""}, {communities[1], "TUTORING"}, {communities[2], "PAPERWORK"}, {communities[0], "OTHER"}} {
		c, cat := q[0].(int64), q[1].(string)
		cws := keep(inCommunity[c], func(w *rawWish) bool { return cat == "" || w.category == strings.ToLower(cat) })
		for _, p := range []struct {
			what     string
			from, to time.Time
			by       string
			of       func(time.Time) time.Time
		}{
			{"days against their month", time.Date(2026, 3, 1, 0, 0, 0, 0, cst), time.Date(2026, 4, 1, 0, 0, 0, 0, cst), "DAY",
				func(t time.Time) time.Time {
					t = t.In(cst)
					return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, cst)
				}},
			{"months against their year", from, to, "MONTH", monthOf},
		} {
			pws := keep(cws, func(w *rawWish) bool { return !w.created.Before(p.from) && w.created.Before(p.to) })
			f := map[string]any{"placeIds": place(c), "createdAt": period(p.from, p.to)}
			if cat != "" {
				f["category"] = map[string]any{"eq": cat}
			}
			ans := ask(f, map[string]any{"period": p.by})
			split := map[time.Time][]*rawWish{}
			var starts []time.Time
			for _, w := range pws {
				s := p.of(w.created)
				if split[s] == nil {
					starts = append(starts, s)
				}
				split[s] = append(split[s], w)
			}
			shown := map[time.Time]*int{}
			for _, g := range ans.Groups {
				shown[g.PeriodStart.In(cst)] = g.Wishes
				a.breakdowns(g, split[g.PeriodStart.In(cst)])
			}
			var parts []part
			for _, s := range starts {
				parts = append(parts, part{shown[s], split[s]})
			}
			a.audit(p.what, ans.Total.Wishes, pws, parts)
		}
	}

	// Mixed levels: a group withheld to protect a sibling must not be the sum of its own
	// shown parts, or its parent less its other siblings and those parts isolates the
	// small one. Compounds (and the rest of each community) against their grids; months
	// against their days.
	withheldWhole := func(what string, g wishGroupOut, ws []*rawWish, ask func() wishAnswer) {
		t.Helper()
		if !g.Suppressed || a.small(ws) {
			return
		}
		a.attempts[what]++
		parts := ask()
		for _, p := range parts.Groups {
			if p.Suppressed {
				return
			}
		}
		t.Errorf("%s: a group of %d people withheld, with all of its %d parts shown", what, peopleOf(ws), len(parts.Groups))
	}
	compound := func(w *rawWish) int64 {
		if len(w.path) == 6 {
			return w.path[2]
		}
		return -w.community()
	}
	for _, c := range communities {
		for _, cat := range []string{"TUTORING", "PAPERWORK", "OTHER"} {
			f := map[string]any{"placeIds": place(c), "createdAt": month, "category": map[string]any{"eq": cat}}
			cws := keep(inCommunityMonth[c], func(w *rawWish) bool { return w.category == strings.ToLower(cat) })
			_, inCompound := byPlace(cws, compound)
			for _, g := range ask(f, map[string]any{"placeLevel": "COMPOUND"}).Groups {
				if g.Place == nil {
					continue
				}
				id := graphKey(t, g.Place.ID)
				withheldWhole("a compound from its grids", g, inCompound[id], func() wishAnswer {
					return ask(map[string]any{"placeIds": place(id), "createdAt": month, "category": map[string]any{"eq": cat}}, map[string]any{"placeLevel": "GRID"})
				})
			}
			yws := keep(inCommunity[c], func(w *rawWish) bool { return w.category == strings.ToLower(cat) })
			f["createdAt"] = year
			for _, g := range ask(f, map[string]any{"period": "MONTH"}).Groups {
				start := g.PeriodStart.In(cst)
				end := start.AddDate(0, 1, 0)
				f := map[string]any{"placeIds": place(c), "createdAt": period(start, end), "category": map[string]any{"eq": cat}}
				withheldWhole("a month from its days", g, keep(yws, func(w *rawWish) bool { return !w.created.Before(start) && w.created.Before(end) }),
					func() wishAnswer { return ask(f, map[string]any{"period": "DAY"}) })
			}
		}
	}

	// Two periods that differ by a day, and a complement, cannot be asked at all.
	for _, f := range []map[string]any{
		{"createdAt": period(from, to.AddDate(0, 0, 1))},
		{"createdAt": period(from.AddDate(0, 0, 1), to)},
		{"not": map[string]any{"placeIds": place(communities[0])}},
		{"placeIds": []string{graph.GlobalID("Place", communities[0]), graph.GlobalID("Place", communities[1])}},
	} {
		if r := e.do(analyst, qWishRecount, map[string]any{"f": f}); r.Code() != db.EINVALID {
			t.Errorf("filter %v: got %q, want INVALID_INPUT", f, r.Code())
		}
	}

	// Every attack had something to find, or it proves nothing.
	for _, attack := range []string{"grids against their community", "buildings against their grid", "categories asked one by one",
		"buildings asked one by one", "a rating's count against the communities'", "days against their month", "months against their year",
		"states of a group", "ratings of a group", "rated or not", "a compound from its grids", "a month from its days"} {
		if a.attempts[attack] == 0 {
			t.Errorf("%s: no set with a small group in it among %d: the attack proves nothing", attack, a.sets[attack])
		}
	}
	t.Logf("sets audited %v, with a small group in them %v", a.sets, a.attempts)
}
