package db_test

import (
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
	return s, d
}

func loadDemo(t *testing.T, s *db.Store) {
	t.Helper()
	loaded, err := s.LoadDemo(t.Context())
	if err != nil {
		t.Fatalf("LoadDemo: %v", err)
	}
	if !loaded {
		t.Fatal("LoadDemo on an empty database: got loaded false, want true")
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
	t.Logf("LoadDemo took %v", time.Since(start))

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
		if len(db.DemoAccounts) != 11 || db.DemoAccounts[1].Role != string(db.RoleVolunteer) {
			t.Fatalf("DemoAccounts: got %d with %q second, want 11 with the volunteer second", len(db.DemoAccounts), db.DemoAccounts[1].Role)
		}
		seenRoles := map[string]bool{}
		for i, a := range db.DemoAccounts {
			seenRoles[a.Role] = true
			t.Run(a.Role+"_"+a.Phone, func(t *testing.T) {
				if want := fmt.Sprintf("138%08d", i+1); a.Phone != want {
					t.Errorf("phone: got %s, want %s", a.Phone, want)
				}
				if a.Password != db.DemoPassword {
					t.Errorf("password: got %q, want DemoPassword", a.Password)
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
		if err := d.Select(&counts, `SELECT count(*) FILTER (WHERE is_owner) FROM residents GROUP BY household_id`); err != nil {
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
		if n := queryInt(t, d, `SELECT count(*) FROM residents WHERE is_owner AND birth_date > $1::date - interval '18 years'`,
			demoNow.Format(time.DateOnly)); n != 0 {
			t.Errorf("owners under 18: got %d, want 0", n)
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

// counts are the rows of every table LoadDemo writes.
func counts(t *testing.T, d *sqlx.DB) string {
	t.Helper()
	var s string
	if err := d.Get(&s, `SELECT concat_ws(' ', (SELECT count(*) FROM places), (SELECT count(*) FROM accounts),
		(SELECT count(*) FROM residents), (SELECT count(*) FROM role_grants), (SELECT count(*) FROM audit_events),
		(SELECT count(*) FROM sessions))`); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestLoadDemo_Again(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	loadDemo(t, s)
	before := counts(t, d)
	loaded, err := s.LoadDemo(t.Context())
	if err != nil || loaded {
		t.Fatalf("second LoadDemo: got %v, %v; want false, nil", loaded, err)
	}
	if after := counts(t, d); after != before {
		t.Errorf("rows (places accounts residents grants events sessions): got %s, want %s", after, before)
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
	loaded, err := s.LoadDemo(t.Context())
	if err != nil || loaded {
		t.Fatalf("LoadDemo: got %v, %v; want false, nil", loaded, err)
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
		wg.Go(func() { results[i], errs[i] = s.LoadDemo(t.Context()) })
	}
	wg.Wait()
	loaded := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadDemo %d: %v", i, errs[i])
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
		`SELECT concat_ws(' ', name, phone, birth_date, is_owner, tags, account_id, verified_at IS NOT NULL) FROM residents ORDER BY id`,
		`SELECT concat_ws(' ', phone, name) FROM accounts ORDER BY id`,
		`SELECT concat_ws(' ', account_id, role, place_id) FROM role_grants ORDER BY id`,
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
// places), never one per row.
func TestLoadDemo_Statements(t *testing.T) {
	t.Parallel()
	s, d := newDemoStore(t, cheapPassword)
	statements := dbtest.Statements(t, d)
	loadDemo(t, s)
	if n := statements(); n > 20 {
		t.Errorf("statements: got %d, want at most 20", n)
	} else {
		t.Logf("LoadDemo ran %d statements", n)
	}
}
