package graph

import (
	"context"

	"linli/db"
	"linli/graph/model"
)

func (r *mutationResolver) createAccount(ctx context.Context, in model.CreateAccountInput) (*db.Account, error) {
	place, err := idOf("placeId", "Place", in.PlaceID)
	if err != nil {
		return nil, err
	}
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	return r.Store.CreateAccount(ctx, v, db.NewAccount{Phone: in.Phone, Name: in.Name, Password: in.Password,
		PlaceID: place, Reason: in.Reason})
}

func (r *mutationResolver) changePassword(ctx context.Context, oldPassword, newPassword string) (*model.LoginPayload, error) {
	v, err := signedIn(ctx)
	if err != nil {
		return nil, err
	}
	sess, err := r.Store.ChangePassword(ctx, v, oldPassword, newPassword)
	if err != nil {
		return nil, err
	}
	return &model.LoginPayload{Token: sess.Token, ExpiresAt: sess.ExpiresAt, Account: sess.Account}, nil
}
