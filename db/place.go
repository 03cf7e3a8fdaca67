package db

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
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
	// Units is a building's unit count (单元数), when known.
	Units *int `db:"units"`
	// RetiredAt is when the place was taken off the live roster (db/roster_places.go).
	RetiredAt *time.Time `db:"retired_at"`
}

// Within reports whether p is the place with id ancestor or lies under it.
func (p *Place) Within(ancestor int64) bool {
	return p != nil && slices.Contains(p.Path, ancestor)
}

const placeColumns = `id, level, parent_id, name, path, unit, room, floor_area_dm2, created_at, units, retired_at`

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

// Children returns a page of the live places directly under parent, or of the subdistricts
// when parent is 0 (retired ones: Descendants). Households v may not see (Viewer.SeesHousehold) are left out: to anyone else
// a building has no households.
func (s *Store) Children(ctx context.Context, v *Viewer, parent int64, p Page) (Paged[*Place], error) {
	from, args := childrenOf(v, parent)
	return listQuery(ctx, s, `SELECT `+placeColumns+` `+from, args, byID, placeKey, p)
}

func placeKey(p *Place) Key { return idKey(p.ID) }

// CountChildren counts what Children lists.
func (s *Store) CountChildren(ctx context.Context, v *Viewer, parent int64) (int, error) {
	from, args := childrenOf(v, parent)
	return s.count(ctx, from, args...)
}

// childrenOf is the FROM clause of Children, with the households v sees: their own, and
// those under a place where v holds a role that sees residents.
func childrenOf(v *Viewer, parent int64) (string, []any) {
	if parent == 0 {
		return `FROM places WHERE parent_id IS NULL AND retired_at IS NULL`, nil
	}
	var home int64
	if v != nil && v.Resident != nil {
		home = v.Resident.HouseholdID
	}
	seeing, _ := v.placesHolding(rolesSeeingResidents...)
	return `FROM places WHERE parent_id = $1 AND retired_at IS NULL AND (level <> 'household' OR id = $2 OR path && $3)`,
		[]any{parent, home, pq.Array(seeing)}
}

// communityOf returns the community of a community or compound place (its parent), inside tx.
func (tx *Tx) communityOf(p *Place) (*Place, error) {
	if p.Level == LevelCommunity || p.ParentID == nil {
		return p, nil
	}
	return tx.place(*p.ParentID)
}

// HouseholdAt returns the id of the household of building at unit ("2单元", or just "2";
// empty for a building without units) and room, or nil when the building has no such flat:
// for someone registering, who knows their own address but may not list the building's
// households. Errors: NOT_FOUND (no such building), INVALID_INPUT.
func (s *Store) HouseholdAt(ctx context.Context, building int64, unit, room string) (*int64, error) {
	unit, room = strings.TrimSpace(unit), strings.TrimSpace(room)
	if room == "" {
		return nil, Invalid("room", "请填写房号，例如 302")
	}
	if unit != "" && !strings.HasSuffix(unit, "单元") {
		unit += "单元"
	}
	b, err := s.Place(ctx, building)
	if err != nil {
		return nil, &Error{Code: ENOTFOUND, Field: "buildingId", Message: "找不到这栋楼，请从地点列表中重新选择"}
	}
	if b.Level != LevelBuilding {
		return nil, Invalid("buildingId", "请选择楼栋，而不是%s", b.Level.Name())
	}
	var id int64
	err = s.get(ctx, &id, `SELECT id FROM places WHERE parent_id = $1 AND level = 'household' AND retired_at IS NULL AND coalesce(unit, '') = $2 AND room = $3`,
		building, unit, room)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &id, err
}
