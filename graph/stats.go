package graph

import (
	"context"
	"slices"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"linli/db"
	"linli/graph/model"
)

// Figures for analysts: the GraphQL inputs become the store's filters, and each group's
// figures become null when the group is suppressed.

// placePeriodFilter decodes the one-place, one-whole-period filter of the figures.
func placePeriodFilter(f *model.PlacePeriodFilter) (db.PlacePeriodFilter, error) {
	if f == nil {
		return db.PlacePeriodFilter{}, nil
	}
	ids, err := placeIDs(f.PlaceIds)
	return db.PlacePeriodFilter{PlaceIDs: ids, At: f.At}, err
}

// placeIDs decodes a list of place IDs from a filter.
func placeIDs(ids []string) ([]int64, error) {
	if ids == nil {
		return nil, nil
	}
	if len(ids) > 100 {
		return nil, db.Invalid("placeIds", "最多列出 100 个地点")
	}
	return idsOf("placeIds", "Place", ids)
}

func enumCond[T ~string](eq *T, in, notIn []T) *db.EnumCond[T] {
	if eq == nil && in == nil && notIn == nil {
		return nil
	}
	return &db.EnumCond[T]{Eq: eq, In: in, NotIn: notIn}
}

// wishStatsFilter converts a filter.
func wishStatsFilter(f *model.WishStatsFilter) (*db.WishStatsFilter, error) {
	if f == nil {
		return nil, nil
	}
	places, err := placeIDs(f.PlaceIds)
	if err != nil {
		return nil, err
	}
	out := &db.WishStatsFilter{PlaceIDs: places, CreatedAt: f.CreatedAt, Rating: f.Rating}
	if c := f.Category; c != nil {
		out.Category = enumCond(c.Eq, c.In, c.NotIn)
	}
	if c := f.State; c != nil {
		out.State = enumCond(c.Eq, c.In, c.NotIn)
	}
	return out, nil
}

// groupKeys say where and when each group of figures is: its place, all loaded in one
// statement, and its period's start and end in China Standard Time, like the periods.
type groupKeys struct {
	places map[int64]*db.Place
	period *db.Period
}

// loadGroupKeys loads the places of groups in one statement.
func loadGroupKeys[G statsGroup](ctx context.Context, store *db.Store, period *db.Period, groups []G) (groupKeys, error) {
	var ids []int64
	for _, g := range groups {
		if id, _ := g.GroupKey(); id != nil {
			ids = append(ids, *id)
		}
	}
	k := groupKeys{period: period}
	if len(ids) == 0 {
		return k, nil
	}
	var err error
	k.places, err = store.PlacesByID(ctx, ids)
	return k, err
}

// statsGroup is a group of figures, named by its place and period (db's GroupKey).
type statsGroup interface {
	GroupKey() (place *int64, periodStart *time.Time)
}

// of is the place and period of a group.
func (k groupKeys) of(g statsGroup) (*db.Place, *time.Time, *time.Time) {
	place, start := g.GroupKey()
	var p *db.Place
	if place != nil {
		p = k.places[*place]
	}
	if start == nil || k.period == nil {
		return p, nil, nil
	}
	s := k.period.Start(*start)
	e := k.period.Next(s)
	return p, &s, &e
}

func durationFigures(d db.DurationFigures) *model.DurationFigures {
	hours := func(s *float64) *float64 {
		if s == nil {
			return nil
		}
		h := *s / 3600
		return &h
	}
	return &model.DurationFigures{Count: d.Count, MedianHours: hours(d.Median), P90Hours: hours(d.P90)}
}

// share is part/whole, or nil when whole is 0.
func share[N int | int64](part, whole N) *float64 {
	if whole == 0 {
		return nil
	}
	s := float64(part) / float64(whole)
	return &s
}

func ptr[T any](v T) *T { return &v }

// selected reports whether the field being resolved selects name: figures cost a pass
// over the rows, so a total nobody asked for is not computed.
func selected(ctx context.Context, name string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}

func (r *queryResolver) wishStats(ctx context.Context, filter *model.WishStatsFilter, groupBy *model.WishStatsGrouping) (*model.WishStats, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	f, err := wishStatsFilter(filter)
	if err != nil {
		return nil, err
	}
	var by db.StatsGrouping
	if groupBy != nil {
		by = db.StatsGrouping{PlaceLevel: groupBy.PlaceLevel, Period: groupBy.Period,
			Category: groupBy.Category != nil && *groupBy.Category, State: groupBy.State != nil && *groupBy.State}
	}
	groups, total, err := r.Store.WishStats(ctx, v, f, by, selected(ctx, "total"))
	if err != nil {
		return nil, err
	}
	keys, err := loadGroupKeys(ctx, r.Store, by.Period, groups)
	if err != nil {
		return nil, err
	}
	out := &model.WishStats{Groups: make([]*model.WishStatsGroup, len(groups)), MinGroupSize: r.Store.Stats.MinGroup}
	for i, g := range groups {
		out.Groups[i] = wishGroup(g, keys)
		if g.Suppressed {
			out.SuppressedGroups++
		}
	}
	if total != nil {
		out.Total = wishGroup(total, keys)
	}
	return out, nil
}

func wishGroup(g *db.WishStatsGroup, keys groupKeys) *model.WishStatsGroup {
	m := &model.WishStatsGroup{Category: g.Category, State: g.State, Suppressed: g.Suppressed}
	m.Place, m.PeriodStart, m.PeriodEnd = keys.of(g)
	if g.Suppressed {
		return m
	}
	m.Residents, m.Wishes = ptr(g.Residents), ptr(g.Wishes)
	for j, s := range db.WishStates() {
		c := &model.WishStateCount{State: s}
		if !g.StateWithheld[j] {
			c.Count = ptr(int(g.States[j]))
		}
		m.ByState = append(m.ByState, c)
	}
	// Each step's figures go with its count; answeredShare is the review step's.
	step := func(i int, d db.DurationFigures) *model.DurationFigures {
		if g.StepWithheld[i] {
			return nil
		}
		return durationFigures(d)
	}
	m.ToReview, m.ToClaim = step(db.StepReview, g.ToReview()), step(db.StepClaim, g.ToClaim())
	m.ToFulfil, m.ToConfirm = step(db.StepFulfil, g.ToFulfil()), step(db.StepConfirm, g.ToConfirm())
	if m.ToReview != nil {
		m.AnsweredShare = share(g.Reviewed, g.Wishes)
	}
	if !g.SatisfactionWithheld {
		sat := &model.SatisfactionFigures{Count: g.Ratings, Distribution: make([]*int, 5)}
		whole := true
		for j, n := range g.RatingCounts {
			if g.RatingWithheld[j] {
				whole = false
			} else {
				sat.Distribution[j] = ptr(int(n))
			}
		}
		// With an entry withheld, the average and the count would solve for it.
		if g.Ratings > 0 && whole {
			sat.Average = ptr(float64(g.RatingSum) / float64(g.Ratings))
		}
		m.Satisfaction = sat
	}
	if !g.StepWithheld[db.StepReleased] {
		m.ClaimsReleased = ptr(g.Released)
	}
	if !g.StepWithheld[db.StepLapsed] {
		m.ClaimsLapsed = ptr(g.Lapsed)
	}
	return m
}

func statsGrouping(g *model.StatsGrouping) db.StatsGrouping {
	if g == nil {
		return db.StatsGrouping{}
	}
	return db.StatsGrouping{PlaceLevel: g.PlaceLevel, Period: g.Period}
}

func (r *queryResolver) volunteerStats(ctx context.Context, filter *model.VolunteerStatsFilter, groupBy *model.StatsGrouping, leaderboard *int) (*model.VolunteerStats, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	var f db.VolunteerStatsFilter
	if filter != nil {
		if f.PlaceIDs, err = placeIDs(filter.PlaceIds); err != nil {
			return nil, err
		}
		f.At = filter.At
		if c := filter.Category; c != nil {
			f.Category = enumCond(c.Eq, c.In, c.NotIn)
		}
	}
	leaders := 0
	if leaderboard != nil {
		leaders = *leaderboard
	}
	by := statsGrouping(groupBy)
	groups, total, err := r.Store.VolunteerStats(ctx, v, f, by, leaders, selected(ctx, "total"))
	if err != nil {
		return nil, err
	}
	all := groups
	if total != nil {
		all = append(slices.Clone(groups), total)
	}
	var accounts []int64
	for _, g := range all {
		for _, e := range g.Leaderboard {
			if e.AccountID != nil {
				accounts = append(accounts, *e.AccountID)
			}
		}
	}
	keys, err := loadGroupKeys(ctx, r.Store, by.Period, all)
	if err != nil {
		return nil, err
	}
	named, err := r.Store.AccountsByID(ctx, accounts)
	if err != nil {
		return nil, err
	}
	group := func(g *db.VolunteerStatsGroup) *model.VolunteerStatsGroup {
		m := &model.VolunteerStatsGroup{Suppressed: g.Suppressed}
		m.Place, m.PeriodStart, m.PeriodEnd = keys.of(g)
		if g.Suppressed {
			return m
		}
		m.ActiveVolunteers, m.Points, m.WishesCredited = ptr(g.Active), ptr(g.Points), ptr(g.Credited)
		m.Hours = ptr(float64(g.Minutes) / 60)
		if leaders > 0 {
			m.Leaderboard = []*model.LeaderboardEntry{}
			for _, e := range g.Leaderboard {
				le := &model.LeaderboardEntry{Rank: e.Rank, Hours: float64(e.Minutes) / 60, Points: e.Points, WishesCredited: e.Credited}
				if e.AccountID != nil {
					le.Volunteer = named[*e.AccountID]
				}
				m.Leaderboard = append(m.Leaderboard, le)
			}
		}
		return m
	}
	out := &model.VolunteerStats{MinGroupSize: r.Store.Stats.MinGroup, Groups: []*model.VolunteerStatsGroup{}}
	for _, g := range groups {
		out.Groups = append(out.Groups, group(g))
		if g.Suppressed {
			out.SuppressedGroups++
		}
	}
	if total != nil {
		out.Total = group(total)
	}
	return out, nil
}

func (r *queryResolver) participationStats(ctx context.Context, filter *model.PlacePeriodFilter, groupBy *model.StatsGrouping) (*model.ParticipationStats, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	f, err := placePeriodFilter(filter)
	if err != nil {
		return nil, err
	}
	by := statsGrouping(groupBy)
	groups, total, err := r.Store.ParticipationStats(ctx, v, f, by, selected(ctx, "total"))
	if err != nil {
		return nil, err
	}
	keys, err := loadGroupKeys(ctx, r.Store, by.Period, groups)
	if err != nil {
		return nil, err
	}
	group := func(g *db.ParticipationStatsGroup) *model.ParticipationStatsGroup {
		m := &model.ParticipationStatsGroup{Topics: topicFigures(g.Topics), Meetings: meetingFigures(g.Meetings),
			Votes: voteFigures(g.Votes), Resolutions: resolutionFigures(g.Resolutions)}
		m.Place, m.PeriodStart, m.PeriodEnd = keys.of(g)
		return m
	}
	out := &model.ParticipationStats{MinGroupSize: r.Store.Stats.MinGroup, Groups: []*model.ParticipationStatsGroup{}}
	for _, g := range groups {
		out.Groups = append(out.Groups, group(g))
	}
	if total != nil {
		out.Total = group(total)
	}
	return out, nil
}

// A part with nothing in it has zero counts; one with too few people is suppressed.

func topicFigures(t *db.TopicFigures) *model.TopicFigures {
	if t == nil {
		t = &db.TopicFigures{}
	}
	if t.Suppressed {
		return &model.TopicFigures{Suppressed: true}
	}
	return &model.TopicFigures{Raised: ptr(t.Raised), Accepted: ptr(t.Accepted), Declined: ptr(t.Declined),
		Withdrawn: ptr(t.Withdrawn), FromWishes: ptr(t.FromWishes), ByStaff: ptr(t.ByStaff), ByResidents: ptr(t.ByResident)}
}

func meetingFigures(m *db.MeetingFigures) *model.MeetingFigures {
	if m == nil {
		m = &db.MeetingFigures{}
	}
	if m.Suppressed {
		return &model.MeetingFigures{Suppressed: true}
	}
	return &model.MeetingFigures{Scheduled: ptr(m.Scheduled), Held: ptr(m.Held), Cancelled: ptr(m.Cancelled),
		Entitled: ptr(m.Entitled), Present: ptr(m.Present), AttendanceRate: share(m.Present, m.Entitled)}
}

func voteFigures(v *db.VoteFigures) *model.VoteFigures {
	if v == nil {
		v = &db.VoteFigures{}
	}
	if v.Suppressed {
		return &model.VoteFigures{Suppressed: true}
	}
	return &model.VoteFigures{Closed: ptr(v.Closed), Motions: ptr(v.Motions), QuorumReached: ptr(v.QuorumReached),
		Passed: ptr(v.Passed), PassRate: share(v.Passed, v.Motions),
		TurnoutByHeads: share(v.VotedHeads, v.EntitledHeads), TurnoutByArea: share(v.VotedArea, v.EntitledArea)}
}

func resolutionFigures(r *db.ResolutionFigures) *model.ResolutionFigures {
	if r == nil {
		r = &db.ResolutionFigures{}
	}
	m := &model.ResolutionFigures{Published: r.Published, InNotice: r.InNotice, BeingCarriedOut: r.BeingCarriedOut,
		ResultPublished: r.ResultPublished, Revoked: r.Revoked, Objections: r.Objections, ObjectionsUpheld: r.ObjectionsUpheld,
		Tasks: r.Tasks, TasksDoneOnTime: r.TasksDoneOnTime, TasksDoneLate: r.TasksDoneLate, TasksOverdue: r.TasksOverdue,
		RatingsSuppressed: r.RatingsSuppressed}
	if !r.RatingsSuppressed {
		m.Ratings = ptr(r.Ratings)
		if r.Ratings > 0 {
			m.AverageRating = ptr(float64(r.RatingSum) / float64(r.Ratings))
		}
	}
	return m
}
