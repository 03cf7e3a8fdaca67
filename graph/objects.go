package graph

import (
	"context"

	"linli/db"
)

// Loading one object of each kind through the request's loaders, with the visibility rules
// applied in one place: whatever path a client takes to an object, it gets the same answer.

func placeByID(ctx context.Context, id int64) (*db.Place, error) {
	return mustLoad(load(ctx).place, id, "地点")
}

func accountByID(ctx context.Context, id int64) (*db.Account, error) {
	return mustLoad(load(ctx).account, id, "账号")
}

// ifSet loads what an optional reference points at, or nil when it is not set.
func ifSet[T any](ctx context.Context, id *int64, load func(context.Context, int64) (*T, error)) (*T, error) {
	if id == nil {
		return nil, nil
	}
	return load(ctx, *id)
}

// mustLoad loads what a row points at, which must exist: NOT_FOUND names what is missing.
func mustLoad[V any](l *loader[V], id int64, what string) (V, error) {
	v, ok, err := l.load(id)
	if err == nil && !ok {
		err = hidden(what)
	}
	return v, err
}

// residentByID returns the resident if the viewer may see them, nil if not.
func residentByID(ctx context.Context, id int64) (*db.Resident, error) {
	r, ok, err := load(ctx).resident.load(id)
	if err != nil || !ok {
		return nil, err
	}
	return visibleResident(ctx, r)
}

func visibleResident(ctx context.Context, r *db.Resident) (*db.Resident, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	household, err := placeByID(ctx, r.HouseholdID)
	if err != nil {
		return nil, err
	}
	if !v.CanSeeResident(r, household) {
		return nil, nil
	}
	return r, nil
}

// visibleAccount reports whether the viewer may open an account by its ID: their own, or any
// account for admins and community staff (who look people up to grant roles and verify them).
func visibleAccount(v *db.Viewer, a *db.Account) bool {
	return v.Is(a.ID) || v.HoldsAnywhere(db.RoleAdmin, db.RoleStaff)
}

// visibleGrant reports whether the viewer may see a role grant: the holder, or an admin of
// its place.
func visibleGrant(ctx context.Context, v *db.Viewer, g *db.RoleGrant) (bool, error) {
	if v.Is(g.AccountID) {
		return true, nil
	}
	p, err := placeByID(ctx, g.PlaceID)
	if err != nil {
		return false, err
	}
	return v.Holds(p, db.RoleAdmin, db.RoleStaff), nil
}

// accountPhone returns the account's phone number, masked unless the viewer is its holder or
// staff of the community where its holder lives.
func accountPhone(ctx context.Context, a *db.Account) (string, error) {
	v, err := viewer(ctx)
	if err != nil {
		return "", err
	}
	if v.Is(a.ID) {
		return a.Phone, nil
	}
	r, ok, err := load(ctx).residentByAccount.load(a.ID)
	if err != nil {
		return "", err
	}
	if ok {
		household, err := placeByID(ctx, r.HouseholdID)
		if err != nil {
			return "", err
		}
		if v.CanSeePhone(r, household) {
			return a.Phone, nil
		}
	}
	return db.MaskPhone(a.Phone), nil
}

// node loads what a global ID points at, or nil when it does not exist or is hidden.
func node(ctx context.Context, id string) (any, error) {
	typ, key, ok := parseGlobalID(id)
	if !ok {
		return nil, db.Invalid("id", "ID 格式不正确，请使用接口返回的 ID")
	}
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	l := load(ctx)
	switch typ {
	case "Place":
		p, ok, err := l.place.load(key)
		if err != nil || !ok {
			return nil, err
		}
		return p, nil
	case "Resident":
		r, err := residentByID(ctx, key)
		if err != nil || r == nil {
			return nil, err
		}
		return r, nil
	case "Account":
		a, ok, err := l.account.load(key)
		if err != nil || !ok || !visibleAccount(v, a) {
			return nil, err
		}
		return a, nil
	case "RoleGrant":
		g, ok, err := l.grant.load(key)
		if err != nil || !ok {
			return nil, err
		}
		if seen, err := visibleGrant(ctx, v, g); err != nil || !seen {
			return nil, err
		}
		return g, nil
	case "Wish":
		w, ok, err := l.wish.load(key)
		if err != nil || !ok {
			return nil, err
		}
		if w, err := visibleWish(ctx, w); err != nil || w == nil {
			return nil, err
		}
		return w, nil
	case "Topic":
		t, ok, err := l.topic.load(key)
		if err != nil || !ok {
			return nil, err
		}
		if t, err := visibleTopic(ctx, t); err != nil || t == nil {
			return nil, err
		}
		return t, nil
	case "Meeting":
		m, ok, err := l.meeting.load(key)
		if err != nil || !ok {
			return nil, err
		}
		if m, err := visibleMeeting(ctx, m); err != nil || m == nil {
			return nil, err
		}
		return m, nil
	case "Vote":
		vt, err := voteByKey(ctx, key)
		if err != nil || vt == nil {
			return nil, err
		}
		return vt, nil
	case "Resolution":
		r, err := resolutionByID(ctx, key)
		if err != nil || r == nil {
			return nil, err
		}
		return r, nil
	case "AuditEvent", "LedgerEntry":
		// Read through auditEvents(placeId:) and volunteerRecord, which check who asks.
		return nil, nil
	}
	return nil, nil
}
