package db

import (
	"database/sql"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/lib/pq"
)

// Wish figures computed in Go from the rows the lattice reads anyway (latticeSelect): one
// read of the region serves the groups, the total and the suppression decisions, instead
// of a pass in SQL for each (the total alone was a second sort of every value). The
// definitions are SQL's, kept as the oracle in export_test.go: distinct beneficiaries,
// and medians and 90th percentiles interpolated between the two nearest values as
// percentile_cont does, so an answer is the same to the last bit. A region is at most a
// subdistrict over all time (about 100,000 rows on the benchmark district: 8 MB while an
// answer is made), so sorting its values takes milliseconds.

// latticeSelect selects wish_stats rows as latticeRow, the lattice's columns and the
// figures', packed into nine numbers so that reading a region is mostly PostgreSQL's
// work, not the driver's: day (17 bits), rating (3), the steps reached (6), category and
// state (their indexes, 3 and 4), claims released and lapsed (15 each: smallints, never
// negative) in one; the seconds to review and to claim in another, to fulfil and to
// confirm in a third (PostgreSQL's | and << bind alike, left to right: hence the
// parentheses). Durations of steps not reached read 0 and are skipped. $1 and $2
// are the categories and the states, in order.
const latticeSelect = `SELECT beneficiary_id, subdistrict_id, community_id, coalesce(compound_id, -community_id), grid_id, building_id,
	day::bigint | (coalesce(rating, 0)::bigint << 17)
		| (((review_s IS NOT NULL)::int + 2 * (claim_s IS NOT NULL)::int + 4 * (fulfil_s IS NOT NULL)::int
			+ 8 * (confirm_s IS NOT NULL)::int + 16 * (released > 0)::int + 32 * (lapsed > 0)::int)::bigint << 20)
		| ((array_position($1::wish_category[], category) - 1)::bigint << 26)
		| ((array_position($2::wish_state[], state) - 1)::bigint << 29)
		| (released::bigint << 33) | (lapsed::bigint << 48),
	(coalesce(review_s, 0)::bigint & 4294967295) | (coalesce(claim_s, 0)::bigint << 32),
	(coalesce(fulfil_s, 0)::bigint & 4294967295) | (coalesce(confirm_s, 0)::bigint << 32)`

// latticeRead reads the rows of table matching where (its arguments from $3 on) in two
// halves, before mid and from it, side by side: the parts to run with statsRead, and the
// rows once they have run. Rows lie in the order they were made, so each half reads
// about half of the pages; any mid gives the same rows.
func latticeRead(table, where string, args []any, mid time.Time) (parts []statsPart, rows func() []latticeRow) {
	var halves [2][][]latticeRow
	args = append([]any{pq.Array(wishCategories), pq.Array(wishStates)}, args...)
	at := `$` + strconv.Itoa(len(args)+1)
	args = append(args, mid)
	if where != "" {
		where += ` AND `
	}
	for h, cond := range []string{`created_at < ` + at, `created_at >= ` + at} {
		parts = append(parts, statsPart{rowsReader(func(r *sql.Rows) error { return scanLattice(r, &halves[h]) }),
			latticeSelect + ` FROM ` + table + ` WHERE ` + where + cond, args})
	}
	return parts, func() []latticeRow {
		chunks := append(halves[0], halves[1]...)
		n := 0
		for _, c := range chunks {
			n += len(c)
		}
		out := make([]latticeRow, 0, n)
		for _, c := range chunks {
			out = append(out, c...)
		}
		return out
	}
}

// scanLattice unpacks latticeSelect's rows, into chunks that are never copied as they grow.
func scanLattice(r *sql.Rows, chunks *[][]latticeRow) error {
	months := map[int32]int32{}
	var chunk []latticeRow
	for r.Next() {
		if len(chunk) == cap(chunk) {
			chunk = make([]latticeRow, 0, 8192)
		}
		chunk = chunk[:len(chunk)+1]
		if len(chunk) == 1 {
			*chunks = append(*chunks, nil)
		}
		row := &chunk[len(chunk)-1]
		var packed, first, second int64
		if err := r.Scan(&row.Person, &row.Sub, &row.Community, &row.Compound, &row.Grid, &row.Building, &packed, &first, &second); err != nil {
			return err
		}
		(*chunks)[len(*chunks)-1] = chunk
		row.Day = int32(packed & (1<<17 - 1))
		row.Rating = int16(packed >> 17 & 7)
		row.Steps = int16(packed >> 20 & 63)
		row.categoryIx = int8(packed >> 26 & 7)
		row.stateIx = int8(packed >> 29 & 15)
		row.Released = int16(packed >> 33 & (1<<15 - 1))
		row.Lapsed = int16(packed >> 48 & (1<<15 - 1))
		row.Review, row.Claim = int32(uint32(first)), int32(first>>32)
		row.Fulfil, row.Confirm = int32(uint32(second)), int32(second>>32)
		m, ok := months[row.Day]
		if !ok {
			t := time.Date(2000, 1, 1+int(row.Day), 0, 0, 0, 0, time.UTC)
			m = int32((t.Year()-2000)*12 + int(t.Month()) - 1)
			months[row.Day] = m
		}
		row.Month = m
	}
	return nil
}

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
