package model

import "linli/db"

// NotificationConnection is a page of notifications.
type NotificationConnection struct{ Conn[*db.Notification] }

// NewNotificationConnection wraps a page of notifications.
func NewNotificationConnection(p db.Paged[*db.Notification], count Counter) *NotificationConnection {
	return &NotificationConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *NotificationConnection) Edges() []*NotificationEdge {
	return edges(c.Conn, func(cur string, n *db.Notification) *NotificationEdge { return &NotificationEdge{Cursor: cur, Node: n} })
}

// VisitNeededConnection is a page of visits needed (notifications of residents with no
// account and no phone).
type VisitNeededConnection struct{ Conn[*db.Notification] }

// NewVisitNeededConnection wraps a page of visits needed.
func NewVisitNeededConnection(p db.Paged[*db.Notification], count Counter) *VisitNeededConnection {
	return &VisitNeededConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *VisitNeededConnection) Edges() []*VisitNeededEdge {
	return edges(c.Conn, func(cur string, n *db.Notification) *VisitNeededEdge { return &VisitNeededEdge{Cursor: cur, Node: n} })
}

// FailedDeliveryConnection is a page of failed deliveries.
type FailedDeliveryConnection struct{ Conn[*db.OutboxDelivery] }

// NewFailedDeliveryConnection wraps a page of failed deliveries.
func NewFailedDeliveryConnection(p db.Paged[*db.OutboxDelivery], count Counter) *FailedDeliveryConnection {
	return &FailedDeliveryConnection{newConn(p, count)}
}

// Edges are the page's items with their cursors.
func (c *FailedDeliveryConnection) Edges() []*FailedDeliveryEdge {
	return edges(c.Conn, func(cur string, d *db.OutboxDelivery) *FailedDeliveryEdge {
		return &FailedDeliveryEdge{Cursor: cur, Node: d}
	})
}
