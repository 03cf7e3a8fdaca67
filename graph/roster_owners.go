package graph

import (
	"context"
	"slices"
	"time"

	"linli/db"
	"linli/graph/model"
)

// Ownership and the owners' count (db/roster_owners.go) as the schema shows them: people
// through residentByID, so a resident the viewer may not see is left out (or null).

func ownersCount(ctx context.Context, s *db.Store, compoundID string, on *time.Time) (*model.OwnersCount, error) {
	id, err := idOf("compoundId", "Place", compoundID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.OwnersCountOf(ctx, v, id, on)
	if err != nil {
		return nil, err
	}
	compound, err := placeByID(ctx, id)
	if err != nil {
		return nil, err
	}
	// Everyone and every flat the heads name, loaded together: one batch each rather than a
	// wait per head, then the households the people's masking needs.
	flats, people := slices.Clone(c.Unrecorded), []int64{}
	for _, h := range c.Heads {
		flats, people = append(flats, h.Parts...), append(append(people, h.Owners...), h.Voters...)
	}
	if err := load(ctx).place.warm(flats); err != nil {
		return nil, err
	}
	if err := load(ctx).resident.warm(people); err != nil {
		return nil, err
	}
	homes := []int64{}
	for _, id := range people {
		if r, ok, err := load(ctx).resident.load(id); err != nil {
			return nil, err
		} else if ok {
			homes = append(homes, r.HouseholdID)
		}
	}
	if err := load(ctx).place.warm(homes); err != nil {
		return nil, err
	}
	out := &model.OwnersCount{Compound: compound, On: c.Day, Heads: len(c.Heads), AreaDm2: int(c.AreaDm2), Owners: []*model.OwnerHead{}}
	for _, h := range c.Heads {
		head := &model.OwnerHead{Developer: h.Developer, AreaDm2: int(h.AreaDm2)}
		if head.Households, err = places(ctx, h.Parts); err != nil {
			return nil, err
		}
		if head.Owners, err = visibleResidents(ctx, h.Owners); err != nil {
			return nil, err
		}
		if head.Voters, err = visibleResidents(ctx, h.Voters); err != nil {
			return nil, err
		}
		out.Owners = append(out.Owners, head)
	}
	if out.UnrecordedHouseholds, err = places(ctx, c.Unrecorded); err != nil {
		return nil, err
	}
	return out, nil
}

func householdOwnersOn(ctx context.Context, s *db.Store, householdID string, on *time.Time) ([]*db.HouseholdOwner, error) {
	id, err := idOf("householdId", "Place", householdID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.HouseholdOwnersOf(ctx, v, id, on)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func setHouseholdOwners(ctx context.Context, s *db.Store, in model.SetHouseholdOwnersInput) ([]*db.HouseholdOwner, error) {
	household, err := idOf("householdId", "Place", in.HouseholdID)
	if err != nil {
		return nil, err
	}
	var owners []int64
	for _, o := range in.OwnerIds {
		id, err := idOf("ownerIds", "Resident", o)
		if err != nil {
			return nil, err
		}
		owners = append(owners, id)
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	defer forgetLoaded(ctx)
	rows, err := s.SetHouseholdOwners(ctx, v, db.SetOwners{HouseholdID: household, Owners: owners,
		Developer: in.Developer != nil && *in.Developer, On: in.On, Reason: in.Reason})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

func nameVoter(ctx context.Context, s *db.Store, in model.NameVoterInput) ([]*db.HouseholdOwner, error) {
	household, err := idOf("householdId", "Place", in.HouseholdID)
	if err != nil {
		return nil, err
	}
	var resident *int64
	if in.ResidentID != nil {
		id, err := idOf("residentId", "Resident", *in.ResidentID)
		if err != nil {
			return nil, err
		}
		resident = &id
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	defer forgetLoaded(ctx)
	rows, err := s.NameVoter(ctx, v, household, resident, in.On, in.Reason)
	if err != nil {
		return nil, err
	}
	return rows, nil
}
