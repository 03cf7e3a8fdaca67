package db

import (
	"context"
	"time"

	"github.com/lib/pq"
)

// WishStatsFilter picks the wishes figures are computed over. Every part set must hold;
// And, Or and Not combine nested filters.
type WishStatsFilter struct {
	// PlaceIDs: under one of these places (the beneficiary's home).
	PlaceIDs  []int64
	CreatedAt *TimeCond
	Category  *EnumCond[WishCategory]
	State     *EnumCond[WishState]
	Rating    *IntCond
	// ClaimsReleased and ClaimsLapsed count a wish's claims that ended that way.
	ClaimsReleased, ClaimsLapsed *IntCond
	// Text is a substring search over title and description.
	Text    *string
	And, Or []WishStatsFilter
	Not     *WishStatsFilter
}

func (f *WishStatsFilter) placeIDs() []int64 {
	if f == nil {
		return nil
	}
	ids := append([]int64(nil), f.PlaceIDs...)
	for i := range f.And {
		ids = append(ids, f.And[i].placeIDs()...)
	}
	for i := range f.Or {
		ids = append(ids, f.Or[i].placeIDs()...)
	}
	return append(ids, f.Not.placeIDs()...)
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

// wishFigures are the figures of a group of wish_stats rows f. Medians and 90th
// percentiles interpolate between the two nearest values (percentile_cont).
const wishFigures = `count(DISTINCT f.beneficiary_id) AS residents, count(*) AS wishes,
	ARRAY[count(*) FILTER (WHERE f.state = 'submitted'), count(*) FILTER (WHERE f.state = 'published'),
		count(*) FILTER (WHERE f.state = 'rejected'), count(*) FILTER (WHERE f.state = 'cancelled'),
		count(*) FILTER (WHERE f.state = 'claimed'), count(*) FILTER (WHERE f.state = 'fulfilled'),
		count(*) FILTER (WHERE f.state = 'confirmed'), count(*) FILTER (WHERE f.state = 'disputed'),
		count(*) FILTER (WHERE f.state = 'closed')] AS states,
	count(f.review_s) AS reviewed, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.review_s) AS review_p,
	count(f.claim_s) AS claimed, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.claim_s) AS claim_p,
	count(f.fulfil_s) AS fulfilled, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.fulfil_s) AS fulfil_p,
	count(f.confirm_s) AS confirmed, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY f.confirm_s) AS confirm_p,
	count(f.rating) AS ratings, coalesce(sum(f.rating), 0) AS rating_sum,
	ARRAY[count(*) FILTER (WHERE f.rating = 1), count(*) FILTER (WHERE f.rating = 2), count(*) FILTER (WHERE f.rating = 3),
		count(*) FILTER (WHERE f.rating = 4), count(*) FILTER (WHERE f.rating = 5)] AS rating_counts,
	coalesce(sum(f.released), 0) AS released, coalesce(sum(f.lapsed), 0) AS lapsed`

// wishStatsLevels are the levels wish figures group and filter by, the beneficiary's home
// down to the building (never the household), each with its wish_stats column.
var wishStatsLevels = map[PlaceLevel]string{
	LevelSubdistrict: "subdistrict_id", LevelCommunity: "community_id", LevelCompound: "compound_id",
	LevelGrid: "grid_id", LevelBuilding: "building_id",
}

// WishStats computes wish figures for v: the groups, and with withTotal (or no grouping)
// the figures over all of them.
func (s *Store) WishStats(ctx context.Context, v *Viewer, f *WishStatsFilter, by StatsGrouping, withTotal bool) ([]*WishStatsGroup, *WishStatsGroup, error) {
	sc, err := s.scopeOf(ctx, v, f.placeIDs(), "placeIds", wishStatsLevels)
	if err != nil {
		return nil, nil, err
	}
	var q statsQuery
	where := []string{q.placeCond("f.", sc.grants, wishStatsLevels)}
	if f != nil {
		cond, err := q.wishFilter(f, sc)
		if err != nil {
			return nil, nil, err
		}
		where = append(where, cond)
	}
	plan, err := s.plan(ctx, sc, by, wishStatsLevels, s.earliest(ctx, `SELECT min(created_at) FROM wish_stats`), f.createdAt())
	if err != nil {
		return nil, nil, err
	}
	g := plan.grouping(&q, "f.", periodSource{ts: "f.created_at", day: "f.day", month: "f.month"})
	groups, total, err := readGroups[*WishStatsGroup](ctx, s, g, wishFigures, ` FROM wish_stats f WHERE `+joinConds(where, " AND "), q.args, withTotal)
	if err != nil {
		return nil, nil, err
	}
	for _, gr := range append(groups, total) {
		if gr != nil {
			gr.Suppressed = s.suppressed(gr.Residents)
		}
	}
	return groups, total, nil
}

// createdAt is the time range the top level of the filter asks for, for the budget.
func (f *WishStatsFilter) createdAt() *TimeCond {
	if f == nil {
		return nil
	}
	return f.CreatedAt
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

func (q *statsQuery) wishFilter(f *WishStatsFilter, sc *statsScope) (string, error) {
	var conds []string
	add := func(c []string, err error) error {
		conds = append(conds, c...)
		return err
	}
	if f.PlaceIDs != nil {
		if err := q.term("placeIds"); err != nil {
			return "", err
		}
		conds = append(conds, q.placeCond("f.", sc.placesNamed(f.PlaceIDs), wishStatsLevels))
	}
	if err := add(q.time("f.created_at", f.CreatedAt, "createdAt")); err != nil {
		return "", err
	}
	if err := add(enumCond(q, "f.category", "wish_category", f.Category, "category")); err != nil {
		return "", err
	}
	if err := add(enumCond(q, "f.state", "wish_state", f.State, "state")); err != nil {
		return "", err
	}
	if err := add(q.int("f.rating", f.Rating, "rating")); err != nil {
		return "", err
	}
	if err := add(q.int("f.released", f.ClaimsReleased, "claimsReleased")); err != nil {
		return "", err
	}
	if err := add(q.int("f.lapsed", f.ClaimsLapsed, "claimsLapsed")); err != nil {
		return "", err
	}
	text, err := q.text("(w.title || ' ' || w.description)", f.Text, "text")
	if err != nil {
		return "", err
	}
	if len(text) > 0 {
		conds = append(conds, `EXISTS (SELECT 1 FROM wishes w WHERE w.id = f.wish_id AND `+joinConds(text, " AND ")+`)`)
	}
	for _, set := range []struct {
		fs []WishStatsFilter
		op string
	}{{f.And, " AND "}, {f.Or, " OR "}} {
		if set.fs == nil {
			continue
		}
		var sub []string
		for i := range set.fs {
			c, err := q.wishFilter(&set.fs[i], sc)
			if err != nil {
				return "", err
			}
			sub = append(sub, c)
		}
		conds = append(conds, joinConds(sub, set.op))
	}
	if f.Not != nil {
		c, err := q.wishFilter(f.Not, sc)
		if err != nil {
			return "", err
		}
		conds = append(conds, `NOT coalesce(`+c+`, false)`)
	}
	return joinConds(conds, " AND "), nil
}
