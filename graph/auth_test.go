package graph_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"linli/db"
	"linli/db/demo"
	"linli/graph"
)

const registerMutation = `mutation($in: RegisterInput!) {
	register(input: $in) { token expiresAt account { id name phone resident { id verified household { name } } } }
}`

const meQuery = `{ me { id name phone roles { role place { name } } resident { name verified } } }`

// household returns the global ID of some household of the demo compound.
func (e *env) household() string {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM places WHERE level = 'household' ORDER BY id LIMIT 1`); err != nil {
		e.t.Fatal(err)
	}
	return graph.GlobalID("Place", id)
}

func registration(e *env, phone string) map[string]any {
	return map[string]any{"in": map[string]any{
		"phone": phone, "password": "mima-2026", "name": "  林小雨 ", "birthDate": "1990-04-12",
		"householdId": e.household(), "isOwner": true,
	}}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("SignsInUnverified", func(t *testing.T) {
		var out struct {
			Register struct {
				Token   string
				Account struct {
					Name, Phone string
					Resident    struct {
						Verified  bool
						Household struct{ Name string }
					}
				}
			}
		}
		e.do("", registerMutation, registration(e, "139 1234 5678")).Decode(t, &out)
		a := out.Register.Account
		if out.Register.Token == "" || a.Name != "林小雨" || a.Phone != "13912345678" || a.Resident.Verified {
			t.Fatalf("got %+v, want a token, the trimmed name, the full phone (to its owner) and an unverified resident", out.Register)
		}
		var me struct{ Me struct{ Name string } }
		e.do(out.Register.Token, meQuery, nil).Decode(t, &me)
		if me.Me.Name != "林小雨" {
			t.Fatalf("me: got %q, want 林小雨", me.Me.Name)
		}
	})

	t.Run("PhoneTaken", func(t *testing.T) {
		r := e.do("", registerMutation, registration(e, phoneVolunteer))
		r.wantCode(t, db.ECONFLICT)
		if r.Field() != "phone" {
			t.Fatalf("field: got %q, want phone", r.Field())
		}
	})

	bad := []struct {
		name, field, value string
		code               string
	}{
		{"PhoneInvalid", "phone", "12345", db.EINVALID},
		{"PasswordShort", "password", "abc123", db.EINVALID},
		{"PasswordDigits", "password", "1234567890", db.EINVALID},
		{"NameEmpty", "name", "   ", db.EINVALID},
		{"BirthDateFuture", "birthDate", "2099-01-01", db.EINVALID},
		{"BirthDateMalformed", "birthDate", "12/04/1990", db.EINVALID},
		{"HouseholdMalformed", "householdId", "nonsense", db.EINVALID},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			var before int
			e.db.Get(&before, `SELECT count(*) FROM accounts`)
			vars := registration(e, "13700000123")
			vars["in"].(map[string]any)[c.field] = c.value
			r := e.do("", registerMutation, vars)
			r.wantCode(t, c.code)
			if r.Field() != c.field {
				t.Fatalf("field: got %q, want %q (%s)", r.Field(), c.field, r.Errors[0].Message)
			}
			var after int
			e.db.Get(&after, `SELECT count(*) FROM accounts`)
			if after != before {
				t.Fatalf("accounts: got %d after a refused registration, want %d", after, before)
			}
		})
	}

	t.Run("NoSuchHousehold", func(t *testing.T) {
		vars := registration(e, "13700000125")
		vars["in"].(map[string]any)["householdId"] = graph.GlobalID("Place", 987654)
		r := e.do("", registerMutation, vars)
		r.wantCode(t, db.ENOTFOUND)
		if r.Field() != "householdId" {
			t.Fatalf("field: got %q, want householdId", r.Field())
		}
	})

	t.Run("NotAHousehold", func(t *testing.T) {
		vars := registration(e, "13700000124")
		vars["in"].(map[string]any)["householdId"] = e.placeID("和平社区")
		r := e.do("", registerMutation, vars)
		r.wantCode(t, db.EINVALID)
		if r.Field() != "householdId" {
			t.Fatalf("field: got %q, want householdId", r.Field())
		}
	})
}

func TestVerifyResident(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var reg struct {
		Register struct {
			Token   string
			Account struct{ Resident struct{ ID string } }
		}
	}
	e.do("", registerMutation, registration(e, "13612345678")).Decode(t, &reg)
	rid := reg.Register.Account.Resident.ID
	const verify = `mutation($id: ID!) { verifyResident(residentId: $id) { verified verifiedAt } }`

	// Outside the household's community, or without the role, it is refused and nothing changes.
	for _, phone := range []string{phoneStaffGuangming, phoneVolunteer, phoneAnalyst} {
		r := e.do(e.login(phone), verify, map[string]any{"id": rid})
		if c := r.Code(); c != db.EFORBIDDEN && c != db.ENOTFOUND {
			t.Fatalf("%s: got %q, want FORBIDDEN or NOT_FOUND", phone, c)
		}
	}
	// Nobody verifies themself.
	e.do(reg.Register.Token, verify, map[string]any{"id": rid}).wantCode(t, db.EFORBIDDEN)
	e.do("", verify, map[string]any{"id": rid}).wantCode(t, db.EUNAUTHENTICATED)

	var out struct{ VerifyResident struct{ Verified bool } }
	e.do(e.login(phoneStaff), verify, map[string]any{"id": rid}).Decode(t, &out)
	if !out.VerifyResident.Verified {
		t.Fatal("staff of the community: resident not verified")
	}
	// Again: harmless, and recorded once.
	e.do(e.login(phoneStaff), verify, map[string]any{"id": rid}).Decode(t, &out)
	var n int
	e.db.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'resident_verified'`)
	if n != 1 {
		t.Fatalf("resident_verified events: got %d, want 1", n)
	}
	var me struct {
		Me struct{ Resident struct{ Verified bool } }
	}
	e.do(reg.Register.Token, meQuery, nil).Decode(t, &me)
	if !me.Me.Resident.Verified {
		t.Fatal("the resident does not see themself verified")
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	t.Run("MeAndLogout", func(t *testing.T) {
		token := e.login(phoneVolunteer)
		var me struct {
			Me struct {
				Phone string
				Roles []struct{ Role string }
			}
		}
		e.do(token, meQuery, nil).Decode(t, &me)
		if me.Me.Phone != phoneVolunteer || len(me.Me.Roles) == 0 || me.Me.Roles[0].Role != "VOLUNTEER" {
			t.Fatalf("me: got %+v, want the volunteer with the VOLUNTEER role", me.Me)
		}
		var out struct{ Logout bool }
		e.do(token, `mutation { logout }`, nil).Decode(t, &out)
		if !out.Logout {
			t.Fatal("logout: got false, want true")
		}
		e.do(token, meQuery, nil).wantCode(t, db.EUNAUTHENTICATED)
	})

	t.Run("Anonymous", func(t *testing.T) {
		var me struct{ Me *struct{ ID string } }
		e.do("", meQuery, nil).Decode(t, &me)
		if me.Me != nil {
			t.Fatalf("me without a token: got %+v, want null", me.Me)
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		r := e.do("", `mutation { login(phone: "13800000003", password: "wrong-password") { token } }`, nil)
		r.wantCode(t, db.EUNAUTHENTICATED)
		var n int
		e.db.Get(&n, `SELECT count(*) FROM audit_events WHERE action = 'login_failed' AND phone = '13800000003'`)
		if n != 1 {
			t.Fatalf("login_failed events: got %d, want 1", n)
		}
	})

	t.Run("UnknownPhone", func(t *testing.T) {
		e.do("", `mutation { login(phone: "13955554444", password: "whatever-1") { token } }`, nil).wantCode(t, db.EUNAUTHENTICATED)
	})

	t.Run("ForgedToken", func(t *testing.T) {
		for _, h := range []string{"Bearer forged-token", "Bearer ", "Basic abc", "bearer " + e.login(phoneResident)} {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/query", strings.NewReader(`{"query":"{ me { id } }"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", h)
			e.send(req).wantCode(t, db.EUNAUTHENTICATED)
		}
	})

	t.Run("Expired", func(t *testing.T) {
		e := newEnv(t)
		token := e.login(phoneResident)
		e.clock.Advance(e.store.TokenTTL - time.Minute)
		var me struct{ Me struct{ ID string } }
		e.do(token, meQuery, nil).Decode(t, &me)
		e.clock.Advance(2 * time.Minute)
		e.do(token, meQuery, nil).wantCode(t, db.EUNAUTHENTICATED)
	})

	t.Run("TokenStoredHashed", func(t *testing.T) {
		token := e.login(phoneCouncil)
		var n int
		e.db.Get(&n, `SELECT count(*) FROM sessions WHERE encode(token_hash, 'escape') LIKE '%' || $1 || '%'`, token)
		if n != 0 {
			t.Fatal("the token is stored in the clear")
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const attempt = `mutation($p: String!, $w: String!) { login(phone: $p, password: $w) { token } }`

	// 30 wrong guesses at once: at most LoginLimits.PerPhoneAddress are checked, the rest refused.
	var wg sync.WaitGroup
	codes := make(chan string, 30)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- e.do("", attempt, map[string]any{"p": phoneSupervisor, "w": fmt.Sprintf("guess-%d", i)}).Code()
		}()
	}
	wg.Wait()
	close(codes)
	count := map[string]int{}
	for c := range codes {
		count[c]++
	}
	if count[db.EUNAUTHENTICATED] != e.store.LoginLimits.PerPhoneAddress || count[db.ERATELIMITED] != 30-e.store.LoginLimits.PerPhoneAddress {
		t.Fatalf("got %v, want %d UNAUTHENTICATED and the rest RATE_LIMITED", count, e.store.LoginLimits.PerPhoneAddress)
	}
	// Even the right password is refused while locked, with a time to wait.
	r := e.do("", attempt, map[string]any{"p": phoneSupervisor, "w": demo.Password})
	r.wantCode(t, db.ERATELIMITED)
	if ra, _ := r.Errors[0].Extensions["retryAfter"].(float64); ra <= 0 {
		t.Fatalf("retryAfter: got %v, want seconds to wait", r.Errors[0].Extensions["retryAfter"])
	}
	// Other numbers are not affected.
	e.login(phoneCouncil)
	// After the window the right password works again.
	e.clock.Advance(e.store.LoginLimits.Window + time.Second)
	e.login(phoneSupervisor)
}

func TestOneSignInPerRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("mutation {")
	for i := range 3 {
		fmt.Fprintf(&b, ` l%d: login(phone: "13800000007", password: "guess-%d") { token }`, i, i)
	}
	b.WriteString("}")
	e.do("", b.String(), nil).wantCode(t, db.EINVALID)
	var n int
	e.db.Get(&n, `SELECT count(*) FROM login_throttle`)
	if n != 0 {
		t.Fatalf("a refused request counted %d sign-in attempts, want 0", n)
	}
}
