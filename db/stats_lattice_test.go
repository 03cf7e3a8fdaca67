package db

import (
	"math/rand/v2"
	"testing"
	"time"
)

// A group withheld to protect a small sibling must not be the sum of its shown parts. A
// community holds compound X (2 people: primary), compound Y (one grid gy of 6), compound
// Z (grids z1, z2 of 5 each) and grids outside compounds (r1, 7). Among compounds the
// smallest shown one, Y, is withheld to protect X; among all grids of the community z1 is.
// Without more, Y would be its one grid gy, shown, and the community less Z, the rest and
// gy would be X: so gy is withheld as well, and Z and the rest stay shown.
func TestLatticeWithheldParentIsNoSumOfItsParts(t *testing.T) {
	const community, x, y, z = 2, 10, 11, 12
	const gx, gy, z1, z2, r1 = 20, 21, 22, 23, 24
	var rows []latticeRow
	person := int64(100)
	add := func(compound, grid int64, n int) {
		for range n {
			person++
			rows = append(rows, latticeRow{Person: person, Sub: 1, Community: community, Compound: compound, Grid: grid, Building: grid * 10,
				Day: 9000, Month: 295})
		}
	}
	add(x, gx, 2)
	add(y, gy, 6)
	add(z, z1, 5)
	add(z, z2, 5)
	add(-community, r1, 7)
	l := newLattice(rows, 5)
	place := func(kind int8, id int64) cell { return cell{dimPlace: coord{kind, id}} }
	for _, c := range []struct {
		name     string
		cell     cell
		withheld bool
	}{
		{"the community", place(1, community), false},
		{"X, small", place(kindCompound, x), true},
		{"Y, the smallest shown compound", place(kindCompound, y), true},
		{"Z", place(kindCompound, z), false},
		{"the rest of the community", place(kindCompound, -community), false},
		{"gx, small", place(3, gx), true},
		{"gy, Y's only grid", place(3, gy), true},
		{"z1, the smallest shown grid", place(3, z1), true},
		{"z2", place(3, z2), false},
		{"r1", place(3, r1), false},
	} {
		if got := l.withheld(c.cell); got != c.withheld {
			t.Errorf("%s: withheld %v, want %v", c.name, got, c.withheld)
		}
	}
}

// Counting a shape from a finer one already counted (people merged up to k) decides every
// cell as counting each shape from the rows does: random rows, small cells, every shape,
// asked in a random order so that counts come from different finer shapes.
func TestLatticeCountsFromFinerShapes(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	rows := make([]latticeRow, 4000)
	for i := range rows {
		comm := int64(10 + r.IntN(3))
		compound := -comm
		if r.IntN(3) > 0 {
			compound = 100 + comm*10 + int64(r.IntN(2))
		}
		grid := 1000 + 100*compound + int64(r.IntN(3)) // in one compound, or the rest of one community
		day := int32(9100 + r.IntN(200))
		tm := time.Date(2000, 1, 1+int(day), 0, 0, 0, 0, time.UTC)
		rows[i] = latticeRow{Person: int64(r.IntN(900)), Sub: 1, Community: comm, Compound: compound, Grid: grid,
			Building: grid*10 + int64(r.IntN(4)), Day: day, Month: int32((tm.Year()-2000)*12 + int(tm.Month()) - 1),
			Rating: int16(r.IntN(6)), Steps: int16(r.IntN(64)), categoryIx: int8(r.IntN(7)), stateIx: int8(r.IntN(9))}
	}
	derived, plain := newLattice(rows, 5), newLattice(rows, 5)
	if derived.fromRows {
		t.Fatal("the rows' places nest, yet the lattice counts from the rows")
	}
	plain.fromRows = true
	kinds := [nDims][]int8{{0, 1, kindCompound, 3, 4}, {kindAll, kindValue}, {kindAll, kindValue},
		{kindAll, kindYear, kindQuarter, kindMonth, kindWeek, kindDay}, {kindAll, kindRated, kindRatingValue}}
	withheld := 0
	for range 1500 {
		row := &rows[r.IntN(len(rows))]
		var c cell
		for d := range nDims {
			c[d] = row.at(d, kinds[d][r.IntN(len(kinds[d]))])
		}
		a, b := derived.withheld(c), plain.withheld(c)
		if a != b {
			t.Fatalf("cell %v: withheld %v counted from finer shapes, %v from the rows", c, a, b)
		}
		if derived.stepsWithheld(c) != plain.stepsWithheld(c) {
			t.Fatalf("cell %v: steps withheld %v counted from finer shapes, %v from the rows", c, derived.stepsWithheld(c), plain.stepsWithheld(c))
		}
		if a {
			withheld++
		}
	}
	if withheld < 150 || withheld > 1350 {
		t.Fatalf("%d of 1500 cells withheld: the test needs both kinds", withheld)
	}
}

// A grid moved to another compound leaves rows whose places do not nest: the lattice
// then counts from the rows.
func TestLatticeMovedGrid(t *testing.T) {
	rows := []latticeRow{{Sub: 1, Community: 2, Compound: 3, Grid: 4, Building: 5}, {Sub: 1, Community: 2, Compound: 6, Grid: 4, Building: 5}}
	if !newLattice(rows, 5).fromRows || newLattice(rows[:1], 5).fromRows {
		t.Fatal("a grid in two compounds must make the lattice count from the rows, and only then")
	}
}
