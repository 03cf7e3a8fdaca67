package graph

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"

	"linli/db"
	"linli/graph/model"
)

// importRoster runs a roster import (dry or real) on an uploaded file.
func (r *Resolver) importRoster(ctx context.Context, communityID string, file graphql.Upload, dryRun bool, planDigest *string) (*db.RosterImportReport, error) {
	id, err := idOf("communityId", "Place", communityID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	if file.File == nil {
		return nil, db.Invalid("file", "请随请求上传花名册文件（CSV 或 XLSX）")
	}
	if !dryRun {
		defer forgetLoaded(ctx)
	}
	return r.Store.ImportRoster(ctx, v, id, file.Filename, file.File, dryRun, planDigest)
}

// rosterExport returns the roster of a place as a CSV file.
func (r *Resolver) rosterExport(ctx context.Context, placeID string) (*model.RosterExport, error) {
	id, err := idOf("placeId", "Place", placeID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	e, err := r.Store.ExportRoster(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return &model.RosterExport{FileName: e.FileName, ContentType: "text/csv; charset=utf-8", CSV: string(e.CSV), RowCount: e.Rows}, nil
}

// maxReportPage is the most report rows one request returns.
const maxReportPage = 1000

// reportRows returns a page of an import report's lines with one of actions (any, if none).
func reportRows(rep *db.RosterImportReport, actions []db.RosterRowAction, first *int, afterIndex *int) ([]*model.RosterImportRow, error) {
	n := 100
	if first != nil {
		n = *first
	}
	if n < 0 || n > maxReportPage {
		return nil, db.Invalid("first", "每次最多取 %d 行", maxReportPage)
	}
	start := 0
	if afterIndex != nil {
		start = max(*afterIndex+1, 0)
	}
	var out []*model.RosterImportRow
	for i := start; i < len(rep.Lines) && len(out) < n; i++ {
		l := &rep.Lines[i]
		if len(actions) > 0 && !slices.Contains(actions, l.Action) {
			continue
		}
		changes := l.Changes
		if changes == nil {
			changes = []string{}
		}
		out = append(out, &model.RosterImportRow{Index: i, Row: l.Row, Action: l.Action, Building: l.Building, Unit: l.Unit,
			Room: l.Room, Name: l.Name, Changes: changes, Reason: l.Reason, Note: l.Note})
	}
	return out, nil
}

// reportRowsCount counts an import report's lines with one of actions (any, if none).
func reportRowsCount(rep *db.RosterImportReport, actions []db.RosterRowAction) int {
	if len(actions) == 0 {
		return len(rep.Lines)
	}
	n := 0
	for _, l := range rep.Lines {
		if slices.Contains(actions, l.Action) {
			n++
		}
	}
	return n
}
