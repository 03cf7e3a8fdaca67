package graph

import (
	"context"
	"strconv"

	"linli/db"
)

// notificationBatch is how many notifications one read takes; a note reads until it has
// them all (a vote opening can write many at once).
const notificationBatch = 100

// notificationAdded sends each new notification of the viewer's inbox, oldest first. It
// remembers the last id sent and, on every note (and on a resync after the listener
// reconnected), sends everything newer, so notifications that arrived while the listener
// was away are sent late rather than lost.
func (r *Resolver) notificationAdded(ctx context.Context) (<-chan *db.Notification, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	// Read before subscribe starts listening: whatever commits after this read is sent.
	last, err := r.Store.LatestNotificationID(ctx, v)
	if err != nil {
		return nil, err
	}
	return subscribe(ctx, r.Hub, liveSpec[*db.Notification]{
		tunes:   []db.Tune{{Channel: db.ChannelNotifications, Key: strconv.FormatInt(v.Account.ID, 10)}},
		allowed: func(ctx context.Context) error { _, err := signedIn(ctx); return err },
		handle: func(ctx context.Context, n db.Note) ([]*db.Notification, bool, error) {
			v, err := signedIn(ctx)
			if err != nil {
				return nil, false, err
			}
			var out []*db.Notification
			for {
				ns, err := requestFrom(ctx).store.NotificationsAfter(ctx, v, last, notificationBatch)
				if err != nil {
					return nil, false, err
				}
				if len(ns) > 0 {
					last = ns[len(ns)-1].ID
				}
				out = append(out, ns...)
				if len(ns) < notificationBatch {
					return out, false, nil
				}
			}
		},
	})
}
