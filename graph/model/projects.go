package model

import "linli/db"

// NeedConnection is a page of the needs list.
type NeedConnection struct{ Conn[*db.Need] }

// NewNeedConnection wraps a page of needs.
func NewNeedConnection(p db.Paged[*db.Need], count Counter) *NeedConnection {
	return &NeedConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *NeedConnection) Edges() []*NeedEdge {
	return edges(c.Conn, func(cur string, n *db.Need) *NeedEdge { return &NeedEdge{Cursor: cur, Node: n} })
}
