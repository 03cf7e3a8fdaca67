package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"linli/db"
)

func TestBrowsePlaces(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	// Anyone may browse the tree down to the buildings.
	var out struct {
		Subdistricts struct {
			TotalCount int
			Nodes      []struct {
				Name     string
				Level    string
				Children struct {
					Nodes []struct{ Name, Level string }
				}
			}
		}
	}
	e.do("", `{ subdistricts { totalCount nodes { name level children { nodes { name level } } } } }`, nil).Decode(t, &out)
	s := out.Subdistricts
	if s.TotalCount != 1 || s.Nodes[0].Name != "幸福街道" || s.Nodes[0].Level != "SUBDISTRICT" {
		t.Fatalf("subdistricts: got %+v, want 幸福街道", s)
	}
	var names []string
	for _, c := range s.Nodes[0].Children.Nodes {
		names = append(names, c.Name+"/"+c.Level)
	}
	if got := strings.Join(names, ","); got != "和平社区/COMMUNITY,光明社区/COMMUNITY" {
		t.Fatalf("communities: got %s", got)
	}

	// A household is personal: nobody signed in finds it (TestHouseholdVisibility); staff
	// of its community see it with its floor area, and its path from the top.
	var hidden struct{ Node *struct{ Name string } }
	e.do("", `query($id: ID!) { node(id: $id) { ... on Place { name } } }`, map[string]any{"id": e.household()}).Decode(t, &hidden)
	if hidden.Node != nil {
		t.Fatalf("a household for nobody signed in: got %+v, want null", hidden.Node)
	}
	var hh struct {
		Node struct {
			Name      string
			Level     string
			Room      string
			FloorArea float64
			Parent    struct{ Level string }
			Ancestors []struct{ Level string }
		}
	}
	e.do(e.login(phoneAdmin), `query($id: ID!) { node(id: $id) { ... on Place { name level room floorArea parent { level } ancestors { level } } } }`,
		map[string]any{"id": e.household()}).Decode(t, &hh)
	n := hh.Node
	if n.Level != "HOUSEHOLD" || n.Room == "" || n.FloorArea < 30 || n.FloorArea > 200 || n.Parent.Level != "BUILDING" {
		t.Fatalf("household: got %+v", n)
	}
	if first, last := n.Ancestors[0].Level, n.Ancestors[len(n.Ancestors)-1].Level; first != "SUBDISTRICT" || last != "HOUSEHOLD" {
		t.Fatalf("ancestors: got %+v, want from the subdistrict down to the household", n.Ancestors)
	}
}

func TestPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff := e.login(phoneStaff)
	community := e.placeID("和平社区")
	const q = `query($p: ID!, $first: Int, $after: String, $last: Int, $before: String) {
		residents(placeId: $p, first: $first, after: $after, last: $last, before: $before) {
			totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		}
	}`
	type page struct {
		Residents struct {
			TotalCount int
			Edges      []struct {
				Cursor string
				Node   struct{ ID string }
			}
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       string
			}
		}
	}
	get := func(vars map[string]any) page {
		t.Helper()
		vars["p"] = community
		var p page
		e.do(staff, q, vars).Decode(t, &p)
		return p
	}

	// Walk forward 7 at a time: every resident exactly once, in order.
	seen := map[string]bool{}
	var all []string
	vars := map[string]any{"first": 7}
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("paging does not end")
		}
		p := get(vars)
		for _, ed := range p.Residents.Edges {
			if seen[ed.Node.ID] {
				t.Fatalf("resident %s seen twice", ed.Node.ID)
			}
			seen[ed.Node.ID] = true
			all = append(all, ed.Node.ID)
		}
		if !p.Residents.PageInfo.HasNextPage {
			if len(all) != p.Residents.TotalCount {
				t.Fatalf("walked %d residents, totalCount says %d", len(all), p.Residents.TotalCount)
			}
			break
		}
		vars = map[string]any{"first": 7, "after": p.Residents.PageInfo.EndCursor}
	}
	if len(all) < 20 {
		t.Fatalf("only %d residents in 和平社区; the demo should have many more", len(all))
	}

	// Backward from the end: the last 5, in the same order.
	p := get(map[string]any{"last": 5})
	if len(p.Residents.Edges) != 5 || !p.Residents.PageInfo.HasPreviousPage {
		t.Fatalf("last 5: got %d edges, hasPreviousPage %v", len(p.Residents.Edges), p.Residents.PageInfo.HasPreviousPage)
	}
	for i, ed := range p.Residents.Edges {
		if want := all[len(all)-5+i]; ed.Node.ID != want {
			t.Fatalf("last 5, item %d: got %s, want %s", i, ed.Node.ID, want)
		}
	}
	p = get(map[string]any{"last": 3, "before": p.Residents.PageInfo.StartCursor})
	if got := p.Residents.Edges[2].Node.ID; got != all[len(all)-6] {
		t.Fatalf("3 before those: got %s, want %s", got, all[len(all)-6])
	}

	// Default 20, cap 100.
	if n := len(get(map[string]any{}).Residents.Edges); n != 20 {
		t.Fatalf("default page: got %d, want 20", n)
	}
	for _, c := range []struct {
		vars  map[string]any
		field string
	}{
		{map[string]any{"first": 101}, "first"},
		{map[string]any{"last": 500}, "last"},
		{map[string]any{"first": -1}, "first"},
		{map[string]any{"first": 5, "last": 5}, "first"},
		{map[string]any{"first": 5, "after": "not-a-cursor"}, "after"},
	} {
		c.vars["p"] = community
		r := e.do(staff, q, c.vars)
		r.wantCode(t, db.EINVALID)
		if r.Field() != c.field {
			t.Fatalf("%v: field got %q, want %q", c.vars, r.Field(), c.field)
		}
	}
}

const residentsQuery = `query($p: ID!, $f: ResidentFilter) {
	residents(placeId: $p, filter: $f, first: 100) { totalCount nodes { id name phone phoneMasked tags household { id } } }
}`

type residentsPage struct {
	Residents struct {
		TotalCount int
		Nodes      []struct {
			ID, Name    string
			Phone       *string
			PhoneMasked bool
			Tags        *[]string
			Household   struct{ ID string }
		}
	}
}

func TestResidentsByRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	heping, guangming := e.placeID("和平社区"), e.placeID("光明社区")

	// Staff of 和平社区: full phones and tags there; nothing in 光明社区.
	staff := e.login(phoneStaff)
	var p residentsPage
	e.do(staff, residentsQuery, map[string]any{"p": heping}).Decode(t, &p)
	tagged := 0
	for _, r := range p.Residents.Nodes {
		if r.Phone != nil && (r.PhoneMasked || strings.Contains(*r.Phone, "*")) {
			t.Fatalf("staff sees %s's phone masked: %s", r.Name, *r.Phone)
		}
		if r.Tags == nil {
			t.Fatalf("staff cannot see %s's tags", r.Name)
		}
		if len(*r.Tags) > 0 {
			tagged++
		}
	}
	if tagged == 0 {
		t.Fatal("no tagged residents in 和平社区: the demo should have some (独居老人 …)")
	}
	e.do(staff, residentsQuery, map[string]any{"p": guangming}).wantCode(t, db.EFORBIDDEN)

	// The other community's staff: the reverse.
	other := e.login(phoneStaffGuangming)
	e.do(other, residentsQuery, map[string]any{"p": heping}).wantCode(t, db.EFORBIDDEN)
	e.do(other, residentsQuery, map[string]any{"p": guangming}).Decode(t, &p)
	if p.Residents.TotalCount == 0 {
		t.Fatal("光明社区 staff sees no residents there")
	}

	// A building leader sees the building's residents with masked phones and no tags.
	var building struct {
		Me struct {
			Roles []struct{ Place struct{ ID string } }
		}
	}
	leader := e.login(phoneBuildingLeader)
	e.do(leader, `{ me { roles { place { id } } } }`, nil).Decode(t, &building)
	e.do(leader, residentsQuery, map[string]any{"p": building.Me.Roles[0].Place.ID}).Decode(t, &p)
	if p.Residents.TotalCount == 0 {
		t.Fatal("the building leader sees nobody in their building")
	}
	for _, r := range p.Residents.Nodes {
		if r.Phone != nil && *r.Phone == phoneBuildingLeader {
			continue // she lives in the building she leads, and sees her own number
		}
		if r.Phone != nil && !(r.PhoneMasked && maskedPhone(*r.Phone)) {
			t.Fatalf("building leader sees %s's phone as %s, want 138****1234 form", r.Name, *r.Phone)
		}
		if r.Tags != nil {
			t.Fatalf("building leader sees %s's tags", r.Name)
		}
	}
	e.do(leader, residentsQuery, map[string]any{"p": heping}).wantCode(t, db.EFORBIDDEN)

	// A grid worker sees tags in their grid, but masked phones.
	grid := e.login(phoneGridWorker)
	var gw struct {
		Me struct {
			Roles []struct{ Place struct{ ID string } }
		}
	}
	e.do(grid, `{ me { roles { place { id } } } }`, nil).Decode(t, &gw)
	e.do(grid, residentsQuery, map[string]any{"p": gw.Me.Roles[0].Place.ID}).Decode(t, &p)
	for _, r := range p.Residents.Nodes {
		if r.Tags == nil || (r.Phone != nil && !r.PhoneMasked) {
			t.Fatalf("grid worker sees %s with tags %v and phone %v", r.Name, r.Tags, r.Phone)
		}
	}

	// Volunteers, analysts, residents and nobody may not list residents.
	for _, phone := range []string{phoneVolunteer, phoneAnalyst, phoneResident, phoneCouncil} {
		e.do(e.login(phone), residentsQuery, map[string]any{"p": heping}).wantCode(t, db.EFORBIDDEN)
	}
	e.do("", residentsQuery, map[string]any{"p": heping}).wantCode(t, db.EUNAUTHENTICATED)

	// Filters compose.
	e.do(staff, residentsQuery, map[string]any{"p": heping, "f": map[string]any{"verified": false}}).Decode(t, &p)
	if p.Residents.TotalCount == 0 {
		t.Fatal("no unverified residents in 和平社区: the demo should have some to verify")
	}
	e.do(staff, residentsQuery, map[string]any{"p": heping, "f": map[string]any{"nameContains": "%"}}).Decode(t, &p)
	if p.Residents.TotalCount != 0 {
		t.Fatalf("nameContains %%: got %d, want 0 (it is not a wildcard)", p.Residents.TotalCount)
	}
}

func maskedPhone(s string) bool {
	return len(s) == 11 && s[3:7] == "****"
}

func TestPhoneMasking(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const q = `query($id: ID!) { node(id: $id) { ... on Resident { name phone phoneMasked tags } } }`
	var me struct {
		Me struct{ Resident struct{ ID string } }
	}
	resident := e.login(phoneResident)
	e.do(resident, `{ me { resident { id } } }`, nil).Decode(t, &me)
	id := me.Me.Resident.ID

	type view struct {
		Node *struct {
			Phone       string
			PhoneMasked bool
			Tags        *[]string
		}
	}
	cases := []struct {
		who          string
		token        string
		visible      bool
		masked, tags bool
	}{
		{"self", resident, true, false, false},
		{"staff", e.login(phoneStaff), true, false, true},
		{"admin (masked phone, no tags)", e.login(phoneAdmin), true, true, false},
		{"other community's staff", e.login(phoneStaffGuangming), false, false, false},
		{"volunteer", e.login(phoneVolunteer), false, false, false},
		{"analyst", e.login(phoneAnalyst), false, false, false},
	}
	for _, c := range cases {
		var v view
		e.do(c.token, q, map[string]any{"id": id}).Decode(t, &v)
		if (v.Node != nil) != c.visible {
			t.Fatalf("%s: visible got %v, want %v", c.who, v.Node != nil, c.visible)
		}
		if v.Node == nil {
			continue
		}
		if v.Node.PhoneMasked != c.masked || maskedPhone(v.Node.Phone) != c.masked {
			t.Fatalf("%s: phone %q (masked %v), want masked %v", c.who, v.Node.Phone, v.Node.PhoneMasked, c.masked)
		}
		if (v.Node.Tags != nil) != c.tags {
			t.Fatalf("%s: tags %v, want visible %v", c.who, v.Node.Tags, c.tags)
		}
	}
	if got := fmt.Sprint(db.MaskPhone("13812341234")); got != "138****1234" {
		t.Fatalf("MaskPhone: got %s", got)
	}
}
