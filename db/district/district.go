package district

import (
	"linli/db"
	"linli/db/demo"

	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Config sizes a generated district.
type Config struct {
	Seed                                 int64
	Subdistricts, Communities, Residents int
	Wishes, Votes, Ballots               int
	Years                                int // wishes are spread over this many years up to Now
	Now                                  time.Time
	// BallotKey is the server's ballot key (LINLI_BALLOT_KEY), under which the open secret
	// votes' sums and choices are sealed; the server that serves the district needs the same.
	BallotKey []byte
}

// Scale is the size the service is benchmarked at.
func Scale(seed int64, now time.Time) Config {
	return Config{Seed: seed, Subdistricts: 10, Communities: 100, Residents: 300_000,
		Wishes: 1_000_000, Votes: 5_000, Ballots: 500_000, Years: 2, Now: now}
}

// Generate fills d, which must be migrated and hold no places yet (else return an error saying so), and reports progress through logf.
//
// Everything is drawn in Go from pseudo-random generators seeded with (cfg.Seed, purpose,
// row), so the same config gives the same rows with the same ids and values; the rows are
// streamed with COPY in one transaction, with ids given explicitly (counted on from the
// highest id already in each table). The one value that differs between runs is the shared
// password hash of the generated accounts (password demo.Password), whose salt is random.
func Generate(ctx context.Context, d *sqlx.DB, cfg Config, logf func(msg string, args ...any)) error {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	started := time.Now()
	hash, err := db.HashPassword(demo.Password, db.DefaultPasswordParams)
	if err != nil {
		return err
	}
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range []string{`SET LOCAL synchronous_commit = off`, `SET LOCAL work_mem = '256MB'`,
		`SET LOCAL maintenance_work_mem = '512MB'`, `SET LOCAL gin_pending_list_limit = '64MB'`,
		// Generated history tells nobody: no notifications (migration 0017).
		`SET LOCAL linli.quiet = 'on'`} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("generate: %s: %w", s, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `LOCK TABLE places IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return err
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM places)`); err != nil {
		return err
	}
	if exists {
		return errors.New("generate: the database already holds places; Generate fills only an empty database")
	}
	g := &generator{cfg: cfg, ctx: ctx, tx: tx, logf: logf, hash: hash, base: map[string]int64{}, next: map[string]int64{},
		t0: started}
	if len(cfg.BallotKey) > 0 {
		if g.sealer, err = db.NewBallotSealer(cfg.BallotKey); err != nil {
			return err
		}
	}
	g.now = cfg.Now.UTC().Truncate(time.Second)
	g.start = g.now.AddDate(-cfg.Years, 0, 0)
	for _, t := range genIdentityTables {
		var max int64
		if err := tx.GetContext(ctx, &max, `SELECT coalesce(max(id), 0) FROM `+t); err != nil {
			return err
		}
		g.base[t], g.next[t] = max, max
	}
	steps := []struct {
		name string
		f    func() error
	}{
		{"places", g.places}, {"people", g.people}, {"accounts", g.writeAccounts}, {"residents", g.writeResidents}, {"owners", g.writeOwners},
		{"role grants", g.writeGrants}, {"wishes", g.wishes}, {"deliberation", g.deliberation}, {"sequences", g.sequences},
	}
	for _, s := range steps {
		if err := s.f(); err != nil {
			return fmt.Errorf("generate %s: %w", s.name, err)
		}
		g.log("%s done", s.name)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	g.log("committed")
	// Rows of wish_stats come out of the trigger in wish order; in a live service they
	// are added as wishes are made, in time order, which is what range scans by time rely
	// on. Put them in that order, as a service's own history would have.
	if _, err := d.ExecContext(ctx, `CLUSTER wish_stats USING wish_stats_created`); err != nil {
		return err
	}
	// VACUUM as well: the visibility map lets figures read the indexes alone, and the
	// planner sees the tables as a live service's would be.
	if _, err := d.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
		return err
	}
	g.log("vacuumed and analyzed; district generated")
	for _, k := range KnownAccounts {
		g.log("sign in as %s / %s: %s (%s of %s)", k.Phone, demo.Password, k.Name, k.Role, k.Where)
	}
	return nil
}

func (c Config) validate() error {
	switch {
	case c.Subdistricts < 1 || c.Communities < c.Subdistricts:
		return errors.New("generate: need at least one subdistrict and a community for each")
	case c.Residents < 40*c.Communities:
		return errors.New("generate: need at least 40 residents a community")
	case c.Wishes < 0 || c.Votes < 0 || c.Ballots < 0:
		return errors.New("generate: negative count")
	case c.Years < 1:
		return errors.New("generate: Years must be at least 1")
	case c.Now.IsZero():
		return errors.New("generate: Now is not set")
	case c.Votes > 0 && len(c.BallotKey) < 32:
		return errors.New("generate: BallotKey (at least 32 bytes) is needed to seal the open secret votes")
	}
	return nil
}

// genIdentityTables are the tables whose ids Generate assigns.
var genIdentityTables = []string{"places", "accounts", "residents", "role_grants", "wishes", "wish_claims", "wish_events",
	"volunteer_ledger", "topics", "topic_comments", "topic_events", "meetings", "meeting_events", "votes", "resolutions",
	"resolution_objections", "resolution_tasks", "task_reports", "task_supervision"}

// Random-number purposes: each part of the district draws from its own stream.
const (
	rPlaces uint64 = iota + 1
	rPeople
	rRoles
	rWish
	rDelib
	rVote
)

type generator struct {
	cfg        Config
	sealer     *db.BallotSealer
	ctx        context.Context
	tx         *sqlx.Tx
	logf       func(string, ...any)
	hash       string
	t0         time.Time
	now, start time.Time
	base, next map[string]int64

	subs       []string
	comms      []*gComm
	compounds  []*gCompound
	grids      []*gGrid
	buildings  []*gBuilding
	households []*gHousehold
	residents  []*gResident
	accounts   []gAccount
	grants     []gGrant
	phoneSeq   int64
	admin      int64
	wishComm   []uint16 // community of each wish, by row
	sizes      []int    // people of each household
}

type gComm struct {
	idx, sub         int
	id               int64
	name, prefix     string
	grids, compounds []int
	resFrom, resTo   int
	staff            []int64
	servants         []gServant
	council, supers  []int   // residents
	accountHolders   []int64 // verified residents' accounts
	outsideVols      int
}

type gServant struct {
	account   int64
	household int // -1: lives elsewhere
}

type gCompound struct {
	id   int64
	comm int
	name string
}

type gGrid struct {
	id       int64
	comm     int
	compound int // -1: directly in the community
	name     string
	worker   int64
}

type gBuilding struct {
	id   int64
	grid int
	name string
}

type gHousehold struct {
	id         int64
	building   int
	grid       int
	comm       int
	unit, room string
	area       int64
	firstOwner int // resident index, -1 for none
	resFrom    int // its residents are resFrom, resFrom+1, …
	people     int
}

type gResident struct {
	household int
	name      string
	birth     time.Time
	female    bool
	owner     bool
	phone     string
	tags      []string
	account   int64
	created   time.Time
	verified  bool
	roles     []gRole
	wants     bool // gets an account
}

type gRole struct {
	role  db.Role
	place int64
}

func (r *gResident) age(at time.Time) int {
	a := at.Year() - r.birth.Year()
	if at.YearDay() < r.birth.YearDay() {
		a--
	}
	return a
}

type gAccount struct {
	id      int64
	phone   string
	name    string
	created time.Time
}

type gGrant struct {
	account int64
	role    db.Role
	place   int64
	at      time.Time
}

func (g *generator) log(format string, args ...any) {
	g.logf("generate: "+format+" (%.1fs)", append(args, time.Since(g.t0).Seconds())...)
}

// rng is a generator for one purpose and index, fixed by the seed.
func (g *generator) rng(purpose, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.cfg.Seed)*0x9E3779B97F4A7C15+purpose, index))
}

// id hands out the next id of table.
func (g *generator) id(table string) int64 {
	g.next[table]++
	return g.next[table]
}

func (g *generator) sequences() error {
	for _, t := range genIdentityTables {
		if g.next[t] == 0 {
			continue
		}
		if _, err := g.tx.ExecContext(g.ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), $2)`, t, g.next[t]); err != nil {
			return fmt.Errorf("%s: %w", t, err)
		}
	}
	return nil
}

// copyStmt is the COPY … FROM STDIN statement for table and cols, names quoted; the names
// are the generator's own constants, never input.
func copyStmt(table string, cols ...string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	return "COPY " + pq.QuoteIdentifier(table) + " (" + strings.Join(quoted, ", ") + ") FROM STDIN"
}

// copyRows streams n rows into table with COPY; row returns the values of row i.
func (g *generator) copyRows(table string, cols []string, n int, row func(i int) []any) error {
	st, err := g.tx.PrepareContext(g.ctx, copyStmt(table, cols...))
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	defer st.Close()
	for i := range n {
		if _, err := st.ExecContext(g.ctx, row(i)...); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	if _, err := st.ExecContext(g.ctx); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return st.Close()
}

// copyAll streams rows (each the values of one row) into table.
func (g *generator) copyAll(table string, cols []string, rows [][]any) error {
	return g.copyRows(table, cols, len(rows), func(i int) []any { return rows[i] })
}

// minutes is a random duration of lo to hi minutes.
func minutes(r *rand.Rand, lo, hi int) time.Duration {
	return time.Duration(demo.Between(r, lo, hi)) * time.Minute
}

// skewed is a duration from lo to hi minutes, short ones far more likely.
func skewed(r *rand.Rand, lo, hi int) time.Duration {
	f := r.Float64()
	return time.Duration(lo+int(f*f*f*float64(hi-lo))) * time.Minute
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// ------------------------------------------------------------------ names

var (
	genSubdistricts = []string{"幸福", "和平", "光明", "新华", "东风", "胜利", "建设", "人民", "友谊", "前进", "朝阳", "长安",
		"解放", "红旗", "永安", "文化", "兴隆", "安宁"}
	genCommunities = []string{"和平", "光明", "团结", "幸福", "长青", "春晖", "阳光", "康乐", "金桥", "翠竹", "桃源", "锦绣",
		"福安", "民主", "朝阳", "东湖", "西苑", "南园", "北岭", "青年", "新风", "丰收", "向阳", "振兴", "文昌", "百花", "育才",
		"紫荆", "银杏", "枫林", "玉泉", "清河", "龙潭", "凤凰", "白云", "绿洲", "怡和", "安居", "广厦", "书香", "滨江", "湖滨",
		"花园", "新桥", "双井", "三里", "五福", "六合", "七星", "九龙"}
	genCompoundSuffixes = []string{"花园小区", "家园小区", "新村小区", "雅苑小区", "名苑小区", "嘉园小区"}
	genNumerals         = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	genPhonePrefixes    = strings.Fields(`130 131 132 133 135 136 137 139 150 151 152 153 155 156 157 158
	159 166 176 177 180 181 182 183 185 186 187 188 189 191 198 199`)
	genLocations = []string{"社区居委会二楼会议室", "社区党群服务中心多功能厅", "社区活动室", "社区文化广场", "小区物业会议室"}
)

// chineseNumber writes 1–99 in Chinese numerals.
func chineseNumber(n int) string {
	switch {
	case n <= 10:
		return genNumerals[n]
	case n < 20:
		return "十" + genNumerals[n-10]
	case n%10 == 0:
		return genNumerals[n/10] + "十"
	case n < 100:
		return genNumerals[n/10] + "十" + genNumerals[n%10]
	}
	return strconv.Itoa(n)
}

// nth is the i-th name of a list, with a round number after the first round.
func nth(list []string, i int) string {
	if i < len(list) {
		return list[i]
	}
	return list[i%len(list)] + chineseNumber(i/len(list)+1)
}

func (g *generator) personName(r *rand.Rand, female bool, born int, family string) string {
	if family == "" {
		family = demo.Surname(r)
	}
	return family + demo.GivenName(r, female, born)
}

// phone is a new mobile number: the sequence maps one to one onto eight digits.
func (g *generator) phone() string {
	g.phoneSeq++
	digits := (g.phoneSeq*48271 + 13572468) % 100_000_000
	return fmt.Sprintf("%s%08d", genPhonePrefixes[int(g.phoneSeq*7)%len(genPhonePrefixes)], digits)
}

// ------------------------------------------------------------------ places

func (g *generator) places() error {
	cfg := g.cfg
	r := g.rng(rPlaces, 0)
	for i := range cfg.Subdistricts {
		g.subs = append(g.subs, nth(genSubdistricts, i)+"街道")
	}
	// Household sizes first, so that the residents fit exactly: about 2.5 a household.
	var sizes []int
	for total := 0; total < cfg.Residents; {
		var s int
		switch x := r.IntN(100); {
		case x < 24:
			s = 1
		case x < 55:
			s = 2
		case x < 79:
			s = 3
		case x < 92:
			s = 4
		default:
			s = 5
		}
		s = min(s, cfg.Residents-total)
		sizes = append(sizes, s)
		total += s
	}
	nh := len(sizes)
	for c := range cfg.Communities {
		cm := &gComm{idx: c, sub: c % cfg.Subdistricts, prefix: nth(genCommunities, c)}
		cm.name = cm.prefix + "社区"
		g.comms = append(g.comms, cm)
		hc := (c+1)*nh/cfg.Communities - c*nh/cfg.Communities
		nGrids := max(2, (hc+150)/300)
		nCompounds := 0
		if demo.Chance(r, 0.8) {
			nCompounds = 1
			if nGrids >= 4 && demo.Chance(r, 0.5) {
				nCompounds = 2
			}
		}
		inCompound := make([]int, nGrids) // compound of each grid, -1 for none
		for i := range inCompound {
			inCompound[i] = -1
		}
		for k := range nCompounds {
			cm.compounds = append(cm.compounds, len(g.compounds))
			name := cm.prefix + genCompoundSuffixes[(c+k)%len(genCompoundSuffixes)]
			g.compounds = append(g.compounds, &gCompound{comm: c, name: name})
			// Each compound holds a run of grids; the rest lie directly in the community.
			per := max(1, nGrids/(nCompounds+1))
			for i := k * per; i < (k+1)*per && i < nGrids; i++ {
				inCompound[i] = cm.compounds[k]
			}
		}
		building := 0
		for gi := range nGrids {
			grid := &gGrid{comm: c, compound: inCompound[gi], name: "第" + chineseNumber(gi+1) + "网格"}
			cm.grids = append(cm.grids, len(g.grids))
			g.grids = append(g.grids, grid)
			want := (gi+1)*hc/nGrids - gi*hc/nGrids
			// Compounds are newer estates; grids outside are older walk-ups or work-unit housing.
			era := 2
			if grid.compound < 0 {
				era = r.IntN(2)
			}
			for want > 0 {
				building++
				if building%10 == 4 {
					building++
				}
				var units, floors, lo, hi int
				switch era {
				case 0: // 1980s walk-ups, no units
					units, floors, lo, hi = 0, demo.Between(r, 4, 6), 4000, 7500
				case 1: // 1990s work-unit housing
					units, floors, lo, hi = 2, demo.Between(r, 6, 7), 6000, 12000
				default:
					units, floors, lo, hi = demo.Between(r, 2, 3), []int{6, 11, 18}[r.IntN(3)], 7500, 18000
				}
				b := &gBuilding{grid: len(g.grids) - 1, name: strconv.Itoa(building) + "号楼"}
				g.buildings = append(g.buildings, b)
				capacity := max(units, 1) * floors * 2
				take := min(want, max(1, capacity*demo.Between(r, 70, 95)/100))
				want -= take
				area := [2]int64{int64(demo.Between(r, lo, hi)), int64(demo.Between(r, lo, hi))}
				// take flats of capacity, in order (selection sampling).
				left := take
				for f := 0; f < capacity && left > 0; f++ {
					if r.IntN(capacity-f) >= left {
						continue
					}
					left--
					u, k := f/(floors*2), f%(floors*2)
					unit := ""
					if units > 0 {
						unit = strconv.Itoa(u+1) + "单元"
					}
					room := strconv.Itoa((k/2+1)*100 + k%2 + 1)
					g.households = append(g.households, &gHousehold{building: len(g.buildings) - 1, grid: len(g.grids) - 1,
						comm: c, unit: unit, room: room, area: area[k%2], firstOwner: -1})
				}
			}
		}
	}
	// Ids, level by level, in the order the rows go in.
	for range g.subs {
		g.id("places") // subdistrict i is base+i+1
	}
	for _, cm := range g.comms {
		cm.id = g.id("places")
	}
	for _, x := range g.compounds {
		x.id = g.id("places")
	}
	for _, x := range g.grids {
		x.id = g.id("places")
	}
	for _, x := range g.buildings {
		x.id = g.id("places")
	}
	for _, x := range g.households {
		x.id = g.id("places")
	}
	created := g.start.AddDate(-6, 0, 0)
	cols := []string{"id", "level", "parent_id", "name", "unit", "room", "floor_area_dm2", "created_at"}
	b := g.base["places"]
	if err := g.copyRows("places", cols, len(g.subs), func(i int) []any {
		return []any{b + int64(i) + 1, "subdistrict", nil, g.subs[i], nil, nil, nil, created}
	}); err != nil {
		return err
	}
	if err := g.copyRows("places", cols, len(g.comms), func(i int) []any {
		c := g.comms[i]
		return []any{c.id, "community", b + int64(c.sub) + 1, c.name, nil, nil, nil, created}
	}); err != nil {
		return err
	}
	if err := g.copyRows("places", cols, len(g.compounds), func(i int) []any {
		c := g.compounds[i]
		return []any{c.id, "compound", g.comms[c.comm].id, c.name, nil, nil, nil, created}
	}); err != nil {
		return err
	}
	if err := g.copyRows("places", cols, len(g.grids), func(i int) []any {
		x := g.grids[i]
		parent := g.comms[x.comm].id
		if x.compound >= 0 {
			parent = g.compounds[x.compound].id
		}
		return []any{x.id, "grid", parent, x.name, nil, nil, nil, created}
	}); err != nil {
		return err
	}
	if err := g.copyRows("places", cols, len(g.buildings), func(i int) []any {
		x := g.buildings[i]
		return []any{x.id, "building", g.grids[x.grid].id, x.name, nil, nil, nil, created}
	}); err != nil {
		return err
	}
	if err := g.copyRows("places", cols, len(g.households), func(i int) []any {
		x := g.households[i]
		return []any{x.id, "household", g.buildings[x.building].id, x.unit + x.room, nullStr(x.unit), x.room, x.area, created}
	}); err != nil {
		return err
	}
	g.sizes = sizes
	g.log("%d subdistricts, %d communities, %d compounds, %d grids, %d buildings, %d households", len(g.subs), len(g.comms),
		len(g.compounds), len(g.grids), len(g.buildings), len(g.households))
	return nil
}

// ------------------------------------------------------------------ people

type pspec struct {
	age    int
	female bool
	family bool // carries the household's family name
	tags   []string
}

// householdSpecs draws who lives in a household of size people: an ageing neighbourhood.
func householdSpecs(r *rand.Rand, size int) []pspec {
	couple := func(lo, hi int) (pspec, pspec) {
		h := pspec{age: demo.Between(r, lo, hi), family: true}
		return h, pspec{age: max(lo-2, h.age-demo.Between(r, 0, 4)), female: true}
	}
	child := func(parent pspec, lo int) pspec {
		return pspec{age: demo.Between(r, lo, max(lo, min(17, parent.age-23))), female: demo.Chance(r, 0.5), family: true}
	}
	switch size {
	case 1:
		if demo.Chance(r, 0.6) {
			p := pspec{age: demo.Between(r, 66, 92), female: demo.Chance(r, 0.65), family: true}
			if demo.Chance(r, 0.8) {
				p.tags = append(p.tags, "elderly_alone")
			}
			return []pspec{p}
		}
		return []pspec{{age: demo.Between(r, 22, 58), female: demo.Chance(r, 0.5), family: true}}
	case 2:
		if demo.Chance(r, 0.55) {
			h, w := couple(60, 88)
			return []pspec{h, w}
		}
		h, w := couple(25, 55)
		return []pspec{h, w}
	case 3:
		switch x := r.IntN(100); {
		case x < 70:
			h, w := couple(30, 50)
			return []pspec{h, w, child(w, 0)}
		case x < 82:
			h, w := couple(58, 75)
			c := pspec{age: demo.Between(r, 6, 14), female: demo.Chance(r, 0.5), family: true, tags: []string{"left_behind_child"}}
			return []pspec{h, w, c}
		default:
			h, w := couple(62, 84)
			return []pspec{h, w, {age: demo.Between(r, 30, 50), female: demo.Chance(r, 0.5), family: true}}
		}
	case 4:
		h, w := couple(32, 48)
		if demo.Chance(r, 0.5) {
			return []pspec{h, w, child(w, 0), child(w, 0)}
		}
		return []pspec{h, w, child(w, 0), {age: min(92, h.age+demo.Between(r, 24, 32)), female: true}}
	default:
		h, w := couple(32, 45)
		gp := pspec{age: min(92, h.age+demo.Between(r, 25, 32)), family: true}
		return []pspec{h, w, child(w, 0), {age: max(58, gp.age-demo.Between(r, 0, 4)), female: true}, gp}
	}
}

func (g *generator) people() error {
	r := g.rng(rPeople, 0)
	today := g.now.In(db.China)
	ri := 0
	for hi, h := range g.households {
		cm := g.comms[h.comm]
		if hi == 0 || g.households[hi-1].comm != h.comm {
			cm.resFrom = ri
		}
		h.resFrom, h.people = ri, g.sizes[hi]
		specs := householdSpecs(r, g.sizes[hi])
		family := demo.Surname(r)
		poor := demo.Chance(r, 0.05)
		owned := demo.Chance(r, 0.9) // else they rent
		for k, s := range specs {
			born := today.Year() - s.age
			sn := ""
			if s.family {
				sn = family
			}
			p := &gResident{household: hi, female: s.female, tags: slices.Clone(s.tags),
				name:  g.personName(r, s.female, born, sn),
				birth: time.Date(born, today.Month(), today.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -r.IntN(365))}
			if poor {
				p.tags = append(p.tags, "minimum_income")
			}
			if demo.Chance(r, 0.02+0.03*float64(min(1, s.age/60))) {
				p.tags = append(p.tags, "disabled")
			}
			if !s.female && s.age >= 60 && demo.Chance(r, 0.12) {
				p.tags = append(p.tags, "veteran")
			}
			if slices.Contains(p.tags, "elderly_alone") && s.age >= 85 && demo.Chance(r, 0.5) ||
				slices.Contains(p.tags, "disabled") && demo.Chance(r, 0.3) {
				p.tags = append(p.tags, "special_care")
			}
			// Owners: the couple heading the household, or one of them; a few households rent.
			if owned && s.age >= 22 && (k == 0 || k == 1 && demo.Chance(r, 0.55) || k >= 3 && demo.Chance(r, 0.3)) {
				p.owner = true
				if h.firstOwner < 0 {
					h.firstOwner = ri
				}
			}
			if demo.Chance(r, demo.PhoneShare(s.age)) {
				p.phone = g.phone()
			}
			p.created = g.start.Add(-time.Duration(demo.Between(r, 30*24, 1800*24)) * time.Hour).Add(minutes(r, 0, 59))
			p.verified = true
			if p.phone != "" && s.age >= 18 && demo.Chance(r, 0.02) {
				// Registered lately and waiting to be verified: new tenants, mostly.
				p.verified, p.wants = false, true
				p.created = g.now.Add(-minutes(r, 60, 60*24*60))
			}
			g.residents = append(g.residents, p)
			ri++
		}
		cm.resTo = ri
	}
	g.log("%d residents", len(g.residents))
	return g.roles()
}

// roles picks the account holders and what they serve as.
func (g *generator) roles() error {
	r := g.rng(rRoles, 0)
	now := g.now
	eligible := func(p *gResident, lo, hi int) bool {
		a := p.age(now)
		return p.verified && p.phone != "" && a >= lo && a <= hi
	}
	for _, cm := range g.comms {
		vols := 0
		for i := cm.resFrom; i < cm.resTo; i++ {
			p := g.residents[i]
			if !eligible(p, 18, 100) {
				continue
			}
			a := p.age(now)
			if demo.Chance(r, 0.12) {
				p.wants = true
			}
			vp := 0.03
			if a >= 60 {
				vp = 0.05
			}
			if a <= 72 && demo.Chance(r, vp) {
				p.roles = append(p.roles, gRole{db.RoleVolunteer, cm.id})
				vols++
			}
			if a >= 22 && demo.Chance(r, 0.025) {
				p.roles = append(p.roles, gRole{db.RolePartyMember, cm.id})
				// Party members commonly serve as volunteers too (党员志愿者).
				if len(p.roles) == 1 && demo.Chance(r, 0.5) {
					p.roles = append(p.roles, gRole{db.RoleVolunteer, cm.id})
				}
			}
		}
		pick := func(n int, role db.Role, into *[]int) {
			for tries := 0; len(*into) < n && tries < 5000; tries++ {
				i := cm.resFrom + r.IntN(cm.resTo-cm.resFrom)
				p := g.residents[i]
				if !eligible(p, 35, 75) || slices.Contains(cm.council, i) || slices.Contains(cm.supers, i) {
					continue
				}
				p.roles = append(p.roles, gRole{role, cm.id})
				*into = append(*into, i)
			}
		}
		pick(demo.Between(r, 7, 11), db.RoleCouncilMember, &cm.council)
		pick(3, db.RoleSupervisor, &cm.supers)
		cm.outsideVols = max(3, vols/5)
	}
	g.buildingLeaders(r)
	for _, p := range g.residents {
		if len(p.roles) > 0 {
			p.wants = true
		}
	}

	// Accounts: people who live elsewhere first, then residents in order.
	outside := func(created time.Time) int64 {
		id := g.id("accounts")
		female := demo.Chance(r, 0.5)
		born := now.Year() - demo.Between(r, 25, 55)
		g.accounts = append(g.accounts, gAccount{id: id, phone: g.phone(), name: g.personName(r, female, born, ""), created: created})
		return id
	}
	early := func() time.Time { return g.start.Add(-time.Duration(demo.Between(r, 400*24, 1000*24)) * time.Hour) }
	grant := func(account int64, role db.Role, place int64, at time.Time) {
		g.grants = append(g.grants, gGrant{account, role, place, at})
	}
	subID := func(i int) int64 { return g.base["places"] + int64(i) + 1 }
	g.admin = outside(early())
	grant(g.admin, db.RoleAdmin, subID(0), g.accounts[0].created.Add(time.Hour))
	for i := range g.subs {
		a := outside(early())
		grant(a, db.RoleAnalyst, subID(i), g.start.AddDate(0, 0, -demo.Between(r, 30, 300)))
	}
	for _, cm := range g.comms {
		for range 5 {
			a := outside(early())
			cm.staff = append(cm.staff, a)
			grant(a, db.RoleStaff, cm.id, g.start.AddDate(0, 0, -demo.Between(r, 30, 300)))
		}
		for _, gi := range cm.grids {
			a := outside(early())
			g.grids[gi].worker = a
			grant(a, db.RoleGridWorker, g.grids[gi].id, g.start.AddDate(0, 0, -demo.Between(r, 30, 300)))
		}
		for range cm.outsideVols {
			a := outside(early())
			cm.servants = append(cm.servants, gServant{account: a, household: -1})
			grant(a, db.RoleVolunteer, cm.id, g.start.AddDate(0, 0, -demo.Between(r, 1, 300)))
		}
	}
	for _, p := range g.residents {
		if !p.wants {
			continue
		}
		created := p.created.Add(time.Duration(demo.Between(r, 1, 480)) * time.Hour)
		if !p.verified {
			created = p.created
		}
		p.account = g.id("accounts")
		g.accounts = append(g.accounts, gAccount{id: p.account, phone: p.phone, name: p.name, created: created})
		h := g.households[p.household]
		cm := g.comms[h.comm]
		if p.verified {
			cm.accountHolders = append(cm.accountHolders, p.account)
		}
		serving := false
		for _, ro := range p.roles {
			at := created.Add(time.Duration(demo.Between(r, 1, 240)) * time.Hour)
			if limit := g.start.Add(-time.Hour); at.After(limit) && created.Before(limit) {
				at = limit
			}
			grant(p.account, ro.role, ro.place, at)
			serving = serving || ro.role == db.RoleVolunteer || ro.role == db.RolePartyMember
		}
		if serving {
			cm.servants = append(cm.servants, gServant{account: p.account, household: p.household})
		}
	}
	// The known accounts come last and draw nothing from r, so the rest of the district is
	// the same with or without them.
	for _, k := range KnownAccounts {
		id := g.id("accounts")
		g.accounts = append(g.accounts, gAccount{id: id, phone: k.Phone, name: k.Name, created: g.start.AddDate(-1, 0, 0)})
		places := []int64{g.comms[0].id}
		if k.Role == db.RoleAnalyst {
			places = places[:0]
			for i := range g.subs {
				places = append(places, subID(i))
			}
		}
		for _, p := range places {
			grant(id, k.Role, p, g.start.AddDate(0, 0, -30))
		}
	}
	g.log("%d accounts, %d role grants", len(g.accounts), len(g.grants))
	return nil
}

// KnownAccount is an account every generated district has, with a fixed phone and the demo
// password (demo.Password), so that one can sign in to a district without looking anything
// up: the analyst over every subdistrict, and a volunteer and a staff member of the first
// community.
type KnownAccount struct {
	Phone, Name string
	Role        db.Role
	Where       string // where the role is held, for the log line
}

// KnownAccounts are the known accounts, in the order they are made. Their phones start
// with 199000000, which the generator's phone sequence reaches only after some 36 million
// numbers.
var KnownAccounts = []KnownAccount{
	{"19900000001", "区数据分析员", db.RoleAnalyst, "every subdistrict"},
	{"19900000002", "社区志愿者", db.RoleVolunteer, "the first community"},
	{"19900000003", "社区工作者", db.RoleStaff, "the first community"},
}

// buildingLeaders makes a resident of about half the buildings its building leader (楼栋长).
func (g *generator) buildingLeaders(r *rand.Rand) {
	hi := 0
	for bi, b := range g.buildings {
		from := hi
		for hi < len(g.households) && g.households[hi].building == bi {
			hi++
		}
		if !demo.Chance(r, 0.5) || hi == from {
			continue
		}
		h0, h1 := g.households[from], g.households[hi-1]
		lo, up := h0.resFrom, h1.resFrom+h1.people
		for tries := 0; tries < 30 && up > lo; tries++ {
			p := g.residents[lo+r.IntN(up-lo)]
			if a := p.age(g.now); p.verified && p.phone != "" && a >= 40 && a <= 75 {
				p.roles = append(p.roles, gRole{db.RoleBuildingLeader, b.id})
				break
			}
		}
	}
}

func (g *generator) writeAccounts() error {
	return g.copyRows("accounts", []string{"id", "phone", "name", "password_hash", "created_at"}, len(g.accounts),
		func(i int) []any {
			a := g.accounts[i]
			return []any{a.id, a.phone, a.name, g.hash, a.created}
		})
}

func (g *generator) writeResidents() error {
	b := g.base["residents"]
	g.next["residents"] = b + int64(len(g.residents))
	return g.copyRows("residents", []string{"id", "household_id", "name", "phone", "birth_date", "tags",
		"account_id", "verified_at", "created_at"}, len(g.residents), func(i int) []any {
		p := g.residents[i]
		var verified any
		if p.verified {
			verified = p.created.Add(time.Duration(1+i%97) * time.Hour)
		}
		tags := p.tags
		if tags == nil {
			tags = []string{}
		}
		return []any{b + int64(i) + 1, g.households[p.household].id, p.name, nullStr(p.phone), p.birth.Format(time.DateOnly),
			pq.StringArray(tags), nullID(p.account), verified, p.created}
	})
}

// writeOwners records each owner's ownership of the flat they live in, from the day they
// were entered: co-owners are several rows of one household.
func (g *generator) writeOwners() error {
	var owners []int
	for i, p := range g.residents {
		if p.owner {
			owners = append(owners, i)
		}
	}
	return g.copyRows("household_owners", []string{"household_id", "resident_id", "since"}, len(owners), func(i int) []any {
		p := g.residents[owners[i]]
		return []any{g.households[p.household].id, g.resID(owners[i]), db.ChinaDay(p.created).Format(time.DateOnly)}
	})
}

func (g *generator) resID(i int) int64 { return g.base["residents"] + int64(i) + 1 }

// resOrNil is resident i's id, or NULL for -1.
func (g *generator) resOrNil(i int) any {
	if i < 0 {
		return nil
	}
	return g.resID(i)
}

func (g *generator) writeGrants() error {
	return g.copyRows("role_grants", []string{"id", "account_id", "role", "place_id", "granted_by", "granted_at"}, len(g.grants),
		func(i int) []any {
			x := g.grants[i]
			return []any{g.id("role_grants"), x.account, string(x.role), x.place, g.admin, x.at}
		})
}

// ------------------------------------------------------------------ wishes

var genCategories = []struct {
	name    string
	share   int // of 100
	minutes [2]int
	value   [2]int // fen; 0: none
	wishes  [][2]string
	notes   []string
}{
	{"goods", 25, [2]int{30, 90}, [2]int{3000, 50000}, [][2]string{
		{"想要一台轻便折叠轮椅", "老人腿脚不便，出门看病只能靠邻居背，想要一台轻便、能折叠的轮椅，方便推着下楼晒太阳、去医院复查。"},
		{"冬天到了想要一床厚棉被", "家里的被子太薄，旧棉被已经结块了，天气转冷，想要一床厚一点的棉被。"},
		{"孩子缺学习用品", "孩子上小学，书包背带断了，文具也不全，想要一个书包和一套文具（铅笔、橡皮、尺子、练习本）。"},
		{"想要一个带座椅的助行器", "老人去年摔了一跤，下楼买菜很吃力，想要一个带座椅的四轮助行器，走累了可以坐下歇一歇。"},
		{"想要一台电饭煲", "家里的电饭煲坏了，老人一个人做饭不方便，想要一台小一点、操作简单的电饭煲。"},
		{"想要一副老花镜", "眼睛越来越花，看药盒上的字都很费劲，想要一副合适度数的老花镜。"},
	}, []string{"已把物品送到家中，当面教会老人使用。", "物品已送达，家属签收。", "已采购并送货上门，老人很满意。"}},
	{"repair", 22, [2]int{30, 150}, [2]int{0, 0}, [][2]string{
		{"厨房水龙头漏水", "厨房水龙头关不严，一直滴水，晚上滴答声吵得睡不着。新龙头已经买好了，需要有人帮忙换上。"},
		{"卫生间的灯不亮了", "卫生间顶灯不亮，换了灯泡也不行，可能是开关坏了，家里老人爬不了梯子，想请懂电的志愿者帮忙看看。"},
		{"卧室窗户关不严漏风", "卧室窗户的合页松了，关不严，冬天冷风直往里灌，想请志愿者帮忙紧一紧合页、贴上密封条。"},
		{"暖气片不热想请人放气", "供暖以后卧室的暖气片上半截是凉的，听说要放气，老人自己不会弄，也怕弄得一地水。"},
		{"门锁不好用了", "防盗门锁芯老化，钥匙经常拧不动，想请人帮忙换个锁芯。"},
		{"马桶水箱一直流水", "马桶水箱进水阀坏了，水一直流，想请会修的志愿者帮忙换个配件。"},
	}, []string{"已上门维修，试用正常。", "更换了配件，问题已解决，顺便检查了家里的水电。", "修好了，留了电话，有问题随时联系。"}},
	{"companionship", 15, [2]int{60, 180}, [2]int{0, 0}, [][2]string{
		{"独居老人想有人陪着聊聊天", "老人八十多岁了，子女都在外地，平时一个人在家，希望有志愿者上门陪老人聊聊天、读读报。"},
		{"想请人陪老人下下象棋", "老人退休前爱下象棋，现在老伙伴们搬的搬、走的走，一个人在家闷得慌，想请会下象棋的志愿者来陪两盘。"},
		{"想请人陪老人散散步", "老人做完手术在恢复，医生让多走动，但一个人不敢出门，想请志愿者陪着在小区里走走。"},
		{"周末想有人陪老人包饺子", "老伴走后老人一个人过节，想请志愿者周末来家里陪老人包顿饺子、说说话。"},
	}, []string{"陪老人聊了两个小时，老人很开心。", "陪同散步并聊天，约好下周再来。", "一起下棋、读报，老人精神不错。"}},
	{"escort", 14, [2]int{90, 300}, [2]int{0, 0}, [][2]string{
		{"需要人陪同去医院复查", "老人上个月做了白内障手术，要去医院眼科复查，一个人看不清路，也不会在机器上挂号，想请一位志愿者陪同往返。"},
		{"需要人陪同去抽血", "要空腹抽血查血糖，早上七点半前要到社区卫生服务中心，老伴腿脚不好不能陪，想请一位志愿者陪着去。"},
		{"需要人陪同去银行办业务", "存折到期了，要去银行柜台办理，路有点远，想请人陪着去一趟。"},
		{"想请人陪同去办老年卡", "要去街道政务服务中心办老年卡，不认识路，也怕材料带不全，想请志愿者陪同。"},
	}, []string{"已陪同往返，检查顺利。", "全程陪同办理完毕，已送老人回家。", "陪同就医，帮忙取药并讲清用法。"}},
	{"tutoring", 8, [2]int{60, 120}, [2]int{0, 0}, [][2]string{
		{"孩子想找人辅导数学", "孩子上小学，家里大人辅导不了，作业里的应用题常常不会做，希望有志愿者每周辅导一下数学。"},
		{"想请人辅导孩子英语", "孩子上初中，英语跟不上，家里没人会，想请志愿者每周辅导一次。"},
		{"想学用手机和孙子视频", "孙子在外地上大学，想学会用手机跟他视频通话。"},
		{"想学用手机挂号和缴费", "现在看病都要手机挂号，老人不会用，想请人教一教。"},
	}, []string{"辅导了一次，讲了作业里的难题。", "已教会基本操作，写了步骤卡片留给老人。", "约定每周辅导一次，今天是第一次。"}},
	{"paperwork", 11, [2]int{30, 120}, [2]int{0, 0}, [][2]string{
		{"帮忙在手机上办理医保认证", "老人独居，不会用智能手机，每年的医保待遇资格认证一直是邻居帮忙，想请志愿者上门帮忙完成认证。"},
		{"帮忙申请高龄津贴", "老人今年满八十岁，可以申请高龄津贴，但要在手机上填表、上传材料，想请志愿者上门帮忙。"},
		{"帮忙办理养老金资格认证", "每年要做养老金资格认证，老人不会刷脸操作，想请人帮忙。"},
		{"帮忙填写残疾人补贴申请表", "家里有残疾人，补贴申请表格很复杂，想请人帮忙填写并交到社区。"},
	}, []string{"已帮忙完成认证，截图留存。", "材料已准备齐全并提交。", "表格已填好，交到社区窗口。"}},
	{"other", 5, [2]int{30, 120}, [2]int{0, 20000}, [][2]string{
		{"想请人帮忙搬一下家具", "家里要腾一个房间给回来过年的孩子住，柜子太重，老两口搬不动。"},
		{"想请人帮忙给阳台的花搭架子", "阳台上的花越长越高，想搭个架子，自己年纪大了弄不了。"},
		{"想请人帮忙清理楼道杂物", "家门口楼道里堆了不少旧物，想请人帮忙清理，也方便邻居通行。"},
	}, []string{"已帮忙完成。", "搬运完毕，家具摆放好了。", "已清理干净。"}},
}

var (
	genRejectReasons = []string{"微心愿帮的是生活中急需的小事，这个需求不在范围内，可以联系社区了解其他帮扶渠道。",
		"属于楼栋公共部位维修，已转交物业处理，不作为微心愿发布。", "估价超出微心愿的上限，已转介到街道慈善超市。",
		"内容与近期已完成的心愿重复。"}
	genCancelReasons = []string{"家里人已经帮忙解决了。", "子女周末回来，已经办好了。", "不需要了，谢谢大家。",
		"已通过其他途径解决。"}
	genStaleReason    = "心愿截止时间已过，一直没有人认领，已通过其他途径解决。"
	genReleaseReasons = []string{"临时要出差，怕耽误了，放弃认领。", "家里有急事，这周去不了。", "时间对不上，请其他志愿者帮忙。"}
	genLapseReason    = "认领超过完成期限，系统自动收回，心愿重新发布"
	genDisputeReasons = []string{"东西送来了，但不是需要的型号。", "修完第二天又坏了。", "志愿者没有来，却报告已完成。",
		"只做了一半。"}
	genSettleReturn   = "争议处理：退回认领人继续完成"
	genSettleCredit   = "经核实，志愿者已按要求完成，认定已完成。"
	genSettleNoCredit = "经核实，心愿没有按要求完成，认定未完成，不计服务时长。"
	genRatingComments = []string{"志愿者很耐心，谢谢！", "非常及时，帮了大忙。", "态度很好，下次还找他。", "感谢社区和志愿者。",
		"有点晚了，不过还是谢谢。"}
)

type wClaim struct {
	id      int64
	claimer int64
	at, due time.Time
	ended   time.Time
	end     string
	wish    int64
}

type wEvent struct {
	wish     int64
	at       time.Time
	action   string
	actor    int64
	from, to string
	reason   string
}

type wLedger struct {
	id, account, wish, claim int64
	at                       time.Time
	kind                     string
	minutes, points          int
	reverses                 int64
	note                     string
}

// wishPlan is one wish with its whole story.
type wishPlan struct {
	id                         int64
	benef                      int
	submitter                  int64
	place, comm                int64
	category, tmpl             int
	value                      int
	deadline, created, updated time.Time
	state                      string
	closing                    string
	claimID                    int64
	fulfilNote                 string
	fulfilMinutes              int
	fulfilledAt, confirmedAt   time.Time
	rating                     int
	ratingComment              string
	claims                     []wClaim
	events                     []wEvent
	ledger                     []wLedger
	commIdx                    int
	lastClaim                  int // index into claims, -1 none
	creditedOn                 int // claim index credited and not reversed, -1 none
}

func (g *generator) wishes() error {
	n := g.cfg.Wishes
	if n == 0 {
		return nil
	}
	if _, err := g.tx.ExecContext(g.ctx, `CREATE TEMP TABLE gen_wishes (LIKE wishes INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return err
	}
	if _, err := g.tx.ExecContext(g.ctx, `CREATE TEMP TABLE gen_claims (LIKE wish_claims INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return err
	}
	var (
		claims []wClaim
		events []wEvent
		ledger []wLedger
	)
	g.wishComm = make([]uint16, n)
	span := g.now.Sub(g.start)
	pcg := rand.NewPCG(0, 0)
	r := rand.New(pcg)
	seed := uint64(g.cfg.Seed)*0x9E3779B97F4A7C15 + rWish
	var w wishPlan
	st, err := g.tx.PrepareContext(g.ctx, copyStmt("gen_wishes", "id", "beneficiary_id", "submitted_by", "place_id",
		"community_id", "category", "title", "description", "value_fen", "deadline", "state", "claim_id", "closing_reason",
		"fulfil_note", "fulfil_minutes", "fulfil_photos", "fulfilled_at", "rating", "rating_comment", "confirmed_at",
		"created_at", "updated_at"))
	if err != nil {
		return err
	}
	defer st.Close()
	noPhotos := pq.StringArray{}
	active := map[int64]int{} // claims held now, by claimer
	for i := range n {
		pcg.Seed(seed, uint64(i))
		// Ids follow time: wish i is created in the i-th slice of the span.
		created := g.start.Add(time.Duration((float64(i) + r.Float64()) / float64(n) * float64(span))).Truncate(time.Second)
		g.planWish(r, &w, g.id("wishes"), created)
		g.limitClaims(&w, active)
		for k := range w.claims {
			w.claims[k].id = g.id("wish_claims")
		}
		if w.lastClaim >= 0 {
			w.claimID = w.claims[w.lastClaim].id
		}
		for k := range w.ledger {
			w.ledger[k].id = g.id("volunteer_ledger")
			w.ledger[k].claim = w.claims[w.ledger[k].claim].id
			if w.ledger[k].kind == "reversal" {
				w.ledger[k].reverses = w.ledger[k-1].id
			}
		}
		g.wishComm[i] = uint16(w.commIdx)
		cat := genCategories[w.category]
		var value any
		if w.value > 0 {
			value = w.value
		}
		var rating any
		if w.rating > 0 {
			rating = w.rating
		}
		var fm any
		if w.fulfilMinutes > 0 {
			fm = w.fulfilMinutes
		}
		if _, err := st.ExecContext(g.ctx, w.id, g.resID(w.benef), w.submitter, w.place, w.comm, cat.name,
			cat.wishes[w.tmpl][0], cat.wishes[w.tmpl][1], value, w.deadline, w.state, nullID(w.claimID),
			nullStr(w.closing), nullStr(w.fulfilNote), fm, noPhotos, nullTime(w.fulfilledAt), rating,
			nullStr(w.ratingComment), nullTime(w.confirmedAt), w.created, w.updated); err != nil {
			return fmt.Errorf("wishes: %w", err)
		}
		claims = append(claims, w.claims...)
		events = append(events, w.events...)
		ledger = append(ledger, w.ledger...)
		if (i+1)%200_000 == 0 {
			g.log("planned %d wishes", i+1)
		}
	}
	if _, err := st.ExecContext(g.ctx); err != nil {
		return fmt.Errorf("wishes: %w", err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	if err := g.copyRows("gen_claims", []string{"id", "wish_id", "claimer_id", "claimed_at", "due_at", "ended_at", "end_reason"},
		len(claims), func(i int) []any {
			c := claims[i]
			return []any{c.id, c.wish, c.claimer, c.at, c.due, nullTime(c.ended), nullStr(c.end)}
		}); err != nil {
		return err
	}
	g.log("staged %d wishes, %d claims", n, len(claims))
	// Wishes and claims refer to each other: one statement writes both, so that the foreign
	// keys are checked when both are in.
	if _, err := g.tx.ExecContext(g.ctx, `WITH w AS (
			INSERT INTO wishes OVERRIDING SYSTEM VALUE SELECT * FROM gen_wishes ORDER BY id
		) INSERT INTO wish_claims OVERRIDING SYSTEM VALUE SELECT * FROM gen_claims ORDER BY id`); err != nil {
		return fmt.Errorf("wishes and claims: %w", err)
	}
	if _, err := g.tx.ExecContext(g.ctx, `DROP TABLE gen_wishes, gen_claims`); err != nil {
		return err
	}
	g.log("wrote wishes and claims")
	wb := g.next["wish_events"]
	if err := g.copyRows("wish_events", []string{"id", "wish_id", "at", "action", "actor_id", "from_state", "to_state", "reason"},
		len(events), func(i int) []any {
			e := events[i]
			return []any{wb + int64(i) + 1, e.wish, e.at, e.action, nullID(e.actor), nullStr(e.from), e.to, nullStr(e.reason)}
		}); err != nil {
		return err
	}
	g.next["wish_events"] += int64(len(events))
	g.log("wrote %d wish events", len(events))
	return g.copyRows("volunteer_ledger", []string{"id", "account_id", "wish_id", "claim_id", "at", "kind", "minutes", "points",
		"reverses_id", "note"}, len(ledger), func(i int) []any {
		l := ledger[i]
		return []any{l.id, l.account, l.wish, l.claim, l.at, l.kind, l.minutes, l.points, nullID(l.reverses), l.note}
	})
}

// limitClaims keeps every claimer within the default claim limit (3 claims held at once):
// a wish still claimed now whose claimer holds as many already goes to another volunteer
// of the community.
func (g *generator) limitClaims(w *wishPlan, active map[int64]int) {
	if w.state != "claimed" {
		return
	}
	c := &w.claims[w.lastClaim]
	last := &w.events[len(w.events)-1]
	if active[c.claimer] >= 3 && last.action == "claim" {
		cm := g.comms[w.commIdx]
		household := g.residents[w.benef].household
		for k := range cm.servants {
			s := cm.servants[(int(w.id)+k)%len(cm.servants)]
			if active[s.account] < 3 && s.household != household {
				c.claimer, last.actor = s.account, s.account
				break
			}
		}
	}
	active[c.claimer]++
}

// pickResident draws a verified resident of the community: the oldest of three (most wishes
// are for the elderly), or for tutoring the youngest of four.
func (g *generator) pickResident(r *rand.Rand, cm *gComm, young bool) int {
	best := -1
	for tries := 0; tries < 40 && (tries < 3 || best < 0); tries++ {
		i := cm.resFrom + r.IntN(cm.resTo-cm.resFrom)
		p := g.residents[i]
		if !p.verified {
			continue
		}
		if best < 0 || !young && p.birth.Before(g.residents[best].birth) || young && p.birth.After(g.residents[best].birth) {
			best = i
		}
		if young && tries == 3 {
			break
		}
	}
	if best < 0 {
		best = cm.resFrom
	}
	return best
}

// planWish draws wish id's story, from its submission at created up to now.
func (g *generator) planWish(r *rand.Rand, w *wishPlan, id int64, created time.Time) {
	*w = wishPlan{id: id, claims: w.claims[:0], events: w.events[:0], ledger: w.ledger[:0], lastClaim: -1, creditedOn: -1,
		created: created}
	now := g.now
	ci := r.IntN(len(g.comms))
	cm := g.comms[ci]
	w.commIdx, w.comm = ci, cm.id
	x := r.IntN(100)
	for k, c := range genCategories {
		if x < c.share {
			w.category = k
			break
		}
		x -= c.share
	}
	cat := genCategories[w.category]
	w.tmpl = r.IntN(len(cat.wishes))
	if cat.value[1] > 0 && demo.Chance(r, 0.9) {
		w.value = demo.Between(r, cat.value[0]/100, cat.value[1]/100) * 100
	}
	w.benef = g.pickResident(r, cm, cat.name == "tutoring")
	benef := g.residents[w.benef]
	h := g.households[benef.household]
	grid := g.grids[h.grid]
	w.place = grid.id
	if demo.Chance(r, 0.2) {
		w.place = cm.id
	}
	w.submitter = grid.worker
	if benef.account != 0 && demo.Chance(r, 0.85) {
		w.submitter = benef.account
	}
	confirmer := grid.worker
	if benef.account != 0 {
		confirmer = benef.account
	}
	staff := func() int64 { return cm.staff[r.IntN(len(cm.staff))] }
	reviewer := grid.worker
	if demo.Chance(r, 0.5) {
		reviewer = staff()
	}
	w.deadline = created.Add(time.Duration(demo.Between(r, 3*24, 30*24)) * time.Hour)
	state := ""
	t := created
	ev := func(at time.Time, action string, actor int64, to, reason string) {
		w.events = append(w.events, wEvent{wish: id, at: at, action: action, actor: actor, from: state, to: to, reason: reason})
		state, t = to, at
	}
	pickClaimer := func() int64 {
		k := r.IntN(len(cm.servants))
		for tries := 0; cm.servants[k].household == benef.household && tries < len(cm.servants); tries++ {
			k = (k + 1) % len(cm.servants)
		}
		return cm.servants[k].account
	}
	fulfilWindow := func(c *wClaim) time.Time {
		f := 0.05 + 0.85*r.Float64()*r.Float64()
		return c.at.Add(time.Duration(f * float64(c.due.Sub(c.at)))).Truncate(time.Second)
	}
	claimMinutes := func() int { return demo.Between(r, cat.minutes[0]/5, cat.minutes[1]/5) * 5 }
	credit := func(at time.Time, note string) {
		c := &w.claims[w.lastClaim]
		w.ledger = append(w.ledger, wLedger{account: c.claimer, wish: id, claim: int64(w.lastClaim), at: at, kind: "credit",
			minutes: w.fulfilMinutes, points: db.Points(w.fulfilMinutes, 10), note: note})
		w.creditedOn = w.lastClaim
	}
	reverse := func(at time.Time, note string) {
		if w.creditedOn < 0 {
			return
		}
		l := w.ledger[len(w.ledger)-1]
		w.ledger = append(w.ledger, wLedger{account: l.account, wish: id, claim: l.claim, at: at, kind: "reversal",
			minutes: -l.minutes, points: -l.points, note: note})
		w.creditedOn = -1
	}
	fulfil := func(at time.Time) {
		c := &w.claims[w.lastClaim]
		c.ended, c.end = at, "fulfilled"
		w.fulfilMinutes = claimMinutes()
		w.fulfilNote = cat.notes[r.IntN(len(cat.notes))]
		w.fulfilledAt = at
		ev(at, "fulfil", c.claimer, "fulfilled", "")
	}
	defer func() {
		w.state, w.updated = state, t
	}()

	ev(created, "submit", w.submitter, "submitted", "")
	if demo.Chance(r, 0.03) {
		at := t.Add(skewed(r, 30, 2*24*60))
		if at.After(now) {
			return
		}
		w.closing = genCancelReasons[r.IntN(len(genCancelReasons))]
		ev(at, "cancel", w.submitter, "cancelled", w.closing)
		return
	}
	at := t.Add(skewed(r, 20, 3*24*60))
	if at.After(now) {
		return
	}
	if demo.Chance(r, 0.06) {
		w.closing = genRejectReasons[r.IntN(len(genRejectReasons))]
		ev(at, "reject", reviewer, "rejected", w.closing)
		return
	}
	ev(at, "publish", reviewer, "published", "")
	if !w.deadline.After(t.Add(24 * time.Hour)) {
		w.deadline = t.Add(time.Duration(demo.Between(r, 24, 72)) * time.Hour)
	}
	if demo.Chance(r, 0.02) {
		// Cancelled by the submitter while on the board.
		at := t.Add(skewed(r, 60, 2*24*60))
		if at.After(now) || !at.Before(w.deadline) {
			return
		}
		w.closing = genCancelReasons[r.IntN(len(genCancelReasons))]
		ev(at, "cancel", w.submitter, "cancelled", w.closing)
		return
	}
	// Claims: released or lapsed ones return the wish to the board, at most twice.
	for attempt := 0; ; attempt++ {
		at := t.Add(skewed(r, 10, 4*24*60))
		if at.After(now) {
			return
		}
		if !at.Before(w.deadline.Add(-time.Hour)) || attempt > 2 {
			// Nobody took it in time: the submitter withdraws it a day after the deadline.
			end := w.deadline.Add(time.Duration(demo.Between(r, 24, 72)) * time.Hour)
			if end.After(now) {
				return
			}
			w.closing = genStaleReason
			ev(end, "cancel", w.submitter, "cancelled", w.closing)
			return
		}
		c := wClaim{claimer: pickClaimer(), at: at, due: at.Add(72 * time.Hour), wish: id}
		if w.deadline.Before(c.due) {
			c.due = w.deadline
		}
		w.claims = append(w.claims, c)
		w.lastClaim = len(w.claims) - 1
		cl := &w.claims[w.lastClaim]
		ev(at, "claim", c.claimer, "claimed", "")
		switch x := r.IntN(100); {
		case x < 7 && attempt < 2:
			rel := fulfilWindow(cl)
			if rel.After(now) {
				return
			}
			cl.ended, cl.end = rel, "released"
			ev(rel, "release", c.claimer, "published", genReleaseReasons[r.IntN(len(genReleaseReasons))])
			continue
		case x < 10 && attempt < 2:
			if cl.due.After(now) {
				return
			}
			cl.ended, cl.end = cl.due, "lapsed"
			ev(cl.due, "lapse", 0, "published", genLapseReason)
			continue
		}
		ft := fulfilWindow(cl)
		if ft.After(now) {
			return
		}
		fulfil(ft)
		break
	}
	confirm := func(at time.Time) {
		w.rating = 5
		if x := r.IntN(100); x >= 70 {
			w.rating = 4
			if x >= 93 {
				w.rating = 3
			}
			if x >= 98 {
				w.rating = 2
			}
		}
		if demo.Chance(r, 0.3) {
			w.ratingComment = genRatingComments[r.IntN(len(genRatingComments))]
		}
		w.confirmedAt = at
		ev(at, "confirm", confirmer, "confirmed", "")
		credit(at, "确认完成")
	}
	at = t.Add(skewed(r, 30, 3*24*60))
	if at.After(now) {
		return
	}
	switch x := r.IntN(1000); {
	case x < 15:
		// Disputed instead of confirmed; staff settle it.
		ev(at, "dispute", confirmer, "disputed", genDisputeReasons[r.IntN(len(genDisputeReasons))])
		st := t.Add(skewed(r, 60, 3*24*60))
		if st.After(now) || demo.Chance(r, 0.04) {
			return // not settled yet: a few disputes wait long, in the staff's queue
		}
		switch y := r.IntN(10); {
		case y < 4: // back to the claimer, to finish
			old := w.claims[w.lastClaim]
			c := wClaim{claimer: old.claimer, at: st, due: st.Add(72 * time.Hour), wish: id}
			w.claims = append(w.claims, c)
			w.lastClaim = len(w.claims) - 1
			w.fulfilNote, w.fulfilMinutes, w.fulfilledAt = "", 0, time.Time{}
			ev(st, "settle", staff(), "claimed", genSettleReturn)
			ft := fulfilWindow(&w.claims[w.lastClaim])
			if ft.After(now) {
				return
			}
			fulfil(ft)
			if at := t.Add(skewed(r, 30, 3*24*60)); !at.After(now) {
				confirm(at)
			}
		case y < 8:
			w.confirmedAt = st
			ev(st, "settle", staff(), "confirmed", genSettleCredit)
			credit(st, "争议处理：认定已完成")
		default:
			w.closing = genSettleNoCredit
			ev(st, "settle", staff(), "closed", genSettleNoCredit)
		}
		return
	default:
		confirm(at)
	}
	if x := r.IntN(1000); x < 6 {
		// Disputed within the week after confirming; staff settle it.
		at := t.Add(minutes(r, 60, 6*24*60))
		if at.After(now) {
			return
		}
		ev(at, "dispute", confirmer, "disputed", genDisputeReasons[r.IntN(len(genDisputeReasons))])
		st := t.Add(skewed(r, 60, 3*24*60))
		if st.After(now) || demo.Chance(r, 0.04) {
			return
		}
		if x < 3 {
			ev(st, "settle", staff(), "confirmed", genSettleCredit)
			return
		}
		reverse(st, "争议处理：认定未完成")
		w.closing = genSettleNoCredit
		ev(st, "settle", staff(), "closed", genSettleNoCredit)
	}
}

// ------------------------------------------------------------------ deliberation

type genTopicSpec struct {
	title, description string
	major              bool // owners' major matter (3/4)
}

var (
	genCouncilTopics = []genTopicSpec{
		{"调整社区微项目资金使用方案", "今年的社区微项目资金还有结余，建议优先用于楼道扶手、休闲座椅等居民反映最多的小项目，请议事会审议。", false},
		{"增设社区老年助餐点", "社区高龄和独居老人多，吃饭是难题。建议与附近餐馆合作设立助餐点，老人凭卡优惠就餐，困难老人可送餐上门。", false},
		{"开展楼道堆物集中清理行动", "不少楼道堆放杂物，存在消防隐患。建议组织党员志愿者和楼栋长开展一次集中清理，并建立长效管理办法。", false},
		{"组建社区助老志愿服务队", "建议由党员、低龄老人和在职党员组成助老服务队，定期上门探访独居老人，帮忙解决生活中的小事。", false},
		{"更新社区活动室设施", "活动室的桌椅和空调用了十多年，建议用社区公益金更新，方便老人下棋、孩子做作业。", false},
		{"规范电动自行车停放和充电", "楼道里停放、充电的电动车越来越多，建议在小区空地建设集中充电棚，楼道内一律不得停放。", false},
		{"举办邻里节活动方案", "建议在国庆前后举办邻里节，安排百家宴、跳蚤市场和文艺演出，经费从社区公益金中列支。", false},
		{"设立社区共享工具屋", "建议在活动室一角设立共享工具屋，居民捐赠或社区购置常用工具，登记借用，方便邻里。", false},
	}
	genOwnersTopics = []genTopicSpec{
		{"使用专项维修资金更换老旧电梯", "小区电梯运行近二十年，故障频发，多次困人。建议使用专项维修资金更换电梯，费用按专有部分面积分摊。", false},
		{"续聘物业服务企业", "现物业合同即将到期，业委会对服务情况进行了评议，建议续聘并调整部分服务标准。", false},
		{"调整小区停车管理方案", "小区车位紧张，消防通道经常被占。建议重新施划车位、外来车辆限时停放，收费用于公共设施维护。", false},
		{"加装电动自行车充电桩", "建议在小区东西两侧各建一处充电棚，加装智能充电桩，解决楼道充电的安全隐患。", false},
		{"使用专项维修资金修缮屋面防水", "多栋楼屋面防水层老化，顶层住户漏水严重，建议申请使用专项维修资金统一翻修。", false},
		{"选举新一届业主委员会", "本届业委会任期届满，按照议事规则选举新一届业主委员会成员。", false},
		{"续筹专项维修资金", "部分楼栋专项维修资金余额不足，按规定需要续筹，请业主共同决定续筹标准。", true},
		{"改变小区闲置锅炉房用途", "小区原锅炉房已闲置多年，建议改建为老年活动室和便民服务站，涉及改变共有部分用途。", true},
	}
	genResidentsTopics = []genTopicSpec{
		{"制定社区夜间噪声公约", "晚上广场舞音乐、装修电钻的声音经常持续到十点以后，建议大家一起商量一份夜间噪声公约。", false},
		{"修订社区居民公约", "现行居民公约是多年前制定的，建议增加垃圾分类、文明养犬、电动车停放等内容。", false},
		{"社区文化广场改造方案", "文化广场地面破损、照明不足，建议改造并增设健身器材和休闲座椅，请居民共同决定方案。", false},
		{"老旧小区改造方案征求意见", "街道将对社区老旧楼栋进行改造，内容包括外墙、管网、绿化和加装电梯，请居民表决改造方案。", false},
		{"设立社区垃圾分类督导岗", "建议在各投放点设立督导岗，由志愿者轮流值守，引导居民正确分类投放。", false},
		{"文明养犬管理约定", "小区犬只增多，不拴绳、随地便溺的问题突出，建议制定文明养犬约定，明确遛狗时段和区域。", false},
	}
	genEarlyTopics = []genTopicSpec{
		{"老楼楼道加装扶手", "老楼楼梯陡、没有扶手，住着不少腿脚不便的老人，建议在楼道一侧加装不锈钢扶手。", false},
		{"小区东门增设智能快递柜", "东门附近住户取快递要走到西门，建议在东门增设一组智能快递柜。", false},
		{"规范小区停车秩序", "晚上消防通道和楼门口都停满了车，救护车进不来的事发生过，建议重新施划车位。", false},
		{"在中心绿地建室外游泳池", "夏天孩子们没地方游泳，建议在中心绿地建一个小型室外游泳池。", false},
		{"增设儿童游乐设施", "小区里孩子多，但没有像样的游乐设施，建议在空地增设滑梯、秋千等。", false},
		{"社区食堂延长营业时间", "社区食堂晚上六点就关门，上班族吃不上，建议延长到晚上七点半。", false},
	}
	genDeclineReasons  = []string{"不属于社区议事范围，已转交相关部门答复。", "涉及改变共有部分用途，且需长期承担管理责任，暂不列入议程。", "与已列入议程的议题重复，请关注该议题的讨论。"}
	genWithdrawReasons = []string{"物业已经解决，不需要再议了。", "问题已通过协商解决，撤回议题。", "情况有变化，先撤回，以后再提。"}
	genCommentBodies   = []struct{ stance, body string }{
		{"for", "赞成，这件事早该办了。"}, {"for", "支持，建议尽快落实。"}, {"against", "费用太高，建议再比比价。"},
		{"neutral", "方案可以，但要把施工时间安排好，别影响老人休息。"}, {"against", "不是每家都受益，分摊方式要再商量。"},
		{"", "请问具体什么时候开始？"}, {"for", "我家老人很需要，谢谢社区。"},
	}
	genObjections   = []string{"决议没有考虑我们楼的情况，建议一并纳入。", "表决时间太短，很多上班的居民没来得及投票。", "费用分摊不合理，建议重新核算。"}
	genObjAnswer    = "经议事会核实，表决程序符合议事规则，异议不成立，决议继续执行。已向提出人当面说明。"
	genTaskTitles   = []string{"公开比选施工单位", "组织施工并做好安全防护", "采购设备并验收", "张贴公告并征求意见", "组织志愿者落实", "建立长效管理制度"}
	genReportBodies = []string{"已完成前期准备，正在推进。", "比选公告已发布，报名单位四家。", "施工过半，进度正常。", "已全部完成，现场清理干净。"}
	genSupervision  = []struct {
		body    string
		concern bool
	}{{"到现场看了，施工规范，警示牌齐全。", false}, {"有居民反映材料堆在楼道，影响老人通行，请尽快处理。", true},
		{"建议每一步留存照片，便于结果公开。", false}}
	genSupervisionAnswer = "已要求施工方当天清理，今后材料统一堆放在指定区域。"
	genRatingNotes       = []string{"办得不错，钱花在了明处。", "效果很好，谢谢社区。", "还有改进的地方，建议继续跟进。", "公示清楚，支持。"}
)

// Vote kinds.
const (
	vkCouncil = iota
	vkOwners
	vkResidents
)

// rollEntry is one head of a roll: res is who acts for it (attends, casts its ballot; -1:
// nobody can), area the head's area. Outside the owners' rolls each person is a head.
type rollEntry struct {
	res  int
	area int64
	head int64
}

// rollRow is one row of a roll as stored (meeting_entitled, vote_entitled): res -1 for a
// part nobody casts on this row.
type rollRow struct {
	head      int64
	res       int
	household int
	area      int64
}

// rows are the stored rows of a roll of people, each their own head.
func (g *generator) rows(roll []rollEntry) []rollRow {
	out := make([]rollRow, len(roll))
	for i, e := range roll {
		out[i] = rollRow{head: e.head, res: e.res, household: g.residents[e.res].household}
	}
	return out
}

// person is the roll entry of resident i on their own.
func (g *generator) person(i int) rollEntry { return rollEntry{res: i, head: g.resID(i)} }

type delib struct {
	rows map[string][][]any
}

func (d *delib) add(table string, row ...any) { d.rows[table] = append(d.rows[table], row) }

// adults is the roll of adult residents of the community on the day at, as rollSelect draws it.
func (g *generator) adults(cm *gComm, at time.Time) []rollEntry {
	born := db.AdultBorn(at)
	var roll []rollEntry
	for i := cm.resFrom; i < cm.resTo; i++ {
		if p := g.residents[i]; p.verified && !p.birth.After(born) {
			roll = append(roll, g.person(i))
		}
	}
	return roll
}

// owners is the roll of owners of the compound as the service counts it (db.OwnersCount):
// here each owner owns only the flat they live in, so a head is a flat with an owner, its
// co-owners one head, the flat's area its area; its verified owners may cast its ballot
// (the first acts for it in the generated meetings and votes), one row each.
func (g *generator) owners(compound int) ([]rollEntry, []rollRow) {
	cm := g.comms[g.compounds[compound].comm]
	var heads []rollEntry
	var rows []rollRow
	for i := cm.resFrom; i < cm.resTo; {
		hi := g.residents[i].household
		h := g.households[hi]
		var owned bool
		var voters []int
		for ; i < cm.resTo && g.residents[i].household == hi; i++ {
			if p := g.residents[i]; p.owner {
				owned = true
				if p.verified {
					voters = append(voters, i)
				}
			}
		}
		if !owned || g.grids[h.grid].compound != compound {
			continue
		}
		e := rollEntry{res: -1, area: h.area, head: h.id}
		if len(voters) == 0 {
			rows = append(rows, rollRow{head: h.id, res: -1, household: hi, area: h.area})
		}
		for k, v := range voters {
			if k == 0 {
				e.res = v
				rows = append(rows, rollRow{head: h.id, res: v, household: hi, area: h.area})
			} else {
				rows = append(rows, rollRow{head: h.id, res: v, household: hi})
			}
		}
		heads = append(heads, e)
	}
	return heads, rows
}

func (g *generator) council(cm *gComm) []rollEntry {
	var roll []rollEntry
	for _, i := range cm.council {
		roll = append(roll, g.person(i))
	}
	slices.SortFunc(roll, func(a, b rollEntry) int { return a.res - b.res })
	return roll
}

// Topic fates after a vote.
const (
	fateOpen = iota
	fateFailed
	fateNotice
	fateCarried
	fatePublished
	fateRated
)

func (g *generator) deliberation() error {
	d := &delib{rows: map[string][][]any{}}
	r := g.rng(rDelib, 0)
	V := g.cfg.Votes
	nOpen, nNotice := 0, 0
	if V > 0 {
		nOpen = max(1, V*2/100)
		nNotice = min(V-nOpen, max(1, V/100))
	}
	nOld := V - nOpen - nNotice
	// Kinds: council votes by default, larger votes while the ballot budget lasts.
	kinds := make([]int, V)
	compoundOf := make([]int, V)
	adultsN := make([]int, len(g.comms))
	for c, cm := range g.comms {
		adultsN[c] = len(g.adults(cm, g.now))
	}
	ownersN := make([]int, len(g.compounds))
	for k := range g.compounds {
		heads, _ := g.owners(k)
		ownersN[k] = len(heads)
	}
	budget := float64(g.cfg.Ballots)
	for k := range V {
		budget -= float64(len(g.comms[k%len(g.comms)].council)) * 0.85
	}
	for _, k := range r.Perm(V) {
		cm := g.comms[k%len(g.comms)]
		compoundOf[k] = -1
		turnout := 0.62
		if k >= nOld+nNotice {
			turnout = 0.3
		}
		if len(cm.compounds) > 0 && demo.Chance(r, 0.5) {
			comp := cm.compounds[r.IntN(len(cm.compounds))]
			cost := float64(ownersN[comp]) * (turnout + 0.16)
			if ownersN[comp] > 3 && cost <= budget {
				kinds[k], compoundOf[k], budget = vkOwners, comp, budget-cost
				continue
			}
		}
		if cost := float64(adultsN[k%len(g.comms)]) * turnout; cost <= budget {
			kinds[k], budget = vkResidents, budget-cost
		}
	}
	fates := make([]int, V)
	for j := 0; j < nOld; j += 10 {
		block := []int{fateFailed, fateFailed, fateCarried, fatePublished, fateRated, fateRated, fateRated, fateRated, fateRated, fateRated}
		r.Shuffle(len(block), func(a, b int) { block[a], block[b] = block[b], block[a] })
		for i := j; i < min(nOld, j+10); i++ {
			fates[i] = block[i-j]
		}
	}
	for k := nOld; k < nOld+nNotice; k++ {
		fates[k] = fateNotice
	}
	for k := nOld + nNotice; k < V; k++ {
		fates[k] = fateOpen
	}
	oldSpan := g.now.Add(-30 * 24 * time.Hour).Sub(g.start.Add(40 * 24 * time.Hour))
	meetingNo := map[[2]int]int{}
	for k := range V {
		vr := g.rng(rVote, uint64(k))
		var opens time.Time
		switch {
		case k < nOld:
			opens = g.start.Add(40 * 24 * time.Hour).Add(time.Duration((float64(k) + vr.Float64()) / float64(nOld) * float64(oldSpan)))
		case k < nOld+nNotice:
			opens = g.now.Add(-time.Duration(demo.Between(vr, 2*24, 5*24)) * time.Hour)
		default:
			opens = g.now.Add(-time.Duration(demo.Between(vr, 1*60, 47*60)) * time.Minute)
		}
		opens = opens.Truncate(time.Minute)
		if err := g.vote(d, vr, k, g.comms[k%len(g.comms)], kinds[k], compoundOf[k], fates[k], opens, meetingNo); err != nil {
			return err
		}
	}
	g.earlyTopics(d, r)
	g.otherMeetings(d, r)
	g.log("deliberation planned: %d topics, %d votes, %d ballots", len(d.rows["topics"]), V,
		len(d.rows["vote_participation"]))
	tables := []struct {
		name string
		cols string
	}{
		{"topics", "id place_id community_id raised_by title description state closing_reason created_at updated_at"},
		{"topic_events", "id topic_id at action actor_id from_state to_state reason"},
		{"topic_cosigners", "topic_id account_id at"},
		{"topic_wishes", "topic_id wish_id"},
		{"topic_comments", "id topic_id author_id body stance created_at"},
		{"meetings", "id kind place_id community_id title starts_at ends_at location organiser_id basis state cancel_reason minutes created_at updated_at"},
		{"meeting_events", "id meeting_id at action actor_id from_state to_state reason"},
		{"meeting_topics", "meeting_id topic_id position"},
		{"meeting_entitled", "meeting_id head resident_id household_id area_dm2"},
		{"meeting_attendance", "meeting_id resident_id checked_in_at checked_in_by"},
		{"votes", "id meeting_id topic_id title rule secret changeable motion opened_by opens_at closes_at state closed_at closed_by entitled_heads entitled_area present_heads present_area participating_heads participating_area quorum_met passed place_id community_id basis quorum_num quorum_den quorum_strict pass_num pass_den pass_strict by_area quorum_basis abstentions"},
		{"vote_options", "vote_id position label"},
		{"vote_entitled", "vote_id head resident_id household_id building_id area_dm2"},
		{"vote_participation", "vote_id resident_id head"},
		{"ballot_sums", "vote_id secret stripe sealed"},
		{"ballot_choices", "vote_id secret changeable replace_key sealed"},
		{"open_ballots", "vote_id secret resident_id position area_dm2 cast_at"},
		{"vote_results", "vote_id position heads area_dm2"},
		{"resolutions", "id topic_id vote_id community_id title state published_at notice_ends_at carried_out_from result result_published_at updated_at"},
		{"resolution_objections", "id resolution_id author_id reason created_at answer answered_by answered_at upheld"},
		{"resolution_tasks", "id resolution_id title assignee_id due_at state done_at created_by created_at"},
		{"task_reports", "id task_id author_id body done created_at"},
		{"task_supervision", "id task_id author_id body concern created_at answer answered_by answered_at"},
		{"result_ratings", "resolution_id resident_id score comment created_at"},
	}
	for _, t := range tables {
		if err := g.copyAll(t.name, strings.Fields(t.cols), d.rows[t.name]); err != nil {
			return err
		}
	}
	return nil
}

// topic adds a topic raised by an account holder of the community (or staff where none
// lives there) at raised, co-signed to ready, and accepted by staff at accepted.
func (g *generator) topic(d *delib, r *rand.Rand, cm *gComm, place int64, spec genTopicSpec, raised time.Time) (id int64, raiser int64, ev func(at time.Time, action string, actor int64, to, reason string), state *string, updated *time.Time) {
	id = g.id("topics")
	raiser = cm.staff[r.IntN(len(cm.staff))]
	if len(cm.accountHolders) > 0 {
		raiser = cm.accountHolders[r.IntN(len(cm.accountHolders))]
	}
	st := ""
	upd := raised
	state, updated = &st, &upd
	ev = func(at time.Time, action string, actor int64, to, reason string) {
		d.add("topic_events", g.id("topic_events"), id, at, action, nullID(actor), nullStr(st), to, nullStr(reason))
		st, upd = to, at
	}
	ev(raised, "raise", raiser, "proposed", "")
	// Index of the topics row: filled in by the caller through finishTopic.
	d.add("topics", id, place, cm.id, raiser, spec.title, spec.description, nil, nil, raised, nil)
	// A few of the wishes it grew from.
	if g.cfg.Wishes > 0 && demo.Chance(r, 0.2) {
		span := g.now.Sub(g.start)
		limit := int(float64(raised.Sub(g.start)) / float64(span) * float64(g.cfg.Wishes))
		seen := map[int]bool{}
		for tries, links := 0, 1+r.IntN(2); tries < 400 && links > 0 && limit > 0; tries++ {
			i := r.IntN(min(limit, g.cfg.Wishes))
			if int(g.wishComm[i]) == cm.idx && !seen[i] {
				seen[i] = true
				links--
				d.add("topic_wishes", id, g.base["wishes"]+int64(i)+1)
			}
		}
	}
	return
}

// cosign adds co-signers from raised on; the fifth makes the topic ready.
func (g *generator) cosign(d *delib, r *rand.Rand, cm *gComm, id, raiser int64, at time.Time, n int,
	ev func(time.Time, string, int64, string, string)) time.Time {
	seen := map[int64]bool{raiser: true}
	got := 0
	for tries := 0; got < n && tries < 100 && len(cm.accountHolders) > 6; tries++ {
		a := cm.accountHolders[r.IntN(len(cm.accountHolders))]
		if seen[a] {
			continue
		}
		seen[a] = true
		at = at.Add(minutes(r, 20, 30*60))
		d.add("topic_cosigners", id, a, at)
		got++
		if got == 5 {
			ev(at, "cosign_ready", 0, "ready", "附议人数达到 5 人")
		}
	}
	return at
}

// finish sets the topic row's state, closing reason and updated_at.
func finishTopic(d *delib, id int64, state, closing string, updated time.Time) {
	rows := d.rows["topics"]
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i][0] == id {
			rows[i][6], rows[i][7], rows[i][9] = state, nullStr(closing), updated
			return
		}
	}
}

// vote adds the k-th vote with its topic, meeting, roll, ballots, result and resolution.
func (g *generator) vote(d *delib, r *rand.Rand, k int, cm *gComm, kind, compound, fate int, opens time.Time,
	meetingNo map[[2]int]int) error {
	now := g.now
	staffOf := func() int64 { return cm.staff[r.IntN(len(cm.staff))] }
	place := cm.id
	var spec genTopicSpec
	var preset db.VoteRulePreset
	var basis db.EntitlementBasis
	var roll []rollEntry
	var rows []rollRow
	inMeeting := false
	switch kind {
	case vkCouncil:
		spec = genCouncilTopics[r.IntN(len(genCouncilTopics))]
		preset, basis, roll = db.PresetCouncilMajority, db.BasisCouncilMembers, g.council(cm)
		inMeeting = fate != fateOpen
	case vkOwners:
		spec = genOwnersTopics[r.IntN(len(genOwnersTopics))]
		preset, basis = db.PresetOwnersOrdinary, db.BasisOwners
		roll, rows = g.owners(compound)
		if spec.major {
			preset = db.PresetOwnersMajor
		}
		place = g.compounds[compound].id
		inMeeting = fate != fateOpen && demo.Chance(r, 0.5)
	default:
		spec = genResidentsTopics[r.IntN(len(genResidentsTopics))]
		preset, basis, roll = db.PresetResidentsAssembly, db.BasisAdultResidents, g.adults(cm, opens)
		inMeeting = fate != fateOpen && demo.Chance(r, 0.3)
	}
	if rows == nil {
		rows = g.rows(roll)
	}
	rule := db.Preset(preset)
	raised := opens.Add(-time.Duration(demo.Between(r, 12*24, 40*24)) * time.Hour)
	tid, raiser, tev, tstate, tupd := g.topic(d, r, cm, place, spec, raised)
	at := g.cosign(d, r, cm, tid, raiser, raised, 5+r.IntN(4), tev)
	accepted := at.Add(minutes(r, 60, 4*24*60))
	if limit := opens.Add(-6 * 24 * time.Hour); accepted.After(limit) {
		accepted = limit
	}
	if accepted.Before(at) {
		accepted = at.Add(time.Minute)
	}
	tev(accepted, "accept", staffOf(), "accepted", "列入议程，提交表决")
	if demo.Chance(r, 0.5) {
		for range 1 + r.IntN(3) {
			if len(cm.accountHolders) == 0 {
				break
			}
			c := genCommentBodies[r.IntN(len(genCommentBodies))]
			ca := accepted.Add(minutes(r, 30, 5*24*60))
			d.add("topic_comments", g.id("topic_comments"), tid, cm.accountHolders[r.IntN(len(cm.accountHolders))], c.body,
				nullStr(c.stance), ca)
		}
	}

	// The meeting, if the vote is held in one.
	var meetingID int64
	var closes, closedAt time.Time
	var closedBy int64
	organiser := staffOf()
	attended := map[int]bool{}
	if inMeeting {
		closes = opens.Add(minutes(r, 30, 90))
		closedAt = closes.Add(-minutes(r, 0, 10))
		closedBy = organiser
	} else if fate == fateOpen {
		closes = now.Add(time.Duration(demo.Between(r, 2*24, 6*24)) * time.Hour).Truncate(time.Minute)
	} else {
		days := demo.Between(r, 3, 7)
		if fate == fateNotice {
			days = 1
		}
		closes = opens.Add(time.Duration(days) * 24 * time.Hour)
		closedAt = closes.Add(time.Minute) // closed on its own at its closing time
	}
	var title string
	if inMeeting {
		meetingID = g.id("meetings")
		mk, kindName := "council_meeting", "议事会"
		switch kind {
		case vkOwners:
			mk, kindName = "owners_assembly", "业主大会"
		case vkResidents:
			mk, kindName = "residents_assembly", "居民会议"
		}
		year := opens.In(db.China).Year()
		key := [2]int{cm.idx*10 + kind, year}
		meetingNo[key]++
		name := cm.name
		if kind == vkOwners {
			name = g.compounds[compound].name
		}
		title = fmt.Sprintf("%s%d年第%d次%s", name, year, meetingNo[key], kindName)
		starts := opens.Add(-minutes(r, 20, 60))
		ends := closes.Add(minutes(r, 10, 40))
		created := accepted.Add(minutes(r, 30, 2*24*60))
		if created.After(starts) {
			created = accepted
		}
		mstate := ""
		mev := func(at time.Time, action string, to, reason string) {
			d.add("meeting_events", g.id("meeting_events"), meetingID, at, action, organiser, nullStr(mstate), to, nullStr(reason))
			mstate = to
		}
		mev(created, "schedule", "scheduled", "")
		mev(starts, "start", "running", "按「"+basis.Name()+"」确定应到 "+strconv.Itoa(len(roll))+" 人")
		tev(starts, "discuss", organiser, "under_discussion", "在「"+title+"」上协商")
		for _, e := range rows {
			d.add("meeting_entitled", meetingID, e.head, g.resOrNil(e.res), g.households[e.household].id, e.area)
		}
		share := 0.6 + 0.35*r.Float64()
		if kind == vkCouncil {
			share = 0.75 + 0.25*r.Float64()
		}
		// A head nobody can act for does not come.
		order := slices.DeleteFunc(r.Perm(len(roll)), func(i int) bool { return roll[i].res < 0 })
		came := order[:int(float64(len(order))*share+0.5)]
		slices.Sort(came)
		for _, i := range came {
			attended[i] = true
			d.add("meeting_attendance", meetingID, g.resID(roll[i].res), starts.Add(time.Duration(r.IntN(50)-15)*time.Minute), organiser)
		}
		mev(ends, "close", "closed", "")
		var minutesText any
		mupd := ends
		if rec := ends.Add(time.Duration(demo.Between(r, 12, 40)) * time.Hour); rec.Before(now) {
			mt := fmt.Sprintf("会议由社区居委会召集。应到%d人，实到%d人。会议就「%s」进行了协商并表决，表决结果见表决记录。",
				len(roll), len(came), spec.title)
			minutesText, mupd = mt, rec
			mev(rec, "record_minutes", "closed", "")
		}
		location := any(genLocations[r.IntN(len(genLocations))])
		d.add("meetings", meetingID, mk, place, cm.id, title, starts, ends, location, organiser, string(basis), "closed", nil,
			minutesText, created, mupd)
		d.add("meeting_topics", meetingID, tid, 1)
	} else {
		tev(opens, "discuss", organiser, "under_discussion", "发起表决「"+spec.title+"」")
	}

	// Ballots.
	voteID := g.id("votes")
	secret := kind != vkCouncil || demo.Chance(r, 0.5)
	changeable := fate != fateOpen && demo.Chance(r, 0.3)
	wantPass := fate != fateFailed && fate != fateOpen
	var voters []int // indices into roll
	var positions []int
	var dec db.Decision
	var t db.Tally
	var part db.Count
	for attempt := 0; attempt < 6; attempt++ {
		var turnout, approve, oppose float64
		switch {
		case fate == fateOpen:
			turnout, approve, oppose = 0.2+0.2*r.Float64(), 0.65, 0.25
		case wantPass:
			turnout = map[int]float64{vkCouncil: 0.8, vkOwners: 0.74, vkResidents: 0.55}[kind] + 0.04*float64(attempt) + 0.15*r.Float64()
			approve = 0.6 + 0.06*float64(attempt) + 0.25*r.Float64()
			oppose = (1 - approve) * 0.6
		case demo.Chance(r, 0.5): // too few take part
			turnout = map[int]float64{vkCouncil: 0.3, vkOwners: 0.45, vkResidents: 0.3}[kind] + 0.15*r.Float64()
			approve, oppose = 0.6, 0.3
		default: // most are against
			turnout = map[int]float64{vkCouncil: 0.8, vkOwners: 0.75, vkResidents: 0.55}[kind] + 0.15*r.Float64()
			approve = 0.2 + 0.2*r.Float64()
			oppose = 0.8 - approve
		}
		turnout = min(turnout, 1)
		var pool []int
		if inMeeting {
			for i := range roll {
				if attended[i] {
					pool = append(pool, i)
				}
			}
			turnout = min(1, turnout/max(0.01, float64(len(pool))/float64(max(1, len(roll)))))
		} else {
			for i := range roll {
				if roll[i].res >= 0 {
					pool = append(pool, i)
				}
			}
		}
		r.Shuffle(len(pool), func(a, b int) { pool[a], pool[b] = pool[b], pool[a] })
		voters = pool[:int(float64(len(pool))*turnout+0.5)]
		positions = make([]int, len(voters))
		for i := range voters {
			switch f := r.Float64(); {
			case f < approve:
				positions[i] = 0
			case f < approve+oppose:
				positions[i] = 1
			default:
				positions[i] = 2
			}
		}
		if fate == fateOpen {
			break
		}
		t, part = db.Tally{}, db.Count{}
		voted := map[int]bool{}
		counts := [3]*db.Count{&t.Approve, &t.Oppose, &t.Abstain}
		for i, v := range voters {
			voted[v] = true
			c := counts[positions[i]]
			c.Heads++
			c.Area += roll[v].area
		}
		for i, e := range roll {
			t.Entitled.Heads++
			t.Entitled.Area += e.area
			if voted[i] {
				part.Heads++
				part.Area += e.area
			}
			if voted[i] || attended[i] {
				t.Present.Heads++
				t.Present.Area += e.area
			}
		}
		if rule.QuorumBasis == db.QuorumVoted {
			t.Present = part
		}
		var err error
		if dec, err = rule.Decide(t); err != nil {
			return fmt.Errorf("vote %d: %w", k, err)
		}
		if dec.Passed == wantPass {
			break
		}
	}
	if fate != fateOpen && !dec.Passed {
		fate = fateFailed
	}
	for pos, label := range demo.MotionOptions {
		d.add("vote_options", voteID, pos, label)
	}
	for _, e := range rows {
		h := g.households[e.household]
		d.add("vote_entitled", voteID, e.head, g.resOrNil(e.res), h.id, g.buildings[h.building].id, e.area)
	}
	sortedVoters := slices.Clone(voters)
	slices.Sort(sortedVoters)
	for _, v := range sortedVoters {
		d.add("vote_participation", voteID, g.resID(roll[v].res), roll[v].head)
	}
	if secret {
		// Draw what the ballots' ids and keys once took, so that the rest of the district
		// comes out as it did.
		draws := 16
		if changeable {
			draws += 32
		}
		for range len(voters) * draws {
			r.Uint32()
		}
	}
	if secret && fate == fateOpen {
		// Only an open vote keeps anything of its ballots, sealed: the sums per stripe (the
		// ballots going to the stripes in turn) and, if changeable, each voter's choice.
		sums := make([]db.BallotCount, db.BallotStripes*len(demo.MotionOptions))
		for i, v := range voters {
			c := &sums[i%db.BallotStripes*len(demo.MotionOptions)+positions[i]]
			c.Heads++
			c.Area += roll[v].area
			if changeable {
				rk := db.ReplaceKey(g.cfg.BallotKey, voteID, g.resID(roll[v].res))
				sealed, err := g.sealer.SealChoice(voteID, rk, positions[i])
				if err != nil {
					return err
				}
				d.add("ballot_choices", voteID, true, true, rk, sealed)
			}
		}
		for stripe := range db.BallotStripes {
			sealed, err := g.sealer.SealSums(voteID, stripe, sums[stripe*len(demo.MotionOptions):(stripe+1)*len(demo.MotionOptions)])
			if err != nil {
				return err
			}
			d.add("ballot_sums", voteID, true, stripe, sealed)
		}
	} else if !secret {
		cast := make(map[int]int, len(voters))
		for i, v := range voters {
			cast[v] = positions[i]
		}
		for _, v := range sortedVoters {
			d.add("open_ballots", voteID, false, g.resID(roll[v].res), cast[v], roll[v].area, opens.Add(minutes(r, 1, 25)))
		}
	}
	var meeting any
	if meetingID != 0 {
		meeting = meetingID
	}
	if fate == fateOpen {
		// An open vote keeps its roll's totals from its opening, as openVote writes them.
		var entitled db.Count
		for _, e := range roll {
			entitled.Heads++
			entitled.Area += e.area
		}
		d.add("votes", voteID, meeting, tid, spec.title, string(preset), secret, changeable, true, organiser, opens, closes, "open",
			nil, nil, entitled.Heads, entitled.Area, nil, nil, nil, nil, nil, nil, place, cm.id, string(basis), rule.Quorum.Num, rule.Quorum.Den,
			rule.Quorum.Strict, rule.Pass.Num, rule.Pass.Den, rule.Pass.Strict, rule.ByArea, string(rule.QuorumBasis),
			string(rule.Abstentions))
		finishTopic(d, tid, *tstate, "", *tupd)
		return nil
	}
	d.add("votes", voteID, meeting, tid, spec.title, string(preset), secret, changeable, true, organiser, opens, closes, "closed",
		closedAt, nullID(closedBy), t.Entitled.Heads, t.Entitled.Area, t.Present.Heads, t.Present.Area, part.Heads, part.Area,
		dec.QuorumMet, dec.Passed, place, cm.id, string(basis), rule.Quorum.Num, rule.Quorum.Den, rule.Quorum.Strict,
		rule.Pass.Num, rule.Pass.Den, rule.Pass.Strict, rule.ByArea, string(rule.QuorumBasis), string(rule.Abstentions))
	for pos, c := range []db.Count{t.Approve, t.Oppose, t.Abstain} {
		d.add("vote_results", voteID, pos, c.Heads, c.Area)
	}
	if fate == fateFailed {
		tev(closedAt, "vote", closedBy, "voted", "表决「"+spec.title+"」未通过")
		finishTopic(d, tid, *tstate, "", *tupd)
		return nil
	}
	tev(closedAt, "vote", closedBy, "voted", "表决「"+spec.title+"」通过")
	noticeEnds := closedAt.Add(7 * 24 * time.Hour)
	tev(closedAt, "publish_resolution", closedBy, "resolution_published", "决议公示 7 天，期间居民可提出异议")
	resID := g.id("resolutions")
	// Objections in the notice period.
	if demo.Chance(r, 0.15) && len(cm.accountHolders) > 2 {
		seen := map[int64]bool{}
		for range 1 + r.IntN(2) {
			a := cm.accountHolders[r.IntN(len(cm.accountHolders))]
			oat := closedAt.Add(minutes(r, 60, 6*24*60))
			if seen[a] || oat.After(now) {
				continue
			}
			seen[a] = true
			var answer, by, answeredAt, upheld any
			if ans := oat.Add(minutes(r, 120, 2*24*60)); ans.Before(now) && len(cm.council) > 0 {
				answer, by, answeredAt, upheld = genObjAnswer, g.residents[cm.council[r.IntN(len(cm.council))]].account, ans, false
			}
			d.add("resolution_objections", g.id("resolution_objections"), resID, a, genObjections[r.IntN(len(genObjections))],
				oat, answer, by, answeredAt, upheld)
		}
	}
	resState, resUpd := "in_notice", closedAt
	var carried, resultAt any
	var result any
	if fate >= fateCarried {
		start := noticeEnds.Add(minutes(r, 12*60, 3*24*60))
		if start.After(now) {
			fate = fateNotice
		} else {
			carried, resState, resUpd = start, "being_carried_out", start
			tev(start, "carry_out", staffOf(), "being_carried_out", "公示期满，开始实施")
			lastDone := start
			allDone := true
			nTasks := 1 + r.IntN(3)
			for range nTasks {
				taskID := g.id("resolution_tasks")
				assignee := staffOf()
				if demo.Chance(r, 0.3) && len(cm.servants) > 0 {
					assignee = cm.servants[r.IntN(len(cm.servants))].account
				}
				due := start.Add(time.Duration(demo.Between(r, 10, 60)) * 24 * time.Hour)
				var doneAt time.Time
				switch x := r.IntN(100); {
				case fate >= fatePublished && x < 75 || fate == fateCarried && x < 50:
					doneAt = start.Add(time.Duration(r.Float64() * float64(due.Sub(start))))
				case fate >= fatePublished || x < 75:
					doneAt = due.Add(minutes(r, 60, 20*24*60)) // late
				}
				if doneAt.After(now) {
					doneAt = time.Time{}
				}
				state := "done"
				if doneAt.IsZero() {
					state, allDone = "open", false
				} else if doneAt.After(lastDone) {
					lastDone = doneAt
				}
				title := genTaskTitles[r.IntN(len(genTaskTitles))]
				d.add("resolution_tasks", taskID, resID, title, assignee, due, state, nullTime(doneAt), staffOf(), start)
				// Progress reports; the one that says done closes the task.
				end := now
				if !doneAt.IsZero() {
					end = doneAt
				}
				if mid := start.Add(end.Sub(start) / 2).Truncate(time.Second); demo.Chance(r, 0.7) {
					d.add("task_reports", g.id("task_reports"), taskID, assignee, genReportBodies[r.IntN(3)], false, mid)
				}
				if !doneAt.IsZero() {
					d.add("task_reports", g.id("task_reports"), taskID, assignee, genReportBodies[3], true, doneAt)
				}
				if demo.Chance(r, 0.3) && len(cm.supers) > 0 {
					s := genSupervision[r.IntN(len(genSupervision))]
					sat := start.Add(end.Sub(start) / 3).Truncate(time.Second)
					var answer, by, answeredAt any
					if ans := sat.Add(minutes(r, 60, 2*24*60)); s.concern && ans.Before(now) {
						answer, by, answeredAt = genSupervisionAnswer, staffOf(), ans
					}
					d.add("task_supervision", g.id("task_supervision"), taskID, g.residents[cm.supers[r.IntN(len(cm.supers))]].account,
						s.body, s.concern, sat, answer, by, answeredAt)
				}
			}
			if fate >= fatePublished {
				pub := lastDone.Add(minutes(r, 12*60, 5*24*60))
				if !allDone || pub.After(now) {
					fate = fateCarried
				} else {
					resState, resUpd, resultAt = "result_published", pub, pub
					result = "「" + spec.title + "」已实施完成，实施情况和费用明细已在社区公告栏和居民群公示，欢迎居民评议。"
					tev(pub, "publish_result", staffOf(), "result_published", "公开实施结果")
					if fate == fateRated {
						adults := g.adults(cm, pub)
						rat := pub.Add(minutes(r, 12*60, 3*24*60))
						if rat.After(now) || len(adults) == 0 {
							fate = fatePublished
						} else {
							order := r.Perm(len(adults))
							for i, o := range order[:min(len(order), demo.Between(r, 5, 30))] {
								score := []int{5, 5, 5, 4, 4, 4, 3, 2}[r.IntN(8)]
								var comment any
								if demo.Chance(r, 0.3) {
									comment = genRatingNotes[r.IntN(len(genRatingNotes))]
								}
								if i == 0 {
									tev(rat, "rate", 0, "rated", "居民开始评议实施结果")
								}
								if rat.After(now) {
									break
								}
								d.add("result_ratings", resID, g.resID(adults[o].res), score, comment, rat)
								rat = rat.Add(minutes(r, 10, 24*60))
							}
						}
					}
				}
			}
		}
	}
	d.add("resolutions", resID, tid, voteID, cm.id, spec.title, resState, closedAt, noticeEnds, carried, result, resultAt, resUpd)
	finishTopic(d, tid, *tstate, "", *tupd)
	return nil
}

// earlyTopics are topics that have not come to a vote: proposed, ready, accepted, declined
// and withdrawn.
func (g *generator) earlyTopics(d *delib, r *rand.Rand) {
	n := max(5, g.cfg.Votes/5)
	fates := []string{"proposed", "ready", "accepted", "declined", "withdrawn"}
	for j := range n {
		cm := g.comms[r.IntN(len(g.comms))]
		spec := genEarlyTopics[r.IntN(len(genEarlyTopics))]
		fate := fates[j%len(fates)]
		var raised time.Time
		switch fate {
		case "proposed":
			raised = g.now.Add(-minutes(r, 60, 20*24*60))
		case "ready", "accepted":
			raised = g.now.Add(-minutes(r, 3*24*60, 60*24*60))
		default:
			raised = g.start.Add(time.Duration(r.Float64() * float64(g.now.Add(-10*24*time.Hour).Sub(g.start))))
		}
		raised = raised.Truncate(time.Second)
		place := cm.id
		if len(cm.compounds) > 0 && demo.Chance(r, 0.4) {
			place = g.compounds[cm.compounds[r.IntN(len(cm.compounds))]].id
		}
		tid, raiser, tev, tstate, tupd := g.topic(d, r, cm, place, spec, raised)
		closing := ""
		switch fate {
		case "proposed":
			g.cosign(d, r, cm, tid, raiser, raised, r.IntN(4), tev)
		case "ready":
			g.cosign(d, r, cm, tid, raiser, raised, 5+r.IntN(2), tev)
		case "accepted":
			at := g.cosign(d, r, cm, tid, raiser, raised, 5, tev)
			tev(at.Add(minutes(r, 60, 24*60)), "accept", cm.staff[0], "accepted", "列入下月议事会议程")
		case "declined":
			closing = genDeclineReasons[r.IntN(len(genDeclineReasons))]
			tev(raised.Add(minutes(r, 24*60, 5*24*60)), "decline", cm.staff[r.IntN(len(cm.staff))], "declined", closing)
		case "withdrawn":
			at := g.cosign(d, r, cm, tid, raiser, raised, r.IntN(3), tev)
			closing = genWithdrawReasons[r.IntN(len(genWithdrawReasons))]
			tev(at.Add(minutes(r, 60, 3*24*60)), "withdraw", raiser, "withdrawn", closing)
		}
		finishTopic(d, tid, *tstate, closing, *tupd)
	}
}

// otherMeetings are meetings without votes: an open forum scheduled in each community, and a
// cancelled one in some.
func (g *generator) otherMeetings(d *delib, r *rand.Rand) {
	for _, cm := range g.comms {
		organiser := cm.staff[r.IntN(len(cm.staff))]
		created := g.now.Add(-minutes(r, 60, 3*24*60)).Truncate(time.Second)
		starts := g.now.Add(time.Duration(demo.Between(r, 3, 10)) * 24 * time.Hour).Truncate(time.Hour)
		id := g.id("meetings")
		d.add("meetings", id, "open_forum", cm.id, cm.id, cm.name+"广场夜谈", starts, starts.Add(90*time.Minute), cm.name+"文化广场",
			organiser, "adult_residents", "scheduled", nil, nil, created, created)
		d.add("meeting_events", g.id("meeting_events"), id, created, "schedule", organiser, nil, "scheduled", nil)
		if demo.Chance(r, 0.3) {
			id := g.id("meetings")
			created := g.now.Add(-minutes(r, 20*24*60, 200*24*60)).Truncate(time.Second)
			starts := created.Add(7 * 24 * time.Hour).Truncate(time.Hour)
			cancelled := created.Add(3 * 24 * time.Hour)
			reason := "天气原因，会议延期，另行通知。"
			d.add("meetings", id, "online", cm.id, cm.id, cm.name+"网上议事厅", starts, starts.Add(time.Hour), nil,
				organiser, "adult_residents", "cancelled", reason, nil, created, cancelled)
			d.add("meeting_events", g.id("meeting_events"), id, created, "schedule", organiser, nil, "scheduled", nil)
			d.add("meeting_events", g.id("meeting_events"), id, cancelled, "cancel", organiser, "scheduled", "cancelled", reason)
		}
	}
}
