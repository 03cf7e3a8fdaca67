package db

import (
	"math"
	"slices"
	"time"
)

// Wish figures computed in Go from the rows the lattice reads anyway (latticeRows): one
// scan of the region serves the groups, the total and the suppression decisions, instead
// of a pass in SQL for each. The definitions are SQL's (wishFigures): distinct
// beneficiaries, and medians and 90th percentiles interpolated between the two nearest
// values as percentile_cont does, so an answer is the same to the last bit.

// figureRows are the figures' columns beside the lattice's. Durations of steps not
// reached (steps bit clear) read 0 and are skipped.
const figureRows = `, coalesce(review_s, 0) AS review_s, coalesce(claim_s, 0) AS claim_s,
	coalesce(fulfil_s, 0) AS fulfil_s, coalesce(confirm_s, 0) AS confirm_s, released, lapsed`

// figureAcc gathers one group's rows.
type figureAcc struct {
	g      *WishStatsGroup
	people []int64
	durs   [4][]int32
}

func (a *figureAcc) add(r *latticeRow) {
	g := a.g
	g.Wishes++
	a.people = append(a.people, r.Person)
	g.States[r.stateIx]++
	for s, d := range [4]int32{r.Review, r.Claim, r.Fulfil, r.Confirm} {
		if r.Steps&(1<<s) != 0 {
			a.durs[s] = append(a.durs[s], d)
		}
	}
	if r.Rating > 0 {
		g.Ratings++
		g.RatingSum += int(r.Rating)
		g.RatingCounts[r.Rating-1]++
	}
	g.Released += int(r.Released)
	g.Lapsed += int(r.Lapsed)
}

func (a *figureAcc) finish() *WishStatsGroup {
	g := a.g
	slices.Sort(a.people)
	g.Residents = len(slices.Compact(a.people))
	counts := [4]*int{&g.Reviewed, &g.Claimed, &g.Fulfil, &g.Confirm}
	ps := [4]*[]float64{(*[]float64)(&g.ReviewP), (*[]float64)(&g.ClaimP), (*[]float64)(&g.FulfilP), (*[]float64)(&g.ConfirmP)}
	for s, d := range a.durs {
		*counts[s] = len(d)
		if len(d) > 0 {
			slices.Sort(d)
			*ps[s] = []float64{percentileCont(d, 0.5), percentileCont(d, 0.9)}
		}
	}
	return g
}

// percentileCont is PostgreSQL's percentile_cont over sorted values, step for step
// (percentile_cont_final_common and float8_lerp), so that it gives the same double.
func percentileCont(sorted []int32, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	first, second := math.Floor(pos), math.Ceil(pos)
	lo := float64(sorted[int(first)])
	if second == first {
		return lo
	}
	hi := float64(sorted[int(second)])
	// The conversion keeps the product rounded on its own, as in C, never fused into the
	// addition.
	return lo + float64((hi-lo)*(pos-first))
}

func newFigureAcc() *figureAcc {
	return &figureAcc{g: &WishStatsGroup{States: make([]int64, len(wishStates)), RatingCounts: make([]int64, 5)}}
}

// wishFiguresOf computes the groups of the rows in cell top, grouped by, in the order of
// their keys, and the total over them when withTotal (nil otherwise).
func wishFiguresOf(rows []latticeRow, top cell, by StatsGrouping, withTotal bool) ([]*WishStatsGroup, *WishStatsGroup) {
	placeKind := int8(-1)
	if by.PlaceLevel != nil {
		placeKind = int8(slices.Index(placeLevels, *by.PlaceLevel))
	}
	periodKind := int8(-1)
	if by.Period != nil {
		periodKind = periodKinds[*by.Period]
	}
	grouped := placeKind >= 0 || by.Category || by.State || periodKind >= 0
	type key struct {
		place           int64
		placed          bool
		category, state int8
		period          int64
	}
	accs := map[key]*figureAcc{}
	var total *figureAcc
	if withTotal || !grouped {
		total = newFigureAcc()
	}
	for i := range rows {
		r := &rows[i]
		if !r.in(top) {
			continue
		}
		if total != nil {
			total.add(r)
		}
		if !grouped {
			continue
		}
		k := key{category: -1, state: -1}
		if placeKind >= 0 {
			k.place = r.at(dimPlace, placeKind).id
			// Wishes outside any compound have no compound: SQL's NULL group.
			k.placed = !(placeKind == kindCompound && k.place < 0)
		}
		if by.Category {
			k.category = r.categoryIx
		}
		if by.State {
			k.state = r.stateIx
		}
		if periodKind >= 0 {
			k.period = periodIndex(periodKind, r.Day, r.Month)
		}
		a := accs[k]
		if a == nil {
			a = newFigureAcc()
			g := a.g
			if k.placed {
				g.PlaceID = &k.place
			}
			if k.category >= 0 {
				g.Category = &wishCategories[k.category]
			}
			if k.state >= 0 {
				g.State = &wishStates[k.state]
			}
			if periodKind >= 0 {
				t := periodStartOf(periodKind, k.period)
				g.PeriodStart = &t
			}
			accs[k] = a
		}
		a.add(r)
	}
	groups := make([]*WishStatsGroup, 0, len(accs))
	for _, a := range accs {
		groups = append(groups, a.finish())
	}
	slices.SortFunc(groups, func(a, b *WishStatsGroup) int { return a.groupKey().compare(b.groupKey()) })
	if total == nil {
		return groups, nil
	}
	return groups, total.finish()
}

// in reports whether the row lies in cell c.
func (r *latticeRow) in(c cell) bool {
	for d := range nDims {
		if c[d].kind != kindAll || d == dimPlace {
			if r.at(d, c[d].kind) != c[d] {
				return false
			}
		}
	}
	return true
}

// periodStartOf is the start of the period of kind numbered i (periodIndex's numbering).
func periodStartOf(kind int8, i int64) time.Time {
	day := func(d int64) time.Time { return time.Date(2000, 1, 1+int(d), 0, 0, 0, 0, statsZone) }
	month := func(m int64) time.Time {
		return time.Date(2000+int(m/12), time.Month(m%12+1), 1, 0, 0, 0, 0, statsZone)
	}
	switch kind {
	case kindDay:
		return day(i)
	case kindWeek:
		return day(i*7 - 5)
	case kindMonth:
		return month(i)
	case kindQuarter:
		return month(i * 3)
	}
	return month(i * 12)
}
