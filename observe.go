package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"linli/metrics"
)

// adminListen reads LINLI_ADMIN_LISTEN, the address of the listener for /metrics and
// /debug/pprof/: "" when off (the default), else host:port, never the public port.
func adminListen(getenv func(string) string, publicPort string) (string, error) {
	v := strings.TrimSpace(getenv("LINLI_ADMIN_LISTEN"))
	switch strings.ToLower(v) {
	case "", "off":
		return "", nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", fmt.Errorf("LINLI_ADMIN_LISTEN=%q: want host:port, such as 127.0.0.1:9090, or off", v)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("LINLI_ADMIN_LISTEN=%q: want a port number after the colon", v)
	}
	if port == publicPort && port != "0" {
		return "", fmt.Errorf("LINLI_ADMIN_LISTEN=%q: metrics and pprof never share the public port (%s)", v, publicPort)
	}
	return net.JoinHostPort(host, port), nil
}

// serveAdmin serves /metrics and /debug/pprof/ on their own listener; it returns the
// listener's address and a function that stops it (a scrape or a profile in progress is
// cut: neither is worth delaying shutdown for).
func serveAdmin(addr string, set *metrics.Set) (net.Addr, func() error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("LINLI_ADMIN_LISTEN: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", set.Handler())
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return ln.Addr(), srv.Close, nil
}

// tracing is the tracer provider set up from the standard OpenTelemetry variables, or
// nothing when no endpoint is set.
type tracing struct {
	provider *sdktrace.TracerProvider
}

// Tracer is the service's tracer, nil when tracing is off.
func (t tracing) Tracer() trace.Tracer {
	if t.provider == nil {
		return nil
	}
	return t.provider.Tracer("linli")
}

// Shutdown sends the spans still buffered.
func (t tracing) Shutdown(ctx context.Context) error {
	if t.provider == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// setupTracing reads OTEL_SDK_DISABLED, OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_SERVICE_NAME and
// OTEL_TRACES_SAMPLER(_ARG) through getenv; tracing is off unless an endpoint is set. The
// exporter and the batcher read their other standard variables (headers, timeouts,
// OTEL_BSP_*) from the environment themselves.
func setupTracing(ctx context.Context, getenv func(string) string) (tracing, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") ||
		strings.EqualFold(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")), "none") {
		return tracing{}, nil
	}
	endpoint := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	if endpoint == "" {
		if base := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")); base != "" {
			endpoint = strings.TrimRight(base, "/") + "/v1/traces"
		}
	}
	if endpoint == "" {
		return tracing{}, nil
	}
	if p := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"); p != "" && p != "http/protobuf" {
		return tracing{}, fmt.Errorf("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=%q: linli sends http/protobuf only", p)
	} else if p := getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" && p != "http/protobuf" {
		return tracing{}, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: linli sends http/protobuf only", p)
	}
	sampler, err := samplerFrom(getenv("OTEL_TRACES_SAMPLER"), getenv("OTEL_TRACES_SAMPLER_ARG"))
	if err != nil {
		return tracing{}, err
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
	if err != nil {
		return tracing{}, fmt.Errorf("OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT=%q: %w", endpoint, err)
	}
	res, err := resource.Merge(resource.Default(),
		resource.NewSchemaless(attribute.String("service.name", or(getenv("OTEL_SERVICE_NAME"), "linli"))))
	if err != nil {
		return tracing{}, err
	}
	return tracing{provider: sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res), sdktrace.WithSampler(sampler))}, nil
}

// samplerFrom reads the standard sampler names; the default is parentbased_always_on, so
// a caller that sampled a request has its trace continued here.
func samplerFrom(name, arg string) (sdktrace.Sampler, error) {
	ratio := func() (float64, error) {
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG=%q: want a ratio from 0 to 1", arg)
		}
		return r, nil
	}
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio":
		r, err := ratio()
		return sdktrace.TraceIDRatioBased(r), err
	case "parentbased_traceidratio":
		r, err := ratio()
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), err
	}
	return nil, errors.New("OTEL_TRACES_SAMPLER=" + strconv.Quote(name) +
		": want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio")
}
