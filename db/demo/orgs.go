package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"linli/db"
)

// The dual-reporting demo (双报到与资源清单): two paired units, two caring merchants and a
// resident group serving 和平社区, each with a contact who signs in; the units' check-ins
// (one accepted, one waiting for 陈静); 刘洋 checked in with 和平社区 from 区住建委机关党支部,
// so the wishes he has done show in the unit's service records; and offers of every kind,
// one of them untouched long enough to be flagged for its owner.

// OrgAccounts are the organisations' contacts, listed with the demo sign-ins in the README.
// Their numbers continue the demo's from 31, leaving room below for other parts.
var OrgAccounts = []Account{
	{"contact", "联系人", "13800000031", Password, "孟建国", "区住建委机关党支部"},
	{"contact", "联系人", "13800000032", Password, "沈慧", "市第一医院党委"},
	{"contact", "联系人", "13800000033", Password, "王德顺", "老王理发店"},
	{"contact", "联系人", "13800000034", Password, "许丽华", "惠民超市"},
	{"contact", "联系人", "13800000035", Password, "高秀兰", "和平邻里互助团"},
}

type demoOrg struct {
	name, place, by, description string
	kind                         db.OrganisationKind
	communities                  []string
	contact                      string
}

var demoOrgs = []demoOrg{
	{"区住建委机关党支部", "幸福街道", demoAdminPhone, "区住房和城乡建设委员会机关党支部，与和平社区结对共建。",
		db.OrganisationPairedUnit, []string{"和平社区"}, "13800000031"},
	{"市第一医院党委", "幸福街道", demoAdminPhone, "市第一医院党委，与和平社区、光明社区结对，定期义诊。",
		db.OrganisationPairedUnit, []string{"和平社区", "光明社区"}, "13800000032"},
	{"老王理发店", "和平社区", demoHepingStaff, "老街 12 号楼底商，爱心商户联盟成员。",
		db.OrganisationMerchant, []string{"和平社区"}, "13800000033"},
	{"惠民超市", "和平社区", demoHepingStaff, "社区门口的超市，爱心商户联盟成员。",
		db.OrganisationMerchant, []string{"和平社区"}, "13800000034"},
	{"和平邻里互助团", "和平社区", demoHepingStaff, "社区达人和热心邻居组成的互助团队。",
		db.OrganisationResidentGroup, []string{"和平社区"}, "13800000035"},
}

// demoAdminPhone is 郑伟, the subdistrict's admin, who registered the paired units.
const demoAdminPhone = "13800000010"

type demoResource struct {
	org, owner, creator         string // org name or owner phone; creator phone
	kind                        db.ResourceKind
	category                    db.ServiceCategory
	title, description, when    string
	opening                     string
	money, hours, capacity, age int // age: days since last updated
	communities                 string
}

var demoResources = []demoResource{
	{"区住建委机关党支部", "", "13800000031", db.ResourceVenue, "culture", "党员活动室",
		"机关一楼党员活动室，可容纳 40 人，有投影，可借给社区开会、办讲座。", "", "工作日 9:00-17:00，周六上午", 0, 0, 40, 10, "和平社区"},
	{"市第一医院党委", "", "13800000032", db.ResourceSkill, "health", "社区义诊",
		"内科、眼科医生到社区义诊，量血压、测血糖、解读体检报告。", "每月第二个周六上午", "", 0, 0, 60, 20, "和平社区,光明社区"},
	{"老王理发店", "", "13800000033", db.ResourceSkill, "elderly_care", "老人义剪",
		"为 70 岁以上老人免费理发，行动不便的可以上门。", "每周二上午", "", 0, 0, 10, 100, "和平社区"},
	{"惠民超市", "", "13800000034", db.ResourceGoods, "goods", "米面油慰问品",
		"节日前为困难家庭准备米、面、油各一份。", "春节、中秋前", "", 0, 0, 30, 15, "和平社区"},
	{"惠民超市", "", "13800000034", db.ResourceMoney, "elderly_care", "爱心助老基金",
		"每年拿出一笔钱，用于社区老人助餐、助洁等项目。", "全年", "", 5000, 0, 0, 15, "和平社区"},
	{"和平邻里互助团", "", "13800000035", db.ResourceHours, "companionship", "邻里互助时间",
		"团员每月合计可提供的陪伴、代购、照看时间。", "周末和工作日晚上", "", 0, 40, 0, 5, "和平社区"},
	{"", demoPartyPhone, demoPartyPhone, db.ResourceSkill, "repair", "水电小修",
		"换水龙头、修插座、疏通下水道等小修。", "周末", "", 0, 0, 0, 30, "和平社区"},
}

// insertOrgs writes the dual-reporting demo in one statement. It comes with the wish board,
// whose service by 刘洋 it reports to his unit: the tests that start from an empty board
// start without organisations too.
func (w *demoWorld) insertOrgs(ctx context.Context, tx *db.Tx, passwordHash string) error {
	if len(w.wishes) == 0 {
		return nil
	}
	var aPhones, aNames []string
	for _, a := range OrgAccounts {
		aPhones, aNames = append(aPhones, a.Phone), append(aNames, a.Name)
	}
	var oNames, oKinds, oPlaces, oBy, oDesc []string
	var cOrg, cCommunity []string
	var mOrg, mPhone []string
	var mContact []bool
	for _, o := range demoOrgs {
		oNames, oKinds, oPlaces = append(oNames, o.name), append(oKinds, string(o.kind)), append(oPlaces, o.place)
		oBy, oDesc = append(oBy, o.by), append(oDesc, o.description)
		for _, c := range o.communities {
			cOrg, cCommunity = append(cOrg, o.name), append(cCommunity, c)
		}
		mOrg, mPhone, mContact = append(mOrg, o.name), append(mPhone, o.contact), append(mContact, true)
	}
	// 刘洋 became a member of his unit when 陈静 accepted his check-in.
	mOrg, mPhone, mContact = append(mOrg, "区住建委机关党支部"), append(mPhone, demoPartyPhone), append(mContact, false)
	var r struct {
		org, owner, creator, kind, category, title, description, when, opening, communities []string
		money, hours, capacity, age                                                         []int64
	}
	for _, x := range demoResources {
		r.org, r.owner, r.creator = append(r.org, x.org), append(r.owner, x.owner), append(r.creator, x.creator)
		r.kind, r.category = append(r.kind, string(x.kind)), append(r.category, string(x.category))
		r.title, r.description = append(r.title, x.title), append(r.description, x.description)
		r.when, r.opening = append(r.when, x.when), append(r.opening, x.opening)
		r.money, r.hours = append(r.money, int64(x.money)), append(r.hours, int64(x.hours))
		r.capacity, r.age = append(r.capacity, int64(x.capacity)), append(r.age, int64(x.age))
		r.communities = append(r.communities, x.communities)
	}
	if strings.Contains(strings.Join(r.communities, ""), " ") {
		return fmt.Errorf("demo resources: community lists are comma-separated without spaces")
	}
	_, err := tx.ExecContext(ctx, `WITH
	acc AS (INSERT INTO accounts (phone, name, password_hash, created_at)
		SELECT p, n, $1, $2 FROM unnest($3::text[], $4::text[]) WITH ORDINALITY t (p, n, i) ORDER BY i
		RETURNING id, phone),
	people AS (SELECT id, phone FROM acc UNION ALL SELECT id, phone FROM accounts),
	pl AS (SELECT id, name FROM places WHERE level IN ('subdistrict', 'community')),
	orgs AS (INSERT INTO organisations (kind, name, description, registered_in, registered_by, created_at, updated_at)
		SELECT o.kind, o.name, o.description, pl.id, pe.id, $2 - interval '120 days', $2 - interval '120 days'
		FROM unnest($5::text[], $6::organisation_kind[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY o (name, kind, place, by_phone, description, i)
		JOIN pl ON pl.name = o.place JOIN people pe ON pe.phone = o.by_phone ORDER BY o.i
		RETURNING id, name, registered_by, created_at),
	oc AS (INSERT INTO organisation_communities (organisation_id, community_id, added_by, added_at)
		SELECT orgs.id, pl.id, orgs.registered_by, orgs.created_at
		FROM unnest($10::text[], $11::text[]) WITH ORDINALITY c (org, community, i)
		JOIN orgs ON orgs.name = c.org JOIN pl ON pl.name = c.community ORDER BY c.i),
	om AS (INSERT INTO organisation_members (organisation_id, account_id, contact, added_by, added_at)
		SELECT orgs.id, pe.id, m.contact, orgs.registered_by, orgs.created_at
		FROM unnest($12::text[], $13::text[], $14::bool[]) WITH ORDINALITY m (org, phone, contact, i)
		JOIN orgs ON orgs.name = m.org JOIN people pe ON pe.phone = m.phone ORDER BY m.i),
	-- 区住建委 checked in with 和平社区 and was accepted; 市第一医院 waits for 陈静.
	oci AS (INSERT INTO organisation_check_ins (organisation_id, community_id, submitted_by, submitted_at, note, state, decided_by, decided_at)
		SELECT orgs.id, pl.id, sub.id, $2 - make_interval(days => c.days), c.note, c.state, dec.id,
			CASE WHEN c.state = 'accepted' THEN $2 - make_interval(days => c.days - 1) END
		FROM (VALUES (1, '区住建委机关党支部', '和平社区', '13800000031', 90, '机关党支部 12 名党员，2026 年度报到。', 'accepted'::check_in_state, $15),
			(2, '市第一医院党委', '和平社区', '13800000032', 2, '医院党委向结对社区报到，可提供义诊和健康讲座。', 'pending', NULL))
			AS c (i, org, community, sub_phone, days, note, state, decider)
		JOIN orgs ON orgs.name = c.org JOIN pl ON pl.name = c.community JOIN people sub ON sub.phone = c.sub_phone
		LEFT JOIN people dec ON dec.phone = c.decider ORDER BY c.i),
	mci AS (INSERT INTO member_check_ins (account_id, community_id, organisation_id, skills, availability, submitted_at, state, decided_by, decided_at)
		SELECT pe.id, pl.id, orgs.id, '水电维修、电脑维护', '周末和工作日晚上', $2 - interval '60 days', 'accepted', dec.id, $2 - interval '59 days'
		FROM people pe, pl, orgs, people dec
		WHERE pe.phone = $16 AND pl.name = '和平社区' AND orgs.name = '区住建委机关党支部' AND dec.phone = $15),
	res AS (INSERT INTO resources (organisation_id, account_id, kind, category, title, description, availability, opening_hours,
			money_limit_yuan, hours_per_month, capacity, created_by, created_at, updated_at)
		SELECT orgs.id, pe.id, r.kind, r.category, r.title, r.description, nullif(r.avail, ''), nullif(r.opening, ''),
			nullif(r.money, 0), nullif(r.hours, 0), nullif(r.capacity, 0), cr.id,
			$2 - make_interval(days => r.age + 10), $2 - make_interval(days => r.age)
		FROM unnest($17::text[], $18::text[], $19::text[], $20::resource_kind[], $21::service_category[], $22::text[], $23::text[],
			$24::text[], $25::text[], $26::int[], $27::int[], $28::int[], $29::int[])
			WITH ORDINALITY r (org, owner, creator, kind, category, title, description, avail, opening, money, hours, capacity, age, i)
		LEFT JOIN orgs ON orgs.name = r.org LEFT JOIN people pe ON pe.phone = r.owner JOIN people cr ON cr.phone = r.creator
		ORDER BY r.i
		RETURNING id, title)
	INSERT INTO resource_communities (resource_id, community_id)
	SELECT res.id, pl.id FROM unnest($22::text[], $30::text[]) t (title, communities)
	JOIN res ON res.title = t.title CROSS JOIN LATERAL unnest(string_to_array(t.communities, ',')) cn (name)
	JOIN pl ON pl.name = cn.name ORDER BY res.id, pl.id`,
		passwordHash, tx.Now(), pq.Array(aPhones), pq.Array(aNames),
		pq.Array(oNames), pq.Array(oKinds), pq.Array(oPlaces), pq.Array(oBy), pq.Array(oDesc),
		pq.Array(cOrg), pq.Array(cCommunity), pq.Array(mOrg), pq.Array(mPhone), pq.Array(mContact),
		demoHepingStaff, demoPartyPhone,
		pq.Array(r.org), pq.Array(r.owner), pq.Array(r.creator), pq.Array(r.kind), pq.Array(r.category),
		pq.Array(r.title), pq.Array(r.description), pq.Array(r.when), pq.Array(r.opening),
		pq.Array(r.money), pq.Array(r.hours), pq.Array(r.capacity), pq.Array(r.age), pq.Array(r.communities))
	if err != nil {
		return fmt.Errorf("organisations: %w", err)
	}
	return nil
}
