package graph

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"linli/db"
	"linli/metrics"
)

// observe counts each request in the store's metrics and, when tracing is on, runs it in a
// span: the child of the caller's when it sent a W3C traceparent, named by the operation,
// with the outcome as an attribute. The SQL it runs makes the span's children (db.Watch).
// It runs inside logRequests, which put the request in the context.
func (cfg Options) observe(next http.Handler, set *metrics.Set) http.Handler {
	if set == nil && cfg.Tracer == nil {
		return next
	}
	var carrier propagation.TraceContext
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx := r.Context()
		var span trace.Span
		// Probes come every few seconds and say nothing a trace would add.
		if cfg.Tracer != nil && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			ctx = carrier.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = cfg.Tracer.Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer))
			r = r.WithContext(ctx)
		}
		sw := &outcomeWriter{ResponseWriter: w}
		defer func() {
			req := requestFrom(ctx)
			route := r.Pattern // set by the mux on r as it dispatched
			if route == "" {
				route = "unmatched"
			}
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			set.HTTPRequest(route, status)
			if req == nil || r.URL.Path != "/query" {
				if span != nil {
					if !strings.Contains(route, " ") { // else the pattern names the method
						route = r.Method + " " + route
					}
					span.SetName(route)
					span.SetAttributes(attribute.Int("http.response.status_code", status))
					span.End()
				}
				return
			}
			op := set.OperationLabel(req.doc != nil, req.operation)
			outcome := req.outcomeOf(status)
			set.Request(op, outcome, time.Since(start))
			if span == nil {
				return
			}
			name := op
			if req.kind != "" {
				name = req.kind + " " + op
			}
			span.SetName(name)
			span.SetAttributes(attribute.String("graphql.operation.name", op), attribute.String("graphql.operation.type", req.kind),
				attribute.String("linli.outcome", outcome), attribute.String("linli.request_id", req.id),
				attribute.String("http.request.method", r.Method), attribute.String("http.route", route),
				attribute.Int("http.response.status_code", status))
			if outcome != "ok" {
				span.SetStatus(codes.Error, outcome)
			}
			span.End()
		}()
		next.ServeHTTP(sw, r)
	})
}

// outcomeWriter remembers the status.
type outcomeWriter struct {
	http.ResponseWriter
	status int
}

func (o *outcomeWriter) WriteHeader(code int) {
	if o.status == 0 {
		o.status = code
	}
	o.ResponseWriter.WriteHeader(code)
}

func (o *outcomeWriter) Write(b []byte) (int, error) {
	if o.status == 0 {
		o.status = http.StatusOK
	}
	return o.ResponseWriter.Write(b)
}

// Flush and Unwrap keep streaming answers and http.ResponseController working through it.
func (o *outcomeWriter) Flush() {
	if f, ok := o.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (o *outcomeWriter) Unwrap() http.ResponseWriter { return o.ResponseWriter }

// outcome is what a request came to: "ok" or the first error's extensions.code.
type outcome struct{ code atomic.Pointer[string] }

// note records code unless an earlier error set the outcome.
func (o *outcome) note(code string) { o.code.CompareAndSwap(nil, &code) }

// set records code whatever was noted: the answer gqlgen sends decides.
func (o *outcome) set(code string) { o.code.Store(&code) }

// noteOutcome records the first error's code for the request in ctx, if any.
func noteOutcome(ctx context.Context, gerr *gqlerror.Error) {
	if req := requestFrom(ctx); req != nil && gerr != nil {
		req.outcome.note(codeOf(gerr))
	}
}

// setOutcome records what gqlgen answered: ok, or its first error's code.
func setOutcome(ctx context.Context, errs gqlerror.List) {
	if req := requestFrom(ctx); req != nil {
		if len(errs) == 0 {
			req.outcome.set("ok")
		} else {
			req.outcome.set(codeOf(errs[0]))
		}
	}
}

func codeOf(gerr *gqlerror.Error) string {
	if code, ok := gerr.Extensions["code"].(string); ok && code != "" {
		return code
	}
	return db.EINTERNAL
}

// outcomeOf is the outcome recorded, or else what the status says: every refusal goes
// through presentError or writeError, so this covers only an answer written some other way.
func (r *request) outcomeOf(status int) string {
	if c := r.outcome.code.Load(); c != nil {
		return *c
	}
	switch {
	case status < 400:
		return "ok"
	case status < 500:
		return db.EINVALID
	}
	return db.EINTERNAL
}
