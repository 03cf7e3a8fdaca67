package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Importing a community's roster from a spreadsheet (花名册导入).
//
// A dry run reads the file and the roster and reports, row by row, what the import would
// create, change, leave as it is or refuse, with a digest of that plan. The real run reads
// both again, refuses with CONFLICT unless the plan's digest is the one the dry run gave
// (the file or the roster changed meanwhile), and applies the plan in one transaction with
// a few multi-row statements and one audit event. Importing the same file again plans
// nothing to write. An import adds and corrects; it never removes anyone: residents of a
// household the file names who are not in the file are reported ("花名册中有、文件中没有")
// for staff to act on, and a blank cell leaves what the roster holds.
//
// Who a row is: the resident with the row's ID number (by its digest), else the resident
// of the row's household with the row's name and birth date. A person in several rows
// (several flats owned: same ID number, or same name and birth date) lives in one of them,
// the residence row: the row in the household where the roster already has them, else
// their row whose 与户主关系 is 本人 or 户主, else their first row. Their other rows must say
// 是否业主 = 是 and add an ownership only; otherwise they are refused as the same person twice.

// RosterRowAction is what an import does with a row of the file.
type RosterRowAction string

// Row actions, and NotInFile for a resident of a household the file names who is not in it.
const (
	RowCreate    RosterRowAction = "create"
	RowChange    RosterRowAction = "change"
	RowUnchanged RosterRowAction = "unchanged"
	RowRefuse    RosterRowAction = "refuse"
	RowNotInFile RosterRowAction = "not_in_file"
)

var rosterRowActions = []RosterRowAction{RowCreate, RowChange, RowUnchanged, RowRefuse, RowNotInFile}

func (a RosterRowAction) MarshalGQL(w io.Writer) { marshalEnum(w, a) }
func (a *RosterRowAction) UnmarshalGQL(v any) error {
	return unmarshalEnum(a, v, rosterRowActions, "RosterRowAction")
}

// RosterImportLine is one line of an import's report: a row of the file, or a resident the
// file leaves out (Row 0).
type RosterImportLine struct {
	Row                             int
	Action                          RosterRowAction
	Building, Unit, Room, Name      string
	Changes                         []string
	Reason                          *string
	Note                            *string
	household, resident, ownerships string // what the plan touches, for its digest
}

// RosterImportCounts count one kind of record an import creates, changes or leaves.
type RosterImportCounts struct {
	Created, Changed, Unchanged int
}

// RosterImportReport is what an import found and planned (a dry run) or did.
type RosterImportReport struct {
	CommunityID int64
	FileName    string
	DryRun      bool
	// Rows is the number of data rows read.
	RowCount                          int
	Households, Residents, Ownerships RosterImportCounts
	Refused, NotInFile                int
	// PlanDigest identifies the plan: the real run must be given the dry run's.
	PlanDigest string
	Lines      []RosterImportLine
	// ImportedAt is when the real run applied the plan.
	ImportedAt *time.Time
}

// rosterTagNames are the protected tags' Chinese names, as sheets write them.
var rosterTagNames = map[ResidentTag]string{
	TagElderlyAlone: "独居老人", TagMinimumIncome: "低保", TagDisabled: "残疾人",
	TagLeftBehindChild: "留守儿童", TagVeteran: "退役军人", TagSpecialCare: "特殊关爱对象",
}

var rosterTagsByName = func() map[string]ResidentTag {
	m := map[string]ResidentTag{"低保户": TagMinimumIncome, "残疾": TagDisabled, "空巢老人": TagElderlyAlone}
	for t, n := range rosterTagNames {
		m[n] = t
	}
	return m
}()

func tagList(tags []string) string {
	if len(tags) == 0 {
		return "无"
	}
	names := make([]string, len(tags))
	for i, t := range tags {
		names[i] = rosterTagNames[ResidentTag(t)]
	}
	return strings.Join(names, "、")
}

var genderNames = map[string]string{"male": "男", "female": "女"}

// importRow is one data row as read and checked.
type importRow struct {
	line                       int
	buildingText, unit, room   string
	compoundText               string // 小区, when the sheet has that column
	areaDm2                    int64  // 0: blank
	name, gender, phone, rel   string
	birth                      time.Time
	idNumber                   *IDNumber
	digest                     []byte
	owner                      *bool
	tags                       []string
	tagsGiven                  bool
	refuse                     string
	building                   *importBuilding
	household                  *importHousehold
	person                     *importPerson
	match                      *importResident // the existing resident the row names, if any
	residence                  bool
	phoneGiven, relGiven, genG bool
}

type importBuilding struct {
	ID       int64  `db:"id"`
	Name     string `db:"name"`
	Units    *int   `db:"units"`
	Compound string `db:"compound"` // the compound's name, "" for a building not in one
}

type importHousehold struct {
	ID       int64  `db:"id"`
	Building int64  `db:"parent_id"`
	Unit     string `db:"unit"`
	Room     string `db:"room"`
	AreaDm2  int64  `db:"floor_area_dm2"`
	// planned households (ID 0) and what rows said of them
	newAreaDm2 int64
	areaLine   int // the first row giving its area
	firstLine  int // the first row that is not refused
}

type importResident struct {
	ID           int64          `db:"id"`
	HouseholdID  int64          `db:"household_id"`
	Name         string         `db:"name"`
	Phone        *string        `db:"phone"`
	BirthDate    time.Time      `db:"birth_date"`
	Gender       *string        `db:"gender"`
	Relationship *string        `db:"relationship"`
	Tags         pq.StringArray `db:"tags"`
	IDDigest     []byte         `db:"id_digest"`
}

type importOwner struct {
	ID          int64     `db:"id"`
	HouseholdID int64     `db:"household_id"`
	ResidentID  int64     `db:"resident_id"`
	Since       time.Time `db:"since"`
}

// importPerson is one person of the file: their rows, and the resident they are or become.
type importPerson struct {
	rows     []*importRow
	existing *importResident
	created  *newResident
	refused  string // why their residence row was refused, for their other rows
}

type newResident struct {
	id                       int64
	household                *importHousehold
	name, phone, gender, rel string
	birth                    time.Time
	digest                   []byte
	tags                     []string
}

type ownershipRef struct {
	household *importHousehold
	person    *importPerson
}

// rosterState is the community's roster as the import reads it.
type rosterState struct {
	buildings     []*importBuilding
	buildingByKey map[string][]*importBuilding
	households    map[string]*importHousehold // by householdKey
	residents     []*importResident
	byHousehold   map[int64][]*importResident
	byDigest      map[string]*importResident
	byNameBirth   map[string][]*importResident
	owners        map[[2]int64]*importOwner // household, resident
	elsewhere     map[string]bool           // digests of residents of other communities
}

func householdKey(building int64, unit, room string) string {
	return strconv.FormatInt(building, 10) + "\x00" + unit + "\x00" + room
}

var phoneRe = regexp.MustCompile(`^1[3-9]\d{9}$`)

// MaxRosterRows bounds the rows of one file, so a report and a transaction stay a size
// the service can hold.
const MaxRosterRows = 200000

// ImportRoster imports a roster sheet (CSV or XLSX) into the community: a dry run plans and
// reports; a real run, given the dry run's planDigest, applies the same plan in one
// transaction. Only staff and admins of the community (or above it) may import; grid
// workers keep the roster of their grid through the API, not by file. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_INPUT (the file's layout; planDigest
// missing), CONFLICT (the plan is not the dry run's).
func (s *Store) ImportRoster(ctx context.Context, v *Viewer, communityID int64, fileName string, file io.Reader, dryRun bool, planDigest *string) (*RosterImportReport, error) {
	if v == nil {
		return nil, needSignIn
	}
	c, err := s.Place(ctx, communityID)
	if err != nil {
		return nil, withField(err, "communityId")
	}
	if c.Level != LevelCommunity {
		return nil, Invalid("communityId", "花名册按社区导入，请选择社区，而不是%s", c.Level.Name())
	}
	if !v.Holds(c, RoleStaff, RoleAdmin) {
		return nil, forbidden("只有%s的社区工作者或管理员可以导入花名册", c.Name)
	}
	if !dryRun && (planDigest == nil || strings.TrimSpace(*planDigest) == "") {
		return nil, Invalid("planDigest", "正式导入前请先试运行（dryRun: true），核对报告后把报告中的 planDigest 一并提交")
	}
	rows, err := s.readImportRows(file)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if dryRun {
		if _, err := tx.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY`); err != nil {
			return nil, err
		}
	} else {
		// One import of a community at a time: the second plans on what the first did.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7421, $1::int)`, communityID); err != nil {
			return nil, err
		}
	}
	st, err := tx.loadRosterState(communityID, rows)
	if err != nil {
		return nil, err
	}
	rep := &RosterImportReport{CommunityID: communityID, FileName: fileName, DryRun: dryRun, RowCount: len(rows)}
	p := planImport(rep, st, rows, tx.now)
	if dryRun {
		return rep, nil
	}
	if rep.PlanDigest != strings.TrimSpace(*planDigest) {
		return nil, Errorf(ECONFLICT, "花名册或文件在试运行之后有了变化，这次导入与试运行的报告不一致：请重新试运行并核对报告")
	}
	at := tx.now
	rep.ImportedAt = &at
	if p.empty() {
		return rep, nil // the same file again: nothing to write, not even an audit event
	}
	if err := tx.applyImport(p, st, tx.now); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("导入文件「%s」%d 行：新建户 %d、变更户 %d；新增居民 %d、变更居民 %d、未变 %d；新登记业主 %d、结束业主登记 %d；拒绝 %d 行；花名册中有、文件中没有 %d 人",
		fileName, rep.RowCount, rep.Households.Created, rep.Households.Changed, rep.Residents.Created, rep.Residents.Changed,
		rep.Residents.Unchanged, rep.Ownerships.Created, rep.Ownerships.Changed, rep.Refused, rep.NotInFile)
	if err := tx.audit(auditEvent{Action: AuditRosterImported, ActorID: &v.Account.ID, PlaceID: &communityID, Note: &note}); err != nil {
		return nil, err
	}
	return rep, tx.Commit()
}

// empty reports whether the plan writes nothing.
func (p *importPlan) empty() bool {
	return len(p.newHouseholds)+len(p.areaChanges)+len(p.newResidents)+len(p.changed)+len(p.newOwnerships)+len(p.endOwnerships) == 0
}

// readImportRows reads the file and checks each row on its own: what needs no roster.
func (s *Store) readImportRows(file io.Reader) ([]*importRow, error) {
	var rows []*importRow
	key, err := s.IDDigestKey()
	if err != nil {
		return nil, err
	}
	today := s.Now().In(china)
	todayDate := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	err = readRoster(file, func(r sheetRow) error {
		if len(rows) >= MaxRosterRows {
			return Invalid("file", "文件超过 %d 行，请分成几个文件导入", MaxRosterRows)
		}
		row := checkRow(r, todayDate)
		if row.idNumber != nil && row.refuse == "" {
			row.digest = IDDigest(key, *row.idNumber)
		}
		row.idNumber = nil // never kept past its digest
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, Invalid("file", "文件只有表头，没有数据行")
	}
	return rows, nil
}

var badNameStart = "=+-@"

// checkRow reads one row's cells, refusing (row.refuse) what cannot be right in any roster.
func checkRow(r sheetRow, today time.Time) *importRow {
	c := r.cells
	row := &importRow{line: r.line, buildingText: c[colBuilding], compoundText: c[colCompound], unit: normUnit(c[colUnit]), room: normRoom(c[colRoom]), name: c[colName]}
	refuse := func(format string, args ...any) *importRow {
		if row.refuse == "" {
			row.refuse = fmt.Sprintf(format, args...)
		}
		return row
	}
	switch {
	case row.buildingText == "":
		return refuse("楼栋没有填")
	case row.room == "":
		return refuse("房号没有填")
	case len([]rune(row.room)) > 20 || len([]rune(row.unit)) > 20:
		return refuse("单元或房号太长（最多 20 个字）")
	case row.name == "":
		return refuse("姓名没有填")
	case len([]rune(row.name)) > 50:
		return refuse("姓名太长（最多 50 个字）")
	case strings.ContainsAny(row.name[:1], badNameStart):
		return refuse("姓名不能以 = + - @ 开头")
	}
	if a := c[colArea]; a != "" {
		dm2, ok := parseArea(a)
		if !ok {
			return refuse("面积「%s」不是正数（单位平方米，例如 89.5）", a)
		}
		row.areaDm2 = dm2
	}
	var idBirth time.Time
	if n := c[colIDNumber]; n != "" {
		id, err := ParseIDNumber(n)
		if err != nil {
			return refuse("身份证号有误：%s", errorMessage(err))
		}
		row.idNumber, idBirth, row.gender, row.genG = &id, id.BirthDate, id.Gender, true
	}
	switch b := c[colBirthDate]; {
	case b != "":
		t, ok := parseRosterDate(b)
		if !ok {
			return refuse("出生日期「%s」无法识别（可写 1990-05-03、1990/5/3、1990年5月3日 或 19900503）", b)
		}
		if row.idNumber != nil && !t.Equal(idBirth) {
			return refuse("出生日期 %s 与身份证号中的 %s 不符", t.Format("2006-01-02"), idBirth.Format("2006-01-02"))
		}
		row.birth = t
	case row.idNumber != nil:
		row.birth = idBirth
	default:
		return refuse("出生日期和身份证号都没有填，至少填一项")
	}
	if row.birth.After(today) {
		return refuse("出生日期 %s 在今天之后，不可能", row.birth.Format("2006-01-02"))
	}
	if row.birth.Year() < 1900 {
		return refuse("出生日期 %s 早于 1900 年，不可能", row.birth.Format("2006-01-02"))
	}
	if g := c[colGender]; g != "" {
		var gender string
		switch strings.ToLower(g) {
		case "男", "m", "male":
			gender = "male"
		case "女", "f", "female":
			gender = "female"
		default:
			return refuse("性别「%s」应填 男 或 女", g)
		}
		if row.genG && gender != row.gender {
			return refuse("性别「%s」与身份证号不符", g)
		}
		row.gender, row.genG = gender, true
	}
	if p := c[colPhone]; p != "" {
		p = strings.NewReplacer(" ", "", "-", "").Replace(p)
		p = strings.TrimPrefix(strings.TrimPrefix(p, "+86"), "86")
		if !phoneRe.MatchString(p) {
			return refuse("手机号「%s」不对：应是 1 开头的 11 位手机号", c[colPhone])
		}
		row.phone, row.phoneGiven = p, true
	}
	if rel := c[colRelationship]; rel != "" {
		if len([]rune(rel)) > 20 {
			return refuse("与户主关系太长（最多 20 个字）")
		}
		row.rel, row.relGiven = rel, true
	}
	if o := c[colOwner]; o != "" {
		yes, ok := parseYesNo(o)
		if !ok {
			return refuse("是否业主「%s」应填 是 或 否", o)
		}
		row.owner = &yes
	}
	if t := c[colTags]; t != "" {
		seen := map[ResidentTag]bool{}
		for _, name := range strings.FieldsFunc(t, func(r rune) bool { return strings.ContainsRune("、,，;；/| ", r) }) {
			tag, ok := rosterTagsByName[name]
			if !ok {
				return refuse("未知标签「%s」（可用：独居老人、低保、残疾人、留守儿童、退役军人、特殊关爱对象）", name)
			}
			seen[tag] = true
		}
		for _, tag := range residentTags {
			if seen[tag] {
				row.tags = append(row.tags, string(tag))
			}
		}
		row.tagsGiven = true
	}
	return row
}

// loadRosterState reads what the import compares the file with: the community's buildings,
// households, present residents and current owners, and which of the file's ID digests
// belong to residents elsewhere.
func (tx *Tx) loadRosterState(community int64, rows []*importRow) (*rosterState, error) {
	st := &rosterState{buildingByKey: map[string][]*importBuilding{}, households: map[string]*importHousehold{},
		byHousehold: map[int64][]*importResident{}, byDigest: map[string]*importResident{}, byNameBirth: map[string][]*importResident{},
		owners: map[[2]int64]*importOwner{}, elsewhere: map[string]bool{}}
	in := pq.Array([]int64{community})
	if err := tx.SelectContext(tx.ctx, &st.buildings, `SELECT b.id, b.name, b.units,
			coalesce((SELECT c.name FROM places c WHERE c.id = ANY (b.path) AND c.level = 'compound'), '') AS compound
		FROM places b WHERE b.path @> $1 AND b.level = 'building' AND b.retired_at IS NULL ORDER BY b.id`, in); err != nil {
		return nil, err
	}
	for _, b := range st.buildings {
		k := buildingKey(b.Name)
		st.buildingByKey[k] = append(st.buildingByKey[k], b)
	}
	var hs []*importHousehold
	if err := tx.SelectContext(tx.ctx, &hs, `SELECT id, parent_id, coalesce(unit, '') AS unit, room, floor_area_dm2 FROM places
		WHERE path @> $1 AND level = 'household' AND retired_at IS NULL ORDER BY id`, in); err != nil {
		return nil, err
	}
	for _, h := range hs {
		st.households[householdKey(h.Building, h.Unit, h.Room)] = h
	}
	if err := tx.SelectContext(tx.ctx, &st.residents, `SELECT r.id, r.household_id, r.name, r.phone, r.birth_date, r.gender,
			r.relationship, r.tags, r.id_digest
		FROM residents r JOIN places h ON h.id = r.household_id
		WHERE h.path @> $1 AND r.left_on IS NULL ORDER BY r.id`, in); err != nil {
		return nil, err
	}
	for _, r := range st.residents {
		st.byHousehold[r.HouseholdID] = append(st.byHousehold[r.HouseholdID], r)
		k := r.Name + "\x00" + r.BirthDate.Format("20060102")
		st.byNameBirth[k] = append(st.byNameBirth[k], r)
		if r.IDDigest != nil {
			st.byDigest[string(r.IDDigest)] = r
		}
	}
	var os []*importOwner
	if err := tx.SelectContext(tx.ctx, &os, `SELECT o.id, o.household_id, o.resident_id, o.since
		FROM household_owners o JOIN places h ON h.id = o.household_id
		WHERE h.path @> $1 AND o.until IS NULL AND o.resident_id IS NOT NULL`, in); err != nil {
		return nil, err
	}
	for _, o := range os {
		st.owners[[2]int64{o.HouseholdID, o.ResidentID}] = o
	}
	var digests [][]byte
	for _, r := range rows {
		if r.digest != nil && st.byDigest[string(r.digest)] == nil {
			digests = append(digests, r.digest)
		}
	}
	if len(digests) > 0 {
		var found [][]byte
		if err := tx.SelectContext(tx.ctx, &found, `SELECT id_digest FROM residents WHERE id_digest = ANY($1)`, pq.ByteaArray(digests)); err != nil {
			return nil, err
		}
		for _, d := range found {
			st.elsewhere[string(d)] = true
		}
	}
	return st, nil
}

// importPlan is what a real run writes.
type importPlan struct {
	newHouseholds []*importHousehold
	areaChanges   []*importHousehold
	newResidents  []*newResident
	changed       []*importResident // with the new values set
	newOwnerships []ownershipRef
	endOwnerships []*importOwner
	lines         []*RosterImportLine
}

// planImport compares the rows with the roster and fills rep; it decides everything a real
// run writes, so the digest of rep's lines is the digest of the plan.
func planImport(rep *RosterImportReport, st *rosterState, rows []*importRow, now time.Time) *importPlan {
	p := &importPlan{}
	newHouseholds := map[string]*importHousehold{}
	// Where each row is: its building and household (not yet created).
	for _, r := range rows {
		if r.refuse != "" {
			continue
		}
		bs := st.buildingByKey[buildingKey(r.buildingText)]
		if r.compoundText != "" {
			var in []*importBuilding
			for _, b := range bs {
				if compoundKey(b.Compound) == compoundKey(r.compoundText) {
					in = append(in, b)
				}
			}
			if len(in) == 0 && len(bs) > 0 {
				r.refuse = "小区「" + r.compoundText + "」里没有楼栋「" + r.buildingText + "」"
				continue
			}
			bs = in
		}
		switch {
		case len(bs) == 0:
			r.refuse = "社区里没有楼栋「" + r.buildingText + "」（楼栋需先在系统中建好）" + suggestBuilding(st, r.buildingText)
			continue
		case len(bs) > 1:
			r.refuse = fmt.Sprintf("社区里有 %d 栋楼都叫「%s」，无法确定是哪一栋（可加一列“小区”写明是哪个小区的）", len(bs), r.buildingText)
			continue
		}
		r.building = bs[0]
		if r.building.Units != nil && r.unit != "" {
			if n, err := strconv.Atoi(strings.TrimSuffix(r.unit, "单元")); err == nil && n > *r.building.Units {
				r.refuse = fmt.Sprintf("%s只有 %d 个单元，没有%s", r.building.Name, *r.building.Units, r.unit)
				continue
			}
		}
		k := householdKey(r.building.ID, r.unit, r.room)
		h := st.households[k]
		if h == nil {
			if h = newHouseholds[k]; h == nil {
				h = &importHousehold{Building: r.building.ID, Unit: r.unit, Room: r.room}
				newHouseholds[k] = h
			}
		}
		r.household = h
	}
	// Who each row is.
	persons := map[string]*importPerson{}
	var order []*importPerson
	for _, r := range rows {
		if r.refuse != "" {
			continue
		}
		if r.digest != nil && st.elsewhere[string(r.digest)] {
			r.refuse = "这个身份证号已登记在其他社区的居民名下，请先在那里办理迁出"
			continue
		}
		if r.digest != nil {
			r.match = st.byDigest[string(r.digest)]
		}
		if r.match == nil && r.household.ID != 0 {
			var same []*importResident
			for _, e := range st.byHousehold[r.household.ID] {
				if e.Name == r.name && e.BirthDate.Equal(r.birth) {
					same = append(same, e)
				}
			}
			if len(same) > 1 && r.phone != "" {
				same = slices.DeleteFunc(same, func(e *importResident) bool { return e.Phone == nil || *e.Phone != r.phone })
			}
			switch {
			case len(same) > 1:
				r.refuse = "这户有两位同名、同出生日期的居民，无法确定是哪一位（可填身份证号或手机区分）"
				continue
			case len(same) == 1 && r.digest != nil && same[0].IDDigest != nil:
				r.refuse = "这户已有同名、同出生日期的居民，但身份证号不同，请核对"
				continue
			case len(same) == 1:
				r.match = same[0]
			}
		}
	}
	// Rows without an ID number are one person by name and birth date; such a row in a flat
	// the person does not live in (an owner's other flat) is theirs through the resident
	// their other rows found.
	nbKey := func(r *importRow) string { return r.name + "\x00" + r.birth.Format("20060102") }
	nbMatches := map[string][]*importResident{}
	for _, r := range rows {
		if r.refuse == "" && r.digest == nil && r.match != nil && !slices.Contains(nbMatches[nbKey(r)], r.match) {
			nbMatches[nbKey(r)] = append(nbMatches[nbKey(r)], r.match)
		}
	}
	for _, r := range rows {
		if r.refuse != "" {
			continue
		}
		e := r.match
		if e == nil && r.digest == nil {
			ms := nbMatches[nbKey(r)]
			if len(ms) == 0 && r.owner != nil && *r.owner {
				// An owner's flat in a file that leaves out where they live.
				ms = st.byNameBirth[nbKey(r)]
			}
			switch len(ms) {
			case 0:
			case 1:
				e = ms[0]
			default:
				r.refuse = "花名册中有几位同名、同出生日期的居民，无法确定这一行是哪一位，请填写身份证号区分"
				continue
			}
		}
		key := "nb\x00" + nbKey(r)
		switch {
		case r.digest != nil:
			key = "id\x00" + string(r.digest)
		case e != nil && e.IDDigest != nil:
			key = "id\x00" + string(e.IDDigest)
		case e != nil:
			key = "r\x00" + strconv.FormatInt(e.ID, 10)
		}
		pr := persons[key]
		if pr == nil {
			pr = &importPerson{}
			persons[key] = pr
			order = append(order, pr)
		}
		if e != nil {
			if pr.existing != nil && pr.existing != e {
				r.refuse = "文件中同名、同出生日期的几行对应花名册中不同的居民，无法确定，请填写身份证号区分"
				continue
			}
			pr.existing = e
		}
		pr.rows = append(pr.rows, r)
		r.person = pr
	}
	// Each person's residence row.
	for _, pr := range order {
		var res *importRow
		if pr.existing != nil {
			for _, r := range pr.rows {
				if r.refuse == "" && r.household.ID == pr.existing.HouseholdID {
					res = r
					break
				}
			}
			if res == nil && !slices.ContainsFunc(pr.rows, func(r *importRow) bool { return r.refuse == "" && (r.owner == nil || !*r.owner) }) {
				continue // flats they own; where they live is not in the file
			}
		}
		if res == nil {
			for _, r := range pr.rows {
				if r.refuse == "" && (r.rel == "本人" || r.rel == "户主") {
					res = r
					break
				}
			}
		}
		if res == nil {
			for _, r := range pr.rows {
				if r.refuse == "" {
					res = r
					break
				}
			}
		}
		if res == nil {
			continue
		}
		res.residence = true
		if pr.existing != nil && pr.existing.HouseholdID != res.household.ID {
			res.refuse = "此人在花名册中登记住在另一户：搬家请在花名册中办理迁出和迁入，导入不会搬动居民"
		}
		for _, r := range pr.rows {
			if r == res || r.refuse != "" {
				continue
			}
			switch {
			case r.household == res.household:
				r.refuse = fmt.Sprintf("与第 %d 行是同一人、同一户，重复了", res.line)
			case r.owner == nil || !*r.owner:
				r.refuse = fmt.Sprintf("同一人出现了两次：第 %d 行已登记此人住在%s；同一人的其他行只能是他名下的其他房产（是否业主填“是”）",
					res.line, placeText(res))
			}
		}
	}
	// The households' areas: the first row giving one sets it, and a row giving another is
	// refused; a household to be created needs one.
	for _, r := range rows {
		if r.refuse != "" || r.areaDm2 == 0 {
			continue
		}
		h := r.household
		if h.areaLine == 0 {
			h.areaLine, h.newAreaDm2 = r.line, r.areaDm2
		} else if r.areaDm2 != h.newAreaDm2 {
			r.refuse = fmt.Sprintf("这户的面积与第 %d 行填的 %s 不一致", h.areaLine, areaText(h.newAreaDm2))
		}
	}
	for _, r := range rows {
		if r.refuse == "" && r.household.ID == 0 && r.household.areaLine == 0 {
			r.refuse = "这户还没有登记，新建户需要填写面积"
		}
	}
	// A person who is not in the roster and whose residence row is refused owns nothing.
	for _, pr := range order {
		for _, r := range pr.rows {
			if r.residence && r.refuse != "" {
				pr.refused = r.refuse
			}
		}
	}
	for _, r := range rows {
		if r.refuse == "" && !r.residence && r.person.existing == nil && r.person.refused != "" {
			r.refuse = "此人住处所在的那一行未能导入：" + r.person.refused
		}
	}
	inFile := map[*importResident]bool{}
	for _, r := range rows {
		if r.refuse == "" && r.match != nil {
			inFile[r.match] = true
		}
	}
	// The plan, row by row.
	for _, r := range rows {
		line := &RosterImportLine{Row: r.line, Building: r.buildingText, Unit: r.unit, Room: r.room, Name: r.name}
		p.lines = append(p.lines, line)
		if r.refuse != "" {
			line.Action, line.Reason = RowRefuse, &r.refuse
			rep.Refused++
			continue
		}
		created, changed := false, false
		h := r.household
		// The household.
		if h.firstLine == 0 {
			h.firstLine = r.line
			if h.areaLine == 0 {
				h.newAreaDm2 = h.AreaDm2
			}
			switch {
			case h.ID == 0:
				p.newHouseholds = append(p.newHouseholds, h)
				rep.Households.Created++
				created = true
				line.Changes = append(line.Changes, fmt.Sprintf("新建户：%s，面积 %s", placeText(r), areaText(h.newAreaDm2)))
			case h.newAreaDm2 != h.AreaDm2:
				p.areaChanges = append(p.areaChanges, h)
				rep.Households.Changed++
				changed = true
				line.Changes = append(line.Changes, fmt.Sprintf("户面积：%s → %s", areaText(h.AreaDm2), areaText(h.newAreaDm2)))
			default:
				rep.Households.Unchanged++
			}
		}
		line.household = strconv.FormatInt(h.ID, 10)
		// The person.
		pr := r.person
		if r.residence {
			if e := pr.existing; e != nil {
				line.resident = strconv.FormatInt(e.ID, 10)
				ch := residentChanges(e, r)
				if len(ch) > 0 {
					p.changed = append(p.changed, e)
					rep.Residents.Changed++
					changed = true
					line.Changes = append(line.Changes, ch...)
				} else {
					rep.Residents.Unchanged++
				}
			} else {
				nr := &newResident{household: h, name: r.name, phone: r.phone, gender: r.gender, rel: r.rel,
					birth: r.birth, digest: r.digest, tags: r.tags}
				pr.created = nr
				p.newResidents = append(p.newResidents, nr)
				rep.Residents.Created++
				created = true
				line.Changes = append(line.Changes, "新增居民："+r.name)
				if h.ID != 0 {
					var others []string
					for _, e := range st.byHousehold[h.ID] {
						if !inFile[e] {
							others = append(others, e.Name)
						}
					}
					if len(others) > 0 {
						note := "这户在花名册中已住着 " + strings.Join(others, "、") + "，他们不在文件中（导入不会删除他们）"
						line.Note = &note
					}
				}
			}
		} else if e := pr.existing; e != nil {
			line.resident = strconv.FormatInt(e.ID, 10)
		}
		// The ownership.
		if r.owner != nil {
			var o *importOwner
			if e := pr.existing; e != nil && h.ID != 0 {
				o = st.owners[[2]int64{h.ID, e.ID}]
			}
			switch {
			case *r.owner && o != nil:
				rep.Ownerships.Unchanged++
			case *r.owner:
				p.newOwnerships = append(p.newOwnerships, ownershipRef{household: h, person: pr})
				rep.Ownerships.Created++
				created = true
				if r.residence {
					line.Changes = append(line.Changes, "登记为这户的业主")
				} else {
					res := slices.IndexFunc(pr.rows, func(o *importRow) bool { return o.residence })
					where := "花名册中的住处"
					if res >= 0 {
						where = fmt.Sprintf("第 %d 行的户", pr.rows[res].line)
					}
					line.Changes = append(line.Changes, "登记为这户的业主（此人住在"+where+"）")
				}
			case o != nil:
				p.endOwnerships = append(p.endOwnerships, o)
				rep.Ownerships.Changed++
				changed = true
				line.Changes = append(line.Changes, "不再登记为这户的业主（自 "+now.In(china).Format("2006-01-02")+" 起）")
				line.ownerships = strconv.FormatInt(o.ID, 10)
			}
		}
		switch {
		case created:
			line.Action = RowCreate
		case changed:
			line.Action = RowChange
		default:
			line.Action = RowUnchanged
		}
	}
	// Who lives in a household the file names but is not in it.
	named := map[int64]bool{}
	for _, r := range rows {
		if r.refuse == "" && r.household != nil && r.household.ID != 0 {
			named[r.household.ID] = true
		}
	}
	byID := map[int64]*importBuilding{}
	for _, b := range st.buildings {
		byID[b.ID] = b
	}
	hByID := map[int64]*importHousehold{}
	for _, h := range st.households {
		hByID[h.ID] = h
	}
	for _, e := range st.residents {
		if inFile[e] || !named[e.HouseholdID] {
			continue
		}
		h := hByID[e.HouseholdID]
		note := "花名册中有、文件中没有：导入不会删除此人；如已搬走或去世，请在花名册中办理"
		l := &RosterImportLine{Action: RowNotInFile, Building: byID[h.Building].Name, Unit: h.Unit, Room: h.Room, Name: e.Name,
			Reason: &note, resident: strconv.FormatInt(e.ID, 10)}
		p.lines = append(p.lines, l)
		rep.NotInFile++
	}
	rep.Lines = make([]RosterImportLine, len(p.lines))
	sum := sha256.New()
	fmt.Fprintf(sum, "linli roster import v1\x00%d\x00%s\n", rep.CommunityID, now.In(china).Format("2006-01-02"))
	for i, l := range p.lines {
		rep.Lines[i] = *l
		fmt.Fprintf(sum, "%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\n", l.Row, l.Action, l.Building, l.Unit, l.Room, l.Name,
			strings.Join(l.Changes, "\x01"), deref(l.Reason), l.household, l.resident, l.ownerships)
	}
	rep.PlanDigest = hex.EncodeToString(sum.Sum(nil))
	return p
}

// residentChanges sets on e what the row changes and says it: a blank cell changes nothing.
func residentChanges(e *importResident, r *importRow) []string {
	var ch []string
	if r.phoneGiven && (e.Phone == nil || *e.Phone != r.phone) {
		ch = append(ch, fmt.Sprintf("手机：%s → %s", orNone(e.Phone), r.phone))
		e.Phone = &r.phone
	}
	if r.relGiven && (e.Relationship == nil || *e.Relationship != r.rel) {
		ch = append(ch, fmt.Sprintf("与户主关系：%s → %s", orNone(e.Relationship), r.rel))
		e.Relationship = &r.rel
	}
	if r.genG && (e.Gender == nil || *e.Gender != r.gender) {
		old := "无"
		if e.Gender != nil {
			old = genderNames[*e.Gender]
		}
		ch = append(ch, fmt.Sprintf("性别：%s → %s", old, genderNames[r.gender]))
		e.Gender = &r.gender
	}
	if r.tagsGiven && !slices.Equal([]string(e.Tags), r.tags) {
		ch = append(ch, fmt.Sprintf("标签：%s → %s", tagList(e.Tags), tagList(r.tags)))
		e.Tags = r.tags
	}
	if r.digest != nil && e.IDDigest == nil {
		ch = append(ch, "补登身份证号（只保存其摘要）")
		e.IDDigest = r.digest
	}
	return ch
}

func orNone(s *string) string {
	if s == nil || *s == "" {
		return "无"
	}
	return *s
}

func areaText(dm2 int64) string {
	return fmt.Sprintf("%d.%02d㎡", dm2/100, dm2%100)
}

func placeText(r *importRow) string {
	name := r.buildingText
	if r.building != nil {
		name = r.building.Name
	}
	return name + " " + r.unit + r.room
}

// suggestBuilding names the community's building closest to a name not found, if one is
// close enough to be a typo.
func suggestBuilding(st *rosterState, name string) string {
	key := buildingKey(name)
	numbered := func(k string) bool { return buildingNumber.MatchString(k) }
	best, bestD := "", 3
	for _, b := range st.buildings {
		if numbered(key) && numbered(buildingKey(b.Name)) {
			continue // 8号楼 is not a typo of 7号楼
		}
		d := min(editDistance(key, buildingKey(b.Name)), editDistance(normText(name), b.Name))
		if d < bestD || d == bestD && best != "" && b.Name < best {
			best, bestD = b.Name, d
		}
	}
	if best == "" || bestD > max(1, len([]rune(key))/2) {
		return ""
	}
	return "，是不是「" + best + "」？"
}

// applyImport writes the plan: a handful of multi-row statements, whatever the file's size.
func (tx *Tx) applyImport(p *importPlan, st *rosterState, now time.Time) error {
	today := now.In(china).Format("2006-01-02")
	if n := len(p.newHouseholds); n > 0 {
		parents, names, units, rooms, areas := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
		byKey := make(map[string]*importHousehold, n)
		for i, h := range p.newHouseholds {
			parents[i], names[i], units[i], rooms[i], areas[i] = h.Building, h.Unit+h.Room, h.Unit, h.Room, h.newAreaDm2
			byKey[householdKey(h.Building, h.Unit, h.Room)] = h
		}
		var made []*importHousehold
		if err := tx.SelectContext(tx.ctx, &made, `INSERT INTO places (level, parent_id, name, unit, room, floor_area_dm2, created_at)
			SELECT 'household', p, n, NULLIF(u, ''), r, a, $6
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::integer[]) AS t (p, n, u, r, a)
			RETURNING id, parent_id, coalesce(unit, '') AS unit, room, floor_area_dm2`,
			pq.Array(parents), pq.Array(names), pq.Array(units), pq.Array(rooms), pq.Array(areas), now); err != nil {
			return fmt.Errorf("households: %w", err)
		}
		for _, m := range made {
			byKey[householdKey(m.Building, m.Unit, m.Room)].ID = m.ID
		}
	}
	if n := len(p.areaChanges); n > 0 {
		ids, areas := make([]int64, n), make([]int64, n)
		for i, h := range p.areaChanges {
			ids[i], areas[i] = h.ID, h.newAreaDm2
		}
		if _, err := tx.ExecContext(tx.ctx, `UPDATE places p SET floor_area_dm2 = t.a
			FROM unnest($1::bigint[], $2::integer[]) AS t (id, a) WHERE p.id = t.id`, pq.Array(ids), pq.Array(areas)); err != nil {
			return fmt.Errorf("areas: %w", err)
		}
	}
	if n := len(p.newResidents); n > 0 {
		// Ids first, so each new resident is known by its id whatever order rows come back in.
		var ids []int64
		if err := tx.SelectContext(tx.ctx, &ids, `SELECT nextval(pg_get_serial_sequence('residents', 'id')) FROM generate_series(1, $1)`, n); err != nil {
			return err
		}
		hs, names, phones, genders, rels, tags, births := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		digests := make([][]byte, n) // nil goes as an empty bytea: NULLIF makes it NULL
		for i, r := range p.newResidents {
			r.id = ids[i]
			hs[i], names[i], phones[i], genders[i], rels[i] = r.household.ID, r.name, r.phone, r.gender, r.rel
			tags[i], births[i], digests[i] = strings.Join(r.tags, ","), r.birth.Format("2006-01-02"), r.digest
		}
		if _, err := tx.ExecContext(tx.ctx, `INSERT INTO residents (id, household_id, name, phone, birth_date, gender, relationship, tags,
				id_digest, verified_at, created_at) OVERRIDING SYSTEM VALUE
			SELECT id, h, n, NULLIF(ph, ''), b::date, NULLIF(g, ''), NULLIF(rel, ''), coalesce(string_to_array(NULLIF(tg, ''), ','), '{}'), NULLIF(d, ''::bytea), $10, $10
			FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bytea[])
				AS t (id, h, n, ph, b, g, rel, tg, d)`,
			pq.Array(ids), pq.Array(hs), pq.Array(names), pq.Array(phones), pq.Array(births), pq.Array(genders), pq.Array(rels),
			pq.Array(tags), pq.ByteaArray(digests), now); err != nil {
			return fmt.Errorf("residents: %w", err)
		}
	}
	if n := len(p.changed); n > 0 {
		ids, phones, genders, rels, tags := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		digests := make([][]byte, n)
		for i, e := range p.changed {
			ids[i], phones[i], genders[i], rels[i] = e.ID, deref(e.Phone), deref(e.Gender), deref(e.Relationship)
			tags[i], digests[i] = strings.Join(e.Tags, ","), e.IDDigest
		}
		if _, err := tx.ExecContext(tx.ctx, `UPDATE residents r SET phone = NULLIF(t.ph, ''), gender = NULLIF(t.g, ''),
				relationship = NULLIF(t.rel, ''), tags = coalesce(string_to_array(NULLIF(t.tg, ''), ','), '{}'), id_digest = NULLIF(t.d, ''::bytea)
			FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[]) AS t (id, ph, g, rel, tg, d)
			WHERE r.id = t.id`,
			pq.Array(ids), pq.Array(phones), pq.Array(genders), pq.Array(rels), pq.Array(tags), pq.ByteaArray(digests)); err != nil {
			return fmt.Errorf("resident changes: %w", err)
		}
	}
	if n := len(p.newOwnerships); n > 0 {
		hs, rs := make([]int64, n), make([]int64, n)
		for i, o := range p.newOwnerships {
			hs[i] = o.household.ID
			if e := o.person.existing; e != nil {
				rs[i] = e.ID
			} else {
				rs[i] = o.person.created.id
			}
		}
		if _, err := tx.ExecContext(tx.ctx, `INSERT INTO household_owners (household_id, resident_id, since)
			SELECT h, r, $3::date FROM unnest($1::bigint[], $2::bigint[]) AS t (h, r)`, pq.Array(hs), pq.Array(rs), today); err != nil {
			return fmt.Errorf("ownerships: %w", err)
		}
	}
	if n := len(p.endOwnerships); n > 0 {
		ids := make([]int64, n)
		for i, o := range p.endOwnerships {
			ids[i] = o.ID
		}
		// An ownership recorded today and ended today never held: it goes.
		if _, err := tx.ExecContext(tx.ctx, `UPDATE household_owners SET until = $2::date WHERE id = ANY($1) AND since < $2::date`,
			pq.Array(ids), today); err != nil {
			return err
		}
		if _, err := tx.ExecContext(tx.ctx, `DELETE FROM household_owners WHERE id = ANY($1) AND since >= $2::date`,
			pq.Array(ids), today); err != nil {
			return err
		}
	}
	return nil
}

// errorMessage is the Chinese message of an application error.
func errorMessage(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Message
	}
	return "无法识别"
}

// rosterCSVText guards a cell an export writes: Excel runs a cell that starts with = + - @
// as a formula.
func rosterCSVText(s string) string {
	if s != "" && strings.ContainsAny(s[:1], badNameStart) {
		return "'" + s
	}
	return s
}
