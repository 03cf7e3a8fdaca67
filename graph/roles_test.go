package graph_test

import (
	"testing"

	"linli/db"
)

const grantMutation = `mutation($a: ID!, $r: Role!, $p: ID!) {
	grantRole(input: {accountId: $a, role: $r, placeId: $p}) { id role place { name } account { name } grantedBy { name } }
}`

const revokeMutation = `mutation($g: ID!, $why: String) { revokeRole(grantId: $g, reason: $why) { revokedAt revokeReason revokedBy { name } } }`

// A role held in a community applies under it and nowhere else.
func TestRoleScoping(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(phoneAdmin)
	heping, guangming := e.placeID("和平社区"), e.placeID("光明社区")
	account := e.accountID(phoneResident)

	var g struct {
		GrantRole struct {
			ID    string
			Role  string
			Place struct{ Name string }
		}
	}
	e.do(admin, grantMutation, map[string]any{"a": account, "r": "STAFF", "p": guangming}).Decode(t, &g)
	if g.GrantRole.Role != "STAFF" || g.GrantRole.Place.Name != "光明社区" {
		t.Fatalf("grant: got %+v", g.GrantRole)
	}
	token := e.login(phoneResident)
	var p residentsPage
	e.do(token, residentsQuery, map[string]any{"p": guangming}).Decode(t, &p)
	if p.Residents.TotalCount == 0 {
		t.Fatal("new 光明社区 staff sees no residents there")
	}
	// The grant gives nothing in 和平社区, where the account lives.
	e.do(token, residentsQuery, map[string]any{"p": heping}).wantCode(t, db.EFORBIDDEN)

	// Granting the same again conflicts; a role at the wrong level is bad input.
	e.do(admin, grantMutation, map[string]any{"a": account, "r": "STAFF", "p": guangming}).wantCode(t, db.ECONFLICT)
	r := e.do(admin, grantMutation, map[string]any{"a": account, "r": "GRID_WORKER", "p": guangming})
	r.wantCode(t, db.EINVALID)
	if r.Field() != "placeId" {
		t.Fatalf("field: got %q, want placeId", r.Field())
	}

	// Revoking ends it at once, for the token already held too.
	var rv struct {
		RevokeRole struct {
			RevokedAt    *string
			RevokeReason string
		}
	}
	e.do(admin, revokeMutation, map[string]any{"g": g.GrantRole.ID, "why": "调岗"}).Decode(t, &rv)
	if rv.RevokeRole.RevokedAt == nil || rv.RevokeRole.RevokeReason != "调岗" {
		t.Fatalf("revoke: got %+v", rv.RevokeRole)
	}
	e.do(token, residentsQuery, map[string]any{"p": guangming}).wantCode(t, db.EFORBIDDEN)
	e.do(admin, revokeMutation, map[string]any{"g": g.GrantRole.ID}).wantCode(t, db.EINVALIDSTATE)

	// Only admins of the place grant and revoke.
	for _, phone := range []string{phoneStaff, phoneVolunteer, phoneAnalyst} {
		e.do(e.login(phone), grantMutation, map[string]any{"a": account, "r": "VOLUNTEER", "p": heping}).wantCode(t, db.EFORBIDDEN)
	}
	e.do("", grantMutation, map[string]any{"a": account, "r": "VOLUNTEER", "p": heping}).wantCode(t, db.EUNAUTHENTICATED)

	// IDs of the wrong kind, or of nothing, are named.
	r = e.do(admin, grantMutation, map[string]any{"a": heping, "r": "VOLUNTEER", "p": heping})
	r.wantCode(t, db.EINVALID)
	if r.Field() != "accountId" {
		t.Fatalf("field: got %q, want accountId", r.Field())
	}
	r = e.do(admin, grantMutation, map[string]any{"a": account, "r": "BOSS", "p": heping})
	r.wantCode(t, db.EINVALID)

	// Every grant and revocation is on record with who did it.
	var audit struct {
		AuditEvents struct {
			Nodes []struct {
				Action  string
				Actor   struct{ Name string }
				Account struct{ Name string }
				Note    *string
			}
		}
	}
	e.do(admin, `query($p: ID!) { auditEvents(placeId: $p) { nodes { action actor { name } account { name } note } } }`,
		map[string]any{"p": guangming}).Decode(t, &audit)
	var actions []string
	for _, ev := range audit.AuditEvents.Nodes {
		actions = append(actions, ev.Action)
	}
	if len(actions) < 2 || actions[0] != "ROLE_REVOKED" || actions[1] != "ROLE_GRANTED" {
		t.Fatalf("audit events, newest first: got %v, want ROLE_REVOKED then ROLE_GRANTED", actions)
	}
	if n := audit.AuditEvents.Nodes[0]; n.Note == nil || *n.Note != "调岗" || n.Actor.Name == "" {
		t.Fatalf("revocation record: got %+v", n)
	}
	// The other community's staff cannot read 和平社区's record.
	e.do(e.login(phoneStaffGuangming), `query($p: ID!) { auditEvents(placeId: $p) { totalCount } }`,
		map[string]any{"p": heping}).wantCode(t, db.EFORBIDDEN)
}

func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.do("", `mutation { login(phone: "13800000002", password: "not-it-1") { token } }`, nil).wantCode(t, db.EUNAUTHENTICATED)
	if _, err := e.db.Exec(`DELETE FROM audit_events`); err == nil {
		t.Fatal("deleting audit events: got no error, want the database to refuse")
	}
	if _, err := e.db.Exec(`UPDATE audit_events SET note = 'x'`); err == nil {
		t.Fatal("editing audit events: got no error, want the database to refuse")
	}
}
