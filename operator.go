package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/jmoiron/sqlx"

	"linli/db"
	"linli/graph"
)

// The operator commands: linli schema and linli version need no settings and no database;
// linli check and linli migrate reach the database the service would use, then exit.

// withoutDatabase runs linli schema or linli version; ok is false for any other command.
func withoutDatabase(command string, stdout io.Writer) (ok bool, err error) {
	switch command {
	case "schema":
		_, err := stdout.Write(graph.PrintedSchema())
		return true, err
	case "version":
		return true, printVersion(stdout)
	}
	return false, nil
}

// printVersion prints the module version, the commit it was built from and the Go version.
func printVersion(w io.Writer) error {
	version, revision := "(unknown)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		version = bi.Main.Version
		var at, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.time":
				at = " " + s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = " (with uncommitted changes)"
				}
			}
		}
		revision += at + modified
	}
	_, err := fmt.Fprintf(w, "linli %s\nrevision %s\n%s %s/%s\n", version, revision, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}

// migrate applies the pending migrations (linli migrate) and says which ones.
func migrate(ctx context.Context, d *sqlx.DB, stdout io.Writer) error {
	before, _, err := db.MigrationStatus(ctx, d)
	if err != nil {
		return err
	}
	applied, err := db.Migrate(ctx, d)
	if err != nil {
		return err
	}
	after, known, err := db.MigrationStatus(ctx, d)
	if err != nil {
		return err
	}
	if after == before {
		_, err = fmt.Fprintf(stdout, "schema version %d: nothing to apply\n", after)
		return err
	}
	// Another process starting at the same moment may have applied some of them.
	fmt.Fprintf(stdout, "schema version %d → %d (%d applied by this process):\n", before, after, applied)
	for _, name := range known[before:after] {
		fmt.Fprintf(stdout, "  %s\n", name)
	}
	return nil
}

// check reports whether the service could start (linli check): the settings have been read
// already; it reaches the database (and the replica, if set), and reports the schema
// version and the pending migrations, which the service applies as it starts. It changes
// nothing; any problem is an error, so the exit status is not zero.
func check(ctx context.Context, d *sqlx.DB, cfg settings, stdout io.Writer) error {
	if cfg.ballotKey != "" {
		// Only the setting is checked: the key file, if used, is made on first need.
		if _, err := loadBallotKey(cfg.ballotKey, ""); err != nil {
			return fmt.Errorf("bad settings: %w", err)
		}
	}
	var server string
	if err := d.GetContext(ctx, &server, `SHOW server_version`); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	fmt.Fprintf(stdout, "settings: ok\ndatabase: PostgreSQL %s reached\n", server)
	version, known, err := db.MigrationStatus(ctx, d)
	if err != nil {
		return err
	}
	if pending := known[version:]; len(pending) > 0 {
		fmt.Fprintf(stdout, "schema version %d of %d: %d pending (applied by linli migrate or at start): %s\n", version, len(known), len(pending), strings.Join(pending, ", "))
	} else {
		fmt.Fprintf(stdout, "schema version %d: up to date\n", version)
	}
	if cfg.readURL != "" {
		read, err := db.Open(ctx, cfg.readURL, 1)
		if err != nil {
			return fmt.Errorf("read replica (DATABASE_READ_URL): %w", err)
		}
		read.Close()
		fmt.Fprintln(stdout, "read replica: reached")
	}
	return nil
}
