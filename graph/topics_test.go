package graph_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lib/pq"

	"linli/db"
	"linli/graph"
)

// ---------------------------------------------------------------- queries and shapes

const topicFields = `id title description state closingReason cosignCount cosignThreshold cosignedByMe canCosign
	place { name } community { name } raisedBy { id name }
	linkedWishes { id title }
	timeline { action actor { id } actorName fromState toState reason }`

const (
	qRaise    = `mutation($in: RaiseTopicInput!) { t: raiseTopic(input: $in) { ` + topicFields + ` } }`
	qCosign   = `mutation($id: ID!) { t: cosignTopic(topicId: $id) { ` + topicFields + ` } }`
	qAccept   = `mutation($id: ID!, $n: String) { t: acceptTopic(topicId: $id, note: $n) { ` + topicFields + ` } }`
	qDecline  = `mutation($id: ID!, $r: String!) { t: declineTopic(topicId: $id, reason: $r) { ` + topicFields + ` } }`
	qWithdraw = `mutation($id: ID!, $r: String) { t: withdrawTopic(topicId: $id, reason: $r) { ` + topicFields + ` } }`
	qComment  = `mutation($in: CommentOnTopicInput!) { c: commentOnTopic(input: $in) { id body stance author { name } replies { id } } }`
	qTopic    = `query($id: ID!) { t: node(id: $id) { ... on Topic { ` + topicFields + ` } } }`
	qTopics   = `query($p: ID, $s: [TopicState!], $n: Int, $after: String) { topics(placeId: $p, state: $s, first: $n, after: $after) {
		totalCount pageInfo { hasNextPage endCursor } nodes { id title state } } }`
	qComments = `query($id: ID!, $n: Int, $after: String) { t: node(id: $id) { ... on Topic {
		comments(first: $n, after: $after) { totalCount pageInfo { hasNextPage endCursor }
			nodes { id body stance author { name } replies { id body author { name } replies { id } } } } } } }`
)

type topicEvent struct {
	Action    string
	Actor     *struct{ ID string }
	ActorName string
	FromState *string
	ToState   string
	Reason    *string
}

type topicOut struct {
	ID, Title, Description, State string
	ClosingReason                 *string
	CosignCount                   int
	CosignThreshold               int
	CosignedByMe                  bool
	CanCosign                     bool
	Place, Community              struct{ Name string }
	RaisedBy                      struct{ ID, Name string }
	LinkedWishes                  []struct{ ID, Title string }
	Timeline                      []topicEvent
}

type topicPage struct {
	Topics struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Nodes []struct{ ID, Title, State string }
	}
}

type commentOut struct {
	ID, Body string
	Stance   *string
	Author   struct{ Name string }
	Replies  []commentOut
}

// ---------------------------------------------------------------- helpers

func mustTopic(t *testing.T, r *response) topicOut {
	t.Helper()
	var out struct{ T *topicOut }
	r.Decode(t, &out)
	if out.T == nil {
		t.Fatal("got no topic, want one")
	}
	return *out.T
}

func (e *env) raise(token, place, title string, wishIDs ...string) *response {
	e.t.Helper()
	if wishIDs == nil {
		wishIDs = []string{}
	}
	return e.do(token, qRaise, map[string]any{"in": map[string]any{
		"placeId": place, "title": title, "description": title + "，请大家一起商量。", "wishIds": wishIDs}})
}

func (e *env) cosign(token, id string) *response {
	e.t.Helper()
	return e.do(token, qCosign, map[string]any{"id": id})
}

func (e *env) comment(token, topic, body string, stance, replyTo any) *response {
	e.t.Helper()
	return e.do(token, qComment, map[string]any{"in": map[string]any{"topicId": topic, "body": body, "stance": stance, "replyTo": replyTo}})
}

func (e *env) topicRowID(title string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM topics WHERE title = $1`, title); err != nil {
		e.t.Fatalf("topic %q: %v", title, err)
	}
	return id
}

// setCosignThreshold sets the co-signing threshold of the community with that name.
func (e *env) setCosignThreshold(community string, n int) {
	e.t.Helper()
	if _, err := e.db.Exec(`INSERT INTO community_settings (community_id, cosign_threshold)
		SELECT id, $2 FROM places WHERE name = $1 AND level = 'community'
		ON CONFLICT (community_id) DO UPDATE SET cosign_threshold = excluded.cosign_threshold`, community, n); err != nil {
		e.t.Fatal(err)
	}
}

// compoundResidents makes n verified residents with accounts in households of 和平花园小区,
// directly in the database, and signs them in.
func (e *env) compoundResidents(n int, phonePrefix string) []string {
	e.t.Helper()
	hash, err := db.HashPassword("mima-2026", testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.Exec(`WITH h AS (
			SELECT array_agg(h.id ORDER BY h.id) AS ids FROM places h JOIN places c ON c.id = ANY(h.path)
			WHERE h.level = 'household' AND c.name = '和平花园小区'),
		a AS (
			INSERT INTO accounts (phone, name, password_hash, created_at)
			SELECT $3 || lpad(i::text, 8, '0'), '居民' || i, $1, now() FROM generate_series(1, $2) i RETURNING id)
		INSERT INTO residents (household_id, name, birth_date, account_id, verified_at, created_at)
		SELECT h.ids[1 + (a.id % array_length(h.ids, 1))], '居民', '1980-01-01', a.id, now(), now() FROM a, h`,
		hash, n, phonePrefix); err != nil {
		e.t.Fatal(err)
	}
	tokens := make([]string, n)
	for i := range n {
		var out struct{ Login struct{ Token string } }
		e.do("", `mutation($p: String!) { login(phone: $p, password: "mima-2026") { token } }`,
			map[string]any{"p": fmt.Sprintf("%s%08d", phonePrefix, i+1)}).Decode(e.t, &out)
		tokens[i] = out.Login.Token
	}
	return tokens
}

func topicActions(es []topicEvent) []string {
	var as []string
	for _, e := range es {
		as = append(as, e.Action)
	}
	return as
}

// ---------------------------------------------------------------- tests

func TestTopicRaise(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	compound := e.placeID("和平花园小区")

	own := e.submit(resident, e.wishInput("楼道灯坏了"))
	tp := mustTopic(t, e.raise(resident, compound, "小区停车位不够", own.ID))
	if tp.State != "PROPOSED" || tp.Place.Name != "和平花园小区" || tp.Community.Name != "和平社区" {
		t.Fatalf("topic: got %s at %s in %s, want PROPOSED at 和平花园小区 in 和平社区", tp.State, tp.Place.Name, tp.Community.Name)
	}
	if tp.RaisedBy.Name != "张秀英" || tp.CosignCount != 0 || tp.CosignThreshold != 5 || tp.CanCosign || tp.CosignedByMe {
		t.Fatalf("topic: got raisedBy %s, %d/%d co-signers, canCosign %v, want 张秀英, 0/5, false", tp.RaisedBy.Name, tp.CosignCount, tp.CosignThreshold, tp.CanCosign)
	}
	if len(tp.LinkedWishes) != 1 || tp.LinkedWishes[0].ID != own.ID {
		t.Fatalf("linked wishes: got %v, want [%s]", tp.LinkedWishes, own.ID)
	}
	if got := topicActions(tp.Timeline); !slices.Equal(got, []string{"RAISE"}) || tp.Timeline[0].ToState != "PROPOSED" {
		t.Fatalf("timeline: got %v, want [RAISE] to PROPOSED", got)
	}

	// Staff raise for their community.
	if tp := mustTopic(t, e.raise(staff, e.placeID("和平社区"), "社区微实事资金怎么用")); tp.State != "PROPOSED" {
		t.Fatalf("staff topic: got %s, want PROPOSED", tp.State)
	}

	t.Run("Unverified", func(t *testing.T) {
		var household int64
		if err := e.db.Get(&household, `SELECT h.id FROM places h JOIN places c ON c.id = ANY(h.path)
			WHERE h.level = 'household' AND c.name = '和平花园小区' ORDER BY h.id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		var reg struct{ Register struct{ Token string } }
		e.do("", registerMutation, map[string]any{"in": map[string]any{
			"phone": "13712340001", "password": "mima-2026", "name": "新住户", "birthDate": "1990-04-12",
			"householdId": graph.GlobalID("Place", household), "isOwner": false,
		}}).Decode(t, &reg)
		e.raise(reg.Register.Token, compound, "未核实居民的议题").wantCode(t, db.EFORBIDDEN)
	})
	t.Run("WrongLevel", func(t *testing.T) {
		r := e.raise(resident, e.placeID("第一网格"), "网格里的议题")
		r.wantCode(t, db.EINVALID)
		if r.Field() != "placeId" {
			t.Fatalf("field: got %q, want placeId", r.Field())
		}
	})
	t.Run("OtherCommunity", func(t *testing.T) {
		e.raise(resident, e.placeID("光明社区"), "别的社区的议题").wantCode(t, db.EFORBIDDEN)
		e.raise(e.login(phoneStaffGuangming), compound, "别的社区的议题").wantCode(t, db.EFORBIDDEN)
	})
	t.Run("WishNotVisible", func(t *testing.T) {
		// A wish submitted for someone else and not yet published: the resident cannot see it.
		other := e.gridResidents(staff, 1, phoneResident)
		in := e.wishInput("代办的心愿")
		in["beneficiaryId"] = other[0]
		w := e.submit(staff, in)
		r := e.raise(resident, compound, "从别人的心愿来的议题", w.ID)
		r.wantCode(t, db.EINVALID)
		if r.Field() != "wishIds" {
			t.Fatalf("field: got %q, want wishIds", r.Field())
		}
		many := make([]string, 11)
		for i := range many {
			many[i] = own.ID
		}
		if r := e.raise(resident, compound, "太多心愿", many...); r.Code() != db.EINVALID || r.Field() != "wishIds" {
			t.Fatalf("11 wishes: got %s (%s), want INVALID_INPUT (wishIds)", r.Code(), r.Field())
		}
	})
	t.Run("Input", func(t *testing.T) {
		long := strings.Repeat("长", 61)
		for _, c := range []struct{ title, field string }{{"   ", "title"}, {long, "title"}} {
			r := e.raise(resident, compound, c.title)
			if r.Code() != db.EINVALID || r.Field() != c.field {
				t.Fatalf("title %q: got %s (%s), want INVALID_INPUT (%s)", c.title, r.Code(), r.Field(), c.field)
			}
		}
		e.raise("", compound, "未登录").wantCode(t, db.EUNAUTHENTICATED)
	})
}

func TestTopicCosign(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setCosignThreshold("和平社区", 3)
	resident := e.login(phoneResident)
	tp := mustTopic(t, e.raise(resident, e.placeID("和平花园小区"), "电梯经常坏"))

	// The raiser cannot co-sign; someone living elsewhere cannot either.
	e.cosign(resident, tp.ID).wantCode(t, db.EFORBIDDEN)
	e.cosign(e.login(phoneVolunteer), tp.ID).wantCode(t, db.EFORBIDDEN) // lives in 老街网格
	e.cosign(e.login(phoneStaffGuangming), tp.ID).wantCode(t, db.ENOTFOUND)

	leader := e.login(phoneBuildingLeader)
	got := mustTopic(t, e.cosign(leader, tp.ID))
	if got.State != "PROPOSED" || got.CosignCount != 1 || got.CosignThreshold != 3 || !got.CosignedByMe || got.CanCosign {
		t.Fatalf("after one: got %s %d/%d cosignedByMe %v canCosign %v, want PROPOSED 1/3 true false",
			got.State, got.CosignCount, got.CosignThreshold, got.CosignedByMe, got.CanCosign)
	}
	e.cosign(leader, tp.ID).wantCode(t, db.ECONFLICT)

	// The database itself refuses a second co-signature.
	topicID := e.topicRowID("电梯经常坏")
	_, err := e.db.Exec(`INSERT INTO topic_cosigners (topic_id, account_id, at)
		SELECT $1, id, now() FROM accounts WHERE phone = $2`, topicID, phoneBuildingLeader)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23505" {
		t.Fatalf("second co-signature: got %v, want a unique violation (23505)", err)
	}

	party := e.login(phonePartyMember)
	var before struct{ T topicOut }
	e.do(party, qTopic, map[string]any{"id": tp.ID}).Decode(t, &before)
	if !before.T.CanCosign {
		t.Fatal("canCosign for a resident of the compound: got false, want true")
	}
	if got := mustTopic(t, e.cosign(party, tp.ID)); got.State != "PROPOSED" || got.CosignCount != 2 {
		t.Fatalf("after two: got %s with %d, want PROPOSED with 2", got.State, got.CosignCount)
	}
	got = mustTopic(t, e.cosign(e.login(phoneCouncil), tp.ID))
	if got.State != "READY" || got.CosignCount != 3 {
		t.Fatalf("after three: got %s with %d, want READY with 3", got.State, got.CosignCount)
	}
	if as := topicActions(got.Timeline); !slices.Equal(as, []string{"RAISE", "COSIGN_READY"}) {
		t.Fatalf("timeline: got %v, want [RAISE COSIGN_READY]", as)
	}
	ready := got.Timeline[1]
	if ready.Actor != nil || ready.ActorName != "系统" || str(ready.FromState) != "PROPOSED" || ready.ToState != "READY" {
		t.Fatalf("COSIGN_READY event: got %+v, want by the system from PROPOSED to READY", ready)
	}
}

func TestTopicCosignRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 20
	tokens := e.compoundResidents(n, "135")
	tp := mustTopic(t, e.raise(e.login(phoneResident), e.placeID("和平花园小区"), "加装电梯"))

	codes := make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			r, err := e.post(tokens[i], qCosign, map[string]any{"id": tp.ID})
			if err != nil {
				errs[i] = err
				return
			}
			codes[i] = r.Code()
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || codes[i] != "" {
			t.Fatalf("co-signer %d: got %q (%v), want success", i, codes[i], errs[i])
		}
	}
	id := e.topicRowID("加装电梯")
	if got := e.count(`SELECT count(*) FROM topic_cosigners WHERE topic_id = $1`, id); got != n {
		t.Fatalf("co-signatures: got %d, want %d", got, n)
	}
	if got := e.count(`SELECT count(*) FROM topic_events WHERE topic_id = $1 AND action = 'cosign_ready'`, id); got != 1 {
		t.Fatalf("COSIGN_READY events: got %d, want 1", got)
	}
	var after struct{ T topicOut }
	e.do(tokens[0], qTopic, map[string]any{"id": tp.ID}).Decode(t, &after)
	if after.T.State != "READY" || after.T.CosignCount != n {
		t.Fatalf("topic: got %s with %d, want READY with %d", after.T.State, after.T.CosignCount, n)
	}
}

func TestTopicDecisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	compound := e.placeID("和平花园小区")

	t.Run("Accept", func(t *testing.T) {
		tp := mustTopic(t, e.raise(resident, compound, "垃圾分类点位置"))
		e.do(e.login(phoneCouncil), qAccept, map[string]any{"id": tp.ID}).wantCode(t, db.EFORBIDDEN)
		e.do(resident, qAccept, map[string]any{"id": tp.ID}).wantCode(t, db.EFORBIDDEN)
		got := mustTopic(t, e.do(staff, qAccept, map[string]any{"id": tp.ID, "n": "列入下次议事会"}))
		if got.State != "ACCEPTED" || str(got.Timeline[1].Reason) != "列入下次议事会" || got.Timeline[1].ActorName != "陈静" {
			t.Fatalf("accepted: got %s %+v, want ACCEPTED by 陈静 with the note", got.State, got.Timeline)
		}
		e.do(staff, qAccept, map[string]any{"id": tp.ID}).wantCode(t, db.EINVALIDSTATE)
		e.do(resident, qWithdraw, map[string]any{"id": tp.ID}).wantCode(t, db.EINVALIDSTATE)
	})
	t.Run("Decline", func(t *testing.T) {
		tp := mustTopic(t, e.raise(resident, compound, "在小区里养鸡"))
		r := e.do(staff, qDecline, map[string]any{"id": tp.ID, "r": "  "})
		if r.Code() != db.EINVALID || r.Field() != "reason" {
			t.Fatalf("no reason: got %s (%s), want INVALID_INPUT (reason)", r.Code(), r.Field())
		}
		if c := e.do(e.login(phoneStaffGuangming), qDecline, map[string]any{"id": tp.ID, "r": "不行"}).Code(); c != db.EFORBIDDEN && c != db.ENOTFOUND {
			t.Fatalf("光明社区 staff: got %q, want FORBIDDEN or NOT_FOUND", c)
		}
		got := mustTopic(t, e.do(staff, qDecline, map[string]any{"id": tp.ID, "r": "违反物业管理规定"}))
		if got.State != "DECLINED" || str(got.ClosingReason) != "违反物业管理规定" {
			t.Fatalf("declined: got %s (%s), want DECLINED with the reason", got.State, str(got.ClosingReason))
		}
		e.cosign(e.login(phoneBuildingLeader), tp.ID).wantCode(t, db.EINVALIDSTATE)
		e.comment(resident, tp.ID, "好吧", nil, nil).wantCode(t, db.EINVALIDSTATE)
	})
	t.Run("Withdraw", func(t *testing.T) {
		tp := mustTopic(t, e.raise(resident, compound, "晚上广场舞太吵"))
		e.do(e.login(phoneBuildingLeader), qWithdraw, map[string]any{"id": tp.ID}).wantCode(t, db.EFORBIDDEN)
		got := mustTopic(t, e.do(resident, qWithdraw, map[string]any{"id": tp.ID, "r": "已经和大家商量好了"}))
		if got.State != "WITHDRAWN" || str(got.ClosingReason) != "已经和大家商量好了" {
			t.Fatalf("withdrawn: got %s (%s), want WITHDRAWN with the reason", got.State, str(got.ClosingReason))
		}
		if as := topicActions(got.Timeline); !slices.Equal(as, []string{"RAISE", "WITHDRAW"}) {
			t.Fatalf("timeline: got %v, want [RAISE WITHDRAW]", as)
		}
		e.cosign(e.login(phoneBuildingLeader), tp.ID).wantCode(t, db.EINVALIDSTATE)
		e.do(staff, qAccept, map[string]any{"id": tp.ID}).wantCode(t, db.EINVALIDSTATE)
	})
}

func TestTopicComments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, council := e.login(phoneResident), e.login(phoneStaff), e.login(phoneCouncil)
	tp := mustTopic(t, e.raise(resident, e.placeID("和平花园小区"), "小区绿化改造"))

	var top struct{ C commentOut }
	e.comment(resident, tp.ID, "希望多种些树", "FOR", nil).Decode(t, &top)
	if top.C.Body != "希望多种些树" || str(top.C.Stance) != "FOR" || top.C.Author.Name != "张秀英" {
		t.Fatalf("comment: got %+v, want the resident's FOR comment", top.C)
	}
	var reply struct{ C commentOut }
	e.comment(council, tp.ID, "议事会会考虑", nil, top.C.ID).Decode(t, &reply)
	var second struct{ C commentOut }
	e.comment(staff, tp.ID, "需要预算", "NEUTRAL", nil).Decode(t, &second)

	// One level of replies only, and only within the topic.
	r := e.comment(resident, tp.ID, "回复的回复", nil, reply.C.ID)
	if r.Code() != db.EINVALID || r.Field() != "replyTo" {
		t.Fatalf("reply to a reply: got %s (%s), want INVALID_INPUT (replyTo)", r.Code(), r.Field())
	}
	other := mustTopic(t, e.raise(resident, e.placeID("和平花园小区"), "另一个议题"))
	if r := e.comment(resident, other.ID, "回到别的议题", nil, top.C.ID); r.Code() != db.EINVALID || r.Field() != "replyTo" {
		t.Fatalf("reply across topics: got %s (%s), want INVALID_INPUT (replyTo)", r.Code(), r.Field())
	}
	var replyID int64
	if err := e.db.Get(&replyID, `SELECT id FROM topic_comments WHERE body = '议事会会考虑'`); err != nil {
		t.Fatal(err)
	}
	_, err := e.db.Exec(`INSERT INTO topic_comments (topic_id, author_id, reply_to, body, created_at)
		SELECT topic_id, author_id, id, '数据库里的回复的回复', now() FROM topic_comments WHERE id = $1`, replyID)
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "23514" {
		t.Fatalf("reply to a reply in SQL: got %v, want a check violation (23514)", err)
	}

	// Who may comment.
	e.comment(e.login(phoneVolunteer), tp.ID, "我不住这里", nil, nil).wantCode(t, db.EFORBIDDEN)
	e.comment(e.login(phoneStaffGuangming), tp.ID, "别的社区", nil, nil).wantCode(t, db.ENOTFOUND)
	if r := e.comment(resident, tp.ID, "   ", nil, nil); r.Code() != db.EINVALID || r.Field() != "body" {
		t.Fatalf("blank body: got %s (%s), want INVALID_INPUT (body)", r.Code(), r.Field())
	}

	// Oldest first, replies nested, paged.
	type commentsOut struct {
		T struct {
			Comments struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   *string
				}
				Nodes []commentOut
			}
		}
	}
	var page1 commentsOut
	e.do(e.login(phoneSupervisor), qComments, map[string]any{"id": tp.ID, "n": 1}).Decode(t, &page1)
	c := page1.T.Comments
	if c.TotalCount != 2 || !c.PageInfo.HasNextPage || len(c.Nodes) != 1 || c.Nodes[0].Body != "希望多种些树" {
		t.Fatalf("page 1: got %+v, want the first of 2 comments with a next page", c)
	}
	if len(c.Nodes[0].Replies) != 1 || c.Nodes[0].Replies[0].Body != "议事会会考虑" || c.Nodes[0].Replies[0].Author.Name != "周**" {
		t.Fatalf("replies: got %+v, want the council member's reply, named masked to a supervisor who holds no role over their home", c.Nodes[0].Replies)
	}
	var page2 commentsOut
	e.do(resident, qComments, map[string]any{"id": tp.ID, "n": 5, "after": *c.PageInfo.EndCursor}).Decode(t, &page2)
	c = page2.T.Comments
	if c.PageInfo.HasNextPage || len(c.Nodes) != 1 || c.Nodes[0].Body != "需要预算" || len(c.Nodes[0].Replies) != 0 {
		t.Fatalf("page 2: got %+v, want the staff comment alone", c)
	}
}

func TestTopicList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	compound, heping := e.placeID("和平花园小区"), e.placeID("和平社区")
	titles := []string{"议题一", "议题二", "议题三"}
	var first topicOut
	for i, title := range titles {
		tp := mustTopic(t, e.raise(resident, compound, title))
		if i == 0 {
			first = tp
		}
	}
	mustTopic(t, e.raise(staff, heping, "社区议题"))
	mustTopic(t, e.do(staff, qAccept, map[string]any{"id": first.ID}))

	list := func(token string, vars map[string]any) topicPage {
		t.Helper()
		var p topicPage
		e.do(token, qTopics, vars).Decode(t, &p)
		return p
	}
	// Newest first, paged.
	p := list(resident, map[string]any{"p": compound, "n": 2})
	if p.Topics.TotalCount != 3 || !p.Topics.PageInfo.HasNextPage || len(p.Topics.Nodes) != 2 ||
		p.Topics.Nodes[0].Title != "议题三" || p.Topics.Nodes[1].Title != "议题二" {
		t.Fatalf("page 1: got %+v, want 议题三, 议题二 of 3", p.Topics)
	}
	p = list(resident, map[string]any{"p": compound, "n": 2, "after": *p.Topics.PageInfo.EndCursor})
	if len(p.Topics.Nodes) != 1 || p.Topics.Nodes[0].Title != "议题一" || p.Topics.PageInfo.HasNextPage {
		t.Fatalf("page 2: got %+v, want 议题一 alone", p.Topics)
	}
	if p := list(resident, map[string]any{"p": heping}); p.Topics.TotalCount != 4 {
		t.Fatalf("in 和平社区: got %d, want 4", p.Topics.TotalCount)
	}
	if p := list(staff, map[string]any{"s": []string{"ACCEPTED"}}); p.Topics.TotalCount != 1 || p.Topics.Nodes[0].Title != "议题一" {
		t.Fatalf("accepted: got %+v, want 议题一", p.Topics)
	}
	// People linked to the community see them; others do not.
	for _, phone := range []string{phoneVolunteer, phoneCouncil, phoneSupervisor, phoneGridWorker, phoneAnalyst, phoneAdmin} {
		if p := list(e.login(phone), nil); p.Topics.TotalCount != 4 {
			t.Fatalf("%s: got %d topics, want 4", phone, p.Topics.TotalCount)
		}
	}
	guangming := e.login(phoneStaffGuangming)
	for _, vars := range []map[string]any{nil, {"p": heping}} {
		if p := list(guangming, vars); p.Topics.TotalCount != 0 || len(p.Topics.Nodes) != 0 {
			t.Fatalf("光明社区 staff (%v): got %d topics, want 0", vars, p.Topics.TotalCount)
		}
	}
	var hiddenTopic struct{ T *topicOut }
	e.do(guangming, qTopic, map[string]any{"id": first.ID}).Decode(t, &hiddenTopic)
	if hiddenTopic.T != nil {
		t.Fatalf("node for 光明社区 staff: got %+v, want null", hiddenTopic.T)
	}
	e.do("", qTopics, nil).wantCode(t, db.EUNAUTHENTICATED)
}

// A list of topics costs a fixed number of statements, however long the page.
func TestTopicStatementCount(t *testing.T) {
	e := newEnv(t, batchGenerously)
	resident, staff, council := e.login(phoneResident), e.login(phoneStaff), e.login(phoneCouncil)
	leader := e.login(phoneBuildingLeader)
	wish := e.submit(resident, e.wishInput("想修好单元门"))
	for i := range 25 {
		tp := mustTopic(t, e.raise(resident, e.placeID("和平花园小区"), fmt.Sprintf("议题%02d", i), wish.ID))
		mustTopic(t, e.cosign(leader, tp.ID))
		var c struct{ C commentOut }
		e.comment(resident, tp.ID, "我的意见", "FOR", nil).Decode(t, &c)
		e.comment(council, tp.ID, "收到", nil, c.C.ID).Decode(t, &struct{}{})
	}
	const q = `query($n: Int) { topics(first: $n) { totalCount nodes { id title state cosignCount cosignThreshold cosignedByMe canCosign
		place { name } community { name } raisedBy { name phone } linkedWishes { title beneficiaryName }
		comments(first: 3) { totalCount nodes { body stance author { name } replies { body author { name } } } }
		timeline { action actorName actor { name } } } } }`
	page := func(n int) func() {
		return func() {
			var out struct {
				Topics struct {
					Nodes []struct {
						Title        string
						LinkedWishes []json.RawMessage
						Comments     struct{ Nodes []commentOut }
					}
				}
			}
			e.do(staff, q, map[string]any{"n": n}).Decode(t, &out)
			if len(out.Topics.Nodes) != n {
				t.Fatalf("got %d topics, want %d", len(out.Topics.Nodes), n)
			}
			for _, tp := range out.Topics.Nodes {
				if len(tp.LinkedWishes) != 1 || len(tp.Comments.Nodes) != 1 || len(tp.Comments.Nodes[0].Replies) != 1 {
					t.Fatalf("%s: got %d wishes and comments %+v, want one wish and one comment with one reply", tp.Title, len(tp.LinkedWishes), tp.Comments.Nodes)
				}
			}
		}
	}
	counts := e.fewestStatements(
		func() { e.do(staff, `{ me { id } }`, nil) }, // warm: statements are prepared once per connection
		func(c []int) bool { return c[0] == c[1] && c[0] <= 25 },
		page(5), page(20))
	t.Logf("statements for 5 and 20 topics: %v", counts)
	if counts[0] != counts[1] || counts[0] > 25 {
		t.Fatalf("statements for 5 and 20 topics: got %v, want the same for both and at most 25", counts)
	}
}
