package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"linli/db/dbtest"
)

// An answer of figures reads its parts side by side, a connection each. Analysts asking at
// once on a small pool all get their answers: none holds some connections while it waits
// for the rest (two answers doing so could each wait for the other for ever).
func TestStatsShareASmallPool(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	analyst := e.login(phoneAnalyst)
	e.db.SetMaxOpenConns(3) // an answer with its total takes two or three
	const q = `{ participationStats(groupBy: {placeLevel: COMMUNITY, period: QUARTER}) { groups { periodStart }
		total { topics { raised } votes { closed } } } }`
	body, _ := json.Marshal(map[string]any{"query": q})
	// A pool that deadlocks never answers: wait as long as the binary may, but at most two
	// minutes, so that the failure shows rather than the package's time-out.
	ctx, cancel := context.WithTimeout(t.Context(), min(dbtest.TimeLeft(t), 2*time.Minute))
	defer cancel()
	const analysts = 12
	var wg sync.WaitGroup
	errs := make(chan string, analysts)
	for range analysts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/query", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+analyst)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer res.Body.Close()
			var r struct {
				Data   *struct{ ParticipationStats *struct{ Total any } }
				Errors []any
			}
			if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
				errs <- err.Error()
			} else if len(r.Errors) > 0 || r.Data == nil || r.Data.ParticipationStats == nil || r.Data.ParticipationStats.Total == nil {
				b, _ := json.Marshal(r)
				errs <- string(b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("an analyst got no figures: %s", err)
	}
}
