package db

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"time"
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
	ID                 int64          `db:"id"`
	MeetingID          int64          `db:"meeting_id"`
	TopicID            int64          `db:"topic_id"`
	Title              string         `db:"title"`
	Rule               VoteRulePreset `db:"rule"`
	Secret             bool           `db:"secret"`
	Changeable         bool           `db:"changeable"`
	Motion             bool           `db:"motion"`
	OpensAt            time.Time      `db:"opens_at"`
	ClosesAt           time.Time      `db:"closes_at"`
	State              VoteState      `db:"state"`
	EntitledHeads      *int64         `db:"entitled_heads"`
	EntitledArea       *int64         `db:"entitled_area"`
	PresentHeads       *int64         `db:"present_heads"`
	PresentArea        *int64         `db:"present_area"`
	ParticipatingHeads *int64         `db:"participating_heads"`
	ParticipatingArea  *int64         `db:"participating_area"`
	QuorumMet          *bool          `db:"quorum_met"`
	Passed             *bool          `db:"passed"`
	TopPosition        *int           `db:"top_position"`
}

const voteColumns = `v.id, v.meeting_id, v.topic_id, v.title, v.rule, v.secret, v.changeable, v.motion, v.opens_at,
	v.closes_at, v.state, v.entitled_heads, v.entitled_area, v.present_heads, v.present_area, v.participating_heads,
	v.participating_area, v.quorum_met, v.passed, v.top_position`

// Vote is a vote (表决) as the viewer may see it: tallies of a secret vote are hidden until
// it closes, and nobody ever sees how a person voted in a secret vote.
type Vote struct {
	ID         int64
	MeetingID  int64
	TopicID    int64
	Title      string
	Options    []string
	Secret     bool
	Changeable bool
	Rule       VoteRulePreset
	State      VoteState
	OpensAt    time.Time
	ClosesAt   time.Time
	Turnout    VoteCount
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
}

// RollCallEntry is one voter's choice in a roll-call vote.
type RollCallEntry struct {
	Name   string
	Option string
}

// OpenVote is what openVote takes.
type OpenVote struct {
	MeetingID  int64
	TopicID    int64
	Title      string
	Options    []string
	ClosesAt   time.Time
	Secret     bool
	Changeable bool
	Rule       VoteRulePreset
}

// lockedVote is a vote locked in a transaction with its meeting and community.
type lockedVote struct {
	voteRow
	meeting   *Meeting
	community *Place
}

// lockVote locks vote id: FOR SHARE to cast (casts run side by side), FOR UPDATE to close (a
// close waits for casts in flight, and casts after it see it closed). A vote in a meeting v
// may not see is NOT_FOUND.
func (tx *Tx) lockVote(v *Viewer, id int64, share bool) (*lockedVote, error) {
	lock := ` FOR UPDATE`
	if share {
		lock = ` FOR SHARE`
	}
	var lv lockedVote
	if err := tx.get(&lv.voteRow, `SELECT `+voteColumns+` FROM votes v WHERE v.id = $1`+lock, id); err != nil {
		return nil, notFound(err, "找不到这次表决")
	}
	var m Meeting
	if err := tx.get(&m, `SELECT `+meetingColumns+` FROM meetings m WHERE m.id = $1`, lv.MeetingID); err != nil {
		return nil, err
	}
	c, err := tx.place(m.CommunityID)
	if err != nil {
		return nil, err
	}
	if !v.SeesMeetings(c) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这次表决"}
	}
	lv.meeting, lv.community = &m, c
	return &lv, nil
}

// OpenVoteIn opens a vote on a topic of a running meeting's agenda, by staff of its
// community. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) OpenVoteIn(ctx context.Context, v *Viewer, in OpenVote) (*Vote, error) {
	if v == nil {
		return nil, needSignIn
	}
	title, err := text("title", "表决事项", in.Title, 1, 100)
	if err != nil {
		return nil, err
	}
	motion := in.Options == nil
	options := DefaultVoteOptions
	if !motion {
		if len(in.Options) < 2 || len(in.Options) > 10 {
			return nil, Invalid("options", "选项需要 2 到 10 个")
		}
		options = make([]string, len(in.Options))
		for i, o := range in.Options {
			if options[i], err = text("options", "选项", o, 1, 40); err != nil {
				return nil, err
			}
			if slices.Index(options[:i], options[i]) >= 0 {
				return nil, Invalid("options", "选项不能重复")
			}
		}
	}
	if !slices.Contains(voteRulePresets, in.Rule) || in.Rule == PresetCustom {
		return nil, Invalid("rule", "请选择法定的表决规则")
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	lm, err := tx.lockMeeting(v, in.MeetingID, true)
	if err != nil {
		return nil, err
	}
	if !v.Holds(lm.community, RoleStaff) {
		return nil, forbidden("只有%s的社区工作者可以发起表决", lm.community.Name)
	}
	if lm.State != MeetingRunning {
		return nil, wrongMeetingState(lm.Meeting, "发起表决（会议进行中才能表决）")
	}
	if (lm.Kind == MeetingOwnersAssembly) != slices.Contains(ownersPresets, in.Rule) {
		return nil, Invalid("rule", "业主大会使用业主表决规则，其他会议不能使用")
	}
	if !in.ClosesAt.After(tx.now) {
		return nil, Invalid("closesAt", "截止时间必须晚于现在")
	}
	if in.ClosesAt.Sub(tx.now) > maxMeetingLength {
		return nil, Invalid("closesAt", "表决最长 31 天")
	}
	var onAgenda bool
	if err := tx.get(&onAgenda, `SELECT EXISTS (SELECT 1 FROM meeting_topics WHERE meeting_id = $1 AND topic_id = $2)`,
		lm.ID, in.TopicID); err != nil {
		return nil, err
	}
	if !onAgenda {
		return nil, Invalid("topicId", "只能就本次会议议程中的议题表决")
	}
	var id int64
	if err := tx.get(&id, `INSERT INTO votes (meeting_id, topic_id, title, rule, secret, changeable, motion, opened_by, opens_at, closes_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		lm.ID, in.TopicID, title, in.Rule, in.Secret, in.Changeable, motion, v.Account.ID, tx.now, in.ClosesAt.UTC()); err != nil {
		return nil, err
	}
	for i, o := range options {
		if _, err := tx.exec(`INSERT INTO vote_options (vote_id, position, label) VALUES ($1, $2, $3)`, id, i, o); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.VoteByID(ctx, v, id)
}

// replaceKey is HMAC-SHA256(key, vote id || resident id), both big-endian 64-bit.
func replaceKey(key []byte, vote, resident int64) []byte {
	var msg [16]byte
	binary.BigEndian.PutUint64(msg[:8], uint64(vote))
	binary.BigEndian.PutUint64(msg[8:], uint64(resident))
	h := hmac.New(sha256.New, key)
	h.Write(msg[:])
	return h.Sum(nil)
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

// CastBallot casts (or, in a changeable vote, replaces) the viewer's ballot. Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN (not on the roll), INVALID_STATE (closed or past
// its closing time), INVALID_INPUT (option), CONFLICT (already voted, not changeable).
func (s *Store) CastBallot(ctx context.Context, v *Viewer, voteID int64, option string) (*Vote, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	lv, err := tx.lockVote(v, voteID, true)
	if err != nil {
		return nil, err
	}
	if lv.State != VoteOpen || !tx.now.Before(lv.ClosesAt) {
		return nil, Errorf(EINVALIDSTATE, "表决已经结束，不能再投票")
	}
	if v.Resident == nil {
		return nil, forbidden("你不在本次会议的应到名单中，不能投票")
	}
	var area []int64
	if err := tx.selectRows(&area, `SELECT area_dm2 FROM meeting_entitled WHERE meeting_id = $1 AND resident_id = $2`,
		lv.MeetingID, v.Resident.ID); err != nil {
		return nil, err
	}
	if len(area) == 0 {
		return nil, forbidden("你不在本次会议的应到名单中，不能投票")
	}
	var pos []int
	if err := tx.selectRows(&pos, `SELECT position FROM vote_options WHERE vote_id = $1 AND label = $2`,
		voteID, strings.TrimSpace(option)); err != nil {
		return nil, err
	}
	if len(pos) == 0 {
		return nil, Invalid("option", "没有这个选项")
	}
	already := Errorf(ECONFLICT, "你已经投过票，本次表决不能改票")
	participate := `INSERT INTO vote_participation (vote_id, resident_id) VALUES ($1, $2)`
	if lv.Changeable {
		participate += ` ON CONFLICT DO NOTHING`
	}
	if _, err := tx.exec(participate, voteID, v.Resident.ID); err != nil {
		if sqlState(err) == uniqueViolation {
			return nil, already
		}
		return nil, err
	}
	switch {
	case !lv.Secret:
		q := `INSERT INTO open_ballots (vote_id, resident_id, position, area_dm2, cast_at) VALUES ($1, $2, $3, $4, $5)`
		if lv.Changeable {
			q += ` ON CONFLICT (vote_id, resident_id) DO UPDATE SET position = EXCLUDED.position, cast_at = EXCLUDED.cast_at`
		}
		_, err = tx.exec(q, voteID, v.Resident.ID, pos[0], area[0], tx.now)
	case lv.Changeable:
		key, err := s.ballotKeyBytes()
		if err != nil {
			return nil, err
		}
		_, err = tx.exec(`INSERT INTO ballots (vote_id, changeable, position, area_dm2, replace_key) VALUES ($1, true, $2, $3, $4)
			ON CONFLICT (vote_id, replace_key) DO UPDATE SET position = EXCLUDED.position`,
			voteID, pos[0], area[0], replaceKey(key, voteID, v.Resident.ID))
	default:
		_, err = tx.exec(`INSERT INTO ballots (vote_id, changeable, position, area_dm2) VALUES ($1, false, $2, $3)`,
			voteID, pos[0], area[0])
	}
	if sqlState(err) == uniqueViolation {
		return nil, already
	} else if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.VoteByID(ctx, v, voteID)
}

type positionCount struct {
	Position int   `db:"position"`
	Heads    int64 `db:"heads"`
	Area     int64 `db:"area"`
}

// tallies counts the ballots of a vote per option position.
func (tx *Tx) tallies(lv *lockedVote) ([]positionCount, error) {
	table := "ballots"
	if !lv.Secret {
		table = "open_ballots"
	}
	var rows []positionCount
	err := tx.selectRows(&rows, `SELECT o.position, count(b.position) AS heads, coalesce(sum(b.area_dm2), 0)::bigint AS area
		FROM vote_options o LEFT JOIN `+table+` b ON b.vote_id = o.vote_id AND b.position = o.position
		WHERE o.vote_id = $1 GROUP BY o.position ORDER BY o.position`, lv.ID)
	return rows, err
}

// CloseVote closes an open vote, by staff of the community, and stores its result: computed
// once, here, under the vote's exclusive lock, so every ballot committed before is in it and
// none can come after. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE.
func (s *Store) CloseVote(ctx context.Context, v *Viewer, voteID int64) (*Vote, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	lv, err := tx.lockVote(v, voteID, false)
	if err != nil {
		return nil, err
	}
	if !v.Holds(lv.community, RoleStaff) {
		return nil, forbidden("只有%s的社区工作者可以结束表决", lv.community.Name)
	}
	if lv.State != VoteOpen {
		return nil, Errorf(EINVALIDSTATE, "表决已经结束")
	}
	rule := Preset(lv.Rule)
	var c struct {
		EntitledHeads int64 `db:"entitled_heads"`
		EntitledArea  int64 `db:"entitled_area"`
		PartHeads     int64 `db:"part_heads"`
		PartArea      int64 `db:"part_area"`
		PresentHeads  int64 `db:"present_heads"`
		PresentArea   int64 `db:"present_area"`
	}
	// Present, for the meeting presets, is who checked in — and anyone who voted, who was
	// evidently there; for the owners' presets (QuorumVoted) it is who voted.
	if err := tx.get(&c, `SELECT count(*) AS entitled_heads, coalesce(sum(e.area_dm2), 0)::bigint AS entitled_area,
			count(p.resident_id) AS part_heads, coalesce(sum(e.area_dm2) FILTER (WHERE p.resident_id IS NOT NULL), 0)::bigint AS part_area,
			count(*) FILTER (WHERE p.resident_id IS NOT NULL OR a.resident_id IS NOT NULL) AS present_heads,
			coalesce(sum(e.area_dm2) FILTER (WHERE p.resident_id IS NOT NULL OR a.resident_id IS NOT NULL), 0)::bigint AS present_area
		FROM meeting_entitled e
		LEFT JOIN vote_participation p ON p.vote_id = $2 AND p.resident_id = e.resident_id
		LEFT JOIN meeting_attendance a ON a.meeting_id = e.meeting_id AND a.resident_id = e.resident_id
		WHERE e.meeting_id = $1`, lv.MeetingID, lv.ID); err != nil {
		return nil, err
	}
	if rule.QuorumBasis == QuorumVoted {
		c.PresentHeads, c.PresentArea = c.PartHeads, c.PartArea
	}
	counts, err := tx.tallies(lv)
	if err != nil {
		return nil, err
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
		return nil, err
	}
	if lv.Motion {
		passed = &d.Passed
	}
	if _, err := tx.exec(`UPDATE votes SET state = 'closed', closed_at = $2, closed_by = $3, entitled_heads = $4, entitled_area = $5,
			present_heads = $6, present_area = $7, participating_heads = $8, participating_area = $9, quorum_met = $10,
			passed = $11, top_position = $12 WHERE id = $1`,
		lv.ID, tx.now, v.Account.ID, c.EntitledHeads, c.EntitledArea, c.PresentHeads, c.PresentArea, c.PartHeads, c.PartArea,
		d.QuorumMet, passed, top); err != nil {
		return nil, err
	}
	for _, pc := range counts {
		if _, err := tx.exec(`INSERT INTO vote_results (vote_id, position, heads, area_dm2) VALUES ($1, $2, $3, $4)`,
			lv.ID, pc.Position, pc.Heads, pc.Area); err != nil {
			return nil, err
		}
	}
	if lv.Secret {
		// Rewrite the secret ballots in random order with new ids: afterwards their physical
		// order and transaction ids say nothing about when, or alongside whom, each was cast.
		if _, err := tx.exec(`WITH d AS (DELETE FROM ballots WHERE vote_id = $1 RETURNING vote_id, changeable, position, area_dm2, replace_key)
			INSERT INTO ballots (vote_id, changeable, position, area_dm2, replace_key)
			SELECT vote_id, changeable, position, area_dm2, replace_key FROM d ORDER BY random()`, lv.ID); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.VoteByID(ctx, v, voteID)
}

// VoteByID returns the vote as v may see it, NOT_FOUND if v may not see its meeting.
func (s *Store) VoteByID(ctx context.Context, v *Viewer, id int64) (*Vote, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var row voteRow
	if err := tx.get(&row, `SELECT `+voteColumns+` FROM votes v WHERE v.id = $1`, id); err != nil {
		return nil, notFound(err, "找不到这次表决")
	}
	lv := &lockedVote{voteRow: row}
	var cid int64
	if err := tx.get(&cid, `SELECT community_id FROM meetings WHERE id = $1`, row.MeetingID); err != nil {
		return nil, err
	}
	c, err := tx.place(cid)
	if err != nil {
		return nil, err
	}
	if !v.SeesMeetings(c) {
		return nil, &Error{Code: ENOTFOUND, Message: "找不到这次表决"}
	}
	out := &Vote{ID: row.ID, MeetingID: row.MeetingID, TopicID: row.TopicID, Title: row.Title, Secret: row.Secret,
		Changeable: row.Changeable, Rule: row.Rule, State: row.State, OpensAt: row.OpensAt, ClosesAt: row.ClosesAt}
	if err := tx.selectRows(&out.Options, `SELECT label FROM vote_options WHERE vote_id = $1 ORDER BY position`, id); err != nil {
		return nil, err
	}
	if err := tx.get(&out.Turnout, `SELECT count(*) AS entitledheads, coalesce(sum(e.area_dm2), 0)::bigint AS entitledareadm2,
			count(p.resident_id) AS participatingheads,
			coalesce(sum(e.area_dm2) FILTER (WHERE p.resident_id IS NOT NULL), 0)::bigint AS participatingdm2
		FROM meeting_entitled e LEFT JOIN vote_participation p ON p.vote_id = $2 AND p.resident_id = e.resident_id
		WHERE e.meeting_id = $1`, row.MeetingID, id); err != nil {
		return nil, err
	}
	var counts []positionCount
	switch {
	case row.State == VoteClosed:
		err = tx.selectRows(&counts, `SELECT position, heads, area_dm2 AS area FROM vote_results WHERE vote_id = $1 ORDER BY position`, id)
	case !row.Secret:
		counts, err = tx.tallies(lv)
	}
	if err != nil {
		return nil, err
	}
	for _, pc := range counts {
		out.Tallies = append(out.Tallies, &OptionTally{Option: out.Options[pc.Position], Heads: int(pc.Heads), AreaDm2: int(pc.Area)})
	}
	if row.State == VoteClosed {
		out.Result = &VoteResult{QuorumMet: *row.QuorumMet, Passed: row.Passed, PresentHeads: int(*row.PresentHeads), PresentDm2: int(*row.PresentArea)}
		if row.TopPosition != nil {
			out.Result.Top = &out.Options[*row.TopPosition]
		}
	}
	if v.Resident != nil {
		if err := tx.get(&out.HasVoted, `SELECT EXISTS (SELECT 1 FROM vote_participation WHERE vote_id = $1 AND resident_id = $2)`,
			id, v.Resident.ID); err != nil {
			return nil, err
		}
	}
	if !row.Secret {
		var rc []struct {
			ResidentID int64  `db:"resident_id"`
			Name       string `db:"name"`
			Option     string `db:"label"`
		}
		if err := tx.selectRows(&rc, `SELECT b.resident_id, r.name, o.label FROM open_ballots b JOIN residents r ON r.id = b.resident_id
			JOIN vote_options o ON o.vote_id = b.vote_id AND o.position = b.position WHERE b.vote_id = $1 ORDER BY r.id`, id); err != nil {
			return nil, err
		}
		out.RollCall = []*RollCallEntry{}
		for _, e := range rc {
			out.RollCall = append(out.RollCall, &RollCallEntry{Name: e.Name, Option: e.Option})
			if v.IsResident(e.ResidentID) {
				out.MyChoice = &e.Option
			}
		}
	}
	return out, nil
}
