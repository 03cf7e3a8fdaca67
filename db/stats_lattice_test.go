package db

import "testing"

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
				Category: wishCategories[0], State: wishStates[0], Day: 9000, Month: 295})
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
