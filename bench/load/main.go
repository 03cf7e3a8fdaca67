// Command load is the one load generator the side-by-side harness (bench/run) points at
// both servers, so that linli and PostGraphile are measured by the same client.
//
// It sends GraphQL POSTs from N clients over keep-alive connections to a server on this
// machine only (the loopback), for a warm-up and then a measured period, or through a list
// of requests used once each, and prints requests per second, latency percentiles and the
// error count. A non-200 answer or an answer with a GraphQL "errors" entry is an error, and
// any error makes it exit non-zero: a fast run of failures must never pass for a fast run.
//
//	load -url http://127.0.0.1:8080/query -body feed.json -auth "Bearer …" -c 8 -warmup 10s -duration 10s
//	load -url http://127.0.0.1:8080/query -requests claims.tsv -c 8
//
// A requests file has one request a line: the Authorization header value (or nothing),
// a tab, and the JSON body. Client i sends lines i, i+N, i+2N, … in order, each once.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

type request struct {
	auth string
	body []byte
}

// result is one measured run; -json appends it as one line.
type result struct {
	Label    string  `json:"label"`
	Clients  int     `json:"clients"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run() error {
	target := flag.String("url", "", "GraphQL endpoint, on 127.0.0.1, ::1 or localhost only")
	bodyFile := flag.String("body", "", "file holding the JSON body sent by every request")
	auth := flag.String("auth", "", "Authorization header value for -body requests, e.g. \"Bearer <token>\"")
	reqFile := flag.String("requests", "", "file of requests used once each: authorization<TAB>json body per line (instead of -body)")
	clients := flag.Int("c", 8, "concurrent clients, each with its own connection")
	warmup := flag.Duration("warmup", 0, "load sent and not measured before the run (-body only)")
	duration := flag.Duration("duration", 10*time.Second, "measured time; with -requests, the most it may take")
	maxReq := flag.Int("max", 1_000_000, "most requests in the measured run")
	label := flag.String("label", "", "name printed with the result")
	jsonOut := flag.String("json", "", "append the result as one JSON line to this file")
	flag.Parse()

	if *clients < 1 || *clients > 256 {
		return errors.New("-c: want 1 to 256 clients")
	}
	if *duration <= 0 || *duration > 10*time.Minute || *warmup < 0 || *warmup > 10*time.Minute {
		return errors.New("-duration and -warmup: want at most 10m")
	}
	if err := loopbackOnly(*target); err != nil {
		return err
	}
	var fixed *request
	var lists [][]request
	switch {
	case (*bodyFile == "") == (*reqFile == ""):
		return errors.New("give exactly one of -body and -requests")
	case *bodyFile != "":
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			return err
		}
		if !json.Valid(b) {
			return fmt.Errorf("%s: not JSON", *bodyFile)
		}
		fixed = &request{auth: *auth, body: b}
	default:
		all, err := readRequests(*reqFile)
		if err != nil {
			return err
		}
		lists = make([][]request, *clients)
		for i, r := range all {
			lists[i%*clients] = append(lists[i%*clients], r)
		}
		*maxReq = min(*maxReq, len(all))
	}

	hc := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: *clients,
			MaxConnsPerHost:     *clients,
			DisableCompression:  true, // neither server is asked to compress: same bytes on the wire
			IdleConnTimeout:     time.Minute,
		},
	}
	if fixed != nil && *warmup > 0 {
		if _, _, err := drive(hc, *target, *clients, *warmup, 1<<30, fixed, nil); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	lat, elapsed, err := drive(hc, *target, *clients, *duration, *maxReq, fixed, lists)
	res := summarize(*label, *clients, lat, elapsed)
	var fails *failures
	if errors.As(err, &fails) {
		res.Errors = fails.n
	}
	fmt.Printf("%-28s %3d clients %7d requests %6.1f s %9.1f req/s  p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  errors %d\n",
		res.Label, res.Clients, res.Requests, res.Seconds, res.RPS, res.P50, res.P95, res.P99, res.Errors)
	if *jsonOut != "" && err == nil {
		f, ferr := os.OpenFile(*jsonOut, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if ferr != nil {
			return ferr
		}
		line, _ := json.Marshal(res)
		_, ferr = f.Write(append(line, '\n'))
		if cerr := f.Close(); ferr == nil {
			ferr = cerr
		}
		if ferr != nil {
			return ferr
		}
	}
	return err
}

// loopbackOnly refuses any target that is not this machine.
func loopbackOnly(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url %q: want http://127.0.0.1:PORT/…", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-url %q: only 127.0.0.1, ::1 or localhost may be loaded", target)
}

func readRequests(path string) ([]request, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []request
	for n, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		auth, body, ok := strings.Cut(line, "\t")
		if !ok || !json.Valid([]byte(body)) {
			return nil, fmt.Errorf("%s:%d: want authorization<TAB>json body", path, n+1)
		}
		out = append(out, request{auth: auth, body: []byte(body)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no requests", path)
	}
	return out, nil
}

// failures counts the failed requests of a run and keeps the first for the message.
type failures struct {
	n     int
	first string
}

func (f *failures) Error() string {
	return fmt.Sprintf("%d requests failed; the first: %s", f.n, f.first)
}

// drive runs the clients until d passes or max requests have been sent, and returns
// each successful request's latency and the time taken. With lists, client i sends
// lists[i] in order and stops when it is used up.
func drive(hc *http.Client, target string, clients int, d time.Duration, max int, fixed *request, lists [][]request) ([]time.Duration, time.Duration, error) {
	var (
		mu    sync.Mutex
		lat   []time.Duration
		fails failures
		sent  int
		wg    sync.WaitGroup
	)
	// take reserves the next request of the run, or reports that the run is over.
	take := func() bool {
		mu.Lock()
		defer mu.Unlock()
		if sent >= max {
			return false
		}
		sent++
		return true
	}
	start := time.Now()
	deadline := start.Add(d)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for n := 0; time.Now().Before(deadline); n++ {
				r := fixed
				if lists != nil {
					if n >= len(lists[i]) {
						break
					}
					r = &lists[i][n]
				}
				if !take() {
					break
				}
				t0 := time.Now()
				err := send(hc, target, r)
				took := time.Since(t0)
				if err != nil {
					mu.Lock()
					if fails.n == 0 {
						fails.first = err.Error()
					}
					fails.n++
					mu.Unlock()
					continue
				}
				mine = append(mine, took)
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if fails.n > 0 {
		return lat, elapsed, &fails
	}
	if lists != nil && sent < max {
		return lat, elapsed, fmt.Errorf("only %d of %d requests were sent within %s: raise -duration", sent, max, d)
	}
	return lat, elapsed, nil
}

// errorsKey is how a GraphQL answer with errors shows: inside a JSON string a quote is
// escaped, so this can only be an object key, and the harness's queries select no field
// named errors.
var errorsKey = []byte(`"errors":`)

func send(hc *http.Client, target string, r *request) error {
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, errorsKey) || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		return fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, body)
	}
	return nil
}

func summarize(label string, clients int, lat []time.Duration, elapsed time.Duration) result {
	slices.Sort(lat)
	at := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	return result{Label: label, Clients: clients, Requests: len(lat), Seconds: elapsed.Seconds(),
		RPS: float64(len(lat)) / elapsed.Seconds(), P50: at(0.50), P95: at(0.95), P99: at(0.99)}
}
