package db

import (
	"context"

	"github.com/lib/pq"
)

// rolesVisiting are the roles that visit households and tell residents in person.
var rolesVisiting = []Role{RoleGridWorker, RoleBuildingLeader, RoleStaff}

// visitsFrom selects the notifications of residents who have no account and no phone,
// not yet told, in the households under place $1.
const visitsFrom = ` JOIN places vh ON vh.id = nr.household_id
	WHERE n.account_id IS NULL AND n.visited_at IS NULL AND nr.phone IS NULL AND vh.path @> ARRAY[$1::bigint]`

// VisitsNeeded lists, oldest first, what residents under place must be told in person: the
// notifications of those with no account and no phone, not yet marked visited. For grid
// workers, building leaders and staff of the place. Errors: UNAUTHENTICATED, NOT_FOUND,
// FORBIDDEN.
func (s *Store) VisitsNeeded(ctx context.Context, v *Viewer, place int64, p Page) (Paged[*Notification], func(context.Context) (int, error), error) {
	if v == nil {
		return Paged[*Notification]{}, nil, needSignIn
	}
	pl, err := s.Place(ctx, place)
	if err != nil {
		return Paged[*Notification]{}, nil, err
	}
	if !v.Holds(pl, rolesVisiting...) {
		return Paged[*Notification]{}, nil, forbidden("只有%s的网格员、楼栋长和社区工作者可以查看需要上门告知的居民", pl.Name)
	}
	args := []any{place}
	res, err := listQuery(ctx, s, notificationSelect+visitsFrom, args, byID.qualified("n"),
		func(n *Notification) Key { return idKey(n.ID) }, p)
	if err != nil {
		return res, nil, err
	}
	for _, n := range res.Items {
		n.render()
	}
	count := func(ctx context.Context) (int, error) {
		return s.count(ctx, `FROM notifications n JOIN residents nr ON nr.id = n.resident_id`+visitsFrom, args...)
	}
	return res, count, nil
}

// MarkVisited records that the residents of notifications ids were told in person, by v.
// An id v may not see (not a visit in a place where v visits) is NOT_FOUND, and then
// nothing is marked; one marked already keeps its first record. Errors: UNAUTHENTICATED,
// NOT_FOUND, INVALID_INPUT (more than 100 ids).
func (s *Store) MarkVisited(ctx context.Context, v *Viewer, ids []int64) ([]*Notification, error) {
	if v == nil {
		return nil, needSignIn
	}
	if len(ids) > 100 {
		return nil, Invalid("ids", "一次最多标记 100 条，收到 %d 条", len(ids))
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var rows []struct {
		ID   int64         `db:"id"`
		Path pq.Int64Array `db:"path"`
	}
	if err := tx.selectRows(&rows, `SELECT n.id, h.path FROM notifications n JOIN residents r ON r.id = n.resident_id
		JOIN places h ON h.id = r.household_id
		WHERE n.id = ANY ($1) AND n.account_id IS NULL AND r.phone IS NULL FOR UPDATE OF n`, pq.Array(ids)); err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for _, r := range rows {
		if v.Holds(&Place{Path: r.Path}, rolesVisiting...) {
			seen[r.ID] = true
		}
	}
	for _, id := range ids {
		if !seen[id] {
			return nil, &Error{Code: ENOTFOUND, Field: "ids", Message: "找不到其中的一条或几条上门告知，没有标记任何一条"}
		}
	}
	if _, err := tx.exec(`UPDATE notifications SET visited_at = $2, visited_by = $3 WHERE id = ANY ($1) AND visited_at IS NULL`,
		pq.Array(ids), tx.now, v.Account.ID); err != nil {
		return nil, err
	}
	var out []*Notification
	if err := tx.selectRows(&out, notificationSelect+` WHERE n.id = ANY ($1) ORDER BY n.id`, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, n := range out {
		n.render()
	}
	return out, tx.Commit()
}
