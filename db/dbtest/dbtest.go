// Package dbtest gives tests a real PostgreSQL: each test gets a fresh database of its
// own, copied in milliseconds from a template that is migrated once per test binary, so
// tests can run in parallel and exercise real constraints, locks and concurrency.
//
// Use it from a package's TestMain:
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// and call New in each test. Main starts a private server (see package pgcluster) unless
// TEST_DATABASE_URL names one whose role may create databases.
package dbtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"

	"linli/db"
	"linli/db/pgcluster"
)

// settings trade durability for speed: a test server's data is thrown away anyway.
var settings = map[string]string{
	"fsync":                    "off",
	"synchronous_commit":       "off",
	"full_page_writes":         "off",
	"max_connections":          "400", // parallel tests, each with its own pool
	"shared_buffers":           "128MB",
	"shared_preload_libraries": "pg_stat_statements",
	"pg_stat_statements.track": "all",
	// Room for the statements of every test database at once: an evicted entry
	// would make a count wrong. New's cleanup removes a database's entries.
	"pg_stat_statements.max": "20000",
	// The server's files may be in memory: keep the write-ahead log from growing
	// to its default 1 GB.
	"max_wal_size": "128MB",
	"min_wal_size": "32MB",
}

// server is what Main set up, shared by every test of the binary.
var server struct {
	admin    *sqlx.DB // the maintenance database, where databases are created and counted
	dsn      func(dbname string) string
	template string
	prefix   string // of test database names
	stats    bool   // whether pg_stat_statements can be read
}

var (
	createMu sync.Mutex   // one CREATE DATABASE at a time
	serial   atomic.Int64 // numbers the test databases
)

// Main sets up the server and the migrated template, runs the tests and exits with
// their result. Call it from TestMain. If the database cannot be set up it prints why
// and exits with status 1.
func Main(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: cannot set up the test database: %v\n", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// run does Main's work, so that deferred clean-up runs before the exit.
func run(m *testing.M) (int, error) {
	ctx := context.Background()
	adminDSN := os.Getenv("TEST_DATABASE_URL")
	if adminDSN != "" {
		// Test binaries of several packages run at once and may share this server, so
		// names carry the process id.
		tag := fmt.Sprintf("_%d", os.Getpid())
		server.template, server.prefix = "linli_template"+tag, "linli_t"+tag+"_"
		server.dsn = func(name string) string { return withDBName(adminDSN, name) }
	} else {
		c, cleanup, err := startCluster(ctx)
		defer cleanup()
		if err != nil {
			return 0, err
		}
		adminDSN = c.DSN("postgres")
		server.template, server.prefix = "linli_template", "linli_t_"
		server.dsn = c.DSN
	}

	admin, err := sqlx.Open("postgres", adminDSN)
	if err != nil {
		return 0, err
	}
	defer admin.Close()
	server.admin = admin
	if err := makeTemplate(ctx); err != nil {
		return 0, err
	}
	defer admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(server.template) + ` WITH (FORCE)`)
	return m.Run(), nil
}

// startCluster starts a private server in a new temporary folder. cleanup stops it and
// removes the folder, and must be called even when err is not nil.
func startCluster(ctx context.Context) (c *pgcluster.Cluster, cleanup func(), err error) {
	cleanup = func() {}
	bin, err := pgcluster.FindBinDir(os.Getenv)
	if err != nil {
		return nil, cleanup, fmt.Errorf("%w (for tests: TEST_DATABASE_URL)", err)
	}
	// In memory if we can: on disk, creating the ~600 files of each test database
	// takes ten times as long (about 300 ms against 20 ms).
	parent := ""
	if fi, err := os.Stat(shm); err == nil && fi.IsDir() {
		parent = shm
		sweep(parent)
	}
	// os.MkdirTemp, not a test's TempDir: the socket path must stay short.
	dir, err := os.MkdirTemp(parent, tempPattern)
	if err != nil {
		dir, err = os.MkdirTemp("", tempPattern)
	}
	if err != nil {
		return nil, cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	// MkdirTemp makes the folder private to us; when we are root, the server runs as the
	// postgres user, which must be able to enter it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, cleanup, err
	}
	c, err = pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, BinDir: bin, Settings: settings})
	if err != nil {
		return nil, cleanup, err
	}
	cleanup = func() {
		c.Stop(context.Background())
		os.RemoveAll(dir)
	}
	return c, cleanup, nil
}

// shm is Linux's memory-backed file system.
const shm = "/dev/shm"

const tempPattern = "linli-test-"

// sweep removes the folders of earlier test runs that ended without cleaning up: a test
// that panics or times out ends the process at once. In memory they would hold on to it
// until the machine restarts. A folder is left alone while young (its run may still be
// setting up) or while its server runs (the server dies with the process that owns it).
func sweep(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, tempPattern+"*"))
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || time.Since(fi.ModTime()) < 10*time.Minute {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(dir, "pgdata", "postmaster.pid")); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if pid, err := strconv.Atoi(first); err == nil && syscall.Kill(pid, 0) != syscall.ESRCH {
				continue
			}
		}
		os.RemoveAll(dir)
	}
}

// makeTemplate creates the template database and migrates it.
func makeTemplate(ctx context.Context) error {
	q := pq.QuoteIdentifier(server.template)
	// A leftover from a crashed run on a shared server would make CREATE fail.
	if _, err := server.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+q+` WITH (FORCE)`); err != nil {
		return err
	}
	if _, err := server.admin.ExecContext(ctx, `CREATE DATABASE `+q); err != nil {
		return err
	}
	t, err := sqlx.Open("postgres", server.dsn(server.template))
	if err != nil {
		return err
	}
	// Closed before any copy: PostgreSQL refuses to copy a database others are connected to.
	defer t.Close()
	if _, err := db.Migrate(ctx, t); err != nil {
		return fmt.Errorf("migrating %s: %w", server.template, err)
	}
	// The extension in each test database lets a test look at pg_stat_statements itself.
	// It works only if the server preloads the library: an external one may not, and
	// then Statements skips.
	t.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`)
	// Statements reads the counts from the maintenance database, so that its own
	// queries are recorded there, never in the database being counted.
	_, err = server.admin.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`)
	if err == nil {
		_, err = server.admin.ExecContext(ctx, `SELECT dealloc FROM pg_stat_statements_info`)
	}
	server.stats = err == nil
	return nil
}

// New returns a new database, migrated, for this test alone, and its connection string.
// The database is dropped when the test ends.
func New(tb testing.TB) (*sqlx.DB, string) {
	tb.Helper()
	if server.admin == nil {
		tb.Fatal("dbtest.New: call dbtest.Main from TestMain first")
	}
	ctx := context.Background()
	name := fmt.Sprintf("%s%d", server.prefix, serial.Add(1))
	if err := create(ctx, name); err != nil {
		tb.Fatalf("dbtest: creating database %s: %v", name, err)
	}
	dsn := server.dsn(name)
	d, err := db.Open(ctx, dsn, 50)
	if err != nil {
		tb.Fatalf("dbtest: opening database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		d.Close()
		if server.stats {
			// Forget the database's statements, so they never crowd out others'.
			server.admin.Exec(`SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database WHERE datname = $1`, name)
		}
		if _, err := server.admin.Exec(`DROP DATABASE ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`); err != nil {
			tb.Errorf("dbtest: dropping database %s: %v", name, err)
		}
	})
	return d, dsn
}

// create copies the template into a new database called name.
func create(ctx context.Context, name string) error {
	// PostgreSQL refuses to copy a template while another session uses it (SQLSTATE
	// 55006), as a concurrent copy may. Copying one at a time avoids most of that, and
	// a few retries cover the rest, such as autovacuum visiting the template.
	createMu.Lock()
	defer createMu.Unlock()
	q := `CREATE DATABASE ` + pq.QuoteIdentifier(name) + ` TEMPLATE ` + pq.QuoteIdentifier(server.template)
	for attempt := 1; ; attempt++ {
		_, err := server.admin.ExecContext(ctx, q)
		if err == nil || attempt == 10 || pq.As(err, pqerror.ObjectInUse) == nil {
			return err
		}
		time.Sleep(time.Duration(attempt) * 20 * time.Millisecond)
	}
}

// Statements starts counting the SQL statements run in d's database and returns a
// function that reports how many have completed since. It is for tests that pin down
// what a request costs, such as that a list query does not run once per row.
//
// Counted are the statements clients send, each once: BEGIN and COMMIT count, the
// queries that triggers and functions run inside them do not, and statements that fail
// are not counted. Everything run in the database counts, whichever connection ran it.
// The test is skipped if the server does not load pg_stat_statements.
func Statements(tb testing.TB, d *sqlx.DB) func() int {
	tb.Helper()
	if !server.stats {
		tb.Skip("dbtest: statement counts need pg_stat_statements in shared_preload_libraries and CREATE EXTENSION rights on the TEST_DATABASE_URL database")
	}
	var dbid int64
	// This query is recorded before the reset, which then forgets it.
	if err := d.Get(&dbid, `SELECT oid FROM pg_database WHERE datname = current_database()`); err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	// pg_stat_statements records a statement in shared memory as it ends, before the
	// client gets its reply, so the counts below are current without waiting.
	// PostgreSQL 15: pg_stat_statements_reset(userid, dbid, queryid), 0 meaning all.
	var dealloc int64
	const reset = `SELECT pg_stat_statements_reset(0, $1, 0), (SELECT dealloc FROM pg_stat_statements_info)`
	if err := server.admin.QueryRow(reset, dbid).Scan(new(any), &dealloc); err != nil {
		tb.Fatalf("dbtest: resetting pg_stat_statements: %v", err)
	}
	return func() int {
		tb.Helper()
		var n, dealloc2 int64
		// Only top-level statements: with pg_stat_statements.track = all, nested ones
		// (in triggers, functions, foreign-key checks) are recorded too. A connection the
		// pool opens meanwhile sets itself up first; that is not the work counted.
		const count = `SELECT coalesce(sum(calls), 0), (SELECT dealloc FROM pg_stat_statements_info)
			FROM pg_stat_statements WHERE dbid = $1 AND toplevel AND query <> $2`
		if err := server.admin.QueryRow(count, dbid, db.ConnSetup).Scan(&n, &dealloc2); err != nil {
			tb.Fatalf("dbtest: counting statements: %v", err)
		}
		if dealloc2 != dealloc {
			tb.Fatal("dbtest: pg_stat_statements ran out of room and dropped entries, so the count may be short; raise pg_stat_statements.max")
		}
		return int(n)
	}
}

// withDBName returns dsn, a URL or key=value connection string, naming database name.
func withDBName(dsn, name string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path, u.RawPath = "/"+name, ""
		q := u.Query()
		q.Del("dbname")
		u.RawQuery = q.Encode()
		return u.String()
	}
	// In a key=value string the last setting of a key wins. Names made by this
	// package need no quoting.
	return dsn + " dbname=" + name
}

// TimeLeft is how long tb may still wait for something that must happen (a server to
// answer, a process to end): nine tenths of the time left before the test binary's
// -timeout, so that a wait which never ends fails with its own message, not the binary's
// panic. Tests wait for outcomes this long rather than for a fixed time, which a loaded
// machine can exceed without anything being wrong.
func TimeLeft(tb testing.TB) time.Duration {
	if t, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := t.Deadline(); ok {
			left := time.Until(deadline)
			return left - left/10
		}
	}
	return time.Hour // go test -timeout 0, or a benchmark
}
