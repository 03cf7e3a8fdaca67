package district_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
	"linli/db/district"
)

// smallDistrict is a district small enough for the default test run.
func smallDistrict() district.Config {
	return district.Config{Seed: 42, Subdistricts: 2, Communities: 4, Residents: 3000, Wishes: 10000, Votes: 20,
		Ballots: 2000, Years: 2, Now: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), BallotKey: generateBallotKey}
}

// generateBallotKey seals the generated open secret votes.
var generateBallotKey = bytes.Repeat([]byte{0xa5}, 32)

func generate(t *testing.T, cfg district.Config) *sqlx.DB {
	t.Helper()
	d, _ := dbtest.New(t)
	if err := district.Generate(context.Background(), d, cfg, t.Logf); err != nil {
		t.Fatal(err)
	}
	return d
}

func count(t *testing.T, d *sqlx.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Get(&n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestGenerateSmallDistrict(t *testing.T) {
	cfg := smallDistrict()
	checkDistrict(t, generate(t, cfg), cfg)
}

// checkDistrict checks that d holds the district cfg asks for, consistent throughout.
func checkDistrict(t *testing.T, d *sqlx.DB, cfg district.Config) {
	t.Helper()
	var states []struct {
		State string `db:"state"`
		N     int    `db:"n"`
	}
	if err := d.Select(&states, `SELECT state::text, count(*) AS n FROM wishes GROUP BY 1 ORDER BY 2 DESC`); err != nil {
		t.Fatal(err)
	}
	t.Logf("wishes by state: %v", states)
	open := max(1, cfg.Votes*2/100)
	for _, c := range []struct {
		what  string
		query string
		want  int
	}{
		{"subdistricts", `SELECT count(*) FROM places WHERE level = 'subdistrict'`, cfg.Subdistricts},
		{"communities", `SELECT count(*) FROM places WHERE level = 'community'`, cfg.Communities},
		{"residents", `SELECT count(*) FROM residents`, cfg.Residents},
		{"wishes", `SELECT count(*) FROM wishes`, cfg.Wishes},
		{"votes", `SELECT count(*) FROM votes`, cfg.Votes},
		{"wish states", `SELECT count(DISTINCT state) FROM wishes`, 9},
		{"wish categories", `SELECT count(DISTINCT category) FROM wishes`, 7},
		{"topic states", `SELECT count(DISTINCT state) FROM topics`, 11},
		{"analysts", `SELECT count(*) FROM role_grants WHERE role = 'analyst'`, 2 * cfg.Subdistricts}, // one per subdistrict, and the known one over all
		{"grids without a grid worker", `SELECT count(*) FROM places p WHERE level = 'grid'
			AND NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.place_id = p.id AND g.role = 'grid_worker')`, 0},
		{"households without residents", `SELECT count(*) FROM places h WHERE level = 'household'
			AND NOT EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id)`, 0},
		// Wishes and their claims agree.
		{"claimed wishes without one active claim", `SELECT count(*) FROM wishes w WHERE (w.state = 'claimed') <>
			EXISTS (SELECT 1 FROM wish_claims c WHERE c.id = w.claim_id AND c.ended_at IS NULL)`, 0},
		{"active claims not the wish's", `SELECT count(*) FROM wish_claims c JOIN wishes w ON w.id = c.wish_id
			WHERE c.ended_at IS NULL AND w.claim_id <> c.id`, 0},
		{"claim_id not the last claim", `SELECT count(*) FROM wishes w
			FULL JOIN (SELECT wish_id, max(id) AS last FROM wish_claims GROUP BY wish_id) c ON c.wish_id = w.id
			WHERE w.claim_id IS DISTINCT FROM c.last`, 0},
		{"fulfilled wishes without fulfilment", `SELECT count(*) FROM wishes WHERE state IN ('fulfilled', 'confirmed')
			AND (fulfilled_at IS NULL OR fulfil_minutes IS NULL)`, 0},
		{"confirmed wishes without confirmed_at", `SELECT count(*) FROM wishes WHERE state = 'confirmed' AND confirmed_at IS NULL`, 0},
		{"unclaimed wishes with a fulfilment", `SELECT count(*) FROM wishes WHERE state IN ('submitted', 'published', 'rejected')
			AND (fulfilled_at IS NOT NULL OR confirmed_at IS NOT NULL OR rating IS NOT NULL)`, 0},
		{"claimers not serving in the community", `SELECT count(*) FROM wish_claims c JOIN wishes w ON w.id = c.wish_id
			WHERE NOT EXISTS (SELECT 1 FROM role_grants g WHERE g.account_id = c.claimer_id
				AND g.role IN ('volunteer', 'party_member') AND g.place_id = w.community_id AND g.revoked_at IS NULL)`, 0},
		{"claimers over the claim limit", `SELECT count(*) FROM (SELECT claimer_id FROM wish_claims WHERE ended_at IS NULL
			GROUP BY claimer_id HAVING count(*) > 3) x`, 0},
		{"claimers of their own household's wish", `SELECT count(*) FROM wish_claims c JOIN wishes w ON w.id = c.wish_id
			JOIN residents b ON b.id = w.beneficiary_id JOIN residents cr ON cr.account_id = c.claimer_id
			WHERE cr.household_id = b.household_id`, 0},
		{"wrong community", `SELECT count(*) FROM wishes w JOIN places p ON p.id = w.place_id
			WHERE NOT p.path @> ARRAY[w.community_id]`, 0},
		// The event log tells each wish's story to its state.
		{"last event not the state", `SELECT count(*) FROM wishes w WHERE w.state <>
			(SELECT e.to_state FROM wish_events e WHERE e.wish_id = w.id ORDER BY e.id DESC LIMIT 1)`, 0},
		{"events out of order", `SELECT count(*) FROM (SELECT at < lag(at) OVER (PARTITION BY wish_id ORDER BY id) AS back,
			from_state IS DISTINCT FROM lag(to_state) OVER (PARTITION BY wish_id ORDER BY id) AS broken FROM wish_events) x
			WHERE back OR broken`, 0},
		{"events after now", `SELECT count(*) FROM wish_events WHERE at > $1`, 0},
		// One credit per claim credited; credits match confirmed wishes.
		{"claims credited twice", `SELECT count(*) FROM (SELECT claim_id FROM volunteer_ledger WHERE kind = 'credit'
			GROUP BY claim_id HAVING count(*) > 1) x`, 0},
		{"confirmed wishes without a standing credit", `SELECT count(*) FROM wishes w WHERE w.state = 'confirmed' AND NOT EXISTS (
			SELECT 1 FROM volunteer_ledger l WHERE l.claim_id = w.claim_id AND l.kind = 'credit'
				AND NOT EXISTS (SELECT 1 FROM volunteer_ledger x WHERE x.reverses_id = l.id))`, 0},
		{"credits of wishes not confirmed", `SELECT count(*) FROM volunteer_ledger l JOIN wishes w ON w.id = l.wish_id
			WHERE l.kind = 'credit' AND w.state NOT IN ('confirmed', 'disputed')
				AND NOT EXISTS (SELECT 1 FROM volunteer_ledger x WHERE x.reverses_id = l.id)`, 0},
		{"credits of the wrong size", `SELECT count(*) FROM volunteer_ledger l JOIN wishes w ON w.id = l.wish_id
			WHERE l.kind = 'credit' AND (l.minutes <> w.fulfil_minutes OR l.points <> (l.minutes * 10 + 30) / 60)
				AND w.claim_id = l.claim_id`, 0},
		// Deliberation.
		{"open votes", `SELECT count(*) FROM votes WHERE state = 'open'`, open},
		{"closed votes whose results disagree with the ballots", `SELECT count(*) FROM votes v WHERE v.state = 'closed' AND
			v.participating_heads <> (SELECT count(*) FROM vote_participation p WHERE p.vote_id = v.id)
			OR v.state = 'closed' AND v.participating_heads <> (SELECT sum(heads) FROM vote_results x WHERE x.vote_id = v.id)`, 0},
		{"wishes whose kept figures differ from a recount of their steps", `SELECT count(*) FROM
			((SELECT * FROM wish_stats EXCEPT SELECT * FROM wish_stats_source) UNION ALL (SELECT * FROM wish_stats_source EXCEPT SELECT * FROM wish_stats)) d`, 0},
		{"votes whose stored roll totals are not their roll's", `SELECT count(*) FROM votes v WHERE (v.entitled_heads, v.entitled_area)
			<> (SELECT count(DISTINCT e.head), coalesce(sum(e.area_dm2), 0) FROM vote_entitled e WHERE e.vote_id = v.id)`, 0},
		{"resolutions of votes that failed", `SELECT count(*) FROM resolutions r JOIN votes v ON v.id = r.vote_id WHERE NOT v.passed`, 0},
		{"passed votes without a resolution", `SELECT count(*) FROM votes v WHERE v.passed
			AND NOT EXISTS (SELECT 1 FROM resolutions r WHERE r.vote_id = v.id)`, 0},
	} {
		if got := count(t, d, c.query, argsFor(c.query, cfg)...); got != c.want {
			t.Errorf("%s: %d, want %d", c.what, got, c.want)
		}
	}
	ballots := count(t, d, `SELECT count(*) FROM vote_participation`)
	if ballots < cfg.Ballots*6/10 || ballots > cfg.Ballots*13/10 {
		t.Errorf("%d ballots, want about %d", ballots, cfg.Ballots)
	}
	for _, table := range []string{"meeting_entitled", "meeting_attendance", "vote_entitled", "resolutions",
		"resolution_objections", "resolution_tasks", "task_reports", "result_ratings", "topic_wishes", "topic_events"} {
		if n := count(t, d, `SELECT count(*) FROM `+table); n == 0 {
			t.Errorf("no %s", table)
		}
	}
	// A generated account signs in with the demo password.
	var hash string
	if err := d.Get(&hash, `SELECT password_hash FROM accounts ORDER BY id LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	if !db.CheckPassword(hash, demo.Password) {
		t.Error("the generated accounts' password is not the demo password")
	}
}

func argsFor(query string, cfg district.Config) []any {
	if strings.Contains(query, "$1") {
		return []any{cfg.Now}
	}
	return nil
}

// The tables compared for determinism, each as text in a fixed order. The password hash is
// left out: its salt is random.
var generatedTables = map[string]string{
	"places":      `SELECT id, level, parent_id, name, path, unit, room, floor_area_dm2, created_at FROM places`,
	"accounts":    `SELECT id, phone, name, created_at FROM accounts`,
	"residents":   `SELECT * FROM residents`,
	"role_grants": `SELECT * FROM role_grants`,
	"wishes":      `SELECT * FROM wishes`, "wish_claims": `SELECT * FROM wish_claims`, "wish_events": `SELECT * FROM wish_events`,
	"volunteer_ledger": `SELECT * FROM volunteer_ledger`, "topics": `SELECT * FROM topics`, "topic_events": `SELECT * FROM topic_events`,
	"topic_cosigners": `SELECT * FROM topic_cosigners`, "topic_wishes": `SELECT * FROM topic_wishes`,
	"topic_comments": `SELECT * FROM topic_comments`, "meetings": `SELECT * FROM meetings`,
	"meeting_events": `SELECT * FROM meeting_events`, "meeting_entitled": `SELECT * FROM meeting_entitled`,
	"meeting_attendance": `SELECT * FROM meeting_attendance`, "votes": `SELECT * FROM votes`,
	"vote_entitled": `SELECT * FROM vote_entitled`, "vote_participation": `SELECT * FROM vote_participation`,
	// Sealed values differ from run to run (random nonces): where they are is compared.
	"ballot_sums": `SELECT vote_id, stripe FROM ballot_sums`, "ballot_choices": `SELECT vote_id, replace_key FROM ballot_choices`,
	"open_ballots": `SELECT * FROM open_ballots`, "vote_results": `SELECT * FROM vote_results`,
	"resolutions": `SELECT * FROM resolutions`, "resolution_objections": `SELECT * FROM resolution_objections`,
	"resolution_tasks": `SELECT * FROM resolution_tasks`, "task_reports": `SELECT * FROM task_reports`,
	"task_supervision": `SELECT * FROM task_supervision`, "result_ratings": `SELECT * FROM result_ratings`,
}

func digests(t *testing.T, d *sqlx.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name, q := range generatedTables {
		var sum string
		if err := d.Get(&sum, `SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, E'\n' ORDER BY x::text)), '')
			FROM (`+q+`) x`); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = sum
	}
	return out
}

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := smallDistrict()
	cfg.Wishes, cfg.Residents, cfg.Seed = 4000, 2000, 7
	a, b := digests(t, generate(t, cfg)), digests(t, generate(t, cfg))
	for name, sum := range a {
		if b[name] != sum {
			t.Errorf("%s differs between two runs: %s and %s", name, sum, b[name])
		}
	}
	cfg.Seed++
	c := digests(t, generate(t, cfg))
	if c["wishes"] == a["wishes"] || c["residents"] == a["residents"] {
		t.Error("another seed gives the same district")
	}
}

func TestGenerateRefusesAFilledDatabase(t *testing.T) {
	d, _ := dbtest.New(t)
	if _, err := d.Exec(`INSERT INTO places (level, name) VALUES ('subdistrict', '幸福街道')`); err != nil {
		t.Fatal(err)
	}
	err := district.Generate(context.Background(), d, smallDistrict(), t.Logf)
	if err == nil || !strings.Contains(err.Error(), "already holds places") {
		t.Fatalf("Generate on a database with places: %v, want an error saying so", err)
	}
	if n := count(t, d, `SELECT count(*) FROM residents`); n != 0 {
		t.Errorf("%d residents written", n)
	}
}

// TestGenerateDistrictScale times a district of benchmark size; set LINLI_GENERATE_FULL=1.
func TestGenerateDistrictScale(t *testing.T) {
	if os.Getenv("LINLI_GENERATE_FULL") == "" {
		t.Skip("set LINLI_GENERATE_FULL=1 to generate a district at Scale")
	}
	start := time.Now()
	cfg := district.Scale(1, time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC))
	cfg.BallotKey = generateBallotKey
	d := generate(t, cfg)
	t.Logf("generated in %v", time.Since(start))
	checkDistrict(t, d, cfg)
	for _, q := range []string{`SELECT string_agg(state || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT state::text, count(*) AS n FROM wishes GROUP BY 1) x`,
		`SELECT string_agg(state || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT state::text, count(*) AS n FROM topics GROUP BY 1) x`,
		`SELECT string_agg(role || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT role::text, count(*) AS n FROM role_grants GROUP BY 1) x`,
		`SELECT string_agg(level || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT level::text, count(*) AS n FROM places GROUP BY 1) x`,
		`SELECT string_agg(kind || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT kind::text, count(*) AS n FROM volunteer_ledger GROUP BY 1) x`,
		`SELECT string_agg(rule || ' ' || state || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT rule, state::text, count(*) AS n FROM votes GROUP BY 1, 2) x`} {
		var s string
		if err := d.Get(&s, q); err != nil {
			t.Fatal(err)
		}
		t.Log(s)
	}
	for _, table := range []string{"places", "accounts", "residents", "role_grants", "wishes", "wish_claims", "wish_events",
		"volunteer_ledger", "topics", "topic_events", "topic_cosigners", "topic_wishes", "topic_comments", "meetings",
		"meeting_events", "meeting_entitled", "meeting_attendance", "votes", "vote_entitled", "vote_participation", "ballot_sums",
		"ballot_choices", "open_ballots", "vote_results", "resolutions", "resolution_objections", "resolution_tasks", "task_reports",
		"task_supervision", "result_ratings"} {
		t.Logf("%-22s %9d", table, count(t, d, `SELECT count(*) FROM `+table))
	}
}
