package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"linli/db"
	"linli/db/dbtest"
	"linli/graph"
)

const (
	qCreatePlace = `mutation($in: CreatePlaceInput!) { createPlace(input: $in) { id name level units unit room floorArea retiredAt parent { name } } }`
	qUpdatePlace = `mutation($id: ID!, $in: UpdatePlaceInput!) { updatePlace(placeId: $id, input: $in) { id name units unit room floorArea } }`
	qMovePlace   = `mutation($id: ID!, $to: ID!, $r: String) { movePlace(placeId: $id, parentId: $to, reason: $r) { id parent { name } ancestors { name } } }`
	qRetirePlace = `mutation($id: ID!, $r: String!) { retirePlace(placeId: $id, reason: $r) { id retiredAt } }`
)

type placeOut struct {
	ID, Name, Level string
	Units           *int
	Unit, Room      *string
	FloorArea       *float64
	RetiredAt       *string
	Parent          *struct{ Name string }
	Ancestors       []struct{ Name string }
}

// placeAt returns the global ID of the place reached by names from the top: the first is
// looked up by name (the demo's community and compound names are unique), each next one
// among the children of the one before (光明社区 has a 第一网格 too).
func (e *env) placeAt(names ...string) string {
	e.t.Helper()
	return graph.GlobalID("Place", e.placeKey(names...))
}

func (e *env) placeKey(names ...string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM places WHERE name = $1 ORDER BY id LIMIT 1`, names[0]); err != nil {
		e.t.Fatalf("place %q: %v", names[0], err)
	}
	for _, n := range names[1:] {
		if err := e.db.Get(&id, `SELECT id FROM places WHERE parent_id = $1 AND name = $2`, id, n); err != nil {
			e.t.Fatalf("place %q: %v", strings.Join(names, " / "), err)
		}
	}
	return id
}

// loginWith signs in with a password other than the demo's.
func (e *env) loginWith(phone, password string) string {
	e.t.Helper()
	var out struct{ Login struct{ Token string } }
	e.do("", `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { token } }`,
		map[string]any{"p": phone, "w": password}).Decode(e.t, &out)
	return out.Login.Token
}

func (e *env) createPlace(token string, in map[string]any) *response {
	e.t.Helper()
	return e.do(token, qCreatePlace, map[string]any{"in": in})
}

// mustPlace decodes the place a mutation returned.
func mustPlace(t *testing.T, r *response, field string) placeOut {
	t.Helper()
	var out map[string]placeOut
	r.Decode(t, &out)
	return out[field]
}

// tableState is a fingerprint of everything a roster mutation may change, so a refusal can
// be shown to change nothing.
func (e *env) tableState() string {
	e.t.Helper()
	var s string
	if err := e.db.Get(&s, `SELECT concat_ws('|',
		(SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p),
		(SELECT count(*) FROM audit_events),
		(SELECT md5(coalesce(string_agg(c::text, ',' ORDER BY community_id), '')) FROM community_settings c))`); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// wantRefused checks r failed with code and that nothing changed since before.
func (e *env) wantRefused(r *response, code, before, what string) {
	e.t.Helper()
	if got := r.Code(); got != code {
		e.t.Fatalf("%s: got code %q, want %q (errors %+v)", what, got, code, r.Errors)
	}
	if msg := r.Errors[0].Message; !hasHan(msg) {
		e.t.Fatalf("%s: message %q is not in Chinese", what, msg)
	}
	if after := e.tableState(); after != before {
		e.t.Fatalf("%s: refused, but the tables changed", what)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

// auditNotes returns the notes of the newest audit events of an action at or under place.
func (e *env) auditNotes(token, place, action string) []string {
	e.t.Helper()
	var out struct {
		AuditEvents struct {
			Nodes []struct {
				Action string
				Note   *string
				Actor  *struct{ Name string }
			}
		}
	}
	e.do(token, `query($p: ID!) { auditEvents(placeId: $p, first: 100) { nodes { action note actor { name } } } }`,
		map[string]any{"p": place}).Decode(e.t, &out)
	var notes []string
	for _, n := range out.AuditEvents.Nodes {
		if n.Action == action && n.Note != nil && n.Actor != nil {
			notes = append(notes, *n.Note)
		}
	}
	return notes
}

// pathsConsistent fails unless every place's path is its parent's path and its own id.
func (e *env) pathsConsistent() {
	e.t.Helper()
	if n := e.count(`SELECT count(*) FROM places c LEFT JOIN places p ON p.id = c.parent_id
		WHERE c.path <> coalesce(p.path, '{}') || c.id`); n != 0 {
		e.t.Fatalf("%d places whose path is not their parent's path and their id", n)
	}
}

// Staff keep the places of their community, grid workers those inside their grid, admins
// of a subdistrict its communities; nobody else, and every refusal changes nothing.
func TestKeepPlaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid, resident := e.login(phoneStaff), e.login(phoneGridWorker), e.login(phoneResident)
	guangming, admin := e.login(phoneStaffGuangming), e.login(phoneAdmin)
	compound, grid1 := e.placeAt("和平社区", "和平花园小区"), e.placeAt("和平社区", "和平花园小区", "第一网格")

	// Staff make a grid, a building with two units in it, and a household.
	g3 := mustPlace(t, e.createPlace(staff, map[string]any{"parentId": compound, "level": "GRID", "name": " 第三网格 ", "reason": "新楼交付"}), "createPlace")
	if g3.Name != "第三网格" || g3.Level != "GRID" || g3.Parent.Name != "和平花园小区" {
		t.Fatalf("grid: got %+v", g3)
	}
	b8 := mustPlace(t, e.createPlace(staff, map[string]any{"parentId": g3.ID, "level": "BUILDING", "name": "8号楼", "units": 2}), "createPlace")
	if b8.Units == nil || *b8.Units != 2 {
		t.Fatalf("building: got %+v", b8)
	}
	h := mustPlace(t, e.createPlace(staff, map[string]any{"parentId": b8.ID, "level": "HOUSEHOLD", "unit": "2", "room": "101", "floorArea": 88.35}), "createPlace")
	if h.Name != "2单元101" || *h.Unit != "2单元" || *h.Room != "101" || *h.FloorArea != 88.35 {
		t.Fatalf("household: got %+v", h)
	}
	if n := e.auditNotes(staff, g3.ID, "PLACE_CREATED"); len(n) != 3 || !strings.Contains(n[2], "新楼交付") {
		t.Fatalf("audit of the creations: got %q", n)
	}

	before := e.tableState()
	for _, c := range []struct {
		what, token string
		in          map[string]any
		code, field string
	}{
		{"nobody", "", map[string]any{"parentId": g3.ID, "level": "BUILDING", "name": "9号楼"}, db.EUNAUTHENTICATED, ""},
		{"a resident", resident, map[string]any{"parentId": g3.ID, "level": "BUILDING", "name": "9号楼"}, db.EFORBIDDEN, ""},
		{"staff of another community", guangming, map[string]any{"parentId": g3.ID, "level": "BUILDING", "name": "9号楼"}, db.EFORBIDDEN, ""},
		{"a grid worker outside their grid", grid, map[string]any{"parentId": g3.ID, "level": "BUILDING", "name": "9号楼"}, db.EFORBIDDEN, ""},
		{"a grid worker making a grid", grid, map[string]any{"parentId": compound, "level": "GRID", "name": "第四网格"}, db.EFORBIDDEN, ""},
		{"staff making a community", staff, map[string]any{"parentId": e.placeAt("幸福街道"), "level": "COMMUNITY", "name": "新华社区"}, db.EFORBIDDEN, ""},
		{"a subdistrict through the API", admin, map[string]any{"parentId": e.placeAt("幸福街道"), "level": "SUBDISTRICT", "name": "新街道"}, db.EFORBIDDEN, ""},
		{"a unit past the building's units", staff, map[string]any{"parentId": b8.ID, "level": "HOUSEHOLD", "unit": "3", "room": "101", "floorArea": 80}, db.EINVALID, "unit"},
		{"no unit in a building with units", staff, map[string]any{"parentId": b8.ID, "level": "HOUSEHOLD", "room": "102", "floorArea": 80}, db.EINVALID, "unit"},
		{"the same address twice", staff, map[string]any{"parentId": b8.ID, "level": "HOUSEHOLD", "unit": "2单元", "room": "101", "floorArea": 80}, db.ECONFLICT, ""},
		{"a household without area", staff, map[string]any{"parentId": b8.ID, "level": "HOUSEHOLD", "unit": "1", "room": "101"}, db.EINVALID, "floorArea"},
		{"an area with three decimals", staff, map[string]any{"parentId": b8.ID, "level": "HOUSEHOLD", "unit": "1", "room": "101", "floorArea": 80.123}, db.EINVALID, "floorArea"},
		{"a building under a compound", staff, map[string]any{"parentId": compound, "level": "BUILDING", "name": "9号楼"}, db.EINVALID, "parentId"},
		{"a room on a grid", staff, map[string]any{"parentId": compound, "level": "GRID", "name": "第四网格", "room": "1"}, db.EINVALID, "room"},
		{"units on a grid", staff, map[string]any{"parentId": compound, "level": "GRID", "name": "第四网格", "units": 2}, db.EINVALID, "units"},
		{"a blank name", staff, map[string]any{"parentId": compound, "level": "GRID", "name": "  "}, db.EINVALID, "name"},
		{"no such parent", staff, map[string]any{"parentId": graph.GlobalID("Place", 1<<40), "level": "GRID", "name": "第四网格"}, db.ENOTFOUND, "parentId"},
	} {
		r := e.createPlace(c.token, c.in)
		e.wantRefused(r, c.code, before, c.what)
		if r.Field() != c.field {
			t.Fatalf("%s: field %q, want %q", c.what, r.Field(), c.field)
		}
	}

	// The grid worker keeps buildings and households inside their own grid.
	b9 := mustPlace(t, e.createPlace(grid, map[string]any{"parentId": grid1, "level": "BUILDING", "name": "9号楼"}), "createPlace")
	mustPlace(t, e.createPlace(grid, map[string]any{"parentId": b9.ID, "level": "HOUSEHOLD", "room": "101", "floorArea": 60}), "createPlace")

	// The admin of the subdistrict makes communities; an admin of another subdistrict does not.
	if _, err := e.store.SetUp(t.Context(), db.Setup{Subdistrict: "安宁街道", Phone: "13900000099", Name: "钱进", Password: "anning-2026"}); err != nil {
		t.Fatal(err)
	}
	other := e.loginWith("13900000099", "anning-2026")
	e.wantRefused(e.createPlace(other, map[string]any{"parentId": e.placeAt("幸福街道"), "level": "COMMUNITY", "name": "新华社区"}),
		db.EFORBIDDEN, e.tableState(), "an admin of another subdistrict")
	xh := mustPlace(t, e.createPlace(admin, map[string]any{"parentId": e.placeAt("幸福街道"), "level": "COMMUNITY", "name": "新华社区"}), "createPlace")
	var upd map[string]placeOut
	e.do(admin, qUpdatePlace, map[string]any{"id": xh.ID, "in": map[string]any{"name": "新华里社区"}}).Decode(t, &upd)
	if upd["updatePlace"].Name != "新华里社区" {
		t.Fatalf("renamed community: got %+v", upd)
	}
	e.wantRefused(e.do(other, qUpdatePlace, map[string]any{"id": xh.ID, "in": map[string]any{"name": "别名"}}), db.EFORBIDDEN, e.tableState(), "renaming by another subdistrict's admin")

	// Corrections: a grid's name, a household's room and area; the audit keeps old and new.
	e.do(staff, qUpdatePlace, map[string]any{"id": g3.ID, "in": map[string]any{"name": "第三网格（新区）"}}).Decode(t, &upd)
	e.do(staff, qUpdatePlace, map[string]any{"id": h.ID, "in": map[string]any{"room": "102", "floorArea": 90, "reason": "门牌录错了"}}).Decode(t, &upd)
	if u := upd["updatePlace"]; u.Name != "2单元102" || *u.FloorArea != 90 {
		t.Fatalf("corrected household: got %+v", u)
	}
	notes := e.auditNotes(staff, h.ID, "PLACE_CHANGED")
	if len(notes) != 1 || !strings.Contains(notes[0], "房号：101 → 102") || !strings.Contains(notes[0], "门牌录错了") {
		t.Fatalf("audit of the correction: got %q", notes)
	}
	before = e.tableState()
	e.wantRefused(e.do(staff, qUpdatePlace, map[string]any{"id": b8.ID, "in": map[string]any{"units": 1}}), db.EINVALID, before, "fewer units than the households use")
	e.wantRefused(e.do(grid, qUpdatePlace, map[string]any{"id": g3.ID, "in": map[string]any{"name": "改名"}}), db.EFORBIDDEN, before, "a grid worker renaming a grid")
	e.wantRefused(e.do(staff, qUpdatePlace, map[string]any{"id": h.ID, "in": map[string]any{"name": "改名"}}), db.EINVALID, before, "naming a household")

	// A grid lists its buildings, a building its households: live ones, retired on request.
	const qLists = `query($g: ID!, $b: ID!, $r: Boolean) {
		g: node(id: $g) { ... on Place { buildings(includeRetired: $r) { totalCount nodes { name } } } }
		b: node(id: $b) { ... on Place { households(includeRetired: $r) { totalCount nodes { name retiredAt } } children { totalCount } } } }`
	type lists struct {
		G struct{ Buildings struct{ TotalCount int } }
		B struct {
			Households struct {
				TotalCount int
				Nodes      []struct {
					Name      string
					RetiredAt *string
				}
			}
			Children struct{ TotalCount int }
		}
	}
	var l lists
	e.do(staff, qLists, map[string]any{"g": g3.ID, "b": b8.ID}).Decode(t, &l)
	if l.G.Buildings.TotalCount != 1 || l.B.Households.TotalCount != 1 || l.B.Households.Nodes[0].Name != "2单元102" {
		t.Fatalf("lists: got %+v", l)
	}

	// Retiring: refused while something is in the way, saying what.
	before = e.tableState()
	r := e.do(staff, qRetirePlace, map[string]any{"id": b8.ID, "r": "拆除"})
	e.wantRefused(r, db.EINVALIDSTATE, before, "retiring a building with a household")
	if !strings.Contains(r.Errors[0].Message, "2单元102") {
		t.Fatalf("refusal does not name what is in the way: %q", r.Errors[0].Message)
	}
	home := e.householdID(phoneResident)
	r = e.do(staff, qRetirePlace, map[string]any{"id": home, "r": "拆除"})
	e.wantRefused(r, db.EINVALIDSTATE, before, "retiring a household with residents")
	if !strings.Contains(r.Errors[0].Message, "在住居民") {
		t.Fatalf("refusal does not say residents live there: %q", r.Errors[0].Message)
	}
	e.wantRefused(e.do(staff, qRetirePlace, map[string]any{"id": h.ID, "r": " "}), db.EINVALID, before, "retiring without a reason")
	e.wantRefused(e.do(guangming, qRetirePlace, map[string]any{"id": h.ID, "r": "拆除"}), db.EFORBIDDEN, before, "retiring by staff of another community")

	var ret map[string]placeOut
	e.do(staff, qRetirePlace, map[string]any{"id": h.ID, "r": "合并到隔壁"}).Decode(t, &ret)
	if ret["retirePlace"].RetiredAt == nil {
		t.Fatalf("retired household: got %+v", ret)
	}
	e.do(staff, qLists, map[string]any{"g": g3.ID, "b": b8.ID}).Decode(t, &l)
	if l.B.Households.TotalCount != 0 || l.B.Children.TotalCount != 0 {
		t.Fatalf("a retired household still listed: %+v", l)
	}
	e.do(staff, qLists, map[string]any{"g": g3.ID, "b": b8.ID, "r": true}).Decode(t, &l)
	if l.B.Households.TotalCount != 1 || l.B.Households.Nodes[0].RetiredAt == nil {
		t.Fatalf("retired households on request: got %+v", l)
	}
	// Its address is free again; the retired one stays.
	mustPlace(t, e.createPlace(staff, map[string]any{"parentId": b8.ID, "level": "HOUSEHOLD", "unit": "2", "room": "102", "floorArea": 90}), "createPlace")

	// A retired place takes nothing new: no places, no residents, no corrections, and it stays retired.
	mustPlace(t, e.createPlace(staff, map[string]any{"parentId": g3.ID, "level": "BUILDING", "name": "10号楼"}), "createPlace")
	b10 := e.placeKey("和平社区", "和平花园小区", "第三网格（新区）", "10号楼")
	e.do(staff, qRetirePlace, map[string]any{"id": graph.GlobalID("Place", b10), "r": "没有建成"}).Decode(t, &ret)
	before = e.tableState()
	e.wantRefused(e.createPlace(staff, map[string]any{"parentId": graph.GlobalID("Place", b10), "level": "HOUSEHOLD", "room": "1", "floorArea": 50}),
		db.EINVALIDSTATE, before, "a household in a retired building")
	e.wantRefused(e.do(staff, qRetirePlace, map[string]any{"id": h.ID, "r": "再撤销一次"}), db.EINVALIDSTATE, before, "retiring twice")
	e.wantRefused(e.do(staff, qUpdatePlace, map[string]any{"id": h.ID, "in": map[string]any{"room": "103"}}), db.EINVALIDSTATE, before, "correcting a retired place")
	var hid int64
	if err := e.db.Get(&hid, `SELECT id FROM places WHERE parent_id = $1 AND retired_at IS NOT NULL`, e.placeKey("和平社区", "和平花园小区", "第三网格（新区）", "8号楼")); err != nil {
		t.Fatal(err)
	}
	reg := registration(e, "13900000055")
	reg["in"].(map[string]any)["householdId"] = h.ID
	if r := e.do("", registerMutation, reg); r.Code() != db.EINVALID || r.Field() != "householdId" {
		t.Fatalf("registering in a retired household: got %+v", r.Errors)
	}
	if _, err := e.db.Exec(`INSERT INTO residents (household_id, name, birth_date, created_at) VALUES ($1, '新住户', '1990-01-01', now())`, hid); err == nil {
		t.Fatal("the database took a resident into a retired household")
	}
	if _, err := e.db.Exec(`UPDATE places SET retired_at = NULL WHERE id = $1`, hid); err == nil {
		t.Fatal("the database brought a retired place back")
	}
	if _, err := e.db.Exec(`UPDATE places SET retired_at = now() WHERE id = $1`, e.placeKey("和平社区", "和平花园小区", "第一网格", "1号楼")); err == nil {
		t.Fatal("the database retired a building with households")
	}
	e.pathsConsistent()
}

// Moves rewrite the paths of everything under the moved place, so what was under the old
// grid is now under the new one; moves that break the tree are refused, also in SQL.
func TestMovePlaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, grid, resident, guangming := e.login(phoneStaff), e.login(phoneGridWorker), e.login(phoneResident), e.login(phoneStaffGuangming)
	b1 := e.placeAt("和平社区", "和平花园小区", "第一网格", "1号楼")
	grid1, grid2 := e.placeAt("和平社区", "和平花园小区", "第一网格"), e.placeAt("和平社区", "和平花园小区", "第二网格")
	w := e.published(resident, staff, "楼道灯坏了")
	in := e.wishInput("想借一把梯子")
	in["placeId"] = grid1 // shown in the grid only
	inGrid := mustWish(t, e.review(staff, e.submit(resident, in).ID, "PUBLISH", nil))

	const qWishesIn = `query($p: ID!) { wishes(filter: {placeId: $p}) { nodes { id } } }`
	wishesIn := func(token, place string) []string {
		var out struct {
			Wishes struct{ Nodes []struct{ ID string } }
		}
		e.do(token, qWishesIn, map[string]any{"p": place}).Decode(t, &out)
		var ids []string
		for _, n := range out.Wishes.Nodes {
			ids = append(ids, n.ID)
		}
		return ids
	}
	if got := wishesIn(staff, grid2); len(got) != 0 {
		t.Fatalf("wishes under 第二网格 before the move: %v", got)
	}

	// The grid worker of 第一网格 cannot take the building out of their grid.
	before := e.tableState()
	e.wantRefused(e.do(grid, qMovePlace, map[string]any{"id": b1, "to": grid2}), db.EFORBIDDEN, before, "a grid worker moving a building out of their grid")
	e.wantRefused(e.do(guangming, qMovePlace, map[string]any{"id": b1, "to": grid2}), db.EFORBIDDEN, before, "staff of another community")
	e.wantRefused(e.do(staff, qMovePlace, map[string]any{"id": b1, "to": e.placeAt("光明社区", "第一网格")}), db.EINVALID, before, "moving to another community")
	e.wantRefused(e.do(staff, qMovePlace, map[string]any{"id": b1, "to": e.household()}), db.EINVALID, before, "a building under a household")
	e.wantRefused(e.do(staff, qMovePlace, map[string]any{"id": grid1, "to": b1}), db.EINVALID, before, "a grid under its own building")
	e.wantRefused(e.do(e.login(phoneAdmin), qMovePlace, map[string]any{"id": e.placeAt("和平社区"), "to": e.placeAt("幸福街道")}), db.EINVALID, before, "moving a community")

	var moved map[string]placeOut
	e.do(staff, qMovePlace, map[string]any{"id": b1, "to": grid2, "r": "网格调整"}).Decode(t, &moved)
	if m := moved["movePlace"]; m.Parent.Name != "第二网格" {
		t.Fatalf("moved building: got %+v", m)
	}
	e.pathsConsistent()
	if got := wishesIn(staff, grid2); len(got) != 2 || !slices.Contains(got, w.ID) || !slices.Contains(got, inGrid.ID) {
		t.Fatalf("wishes under 第二网格 after the move: got %v, want the two wishes from 1号楼", got)
	}
	// The wish shown in the grid only is now shown in the new grid; the community's stays.
	var shown struct {
		A struct{ Place struct{ Name string } }
		B struct{ Place struct{ Name string } }
	}
	e.do(staff, `query($a: ID!, $b: ID!) { a: node(id: $a) { ... on Wish { place { name } } } b: node(id: $b) { ... on Wish { place { name } } } }`,
		map[string]any{"a": inGrid.ID, "b": w.ID}).Decode(t, &shown)
	if shown.A.Place.Name != "第二网格" || shown.B.Place.Name != "和平社区" {
		t.Fatalf("where the wishes are shown after the move: %+v", shown)
	}
	// The figures for analysts count it under the new grid too: wish_stats equals a recount.
	if n := e.count(`SELECT count(*) FROM (SELECT * FROM wish_stats EXCEPT SELECT * FROM wish_stats_source) d`); n != 0 {
		t.Fatalf("%d wish_stats rows differ from a recount after the move", n)
	}
	if n := e.count(`SELECT count(*) FROM wish_stats WHERE grid_id = $1`, e.placeKey("和平社区", "和平花园小区", "第二网格")); n != 2 {
		t.Fatalf("wish_stats under 第二网格: got %d, want 2", n)
	}
	var anc struct {
		Node struct{ Ancestors []struct{ Name string } }
	}
	e.do(staff, `query($id: ID!) { node(id: $id) { ... on Place { ancestors { name } } } }`, map[string]any{"id": e.householdID(phoneResident)}).Decode(t, &anc)
	if len(anc.Node.Ancestors) != 6 || anc.Node.Ancestors[3].Name != "第二网格" {
		t.Fatalf("the resident's household after the move: %+v", anc.Node.Ancestors)
	}
	// The old grid's worker no longer sees the building's households.
	var kids struct {
		Node struct{ Children struct{ TotalCount int } }
	}
	e.do(grid, `query($id: ID!) { node(id: $id) { ... on Place { children { totalCount } } } }`, map[string]any{"id": b1}).Decode(t, &kids)
	if kids.Node.Children.TotalCount != 0 {
		t.Fatalf("第一网格's worker still sees %d households of the moved building", kids.Node.Children.TotalCount)
	}
	if n := e.auditNotes(staff, b1, "PLACE_MOVED"); len(n) != 1 || !strings.Contains(n[0], "从第一网格移到第二网格") {
		t.Fatalf("audit of the move: %q", n)
	}

	// A grid out of the compound straight under the community: a shorter path for all under it.
	e.do(staff, qMovePlace, map[string]any{"id": grid2, "to": e.placeAt("和平社区")}).Decode(t, &moved)
	e.pathsConsistent()
	if n := e.count(`SELECT count(*) FROM (SELECT * FROM wish_stats EXCEPT SELECT * FROM wish_stats_source) d`); n != 0 {
		t.Fatalf("%d wish_stats rows differ from a recount after moving the grid", n)
	}
	e.do(staff, `query($id: ID!) { node(id: $id) { ... on Place { ancestors { name } } } }`, map[string]any{"id": e.householdID(phoneResident)}).Decode(t, &anc)
	if len(anc.Node.Ancestors) != 5 || anc.Node.Ancestors[2].Name != "第二网格" {
		t.Fatalf("after moving the grid: %+v", anc.Node.Ancestors)
	}

	// The grid worker moves a household between two buildings of their grid; the unit must fit.
	b2, b3 := e.placeAt("和平社区", "和平花园小区", "第一网格", "2号楼"), e.placeAt("和平社区", "和平花园小区", "第一网格", "3号楼")
	var hh int64
	if err := e.db.Get(&hh, `SELECT h.id FROM places h WHERE h.parent_id = $1 AND NOT EXISTS (SELECT 1 FROM places o WHERE o.parent_id = $2
		AND o.unit IS NOT DISTINCT FROM h.unit AND o.room = h.room) ORDER BY h.id LIMIT 1`, e.placeKey("和平社区", "和平花园小区", "第一网格", "2号楼"), e.placeKey("和平社区", "和平花园小区", "第一网格", "3号楼")); err != nil {
		t.Fatal(err)
	}
	e.do(grid, qMovePlace, map[string]any{"id": graph.GlobalID("Place", hh), "to": b3}).Decode(t, &moved)
	e.wantRefused(e.do(grid, qMovePlace, map[string]any{"id": graph.GlobalID("Place", hh), "to": b1}), db.EFORBIDDEN, e.tableState(), "a household to a building outside the grid")
	var taken int64
	e.db.Get(&taken, `SELECT h.id FROM places h JOIN places o ON o.parent_id = $2 AND o.unit IS NOT DISTINCT FROM h.unit AND o.room = h.room
		WHERE h.parent_id = $1 ORDER BY h.id LIMIT 1`, e.placeKey("和平社区", "和平花园小区", "第一网格", "2号楼"), e.placeKey("和平社区", "和平花园小区", "第一网格", "3号楼"))
	e.wantRefused(e.do(grid, qMovePlace, map[string]any{"id": graph.GlobalID("Place", taken), "to": b3}), db.ECONFLICT, e.tableState(), "a household to an address that is taken")
	_ = b2

	// Even a superuser's SQL cannot break the tree.
	g1, bk1 := e.placeKey("和平社区", "和平花园小区", "第一网格"), e.placeKey("和平社区", "和平花园小区", "第一网格", "2号楼")
	var anning int64
	if err := e.db.Get(&anning, `INSERT INTO places (level, name) VALUES ('subdistrict', '安宁街道') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	before = e.tableState()
	for _, c := range []struct {
		what, sql string
		args      []any
	}{
		{"a grid under its own building", `UPDATE places SET parent_id = $1 WHERE id = $2`, []any{bk1, g1}},
		{"a place under itself", `UPDATE places SET parent_id = $1 WHERE id = $1`, []any{bk1}},
		{"a building to another community", `UPDATE places SET parent_id = $1 WHERE id = $2`, []any{e.placeKey("光明社区", "第一网格"), bk1}},
		{"a path written by hand", `UPDATE places SET path = ARRAY[$1::bigint] WHERE id = $1`, []any{bk1}},
		{"a level changed", `UPDATE places SET level = 'grid' WHERE id = $1`, []any{bk1}},
		{"a community moved", `UPDATE places SET parent_id = $1 WHERE id = $2`, []any{anning, e.placeKey("光明社区")}},
	} {
		if _, err := e.db.Exec(c.sql, c.args...); err == nil {
			t.Fatalf("superuser SQL: %s was allowed", c.what)
		}
	}
	if after := e.tableState(); after != before {
		t.Fatal("a refused SQL update changed the tree")
	}
	e.pathsConsistent()
}

// Moves at once, in every direction (buildings between grids, those grids in and out of the
// compound): the paths always match the parents, and no place ends up under itself.
func TestConcurrentMoves(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	compound, community := e.placeAt("和平社区", "和平花园小区"), e.placeAt("和平社区")
	grids := []string{e.placeAt("和平社区", "和平花园小区", "第一网格"), e.placeAt("和平社区", "和平花园小区", "第二网格")}
	buildings := []string{
		e.placeAt("和平社区", "和平花园小区", "第一网格", "1号楼"), e.placeAt("和平社区", "和平花园小区", "第一网格", "2号楼"),
		e.placeAt("和平社区", "和平花园小区", "第二网格", "5号楼"), e.placeAt("和平社区", "和平花园小区", "第二网格", "6号楼"),
	}
	const rounds = 6
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	move := func(id, to string) {
		r, err := e.post(staff, qMovePlace, map[string]any{"id": id, "to": to})
		if err == nil && len(r.Errors) > 0 {
			err = fmt.Errorf("move: %+v", r.Errors)
		}
		if err != nil {
			errs <- err
		}
	}
	for i, b := range buildings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				move(b, grids[(i+r)%2])
			}
		}()
	}
	for i, g := range grids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				move(g, []string{community, compound}[(i+r)%2])
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	e.pathsConsistent()
	if n := e.count(`SELECT count(*) FROM places WHERE id = ANY(path[1:cardinality(path) - 1])`); n != 0 {
		t.Fatalf("%d places under themselves", n)
	}
}

// A real community starts with nothing from the demo: an empty database, `linli setup`'s
// first admin, and the API for the rest.
func TestSetUpFromNothing(t *testing.T) {
	t.Parallel()
	d, _ := dbtest.New(t)
	e := serve(t, d)
	in := db.Setup{Subdistrict: " 平安街道 ", Phone: "139 0000 0001", Name: "周平", Password: "pingan-2026"}
	res, err := e.store.SetUp(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}
	if !res.MadeSubdistrict || !res.MadeAccount || !res.MadeGrant {
		t.Fatalf("first setup: got %+v", res)
	}
	again, err := e.store.SetUp(t.Context(), in)
	if err != nil || again.MadeSubdistrict || again.MadeAccount || again.MadeGrant || again.SubdistrictID != res.SubdistrictID {
		t.Fatalf("setup again: got %+v, %v; want nothing new", again, err)
	}
	if _, err := e.store.SetUp(t.Context(), db.Setup{Subdistrict: "平安街道", Phone: "12", Name: "周平", Password: "pingan-2026"}); db.ErrorCode(err) != db.EINVALID {
		t.Fatalf("setup with a bad phone: got %v", err)
	}

	admin := e.loginWith("13900000001", "pingan-2026")
	var subs struct {
		Subdistricts struct{ Nodes []struct{ ID, Name string } }
	}
	e.do("", `{ subdistricts { nodes { id name } } }`, nil).Decode(t, &subs)
	if len(subs.Subdistricts.Nodes) != 1 || subs.Subdistricts.Nodes[0].Name != "平安街道" {
		t.Fatalf("subdistricts: %+v", subs)
	}
	c := mustPlace(t, e.createPlace(admin, map[string]any{"parentId": subs.Subdistricts.Nodes[0].ID, "level": "COMMUNITY", "name": "平安社区"}), "createPlace")
	g := mustPlace(t, e.createPlace(admin, map[string]any{"parentId": c.ID, "level": "GRID", "name": "第一网格"}), "createPlace")
	b := mustPlace(t, e.createPlace(admin, map[string]any{"parentId": g.ID, "level": "BUILDING", "name": "1号楼", "units": 3}), "createPlace")
	mustPlace(t, e.createPlace(admin, map[string]any{"parentId": b.ID, "level": "HOUSEHOLD", "unit": "3", "room": "501", "floorArea": 101.5}), "createPlace")
	var set struct {
		CommunitySettings struct{ ClaimLimit int }
	}
	e.do(admin, `query($c: ID!) { communitySettings(communityId: $c) { claimLimit } }`, map[string]any{"c": c.ID}).Decode(t, &set)
	if set.CommunitySettings.ClaimLimit != 3 {
		t.Fatalf("a new community's settings: %+v", set)
	}
	if n := len(e.auditNotes(admin, subs.Subdistricts.Nodes[0].ID, "PLACE_CREATED")); n != 4 {
		t.Fatalf("audit of the admin's places: got %d, want 4", n)
	}
	e.pathsConsistent()
}

// Retiring a building while households are added to it: either the retirement wins and
// every addition is refused, or an addition wins and the retirement is refused; never a
// retired building with live households.
func TestRetireWhileAdding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	grid1 := e.placeAt("和平社区", "和平花园小区", "第一网格")
	for round := range 4 {
		b := mustPlace(t, e.createPlace(staff, map[string]any{"parentId": grid1, "level": "BUILDING", "name": fmt.Sprintf("临时%d号楼", round)}), "createPlace")
		var wg sync.WaitGroup
		codes := make(chan string, 20)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := e.post(staff, qCreatePlace, map[string]any{"in": map[string]any{"parentId": b.ID, "level": "HOUSEHOLD", "room": fmt.Sprintf("%d01", i+1), "floorArea": 60}})
				if err != nil {
					codes <- err.Error()
					return
				}
				codes <- "create:" + r.Code()
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.post(staff, qRetirePlace, map[string]any{"id": b.ID, "r": "试一试"})
			if err != nil {
				codes <- err.Error()
				return
			}
			codes <- "retire:" + r.Code()
		}()
		wg.Wait()
		close(codes)
		for c := range codes {
			if c != "create:" && c != "retire:" && c != "create:"+db.EINVALIDSTATE && c != "retire:"+db.EINVALIDSTATE {
				t.Fatalf("round %d: unexpected outcome %s", round, c)
			}
		}
		if n := e.count(`SELECT count(*) FROM places b JOIN places h ON h.parent_id = b.id AND h.retired_at IS NULL
			WHERE b.retired_at IS NOT NULL`); n != 0 {
			t.Fatalf("round %d: %d live households in a retired building", round, n)
		}
	}
}
