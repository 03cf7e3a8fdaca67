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

// ProposalConnection is a page of proposals.
type ProposalConnection struct{ Conn[*db.Proposal] }

// NewProposalConnection wraps a page of proposals.
func NewProposalConnection(p db.Paged[*db.Proposal], count Counter) *ProposalConnection {
	return &ProposalConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *ProposalConnection) Edges() []*ProposalEdge {
	return edges(c.Conn, func(cur string, n *db.Proposal) *ProposalEdge { return &ProposalEdge{Cursor: cur, Node: n} })
}

// ProjectConnection is a page of the projects list.
type ProjectConnection struct{ Conn[*db.Project] }

// NewProjectConnection wraps a page of projects.
func NewProjectConnection(p db.Paged[*db.Project], count Counter) *ProjectConnection {
	return &ProjectConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *ProjectConnection) Edges() []*ProjectEdge {
	return edges(c.Conn, func(cur string, n *db.Project) *ProjectEdge { return &ProjectEdge{Cursor: cur, Node: n} })
}
