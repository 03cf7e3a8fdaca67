package db

import (
	"context"
	"slices"
	"time"

	"github.com/lib/pq"
)

// Place is a subdistrict, community, compound, grid, building or household.
type Place struct {
	ID       int64      `db:"id"`
	Level    PlaceLevel `db:"level"`
	ParentID *int64     `db:"parent_id"`
	Name     string     `db:"name"`
	// Path holds the ids from the subdistrict down to the place itself.
	Path pq.Int64Array `db:"path"`
	// Households only.
	Unit         *string   `db:"unit"`
	Room         *string   `db:"room"`
	FloorAreaDm2 *int64    `db:"floor_area_dm2"`
	CreatedAt    time.Time `db:"created_at"`
}

// Within reports whether p is the place with id ancestor or lies under it.
func (p *Place) Within(ancestor int64) bool {
	return p != nil && slices.Contains(p.Path, ancestor)
}

const placeColumns = `id, level, parent_id, name, path, unit, room, floor_area_dm2, created_at`

// PlacesByID returns the places with the given ids; ids with no place are absent.
func (s *Store) PlacesByID(ctx context.Context, ids []int64) (map[int64]*Place, error) {
	return selectByKey(ctx, s, `SELECT `+placeColumns+` FROM places WHERE id = ANY($1)`, ids, func(p *Place) int64 { return p.ID })
}

// places loads places inside tx. A transaction that holds locks reads through its own
// connection: borrowing a second one from the pool could wait forever when every
// connection is held by a transaction waiting on the same lock.
func (tx *Tx) places(ids ...int64) (map[int64]*Place, error) {
	var ps []*Place
	if err := tx.selectRows(&ps, `SELECT `+placeColumns+` FROM places WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, err
	}
	m := make(map[int64]*Place, len(ps))
	for _, p := range ps {
		m[p.ID] = p
	}
	return m, nil
}

// place loads one place inside tx.
func (tx *Tx) place(id int64) (*Place, error) {
	m, err := tx.places(id)
	if err == nil && m[id] == nil {
		err = &Error{Code: ENOTFOUND, Message: "找不到这个地点"}
	}
	return m[id], err
}

// Place returns one place, or NOT_FOUND naming what was looked for (field, if not empty,
// says which input it came from).
func (s *Store) Place(ctx context.Context, id int64) (*Place, error) {
	m, err := s.PlacesByID(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	if p := m[id]; p != nil {
		return p, nil
	}
	return nil, &Error{Code: ENOTFOUND, Message: "找不到这个地点"}
}

// Children returns a page of the places directly under parent, or of the subdistricts when
// parent is 0.
func (s *Store) Children(ctx context.Context, parent int64, p Page) (Paged[*Place], error) {
	if parent == 0 {
		return listQuery(ctx, s, `SELECT `+placeColumns+` FROM places WHERE parent_id IS NULL`, nil, byID, placeKey, p)
	}
	return listQuery(ctx, s, `SELECT `+placeColumns+` FROM places WHERE parent_id = $1`, []any{parent}, byID, placeKey, p)
}

func placeKey(p *Place) Key { return idKey(p.ID) }

// CountChildren counts the places directly under parent (the subdistricts when parent is 0).
func (s *Store) CountChildren(ctx context.Context, parent int64) (int, error) {
	if parent == 0 {
		return s.count(ctx, `FROM places WHERE parent_id IS NULL`)
	}
	return s.count(ctx, `FROM places WHERE parent_id = $1`, parent)
}

// communityOf returns the community of a community or compound place (its parent), inside tx.
func (tx *Tx) communityOf(p *Place) (*Place, error) {
	if p.Level == LevelCommunity || p.ParentID == nil {
		return p, nil
	}
	return tx.place(*p.ParentID)
}
