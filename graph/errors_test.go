package graph_test

import "testing"

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
