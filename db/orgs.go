package db

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/lib/pq"
)

// Organisations (组织) that serve communities: paired units (共建单位), caring merchants (爱心商户)
// and resident groups (社区达人、邻里互助团). Migration 0023.

// OrganisationKind is what kind of organisation it is.
type OrganisationKind string

// Organisation kinds.
const (
	OrganisationPairedUnit    OrganisationKind = "paired_unit"
	OrganisationMerchant      OrganisationKind = "merchant"
	OrganisationResidentGroup OrganisationKind = "resident_group"
)

var organisationKinds = []OrganisationKind{OrganisationPairedUnit, OrganisationMerchant, OrganisationResidentGroup}

func (k OrganisationKind) MarshalGQL(w io.Writer) { marshalEnum(w, k) }
func (k *OrganisationKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(k, v, organisationKinds, "OrganisationKind")
}

var organisationKindNames = map[OrganisationKind]string{
	OrganisationPairedUnit: "共建单位", OrganisationMerchant: "爱心商户", OrganisationResidentGroup: "居民团队",
}

// Name is the kind's Chinese name.
func (k OrganisationKind) Name() string { return organisationKindNames[k] }

// rolesKeepingOrganisations register organisations in the places they hold the role in, and
// keep them (communities, contacts).
var rolesKeepingOrganisations = []Role{RoleStaff, RoleAdmin}

// Organisation is a paired unit, merchant or resident group.
type Organisation struct {
	ID          int64            `db:"id"`
	Kind        OrganisationKind `db:"kind"`
	Name        string           `db:"name"`
	Description *string          `db:"description"`
	// RegisteredIn is the subdistrict or community that registered it; its staff keep it.
	RegisteredIn int64     `db:"registered_in"`
	RegisteredBy int64     `db:"registered_by"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
	// CommunityIDs are the communities it serves.
	CommunityIDs pq.Int64Array `db:"community_ids"`
}

const organisationColumns = `o.id, o.kind, o.name, o.description, o.registered_in, o.registered_by, o.created_at, o.updated_at,
	ARRAY(SELECT oc.community_id FROM organisation_communities oc WHERE oc.organisation_id = o.id ORDER BY oc.community_id) AS community_ids`

// OrganisationMember is an account's membership of an organisation; a contact acts for it.
type OrganisationMember struct {
	OrganisationID int64     `db:"organisation_id"`
	AccountID      int64     `db:"account_id"`
	Contact        bool      `db:"contact"`
	AddedBy        int64     `db:"added_by"`
	AddedAt        time.Time `db:"added_at"`
}

const memberColumns = `organisation_id, account_id, contact, added_by, added_at`

// OrganisationsByID returns the organisations with the given ids.
func (s *Store) OrganisationsByID(ctx context.Context, ids []int64) (map[int64]*Organisation, error) {
	return selectByKey(ctx, s, `SELECT `+organisationColumns+` FROM organisations o WHERE o.id = ANY($1)`, ids,
		func(o *Organisation) int64 { return o.ID })
}

// MembershipsOf returns the organisations account belongs to, by organisation id.
func (s *Store) MembershipsOf(ctx context.Context, account int64) (map[int64]*OrganisationMember, error) {
	var ms []*OrganisationMember
	if err := s.selectRows(ctx, &ms, `SELECT `+memberColumns+` FROM organisation_members WHERE account_id = $1`, account); err != nil {
		return nil, err
	}
	out := make(map[int64]*OrganisationMember, len(ms))
	for _, m := range ms {
		out[m.OrganisationID] = m
	}
	return out, nil
}

// OrganisationAccess is what one viewer may do with one organisation.
type OrganisationAccess struct {
	// Keeper: staff or admin of the place that registered it: changes its communities and
	// contacts.
	Keeper bool
	// Served: staff or admin of a community it serves: sees it, its offers and its check-ins.
	Served bool
	// Contact acts for it: its offers, its check-ins, its service records.
	Contact bool
	// Member belongs to it.
	Member bool
}

// Sees reports whether the organisation is visible at all.
func (a OrganisationAccess) Sees() bool { return a.Keeper || a.Served || a.Contact || a.Member }

// ReadsRecords reports whether the viewer reads its members and service records.
func (a OrganisationAccess) ReadsRecords() bool { return a.Keeper || a.Served || a.Contact }

// OrganisationAccess works out v's access to o, given the places o names (registeredIn and
// its communities) and v's membership (nil for none).
func (v *Viewer) OrganisationAccess(o *Organisation, places map[int64]*Place, m *OrganisationMember) OrganisationAccess {
	var a OrganisationAccess
	if v == nil {
		return a
	}
	a.Keeper = v.Holds(places[o.RegisteredIn], rolesKeepingOrganisations...)
	for _, c := range o.CommunityIDs {
		a.Served = a.Served || v.Holds(places[c], rolesKeepingOrganisations...)
	}
	a.Member = m != nil
	a.Contact = m != nil && m.Contact
	return a
}

// organisationAccess loads o with v's access to it inside tx, locking o's row when lock.
// NOT_FOUND when there is no such organisation or v may not see it.
func (tx *Tx) organisationAccess(v *Viewer, id int64, lock bool) (*Organisation, map[int64]*Place, OrganisationAccess, error) {
	q := `SELECT ` + organisationColumns + ` FROM organisations o WHERE o.id = $1`
	if lock {
		q += ` FOR NO KEY UPDATE OF o`
	}
	var o Organisation
	if err := tx.get(&o, q, id); err != nil {
		return nil, nil, OrganisationAccess{}, notFound(err, "找不到这个组织")
	}
	places, err := tx.places(append([]int64{o.RegisteredIn}, o.CommunityIDs...)...)
	if err != nil {
		return nil, nil, OrganisationAccess{}, err
	}
	var m *OrganisationMember
	if v != nil {
		var row OrganisationMember
		err := tx.get(&row, `SELECT `+memberColumns+` FROM organisation_members WHERE organisation_id = $1 AND account_id = $2`, id, v.Account.ID)
		switch {
		case err == nil:
			m = &row
		case !errors.Is(err, sql.ErrNoRows):
			return nil, nil, OrganisationAccess{}, err
		}
	}
	a := v.OrganisationAccess(&o, places, m)
	if !a.Sees() {
		return nil, nil, a, &Error{Code: ENOTFOUND, Message: "找不到这个组织"}
	}
	return &o, places, a, nil
}

// RegisterOrganisation is what registering an organisation takes.
type RegisterOrganisation struct {
	Kind        OrganisationKind
	Name        string
	Description *string
	// RegisteredIn is the subdistrict or community registering it.
	RegisteredIn int64
	// CommunityIDs are the communities it serves: at least one, each at or under RegisteredIn.
	CommunityIDs []int64
}

// communitiesUnder checks that ids name 1 to 20 distinct communities inside tx, each at or
// under place within, for field.
func (tx *Tx) communitiesUnder(field string, ids []int64, within *Place) (map[int64]*Place, error) {
	if len(ids) == 0 {
		return nil, Invalid(field, "请至少选择一个社区")
	}
	if len(ids) > 20 {
		return nil, Invalid(field, "最多选择 20 个社区")
	}
	ps, err := tx.places(ids...)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		p := ps[id]
		if p == nil {
			return nil, &Error{Code: ENOTFOUND, Field: field, Message: "找不到这个社区"}
		}
		if p.Level != LevelCommunity {
			return nil, Invalid(field, "%s是%s，这里需要选择社区", p.Name, p.Level.Name())
		}
		if within != nil && !p.Within(within.ID) {
			return nil, Invalid(field, "%s不在%s之内", p.Name, within.Name)
		}
	}
	return ps, nil
}

// RegisterOrganisation registers an organisation in a subdistrict or community, serving
// the communities named. Errors: UNAUTHENTICATED; NOT_FOUND (registeredIn, communityIds);
// FORBIDDEN unless v is staff or admin there; INVALID_INPUT; CONFLICT when the name is taken.
func (s *Store) RegisterOrganisation(ctx context.Context, v *Viewer, in RegisterOrganisation) (*Organisation, error) {
	if v == nil {
		return nil, needSignIn
	}
	if !slices.Contains(organisationKinds, in.Kind) {
		return nil, Invalid("kind", "组织类型无效")
	}
	name, err := text("name", "组织名称", in.Name, 1, 60)
	if err != nil {
		return nil, err
	}
	description, err := optionalText("description", "介绍", in.Description, 1000)
	if err != nil {
		return nil, err
	}
	ids := uniqueIDs(in.CommunityIDs)
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	at, err := tx.place(in.RegisteredIn)
	if err != nil {
		return nil, withField(err, "registeredIn")
	}
	if at.Level != LevelSubdistrict && at.Level != LevelCommunity {
		return nil, Invalid("registeredIn", "组织由街道或社区登记，%s是%s", at.Name, at.Level.Name())
	}
	if !v.Holds(at, rolesKeepingOrganisations...) {
		return nil, forbidden("只有%s的社区工作者或管理员可以在这里登记组织", at.Name)
	}
	if _, err := tx.communitiesUnder("communityIds", ids, at); err != nil {
		return nil, err
	}
	var id int64
	err = tx.get(&id, `INSERT INTO organisations (kind, name, description, registered_in, registered_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`, in.Kind, name, description, at.ID, v.Account.ID, tx.now)
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "name", Message: "已经有名为“" + name + "”的组织了"}
	} else if err != nil {
		return nil, err
	}
	if _, err := tx.exec(`INSERT INTO organisation_communities (organisation_id, community_id, added_by, added_at)
		SELECT $1, c, $2, $3 FROM unnest($4::bigint[]) c`, id, v.Account.ID, tx.now, pq.Array(ids)); err != nil {
		return nil, err
	}
	var o Organisation
	if err := tx.get(&o, `SELECT `+organisationColumns+` FROM organisations o WHERE o.id = $1`, id); err != nil {
		return nil, err
	}
	return &o, tx.Commit()
}

// uniqueIDs returns ids without repeats, in their first order.
func uniqueIDs(ids []int64) []int64 {
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// PairOrganisation adds a community that o serves. Errors: UNAUTHENTICATED; NOT_FOUND
// (organisationId, communityId); FORBIDDEN unless v keeps o and is staff or admin of the
// community; INVALID_INPUT; CONFLICT when it already serves it.
func (s *Store) PairOrganisation(ctx context.Context, v *Viewer, orgID, communityID int64) (*Organisation, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o, _, a, err := tx.organisationAccess(v, orgID, true)
	if err != nil {
		return nil, withField(err, "organisationId")
	}
	cs, err := tx.communitiesUnder("communityId", []int64{communityID}, nil)
	if err != nil {
		return nil, err
	}
	c := cs[communityID]
	if !a.Keeper || !v.Holds(c, rolesKeepingOrganisations...) {
		return nil, forbidden("只有登记%s的单位、且是%s的社区工作者或管理员才能为它添加服务社区", o.Name, c.Name)
	}
	_, err = tx.exec(`INSERT INTO organisation_communities (organisation_id, community_id, added_by, added_at)
		VALUES ($1, $2, $3, $4)`, orgID, communityID, v.Account.ID, tx.now)
	if sqlState(err) == uniqueViolation {
		return nil, Errorf(ECONFLICT, "%s已经在服务%s了", o.Name, c.Name)
	} else if err != nil {
		return nil, err
	}
	if _, err := tx.exec(`UPDATE organisations SET updated_at = $2 WHERE id = $1`, orgID, tx.now); err != nil {
		return nil, err
	}
	if err := tx.get(o, `SELECT `+organisationColumns+` FROM organisations o WHERE o.id = $1`, orgID); err != nil {
		return nil, err
	}
	return o, tx.Commit()
}

// SetOrganisationMember adds account to o, or changes whether it is a contact. Keepers of o
// add and change anyone; a contact adds members (not contacts). Errors: UNAUTHENTICATED;
// NOT_FOUND (organisationId, accountId); FORBIDDEN.
func (s *Store) SetOrganisationMember(ctx context.Context, v *Viewer, orgID, accountID int64, contact bool) (*OrganisationMember, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o, _, a, err := tx.organisationAccess(v, orgID, true)
	if err != nil {
		return nil, withField(err, "organisationId")
	}
	if !a.Keeper && !(a.Contact && !contact) {
		if a.Contact {
			return nil, forbidden("联系人可以添加成员；指定联系人请找登记%s的社区工作者", o.Name)
		}
		return nil, forbidden("只有登记%s的社区工作者、管理员或它的联系人可以添加成员", o.Name)
	}
	var m OrganisationMember
	err = tx.get(&m, `INSERT INTO organisation_members (organisation_id, account_id, contact, added_by, added_at)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (organisation_id, account_id) DO UPDATE SET contact = EXCLUDED.contact
		RETURNING `+memberColumns, orgID, accountID, contact, v.Account.ID, tx.now)
	if sqlState(err) == foreignKeyViolation {
		return nil, &Error{Code: ENOTFOUND, Field: "accountId", Message: "找不到这个账号"}
	} else if err != nil {
		return nil, err
	}
	return &m, tx.Commit()
}

// RemoveOrganisationMember takes account out of o. Keepers remove anyone; a contact removes
// members who are not contacts; anyone may leave. Errors: UNAUTHENTICATED; NOT_FOUND;
// FORBIDDEN.
func (s *Store) RemoveOrganisationMember(ctx context.Context, v *Viewer, orgID, accountID int64) (*Organisation, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o, _, a, err := tx.organisationAccess(v, orgID, true)
	if err != nil {
		return nil, withField(err, "organisationId")
	}
	var m OrganisationMember
	err = tx.get(&m, `SELECT `+memberColumns+` FROM organisation_members WHERE organisation_id = $1 AND account_id = $2`, orgID, accountID)
	if err != nil {
		return nil, withField(notFound(err, "这个账号不是该组织的成员"), "accountId")
	}
	if !a.Keeper && !v.Is(accountID) && !(a.Contact && !m.Contact) {
		return nil, forbidden("只有登记%s的社区工作者、管理员或它的联系人可以移除成员", o.Name)
	}
	if _, err := tx.exec(`DELETE FROM organisation_members WHERE organisation_id = $1 AND account_id = $2`, orgID, accountID); err != nil {
		return nil, err
	}
	return o, tx.Commit()
}

// OrganisationMembers returns o's members, contacts first, to those who read its records.
// Errors: UNAUTHENTICATED; NOT_FOUND.
func (s *Store) OrganisationMembers(ctx context.Context, v *Viewer, orgID int64) ([]*OrganisationMember, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	_, _, a, err := tx.organisationAccess(v, orgID, false)
	if err != nil {
		return nil, err
	}
	if !a.ReadsRecords() {
		return nil, forbidden("只有组织的联系人和所服务社区的社区工作者可以查看成员名单")
	}
	var ms []*OrganisationMember
	if err := tx.selectRows(&ms, `SELECT `+memberColumns+` FROM organisation_members WHERE organisation_id = $1
		ORDER BY contact DESC, added_at, account_id`, orgID); err != nil {
		return nil, err
	}
	return ms, tx.Commit()
}

// OrganisationFilter narrows the organisations list.
type OrganisationFilter struct {
	Kinds []OrganisationKind
	// CommunityID: those serving this community (0: any).
	CommunityID int64
}

// Organisations returns a page of the organisations v sees: those registered in or serving
// places where v is staff or admin, and those v belongs to; by id.
func (s *Store) Organisations(ctx context.Context, v *Viewer, f OrganisationFilter, p Page) (Paged[*Organisation], error) {
	if v == nil {
		return Paged[*Organisation]{}, needSignIn
	}
	keeping, _ := v.placesHolding(rolesKeepingOrganisations...)
	kinds := make([]string, len(f.Kinds))
	for i, k := range f.Kinds {
		kinds[i] = string(k)
	}
	from := `FROM organisations o WHERE (
			EXISTS (SELECT 1 FROM places rp WHERE rp.id = o.registered_in AND rp.path && $1)
			OR EXISTS (SELECT 1 FROM organisation_communities oc JOIN places cp ON cp.id = oc.community_id
				WHERE oc.organisation_id = o.id AND cp.path && $1)
			OR EXISTS (SELECT 1 FROM organisation_members m WHERE m.organisation_id = o.id AND m.account_id = $2))
		AND (cardinality($3::organisation_kind[]) = 0 OR o.kind = ANY($3))
		AND ($4 = 0 OR EXISTS (SELECT 1 FROM organisation_communities oc WHERE oc.organisation_id = o.id AND oc.community_id = $4))`
	return listQuery(ctx, s, `SELECT `+organisationColumns+` `+from,
		[]any{pq.Array(keeping), v.Account.ID, pq.Array(kinds), f.CommunityID}, byID.qualified("o"),
		func(o *Organisation) Key { return idKey(o.ID) }, p)
}

// Organisation returns organisation id if v may see it. Errors: UNAUTHENTICATED; NOT_FOUND
// (also for one v may not see).
func (s *Store) Organisation(ctx context.Context, v *Viewer, id int64) (*Organisation, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o, _, _, err := tx.organisationAccess(v, id, false)
	if err != nil {
		return nil, err
	}
	return o, tx.Commit()
}
