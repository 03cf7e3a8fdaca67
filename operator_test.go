package main

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"strings"
	"testing"

	"linli/db/dbtest"
	"linli/graph"
)

// linli schema and linli version need neither settings nor a database: with settings that
// would stop the service (a bad PORT, an unreachable database) they still answer.
func TestCommandsWithoutDatabase(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PORT": "http", "DATABASE_URL": "host=/nonexistent dbname=none"}
	getenv := func(k string) string { return env[k] }

	var out bytes.Buffer
	if err := run(t.Context(), []string{"linli", "schema"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("linli schema: %v", err)
	}
	if !bytes.Equal(out.Bytes(), graph.PrintedSchema()) {
		t.Fatal("linli schema prints other bytes than GET /schema.graphql serves")
	}
	if !strings.Contains(out.String(), "type Query {") || !strings.Contains(out.String(), "wishFeed(") {
		t.Fatalf("linli schema printed no schema:\n%.300s", out.String())
	}

	out.Reset()
	if err := run(t.Context(), []string{"linli", "version"}, getenv, &out, io.Discard); err != nil {
		t.Fatalf("linli version: %v", err)
	}
	if !strings.HasPrefix(out.String(), "linli ") || !strings.Contains(out.String(), runtime.Version()) || !strings.Contains(out.String(), "revision ") {
		t.Fatalf("linli version printed:\n%s", out.String())
	}
}

// linli migrate applies the migrations and says which; linli check reports the schema
// version and what is pending without changing anything, and fails with a reason when the
// service could not start.
func TestMigrateAndCheck(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), dbtest.TimeLeft(t))
	defer cancel()
	d, dsn := dbtest.New(t)
	// An empty database, as a new deployment has.
	if _, err := d.Exec(`DROP SCHEMA public CASCADE; CREATE SCHEMA public`); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATABASE_URL": dsn, "PORT": "0"}
	getenv := func(k string) string { return env[k] }
	command := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"linli"}, args...), getenv, &out, io.Discard)
		return out.String(), err
	}
	tables := func() int {
		var n int
		if err := d.Get(&n, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	out, err := command("check")
	if err != nil || !strings.Contains(out, "schema version 0 of ") || !strings.Contains(out, "0001_") || !strings.Contains(out, "pending") {
		t.Fatalf("check on an empty database: %v\n%s", err, out)
	}
	if n := tables(); n != 0 {
		t.Fatalf("check made %d tables", n)
	}

	out, err = command("migrate")
	if err != nil || !strings.Contains(out, "schema version 0 → ") || !strings.Contains(out, "0001_") || !strings.Contains(out, "0016_vote_turnout.sql") {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	if n := tables(); n < 10 {
		t.Fatalf("after migrate, %d tables", n)
	}
	out, err = command("migrate")
	if err != nil || !strings.Contains(out, "nothing to apply") {
		t.Fatalf("migrate again: %v\n%s", err, out)
	}
	out, err = command("check")
	if err != nil || !strings.Contains(out, "up to date") || !strings.Contains(out, "PostgreSQL") {
		t.Fatalf("check after migrate: %v\n%s", err, out)
	}

	// What would stop the service stops check, with the reason.
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DATABASE_URL": dsn, "LINLI_BALLOT_KEY": "abcd"}, "LINLI_BALLOT_KEY"},
		{map[string]string{"DATABASE_URL": dsn, "LINLI_MAX_DEPTH": "deep"}, "LINLI_MAX_DEPTH"},
		{map[string]string{"DATABASE_URL": dsn + " user=nobody_here"}, "connecting to PostgreSQL"},
		{map[string]string{"DATABASE_URL": dsn, "DATABASE_READ_URL": dsn + " user=nobody_here"}, "read replica"},
	} {
		err := run(ctx, []string{"linli", "check"}, func(k string) string { return c.env[k] }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("check with %v: got %v, want an error naming %s", c.env, err, c.want)
		}
	}
	if _, err := d.Exec(`INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	if _, err := command("check"); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("check on a database migrated by a newer linli: got %v", err)
	}
}
