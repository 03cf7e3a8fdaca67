package db_test

import (
	"bytes"
	"testing"

	"github.com/lib/pq"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
)

// BenchmarkPrepared compares a frequent lookup through the Store, whose statements are
// prepared once per connection, with the same SQL sent as lib/pq sends an unprepared
// parameterised query (parse, plan and execute on every call, in two round trips).
//
//	go test -run '^$' -bench Prepared -benchtime 3s ./db/
func BenchmarkPrepared(b *testing.B) {
	d, _ := dbtest.New(b)
	s := db.NewStore(d)
	s.Password = db.PasswordParams{Time: 1, Memory: 64, Threads: 1}
	s.BallotKey = bytes.Repeat([]byte{0x5a}, 32) // seals the demo's open secret vote
	if _, err := demo.Load(b.Context(), s); err != nil {
		b.Fatal(err)
	}
	ids := []int64{1, 2, 3}
	b.Run("Store", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.PlacesByID(b.Context(), ids); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("Unprepared", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var ps []*db.Place
				if err := d.SelectContext(b.Context(), &ps, `SELECT id, level, parent_id, name, path, unit, room, floor_area_dm2, created_at
					FROM places WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
