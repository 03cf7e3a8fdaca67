package db

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Dual reporting (双报到): a paired unit's party organisation checks in with a community it is
// paired with (组织报到), and an in-service party member with the community where they live
// (个人报到). Staff of the community accept or decline. Named check-in, because "report" is
// 事件上报.

// CheckInState is where a check-in stands.
type CheckInState string

// Check-in states.
const (
	CheckInPending   CheckInState = "pending"
	CheckInAccepted  CheckInState = "accepted"
	CheckInDeclined  CheckInState = "declined"
	CheckInWithdrawn CheckInState = "withdrawn"
)

var checkInStates = []CheckInState{CheckInPending, CheckInAccepted, CheckInDeclined, CheckInWithdrawn}

func (s CheckInState) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *CheckInState) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, checkInStates, "CheckInState")
}

// rolesDecidingCheckIns accept or decline check-ins to their community.
var rolesDecidingCheckIns = []Role{RoleStaff}

// OrganisationCheckIn is a paired unit's check-in with a community (组织报到).
type OrganisationCheckIn struct {
	ID             int64        `db:"id"`
	OrganisationID int64        `db:"organisation_id"`
	CommunityID    int64        `db:"community_id"`
	SubmittedBy    int64        `db:"submitted_by"`
	SubmittedAt    time.Time    `db:"submitted_at"`
	Note           *string      `db:"note"`
	State          CheckInState `db:"state"`
	DecidedBy      *int64       `db:"decided_by"`
	DecidedAt      *time.Time   `db:"decided_at"`
	DeclineReason  *string      `db:"decline_reason"`
}

const orgCheckInColumns = `id, organisation_id, community_id, submitted_by, submitted_at, note, state, decided_by, decided_at, decline_reason`

// MemberCheckIn is an in-service party member's check-in with the community where they
// live (个人报到).
type MemberCheckIn struct {
	ID          int64 `db:"id"`
	AccountID   int64 `db:"account_id"`
	CommunityID int64 `db:"community_id"`
	// The work unit: a registered paired unit, or its name.
	OrganisationID *int64       `db:"organisation_id"`
	WorkUnitName   *string      `db:"work_unit_name"`
	Skills         *string      `db:"skills"`
	Availability   *string      `db:"availability"`
	SubmittedAt    time.Time    `db:"submitted_at"`
	State          CheckInState `db:"state"`
	DecidedBy      *int64       `db:"decided_by"`
	DecidedAt      *time.Time   `db:"decided_at"`
	DeclineReason  *string      `db:"decline_reason"`
}

const memberCheckInColumns = `id, account_id, community_id, organisation_id, work_unit_name, skills, availability,
	submitted_at, state, decided_by, decided_at, decline_reason`

// CheckInOrganisation checks paired unit org in with a community it serves, for staff there
// to accept. Errors: UNAUTHENTICATED; NOT_FOUND (organisationId, communityId); FORBIDDEN
// unless v is its contact; INVALID_INPUT (not a paired unit, not paired with the community,
// note); CONFLICT when it has a check-in there waiting or accepted.
func (s *Store) CheckInOrganisation(ctx context.Context, v *Viewer, orgID, communityID int64, note *string) (*OrganisationCheckIn, error) {
	if v == nil {
		return nil, needSignIn
	}
	note, err := optionalText("note", "说明", note, 500)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	o, _, a, err := tx.organisationAccess(v, orgID, false)
	if err != nil {
		return nil, withField(err, "organisationId")
	}
	if !a.Contact {
		return nil, forbidden("只有%s的联系人可以为它报到", o.Name)
	}
	if o.Kind != OrganisationPairedUnit {
		return nil, Invalid("organisationId", "组织报到是共建单位的党组织向结对社区报到，%s是%s", o.Name, o.Kind.Name())
	}
	cs, err := tx.communitiesUnder("communityId", []int64{communityID}, nil)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(o.CommunityIDs, communityID) {
		return nil, Invalid("communityId", "%s没有与%s结对，请先请社区登记结对", o.Name, cs[communityID].Name)
	}
	var c OrganisationCheckIn
	err = tx.get(&c, `INSERT INTO organisation_check_ins (organisation_id, community_id, submitted_by, submitted_at, note)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+orgCheckInColumns, orgID, communityID, v.Account.ID, tx.now, note)
	if sqlState(err) == uniqueViolation {
		return nil, Errorf(ECONFLICT, "%s已经向%s报到过了（待确认或已确认）", o.Name, cs[communityID].Name)
	} else if err != nil {
		return nil, err
	}
	return &c, tx.Commit()
}

// CheckInMember is what an in-service party member states when checking in.
type CheckInMember struct {
	CommunityID int64
	// OrganisationID names a registered paired unit as the work unit; otherwise WorkUnitName.
	OrganisationID int64
	WorkUnitName   *string
	Skills         *string
	Availability   *string
}

// CheckInMember checks v in with the community where they live, as an in-service party
// member. v must be a verified resident of the community or hold party member there.
// Errors: UNAUTHENTICATED; NOT_FOUND (communityId, organisationId); FORBIDDEN;
// INVALID_INPUT; CONFLICT when v has a check-in there waiting or accepted.
func (s *Store) CheckInMember(ctx context.Context, v *Viewer, in CheckInMember) (*MemberCheckIn, error) {
	if v == nil {
		return nil, needSignIn
	}
	unitName, err := optionalText("workUnitName", "工作单位", in.WorkUnitName, 60)
	if err != nil {
		return nil, err
	}
	if (in.OrganisationID != 0) == (unitName != nil) {
		return nil, Invalid("workUnitName", "请选择已登记的工作单位（organisationId），或填写工作单位名称（workUnitName），二者选一")
	}
	skills, err := optionalText("skills", "特长", in.Skills, 500)
	if err != nil {
		return nil, err
	}
	availability, err := optionalText("availability", "可服务时间", in.Availability, 200)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	cs, err := tx.communitiesUnder("communityId", []int64{in.CommunityID}, nil)
	if err != nil {
		return nil, err
	}
	c := cs[in.CommunityID]
	lives := v.Resident != nil && v.Resident.Verified && slices.Contains(v.Resident.HouseholdPath, c.ID)
	if !lives && !v.Serves(c, RolePartyMember) {
		return nil, forbidden("个人报到是向自己居住的社区报到：需要是%s已核实的居民，或在%s登记的党员", c.Name, c.Name)
	}
	var org *int64
	if in.OrganisationID != 0 {
		var kind OrganisationKind
		if err := tx.get(&kind, `SELECT kind FROM organisations WHERE id = $1`, in.OrganisationID); err != nil {
			return nil, withField(notFound(err, "找不到这个组织"), "organisationId")
		}
		if kind != OrganisationPairedUnit {
			return nil, Invalid("organisationId", "工作单位需要是共建单位，这个组织是%s", kind.Name())
		}
		org = &in.OrganisationID
	}
	var m MemberCheckIn
	err = tx.get(&m, `INSERT INTO member_check_ins (account_id, community_id, organisation_id, work_unit_name, skills, availability, submitted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+memberCheckInColumns,
		v.Account.ID, c.ID, org, unitName, skills, availability, tx.now)
	if sqlState(err) == uniqueViolation {
		return nil, Errorf(ECONFLICT, "你已经向%s报到过了（待确认或已确认）", c.Name)
	} else if err != nil {
		return nil, err
	}
	return &m, tx.Commit()
}

// decideReason checks a staff decision's inputs: a reason is required to decline.
func decideReason(accept bool, reason *string) (*string, error) {
	reason, err := optionalText("reason", "原因", reason, 500)
	if err != nil {
		return nil, err
	}
	if !accept && reason == nil {
		return nil, Invalid("reason", "不予确认时请写明原因")
	}
	return reason, nil
}

// DecideOrganisationCheckIn accepts or declines (with a reason) a waiting organisation
// check-in. Errors: UNAUTHENTICATED; NOT_FOUND; FORBIDDEN unless v is staff of the
// community; INVALID_STATE unless it is waiting; INVALID_INPUT.
func (s *Store) DecideOrganisationCheckIn(ctx context.Context, v *Viewer, id int64, accept bool, reason *string) (*OrganisationCheckIn, error) {
	if v == nil {
		return nil, needSignIn
	}
	reason, err := decideReason(accept, reason)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var c OrganisationCheckIn
	if err := tx.get(&c, `SELECT `+orgCheckInColumns+` FROM organisation_check_ins WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFound(err, "找不到这条报到")
	}
	if err := tx.checkDecides(v, c.CommunityID, c.State); err != nil {
		return nil, err
	}
	if err := tx.get(&c, `UPDATE organisation_check_ins SET state = $2, decided_by = $3, decided_at = $4, decline_reason = $5
		WHERE id = $1 RETURNING `+orgCheckInColumns, id, decided(accept), v.Account.ID, tx.now, reason); err != nil {
		return nil, err
	}
	return &c, tx.Commit()
}

func decided(accept bool) CheckInState {
	if accept {
		return CheckInAccepted
	}
	return CheckInDeclined
}

// checkDecides checks that v decides check-ins to community and that one in state is waiting.
// Those who may not decide are told NOT_FOUND when they cannot see the community at all.
func (tx *Tx) checkDecides(v *Viewer, community int64, state CheckInState) error {
	c, err := tx.place(community)
	if err != nil {
		return err
	}
	if !v.Holds(c, rolesDecidingCheckIns...) {
		return forbidden("只有%s的社区工作者可以确认向它的报到", c.Name)
	}
	if state != CheckInPending {
		return Errorf(EINVALIDSTATE, "这条报到已经处理过了（%s）", checkInStateNames[state])
	}
	return nil
}

var checkInStateNames = map[CheckInState]string{
	CheckInPending: "待确认", CheckInAccepted: "已确认", CheckInDeclined: "未予确认", CheckInWithdrawn: "已撤回",
}

// DecideMemberCheckIn accepts or declines (with a reason) a waiting member check-in. An
// accepted member whose work unit is a registered organisation becomes its member, so their
// service shows in its records. Errors as DecideOrganisationCheckIn.
func (s *Store) DecideMemberCheckIn(ctx context.Context, v *Viewer, id int64, accept bool, reason *string) (*MemberCheckIn, error) {
	if v == nil {
		return nil, needSignIn
	}
	reason, err := decideReason(accept, reason)
	if err != nil {
		return nil, err
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var m MemberCheckIn
	if err := tx.get(&m, `SELECT `+memberCheckInColumns+` FROM member_check_ins WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFound(err, "找不到这条报到")
	}
	if err := tx.checkDecides(v, m.CommunityID, m.State); err != nil {
		return nil, err
	}
	if err := tx.get(&m, `UPDATE member_check_ins SET state = $2, decided_by = $3, decided_at = $4, decline_reason = $5
		WHERE id = $1 RETURNING `+memberCheckInColumns, id, decided(accept), v.Account.ID, tx.now, reason); err != nil {
		return nil, err
	}
	if accept && m.OrganisationID != nil {
		if _, err := tx.exec(`INSERT INTO organisation_members (organisation_id, account_id, added_by, added_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, *m.OrganisationID, m.AccountID, v.Account.ID, tx.now); err != nil {
			return nil, err
		}
	}
	return &m, tx.Commit()
}

// WithdrawMemberCheckIn ends v's own check-in, waiting or accepted (they moved, or stopped
// serving). Errors: UNAUTHENTICATED; NOT_FOUND unless it is v's; INVALID_STATE.
func (s *Store) WithdrawMemberCheckIn(ctx context.Context, v *Viewer, id int64) (*MemberCheckIn, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var m MemberCheckIn
	if err := tx.get(&m, `SELECT `+memberCheckInColumns+` FROM member_check_ins WHERE id = $1 AND account_id = $2 FOR UPDATE`,
		id, v.Account.ID); err != nil {
		return nil, notFound(err, "找不到这条报到")
	}
	if m.State != CheckInPending && m.State != CheckInAccepted {
		return nil, Errorf(EINVALIDSTATE, "这条报到已经%s", checkInStateNames[m.State])
	}
	// A decided check-in keeps who decided it; withdrawing it is the member's own step.
	if err := tx.get(&m, `UPDATE member_check_ins SET state = 'withdrawn', decided_at = NULL, decided_by = NULL, decline_reason = NULL
		WHERE id = $1 RETURNING `+memberCheckInColumns, id); err != nil {
		return nil, err
	}
	return &m, tx.Commit()
}

// checkInList is the place filter shared by both lists: check-ins to communities where v is
// staff (or under a subdistrict where v is), optionally to one community, in states.
func checkInList(v *Viewer, community int64, states []CheckInState) (string, []any) {
	staff, _ := v.placesHolding(rolesDecidingCheckIns...)
	ss := make([]string, len(states))
	for i, s := range states {
		ss[i] = string(s)
	}
	return ` c WHERE EXISTS (SELECT 1 FROM places p WHERE p.id = c.community_id AND p.path && $1)
		AND ($2 = 0 OR c.community_id = $2)
		AND (cardinality($3::check_in_state[]) = 0 OR c.state = ANY($3))`,
		[]any{pq.Array(staff), community, pq.Array(ss)}
}

// MemberCheckIns returns a page of member check-ins for staff, newest first: with state
// ACCEPTED, the in-service members a community can call on (for wishes, care assignments
// and projects), with the skills and availability they stated.
func (s *Store) MemberCheckIns(ctx context.Context, v *Viewer, community int64, states []CheckInState, p Page) (Paged[*MemberCheckIn], error) {
	if v == nil {
		return Paged[*MemberCheckIn]{}, needSignIn
	}
	from, args := checkInList(v, community, states)
	return listQuery(ctx, s, `SELECT `+qualifiedColumns("c", memberCheckInColumns)+` FROM member_check_ins`+from, args,
		byIDDesc.qualified("c"), func(m *MemberCheckIn) Key { return idKey(m.ID) }, p)
}

// OrganisationCheckIns returns a page of organisation check-ins for staff, newest first.
func (s *Store) OrganisationCheckIns(ctx context.Context, v *Viewer, community int64, states []CheckInState, p Page) (Paged[*OrganisationCheckIn], error) {
	if v == nil {
		return Paged[*OrganisationCheckIn]{}, needSignIn
	}
	from, args := checkInList(v, community, states)
	return listQuery(ctx, s, `SELECT `+qualifiedColumns("c", orgCheckInColumns)+` FROM organisation_check_ins`+from, args,
		byIDDesc.qualified("c"), func(c *OrganisationCheckIn) Key { return idKey(c.ID) }, p)
}

// MyMemberCheckIns returns v's own member check-ins, newest first.
func (s *Store) MyMemberCheckIns(ctx context.Context, v *Viewer) ([]*MemberCheckIn, error) {
	if v == nil {
		return nil, needSignIn
	}
	var ms []*MemberCheckIn
	err := s.selectRows(ctx, &ms, `SELECT `+memberCheckInColumns+` FROM member_check_ins WHERE account_id = $1 ORDER BY id DESC`, v.Account.ID)
	return ms, err
}

// CheckInsOfOrganisation returns org's own check-ins, newest first, for its contacts and
// the staff who keep or are served by it. Errors: UNAUTHENTICATED; NOT_FOUND.
func (s *Store) CheckInsOfOrganisation(ctx context.Context, v *Viewer, orgID int64) ([]*OrganisationCheckIn, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, _, a, err := tx.organisationAccess(v, orgID, false); err != nil {
		return nil, err
	} else if !a.ReadsRecords() {
		return nil, forbidden("只有组织的联系人和所服务社区的社区工作者可以查看它的报到")
	}
	var cs []*OrganisationCheckIn
	if err := tx.selectRows(&cs, `SELECT `+orgCheckInColumns+` FROM organisation_check_ins WHERE organisation_id = $1 ORDER BY id DESC`, orgID); err != nil {
		return nil, err
	}
	return cs, tx.Commit()
}

// qualifiedColumns lists cols (a column list such as memberColumns) of table alias a.
func qualifiedColumns(a, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = a + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
