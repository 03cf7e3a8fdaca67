package demo_test

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
)

// demoNow is the clock of the demo tests: the demo's ages follow it.
var demoNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// cheapPassword keeps argon2id fast where the test is not about the hash.
var cheapPassword = db.PasswordParams{Time: 1, Memory: 64, Threads: 1}

func newDemoStore(t *testing.T, p db.PasswordParams) (*db.Store, *sqlx.DB) {
	t.Helper()
	d, _ := dbtest.New(t)
	s := db.NewStore(d)
	s.Now = func() time.Time { return demoNow }
	s.Password = p
	s.BallotKey = demoBallotKey
	return s, d
}

// demoBallotKey seals the demo's open secret vote.
var demoBallotKey = bytes.Repeat([]byte{0x5a}, 32)

func loadDemo(t *testing.T, s *db.Store) {
	t.Helper()
	loaded, err := demo.Load(t.Context(), s)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !loaded {
		t.Fatal("Load on an empty database: got loaded false, want true")
	}
}

func queryInt(t *testing.T, d *sqlx.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Get(&n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func queryStrings(t *testing.T, d *sqlx.DB, q string, args ...any) []string {
	t.Helper()
	var ss []string
	if err := d.Select(&ss, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return ss
}

// labelNames reports whether a DemoAccount place label ("和平花园小区 / 2号楼") names the place
// whose path, from the top down, has the names in path.
func labelNames(label string, path []string) bool {
	want := strings.Split(label, " / ")
	if len(path) == 0 || path[len(path)-1] != want[len(want)-1] {
		return false
	}
	for _, name := range path {
		if len(want) > 0 && want[0] == name {
			want = want[1:]
		}
	}
	return len(want) == 0
}

// pathNames is a query part giving the names from the top down to place p.
const pathNames = `ARRAY(SELECT x.name FROM places x WHERE x.id = ANY(p.path) ORDER BY x.level)`

func TestLoadDemo(t *testing.T) {
	t.Parallel()
	// The production password costs, so the time logged is what a first start takes.
	s, d := newDemoStore(t, db.DefaultPasswordParams)
	start := time.Now()
	loadDemo(t, s)
	t.Logf("Load took %v", time.Since(start))

	t.Run("Levels", func(t *testing.T) {
		count := func(level string) int {
			return queryInt(t, d, `SELECT count(*) FROM places WHERE level = $1`, level)
		}
		for _, c := range []struct {
			level    string
			min, max int
		}{
			{"subdistrict", 1, 1}, {"community", 2, 2}, {"compound", 1, 3}, {"grid", 4, 10},
			{"building", 8, 40}, {"household", 100, 140},
		} {
			if n := count(c.level); n < c.min || n > c.max {
				t.Errorf("%s: got %d, want %d to %d", c.level, n, c.min, c.max)
			}
		}
		got := queryStrings(t, d, `SELECT name FROM places WHERE level IN ('subdistrict', 'community') ORDER BY id`)
		if want := []string{"幸福街道", "和平社区", "光明社区"}; !slices.Equal(got, want) {
			t.Errorf("subdistrict and communities: got %v, want %v", got, want)
		}
		// 和平社区 has a grid in its compound and one directly under it.
		if n := queryInt(t, d, `SELECT count(*) FROM places g JOIN places c ON c.id = g.parent_id
			WHERE g.level = 'grid' AND c.name = '和平社区'`); n == 0 {
			t.Error("和平社区 has no grid outside its compound")
		}
		if n := queryInt(t, d, `SELECT count(*) FROM places g JOIN places c ON c.id = g.parent_id
			WHERE g.level = 'grid' AND c.level = 'compound'`); n == 0 {
			t.Error("no grid lies in a compound")
		}
		// Every grid has two or three buildings.
		if n := queryInt(t, d, `SELECT count(*) FROM places g WHERE g.level = 'grid' AND
			(SELECT count(*) FROM places b WHERE b.parent_id = g.id) NOT BETWEEN 2 AND 3`); n != 0 {
			t.Errorf("grids without 2 or 3 buildings: got %d, want 0", n)
		}
	})

	t.Run("Residents", func(t *testing.T) {
		if n := queryInt(t, d, `SELECT count(*) FROM residents`); n < 180 || n > 220 {
			t.Errorf("residents: got %d, want about 200 (180 to 220)", n)
		}
		for _, community := range []string{"和平社区", "光明社区"} {
			if n := queryInt(t, d, `SELECT count(*) FROM residents r JOIN places h ON h.id = r.household_id
				JOIN places c ON c.id = ANY(h.path) WHERE c.name = $1`, community); n < 40 {
				t.Errorf("residents of %s: got %d, want many", community, n)
			}
		}
		if n := queryInt(t, d, `SELECT count(*) FROM residents WHERE verified_by IS NOT NULL
			OR verified_at IS NOT NULL AND verified_at <> $1`, demoNow); n != 0 {
			t.Errorf("residents verified by someone or at another time: got %d, want 0", n)
		}
	})

	t.Run("Unverified", func(t *testing.T) {
		var rows []struct {
			Name      string         `db:"name"`
			AccountID *int64         `db:"account_id"`
			Events    int            `db:"events"`
			Path      pq.StringArray `db:"path"`
		}
		if err := d.Select(&rows, `SELECT r.name, r.account_id, `+pathNames+` AS path,
				(SELECT count(*) FROM audit_events e WHERE e.resident_id = r.id AND e.action = 'account_registered'
					AND e.actor_id = r.account_id AND e.place_id = r.household_id) AS events
			FROM residents r JOIN places p ON p.id = r.household_id WHERE r.verified_at IS NULL ORDER BY r.id`); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 {
			t.Fatalf("unverified residents: got %d, want 3", len(rows))
		}
		heping := 0
		for _, r := range rows {
			if r.AccountID == nil || r.Events != 1 {
				t.Errorf("unverified %s: account %v, registration events %d; want an account and 1 event", r.Name, r.AccountID, r.Events)
			}
			if slices.Contains(r.Path, "和平社区") {
				heping++
			}
		}
		if heping == 0 {
			t.Error("no unverified resident in 和平社区 for its staff to verify")
		}
	})

	t.Run("Accounts", func(t *testing.T) {
		if len(demo.Accounts) != 11 || demo.Accounts[1].Role != string(db.RoleVolunteer) {
			t.Fatalf("Accounts: got %d with %q second, want 11 with the volunteer second", len(demo.Accounts), demo.Accounts[1].Role)
		}
		seenRoles := map[string]bool{}
		for i, a := range demo.Accounts {
			seenRoles[a.Role] = true
			t.Run(a.Role+"_"+a.Phone, func(t *testing.T) {
				if want := fmt.Sprintf("138%08d", i+1); a.Phone != want {
					t.Errorf("phone: got %s, want %s", a.Phone, want)
				}
				if a.Password != demo.Password {
					t.Errorf("password: got %q, want Password", a.Password)
				}
				wantRoleName := "居民"
				if a.Role != "resident" {
					wantRoleName = db.Role(a.Role).Name()
				}
				if a.RoleName != wantRoleName {
					t.Errorf("role name: got %q, want %q", a.RoleName, wantRoleName)
				}
				var acc struct {
					ID   int64  `db:"id"`
					Name string `db:"name"`
					Hash string `db:"password_hash"`
				}
				if err := d.Get(&acc, `SELECT id, name, password_hash FROM accounts WHERE phone = $1`, a.Phone); err != nil {
					t.Fatalf("account: %v", err)
				}
				if acc.Name != a.Name {
					t.Errorf("name: got %q, want %q", acc.Name, a.Name)
				}
				if !db.CheckPassword(acc.Hash, a.Password) {
					t.Error("the password does not check against the stored hash")
				}

				var grants []struct {
					Role      string         `db:"role"`
					GrantedBy *int64         `db:"granted_by"`
					GrantedAt time.Time      `db:"granted_at"`
					Path      pq.StringArray `db:"path"`
				}
				if err := d.Select(&grants, `SELECT g.role, g.granted_by, g.granted_at, `+pathNames+` AS path
					FROM role_grants g JOIN places p ON p.id = g.place_id
					WHERE g.account_id = $1 AND g.revoked_at IS NULL ORDER BY g.id`, acc.ID); err != nil {
					t.Fatal(err)
				}
				var roles []string
				for _, g := range grants {
					roles = append(roles, g.Role)
					if g.GrantedBy != nil || !g.GrantedAt.Equal(demoNow) {
						t.Errorf("grant %s: by %v at %v, want by nobody at %v", g.Role, g.GrantedBy, g.GrantedAt, demoNow)
					}
				}
				switch a.Role {
				case "resident":
					if len(grants) != 0 {
						t.Errorf("roles: got %v, want none", roles)
					}
				case string(db.RolePartyMember):
					// An in-service party member serves as a volunteer too.
					if want := []string{"party_member", "volunteer"}; !slices.Equal(roles, want) {
						t.Errorf("roles: got %v, want %v", roles, want)
					}
				default:
					if !slices.Equal(roles, []string{a.Role}) {
						t.Errorf("roles: got %v, want [%s]", roles, a.Role)
					}
				}
				for _, g := range grants {
					if !labelNames(a.Place, g.Path) {
						t.Errorf("grant %s: at %v, want at %s", g.Role, g.Path, a.Place)
					}
				}

				// Those who live in the community have a verified resident record.
				var homes []struct {
					Verified bool           `db:"verified"`
					Phone    *string        `db:"phone"`
					Path     pq.StringArray `db:"path"`
				}
				if err := d.Select(&homes, `SELECT r.verified_at IS NOT NULL AS verified, r.phone, `+pathNames+` AS path
					FROM residents r JOIN places p ON p.id = r.household_id WHERE r.account_id = $1`, acc.ID); err != nil {
					t.Fatal(err)
				}
				switch a.Role {
				case "resident", "volunteer", "party_member", "building_leader", "council_member", "supervisor":
					if len(homes) != 1 {
						t.Fatalf("resident records: got %d, want 1", len(homes))
					}
					h := homes[0]
					if !h.Verified || h.Phone == nil || *h.Phone != a.Phone || !slices.Contains(h.Path, "和平社区") {
						t.Errorf("resident record: verified %v, phone %v, at %v; want verified, %s, in 和平社区", h.Verified, h.Phone, h.Path, a.Phone)
					}
					// The resident lives where the table says; the building leader in her building.
					if a.Role == "resident" || a.Role == "building_leader" {
						if !isWithin(a.Place, h.Path) {
							t.Errorf("home %v is not in %s", h.Path, a.Place)
						}
					}
				}
			})
		}
		for _, role := range []db.Role{db.RoleVolunteer, db.RolePartyMember, db.RoleGridWorker, db.RoleBuildingLeader,
			db.RoleStaff, db.RoleCouncilMember, db.RoleSupervisor, db.RoleAnalyst, db.RoleAdmin} {
			if !seenRoles[string(role)] {
				t.Errorf("no demo account is a %s", role)
			}
		}
	})

	t.Run("FloorAreas", func(t *testing.T) {
		// 55–140 m², kept in 0.01 m².
		if n := queryInt(t, d, `SELECT count(*) FROM places WHERE level = 'household'
			AND (floor_area_dm2 NOT BETWEEN 5500 AND 14000 OR room IS NULL)`); n != 0 {
			t.Errorf("households with an unrealistic floor area or no room: got %d, want 0", n)
		}
		if n := queryInt(t, d, `SELECT count(DISTINCT floor_area_dm2) FROM places WHERE level = 'household'`); n < 10 {
			t.Errorf("distinct floor areas: got %d, want many", n)
		}
		rooms := queryStrings(t, d, `SELECT DISTINCT room FROM places WHERE level = 'household'`)
		for _, r := range rooms {
			if !regexp.MustCompile(`^[1-9]0[1-9]$`).MatchString(r) {
				t.Errorf("room %q, want a floor and a flat such as 302", r)
			}
		}
	})

	t.Run("Ages", func(t *testing.T) {
		var a struct {
			Min     int `db:"min"`
			Max     int `db:"max"`
			Elderly int `db:"elderly"`
			Adults  int `db:"adults"`
			All     int `db:"all"`
		}
		if err := d.Get(&a, `WITH r AS (SELECT date_part('year', age($1::date, birth_date))::int AS age FROM residents)
			SELECT min(age) AS min, max(age) AS max, count(*) FILTER (WHERE age >= 60) AS elderly,
				count(*) FILTER (WHERE age BETWEEN 18 AND 59) AS adults, count(*) AS all FROM r`,
			demoNow.Format(time.DateOnly)); err != nil {
			t.Fatal(err)
		}
		if a.Min > 5 || a.Max < 85 {
			t.Errorf("ages: from %d to %d, want from young children to 85 and over", a.Min, a.Max)
		}
		if a.Elderly*4 < a.All || a.Adults*4 < a.All {
			t.Errorf("ages: %d of %d are 60 or over and %d are 18 to 59, want a quarter or more of each", a.Elderly, a.All, a.Adults)
		}
	})

	t.Run("Phones", func(t *testing.T) {
		phones := queryStrings(t, d, `SELECT phone FROM residents WHERE phone IS NOT NULL`)
		pattern := regexp.MustCompile(`^1[3-9][0-9]{9}$`)
		seen := map[string]bool{}
		for _, p := range phones {
			if !pattern.MatchString(p) || seen[p] {
				t.Errorf("phone %q: invalid or repeated", p)
			}
			seen[p] = true
		}
		// The demo accounts' range is theirs alone.
		if n := queryInt(t, d, `SELECT count(*) FROM residents r LEFT JOIN accounts a ON a.id = r.account_id
			WHERE r.phone LIKE '1380000%' AND r.phone IS DISTINCT FROM a.phone`); n != 0 {
			t.Errorf("residents with a number in the demo accounts' range: got %d, want 0", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM residents
			WHERE phone IS NOT NULL AND birth_date > $1::date - interval '14 years'`, demoNow.Format(time.DateOnly)); n != 0 {
			t.Errorf("children under 14 with a phone: got %d, want 0", n)
		}
		if len(phones) < 100 {
			t.Errorf("residents with a phone: got %d, want most adults", len(phones))
		}
	})

	t.Run("Owners", func(t *testing.T) {
		var counts []int
		// Owners of the flat they live in, per household with residents.
		if err := d.Select(&counts, `SELECT count(o.id) FROM residents r
			LEFT JOIN household_owners o ON o.resident_id = r.id AND o.household_id = r.household_id AND o.until IS NULL
			GROUP BY r.household_id`); err != nil {
			t.Fatal(err)
		}
		oneOrTwo := 0
		for _, n := range counts {
			if n > 2 {
				t.Errorf("a household with %d owners, want at most 2", n)
			}
			if n == 1 || n == 2 {
				oneOrTwo++
			}
		}
		if oneOrTwo*10 < len(counts)*7 {
			t.Errorf("households with one or two owners: got %d of %d, want most", oneOrTwo, len(counts))
		}
		if n := queryInt(t, d, `SELECT count(*) FROM household_owners o JOIN residents r ON r.id = o.resident_id
			WHERE r.birth_date > $1::date - interval '18 years'`, demoNow.Format(time.DateOnly)); n != 0 {
			t.Errorf("owners under 18: got %d, want 0", n)
		}
		// The law's counting shows in the demo: 周国华 owns three flats, the developer some.
		if n := queryInt(t, d, `SELECT count(*) FROM household_owners o JOIN residents r ON r.id = o.resident_id
			JOIN accounts a ON a.id = r.account_id WHERE a.phone = '13800000007' AND o.until IS NULL`); n != 3 {
			t.Errorf("flats of 周国华: got %d, want 3", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM household_owners WHERE resident_id IS NULL AND until IS NULL`); n < 2 {
			t.Errorf("the developer's flats: got %d, want some", n)
		}
	})

	t.Run("Tags", func(t *testing.T) {
		for _, tag := range []string{"elderly_alone", "minimum_income", "disabled", "left_behind_child"} {
			n := queryInt(t, d, `SELECT count(*) FROM residents WHERE $1 = ANY(tags)`, tag)
			if n == 0 || n > 30 {
				t.Errorf("residents tagged %s: got %d, want a few", tag, n)
			}
		}
		if n := queryInt(t, d, `SELECT count(*) FROM residents r WHERE 'elderly_alone' = ANY(r.tags)
			AND (r.birth_date > $1::date - interval '60 years'
				OR (SELECT count(*) FROM residents o WHERE o.household_id = r.household_id) <> 1)`,
			demoNow.Format(time.DateOnly)); n != 0 {
			t.Errorf("residents tagged elderly_alone who are under 60 or do not live alone: got %d, want 0", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM residents WHERE 'left_behind_child' = ANY(tags)
			AND birth_date <= $1::date - interval '18 years'`, demoNow.Format(time.DateOnly)); n != 0 {
			t.Errorf("adults tagged left_behind_child: got %d, want 0", n)
		}
		for _, community := range []string{"和平社区", "光明社区"} {
			if n := queryInt(t, d, `SELECT count(*) FROM residents r JOIN places h ON h.id = r.household_id
				JOIN places c ON c.id = ANY(h.path) WHERE c.name = $1 AND r.tags <> '{}'`, community); n == 0 {
				t.Errorf("no tagged residents in %s", community)
			}
		}
	})
}

// isWithin reports whether the place a label names is on path.
func isWithin(label string, path []string) bool {
	for i := range path {
		if labelNames(label, path[:i+1]) {
			return true
		}
	}
	return false
}

// counts are the rows of every table Load writes.
func counts(t *testing.T, d *sqlx.DB) string {
	t.Helper()
	var s string
	if err := d.Get(&s, `SELECT concat_ws(' ', (SELECT count(*) FROM places), (SELECT count(*) FROM accounts),
		(SELECT count(*) FROM residents), (SELECT count(*) FROM role_grants), (SELECT count(*) FROM audit_events),
		(SELECT count(*) FROM sessions), (SELECT count(*) FROM wishes), (SELECT count(*) FROM wish_claims),
		(SELECT count(*) FROM wish_events), (SELECT count(*) FROM volunteer_ledger))`); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadDemo_Again(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	loadDemo(t, s)
	before := counts(t, d)
	loaded, err := demo.Load(t.Context(), s)
	if err != nil || loaded {
		t.Fatalf("second Load: got %v, %v; want false, nil", loaded, err)
	}
	if after := counts(t, d); after != before {
		t.Errorf("rows (places accounts residents grants events sessions wishes claims wish_events ledger): got %s, want %s", after, before)
	}
}

// A database holding places of its own is not the demo's to fill.
func TestLoadDemo_NotEmpty(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	if _, err := d.Exec(`INSERT INTO places (level, name) VALUES ('subdistrict', '东湖街道')`); err != nil {
		t.Fatal(err)
	}
	before := counts(t, d)
	loaded, err := demo.Load(t.Context(), s)
	if err != nil || loaded {
		t.Fatalf("Load: got %v, %v; want false, nil", loaded, err)
	}
	if after := counts(t, d); after != before {
		t.Errorf("rows: got %s, want %s", after, before)
	}
}

// Two services starting on one empty database at once load the demo once.
func TestLoadDemo_Concurrent(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	const n = 4
	var wg sync.WaitGroup
	results := make([]bool, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { results[i], errs[i] = demo.Load(t.Context(), s) })
	}
	wg.Wait()
	loaded := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Load %d: %v", i, errs[i])
		}
		if results[i] {
			loaded++
		}
	}
	if loaded != 1 {
		t.Fatalf("loads that reported loading: got %d, want 1", loaded)
	}
	once, d2 := newDemoStore(t, cheapPassword)
	loadDemo(t, once)
	if got, want := counts(t, d), counts(t, d2); got != want {
		t.Errorf("rows after concurrent loads: got %s, want %s as after one", got, want)
	}
}

func TestLoadDemo_Deterministic(t *testing.T) {
	t.Parallel()
	s1, d1 := newDemoStore(t, cheapPassword)
	s2, d2 := newDemoStore(t, cheapPassword)
	loadDemo(t, s1)
	loadDemo(t, s2)
	for _, q := range []string{
		`SELECT concat_ws(' ', level, name, unit, room, floor_area_dm2) FROM places ORDER BY id`,
		`SELECT concat_ws(' ', name, phone, birth_date, tags, account_id, verified_at IS NOT NULL) FROM residents ORDER BY id`,
		`SELECT concat_ws(' ', household_id, resident_id, named_voter, since, until) FROM household_owners ORDER BY id`,
		`SELECT concat_ws(' ', phone, name) FROM accounts ORDER BY id`,
		`SELECT concat_ws(' ', account_id, role, place_id) FROM role_grants ORDER BY id`,
		`SELECT concat_ws(' ', beneficiary_id, submitted_by, place_id, category, title, value_fen, deadline, state, claim_id,
			fulfil_minutes, fulfilled_at, rating, confirmed_at, created_at, updated_at) FROM wishes ORDER BY id`,
		`SELECT concat_ws(' ', wish_id, claimer_id, claimed_at, due_at, ended_at, end_reason) FROM wish_claims ORDER BY id`,
		`SELECT concat_ws(' ', wish_id, at, action, actor_id, from_state, to_state, reason) FROM wish_events ORDER BY id`,
		`SELECT concat_ws(' ', account_id, wish_id, claim_id, at, kind, minutes, points, reverses_id) FROM volunteer_ledger ORDER BY id`,
	} {
		a, b := queryStrings(t, d1, q), queryStrings(t, d2, q)
		if !slices.Equal(a, b) {
			t.Errorf("%s: the two databases differ", q)
		}
		if len(a) == 0 {
			t.Errorf("%s: no rows", q)
		}
	}
}

// Loading is a fixed handful of statements, however many rows: one per table (per level for
// places), and one reading back the owners' roll as the service counts it, never one per row.
// The demo of dual reporting (orgs.go) and the grid worker's week (grid_visits.go) are one
// statement each, the reports demo four.
func TestLoadDemo_Statements(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	statements := dbtest.Statements(t, d)
	loadDemo(t, s)
	if n := statements(); n > 28 {
		t.Errorf("statements: got %d, want at most 28", n)
	} else {
		t.Logf("Load ran %d statements", n)
	}
}

// The wish board: wishes in every state, each with a timeline that tells how it got there,
// claims and a ledger that agree with it.
func TestLoadDemo_Wishes(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	loadDemo(t, s)
	checkWishBoard(t, d, demoNow)
}

// The board is told relative to the clock: it holds together whenever the demo loads, at
// any hour of any day of the week.
func TestLoadDemo_WishesAnyClock(t *testing.T) {
	t.Parallel()
	var clocks []time.Time
	for h := range 24 {
		clocks = append(clocks, demoNow.Add(time.Duration(h)*time.Hour+17*time.Minute))
	}
	for day := 1; day < 7; day++ {
		clocks = append(clocks, demoNow.AddDate(0, 0, day).Add(time.Duration(day*5)*time.Hour+time.Duration(day*7)*time.Minute))
	}
	for _, now := range clocks {
		t.Run(now.Format("Mon1504"), func(t *testing.T) {
			t.Parallel()
			s, d := newDemoStore(t, cheapPassword)
			s.Now = func() time.Time { return now }
			loadDemo(t, s)
			checkWishBoard(t, d, now)
		})
	}
}

// checkWishBoard checks the demo's wishes, loaded as of now.
func checkWishBoard(t *testing.T, d *sqlx.DB, now time.Time) {
	t.Helper()
	t.Run("States", func(t *testing.T) {
		var rows []struct {
			State string `db:"state"`
			N     int    `db:"n"`
		}
		if err := d.Select(&rows, `SELECT s.state::text AS state, count(w.id) AS n
			FROM unnest(enum_range(NULL::wish_state)) AS s (state) LEFT JOIN wishes w ON w.state = s.state
			GROUP BY s.state ORDER BY s.state`); err != nil {
			t.Fatal(err)
		}
		total := 0
		var got []string
		for _, r := range rows {
			total += r.N
			got = append(got, fmt.Sprintf("%s %d", r.State, r.N))
			if r.N == 0 {
				t.Errorf("no wish is %s", r.State)
			}
		}
		t.Logf("wishes by state: %s", strings.Join(got, ", "))
		if total < 30 || total > 60 {
			t.Errorf("wishes: got %d, want about 40", total)
		}
		for _, community := range []string{"和平社区", "光明社区"} {
			if n := queryInt(t, d, `SELECT count(*) FROM wishes w JOIN places c ON c.id = w.community_id WHERE c.name = $1`, community); n < 10 {
				t.Errorf("wishes in %s: got %d, want many", community, n)
			}
		}
		if n := queryInt(t, d, `SELECT count(DISTINCT category) FROM wishes`); n != 7 {
			t.Errorf("categories used: got %d, want all 7", n)
		}
	})

	t.Run("Fields", func(t *testing.T) {
		// What each state carries, as the transitions of the service leave it.
		for _, c := range []struct{ what, cond string }{
			{"created in the last month, before now", `created_at BETWEEN $1::timestamptz - interval '31 days' AND $1 AND updated_at BETWEEN created_at AND $1`},
			{"deadline after submission, within 90 days", `deadline > created_at AND deadline <= created_at + interval '90 days'`},
			{"published with the deadline ahead", `state <> 'published' OR deadline > $1`},
			{"a value only for goods, within the cap", `(value_fen IS NOT NULL) = (category = 'goods') AND coalesce(value_fen, 0) <= 50000`},
			{"a closing reason when rejected or closed", `state NOT IN ('rejected', 'closed') OR closing_reason IS NOT NULL`},
			{"a claim once past published", `state IN ('submitted', 'published', 'rejected', 'cancelled') OR claim_id IS NOT NULL`},
			{"no claim before review", `state NOT IN ('submitted', 'rejected') OR claim_id IS NULL`},
			{"a fulfilment once fulfilled", `(state IN ('fulfilled', 'confirmed', 'disputed', 'closed')) =
				(fulfil_note IS NOT NULL AND fulfil_minutes > 0 AND fulfilled_at IS NOT NULL)`},
			{"a rating when confirmed", `state <> 'confirmed' OR rating BETWEEN 1 AND 5 AND confirmed_at > fulfilled_at`},
			{"no rating unless confirmed once", `(rating IS NULL) = (confirmed_at IS NULL) AND (rating IS NULL OR state IN ('confirmed', 'closed'))`},
		} {
			if n := queryInt(t, d, `SELECT count(*) FROM wishes WHERE $1::timestamptz IS NOT NULL AND NOT (`+c.cond+`)`, now); n != 0 {
				t.Errorf("%s: %d wishes are not", c.what, n)
			}
		}
		if n := queryInt(t, d, `SELECT count(*) FROM wishes WHERE rating >= 4`); n*10 < queryInt(t, d, `SELECT count(*) FROM wishes WHERE rating IS NOT NULL`)*7 {
			t.Errorf("ratings of 4 or 5: got %d, want most", n)
		}
	})

	t.Run("Beneficiaries", func(t *testing.T) {
		// Never a demo account holder or one of their households: every published wish is
		// one the demo volunteer and party member may claim.
		if n := queryInt(t, d, `SELECT count(*) FROM wishes w JOIN residents b ON b.id = w.beneficiary_id
			JOIN residents r ON r.household_id = b.household_id JOIN accounts a ON a.id = r.account_id
			WHERE a.phone LIKE '1380000%'`); n != 0 {
			t.Errorf("wishes for a demo account holder's household: got %d, want 0", n)
		}
		// Shown where the beneficiary lives; entered by them or by staff or a grid worker there.
		if n := queryInt(t, d, `SELECT count(*) FROM wishes w JOIN residents b ON b.id = w.beneficiary_id
			JOIN places h ON h.id = b.household_id JOIN places p ON p.id = w.place_id
			WHERE NOT (w.place_id = ANY(h.path) AND w.community_id = ANY(h.path) AND p.level IN ('community', 'grid'))
				OR b.verified_at IS NULL
				OR w.submitted_by IS DISTINCT FROM b.account_id AND NOT EXISTS (SELECT 1 FROM role_grants g
					WHERE g.account_id = w.submitted_by AND g.role IN ('staff', 'grid_worker') AND g.place_id = ANY(h.path))`); n != 0 {
			t.Errorf("wishes shown or entered where they may not be: got %d, want 0", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM wishes w JOIN accounts a ON a.id = w.submitted_by WHERE a.phone = '13800000004'`); n < 3 {
			t.Errorf("wishes entered by the grid worker (代办): got %d, want several", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM wishes w JOIN residents b ON b.id = w.beneficiary_id
			WHERE b.birth_date <= $1::date - interval '60 years' OR b.birth_date > $1::date - interval '16 years'`,
			now.Format(time.DateOnly)); n*10 < queryInt(t, d, `SELECT count(*) FROM wishes`)*8 {
			t.Errorf("wishes for the elderly or children: got %d, want most", n)
		}
	})

	t.Run("IDsFollowTime", func(t *testing.T) {
		// As in service, where lists order by id: newest wishes, a volunteer's claims and record.
		for _, c := range []struct{ table, at string }{
			{"wishes", "created_at"}, {"wish_claims", "claimed_at"}, {"wish_events", "at"}, {"volunteer_ledger", "at"},
		} {
			if n := queryInt(t, d, `SELECT count(*) FROM (SELECT `+c.at+` < lag(`+c.at+`) OVER (ORDER BY id) AS back FROM `+c.table+`) x WHERE back`); n != 0 {
				t.Errorf("%s: %d rows earlier than the one before them by id, want 0", c.table, n)
			}
		}
	})

	t.Run("Claims", func(t *testing.T) {
		for _, c := range []struct{ what, q string }{
			{"claimed wishes without exactly one active claim, the wish's own", `SELECT count(*) FROM wishes w WHERE w.state = 'claimed'
				AND (SELECT count(*) FROM wish_claims c WHERE c.wish_id = w.id AND c.ended_at IS NULL) <> 1
				OR w.state = 'claimed' AND NOT EXISTS (SELECT 1 FROM wish_claims c WHERE c.id = w.claim_id AND c.ended_at IS NULL)`},
			{"active claims of wishes not claimed", `SELECT count(*) FROM wish_claims c JOIN wishes w ON w.id = c.wish_id
				WHERE c.ended_at IS NULL AND w.state <> 'claimed'`},
			{"claims due other than at the deadline or 72 hours after, whichever is first", `SELECT count(*) FROM wish_claims c
				JOIN wishes w ON w.id = c.wish_id WHERE c.due_at < c.claimed_at OR c.due_at <> least(w.deadline, c.claimed_at + interval '72 hours')`},
			{"active claims overdue", `SELECT count(*) FROM wish_claims WHERE ended_at IS NULL AND due_at <= $1`},
			{"wishes whose claim is not their latest", `SELECT count(*) FROM wishes w WHERE w.claim_id <> (SELECT max(c.id) FROM wish_claims c WHERE c.wish_id = w.id)`},
			{"claims ended against their story", `SELECT count(*) FROM wish_claims c JOIN wishes w ON w.id = c.wish_id WHERE c.ended_at IS NOT NULL AND NOT (
				c.end_reason = 'fulfilled' AND c.id = w.claim_id AND c.ended_at = w.fulfilled_at AND c.ended_at < c.due_at
				OR c.end_reason = 'released' AND c.ended_at < c.due_at OR c.end_reason = 'lapsed' AND c.ended_at >= c.due_at)`},
			{"wishes fulfilled without a fulfilled claim", `SELECT count(*) FROM wishes w LEFT JOIN wish_claims c ON c.id = w.claim_id
				WHERE w.state IN ('fulfilled', 'confirmed', 'disputed', 'closed') AND c.end_reason IS DISTINCT FROM 'fulfilled'`},
			{"claims by someone who does not serve there", `SELECT count(*) FROM wish_claims c JOIN wishes w ON w.id = c.wish_id
				JOIN places p ON p.id = w.place_id WHERE NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = c.claimer_id
					AND g.role IN ('volunteer', 'party_member') AND g.place_id = ANY(p.path))`},
			{"claims of one's own household's wish", `SELECT count(*) FROM wish_claims c JOIN wishes w ON w.id = c.wish_id
				JOIN residents b ON b.id = w.beneficiary_id JOIN residents r ON r.account_id = c.claimer_id WHERE r.household_id = b.household_id`},
			{"claimers over the cap of 3", `SELECT count(*) FROM (SELECT claimer_id FROM wish_claims WHERE ended_at IS NULL
				GROUP BY claimer_id HAVING count(*) > 3) x`},
		} {
			var args []any
			if strings.Contains(c.q, "$1") {
				args = append(args, now)
			}
			if n := queryInt(t, d, c.q, args...); n != 0 {
				t.Errorf("%s: got %d, want 0", c.what, n)
			}
		}
		active := func(phone string) int {
			return queryInt(t, d, `SELECT count(*) FROM wish_claims c JOIN accounts a ON a.id = c.claimer_id
				WHERE a.phone = $1 AND c.ended_at IS NULL`, phone)
		}
		if n := active("13800000002"); n != 0 {
			t.Errorf("active claims of the demo volunteer: got %d, want 0, so that he may claim 3", n)
		}
		if n := active("13800000003"); n < 1 || n > 2 {
			t.Errorf("active claims of the demo party member: got %d, want 1 or 2", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM wish_claims WHERE end_reason IN ('released', 'lapsed')`); n == 0 {
			t.Error("no claim was ever released or lapsed")
		}
		// Other volunteers serve too: accounts of residents, outside the demo accounts' range.
		if n := queryInt(t, d, `SELECT count(DISTINCT c.claimer_id) FROM wish_claims c JOIN accounts a ON a.id = c.claimer_id
			JOIN residents r ON r.account_id = a.id WHERE a.phone NOT LIKE '1380000%' AND a.name = r.name`); n < 3 {
			t.Errorf("volunteers besides the demo accounts: got %d, want a few", n)
		}
	})

	t.Run("Ledger", func(t *testing.T) {
		for _, c := range []struct{ what, q string }{
			{"credits not for the current claim of a confirmed or closed wish, by its claimer, of its minutes", `SELECT count(*)
				FROM volunteer_ledger l LEFT JOIN wishes w ON w.id = l.wish_id AND w.claim_id = l.claim_id AND w.state IN ('confirmed', 'closed')
				LEFT JOIN wish_claims c ON c.id = l.claim_id AND c.claimer_id = l.account_id
				WHERE l.kind = 'credit' AND (w.id IS NULL OR c.id IS NULL OR l.minutes <> w.fulfil_minutes
					OR l.points <> (l.minutes * 10 + 30) / 60 OR l.at <> w.confirmed_at)`},
			{"reversals not undoing a credit of the same claim exactly", `SELECT count(*) FROM volunteer_ledger r
				LEFT JOIN volunteer_ledger l ON l.id = r.reverses_id AND l.kind = 'credit' AND l.claim_id = r.claim_id
					AND l.account_id = r.account_id AND r.minutes = -l.minutes AND r.points = -l.points AND r.at > l.at
				WHERE r.kind = 'reversal' AND l.id IS NULL`},
			{"confirmed wishes without a credit", `SELECT count(*) FROM wishes w WHERE w.state = 'confirmed'
				AND NOT EXISTS (SELECT 1 FROM volunteer_ledger l WHERE l.claim_id = w.claim_id AND l.kind = 'credit')`},
			{"closed wishes with a credit standing", `SELECT count(*) FROM wishes w WHERE w.state = 'closed' AND (SELECT coalesce(sum(minutes), 0)
				FROM volunteer_ledger l WHERE l.claim_id = w.claim_id) <> 0`},
		} {
			if n := queryInt(t, d, c.q); n != 0 {
				t.Errorf("%s: got %d, want 0", c.what, n)
			}
		}
		// Every volunteer's totals add up exactly from the confirmed records: credits minus
		// reversals are the hours of the confirmed wishes they fulfilled.
		var rows []struct {
			Phone   string `db:"phone"`
			Minutes int    `db:"minutes"`
			Points  int    `db:"points"`
			Want    int    `db:"want"`
			Credits int    `db:"credits"`
		}
		if err := d.Select(&rows, `SELECT a.phone,
				coalesce(sum(l.minutes) FILTER (WHERE l.kind = 'credit'), 0) + coalesce(sum(l.minutes) FILTER (WHERE l.kind = 'reversal'), 0) AS minutes,
				coalesce(sum(l.points) FILTER (WHERE l.kind = 'credit'), 0) + coalesce(sum(l.points) FILTER (WHERE l.kind = 'reversal'), 0) AS points,
				count(l.id) FILTER (WHERE l.kind = 'credit') AS credits,
				(SELECT coalesce(sum(w.fulfil_minutes), 0) FROM wishes w JOIN wish_claims c ON c.id = w.claim_id
					WHERE c.claimer_id = a.id AND w.state = 'confirmed') AS want
			FROM accounts a LEFT JOIN volunteer_ledger l ON l.account_id = a.id
			WHERE EXISTS (SELECT 1 FROM wish_claims c WHERE c.claimer_id = a.id)
			GROUP BY a.id ORDER BY a.phone`); err != nil {
			t.Fatal(err)
		}
		credits := 0
		for _, r := range rows {
			credits += r.Credits
			if r.Minutes != r.Want {
				t.Errorf("%s: ledger %d minutes, confirmed wishes %d", r.Phone, r.Minutes, r.Want)
			}
			totals := queryInt(t, d, `SELECT coalesce(sum((l.minutes * 10 + 30) / 60), 0) FROM volunteer_ledger l JOIN accounts a ON a.id = l.account_id
				WHERE a.phone = $1 AND l.kind = 'credit' AND NOT EXISTS (SELECT 1 FROM volunteer_ledger r WHERE r.reverses_id = l.id)`, r.Phone)
			if r.Points != totals {
				t.Errorf("%s: ledger %d points, credits standing %d", r.Phone, r.Points, totals)
			}
		}
		if credits < 5 || queryInt(t, d, `SELECT count(*) FROM volunteer_ledger WHERE kind = 'reversal'`) == 0 {
			t.Errorf("ledger: got %d credits and no reversal, want several credits and a reversal", credits)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM volunteer_ledger l JOIN accounts a ON a.id = l.account_id WHERE a.phone = '13800000002'`); n == 0 {
			t.Error("the demo volunteer has no record of service")
		}
	})

	t.Run("Timelines", func(t *testing.T) {
		var events []struct {
			Wish        int64      `db:"wish_id"`
			Title       string     `db:"title"`
			State       string     `db:"state"`
			Created     time.Time  `db:"created_at"`
			Updated     time.Time  `db:"updated_at"`
			SubmittedBy int64      `db:"submitted_by"`
			At          time.Time  `db:"at"`
			Action      string     `db:"action"`
			Actor       *int64     `db:"actor_id"`
			From        *string    `db:"from_state"`
			To          string     `db:"to_state"`
			Reason      *string    `db:"reason"`
			Claimer     *int64     `db:"claimer"`
			ClaimedAt   *time.Time `db:"claimed_at"`
			Reviews     bool       `db:"reviews"`
			Settles     bool       `db:"settles"`
			ForThem     bool       `db:"for_them"`
		}
		// Each event with what its actor must be: the claimer of the claim made, ended or
		// fulfilled then, staff or a grid worker of the beneficiary for a review, and the
		// beneficiary or their staff or grid worker to confirm or dispute.
		if err := d.Select(&events, `SELECT e.wish_id, w.title, w.state, w.created_at, w.updated_at, w.submitted_by, e.at,
				e.action, e.actor_id, e.from_state, e.to_state, e.reason,
				c.claimer_id AS claimer, c.claimed_at,
				EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = e.actor_id AND g.role IN ('staff', 'grid_worker') AND g.place_id = ANY(h.path)) AS reviews,
				EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = e.actor_id AND g.role = 'staff' AND g.place_id = ANY(h.path)) AS settles,
				coalesce(e.actor_id = b.account_id, false) AS for_them
			FROM wish_events e JOIN wishes w ON w.id = e.wish_id JOIN residents b ON b.id = w.beneficiary_id JOIN places h ON h.id = b.household_id
			LEFT JOIN LATERAL (SELECT * FROM wish_claims c WHERE c.wish_id = e.wish_id AND c.claimed_at <= e.at ORDER BY c.claimed_at DESC LIMIT 1) c ON true
			ORDER BY e.wish_id, e.id`); err != nil {
			t.Fatal(err)
		}
		wishes := 0
		for i, e := range events {
			first := i == 0 || events[i-1].Wish != e.Wish
			last := i == len(events)-1 || events[i+1].Wish != e.Wish
			fail := func(format string, args ...any) {
				t.Helper()
				t.Errorf("%s, %s %v→%s: %s", e.Title, e.Action, str(e.From), e.To, fmt.Sprintf(format, args...))
			}
			if first {
				wishes++
				if e.Action != "submit" || e.From != nil || e.To != "submitted" || !e.At.Equal(e.Created) || e.Actor == nil || *e.Actor != e.SubmittedBy {
					fail("want a timeline that starts with the submission, by the submitter, when created")
				}
			} else {
				prev := events[i-1]
				if e.From == nil || *e.From != prev.To || !e.At.After(prev.At) {
					fail("does not follow %s to %s at %v", prev.Action, prev.To, prev.At)
				}
			}
			if last && (e.To != e.State || !e.At.Equal(e.Updated)) {
				fail("the timeline ends in %s at %v, the wish is %s since %v", e.To, e.At, e.State, e.Updated)
			}
			claimer := e.Actor != nil && e.Claimer != nil && *e.Actor == *e.Claimer
			var ok bool
			switch e.Action {
			case "submit":
				ok = first
			case "publish":
				ok = e.Reviews && e.From != nil && *e.From == "submitted"
			case "reject":
				ok = e.Reviews && e.Reason != nil
			case "cancel":
				ok = e.Actor != nil && *e.Actor == e.SubmittedBy
			case "claim":
				ok = claimer && e.ClaimedAt.Equal(e.At)
			case "release", "fulfil":
				ok = claimer
			case "lapse":
				ok = e.Actor == nil && e.Reason != nil
			case "confirm":
				ok = e.ForThem || e.Reviews
			case "dispute":
				ok = (e.ForThem || e.Reviews) && e.Reason != nil
			case "settle":
				ok = e.Settles && e.Reason != nil
			}
			if !ok {
				fail("by the wrong person or without a reason")
			}
		}
		if n := queryInt(t, d, `SELECT count(*) FROM wishes`); wishes != n {
			t.Errorf("wishes with a timeline: got %d, want all %d", wishes, n)
		}
	})

	t.Run("Claimable", func(t *testing.T) {
		// Published in 和平社区, open, and not for the volunteer's household.
		n := queryInt(t, d, `SELECT count(*) FROM wishes w JOIN places p ON p.id = w.place_id
			JOIN places c ON c.id = ANY(p.path) AND c.name = '和平社区'
			JOIN residents b ON b.id = w.beneficiary_id
			WHERE w.state = 'published' AND w.deadline > $1
				AND b.household_id NOT IN (SELECT r.household_id FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = '13800000002')`, now)
		if n < 5 {
			t.Errorf("published wishes the demo volunteer may claim: got %d, want at least 5", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM wishes WHERE state = 'published' AND deadline <= $1::timestamptz + interval '24 hours'`, now); n < 2 {
			t.Errorf("published wishes due within 24 hours: got %d, want a couple", n)
		}
	})
}

func str(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

// The board as the demo accounts see it through the store: the volunteer's feed has wishes
// he may claim, most urgent first, and he can claim one; staff have claims lapsing soon, a
// dispute to settle and wishes to review.
func TestLoadDemo_WishBoard(t *testing.T) {
	t.Parallel()
	s, _ := newDemoStore(t, cheapPassword)
	loadDemo(t, s)
	ctx := t.Context()
	viewer := func(phone string) *db.Viewer {
		t.Helper()
		session, err := s.Login(ctx, phone, demo.Password, "192.0.2.1")
		if err != nil {
			t.Fatalf("login %s: %v", phone, err)
		}
		v, err := s.ViewerByToken(ctx, session.Token)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	volunteer := viewer("13800000002")
	feed, _, err := s.WishFeed(ctx, volunteer, db.Page{First: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(feed.Items) < 5 {
		t.Fatalf("the demo volunteer's feed: got %d wishes, want at least 5", len(feed.Items))
	}
	if !feed.Items[0].Deadline.Before(demoNow.Add(24 * time.Hour)) {
		t.Errorf("first in the feed: %s due %v, want one due within a day", feed.Items[0].Title, feed.Items[0].Deadline)
	}
	for _, phone := range []string{"13800000002", "13800000003"} {
		w, err := s.ClaimWish(ctx, viewer(phone), feed.Items[0].ID)
		if phone == "13800000002" && (err != nil || w.State != db.WishClaimed) {
			t.Fatalf("claim %s as the demo volunteer: %v", feed.Items[0].Title, err)
		}
		if phone == "13800000003" && db.ErrorCode(err) != db.ECONFLICT {
			t.Errorf("claim %s again as the party member: got %v, want CONFLICT", feed.Items[0].Title, err)
		}
	}
	party, _, err := s.WishFeed(ctx, viewer("13800000003"), db.Page{First: 50})
	if err != nil || len(party.Items) < 4 {
		t.Errorf("the demo party member's feed: got %d wishes (%v), want several", len(party.Items), err)
	}

	staff := viewer("13800000006")
	for _, q := range []struct {
		kind   db.QueueKind
		within time.Duration
	}{{db.QueueLapsing, 24 * time.Hour}, {db.QueueDisputed, 0}, {db.QueueReview, 0}} {
		page, _, err := s.WishQueue(ctx, staff, q.kind, 0, q.within, db.Page{First: 50})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) == 0 {
			t.Errorf("staff's %s queue is empty", q.kind)
		}
	}
	record, err := s.VolunteerTotals(ctx, volunteer, volunteer.Account.ID)
	if err != nil || record.Wishes == 0 || record.Minutes == 0 {
		t.Errorf("the demo volunteer's record: got %+v (%v), want some service", record, err)
	}
}

// The deliberation demo: topics in every state with timelines that lead there, a finished
// owners' assembly whose stored result is what the rule makes of its ballots, a rated case
// and a vote open now that 张秀英 has yet to vote in. It holds together at any hour.
func TestLoadDemo_Deliberation(t *testing.T) {
	t.Parallel()
	for _, now := range []time.Time{demoNow, demoNow.Add(15*time.Hour + 17*time.Minute), demoNow.AddDate(0, 0, 3).Add(-8*time.Hour - 50*time.Minute)} {
		t.Run(now.Format("Mon1504"), func(t *testing.T) {
			t.Parallel()
			s, d := newDemoStore(t, cheapPassword)
			s.Now = func() time.Time { return now }
			loadDemo(t, s)
			checkDeliberation(t, s, d, now)
		})
	}
}

// checkDeliberation checks the deliberation demo, loaded as of now.
func checkDeliberation(t *testing.T, s *db.Store, d *sqlx.DB, now time.Time) {
	t.Helper()
	t.Run("States", func(t *testing.T) {
		got := queryStrings(t, d, `SELECT DISTINCT state::text FROM topics ORDER BY 1`)
		want := []string{"accepted", "being_carried_out", "declined", "proposed", "rated", "ready", "under_discussion", "withdrawn"}
		if !slices.Equal(got, want) {
			t.Errorf("topic states: got %v, want %v", got, want)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM topics t JOIN places c ON c.id = t.community_id WHERE c.name <> '和平社区'`); n != 0 {
			t.Errorf("topics outside 和平社区: got %d, want 0", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM topics WHERE (state IN ('declined', 'withdrawn')) <> (closing_reason IS NOT NULL)`); n != 0 {
			t.Errorf("topics whose closing reason does not fit their state: %d", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM topic_comments WHERE reply_to IS NOT NULL`); n == 0 {
			t.Error("no replies in the discussion")
		}
		if got := queryStrings(t, d, `SELECT DISTINCT stance::text FROM topic_comments WHERE stance IS NOT NULL ORDER BY 1`); !slices.Equal(got, []string{"against", "for", "neutral"}) {
			t.Errorf("comment stances: got %v, want all three", got)
		}
	})

	t.Run("Timelines", func(t *testing.T) {
		for _, tl := range []struct{ table, events, key string }{
			{"topics", "topic_events", "topic_id"}, {"meetings", "meeting_events", "meeting_id"},
		} {
			var rows []struct {
				ID    int64     `db:"id"`
				State string    `db:"state"`
				Owner int64     `db:"owner"`
				From  *string   `db:"from_state"`
				To    string    `db:"to_state"`
				At    time.Time `db:"at"`
			}
			if err := d.Select(&rows, `SELECT x.id, x.state::text AS state, e.`+tl.key+` AS owner, e.from_state::text AS from_state,
					e.to_state::text AS to_state, e.at
				FROM `+tl.table+` x JOIN `+tl.events+` e ON e.`+tl.key+` = x.id ORDER BY x.id, e.id`); err != nil {
				t.Fatal(err)
			}
			if len(rows) == 0 {
				t.Fatalf("%s: no timeline", tl.events)
			}
			for i, r := range rows {
				first := i == 0 || rows[i-1].ID != r.ID
				last := i == len(rows)-1 || rows[i+1].ID != r.ID
				switch {
				case first && r.From != nil:
					t.Errorf("%s %d: first step from %s, want from none", tl.table, r.ID, *r.From)
				case !first && (r.From == nil || *r.From != rows[i-1].To):
					t.Errorf("%s %d: step from %s after a step to %s", tl.table, r.ID, str(r.From), rows[i-1].To)
				case !first && r.At.Before(rows[i-1].At):
					t.Errorf("%s %d: step at %v before the one before it", tl.table, r.ID, r.At)
				}
				if r.At.After(now) {
					t.Errorf("%s %d: step at %v, after now", tl.table, r.ID, r.At)
				}
				if last && r.To != r.State {
					t.Errorf("%s %d: state %s, but the timeline ends at %s", tl.table, r.ID, r.State, r.To)
				}
			}
		}
	})

	t.Run("OpenVote", func(t *testing.T) {
		var v struct {
			ID       int64     `db:"id"`
			ClosesAt time.Time `db:"closes_at"`
			OpensAt  time.Time `db:"opens_at"`
			Topic    string    `db:"topic_state"`
		}
		if err := d.Get(&v, `SELECT v.id, v.closes_at, v.opens_at, t.state::text AS topic_state
			FROM votes v JOIN topics t ON t.id = v.topic_id WHERE v.state = 'open'`); err != nil {
			t.Fatalf("the one open vote: %v", err)
		}
		if !v.ClosesAt.After(now) || v.OpensAt.After(now) {
			t.Errorf("open vote: opens %v, closes %v; want open now (%v)", v.OpensAt, v.ClosesAt, now)
		}
		if v.Topic != "under_discussion" {
			t.Errorf("open vote's topic: got %s, want under_discussion", v.Topic)
		}
		roll := queryInt(t, d, `SELECT count(*) FROM vote_entitled WHERE vote_id = $1`, v.ID)
		if n := queryInt(t, d, `SELECT count(*) FROM votes v WHERE (v.entitled_heads, v.entitled_area)
			<> (SELECT count(DISTINCT e.head), coalesce(sum(e.area_dm2), 0) FROM vote_entitled e WHERE e.vote_id = v.id)`); n != 0 {
			t.Errorf("%d votes whose stored roll totals are not their roll's", n)
		}
		voted := queryInt(t, d, `SELECT count(*) FROM vote_participation WHERE vote_id = $1`, v.ID)
		if voted == 0 || voted*4 < roll || voted*2 > roll {
			t.Errorf("open vote: %d of %d voted, want about a third", voted, roll)
		}
		// Its ballots are sealed sums, in every stripe; no choice is kept (it is not changeable).
		if n := queryInt(t, d, `SELECT count(*) FROM ballot_sums WHERE vote_id = $1`, v.ID); n != 32 {
			t.Errorf("open vote: %d stripes of sums, want 32", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM ballot_choices`); n != 0 {
			t.Errorf("open vote: %d sealed choices, want none", n)
		}
		const resident = `(SELECT r.id FROM residents r JOIN accounts a ON a.id = r.account_id WHERE a.phone = '13800000001')`
		if n := queryInt(t, d, `SELECT count(*) FROM vote_entitled WHERE vote_id = $1 AND resident_id = `+resident, v.ID); n != 1 {
			t.Error("张秀英 is not on the open vote's roll")
		}
		if n := queryInt(t, d, `SELECT count(*) FROM vote_participation WHERE vote_id = $1 AND resident_id = `+resident, v.ID); n != 0 {
			t.Error("张秀英 has voted in the open vote already")
		}
		// The roll is the verified adults of 和平社区 on the day it opened.
		if n := queryInt(t, d, `SELECT count(*) FROM residents r JOIN places h ON h.id = r.household_id
			JOIN places c ON c.id = ANY (h.path) AND c.name = '和平社区'
			WHERE r.verified_at IS NOT NULL AND r.birth_date <= ($2 AT TIME ZONE 'Asia/Shanghai')::date - interval '18 years'
				AND NOT EXISTS (SELECT 1 FROM vote_entitled e WHERE e.vote_id = $1 AND e.resident_id = r.id)`, v.ID, v.OpensAt); n != 0 {
			t.Errorf("adults of 和平社区 missing from the open vote's roll: %d", n)
		}
	})

	t.Run("OwnersAssembly", func(t *testing.T) {
		var v struct {
			ID           int64  `db:"id"`
			Meeting      int64  `db:"meeting_id"`
			Topic        int64  `db:"topic_id"`
			Rule         string `db:"rule"`
			EntHeads     int64  `db:"entitled_heads"`
			EntArea      int64  `db:"entitled_area"`
			PresentHeads int64  `db:"present_heads"`
			PresentArea  int64  `db:"present_area"`
			PartHeads    int64  `db:"participating_heads"`
			PartArea     int64  `db:"participating_area"`
			QuorumMet    bool   `db:"quorum_met"`
			Passed       bool   `db:"passed"`
			RuleMatches  bool   `db:"rule_matches"`
		}
		if err := d.Get(&v, `SELECT v.id, v.meeting_id, v.topic_id, v.rule, v.entitled_heads, v.entitled_area, v.present_heads,
				v.present_area, v.participating_heads, v.participating_area, v.quorum_met, v.passed,
				(v.quorum_num, v.quorum_den, v.quorum_strict, v.pass_num, v.pass_den, v.pass_strict, v.by_area, v.quorum_basis, v.abstentions)
					= (2, 3, false, 1, 2, true, true, 'voted', 'as_present_not_approving') AS rule_matches
			FROM votes v JOIN meetings m ON m.id = v.meeting_id
			WHERE m.kind = 'owners_assembly' AND m.state = 'closed' AND v.state = 'closed' AND v.secret AND NOT v.changeable`); err != nil {
			t.Fatalf("the owners' assembly's vote: %v", err)
		}
		if v.Rule != "owners_ordinary" || !v.RuleMatches {
			t.Errorf("owners' vote rule: got %s (columns match the preset: %v), want owners_ordinary", v.Rule, v.RuleMatches)
		}
		// Recount from the roll and who voted; the ballots are gone, and the stored tallies
		// must hold exactly one ballot per voter, by heads and by area.
		var c struct {
			EntHeads  int64 `db:"ent_heads"`
			EntArea   int64 `db:"ent_area"`
			PartHeads int64 `db:"part_heads"`
			PartArea  int64 `db:"part_area"`
		}
		// By head: a head's area is the sum of its rows; it took part if one of its people did.
		if err := d.Get(&c, `SELECT count(*) AS ent_heads, sum(area)::bigint AS ent_area,
				count(*) FILTER (WHERE voted) AS part_heads, coalesce(sum(area) FILTER (WHERE voted), 0)::bigint AS part_area
			FROM (SELECT e.head, sum(e.area_dm2) AS area, bool_or(p.resident_id IS NOT NULL) AS voted
				FROM vote_entitled e LEFT JOIN vote_participation p ON p.vote_id = e.vote_id AND p.resident_id = e.resident_id
				AND p.head = e.head WHERE e.vote_id = $1 GROUP BY e.head) x`, v.ID); err != nil {
			t.Fatal(err)
		}
		var ballots []struct {
			Position int   `db:"position"`
			Heads    int64 `db:"heads"`
			Area     int64 `db:"area"`
		}
		if err := d.Select(&ballots, `SELECT position, heads, area_dm2 AS area FROM vote_results WHERE vote_id = $1 ORDER BY position`,
			v.ID); err != nil {
			t.Fatal(err)
		}
		if len(ballots) != 3 {
			t.Fatalf("owners' vote options: got %d, want 同意/反对/弃权", len(ballots))
		}
		var sum db.Count
		for _, b := range ballots {
			sum.Heads += b.Heads
			sum.Area += b.Area
		}
		if sum != (db.Count{Heads: c.PartHeads, Area: c.PartArea}) {
			t.Errorf("owners' vote results: tallies add up to %+v, the voters to %d heads and %d area", sum, c.PartHeads, c.PartArea)
		}
		count := func(i int) db.Count { return db.Count{Heads: ballots[i].Heads, Area: ballots[i].Area} }
		tally := db.Tally{Entitled: db.Count{Heads: c.EntHeads, Area: c.EntArea}, Present: db.Count{Heads: c.PartHeads, Area: c.PartArea},
			Approve: count(0), Oppose: count(1), Abstain: count(2)}
		dec, err := db.Preset(db.PresetOwnersOrdinary).Decide(tally)
		if err != nil {
			t.Fatal(err)
		}
		got := [...]int64{v.EntHeads, v.EntArea, v.PresentHeads, v.PresentArea, v.PartHeads, v.PartArea}
		want := [...]int64{c.EntHeads, c.EntArea, c.PartHeads, c.PartArea, c.PartHeads, c.PartArea}
		if got != want || v.QuorumMet != dec.QuorumMet || v.Passed != dec.Passed {
			t.Errorf("owners' vote: stored %v quorum %v passed %v; recount %v quorum %v passed %v", got, v.QuorumMet, v.Passed, want, dec.QuorumMet, dec.Passed)
		}
		if !dec.Passed {
			t.Errorf("owners' vote: the recount does not pass it (%+v)", tally)
		}
		if c.PartHeads == c.EntHeads {
			t.Error("owners' vote: everyone voted; want some who did not")
		}

		// The roll: the owners of 和平花园小区 as the service counts them on the day the
		// meeting started, copied to the vote with the building of each household.
		var compound int64
		var starts time.Time
		if err := d.QueryRow(`SELECT place_id, starts_at FROM meetings WHERE id = $1`, v.Meeting).Scan(&compound, &starts); err != nil {
			t.Fatal(err)
		}
		tx, err := s.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		roll, err := tx.OwnersRoll(compound, db.ChinaDay(starts))
		tx.Rollback()
		if err != nil {
			t.Fatal(err)
		}
		var stored []db.OwnersRollRow
		if err := d.Select(&stored, `SELECT head, coalesce(resident_id, 0) AS resident, household_id AS household, area_dm2 AS areadm2
			FROM meeting_entitled WHERE meeting_id = $1 ORDER BY head, household_id, resident_id`, v.Meeting); err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(roll, func(a, b db.OwnersRollRow) int {
			return cmp.Or(cmp.Compare(a.Head, b.Head), cmp.Compare(a.Household, b.Household), cmp.Compare(a.Resident, b.Resident))
		})
		if !slices.Equal(roll, stored) || len(roll) == 0 {
			t.Errorf("the meeting's roll differs from the owners counted on its day: %d rows, want %d", len(stored), len(roll))
		}
		if c.EntHeads >= int64(len(roll)) {
			t.Errorf("owners' roll: %d heads in %d rows, want fewer heads than rows (co-owners, several flats)", c.EntHeads, len(roll))
		}
		if n := queryInt(t, d, `SELECT count(*) FROM meeting_entitled m FULL JOIN (SELECT * FROM vote_entitled WHERE vote_id = $2) e
				ON e.head = m.head AND e.resident_id IS NOT DISTINCT FROM m.resident_id AND e.household_id = m.household_id AND e.area_dm2 = m.area_dm2
				AND e.building_id = (SELECT b.id FROM places h JOIN places b ON b.id = ANY (h.path) AND b.level = 'building' WHERE h.id = m.household_id)
			WHERE (m.meeting_id = $1 OR m.meeting_id IS NULL) AND (m.head IS NULL OR e.head IS NULL)`, v.Meeting, v.ID); n != 0 {
			t.Errorf("the vote's roll differs from the meeting's: %d rows", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM meeting_attendance WHERE meeting_id = $1`, v.Meeting); n < int(c.PartHeads) {
			t.Errorf("attendance: got %d, want at least the %d who voted", n, c.PartHeads)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM meetings WHERE id = $1 AND minutes IS NOT NULL AND starts_at < $2::timestamptz - interval '14 days'`, v.Meeting, now); n != 1 {
			t.Error("the owners' assembly has no minutes, or is not weeks past")
		}

		// Its resolution is being carried out: three tasks, one done, one answered concern.
		var r struct {
			ID    int64  `db:"id"`
			State string `db:"state"`
			Topic string `db:"topic_state"`
		}
		if err := d.Get(&r, `SELECT r.id, r.state::text AS state, t.state::text AS topic_state
			FROM resolutions r JOIN topics t ON t.id = r.topic_id WHERE r.vote_id = $1`, v.ID); err != nil {
			t.Fatalf("the owners' resolution: %v", err)
		}
		if r.State != "being_carried_out" || r.Topic != "being_carried_out" {
			t.Errorf("owners' resolution and topic: got %s and %s, want being_carried_out", r.State, r.Topic)
		}
		if got := queryStrings(t, d, `SELECT state::text FROM resolution_tasks WHERE resolution_id = $1 ORDER BY 1`, r.ID); !slices.Equal(got, []string{"done", "open", "open"}) {
			t.Errorf("owners' resolution tasks: got %v, want two open and one done", got)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM resolution_tasks t WHERE t.resolution_id = $1 AND NOT EXISTS (
				SELECT 1 FROM role_grants g JOIN places p ON p.id = g.place_id JOIN places c ON c.name = '和平社区'
				WHERE g.account_id = t.assignee_id AND g.revoked_at IS NULL AND p.path @> ARRAY[c.id])`, r.ID); n != 0 {
			t.Errorf("tasks assigned to someone without a role in 和平社区: %d", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM resolution_objections WHERE resolution_id = $1 AND upheld = false`, r.ID); n != 1 {
			t.Errorf("answered objections: got %d, want 1", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM task_supervision n JOIN resolution_tasks t ON t.id = n.task_id
			WHERE t.resolution_id = $1 AND n.concern AND n.answer IS NOT NULL`, r.ID); n != 1 {
			t.Errorf("answered concerns: got %d, want 1", n)
		}
		if n := queryInt(t, d, `SELECT count(*) FROM resolution_tasks t WHERE t.resolution_id = $1 AND t.state = 'done'
			AND (SELECT done FROM task_reports WHERE task_id = t.id ORDER BY id DESC LIMIT 1)`, r.ID); n != 1 {
			t.Error("the done task's last report does not say done")
		}
	})

	t.Run("Rated", func(t *testing.T) {
		var r struct {
			ID      int64  `db:"id"`
			State   string `db:"state"`
			Ratings int    `db:"ratings"`
			Open    int    `db:"open"`
			Passed  bool   `db:"passed"`
		}
		if err := d.Get(&r, `SELECT r.id, r.state::text AS state, v.passed,
				(SELECT count(*) FROM result_ratings x WHERE x.resolution_id = r.id) AS ratings,
				(SELECT count(*) FROM resolution_tasks x WHERE x.resolution_id = r.id AND x.state = 'open') AS open
			FROM resolutions r JOIN topics t ON t.id = r.topic_id JOIN votes v ON v.id = r.vote_id
			WHERE t.state = 'rated' AND v.meeting_id IS NULL AND v.rule = 'residents_assembly'`); err != nil {
			t.Fatalf("the rated topic's resolution: %v", err)
		}
		if r.State != "result_published" || !r.Passed || r.Open != 0 || r.Ratings < 10 || r.Ratings > 20 {
			t.Errorf("rated resolution: %+v; want result_published, passed, no open tasks, 10 to 20 ratings", r)
		}
		if n := queryInt(t, d, `SELECT round(avg(score) * 10)::int FROM result_ratings WHERE resolution_id = $1`, r.ID); n < 38 {
			t.Errorf("average rating ×10: got %d, want mostly 4 and 5", n)
		}
	})
}

// A visitor to the playground can take part as 张秀英: vote in the open vote (once), co-sign
// the proposed topic and rate the published result.
func TestLoadDemo_DeliberationPlayground(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	loadDemo(t, s)
	ctx := t.Context()
	session, err := s.Login(ctx, "13800000001", demo.Password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.ViewerByToken(ctx, session.Token)
	if err != nil {
		t.Fatal(err)
	}
	open := int64(queryInt(t, d, `SELECT id FROM votes WHERE state = 'open'`))
	if _, err := s.CastBallot(ctx, v, open, "同意"); err != nil {
		t.Fatalf("张秀英 votes: %v", err)
	}
	if _, err := s.CastBallot(ctx, v, open, "反对"); db.ErrorCode(err) != db.ECONFLICT {
		t.Errorf("张秀英 votes again: got %v, want CONFLICT", err)
	}
	proposed := int64(queryInt(t, d, `SELECT id FROM topics WHERE state = 'proposed'`))
	if _, err := s.CosignTopic(ctx, v, proposed); err != nil {
		t.Errorf("张秀英 co-signs the proposed topic: %v", err)
	}
	rated := int64(queryInt(t, d, `SELECT r.id FROM resolutions r WHERE r.state = 'result_published'`))
	if _, err := s.RateResult(ctx, v, rated, 5, nil); err != nil {
		t.Errorf("张秀英 rates the result: %v", err)
	}
}

// The deliberation demo comes out the same on every empty database, ballots included.
func TestLoadDemo_DeliberationDeterministic(t *testing.T) {
	t.Parallel()
	s1, d1 := newDemoStore(t, cheapPassword)
	s2, d2 := newDemoStore(t, cheapPassword)
	loadDemo(t, s1)
	loadDemo(t, s2)
	for _, q := range []string{
		`SELECT concat_ws(' ', place_id, raised_by, title, state, closing_reason, created_at, updated_at) FROM topics ORDER BY id`,
		`SELECT concat_ws(' ', at, action, actor_id, from_state, to_state, reason) FROM topic_events ORDER BY id`,
		`SELECT concat_ws(' ', account_id, at) FROM topic_cosigners ORDER BY topic_id, account_id`,
		`SELECT concat_ws(' ', resident_id, household_id, area_dm2) FROM meeting_entitled ORDER BY resident_id`,
		`SELECT concat_ws(' ', resident_id, checked_in_at) FROM meeting_attendance ORDER BY resident_id`,
		`SELECT concat_ws(' ', vote_id, resident_id) FROM vote_participation ORDER BY vote_id, resident_id`,
		`SELECT concat_ws(' ', vote_id, position, heads, area_dm2) FROM vote_results ORDER BY vote_id, position`,
		`SELECT concat_ws(' ', resident_id, score, created_at) FROM result_ratings ORDER BY resident_id`,
	} {
		a, b := queryStrings(t, d1, q), queryStrings(t, d2, q)
		if !slices.Equal(a, b) {
			t.Errorf("%s: the two databases differ", q)
		}
		if len(a) == 0 {
			t.Errorf("%s: no rows", q)
		}
	}
}
