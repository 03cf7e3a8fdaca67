package graph

import (
	"context"
	"fmt"

	"linli/db"
	"linli/graph/model"
)

// visibleMeeting returns m if the viewer may see it, nil if not.
func visibleMeeting(ctx context.Context, m *db.Meeting) (*db.Meeting, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	community, err := placeByID(ctx, m.CommunityID)
	if err != nil || !v.SeesMeetings(community) {
		return nil, err
	}
	return m, nil
}

// writeMeeting runs a meeting mutation on the meeting with global ID id.
func (r *Resolver) writeMeeting(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.Meeting, error)) (*db.Meeting, error) {
	return mutate(ctx, "meetingId", "Meeting", id, f)
}

// checkIn runs a check-in mutation on the meeting with global ID id.
func (r *Resolver) checkIn(ctx context.Context, id string, f func(*db.Viewer, int64) (*db.Attendance, error)) (*db.Attendance, error) {
	return mutate(ctx, "meetingId", "Meeting", id, f)
}

// meetingList answers the meetings query.
func (r *Resolver) meetingList(ctx context.Context, placeID *string, states []db.MeetingState, first *int, after *string) (*model.MeetingConnection, error) {
	return communityPage(ctx, placeID, states, first, after, r.Store.Meetings,
		func(m *db.Meeting) { load(ctx).meeting.prime(m.ID, m) }, model.NewMeetingConnection)
}

// meetingAgenda returns the meeting's topics, in order.
func meetingAgenda(ctx context.Context, m *db.Meeting) ([]*db.Topic, error) {
	l := load(ctx)
	ids, _, err := l.meetingTopics.load(m.ID)
	if err != nil {
		return nil, err
	}
	out := []*db.Topic{}
	for _, id := range ids {
		t, ok, err := l.topic.load(id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// checkinCode returns the meeting's code for those who may see it, nil for others.
func checkinCode(ctx context.Context, m *db.Meeting) (*string, error) {
	v, err := viewer(ctx)
	if err != nil || m.CheckinCode == nil {
		return nil, err
	}
	community, err := placeByID(ctx, m.CommunityID)
	if err != nil || !v.SeesCheckinCode(m, community) {
		return nil, err
	}
	return m.CheckinCode, nil
}

// meetingCounts returns the meeting's live attendance figures.
func meetingCounts(ctx context.Context, m *db.Meeting) (*db.MeetingCounts, error) {
	c, ok, err := load(ctx).meetingCounts.load(m.ID)
	if err != nil {
		return nil, err
	}
	out := db.MeetingCounts{MeetingID: m.ID}
	if ok {
		out = *c
	}
	out.Kind = m.Kind
	return &out, nil
}

// myPresence says whether the viewer is entitled to and present at m.
func myPresence(ctx context.Context, m *db.Meeting) (db.MeetingPresence, error) {
	p, _, err := load(ctx).myPresence.load(m.ID)
	return p, err
}

// quorumHint explains, in Chinese, how attendance stands against the usual quorum of the
// meeting's kind, as the rule engine counts it. It is a hint for the chair; votes apply
// their own rules.
func quorumHint(c *db.MeetingCounts) string {
	if c.EntitledHeads == 0 {
		return "会议开始时确定应到名单，目前尚无出席统计"
	}
	heads := fmt.Sprintf("应到 %d 人，实到 %d 人", c.EntitledHeads, c.PresentHeads)
	switch c.Kind {
	case db.MeetingOwnersAssembly:
		area := fmt.Sprintf("应到面积 %s 平方米，实到 %s 平方米", m2(c.EntitledAreaDm2), m2(c.PresentAreaDm2))
		q := db.Preset(db.PresetOwnersOrdinary).Quorum
		ok := q.Met(int64(c.PresentHeads), int64(c.EntitledHeads)) && q.Met(c.PresentAreaDm2, c.EntitledAreaDm2)
		return heads + "；" + area + "；" + yesNo(ok, "人数和面积均已达到 2/3（民法典第 278 条）", "人数和面积都须达到 2/3 才能表决（民法典第 278 条）")
	case db.MeetingOpenForum:
		return heads + "；非正式协商，不作有约束力的表决"
	default:
		ok := db.Preset(db.PresetResidentsAssembly).Quorum.Met(int64(c.PresentHeads), int64(c.EntitledHeads))
		return heads + "；" + yesNo(ok, "已过半数", "须过半数应到人员出席")
	}
}

func yesNo(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

// m2 formats an area in 0.01 m² as square metres with two decimals, exactly.
func m2(dm2 int64) string { return fmt.Sprintf("%d.%02d", dm2/100, dm2%100) }
