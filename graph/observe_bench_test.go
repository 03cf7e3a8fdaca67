package graph_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"linli/db"
	"linli/graph"
	"linli/metrics"
)

// LINLI_BENCH_OBSERVE runs the benchmarks as the service runs: "metrics" with the metrics
// and the statement watch on and tracing off (the default), "traces" with every request
// traced as well, to an exporter that drops the spans. Unset, nothing is observed.
var benchObserve = os.Getenv("LINLI_BENCH_OBSERVE")

type benchObservers struct {
	set    *metrics.Set
	tracer trace.Tracer
}

var benchObserved sync.Map // *testing.B -> *benchObservers

func observersOf(b *testing.B) *benchObservers {
	if o, ok := benchObserved.Load(b); ok {
		return o.(*benchObservers)
	}
	o := &benchObservers{set: metrics.New()}
	if benchObserve == "traces" {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(dropSpans{}), sdktrace.WithSampler(sdktrace.AlwaysSample()))
		b.Cleanup(func() { tp.Shutdown(context.Background()) })
		o.tracer = tp.Tracer("linli")
	}
	benchObserved.Store(b, o)
	b.Cleanup(func() { benchObserved.Delete(b) })
	return o
}

// benchDB is d, or with LINLI_BENCH_OBSERVE the same database opened with the statement
// watch, as run() opens it.
func benchDB(b *testing.B, d *sqlx.DB, dsn string) *sqlx.DB {
	if benchObserve == "" {
		return d
	}
	o := observersOf(b)
	w, err := db.OpenWatched(b.Context(), dsn, 50, db.Watch{Seconds: o.set.Statements("primary"), Tracer: o.tracer})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	return w
}

// observeBench gives the store and the handler what run() gives them.
func observeBench(b *testing.B, s *db.Store, opts *graph.Options) {
	if benchObserve == "" {
		return
	}
	o := observersOf(b)
	s.Metrics, opts.Tracer = o.set, o.tracer
	s.Metrics.WatchPool("primary", s.DB.DB)
}

type dropSpans struct{}

func (dropSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (dropSpans) Shutdown(context.Context) error                             { return nil }
