package graph

import (
	"context"
	"strings"
	"time"

	"linli/db"
	"linli/graph/model"
)

// Resolvers of the roster's residents over time: schema.resolvers.go calls these.

func lowerEnum[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := strings.ToLower(string(*v))
	return &s
}

func upperEnum[T ~string](s *string) *T {
	if s == nil {
		return nil
	}
	t := T(strings.ToUpper(*s))
	return &t
}

func (r *mutationResolver) addResident(ctx context.Context, in model.AddResidentInput) (*db.Resident, error) {
	household, err := idOf("householdId", "Place", in.HouseholdID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	defer forgetLoaded(ctx)
	return r.Store.AddResident(ctx, v, db.NewResident{HouseholdID: household, Name: in.Name, Gender: lowerEnum(in.Gender),
		BirthDate: in.BirthDate, Phone: in.Phone, IDNumber: in.IDNumber, Relationship: in.Relationship,
		Tags: in.Tags, On: in.On, Reason: in.Reason})
}

func (r *mutationResolver) moveResident(ctx context.Context, residentID, householdID string, on *time.Time, reason *string) (*db.Resident, error) {
	id, err := idOf("residentId", "Resident", residentID)
	if err != nil {
		return nil, err
	}
	household, err := idOf("householdId", "Place", householdID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	defer forgetLoaded(ctx)
	return r.Store.MoveResident(ctx, v, id, household, on, reason)
}

func (r *mutationResolver) recordLeaving(ctx context.Context, residentID string, leftReason model.LeftReason, on *time.Time, reason *string) (*db.Resident, error) {
	id, err := idOf("residentId", "Resident", residentID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	defer forgetLoaded(ctx)
	return r.Store.RecordLeaving(ctx, v, id, *lowerEnum(&leftReason), on, reason)
}

func (r *mutationResolver) correctResident(ctx context.Context, in model.CorrectResidentInput) (*db.Resident, error) {
	id, err := idOf("residentId", "Resident", in.ResidentID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	c := db.ResidentCorrection{Name: in.Name, Gender: lowerEnum(in.Gender), BirthDate: in.BirthDate, Phone: in.Phone,
		IDNumber: in.IDNumber, Relationship: in.Relationship, Reason: in.Reason}
	if in.Tags != nil {
		c.Tags = &in.Tags
	}
	defer forgetLoaded(ctx)
	return r.Store.CorrectResident(ctx, v, id, c)
}

func (r *mutationResolver) linkResidentAccount(ctx context.Context, residentID, accountID string, reason *string) (*db.Resident, error) {
	id, err := idOf("residentId", "Resident", residentID)
	if err != nil {
		return nil, err
	}
	account, err := idOf("accountId", "Account", accountID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	defer forgetLoaded(ctx)
	return r.Store.LinkResidentAccount(ctx, v, id, account, reason)
}

func (r *mutationResolver) admitRegistration(ctx context.Context, accountID string, reason *string) (*db.Resident, error) {
	account, err := idOf("accountId", "Account", accountID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	defer forgetLoaded(ctx)
	return r.Store.AdmitRegistration(ctx, v, account, reason)
}

func (r *queryResolver) roster(ctx context.Context, placeID string, asOf *time.Time, first *int, after *string, last *int, before *string) (*model.RosterHouseholdConnection, error) {
	place, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	page, err := pageOf(first, after, last, before)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	res, day, err := r.Store.Roster(ctx, v, place, asOf, page)
	if err != nil {
		return nil, err
	}
	for _, h := range res.Items {
		load(ctx).place.prime(h.Household.ID, h.Household)
	}
	return model.NewRosterHouseholdConnection(res, func(ctx context.Context) (int, error) {
		return r.Store.CountRoster(ctx, place, day)
	}), nil
}

func (r *queryResolver) pendingRegistrations(ctx context.Context, placeID string) ([]*db.PendingRegistration, error) {
	place, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.Registrations(ctx, v, place)
}

func (r *queryResolver) residentDuplicates(ctx context.Context, placeID string) ([]*db.Duplicate, error) {
	place, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.ResidentDuplicates(ctx, v, place)
}

// visibleResidents are those of ids whose record the viewer sees (the one masking rule).
func visibleResidents(ctx context.Context, ids []int64) ([]*db.Resident, error) {
	out := []*db.Resident{}
	for _, id := range ids {
		r, err := residentByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}
