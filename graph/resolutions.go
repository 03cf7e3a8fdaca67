package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// visibleResolution returns r if the viewer may see it (as they see its topic), nil if not.
func visibleResolution(ctx context.Context, r *db.Resolution) (*db.Resolution, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	community, err := placeByID(ctx, r.CommunityID)
	if err != nil || !v.SeesTopics(community) {
		return nil, err
	}
	return r, nil
}

// resolutionByID loads a resolution the viewer may see, nil otherwise.
func resolutionByID(ctx context.Context, id int64) (*db.Resolution, error) {
	r, ok, err := load(ctx).resolution.load(id)
	if err != nil || !ok {
		return nil, err
	}
	return visibleResolution(ctx, r)
}

// resolutionList answers the resolutions query.
func (r *Resolver) resolutionList(ctx context.Context, placeID *string, states []db.ResolutionState, first *int, after *string) (*model.ResolutionConnection, error) {
	return communityPage(ctx, placeID, states, first, after, r.Store.Resolutions,
		func(res *db.Resolution) { load(ctx).resolution.prime(res.ID, res) }, model.NewResolutionConnection)
}

// topicResolution returns the topic's resolution in force (the latest not revoked), if any.
func topicResolution(ctx context.Context, t *db.Topic) (*db.Resolution, error) {
	rs, _, err := load(ctx).resolutionsTopic.load(t.ID)
	if err != nil {
		return nil, err
	}
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].State != db.ResolutionRevoked {
			return visibleResolution(ctx, rs[i])
		}
	}
	return nil, nil
}

// voteResolution returns the resolution a passed vote yielded, if any.
func voteResolution(ctx context.Context, vt *db.Vote) (*db.Resolution, error) {
	r, ok, err := load(ctx).resolutionByVote.load(vt.ID)
	if err != nil || !ok {
		return nil, err
	}
	return visibleResolution(ctx, r)
}

// writeResolution runs a mutation on the resolution with global ID id.
func (r *Resolver) writeResolution(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.Resolution, error)) (*db.Resolution, error) {
	return mutate(ctx, "resolutionId", "Resolution", id, f)
}

// writeTask runs a mutation on the task with global ID id.
func (r *Resolver) writeTask(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.Task, error)) (*db.Task, error) {
	return mutate(ctx, "taskId", "ResolutionTask", id, f)
}

// ratingOf returns the rating summary of r, zero when nobody has rated it.
func ratingOf(ctx context.Context, r *db.Resolution) (*db.RatingSummary, error) {
	s, ok, err := load(ctx).ratings.load(r.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		s = &db.RatingSummary{ResolutionID: r.ID, Distribution: make([]int, 5)}
	}
	return s, nil
}

// myRating returns the viewer's score for r, nil if they have not rated it.
func myRating(ctx context.Context, r *db.Resolution) (*int, error) {
	n, ok, err := load(ctx).myRating.load(r.ID)
	if err != nil || !ok {
		return nil, err
	}
	return &n, nil
}

// listed returns what a grouped loader holds for key, never nil.
func listed[T any](l *loader[[]T], key int64) ([]T, error) {
	xs, _, err := l.load(key)
	if xs == nil {
		xs = []T{}
	}
	return xs, err
}
