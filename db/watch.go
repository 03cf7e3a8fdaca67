package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Watch observes every statement a database runs, at the one place they all pass: the
// driver's connection, wrapped (OpenWatched). Prepared or not, in a transaction or not,
// BEGIN, COMMIT and ROLLBACK included.
type Watch struct {
	// Seconds, when set, observes each statement's time (its rows read included).
	Seconds prometheus.Observer
	// Tracer, when set, makes a span per statement under the span in the statement's
	// context, with the statement's text: our SQL carries its values as parameters, which
	// never go into a span. Statements outside a traced request (migrations, sweeps, the
	// pool's own) make no span.
	Tracer trace.Tracer
}

// OpenWatched is Open, with every statement observed by w.
func OpenWatched(ctx context.Context, dsn string, maxConns int, w Watch) (*sqlx.DB, error) {
	if w.Seconds == nil && w.Tracer == nil {
		return Open(ctx, dsn, maxConns)
	}
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return configure(ctx, sqlx.NewDb(sql.OpenDB(&watchedConnector{Connector: genericPlans{c}, w: &w}), "postgres"), maxConns)
}

// start begins observing statement q.
func (w *Watch) start(ctx context.Context, q string) watching {
	o := watching{w: w, start: time.Now()}
	if w.Tracer != nil && trace.SpanContextFromContext(ctx).IsValid() {
		_, o.span = w.Tracer.Start(ctx, spanName(q), trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("db.system", "postgresql"), attribute.String("db.system.name", "postgresql"),
				attribute.String("db.query.text", q)))
	}
	return o
}

type watching struct {
	w     *Watch
	start time.Time
	span  trace.Span
}

func (o watching) end(err error) {
	if o.w.Seconds != nil {
		o.w.Seconds.Observe(time.Since(o.start).Seconds())
	}
	if o.span == nil {
		return
	}
	if err != nil && !errors.Is(err, driver.ErrSkip) && !errors.Is(err, io.EOF) {
		if state := sqlState(err); state != "" {
			o.span.SetAttributes(attribute.String("db.response.status_code", state))
		}
		// The error's text may quote a value (a duplicate key, say): only its code goes out.
		o.span.SetStatus(codes.Error, "")
	}
	o.span.End()
}

// spanName is the statement's first word, such as SELECT or UPDATE: short, and the same
// for every run of the statement.
func spanName(q string) string {
	q = strings.TrimLeft(q, " \t\r\n(")
	if i := strings.IndexAny(q, " \t\r\n("); i > 0 {
		q = q[:i]
	}
	if q == "" {
		return "SQL"
	}
	return strings.ToUpper(q)
}

// watchedConnector hands out lib/pq connections wrapped in watchedConn.
type watchedConnector struct {
	driver.Connector
	w *Watch
}

// pqConn is what database/sql uses of a lib/pq connection: the wrapper offers the same, so
// nothing falls back to a slower path (a query prepared just to run it once, say).
type pqConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

func (c *watchedConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if pc, ok := conn.(pqConn); ok {
		return &watchedConn{pqConn: pc, w: c.w}, nil
	}
	return conn, nil
}

type watchedConn struct {
	pqConn
	w *Watch
}

func (c *watchedConn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}

func (c *watchedConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := c.pqConn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if ps, ok := st.(pqStmt); ok {
		return &watchedStmt{pqStmt: ps, q: q, w: c.w}, nil
	}
	return st, nil // COPY: not ours to watch
}

func (c *watchedConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *watchedConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	o := c.w.start(ctx, "BEGIN")
	tx, err := c.pqConn.BeginTx(ctx, opts)
	o.end(err)
	if err != nil {
		return nil, err
	}
	return &watchedTx{Tx: tx, ctx: ctx, w: c.w}, nil
}

func (c *watchedConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	o := c.w.start(ctx, q)
	res, err := c.pqConn.ExecContext(ctx, q, args)
	o.end(err)
	return res, err
}

func (c *watchedConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	o := c.w.start(ctx, q)
	rows, err := c.pqConn.QueryContext(ctx, q, args)
	return watchRows(o, rows, err)
}

type pqStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

type watchedStmt struct {
	pqStmt
	q string
	w *Watch
}

func (s *watchedStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	o := s.w.start(ctx, s.q)
	res, err := s.pqStmt.ExecContext(ctx, args)
	o.end(err)
	return res, err
}

func (s *watchedStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	o := s.w.start(ctx, s.q)
	rows, err := s.pqStmt.QueryContext(ctx, args)
	return watchRows(o, rows, err)
}

// watchedTx observes COMMIT and ROLLBACK under the context the transaction began with.
type watchedTx struct {
	driver.Tx
	ctx context.Context
	w   *Watch
}

func (t *watchedTx) Commit() error {
	o := t.w.start(t.ctx, "COMMIT")
	err := t.Tx.Commit()
	o.end(err)
	return err
}

func (t *watchedTx) Rollback() error {
	o := t.w.start(t.ctx, "ROLLBACK")
	err := t.Tx.Rollback()
	o.end(err)
	return err
}

// pqRows is what database/sql uses of lib/pq's rows.
type pqRows interface {
	driver.Rows
	driver.RowsNextResultSet
	driver.RowsColumnTypeScanType
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypePrecisionScale
}

// watchRows ends the observation when the rows are closed, so a statement's time includes
// reading its rows.
func watchRows(o watching, rows driver.Rows, err error) (driver.Rows, error) {
	if err != nil {
		o.end(err)
		return nil, err
	}
	pr, ok := rows.(pqRows)
	if !ok {
		o.end(nil)
		return rows, nil
	}
	return &watchedRows{pqRows: pr, o: o}, nil
}

type watchedRows struct {
	pqRows
	o      watching
	err    error
	closed bool
}

func (r *watchedRows) Next(dest []driver.Value) error {
	err := r.pqRows.Next(dest)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return err
}

func (r *watchedRows) Close() error {
	err := r.pqRows.Close()
	if !r.closed {
		r.closed = true
		r.o.end(errors.Join(r.err, err))
	}
	return err
}
