// Command linli serves the linli GraphQL API. With no configuration it starts a private
// PostgreSQL from the installed binaries, migrates it, loads demo data and serves the
// playground; see README.md for the settings.
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"linli/db"
	"linli/db/demo"
	"linli/db/district"
	"linli/db/pgcluster"
	"linli/graph"
	"linli/metrics"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	collectGarbageLess(os.Getenv)
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "linli:", err)
		os.Exit(1)
	}
}

// collectGarbageLess sets the collector for a service whose live heap is small (tens of MB)
// and whose requests allocate a lot and briefly: the heap may grow to five times what is live
// (GOGC=400) but the collector works harder from 120 MiB on (GOMEMLIMIT), so memory stays
// under about 150 MB. Measured on the feed (README, Performance), the default collector cost
// a quarter of the CPU. GOGC or GOMEMLIMIT in the environment take precedence.
func collectGarbageLess(getenv func(string) string) {
	if getenv("GOGC") == "" && getenv("GOMEMLIMIT") == "" {
		debug.SetGCPercent(400)
		debug.SetMemoryLimit(120 << 20)
	}
}

// settings are read from the environment; README.md lists them all.
type settings struct {
	listen      string // host:port to listen on (LINLI_LISTEN, or 127.0.0.1 and PORT)
	databaseURL string
	readURL     string
	dataDir     string
	ballotKey   string
	demo        bool
	logLevel    slog.Level
	dbMaxConns  int
	sweepEvery  time.Duration
	adminListen string // LINLI_ADMIN_LISTEN: /metrics and /debug/pprof/, "" when off
	notify      graph.NotifySettings
	notifyHook  string
	store       func(*db.Store)
	api         graph.Options
}

func readSettings(getenv func(string) string) (settings, error) {
	s := settings{
		databaseURL: getenv("DATABASE_URL"),
		readURL:     getenv("DATABASE_READ_URL"),
		dataDir:     or(getenv("LINLI_DATA_DIR"), ".linli"),
		ballotKey:   getenv("LINLI_BALLOT_KEY"),
		api:         graph.DefaultOptions(),
	}
	var errs []error
	num := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a positive whole number", name, v))
			return def
		}
		return n
	}
	dur := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q: want a duration such as 15s, 10m or 720h", name, v))
			return def
		}
		return d
	}
	// A background interval may be off: that process then only serves requests, and
	// another process on the database must run the work.
	every := func(name string, def time.Duration) time.Duration {
		if strings.EqualFold(strings.TrimSpace(getenv(name)), "off") {
			return 0
		}
		return dur(name, def)
	}
	onOff := func(name string) bool {
		switch v := strings.ToLower(getenv(name)); v {
		case "", "off", "false", "0":
			return false
		case "on", "true", "1":
			return true
		default:
			errs = append(errs, fmt.Errorf("%s=%q: want on or off", name, v))
			return false
		}
	}
	s.api.PersistedQueryCache = num("LINLI_APQ_CACHE_SIZE", s.api.PersistedQueryCache)
	s.api.TrustedDocuments = onOff("LINLI_TRUSTED_DOCUMENTS")
	s.api.TrustedDocumentsDevelopers = onOff("LINLI_TRUSTED_DOCUMENTS_DEVELOPERS")
	switch v := strings.ToLower(getenv("LINLI_DEMO")); v {
	case "", "on", "true", "1":
		s.demo = true
	case "off", "false", "0":
	default:
		errs = append(errs, fmt.Errorf("LINLI_DEMO=%q: want on or off", v))
	}
	if err := s.logLevel.UnmarshalText([]byte(or(getenv("LINLI_LOG_LEVEL"), "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LINLI_LOG_LEVEL: want debug, info, warn or error"))
	}
	if listen, err := listenAddress(getenv("LINLI_LISTEN"), getenv("PORT")); err != nil {
		errs = append(errs, err)
	} else {
		s.listen = listen
	}
	s.dbMaxConns = num("LINLI_DB_MAX_CONNS", db.DefaultMaxConns())
	_, publicPort, _ := net.SplitHostPort(s.listen)
	if a, err := adminListen(getenv, publicPort); err != nil {
		errs = append(errs, err)
	} else {
		s.adminListen = a
	}
	s.sweepEvery = every("LINLI_SWEEP_INTERVAL", time.Minute)
	var err error
	if s.notify, s.notifyHook, err = readNotify(getenv, num, dur, every); err != nil {
		errs = append(errs, err)
	}
	tokenTTL := dur("LINLI_TOKEN_TTL", 30*24*time.Hour)
	login := db.LoginLimits{
		PerPhoneAddress: num("LINLI_LOGIN_MAX_FAILURES", db.DefaultLoginLimits.PerPhoneAddress),
		PerAddress:      num("LINLI_LOGIN_MAX_FAILURES_PER_ADDRESS", db.DefaultLoginLimits.PerAddress),
		PerPhone:        num("LINLI_LOGIN_MAX_FAILURES_PER_PHONE", db.DefaultLoginLimits.PerPhone),
		Window:          dur("LINLI_LOGIN_WINDOW", db.DefaultLoginLimits.Window),
	}
	if login.PerPhone <= login.PerPhoneAddress {
		// Else one address's failures would lock the owner out from everywhere.
		errs = append(errs, fmt.Errorf("LINLI_LOGIN_MAX_FAILURES_PER_PHONE=%d: want more than LINLI_LOGIN_MAX_FAILURES=%d", login.PerPhone, login.PerPhoneAddress))
	}
	stats := db.StatsSettings{
		Timeout:   dur("LINLI_STATS_TIMEOUT", db.DefaultStatsSettings.Timeout),
		MinGroup:  num("LINLI_STATS_MIN_GROUP", db.DefaultStatsSettings.MinGroup),
		MaxGroups: num("LINLI_STATS_MAX_GROUPS", db.DefaultStatsSettings.MaxGroups),
	}
	s.store = func(st *db.Store) {
		st.TokenTTL, st.LoginLimits = tokenTTL, login
		st.Stats = stats
	}
	s.api.RequestTimeout = dur("LINLI_REQUEST_TIMEOUT", s.api.RequestTimeout)
	s.api.MaxBodyBytes = int64(num("LINLI_MAX_BODY_BYTES", int(s.api.MaxBodyBytes)))
	s.api.MaxUploadBytes = int64(num("LINLI_MAX_UPLOAD_BYTES", int(s.api.MaxUploadBytes)))
	s.api.UploadTimeout = dur("LINLI_UPLOAD_TIMEOUT", s.api.UploadTimeout)
	s.api.MaxDepth = num("LINLI_MAX_DEPTH", s.api.MaxDepth)
	s.api.MaxComplexity = num("LINLI_MAX_COMPLEXITY", s.api.MaxComplexity)
	s.api.MaxAliases = num("LINLI_MAX_ALIASES", s.api.MaxAliases)
	s.api.MaxTokens = num("LINLI_MAX_TOKENS", s.api.MaxTokens)
	s.api.MaxFields = num("LINLI_MAX_FIELDS", s.api.MaxFields)
	s.api.MaxSetFields = num("LINLI_MAX_SET_FIELDS", s.api.MaxSetFields)
	s.api.MaxDirectives = num("LINLI_MAX_DIRECTIVES", s.api.MaxDirectives)
	if proxies, err := graph.ParseTrustedProxies(getenv("LINLI_TRUSTED_PROXIES")); err != nil {
		errs = append(errs, fmt.Errorf("LINLI_TRUSTED_PROXIES: want addresses or CIDR ranges separated by commas, such as 10.0.0.0/8,192.168.1.5: %w", err))
	} else {
		s.api.TrustedProxies = proxies
	}
	for _, o := range strings.Split(getenv("LINLI_CORS_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			s.api.AllowedOrigins = append(s.api.AllowedOrigins, o)
		}
	}
	return s, errors.Join(errs...)
}

// listenAddress is where the service listens: LINLI_LISTEN as host:port, or else this
// machine only (127.0.0.1) on PORT (8080 when unset). Every interface is a deliberate
// choice (LINLI_LISTEN=:8080), never the default: a developer's service with demo
// sign-ins should not be reachable from the café's Wi-Fi.
func listenAddress(listen, port string) (string, error) {
	if listen == "" {
		port = or(port, "8080")
		if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return "", fmt.Errorf("PORT=%q: want a port number", port)
		}
		return net.JoinHostPort("127.0.0.1", port), nil
	}
	if port != "" {
		return "", fmt.Errorf("LINLI_LISTEN=%q and PORT=%q: set one of them", listen, port)
	}
	host, p, err := net.SplitHostPort(listen)
	if _, perr := strconv.ParseUint(p, 10, 16); err != nil || perr != nil {
		return "", fmt.Errorf("LINLI_LISTEN=%q: want host:port, such as 127.0.0.1:8080, or :8080 for every interface", listen)
	}
	if host != "" && host != "localhost" {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", fmt.Errorf("LINLI_LISTEN=%q: want an IP address (or localhost) before the port", listen)
		}
	}
	return listen, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// run is the whole program, with everything it needs from the OS passed in, so tests can run it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 1 {
		if ok, err := withoutDatabase(args[1], stdout); ok {
			return err
		}
	}
	cfg, err := readSettings(getenv)
	if err != nil {
		return fmt.Errorf("bad settings: %w", err)
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	cfg.api.Logger = logger
	tracer, err := setupTracing(ctx, getenv)
	if err != nil {
		return fmt.Errorf("bad settings: %w", err)
	}
	// Last: the spans of the requests drained at shutdown still go out.
	defer func() {
		shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := tracer.Shutdown(shutCtx); err != nil {
			logger.Warn("sending the last spans", "error", err.Error())
		}
	}()
	cfg.api.Tracer = tracer.Tracer()
	set := metrics.New()
	watch := func(name string) db.Watch { return db.Watch{Seconds: set.Statements(name), Tracer: cfg.api.Tracer} }

	dsn := cfg.databaseURL
	if dsn == "" {
		bin, err := pgcluster.FindBinDir(getenv)
		if err != nil {
			return err
		}
		dir, err := filepath.Abs(cfg.dataDir)
		if err != nil {
			return err
		}
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: dir, BinDir: bin, Logger: logger})
		if err != nil {
			return err
		}
		// Stopped last, after the HTTP server has drained and the pool has closed.
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(stopCtx); err != nil {
				logger.Error("stopping PostgreSQL", "error", err.Error())
			}
		}()
		if err := createDatabase(ctx, cluster.DSN("postgres"), "linli"); err != nil {
			return err
		}
		dsn = cluster.DSN("linli")
		ctx = contextUntil(ctx, cluster.Done())
		logger.Info("private PostgreSQL started", "data_dir", dir, "pid", cluster.Pid())
	}

	d, err := db.OpenWatched(ctx, dsn, cfg.dbMaxConns, watch("primary"))
	if err != nil {
		return fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer d.Close()
	if len(args) > 1 && (args[1] == "check" || args[1] == "migrate") {
		if args[1] == "check" {
			return check(ctx, d, cfg, stdout)
		}
		return migrate(ctx, d, stdout)
	}
	set.WatchPool("primary", d.DB)
	applied, err := db.Migrate(ctx, d)
	if err != nil {
		return err
	}
	logger.Info("migrated", "applied", applied)
	if len(args) > 1 && args[1] == "generate" {
		// The open secret votes it makes are sealed under the key the server will use.
		key, err := loadBallotKey(cfg.ballotKey, cfg.dataDir)
		if err != nil {
			return fmt.Errorf("ballot key: %w", err)
		}
		return generate(ctx, d, args[2:], key, stderr, logger)
	}
	if len(args) > 1 && args[1] == "setup" {
		return setup(ctx, d, args[2:], getenv, stdout, stderr)
	}
	if len(args) > 1 && args[1] == "documents" {
		return documents(ctx, d, args[2:], stdout)
	}
	store := db.NewStore(d)
	cfg.store(store)
	store.Metrics = set
	if cfg.readURL != "" {
		// Figures for analysts read from the replica; it is migrated through the primary.
		read, err := db.OpenWatched(ctx, cfg.readURL, cfg.dbMaxConns, watch("replica"))
		if err != nil {
			return fmt.Errorf("connecting to the read replica (DATABASE_READ_URL): %w", err)
		}
		defer read.Close()
		set.WatchPool("replica", read.DB)
		store.Read = read
		logger.Info("statistics read from the replica")
	}
	if cfg.databaseURL != "" && cfg.ballotKey == "" {
		// No private cluster, so no data folder yet: make the key file only when a
		// secret vote (or the demo's open one) needs it.
		dir := cfg.dataDir
		store.LoadBallotKey = func() ([]byte, error) { return loadBallotKey("", dir) }
	} else if store.BallotKey, err = loadBallotKey(cfg.ballotKey, cfg.dataDir); err != nil {
		return fmt.Errorf("ballot key: %w", err)
	}
	if cfg.demo {
		loaded, err := demo.Load(ctx, store)
		if err != nil {
			return fmt.Errorf("loading demo data: %w", err)
		}
		if loaded {
			logger.Info("demo data loaded")
		}
	}

	// Overdue claims lapse on their own. Every process runs the sweep; the database hands
	// each overdue claim to exactly one of them.
	sweepCtx, stopSweep := context.WithCancel(ctx)
	defer stopSweep()
	if cfg.sweepEvery > 0 {
		go graph.RunSweeps(sweepCtx, store, cfg.sweepEvery, func(msg string, args ...any) { logger.Info(msg, args...) })
	}
	// Reminders and the outbox, the same way: every process runs them (README: Notifications).
	cfg.notify.Sender = notifySender(cfg.notifyHook, func() graph.LogSender { return graph.LogSender{Logger: logger} })
	if cfg.notify.Every > 0 {
		go graph.RunNotifications(sweepCtx, store, cfg.notify, func(msg string, args ...any) { logger.Info(msg, args...) })
	}

	// Live updates: one listening connection, whatever process made a change.
	hub := db.NewHub(dsn, func(msg string, args ...any) { logger.Info(msg, args...) })
	defer hub.Close()
	cfg.api.Hub = hub
	if err := set.Subscriptions(hub.Subscribers); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	var admin net.Addr
	if cfg.adminListen != "" {
		var stopAdmin func() error
		if admin, stopAdmin, err = serveAdmin(cfg.adminListen, set); err != nil {
			ln.Close()
			return err
		}
		defer stopAdmin()
	}
	srv := &http.Server{
		Handler:           graph.NewHandler(store, cfg.api),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	// Subscriptions end first at shutdown: an SSE stream would otherwise hold it up.
	srv.RegisterOnShutdown(hub.Close)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	printBanner(stdout, ln.Addr().(*net.TCPAddr), cfg.demo)
	if admin != nil {
		fmt.Fprintf(stdout, "\nMetrics: http://%s/metrics  pprof: http://%s/debug/pprof/\n", admin, admin)
	}

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing requests in flight")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, errDatabaseStopped) {
		return cause
	}
	return nil
}

// generate fills an empty database with a generated city district (linli generate), for
// trying the figures for analysts at scale; then the service can be started on it.
func generate(ctx context.Context, d *sqlx.DB, args []string, ballotKey []byte, stderr io.Writer, logger *slog.Logger) error {
	flags := flag.NewFlagSet("linli generate", flag.ContinueOnError)
	flags.SetOutput(stderr)
	seed := flags.Int64("seed", 1, "the same seed always makes the same district")
	scale := flags.Float64("scale", 1, "size relative to the benchmark district (10 subdistricts, 100 communities, 300,000 residents, 1,000,000 wishes, 5,000 votes, 500,000 ballots); e.g. 0.01 for a quick try")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *scale <= 0 || *scale > 1 {
		return fmt.Errorf("-scale %v: want more than 0 and at most 1", *scale)
	}
	cfg := district.Scale(*seed, time.Now())
	cfg.Subdistricts = max(1, int(float64(cfg.Subdistricts)**scale))
	cfg.Communities = max(cfg.Subdistricts, int(float64(cfg.Communities)**scale))
	cfg.Residents = int(float64(cfg.Residents) * *scale)
	cfg.Wishes = int(float64(cfg.Wishes) * *scale)
	cfg.Votes = max(1, int(float64(cfg.Votes)**scale))
	cfg.Ballots = int(float64(cfg.Ballots) * *scale)
	cfg.BallotKey = ballotKey
	started := time.Now()
	if err := district.Generate(ctx, d, cfg, func(format string, args ...any) { logger.Info(fmt.Sprintf(format, args...)) }); err != nil {
		return err
	}
	logger.Info("district generated", "seed", *seed, "scale", *scale, "took", time.Since(started).Round(time.Second).String())
	return nil
}

var errDatabaseStopped = errors.New("the private PostgreSQL stopped unexpectedly; see postgres.log in the data folder")

// contextUntil returns a context that also ends when done closes, so the service stops when
// the database it started dies.
func contextUntil(ctx context.Context, done <-chan struct{}) context.Context {
	ctx, cancel := context.WithCancelCause(ctx)
	go func() {
		select {
		case <-done:
			cancel(errDatabaseStopped)
		case <-ctx.Done():
		}
	}()
	return ctx
}

// createDatabase creates the named database on the server at adminDSN unless it exists.
func createDatabase(ctx context.Context, adminDSN, name string) error {
	d, err := db.Open(ctx, adminDSN, 1)
	if err != nil {
		return err
	}
	defer d.Close()
	var exists bool
	if err := d.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = d.ExecContext(ctx, `CREATE DATABASE `+pq.QuoteIdentifier(name)+` ENCODING 'UTF8'`)
	return err
}

// printBanner says where the service listens and how to reach it: on every interface, the
// URL names localhost and the line above says that other machines can reach it too.
func printBanner(w io.Writer, addr *net.TCPAddr, withDemo bool) {
	host, reach := addr.IP.String(), "this machine only"
	if addr.IP.IsUnspecified() {
		host, reach = "localhost", "every network interface: other machines can reach it"
	} else if !addr.IP.IsLoopback() {
		reach = "this address only"
	}
	base := "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
	fmt.Fprintf(w, "linli 邻里 is running, listening on %s (%s).\n  playground: %s/\n  GraphQL:    %s/query\n", addr, reach, base, base)
	if !withDemo {
		return
	}
	fmt.Fprintf(w, "\nDemo sign-ins (password %s for all):\n", demo.Password)
	for _, a := range demo.Accounts {
		// Chinese characters take two columns in a terminal: pad by width, not by rune.
		pad := strings.Repeat(" ", max(0, 12-2*utf8.RuneCountInString(a.RoleName)))
		fmt.Fprintf(w, "  %-16s %s%s %s  %s @ %s\n", a.Role, a.RoleName, pad, a.Phone, a.Name, a.Place)
	}
	fmt.Fprintf(w, "\nSign in from the playground:  mutation { login(phone: %q, password: %q) { token } }\n", demo.Accounts[1].Phone, demo.Password)
	fmt.Fprintln(w, `then add the header {"Authorization": "Bearer <token>"} and ask: { me { name roles { role place { name } } } }`)
}

// loadBallotKey returns the server secret behind secret ballots: LINLI_BALLOT_KEY
// (hex or base64, at least 32 bytes), or else the file ballot.key in the data directory,
// created with 32 random bytes (mode 0600) the first time. It is kept out of the database
// so that the tables alone never tell whose ballot is whose.
func loadBallotKey(env, dir string) ([]byte, error) {
	if env = strings.TrimSpace(env); env != "" {
		key, err := hex.DecodeString(env)
		if err != nil {
			if key, err = base64.StdEncoding.DecodeString(env); err != nil {
				return nil, errors.New("LINLI_BALLOT_KEY: want hex or base64")
			}
		}
		if len(key) < 32 {
			return nil, errors.New("LINLI_BALLOT_KEY: want at least 32 bytes")
		}
		return key, nil
	}
	path := filepath.Join(dir, "ballot.key")
	if key, err := os.ReadFile(path); err == nil {
		if len(key) < 32 {
			return nil, fmt.Errorf("%s: want at least 32 bytes", path)
		}
		return key, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return loadBallotKey("", dir) // another process made it first
	} else if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	return key, f.Close()
}
