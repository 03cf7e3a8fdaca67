package demo

import (
	"context"
	"fmt"

	"linli/db"
)

// The needs and projects demo (需求清单、项目清单): the grid worker's visits found that the
// old people living alone in 和平花园小区 can hardly get a haircut or a hot meal; 陈静 put it
// on the needs list, proposed it to 老王理发店 (declined: not enough hands) and to
// 区住建委机关党支部, which took it on as a running project with 孟建国 and 刘洋 on it, one
// milestone done and one open, and a progress report by 刘洋 in the unit's service records.
// The wishes and topics of the demo stay as they are: a need from one of them would close it,
// and the wish board's story is told without that.

// DemoNeedTitle and DemoProjectTitle name the demo's need and its project.
const (
	DemoNeedTitle    = "和平花园小区独居老人理发、吃饭难"
	DemoProjectTitle = DemoNeedTitle
)

// insertProjects writes the needs and projects demo in one statement, after the
// organisations and the visits it comes from; without the wish board there are neither.
func (w *demoWorld) insertProjects(ctx context.Context, tx *db.Tx) error {
	if len(w.wishes) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `WITH
	ppl AS (SELECT id, phone FROM accounts WHERE phone IN ($2, $3, $4, $5, $6)),
	staff AS (SELECT id FROM ppl WHERE phone = $2),
	place AS (SELECT id, path[2] AS community FROM places WHERE name = '和平花园小区' AND level = 'compound'),
	visit AS (SELECT v.id FROM visits v JOIN accounts a ON a.id = v.recorded_by WHERE a.phone = $7 ORDER BY v.id LIMIT 1),
	nd AS (INSERT INTO needs (source, visit_id, place_id, community_id, category, title, description, people_affected,
			budget_fen, urgency, state, matched_at, created_by, created_at, updated_at)
		SELECT 'visit', (SELECT id FROM visit), place.id, place.community, 'elderly_care', $8,
			'入户走访发现，小区里 20 多位独居老人行动不便，理发要等子女回来，午饭常常凑合。希望有单位或商户定期上门理发、提供助餐。',
			24, 300000, 'high', 'project', $1::timestamptz - interval '16 days', staff.id, $1::timestamptz - interval '20 days', $1::timestamptz - interval '16 days'
		FROM place, staff RETURNING id, place_id, community_id, title),
	orgs AS (SELECT id, name FROM organisations WHERE name IN ('老王理发店', '区住建委机关党支部')),
	pr AS (INSERT INTO need_proposals (need_id, organisation_id, resource_id, goal, due_at, budget_fen, proposed_by, proposed_at,
			state, answered_by, answered_at, decline_reason)
		SELECT nd.id, orgs.id, (SELECT id FROM resources WHERE title = p.resource AND organisation_id = orgs.id), p.goal,
			$1::timestamptz + interval '30 days', p.budget, staff.id, $1::timestamptz - interval '18 days', p.state::proposal_state, ans.id,
			$1::timestamptz - make_interval(days => p.answered), nullif(p.reason, '')
		FROM (VALUES (1, '老王理发店', '老人义剪', '每周二上门为独居老人理发', NULL::bigint, 'declined', $4, 17, '店里只有两个人，周二上午顾不过来，只能每月上门一次。'),
				(2, '区住建委机关党支部', NULL, '每周上门理发一次，联系助餐点每天送餐', 300000, 'accepted', $3, 16, ''))
			AS p (i, org, resource, goal, budget, state, answerer, answered, reason)
		JOIN orgs ON orgs.name = p.org JOIN ppl ans ON ans.phone = p.answerer CROSS JOIN nd CROSS JOIN staff
		ORDER BY p.i RETURNING id, organisation_id, state, goal, budget_fen, due_at, answered_at),
	ev AS (INSERT INTO need_events (need_id, at, action, actor_id, from_state, to_state, reason)
		SELECT nd.id, $1::timestamptz - make_interval(days => e.days), e.action::need_action, ppl.id, e.from_state::need_state, e.to_state::need_state,
			nullif(e.reason, '')
		FROM (VALUES (1, 20, 'create', $2, NULL, 'open', ''), (2, 18, 'propose', $2, 'open', 'matching', ''),
				(3, 18, 'propose', $2, 'matching', 'matching', ''),
				(4, 17, 'decline', $4, 'matching', 'matching', '店里只有两个人，周二上午顾不过来，只能每月上门一次。'),
				(5, 16, 'accept', $3, 'matching', 'project', ''))
			AS e (i, days, action, phone, from_state, to_state, reason)
		JOIN ppl ON ppl.phone = e.phone CROSS JOIN nd ORDER BY e.i),
	pj AS (INSERT INTO projects (need_id, place_id, community_id, title, goal, budget_fen, starts_at, due_at, updated_at)
		SELECT nd.id, nd.place_id, nd.community_id, nd.title, pr.goal, pr.budget_fen, pr.answered_at, pr.due_at, $1::timestamptz - interval '3 days'
		FROM nd, pr WHERE pr.state = 'accepted' RETURNING id, starts_at),
	po AS (INSERT INTO project_organisations (project_id, organisation_id, proposal_id, joined_at)
		SELECT pj.id, pr.organisation_id, pr.id, pj.starts_at FROM pj, pr WHERE pr.state = 'accepted'),
	ms AS (INSERT INTO project_milestones (project_id, title, due_at, done_at, done_by, done_note, created_by, created_at)
		SELECT pj.id, m.title, $1::timestamptz + make_interval(days => m.due), $1::timestamptz - make_interval(days => m.done), ppl.id, nullif(m.note, ''),
			(SELECT id FROM ppl WHERE phone = $3), pj.starts_at
		FROM (VALUES (1, '联系理发师和助餐点', -6, 5, $3, '已和社区食堂、两位理发师谈好，每周二上门。'),
				(2, '第一个月服务满 20 位老人', 14, NULL, NULL, '')) AS m (i, title, due, done, phone, note)
		LEFT JOIN ppl ON ppl.phone = m.phone CROSS JOIN pj ORDER BY m.i),
	pp AS (INSERT INTO project_people (project_id, account_id, organisation_id, added_by, added_at)
		SELECT pj.id, ppl.id, pr.organisation_id, (SELECT id FROM ppl WHERE phone = $3), pj.starts_at
		FROM pj, pr, ppl WHERE pr.state = 'accepted' AND ppl.phone IN ($3, $5))
	INSERT INTO project_reports (project_id, author_id, body, minutes, created_at)
	SELECT pj.id, ppl.id, '第一次上门：给 9 位老人理了发，3 位老人开始每天送餐。', 180, $1::timestamptz - interval '3 days'
	FROM pj, ppl WHERE ppl.phone = $5`,
		tx.Now(), demoHepingStaff, phoneOrgUnitContact, phoneOrgBarberContact, demoPartyPhone, demoAdminPhone, demoGridPhone,
		DemoNeedTitle)
	if err != nil {
		return fmt.Errorf("needs and projects: %w", err)
	}
	return nil
}

// The contacts of the organisations the demo project involves (OrgAccounts).
const (
	phoneOrgUnitContact   = "13800000031"
	phoneOrgBarberContact = "13800000033"
)
