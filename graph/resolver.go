// Package graph serves linli's GraphQL API: gqlgen's generated executor, the resolvers, and
// the HTTP handler with its protections.
package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

// Resolver holds what the resolvers need; one per server.
type Resolver struct {
	Store *db.Store
	// Hub delivers live updates to subscriptions; without it they answer UNAVAILABLE.
	Hub *db.Hub
	// shared: reads shared by this process's subscribers (graph/live_shared.go).
	shared liveShared
}

// children lists the places under parent (the subdistricts when parent is 0), without the
// households the viewer may not see.
func (r *Resolver) children(ctx context.Context, parent int64, first *int, after *string, last *int, before *string) (*model.PlaceConnection, error) {
	page, err := pageOf(first, after, last, before)
	if err != nil {
		return nil, err
	}
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	res, err := r.Store.Children(ctx, v, parent, page)
	if err != nil {
		return nil, err
	}
	for _, p := range res.Items {
		load(ctx).place.prime(p.ID, p)
	}
	return model.NewPlaceConnection(res, func(ctx context.Context) (int, error) {
		return r.Store.CountChildren(ctx, v, parent)
	}), nil
}

// signedInAs answers a sign-in, and lets the rest of the request see the new account.
func signedInAs(ctx context.Context, s *db.Session) *model.LoginPayload {
	if req := requestFrom(ctx); req != nil && req.token == "" {
		req.token = s.Token
	}
	return &model.LoginPayload{Token: s.Token, ExpiresAt: s.ExpiresAt, Account: s.Account}
}
