// Package model holds the GraphQL-only types: gqlgen generates models_gen.go here, and this
// file adds the hand-written ones it binds to.
package model

import (
	"context"
	"encoding/base64"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"linli/db"
)

// Node is anything with a global ID; the generated code switches on the concrete type.
type Node interface{}

// MarshalDate writes a date as YYYY-MM-DD.
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(time.DateOnly)))
	})
}

// UnmarshalDate reads a YYYY-MM-DD date.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, db.Invalid("", "日期应为 YYYY-MM-DD 格式的字符串，例如 1960-05-01")
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, db.Invalid("", "日期 %q 不是 YYYY-MM-DD 格式，例如 1960-05-01", s)
	}
	return t, nil
}

// Cursor is the opaque cursor of the list item with key id.
func Cursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c:" + strconv.FormatInt(id, 10)))
}

// ParseCursor returns the key inside a cursor made by Cursor.
func ParseCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 3 || string(b[:2]) != "c:" {
		return 0, false
	}
	id, err := strconv.ParseInt(string(b[2:]), 10, 64)
	return id, err == nil && id > 0
}

func pageInfo[T any](p db.Paged[T], key func(T) int64) *PageInfo {
	pi := &PageInfo{HasNextPage: p.HasNext, HasPreviousPage: p.HasPrevious}
	if n := len(p.Items); n > 0 {
		start, end := Cursor(key(p.Items[0])), Cursor(key(p.Items[n-1]))
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}

// Counter counts a list's items for totalCount, run only when the field is asked for.
type Counter func(context.Context) (int, error)

// PlaceConnection is a page of places.
type PlaceConnection struct {
	Nodes    []*db.Place
	PageInfo *PageInfo
	Count    Counter
}

// NewPlaceConnection wraps a page of places.
func NewPlaceConnection(p db.Paged[*db.Place], count Counter) *PlaceConnection {
	return &PlaceConnection{Nodes: p.Items, PageInfo: pageInfo(p, func(x *db.Place) int64 { return x.ID }), Count: count}
}

// Edges are the page's items with their cursors.
func (c *PlaceConnection) Edges() []*PlaceEdge {
	es := make([]*PlaceEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		es[i] = &PlaceEdge{Cursor: Cursor(n.ID), Node: n}
	}
	return es
}

// TotalCount counts all items of the list, not only this page.
func (c *PlaceConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// ResidentConnection is a page of residents.
type ResidentConnection struct {
	Nodes    []*db.Resident
	PageInfo *PageInfo
	Count    Counter
}

// NewResidentConnection wraps a page of residents.
func NewResidentConnection(p db.Paged[*db.Resident], count Counter) *ResidentConnection {
	return &ResidentConnection{Nodes: p.Items, PageInfo: pageInfo(p, func(x *db.Resident) int64 { return x.ID }), Count: count}
}

// Edges are the page's items with their cursors.
func (c *ResidentConnection) Edges() []*ResidentEdge {
	es := make([]*ResidentEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		es[i] = &ResidentEdge{Cursor: Cursor(n.ID), Node: n}
	}
	return es
}

// TotalCount counts all items of the list, not only this page.
func (c *ResidentConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }

// AuditEventConnection is a page of audit events.
type AuditEventConnection struct {
	Nodes    []*db.AuditEvent
	PageInfo *PageInfo
	Count    Counter
}

// NewAuditEventConnection wraps a page of audit events.
func NewAuditEventConnection(p db.Paged[*db.AuditEvent], count Counter) *AuditEventConnection {
	return &AuditEventConnection{Nodes: p.Items, PageInfo: pageInfo(p, func(x *db.AuditEvent) int64 { return x.ID }), Count: count}
}

// Edges are the page's items with their cursors.
func (c *AuditEventConnection) Edges() []*AuditEventEdge {
	es := make([]*AuditEventEdge, len(c.Nodes))
	for i, n := range c.Nodes {
		es[i] = &AuditEventEdge{Cursor: Cursor(n.ID), Node: n}
	}
	return es
}

// TotalCount counts all items of the list, not only this page.
func (c *AuditEventConnection) TotalCount(ctx context.Context) (int, error) { return c.Count(ctx) }
