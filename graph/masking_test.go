package graph_test

import (
	"linli/db/demo"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"linli/db/dbtest"
	"linli/graph"
)

// personPath is a way from one of the objects people read (a wish, topic, …) to a person,
// or to a string naming one: fields from the root type, the last one reaching the person.
type personPath struct {
	root   string
	fields []string
	// target is "Account", "Resident", or the personal string field the path ends in.
	target string
}

func (p personPath) String() string { return p.root + "." + strings.Join(p.fields, ".") }

// What a viewer without the right may see of a person reached on a path: a masked name, a
// masked phone, no resident record (and so no household).
const (
	accountSelection  = `name phone resident { id name household { id name } }`
	residentSelection = `id name phone tags household { id name unit room floorArea }`
)

// personPaths walks the schema from the objects people read and returns every field path
// that reaches an Account or a Resident, or a personal string naming someone (actorName,
// beneficiaryName …). It descends into the objects nested in them (timeline entries,
// claims, comments, objections, tasks, reports, roll calls …) but not into another root
// (walked on its own) nor into places (households are TestHouseholdVisibility's).
func personPaths(t *testing.T, roots []string) []personPath {
	t.Helper()
	schema := loadSchema(t)
	var paths []personPath
	var walk func(root string, typ *ast.Definition, fields []string, visiting map[string]bool)
	walk = func(root string, typ *ast.Definition, fields []string, visiting map[string]bool) {
		for _, f := range typ.Fields {
			name := f.Type.Name()
			def := schema.Types[name]
			here := append(slices.Clone(fields), f.Name)
			switch {
			case name == "Account" || name == "Resident":
				paths = append(paths, personPath{root, here, name})
			case def.Kind == ast.Scalar && f.Directives.ForName("personal") != nil:
				paths = append(paths, personPath{root, here, f.Name})
			case def.Kind == ast.Object && !slices.Contains(roots, name) && name != "Place" && !slices.Contains(notWalkedYet, name) && !visiting[name]:
				visiting[name] = true
				walk(root, def, here, visiting)
				delete(visiting, name)
			}
		}
	}
	for _, r := range roots {
		walk(r, schema.Types[r], nil, map[string]bool{r: true})
	}
	return paths
}

// notWalkedYet are types reached from the roots whose own people are not walked here yet:
// the needs and projects lists (Wish.need, Topic.need) lead to organisations and their
// records, which need demo needs and projects to prove anything (their rights are checked in
// graph/projects_test.go and graph/orgs_test.go).
//
// Visit is not walked either, for another reason: a visit is null as a whole to anyone but the
// grid's workers, the community's staff and its author, so the viewers here reach nobody
// through it; TestVisitNotesPrivacy checks that on every path to a visit.
var notWalkedYet = []string{"Need", "Project", "Proposal", "Organisation", "Visit"}

// query builds `nodes(ids:)` asking for path on each object of its root type.
func (p personPath) query() string {
	sel := map[string]string{"Account": accountSelection, "Resident": residentSelection}[p.target]
	var b strings.Builder
	b.WriteString(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on ` + p.root + ` { `)
	for i, f := range p.fields {
		b.WriteString(f)
		if i < len(p.fields)-1 || sel != "" {
			b.WriteString(" { ")
		}
	}
	b.WriteString(sel)
	for i := range p.fields {
		if i < len(p.fields)-1 || sel != "" {
			b.WriteString(" }")
		}
	}
	b.WriteString(" } } }")
	return b.String()
}

var (
	maskedNamePattern  = regexp.MustCompile(`^\p{Han}\*+$`)
	maskedPhonePattern = regexp.MustCompile(`^1[0-9]{2}\*{4}[0-9]{4}$`)
)

// leaves calls f with every value at the end of path in the decoded answer, with the key
// it had (name, phone, resident, …) and the path's last field for a bare string.
func leaves(v any, last string, f func(key string, v any)) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			leaves(e, last, f)
		}
	case map[string]any:
		for k, e := range x {
			switch e.(type) {
			case map[string]any, []any:
				leaves(e, k, f)
			default:
				f(k, e)
			}
		}
	default:
		f(last, v)
	}
}

// Every path from a wish, topic, meeting, vote or resolution to a person, found by walking
// the schema so that a field added later cannot slip past, shows a viewer without the
// right only masked values: names as 张**, phones as 138****1234, no resident record or
// household. The same paths show staff of the community the real names, so the check can
// tell the difference.
func TestMaskingOnEveryPathToAPerson(t *testing.T) {
	t.Parallel()
	d, _ := dbtest.New(t)
	e := serve(t, d)
	if _, err := demo.LoadParts(t.Context(), e.store, true, true); err != nil {
		t.Fatal(err)
	}
	// A roll-call vote with a ballot in it (the demo's votes are secret) and a wish
	// entered by the grid worker for a resident (代办), so every path has someone at its end.
	meeting, topic := e.runningMeeting("记名表决")
	v := e.openVote(meeting, topic, map[string]any{"secret": false})
	mustAttendance(t, e.do(e.login(phoneStaff), qCheckIn, map[string]any{"id": meeting, "r": e.residentID(phoneResident)}))
	mustVote(t, e.do(e.login(phoneResident), qCastBallot, map[string]any{"id": v.ID, "o": "同意"}))

	// Viewers with no right over anyone in the demo: a newly arrived resident of the
	// compound, and a newly registered volunteer of the community with no claim.
	resident := e.newVerifiedResident("13700000101")
	volunteer := e.newVerifiedResident("13700000102")
	if _, err := e.db.Exec(`INSERT INTO role_grants (account_id, role, place_id, granted_at)
		SELECT a.id, 'volunteer', p.id, now() FROM accounts a, places p WHERE a.phone = '13700000102' AND p.name = '和平社区'`); err != nil {
		t.Fatal(err)
	}
	viewerNames := []string{"新搬来的"}

	ids := map[string][]string{}
	for root, table := range map[string]string{"Wish": "wishes", "Topic": "topics", "Meeting": "meetings", "Vote": "votes", "Resolution": "resolutions"} {
		var keys []int64
		if err := e.db.Select(&keys, `SELECT id FROM `+table+` ORDER BY id LIMIT 100`); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			ids[root] = append(ids[root], graph.GlobalID(root, k))
		}
	}
	paths := personPaths(t, []string{"Wish", "Topic", "Meeting", "Vote", "Resolution"})
	if len(paths) < 20 {
		t.Fatalf("only %d paths to a person found: is the schema read?", len(paths))
	}

	unmasked := map[string]bool{} // paths on which staff see a real name
	for _, p := range paths {
		q := p.query()
		reached := 0
		for _, who := range []struct {
			name, token string
		}{{"resident", resident}, {"volunteer", volunteer}} {
			r := e.do(who.token, q, map[string]any{"ids": ids[p.root]})
			if len(r.Errors) > 0 {
				t.Errorf("%s as the new %s: %+v", p, who.name, r.Errors)
				continue
			}
			var out any
			r.Decode(t, &out)
			bad := 0 // a few of each path and viewer say enough
			errorf := func(format string, args ...any) {
				if bad++; bad <= 3 {
					t.Errorf(format, args...)
				}
			}
			leaves(out, p.fields[len(p.fields)-1], func(key string, v any) {
				if v == nil {
					return
				}
				s, _ := v.(string)
				switch {
				case key == "resident" || key == "household" || p.target == "Resident":
					errorf("%s as the new %s: %s = %v, want null (no resident record, no household)", p, who.name, key, v)
				case key == "phone" || strings.HasSuffix(key, "Phone"):
					reached++
					if !maskedPhonePattern.MatchString(s) {
						errorf("%s as the new %s: %s %q, want a masked phone", p, who.name, key, s)
					}
				case key == "address":
					reached++
					if strings.Contains(s, " ") || strings.Contains(s, "单元") {
						errorf("%s as the new %s: address %q, want the building only", p, who.name, s)
					}
				default: // a name
					reached++
					if !maskedNamePattern.MatchString(s) && s != "系统" && !slices.Contains(viewerNames, s) {
						errorf("%s as the new %s: %s %q, want a masked name", p, who.name, key, s)
					}
				}
			})
		}
		if reached == 0 && p.target != "Resident" {
			t.Errorf("%s: the demo reaches nobody on this path, so it proves nothing", p)
		}
		// The same path for staff of 和平社区, who see the people of their community.
		var out any
		e.do(e.login(phoneStaff), q, map[string]any{"ids": ids[p.root]}).Decode(t, &out)
		leaves(out, p.fields[len(p.fields)-1], func(key string, v any) {
			if s, ok := v.(string); ok && key != "id" && key != "phone" && !maskedNamePattern.MatchString(s) && strings.Contains(key, "ame") {
				unmasked[p.String()] = true
			}
		})
	}
	var full []string
	for p := range unmasked {
		full = append(full, p)
	}
	sort.Strings(full)
	if len(full) < len(paths)/2 {
		t.Errorf("staff see real names on only %d of %d paths (%v): can the check tell masked from not?", len(full), len(paths), full)
	}
	t.Logf("%d paths to a person checked: %v; staff see names in full on %d", len(paths), paths, len(full))
}

// A household (its name, unit, room, floor area, place in the tree) is seen by the people
// who live there and by staff and grid workers above it; anyone else, signed in or not,
// finds no such node and no such child of its building, and sees the building at most.
func TestHouseholdVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var home struct {
		ID       int64   `db:"id"`
		Building int64   `db:"parent_id"`
		Unit     *string `db:"unit"`
		Room     string  `db:"room"`
	}
	if err := e.db.Get(&home, `SELECT h.id, h.parent_id, h.unit, h.room FROM places h JOIN residents r ON r.household_id = h.id
		JOIN accounts a ON a.id = r.account_id WHERE a.phone = $1`, phoneResident); err != nil {
		t.Fatal(err)
	}
	// The demo's grid worker and staff hold their roles above this household.
	for _, phone := range []string{phoneGridWorker, phoneStaff} {
		if e.sqlInt(`SELECT count(*) FROM role_grants g JOIN accounts a ON a.id = g.account_id JOIN places h ON g.place_id = ANY(h.path)
			WHERE a.phone = $1 AND h.id = $2 AND g.role IN ('grid_worker', 'staff')`, phone, home.ID) == 0 {
			t.Fatalf("%s holds no role above the household: the demo changed", phone)
		}
	}
	// A verified resident of another building of the same community.
	var elsewhere int64
	if err := e.db.Get(&elsewhere, `SELECT h.id FROM places h JOIN places c ON c.id = ANY(h.path)
		WHERE h.level = 'household' AND c.name = '和平社区' AND h.parent_id <> $1 ORDER BY h.id LIMIT 1`, home.Building); err != nil {
		t.Fatal(err)
	}
	var reg struct {
		Register struct {
			Token   string
			Account struct{ Resident struct{ ID string } }
		}
	}
	e.do("", registerMutation, map[string]any{"in": map[string]any{"phone": "13700000201", "password": "mima-2026", "name": "隔壁楼的",
		"birthDate": "1985-06-01", "householdId": graph.GlobalID("Place", elsewhere)}}).Decode(t, &reg)
	e.do(e.login(phoneStaff), `mutation($id: ID!) { verifyResident(residentId: $id) { verified } }`,
		map[string]any{"id": reg.Register.Account.Resident.ID}).Decode(t, &struct{}{})
	if e.sqlInt(`SELECT count(*) FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = $1 AND r.household_id = $2`,
		phoneVolunteer, home.ID) > 0 {
		t.Fatal("the demo volunteer lives in the household: pick another")
	}

	const q = `query($h: ID!, $b: ID!) {
		h: node(id: $h) { ... on Place { name unit room floorArea ancestors { name } } }
		b: node(id: $b) { ... on Place { name children(first: 100) { totalCount nodes { id name } } } }
	}`
	vars := map[string]any{"h": graph.GlobalID("Place", home.ID), "b": graph.GlobalID("Place", home.Building)}
	type answer struct {
		H *struct {
			Name, Room string
			FloorArea  float64
			Ancestors  []struct{ Name string }
		}
		B struct {
			Name     string
			Children struct {
				TotalCount int
				Nodes      []struct{ ID, Name string }
			}
		}
	}
	listed := func(a answer) bool {
		for _, n := range a.B.Children.Nodes {
			if n.ID == vars["h"] {
				return true
			}
		}
		return false
	}
	for _, c := range []struct{ who, token string }{
		{"nobody signed in", ""}, {"a resident of another building", reg.Register.Token},
		{"a volunteer", e.login(phoneVolunteer)}, {"the analyst", e.login(phoneAnalyst)},
	} {
		var a answer
		e.do(c.token, q, vars).Decode(t, &a)
		if a.H != nil || listed(a) {
			t.Errorf("%s: household %+v, listed under its building %v; want neither", c.who, a.H, listed(a))
		}
		if a.B.Name == "" {
			t.Errorf("%s: the building itself is hidden, want it shown", c.who)
		}
		if c.token == "" && a.B.Children.TotalCount != 0 {
			t.Errorf("%s: the building has %d households, want 0 counted", c.who, a.B.Children.TotalCount)
		}
	}
	for _, c := range []struct{ who, phone string }{
		{"its own resident", phoneResident}, {"staff of the community", phoneStaff}, {"the grid worker", phoneGridWorker},
	} {
		var a answer
		e.do(e.login(c.phone), q, vars).Decode(t, &a)
		if a.H == nil || a.H.Room == "" || a.H.FloorArea == 0 || len(a.H.Ancestors) < 5 || !listed(a) {
			t.Errorf("%s: household %+v, listed %v; want it in full and listed", c.who, a.H, listed(a))
		}
	}

	// Registering needs no list of households: the address finds the household's ID.
	unit := ""
	if home.Unit != nil {
		unit = strings.TrimSuffix(*home.Unit, "单元")
	}
	var found struct{ HouseholdAt *string }
	e.do("", `query($b: ID!, $u: String, $r: String!) { householdAt(buildingId: $b, unit: $u, room: $r) }`,
		map[string]any{"b": vars["b"], "u": unit, "r": home.Room}).Decode(t, &found)
	if found.HouseholdAt == nil || *found.HouseholdAt != vars["h"] {
		t.Errorf("householdAt(%s, %q, %s): got %v, want %s", vars["b"], unit, home.Room, found.HouseholdAt, vars["h"])
	}
	e.do("", `query($b: ID!) { householdAt(buildingId: $b, room: "9999") }`, map[string]any{"b": vars["b"]}).Decode(t, &found)
	if found.HouseholdAt != nil {
		t.Errorf("householdAt a room that is not there: got %s, want null", *found.HouseholdAt)
	}
	e.do("", `query($b: ID!) { householdAt(buildingId: $b, room: "101") }`, map[string]any{"b": e.placeID("和平社区")}).wantCode(t, "INVALID_INPUT")
}

// A wish links people while its claim holds: the claimer sees the beneficiary and, for a
// beneficiary with no phone, the grid worker to ask, in full; the beneficiary sees the
// claimer's name. Another volunteer sees all of them masked, and the link ends with the
// claim.
func TestWishLinksPeopleWhileTheClaimHolds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, volunteer, other := e.login(phoneStaff), e.login(phoneVolunteer), e.login(phonePartyMember)
	// A resident of 第一网格 with no phone, as many elderly people are.
	beneficiary := e.gridResidents(staff, 1, phoneResident, phoneVolunteer, phonePartyMember, phoneGridWorker)[0]
	if _, err := e.db.Exec(`UPDATE residents SET phone = NULL WHERE id = $1`, mustKey(t, beneficiary)); err != nil {
		t.Fatal(err)
	}
	var gridWorker struct{ Name, Phone string }
	if err := e.db.Get(&gridWorker, `SELECT name, phone FROM accounts WHERE phone = $1`, phoneGridWorker); err != nil {
		t.Fatal(err)
	}
	w := e.publishedFor(staff, beneficiary, "帮忙换个灯泡")
	const q = `query($id: ID!) { w: node(id: $id) { ... on Wish { beneficiaryName beneficiaryPhone address
		gridWorker { name phone } claim { claimer { name } } } } }`
	type answer struct {
		W *struct {
			BeneficiaryName  string
			BeneficiaryPhone *string
			Address          string
			GridWorker       *struct{ Name, Phone string }
			Claim            *struct{ Claimer struct{ Name string } }
		}
	}
	read := func(token string) answer {
		t.Helper()
		var a answer
		e.do(token, q, map[string]any{"id": w.ID}).Decode(t, &a)
		if a.W == nil || a.W.GridWorker == nil {
			t.Fatalf("wish or its grid worker not shown: %+v", a.W)
		}
		return a
	}

	mustWish(t, e.claim(volunteer, w.ID))
	a := read(volunteer)
	if a.W.BeneficiaryPhone != nil || maskedNamePattern.MatchString(a.W.BeneficiaryName) || !strings.Contains(a.W.Address, " ") {
		t.Errorf("the claimer: %+v, want the beneficiary's full name and address and no phone (none on record)", a.W)
	}
	if a.W.GridWorker.Name != gridWorker.Name || a.W.GridWorker.Phone != gridWorker.Phone {
		t.Errorf("the claimer: grid worker %+v, want %+v in full, to ask instead", a.W.GridWorker, gridWorker)
	}
	a = read(other)
	if !maskedNamePattern.MatchString(a.W.BeneficiaryName) || !maskedNamePattern.MatchString(a.W.GridWorker.Name) ||
		!maskedPhonePattern.MatchString(a.W.GridWorker.Phone) || !maskedNamePattern.MatchString(a.W.Claim.Claimer.Name) {
		t.Errorf("another volunteer: %+v, grid worker %+v, want every name and phone masked", a.W, a.W.GridWorker)
	}
	// The grid worker, who entered nothing here, sees the beneficiary by their role.
	if a = read(e.login(phoneGridWorker)); maskedNamePattern.MatchString(a.W.BeneficiaryName) {
		t.Errorf("the grid worker: beneficiary %q, want the full name", a.W.BeneficiaryName)
	}

	mustWish(t, e.do(volunteer, qRelease, map[string]any{"id": w.ID, "r": "临时有事"}))
	a = read(volunteer)
	if !maskedNamePattern.MatchString(a.W.BeneficiaryName) || !maskedPhonePattern.MatchString(a.W.GridWorker.Phone) || strings.Contains(a.W.Address, " ") {
		t.Errorf("the claimer after releasing: %+v, grid worker %+v, want masked again", a.W, a.W.GridWorker)
	}
}

// mustKey is the database key inside a global ID.
func mustKey(t *testing.T, id string) int64 {
	t.Helper()
	_, key, ok := graph.ParseGlobalID(id)
	if !ok {
		t.Fatalf("not a global ID: %q", id)
	}
	return key
}
