package demo

import (
	"linli/db"

	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
)

// Account is a demo sign-in, listed on start and in the README.
type Account struct {
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

// Password is the password of every demo account.
const Password = "linli2026"

// demoResident is the Role of a demo account that holds no role.
const demoResident = "resident"

// Accounts lists the demo sign-ins in a fixed order: resident, volunteer, party member,
// grid worker, building leader, community staff, council member, supervisor, analyst,
// admin, and the staff member of the second community, who shows that a role held in one
// community gives nothing in the other.
var Accounts = []Account{
	{demoResident, "居民", "13800000001", Password, "张秀英", "和平花园小区"},
	{string(db.RoleVolunteer), db.RoleVolunteer.Name(), "13800000002", Password, "李志强", "和平社区"},
	// An in-service party member (在职党员) registered with the community where he lives.
	{string(db.RolePartyMember), db.RolePartyMember.Name(), "13800000003", Password, "刘洋", "和平社区"},
	{string(db.RoleGridWorker), db.RoleGridWorker.Name(), "13800000004", Password, "王丽", "和平花园小区 / 第一网格"},
	{string(db.RoleBuildingLeader), db.RoleBuildingLeader.Name(), "13800000005", Password, "赵桂芳", "和平花园小区 / 2号楼"},
	{string(db.RoleStaff), db.RoleStaff.Name(), "13800000006", Password, "陈静", "和平社区"},
	{string(db.RoleCouncilMember), db.RoleCouncilMember.Name(), "13800000007", Password, "周国华", "和平社区"},
	{string(db.RoleSupervisor), db.RoleSupervisor.Name(), "13800000008", Password, "孙玉梅", "和平社区"},
	{string(db.RoleAnalyst), db.RoleAnalyst.Name(), "13800000009", Password, "吴昊", "幸福街道"},
	{string(db.RoleAdmin), db.RoleAdmin.Name(), "13800000010", Password, "郑伟", "幸福街道"},
	{string(db.RoleStaff), db.RoleStaff.Name(), "13800000011", Password, "黄敏", "光明社区"},
}

// demoExtraGrants are roles held besides the one Accounts names: party members commonly
// serve as volunteers too (党员志愿者).
var demoExtraGrants = []struct {
	phone string
	role  db.Role
	place string
}{
	{"13800000003", db.RoleVolunteer, "和平社区"},
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

// demoLandlordPhone is the demo account holder who owns two more flats than the one he lives in.
const demoLandlordPhone = "13800000007"

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

// Load fills an empty database with the demo community and reports whether it did; a
// database that already holds any place is left alone. Everything is made from a fixed
// random seed and the Store's clock, so the same clock gives the same demo.
func Load(ctx context.Context, s *db.Store) (loaded bool, err error) {
	return LoadParts(ctx, s, Wishes, Deliberation)
}

// LoadParts is Load with or without the wish board and the deliberation demo,
// whatever Wishes and Deliberation say: for a test that needs them while others
// running beside it do not.
func LoadParts(ctx context.Context, s *db.Store, wishes, deliberation bool) (loaded bool, err error) {
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
	hash, err := db.HashPassword(Password, s.Password)
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
	w, err := newDemoWorld(tx.Now(), wishes)
	if err != nil {
		return false, err
	}
	if err := w.insert(ctx, tx, hash, deliberation); err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	return true, nil
}

// demoPlace is a place of the demo, in the order it is inserted.
type demoPlace struct {
	level      db.PlaceLevel
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
	tags     []db.ResidentTag
	account  bool // has an account with the same phone
	verified bool
}

func (p *demoPerson) name() string { return p.surname + p.given }

func (p *demoPerson) tag(t db.ResidentTag) {
	if !slices.Contains(p.tags, t) {
		p.tags = append(p.tags, t)
	}
}

// demoWorld is the whole demo, made before anything is written.
type demoWorld struct {
	rng        *rand.Rand
	today      time.Time // the date in China
	byLevel    map[db.PlaceLevel][]*demoPlace
	phones     map[string]bool // every phone number handed out
	accounts   []demoAccountRow
	households []*demoPlace
	// The wish board, when Wishes: the volunteers who serve it, by key, and the wishes.
	volunteers map[string]*demoVolunteer
	wishes     []*demoWish
}

type demoAccountRow struct {
	phone, name string
}

// newDemoWorld makes the demo as of now.
func newDemoWorld(now time.Time, wishes bool) (*demoWorld, error) {
	w := &demoWorld{
		// A fixed seed: every empty database gets the same demo, so the README, the
		// tests and a colleague's screen agree.
		rng:     rand.New(rand.NewPCG(2026, 1123)),
		today:   now.In(db.China),
		byLevel: map[db.PlaceLevel][]*demoPlace{},
		phones:  map[string]bool{},
	}
	w.buildPlaces()
	w.fillHouseholds()
	for _, a := range Accounts {
		w.accounts = append(w.accounts, demoAccountRow{phone: a.Phone, name: a.Name})
		w.phones[a.Phone] = true
	}
	if err := w.placeDemoResidents(); err != nil {
		return nil, err
	}
	if err := w.addRegistrants(); err != nil {
		return nil, err
	}
	if wishes {
		// Last, so that everything above comes out the same with or without the wishes.
		if err := w.planWishes(now); err != nil {
			return nil, err
		}
	}
	return w, nil
}

func (w *demoWorld) add(level db.PlaceLevel, parent *demoPlace, name string) *demoPlace {
	p := &demoPlace{level: level, parent: parent, name: name}
	w.byLevel[level] = append(w.byLevel[level], p)
	return p
}

// buildPlaces lays out the tree from demoLayout.
func (w *demoWorld) buildPlaces() {
	sub := w.add(db.LevelSubdistrict, nil, demoSubdistrict)
	for _, c := range demoLayout {
		community := w.add(db.LevelCommunity, sub, c.name)
		if c.compound != "" {
			compound := w.add(db.LevelCompound, community, c.compound)
			w.buildGrids(compound, c.compoundGrids)
		}
		w.buildGrids(community, c.grids)
	}
}

func (w *demoWorld) buildGrids(parent *demoPlace, grids []demoGrid) {
	for _, g := range grids {
		grid := w.add(db.LevelGrid, parent, g.name)
		for _, b := range g.buildings {
			building := w.add(db.LevelBuilding, grid, b.name)
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
					h := w.add(db.LevelHousehold, building, unit+room)
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
			p.tag(db.TagElderlyAlone)
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
		child.tag(db.TagLeftBehindChild)
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
			p.tag(db.TagMinimumIncome)
		}
		if w.chance(0.02 + 0.03*float64(min(1, p.age/60))) {
			p.tag(db.TagDisabled)
		}
		if !p.female && p.age >= 60 && w.chance(0.12) {
			p.tag(db.TagVeteran)
		}
		// Special care for the frailest: the very old living alone, some of the disabled.
		if slices.Contains(p.tags, db.TagElderlyAlone) && p.age >= 85 && w.chance(0.5) ||
			slices.Contains(p.tags, db.TagDisabled) && w.chance(0.3) {
			p.tag(db.TagSpecialCare)
		}
	}
}

// PhoneShare is how many people of an age have a mobile number of their own.
func PhoneShare(age int) float64 {
	switch {
	case age >= 80:
		return 0.35
	case age >= 70:
		return 0.7
	case age >= 18:
		return 0.95
	case age >= 14:
		return 0.5
	}
	return 0
}

// givePhone gives p a mobile number as often as people of p's age have one.
func (w *demoWorld) givePhone(p *demoPerson) {
	if w.chance(PhoneShare(p.age)) {
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
	for slices.ContainsFunc(Accounts, func(a Account) bool { return a.Name == surname+given }) {
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

func (w *demoWorld) surname() string { return Surname(w.rng) }

// surnameTotal is the sum of demoWeights.
var surnameTotal = func() int {
	total := 0
	for _, n := range demoWeights {
		total += n
	}
	return total
}()

// Surname draws a surname, as common as it is in China; the demo and the generator share it.
func Surname(rng *rand.Rand) string {
	r := rng.IntN(surnameTotal)
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

func (w *demoWorld) givenName(female bool, born int) string { return GivenName(w.rng, female, born) }

// GivenName draws a given name in fashion in the year born.
func GivenName(rng *rand.Rand, female bool, born int) string {
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
	return names[rng.IntN(len(names))]
}

func (w *demoWorld) between(lo, hi int) int { return Between(w.rng, lo, hi) }
func (w *demoWorld) chance(p float64) bool  { return Chance(w.rng, p) }

// Between draws a whole number from lo to hi, both included.
func Between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// Chance is true with probability p.
func Chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

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
	for _, level := range db.PlaceLevels() {
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
func demoAccount(phone string) Account {
	for _, a := range Accounts {
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
func (w *demoWorld) insert(ctx context.Context, tx *db.Tx, passwordHash string, deliberation bool) error {
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
	// Demo residents are verified by nobody in particular (verified_by NULL). Owners own
	// their household's flat (household_owners), a couple often together, since they
	// bought it some five years ago (before any of the demo's meetings). So that the owners'
	// count shows the law at work, 周国华 (council member) also owns the first two flats of
	// his compound that nobody living there owns (he lets them): one head holding three
	// flats' area; the next three are the developer's, unsold, one head together.
	if _, err := tx.ExecContext(ctx, `WITH u AS (
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::date[], $5::bool[], $6::text[], $7::bigint[], $8::bool[])
				AS u (h, n, p, b, o, t, a, v)),
		r AS (INSERT INTO residents (household_id, name, phone, birth_date, tags, account_id, verified_at, created_at)
			SELECT h, n, NULLIF(p, ''), b, string_to_array(t, ','), NULLIF(a, 0), CASE WHEN v THEN $9::timestamptz END, $9 FROM u
			RETURNING id, household_id, name, birth_date, account_id),
		home AS (SELECT r.id, c.id AS compound FROM r JOIN accounts a ON a.id = r.account_id
			JOIN places h ON h.id = r.household_id JOIN places c ON c.id = ANY (h.path) AND c.level = 'compound'
			WHERE a.phone = $10),
		free AS (SELECT h.id, row_number() OVER (ORDER BY h.id) AS k FROM places h, home
			WHERE h.level = 'household' AND h.path @> ARRAY[home.compound] AND NOT EXISTS (SELECT 1 FROM u WHERE u.h = h.id AND u.o))
		INSERT INTO household_owners (household_id, resident_id, since)
		SELECT household_id, resident_id, ($9::timestamptz AT TIME ZONE 'Asia/Shanghai')::date - 5 * 365 FROM (
			SELECT r.household_id, r.id AS resident_id FROM r JOIN u ON u.h = r.household_id AND u.n = r.name AND u.b = r.birth_date WHERE u.o
			UNION ALL
			SELECT f.id, CASE WHEN f.k <= 2 THEN home.id END FROM free f, home WHERE f.k <= 5) x
		ORDER BY household_id, resident_id`,
		pq.Array(households), pq.Array(names), pq.Array(phones), pq.Array(births), pq.Array(owners),
		pq.Array(tags), pq.Array(accounts), pq.Array(verified), now, demoLandlordPhone); err != nil {
		return fmt.Errorf("residents: %w", err)
	}

	var grantAccounts, grantPlaces []int64
	var grantRoles []string
	grant := func(phone string, role db.Role, label string) error {
		p, err := w.find(label)
		if err != nil {
			return err
		}
		if !slices.Contains(db.GrantLevels(role), p.level) {
			return fmt.Errorf("%s cannot be held at %s (%s)", role, label, p.level)
		}
		grantAccounts, grantRoles, grantPlaces = append(grantAccounts, accountIDs[phone]), append(grantRoles, string(role)), append(grantPlaces, p.id)
		return nil
	}
	for _, a := range Accounts {
		if a.Role == demoResident {
			continue
		}
		if err := grant(a.Phone, db.Role(a.Role), a.Place); err != nil {
			return err
		}
	}
	for _, g := range demoExtraGrants {
		if err := grant(g.phone, g.role, g.place); err != nil {
			return err
		}
	}
	for _, key := range slices.Sorted(maps.Keys(w.volunteers)) {
		v := w.volunteers[key]
		if err := grant(v.person.phone, db.RoleVolunteer, v.community.name); err != nil {
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
	if err := w.insertWishes(ctx, tx, accountIDs); err != nil {
		return err
	}
	if err := w.insertOrgs(ctx, tx, passwordHash); err != nil {
		return err
	}
	if err := w.insertReports(ctx, tx, passwordHash, accountIDs); err != nil {
		return err
	}
	if err := w.insertVisits(ctx, tx, accountIDs); err != nil {
		return err
	}
	if err := w.insertProjects(ctx, tx); err != nil {
		return err
	}
	if !deliberation {
		return nil
	}
	return w.insertDeliberation(ctx, tx, accountIDs)
}

// insertPlaces inserts the places a level at a time, each level knowing its parents' ids.
// Rows are matched to what RETURNING gives back by parent and name, unique among siblings,
// as PostgreSQL does not promise to return rows in the order they were given.
func (w *demoWorld) insertPlaces(ctx context.Context, tx *db.Tx, now time.Time) error {
	type key struct {
		parent int64
		name   string
	}
	for _, level := range db.PlaceLevels() {
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

// Wishes says whether Load fills the micro-wish board (微心愿): some forty wishes in
// every state, with their claims, timelines and ledger, and the volunteers who serve them.
// Tests whose figures count on an empty board switch it off.
var Wishes = true

// demoVolunteer is a resident the demo registers as a volunteer of their community.
type demoVolunteer struct {
	person    *demoPerson
	community *demoPlace
}

// demoVolunteerSpecs are the residents who volunteer besides the demo accounts: where they
// live and their age; keys name them in demoWishSpecs.
var demoVolunteerSpecs = []struct {
	key, home      string
	minAge, maxAge int
}{
	{"h1", "和平花园小区 / 第二网格", 52, 64}, // a retired neighbour
	{"h2", "和平花园小区 / 第一网格", 28, 45},
	{"h3", "老街网格", 19, 30}, // a student
	{"g1", "光明社区 / 第一网格", 40, 62},
	{"g2", "光明社区 / 第二网格", 22, 40},
}

// demoWho is whom a wish is for.
type demoWho int

const (
	whoElderly      demoWho = iota // 65 or over
	whoElderlyAlone                // 65 or over, living alone
	whoGrandparent                 // 58 or over, living with a child under 15
	whoChild                       // 7 to 15
	whoDisabled                    // tagged disabled, or 75 or over
	whoCouple                      // 60 or over, living with a spouse of about that age
	whoLeftBehind                  // a left-behind child (留守儿童)
)

// demoWishSpec is one wish of the demo board and its story so far. Times are relative to
// now: created days ago, deadline days ahead (negative: past); steps in between fall at
// seeded random times unless given.
type demoWishSpec struct {
	home  string // label of the place the beneficiary lives in
	who   demoWho
	ages  [2]int // narrower ages, if any
	self  bool   // submitted by the beneficiary, who has an account; else by the grid worker or staff for them (代办)
	grid  bool   // shown in the beneficiary's grid only, else community-wide
	state db.WishState

	category           db.WishCategory
	title, description string
	valueFen           int // 0: none

	created, deadline float64 // days
	thursday          bool    // deadline: noon of the coming Thursday, China time

	// fromPublished: a cancelled wish was published first. confirmed: a closed wish was
	// confirmed (and credited) before the dispute.
	fromPublished, confirmed bool
	// An earlier claim that ended: "lapsed" or "released" (priorReason), by priorClaimer.
	prior, priorClaimer, priorReason string
	// claimer: a demo phone or a demoVolunteerSpecs key. claimedAgo, fulfilledAgo: hours.
	claimer                  string
	claimedAgo, fulfilledAgo float64
	note                     string // fulfilment
	minutes                  int    // fulfilment; 0: by category
	rating                   int
	comment                  string
	// reason: of the rejection, cancellation or dispute; settleNote: of the settlement.
	reason, settleNote string
}

const (
	demoVolunteerPhone = "13800000002"
	demoPartyPhone     = "13800000003"
	demoGridPhone      = "13800000004"
)

// demoStaffPhones are the staff of each community, who review, enter wishes for residents
// and settle disputes.
var demoStaffPhones = map[string]string{"和平社区": "13800000006", "光明社区": "13800000011"}

// demoWishSpecs is the board. The published wishes of 和平社区 are all open to the demo
// volunteer and party member; two are due within a day, as are two claims, so the feed's
// order and the staff's lapsing queue show something. The demo volunteer holds no claim
// (he can claim three), the party member two.
var demoWishSpecs = []demoWishSpec{
	// Waiting for review.
	{home: "和平花园小区 / 第一网格", who: whoElderlyAlone, grid: true, state: db.WishSubmitted, category: "paperwork",
		title: "帮忙在手机上办理医保认证", created: 0.3, deadline: 12,
		description: "老人独居，不会用智能手机，每年的医保待遇资格认证一直是邻居帮忙。今年邻居搬走了，想请志愿者上门帮忙用手机完成认证，顺便教一教怎么操作。"},
	{home: "老街网格", who: whoCouple, self: true, state: db.WishSubmitted, category: "repair",
		title: "卫生间的灯不亮了", created: 0.8, deadline: 7,
		description: "卫生间顶灯不亮，换了灯泡也不行，可能是开关坏了。家里只有我和老伴，爬不了梯子，想请懂电的志愿者帮忙看看。"},
	{home: "光明社区 / 第二网格", who: whoElderlyAlone, state: db.WishSubmitted, category: "companionship",
		title: "独居老人想有人陪着聊聊天", created: 0.5, deadline: 20,
		description: "老人八十多岁了，子女都在外地，平时一个人在家，话越来越少。希望每周有志愿者上门陪老人聊聊天、读读报，一次一个小时左右就好。"},
	{home: "光明社区 / 第一网格", who: whoGrandparent, state: db.WishSubmitted, category: "goods", valueFen: 12000,
		title: "孙子缺学习用品", created: 1.2, deadline: 15,
		description: "孙子上小学四年级，书包背带断了，文具也不全，想要一个书包和一套文具（铅笔、橡皮、尺子、练习本）。"},

	// On the board.
	{home: "和平花园小区 / 第一网格", who: whoElderlyAlone, grid: true, state: db.WishPublished, category: "escort",
		title: "周四需要人陪同去医院复查", created: 2.2, thursday: true,
		description: "老人上个月做了白内障手术，周四上午要去市第一人民医院眼科复查。一个人看不清路，也不会在机器上挂号取号，想请一位志愿者陪同往返，大约半天。"},
	{home: "和平花园小区 / 第二网格", who: whoElderly, state: db.WishPublished, category: "repair",
		title: "厨房水龙头漏水", created: 3.5, deadline: 5,
		description: "厨房水龙头关不严，一直滴水，晚上滴答声吵得睡不着，水费也多了。新龙头已经买好了，需要有人帮忙换上。"},
	{home: "老街网格", who: whoDisabled, state: db.WishPublished, category: "goods", valueFen: 18000,
		title: "想要一个带座椅的助行器", created: 6, deadline: 14,
		description: "老人去年摔了一跤，腿脚不灵便，下楼买菜、晒太阳都很吃力。想要一个带座椅的四轮助行器，走累了可以坐下歇一歇。"},
	{home: "和平社区", who: whoChild, ages: [2]int{8, 9}, state: db.WishPublished, category: "tutoring",
		title: "三年级孩子想找人辅导数学", created: 4, deadline: 18,
		description: "孩子上三年级，家里大人辅导不了，作业里的应用题常常不会做。希望有志愿者每周两个晚上（七点到八点）在社区活动室辅导一下数学。"},
	{home: "和平花园小区 / 第一网格", who: whoElderlyAlone, grid: true, state: db.WishPublished, category: "goods", valueFen: 15000,
		title: "明天降温，想要一床厚棉被", created: 0.2, deadline: 0.75,
		description: "天气预报说明天开始降温，老人家里的被子太薄，旧棉被已经结块了。想要一床厚一点的棉被，今天能送到最好。"},
	{home: "和平花园小区 / 第二网格", who: whoCouple, self: true, state: db.WishPublished, category: "escort",
		title: "明早需要人陪同去抽血", created: 0.4, deadline: 0.67,
		description: "明天早上要空腹抽血查血糖，七点半之前要到社区卫生服务中心。老伴腿脚不好不能陪，想请一位志愿者陪我去，抽完血就回来。"},
	{home: "老街网格", who: whoElderly, state: db.WishPublished, category: "companionship",
		title: "想请人陪老人下下象棋", created: 9, deadline: 10, prior: "lapsed", priorClaimer: "h3",
		description: "老人退休前是厂里的象棋冠军，现在老伙伴们走的走、搬的搬，一个人在家闷得慌。想请会下象棋的志愿者每周来陪老人下两盘。"},
	{home: "和平花园小区 / 第二网格", who: whoElderly, state: db.WishPublished, category: "paperwork",
		title: "帮忙申请高龄津贴", created: 5, deadline: 9,
		description: "老人今年满八十岁，可以申请高龄津贴，但要在手机上填表、上传身份证和户口本的照片。想请志愿者上门帮忙把材料拍好、把表填完。"},
	{home: "光明社区 / 第一网格", who: whoCouple, self: true, state: db.WishPublished, category: "goods", valueFen: 45000,
		title: "想要一台轮椅", created: 3, deadline: 14,
		description: "老伴中风后行动不便，出门看病只能靠邻居背。想要一台轻便、能折叠的轮椅，方便推老伴下楼晒晒太阳、去医院复查。"},
	{home: "光明社区 / 第二网格", who: whoElderly, state: db.WishPublished, category: "repair",
		title: "卧室窗户关不严漏风", created: 2, deadline: 6,
		description: "卧室窗户的合页松了，关不严，冬天冷风直往里灌。想请志愿者帮忙紧一紧合页、贴上密封条。"},

	// Rejected and cancelled.
	{home: "和平花园小区 / 第二网格", who: whoElderly, self: true, state: db.WishRejected, category: "goods", valueFen: 50000,
		title: "想换一台新电视机", created: 12, deadline: 30,
		description: "家里的电视用了十几年，画面发暗，想换一台五十五寸的智能电视。",
		reason:      "微心愿帮的是生活中急需的小事，换新电视不在范围内。如果电视只是出了故障，可以再提交一个维修心愿，我们请志愿者上门看看。"},
	{home: "老街网格", who: whoElderly, self: true, state: db.WishRejected, category: "repair",
		title: "楼顶漏雨，屋里墙皮都泡了", created: 16, deadline: 20,
		description: "下雨时顶楼天花板渗水，墙皮一块块往下掉，想请人把楼顶的防水修一修。",
		reason:      "屋面防水属于楼栋公共部位维修，要动用维修资金，已转为议题提交居民议事会讨论，不作为微心愿发布。社区这两天会先派人上门查看。"},
	{home: "光明社区 / 第一网格", who: whoCouple, self: true, state: db.WishRejected, category: "other",
		title: "想借社区活动室办寿宴", created: 20, deadline: 25,
		description: "下个月老伴八十大寿，家里地方小，想借社区活动室摆几桌，请亲戚邻居热闹一下。",
		reason:      "社区活动室不能出借用于私人宴请，这是活动室的管理规定。可以问问附近的老年食堂，有小包间可以预订。"},
	{home: "和平花园小区 / 第一网格", who: whoElderlyAlone, state: db.WishCancelled, category: "goods", valueFen: 8000,
		title: "想要一条电热毯", created: 8, deadline: 10,
		description: "老人怕冷，晚上脚总是冰凉，想要一条单人电热毯。",
		reason:      "老人的女儿周末回来，已经买好送来了。"},
	{home: "和平花园小区 / 第二网格", who: whoElderly, self: true, state: db.WishCancelled, category: "escort", fromPublished: true,
		title: "周末需要人陪同去银行", created: 6, deadline: 4,
		description: "存折到期了，要去银行柜台办理，路有点远，想请人陪着去一趟。",
		reason:      "儿子周末回来，他陪我去。谢谢大家。"},
	{home: "光明社区 / 第二网格", who: whoElderly, self: true, state: db.WishCancelled, category: "tutoring",
		title: "想学用手机和孙子视频", created: 10, deadline: 12,
		description: "孙子在外地上大学，想学会用手机跟他视频通话。"},

	// Claimed: the party member holds two; one claim is due within a day here and one in 光明社区.
	{home: "和平花园小区 / 第一网格", who: whoElderlyAlone, grid: true, state: db.WishClaimed, category: "repair",
		title: "暖气片不热，想请人帮忙放放气", created: 2, deadline: 6, claimer: demoPartyPhone, claimedAgo: 22,
		description: "供暖以后卧室的暖气片上半截是凉的，听说要放气，老人自己不会弄，也怕弄得一地水。"},
	{home: "老街网格", who: whoElderly, state: db.WishClaimed, category: "paperwork",
		title: "帮忙预约老年证换证", created: 3, deadline: 10, claimer: demoPartyPhone, claimedAgo: 30,
		description: "老人的老年优待证快到期了，换证要在网上预约，老人没有智能手机，想请志愿者帮忙预约并陪着去办。"},
	{home: "和平花园小区 / 第二网格", who: whoElderly, self: true, state: db.WishClaimed, category: "goods", valueFen: 16000,
		title: "想要一个电子血压计", created: 4, deadline: 8, claimer: "h1", claimedAgo: 56,
		description: "医生让我每天早晚量血压，家里的水银血压计我一个人用不好，想要一个电子血压计。"},
	{home: "和平花园小区 / 第一网格", who: whoElderly, state: db.WishClaimed, category: "companionship",
		title: "想有人陪着去公园晒晒太阳", created: 6, deadline: 9, claimer: "h2", claimedAgo: 8,
		prior: "released", priorClaimer: "h3", priorReason: "这周学校临时安排了考试，抽不出时间，抱歉，请其他志愿者帮忙。",
		description: "老人腿脚不好，一个人下不了楼，天气好的时候想出去晒晒太阳、活动活动。想请人扶着下楼，在小区花园里走一走，每次一个多小时就好。"},
	{home: "光明社区 / 第一网格", who: whoElderly, state: db.WishClaimed, category: "escort",
		title: "需要人陪同去医院开药", created: 3, deadline: 0.83, claimer: "g1", claimedAgo: 30,
		description: "老人每个月要去区医院开一次降压药，这个月的药明天就吃完了，子女都在外地，想请志愿者陪同去一趟。"},
	{home: "光明社区", who: whoLeftBehind, ages: [2]int{6, 7}, state: db.WishClaimed, category: "tutoring",
		title: "留守孩子想找人辅导拼音", created: 5, deadline: 12, claimer: "g2", claimedAgo: 45,
		description: "孩子刚上一年级，父母在外地打工，跟着爷爷奶奶生活。拼音总是读不准、拼不对，爷爷奶奶普通话不好，也教不了。希望有志愿者周末辅导一下。"},

	// Done, waiting for the beneficiary to confirm.
	{home: "和平花园小区 / 第二网格", who: whoElderly, state: db.WishFulfilled, category: "repair",
		title: "阳台晾衣架摇不动了", created: 5, deadline: 7, claimer: demoPartyPhone, fulfilledAgo: 26,
		description: "阳台的手摇晾衣架摇到一半就卡住了，衣服晾不上去，老人够不着。",
		note:        "晾衣架的钢丝绳脱槽卡住了，重新装好并上了点油，摇起来很顺。提醒老人一次别挂太多湿衣服。"},
	{home: "老街网格", who: whoElderly, self: true, state: db.WishFulfilled, category: "goods", valueFen: 5000,
		title: "想要一副老花镜", created: 4, deadline: 10, claimer: "h2", fulfilledAgo: 6,
		description: "原来的老花镜摔坏了，看报纸、看药盒上的字都费劲，想要一副三百度的老花镜。",
		note:        "买了一副三百度的老花镜送到家里，老人试戴看报纸很清楚。"},
	{home: "光明社区 / 第一网格", who: whoElderlyAlone, state: db.WishFulfilled, category: "companionship",
		title: "想请人来读读报纸", created: 6, deadline: 12, claimer: "g2", fulfilledAgo: 30,
		description: "老人眼睛不好，看不了报纸，又想知道外面的新鲜事，想请人上门读读报、说说话。",
		note:        "上门陪老人两个小时，读了这几天的报纸，还聊了聊社区最近的新鲜事。老人说下周还想有人来。"},

	// Confirmed and credited.
	{home: "和平花园小区 / 第一网格", who: whoElderlyAlone, grid: true, state: db.WishConfirmed, category: "paperwork",
		title: "帮忙在手机上做养老金资格认证", created: 26, deadline: -10, claimer: demoVolunteerPhone,
		description: "老人每年要做一次养老金领取资格认证，今年要求在手机上刷脸，老人不会操作。",
		note:        "上门帮老人在手机上完成了刷脸认证，截图留存，又教了两遍怎么操作。", rating: 5,
		comment: "老人说小伙子很耐心，一步一步教，明年想试试自己弄。"},
	{home: "老街网格", who: whoElderly, self: true, state: db.WishConfirmed, category: "repair",
		title: "卫生间下水道堵了", created: 19, deadline: -12, claimer: demoVolunteerPhone,
		description: "卫生间地漏堵了，洗澡的水下不去，用了疏通剂也没用。",
		note:        "拆开地漏清出一大团头发，疏通后放水测试正常，换了一个防臭地漏芯。", rating: 4,
		comment: "疏通好了，就是比约好的时间来晚了一点，还是很感谢。"},
	{home: "和平花园小区 / 第二网格", who: whoElderly, state: db.WishConfirmed, category: "escort",
		title: "陪同老人去医院做检查", created: 22, deadline: -14, claimer: demoPartyPhone, minutes: 210,
		description: "老人要去市中心医院做胃镜，需要家属陪同签字，子女都在外地。",
		note:        "陪同老人做完胃镜检查，帮忙取号、缴费、取报告，送回家。报告已拍照发给老人的女儿。", rating: 5,
		comment: "女儿打电话来说特别感谢，多亏了刘洋。"},
	{home: "和平花园小区 / 第一网格", who: whoChild, state: db.WishConfirmed, category: "goods", valueFen: 9000,
		title: "孩子写作业想要一盏护眼台灯", created: 15, deadline: -2, claimer: demoPartyPhone,
		description: "孩子晚上在饭桌上写作业，灯光昏暗，想要一盏护眼台灯。",
		note:        "送去一盏护眼台灯，帮忙摆好、调好高度。", rating: 5, comment: "孩子很喜欢，说写作业不累眼睛了。"},
	{home: "和平社区", who: whoChild, ages: [2]int{13, 14}, state: db.WishConfirmed, category: "tutoring",
		title: "初二孩子物理跟不上", created: 24, deadline: -9, claimer: "h3", minutes: 120,
		description: "孩子上初二，刚开始学物理，力学部分听不懂，家长也辅导不了。",
		note:        "在社区活动室讲了两次课，讲了力和运动的基础，孩子把错题都订正了。", rating: 5,
		comment: "讲得很清楚，孩子说比课上好懂。"},
	{home: "光明社区 / 第一网格", who: whoElderly, self: true, state: db.WishConfirmed, category: "repair",
		title: "防盗门锁坏了打不开", created: 11, deadline: 2, claimer: "g1",
		description: "防盗门的锁芯转不动了，钥匙插进去拧不开，现在只能从里面反锁。",
		note:        "锁芯老化卡死，换了一个新的 C 级锁芯，配了三把钥匙。", rating: 5, comment: "当天就修好了，太及时了。"},
	{home: "光明社区 / 第二网格", who: whoElderlyAlone, state: db.WishConfirmed, category: "goods", valueFen: 22000,
		title: "想要一台小电暖器", created: 17, deadline: -5, claimer: "g2",
		description: "老人住一楼，屋里阴冷，暖气不太热，想要一台小电暖器放在卧室。",
		note:        "送去一台小型油汀电暖器，教老人怎么调档位，提醒不要在上面搭衣服。", rating: 4,
		comment: "暖和多了，就是电费有点担心。"},
	{home: "和平花园小区 / 第二网格", who: whoCouple, state: db.WishConfirmed, category: "other",
		title: "帮忙把旧衣柜搬下楼", created: 13, deadline: -1, claimer: "h1", minutes: 90,
		description: "家里换了新衣柜，旧的太重，老两口搬不动，想请人帮忙拆开搬到楼下的大件垃圾点。",
		note:        "和家人一起把旧衣柜拆开，分三趟搬到楼下大件垃圾点。", rating: 5, comment: "帮了大忙。"},

	// Disputed, waiting for staff.
	{home: "和平花园小区 / 第一网格", who: whoElderly, state: db.WishDisputed, category: "repair",
		title: "马桶水箱一直漏水", created: 7, deadline: 5, claimer: "h2",
		description: "马桶水箱一直往下流水，晚上能听到哗哗的声音。",
		note:        "换了水箱的进水阀和密封圈，试了几次不漏了。",
		reason:      "老人反映换了配件第二天又开始漏水，晚上还是能听到水声，问题没有解决。"},
	{home: "光明社区 / 第一网格", who: whoElderly, self: true, state: db.WishDisputed, category: "goods", valueFen: 6000,
		title: "想要一个保温饭盒", created: 9, deadline: 3, claimer: "g2",
		description: "每天中午去老年食堂打饭带回家，走到家饭就凉了，想要一个保温饭盒。",
		note:        "送去一个三层的保温饭盒。",
		reason:      "送来的饭盒盖子扣不紧，一拎就洒，没法用。"},

	// Closed: one credited, disputed and reversed; one never credited.
	{home: "和平花园小区 / 第二网格", who: whoElderly, self: true, state: db.WishClosed, category: "escort", confirmed: true,
		title: "陪同去区医院取检查报告", created: 21, deadline: -13, claimer: "h3", minutes: 150,
		description: "上周在区医院做的检查，报告要本人或家属去窗口取，想请人陪我去一趟。",
		note:        "陪同老人去区医院取了检查报告。", rating: 5, comment: "谢谢。",
		reason:     "我想起来了，那天志愿者临时有事没来，报告是我自己打车去取的，当时点错了确认。",
		settleNote: "经电话核实，当天志愿者临时有事未能陪同，报告由老人自行取回。按未完成处理，撤销已记入的服务时长和积分。"},
	{home: "光明社区 / 第二网格", who: whoElderly, state: db.WishClosed, category: "repair",
		title: "暖气阀门拧不动", created: 14, deadline: -4, claimer: "g1",
		description: "卧室暖气的阀门锈死了，拧不动，屋里太热，想关小一点。",
		note:        "阀门锈死，喷了除锈剂也拧不动，没敢硬拧。",
		reason:      "阀门还是拧不动，志愿者说办好了，其实没有修好。",
		settleNote:  "暖气阀门属于供热公司的维修范围，志愿者无法处理，已联系供热公司上门。本心愿结束，不计服务时长。"},
}

// demoWish is a wish of the demo as planned, before it is written.
type demoWish struct {
	spec                       *demoWishSpec
	beneficiary                *demoPerson
	household, place           *demoPlace
	community                  *demoPlace
	submitter                  string // phones, as accounts are known by until inserted
	deadline, created, updated time.Time
	events                     []demoEvent
	claims                     []demoClaim // oldest first; the last is the wish's claim
	minutes                    int
	fulfilled, confirmed       time.Time // zero: not
	credit, reversal           time.Time // ledger entries, zero: none
	id                         int64     // once inserted
}

type demoEvent struct {
	at       time.Time
	action   db.WishAction
	actor    string // phone; "" for the system
	from, to db.WishState
	reason   string
}

type demoClaim struct {
	claimer        string
	at, due, ended time.Time // ended zero: active
	endReason      string
}

// demoMinutes are the lengths of service the demo's volunteers report, by category.
var demoMinutes = map[db.WishCategory][]int{
	"goods": {30, 45, 60}, "repair": {45, 60, 90, 120}, "companionship": {60, 90, 120},
	"escort": {150, 180, 240}, "tutoring": {60, 90, 120}, "paperwork": {30, 45, 60}, "other": {60, 90},
}

// planWishes registers the volunteers and lays out the wish board as of now.
func (w *demoWorld) planWishes(now time.Time) error {
	now = now.Truncate(time.Second)
	// Households with an account holder in them give neither volunteers nor beneficiaries:
	// the demo accounts' and volunteers' own households stay out of the board, so that every
	// published wish is one they may claim.
	taken := map[*demoPlace]bool{}
	for _, h := range w.households {
		for _, p := range h.people {
			if p.account {
				taken[h] = true
			}
		}
	}
	w.volunteers = map[string]*demoVolunteer{}
	for _, vs := range demoVolunteerSpecs {
		home, err := w.find(vs.home)
		if err != nil {
			return err
		}
		var people []*demoPerson
		var households []*demoPlace
		for _, h := range w.households {
			if taken[h] || !h.within(home) {
				continue
			}
			for _, p := range h.people {
				if p.age >= vs.minAge && p.age <= vs.maxAge && p.phone != "" && p.verified && len(p.tags) == 0 {
					people, households = append(people, p), append(households, h)
				}
			}
		}
		if len(people) == 0 {
			return fmt.Errorf("no one in %s to volunteer (%d to %d years old)", vs.home, vs.minAge, vs.maxAge)
		}
		i := w.rng.IntN(len(people))
		p := people[i]
		p.account, taken[households[i]] = true, true
		w.accounts = append(w.accounts, demoAccountRow{phone: p.phone, name: p.name()})
		w.volunteers[vs.key] = &demoVolunteer{person: p, community: households[i].up(db.LevelCommunity)}
	}
	used := map[*demoPlace]bool{} // households with a wish already
	for i := range demoWishSpecs {
		dw, err := w.planWish(&demoWishSpecs[i], now, taken, used)
		if err != nil {
			return fmt.Errorf("wish %s: %w", demoWishSpecs[i].title, err)
		}
		w.wishes = append(w.wishes, dw)
	}
	return nil
}

// up returns the place of the level that p lies in, or nil.
func (p *demoPlace) up(level db.PlaceLevel) *demoPlace {
	for ; p != nil; p = p.parent {
		if p.level == level {
			return p
		}
	}
	return nil
}

// fits reports whether p, of household h, is someone the wish could be for.
func fits(s *demoWishSpec, p *demoPerson, h *demoPlace) bool {
	if s.ages != [2]int{} && (p.age < s.ages[0] || p.age > s.ages[1]) {
		return false
	}
	switch s.who {
	case whoElderly:
		return p.age >= 65
	case whoElderlyAlone:
		return p.age >= 65 && len(h.people) == 1
	case whoGrandparent:
		return p.age >= 58 && slices.ContainsFunc(h.people, func(c *demoPerson) bool { return c.age < 15 })
	case whoChild:
		return p.age >= 7 && p.age <= 15
	case whoDisabled:
		return slices.Contains(p.tags, db.TagDisabled) || p.age >= 75
	case whoCouple:
		return p.age >= 60 && len(h.people) == 2 && h.people[0].age >= 58 && h.people[1].age >= 58
	case whoLeftBehind:
		return slices.Contains(p.tags, db.TagLeftBehindChild)
	}
	return false
}

// beneficiary picks whom the wish is for: someone who fits, outside the households of the
// demo accounts and the volunteers (taken), preferably in one with no wish yet.
func (w *demoWorld) beneficiary(s *demoWishSpec, taken, used map[*demoPlace]bool) (*demoPerson, *demoPlace, error) {
	home, err := w.find(s.home)
	if err != nil {
		return nil, nil, err
	}
	type candidate struct {
		p *demoPerson
		h *demoPlace
	}
	var fresh, all []candidate
	for _, h := range w.households {
		if taken[h] || !h.within(home) {
			continue
		}
		for _, p := range h.people {
			if fits(s, p, h) && p.verified && (!s.self || p.phone != "") {
				all = append(all, candidate{p, h})
				if !used[h] {
					fresh = append(fresh, candidate{p, h})
				}
			}
		}
	}
	if len(fresh) > 0 {
		all = fresh
	}
	if len(all) == 0 {
		return nil, nil, fmt.Errorf("nobody in %s fits", s.home)
	}
	c := all[w.rng.IntN(len(all))]
	used[c.h] = true
	return c.p, c.h, nil
}

// phoneOf is the phone of a demo account or of a volunteer by key.
func (w *demoWorld) phoneOf(who string) (string, error) {
	if v := w.volunteers[who]; v != nil {
		return v.person.phone, nil
	}
	if slices.ContainsFunc(Accounts, func(a Account) bool { return a.Phone == who }) {
		return who, nil
	}
	return "", fmt.Errorf("no volunteer %q", who)
}

// planWish works out whom the wish is for, who did what and when.
func (w *demoWorld) planWish(s *demoWishSpec, now time.Time, taken, used map[*demoPlace]bool) (*demoWish, error) {
	if s.description == "" || s.title == "" {
		return nil, fmt.Errorf("no title or description")
	}
	p, h, err := w.beneficiary(s, taken, used)
	if err != nil {
		return nil, err
	}
	dw := &demoWish{spec: s, beneficiary: p, household: h, community: h.up(db.LevelCommunity), place: h.up(db.LevelCommunity)}
	if s.grid {
		dw.place = h.up(db.LevelGrid)
	}
	gridWorker, err := w.find(demoAccount(demoGridPhone).Place)
	if err != nil {
		return nil, err
	}
	staff := demoStaffPhones[dw.community.name]
	// Submitted by the beneficiary, or entered for them by their grid worker or staff (代办),
	// who then confirm for them too. The grid worker reviews the wishes of the grid.
	reviewer := staff
	if h.within(gridWorker) {
		reviewer = demoGridPhone
	}
	dw.submitter = reviewer
	if s.self {
		// Their household stays open to other wishes: only the demo accounts' and the
		// volunteers' households are kept off the board.
		if !p.account {
			p.account = true
			w.accounts = append(w.accounts, demoAccountRow{phone: p.phone, name: p.name()})
		}
		dw.submitter = p.phone
	}
	forBeneficiary := dw.submitter

	day := 24 * time.Hour
	dw.deadline = now.Add(time.Duration(s.deadline * float64(day))).Truncate(time.Hour)
	if s.thursday {
		today := now.In(db.China)
		days := (int(time.Thursday) - int(today.Weekday()) + 7) % 7
		if days == 0 {
			days = 7
		}
		dw.deadline = time.Date(today.Year(), today.Month(), today.Day()+days, 12, 0, 0, 0, db.China).UTC()
	}
	// Random steps of lo to hi hours, to the minute.
	hours := func(lo, hi int) time.Duration { return time.Duration(w.between(lo*60, hi*60)) * time.Minute }
	// People act in the day: a step that falls at night waits for the morning, unless that
	// would take it past limit (the next step fixed in time, or now).
	daytime := func(t, limit time.Time) time.Time {
		// Drawn whether used or not, so that the demo's people are the same at any hour.
		after := time.Duration(w.between(0, 90)) * time.Minute
		c := t.In(db.China)
		var morning time.Time
		switch {
		case c.Hour() < 8:
			morning = time.Date(c.Year(), c.Month(), c.Day(), 8, 0, 0, 0, db.China)
		case c.Hour() >= 21:
			morning = time.Date(c.Year(), c.Month(), c.Day()+1, 8, 0, 0, 0, db.China)
		default:
			return t
		}
		if m := morning.Add(after); m.Before(limit) {
			return m.UTC()
		}
		return t
	}
	// The claim and fulfilment the spec fixes in time, and what must come before them.
	var claimed, fulfilled time.Time
	switch {
	case s.claimedAgo > 0:
		claimed = now.Add(-time.Duration(s.claimedAgo * float64(time.Hour)))
	case s.fulfilledAgo > 0:
		fulfilled = now.Add(-time.Duration(s.fulfilledAgo * float64(time.Hour))).Truncate(time.Minute)
		claimed = fulfilled.Add(-hours(5, 40))
	}
	anchor := now
	if !claimed.IsZero() {
		anchor = claimed
	}
	dw.created = now.Add(-time.Duration(s.created * float64(day))).Truncate(time.Minute)
	if s.created >= 2 {
		dw.created = dw.created.Add(-hours(0, 8))
	}
	dw.created = daytime(dw.created, anchor.Add(-3*time.Hour))

	t, state := dw.created, db.WishState("")
	event := func(action db.WishAction, actor string, to db.WishState, reason string) {
		dw.events = append(dw.events, demoEvent{at: t, action: action, actor: actor, from: state, to: to, reason: reason})
		state = to
	}
	event("submit", dw.submitter, db.WishSubmitted, "")
	switch s.state {
	case db.WishSubmitted:
		return dw, dw.check(now)
	case db.WishCancelled:
		if !s.fromPublished {
			t = daytime(t.Add(hours(2, 30)), now)
			event("cancel", dw.submitter, db.WishCancelled, s.reason)
			return dw, dw.check(now)
		}
	}
	// Reviewed within hours, sooner for a wish that is urgent.
	t = daytime(t.Add(min(hours(1, 8), anchor.Sub(t)/4).Truncate(time.Minute)), anchor.Add(-2*time.Hour))
	if s.state == db.WishRejected {
		event("reject", reviewer, db.WishRejected, s.reason)
		return dw, dw.check(now)
	}
	event("publish", reviewer, db.WishPublished, "")
	if s.state == db.WishCancelled {
		t = daytime(t.Add(hours(6, 40)), now)
		event("cancel", dw.submitter, db.WishCancelled, s.reason)
		return dw, dw.check(now)
	}
	due := func(at time.Time) time.Time {
		if d := at.Add(72 * time.Hour); d.Before(dw.deadline) {
			return d
		}
		return dw.deadline
	}
	if s.prior != "" {
		claimer, err := w.phoneOf(s.priorClaimer)
		if err != nil {
			return nil, err
		}
		t = daytime(t.Add(hours(2, 20)), anchor.Add(-2*time.Hour))
		c := demoClaim{claimer: claimer, at: t, due: due(t), endReason: s.prior}
		event("claim", claimer, db.WishClaimed, "")
		if s.prior == "lapsed" {
			// The sweep runs every few minutes.
			t = c.due.Add(time.Duration(w.between(1, 5)) * time.Minute)
			event("lapse", "", db.WishPublished, lapseReason)
		} else {
			t = daytime(t.Add(hours(10, 30)), c.due.Add(-time.Hour))
			event("release", claimer, db.WishPublished, s.priorReason)
		}
		c.ended = t
		dw.claims = append(dw.claims, c)
	}
	if s.state == db.WishPublished {
		return dw, dw.check(now)
	}

	claimer, err := w.phoneOf(s.claimer)
	if err != nil {
		return nil, err
	}
	if claimed.IsZero() {
		claimed = daytime(t.Add(hours(3, 36)), dw.deadline.Add(-24*time.Hour))
	}
	t = claimed
	c := demoClaim{claimer: claimer, at: t, due: due(t)}
	event("claim", claimer, db.WishClaimed, "")
	if s.state == db.WishClaimed {
		dw.claims = append(dw.claims, c)
		return dw, dw.check(now)
	}
	if fulfilled.IsZero() {
		// Done with at least two hours to spare.
		fulfilled = daytime(t.Add(hours(4, max(5, min(40, int(c.due.Sub(t).Hours())-2)))), c.due.Add(-2*time.Hour))
	}
	t = fulfilled
	c.ended, c.endReason = t, "fulfilled"
	dw.claims = append(dw.claims, c)
	dw.fulfilled, dw.minutes = t, s.minutes
	if dw.minutes == 0 {
		ms := demoMinutes[s.category]
		dw.minutes = ms[w.rng.IntN(len(ms))]
	}
	event("fulfil", claimer, db.WishFulfilled, "")
	if s.state == db.WishFulfilled {
		return dw, dw.check(now)
	}
	if s.state == db.WishConfirmed || s.confirmed {
		t = daytime(t.Add(hours(2, 30)), now)
		event("confirm", forBeneficiary, db.WishConfirmed, "")
		dw.confirmed, dw.credit = t, t
		if s.state == db.WishConfirmed {
			return dw, dw.check(now)
		}
	}
	t = daytime(t.Add(hours(3, 40)), now)
	event("dispute", forBeneficiary, db.WishDisputed, s.reason)
	if s.state == db.WishDisputed {
		return dw, dw.check(now)
	}
	t = daytime(t.Add(hours(4, 30)), now)
	event("settle", staff, db.WishClosed, s.settleNote)
	if !dw.credit.IsZero() {
		dw.reversal = t
	}
	return dw, dw.check(now)
}

// lapseReason is what LapseOverdueClaims records.
const lapseReason = "认领超过完成期限，系统自动收回，心愿重新发布"

// check makes sure the story holds together as the service itself would have told it.
func (dw *demoWish) check(now time.Time) error {
	s := dw.spec
	last := dw.events[len(dw.events)-1]
	if last.to != s.state {
		return fmt.Errorf("ends %s, want %s", last.to, s.state)
	}
	for i, e := range dw.events {
		if i > 0 && !e.at.After(dw.events[i-1].at) {
			return fmt.Errorf("%s at %v is not after %s at %v", e.action, e.at, dw.events[i-1].action, dw.events[i-1].at)
		}
	}
	if !last.at.Before(now) {
		return fmt.Errorf("%s at %v, not before now %v", last.action, last.at, now)
	}
	if !dw.deadline.After(dw.created) || dw.deadline.After(dw.created.Add(90*24*time.Hour)) {
		return fmt.Errorf("deadline %v: not within 90 days after it was submitted", dw.deadline)
	}
	if s.state == db.WishPublished && !dw.deadline.After(now) {
		return fmt.Errorf("published with its deadline %v past", dw.deadline)
	}
	if (s.valueFen != 0) != (s.category == "goods") || s.valueFen > 50000 {
		return fmt.Errorf("value %d fen for %s", s.valueFen, s.category)
	}
	if utf8.RuneCountInString(s.title) > 40 || utf8.RuneCountInString(s.description) > 1000 {
		return fmt.Errorf("title or description too long")
	}
	for _, c := range dw.claims {
		if !c.at.Before(dw.deadline) || !c.due.After(c.at) {
			return fmt.Errorf("claim at %v due %v with the deadline %v", c.at, c.due, dw.deadline)
		}
		if c.ended.IsZero() && !c.due.After(now) || !c.ended.IsZero() && c.endReason != "lapsed" && !c.ended.Before(c.due) {
			return fmt.Errorf("claim at %v due %v ended %v (%s): overdue", c.at, c.due, c.ended, c.endReason)
		}
	}
	dw.updated = last.at
	return nil
}

// insertWishes writes the wish board: the wishes, then their claims, timelines and ledger in
// one statement.
func (w *demoWorld) insertWishes(ctx context.Context, tx *db.Tx, accountIDs map[string]int64) error {
	if len(w.wishes) == 0 {
		return nil
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	account := func(phone string) int64 { return accountIDs[phone] } // 0 for the system
	var (
		households, submitters, places, communities, values, minutes, ratings []int64
		names, births, categories, titles, descriptions, deadlines, states    []string
		closing, notes, fulfilled, comments, confirmed, created, updated      []string
	)
	byTitle := map[string]*demoWish{}
	for _, dw := range w.wishes {
		s := dw.spec
		if byTitle[s.title] != nil {
			return fmt.Errorf("two demo wishes called %s", s.title)
		}
		byTitle[s.title] = dw
		households, names, births = append(households, dw.household.id), append(names, dw.beneficiary.name()), append(births, dw.beneficiary.birth.Format(time.DateOnly))
		submitters, places, communities = append(submitters, account(dw.submitter)), append(places, dw.place.id), append(communities, dw.community.id)
		categories, titles, descriptions = append(categories, string(s.category)), append(titles, s.title), append(descriptions, s.description)
		value := int64(-1)
		if s.valueFen > 0 {
			value = int64(s.valueFen)
		}
		values, deadlines, states = append(values, value), append(deadlines, at(dw.deadline)), append(states, string(s.state))
		reason := ""
		switch s.state {
		case db.WishRejected, db.WishCancelled:
			reason = s.reason
		case db.WishClosed:
			reason = s.settleNote
		}
		closing = append(closing, reason)
		note, rating, comment := "", int64(0), ""
		if !dw.fulfilled.IsZero() {
			note = s.note
		}
		if !dw.confirmed.IsZero() {
			rating, comment = int64(s.rating), s.comment
		}
		notes, minutes, fulfilled = append(notes, note), append(minutes, int64(dw.minutes)), append(fulfilled, at(dw.fulfilled))
		ratings, comments, confirmed = append(ratings, rating), append(comments, comment), append(confirmed, at(dw.confirmed))
		created, updated = append(created, at(dw.created)), append(updated, at(dw.updated))
	}
	// The beneficiary is found by household, name and birth date, which the demo never
	// repeats within a household.
	var rows []struct {
		ID    int64  `db:"id"`
		Title string `db:"title"`
	}
	if err := tx.SelectContext(ctx, &rows, `INSERT INTO wishes (beneficiary_id, submitted_by, place_id, community_id, category,
			title, description, value_fen, deadline, state, closing_reason, fulfil_note, fulfil_minutes, fulfilled_at, rating,
			rating_comment, confirmed_at, created_at, updated_at)
		SELECT r.id, u.sb, u.pl, u.co, u.cat::wish_category, u.ti, u.de, NULLIF(u.va, -1), u.dl, u.st::wish_state, NULLIF(u.cr, ''),
			NULLIF(u.fn, ''), NULLIF(u.fm, 0), NULLIF(u.fa, '')::timestamptz, NULLIF(u.ra, 0), NULLIF(u.rc, ''),
			NULLIF(u.ca, '')::timestamptz, u.cre, u.upd
		FROM unnest($1::bigint[], $2::text[], $3::date[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[],
				$9::text[], $10::integer[], $11::timestamptz[], $12::text[], $13::text[], $14::text[], $15::integer[], $16::text[],
				$17::smallint[], $18::text[], $19::text[], $20::timestamptz[], $21::timestamptz[])
			WITH ORDINALITY AS u (h, n, b, sb, pl, co, cat, ti, de, va, dl, st, cr, fn, fm, fa, ra, rc, ca, cre, upd, ord)
		JOIN residents r ON r.household_id = u.h AND r.name = u.n AND r.birth_date = u.b
		ORDER BY u.cre, u.ord
		RETURNING id, title`,
		pq.Array(households), pq.Array(names), pq.Array(births), pq.Array(submitters), pq.Array(places), pq.Array(communities),
		pq.Array(categories), pq.Array(titles), pq.Array(descriptions), pq.Array(values), pq.Array(deadlines), pq.Array(states),
		pq.Array(closing), pq.Array(notes), pq.Array(minutes), pq.Array(fulfilled), pq.Array(ratings), pq.Array(comments),
		pq.Array(confirmed), pq.Array(created), pq.Array(updated)); err != nil {
		return fmt.Errorf("wishes: %w", err)
	}
	if len(rows) != len(w.wishes) {
		return fmt.Errorf("wishes: %d inserted, want %d", len(rows), len(w.wishes))
	}
	for _, r := range rows {
		byTitle[r.Title].id = r.ID
	}

	// Claims, then each wish's current claim, its timeline, and the ledger. A claim is known
	// by its wish and when it was made; the ledger's claims are the wishes' current ones.
	var (
		cWishes, cClaimers                  []int64
		cAt, cDue, cEnded, cEnds            []string
		eWishes, eActors                    []int64
		eAt, eActions, eFrom, eTo, eReasons []string
		lWishes, lMinutes, lPoints          []int64
		lAt                                 []string
		rWishes                             []int64
		rAt                                 []string
	)
	for _, dw := range w.wishes {
		for _, c := range dw.claims {
			cWishes, cClaimers = append(cWishes, dw.id), append(cClaimers, account(c.claimer))
			cAt, cDue, cEnded, cEnds = append(cAt, at(c.at)), append(cDue, at(c.due)), append(cEnded, at(c.ended)), append(cEnds, c.endReason)
		}
		for _, e := range dw.events {
			eWishes, eActors = append(eWishes, dw.id), append(eActors, account(e.actor))
			eAt, eActions, eFrom, eTo, eReasons = append(eAt, at(e.at)), append(eActions, string(e.action)), append(eFrom, string(e.from)),
				append(eTo, string(e.to)), append(eReasons, e.reason)
		}
		if !dw.credit.IsZero() {
			lWishes, lAt = append(lWishes, dw.id), append(lAt, at(dw.credit))
			// The default 10 points an hour: the demo sets no community_settings.
			lMinutes, lPoints = append(lMinutes, int64(dw.minutes)), append(lPoints, int64(db.Points(dw.minutes, 10)))
		}
		if !dw.reversal.IsZero() {
			rWishes, rAt = append(rWishes, dw.id), append(rAt, at(dw.reversal))
		}
	}
	// Rows go in in time order, so that ids follow time as they do in service: lists
	// order by id.
	if _, err := tx.ExecContext(ctx, `WITH c AS (
			INSERT INTO wish_claims (wish_id, claimer_id, claimed_at, due_at, ended_at, end_reason)
			SELECT w, cl, ca, du, NULLIF(en, '')::timestamptz, NULLIF(er, '')::claim_end
			FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[])
				WITH ORDINALITY AS u (w, cl, ca, du, en, er, ord)
			ORDER BY ca, ord
			RETURNING id, wish_id, claimer_id, claimed_at
		), current AS (
			SELECT DISTINCT ON (wish_id) id, wish_id, claimer_id FROM c ORDER BY wish_id, claimed_at DESC
		), set_claim AS (
			UPDATE wishes w SET claim_id = current.id FROM current WHERE w.id = current.wish_id
		), events AS (
			INSERT INTO wish_events (wish_id, at, action, actor_id, from_state, to_state, reason)
			SELECT w, at, a::wish_action, NULLIF(ac, 0), NULLIF(f, '')::wish_state, t::wish_state, NULLIF(r, '')
			FROM unnest($7::bigint[], $8::timestamptz[], $9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[])
				WITH ORDINALITY AS u (w, at, a, ac, f, t, r, ord)
			ORDER BY at, ord
		), credits AS (
			SELECT current.claimer_id AS account, u.w, current.id AS claim, u.at, u.m, u.p
			FROM unnest($14::bigint[], $15::timestamptz[], $16::integer[], $17::integer[]) AS u (w, at, m, p)
				JOIN current ON current.wish_id = u.w
		), entries AS (
			-- Ids are drawn in time order, before the insert, so that a reversal can name
			-- the credit it undoes.
			SELECT nextval(pg_get_serial_sequence('volunteer_ledger', 'id')) AS id, x.*
			FROM (SELECT * FROM (
					SELECT account, w, claim, at, 'credit'::ledger_kind AS kind, m, p, '确认完成' AS note FROM credits
					UNION ALL
					SELECT c.account, c.w, c.claim, r.at, 'reversal', -c.m, -c.p, '争议处理：认定未完成'
					FROM unnest($18::bigint[], $19::timestamptz[]) AS r (w, at) JOIN credits c ON c.w = r.w
				) y ORDER BY at) x
		)
		INSERT INTO volunteer_ledger (id, account_id, wish_id, claim_id, at, kind, minutes, points, reverses_id, note)
		OVERRIDING SYSTEM VALUE
		SELECT e.id, e.account, e.w, e.claim, e.at, e.kind, e.m, e.p,
			CASE WHEN e.kind = 'reversal' THEN (SELECT c.id FROM entries c WHERE c.claim = e.claim AND c.kind = 'credit') END, e.note
		FROM entries e ORDER BY e.id`,
		pq.Array(cWishes), pq.Array(cClaimers), pq.Array(cAt), pq.Array(cDue), pq.Array(cEnded), pq.Array(cEnds),
		pq.Array(eWishes), pq.Array(eAt), pq.Array(eActions), pq.Array(eActors), pq.Array(eFrom), pq.Array(eTo), pq.Array(eReasons),
		pq.Array(lWishes), pq.Array(lAt), pq.Array(lMinutes), pq.Array(lPoints), pq.Array(rWishes), pq.Array(rAt)); err != nil {
		return fmt.Errorf("wish claims, events and ledger: %w", err)
	}
	return nil
}
