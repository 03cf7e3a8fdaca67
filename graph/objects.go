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

// places loads places in ids' order, in one batch.
func places(ctx context.Context, ids []int64) ([]*db.Place, error) {
	return loadAll(load(ctx).place, ids, "地点")
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

// loadAll loads ids in their order through l, in one batch; each must exist (what names it).
func loadAll[V any](l *loader[V], ids []int64, what string) ([]V, error) {
	if err := l.warm(ids); err != nil {
		return nil, err
	}
	out := make([]V, 0, len(ids))
	for _, id := range ids {
		v, err := mustLoad(l, id, what)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// residentByID returns the resident if the viewer may see their record, nil if not.
func residentByID(ctx context.Context, id int64) (*db.Resident, error) {
	r, ok, err := load(ctx).resident.load(id)
	if err != nil || !ok {
		return nil, err
	}
	return visibleResident(ctx, r)
}

// visibleResident returns r if the viewer may see their record (and so their household),
// nil if not.
func visibleResident(ctx context.Context, r *db.Resident) (*db.Resident, error) {
	s, err := residentSight(ctx, r)
	if err != nil || !s.Record {
		return nil, err
	}
	return r, nil
}

// The one masking rule for people (db.Viewer.Sees), applied where a person is resolved for
// the viewer: every field that reaches a resident or an account, from whatever object,
// asks residentSight or accountSight, so a new path cannot show more than the rule allows.

// residentSight is what the viewer sees of resident r.
func residentSight(ctx context.Context, r *db.Resident) (db.Sight, error) {
	v, err := viewer(ctx)
	if err != nil {
		return db.Sight{}, err
	}
	household := r.Household()
	if household == nil {
		if household, err = placeByID(ctx, r.HouseholdID); err != nil {
			return db.Sight{}, err
		}
	}
	return sightWithContacts(ctx, func(c db.Contact) db.Sight { return v.Sees(r.AccountID, r, household, c) },
		func(cs *db.Contacts) db.Contact { return cs.Of(r.AccountID, r.ID) })
}

// accountSight is what the viewer sees of account a: as of its resident if it lives here.
func accountSight(ctx context.Context, a *db.Account) (db.Sight, error) {
	v, err := viewer(ctx)
	if err != nil || v.Is(a.ID) {
		return db.Sight{Name: true, Phone: true, Household: true, Record: true}, err
	}
	r, ok, err := load(ctx).residentByAccount.load(a.ID)
	if err != nil {
		return db.Sight{}, err
	}
	if ok {
		return residentSight(ctx, r)
	}
	return sightWithContacts(ctx, func(c db.Contact) db.Sight { return v.Sees(&a.ID, nil, nil, c) },
		func(cs *db.Contacts) db.Contact { return cs.Of(&a.ID, 0) })
}

// sightWithContacts decides by roles first, and reads the viewer's contacts (once per
// request) only when roles leave something masked.
func sightWithContacts(ctx context.Context, sees func(db.Contact) db.Sight, of func(*db.Contacts) db.Contact) (db.Sight, error) {
	s := sees(db.Contact{})
	if s.Name && s.Phone && s.Household { // all a contact could add
		return s, nil
	}
	cs, err := contacts(ctx)
	if err != nil {
		return db.Sight{}, err
	}
	return sees(of(cs)), nil
}

// contacts returns whom the viewer is linked to by a wish, read once per request (and
// again after a mutation, which starts the loaders afresh).
func contacts(ctx context.Context) (*db.Contacts, error) {
	l := load(ctx)
	l.contactsOnce.Do(func() {
		v, err := viewer(ctx)
		if err != nil {
			l.contactsErr = err
			return
		}
		l.contacts, l.contactsErr = l.store.Contacts(ctx, v)
	})
	return l.contacts, l.contactsErr
}

// accountName is an account's name as the viewer may see it: in full, or masked as 张**.
func accountName(ctx context.Context, a *db.Account) (string, error) {
	s, err := accountSight(ctx, a)
	if err != nil {
		return "", err
	}
	return maskedName(s, a.Name), nil
}

// actorName is the name of whoever took a step: "系统" when nobody did, else by the rule.
func actorName(ctx context.Context, actorID *int64) (string, error) {
	if actorID == nil {
		return "系统", nil
	}
	a, err := accountByID(ctx, *actorID)
	if err != nil {
		return "", err
	}
	return accountName(ctx, a)
}

func maskedName(s db.Sight, name string) string {
	if s.Name {
		return name
	}
	return db.MaskName(name)
}

func maskedPhone(s db.Sight, phone *string) *string {
	if phone == nil || s.Phone {
		return phone
	}
	m := db.MaskPhone(*phone)
	return &m
}

// visiblePlace returns p unless it is a household the viewer may not see
// (db.Viewer.SeesHousehold, or the home of someone they serve through a wish).
func visiblePlace(ctx context.Context, p *db.Place) (*db.Place, error) {
	if p == nil || p.Level != db.LevelHousehold {
		return p, nil
	}
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	if v.SeesHousehold(p) {
		return p, nil
	}
	cs, err := contacts(ctx)
	if err != nil || !cs.ServedHouseholds[p.ID] {
		return nil, err
	}
	return p, nil
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

// accountPhone returns the account's phone number, masked unless the viewer may see it.
func accountPhone(ctx context.Context, a *db.Account) (string, error) {
	s, err := accountSight(ctx, a)
	if err != nil {
		return "", err
	}
	return *maskedPhone(s, &a.Phone), nil
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
		if p, err := visiblePlace(ctx, p); err != nil || p == nil {
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
		shown, err := visibleWish(ctx, w)
		if err != nil || shown == nil {
			return nil, err
		}
		return shown, nil
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
	case "Visit":
		return visitNode(ctx, key)
	case "Report":
		return reportNode(ctx, key)
	case "Department":
		return departmentNode(ctx, key)
	case "Need":
		n, err := needByID(ctx, key)
		if err != nil || n == nil {
			return nil, err
		}
		return n, nil
	case "Project":
		p, err := projectByID(ctx, key)
		if err != nil || p == nil {
			return nil, err
		}
		return p, nil
	case "Proposal":
		p, err := proposalByID(ctx, key)
		if err != nil || p == nil {
			return nil, err
		}
		return p, nil
	case "AuditEvent", "LedgerEntry":
		// Read through auditEvents(placeId:) and volunteerRecord, which check who asks.
		return nil, nil
	}
	return nil, nil
}
