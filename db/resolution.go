package db

import (
	"context"
	"io"
	"time"

	"github.com/lib/pq"
)

// ResolutionState is where a resolution (决议) is: in_notice → being_carried_out →
// result_published, or revoked when the council upholds an objection.
type ResolutionState string

// Resolution states.
const (
	ResolutionInNotice        ResolutionState = "in_notice"
	ResolutionBeingCarriedOut ResolutionState = "being_carried_out"
	ResolutionResultPublished ResolutionState = "result_published"
	ResolutionRevoked         ResolutionState = "revoked"
)

// TaskState is where a task is: open → done.
type TaskState string

// Task states.
const (
	TaskOpen TaskState = "open"
	TaskDone TaskState = "done"
)

var (
	resolutionStates     = []ResolutionState{ResolutionInNotice, ResolutionBeingCarriedOut, ResolutionResultPublished, ResolutionRevoked}
	taskStates           = []TaskState{TaskOpen, TaskDone}
	resolutionStateNames = map[ResolutionState]string{
		ResolutionInNotice: "公示中", ResolutionBeingCarriedOut: "实施中", ResolutionResultPublished: "结果已公开", ResolutionRevoked: "已撤销",
	}
	// rolesAssignable may be given tasks: people who work for the community.
	rolesAssignable = []Role{RoleStaff, RoleGridWorker, RoleBuildingLeader, RoleVolunteer, RolePartyMember, RoleCouncilMember}
)

// DefaultNoticeDays is a resolution's notice period in a community without settings.
const DefaultNoticeDays = 7

// Name is the state's Chinese name, for messages.
func (s ResolutionState) Name() string { return resolutionStateNames[s] }

func (s ResolutionState) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *ResolutionState) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, resolutionStates, "ResolutionState")
}
func (s TaskState) MarshalGQL(w io.Writer)    { marshalEnum(w, s) }
func (s *TaskState) UnmarshalGQL(v any) error { return unmarshalEnum(s, v, taskStates, "TaskState") }

// Resolution is what a passed vote decided, published for objections, then carried out.
type Resolution struct {
	ID                int64           `db:"id"`
	TopicID           int64           `db:"topic_id"`
	VoteID            int64           `db:"vote_id"`
	CommunityID       int64           `db:"community_id"`
	Title             string          `db:"title"`
	State             ResolutionState `db:"state"`
	PublishedAt       time.Time       `db:"published_at"`
	NoticeEndsAt      time.Time       `db:"notice_ends_at"`
	CarriedOutFrom    *time.Time      `db:"carried_out_from"`
	Result            *string         `db:"result"`
	ResultPublishedAt *time.Time      `db:"result_published_at"`
	RevokedReason     *string         `db:"revoked_reason"`
	UpdatedAt         time.Time       `db:"updated_at"`
}

// Objection is a resident's objection (异议) to a resolution in notice, and the council's answer.
type Objection struct {
	ID           int64      `db:"id"`
	ResolutionID int64      `db:"resolution_id"`
	AuthorID     int64      `db:"author_id"`
	Reason       string     `db:"reason"`
	CreatedAt    time.Time  `db:"created_at"`
	Answer       *string    `db:"answer"`
	AnsweredBy   *int64     `db:"answered_by"`
	AnsweredAt   *time.Time `db:"answered_at"`
	Upheld       *bool      `db:"upheld"`
}

// Task is a piece of carrying a resolution out, with an assignee and a due time.
type Task struct {
	ID           int64      `db:"id"`
	ResolutionID int64      `db:"resolution_id"`
	Title        string     `db:"title"`
	AssigneeID   int64      `db:"assignee_id"`
	DueAt        time.Time  `db:"due_at"`
	State        TaskState  `db:"state"`
	DoneAt       *time.Time `db:"done_at"`
	CreatedBy    int64      `db:"created_by"`
	CreatedAt    time.Time  `db:"created_at"`
}

// TaskReport is a progress report on a task.
type TaskReport struct {
	ID        int64     `db:"id"`
	TaskID    int64     `db:"task_id"`
	AuthorID  int64     `db:"author_id"`
	Body      string    `db:"body"`
	Done      bool      `db:"done"`
	CreatedAt time.Time `db:"created_at"`
}

// SupervisionNote is a supervisor's comment on a task, or a concern the committee must answer.
type SupervisionNote struct {
	ID         int64      `db:"id"`
	TaskID     int64      `db:"task_id"`
	AuthorID   int64      `db:"author_id"`
	Body       string     `db:"body"`
	Concern    bool       `db:"concern"`
	CreatedAt  time.Time  `db:"created_at"`
	Answer     *string    `db:"answer"`
	AnsweredBy *int64     `db:"answered_by"`
	AnsweredAt *time.Time `db:"answered_at"`
}

// RatingSummary is the residents' rating of a result: how many rated, the sum of scores
// (the average is Sum/Count, left to the reader so nothing is rounded here) and how many
// gave each score 1–5.
type RatingSummary struct {
	ResolutionID int64 `db:"resolution_id"`
	Count        int   `db:"count"`
	Sum          int   `db:"sum"`
	Distribution []int `db:"-"`
}

const (
	resolutionColumns = `r.id, r.topic_id, r.vote_id, r.community_id, r.title, r.state, r.published_at, r.notice_ends_at,
	r.carried_out_from, r.result, r.result_published_at, r.revoked_reason, r.updated_at`
	objectionColumns  = `id, resolution_id, author_id, reason, created_at, answer, answered_by, answered_at, upheld`
	taskColumns       = `id, resolution_id, title, assignee_id, due_at, state, done_at, created_by, created_at`
	supervisionColumn = `id, task_id, author_id, body, concern, created_at, answer, answered_by, answered_at`
)

// afterVote moves the topic of a vote that just closed: to voted and, when a motion passed,
// publishes a resolution for the community's notice period. A topic already past voted (an
// earlier vote passed) stays where it is.
func (tx *Tx) afterVote(lv *lockedVote, by *int64, passed bool, why string) error {
	lt, err := tx.lockTopic(nil, lv.TopicID)
	if err != nil {
		return err
	}
	if lt.State != TopicUnderDiscussion && lt.State != TopicVoted {
		return nil
	}
	if err := tx.transitionTopic(lt, TopicVoted, TopicVote, by, &why, ""); err != nil || !passed {
		return err
	}
	settings, err := tx.settings(lt.CommunityID)
	if err != nil {
		return err
	}
	ends := tx.now.Add(time.Duration(settings.NoticeDays) * 24 * time.Hour)
	if _, err := tx.exec(`INSERT INTO resolutions (topic_id, vote_id, community_id, title, published_at, notice_ends_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $5)`, lt.ID, lv.ID, lt.CommunityID, lv.Title, tx.now, ends); err != nil {
		return err
	}
	notice := "决议公示 " + formatInt(settings.NoticeDays) + " 天，至" + ends.In(china).Format("1月2日15:04") + "，期间居民可提出异议"
	return tx.transitionTopic(lt, TopicResolutionPublished, TopicPublishResolution, by, &notice, "")
}

// lockedResolution is a resolution locked for a change, with its topic and community.
type lockedResolution struct {
	*Resolution
	topic            *Topic
	place, community *Place
}

// lockResolution locks resolution id (FOR SHARE to add objections, reports and notes side by
// side; FOR UPDATE to change its state). One v may not see is NOT_FOUND.
func (tx *Tx) lockResolution(v *Viewer, id int64, share bool) (*lockedResolution, error) {
	lock := ` FOR UPDATE`
	if share {
		lock = ` FOR SHARE`
	}
	var r Resolution
	if err := tx.get(&r, `SELECT `+resolutionColumns+` FROM resolutions r WHERE r.id = $1`+lock, id); err != nil {
		return nil, notFound(err, "找不到这项决议")
	}
	var t Topic
	if err := tx.get(&t, `SELECT `+topicColumns+` FROM topics t WHERE t.id = $1`, r.TopicID); err != nil {
		return nil, err
	}
	ps, err := tx.places(t.PlaceID, t.CommunityID)
	if err != nil {
		return nil, err
	}
	lr := &lockedResolution{Resolution: &r, topic: &t, place: ps[t.PlaceID], community: ps[t.CommunityID]}
	if !v.SeesTopics(lr.community) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这项决议"}
	}
	return lr, nil
}

// writeResolution runs one change of resolution id in its own transaction.
func (s *Store) writeResolution(ctx context.Context, v *Viewer, id int64, share bool, f func(*Tx, *lockedResolution) error) (*Resolution, error) {
	if v == nil {
		return nil, needSignIn
	}
	lr, err := inLockedTx(ctx, s, func(tx *Tx) (*lockedResolution, error) { return tx.lockResolution(v, id, share) }, f)
	if err != nil {
		return nil, err
	}
	return s.ResolutionByID(ctx, v, lr.ID)
}

// moveResolution sets the locked resolution's state (with more assignments in set, from $4)
// and moves its topic along with a timeline entry.
func (tx *Tx) moveResolution(lr *lockedResolution, to ResolutionState, topic TopicState, action TopicAction, actor *int64, why *string, set string, args ...any) error {
	if _, err := tx.exec(`UPDATE resolutions SET state = $2, updated_at = $3`+set+` WHERE id = $1`,
		append([]any{lr.ID, to, tx.now}, args...)...); err != nil {
		return err
	}
	lt, err := tx.lockTopic(nil, lr.TopicID)
	if err != nil {
		return err
	}
	return tx.transitionTopic(lt, topic, action, actor, why, "")
}

func wrongResolutionState(r *Resolution, doing string) error {
	return Errorf(EINVALIDSTATE, "决议当前状态为「%s」，不能%s", r.State.Name(), doing)
}

// ObjectToResolution records the viewer's objection to a resolution in its notice period: a
// verified resident of the place the topic concerns, once. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT (reason), CONFLICT (objected before).
func (s *Store) ObjectToResolution(ctx context.Context, v *Viewer, id int64, reason string) (*Objection, error) {
	why, err := text("reason", "异议理由", reason, 1, 1000)
	if err != nil {
		return nil, err
	}
	var o Objection
	_, err = s.writeResolution(ctx, v, id, true, func(tx *Tx, lr *lockedResolution) error {
		if !v.livesIn(lr.place) {
			return forbidden("只有住在%s的已核实居民可以对决议提出异议", lr.place.Name)
		}
		if lr.State != ResolutionInNotice || !tx.now.Before(lr.NoticeEndsAt) {
			return Errorf(EINVALIDSTATE, "决议的公示期已经结束（%s），不能再提出异议", lr.NoticeEndsAt.In(china).Format("1月2日15:04"))
		}
		err := tx.get(&o, `INSERT INTO resolution_objections (resolution_id, author_id, reason, created_at)
			VALUES ($1, $2, $3, $4) RETURNING `+objectionColumns, lr.ID, v.Account.ID, why, tx.now)
		if sqlState(err) == uniqueViolation {
			return Errorf(ECONFLICT, "你已经对这项决议提出过异议")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// AnswerObjection records the council's answer to an objection. When the council upholds it,
// the resolution is revoked and the topic goes back to discussion. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT (answer), CONFLICT (answered before).
func (s *Store) AnswerObjection(ctx context.Context, v *Viewer, objectionID int64, answer string, upheld bool) (*Objection, error) {
	body, err := text("answer", "答复", answer, 1, 2000)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, needSignIn
	}
	var resolutionID int64
	if err := s.get(ctx, &resolutionID, `SELECT resolution_id FROM resolution_objections WHERE id = $1`, objectionID); err != nil {
		return nil, notFound(err, "找不到这条异议")
	}
	var o Objection
	_, err = s.writeResolution(ctx, v, resolutionID, false, func(tx *Tx, lr *lockedResolution) error {
		if !v.Holds(lr.community, RoleCouncilMember) {
			return forbidden("只有%s的议事会成员可以答复异议", lr.community.Name)
		}
		if lr.State != ResolutionInNotice {
			return wrongResolutionState(lr.Resolution, "答复异议")
		}
		err := tx.get(&o, `UPDATE resolution_objections SET answer = $2, answered_by = $3, answered_at = $4, upheld = $5
			WHERE id = $1 AND answer IS NULL RETURNING `+objectionColumns, objectionID, body, v.Account.ID, tx.now, upheld)
		if err != nil {
			return notFoundAs(err, ECONFLICT, "这条异议已经答复过了")
		}
		if !upheld {
			return nil
		}
		why := "议事会认为异议成立，撤销决议：" + body
		return tx.moveResolution(lr, ResolutionRevoked, TopicUnderDiscussion, TopicReopen, &v.Account.ID, &why,
			`, revoked_reason = $4`, body)
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// AddTask adds a task to carry a resolution out, by staff of the community. The first task
// starts the carrying out, which needs the notice period over and every objection answered.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) AddTask(ctx context.Context, v *Viewer, resolutionID int64, title string, assignee int64, dueAt time.Time) (*Task, error) {
	name, err := text("title", "任务", title, 1, 100)
	if err != nil {
		return nil, err
	}
	var t Task
	_, err = s.writeResolution(ctx, v, resolutionID, false, func(tx *Tx, lr *lockedResolution) error {
		if !v.Holds(lr.community, RoleStaff) {
			return forbidden("只有%s的社区工作者可以安排实施任务", lr.community.Name)
		}
		if !dueAt.After(tx.now) {
			return Invalid("dueAt", "完成期限必须晚于现在")
		}
		var ok bool
		if err := tx.get(&ok, `SELECT EXISTS (SELECT 1 FROM role_grants g JOIN places p ON p.id = g.place_id
			WHERE g.account_id = $1 AND g.revoked_at IS NULL AND g.role = ANY($2) AND (p.id = ANY($3) OR p.path @> ARRAY[$4::bigint]))`,
			assignee, pq.Array(rolesAssignable), pq.Array(lr.community.Path), lr.community.ID); err != nil {
			return err
		}
		if !ok {
			return Invalid("assigneeId", "负责人须在%s担任社区工作者、网格员、楼栋长、志愿者、党员或议事会成员", lr.community.Name)
		}
		switch lr.State {
		case ResolutionBeingCarriedOut:
		case ResolutionInNotice:
			if tx.now.Before(lr.NoticeEndsAt) {
				return Errorf(EINVALIDSTATE, "决议公示期到%s结束，结束后才能开始实施", lr.NoticeEndsAt.In(china).Format("1月2日15:04"))
			}
			var open int
			if err := tx.get(&open, `SELECT count(*) FROM resolution_objections WHERE resolution_id = $1 AND answer IS NULL`, lr.ID); err != nil {
				return err
			}
			if open > 0 {
				return Errorf(EINVALIDSTATE, "还有 %d 条异议未答复，议事会答复后才能开始实施", open)
			}
			why := "公示期满，开始实施"
			if err := tx.moveResolution(lr, ResolutionBeingCarriedOut, TopicBeingCarriedOut, TopicCarryOut, &v.Account.ID, &why,
				`, carried_out_from = $4`, tx.now); err != nil {
				return err
			}
		default:
			return wrongResolutionState(lr.Resolution, "安排任务")
		}
		return tx.get(&t, `INSERT INTO resolution_tasks (resolution_id, title, assignee_id, due_at, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+taskColumns, lr.ID, name, assignee, dueAt.UTC(), v.Account.ID, tx.now)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// writeTask runs one change of task id under its resolution's lock.
func (s *Store) writeTask(ctx context.Context, v *Viewer, id int64, share bool, f func(*Tx, *lockedResolution, *Task) error) (*Task, error) {
	if v == nil {
		return nil, needSignIn
	}
	var resolutionID int64
	if err := s.get(ctx, &resolutionID, `SELECT resolution_id FROM resolution_tasks WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "找不到这个任务")
	}
	var t Task
	_, err := s.writeResolution(ctx, v, resolutionID, share, func(tx *Tx, lr *lockedResolution) error {
		if err := tx.get(&t, `SELECT `+taskColumns+` FROM resolution_tasks WHERE id = $1 FOR UPDATE`, id); err != nil {
			return err
		}
		return f(tx, lr, &t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ReportProgress adds a progress report to an open task, by its assignee or staff; done
// closes the task. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE,
// INVALID_INPUT (body).
func (s *Store) ReportProgress(ctx context.Context, v *Viewer, taskID int64, body string, done bool) (*Task, error) {
	note, err := text("body", "进展", body, 1, 2000)
	if err != nil {
		return nil, err
	}
	return s.writeTask(ctx, v, taskID, true, func(tx *Tx, lr *lockedResolution, t *Task) error {
		if !v.Is(t.AssigneeID) && !v.Holds(lr.community, RoleStaff) {
			return forbidden("只有任务负责人或%s的社区工作者可以报告进展", lr.community.Name)
		}
		if t.State != TaskOpen || lr.State != ResolutionBeingCarriedOut {
			return Errorf(EINVALIDSTATE, "任务已经完成，不能再报告进展")
		}
		if _, err := tx.exec(`INSERT INTO task_reports (task_id, author_id, body, done, created_at) VALUES ($1, $2, $3, $4, $5)`,
			t.ID, v.Account.ID, note, done, tx.now); err != nil {
			return err
		}
		if !done {
			return nil
		}
		return tx.get(t, `UPDATE resolution_tasks SET state = 'done', done_at = $2 WHERE id = $1 RETURNING `+taskColumns, t.ID, tx.now)
	})
}

// SuperviseTask adds a supervisor's comment or concern to a task of a resolution being
// carried out. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) SuperviseTask(ctx context.Context, v *Viewer, taskID int64, body string, concern bool) (*SupervisionNote, error) {
	text, err := text("body", "监督意见", body, 1, 2000)
	if err != nil {
		return nil, err
	}
	var n SupervisionNote
	_, err = s.writeTask(ctx, v, taskID, true, func(tx *Tx, lr *lockedResolution, t *Task) error {
		if !v.Holds(lr.community, RoleSupervisor) {
			return forbidden("只有%s的监委会成员可以提出监督意见", lr.community.Name)
		}
		if lr.State != ResolutionBeingCarriedOut {
			return wrongResolutionState(lr.Resolution, "提出监督意见")
		}
		return tx.get(&n, `INSERT INTO task_supervision (task_id, author_id, body, concern, created_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING `+supervisionColumn, t.ID, v.Account.ID, text, concern, tx.now)
	})
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// AnswerConcern records staff's answer to a supervisor's concern, which then no longer holds
// back the result. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_INPUT, CONFLICT.
func (s *Store) AnswerConcern(ctx context.Context, v *Viewer, noteID int64, answer string) (*SupervisionNote, error) {
	body, err := text("answer", "答复", answer, 1, 2000)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, needSignIn
	}
	var taskID int64
	if err := s.get(ctx, &taskID, `SELECT task_id FROM task_supervision WHERE id = $1`, noteID); err != nil {
		return nil, notFound(err, "找不到这条监督意见")
	}
	var n SupervisionNote
	_, err = s.writeTask(ctx, v, taskID, false, func(tx *Tx, lr *lockedResolution, t *Task) error {
		if !v.Holds(lr.community, RoleStaff) {
			return forbidden("只有%s的社区工作者可以答复监督意见", lr.community.Name)
		}
		err := tx.get(&n, `UPDATE task_supervision SET answer = $2, answered_by = $3, answered_at = $4
			WHERE id = $1 AND concern AND answer IS NULL RETURNING `+supervisionColumn, noteID, body, v.Account.ID, tx.now)
		return notFoundAs(err, ECONFLICT, "这条监督意见不是待答复的关切，或已经答复过了")
	})
	if err != nil {
		return nil, err
	}
	return &n, nil
}

// PublishResult publishes the result of carrying a resolution out (实施结果公开), by staff,
// once every task is done and every concern answered. Errors: UNAUTHENTICATED, NOT_FOUND,
// FORBIDDEN, INVALID_STATE, INVALID_INPUT (result).
func (s *Store) PublishResult(ctx context.Context, v *Viewer, id int64, result string) (*Resolution, error) {
	body, err := text("result", "实施结果", result, 1, 5000)
	if err != nil {
		return nil, err
	}
	return s.writeResolution(ctx, v, id, false, func(tx *Tx, lr *lockedResolution) error {
		if !v.Holds(lr.community, RoleStaff) {
			return forbidden("只有%s的社区工作者可以公开实施结果", lr.community.Name)
		}
		if lr.State != ResolutionBeingCarriedOut {
			return wrongResolutionState(lr.Resolution, "公开实施结果")
		}
		var c struct {
			Open     int `db:"open"`
			Concerns int `db:"concerns"`
		}
		if err := tx.get(&c, `SELECT (SELECT count(*) FROM resolution_tasks WHERE resolution_id = $1 AND state = 'open') AS open,
			(SELECT count(*) FROM task_supervision n JOIN resolution_tasks t ON t.id = n.task_id
				WHERE t.resolution_id = $1 AND n.concern AND n.answer IS NULL) AS concerns`, lr.ID); err != nil {
			return err
		}
		if c.Open > 0 {
			return Errorf(EINVALIDSTATE, "还有 %d 个任务没有完成", c.Open)
		}
		if c.Concerns > 0 {
			return Errorf(EINVALIDSTATE, "还有 %d 条监委会关切没有答复", c.Concerns)
		}
		why := "公开实施结果"
		return tx.moveResolution(lr, ResolutionResultPublished, TopicResultPublished, TopicPublishResult, &v.Account.ID, &why,
			`, result = $4, result_published_at = $5`, body, tx.now)
	})
}

// RateResult records the viewer's rating (1–5) of a published result (群众评议): a verified
// resident of the place the topic concerns, once. The first rating moves the topic to rated.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT, CONFLICT.
func (s *Store) RateResult(ctx context.Context, v *Viewer, id int64, score int, comment *string) (*Resolution, error) {
	if score < 1 || score > 5 {
		return nil, Invalid("score", "评分为 1 到 5 分")
	}
	comment, err := optionalText("comment", "评价", comment, 500)
	if err != nil {
		return nil, err
	}
	return s.writeResolution(ctx, v, id, true, func(tx *Tx, lr *lockedResolution) error {
		if !v.livesIn(lr.place) {
			return forbidden("只有住在%s的已核实居民可以评议实施结果", lr.place.Name)
		}
		if lr.State != ResolutionResultPublished {
			return wrongResolutionState(lr.Resolution, "评议（实施结果公开后才能评议）")
		}
		_, err := tx.exec(`INSERT INTO result_ratings (resolution_id, resident_id, score, comment, created_at) VALUES ($1, $2, $3, $4, $5)`,
			lr.ID, v.Resident.ID, score, comment, tx.now)
		if sqlState(err) == uniqueViolation {
			return Errorf(ECONFLICT, "你已经评议过了")
		} else if err != nil {
			return err
		}
		lt, err := tx.lockTopic(nil, lr.TopicID)
		if err != nil || lt.State != TopicResultPublished {
			return err
		}
		why := "居民开始评议实施结果"
		return tx.transitionTopic(lt, TopicRated, TopicRate, nil, &why, "")
	})
}

// ResolutionByID returns the resolution as v may see it, NOT_FOUND otherwise.
func (s *Store) ResolutionByID(ctx context.Context, v *Viewer, id int64) (*Resolution, error) {
	rs, err := s.ResolutionsByID(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	r := rs[id]
	if r == nil {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这项决议"}
	}
	c, err := s.Place(ctx, r.CommunityID)
	if err != nil {
		return nil, err
	}
	if !v.SeesTopics(c) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这项决议"}
	}
	return r, nil
}

// ResolutionsByID returns the resolutions with the given ids (no visibility check: callers check).
func (s *Store) ResolutionsByID(ctx context.Context, ids []int64) (map[int64]*Resolution, error) {
	return selectByKey(ctx, s, `SELECT `+resolutionColumns+` FROM resolutions r WHERE r.id = ANY($1)`, ids,
		func(r *Resolution) int64 { return r.ID })
}

// ResolutionsByTopic returns each topic's resolutions, oldest first (revoked ones included).
func (s *Store) ResolutionsByTopic(ctx context.Context, topicIDs []int64) (map[int64][]*Resolution, error) {
	return selectGrouped(ctx, s, `SELECT `+resolutionColumns+` FROM resolutions r WHERE r.topic_id = ANY($1) ORDER BY r.id`,
		topicIDs, func(r *Resolution) int64 { return r.TopicID })
}

// ResolutionsByVote returns the resolution each passed vote yielded.
func (s *Store) ResolutionsByVote(ctx context.Context, voteIDs []int64) (map[int64]*Resolution, error) {
	return selectByKey(ctx, s, `SELECT `+resolutionColumns+` FROM resolutions r WHERE r.vote_id = ANY($1)`, voteIDs,
		func(r *Resolution) int64 { return r.VoteID })
}

// ObjectionsByResolution returns each resolution's objections, oldest first.
func (s *Store) ObjectionsByResolution(ctx context.Context, ids []int64) (map[int64][]*Objection, error) {
	return selectGrouped(ctx, s, `SELECT `+objectionColumns+` FROM resolution_objections WHERE resolution_id = ANY($1) ORDER BY id`,
		ids, func(o *Objection) int64 { return o.ResolutionID })
}

// TasksByResolution returns each resolution's tasks, oldest first.
func (s *Store) TasksByResolution(ctx context.Context, ids []int64) (map[int64][]*Task, error) {
	return selectGrouped(ctx, s, `SELECT `+taskColumns+` FROM resolution_tasks WHERE resolution_id = ANY($1) ORDER BY id`,
		ids, func(t *Task) int64 { return t.ResolutionID })
}

// ReportsByTask returns each task's progress reports, oldest first.
func (s *Store) ReportsByTask(ctx context.Context, ids []int64) (map[int64][]*TaskReport, error) {
	return selectGrouped(ctx, s, `SELECT id, task_id, author_id, body, done, created_at FROM task_reports WHERE task_id = ANY($1) ORDER BY id`,
		ids, func(r *TaskReport) int64 { return r.TaskID })
}

// SupervisionByTask returns each task's supervision notes, oldest first.
func (s *Store) SupervisionByTask(ctx context.Context, ids []int64) (map[int64][]*SupervisionNote, error) {
	return selectGrouped(ctx, s, `SELECT `+supervisionColumn+` FROM task_supervision WHERE task_id = ANY($1) ORDER BY id`,
		ids, func(n *SupervisionNote) int64 { return n.TaskID })
}

// RatingsByResolution returns the rating summary of each resolution that has ratings.
func (s *Store) RatingsByResolution(ctx context.Context, ids []int64) (map[int64]*RatingSummary, error) {
	var rows []struct {
		ResolutionID int64 `db:"resolution_id"`
		Score        int   `db:"score"`
		N            int   `db:"n"`
	}
	if err := s.selectRows(ctx, &rows, `SELECT resolution_id, score, count(*) AS n FROM result_ratings
		WHERE resolution_id = ANY($1) GROUP BY resolution_id, score`, pq.Array(ids)); err != nil {
		return nil, err
	}
	m := make(map[int64]*RatingSummary)
	for _, r := range rows {
		sum := m[r.ResolutionID]
		if sum == nil {
			sum = &RatingSummary{ResolutionID: r.ResolutionID, Distribution: make([]int, 5)}
			m[r.ResolutionID] = sum
		}
		sum.Count += r.N
		sum.Sum += r.N * r.Score
		sum.Distribution[r.Score-1] = r.N
	}
	return m, nil
}

// MyRatings returns resident's score for each of the resolutions they rated.
func (s *Store) MyRatings(ctx context.Context, resident int64, ids []int64) (map[int64]int, error) {
	var rows []idCount
	if err := s.selectRows(ctx, &rows, `SELECT resolution_id AS id, score AS n FROM result_ratings
		WHERE resident_id = $1 AND resolution_id = ANY($2)`, resident, pq.Array(ids)); err != nil {
		return nil, err
	}
	return counts(rows), nil
}

// Resolutions lists the resolutions v may see, newest first: of topics concerning place (0:
// any) or a place under it, in one of states (none: any).
func (s *Store) Resolutions(ctx context.Context, v *Viewer, place int64, states []ResolutionState, p Page) (Paged[*Resolution], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Resolution]{}, nil, needSignIn
	}
	return communityList(ctx, s, v, resolutionColumns, "resolutions r JOIN topics rt ON rt.id = r.topic_id", "r", "rt.place_id", place,
		pq.Array(states), "resolution_state", p, func(r *Resolution) Key { return idKey(r.ID) })
}
