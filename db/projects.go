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

// ProjectState is where a project (项目) is: running → completed.
type ProjectState string

// Project states.
const (
	ProjectRunning   ProjectState = "running"
	ProjectCompleted ProjectState = "completed"
)

var (
	projectStates     = []ProjectState{ProjectRunning, ProjectCompleted}
	projectStateNames = map[ProjectState]string{ProjectRunning: "实施中", ProjectCompleted: "已完成"}
)

// Name is the state's Chinese name, for messages.
func (s ProjectState) Name() string { return projectStateNames[s] }

func (s ProjectState) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *ProjectState) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, projectStates, "ProjectState")
}

// Project is an entry of the projects list (项目清单): a need taken on by one or more
// organisations, with its plan, and its result once completed.
type Project struct {
	ID          int64        `db:"id"`
	NeedID      int64        `db:"need_id"`
	PlaceID     int64        `db:"place_id"`
	CommunityID int64        `db:"community_id"`
	Title       string       `db:"title"`
	Goal        string       `db:"goal"`
	BudgetFen   *int64       `db:"budget_fen"`
	Goods       *string      `db:"goods"`
	StartsAt    time.Time    `db:"starts_at"`
	DueAt       time.Time    `db:"due_at"`
	State       ProjectState `db:"state"`
	Result      *string      `db:"result"`
	CompletedAt *time.Time   `db:"completed_at"`
	UpdatedAt   time.Time    `db:"updated_at"`
	// OrganisationIDs are the organisations that took it on, in the order they did.
	OrganisationIDs pq.Int64Array `db:"organisation_ids"`
}

// Milestone is a step of a project with a due date, done with a note.
type Milestone struct {
	ID        int64      `db:"id"`
	ProjectID int64      `db:"project_id"`
	Title     string     `db:"title"`
	DueAt     time.Time  `db:"due_at"`
	DoneAt    *time.Time `db:"done_at"`
	DoneBy    *int64     `db:"done_by"`
	DoneNote  *string    `db:"done_note"`
	CreatedBy int64      `db:"created_by"`
	CreatedAt time.Time  `db:"created_at"`
}

// ProjectPerson is an account taking part in a project for one of its organisations.
type ProjectPerson struct {
	ProjectID      int64     `db:"project_id"`
	AccountID      int64     `db:"account_id"`
	OrganisationID int64     `db:"organisation_id"`
	AddedBy        int64     `db:"added_by"`
	AddedAt        time.Time `db:"added_at"`
}

// ProjectReport is a progress report on a project, with the service time it accounts for.
type ProjectReport struct {
	ID        int64     `db:"id"`
	ProjectID int64     `db:"project_id"`
	AuthorID  int64     `db:"author_id"`
	Body      string    `db:"body"`
	Minutes   int       `db:"minutes"`
	CreatedAt time.Time `db:"created_at"`
}

const (
	projectColumns = `pr.id, pr.need_id, pr.place_id, pr.community_id, pr.title, pr.goal, pr.budget_fen, pr.goods, pr.starts_at,
	pr.due_at, pr.state, pr.result, pr.completed_at, pr.updated_at,
	ARRAY(SELECT po.organisation_id FROM project_organisations po WHERE po.project_id = pr.id ORDER BY po.joined_at, po.organisation_id) AS organisation_ids`
	milestoneColumns = `id, project_id, title, due_at, done_at, done_by, done_note, created_by, created_at`
)

// lockedProject is a project locked for a change, with its place and community and what
// the viewer is to it.
type lockedProject struct {
	*Project
	place, community *Place
	// contactOf are the project's organisations v is a contact of.
	contactOf []int64
	member    bool
	staff     bool
}

// keeps reports whether v may change the project: a contact of one of its organisations, or
// staff of its community.
func (lp *lockedProject) keeps() bool { return lp.staff || len(lp.contactOf) > 0 }

// projectSight is what v is to project p: staff of its community, a contact or member of
// one of its organisations.
type projectSight struct {
	contactOf []int64
	member    bool
}

// sightOf reads v's memberships of the organisations of project p.
func (tx *Tx) sightOf(v *Viewer, p *Project) (projectSight, error) {
	var rows []OrganisationMember
	if err := tx.selectRows(&rows, `SELECT `+memberColumns+` FROM organisation_members WHERE account_id = $1 AND organisation_id = ANY($2)`,
		v.Account.ID, pq.Array(p.OrganisationIDs)); err != nil {
		return projectSight{}, err
	}
	var s projectSight
	for _, m := range rows {
		s.member = true
		if m.Contact {
			s.contactOf = append(s.contactOf, m.OrganisationID)
		}
	}
	return s, nil
}

// SeesProject reports whether v sees a project at place in community, given whether v is a
// member of one of its organisations: the community's needs keepers, residents of the place
// (the project is published to them as a resolution's result is), and its organisations'
// members.
func (v *Viewer) SeesProject(place, community *Place, member bool) bool {
	return member || v.SeesNeeds(community) || v.livesIn(place)
}

// lockProject locks project id (FOR SHARE to add milestones, people and reports side by
// side; FOR UPDATE to change its state). One v may not see is NOT_FOUND.
func (tx *Tx) lockProject(v *Viewer, id int64, share bool) (*lockedProject, error) {
	lock := ` FOR UPDATE OF pr`
	if share {
		lock = ` FOR SHARE OF pr`
	}
	var p Project
	if err := tx.get(&p, `SELECT `+projectColumns+` FROM projects pr WHERE pr.id = $1`+lock, id); err != nil {
		return nil, notFound(err, "找不到这个项目")
	}
	ps, err := tx.places(p.PlaceID, p.CommunityID)
	if err != nil {
		return nil, err
	}
	s, err := tx.sightOf(v, &p)
	if err != nil {
		return nil, err
	}
	lp := &lockedProject{Project: &p, place: ps[p.PlaceID], community: ps[p.CommunityID], contactOf: s.contactOf,
		member: s.member, staff: v.Holds(ps[p.CommunityID], rolesKeepingNeeds...)}
	if !v.SeesProject(lp.place, lp.community, lp.member) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这个项目"}
	}
	return lp, nil
}

// writeProject runs one change of project id in its own transaction.
func (s *Store) writeProject(ctx context.Context, v *Viewer, id int64, share bool, f func(*Tx, *lockedProject) error) (*Project, error) {
	if v == nil {
		return nil, needSignIn
	}
	lp, err := inLockedTx(ctx, s, func(tx *Tx) (*lockedProject, error) { return tx.lockProject(v, id, share) }, f)
	if err != nil {
		return nil, err
	}
	ps, err := s.ProjectsByID(ctx, []int64{lp.ID})
	if err != nil {
		return nil, err
	}
	return ps[lp.ID], nil
}

func wrongProjectState(p *Project, doing string) error {
	return Errorf(EINVALIDSTATE, "项目当前状态为「%s」，不能%s", p.State.Name(), doing)
}

// requireKeeper refuses a change by anyone but a contact of the project's organisations or
// staff of its community, and any change of a completed project.
func requireKeeper(lp *lockedProject, doing string) error {
	if !lp.keeps() {
		return forbidden("只有承接项目的组织的联系人或%s的社区工作者可以%s", lp.community.Name, doing)
	}
	if lp.State != ProjectRunning {
		return wrongProjectState(lp.Project, doing)
	}
	return nil
}

// AddMilestone adds a milestone with a due time to a running project. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) AddMilestone(ctx context.Context, v *Viewer, projectID int64, title string, dueAt time.Time) (*Milestone, error) {
	name, err := text("title", "里程碑", title, 1, 100)
	if err != nil {
		return nil, err
	}
	var m Milestone
	_, err = s.writeProject(ctx, v, projectID, true, func(tx *Tx, lp *lockedProject) error {
		if err := requireKeeper(lp, "安排里程碑"); err != nil {
			return err
		}
		if !dueAt.After(lp.StartsAt) {
			return Invalid("dueAt", "里程碑的期限须晚于项目开始时间")
		}
		return tx.get(&m, `INSERT INTO project_milestones (project_id, title, due_at, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING `+milestoneColumns, lp.ID, name, dueAt.UTC(), v.Account.ID, tx.now)
	})
	if err != nil {
		return nil, withField(err, "projectId")
	}
	return &m, nil
}

// CompleteMilestone marks a milestone done with a note. Errors: UNAUTHENTICATED, NOT_FOUND,
// FORBIDDEN, INVALID_STATE (done already, or the project completed), INVALID_INPUT (note).
func (s *Store) CompleteMilestone(ctx context.Context, v *Viewer, id int64, note string) (*Milestone, error) {
	body, err := text("note", "完成说明", note, 1, 1000)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, needSignIn
	}
	var projectID int64
	if err := s.get(ctx, &projectID, `SELECT project_id FROM project_milestones WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "找不到这个里程碑")
	}
	var m Milestone
	_, err = s.writeProject(ctx, v, projectID, true, func(tx *Tx, lp *lockedProject) error {
		if err := requireKeeper(lp, "完成里程碑"); err != nil {
			return err
		}
		err := tx.get(&m, `UPDATE project_milestones SET done_at = $2, done_by = $3, done_note = $4
			WHERE id = $1 AND done_at IS NULL RETURNING `+milestoneColumns, id, tx.now, v.Account.ID, body)
		return notFoundAs(err, EINVALIDSTATE, "这个里程碑已经完成了")
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// AddProjectPerson adds an account taking part in a project: a member of an organisation of
// the project whose contact v is (staff may add a member of any of them). Errors:
// UNAUTHENTICATED, NOT_FOUND (projectId, accountId), FORBIDDEN, INVALID_STATE, INVALID_INPUT
// (not a member), CONFLICT (already taking part).
func (s *Store) AddProjectPerson(ctx context.Context, v *Viewer, projectID, accountID int64) (*ProjectPerson, error) {
	var pp ProjectPerson
	_, err := s.writeProject(ctx, v, projectID, true, func(tx *Tx, lp *lockedProject) error {
		if err := requireKeeper(lp, "安排参与人员"); err != nil {
			return err
		}
		orgs := lp.contactOf
		if lp.staff {
			orgs = lp.OrganisationIDs
		}
		err := tx.get(&pp, `INSERT INTO project_people (project_id, account_id, organisation_id, added_by, added_at)
			SELECT $1, m.account_id, m.organisation_id, $4, $5 FROM organisation_members m
			WHERE m.account_id = $2 AND m.organisation_id = ANY($3) ORDER BY m.organisation_id LIMIT 1
			RETURNING project_id, account_id, organisation_id, added_by, added_at`,
			lp.ID, accountID, pq.Array(orgs), v.Account.ID, tx.now)
		switch {
		case sqlState(err) == uniqueViolation:
			return Errorf(ECONFLICT, "这个人已经在项目中了")
		case errors.Is(err, sql.ErrNoRows):
			return Invalid("accountId", "只能安排承接项目的组织（你是联系人的组织）的成员参与")
		}
		return err
	})
	if err != nil {
		return nil, withField(err, "projectId")
	}
	return &pp, nil
}

// ReportProject adds a progress report on a running project, with the service time it
// accounts for, by a contact, a person taking part, or staff. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) ReportProject(ctx context.Context, v *Viewer, projectID int64, body string, minutes int) (*ProjectReport, error) {
	note, err := text("body", "进展", body, 1, 2000)
	if err != nil {
		return nil, err
	}
	if minutes < 0 || minutes > 100000 {
		return nil, Invalid("hours", "服务时长须在 0 到 1666 小时之间")
	}
	var r ProjectReport
	_, err = s.writeProject(ctx, v, projectID, true, func(tx *Tx, lp *lockedProject) error {
		var taking bool
		if err := tx.get(&taking, `SELECT EXISTS (SELECT 1 FROM project_people WHERE project_id = $1 AND account_id = $2)`,
			lp.ID, v.Account.ID); err != nil {
			return err
		}
		if !lp.keeps() && !taking {
			return forbidden("只有项目的参与人员、承接组织的联系人或社区工作者可以报告进展")
		}
		if lp.State != ProjectRunning {
			return wrongProjectState(lp.Project, "报告进展")
		}
		return tx.get(&r, `INSERT INTO project_reports (project_id, author_id, body, minutes, created_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING id, project_id, author_id, body, minutes, created_at`, lp.ID, v.Account.ID, note, minutes, tx.now)
	})
	if err != nil {
		return nil, withField(err, "projectId")
	}
	return &r, nil
}

// CompleteProject completes a running project with its result, published to the residents
// of its place, once every milestone is done. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN,
// INVALID_STATE, INVALID_INPUT (result).
func (s *Store) CompleteProject(ctx context.Context, v *Viewer, projectID int64, result string) (*Project, error) {
	body, err := text("result", "项目成果", result, 1, 5000)
	if err != nil {
		return nil, err
	}
	return s.writeProject(ctx, v, projectID, false, func(tx *Tx, lp *lockedProject) error {
		if err := requireKeeper(lp, "完成项目"); err != nil {
			return err
		}
		var open int
		if err := tx.get(&open, `SELECT count(*) FROM project_milestones WHERE project_id = $1 AND done_at IS NULL`, lp.ID); err != nil {
			return err
		}
		if open > 0 {
			return Errorf(EINVALIDSTATE, "还有 %d 个里程碑没有完成", open)
		}
		_, err := tx.exec(`UPDATE projects SET state = 'completed', result = $2, completed_at = $3, updated_at = $3 WHERE id = $1`,
			lp.ID, body, tx.now)
		return err
	})
}

// RateProject records the viewer's rating (1–5) of a completed project (群众评议): a
// verified resident of its place, once. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN,
// INVALID_STATE, INVALID_INPUT, CONFLICT.
func (s *Store) RateProject(ctx context.Context, v *Viewer, projectID int64, score int, comment *string) (*Project, error) {
	if score < 1 || score > 5 {
		return nil, Invalid("score", "评分为 1 到 5 分")
	}
	comment, err := optionalText("comment", "评价", comment, 500)
	if err != nil {
		return nil, err
	}
	return s.writeProject(ctx, v, projectID, true, func(tx *Tx, lp *lockedProject) error {
		if !v.livesIn(lp.place) {
			return forbidden("只有住在%s的已核实居民可以评议项目", lp.place.Name)
		}
		if lp.State != ProjectCompleted {
			return wrongProjectState(lp.Project, "评议（项目完成后才能评议）")
		}
		_, err := tx.exec(`INSERT INTO project_ratings (project_id, resident_id, score, comment, created_at) VALUES ($1, $2, $3, $4, $5)`,
			lp.ID, v.Resident.ID, score, comment, tx.now)
		if sqlState(err) == uniqueViolation {
			return Errorf(ECONFLICT, "你已经评议过了")
		}
		return err
	})
}

// ProjectsByID returns the projects with the given ids (no visibility check: callers check).
func (s *Store) ProjectsByID(ctx context.Context, ids []int64) (map[int64]*Project, error) {
	return selectByKey(ctx, s, `SELECT `+projectColumns+` FROM projects pr WHERE pr.id = ANY($1)`, ids, func(p *Project) int64 { return p.ID })
}

// ProjectsByNeed returns the project each need became.
func (s *Store) ProjectsByNeed(ctx context.Context, needIDs []int64) (map[int64]*Project, error) {
	return selectByKey(ctx, s, `SELECT `+projectColumns+` FROM projects pr WHERE pr.need_id = ANY($1)`, needIDs,
		func(p *Project) int64 { return p.NeedID })
}

// MilestonesByProject returns each project's milestones, by due time.
func (s *Store) MilestonesByProject(ctx context.Context, ids []int64) (map[int64][]*Milestone, error) {
	return selectGrouped(ctx, s, `SELECT `+milestoneColumns+` FROM project_milestones WHERE project_id = ANY($1) ORDER BY due_at, id`,
		ids, func(m *Milestone) int64 { return m.ProjectID })
}

// PeopleByProject returns each project's people, in the order they joined.
func (s *Store) PeopleByProject(ctx context.Context, ids []int64) (map[int64][]*ProjectPerson, error) {
	return selectGrouped(ctx, s, `SELECT project_id, account_id, organisation_id, added_by, added_at FROM project_people
		WHERE project_id = ANY($1) ORDER BY added_at, account_id`, ids, func(p *ProjectPerson) int64 { return p.ProjectID })
}

// ReportsByProject returns each project's progress reports, oldest first.
func (s *Store) ReportsByProject(ctx context.Context, ids []int64) (map[int64][]*ProjectReport, error) {
	return selectGrouped(ctx, s, `SELECT id, project_id, author_id, body, minutes, created_at FROM project_reports
		WHERE project_id = ANY($1) ORDER BY id`, ids, func(r *ProjectReport) int64 { return r.ProjectID })
}

// ProjectRatings returns the rating summary of each project that has ratings (the summary's
// ResolutionID holds the project's id).
func (s *Store) ProjectRatings(ctx context.Context, ids []int64) (map[int64]*RatingSummary, error) {
	var rows []struct {
		ProjectID int64 `db:"project_id"`
		Score     int   `db:"score"`
		N         int   `db:"n"`
	}
	if err := s.selectRows(ctx, &rows, `SELECT project_id, score, count(*) AS n FROM project_ratings
		WHERE project_id = ANY($1) GROUP BY project_id, score`, pq.Array(ids)); err != nil {
		return nil, err
	}
	m := make(map[int64]*RatingSummary)
	for _, r := range rows {
		sum := m[r.ProjectID]
		if sum == nil {
			sum = &RatingSummary{ResolutionID: r.ProjectID, Distribution: make([]int, 5)}
			m[r.ProjectID] = sum
		}
		sum.Count += r.N
		sum.Sum += r.N * r.Score
		sum.Distribution[r.Score-1] = r.N
	}
	return m, nil
}

// MemberOf returns, of the organisations given, those v belongs to.
func (s *Store) MemberOf(ctx context.Context, v *Viewer, orgIDs []int64) ([]int64, error) {
	if v == nil {
		return nil, nil
	}
	var ids []int64
	err := s.selectRows(ctx, &ids, `SELECT organisation_id FROM organisation_members WHERE account_id = $1 AND organisation_id = ANY($2)`,
		v.Account.ID, pq.Array(orgIDs))
	return ids, err
}

// SeesProjectOf reports whether v sees p, given the organisations v belongs to.
func (v *Viewer) SeesProjectOf(p *Project, place, community *Place, memberOf []int64) bool {
	member := slices.ContainsFunc(p.OrganisationIDs, func(id int64) bool { return slices.Contains(memberOf, id) })
	return v.SeesProject(place, community, member)
}

// ProjectFilter narrows the projects list.
type ProjectFilter struct {
	Place        int64
	States       []ProjectState
	Organisation int64
}

// Projects lists the projects v sees, newest first: as its community's needs keeper, as a
// resident of its place, or as a member of one of its organisations. Errors: UNAUTHENTICATED.
func (s *Store) Projects(ctx context.Context, v *Viewer, f ProjectFilter, p Page) (Paged[*Project], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Project]{}, nil, needSignIn
	}
	places, ancestors := v.placesHolding(rolesSeeingNeeds...)
	var home []int64
	if v.Resident != nil && v.Resident.Verified {
		home = v.Resident.HouseholdPath
	}
	from := ` FROM projects pr JOIN places c ON c.id = pr.community_id JOIN places xp ON xp.id = pr.place_id
		WHERE (c.path && $1 OR pr.community_id = ANY($2) OR pr.place_id = ANY($3)
			OR EXISTS (SELECT 1 FROM project_organisations po JOIN organisation_members m ON m.organisation_id = po.organisation_id
				WHERE po.project_id = pr.id AND m.account_id = $4))
		AND ($5::bigint = 0 OR xp.path @> ARRAY[$5::bigint])
		AND (coalesce(cardinality($6::project_state[]), 0) = 0 OR pr.state = ANY($6::project_state[]))
		AND ($7::bigint = 0 OR EXISTS (SELECT 1 FROM project_organisations po WHERE po.project_id = pr.id AND po.organisation_id = $7))`
	args := []any{pq.Array(places), pq.Array(ancestors), pq.Array(home), v.Account.ID, f.Place, pq.Array(f.States), f.Organisation}
	res, err := listQuery(ctx, s, `SELECT `+projectColumns+from, args, byIDDesc.qualified("pr"), func(x *Project) Key { return idKey(x.ID) }, p)
	return res, s.counter(ctx, p, from, args), err
}

// MyProjectRatings returns resident's score for each of the projects they rated.
func (s *Store) MyProjectRatings(ctx context.Context, resident int64, ids []int64) (map[int64]int, error) {
	var rows []idCount
	if err := s.selectRows(ctx, &rows, `SELECT project_id AS id, score AS n FROM project_ratings
		WHERE resident_id = $1 AND project_id = ANY($2)`, resident, pq.Array(ids)); err != nil {
		return nil, err
	}
	return counts(rows), nil
}
