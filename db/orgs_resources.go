package db

import (
	"context"
	"io"
	"slices"
	"time"

	"github.com/lib/pq"
)

// The resources list (资源清单): what an organisation or one person offers a community.

// ResourceKind is what kind of thing is offered.
type ResourceKind string

// Resource kinds.
const (
	ResourceVenue ResourceKind = "venue"
	ResourceSkill ResourceKind = "skill"
	ResourceGoods ResourceKind = "goods"
	ResourceMoney ResourceKind = "money"
	ResourceHours ResourceKind = "hours"
)

var resourceKinds = []ResourceKind{ResourceVenue, ResourceSkill, ResourceGoods, ResourceMoney, ResourceHours}

func (k ResourceKind) MarshalGQL(w io.Writer) { marshalEnum(w, k) }
func (k *ResourceKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(k, v, resourceKinds, "ResourceKind")
}

// ServiceCategory is the field a resource (and a need) falls in: the wish categories, then
// the fields of needs too large for one volunteer.
type ServiceCategory string

var serviceCategories = []ServiceCategory{"goods", "repair", "companionship", "escort", "tutoring", "paperwork",
	"health", "elderly_care", "child_care", "culture", "environment", "legal", "employment", "other"}

func (c ServiceCategory) MarshalGQL(w io.Writer) { marshalEnum(w, c) }
func (c *ServiceCategory) UnmarshalGQL(v any) error {
	return unmarshalEnum(c, v, serviceCategories, "ServiceCategory")
}

// ResourceStaleAfter is how long an offer may go unchanged before it is flagged as possibly
// out of date (待更新): its owner should confirm or change it.
const ResourceStaleAfter = 90 * 24 * time.Hour

// Resource is one offer on the resources list.
type Resource struct {
	ID             int64           `db:"id"`
	OrganisationID *int64          `db:"organisation_id"`
	AccountID      *int64          `db:"account_id"`
	Kind           ResourceKind    `db:"kind"`
	Category       ServiceCategory `db:"category"`
	Title          string          `db:"title"`
	Description    string          `db:"description"`
	Availability   *string         `db:"availability"`
	OpeningHours   *string         `db:"opening_hours"`
	MoneyLimitYuan *int            `db:"money_limit_yuan"`
	HoursPerMonth  *int            `db:"hours_per_month"`
	Capacity       *int            `db:"capacity"`
	CreatedBy      int64           `db:"created_by"`
	CreatedAt      time.Time       `db:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at"`
	WithdrawnAt    *time.Time      `db:"withdrawn_at"`
	WithdrawReason *string         `db:"withdraw_reason"`
	CommunityIDs   pq.Int64Array   `db:"community_ids"`
}

// Stale reports whether r has gone unchanged for ResourceStaleAfter by now.
func (r *Resource) Stale(now time.Time) bool {
	return r.WithdrawnAt == nil && now.Sub(r.UpdatedAt) > ResourceStaleAfter
}

const resourceColumns = `r.id, r.organisation_id, r.account_id, r.kind, r.category, r.title, r.description, r.availability,
	r.opening_hours, r.money_limit_yuan, r.hours_per_month, r.capacity, r.created_by, r.created_at, r.updated_at,
	r.withdrawn_at, r.withdraw_reason,
	ARRAY(SELECT rc.community_id FROM resource_communities rc WHERE rc.resource_id = r.id ORDER BY rc.community_id) AS community_ids`

// ResourcesByID returns the resources with the given ids.
func (s *Store) ResourcesByID(ctx context.Context, ids []int64) (map[int64]*Resource, error) {
	return selectByKey(ctx, s, `SELECT `+resourceColumns+` FROM resources r WHERE r.id = ANY($1)`, ids,
		func(r *Resource) int64 { return r.ID })
}

// ResourceInput is an offer as its owner states it. On update, nil fields keep their value
// (Clear names optional fields to empty).
type ResourceInput struct {
	Kind           ResourceKind
	Category       ServiceCategory
	Title          string
	Description    string
	Availability   *string
	OpeningHours   *string
	MoneyLimitYuan *int
	HoursPerMonth  *int
	Capacity       *int
	CommunityIDs   []int64
}

// check validates in, trimming its texts.
func (in *ResourceInput) check() error {
	if !slices.Contains(resourceKinds, in.Kind) {
		return Invalid("kind", "资源类型无效")
	}
	if !slices.Contains(serviceCategories, in.Category) {
		return Invalid("category", "类别无效")
	}
	var err error
	if in.Title, err = text("title", "标题", in.Title, 1, 40); err != nil {
		return err
	}
	if in.Description, err = text("description", "说明", in.Description, 1, 1000); err != nil {
		return err
	}
	if in.Availability, err = optionalText("availability", "可提供时间", in.Availability, 200); err != nil {
		return err
	}
	if in.OpeningHours, err = optionalText("openingHours", "开放时间", in.OpeningHours, 200); err != nil {
		return err
	}
	// Each kind has its own measure, and no other kind's.
	for _, m := range []struct {
		kind  ResourceKind
		field string
		label string
		set   bool
	}{
		{ResourceVenue, "openingHours", "场地的开放时间", in.OpeningHours != nil},
		{ResourceMoney, "moneyLimitYuan", "资金的上限（元）", in.MoneyLimitYuan != nil},
		{ResourceHours, "hoursPerMonth", "每月可提供的小时数", in.HoursPerMonth != nil},
	} {
		if in.Kind == m.kind && !m.set {
			return Invalid(m.field, "请填写%s", m.label)
		}
		if in.Kind != m.kind && m.set {
			return Invalid(m.field, "只有%s类资源填写%s", resourceKindNames[m.kind], m.field)
		}
	}
	for _, n := range []struct {
		field string
		v     *int
		max   int
	}{{"moneyLimitYuan", in.MoneyLimitYuan, 10_000_000}, {"hoursPerMonth", in.HoursPerMonth, 744}, {"capacity", in.Capacity, 100_000}} {
		if n.v != nil && (*n.v <= 0 || *n.v > n.max) {
			return Invalid(n.field, "%s 需要在 1 到 %d 之间", n.field, n.max)
		}
	}
	in.CommunityIDs = uniqueIDs(in.CommunityIDs)
	return nil
}

var resourceKindNames = map[ResourceKind]string{
	ResourceVenue: "场地", ResourceSkill: "技能", ResourceGoods: "物资", ResourceMoney: "资金", ResourceHours: "时间",
}

// offersFor checks that v may offer for organisation org (0: for themselves) in the
// communities ids, inside tx. An organisation offers to the communities it serves; a person
// to communities they live in or hold a role in.
func (tx *Tx) offersFor(v *Viewer, org int64, ids []int64) error {
	cs, err := tx.communitiesUnder("communityIds", ids, nil)
	if err != nil {
		return err
	}
	if org != 0 {
		o, _, a, err := tx.organisationAccess(v, org, false)
		if err != nil {
			return withField(err, "organisationId")
		}
		if !a.Contact {
			return forbidden("只有%s的联系人可以为它登记资源", o.Name)
		}
		for _, id := range ids {
			if !slices.Contains(o.CommunityIDs, id) {
				return Invalid("communityIds", "%s不服务%s", o.Name, cs[id].Name)
			}
		}
		return nil
	}
	for _, id := range ids {
		c := cs[id]
		lives := v.Resident != nil && v.Resident.Verified && slices.Contains(v.Resident.HouseholdPath, id)
		if !lives && !v.Serves(c, roles...) {
			return Invalid("communityIds", "个人只能向自己居住或任职的社区提供资源，%s不是", c.Name)
		}
	}
	return nil
}

// OfferResource adds an offer to the resources list, for organisation org (its contacts
// only) or, with org 0, for v themselves. Errors: UNAUTHENTICATED; NOT_FOUND
// (organisationId, communityIds); FORBIDDEN; INVALID_INPUT.
func (s *Store) OfferResource(ctx context.Context, v *Viewer, org int64, in ResourceInput) (*Resource, error) {
	if v == nil {
		return nil, needSignIn
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := tx.offersFor(v, org, in.CommunityIDs); err != nil {
		return nil, err
	}
	var orgID, accountID *int64
	if org != 0 {
		orgID = &org
	} else {
		accountID = &v.Account.ID
	}
	var id int64
	if err := tx.get(&id, `INSERT INTO resources (organisation_id, account_id, kind, category, title, description, availability,
			opening_hours, money_limit_yuan, hours_per_month, capacity, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id`,
		orgID, accountID, in.Kind, in.Category, in.Title, in.Description, in.Availability, in.OpeningHours,
		in.MoneyLimitYuan, in.HoursPerMonth, in.Capacity, v.Account.ID, tx.now); err != nil {
		return nil, err
	}
	return tx.setResourceCommunities(id, in.CommunityIDs)
}

// setResourceCommunities replaces resource id's communities, and commits.
func (tx *Tx) setResourceCommunities(id int64, ids []int64) (*Resource, error) {
	if _, err := tx.exec(`DELETE FROM resource_communities WHERE resource_id = $1 AND community_id <> ALL($2)`, id, pq.Array(ids)); err != nil {
		return nil, err
	}
	if _, err := tx.exec(`INSERT INTO resource_communities (resource_id, community_id)
		SELECT $1, c FROM unnest($2::bigint[]) c ON CONFLICT DO NOTHING`, id, pq.Array(ids)); err != nil {
		return nil, err
	}
	var r Resource
	if err := tx.get(&r, `SELECT `+resourceColumns+` FROM resources r WHERE r.id = $1`, id); err != nil {
		return nil, err
	}
	return &r, tx.Commit()
}

// ownResource locks resource id for v, who must own it: the account it belongs to, or a
// contact of its organisation. Anyone else gets NOT_FOUND, whether it exists or not.
func (tx *Tx) ownResource(v *Viewer, id int64) (*Resource, error) {
	var r Resource
	err := tx.get(&r, `SELECT `+resourceColumns+` FROM resources r WHERE r.id = $1 FOR NO KEY UPDATE OF r`, id)
	if err != nil {
		return nil, notFound(err, "找不到这项资源")
	}
	if r.AccountID != nil && v.Is(*r.AccountID) {
		return &r, nil
	}
	if r.OrganisationID != nil {
		var contact bool
		if err := tx.get(&contact, `SELECT EXISTS (SELECT 1 FROM organisation_members
			WHERE organisation_id = $1 AND account_id = $2 AND contact)`, *r.OrganisationID, v.Account.ID); err != nil {
			return nil, err
		}
		if contact {
			return &r, nil
		}
	}
	return nil, &Error{Code: ENOTFOUND, Message: "找不到这项资源"}
}

// UpdateResource replaces an offer's terms; its owner keeps it current, and each update
// resets its staleness. Errors: UNAUTHENTICATED; NOT_FOUND unless v owns it; INVALID_STATE
// when it was withdrawn; INVALID_INPUT.
func (s *Store) UpdateResource(ctx context.Context, v *Viewer, id int64, in ResourceInput) (*Resource, error) {
	if v == nil {
		return nil, needSignIn
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	r, err := tx.ownResource(v, id)
	if err != nil {
		return nil, err
	}
	if r.WithdrawnAt != nil {
		return nil, Errorf(EINVALIDSTATE, "这项资源已经撤下，不能再修改；请重新登记")
	}
	var org int64
	if r.OrganisationID != nil {
		org = *r.OrganisationID
	}
	if err := tx.offersFor(v, org, in.CommunityIDs); err != nil {
		return nil, err
	}
	if _, err := tx.exec(`UPDATE resources SET kind = $2, category = $3, title = $4, description = $5, availability = $6,
			opening_hours = $7, money_limit_yuan = $8, hours_per_month = $9, capacity = $10, updated_at = $11
		WHERE id = $1`, id, in.Kind, in.Category, in.Title, in.Description, in.Availability, in.OpeningHours,
		in.MoneyLimitYuan, in.HoursPerMonth, in.Capacity, tx.now); err != nil {
		return nil, err
	}
	return tx.setResourceCommunities(id, in.CommunityIDs)
}

// WithdrawResource takes an offer off the list; it stays on record. Errors: UNAUTHENTICATED;
// NOT_FOUND unless v owns it; INVALID_STATE when already withdrawn; INVALID_INPUT (reason).
func (s *Store) WithdrawResource(ctx context.Context, v *Viewer, id int64, reason *string) (*Resource, error) {
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
	r, err := tx.ownResource(v, id)
	if err != nil {
		return nil, err
	}
	if r.WithdrawnAt != nil {
		return nil, Errorf(EINVALIDSTATE, "这项资源已于 %s 撤下", r.WithdrawnAt.In(china).Format("2006-01-02 15:04"))
	}
	if err := tx.get(r, `UPDATE resources r SET withdrawn_at = $2, withdraw_reason = $3, updated_at = $2
		WHERE r.id = $1 RETURNING `+resourceColumns, id, tx.now, reason); err != nil {
		return nil, err
	}
	return r, tx.Commit()
}

// ResourceFilter narrows the resources list.
type ResourceFilter struct {
	OrganisationID int64 // 0: any
	CommunityID    int64 // 0: any
	Kinds          []ResourceKind
	Categories     []ServiceCategory
	// Withdrawn lists withdrawn offers too.
	Withdrawn bool
}

// Resources returns a page of the offers v sees, newest first: v's own, those of
// organisations v is a contact of (a merchant sees only its own offers), and those serving
// a community where v is staff or admin (or under a subdistrict where v is).
func (s *Store) Resources(ctx context.Context, v *Viewer, f ResourceFilter, p Page) (Paged[*Resource], error) {
	if v == nil {
		return Paged[*Resource]{}, needSignIn
	}
	staff, _ := v.placesHolding(rolesKeepingOrganisations...)
	kinds := make([]string, len(f.Kinds))
	for i, k := range f.Kinds {
		kinds[i] = string(k)
	}
	cats := make([]string, len(f.Categories))
	for i, c := range f.Categories {
		cats[i] = string(c)
	}
	from := `FROM resources r WHERE (
			r.account_id = $1
			OR EXISTS (SELECT 1 FROM organisation_members m WHERE m.organisation_id = r.organisation_id AND m.account_id = $1 AND m.contact)
			OR EXISTS (SELECT 1 FROM resource_communities rc JOIN places cp ON cp.id = rc.community_id
				WHERE rc.resource_id = r.id AND cp.path && $2))
		AND ($3 = 0 OR r.organisation_id = $3)
		AND ($4 = 0 OR EXISTS (SELECT 1 FROM resource_communities rc WHERE rc.resource_id = r.id AND rc.community_id = $4))
		AND (cardinality($5::resource_kind[]) = 0 OR r.kind = ANY($5))
		AND (cardinality($6::service_category[]) = 0 OR r.category = ANY($6))
		AND ($7 OR r.withdrawn_at IS NULL)`
	return listQuery(ctx, s, `SELECT `+resourceColumns+` `+from,
		[]any{v.Account.ID, pq.Array(staff), f.OrganisationID, f.CommunityID, pq.Array(kinds), pq.Array(cats), f.Withdrawn},
		byIDDesc.qualified("r"), func(r *Resource) Key { return idKey(r.ID) }, p)
}
