package db

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// RosterExport is a place's roster as a CSV file in the import's layout.
type RosterExport struct {
	FileName string
	// CSV is UTF-8 with a byte-order mark, so that Excel opens it as UTF-8.
	CSV []byte
	// Rows is the number of data rows.
	Rows int
}

type exportRow struct {
	Building     string         `db:"building"`
	Unit         string         `db:"unit"`
	Room         string         `db:"room"`
	AreaDm2      int64          `db:"floor_area_dm2"`
	Name         string         `db:"name"`
	Gender       *string        `db:"gender"`
	BirthDate    time.Time      `db:"birth_date"`
	Phone        *string        `db:"phone"`
	Relationship *string        `db:"relationship"`
	Owner        bool           `db:"owner"`
	TagsRaw      pq.StringArray `db:"tags"`
	Lives        bool           `db:"lives"`
	BuildingID   int64          `db:"bid"`
	ResidentID   int64          `db:"rid"`
	Compound     string         `db:"compound"`
	Path         pq.Int64Array  `db:"path"` // the household's, to find its compound
}

// ExportRoster writes the roster of a community, compound, grid or building as a CSV in
// the layout ImportRoster reads: one row per resident where they live, and one row per
// flat an owner owns elsewhere (是否业主 是, 与户主关系 and 标签 empty). ID numbers are not
// kept, so that column is empty and the birth date is filled; households with nobody
// registered have no row. Importing the file again into an unchanged roster changes
// nothing. The export is recorded (personal data leaves the service). Errors:
// UNAUTHENTICATED, NOT_FOUND, FORBIDDEN, INVALID_INPUT (a household).
func (s *Store) ExportRoster(ctx context.Context, v *Viewer, placeID int64) (*RosterExport, error) {
	if v == nil {
		return nil, needSignIn
	}
	p, err := s.Place(ctx, placeID)
	if err != nil {
		return nil, withField(err, "placeId")
	}
	switch {
	case p.Level == LevelHousehold || p.Level == LevelSubdistrict:
		return nil, Invalid("placeId", "花名册按社区、小区、网格或楼栋导出，不能按%s导出", p.Level.Name())
	case !v.Holds(p, RoleStaff, RoleAdmin):
		return nil, forbidden("只有%s所在社区的社区工作者或管理员可以导出花名册", p.Name)
	}
	tx, err := s.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	today := tx.now.In(china).Format("2006-01-02")
	var rows []*exportRow
	// Residents where they live, then owners of flats they do not live in; by building,
	// unit and room (numbers in number order), residents in the order they were entered.
	if err := tx.SelectContext(ctx, &rows, `SELECT * FROM (
		SELECT b.name AS building, coalesce(h.unit, '') AS unit, h.room, h.floor_area_dm2, r.name, r.gender, r.birth_date,
			r.phone, r.relationship, r.tags, true AS lives,
			EXISTS (SELECT 1 FROM household_owners o WHERE o.household_id = h.id AND o.resident_id = r.id AND o.until IS NULL) AS owner,
			b.id AS bid, r.id AS rid, h.path
		FROM residents r JOIN places h ON h.id = r.household_id JOIN places b ON b.id = h.parent_id
		WHERE h.path @> $1 AND r.left_on IS NULL AND h.retired_at IS NULL
		UNION ALL
		SELECT b.name, coalesce(h.unit, ''), h.room, h.floor_area_dm2, r.name, r.gender, r.birth_date,
			r.phone, NULL, '{}', false, true, b.id, r.id, h.path
		FROM household_owners o JOIN residents r ON r.id = o.resident_id
			JOIN places h ON h.id = o.household_id JOIN places b ON b.id = h.parent_id
		WHERE h.path @> $1 AND o.until IS NULL AND r.household_id <> h.id AND r.left_on IS NULL AND h.retired_at IS NULL
		) x, LATERAL (SELECT coalesce((SELECT c.name FROM places c WHERE c.id = ANY (x.path) AND c.level = 'compound'), '') AS compound) c
		ORDER BY bid, unit, length(room), room, lives DESC, rid`, pq.Array([]int64{placeID})); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true // as Excel writes it
	w.Write(rosterHeaders[:])
	for _, r := range rows {
		gender := ""
		if r.Gender != nil {
			gender = genderNames[*r.Gender]
		}
		owner := "否"
		if r.Owner {
			owner = "是"
		}
		tags := ""
		if len(r.TagsRaw) > 0 {
			tags = tagList(r.TagsRaw)
		}
		w.Write([]string{rosterCSVText(r.Building), r.Unit, rosterCSVText(r.Room), strings.TrimSuffix(strings.TrimSuffix(areaText(r.AreaDm2), "㎡"), ".00"),
			rosterCSVText(r.Name), gender, r.BirthDate.Format("2006-01-02"), "", deref(r.Phone), rosterCSVText(deref(r.Relationship)), owner, tags, rosterCSVText(r.Compound)})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return nil, err
	}
	note := fmt.Sprintf("导出%s的花名册 %d 行", p.Name, len(rows))
	if err := tx.audit(auditEvent{Action: AuditRosterExported, ActorID: &v.Account.ID, PlaceID: &placeID, Note: &note}); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &RosterExport{FileName: fmt.Sprintf("花名册-%s-%s.csv", p.Name, strings.ReplaceAll(today, "-", "")), CSV: buf.Bytes(), Rows: len(rows)}, nil
}
