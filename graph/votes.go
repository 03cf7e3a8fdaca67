package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// openVote answers the openVote mutation.
func (r *Resolver) openVote(ctx context.Context, in model.OpenVoteInput) (*db.Vote, error) {
	topic, err := idOf("topicId", "Topic", in.TopicID)
	if err != nil {
		return nil, err
	}
	return mutate(ctx, "meetingId", "Meeting", in.MeetingID, func(v *db.Viewer, meeting int64) (*db.Vote, error) {
		return r.Store.OpenVoteIn(ctx, v, db.OpenVote{MeetingID: meeting, TopicID: topic, Title: in.Title, Options: in.Options,
			ClosesAt: in.ClosesAt, Secret: in.Secret, Changeable: in.Changeable, Rule: in.Rule})
	})
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
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	out, err := r.Store.VoteByID(ctx, v, key)
	if db.ErrorCode(err) == db.ENOTFOUND {
		return nil, nil
	}
	return out, err
}

// voteMeeting returns the vote's meeting, if the viewer may see it.
func voteMeeting(ctx context.Context, vt *db.Vote) (*db.Meeting, error) {
	m, ok, err := load(ctx).meeting.load(vt.MeetingID)
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
