package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"linli/db"
)

// A grid worker's week in 和平花园小区 / 第一网格 (issue 17), loaded with the wish board (one
// visit turned into one of its wishes): 王丽 has visited every vulnerable household of her
// grid over the past six days, a building a day, but one: the elderly person living alone
// whom the party member 刘洋 looks after was last visited (by him) nine days ago, so it heads
// her queue (visitsDue) two days overdue. 刘洋, the council member 周国华 and the volunteer
// 李志强 look after a few households (包联), arranged by the staff member 陈静 a month ago.
// Her visit to the elderly woman whose health-insurance check she then entered as a wish
// (代办) is linked to that wish. One statement.
const (
	demoVisitWish      = "帮忙在手机上办理医保认证"
	demoCarerCouncil   = "13800000007"
	demoCarerVolunteer = "13800000002"
	demoStaffPhone     = "13800000006"
)

func (w *demoWorld) insertVisits(ctx context.Context, tx *db.Tx, accountIDs map[string]int64) error {
	i := slices.IndexFunc(w.wishes, func(dw *demoWish) bool { return dw.spec.title == demoVisitWish })
	if i < 0 {
		return nil // no wish board, no grid worker's week
	}
	wish := w.wishes[i]
	grid, err := w.find("和平花园小区 / 第一网格")
	if err != nil {
		return err
	}
	now := tx.Now()

	// The grid's vulnerable households, by building, and the overdue one: the first
	// elderly person living alone other than the wish's.
	type home struct {
		id, building int64
		alone        bool
	}
	var homes []home
	var overdue int64
	for _, h := range w.byLevel[db.LevelHousehold] {
		if !h.within(grid) {
			continue
		}
		vulnerable, alone := false, false
		for _, p := range h.people {
			for _, t := range p.tags {
				vulnerable = vulnerable || slices.Contains(db.VulnerableTags, t)
				alone = alone || t == db.TagElderlyAlone
			}
		}
		if !vulnerable {
			continue
		}
		homes = append(homes, home{h.id, h.parent.id, alone})
		if alone && overdue == 0 && h != wish.household {
			overdue = h.id
		}
	}
	if overdue == 0 {
		return fmt.Errorf("visits: no second elderly person living alone in %s", grid.name)
	}

	// Who looks after whom: 刘洋 the wish's household and the overdue one; 周国华 and 李志强
	// the next two.
	careHomes := []int64{wish.household.id, overdue}
	carers := []int64{accountIDs[demoPartyPhone], accountIDs[demoPartyPhone]}
	roles := []string{string(db.RolePartyMember), string(db.RolePartyMember)}
	more := []struct {
		phone string
		role  db.Role
	}{{demoCarerCouncil, db.RoleCouncilMember}, {demoCarerVolunteer, db.RoleVolunteer}}
	for _, h := range homes {
		if len(more) > 0 && !slices.Contains(careHomes, h.id) {
			careHomes, carers, roles = append(careHomes, h.id), append(carers, accountIDs[more[0].phone]), append(roles, string(more[0].role))
			more = more[1:]
		}
	}
	// The visits, in order: a building a day over the past six days (10:00 China time),
	// 刘洋's nine days ago, and the one that became the wish, two hours before it.
	day := func(ago int) time.Time {
		d := now.In(db.China).AddDate(0, 0, -ago)
		return time.Date(d.Year(), d.Month(), d.Day(), 10, 0, 0, 0, db.China)
	}
	var (
		at                      []time.Time
		by                      []int64
		findings, needs, follow []string
		vhVisit, vhHousehold    []int64 // by position in the list
	)
	add := func(t time.Time, who string, found, need, followUp string, households ...int64) {
		at, by = append(at, t), append(by, accountIDs[who])
		findings, needs, follow = append(findings, found), append(needs, need), append(follow, followUp)
		for _, h := range households {
			vhVisit, vhHousehold = append(vhVisit, int64(len(at)-1)), append(vhHousehold, h)
		}
	}
	var round []int64
	building := int64(-1)
	flush := func() {
		if len(round) > 0 {
			add(day(6-len(at)%6), demoGridPhone, "入户看望，家中情况稳定，身体状况良好，没有新的困难。", "", "", round...)
		}
		round = nil
	}
	for _, h := range homes {
		if h.id == overdue || h.id == wish.household.id {
			continue
		}
		if h.building != building {
			flush()
			building = h.building
		}
		round = append(round, h.id)
	}
	flush()
	add(day(9), demoPartyPhone, "陪老人聊了一会儿，血压药还够吃半个月，提醒按时服药。", "", "", overdue)
	add(wish.created.Add(-2*time.Hour), demoGridPhone, "老人独居，不会用智能手机，今年的医保待遇资格认证还没有做，以前帮忙的邻居搬走了。",
		string(wish.spec.category), "代办心愿：请志愿者上门帮老人用手机完成医保待遇资格认证。", wish.household.id)

	// One statement: the assignments, the visits (their ids, in insertion order, number
	// them as the lists above do), the households visited, whom the wish's visit met and
	// the wish it became.
	if _, err := tx.ExecContext(ctx, `WITH
		a AS (INSERT INTO care_assignments (household_id, account_id, role, since, assigned_by, assigned_at)
			SELECT u.h, u.a, u.r::role, ($9::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, $10, $9
			FROM unnest($11::bigint[], $12::bigint[], $13::text[]) WITH ORDINALITY u(h, a, r, ord) ORDER BY u.ord),
		x AS (INSERT INTO visits (grid_id, community_id, visited_at, recorded_by, recorded_at, findings, follow_up_needed,
				follow_up, need_category)
			SELECT g.id, g.path[2], u.at, u.by, least(u.at + interval '2 hours', $6), u.f, u.fu <> '', NULLIF(u.fu, ''),
				NULLIF(u.n, '')::wish_category
			FROM unnest($1::timestamptz[], $2::bigint[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY u(at, by, f, n, fu, ord)
			CROSS JOIN places g WHERE g.id = $7 ORDER BY u.ord RETURNING id),
		n AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS pos FROM x),
		h AS (INSERT INTO visit_households (visit_id, household_id)
			SELECT n.id, u.h FROM unnest($14::bigint[], $15::bigint[]) u(pos, h) JOIN n ON n.pos = u.pos),
		r AS (INSERT INTO visit_residents (visit_id, resident_id)
			SELECT (SELECT max(id) FROM x), beneficiary_id FROM wishes WHERE id = $8)
		INSERT INTO visit_outcomes (visit_id, wish_id) SELECT max(id), $8 FROM x`,
		pq.Array(at), pq.Array(by), pq.Array(findings), pq.Array(needs), pq.Array(follow), now, grid.id, wish.id,
		now.AddDate(0, 0, -30), accountIDs[demoStaffPhone], pq.Array(careHomes), pq.Array(carers), pq.Array(roles),
		pq.Array(vhVisit), pq.Array(vhHousehold)); err != nil {
		return fmt.Errorf("visits: %w", err)
	}
	return nil
}
