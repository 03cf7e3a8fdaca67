package db

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// MeetingKind is what sort of meeting it is.
type MeetingKind string

// MeetingState is where a meeting is: scheduled → running → closed, or cancelled.
type MeetingState string

// EntitlementBasis says who is entitled to attend a meeting.
type EntitlementBasis string

// MeetingAction is a transition in a meeting's timeline.
type MeetingAction string

// Meeting kinds.
const (
	MeetingResidentsAssembly      MeetingKind = "residents_assembly"
	MeetingRepresentativesMeeting MeetingKind = "representatives_meeting"
	MeetingCouncilMeeting         MeetingKind = "council_meeting"
	MeetingOwnersAssembly         MeetingKind = "owners_assembly"
	MeetingOpenForum              MeetingKind = "open_forum"
	MeetingOnline                 MeetingKind = "online"
)

// Meeting states.
const (
	MeetingScheduled MeetingState = "scheduled"
	MeetingRunning   MeetingState = "running"
	MeetingClosed    MeetingState = "closed"
	MeetingCancelled MeetingState = "cancelled"
)

// Entitlement bases.
const (
	// BasisAdultResidents: every verified resident of the place aged 18 or more on the day
	// the meeting starts (China time).
	BasisAdultResidents EntitlementBasis = "adult_residents"
	// BasisHouseholdRepresentatives: one verified adult per household: the adult owner with
	// the lowest resident id, or if the household has no adult owner, the oldest adult
	// (lowest resident id among those born the same day).
	BasisHouseholdRepresentatives EntitlementBasis = "household_representatives"
	// BasisCouncilMembers: holders of an active council member grant in the community who
	// have a verified resident record (attendance is kept per resident).
	BasisCouncilMembers EntitlementBasis = "council_members"
	// BasisOwners: the owners of the compound's exclusive parts, counted as the law counts
	// them (ownersCount): one head per part, a buyer of several parts one head, the
	// developer's parts one head; each head's area its parts' floor area. Any of a head's
	// verified owners may cast its one ballot (only the named voter, if named).
	BasisOwners EntitlementBasis = "owners"
)

// Meeting actions.
const (
	MeetingSchedule      MeetingAction = "schedule"
	MeetingStart         MeetingAction = "start"
	MeetingClose         MeetingAction = "close"
	MeetingCancel        MeetingAction = "cancel"
	MeetingRecordMinutes MeetingAction = "record_minutes"
)

var (
	meetingKinds   = []MeetingKind{MeetingResidentsAssembly, MeetingRepresentativesMeeting, MeetingCouncilMeeting, MeetingOwnersAssembly, MeetingOpenForum, MeetingOnline}
	meetingStates  = []MeetingState{MeetingScheduled, MeetingRunning, MeetingClosed, MeetingCancelled}
	bases          = []EntitlementBasis{BasisAdultResidents, BasisHouseholdRepresentatives, BasisCouncilMembers, BasisOwners}
	meetingActions = []MeetingAction{MeetingSchedule, MeetingStart, MeetingClose, MeetingCancel, MeetingRecordMinutes}

	meetingKindNames = map[MeetingKind]string{
		MeetingResidentsAssembly: "居民会议", MeetingRepresentativesMeeting: "居民代表会议", MeetingCouncilMeeting: "议事会",
		MeetingOwnersAssembly: "业主大会", MeetingOpenForum: "广场夜谈", MeetingOnline: "网上议事厅",
	}
	meetingStateNames = map[MeetingState]string{
		MeetingScheduled: "未开始", MeetingRunning: "进行中", MeetingClosed: "已结束", MeetingCancelled: "已取消",
	}
	basisNames = map[EntitlementBasis]string{
		BasisAdultResidents: "年满 18 周岁的居民", BasisHouseholdRepresentatives: "每户一名代表",
		BasisCouncilMembers: "议事会成员", BasisOwners: "业主",
	}
	// meetingBases are the bases each kind allows, the default first. A representatives'
	// meeting really gathers elected representatives; until elections are recorded it
	// uses one representative per household.
	meetingBases = map[MeetingKind][]EntitlementBasis{
		MeetingResidentsAssembly:      {BasisAdultResidents, BasisHouseholdRepresentatives},
		MeetingRepresentativesMeeting: {BasisHouseholdRepresentatives},
		MeetingCouncilMeeting:         {BasisCouncilMembers},
		MeetingOwnersAssembly:         {BasisOwners},
		MeetingOpenForum:              {BasisAdultResidents},
		MeetingOnline:                 {BasisAdultResidents},
	}
)

// Name is the kind's Chinese name.
func (k MeetingKind) Name() string { return meetingKindNames[k] }

// Name is the state's Chinese name.
func (s MeetingState) Name() string { return meetingStateNames[s] }

// Name is the basis's Chinese name.
func (b EntitlementBasis) Name() string { return basisNames[b] }

func (k MeetingKind) MarshalGQL(w io.Writer) { marshalEnum(w, k) }
func (k *MeetingKind) UnmarshalGQL(v any) error {
	return unmarshalEnum(k, v, meetingKinds, "MeetingKind")
}
func (s MeetingState) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *MeetingState) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, meetingStates, "MeetingState")
}
func (b EntitlementBasis) MarshalGQL(w io.Writer) { marshalEnum(w, b) }
func (b *EntitlementBasis) UnmarshalGQL(v any) error {
	return unmarshalEnum(b, v, bases, "EntitlementBasis")
}
func (a MeetingAction) MarshalGQL(w io.Writer) { marshalEnum(w, a) }
func (a *MeetingAction) UnmarshalGQL(v any) error {
	return unmarshalEnum(a, v, meetingActions, "MeetingAction")
}

// Meeting is a meeting (会议) of residents, owners or the council.
type Meeting struct {
	ID           int64            `db:"id"`
	Kind         MeetingKind      `db:"kind"`
	PlaceID      int64            `db:"place_id"`
	CommunityID  int64            `db:"community_id"`
	Title        string           `db:"title"`
	StartsAt     time.Time        `db:"starts_at"`
	EndsAt       time.Time        `db:"ends_at"`
	Location     *string          `db:"location"`
	OrganiserID  int64            `db:"organiser_id"`
	Basis        EntitlementBasis `db:"basis"`
	State        MeetingState     `db:"state"`
	CheckinCode  *string          `db:"checkin_code"`
	CancelReason *string          `db:"cancel_reason"`
	Minutes      *string          `db:"minutes"`
	CreatedAt    time.Time        `db:"created_at"`
	UpdatedAt    time.Time        `db:"updated_at"`
}

// MeetingEvent is one transition of a meeting.
type MeetingEvent struct {
	ID        int64         `db:"id"`
	MeetingID int64         `db:"meeting_id"`
	At        time.Time     `db:"at"`
	Action    MeetingAction `db:"action"`
	ActorID   *int64        `db:"actor_id"`
	FromState *MeetingState `db:"from_state"`
	ToState   MeetingState  `db:"to_state"`
	Reason    *string       `db:"reason"`
}

// Attendance is one person's check-in (签到) at a meeting.
type Attendance struct {
	MeetingID   int64     `db:"meeting_id"`
	ResidentID  int64     `db:"resident_id"`
	CheckedInAt time.Time `db:"checked_in_at"`
	CheckedInBy int64     `db:"checked_in_by"`
}

// MeetingCounts are a meeting's live attendance figures, by heads and by floor area
// (0.01 m²). Before the meeting starts nobody is entitled yet: the list is fixed at start.
type MeetingCounts struct {
	MeetingID       int64 `db:"meeting_id"`
	EntitledHeads   int   `db:"entitled_heads"`
	PresentHeads    int   `db:"present_heads"`
	EntitledAreaDm2 int64 `db:"entitled_area"`
	PresentAreaDm2  int64 `db:"present_area"`
	// Kind is the meeting's kind, for the quorum hint.
	Kind MeetingKind `db:"-"`
}

const meetingColumns = `m.id, m.kind, m.place_id, m.community_id, m.title, m.starts_at, m.ends_at, m.location,
	m.organiser_id, m.basis, m.state, m.checkin_code, m.cancel_reason, m.minutes, m.created_at, m.updated_at`

// Who may do what with meetings.
var (
	// rolesScheduling schedule meetings in their community and see check-in codes.
	rolesScheduling = []Role{RoleStaff, RoleCouncilMember}
)

// SeesMeetings reports whether v may see the meetings of community: the same people who see
// its topics.
func (v *Viewer) SeesMeetings(community *Place) bool { return v.SeesTopics(community) }

// SeesCheckinCode reports whether v may see m's check-in code: staff and council members of
// its community, and its organiser.
func (v *Viewer) SeesCheckinCode(m *Meeting, community *Place) bool {
	return v.Is(m.OrganiserID) || v.Holds(community, rolesScheduling...)
}

// managesMeeting reports whether v may start, close, cancel a meeting, check people in and
// record its minutes: its organiser, or staff of its community.
func (v *Viewer) managesMeeting(m *Meeting, community *Place) bool {
	return v.Is(m.OrganiserID) || v.Holds(community, RoleStaff)
}

// MeetingsByID returns the meetings with the given ids (no visibility check: callers check).
func (s *Store) MeetingsByID(ctx context.Context, ids []int64) (map[int64]*Meeting, error) {
	return selectByKey(ctx, s, `SELECT `+meetingColumns+` FROM meetings m WHERE m.id = ANY($1)`, ids, func(m *Meeting) int64 { return m.ID })
}

// MeetingEventsByMeeting returns each meeting's timeline, oldest first.
func (s *Store) MeetingEventsByMeeting(ctx context.Context, ids []int64) (map[int64][]*MeetingEvent, error) {
	return selectGrouped(ctx, s, `SELECT id, meeting_id, at, action, actor_id, from_state, to_state, reason
		FROM meeting_events WHERE meeting_id = ANY($1) ORDER BY id`, ids, func(e *MeetingEvent) int64 { return e.MeetingID })
}

// MeetingTopicIDs returns each meeting's agenda, in order.
func (s *Store) MeetingTopicIDs(ctx context.Context, ids []int64) (map[int64][]int64, error) {
	return selectGroupedIDs(ctx, s, `SELECT meeting_id AS key, topic_id AS id FROM meeting_topics WHERE meeting_id = ANY($1)
		ORDER BY meeting_id, position`, ids)
}

// presentHeads are the heads of meetings $1 with anyone checked in: co-owners who both come
// are one head present.
const presentHeads = `SELECT DISTINCT me.meeting_id, me.head FROM meeting_attendance ma
	JOIN meeting_entitled me ON me.meeting_id = ma.meeting_id AND me.resident_id = ma.resident_id WHERE ma.meeting_id = ANY($1)`

// MeetingCountsByMeeting returns the live attendance figures of each meeting that has an
// entitled list; the others are absent (all zero).
func (s *Store) MeetingCountsByMeeting(ctx context.Context, ids []int64) (map[int64]*MeetingCounts, error) {
	return selectByKey(ctx, s, `SELECT e.meeting_id, count(DISTINCT e.head) AS entitled_heads,
			count(DISTINCT e.head) FILTER (WHERE a.head IS NOT NULL) AS present_heads,
			coalesce(sum(e.area_dm2), 0) AS entitled_area,
			coalesce(sum(e.area_dm2) FILTER (WHERE a.head IS NOT NULL), 0) AS present_area
		FROM meeting_entitled e LEFT JOIN (`+presentHeads+`) a ON a.meeting_id = e.meeting_id AND a.head = e.head
		WHERE e.meeting_id = ANY($1) GROUP BY e.meeting_id`, ids, func(c *MeetingCounts) int64 { return c.MeetingID })
}

// MeetingPresence is whether one resident is entitled to and present at a meeting.
type MeetingPresence struct {
	MeetingID int64 `db:"meeting_id"`
	Entitled  bool  `db:"entitled"`
	Present   bool  `db:"present"`
}

// PresenceOf returns, for the meetings where resident is entitled, whether they are present.
func (s *Store) PresenceOf(ctx context.Context, resident int64, ids []int64) (map[int64]MeetingPresence, error) {
	var rows []MeetingPresence
	if err := s.selectRows(ctx, &rows, `SELECT e.meeting_id, true AS entitled, a.resident_id IS NOT NULL AS present
		FROM meeting_entitled e LEFT JOIN meeting_attendance a ON a.meeting_id = e.meeting_id AND a.resident_id = e.resident_id
		WHERE e.resident_id = $1 AND e.meeting_id = ANY($2)`, resident, pq.Array(ids)); err != nil {
		return nil, err
	}
	m := make(map[int64]MeetingPresence, len(rows))
	for _, r := range rows {
		m[r.MeetingID] = r
	}
	return m, nil
}

// ScheduleMeeting is what scheduleMeeting takes.
type ScheduleMeeting struct {
	Kind     MeetingKind
	PlaceID  int64
	Title    string
	StartsAt time.Time
	EndsAt   time.Time
	Location *string
	TopicIDs []int64
	// Basis is nil for the kind's default.
	Basis *EntitlementBasis
}

// maxMeetingLength is how long a meeting (or an online meeting's window) may last.
const maxMeetingLength = 31 * 24 * time.Hour

// ScheduleMeeting schedules a meeting in a community (an owners' assembly in a compound), by
// staff or council members of the community, with an agenda of its accepted topics. Errors:
// UNAUTHENTICATED, FORBIDDEN, NOT_FOUND (placeId), INVALID_INPUT.
func (s *Store) ScheduleMeeting(ctx context.Context, v *Viewer, in ScheduleMeeting) (*Meeting, error) {
	if v == nil {
		return nil, needSignIn
	}
	allowed, ok := meetingBases[in.Kind]
	if !ok {
		return nil, Invalid("kind", "会议类型无效")
	}
	title, err := text("title", "标题", in.Title, 1, 60)
	if err != nil {
		return nil, err
	}
	basis := allowed[0]
	if in.Basis != nil {
		if !slices.Contains(allowed, *in.Basis) {
			return nil, Invalid("basis", "%s不能按「%s」确定参会人", in.Kind.Name(), in.Basis.Name())
		}
		basis = *in.Basis
	}
	var location *string
	if in.Kind == MeetingOnline {
		if in.Location != nil && strings.TrimSpace(*in.Location) != "" {
			return nil, Invalid("location", "网上议事厅不需要填写地点")
		}
	} else {
		l, err := text("location", "会议地点", deref(in.Location), 1, 200)
		if err != nil {
			return nil, err
		}
		location = &l
	}
	if !in.EndsAt.After(in.StartsAt) {
		return nil, Invalid("endsAt", "结束时间必须晚于开始时间")
	}
	if in.EndsAt.Sub(in.StartsAt) > maxMeetingLength {
		return nil, Invalid("endsAt", "会议（或网上议事的开放时间）最长 31 天")
	}
	if len(in.TopicIDs) > 20 {
		return nil, Invalid("topicIds", "一次会议最多 20 个议题")
	}
	topicIDs := slices.Clone(in.TopicIDs)
	for i, id := range topicIDs {
		if slices.Index(topicIDs, id) != i {
			return nil, Invalid("topicIds", "议程中的议题不能重复")
		}
	}

	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if !in.EndsAt.After(tx.now) {
		return nil, Invalid("endsAt", "结束时间已经过去")
	}
	place, err := tx.place(in.PlaceID)
	if err != nil {
		return nil, withField(err, "placeId")
	}
	communityID := place.ID
	switch {
	case in.Kind == MeetingOwnersAssembly && place.Level == LevelCompound:
		communityID = *place.ParentID
	case in.Kind == MeetingOwnersAssembly:
		return nil, Invalid("placeId", "业主大会在小区召开，%s「%s」不行", place.Level.Name(), place.Name)
	case place.Level != LevelCommunity:
		return nil, Invalid("placeId", "%s在社区召开，%s「%s」不行", in.Kind.Name(), place.Level.Name(), place.Name)
	}
	community := place
	if communityID != place.ID {
		if community, err = tx.place(communityID); err != nil {
			return nil, err
		}
	}
	if !v.Holds(community, rolesScheduling...) {
		return nil, forbidden("只有%s的社区工作者或议事会成员可以召集会议", community.Name)
	}
	if len(topicIDs) > 0 {
		var n int
		if err := tx.get(&n, `SELECT count(*) FROM topics t WHERE t.id = ANY($1) AND t.community_id = $2 AND t.state = 'accepted'`,
			pq.Array(topicIDs), communityID); err != nil {
			return nil, err
		}
		if n != len(topicIDs) {
			return nil, Invalid("topicIds", "议程只能包含%s已受理的议题", community.Name)
		}
	}
	var m Meeting
	if err := tx.get(&m, `INSERT INTO meetings AS m (kind, place_id, community_id, title, starts_at, ends_at, location,
			organiser_id, basis, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING `+meetingColumns,
		in.Kind, place.ID, communityID, title, in.StartsAt.UTC(), in.EndsAt.UTC(), location, v.Account.ID, basis, tx.now); err != nil {
		return nil, err
	}
	if len(topicIDs) > 0 {
		if _, err := tx.exec(`INSERT INTO meeting_topics (meeting_id, topic_id, position)
			SELECT $1, t.id, t.n FROM unnest($2::bigint[]) WITH ORDINALITY AS t(id, n)`, m.ID, pq.Array(topicIDs)); err != nil {
			return nil, err
		}
	}
	if err := tx.meetingEvent(&m, MeetingSchedule, &v.Account.ID, nil, nil); err != nil {
		return nil, err
	}
	return &m, tx.Commit()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// meetingEvent records a transition of m to its (already updated) state.
func (tx *Tx) meetingEvent(m *Meeting, action MeetingAction, actor *int64, from *MeetingState, reason *string) error {
	return tx.record(meetingTables, m.ID, action, actor, from, m.State, reason)
}

// lockedMeeting is a meeting locked for a change, with its place and community.
type lockedMeeting struct {
	*Meeting
	place, community *Place
}

// lockMeeting locks meeting id in tx: FOR UPDATE to change the meeting itself, FOR SHARE to
// check people in (check-ins run side by side; a close waits for them). A meeting v may not
// see is NOT_FOUND, so ids cannot be probed.
func (tx *Tx) lockMeeting(v *Viewer, id int64, share bool) (*lockedMeeting, error) {
	q := `SELECT ` + meetingColumns + ` FROM meetings m WHERE m.id = $1 FOR UPDATE`
	if share {
		q = `SELECT ` + meetingColumns + ` FROM meetings m WHERE m.id = $1 FOR SHARE`
	}
	var m Meeting
	if err := tx.get(&m, q, id); err != nil {
		return nil, notFound(err, "找不到这个会议")
	}
	ps, err := tx.places(m.PlaceID, m.CommunityID)
	if err != nil {
		return nil, err
	}
	lm := &lockedMeeting{Meeting: &m, place: ps[m.PlaceID], community: ps[m.CommunityID]}
	if !v.SeesMeetings(lm.community) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这个会议"}
	}
	return lm, nil
}

// writeMeeting runs one change of meeting id in its own transaction, holding the meeting's
// lock (shared when share is true).
func (s *Store) writeMeeting(ctx context.Context, v *Viewer, id int64, share bool, f func(*Tx, *lockedMeeting) error) (*Meeting, error) {
	if v == nil {
		return nil, needSignIn
	}
	lm, err := inLockedTx(ctx, s, func(tx *Tx) (*lockedMeeting, error) { return tx.lockMeeting(v, id, share) }, f)
	if err != nil {
		return nil, err
	}
	return lm.Meeting, nil
}

// transitionMeeting moves the locked meeting to state and records it.
func (tx *Tx) transitionMeeting(lm *lockedMeeting, to MeetingState, action MeetingAction, actor *int64, reason *string, set string, args ...any) error {
	from := lm.State
	return tx.move(meetingTables, lm.Meeting, lm.ID, &from, to, action, actor, reason, set, args...)
}

func wrongMeetingState(m *Meeting, doing string) error {
	return Errorf(EINVALIDSTATE, "会议当前状态为「%s」，不能%s", m.State.Name(), doing)
}

func requireManager(v *Viewer, lm *lockedMeeting, doing string) error {
	if !v.managesMeeting(lm.Meeting, lm.community) {
		return forbidden("只有会议召集人或%s的社区工作者可以%s", lm.community.Name, doing)
	}
	return nil
}

// CancelMeeting cancels a scheduled meeting with a reason shown to everyone. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT (reason).
func (s *Store) CancelMeeting(ctx context.Context, v *Viewer, id int64, reason string) (*Meeting, error) {
	why, err := text("reason", "取消原因", reason, 1, 500)
	if err != nil {
		return nil, err
	}
	return s.writeMeeting(ctx, v, id, false, func(tx *Tx, lm *lockedMeeting) error {
		if err := requireManager(v, lm, "取消会议"); err != nil {
			return err
		}
		if lm.State != MeetingScheduled {
			return wrongMeetingState(lm.Meeting, "取消")
		}
		return tx.transitionMeeting(lm, MeetingCancelled, MeetingCancel, &v.Account.ID, &why, `, cancel_reason = $4`, why)
	})
}

// codeAlphabet leaves out characters that are easily mistaken: 0/O, 1/I/L.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newCheckinCode returns n characters from codeAlphabet, uniformly at random (crypto/rand).
func newCheckinCode(n int) string {
	b := make([]byte, 0, n)
	buf := make([]byte, 1)
	limit := byte(256 - 256%len(codeAlphabet))
	for len(b) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if buf[0] >= limit {
			continue
		}
		b = append(b, codeAlphabet[int(buf[0])%len(codeAlphabet)])
	}
	return string(b)
}

// rollSelect draws a roll in one statement per basis, as rows of (resident_id, household_id,
// area_dm2), each person their own head; the owners' roll is counted by ownersRoll instead: $2 is the place (community, or compound for owners), and for residents $3 the
// last birth date of an adult on the day; for council members $2 is the community. $1 is left
// to the statement that inserts the roll (a meeting's, or a standalone vote's).
var rollSelect = map[EntitlementBasis]string{
	BasisAdultResidents: `SELECT r.id AS resident_id, r.household_id, 0::bigint AS area_dm2
		FROM residents r JOIN places h ON h.id = r.household_id
		WHERE h.path @> ARRAY[$2::bigint] AND r.verified_at IS NOT NULL AND r.left_on IS NULL AND r.birth_date <= $3`,
	BasisHouseholdRepresentatives: `SELECT DISTINCT ON (r.household_id) r.id AS resident_id, r.household_id, 0::bigint AS area_dm2
		FROM residents r JOIN places h ON h.id = r.household_id
		LEFT JOIN household_owners o ON o.household_id = r.household_id AND o.resident_id = r.id AND o.until IS NULL
		WHERE h.path @> ARRAY[$2::bigint] AND r.verified_at IS NOT NULL AND r.left_on IS NULL AND r.birth_date <= $3
		ORDER BY r.household_id, o.resident_id IS NULL, o.resident_id, r.birth_date, r.id`,
	BasisCouncilMembers: `SELECT DISTINCT r.id AS resident_id, r.household_id, 0::bigint AS area_dm2
		FROM role_grants g JOIN residents r ON r.account_id = g.account_id
		WHERE g.role = 'council_member' AND g.revoked_at IS NULL AND g.place_id = $2 AND r.verified_at IS NOT NULL AND r.left_on IS NULL`,
}

// adultBorn returns the last birth date of someone aged 18 on the day of now, China time.
func adultBorn(now time.Time) time.Time {
	d := now.In(china)
	return time.Date(d.Year()-18, d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// StartMeeting opens a scheduled meeting: the entitled list is fixed in one statement and a
// check-in code is drawn. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE.
func (s *Store) StartMeeting(ctx context.Context, v *Viewer, id int64) (*Meeting, error) {
	return s.writeMeeting(ctx, v, id, false, func(tx *Tx, lm *lockedMeeting) error {
		if err := requireManager(v, lm, "开始会议"); err != nil {
			return err
		}
		if lm.State != MeetingScheduled {
			return wrongMeetingState(lm.Meeting, "开始")
		}
		args := []any{lm.ID, lm.PlaceID}
		switch lm.Basis {
		case BasisAdultResidents, BasisHouseholdRepresentatives:
			args = append(args, adultBorn(tx.now))
		case BasisCouncilMembers:
			args[1] = lm.CommunityID
		}
		roll := `SELECT r.resident_id AS head, r.resident_id, r.household_id, r.area_dm2 FROM (` + rollSelect[lm.Basis] + `) r`
		if lm.Basis == BasisOwners {
			heads, residents, households, areas, err := tx.ownersRoll(lm.PlaceID)
			if err != nil {
				return err
			}
			roll, args = ownersRollSelect, []any{lm.ID, heads, residents, households, areas}
		}
		if _, err := tx.exec(`INSERT INTO meeting_entitled (meeting_id, head, resident_id, household_id, area_dm2)
			SELECT $1, r.head, r.resident_id, r.household_id, r.area_dm2 FROM (`+roll+`) r`, args...); err != nil {
			return err
		}
		var n int
		if err := tx.get(&n, `SELECT count(DISTINCT head) FROM meeting_entitled WHERE meeting_id = $1`, lm.ID); err != nil {
			return err
		}
		why := "按「" + lm.Basis.Name() + "」确定应到 " + formatInt(n) + " 人"
		if err := tx.transitionMeeting(lm, MeetingRunning, MeetingStart, &v.Account.ID, &why, `, checkin_code = $4`, newCheckinCode(6)); err != nil {
			return err
		}
		// The accepted topics on the agenda are now being discussed (商议).
		var agenda []int64
		if err := tx.selectRows(&agenda, `SELECT t.id FROM meeting_topics mt JOIN topics t ON t.id = mt.topic_id
			WHERE mt.meeting_id = $1 AND t.state = 'accepted' ORDER BY t.id`, lm.ID); err != nil {
			return err
		}
		discuss := "在「" + lm.Title + "」上协商"
		for _, id := range agenda {
			lt, err := tx.lockTopic(nil, id)
			if err != nil {
				return err
			}
			if err := tx.transitionTopic(lt, TopicUnderDiscussion, TopicDiscuss, &v.Account.ID, &discuss, ""); err != nil {
				return err
			}
		}
		return nil
	})
}

// CloseMeeting ends a running meeting; its check-in code stops working and its open votes
// close with their results. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE.
func (s *Store) CloseMeeting(ctx context.Context, v *Viewer, id int64) (*Meeting, error) {
	return s.writeMeeting(ctx, v, id, false, func(tx *Tx, lm *lockedMeeting) error {
		if err := requireManager(v, lm, "结束会议"); err != nil {
			return err
		}
		if lm.State != MeetingRunning {
			return wrongMeetingState(lm.Meeting, "结束")
		}
		if err := tx.transitionMeeting(lm, MeetingClosed, MeetingClose, &v.Account.ID, nil, `, checkin_code = NULL`); err != nil {
			return err
		}
		// Votes still open close with the meeting, each with its result.
		var open []int64
		if err := tx.selectRows(&open, `SELECT id FROM votes WHERE meeting_id = $1 AND state = 'open' ORDER BY id`, lm.ID); err != nil {
			return err
		}
		for _, id := range open {
			lv, err := tx.lockVote(nil, id, false)
			if err != nil {
				return err
			}
			if err := tx.closeVote(lv, &v.Account.ID); err != nil {
				return err
			}
		}
		return nil
	})
}

// RecordMinutes records (or replaces) the minutes (纪要) of a closed meeting. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT (minutes).
func (s *Store) RecordMinutes(ctx context.Context, v *Viewer, id int64, minutes string) (*Meeting, error) {
	body, err := text("minutes", "会议纪要", minutes, 1, 20000)
	if err != nil {
		return nil, err
	}
	return s.writeMeeting(ctx, v, id, false, func(tx *Tx, lm *lockedMeeting) error {
		if err := requireManager(v, lm, "记录会议纪要"); err != nil {
			return err
		}
		if lm.State != MeetingClosed {
			return wrongMeetingState(lm.Meeting, "记录纪要（会议结束后才能记录）")
		}
		return tx.transitionMeeting(lm, MeetingClosed, MeetingRecordMinutes, &v.Account.ID, nil, `, minutes = $4`, body)
	})
}

const attendanceColumns = `a.meeting_id, a.resident_id, a.checked_in_at, a.checked_in_by`

// checkIn records resident's attendance at the locked meeting, or returns the attendance
// already recorded: checking in twice changes nothing.
func (tx *Tx) checkIn(lm *lockedMeeting, resident, by int64) (*Attendance, error) {
	if _, err := tx.exec(`INSERT INTO meeting_attendance (meeting_id, resident_id, checked_in_at, checked_in_by)
		VALUES ($1, $2, $3, $4) ON CONFLICT (meeting_id, resident_id) DO NOTHING`, lm.ID, resident, tx.now, by); err != nil {
		return nil, err
	}
	var a Attendance
	err := tx.get(&a, `SELECT `+attendanceColumns+` FROM meeting_attendance a WHERE a.meeting_id = $1 AND a.resident_id = $2`, lm.ID, resident)
	return &a, err
}

// entitled reports whether resident is on the locked meeting's entitled list.
func (tx *Tx) entitled(lm *lockedMeeting, resident int64) (bool, error) {
	var ok bool
	err := tx.get(&ok, `SELECT EXISTS (SELECT 1 FROM meeting_entitled WHERE meeting_id = $1 AND resident_id = $2)`, lm.ID, resident)
	return ok, err
}

// CheckIn records that an entitled resident is present, by the organiser or staff of the
// community, while the meeting runs. Checking in someone already present returns their
// attendance unchanged. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE,
// INVALID_INPUT (residentId: not entitled).
func (s *Store) CheckIn(ctx context.Context, v *Viewer, meetingID, residentID int64) (*Attendance, error) {
	var a *Attendance
	_, err := s.writeMeeting(ctx, v, meetingID, true, func(tx *Tx, lm *lockedMeeting) error {
		if err := requireManager(v, lm, "代为签到"); err != nil {
			return err
		}
		if lm.State != MeetingRunning {
			return wrongMeetingState(lm.Meeting, "签到")
		}
		ok, err := tx.entitled(lm, residentID)
		if err != nil {
			return err
		} else if !ok {
			return Invalid("residentId", "这位居民不在本次会议的应到名单中")
		}
		a, err = tx.checkIn(lm, residentID, v.Account.ID)
		return err
	})
	return a, err
}

// CheckInWithCode records that the viewer is present, with the code shown at the meeting.
// Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (not entitled), INVALID_STATE,
// INVALID_INPUT (code).
func (s *Store) CheckInWithCode(ctx context.Context, v *Viewer, meetingID int64, code string) (*Attendance, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	var a *Attendance
	_, err := s.writeMeeting(ctx, v, meetingID, true, func(tx *Tx, lm *lockedMeeting) error {
		if lm.State != MeetingRunning {
			return wrongMeetingState(lm.Meeting, "签到")
		}
		if v.Resident == nil {
			return forbidden("你不在本次会议的应到名单中")
		}
		ok, err := tx.entitled(lm, v.Resident.ID)
		if err != nil {
			return err
		} else if !ok {
			return forbidden("你不在本次会议的应到名单中")
		}
		if lm.CheckinCode == nil || subtle.ConstantTimeCompare([]byte(code), []byte(*lm.CheckinCode)) != 1 {
			return Invalid("code", "签到码不正确，请核对会场公布的 6 位签到码")
		}
		a, err = tx.checkIn(lm, v.Resident.ID, v.Account.ID)
		return err
	})
	return a, err
}

// Meetings lists the meetings v may see, newest first: those held at place (0: any) or a
// place under it, in one of states (none: any).
func (s *Store) Meetings(ctx context.Context, v *Viewer, place int64, states []MeetingState, p Page) (Paged[*Meeting], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Meeting]{}, nil, needSignIn
	}
	return communityList(ctx, s, v, meetingColumns, "meetings m", "m", "m.place_id", place, pq.Array(states), "meeting_state", p,
		func(m *Meeting) Key { return idKey(m.ID) })
}
