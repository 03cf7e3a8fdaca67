package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestParseParams(t *testing.T) {
	got, err := parseParams(`parameters: $1 = '\x4ef6', $2 = NULL, $3 = 'it''s, $4 = x', $10 = '{1,2}'`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{1: `\x4ef6`, 3: `it's, $4 = x`, 10: `{1,2}`}
	for n, v := range want {
		if got[n] == nil || *got[n] != v {
			t.Errorf("$%d: got %v, want %q", n, got[n], v)
		}
	}
	if v, ok := got[2]; !ok || v != nil {
		t.Errorf("$2: got %v, want NULL", v)
	}
	if len(got) != 4 {
		t.Errorf("got %d parameters, want 4", len(got))
	}
}

// capture keeps only the named application's statements, after the offset, and turns
// their parameters into pgbench variables.
func TestCapture(t *testing.T) {
	dir := t.TempDir()
	row := func(app, msg, detail string) string {
		f := make([]string, 26)
		f[13], f[14], f[22] = msg, detail, app
		for i, s := range f {
			f[i] = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		return strings.Join(f, ",") + "\n"
	}
	before := row("linli", "statement: SELECT 'too early'", "")
	log := before +
		row("linli", "execute <unnamed>: SELECT * FROM wishes\n\tWHERE id = ANY($1) AND deadline > $2 AND x = $3", "parameters: $1 = '{1,2}', $2 = '2026-12-01 20:00:00+00', $3 = NULL") +
		row("postgraphile", "execute <unnamed>: select 1", "") +
		row("linli", "duration: 0.1 ms", "") +
		row("linli", "statement: BEGIN", "")
	logFile := filepath.Join(dir, "postgresql.csv")
	if err := os.WriteFile(logFile, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	out, dargs := filepath.Join(dir, "s.pgbench"), filepath.Join(dir, "vars")
	if err := capture([]string{"-log", logFile, "-from", strconv.Itoa(len(before)), "-app", "linli", "-out", out, "-dargs", dargs}); err != nil {
		t.Fatal(err)
	}
	script, _ := os.ReadFile(out)
	wantScript := "SELECT * FROM wishes\n\tWHERE id = ANY(:s1_1) AND deadline > :s1_2 AND x = NULL;\nBEGIN;\n"
	if string(script) != wantScript {
		t.Errorf("script:\n%s\nwant:\n%s", script, wantScript)
	}
	vars, _ := os.ReadFile(dargs)
	if got, want := string(vars), "s1_1={1,2}\x00s1_2=2026-12-01 20:00:00+00\x00"; got != want {
		t.Errorf("vars %q, want %q", got, want)
	}
}
