// Package model holds the GraphQL-only types: gqlgen generates models_gen.go here, and this
// file adds the hand-written ones it binds to.
package model

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"linli/db"
)

// PlacePeriodFilter is the one-place, one-whole-period filter of participationStats,
// visitStats (both ParticipationStatsFilter), reportStats (ReportStatsFilter) and needStats
// (NeedStatsFilter): the schema's inputs differ only in what their period counts.
type PlacePeriodFilter struct {
	PlaceIds []string     `json:"placeIds,omitempty"`
	At       *db.TimeCond `json:"at,omitempty"`
}

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

// MarshalTime writes a time in RFC 3339 with its offset, as given; the zero time is null.
func MarshalTime(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.Format(time.RFC3339Nano)))
	})
}

// timeExample is shown in every message about a malformed time.
const timeExample = "例如 2026-12-31T18:00:00+08:00"

// UnmarshalTime reads an RFC 3339 time with its offset (Z or +08:00). Anything else is
// INVALID_INPUT: a bare date or a time without an offset would have to guess a time zone.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, db.Invalid("", "时间应为 RFC 3339 格式的字符串（含时区），"+timeExample)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err == nil && t.After(time.Time{}) {
		return t, nil
	} else if err == nil {
		return time.Time{}, db.Invalid("", "时间 %q 太早了，"+timeExample, s)
	}
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return time.Time{}, db.Invalid("", "时间 %q 只有日期：请写上时刻和时区，"+timeExample, s)
	}
	return time.Time{}, db.Invalid("", "时间 %q 不是 RFC 3339 格式（含时区），"+timeExample, s)
}

// Cursor is the opaque cursor of a list item with key k.
func Cursor(k db.Key) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor returns the key inside a cursor made by Cursor.
func ParseCursor(c string) (db.Key, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, false
	}
	var k db.Key
	if json.Unmarshal(b, &k) != nil || len(k) == 0 {
		return nil, false
	}
	return k, true
}

// Counter counts a list's items for totalCount, run only when the field is asked for.
type Counter func(context.Context) (int, error)

// Conn is what every connection type holds: a page of items, their keys, and a counter.
type Conn[T any] struct {
	Nodes    []T
	PageInfo *PageInfo
	keys     []db.Key
	count    Counter
}

func newConn[T any](p db.Paged[T], count Counter) Conn[T] {
	pi := &PageInfo{HasNextPage: p.HasNext, HasPreviousPage: p.HasPrevious}
	if n := len(p.Items); n > 0 {
		start, end := Cursor(p.Keys[0]), Cursor(p.Keys[n-1])
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return Conn[T]{Nodes: p.Items, PageInfo: pi, keys: p.Keys, count: count}
}

// TotalCount counts all items of the list, not only this page.
func (c *Conn[T]) TotalCount(ctx context.Context) (int, error) { return c.count(ctx) }

func edges[T, E any](c Conn[T], edge func(cursor string, node T) E) []E {
	es := make([]E, len(c.Nodes))
	for i, n := range c.Nodes {
		es[i] = edge(Cursor(c.keys[i]), n)
	}
	return es
}

// PlaceConnection is a page of places.
type PlaceConnection struct{ Conn[*db.Place] }

// NewPlaceConnection wraps a page of places.
func NewPlaceConnection(p db.Paged[*db.Place], count Counter) *PlaceConnection {
	return &PlaceConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *PlaceConnection) Edges() []*PlaceEdge {
	return edges(c.Conn, func(cur string, n *db.Place) *PlaceEdge { return &PlaceEdge{Cursor: cur, Node: n} })
}

// ResidentConnection is a page of residents.
type ResidentConnection struct{ Conn[*db.Resident] }

// NewResidentConnection wraps a page of residents.
func NewResidentConnection(p db.Paged[*db.Resident], count Counter) *ResidentConnection {
	return &ResidentConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *ResidentConnection) Edges() []*ResidentEdge {
	return edges(c.Conn, func(cur string, n *db.Resident) *ResidentEdge { return &ResidentEdge{Cursor: cur, Node: n} })
}

// AuditEventConnection is a page of audit events.
type AuditEventConnection struct{ Conn[*db.AuditEvent] }

// NewAuditEventConnection wraps a page of audit events.
func NewAuditEventConnection(p db.Paged[*db.AuditEvent], count Counter) *AuditEventConnection {
	return &AuditEventConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *AuditEventConnection) Edges() []*AuditEventEdge {
	return edges(c.Conn, func(cur string, n *db.AuditEvent) *AuditEventEdge { return &AuditEventEdge{Cursor: cur, Node: n} })
}

// Wish is a wish as the viewer of one request sees it: the stored wish, and the fields that
// depend on who asks or on related rows, decided once per wish when the API hands it out
// (graph's showWishes). They are plain data, so answering them costs gqlgen neither a
// resolver call nor a goroutine: a page of 50 wishes is the feed's hot path.
type Wish struct {
	*db.Wish
	ID               string
	Place, Community *db.Place
	BeneficiaryName  string
	BeneficiaryPhone *string
	Address          string
	Claim            *db.Claim
	Fulfilment       *WishFulfilment
	CanClaim         bool
}

// WishConnection is a page of wishes.
type WishConnection struct{ Conn[*Wish] }

// NewWishConnection wraps a page of wishes shown to the viewer (nodes, in the page's order).
func NewWishConnection(p db.Paged[*db.Wish], nodes []*Wish, count Counter) *WishConnection {
	return &WishConnection{newConn(db.Paged[*Wish]{Items: nodes, Keys: p.Keys, HasNext: p.HasNext, HasPrevious: p.HasPrevious}, count)}
}

// Edges are the page's items with their cursors.
func (c *WishConnection) Edges() []*WishEdge {
	return edges(c.Conn, func(cur string, n *Wish) *WishEdge { return &WishEdge{Cursor: cur, Node: n} })
}

// LedgerEntryConnection is a page of ledger entries.
type LedgerEntryConnection struct{ Conn[*db.LedgerEntry] }

// NewLedgerEntryConnection wraps a page of ledger entries.
func NewLedgerEntryConnection(p db.Paged[*db.LedgerEntry], count Counter) *LedgerEntryConnection {
	return &LedgerEntryConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *LedgerEntryConnection) Edges() []*LedgerEntryEdge {
	return edges(c.Conn, func(cur string, n *db.LedgerEntry) *LedgerEntryEdge { return &LedgerEntryEdge{Cursor: cur, Node: n} })
}

// VolunteerRecord is a volunteer's totals; its entries are loaded when asked for.
type VolunteerRecord struct {
	AccountID       int64
	TotalHours      float64
	TotalPoints     int
	WishesCompleted int
}

// TopicConnection is a page of topics.
type TopicConnection struct{ Conn[*db.Topic] }

// NewTopicConnection wraps a page of topics.
func NewTopicConnection(p db.Paged[*db.Topic], count Counter) *TopicConnection {
	return &TopicConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *TopicConnection) Edges() []*TopicEdge {
	return edges(c.Conn, func(cur string, n *db.Topic) *TopicEdge { return &TopicEdge{Cursor: cur, Node: n} })
}

// TopicCommentConnection is a page of a topic's top-level comments.
type TopicCommentConnection struct{ Conn[*db.TopicComment] }

// NewTopicCommentConnection wraps a page of comments.
func NewTopicCommentConnection(p db.Paged[*db.TopicComment], count Counter) *TopicCommentConnection {
	return &TopicCommentConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *TopicCommentConnection) Edges() []*TopicCommentEdge {
	return edges(c.Conn, func(cur string, n *db.TopicComment) *TopicCommentEdge {
		return &TopicCommentEdge{Cursor: cur, Node: n}
	})
}

// MeetingConnection is a page of meetings.
type MeetingConnection struct{ Conn[*db.Meeting] }

// NewMeetingConnection wraps a page of meetings.
func NewMeetingConnection(p db.Paged[*db.Meeting], count Counter) *MeetingConnection {
	return &MeetingConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *MeetingConnection) Edges() []*MeetingEdge {
	return edges(c.Conn, func(cur string, n *db.Meeting) *MeetingEdge { return &MeetingEdge{Cursor: cur, Node: n} })
}

// VoteConnection is a page of votes.
type VoteConnection struct{ Conn[*db.Vote] }

// NewVoteConnection wraps a page of votes.
func NewVoteConnection(p db.Paged[*db.Vote], count Counter) *VoteConnection {
	return &VoteConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *VoteConnection) Edges() []*VoteEdge {
	return edges(c.Conn, func(cur string, n *db.Vote) *VoteEdge { return &VoteEdge{Cursor: cur, Node: n} })
}

// ResolutionConnection is a page of resolutions.
type ResolutionConnection struct{ Conn[*db.Resolution] }

// NewResolutionConnection wraps a page of resolutions.
func NewResolutionConnection(p db.Paged[*db.Resolution], count Counter) *ResolutionConnection {
	return &ResolutionConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *ResolutionConnection) Edges() []*ResolutionEdge {
	return edges(c.Conn, func(cur string, n *db.Resolution) *ResolutionEdge { return &ResolutionEdge{Cursor: cur, Node: n} })
}

// CaredResident is a resident of a household someone looks after (包联), as the viewer
// sees them.
type CaredResident struct {
	Name        string
	Phone       *string
	PhoneMasked bool
}
