package db

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/lib/pq"
)

// Grid work, first half (issue 17): household care assignments (包联) and visits with the
// people's-conditions diary (入户走访, 民情日记). Rhythm, queue and reminder: grid_visits_due.go.

// Who may do what with care assignments and visits, in one place.
var (
	// rolesAssigningCare place people in households (包联).
	rolesAssigningCare = []Role{RoleStaff, RoleAdmin}
	// rolesCaring may be placed in a household of their community.
	rolesCaring = []Role{RolePartyMember, RoleCouncilMember, RoleVolunteer}
	// rolesReadingVisits read every visit in their places; an author reads their own. Visit
	// notes are personal data: not admins, analysts, building leaders or other volunteers.
	rolesReadingVisits = []Role{RoleStaff, RoleGridWorker}
	// rolesRecordingVisits record visits to any household of their places; those assigned to a
	// household record visits to it.
	rolesRecordingVisits = []Role{RoleStaff, RoleGridWorker}
	// VulnerableTags are the tags that make a household one to visit on a rhythm and to
	// look after (独居老人, 低保, 残疾人).
	VulnerableTags = []ResidentTag{TagElderlyAlone, TagMinimumIncome, TagDisabled}
)

// CareAssignment is one person looking after one household (包联), from Since until Until
// (nil: still).
type CareAssignment struct {
	ID          int64      `db:"id"`
	HouseholdID int64      `db:"household_id"`
	AccountID   int64      `db:"account_id"`
	Role        Role       `db:"role"`
	Since       time.Time  `db:"since"`
	Until       *time.Time `db:"until"`
	AssignedBy  int64      `db:"assigned_by"`
	AssignedAt  time.Time  `db:"assigned_at"`
	EndedBy     *int64     `db:"ended_by"`
	EndedAt     *time.Time `db:"ended_at"`
	// HouseholdPath is the household's path, read with the assignment.
	HouseholdPath pq.Int64Array `db:"household_path"`
}

// Household is the assignment's household as far as roles over it go.
func (a *CareAssignment) Household() *Place {
	return &Place{ID: a.HouseholdID, Level: LevelHousehold, Path: a.HouseholdPath}
}

const careColumns = `a.id, a.household_id, a.account_id, a.role, a.since, a.until, a.assigned_by, a.assigned_at,
	a.ended_by, a.ended_at, h.path AS household_path`

// householdFor loads a live household for field, inside tx: NOT_FOUND or INVALID_INPUT.
func (tx *Tx) householdFor(id int64, field string) (*Place, error) {
	h, err := tx.place(id)
	if err != nil {
		return nil, withField(err, field)
	}
	if h.Level != LevelHousehold {
		return nil, Invalid(field, "%s「%s」不是一户", h.Level.Name(), h.Name)
	}
	if h.RetiredAt != nil {
		return nil, &Error{Code: EINVALIDSTATE, Field: field, Message: "这一户已从名册上撤销"}
	}
	return h, nil
}

// AssignCare places account in household to look after it (包联) from since (nil: today),
// which may not be in the future. The account must hold party member, council member or
// volunteer in the household's community (or above it). Errors: UNAUTHENTICATED, FORBIDDEN,
// NOT_FOUND, INVALID_INPUT, INVALID_STATE, CONFLICT (already assigned: two staff assigning
// at once make one assignment).
func (s *Store) AssignCare(ctx context.Context, v *Viewer, householdID, accountID int64, since *time.Time) (*CareAssignment, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	h, err := tx.householdFor(householdID, "householdId")
	if err != nil {
		return nil, err
	}
	if !v.Holds(h, rolesAssigningCare...) {
		return nil, forbidden("只有这户所在社区的社区工作者或管理员可以安排包联")
	}
	today := chinaDay(tx.now)
	day := today
	if since != nil {
		day = chinaDay(*since)
		if day.After(today) {
			return nil, Invalid("since", "包联开始日期不能在将来")
		}
	}
	var n int
	if err := tx.get(&n, `SELECT count(*) FROM accounts WHERE id = $1`, accountID); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, &Error{Code: ENOTFOUND, Field: "accountId", Message: "找不到这个账号"}
	}
	// The role that makes them eligible: held in the community, or in a place above the
	// household. A party member before a council member before a volunteer.
	var role []Role
	if err := tx.selectRows(&role, `SELECT g.role FROM role_grants g JOIN places gp ON gp.id = g.place_id
		WHERE g.account_id = $1 AND g.revoked_at IS NULL AND g.role = ANY($2::role[])
			AND (gp.id = ANY($3) OR gp.path @> ARRAY[$4::bigint])
		ORDER BY array_position($2::role[], g.role) LIMIT 1`,
		accountID, pq.Array(rolesCaring), pq.Array(h.Path), h.Path[1]); err != nil {
		return nil, err
	}
	if len(role) == 0 {
		return nil, Invalid("accountId", "这个人在本社区不是党员、议事会成员或志愿者，不能包联；请先为其登记角色")
	}
	var a CareAssignment
	err = tx.get(&a, `WITH a AS (INSERT INTO care_assignments (household_id, account_id, role, since, assigned_by, assigned_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING *)
		SELECT `+careColumns+` FROM a JOIN places h ON h.id = a.household_id`,
		h.ID, accountID, role[0], day, v.Account.ID, tx.now)
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "accountId", Message: "这个人已经在包联这一户了"}
	} else if err != nil {
		return nil, err
	}
	return &a, tx.Commit()
}

// EndCareAssignment ends an assignment today; the record stays. Errors: UNAUTHENTICATED,
// FORBIDDEN, NOT_FOUND, INVALID_STATE (ended already).
func (s *Store) EndCareAssignment(ctx context.Context, v *Viewer, id int64) (*CareAssignment, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var a CareAssignment
	if err := tx.get(&a, `SELECT `+careColumns+` FROM care_assignments a JOIN places h ON h.id = a.household_id
		WHERE a.id = $1 FOR UPDATE OF a`, id); err != nil {
		return nil, notFound(err, "找不到这条包联记录")
	}
	if !v.Holds(a.Household(), rolesAssigningCare...) {
		if !v.Is(a.AccountID) && !v.Holds(a.Household(), rolesSeeingResidents...) {
			return nil, &Error{Code: ENOTFOUND, Message: "找不到这条包联记录"}
		}
		return nil, forbidden("只有这户所在社区的社区工作者或管理员可以结束包联")
	}
	if a.EndedAt != nil {
		return nil, Errorf(EINVALIDSTATE, "这条包联已于%s结束", a.Until.Format(time.DateOnly))
	}
	if err := tx.get(&a, `WITH a AS (UPDATE care_assignments SET until = greatest(since, $2::date), ended_by = $3, ended_at = $4
			WHERE id = $1 RETURNING *)
		SELECT `+careColumns+` FROM a JOIN places h ON h.id = a.household_id`, id, chinaDay(tx.now), v.Account.ID, tx.now); err != nil {
		return nil, err
	}
	return &a, tx.Commit()
}

// CareAssignmentsOfHouseholds returns the current assignments of each household, oldest
// first.
func (s *Store) CareAssignmentsOfHouseholds(ctx context.Context, households []int64) (map[int64][]*CareAssignment, error) {
	return selectGrouped(ctx, s, `SELECT `+careColumns+` FROM care_assignments a JOIN places h ON h.id = a.household_id
		WHERE a.household_id = ANY($1) AND a.ended_at IS NULL ORDER BY a.id`, households,
		func(a *CareAssignment) int64 { return a.HouseholdID })
}

// CareAssignmentsOfAccounts returns each account's current assignments, oldest first.
func (s *Store) CareAssignmentsOfAccounts(ctx context.Context, accounts []int64) (map[int64][]*CareAssignment, error) {
	return selectGrouped(ctx, s, `SELECT `+careColumns+` FROM care_assignments a JOIN places h ON h.id = a.household_id
		WHERE a.account_id = ANY($1) AND a.ended_at IS NULL ORDER BY a.id`, accounts,
		func(a *CareAssignment) int64 { return a.AccountID })
}

// UnassignedVulnerable returns the live households under place with a current resident
// carrying a vulnerable tag (VulnerableTags) and nobody assigned to look after them, by id.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN.
func (s *Store) UnassignedVulnerable(ctx context.Context, v *Viewer, placeID int64) ([]*Place, error) {
	if v == nil {
		return nil, needSignIn
	}
	p, err := s.Place(ctx, placeID)
	if err != nil {
		return nil, withField(err, "placeId")
	}
	if !v.Holds(p, rolesSeeingTags...) {
		return nil, forbidden("只有%s的社区工作者或网格员可以查看重点关怀户", p.Name)
	}
	var out []*Place
	err = s.selectRows(ctx, &out, `SELECT `+placeColumns+` FROM places h
		WHERE h.path @> ARRAY[$1::bigint] AND h.level = 'household' AND h.retired_at IS NULL
			AND EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id AND r.left_on IS NULL AND r.tags && $2::text[])
			AND NOT EXISTS (SELECT 1 FROM care_assignments a WHERE a.household_id = h.id AND a.ended_at IS NULL)
		ORDER BY h.id LIMIT 500`, placeID, pq.Array(VulnerableTags))
	return out, err
}

// Visit is one visit (入户走访) and its diary entry (民情日记), to one or more households of
// one grid.
type Visit struct {
	ID             int64         `db:"id"`
	GridID         int64         `db:"grid_id"`
	CommunityID    int64         `db:"community_id"`
	VisitedAt      time.Time     `db:"visited_at"`
	RecordedBy     int64         `db:"recorded_by"`
	RecordedAt     time.Time     `db:"recorded_at"`
	MetOthers      *string       `db:"met_others"`
	Findings       string        `db:"findings"`
	FollowUpNeeded bool          `db:"follow_up_needed"`
	FollowUp       *string       `db:"follow_up"`
	NeedCategory   *WishCategory `db:"need_category"`
	HouseholdIDs   pq.Int64Array `db:"household_ids"`
	ResidentIDs    pq.Int64Array `db:"resident_ids"`
	GridPath       pq.Int64Array `db:"grid_path"`
}

// ReadsVisit reports whether v may read visit x: its author, and the staff and grid workers
// over its grid. Nobody else, whatever path they take to it.
func (v *Viewer) ReadsVisit(x *Visit) bool {
	return v.Is(x.RecordedBy) || v.Holds(&Place{ID: x.GridID, Level: LevelGrid, Path: x.GridPath}, rolesReadingVisits...)
}

const visitColumns = `x.id, x.grid_id, x.community_id, x.visited_at, x.recorded_by, x.recorded_at, x.met_others,
	x.findings, x.follow_up_needed, x.follow_up, x.need_category,
	ARRAY(SELECT vh.household_id FROM visit_households vh WHERE vh.visit_id = x.id ORDER BY vh.household_id) AS household_ids,
	ARRAY(SELECT vr.resident_id FROM visit_residents vr WHERE vr.visit_id = x.id ORDER BY vr.resident_id) AS resident_ids,
	(SELECT g.path FROM places g WHERE g.id = x.grid_id) AS grid_path`

// RecordVisit is what recordVisit takes.
type RecordVisit struct {
	HouseholdIDs   []int64
	ResidentIDs    []int64
	VisitedAt      time.Time
	MetOthers      *string
	Findings       string
	FollowUpNeeded bool
	FollowUp       *string
	NeedCategory   *WishCategory
}

// RecordVisit records a visit made by v: the grid worker or staff over every household, or
// someone assigned to each of them. Errors: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND,
// INVALID_INPUT (a time in the future, households of two grids, someone met who does not
// live there…), INVALID_STATE.
func (s *Store) RecordVisit(ctx context.Context, v *Viewer, in RecordVisit) (*Visit, error) {
	if v == nil {
		return nil, needSignIn
	}
	findings, err := text("findings", "走访情况", in.Findings, 1, 2000)
	if err != nil {
		return nil, err
	}
	met, err := optionalText("metOthers", "见到的其他人", in.MetOthers, 200)
	if err != nil {
		return nil, err
	}
	followUp, err := optionalText("followUp", "跟进事项", in.FollowUp, 1000)
	if err != nil {
		return nil, err
	}
	if in.FollowUpNeeded && followUp == nil {
		return nil, Invalid("followUp", "需要跟进时请写明跟进什么")
	}
	if !in.FollowUpNeeded && followUp != nil {
		return nil, Invalid("followUp", "不需要跟进时不要填写跟进事项")
	}
	if in.NeedCategory != nil && !slices.Contains(wishCategories, *in.NeedCategory) {
		return nil, Invalid("needCategory", "需求类别无效")
	}
	households := slices.Compact(slices.Sorted(slices.Values(in.HouseholdIDs)))
	if len(households) == 0 || len(households) > 20 {
		return nil, Invalid("householdIds", "一次走访需要 1 到 20 户")
	}
	residents := slices.Compact(slices.Sorted(slices.Values(in.ResidentIDs)))
	if len(residents) > 50 {
		return nil, Invalid("residentIds", "见到的居民最多 50 位")
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if in.VisitedAt.After(tx.now) {
		return nil, Invalid("visitedAt", "走访时间不能在将来")
	}
	if in.VisitedAt.Before(tx.now.AddDate(0, 0, -90)) {
		return nil, Invalid("visitedAt", "只能补记 90 天以内的走访")
	}
	var assigned []int64
	if err := tx.selectRows(&assigned, `SELECT household_id FROM care_assignments WHERE account_id = $1 AND ended_at IS NULL`, v.Account.ID); err != nil {
		return nil, err
	}
	var grid int64
	for _, id := range households {
		h, err := tx.householdFor(id, "householdIds")
		if err != nil {
			return nil, err
		}
		g := h.Path[len(h.Path)-3] // household < building < grid
		if grid != 0 && g != grid {
			return nil, Invalid("householdIds", "一次走访的各户需要在同一个网格")
		}
		grid = g
		if !v.Holds(h, rolesRecordingVisits...) && !slices.Contains(assigned, h.ID) {
			if !v.SeesHousehold(h) {
				return nil, &Error{Code: ENOTFOUND, Field: "householdIds", Message: "找不到这一户"}
			}
			return nil, forbidden("只有这户所在网格的网格员、社区工作者或包联这户的人可以记录走访")
		}
	}
	if len(residents) > 0 {
		var n int
		if err := tx.get(&n, `SELECT count(*) FROM residents WHERE id = ANY($1) AND household_id = ANY($2) AND left_on IS NULL`,
			pq.Array(residents), pq.Array(households)); err != nil {
			return nil, err
		}
		if n != len(residents) {
			return nil, Invalid("residentIds", "见到的居民需要是这次走访的户里现在住着的人")
		}
	}
	g, err := tx.place(grid)
	if err != nil {
		return nil, err
	}
	var id int64
	if err := tx.get(&id, `INSERT INTO visits (grid_id, community_id, visited_at, recorded_by, recorded_at, met_others,
			findings, follow_up_needed, follow_up, need_category)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		g.ID, g.Path[1], in.VisitedAt, v.Account.ID, tx.now, met, findings, in.FollowUpNeeded, followUp, in.NeedCategory); err != nil {
		return nil, err
	}
	if _, err := tx.exec(`INSERT INTO visit_households (visit_id, household_id) SELECT $1, unnest($2::bigint[])`, id, pq.Array(households)); err != nil {
		return nil, err
	}
	if len(residents) > 0 {
		if _, err := tx.exec(`INSERT INTO visit_residents (visit_id, resident_id) SELECT $1, unnest($2::bigint[])`, id, pq.Array(residents)); err != nil {
			return nil, err
		}
	}
	var x Visit
	if err := tx.get(&x, `SELECT `+visitColumns+` FROM visits x WHERE x.id = $1`, id); err != nil {
		return nil, err
	}
	return &x, tx.Commit()
}

// VisitsByID returns the visits with the given ids, whoever asks: callers apply ReadsVisit.
func (s *Store) VisitsByID(ctx context.Context, ids []int64) (map[int64]*Visit, error) {
	return selectByKey(ctx, s, `SELECT `+visitColumns+` FROM visits x WHERE x.id = ANY($1)`, ids, func(x *Visit) int64 { return x.ID })
}

// VisitIDsOfHouseholds returns the ids of the visits to each household, newest first, at
// most 100 each.
func (s *Store) VisitIDsOfHouseholds(ctx context.Context, households []int64) (map[int64][]int64, error) {
	return selectGroupedIDs(ctx, s, `SELECT h.key, x.id FROM unnest($1::bigint[]) h(key)
		CROSS JOIN LATERAL (SELECT x.id FROM visit_households vh JOIN visits x ON x.id = vh.visit_id
			WHERE vh.household_id = h.key ORDER BY x.visited_at DESC, x.id DESC LIMIT 100) x`, households)
}

// MyVisits returns the visits v recorded, newest first, at most limit.
func (s *Store) MyVisits(ctx context.Context, v *Viewer, limit int) ([]*Visit, error) {
	if v == nil {
		return nil, needSignIn
	}
	var out []*Visit
	err := s.selectRows(ctx, &out, `SELECT `+visitColumns+` FROM visits x WHERE x.recorded_by = $1
		ORDER BY x.visited_at DESC, x.id DESC LIMIT $2`, v.Account.ID, limit)
	return out, err
}

// VisitOutcome is what came of a visit: a wish, a topic or a report.
type VisitOutcome struct {
	ID       int64  `db:"id"`
	VisitID  int64  `db:"visit_id"`
	WishID   *int64 `db:"wish_id"`
	TopicID  *int64 `db:"topic_id"`
	ReportID *int64 `db:"report_id"`
}

const visitOutcomeColumns = `id, visit_id, wish_id, topic_id, report_id`

// OutcomesOfVisits returns what came of each visit, in the order it came.
func (s *Store) OutcomesOfVisits(ctx context.Context, visits []int64) (map[int64][]*VisitOutcome, error) {
	return selectGrouped(ctx, s, `SELECT `+visitOutcomeColumns+` FROM visit_outcomes WHERE visit_id = ANY($1) ORDER BY id`,
		visits, func(o *VisitOutcome) int64 { return o.VisitID })
}

// VisitOfWishes returns the visit each wish came of, for those that came of one.
func (s *Store) VisitOfWishes(ctx context.Context, wishes []int64) (map[int64]int64, error) {
	m, err := selectByKey(ctx, s, `SELECT `+visitOutcomeColumns+` FROM visit_outcomes WHERE wish_id = ANY($1)`,
		wishes, func(o *VisitOutcome) int64 { return *o.WishID })
	return outcomeVisits(m, err)
}

// VisitOfTopics returns the visit each topic came of, for those that came of one.
func (s *Store) VisitOfTopics(ctx context.Context, topics []int64) (map[int64]int64, error) {
	m, err := selectByKey(ctx, s, `SELECT `+visitOutcomeColumns+` FROM visit_outcomes WHERE topic_id = ANY($1)`,
		topics, func(o *VisitOutcome) int64 { return *o.TopicID })
	return outcomeVisits(m, err)
}

func outcomeVisits(m map[int64]*VisitOutcome, err error) (map[int64]int64, error) {
	if err != nil {
		return nil, err
	}
	out := make(map[int64]int64, len(m))
	for k, o := range m {
		out[k] = o.VisitID
	}
	return out, nil
}

// SubmitWishFromVisit submits a wish (代办, by the existing path and its rules) for a
// resident of one of the visit's households, linked to the visit. Errors: those of
// SubmitWish, and NOT_FOUND (visitId), INVALID_INPUT (beneficiaryId not of the visit).
func (s *Store) SubmitWishFromVisit(ctx context.Context, v *Viewer, visitID int64, in SubmitWish) (*Wish, error) {
	x, err := s.outcomeVisit(ctx, v, visitID)
	if err != nil {
		return nil, err
	}
	if in.BeneficiaryID == 0 {
		return nil, Invalid("beneficiaryId", "请填写受益人：这次走访的户里的居民")
	}
	var n int
	if err := s.get(ctx, &n, `SELECT count(*) FROM residents WHERE id = $1 AND household_id = ANY($2)`,
		in.BeneficiaryID, pq.Array(x.HouseholdIDs)); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, Invalid("beneficiaryId", "受益人需要是这次走访的户里的居民")
	}
	in.VisitID = x.ID
	return s.SubmitWish(ctx, v, in)
}

// RaiseTopicFromVisit raises a topic (by the existing path and its rules) in the visit's
// community, linked to the visit. Errors: those of RaiseTopic, and NOT_FOUND (visitId),
// INVALID_INPUT (placeId outside the visit's community).
func (s *Store) RaiseTopicFromVisit(ctx context.Context, v *Viewer, visitID int64, in RaiseTopic) (*Topic, error) {
	x, err := s.outcomeVisit(ctx, v, visitID)
	if err != nil {
		return nil, err
	}
	if err := s.placeWithin(ctx, in.PlaceID, x.CommunityID, "议题需要针对这次走访所在的社区或其小区"); err != nil {
		return nil, err
	}
	in.VisitID = x.ID
	return s.RaiseTopic(ctx, v, in)
}

// outcomeVisit reads the visit a wish, topic or report is to come of, for a signed-in v:
// NOT_FOUND on visitId for a visit v may not read, as if it were not there.
func (s *Store) outcomeVisit(ctx context.Context, v *Viewer, visitID int64) (*Visit, error) {
	if v == nil {
		return nil, needSignIn
	}
	m, err := s.VisitsByID(ctx, []int64{visitID})
	if err != nil {
		return nil, err
	}
	if x := m[visitID]; x != nil && v.ReadsVisit(x) {
		return x, nil
	}
	return nil, &Error{Code: ENOTFOUND, Field: "visitId", Message: "找不到这次走访"}
}

// placeWithin checks that placeID names area or a place in it, with msg as the
// INVALID_INPUT on placeId otherwise.
func (s *Store) placeWithin(ctx context.Context, placeID, area int64, msg string) error {
	p, err := s.Place(ctx, placeID)
	if err != nil {
		return withField(err, "placeId")
	}
	if !p.Within(area) {
		return &Error{Code: EINVALID, Field: "placeId", Message: msg}
	}
	return nil
}

// linkVisit records that a wish, topic or report (o's one id) came of o.VisitID, in the
// transaction creating it; a zero VisitID means it came of none.
func (tx *Tx) linkVisit(o VisitOutcome) error {
	if o.VisitID == 0 {
		return nil
	}
	_, err := tx.exec(`INSERT INTO visit_outcomes (visit_id, wish_id, topic_id, report_id) VALUES ($1, $2, $3, $4)`,
		o.VisitID, o.WishID, o.TopicID, o.ReportID)
	if sqlState(err) == uniqueViolation {
		return errors.New("a wish, topic or report came of two visits")
	}
	return err
}

// CurrentResidentsOf returns the residents living in each household now, by id, with the
// household's path (for deciding what a viewer sees of them).
func (s *Store) CurrentResidentsOf(ctx context.Context, households []int64) (map[int64][]*Resident, error) {
	return selectGrouped(ctx, s, `SELECT `+residentColumns+`, h.path AS household_path FROM residents r JOIN places h ON h.id = r.household_id
		WHERE r.household_id = ANY($1) AND r.left_on IS NULL ORDER BY r.id`, households, func(r *Resident) int64 { return r.HouseholdID })
}
