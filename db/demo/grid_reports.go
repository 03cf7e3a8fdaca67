package demo

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/lib/pq"

	"linli/db"
)

// The reports demo (事件上报): a courier (流动网格员) and an urban-management account (职能部门)
// besides the sign-ins of Accounts, and four reports in 和平社区, one at each level: settled
// in the grid, settled by the community, whistled to a department that answered, and one
// nobody has accepted for two days (in staff's overdue queue).

// Reports says whether Load fills the reports demo; tests that count their own reports
// switch it off.
var Reports = true

// ReportAccounts are the reports demo's sign-ins, with the demo's password.
var ReportAccounts = []Account{
	{string(db.RoleMobileGridMember), db.RoleMobileGridMember.Name(), "13800000021", Password, "马师傅", "和平社区"},
	{string(db.RoleDepartment), db.RoleDepartment.Name(), "13800000022", Password, "李建国", "幸福街道"},
}

// demoDepartment is the department the demo's reports are whistled to; 幸福派出所 is there
// to be chosen too.
const demoDepartment = "幸福街道城管执法队"

// demoReportStep is one step of a demo report: what, by whom (a demo phone), hours after
// the report was made, and the note.
type demoReportStep struct {
	action, to string
	phone      string
	after      float64
	note       string
}

type demoReport struct {
	place, category, urgency, description string
	reporter                              string
	daysAgo                               float64
	steps                                 []demoReportStep
	rating                                int // by the reporter, 0: none yet
	departmentRating                      int
}

var demoReports = []demoReport{
	{"和平花园小区 / 第一网格 / 1号楼", "facility", "normal", "1号楼二单元三楼楼道灯不亮，晚上上下楼看不清。", "13800000001", 6, []demoReportStep{
		{"accept", "accepted", "13800000004", 2, ""},
		{"settle", "resolved", "13800000004", 20, "已联系物业更换灯泡，楼道灯恢复正常。"},
		{"rate", "rated", "13800000001", 30, "很快就修好了"},
	}, 5, 0},
	{"和平花园小区 / 2号楼", "dispute", "normal", "2号楼1201装修，晚上九点后还在施工，影响休息。", "13800000005", 5, []demoReportStep{
		{"accept", "accepted", "13800000004", 1, ""},
		{"escalate", "escalated", "13800000004", 6, "网格协调两次未果，请社区组织调解。"},
		{"settle", "resolved", "13800000006", 40, "社区组织双方调解，约定施工时间为早八点至晚六点。"},
	}, 0, 0},
	{"和平花园小区 / 第一网格 / 1号楼", "environment", "urgent", "小区东门外堆放大量建筑垃圾，堵住了人行道。", "13800000021", 4, []demoReportStep{
		{"accept", "accepted", "13800000004", 1, ""},
		{"escalate", "escalated", "13800000004", 3, "垃圾量大，需要清运车和执法。"},
		{"whistle", "whistled", "13800000006", 5, "请城管执法队清运并查处倾倒者。"},
		{"report_in", "handling", "13800000022", 9, "已收到，明早到现场。"},
		{"progress", "handling", "13800000022", 24, "已查明倾倒者，责令清运。"},
		{"resolve", "resolved", "13800000022", 48, "建筑垃圾已全部清运，对倾倒者作出处罚。"},
		{"rate", "rated", "13800000021", 60, "处理及时"},
		{"rate_department", "rated", "13800000006", 62, "按时办结，处理彻底"},
	}, 4, 5},
	{"和平花园小区 / 2号楼", "fire_safety", "urgent", "2号楼一单元楼道里有电动车在充电，有火灾隐患。", "13800000021", 2, nil, 0, 0},
}

// insertReports adds the reports demo in four statements, whatever its size: its accounts,
// their grants, the departments with the member, and the reports with every step, timed
// back from now.
func (w *demoWorld) insertReports(ctx context.Context, tx *db.Tx, passwordHash string, accountIDs map[string]int64) error {
	if !Reports {
		return nil
	}
	now := tx.Now()
	community, err := w.find("和平社区")
	if err != nil {
		return err
	}
	subdistrict := community.parent
	var phones, names, roles []string
	var places []int64
	for _, a := range ReportAccounts {
		p, err := w.find(a.Place)
		if err != nil {
			return err
		}
		phones, names, roles, places = append(phones, a.Phone), append(names, a.Name), append(roles, a.Role), append(places, p.id)
	}
	var rows []struct {
		ID    int64  `db:"id"`
		Phone string `db:"phone"`
	}
	if err := tx.SelectContext(ctx, &rows, `INSERT INTO accounts (phone, name, password_hash, created_at)
		SELECT p, n, $3, $4 FROM unnest($1::text[], $2::text[]) AS u (p, n) RETURNING id, phone`,
		pq.Array(phones), pq.Array(names), passwordHash, now); err != nil {
		return fmt.Errorf("report accounts: %w", err)
	}
	for _, r := range rows {
		accountIDs[r.Phone] = r.ID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO role_grants (account_id, role, place_id, granted_at)
		SELECT a.id, u.r, u.p, $4 FROM unnest($1::text[], $2::role[], $3::bigint[]) AS u (phone, r, p)
		JOIN accounts a ON a.phone = u.phone`, pq.Array(phones), pq.Array(roles), pq.Array(places), now); err != nil {
		return fmt.Errorf("report grants: %w", err)
	}
	admin := accountIDs["13800000010"]
	var urban int64
	if err := tx.GetContext(ctx, &urban, `WITH d AS (
			INSERT INTO departments (subdistrict_id, name, kind, created_by, created_at)
			VALUES ($1, $2, 'urban_management', $3, $4), ($1, '幸福派出所', 'police', $3, $4) RETURNING id, name
		), m AS (
			INSERT INTO department_members (department_id, account_id, role_grant_id, added_by, added_at)
			SELECT d.id, g.account_id, g.id, $3, $4 FROM d, role_grants g
			WHERE d.name = $2 AND g.account_id = $5 AND g.role = 'department'
		)
		SELECT id FROM d WHERE name = $2`, subdistrict.id, demoDepartment, admin, now, accountIDs["13800000022"]); err != nil {
		return fmt.Errorf("departments: %w", err)
	}
	var rs reportRows
	for _, r := range demoReports {
		if err := w.reportRow(&rs, r, tx.Now(), urban, accountIDs); err != nil {
			return fmt.Errorf("report %q: %w", r.description, err)
		}
	}
	// Reports are matched to their steps by description, unique in the demo.
	if _, err := tx.ExecContext(ctx, `WITH r AS (
			INSERT INTO reports (reporter_id, place_id, grid_id, community_id, category, urgency, description, state,
				settled_level, department_id, created_at, updated_at, accepted_at, escalated_at, whistled_at, due_at,
				reported_in_at, resolved_at, rating, rated_at, department_rating, department_rated_by, department_rated_at)
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::report_category[],
				$6::report_urgency[], $7::text[], $8::report_state[], $9::report_level[], $10::bigint[], $11::timestamptz[],
				$11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::timestamptz[],
				$16::timestamptz[], $17::timestamptz[], $18::smallint[], $19::timestamptz[], $20::smallint[], $21::bigint[],
				$22::timestamptz[])
			RETURNING id, description
		)
		INSERT INTO report_events (report_id, at, action, actor_id, from_state, to_state, reason)
		SELECT r.id, e.at, e.action, e.actor, e.from_state, e.to_state, e.note
		FROM unnest($23::text[], $24::timestamptz[], $25::report_action[], $26::bigint[], $27::report_state[],
			$28::report_state[], $29::text[]) WITH ORDINALITY AS e (description, at, action, actor, from_state, to_state, note, n)
		JOIN r ON r.description = e.description ORDER BY e.n`,
		pq.Array(rs.reporter), pq.Array(rs.place), pq.Array(rs.grid), pq.Array(rs.community), pq.Array(rs.category),
		pq.Array(rs.urgency), pq.Array(rs.description), pq.Array(rs.state), pq.Array(rs.level), pq.Array(rs.department),
		pq.Array(rs.created), pq.Array(rs.accepted), pq.Array(rs.escalated), pq.Array(rs.whistled), pq.Array(rs.due),
		pq.Array(rs.reportedIn), pq.Array(rs.resolved), pq.Array(rs.rating), pq.Array(rs.rated), pq.Array(rs.deptRating),
		pq.Array(rs.deptRatedBy), pq.Array(rs.deptRated),
		pq.Array(rs.eDescription), pq.Array(rs.eAt), pq.Array(rs.eAction), pq.Array(rs.eActor), pq.Array(rs.eFrom),
		pq.Array(rs.eTo), pq.Array(rs.eNote)); err != nil {
		return fmt.Errorf("reports: %w", err)
	}
	return nil
}

// reportRows are the demo's reports and their steps as columns, for one unnest each.
type reportRows struct {
	reporter, place, grid, community                         []int64
	category, urgency, description, state                    []string
	level                                                    []sql.NullString
	department, deptRatedBy, rating, deptRating              []sql.NullInt64
	created                                                  []time.Time
	accepted, escalated, whistled, due, reportedIn, resolved []sql.NullTime
	rated, deptRated                                         []sql.NullTime
	eDescription, eAction, eTo                               []string
	eAt                                                      []time.Time
	eActor                                                   []sql.NullInt64
	eFrom, eNote                                             []sql.NullString
}

func (w *demoWorld) reportRow(rs *reportRows, r demoReport, now time.Time, department int64, accountIDs map[string]int64) error {
	place, err := w.find(r.place)
	if err != nil {
		return err
	}
	var grid, community *demoPlace
	for p := place; p != nil; p = p.parent {
		switch p.level {
		case db.LevelGrid:
			grid = p
		case db.LevelCommunity:
			community = p
		}
	}
	created := now.Add(-time.Duration(r.daysAgo * 24 * float64(time.Hour))).Truncate(time.Minute)
	at := func(hours float64) time.Time { return created.Add(time.Duration(hours * float64(time.Hour))) }
	some := func(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: true} }
	var accepted, escalated, whistled, due, reportedIn, resolved, rated, deptRated sql.NullTime
	var level sql.NullString
	var dept, deptRatedBy, rating, deptRating sql.NullInt64
	state := "reported"
	for _, s := range r.steps {
		state = s.to
		t := at(s.after)
		switch s.action {
		case "accept":
			accepted = some(t)
		case "escalate":
			escalated = some(t)
		case "whistle":
			days := db.DefaultReportDeadlineDays[db.ReportCategory(r.category)]
			whistled, due = some(t), some(t.Add(time.Duration(days)*24*time.Hour))
			dept = sql.NullInt64{Int64: department, Valid: true}
		case "report_in":
			reportedIn = some(t)
		case "settle", "resolve":
			resolved = some(t)
			switch {
			case s.action == "resolve":
				level = sql.NullString{String: "department", Valid: true}
			case escalated.Valid:
				level = sql.NullString{String: "community", Valid: true}
			default:
				level = sql.NullString{String: "grid", Valid: true}
			}
		case "rate":
			rated = some(t)
			rating = sql.NullInt64{Int64: int64(r.rating), Valid: true}
		case "rate_department":
			deptRated = some(t)
			deptRatedBy = sql.NullInt64{Int64: accountIDs[s.phone], Valid: true}
			deptRating = sql.NullInt64{Int64: int64(r.departmentRating), Valid: true}
		}
	}
	rs.reporter, rs.place = append(rs.reporter, accountIDs[r.reporter]), append(rs.place, place.id)
	rs.grid, rs.community = append(rs.grid, grid.id), append(rs.community, community.id)
	rs.category, rs.urgency = append(rs.category, r.category), append(rs.urgency, r.urgency)
	rs.description, rs.state, rs.level = append(rs.description, r.description), append(rs.state, state), append(rs.level, level)
	rs.department, rs.created = append(rs.department, dept), append(rs.created, created)
	rs.accepted, rs.escalated, rs.whistled = append(rs.accepted, accepted), append(rs.escalated, escalated), append(rs.whistled, whistled)
	rs.due, rs.reportedIn, rs.resolved = append(rs.due, due), append(rs.reportedIn, reportedIn), append(rs.resolved, resolved)
	rs.rating, rs.rated = append(rs.rating, rating), append(rs.rated, rated)
	rs.deptRating, rs.deptRatedBy, rs.deptRated = append(rs.deptRating, deptRating), append(rs.deptRatedBy, deptRatedBy), append(rs.deptRated, deptRated)
	from := sql.NullString{}
	for _, s := range append([]demoReportStep{{"report", "reported", r.reporter, 0, ""}}, r.steps...) {
		rs.eDescription, rs.eAt, rs.eAction = append(rs.eDescription, r.description), append(rs.eAt, at(s.after)), append(rs.eAction, s.action)
		rs.eActor = append(rs.eActor, sql.NullInt64{Int64: accountIDs[s.phone], Valid: true})
		rs.eFrom, rs.eTo = append(rs.eFrom, from), append(rs.eTo, s.to)
		rs.eNote = append(rs.eNote, sql.NullString{String: s.note, Valid: s.note != ""})
		from = sql.NullString{String: s.to, Valid: true}
	}
	return nil
}
