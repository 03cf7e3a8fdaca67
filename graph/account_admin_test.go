package graph_test

import (
	"testing"
)

const (
	qCreateAccount  = `mutation($in: CreateAccountInput!) { createAccount(input: $in) { id name phone resident { id } } }`
	qChangePassword = `mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) { token } }`
	qGrantStaff     = `mutation($a: ID!, $p: ID!) { grantRole(input: {accountId: $a, role: STAFF, placeId: $p}) { id } }`
	qSignIn         = `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { token } }`
)

// A new community's staff member does not live there, so registration cannot make their
// account: the subdistrict's admin does, grants them the staff role, and they replace the
// first password with their own, which ends every session the first one opened.
func TestAccountMadeByAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(phoneAdmin)
	community := e.placeID("和平社区")
	in := func(phone string) map[string]any {
		return map[string]any{"in": map[string]any{"phone": phone, "name": "何新", "password": "first-2026",
			"placeId": community, "reason": "新到任的社区工作者"}}
	}
	accounts := func() int64 { return e.sqlInt(`SELECT count(*) FROM accounts`) }
	before := accounts()
	for _, c := range []struct {
		token, phone, code, field string
		vars                      map[string]any
	}{
		{"", "13700000001", "UNAUTHENTICATED", "", nil},
		{e.login(phoneStaff), "13700000001", "FORBIDDEN", "", nil},    // staff are not admins
		{e.login(phoneResident), "13700000001", "FORBIDDEN", "", nil}, // nor residents
		{admin, phoneResident, "CONFLICT", "phone", nil},              // has an account: grant it
		{admin, "1370000000", "INVALID_INPUT", "phone", nil},          // one digit short
		{admin, "13700000001", "INVALID_INPUT", "password", map[string]any{"in": map[string]any{"phone": "13700000001", "name": "何新",
			"password": "12345678", "placeId": community}}},
	} {
		vars := c.vars
		if vars == nil {
			vars = in(c.phone)
		}
		r := e.do(c.token, qCreateAccount, vars)
		r.wantCode(t, c.code)
		if c.field != "" && r.Errors[0].Extensions["field"] != c.field {
			t.Errorf("%s: field %v, want %s", c.code, r.Errors[0].Extensions["field"], c.field)
		}
	}
	if n := accounts(); n != before {
		t.Fatalf("refused requests made %d accounts", n-before)
	}

	var made struct {
		CreateAccount struct {
			ID, Name, Phone string
			Resident        *struct{ ID string }
		}
	}
	e.do(admin, qCreateAccount, in("13700000001")).Decode(t, &made)
	if made.CreateAccount.Name != "何新" || made.CreateAccount.Resident != nil {
		t.Fatalf("made %+v, want 何新 with no resident record", made.CreateAccount)
	}
	e.do(admin, qGrantStaff, map[string]any{"a": made.CreateAccount.ID, "p": community}).Decode(t, &struct{}{})
	var first struct{ Login struct{ Token string } }
	e.do("", qSignIn, map[string]any{"p": "13700000001", "w": "first-2026"}).Decode(t, &first)
	// As staff of 和平社区 they may now change its settings.
	e.do(first.Login.Token, `mutation($c: ID!) { updateCommunitySettings(communityId: $c, input: {noticeDays: 6}, reason: "议事规则") { noticeDays } }`,
		map[string]any{"c": community}).Decode(t, &struct{}{})

	e.do(first.Login.Token, qChangePassword, map[string]any{"o": "wrong-2026", "n": "mine-only-2026"}).wantCode(t, "INVALID_INPUT")
	e.do(first.Login.Token, qChangePassword, map[string]any{"o": "first-2026", "n": "first-2026"}).wantCode(t, "INVALID_INPUT")
	e.do(first.Login.Token, qChangePassword, map[string]any{"o": "first-2026", "n": "1234567890"}).wantCode(t, "INVALID_INPUT")
	var changed struct{ ChangePassword struct{ Token string } }
	e.do(first.Login.Token, qChangePassword, map[string]any{"o": "first-2026", "n": "mine-only-2026"}).Decode(t, &changed)
	e.do(first.Login.Token, `{ me { name } }`, nil).wantCode(t, "UNAUTHENTICATED") // the first password's session is over
	var me struct{ Me struct{ Name string } }
	e.do(changed.ChangePassword.Token, `{ me { name } }`, nil).Decode(t, &me)
	if me.Me.Name != "何新" {
		t.Fatalf("the new session is %q's, want 何新's", me.Me.Name)
	}
	e.do("", qSignIn, map[string]any{"p": "13700000001", "w": "first-2026"}).wantCode(t, "UNAUTHENTICATED")
	e.do("", qSignIn, map[string]any{"p": "13700000001", "w": "mine-only-2026"}).Decode(t, &struct{}{})

	var audit struct {
		AuditEvents struct{ Nodes []struct{ Action string } }
	}
	e.do(admin, `query($p: ID!) { auditEvents(placeId: $p, first: 20) { nodes { action } } }`, map[string]any{"p": community}).Decode(t, &audit)
	found := false
	for _, n := range audit.AuditEvents.Nodes {
		found = found || n.Action == "ACCOUNT_CREATED"
	}
	if !found {
		t.Error("the account made is not in the audit")
	}
}
