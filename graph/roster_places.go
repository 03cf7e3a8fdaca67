package graph

import (
	"context"
	"math"

	"linli/db"
	"linli/graph/model"
)

// The roster's places and community settings (db/roster_places.go, db/roster_settings.go).

// floorAreaDm2 turns square metres with at most two decimals into the 0.01 m² the database
// keeps, or INVALID_INPUT.
func floorAreaDm2(m2 *float64) (*int64, error) {
	if m2 == nil {
		return nil, nil
	}
	dm2 := math.Round(*m2 * 100)
	if math.IsNaN(*m2) || math.Abs(*m2*100-dm2) > 1e-6 || dm2 <= 0 || dm2 > math.MaxInt32 {
		return nil, db.Invalid("floorArea", "面积请填写大于 0 的平方米数，最多两位小数，例如 89.35")
	}
	n := int64(dm2)
	return &n, nil
}

func (r *mutationResolver) createPlace(ctx context.Context, in model.CreatePlaceInput) (*db.Place, error) {
	parent, err := idOf("parentId", "Place", in.ParentID)
	if err != nil {
		return nil, err
	}
	area, err := floorAreaDm2(in.FloorArea)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.CreatePlace(ctx, v, db.PlaceInput{ParentID: parent, Level: in.Level, Name: in.Name, Units: in.Units,
		Unit: in.Unit, Room: in.Room, FloorAreaDm2: area, Reason: in.Reason})
}

func (r *mutationResolver) updatePlace(ctx context.Context, placeID string, in model.UpdatePlaceInput) (*db.Place, error) {
	id, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	area, err := floorAreaDm2(in.FloorArea)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.UpdatePlace(ctx, v, id, db.PlaceInput{Name: in.Name, Units: in.Units, Unit: in.Unit, Room: in.Room,
		FloorAreaDm2: area, Reason: in.Reason})
}

func (r *mutationResolver) movePlace(ctx context.Context, placeID, parentID string, reason *string) (*db.Place, error) {
	id, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	parent, err := idOf("parentId", "Place", parentID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.MovePlace(ctx, v, id, parent, reason)
}

func (r *mutationResolver) retirePlace(ctx context.Context, placeID, reason string) (*db.Place, error) {
	id, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.RetirePlace(ctx, v, id, reason)
}

// descendants lists the places of level under p: a grid's buildings, a building's households.
func (r *placeResolver) descendants(ctx context.Context, p *db.Place, level db.PlaceLevel, retired *bool, first *int, after *string) (*model.PlaceConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	l := db.PlaceListing{Under: p.ID, Level: level, Retired: retired != nil && *retired}
	res, err := r.Store.Descendants(ctx, v, l, page)
	if err != nil {
		return nil, err
	}
	for _, p := range res.Items {
		load(ctx).place.prime(p.ID, p)
	}
	return model.NewPlaceConnection(res, func(ctx context.Context) (int, error) {
		return r.Store.CountDescendants(ctx, v, l)
	}), nil
}

func (r *placeResolver) placeSettings(ctx context.Context, p *db.Place) (*db.Settings, error) {
	if p.Level != db.LevelCommunity {
		return nil, nil
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.CommunitySettingsOf(ctx, v, p.ID)
}

func (r *queryResolver) communitySettings(ctx context.Context, communityID string) (*db.Settings, error) {
	id, err := idOf("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.CommunitySettingsOf(ctx, v, id)
}

func (r *mutationResolver) updateCommunitySettings(ctx context.Context, communityID string, in model.CommunitySettingsInput, reason string) (*db.Settings, error) {
	id, err := idOf("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.UpdateCommunitySettings(ctx, v, id, db.SettingsChange{
		"wishValueCapFen": in.WishValueCapFen, "claimLimit": in.ClaimLimit, "claimHours": in.ClaimHours,
		"pointsPerHour": in.PointsPerHour, "cosignThreshold": in.CosignThreshold, "noticeDays": in.NoticeDays,
	}, reason)
}
