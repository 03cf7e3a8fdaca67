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
	if err != nil || !analystOnly(v) {
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

// analystOnly reports whether every role v holds is analyst.
func analystOnly(v *db.Viewer) bool {
	if v == nil || len(v.Grants) == 0 {
		return false
	}
	for _, g := range v.Grants {
		if g.Role != db.RoleAnalyst {
			return false
		}
	}
	return true
}
