package db

import (
	"cmp"
	"slices"
	"time"
)

// The lattice of wish figures, and which of its cells are withheld.
//
// Every wish figure an analyst can ask for is a cell of one fixed lattice with five
// dimensions, each a tree: the place (subdistrict, community, compound, grid, building; grids
// lying directly in a community hang under "the rest of the community", which is the
// community less its compounds), the category (all, or one), the state (all, or one), the
// period (all time; a CST year, quarter, month, day; or all time, week, day: a day has two
// parents) and the rating (all; rated or not; one value 1–5). A filter names one node per
// dimension, so an answer is one cell, its groups and their breakdowns by state and rating.
//
// A cell is withheld when it counts 1 to k−1 distinct beneficiaries (primary suppression),
// or when a sibling set it belongs to needs it (secondary suppression). A sibling set is
// the descendants of one kind under one ancestor along one dimension, every other
// coordinate equal (a community's compounds, and also all of its grids): its withheld
// members must together count nobody or at least k people, so that the ancestor less its
// shown members never isolates fewer than k; when the primary ones fall short, the shown
// member with the fewest wishes (then the lowest key) is withheld as well. And a withheld
// ancestor must not be the sum of its shown members: when it is withheld and its set
// withholds none, its smallest member is withheld. Every decision reads the lattice alone
// (the cell, its siblings, its ancestors and their rows), never how the question was
// phrased, so two answers always agree on what is shown.

const (
	dimPlace = iota
	dimCategory
	dimState
	dimPeriod
	dimRating
	nDims
)

// coord is a cell's coordinate in one dimension: a kind (a level of that dimension's tree)
// and the node at that level.
type coord struct {
	kind int8
	id   int64
}

// cell is a node of the lattice: one coordinate per dimension.
type cell [nDims]coord

// cellIDs are a cell's ids alone: the key of maps whose cells all have one shape, hashed as
// one block of memory rather than field by field.
type cellIDs [nDims]int64

func (c cell) ids() (out cellIDs) {
	for d := range nDims {
		out[d] = c[d].id
	}
	return out
}

// Kinds of place coordinates are the indexes of wishStatsLevels' levels in placeLevels;
// kind 2 holds a compound, or −community for the rest of a community.
const (
	kindAll   int8 = 0 // category, state, rating, period: everything
	kindValue int8 = 1 // category, state: one value

	kindCompound int8 = 2

	kindRated       int8 = 1 // rating: rated (id 1) or not (id 0)
	kindRatingValue int8 = 2 // rating: 1–5

	kindYear    int8 = 1
	kindQuarter int8 = 2
	kindMonth   int8 = 3
	kindWeek    int8 = 4
	kindDay     int8 = 5
)

// periodKinds maps periods to their kinds.
var periodKinds = map[Period]int8{PeriodYear: kindYear, PeriodQuarter: kindQuarter, PeriodMonth: kindMonth, PeriodWeek: kindWeek, PeriodDay: kindDay}

// ancestorKinds are the kinds of a coordinate's ancestors in its dimension's tree: not
// only the parent, since an ancestor less its shown descendants of one level (a community
// less its shown grids) is a difference as well.
func ancestorKinds(d int, kind int8) []int8 {
	if d == dimPeriod {
		switch kind {
		case kindDay:
			return []int8{kindMonth, kindQuarter, kindYear, kindWeek, kindAll}
		case kindWeek:
			return []int8{kindAll}
		}
	}
	var out []int8
	for k := kind - 1; k >= 0; k-- {
		out = append(out, k)
	}
	return out
}

// periodNests reports whether every period of kind inner lies within one of kind outer.
func periodNests(inner, outer int8) bool {
	switch {
	case outer == kindAll || inner == outer:
		return true
	case inner == kindWeek || outer == kindWeek:
		return inner == kindDay
	}
	return inner > outer
}

// latticeRow is one wish as the lattice and the figures see it (latticeSelect). It holds
// no pointers, so that a region's rows cost the garbage collector nothing to scan.
type latticeRow struct {
	Person, Sub, Community int64
	Compound               int64 // −community outside compounds
	Grid, Building         int64
	Day, Month             int32
	Rating                 int16 // 0: not rated
	Steps                  int16 // the steps reached, one bit each (StepReview…)
	// Seconds to each step reached, and claims released and lapsed.
	Review, Claim, Fulfil, Confirm int32
	Released, Lapsed               int16
	categoryIx, stateIx            int8 // indexes in wishCategories and wishStates
}

// Steps a wish may have reached, whose counts split a cell in two (reached or not), in the
// order of WishStatsGroup.StepWithheld.
const (
	StepReview = iota
	StepClaim
	StepFulfil
	StepConfirm
	StepReleased // a claim of it was released
	StepLapsed   // a claim of it lapsed
	nSteps
)

// at is the row's coordinate of a kind in dimension d.
func (r *latticeRow) at(d int, kind int8) coord {
	switch d {
	case dimPlace:
		return coord{kind, [...]int64{r.Sub, r.Community, r.Compound, r.Grid, r.Building}[kind]}
	case dimCategory:
		if kind == kindValue {
			return coord{kind, int64(r.categoryIx)}
		}
	case dimState:
		if kind == kindValue {
			return coord{kind, int64(r.stateIx)}
		}
	case dimRating:
		switch kind {
		case kindRated:
			return coord{kind, int64(min(r.Rating, 1))}
		case kindRatingValue:
			return coord{kind, int64(r.Rating)}
		}
	case dimPeriod:
		return coord{kind, periodIndex(kind, r.Day, r.Month)}
	}
	return coord{}
}

// periodIndex numbers the periods of a kind, as periodSource.period does in SQL: from
// 2000-01-01 (days), its month (months), and weeks from Monday 2000-01-03.
func periodIndex(kind int8, day, month int32) int64 {
	switch kind {
	case kindYear:
		return int64(month / 12)
	case kindQuarter:
		return int64(month / 3)
	case kindMonth:
		return int64(month)
	case kindWeek:
		return int64((day + 5) / 7)
	case kindDay:
		return int64(day)
	}
	return 0
}

// periodCoord is the coordinate of the period of kind starting at start.
func periodCoord(kind int8, start time.Time) coord {
	t := start.In(statsZone)
	y, m, d := t.Date()
	day := int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	month := int32((y-2000)*12 + int(m) - 1)
	return coord{kind, periodIndex(kind, day, month)}
}

// people counts the distinct people of a cell up to k, knowing who they are while fewer.
type people struct {
	ids []int64
	big bool // k or more
}

func (p *people) add(id int64, k int) {
	if p.big || slices.Contains(p.ids, id) {
		return
	}
	p.ids = append(p.ids, id)
	if len(p.ids) >= k {
		p.big, p.ids = true, nil
	}
}

// merge adds the people of o.
func (p *people) merge(o *people, k int) {
	if o.big {
		p.big, p.ids = true, nil
		return
	}
	for _, id := range o.ids {
		p.add(id, k)
	}
}

// few reports fewer than k, but someone.
func (p *people) few() bool { return !p.big && len(p.ids) > 0 }

// tally is what the lattice knows of a cell: its wishes and people, and for each step
// the people who reached it and those who did not.
type tally struct {
	wishes int
	people people
	steps  [nSteps][2]people
	// ancestors are the cell's coordinates above its own, per dimension and kind
	// (ancestorKinds' order): every row of a cell has the same.
	ancestors [nDims][5]coord
}

// lattice decides which cells are withheld, from the rows of a region of it that holds
// every cell asked about and all their siblings.
type lattice struct {
	k    int
	rows []latticeRow
	// ruled remembers sibling sets already ruled on, by shape, dimension and parent kind.
	ruled   map[siblingsKey]map[cellIDs]*ruling
	own     map[[nDims]int8]map[cellIDs]*tally
	decided map[cell]bool
	// fromRows counts every shape, and every sibling set, from the rows: when places do
	// not nest (nested), and in the test of counts from finer shapes.
	fromRows bool
}

// ruling is what a sibling set withholds by the counts of its own members, and the member
// it gives up when its parent is withheld and it withholds none: a withheld parent must not
// be the sum of its shown children.
type ruling struct {
	withheld map[int64]bool // by id: every member has the set's kind
	smallest int64
}

type siblingsKey struct {
	shape  [nDims]int8
	d      int
	parent int8
}

func newLattice(rows []latticeRow, k int) *lattice {
	return &lattice{k: k, rows: rows, ruled: map[siblingsKey]map[cellIDs]*ruling{}, own: map[[nDims]int8]map[cellIDs]*tally{},
		decided: map[cell]bool{}, fromRows: !nested(rows)}
}

// nested reports whether every place of the rows lies in one place of each level above:
// counting a shape from a finer one relies on it. Rows keep the places of their wish when
// it was made, so a grid moved to another compound since breaks it; then every shape is
// counted from the rows, as slowly and exactly as before.
func nested(rows []latticeRow) bool {
	above := map[[2]int64][4]int64{}
	for i := range rows {
		r := &rows[i]
		path := [5]int64{r.Sub, r.Community, r.Compound, r.Grid, r.Building}
		for kind := 1; kind < len(path); kind++ {
			var up [4]int64
			copy(up[:], path[:kind])
			key := [2]int64{int64(kind), path[kind]}
			if was, ok := above[key]; !ok {
				above[key] = up
			} else if was != up {
				return false
			}
		}
	}
	return true
}

func shapeOf(c cell) (s [nDims]int8) {
	for d := range nDims {
		s[d] = c[d].kind
	}
	return s
}

// tallies counts every cell of a shape: from the cells of a finer shape already counted
// when there is one (people up to k merge exactly: a union of sets of ids, or k or more as
// soon as one part has), else from the cells of the shape refined to single categories,
// states and ratings, counted in one pass over the rows. So an answer passes over its rows
// about once per period and place level, not once per shape.
func (l *lattice) tallies(shape [nDims]int8) map[cellIDs]*tally {
	if t, ok := l.own[shape]; ok {
		return t
	}
	var finest [nDims]int8
	var from map[cellIDs]*tally
	for f, t := range l.own {
		if l.fromRows {
			break
		}
		if finer(f, shape) && (from == nil || len(t) < len(from)) {
			finest, from = f, t
		}
	}
	if fine := refined(shape); from == nil && fine != shape && !l.fromRows {
		finest, from = fine, l.tallies(fine)
	}
	var out map[cellIDs]*tally
	if from == nil {
		out = l.talliesOfRows(shape)
	} else {
		out = l.talliesOf(shape, finest, from)
	}
	l.own[shape] = out
	return out
}

// refined is shape with one category, one state and one rating value.
func refined(shape [nDims]int8) [nDims]int8 {
	shape[dimCategory], shape[dimState], shape[dimRating] = kindValue, kindValue, kindRatingValue
	return shape
}

// finer reports whether every cell of shape f lies within one cell of shape s.
func finer(f, s [nDims]int8) bool {
	for d := range nDims {
		switch {
		case f[d] == s[d]:
		case d == dimPeriod && !periodNests(f[d], s[d]), f[d] < s[d]:
			return false
		}
	}
	return true
}

// ancestor is the coordinate of kind want above a cell of kind kind whose ancestors
// (ancestorKinds' order) t holds.
func (t *tally) ancestor(d int, kind, want int8) coord {
	return t.ancestors[d][slices.Index(ancestorKinds(d, kind), want)]
}

// talliesOf counts the cells of shape from those of the finer shape fine.
func (l *lattice) talliesOf(shape, fine [nDims]int8, from map[cellIDs]*tally) map[cellIDs]*tally {
	out := map[cellIDs]*tally{}
	for fc, ft := range from {
		c := fc
		for d := range nDims {
			if shape[d] != fine[d] {
				c[d] = ft.ancestor(d, fine[d], shape[d]).id
			}
		}
		t := out[c]
		if t == nil {
			t = &tally{}
			for d := range nDims {
				if shape[d] == fine[d] {
					t.ancestors[d] = ft.ancestors[d]
					continue
				}
				for j, ak := range ancestorKinds(d, shape[d]) {
					t.ancestors[d][j] = ft.ancestor(d, fine[d], ak)
				}
			}
			out[c] = t
		}
		t.wishes += ft.wishes
		t.people.merge(&ft.people, l.k)
		for s := range nSteps {
			for h := range 2 {
				t.steps[s][h].merge(&ft.steps[s][h], l.k)
			}
		}
	}
	return out
}

// talliesOfRows counts every cell of a shape in one pass over the rows.
func (l *lattice) talliesOfRows(shape [nDims]int8) map[cellIDs]*tally {
	out := map[cellIDs]*tally{}
	for i := range l.rows {
		r := &l.rows[i]
		var c cellIDs
		for d := range nDims {
			c[d] = r.at(d, shape[d]).id
		}
		t := out[c]
		if t == nil {
			t = &tally{}
			for d := range nDims {
				for j, ak := range ancestorKinds(d, shape[d]) {
					t.ancestors[d][j] = r.at(d, ak)
				}
			}
			out[c] = t
		}
		t.wishes++
		t.people.add(r.Person, l.k)
		for s := range nSteps {
			reached := 0
			if r.Steps&(1<<s) != 0 {
				reached = 1
			}
			t.steps[s][reached].add(r.Person, l.k)
		}
	}
	return out
}

// siblings rules on every sibling set of cells of shape along d under parents of kind
// parent, by parent cell.
func (l *lattice) siblings(shape [nDims]int8, d int, parent int8) map[cellIDs]*ruling {
	key := siblingsKey{shape, d, parent}
	if s, ok := l.ruled[key]; ok {
		return s
	}
	type child struct {
		wishes int
		people people
	}
	sets := map[cellIDs]map[int64]*child{}
	member := func(p cellIDs, c int64) *child {
		set := sets[p]
		if set == nil {
			set = map[int64]*child{}
			sets[p] = set
		}
		ch := set[c]
		if ch == nil {
			ch = &child{}
			set[c] = ch
		}
		return ch
	}
	if l.fromRows {
		for i := range l.rows {
			r := &l.rows[i]
			var p cellIDs
			for e := range nDims {
				p[e] = r.at(e, shape[e]).id
			}
			c := p[d]
			p[d] = r.at(d, parent).id
			ch := member(p, c)
			ch.wishes++
			ch.people.add(r.Person, l.k)
		}
	} else {
		// The members of a set are the cells of shape, counted already.
		for p, t := range l.tallies(shape) {
			c := p[d]
			p[d] = t.ancestor(d, shape[d], parent).id
			*member(p, c) = child{wishes: t.wishes, people: t.people}
		}
	}
	out := map[cellIDs]*ruling{}
	smallest := func(set map[int64]*child, skip map[int64]bool) *int64 {
		var pick *int64
		for c, ch := range set {
			if skip[c] {
				continue
			}
			if pick == nil || cmp.Or(cmp.Compare(ch.wishes, set[*pick].wishes), cmp.Compare(c, *pick)) < 0 {
				pick = &c
			}
		}
		return pick
	}
	for p, set := range sets {
		withheld := map[int64]bool{}
		union := map[int64]bool{}
		for c, ch := range set {
			if ch.people.few() {
				withheld[c] = true
				for _, id := range ch.people.ids {
					union[id] = true
				}
			}
		}
		if len(union) > 0 && len(union) < l.k {
			// The smallest shown sibling joins them; it counts k or more by itself. If there
			// is none, the parent counts fewer than k and is withheld in its own right.
			if pick := smallest(set, withheld); pick != nil {
				withheld[*pick] = true
			}
		}
		out[p] = &ruling{withheld: withheld, smallest: *smallest(set, nil)}
	}
	l.ruled[key] = out
	return out
}

// withheld reports whether cell c is withheld. It asks only about coarser cells (c's
// ancestors), so it always ends.
func (l *lattice) withheld(c cell) bool {
	if w, ok := l.decided[c]; ok {
		return w
	}
	w := l.decide(c)
	l.decided[c] = w
	return w
}

func (l *lattice) decide(c cell) bool {
	shape := shapeOf(c)
	t := l.tallies(shape)[c.ids()]
	if t == nil {
		return false // nobody in it: a zero singles nobody out
	}
	if t.people.few() {
		return true
	}
	for d := range nDims {
		for j, ak := range ancestorKinds(d, c[d].kind) {
			p := c
			p[d] = t.ancestors[d][j]
			r := l.siblings(shape, d, ak)[p.ids()]
			if r.withheld[c[d].id] || len(r.withheld) == 0 && r.smallest == c[d].id && l.withheld(p) {
				return true
			}
		}
	}
	return false
}

// stepsWithheld reports, for each step, whether its count in c is withheld: the wishes of
// c that reached it and those that did not are its two halves, and a half counting fewer
// than k people withholds both (the cell's total less one gives the other).
func (l *lattice) stepsWithheld(c cell) (out [nSteps]bool) {
	t := l.tallies(shapeOf(c))[c.ids()]
	if t == nil {
		return out
	}
	for s := range nSteps {
		out[s] = t.steps[s][0].few() || t.steps[s][1].few()
	}
	return out
}
