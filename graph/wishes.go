package graph

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"linli/db"
	"linli/graph/model"
)

// wishView is what the resolvers of one wish need to apply the privacy rules.
type wishView struct {
	access      db.WishAccess
	beneficiary *db.Resident
	household   *db.Place
	claim       *db.Claim
}

// viewWish works out what the viewer may see of w, once per wish per request: the fields of
// a wish that depend on it (name, phone, address, canClaim …) share the answer.
func viewWish(ctx context.Context, w *db.Wish) (*wishView, error) {
	l := load(ctx)
	l.mu.Lock()
	once := l.wishViews[w]
	if once == nil {
		once = &wishViewOnce{}
		if l.wishViews == nil {
			l.wishViews = map[*db.Wish]*wishViewOnce{}
		}
		l.wishViews[w] = once
	}
	l.mu.Unlock()
	once.Do(func() { once.view, once.err = decideWishView(ctx, w) })
	return once.view, once.err
}

// wishViewOnce is one wish's view, decided once.
type wishViewOnce struct {
	sync.Once
	view *wishView
	err  error
}

func decideWishView(ctx context.Context, w *db.Wish) (*wishView, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	l := load(ctx)
	b, err := mustLoad(l.resident, w.BeneficiaryID, "居民")
	if err != nil {
		return nil, err
	}
	place, err := placeByID(ctx, w.PlaceID)
	if err != nil {
		return nil, err
	}
	household, err := placeByID(ctx, b.HouseholdID)
	if err != nil {
		return nil, err
	}
	wv := &wishView{beneficiary: b, household: household}
	if w.ClaimID != nil {
		if wv.claim, err = mustLoad(l.claim, *w.ClaimID, "认领"); err != nil {
			return nil, err
		}
	}
	wv.access = v.Access(w, place, household, wv.claim)
	return wv, nil
}

// visibleWish returns w as the viewer sees it if they may see it, nil if not.
func visibleWish(ctx context.Context, w *db.Wish) (*model.Wish, error) {
	wv, err := viewWish(ctx, w)
	if err != nil || !wv.access.See {
		return nil, err
	}
	return showWish(ctx, w)
}

// showWishes are ws as the viewer sees them (callers decide which the viewer may see). What
// deciding needs is read for all of them at once: nothing at all for a page whose list
// statement read it (db.WishRead), a batch per relation for wishes found otherwise. Only
// for callers that are alone in asking (a list's or a mutation's resolver), since the
// batches go out at once.
func showWishes(ctx context.Context, ws []*db.Wish) ([]*model.Wish, error) {
	if err := warmWishes(ctx, ws, true); err != nil {
		return nil, err
	}
	out := make([]*model.Wish, len(ws))
	for i, w := range ws {
		var err error
		if out[i], err = showWish(ctx, w); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// warmWishes loads, a batch per relation, what showing ws needs and the loaders lack: at
// once if now, else batched with what resolvers beside the caller ask for.
func warmWishes(ctx context.Context, ws []*db.Wish, now bool) error {
	l := load(ctx)
	warm := func(ld interface{ warmKeys([]int64, bool) error }, keys []int64) error { return ld.warmKeys(keys, now) }
	var residents, places, claims []int64
	for _, w := range ws {
		if w.Read == nil {
			residents = append(residents, w.BeneficiaryID)
			places = append(places, w.PlaceID, w.CommunityID)
			if w.ClaimID != nil {
				claims = append(claims, *w.ClaimID)
			}
		}
	}
	if len(residents) == 0 {
		return nil
	}
	if err := warm(l.resident, residents); err != nil {
		return err
	}
	for _, id := range residents {
		if b, ok, _ := l.resident.load(id); ok {
			places = append(places, b.HouseholdID)
		}
	}
	if err := warm(l.place, places); err != nil {
		return err
	}
	var buildings []int64
	for _, w := range ws {
		if b, ok, _ := l.resident.load(w.BeneficiaryID); ok {
			if h, ok, _ := l.place.load(b.HouseholdID); ok && h.ParentID != nil {
				buildings = append(buildings, *h.ParentID)
			}
		}
	}
	if err := warm(l.place, buildings); err != nil {
		return err
	}
	return warm(l.claim, claims)
}

// showWish is w as the viewer sees it: its place, community and claim, the beneficiary's
// name, phone and address masked as the viewer's sight allows, and whether they may claim it.
func showWish(ctx context.Context, w *db.Wish) (*model.Wish, error) {
	wv, err := viewWish(ctx, w)
	if err != nil {
		return nil, err
	}
	place, err := placeByID(ctx, w.PlaceID)
	if err != nil {
		return nil, err
	}
	community, err := placeByID(ctx, w.CommunityID)
	if err != nil {
		return nil, err
	}
	building, err := placeByID(ctx, *wv.household.ParentID)
	if err != nil {
		return nil, err
	}
	out := &model.Wish{Wish: w, ID: globalID("Wish", w.ID), Place: place, Community: community, Claim: wv.claim}
	if sightWanted(ctx) {
		// What the viewer sees of the beneficiary may take their contacts: a statement.
		sight, err := residentSight(ctx, wv.beneficiary)
		if err != nil {
			return nil, err
		}
		out.BeneficiaryName, out.BeneficiaryPhone = maskedName(sight, wv.beneficiary.Name), maskedPhone(sight, wv.beneficiary.Phone)
		out.Address = building.Name
		if sight.Household {
			out.Address = building.Name + " " + wv.household.Name
		}
	}
	if w.FulfilNote != nil && w.FulfilMinutes != nil && w.FulfilledAt != nil {
		photos := []string(w.FulfilPhotos)
		if photos == nil {
			photos = []string{}
		}
		out.Fulfilment = &model.WishFulfilment{Note: *w.FulfilNote, Hours: float64(*w.FulfilMinutes) / 60, PhotoUrls: photos, At: *w.FulfilledAt}
	}
	if v, err := viewer(ctx); err != nil {
		return nil, err
	} else if v != nil && w.State == db.WishPublished && w.Deadline.After(requestFrom(ctx).store.Now()) {
		own := v.IsResident(w.BeneficiaryID) || v.Resident != nil && v.Resident.HouseholdID == wv.household.ID
		out.CanClaim = !own && v.Serves(place, db.RoleVolunteer, db.RolePartyMember)
	}
	return out, nil
}

// sightWanted reports whether the wish answered for the field in ctx may show the fields
// masked by the viewer's sight of the beneficiary: false only when that field is a Wish
// whose selection names none of them (a claim answered with its state, say).
func sightWanted(ctx context.Context) bool {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.Definition == nil || fc.Field.Definition.Type.Name() != "Wish" {
		return true
	}
	for _, f := range graphql.CollectAllFields(ctx) {
		switch f {
		case "beneficiaryName", "beneficiaryPhone", "address":
			return true
		}
	}
	return false
}

// primeWishes stores a page of wishes in the loader, so node lookups and mutations later in
// the request reuse them, and with them what the list statement read with each.
func primeWishes(ctx context.Context, ws []*db.Wish) {
	l := load(ctx)
	for _, w := range ws {
		l.wish.prime(w.ID, w)
		if w.Read != nil {
			l.primeRead(w.Read)
		}
	}
}

// primeRead stores the rows read beside a wish. A claimer is stored only where it was read,
// and then so is whether they live here.
func (l *loaders) primeRead(r *db.WishRead) {
	for _, p := range []*db.Place{r.Place, r.Community, r.Household, r.Building} {
		l.place.prime(p.ID, p)
	}
	l.resident.prime(r.Beneficiary.ID, r.Beneficiary)
	if r.Claim != nil {
		l.claim.prime(r.Claim.ID, r.Claim)
	}
	if r.Claimer != nil {
		l.account.prime(r.Claimer.ID, r.Claimer)
		if r.ClaimerResident != nil {
			l.residentByAccount.prime(r.Claimer.ID, r.ClaimerResident)
		} else {
			l.residentByAccount.primeNone(r.Claimer.ID)
		}
	}
}

// wishList answers a wish list query.
// readsContacts: the list is a volunteer's, whose wishes show what the viewer's contacts
// unmask, so the contacts are read beside the page.
func wishList(ctx context.Context, list func(*db.Viewer, db.Page) (db.Paged[*db.Wish], func(context.Context) (int, error), error), first *int, after *string, readsContacts bool) (*model.WishConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if readsContacts {
		// Read beside the page rather than after it: one round trip less to wait for.
		go contacts(ctx)
	}
	page.WithTotal = slices.Contains(graphql.CollectAllFields(ctx), "totalCount")
	res, count, err := list(v, page)
	if err != nil {
		return nil, err
	}
	primeWishes(ctx, res.Items)
	nodes, err := showWishes(ctx, res.Items)
	if err != nil {
		return nil, err
	}
	return model.NewWishConnection(res, nodes, count), nil
}

// wishFilter turns the GraphQL filter into the store's.
func wishFilter(f *model.WishFilter) (db.WishFilter, error) {
	var out db.WishFilter
	if f == nil {
		return out, nil
	}
	out.States, out.Categories = f.State, f.Category
	var err error
	if out.PlaceID, err = optionalKey("placeId", "Place", f.PlaceID); err != nil {
		return out, err
	}
	if out.BeneficiaryID, err = optionalKey("beneficiaryId", "Resident", f.BeneficiaryID); err != nil {
		return out, err
	}
	if out.ClaimerID, err = optionalKey("claimerId", "Account", f.ClaimerID); err != nil {
		return out, err
	}
	out.CreatedAfter, out.CreatedBefore = f.CreatedAfter, f.CreatedBefore
	out.DeadlineAfter, out.DeadlineBefore = f.DeadlineAfter, f.DeadlineBefore
	if f.Text != nil {
		out.Text = *f.Text
	}
	return out, nil
}

// writeWish runs a wish mutation on the wish with global ID id and answers with the wish as
// it is now, built from the rows its transaction held where it can (db.HeldWish), so the
// answer reads none of them again.
func (r *Resolver) writeWish(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.HeldWish, error)) (*model.Wish, error) {
	hw, err := mutate(ctx, "wishId", "Wish", id, f)
	if err != nil {
		return nil, err
	}
	l := load(ctx)
	l.wish.prime(hw.ID, hw.Wish)
	read := &db.WishRead{Place: hw.Place, Community: hw.Community, Household: hw.Household, Building: hw.Building,
		Beneficiary: hw.Beneficiary}
	if hw.Claim != nil && hw.ClaimID != nil && *hw.ClaimID == hw.Claim.ID {
		read.Claim = hw.Claim
	}
	l.primeRead(read)
	if v, _ := viewer(ctx); v != nil {
		l.account.prime(v.Account.ID, v.Account) // the claimer, in a claim's answer
	}
	shown, err := showWishes(ctx, []*db.Wish{hw.Wish})
	if err != nil {
		return nil, err
	}
	return shown[0], nil
}

// RunSweeps does, every interval until ctx ends, what is due on its own: it lapses overdue
// claims (db.LapseOverdueClaims), closes votes at their closing time (db.CloseDueVotes) and
// forgets sign-in failures whose window has ended (db.ForgetLoginFailures).
func RunSweeps(ctx context.Context, s *db.Store, every time.Duration, logf func(msg string, args ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, sweep := range []struct {
			name, what string
			run        func(context.Context) (int, error)
		}{{"lapse_claims", "overdue claims lapsed", s.LapseOverdueClaims}, {"close_votes", "votes closed at their closing time", s.CloseDueVotes},
			{"forget_login_failures", "sign-in failure counts past their window removed", s.ForgetLoginFailures}} {
			started := time.Now()
			n, err := sweep.run(ctx)
			if ctx.Err() == nil {
				s.Metrics.Sweep(sweep.name, n, err != nil, time.Since(started))
			}
			if err != nil && ctx.Err() == nil {
				logf("sweep failed", "sweep", sweep.what, "error", err.Error())
			} else if n > 0 {
				logf(sweep.what, "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
