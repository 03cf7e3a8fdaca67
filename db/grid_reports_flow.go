package db

import (
	"context"
	"io"
	"slices"
	"time"

	"github.com/lib/pq"
)

// A report's lifecycle: every step locks the report, checks who may take it from the state
// it is in, moves it and records the step (report_events), in one transaction. Two people
// pressing the same step at once queue on the lock; the second finds the step taken.

// ReportAccess is what a viewer may do with one report.
type ReportAccess struct {
	See bool
	// Reporter: v made it (and rates it).
	Reporter bool
	// Grid: v is the grid worker of its grid, or staff above it (accepts, settles, escalates).
	Grid bool
	// Staff: v is staff of its community or subdistrict (settles, whistles, rates departments).
	Staff bool
	// Department: v works for the department it was whistled to.
	Department bool
}

// ReportAccess decides what v may do with r, made about place; dept is the department v
// acts for (0: none).
func (v *Viewer) ReportAccess(r *Report, place *Place, dept int64) ReportAccess {
	if v == nil {
		return ReportAccess{}
	}
	a := ReportAccess{
		Reporter:   v.Is(r.ReporterID),
		Grid:       v.Holds(place, rolesGrid...),
		Staff:      v.Holds(place, RoleStaff),
		Department: dept != 0 && r.DepartmentID != nil && *r.DepartmentID == dept,
	}
	a.See = a.Reporter || a.Grid || a.Staff || a.Department
	return a
}

// SubmitReport is what reportIssue takes.
type SubmitReport struct {
	PlaceID     int64
	Category    ReportCategory
	Urgency     ReportUrgency
	Description string
	PhotoURLs   []string
	// VisitID links the report to the visit it came of (ReportFromVisit); 0: none.
	VisitID int64
}

// SubmitReport records a report by v about a grid or a building: v lives in its community
// (a verified resident), or serves there as grid worker, building leader, mobile grid
// member or staff. Errors: UNAUTHENTICATED, NOT_FOUND (placeId), FORBIDDEN, INVALID_INPUT.
func (s *Store) SubmitReport(ctx context.Context, v *Viewer, in SubmitReport) (*Report, error) {
	if v == nil {
		return nil, needSignIn
	}
	description, err := text("description", "情况说明", in.Description, 1, 1000)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(ReportCategories, in.Category) {
		return nil, Invalid("category", "类别无效")
	}
	if !slices.Contains(reportUrgencies, in.Urgency) {
		return nil, Invalid("urgency", "紧急程度无效")
	}
	photos, err := photoURLs("photoUrls", in.PhotoURLs)
	if err != nil {
		return nil, err
	}
	place, err := s.Place(ctx, in.PlaceID)
	if err != nil {
		return nil, withField(err, "placeId")
	}
	if place.Level != LevelGrid && place.Level != LevelBuilding {
		return nil, Invalid("placeId", "请选择问题所在的网格或楼栋（%s是%s）", place.Name, place.Level.Name())
	}
	if place.RetiredAt != nil {
		return nil, Invalid("placeId", "%s已停用", place.Name)
	}
	path, err := s.PlacesByID(ctx, place.Path)
	if err != nil {
		return nil, err
	}
	var grid, community *Place
	for _, id := range place.Path {
		switch p := path[id]; p.Level {
		case LevelGrid:
			grid = p
		case LevelCommunity:
			community = p
		}
	}
	if grid == nil || community == nil {
		return nil, Invalid("placeId", "%s不属于任何网格", place.Name)
	}
	livesThere := v.Resident != nil && v.Resident.Verified && slices.Contains(v.Resident.HouseholdPath, community.ID)
	if !livesThere && !v.Serves(place, rolesReporting...) {
		return nil, forbidden("只能上报自己居住的社区（已核实身份的居民）或自己服务的网格里的事件")
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var r Report
	if err := tx.get(&r, `INSERT INTO reports AS r (reporter_id, place_id, grid_id, community_id, category, urgency,
			description, photo_urls, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING `+reportColumns,
		v.Account.ID, place.ID, grid.ID, community.ID, in.Category, in.Urgency, description, pq.Array(photos), tx.now); err != nil {
		return nil, err
	}
	if err := tx.record(reportTables, r.ID, ReportAction("report"), &v.Account.ID, nil, r.State, nil); err != nil {
		return nil, err
	}
	if err := tx.linkVisit(VisitOutcome{VisitID: in.VisitID, ReportID: &r.ID}); err != nil {
		return nil, err
	}
	if err := tx.notifyNextHandler(&r, v.Account.ID); err != nil {
		return nil, err
	}
	return &r, tx.Commit()
}

// lockedReport is a report locked for a step, with its place and what v may do with it.
type lockedReport struct {
	*Report
	place  *Place
	access ReportAccess
}

// writeReport runs one step of report id in its own transaction: it locks the report,
// decides what v may do (a report v may not see is NOT_FOUND, so ids cannot be probed) and
// runs f.
func (s *Store) writeReport(ctx context.Context, v *Viewer, id int64, f func(*Tx, *lockedReport) error) (*Report, error) {
	if v == nil {
		return nil, needSignIn
	}
	dept, err := s.viewerDepartment(ctx, v)
	if err != nil {
		return nil, err
	}
	lr, err := inLockedTx(ctx, s, func(tx *Tx) (*lockedReport, error) {
		var row struct {
			Report
			Place Place `db:"place"`
		}
		if err := tx.get(&row, `SELECT `+reportColumns+`, `+prefixed("p", "place", placeColumns)+`
			FROM reports r JOIN places p ON p.id = r.place_id WHERE r.id = $1 FOR UPDATE OF r`, id); err != nil {
			return nil, notFound(err, "找不到这条事件上报")
		}
		lr := &lockedReport{Report: &row.Report, place: &row.Place}
		lr.access = v.ReportAccess(lr.Report, lr.place, dept)
		if !lr.access.See {
			return nil, &Error{Code: ENOTFOUND, Message: "找不到这条事件上报"}
		}
		return lr, nil
	}, f)
	if err != nil {
		return nil, err
	}
	return lr.Report, nil
}

// step moves the locked report to state `to` with more assignments in set (parameters
// from $4), and records it with note.
func (tx *Tx) step(lr *lockedReport, to ReportState, action ReportAction, actor int64, note *string, set string, args ...any) error {
	from := lr.State
	if err := tx.move(reportTables, lr.Report, lr.ID, &from, to, action, &actor, note, set, args...); err != nil {
		return err
	}
	if from == to {
		return nil
	}
	return tx.notifyNextHandler(lr.Report, actor)
}

func wrongReportState(r *Report, doing string) error {
	return Errorf(EINVALIDSTATE, "这条上报当前状态为「%s」，不能%s", r.State.Name(), doing)
}

// AcceptReport: the grid takes a new report (受理). Of two pressing at once, one accepts and
// the other gets CONFLICT. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, CONFLICT,
// INVALID_STATE.
func (s *Store) AcceptReport(ctx context.Context, v *Viewer, id int64) (*Report, error) {
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		if !lr.access.Grid {
			return forbidden("只有%s所在网格的网格员（或社区工作者）可以受理这条上报", lr.place.Name)
		}
		switch lr.State {
		case ReportReported:
		case ReportAccepted:
			return Errorf(ECONFLICT, "这条上报刚刚已被受理，请勿重复受理")
		default:
			return wrongReportState(lr.Report, "受理")
		}
		return tx.step(lr, ReportAccepted, "accept", v.Account.ID, nil, `, accepted_at = $3`)
	})
}

// SettleReport: the grid settles an accepted report, or the community an escalated one
// (小事不出网格、大事不出社区). Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE,
// INVALID_INPUT (note).
func (s *Store) SettleReport(ctx context.Context, v *Viewer, id int64, note string) (*Report, error) {
	note, err := text("note", "办理结果", note, 1, 1000)
	if err != nil {
		return nil, err
	}
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		var level ReportLevel
		switch lr.State {
		case ReportAccepted:
			if !lr.access.Grid {
				return forbidden("只有所在网格的网格员可以办结网格受理的上报")
			}
			level = LevelSettledGrid
		case ReportEscalated:
			if !lr.access.Staff {
				return forbidden("上报已提交社区，只有社区工作者可以办结")
			}
			level = LevelSettledCommunity
		default:
			return wrongReportState(lr.Report, "在网格或社区办结")
		}
		return tx.step(lr, ReportResolved, "settle", v.Account.ID, &note, `, settled_level = $4, resolved_at = $3`, level)
	})
}

// EscalateReport: the grid cannot settle it and passes it to the community, with the reason.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT (reason).
func (s *Store) EscalateReport(ctx context.Context, v *Viewer, id int64, reason string) (*Report, error) {
	reason, err := text("reason", "上报社区的原因", reason, 1, 1000)
	if err != nil {
		return nil, err
	}
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		if !lr.access.Grid {
			return forbidden("只有所在网格的网格员可以把上报提交社区")
		}
		if lr.State != ReportAccepted {
			return wrongReportState(lr.Report, "提交社区（需要先受理）")
		}
		return tx.step(lr, ReportEscalated, "escalate", v.Account.ID, &reason, `, escalated_at = $3`)
	})
}

// WhistleReport: the community whistles an escalated report to a department of its
// subdistrict (吹哨), which must answer by the community's deadline for the category.
// Errors: UNAUTHENTICATED, NOT_FOUND (also departmentId), FORBIDDEN, INVALID_STATE,
// INVALID_INPUT.
func (s *Store) WhistleReport(ctx context.Context, v *Viewer, id, departmentID int64, note *string) (*Report, error) {
	note, err := optionalText("note", "吹哨说明", note, 1000)
	if err != nil {
		return nil, err
	}
	ds, err := s.DepartmentsByID(ctx, []int64{departmentID})
	if err != nil {
		return nil, err
	}
	d := ds[departmentID]
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		if !lr.access.Staff {
			return forbidden("只有社区工作者可以向职能部门吹哨")
		}
		if lr.State != ReportEscalated {
			return wrongReportState(lr.Report, "吹哨（需要先由网格提交社区）")
		}
		if d == nil || !lr.place.Within(d.SubdistrictID) {
			return &Error{Code: ENOTFOUND, Field: "departmentId", Message: "找不到这个职能部门（只能向本街道的部门吹哨）"}
		}
		rs, err := reportSettings(tx.ctx, tx.Tx, lr.CommunityID)
		if err != nil {
			return err
		}
		due := tx.now.Add(time.Duration(rs.DeadlineDays[lr.Category]) * 24 * time.Hour)
		return tx.step(lr, ReportWhistled, "whistle", v.Account.ID, note,
			`, department_id = $4, whistled_at = $3, due_at = $5`, d.ID, due)
	})
}

// requireDepartment checks that v works for the department the report was whistled to.
func requireDepartment(lr *lockedReport, doing string) error {
	if !lr.access.Department {
		return forbidden("只有被吹哨的职能部门可以%s", doing)
	}
	return nil
}

// ReportIn: the department answers the whistle (报到) and takes the report in hand.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, CONFLICT, INVALID_STATE, INVALID_INPUT.
func (s *Store) ReportIn(ctx context.Context, v *Viewer, id int64, note *string) (*Report, error) {
	note, err := optionalText("note", "报到说明", note, 1000)
	if err != nil {
		return nil, err
	}
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		if err := requireDepartment(lr, "报到"); err != nil {
			return err
		}
		switch lr.State {
		case ReportWhistled:
		case ReportHandling:
			return Errorf(ECONFLICT, "本部门已经报到，正在办理")
		default:
			return wrongReportState(lr.Report, "报到")
		}
		return tx.step(lr, ReportHandling, "report_in", v.Account.ID, note, `, reported_in_at = $3`)
	})
}

// AddReportProgress records what the department has done so far; the state stays.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) AddReportProgress(ctx context.Context, v *Viewer, id int64, note string) (*Report, error) {
	note, err := text("note", "进展", note, 1, 1000)
	if err != nil {
		return nil, err
	}
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		if err := requireDepartment(lr, "记录办理进展"); err != nil {
			return err
		}
		if lr.State != ReportHandling {
			return wrongReportState(lr.Report, "记录进展（需要先报到）")
		}
		return tx.step(lr, ReportHandling, "progress", v.Account.ID, &note, "")
	})
}

// ResolveReport: the department reports the matter resolved. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) ResolveReport(ctx context.Context, v *Viewer, id int64, note string) (*Report, error) {
	note, err := text("note", "办理结果", note, 1, 1000)
	if err != nil {
		return nil, err
	}
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		if err := requireDepartment(lr, "办结"); err != nil {
			return err
		}
		if lr.State != ReportHandling {
			return wrongReportState(lr.Report, "办结（需要先报到）")
		}
		return tx.step(lr, ReportResolved, "resolve", v.Account.ID, &note, `, settled_level = 'department', resolved_at = $3`)
	})
}

// ratingText checks a 1–5 rating and its optional comment.
func ratingText(rating int, comment *string) (*string, error) {
	if rating < 1 || rating > 5 {
		return nil, Invalid("rating", "评分需要是 1 到 5 分")
	}
	return optionalText("comment", "评价", comment, 500)
}

// RateReport: the reporter rates how the report was settled. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) RateReport(ctx context.Context, v *Viewer, id int64, rating int, comment *string) (*Report, error) {
	comment, err := ratingText(rating, comment)
	if err != nil {
		return nil, err
	}
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		if !lr.access.Reporter {
			return forbidden("只有上报人可以评价办理结果")
		}
		if lr.State != ReportResolved {
			return wrongReportState(lr.Report, "评价")
		}
		return tx.step(lr, ReportRated, "rate", v.Account.ID, comment, `, rating = $4, rating_comment = $5, rated_at = $3`, rating, comment)
	})
}

// RateDepartment: the community's staff rate how the department handled the report (打分考评),
// once. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, CONFLICT, INVALID_STATE, INVALID_INPUT.
func (s *Store) RateDepartment(ctx context.Context, v *Viewer, id int64, rating int, comment *string) (*Report, error) {
	comment, err := ratingText(rating, comment)
	if err != nil {
		return nil, err
	}
	return s.writeReport(ctx, v, id, func(tx *Tx, lr *lockedReport) error {
		if !lr.access.Staff {
			return forbidden("只有社区工作者可以为职能部门的办理打分")
		}
		if lr.SettledLevel == nil || *lr.SettledLevel != LevelSettledDepartment {
			return wrongReportState(lr.Report, "为部门打分（需要部门办结之后）")
		}
		if lr.DepartmentRating != nil {
			return Errorf(ECONFLICT, "已经为这次办理打过分了")
		}
		return tx.step(lr, lr.State, "rate_department", v.Account.ID, comment,
			`, department_rating = $4, department_rating_comment = $5, department_rated_by = $6, department_rated_at = $3`,
			rating, comment, v.Account.ID)
	})
}

// ---------------------------------------------------------------- reading

// ReportsByID returns the reports with the given ids (no visibility check: callers check).
func (s *Store) ReportsByID(ctx context.Context, ids []int64) (map[int64]*Report, error) {
	return selectByKey(ctx, s, `SELECT `+reportColumns+` FROM reports r WHERE r.id = ANY($1)`, ids, func(r *Report) int64 { return r.ID })
}

// ReportEventsByReport returns each report's timeline, oldest first.
func (s *Store) ReportEventsByReport(ctx context.Context, ids []int64) (map[int64][]*ReportEvent, error) {
	return selectGrouped(ctx, s, `SELECT id, report_id, at, action, actor_id, from_state, to_state, reason
		FROM report_events WHERE report_id = ANY($1) ORDER BY id`, ids, func(e *ReportEvent) int64 { return e.ReportID })
}

// Report returns report id if v may see it. Errors: UNAUTHENTICATED, NOT_FOUND.
func (s *Store) Report(ctx context.Context, v *Viewer, id int64) (*Report, error) {
	if v == nil {
		return nil, needSignIn
	}
	rs, err := s.ReportsByID(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	r := rs[id]
	if r == nil {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这条事件上报"}
	}
	place, err := s.Place(ctx, r.PlaceID)
	if err != nil {
		return nil, err
	}
	dept, err := s.viewerDepartment(ctx, v)
	if err != nil {
		return nil, err
	}
	if !v.ReportAccess(r, place, dept).See {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这条事件上报"}
	}
	return r, nil
}

// ReportFilter narrows the reports a viewer sees.
type ReportFilter struct {
	PlaceID int64 // 0: everywhere
	States  []ReportState
	Mine    bool // only those v made
}

// Reports lists the reports v may see, newest first: their own; their grid's (grid
// workers); their community's or subdistrict's (staff); those whistled to their department.
// Errors: UNAUTHENTICATED, INVALID_INPUT (cursor).
func (s *Store) Reports(ctx context.Context, v *Viewer, f ReportFilter, p Page) (Paged[*Report], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Report]{}, nil, needSignIn
	}
	dept, err := s.viewerDepartment(ctx, v)
	if err != nil {
		return Paged[*Report]{}, nil, err
	}
	grid, _ := v.placesHolding(rolesGrid...)
	staff, _ := v.placesHolding(RoleStaff)
	states := make([]string, len(f.States))
	for i, st := range f.States {
		states[i] = string(st)
	}
	from := ` FROM reports r JOIN places p ON p.id = r.place_id
		WHERE (r.reporter_id = $1 OR p.path && $2 OR p.path && $3 OR r.department_id = $4)
		AND ($5 = 0 OR $5 = ANY(p.path)) AND (cardinality($6::report_state[]) = 0 OR r.state = ANY($6))
		AND (NOT $7 OR r.reporter_id = $1)`
	args := []any{v.Account.ID, pq.Array(grid), pq.Array(staff), dept, f.PlaceID, pq.Array(states), f.Mine}
	res, err := listQuery(ctx, s, `SELECT `+reportColumns+from, args, byIDDesc.qualified("r"),
		func(r *Report) Key { return idKey(r.ID) }, p)
	return res, s.counter(ctx, p, from, args), err
}

// OverdueReason says which answer a report is waiting for past its time.
type OverdueReason string

// Overdue reasons ("every request gets an answer": nothing sits unanswered unseen).
const (
	// The grid has not accepted it within the community's accept hours: for community staff.
	OverdueNotAccepted OverdueReason = "not_accepted"
	// The grid has not settled or escalated it within the settle days: for community staff.
	OverdueGridLate OverdueReason = "grid_late"
	// The community has not settled or whistled it within the settle days: for the subdistrict.
	OverdueCommunityLate OverdueReason = "community_late"
	// The department is past its deadline: for the subdistrict.
	OverdueDepartmentLate OverdueReason = "department_late"
)

var overdueReasons = []OverdueReason{OverdueNotAccepted, OverdueGridLate, OverdueCommunityLate, OverdueDepartmentLate}

func (o OverdueReason) MarshalGQL(w io.Writer) { marshalEnum(w, o) }
func (o *OverdueReason) UnmarshalGQL(v any) error {
	return unmarshalEnum(o, v, overdueReasons, "OverdueReason")
}

// OverdueReport is a report waiting past its time, and since when.
type OverdueReport struct {
	Report
	Reason OverdueReason `db:"overdue_reason"`
	Since  time.Time     `db:"overdue_since"`
}

// MaxOverdue bounds the overdue queue: the longest-waiting come first.
const MaxOverdue = 200

// OverdueReports is the queue of the level above: reports the grid has not answered in time
// go to the community's staff (and the subdistrict's), reports the community or a
// department has not answered in time go to the subdistrict's staff; placeID (0: all)
// narrows it. Longest overdue first. Errors: UNAUTHENTICATED, FORBIDDEN unless v is staff.
func (s *Store) OverdueReports(ctx context.Context, v *Viewer, placeID int64) ([]*OverdueReport, error) {
	if v == nil {
		return nil, needSignIn
	}
	if !v.HoldsAnywhere(RoleStaff) {
		return nil, forbidden("超时未办的上报由社区和街道的工作人员查看")
	}
	var staff, above []int64
	for _, g := range v.Grants {
		if g.Role != RoleStaff {
			continue
		}
		staff = append(staff, g.PlaceID)
		if len(g.PlacePath) == 1 { // a subdistrict
			above = append(above, g.PlaceID)
		}
	}
	var out []*OverdueReport
	err := s.selectRows(ctx, &out, `SELECT `+reportColumns+`, o.reason AS overdue_reason, o.since AS overdue_since
		FROM reports r JOIN places p ON p.id = r.place_id
		LEFT JOIN report_settings rs ON rs.community_id = r.community_id
		CROSS JOIN LATERAL (SELECT CASE r.state
				WHEN 'reported' THEN 'not_accepted' WHEN 'accepted' THEN 'grid_late'
				WHEN 'escalated' THEN 'community_late' ELSE 'department_late' END AS reason,
			CASE r.state
				WHEN 'reported' THEN r.created_at + make_interval(hours => coalesce(rs.accept_hours, 24))
				WHEN 'accepted' THEN r.accepted_at + make_interval(days => coalesce(rs.settle_days, 3))
				WHEN 'escalated' THEN r.escalated_at + make_interval(days => coalesce(rs.settle_days, 3))
				ELSE r.due_at END AS since) o
		WHERE r.state IN ('reported', 'accepted', 'escalated', 'whistled', 'handling') AND o.since < $1
		AND CASE WHEN r.state IN ('reported', 'accepted') THEN p.path && $2 ELSE p.path && $3 END
		AND ($4 = 0 OR $4 = ANY(p.path))
		ORDER BY o.since, r.id LIMIT $5`, s.Now().UTC(), pq.Array(staff), pq.Array(above), placeID, MaxOverdue)
	return out, err
}
