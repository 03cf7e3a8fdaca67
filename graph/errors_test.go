package graph_test

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"linli/graph"
)

// A field refused on every row of a list is reported once, not once per row.
func TestOneErrorPerFieldAndReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	resident := e.login(phoneResident)
	var ids []string
	for _, title := range []string{"楼道灯不亮", "垃圾分类点太远", "健身器材坏了"} {
		ids = append(ids, mustTopic(t, e.raise(resident, e.placeID("和平花园小区"), title)).ID)
	}
	r := e.do(e.login(phoneAnalyst), `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Topic { title raisedBy { id } } } }`, map[string]any{"ids": ids})
	if len(r.Errors) != 1 || r.Code() != "FORBIDDEN" || r.Field() != "raisedBy" {
		t.Fatalf("the analyst reading who raised 3 topics: got %d errors %+v, want one FORBIDDEN on raisedBy", len(r.Errors), r.Errors)
	}
}

// An ID of the wrong type is refused with both types named in Chinese ("这个 ID 指向的是走访，
// 这里需要心愿"), so every object that carries an `id` needs a name.
func TestEveryIDTypeHasAName(t *testing.T) {
	schema := loadSchema(t)
	checked := 0
	for name, def := range schema.Types {
		if def.Kind != ast.Object || def.BuiltIn || def.Fields.ForName("id") == nil || def.Fields.ForName("id").Type.Name() != "ID" {
			continue
		}
		checked++
		if graph.TypeNames[name] == "" {
			t.Errorf("%s has an id but no Chinese name in typeNames", name)
		}
	}
	if checked < 30 {
		t.Fatalf("only %d types with an id found: is the schema read?", checked)
	}
}
