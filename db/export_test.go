package db

import (
	"context"
	"slices"
	"time"
)

// The SQL definition of wish figures, kept here as the oracle the figures computed in Go
// (stats_figures.go) are checked against.

// wishFigures are the figures of a group of wish_stats rows f, as SQL. Medians and 90th
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

// WishFiguresTwice computes the figures of the rows of table (shaped as wish_stats) under
// place, in the cell f names, grouped by, twice: in Go as WishStats does, and in SQL by
// wishFigures in one statement; with the total each time. Groups come in key order.
func WishFiguresTwice(ctx context.Context, s *Store, table string, place *Place, f *WishStatsFilter, by StatsGrouping) (inGo, inSQL []*WishStatsGroup, err error) {
	var top cell
	top[dimPlace] = coord{int8(slices.Index(placeLevels, place.Level)), place.ID}
	from, kind, err := wishCell(&top, f, by)
	if err != nil {
		return nil, nil, err
	}
	parts, rows := latticeRead(table, "", nil, time.Date(2025, 7, 1, 0, 0, 0, 0, statsZone)) // the test's wishes lie either side
	if err := s.statsRead(ctx, parts...); err != nil {
		return nil, nil, err
	}
	groups, total := wishFiguresOf(newLattice(rows(), s.Stats.MinGroup).rows, top, by, true)
	inGo = append(groups, total)

	var q statsQuery
	where := []string{q.placeCond("f.", []*Place{place}, wishStatsLevels)}
	p := statsPlan{by: by, levels: wishStatsLevels}
	if kind != kindAll {
		_, to, _, _ := wholePeriod(f.CreatedAt, "createdAt")
		where = append(where, `f.created_at >= `+q.arg(from), `f.created_at < `+q.arg(to))
		p.lo, p.hi = from, to
	}
	if c := top[dimCategory]; c.kind == kindValue {
		where = append(where, `f.category = `+q.arg(string(wishCategories[c.id]))+`::wish_category`)
	}
	if c := top[dimState]; c.kind == kindValue {
		where = append(where, `f.state = `+q.arg(string(wishStates[c.id]))+`::wish_state`)
	}
	switch c := top[dimRating]; c.kind {
	case kindRated:
		where = append(where, `f.rating IS NOT NULL`)
	case kindRatingValue:
		where = append(where, `f.rating = `+q.arg(c.id))
	}
	g := p.grouping(&q, "f.", periodSource{ts: "f.created_at", day: "f.day", month: "f.month"})
	g.halves = [2]string{} // one statement: halves by a place's parity leave out its NULL group
	groups, total, err = readGroups[*WishStatsGroup](ctx, s, g, wishFigures, ` FROM `+table+` f WHERE `+joinConds(where, " AND "), q.args[:g.whereArgs], true)
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(groups, func(a, b *WishStatsGroup) int { return a.groupKey().compare(b.groupKey()) })
	return inGo, append(groups, total), nil
}

// SelectRows is Store.selectRows, for the scanning tests.
func SelectRows(ctx context.Context, s *Store, dest any, q string, args ...any) error {
	return s.selectRows(ctx, dest, q, args...)
}
