package model

import "linli/db"

// The connections of dual reporting and the resources list (db/orgs*.go). They have no
// totalCount: the lists are short, and a count would be a second query per list.

// OrganisationConnection is a page of organisations.
type OrganisationConnection struct{ Conn[*db.Organisation] }

// NewOrganisationConnection wraps a page of organisations.
func NewOrganisationConnection(p db.Paged[*db.Organisation]) *OrganisationConnection {
	return &OrganisationConnection{newConn(p, nil)}
}

// Edges are the page's items with their cursors.
func (c *OrganisationConnection) Edges() []*OrganisationEdge {
	return edges(c.Conn, func(cur string, n *db.Organisation) *OrganisationEdge { return &OrganisationEdge{Cursor: cur, Node: n} })
}

// ResourceConnection is a page of resources.
type ResourceConnection struct{ Conn[*db.Resource] }

// NewResourceConnection wraps a page of resources.
func NewResourceConnection(p db.Paged[*db.Resource]) *ResourceConnection {
	return &ResourceConnection{newConn(p, nil)}
}

// Edges are the page's items with their cursors.
func (c *ResourceConnection) Edges() []*ResourceEdge {
	return edges(c.Conn, func(cur string, n *db.Resource) *ResourceEdge { return &ResourceEdge{Cursor: cur, Node: n} })
}

// MemberCheckInConnection is a page of member check-ins.
type MemberCheckInConnection struct{ Conn[*db.MemberCheckIn] }

// NewMemberCheckInConnection wraps a page of member check-ins.
func NewMemberCheckInConnection(p db.Paged[*db.MemberCheckIn]) *MemberCheckInConnection {
	return &MemberCheckInConnection{newConn(p, nil)}
}

// Edges are the page's items with their cursors.
func (c *MemberCheckInConnection) Edges() []*MemberCheckInEdge {
	return edges(c.Conn, func(cur string, n *db.MemberCheckIn) *MemberCheckInEdge {
		return &MemberCheckInEdge{Cursor: cur, Node: n}
	})
}

// OrganisationCheckInConnection is a page of organisation check-ins.
type OrganisationCheckInConnection struct{ Conn[*db.OrganisationCheckIn] }

// NewOrganisationCheckInConnection wraps a page of organisation check-ins.
func NewOrganisationCheckInConnection(p db.Paged[*db.OrganisationCheckIn]) *OrganisationCheckInConnection {
	return &OrganisationCheckInConnection{newConn(p, nil)}
}

// Edges are the page's items with their cursors.
func (c *OrganisationCheckInConnection) Edges() []*OrganisationCheckInEdge {
	return edges(c.Conn, func(cur string, n *db.OrganisationCheckIn) *OrganisationCheckInEdge {
		return &OrganisationCheckInEdge{Cursor: cur, Node: n}
	})
}
