package db

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/lib/pq"
)

// Reports (事件上报, migration 0022): what a resident, grid worker, building leader or
// mobile grid member saw, taken up by the grid, the community and, when whistled (吹哨), a
// department (职能部门), until the reporter rates the outcome.

// ReportCategory is what kind of problem a report is about.
type ReportCategory string

// ReportUrgency is how urgent the reporter says it is.
type ReportUrgency string

// ReportState is where a report is: reported → accepted → resolved (settled in the grid),
// or → escalated → resolved (by the community), or → whistled → handling → resolved (by a
// department); then rated by the reporter.
type ReportState string

// ReportAction is a step in a report's timeline.
type ReportAction string

// ReportLevel is the level that settled a report.
type ReportLevel string

// DepartmentKind is what a department does.
type DepartmentKind string

// Report states.
const (
	ReportReported  ReportState = "reported"
	ReportAccepted  ReportState = "accepted"
	ReportEscalated ReportState = "escalated"
	ReportWhistled  ReportState = "whistled"
	ReportHandling  ReportState = "handling"
	ReportResolved  ReportState = "resolved"
	ReportRated     ReportState = "rated"
)

// Levels that settle reports.
const (
	LevelSettledGrid       ReportLevel = "grid"
	LevelSettledCommunity  ReportLevel = "community"
	LevelSettledDepartment ReportLevel = "department"
)

var (
	ReportCategories = []ReportCategory{"environment", "facility", "fire_safety", "dispute", "public_security",
		"illegal_building", "other"}
	reportUrgencies = []ReportUrgency{"normal", "urgent", "emergency"}
	reportStates    = []ReportState{ReportReported, ReportAccepted, ReportEscalated, ReportWhistled, ReportHandling,
		ReportResolved, ReportRated}
	reportActions = []ReportAction{"report", "accept", "settle", "escalate", "whistle", "report_in", "progress",
		"resolve", "rate", "rate_department"}
	reportLevels    = []ReportLevel{LevelSettledGrid, LevelSettledCommunity, LevelSettledDepartment}
	departmentKinds = []DepartmentKind{"housing", "urban_management", "police", "health", "market_supervision",
		"civil_affairs", "fire", "other"}
)

// DefaultReportDeadlineDays is how long a department has, by category, where the community
// has set nothing (report_deadlines): a fire hazard or a threat to safety cannot wait a week.
var DefaultReportDeadlineDays = map[ReportCategory]int{
	"environment": 5, "facility": 7, "fire_safety": 2, "dispute": 7, "public_security": 2,
	"illegal_building": 15, "other": 7,
}

var reportStateNames = map[ReportState]string{
	ReportReported: "待受理", ReportAccepted: "网格处理中", ReportEscalated: "社区处理中", ReportWhistled: "已吹哨待报到",
	ReportHandling: "部门办理中", ReportResolved: "已办结待评价", ReportRated: "已评价",
}

// Name is the state's Chinese name, for messages.
func (s ReportState) Name() string { return reportStateNames[s] }

func (c ReportCategory) MarshalGQL(w io.Writer) { marshalEnum(w, c) }
func (c *ReportCategory) UnmarshalGQL(v any) error {
	return unmarshalEnum(c, v, ReportCategories, "ReportCategory")
}
func (u ReportUrgency) MarshalGQL(w io.Writer) { marshalEnum(w, u) }
func (u *ReportUrgency) UnmarshalGQL(v any) error {
	return unmarshalEnum(u, v, reportUrgencies, "ReportUrgency")
}
func (s ReportState) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *ReportState) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, reportStates, "ReportState")
}
func (a ReportAction) MarshalGQL(w io.Writer) { marshalEnum(w, a) }
func (a *ReportAction) UnmarshalGQL(v any) error {
	return unmarshalEnum(a, v, reportActions, "ReportAction")
}
func (l ReportLevel) MarshalGQL(w io.Writer) { marshalEnum(w, l) }
func (l *ReportLevel) UnmarshalGQL(v any) error {
	return unmarshalEnum(l, v, reportLevels, "ReportLevel")
}
func (k DepartmentKind) MarshalGQL(w io.Writer) { marshalEnum(w, k) }
func (k *DepartmentKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(k, v, departmentKinds, "DepartmentKind")
}

// Department is a government department of a subdistrict (职能部门).
type Department struct {
	ID            int64          `db:"id"`
	SubdistrictID int64          `db:"subdistrict_id"`
	Name          string         `db:"name"`
	Kind          DepartmentKind `db:"kind"`
	CreatedBy     int64          `db:"created_by"`
	CreatedAt     time.Time      `db:"created_at"`
}

// Report is one report (事件上报).
type Report struct {
	ID                      int64          `db:"id"`
	ReporterID              int64          `db:"reporter_id"`
	PlaceID                 int64          `db:"place_id"`
	GridID                  int64          `db:"grid_id"`
	CommunityID             int64          `db:"community_id"`
	Category                ReportCategory `db:"category"`
	Urgency                 ReportUrgency  `db:"urgency"`
	Description             string         `db:"description"`
	PhotoURLs               pq.StringArray `db:"photo_urls"`
	State                   ReportState    `db:"state"`
	SettledLevel            *ReportLevel   `db:"settled_level"`
	DepartmentID            *int64         `db:"department_id"`
	CreatedAt               time.Time      `db:"created_at"`
	UpdatedAt               time.Time      `db:"updated_at"`
	AcceptedAt              *time.Time     `db:"accepted_at"`
	EscalatedAt             *time.Time     `db:"escalated_at"`
	WhistledAt              *time.Time     `db:"whistled_at"`
	DueAt                   *time.Time     `db:"due_at"`
	ReportedInAt            *time.Time     `db:"reported_in_at"`
	ResolvedAt              *time.Time     `db:"resolved_at"`
	Rating                  *int           `db:"rating"`
	RatingComment           *string        `db:"rating_comment"`
	RatedAt                 *time.Time     `db:"rated_at"`
	DepartmentRating        *int           `db:"department_rating"`
	DepartmentRatingComment *string        `db:"department_rating_comment"`
	DepartmentRatedBy       *int64         `db:"department_rated_by"`
	DepartmentRatedAt       *time.Time     `db:"department_rated_at"`
}

// ReportEvent is one step of a report.
type ReportEvent struct {
	ID        int64        `db:"id"`
	ReportID  int64        `db:"report_id"`
	At        time.Time    `db:"at"`
	Action    ReportAction `db:"action"`
	ActorID   *int64       `db:"actor_id"`
	FromState *ReportState `db:"from_state"`
	ToState   ReportState  `db:"to_state"`
	Reason    *string      `db:"reason"`
	// Reporter marks a step by the reporter shown to someone who may not know who that is
	// (ActorID is then cleared).
	Reporter bool `db:"-"`
}

const reportColumns = `r.id, r.reporter_id, r.place_id, r.grid_id, r.community_id, r.category, r.urgency, r.description,
	r.photo_urls, r.state, r.settled_level, r.department_id, r.created_at, r.updated_at, r.accepted_at, r.escalated_at,
	r.whistled_at, r.due_at, r.reported_in_at, r.resolved_at, r.rating, r.rating_comment, r.rated_at,
	r.department_rating, r.department_rating_comment, r.department_rated_by, r.department_rated_at`

const departmentColumns = `id, subdistrict_id, name, kind, created_by, created_at`

var reportTables = stateTables{"reports", "r", reportColumns, "report_events", "report_id"}

// Who may do what with reports.
var (
	// rolesReporting report what they see in the places they serve (besides residents,
	// who report about the community they live in).
	rolesReporting = []Role{RoleGridWorker, RoleBuildingLeader, RoleMobileGridMember, RoleStaff}
	// rolesGrid accept, settle and escalate reports of their grid; community staff may
	// too, for a grid that has no grid worker.
	rolesGrid = []Role{RoleGridWorker, RoleStaff}
)

// photoURLs checks a list of photo links for field: at most 9, each an http(s) address of
// at most 500 characters. nil becomes the empty list the columns hold.
func photoURLs(field string, urls []string) ([]string, error) {
	if urls == nil {
		return []string{}, nil
	}
	if len(urls) > 9 {
		return nil, Invalid(field, "最多附 9 张照片")
	}
	for _, p := range urls {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(p) > 500 {
			return nil, Invalid(field, "照片链接需要是 http 或 https 开头的网址，每个最多 500 个字符")
		}
	}
	return urls, nil
}

// ---------------------------------------------------------------- departments

// CreateDepartment registers a department of a subdistrict. Errors: UNAUTHENTICATED,
// NOT_FOUND (subdistrictId), FORBIDDEN unless v is its admin or staff, INVALID_INPUT,
// CONFLICT (the name is taken).
func (s *Store) CreateDepartment(ctx context.Context, v *Viewer, subdistrictID int64, name string, kind DepartmentKind) (*Department, error) {
	if v == nil {
		return nil, needSignIn
	}
	name, err := text("name", "部门名称", name, 1, 50)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(departmentKinds, kind) {
		return nil, Invalid("kind", "部门类别无效")
	}
	p, err := s.Place(ctx, subdistrictID)
	if err != nil {
		return nil, withField(err, "subdistrictId")
	}
	if p.Level != LevelSubdistrict {
		return nil, Invalid("subdistrictId", "职能部门登记在街道一级，%s是%s", p.Name, p.Level.Name())
	}
	if !v.Holds(p, RoleAdmin, RoleStaff) {
		return nil, forbidden("只有%s的管理员或工作人员可以登记职能部门", p.Name)
	}
	var d Department
	err = s.get(ctx, &d, `INSERT INTO departments (subdistrict_id, name, kind, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+departmentColumns, p.ID, name, kind, v.Account.ID, s.Now().UTC())
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "name", Message: p.Name + "已有名为“" + name + "”的部门"}
	}
	return &d, err
}

// DepartmentsByID returns the departments with the given ids.
func (s *Store) DepartmentsByID(ctx context.Context, ids []int64) (map[int64]*Department, error) {
	return selectByKey(ctx, s, `SELECT `+departmentColumns+` FROM departments WHERE id = ANY($1)`, ids,
		func(d *Department) int64 { return d.ID })
}

// Departments lists the departments v may whistle to or works for: those of the
// subdistricts where v is staff or admin (at the subdistrict or a community in it), and
// v's own.
func (s *Store) Departments(ctx context.Context, v *Viewer) ([]*Department, error) {
	if v == nil {
		return nil, needSignIn
	}
	places, ancestors := v.placesHolding(RoleStaff, RoleAdmin)
	mine, err := s.viewerDepartment(ctx, v)
	if err != nil {
		return nil, err
	}
	var out []*Department
	err = s.selectRows(ctx, &out, `SELECT `+departmentColumns+` FROM departments
		WHERE subdistrict_id = ANY($1) OR id = $2 ORDER BY id`, pq.Array(append(places, ancestors...)), mine)
	return out, err
}

// AddDepartmentMember makes account a member of a department: it grants the DEPARTMENT
// role at the department's subdistrict (unless held already) and records for which
// department, in one transaction. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN unless v is
// the subdistrict's admin, CONFLICT when the account works for a department already.
func (s *Store) AddDepartmentMember(ctx context.Context, v *Viewer, departmentID, accountID int64) (*Department, error) {
	if v == nil {
		return nil, needSignIn
	}
	ds, err := s.DepartmentsByID(ctx, []int64{departmentID})
	if err != nil {
		return nil, err
	}
	d := ds[departmentID]
	if d == nil {
		return nil, &Error{Code: ENOTFOUND, Field: "departmentId", Message: "找不到这个部门"}
	}
	p, err := s.Place(ctx, d.SubdistrictID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(p, RoleAdmin) {
		return nil, forbidden("只有%s的管理员可以为部门添加账号", p.Name)
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	// The account, locked so that two additions of it run one after the other.
	var exists bool
	if err := tx.get(&exists, `SELECT true FROM accounts WHERE id = $1 FOR UPDATE`, accountID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, &Error{Code: ENOTFOUND, Field: "accountId", Message: "找不到这个账号"}
		}
		return nil, err
	}
	var grantID int64
	err = tx.get(&grantID, `SELECT id FROM role_grants WHERE account_id = $1 AND role = 'department' AND place_id = $2
		AND revoked_at IS NULL`, accountID, p.ID)
	if errors.Is(err, sql.ErrNoRows) {
		if err = tx.get(&grantID, `INSERT INTO role_grants (account_id, role, place_id, granted_by, granted_at)
			VALUES ($1, 'department', $2, $3, $4) RETURNING id`, accountID, p.ID, v.Account.ID, tx.now); err != nil {
			return nil, err
		}
		if err := tx.audit(auditEvent{Action: AuditRoleGranted, ActorID: &v.Account.ID, PlaceID: &p.ID,
			AccountID: &accountID, RoleGrantID: &grantID, Note: &d.Name}); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	_, err = tx.exec(`INSERT INTO department_members (department_id, account_id, role_grant_id, added_by, added_at)
		VALUES ($1, $2, $3, $4, $5)`, d.ID, accountID, grantID, v.Account.ID, tx.now)
	if sqlState(err) == uniqueViolation {
		return nil, &Error{Code: ECONFLICT, Field: "accountId", Message: "这个账号已经属于一个职能部门"}
	} else if err != nil {
		return nil, err
	}
	return d, tx.Commit()
}

// viewerDepartment returns the department v acts for, 0 for none: a membership whose
// DEPARTMENT grant v still holds (a revoked grant ends what the membership gave).
func (s *Store) viewerDepartment(ctx context.Context, v *Viewer) (int64, error) {
	if v == nil || !v.HoldsAnywhere(RoleDepartment) {
		return 0, nil
	}
	var m struct {
		Department int64 `db:"department_id"`
		Grant      int64 `db:"role_grant_id"`
	}
	err := s.get(ctx, &m, `SELECT department_id, role_grant_id FROM department_members WHERE account_id = $1`, v.Account.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	for _, g := range v.Grants {
		if g.ID == m.Grant && g.Role == RoleDepartment {
			return m.Department, nil
		}
	}
	return 0, nil
}

// MyDepartment is the department v acts for, nil for none.
func (s *Store) MyDepartment(ctx context.Context, v *Viewer) (*Department, error) {
	id, err := s.viewerDepartment(ctx, v)
	if err != nil || id == 0 {
		return nil, err
	}
	ds, err := s.DepartmentsByID(ctx, []int64{id})
	return ds[id], err
}

// ---------------------------------------------------------------- deadlines

// ReportSettings are a community's deadlines for reports.
type ReportSettings struct {
	CommunityID int64 `db:"community_id"`
	// AcceptHours: the grid accepts a report within this many hours.
	AcceptHours int `db:"accept_hours"`
	// SettleDays: the grid settles or escalates an accepted report, and the community
	// settles or whistles an escalated one, within this many days.
	SettleDays int `db:"settle_days"`
	// DeadlineDays: how long a department has, by category.
	DeadlineDays map[ReportCategory]int `db:"-"`
}

// ReportDeadline is a department's deadline for one category.
type ReportDeadline struct {
	Category ReportCategory `db:"category"`
	Days     int            `db:"days"`
}

// reportSettings reads a community's deadlines, with the defaults where it set none.
func reportSettings(ctx context.Context, q interface {
	GetContext(context.Context, any, string, ...any) error
	SelectContext(context.Context, any, string, ...any) error
}, community int64) (*ReportSettings, error) {
	rs := &ReportSettings{CommunityID: community, AcceptHours: 24, SettleDays: 3, DeadlineDays: map[ReportCategory]int{}}
	err := q.GetContext(ctx, rs, `SELECT community_id, accept_hours, settle_days FROM report_settings WHERE community_id = $1`, community)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	for c, d := range DefaultReportDeadlineDays {
		rs.DeadlineDays[c] = d
	}
	var ds []ReportDeadline
	if err := q.SelectContext(ctx, &ds, `SELECT category, days FROM report_deadlines WHERE community_id = $1`, community); err != nil {
		return nil, err
	}
	for _, d := range ds {
		rs.DeadlineDays[d.Category] = d.Days
	}
	return rs, nil
}

// ReportSettingsOf returns a community's deadlines for reports. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN unless v is staff or admin there.
func (s *Store) ReportSettingsOf(ctx context.Context, v *Viewer, communityID int64) (*ReportSettings, error) {
	if v == nil {
		return nil, needSignIn
	}
	p, err := s.reportCommunity(ctx, communityID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(p, RoleStaff, RoleAdmin) {
		return nil, forbidden("只有%s的社区工作者或管理员可以查看事件上报的时限", p.Name)
	}
	return reportSettings(ctx, s.DB, communityID)
}

// reportCommunity returns place id, which must be a community (INVALID_INPUT or NOT_FOUND for
// communityId otherwise).
func (s *Store) reportCommunity(ctx context.Context, id int64) (*Place, error) {
	p, err := s.Place(ctx, id)
	if err != nil {
		return nil, withField(err, "communityId")
	}
	if p.Level != LevelCommunity {
		return nil, Invalid("communityId", "%s不是社区", p.Name)
	}
	return p, nil
}

// SetReportSettings sets a community's deadlines; nil leaves a value as it is, and
// deadlines replace those of their categories. Errors: UNAUTHENTICATED, NOT_FOUND,
// FORBIDDEN unless v is the community's staff, INVALID_INPUT.
func (s *Store) SetReportSettings(ctx context.Context, v *Viewer, communityID int64, acceptHours, settleDays *int, deadlines []ReportDeadline) (*ReportSettings, error) {
	if v == nil {
		return nil, needSignIn
	}
	if acceptHours != nil && (*acceptHours < 1 || *acceptHours > 720) {
		return nil, Invalid("acceptHours", "受理时限需要在 1 到 720 小时之间")
	}
	if settleDays != nil && (*settleDays < 1 || *settleDays > 90) {
		return nil, Invalid("settleDays", "办理时限需要在 1 到 90 天之间")
	}
	seen := map[ReportCategory]bool{}
	for _, d := range deadlines {
		if !slices.Contains(ReportCategories, d.Category) {
			return nil, Invalid("deadlines", "类别无效")
		}
		if seen[d.Category] {
			return nil, Invalid("deadlines", "同一类别只能设置一次")
		}
		seen[d.Category] = true
		if d.Days < 1 || d.Days > 90 {
			return nil, Invalid("deadlines", "部门办理时限需要在 1 到 90 天之间")
		}
	}
	p, err := s.reportCommunity(ctx, communityID)
	if err != nil {
		return nil, err
	}
	if !v.Holds(p, RoleStaff) {
		return nil, forbidden("只有%s的社区工作者可以设置事件上报的时限", p.Name)
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if _, err := tx.exec(`INSERT INTO report_settings AS s (community_id, accept_hours, settle_days)
		VALUES ($1, coalesce($2, 24), coalesce($3, 3))
		ON CONFLICT (community_id) DO UPDATE SET accept_hours = coalesce($2, s.accept_hours), settle_days = coalesce($3, s.settle_days)`,
		communityID, acceptHours, settleDays); err != nil {
		return nil, err
	}
	for _, d := range deadlines {
		if _, err := tx.exec(`INSERT INTO report_deadlines (community_id, category, days) VALUES ($1, $2, $3)
			ON CONFLICT (community_id, category) DO UPDATE SET days = $3`, communityID, d.Category, d.Days); err != nil {
			return nil, err
		}
	}
	if err := tx.audit(auditEvent{Action: AuditSettingsChanged, ActorID: &v.Account.ID, PlaceID: &communityID}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return reportSettings(ctx, s.DB, communityID)
}
