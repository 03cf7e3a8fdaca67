package demo

import (
	"linli/db"

	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Deliberation says whether Load fills the deliberation (议事协商) demo: topics,
// meetings, votes and resolutions. Tests whose figures count on none switch it off.
var Deliberation = true

// The demo sets no community_settings, so the defaults of the schema apply.
const (
	demoCosignThreshold = 5
	demoNoticeDays      = 7
)

// Demo accounts by what they do in the deliberation demo.
const (
	demoResidentPhone   = "13800000001"
	demoLeaderPhone     = "13800000005"
	demoHepingStaff     = "13800000006" // staff of 和平社区
	demoCouncilPhone    = "13800000007"
	demoSupervisorPhone = "13800000008"
)

// demoResidentRow is a verified resident of the demo community, as the deliberation demo
// needs them for rolls, co-signatures and ratings.
type demoResidentRow struct {
	ID         int64     `db:"id"`
	Household  int64     `db:"household_id"`
	Building   *int64    `db:"building_id"`
	Account    *int64    `db:"account_id"`
	Birth      time.Time `db:"birth_date"`
	InCompound bool      `db:"in_compound"`
	Area       int64     `db:"floor_area_dm2"`
}

// demoRollEntry is one row of a roll: a person (nil: a part of an owners' head nobody casts
// on this row), the head they count in, and the floor area the row carries. On the rolls
// other than the owners' each person is their own head, with no area.
type demoRollEntry struct {
	r         *demoResidentRow
	head      int64
	household int64
	building  *int64
	area      int64
}

// demoHead is one head of a roll: the first of its people casts its ballot.
type demoHead struct {
	key  int64
	r    *demoResidentRow // nil: nobody can cast it (the developer)
	area int64
}

// heads groups roll rows by head, in the order heads first appear.
func heads(roll []demoRollEntry) []*demoHead {
	var out []*demoHead
	by := map[int64]*demoHead{}
	for _, e := range roll {
		h := by[e.head]
		if h == nil {
			h = &demoHead{key: e.head}
			by[e.head] = h
			out = append(out, h)
		}
		if h.r == nil {
			h.r = e.r
		}
		h.area += e.area
	}
	return out
}

// person is the roll row of a person counted on their own.
func person(r *demoResidentRow) demoRollEntry {
	return demoRollEntry{r: r, head: r.ID, household: r.Household, building: r.Building}
}

// The rows the deliberation demo writes. Their json tags name the columns; ids and
// references to rows of the demo are the demo's own keys (1, 2, …), which the inserting
// statement turns into ids drawn from the tables' sequences (see demoTable).
type (
	dTopic struct {
		ID            int64         `json:"id"`
		PlaceID       int64         `json:"place_id"`
		CommunityID   int64         `json:"community_id"`
		RaisedBy      int64         `json:"raised_by"`
		Title         string        `json:"title"`
		Description   string        `json:"description"`
		State         db.TopicState `json:"state"`
		ClosingReason *string       `json:"closing_reason"`
		CreatedAt     time.Time     `json:"created_at"`
		UpdatedAt     time.Time     `json:"updated_at"`
	}
	dTopicEvent struct {
		TopicID int64          `json:"topic_id"`
		At      time.Time      `json:"at"`
		Action  db.TopicAction `json:"action"`
		Actor   *int64         `json:"actor_id"`
		From    *db.TopicState `json:"from_state"`
		To      db.TopicState  `json:"to_state"`
		Reason  *string        `json:"reason"`
	}
	dCosigner struct {
		TopicID int64     `json:"topic_id"`
		Account int64     `json:"account_id"`
		At      time.Time `json:"at"`
	}
	dComment struct {
		ID      int64     `json:"id"`
		TopicID int64     `json:"topic_id"`
		Author  int64     `json:"author_id"`
		ReplyTo *int64    `json:"reply_to"`
		Body    string    `json:"body"`
		Stance  *string   `json:"stance"`
		At      time.Time `json:"created_at"`
	}
	dMeeting struct {
		ID          int64               `json:"id"`
		Kind        db.MeetingKind      `json:"kind"`
		PlaceID     int64               `json:"place_id"`
		CommunityID int64               `json:"community_id"`
		Title       string              `json:"title"`
		StartsAt    time.Time           `json:"starts_at"`
		EndsAt      time.Time           `json:"ends_at"`
		Location    *string             `json:"location"`
		Organiser   int64               `json:"organiser_id"`
		Basis       db.EntitlementBasis `json:"basis"`
		State       db.MeetingState     `json:"state"`
		Minutes     *string             `json:"minutes"`
		CreatedAt   time.Time           `json:"created_at"`
		UpdatedAt   time.Time           `json:"updated_at"`

		roll     []demoRollEntry
		attended map[int64]bool // heads
	}
	dMeetingEvent struct {
		MeetingID int64            `json:"meeting_id"`
		At        time.Time        `json:"at"`
		Action    db.MeetingAction `json:"action"`
		Actor     *int64           `json:"actor_id"`
		From      *db.MeetingState `json:"from_state"`
		To        db.MeetingState  `json:"to_state"`
		Reason    *string          `json:"reason"`
	}
	dMeetingTopic struct {
		MeetingID int64 `json:"meeting_id"`
		TopicID   int64 `json:"topic_id"`
		Position  int   `json:"position"`
	}
	dEntitled struct {
		MeetingID int64  `json:"meeting_id"`
		Head      int64  `json:"head"`
		Resident  *int64 `json:"resident_id"`
		Household int64  `json:"household_id"`
		Area      int64  `json:"area_dm2"`
	}
	dAttendance struct {
		MeetingID int64     `json:"meeting_id"`
		Resident  int64     `json:"resident_id"`
		At        time.Time `json:"checked_in_at"`
		By        int64     `json:"checked_in_by"`
	}
	dVote struct {
		ID           int64               `json:"id"`
		MeetingID    *int64              `json:"meeting_id"`
		TopicID      int64               `json:"topic_id"`
		PlaceID      int64               `json:"place_id"`
		CommunityID  int64               `json:"community_id"`
		Basis        db.EntitlementBasis `json:"basis"`
		Title        string              `json:"title"`
		Rule         db.VoteRulePreset   `json:"rule"`
		Secret       bool                `json:"secret"`
		Changeable   bool                `json:"changeable"`
		Motion       bool                `json:"motion"`
		OpenedBy     int64               `json:"opened_by"`
		OpensAt      time.Time           `json:"opens_at"`
		ClosesAt     time.Time           `json:"closes_at"`
		State        db.VoteState        `json:"state"`
		ClosedAt     *time.Time          `json:"closed_at"`
		ClosedBy     *int64              `json:"closed_by"`
		EntHeads     *int64              `json:"entitled_heads"`
		EntArea      *int64              `json:"entitled_area"`
		PresentHeads *int64              `json:"present_heads"`
		PresentArea  *int64              `json:"present_area"`
		PartHeads    *int64              `json:"participating_heads"`
		PartArea     *int64              `json:"participating_area"`
		QuorumMet    *bool               `json:"quorum_met"`
		Passed       *bool               `json:"passed"`
		QuorumNum    int64               `json:"quorum_num"`
		QuorumDen    int64               `json:"quorum_den"`
		QuorumStrict bool                `json:"quorum_strict"`
		PassNum      int64               `json:"pass_num"`
		PassDen      int64               `json:"pass_den"`
		PassStrict   bool                `json:"pass_strict"`
		ByArea       bool                `json:"by_area"`
		QuorumBasis  db.QuorumBasis      `json:"quorum_basis"`
		Abstentions  db.AbstentionRule   `json:"abstentions"`

		rule    db.VoteRule
		meeting *dMeeting
		topic   *dTopic
		roll    []demoRollEntry
		voted   map[int64]bool // heads
		counts  [3]db.Count    // 同意, 反对, 弃权
	}
	dOption struct {
		VoteID   int64  `json:"vote_id"`
		Position int    `json:"position"`
		Label    string `json:"label"`
	}
	dVoteEntitled struct {
		VoteID    int64  `json:"vote_id"`
		Head      int64  `json:"head"`
		Resident  *int64 `json:"resident_id"`
		Household int64  `json:"household_id"`
		Building  *int64 `json:"building_id"`
		Area      int64  `json:"area_dm2"`
	}
	dParticipation struct {
		VoteID   int64 `json:"vote_id"`
		Resident int64 `json:"resident_id"`
		Head     int64 `json:"head"`
	}
	// dBallot is a secret ballot: written into its open vote's sealed sums, never as a row.
	dBallot struct {
		vote     *dVote
		position int
		area     int64
	}
	dResult struct {
		VoteID   int64 `json:"vote_id"`
		Position int   `json:"position"`
		Heads    int64 `json:"heads"`
		Area     int64 `json:"area_dm2"`
	}
	dResolution struct {
		ID                int64              `json:"id"`
		TopicID           int64              `json:"topic_id"`
		VoteID            int64              `json:"vote_id"`
		CommunityID       int64              `json:"community_id"`
		Title             string             `json:"title"`
		State             db.ResolutionState `json:"state"`
		PublishedAt       time.Time          `json:"published_at"`
		NoticeEndsAt      time.Time          `json:"notice_ends_at"`
		CarriedOutFrom    *time.Time         `json:"carried_out_from"`
		Result            *string            `json:"result"`
		ResultPublishedAt *time.Time         `json:"result_published_at"`
		UpdatedAt         time.Time          `json:"updated_at"`

		topic *dTopic
	}
	dObjection struct {
		ResolutionID int64      `json:"resolution_id"`
		Author       int64      `json:"author_id"`
		Reason       string     `json:"reason"`
		At           time.Time  `json:"created_at"`
		Answer       *string    `json:"answer"`
		AnsweredBy   *int64     `json:"answered_by"`
		AnsweredAt   *time.Time `json:"answered_at"`
		Upheld       *bool      `json:"upheld"`
	}
	dTask struct {
		ID           int64        `json:"id"`
		ResolutionID int64        `json:"resolution_id"`
		Title        string       `json:"title"`
		Assignee     int64        `json:"assignee_id"`
		DueAt        time.Time    `json:"due_at"`
		State        db.TaskState `json:"state"`
		DoneAt       *time.Time   `json:"done_at"`
		CreatedBy    int64        `json:"created_by"`
		CreatedAt    time.Time    `json:"created_at"`
	}
	dReport struct {
		TaskID int64     `json:"task_id"`
		Author int64     `json:"author_id"`
		Body   string    `json:"body"`
		Done   bool      `json:"done"`
		At     time.Time `json:"created_at"`
	}
	dSupervision struct {
		TaskID     int64      `json:"task_id"`
		Author     int64      `json:"author_id"`
		Body       string     `json:"body"`
		Concern    bool       `json:"concern"`
		At         time.Time  `json:"created_at"`
		Answer     *string    `json:"answer"`
		AnsweredBy *int64     `json:"answered_by"`
		AnsweredAt *time.Time `json:"answered_at"`
	}
	dRating struct {
		ResolutionID int64     `json:"resolution_id"`
		Resident     int64     `json:"resident_id"`
		Score        int       `json:"score"`
		Comment      *string   `json:"comment"`
		At           time.Time `json:"created_at"`
	}
)

// demoDeliberation is the deliberation demo as it is made, before anything is written. Its
// methods follow the service's own steps (raise, co-sign, accept, vote, publish, …) so that
// every state comes with the timeline that led to it; the first step out of order is kept
// in err.
type demoDeliberation struct {
	w                   *demoWorld
	ctx                 context.Context
	tx                  *db.Tx
	now                 time.Time
	accounts            map[string]int64
	community, compound *demoPlace
	people              []*demoResidentRow // verified residents of the community, by id
	err                 error

	topics        []*dTopic
	topicEvents   []dTopicEvent
	cosigners     []dCosigner
	comments      []*dComment
	meetings      []*dMeeting
	meetingEvents []dMeetingEvent
	meetingTopics []dMeetingTopic
	entitled      []dEntitled
	attendance    []dAttendance
	votes         []*dVote
	options       []dOption
	voteEntitled  []dVoteEntitled
	participation []dParticipation
	ballots       []dBallot
	results       []dResult
	resolutions   []*dResolution
	objections    []dObjection
	tasks         []*dTask
	reports       []dReport
	supervision   []dSupervision
	ratings       []dRating
}

// insertDeliberation inserts the deliberation demo of 和平社区: topics in the early states,
// a finished owners' assembly whose resolution is being carried out, an earlier online vote
// whose result residents have rated, and an online vote open now that 张秀英
// (13800000001) has yet to vote in. Results are counted by VoteRule.Decide, as closing a
// vote counts them, so they are right by construction. One statement reads the residents,
// one writes everything, and one the open vote's sealed sums.
func (w *demoWorld) insertDeliberation(ctx context.Context, tx *db.Tx, accountIDs map[string]int64) error {
	d := &demoDeliberation{w: w, ctx: ctx, tx: tx, now: tx.Now(), accounts: accountIDs}
	var err error
	if d.community, err = w.find("和平社区"); err != nil {
		return err
	}
	if d.compound, err = w.find("和平花园小区"); err != nil {
		return err
	}
	if err := tx.SelectContext(ctx, &d.people, `SELECT r.id, r.household_id, r.account_id, r.birth_date,
			h.floor_area_dm2, h.path @> ARRAY[$2::bigint] AS in_compound,
			(SELECT b.id FROM places b WHERE b.id = ANY (h.path) AND b.level = 'building') AS building_id
		FROM residents r JOIN places h ON h.id = r.household_id
		WHERE h.path @> ARRAY[$1::bigint] AND r.verified_at IS NOT NULL
		ORDER BY r.id`, d.community.id, d.compound.id); err != nil {
		return fmt.Errorf("deliberation residents: %w", err)
	}
	// Oldest first, so that ids follow time as they do in service: lists order by id.
	if err := d.ratedCase(); err != nil {
		return err
	}
	if err := d.ownersAssembly(); err != nil {
		return err
	}
	if err := d.openVote(); err != nil {
		return err
	}
	d.earlyTopics()
	if d.err != nil {
		return fmt.Errorf("deliberation: %w", d.err)
	}
	return d.write(ctx, tx)
}

// day is hour:minute, China time, days before today (negative: after).
func (d *demoDeliberation) day(days, hour, minute int) time.Time {
	t := d.w.today
	return time.Date(t.Year(), t.Month(), t.Day()-days, hour, minute, 0, 0, db.China).UTC()
}

// account is the account id of a demo phone, nil for "" (the system).
func (d *demoDeliberation) account(phone string) *int64 {
	if phone == "" {
		return nil
	}
	id, ok := d.accounts[phone]
	if !ok {
		d.fail("no demo account %s", phone)
	}
	return &id
}

// id is the account id of a demo phone.
func (d *demoDeliberation) id(phone string) int64 { return *d.account(phone) }

// demoOptional is s, or nil (NULL) for "".
func demoOptional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fail keeps the first error.
func (d *demoDeliberation) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

// livesIn reports whether the account holder is a verified resident of place (the
// community, or its compound).
func (d *demoDeliberation) livesIn(account int64, place *demoPlace) bool {
	return slices.ContainsFunc(d.people, func(r *demoResidentRow) bool {
		return r.Account != nil && *r.Account == account && (place == d.community || r.InCompound)
	})
}

// ------------------------------------------------------------------ topics

// raise adds a topic raised by a resident of the place, as RaiseTopic does.
func (d *demoDeliberation) raise(place *demoPlace, raiser string, at time.Time, title, description string) *dTopic {
	t := &dTopic{ID: int64(len(d.topics) + 1), PlaceID: place.id, CommunityID: d.community.id, RaisedBy: d.id(raiser),
		Title: title, Description: description, CreatedAt: at}
	if !d.livesIn(t.RaisedBy, place) {
		d.fail("topic %s: %s does not live in %s", title, raiser, place.name)
	}
	d.topics = append(d.topics, t)
	d.step(t, at, db.TopicRaise, raiser, db.TopicProposed, "")
	return t
}

// step moves a topic and records the move, as transitionTopic does.
func (d *demoDeliberation) step(t *dTopic, at time.Time, action db.TopicAction, actor string, to db.TopicState, reason string) {
	var from *db.TopicState
	if t.State != "" {
		s := t.State
		from = &s
		if at.Before(t.UpdatedAt) {
			d.fail("topic %s: %s at %v, before its last step", t.Title, action, at)
		}
	}
	if at.After(d.now) {
		d.fail("topic %s: %s at %v, in the future", t.Title, action, at)
	}
	d.topicEvents = append(d.topicEvents, dTopicEvent{TopicID: t.ID, At: at, Action: action, Actor: d.account(actor),
		From: from, To: to, Reason: demoOptional(reason)})
	t.State, t.UpdatedAt = to, at
}

// cosign adds co-signatures an interval apart; the one that reaches the threshold makes the
// topic ready, as CosignTopic does.
func (d *demoDeliberation) cosign(t *dTopic, at time.Time, every time.Duration, accounts ...int64) {
	n := 0
	for _, c := range d.cosigners {
		if c.TopicID == t.ID {
			n++
		}
	}
	for _, a := range accounts {
		if a == t.RaisedBy || !d.livesIn(a, d.placeOf(t)) {
			d.fail("topic %s: account %d may not co-sign", t.Title, a)
		}
		d.cosigners = append(d.cosigners, dCosigner{TopicID: t.ID, Account: a, At: at})
		if n++; n == demoCosignThreshold {
			d.step(t, at, db.TopicCosignReady, "", db.TopicReady, "附议人数达到 "+strconv.Itoa(demoCosignThreshold)+" 人")
		}
		at = at.Add(every)
	}
}

// placeOf is the place a topic concerns.
func (d *demoDeliberation) placeOf(t *dTopic) *demoPlace {
	if t.PlaceID == d.compound.id {
		return d.compound
	}
	return d.community
}

// ids are the account ids of demo phones.
func (d *demoDeliberation) ids(phones ...string) []int64 {
	ids := make([]int64, len(phones))
	for i, p := range phones {
		ids[i] = d.id(p)
	}
	return ids
}

// comment adds a comment on a topic, or a reply to one.
func (d *demoDeliberation) comment(t *dTopic, author string, at time.Time, stance, body string, replyTo *dComment) *dComment {
	c := &dComment{ID: int64(len(d.comments) + 1), TopicID: t.ID, Author: d.id(author), Body: body, Stance: demoOptional(stance), At: at}
	if replyTo != nil {
		c.ReplyTo = &replyTo.ID
	}
	d.comments = append(d.comments, c)
	return c
}

// earlyTopics are topics that have not come to a vote, oldest first: accepted, withdrawn,
// declined, ready and proposed.
func (d *demoDeliberation) earlyTopics() {
	const staff = demoHepingStaff
	// Accepted, waiting for a meeting or a vote.
	t := d.raise(d.community, demoCouncilPhone, d.day(25, 16, 0), "设立社区微项目资金，支持居民自治小项目",
		"建议每年从社区公益金中安排一笔微项目资金，由居民提出楼道美化、加装扶手、便民服务等小项目，"+
			"经居民议事会评议后资助实施，让居民自己的事自己商量着办。")
	d.cosign(t, d.day(24, 9, 0), 5*time.Hour, d.ids(demoPartyPhone, demoLeaderPhone)...)
	d.step(t, d.day(22, 14, 30), db.TopicAccept, staff, db.TopicAccepted, "列入下月居民代表会议议程")

	// Withdrawn by its raiser.
	t = d.raise(d.compound, demoLeaderPhone, d.day(16, 8, 50), "小区东门增设智能快递柜",
		"东门附近住户取快递要走到西门，建议在东门增设一组智能快递柜。")
	d.cosign(t, d.day(15, 18, 20), time.Hour, d.id(demoResidentPhone))
	d.step(t, d.day(13, 9, 10), db.TopicWithdraw, demoLeaderPhone, db.TopicWithdrawn, "物业已与快递公司商定在东门增设快递柜，不需要再议了")
	t.ClosingReason = d.topicEvents[len(d.topicEvents)-1].Reason

	// Declined, with the reason shown to everyone.
	t = d.raise(d.compound, demoResidentPhone, d.day(12, 19, 30), "在小区中心绿地建一个室外游泳池",
		"夏天孩子们没地方游泳，建议在中心绿地建一个小型室外游泳池，方便老人孩子锻炼。")
	d.step(t, d.day(10, 11, 0), db.TopicDecline, staff, db.TopicDeclined,
		"建设游泳池要占用绿地、改变共有部分用途，并长期承担水质和安全管理责任，不属于社区议事范围；"+
			"孩子们暑期游泳可参加街道文体站组织的游泳班。")
	t.ClosingReason = d.topicEvents[len(d.topicEvents)-1].Reason

	// Ready: five co-signers, waiting for staff to accept it.
	t = d.raise(d.community, demoVolunteerPhone, d.day(9, 10, 5), "老街12号楼、14号楼楼道加装扶手",
		"老街两栋楼是八十年代的老楼，楼梯陡、没有扶手，住着不少腿脚不便的老人，上下楼只能扶着墙。"+
			"建议在楼道一侧加装不锈钢扶手，费用可申请社区微项目资金。")
	d.cosign(t, d.day(8, 9, 40), 21*time.Hour, d.ids(demoResidentPhone, demoPartyPhone, demoLeaderPhone, demoCouncilPhone, demoSupervisorPhone)...)

	// Proposed, with two co-signers: 张秀英 can still co-sign it.
	t = d.raise(d.compound, demoPartyPhone, d.day(3, 20, 15), "规范小区停车秩序，施划停车位",
		"小区建成时只规划了地面停车位六十多个，现在私家车已超过一百五十辆，晚上消防通道和楼门口都停满了车，"+
			"救护车进不来的事发生过两次。建议由业委会和物业重新施划车位、标出消防通道，外来车辆限时停放。")
	d.cosign(t, d.day(2, 8, 30), 35*time.Hour, d.ids(demoLeaderPhone, demoCouncilPhone)...)
}

// ------------------------------------------------------------------ votes

// vote opens a vote on t with the default options 同意/反对/弃权: in meeting m (nil: online,
// at place with the rule's basis) under the preset. Its roll is given.
func (d *demoDeliberation) vote(t *dTopic, m *dMeeting, place *demoPlace, basis db.EntitlementBasis, preset db.VoteRulePreset,
	title, opener string, opens, closes time.Time, roll []demoRollEntry) *dVote {
	r := db.Preset(preset)
	v := &dVote{ID: int64(len(d.votes) + 1), TopicID: t.ID, PlaceID: place.id, CommunityID: d.community.id, Basis: basis,
		Title: title, Rule: preset, Secret: true, Motion: true, OpenedBy: d.id(opener), OpensAt: opens, ClosesAt: closes,
		State: db.VoteOpen, QuorumNum: r.Quorum.Num, QuorumDen: r.Quorum.Den, QuorumStrict: r.Quorum.Strict,
		PassNum: r.Pass.Num, PassDen: r.Pass.Den, PassStrict: r.Pass.Strict, ByArea: r.ByArea,
		QuorumBasis: r.QuorumBasis, Abstentions: r.Abstentions,
		rule: r, meeting: m, topic: t, roll: roll, voted: map[int64]bool{}}
	if m != nil {
		v.MeetingID = &m.ID
	}
	d.votes = append(d.votes, v)
	for i, label := range MotionOptions {
		d.options = append(d.options, dOption{VoteID: v.ID, Position: i, Label: label})
	}
	for _, e := range roll {
		d.voteEntitled = append(d.voteEntitled, dVoteEntitled{VoteID: v.ID, Head: e.head, Resident: e.id(), Household: e.household,
			Building: e.building, Area: e.area})
	}
	// The roll's totals from the opening, as openVote writes them (closeVote counts them again).
	var entitled db.Count
	for _, h := range heads(roll) {
		entitled = addCounts(entitled, db.Count{Heads: 1, Area: h.area})
	}
	v.EntHeads, v.EntArea = &entitled.Heads, &entitled.Area
	return v
}

// id is the row's person, if any.
func (e demoRollEntry) id() *int64 {
	if e.r == nil {
		return nil
	}
	return &e.r.ID
}

// cast records that head h voted (through its first person), and a ballot for the option
// at position that says nothing about who cast it.
func (d *demoDeliberation) cast(v *dVote, h *demoHead, position int) {
	v.voted[h.key] = true
	d.participation = append(d.participation, dParticipation{VoteID: v.ID, Resident: h.r.ID, Head: h.key})
	d.ballots = append(d.ballots, dBallot{vote: v, position: position, area: h.area})
	v.counts[position].Heads++
	v.counts[position].Area += h.area
}

// castMany lets voters vote: of every 20, approve approve and oppose oppose, the rest
// abstain, the choices spread among them at random.
func (d *demoDeliberation) castMany(v *dVote, voters []*demoHead, approve, oppose int) {
	positions := make([]int, len(voters))
	for i := range positions {
		switch k := i % 20; {
		case k < approve:
			positions[i] = 0
		case k < approve+oppose:
			positions[i] = 1
		default:
			positions[i] = 2
		}
	}
	d.w.rng.Shuffle(len(positions), func(i, j int) { positions[i], positions[j] = positions[j], positions[i] })
	for i, e := range voters {
		d.cast(v, e, positions[i])
	}
}

// closeVote counts a vote as closeVote does and moves its topic as afterVote does; a
// passed motion publishes a resolution for the notice period.
func (d *demoDeliberation) closeVote(v *dVote, at time.Time, by string) (*dResolution, error) {
	var t db.Tally
	var part db.Count
	for _, h := range heads(v.roll) {
		c := db.Count{Heads: 1, Area: h.area}
		t.Entitled = addCounts(t.Entitled, c)
		if v.voted[h.key] {
			part = addCounts(part, c)
		}
		if v.voted[h.key] || v.meeting != nil && v.meeting.attended[h.key] {
			t.Present = addCounts(t.Present, c)
		}
	}
	if v.rule.QuorumBasis == db.QuorumVoted {
		t.Present = part
	}
	t.Approve, t.Oppose, t.Abstain = v.counts[0], v.counts[1], v.counts[2]
	dec, err := v.rule.Decide(t)
	if err != nil {
		return nil, fmt.Errorf("vote %s: %w", v.Title, err)
	}
	if !dec.Passed {
		return nil, fmt.Errorf("vote %s: the demo's ballots do not pass it (%+v)", v.Title, t)
	}
	v.State, v.ClosedAt, v.ClosedBy = db.VoteClosed, &at, d.account(by)
	v.EntHeads, v.EntArea = &t.Entitled.Heads, &t.Entitled.Area
	v.PresentHeads, v.PresentArea = &t.Present.Heads, &t.Present.Area
	v.PartHeads, v.PartArea = &part.Heads, &part.Area
	v.QuorumMet, v.Passed = &dec.QuorumMet, &dec.Passed
	for i, c := range v.counts {
		d.results = append(d.results, dResult{VoteID: v.ID, Position: i, Heads: c.Heads, Area: c.Area})
	}
	d.step(v.topic, at, db.TopicVote, by, db.TopicVoted, "表决「"+v.Title+"」通过")
	r := &dResolution{ID: int64(len(d.resolutions) + 1), TopicID: v.topic.ID, VoteID: v.ID, CommunityID: d.community.id,
		Title: v.Title, State: db.ResolutionInNotice, PublishedAt: at, NoticeEndsAt: at.Add(demoNoticeDays * 24 * time.Hour),
		UpdatedAt: at, topic: v.topic}
	d.resolutions = append(d.resolutions, r)
	d.step(v.topic, at, db.TopicPublishResolution, by, db.TopicResolutionPublished, "决议公示 "+strconv.Itoa(demoNoticeDays)+
		" 天，至"+r.NoticeEndsAt.In(db.China).Format("1月2日15:04")+"，期间居民可提出异议")
	return r, nil
}

// addCounts adds heads to heads and area to area.
func addCounts(a, b db.Count) db.Count {
	return db.Count{Heads: a.Heads + b.Heads, Area: a.Area + b.Area}
}

// carryOut starts carrying a resolution out once its notice period is over, as the first
// AddTask does.
func (d *demoDeliberation) carryOut(r *dResolution, at time.Time, by string) {
	if at.Before(r.NoticeEndsAt) {
		d.fail("resolution %s carried out during its notice period", r.Title)
	}
	r.State, r.CarriedOutFrom, r.UpdatedAt = db.ResolutionBeingCarriedOut, &at, at
	d.step(r.topic, at, db.TopicCarryOut, by, db.TopicBeingCarriedOut, "公示期满，开始实施")
}

// task adds a task of a resolution, set by the community's staff.
func (d *demoDeliberation) task(r *dResolution, title, assignee string, at, due time.Time) *dTask {
	t := &dTask{ID: int64(len(d.tasks) + 1), ResolutionID: r.ID, Title: title, Assignee: d.id(assignee), DueAt: due,
		State: db.TaskOpen, CreatedBy: d.id(demoHepingStaff), CreatedAt: at}
	d.tasks = append(d.tasks, t)
	return t
}

// report adds a progress report; one that says done closes the task.
func (d *demoDeliberation) report(t *dTask, author string, at time.Time, body string, done bool) {
	d.reports = append(d.reports, dReport{TaskID: t.ID, Author: d.id(author), Body: body, Done: done, At: at})
	if done {
		t.State, t.DoneAt = db.TaskDone, &at
	}
}

// supervise adds a supervisor's note, answered if answer is not "".
func (d *demoDeliberation) supervise(t *dTask, at time.Time, body string, concern bool, answer, by string, answeredAt time.Time) {
	s := dSupervision{TaskID: t.ID, Author: d.id(demoSupervisorPhone), Body: body, Concern: concern, At: at}
	if answer != "" {
		s.Answer, s.AnsweredBy, s.AnsweredAt = &answer, d.account(by), &answeredAt
	}
	d.supervision = append(d.supervision, s)
}

// adults is the roll of adult residents of the community on the day a vote opens, as
// rollSelect[BasisAdultResidents] draws it.
func (d *demoDeliberation) adults(opens time.Time) []demoRollEntry {
	born := db.AdultBorn(opens)
	var roll []demoRollEntry
	for _, r := range d.people {
		if !r.Birth.After(born) {
			roll = append(roll, person(r))
		}
	}
	return roll
}

// owners is the roll of owners of the compound on the day of at, as the service draws it
// (db.Tx.OwnersRoll): one head per flat, an owner of several flats one head, the
// developer's unsold flats one head.
func (d *demoDeliberation) owners(at time.Time) ([]demoRollEntry, error) {
	rows, err := d.tx.OwnersRoll(d.compound.id, db.ChinaDay(at))
	if err != nil {
		return nil, err
	}
	people := map[int64]*demoResidentRow{}
	for _, r := range d.people {
		people[r.ID] = r
	}
	buildings := map[int64]*int64{}
	for _, h := range d.w.households {
		if h.parent != nil && h.parent.level == db.LevelBuilding {
			buildings[h.id] = &h.parent.id
		}
	}
	var roll []demoRollEntry
	for _, r := range rows {
		e := demoRollEntry{head: r.Head, household: r.Household, building: buildings[r.Household], area: r.AreaDm2}
		if r.Resident != 0 {
			if e.r = people[r.Resident]; e.r == nil {
				return nil, fmt.Errorf("owners' roll: resident %d is not a verified resident of the community", r.Resident)
			}
		}
		roll = append(roll, e)
	}
	return roll, nil
}

// shuffled is a copy of roll in a seeded random order.
func shuffled[T any](d *demoDeliberation, roll []T) []T {
	s := slices.Clone(roll)
	d.w.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	return s
}

// ------------------------------------------------------------------ the cases

// ratedCase is a finished case, two to three months back: a residents' online vote on
// seats and sunshades for the square, carried out, its result published and rated.
func (d *demoDeliberation) ratedCase() error {
	const staff = demoHepingStaff
	t := d.raise(d.community, demoPartyPhone, d.day(100, 9, 30), "在社区活动广场增设休闲座椅和遮阳棚",
		"活动广场是老人带孩子、跳舞下棋的地方，但只有两条长椅，夏天没有遮阴。建议增设十来组休闲座椅，"+
			"在健身器材区搭建遮阳棚，费用从社区公益金中列支。")
	d.cosign(t, d.day(99, 8, 10), 17*time.Hour, d.ids(demoResidentPhone, demoVolunteerPhone, demoLeaderPhone, demoCouncilPhone, demoSupervisorPhone)...)
	d.step(t, d.day(94, 15, 0), db.TopicAccept, staff, db.TopicAccepted, "方案和预算已请街道城建科核实，交全体居民网上表决")
	opens := d.day(90, 9, 0)
	title := "在社区活动广场增设休闲座椅和遮阳棚"
	d.step(t, opens, db.TopicDiscuss, staff, db.TopicUnderDiscussion, "发起表决「"+title+"」")
	roll := d.adults(opens)
	v := d.vote(t, nil, d.community, db.BasisAdultResidents, db.PresetResidentsAssembly, title, staff, opens, d.day(83, 20, 0), roll)
	voters := shuffled(d, heads(roll))
	d.castMany(v, voters[:len(voters)*62/100], 16, 3) // 80% approve, 15% oppose, 5% abstain
	// Nobody closed it: the vote closed on its own at its closing time.
	r, err := d.closeVote(v, v.ClosesAt.Add(time.Minute), "")
	if err != nil {
		return err
	}
	start := d.day(75, 9, 20)
	d.carryOut(r, start, staff)
	buy := d.task(r, "采购休闲座椅和遮阳棚", staff, start, d.day(60, 18, 0))
	d.report(buy, staff, d.day(68, 16, 0), "经三家比价，选定区内一家园林设施厂家，12组防腐木座椅和2座遮阳棚合计3.86万元，合同已签。", false)
	d.report(buy, staff, d.day(62, 11, 30), "座椅和遮阳棚已全部到货，验收合格。", true)
	build := d.task(r, "组织安装并做好安全防护", demoPartyPhone, start, d.day(50, 18, 0))
	d.report(build, demoPartyPhone, d.day(55, 17, 40), "党员志愿者配合厂家完成安装，施工期间设置围挡，每天有人值守。", false)
	d.report(build, demoPartyPhone, d.day(52, 18, 10), "全部安装完成，围挡已拆除，现场清理干净。", true)
	d.supervise(build, d.day(54, 10, 0), "到现场看了，围挡和警示牌齐全，施工规范。", false, "", "", time.Time{})
	published := d.day(45, 10, 0)
	result := "广场新增12组防腐木休闲座椅和2座遮阳棚，已于" + d.day(52, 0, 0).In(db.China).Format("1月2日") +
		"全部安装完成并投入使用。实际花费3.86万元，从社区公益金中列支，明细已在社区公告栏公示。"
	r.State, r.Result, r.ResultPublishedAt, r.UpdatedAt = db.ResolutionResultPublished, &result, &published, published
	d.step(t, published, db.TopicPublishResult, staff, db.TopicResultPublished, "公开实施结果")

	scores := []int{5, 5, 4, 5, 4, 5, 3, 5, 4, 4, 5, 5, 2, 4, 5, 4}
	notes := map[int]string{
		0: "座椅很结实，下午带孙子来坐坐，凉快多了。", 2: "遮阳棚很实用，建议再加两个垃圾桶。",
		6: "座椅数量还是少了点，晚上跳舞的人多时不够坐。", 9: "钱花在明处，公示得清清楚楚，支持。",
		12: "遮阳棚离我家窗户太近，晚上有人聊天比较吵。",
	}
	at := d.day(44, 9, 0)
	for i, raters := 0, shuffled(d, d.adults(published)); i < len(scores) && i < len(raters); i++ {
		if raters[i].r.Account != nil && *raters[i].r.Account == d.id(demoResidentPhone) {
			continue // 张秀英 is left to rate it herself
		}
		d.ratings = append(d.ratings, dRating{ResolutionID: r.ID, Resident: raters[i].r.ID, Score: scores[i],
			Comment: demoOptional(notes[i]), At: at})
		if t.State == db.TopicResultPublished {
			d.step(t, at, db.TopicRate, "", db.TopicRated, "居民开始评议实施结果")
		}
		at = at.Add(time.Duration(31+d.w.rng.IntN(24*60)) * time.Minute)
	}
	return nil
}

// ownersAssembly is the owners' assembly of 和平花园小区 three weeks ago that decided to use
// the repair fund for the roofs; its resolution is being carried out.
func (d *demoDeliberation) ownersAssembly() error {
	const staff = demoHepingStaff
	t := d.raise(d.compound, demoLeaderPhone, d.day(45, 8, 40), "使用专项维修资金修缮1至3号楼屋面防水",
		"1至3号楼建成快二十年，屋面防水层老化开裂，今年雨季顶层有十几户家里漏水，墙皮发霉脱落。"+
			"建议申请使用专项维修资金，对三栋楼屋面防水统一翻修。")
	// Every other account holder of the compound co-signs.
	var signers []int64
	for _, r := range d.people {
		if r.InCompound && r.Account != nil && *r.Account != t.RaisedBy && !slices.Contains(signers, *r.Account) {
			signers = append(signers, *r.Account)
		}
	}
	d.cosign(t, d.day(44, 19, 0), 13*time.Hour, signers...)
	d.step(t, d.day(32, 10, 30), db.TopicAccept, staff, db.TopicAccepted, "物业已出具维修方案和预算，提交业主大会表决")

	m := &dMeeting{ID: int64(len(d.meetings) + 1), Kind: db.MeetingOwnersAssembly, PlaceID: d.compound.id, CommunityID: d.community.id,
		Title: "和平花园小区2026年第二次业主大会", StartsAt: d.day(21, 19, 0), EndsAt: d.day(21, 21, 30),
		Location: demoOptional("和平花园小区活动中心一楼会议室"), Organiser: d.id(staff), Basis: db.BasisOwners,
		CreatedAt: d.day(31, 16, 0), attended: map[int64]bool{}}
	d.meetings = append(d.meetings, m)
	d.meetingStep(m, m.CreatedAt, db.MeetingSchedule, staff, db.MeetingScheduled, "")
	d.meetingTopics = append(d.meetingTopics, dMeetingTopic{MeetingID: m.ID, TopicID: t.ID, Position: 1})

	var err error
	if m.roll, err = d.owners(m.StartsAt); err != nil {
		return err
	}
	for _, e := range m.roll {
		d.entitled = append(d.entitled, dEntitled{MeetingID: m.ID, Head: e.head, Resident: e.id(), Household: e.household, Area: e.area})
	}
	rollHeads := heads(m.roll)
	d.meetingStep(m, m.StartsAt, db.MeetingStart, staff, db.MeetingRunning, "按「"+db.BasisOwners.Name()+"」确定应到 "+strconv.Itoa(len(rollHeads))+" 人")
	d.step(t, m.StartsAt, db.TopicDiscuss, staff, db.TopicUnderDiscussion, "在「"+m.Title+"」上协商")

	// Most owners come; of those who come, nearly all vote.
	// The developer's head has nobody to come.
	order := slices.DeleteFunc(shuffled(d, rollHeads), func(h *demoHead) bool { return h.r == nil })
	came := order[:len(order)*85/100]
	for i, h := range came {
		m.attended[h.key] = true
		d.attendance = append(d.attendance, dAttendance{MeetingID: m.ID, Resident: h.r.ID,
			At: m.StartsAt.Add(time.Duration(i*40/len(came)-15) * time.Minute), By: d.id(staff)})
	}
	title := "使用专项维修资金修缮1至3号楼屋面防水"
	opens := d.day(21, 19, 50)
	v := d.vote(t, m, d.compound, db.BasisOwners, db.PresetOwnersOrdinary, title, staff, opens, d.day(21, 21, 0), m.roll)
	d.castMany(v, came[:len(came)*94/100], 15, 3) // 75% approve, 15% oppose, 10% abstain
	r, err := d.closeVote(v, d.day(21, 20, 40), staff)
	if err != nil {
		return err
	}
	d.meetingStep(m, d.day(21, 21, 5), db.MeetingClose, staff, db.MeetingClosed, "")
	minutes := fmt.Sprintf("会议由社区居委会召集，物业公司列席。应到业主%d人，专有部分面积%s平方米；"+
		"参与表决%d人，面积%s平方米，人数和面积均达到三分之二以上。\n"+
		"物业公司介绍了1至3号楼屋面渗漏情况和翻修方案，预算约42万元，从三栋楼专项维修资金中列支。"+
		"业主提问集中在施工时间和质量保修，物业答复将避开雨季施工，防水质保不少于5年。\n"+
		"表决结果：同意%d人（面积%s平方米），反对%d人（%s平方米），弃权%d人（%s平方米）。"+
		"同意的人数和面积均超过参与表决的一半，议案通过。",
		*v.EntHeads, squareMetres(*v.EntArea), *v.PartHeads, squareMetres(*v.PartArea),
		v.counts[0].Heads, squareMetres(v.counts[0].Area), v.counts[1].Heads, squareMetres(v.counts[1].Area), v.counts[2].Heads, squareMetres(v.counts[2].Area))
	m.Minutes = &minutes
	d.meetingStep(m, d.day(20, 10, 15), db.MeetingRecordMinutes, staff, db.MeetingClosed, "")

	objected := d.day(18, 20, 30)
	answered, upheld := d.day(16, 15, 0), false
	d.objections = append(d.objections, dObjection{ResolutionID: r.ID, Author: d.id(demoPartyPhone), At: objected,
		Reason: "我家在5号楼，楼顶也有渗水，这次只修1至3号楼不公平，建议一并纳入。",
		Answer: demoOptional("5至7号楼建成较晚，屋面仍在开发商保修期内，已督促开发商限期维修，不动用维修资金。" +
			"本次决议只涉及1至3号楼，异议不成立，决议继续执行。"),
		AnsweredBy: d.account(demoCouncilPhone), AnsweredAt: &answered, Upheld: &upheld})

	start := r.NoticeEndsAt.Add(13 * time.Hour)
	d.carryOut(r, start, staff)
	pick := d.task(r, "公开比选屋面防水施工单位", staff, start, d.day(5, 18, 0))
	d.report(pick, staff, d.day(10, 17, 0), "比选公告已在小区公告栏和业主群发布，共有四家单位报名。", false)
	d.report(pick, staff, d.day(6, 11, 20), "经业委会和业主代表现场评审，选定一家具备防水二级资质的单位，报价39.6万元，结果已公示。", true)
	work := d.task(r, "1至3号楼屋面防水施工", demoLeaderPhone, start, d.day(-25, 18, 0))
	d.report(work, demoLeaderPhone, d.day(2, 18, 30), "1号楼旧防水层已铲除，正在做找平层，预计下周铺防水卷材。", false)
	d.supervise(work, d.day(1, 9, 40), "到1号楼楼顶看了，旧材料清运及时，建议每层都做闭水试验并留存照片。", false, "", "", time.Time{})
	safe := d.task(r, "施工期间楼道和屋面安全巡查", demoVolunteerPhone, start, d.day(-25, 18, 0))
	d.report(safe, demoVolunteerPhone, d.day(3, 19, 0), "每天下午巡查一次，楼顶出入口已上锁，楼道堆放材料已督促清理。", false)
	d.supervise(safe, d.day(4, 16, 20), "有居民反映施工材料堆在2单元楼道，影响老人通行，请尽快处理。", true,
		"已要求施工单位当天清走楼道材料，今后材料统一堆放在楼下指定区域。", staff, d.day(4, 19, 0))
	return nil
}

// squareMetres formats 0.01 m² as square metres.
func squareMetres(dm2 int64) string { return fmt.Sprintf("%d.%02d", dm2/100, dm2%100) }

// meetingStep moves a meeting and records the move, as transitionMeeting does.
func (d *demoDeliberation) meetingStep(m *dMeeting, at time.Time, action db.MeetingAction, actor string, to db.MeetingState, reason string) {
	var from *db.MeetingState
	if m.State != "" {
		s := m.State
		from = &s
	}
	if at.Before(m.UpdatedAt) || at.After(d.now) {
		d.fail("meeting %s: %s at %v out of order", m.Title, action, at)
	}
	d.meetingEvents = append(d.meetingEvents, dMeetingEvent{MeetingID: m.ID, At: at, Action: action, Actor: d.account(actor),
		From: from, To: to, Reason: demoOptional(reason)})
	m.State, m.UpdatedAt = to, at
}

// openVote is the online vote open now on a noise rule for the community: about a third
// have voted; 张秀英 is on the roll and has not.
func (d *demoDeliberation) openVote() error {
	const staff = demoHepingStaff
	t := d.raise(d.community, demoSupervisorPhone, d.day(28, 21, 40), "制定和平社区夜间噪声公约",
		"最近晚上广场舞音乐、装修电钻和楼下烧烤的声音经常持续到十点以后，老人孩子休息不好，邻里为此吵过好几次。"+
			"建议大家一起商量一份夜间噪声公约：晚上九点后广场活动关音响，装修只在工作日白天进行，违反的先由楼栋长劝导。")
	d.cosign(t, d.day(27, 8, 0), 9*time.Hour, d.ids(demoResidentPhone, demoVolunteerPhone, demoPartyPhone, demoLeaderPhone, demoCouncilPhone)...)
	d.step(t, d.day(24, 10, 0), db.TopicAccept, staff, db.TopicAccepted, "先请居民在网上充分讨论，再交全体居民表决")
	d.comment(t, demoResidentPhone, d.day(12, 20, 45), "for", "赞成。晚上九点多广场舞音乐还很响，我们楼里好几位老人都睡不好，定个公约大家心里有个数。", nil)
	d.comment(t, demoLeaderPhone, d.day(10, 9, 15), "neutral", "广场舞是不少老姐妹每天唯一的锻炼，公约里写清时段和音量就好，别一刀切不让跳。", nil)
	against := d.comment(t, demoVolunteerPhone, d.day(9, 22, 5), "against", "公约没有强制力，定了也没人执行，不如直接请物业和城管来管。", nil)
	d.comment(t, demoCouncilPhone, d.day(8, 8, 30), "", "公约通过后由居委会、物业和舞蹈队共同监督，楼栋长先劝导，议事会每季度通报一次执行情况，不是定了就不管。", against)
	d.comment(t, demoPartyPhone, d.day(6, 19, 50), "for", "装修噪声也该写进去，周末早上八点前电钻声实在受不了。", nil)

	opens := d.now.Add(-48 * time.Hour)
	title := "通过《和平社区夜间噪声公约》"
	d.step(t, opens, db.TopicDiscuss, staff, db.TopicUnderDiscussion, "发起表决「"+title+"」")
	roll := d.adults(opens)
	v := d.vote(t, nil, d.community, db.BasisAdultResidents, db.PresetResidentsAssembly, title, staff, opens, d.day(-5, 20, 0), roll)
	resident := d.id(demoResidentPhone)
	voters := slices.DeleteFunc(shuffled(d, heads(roll)), func(h *demoHead) bool { return h.r.Account != nil && *h.r.Account == resident })
	if len(voters) == len(roll) {
		return fmt.Errorf("vote %s: 张秀英 is not on the roll", title)
	}
	d.castMany(v, voters[:len(roll)/3], 13, 5) // 65% approve, 25% oppose, 10% abstain
	return nil
}

// ------------------------------------------------------------------ writing

// MotionOptions are a motion's options, by position.
var MotionOptions = []string{"同意", "反对", "弃权"}

// demoTable is one table's rows for the statement that writes them all. keys maps the
// columns holding the demo's keys (1, 2, …) to the block of ids they count from.
type demoTable struct {
	name string
	rows any // a slice of structs whose json tags name the columns
	keys map[string]string
}

// write inserts everything in one statement, a data-modifying WITH query per table: the
// foreign keys are checked at its end, when every row is in. Blocks of ids are drawn from
// the tables' sequences first, one setval each, and the demo's keys are offsets into them.
// Rows go in in the order given, so that ids follow time as they do in service.
func (d *demoDeliberation) write(ctx context.Context, tx *db.Tx) error {
	byTime := func(a, b time.Time) int { return a.Compare(b) }
	slices.SortStableFunc(d.topicEvents, func(a, b dTopicEvent) int { return byTime(a.At, b.At) })
	slices.SortStableFunc(d.meetingEvents, func(a, b dMeetingEvent) int { return byTime(a.At, b.At) })
	slices.SortStableFunc(d.cosigners, func(a, b dCosigner) int { return byTime(a.At, b.At) })
	slices.SortStableFunc(d.reports, func(a, b dReport) int { return byTime(a.At, b.At) })
	slices.SortStableFunc(d.supervision, func(a, b dSupervision) int { return byTime(a.At, b.At) })
	slices.SortStableFunc(d.ratings, func(a, b dRating) int { return byTime(a.At, b.At) })
	// The demo's keys are handed out as things are made, which is in time order: check.
	for i := 1; i < len(d.topics); i++ {
		if d.topics[i].CreatedAt.Before(d.topics[i-1].CreatedAt) {
			return fmt.Errorf("deliberation: topic %s raised before %s", d.topics[i].Title, d.topics[i-1].Title)
		}
	}

	blocks := []struct {
		name, table string
		n           int
	}{
		{"topics", "topics", len(d.topics)}, {"comments", "topic_comments", len(d.comments)},
		{"meetings", "meetings", len(d.meetings)}, {"votes", "votes", len(d.votes)},
		{"resolutions", "resolutions", len(d.resolutions)}, {"tasks", "resolution_tasks", len(d.tasks)},
	}
	topic, comment := map[string]string{"topic_id": "topics"}, map[string]string{"id": "comments", "topic_id": "topics", "reply_to": "comments"}
	meeting, vote := map[string]string{"meeting_id": "meetings"}, map[string]string{"vote_id": "votes"}
	tables := []demoTable{
		{"topics", d.topics, map[string]string{"id": "topics"}},
		{"topic_cosigners", d.cosigners, topic},
		{"topic_comments", d.comments, comment},
		{"topic_events", d.topicEvents, topic},
		{"meetings", d.meetings, map[string]string{"id": "meetings"}},
		{"meeting_topics", d.meetingTopics, map[string]string{"meeting_id": "meetings", "topic_id": "topics"}},
		{"meeting_entitled", d.entitled, meeting},
		{"meeting_attendance", d.attendance, meeting},
		{"meeting_events", d.meetingEvents, meeting},
		{"votes", d.votes, map[string]string{"id": "votes", "meeting_id": "meetings", "topic_id": "topics"}},
		{"vote_options", d.options, vote},
		{"vote_entitled", d.voteEntitled, vote},
		{"vote_participation", d.participation, vote},
		{"vote_results", d.results, vote},
		{"resolutions", d.resolutions, map[string]string{"id": "resolutions", "topic_id": "topics", "vote_id": "votes"}},
		{"resolution_objections", d.objections, map[string]string{"resolution_id": "resolutions"}},
		{"resolution_tasks", d.tasks, map[string]string{"id": "tasks", "resolution_id": "resolutions"}},
		{"task_reports", d.reports, map[string]string{"task_id": "tasks"}},
		{"task_supervision", d.supervision, map[string]string{"task_id": "tasks"}},
		{"result_ratings", d.ratings, map[string]string{"resolution_id": "resolutions"}},
	}
	// Each block of ids is drawn by moving the table's sequence on by its size; the sizes
	// are parameters after the tables' rows, table and block names come from the code above.
	var draw []string
	var sizes []any
	for i, b := range blocks {
		seq := "pg_get_serial_sequence('" + b.table + "', 'id')"
		n := "$" + strconv.Itoa(len(tables)+i+1) + "::bigint"
		draw = append(draw, "setval("+seq+", nextval("+seq+") + "+n+" - 1) - "+n+" AS "+b.name)
		sizes = append(sizes, int64(b.n))
	}
	ctes := []string{"k AS (SELECT " + strings.Join(draw, ", ") + ")"}
	var args []any
	for i, t := range tables {
		rows, err := json.Marshal(t.rows)
		if err != nil {
			return err
		}
		args = append(args, string(rows))
		var cols, exprs []string
		for _, c := range jsonColumns(t.rows) {
			cols = append(cols, c)
			if block, ok := t.keys[c]; ok {
				exprs = append(exprs, "k."+block+" + x."+c)
			} else {
				exprs = append(exprs, "x."+c)
			}
		}
		overriding := ""
		if _, ok := t.keys["id"]; ok {
			overriding = " OVERRIDING SYSTEM VALUE"
		}
		ctes = append(ctes, fmt.Sprintf("t%d AS (INSERT INTO %s (%s)%s SELECT %s FROM json_populate_recordset(NULL::%s, $%d) WITH ORDINALITY AS x, k ORDER BY x.ordinality)",
			i, t.name, strings.Join(cols, ", "), overriding, strings.Join(exprs, ", "), t.name, i+1))
	}
	args = append(args, sizes...)
	var votes int64
	if err := tx.GetContext(ctx, &votes, "WITH "+strings.Join(ctes, ",\n")+"\nSELECT votes FROM k", args...); err != nil {
		return fmt.Errorf("deliberation: %w", err)
	}
	return d.writeSums(ctx, tx, votes)
}

// writeSums writes the sealed sums of the open votes' ballots, which need the votes' ids
// (votes: where the block of vote ids starts); a closed vote keeps only its result. The
// ballots go to the stripes in turn.
func (d *demoDeliberation) writeSums(ctx context.Context, tx *db.Tx, votes int64) error {
	sums := map[*dVote][]db.BallotCount{}
	for i, b := range d.ballots {
		if b.vote.State != db.VoteOpen {
			continue
		}
		if sums[b.vote] == nil {
			sums[b.vote] = make([]db.BallotCount, db.BallotStripes*len(MotionOptions))
		}
		c := &sums[b.vote][i%db.BallotStripes*len(MotionOptions)+b.position]
		c.Heads++
		c.Area += b.area
	}
	if len(sums) == 0 {
		return nil
	}
	sealer, err := tx.BallotSealer()
	if err != nil {
		return fmt.Errorf("deliberation: the open vote's ballots are sealed under the ballot key: %w", err)
	}
	var voteIDs, stripes []int64
	var sealed [][]byte
	for v, s := range sums {
		for stripe := range db.BallotStripes {
			seal, err := sealer.SealSums(votes+v.ID, stripe, s[stripe*len(MotionOptions):(stripe+1)*len(MotionOptions)])
			if err != nil {
				return err
			}
			voteIDs, stripes, sealed = append(voteIDs, votes+v.ID), append(stripes, int64(stripe)), append(sealed, seal)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ballot_sums (vote_id, stripe, sealed)
		SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bytea[])`, pq.Array(voteIDs), pq.Array(stripes), pq.ByteaArray(sealed)); err != nil {
		return fmt.Errorf("deliberation: %w", err)
	}
	return nil
}

// jsonColumns are the column names the json tags of a slice's element type give.
func jsonColumns(rows any) []string {
	t := reflect.TypeOf(rows).Elem()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var cols []string
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			cols = append(cols, name)
		}
	}
	return cols
}
