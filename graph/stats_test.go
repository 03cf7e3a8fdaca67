package graph_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"linli/db"
	"linli/db/dbtest"
	"linli/graph"
)

// ---------------------------------------------------------------- protections of the figures

const qWishTotal = `query($f: WishStatsFilter) { wishStats(filter: $f) { minGroupSize suppressedGroups
	groups { suppressed } total { suppressed residents wishes byState { state count } } } }`

type wishTotal struct {
	WishStats struct {
		MinGroupSize     int
		SuppressedGroups int
		Groups           []struct{ Suppressed bool }
		Total            struct {
			Suppressed bool
			Residents  *int
			Wishes     *int
			ByState    []struct {
				State string
				Count int
			}
		}
	}
}

// total returns the figures over everything of a wishStats answer.
func (w wishTotal) total(t *testing.T) (suppressed bool, residents, wishes *int) {
	t.Helper()
	if len(w.WishStats.Groups) != 0 {
		t.Fatalf("groups without a grouping: %+v", w.WishStats.Groups)
	}
	g := w.WishStats.Total
	return g.Suppressed, g.Residents, g.Wishes
}

// A group of fewer than MinGroup distinct residents shows no figures: 4 residents (with
// 6 wishes between them) are hidden, the 5th shows them all, and the threshold is a setting.
func TestStatsSuppression(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, analyst := e.login(phoneStaff), e.login(phoneAnalyst)
	people := e.gridResidents(staff, 5)
	grid := e.placeID("第一网格")
	stats := func() wishTotal {
		var out wishTotal
		e.do(analyst, qWishTotal, map[string]any{"f": map[string]any{"placeIds": []string{grid}}}).Decode(t, &out)
		return out
	}
	for i, who := range people[:4] {
		e.publishedFor(staff, who, fmt.Sprintf("第%d个心愿", i))
	}
	e.publishedFor(staff, people[0], "又一个心愿")
	e.publishedFor(staff, people[1], "再一个心愿")
	got := stats()
	if s, r, w := got.total(t); !s || r != nil || w != nil {
		t.Fatalf("4 residents, 6 wishes: suppressed=%v residents=%v wishes=%v, want suppressed with null figures", s, r, w)
	}
	if got.WishStats.MinGroupSize != 5 {
		t.Fatalf("minGroupSize %d, want 5", got.WishStats.MinGroupSize)
	}
	if g := got.WishStats.Total; g.ByState != nil {
		t.Fatalf("a suppressed group shows its states: %+v", g.ByState)
	}

	e.publishedFor(staff, people[4], "第五位居民的心愿")
	if s, r, w := stats().total(t); s || r == nil || *r != 5 || w == nil || *w != 7 {
		t.Fatalf("5 residents, 7 wishes: suppressed=%v residents=%v wishes=%v", s, deref(r), deref(w))
	}

	// The threshold is a setting: at 6, the same 5 residents are hidden again.
	e.store.Stats.MinGroup = 6
	if s, _, _ := stats().total(t); !s {
		t.Fatal("with a threshold of 6, 5 residents are shown")
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// Who may read figures, and about where.
func TestStatsAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst, resident, staffGuangming := e.login(phoneAnalyst), e.login(phoneResident), e.login(phoneStaffGuangming)
	q := `query($f: WishStatsFilter, $g: WishStatsGrouping) { wishStats(filter: $f, groupBy: $g) { groups { suppressed } } }`
	for _, c := range []struct {
		name, token string
		vars        map[string]any
		code, field string
	}{
		{"nobody signed in", "", nil, db.EUNAUTHENTICATED, ""},
		{"a resident", resident, nil, db.EFORBIDDEN, ""},
		{"staff of another community", staffGuangming, map[string]any{"f": map[string]any{"placeIds": []string{e.placeID("和平社区")}}}, db.EFORBIDDEN, "placeIds"},
		{"a household", analyst, map[string]any{"f": map[string]any{"placeIds": []string{e.householdID(phoneResident)}}}, db.EINVALID, "placeIds"},
		{"a place that is not there", analyst, map[string]any{"f": map[string]any{"placeIds": []string{graph.GlobalID("Place", 1<<40)}}}, db.ENOTFOUND, "placeIds"},
		{"not a place", analyst, map[string]any{"f": map[string]any{"placeIds": []string{e.accountID(phoneStaff)}}}, db.EINVALID, "placeIds"},
		{"grouped by household", analyst, map[string]any{"g": map[string]any{"placeLevel": "HOUSEHOLD"}}, db.EINVALID, "groupBy"},
		// Anything but one cell of the lattice: a set an answer could be subtracted from.
		{"a complement", analyst, map[string]any{"f": map[string]any{"not": map[string]any{"placeIds": []string{e.placeID("和平社区")}}}}, db.EINVALID, "not"},
		{"a text search", analyst, map[string]any{"f": map[string]any{"text": "轮椅"}}, db.EINVALID, "text"},
		{"two places", analyst, map[string]any{"f": map[string]any{"placeIds": []string{e.placeID("和平社区"), e.placeID("光明社区")}}}, db.EINVALID, "placeIds"},
		{"a range that is no period", analyst, map[string]any{"f": map[string]any{"createdAt": map[string]any{
			"gte": "2026-11-01T00:00:00+08:00", "lt": "2026-11-03T00:00:00+08:00"}}}, db.EINVALID, "createdAt"},
		{"a range from a time on", analyst, map[string]any{"f": map[string]any{"createdAt": map[string]any{"gte": "2026-11-01T00:00:00+08:00"}}}, db.EINVALID, "createdAt"},
		{"a month in UTC", analyst, map[string]any{"f": map[string]any{"createdAt": map[string]any{
			"gte": "2026-11-01T00:00:00Z", "lt": "2026-12-01T00:00:00Z"}}}, db.EINVALID, "createdAt"},
		{"two categories", analyst, map[string]any{"f": map[string]any{"category": map[string]any{"in": []string{"REPAIR", "ESCORT"}}}}, db.EINVALID, "category"},
		{"all states but one", analyst, map[string]any{"f": map[string]any{"state": map[string]any{"notIn": []string{"CANCELLED"}}}}, db.EINVALID, "state"},
		{"low ratings", analyst, map[string]any{"f": map[string]any{"rating": map[string]any{"lte": 2}}}, db.EINVALID, "rating"},
		{"weeks of a month", analyst, map[string]any{"f": map[string]any{"createdAt": map[string]any{
			"gte": "2026-11-01T00:00:00+08:00", "lt": "2026-12-01T00:00:00+08:00"}}, "g": map[string]any{"period": "WEEK"}}, db.EINVALID, "groupBy"},
		// One cell: a month, a category, a rating.
		{"one cell", analyst, map[string]any{"f": map[string]any{"createdAt": map[string]any{
			"gte": "2026-11-01T00:00:00+08:00", "lt": "2026-12-01T00:00:00+08:00"}, "category": map[string]any{"in": []string{"REPAIR"}},
			"rating": map[string]any{"eq": 1}}, "g": map[string]any{"period": "DAY"}}, "", ""},
	} {
		r := e.do(c.token, q, c.vars)
		if r.Code() != c.code || r.Field() != c.field {
			t.Errorf("%s: got %s (field %q), want %s (field %q): %+v", c.name, r.Code(), r.Field(), c.code, c.field, r.Errors)
		}
	}
	// Staff read figures of their own community.
	if r := e.do(staffGuangming, q, map[string]any{"f": map[string]any{"placeIds": []string{e.placeID("光明社区")}}}); len(r.Errors) > 0 {
		t.Errorf("staff of 光明社区 about 光明社区: %+v", r.Errors)
	}
}

// householdID is the global ID of a demo account's household.
func (e *env) householdID(phone string) string {
	e.t.Helper()
	var h int64
	if err := e.db.Get(&h, `SELECT r.household_id FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = $1`, phone); err != nil {
		e.t.Fatal(err)
	}
	return graph.GlobalID("Place", h)
}

// A grouping past the budget is refused before any of it runs, saying what to narrow.
func TestStatsBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.login(phoneAnalyst)
	e.store.Stats.MaxGroups = 100 // the demo's wishes span a few days
	r := e.do(analyst, `{ wishStats(groupBy: {placeLevel: BUILDING, category: true, state: true, period: DAY}) { groups { suppressed } } }`, nil)
	r.wantCode(t, db.EINVALID)
	if r.Field() != "groupBy" || !strings.Contains(r.Errors[0].Message, "缩短时间范围") {
		t.Fatalf("budget error: %+v", r.Errors)
	}
	var ran int
	if err := e.db.Get(&ran, `SELECT count(*) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND query LIKE '%FROM wish_stats f%'`); err != nil {
		t.Fatal(err)
	}
	if ran != 0 {
		t.Fatalf("%d statistics statements ran for a refused query", ran)
	}
	// The same by month and community fits.
	r = e.do(analyst, `{ wishStats(groupBy: {placeLevel: COMMUNITY, category: true, period: MONTH}) { groups { suppressed } total { wishes } } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("a small grouping: %+v", r.Errors)
	}
}

// A statistics query past its time limit is cancelled in PostgreSQL itself and says so;
// nothing of it is left running.
func TestStatsTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.Stats.Timeout = 300 * time.Millisecond
	analyst := e.login(phoneAnalyst)
	// Hold a lock that the statistics query must wait for, so it runs past its limit.
	locker := e.holdLock("wish_stats")
	defer locker.Rollback()
	// The lock is held throughout, so an answer at all shows the limit fired.
	r := e.do(analyst, `{ wishStats { total { wishes } } }`, nil)
	r.wantCode(t, db.ETIMEOUT)
	if !strings.Contains(r.Errors[0].Message, "时限") {
		t.Fatalf("timeout message: %q", r.Errors[0].Message)
	}
	var running int
	if err := e.db.Get(&running, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
		AND state = 'active' AND query LIKE '%wish_stats%' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if running != 0 {
		t.Fatalf("%d statistics queries still running after the timeout", running)
	}
	locker.Rollback()
	// Without the lock it runs, given the time a busy machine may need.
	e.store.Stats.Timeout = time.Minute
	if r := e.do(analyst, `{ wishStats { total { wishes } } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("after the lock is gone: %+v", r.Errors)
	}
}

// With a read replica, figures come from it; everything else from the primary.
func TestStatsReadReplica(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, analyst := e.login(phoneStaff), e.login(phoneAnalyst)
	for i, who := range e.gridResidents(staff, 5) {
		e.publishedFor(staff, who, fmt.Sprintf("心愿%d", i))
	}
	var primary wishTotal
	e.do(analyst, qWishTotal, nil).Decode(t, &primary)
	if _, _, w := primary.total(t); w == nil || *w != 5 {
		t.Fatalf("from the primary: %v wishes, want 5", deref(w))
	}
	// A "replica" that lags far behind: a copy of the empty schema with a few rows of its own.
	replica, _ := dbtest.New(t)
	if _, err := replica.Exec(`ALTER TABLE wish_stats DROP CONSTRAINT wish_stats_wish_id_fkey`); err != nil {
		t.Fatal(err)
	}
	var sub int64
	e.db.Get(&sub, `SELECT id FROM places WHERE level = 'subdistrict' ORDER BY id LIMIT 1`)
	for i := range 6 {
		if _, err := replica.Exec(`INSERT INTO wish_stats (wish_id, subdistrict_id, community_id, grid_id, building_id, beneficiary_id,
			category, state, created_at, day, month, released, lapsed) VALUES ($1, $2, 0, 0, 0, $1, 'repair', 'submitted', now(), 0, 0, 0, 0)`, i+1, sub); err != nil {
			t.Fatal(err)
		}
	}
	e.store.Read = replica
	var fromReplica wishTotal
	e.do(analyst, qWishTotal, nil).Decode(t, &fromReplica)
	if _, _, w := fromReplica.total(t); w == nil || *w != 6 {
		t.Fatalf("with a replica: %v wishes, want the replica's 6", deref(w))
	}
	// Writes still go to the primary.
	e.publishedFor(staff, e.gridResidents(staff, 1)[0], "写到主库")
	if n := e.count(`SELECT count(*) FROM wishes`); n != 6 {
		t.Fatalf("primary has %d wishes, want 6", n)
	}

	// A replica out of reach: figures say so by their own code, /readyz reports it, and
	// everything else still works.
	down, err := sqlx.Open("postgres", "postgres://linli@127.0.0.1:1/linli?sslmode=disable&connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { down.Close() })
	e.store.Read = down
	r := e.do(analyst, qWishTotal, nil)
	r.wantCode(t, db.EUNAVAILABLE)
	if !strings.Contains(r.Errors[0].Message, "统计所用的数据库暂时无法连接") {
		t.Fatalf("replica down: %q", r.Errors[0].Message)
	}
	res, err := http.Get(e.srv.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "read replica") {
		t.Fatalf("/readyz with the replica down: %d %q", res.StatusCode, body)
	}
	e.publishedFor(staff, e.gridResidents(staff, 1)[0], "副本不通时照常写入")
}

// ---------------------------------------------------------------- the analyst and personal data

// loadSchema parses schema.graphqls, for the tests that walk it.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gerr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if gerr != nil {
		t.Fatal(gerr)
	}
	return schema
}

// Every field that names a person or holds personal data is marked @personal in the
// schema, so a new one cannot slip past the rule unmarked: any field whose type is an
// Account or a Resident, and every field or filter with a personal name.
func TestSchemaMarksPersonalFields(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	personalNames := map[string]bool{"phone": true, "birthDate": true, "age": true, "tags": true, "address": true,
		"beneficiaryName": true, "beneficiaryPhone": true, "actorName": true, "isOwner": true, "nameContains": true,
		"beneficiaryId": true, "claimerId": true, "household": true, "rollCall": true, "unit": true, "room": true,
		"floorArea": true, "accountId": true}
	// Where a person is the point and is theirs to see: the viewer's own account, a sign-in's.
	own := map[string]bool{"Query.me": true, "LoginPayload.account": true, "Query.account": true}
	marked := func(ds ast.DirectiveList) bool { return ds.ForName("personal") != nil }
	checked := 0
	for _, typ := range schema.Types {
		if typ.BuiltIn || typ.Name == "Mutation" || strings.HasPrefix(typ.Name, "__") {
			continue
		}
		// Inputs of mutations say what to do, not what to find: only filters are checked.
		if typ.Kind == ast.InputObject && !strings.HasSuffix(typ.Name, "Filter") {
			continue
		}
		for _, f := range typ.Fields {
			name := typ.Name + "." + f.Name
			person := f.Type.Name() == "Account" || f.Type.Name() == "Resident"
			personalName := personalNames[f.Name] || (f.Name == "name" && (typ.Name == "Resident" || typ.Name == "Account" || typ.Name == "RollCallEntry"))
			if (person || personalName) && !own[name] {
				checked++
				if !marked(f.Directives) {
					t.Errorf("%s is personal but not marked @personal", name)
				}
			}
			for _, a := range f.Arguments {
				if personalNames[a.Name] || a.Name == "phone" {
					checked++
					if !marked(a.Directives) {
						t.Errorf("%s(%s:) filters on personal data but is not marked @personal", name, a.Name)
					}
				}
			}
		}
	}
	if checked < 40 {
		t.Fatalf("only %d personal fields found: is the schema read?", checked)
	}
}

// An account whose only role is analyst is refused every personal field and filter it can
// reach, with FORBIDDEN naming the field; its own account it may see.
func TestAnalystRefusedPersonalData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst, staff := e.login(phoneAnalyst), e.login(phoneStaff)
	// Something of each kind the analyst can reach: a topic with a comment, a running
	// meeting, and a roll-call vote with a ballot in it.
	meeting, topic := e.runningMeeting("居民议事会")
	if r := e.comment(e.login(phoneResident), topic, "我同意", "FOR", nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	v := e.openVote(meeting, topic, map[string]any{"secret": false})
	mustAttendance(t, e.do(staff, qCheckIn, map[string]any{"id": meeting, "r": e.residentID(phoneResident)}))
	mustVote(t, e.do(e.login(phoneResident), qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))

	for _, c := range []struct {
		query string
		vars  map[string]any
		field string
	}{
		{`query($id: ID!) { node(id: $id) { ... on Topic { raisedBy { id } } } }`, map[string]any{"id": topic}, "raisedBy"},
		{`query($id: ID!) { node(id: $id) { ... on Topic { comments { nodes { author { id } } } } } }`, map[string]any{"id": topic}, "author"},
		{`query($id: ID!) { node(id: $id) { ... on Topic { timeline { actor { id } } } } }`, map[string]any{"id": topic}, "actor"},
		{`query($id: ID!) { node(id: $id) { ... on Topic { timeline { actorName } } } }`, map[string]any{"id": topic}, "actorName"},
		{`query($id: ID!) { node(id: $id) { ... on Meeting { organiser { id } } } }`, map[string]any{"id": meeting}, "organiser"},
		{`query($id: ID!) { node(id: $id) { ... on Meeting { timeline { actorName } } } }`, map[string]any{"id": meeting}, "actorName"},
		{`query($id: ID!) { vote(id: $id) { rollCall { option } } }`, map[string]any{"id": v.ID}, "rollCall"},
		{`{ me { roles { grantedBy { id } } } }`, nil, "grantedBy"},
		{`query($p: ID!) { residents(placeId: $p, filter: {nameContains: "张"}) { totalCount } }`, map[string]any{"p": e.placeID("和平社区")}, "nameContains"},
		{`query($p: ID!) { residents(placeId: $p, filter: {isOwner: true}) { totalCount } }`, map[string]any{"p": e.placeID("和平社区")}, "isOwner"},
		{`query($r: ID!) { wishes(filter: {beneficiaryId: $r}) { totalCount } }`, map[string]any{"r": e.residentID(phoneResident)}, "beneficiaryId"},
		{`query($a: ID!) { wishes(filter: {claimerId: $a}) { totalCount } }`, map[string]any{"a": e.accountID(phoneVolunteer)}, "claimerId"},
		{`{ account(phone: "13800000001") { id } }`, nil, "phone"},
		{`query($a: ID!) { volunteerRecord(accountId: $a) { totalHours } }`, map[string]any{"a": e.accountID(phoneVolunteer)}, "accountId"},
	} {
		r := e.do(analyst, c.query, c.vars)
		if r.Code() != db.EFORBIDDEN || r.Field() != c.field {
			t.Errorf("%s: got %s (field %q), want FORBIDDEN on %s: %s", c.query, r.Code(), r.Field(), c.field, r.Data)
		}
	}
	// A household is not even there for the analyst (TestHouseholdVisibility).
	var hh struct{ Node *struct{ Name string } }
	e.do(analyst, `query($id: ID!) { node(id: $id) { ... on Place { name } } }`, map[string]any{"id": e.householdID(phoneResident)}).Decode(t, &hh)
	if hh.Node != nil {
		t.Errorf("the analyst reads a household: %+v, want null", hh.Node)
	}
	// The same fields for staff, who may see them, and the analyst's own account.
	var me struct{ Me struct{ Name, Phone string } }
	e.do(analyst, `{ me { name phone } }`, nil).Decode(t, &me)
	if me.Me.Phone != phoneAnalyst {
		t.Fatalf("the analyst's own account: %+v", me)
	}
	if r := e.do(staff, `query($id: ID!) { node(id: $id) { ... on Topic { raisedBy { name } timeline { actorName } } } }`, map[string]any{"id": topic}); len(r.Errors) > 0 {
		t.Fatalf("staff reading a topic's author: %+v", r.Errors)
	}
	// Non-personal fields of the same objects stay open to the analyst.
	var open struct {
		Node struct {
			Title    string
			Timeline []struct{ Action string }
		}
	}
	e.do(analyst, `query($id: ID!) { node(id: $id) { ... on Topic { title timeline { action } } } }`, map[string]any{"id": topic}).Decode(t, &open)
	if open.Node.Title == "" || len(open.Node.Timeline) == 0 {
		t.Fatalf("the analyst cannot read a topic's title and timeline: %+v", open)
	}
}

// The README's queries for analysts run as the demo analyst without an error.
func TestReadmeAnalystQueries(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "## For analysts")
	end := strings.Index(text[start+1:], "\n## ")
	if start < 0 || end < 0 {
		t.Fatal("no section for analysts in the README")
	}
	section := text[start : start+1+end]
	e := newEnv(t)
	analyst := e.login(phoneAnalyst)
	n := 0
	for _, block := range strings.Split(section, "```graphql\n")[1:] {
		query := block[:strings.Index(block, "```")]
		if r := e.do(analyst, query, nil); len(r.Errors) > 0 {
			t.Errorf("README query %s: %+v", query, r.Errors)
		}
		n++
	}
	if n < 3 {
		t.Fatalf("%d example queries for analysts, want at least 3", n)
	}
}

// An analyst sees a vote's turnout by building with buildings of fewer than the threshold
// merged, still adding up to the turnout; staff see every building.
func TestAnalystTurnoutByBuilding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.store.Stats.MinGroup = 16
	v := e.onlineVote(e.acceptedTopic("加装电梯"), time.Hour, nil)
	mustVote(t, e.do(e.login(phoneResident), qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))
	type row struct {
		Building                                                                 *struct{ ID string }
		EntitledHeads, ParticipatingHeads, EntitledAreaDm2, ParticipatingAreaDm2 int
	}
	var out struct {
		Vote struct {
			Turnout           row
			TurnoutByBuilding []row
		}
	}
	q := `query($id: ID!) { vote(id: $id) { turnout { entitledHeads participatingHeads entitledAreaDm2 participatingAreaDm2 }
		turnoutByBuilding { building { id } entitledHeads participatingHeads entitledAreaDm2 participatingAreaDm2 } } }`
	e.do(e.login(phoneStaff), q, map[string]any{"id": v.ID}).Decode(t, &out)
	small := 0
	for _, b := range out.Vote.TurnoutByBuilding {
		if b.EntitledHeads < 16 {
			small++
		}
	}
	if small < 2 {
		t.Fatalf("staff see %d buildings under 16 on the roll: the test needs some", small)
	}
	staffRows := len(out.Vote.TurnoutByBuilding)

	e.do(e.login(phoneAnalyst), q, map[string]any{"id": v.ID}).Decode(t, &out)
	var sum row
	merged := 0
	for _, b := range out.Vote.TurnoutByBuilding {
		if b.Building == nil {
			merged++
		}
		if b.EntitledHeads < 16 {
			t.Errorf("an analyst sees a row of %d on the roll: %+v", b.EntitledHeads, b)
		}
		sum.EntitledHeads += b.EntitledHeads
		sum.ParticipatingHeads += b.ParticipatingHeads
		sum.EntitledAreaDm2 += b.EntitledAreaDm2
		sum.ParticipatingAreaDm2 += b.ParticipatingAreaDm2
	}
	tot := out.Vote.Turnout
	tot.Building = nil
	if merged != 1 || len(out.Vote.TurnoutByBuilding) >= staffRows || sum != tot {
		t.Fatalf("analyst rows %+v (merged %d of %d) add up to %+v, want %+v", out.Vote.TurnoutByBuilding, merged, staffRows, sum, tot)
	}
}

// wishStatsDiffer counts the wishes whose kept figures (wish_stats) differ from a recount
// over all their steps (wish_stats_source), either way.
func (e *env) wishStatsDiffer() int {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM ((SELECT * FROM wish_stats EXCEPT SELECT * FROM wish_stats_source)
		UNION ALL (SELECT * FROM wish_stats_source EXCEPT SELECT * FROM wish_stats)) d`)
}

// A wish's figures are brought up to date from each new step alone (migration 0027); after
// every kind of step, and several of one kind, they equal a recount of all its steps: the
// first time of each step, the releases and lapses counted, the state and rating now.
func TestWishStatsKeptEqualToRecount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident, staff, volunteer := e.login(phoneResident), e.login(phoneStaff), e.login(phoneVolunteer)
	check := func(step string) {
		t.Helper()
		if n := e.wishStatsDiffer(); n != 0 {
			t.Fatalf("after %s: %d wishes' figures differ from a recount", step, n)
		}
	}
	check("the demo's load")
	w := e.submit(resident, e.wishInput("想请人帮忙换灯泡"))
	check("submit")
	mustWish(t, e.review(staff, w.ID, "PUBLISH", nil))
	check("publish")
	for i := range 2 {
		e.clock.Advance(time.Hour)
		mustWish(t, e.claim(volunteer, w.ID))
		check("claim")
		e.clock.Advance(time.Hour)
		mustWish(t, e.do(volunteer, qRelease, map[string]any{"id": w.ID}))
		check(fmt.Sprintf("release %d", i+1))
	}
	mustWish(t, e.claim(volunteer, w.ID))
	e.clock.Advance(80 * time.Hour)
	if n, err := e.store.LapseOverdueClaims(context.Background()); err != nil || n == 0 {
		t.Fatalf("lapse: %d, %v", n, err)
	}
	check("lapse")
	mustWish(t, e.claim(volunteer, w.ID))
	e.clock.Advance(2 * time.Hour)
	mustWish(t, e.fulfil(volunteer, w.ID, 1.5))
	check("fulfil")
	mustWish(t, e.confirm(resident, w.ID, 5))
	check("confirm")
	var kept struct {
		Released, Lapsed int
		Rating           *int
		State            string
	}
	if err := e.db.Get(&kept, `SELECT released, lapsed, rating, state::text AS state FROM wish_stats WHERE wish_id = $1`, e.key(w.ID)); err != nil {
		t.Fatal(err)
	}
	if kept.Released != 2 || kept.Lapsed != 1 || kept.Rating == nil || *kept.Rating != 5 || kept.State != "confirmed" {
		t.Fatalf("kept figures: %+v, want 2 releases, 1 lapse, rating 5, confirmed", kept)
	}
}
