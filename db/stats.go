package db

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Figures for analysts (统计). Every figure is an aggregate over a group of rows; a group
// that counts fewer distinct people than StatsSettings.MinGroup is suppressed, so no figure
// singles out a household. Filters name one cell of a fixed lattice (one place, one whole
// period, one value or all of each enum), and wish figures are also suppressed where a
// difference of answers would isolate a small group (stats_lattice.go). Statistics run read-only, on the read replica when there is one,
// with their own statement timeout, after a budget check that refuses a runaway grouping
// before any of it runs.

// StatsSettings protect the figures and the database behind them.
type StatsSettings struct {
	// MinGroup is the fewest distinct people a group may count and still show its figures.
	MinGroup int
	// Timeout cancels the SQL of one statistics query.
	Timeout time.Duration
	// MaxGroups is the most groups one query may ask for (places × categories × states ×
	// periods), checked before it runs.
	MaxGroups int
}

// DefaultStatsSettings are the settings with none given.
var DefaultStatsSettings = StatsSettings{MinGroup: 5, Timeout: 10 * time.Second, MaxGroups: 5000}

// ETIMEOUT is a query stopped at its time limit; narrowing it may help.
const ETIMEOUT = "TIMEOUT"

// EUNAVAILABLE is the figures' database (the read replica, when there is one) out of
// reach; the rest of the service may still work.
const EUNAVAILABLE = "UNAVAILABLE"

var errStatsUnavailable = &Error{Code: EUNAVAILABLE, Message: "统计所用的数据库暂时无法连接，请稍后再试（其他功能不受影响）"}

// unreachable reports whether err says the database could not be reached or the
// connection was lost, rather than anything about the query.
func unreachable(err error) bool {
	var op *net.OpError
	state := sqlState(err)
	return errors.As(err, &op) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.HasPrefix(state, "08") || state == "57P01" || state == "57P02" || state == "57P03"
}

// statsRoles may read figures, in the places where they hold the role and below.
var statsRoles = []Role{RoleAnalyst, RoleStaff, RoleAdmin}

// statsZone is the zone periods are cut in: China Standard Time has had no daylight saving
// since 1991, so a fixed offset and PostgreSQL's Asia/Shanghai agree.
var statsZone = time.FixedZone("CST", 8*3600)

// Period is the length of a time bucket.
type Period string

// Periods.
const (
	PeriodDay     Period = "day"
	PeriodWeek    Period = "week"
	PeriodMonth   Period = "month"
	PeriodQuarter Period = "quarter"
	PeriodYear    Period = "year"
)

// Periods lists them all, shortest first.
var Periods = []Period{PeriodDay, PeriodWeek, PeriodMonth, PeriodQuarter, PeriodYear}

// Start is the start of the period containing t, in China Standard Time.
func (p Period) Start(t time.Time) time.Time {
	t = t.In(statsZone)
	y, m, d := t.Date()
	switch p {
	case PeriodDay:
		return time.Date(y, m, d, 0, 0, 0, 0, statsZone)
	case PeriodWeek: // weeks start on Monday, as date_trunc's ISO weeks do
		wd := (int(t.Weekday()) + 6) % 7
		return time.Date(y, m, d-wd, 0, 0, 0, 0, statsZone)
	case PeriodMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, statsZone)
	case PeriodQuarter:
		return time.Date(y, m-(m-1)%3, 1, 0, 0, 0, 0, statsZone)
	default:
		return time.Date(y, 1, 1, 0, 0, 0, 0, statsZone)
	}
}

// Next is the start of the period after the one starting at start.
func (p Period) Next(start time.Time) time.Time {
	switch p {
	case PeriodDay:
		return start.AddDate(0, 0, 1)
	case PeriodWeek:
		return start.AddDate(0, 0, 7)
	case PeriodMonth:
		return start.AddDate(0, 1, 0)
	case PeriodQuarter:
		return start.AddDate(0, 3, 0)
	default:
		return start.AddDate(1, 0, 0)
	}
}

// count is how many periods touch [from, to).
func (p Period) count(from, to time.Time) int {
	n := 0
	for s := p.Start(from); s.Before(to) && n <= 100000; s = p.Next(s) {
		n++
	}
	return max(n, 1)
}

// TimeCond compares a time: every bound set must hold.
type TimeCond struct {
	Eq, Gt, Gte, Lt, Lte *time.Time
}

// IntCond compares a whole number: every part set must hold.
type IntCond struct {
	Eq               *int
	In               []int
	Gt, Gte, Lt, Lte *int
}

// EnumCond matches a value of an enum: equal to Eq, one of In, none of NotIn.
type EnumCond[T ~string] struct {
	Eq        *T
	In, NotIn []T
}

// statsQuery builds the WHERE of a statistics query: conditions with every value a
// parameter, never text.
type statsQuery struct {
	args []any
}

func (q *statsQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// joinConds ANDs conditions (true when there are none).
func joinConds(conds []string, op string) string {
	switch len(conds) {
	case 0:
		if op == " OR " {
			return "false"
		}
		return "true"
	case 1:
		return conds[0]
	}
	return "(" + strings.Join(conds, op) + ")"
}

// placeCond is "under one of places", one indexed column per level.
func (q *statsQuery) placeCond(alias string, places []*Place, levels map[PlaceLevel]string) string {
	byLevel := map[PlaceLevel][]int64{}
	for _, p := range places {
		byLevel[p.Level] = append(byLevel[p.Level], p.ID)
	}
	var conds []string
	for _, l := range placeLevels {
		if ids := byLevel[l]; len(ids) > 0 {
			conds = append(conds, alias+levels[l]+` = ANY(`+q.arg(pq.Array(ids))+`::bigint[])`)
		}
	}
	return joinConds(conds, " OR ")
}

// statsScope is who asks for figures and over which places.
type statsScope struct {
	grants []*Place // where the viewer may read figures
	places map[int64]*Place
}

// scopeOf returns the places where v may read figures, and looks up the places named in
// filters (ids), refusing ones that do not exist, lie outside the viewer's places, or are
// finer than levels allow.
func (s *Store) scopeOf(ctx context.Context, v *Viewer, ids []int64, field string, levels map[PlaceLevel]string) (*statsScope, error) {
	if v == nil {
		return nil, needSignIn
	}
	granted, _ := v.placesHolding(statsRoles...)
	if len(granted) == 0 {
		return nil, forbidden("只有数据分析员、社区工作者和管理员可以查看统计")
	}
	places, err := s.PlacesByID(ctx, append(slices.Clone(granted), ids...))
	if err != nil {
		return nil, err
	}
	sc := &statsScope{places: places}
	for _, id := range granted {
		if p, ok := sc.places[id]; ok {
			sc.grants = append(sc.grants, p)
		}
	}
	for _, id := range ids {
		p, ok := sc.places[id]
		switch {
		case !ok:
			return nil, &Error{Code: ENOTFOUND, Field: field, Message: "没有这个地点"}
		case levels[p.Level] == "":
			return nil, Invalid(field, "这项统计最细到%s，不能按%s筛选", finestLevel(levels).Name(), p.Level.Name())
		case !sc.covers(p):
			return nil, &Error{Code: EFORBIDDEN, Field: field, Message: "你没有查看这个地点统计的权限"}
		}
	}
	return sc, nil
}

// onePlace is the place figures are about: the one named in the filter, or the viewer's
// only grant. Figures over several places at once would be a union outside the lattice.
func (sc *statsScope) onePlace(ids []int64) (*Place, error) {
	switch {
	case len(ids) > 1:
		return nil, Invalid("placeIds", "一次只能查一个地点（和它下面的分组）：几个地点合起来的数字与别的回答相减，可能暴露人数不足的组。请分开查询")
	case len(ids) == 1:
		return sc.places[ids[0]], nil
	case len(sc.grants) == 1:
		return sc.grants[0], nil
	}
	return nil, Invalid("placeIds", "你在几个地点任职，请在 placeIds 里选一个地点")
}

// wholePeriod reads a time condition that must be nothing or exactly one period of the
// lattice, {gte: its start, lt: its end} in China Standard Time: two ranges that differ by
// a day would single out that day's people by their difference.
func wholePeriod(c *TimeCond, field string) (from, to time.Time, kind int8, err error) {
	if c == nil {
		return from, to, kindAll, nil
	}
	if c.Eq == nil && c.Gt == nil && c.Lte == nil && c.Gte != nil && c.Lt != nil {
		for _, p := range Periods {
			if s := p.Start(*c.Gte); s.Equal(*c.Gte) && p.Next(s).Equal(*c.Lt) {
				return s, *c.Lt, periodKinds[p], nil
			}
		}
	}
	return from, to, kindAll, Invalid(field, "时间范围只能是一个完整的时间段：按中国标准时间（UTC+8）的一天、一周（从星期一开始）、一个月、一个季度或一年，"+
		"写成 {gte: 开始, lt: 结束}，例如 {gte: \"2026-01-01T00:00:00+08:00\", lt: \"2026-04-01T00:00:00+08:00\"}；或者不设。"+
		"任意起止的两个范围相减会暴露人数不足的组")
}

// periodsNest refuses grouping by weeks within a month, quarter or year, or by those within a
// week: a group would be part of a period, no period of the lattice.
func periodsNest(by StatsGrouping, kind int8) error {
	if by.Period == nil || periodNests(periodKinds[*by.Period], kind) || periodNests(kind, periodKinds[*by.Period]) {
		return nil
	}
	return Invalid("groupBy", "周和月、季度、年互不包含：按周分组时时间范围只能是一周或不设，时间范围是一周时只能按日或按周分组")
}

// oneOrAll reads an enum condition that must pick one value or all of them (nil).
func oneOrAll[T ~string](c *EnumCond[T], all []T, field string) (*T, error) {
	if c == nil {
		return nil, nil
	}
	var picked []T
	for _, v := range all {
		if (c.Eq == nil || *c.Eq == v) && (c.In == nil || slices.Contains(c.In, v)) && !slices.Contains(c.NotIn, v) {
			picked = append(picked, v)
		}
	}
	switch len(picked) {
	case 1:
		return &picked[0], nil
	case len(all):
		return nil, nil
	}
	return nil, Invalid(field, "只能选一个值（eq）或者不设：几个值合起来的数字与别的回答相减，可能暴露人数不足的组")
}

// holds reports whether n meets every part of c.
func (c *IntCond) holds(n int) bool {
	return (c.Eq == nil || *c.Eq == n) && (c.In == nil || slices.Contains(c.In, n)) &&
		(c.Gt == nil || n > *c.Gt) && (c.Gte == nil || n >= *c.Gte) && (c.Lt == nil || n < *c.Lt) && (c.Lte == nil || n <= *c.Lte)
}

// ratingCoord reads a rating condition that must pick one rating, or every rated wish.
func ratingCoord(c *IntCond) (coord, error) {
	if c == nil {
		return coord{}, nil
	}
	var picked []int
	for n := 1; n <= 5; n++ {
		if c.holds(n) {
			picked = append(picked, n)
		}
	}
	switch len(picked) {
	case 1:
		return coord{kindRatingValue, int64(picked[0])}, nil
	case 5:
		return coord{kindRated, 1}, nil
	}
	return coord{}, Invalid("rating", "评分只能选一个分值（如 {eq: 1}）或全部有评分的（{gte: 1}）：几个分值合起来的数字与别的回答相减，可能暴露人数不足的组")
}

func (sc *statsScope) covers(p *Place) bool {
	for _, g := range sc.grants {
		if p.Within(g.ID) {
			return true
		}
	}
	return false
}

func finestLevel(levels map[PlaceLevel]string) PlaceLevel {
	finest := LevelSubdistrict
	for _, l := range placeLevels {
		if levels[l] != "" {
			finest = l
		}
	}
	return finest
}

// placesAt counts the places at level under the scope's grants: how many groups grouping by
// that level can make.
func (s *Store) placesAt(ctx context.Context, sc *statsScope, level PlaceLevel) (int, error) {
	ids := make([]int64, len(sc.grants))
	for i, g := range sc.grants {
		ids[i] = g.ID
	}
	var n int
	err := s.get(ctx, &n, `SELECT count(*) FROM places WHERE level = $1 AND path && $2::bigint[]`, level, pq.Array(ids))
	return n, err
}

// budget refuses a grouping that would make more groups than allowed, saying what to narrow.
func (s *Store) budget(groups int, dims []string) error {
	limit := s.Stats.MaxGroups
	if groups <= limit {
		return nil
	}
	return &Error{Code: EINVALID, Field: "groupBy", Message: "这次统计最多会分成 " + strconv.Itoa(groups) + " 组，超过上限 " +
		strconv.Itoa(limit) + " 组。请缩短时间范围、改用更长的时间段（如按月而不是按日）、按更高一级的地点分组，或减少分组维度（现在按" +
		strings.Join(dims, "、") + "分组）"}
}

// statsPart is one statement of a statistics answer.
type statsPart struct {
	dest any // a slice for sqlx, or a rowsReader that reads the rows itself
	sql  string
	args []any
}

// rowsReader reads the rows of a statistics statement.
type rowsReader func(*sql.Rows) error

// statsRead runs the statements of one statistics answer: read-only, on the replica when
// there is one, with the statistics timeout, which PostgreSQL itself enforces so a
// cancelled query stops there. Several statements run side by side, one connection each,
// on one snapshot exported by the first, so they agree with each other as if they were one.
func (s *Store) statsRead(ctx context.Context, parts ...statsPart) error {
	d := s.Read
	if d == nil {
		d = s.DB
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	begin := func(snapshot string) (*sqlx.Tx, string, error) {
		tx, err := d.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
		if err != nil {
			return nil, "", err
		}
		if snapshot != "" {
			// SET TRANSACTION SNAPSHOT takes no parameters; the id is PostgreSQL's own,
			// checked to be nothing but its hex digits and dashes.
			if !snapshotID.MatchString(snapshot) {
				tx.Rollback()
				return nil, "", errors.New("unexpected snapshot id " + snapshot)
			}
			if _, err := tx.ExecContext(ctx, `SET TRANSACTION SNAPSHOT '`+snapshot+`'`); err != nil {
				tx.Rollback()
				return nil, "", err
			}
		}
		// Sorts for medians stay in memory, and a one-off query is not worth compiling.
		// Parts side by side already use the cores; workers of their own would only queue.
		// The plan suits the period and place asked about (the pool's connections keep
		// generic plans otherwise: genericPlans).
		workers := "2"
		if len(parts) > 1 {
			workers = "0"
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_config('statement_timeout', $1, true),
			set_config('work_mem', '64MB', true), set_config('jit', 'off', true),
			set_config('max_parallel_workers_per_gather', $2, true), set_config('plan_cache_mode', 'auto', true)`,
			strconv.FormatInt(s.Stats.Timeout.Milliseconds(), 10), workers); err != nil {
			tx.Rollback()
			return nil, "", err
		}
		if snapshot == "" && len(parts) > 1 {
			if err := tx.GetContext(ctx, &snapshot, `SELECT pg_export_snapshot()`); err != nil {
				tx.Rollback()
				return nil, "", err
			}
		}
		return tx, snapshot, nil
	}
	s.statsBegin.Lock()
	first, snapshot, err := begin("")
	if err != nil {
		s.statsBegin.Unlock()
		if unreachable(err) && parent.Err() == nil {
			return errStatsUnavailable
		}
		return err
	}
	defer first.Rollback()
	txs := []*sqlx.Tx{first}
	for range parts[1:] {
		tx, _, err := begin(snapshot)
		if err != nil {
			s.statsBegin.Unlock()
			return err
		}
		defer tx.Rollback()
		txs = append(txs, tx)
	}
	s.statsBegin.Unlock()
	// The first part to fail stops the others: the answer needs them all.
	var (
		wg       sync.WaitGroup
		failOnce sync.Once
		failed   error
	)
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := p.run(ctx, txs[i]); err != nil {
				failOnce.Do(func() { failed = err; cancel() })
			}
		}()
	}
	wg.Wait()
	if unreachable(failed) && parent.Err() == nil {
		return errStatsUnavailable
	}
	if sqlState(failed) == "57014" && parent.Err() == nil {
		return &Error{Code: ETIMEOUT, Message: "统计查询超过了 " + s.Stats.Timeout.String() +
			" 的时限，已在数据库中取消。请缩短时间范围、缩小地点范围或减少分组维度后重试"}
	}
	return failed
}

func (p statsPart) run(ctx context.Context, tx *sqlx.Tx) error {
	read, ok := p.dest.(rowsReader)
	if !ok {
		return sqlx.SelectContext(ctx, tx, p.dest, p.sql, p.args...)
	}
	rows, err := tx.QueryContext(ctx, p.sql, p.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := read(rows); err != nil {
		return err
	}
	return rows.Err()
}

var snapshotID = regexp.MustCompile(`^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$`)

// earliest returns a function finding the earliest time there is data for (now if there
// is none), with q selecting it.
func (s *Store) earliest(ctx context.Context, q string) func() (time.Time, error) {
	return func() (time.Time, error) {
		// NullTime: min() over no rows is NULL, which sqlx cannot scan into a *time.Time
		// element (found by FuzzStatsFilter on a database without wishes).
		var t []sql.NullTime
		err := s.statsRead(ctx, statsPart{&t, q, nil})
		if err != nil || len(t) == 0 || !t[0].Valid {
			return s.Now(), err
		}
		return t[0].Time, nil
	}
}

// readGroups reads the groups of a statistics answer and, when withTotal, the figures over
// all of them (nil otherwise). The groups are counted in two halves side by side, and the
// total, which needs its own pass (medians and distinct counts do not add up from the
// groups'), beside them: on two cores an answer takes about the time of its largest part.
// extra parts run beside them, on the same snapshot.
func readGroups[T keyed](ctx context.Context, s *Store, g groupingSQL, figures, from string, args []any, withTotal bool, extra ...statsPart) ([]T, T, error) {
	var groups, total []T
	var halves [2][]T
	var parts []statsPart
	if len(g.dims) > 0 {
		q := `SELECT ` + g.selects + `, ` + figures + from
		if g.halves[0] == "" {
			parts = append(parts, statsPart{&groups, q + g.groupBy, args})
		} else {
			for i, cond := range g.halves {
				parts = append(parts, statsPart{&halves[i], q + ` AND ` + cond + g.groupBy, args})
			}
		}
	}
	if withTotal || len(g.dims) == 0 {
		parts = append(parts, statsPart{&total, `SELECT NULL::bigint AS place_id, NULL::timestamptz AS period, ` + figures + from, args[:g.whereArgs]})
	}
	parts = append(parts, extra...)
	var none T
	if err := s.statsRead(ctx, parts...); err != nil {
		return nil, none, err
	}
	if g.halves[0] != "" {
		groups = append(halves[0], halves[1]...)
		slices.SortFunc(groups, func(a, b T) int { return a.groupKey().compare(b.groupKey()) })
	}
	if len(total) == 1 { // an aggregate with no GROUP BY answers one row
		return groups, total[0], nil
	}
	return groups, none, nil
}

// suppressed reports whether a group counting people distinct people must be hidden. A
// group with nobody in it (meetings scheduled but not yet held) singles nobody out.
func (s *Store) suppressed(people int) bool { return people > 0 && people < s.Stats.MinGroup }

// groupingSQL is the select list and GROUP BY of a statistics query.
type groupingSQL struct {
	selects, groupBy string
	// dims are the grouping expressions; keySelects selects place_id and period alone.
	dims       []string
	keySelects string
	// whereArgs is how many of the query's arguments the filter uses; the grouping's own
	// come after them.
	whereArgs int
	// halves are two conditions that divide the groups between them, so the two halves
	// can be counted apart: before and after a period boundary near the middle of the
	// time range (each half then reads only its own rows), else by the place's parity.
	halves [2]string
}

// periodSource says when a row happened: the time itself, and whole-number China Standard
// Time days and months since 2000-01-01 (stored columns for wishes, expressions for the rest).
type periodSource struct{ ts, day, month string }

// periodOf is the period source of a timestamptz expression.
func periodOf(ts string) periodSource {
	local := `(` + ts + ` AT TIME ZONE 'Asia/Shanghai')`
	return periodSource{
		ts:    ts,
		day:   `(` + local + `::date - date '2000-01-01')`,
		month: `((extract(year FROM ` + local + `)::integer - 2000) * 12 + extract(month FROM ` + local + `)::integer - 1)`,
	}
}

// period returns the whole-number index of p that rows group by, and the start of the
// period it names (a function of the index alone, so computed once per group). Weeks
// start on Monday; 2000-01-03 was one.
func (w periodSource) period(p Period) (index, start string) {
	day := func(d string) string {
		return `((date '2000-01-01' + ` + d + `)::timestamp AT TIME ZONE 'Asia/Shanghai')`
	}
	month := func(year, month string) string {
		return `(make_date(2000 + ` + year + `, ` + month + ` + 1, 1)::timestamp AT TIME ZONE 'Asia/Shanghai')`
	}
	switch p {
	case PeriodDay:
		return w.day, day(w.day)
	case PeriodWeek:
		i := `((` + w.day + ` + 5) / 7)`
		return i, day(i + ` * 7 - 5`)
	case PeriodMonth:
		return w.month, month(w.month+` / 12`, w.month+` % 12`)
	case PeriodQuarter:
		i := `(` + w.month + ` / 3)`
		return i, month(i+` / 4`, `(`+i+` % 4) * 3`)
	default:
		i := `(` + w.month + ` / 12)`
		return i, month(i, `0`)
	}
}

// statsPlan is a grouping priced against the budget, with the time range its periods
// cover.
type statsPlan struct {
	by     StatsGrouping
	levels map[PlaceLevel]string
	lo, hi time.Time
}

// plan checks a grouping and prices it against the budget (places at the level ×
// categories × states × periods in the range) before anything heavy runs. first finds the
// earliest time there is data for, when the filter leaves the range open.
func (s *Store) plan(ctx context.Context, sc *statsScope, by StatsGrouping, levels map[PlaceLevel]string,
	first func() (time.Time, error), rng *TimeCond) (statsPlan, error) {
	p := statsPlan{by: by, levels: levels}
	groups := 1
	var names []string
	if by.PlaceLevel != nil {
		if levels[*by.PlaceLevel] == "" {
			return p, Invalid("groupBy", "这项统计最细按%s分组，不能按%s分组", finestLevel(levels).Name(), by.PlaceLevel.Name())
		}
		n, err := s.placesAt(ctx, sc, *by.PlaceLevel)
		if err != nil {
			return p, err
		}
		groups *= max(n, 1)
		names = append(names, by.PlaceLevel.Name())
	}
	if by.Category {
		groups *= len(wishCategories)
		names = append(names, "类别")
	}
	if by.State {
		groups *= len(wishStates)
		names = append(names, "状态")
	}
	if by.Period != nil {
		var from, to *time.Time
		if rng != nil {
			from, to = rng.bounds()
		}
		p.lo, p.hi = s.Now(), s.Now()
		if to != nil {
			p.hi = *to
		}
		if from != nil {
			p.lo = *from
		} else {
			t, err := first()
			if err != nil {
				return p, err
			}
			p.lo = t
		}
		groups *= by.Period.count(p.lo, p.hi)
		names = append(names, periodNames[*by.Period])
	}
	return p, s.budget(groups, names)
}

// grouping builds the plan's grouping over one source (alias its table, when its time).
// Rows come out with place_id and period (and category and state when grouped by them).
func (p statsPlan) grouping(q *statsQuery, alias string, when periodSource) groupingSQL {
	var dims, selects []string
	var halves [2]string
	whereArgs := len(q.args)
	if p.by.PlaceLevel != nil {
		col := alias + p.levels[*p.by.PlaceLevel]
		dims = append(dims, col)
		selects = append(selects, col+` AS place_id`)
		halves = [2]string{col + ` % 2 = 0`, col + ` % 2 <> 0`}
	} else {
		selects = append(selects, `NULL::bigint AS place_id`)
	}
	if p.by.Category {
		dims = append(dims, alias+"category")
		selects = append(selects, alias+"category AS category")
	}
	if p.by.State {
		dims = append(dims, alias+"state")
		selects = append(selects, alias+"state AS state")
	}
	if p.by.Period != nil {
		index, start := when.period(*p.by.Period)
		dims = append(dims, index)
		selects = append(selects, start+` AS period`)
		if mid := p.by.Period.Start(p.lo.Add(p.hi.Sub(p.lo) / 2)); mid.After(p.lo) && mid.Before(p.hi) {
			at := q.arg(mid)
			halves = [2]string{when.ts + ` < ` + at, when.ts + ` >= ` + at}
		}
	} else {
		selects = append(selects, `NULL::timestamptz AS period`)
	}
	list := strings.Join(dims, ", ")
	return groupingSQL{
		selects:    strings.Join(selects, ", "),
		groupBy:    ` GROUP BY ` + list + ` ORDER BY ` + list,
		dims:       dims,
		keySelects: strings.Join([]string{selects[0], selects[len(selects)-1]}, ", "),
		whereArgs:  whereArgs,
		halves:     halves,
	}
}

var periodNames = map[Period]string{PeriodDay: "日", PeriodWeek: "周", PeriodMonth: "月", PeriodQuarter: "季度", PeriodYear: "年"}

func (p Period) MarshalGQL(w io.Writer)    { marshalEnum(w, p) }
func (p *Period) UnmarshalGQL(v any) error { return unmarshalEnum(p, v, Periods, "StatsPeriod") }

// namesVisible reports whether v may see who is who in a group under place (nil: the whole
// scope): only staff and admins over all of it, never analysts.
func (sc *statsScope) namesVisible(v *Viewer, place *Place) bool {
	places := sc.grants
	if place != nil {
		places = []*Place{place}
	}
	for _, p := range places {
		if !v.Holds(p, RoleStaff, RoleAdmin) {
			return false
		}
	}
	return true
}

// keyed is a group of figures, which knows its key.
type keyed interface{ groupKey() groupKey }

// groupKey identifies a group, to match the rows of different statements, and orders
// groups as ORDER BY their dimensions would: place, category, state, period.
type groupKey struct {
	place, category, state, period int64
}

func (a groupKey) compare(b groupKey) int {
	return cmp.Or(cmp.Compare(a.place, b.place), cmp.Compare(a.category, b.category),
		cmp.Compare(a.state, b.state), cmp.Compare(a.period, b.period))
}

func newGroupKey(place *int64, category *WishCategory, state *WishState, period *time.Time) groupKey {
	k := groupKey{category: -1, state: -1}
	if place != nil {
		k.place = *place
	}
	if category != nil {
		k.category = int64(slices.Index(wishCategories, *category))
	}
	if state != nil {
		k.state = int64(slices.Index(wishStates, *state))
	}
	if period != nil {
		k.period = period.UnixMicro()
	}
	return k
}

func (g *WishStatsGroup) groupKey() groupKey {
	return newGroupKey(g.PlaceID, g.Category, g.State, g.PeriodStart)
}
func (g *VolunteerStatsGroup) groupKey() groupKey {
	return newGroupKey(g.PlaceID, nil, nil, g.PeriodStart)
}
func (r *statsRow) groupKey() groupKey { return newGroupKey(r.PlaceID, nil, nil, r.PeriodStart) }
