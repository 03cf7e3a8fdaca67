package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"slices"
	"time"

	"github.com/lib/pq"
)

// TopicState is where a topic is on the "four deliberations, two disclosures" (四议两公开)
// path: proposed → ready → accepted → under_discussion → voted → resolution_published →
// being_carried_out → result_published → rated, or declined, withdrawn.
type TopicState string

// TopicAction is a transition in a topic's timeline.
type TopicAction string

// TopicStance is where a comment stands on its topic.
type TopicStance string

// Topic states.
const (
	TopicProposed            TopicState = "proposed"
	TopicReady               TopicState = "ready"
	TopicAccepted            TopicState = "accepted"
	TopicUnderDiscussion     TopicState = "under_discussion"
	TopicVoted               TopicState = "voted"
	TopicResolutionPublished TopicState = "resolution_published"
	TopicBeingCarriedOut     TopicState = "being_carried_out"
	TopicResultPublished     TopicState = "result_published"
	TopicRated               TopicState = "rated"
	TopicDeclined            TopicState = "declined"
	TopicWithdrawn           TopicState = "withdrawn"
)

// Topic actions.
const (
	TopicRaise       TopicAction = "raise"
	TopicCosignReady TopicAction = "cosign_ready"
	TopicAccept      TopicAction = "accept"
	TopicDecline     TopicAction = "decline"
	TopicWithdraw    TopicAction = "withdraw"
	// The path after acceptance: on an agenda or put to a vote; voted; a passed motion's
	// resolution published; an upheld objection reopening it; carried out; result published;
	// rated by residents.
	TopicDiscuss           TopicAction = "discuss"
	TopicVote              TopicAction = "vote"
	TopicPublishResolution TopicAction = "publish_resolution"
	TopicReopen            TopicAction = "reopen"
	TopicCarryOut          TopicAction = "carry_out"
	TopicPublishResult     TopicAction = "publish_result"
	TopicRate              TopicAction = "rate"
)

// DefaultCosignThreshold is how many co-signers a topic needs in a community without settings.
const DefaultCosignThreshold = 5

var (
	topicStates = []TopicState{TopicProposed, TopicReady, TopicAccepted, TopicUnderDiscussion, TopicVoted,
		TopicResolutionPublished, TopicBeingCarriedOut, TopicResultPublished, TopicRated, TopicDeclined, TopicWithdrawn}
	topicActions = []TopicAction{TopicRaise, TopicCosignReady, TopicAccept, TopicDecline, TopicWithdraw, TopicDiscuss,
		TopicVote, TopicPublishResolution, TopicReopen, TopicCarryOut, TopicPublishResult, TopicRate}
	topicStances    = []TopicStance{"for", "against", "neutral"}
	topicStateNames = map[TopicState]string{
		TopicProposed: "征集附议", TopicReady: "附议已满", TopicAccepted: "已受理", TopicUnderDiscussion: "协商中",
		TopicVoted: "已表决", TopicResolutionPublished: "决议公示", TopicBeingCarriedOut: "实施中",
		TopicResultPublished: "结果公开", TopicRated: "已评议", TopicDeclined: "未受理", TopicWithdrawn: "已撤回",
	}
)

// Name is the state's Chinese name, for messages.
func (s TopicState) Name() string { return topicStateNames[s] }

func (s TopicState) MarshalGQL(w io.Writer)    { marshalEnum(w, s) }
func (s *TopicState) UnmarshalGQL(v any) error { return unmarshalEnum(s, v, topicStates, "TopicState") }
func (a TopicAction) MarshalGQL(w io.Writer)   { marshalEnum(w, a) }
func (a *TopicAction) UnmarshalGQL(v any) error {
	return unmarshalEnum(a, v, topicActions, "TopicAction")
}
func (s TopicStance) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *TopicStance) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, topicStances, "TopicStance")
}

// Topic is a matter of common concern raised for the residents to deliberate.
type Topic struct {
	ID            int64      `db:"id"`
	PlaceID       int64      `db:"place_id"`
	CommunityID   int64      `db:"community_id"`
	RaisedBy      int64      `db:"raised_by"`
	Title         string     `db:"title"`
	Description   string     `db:"description"`
	State         TopicState `db:"state"`
	ClosingReason *string    `db:"closing_reason"`
	CreatedAt     time.Time  `db:"created_at"`
	UpdatedAt     time.Time  `db:"updated_at"`
}

// TopicComment is a comment on a topic, or a reply to a top-level comment.
type TopicComment struct {
	ID        int64        `db:"id"`
	TopicID   int64        `db:"topic_id"`
	AuthorID  int64        `db:"author_id"`
	ReplyTo   *int64       `db:"reply_to"`
	Body      string       `db:"body"`
	Stance    *TopicStance `db:"stance"`
	CreatedAt time.Time    `db:"created_at"`
}

// TopicEvent is one transition of a topic.
type TopicEvent struct {
	ID        int64       `db:"id"`
	TopicID   int64       `db:"topic_id"`
	At        time.Time   `db:"at"`
	Action    TopicAction `db:"action"`
	ActorID   *int64      `db:"actor_id"`
	FromState *TopicState `db:"from_state"`
	ToState   TopicState  `db:"to_state"`
	Reason    *string     `db:"reason"`
}

// Who may do what with topics.
var (
	// rolesDeciding accept or decline topics, and raise them for the community.
	rolesDeciding = []Role{RoleStaff}
	// rolesCommenting comment on topics besides the residents of the place.
	rolesCommenting = []Role{RoleStaff, RoleCouncilMember}
)

const topicColumns = `t.id, t.place_id, t.community_id, t.raised_by, t.title, t.description, t.state,
	t.closing_reason, t.created_at, t.updated_at`

const topicCommentColumns = `c.id, c.topic_id, c.author_id, c.reply_to, c.body, c.stance, c.created_at`

// SeesTopics reports whether v may see the topics of community: verified residents living
// in it, and anyone holding a role in it, above it or below it.
func (v *Viewer) SeesTopics(community *Place) bool {
	return v != nil && (v.Serves(community, roles...) || v.livesIn(community))
}

// livesIn reports whether v is a verified resident of a household within p.
func (v *Viewer) livesIn(p *Place) bool {
	return v != nil && p != nil && v.Resident != nil && v.Resident.Verified && slices.Contains(v.Resident.HouseholdPath, p.ID)
}

// CanCosign reports whether v may co-sign t, which concerns place: a verified resident of
// the place other than the raiser, while it collects co-signers, if they have not already.
func (v *Viewer) CanCosign(t *Topic, place *Place, cosigned bool) bool {
	return (t.State == TopicProposed || t.State == TopicReady) && !cosigned && !v.Is(t.RaisedBy) && v.livesIn(place)
}

// TopicsByID returns the topics with the given ids (no visibility check: callers check).
func (s *Store) TopicsByID(ctx context.Context, ids []int64) (map[int64]*Topic, error) {
	return selectByKey(ctx, s, `SELECT `+topicColumns+` FROM topics t WHERE t.id = ANY($1)`, ids, func(t *Topic) int64 { return t.ID })
}

type idCount struct {
	ID    int64 `db:"id"`
	Count int   `db:"n"`
}

func counts(rows []idCount) map[int64]int {
	m := make(map[int64]int, len(rows))
	for _, r := range rows {
		m[r.ID] = r.Count
	}
	return m
}

// CosignCounts returns how many have co-signed each topic; topics without any are absent.
func (s *Store) CosignCounts(ctx context.Context, topicIDs []int64) (map[int64]int, error) {
	var rows []idCount
	err := s.selectRows(ctx, &rows, `SELECT topic_id AS id, count(*) AS n FROM topic_cosigners
		WHERE topic_id = ANY($1) GROUP BY topic_id`, pq.Array(topicIDs))
	return counts(rows), err
}

// CosignThresholds returns the co-signing thresholds of communities with settings; the others
// use DefaultCosignThreshold.
func (s *Store) CosignThresholds(ctx context.Context, communityIDs []int64) (map[int64]int, error) {
	var rows []idCount
	err := s.selectRows(ctx, &rows, `SELECT community_id AS id, cosign_threshold AS n FROM community_settings
		WHERE community_id = ANY($1)`, pq.Array(communityIDs))
	return counts(rows), err
}

// CosignedBy returns which of the topics account has co-signed.
func (s *Store) CosignedBy(ctx context.Context, account int64, topicIDs []int64) (map[int64]bool, error) {
	var ids []int64
	if err := s.selectRows(ctx, &ids, `SELECT topic_id FROM topic_cosigners WHERE account_id = $1 AND topic_id = ANY($2)`,
		account, pq.Array(topicIDs)); err != nil {
		return nil, err
	}
	m := make(map[int64]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m, nil
}

// TopicWishIDs returns the ids of the wishes each topic grew from.
func (s *Store) TopicWishIDs(ctx context.Context, topicIDs []int64) (map[int64][]int64, error) {
	return selectGroupedIDs(ctx, s, `SELECT topic_id AS key, wish_id AS id FROM topic_wishes WHERE topic_id = ANY($1) ORDER BY wish_id`, topicIDs)
}

// TopicEventsByTopic returns each topic's timeline, oldest first.
func (s *Store) TopicEventsByTopic(ctx context.Context, topicIDs []int64) (map[int64][]*TopicEvent, error) {
	return selectGrouped(ctx, s, `SELECT id, topic_id, at, action, actor_id, from_state, to_state, reason
		FROM topic_events WHERE topic_id = ANY($1) ORDER BY id`, topicIDs, func(e *TopicEvent) int64 { return e.TopicID })
}

// CommentCounts returns how many top-level comments each topic has; topics without any are
// absent.
func (s *Store) CommentCounts(ctx context.Context, topicIDs []int64) (map[int64]int, error) {
	var rows []idCount
	err := s.selectRows(ctx, &rows, `SELECT topic_id AS id, count(*) AS n FROM topic_comments
		WHERE topic_id = ANY($1) AND reply_to IS NULL GROUP BY topic_id`, pq.Array(topicIDs))
	return counts(rows), err
}

// RepliesByComment returns the replies to each top-level comment, oldest first.
func (s *Store) RepliesByComment(ctx context.Context, commentIDs []int64) (map[int64][]*TopicComment, error) {
	return selectGrouped(ctx, s, `SELECT `+topicCommentColumns+` FROM topic_comments c
		WHERE c.reply_to = ANY($1) ORDER BY c.id`, commentIDs, func(c *TopicComment) int64 { return *c.ReplyTo })
}

// TopicComments returns one page of each topic's top-level comments, oldest first, in one
// statement: the same page (first, after) for every topic.
func (s *Store) TopicComments(ctx context.Context, topicIDs []int64, p Page) (map[int64]Paged[*TopicComment], error) {
	after := int64(0)
	if p.After != nil {
		vals, err := byID.check(p.After, "after")
		if err != nil {
			return nil, err
		}
		after = vals[0].(int64)
	}
	var cs []*TopicComment
	if err := s.selectRows(ctx, &cs, `SELECT `+topicCommentColumns+` FROM unnest($1::bigint[]) AS k(id)
		CROSS JOIN LATERAL (SELECT * FROM topic_comments c WHERE c.topic_id = k.id AND c.reply_to IS NULL AND c.id > $2
			ORDER BY c.id LIMIT $3) c
		ORDER BY c.topic_id, c.id`, pq.Array(topicIDs), after, p.First+1); err != nil {
		return nil, err
	}
	m := make(map[int64]Paged[*TopicComment], len(topicIDs))
	for _, c := range cs {
		pg := m[c.TopicID]
		if len(pg.Items) == p.First {
			pg.HasNext = true
		} else {
			pg.Items = append(pg.Items, c)
			pg.Keys = append(pg.Keys, idKey(c.ID))
		}
		m[c.TopicID] = pg
	}
	for _, id := range topicIDs {
		pg := m[id]
		pg.HasPrevious = p.After != nil
		m[id] = pg
	}
	return m, nil
}

// RaiseTopic is what raiseTopic takes.
type RaiseTopic struct {
	PlaceID     int64
	Title       string
	Description string
	WishIDs     []int64
	// VisitID links the topic to the visit it came of (RaiseTopicFromVisit); 0: none.
	VisitID int64
}

// RaiseTopic records a topic about a community or compound, raised by a verified resident
// living there or by its staff, linked to the wishes it grew from. Errors: UNAUTHENTICATED,
// FORBIDDEN, NOT_FOUND (placeId), INVALID_INPUT.
func (s *Store) RaiseTopic(ctx context.Context, v *Viewer, in RaiseTopic) (*Topic, error) {
	if v == nil {
		return nil, needSignIn
	}
	title, err := text("title", "标题", in.Title, 1, 60)
	if err != nil {
		return nil, err
	}
	description, err := text("description", "说明", in.Description, 1, 5000)
	if err != nil {
		return nil, err
	}
	if len(in.WishIDs) > 10 {
		return nil, Invalid("wishIds", "最多关联 10 个心愿")
	}
	place, err := s.Place(ctx, in.PlaceID)
	if err != nil {
		return nil, withField(err, "placeId")
	}
	communityID := place.ID
	switch place.Level {
	case LevelCommunity:
	case LevelCompound:
		communityID = *place.ParentID
	default:
		return nil, Invalid("placeId", "议题只能针对社区或小区，%s「%s」不行", place.Level.Name(), place.Name)
	}
	if !v.Holds(place, rolesDeciding...) {
		switch {
		case v.Resident == nil || !slices.Contains(v.Resident.HouseholdPath, place.ID):
			return nil, forbidden("只有住在%s的居民或其社区工作者可以提出议题", place.Name)
		case !v.Resident.Verified:
			return nil, forbidden("社区核实你的居民身份后才能提出议题，请联系社区工作者或网格员")
		}
	}
	wishIDs := slices.Compact(slices.Sorted(slices.Values(in.WishIDs)))
	if err := s.checkTopicWishes(ctx, v, communityID, wishIDs); err != nil {
		return nil, err
	}

	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var t Topic
	if err := tx.get(&t, `INSERT INTO topics AS t (place_id, community_id, raised_by, title, description, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING `+topicColumns,
		place.ID, communityID, v.Account.ID, title, description, tx.now); err != nil {
		return nil, err
	}
	if len(wishIDs) > 0 {
		if _, err := tx.exec(`INSERT INTO topic_wishes (topic_id, wish_id) SELECT $1, unnest($2::bigint[])`, t.ID, pq.Array(wishIDs)); err != nil {
			return nil, err
		}
	}
	if err := tx.topicEvent(&t, TopicRaise, &v.Account.ID, nil, nil); err != nil {
		return nil, err
	}
	if err := tx.linkVisit(VisitOutcome{VisitID: in.VisitID, TopicID: &t.ID}); err != nil {
		return nil, err
	}
	return &t, tx.Commit()
}

// checkTopicWishes checks that v may see each wish and that it belongs to the community.
func (s *Store) checkTopicWishes(ctx context.Context, v *Viewer, communityID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	ws, err := s.WishesByID(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		w := ws[id]
		if w == nil || w.CommunityID != communityID {
			return Invalid("wishIds", "只能关联本社区中你能看到的心愿")
		}
		rs, err := s.ResidentsByID(ctx, []int64{w.BeneficiaryID})
		if err != nil {
			return err
		}
		ps, err := s.PlacesByID(ctx, []int64{w.PlaceID, rs[w.BeneficiaryID].HouseholdID})
		if err != nil {
			return err
		}
		var claim *Claim
		if w.ClaimID != nil {
			cs, err := s.ClaimsByID(ctx, []int64{*w.ClaimID})
			if err != nil {
				return err
			}
			claim = cs[*w.ClaimID]
		}
		if !v.Access(w, ps[w.PlaceID], ps[rs[w.BeneficiaryID].HouseholdID], claim).See {
			return Invalid("wishIds", "只能关联本社区中你能看到的心愿")
		}
	}
	return nil
}

// topicEvent records a transition of t to its (already updated) state.
func (tx *Tx) topicEvent(t *Topic, action TopicAction, actor *int64, from *TopicState, reason *string) error {
	return tx.record(topicTables, t.ID, action, actor, from, t.State, reason)
}

// lockedTopic is a topic locked for a change, with its place and community.
type lockedTopic struct {
	*Topic
	place, community *Place
}

// lockTopic locks topic id in tx. A topic v may not see is NOT_FOUND, so ids cannot be probed;
// a nil v is the system, moving a topic along after a vote or a resolution.
func (tx *Tx) lockTopic(v *Viewer, id int64) (*lockedTopic, error) {
	var t Topic
	if err := tx.get(&t, `SELECT `+topicColumns+` FROM topics t WHERE t.id = $1 FOR UPDATE`, id); err != nil {
		return nil, notFound(err, "找不到这个议题")
	}
	ps, err := tx.places(t.PlaceID, t.CommunityID)
	if err != nil {
		return nil, err
	}
	lt := &lockedTopic{Topic: &t, place: ps[t.PlaceID], community: ps[t.CommunityID]}
	if v != nil && !v.SeesTopics(lt.community) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这个议题"}
	}
	return lt, nil
}

// writeTopic runs one change of topic id in its own transaction, holding the topic's lock:
// changes of one topic run one at a time.
func (s *Store) writeTopic(ctx context.Context, v *Viewer, id int64, f func(*Tx, *lockedTopic) error) (*Topic, error) {
	if v == nil {
		return nil, needSignIn
	}
	lt, err := inLockedTx(ctx, s, func(tx *Tx) (*lockedTopic, error) { return tx.lockTopic(v, id) }, f)
	if err != nil {
		return nil, err
	}
	return lt.Topic, nil
}

// transition moves the locked topic to state and records it.
func (tx *Tx) transitionTopic(lt *lockedTopic, to TopicState, action TopicAction, actor *int64, reason *string, set string, args ...any) error {
	from := lt.State
	return tx.move(topicTables, lt.Topic, lt.ID, &from, to, action, actor, reason, set, args...)
}

func wrongTopicState(t *Topic, doing string) error {
	return Errorf(EINVALIDSTATE, "议题当前状态为「%s」，不能%s", t.State.Name(), doing)
}

// collecting reports whether the topic still collects co-signers and awaits a decision.
func (t *Topic) collecting() bool { return t.State == TopicProposed || t.State == TopicReady }

// CosignTopic adds the viewer's co-signature (附议). When co-signers reach the community's
// threshold the topic becomes ready, in the same transaction. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, CONFLICT (already co-signed), INVALID_STATE.
func (s *Store) CosignTopic(ctx context.Context, v *Viewer, id int64) (*Topic, error) {
	return s.writeTopic(ctx, v, id, func(tx *Tx, lt *lockedTopic) error {
		if v.Is(lt.RaisedBy) {
			return forbidden("提出人不能附议自己的议题")
		}
		if !v.livesIn(lt.place) {
			if v.Resident != nil && !v.Resident.Verified && slices.Contains(v.Resident.HouseholdPath, lt.place.ID) {
				return forbidden("社区核实你的居民身份后才能附议")
			}
			return forbidden("只有住在%s的已核实居民可以附议", lt.place.Name)
		}
		if !lt.collecting() {
			return wrongTopicState(lt.Topic, "附议")
		}
		res, err := tx.exec(`INSERT INTO topic_cosigners (topic_id, account_id, at) VALUES ($1, $2, $3)
			ON CONFLICT (topic_id, account_id) DO NOTHING`, lt.ID, v.Account.ID, tx.now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Errorf(ECONFLICT, "你已经附议过这个议题")
		}
		if lt.State != TopicProposed {
			return nil
		}
		settings, err := tx.settings(lt.CommunityID)
		if err != nil {
			return err
		}
		var n int
		if err := tx.get(&n, `SELECT count(*) FROM topic_cosigners WHERE topic_id = $1`, lt.ID); err != nil {
			return err
		}
		if n < settings.CosignThreshold {
			return nil
		}
		why := "附议人数达到 " + formatInt(settings.CosignThreshold) + " 人"
		return tx.transitionTopic(lt, TopicReady, TopicCosignReady, nil, &why, "")
	})
}

// AcceptTopic puts a topic on the agenda: community staff decide, with enough co-signers or
// without. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) AcceptTopic(ctx context.Context, v *Viewer, id int64, note *string) (*Topic, error) {
	note, err := optionalText("note", "说明", note, 500)
	if err != nil {
		return nil, err
	}
	return s.writeTopic(ctx, v, id, func(tx *Tx, lt *lockedTopic) error {
		if !v.Holds(lt.community, rolesDeciding...) {
			return forbidden("只有%s的社区工作者可以受理议题", lt.community.Name)
		}
		if !lt.collecting() {
			return wrongTopicState(lt.Topic, "受理")
		}
		return tx.transitionTopic(lt, TopicAccepted, TopicAccept, &v.Account.ID, note, "")
	})
}

// DeclineTopic declines a topic with a reason shown to everyone. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT (reason).
func (s *Store) DeclineTopic(ctx context.Context, v *Viewer, id int64, reason string) (*Topic, error) {
	why, err := text("reason", "不予受理的原因", reason, 1, 500)
	if err != nil {
		return nil, err
	}
	return s.writeTopic(ctx, v, id, func(tx *Tx, lt *lockedTopic) error {
		if !v.Holds(lt.community, rolesDeciding...) {
			return forbidden("只有%s的社区工作者可以不予受理议题", lt.community.Name)
		}
		if !lt.collecting() {
			return wrongTopicState(lt.Topic, "不予受理")
		}
		return tx.transitionTopic(lt, TopicDeclined, TopicDecline, &v.Account.ID, &why, `, closing_reason = $4`, why)
	})
}

// WithdrawTopic is the raiser taking the topic back before it is accepted. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) WithdrawTopic(ctx context.Context, v *Viewer, id int64, reason *string) (*Topic, error) {
	reason, err := optionalText("reason", "原因", reason, 500)
	if err != nil {
		return nil, err
	}
	return s.writeTopic(ctx, v, id, func(tx *Tx, lt *lockedTopic) error {
		if !v.Is(lt.RaisedBy) {
			return forbidden("只有提出人可以撤回议题")
		}
		if !lt.collecting() {
			return wrongTopicState(lt.Topic, "撤回")
		}
		return tx.transitionTopic(lt, TopicWithdrawn, TopicWithdraw, &v.Account.ID, reason, `, closing_reason = $4`, reason)
	})
}

// CommentOnTopic is what commentOnTopic takes.
type CommentOnTopic struct {
	TopicID int64
	Body    string
	Stance  *TopicStance
	ReplyTo int64 // 0: a top-level comment
}

// CommentOnTopic adds a comment, or a reply to a top-level comment, by a verified resident of
// the topic's place, staff or a council member of its community. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT (body, stance, replyTo).
func (s *Store) CommentOnTopic(ctx context.Context, v *Viewer, in CommentOnTopic) (*TopicComment, error) {
	body, err := text("body", "评论", in.Body, 1, 2000)
	if err != nil {
		return nil, err
	}
	if in.Stance != nil && !slices.Contains(topicStances, *in.Stance) {
		return nil, Invalid("stance", "立场无效")
	}
	var c TopicComment
	_, err = s.writeTopic(ctx, v, in.TopicID, func(tx *Tx, lt *lockedTopic) error {
		if !v.livesIn(lt.place) && !v.Holds(lt.community, rolesCommenting...) {
			return forbidden("只有住在%s的已核实居民、社区工作者和议事会成员可以发表评论", lt.place.Name)
		}
		if lt.State == TopicDeclined || lt.State == TopicWithdrawn {
			return wrongTopicState(lt.Topic, "评论")
		}
		var replyTo *int64
		if in.ReplyTo != 0 {
			var parent TopicComment
			err := tx.get(&parent, `SELECT `+topicCommentColumns+` FROM topic_comments c WHERE c.id = $1`, in.ReplyTo)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return Invalid("replyTo", "找不到要回复的评论")
			case err != nil:
				return err
			case parent.TopicID != lt.ID || parent.ReplyTo != nil:
				return Invalid("replyTo", "只能回复这个议题下的评论，不能回复回复")
			}
			replyTo = &parent.ID
		}
		return tx.get(&c, `INSERT INTO topic_comments AS c (topic_id, author_id, reply_to, body, stance, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+topicCommentColumns, lt.ID, v.Account.ID, replyTo, body, in.Stance, tx.now)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Topics lists the topics v may see, newest first: those concerning place (0: any) or a
// place under it, in one of states (none: any).
func (s *Store) Topics(ctx context.Context, v *Viewer, place int64, states []TopicState, p Page) (Paged[*Topic], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Topic]{}, nil, needSignIn
	}
	return communityList(ctx, s, v, topicColumns, "topics t", "t", "t.place_id", place, pq.Array(states), "topic_state", p,
		func(t *Topic) Key { return idKey(t.ID) })
}

// communityList lists rows that belong to a community (topics, meetings), newest first, as
// far as v may see them: people holding a role in, above or below the community, and its
// verified residents. place (0: any) narrows to a place and what lies under it (placeColumn
// names the row's place); states (an empty array: any) to some states. table is "name alias"
// (or a join); columns use the alias.
func communityList[T any](ctx context.Context, s *Store, v *Viewer, columns, table, alias, placeColumn string, place int64, states driver.Valuer, stateType string, p Page, key func(T) Key) (Paged[T], func(context.Context) (int, error), error) {
	places, ancestors := v.placesHolding(roles...)
	if v.Resident != nil && v.Resident.Verified {
		ancestors = append(ancestors, v.Resident.HouseholdPath...)
	}
	from := ` FROM ` + table + ` JOIN places c ON c.id = ` + alias + `.community_id JOIN places xp ON xp.id = ` + placeColumn + `
		WHERE (c.path && $1 OR ` + alias + `.community_id = ANY($2))
		AND ($3::bigint = 0 OR xp.path @> ARRAY[$3::bigint])
		AND (coalesce(cardinality($4::` + stateType + `[]), 0) = 0 OR ` + alias + `.state = ANY($4::` + stateType + `[]))`
	args := []any{pq.Array(places), pq.Array(ancestors), place, states}
	res, err := listQuery(ctx, s, `SELECT `+columns+from, args, byIDDesc.qualified(alias), key, p)
	return res, s.counter(ctx, p, from, args), err
}
