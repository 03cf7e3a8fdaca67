package db

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Resident is a person living in a household.
type Resident struct {
	ID          int64          `db:"id"`
	HouseholdID int64          `db:"household_id"`
	Name        string         `db:"name"`
	Phone       *string        `db:"phone"`
	BirthDate   time.Time      `db:"birth_date"`
	IsOwner     bool           `db:"is_owner"` // owns a flat today, alone or with others (household_owners)
	Tags        pq.StringArray `db:"tags"`
	AccountID   *int64         `db:"account_id"`
	VerifiedAt  *time.Time     `db:"verified_at"`
	VerifiedBy  *int64         `db:"verified_by"`
	CreatedAt   time.Time      `db:"created_at"`
	// Gender ("male", "female") and Relationship (与户主关系) as the roster keeps them; nil
	// where nobody recorded them.
	Gender       *string `db:"gender"`
	Relationship *string `db:"relationship"`
	// LeftOn is the day they moved away or died (LeftReason); nil while they live here.
	// HouseholdID is then their last household.
	LeftOn     *time.Time `db:"left_on"`
	LeftReason *string    `db:"left_reason"`
	// HouseholdPath is the household's path in the tree (Place.Path), read with the
	// resident by the batch loaders so deciding what a viewer sees of them (Viewer.Sees)
	// needs no second lookup; nil where it was not read.
	HouseholdPath pq.Int64Array `db:"household_path"`
}

// Household is r's household as far as who holds a role over it goes (its id, level and
// path), when HouseholdPath was read; nil otherwise.
func (r *Resident) Household() *Place {
	if r.HouseholdPath == nil {
		return nil
	}
	return &Place{ID: r.HouseholdID, Level: LevelHousehold, Path: r.HouseholdPath}
}

// Age is r's age in whole years on the day of now, in China's time zone.
func (r *Resident) Age(now time.Time) int {
	now = now.In(china)
	b := r.BirthDate
	y := now.Year() - b.Year()
	if now.Month() < b.Month() || now.Month() == b.Month() && now.Day() < b.Day() {
		y--
	}
	return y
}

// Who may do what with residents, in one place so every door agrees.
var (
	// rolesSeeingResidents may list and open the residents of the places they serve, and
	// see those places' households.
	rolesSeeingResidents = []Role{RoleStaff, RoleGridWorker, RoleBuildingLeader, RoleAdmin}
	// rolesSeeingPhones see full phone numbers of the residents of their community.
	rolesSeeingPhones = []Role{RoleStaff}
	// rolesSeeingTags see protected tags (独居老人, 低保 …).
	rolesSeeingTags = []Role{RoleStaff, RoleGridWorker}
	// rolesVerifying confirm that a registered resident lives where they say.
	rolesVerifying = []Role{RoleStaff, RoleGridWorker}
)

// Sight is how much of one person a viewer sees. Whatever is not seen is masked: the name
// as 张**, the phone as 138****1234; the household, the resident record and the protected
// tags are withheld.
type Sight struct {
	// Name: the full name.
	Name bool
	// Phone: the full phone number.
	Phone bool
	// Household: which household they live in (a wish's full address).
	Household bool
	// Record: their resident record (birth date, age, owner or not, household).
	Record bool
	// Tags: the protected tags.
	Tags bool
}

// Contact is why a viewer may know someone they hold no role over: a wish between them.
type Contact struct {
	// Served: the viewer holds the active claim on a wish of theirs, or submitted one for
	// them (代办), or looks after their household now (包联). Shows name, phone and household (not the resident record), as the wish
	// itself does.
	Served bool
	// Helper: they hold the active claim on the viewer's wish, or look after the viewer's
	// household (包联), or are the grid worker of
	// the beneficiary of a wish whose active claim the viewer holds (whom to ask). Shows
	// name and phone.
	Helper bool
}

// Sees is the one masking rule for a person, on every path that reaches them: r is their
// resident record and household its household (both nil for an account that lives nowhere
// here), accountID their account (nil for a resident without one), c what links the viewer
// to them. A person sees all of themself; staff, grid workers, building leaders and admins
// of a place above the household see who lives there and their record, community staff
// also their phones, staff and grid workers their tags; an account that lives nowhere here
// is named to admins and community staff, who look people up to grant roles.
func (v *Viewer) Sees(accountID *int64, r *Resident, household *Place, c Contact) Sight {
	var s Sight
	switch {
	case accountID != nil && v.Is(*accountID) || r != nil && v.IsResident(r.ID):
		s = Sight{Name: true, Phone: true, Household: true, Record: true}
	case r == nil:
		s.Name = v.HoldsAnywhere(RoleAdmin, RoleStaff)
	default:
		s.Record = v.Holds(household, rolesSeeingResidents...)
		s.Name, s.Household = s.Record, s.Record
		s.Phone = v.Holds(household, rolesSeeingPhones...)
	}
	s.Tags = r != nil && v.Holds(household, rolesSeeingTags...)
	if c.Served {
		s.Name, s.Phone, s.Household = true, true, true
	}
	if c.Helper {
		s.Name, s.Phone = true, true
	}
	return s
}

// SeesHousehold reports whether v sees a place in full: every place but a household is
// public; a household (its name, unit, room and floor area) is seen by the people who live
// there and by staff, grid workers, building leaders and admins of a place above it, the
// same people who see its residents.
func (v *Viewer) SeesHousehold(p *Place) bool {
	return p.Level != LevelHousehold || v != nil && v.Resident != nil && v.Resident.HouseholdID == p.ID ||
		v.Holds(p, rolesSeeingResidents...)
}

// CanSeeResident reports whether v may see r, who lives in household, with no contact.
func (v *Viewer) CanSeeResident(r *Resident, household *Place) bool {
	return v.Sees(r.AccountID, r, household, Contact{}).Record
}

const residentColumns = `r.id, r.household_id, r.name, r.phone, r.birth_date, EXISTS (SELECT 1 FROM household_owners o WHERE o.resident_id = r.id AND o.until IS NULL) AS is_owner, r.tags, r.account_id, r.verified_at, r.verified_by, r.created_at,
	r.gender, r.relationship, r.left_on, r.left_reason`

// ResidentsByID returns the residents with the given ids.
func (s *Store) ResidentsByID(ctx context.Context, ids []int64) (map[int64]*Resident, error) {
	return selectByKey(ctx, s, `SELECT `+residentColumns+`, h.path AS household_path FROM residents r JOIN places h ON h.id = r.household_id
		WHERE r.id = ANY($1)`, ids, func(r *Resident) int64 { return r.ID })
}

// ResidentsByAccount returns the resident records of the given accounts, by account id.
func (s *Store) ResidentsByAccount(ctx context.Context, accountIDs []int64) (map[int64]*Resident, error) {
	return selectByKey(ctx, s, `SELECT `+residentColumns+`, h.path AS household_path FROM residents r JOIN places h ON h.id = r.household_id
		WHERE r.account_id = ANY($1)`, accountIDs, func(r *Resident) int64 { return *r.AccountID })
}

// ResidentFilter narrows a list of residents; nil fields do not filter.
type ResidentFilter struct {
	Verified     *bool
	IsOwner      *bool
	NameContains *string
}

func (f ResidentFilter) from(place int64) (string, []any) {
	var b strings.Builder
	args := []any{pq.Array([]int64{place})}
	b.WriteString(`FROM residents r JOIN places h ON h.id = r.household_id WHERE h.path @> $1 AND r.left_on IS NULL`)
	if f.Verified != nil {
		if *f.Verified {
			b.WriteString(` AND r.verified_at IS NOT NULL`)
		} else {
			b.WriteString(` AND r.verified_at IS NULL`)
		}
	}
	if f.IsOwner != nil {
		args = append(args, *f.IsOwner)
		b.WriteString(` AND EXISTS (SELECT 1 FROM household_owners o WHERE o.resident_id = r.id AND o.until IS NULL) = $` + strconv.Itoa(len(args)))
	}
	if f.NameContains != nil && strings.TrimSpace(*f.NameContains) != "" {
		args = append(args, "%"+likeEscaper.Replace(strings.TrimSpace(*f.NameContains))+"%")
		b.WriteString(` AND r.name LIKE $` + strconv.Itoa(len(args)))
	}
	return b.String(), args
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// checkSeesResidents returns the place if v may list its residents, FORBIDDEN otherwise.
func (s *Store) checkSeesResidents(ctx context.Context, v *Viewer, placeID int64) error {
	if v == nil {
		return needSignIn
	}
	p, err := s.Place(ctx, placeID)
	if err != nil {
		return err
	}
	if !v.Holds(p, rolesSeeingResidents...) {
		return forbidden("只有%s的社区工作者、网格员、楼栋长或管理员可以查看这里的居民", p.Name)
	}
	return nil
}

// Residents returns a page of the residents living in place or anywhere under it.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN.
func (s *Store) Residents(ctx context.Context, v *Viewer, place int64, f ResidentFilter, p Page) (Paged[*Resident], error) {
	if err := s.checkSeesResidents(ctx, v, place); err != nil {
		return Paged[*Resident]{}, err
	}
	from, args := f.from(place)
	return listQuery(ctx, s, `SELECT `+residentColumns+` `+from, args, byID.qualified("r"), func(r *Resident) Key { return idKey(r.ID) }, p)
}

// CountResidents counts what Residents lists.
func (s *Store) CountResidents(ctx context.Context, v *Viewer, place int64, f ResidentFilter) (int, error) {
	if err := s.checkSeesResidents(ctx, v, place); err != nil {
		return 0, err
	}
	from, args := f.from(place)
	return s.count(ctx, from, args...)
}

// VerifyResident confirms that a registered resident lives in the household they named.
// Verifying again changes nothing. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN.
func (s *Store) VerifyResident(ctx context.Context, v *Viewer, residentID int64) (*Resident, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var r Resident
	err = tx.get(&r, `SELECT `+residentColumns+` FROM residents r WHERE r.id = $1 FOR UPDATE`, residentID)
	if err != nil {
		return nil, notFound(err, "找不到这位居民")
	}
	household, err := tx.place(r.HouseholdID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(household, rolesVerifying...) {
		if !v.CanSeeResident(&r, household) {
			return nil, &Error{Code: ENOTFOUND, Message: "找不到这位居民"}
		}
		return nil, forbidden("只有这户所在社区的社区工作者或网格员可以核实居民身份")
	}
	if r.LeftOn != nil {
		return nil, Errorf(EINVALIDSTATE, "这位居民已于%s%s，不能再核实", r.LeftOn.Format(time.DateOnly), LeftReasonName(*r.LeftReason))
	}
	if r.VerifiedAt != nil {
		return &r, nil
	}
	if err := tx.get(&r, `UPDATE residents r SET verified_at = $2, verified_by = $3 WHERE r.id = $1 RETURNING `+residentColumns,
		residentID, tx.now, v.Account.ID); err != nil {
		return nil, err
	}
	if err := tx.audit(auditEvent{Action: AuditResidentVerified, ActorID: &v.Account.ID, PlaceID: &household.ID,
		ResidentID: &r.ID, AccountID: r.AccountID}); err != nil {
		return nil, err
	}
	return &r, tx.Commit()
}
