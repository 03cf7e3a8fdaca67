package db

import (
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkLatticeYear decides what a subdistrict's year grouped by category and month
// withholds, with its total, over 100,000 rows of two years: the Go side of WishStats
// alone, no database.
func BenchmarkLatticeYear(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	rows := make([]latticeRow, 100_000)
	start := periodCoord(kindDay, time.Date(2024, 12, 1, 0, 0, 0, 0, statsZone)).id
	for i := range rows {
		comm := int64(100 + r.IntN(10))
		compound := -comm
		if r.IntN(2) == 0 {
			compound = 1000 + comm*10 + int64(r.IntN(2))
		}
		grid := 10000 + comm*10 + int64(r.IntN(4))
		day := int32(start) + int32(r.IntN(730))
		t := time.Date(2000, 1, 1+int(day), 0, 0, 0, 0, statsZone)
		rows[i] = latticeRow{Person: int64(r.IntN(30000)), Sub: 1, Community: comm, Compound: compound, Grid: grid,
			Building: grid*100 + int64(r.IntN(80)), categoryIx: int8(r.IntN(7)), stateIx: int8(r.IntN(9)),
			Day: day, Month: int32((t.Year()-2000)*12 + int(t.Month()) - 1), Rating: int16(r.IntN(6)), Steps: int16(r.IntN(64)),
			Review: int32(r.IntN(100000)), Claim: int32(r.IntN(100000))}
	}
	month := PeriodMonth
	by := StatsGrouping{Category: true, Period: &month}
	var top cell
	top[dimPlace] = coord{0, 1}
	top[dimPeriod] = periodCoord(kindYear, time.Date(2025, 1, 1, 0, 0, 0, 0, statsZone))
	for b.Loop() {
		l := newLattice(rows, 5)
		groups, total := wishFiguresOf(l.rows, top, by, true)
		for _, g := range groups {
			c, known := groupCell(top, by, g)
			g.decide(l, c, known)
		}
		total.decide(l, top, true)
	}
}
