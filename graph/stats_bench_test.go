package graph_test

import (
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/district"
	"linli/graph"
)

// BenchmarkWishStatsYear answers "a year of wish figures grouped by month and category",
// for one subdistrict (a tenth of the district), over HTTP on the benchmark district
// (district.Scale: 1,000,000 wishes over two years). The district is generated first
// (a few minutes), or read from LINLI_BENCH_DATABASE_URL, a database filled by
// `linli generate`. Reports p50 and p95 per answer, for the groups alone and with the
// total over them (a pass of its own).
//
//	go test -run '^$' -bench WishStatsYear -benchtime 20x -timeout 30m ./graph/
func BenchmarkWishStatsYear(b *testing.B) {
	var d *sqlx.DB
	now := time.Now()
	if dsn := os.Getenv("LINLI_BENCH_DATABASE_URL"); dsn != "" {
		var err error
		if d, err = db.Open(b.Context(), dsn, 10); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { d.Close() })
		if err := d.Get(&now, `SELECT max(created_at) FROM wishes`); err != nil {
			b.Fatal(err)
		}
	} else {
		d, _ = dbtest.New(b)
		started := time.Now()
		cfg := district.Scale(1, now)
		cfg.BallotKey = testBallotKey
		if err := district.Generate(b.Context(), d, cfg, func(string, ...any) {}); err != nil {
			b.Fatal(err)
		}
		b.Logf("generated the district in %v", time.Since(started).Round(time.Second))
	}
	e := serveBench(b, d)

	// An analyst over every subdistrict: the whole district.
	var subdistricts []int64
	if err := d.Select(&subdistricts, `SELECT id FROM places WHERE level = 'subdistrict' ORDER BY id`); err != nil {
		b.Fatal(err)
	}
	addAnalyst(b, d, "19900000099", subdistricts...)
	sub := subdistricts[0]
	var login struct{ Login struct{ Token string } }
	e.must("", `mutation { login(phone: "19900000099", password: "linli2026") { token } }`, nil, &login)
	token := login.Login.Token
	// The last whole CST year (a filter names one whole period of the lattice): the district
	// spans two years up to now, so the year before now's is all there.
	first := db.PeriodYear.Start(now).AddDate(-1, 0, 0)
	year := map[string]any{"gte": first.Format(time.RFC3339), "lt": db.PeriodYear.Next(first).Format(time.RFC3339)}
	fields := `category periodStart suppressed wishes residents answeredShare byState { state count }
		toReview { medianHours p90Hours } toClaim { medianHours p90Hours } toFulfil { medianHours p90Hours }
		toConfirm { medianHours p90Hours } satisfaction { average distribution } claimsReleased claimsLapsed`
	groups := `query($f: WishStatsFilter) { wishStats(filter: $f, groupBy: {category: true, period: MONTH}) { groups { ` + fields + ` } } }`
	withTotal := `query($f: WishStatsFilter) { wishStats(filter: $f, groupBy: {category: true, period: MONTH}) { groups { ` + fields + ` } total { ` + fields + ` } } }`
	// The whole district is no cell of the lattice (its places start at the subdistrict, and
	// an analyst over several names one of them: INVALID_INPUT otherwise), so the largest
	// answer is a subdistrict's.
	subdistrict := map[string]any{"createdAt": year, "placeIds": []string{graph.GlobalID("Place", sub)}}
	for _, c := range []struct {
		name, q string
		filter  map[string]any
	}{
		{"subdistrict", groups, subdistrict},
		{"subdistrict+total", withTotal, subdistrict},
	} {
		b.Run(c.name, func(b *testing.B) {
			took := newLatencies(10000)
			groups := 0
			for b.Loop() {
				started := time.Now()
				var out struct {
					WishStats struct{ Groups []struct{ Wishes *int } }
				}
				e.must(token, c.q, map[string]any{"f": c.filter}, &out)
				took.add(time.Since(started))
				groups = len(out.WishStats.Groups)
			}
			took.report(b)
			b.ReportMetric(float64(groups), "groups")
		})
	}
}
