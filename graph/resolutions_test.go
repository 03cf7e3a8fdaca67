package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"linli/db"
)

// ---------------------------------------------------------------- queries and shapes

const resolutionFields = `id title state publishedAt noticeEndsAt carriedOutFrom result revokedReason myRating
	topic { id state } vote { id }
	objections { id reason answer upheld author { name } answeredBy { name } }
	tasks { id title state late doneAt assignee { name } reports { body done author { name } }
		supervision { id body concern answer } }
	rating { count average distribution }`

const (
	qResolution      = `query($id: ID!) { r: resolution(id: $id) { ` + resolutionFields + ` } }`
	qObject          = `mutation($id: ID!, $r: String!) { o: objectToResolution(resolutionId: $id, reason: $r) { id reason upheld } }`
	qAnswerObjection = `mutation($id: ID!, $a: String!, $u: Boolean!) { o: answerObjection(objectionId: $id, answer: $a, upheld: $u) { id answer upheld } }`
	qAddTask         = `mutation($in: AddTaskInput!) { t: addTask(input: $in) { id title state assignee { name } } }`
	qReport          = `mutation($id: ID!, $b: String!, $d: Boolean!) { t: reportProgress(taskId: $id, body: $b, done: $d) { id state doneAt late } }`
	qSupervise       = `mutation($id: ID!, $b: String!, $c: Boolean!) { n: superviseTask(taskId: $id, body: $b, concern: $c) { id concern } }`
	qAnswerConcern   = `mutation($id: ID!, $a: String!) { n: answerConcern(noteId: $id, answer: $a) { id answer } }`
	qPublishResult   = `mutation($id: ID!, $r: String!) { r: publishResult(resolutionId: $id, result: $r) { ` + resolutionFields + ` } }`
	qRate            = `mutation($id: ID!, $s: Int!, $c: String) { r: rateResult(resolutionId: $id, score: $s, comment: $c) { ` + resolutionFields + ` } }`
	qVoteDetail      = `query($id: ID!) { v: vote(id: $id) { id state meeting { id } place { name } basis closedAt
		ruleDetail { preset quorum { num den comparison } pass { num den comparison } byArea quorumBasis abstentions description }
		turnout { entitledHeads participatingHeads entitledAreaDm2 participatingAreaDm2 }
		turnoutByBuilding { building { name } entitledHeads participatingHeads }
		result { quorumMet passed closedAutomatically } resolution { id state } } }`
	qTopicPath = `query($id: ID!) { t: node(id: $id) { ... on Topic { state resolution { id state }
		votes { id state } timeline { action actorName fromState toState reason } } } }`
)

type resolutionOut struct {
	ID, Title, State string
	NoticeEndsAt     time.Time
	CarriedOutFrom   *time.Time
	Result           *string
	RevokedReason    *string
	MyRating         *int
	Topic            struct{ ID, State string }
	Vote             struct{ ID string }
	Objections       []struct {
		ID, Reason string
		Answer     *string
		Upheld     *bool
	}
	Tasks []struct {
		ID, Title, State string
		Late             bool
		Reports          []struct {
			Body string
			Done bool
		}
		Supervision []struct {
			ID      string
			Concern bool
			Answer  *string
		}
	}
	Rating struct {
		Count        int
		Average      *float64
		Distribution []int
	}
}

type voteDetail struct {
	ID, State  string
	Meeting    *struct{ ID string }
	Place      struct{ Name string }
	Basis      string
	ClosedAt   *time.Time
	RuleDetail struct {
		Preset, QuorumBasis, Abstentions, Description string
		Quorum, Pass                                  struct {
			Num, Den   int
			Comparison string
		}
		ByArea bool
	}
	Turnout           struct{ EntitledHeads, ParticipatingHeads, EntitledAreaDm2, ParticipatingAreaDm2 int }
	TurnoutByBuilding []struct {
		Building                          *struct{ Name string }
		EntitledHeads, ParticipatingHeads int
	}
	Result *struct {
		QuorumMet, ClosedAutomatically bool
		Passed                         *bool
	}
	Resolution *struct{ ID, State string }
}

type topicPath struct {
	State      string
	Resolution *struct{ ID, State string }
	Votes      []struct{ ID, State string }
	Timeline   []struct {
		Action, ActorName, ToState string
		FromState, Reason          *string
	}
}

func mustResolution(t *testing.T, r *response) resolutionOut {
	t.Helper()
	var out struct{ R *resolutionOut }
	r.Decode(t, &out)
	if out.R == nil {
		t.Fatal("got no resolution, want one")
	}
	return *out.R
}

func (e *env) resolution(token, id string) resolutionOut {
	e.t.Helper()
	return mustResolution(e.t, e.do(token, qResolution, map[string]any{"id": id}))
}

func (e *env) voteDetail(token, id string) voteDetail {
	e.t.Helper()
	var out struct{ V *voteDetail }
	e.do(token, qVoteDetail, map[string]any{"id": id}).Decode(e.t, &out)
	if out.V == nil {
		e.t.Fatal("got no vote, want one")
	}
	return *out.V
}

func (e *env) topicPath(token, id string) topicPath {
	e.t.Helper()
	var out struct{ T *topicPath }
	e.do(token, qTopicPath, map[string]any{"id": id}).Decode(e.t, &out)
	if out.T == nil {
		e.t.Fatal("got no topic, want one")
	}
	return *out.T
}

// simpleMajority is a custom rule with no quorum that passes with more approvals than
// oppositions: it lets a handful of voters decide in a compound of a hundred adults.
var simpleMajority = map[string]any{
	"quorum":      map[string]any{"num": 0, "den": 1, "comparison": "AT_LEAST"},
	"pass":        map[string]any{"num": 1, "den": 2, "comparison": "MORE_THAN"},
	"byArea":      false,
	"quorumBasis": "VOTED",
	"abstentions": "EXCLUDED",
}

// onlineVote opens a standalone online vote in 和平花园小区 under simpleMajority.
func (e *env) onlineVote(topic string, closesIn time.Duration, set map[string]any) voteOut {
	e.t.Helper()
	in := map[string]any{"placeId": e.placeID("和平花园小区"), "topicId": topic, "title": "同意在2号楼加装电梯",
		"closesAt": e.clock.Now().Add(closesIn).Format(time.RFC3339), "secret": true, "changeable": false,
		"rule": "CUSTOM", "customRule": simpleMajority, "basis": "ADULT_RESIDENTS"}
	for k, v := range set {
		in[k] = v
	}
	return mustVote(e.t, e.do(e.login(phoneStaff), qOpenVote, map[string]any{"in": in}))
}

// sweep runs the closing sweep once, as the service does every minute.
func (e *env) sweep() int {
	e.t.Helper()
	n, err := e.store.CloseDueVotes(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// passedResolution takes a new topic through an online vote that passes and returns the
// topic and its resolution.
func (e *env) passedResolution(title string, voters []string) (topic, resolution string) {
	e.t.Helper()
	topic = e.acceptedTopic(title)
	v := e.onlineVote(topic, time.Hour, map[string]any{"title": title})
	for _, tok := range voters {
		mustVote(e.t, e.do(tok, qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	}
	mustVote(e.t, e.do(e.login(phoneStaff), qCloseVote, map[string]any{"id": v.ID}))
	closed := e.voteDetail(e.login(phoneStaff), v.ID)
	if closed.Resolution == nil {
		e.t.Fatalf("vote %q closed without a resolution: %+v", title, closed.Result)
	}
	return topic, closed.Resolution.ID
}

// ---------------------------------------------------------------- tests

// TestDeliberationFullPath follows one topic from being raised to a rated result, through a
// meeting, an online vote closed by the sweep, an objection, tasks, supervision and ratings,
// and checks every step is in the topic's timeline.
func TestDeliberationFullPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setCosignThreshold("和平社区", 3)
	resident, staff, council, supervisor := e.login(phoneResident), e.login(phoneStaff), e.login(phoneCouncil), e.login(phoneSupervisor)
	neighbours := e.compoundResidents(4, "137")

	// Raised, co-signed to READY, accepted.
	tp := mustTopic(t, e.raise(resident, e.placeID("和平花园小区"), "2号楼加装电梯"))
	for _, n := range neighbours[:3] {
		mustTopic(t, e.cosign(n, tp.ID))
	}
	mustTopic(t, e.do(staff, qAccept, map[string]any{"id": tp.ID}))

	// A residents' meeting takes it up: starting it puts the topic under discussion.
	m := mustMeeting(t, e.schedule(staff, e.meetingInput("十一月居民议事会", map[string]any{"topicIds": []string{tp.ID}})))
	mustMeeting(t, e.do(staff, qStart, map[string]any{"id": m.ID}))
	mustMeeting(t, e.do(staff, qClose, map[string]any{"id": m.ID}))
	if got := e.topicPath(resident, tp.ID).State; got != "UNDER_DISCUSSION" {
		t.Fatalf("after the meeting: topic %s, want UNDER_DISCUSSION", got)
	}

	// An online vote, closed on its own at its closing time by the sweep.
	v := e.onlineVote(tp.ID, time.Hour, nil)
	for i, tok := range append([]string{resident}, neighbours...) {
		mustVote(t, e.do(tok, qCastBallot, map[string]any{"id": v.ID, "o": []string{"同意", "同意", "同意", "反对", "弃权"}[i]}))
	}
	if n := e.sweep(); n != 0 {
		t.Fatalf("sweep before closing time closed %d votes, want 0", n)
	}
	e.clock.Advance(61 * time.Minute)
	if n := e.sweep(); n != 1 {
		t.Fatalf("sweep after closing time closed %d votes, want 1", n)
	}
	vd := e.voteDetail(resident, v.ID)
	if vd.State != "CLOSED" || vd.Result == nil || !vd.Result.ClosedAutomatically || vd.Result.Passed == nil || !*vd.Result.Passed || vd.Resolution == nil {
		t.Fatalf("vote after the sweep: %+v, want closed automatically, passed, with a resolution", vd)
	}
	if vd.RuleDetail.Preset != "CUSTOM" || vd.RuleDetail.Pass.Comparison != "MORE_THAN" || vd.RuleDetail.Abstentions != "EXCLUDED" || vd.RuleDetail.Description == "" {
		t.Fatalf("rule: %+v", vd.RuleDetail)
	}
	res := e.resolution(resident, vd.Resolution.ID)
	if res.State != "IN_NOTICE" || res.Topic.State != "RESOLUTION_PUBLISHED" || !res.NoticeEndsAt.Equal(e.clock.Now().Add(7*24*time.Hour)) {
		t.Fatalf("resolution: %+v, want IN_NOTICE for 7 days, topic RESOLUTION_PUBLISHED", res)
	}

	// Notice period: one objection each; nothing is carried out before it ends.
	o := struct{ O struct{ ID string } }{}
	e.do(neighbours[3], qObject, map[string]any{"id": res.ID, "r": "加装电梯会挡住一楼采光"}).Decode(t, &o)
	e.do(neighbours[3], qObject, map[string]any{"id": res.ID, "r": "再说一次"}).wantCode(t, db.ECONFLICT)
	e.do(staff, qObject, map[string]any{"id": res.ID, "r": "工作人员不是居民"}).wantCode(t, db.EFORBIDDEN)
	e.do(e.login(phoneStaffGuangming), qObject, map[string]any{"id": res.ID, "r": "别的社区"}).wantCode(t, db.ENOTFOUND)
	task := map[string]any{"resolutionId": res.ID, "title": "联系电梯厂家出方案", "assigneeId": e.accountID(phoneBuildingLeader),
		"dueAt": e.clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)}
	e.do(staff, qAddTask, map[string]any{"in": task}).wantCode(t, db.EINVALIDSTATE)
	e.clock.Advance(8 * 24 * time.Hour)
	e.do(neighbours[2], qObject, map[string]any{"id": res.ID, "r": "公示期后"}).wantCode(t, db.EINVALIDSTATE)
	e.do(staff, qAddTask, map[string]any{"in": task}).wantCode(t, db.EINVALIDSTATE) // objection unanswered
	e.do(resident, qAnswerObjection, map[string]any{"id": o.O.ID, "a": "不行", "u": false}).wantCode(t, db.EFORBIDDEN)
	e.do(council, qAnswerObjection, map[string]any{"id": o.O.ID, "a": "电梯井道设在楼梯间一侧，经设计院核算不影响一楼采光。", "u": false})
	e.do(council, qAnswerObjection, map[string]any{"id": o.O.ID, "a": "再答一次", "u": false}).wantCode(t, db.ECONFLICT)

	// Carried out as tasks, under supervision.
	task["dueAt"] = e.clock.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)
	var t1, t2 struct{ T struct{ ID string } }
	e.do(staff, qAddTask, map[string]any{"in": task}).Decode(t, &t1)
	task["title"], task["assigneeId"] = "组织居民确认方案", e.accountID(phoneVolunteer)
	e.do(staff, qAddTask, map[string]any{"in": task}).Decode(t, &t2)
	task["assigneeId"] = e.accountID(phoneResident)
	e.do(staff, qAddTask, map[string]any{"in": task}).wantCode(t, db.EINVALID)
	e.do(e.login(phoneBuildingLeader), qReport, map[string]any{"id": t1.T.ID, "b": "已约三家厂家现场勘查", "d": false})
	e.do(e.login(phoneBuildingLeader), qReport, map[string]any{"id": t1.T.ID, "b": "方案已定，合同已签", "d": true})
	e.do(resident, qReport, map[string]any{"id": t2.T.ID, "b": "我来报", "d": true}).wantCode(t, db.EFORBIDDEN)
	var note struct{ N struct{ ID string } }
	e.do(supervisor, qSupervise, map[string]any{"id": t2.T.ID, "b": "请公开三家报价", "c": true}).Decode(t, &note)
	e.do(staff, qSupervise, map[string]any{"id": t2.T.ID, "b": "我也监督", "c": false}).wantCode(t, db.EFORBIDDEN)
	e.do(staff, qPublishResult, map[string]any{"id": res.ID, "r": "电梯已装好"}).wantCode(t, db.EINVALIDSTATE) // a task is open
	e.do(e.login(phoneVolunteer), qReport, map[string]any{"id": t2.T.ID, "b": "全楼 36 户已签字确认", "d": true})
	e.do(staff, qPublishResult, map[string]any{"id": res.ID, "r": "电梯已装好"}).wantCode(t, db.EINVALIDSTATE) // a concern is unanswered
	e.do(staff, qAnswerConcern, map[string]any{"id": note.N.ID, "a": "三家报价已在楼道公告栏公示"})
	done := mustResolution(t, e.do(staff, qPublishResult, map[string]any{"id": res.ID, "r": "2号楼电梯已于12月20日投入使用，总费用 58 万元。"}))
	if done.State != "RESULT_PUBLISHED" || done.Topic.State != "RESULT_PUBLISHED" || len(done.Tasks) != 2 || done.Tasks[0].Late {
		t.Fatalf("published: %+v", done)
	}

	// Residents rate the result, once each.
	e.do(resident, qRate, map[string]any{"id": res.ID, "s": 6}).wantCode(t, db.EINVALID)
	mustResolution(t, e.do(resident, qRate, map[string]any{"id": res.ID, "s": 5, "c": "上下楼方便多了"}))
	e.do(resident, qRate, map[string]any{"id": res.ID, "s": 1}).wantCode(t, db.ECONFLICT)
	rated := mustResolution(t, e.do(neighbours[0], qRate, map[string]any{"id": res.ID, "s": 4}))
	if rated.Rating.Count != 2 || rated.Rating.Average == nil || *rated.Rating.Average != 4.5 ||
		!slices.Equal(rated.Rating.Distribution, []int{0, 0, 0, 1, 1}) || rated.MyRating == nil || *rated.MyRating != 4 {
		t.Fatalf("rating: %+v (mine %v)", rated.Rating, rated.MyRating)
	}

	// Every step is on the topic's timeline, each starting where the one before ended.
	path := e.topicPath(resident, tp.ID)
	want := []string{"RAISE", "COSIGN_READY", "ACCEPT", "DISCUSS", "VOTE", "PUBLISH_RESOLUTION", "CARRY_OUT", "PUBLISH_RESULT", "RATE"}
	var got []string
	for i, s := range path.Timeline {
		got = append(got, s.Action)
		if i > 0 && (s.FromState == nil || *s.FromState != path.Timeline[i-1].ToState) {
			t.Fatalf("timeline step %d (%s) starts from %v, the step before ended in %s", i, s.Action, s.FromState, path.Timeline[i-1].ToState)
		}
	}
	if !slices.Equal(got, want) || path.State != "RATED" || path.Timeline[len(want)-1].ToState != "RATED" {
		t.Fatalf("timeline: got %v ending in %s, want %v ending in RATED", got, path.State, want)
	}
	if path.Timeline[4].ActorName != "系统" || path.Resolution == nil || len(path.Votes) != 1 {
		t.Fatalf("the sweep's VOTE step is by %q, want 系统; resolution %v, votes %v", path.Timeline[4].ActorName, path.Resolution, path.Votes)
	}
}

// TestResolutionObjectionUpheld: when the council upholds an objection the resolution is
// revoked and the topic can be put to a vote again.
func TestResolutionObjectionUpheld(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	voters := e.compoundResidents(2, "137")
	topic, res := e.passedResolution("小区东门改为只进不出", voters)
	var o struct{ O struct{ ID string } }
	e.do(e.login(phoneResident), qObject, map[string]any{"id": res, "r": "东门是老人去菜场的唯一近路"}).Decode(t, &o)
	e.do(e.login(phoneCouncil), qAnswerObjection, map[string]any{"id": o.O.ID, "a": "异议成立，另行研究方案。", "u": true})
	got := e.resolution(e.login(phoneResident), res)
	if got.State != "REVOKED" || got.RevokedReason == nil || got.Topic.State != "UNDER_DISCUSSION" {
		t.Fatalf("after an upheld objection: %+v, want REVOKED and the topic UNDER_DISCUSSION", got)
	}
	if p := e.topicPath(e.login(phoneResident), topic); p.Resolution != nil || p.Timeline[len(p.Timeline)-1].Action != "REOPEN" {
		t.Fatalf("topic: resolution %v, last step %s; want none and REOPEN", p.Resolution, p.Timeline[len(p.Timeline)-1].Action)
	}
	// Put to the vote again, it can yield a new resolution.
	e.onlineVote(topic, time.Hour, nil)
}

// TestVoteOnlineAndWithMeeting: standalone votes draw their own roll and open at their
// opening time; a meeting's open votes close with it; turnout per building adds up.
func TestVoteOnlineAndWithMeeting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, resident := e.login(phoneStaff), e.login(phoneResident)
	topic := e.acceptedTopic("楼道堆物清理")

	// Input errors: one of meetingId and placeId; CUSTOM needs customRule and basis; ratios checked.
	base := map[string]any{"topicId": topic, "title": "清理楼道堆物", "closesAt": e.clock.Now().Add(time.Hour).Format(time.RFC3339),
		"secret": true, "changeable": false, "rule": "RESIDENTS_ASSEMBLY"}
	with := func(set map[string]any) map[string]any {
		in := map[string]any{}
		for k, v := range base {
			in[k] = v
		}
		for k, v := range set {
			in[k] = v
		}
		return map[string]any{"in": in}
	}
	for _, c := range []struct {
		set   map[string]any
		field string
	}{
		{map[string]any{}, "meetingId"},
		{map[string]any{"placeId": e.placeID("和平社区"), "meetingId": e.placeID("和平社区")}, "meetingId"},
		{map[string]any{"placeId": e.placeID("和平社区"), "rule": "CUSTOM"}, "customRule"},
		{map[string]any{"placeId": e.placeID("和平社区"), "customRule": simpleMajority}, "customRule"},
		{map[string]any{"placeId": e.placeID("和平社区"), "rule": "CUSTOM", "customRule": simpleMajority}, "basis"},
		{map[string]any{"placeId": e.placeID("和平社区"), "rule": "CUSTOM", "basis": "ADULT_RESIDENTS", "customRule": map[string]any{
			"quorum": map[string]any{"num": 3, "den": 2, "comparison": "AT_LEAST"}, "pass": simpleMajority["pass"],
			"byArea": false, "quorumBasis": "VOTED", "abstentions": "EXCLUDED"}}, "customRule.quorum"},
		{map[string]any{"placeId": e.placeID("和平社区"), "rule": "OWNERS_MAJOR"}, "placeId"},
		{map[string]any{"placeId": e.placeID("和平社区"), "opensAt": e.clock.Now().Add(2 * time.Hour).Format(time.RFC3339)}, "closesAt"},
	} {
		r := e.do(staff, qOpenVote, with(c.set))
		if r.Code() != db.EINVALID || r.Field() != c.field {
			t.Fatalf("openVote %v: got %s on %q, want INVALID_INPUT on %q", c.set, r.Code(), r.Field(), c.field)
		}
	}

	// Online, opening later: casting waits for the opening time.
	later := mustVote(t, e.do(staff, qOpenVote, with(map[string]any{"placeId": e.placeID("和平社区"),
		"opensAt": e.clock.Now().Add(30 * time.Minute).Format(time.RFC3339)})))
	e.do(resident, qCastBallot, map[string]any{"id": later.ID, "o": "同意"}).wantCode(t, db.EINVALIDSTATE)
	e.clock.Advance(31 * time.Minute)
	mustVote(t, e.do(resident, qCastBallot, map[string]any{"id": later.ID, "o": "同意"}))
	od := e.voteDetail(resident, later.ID)
	if od.Meeting != nil || od.Place.Name != "和平社区" || od.Basis != "ADULT_RESIDENTS" || od.RuleDetail.Preset != "RESIDENTS_ASSEMBLY" ||
		od.RuleDetail.Quorum.Comparison != "MORE_THAN" || od.Turnout.ParticipatingHeads != 1 {
		t.Fatalf("online vote: %+v", od)
	}
	heads, voted := 0, 0
	for _, b := range od.TurnoutByBuilding {
		heads += b.EntitledHeads
		voted += b.ParticipatingHeads
	}
	if len(od.TurnoutByBuilding) < 2 || heads != od.Turnout.EntitledHeads || voted != 1 {
		t.Fatalf("turnout by building %+v does not add up to %+v", od.TurnoutByBuilding, od.Turnout)
	}

	// A meeting's open vote closes with the meeting; the list of the meeting's votes shows it.
	meeting, mt := e.runningMeeting("十二月居民会议")
	mv := e.openVote(meeting, mt, map[string]any{"closesAt": e.clock.Now().Add(time.Hour).Format(time.RFC3339)})
	mustVote(t, e.do(resident, qCastBallot, map[string]any{"id": mv.ID, "o": "反对"}))
	mustMeeting(t, e.do(staff, qClose, map[string]any{"id": meeting}))
	md := e.voteDetail(staff, mv.ID)
	if md.State != "CLOSED" || md.Result == nil || md.Result.ClosedAutomatically || md.Meeting == nil || md.Resolution != nil {
		t.Fatalf("meeting vote after the meeting closed: %+v", md)
	}
	var listed struct {
		M struct{ Votes []struct{ ID, State string } }
	}
	e.do(resident, `query($id: ID!) { m: node(id: $id) { ... on Meeting { votes { id state } } } }`, map[string]any{"id": meeting}).Decode(t, &listed)
	if len(listed.M.Votes) != 1 || listed.M.Votes[0].ID != mv.ID {
		t.Fatalf("meeting votes: %+v", listed.M.Votes)
	}
	var page struct {
		Votes struct {
			TotalCount int
			Nodes      []struct{ ID, State string }
		}
	}
	e.do(resident, `{ votes(state: [CLOSED]) { totalCount nodes { id state } } }`, nil).Decode(t, &page)
	if page.Votes.TotalCount != 1 || page.Votes.Nodes[0].ID != mv.ID {
		t.Fatalf("closed votes: %+v", page.Votes)
	}
	// Open forums take no binding votes.
	forumTopic := e.acceptedTopic("夏夜广场噪音")
	forum := mustMeeting(t, e.schedule(staff, e.meetingInput("广场夜谈", map[string]any{"kind": "OPEN_FORUM", "topicIds": []string{forumTopic}})))
	mustMeeting(t, e.do(staff, qStart, map[string]any{"id": forum.ID}))
	r := e.do(staff, qOpenVote, with(map[string]any{"meetingId": forum.ID, "topicId": forumTopic}))
	if r.Code() != db.EINVALID || r.Field() != "meetingId" {
		t.Fatalf("vote in an open forum: got %s on %q, want INVALID_INPUT on meetingId", r.Code(), r.Field())
	}
}

// TestVoteListStatementCount: a page of votes with their turnout per building, tallies,
// results, meetings, topics and resolutions costs the same statements for 2 votes as for 8.
func TestVoteListStatementCount(t *testing.T) {
	e := newEnv(t, batchGenerously)
	staff := e.login(phoneStaff)
	voters := e.compoundResidents(2, "137")
	meeting, topic := e.runningMeeting("十二月居民会议")
	for i := range 4 {
		e.passedResolution(fmt.Sprintf("议题%02d", i), voters)
		v := e.openVote(meeting, topic, map[string]any{"secret": i%2 == 0})
		mustVote(t, e.do(voters[0], qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	}
	const q = `query($n: Int) { votes(first: $n) { totalCount nodes { id title state options secret hasVoted myChoice
		meeting { title } topic { title } place { name } ruleDetail { description }
		turnout { entitledHeads participatingHeads } turnoutByBuilding { building { name } participatingHeads }
		tallies { option heads } result { passed closedAutomatically } rollCall { name option }
		resolution { title state tasks { title } rating { count } } } } }`
	page := func(n int) func() {
		return func() {
			var out struct {
				Votes struct{ Nodes []json.RawMessage }
			}
			e.do(staff, q, map[string]any{"n": n}).Decode(t, &out)
			if len(out.Votes.Nodes) != n {
				t.Fatalf("got %d votes, want %d", len(out.Votes.Nodes), n)
			}
		}
	}
	counts := e.fewestStatements(
		func() { e.do(staff, `{ me { id } }`, nil) }, // warm: statements are prepared once per connection
		func(c []int) bool { return c[0] == c[1] && c[0] <= 25 },
		page(2), page(8))
	t.Logf("statements for 2 and 8 votes: %v", counts)
	if counts[0] != counts[1] || counts[0] > 25 {
		t.Fatalf("statements for 2 and 8 votes: got %v, want the same for both and at most 25", counts)
	}
}

// TestVoteRuleBoundaries decides every preset at and around its boundaries through the API:
// a vote is opened, its roll replaced (in SQL) by a handful of voters with known floor
// areas, the ballots cast and the vote closed through GraphQL.
func TestVoteRuleBoundaries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	tokens := e.newVotersFast(4)
	var residents []int64
	if err := e.db.Select(&residents, `SELECT r.id FROM residents r JOIN accounts a ON a.id = r.account_id
		WHERE a.phone LIKE '136%' ORDER BY a.phone`); err != nil || len(residents) != 4 {
		t.Fatalf("voters: %v, %v", residents, err)
	}
	type ballot struct {
		voter  int
		option string
	}
	for i, c := range []struct {
		name        string
		rule        string
		areas       []int64 // the roll: one entry per voter, its floor area in 0.01 m²
		ballots     []ballot
		quorum, win bool
	}{
		{"居民会议：恰好半数参与，未过半数", "RESIDENTS_ASSEMBLY", []int64{0, 0, 0, 0}, []ballot{{0, "同意"}, {1, "同意"}}, false, false},
		{"居民会议：过半数参与，同意过半数", "RESIDENTS_ASSEMBLY", []int64{0, 0, 0, 0}, []ballot{{0, "同意"}, {1, "同意"}, {2, "反对"}}, true, true},
		{"居民会议：同意恰好半数，不通过", "RESIDENTS_ASSEMBLY", []int64{0, 0, 0, 0}, []ballot{{0, "同意"}, {1, "同意"}, {2, "反对"}, {3, "弃权"}}, true, false},
		{"居民代表会议：恰好 2/3 参与即可", "REPRESENTATIVES_MEETING", []int64{0, 0, 0}, []ballot{{0, "同意"}, {1, "同意"}}, true, true},
		{"居民代表会议：不足 2/3", "REPRESENTATIVES_MEETING", []int64{0, 0, 0, 0}, []ballot{{0, "同意"}, {1, "同意"}}, false, false},
		{"议事会：恰好半数出席，不足法定人数", "COUNCIL_MAJORITY", []int64{0, 0}, []ballot{{0, "同意"}}, false, false},
		{"业主一般事项：人数面积恰好 2/3，同意恰好半数不通过", "OWNERS_ORDINARY", []int64{10000, 10000, 10000}, []ballot{{0, "同意"}, {1, "反对"}}, true, false},
		{"业主一般事项：人数够 2/3 但面积不够", "OWNERS_ORDINARY", []int64{10000, 10000, 40000}, []ballot{{0, "同意"}, {1, "同意"}}, false, false},
		{"业主一般事项：人数面积均过半数同意", "OWNERS_ORDINARY", []int64{10000, 10000, 10000}, []ballot{{0, "同意"}, {1, "同意"}, {2, "反对"}}, true, true},
		{"业主重大事项：人数面积恰好 3/4 同意即通过", "OWNERS_MAJOR", []int64{10000, 10000, 10000, 10000}, []ballot{{0, "同意"}, {1, "同意"}, {2, "同意"}, {3, "反对"}}, true, true},
		{"业主重大事项：人数 3/4 同意但面积不足", "OWNERS_MAJOR", []int64{10000, 10000, 10000, 40000}, []ballot{{0, "同意"}, {1, "同意"}, {2, "同意"}, {3, "反对"}}, true, false},
	} {
		topic := e.acceptedTopic(fmt.Sprintf("规则边界%02d", i))
		place := e.placeID("和平社区")
		if strings.HasPrefix(c.rule, "OWNERS") {
			place = e.placeID("和平花园小区")
		}
		v := mustVote(t, e.do(staff, qOpenVote, map[string]any{"in": map[string]any{"placeId": place, "topicId": topic,
			"title": c.name, "closesAt": e.clock.Now().Add(time.Hour).Format(time.RFC3339), "secret": true,
			"changeable": false, "rule": c.rule}}))
		id := e.sqlInt(`SELECT max(id) FROM votes`)
		if _, err := e.db.Exec(`DELETE FROM vote_entitled WHERE vote_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		for j, area := range c.areas {
			if _, err := e.db.Exec(`INSERT INTO vote_entitled (vote_id, resident_id, household_id, area_dm2)
				SELECT $1, id, household_id, $3 FROM residents WHERE id = $2`, id, residents[j], area); err != nil {
				t.Fatal(err)
			}
		}
		e.storeRollTotals(id)
		for _, b := range c.ballots {
			mustVote(t, e.do(tokens[b.voter], qCastBallot, map[string]any{"id": v.ID, "o": b.option}))
		}
		got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
		if got.Result == nil || got.Result.QuorumMet != c.quorum || got.Result.Passed == nil || *got.Result.Passed != c.win {
			t.Errorf("%s: got %+v, want quorum %v, passed %v", c.name, got.Result, c.quorum, c.win)
		}
	}
}
