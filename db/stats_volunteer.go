package db

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// VolunteerStatsFilter picks the ledger entries volunteer figures add up: every part set
// must hold.
type VolunteerStatsFilter struct {
	// PlaceIDs: for wishes of residents under this place; at most one.
	PlaceIDs []int64
	// At is when the hours were credited (or reversed): one whole period.
	At *TimeCond
	// Category: one value, or all of them.
	Category *EnumCond[WishCategory]
}

// GroupKey is the place and the period start that name the group (nil for none).
func (g *VolunteerStatsGroup) GroupKey() (*int64, *time.Time) { return g.PlaceID, g.PeriodStart }

// VolunteerStatsGroup is one group's volunteer figures.
type VolunteerStatsGroup struct {
	PlaceID     *int64     `db:"place_id"`
	PeriodStart *time.Time `db:"period"`
	// Volunteers is the distinct volunteers with entries in the group, the count
	// suppression looks at; Active those with a credit.
	Volunteers int  `db:"volunteers"`
	Active     int  `db:"active"`
	Suppressed bool `db:"-"`
	LedgerSums
	// Leaderboard is the group's volunteers with the most points, when asked for.
	Leaderboard []*LeaderboardEntry `db:"-"`
}

// LeaderboardEntry is one volunteer's place on a leaderboard. AccountID is set only for
// viewers allowed to know who it is: the volunteer, and staff or admins over the place.
type LeaderboardEntry struct {
	PlaceID     *int64        `db:"place_id"`
	PeriodStart *time.Time    `db:"period"`
	Rank        int           `db:"rank"`
	Account     int64         `db:"account_id"`
	PlacePath   pq.Int64Array `db:"place_path"`
	AccountID   *int64        `db:"-"`
	LedgerSums
}

// LedgerSums add up ledger entries (ledgerSums): minutes and points net of reversals, and
// the wishes credited less those reversed.
type LedgerSums struct {
	Minutes  int `db:"minutes"`
	Points   int `db:"points"`
	Credited int `db:"credited"`
}

// ledgerSums add up ledger entries l into LedgerSums.
const ledgerSums = `coalesce(sum(l.minutes), 0) AS minutes, coalesce(sum(l.points), 0) AS points,
	count(*) FILTER (WHERE l.kind = 'credit') - count(*) FILTER (WHERE l.kind = 'reversal') AS credited`

const volunteerFigures = `count(DISTINCT l.account_id) AS volunteers,
	count(DISTINCT l.account_id) FILTER (WHERE l.kind = 'credit') AS active, ` + ledgerSums

// MaxLeaderboard is the longest leaderboard per group.
const MaxLeaderboard = 50

// VolunteerStats computes volunteer figures for v, with the top `leaders` volunteers of
// each group by points: the groups, and with withTotal (or no grouping) the figures over
// all of them.
func (s *Store) VolunteerStats(ctx context.Context, v *Viewer, f VolunteerStatsFilter, by StatsGrouping, leaders int, withTotal bool) ([]*VolunteerStatsGroup, *VolunteerStatsGroup, error) {
	defer s.Metrics.StatsQuery("volunteer", time.Now())
	if leaders < 0 || leaders > MaxLeaderboard {
		return nil, nil, Invalid("leaderboard", "排行榜每组最多 %d 名", MaxLeaderboard)
	}
	sc, err := s.scopeOf(ctx, v, f.PlaceIDs, "placeIds", wishStatsLevels)
	if err != nil {
		return nil, nil, err
	}
	// The same lattice as wishes': one place, one whole period, one category or all.
	place, err := sc.onePlace(f.PlaceIDs)
	if err != nil {
		return nil, nil, err
	}
	var q statsQuery
	where := []string{q.placeCond("f.", []*Place{place}, wishStatsLevels)}
	lo, hi, kind, err := wholePeriod(f.At, "at")
	if err != nil {
		return nil, nil, err
	}
	if kind != kindAll {
		where = append(where, `l.at >= `+q.arg(lo), `l.at < `+q.arg(hi))
	}
	if err := periodsNest(by, kind); err != nil {
		return nil, nil, err
	}
	category, err := oneOrAll(f.Category, wishCategories, "category")
	if err != nil {
		return nil, nil, err
	}
	if category != nil {
		where = append(where, `f.category = `+q.arg(string(*category))+`::wish_category`)
	}
	plan, err := s.plan(ctx, sc, StatsGrouping{PlaceLevel: by.PlaceLevel, Period: by.Period}, wishStatsLevels,
		s.earliest(ctx, `SELECT min(at) FROM volunteer_ledger`), f.At)
	if err != nil {
		return nil, nil, err
	}
	g := plan.grouping(&q, "f.", periodOf("l.at"))
	from := ` FROM volunteer_ledger l JOIN wish_stats f ON f.wish_id = l.wish_id WHERE ` + joinConds(where, " AND ")
	groups, total, err := readGroups[*VolunteerStatsGroup](ctx, s, g, volunteerFigures, from, q.args, withTotal)
	if err != nil {
		return nil, nil, err
	}
	for _, gr := range append(groups, total) {
		if gr != nil {
			gr.Suppressed = s.suppressed(gr.Volunteers)
		}
	}
	if leaders == 0 {
		return groups, total, nil
	}
	// The leaderboards group as the figures do; they take the filter's arguments only (the
	// grouping's are for halving the figures' work).
	if len(g.dims) > 0 {
		if err := s.leaderboard(ctx, v, sc, groups, g.keySelects, g.dims, from, q.args[:g.whereArgs], leaders); err != nil {
			return nil, nil, err
		}
	}
	if total != nil {
		err := s.leaderboard(ctx, v, sc, []*VolunteerStatsGroup{total}, `NULL::bigint AS place_id, NULL::timestamptz AS period`,
			nil, from, q.args[:g.whereArgs], leaders)
		if err != nil {
			return nil, nil, err
		}
	}
	return groups, total, nil
}

// leaderboard ranks the volunteers within each of groups (keyed by keys over dims), ties
// broken by hours and then by account, so the order is stable, and gives each group its
// top `leaders`. Who is who is shown only to those allowed to know.
func (s *Store) leaderboard(ctx context.Context, v *Viewer, sc *statsScope, groups []*VolunteerStatsGroup, keys string, dims []string,
	from string, args []any, leaders int) error {
	partition := ""
	if len(dims) > 0 {
		partition = `PARTITION BY ` + strings.Join(dims, ", ")
	}
	args = append(slices.Clone(args), leaders)
	q := `SELECT place_id, period, account_id, minutes, points, credited, rank,
		(SELECT p.path FROM places p WHERE p.id = ranked.place_id) AS place_path FROM (
		SELECT ` + keys + `, l.account_id, ` + ledgerSums + `,
			row_number() OVER (` + partition + ` ORDER BY sum(l.points) DESC, sum(l.minutes) DESC, l.account_id) AS rank` +
		from + ` GROUP BY ` + strings.Join(append(slices.Clone(dims), "l.account_id"), ", ") + `) ranked WHERE rank <= $` + strconv.Itoa(len(args)) +
		` ORDER BY place_id, period, rank`
	var entries []*LeaderboardEntry
	if err := s.statsRead(ctx, statsPart{&entries, q, args}); err != nil {
		return err
	}
	byKey := map[groupKey]*VolunteerStatsGroup{}
	for _, gr := range groups {
		byKey[gr.groupKey()] = gr
	}
	for _, e := range entries {
		gr := byKey[newGroupKey(e.PlaceID, nil, nil, e.PeriodStart)]
		if gr == nil || gr.Suppressed {
			continue
		}
		var place *Place // the group's, when grouped by place
		if len(e.PlacePath) > 0 {
			place = &Place{ID: e.PlacePath[len(e.PlacePath)-1], Path: e.PlacePath}
		}
		if v.Is(e.Account) || sc.namesVisible(v, place) {
			e.AccountID = &e.Account
		}
		gr.Leaderboard = append(gr.Leaderboard, e)
	}
	return nil
}
