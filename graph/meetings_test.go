package graph_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"linli/db"
	"linli/graph"
)

// ---------------------------------------------------------------- queries and shapes

const meetingFields = `id kind title state basis startsAt endsAt location code minutes cancelReason amIEntitled amIPresent
	place { name } community { name } organiser { name } agenda { id title }
	attendance { entitledHeads presentHeads entitledArea presentArea entitledAreaDm2 presentAreaDm2 quorumHint }
	timeline { action actor { id } actorName fromState toState reason }`

const (
	qSchedule      = `mutation($in: ScheduleMeetingInput!) { m: scheduleMeeting(input: $in) { ` + meetingFields + ` } }`
	qStart         = `mutation($id: ID!) { m: startMeeting(meetingId: $id) { ` + meetingFields + ` } }`
	qClose         = `mutation($id: ID!) { m: closeMeeting(meetingId: $id) { ` + meetingFields + ` } }`
	qCancelMeeting = `mutation($id: ID!, $r: String!) { m: cancelMeeting(meetingId: $id, reason: $r) { ` + meetingFields + ` } }`
	qMinutes       = `mutation($id: ID!, $t: String!) { m: recordMinutes(meetingId: $id, minutes: $t) { ` + meetingFields + ` } }`
	qMeeting       = `query($id: ID!) { m: node(id: $id) { ... on Meeting { ` + meetingFields + ` } } }`
	qCheckIn       = `mutation($id: ID!, $r: ID!) { a: checkIn(meetingId: $id, residentId: $r) { checkedInAt resident { name } checkedInBy { name } meeting { id } } }`
	qCheckInCode   = `mutation($id: ID!, $c: String!) { a: checkInWithCode(meetingId: $id, code: $c) { checkedInAt resident { name } checkedInBy { name } } }`
	qMeetings      = `query($p: ID, $s: [MeetingState!]) { meetings(placeId: $p, state: $s) { totalCount nodes { id title state } } }`
)

type meetingEvent struct {
	Action    string
	Actor     *struct{ ID string }
	ActorName string
	FromState *string
	ToState   string
	Reason    *string
}

type meetingOut struct {
	ID, Kind, Title, State, Basis string
	StartsAt, EndsAt              time.Time
	Location, Code, Minutes       *string
	CancelReason                  *string
	AmIEntitled, AmIPresent       bool
	Place, Community, Organiser   struct{ Name string }
	Agenda                        []struct{ ID, Title string }
	Attendance                    struct {
		EntitledHeads, PresentHeads     int
		EntitledArea, PresentArea       float64
		EntitledAreaDm2, PresentAreaDm2 int64
		QuorumHint                      string
	}
	Timeline []meetingEvent
}

type attendanceOut struct {
	CheckedInAt time.Time
	Resident    *struct{ Name string }
	CheckedInBy struct{ Name string }
}

// ---------------------------------------------------------------- helpers

func mustMeeting(t *testing.T, r *response) meetingOut {
	t.Helper()
	var out struct{ M *meetingOut }
	r.Decode(t, &out)
	if out.M == nil {
		t.Fatal("got no meeting, want one")
	}
	return *out.M
}

func mustAttendance(t *testing.T, r *response) attendanceOut {
	t.Helper()
	var out struct{ A *attendanceOut }
	r.Decode(t, &out)
	if out.A == nil {
		t.Fatal("got no attendance, want one")
	}
	return *out.A
}

// meetingInput is a residents' assembly at 和平社区 tomorrow, changed by the options.
func (e *env) meetingInput(title string, set map[string]any) map[string]any {
	in := map[string]any{
		"kind": "RESIDENTS_ASSEMBLY", "placeId": e.placeID("和平社区"), "title": title,
		"startsAt": "2026-11-24T10:00:00Z", "endsAt": "2026-11-24T12:00:00Z", "location": "社区党群服务中心二楼会议室",
	}
	for k, v := range set {
		in[k] = v
	}
	return in
}

func (e *env) schedule(token string, in map[string]any) *response {
	e.t.Helper()
	return e.do(token, qSchedule, map[string]any{"in": in})
}

func (e *env) meeting(token, id string) meetingOut {
	e.t.Helper()
	return mustMeeting(e.t, e.do(token, qMeeting, map[string]any{"id": id}))
}

// acceptedTopic raises a topic about 和平花园小区 and has staff accept it.
func (e *env) acceptedTopic(title string) string {
	e.t.Helper()
	tp := mustTopic(e.t, e.raise(e.login(phoneResident), e.placeID("和平花园小区"), title))
	mustTopic(e.t, e.do(e.login(phoneStaff), qAccept, map[string]any{"id": tp.ID}))
	return tp.ID
}

// residentID returns the global ID of the resident record of the account with that phone.
func (e *env) residentID(phone string) string {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT r.id FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = $1`, phone); err != nil {
		e.t.Fatalf("resident of %s: %v", phone, err)
	}
	return graph.GlobalID("Resident", id)
}

func (e *env) sqlInt(q string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Get(&n, q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// storeRollTotals stores vote id's roll totals as openVote does, for a test that wrote the
// roll itself.
func (e *env) storeRollTotals(id int64) {
	e.t.Helper()
	if _, err := e.db.Exec(`UPDATE votes SET entitled_heads = (SELECT count(DISTINCT head) FROM vote_entitled WHERE vote_id = $1),
		entitled_area = (SELECT coalesce(sum(area_dm2), 0) FROM vote_entitled WHERE vote_id = $1) WHERE id = $1`, id); err != nil {
		e.t.Fatalf("the roll's totals of vote %d: %v", id, err)
	}
}

// newVerifiedResident registers an adult in a household of 和平花园小区, has staff verify
// them, and returns their token.
func (e *env) newVerifiedResident(phone string) string {
	e.t.Helper()
	var household int64
	if err := e.db.Get(&household, `SELECT h.id FROM places h JOIN places c ON c.id = ANY(h.path)
		WHERE h.level = 'household' AND c.name = '和平花园小区'
		-- a second 新搬来的 in one flat would be held as maybe the same person (holdForMatch)
		AND NOT EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id AND r.name = '新搬来的')
		-- nor one someone looks after (包联): its residents see their carer's name and phone
		AND NOT EXISTS (SELECT 1 FROM care_assignments ca WHERE ca.household_id = h.id AND ca.ended_at IS NULL)
		ORDER BY h.id LIMIT 1`); err != nil {
		e.t.Fatal(err)
	}
	var reg struct {
		Register struct {
			Token   string
			Account struct{ Resident struct{ ID string } }
		}
	}
	e.do("", registerMutation, map[string]any{"in": map[string]any{
		"phone": phone, "password": "mima-2026", "name": "新搬来的", "birthDate": "1990-04-12",
		"householdId": graph.GlobalID("Place", household), "isOwner": false,
	}}).Decode(e.t, &reg)
	var verified struct{ VerifyResident struct{ Verified bool } }
	e.do(e.login(phoneStaff), `mutation($id: ID!) { verifyResident(residentId: $id) { verified } }`,
		map[string]any{"id": reg.Register.Account.Resident.ID}).Decode(e.t, &verified)
	if !verified.VerifyResident.Verified {
		e.t.Fatal("new resident not verified")
	}
	return reg.Register.Token
}

func meetingActions(es []meetingEvent) []string {
	var as []string
	for _, e := range es {
		as = append(as, e.Action)
	}
	return as
}

// adultsOf counts, independently of the store, the verified residents aged 18 or more on
// the store's day (China time) living under the place with that name.
const adultsOf = `SELECT count(*) FROM residents r JOIN places h ON h.id = r.household_id
	JOIN places p ON p.id = ANY(h.path)
	WHERE p.name = $1 AND r.verified_at IS NOT NULL
		AND r.birth_date <= (($2::timestamptz AT TIME ZONE 'Asia/Shanghai')::date - interval '18 years')::date`

// ---------------------------------------------------------------- tests

func TestMeetingSchedule(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, resident := e.login(phoneStaff), e.login(phoneResident)
	topic := e.acceptedTopic("小区停车难")

	m := mustMeeting(t, e.schedule(staff, e.meetingInput("十一月居民会议", map[string]any{"topicIds": []string{topic}})))
	if m.State != "SCHEDULED" || m.Kind != "RESIDENTS_ASSEMBLY" || m.Basis != "ADULT_RESIDENTS" || m.Place.Name != "和平社区" ||
		m.Community.Name != "和平社区" || m.Organiser.Name == "" || str(m.Location) != "社区党群服务中心二楼会议室" {
		t.Fatalf("meeting: got %+v", m)
	}
	if len(m.Agenda) != 1 || m.Agenda[0].ID != topic || m.Code != nil || m.Attendance.EntitledHeads != 0 {
		t.Fatalf("agenda %v, code %v, entitled %d: want the topic, no code, 0", m.Agenda, m.Code, m.Attendance.EntitledHeads)
	}
	if as := meetingActions(m.Timeline); !slices.Equal(as, []string{"SCHEDULE"}) || m.Timeline[0].ToState != "SCHEDULED" {
		t.Fatalf("timeline: got %v, want [SCHEDULE]", as)
	}
	// Residents of the community see it; staff of another community do not.
	if got := e.meeting(resident, m.ID); got.Title != "十一月居民会议" || got.AmIEntitled {
		t.Fatalf("resident's view: got %q entitled %v", got.Title, got.AmIEntitled)
	}
	var other struct{ M *meetingOut }
	e.do(e.login(phoneStaffGuangming), qMeeting, map[string]any{"id": m.ID}).Decode(t, &other)
	if other.M != nil {
		t.Fatal("staff of 光明社区 see a meeting of 和平社区")
	}
	var list struct{ Meetings struct{ TotalCount int } }
	e.do(resident, qMeetings, map[string]any{"s": []string{"SCHEDULED"}}).Decode(t, &list)
	if list.Meetings.TotalCount != 1 {
		t.Fatalf("resident's list: got %d, want 1", list.Meetings.TotalCount)
	}
	e.do(e.login(phoneStaffGuangming), qMeetings, nil).Decode(t, &list)
	if list.Meetings.TotalCount != 0 {
		t.Fatalf("光明 staff's list: got %d, want 0", list.Meetings.TotalCount)
	}

	// A council member may schedule too; online meetings have no location.
	council := mustMeeting(t, e.schedule(e.login(phoneCouncil), e.meetingInput("议事会例会", map[string]any{"kind": "COUNCIL_MEETING"})))
	if council.Basis != "COUNCIL_MEMBERS" {
		t.Fatalf("council meeting basis: got %s", council.Basis)
	}
	online := mustMeeting(t, e.schedule(staff, e.meetingInput("网上议事：垃圾分类", map[string]any{"kind": "ONLINE", "location": nil,
		"endsAt": "2026-11-30T12:00:00Z"})))
	if online.Location != nil || online.Basis != "ADULT_RESIDENTS" {
		t.Fatalf("online: got location %v basis %s", online.Location, online.Basis)
	}

	t.Run("Forbidden", func(t *testing.T) {
		e.schedule(resident, e.meetingInput("居民自己召集", nil)).wantCode(t, db.EFORBIDDEN)
		e.schedule(e.login(phoneStaffGuangming), e.meetingInput("别的社区召集", nil)).wantCode(t, db.EFORBIDDEN)
		e.schedule("", e.meetingInput("未登录", nil)).wantCode(t, db.EUNAUTHENTICATED)
	})
	t.Run("Invalid", func(t *testing.T) {
		unaccepted := mustTopic(t, e.raise(resident, e.placeID("和平花园小区"), "还没受理的议题"))
		for _, c := range []struct {
			name  string
			set   map[string]any
			field string
		}{
			{"OwnersAtCommunity", map[string]any{"kind": "OWNERS_ASSEMBLY"}, "placeId"},
			{"AssemblyAtCompound", map[string]any{"placeId": e.placeID("和平花园小区")}, "placeId"},
			{"EndsBeforeStart", map[string]any{"endsAt": "2026-11-24T09:00:00Z"}, "endsAt"},
			{"EndsInThePast", map[string]any{"startsAt": "2026-11-20T10:00:00Z", "endsAt": "2026-11-20T12:00:00Z"}, "endsAt"},
			{"UnacceptedTopic", map[string]any{"topicIds": []string{unaccepted.ID}}, "topicIds"},
			{"NoLocation", map[string]any{"location": "  "}, "location"},
			{"OnlineWithLocation", map[string]any{"kind": "ONLINE"}, "location"},
			{"WrongBasis", map[string]any{"basis": "OWNERS"}, "basis"},
			{"Title", map[string]any{"title": ""}, "title"},
		} {
			r := e.schedule(staff, e.meetingInput("有误的会议", c.set))
			if r.Code() != db.EINVALID || r.Field() != c.field {
				t.Errorf("%s: got %s (%s), want INVALID_INPUT (%s)", c.name, r.Code(), r.Field(), c.field)
			}
		}
	})
}

func TestMeetingStartFixesEntitled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, resident := e.login(phoneStaff), e.login(phoneResident)
	m := mustMeeting(t, e.schedule(staff, e.meetingInput("年度居民会议", nil)))
	e.do(resident, qStart, map[string]any{"id": m.ID}).wantCode(t, db.EFORBIDDEN)

	started := mustMeeting(t, e.do(staff, qStart, map[string]any{"id": m.ID}))
	want := e.sqlInt(adultsOf, "和平社区", e.clock.Now())
	if want == 0 || started.State != "RUNNING" || int64(started.Attendance.EntitledHeads) != want || started.Attendance.PresentHeads != 0 {
		t.Fatalf("started: got %s with %d entitled, want RUNNING with %d", started.State, started.Attendance.EntitledHeads, want)
	}
	if started.Code == nil || len(*started.Code) != 6 {
		t.Fatalf("code for staff: got %v, want 6 characters", started.Code)
	}
	for _, c := range *started.Code {
		if !('2' <= c && c <= '9' || 'A' <= c && c <= 'Z' && c != 'I' && c != 'L' && c != 'O') {
			t.Fatalf("code %q has an ambiguous character %q", *started.Code, c)
		}
	}
	if as := meetingActions(started.Timeline); !slices.Equal(as, []string{"SCHEDULE", "START"}) {
		t.Fatalf("timeline: got %v", as)
	}
	// The code is hidden from a plain resident, who sees they are entitled.
	if got := e.meeting(resident, m.ID); got.Code != nil || !got.AmIEntitled || got.AmIPresent {
		t.Fatalf("resident's view: code %v entitled %v present %v, want null, true, false", got.Code, got.AmIEntitled, got.AmIPresent)
	}
	if got := e.meeting(e.login(phoneCouncil), m.ID); got.Code == nil || *got.Code != *started.Code {
		t.Fatalf("council member's view of the code: got %v", got.Code)
	}
	// Starting again is refused.
	e.do(staff, qStart, map[string]any{"id": m.ID}).wantCode(t, db.EINVALIDSTATE)

	// A new adult registers and is verified: the running meeting's list does not change.
	e.newVerifiedResident("13712340009")
	if now := e.sqlInt(adultsOf, "和平社区", e.clock.Now()); now != want+1 {
		t.Fatalf("adults after registering: got %d, want %d", now, want+1)
	}
	if got := e.meeting(staff, m.ID); int64(got.Attendance.EntitledHeads) != want {
		t.Fatalf("entitled after a new resident: got %d, want %d (fixed at start)", got.Attendance.EntitledHeads, want)
	}
}

func TestMeetingHouseholdRepresentatives(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	m := mustMeeting(t, e.schedule(staff, e.meetingInput("户代表会议", map[string]any{"basis": "HOUSEHOLD_REPRESENTATIVES"})))
	if m.Basis != "HOUSEHOLD_REPRESENTATIVES" {
		t.Fatalf("basis: got %s", m.Basis)
	}
	started := mustMeeting(t, e.do(staff, qStart, map[string]any{"id": m.ID}))
	want := e.sqlInt(`SELECT count(DISTINCT r.household_id) FROM residents r JOIN places h ON h.id = r.household_id
		JOIN places p ON p.id = ANY(h.path)
		WHERE p.name = '和平社区' AND r.verified_at IS NOT NULL
			AND r.birth_date <= (($1::timestamptz AT TIME ZONE 'Asia/Shanghai')::date - interval '18 years')::date`, e.clock.Now())
	if want == 0 || int64(started.Attendance.EntitledHeads) != want {
		t.Fatalf("entitled: got %d, want one per household with an adult: %d", started.Attendance.EntitledHeads, want)
	}
	if n := e.sqlInt(`SELECT count(*) FROM (SELECT household_id FROM meeting_entitled GROUP BY household_id HAVING count(*) > 1) x`); n != 0 {
		t.Fatalf("%d households have more than one representative", n)
	}
	// Where a household has an adult owner, its representative is one.
	if n := e.sqlInt(`SELECT count(*) FROM meeting_entitled e JOIN residents r ON r.id = e.resident_id
		WHERE NOT EXISTS (SELECT 1 FROM household_owners ho WHERE ho.household_id = e.household_id AND ho.resident_id = r.id AND ho.until IS NULL)
			AND EXISTS (SELECT 1 FROM residents o JOIN household_owners ho ON ho.household_id = o.household_id AND ho.resident_id = o.id
				AND ho.until IS NULL WHERE o.household_id = e.household_id AND o.verified_at IS NOT NULL AND o.birth_date <= date '2008-11-23')`); n != 0 {
		t.Fatalf("%d households are represented by a non-owner although they have an adult owner", n)
	}
}

func TestMeetingOwnersAssembly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	m := mustMeeting(t, e.schedule(staff, e.meetingInput("业主大会：选举业委会", map[string]any{
		"kind": "OWNERS_ASSEMBLY", "placeId": e.placeID("和平花园小区")})))
	if m.Basis != "OWNERS" || m.Place.Name != "和平花园小区" || m.Community.Name != "和平社区" {
		t.Fatalf("owners' assembly: got basis %s at %s in %s", m.Basis, m.Place.Name, m.Community.Name)
	}
	started := mustMeeting(t, e.do(staff, qStart, map[string]any{"id": m.ID}))
	// The roll is the owners counted as the law counts them (roster_owners_test.go recounts
	// it from the ownership rows): the demo has a flat of two co-owners, an owner of three
	// flats and the developer's unsold flats.
	c := &lawCompound{e: e, compoundID: e.sqlInt(`SELECT id FROM places WHERE name = '和平花园小区'`)}
	heads, area := c.recount("2026-11-23")
	a := started.Attendance
	if len(heads) == 0 || a.EntitledHeads != len(heads) || a.EntitledAreaDm2 != int64(area) || a.EntitledArea != float64(area)/100 {
		t.Fatalf("entitled: got %d heads, %d (%v m²), want %d heads, %d", a.EntitledHeads, a.EntitledAreaDm2, a.EntitledArea, len(heads), area)
	}
	if e.sqlInt(`SELECT count(*) FROM (SELECT household_id FROM household_owners WHERE resident_id IS NOT NULL GROUP BY household_id HAVING count(*) > 1) x`) == 0 ||
		!slices.ContainsFunc(heads, func(h []string) bool { return len(h) == 3 }) ||
		e.sqlInt(`SELECT count(*) FROM household_owners WHERE resident_id IS NULL`) < 2 {
		t.Fatal("the demo lacks a co-owned flat, an owner of three flats or the developer's flats: the law's rules are not exercised")
	}
}

func TestMeetingCheckIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, resident := e.login(phoneStaff), e.login(phoneResident)
	m := mustMeeting(t, e.schedule(staff, e.meetingInput("议事协商会", nil)))
	me := e.residentID(phoneResident)

	// Not running yet.
	e.do(staff, qCheckIn, map[string]any{"id": m.ID, "r": me}).wantCode(t, db.EINVALIDSTATE)
	e.do(resident, qCheckInCode, map[string]any{"id": m.ID, "c": "ABCDEF"}).wantCode(t, db.EINVALIDSTATE)

	started := mustMeeting(t, e.do(staff, qStart, map[string]any{"id": m.ID}))
	code := *started.Code

	// Staff check in the council member; again changes nothing.
	council := e.residentID(phoneCouncil)
	first := mustAttendance(t, e.do(staff, qCheckIn, map[string]any{"id": m.ID, "r": council}))
	e.clock.Advance(time.Minute)
	again := mustAttendance(t, e.do(staff, qCheckIn, map[string]any{"id": m.ID, "r": council}))
	if !again.CheckedInAt.Equal(first.CheckedInAt) || first.Resident == nil || first.CheckedInBy.Name == "" {
		t.Fatalf("second check-in: got %v, want unchanged %v", again.CheckedInAt, first.CheckedInAt)
	}
	if got := e.meeting(staff, m.ID); got.Attendance.PresentHeads != 1 {
		t.Fatalf("present after one: got %d", got.Attendance.PresentHeads)
	}
	// Someone not entitled: a resident of 光明社区.
	var outsider int64
	if err := e.db.Get(&outsider, `SELECT r.id FROM residents r JOIN places h ON h.id = r.household_id JOIN places c ON c.id = ANY(h.path)
		WHERE c.name = '光明社区' ORDER BY r.id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if r := e.do(staff, qCheckIn, map[string]any{"id": m.ID, "r": graph.GlobalID("Resident", outsider)}); r.Code() != db.EINVALID || r.Field() != "residentId" {
		t.Fatalf("outsider: got %s (%s), want INVALID_INPUT (residentId)", r.Code(), r.Field())
	}
	// Residents cannot check in others.
	e.do(resident, qCheckIn, map[string]any{"id": m.ID, "r": council}).wantCode(t, db.EFORBIDDEN)

	// With the code: a wrong one, then 30 at once with the right one (lower case works).
	if r := e.do(resident, qCheckInCode, map[string]any{"id": m.ID, "c": "ZZZZZZ"}); r.Code() != db.EINVALID || r.Field() != "code" {
		t.Fatalf("wrong code: got %s (%s), want INVALID_INPUT (code)", r.Code(), r.Field())
	}
	const n = 30
	errs := make([]error, n)
	codes := make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			c := code
			if i%2 == 1 {
				c = " " + string([]rune(code)) + " "
			}
			r, err := e.post(resident, qCheckInCode, map[string]any{"id": m.ID, "c": c})
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
			t.Fatalf("check-in %d: got %q (%v), want success", i, codes[i], errs[i])
		}
	}
	if rows := e.sqlInt(`SELECT count(*) FROM meeting_attendance a JOIN residents r ON r.id = a.resident_id
		JOIN accounts ac ON ac.id = r.account_id WHERE ac.phone = $1`, phoneResident); rows != 1 {
		t.Fatalf("attendance rows for one person: got %d, want 1", rows)
	}
	got := e.meeting(resident, m.ID)
	if got.Attendance.PresentHeads != 2 || !got.AmIPresent || !got.AmIEntitled {
		t.Fatalf("after code check-in: present %d, amIPresent %v", got.Attendance.PresentHeads, got.AmIPresent)
	}
	// Someone who moved in after the start is not entitled, even with the right code.
	e.do(e.newVerifiedResident("13712340008"), qCheckInCode, map[string]any{"id": m.ID, "c": code}).wantCode(t, db.EFORBIDDEN)

	// Minutes wait for the close; the code stops working at close.
	e.do(staff, qMinutes, map[string]any{"id": m.ID, "t": "会议纪要"}).wantCode(t, db.EINVALIDSTATE)
	e.do(resident, qClose, map[string]any{"id": m.ID}).wantCode(t, db.EFORBIDDEN)
	closed := mustMeeting(t, e.do(staff, qClose, map[string]any{"id": m.ID}))
	if closed.State != "CLOSED" || closed.Code != nil || closed.Attendance.PresentHeads != 2 {
		t.Fatalf("closed: got %s code %v present %d", closed.State, closed.Code, closed.Attendance.PresentHeads)
	}
	e.do(resident, qCheckInCode, map[string]any{"id": m.ID, "c": code}).wantCode(t, db.EINVALIDSTATE)
	e.do(staff, qCheckIn, map[string]any{"id": m.ID, "r": me}).wantCode(t, db.EINVALIDSTATE)

	e.do(resident, qMinutes, map[string]any{"id": m.ID, "t": "居民写的纪要"}).wantCode(t, db.EFORBIDDEN)
	done := mustMeeting(t, e.do(staff, qMinutes, map[string]any{"id": m.ID, "t": "一、通报停车方案；二、与会居民同意下月表决。"}))
	if str(done.Minutes) != "一、通报停车方案；二、与会居民同意下月表决。" || done.State != "CLOSED" {
		t.Fatalf("minutes: got %v in %s", done.Minutes, done.State)
	}
	if as := meetingActions(done.Timeline); !slices.Equal(as, []string{"SCHEDULE", "START", "CLOSE", "RECORD_MINUTES"}) {
		t.Fatalf("timeline: got %v", as)
	}
}

func TestMeetingCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	m := mustMeeting(t, e.schedule(staff, e.meetingInput("临时会议", nil)))
	if r := e.do(staff, qCancelMeeting, map[string]any{"id": m.ID, "r": " "}); r.Code() != db.EINVALID || r.Field() != "reason" {
		t.Fatalf("blank reason: got %s (%s)", r.Code(), r.Field())
	}
	e.do(e.login(phoneResident), qCancelMeeting, map[string]any{"id": m.ID, "r": "不想开"}).wantCode(t, db.EFORBIDDEN)
	got := mustMeeting(t, e.do(staff, qCancelMeeting, map[string]any{"id": m.ID, "r": "台风预警，改期举行"}))
	if got.State != "CANCELLED" || str(got.CancelReason) != "台风预警，改期举行" {
		t.Fatalf("cancelled: got %s %v", got.State, got.CancelReason)
	}
	if as := meetingActions(got.Timeline); !slices.Equal(as, []string{"SCHEDULE", "CANCEL"}) || str(got.Timeline[1].Reason) != "台风预警，改期举行" ||
		str(got.Timeline[1].FromState) != "SCHEDULED" || got.Timeline[1].ToState != "CANCELLED" {
		t.Fatalf("timeline: got %+v", got.Timeline)
	}
	e.do(staff, qCancelMeeting, map[string]any{"id": m.ID, "r": "再取消一次"}).wantCode(t, db.EINVALIDSTATE)
	e.do(staff, qStart, map[string]any{"id": m.ID}).wantCode(t, db.EINVALIDSTATE)
}
