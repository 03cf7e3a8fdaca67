package graph_test

import (
	"testing"
	"time"

	"linli/graph"
)

// 未诉先办 (issue 17): needs found on visits before the household asked, against the needs
// residents asked for themselves, with exact numbers on one day of their own and the small
// group hidden.
func TestVisitFoundFirstShare(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// A day of its own, after everything the demo holds.
	e.clock.Advance(10 * 24 * time.Hour) // 2026-12-03 17:00 in China
	staff, resident, analyst := e.login(phoneStaff), e.login(phoneResident), e.login(phoneAnalyst)

	// The resident's household and grid, four households of that grid where nobody has an
	// account (so nobody there asked for anything), and a household of another grid.
	var home struct {
		Household int64 `db:"household_id"`
		Resident  int64 `db:"id"`
		Grid      int64 `db:"grid"`
		Community int64 `db:"community"`
	}
	if err := e.db.Get(&home, `SELECT r.household_id, r.id, h.path[array_length(h.path, 1) - 2] AS grid, h.path[2] AS community
		FROM residents r JOIN accounts a ON a.id = r.account_id JOIN places h ON h.id = r.household_id WHERE a.phone = $1`, phoneResident); err != nil {
		t.Fatal(err)
	}
	var quiet []int64
	if err := e.db.Select(&quiet, `SELECT h.id FROM places h WHERE h.level = 'household' AND h.retired_at IS NULL AND h.path @> ARRAY[$1::bigint]
		AND h.id <> $2 AND NOT EXISTS (SELECT 1 FROM residents r WHERE r.household_id = h.id AND r.account_id IS NOT NULL)
		ORDER BY h.id LIMIT 4`, home.Grid, home.Household); err != nil || len(quiet) != 4 {
		t.Fatalf("four quiet households: got %d (%v)", len(quiet), err)
	}
	var other int64
	if err := e.db.Get(&other, `SELECT h.id FROM places h WHERE h.level = 'household' AND h.retired_at IS NULL
		AND h.path @> ARRAY[$1::bigint] AND NOT h.path @> ARRAY[$2::bigint] ORDER BY h.id LIMIT 1`, home.Community, home.Grid); err != nil {
		t.Fatal(err)
	}

	// The resident asks first: a report about their grid and a wish for themselves.
	e.submitReport(resident, graph.GlobalID("Place", home.Grid), "FACILITY", "楼道灯坏了好几天了")
	e.do(resident, `mutation($in: SubmitWishInput!) { submitWish(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"beneficiaryId": graph.GlobalID("Resident", home.Resident), "category": "REPAIR",
			"title": "修楼道灯", "description": "楼道灯坏了，晚上看不见台阶。", "deadline": e.clock.Now().Add(7 * 24 * time.Hour)}}).Decode(t, &struct{}{})
	e.clock.Advance(time.Hour)

	// Then visits find a repair need in all five households of the grid and one elsewhere.
	need := func(h int64) {
		t.Helper()
		var out struct{ RecordVisit struct{ ID string } }
		e.do(staff, `mutation($in: RecordVisitInput!) { recordVisit(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"householdIds": []string{graph.GlobalID("Place", h)}, "visitedAt": e.clock.Now().Add(-30 * time.Minute),
			"findings": "走访发现需要维修", "followUpNeeded": false, "needCategory": "REPAIR"}}).Decode(t, &out)
	}
	for _, h := range append([]int64{home.Household}, quiet...) {
		need(h)
	}
	need(other)

	type group struct {
		Place                                           *struct{ ID string }
		Suppressed                                      bool
		Visits, NeedsFound, NeedsFoundFirst, NeedsAsked *int
		FoundFirstShare                                 *float64
	}
	var out struct {
		VisitStats struct {
			Groups []group
			Total  group
		}
	}
	const q = `query($p: [ID!], $at: TimeCondition) { visitStats(filter: {placeIds: $p, at: $at}, groupBy: {placeLevel: GRID}) {
		groups { place { id } suppressed visits needsFound needsFoundFirst needsAsked foundFirstShare }
		total { suppressed visits needsFound needsFoundFirst needsAsked foundFirstShare } } }`
	e.do(analyst, q, map[string]any{"p": []string{graph.GlobalID("Place", home.Community)},
		"at": map[string]any{"gte": "2026-12-03T00:00:00+08:00", "lt": "2026-12-04T00:00:00+08:00"}}).Decode(t, &out)
	n := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	var mine, elsewhere *group
	for i, g := range out.VisitStats.Groups {
		switch g.Place.ID {
		case graph.GlobalID("Place", home.Grid):
			mine = &out.VisitStats.Groups[i]
		default:
			elsewhere = &out.VisitStats.Groups[i]
		}
	}
	// Five needs found, four before anyone asked; two asks: 4 ÷ (4 + 2).
	if mine == nil || mine.Suppressed || n(mine.Visits) != 5 || n(mine.NeedsFound) != 5 || n(mine.NeedsFoundFirst) != 4 ||
		n(mine.NeedsAsked) != 2 || mine.FoundFirstShare == nil || *mine.FoundFirstShare != 4.0/6 {
		t.Fatalf("the resident's grid: got %+v, want 5 needs found, 4 first, 2 asked, share 4/6", mine)
	}
	if elsewhere == nil || !elsewhere.Suppressed || elsewhere.NeedsFoundFirst != nil || elsewhere.FoundFirstShare != nil {
		t.Fatalf("the other grid (one household): got %+v, want suppressed", elsewhere)
	}
	if tot := out.VisitStats.Total; tot.Suppressed || n(tot.NeedsFoundFirst) != 5 || n(tot.NeedsAsked) != 2 ||
		tot.FoundFirstShare == nil || *tot.FoundFirstShare != 5.0/7 {
		t.Fatalf("total: got %+v, want 5 first, 2 asked", tot)
	}
}
