package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/jmoiron/sqlx"

	"linli/db/dbtest"
	"linli/db/demo"
)

// running is the program started through run() on its own database, with its addresses
// read from the banner.
type running struct {
	t      *testing.T
	public string // http://localhost:port
	admin  string // http://host:port, "" when off
	db     *sqlx.DB
	stop   func() error
}

func startRun(t *testing.T, env map[string]string) *running {
	t.Helper()
	d, dsn := dbtest.New(t)
	all := map[string]string{"DATABASE_URL": dsn, "PORT": "0", "LINLI_DATA_DIR": t.TempDir(), "LINLI_LOG_LEVEL": "error"}
	for k, v := range env {
		all[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return all[k] }, out, io.Discard) }()
	stopped := false
	r := &running{t: t, db: d, stop: func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}}
	t.Cleanup(func() { r.stop() })
	public := regexp.MustCompile(`playground: (http://[^/\s]+)/`)
	admin := regexp.MustCompile(`Metrics: (http://[^/\s]+)/metrics`)
	deadline := time.Now().Add(dbtest.TimeLeft(t))
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("run stopped before serving: %v\n%s", err, out.String())
		default:
		}
		text := out.String()
		m := public.FindStringSubmatch(text)
		a := admin.FindStringSubmatch(text)
		if m != nil && (all["LINLI_ADMIN_LISTEN"] == "" || a != nil) {
			r.public = m[1]
			if a != nil {
				r.admin = a[1]
			}
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not serving:\n%s", out.String())
	return nil
}

// post sends a GraphQL request with extra headers and returns the status and the body.
func (r *running) post(token, query string, vars map[string]any, header ...string) (int, []byte) {
	r.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, r.public+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// must sends a request that must succeed and decodes its data into dst.
func (r *running) must(token, query string, vars map[string]any, dst any, header ...string) {
	r.t.Helper()
	status, body := r.post(token, query, vars, header...)
	var out struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.Unmarshal(body, &out); err != nil || status != http.StatusOK || len(out.Errors) > 0 {
		r.t.Fatalf("%s: status %d: %s", query, status, body)
	}
	if dst != nil {
		if err := json.Unmarshal(out.Data, dst); err != nil {
			r.t.Fatal(err)
		}
	}
}

func (r *running) login(phone string, header ...string) string {
	var out struct{ Login struct{ Token string } }
	r.must("", `mutation Login($phone: String!, $password: String!) { login(phone: $phone, password: $password) { token } }`,
		map[string]any{"phone": phone, "password": demo.Password}, &out, header...)
	return out.Login.Token
}

const feedQuery = `query Feed { wishFeed(first: 20) { totalCount nodes { id canClaim beneficiaryPhone place { name } } } }`

// feedAndClaim is a volunteer's visit: the feed, one wish claimed from it, and who they are.
func (r *running) feedAndClaim(token string, header ...string) {
	r.t.Helper()
	var feed struct {
		WishFeed struct {
			Nodes []struct {
				ID       string
				CanClaim bool
			}
		}
	}
	r.must(token, feedQuery, nil, &feed, header...)
	for _, w := range feed.WishFeed.Nodes {
		if w.CanClaim {
			r.must(token, `mutation Claim($id: ID!) { claimWish(wishId: $id) { state } }`, map[string]any{"id": w.ID}, nil, header...)
			return
		}
	}
	r.t.Fatal("the demo feed has no wish the volunteer can claim")
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// sample is the value of the series name{labels} in a /metrics text (labels as printed,
// in name order), and whether it is there.
func sample(text, series string) (float64, bool) {
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.Fields(v)[0], 64)
			return f, err == nil
		}
	}
	return 0, false
}

// After a volunteer's visit and a bad request, the admin listener's /metrics counts them by
// operation and outcome and shows statement times, loader batches and the pool; the
// public port serves neither the metrics nor pprof.
func TestMetrics(t *testing.T) {
	t.Parallel()
	// The background work (sweeps, reminders, the outbox) runs once at the start and not
	// again during the test, so that the feed's statements can be counted alone.
	r := startRun(t, map[string]string{"LINLI_ADMIN_LISTEN": "127.0.0.1:0", "LINLI_NOTIFY_INTERVAL": "1h", "LINLI_SWEEP_INTERVAL": "1h"})
	if r.admin == "" {
		t.Fatal("banner names no admin listener")
	}
	volunteer := r.login("13800000002")
	r.feedAndClaim(volunteer)
	// Every statement passes through the watching driver, which adds none: the feed is
	// still the four of TestFeedStatementCount (its statements are prepared by now).
	for _, first := range []string{`linli_sweep_runs_total{sweep="forget_login_failures"}`, `linli_sweep_runs_total{sweep="outbox"}`} {
		for deadline := time.Now().Add(dbtest.TimeLeft(t)); ; time.Sleep(50 * time.Millisecond) {
			if _, text := get(t, r.admin+"/metrics"); strings.Contains(text, first+" ") || time.Now().After(deadline) {
				break
			}
		}
	}
	count := dbtest.Statements(t, r.db)
	r.must(volunteer, feedQuery, nil, nil)
	if n := count(); n != 4 {
		t.Errorf("statements of the feed through the watched driver: got %d, want 4", n)
	}
	// Roles come through a loader (grantsByAccount).
	r.must(volunteer, `query Me { me { name roles { role } } }`, nil, nil)
	r.must(r.login("13800000009"), `query Figures { wishStats { minGroupSize } }`, nil, nil)
	if status, body := r.post(volunteer, `query Broken { wishFeed { nope } }`, nil); !bytes.Contains(body, []byte("INVALID_INPUT")) {
		t.Fatalf("invalid query: got %d %s, want INVALID_INPUT", status, body)
	}
	if status, _ := r.post("", `{ me { id } }`, nil, "Origin", "http://elsewhere.example"); status != http.StatusForbidden {
		t.Fatalf("cross-site request: got status %d, want 403", status)
	}
	if status, _ := r.post("", `{ me { id } }`, nil, "Authorization", "Bearer not-a-token"); status != http.StatusOK {
		t.Fatalf("unknown token: got status %d", status)
	}

	// The sweeps run once at the start, beside the requests: wait for the first.
	var code int
	var text string
	for deadline := time.Now().Add(dbtest.TimeLeft(t)); ; {
		code, text = get(t, r.admin+"/metrics")
		if _, ok := sample(text, `linli_sweep_runs_total{sweep="forget_login_failures"}`); ok || code != http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != http.StatusOK {
		t.Fatalf("/metrics on the admin listener: got %d", code)
	}
	for _, want := range []string{
		`linli_graphql_requests_total{operation="Login",outcome="ok"}`,
		`linli_graphql_requests_total{operation="Feed",outcome="ok"}`,
		`linli_graphql_requests_total{operation="Claim",outcome="ok"}`,
		`linli_graphql_requests_total{operation="Me",outcome="ok"}`,
		// Refused before it ran: its name is not used.
		`linli_graphql_requests_total{operation="invalid",outcome="INVALID_INPUT"}`,
		`linli_graphql_requests_total{operation="anonymous",outcome="UNAUTHENTICATED"}`,
		`linli_graphql_requests_total{operation="invalid",outcome="FORBIDDEN"}`,
		`linli_graphql_request_duration_seconds_count{operation="Feed"}`,
		`linli_http_requests_total{route="/query",status="200"}`,
		`linli_db_statement_duration_seconds_count{db="primary"}`,
		`linli_loader_batch_size_count{loader="grantsByAccount"}`,
		`linli_stats_query_duration_seconds_count{figure="wish"}`,
		`linli_sweep_runs_total{sweep="lapse_claims"}`,
		`linli_sweep_duration_seconds_count{sweep="close_votes"}`,
		`go_sql_max_open_connections{db_name="primary"}`,
		`go_goroutines`,
	} {
		if v, ok := sample(text, want); !ok || v < 1 {
			t.Errorf("/metrics: got %s = %v (present %v), want at least 1", want, v, ok)
		}
	}
	for _, want := range []string{
		`go_sql_open_connections{db_name="primary"}`, `go_sql_in_use_connections{db_name="primary"}`,
		`go_sql_idle_connections{db_name="primary"}`, `go_sql_wait_count_total{db_name="primary"}`,
		`go_sql_wait_duration_seconds_total{db_name="primary"}`,
		`linli_subscriptions`,
	} {
		if _, ok := sample(text, want); !ok {
			t.Errorf("/metrics: no %s", want)
		}
	}
	var excerpt []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "linli_") && !strings.Contains(line, "_bucket{") || strings.HasPrefix(line, "go_sql_") ||
			strings.HasPrefix(line, "linli_db_statement_duration_seconds_bucket") {
			excerpt = append(excerpt, line)
		}
	}
	t.Logf("/metrics (linli_ and go_sql_ series, buckets but the statements' left out):\n%s", strings.Join(excerpt, "\n"))
	if strings.Contains(text, `operation="Broken"`) {
		t.Error("/metrics: an invalid document's operation name became a label")
	}
	if code, _ := get(t, r.admin+"/debug/pprof/"); code != http.StatusOK {
		t.Errorf("/debug/pprof/ on the admin listener: got %d", code)
	}
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
		if code, _ := get(t, r.public+path); code != http.StatusNotFound {
			t.Errorf("%s on the public port: got %d, want 404", path, code)
		}
	}
}

func TestAdminListenSetting(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want string // "" for accepted
	}{
		{map[string]string{}, ""},
		{map[string]string{"LINLI_ADMIN_LISTEN": "off"}, ""},
		{map[string]string{"LINLI_ADMIN_LISTEN": "127.0.0.1:9090"}, ""},
		{map[string]string{"LINLI_ADMIN_LISTEN": "9090"}, "host:port"},
		{map[string]string{"LINLI_ADMIN_LISTEN": "localhost:metrics"}, "port number"},
		{map[string]string{"LINLI_ADMIN_LISTEN": ":8080"}, "public port"},
		{map[string]string{"LINLI_ADMIN_LISTEN": "0.0.0.0:7000", "PORT": "7000"}, "public port"},
	} {
		_, err := readSettings(func(k string) string { return tc.env[k] })
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%v: got %v, want %q", tc.env, err, tc.want)
		}
	}
}

func TestTracingSettings(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, m := range []map[string]string{
		{},
		{"OTEL_SERVICE_NAME": "linli", "OTEL_TRACES_SAMPLER": "always_on"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"},
	} {
		tr, err := setupTracing(t.Context(), env(m))
		if err != nil || tr.Tracer() != nil {
			t.Errorf("%v: got tracer %v and %v, want tracing off", m, tr.Tracer(), err)
		}
	}
	for _, m := range []map[string]string{
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_SAMPLER": "sometimes"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"},
		{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
	} {
		if _, err := setupTracing(t.Context(), env(m)); err == nil {
			t.Errorf("%v: got no error", m)
		}
	}
}

// receiver is an OTLP/HTTP trace receiver keeping every span it is sent.
type receiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &req)
	}
	if r.URL.Path != "/v1/traces" || err != nil {
		http.Error(w, fmt.Sprint(r.URL.Path, err), http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			rc.spans = append(rc.spans, ss.Spans...)
		}
	}
	rc.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			if v, ok := a.Value.Value.(*commonpb.AnyValue_StringValue); ok {
				return v.StringValue
			}
			return a.Value.String()
		}
	}
	return ""
}

// A request sent with a traceparent is traced as its caller's child, with a span per SQL
// statement under it; no span carries a value from the request (the phone number signed
// in with, the password), only statement texts with their placeholders.
func TestTraces(t *testing.T) {
	t.Parallel()
	rc := &receiver{}
	collector := httptest.NewServer(rc)
	defer collector.Close()
	r := startRun(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_SERVICE_NAME": "linli-test"})

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	traceparent := "00-" + traceID + "-" + parentID + "-01"
	phone := "13800000002"
	volunteer := r.login(phone, "traceparent", traceparent)
	r.feedAndClaim(volunteer, "traceparent", traceparent)
	if err := r.stop(); err != nil { // sends the spans still buffered
		t.Fatalf("run: %v", err)
	}

	rc.mu.Lock()
	spans := rc.spans
	rc.mu.Unlock()
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.SpanId)] = s
		for _, a := range s.Attributes {
			if v := a.Value.String(); strings.Contains(v, phone) || strings.Contains(v, demo.Password) {
				t.Errorf("span %q: attribute %s carries a value from the request: %s", s.Name, a.Key, v)
			}
		}
	}
	requests := map[string]*tracepb.Span{} // by name
	for _, s := range spans {
		if hex.EncodeToString(s.TraceId) == traceID && hex.EncodeToString(s.ParentSpanId) == parentID {
			requests[s.Name] = s
		}
	}
	for _, name := range []string{"mutation Login", "query Feed", "mutation Claim"} {
		req := requests[name]
		if req == nil {
			t.Fatalf("no span %q in trace %s under the caller's span %s; got %d spans", name, traceID, parentID, len(spans))
		}
		if req.Kind != tracepb.Span_SPAN_KIND_SERVER || attr(req, "linli.outcome") != "ok" {
			t.Errorf("%s: got kind %v outcome %q, want a server span with outcome ok", name, req.Kind, attr(req, "linli.outcome"))
		}
		var statements []*tracepb.Span
		for _, s := range spans {
			if bytes.Equal(s.ParentSpanId, req.SpanId) {
				statements = append(statements, s)
			}
		}
		if len(statements) == 0 {
			t.Errorf("%s: no SQL spans under it", name)
		}
		for _, s := range statements {
			if !bytes.Equal(s.TraceId, req.TraceId) || attr(s, "db.system") != "postgresql" || attr(s, "db.query.text") == "" {
				t.Errorf("%s: child %q: got system %q text %q, want postgresql with the statement", name, s.Name, attr(s, "db.system"), attr(s, "db.query.text"))
			}
		}
	}
	// What the README shows: the claim's trace.
	claim := requests["mutation Claim"]
	var children []*tracepb.Span
	for _, s := range spans {
		if bytes.Equal(s.ParentSpanId, claim.SpanId) {
			children = append(children, s)
		}
	}
	sort.Slice(children, func(i, j int) bool { return children[i].StartTimeUnixNano < children[j].StartTimeUnixNano })
	ms := func(s *tracepb.Span) string {
		return strconv.FormatFloat(float64(s.EndTimeUnixNano-s.StartTimeUnixNano)/1e6, 'f', 2, 64) + " ms"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  trace %s  parent %s  outcome=%s\n", claim.Name, ms(claim), traceID, parentID, attr(claim, "linli.outcome"))
	for _, s := range children {
		text := strings.Join(strings.Fields(attr(s, "db.query.text")), " ")
		if len(text) > 90 {
			text = text[:90] + "…"
		}
		fmt.Fprintf(&b, "  └ %-8s %9s  %s\n", s.Name, ms(s), text)
	}
	t.Logf("trace of one claim, as the receiver got it:\n%s", b.String())
}

// With both background intervals off a process only serves requests: no sweep, reminder
// or outbox run is ever counted. A bad interval is refused, naming the setting.
func TestBackgroundWorkOff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ sweep, notify, want string }{
		{"off", "OFF", ""},
		{"never", "", "LINLI_SWEEP_INTERVAL"},
		{"", "0", "LINLI_NOTIFY_INTERVAL"},
	} {
		s, err := readSettings(func(k string) string {
			return map[string]string{"LINLI_SWEEP_INTERVAL": tc.sweep, "LINLI_NOTIFY_INTERVAL": tc.notify}[k]
		})
		if tc.want == "" && (err != nil || s.sweepEvery != 0 || s.notify.Every != 0) {
			t.Errorf("%+v: got %v, %v, %v, want both off", tc, err, s.sweepEvery, s.notify.Every)
		} else if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: got %v, want an error naming %s", tc, err, tc.want)
		}
	}
	r := startRun(t, map[string]string{"LINLI_ADMIN_LISTEN": "127.0.0.1:0", "LINLI_NOTIFY_INTERVAL": "off", "LINLI_SWEEP_INTERVAL": "off"})
	r.feedAndClaim(r.login("13800000002"))
	code, text := get(t, r.admin+"/metrics")
	if code != http.StatusOK || !strings.Contains(text, `linli_graphql_requests_total{operation="Claim",outcome="ok"}`) {
		t.Fatalf("metrics: got %d without request counts", code)
	}
	if strings.Contains(text, "linli_sweep_runs_total{") {
		t.Fatalf("background work ran with both intervals off:\n%s", text)
	}
}
