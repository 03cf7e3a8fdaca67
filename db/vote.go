package db

import (
	"context"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// VoteState is where a vote is: open → closed.
type VoteState string

// Vote states.
const (
	VoteOpen   VoteState = "open"
	VoteClosed VoteState = "closed"
)

var voteStates = []VoteState{VoteOpen, VoteClosed}

func (s VoteState) MarshalGQL(w io.Writer) { marshalEnum(w, s) }
func (s *VoteState) UnmarshalGQL(v any) error {
	return unmarshalEnum(s, v, voteStates, "VoteState")
}

// DefaultVoteOptions are a motion's options: approve, oppose, abstain, in the positions the
// rule engine reads (0, 1, 2).
var DefaultVoteOptions = []string{"同意", "反对", "弃权"}

// ownersPresets may be used only in an owners' assembly, and only they there.
var ownersPresets = []VoteRulePreset{PresetOwnersOrdinary, PresetOwnersMajor}

type voteRow struct {
	ID          int64            `db:"id"`
	MeetingID   *int64           `db:"meeting_id"`
	TopicID     int64            `db:"topic_id"`
	PlaceID     int64            `db:"place_id"`
	CommunityID int64            `db:"community_id"`
	Basis       EntitlementBasis `db:"basis"`
	Title       string           `db:"title"`
	Secret      bool             `db:"secret"`
	Changeable  bool             `db:"changeable"`
	Motion      bool             `db:"motion"`
	OpensAt     time.Time        `db:"opens_at"`
	ClosesAt    time.Time        `db:"closes_at"`
	State       VoteState        `db:"state"`
	ruleColumns
	ClosedAt           *time.Time `db:"closed_at"`
	ClosedBy           *int64     `db:"closed_by"`
	EntitledHeads      *int64     `db:"entitled_heads"`
	EntitledArea       *int64     `db:"entitled_area"`
	PresentHeads       *int64     `db:"present_heads"`
	PresentArea        *int64     `db:"present_area"`
	ParticipatingHeads *int64     `db:"participating_heads"`
	ParticipatingArea  *int64     `db:"participating_area"`
	QuorumMet          *bool      `db:"quorum_met"`
	Passed             *bool      `db:"passed"`
	TopPosition        *int       `db:"top_position"`
}

// ruleColumns are a vote's rule as stored: every vote keeps its whole rule, presets too.
type ruleColumns struct {
	Rule         VoteRulePreset `db:"rule"`
	QuorumNum    int64          `db:"quorum_num"`
	QuorumDen    int64          `db:"quorum_den"`
	QuorumStrict bool           `db:"quorum_strict"`
	PassNum      int64          `db:"pass_num"`
	PassDen      int64          `db:"pass_den"`
	PassStrict   bool           `db:"pass_strict"`
	ByArea       bool           `db:"by_area"`
	QuorumBasis  QuorumBasis    `db:"quorum_basis"`
	Abstentions  AbstentionRule `db:"abstentions"`
}

func (c ruleColumns) rule() VoteRule {
	return VoteRule{Preset: c.Rule, Quorum: Threshold{c.QuorumNum, c.QuorumDen, c.QuorumStrict},
		Pass: Threshold{c.PassNum, c.PassDen, c.PassStrict}, ByArea: c.ByArea, QuorumBasis: c.QuorumBasis, Abstentions: c.Abstentions}
}

const voteColumns = `v.id, v.meeting_id, v.topic_id, v.place_id, v.community_id, v.basis, v.title, v.secret, v.changeable,
	v.motion, v.opens_at, v.closes_at, v.state, v.rule, v.quorum_num, v.quorum_den, v.quorum_strict, v.pass_num, v.pass_den,
	v.pass_strict, v.by_area, v.quorum_basis, v.abstentions, v.closed_at, v.closed_by, v.entitled_heads, v.entitled_area, v.present_heads,
	v.present_area, v.participating_heads, v.participating_area, v.quorum_met, v.passed, v.top_position`

// Vote is a vote (表决) as the viewer may see it: tallies of a secret vote are hidden until
// it closes, and nobody ever sees how a person voted in a secret vote.
type Vote struct {
	ID          int64
	MeetingID   *int64
	TopicID     int64
	PlaceID     int64
	CommunityID int64
	Basis       EntitlementBasis
	Title       string
	Options     []string
	Secret      bool
	Changeable  bool
	Rule        VoteRule
	State       VoteState
	OpensAt     time.Time
	ClosesAt    time.Time
	ClosedAt    *time.Time
	// Turnout: per building, Store.TurnoutByBuilding.
	Turnout VoteCount
	// Tallies per option, in order; nil while a secret vote is open.
	Tallies []*OptionTally
	// Result once closed.
	Result *VoteResult
	// HasVoted: whether the viewer cast a ballot. MyChoice: their option, roll-call votes only.
	HasVoted bool
	MyChoice *string
	// RollCall: who chose what, roll-call votes only; nil for secret votes.
	RollCall []*RollCallEntry
}

// VoteCount is participation against the roll, by heads and by area (0.01 m²).
type VoteCount struct {
	EntitledHeads, ParticipatingHeads int
	EntitledAreaDm2, ParticipatingDm2 int
}

// BuildingTurnout is participation in one building; BuildingID is nil for households not in
// a building.
type BuildingTurnout struct {
	BuildingID *int64 `db:"building_id"`
	VoteCount
}

// OptionTally is the ballots for one option.
type OptionTally struct {
	Option  string
	Heads   int
	AreaDm2 int
}

// VoteResult is a closed vote's stored outcome. Passed is nil for a choice among options,
// whose Top is the option with the most ballots by heads (nil on a tie).
type VoteResult struct {
	QuorumMet    bool
	Passed       *bool
	Top          *string
	PresentHeads int
	PresentDm2   int
	// ClosedBy is nil when the vote closed on its own at its closing time.
	ClosedBy *int64
}

// RollCallEntry is one voter's choice in a roll-call vote.
type RollCallEntry struct {
	// Voter is who chose: their name, and what Viewer.Sees needs to decide whether a
	// viewer sees it in full (id, account, household and its path).
	Voter  *Resident
	Option string
}

// OpenVote is what openVote takes: in a running meeting (MeetingID), or standalone online
// in a community or compound (PlaceID).
type OpenVote struct {
	MeetingID  *int64
	PlaceID    *int64
	TopicID    int64
	Title      string
	Options    []string
	OpensAt    *time.Time
	ClosesAt   time.Time
	Secret     bool
	Changeable bool
	Rule       VoteRulePreset
	// Custom is the rule when Rule is PresetCustom (its Preset is ignored).
	Custom *VoteRule
	// Basis of a standalone vote's roll; nil for the rule's usual one.
	Basis *EntitlementBasis
}

// ruleBases is the roll a standalone vote under each preset draws by default.
var ruleBases = map[VoteRulePreset]EntitlementBasis{
	PresetResidentsAssembly: BasisAdultResidents, PresetRepresentativesMeeting: BasisHouseholdRepresentatives,
	PresetOwnersOrdinary: BasisOwners, PresetOwnersMajor: BasisOwners, PresetCouncilMajority: BasisCouncilMembers,
}

// lockedVote is a vote locked in a transaction, with its community.
type lockedVote struct {
	voteRow
	community *Place
}

// lockVote locks vote id: FOR SHARE to cast (casts run side by side), FOR UPDATE to close (a
// close waits for casts in flight, and casts after it see it closed). A vote v may not see is
// NOT_FOUND; a nil v is the system (the closing sweep).
func (tx *Tx) lockVote(v *Viewer, id int64, share bool) (*lockedVote, error) {
	lock := ` FOR UPDATE`
	if share {
		lock = ` FOR SHARE`
	}
	var lv lockedVote
	if err := tx.get(&lv.voteRow, `SELECT `+voteColumns+` FROM votes v WHERE v.id = $1`+lock, id); err != nil {
		return nil, notFound(err, "找不到这次表决")
	}
	c, err := tx.place(lv.CommunityID)
	if err != nil {
		return nil, err
	}
	if v != nil && !v.SeesMeetings(c) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这次表决"}
	}
	lv.community = c
	return &lv, nil
}

// voteOptions checks the options of a new vote: nil is a motion (同意/反对/弃权).
func voteOptions(in []string) (options []string, motion bool, err error) {
	if in == nil {
		return DefaultVoteOptions, true, nil
	}
	if len(in) < 2 || len(in) > 10 {
		return nil, false, Invalid("options", "选项需要 2 到 10 个")
	}
	options = make([]string, len(in))
	for i, o := range in {
		if options[i], err = text("options", "选项", o, 1, 40); err != nil {
			return nil, false, err
		}
		if slices.Index(options[:i], options[i]) >= 0 {
			return nil, false, Invalid("options", "选项不能重复")
		}
	}
	return options, false, nil
}

// voteRule returns the rule a new vote is decided under.
func voteRule(in OpenVote) (VoteRule, error) {
	if !slices.Contains(voteRulePresets, in.Rule) {
		return VoteRule{}, Invalid("rule", "请选择表决规则")
	}
	if in.Rule != PresetCustom {
		if in.Custom != nil {
			return VoteRule{}, Invalid("customRule", "只有自定义规则（CUSTOM）才填写 customRule")
		}
		return Preset(in.Rule), nil
	}
	if in.Custom == nil {
		return VoteRule{}, Invalid("customRule", "自定义规则须写明到会比例、通过比例、是否按面积、到会口径和弃权计算方式")
	}
	r := *in.Custom
	r.Preset = PresetCustom
	if err := r.Validate(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Field = strings.Replace(e.Field, "rule.", "customRule.", 1)
		}
		return VoteRule{}, err
	}
	return r, nil
}

// buildingOf is the building (or NULL) of household $h in a roll statement.
const buildingOf = `(SELECT b.id FROM places h JOIN places b ON b.id = ANY (h.path) AND b.level = 'building' WHERE h.id = r.household_id)`

// OpenVoteIn opens a vote on a topic, by staff of its community: in a running meeting, on a
// topic of its agenda, with the meeting's roll; or standalone online (网上表决) in a
// community or compound, with a roll drawn now by the rule's basis. Errors: UNAUTHENTICATED,
// NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) OpenVoteIn(ctx context.Context, v *Viewer, in OpenVote) (*Vote, error) {
	if v == nil {
		return nil, needSignIn
	}
	title, err := text("title", "表决事项", in.Title, 1, 100)
	if err != nil {
		return nil, err
	}
	options, motion, err := voteOptions(in.Options)
	if err != nil {
		return nil, err
	}
	rule, err := voteRule(in)
	if err != nil {
		return nil, err
	}
	if (in.MeetingID == nil) == (in.PlaceID == nil) {
		return nil, Invalid("meetingId", "会上表决填写 meetingId，网上表决填写 placeId，二者填且只填一个")
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	opens := tx.now
	if in.OpensAt != nil {
		if in.MeetingID != nil {
			return nil, Invalid("opensAt", "会上表决发起即开始，不填 opensAt")
		}
		if in.OpensAt.Before(tx.now.Add(-time.Minute)) {
			return nil, Invalid("opensAt", "开始时间不能早于现在")
		}
		opens = in.OpensAt.UTC()
	}
	if !in.ClosesAt.After(opens) || !in.ClosesAt.After(tx.now) {
		return nil, Invalid("closesAt", "截止时间必须晚于开始时间和现在")
	}
	if in.ClosesAt.Sub(opens) > maxMeetingLength {
		return nil, Invalid("closesAt", "表决最长 31 天")
	}
	var place, community *Place
	var basis EntitlementBasis
	var roll string
	var rollArgs []any
	if in.MeetingID != nil {
		lm, err := tx.lockMeeting(v, *in.MeetingID, true)
		if err != nil {
			return nil, err
		}
		place, community, basis = lm.place, lm.community, lm.Basis
		if !v.Holds(community, RoleStaff) {
			return nil, forbidden("只有%s的社区工作者可以发起表决", community.Name)
		}
		if lm.State != MeetingRunning {
			return nil, wrongMeetingState(lm.Meeting, "发起表决（会议进行中才能表决）")
		}
		if lm.Kind == MeetingOpenForum {
			return nil, Invalid("meetingId", "广场夜谈只听取意见，不作有约束力的表决；请在居民会议、议事会等会议上或网上表决")
		}
		if in.Rule != PresetCustom && (lm.Kind == MeetingOwnersAssembly) != slices.Contains(ownersPresets, in.Rule) {
			return nil, Invalid("rule", "业主大会使用业主表决规则，其他会议不能使用")
		}
		var onAgenda bool
		if err := tx.get(&onAgenda, `SELECT EXISTS (SELECT 1 FROM meeting_topics WHERE meeting_id = $1 AND topic_id = $2)`,
			lm.ID, in.TopicID); err != nil {
			return nil, err
		}
		if !onAgenda {
			return nil, Invalid("topicId", "只能就本次会议议程中的议题表决")
		}
		roll, rollArgs = `SELECT head, resident_id, household_id, area_dm2 FROM meeting_entitled WHERE meeting_id = $2`, []any{lm.ID}
	} else {
		if place, err = tx.place(*in.PlaceID); err != nil {
			return nil, withField(err, "placeId")
		}
		if place.Level != LevelCommunity && place.Level != LevelCompound {
			return nil, Invalid("placeId", "网上表决在社区或小区范围内进行")
		}
		if community, err = tx.communityOf(place); err != nil {
			return nil, err
		}
		if !v.Holds(community, RoleStaff) {
			return nil, forbidden("只有%s的社区工作者可以发起表决", community.Name)
		}
		basis = ruleBases[in.Rule]
		if in.Basis != nil {
			basis = *in.Basis
		} else if in.Rule == PresetCustom {
			return nil, Invalid("basis", "自定义规则须写明谁有权投票（basis）")
		}
		if basis == BasisOwners && place.Level != LevelCompound {
			return nil, Invalid("placeId", "业主表决在小区范围内进行，请选择小区")
		}
		if in.Rule != PresetCustom && slices.Contains(ownersPresets, in.Rule) != (basis == BasisOwners) {
			return nil, Invalid("basis", "业主表决规则只用于业主投票")
		}
		if !slices.Contains(bases, basis) {
			return nil, Invalid("basis", "投票人范围无效")
		}
		roll, rollArgs = `SELECT r.resident_id AS head, r.* FROM (`+rollSelect[basis]+`) r`, []any{place.ID}
		switch basis {
		case BasisAdultResidents, BasisHouseholdRepresentatives:
			rollArgs = append(rollArgs, adultBorn(tx.now))
		case BasisCouncilMembers:
			rollArgs[0] = community.ID
		case BasisOwners:
			heads, residents, households, areas, err := tx.ownersRoll(place.ID)
			if err != nil {
				return nil, err
			}
			roll, rollArgs = ownersRollSelect, []any{heads, residents, households, areas}
		}
	}
	lt, err := tx.lockTopic(v, in.TopicID)
	if err != nil {
		return nil, withField(err, "topicId")
	}
	if lt.CommunityID != community.ID {
		return nil, Invalid("topicId", "议题不属于%s", community.Name)
	}
	switch lt.State {
	case TopicAccepted:
		why := "发起表决「" + title + "」"
		if err := tx.transitionTopic(lt, TopicUnderDiscussion, TopicDiscuss, &v.Account.ID, &why, ""); err != nil {
			return nil, err
		}
	case TopicUnderDiscussion, TopicVoted:
	default:
		return nil, wrongTopicState(lt.Topic, "表决（已受理、协商中或已表决未通过的议题才能表决）")
	}
	var id int64
	if err := tx.get(&id, `INSERT INTO votes (meeting_id, topic_id, place_id, community_id, basis, title, secret, changeable,
			motion, opened_by, opens_at, closes_at, rule, quorum_num, quorum_den, quorum_strict, pass_num, pass_den, pass_strict,
			by_area, quorum_basis, abstentions, entitled_heads, entitled_area)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, 0, 0) RETURNING id`,
		in.MeetingID, in.TopicID, place.ID, community.ID, basis, title, in.Secret, in.Changeable, motion, v.Account.ID,
		opens, in.ClosesAt.UTC(), rule.Preset, rule.Quorum.Num, rule.Quorum.Den, rule.Quorum.Strict, rule.Pass.Num,
		rule.Pass.Den, rule.Pass.Strict, rule.ByArea, rule.QuorumBasis, rule.Abstentions); err != nil {
		return nil, err
	}
	for i, o := range options {
		if _, err := tx.exec(`INSERT INTO vote_options (vote_id, position, label) VALUES ($1, $2, $3)`, id, i, o); err != nil {
			return nil, err
		}
	}
	if in.Secret {
		if err := tx.makeStripes(id, len(options)); err != nil {
			return nil, err
		}
	}
	// The roll is fixed now, and so are its totals (0 until this statement): the vote keeps
	// them, so that a cast's answer need not count the roll again (the close counts it once
	// more and stores the same).
	var heads int64
	if err := tx.get(&heads, `WITH e AS (INSERT INTO vote_entitled (vote_id, head, resident_id, household_id, building_id, area_dm2)
			SELECT $1, r.head, r.resident_id, r.household_id, `+buildingOf+`, r.area_dm2 FROM (`+roll+`) r RETURNING head, area_dm2)
		UPDATE votes SET entitled_heads = (SELECT count(DISTINCT head) FROM e),
			entitled_area = (SELECT coalesce(sum(area_dm2), 0) FROM e)
		WHERE id = $1 RETURNING entitled_heads`, append([]any{id}, rollArgs...)...); err != nil {
		return nil, err
	}
	if heads == 0 {
		return nil, Errorf(EINVALIDSTATE, "按「%s」没有一个有权投票的人，不能发起表决", basis.Name())
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	s.boxedVotes.Store(id, in.Secret && !in.Changeable)
	return s.VoteByID(ctx, v, id)
}

// ballotKeyBytes returns the server's ballot key: BallotKey, or what LoadBallotKey gives.
func (s *Store) ballotKeyBytes() ([]byte, error) {
	if len(s.BallotKey) >= 32 {
		return s.BallotKey, nil
	}
	s.ballotKeyOnce.Do(func() {
		if s.LoadBallotKey == nil {
			s.ballotKeyErr = errors.New("no ballot key configured")
			return
		}
		s.ballotKey, s.ballotKeyErr = s.LoadBallotKey()
		if s.ballotKeyErr == nil && len(s.ballotKey) < 32 {
			s.ballotKeyErr = errors.New("ballot key shorter than 32 bytes")
		}
	})
	return s.ballotKey, s.ballotKeyErr
}

// castQuery locks vote $1 to cast (FOR SHARE, as lockVote) and reads, in the same statement,
// its community, the heads on its roll of residents $2 with each head's area (the sum of its
// rows), its options in order and, for an open secret vote, a stripe of its sealed sums that
// no other cast holds (NULL when all are held). The vote is locked first (in its own step,
// so before the stripe: closing locks the vote, then the stripes), and every cast takes its
// stripe before its participation, whose trigger locks a turnout stripe: one order for all,
// so that nobody waits on a lock its waiter holds.
var castQuery = `WITH v AS MATERIALIZED (SELECT * FROM votes WHERE id = $1 FOR SHARE)
	SELECT ` + voteColumns + `, ` + prefixed("c", "community", placeColumns) + `,
		roll.residents, roll.heads, roll.areas,
		ARRAY(SELECT o.label FROM vote_options o WHERE o.vote_id = v.id ORDER BY o.position) AS labels,
		s.stripe, s.sealed
	FROM v JOIN places c ON c.id = v.community_id
	LEFT JOIN LATERAL (SELECT array_agg(e.resident_id) AS residents, array_agg(e.head) AS heads,
			array_agg((SELECT sum(x.area_dm2) FROM vote_entitled x WHERE x.vote_id = e.vote_id AND x.head = e.head)::bigint) AS areas
		FROM vote_entitled e WHERE e.vote_id = v.id AND e.resident_id = ANY($2::bigint[])) roll ON true
	LEFT JOIN LATERAL (SELECT b.stripe, b.sealed FROM ballot_sums b WHERE b.vote_id = v.id AND v.secret AND v.state = 'open'
		ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED) s ON true`

// castRow is a vote locked to cast, as castQuery reads it.
type castRow struct {
	voteRow
	Community Place          `db:"community"`
	Residents pq.Int64Array  `db:"residents"` // of those asked about, the ones on the roll
	Heads     pq.Int64Array  `db:"heads"`     // their heads, in the same order
	Areas     pq.Int64Array  `db:"areas"`     // and their heads' areas
	Labels    pq.StringArray `db:"labels"`
	sumsStripe
}

// readCast locks vote id to cast in it the ballots of residents (0 for none). NOT_FOUND if
// there is no such vote.
func (tx *Tx) readCast(id int64, residents []int64) (*castRow, error) {
	r := new(castRow)
	if err := tx.get(r, castQuery, id, pq.Array(residents)); err != nil {
		return nil, notFound(err, "找不到这次表决")
	}
	return r, nil
}

// castEntry is a ballot that may be cast: the voter's head on the roll, the head's area,
// and the chosen option's position.
type castEntry struct {
	resident, head, area int64
	pos                  int
}

// castAllowed says whether v may cast option in vote r, and if so with which head and area.
// The refusals come in the order a voter is told them: a vote they may not see, one not
// open, their place on the roll, the option.
func (tx *Tx) castAllowed(v *Viewer, r *castRow, option string) (castEntry, error) {
	if !v.SeesMeetings(&r.Community) {
		return castEntry{}, &Error{Code: ENOTFOUND, Message: "找不到这次表决"}
	}
	if r.State != VoteOpen || !tx.now.Before(r.ClosesAt) {
		return castEntry{}, Errorf(EINVALIDSTATE, "表决已经结束，不能再投票")
	}
	if tx.now.Before(r.OpensAt) {
		return castEntry{}, Errorf(EINVALIDSTATE, "表决还没有开始，%s开始投票", r.OpensAt.In(china).Format("1月2日15:04"))
	}
	notOnRoll := forbidden("你不在本次表决的投票人名单中（名单在发起表决时确定），不能投票")
	if v.Resident == nil {
		return castEntry{}, notOnRoll
	}
	i := slices.Index(r.Residents, v.Resident.ID)
	if i < 0 || i >= len(r.Heads) || i >= len(r.Areas) {
		why, err := tx.coOwnerRefusal(r.ID, v.Resident.ID)
		if err != nil {
			return castEntry{}, err
		} else if why != "" {
			return castEntry{}, forbidden("%s", why)
		}
		return castEntry{}, notOnRoll
	}
	pos := slices.Index(r.Labels, strings.TrimSpace(option))
	if pos < 0 {
		return castEntry{}, Invalid("option", "没有这个选项，可选：%s", strings.Join(r.Labels, "、"))
	}
	return castEntry{resident: v.Resident.ID, head: r.Heads[i], area: r.Areas[i], pos: pos}, nil
}

// headHolders returns who holds the ballot of each of the heads of vote that has one.
func (tx *Tx) headHolders(vote int64, heads []int64) (map[int64]headHolder, error) {
	var rows []struct {
		Head int64 `db:"head"`
		headHolder
	}
	if err := tx.selectRows(&rows, `SELECT p.head, r.id, r.name FROM vote_participation p JOIN residents r ON r.id = p.resident_id
		WHERE p.vote_id = $1 AND p.head = ANY($2)`, vote, pq.Array(heads)); err != nil {
		return nil, err
	}
	m := make(map[int64]headHolder, len(rows))
	for _, r := range rows {
		m[r.Head] = r.headHolder
	}
	return m, nil
}

// headHolder is the resident who holds a head's ballot.
type headHolder struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// refusal is why resident may not cast again for a head that holder holds, in a vote that
// can be changeable; nil if they may (they hold it, and may change it).
func (h headHolder) refusal(resident int64, changeable bool) error {
	switch {
	case h.ID != resident:
		return Errorf(ECONFLICT, "本户已由共有人%s投票，一个专有部分只有一票", h.Name)
	case !changeable:
		return votedAlready()
	}
	return nil
}

func votedAlready() error { return Errorf(ECONFLICT, "你已经投过票，本次表决不能改票") }

// CastBallot casts (or, in a changeable vote, replaces) the viewer's ballot. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (not on the roll), INVALID_STATE (closed or past
// its closing time), INVALID_INPUT (option), CONFLICT (already voted, not changeable).
//
// In a secret vote that cannot be changed, casts that arrive together are written together
// (castInBox); the first cast of a vote that this process sees is written alone, and tells
// it which kind the vote is.
func (s *Store) CastBallot(ctx context.Context, v *Viewer, voteID int64, option string) (*Vote, error) {
	if v == nil {
		return nil, needSignIn
	}
	if boxed, ok := s.boxedVotes.Load(voteID); ok && boxed.(bool) && v.Resident != nil {
		return s.castInBox(ctx, v, voteID, option)
	}
	return s.castAlone(ctx, v, voteID, option)
}

// castAlone casts the viewer's ballot in a transaction of its own.
func (s *Store) castAlone(ctx context.Context, v *Viewer, voteID int64, option string) (*Vote, error) {
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var residents []int64
	if v.Resident != nil {
		residents = []int64{v.Resident.ID}
	}
	r, err := tx.readCast(voteID, residents)
	if err != nil {
		return nil, err
	}
	s.boxedVotes.Store(voteID, r.Secret && !r.Changeable)
	c, err := tx.castAllowed(v, r, option)
	if err != nil {
		return nil, err
	}
	lv := &lockedVote{voteRow: r.voteRow, community: &r.Community}
	labels := []string(r.Labels)
	var sealer *ballotSealer
	if lv.Secret {
		if sealer, err = tx.sumsStripe(lv.ID, len(labels), &r.sumsStripe); err != nil {
			return nil, err
		}
	}
	// One ballot per head: the first of its co-owners to get here holds it (a second waits
	// on the unique index until the first commits or rolls back); in a changeable vote only
	// they may change it.
	var took []int64
	if err := tx.selectRows(&took, `INSERT INTO vote_participation (vote_id, resident_id, head) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING RETURNING resident_id`, voteID, c.resident, c.head); err != nil {
		return nil, err
	}
	if len(took) == 0 {
		holders, err := tx.headHolders(voteID, []int64{c.head})
		if err != nil {
			return nil, err
		}
		if err := holders[c.head].refusal(c.resident, lv.Changeable); err != nil {
			return nil, err
		}
	}
	if lv.Secret {
		out := newVote(&lv.voteRow, labels)
		out.HasVoted = true
		if out.Turnout, err = tx.castSecret(lv, sealer, &r.sumsStripe, c.resident, len(labels), c.pos, c.area); err == nil {
			return out, tx.Commit()
		}
	} else {
		q := `INSERT INTO open_ballots (vote_id, resident_id, position, area_dm2, cast_at) VALUES ($1, $2, $3, $4, $5)`
		if lv.Changeable {
			q += ` ON CONFLICT (vote_id, resident_id) DO UPDATE SET position = EXCLUDED.position, cast_at = EXCLUDED.cast_at`
		}
		_, err = tx.exec(q, voteID, c.resident, c.pos, c.area, tx.now)
	}
	if sqlState(err) == uniqueViolation {
		return nil, votedAlready()
	} else if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.VoteByID(ctx, v, voteID) // its tallies and roll call are read afresh
}

// turnoutColumns are the turnout of vote v: the roll counted by head (stored when the vote
// opened), and who took part, from the turnout stripes while it is open and as stored once
// it closed.
const turnoutColumns = `v.entitled_heads AS entitledheads, v.entitled_area AS entitledareadm2,
	CASE WHEN v.state = 'closed' THEN v.participating_heads
		ELSE (SELECT coalesce(sum(t.heads), 0) FROM vote_turnout t WHERE t.vote_id = v.id) END::bigint AS participatingheads,
	CASE WHEN v.state = 'closed' THEN v.participating_area
		ELSE (SELECT coalesce(sum(t.area_dm2), 0) FROM vote_turnout t WHERE t.vote_id = v.id) END::bigint AS participatingdm2`

// turnouts returns the turnout of each of the votes: the roll counted by head, and who took
// part, from the turnout stripes while a vote is open and as stored once it closed.
func (tx *Tx) turnouts(ids []int64) (map[int64]VoteCount, error) {
	var rows []struct {
		VoteID int64 `db:"vote_id"`
		VoteCount
	}
	if err := tx.selectRows(&rows, `SELECT v.id AS vote_id, `+turnoutColumns+` FROM votes v WHERE v.id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	m := make(map[int64]VoteCount, len(rows))
	for _, r := range rows {
		m[r.VoteID] = r.VoteCount
	}
	return m, nil
}

// TurnoutByBuilding returns each vote's turnout per building, for the buildings with
// someone on its roll (households in no building last, with no building): a head with parts
// in two buildings is a head in each.
func (s *Store) TurnoutByBuilding(ctx context.Context, ids []int64) (map[int64][]*BuildingTurnout, error) {
	return buildingTurnouts(func(dest any, q string, args ...any) error { return s.selectRows(ctx, dest, q, args...) }, ids)
}

// buildingTurnouts is TurnoutByBuilding with the statement run by selectRows (a Store's or a Tx's).
func buildingTurnouts(selectRows func(dest any, q string, args ...any) error, ids []int64) (map[int64][]*BuildingTurnout, error) {
	var rows []struct {
		VoteID int64 `db:"vote_id"`
		BuildingTurnout
	}
	if err := selectRows(&rows, `SELECT e.vote_id, e.building_id,
			count(DISTINCT e.head) AS entitledheads, coalesce(sum(e.area_dm2), 0)::bigint AS entitledareadm2,
			count(DISTINCT e.head) FILTER (WHERE p.head IS NOT NULL) AS participatingheads,
			coalesce(sum(e.area_dm2) FILTER (WHERE p.head IS NOT NULL), 0)::bigint AS participatingdm2
		FROM vote_entitled e LEFT JOIN vote_participation p ON p.vote_id = e.vote_id AND p.head = e.head
		WHERE e.vote_id = ANY($1) GROUP BY e.vote_id, e.building_id
		ORDER BY e.vote_id, e.building_id`, pq.Array(ids)); err != nil {
		return nil, err
	}
	m := make(map[int64][]*BuildingTurnout, len(ids))
	for _, r := range rows {
		b := r.BuildingTurnout
		m[r.VoteID] = append(m[r.VoteID], &b)
	}
	return m, nil
}

type positionCount struct {
	Position int   `db:"position"`
	Heads    int64 `db:"heads"`
	Area     int64 `db:"area"`
}

// tallies counts the ballots of a vote per option position.
func (tx *Tx) tallies(lv *lockedVote) ([]positionCount, error) {
	if lv.Secret {
		return tx.secretTallies(lv)
	}
	var rows []positionCount
	err := tx.selectRows(&rows, `SELECT o.position, count(b.position) AS heads, coalesce(sum(b.area_dm2), 0)::bigint AS area
		FROM vote_options o LEFT JOIN open_ballots b ON b.vote_id = o.vote_id AND b.position = o.position
		WHERE o.vote_id = $1 GROUP BY o.position ORDER BY o.position`, lv.ID)
	return rows, err
}

// CloseVote closes an open vote, by staff of the community, and stores its result. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE.
func (s *Store) CloseVote(ctx context.Context, v *Viewer, voteID int64) (*Vote, error) {
	if v == nil {
		return nil, needSignIn
	}
	_, err := inLockedTx(ctx, s, func(tx *Tx) (*lockedVote, error) { return tx.lockVote(v, voteID, false) },
		func(tx *Tx, lv *lockedVote) error {
			if !v.Holds(lv.community, RoleStaff) {
				return forbidden("只有%s的社区工作者可以结束表决", lv.community.Name)
			}
			if lv.State != VoteOpen {
				return Errorf(EINVALIDSTATE, "表决已经结束")
			}
			return tx.closeVote(lv, &v.Account.ID)
		})
	if err != nil {
		return nil, err
	}
	s.vacuumBallots(ctx)
	return s.VoteByID(ctx, v, voteID)
}

// CloseDueVotes closes the open votes whose closing time has come, each in its own
// transaction; votes being closed elsewhere are skipped (SKIP LOCKED), so sweepers in several
// processes close each vote once. It returns how many it closed, at most 1,000 per call.
func (s *Store) CloseDueVotes(ctx context.Context) (int, error) {
	n := 0
	for ; n < 1000; n++ {
		tx, err := s.Begin(ctx)
		if err != nil {
			return n, err
		}
		var ids []int64
		if err := tx.selectRows(&ids, `SELECT id FROM votes WHERE state = 'open' AND closes_at <= $1
			ORDER BY closes_at LIMIT 1 FOR UPDATE SKIP LOCKED`, tx.now); err != nil || len(ids) == 0 {
			tx.Rollback()
			if n > 0 {
				s.vacuumBallots(ctx)
			}
			return n, err
		}
		lv, err := tx.lockVote(nil, ids[0], false)
		if err == nil {
			err = tx.closeVote(lv, nil)
		}
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// closeVote closes the locked, open vote and stores its result: computed once, here, under
// the vote's exclusive lock, so every ballot committed before is in it and none can come
// after. by is nil when the vote closes on its own. The topic moves on: to voted, and with a
// passed motion to a published resolution.
func (tx *Tx) closeVote(lv *lockedVote, by *int64) error {
	rule := lv.rule()
	var c struct {
		EntitledHeads int64 `db:"entitled_heads"`
		EntitledArea  int64 `db:"entitled_area"`
		PartHeads     int64 `db:"part_heads"`
		PartArea      int64 `db:"part_area"`
		PresentHeads  int64 `db:"present_heads"`
		PresentArea   int64 `db:"present_area"`
	}
	// Present is who checked in at the vote's meeting — and anyone who voted, who was
	// evidently there; with no meeting, and for rules counting who voted (QuorumVoted), it is
	// who voted.
	meetings := []int64{}
	if lv.MeetingID != nil {
		meetings = append(meetings, *lv.MeetingID)
	}
	// Counted by head: a head's area is the sum of its rows; it took part if one of its
	// voters did, was present if one of them checked in.
	if err := tx.get(&c, `SELECT count(DISTINCT e.head) AS entitled_heads, coalesce(sum(e.area_dm2), 0)::bigint AS entitled_area,
			count(DISTINCT e.head) FILTER (WHERE p.head IS NOT NULL) AS part_heads,
			coalesce(sum(e.area_dm2) FILTER (WHERE p.head IS NOT NULL), 0)::bigint AS part_area,
			count(DISTINCT e.head) FILTER (WHERE p.head IS NOT NULL OR a.head IS NOT NULL) AS present_heads,
			coalesce(sum(e.area_dm2) FILTER (WHERE p.head IS NOT NULL OR a.head IS NOT NULL), 0)::bigint AS present_area
		FROM vote_entitled e
		LEFT JOIN vote_participation p ON p.vote_id = e.vote_id AND p.head = e.head
		LEFT JOIN (`+presentHeads+`) a ON a.head = e.head
		WHERE e.vote_id = $2`, pq.Array(meetings), lv.ID); err != nil {
		return err
	}
	if rule.QuorumBasis == QuorumVoted {
		c.PresentHeads, c.PresentArea = c.PartHeads, c.PartArea
	}
	counts, err := tx.tallies(lv)
	if err != nil {
		return err
	}
	t := Tally{Entitled: Count{c.EntitledHeads, c.EntitledArea}, Present: Count{c.PresentHeads, c.PresentArea}}
	var passed *bool
	var top *int
	if lv.Motion {
		t.Approve = Count{counts[0].Heads, counts[0].Area}
		t.Oppose = Count{counts[1].Heads, counts[1].Area}
		t.Abstain = Count{counts[2].Heads, counts[2].Area}
	} else {
		// A choice among options has no pass/fail: every ballot counts as taking part.
		t.Abstain = Count{c.PartHeads, c.PartArea}
		best, tie := -1, false
		for i, pc := range counts {
			switch {
			case best < 0 || pc.Heads > counts[best].Heads:
				best, tie = i, false
			case pc.Heads == counts[best].Heads:
				tie = true
			}
		}
		if !tie && counts[best].Heads > 0 {
			top = &counts[best].Position
		}
	}
	d, err := rule.Decide(t)
	if err != nil {
		return err
	}
	if lv.Motion {
		passed = &d.Passed
	}
	if _, err := tx.exec(`UPDATE votes SET state = 'closed', closed_at = $2, closed_by = $3, entitled_heads = $4, entitled_area = $5,
			present_heads = $6, present_area = $7, participating_heads = $8, participating_area = $9, quorum_met = $10,
			passed = $11, top_position = $12 WHERE id = $1`,
		lv.ID, tx.now, by, c.EntitledHeads, c.EntitledArea, c.PresentHeads, c.PresentArea, c.PartHeads, c.PartArea,
		d.QuorumMet, passed, top); err != nil {
		return err
	}
	for _, pc := range counts {
		if _, err := tx.exec(`INSERT INTO vote_results (vote_id, position, heads, area_dm2) VALUES ($1, $2, $3, $4)`,
			lv.ID, pc.Position, pc.Heads, pc.Area); err != nil {
			return err
		}
	}
	if lv.Secret {
		if err := tx.forgetBallots(lv.ID); err != nil {
			return err
		}
	}
	// The turnout stripes are done with: the vote keeps its participation from now on.
	if _, err := tx.exec(`DELETE FROM vote_turnout WHERE vote_id = $1`, lv.ID); err != nil {
		return err
	}
	outcome := "未通过"
	switch {
	case !lv.Motion && top != nil:
		var label string
		if err := tx.get(&label, `SELECT label FROM vote_options WHERE vote_id = $1 AND position = $2`, lv.ID, *top); err != nil {
			return err
		}
		outcome = "结束，得票最多的是「" + label + "」"
	case !lv.Motion:
		outcome = "没有得票最多的唯一选项"
	case d.Passed:
		outcome = "通过"
	case !d.QuorumMet && rule.QuorumBasis == QuorumVoted:
		outcome = "未通过（参与表决的人数或面积未达到规定比例）"
	case !d.QuorumMet:
		outcome = "未通过（到会人数未达到规定比例）"
	}
	return tx.afterVote(lv, by, d.Passed && lv.Motion, "表决「"+lv.Title+"」"+outcome)
}

// newVote is the vote of row r with its options, before what is counted.
func newVote(r *voteRow, options []string) *Vote {
	out := &Vote{ID: r.ID, MeetingID: r.MeetingID, TopicID: r.TopicID, PlaceID: r.PlaceID, CommunityID: r.CommunityID,
		Basis: r.Basis, Title: r.Title, Secret: r.Secret, Changeable: r.Changeable, Rule: r.rule(), State: r.State,
		OpensAt: r.OpensAt, ClosesAt: r.ClosesAt, ClosedAt: r.ClosedAt, Options: options}
	if !r.Secret {
		out.RollCall = []*RollCallEntry{}
	}
	return out
}

// VoteByID returns the vote as v may see it, NOT_FOUND if v may not see its community.
func (s *Store) VoteByID(ctx context.Context, v *Viewer, id int64) (*Vote, error) {
	vs, err := s.Votes(ctx, v, []int64{id})
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这次表决"}
	}
	return vs[0], nil
}

// Votes returns the votes with the given ids that v may see, in the order of ids, in a fixed
// number of statements however many there are.
func (s *Store) Votes(ctx context.Context, v *Viewer, ids []int64) ([]*Vote, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	byID, _, err := tx.voteStates(ids, v.SeesMeetings)
	if err != nil || len(byID) == 0 {
		return nil, err
	}
	if v.Resident != nil {
		var voted []int64
		if err := tx.selectRows(&voted, `SELECT vote_id FROM vote_participation WHERE resident_id = $1 AND vote_id = ANY($2)`,
			v.Resident.ID, pq.Array(slices.Collect(maps.Keys(byID)))); err != nil {
			return nil, err
		}
		for _, id := range voted {
			byID[id].HasVoted = true
		}
	}
	list := make([]*Vote, 0, len(byID))
	for _, id := range ids {
		if out := byID[id]; out != nil {
			out.MyChoice = out.choiceOf(v)
			list = append(list, out)
		}
	}
	return list, nil
}

// choiceOf is v's option in a roll-call vote (nil if they have none or the vote is secret).
func (vt *Vote) choiceOf(v *Viewer) *string {
	for _, e := range vt.RollCall {
		if v.IsResident(e.Voter.ID) {
			return &e.Option
		}
	}
	return nil
}

// SharedVote is a vote as everyone who may see it sees it, with its community and who has
// voted: everything Votes reads, in a fixed number of statements however many will look at
// it. A live subscription reads it once for all its subscribers in the process, and each
// takes its own view with For; nothing in it reaches a client but through For.
type SharedVote struct {
	vote      *Vote
	community *Place
	voters    []int64 // the residents who took part, ascending
	buildings []*BuildingTurnout
	byBuild   bool // buildings was read
}

// SharedVote reads vote id for every viewer at once (NOT_FOUND if there is none); with
// buildings, its turnout per building too (TurnoutByBuilding, which depends on no viewer).
func (s *Store) SharedVote(ctx context.Context, id int64, buildings bool) (*SharedVote, error) {
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	byID, communities, err := tx.voteStates([]int64{id}, func(*Place) bool { return true })
	if err != nil {
		return nil, err
	}
	vt := byID[id]
	if vt == nil {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这次表决"}
	}
	sv := &SharedVote{vote: vt, community: communities[vt.CommunityID]}
	if err := tx.selectRows(&sv.voters, `SELECT resident_id FROM vote_participation WHERE vote_id = $1 ORDER BY resident_id`, id); err != nil {
		return nil, err
	}
	if buildings {
		m, err := buildingTurnouts(tx.selectRows, []int64{id})
		if err != nil {
			return nil, err
		}
		sv.buildings, sv.byBuild = m[id], true
	}
	return sv, nil
}

// Buildings is the turnout per building as TurnoutByBuilding reads it, if SharedVote read it
// (ok). Callers do not change the rows.
func (sv *SharedVote) Buildings() (rows []*BuildingTurnout, ok bool) { return sv.buildings, sv.byBuild }

// For is the vote as Votes answers it to v: nil if v may not see it. The copy shares its
// slices with the shared vote; nobody changes them.
func (sv *SharedVote) For(v *Viewer) *Vote {
	if v == nil || !v.SeesMeetings(sv.community) {
		return nil
	}
	out := *sv.vote
	if v.Resident != nil {
		_, out.HasVoted = slices.BinarySearch(sv.voters, v.Resident.ID)
	}
	out.MyChoice = out.choiceOf(v)
	return &out
}

// voteStates reads the votes with the given ids whose community sees allows, with all that
// does not depend on a viewer (no HasVoted, no MyChoice), and their communities.
func (tx *Tx) voteStates(ids []int64, sees func(community *Place) bool) (map[int64]*Vote, map[int64]*Place, error) {
	var rows []voteRow
	if err := tx.selectRows(&rows, `SELECT `+voteColumns+` FROM votes v WHERE v.id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, nil, err
	}
	communityIDs := make([]int64, len(rows))
	for i, r := range rows {
		communityIDs[i] = r.CommunityID
	}
	communities, err := tx.places(communityIDs...)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[int64]*Vote, len(rows))
	var visible, open []int64
	for _, r := range rows {
		if !sees(communities[r.CommunityID]) {
			continue
		}
		out := newVote(&r, nil)
		byID[r.ID] = out
		visible = append(visible, r.ID)
		if !r.Secret && r.State == VoteOpen {
			open = append(open, r.ID)
		}
	}
	if len(visible) == 0 {
		return nil, communities, nil
	}
	var options []struct {
		VoteID int64  `db:"vote_id"`
		Label  string `db:"label"`
	}
	if err := tx.selectRows(&options, `SELECT vote_id, label FROM vote_options WHERE vote_id = ANY($1) ORDER BY vote_id, position`,
		pq.Array(visible)); err != nil {
		return nil, nil, err
	}
	for _, o := range options {
		byID[o.VoteID].Options = append(byID[o.VoteID].Options, o.Label)
	}
	turnouts, err := tx.turnouts(visible)
	if err != nil {
		return nil, nil, err
	}
	for id, t := range turnouts {
		byID[id].Turnout = t
	}
	// Tallies: the stored result once closed; live for open roll-call votes; none for open
	// secret votes.
	var counts []struct {
		VoteID int64 `db:"vote_id"`
		positionCount
	}
	if err := tx.selectRows(&counts, `SELECT vote_id, position, heads, area_dm2 AS area FROM vote_results WHERE vote_id = ANY($1)
		UNION ALL
		SELECT o.vote_id, o.position, count(b.position), coalesce(sum(b.area_dm2), 0)::bigint
		FROM vote_options o LEFT JOIN open_ballots b ON b.vote_id = o.vote_id AND b.position = o.position
		WHERE o.vote_id = ANY($2) GROUP BY o.vote_id, o.position
		ORDER BY 1, 2`, pq.Array(visible), pq.Array(open)); err != nil {
		return nil, nil, err
	}
	for _, c := range counts {
		out := byID[c.VoteID]
		out.Tallies = append(out.Tallies, &OptionTally{Option: out.Options[c.Position], Heads: int(c.Heads), AreaDm2: int(c.Area)})
	}
	for _, r := range rows {
		out := byID[r.ID]
		if out == nil || r.State != VoteClosed {
			continue
		}
		out.Result = &VoteResult{QuorumMet: *r.QuorumMet, Passed: r.Passed, PresentHeads: int(*r.PresentHeads),
			PresentDm2: int(*r.PresentArea), ClosedBy: r.ClosedBy}
		if r.TopPosition != nil {
			out.Result.Top = &out.Options[*r.TopPosition]
		}
	}
	var rc []struct {
		VoteID        int64         `db:"vote_id"`
		ResidentID    int64         `db:"resident_id"`
		Name          string        `db:"name"`
		AccountID     *int64        `db:"account_id"`
		HouseholdID   int64         `db:"household_id"`
		HouseholdPath pq.Int64Array `db:"household_path"`
		Option        string        `db:"label"`
	}
	if err := tx.selectRows(&rc, `SELECT b.vote_id, b.resident_id, r.name, r.account_id, r.household_id, h.path AS household_path, o.label
		FROM open_ballots b JOIN residents r ON r.id = b.resident_id JOIN places h ON h.id = r.household_id
		JOIN vote_options o ON o.vote_id = b.vote_id AND o.position = b.position
		WHERE b.vote_id = ANY($1) ORDER BY b.vote_id, r.id`, pq.Array(visible)); err != nil {
		return nil, nil, err
	}
	for _, e := range rc {
		out := byID[e.VoteID]
		voter := &Resident{ID: e.ResidentID, Name: e.Name, AccountID: e.AccountID, HouseholdID: e.HouseholdID, HouseholdPath: e.HouseholdPath}
		out.RollCall = append(out.RollCall, &RollCallEntry{Voter: voter, Option: e.Option})
	}
	return byID, communities, nil
}

// VoteIDsByMeeting returns the votes of each meeting, oldest first.
func (s *Store) VoteIDsByMeeting(ctx context.Context, meetingIDs []int64) (map[int64][]int64, error) {
	return selectGroupedIDs(ctx, s, `SELECT meeting_id AS key, id FROM votes WHERE meeting_id = ANY($1) ORDER BY id`, meetingIDs)
}

// VoteIDsByTopic returns the votes on each topic, oldest first.
func (s *Store) VoteIDsByTopic(ctx context.Context, topicIDs []int64) (map[int64][]int64, error) {
	return selectGroupedIDs(ctx, s, `SELECT topic_id AS key, id FROM votes WHERE topic_id = ANY($1) ORDER BY id`, topicIDs)
}

// VoteList lists the votes v may see, newest first: in place (0: any) or a place under it,
// in one of states (none: any).
func (s *Store) VoteList(ctx context.Context, v *Viewer, place int64, states []VoteState, p Page) (Paged[*Vote], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Vote]{}, nil, needSignIn
	}
	ids, count, err := communityList(ctx, s, v, "v.id", "votes v", "v", "v.place_id", place, pq.Array(states), "vote_state", p,
		func(id int64) Key { return idKey(id) })
	if err != nil {
		return Paged[*Vote]{}, nil, err
	}
	votes, err := s.Votes(ctx, v, ids.Items)
	if err != nil {
		return Paged[*Vote]{}, nil, err
	}
	out := Paged[*Vote]{HasNext: ids.HasNext, HasPrevious: ids.HasPrevious}
	for _, vt := range votes {
		out.Items = append(out.Items, vt)
		out.Keys = append(out.Keys, idKey(vt.ID))
	}
	return out, count, nil
}
