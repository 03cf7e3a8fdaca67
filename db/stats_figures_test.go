package db_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
)

// The wish figures computed in Go agree to the last bit with the same figures computed by
// SQL (count(DISTINCT …), percentile_cont) over random rows: few and many per group, ties,
// steps not reached, people with several wishes, and wishes a second either side of the
// CST midnights where days, weeks, months, quarters and years change.
func TestWishFiguresAgreeWithSQL(t *testing.T) {
	d, _ := dbtest.New(t)
	s := db.NewStore(d)
	ctx := t.Context()
	if _, err := d.Exec(`CREATE TABLE figures_oracle (LIKE wish_stats)`); err != nil {
		t.Fatal(err)
	}
	// A subdistrict (1) of two communities (2, 3); community 2 has compounds 10 and 11 and
	// grids outside them; buildings under the grids.
	type home struct{ community, compound, grid int64 }
	homes := []home{{2, 10, 20}, {2, 10, 21}, {2, 11, 22}, {2, 0, 23}, {2, 0, 24}, {3, 0, 30}, {3, 12, 31}}
	r := rand.New(rand.NewPCG(13, 0))
	cst := time.FixedZone("CST", 8*3600)
	// Instants around period boundaries (midnights of month and year ends, a Monday), and
	// some anywhere in 2025–2026.
	var edges []time.Time
	for _, day := range []time.Time{time.Date(2025, 1, 1, 0, 0, 0, 0, cst), time.Date(2025, 4, 1, 0, 0, 0, 0, cst),
		time.Date(2025, 6, 30, 0, 0, 0, 0, cst), time.Date(2025, 7, 1, 0, 0, 0, 0, cst), time.Date(2025, 12, 29, 0, 0, 0, 0, cst),
		time.Date(2026, 1, 1, 0, 0, 0, 0, cst), time.Date(2026, 3, 2, 0, 0, 0, 0, cst)} {
		edges = append(edges, day, day.Add(-time.Second), day.Add(time.Second))
	}
	var ids, people, communities, compounds, grids, buildings, ratings []int64
	var categories, states []string
	var created []time.Time
	var steps [4][]int64
	var released, lapsed []int64
	null := int64(-1 << 40) // stands for NULL in the arrays, below
	for i := range 6000 {
		h := homes[r.IntN(len(homes))]
		ids = append(ids, int64(i+1))
		people = append(people, 1000+r.Int64N(400)) // several wishes each, in different homes too
		communities = append(communities, h.community)
		compounds = append(compounds, h.compound)
		grids = append(grids, h.grid)
		buildings = append(buildings, h.grid*10+r.Int64N(3))
		categories = append(categories, []string{"goods", "repair", "companionship", "escort", "tutoring", "paperwork", "other"}[r.IntN(7)])
		states = append(states, []string{"submitted", "published", "rejected", "cancelled", "claimed", "fulfilled", "confirmed", "disputed", "closed"}[r.IntN(9)])
		at := edges[r.IntN(len(edges))]
		if r.IntN(3) == 0 {
			at = time.Date(2025, 1, 1, 0, 0, 0, 0, cst).Add(time.Duration(r.Int64N(int64(700 * 24 * time.Hour))))
		}
		created = append(created, at)
		for s := range steps {
			v := null
			if r.IntN(4) > 0 {
				v = r.Int64N(200000)
				if r.IntN(3) == 0 {
					v = 3600 * r.Int64N(5) // ties
				}
				if r.IntN(50) == 0 {
					v = -r.Int64N(1000) // a step dated before the wish, by a clock gone wrong
				}
			}
			steps[s] = append(steps[s], v)
		}
		rating := null
		if r.IntN(2) == 0 {
			rating = 1 + r.Int64N(5)
		}
		ratings = append(ratings, rating)
		released = append(released, r.Int64N(2)*r.Int64N(40))
		lapsed = append(lapsed, r.Int64N(3)/2)
	}
	if _, err := d.Exec(`INSERT INTO figures_oracle (wish_id, subdistrict_id, community_id, compound_id, grid_id, building_id,
			beneficiary_id, category, state, created_at, day, month, review_s, claim_s, fulfil_s, confirm_s, rating, released, lapsed)
		SELECT id, 1, c, nullif(cp, 0), g, b, p, cat::wish_category, st::wish_state, at,
			(at AT TIME ZONE 'Asia/Shanghai')::date - date '2000-01-01',
			(extract(year FROM at AT TIME ZONE 'Asia/Shanghai')::integer - 2000) * 12 + extract(month FROM at AT TIME ZONE 'Asia/Shanghai')::integer - 1,
			nullif(s1, $17), nullif(s2, $17), nullif(s3, $17), nullif(s4, $17), nullif(rt, $17), rl, lp
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[],
			$9::timestamptz[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[])
			AS u(id, c, cp, g, b, p, cat, st, at, s1, s2, s3, s4, rt, rl, lp)`,
		pq.Array(ids), pq.Array(communities), pq.Array(compounds), pq.Array(grids), pq.Array(buildings), pq.Array(people),
		pq.Array(categories), pq.Array(states), pq.Array(created), pq.Array(steps[0]), pq.Array(steps[1]), pq.Array(steps[2]),
		pq.Array(steps[3]), pq.Array(ratings), pq.Array(released), pq.Array(lapsed), null); err != nil {
		t.Fatal(err)
	}

	level := func(l db.PlaceLevel) *db.PlaceLevel { return &l }
	period := func(p db.Period) *db.Period { return &p }
	whole := func(p db.Period, start time.Time) *db.TimeCond {
		end := p.Next(start)
		return &db.TimeCond{Gte: &start, Lt: &end}
	}
	cat := db.WishCategory("repair")
	state := db.WishState("confirmed")
	one := 3
	sub := &db.Place{ID: 1, Level: db.LevelSubdistrict, Path: []int64{1}}
	community := &db.Place{ID: 2, Level: db.LevelCommunity, Path: []int64{1, 2}}
	compound := &db.Place{ID: 10, Level: db.LevelCompound, Path: []int64{1, 2, 10}}
	for _, c := range []struct {
		name  string
		place *db.Place
		f     db.WishStatsFilter
		by    db.StatsGrouping
	}{
		{"a year by category and month", sub, db.WishStatsFilter{CreatedAt: whole(db.PeriodYear, time.Date(2025, 1, 1, 0, 0, 0, 0, cst))},
			db.StatsGrouping{Category: true, Period: period(db.PeriodMonth)}},
		{"all time by quarter", sub, db.WishStatsFilter{}, db.StatsGrouping{Period: period(db.PeriodQuarter)}},
		{"all time by year and state", sub, db.WishStatsFilter{}, db.StatsGrouping{State: true, Period: period(db.PeriodYear)}},
		{"a month by day", sub, db.WishStatsFilter{CreatedAt: whole(db.PeriodMonth, time.Date(2025, 6, 1, 0, 0, 0, 0, cst))},
			db.StatsGrouping{Period: period(db.PeriodDay)}},
		{"a week by day", sub, db.WishStatsFilter{CreatedAt: whole(db.PeriodWeek, time.Date(2025, 12, 29, 0, 0, 0, 0, cst))},
			db.StatsGrouping{Period: period(db.PeriodDay), Category: true}},
		{"all time by week", community, db.WishStatsFilter{}, db.StatsGrouping{Period: period(db.PeriodWeek)}},
		{"a community by compound", community, db.WishStatsFilter{}, db.StatsGrouping{PlaceLevel: level(db.LevelCompound)}},
		{"a community by grid and month, repairs", community, db.WishStatsFilter{Category: &db.EnumCond[db.WishCategory]{Eq: &cat}},
			db.StatsGrouping{PlaceLevel: level(db.LevelGrid), Period: period(db.PeriodMonth)}},
		{"a subdistrict by building, rated", sub, db.WishStatsFilter{Rating: &db.IntCond{Gte: ptrTo(1)}},
			db.StatsGrouping{PlaceLevel: level(db.LevelBuilding)}},
		{"a compound by category, one rating", compound, db.WishStatsFilter{Rating: &db.IntCond{Eq: &one}}, db.StatsGrouping{Category: true}},
		{"one state, a quarter, by community", sub, db.WishStatsFilter{State: &db.EnumCond[db.WishState]{Eq: &state},
			CreatedAt: whole(db.PeriodQuarter, time.Date(2025, 4, 1, 0, 0, 0, 0, cst))}, db.StatsGrouping{PlaceLevel: level(db.LevelCommunity)}},
		{"everything, no grouping", sub, db.WishStatsFilter{}, db.StatsGrouping{}},
		{"a day with nothing in it", sub, db.WishStatsFilter{CreatedAt: whole(db.PeriodDay, time.Date(2024, 2, 3, 0, 0, 0, 0, cst))},
			db.StatsGrouping{Category: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.f
			inGo, inSQL, err := db.WishFiguresTwice(ctx, s, "figures_oracle", c.place, &f, c.by)
			if err != nil {
				t.Fatal(err)
			}
			if len(inGo) != len(inSQL) {
				t.Fatalf("Go makes %d groups (total included), SQL %d", len(inGo), len(inSQL))
			}
			for i := range inGo {
				if a, b := figures(inGo[i]), figures(inSQL[i]); a != b {
					t.Errorf("group %d:\nGo  %s\nSQL %s", i, a, b)
				}
			}
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// figures writes out what a group says, every float to the last bit.
func figures(g *db.WishStatsGroup) string {
	key := func(p any) string {
		v := reflect.ValueOf(p)
		if v.IsNil() {
			return "-"
		}
		if t, ok := v.Elem().Interface().(time.Time); ok {
			return fmt.Sprint(t.Unix())
		}
		return fmt.Sprint(v.Elem().Interface())
	}
	bits := func(ps []float64) string {
		out := ""
		for _, p := range ps {
			out += fmt.Sprintf("%x ", p)
		}
		return out
	}
	return fmt.Sprintf("place %s category %s state %s period %s: residents %d wishes %d states %v "+
		"review %d %s claim %d %s fulfil %d %s confirm %d %s ratings %d sum %d %v released %d lapsed %d",
		key(g.PlaceID), key(g.Category), key(g.State), key(g.PeriodStart), g.Residents, g.Wishes, []int64(g.States),
		g.Reviewed, bits(g.ReviewP), g.Claimed, bits(g.ClaimP), g.Fulfil, bits(g.FulfilP), g.Confirm, bits(g.ConfirmP),
		g.Ratings, g.RatingSum, []int64(g.RatingCounts), g.Released, g.Lapsed)
}
