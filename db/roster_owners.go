package db

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Ownership as the law counts it (最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的
// 解释, arts. 8–9). household_owners is the only record of who owns which exclusive part (专有
// 部分, a household's flat), over time: since <= D < until on day D. A part's owners are one or
// more residents of the community (co-owners), or the developer (resident_id NULL) for a part
// it has not sold. The owners' heads are counted by part, except that parts linked through a
// common owner form one head (one buyer of several parts is one person), and all the
// developer's parts together are one head.

// rolesKeepingOwners record who owns which part: staff of the community, and the grid worker
// for the households of their grid.
var rolesKeepingOwners = []Role{RoleStaff, RoleGridWorker}

// HouseholdOwner is one ownership of a part: a co-owner, or the developer (ResidentID nil).
type HouseholdOwner struct {
	ID          int64      `db:"id"`
	HouseholdID int64      `db:"household_id"`
	ResidentID  *int64     `db:"resident_id"`
	NamedVoter  bool       `db:"named_voter"`
	Since       time.Time  `db:"since"`
	Until       *time.Time `db:"until"`
}

// OwnerHead is one head of the owners' count: one or more exclusive parts, and the people
// who may cast its one ballot.
type OwnerHead struct {
	// Key is the lowest household id among its parts; it names the head on a roll.
	Key int64
	// Developer: the developer's unsold or undelivered parts, all together.
	Developer bool
	// Parts are the head's households, ascending.
	Parts []int64
	// Owners are the residents owning any of its parts, ascending; none for the developer.
	Owners []int64
	// Voters may cast the head's ballot: its verified, living owners, or only the named
	// voters if any part named one. Nobody for the developer.
	Voters  []int64
	AreaDm2 int64
}

// OwnersCount is a compound's owners counted as the law counts them, on one day.
type OwnersCount struct {
	Day     time.Time
	Heads   []*OwnerHead
	AreaDm2 int64
	// PartAreaDm2 is each counted part's registered floor area.
	PartAreaDm2 map[int64]int64
	// Unrecorded are the parts with no owner recorded that day: not counted (staff record the
	// developer for unsold parts).
	Unrecorded []int64
}

type ownershipRow struct {
	Household int64  `db:"household_id"`
	Area      int64  `db:"floor_area_dm2"`
	Resident  *int64 `db:"resident_id"`
	Named     bool   `db:"named_voter"`
	CanVote   bool   `db:"can_vote"`
	Recorded  bool   `db:"recorded"`
}

// chinaDay is the calendar day of t in China, as a date at UTC midnight.
func chinaDay(t time.Time) time.Time {
	d := t.In(china)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
}

// ownersCount counts the owners of compound on day: the parts (households under it not
// retired by that day), their owners that day, joined into heads. A household's row may be
// younger than the flat: whether it was anyone's that day is what household_owners says.
func (tx *Tx) ownersCount(compound int64, day time.Time) (*OwnersCount, error) {
	var rows []ownershipRow
	if err := tx.selectRows(&rows, `SELECT h.id AS household_id, h.floor_area_dm2, o.resident_id,
			coalesce(o.named_voter, false) AS named_voter, o.id IS NOT NULL AS recorded,
			coalesce(r.verified_at IS NOT NULL AND NOT (r.left_reason IS NOT DISTINCT FROM 'died' AND r.left_on <= $2), false) AS can_vote
		FROM places h
		LEFT JOIN household_owners o ON o.household_id = h.id AND o.since <= $2 AND (o.until IS NULL OR o.until > $2)
		LEFT JOIN residents r ON r.id = o.resident_id
		WHERE h.level = 'household' AND h.path @> ARRAY[$1::bigint]
			AND (h.retired_at IS NULL OR (h.retired_at AT TIME ZONE 'Asia/Shanghai')::date > $2)
		ORDER BY h.id, o.resident_id`, compound, day); err != nil {
		return nil, err
	}
	return countOwners(day, rows), nil
}

// countOwners joins parts into heads: union-find over the graph of parts and owners, the
// developer one node of it.
func countOwners(day time.Time, rows []ownershipRow) *OwnersCount {
	parent := map[int64]int64{} // node → parent; parts are their ids, people and the developer negative
	var find func(int64) int64
	find = func(x int64) int64 {
		p, ok := parent[x]
		if !ok || p == x {
			parent[x] = x
			return x
		}
		r := find(p)
		parent[x] = r
		return r
	}
	union := func(a, b int64) {
		ra, rb := find(a), find(b)
		if ra != rb {
			parent[ra] = rb
		}
	}
	const developer = int64(-1) // residents are -(id+1)
	area := map[int64]int64{}
	out := &OwnersCount{Day: day, PartAreaDm2: area}
	var parts []int64
	for _, r := range rows {
		if _, seen := area[r.Household]; !seen {
			area[r.Household] = r.Area
			if r.Recorded {
				parts = append(parts, r.Household)
			} else {
				out.Unrecorded = append(out.Unrecorded, r.Household)
			}
		}
		if !r.Recorded {
			continue
		}
		if r.Resident == nil {
			union(r.Household, developer)
		} else {
			union(r.Household, -(*r.Resident + 1))
		}
	}
	byRoot := map[int64]*OwnerHead{}
	for _, p := range parts {
		root := find(p)
		h := byRoot[root]
		if h == nil {
			h = &OwnerHead{Key: p}
			byRoot[root] = h
			out.Heads = append(out.Heads, h)
		}
		h.Parts = append(h.Parts, p) // parts come ascending, so Key is the lowest
		h.AreaDm2 += area[p]
		out.AreaDm2 += area[p]
	}
	named := map[*OwnerHead][]int64{}
	for _, r := range rows {
		if !r.Recorded {
			continue
		}
		h := byRoot[find(r.Household)]
		if r.Resident == nil {
			h.Developer = true
			continue
		}
		if !slices.Contains(h.Owners, *r.Resident) {
			h.Owners = append(h.Owners, *r.Resident)
		}
		if r.Named {
			named[h] = append(named[h], *r.Resident)
		}
		if r.CanVote && !slices.Contains(h.Voters, *r.Resident) {
			h.Voters = append(h.Voters, *r.Resident)
		}
	}
	for _, h := range out.Heads {
		if n := named[h]; len(n) > 0 {
			h.Voters = slices.DeleteFunc(h.Voters, func(id int64) bool { return !slices.Contains(n, id) })
		}
		slices.Sort(h.Owners)
		slices.Sort(h.Voters)
	}
	return out
}

// OwnersRollRow is one row of an owners' roll: a part with its area, and one of its head's
// voters (Resident 0: nobody on this row); a voter beyond the head's number of parts gets a
// row of its own, on the head's first part, with area 0. Each voter is on one row only, so
// a roll keeps one row per voter; a head's area is the sum of its rows.
type OwnersRollRow struct {
	Head, Resident, Household, AreaDm2 int64
}

// Roll returns the rows of the owners' roll of c.
func (c *OwnersCount) Roll() []OwnersRollRow {
	var rows []OwnersRollRow
	for _, h := range c.Heads {
		for i := 0; i < max(len(h.Parts), len(h.Voters)); i++ {
			r := OwnersRollRow{Head: h.Key, Household: h.Parts[0]}
			if i < len(h.Parts) {
				r.Household, r.AreaDm2 = h.Parts[i], c.PartAreaDm2[h.Parts[i]]
			}
			if i < len(h.Voters) {
				r.Resident = h.Voters[i]
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// OwnersRoll returns the owners' roll of compound on day, as a meeting or vote starting
// that day draws it: for the tools that write rolls in bulk (db/demo, db/district).
func (tx *Tx) OwnersRoll(compound int64, day time.Time) ([]OwnersRollRow, error) {
	c, err := tx.ownersCount(compound, day)
	if err != nil {
		return nil, err
	}
	return c.Roll(), nil
}

// ownersRoll is the roll of a compound's owners today, as the arrays ownersRollSelect reads.
func (tx *Tx) ownersRoll(compound int64) (heads, residents, households, areas pq.Int64Array, err error) {
	rows, err := tx.OwnersRoll(compound, chinaDay(tx.now))
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, r := range rows {
		heads, residents = append(heads, r.Head), append(residents, r.Resident)
		households, areas = append(households, r.Household), append(areas, r.AreaDm2)
	}
	return heads, residents, households, areas, nil
}

// ownersRollSelect reads the arrays ownersRoll returns ($2…$5) as roll rows.
const ownersRollSelect = `SELECT r.head, nullif(r.resident_id, 0) AS resident_id, r.household_id, r.area_dm2
	FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[]) AS r(head, resident_id, household_id, area_dm2)`

// OwnersCountOf counts the owners of a compound on day (nil: today), for staff of its
// community and its grid workers. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_INPUT.
func (s *Store) OwnersCountOf(ctx context.Context, v *Viewer, compound int64, day *time.Time) (*OwnersCount, error) {
	if v == nil {
		return nil, needSignIn
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p, err := tx.place(compound)
	if err != nil {
		return nil, withField(err, "compoundId")
	}
	if p.Level != LevelCompound {
		return nil, Invalid("compoundId", "业主按小区（建筑区划）计数，请选择小区")
	}
	if !v.Holds(p, rolesSeeingResidents...) {
		return nil, forbidden("只有%s的社区工作者、网格员、楼栋长或管理员可以查看业主计数", p.Name)
	}
	d := chinaDay(tx.now)
	if day != nil {
		d = *day
	}
	return tx.ownersCount(p.ID, d)
}

// HouseholdOwnersOn returns the owners of each household on day (nil: today), by household.
func (s *Store) HouseholdOwnersOn(ctx context.Context, households []int64, day *time.Time) (map[int64][]*HouseholdOwner, error) {
	d := chinaDay(s.Now())
	if day != nil {
		d = *day
	}
	var rows []*HouseholdOwner
	if err := s.selectRows(ctx, &rows, `SELECT id, household_id, resident_id, named_voter, since, until FROM household_owners
		WHERE household_id = ANY($1) AND since <= $2 AND (until IS NULL OR until > $2) ORDER BY household_id, resident_id NULLS FIRST`,
		pq.Array(households), d); err != nil {
		return nil, err
	}
	m := map[int64][]*HouseholdOwner{}
	for _, r := range rows {
		m[r.HouseholdID] = append(m[r.HouseholdID], r)
	}
	return m, nil
}

// SetOwners is what SetHouseholdOwners takes: the part's owners from On (a sale, an
// inheritance, a correction), or the developer.
type SetOwners struct {
	HouseholdID int64
	// Owners are residents of the household's community; empty with Developer.
	Owners    []int64
	Developer bool
	On        time.Time
	Reason    string
}

// startOwnership records resident as an owner of household from the day of at (registration).
func (tx *Tx) startOwnership(household, resident int64, at time.Time) error {
	_, err := tx.exec(`INSERT INTO household_owners (household_id, resident_id, since) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, household, resident, chinaDay(at))
	return err
}

// lockedPart is a household locked for a change of its owners, with its current ownerships.
type lockedPart struct {
	household *Place
	community *Place
	current   []*HouseholdOwner
}

// lockPart locks household for v to change its owners on day on, with a reason.
func (tx *Tx) lockPart(v *Viewer, household int64, on time.Time, reason string) (*lockedPart, string, error) {
	if v == nil {
		return nil, "", needSignIn
	}
	why, err := text("reason", "原因", reason, 1, 200)
	if err != nil {
		return nil, "", err
	}
	var h Place
	if err := tx.get(&h, `SELECT `+placeColumns+` FROM places WHERE id = $1 FOR UPDATE`, household); err != nil {
		return nil, "", withField(notFound(err, "找不到这一户"), "householdId")
	}
	if h.Level != LevelHousehold {
		return nil, "", Invalid("householdId", "产权登记在具体的户（专有部分）上，而不是%s", h.Level.Name())
	}
	if !v.Holds(&h, rolesKeepingOwners...) {
		if !v.Holds(&h, rolesSeeingResidents...) && (v.Resident == nil || v.Resident.HouseholdID != h.ID) {
			return nil, "", &Error{Code: ENOTFOUND, Field: "householdId", Message: "找不到这一户"}
		}
		return nil, "", forbidden("只有这户所在社区的社区工作者或本网格的网格员可以登记业主")
	}
	var retired bool
	if err := tx.get(&retired, `SELECT retired_at IS NOT NULL FROM places WHERE id = $1`, h.ID); err != nil {
		return nil, "", err
	}
	if retired {
		return nil, "", Errorf(EINVALIDSTATE, "这一户已经撤销，不能再登记业主")
	}
	today := chinaDay(tx.now)
	if on.After(today) {
		return nil, "", Invalid("on", "变更日期不能晚于今天（%s）", today.Format(time.DateOnly))
	}
	if on.Year() < 1950 {
		return nil, "", Invalid("on", "变更日期不正确")
	}
	c, err := tx.place(h.Path[1]) // subdistrict, community, …
	if err != nil {
		return nil, "", err
	}
	lp := &lockedPart{household: &h, community: c}
	if err := tx.selectRows(&lp.current, `SELECT id, household_id, resident_id, named_voter, since, until FROM household_owners
		WHERE household_id = $1 AND until IS NULL ORDER BY resident_id NULLS FIRST`, h.ID); err != nil {
		return nil, "", err
	}
	return lp, why, nil
}

type ownerSpec struct {
	resident *int64
	named    bool
}

// replaceOwners makes want the part's owners from day on: ownerships that stay as they are
// are kept, the others end on that day and new ones start (a change made on the day an
// ownership started corrects it instead: its row is replaced).
func (tx *Tx) replaceOwners(lp *lockedPart, want []ownerSpec, on time.Time) (changed bool, err error) {
	same := func(o *HouseholdOwner, w ownerSpec) bool {
		return (o.ResidentID == nil) == (w.resident == nil) && (o.ResidentID == nil || *o.ResidentID == *w.resident) && o.NamedVoter == w.named
	}
	var keep []ownerSpec
	for _, o := range lp.current {
		i := slices.IndexFunc(want, func(w ownerSpec) bool { return same(o, w) })
		if i >= 0 {
			keep = append(keep, want[i])
			continue
		}
		if on.Before(o.Since) {
			return false, Invalid("on", "这一户现在的产权记录从 %s 起，变更日期不能早于它", o.Since.Format(time.DateOnly))
		}
		changed = true
		if on.Equal(o.Since) {
			_, err = tx.exec(`DELETE FROM household_owners WHERE id = $1`, o.ID)
		} else {
			_, err = tx.exec(`UPDATE household_owners SET until = $2 WHERE id = $1`, o.ID, on)
		}
		if err != nil {
			return false, err
		}
	}
	for _, w := range want {
		if slices.Contains(keep, w) {
			continue
		}
		changed = true
		if _, err := tx.exec(`INSERT INTO household_owners (household_id, resident_id, named_voter, since) VALUES ($1, $2, $3, $4)`,
			lp.household.ID, w.resident, w.named, on); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// ownerNames returns the names of the residents, by id, checking that each lives (or
// lived) in community and has not died.
func (tx *Tx) ownerNames(community *Place, ids []int64) (map[int64]string, error) {
	var rows []struct {
		ID   int64         `db:"id"`
		Name string        `db:"name"`
		Path pq.Int64Array `db:"path"`
		Died bool          `db:"died"`
	}
	if err := tx.selectRows(&rows, `SELECT r.id, r.name, h.path, r.left_reason IS NOT DISTINCT FROM 'died' AS died
		FROM residents r JOIN places h ON h.id = r.household_id WHERE r.id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	m := map[int64]string{}
	for _, r := range rows {
		if !slices.Contains(r.Path, community.ID) {
			continue
		}
		if r.Died {
			return nil, Invalid("ownerIds", "%s已故，不能登记为业主", r.Name)
		}
		m[r.ID] = r.Name
	}
	for _, id := range ids {
		if _, ok := m[id]; !ok {
			return nil, &Error{Code: ENOTFOUND, Field: "ownerIds", Message: "在" + community.Name + "找不到所选的居民（业主须是本社区登记的居民）"}
		}
	}
	return m, nil
}

// SetHouseholdOwners records the owners of a part from a day: after a sale the buyers, or
// the developer for a part it has not sold. An owner who stays keeps their ownership (and
// named voter); the others' end that day. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN,
// INVALID_STATE (retired), INVALID_INPUT.
func (s *Store) SetHouseholdOwners(ctx context.Context, v *Viewer, in SetOwners) ([]*HouseholdOwner, error) {
	if in.Developer != (len(in.Owners) == 0) {
		return nil, Invalid("ownerIds", "请填写业主（一人或多名共有人），或者标明为开发建设单位所有，二者选其一")
	}
	if len(in.Owners) > 20 {
		return nil, Invalid("ownerIds", "一户最多登记 20 名共有人")
	}
	owners := slices.Clone(in.Owners)
	slices.Sort(owners)
	if len(slices.Compact(owners)) != len(in.Owners) {
		return nil, Invalid("ownerIds", "同一位业主不能重复填写")
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	lp, why, err := tx.lockPart(v, in.HouseholdID, in.On, in.Reason)
	if err != nil {
		return nil, err
	}
	var want []ownerSpec
	note := "开发建设单位（未售出）"
	if in.Developer {
		want = []ownerSpec{{}}
	} else {
		names, err := tx.ownerNames(lp.community, owners)
		if err != nil {
			return nil, err
		}
		var list []string
		for _, id := range owners {
			w := ownerSpec{resident: &id}
			for _, o := range lp.current {
				if o.ResidentID != nil && *o.ResidentID == id {
					w.named = o.NamedVoter // a co-owner who stays keeps being the named voter
				}
			}
			want = append(want, w)
			list = append(list, names[id])
		}
		note = strings.Join(list, "、")
	}
	changed, err := tx.replaceOwners(lp, want, in.On)
	if err != nil {
		return nil, err
	}
	if changed {
		note = "自 " + in.On.Format(time.DateOnly) + " 起业主为：" + note + "；原因：" + why
		if err := tx.audit(auditEvent{Action: AuditOwnersSet, ActorID: &v.Account.ID, PlaceID: &lp.household.ID, Note: &note}); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.currentOwners(ctx, lp.household.ID)
}

// NameVoter records which co-owner votes for the part from a day (nil: none named, any
// co-owner may cast the part's ballot, the first to cast holding it). Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_STATE, INVALID_INPUT.
func (s *Store) NameVoter(ctx context.Context, v *Viewer, household int64, resident *int64, on time.Time, reason string) ([]*HouseholdOwner, error) {
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	lp, why, err := tx.lockPart(v, household, on, reason)
	if err != nil {
		return nil, err
	}
	if len(lp.current) == 0 || lp.current[0].ResidentID == nil {
		return nil, Errorf(EINVALIDSTATE, "这一户还没有登记个人业主，不能指定投票人")
	}
	var want []ownerSpec
	found := resident == nil
	for _, o := range lp.current {
		named := resident != nil && *o.ResidentID == *resident
		found = found || named
		want = append(want, ownerSpec{resident: o.ResidentID, named: named})
	}
	if !found {
		return nil, Invalid("residentId", "指定的投票人须是这一户现在的共有人之一")
	}
	changed, err := tx.replaceOwners(lp, want, on)
	if err != nil {
		return nil, err
	}
	if changed {
		note := "自 " + on.Format(time.DateOnly) + " 起不再指定投票人；原因：" + why
		if resident != nil {
			var name string
			if err := tx.get(&name, `SELECT name FROM residents WHERE id = $1`, *resident); err != nil {
				return nil, err
			}
			note = "自 " + on.Format(time.DateOnly) + " 起由共有人" + name + "代表本户投票；原因：" + why
		}
		if err := tx.audit(auditEvent{Action: AuditNamedVoterSet, ActorID: &v.Account.ID, PlaceID: &lp.household.ID,
			ResidentID: resident, Note: &note}); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return s.currentOwners(ctx, lp.household.ID)
}

func (s *Store) currentOwners(ctx context.Context, household int64) ([]*HouseholdOwner, error) {
	m, err := s.HouseholdOwnersOn(ctx, []int64{household}, nil)
	if err != nil {
		return nil, err
	}
	return append([]*HouseholdOwner{}, m[household]...), nil
}

// coOwnerRefusal explains why resident, an owner of a part on the vote's roll but not among
// its voters, may not cast: the co-owners named someone else. Empty if resident owns none.
func (tx *Tx) coOwnerRefusal(vote, resident int64) (string, error) {
	var names []string
	if err := tx.selectRows(&names, `SELECT DISTINCT r.name FROM vote_entitled e
		JOIN household_owners o ON o.household_id = e.household_id AND o.resident_id = $2
		JOIN vote_entitled v ON v.vote_id = e.vote_id AND v.head = e.head
		JOIN residents r ON r.id = v.resident_id
		JOIN household_owners n ON n.household_id = e.household_id AND n.resident_id = v.resident_id AND n.named_voter
		WHERE e.vote_id = $1 ORDER BY r.name`, vote, resident); err != nil || len(names) == 0 {
		return "", err
	}
	return "本户指定" + strings.Join(names, "、") + "投票，其他共有人不能再投（一个专有部分只有一票）", nil
}

// HouseholdOwnersOf returns the owners of household on day (nil: today), for those who may
// see its residents. Errors: UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_INPUT.
func (s *Store) HouseholdOwnersOf(ctx context.Context, v *Viewer, household int64, day *time.Time) ([]*HouseholdOwner, error) {
	if err := s.checkSeesResidents(ctx, v, household); err != nil {
		return nil, withField(err, "householdId")
	}
	p, err := s.Place(ctx, household)
	if err != nil {
		return nil, err
	}
	if p.Level != LevelHousehold {
		return nil, Invalid("householdId", "产权登记在具体的户（专有部分）上，而不是%s", p.Level.Name())
	}
	m, err := s.HouseholdOwnersOn(ctx, []int64{household}, day)
	if err != nil {
		return nil, err
	}
	return append([]*HouseholdOwner{}, m[household]...), nil
}
