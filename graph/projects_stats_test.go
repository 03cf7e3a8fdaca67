package graph_test

import (
	"testing"

	"linli/db"
)

// TestNeedStats: the analyst reads the needs figures of 和平社区, withheld while the demo's
// one need is alone, then in exact figures once a second need joins it; organisations'
// service is shown; a resident gets FORBIDDEN.
func TestNeedStats(t *testing.T) {
	t.Parallel()
	e := newEnvWithOrgs(t)
	e.store.Stats.MinGroup = 2
	analyst := e.login(phoneAnalyst)
	const q = `query($p: [ID!]) { needStats(filter: { placeIds: $p }) { minGroupSize
		total { suppressed needs byCategory { category count } bySource { source count } matchedShare
			timeToMatch { count medianHours p90Hours } projectsOnTime projectsLate resourcesUsed }
		organisations { organisation { name } projects reports minutes } } }`
	type out struct {
		NeedStats struct {
			MinGroupSize int
			Total        struct {
				Suppressed bool
				Needs      *int
				ByCategory []struct {
					Category string
					Count    int
				}
				BySource []struct {
					Source string
					Count  int
				}
				MatchedShare *float64
				TimeToMatch  *struct {
					Count                 int
					MedianHours, P90Hours *float64
				}
				ProjectsOnTime, ProjectsLate, ResourcesUsed *int
			}
			Organisations []struct {
				Organisation               struct{ Name string }
				Projects, Reports, Minutes int
			}
		}
	}
	vars := map[string]any{"p": []string{e.placeID("和平社区")}}
	var one out
	e.do(analyst, q, vars).Decode(t, &one)
	if !one.NeedStats.Total.Suppressed || one.NeedStats.Total.Needs != nil {
		t.Fatalf("one need: got %+v, want it withheld", one.NeedStats.Total)
	}
	// The demo unit's project: one project, 刘洋's report of 3 hours.
	if o := one.NeedStats.Organisations; len(o) != 1 || o[0].Organisation.Name != orgUnit || o[0].Projects != 1 ||
		o[0].Reports != 1 || o[0].Minutes != 180 {
		t.Fatalf("organisations: got %+v, want %s with one project, one report, 180 minutes", o, orgUnit)
	}

	e.needFromWish("楼里独居老人需要助浴")
	var two out
	e.do(analyst, q, vars).Decode(t, &two)
	g := two.NeedStats.Total
	if g.Suppressed || g.Needs == nil || *g.Needs != 2 || g.MatchedShare == nil || *g.MatchedShare != 0.5 ||
		g.TimeToMatch == nil || g.TimeToMatch.Count != 1 || g.TimeToMatch.MedianHours == nil || *g.TimeToMatch.MedianHours != 96 ||
		*g.ProjectsOnTime != 0 || *g.ProjectsLate != 0 || *g.ResourcesUsed != 0 {
		t.Fatalf("two needs: got %+v, want 2, half matched in 96 hours, no project completed, no offer used", g)
	}
	bySource := map[string]int{}
	for _, s := range g.BySource {
		bySource[s.Source] = s.Count
	}
	if len(g.BySource) != 3 || bySource["WISH"] != 1 || bySource["VISIT"] != 1 || bySource["TOPIC"] != 0 {
		t.Fatalf("by source: got %+v, want one from a wish, one from a visit", g.BySource)
	}
	for _, c := range g.ByCategory {
		if want := map[bool]int{true: 2, false: 0}[c.Category == "ELDERLY_CARE"]; c.Count != want {
			t.Fatalf("by category: got %+v, want both ELDERLY_CARE", g.ByCategory)
		}
	}
	e.do(e.login(phoneResident), q, vars).wantCode(t, db.EFORBIDDEN)
}
