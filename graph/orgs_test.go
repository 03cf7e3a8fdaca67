package graph_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// Dual reporting and the resources list, through the API: organisations and contacts,
// both kinds of check-in (报到), offers kept by their owners, and service records for home
// units without residents' personal data.

const (
	qRegisterOrg = `mutation($in: RegisterOrganisationInput!) { registerOrganisation(input: $in) {
		id name kind registeredIn { name } communities { name } } }`
	qSetMember = `mutation($o: ID!, $a: ID!, $c: Boolean) { setOrganisationMember(organisationId: $o, accountId: $a, contact: $c) {
		contact account { id } } }`
	qOrg       = `query($id: ID!) { organisation(id: $id) { id name viewerIsContact } }`
	qOrgCheck  = `mutation($o: ID!, $c: ID!, $n: String) { checkInOrganisation(organisationId: $o, communityId: $c, note: $n) { id state } }`
	qOrgDecide = `mutation($id: ID!, $a: Boolean!, $r: String) { decideOrganisationCheckIn(checkInId: $id, accept: $a, reason: $r) {
		id state declineReason organisation { name } community { name } } }`
	qMemberCheck  = `mutation($in: CheckInMemberInput!) { checkInMember(input: $in) { id state workUnitName } }`
	qMemberDecide = `mutation($id: ID!, $a: Boolean!, $r: String) { decideMemberCheckIn(checkInId: $id, accept: $a, reason: $r) {
		id state workUnitName } }`
	qMemberList = `query($s: [CheckInState!]) { memberCheckIns(states: $s) { nodes {
		id state skills availability workUnitName member { name phone } organisation { name } } } }`
	qOffer = `mutation($o: ID, $in: ResourceInput!) { offerResource(organisationId: $o, input: $in) {
		id title kind stale updatedAt organisation { name } communities { name } } }`
	qUpdateRes   = `mutation($id: ID!, $in: ResourceInput!) { updateResource(resourceId: $id, input: $in) { id title stale updatedAt } }`
	qWithdrawRes = `mutation($id: ID!) { withdrawResource(resourceId: $id, reason: "不再提供") { id withdrawnAt stale } }`
	qResources   = `query { resources(first: 100) { nodes { id title stale organisation { name } } } }`
)

// orgEnv is a test's service with one community's staff and a fresh organisation of kind,
// registered by 和平社区 to serve it, with a new account as its contact.
type orgEnv struct {
	*env
	staff, contact, org, community string
}

// newAccount makes an account (not a resident) with the admin's help and signs it in.
func (e *env) newAccount(phone, name string) (id, token string) {
	e.t.Helper()
	var made struct{ CreateAccount struct{ ID string } }
	e.do(e.login(phoneAdmin), `mutation($in: CreateAccountInput!) { createAccount(input: $in) { id } }`,
		map[string]any{"in": map[string]any{"phone": phone, "name": name, "password": "first-2026",
			"placeId": e.placeID("幸福街道")}}).Decode(e.t, &made)
	var login struct{ Login struct{ Token string } }
	e.do("", `mutation($p: String!) { login(phone: $p, password: "first-2026") { token } }`,
		map[string]any{"p": phone}).Decode(e.t, &login)
	return made.CreateAccount.ID, login.Login.Token
}

// registerOrg registers an organisation in 和平社区, serving it, with a new contact.
func (e *env) registerOrg(kind, name, contactPhone string) orgEnv {
	e.t.Helper()
	o := orgEnv{env: e, staff: e.login(phoneStaff), community: e.placeID("和平社区")}
	var reg struct{ RegisterOrganisation struct{ ID string } }
	e.do(o.staff, qRegisterOrg, map[string]any{"in": map[string]any{"kind": kind, "name": name,
		"registeredIn": o.community, "communityIds": []string{o.community}}}).Decode(e.t, &reg)
	o.org = reg.RegisterOrganisation.ID
	account, token := e.newAccount(contactPhone, name+"联系人")
	e.do(o.staff, qSetMember, map[string]any{"o": o.org, "a": account, "c": true}).Decode(e.t, &struct{}{})
	o.contact = token
	return o
}

func TestOrganisationRegisteredWithContacts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	staff, guangming := e.login(phoneStaff), e.login(phoneStaffGuangming)
	heping, guangmingID := e.placeID("和平社区"), e.placeID("光明社区")
	orgs := func() int64 { return e.sqlInt(`SELECT count(*) FROM organisations`) }
	before := orgs()
	in := func(set map[string]any) map[string]any {
		m := map[string]any{"kind": "PAIRED_UNIT", "name": "区税务局机关党支部", "registeredIn": heping, "communityIds": []string{heping}}
		for k, v := range set {
			m[k] = v
		}
		return map[string]any{"in": m}
	}
	// Bad inputs and wrong people: typed, and nothing registered.
	for _, c := range []struct {
		name, token, code, field string
		set                      map[string]any
	}{
		{"nobody", "", "UNAUTHENTICATED", "", nil},
		{"other community's staff", guangming, "FORBIDDEN", "", nil},
		{"a volunteer", e.login(phoneVolunteer), "FORBIDDEN", "", nil},
		{"blank name", staff, "INVALID_INPUT", "name", map[string]any{"name": "  "}},
		{"long name", staff, "INVALID_INPUT", "name", map[string]any{"name": strings.Repeat("单", 61)}},
		{"no communities", staff, "INVALID_INPUT", "communityIds", map[string]any{"communityIds": []string{}}},
		{"community outside", staff, "INVALID_INPUT", "communityIds", map[string]any{"communityIds": []string{guangmingID}}},
		{"not a community", staff, "INVALID_INPUT", "communityIds", map[string]any{"communityIds": []string{e.placeID("和平花园小区")}}},
		{"wrong id type", staff, "INVALID_INPUT", "communityIds", map[string]any{"communityIds": []string{e.accountID(phoneStaff)}}},
		{"bad kind", staff, "INVALID_INPUT", "", map[string]any{"kind": "CLUB"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.token, qRegisterOrg, in(c.set))
			r.wantCode(t, c.code)
			if c.field != "" && r.Field() != c.field {
				t.Errorf("field: got %q, want %q", r.Field(), c.field)
			}
		})
	}
	if got := orgs(); got != before {
		t.Fatalf("organisations after refused registrations: got %d, want %d", got, before)
	}

	var reg struct {
		RegisterOrganisation struct {
			ID           string
			Kind         string
			RegisteredIn struct{ Name string }
			Communities  []struct{ Name string }
		}
	}
	e.do(staff, qRegisterOrg, in(nil)).Decode(t, &reg)
	o := reg.RegisterOrganisation
	if o.Kind != "PAIRED_UNIT" || o.RegisteredIn.Name != "和平社区" || len(o.Communities) != 1 || o.Communities[0].Name != "和平社区" {
		t.Fatalf("registered: got %+v", o)
	}
	e.do(staff, qRegisterOrg, in(nil)).wantCode(t, "CONFLICT")

	// The subdistrict's admin pairs it with 光明社区 too; 和平社区's staff cannot.
	pair := `mutation($o: ID!, $c: ID!) { pairOrganisation(organisationId: $o, communityId: $c) { communities { name } } }`
	e.do(staff, pair, map[string]any{"o": o.ID, "c": guangmingID}).wantCode(t, "FORBIDDEN")
	var paired struct {
		PairOrganisation struct{ Communities []struct{ Name string } }
	}
	e.do(e.login(phoneAdmin), pair, map[string]any{"o": o.ID, "c": guangmingID}).Decode(t, &paired)
	if n := len(paired.PairOrganisation.Communities); n != 2 {
		t.Fatalf("communities after pairing: got %d, want 2", n)
	}

	// A contact is named by staff; the contact sees the organisation, others do not.
	account, contact := e.newAccount("13700000101", "何联络")
	var set struct{ SetOrganisationMember struct{ Contact bool } }
	e.do(staff, qSetMember, map[string]any{"o": o.ID, "a": account, "c": true}).Decode(t, &set)
	if !set.SetOrganisationMember.Contact {
		t.Fatal("contact flag not set")
	}
	var seen struct {
		Organisation *struct{ ViewerIsContact bool }
	}
	e.do(contact, qOrg, map[string]any{"id": o.ID}).Decode(t, &seen)
	if seen.Organisation == nil || !seen.Organisation.ViewerIsContact {
		t.Fatalf("contact's view: got %+v", seen.Organisation)
	}
	e.do(e.login(phoneVolunteer), qOrg, map[string]any{"id": o.ID}).Decode(t, &seen)
	if seen.Organisation != nil {
		t.Fatal("a volunteer with no part in it sees the organisation")
	}
	// A contact adds members but names no contacts.
	member, _ := e.newAccount("13700000102", "何成员")
	e.do(contact, qSetMember, map[string]any{"o": o.ID, "a": member, "c": true}).wantCode(t, "FORBIDDEN")
	e.do(contact, qSetMember, map[string]any{"o": o.ID, "a": member, "c": false}).Decode(t, &set)
	var members struct {
		Organisation struct{ Members []struct{ Contact bool } }
	}
	e.do(contact, `query($id: ID!) { organisation(id: $id) { members { contact } } }`, map[string]any{"id": o.ID}).Decode(t, &members)
	if ms := members.Organisation.Members; len(ms) != 2 || !ms[0].Contact || ms[1].Contact {
		t.Fatalf("members: got %+v, want the contact then one member", ms)
	}
}

func TestCheckInsWithRights(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	unit := e.registerOrg("PAIRED_UNIT", "区住建委测试党支部", "13700000201")
	shop := e.registerOrg("MERCHANT", "测试理发店", "13700000202")
	guangming := e.placeID("光明社区")

	// 组织报到: only the unit's contact, only a paired unit, only to a paired community.
	checkIns := func() int64 { return e.sqlInt(`SELECT count(*) FROM organisation_check_ins`) }
	before := checkIns()
	vars := func(org, community string) map[string]any { return map[string]any{"o": org, "c": community} }
	e.do(unit.staff, qOrgCheck, vars(unit.org, unit.community)).wantCode(t, "FORBIDDEN")
	e.do(shop.contact, qOrgCheck, vars(shop.org, shop.community)).wantCode(t, "INVALID_INPUT")
	e.do(unit.contact, qOrgCheck, vars(unit.org, guangming)).wantCode(t, "INVALID_INPUT")
	e.do(unit.contact, qOrgCheck, vars(shop.org, shop.community)).wantCode(t, "NOT_FOUND")
	if got := checkIns(); got != before {
		t.Fatalf("check-ins after refusals: got %d, want %d", got, before)
	}
	var orgCheck struct{ CheckInOrganisation struct{ ID, State string } }
	e.do(unit.contact, qOrgCheck, vars(unit.org, unit.community)).Decode(t, &orgCheck)
	if orgCheck.CheckInOrganisation.State != "PENDING" {
		t.Fatalf("state: got %s, want PENDING", orgCheck.CheckInOrganisation.State)
	}
	e.do(unit.contact, qOrgCheck, vars(unit.org, unit.community)).wantCode(t, "CONFLICT")
	id := orgCheck.CheckInOrganisation.ID
	e.do(e.login(phoneStaffGuangming), qOrgDecide, map[string]any{"id": id, "a": true}).wantCode(t, "FORBIDDEN")
	e.do(unit.contact, qOrgDecide, map[string]any{"id": id, "a": true}).wantCode(t, "FORBIDDEN")
	r := e.do(unit.staff, qOrgDecide, map[string]any{"id": id, "a": false})
	r.wantCode(t, "INVALID_INPUT") // declining needs a reason
	var decided struct{ DecideOrganisationCheckIn struct{ State string } }
	e.do(unit.staff, qOrgDecide, map[string]any{"id": id, "a": true}).Decode(t, &decided)
	if decided.DecideOrganisationCheckIn.State != "ACCEPTED" {
		t.Fatalf("decided: got %s", decided.DecideOrganisationCheckIn.State)
	}
	e.do(unit.staff, qOrgDecide, map[string]any{"id": id, "a": true}).wantCode(t, "INVALID_STATE")

	// 个人报到: 刘洋, an in-service party member of 和平社区, names the unit; 李志强 (volunteer,
	// not living in 光明社区) cannot check in there.
	liu := e.login(phonePartyMember)
	in := func(set map[string]any) map[string]any {
		m := map[string]any{"communityId": unit.community, "organisationId": unit.org, "skills": "水电维修", "availability": "周末"}
		for k, v := range set {
			m[k] = v
		}
		return map[string]any{"in": m}
	}
	members := func() int64 { return e.sqlInt(`SELECT count(*) FROM member_check_ins`) }
	before = members()
	e.do(e.login(phoneVolunteer), qMemberCheck, in(map[string]any{"communityId": guangming})).wantCode(t, "FORBIDDEN")
	e.do(liu, qMemberCheck, in(map[string]any{"workUnitName": "市第三中学"})).wantCode(t, "INVALID_INPUT")
	e.do(liu, qMemberCheck, in(map[string]any{"organisationId": nil})).wantCode(t, "INVALID_INPUT")
	e.do(liu, qMemberCheck, in(map[string]any{"organisationId": shop.org})).wantCode(t, "INVALID_INPUT")
	e.do(liu, qMemberCheck, in(map[string]any{"skills": strings.Repeat("长", 501)})).wantCode(t, "INVALID_INPUT")
	if got := members(); got != before {
		t.Fatalf("member check-ins after refusals: got %d, want %d", got, before)
	}
	var mc struct {
		CheckInMember struct{ ID, State, WorkUnitName string }
	}
	e.do(liu, qMemberCheck, in(nil)).Decode(t, &mc)
	if mc.CheckInMember.WorkUnitName != "区住建委测试党支部" || mc.CheckInMember.State != "PENDING" {
		t.Fatalf("member check-in: got %+v", mc.CheckInMember)
	}
	// Staff see it waiting, with what he offers, and accept it; another community's staff
	// do not see it at all.
	type listed struct {
		MemberCheckIns struct {
			Nodes []struct {
				ID, State, Skills, Availability string
				Member                          struct{ Name, Phone string }
			}
		}
	}
	var l listed
	e.do(e.login(phoneStaffGuangming), qMemberList, map[string]any{"s": []string{"PENDING"}}).Decode(t, &l)
	if len(l.MemberCheckIns.Nodes) != 0 {
		t.Fatalf("光明社区's staff see %d check-ins to 和平社区", len(l.MemberCheckIns.Nodes))
	}
	e.do(liu, qMemberDecide, map[string]any{"id": mc.CheckInMember.ID, "a": true}).wantCode(t, "FORBIDDEN")
	e.do(unit.staff, qMemberDecide, map[string]any{"id": mc.CheckInMember.ID, "a": true}).Decode(t, &struct{}{})
	e.do(unit.staff, qMemberList, map[string]any{"s": []string{"ACCEPTED"}}).Decode(t, &l)
	var found bool
	for _, n := range l.MemberCheckIns.Nodes {
		if n.ID == mc.CheckInMember.ID {
			found = true
			if n.Skills != "水电维修" || n.Availability != "周末" || n.Member.Name != "刘洋" {
				t.Errorf("reported member as staff see them: got %+v", n)
			}
		}
	}
	if !found {
		t.Fatal("the accepted member is not among those staff can call on")
	}
	// Accepted, he is the unit's member and counts in its records.
	var ms struct {
		Organisation struct {
			Members []struct{ Account struct{ ID string } }
		}
	}
	e.do(unit.contact, `query($id: ID!) { organisation(id: $id) { members { account { id } } } }`,
		map[string]any{"id": unit.org}).Decode(t, &ms)
	if n := len(ms.Organisation.Members); n != 2 {
		t.Fatalf("unit members after acceptance: got %d, want the contact and 刘洋", n)
	}
	e.do(liu, qMemberCheck, in(nil)).wantCode(t, "CONFLICT")
}

// Two check-ins of the same member at once leave one: the database refuses the second.
func TestMemberCheckInOnceUnderRace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	liu, community := e.login(phonePartyMember), e.placeID("和平社区")
	const n = 16
	codes := make([]string, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = e.do(liu, qMemberCheck, map[string]any{"in": map[string]any{"communityId": community,
				"workUnitName": "市第一医院"}}).Code()
		}()
	}
	close(start)
	wg.Wait()
	var ok, conflict int
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case "CONFLICT":
			conflict++
		default:
			t.Errorf("unexpected code %q", c)
		}
	}
	if ok != 1 || conflict != n-1 {
		t.Fatalf("got %d accepted and %d conflicts, want 1 and %d", ok, conflict, n-1)
	}
	if got := e.sqlInt(`SELECT count(*) FROM member_check_ins c JOIN accounts a ON a.id = c.account_id
		WHERE a.phone = $1 AND c.work_unit_name = '市第一医院'`, phonePartyMember); got != 1 {
		t.Fatalf("check-ins recorded: got %d, want 1", got)
	}
}

func TestResourcesKeptByTheirOwners(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.registerOrg("MERCHANT", "测试甲理发店", "13700000301")
	b := e.registerOrg("MERCHANT", "测试乙超市", "13700000302")
	offer := func(title string, set map[string]any) map[string]any {
		m := map[string]any{"kind": "SKILL", "category": "ELDERLY_CARE", "title": title,
			"description": "每月为社区老人免费理发", "availability": "每月第一个周二上午", "capacity": 20,
			"communityIds": []string{a.community}}
		for k, v := range set {
			m[k] = v
		}
		return m
	}
	resources := func() int64 { return e.sqlInt(`SELECT count(*) FROM resources`) }
	before := resources()
	for _, c := range []struct {
		name, token, code, field string
		org                      any
		set                      map[string]any
	}{
		{"another merchant", b.contact, "NOT_FOUND", "organisationId", a.org, nil},
		{"money without a limit", a.contact, "INVALID_INPUT", "moneyLimitYuan", a.org, map[string]any{"kind": "MONEY"}},
		{"venue without hours", a.contact, "INVALID_INPUT", "openingHours", a.org, map[string]any{"kind": "VENUE"}},
		{"hours given for a skill", a.contact, "INVALID_INPUT", "hoursPerMonth", a.org, map[string]any{"hoursPerMonth": 4}},
		{"no capacity", a.contact, "INVALID_INPUT", "capacity", a.org, map[string]any{"capacity": 0}},
		{"blank title", a.contact, "INVALID_INPUT", "title", a.org, map[string]any{"title": ""}},
		{"community not served", a.contact, "INVALID_INPUT", "communityIds", a.org, map[string]any{"communityIds": []string{e.placeID("光明社区")}}},
		{"a person far away", a.contact, "INVALID_INPUT", "communityIds", nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.token, qOffer, map[string]any{"o": c.org, "in": offer("义剪", c.set)})
			r.wantCode(t, c.code)
			if c.field != "" && r.Field() != c.field {
				t.Errorf("field: got %q, want %q", r.Field(), c.field)
			}
		})
	}
	if got := resources(); got != before {
		t.Fatalf("resources after refusals: got %d, want %d", got, before)
	}
	type res struct {
		ID, Title, UpdatedAt string
		Stale                bool
		Organisation         *struct{ Name string }
	}
	var ra struct{ OfferResource res }
	e.do(a.contact, qOffer, map[string]any{"o": a.org, "in": offer("义剪", nil)}).Decode(t, &ra)
	var rb struct{ OfferResource res }
	e.do(b.contact, qOffer, map[string]any{"o": b.org, "in": offer("爱心折扣", map[string]any{"kind": "MONEY",
		"category": "GOODS", "moneyLimitYuan": 2000})}).Decode(t, &rb)
	// A resident offers a skill of their own.
	var rp struct{ OfferResource res }
	e.do(e.login(phoneResident), qOffer, map[string]any{"in": offer("教手机", map[string]any{"kind": "HOURS",
		"category": "TUTORING", "hoursPerMonth": 4})}).Decode(t, &rp)

	list := func(token string) []string {
		var out struct {
			Resources struct{ Nodes []res }
		}
		e.do(token, qResources, nil).Decode(t, &out)
		var titles []string
		for _, n := range out.Resources.Nodes {
			titles = append(titles, n.Title)
		}
		return titles
	}
	if got := list(a.contact); strings.Join(got, ",") != "义剪" {
		t.Errorf("merchant A sees %v, want only its own", got)
	}
	if got := list(b.contact); strings.Join(got, ",") != "爱心折扣" {
		t.Errorf("merchant B sees %v, want only its own", got)
	}
	if got := list(a.staff); len(got) < 3 {
		t.Errorf("和平社区's staff see %v, want every offer serving it", got)
	}
	if got := list(e.login(phoneStaffGuangming)); len(got) != 0 {
		t.Errorf("光明社区's staff see %v, want none", got)
	}
	// Only the owner changes or withdraws it; to anyone else it does not exist.
	e.do(b.contact, qUpdateRes, map[string]any{"id": ra.OfferResource.ID, "in": offer("改掉", nil)}).wantCode(t, "NOT_FOUND")
	e.do(a.staff, qWithdrawRes, map[string]any{"id": ra.OfferResource.ID}).wantCode(t, "NOT_FOUND")

	// Unchanged for more than 90 days it is flagged; the owner's update clears the flag.
	// (The offer is made older rather than the clock moved on: sign-ins would expire.)
	if _, err := e.db.Exec(`UPDATE resources SET updated_at = updated_at - interval '91 days'`); err != nil {
		t.Fatal(err)
	}
	var stale struct {
		Resources struct{ Nodes []res }
	}
	e.do(a.contact, qResources, nil).Decode(t, &stale)
	if !stale.Resources.Nodes[0].Stale {
		t.Fatal("an offer untouched for 91 days is not flagged stale")
	}
	var up struct{ UpdateResource res }
	e.do(a.contact, qUpdateRes, map[string]any{"id": ra.OfferResource.ID, "in": offer("义剪（每月两次）", nil)}).Decode(t, &up)
	if up.UpdateResource.Stale || up.UpdateResource.Title != "义剪（每月两次）" {
		t.Fatalf("updated: got %+v", up.UpdateResource)
	}
	var wd struct{ WithdrawResource struct{ WithdrawnAt *string } }
	e.do(a.contact, qWithdrawRes, map[string]any{"id": ra.OfferResource.ID}).Decode(t, &wd)
	if wd.WithdrawResource.WithdrawnAt == nil {
		t.Fatal("not withdrawn")
	}
	if got := list(a.contact); len(got) != 0 {
		t.Errorf("withdrawn offers still listed: %v", got)
	}
	e.do(a.contact, qUpdateRes, map[string]any{"id": ra.OfferResource.ID, "in": offer("再改", nil)}).wantCode(t, "INVALID_STATE")
	e.do(a.contact, qWithdrawRes, map[string]any{"id": ra.OfferResource.ID}).wantCode(t, "INVALID_STATE")
}

// The home unit reads its members' service month by month: how many wishes, hours, points,
// categories. Nothing from the summary, or anywhere the unit's contact can reach from it,
// names the residents served.
func TestServiceSummaryForHomeUnitWithoutPersonalData(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	unit := e.registerOrg("PAIRED_UNIT", "测试医院党委", "13700000401")
	liu := e.login(phonePartyMember)
	var mc struct{ CheckInMember struct{ ID string } }
	e.do(liu, qMemberCheck, map[string]any{"in": map[string]any{"communityId": unit.community,
		"organisationId": unit.org}}).Decode(t, &mc)
	e.do(unit.staff, qMemberDecide, map[string]any{"id": mc.CheckInMember.ID, "a": true}).Decode(t, &struct{}{})

	// 刘洋 takes two wishes of 张秀英 through to confirmation; a third stays unconfirmed.
	resident := e.login(phoneResident)
	for _, title := range []string{"买一副老花镜", "修一下水龙头"} {
		w := e.fulfilled(resident, unit.staff, liu, title, 1.5)
		mustWish(t, e.confirm(resident, w.ID, 5))
	}
	e.fulfilled(resident, unit.staff, liu, "陪同去医院", 2)

	const q = `query($id: ID!) { organisation(id: $id) { name
		serviceSummary(year: 2026) { month members wishesConfirmed minutes points
			categories { category wishesConfirmed minutes }
			people { wishesConfirmed minutes points member { id name phone resident { id name phone household { name } } roles { place { name } } } } }
		members { contact account { name phone resident { name household { name } } } }
		checkIns { state community { name } } } }`
	r := e.do(unit.contact, q, map[string]any{"id": unit.org})
	var out struct {
		Organisation struct {
			ServiceSummary []struct {
				Month                                     string
				Members, WishesConfirmed, Minutes, Points int
				Categories                                []struct {
					Category        string
					WishesConfirmed int
				}
				People []struct {
					WishesConfirmed int
					Member          struct {
						Name, Phone string
						Resident    *struct{ ID string }
					}
				}
			}
		}
	}
	// Fields the contact may not read come back as errors (and nulls), never as data.
	if err := json.Unmarshal(r.Data, &out); err != nil {
		t.Fatal(err)
	}
	sum := out.Organisation.ServiceSummary
	if len(sum) != 1 {
		t.Fatalf("months: got %d, want 1 (%s)", len(sum), r.Data)
	}
	m := sum[0]
	if m.Month != "2026-11" || m.Members != 1 || m.WishesConfirmed != 2 || m.Minutes != 180 {
		t.Fatalf("month: got %+v, want 2026-11 with one member, two wishes, 180 minutes", m)
	}
	if len(m.Categories) != 1 || m.Categories[0].Category != "GOODS" || m.Categories[0].WishesConfirmed != 2 {
		t.Fatalf("categories: got %+v", m.Categories)
	}
	if len(m.People) != 1 || m.People[0].WishesConfirmed != 2 || m.People[0].Member.Resident != nil {
		t.Fatalf("people: got %+v", m.People)
	}
	// The beneficiary's name, phone and home appear nowhere in the answer; the member's
	// own details are masked as for anyone outside his community.
	var who struct {
		Name, Phone, Building, Room string
	}
	if err := e.db.Get(&who, `SELECT r.name AS name, r.phone AS phone, b.name AS building, h.room AS room FROM residents r
		JOIN accounts a ON a.id = r.account_id JOIN places h ON h.id = r.household_id JOIN places b ON b.id = h.parent_id
		WHERE a.phone = $1`, phoneResident); err != nil {
		t.Fatal(err)
	}
	body := string(r.Data)
	for _, secret := range []string{who.Name, who.Phone, phoneResident, who.Building, "买一副老花镜", "刘洋", phonePartyMember} {
		if strings.Contains(body, secret) {
			t.Errorf("the unit's contact reads %q in %s", secret, body)
		}
	}
	// Another unit's contact, and a volunteer, read nothing of it.
	other := e.registerOrg("PAIRED_UNIT", "测试另一单位", "13700000402")
	r = e.do(other.contact, `query($id: ID!) { organisation(id: $id) { serviceSummary(year: 2026) { month } } }`,
		map[string]any{"id": unit.org})
	if strings.Contains(string(r.Data), "2026-11") {
		t.Fatalf("another unit's contact reads the summary: %s", r.Data)
	}
	// Nor does the contact see who the community can call on.
	var l struct {
		MemberCheckIns struct{ Nodes []struct{ ID string } }
	}
	e.do(unit.contact, qMemberList, map[string]any{"s": []string{"ACCEPTED"}}).Decode(t, &l)
	if len(l.MemberCheckIns.Nodes) != 0 {
		t.Fatalf("a unit's contact lists %d member check-ins", len(l.MemberCheckIns.Nodes))
	}
	e.do(unit.contact, `query { organisation(id: "x") { name } }`, nil).wantCode(t, "INVALID_INPUT")
	e.do(unit.contact, `query($id: ID!) { organisation(id: $id) { serviceSummary(year: 1999) { month } } }`,
		map[string]any{"id": unit.org}).wantCode(t, "INVALID_INPUT")
}
