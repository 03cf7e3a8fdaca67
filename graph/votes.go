package graph

import (
	"context"
	"math"

	"linli/db"
	"linli/graph/model"
)

// openVote answers the openVote mutation.
func (r *Resolver) openVote(ctx context.Context, in model.OpenVoteInput) (*db.Vote, error) {
	topic, err := idOf("topicId", "Topic", in.TopicID)
	if err != nil {
		return nil, err
	}
	meeting, err := optionalID("meetingId", "Meeting", in.MeetingID)
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
	open := db.OpenVote{MeetingID: meeting, PlaceID: place, TopicID: topic, Title: in.Title, Options: in.Options,
		OpensAt: in.OpensAt, ClosesAt: in.ClosesAt, Secret: in.Secret, Changeable: in.Changeable, Rule: in.Rule, Basis: in.Basis}
	if c := in.CustomRule; c != nil {
		open.Custom = &db.VoteRule{Quorum: threshold(c.Quorum), Pass: threshold(c.Pass), ByArea: c.ByArea,
			QuorumBasis: c.QuorumBasis, Abstentions: c.Abstentions}
	}
	out, err := r.Store.OpenVoteIn(ctx, v, open)
	if err != nil {
		return nil, err
	}
	forgetLoaded(ctx)
	return out, nil
}

func threshold(r *model.RatioInput) db.Threshold {
	return db.Threshold{Num: int64(r.Num), Den: int64(r.Den), Strict: r.Comparison.Strict()}
}

func ratio(t db.Threshold) *model.Ratio {
	return &model.Ratio{Num: int(t.Num), Den: int(t.Den), Comparison: t.Comparison()}
}

// writeVote runs a vote mutation on the vote with global ID id.
func (r *Resolver) writeVote(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.Vote, error)) (*db.Vote, error) {
	return mutate(ctx, "voteId", "Vote", id, f)
}

// voteByID answers the vote query: null for a vote the viewer may not see.
func (r *Resolver) voteByID(ctx context.Context, id string) (*db.Vote, error) {
	key, err := idOf("id", "Vote", id)
	if err != nil {
		return nil, err
	}
	return voteByKey(ctx, key)
}

// voteByKey reads vote key as the viewer may see it (nil if they may not), at once rather
// than after the loader's batching wait, and leaves it with the loader for the rest of the
// request.
func voteByKey(ctx context.Context, key int64) (*db.Vote, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	vt, err := requestFrom(ctx).store.VoteByID(ctx, v, key)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	load(ctx).vote.prime(vt.ID, vt)
	return vt, nil
}

// voteList answers the votes query.
func (r *Resolver) voteList(ctx context.Context, placeID *string, states []db.VoteState, first *int, after *string) (*model.VoteConnection, error) {
	return communityPage(ctx, placeID, states, first, after, r.Store.VoteList,
		func(vt *db.Vote) { load(ctx).vote.prime(vt.ID, vt) }, model.NewVoteConnection)
}

// votesByIDs loads votes through the request's loader, leaving out those the viewer may not see.
func votesByIDs(ctx context.Context, ids []int64) ([]*db.Vote, error) {
	out := []*db.Vote{}
	for _, id := range ids {
		vt, ok, err := load(ctx).vote.load(id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, vt)
		}
	}
	return out, nil
}

// meetingVotes returns the votes held in meeting m.
func meetingVotes(ctx context.Context, m *db.Meeting) ([]*db.Vote, error) {
	ids, _, err := load(ctx).votesByMeeting.load(m.ID)
	if err != nil {
		return nil, err
	}
	return votesByIDs(ctx, ids)
}

// topicVotes returns the votes on topic t.
func topicVotes(ctx context.Context, t *db.Topic) ([]*db.Vote, error) {
	ids, _, err := load(ctx).votesByTopic.load(t.ID)
	if err != nil {
		return nil, err
	}
	return votesByIDs(ctx, ids)
}

// voteMeeting returns the vote's meeting, if it has one the viewer may see.
func voteMeeting(ctx context.Context, vt *db.Vote) (*db.Meeting, error) {
	if vt.MeetingID == nil {
		return nil, nil
	}
	m, ok, err := load(ctx).meeting.load(*vt.MeetingID)
	if err != nil || !ok {
		return nil, err
	}
	return visibleMeeting(ctx, m)
}

// voteTopic returns the vote's topic, if the viewer may see it.
func voteTopic(ctx context.Context, vt *db.Vote) (*db.Topic, error) {
	t, ok, err := load(ctx).topic.load(vt.TopicID)
	if err != nil || !ok {
		return nil, err
	}
	return visibleTopic(ctx, t)
}

// average is a rating's mean, to two decimals; nil with no ratings.
func average(s *db.RatingSummary) *float64 {
	if s.Count == 0 {
		return nil
	}
	a := math.Round(float64(s.Sum)*100/float64(s.Count)) / 100
	return &a
}
