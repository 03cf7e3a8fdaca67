// Package metrics holds linli's Prometheus metrics: one Set per process, on a registry of
// its own (never the library's global one), served at /metrics on the admin listener.
//
// Every method is safe on a nil *Set and then does nothing, so code run without metrics
// (most tests, the benchmarks' baseline) pays nothing for them.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Operation labels for requests whose operation name is not used (OperationLabel).
const (
	Invalid   = "invalid"   // refused before it ran: bad body, unparsable or invalid document, a limit
	Anonymous = "anonymous" // a valid document with no operation name
	Other     = "other"     // a name past MaxOperationNames, or not a short GraphQL name
)

// MaxOperationNames bounds the operation label: a client chooses the names, so after this
// many distinct ones the rest count as Other.
const MaxOperationNames = 200

// maxNameLen is the longest operation name kept as a label.
const maxNameLen = 64

// Set is one process's metrics.
type Set struct {
	reg *prometheus.Registry

	requests       *prometheus.CounterVec   // operation, outcome
	requestSeconds *prometheus.HistogramVec // operation
	httpRequests   *prometheus.CounterVec   // route, status
	statement      *prometheus.HistogramVec // db
	loaderBatch    *prometheus.HistogramVec // loader
	sweeps         *prometheus.CounterVec   // sweep
	sweepItems     *prometheus.CounterVec   // sweep
	sweepErrors    *prometheus.CounterVec   // sweep
	sweepSeconds   *prometheus.HistogramVec // sweep
	statsSeconds   *prometheus.HistogramVec // figure

	mu    sync.RWMutex
	names map[string]bool // operation names given a label of their own
}

// New returns a Set registered on a new registry with the Go runtime and process collectors.
func New() *Set {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	s := &Set{reg: reg, names: map[string]bool{}}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linli_graphql_requests_total",
		Help: "GraphQL requests at /query by operation name and outcome (ok, or the first error's extensions.code).",
	}, []string{"operation", "outcome"})
	s.requestSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "linli_graphql_request_duration_seconds",
		Help:    "Time to answer a GraphQL request at /query, by operation name.",
		Buckets: prometheus.DefBuckets,
	}, []string{"operation"})
	s.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linli_http_requests_total",
		Help: "HTTP requests by route (the pattern that matched, or unmatched) and status.",
	}, []string{"route", "status"})
	s.statement = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "linli_db_statement_duration_seconds",
		Help:    "Time of one SQL statement (BEGIN and COMMIT included), rows read, by database (primary or replica).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 4, 9), // 0.1 ms to 6.5 s
	}, []string{"db"})
	s.loaderBatch = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "linli_loader_batch_size",
		Help:    "Keys in one batch a request's loader sends as one statement, by loader.",
		Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500},
	}, []string{"loader"})
	s.sweeps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linli_sweep_runs_total",
		Help: "Runs of a periodic sweep (lapse_claims, close_votes, forget_login_failures).",
	}, []string{"sweep"})
	s.sweepItems = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linli_sweep_items_total",
		Help: "Rows a sweep changed: claims lapsed, votes closed, sign-in failure counts removed.",
	}, []string{"sweep"})
	s.sweepErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "linli_sweep_errors_total",
		Help: "Sweep runs that failed.",
	}, []string{"sweep"})
	s.sweepSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "linli_sweep_duration_seconds",
		Help:    "Time of one sweep run.",
		Buckets: prometheus.ExponentialBuckets(0.001, 4, 8), // 1 ms to 16 s
	}, []string{"sweep"})
	s.statsSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "linli_stats_query_duration_seconds",
		Help:    "Time to compute figures for analysts, by figure (wish, volunteer, participation), refusals included.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"figure"})
	for _, c := range []prometheus.Collector{s.requests, s.requestSeconds, s.httpRequests, s.statement, s.loaderBatch,
		s.sweeps, s.sweepItems, s.sweepErrors, s.sweepSeconds, s.statsSeconds} {
		f(c)
	}
	return s
}

// Registry is where the Set's metrics live. Code that brings its own metrics (such as the
// subscriptions' gauge) registers them here, or through Register.
func (s *Set) Registry() *prometheus.Registry {
	if s == nil {
		return nil
	}
	return s.reg
}

// Register adds c to the Set's registry; on a nil Set it does nothing.
func (s *Set) Register(c prometheus.Collector) error {
	if s == nil {
		return nil
	}
	return s.reg.Register(c)
}

// Subscriptions shows count (the subscriptions this process serves) as linli_subscriptions,
// read at each scrape; on a nil Set it does nothing.
func (s *Set) Subscriptions(count func() int) error {
	return s.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "linli_subscriptions",
		Help: "Subscriptions (live updates) this process serves now.",
	}, func() float64 { return float64(count()) }))
}

// Handler serves the registry in the Prometheus text format (or OpenMetrics when asked).
func (s *Set) Handler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg, EnableOpenMetrics: true})
}

// WatchPool exports d's connection pool (sql.DBStats: open, in use, idle, wait count and
// wait time) as the go_sql_* series with db_name set to name.
func (s *Set) WatchPool(name string, d *sql.DB) error {
	if s == nil {
		return nil
	}
	return s.reg.Register(collectors.NewDBStatsCollector(d, name))
}

// OperationLabel is the label a request counts under. The operation's own name only when
// the document was valid (valid) and the name is a GraphQL name of at most 64 characters,
// and only for the first MaxOperationNames names the process sees; otherwise Invalid,
// Anonymous or Other. Clients choose the names, so the labels stay bounded.
func (s *Set) OperationLabel(valid bool, name string) string {
	switch {
	case !valid:
		return Invalid
	case name == "":
		return Anonymous
	case !wellFormed(name):
		return Other
	case s == nil: // no series to bound: a trace's span name only
		return name
	}
	s.mu.RLock()
	known := s.names[name]
	full := len(s.names) >= MaxOperationNames
	s.mu.RUnlock()
	if known {
		return name
	}
	if full {
		return Other
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.names[name] && len(s.names) >= MaxOperationNames {
		return Other
	}
	s.names[name] = true
	return name
}

// wellFormed reports whether name is a GraphQL name ([_A-Za-z][_0-9A-Za-z]*) of at most
// maxNameLen characters. The parser has checked it already; this is the label's own guard.
func wellFormed(name string) bool {
	if len(name) > maxNameLen {
		return false
	}
	for i, c := range []byte(name) {
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Request counts a GraphQL request under operation (from OperationLabel) and outcome.
func (s *Set) Request(operation, outcome string, took time.Duration) {
	if s == nil {
		return
	}
	s.requests.WithLabelValues(operation, outcome).Inc()
	s.requestSeconds.WithLabelValues(operation).Observe(took.Seconds())
}

// HTTPRequest counts an HTTP request by route and status.
func (s *Set) HTTPRequest(route string, status int) {
	if s == nil {
		return
	}
	s.httpRequests.WithLabelValues(route, statusText(status)).Inc()
}

// Statements returns the observer of statement times on database name (primary or
// replica), or nil on a nil Set.
func (s *Set) Statements(name string) prometheus.Observer {
	if s == nil {
		return nil
	}
	return s.statement.WithLabelValues(name)
}

// LoaderBatch records the size of a batch loader sends.
func (s *Set) LoaderBatch(loader string, keys int) {
	if s == nil {
		return
	}
	s.loaderBatch.WithLabelValues(loader).Observe(float64(keys))
}

// Sweep records one run of sweep: the rows it changed, whether it failed, and its time.
func (s *Set) Sweep(sweep string, items int, failed bool, took time.Duration) {
	if s == nil {
		return
	}
	s.sweeps.WithLabelValues(sweep).Inc()
	s.sweepItems.WithLabelValues(sweep).Add(float64(items))
	if failed {
		s.sweepErrors.WithLabelValues(sweep).Inc()
	}
	s.sweepSeconds.WithLabelValues(sweep).Observe(took.Seconds())
}

// StatsQuery records the time of one answer of figure, from started; use it deferred.
func (s *Set) StatsQuery(figure string, started time.Time) {
	if s == nil {
		return
	}
	s.statsSeconds.WithLabelValues(figure).Observe(time.Since(started).Seconds())
}

// statusTexts spare a status label its allocation on every request.
var statusTexts = func() map[int]string {
	m := map[int]string{}
	for c := 100; c < 600; c++ {
		m[c] = strconv.Itoa(c)
	}
	return m
}()

func statusText(code int) string {
	if t, ok := statusTexts[code]; ok {
		return t
	}
	return "other"
}
