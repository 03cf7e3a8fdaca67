package graph_test

import (
	"slices"
	"testing"

	"linli/db"
)

const needFields = `id source state category title description peopleAffected budgetFen urgency closingReason matchedAt
	place { name } community { name } wish { id state closingReason } topic { id state }
	timeline { action actorName fromState toState reason }`

const (
	qCreateNeed = `mutation($in: CreateNeedInput!) { n: createNeed(input: $in) { ` + needFields + ` } }`
	qCloseNeed  = `mutation($id: ID!, $r: String!) { n: closeNeed(needId: $id, reason: $r) { ` + needFields + ` } }`
	qNeedNode   = `query($id: ID!) { n: node(id: $id) { ... on Need { ` + needFields + ` } } }`
	qNeeds      = `query($p: ID, $s: [NeedState!], $c: ServiceCategory) { needs(placeId: $p, state: $s, category: $c) {
		totalCount nodes { id title state category } } }`
	qWishNeed  = `query($id: ID!) { w: node(id: $id) { ... on Wish { state closingReason need { id title } timeline { action reason } } } }`
	qTopicNeed = `query($id: ID!) { t: node(id: $id) { ... on Topic { state need { id title } } } }`
)

type needOut struct {
	ID, Source, State, Category, Title, Description, Urgency string
	PeopleAffected                                           int
	BudgetFen                                                *int
	ClosingReason                                            *string
	Place, Community                                         struct{ Name string }
	Wish                                                     *struct {
		ID, State     string
		ClosingReason *string
	}
	Topic    *struct{ ID, State string }
	Timeline []struct {
		Action, ActorName, ToState string
		FromState, Reason          *string
	}
}

func needOf(t *testing.T, r *response) *needOut {
	t.Helper()
	var out struct{ N *needOut }
	r.Decode(t, &out)
	return out.N
}

func mustNeed(t *testing.T, r *response) needOut {
	t.Helper()
	n := needOf(t, r)
	if n == nil {
		t.Fatal("got no need, want one")
	}
	return *n
}

// needInput is a valid createNeed input from source, linked by the given field.
func needInput(source, field, id, title string) map[string]any {
	in := map[string]any{"source": source, "category": "ELDERLY_CARE", "title": title,
		"description": title + "：楼里老人多，一名志愿者办不了。", "peopleAffected": 40, "budgetFen": 3000000, "urgency": "HIGH"}
	if field != "" {
		in[field] = id
	}
	return in
}

func (e *env) createNeed(token string, in map[string]any) *response {
	e.t.Helper()
	return e.do(token, qCreateNeed, map[string]any{"in": in})
}

// needFromWish publishes a wish of the demo resident and has staff turn it into a need.
func (e *env) needFromWish(title string) (needOut, wishOut) {
	e.t.Helper()
	staff := e.login(phoneStaff)
	w := e.published(e.login(phoneResident), staff, title)
	return mustNeed(e.t, e.createNeed(staff, needInput("WISH", "wishId", w.ID, title))), w
}

// needFromTopic raises a topic in 和平花园小区, has staff accept it and turn it into a need.
func (e *env) needFromTopic(title string) needOut {
	e.t.Helper()
	staff := e.login(phoneStaff)
	tp := mustTopic(e.t, e.raise(e.login(phoneResident), e.placeID("和平花园小区"), title))
	mustTopic(e.t, e.do(staff, qAccept, map[string]any{"id": tp.ID}))
	in := needInput("TOPIC", "topicId", tp.ID, title)
	in["category"] = "ENVIRONMENT"
	return mustNeed(e.t, e.createNeed(staff, in))
}

func TestNeedFromWish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	w := e.published(resident, staff, "楼道需要安装扶手")
	in := needInput("WISH", "wishId", w.ID, "楼道需要安装扶手")

	// Only staff of the wish's community turn it into a need; nobody else changes anything.
	e.createNeed(e.login(phoneVolunteer), in).wantCode(t, db.EFORBIDDEN)
	e.createNeed(e.login(phoneGridWorker), in).wantCode(t, db.EFORBIDDEN)
	if c := e.createNeed(e.login(phoneStaffGuangming), in).Code(); c != db.EFORBIDDEN && c != db.ENOTFOUND {
		t.Fatalf("光明社区 staff: got %q, want FORBIDDEN or NOT_FOUND", c)
	}
	if n := e.count(`SELECT count(*) FROM needs`); n != 0 {
		t.Fatalf("refused requests left %d needs, want 0", n)
	}

	n := mustNeed(t, e.createNeed(staff, in))
	if n.Source != "WISH" || n.State != "OPEN" || n.Community.Name != "和平社区" || n.PeopleAffected != 40 ||
		n.BudgetFen == nil || *n.BudgetFen != 3000000 || n.Urgency != "HIGH" || n.Category != "ELDERLY_CARE" {
		t.Fatalf("need: got %+v, want an OPEN need from the wish in 和平社区 as entered", n)
	}
	if n.Wish == nil || n.Wish.ID != w.ID || n.Wish.State != "CLOSED" {
		t.Fatalf("need's wish: got %+v, want the wish %s, CLOSED", n.Wish, w.ID)
	}
	if len(n.Timeline) != 1 || n.Timeline[0].Action != "CREATE" || n.Timeline[0].ActorName != "陈静" {
		t.Fatalf("timeline: got %+v, want one CREATE by 陈静", n.Timeline)
	}

	// The wish ends saying so, linked back, and its beneficiary reads why.
	var got struct {
		W struct {
			State, ClosingReason string
			Need                 *struct{ ID, Title string }
			Timeline             []struct {
				Action string
				Reason *string
			}
		}
	}
	e.do(resident, qWishNeed, map[string]any{"id": w.ID}).Decode(t, &got)
	last := got.W.Timeline[len(got.W.Timeline)-1]
	if got.W.State != "CLOSED" || last.Action != "TO_NEED" || str(last.Reason) != got.W.ClosingReason || got.W.ClosingReason == "" {
		t.Fatalf("wish: got %+v, want CLOSED with a TO_NEED step giving the reason", got.W)
	}
	if got.W.Need != nil {
		t.Fatalf("the resident sees the need %+v, want null (the needs list is for staff)", got.W.Need)
	}
	e.do(staff, qWishNeed, map[string]any{"id": w.ID}).Decode(t, &got)
	if got.W.Need == nil || got.W.Need.ID != n.ID {
		t.Fatalf("staff: wish.need got %+v, want %s", got.W.Need, n.ID)
	}

	// Once only; a closed wish cannot be claimed or turned again.
	e.createNeed(staff, in).wantCode(t, db.EINVALIDSTATE)
	e.claim(e.login(phoneVolunteer), w.ID).wantCode(t, db.EINVALIDSTATE)
	if c := e.count(`SELECT count(*) FROM needs`); c != 1 {
		t.Fatalf("needs: got %d, want 1", c)
	}

	// A claimed wish is the volunteer's to do.
	w2 := e.published(resident, staff, "帮忙买药")
	mustWish(t, e.claim(e.login(phoneVolunteer), w2.ID))
	e.createNeed(staff, needInput("WISH", "wishId", w2.ID, "帮忙买药")).wantCode(t, db.EINVALIDSTATE)
}

func TestNeedFromTopic(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	tp := mustTopic(t, e.raise(resident, e.placeID("和平花园小区"), "小区缺少充电桩"))
	in := needInput("TOPIC", "topicId", tp.ID, "小区缺少充电桩")

	// A topic not yet accepted is the residents' to co-sign, not a need.
	e.createNeed(staff, in).wantCode(t, db.EINVALIDSTATE)
	mustTopic(t, e.do(staff, qAccept, map[string]any{"id": tp.ID}))
	e.createNeed(e.login(phoneCouncil), in).wantCode(t, db.EFORBIDDEN)

	n := mustNeed(t, e.createNeed(staff, in))
	if n.Source != "TOPIC" || n.Topic == nil || n.Topic.ID != tp.ID || n.Topic.State != "ACCEPTED" || n.Place.Name != "和平花园小区" {
		t.Fatalf("need: got %+v, want from the topic, at 和平花园小区, the topic still ACCEPTED", n)
	}
	e.createNeed(staff, in).wantCode(t, db.ECONFLICT)

	var got struct {
		T struct{ Need *struct{ ID string } }
	}
	e.do(e.login(phoneCouncil), qTopicNeed, map[string]any{"id": tp.ID}).Decode(t, &got)
	if got.T.Need == nil || got.T.Need.ID != n.ID {
		t.Fatalf("council member: topic.need got %+v, want %s", got.T.Need, n.ID)
	}
}

func TestNeedListAndClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	a, _ := e.needFromWish("独居老人助餐")
	b := e.needFromTopic("单元门禁损坏")
	visit := needInput("VISIT", "placeId", e.placeID("和平花园小区"), "三号楼老人需要上门理发")

	n := mustNeed(t, e.createNeed(staff, visit))
	if n.Source != "VISIT" || n.Wish != nil || n.Topic != nil {
		t.Fatalf("need from a visit: got %+v", n)
	}

	var page struct {
		Needs struct {
			TotalCount int
			Nodes      []struct{ ID, Title, State, Category string }
		}
	}
	e.do(staff, qNeeds, nil).Decode(t, &page)
	if page.Needs.TotalCount != 3 || page.Needs.Nodes[0].ID != n.ID || page.Needs.Nodes[2].ID != a.ID {
		t.Fatalf("staff's needs: got %+v, want the three, newest first", page.Needs)
	}
	e.do(staff, qNeeds, map[string]any{"c": "ENVIRONMENT"}).Decode(t, &page)
	if page.Needs.TotalCount != 1 || page.Needs.Nodes[0].ID != b.ID {
		t.Fatalf("environment: got %+v, want %s", page.Needs, b.ID)
	}
	for _, who := range []string{phoneResident, phoneVolunteer, phoneStaffGuangming} {
		e.do(e.login(who), qNeeds, nil).Decode(t, &page)
		if page.Needs.TotalCount != 0 {
			t.Fatalf("%s sees %d needs, want 0", who, page.Needs.TotalCount)
		}
		if got := needOf(t, e.do(e.login(who), qNeedNode, map[string]any{"id": a.ID})); got != nil {
			t.Fatalf("%s reads need %s by node, want null", who, a.ID)
		}
	}
	e.do("", qNeeds, nil).wantCode(t, db.EUNAUTHENTICATED)

	// Closing needs a reason and staff; a closed need stays closed.
	r := e.do(staff, qCloseNeed, map[string]any{"id": a.ID, "r": "  "})
	if r.Code() != db.EINVALID || r.Field() != "reason" {
		t.Fatalf("blank reason: got %s (%s), want INVALID_INPUT (reason)", r.Code(), r.Field())
	}
	e.do(e.login(phoneGridWorker), qCloseNeed, map[string]any{"id": a.ID, "r": "重复"}).wantCode(t, db.EFORBIDDEN)
	closed := mustNeed(t, e.do(staff, qCloseNeed, map[string]any{"id": a.ID, "r": "街道助餐点已覆盖"}))
	if closed.State != "CLOSED" || str(closed.ClosingReason) != "街道助餐点已覆盖" ||
		!slices.Equal([]string{closed.Timeline[0].Action, closed.Timeline[1].Action}, []string{"CREATE", "CLOSE"}) {
		t.Fatalf("closed: got %+v", closed)
	}
	e.do(staff, qCloseNeed, map[string]any{"id": a.ID, "r": "再关一次"}).wantCode(t, db.EINVALIDSTATE)
}

func TestNeedInputErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	w := e.published(e.login(phoneResident), staff, "社区活动室桌椅")
	base := func() map[string]any { return needInput("WISH", "wishId", w.ID, "社区活动室桌椅") }
	for _, c := range []struct {
		name, field string
		set         func(map[string]any)
	}{
		{"NoTitle", "title", func(in map[string]any) { in["title"] = " " }},
		{"LongTitle", "title", func(in map[string]any) { in["title"] = string(make([]rune, 101)) }},
		{"NoDescription", "description", func(in map[string]any) { in["description"] = "" }},
		{"NobodyAffected", "peopleAffected", func(in map[string]any) { in["peopleAffected"] = 0 }},
		{"NegativeBudget", "budgetFen", func(in map[string]any) { in["budgetFen"] = -1 }},
		{"WishWithoutID", "wishId", func(in map[string]any) { delete(in, "wishId") }},
		{"TopicIDForWish", "topicId", func(in map[string]any) { in["topicId"] = w.ID }},
		{"WrongIDType", "wishId", func(in map[string]any) { in["wishId"] = e.placeID("和平社区") }},
		{"UnknownWish", "wishId", func(in map[string]any) { in["wishId"] = "V2lzaDo5OTk5OTk" }},
		{"PlaceOutside", "placeId", func(in map[string]any) { in["placeId"] = e.placeID("光明社区") }},
		{"VisitWithoutPlace", "placeId", func(in map[string]any) { in["source"] = "VISIT"; delete(in, "wishId") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.set(in)
			r := e.createNeed(staff, in)
			if c.name == "UnknownWish" {
				r.wantCode(t, db.ENOTFOUND)
			} else {
				r.wantCode(t, db.EINVALID)
			}
			if r.Field() != c.field {
				t.Fatalf("field: got %q, want %q (%+v)", r.Field(), c.field, r.Errors)
			}
		})
	}
	if n := e.count(`SELECT count(*) FROM needs`); n != 0 {
		t.Fatalf("refused inputs left %d needs, want 0", n)
	}
	if got := e.wish(staff, w.ID); got.State != "PUBLISHED" {
		t.Fatalf("wish after refused inputs: got %s, want PUBLISHED", got.State)
	}
}
