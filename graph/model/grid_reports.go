package model

import "linli/db"

// ReportConnection is a page of reports (事件上报).
type ReportConnection struct{ Conn[*db.Report] }

// NewReportConnection wraps a page of reports.
func NewReportConnection(p db.Paged[*db.Report], count Counter) *ReportConnection {
	return &ReportConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *ReportConnection) Edges() []*ReportEdge {
	return edges(c.Conn, func(cur string, n *db.Report) *ReportEdge { return &ReportEdge{Cursor: cur, Node: n} })
}
