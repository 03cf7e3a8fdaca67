package db

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// DemoAccount is a demo sign-in, listed on start and in the README.
type DemoAccount struct {
	// Role is a Role value, or "resident" for a resident who holds no role.
	Role string
	// RoleName is the role in Chinese, e.g. 志愿者.
	RoleName string
	Phone    string
	Password string
	Name     string
	// Place is where the role is held (for a resident, where they live): place names from
	// the top down, separated by " / ", as many as it takes to name one place, e.g.
	// "和平花园小区 / 第一网格" (光明社区 has a 第一网格 too).
	Place string
}

// DemoPassword is the password of every demo account.
const DemoPassword = "linli2026"

// demoResident is the Role of a demo account that holds no role.
const demoResident = "resident"

// DemoAccounts lists the demo sign-ins in a fixed order: resident, volunteer, party member,
// grid worker, building leader, community staff, council member, supervisor, analyst,
// admin, and the staff member of the second community, who shows that a role held in one
// community gives nothing in the other.
var DemoAccounts = []DemoAccount{
	{demoResident, "居民", "13800000001", DemoPassword, "张秀英", "和平花园小区"},
	{string(RoleVolunteer), RoleVolunteer.Name(), "13800000002", DemoPassword, "李志强", "和平社区"},
	// An in-service party member (在职党员) registered with the community where he lives.
	{string(RolePartyMember), RolePartyMember.Name(), "13800000003", DemoPassword, "刘洋", "和平社区"},
	{string(RoleGridWorker), RoleGridWorker.Name(), "13800000004", DemoPassword, "王丽", "和平花园小区 / 第一网格"},
	{string(RoleBuildingLeader), RoleBuildingLeader.Name(), "13800000005", DemoPassword, "赵桂芳", "和平花园小区 / 2号楼"},
	{string(RoleStaff), RoleStaff.Name(), "13800000006", DemoPassword, "陈静", "和平社区"},
	{string(RoleCouncilMember), RoleCouncilMember.Name(), "13800000007", DemoPassword, "周国华", "和平社区"},
	{string(RoleSupervisor), RoleSupervisor.Name(), "13800000008", DemoPassword, "孙玉梅", "和平社区"},
	{string(RoleAnalyst), RoleAnalyst.Name(), "13800000009", DemoPassword, "吴昊", "幸福街道"},
	{string(RoleAdmin), RoleAdmin.Name(), "13800000010", DemoPassword, "郑伟", "幸福街道"},
	{string(RoleStaff), RoleStaff.Name(), "13800000011", DemoPassword, "黄敏", "光明社区"},
}

// demoExtraGrants are roles held besides the one DemoAccounts names: party members commonly
// serve as volunteers too (党员志愿者).
var demoExtraGrants = []struct {
	phone string
	role  Role
	place string
}{
	{"13800000003", RoleVolunteer, "和平社区"},
}

// demoHomes says where the demo account holders who live in the demo community live. Each
// takes the place of a generated household member of the same sex and a fitting age, so
// that the household around them still makes sense. Staff, the grid worker, the analyst
// and the admin live elsewhere and have no resident record.
var demoHomes = []struct {
	phone          string
	home           string
	female         bool
	minAge, maxAge int
}{
	{"13800000001", "和平花园小区 / 1号楼", true, 55, 72},
	{"13800000002", "老街网格", false, 25, 45},
	{"13800000003", "和平花园小区 / 第二网格", false, 28, 50},
	{"13800000005", "和平花园小区 / 2号楼", true, 55, 75},
	{"13800000007", "和平花园小区 / 第二网格", false, 50, 75},
	{"13800000008", "老街网格", true, 50, 75},
}

// demoRegistrants are where the residents live who registered but are not verified yet,
// so that staff have someone to verify: new tenants, each in an empty flat if there is one.
var demoRegistrants = []string{"和平花园小区 / 第二网格", "老街网格", "光明社区"}

// The demo's buildings and grids. Households are a sample of each unit's flats (two a
// floor); flats of one building share two floor plans, so two areas.
type demoBuilding struct {
	name    string
	units   int // 0 for an old building without units
	floors  int
	flats   int // flats per unit in the demo
	minArea int // floor area range, 0.01 m²
	maxArea int
}

type demoGrid struct {
	name      string
	buildings []demoBuilding
}

type demoCommunity struct {
	name     string
	compound string // "" for none
	// compoundGrids lie in the compound, grids directly in the community.
	compoundGrids, grids []demoGrid
}

const demoSubdistrict = "幸福街道"

// demoLayout holds 120 households: numbering skips 4号楼 as many estates do.
var demoLayout = []demoCommunity{
	{
		name:     "和平社区",
		compound: "和平花园小区", // built around 2005: six floors, 75–140 m²
		compoundGrids: []demoGrid{
			{"第一网格", []demoBuilding{
				{"1号楼", 2, 6, 6, 7500, 14000},
				{"2号楼", 2, 6, 5, 7500, 14000},
				{"3号楼", 2, 6, 5, 7500, 14000},
			}},
			{"第二网格", []demoBuilding{
				{"5号楼", 2, 6, 5, 7500, 14000},
				{"6号楼", 2, 6, 5, 7500, 14000},
				{"7号楼", 1, 6, 6, 7500, 14000},
			}},
		},
		// Walk-ups of the 1980s along the old street: no units, small flats.
		grids: []demoGrid{
			{"老街网格", []demoBuilding{
				{"12号楼", 0, 4, 8, 5500, 7500},
				{"14号楼", 0, 4, 8, 5500, 7500},
			}},
		},
	},
	{
		name: "光明社区", // former work-unit housing of the 1990s
		grids: []demoGrid{
			{"第一网格", []demoBuilding{
				{"1号楼", 2, 7, 5, 6000, 12000},
				{"2号楼", 2, 7, 4, 6000, 12000},
				{"3号楼", 1, 7, 6, 6000, 12000},
			}},
			{"第二网格", []demoBuilding{
				{"5号楼", 2, 7, 6, 6000, 12000},
				{"6号楼", 2, 7, 5, 6000, 12000},
			}},
		},
	},
}

// householdKind is who lives in a household.
type householdKind int

const (
	kindVacant        householdKind = iota // empty, or nobody registered yet
	kindElderlyAlone                       // 独居老人
	kindElderlyCouple                      // 空巢老人
	kindSingle
	kindYoungCouple
	kindFamily   // parents and one or two children
	kindThreeGen // grandparents, parents, a child
	kindSkipGen  // grandparents and a left-behind child (留守儿童): parents work elsewhere
)

// demoHouseholdMix says how many of every 120 households are of each kind: an ageing
// neighbourhood, as most older Chinese neighbourhoods are, with about 1.7 people a household.
var demoHouseholdMix = []struct {
	kind  householdKind
	count int
}{
	{kindVacant, 20}, {kindElderlyAlone, 24}, {kindElderlyCouple, 20}, {kindSingle, 17},
	{kindYoungCouple, 11}, {kindFamily, 19}, {kindThreeGen, 6}, {kindSkipGen, 3},
}

// LoadDemo fills an empty database with the demo community and reports whether it did; a
// database that already holds any place is left alone. Everything is made from a fixed
// random seed and the Store's clock, so the same clock gives the same demo.
func (s *Store) LoadDemo(ctx context.Context) (loaded bool, err error) {
	// A quick look first: on every start but the first there is nothing to do, and the
	// password hash below is deliberately slow.
	var exists bool
	if err := s.DB.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM places)`); err != nil {
		return false, err
	}
	if exists {
		return false, nil
	}
	// One hash for every demo account: they share the password, and hashing a dozen times
	// would slow every first start.
	hash, err := HashPassword(DemoPassword, s.Password)
	if err != nil {
		return false, err
	}

	tx, err := s.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	// Two services starting on one empty database must not both load: the lock (which
	// still lets others read) makes the second wait for the first to commit, and then it
	// finds the places.
	if _, err := tx.ExecContext(ctx, `LOCK TABLE places IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return false, err
	}
	if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM places)`); err != nil {
		return false, err
	}
	if exists {
		return false, nil
	}
	w, err := newDemoWorld(tx.Now())
	if err != nil {
		return false, err
	}
	if err := w.insert(ctx, tx, hash); err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

// demoPlace is a place of the demo, in the order it is inserted.
type demoPlace struct {
	level      PlaceLevel
	name       string
	parent     *demoPlace
	unit, room string // households only; unit "" for a building without units
	areaDm2    int64  // households only
	people     []*demoPerson
	id         int64 // once inserted
}

// within reports whether p is a or lies under it.
func (p *demoPlace) within(a *demoPlace) bool {
	for ; p != nil; p = p.parent {
		if p == a {
			return true
		}
	}
	return false
}

// names are the names of p's ancestors and p, from the top down.
func (p *demoPlace) names() []string {
	var ns []string
	for ; p != nil; p = p.parent {
		ns = append(ns, p.name)
	}
	slices.Reverse(ns)
	return ns
}

// demoPerson is a resident of the demo.
type demoPerson struct {
	surname, given string
	// paternal: carries the household's family name (father, his children, his father),
	// so that it changes with his when a demo account holder takes his place.
	paternal bool
	female   bool
	age      int
	birth    time.Time
	phone    string
	owner    bool
	tags     []ResidentTag
	account  bool // has an account with the same phone
	verified bool
}

func (p *demoPerson) name() string { return p.surname + p.given }

func (p *demoPerson) tag(t ResidentTag) {
	if !slices.Contains(p.tags, t) {
		p.tags = append(p.tags, t)
	}
}

// demoWorld is the whole demo, made before anything is written.
type demoWorld struct {
	rng        *rand.Rand
	today      time.Time // the date in China
	byLevel    map[PlaceLevel][]*demoPlace
	phones     map[string]bool // every phone number handed out
	accounts   []demoAccountRow
	households []*demoPlace
}

type demoAccountRow struct {
	phone, name string
	id          int64 // once inserted
}

// newDemoWorld makes the demo as of now.
func newDemoWorld(now time.Time) (*demoWorld, error) {
	w := &demoWorld{
		// A fixed seed: every empty database gets the same demo, so the README, the
		// tests and a colleague's screen agree.
		rng:     rand.New(rand.NewPCG(2026, 1123)),
		today:   now.In(china),
		byLevel: map[PlaceLevel][]*demoPlace{},
		phones:  map[string]bool{},
	}
	w.buildPlaces()
	w.fillHouseholds()
	for _, a := range DemoAccounts {
		w.accounts = append(w.accounts, demoAccountRow{phone: a.Phone, name: a.Name})
		w.phones[a.Phone] = true
	}
	if err := w.placeDemoResidents(); err != nil {
		return nil, err
	}
	if err := w.addRegistrants(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *demoWorld) add(level PlaceLevel, parent *demoPlace, name string) *demoPlace {
	p := &demoPlace{level: level, parent: parent, name: name}
	w.byLevel[level] = append(w.byLevel[level], p)
	return p
}

// buildPlaces lays out the tree from demoLayout.
func (w *demoWorld) buildPlaces() {
	sub := w.add(LevelSubdistrict, nil, demoSubdistrict)
	for _, c := range demoLayout {
		community := w.add(LevelCommunity, sub, c.name)
		if c.compound != "" {
			compound := w.add(LevelCompound, community, c.compound)
			w.buildGrids(compound, c.compoundGrids)
		}
		w.buildGrids(community, c.grids)
	}
}

func (w *demoWorld) buildGrids(parent *demoPlace, grids []demoGrid) {
	for _, g := range grids {
		grid := w.add(LevelGrid, parent, g.name)
		for _, b := range g.buildings {
			building := w.add(LevelBuilding, grid, b.name)
			// Two floor plans a building, flats x01 and x02 (areas to 0.01 m², like a deed).
			area := [2]int64{int64(w.between(b.minArea, b.maxArea)), int64(w.between(b.minArea, b.maxArea))}
			for u := range max(b.units, 1) {
				unit := ""
				if b.units > 0 {
					unit = strconv.Itoa(u+1) + "单元"
				}
				// A sample of the unit's flats, in floor order.
				flats := w.rng.Perm(b.floors * 2)[:b.flats]
				slices.Sort(flats)
				for _, f := range flats {
					room := strconv.Itoa((f/2+1)*100 + f%2 + 1)
					h := w.add(LevelHousehold, building, unit+room)
					h.unit, h.room, h.areaDm2 = unit, room, area[f%2]
					w.households = append(w.households, h)
				}
			}
		}
	}
}

// fillHouseholds gives every household its people, by a shuffled mix of kinds.
func (w *demoWorld) fillHouseholds() {
	var kinds []householdKind
	for _, m := range demoHouseholdMix {
		for range m.count * len(w.households) / 120 {
			kinds = append(kinds, m.kind)
		}
	}
	for len(kinds) < len(w.households) {
		kinds = append(kinds, kindSingle)
	}
	w.rng.Shuffle(len(kinds), func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	for i, h := range w.households {
		h.people = w.household(kinds[i])
		w.protectedTags(h.people)
		for _, p := range h.people {
			w.givePhone(p)
		}
	}
}

// household makes the people of a household of the kind.
func (w *demoWorld) household(kind householdKind) []*demoPerson {
	switch kind {
	case kindElderlyAlone:
		// Women outlive men: most who live alone in old age are widows.
		p := w.person(w.between(68, 92), w.chance(0.65), "", false)
		if w.chance(0.8) {
			p.tag(TagElderlyAlone)
		}
		p.owner = w.chance(0.9)
		return []*demoPerson{p}
	case kindElderlyCouple:
		h := w.person(w.between(62, 88), false, "", true)
		wife := w.person(max(60, h.age-w.between(0, 5)), true, "", false)
		w.owners(0.5, 0.4, h, wife)
		return []*demoPerson{h, wife}
	case kindSingle:
		p := w.person(w.between(22, 58), w.chance(0.5), "", true)
		p.owner = w.chance(0.6)
		return []*demoPerson{p}
	case kindYoungCouple:
		h := w.person(w.between(25, 38), false, "", true)
		wife := w.person(max(23, h.age-w.between(0, 3)), true, "", false)
		w.owners(0.4, 0.35, h, wife) // the rest rent
		return []*demoPerson{h, wife}
	case kindFamily:
		h := w.person(w.between(30, 50), false, "", true)
		wife := w.person(max(26, h.age-w.between(0, 4)), true, "", false)
		people := []*demoPerson{h, wife}
		for range 1 + w.pick(0.3) {
			people = append(people, w.person(w.between(0, min(17, wife.age-23)), w.chance(0.5), h.surname, true))
		}
		w.owners(0.45, 0.45, h, wife)
		return people
	case kindThreeGen:
		h := w.person(w.between(32, 45), false, "", true)
		wife := w.person(max(28, h.age-w.between(0, 4)), true, "", false)
		child := w.person(w.between(0, min(14, wife.age-23)), w.chance(0.5), h.surname, true)
		grandma := w.person(min(90, max(60, h.age+w.between(24, 32))), true, "", false)
		people := []*demoPerson{h, wife, child, grandma}
		if w.chance(0.4) {
			grandpa := w.person(min(92, grandma.age+w.between(0, 4)), false, h.surname, true)
			people = append(people, grandpa)
			w.owners(0.5, 0.5, grandpa, grandma)
		} else {
			w.owners(0.5, 0.4, h, wife)
		}
		return people
	case kindSkipGen:
		grandpa := w.person(w.between(60, 75), false, "", true)
		grandma := w.person(max(58, grandpa.age-w.between(0, 4)), true, "", false)
		child := w.person(w.between(6, 14), w.chance(0.5), grandpa.surname, true)
		child.tag(TagLeftBehindChild)
		w.owners(0.5, 0.4, grandpa, grandma)
		return []*demoPerson{grandpa, grandma, child}
	}
	return nil
}

// owners makes both of a couple owners with probability both, one of them with
// probability one, and neither otherwise (they rent).
func (w *demoWorld) owners(both, one float64, a, b *demoPerson) {
	switch r := w.rng.Float64(); {
	case r < both:
		a.owner, b.owner = true, true
	case r < both+one:
		if w.chance(0.6) {
			a.owner = true
		} else {
			b.owner = true
		}
	}
}

// protectedTags adds the rarer tags: minimum income covers a whole household, the others
// one person.
func (w *demoWorld) protectedTags(people []*demoPerson) {
	if len(people) == 0 {
		return
	}
	poor := w.chance(0.06)
	for _, p := range people {
		if poor {
			p.tag(TagMinimumIncome)
		}
		if w.chance(0.02 + 0.03*float64(min(1, p.age/60))) {
			p.tag(TagDisabled)
		}
		if !p.female && p.age >= 60 && w.chance(0.12) {
			p.tag(TagVeteran)
		}
		// Special care for the frailest: the very old living alone, some of the disabled.
		if slices.Contains(p.tags, TagElderlyAlone) && p.age >= 85 && w.chance(0.5) ||
			slices.Contains(p.tags, TagDisabled) && w.chance(0.3) {
			p.tag(TagSpecialCare)
		}
	}
}

// givePhone gives p a mobile number as often as people of p's age have one.
func (w *demoWorld) givePhone(p *demoPerson) {
	share := 0.0
	switch {
	case p.age >= 80:
		share = 0.35
	case p.age >= 70:
		share = 0.7
	case p.age >= 18:
		share = 0.95
	case p.age >= 14:
		share = 0.5
	}
	if w.chance(share) {
		p.phone = w.phone()
	}
}

// Mobile prefixes of the three carriers.
var demoPhonePrefixes = strings.Fields(`130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158
	159 166 176 177 180 181 182 183 185 186 187 188 189 191 198 199`)

// phone returns a new mobile number, never one in the demo accounts' range 1380000xxxx.
func (w *demoWorld) phone() string {
	for {
		p := fmt.Sprintf("%s%08d", demoPhonePrefixes[w.rng.IntN(len(demoPhonePrefixes))], w.rng.IntN(100_000_000))
		if !strings.HasPrefix(p, "1380000") && !w.phones[p] {
			w.phones[p] = true
			return p
		}
	}
}

// person makes someone of the age with a name fitting their generation; surname "" picks one.
func (w *demoWorld) person(age int, female bool, surname string, paternal bool) *demoPerson {
	if surname == "" {
		surname = w.surname()
	}
	// Any day of the year that ends at the age's birthday: the person is age today.
	birth := time.Date(w.today.Year()-age, w.today.Month(), w.today.Day(), 0, 0, 0, 0, time.UTC).
		AddDate(0, 0, -w.rng.IntN(365))
	given := w.givenName(female, w.today.Year()-age)
	// Nobody else shares a demo account holder's name, so a search for it finds them.
	for slices.ContainsFunc(DemoAccounts, func(a DemoAccount) bool { return a.Name == surname+given }) {
		given = w.givenName(female, w.today.Year()-age)
	}
	return &demoPerson{surname: surname, given: given, paternal: paternal, female: female, age: age,
		birth: birth, verified: true}
}

// Surnames by how common they are in China (per mille, roughly).
var (
	demoSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈")
	demoWeights  = []int{71, 70, 68, 54, 46, 31, 25, 23, 20, 19, 14, 13, 12, 11, 11, 10, 9, 9, 9, 8, 8, 7, 6, 5, 5,
		5, 5, 5, 5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}
)

func (w *demoWorld) surname() string {
	total := 0
	for _, n := range demoWeights {
		total += n
	}
	r := w.rng.IntN(total)
	for i, n := range demoWeights {
		if r < n {
			return string(demoSurnames[i])
		}
		r -= n
	}
	panic("unreachable")
}

// Given names go in and out of fashion: each generation gets its own.
var demoGivenNames = [3][2][]string{
	// Born before 1965.
	{strings.Fields("建国 国强 建华 志明 德明 国华 振华 卫东 学军 永明 长顺 福生 宝山 树林 国庆 建军 德胜 广才 金山 有才 文明 玉林 明"),
		strings.Fields("秀英 桂兰 淑珍 玉兰 凤英 秀珍 桂英 玉梅 素芬 兰英 淑华 秀兰 桂芳 丽华 月娥 美华 金凤 春梅 玉珍 凤兰 芳")},
	// 1965–1994.
	{strings.Fields("伟 强 磊 军 勇 涛 斌 超 明 刚 志强 海波 建平 晓东 立新 文斌 俊杰 鹏 辉 宏伟 春雷 小龙 浩 亮 建伟 永刚"),
		strings.Fields("丽 静 敏 燕 艳 娟 霞 芳 丽娟 晓燕 海燕 婷 红梅 雪梅 玲 慧 小红 春燕 晓丽 莉 洁 红霞 丽萍")},
	// 1995 on.
	{strings.Fields("浩然 子轩 宇轩 浩宇 一鸣 俊熙 梓豪 博文 子墨 睿 昊天 宇航 嘉豪 思远 天佑 皓轩 铭 泽宇 奕辰 明哲"),
		strings.Fields("子涵 欣怡 梓萱 诗涵 雨桐 一诺 可馨 思彤 语汐 佳怡 梦瑶 雨萱 若曦 紫涵 婉清 心怡 欣然 嘉怡 悦 雅琪")},
}

func (w *demoWorld) givenName(female bool, born int) string {
	gen := 2
	if born < 1965 {
		gen = 0
	} else if born < 1995 {
		gen = 1
	}
	sex := 0
	if female {
		sex = 1
	}
	names := demoGivenNames[gen][sex]
	return names[w.rng.IntN(len(names))]
}

func (w *demoWorld) between(lo, hi int) int { return lo + w.rng.IntN(hi-lo+1) }
func (w *demoWorld) chance(p float64) bool  { return w.rng.Float64() < p }

// pick is 1 with probability p, else 0.
func (w *demoWorld) pick(p float64) int {
	if w.chance(p) {
		return 1
	}
	return 0
}

// find returns the one place a label such as "和平花园小区 / 2号楼" names: the last name is
// the place's, the others those of some of its ancestors, in order.
func (w *demoWorld) find(label string) (*demoPlace, error) {
	want := strings.Split(label, " / ")
	var found []*demoPlace
	for _, level := range placeLevels {
		for _, p := range w.byLevel[level] {
			if p.name == want[len(want)-1] && isSubsequence(want, p.names()) {
				found = append(found, p)
			}
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("place %q: %d places go by that name, want 1", label, len(found))
	}
	return found[0], nil
}

// isSubsequence reports whether all of sub appear in s in the same order.
func isSubsequence(sub, s []string) bool {
	for _, x := range s {
		if len(sub) > 0 && sub[0] == x {
			sub = sub[1:]
		}
	}
	return len(sub) == 0
}

// placeDemoResidents lets the demo account holders who live in the community take the
// place of a household member like them, in the first household of their home that has
// one and is not taken by another.
func (w *demoWorld) placeDemoResidents() error {
	taken := map[*demoPlace]bool{}
	for _, dh := range demoHomes {
		a := demoAccount(dh.phone)
		home, err := w.find(dh.home)
		if err != nil {
			return err
		}
		var stand *demoPerson
		var household *demoPlace
		for _, h := range w.households {
			if taken[h] || !h.within(home) {
				continue
			}
			for _, p := range h.people {
				if p.female == dh.female && p.age >= dh.minAge && p.age <= dh.maxAge && len(p.tags) == 0 {
					stand, household = p, h
					break
				}
			}
			if stand != nil {
				break
			}
		}
		if stand == nil {
			return fmt.Errorf("no household in %s has someone like %s to stand in for", dh.home, a.Name)
		}
		taken[household] = true
		surname, given := splitName(a.Name)
		if stand.paternal && !stand.female {
			// His children and father carry his family name.
			for _, p := range household.people {
				if p.paternal {
					p.surname = surname
				}
			}
		}
		owners := 0
		for _, p := range household.people {
			if p.owner {
				owners++
			}
		}
		stand.surname, stand.given = surname, given
		stand.phone, stand.account = a.Phone, true
		// Demo residents are owners where the household has room for one more, so that
		// owners' votes can be tried with them.
		stand.owner = stand.owner || owners < 2
	}
	return nil
}

// splitName splits a Chinese name into its one-character surname and given name.
func splitName(name string) (surname, given string) {
	r := []rune(name)
	return string(r[:1]), string(r[1:])
}

// demoAccount returns the demo account with the phone; the tables above must agree.
func demoAccount(phone string) DemoAccount {
	for _, a := range DemoAccounts {
		if a.Phone == phone {
			return a
		}
	}
	panic("demo: no demo account " + phone)
}

// addRegistrants adds the residents who registered themselves and wait to be verified.
func (w *demoWorld) addRegistrants() error {
	for _, label := range demoRegistrants {
		place, err := w.find(label)
		if err != nil {
			return err
		}
		var household *demoPlace
		for _, h := range w.households {
			if h.within(place) && (household == nil || len(household.people) > 0 && len(h.people) == 0) {
				household = h
			}
		}
		if household == nil {
			return fmt.Errorf("no household in %s", label)
		}
		p := w.person(w.between(22, 40), w.chance(0.5), "", true)
		p.phone, p.account, p.verified = w.phone(), true, false
		household.people = append(household.people, p)
		w.accounts = append(w.accounts, demoAccountRow{phone: p.phone, name: p.name()})
	}
	return nil
}

// insert writes the demo in tx, a statement per table (per level for places), the rows
// passed as arrays.
func (w *demoWorld) insert(ctx context.Context, tx *Tx, passwordHash string) error {
	now := tx.Now()
	if err := w.insertPlaces(ctx, tx, now); err != nil {
		return err
	}

	accountIDs := map[string]int64{}
	{
		phones, names := make([]string, len(w.accounts)), make([]string, len(w.accounts))
		for i, a := range w.accounts {
			phones[i], names[i] = a.phone, a.name
		}
		var rows []struct {
			ID    int64  `db:"id"`
			Phone string `db:"phone"`
		}
		if err := tx.SelectContext(ctx, &rows, `INSERT INTO accounts (phone, name, password_hash, created_at)
			SELECT p, n, $3, $4 FROM unnest($1::text[], $2::text[]) AS t (p, n)
			RETURNING id, phone`, pq.Array(phones), pq.Array(names), passwordHash, now); err != nil {
			return fmt.Errorf("accounts: %w", err)
		}
		for _, r := range rows {
			accountIDs[r.Phone] = r.ID
		}
	}

	var (
		households, accounts  []int64
		names, phones, births []string
		tags                  []string // comma-separated: unnest cannot take an array of arrays
		owners, verified      []bool
	)
	for _, h := range w.households {
		for _, p := range h.people {
			households = append(households, h.id)
			names = append(names, p.name())
			phones = append(phones, p.phone)
			births = append(births, p.birth.Format(time.DateOnly))
			owners = append(owners, p.owner)
			ts := make([]string, len(p.tags))
			for i, t := range p.tags {
				ts[i] = string(t)
			}
			tags = append(tags, strings.Join(ts, ","))
			var account int64
			if p.account {
				account = accountIDs[p.phone]
			}
			accounts = append(accounts, account)
			verified = append(verified, p.verified)
		}
	}
	// Demo residents are verified by nobody in particular (verified_by NULL).
	if _, err := tx.ExecContext(ctx, `INSERT INTO residents
			(household_id, name, phone, birth_date, is_owner, tags, account_id, verified_at, created_at)
		SELECT h, n, NULLIF(p, ''), b, o, string_to_array(t, ','), NULLIF(a, 0), CASE WHEN v THEN $9::timestamptz END, $9
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::date[], $5::bool[], $6::text[], $7::bigint[], $8::bool[])
			AS u (h, n, p, b, o, t, a, v)`,
		pq.Array(households), pq.Array(names), pq.Array(phones), pq.Array(births), pq.Array(owners),
		pq.Array(tags), pq.Array(accounts), pq.Array(verified), now); err != nil {
		return fmt.Errorf("residents: %w", err)
	}

	var grantAccounts, grantPlaces []int64
	var grantRoles []string
	grant := func(phone string, role Role, label string) error {
		p, err := w.find(label)
		if err != nil {
			return err
		}
		if !slices.Contains(grantLevels[role], p.level) {
			return fmt.Errorf("%s cannot be held at %s (%s)", role, label, p.level)
		}
		grantAccounts, grantRoles, grantPlaces = append(grantAccounts, accountIDs[phone]), append(grantRoles, string(role)), append(grantPlaces, p.id)
		return nil
	}
	for _, a := range DemoAccounts {
		if a.Role == demoResident {
			continue
		}
		if err := grant(a.Phone, Role(a.Role), a.Place); err != nil {
			return err
		}
	}
	for _, g := range demoExtraGrants {
		if err := grant(g.phone, g.role, g.place); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO role_grants (account_id, role, place_id, granted_at)
		SELECT a, r, p, $4 FROM unnest($1::bigint[], $2::role[], $3::bigint[]) AS u (a, r, p)`,
		pq.Array(grantAccounts), pq.Array(grantRoles), pq.Array(grantPlaces), now); err != nil {
		return fmt.Errorf("role grants: %w", err)
	}

	// The registrants signed up themselves, as Register records it. The database was empty,
	// so every unverified resident with an account is one of them.
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (at, action, actor_id, place_id, account_id, resident_id)
		SELECT $1, 'account_registered', r.account_id, r.household_id, r.account_id, r.id
		FROM residents r WHERE r.verified_at IS NULL AND r.account_id IS NOT NULL ORDER BY r.id`, now); err != nil {
		return fmt.Errorf("audit events: %w", err)
	}
	return nil
}

// insertPlaces inserts the places a level at a time, each level knowing its parents' ids.
// Rows are matched to what RETURNING gives back by parent and name, unique among siblings,
// as PostgreSQL does not promise to return rows in the order they were given.
func (w *demoWorld) insertPlaces(ctx context.Context, tx *Tx, now time.Time) error {
	type key struct {
		parent int64
		name   string
	}
	for _, level := range placeLevels {
		ps := w.byLevel[level]
		if len(ps) == 0 {
			continue
		}
		byKey := make(map[key]*demoPlace, len(ps))
		parents, areas := make([]int64, len(ps)), make([]int64, len(ps))
		names, units, rooms := make([]string, len(ps)), make([]string, len(ps)), make([]string, len(ps))
		for i, p := range ps {
			if p.parent != nil {
				parents[i] = p.parent.id
			}
			names[i], units[i], rooms[i], areas[i] = p.name, p.unit, p.room, p.areaDm2
			k := key{parents[i], p.name}
			if byKey[k] != nil {
				return fmt.Errorf("two places called %s in one place", p.name)
			}
			byKey[k] = p
		}
		var rows []struct {
			ID     int64  `db:"id"`
			Parent int64  `db:"parent"`
			Name   string `db:"name"`
		}
		if err := tx.SelectContext(ctx, &rows, `INSERT INTO places (level, parent_id, name, unit, room, floor_area_dm2, created_at)
			SELECT $1, NULLIF(p, 0), n, NULLIF(u, ''), NULLIF(r, ''), NULLIF(a, 0), $7
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::integer[]) AS t (p, n, u, r, a)
			RETURNING id, coalesce(parent_id, 0) AS parent, name`,
			level, pq.Array(parents), pq.Array(names), pq.Array(units), pq.Array(rooms), pq.Array(areas), now); err != nil {
			return fmt.Errorf("places (%s): %w", level, err)
		}
		if len(rows) != len(ps) {
			return fmt.Errorf("places (%s): %d inserted, want %d", level, len(rows), len(ps))
		}
		for _, r := range rows {
			byKey[key{r.Parent, r.Name}].id = r.ID
		}
	}
	return nil
}
