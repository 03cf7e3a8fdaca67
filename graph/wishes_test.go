package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
	"linli/graph"
)

// ---------------------------------------------------------------- queries and shapes

const wishFields = `id title category state valueFen deadline beneficiaryName beneficiaryPhone address
	closingReason canClaim rating createdAt
	place { name }
	beneficiary { id tags }
	claim { claimer { id name } claimedAt dueAt active endedAt }
	fulfilment { note hours photoUrls }
	timeline { action actor { id } actorName fromState toState reason }`

const (
	qSubmit  = `mutation($in: SubmitWishInput!) { w: submitWish(input: $in) { ` + wishFields + ` } }`
	qReview  = `mutation($id: ID!, $d: ReviewDecision!, $r: String) { w: reviewWish(wishId: $id, decision: $d, reason: $r) { ` + wishFields + ` } }`
	qCancel  = `mutation($id: ID!, $r: String) { w: cancelWish(wishId: $id, reason: $r) { ` + wishFields + ` } }`
	qClaim   = `mutation($id: ID!) { w: claimWish(wishId: $id) { ` + wishFields + ` } }`
	qRelease = `mutation($id: ID!, $r: String) { w: releaseWish(wishId: $id, reason: $r) { ` + wishFields + ` } }`
	qFulfil  = `mutation($in: FulfilWishInput!) { w: fulfilWish(input: $in) { ` + wishFields + ` } }`
	qConfirm = `mutation($id: ID!, $rating: Int!, $c: String) { w: confirmWish(wishId: $id, rating: $rating, comment: $c) { ` + wishFields + ` } }`
	qDispute = `mutation($id: ID!, $r: String!) { w: disputeWish(wishId: $id, reason: $r) { ` + wishFields + ` } }`
	qSettle  = `mutation($id: ID!, $o: SettleOutcome!, $n: String!) { w: settleWish(wishId: $id, outcome: $o, note: $n) { ` + wishFields + ` } }`
	qNode    = `query($id: ID!) { w: node(id: $id) { ... on Wish { ` + wishFields + ` } } }`
	qRecord  = `query($a: ID, $n: Int, $after: String) { volunteerRecord(accountId: $a) { totalHours totalPoints wishesCompleted
		entries(first: $n, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { kind hours points wish { id } } } } }`
)

type wishEvent struct {
	Action    string
	Actor     *struct{ ID string }
	ActorName string
	FromState *string
	ToState   string
	Reason    *string
}

type wishClaim struct {
	Claimer   struct{ ID, Name string }
	ClaimedAt time.Time
	DueAt     time.Time
	Active    bool
	EndedAt   *time.Time
}

type wishOut struct {
	ID, Title, Category, State string
	ValueFen                   *int
	Deadline                   time.Time
	BeneficiaryName            string
	BeneficiaryPhone           *string
	Address                    string
	ClosingReason              *string
	CanClaim                   bool
	Rating                     *int
	CreatedAt                  time.Time
	Place                      struct{ Name string }
	Beneficiary                *struct {
		ID   string
		Tags *[]string
	}
	Claim      *wishClaim
	Fulfilment *struct {
		Note      string
		Hours     float64
		PhotoUrls []string
	}
	Timeline []wishEvent
}

type wishPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage bool
		EndCursor   *string
	}
	Nodes []wishOut
}

type volunteerRecord struct {
	TotalHours      float64
	TotalPoints     int
	WishesCompleted int
	Entries         struct {
		TotalCount int
		PageInfo   struct {
			HasNextPage bool
			EndCursor   *string
		}
		Nodes []struct {
			Kind   string
			Hours  float64
			Points int
			Wish   *struct{ ID string }
		}
	}
}

// ---------------------------------------------------------------- helpers

// wishOf decodes the wish a mutation or node query returned under the alias w.
func wishOf(t *testing.T, r *response) *wishOut {
	t.Helper()
	var out struct{ W *wishOut }
	r.Decode(t, &out)
	return out.W
}

// mustWish is wishOf for a result that must be there.
func mustWish(t *testing.T, r *response) wishOut {
	t.Helper()
	w := wishOf(t, r)
	if w == nil {
		t.Fatal("got no wish, want one")
	}
	return *w
}

// wishInput is a valid submitWish input due in ten days.
func (e *env) wishInput(title string) map[string]any {
	return map[string]any{
		"category":    "GOODS",
		"title":       title,
		"description": title + "，谢谢大家。",
		"valueFen":    20000,
		"deadline":    e.clock.Now().Add(10 * 24 * time.Hour).Format(time.RFC3339),
	}
}

func (e *env) submit(token string, in map[string]any) wishOut {
	e.t.Helper()
	return mustWish(e.t, e.do(token, qSubmit, map[string]any{"in": in}))
}

func (e *env) review(token, id, decision string, reason any) *response {
	e.t.Helper()
	return e.do(token, qReview, map[string]any{"id": id, "d": decision, "r": reason})
}

func (e *env) claim(token, id string) *response {
	e.t.Helper()
	return e.do(token, qClaim, map[string]any{"id": id})
}

func (e *env) fulfil(token, id string, hours float64, photos ...string) *response {
	e.t.Helper()
	if photos == nil {
		photos = []string{}
	}
	return e.do(token, qFulfil, map[string]any{"in": map[string]any{"wishId": id, "note": "已经办好了", "hours": hours, "photoUrls": photos}})
}

func (e *env) confirm(token, id string, rating int) *response {
	e.t.Helper()
	return e.do(token, qConfirm, map[string]any{"id": id, "rating": rating, "c": "很满意"})
}

func (e *env) dispute(token, id string) *response {
	e.t.Helper()
	return e.do(token, qDispute, map[string]any{"id": id, "r": "没有办好"})
}

func (e *env) settle(token, id, outcome string) *response {
	e.t.Helper()
	return e.do(token, qSettle, map[string]any{"id": id, "o": outcome, "n": "已核实"})
}

// wish opens a wish by node as token's holder; nil when they cannot see it.
func (e *env) wish(token, id string) *wishOut {
	e.t.Helper()
	return wishOf(e.t, e.do(token, qNode, map[string]any{"id": id}))
}

// published submits a wish for the demo resident (as the resident) and has staff publish it.
func (e *env) published(resident, staff, title string) wishOut {
	e.t.Helper()
	w := e.submit(resident, e.wishInput(title))
	return mustWish(e.t, e.review(staff, w.ID, "PUBLISH", nil))
}

// publishedFor submits a wish on behalf of beneficiary (as staff) and publishes it.
func (e *env) publishedFor(staff, beneficiary, title string) wishOut {
	e.t.Helper()
	in := e.wishInput(title)
	in["beneficiaryId"] = beneficiary
	w := e.submit(staff, in)
	return mustWish(e.t, e.review(staff, w.ID, "PUBLISH", nil))
}

// fulfilled takes a wish of the resident through claim and fulfilment by the volunteer.
func (e *env) fulfilled(resident, staff, volunteer, title string, hours float64) wishOut {
	e.t.Helper()
	w := e.published(resident, staff, title)
	mustWish(e.t, e.claim(volunteer, w.ID))
	return mustWish(e.t, e.fulfil(volunteer, w.ID, hours))
}

// gridResidents returns the global IDs of residents of 和平花园小区 / 第一网格, as staff
// lists them, leaving out the households of the given demo phones.
func (e *env) gridResidents(staff string, n int, except ...string) []string {
	e.t.Helper()
	var grid int64
	if err := e.db.Get(&grid, `SELECT g.id FROM places g JOIN places c ON c.id = g.parent_id
		WHERE g.name = '第一网格' AND c.name = '和平花园小区'`); err != nil {
		e.t.Fatal(err)
	}
	skip := map[string]bool{}
	for _, phone := range except {
		var h int64
		if err := e.db.Get(&h, `SELECT r.household_id FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = $1`, phone); err == nil {
			skip[graph.GlobalID("Place", h)] = true
		}
	}
	var p residentsPage
	e.do(staff, residentsQuery, map[string]any{"p": graph.GlobalID("Place", grid)}).Decode(e.t, &p)
	var ids []string
	for _, r := range p.Residents.Nodes {
		if !skip[r.Household.ID] && len(ids) < n {
			ids = append(ids, r.ID)
		}
	}
	if len(ids) < n {
		e.t.Fatalf("got %d residents of 第一网格, want %d", len(ids), n)
	}
	return ids
}

// homeOf returns the building name, room and resident phone of a demo account's home.
func (e *env) homeOf(phone string) (building, room, residentPhone string) {
	e.t.Helper()
	var row struct {
		Building string  `db:"building"`
		Room     string  `db:"room"`
		Phone    *string `db:"phone"`
	}
	if err := e.db.Get(&row, `SELECT b.name AS building, h.room, r.phone FROM residents r
		JOIN accounts a ON a.id = r.account_id JOIN places h ON h.id = r.household_id JOIN places b ON b.id = h.parent_id
		WHERE a.phone = $1`, phone); err != nil {
		e.t.Fatal(err)
	}
	if row.Phone == nil {
		e.t.Fatalf("resident %s has no phone on record", phone)
	}
	return row.Building, row.Room, *row.Phone
}

// wishRowID is the database id of the wish with that title.
func (e *env) wishRowID(title string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM wishes WHERE title = $1`, title); err != nil {
		e.t.Fatalf("wish %q: %v", title, err)
	}
	return id
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, q, args...); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// post is do for goroutines other than the test's: it reports failures instead of stopping.
func (e *env) post(token, query string, vars map[string]any) (*response, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding response (status %d): %w", res.StatusCode, err)
	}
	r.Status = res.StatusCode
	return &r, nil
}

// claimResult is what one concurrent claim got back.
type claimResult struct {
	who     int // index of the token used
	code    string
	claimer string
	at      time.Time
	err     error
}

// claimAll runs the claims at once: claim i is by tokens[who[i]] on ids[i].
func (e *env) claimAll(tokens []string, who []int, ids []string) []claimResult {
	out := make([]claimResult, len(ids))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res := claimResult{who: who[i]}
			r, err := e.post(tokens[who[i]], qClaim, map[string]any{"id": ids[i]})
			if err != nil {
				res.err = err
			} else if res.code = r.Code(); res.code == "" {
				var w struct{ W *wishOut }
				if err := json.Unmarshal(r.Data, &w); err != nil || w.W == nil || w.W.Claim == nil {
					res.err = fmt.Errorf("no claim in %s (%v)", r.Data, err)
				} else {
					res.claimer, res.at = w.W.Claim.Claimer.ID, w.W.Claim.ClaimedAt
				}
			}
			out[i] = res
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func actions(es []wishEvent) []string {
	var as []string
	for _, e := range es {
		as = append(as, e.Action)
	}
	return as
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// ---------------------------------------------------------------- tests

func TestWishFullPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	volunteerID := e.accountID(phoneVolunteer)
	building, room, phone := e.homeOf(phoneResident)

	w := e.submit(resident, e.wishInput("想要一台轮椅"))
	if w.State != "SUBMITTED" || len(w.Timeline) != 1 || w.Timeline[0].Action != "SUBMIT" {
		t.Fatalf("submitted: got state %s, timeline %v, want SUBMITTED with [SUBMIT]", w.State, actions(w.Timeline))
	}
	w = mustWish(t, e.review(staff, w.ID, "PUBLISH", nil))
	if w.State != "PUBLISHED" {
		t.Fatalf("published: got state %s, want PUBLISHED", w.State)
	}

	var feed struct{ WishFeed wishPage }
	e.do(volunteer, `{ wishFeed(first: 50) { totalCount nodes { id canClaim } } }`, nil).Decode(t, &feed)
	found := false
	for _, n := range feed.WishFeed.Nodes {
		if n.ID == w.ID {
			found = true
			if !n.CanClaim {
				t.Fatalf("feed: got canClaim false, want true")
			}
		}
	}
	if !found {
		t.Fatalf("feed: got %d wishes without the published one, want it there", len(feed.WishFeed.Nodes))
	}

	w = mustWish(t, e.claim(volunteer, w.ID))
	if w.State != "CLAIMED" || w.Claim == nil || w.Claim.Claimer.ID != volunteerID || !w.Claim.Active {
		t.Fatalf("claimed: got state %s, claim %+v, want CLAIMED by %s", w.State, w.Claim, volunteerID)
	}
	if w.Claim.DueAt.After(w.Deadline) {
		t.Fatalf("claim due: got %v, want no later than the deadline %v", w.Claim.DueAt, w.Deadline)
	}
	seen := e.wish(volunteer, w.ID)
	if seen == nil || str(seen.BeneficiaryPhone) != phone || !strings.Contains(seen.Address, room) {
		t.Fatalf("claimer's view: got phone %s, address %q, want %s and an address with room %s", str(seen.BeneficiaryPhone), seen.Address, phone, room)
	}

	w = mustWish(t, e.fulfil(volunteer, w.ID, 1.5, "https://img.example.org/wheelchair.jpg"))
	if w.State != "FULFILLED" || w.Fulfilment == nil || w.Fulfilment.Hours != 1.5 || len(w.Fulfilment.PhotoUrls) != 1 {
		t.Fatalf("fulfilled: got state %s, fulfilment %+v, want FULFILLED with 1.5 hours and one photo", w.State, w.Fulfilment)
	}
	// The claim has ended: contact details are masked again.
	seen = e.wish(volunteer, w.ID)
	if seen == nil || !strings.Contains(str(seen.BeneficiaryPhone), "****") || strings.Contains(seen.Address, room) || seen.Address != building {
		t.Fatalf("former claimer's view: got phone %s, address %q, want a masked phone and %q", str(seen.BeneficiaryPhone), seen.Address, building)
	}

	w = mustWish(t, e.confirm(resident, w.ID, 5))
	if w.State != "CONFIRMED" || w.Rating == nil || *w.Rating != 5 {
		t.Fatalf("confirmed: got state %s, rating %v, want CONFIRMED rated 5", w.State, w.Rating)
	}

	checkRecord := func(t *testing.T) {
		t.Helper()
		var rec struct{ VolunteerRecord volunteerRecord }
		e.do(volunteer, qRecord, map[string]any{"n": 10}).Decode(t, &rec)
		r := rec.VolunteerRecord
		if r.TotalHours != 1.5 || r.TotalPoints != 15 || r.WishesCompleted != 1 {
			t.Fatalf("record: got %v hours, %d points, %d wishes, want 1.5, 15, 1", r.TotalHours, r.TotalPoints, r.WishesCompleted)
		}
		if r.Entries.TotalCount != 1 || len(r.Entries.Nodes) != 1 || r.Entries.Nodes[0].Kind != "CREDIT" || r.Entries.Nodes[0].Points != 15 {
			t.Fatalf("ledger: got %d entries %+v, want 1 CREDIT of 15 points", r.Entries.TotalCount, r.Entries.Nodes)
		}
	}
	checkRecord(t)

	e.confirm(resident, w.ID, 5).wantCode(t, db.EINVALIDSTATE)
	checkRecord(t)

	w = *e.wish(resident, w.ID)
	want := []struct{ action, from, to string }{
		{"SUBMIT", "<nil>", "SUBMITTED"}, {"PUBLISH", "SUBMITTED", "PUBLISHED"}, {"CLAIM", "PUBLISHED", "CLAIMED"},
		{"FULFIL", "CLAIMED", "FULFILLED"}, {"CONFIRM", "FULFILLED", "CONFIRMED"},
	}
	if len(w.Timeline) != len(want) {
		t.Fatalf("timeline: got %v, want %d events", actions(w.Timeline), len(want))
	}
	for i, ev := range w.Timeline {
		if ev.Action != want[i].action || str(ev.FromState) != want[i].from || ev.ToState != want[i].to || ev.ActorName == "" || ev.Actor == nil {
			t.Fatalf("timeline[%d]: got %s %s→%s by %q, want %s %s→%s by someone named", i, ev.Action, str(ev.FromState), ev.ToState, ev.ActorName,
				want[i].action, want[i].from, want[i].to)
		}
	}
}

func TestWishRejectAndCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)

	t.Run("Reject", func(t *testing.T) {
		w := e.submit(resident, e.wishInput("想换个新电视"))
		r := e.review(staff, w.ID, "REJECT", nil)
		r.wantCode(t, db.EINVALID)
		if r.Field() != "reason" {
			t.Fatalf("field: got %q, want reason", r.Field())
		}
		if got := e.wish(resident, w.ID).State; got != "SUBMITTED" {
			t.Fatalf("state after a refused rejection: got %s, want SUBMITTED", got)
		}
		const why = "超出微心愿的范围"
		w = mustWish(t, e.review(staff, w.ID, "REJECT", why))
		if w.State != "REJECTED" {
			t.Fatalf("state: got %s, want REJECTED", w.State)
		}
		var mine struct{ MyWishes wishPage }
		e.do(resident, `{ myWishes(first: 50) { nodes { id state closingReason } } }`, nil).Decode(t, &mine)
		for _, n := range mine.MyWishes.Nodes {
			if n.ID == w.ID {
				if n.State != "REJECTED" || str(n.ClosingReason) != why {
					t.Fatalf("myWishes: got %s with reason %s, want REJECTED with %q", n.State, str(n.ClosingReason), why)
				}
				return
			}
		}
		t.Fatal("myWishes: the rejected wish is missing")
	})

	t.Run("CancelPublished", func(t *testing.T) {
		w := e.published(resident, staff, "想要一盏台灯")
		r := e.do(volunteer, qCancel, map[string]any{"id": w.ID, "r": "不要了"})
		if c := r.Code(); c != db.EFORBIDDEN && c != db.ENOTFOUND {
			t.Fatalf("cancel by a volunteer: got %q, want FORBIDDEN or NOT_FOUND", c)
		}
		if got := e.wish(resident, w.ID).State; got != "PUBLISHED" {
			t.Fatalf("state after a refused cancel: got %s, want PUBLISHED", got)
		}
		w = mustWish(t, e.do(resident, qCancel, map[string]any{"id": w.ID, "r": "家里人买了"}))
		if w.State != "CANCELLED" {
			t.Fatalf("state: got %s, want CANCELLED", w.State)
		}
	})

	t.Run("CancelClaimed", func(t *testing.T) {
		w := e.published(resident, staff, "想要一个收音机")
		mustWish(t, e.claim(volunteer, w.ID))
		e.do(resident, qCancel, map[string]any{"id": w.ID}).wantCode(t, db.EINVALIDSTATE)
		if got := e.wish(resident, w.ID).State; got != "CLAIMED" {
			t.Fatalf("state after a refused cancel: got %s, want CLAIMED", got)
		}
	})
}

func TestWishReleaseAndLapse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	volunteer, party := e.login(phoneVolunteer), e.login(phonePartyMember)

	w := e.published(resident, staff, "陪老人聊聊天")
	mustWish(t, e.claim(volunteer, w.ID))
	w = mustWish(t, e.do(volunteer, qRelease, map[string]any{"id": w.ID, "r": "临时出差"}))
	if w.State != "PUBLISHED" || w.Claim == nil || w.Claim.Active || w.Claim.EndedAt == nil {
		t.Fatalf("released: got state %s, claim %+v, want PUBLISHED with an ended claim", w.State, w.Claim)
	}
	w = mustWish(t, e.claim(party, w.ID))
	if w.State != "CLAIMED" || w.Claim.Claimer.ID != e.accountID(phonePartyMember) {
		t.Fatalf("claimed again: got state %s, claimer %s, want CLAIMED by the party member", w.State, w.Claim.Claimer.ID)
	}
	if want := e.clock.Now().Add(72 * time.Hour); !w.Claim.DueAt.Equal(want) {
		t.Fatalf("due: got %v, want %v (72 hours)", w.Claim.DueAt, want)
	}

	e.clock.Advance(73 * time.Hour)
	var (
		mu    sync.Mutex
		total int
		errs  []error
		wg    sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := e.store.LapseOverdueClaims(context.Background())
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("lapsing: %v", errs)
	}
	if total != 1 {
		t.Fatalf("lapsed: got %d in all, want exactly 1", total)
	}
	w = *e.wish(staff, w.ID)
	last := w.Timeline[len(w.Timeline)-1]
	if w.State != "PUBLISHED" || w.Claim.Active || last.Action != "LAPSE" || last.ActorName != "系统" || last.Actor != nil {
		t.Fatalf("after lapse: got state %s, claim active %v, last event %s by %q (actor %v), want PUBLISHED, false, LAPSE by 系统 with no actor",
			w.State, w.Claim.Active, last.Action, last.ActorName, last.Actor)
	}
	if got := actions(w.Timeline); strings.Join(got, ",") != "SUBMIT,PUBLISH,CLAIM,RELEASE,CLAIM,LAPSE" {
		t.Fatalf("timeline: got %v, want SUBMIT,PUBLISH,CLAIM,RELEASE,CLAIM,LAPSE", got)
	}
	// Running it again finds nothing more.
	if n, err := e.store.LapseOverdueClaims(context.Background()); err != nil || n != 0 {
		t.Fatalf("lapsing again: got %d, %v, want 0", n, err)
	}
}

// TestClaimRace has 200 requests from 20 volunteers claim one wish at once: one account wins,
// its other requests get the same claim back, everyone else gets CONFLICT. Cold runs it on a
// server that has not yet claimed anything (statements not prepared yet), as right after a
// deploy; Warm after one claim has gone through.
func TestClaimRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, admin := e.login(phoneResident), e.login(phoneStaff), e.login(phoneAdmin)
	heping := e.placeID("和平社区")

	// Volunteers: the two demo ones and 18 residents of 老街网格 made volunteers.
	tokens := []string{e.login(phoneVolunteer), e.login(phonePartyMember)}
	accounts := []string{e.accountID(phoneVolunteer), e.accountID(phonePartyMember)}
	var household int64
	if err := e.db.Get(&household, `SELECT h.id FROM places h JOIN places b ON b.id = h.parent_id JOIN places g ON g.id = b.parent_id
		WHERE h.level = 'household' AND g.name = '老街网格' ORDER BY h.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	for i := range 18 {
		var reg struct {
			Register struct {
				Token   string
				Account struct{ ID string }
			}
		}
		e.do("", registerMutation, map[string]any{"in": map[string]any{
			"phone": fmt.Sprintf("137%08d", 100+i), "password": "mima-2026", "name": fmt.Sprintf("志愿者%d", i),
			"birthDate": "1990-04-12", "householdId": graph.GlobalID("Place", household), "isOwner": false,
		}}).Decode(t, &reg)
		var g struct{ GrantRole struct{ ID string } }
		e.do(admin, grantMutation, map[string]any{"a": reg.Register.Account.ID, "r": "VOLUNTEER", "p": heping}).Decode(t, &g)
		tokens = append(tokens, reg.Register.Token)
		accounts = append(accounts, reg.Register.Account.ID)
	}

	race := func(t *testing.T, title string) {
		w := e.published(resident, staff, title)
		const n = 200
		who, ids := make([]int, n), make([]string, n)
		perAccount := map[int]int{}
		for i := range n {
			who[i], ids[i] = i%len(tokens), w.ID
			perAccount[who[i]]++
		}
		results := e.claimAll(tokens, who, ids)

		codes := map[string]int{}
		winners := map[int]int{}
		claimers, times := map[string]bool{}, map[time.Time]bool{}
		for _, r := range results {
			if r.err != nil {
				t.Fatalf("claim: %v", r.err)
			}
			codes[r.code]++
			if r.code == "" {
				winners[r.who]++
				claimers[r.claimer], times[r.at] = true, true
			}
		}
		t.Logf("%d requests by %d accounts: codes %v (\"\" = success)", n, len(tokens), codes)
		if len(winners) != 1 || len(claimers) != 1 || len(times) != 1 {
			t.Fatalf("successes: got %v by account (claimers %v, claimedAt %v), want all by one account with one claim", winners, claimers, times)
		}
		for winner, got := range winners {
			if !claimers[accounts[winner]] {
				t.Fatalf("claimer: got %v, want account %s", claimers, accounts[winner])
			}
			if got != perAccount[winner] || codes[db.ECONFLICT] != n-got || len(codes) != 2 {
				t.Fatalf("codes: got %v, want %d successes (every request of the winner) and %d CONFLICT, nothing else", codes, perAccount[winner], n-perAccount[winner])
			}
		}

		wishID := e.wishRowID(title)
		if got := e.count(`SELECT count(*) FROM wish_claims WHERE wish_id = $1`, wishID); got != 1 {
			t.Fatalf("claim rows: got %d, want 1", got)
		}
		if got := e.count(`SELECT count(*) FROM wish_events WHERE wish_id = $1 AND action = 'claim'`, wishID); got != 1 {
			t.Fatalf("CLAIM events: got %d, want 1", got)
		}
		// The database itself refuses a second active claim.
		var other int64
		e.db.Get(&other, `SELECT id FROM accounts WHERE phone = $1`, phoneBuildingLeader)
		_, err := e.db.Exec(`INSERT INTO wish_claims (wish_id, claimer_id, claimed_at, due_at) VALUES ($1, $2, now(), now() + interval '1 day')`, wishID, other)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "23505" {
			t.Fatalf("second active claim: got %v, want a unique violation (23505)", err)
		}
	}
	t.Run("Cold", func(t *testing.T) { race(t, "想要一台助行器") })
	t.Run("Warm", func(t *testing.T) {
		// One claim and release first, so nothing on the claim path is new to the server.
		warm := e.published(resident, staff, "预热用的心愿")
		mustWish(t, e.claim(tokens[0], warm.ID))
		mustWish(t, e.do(tokens[0], qRelease, map[string]any{"id": warm.ID}))
		race(t, "想要一个拐杖")
	})
}

func TestClaimCap(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, volunteer := e.login(phoneStaff), e.login(phoneVolunteer)
	beneficiaries := e.gridResidents(staff, 10, phoneVolunteer)
	const n = 50
	ids := make([]string, n)
	for i := range n {
		ids[i] = e.publishedFor(staff, beneficiaries[i%len(beneficiaries)], fmt.Sprintf("心愿%02d", i)).ID
	}
	results := e.claimAll([]string{volunteer}, make([]int, n), ids)
	successes, conflicts := 0, 0
	for _, r := range results {
		switch {
		case r.err != nil:
			t.Fatalf("claim: %v", r.err)
		case r.code == "":
			successes++
		case r.code == db.ECONFLICT:
			conflicts++
		default:
			t.Fatalf("claim: got code %q, want none or CONFLICT", r.code)
		}
	}
	if successes != 3 || conflicts != n-3 {
		t.Fatalf("claims: got %d successes and %d conflicts, want 3 and %d", successes, conflicts, n-3)
	}
	var mine struct{ MyClaims wishPage }
	e.do(volunteer, `{ myClaims(active: true) { totalCount } }`, nil).Decode(t, &mine)
	if mine.MyClaims.TotalCount != 3 {
		t.Fatalf("myClaims(active: true): got %d, want 3", mine.MyClaims.TotalCount)
	}
	var account int64
	e.db.Get(&account, `SELECT id FROM accounts WHERE phone = $1`, phoneVolunteer)
	if got := e.count(`SELECT count(*) FROM wish_claims WHERE claimer_id = $1 AND ended_at IS NULL`, account); got != 3 {
		t.Fatalf("active claim rows: got %d, want 3", got)
	}
	// One more, alone: the refusal says how many they hold and the cap.
	spare := e.publishedFor(staff, beneficiaries[0], "再来一个心愿")
	if r := e.claim(volunteer, spare.ID); r.Code() != db.ECONFLICT || !strings.Contains(r.Errors[0].Message, "你已有 3 个正在办理的心愿（上限 3 个）") {
		t.Fatalf("a fourth claim: got %+v, want CONFLICT saying 你已有 3 个正在办理的心愿（上限 3 个）", r.Errors)
	}
}

func TestClaimRetryHarmless(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	const title = "帮忙修一下门锁"
	w := e.published(resident, staff, title)
	first := mustWish(t, e.claim(volunteer, w.ID))
	e.clock.Advance(time.Minute)
	again := mustWish(t, e.claim(volunteer, w.ID))
	if again.State != "CLAIMED" || !again.Claim.ClaimedAt.Equal(first.Claim.ClaimedAt) || !again.Claim.DueAt.Equal(first.Claim.DueAt) {
		t.Fatalf("retry: got %s claimed at %v, want the same claim as at %v", again.State, again.Claim.ClaimedAt, first.Claim.ClaimedAt)
	}
	id := e.wishRowID(title)
	if got := e.count(`SELECT count(*) FROM wish_claims WHERE wish_id = $1`, id); got != 1 {
		t.Fatalf("claim rows: got %d, want 1", got)
	}
	if got := strings.Join(actions(again.Timeline), ","); got != "SUBMIT,PUBLISH,CLAIM" {
		t.Fatalf("timeline: got %s, want SUBMIT,PUBLISH,CLAIM", got)
	}
}

func TestWishSubmitIdempotent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident := e.login(phoneResident)

	t.Run("Sequential", func(t *testing.T) {
		in := e.wishInput("想要一副老花镜")
		in["idempotencyKey"] = "key-sequential-1"
		a, b := e.submit(resident, in), e.submit(resident, in)
		if a.ID != b.ID {
			t.Fatalf("ids: got %s and %s, want the same wish", a.ID, b.ID)
		}
		if got := e.count(`SELECT count(*) FROM wishes WHERE idempotency_key = 'key-sequential-1'`); got != 1 {
			t.Fatalf("wishes: got %d, want 1", got)
		}
		if got := e.count(`SELECT count(*) FROM wish_events ev JOIN wishes w ON w.id = ev.wish_id
			WHERE w.idempotency_key = 'key-sequential-1' AND ev.action = 'submit'`); got != 1 {
			t.Fatalf("SUBMIT events: got %d, want 1", got)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		in := e.wishInput("想要一个保温杯")
		in["idempotencyKey"] = "key-concurrent-1"
		const n = 10
		ids, errs := make([]string, n), make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, err := e.post(resident, qSubmit, map[string]any{"in": in})
				if err != nil {
					errs[i] = err
					return
				}
				var w struct{ W *wishOut }
				if len(r.Errors) > 0 || json.Unmarshal(r.Data, &w) != nil || w.W == nil {
					errs[i] = fmt.Errorf("errors %+v, data %s", r.Errors, r.Data)
					return
				}
				ids[i] = w.W.ID
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("submission %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Fatalf("ids: got %s and %s, want one wish", ids[0], ids[i])
			}
		}
		if got := e.count(`SELECT count(*) FROM wishes WHERE idempotency_key = 'key-concurrent-1'`); got != 1 {
			t.Fatalf("wishes: got %d, want 1", got)
		}
		if got := e.count(`SELECT count(*) FROM wish_events ev JOIN wishes w ON w.id = ev.wish_id
			WHERE w.idempotency_key = 'key-concurrent-1' AND ev.action = 'submit'`); got != 1 {
			t.Fatalf("SUBMIT events: got %d, want 1", got)
		}
	})
}

func TestWishDisputeAndSettle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	volunteerID := e.accountID(phoneVolunteer)

	record := func(t *testing.T) volunteerRecord {
		t.Helper()
		var rec struct{ VolunteerRecord volunteerRecord }
		e.do(volunteer, qRecord, map[string]any{"n": 50}).Decode(t, &rec)
		return rec.VolunteerRecord
	}
	entriesFor := func(t *testing.T, wishID string) []string {
		t.Helper()
		var kinds []string
		for _, n := range record(t).Entries.Nodes {
			if n.Wish != nil && n.Wish.ID == wishID {
				kinds = append(kinds, n.Kind)
			}
		}
		return kinds
	}

	t.Run("NoCreditReverses", func(t *testing.T) {
		w := e.fulfilled(resident, staff, volunteer, "帮忙搬一下柜子", 2)
		mustWish(t, e.confirm(resident, w.ID, 4))
		if got := entriesFor(t, w.ID); strings.Join(got, ",") != "CREDIT" {
			t.Fatalf("ledger after confirm: got %v, want [CREDIT]", got)
		}
		e.clock.Advance(6 * 24 * time.Hour)
		w = mustWish(t, e.dispute(resident, w.ID))
		if w.State != "DISPUTED" {
			t.Fatalf("state: got %s, want DISPUTED", w.State)
		}
		e.settle(volunteer, w.ID, "NO_CREDIT").wantCode(t, db.EFORBIDDEN)
		e.settle(resident, w.ID, "NO_CREDIT").wantCode(t, db.EFORBIDDEN)
		w = mustWish(t, e.settle(staff, w.ID, "NO_CREDIT"))
		if w.State != "CLOSED" {
			t.Fatalf("state: got %s, want CLOSED", w.State)
		}
		if got := entriesFor(t, w.ID); strings.Join(got, ",") != "REVERSAL,CREDIT" {
			t.Fatalf("ledger after settling: got %v, want [REVERSAL CREDIT] (newest first)", got)
		}
		if r := record(t); r.TotalHours != 0 || r.TotalPoints != 0 || r.WishesCompleted != 0 {
			t.Fatalf("totals: got %v hours, %d points, %d wishes, want all 0", r.TotalHours, r.TotalPoints, r.WishesCompleted)
		}
	})

	t.Run("ReturnToClaimer", func(t *testing.T) {
		const title = "帮忙修一下水龙头"
		w := e.fulfilled(resident, staff, volunteer, title, 1)
		mustWish(t, e.dispute(resident, w.ID))
		w = mustWish(t, e.settle(staff, w.ID, "RETURN_TO_CLAIMER"))
		if w.State != "CLAIMED" || w.Claim == nil || !w.Claim.Active || w.Claim.Claimer.ID != volunteerID || w.Fulfilment != nil {
			t.Fatalf("returned: got state %s, claim %+v, fulfilment %+v, want CLAIMED with a new active claim by the volunteer and no fulfilment", w.State, w.Claim, w.Fulfilment)
		}
		id := e.wishRowID(title)
		if got := e.count(`SELECT count(*) FROM wish_claims WHERE wish_id = $1`, id); got != 2 {
			t.Fatalf("claim rows: got %d, want 2 (the fulfilled one and the new one)", got)
		}
		if got := entriesFor(t, w.ID); len(got) != 0 {
			t.Fatalf("ledger before confirming: got %v, want nothing", got)
		}
		mustWish(t, e.fulfil(volunteer, w.ID, 1))
		w = mustWish(t, e.confirm(resident, w.ID, 5))
		if w.State != "CONFIRMED" {
			t.Fatalf("state: got %s, want CONFIRMED", w.State)
		}
		if got := entriesFor(t, w.ID); strings.Join(got, ",") != "CREDIT" {
			t.Fatalf("ledger: got %v, want one CREDIT", got)
		}
	})

	t.Run("Credit", func(t *testing.T) {
		w := e.fulfilled(resident, staff, volunteer, "陪同去医院复查", 0.5)
		mustWish(t, e.dispute(resident, w.ID))
		w = mustWish(t, e.settle(staff, w.ID, "CREDIT"))
		if w.State != "CONFIRMED" {
			t.Fatalf("state: got %s, want CONFIRMED", w.State)
		}
		if got := entriesFor(t, w.ID); strings.Join(got, ",") != "CREDIT" {
			t.Fatalf("ledger: got %v, want one CREDIT", got)
		}
	})

	t.Run("DisputeTooLate", func(t *testing.T) {
		w := e.fulfilled(resident, staff, volunteer, "帮忙取快递", 0.25)
		mustWish(t, e.confirm(resident, w.ID, 5))
		e.clock.Advance(8 * 24 * time.Hour)
		e.dispute(resident, w.ID).wantCode(t, db.EINVALIDSTATE)
	})

	t.Run("TotalsAddUp", func(t *testing.T) {
		minutes, points, entries := 0.0, 0, 0
		var after any
		for {
			var rec struct{ VolunteerRecord volunteerRecord }
			e.do(volunteer, qRecord, map[string]any{"n": 2, "after": after}).Decode(t, &rec)
			for _, n := range rec.VolunteerRecord.Entries.Nodes {
				minutes += n.Hours * 60
				points += n.Points
				entries++
			}
			if !rec.VolunteerRecord.Entries.PageInfo.HasNextPage {
				break
			}
			after = *rec.VolunteerRecord.Entries.PageInfo.EndCursor
		}
		r := record(t)
		// 2 h credited and reversed, 1 h, 0.5 h, 0.25 h.
		if entries != 5 || r.Entries.TotalCount != 5 {
			t.Fatalf("entries: got %d paged, totalCount %d, want 5", entries, r.Entries.TotalCount)
		}
		if r.TotalHours*60 != minutes || r.TotalPoints != points || minutes != 105 {
			t.Fatalf("totals: got %v minutes and %d points, entries sum to %v and %d, want equal and 105 minutes", r.TotalHours*60, r.TotalPoints, minutes, points)
		}
	})

	t.Run("LedgerAppendOnly", func(t *testing.T) {
		before := e.count(`SELECT count(*) FROM volunteer_ledger`)
		if _, err := e.db.Exec(`UPDATE volunteer_ledger SET points = points + 100`); err == nil {
			t.Fatal("UPDATE volunteer_ledger: got no error, want it refused")
		}
		if _, err := e.db.Exec(`DELETE FROM volunteer_ledger`); err == nil {
			t.Fatal("DELETE FROM volunteer_ledger: got no error, want it refused")
		}
		if after := e.count(`SELECT count(*) FROM volunteer_ledger`); after != before {
			t.Fatalf("ledger rows: got %d, want %d", after, before)
		}
	})
}

func TestWishPrivacy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	building, room, phone := e.homeOf(phoneResident)
	var name string
	e.db.Get(&name, `SELECT r.name FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = $1`, phoneResident)

	w := e.published(resident, staff, "想要一台轮椅")
	mustWish(t, e.claim(volunteer, w.ID))

	full := func(t *testing.T, who string, v *wishOut) {
		t.Helper()
		if v == nil {
			t.Fatalf("%s: got no wish, want to see it", who)
		}
		if p := str(v.BeneficiaryPhone); p != phone || len(p) != 11 || strings.Contains(p, "*") {
			t.Fatalf("%s: phone got %s, want %s", who, p, phone)
		}
		if !strings.Contains(v.Address, room) || !strings.HasPrefix(v.Address, building) {
			t.Fatalf("%s: address got %q, want %s with room %s", who, v.Address, building, room)
		}
		if v.BeneficiaryName != name {
			t.Fatalf("%s: name got %q, want %q", who, v.BeneficiaryName, name)
		}
	}
	t.Run("Claimer", func(t *testing.T) {
		v := e.wish(volunteer, w.ID)
		full(t, "claimer", v)
		if v.Beneficiary != nil {
			t.Fatalf("claimer: beneficiary got %+v, want null (no resident record, no tags, for volunteers)", v.Beneficiary)
		}
	})
	t.Run("OtherVolunteer", func(t *testing.T) {
		v := e.wish(e.login(phonePartyMember), w.ID)
		if v == nil {
			t.Fatal("party member: got no wish, want to see it (published in their community)")
		}
		if p := str(v.BeneficiaryPhone); !strings.Contains(p, "****") || p == phone {
			t.Fatalf("party member: phone got %s, want it masked", p)
		}
		if v.Address != building {
			t.Fatalf("party member: address got %q, want the building only (%s)", v.Address, building)
		}
		if r := []rune(v.BeneficiaryName); len(r) < 2 || r[1] != '*' || v.BeneficiaryName == name {
			t.Fatalf("party member: name got %q, want it masked like 王*", v.BeneficiaryName)
		}
		if v.Beneficiary != nil {
			t.Fatalf("party member: beneficiary got %+v, want null", v.Beneficiary)
		}
		if utf8.RuneCountInString(v.BeneficiaryName) != utf8.RuneCountInString(name) {
			t.Fatalf("party member: name got %q, want one star per hidden character of %d", v.BeneficiaryName, utf8.RuneCountInString(name))
		}
	})
	t.Run("Staff", func(t *testing.T) {
		v := e.wish(staff, w.ID)
		full(t, "staff", v)
		if v.Beneficiary == nil || v.Beneficiary.Tags == nil {
			t.Fatalf("staff: beneficiary got %+v, want the resident with tags", v.Beneficiary)
		}
	})
	t.Run("Beneficiary", func(t *testing.T) {
		full(t, "beneficiary", e.wish(resident, w.ID))
	})
	t.Run("OtherCommunityStaff", func(t *testing.T) {
		if v := e.wish(e.login(phoneStaffGuangming), w.ID); v != nil {
			t.Fatalf("光明社区 staff: got %+v, want null", v)
		}
	})
	t.Run("Analyst", func(t *testing.T) {
		if v := e.wish(e.login(phoneAnalyst), w.ID); v != nil {
			t.Fatalf("analyst: got %+v, want null", v)
		}
	})
}

func TestWishInputErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	now := e.clock.Now()

	cases := []struct {
		name, field string
		set         func(in map[string]any)
	}{
		{"TitleEmpty", "title", func(in map[string]any) { in["title"] = "" }},
		{"DescriptionLong", "description", func(in map[string]any) { in["description"] = strings.Repeat("长", 1001) }},
		{"ValueOverCap", "valueFen", func(in map[string]any) { in["valueFen"] = 60000 }},
		{"DeadlinePast", "deadline", func(in map[string]any) { in["deadline"] = now.Add(-time.Hour).Format(time.RFC3339) }},
		{"DeadlineFar", "deadline", func(in map[string]any) { in["deadline"] = now.Add(100 * 24 * time.Hour).Format(time.RFC3339) }},
		{"PlaceOtherCommunity", "placeId", func(in map[string]any) { in["placeId"] = e.placeID("光明社区") }},
		{"KeyLong", "idempotencyKey", func(in map[string]any) { in["idempotencyKey"] = strings.Repeat("k", 65) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.count(`SELECT count(*) FROM wishes`)
			in := e.wishInput("想要一台轮椅")
			c.set(in)
			r := e.do(resident, qSubmit, map[string]any{"in": in})
			r.wantCode(t, db.EINVALID)
			if r.Field() != c.field {
				t.Fatalf("field: got %q, want %q", r.Field(), c.field)
			}
			if after := e.count(`SELECT count(*) FROM wishes`); after != before {
				t.Fatalf("wishes: got %d after a refused submission, want %d", after, before)
			}
		})
	}

	// Transitions with bad input change nothing either.
	w := e.published(resident, staff, "帮忙换灯泡")
	state := func() string {
		var s string
		e.db.Get(&s, `SELECT state::text || coalesce(claim_id::text, '') || coalesce(fulfil_minutes::text, '') || coalesce(rating::text, '') FROM wishes WHERE title = '帮忙换灯泡'`)
		return s
	}
	refused := func(t *testing.T, r *response, field string) {
		t.Helper()
		r.wantCode(t, db.EINVALID)
		if r.Field() != field {
			t.Fatalf("field: got %q, want %q", r.Field(), field)
		}
	}
	t.Run("BadWishID", func(t *testing.T) {
		before := state()
		refused(t, e.claim(volunteer, "xyz"), "wishId")
		if after := state(); after != before {
			t.Fatalf("wish: got %s, want %s", after, before)
		}
	})
	mustWish(t, e.claim(volunteer, w.ID))
	t.Run("HoursTooMany", func(t *testing.T) {
		before := state()
		refused(t, e.fulfil(volunteer, w.ID, 30), "hours")
		if after := state(); after != before {
			t.Fatalf("wish: got %s, want %s", after, before)
		}
	})
	t.Run("PhotoNotHTTP", func(t *testing.T) {
		before := state()
		refused(t, e.fulfil(volunteer, w.ID, 1, "ftp://x"), "photoUrls")
		if after := state(); after != before {
			t.Fatalf("wish: got %s, want %s", after, before)
		}
	})
	t.Run("PhotosOmitted", func(t *testing.T) {
		// photoUrls is optional: leaving it out is a fulfilment without photos.
		r := e.do(volunteer, qFulfil, map[string]any{"in": map[string]any{"wishId": w.ID, "note": "换好了", "hours": 1}})
		if r.Code() != "" {
			t.Fatalf("fulfil without photoUrls: got %s, want FULFILLED", r.Code())
		}
		f := mustWish(t, r)
		if f.State != "FULFILLED" || f.Fulfilment == nil || len(f.Fulfilment.PhotoUrls) != 0 {
			t.Fatalf("fulfil without photoUrls: got %s, %+v, want FULFILLED with no photos", f.State, f.Fulfilment)
		}
	})
	if e.wish(volunteer, w.ID).State != "FULFILLED" {
		mustWish(t, e.fulfil(volunteer, w.ID, 1))
	}
	t.Run("RatingTooHigh", func(t *testing.T) {
		before := state()
		refused(t, e.confirm(resident, w.ID, 6), "rating")
		if after := state(); after != before {
			t.Fatalf("wish: got %s, want %s", after, before)
		}
		if n := e.count(`SELECT count(*) FROM volunteer_ledger`); n != 0 {
			t.Fatalf("ledger: got %d entries, want 0", n)
		}
	})
}

func TestWishListsAndSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	day := 24 * time.Hour

	type spec struct {
		title, category string
		days            int
		publish         bool
	}
	specs := []spec{
		{"想要一台轮椅", "GOODS", 5, true},
		{"水龙头漏水", "REPAIR", 2, true},
		{"陪同去医院复查", "ESCORT", 8, false},
		{"辅导孩子数学", "TUTORING", 3, true},
		{"门铃坏了", "REPAIR", 6, false},
	}
	ids := map[string]string{}
	for _, s := range specs {
		in := e.wishInput(s.title)
		in["category"], in["deadline"] = s.category, e.clock.Now().Add(time.Duration(s.days)*day).Format(time.RFC3339)
		w := e.submit(resident, in)
		if s.publish {
			mustWish(t, e.review(staff, w.ID, "PUBLISH", nil))
		}
		ids[s.title] = w.ID
		e.clock.Advance(time.Minute)
	}
	const list = `query($f: WishFilter, $o: WishOrder, $n: Int, $after: String) {
		wishes(filter: $f, orderBy: $o, first: $n, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id title state deadline category } } }`
	query := func(t *testing.T, token string, f map[string]any, o string) wishPage {
		t.Helper()
		var out struct{ Wishes wishPage }
		vars := map[string]any{"f": f, "n": 50}
		if o != "" {
			vars["o"] = o
		}
		e.do(token, list, vars).Decode(t, &out)
		return out.Wishes
	}
	titles := func(p wishPage) string {
		var ts []string
		for _, n := range p.Nodes {
			ts = append(ts, n.Title)
		}
		return strings.Join(ts, ",")
	}

	t.Run("Text", func(t *testing.T) {
		p := query(t, staff, map[string]any{"text": "轮椅"}, "")
		if titles(p) != "想要一台轮椅" || p.TotalCount != 1 {
			t.Fatalf("text 轮椅: got [%s] (total %d), want [想要一台轮椅]", titles(p), p.TotalCount)
		}
		p = query(t, staff, map[string]any{"text": "想要 轮椅"}, "")
		if titles(p) != "想要一台轮椅" {
			t.Fatalf("text 想要 轮椅: got [%s], want [想要一台轮椅]", titles(p))
		}
	})
	t.Run("StateAndCategory", func(t *testing.T) {
		p := query(t, staff, map[string]any{"state": []string{"PUBLISHED"}, "category": []string{"REPAIR"}}, "")
		if titles(p) != "水龙头漏水" {
			t.Fatalf("published repairs: got [%s], want [水龙头漏水]", titles(p))
		}
		p = query(t, staff, map[string]any{"state": []string{"SUBMITTED"}}, "")
		if p.TotalCount != 2 {
			t.Fatalf("submitted: got %d [%s], want 2", p.TotalCount, titles(p))
		}
	})
	t.Run("DeadlineOrder", func(t *testing.T) {
		p := query(t, staff, nil, "DEADLINE")
		if len(p.Nodes) != len(specs) {
			t.Fatalf("staff sees %d wishes, want %d", len(p.Nodes), len(specs))
		}
		for i := 1; i < len(p.Nodes); i++ {
			if p.Nodes[i].Deadline.Before(p.Nodes[i-1].Deadline) {
				t.Fatalf("by deadline: got [%s], want ascending deadlines", titles(p))
			}
		}
		if p.Nodes[0].Title != "水龙头漏水" {
			t.Fatalf("first by deadline: got %s, want 水龙头漏水", p.Nodes[0].Title)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		for _, o := range []string{"NEWEST", "DEADLINE"} {
			seen := map[string]bool{}
			var after any
			for range 10 {
				var out struct{ Wishes wishPage }
				e.do(staff, list, map[string]any{"o": o, "n": 2, "after": after}).Decode(t, &out)
				for _, n := range out.Wishes.Nodes {
					if seen[n.ID] {
						t.Fatalf("%s: %s appeared twice", o, n.Title)
					}
					seen[n.ID] = true
				}
				if !out.Wishes.PageInfo.HasNextPage {
					break
				}
				after = *out.Wishes.PageInfo.EndCursor
			}
			if len(seen) != len(specs) {
				t.Fatalf("%s: paging found %d wishes, want %d", o, len(seen), len(specs))
			}
		}
	})
	t.Run("VolunteerSeesPublishedOnly", func(t *testing.T) {
		p := query(t, volunteer, nil, "")
		for _, n := range p.Nodes {
			if n.State != "PUBLISHED" {
				t.Fatalf("volunteer sees %s in state %s, want published ones only", n.Title, n.State)
			}
		}
		if p.TotalCount != 3 {
			t.Fatalf("volunteer: got %d wishes, want 3", p.TotalCount)
		}
	})
	t.Run("GridWorkerSeesGridWishes", func(t *testing.T) {
		// The wishes are for a resident of 第一网格, shown community-wide (the default). The
		// grid worker reviews them and opens each one; the list shows them too.
		grid := e.login(phoneGridWorker)
		for title, id := range ids {
			if e.wish(grid, id) == nil {
				t.Fatalf("grid worker: node(%s) got null, want the wish", title)
			}
		}
		var queue struct{ WishQueue wishPage }
		e.do(grid, `{ wishQueue(kind: REVIEW) { totalCount } }`, nil).Decode(t, &queue)
		if queue.WishQueue.TotalCount != 2 {
			t.Fatalf("grid worker's review queue: got %d, want 2", queue.WishQueue.TotalCount)
		}
		p := query(t, grid, nil, "")
		if p.TotalCount != len(specs) {
			t.Fatalf("grid worker's wishes: got %d [%s], want all %d (as node and wishQueue show them)", p.TotalCount, titles(p), len(specs))
		}
	})
	t.Run("MyWishes", func(t *testing.T) {
		var out struct{ MyWishes wishPage }
		e.do(resident, `{ myWishes(first: 50) { totalCount nodes { title } } }`, nil).Decode(t, &out)
		if out.MyWishes.TotalCount != len(specs) || out.MyWishes.Nodes[0].Title != "门铃坏了" {
			t.Fatalf("myWishes: got %d [%s], want %d newest first", out.MyWishes.TotalCount, titles(out.MyWishes), len(specs))
		}
		e.do(resident, `{ myWishes(state: [SUBMITTED]) { totalCount nodes { title } } }`, nil).Decode(t, &out)
		if titles(out.MyWishes) != "门铃坏了,陪同去医院复查" {
			t.Fatalf("myWishes(SUBMITTED): got [%s], want [门铃坏了,陪同去医院复查]", titles(out.MyWishes))
		}
	})
	t.Run("ReviewQueue", func(t *testing.T) {
		var out struct{ WishQueue wishPage }
		e.do(staff, `{ wishQueue(kind: REVIEW) { totalCount nodes { title } } }`, nil).Decode(t, &out)
		if titles(out.WishQueue) != "陪同去医院复查,门铃坏了" {
			t.Fatalf("review queue: got [%s], want [陪同去医院复查,门铃坏了] (oldest first)", titles(out.WishQueue))
		}
		e.do(volunteer, `{ wishQueue(kind: REVIEW) { totalCount } }`, nil).wantCode(t, db.EFORBIDDEN)
	})
}

// A page of the feed costs four statements, however long: signing in, the page with
// everything its wishes are answered from, the total and the viewer's contacts. No loader
// batch is involved, so one run is exact and a lookup per wish or per relation shows at once,
// whatever the machine's load.
func TestFeedStatementCount(t *testing.T) {
	e := newEnv(t)
	staff, volunteer := e.login(phoneStaff), e.login(phoneVolunteer)
	beneficiaries := e.gridResidents(staff, 20, phoneVolunteer)
	for i := range 60 {
		w := e.publishedFor(staff, beneficiaries[i%len(beneficiaries)], fmt.Sprintf("心愿%02d", i))
		if i < 2 { // claimed and given up: the feed shows the last claim and its claimer
			member := e.login(phonePartyMember)
			e.do(member, qClaim, map[string]any{"id": w.ID})
			e.do(member, qRelease, map[string]any{"id": w.ID, "r": "临时有事"})
		}
	}
	// What a volunteer's app shows (bench/feed-linli.graphql asks the same).
	const q = `query($n: Int) { wishFeed(first: $n) { totalCount pageInfo { hasNextPage endCursor }
		nodes { id title category deadline valueFen state beneficiaryName beneficiaryPhone address canClaim
			place { id name level } community { id name } beneficiary { name }
			claim { dueAt claimer { name } } fulfilment { hours } } } }`
	page := func(n int) int {
		e.do(volunteer, `{ me { id } }`, nil) // statements are prepared once per connection
		count := dbtest.Statements(t, e.db)
		var out struct{ WishFeed wishPage }
		e.do(volunteer, q, map[string]any{"n": n}).Decode(t, &out)
		if len(out.WishFeed.Nodes) != n {
			t.Fatalf("got %d wishes, want %d", len(out.WishFeed.Nodes), n)
		}
		for _, w := range out.WishFeed.Nodes {
			if !w.CanClaim {
				t.Fatalf("feed: %s has canClaim false, want true", w.Title)
			}
		}
		return count()
	}
	counts := []int{page(1), page(10), page(50)}
	t.Logf("statements for 1, 10 and 50 wishes: %v", counts)
	if counts[0] != counts[1] || counts[1] != counts[2] || counts[0] > 4 {
		t.Fatalf("statements for 1, 10 and 50 wishes: got %v, want the same for each and at most 4", counts)
	}
}

// Two mutations of one wish in one request: the second answer shows the claim as it is now,
// not as the first one loaded it.
func TestWishTwoMutationsOneRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	_, _, phone := e.homeOf(phoneResident)
	w := e.published(resident, staff, "想要一台轮椅")
	var out struct {
		A, B struct {
			State            string
			BeneficiaryPhone *string
			Claim            struct{ Active bool }
			Timeline         []wishEvent
		}
	}
	e.do(volunteer, `mutation($id: ID!) {
		a: claimWish(wishId: $id) { state beneficiaryPhone claim { active } timeline { action } }
		b: releaseWish(wishId: $id) { state beneficiaryPhone claim { active } timeline { action } }
	}`, map[string]any{"id": w.ID}).Decode(t, &out)
	if out.A.State != "CLAIMED" || !out.A.Claim.Active || str(out.A.BeneficiaryPhone) != phone {
		t.Fatalf("claim: got %+v, want CLAIMED, active, full phone", out.A)
	}
	if out.B.State != "PUBLISHED" || out.B.Claim.Active {
		t.Errorf("release: got state %s, claim active %v, want PUBLISHED with the claim ended", out.B.State, out.B.Claim.Active)
	}
	if p := str(out.B.BeneficiaryPhone); !strings.Contains(p, "****") {
		t.Errorf("release: got phone %s, want it masked once the claim ended", p)
	}
	if got := strings.Join(actions(out.B.Timeline), ","); got != "SUBMIT,PUBLISH,CLAIM,RELEASE" {
		t.Errorf("release: got timeline %s, want SUBMIT,PUBLISH,CLAIM,RELEASE", got)
	}
}

// A volunteer never sees or claims a wish of their own household.
func TestWishOwnHousehold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, volunteer := e.login(phoneStaff), e.login(phoneVolunteer)
	var household int64
	if err := e.db.Get(&household, `SELECT r.household_id FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = $1`, phoneVolunteer); err != nil {
		t.Fatal(err)
	}
	// A housemate of the volunteer, registered and so not yet verified: staff enter the wish.
	var reg struct {
		Register struct {
			Account struct{ Resident struct{ ID string } }
		}
	}
	e.do("", registerMutation, map[string]any{"in": map[string]any{
		"phone": "13700000999", "password": "mima-2026", "name": "李大妈", "birthDate": "1950-01-01",
		"householdId": graph.GlobalID("Place", household), "isOwner": false,
	}}).Decode(t, &reg)
	own := e.publishedFor(staff, reg.Register.Account.Resident.ID, "想要一根拐杖")
	other := e.publishedFor(staff, e.gridResidents(staff, 1, phoneVolunteer)[0], "想要一个热水袋")

	var feed struct{ WishFeed wishPage }
	e.do(volunteer, `{ wishFeed(first: 50) { totalCount nodes { id } } }`, nil).Decode(t, &feed)
	ids := map[string]bool{}
	for _, n := range feed.WishFeed.Nodes {
		ids[n.ID] = true
	}
	if ids[own.ID] || !ids[other.ID] {
		t.Fatalf("feed: got own household's wish %v, other wish %v, want false and true", ids[own.ID], ids[other.ID])
	}
	if w := e.wish(volunteer, own.ID); w != nil && w.CanClaim {
		t.Fatal("own household's wish: got canClaim true, want false")
	}
	e.claim(volunteer, own.ID).wantCode(t, db.EFORBIDDEN)
	if got := e.count(`SELECT count(*) FROM wish_claims`); got != 0 {
		t.Fatalf("claims: got %d, want 0", got)
	}
	// The party member, of another household, may claim it.
	mustWish(t, e.claim(e.login(phonePartyMember), own.ID))
}

func TestWishQueuesAndRecords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	const queue = `query($k: WishQueueKind!, $h: Int) { wishQueue(kind: $k, withinHours: $h) { totalCount nodes { title } } }`
	queued := func(t *testing.T, kind string, hours int) string {
		t.Helper()
		var out struct{ WishQueue wishPage }
		e.do(staff, queue, map[string]any{"k": kind, "h": hours}).Decode(t, &out)
		var ts []string
		for _, n := range out.WishQueue.Nodes {
			ts = append(ts, n.Title)
		}
		if len(ts) != out.WishQueue.TotalCount {
			t.Fatalf("%s queue: got %d nodes and totalCount %d", kind, len(ts), out.WishQueue.TotalCount)
		}
		return strings.Join(ts, ",")
	}

	t.Run("Lapsing", func(t *testing.T) {
		a := e.published(resident, staff, "甲")
		mustWish(t, e.claim(volunteer, a.ID))
		e.clock.Advance(time.Hour)
		b := e.published(resident, staff, "乙")
		mustWish(t, e.claim(volunteer, b.ID))
		if got := queued(t, "LAPSING", 24); got != "" {
			t.Fatalf("lapsing within 24 h right after claiming: got [%s], want none", got)
		}
		e.clock.Advance(50 * time.Hour)
		if got := queued(t, "LAPSING", 24); got != "甲,乙" {
			t.Fatalf("lapsing within 24 h: got [%s], want [甲,乙] (soonest first)", got)
		}
		if got := queued(t, "LAPSING", 21); got != "甲" {
			t.Fatalf("lapsing within 21 h: got [%s], want [甲]", got)
		}
		mustWish(t, e.fulfil(volunteer, a.ID, 1))
		mustWish(t, e.fulfil(volunteer, b.ID, 1))
		if got := queued(t, "LAPSING", 24); got != "" {
			t.Fatalf("lapsing after fulfilment: got [%s], want none", got)
		}
		mustWish(t, e.dispute(resident, a.ID))
		if got := queued(t, "DISPUTED", 24); got != "甲" {
			t.Fatalf("disputed: got [%s], want [甲]", got)
		}
	})

	t.Run("RecordAccess", func(t *testing.T) {
		account := e.accountID(phoneVolunteer)
		var rec struct{ VolunteerRecord volunteerRecord }
		e.do(staff, qRecord, map[string]any{"a": account, "n": 5}).Decode(t, &rec)
		e.do(resident, qRecord, map[string]any{"a": account}).wantCode(t, db.EFORBIDDEN)
		e.do(e.login(phonePartyMember), qRecord, map[string]any{"a": account}).wantCode(t, db.EFORBIDDEN)
		e.do(e.login(phoneStaffGuangming), qRecord, map[string]any{"a": account}).wantCode(t, db.EFORBIDDEN)
		e.do("", qRecord, map[string]any{"a": account}).wantCode(t, db.EUNAUTHENTICATED)
	})
}

// Disputes of confirmed wishes: settled back to the claimer the first credit is reversed and
// the second stands; credited again nothing is added twice.
func TestWishDisputeConfirmed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	record := func(t *testing.T) volunteerRecord {
		t.Helper()
		var rec struct{ VolunteerRecord volunteerRecord }
		e.do(volunteer, qRecord, map[string]any{"n": 50}).Decode(t, &rec)
		return rec.VolunteerRecord
	}

	w := e.fulfilled(resident, staff, volunteer, "帮忙贴春联", 2)
	mustWish(t, e.confirm(resident, w.ID, 3))
	mustWish(t, e.dispute(resident, w.ID))
	w = mustWish(t, e.settle(staff, w.ID, "RETURN_TO_CLAIMER"))
	if w.State != "CLAIMED" || w.Rating != nil {
		t.Fatalf("returned: got %s rated %v, want CLAIMED with no rating", w.State, w.Rating)
	}
	if r := record(t); r.TotalHours != 0 || r.TotalPoints != 0 || r.WishesCompleted != 0 || r.Entries.TotalCount != 2 {
		t.Fatalf("after return: got %v h, %d points, %d wishes, %d entries, want 0, 0, 0 and 2 (credit, reversal)", r.TotalHours, r.TotalPoints, r.WishesCompleted, r.Entries.TotalCount)
	}
	mustWish(t, e.fulfil(volunteer, w.ID, 1))
	mustWish(t, e.confirm(resident, w.ID, 5))
	if r := record(t); r.TotalHours != 1 || r.TotalPoints != 10 || r.WishesCompleted != 1 || r.Entries.TotalCount != 3 {
		t.Fatalf("after the second confirmation: got %v h, %d points, %d wishes, %d entries, want 1, 10, 1, 3", r.TotalHours, r.TotalPoints, r.WishesCompleted, r.Entries.TotalCount)
	}

	w2 := e.fulfilled(resident, staff, volunteer, "帮忙挂窗帘", 0.5)
	mustWish(t, e.confirm(resident, w2.ID, 4))
	mustWish(t, e.dispute(resident, w2.ID))
	w2 = mustWish(t, e.settle(staff, w2.ID, "CREDIT"))
	if w2.State != "CONFIRMED" {
		t.Fatalf("credited: got %s, want CONFIRMED", w2.State)
	}
	if r := record(t); r.TotalHours != 1.5 || r.TotalPoints != 15 || r.WishesCompleted != 2 || r.Entries.TotalCount != 4 {
		t.Fatalf("after crediting a confirmed wish again: got %v h, %d points, %d wishes, %d entries, want 1.5, 15, 2, 4", r.TotalHours, r.TotalPoints, r.WishesCompleted, r.Entries.TotalCount)
	}
	// Settling what is no longer disputed is refused.
	e.settle(staff, w2.ID, "NO_CREDIT").wantCode(t, db.EINVALIDSTATE)
}

// Transitions racing each other: one wins, the rest are refused, the books agree.
func TestWishConcurrentTransitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)

	run := func(n int, f func(i int) (*response, error)) map[string]int {
		codes := map[string]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, err := f(i)
				code := "error"
				if err == nil {
					code = r.Code()
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		return codes
	}

	t.Run("ConfirmTwice", func(t *testing.T) {
		w := e.fulfilled(resident, staff, volunteer, "帮忙修自行车", 1)
		codes := run(10, func(int) (*response, error) {
			return e.post(resident, qConfirm, map[string]any{"id": w.ID, "rating": 5})
		})
		if codes[""] != 1 || codes[db.EINVALIDSTATE] != 9 {
			t.Fatalf("10 confirmations at once: got %v, want 1 success and 9 INVALID_STATE", codes)
		}
		if got := e.count(`SELECT count(*) FROM volunteer_ledger l JOIN wishes w ON w.id = l.wish_id WHERE w.title = '帮忙修自行车'`); got != 1 {
			t.Fatalf("ledger entries: got %d, want 1", got)
		}
	})

	t.Run("FulfilAgainstLapse", func(t *testing.T) {
		const n = 5
		ids := make([]string, n)
		for i := range n {
			ids[i] = e.published(resident, staff, fmt.Sprintf("赛跑%d", i)).ID
		}
		for i := range 3 {
			mustWish(t, e.claim(volunteer, ids[i]))
		}
		e.clock.Advance(73 * time.Hour)
		lapsed := 0
		var lapseErr error
		codes := run(4, func(i int) (*response, error) {
			if i == 3 {
				time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
				n, err := e.store.LapseOverdueClaims(context.Background())
				lapsed, lapseErr = n, err
				return &response{}, err
			}
			return e.post(volunteer, qFulfil, map[string]any{"in": map[string]any{"wishId": ids[i], "note": "办好了", "hours": 1, "photoUrls": []string{}}})
		})
		if lapseErr != nil {
			t.Fatal(lapseErr)
		}
		// Each of the three claims either lapsed or was fulfilled, never both.
		fulfilled := codes[""] - 1
		if fulfilled+lapsed != 3 || codes[db.EINVALIDSTATE] != 3-fulfilled {
			t.Fatalf("got %d fulfilled, %d lapsed (codes %v), want 3 in all", fulfilled, lapsed, codes)
		}
		var bad int
		e.db.Get(&bad, `SELECT count(*) FROM wishes w JOIN wish_claims c ON c.id = w.claim_id
			WHERE w.title LIKE '赛跑%' AND ((w.state = 'fulfilled') <> (c.end_reason = 'fulfilled') OR (w.state = 'published') <> (c.end_reason = 'lapsed'))`)
		if bad != 0 {
			var rows []string
			e.db.Select(&rows, `SELECT w.title || ' ' || w.state || ' claim ' || c.id || ' ' || coalesce(c.end_reason::text, 'active') FROM wishes w JOIN wish_claims c ON c.wish_id = w.id ORDER BY c.id`)
			t.Logf("claims: %v", rows)
			t.Fatalf("wishes whose state disagrees with their claim's end: got %d, want 0", bad)
		}
		t.Logf("fulfilled %d, lapsed %d", fulfilled, lapsed)
	})
}

// Who may submit, review and settle, and what the timeline shows to whom.
func TestWishPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	grid, party := e.login(phoneGridWorker), e.login(phonePartyMember)

	t.Run("Unauthenticated", func(t *testing.T) {
		e.do("", qSubmit, map[string]any{"in": e.wishInput("想要一台轮椅")}).wantCode(t, db.EUNAUTHENTICATED)
	})
	t.Run("UnverifiedResident", func(t *testing.T) {
		var reg struct{ Register struct{ Token string } }
		e.do("", registerMutation, registration(e, "13700000555")).Decode(t, &reg)
		e.do(reg.Register.Token, qSubmit, map[string]any{"in": e.wishInput("想要一台轮椅")}).wantCode(t, db.EFORBIDDEN)
	})
	t.Run("OnBehalf", func(t *testing.T) {
		// The grid worker enters wishes for residents of 第一网格, not of 第二网格.
		mine := e.gridResidents(staff, 1, phoneVolunteer)[0]
		in := e.wishInput("想要一个暖手宝")
		in["beneficiaryId"] = mine
		w := e.submit(grid, in)
		var out struct {
			W struct{ SubmittedOnBehalfBy *struct{ Name string } }
		}
		e.do(grid, `query($id: ID!) { w: node(id: $id) { ... on Wish { submittedOnBehalfBy { name } } } }`, map[string]any{"id": w.ID}).Decode(t, &out)
		if out.W.SubmittedOnBehalfBy == nil || out.W.SubmittedOnBehalfBy.Name != "王丽" {
			t.Fatalf("submittedOnBehalfBy: got %+v, want 王丽", out.W.SubmittedOnBehalfBy)
		}
		var other string
		e.db.Get(&other, `SELECT r.id FROM residents r JOIN places h ON h.id = r.household_id JOIN places b ON b.id = h.parent_id
			JOIN places g ON g.id = b.parent_id WHERE g.name = '第二网格' AND g.path[2] = (SELECT id FROM places WHERE name = '和平社区') ORDER BY r.id LIMIT 1`)
		in = e.wishInput("想要一个暖水瓶")
		in["beneficiaryId"] = graph.GlobalID("Resident", mustAtoi(t, other))
		e.do(grid, qSubmit, map[string]any{"in": in}).wantCode(t, db.EFORBIDDEN)
		// A volunteer cannot enter wishes for others.
		e.do(volunteer, qSubmit, map[string]any{"in": in}).wantCode(t, db.EFORBIDDEN)
		// Self-submitted: nobody on behalf.
		self := e.submit(resident, e.wishInput("想要一个台历"))
		e.do(resident, `query($id: ID!) { w: node(id: $id) { ... on Wish { submittedOnBehalfBy { name } } } }`, map[string]any{"id": self.ID}).Decode(t, &out)
		if out.W.SubmittedOnBehalfBy != nil {
			t.Fatalf("submittedOnBehalfBy of a self-submitted wish: got %+v, want null", out.W.SubmittedOnBehalfBy)
		}
	})
	t.Run("Review", func(t *testing.T) {
		w := e.submit(resident, e.wishInput("想要一本字典"))
		if c := e.review(e.login(phoneStaffGuangming), w.ID, "PUBLISH", nil).Code(); c != db.ENOTFOUND && c != db.EFORBIDDEN {
			t.Fatalf("review by 光明社区 staff: got %q, want NOT_FOUND or FORBIDDEN", c)
		}
		if c := e.review(volunteer, w.ID, "PUBLISH", nil).Code(); c != db.ENOTFOUND && c != db.EFORBIDDEN {
			t.Fatalf("review by a volunteer: got %q, want NOT_FOUND or FORBIDDEN", c)
		}
		e.review(resident, w.ID, "PUBLISH", nil).wantCode(t, db.EFORBIDDEN)
		// The grid worker of the beneficiary's grid may.
		if got := mustWish(t, e.review(grid, w.ID, "PUBLISH", nil)).State; got != "PUBLISHED" {
			t.Fatalf("review by the grid worker: got %s, want PUBLISHED", got)
		}
		e.review(staff, w.ID, "PUBLISH", nil).wantCode(t, db.EINVALIDSTATE)
	})
	t.Run("TimelineNames", func(t *testing.T) {
		var name string
		e.db.Get(&name, `SELECT name FROM accounts WHERE phone = $1`, phoneResident)
		w := e.published(resident, staff, "想要一个收纳箱")
		mustWish(t, e.claim(volunteer, w.ID))
		// The beneficiary's own step: full to the claimer, masked to another volunteer.
		if got := e.wish(volunteer, w.ID).Timeline[0].ActorName; got != name {
			t.Fatalf("claimer sees SUBMIT by %q, want %q", got, name)
		}
		if got := e.wish(party, w.ID).Timeline[0].ActorName; got != db.MaskName(name) {
			t.Fatalf("another volunteer sees SUBMIT by %q, want %q", got, db.MaskName(name))
		}
	})
	t.Run("FilterByPlace", func(t *testing.T) {
		// Shown community-wide, the wishes of a 第一网格 resident are found under 第一网格 too.
		var gridID int64
		e.db.Get(&gridID, `SELECT g.id FROM places g JOIN places c ON c.id = g.parent_id WHERE g.name = '第一网格' AND c.name = '和平花园小区'`)
		var out struct{ Wishes wishPage }
		e.do(staff, `query($p: ID) { wishes(filter: {placeId: $p}) { totalCount } }`, map[string]any{"p": graph.GlobalID("Place", gridID)}).Decode(t, &out)
		all := e.count(`SELECT count(*) FROM wishes`)
		if out.Wishes.TotalCount != all {
			t.Fatalf("wishes under 第一网格: got %d, want all %d (every beneficiary so far lives there)", out.Wishes.TotalCount, all)
		}
		e.do(staff, `query($p: ID) { wishes(filter: {placeId: $p}) { totalCount } }`, map[string]any{"p": e.placeID("老街网格")}).Decode(t, &out)
		if out.Wishes.TotalCount != 0 {
			t.Fatalf("wishes under 老街网格: got %d, want 0", out.Wishes.TotalCount)
		}
	})
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// 200 different volunteers press "claim" on one wish at the same moment: exactly one claim,
// and 199 CONFLICTs.
func TestClaimRace200Volunteers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff := e.login(phoneResident), e.login(phoneStaff)
	const n = 200

	// The volunteers are made in the database directly: how they came to be is not the point.
	hash, err := db.HashPassword("mima-2026", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec(`WITH a AS (
			INSERT INTO accounts (phone, name, password_hash, created_at)
			SELECT '136' || lpad(i::text, 8, '0'), '志愿者' || i, $1, now() FROM generate_series(1, $2) i RETURNING id)
		INSERT INTO role_grants (account_id, role, place_id, granted_at)
		SELECT a.id, 'volunteer', p.id, now() FROM a, places p WHERE p.name = '和平社区'`, hash, n); err != nil {
		t.Fatal(err)
	}
	tokens := make([]string, n)
	for i := range n {
		var out struct{ Login struct{ Token string } }
		e.do("", `mutation($p: String!) { login(phone: $p, password: "mima-2026") { token } }`,
			map[string]any{"p": fmt.Sprintf("136%08d", i+1)}).Decode(t, &out)
		tokens[i] = out.Login.Token
	}

	w := e.published(resident, staff, "想要一副老花镜")
	who, ids := make([]int, n), make([]string, n)
	for i := range n {
		who[i], ids[i] = i, w.ID
	}
	codes := map[string]int{}
	for _, r := range e.claimAll(tokens, who, ids) {
		if r.err != nil {
			t.Fatalf("claim: %v", r.err)
		}
		codes[r.code]++
	}
	if codes[""] != 1 || codes[db.ECONFLICT] != n-1 {
		t.Fatalf("got %v (\"\" = success), want 1 success and %d CONFLICT", codes, n-1)
	}
	if got := e.count(`SELECT count(*) FROM wish_claims WHERE wish_id = $1`, e.wishRowID("想要一副老花镜")); got != 1 {
		t.Fatalf("claim rows: got %d, want 1", got)
	}
}

// Points are rounded to the nearest whole point: 45 minutes at the default 10 points an hour
// earn 8 (7.5 rounded up), 15 minutes earn 3 (2.5 up), 20 minutes earn 3 (3.33 down).
func TestPointsRoundToNearest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	for _, c := range []struct {
		hours float64
		want  int
	}{{0.75, 8}, {0.25, 3}, {1.0 / 3, 3}} {
		w := e.fulfilled(resident, staff, volunteer, "帮忙取药", c.hours)
		mustWish(t, e.confirm(resident, w.ID, 5))
		var rec struct{ VolunteerRecord volunteerRecord }
		e.do(volunteer, qRecord, map[string]any{"n": 1}).Decode(t, &rec)
		n := rec.VolunteerRecord.Entries.Nodes
		if len(n) != 1 || n[0].Wish == nil || n[0].Wish.ID != w.ID || n[0].Points != c.want {
			t.Fatalf("%v hours: got newest entry %+v, want %d points for wish %s", c.hours, n, c.want, w.ID)
		}
	}
}
