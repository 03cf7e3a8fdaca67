package db

import (
	"context"
	"io"
	"time"

	"github.com/lib/pq"
)

// NeedSource is where a need (需求) came from: a wish too large for one volunteer, a topic,
// or a household visit.
type NeedSource string

// NeedState is where a need is: open → matching (proposed to an organisation) → project (an
// organisation took it on), or closed with a reason.
type NeedState string

// NeedUrgency is how soon a need should be met.
type NeedUrgency string

// NeedAction is a step in a need's timeline.
type NeedAction string

// Need sources, states, urgencies and actions.
const (
	NeedFromWish  NeedSource = "wish"
	NeedFromTopic NeedSource = "topic"
	NeedFromVisit NeedSource = "visit"

	NeedOpen     NeedState = "open"
	NeedMatching NeedState = "matching"
	NeedProject  NeedState = "project"
	NeedClosed   NeedState = "closed"

	NeedCreate  NeedAction = "create"
	NeedPropose NeedAction = "propose"
	NeedDecline NeedAction = "decline"
	NeedAccept  NeedAction = "accept"
	NeedClose   NeedAction = "close"
)

var (
	needSources    = []NeedSource{NeedFromWish, NeedFromTopic, NeedFromVisit}
	needStates     = []NeedState{NeedOpen, NeedMatching, NeedProject, NeedClosed}
	needUrgencies  = []NeedUrgency{"low", "normal", "high", "urgent"}
	needActions    = []NeedAction{NeedCreate, NeedPropose, NeedDecline, NeedAccept, NeedClose}
	needStateNames = map[NeedState]string{NeedOpen: "待对接", NeedMatching: "对接中", NeedProject: "已立项", NeedClosed: "已关闭"}
	// rolesKeepingNeeds review candidates into needs, propose them and close them.
	rolesKeepingNeeds = []Role{RoleStaff}
	// rolesSeeingNeeds see a community's needs list.
	rolesSeeingNeeds = []Role{RoleStaff, RoleGridWorker, RoleCouncilMember, RoleSupervisor}
	needTables       = stateTables{"needs", "n", needColumns, "need_events", "need_id"}
)

// Name is the state's Chinese name, for messages.
func (s NeedState) Name() string { return needStateNames[s] }

func (s NeedSource) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *NeedSource) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, needSources, "NeedSource")
}
func (s NeedState) MarshalGQL(w io.Writer)    { marshalEnum(w, s) }
func (s *NeedState) UnmarshalGQL(v any) error { return unmarshalEnum(s, v, needStates, "NeedState") }
func (u NeedUrgency) MarshalGQL(w io.Writer)  { marshalEnum(w, u) }
func (u *NeedUrgency) UnmarshalGQL(v any) error {
	return unmarshalEnum(u, v, needUrgencies, "NeedUrgency")
}
func (a NeedAction) MarshalGQL(w io.Writer)    { marshalEnum(w, a) }
func (a *NeedAction) UnmarshalGQL(v any) error { return unmarshalEnum(a, v, needActions, "NeedAction") }

// Need is an entry of the needs list (需求清单): what residents of a place need that one
// volunteer cannot do.
type Need struct {
	ID             int64           `db:"id"`
	Source         NeedSource      `db:"source"`
	WishID         *int64          `db:"wish_id"`
	TopicID        *int64          `db:"topic_id"`
	VisitID        *int64          `db:"visit_id"`
	PlaceID        int64           `db:"place_id"`
	CommunityID    int64           `db:"community_id"`
	Category       ServiceCategory `db:"category"`
	Title          string          `db:"title"`
	Description    string          `db:"description"`
	PeopleAffected int             `db:"people_affected"`
	BudgetFen      *int64          `db:"budget_fen"`
	Urgency        NeedUrgency     `db:"urgency"`
	State          NeedState       `db:"state"`
	ClosingReason  *string         `db:"closing_reason"`
	MatchedAt      *time.Time      `db:"matched_at"`
	CreatedBy      int64           `db:"created_by"`
	CreatedAt      time.Time       `db:"created_at"`
	UpdatedAt      time.Time       `db:"updated_at"`
}

// NeedEvent is a step in a need's timeline.
type NeedEvent struct {
	ID        int64      `db:"id"`
	NeedID    int64      `db:"need_id"`
	At        time.Time  `db:"at"`
	Action    NeedAction `db:"action"`
	ActorID   *int64     `db:"actor_id"`
	FromState *NeedState `db:"from_state"`
	ToState   NeedState  `db:"to_state"`
	Reason    *string    `db:"reason"`
}

const needColumns = `n.id, n.source, n.wish_id, n.topic_id, n.visit_id, n.place_id, n.community_id, n.category, n.title,
	n.description, n.people_affected, n.budget_fen, n.urgency, n.state, n.closing_reason, n.matched_at, n.created_by,
	n.created_at, n.updated_at`

// SeesNeeds reports whether v sees the needs list of community.
func (v *Viewer) SeesNeeds(community *Place) bool {
	return v.Serves(community, rolesSeeingNeeds...)
}

// NewNeed is what staff fill in when they review a candidate into a need. Exactly the link
// of its source is set: WishID for a wish, TopicID for a topic; a need found on a visit
// names its place (VisitID links the visit record where there is one).
type NewNeed struct {
	Source         NeedSource
	WishID         *int64
	TopicID        *int64
	VisitID        *int64
	PlaceID        *int64
	Category       ServiceCategory
	Title          string
	Description    string
	PeopleAffected int
	BudgetFen      *int64
	Urgency        NeedUrgency
}

// maxBudgetFen is the largest estimated budget a need may carry (20 million yuan, what a GraphQL Int holds in fen), far past
// anything a community takes on, so only a slip of the keyboard meets it.
const maxBudgetFen = 2_000_000_000

// CreateNeed reviews a candidate into the needs list, by staff of its community. From a
// wish (submitted or published, not yet claimed) the wish ends closed, turned into this need
// (转为需求), with the reason on its timeline; from a topic (accepted or under discussion)
// the topic stays where it is, linked to the need. Errors: UNAUTHENTICATED, NOT_FOUND
// (wishId, topicId, placeId), FORBIDDEN, INVALID_STATE, INVALID_INPUT, CONFLICT (the wish
// or topic is a need already).
func (s *Store) CreateNeed(ctx context.Context, v *Viewer, in NewNeed) (*Need, error) {
	if v == nil {
		return nil, needSignIn
	}
	title, err := text("title", "需求标题", in.Title, 1, 100)
	if err != nil {
		return nil, err
	}
	desc, err := text("description", "需求说明", in.Description, 1, 2000)
	if err != nil {
		return nil, err
	}
	in.Title, in.Description = title, desc
	switch {
	case in.PeopleAffected < 1 || in.PeopleAffected > 100000:
		return nil, Invalid("peopleAffected", "受益人数为 1 到 100000 人")
	case in.BudgetFen != nil && (*in.BudgetFen < 0 || *in.BudgetFen > maxBudgetFen):
		return nil, Invalid("budgetFen", "预算须在 0 到 2000 万元之间（单位：分）")
	case (in.Source == NeedFromWish) != (in.WishID != nil):
		return nil, Invalid("wishId", "来源为心愿时须且只须填写心愿 ID")
	case (in.Source == NeedFromTopic) != (in.TopicID != nil):
		return nil, Invalid("topicId", "来源为议题时须且只须填写议题 ID")
	case in.Source != NeedFromVisit && in.VisitID != nil:
		return nil, Invalid("visitId", "只有来源为走访的需求可以关联走访记录")
	case in.Source == NeedFromVisit && in.PlaceID == nil:
		return nil, Invalid("placeId", "走访发现的需求须填写所在地点")
	}
	var n Need
	switch in.Source {
	case NeedFromWish:
		_, err = s.writeWish(ctx, v, *in.WishID, func(tx *Tx, lw *lockedWish) error {
			if !v.Holds(lw.community, rolesKeepingNeeds...) {
				return forbidden("只有%s的社区工作者可以把心愿转为需求", lw.community.Name)
			}
			if lw.State != WishSubmitted && lw.State != WishPublished {
				return wrongState(lw.Wish, "转为需求（只有待审核或已发布、尚未认领的心愿可以转为需求）")
			}
			if err := tx.insertNeed(v, in, lw.place, lw.community, &n); err != nil {
				return err
			}
			why := "心愿超出一名志愿者的能力，已转为社区需求清单：" + n.Title
			return tx.transition(lw, WishClosed, "to_need", &v.Account.ID, &why, `, closing_reason = $4`, why)
		})
	case NeedFromTopic:
		_, err = s.writeTopic(ctx, v, *in.TopicID, func(tx *Tx, lt *lockedTopic) error {
			if !v.Holds(lt.community, rolesKeepingNeeds...) {
				return forbidden("只有%s的社区工作者可以把议题转为需求", lt.community.Name)
			}
			if lt.State != TopicAccepted && lt.State != TopicUnderDiscussion {
				return wrongTopicState(lt.Topic, "转为需求（只有已受理或讨论中的议题可以转为需求）")
			}
			return tx.insertNeed(v, in, lt.place, lt.community, &n)
		})
	case NeedFromVisit:
		err = inTx(ctx, s, func(tx *Tx) error {
			p, err := tx.place(*in.PlaceID)
			if err != nil {
				return &Error{Code: ENOTFOUND, Field: "placeId", Message: "找不到这个地点"}
			}
			c, err := tx.needCommunity(p)
			if err != nil {
				return err
			}
			if !v.Holds(c, rolesKeepingNeeds...) {
				return forbidden("只有%s的社区工作者可以登记需求", c.Name)
			}
			return tx.insertNeed(v, in, p, c, &n)
		})
	default:
		return nil, Invalid("source", "需求来源无效")
	}
	if err != nil {
		return nil, withField(err, sourceField(in.Source))
	}
	return &n, nil
}

func sourceField(s NeedSource) string {
	switch s {
	case NeedFromWish:
		return "wishId"
	case NeedFromTopic:
		return "topicId"
	}
	return "placeId"
}

// inTx runs f in a transaction of its own that commits when f succeeds.
func inTx(ctx context.Context, s *Store, f func(*Tx) error) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// needCommunity returns the community p is in (p itself for a community); INVALID_INPUT
// for a subdistrict, which is above every community.
func (tx *Tx) needCommunity(p *Place) (*Place, error) {
	if p.Level == LevelSubdistrict || len(p.Path) < 2 {
		return nil, Invalid("placeId", "需求须落在一个社区或社区以下的地点，不能是整个街道")
	}
	return tx.place(p.Path[1])
}

// insertNeed adds the need in (its place defaulting to where its source is: place, in
// community) and its first timeline step into n.
func (tx *Tx) insertNeed(v *Viewer, in NewNeed, place, community *Place, n *Need) error {
	if in.PlaceID != nil && *in.PlaceID != place.ID {
		p, err := tx.place(*in.PlaceID)
		if err != nil {
			return &Error{Code: ENOTFOUND, Field: "placeId", Message: "找不到这个地点"}
		}
		if !p.Within(community.ID) {
			return Invalid("placeId", "需求的地点须在%s以内", community.Name)
		}
		place = p
	}
	if place.Level == LevelHousehold {
		// A need concerns a place, never one household: that would publish where someone lives.
		b, err := tx.place(*place.ParentID)
		if err != nil {
			return err
		}
		place = b
	}
	err := tx.get(n, `INSERT INTO needs AS n (source, wish_id, topic_id, visit_id, place_id, community_id, category, title,
			description, people_affected, budget_fen, urgency, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING `+needColumns,
		in.Source, in.WishID, in.TopicID, in.VisitID, place.ID, community.ID, in.Category, in.Title, in.Description,
		in.PeopleAffected, in.BudgetFen, in.Urgency, v.Account.ID, tx.now)
	if sqlState(err) == uniqueViolation {
		return Errorf(ECONFLICT, "这个%s已经转为需求了", map[NeedSource]string{NeedFromWish: "心愿", NeedFromTopic: "议题"}[in.Source])
	} else if err != nil {
		return err
	}
	return tx.record(needTables, n.ID, NeedCreate, &v.Account.ID, nil, n.State, nil)
}

// lockedNeed is a need locked for a change, with its place and community.
type lockedNeed struct {
	*Need
	place, community *Place
}

// lockNeed locks need id; one v may not see is NOT_FOUND (nil v: whoever asks has been
// checked otherwise).
func (tx *Tx) lockNeed(v *Viewer, id int64) (*lockedNeed, error) {
	var n Need
	if err := tx.get(&n, `SELECT `+needColumns+` FROM needs n WHERE n.id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFound(err, "找不到这条需求")
	}
	ps, err := tx.places(n.PlaceID, n.CommunityID)
	if err != nil {
		return nil, err
	}
	ln := &lockedNeed{Need: &n, place: ps[n.PlaceID], community: ps[n.CommunityID]}
	if v != nil && !v.SeesNeeds(ln.community) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这条需求"}
	}
	return ln, nil
}

// writeNeed runs one change of need id in its own transaction, holding the need's lock:
// changes of one need run one at a time.
func (s *Store) writeNeed(ctx context.Context, v *Viewer, id int64, f func(*Tx, *lockedNeed) error) (*Need, error) {
	if v == nil {
		return nil, needSignIn
	}
	ln, err := inLockedTx(ctx, s, func(tx *Tx) (*lockedNeed, error) { return tx.lockNeed(v, id) }, f)
	if err != nil {
		return nil, err
	}
	return ln.Need, nil
}

// moveNeed sets the locked need's state and records the step.
func (tx *Tx) moveNeed(ln *lockedNeed, to NeedState, action NeedAction, actor *int64, why *string, set string, args ...any) error {
	from := ln.State
	return tx.move(needTables, ln.Need, ln.ID, &from, to, action, actor, why, set, args...)
}

func wrongNeedState(n *Need, doing string) error {
	return Errorf(EINVALIDSTATE, "需求当前状态为「%s」，不能%s", n.State.Name(), doing)
}

// CloseNeed closes a need that no organisation has taken on, with a reason, by staff of its
// community. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) CloseNeed(ctx context.Context, v *Viewer, id int64, reason string) (*Need, error) {
	why, err := text("reason", "关闭原因", reason, 1, 500)
	if err != nil {
		return nil, err
	}
	return s.writeNeed(ctx, v, id, func(tx *Tx, ln *lockedNeed) error {
		if !v.Holds(ln.community, rolesKeepingNeeds...) {
			return forbidden("只有%s的社区工作者可以关闭需求", ln.community.Name)
		}
		if ln.State != NeedOpen && ln.State != NeedMatching {
			return wrongNeedState(ln.Need, "关闭")
		}
		return tx.moveNeed(ln, NeedClosed, NeedClose, &v.Account.ID, &why, `, closing_reason = $4`, why)
	})
}

// NeedsByID returns the needs with the given ids (no visibility check: callers check).
func (s *Store) NeedsByID(ctx context.Context, ids []int64) (map[int64]*Need, error) {
	return selectByKey(ctx, s, `SELECT `+needColumns+` FROM needs n WHERE n.id = ANY($1)`, ids, func(n *Need) int64 { return n.ID })
}

// NeedsByWish returns the need each wish was turned into.
func (s *Store) NeedsByWish(ctx context.Context, wishIDs []int64) (map[int64]*Need, error) {
	return selectByKey(ctx, s, `SELECT `+needColumns+` FROM needs n WHERE n.wish_id = ANY($1)`, wishIDs,
		func(n *Need) int64 { return *n.WishID })
}

// NeedsByTopic returns the need each topic was turned into.
func (s *Store) NeedsByTopic(ctx context.Context, topicIDs []int64) (map[int64]*Need, error) {
	return selectByKey(ctx, s, `SELECT `+needColumns+` FROM needs n WHERE n.topic_id = ANY($1)`, topicIDs,
		func(n *Need) int64 { return *n.TopicID })
}

// NeedEventsByNeed returns each need's timeline, oldest first.
func (s *Store) NeedEventsByNeed(ctx context.Context, ids []int64) (map[int64][]*NeedEvent, error) {
	return selectGrouped(ctx, s, `SELECT id, need_id, at, action, actor_id, from_state, to_state, reason FROM need_events
		WHERE need_id = ANY($1) ORDER BY id`, ids, func(e *NeedEvent) int64 { return e.NeedID })
}

// NeedFilter narrows the needs list.
type NeedFilter struct {
	// Place: needs at this place or below it (0: anywhere v sees).
	Place    int64
	States   []NeedState
	Category *ServiceCategory
}

// Needs lists the needs v sees (as staff, grid worker, council member or supervisor of
// their community), newest first. Errors: UNAUTHENTICATED.
func (s *Store) Needs(ctx context.Context, v *Viewer, f NeedFilter, p Page) (Paged[*Need], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Need]{}, nil, needSignIn
	}
	places, ancestors := v.placesHolding(rolesSeeingNeeds...)
	from := ` FROM needs n JOIN places c ON c.id = n.community_id JOIN places xp ON xp.id = n.place_id
		WHERE (c.path && $1 OR n.community_id = ANY($2))
		AND ($3::bigint = 0 OR xp.path @> ARRAY[$3::bigint])
		AND (coalesce(cardinality($4::need_state[]), 0) = 0 OR n.state = ANY($4::need_state[]))
		AND ($5::service_category IS NULL OR n.category = $5)`
	args := []any{pq.Array(places), pq.Array(ancestors), f.Place, pq.Array(f.States), f.Category}
	res, err := listQuery(ctx, s, `SELECT `+needColumns+from, args, byIDDesc.qualified("n"), func(n *Need) Key { return idKey(n.ID) }, p)
	return res, s.counter(ctx, p, from, args), err
}
