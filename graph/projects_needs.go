package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// visibleNeed returns n if the viewer sees its community's needs list, nil if not.
func visibleNeed(ctx context.Context, n *db.Need) (*db.Need, error) {
	v, err := viewer(ctx)
	if err != nil || n == nil {
		return nil, err
	}
	community, err := placeByID(ctx, n.CommunityID)
	if err != nil || !v.SeesNeeds(community) {
		return nil, err
	}
	return n, nil
}

// needByID loads a need the viewer may see, nil otherwise.
func needByID(ctx context.Context, id int64) (*db.Need, error) {
	n, ok, err := load(ctx).projects.need.load(id)
	if err != nil || !ok {
		return nil, err
	}
	return visibleNeed(ctx, n)
}

// needOf loads the need that the wish or topic with key was turned into, if the viewer sees it.
func needOf(ctx context.Context, l *loader[*db.Need], key int64) (*db.Need, error) {
	n, ok, err := l.load(key)
	if err != nil || !ok {
		return nil, err
	}
	return visibleNeed(ctx, n)
}

// wishNeed answers Wish.need.
func wishNeed(ctx context.Context, w *model.Wish) (*db.Need, error) {
	return needOf(ctx, load(ctx).projects.needByWish, w.Wish.ID)
}

// topicNeed answers Topic.need.
func topicNeed(ctx context.Context, t *db.Topic) (*db.Need, error) {
	return needOf(ctx, load(ctx).projects.needByTopic, t.ID)
}

// needWish answers Need.wish: the wish as its own rules show it.
func needWish(ctx context.Context, n *db.Need) (*model.Wish, error) {
	if n.WishID == nil {
		return nil, nil
	}
	w, ok, err := load(ctx).wish.load(*n.WishID)
	if err != nil || !ok {
		return nil, err
	}
	return visibleWish(ctx, w)
}

// needTopic answers Need.topic.
func needTopic(ctx context.Context, n *db.Need) (*db.Topic, error) {
	if n.TopicID == nil {
		return nil, nil
	}
	t, ok, err := load(ctx).topic.load(*n.TopicID)
	if err != nil || !ok {
		return nil, err
	}
	return visibleTopic(ctx, t)
}

// needTimeline answers Need.timeline.
func needTimeline(ctx context.Context, n *db.Need) ([]*db.NeedEvent, error) {
	return listed(load(ctx).projects.needEvents, n.ID)
}

// fenOf shows an amount in fen as a GraphQL Int (the store keeps amounts within its range).
func fenOf(fen *int64) *int {
	if fen == nil {
		return nil
	}
	n := int(*fen)
	return &n
}

// needList answers the needs query.
func (r *Resolver) needList(ctx context.Context, placeID *string, states []db.NeedState, category *db.ServiceCategory, first *int, after *string) (*model.NeedConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	place, err := optionalKey("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	res, count, err := r.Store.Needs(ctx, v, db.NeedFilter{Place: place, States: states, Category: category}, page)
	if err != nil {
		return nil, err
	}
	for _, n := range res.Items {
		load(ctx).projects.need.prime(n.ID, n)
	}
	return model.NewNeedConnection(res, count), nil
}

// createNeed answers the createNeed mutation.
func (r *Resolver) createNeed(ctx context.Context, in model.CreateNeedInput) (*db.Need, error) {
	wish, err := optionalID("wishId", "Wish", in.WishID)
	if err != nil {
		return nil, err
	}
	topic, err := optionalID("topicId", "Topic", in.TopicID)
	if err != nil {
		return nil, err
	}
	place, err := optionalID("placeId", "Place", in.PlaceID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	var budget *int64
	if in.BudgetFen != nil {
		b := int64(*in.BudgetFen)
		budget = &b
	}
	n, err := r.Store.CreateNeed(ctx, v, db.NewNeed{Source: in.Source, WishID: wish, TopicID: topic, PlaceID: place,
		Category: in.Category, Title: in.Title, Description: in.Description, PeopleAffected: in.PeopleAffected,
		BudgetFen: budget, Urgency: in.Urgency})
	if err != nil {
		return nil, err
	}
	forgetLoaded(ctx)
	return n, nil
}

// closeNeed answers the closeNeed mutation.
func (r *Resolver) closeNeed(ctx context.Context, id, reason string) (*db.Need, error) {
	return mutate(ctx, "needId", "Need", id, func(v *db.Viewer, key int64) (*db.Need, error) {
		return r.Store.CloseNeed(ctx, v, key, reason)
	})
}
