package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// visibleTopic returns t if the viewer may see it, nil if not.
func visibleTopic(ctx context.Context, t *db.Topic) (*db.Topic, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	community, err := placeByID(ctx, t.CommunityID)
	if err != nil || !v.SeesTopics(community) {
		return nil, err
	}
	return t, nil
}

// writeTopic runs a topic mutation on the topic with global ID id.
func (r *Resolver) writeTopic(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.Topic, error)) (*db.Topic, error) {
	return mutate(ctx, "topicId", "Topic", id, f)
}

// topicList answers the topics query.
func (r *Resolver) topicList(ctx context.Context, placeID *string, states []db.TopicState, first *int, after *string) (*model.TopicConnection, error) {
	return communityPage(ctx, placeID, states, first, after, r.Store.Topics,
		func(t *db.Topic) { load(ctx).topic.prime(t.ID, t) }, model.NewTopicConnection)
}

// communityPage answers a list of things that belong to a community (topics, meetings):
// it reads the paging and place arguments, lists, and remembers the rows for the request.
func communityPage[T any, S any, C any](ctx context.Context, placeID *string, states []S, first *int, after *string,
	list func(context.Context, *db.Viewer, int64, []S, db.Page) (db.Paged[T], func(context.Context) (int, error), error),
	prime func(T), wrap func(db.Paged[T], model.Counter) C) (C, error) {
	var zero C
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return zero, err
	}
	place, err := optionalKey("placeId", "Place", placeID)
	if err != nil {
		return zero, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return zero, err
	}
	res, count, err := list(ctx, v, place, states, page)
	if err != nil {
		return zero, err
	}
	for _, x := range res.Items {
		prime(x)
	}
	return wrap(res, count), nil
}

// topicComments answers a topic's comments: one page for every topic of the request that
// asks for the same page, in one statement.
func topicComments(ctx context.Context, t *db.Topic, first *int, after *string) (*model.TopicCommentConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	l := load(ctx)
	res, _, err := l.topicComments(page).load(t.ID)
	if err != nil {
		return nil, err
	}
	return model.NewTopicCommentConnection(res, func(ctx context.Context) (int, error) {
		n, _, err := load(ctx).commentCount.load(t.ID)
		return n, err
	}), nil
}

// linkedWishes returns the wishes t grew from that the viewer may see.
func linkedWishes(ctx context.Context, t *db.Topic) ([]*model.Wish, error) {
	l := load(ctx)
	ids, _, err := l.topicWishes.load(t.ID)
	if err != nil {
		return nil, err
	}
	if err := l.wish.warm(ids); err != nil {
		return nil, err
	}
	var ws []*db.Wish
	for _, id := range ids {
		if w, ok, _ := l.wish.load(id); ok {
			ws = append(ws, w)
		}
	}
	if err := warmWishes(ctx, ws, false); err != nil {
		return nil, err
	}
	out := []*model.Wish{}
	for _, w := range ws {
		if shown, err := visibleWish(ctx, w); err != nil {
			return nil, err
		} else if shown != nil {
			out = append(out, shown)
		}
	}
	return out, nil
}

// canCosign reports whether the viewer may co-sign t now.
func canCosign(ctx context.Context, t *db.Topic) (bool, error) {
	v, err := viewer(ctx)
	if err != nil || v == nil {
		return false, err
	}
	place, err := placeByID(ctx, t.PlaceID)
	if err != nil {
		return false, err
	}
	cosigned, _, err := load(ctx).cosignedByMe.load(t.ID)
	if err != nil {
		return false, err
	}
	return v.CanCosign(t, place, cosigned), nil
}
