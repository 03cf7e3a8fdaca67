// Package db holds linli's domain types and the PostgreSQL store behind them: every
// exported Store method owns its transaction and returns *Error for what a client can fix.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"linli/metrics"
)

// Store is the database behind the service.
type Store struct {
	DB *sqlx.DB
	// Read, when set, serves statistics: a read replica, so analysts' queries never slow
	// the primary. Everything else uses DB.
	Read *sqlx.DB
	// Stats protect the figures and the database behind them.
	Stats StatsSettings
	// Now is the clock; tests move it to expire tokens and claims.
	Now func() time.Time
	// Password hashing costs for new hashes.
	Password PasswordParams
	// TokenTTL is how long a sign-in token lasts.
	TokenTTL time.Duration
	// LoginLimits bound failed sign-ins per phone number, per client address and per both.
	LoginLimits LoginLimits
	// BallotKey is the server secret behind secret ballots: it seals an open secret vote's
	// sums and choices (AES-256-GCM, under a key derived from it) and keys the replace keys
	// of changeable ones (HMAC-SHA256). It lives outside the database: whoever reads the
	// tables alone cannot tell whose ballot is whose. At least 32 bytes.
	BallotKey []byte
	// LoadBallotKey, when BallotKey is empty, supplies it on first use (once).
	LoadBallotKey func() ([]byte, error)
	// Metrics, when set, count what the store does (loader batches, sweeps, figures).
	Metrics *metrics.Set

	ballotKeyOnce sync.Once
	ballotKey     []byte
	ballotKeyErr  error
	sealerOnce    sync.Once // the sealer is derived from the key once, not per cast
	sealer        *ballotSealer
	sealerErr     error
	// sealedVotes are the votes known to have no ballots left from before migration 0008.
	sealedVotes sync.Map // vote id -> struct{}
	// boxedVotes say of each vote a cast has read whether its casts are written in batches
	// (secret and not changeable); ballotBoxes are those votes' boxes. One small entry per
	// vote this process has cast in, kept for its life: a community holds a few votes a month.
	boxedVotes  sync.Map // vote id -> bool
	ballotBoxes sync.Map // vote id -> *ballotBox

	// statsBegin is held while an answer of figures takes its connections, one per part:
	// two answers taking theirs in turn could otherwise each hold some and wait for the
	// rest of a pool the other has emptied, for ever.
	statsBegin sync.Mutex

	stmts     sync.Map // query text -> *sqlx.Stmt
	preparing sync.Map // query text -> struct{}: being prepared for the pool
}

// NewStore returns a Store over an open database with the default settings.
func NewStore(d *sqlx.DB) *Store {
	return &Store{
		DB:          d,
		Now:         time.Now,
		Password:    DefaultPasswordParams,
		TokenTTL:    30 * 24 * time.Hour,
		LoginLimits: DefaultLoginLimits,
		Stats:       DefaultStatsSettings,
	}
}

// DefaultMaxConns is the pool size when none is configured: four connections per core the
// process may use, at least 16. PostgreSQL's work on a connection is CPU, so many more only
// queue inside PostgreSQL, with a process and its context switches each: 1,000 voters
// casting at once on 2 cores got 389 ballots/s through 50 connections, 498 through 20 and
// 581 through 10 (BenchmarkBallots). Fewer than 16 starved requests that run statements
// side by side: the feed at 8 clients ran 0.87 of PostGraphile's rate through 8, 1.01
// through 20 (bench/run, first: 10).
func DefaultMaxConns() int { return max(16, 4*runtime.GOMAXPROCS(0)) }

// Open connects to PostgreSQL at dsn and checks that it answers.
func Open(ctx context.Context, dsn string, maxConns int) (*sqlx.DB, error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return configure(ctx, sqlx.NewDb(sql.OpenDB(genericPlans{c}), "postgres"), maxConns)
}

// genericPlans hands out connections on which a prepared statement is planned once, for
// any values (plan_cache_mode = force_generic_plan), instead of again on every run while
// PostgreSQL judges a custom plan cheaper. Our statements are prepared once per connection
// and run thousands of times; planning a statement of many joins cost more than running
// it: the feed's figures of who the volunteer is in contact with took 1.1 ms to plan and
// 0.3 ms to run. Figures for analysts, whose best plan depends on the period and place
// asked about, are planned for their values again (statsRead).
type genericPlans struct{ *pq.Connector }

// ConnSetup is what each new connection runs first (genericPlans): setup, not work done
// for a request, which statement counts leave out.
const ConnSetup = `SET plan_cache_mode = force_generic_plan`

func (c genericPlans) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.(driver.ExecerContext).ExecContext(ctx, ConnSetup, nil); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func configure(ctx context.Context, d *sqlx.DB, maxConns int) (*sqlx.DB, error) {
	d.SetMaxOpenConns(maxConns)
	d.SetMaxIdleConns(maxConns)
	d.SetConnMaxIdleTime(5 * time.Minute)
	if err := d.PingContext(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// prepared returns the statement for q, prepared once for the Store. database/sql then
// prepares it once per connection and reuses it: lib/pq would otherwise parse and plan a
// parameterised query on every call, in two round trips.
func (s *Store) prepared(ctx context.Context, q string) (*sqlx.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sqlx.Stmt), nil
	}
	st, err := s.DB.PreparexContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sqlx.Stmt), nil
	}
	return st, nil
}

// get runs a prepared single-row query outside a transaction.
func (s *Store) get(ctx context.Context, dest any, q string, args ...any) error {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return err
	}
	return st.GetContext(ctx, dest, args...)
}

// selectRows runs a prepared query outside a transaction.
func (s *Store) selectRows(ctx context.Context, dest any, q string, args ...any) error {
	st, err := s.prepared(ctx, q)
	if err != nil {
		return err
	}
	return selectStmt(ctx, st, q, dest, args...)
}

// selectByKey runs a prepared query that takes an array of keys as $1, and returns the rows
// by key. Keys with no row are absent: the database does not return rows in key order, and
// callers look up what they asked for.
func selectByKey[T any](ctx context.Context, s *Store, q string, keys []int64, key func(T) int64) (map[int64]T, error) {
	var rows []T
	if err := s.selectRows(ctx, &rows, q, pq.Array(keys)); err != nil {
		return nil, err
	}
	m := make(map[int64]T, len(rows))
	for _, r := range rows {
		m[key(r)] = r
	}
	return m, nil
}

// selectGrouped runs a prepared query that takes an array of keys as $1, and groups the
// rows by key, keeping their order: the many side of a one-to-many batch.
func selectGrouped[T any](ctx context.Context, s *Store, q string, keys []int64, key func(T) int64) (map[int64][]T, error) {
	var rows []T
	if err := s.selectRows(ctx, &rows, q, pq.Array(keys)); err != nil {
		return nil, err
	}
	m := make(map[int64][]T, len(keys))
	for _, r := range rows {
		m[key(r)] = append(m[key(r)], r)
	}
	return m, nil
}

// selectGroupedIDs runs a prepared query that takes an array of keys as $1 and returns rows
// of (key, id), and groups the ids by key, keeping their order: a link table read in batch.
func selectGroupedIDs(ctx context.Context, s *Store, q string, keys []int64) (map[int64][]int64, error) {
	type link struct {
		Key int64 `db:"key"`
		ID  int64 `db:"id"`
	}
	links, err := selectGrouped(ctx, s, q, keys, func(l link) int64 { return l.Key })
	if err != nil {
		return nil, err
	}
	m := make(map[int64][]int64, len(links))
	for k, ls := range links {
		for _, l := range ls {
			m[k] = append(m[k], l.ID)
		}
	}
	return m, nil
}

// Tx is a transaction that carries the time it began, so every row it writes agrees on now.
type Tx struct {
	*sqlx.Tx
	store *Store
	ctx   context.Context
	now   time.Time
}

// Begin starts a transaction.
func (s *Store) Begin(ctx context.Context) (*Tx, error) {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &Tx{Tx: tx, store: s, ctx: ctx, now: s.Now().UTC()}, nil
}

// Now is the time the transaction began, by the Store's clock.
func (tx *Tx) Now() time.Time { return tx.now }

func (tx *Tx) stmt(q string) (*sqlx.Stmt, error) {
	if st, ok := tx.store.stmts.Load(q); ok {
		return tx.StmtxContext(tx.ctx, st.(*sqlx.Stmt)), nil
	}
	// Not prepared for the pool yet. Preparing it there needs a free connection, and when
	// every connection is held by a transaction like this one, waiting on the same row
	// lock, none would come: prepare it for this transaction alone, and for the pool in
	// the background.
	if _, busy := tx.store.preparing.LoadOrStore(q, struct{}{}); !busy {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := tx.store.prepared(ctx, q); err != nil {
				tx.store.preparing.Delete(q) // try again next time
			}
		}()
	}
	return tx.PreparexContext(tx.ctx, q)
}

// get runs a prepared single-row query in the transaction.
func (tx *Tx) get(dest any, q string, args ...any) error {
	st, err := tx.stmt(q)
	if err != nil {
		return err
	}
	return st.GetContext(tx.ctx, dest, args...)
}

// selectRows runs a prepared query in the transaction.
func (tx *Tx) selectRows(dest any, q string, args ...any) error {
	st, err := tx.stmt(q)
	if err != nil {
		return err
	}
	return selectStmt(tx.ctx, st, q, dest, args...)
}

// exec runs a prepared statement in the transaction.
func (tx *Tx) exec(q string, args ...any) (sql.Result, error) {
	st, err := tx.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(tx.ctx, args...)
}

// sqlState returns the SQLSTATE of a PostgreSQL error, or "".
func sqlState(err error) string {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return string(pe.Code)
	}
	return ""
}

// SQLSTATE codes the store tells apart.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
)

// notFound turns sql.ErrNoRows into a NOT_FOUND error with msg.
func notFound(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &Error{Code: ENOTFOUND, Message: msg}
	}
	return err
}

// notFoundAs turns sql.ErrNoRows from a conditional UPDATE into an error with code and msg:
// the row was there (it was locked before) but not in a state the update applies to.
func notFoundAs(err error, code, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return &Error{Code: code, Message: msg}
	}
	return err
}
