// Command tool holds the harness's small jobs that are easier in Go than in bash: building
// request bodies, signing volunteers in, checking answers, turning linli's logged SQL
// into a pgbench script, and the summary table. bench/run calls it; see bench/README.md.
package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"linli/db/demo"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tool password|body|login|check|claims|capture|summary …")
		os.Exit(2)
	}
	cmds := map[string]func([]string) error{
		"password": func([]string) error { fmt.Println(demo.Password); return nil },
		"body":     body, "login": login, "check": check, "claims": claims, "capture": capture, "summary": summary,
	}
	f, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintln(os.Stderr, "tool: unknown command", os.Args[1])
		os.Exit(2)
	}
	if err := f(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "tool %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

// graphqlBody is a POST body: the query from a .graphql file and its variables.
func graphqlBody(query string, vars map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return b
}

// body prints the JSON body for the query in -query with the variables in -vars (JSON).
func body(args []string) error {
	fs := flag.NewFlagSet("body", flag.ContinueOnError)
	qf := fs.String("query", "", ".graphql file")
	vars := fs.String("vars", "{}", "variables, a JSON object")
	if err := fs.Parse(args); err != nil {
		return err
	}
	q, err := os.ReadFile(*qf)
	if err != nil {
		return err
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(*vars), &v); err != nil {
		return fmt.Errorf("-vars: %w", err)
	}
	_, err = os.Stdout.Write(graphqlBody(string(q), v))
	return err
}

var hc = &http.Client{Timeout: 60 * time.Second}

// post sends one GraphQL request and decodes the answer, failing on HTTP or GraphQL errors.
func post(url, auth string, b []byte, out any) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var env struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(raw, &env); err != nil || resp.StatusCode != http.StatusOK || len(env.Errors) > 0 {
		return fmt.Errorf("HTTP %d: %.500s", resp.StatusCode, raw)
	}
	return json.Unmarshal(env.Data, out)
}

// login signs in every phone read from -phones (one a line) with the generated accounts'
// password and writes "phone<TAB>token" lines to stdout, two at a time (hashing a password
// is what a sign-in costs, and the machine has two cores).
func login(args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	url := fs.String("url", "", "linli's GraphQL endpoint")
	phonesFile := fs.String("phones", "", "file of phone numbers, one a line")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*phonesFile)
	if err != nil {
		return err
	}
	phones := strings.Fields(string(raw))
	tokens := make([]string, len(phones))
	errs := make([]error, len(phones))
	const q = `mutation($phone: String!, $password: String!) { login(phone: $phone, password: $password) { token } }`
	var wg sync.WaitGroup
	next := make(chan int)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				var out struct{ Login struct{ Token string } }
				errs[i] = post(*url, "", graphqlBody(q, map[string]any{"phone": phones[i], "password": demo.Password}), &out)
				tokens[i] = out.Login.Token
			}
		}()
	}
	for i := range phones {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, p := range phones {
		fmt.Printf("%s\t%s\n", p, tokens[i])
	}
	return nil
}

// check sends the body once and checks that the connection at data.<field> holds exactly
// -n nodes (and a totalCount at least that), so that a run never measures an empty or
// failing answer. It prints the totalCount.
func check(args []string) error {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	url := fs.String("url", "", "GraphQL endpoint")
	bodyFile := fs.String("body", "", "JSON body")
	auth := fs.String("auth", "", "Authorization header value")
	field := fs.String("field", "", "the connection field under data")
	n := fs.Int("n", 0, "nodes expected")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	var data map[string]struct {
		TotalCount int
		Nodes      []json.RawMessage
	}
	if err := post(*url, *auth, b, &data); err != nil {
		return err
	}
	c, ok := data[*field]
	if !ok || len(c.Nodes) != *n || c.TotalCount < *n {
		return fmt.Errorf("%s: got %d nodes of totalCount %d, want %d nodes", *field, len(c.Nodes), c.TotalCount, *n)
	}
	for _, node := range c.Nodes {
		if len(node) < 20 {
			return fmt.Errorf("%s: a node is nearly empty: %s", *field, node)
		}
	}
	fmt.Println(c.TotalCount)
	return nil
}

// linliWishID is linli's global ID for wish id: "Wish:<id>" in unpadded base64url (see
// graph/request.go). claims checks it against the server before using it, so a change of
// encoding fails loudly instead of measuring NOT_FOUND answers.
func linliWishID(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("Wish:" + id))
}

// jwt signs claims with HS256, as PostGraphile's lazy-JWT preset checks them.
func jwt(secret string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	payload, _ := json.Marshal(claims)
	msg := head + "." + enc.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(msg))
	return msg + "." + enc.EncodeToString(mac.Sum(nil))
}

// claims turns the claim plan (client, account id, phone, wish id per line, from
// sql/claims.sql) into one requests file per side for bench/load -requests: the same
// wishes claimed by the same volunteers, each volunteer's requests always from the same
// client, line k*clients+c being client c's k-th request.
func claims(args []string) error {
	fs := flag.NewFlagSet("claims", flag.ContinueOnError)
	planFile := fs.String("plan", "", "plan TSV: client, account id, phone, wish id")
	tokensFile := fs.String("tokens", "", "linli tokens: phone<TAB>token")
	secret := fs.String("jwt-secret", "", "PostGraphile's JWT secret")
	linliQuery := fs.String("linli-query", "", "linli's claim mutation (.graphql)")
	pglQuery := fs.String("pgl-query", "", "PostGraphile's claim mutation (.graphql)")
	linliURL := fs.String("linli-url", "", "linli's endpoint, to check the wish ID encoding")
	linliOut := fs.String("linli-out", "", "requests file for linli")
	pglOut := fs.String("pgl-out", "", "requests file for PostGraphile")
	clients := fs.Int("c", 8, "clients")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tok := map[string]string{}
	raw, err := os.ReadFile(*tokensFile)
	if err != nil {
		return err
	}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		p, t, _ := strings.Cut(l, "\t")
		tok[p] = t
	}
	lq, err := os.ReadFile(*linliQuery)
	if err != nil {
		return err
	}
	pq, err := os.ReadFile(*pglQuery)
	if err != nil {
		return err
	}
	raw, err = os.ReadFile(*planFile)
	if err != nil {
		return err
	}
	perClient := make([][][2]string, *clients)
	exp := time.Now().Add(24 * time.Hour).Unix()
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		f := strings.Split(l, "\t")
		if len(f) != 4 {
			return fmt.Errorf("plan line %q: want 4 fields", l)
		}
		c, err := strconv.Atoi(f[0])
		if err != nil || c < 0 || c >= *clients {
			return fmt.Errorf("plan line %q: bad client", l)
		}
		account, phone, wish := f[1], f[2], f[3]
		t, ok := tok[phone]
		if !ok {
			return fmt.Errorf("no token for %s", phone)
		}
		wishNum, _ := strconv.ParseInt(wish, 10, 64)
		lb := graphqlBody(string(lq), map[string]any{"id": linliWishID(wish)})
		pb := graphqlBody(string(pq), map[string]any{"id": strconv.FormatInt(wishNum, 10)})
		// The claimer reaches claim_wish as a signed claim, the usual PostGraphile way.
		pj := jwt(*secret, map[string]any{"aud": "postgraphile", "account_id": account, "exp": exp})
		perClient[c] = append(perClient[c], [2]string{"Bearer " + t + "\t" + string(lb), "Bearer " + pj + "\t" + string(pb)})
	}
	n := len(perClient[0])
	for c, l := range perClient {
		if len(l) != n {
			return fmt.Errorf("client %d has %d claims, client 0 %d: the plan must deal them evenly", c, len(l), n)
		}
	}
	var lo, po strings.Builder
	for k := range n {
		for c := range *clients {
			lo.WriteString(perClient[c][k][0] + "\n")
			po.WriteString(perClient[c][k][1] + "\n")
		}
	}
	// One wish, seen by its volunteer, must be a Wish to linli.
	first := strings.SplitN(perClient[0][0][0], "\t", 2)
	var out struct {
		Node *struct {
			Typename string `json:"__typename"`
		}
	}
	var probe map[string]any
	_ = json.Unmarshal([]byte(first[1]), &probe)
	id := probe["variables"].(map[string]any)["id"]
	if err := post(*linliURL, first[0], graphqlBody(`query($id: ID!) { node(id: $id) { __typename } }`, map[string]any{"id": id}), &out); err != nil {
		return err
	}
	if out.Node == nil || out.Node.Typename != "Wish" {
		return fmt.Errorf("linli does not resolve %v as a Wish: has its global ID encoding changed? (bench/tool linliWishID)", id)
	}
	if err := os.WriteFile(*linliOut, []byte(lo.String()), 0o600); err != nil {
		return err
	}
	return os.WriteFile(*pglOut, []byte(po.String()), 0o600)
}

var (
	paramRef = regexp.MustCompile(`\$(\d+)`)
	execMsg  = regexp.MustCompile(`^execute [^:]*: `)
)

// capture reads the CSV server log from byte -from on, keeps the statements that
// connections named -app ran, and writes them as a pgbench script (-out) with their
// parameters as pgbench variables, given as -D NAME=VALUE pairs separated by NUL bytes
// (-dargs). It prints how many statements it found.
func capture(args []string) error {
	fs := flag.NewFlagSet("capture", flag.ContinueOnError)
	logFile := fs.String("log", "", "the server's csvlog file")
	from := fs.Int64("from", 0, "byte offset where the request's statements begin")
	app := fs.String("app", "", "application_name of the connections to keep")
	out := fs.String("out", "", "pgbench script to write")
	dargs := fs.String("dargs", "", "file for the -D arguments, NUL-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*logFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(*from, io.SeekStart); err != nil {
		return err
	}
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var script strings.Builder
	var ds []string
	count := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		// PostgreSQL 15 csvlog: message is field 13, detail 14, application_name 22.
		if len(rec) < 23 || rec[22] != *app {
			continue
		}
		msg, detail := rec[13], rec[14]
		var sql string
		switch {
		case strings.HasPrefix(msg, "statement: "):
			sql = strings.TrimPrefix(msg, "statement: ")
		case execMsg.MatchString(msg) && !strings.HasPrefix(msg, "execute fetch"):
			sql = execMsg.ReplaceAllString(msg, "")
		default:
			continue
		}
		count++
		params, err := parseParams(detail)
		if err != nil {
			return fmt.Errorf("statement %d: %w", count, err)
		}
		sql = paramRef.ReplaceAllStringFunc(sql, func(m string) string {
			n, _ := strconv.Atoi(m[1:])
			v, ok := params[n]
			if !ok || v == nil {
				return "NULL" // pgbench variables cannot be NULL
			}
			name := fmt.Sprintf("s%d_%d", count, n)
			return ":" + name
		})
		for n, v := range params {
			if v != nil {
				ds = append(ds, fmt.Sprintf("s%d_%d=%s", count, n, *v))
			}
		}
		script.WriteString(strings.TrimRight(strings.TrimSpace(sql), ";") + ";\n")
	}
	if count == 0 {
		return fmt.Errorf("no statements from application %q in %s after byte %d", *app, *logFile, *from)
	}
	sort.Strings(ds)
	if err := os.WriteFile(*out, []byte(script.String()), 0o644); err != nil {
		return err
	}
	var d bytes.Buffer
	for _, a := range ds {
		d.WriteString(a)
		d.WriteByte(0)
	}
	if err := os.WriteFile(*dargs, d.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Println(count)
	return nil
}

// parseParams reads a log DETAIL "parameters: $1 = '5', $2 = NULL" into values (nil is NULL).
func parseParams(detail string) (map[int]*string, error) {
	out := map[int]*string{}
	s, ok := strings.CutPrefix(detail, "parameters: ")
	if !ok {
		return out, nil
	}
	for len(s) > 0 {
		if s[0] != '$' {
			return nil, fmt.Errorf("parameters: unexpected %.40q", s)
		}
		eq := strings.Index(s, " = ")
		if eq < 0 {
			return nil, fmt.Errorf("parameters: no value in %.40q", s)
		}
		n, err := strconv.Atoi(s[1:eq])
		if err != nil {
			return nil, err
		}
		s = s[eq+3:]
		if strings.HasPrefix(s, "NULL") {
			out[n] = nil
			s = s[4:]
		} else if s != "" && s[0] == '\'' {
			var v strings.Builder
			i := 1
			for ; i < len(s); i++ {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						v.WriteByte('\'')
						i++
						continue
					}
					break
				}
				v.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("parameters: unterminated value (is log_parameter_max_length limiting it?)")
			}
			val := v.String()
			out[n] = &val
			s = s[i+1:]
		} else {
			return nil, fmt.Errorf("parameters: unexpected value %.40q", s)
		}
		s = strings.TrimPrefix(s, ", ")
	}
	return out, nil
}

// row is one line of the results file: a load run (bench/load -json) or a single figure.
type row struct {
	Label    string  `json:"label"`
	Requests int     `json:"requests"`
	RPS      float64 `json:"rps"`
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
	Value    float64 `json:"value"`
	Note     string  `json:"note"`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// summary reads the results file and prints the per-run figures and the closing table.
// Labels are "<part>/<side>/<kind>": part feed50, feed10 or claims; side linli or pgl;
// kind run (8 clients) or single (one client); and "pgbench/feed50", "ballots",
// "statements/feed50" with a value.
func summary(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ContinueOnError)
	in := fs.String("in", "", "results file (JSON lines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raw, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	by := map[string][]row{}
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if l == "" {
			continue
		}
		var r row
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			return fmt.Errorf("%s: %w", l, err)
		}
		by[r.Label] = append(by[r.Label], r)
	}
	field := func(rs []row, f func(row) float64) []float64 {
		var out []float64
		for _, r := range rs {
			out = append(out, f(r))
		}
		return out
	}
	rps := func(r row) float64 { return r.RPS }
	p50 := func(r row) float64 { return r.P50 }
	spread := func(xs []float64, format string) string {
		if len(xs) == 0 {
			return "—"
		}
		parts := make([]string, len(xs))
		for i, x := range xs {
			parts[i] = fmt.Sprintf(format, x)
		}
		return strings.Join(parts, ", ")
	}
	var b strings.Builder
	for _, part := range []string{"feed50", "feed10", "claims"} {
		for _, side := range []string{"linli", "pgl"} {
			rs := by[part+"/"+side+"/run"]
			if len(rs) == 0 {
				continue
			}
			if b.Len() == 0 {
				b.WriteString("Per run (8 clients; runs interleaved linli, PostGraphile, linli, …):\n")
			}
			fmt.Fprintf(&b, "  %-7s %-13s req/s: %s   p50 ms: %s   p95 ms: %s\n", part, sideName(side),
				spread(field(rs, rps), "%.0f"), spread(field(rs, p50), "%.1f"), spread(field(rs, func(r row) float64 { return r.P95 }), "%.1f"))
		}
	}
	b.WriteString("\n| request | linli | PostGraphile v5.1.5 | ratio linli/PostGraphile |\n|---|---|---|---|\n")
	names := map[string]string{"feed50": "feed `first: 50`", "feed10": "feed `first: 10`", "claims": "claims on distinct wishes"}
	unit := map[string]string{"feed50": "req/s", "feed10": "req/s", "claims": "claims/s"}
	for _, part := range []string{"feed50", "feed10", "claims"} {
		l, p := by[part+"/linli/run"], by[part+"/pgl/run"]
		if len(l) > 0 && len(p) > 0 {
			ml, mp := median(field(l, rps)), median(field(p, rps))
			fmt.Fprintf(&b, "| %s, 8 clients, median of %d runs (p50) | %.0f %s (%.1f ms) | %.0f %s (%.1f ms) | %.2f |\n",
				names[part], len(l), ml, unit[part], median(field(l, p50)), mp, unit[part], median(field(p, p50)), ml/mp)
		}
		l, p = by[part+"/linli/single"], by[part+"/pgl/single"]
		if len(l) > 0 && len(p) > 0 {
			ml, mp := median(field(l, p50)), median(field(p, p50))
			fmt.Fprintf(&b, "| %s, single client, p50 latency | %.1f ms | %.1f ms | %.2f (time: lower is better) |\n", names[part], ml, mp, ml/mp)
		}
	}
	if pg, l := by["pgbench/feed50"], by["feed50/linli/run"]; len(pg) > 0 && len(l) > 0 {
		stmts := ""
		if s := by["statements/feed50"]; len(s) > 0 {
			stmts = fmt.Sprintf(", %.1f statements", s[0].Value)
		}
		ml := median(field(l, rps))
		fmt.Fprintf(&b, "| linli ÷ pgbench replaying linli's own feed SQL (`first: 50`%s, `-M prepared`, 8 clients) | %.0f req/s | pgbench: the SQL of %.0f requests/s | %.2f |\n",
			stmts, ml, pg[0].Value, ml/pg[0].Value)
	}
	if s := by["statements/feed50"]; len(s) > 0 {
		fmt.Fprintf(&b, "| SQL statements per feed request (`first: 50`, mean of %s) | %.1f | | |\n", s[0].Note, s[0].Value)
	}
	if bl := by["ballots"]; len(bl) > 0 {
		fmt.Fprintf(&b, "| 1,000 voters casting at once (`BenchmarkBallots`) | %s ballots/s | | |\n", spread(field(bl, func(r row) float64 { return r.Value }), "%.0f"))
	}
	fmt.Print(b.String())
	return nil
}

func sideName(s string) string {
	if s == "pgl" {
		return "PostGraphile"
	}
	return "linli"
}
