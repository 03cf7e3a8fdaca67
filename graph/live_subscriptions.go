package graph

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"linli/db"
	"linli/graph/model"
)

// wishNote is a linli_wishes payload (migration 0018).
type wishNote struct {
	wish, community, beneficiary, submitter, claimer int64
	kind                                             string
}

func parseWishNote(n db.Note) (wishNote, bool) {
	f := n.Fields()
	if len(f) != 6 {
		return wishNote{}, false
	}
	var w wishNote
	for i, dst := range []*int64{&w.wish, &w.community, &w.beneficiary, &w.submitter, &w.claimer} {
		k, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return wishNote{}, false
		}
		*dst = k
	}
	w.kind = f[5]
	return w, true
}

// resyncWindow is how far back a resync looks for changed wishes before the last note the
// subscription handled: clocks of several processes differ a little.
const resyncWindow = time.Minute

// resyncLimit bounds the wishes a resync sends again.
const resyncLimit = 200

var boardKinds = map[string]model.WishBoardEventKind{
	"appeared": model.WishBoardEventKindAppeared, "taken": model.WishBoardEventKindTaken,
	"released": model.WishBoardEventKindReleased, "lapsed": model.WishBoardEventKindLapsed, "gone": model.WishBoardEventKindGone,
}

// wishBoard: the wish board of a volunteer, as wishFeed shows it. The first values are none
// (the client reads wishFeed); after a resync, each wish changed since the last note is sent
// with the kind its current state implies.
func (r *Resolver) wishBoard(ctx context.Context, placeID *string) (<-chan *model.WishBoardEvent, error) {
	scope, err := optionalID("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	var since time.Time
	started := false
	// event is the board's view of wish id after a change of kind ("" after a resync): nil
	// when the viewer does not serve its place, or does not see the change on their board.
	event := func(ctx context.Context, id int64, kind string) (*model.WishBoardEvent, error) {
		w, ok, err := load(ctx).wish.load(id)
		if err != nil || !ok {
			return nil, err
		}
		v, err := viewer(ctx)
		if err != nil {
			return nil, err
		}
		place, err := placeByID(ctx, w.PlaceID)
		if err != nil || !v.Serves(place, db.RoleVolunteer, db.RolePartyMember) || scope != nil && !place.Within(*scope) {
			return nil, err
		}
		if kind == "" {
			switch w.State {
			case db.WishPublished:
				kind = "appeared"
			case db.WishClaimed:
				kind = "taken"
			default:
				kind = "gone"
			}
		}
		k, ok := boardKinds[kind]
		if !ok {
			return nil, nil // a change off the board (a review, a fulfilment …)
		}
		ev := &model.WishBoardEvent{Kind: k, WishID: globalID("Wish", w.ID)}
		if k == model.WishBoardEventKindAppeared || k == model.WishBoardEventKindReleased || k == model.WishBoardEventKindLapsed {
			// On the board as the feed shows it: one's own household's wishes are not.
			wv, err := viewWish(ctx, w)
			if err != nil {
				return nil, err
			}
			if !wv.access.See || v.IsResident(w.BeneficiaryID) || v.Resident != nil && v.Resident.HouseholdID == wv.household.ID {
				return nil, nil
			}
			ev.Wish, err = showWish(ctx, w)
			return ev, err
		}
		ev.Wish, err = visibleWish(ctx, w)
		return ev, err
	}
	return subscribe(ctx, r.Hub, liveSpec[*model.WishBoardEvent]{
		tunes: []db.Tune{{Channel: db.ChannelWishes}},
		allowed: func(ctx context.Context) error {
			v, err := signedIn(ctx)
			if err == nil && !v.HoldsAnywhere(db.RoleVolunteer, db.RolePartyMember) {
				err = &db.Error{Code: db.EFORBIDDEN, Message: "心愿广场是志愿者和党员认领心愿的地方；你目前没有志愿者或党员角色"}
			}
			return err
		},
		handle: func(ctx context.Context, n db.Note) ([]*model.WishBoardEvent, bool, error) {
			if n.Resync {
				if !started { // the client reads wishFeed for the board as it is
					started, since = true, requestFrom(ctx).store.Now()
					return nil, false, nil
				}
				return resyncWishes(ctx, &since, func(id int64) (*model.WishBoardEvent, error) { return event(ctx, id, "") })
			}
			wn, ok := parseWishNote(n)
			if !ok {
				return nil, false, nil
			}
			since = requestFrom(ctx).store.Now()
			ev, err := event(ctx, wn.wish, wn.kind)
			if err != nil || ev == nil {
				return nil, false, err
			}
			return []*model.WishBoardEvent{ev}, false, nil
		},
	})
}

// resyncWishes sends again, as one shows them, the wishes changed since *since (a little
// earlier: the clocks of processes differ), and moves *since on.
func resyncWishes[T comparable](ctx context.Context, since *time.Time, one func(int64) (T, error)) ([]T, bool, error) {
	store := requestFrom(ctx).store
	from := *since
	*since = store.Now()
	ids, err := store.WishesChangedSince(ctx, nil, from.Add(-resyncWindow), resyncLimit)
	if err != nil {
		return nil, false, err
	}
	var out []T
	var none T
	for _, id := range ids {
		v, err := one(id)
		if err != nil {
			return nil, false, err
		}
		if v != none {
			out = append(out, v)
		}
	}
	return out, false, nil
}

// myWishes: the viewer's own wishes (beneficiary or submitter) and claims, as they are now,
// on every change of state.
func (r *Resolver) myWishes(ctx context.Context) (<-chan *model.Wish, error) {
	var since time.Time
	started := false
	mine := func(ctx context.Context, id int64) (*model.Wish, error) {
		w, ok, err := load(ctx).wish.load(id)
		if err != nil || !ok {
			return nil, err
		}
		v, err := viewer(ctx)
		if err != nil {
			return nil, err
		}
		claimer := int64(0)
		if w.ClaimID != nil {
			c, err := mustLoad(load(ctx).claim, *w.ClaimID, "认领")
			if err != nil {
				return nil, err
			}
			claimer = c.ClaimerID
		}
		if !v.IsResident(w.BeneficiaryID) && w.SubmittedBy != v.Account.ID && claimer != v.Account.ID {
			return nil, nil
		}
		return visibleWish(ctx, w)
	}
	return subscribe(ctx, r.Hub, liveSpec[*model.Wish]{
		tunes:   []db.Tune{{Channel: db.ChannelWishes}},
		allowed: func(ctx context.Context) error { _, err := signedIn(ctx); return err },
		handle: func(ctx context.Context, n db.Note) ([]*model.Wish, bool, error) {
			if n.Resync {
				if !started {
					started, since = true, requestFrom(ctx).store.Now()
					return nil, false, nil
				}
				return resyncWishes(ctx, &since, func(id int64) (*model.Wish, error) { return mine(ctx, id) })
			}
			wn, ok := parseWishNote(n)
			if !ok {
				return nil, false, nil
			}
			v, err := viewer(ctx)
			if err != nil {
				return nil, false, err
			}
			since = requestFrom(ctx).store.Now()
			// The payload names the people concerned: nothing is read for others' wishes.
			if !v.IsResident(wn.beneficiary) && wn.submitter != v.Account.ID && wn.claimer != v.Account.ID {
				return nil, false, nil
			}
			w, err := mine(ctx, wn.wish)
			if err != nil || w == nil {
				return nil, false, err
			}
			return []*model.Wish{w}, false, nil
		},
	})
}

// voteTurnout: the vote as the vote query answers it, at the start and after every cast and
// its close; the last is the closed vote, with its result. After the first, a note's vote is
// read once for all the vote's subscribers in the process (liveShared), and each takes in
// memory what its viewer sees (db.SharedVote.For: the check Store.Votes makes), so a cast
// costs no statement per subscriber.
func (r *Resolver) voteTurnout(ctx context.Context, voteID string) (<-chan *db.Vote, error) {
	key, err := idOf("voteId", "Vote", voteID)
	if err != nil {
		return nil, err
	}
	read := func(ctx context.Context) (*db.Vote, error) {
		vt, err := voteByKey(ctx, key)
		if err == nil && vt == nil {
			err = hidden("表决")
		}
		return vt, err
	}
	// The turnout per building depends on no viewer (the resolver merges small buildings
	// for an analyst in memory): when selected, it comes with the shared read.
	buildings := slices.ContainsFunc(graphql.CollectFieldsCtx(ctx, []string{"Vote"}), func(f graphql.CollectedField) bool {
		return f.Name == "turnoutByBuilding"
	})
	shared := func(ctx context.Context, n db.Note) (*db.Vote, error) {
		v, err := signedIn(ctx)
		if err != nil {
			return nil, err
		}
		sv, err := r.shared.vote(ctx, r.Store, key, buildings, n.Seq)
		if db.ErrorCode(err) == db.ENOTFOUND {
			return nil, hidden("表决")
		} else if err != nil {
			return nil, err
		}
		vt := sv.For(v)
		if vt == nil {
			return nil, hidden("表决")
		}
		load(ctx).vote.prime(vt.ID, vt)
		if rows, ok := sv.Buildings(); ok {
			load(ctx).turnoutByBuilding.prime(vt.ID, rows)
		}
		return vt, nil
	}
	return subscribe(ctx, r.Hub, liveSpec[*db.Vote]{
		tunes:   []db.Tune{{Channel: db.ChannelVotes, Key: strconv.FormatInt(key, 10)}},
		allowed: func(ctx context.Context) error { _, err := read(ctx); return err },
		handle: func(ctx context.Context, n db.Note) ([]*db.Vote, bool, error) {
			var vt *db.Vote
			var err error
			if n.Resync { // the start, or notes were missed: read as the vote query does
				vt, err = read(ctx)
			} else {
				vt, err = shared(ctx, n)
			}
			if err != nil {
				return nil, false, err
			}
			return []*db.Vote{vt}, vt.State == db.VoteClosed, nil
		},
	})
}

// meetingAttendance: the meeting as node(id:) answers it, at the start and after every
// check-in and change of state; it ends with the meeting.
func (r *Resolver) meetingAttendance(ctx context.Context, meetingID string) (<-chan *db.Meeting, error) {
	key, err := idOf("meetingId", "Meeting", meetingID)
	if err != nil {
		return nil, err
	}
	read := func(ctx context.Context) (*db.Meeting, error) {
		m, ok, err := load(ctx).meeting.load(key)
		if err != nil {
			return nil, err
		}
		if ok {
			m, err = visibleMeeting(ctx, m)
		}
		if err == nil && (!ok || m == nil) {
			err = hidden("会议")
		}
		return m, err
	}
	return subscribe(ctx, r.Hub, liveSpec[*db.Meeting]{
		tunes:   []db.Tune{{Channel: db.ChannelMeetings, Key: strconv.FormatInt(key, 10)}},
		allowed: func(ctx context.Context) error { _, err := read(ctx); return err },
		handle: func(ctx context.Context, n db.Note) ([]*db.Meeting, bool, error) {
			m, err := read(ctx)
			if err != nil {
				return nil, false, err
			}
			return []*db.Meeting{m}, slices.Contains([]db.MeetingState{db.MeetingClosed, db.MeetingCancelled}, m.State), nil
		},
	})
}
