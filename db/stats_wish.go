package db

import (
	"context"
	"slices"
	"time"

	"github.com/lib/pq"
)

// WishStatsFilter picks one cell of the lattice of wish figures (stats_lattice.go): one
// node per dimension, so that no two answers differ by an arbitrary set of wishes.
type WishStatsFilter struct {
	// PlaceIDs: under this place (the beneficiary's home); at most one.
	PlaceIDs []int64
	// CreatedAt: one whole period (gte its start, lt its end).
	CreatedAt *TimeCond
	// Category and State: one value, or all of them.
	Category *EnumCond[WishCategory]
	State    *EnumCond[WishState]
	// Rating: one value, or every rated wish.
	Rating *IntCond
}

// StatsGrouping is how figures are grouped; nothing set gives one group of everything.
type StatsGrouping struct {
	PlaceLevel      *PlaceLevel
	Category, State bool
	Period          *Period
}

// DurationFigures are how long a step took, in seconds, over the wishes that reached it.
type DurationFigures struct {
	Count       int
	Median, P90 *float64
}

// GroupKey is the place and the period start that name the group (nil for none).
func (g *WishStatsGroup) GroupKey() (*int64, *time.Time) { return g.PlaceID, g.PeriodStart }

// WishStatsGroup is one group's figures. Its key fields are set for the dimensions grouped
// by.
type WishStatsGroup struct {
	PlaceID     *int64        `db:"place_id"`
	Category    *WishCategory `db:"category"`
	State       *WishState    `db:"state"`
	PeriodStart *time.Time    `db:"period"`
	// Residents is the distinct beneficiaries, the count suppression looks at.
	Residents  int           `db:"residents"`
	Suppressed bool          `db:"-"`
	Wishes     int           `db:"wishes"`
	States     pq.Int64Array `db:"states"` // per state, in the order of WishStates
	Reviewed   int           `db:"reviewed"`

	ReviewP  pq.Float64Array `db:"review_p"`
	Claimed  int             `db:"claimed"`
	ClaimP   pq.Float64Array `db:"claim_p"`
	Fulfil   int             `db:"fulfilled"`
	FulfilP  pq.Float64Array `db:"fulfil_p"`
	Confirm  int             `db:"confirmed"`
	ConfirmP pq.Float64Array `db:"confirm_p"`

	Ratings      int           `db:"ratings"`
	RatingSum    int           `db:"rating_sum"`
	RatingCounts pq.Int64Array `db:"rating_counts"` // 1 to 5
	Released     int           `db:"released"`
	Lapsed       int           `db:"lapsed"`

	// What of a shown group is withheld (stats_lattice.go): the count of each state (in the
	// order of WishStates), the satisfaction figures as a whole, each rating's count, and
	// each step's figures (ToReview, ToClaim, ToFulfil, ToConfirm, Released, Lapsed).
	StateWithheld        []bool       `db:"-"`
	SatisfactionWithheld bool         `db:"-"`
	RatingWithheld       [5]bool      `db:"-"`
	StepWithheld         [nSteps]bool `db:"-"`
}

// WishStates lists the wish states in the order of WishStatsGroup.States.
func WishStates() []WishState { return wishStates }

// ToReview, ToClaim, ToFulfil and ToConfirm are the time from submission to each step.
func (g *WishStatsGroup) ToReview() DurationFigures  { return durations(g.Reviewed, g.ReviewP) }
func (g *WishStatsGroup) ToClaim() DurationFigures   { return durations(g.Claimed, g.ClaimP) }
func (g *WishStatsGroup) ToFulfil() DurationFigures  { return durations(g.Fulfil, g.FulfilP) }
func (g *WishStatsGroup) ToConfirm() DurationFigures { return durations(g.Confirm, g.ConfirmP) }

func durations(n int, p pq.Float64Array) DurationFigures {
	d := DurationFigures{Count: n}
	if len(p) == 2 {
		d.Median, d.P90 = &p[0], &p[1]
	}
	return d
}

// wishStatsLevels are the levels wish figures group and filter by, the beneficiary's home
// down to the building (never the household), each with its wish_stats column.
var wishStatsLevels = map[PlaceLevel]string{
	LevelSubdistrict: "subdistrict_id", LevelCommunity: "community_id", LevelCompound: "compound_id",
	LevelGrid: "grid_id", LevelBuilding: "building_id",
}

// WishStats computes wish figures for v: the groups, and with withTotal (or no grouping)
// the figures over all of them, each group and each of its breakdowns withheld as the
// lattice decides. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID_INPUT (a filter
// that is not one cell of the lattice, a grouping past the budget), TIMEOUT.
func (s *Store) WishStats(ctx context.Context, v *Viewer, f *WishStatsFilter, by StatsGrouping, withTotal bool) ([]*WishStatsGroup, *WishStatsGroup, error) {
	defer s.Metrics.StatsQuery("wish", time.Now())
	if f == nil {
		f = &WishStatsFilter{}
	}
	sc, err := s.scopeOf(ctx, v, f.PlaceIDs, "placeIds", wishStatsLevels)
	if err != nil {
		return nil, nil, err
	}
	place, err := sc.onePlace(f.PlaceIDs)
	if err != nil {
		return nil, nil, err
	}
	var top cell
	top[dimPlace] = coord{int8(slices.Index(placeLevels, place.Level)), place.ID}
	from, kind, err := wishCell(&top, f, by)
	if err != nil {
		return nil, nil, err
	}
	if _, err := s.plan(ctx, sc, by, wishStatsLevels, s.earliest(ctx, `SELECT min(created_at) FROM wish_stats`), f.CreatedAt); err != nil {
		return nil, nil, err
	}
	// One read of the region: the figures and the suppression decisions both come from it.
	region := latticeRegion(place, kind, from)
	if region.lo.IsZero() {
		// All time: its halves meet halfway from the first wish to now.
		first, err := s.earliest(ctx, `SELECT min(created_at) FROM wish_stats`)()
		if err != nil {
			return nil, nil, err
		}
		region.lo, region.hi = first, s.Now()
	}
	parts, rows := latticeRead("wish_stats", region.where, region.args, region.lo.Add(region.hi.Sub(region.lo)/2))
	if err := s.statsRead(ctx, parts...); err != nil {
		return nil, nil, err
	}
	l := newLattice(rows(), s.Stats.MinGroup)
	groups, total := wishFiguresOf(l.rows, top, by, withTotal)
	for _, gr := range groups {
		c, known := groupCell(top, by, gr)
		gr.decide(l, c, known)
	}
	if total != nil {
		total.decide(l, top, true)
	}
	return groups, total, nil
}

// wishCell reads the filter's period, category, state and rating into top, the cell an
// answer is about, and returns the period's start and kind. Errors: INVALID_INPUT.
func wishCell(top *cell, f *WishStatsFilter, by StatsGrouping) (from time.Time, kind int8, err error) {
	from, _, kind, err = wholePeriod(f.CreatedAt, "createdAt")
	if err != nil {
		return from, kind, err
	}
	if kind != kindAll {
		top[dimPeriod] = periodCoord(kind, from)
	}
	if err := periodsNest(by, kind); err != nil {
		return from, kind, err
	}
	category, err := oneOrAll(f.Category, wishCategories, "category")
	if err != nil {
		return from, kind, err
	}
	if category != nil {
		top[dimCategory] = coord{kindValue, int64(slices.Index(wishCategories, *category))}
	}
	state, err := oneOrAll(f.State, wishStates, "state")
	if err != nil {
		return from, kind, err
	}
	if state != nil {
		top[dimState] = coord{kindValue, int64(slices.Index(wishStates, *state))}
	}
	top[dimRating], err = ratingCoord(f.Rating)
	return from, kind, err
}

// latticeRegion selects the rows of every cell an answer about top can hold and of all
// their siblings: under top's community (or subdistrict, above it), over the period
// around top's (a day's month and week, a month's quarter, a quarter's year, else all
// time), and a week more on each side for the weeks of the days in it.
func latticeRegion(place *Place, kind int8, from time.Time) (r struct {
	where  string
	args   []any
	lo, hi time.Time // zero: all time
}) {
	col, id := "subdistrict_id", place.Path[0]
	if len(place.Path) >= 3 {
		col, id = "community_id", place.Path[1]
	}
	// $1 and $2 are latticeRead's.
	r.where = col + ` = $3`
	r.args = []any{id}
	var lo, hi time.Time
	switch kind {
	case kindQuarter:
		lo = PeriodYear.Start(from)
		hi = PeriodYear.Next(lo)
	case kindMonth:
		lo = PeriodQuarter.Start(from)
		hi = PeriodQuarter.Next(lo)
	case kindDay:
		// A week lies within a week of its days; the region adds a week on each side.
		lo = PeriodMonth.Start(from)
		hi = PeriodMonth.Next(lo)
	default:
		return r
	}
	r.lo, r.hi = lo.AddDate(0, 0, -7), hi.AddDate(0, 0, 7)
	r.where += ` AND created_at >= $4 AND created_at < $5`
	r.args = append(r.args, r.lo, r.hi)
	return r
}

// groupCell is the lattice cell of a group of an answer about top grouped by. A group by
// compound of wishes outside any compound, over several communities, is no cell (known
// false).
func groupCell(top cell, by StatsGrouping, g *WishStatsGroup) (c cell, known bool) {
	c = top
	if by.PlaceLevel != nil {
		if kind := int8(slices.Index(placeLevels, *by.PlaceLevel)); kind > top[dimPlace].kind {
			switch {
			case g.PlaceID != nil:
				c[dimPlace] = coord{kind, *g.PlaceID}
			case top[dimPlace].kind == kindCompound-1: // the rest of one community
				c[dimPlace] = coord{kindCompound, -top[dimPlace].id}
			default:
				return c, false
			}
		}
	}
	if g.Category != nil {
		c[dimCategory] = coord{kindValue, int64(slices.Index(wishCategories, *g.Category))}
	}
	if g.State != nil {
		c[dimState] = coord{kindValue, int64(slices.Index(wishStates, *g.State))}
	}
	if by.Period != nil && g.PeriodStart != nil {
		if kind := periodKinds[*by.Period]; periodNests(kind, top[dimPeriod].kind) {
			c[dimPeriod] = periodCoord(kind, *g.PeriodStart)
		}
	}
	return c, true
}

// decide withholds what the lattice says of the group at cell c: all of it, or parts of
// its breakdowns. A group that is no cell is withheld whole.
func (g *WishStatsGroup) decide(l *lattice, c cell, known bool) {
	g.Suppressed = !known || l.withheld(c)
	if g.Suppressed {
		return
	}
	// refine is c narrowed to coordinate x of dimension d: empty (nil) when c already
	// holds another value there, c itself when the same.
	refine := func(d int, x coord) *cell {
		switch {
		case c[d].kind < x.kind:
			r := c
			r[d] = x
			return &r
		case c[d] == x:
			return &c
		}
		return nil
	}
	g.StateWithheld = make([]bool, len(wishStates))
	for i := range wishStates {
		if r := refine(dimState, coord{kindValue, int64(i)}); r != nil {
			g.StateWithheld[i] = l.withheld(*r)
		}
	}
	if c[dimRating].kind == kindAll {
		rated := c
		rated[dimRating] = coord{kindRated, 1}
		g.SatisfactionWithheld = l.withheld(rated)
	}
	for v := range 5 {
		if r := refine(dimRating, coord{kindRatingValue, int64(v + 1)}); r != nil {
			g.RatingWithheld[v] = l.withheld(*r)
		}
	}
	g.StepWithheld = l.stepsWithheld(c)
}

// bounds is the widest range c allows.
func (c *TimeCond) bounds() (from, to *time.Time) {
	if c.Eq != nil {
		return c.Eq, c.Eq
	}
	from, to = c.Gte, c.Lt
	if from == nil {
		from = c.Gt
	}
	if to == nil {
		to = c.Lte
	}
	return from, to
}
