package model

import "linli/db"

// RosterHouseholdConnection is a page of the roster as of a day.
type RosterHouseholdConnection struct{ Conn[*db.RosterHousehold] }

// NewRosterHouseholdConnection wraps a page of the roster.
func NewRosterHouseholdConnection(p db.Paged[*db.RosterHousehold], count Counter) *RosterHouseholdConnection {
	return &RosterHouseholdConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *RosterHouseholdConnection) Edges() []*RosterHouseholdEdge {
	return edges(c.Conn, func(cur string, n *db.RosterHousehold) *RosterHouseholdEdge {
		return &RosterHouseholdEdge{Cursor: cur, Node: n}
	})
}
