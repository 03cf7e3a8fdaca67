package db_test

import (
	"strings"
	"testing"
	"time"

	"linli/db"
	"linli/db/dbtest"
)

// Rows scanned into plain structs (db/scan.go) come out as sqlx would scan them: nested
// structs by prefix, NULLs into pointers, slices of structs and of pointers, every call
// alike once the plan is cached; a column without a field is still sqlx's error.
func TestSelectRowsScan(t *testing.T) {
	d, _ := dbtest.New(t)
	s := db.NewStore(d)
	ctx := t.Context()
	type inner struct {
		Name *string   `db:"name"`
		At   time.Time `db:"at"`
	}
	type row struct {
		ID    int64  `db:"id"`
		Label string `db:"label"`
		In    inner  `db:"in"`
	}
	const q = `SELECT g AS id, 'row ' || g AS label, CASE WHEN g % 2 = 0 THEN 'n' || g END AS "in.name",
		timestamptz '2026-01-01 00:00:00+00' + make_interval(days => g) AS "in.at"
		FROM generate_series(1, 3) g ORDER BY g`
	check := func(got []row) {
		t.Helper()
		if len(got) != 3 {
			t.Fatalf("got %d rows, want 3", len(got))
		}
		for i, r := range got {
			g := int64(i + 1)
			if r.ID != g || r.Label != "row "+string(rune('0'+g)) || !r.In.At.Equal(time.Date(2026, 1, 1+int(g), 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("row %d: got %+v", i, r)
			}
			if (g%2 == 0) != (r.In.Name != nil) || (r.In.Name != nil && *r.In.Name != "n"+string(rune('0'+g))) {
				t.Fatalf("row %d: name %v, want it only on even rows", i, r.In.Name)
			}
		}
	}
	for range 2 { // the second call uses the cached plan
		var values []row
		if err := db.SelectRows(ctx, s, &values, q); err != nil {
			t.Fatal(err)
		}
		check(values)
		var ptrs []*row
		if err := db.SelectRows(ctx, s, &ptrs, q); err != nil {
			t.Fatal(err)
		}
		deref := make([]row, len(ptrs))
		for i, p := range ptrs {
			deref[i] = *p
		}
		check(deref)
	}
	var ids []int64 // not structs: sqlx as before
	if err := db.SelectRows(ctx, s, &ids, `SELECT g FROM generate_series(1, 3) g`); err != nil || len(ids) != 3 || ids[2] != 3 {
		t.Fatalf("ids: got %v, %v", ids, err)
	}
	for range 2 {
		var rows []row
		err := db.SelectRows(ctx, s, &rows, `SELECT 1::bigint AS id, 'x' AS label, 'y' AS surplus`)
		if err == nil || !strings.Contains(err.Error(), "missing destination name surplus") {
			t.Fatalf("a column with no field: got %v, want sqlx's missing destination error", err)
		}
	}
}
