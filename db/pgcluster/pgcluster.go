// Package pgcluster runs a private PostgreSQL cluster from the installed server binaries:
// its own data folder, a Unix socket and no TCP port, and a server that stops when the Go
// process stops, even when that process is killed. linli uses it when it is given no
// DATABASE_URL, and tests use it to get a real database without Docker.
//
// It is Linux-only: it relies on the parent-death signal (prctl PR_SET_PDEATHSIG).
package pgcluster

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/lib/pq" // the readiness check connects with lib/pq, like the rest of linli
)

// port is PostgreSQL's default. There is no TCP listener: the port only names the socket
// file (.s.PGSQL.5432), which lives in the cluster's own folder, so clusters never clash.
const port = 5432

// maxSocketPath is the longest Unix socket path Linux accepts (sun_path is 108 bytes,
// including the terminating NUL).
const maxSocketPath = 107

// Options configure Start.
type Options struct {
	// DataDir is the folder that holds everything: pgdata/ (the cluster), run/ (the
	// socket) and postgres.log. It is created if missing, and reused with its data if
	// it already holds a cluster.
	DataDir string
	// BinDir holds initdb and postgres; see FindBinDir.
	BinDir string
	// Settings are extra server settings, each passed as postgres -c key=value.
	Settings map[string]string
	// Logger receives start and stop events; nil discards them.
	Logger *slog.Logger
}

// Cluster is a running postmaster started by Start.
type Cluster struct {
	dataDir, runDir, logPath string
	proc                     *os.Process
	done                     chan struct{} // closed when the postmaster has exited
	log                      *slog.Logger

	stopMu sync.Mutex // one Stop at a time
}

// Start runs PostgreSQL in o.DataDir, creating the cluster first if there is none, and
// returns once it answers queries on its Unix socket. The server is stopped when the Go
// process exits for any reason; call Stop to stop it earlier and cleanly.
func Start(ctx context.Context, o Options) (*Cluster, error) {
	if o.DataDir == "" || o.BinDir == "" {
		return nil, errors.New("pgcluster: Options.DataDir and Options.BinDir are required")
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Absolute, because postgres changes into its data directory and the socket folder
	// is given on its command line.
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		dataDir: dir,
		runDir:  filepath.Join(dir, "run"),
		logPath: filepath.Join(dir, "postgres.log"),
		done:    make(chan struct{}),
		log:     log,
	}
	pgdata := filepath.Join(dir, "pgdata")
	if sock := filepath.Join(c.runDir, fmt.Sprintf(".s.PGSQL.%d", port)); len(sock) > maxSocketPath {
		return nil, fmt.Errorf("pgcluster: the data folder %s is too deep: its socket path would be %d bytes and Unix sockets allow %d; choose a shorter LINLI_DATA_DIR", dir, len(sock), maxSocketPath)
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if pid := livePostmaster(pgdata); pid != 0 {
		return nil, fmt.Errorf("pgcluster: another process (postgres, pid %d) uses the data folder %s: stop it, or choose another LINLI_DATA_DIR", pid, dir)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := mkdirOwned(c.runDir, cred); err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(c.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	// The children write into their own copy of the descriptor; ours is not needed after.
	defer logFile.Close()
	if err := chown(c.logPath, cred); err != nil {
		return nil, err
	}
	// logEnd tells where the next program's output begins, so errors quote only its own.
	logEnd := func() int64 {
		n, _ := logFile.Seek(0, io.SeekEnd)
		return n
	}

	if _, err := os.Stat(filepath.Join(pgdata, "PG_VERSION")); errors.Is(err, fs.ErrNotExist) {
		log.Info("creating PostgreSQL cluster", "dir", pgdata)
		logStart := logEnd()
		if err := initdb(ctx, o.BinDir, pgdata, cred, logFile); err != nil {
			return nil, c.explain("initdb", err, logStart)
		}
	} else if err != nil {
		return nil, err
	}

	args := []string{"-D", pgdata, "-k", c.runDir, "-p", strconv.Itoa(port),
		"-c", "listen_addresses=", "-c", "unix_socket_permissions=0700"}
	for _, k := range slices.Sorted(maps.Keys(o.Settings)) {
		args = append(args, "-c", k+"="+o.Settings[k])
	}
	cmd := serverCommand(filepath.Join(o.BinDir, "postgres"), args, pgdata, cred, logFile)
	// Fast shutdown when this process dies: it disconnects clients, checkpoints and
	// exits within moments, leaving a cluster the next Start reuses without recovery.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGINT
	logStart := logEnd()
	wait, err := startLocked(cmd)
	if err != nil {
		return nil, c.explain("postgres", err, logStart)
	}
	c.proc = cmd.Process
	go func() {
		err := <-wait
		log.Info("PostgreSQL exited", "pid", c.proc.Pid, "status", err)
		close(c.done)
	}()
	log.Info("PostgreSQL starting", "pid", c.proc.Pid, "dir", pgdata)

	if err := c.waitReady(ctx, logStart); err != nil {
		c.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	log.Info("PostgreSQL ready", "socket", c.runDir)
	return c, nil
}

// DSN returns a lib/pq connection string for database dbname over the cluster's socket.
func (c *Cluster) DSN(dbname string) string {
	return fmt.Sprintf("host=%s port=%d user=postgres dbname=%s sslmode=disable",
		dsnValue(c.runDir), port, dsnValue(dbname))
}

// Pid returns the process id of the postmaster.
func (c *Cluster) Pid() int { return c.proc.Pid }

// Done returns a channel closed when the postmaster exits, whoever stopped it, so a
// service can notice that its database is gone.
func (c *Cluster) Done() <-chan struct{} { return c.done }

// Stop shuts the server down and waits until the postmaster and all its children have
// exited. It asks for a fast shutdown (SIGINT); if ctx ends or 30 s pass first, it asks
// for an immediate one (SIGQUIT), and as a last resort kills every process of the
// cluster. Stop may be called more than once.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.exited() {
		return nil
	}
	c.log.Info("stopping PostgreSQL", "pid", c.Pid())
	c.proc.Signal(syscall.SIGINT)
	if c.waitExit(ctx, 30*time.Second) {
		return nil
	}
	c.log.Warn("PostgreSQL did not stop in time; asking for an immediate shutdown", "pid", c.Pid())
	c.proc.Signal(syscall.SIGQUIT)
	// PostgreSQL itself SIGKILLs its children 5 s after an immediate shutdown request.
	if c.waitExit(context.Background(), 10*time.Second) {
		return nil
	}
	// Children must be found before the postmaster dies: then they are reparented away.
	children := childrenOf(c.Pid())
	c.proc.Kill()
	for _, pid := range children {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	<-c.done
	for _, pid := range children {
		for syscall.Kill(pid, 0) == nil {
			time.Sleep(10 * time.Millisecond)
		}
	}
	return fmt.Errorf("pgcluster: PostgreSQL (pid %d) ignored shutdown requests and was killed", c.Pid())
}

func (c *Cluster) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitExit waits until the postmaster exits (true), ctx ends or d passes (false).
func (c *Cluster) waitExit(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.done:
		return true
	case <-ctx.Done():
		return false
	case <-t.C:
		return false
	}
}

// waitReady polls until the server answers SELECT 1 over its socket, for at most 60 s.
func (c *Cluster) waitReady(ctx context.Context, logStart int64) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	d, err := sql.Open("postgres", c.DSN("postgres")+" connect_timeout=5")
	if err != nil {
		return err
	}
	defer d.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		var one int
		err := d.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
		if err == nil {
			return nil
		}
		select {
		case <-c.done:
			return c.explain("postgres", errors.New("exited during start-up"), logStart)
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: PostgreSQL did not accept connections on %s: %w (last error: %v); see %s",
				c.runDir, ctx.Err(), err, c.logPath)
		case <-tick.C:
		}
	}
}

// explain wraps the failure of program with the server log written since logStart, and
// with a hint when the server user cannot reach the data folder.
func (c *Cluster) explain(program string, err error, logStart int64) error {
	if errors.Is(err, fs.ErrPermission) && os.Geteuid() == 0 {
		// The child changes into the data folder and then executes the program after
		// switching to the postgres user, so that user cannot reach one of them.
		return fmt.Errorf("pgcluster: %s failed: the postgres user cannot reach the data folder %s or the program (%w): "+
			"set LINLI_DATA_DIR to a folder it can reach, or make every folder above it traversable (chmod o+x)",
			program, c.dataDir, err)
	}
	return fmt.Errorf("pgcluster: %s failed: %w; last lines of %s:\n%s", program, err, c.logPath, logTail(c.logPath, logStart, 20))
}

// initdb creates a cluster at pgdata. It builds it in a sibling folder and renames it
// into place when complete, so a crash part-way never leaves a half-made cluster that
// the next Start would mistake for a real one.
func initdb(ctx context.Context, binDir, pgdata string, cred *syscall.Credential, logFile *os.File) error {
	tmp := pgdata + ".init"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := mkdirOwned(tmp, cred); err != nil {
		return err
	}
	args := []string{"-D", tmp, "-U", "postgres", "--auth=trust", "--encoding=UTF8"}
	if hasLocale("C.UTF-8") {
		// Character classes and upper/lower follow Unicode (so they work on Chinese and
		// accented text), while sorting stays the C collation: plain code-point order,
		// which for UTF-8 is byte order. That is the same order C.UTF-8 gives, but
		// faster, and immune to collation changes in glibc upgrades that would
		// otherwise corrupt text indexes.
		args = append(args, "--locale=C.UTF-8", "--lc-collate=C")
	} else {
		args = append(args, "--no-locale")
	}
	cmd := serverCommand(filepath.Join(binDir, "initdb"), args, tmp, cred, logFile)
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL // the half-made cluster is thrown away anyway
	wait, err := startLocked(cmd)
	if err != nil {
		return err
	}
	select {
	case err = <-wait:
	case <-ctx.Done():
		cmd.Process.Kill()
		<-wait
		err = ctx.Err()
	}
	if err != nil {
		return err
	}
	// Renaming a folder onto an empty one replaces it, onto a non-empty one fails: a
	// pgdata folder with content but no PG_VERSION is left for a human to look at.
	return os.Rename(tmp, pgdata)
}

// serverCommand prepares to run a PostgreSQL program in dir as the server user, with its
// output appended to the log.
func serverCommand(path string, args []string, dir string, cred *syscall.Credential, logFile *os.File) *exec.Cmd {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// PG* variables such as PGPORT or PGDATA would silently change what the programs do.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: cred,
		// A process group of its own keeps a Ctrl-C in the terminal from reaching the
		// server directly: the Go program gets it and stops the server in its own time.
		Setpgid: true,
	}
	return cmd
}

// startLocked starts cmd and returns a channel that receives cmd.Wait's result.
//
// The kernel sends the parent-death signal when the OS thread that forked the child
// exits, not when the process does. Go retires a thread whenever a goroutine locked to
// it returns, so without care the server could be told to stop while linli runs on.
// Forking from a goroutine locked to its thread, which stays in cmd.Wait until the child
// has exited, makes the thread live exactly as long as it must. (Go's forkExec sets the
// parent-death signal after switching credentials, which matters because the kernel
// clears it on a change of user.)
func startLocked(cmd *exec.Cmd) (<-chan error, error) {
	started := make(chan error, 1)
	exited := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: when this goroutine returns, Go ends the thread, which is
		// harmless once the child is gone.
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		exited <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return exited, nil
}

// serverCredential returns the user to run PostgreSQL as, or nil to run it as ourselves.
// PostgreSQL refuses to run as root, so root runs it as the postgres user.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, and PostgreSQL refuses to run as root, but there is no postgres user to run it as (%w): create one (useradd --system postgres) or run linli as another user", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	// An empty Groups drops root's supplementary groups in the child.
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// mkdirOwned creates dir with mode 0700 if missing and gives it to the server user:
// PostgreSQL insists that only its own user can read its folders.
func mkdirOwned(dir string, cred *syscall.Credential) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return chown(dir, cred)
}

func chown(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return os.Chown(path, int(cred.Uid), int(cred.Gid))
}

// livePostmaster returns the pid recorded in pgdata/postmaster.pid if that process is
// still a running postgres, or 0. A stale file, left by a server that was killed, is
// fine: postgres removes it itself.
func livePostmaster(pgdata string) int {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return 0
	}
	// The pid may have been reused by an unrelated process since the server died.
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil &&
		strings.TrimSpace(string(comm)) != "postgres" {
		return 0
	}
	return pid
}

// childrenOf returns the pids of the processes whose parent is pid, read from /proc.
func childrenOf(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var kids []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// After the command name, in parentheses and possibly holding spaces or
		// parentheses itself, come: state ppid ...
		rest := stat[bytes.LastIndexByte(stat, ')')+1:]
		if f := strings.Fields(string(rest)); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			kids = append(kids, child)
		}
	}
	return kids
}

// hasLocale reports whether the C library knows the locale, by asking locale -a. glibc
// lists C.UTF-8 as C.utf8, so names are compared without case and dashes.
func hasLocale(name string) bool {
	out, err := exec.Command("locale", "-a").Output()
	if err != nil {
		return false
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "-", "")) }
	for _, l := range strings.Fields(string(out)) {
		if norm(l) == norm(name) {
			return true
		}
	}
	return false
}

// logTail returns the last n lines written to the log at or after offset from.
func logTail(path string, from int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// dsnValue quotes a value for a key=value connection string if it needs it.
func dsnValue(s string) string {
	if s != "" && !strings.ContainsAny(s, " '\\\t\n") {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
