package graph_test

import (
	"testing"

	"linli/db/dbtest"
	"linli/db/demo"
	"linli/db/district"
	"linli/graph"
)

// TestGeneratedDistrictSignIns: the accounts the README names for a generated district sign
// in with the demo password; the analyst reads each subdistrict's figures, which together
// count every wish of the district, the volunteer sees its community's published wishes and
// the staff member its community's figures.
func TestGeneratedDistrictSignIns(t *testing.T) {
	d, _ := dbtest.New(t)
	cfg := district.Config{Seed: 3, Subdistricts: 2, Communities: 3, Residents: 2000, Wishes: 4000,
		Votes: 4, Ballots: 400, Years: 2, Now: testNow, BallotKey: testBallotKey}
	if err := district.Generate(t.Context(), d, cfg, func(string, ...any) {}); err != nil {
		t.Fatalf("generating: %v", err)
	}
	e := serve(t, d)
	login := func(phone string) string {
		var out struct{ Login struct{ Token string } }
		e.do("", `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { token } }`,
			map[string]any{"p": phone, "w": demo.Password}).Decode(t, &out)
		if out.Login.Token == "" {
			t.Fatalf("%s cannot sign in", phone)
		}
		return out.Login.Token
	}
	if got := district.KnownAccounts[0]; got.Phone != "19900000001" {
		t.Fatalf("the README names the analyst 19900000001, the generator makes %s", got.Phone)
	}

	analyst := login("19900000001")
	var subs []int64
	if err := d.Select(&subs, `SELECT id FROM places WHERE level = 'subdistrict' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, sub := range subs {
		var out struct {
			WishStats struct{ Total struct{ Wishes int } }
		}
		e.do(analyst, `query($p: [ID!]) { wishStats(filter: {placeIds: $p}) { total { wishes } } }`,
			map[string]any{"p": []string{graph.GlobalID("Place", sub)}}).Decode(t, &out)
		total += out.WishStats.Total.Wishes
	}
	if total != cfg.Wishes {
		t.Errorf("the analyst's subdistricts count %d wishes together, the district has %d", total, cfg.Wishes)
	}

	volunteer := login("19900000002")
	var feed struct{ WishFeed struct{ TotalCount int } }
	e.do(volunteer, `{ wishFeed(first: 10) { totalCount } }`, nil).Decode(t, &feed)
	var published int
	if err := d.Get(&published, `SELECT count(*) FROM wishes
		WHERE state = 'published' AND community_id = (SELECT min(id) FROM places WHERE level = 'community')`); err != nil {
		t.Fatal(err)
	}
	if published == 0 || feed.WishFeed.TotalCount == 0 {
		t.Errorf("the volunteer's community has %d published wishes, its feed %d", published, feed.WishFeed.TotalCount)
	}

	staff := login("19900000003")
	var figures struct {
		WishStats struct{ Total struct{ Wishes int } }
	}
	e.do(staff, `{ wishStats { total { wishes } } }`, nil).Decode(t, &figures)
	if figures.WishStats.Total.Wishes == 0 {
		t.Error("the staff member reads no figures of its community")
	}
}
