package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"linli/db/dbtest"
)

// `linli setup` starts a real deployment from an empty database: a subdistrict and its first
// admin, nothing of the demo, and nothing new when run again.
func TestSetupCommand(t *testing.T) {
	t.Parallel()
	d, dsn := dbtest.New(t)
	args := []string{"linli", "setup", "-subdistrict", "平安街道", "-phone", "13900000001", "-name", "周平"}
	env := map[string]string{"DATABASE_URL": dsn, "LINLI_SETUP_PASSWORD": "pingan-2026", "LINLI_DATA_DIR": t.TempDir()}
	getenv := func(env map[string]string) func(string) string {
		return func(k string) string { return env[k] }
	}
	var out bytes.Buffer
	if err := run(t.Context(), args, getenv(env), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "made") {
		t.Fatalf("setup said: %s", out.String())
	}
	var places, admins int
	d.Get(&places, `SELECT count(*) FROM places`)
	d.Get(&admins, `SELECT count(*) FROM role_grants g JOIN accounts a ON a.id = g.account_id JOIN places p ON p.id = g.place_id
		WHERE a.phone = '13900000001' AND g.role = 'admin' AND p.name = '平安街道' AND p.level = 'subdistrict'`)
	if places != 1 || admins != 1 {
		t.Fatalf("after setup: %d places, %d admin grants; want the subdistrict alone and its admin", places, admins)
	}
	out.Reset()
	if err := run(t.Context(), args, getenv(env), &out, io.Discard); err != nil || strings.Contains(out.String(), "made") {
		t.Fatalf("setup again: %v, said %s", err, out.String())
	}
	delete(env, "LINLI_SETUP_PASSWORD")
	args[5] = "13900000002"
	if err := run(t.Context(), args, getenv(env), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "LINLI_SETUP_PASSWORD") {
		t.Fatalf("setup of a new account without a password: got %v", err)
	}
}
