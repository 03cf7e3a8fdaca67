package graph

import (
	"context"
	"time"

	"linli/db"
)

type projectLoaders struct {
	need        *loader[*db.Need]
	needByWish  *loader[*db.Need]
	needByTopic *loader[*db.Need]
	needEvents  *loader[[]*db.NeedEvent]
}

func newProjectLoaders(ctx context.Context, s *db.Store, wait time.Duration) *projectLoaders {
	return &projectLoaders{
		need:        newLoader(ctx, wait, s.NeedsByID).as("need"),
		needByWish:  newLoader(ctx, wait, s.NeedsByWish).as("needByWish"),
		needByTopic: newLoader(ctx, wait, s.NeedsByTopic).as("needByTopic"),
		needEvents:  newLoader(ctx, wait, s.NeedEventsByNeed).as("needEvents"),
	}
}
