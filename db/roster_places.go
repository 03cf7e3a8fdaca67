package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/lib/pq"
)

// Places under a community, kept through the API: created, corrected, moved and retired by
// the community's staff (and admins), and inside a grid by its grid worker; communities by
// an admin of their subdistrict. The database keeps the tree one tree whatever the path
// (migration 0011: places_set_path); the checks here come first so that a refusal says,
// in Chinese, what is in the way.

// placeKeepers are the roles that keep places of each level, held at the place's parent or
// above. Subdistricts are not made through the API (linli setup); their own admins correct
// and retire them, as nobody stands above them.
var placeKeepers = map[PlaceLevel][]Role{
	LevelCommunity: {RoleAdmin},
	LevelCompound:  {RoleStaff, RoleAdmin},
	LevelGrid:      {RoleStaff, RoleAdmin},
	LevelBuilding:  {RoleStaff, RoleAdmin, RoleGridWorker},
	LevelHousehold: {RoleStaff, RoleAdmin, RoleGridWorker},
}

// parentLevels are the levels a place of each level hangs under (the database's rule).
var parentLevels = map[PlaceLevel][]PlaceLevel{
	LevelCommunity: {LevelSubdistrict},
	LevelCompound:  {LevelCommunity},
	LevelGrid:      {LevelCommunity, LevelCompound},
	LevelBuilding:  {LevelGrid},
	LevelHousehold: {LevelBuilding},
}

// mayKeep says whether v may create, change, move or retire a place of level under parent
// (nil for a subdistrict).
func mayKeep(v *Viewer, level PlaceLevel, parent, place *Place) error {
	if v == nil {
		return needSignIn
	}
	if level == LevelSubdistrict {
		if place != nil && v.Holds(place, RoleAdmin) {
			return nil
		}
		if place == nil {
			return forbidden("街道由系统运维人员用 linli setup 命令建立（见 README“Setting up places”）")
		}
		return forbidden("只有%s的管理员可以修改这个街道", place.Name)
	}
	if v.Holds(parent, placeKeepers[level]...) {
		return nil
	}
	switch level {
	case LevelCommunity:
		return forbidden("只有%s的管理员可以建立和管理其下的社区", parent.Name)
	case LevelCompound, LevelGrid:
		return forbidden("只有本社区的社区工作者或管理员可以管理%s下的%s", parent.Name, level.Name())
	default:
		return forbidden("只有本社区的社区工作者、管理员或所在网格的网格员可以管理%s下的%s", parent.Name, level.Name())
	}
}

// PlaceInput is a place to create (ParentID, Level and its fields) or the fields of one to
// correct (nil: unchanged). Households take Unit, Room and FloorAreaDm2 and are named by
// them; buildings may take Units.
type PlaceInput struct {
	ParentID     int64
	Level        PlaceLevel
	Name         *string
	Units        *int
	Unit         *string
	Room         *string
	FloorAreaDm2 *int64
	Reason       *string
}

var unitPattern = regexp.MustCompile(`^([0-9]{1,2})单元$`)

// normalUnit writes a unit as the roster does ("2" → "2单元"); blank is no unit.
func normalUnit(unit *string) (*string, error) {
	if unit == nil {
		return nil, nil
	}
	u := strings.TrimSpace(*unit)
	if u == "" {
		return nil, nil
	}
	if _, err := strconv.Atoi(u); err == nil {
		u += "单元"
	}
	if !unitPattern.MatchString(u) {
		return nil, Invalid("unit", "单元请写成数字，例如 2 或“2单元”")
	}
	return &u, nil
}

// unitFits says why unit does not fit building b's unit count, or "" when it does (the
// database's places_unit_fits).
func unitFits(unit *string, b *Place) string {
	if b.Units == nil {
		return ""
	}
	if unit == nil {
		return fmt.Sprintf("%s有 %d 个单元，请填写单元", b.Name, *b.Units)
	}
	n, _ := strconv.Atoi(unitPattern.FindStringSubmatch(*unit)[1])
	if n < 1 || n > *b.Units {
		return fmt.Sprintf("%s只有 %d 个单元，没有%s", b.Name, *b.Units, *unit)
	}
	return ""
}

func householdName(unit *string, room string) string {
	if unit == nil {
		return room
	}
	return *unit + room
}

// checkFields checks the fields of in that apply to level; fields of other levels are refused.
func (in *PlaceInput) checkFields(level PlaceLevel) error {
	household := level == LevelHousehold
	if household && in.Name != nil {
		return Invalid("name", "户的名称由单元和房号组成，请填写单元和房号")
	}
	if !household && (in.Unit != nil || in.Room != nil || in.FloorAreaDm2 != nil) {
		return Invalid("room", "单元、房号和面积只属于户，%s没有", level.Name())
	}
	if in.Units != nil && level != LevelBuilding {
		return Invalid("units", "只有楼栋有单元数")
	}
	if in.Name != nil {
		name, err := text("name", "名称", *in.Name, 1, 100)
		if err != nil {
			return err
		}
		in.Name = &name
	}
	if in.Units != nil && (*in.Units < 1 || *in.Units > 99) {
		return Invalid("units", "单元数需要在 1 到 99 之间")
	}
	unit, err := normalUnit(in.Unit)
	if err != nil {
		return err
	}
	if in.Unit != nil && unit == nil {
		unit = new(string) // given blank: the household has no unit
	}
	in.Unit = unit
	if in.Room != nil {
		room, err := text("room", "房号", *in.Room, 1, 20)
		if err != nil {
			return err
		}
		in.Room = &room
	}
	if in.FloorAreaDm2 != nil && (*in.FloorAreaDm2 <= 0 || *in.FloorAreaDm2 > 100_000_00) {
		return Invalid("floorArea", "面积需要大于 0 且不超过 100000 平方米")
	}
	reason, err := optionalText("reason", "原因", in.Reason, 500)
	in.Reason = reason
	return err
}

// lockTree takes the tree's lock (places_tree_lock) before any row of places: exclusive to
// move or retire, shared to add or correct.
func (tx *Tx) lockTree(exclusive bool) error {
	_, err := tx.exec(`SELECT places_tree_lock($1)`, exclusive)
	return err
}

// liveParent loads the parent a place is to go under, for field.
func (tx *Tx) liveParent(field string, id int64, level PlaceLevel) (*Place, error) {
	parent, err := tx.place(id)
	if err != nil {
		return nil, withField(err, field)
	}
	if !slices.Contains(parentLevels[level], parent.Level) {
		names := make([]string, len(parentLevels[level]))
		for i, l := range parentLevels[level] {
			names[i] = l.Name()
		}
		return nil, Invalid(field, "%s只能放在%s下，不能放在%s下", level.Name(), strings.Join(names, "或"), parent.Level.Name())
	}
	return parent, nil
}

// refusedByTree turns a refusal of the database's tree rules that slipped past the checks
// (something changed in between) into CONFLICT, and a taken address into CONFLICT naming it.
func refusedByTree(err error, address string) error {
	switch sqlState(err) {
	case uniqueViolation:
		return Errorf(ECONFLICT, "%s已经登记过了（同一楼栋的单元和房号不能重复）", address)
	case checkViolation, foreignKeyViolation:
		return Errorf(ECONFLICT, "地点刚被别人改动过，请刷新后重试")
	}
	return err
}

func auditNote(note string, reason *string) *string {
	if reason != nil {
		note += "。原因：" + *reason
	}
	return &note
}

// CreatePlace makes a place under a live parent. Errors: UNAUTHENTICATED, FORBIDDEN,
// NOT_FOUND (parentId), INVALID_INPUT, INVALID_STATE (retired parent), CONFLICT (a live
// household at the same address).
func (s *Store) CreatePlace(ctx context.Context, v *Viewer, in PlaceInput) (*Place, error) {
	if v == nil {
		return nil, needSignIn
	}
	if in.Level == LevelSubdistrict {
		return nil, mayKeep(v, LevelSubdistrict, nil, nil)
	}
	if _, ok := parentLevels[in.Level]; !ok {
		return nil, Invalid("level", "请选择层级")
	}
	if err := in.checkFields(in.Level); err != nil {
		return nil, err
	}
	switch {
	case in.Level == LevelHousehold && in.Room == nil:
		return nil, Invalid("room", "请填写房号，例如 302")
	case in.Level == LevelHousehold && in.FloorAreaDm2 == nil:
		return nil, Invalid("floorArea", "请填写专有部分面积（平方米）")
	case in.Level != LevelHousehold && in.Name == nil:
		return nil, Invalid("name", "请填写名称")
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.lockTree(false); err != nil {
		return nil, err
	}
	parent, err := tx.liveParent("parentId", in.ParentID, in.Level)
	if err != nil {
		return nil, err
	}
	if err := mayKeep(v, in.Level, parent, nil); err != nil {
		return nil, err
	}
	if parent.RetiredAt != nil {
		return nil, Errorf(EINVALIDSTATE, "%s已撤销，不能再在其下新建地点", parent.Name)
	}
	name := in.Name
	if in.Level == LevelHousehold {
		if in.Unit != nil && *in.Unit == "" {
			in.Unit = nil
		}
		if why := unitFits(in.Unit, parent); why != "" {
			return nil, Invalid("unit", "%s", why)
		}
		n := householdName(in.Unit, *in.Room)
		name = &n
	}
	var p Place
	err = tx.get(&p, `INSERT INTO places (level, parent_id, name, units, unit, room, floor_area_dm2, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+placeColumns,
		in.Level, parent.ID, *name, in.Units, in.Unit, in.Room, in.FloorAreaDm2, tx.now)
	if err != nil {
		return nil, refusedByTree(err, parent.Name+*name)
	}
	if err := tx.audit(auditEvent{Action: AuditPlaceCreated, ActorID: &v.Account.ID, PlaceID: &p.ID,
		Note: auditNote(fmt.Sprintf("在%s下新建%s“%s”", parent.Name, p.Level.Name(), p.Name), in.Reason)}); err != nil {
		return nil, err
	}
	return &p, tx.Commit()
}

// lockedPlace locks a place for a change, after the tree's lock, and checks v keeps it.
func (tx *Tx) lockedPlace(v *Viewer, id int64) (place, parent *Place, err error) {
	place = new(Place)
	if err := tx.get(place, `SELECT `+placeColumns+` FROM places WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, nil, withField(notFound(err, "找不到这个地点"), "placeId")
	}
	if place.ParentID != nil {
		if parent, err = tx.place(*place.ParentID); err != nil {
			return nil, nil, err
		}
	}
	return place, parent, mayKeep(v, place.Level, parent, place)
}

// UpdatePlace corrects a place: the name, a building's unit count, a household's unit, room
// and floor area. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID_INPUT,
// INVALID_STATE (retired), CONFLICT (the address is taken).
func (s *Store) UpdatePlace(ctx context.Context, v *Viewer, id int64, in PlaceInput) (*Place, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.lockTree(false); err != nil {
		return nil, err
	}
	p, parent, err := tx.lockedPlace(v, id)
	if err != nil {
		return nil, err
	}
	if err := in.checkFields(p.Level); err != nil {
		return nil, err
	}
	if p.RetiredAt != nil {
		return nil, Errorf(EINVALIDSTATE, "%s已撤销，不能再修改", p.Name)
	}
	next := *p
	var changes []string
	change := func(label, from, to string) {
		if from != to {
			changes = append(changes, fmt.Sprintf("%s：%s → %s", label, from, to))
		}
	}
	orNone := func(s *string) string {
		if s == nil {
			return "无"
		}
		return *s
	}
	if in.Name != nil {
		change("名称", p.Name, *in.Name)
		next.Name = *in.Name
	}
	if in.Units != nil {
		change("单元数", unitsName(p.Units), strconv.Itoa(*in.Units))
		next.Units = in.Units
		var outside []string
		if err := tx.selectRows(&outside, `SELECT name FROM places WHERE parent_id = $1 AND retired_at IS NULL
			AND NOT places_unit_fits(unit, $2::smallint) ORDER BY id LIMIT 3`, p.ID, *in.Units); err != nil {
			return nil, err
		}
		if len(outside) > 0 {
			return nil, Invalid("units", "%s还有不在 %d 个单元内的户（例如 %s），请先更正或撤销这些户", p.Name, *in.Units, strings.Join(outside, "、"))
		}
	}
	if p.Level == LevelHousehold {
		if in.Unit != nil {
			if *in.Unit == "" {
				in.Unit = nil
			}
			change("单元", orNone(p.Unit), orNone(in.Unit))
			next.Unit = in.Unit
			if why := unitFits(next.Unit, parent); why != "" {
				return nil, Invalid("unit", "%s", why)
			}
		}
		if in.Room != nil {
			change("房号", *p.Room, *in.Room)
			next.Room = in.Room
		}
		if in.FloorAreaDm2 != nil {
			change("面积", formatArea(*p.FloorAreaDm2), formatArea(*in.FloorAreaDm2))
			next.FloorAreaDm2 = in.FloorAreaDm2
		}
		next.Name = householdName(next.Unit, *next.Room)
	}
	if len(changes) == 0 {
		return p, nil
	}
	var out Place
	err = tx.get(&out, `UPDATE places SET name = $2, units = $3, unit = $4, room = $5, floor_area_dm2 = $6
		WHERE id = $1 RETURNING `+placeColumns, p.ID, next.Name, next.Units, next.Unit, next.Room, next.FloorAreaDm2)
	if err != nil {
		return nil, refusedByTree(err, parentName(parent)+next.Name)
	}
	if err := tx.audit(auditEvent{Action: AuditPlaceChanged, ActorID: &v.Account.ID, PlaceID: &p.ID,
		Note: auditNote("更正"+p.Level.Name()+"“"+p.Name+"”："+strings.Join(changes, "；"), in.Reason)}); err != nil {
		return nil, err
	}
	return &out, tx.Commit()
}

func parentName(p *Place) string {
	if p == nil {
		return ""
	}
	return p.Name
}

func unitsName(n *int) string {
	if n == nil {
		return "未设"
	}
	return strconv.Itoa(*n)
}

func formatArea(dm2 int64) string {
	return fmt.Sprintf("%d.%02d 平方米", dm2/100, dm2%100)
}

// MovePlace hangs a compound, grid, building or household under another parent of the same
// community; the database rewrites the paths of everything under it in the same statement.
// v must keep the place where it is and where it goes. Moving it where it already is
// changes nothing. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND (placeId, parentId),
// INVALID_INPUT (levels, another community, under itself), INVALID_STATE (retired),
// CONFLICT (the address is taken in the new building).
func (s *Store) MovePlace(ctx context.Context, v *Viewer, id, parentID int64, reason *string) (*Place, error) {
	if v == nil {
		return nil, needSignIn
	}
	reason, err := optionalText("reason", "原因", reason, 500)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// Moves one at a time (the tree's lock), so two moves never make a cycle or leave a
	// path pointing where its parent no longer is.
	if err := tx.lockTree(true); err != nil {
		return nil, err
	}
	p, from, err := tx.lockedPlace(v, id)
	if err != nil {
		return nil, err
	}
	if p.Level == LevelSubdistrict || p.Level == LevelCommunity {
		return nil, Invalid("placeId", "%s不能移动（角色、心愿和表决都按社区划分）", p.Level.Name())
	}
	if p.RetiredAt != nil {
		return nil, Errorf(EINVALIDSTATE, "%s已撤销，不能移动", p.Name)
	}
	to, err := tx.liveParent("parentId", parentID, p.Level)
	if err != nil {
		return nil, err
	}
	if to.ID == from.ID {
		return p, nil
	}
	if slices.Contains(to.Path, p.ID) {
		return nil, Invalid("parentId", "不能把%s移到它自己下面", p.Name)
	}
	if len(to.Path) < 2 || to.Path[1] != p.Path[1] {
		return nil, Invalid("parentId", "不能移到别的社区（角色、心愿和表决都按社区划分）；请在%s之内选择", p.Level.Name()+"所在社区")
	}
	if err := mayKeep(v, p.Level, to, nil); err != nil {
		return nil, err
	}
	if to.RetiredAt != nil {
		return nil, Errorf(EINVALIDSTATE, "%s已撤销，不能再在其下放入地点", to.Name)
	}
	if p.Level == LevelHousehold {
		if why := unitFits(p.Unit, to); why != "" {
			return nil, Invalid("parentId", "%s", why)
		}
	}
	var out Place
	if err := tx.get(&out, `UPDATE places SET parent_id = $2 WHERE id = $1 RETURNING `+placeColumns, p.ID, to.ID); err != nil {
		return nil, refusedByTree(err, to.Name+p.Name)
	}
	if err := tx.audit(auditEvent{Action: AuditPlaceMoved, ActorID: &v.Account.ID, PlaceID: &p.ID,
		Note: auditNote(fmt.Sprintf("%s“%s”从%s移到%s", p.Level.Name(), p.Name, from.Name, to.Name), reason)}); err != nil {
		return nil, err
	}
	return &out, tx.Commit()
}

// RetirePlace takes a place off the live roster, keeping it and everything that points at
// it. Refused while it still has live places under it or residents living in it.
// Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID_INPUT (reason), INVALID_STATE.
func (s *Store) RetirePlace(ctx context.Context, v *Viewer, id int64, reason string) (*Place, error) {
	if v == nil {
		return nil, needSignIn
	}
	reason, err := text("reason", "撤销原因", reason, 1, 500)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// Exclusive: no child or resident is being added while this counts them.
	if err := tx.lockTree(true); err != nil {
		return nil, err
	}
	p, _, err := tx.lockedPlace(v, id)
	if err != nil {
		return nil, err
	}
	if p.RetiredAt != nil {
		return nil, Errorf(EINVALIDSTATE, "%s已于 %s 撤销", p.Name, p.RetiredAt.In(china).Format("2006-01-02 15:04"))
	}
	var in struct {
		Children  int     `db:"children"`
		Example   *string `db:"example"`
		Residents int     `db:"residents"`
	}
	if err := tx.get(&in, `SELECT
			(SELECT count(*) FROM places WHERE parent_id = $1 AND retired_at IS NULL) AS children,
			(SELECT name FROM places WHERE parent_id = $1 AND retired_at IS NULL ORDER BY id LIMIT 1) AS example,
			(SELECT count(*) FROM residents WHERE household_id = $1 AND left_on IS NULL) AS residents`, p.ID); err != nil {
		return nil, err
	}
	if in.Children > 0 {
		return nil, Errorf(EINVALIDSTATE, "%s下还有 %d 个未撤销的地点（例如 %s），请先撤销或移走它们", p.Name, in.Children, *in.Example)
	}
	if in.Residents > 0 {
		return nil, Errorf(EINVALIDSTATE, "%s还有 %d 位在住居民，请先登记他们迁出或搬到别的户", p.Name, in.Residents)
	}
	var out Place
	if err := tx.get(&out, `UPDATE places SET retired_at = $2 WHERE id = $1 RETURNING `+placeColumns, p.ID, tx.now); err != nil {
		return nil, refusedByTree(err, p.Name)
	}
	if err := tx.audit(auditEvent{Action: AuditPlaceRetired, ActorID: &v.Account.ID, PlaceID: &p.ID,
		Note: auditNote("撤销"+p.Level.Name()+"“"+p.Name+"”", &reason)}); err != nil {
		return nil, err
	}
	return &out, tx.Commit()
}

// PlaceListing is a list of the places of one level under a place: a grid's buildings, a
// building's households. Live ones unless Retired says otherwise.
type PlaceListing struct {
	Under   int64
	Level   PlaceLevel
	Retired bool
}

// Descendants returns a page of what l lists, households v may not see left out (as in
// Children).
func (s *Store) Descendants(ctx context.Context, v *Viewer, l PlaceListing, p Page) (Paged[*Place], error) {
	from, args := descendantsOf(v, l)
	return listQuery(ctx, s, `SELECT `+placeColumns+` `+from, args, byID, placeKey, p)
}

// CountDescendants counts what Descendants lists.
func (s *Store) CountDescendants(ctx context.Context, v *Viewer, l PlaceListing) (int, error) {
	from, args := descendantsOf(v, l)
	return s.count(ctx, from, args...)
}

func descendantsOf(v *Viewer, l PlaceListing) (string, []any) {
	var home int64
	if v != nil && v.Resident != nil {
		home = v.Resident.HouseholdID
	}
	seeing, _ := v.placesHolding(rolesSeeingResidents...)
	return `FROM places WHERE path @> $1 AND id <> $4 AND level = $5 AND (retired_at IS NULL OR $6)
		AND (level <> 'household' OR id = $2 OR path && $3)`,
		[]any{pq.Array([]int64{l.Under}), home, pq.Array(seeing), l.Under, l.Level, l.Retired}
}

// Setup is what `linli setup` makes: a subdistrict, the top of the tree, and its first
// admin, who then creates communities and grants the roles that keep everything under it.
type Setup struct {
	Subdistrict, Phone, Name, Password string
}

// SetupResult says what Setup found or made.
type SetupResult struct {
	SubdistrictID, AccountID int64
	// Made* are false for what was already there: running setup again changes nothing.
	MadeSubdistrict, MadeAccount, MadeGrant bool
}

// SetUp makes the subdistrict named in (or finds the live one of that name), an account for
// the phone (or finds it; its password is then left as it is) and an admin grant for it in
// the subdistrict, each recorded with no actor: it is the operator's, from the server.
func (s *Store) SetUp(ctx context.Context, in Setup) (SetupResult, error) {
	var r SetupResult
	name, err := text("subdistrict", "街道名称", in.Subdistrict, 1, 100)
	if err != nil {
		return r, err
	}
	phone, err := NormalizePhone("phone", in.Phone)
	if err != nil {
		return r, err
	}
	person, err := cleanName("name", in.Name)
	if err != nil {
		return r, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return r, err
	}
	defer tx.Rollback()
	if err := tx.lockTree(true); err != nil { // one setup at a time makes one subdistrict
		return r, err
	}
	err = tx.get(&r.SubdistrictID, `SELECT id FROM places WHERE level = 'subdistrict' AND name = $1 AND retired_at IS NULL ORDER BY id LIMIT 1`, name)
	if errors.Is(err, sql.ErrNoRows) {
		r.MadeSubdistrict = true
		if err := tx.get(&r.SubdistrictID, `INSERT INTO places (level, name, created_at) VALUES ('subdistrict', $1, $2) RETURNING id`, name, tx.now); err != nil {
			return r, err
		}
		if err := tx.audit(auditEvent{Action: AuditPlaceCreated, PlaceID: &r.SubdistrictID, Note: auditNote("建立街道“"+name+"”（linli setup）", nil)}); err != nil {
			return r, err
		}
	} else if err != nil {
		return r, err
	}
	err = tx.get(&r.AccountID, `SELECT id FROM accounts WHERE phone = $1`, phone)
	if errors.Is(err, sql.ErrNoRows) {
		if err := checkPasswordRules(in.Password); err != nil {
			return r, err
		}
		hash, err := HashPassword(in.Password, s.Password)
		if err != nil {
			return r, err
		}
		r.MadeAccount = true
		a, err := tx.insertAccount(phone, person, hash, "这个手机号已经有账号了")
		if err != nil {
			return r, err
		}
		r.AccountID = a.ID
	} else if err != nil {
		return r, err
	}
	var grant int64
	err = tx.get(&grant, `INSERT INTO role_grants (account_id, role, place_id, granted_at) VALUES ($1, 'admin', $2, $3)
		ON CONFLICT DO NOTHING RETURNING id`, r.AccountID, r.SubdistrictID, tx.now)
	if errors.Is(err, sql.ErrNoRows) {
		return r, tx.Commit() // already its admin
	} else if err != nil {
		return r, err
	}
	r.MadeGrant = true
	if err := tx.audit(auditEvent{Action: AuditRoleGranted, PlaceID: &r.SubdistrictID, AccountID: &r.AccountID,
		RoleGrantID: &grant, Note: auditNote("首位管理员（linli setup）", nil)}); err != nil {
		return r, err
	}
	return r, tx.Commit()
}
