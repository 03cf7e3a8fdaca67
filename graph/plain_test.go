package graph_test

import (
	"bytes"
	"reflect"
	"strings"
	"sync"
	"testing"

	"linli/graph"
)

// Lists of wishes that plainLists writes itself are, byte for byte, what gqlgen writes for
// them: every plain field of a wish, its places and its claim, under aliases, fragments,
// @skip and @include, for wishes in every state; and the lists it leaves to gqlgen (a
// resolver field under a claim that is there, an analyst refused personal fields) still
// answer as before. Each case says which way it should go, so the comparison is known to
// have covered the plain way.
func TestPlainListsMatchGqlgen(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []bool
	e := newEnv(t, graph.SeePlainLists(func(plain bool) {
		mu.Lock()
		seen = append(seen, plain)
		mu.Unlock()
	}))
	ordinary := serve(t, e.db, graph.OrdinaryLists)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	analyst, partyMember := e.login(phoneAnalyst), e.login(phonePartyMember)

	// Wishes in each state a list shows: claimed, released (a claim that ended), fulfilled,
	// confirmed with a rating, cancelled with a reason, besides the demo's.
	claimed := e.published(resident, staff, "想要一个保温杯")
	mustWish(t, e.claim(volunteer, claimed.ID))
	released := e.published(resident, staff, "想请人修一下门锁")
	mustWish(t, e.claim(volunteer, released.ID))
	mustWish(t, e.do(volunteer, qRelease, map[string]any{"id": released.ID, "r": "临时有事"}))
	e.fulfilled(resident, staff, volunteer, "想要人陪同去医院", 2)
	confirmed := e.fulfilled(resident, staff, volunteer, "想请人读报 \"每周\" 一次\n\t谢谢", 1.5)
	mustWish(t, e.confirm(resident, confirmed.ID, 5))
	cancelled := e.published(resident, staff, "想要一把雨伞")
	mustWish(t, e.do(resident, qCancel, map[string]any{"id": cancelled.ID, "r": "已经买到了"}))

	const every = `__typename id category title description valueFen deadline state
		place { __typename id name level } community { id name level }
		beneficiaryName beneficiaryPhone address
		claim { __typename claimedAt dueAt active endedAt }
		rating ratingComment closingReason canClaim createdAt updatedAt`
	cases := []struct {
		name, token, query string
		vars               map[string]any
		plain              bool
	}{
		{"the harness's feed", volunteer, `query($n: Int!) { wishFeed(first: $n) { totalCount pageInfo { hasNextPage endCursor }
			nodes { id title category description valueFen deadline state createdAt place { id name } community { id name }
			beneficiaryName beneficiaryPhone address claim { claimedAt dueAt active claimer { id name } } canClaim } } }`,
			map[string]any{"n": 50}, true},
		{"every plain field, as staff", staff, `{ wishes(first: 100) { nodes { ` + every + ` } } }`, nil, true},
		{"every plain field, the volunteer's claims", volunteer, `{ myClaims(first: 100) { nodes { ` + every + ` } } }`, nil, true},
		{"every plain field, the resident's own", resident, `{ myWishes(first: 100) { nodes { ` + every + ` } } }`, nil, true},
		{"aliases, fragments, directives", staff, `query($yes: Boolean!, $no: Boolean!) { wishes(first: 100) { nodes {
			t: title title ...F ... on Node { id nodeType: __typename } ... on Wish @include(if: $yes) { s: state }
			closingReason @skip(if: $yes) rating @include(if: $no) valueFen @skip(if: $no)
			p: place { n: name ... on Place { id } } community { name } community { id }
			claim { a: active ... on WishClaim { dueAt } } } } }
			fragment F on Wish { createdAt description place { level } }`, map[string]any{"yes": true, "no": false}, true},
		{"an empty list", volunteer, `{ wishes(first: 5, filter: { state: [REJECTED] }) { nodes { id title } } }`, nil, true},
		{"claimers, as staff", staff, `{ wishes(first: 100) { nodes { id claim { active claimer { __typename id name } } } } }`, nil, true},
		{"the feed with another's past claim, masked", partyMember, `{ wishFeed(first: 50) { nodes { id claim { claimer { id n: name } } } } }`, nil, true},
		{"a claimer's phone, where claims are", staff, `{ wishes(first: 100) { nodes { id claim { claimer { phone } } } } }`, nil, false},
		{"the timeline", staff, `{ wishes(first: 3) { nodes { id timeline { action } } } }`, nil, false},
		{"an analyst", analyst, `{ wishes(first: 20) { nodes { id title beneficiaryName place { name } } } }`, nil, false},
	}
	for _, c := range cases {
		mu.Lock()
		seen = nil
		mu.Unlock()
		got := e.do(c.token, c.query, c.vars)
		want := ordinary.do(c.token, c.query, c.vars)
		if got.Status != want.Status || !bytes.Equal(got.Data, want.Data) || !reflect.DeepEqual(got.Errors, want.Errors) {
			t.Errorf("%s: plain lists answered\n%d %s %+v\ngqlgen answers\n%d %s %+v", c.name,
				got.Status, got.Data, got.Errors, want.Status, want.Data, want.Errors)
		}
		mu.Lock()
		if len(seen) != 1 || seen[0] != c.plain {
			t.Errorf("%s: plainLists wrote lists %v, want one list written %v", c.name, seen, c.plain)
		}
		mu.Unlock()
		if c.plain && strings.Count(string(got.Data), `"id"`) < 2 && c.name != "an empty list" {
			t.Errorf("%s: the answer %s holds too few wishes to compare", c.name, got.Data)
		}
		if strings.Contains(c.name, "masked") && !strings.Contains(string(got.Data), "*") {
			t.Errorf("%s: the answer %s masks no claimer's name", c.name, got.Data)
		}
	}
}
