package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"linli/db/dbtest"
	"linli/graph"
)

// hostileBodies are request bodies a hostile client would send, each as large as the body
// limit allows (padded with spaces, which the lexer must still read), and each refused
// before it runs.
func hostileBodies(limit int) map[string][]byte {
	body := func(query string, vars map[string]any) []byte {
		b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return b
	}
	fill := func(unit string, prefix, suffix string) string {
		n := (limit - len(prefix) - len(suffix) - 64) / len(unit)
		return prefix + strings.Repeat(unit, n) + suffix
	}
	pad := func(b []byte) []byte {
		// Spaces before the closing brace of the JSON object keep it valid.
		if n := limit - len(b) - 1; n > 0 {
			b = append(b[:len(b)-1], append(bytes.Repeat([]byte(" "), n), '}')...)
		}
		return b
	}
	var frags strings.Builder
	frags.WriteString("query { ...F0 }\n")
	for i := range 60 {
		fmt.Fprintf(&frags, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	frags.WriteString("fragment F60 on Query { __typename }\n")
	var aliasesWithin strings.Builder
	aliasesWithin.WriteString("{ ")
	for i := range 190 {
		fmt.Fprintf(&aliasesWithin, "a%d: __typename ", i)
	}
	aliasesWithin.WriteString("}")
	var vars strings.Builder
	vars.WriteString("query(")
	for i := range 2000 {
		fmt.Fprintf(&vars, "$v%d: Int ", i)
	}
	vars.WriteString(") { __typename }")
	manyValues := map[string]any{}
	for i := range limit / 16 {
		manyValues[fmt.Sprintf("v%d", i)] = i
	}
	manyValues["v0"] = "\x00"
	return map[string][]byte{
		// The requests of issue 11 (10,000 and 50,000 fields), and as many as the body limit holds.
		"RepeatedFields10000": body("{ "+strings.Repeat("__typename ", 10000)+"}", nil),
		"RepeatedFields50000": body("{ "+strings.Repeat("__typename ", 50000)+"}", nil),
		"RepeatedFields":      body(fill("__typename ", "{ ", "}"), nil),
		// As many repeats of the same fields as the limits let through, to the validator.
		"RepeatedFieldsWithinLimits": pad(body("{ "+strings.Repeat("me { "+strings.Repeat("id ", 20)+strings.Repeat("name ", 20)+strings.Repeat("phone ", 9)+"} ", 20)+"nosuchfield }", nil)),
		// Each fragment spreads the next twice: 2^60 fields once expanded.
		"FragmentBomb": pad(body(frags.String(), nil)),
		"DeepNesting":  body(fill("me { ", "{ ", "}"), nil),
		"ManyAliases":  body(fill("a: __typename ", "{ ", "}"), nil),
		// Many aliases of one field, under the per-set limit: validation compares each pair.
		"AliasesWithinSetLimit":   pad(body(aliasesWithin.String(), nil)),
		"ManyDirectives":          body(fill("@include(if: true) ", "{ __typename ", "}"), nil),
		"LongString":              body(fill("x", `{ wishes(filter: {text: "`, "\\u0000\"}) { totalCount } }"), nil),
		"ManyVariableDefinitions": pad(body(vars.String(), nil)),
		"ManyVariableValues":      body(`query($v0: String) { __typename }`, manyValues),
		"DeepJSON":                []byte(`{"query":"{ __typename }","variables":{"v":` + strings.Repeat("[", limit/2-40) + `}}`),
		"Batch":                   pad([]byte(`[` + strings.TrimSuffix(strings.Repeat(`{"query":"{ me { id } }"},`, limit/30), ",") + `]`)),
	}
}

// cpuTime is the CPU time this process (server, client and collector) has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkHostileRefusal sends each hostile body of the maximum body size and reports the
// worst CPU time (the whole process: server, client and garbage collector) that one
// refused request cost, per shape (worst-cpu-ms) and over all shapes (the last line).
//
//	go test -run '^$' -bench HostileRefusal -benchtime 20x ./graph/
func BenchmarkHostileRefusal(b *testing.B) {
	d, _ := dbtest.New(b)
	e := serveBench(b, d)
	limit := int(graph.DefaultOptions().MaxBodyBytes)
	worstAll := time.Duration(0)
	for name, body := range hostileBodies(limit) {
		if len(body) > limit {
			b.Fatalf("%s: %d bytes, over the %d-byte limit", name, len(body), limit)
		}
		b.Run(name, func(b *testing.B) {
			worst := time.Duration(0)
			for b.Loop() {
				before := cpuTime()
				res, err := e.client.Post(e.srv.URL+"/query", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				var out response
				json.NewDecoder(res.Body).Decode(&out)
				res.Body.Close()
				worst = max(worst, cpuTime()-before)
				if res.StatusCode == http.StatusOK && len(out.Errors) == 0 {
					b.Fatalf("%s was answered, not refused", name)
				}
				if c := out.Code(); c != "INVALID_INPUT" {
					b.Fatalf("%s: code %q, want INVALID_INPUT (%+v)", name, c, out.Errors)
				}
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-cpu-ms")
			worstAll = max(worstAll, worst)
		})
	}
	b.Logf("worst CPU time of a refused request over all shapes: %.1f ms", float64(worstAll.Microseconds())/1000)
}
