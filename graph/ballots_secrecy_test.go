package graph_test

// Secret ballots tried by an attacker who holds a superuser connection to the database
// (e.db), system columns included, before and after close.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"linli/db"
)

// notBallots are the tables with a vote_id that are not ballots: the vote, its options,
// roll, who voted (public), its live turnout (public: heads and area that took part, per
// stripe), stored result, roll-call ballots (public by design), resolutions and
// notifications (that a vote opened, or that one has not voted yet: written when it opens
// and by the reminder pass, never by a voter's cast, and holding no choice). Every other
// table with a vote_id is attacked, so a table added later is too.
var notBallots = []string{"votes", "vote_options", "vote_entitled", "vote_participation", "vote_turnout", "vote_results",
	"open_ballots", "resolutions", "notifications"}

// ballotKeyColumns say which vote (and stripe) a row belongs to, or are the HMAC that finds a
// voter's row only with the ballot key; nothing else about the ballot.
var ballotKeyColumns = []string{"vote_id", "secret", "changeable", "stripe", "replace_key"}

type ballotColumn struct {
	Table string `db:"table_name"`
	Name  string `db:"column_name"`
	Type  string `db:"data_type"`
}

// secretVoteSetup is two secret owners' votes by area in 和平花园小区, one changeable, with
// the same roll of voters whose floor areas are all different.
type secretVoteSetup struct {
	tokens    []string
	residents []int64
	areas     []int64 // voter i's floor area, 0.01 m²
	votes     []string
	voteIDs   []int64
}

func newSecretVotes(t *testing.T, e *env, n int) *secretVoteSetup {
	t.Helper()
	s := &secretVoteSetup{tokens: e.newVotersFast(n)}
	if err := e.db.Select(&s.residents, `SELECT r.id FROM residents r JOIN accounts a ON a.id = r.account_id
		WHERE a.phone LIKE $1 ORDER BY a.phone`, fastVoterPhone+"%"); err != nil || len(s.residents) != n {
		t.Fatalf("voters: %v, %v", s.residents, err)
	}
	for i := range n {
		s.areas = append(s.areas, 6000+int64(263*i+i*i)) // all different
	}
	staff := e.login(phoneStaff)
	for i, changeable := range []bool{true, false} {
		v := mustVote(t, e.do(staff, qOpenVote, map[string]any{"in": map[string]any{"placeId": e.placeID("和平花园小区"),
			"topicId": e.acceptedTopic(fmt.Sprintf("无记名业主表决%d", i)), "title": "是否同意续聘物业",
			"closesAt": e.clock.Now().Add(time.Hour).Format(time.RFC3339), "secret": true, "changeable": changeable,
			"rule": "OWNERS_ORDINARY"}}))
		id := e.sqlInt(`SELECT max(id) FROM votes`)
		// The roll: these voters with these areas (the attack needs every area unique).
		if _, err := e.db.Exec(`DELETE FROM vote_entitled WHERE vote_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.Exec(`INSERT INTO vote_entitled (vote_id, resident_id, household_id, area_dm2)
			SELECT $1, r.id, r.household_id, a.area FROM unnest($2::bigint[], $3::bigint[]) a(resident, area)
			JOIN residents r ON r.id = a.resident`, id, pq.Array(s.residents), pq.Array(s.areas)); err != nil {
			t.Fatal(err)
		}
		e.storeRollTotals(id)
		s.votes, s.voteIDs = append(s.votes, v.ID), append(s.voteIDs, id)
	}
	return s
}

// wantTallies are the tallies of final choices (voter index → option) on areas.
func wantTallies(choices map[int]string, areas []int64) []tallyOut {
	out := []tallyOut{{"同意", 0, 0}, {"反对", 0, 0}, {"弃权", 0, 0}}
	for i, o := range choices {
		k := slices.Index(db.DefaultVoteOptions, o)
		out[k].Heads++
		out[k].AreaDm2 += int(areas[i])
	}
	return out
}

// attackBallots tries, as a reader of every table, to link a ballot to a voter in the given
// votes, and fails the test for each way it can. phase names the moment in messages.
func attackBallots(t *testing.T, e *env, voteIDs []int64, phase string) {
	t.Helper()
	var cols []ballotColumn
	if err := e.db.Select(&cols, `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
		WHERE c.table_schema = 'public' AND c.table_name IN (
			SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'vote_id')
		AND c.table_name <> ALL ($1) ORDER BY c.table_name, c.ordinal_position`, pq.Array(notBallots)); err != nil {
		t.Fatal(err)
	}
	tables := map[string][]ballotColumn{}
	for _, c := range cols {
		tables[c.Table] = append(tables[c.Table], c)
	}
	if len(tables) == 0 {
		t.Fatalf("%s: no table holds secret ballots (the attack found nothing to attack)", phase)
	}
	ids := pq.Array(voteIDs)
	for table, cols := range tables {
		rows := e.sqlInt(`SELECT count(*) FROM `+pq.QuoteIdentifier(table)+` WHERE vote_id = ANY($1)`, ids)
		// 1. Anything readable beside a ballot: a column that is neither a key nor sealed (a
		// choice, an area, an id, a time).
		var readable []string
		for _, c := range cols {
			switch {
			case slices.Contains(ballotKeyColumns, c.Name):
			case c.Name == "sealed" && c.Type == "bytea":
			default:
				readable = append(readable, c.Name+" "+c.Type)
			}
		}
		if len(readable) > 0 && rows > 0 {
			t.Errorf("%s: %s keeps %v in the clear beside %d ballots", phase, table, readable, rows)
		}
		for _, c := range cols {
			if c.Name == "vote_id" || !slices.Contains([]string{"smallint", "integer", "bigint", "numeric"}, c.Type) {
				continue
			}
			// 2. The area link: a number in a ballot row that is a voter's floor area on the roll.
			if n := e.sqlInt(`SELECT count(*) FROM `+pq.QuoteIdentifier(table)+` b JOIN vote_entitled e ON e.vote_id = b.vote_id
				AND e.area_dm2 = b.`+pq.QuoteIdentifier(c.Name)+` JOIN vote_participation p ON p.vote_id = e.vote_id
				AND p.resident_id = e.resident_id WHERE b.vote_id = ANY($1)`, ids); n > 0 {
				t.Errorf("%s: %s.%s names %d voters by their floor area", phase, table, c.Name, n)
			}
		}
		// 3. The transaction link: a ballot row written in the same transaction as exactly
		// one participation row. It names the voter; the row must then say nothing else.
		linked := e.sqlInt(`SELECT count(*) FROM `+pq.QuoteIdentifier(table)+` b
			WHERE b.vote_id = ANY($1) AND (SELECT count(*) FROM vote_participation p
				WHERE p.vote_id = b.vote_id AND p.xmin::text = b.xmin::text) = 1`, ids)
		if linked > 0 && len(readable) > 0 {
			t.Errorf("%s: %d rows of %s share their transaction with one voter's participation and show %v", phase, linked, table, readable)
		}
		// 4. What is sealed: all the same size and all different, so that equal choices
		// do not show as equal values, nor choices by their size.
		if slices.ContainsFunc(cols, func(c ballotColumn) bool { return c.Name == "sealed" }) {
			var s struct {
				Rows     int64 `db:"n"`
				Distinct int64 `db:"d"`
				Sizes    int64 `db:"sizes"`
			}
			if err := e.db.Get(&s, `SELECT count(*) AS n, count(DISTINCT sealed) AS d,
					count(DISTINCT (vote_id, length(sealed))) - count(DISTINCT vote_id) AS sizes
				FROM `+pq.QuoteIdentifier(table)+` WHERE vote_id = ANY($1)`, ids); err != nil {
				t.Fatal(err)
			}
			if s.Distinct != s.Rows || s.Sizes != 0 {
				t.Errorf("%s: %s has %d sealed values, %d of them different, sizes varying within a vote: %v", phase, table,
					s.Rows, s.Distinct, s.Sizes != 0)
			}
		}
		t.Logf("%s: %s: %d rows, %d of them in one voter's transaction, readable: %v", phase, table, rows, linked, readable)
	}
}

// TestSecretBallotsUnlinkable opens secret owners' votes by area, changeable and not, in
// which every floor area is unique, casts (and changes) from many voters at once, and
// attacks the tables before and after close; the tallies are the ballots cast.
func TestSecretBallotsUnlinkable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 40
	s := newSecretVotes(t, e, n)
	changeable := s.votes[0]

	// Everyone votes in both at once; then half change their ballot in the changeable one,
	// again all at once.
	first := make([]string, n)
	final := [2]map[int]string{{}, {}}
	for i := range n {
		first[i] = db.DefaultVoteOptions[i*7%3]
		final[0][i], final[1][i] = first[i], first[i]
	}
	var wg sync.WaitGroup
	var codes [2][]string
	for k, v := range s.votes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[k] = e.castAll(s.tokens, v, first, 0, nil)
		}()
	}
	wg.Wait()
	var changers []string
	var changes []string
	for i := 0; i < n; i += 2 {
		o := db.DefaultVoteOptions[(i*7+1+i/2%2)%3]
		changers, changes = append(changers, s.tokens[i]), append(changes, o)
		final[0][i] = o
	}
	codes[0] = append(codes[0], e.castAll(changers, changeable, changes, 0, nil)...)
	for k := range codes {
		if c := countCodes(codes[k]); c[""] != len(codes[k]) {
			t.Fatalf("casts in vote %d: %v, want all to succeed", k, c)
		}
	}

	attackBallots(t, e, s.voteIDs, "while open")

	staff := e.login(phoneStaff)
	for k, v := range s.votes {
		got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v}))
		if want := wantTallies(final[k], s.areas); !slices.Equal(got.Tallies, want) {
			t.Errorf("vote %d (changeable %v): tallies %v, want the ballots cast %v", k, v == changeable, got.Tallies, want)
		}
		if got.Turnout.ParticipatingHeads != n {
			t.Errorf("vote %d: %d took part, want %d", k, got.Turnout.ParticipatingHeads, n)
		}
	}

	attackBallots(t, e, s.voteIDs, "after close")
	// After close nothing of the ballots is left, and who took part is written again in
	// resident order, in one transaction: its order and transaction ids say nothing of who
	// voted when, or alongside whom.
	for _, id := range s.voteIDs {
		var tables []string
		if err := e.db.Select(&tables, `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'
			AND column_name = 'vote_id' AND table_name <> ALL ($1)`, pq.Array(notBallots)); err != nil {
			t.Fatal(err)
		}
		for _, table := range tables {
			if left := e.sqlInt(`SELECT count(*) FROM `+pq.QuoteIdentifier(table)+` WHERE vote_id = $1`, id); left != 0 {
				t.Errorf("after close: %d rows of %s left for vote %d", left, table, id)
			}
		}
		if x := e.sqlInt(`SELECT count(DISTINCT xmin::text) FROM vote_participation WHERE vote_id = $1`, id); x != 1 {
			t.Errorf("after close: participation rows of vote %d carry %d transaction ids, want 1", id, x)
		}
		var order []int64
		if err := e.db.Select(&order, `SELECT resident_id FROM vote_participation WHERE vote_id = $1 ORDER BY ctid`, id); err != nil {
			t.Fatal(err)
		}
		if !slices.IsSorted(order) {
			t.Errorf("after close: participation rows of vote %d are stored in the order of voting", id)
		}
	}
}

// replaceKeyOf is the replace key the server keys a voter's sealed choice by (the attacker
// here holds the ballot key, as the test does).
func replaceKeyOf(vote, resident int64) []byte {
	var msg [16]byte
	binary.BigEndian.PutUint64(msg[:8], uint64(vote))
	binary.BigEndian.PutUint64(msg[8:], uint64(resident))
	h := hmac.New(sha256.New, testBallotKey)
	h.Write(msg[:])
	return h.Sum(nil)
}

// Changing a changeable secret ballot moves exactly one head and that voter's area from the
// old option to the new one, with many voters changing at once, and one voter's racing
// changes counting once.
func TestSecretBallotChangeMovesOneBallot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 30
	s := newSecretVotes(t, e, n)
	v, id := s.votes[0], s.voteIDs[0]
	all := func(o string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = o
		}
		return out
	}
	if c := countCodes(e.castAll(s.tokens, v, all("同意"), 0, nil)); c[""] != n {
		t.Fatalf("first casts: %v", c)
	}
	// Everyone changes to 反对 at once, voter 0 twenty times over, racing with itself.
	tokens, opts := slices.Clone(s.tokens), all("反对")
	for range 20 {
		tokens, opts = append(tokens, s.tokens[0]), append(opts, "反对")
	}
	if c := countCodes(e.castAll(tokens, v, opts, 0, nil)); c[""] != len(tokens) {
		t.Fatalf("changes: %v", c)
	}
	// Voter 1 changes on to 弃权.
	mustVote(t, e.do(s.tokens[1], qCastBallot, map[string]any{"id": v, "o": "弃权"}))
	if k := e.sqlInt(`SELECT count(*) FROM ballot_choices WHERE vote_id = $1 AND replace_key = $2`, id, replaceKeyOf(id, s.residents[1])); k != 1 {
		t.Fatalf("voter 1's sealed choice: %d rows, want 1", k)
	}
	want := map[int]string{}
	for i := range n {
		want[i] = "反对"
	}
	want[1] = "弃权"
	got := mustVote(t, e.do(e.login(phoneStaff), qCloseVote, map[string]any{"id": v}))
	if w := wantTallies(want, s.areas); !slices.Equal(got.Tallies, w) {
		t.Fatalf("tallies: %v, want %v", got.Tallies, w)
	}
}

// A changeable secret ballot whose sealed choice cannot be opened (altered in the database,
// or a different ballot key) is refused as INTERNAL and changes nothing: the vote still
// counts the ballot that was cast, once.
func TestSecretBallotChangeRefusedWhenSealBroken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := newSecretVotes(t, e, 2)
	v, id := s.votes[0], s.voteIDs[0]
	mustVote(t, e.do(s.tokens[0], qCastBallot, map[string]any{"id": v, "o": "同意"}))
	mustVote(t, e.do(s.tokens[1], qCastBallot, map[string]any{"id": v, "o": "反对"}))
	// Voter 0's sealed choice altered in place by someone with the database.
	if _, err := e.db.Exec(`UPDATE ballot_choices SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1)
		WHERE vote_id = $1 AND replace_key = $2`, id, replaceKeyOf(id, s.residents[0])); err != nil {
		t.Fatal(err)
	}
	before := e.sqlInt(`SELECT count(*) FROM vote_participation WHERE vote_id = $1`, id)
	e.do(s.tokens[0], qCastBallot, map[string]any{"id": v, "o": "弃权"}).wantCode(t, db.EINTERNAL)
	if after := e.sqlInt(`SELECT count(*) FROM vote_participation WHERE vote_id = $1`, id); after != before {
		t.Fatalf("participation: %d after a refused change, %d before", after, before)
	}
	// Voter 1 changes normally; the vote still counts voter 0's first ballot.
	mustVote(t, e.do(s.tokens[1], qCastBallot, map[string]any{"id": v, "o": "弃权"}))
	got := mustVote(t, e.do(e.login(phoneStaff), qCloseVote, map[string]any{"id": v}))
	if w := wantTallies(map[int]string{0: "同意", 1: "弃权"}, s.areas); !slices.Equal(got.Tallies, w) {
		t.Fatalf("tallies: %v, want %v", got.Tallies, w)
	}
}

// A refused option says which options there are, and casts nothing.
func TestCastBallotUnknownOptionListsOptions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := newSecretVotes(t, e, 1)
	r := e.do(s.tokens[0], qCastBallot, map[string]any{"id": s.votes[1], "o": "赞成"})
	r.wantCode(t, db.EINVALID)
	if msg := r.Errors[0].Message; !strings.Contains(msg, "同意、反对、弃权") {
		t.Fatalf("message %q, want the options listed", msg)
	}
	if n := e.sqlInt(`SELECT count(*) FROM vote_participation WHERE vote_id = $1`, s.voteIDs[1]); n != 0 {
		t.Fatalf("a refused option left %d participation rows", n)
	}
	// The same voter then votes.
	mustVote(t, e.do(s.tokens[0], qCastBallot, map[string]any{"id": s.votes[1], "o": "同意"}))
}

// Migration 0008 on a database with ballots of the old shape: an open secret vote's ballots
// are sealed by its next cast (a changeable one's found again by the same replace key) or
// counted at close; a closed vote keeps its stored result; the old table is gone.
func TestSecretBallotsMigrated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	s := newSecretVotes(t, e, 2)
	changeable, fixed := s.voteIDs[0], s.voteIDs[1]
	staff := e.login(phoneStaff)
	c := mustVote(t, e.do(staff, qOpenVote, map[string]any{"in": map[string]any{"placeId": e.placeID("和平花园小区"),
		"topicId": e.acceptedTopic("已结束的表决"), "title": "是否同意更换门禁", "secret": true, "changeable": false,
		"closesAt": e.clock.Now().Add(time.Hour).Format(time.RFC3339), "rule": "OWNERS_ORDINARY"}}))
	mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": c.ID}))
	closed := e.sqlInt(`SELECT max(id) FROM votes`)
	var results []string
	if err := e.db.Select(&results, `SELECT concat_ws(' ', vote_id, position, heads, area_dm2) FROM vote_results ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	// The database as 0007 left it, with a ballot of voter 0 in each open vote (and one
	// left over in a closed vote).
	for _, q := range []string{
		`DROP TABLE ballot_sums, ballot_choices, ballots_unsealed`,
		`DROP FUNCTION ballots_vote_open()`,
		`CREATE TABLE ballots (
			id          uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
			vote_id     bigint NOT NULL,
			secret      boolean NOT NULL DEFAULT true CHECK (secret),
			changeable  boolean NOT NULL,
			position    integer NOT NULL,
			area_dm2    bigint NOT NULL CHECK (area_dm2 >= 0),
			replace_key bytea CHECK (length(replace_key) = 32),
			CHECK (changeable = (replace_key IS NOT NULL)),
			UNIQUE (vote_id, replace_key),
			FOREIGN KEY (vote_id, secret, changeable) REFERENCES votes (id, secret, changeable),
			FOREIGN KEY (vote_id, position) REFERENCES vote_options (vote_id, position))`,
	} {
		if _, err := e.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := e.db.Exec(`INSERT INTO ballots (vote_id, changeable, position, area_dm2, replace_key)
		VALUES ($1, true, 1, $3, $4), ($2, false, 0, $3, NULL), ($5, false, 0, 1, NULL)`,
		changeable, fixed, s.areas[0], replaceKeyOf(changeable, s.residents[0]), closed); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec(`INSERT INTO vote_participation (vote_id, resident_id) VALUES ($1, $3), ($2, $3)`,
		changeable, fixed, s.residents[0]); err != nil {
		t.Fatal(err)
	}
	migration, err := os.ReadFile("../db/migrations/0008_sealed_ballots.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec(string(migration)); err != nil {
		t.Fatalf("migration 0008: %v", err)
	}
	if n := e.sqlInt(`SELECT count(*) FROM information_schema.tables WHERE table_name = 'ballots'`); n != 0 {
		t.Fatal("the old ballots table is still there")
	}
	if n := e.sqlInt(`SELECT count(*) FROM ballots_unsealed`); n != 2 {
		t.Fatalf("ballots waiting to be sealed: %d, want the open votes' 2", n)
	}

	// Voter 0 changes from 反对 to 同意 and may not vote again where it cannot change; voter
	// 1 votes in the changeable one.
	v0, v1 := s.votes[0], s.votes[1]
	mustVote(t, e.do(s.tokens[0], qCastBallot, map[string]any{"id": v0, "o": "同意"}))
	if n := e.sqlInt(`SELECT count(*) FROM ballots_unsealed`); n != 1 {
		t.Fatalf("after the changeable vote's first cast: %d ballots unsealed, want the other vote's 1", n)
	}
	e.do(s.tokens[0], qCastBallot, map[string]any{"id": v1, "o": "反对"}).wantCode(t, db.ECONFLICT)
	mustVote(t, e.do(s.tokens[1], qCastBallot, map[string]any{"id": v0, "o": "弃权"}))
	got := mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v0}))
	if w := wantTallies(map[int]string{0: "同意", 1: "弃权"}, s.areas); !slices.Equal(got.Tallies, w) {
		t.Errorf("changeable vote: tallies %v, want %v", got.Tallies, w)
	}
	// The other vote closes with its old ballot still unsealed: counted at close.
	got = mustVote(t, e.do(staff, qCloseVote, map[string]any{"id": v1}))
	if w := wantTallies(map[int]string{0: "同意"}, s.areas); !slices.Equal(got.Tallies, w) {
		t.Errorf("vote that cannot change: tallies %v, want %v", got.Tallies, w)
	}
	if n := e.sqlInt(`SELECT count(*) FROM ballots_unsealed`); n != 0 {
		t.Errorf("after close: %d ballots unsealed", n)
	}
	var after []string
	if err := e.db.Select(&after, `SELECT concat_ws(' ', vote_id, position, heads, area_dm2) FROM vote_results
		WHERE vote_id <> ALL ($1) ORDER BY 1`, pq.Array(s.voteIDs)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(after, results) {
		t.Errorf("closed votes' results changed by the migration: %v, were %v", after, results)
	}
}
