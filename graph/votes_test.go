package graph_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"linli/db"
)

const voteFields = `id title options secret changeable rule state closesAt hasVoted myChoice
	turnout { entitledHeads participatingHeads entitledAreaDm2 participatingAreaDm2 }
	tallies { option heads areaDm2 } result { quorumMet passed top presentHeads presentAreaDm2 }
	rollCall { name option }`

const (
	qOpenVote   = `mutation($in: OpenVoteInput!) { v: openVote(input: $in) { ` + voteFields + ` } }`
	qCastBallot = `mutation($id: ID!, $o: String!) { v: castBallot(voteId: $id, option: $o) { ` + voteFields + ` } }`
	qCloseVote  = `mutation($id: ID!) { v: closeVote(voteId: $id) { ` + voteFields + ` } }`
	qVote       = `query($id: ID!) { v: vote(id: $id) { ` + voteFields + ` } }`
)

type tallyOut struct {
	Option         string
	Heads, AreaDm2 int
}

type voteOut struct {
	ID, Title, Rule, State string
	Options                []string
	Secret, Changeable     bool
	HasVoted               bool
	MyChoice               *string
	Turnout                struct{ EntitledHeads, ParticipatingHeads, EntitledAreaDm2, ParticipatingAreaDm2 int }
	Tallies                []tallyOut
	Result                 *struct {
		QuorumMet                    bool
		Passed                       *bool
		Top                          *string
		PresentHeads, PresentAreaDm2 int
	}
	RollCall []struct{ Name, Option string }
}

func mustVote(t *testing.T, r *response) voteOut {
	t.Helper()
	var out struct{ V *voteOut }
	r.Decode(t, &out)
	if out.V == nil {
		t.Fatal("got no vote, want one")
	}
	return *out.V
}

// newVoters makes n verified adult residents with accounts in households of 和平花园小区,
// directly in the database, and returns their tokens.
func (e *env) newVoters(n int) []string {
	e.t.Helper()
	hash, err := db.HashPassword("mima-2026", testPassword)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.Exec(`WITH a AS (
			INSERT INTO accounts (phone, name, password_hash, created_at)
			SELECT '135' || lpad(i::text, 8, '0'), '投票人' || i, $1, now() FROM generate_series(1, $2) i RETURNING id, name),
		h AS (SELECT h.id FROM places h JOIN places c ON c.id = ANY(h.path)
			WHERE h.level = 'household' AND c.name = '和平花园小区' ORDER BY h.id LIMIT 1)
		INSERT INTO residents (household_id, name, birth_date, account_id, verified_at, created_at)
		SELECT h.id, a.name, '1980-01-01', a.id, now(), now() FROM a, h`, hash, n); err != nil {
		e.t.Fatal(err)
	}
	tokens := make([]string, n)
	for i := range n {
		var out struct{ Login struct{ Token string } }
		e.do("", `mutation($p: String!) { login(phone: $p, password: "mima-2026") { token } }`,
			map[string]any{"p": fmt.Sprintf("135%08d", i+1)}).Decode(e.t, &out)
		tokens[i] = out.Login.Token
	}
	return tokens
}

// runningMeeting schedules and starts a residents' assembly with one topic on its agenda.
func (e *env) runningMeeting(title string) (meeting, topic string) {
	e.t.Helper()
	staff := e.login(phoneStaff)
	topic = e.acceptedTopic(title + "议题")
	m := mustMeeting(e.t, e.schedule(staff, e.meetingInput(title, map[string]any{"topicIds": []string{topic}})))
	mustMeeting(e.t, e.do(staff, qStart, map[string]any{"id": m.ID}))
	return m.ID, topic
}

func (e *env) openVote(meeting, topic string, set map[string]any) voteOut {
	e.t.Helper()
	in := map[string]any{"meetingId": meeting, "topicId": topic, "title": "是否同意加装电梯",
		"closesAt": "2026-11-23T12:00:00Z", "secret": true, "changeable": false, "rule": "RESIDENTS_ASSEMBLY"}
	for k, v := range set {
		in[k] = v
	}
	return mustVote(e.t, e.do(e.login(phoneStaff), qOpenVote, map[string]any{"in": in}))
}

// castAll casts, from one goroutine each, tokens[i]'s ballot for options[i], the i-th after
// i×stagger, while during runs; it returns the error code of each ("" for success).
func (e *env) castAll(tokens []string, vote string, options []string, stagger time.Duration, during func()) []string {
	codes := make([]string, len(tokens))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			time.Sleep(time.Duration(i) * stagger)
			r, err := e.post(tokens[i], qCastBallot, map[string]any{"id": vote, "o": options[i]})
			if err != nil {
				codes[i] = err.Error()
				return
			}
			codes[i] = r.Code()
		}()
	}
	close(start)
	if during != nil {
		during()
	}
	wg.Wait()
	return codes
}

func countCodes(codes []string) map[string]int {
	m := map[string]int{}
	for _, c := range codes {
		m[c]++
	}
	return m
}

func TestVoteOneBallotPerVoter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	meeting, topic := e.runningMeeting("十一月居民会议")
	voter := e.login(phoneResident)
	const n = 100
	tokens, opts := make([]string, n), make([]string, n)
	for i := range n {
		tokens[i], opts[i] = voter, db.DefaultVoteOptions[i%3]
	}
	for _, changeable := range []bool{false, true} {
		for _, secret := range []bool{true, false} {
			v := e.openVote(meeting, topic, map[string]any{"changeable": changeable, "secret": secret})
			codes := countCodes(e.castAll(tokens, v.ID, opts, 0, nil))
			if !changeable && (codes[""] != 1 || codes[db.ECONFLICT] != n-1) {
				t.Fatalf("secret %v not changeable: got %v, want 1 success and %d CONFLICT", secret, codes, n-1)
			}
			if changeable && codes[""] != n {
				t.Fatalf("secret %v changeable: got %v, want %d successes", secret, codes, n)
			}
			got := mustVote(t, e.do(e.login(phoneStaff), qCloseVote, map[string]any{"id": v.ID}))
			heads := 0
			for _, tl := range got.Tallies {
				heads += tl.Heads
			}
			if heads != 1 || got.Turnout.ParticipatingHeads != 1 {
				t.Fatalf("secret %v changeable %v: counted %d ballots, %d participants, want 1", secret, changeable, heads, got.Turnout.ParticipatingHeads)
			}
		}
	}
}

func TestVoteChangeCountedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	meeting, topic := e.runningMeeting("十一月居民会议")
	voter, staff := e.login(phoneResident), e.login(phoneStaff)
	v := e.openVote(meeting, topic, map[string]any{"changeable": true})
	mustVote(t, e.do(voter, qCastBallot, map[string]any{"id": v.ID, "o": "反对"}))
	got := mustVote(t, e.do(voter, qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	if !got.HasVoted || got.MyChoice != nil || got.Tallies != nil || got.Turnout.ParticipatingHeads != 1 {
		t.Fatalf("secret vote while open: got %+v, want hasVoted, no choice, no tallies, 1 participant", got)
	}
	got = mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
	if want := []tallyOut{{"同意", 1, 0}, {"反对", 0, 0}, {"弃权", 0, 0}}; !slices.Equal(got.Tallies, want) {
		t.Fatalf("tallies: got %v, want %v", got.Tallies, want)
	}
	// After close, no more ballots; and the result is final.
	e.do(voter, qCastBallot, map[string]any{"id": v.ID, "o": "反对"}).wantCode(t, db.EINVALIDSTATE)
	e.do(staff, qCloseVote, map[string]any{"id": v.ID}).wantCode(t, db.EINVALIDSTATE)
	// Past closesAt, casting is refused too.
	v2 := e.openVote(meeting, topic, map[string]any{"closesAt": "2026-11-23T09:30:00Z"})
	e.clock.Advance(time.Hour)
	e.do(voter, qCastBallot, map[string]any{"id": v2.ID, "o": "同意"}).wantCode(t, db.EINVALIDSTATE)
}

func TestVote200Voters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 200
	tokens := e.newVoters(n)
	meeting, topic := e.runningMeeting("十一月居民会议")
	staff := e.login(phoneStaff)
	if _, err := e.db.Exec(`INSERT INTO meeting_attendance (meeting_id, resident_id, checked_in_at, checked_in_by)
		SELECT e.meeting_id, e.resident_id, now(), (SELECT id FROM accounts WHERE phone = $1)
		FROM meeting_entitled e JOIN residents r ON r.id = e.resident_id WHERE r.name LIKE '投票人%'`, phoneStaff); err != nil {
		t.Fatal(err)
	}
	v := e.openVote(meeting, topic, nil)
	opts := make([]string, n)
	want := map[string]int{}
	for i := range n {
		opts[i] = db.DefaultVoteOptions[min(i%5, 2)] // 80 approve, 40 oppose, 80 abstain
		want[opts[i]]++
	}
	if codes := countCodes(e.castAll(tokens, v.ID, opts, 0, nil)); codes[""] != n {
		t.Fatalf("casts: got %v, want %d successes", codes, n)
	}
	got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
	if !talliedHeads(got, want) {
		t.Fatalf("tallies: got %v, want %v", got.Tallies, want)
	}
	if got.Turnout.ParticipatingHeads != n || got.Result == nil || !got.Result.QuorumMet || got.Result.Passed == nil || *got.Result.Passed {
		t.Fatalf("result: got %+v %+v, want 200 participants, quorum met, not passed (80 of 200 present approve)", got.Turnout, got.Result)
	}
}

func TestVoteRacingClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 50
	tokens := e.newVoters(n)
	meeting, topic := e.runningMeeting("十一月居民会议")
	staff := e.login(phoneStaff)
	v := e.openVote(meeting, topic, nil)
	opts := make([]string, n)
	for i := range opts {
		opts[i] = "同意"
	}
	var closed voteOut
	codes := countCodes(e.castAll(tokens, v.ID, opts, 5*time.Millisecond, func() {
		// Close once some ballots are in, while the others are still arriving.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			var cast int
			if err := e.db.Get(&cast, `SELECT count(*) FROM vote_participation`); err != nil || cast >= 15 {
				break
			}
		}
		closed = mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
	}))
	if codes[""]+codes[db.EINVALIDSTATE] != n {
		t.Fatalf("casts: got %v, want only successes and INVALID_STATE", codes)
	}
	t.Logf("%d casts in the result, %d refused after the close", codes[""], codes[db.EINVALIDSTATE])
	if closed.Tallies[0].Heads != codes[""] || closed.Turnout.ParticipatingHeads != codes[""] {
		t.Fatalf("stored result counts %d approvals, %d participants; %d casts succeeded", closed.Tallies[0].Heads, closed.Turnout.ParticipatingHeads, codes[""])
	}
	if after := mustVote(t, e.do(staff, qVote, map[string]any{"id": v.ID})); after.Tallies[0].Heads != codes[""] {
		t.Fatalf("after: %d approvals, want %d", after.Tallies[0].Heads, codes[""])
	}
}

func TestVoteSecretBallot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	meeting, topic := e.runningMeeting("十一月居民会议")
	voter, staff, admin := e.login(phoneResident), e.login(phoneStaff), e.login(phoneAdmin)
	v := e.openVote(meeting, topic, map[string]any{"changeable": true})
	mustVote(t, e.do(voter, qCastBallot, map[string]any{"id": v.ID, "o": "反对"}))

	// What a secret vote keeps while open names no person, no time, no area and no choice
	// in the clear (TestSecretBallotsUnlinkable attacks it).
	var cols []string
	if err := e.db.Select(&cols, `SELECT table_name || '.' || column_name FROM information_schema.columns
		WHERE table_name IN ('ballot_sums', 'ballot_choices') ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cols, []string{"ballot_choices.changeable", "ballot_choices.replace_key", "ballot_choices.sealed",
		"ballot_choices.secret", "ballot_choices.vote_id", "ballot_sums.sealed", "ballot_sums.secret", "ballot_sums.stripe",
		"ballot_sums.vote_id"}) {
		t.Fatalf("secret ballot columns: got %v", cols)
	}
	for _, who := range []string{staff, admin} {
		r := e.do(who, qVote, map[string]any{"id": v.ID})
		if r.Code() == "" {
			var out struct{ V *voteOut }
			r.Decode(t, &out)
			if out.V != nil && (out.V.MyChoice != nil || out.V.Tallies != nil || out.V.RollCall != nil) {
				t.Fatalf("secret vote seen by staff/admin: %+v", out.V)
			}
		}
	}
	closed := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
	if closed.MyChoice != nil || closed.RollCall != nil || closed.Tallies[1].Heads != 1 {
		t.Fatalf("closed secret vote: %+v", closed)
	}
	if mine := mustVote(t, e.do(voter, qVote, map[string]any{"id": v.ID})); !mine.HasVoted || mine.MyChoice != nil {
		t.Fatalf("voter's own view: hasVoted %v, myChoice %v; want true, nil", mine.HasVoted, mine.MyChoice)
	}

	// A roll-call vote shows who chose what.
	o := e.openVote(meeting, topic, map[string]any{"secret": false})
	got := mustVote(t, e.do(voter, qCastBallot, map[string]any{"id": o.ID, "o": "同意"}))
	if str(got.MyChoice) != "同意" || len(got.RollCall) != 1 || got.RollCall[0].Option != "同意" {
		t.Fatalf("roll-call: got %+v", got)
	}
}

func TestVoteRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	voters := e.newVoters(2)
	meeting, topic := e.runningMeeting("十一月居民会议")
	staff := e.login(phoneStaff)
	v := e.openVote(meeting, topic, nil)
	if v.State != "OPEN" || !slices.Equal(v.Options, []string{"同意", "反对", "弃权"}) || v.Turnout.EntitledHeads < 4 {
		t.Fatalf("opened: %+v", v)
	}
	for _, tok := range voters {
		mustVote(t, e.do(tok, qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	}
	// Everyone who took part approved, but 2 of the whole roll is no quorum.
	got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v.ID}))
	if got.Result == nil || got.Result.QuorumMet || got.Result.Passed == nil || *got.Result.Passed || got.Result.PresentHeads != 2 {
		t.Fatalf("result: got %+v, want no quorum, not passed, 2 present", got.Result)
	}

	// Owners' presets only in an owners' assembly; the topic must be on the agenda; 2–10 options.
	in := map[string]any{"meetingId": meeting, "topicId": topic, "title": "x", "closesAt": "2026-11-23T12:00:00Z",
		"secret": true, "changeable": false, "rule": "OWNERS_MAJOR"}
	e.do(staff, qOpenVote, map[string]any{"in": in}).wantCode(t, db.EINVALID)
	in["rule"], in["options"] = "RESIDENTS_ASSEMBLY", []string{"只有一个"}
	e.do(staff, qOpenVote, map[string]any{"in": in}).wantCode(t, db.EINVALID)
	in["options"], in["topicId"] = nil, e.acceptedTopic("不在议程上")
	e.do(staff, qOpenVote, map[string]any{"in": in}).wantCode(t, db.EINVALID)
	in["topicId"] = topic
	e.do(e.login(phoneResident), qOpenVote, map[string]any{"in": in}).wantCode(t, db.EFORBIDDEN)

	// A choice among options: tallies and the top option, no pass/fail.
	c := e.openVote(meeting, topic, map[string]any{"options": []string{"方案一", "方案二", "方案三"}})
	mustVote(t, e.do(voters[0], qCastBallot, map[string]any{"id": c.ID, "o": "方案二"}))
	e.do(voters[1], qCastBallot, map[string]any{"id": c.ID, "o": "同意"}).wantCode(t, db.EINVALID)
	got = mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": c.ID}))
	if got.Result == nil || got.Result.Passed != nil || str(got.Result.Top) != "方案二" {
		t.Fatalf("choice result: %+v", got.Result)
	}

	// Not on the roll: FORBIDDEN.
	late := e.newVerifiedResident("13912345678")
	o := e.openVote(meeting, topic, nil)
	e.do(late, qCastBallot, map[string]any{"id": o.ID, "o": "同意"}).wantCode(t, db.EFORBIDDEN)

	// The rule, secrecy and changeability cannot be changed, not even in the database.
	for _, q := range []string{`UPDATE votes SET secret = false WHERE id = $1`, `UPDATE votes SET changeable = true WHERE id = $1`,
		`UPDATE votes SET rule = 'council_majority' WHERE id = $1`} {
		if _, err := e.db.Exec(q, e.sqlInt(`SELECT max(id) FROM votes`)); err == nil {
			t.Fatalf("%s: accepted, want refused", q)
		}
	}
	// A closed vote's result is final.
	if _, err := e.db.Exec(`UPDATE votes SET passed = true WHERE state = 'closed'`); err == nil {
		t.Fatal("changing a closed vote's result: accepted, want refused")
	}
}

func TestVoteNode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	meeting, topic := e.runningMeeting("十一月居民会议")
	v := e.openVote(meeting, topic, nil)
	var out struct{ N *struct{ ID, Title string } }
	e.do(e.login(phoneResident), `query($id: ID!) { n: node(id: $id) { ... on Vote { id title } } }`, map[string]any{"id": v.ID}).Decode(t, &out)
	if out.N == nil || out.N.ID != v.ID {
		t.Fatalf("node: got %+v, want the vote", out.N)
	}
	e.do(e.login(phoneStaffGuangming), qVote, map[string]any{"id": v.ID}).Decode(t, &struct{ V *voteOut }{})
}
