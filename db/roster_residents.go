package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"
)

// Residents over time (电子装户图): who lives in which household from which day, kept by
// community staff and, in their grid, its grid worker. The residencies table is the truth
// for the past; residents.household_id is the current (or last) household.

// rolesKeepingRoster add, move, correct and record the leaving of residents, and link them
// to accounts: the same people who see protected tags and verify residents.
var rolesKeepingRoster = []Role{RoleStaff, RoleGridWorker}

// Left reasons, as residents.left_reason keeps them.
const (
	LeftMovedAway = "moved_away"
	LeftDied      = "died"
)

// LeftReasonName is a left reason in Chinese, for messages and audit notes.
func LeftReasonName(reason string) string {
	switch reason {
	case LeftMovedAway:
		return "迁出"
	case LeftDied:
		return "去世"
	}
	return reason
}

// Residency is one stretch of a resident living in a household: since (included) until
// (excluded; nil while they still live there).
type Residency struct {
	ID          int64      `db:"id"`
	ResidentID  int64      `db:"resident_id"`
	HouseholdID int64      `db:"household_id"`
	Since       time.Time  `db:"since"`
	Until       *time.Time `db:"until"`
}

// NewResident is a person added to the roster.
type NewResident struct {
	HouseholdID  int64
	Name         string
	Gender       *string
	BirthDate    *time.Time
	Phone        *string
	IDNumber     *string
	Relationship *string
	Tags         []ResidentTag
	// On is the day they came to live there (default today).
	On     *time.Time
	Reason *string
}

// ResidentCorrection corrects mistakes in a resident's record: nil fields stay as they
// are; Phone "" clears the phone. A correction is true for all time and so takes no day.
type ResidentCorrection struct {
	Name         *string
	Gender       *string
	BirthDate    *time.Time
	Phone        *string
	IDNumber     *string
	Relationship *string
	Tags         *[]ResidentTag
	Reason       *string
}

// rosterDay returns the day a change took effect: on, or today in China; never in the
// future.
func (tx *Tx) rosterDay(on *time.Time) (time.Time, error) {
	today := chinaDay(tx.now)
	if on == nil {
		return today, nil
	}
	d := time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
	if d.After(today) {
		return time.Time{}, Invalid("on", "日期不能晚于今天（%s）：名册只记录已经发生的变动", today.Format(time.DateOnly))
	}
	return d, nil
}

func checkGender(g *string) error {
	if g != nil && *g != "male" && *g != "female" {
		return Invalid("gender", "性别只能是男或女")
	}
	return nil
}

func cleanRelationship(r *string) (*string, error) {
	if r == nil {
		return nil, nil
	}
	t := strings.TrimSpace(*r)
	if n := utf8.RuneCountInString(t); n < 1 || n > 20 {
		return nil, Invalid("relationship", "与户主关系需要 1 到 20 个字，例如 本人、配偶、子女")
	}
	return &t, nil
}

func checkTags(tags []ResidentTag) ([]string, error) {
	out := []string{}
	for _, t := range tags {
		if !slices.Contains(residentTags, t) {
			return nil, Invalid("tags", "没有这个标签：%s", t)
		}
		if !slices.Contains(out, string(t)) {
			out = append(out, string(t))
		}
	}
	slices.Sort(out)
	return out, nil
}

func checkBirthDate(b time.Time, today time.Time) error {
	if b.After(today) || b.Year() < 1900 {
		return Invalid("birthDate", "出生日期不正确：不能晚于今天，也不能早于1900年")
	}
	return nil
}

// idDigestOf checks an ID number against the birth date and gender given with it (or
// supplies them) and returns its digest.
// resident (0: none) is who it is for: their own digest is no conflict.
func (tx *Tx) idDigestOf(number string, birth **time.Time, gender **string, resident int64) ([]byte, error) {
	n, err := ParseIDNumber(number)
	if err != nil {
		return nil, err
	}
	if *birth == nil {
		*birth = &n.BirthDate
	} else if !(*birth).Equal(n.BirthDate) {
		return nil, Invalid("birthDate", "出生日期（%s）与身份证号中的出生日期（%s）不一致", (*birth).Format(time.DateOnly), n.BirthDate.Format(time.DateOnly))
	}
	if *gender == nil {
		*gender = &n.Gender
	} else if **gender != n.Gender {
		return nil, Invalid("gender", "性别与身份证号不一致（身份证号第17位表示%s）", genderName(n.Gender))
	}
	key, err := tx.store.IDDigestKey()
	if err != nil {
		return nil, err
	}
	digest := IDDigest(key, n)
	var other struct {
		ID   int64 `db:"id"`
		Left bool  `db:"left"`
	}
	err = tx.get(&other, `SELECT id, left_on IS NOT NULL AS left FROM residents WHERE id_digest = $1 AND id <> $2 FOR UPDATE`, digest, resident)
	switch {
	case err == nil && other.Left:
		// The same person coming back, or arriving from a community whose roster they left:
		// the digest recognises their present entry; the old one keeps its history.
		if _, err := tx.exec(`UPDATE residents SET id_digest = NULL WHERE id = $1`, other.ID); err != nil {
			return nil, err
		}
	case err == nil:
		return nil, &Error{Code: ECONFLICT, Field: "idNumber", Message: "名册中已有这个身份证号的居民：同一个人不能登记两次，请查找已有的记录（迁居请用迁户登记）"}
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	return digest, nil
}

func genderName(g string) string {
	if g == "male" {
		return "男"
	}
	return "女"
}

// rosterHousehold loads a household a change names, checks that it is one and still on the
// roster, and that v keeps the roster there.
func (tx *Tx) rosterHousehold(v *Viewer, id int64, field string) (*Place, error) {
	var row struct {
		Place
		Retired bool `db:"retired"`
	}
	err := tx.get(&row, `SELECT `+placeColumns+`, retired_at IS NOT NULL AS retired FROM places WHERE id = $1`, id)
	if err != nil {
		return nil, withField(notFound(err, "找不到这一户"), field)
	}
	p := &row.Place
	if p.Level != LevelHousehold {
		return nil, Invalid(field, "请选择具体的户（房号），而不是%s", p.Level.Name())
	}
	if !v.Holds(p, rolesKeepingRoster...) {
		if !v.SeesHousehold(p) {
			return nil, &Error{Code: ENOTFOUND, Field: field, Message: "找不到这一户"}
		}
		return nil, forbidden("只有这一户所在社区的社区工作者或所在网格的网格员可以登记居民变动")
	}
	if row.Retired {
		return nil, Errorf(EINVALIDSTATE, "这一户已经撤销，不能再登记居民")
	}
	return p, nil
}

// householdLabel names a household for an audit note: 3号楼 2单元302.
func (tx *Tx) householdLabel(p *Place) string {
	if p.ParentID == nil {
		return p.Name
	}
	b, err := tx.place(*p.ParentID)
	if err != nil {
		return p.Name
	}
	return b.Name + " " + p.Name
}

// lockRosterResident locks a resident for a change by v: NOT_FOUND if v may not see them,
// FORBIDDEN if v sees but does not keep the roster there.
func (tx *Tx) lockRosterResident(v *Viewer, id int64) (*Resident, *Place, error) {
	if v == nil {
		return nil, nil, needSignIn
	}
	var r Resident
	if err := tx.get(&r, `SELECT `+residentColumns+` FROM residents r WHERE r.id = $1 FOR UPDATE`, id); err != nil {
		return nil, nil, withField(notFound(err, "找不到这位居民"), "residentId")
	}
	household, err := tx.place(r.HouseholdID)
	if err != nil {
		return nil, nil, err
	}
	if !v.Holds(household, rolesKeepingRoster...) {
		if !v.CanSeeResident(&r, household) {
			return nil, nil, &Error{Code: ENOTFOUND, Field: "residentId", Message: "找不到这位居民"}
		}
		return nil, nil, forbidden("只有这位居民所在社区的社区工作者或所在网格的网格员可以登记变动")
	}
	return &r, household, nil
}

// currentResidency returns r's open residency, for a change on day: day must be after the
// day it began (a residency of no days is not one), or that day itself when sameDay.
func (tx *Tx) currentResidency(r *Resident, day time.Time, sameDay bool) (*Residency, error) {
	if r.LeftOn != nil {
		return nil, Errorf(EINVALIDSTATE, "这位居民已于%s%s，名册上不再有当前住址", r.LeftOn.Format(time.DateOnly), LeftReasonName(*r.LeftReason))
	}
	var cur Residency
	if err := tx.get(&cur, `SELECT id, resident_id, household_id, since, until FROM residencies WHERE resident_id = $1 AND until IS NULL`, r.ID); err != nil {
		return nil, notFound(err, "这位居民没有当前的居住记录")
	}
	if day.Before(cur.Since) || day.Equal(cur.Since) && !sameDay {
		return nil, Invalid("on", "日期需要晚于这位居民入住现住户的日期（%s）；迁户可以是入住当天（即登记错了户）", cur.Since.Format(time.DateOnly))
	}
	return &cur, nil
}

func reasonNote(note string, reason *string) *string {
	if reason != nil && strings.TrimSpace(*reason) != "" {
		note += "；原因：" + strings.TrimSpace(*reason)
	}
	return &note
}

// AddResident adds a person to a household of the roster from the day on, verified by v.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_INPUT, INVALID_STATE (retired
// household), CONFLICT (the same ID number is on the roster already).
func (s *Store) AddResident(ctx context.Context, v *Viewer, in NewResident) (*Resident, error) {
	if v == nil {
		return nil, needSignIn
	}
	name, err := cleanName("name", in.Name)
	if err != nil {
		return nil, err
	}
	var phone *string
	if in.Phone != nil && strings.TrimSpace(*in.Phone) != "" {
		p, err := NormalizePhone("phone", *in.Phone)
		if err != nil {
			return nil, err
		}
		phone = &p
	}
	if err := checkGender(in.Gender); err != nil {
		return nil, err
	}
	relationship, err := cleanRelationship(in.Relationship)
	if err != nil {
		return nil, err
	}
	tags, err := checkTags(in.Tags)
	if err != nil {
		return nil, err
	}
	if in.Reason, err = optionalText("reason", "原因", in.Reason, 500); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	household, err := tx.rosterHousehold(v, in.HouseholdID, "householdId")
	if err != nil {
		return nil, err
	}
	day, err := tx.rosterDay(in.On)
	if err != nil {
		return nil, err
	}
	birth, gender := in.BirthDate, in.Gender
	var digest []byte
	if in.IDNumber != nil && strings.TrimSpace(*in.IDNumber) != "" {
		if digest, err = tx.idDigestOf(*in.IDNumber, &birth, &gender, 0); err != nil {
			return nil, err
		}
	}
	if birth == nil {
		return nil, Invalid("birthDate", "请填写出生日期或身份证号")
	}
	if err := checkBirthDate(*birth, chinaDay(tx.now)); err != nil {
		return nil, err
	}
	if day.Before(*birth) {
		return nil, Invalid("on", "入住日期不能早于出生日期")
	}
	var r Resident
	err = tx.get(&r, `INSERT INTO residents AS r (household_id, name, phone, birth_date, gender, relationship, tags, id_digest,
			verified_at, verified_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) RETURNING `+residentColumns,
		household.ID, name, phone, *birth, gender, relationship, pq.Array(tags), digest, tx.now, v.Account.ID)
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "idNumber", Message: "名册中已有这个身份证号的居民：同一个人不能登记两次"}
	} else if err != nil {
		return nil, err
	}
	// The insert trigger started a residency on the day of created_at: it began on day.
	if _, err := tx.exec(`UPDATE residencies SET since = $2 WHERE resident_id = $1`, r.ID, day); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("登记入住：%s 住 %s，自 %s 起", name, tx.householdLabel(household), day.Format(time.DateOnly))
	if err := tx.audit(auditEvent{Action: AuditResidentAdded, ActorID: &v.Account.ID, PlaceID: &household.ID,
		ResidentID: &r.ID, Note: reasonNote(note, in.Reason)}); err != nil {
		return nil, err
	}
	return &r, tx.Commit()
}

// MoveResident records that a resident moved to another household on the day on: their
// residency there ends and one in the new household begins. v must keep the roster of both
// households. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_INPUT, INVALID_STATE
// (left, or a retired household).
func (s *Store) MoveResident(ctx context.Context, v *Viewer, residentID, householdID int64, on *time.Time, reason *string) (*Resident, error) {
	var err error
	if reason, err = optionalText("reason", "原因", reason, 500); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r, from, err := tx.lockRosterResident(v, residentID)
	if err != nil {
		return nil, err
	}
	to, err := tx.rosterHousehold(v, householdID, "householdId")
	if err != nil {
		return nil, err
	}
	if to.ID == from.ID {
		return nil, Invalid("householdId", "这位居民已经住在这一户")
	}
	day, err := tx.rosterDay(on)
	if err != nil {
		return nil, err
	}
	cur, err := tx.currentResidency(r, day, true)
	if err != nil {
		return nil, err
	}
	if day.Equal(cur.Since) {
		// Moving on the day they came is putting right the household they were entered
		// in: a residency of no days would say nothing.
		if _, err := tx.exec(`UPDATE residencies SET household_id = $2 WHERE id = $1`, cur.ID, to.ID); err != nil {
			return nil, err
		}
	} else {
		if _, err := tx.exec(`UPDATE residencies SET until = $2 WHERE id = $1`, cur.ID, day); err != nil {
			return nil, err
		}
		if _, err := tx.exec(`INSERT INTO residencies (resident_id, household_id, since) VALUES ($1, $2, $3)`, r.ID, to.ID, day); err != nil {
			return nil, err
		}
	}
	if err := tx.get(r, `UPDATE residents r SET household_id = $2 WHERE id = $1 RETURNING `+residentColumns, r.ID, to.ID); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("迁户：%s 自 %s 起从 %s 迁到 %s", r.Name, day.Format(time.DateOnly), tx.householdLabel(from), tx.householdLabel(to))
	for _, p := range []*Place{to, from} {
		// Each community sees the move in its own records.
		if p == from && len(from.Path) > 1 && len(to.Path) > 1 && from.Path[1] == to.Path[1] {
			break
		}
		if err := tx.audit(auditEvent{Action: AuditResidentMoved, ActorID: &v.Account.ID, PlaceID: &p.ID,
			ResidentID: &r.ID, AccountID: r.AccountID, Note: reasonNote(note, reason)}); err != nil {
			return nil, err
		}
	}
	return r, tx.Commit()
}

// RecordLeaving records that a resident moved away (迁出) or died (去世) on the day on:
// their residency ends, and they are no longer on the present roster. Their row, last
// household and everything that points at them stay. Errors: UNAUTHENTICATED, NOT_FOUND,
// FORBIDDEN, INVALID_INPUT, INVALID_STATE (already left).
func (s *Store) RecordLeaving(ctx context.Context, v *Viewer, residentID int64, leftReason string, on *time.Time, reason *string) (*Resident, error) {
	if leftReason != LeftMovedAway && leftReason != LeftDied {
		return nil, Invalid("leftReason", "离开原因只能是迁出或去世")
	}
	var err error
	if reason, err = optionalText("reason", "原因", reason, 500); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r, household, err := tx.lockRosterResident(v, residentID)
	if err != nil {
		return nil, err
	}
	day, err := tx.rosterDay(on)
	if err != nil {
		return nil, err
	}
	cur, err := tx.currentResidency(r, day, false)
	if err != nil {
		return nil, err
	}
	if _, err := tx.exec(`UPDATE residencies SET until = $2 WHERE id = $1`, cur.ID, day); err != nil {
		return nil, err
	}
	if err := tx.get(r, `UPDATE residents r SET left_on = $2, left_reason = $3 WHERE id = $1 RETURNING `+residentColumns,
		r.ID, day, leftReason); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("%s：%s 于 %s 离开 %s", LeftReasonName(leftReason), r.Name, day.Format(time.DateOnly), tx.householdLabel(household))
	if err := tx.audit(auditEvent{Action: AuditResidentLeft, ActorID: &v.Account.ID, PlaceID: &household.ID,
		ResidentID: &r.ID, AccountID: r.AccountID, Note: reasonNote(note, reason)}); err != nil {
		return nil, err
	}
	return r, tx.Commit()
}

// CorrectResident corrects mistakes in a resident's record. The audit note says what
// changed, old → new; a phone shows masked and protected tags only as changed, since
// admins, who read the audit, see neither. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN,
// INVALID_INPUT (including nothing to change), CONFLICT (ID number on another resident).
func (s *Store) CorrectResident(ctx context.Context, v *Viewer, residentID int64, c ResidentCorrection) (*Resident, error) {
	if err := checkGender(c.Gender); err != nil {
		return nil, err
	}
	relationship, err := cleanRelationship(c.Relationship)
	if err != nil {
		return nil, err
	}
	if c.Reason, err = optionalText("reason", "原因", c.Reason, 500); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r, household, err := tx.lockRosterResident(v, residentID)
	if err != nil {
		return nil, err
	}
	var changes []string
	name, phone, birth, gender, tags := r.Name, r.Phone, r.BirthDate, r.Gender, []string(r.Tags)
	if c.Name != nil {
		n, err := cleanName("name", *c.Name)
		if err != nil {
			return nil, err
		}
		if n != name {
			changes = append(changes, fmt.Sprintf("姓名 %s → %s", name, n))
			name = n
		}
	}
	if c.Phone != nil {
		var p *string
		if strings.TrimSpace(*c.Phone) != "" {
			n, err := NormalizePhone("phone", *c.Phone)
			if err != nil {
				return nil, err
			}
			p = &n
		}
		if !equalPtr(p, phone) {
			changes = append(changes, fmt.Sprintf("手机号 %s → %s", maskedOrNone(phone), maskedOrNone(p)))
			phone = p
		}
	}
	newBirth, newGender := c.BirthDate, c.Gender
	var digest []byte
	if c.IDNumber != nil && strings.TrimSpace(*c.IDNumber) != "" {
		// The number decides birth date and gender, unless corrected with it (then they
		// must agree).
		d, err := tx.idDigestOf(*c.IDNumber, &newBirth, &newGender, r.ID)
		if err != nil {
			return nil, err
		}
		var same bool
		if err := tx.get(&same, `SELECT coalesce(id_digest = $2, false) FROM residents WHERE id = $1`, r.ID, d); err != nil {
			return nil, err
		}
		if !same {
			digest = d
			changes = append(changes, "身份证号 已登记")
		}
	}
	if newBirth != nil && !newBirth.Equal(birth) {
		if err := checkBirthDate(*newBirth, chinaDay(tx.now)); err != nil {
			return nil, err
		}
		changes = append(changes, fmt.Sprintf("出生日期 %s → %s", birth.Format(time.DateOnly), newBirth.Format(time.DateOnly)))
		birth = *newBirth
	}
	if newGender != nil && !equalPtr(newGender, gender) {
		changes = append(changes, fmt.Sprintf("性别 %s → %s", genderOrNone(gender), genderName(*newGender)))
		gender = newGender
	}
	if relationship != nil && !equalPtr(relationship, r.Relationship) {
		changes = append(changes, fmt.Sprintf("与户主关系 %s → %s", noteOrNone(r.Relationship), *relationship))
	} else {
		relationship = r.Relationship
	}
	if c.Tags != nil {
		t, err := checkTags(*c.Tags)
		if err != nil {
			return nil, err
		}
		old := slices.Clone(tags)
		slices.Sort(old)
		if !slices.Equal(old, t) {
			changes = append(changes, fmt.Sprintf("受保护标签 已更改（%d 项 → %d 项）", len(old), len(t)))
			tags = t
		}
	}
	if len(changes) == 0 {
		return nil, Invalid("", "没有要更改的内容：填写的与名册上的相同")
	}
	if tags == nil {
		tags = []string{}
	}
	err = tx.get(r, `UPDATE residents r SET name = $2, phone = $3, birth_date = $4, gender = $5, relationship = $6, tags = $7,
			id_digest = coalesce($8, id_digest)
		WHERE id = $1 RETURNING `+residentColumns, r.ID, name, phone, birth, gender, relationship, pq.Array(tags), digest)
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "idNumber", Message: "名册中已有这个身份证号的居民：同一个人不能登记两次"}
	} else if err != nil {
		return nil, err
	}
	note := "更正：" + strings.Join(changes, "；")
	if err := tx.audit(auditEvent{Action: AuditResidentCorrected, ActorID: &v.Account.ID, PlaceID: &household.ID,
		ResidentID: &r.ID, AccountID: r.AccountID, Note: reasonNote(note, c.Reason)}); err != nil {
		return nil, err
	}
	return r, tx.Commit()
}

func equalPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func noteOrNone(s *string) string {
	if s == nil {
		return "（无）"
	}
	return *s
}

func maskedOrNone(p *string) string {
	if p == nil {
		return "（无）"
	}
	return MaskPhone(*p)
}

func genderOrNone(g *string) string {
	if g == nil {
		return "（无）"
	}
	return genderName(*g)
}

// ResidenciesOf returns each resident's residencies, oldest first.
func (s *Store) ResidenciesOf(ctx context.Context, residentIDs []int64) (map[int64][]*Residency, error) {
	return selectGrouped(ctx, s, `SELECT id, resident_id, household_id, since, until FROM residencies
		WHERE resident_id = ANY($1) ORDER BY since, id`, residentIDs, func(r *Residency) int64 { return r.ResidentID })
}

// ---------------------------------------------------------------- the roster as of a day

// RosterHousehold is a household as the roster stood on a day: who lived there and who
// owned it.
type RosterHousehold struct {
	Household   *Place
	Residencies []*Residency
	Owners      []*HouseholdOwner
}

// Roster returns a page of the households in place or under it as the roster stood on day
// asOf (default today): the residencies and ownerships that held that day. Households
// retired before the day are left out. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN,
// INVALID_INPUT (a day in the future).
func (s *Store) Roster(ctx context.Context, v *Viewer, placeID int64, asOf *time.Time, p Page) (Paged[*RosterHousehold], time.Time, error) {
	if err := s.checkSeesResidents(ctx, v, placeID); err != nil {
		return Paged[*RosterHousehold]{}, time.Time{}, err
	}
	today := chinaDay(s.Now())
	day := today
	if asOf != nil {
		day = time.Date(asOf.Year(), asOf.Month(), asOf.Day(), 0, 0, 0, 0, time.UTC)
		if day.After(today) {
			return Paged[*RosterHousehold]{}, time.Time{}, Invalid("asOf", "名册只能查看今天（%s）及以前的情况", today.Format(time.DateOnly))
		}
	}
	from, args := rosterFrom(placeID, day)
	page, err := listQuery(ctx, s, `SELECT `+placeColumns+` `+from, args, byID, placeKey, p)
	if err != nil {
		return Paged[*RosterHousehold]{}, day, err
	}
	ids := make([]int64, len(page.Items))
	for i, h := range page.Items {
		ids[i] = h.ID
	}
	var lived []*Residency
	if err := s.selectRows(ctx, &lived, `SELECT id, resident_id, household_id, since, until FROM residencies
		WHERE household_id = ANY($1) AND since <= $2 AND (until IS NULL OR until > $2) ORDER BY household_id, since, id`, pq.Array(ids), day); err != nil {
		return Paged[*RosterHousehold]{}, day, err
	}
	var owned []*HouseholdOwner
	if err := s.selectRows(ctx, &owned, `SELECT id, household_id, resident_id, named_voter, since, until FROM household_owners
		WHERE household_id = ANY($1) AND since <= $2 AND (until IS NULL OR until > $2) ORDER BY household_id, since, id`, pq.Array(ids), day); err != nil {
		return Paged[*RosterHousehold]{}, day, err
	}
	out := Paged[*RosterHousehold]{Keys: page.Keys, HasNext: page.HasNext, HasPrevious: page.HasPrevious}
	byHousehold := map[int64]*RosterHousehold{}
	for _, h := range page.Items {
		rh := &RosterHousehold{Household: h, Residencies: []*Residency{}, Owners: []*HouseholdOwner{}}
		byHousehold[h.ID] = rh
		out.Items = append(out.Items, rh)
	}
	for _, r := range lived {
		byHousehold[r.HouseholdID].Residencies = append(byHousehold[r.HouseholdID].Residencies, r)
	}
	for _, o := range owned {
		byHousehold[o.HouseholdID].Owners = append(byHousehold[o.HouseholdID].Owners, o)
	}
	return out, day, nil
}

// CountRoster counts the households Roster lists for the day.
func (s *Store) CountRoster(ctx context.Context, placeID int64, day time.Time) (int, error) {
	from, args := rosterFrom(placeID, day)
	return s.count(ctx, from, args...)
}

func rosterFrom(placeID int64, day time.Time) (string, []any) {
	return `FROM places WHERE level = 'household' AND path @> $1
		AND (retired_at IS NULL OR (retired_at AT TIME ZONE 'Asia/Shanghai')::date > $2)`, []any{pq.Array([]int64{placeID}), day}
}

// ---------------------------------------------------------------- residents and accounts

// PendingRegistration is a sign-up held for matching (待匹配): the account may be someone already
// on the roster, so no second resident was made for it. Staff link it to its roster entry
// (LinkResidentAccount) or admit it as a new resident (AdmitRegistration).
type PendingRegistration struct {
	AccountID   int64     `db:"account_id"`
	HouseholdID int64     `db:"household_id"`
	Name        string    `db:"name"`
	Phone       string    `db:"phone"`
	BirthDate   time.Time `db:"birth_date"`
	IsOwner     bool      `db:"is_owner"`
	CreatedAt   time.Time `db:"created_at"`
	// Candidates are the roster entries it may be.
	Candidates []*RosterMatch
}

// RosterMatch is a roster entry a registration may be, and what they share.
type RosterMatch struct {
	Resident      *Resident
	SameName      bool
	SamePhone     bool
	SameHousehold bool
	SameBirthDate bool
}

// candidatesQuery finds the present roster entries a person registering may be: in the
// household they named, with their name or their phone; or elsewhere in the community,
// with both. $1 household, $2 name, $3 phone, $4 community.
const candidatesQuery = `SELECT ` + residentColumns + `, h.path AS household_path
	FROM residents r JOIN places h ON h.id = r.household_id
	WHERE r.left_on IS NULL AND (r.household_id = $1 AND (r.name = $2 OR r.phone = $3)
		OR r.name = $2 AND r.phone = $3 AND h.path @> ARRAY[$4::bigint])
	ORDER BY r.id LIMIT 20`

func matchesOf(rs []*Resident, householdID int64, name, phone string, birth time.Time) []*RosterMatch {
	out := make([]*RosterMatch, len(rs))
	for i, r := range rs {
		out[i] = &RosterMatch{Resident: r, SameName: r.Name == name, SamePhone: r.Phone != nil && *r.Phone == phone,
			SameHousehold: r.HouseholdID == householdID, SameBirthDate: r.BirthDate.Equal(birth)}
	}
	return out
}

func communityID(p *Place) int64 {
	if len(p.Path) > 1 {
		return p.Path[1]
	}
	return p.ID
}

// holdForMatch keeps a new account's registration for staff instead of making a resident
// when the roster already holds someone it may be. It reports whether it did.
func (tx *Tx) holdForMatch(a *Account, household *Place, r Registration) (bool, error) {
	var found []*Resident
	if err := tx.selectRows(&found, candidatesQuery, household.ID, a.Name, a.Phone, communityID(household)); err != nil {
		return false, err
	}
	if len(found) == 0 {
		return false, nil
	}
	_, err := tx.exec(`INSERT INTO registrations (account_id, household_id, name, phone, birth_date, is_owner, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.ID, household.ID, a.Name, a.Phone, r.BirthDate, r.IsOwner, tx.now)
	return err == nil, err
}

// Registrations returns the registrations held for matching in place or under it, oldest
// first (at most 100), each with its candidates. Errors: UNAUTHENTICATED, NOT_FOUND,
// FORBIDDEN.
func (s *Store) Registrations(ctx context.Context, v *Viewer, placeID int64) ([]*PendingRegistration, error) {
	if v == nil {
		return nil, needSignIn
	}
	p, err := s.Place(ctx, placeID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(p, rolesVerifying...) {
		return nil, forbidden("只有%s的社区工作者或网格员可以处理待匹配的注册", p.Name)
	}
	var regs []*PendingRegistration
	if err := s.selectRows(ctx, &regs, `SELECT g.account_id, g.household_id, g.name, g.phone, g.birth_date, g.is_owner, g.created_at
		FROM registrations g JOIN places h ON h.id = g.household_id
		WHERE g.settled_at IS NULL AND h.path @> $1 ORDER BY g.created_at, g.account_id LIMIT 100`, pq.Array([]int64{placeID})); err != nil {
		return nil, err
	}
	for _, g := range regs {
		h, err := s.Place(ctx, g.HouseholdID)
		if err != nil {
			return nil, err
		}
		var found []*Resident
		if err := s.selectRows(ctx, &found, candidatesQuery, g.HouseholdID, g.Name, g.Phone, communityID(h)); err != nil {
			return nil, err
		}
		g.Candidates = matchesOf(found, g.HouseholdID, g.Name, g.Phone, g.BirthDate)
	}
	return regs, nil
}

// LinkResidentAccount links an account to a roster entry and so verifies it, in one step:
// the person who registered is the resident the roster already holds. A registration held
// for matching is settled by it. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN,
// INVALID_STATE (the resident has left), CONFLICT (either is linked to someone else).
func (s *Store) LinkResidentAccount(ctx context.Context, v *Viewer, residentID, accountID int64, reason *string) (*Resident, error) {
	var err error
	if reason, err = optionalText("reason", "原因", reason, 500); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r, household, err := tx.lockRosterResident(v, residentID)
	if err != nil {
		return nil, err
	}
	if r.LeftOn != nil {
		return nil, Errorf(EINVALIDSTATE, "这位居民已于%s%s，不能再关联账号", r.LeftOn.Format(time.DateOnly), LeftReasonName(*r.LeftReason))
	}
	var a Account
	if err := tx.get(&a, `SELECT `+accountColumns+` FROM accounts WHERE id = $1 FOR UPDATE`, accountID); err != nil {
		return nil, withField(notFound(err, "找不到这个账号"), "accountId")
	}
	if r.AccountID != nil {
		if *r.AccountID == accountID && r.VerifiedAt != nil {
			return r, nil
		}
		if *r.AccountID != accountID {
			return nil, &Error{Code: ECONFLICT, Field: "residentId", Message: "这位居民已经关联了另一个账号；同一个人只能有一个账号，请先核对"}
		}
	}
	var other struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
		Left bool   `db:"left"`
	}
	var unlinked string
	err = tx.get(&other, `SELECT id, name, left_on IS NOT NULL AS left FROM residents WHERE account_id = $1 AND id <> $2 FOR UPDATE`, accountID, r.ID)
	switch {
	case err == nil && other.Left:
		// Someone who moved away and came back, or moved here from another community: the
		// account follows them to their present entry; the old one keeps its history.
		if _, err := tx.exec(`UPDATE residents SET account_id = NULL WHERE id = $1`, other.ID); err != nil {
			return nil, err
		}
		unlinked = "（账号原关联的已离开的记录已解除关联）"
	case err == nil:
		return nil, &Error{Code: ECONFLICT, Field: "accountId", Message: fmt.Sprintf("这个账号已经对应名册中的另一位居民（%s）：可能重复登记了，请先核对两条记录", other.Name)}
	case !errors.Is(err, sql.ErrNoRows):
		return nil, err
	}
	err = tx.get(r, `UPDATE residents r SET account_id = $2, verified_at = $3, verified_by = $4 WHERE id = $1 RETURNING `+residentColumns,
		r.ID, accountID, tx.now, v.Account.ID)
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "accountId", Message: "这个账号刚刚被关联到另一位居民，请刷新后核对"}
	} else if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("关联账号并核实：账号「%s」即名册中 %s 的 %s%s", a.Name, tx.householdLabel(household), r.Name, unlinked)
	var g PendingRegistration
	err = tx.get(&g, `UPDATE registrations SET resident_id = $2, settled_at = $3, settled_by = $4
		WHERE account_id = $1 AND settled_at IS NULL RETURNING account_id, household_id, name, phone, birth_date, is_owner, created_at`,
		accountID, r.ID, tx.now, v.Account.ID)
	if err == nil {
		if g.HouseholdID != r.HouseholdID {
			note += "（注册时所填的户不同）"
		}
		if !g.BirthDate.Equal(r.BirthDate) {
			note += "（注册时所填的出生日期不同）"
		}
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err := tx.audit(auditEvent{Action: AuditResidentLinked, ActorID: &v.Account.ID, PlaceID: &household.ID,
		ResidentID: &r.ID, AccountID: &accountID, Note: reasonNote(note, reason)}); err != nil {
		return nil, err
	}
	return r, tx.Commit()
}

// AdmitRegistration admits a registration held for matching as a new resident, verified:
// staff have found that none of its candidates is this person. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE (already settled), CONFLICT (account linked).
func (s *Store) AdmitRegistration(ctx context.Context, v *Viewer, accountID int64, reason *string) (*Resident, error) {
	if v == nil {
		return nil, needSignIn
	}
	var err error
	if reason, err = optionalText("reason", "原因", reason, 500); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var g struct {
		PendingRegistration
		Settled bool `db:"settled"`
	}
	if err := tx.get(&g, `SELECT account_id, household_id, name, phone, birth_date, is_owner, created_at, settled_at IS NOT NULL AS settled
		FROM registrations WHERE account_id = $1 FOR UPDATE`, accountID); err != nil {
		return nil, withField(notFound(err, "这个账号没有待匹配的注册"), "accountId")
	}
	household, err := tx.place(g.HouseholdID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(household, rolesKeepingRoster...) {
		if !v.SeesHousehold(household) {
			return nil, &Error{Code: ENOTFOUND, Field: "accountId", Message: "这个账号没有待匹配的注册"}
		}
		return nil, forbidden("只有这一户所在社区的社区工作者或所在网格的网格员可以核实注册")
	}
	if g.Settled {
		return nil, Errorf(EINVALIDSTATE, "这个注册已经处理过了")
	}
	var r Resident
	err = tx.get(&r, `INSERT INTO residents AS r (household_id, name, phone, birth_date, account_id, verified_at, verified_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $6) RETURNING `+residentColumns,
		g.HouseholdID, g.Name, g.Phone, g.BirthDate, accountID, tx.now, v.Account.ID)
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "accountId", Message: "这个账号已经关联了名册中的居民"}
	} else if err != nil {
		return nil, err
	}
	// Saying one owns the flat when registering records a co-ownership, as Register does for
	// a registration that needed no matching.
	if g.IsOwner {
		if err := tx.startOwnership(g.HouseholdID, r.ID, tx.now); err != nil {
			return nil, err
		}
		r.IsOwner = true
	}
	if _, err := tx.exec(`UPDATE registrations SET resident_id = $2, settled_at = $3, settled_by = $4 WHERE account_id = $1`,
		accountID, r.ID, tx.now, v.Account.ID); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("核实注册为新居民：%s 住 %s（名册中的相似记录不是此人）", g.Name, tx.householdLabel(household))
	if err := tx.audit(auditEvent{Action: AuditResidentAdded, ActorID: &v.Account.ID, PlaceID: &household.ID,
		ResidentID: &r.ID, AccountID: &accountID, Note: reasonNote(note, reason)}); err != nil {
		return nil, err
	}
	return &r, tx.Commit()
}

// Duplicate is a set of present roster entries that may be one person.
type Duplicate struct {
	Why         string        `db:"why"` // "same_phone" or "same_name_and_birth_date"
	ResidentIDs pq.Int64Array `db:"ids"`
}

// ResidentDuplicates returns the sets of present residents in place or under it that may be
// the same person (at most 100): one phone on several entries, or the same name and birth
// date. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN.
func (s *Store) ResidentDuplicates(ctx context.Context, v *Viewer, placeID int64) ([]*Duplicate, error) {
	if err := s.checkSeesResidents(ctx, v, placeID); err != nil {
		return nil, err
	}
	var out []*Duplicate
	err := s.selectRows(ctx, &out, `WITH present AS (
			SELECT r.id, r.phone, r.name, r.birth_date FROM residents r JOIN places h ON h.id = r.household_id
			WHERE h.path @> $1 AND r.left_on IS NULL)
		(SELECT 'same_phone' AS why, array_agg(id ORDER BY id) AS ids FROM present WHERE phone IS NOT NULL
			GROUP BY phone HAVING count(*) > 1
		UNION ALL
		SELECT 'same_name_and_birth_date', array_agg(id ORDER BY id) FROM present
			GROUP BY name, birth_date HAVING count(*) > 1)
		ORDER BY ids LIMIT 100`, pq.Array([]int64{placeID}))
	return out, err
}
