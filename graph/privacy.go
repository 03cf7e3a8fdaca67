package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"linli/db"
)

// personal enforces @personal: an account whose only role is analyst reads aggregates and
// non-personal fields, so it is refused every field, argument and filter the schema marks
// personal (its own account excepted) before anything is resolved. Every other viewer is
// left to the usual rules of each field.
func personal(ctx context.Context, obj any, next graphql.Resolver) (any, error) {
	v, err := viewer(ctx)
	if err != nil || !v.OnlyAnalyst() {
		return next(ctx)
	}
	if input, ok := obj.(map[string]any); ok {
		// An argument or input field: only a value actually given filters on it.
		field := ""
		if pc := graphql.GetPathContext(ctx); pc != nil && pc.Field != nil {
			field = *pc.Field
		}
		if value, given := input[field]; !given || value == nil {
			return next(ctx)
		}
		return nil, &db.Error{Code: db.EFORBIDDEN, Field: field,
			Message: "数据分析员不能按个人信息（字段 " + field + "）筛选，请改用统计接口的地点、时间、类别等条件"}
	}
	switch o := obj.(type) {
	case *db.Account:
		if v.Is(o.ID) {
			return next(ctx)
		}
	case *db.Resident:
		if v.IsResident(o.ID) {
			return next(ctx)
		}
	case *db.Place:
		if o.Level != db.LevelHousehold { // only a household's name and area are an address
			return next(ctx)
		}
	}
	field := graphql.GetFieldContext(ctx).Field.Name
	return nil, &db.Error{Code: db.EFORBIDDEN, Field: field,
		Message: "数据分析员只能查看汇总数字和非个人信息，不能查看字段 " + field}
}

// turnoutByBuilding is a vote's participation per building. An analyst sees buildings with
// fewer people on the roll than the statistics threshold merged into one row without a
// building, made up to the threshold from the smallest others if need be, so no row
// tells whether a particular household voted; the rows still add up to the turnout.
func (r *voteResolver) turnoutByBuilding(ctx context.Context, obj *db.Vote) ([]*db.BuildingTurnout, error) {
	rows, _, err := load(ctx).turnoutByBuilding.load(obj.ID)
	if err != nil {
		return nil, err
	}
	if rows == nil {
		rows = []*db.BuildingTurnout{}
	}
	v, err := viewer(ctx)
	if err != nil || !v.OnlyAnalyst() {
		return rows, err
	}
	return mergeSmallBuildings(rows, r.Store.Stats.MinGroup), nil
}

func mergeSmallBuildings(rows []*db.BuildingTurnout, threshold int) []*db.BuildingTurnout {
	var kept []*db.BuildingTurnout
	rest := &db.BuildingTurnout{}
	add := func(b *db.BuildingTurnout) {
		rest.EntitledHeads += b.EntitledHeads
		rest.ParticipatingHeads += b.ParticipatingHeads
		rest.EntitledAreaDm2 += b.EntitledAreaDm2
		rest.ParticipatingDm2 += b.ParticipatingDm2
	}
	for _, b := range rows {
		if b.BuildingID != nil && b.EntitledHeads >= threshold {
			kept = append(kept, b)
		} else {
			add(b)
		}
	}
	for rest.EntitledHeads > 0 && rest.EntitledHeads < threshold && len(kept) > 0 {
		smallest := 0
		for i, b := range kept {
			if b.EntitledHeads < kept[smallest].EntitledHeads {
				smallest = i
			}
		}
		add(kept[smallest])
		kept = append(kept[:smallest:smallest], kept[smallest+1:]...)
	}
	if rest.EntitledHeads > 0 {
		kept = append(kept, rest)
	}
	return kept
}
