package dbtest_test

import (
	"testing"

	"linli/db/dbtest"

	"github.com/jmoiron/sqlx"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestNew(t *testing.T) {
	t.Parallel()
	a, _ := dbtest.New(t)
	b, _ := dbtest.New(t)

	t.Run("Migrated", func(t *testing.T) {
		var version int
		if err := a.Get(&version, `SELECT max(version) FROM schema_migrations`); err != nil {
			t.Fatal(err)
		}
		if version < 1 {
			t.Errorf("schema version: got %d, want at least 1", version)
		}
		var places bool
		if err := a.Get(&places, `SELECT to_regclass('places') IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		if !places {
			t.Error("table places is missing")
		}
	})

	t.Run("Isolated", func(t *testing.T) {
		if _, err := a.Exec(`INSERT INTO places (level, name) VALUES ('subdistrict', '东湖街道')`); err != nil {
			t.Fatal(err)
		}
		if got := count(t, a, `SELECT count(*) FROM places`); got != 1 {
			t.Errorf("rows in the first database: got %d, want 1", got)
		}
		if got := count(t, b, `SELECT count(*) FROM places`); got != 0 {
			t.Errorf("rows in the second database: got %d, want 0", got)
		}
	})
}

func TestStatements(t *testing.T) {
	t.Parallel()
	d, dsn := dbtest.New(t)
	statements := dbtest.Statements(t, d)

	// Another pool on the same database: every connection's statements count.
	other, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	const n = 7
	for i := range n {
		var got int
		if err := other.Get(&got, `SELECT $1::int + 1`, i); err != nil {
			t.Fatal(err)
		}
	}
	if got := statements(); got != n {
		t.Errorf("after %d queries: got %d statements, want %d", n, got, n)
	}
	if got := statements(); got != n {
		t.Errorf("counting again: got %d statements, want %d (counting must not count itself)", got, n)
	}

	// The community's trigger looks up its parent: a nested query, not counted.
	tx := d.MustBegin()
	var id int64
	if err := tx.Get(&id, `INSERT INTO places (level, name) VALUES ('subdistrict', '东湖街道') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`INSERT INTO places (level, parent_id, name) VALUES ('community', $1, '东湖社区')`, id); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, want := statements(), n+4; got != want {
		t.Errorf("after BEGIN, two INSERTs and COMMIT: got %d statements, want %d", got, want)
	}
}

func count(tb testing.TB, d *sqlx.DB, q string) int {
	tb.Helper()
	var n int
	if err := d.Get(&n, q); err != nil {
		tb.Fatal(err)
	}
	return n
}
