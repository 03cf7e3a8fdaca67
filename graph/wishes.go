package graph

import (
	"context"
	"time"

	"linli/db"
	"linli/graph/model"
)

// wishView is what the resolvers of one wish need to apply the privacy rules.
type wishView struct {
	access      db.WishAccess
	sight       db.Sight // of the beneficiary
	beneficiary *db.Resident
	household   *db.Place
	claim       *db.Claim
}

// viewWish works out what the viewer may see of w, through the request's loaders.
func viewWish(ctx context.Context, w *db.Wish) (*wishView, error) {
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
	if wv.sight, err = residentSight(ctx, b); err != nil {
		return nil, err
	}
	return wv, nil
}

// visibleWish returns w if the viewer may see it, nil if not.
func visibleWish(ctx context.Context, w *db.Wish) (*db.Wish, error) {
	wv, err := viewWish(ctx, w)
	if err != nil || !wv.access.See {
		return nil, err
	}
	return w, nil
}

// primeWishes stores a page of wishes in the loader, so node lookups and mutations later in
// the request reuse them.
func primeWishes(ctx context.Context, ws []*db.Wish) {
	for _, w := range ws {
		load(ctx).wish.prime(w.ID, w)
	}
}

// wishList answers a wish list query.
func wishList(ctx context.Context, list func(*db.Viewer, db.Page) (db.Paged[*db.Wish], func(context.Context) (int, error), error), first *int, after *string) (*model.WishConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	res, count, err := list(v, page)
	if err != nil {
		return nil, err
	}
	primeWishes(ctx, res.Items)
	return model.NewWishConnection(res, count), nil
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

// writeWish runs a wish mutation on the wish with global ID id, and leaves the rows its
// transaction held with the request's fresh loaders, so the answer reads none of them again.
func (r *Resolver) writeWish(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.HeldWish, error)) (*db.Wish, error) {
	hw, err := mutate(ctx, "wishId", "Wish", id, f)
	if err != nil {
		return nil, err
	}
	l := load(ctx)
	l.wish.prime(hw.ID, hw.Wish)
	l.place.prime(hw.Place.ID, hw.Place)
	l.place.prime(hw.Household.ID, hw.Household)
	if hw.Claim != nil && hw.ClaimID != nil && *hw.ClaimID == hw.Claim.ID {
		l.claim.prime(hw.Claim.ID, hw.Claim)
	}
	if v, _ := viewer(ctx); v != nil {
		l.account.prime(v.Account.ID, v.Account) // the claimer, in a claim's answer
	}
	return hw.Wish, nil
}

// RunSweeps does, every interval until ctx ends, what is due on its own: it lapses overdue
// claims (db.LapseOverdueClaims), closes votes at their closing time (db.CloseDueVotes) and
// forgets sign-in failures whose window has ended (db.ForgetLoginFailures).
func RunSweeps(ctx context.Context, s *db.Store, every time.Duration, logf func(msg string, args ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		for _, sweep := range []struct {
			what string
			run  func(context.Context) (int, error)
		}{{"overdue claims lapsed", s.LapseOverdueClaims}, {"votes closed at their closing time", s.CloseDueVotes},
			{"sign-in failure counts past their window removed", s.ForgetLoginFailures}} {
			n, err := sweep.run(ctx)
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
