package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// optionalGlobalID is the global ID of an optional reference, nil when it is not set.
func optionalGlobalID(typ string, id *int64) *string {
	if id == nil {
		return nil
	}
	g := globalID(typ, *id)
	return &g
}

// notificationList answers the notifications query.
func (r *Resolver) notificationList(ctx context.Context, unreadOnly *bool, first *int, after *string) (*model.NotificationConnection, error) {
	page, err := pageOf(first, after, nil, nil)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	res, count, err := r.Store.Notifications(ctx, v, unreadOnly != nil && *unreadOnly, page)
	if err != nil {
		return nil, err
	}
	return model.NewNotificationConnection(res, count), nil
}

// visitList answers the visitsNeeded query.
func (r *Resolver) visitList(ctx context.Context, placeID string, first *int, after *string) (*model.VisitNeededConnection, error) {
	return placeList(ctx, placeID, first, after, r.Store.VisitsNeeded, model.NewVisitNeededConnection)
}

// failedList answers the failedDeliveries query.
func (r *Resolver) failedList(ctx context.Context, placeID string, first *int, after *string) (*model.FailedDeliveryConnection, error) {
	return placeList(ctx, placeID, first, after, r.Store.FailedDeliveries, model.NewFailedDeliveryConnection)
}

// placeList answers a page of what list finds for one place: communityPage with the place
// required and no states.
func placeList[T, C any](ctx context.Context, placeID string, first *int, after *string,
	list func(context.Context, *db.Viewer, int64, db.Page) (db.Paged[T], func(context.Context) (int, error), error),
	conn func(db.Paged[T], model.Counter) C) (C, error) {
	return communityPage(ctx, &placeID, []struct{}(nil), first, after,
		func(ctx context.Context, v *db.Viewer, place int64, _ []struct{}, p db.Page) (db.Paged[T], func(context.Context) (int, error), error) {
			return list(ctx, v, place, p)
		}, func(T) {}, conn)
}

// markRead answers markNotificationsRead.
func (r *Resolver) markRead(ctx context.Context, ids []string) ([]*db.Notification, error) {
	keys, err := idsOf("ids", "Notification", ids)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.MarkNotificationsRead(ctx, v, keys)
}

// markVisited answers markVisited.
func (r *Resolver) markVisited(ctx context.Context, ids []string) ([]*db.Notification, error) {
	keys, err := idsOf("ids", "VisitNeeded", ids)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.MarkVisited(ctx, v, keys)
}

// failedNotification is the notification a failed delivery carried, read for staff who
// see the delivery (its text names no one).
func (r *Resolver) failedNotification(ctx context.Context, d *db.OutboxDelivery) (*db.Notification, error) {
	return r.Store.Notification(ctx, d.NotificationID)
}
