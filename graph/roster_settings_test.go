package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"linli/db"
)

const (
	qSettings       = `query($c: ID!) { communitySettings(communityId: $c) { community { name } wishValueCapFen claimLimit claimHours pointsPerHour cosignThreshold noticeDays } }`
	qUpdateSettings = `mutation($c: ID!, $in: CommunitySettingsInput!, $r: String!) { updateCommunitySettings(communityId: $c, input: $in, reason: $r) { claimLimit noticeDays pointsPerHour } }`
)

type settingsOut struct {
	Community                                                                           struct{ Name string }
	WishValueCapFen, ClaimLimit, ClaimHours, PointsPerHour, CosignThreshold, NoticeDays int
}

// Everyone in a community reads its settings; its staff change them, each change recorded
// with old and new values and why; and the changed settings are the ones the service uses.
func TestCommunitySettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, resident, volunteer := e.login(phoneStaff), e.login(phoneResident), e.login(phoneVolunteer)
	guangming, grid := e.login(phoneStaffGuangming), e.login(phoneGridWorker)
	heping := e.placeAt("和平社区")

	read := func(token string) *response { return e.do(token, qSettings, map[string]any{"c": heping}) }
	for _, who := range []string{resident, volunteer, grid, staff, e.login(phoneAdmin)} {
		var out struct{ CommunitySettings settingsOut }
		read(who).Decode(t, &out)
		s := out.CommunitySettings
		if s.Community.Name != "和平社区" || s.ClaimLimit != 3 || s.ClaimHours != 72 || s.PointsPerHour != 10 ||
			s.CosignThreshold != 5 || s.NoticeDays != 7 || s.WishValueCapFen != 50000 {
			t.Fatalf("default settings: got %+v", s)
		}
	}
	read("").wantCode(t, db.EUNAUTHENTICATED)
	read(guangming).wantCode(t, db.EFORBIDDEN)
	// Also from the community itself.
	var onPlace struct {
		Node struct{ Settings *settingsOut }
	}
	e.do(resident, `query($c: ID!) { node(id: $c) { ... on Place { settings { claimLimit } } } }`, map[string]any{"c": heping}).Decode(t, &onPlace)
	if onPlace.Node.Settings == nil || onPlace.Node.Settings.ClaimLimit != 3 {
		t.Fatalf("Place.settings: got %+v", onPlace.Node.Settings)
	}

	update := func(token string, in map[string]any, reason string) *response {
		return e.do(token, qUpdateSettings, map[string]any{"c": heping, "in": in, "r": reason})
	}
	before := e.tableState()
	for _, c := range []struct {
		what, token string
		in          map[string]any
		reason      string
		code, field string
	}{
		{"a resident", resident, map[string]any{"claimLimit": 1}, "太多了", db.EFORBIDDEN, ""},
		{"the grid worker", grid, map[string]any{"claimLimit": 1}, "太多了", db.EFORBIDDEN, ""},
		{"staff of another community", guangming, map[string]any{"claimLimit": 1}, "太多了", db.EFORBIDDEN, ""},
		{"no reason", staff, map[string]any{"claimLimit": 1}, "  ", db.EINVALID, "reason"},
		{"a claim limit of 0", staff, map[string]any{"claimLimit": 0}, "试试", db.EINVALID, "claimLimit"},
		{"31 notice days", staff, map[string]any{"noticeDays": 31}, "试试", db.EINVALID, "noticeDays"},
		{"negative points", staff, map[string]any{"pointsPerHour": -1}, "试试", db.EINVALID, "pointsPerHour"},
		{"one good, one bad", staff, map[string]any{"claimHours": 48, "wishValueCapFen": 99}, "试试", db.EINVALID, "wishValueCapFen"},
	} {
		r := update(c.token, c.in, c.reason)
		e.wantRefused(r, c.code, before, c.what)
		if r.Field() != c.field {
			t.Fatalf("%s: field %q, want %q", c.what, r.Field(), c.field)
		}
	}
	e.wantRefused(e.do(staff, qUpdateSettings, map[string]any{"c": e.placeAt("和平社区", "和平花园小区"), "in": map[string]any{"claimLimit": 1}, "r": "试试"}),
		db.EINVALID, before, "settings of a compound")

	// Nothing changed, nothing recorded.
	var upd struct{ UpdateCommunitySettings settingsOut }
	update(staff, map[string]any{"claimLimit": 3}, "确认一下").Decode(t, &upd)
	if after := e.tableState(); after != before {
		t.Fatal("a change to the same values was recorded")
	}

	// The volunteer can claim one wish and would be able to claim a second under the default
	// limit of 3; staff lower it to 1, and the second claim is refused.
	w1, w2 := e.published(resident, staff, "帮忙换灯泡"), e.published(resident, staff, "帮忙修门锁")
	mustWish(t, e.claim(volunteer, w1.ID))
	update(staff, map[string]any{"claimLimit": 1, "noticeDays": 5}, "志愿者人手紧，先办完手上的").Decode(t, &upd)
	if upd.UpdateCommunitySettings.ClaimLimit != 1 || upd.UpdateCommunitySettings.NoticeDays != 5 {
		t.Fatalf("updated settings: got %+v", upd)
	}
	r := e.claim(volunteer, w2.ID)
	r.wantCode(t, db.ECONFLICT)
	if !strings.Contains(r.Errors[0].Message, "上限 1 个") {
		t.Fatalf("claim over the new limit: %q", r.Errors[0].Message)
	}
	update(staff, map[string]any{"claimLimit": 2}, "人手够了").Decode(t, &upd)
	mustWish(t, e.claim(volunteer, w2.ID))

	notes := e.auditNotes(staff, heping, "SETTINGS_CHANGED")
	if len(notes) != 2 || !strings.Contains(notes[1], "每人同时认领上限：3 → 1") || !strings.Contains(notes[1], "决议公示天数：7 → 5") ||
		!strings.Contains(notes[1], "志愿者人手紧") || !strings.Contains(notes[0], "1 → 2") {
		t.Fatalf("audit of the changes: got %q", notes)
	}
}

// The API's bounds are the database's: the largest value the API takes the database takes,
// and one more it refuses, for every setting.
func TestSettingBoundsMatchDatabase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	community := e.placeKey("和平社区")
	if _, err := e.db.Exec(`INSERT INTO community_settings (community_id) VALUES ($1)`, community); err != nil {
		t.Fatal(err)
	}
	columns := map[string]string{"wishValueCapFen": "wish_value_cap_fen", "claimLimit": "claim_limit", "claimHours": "claim_hours",
		"pointsPerHour": "points_per_hour", "cosignThreshold": "cosign_threshold", "noticeDays": "notice_days"}
	for _, b := range db.SettingBounds {
		col := columns[b.Field]
		if col == "" {
			t.Fatalf("setting %s has no column here", b.Field)
		}
		set := func(n int) error {
			_, err := e.db.Exec(fmt.Sprintf(`UPDATE community_settings SET %s = $1 WHERE community_id = $2`, col), n, community)
			return err
		}
		if set(b.Min) != nil || set(b.Max) != nil {
			t.Fatalf("%s: the database refuses a value within %d..%d", col, b.Min, b.Max)
		}
		if set(b.Min-1) == nil || set(b.Max+1) == nil {
			t.Fatalf("%s: the database takes a value outside %d..%d", col, b.Min, b.Max)
		}
	}
}
