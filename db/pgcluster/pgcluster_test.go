package pgcluster

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv switches the test binary into helperMain: tests re-execute themselves to get
// a process that owns a cluster and can be killed.
const helperEnv = "PGCLUSTER_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		helperMain(dir)
		return
	}
	os.Exit(m.Run())
}

// helperMain starts a cluster in dir, prints "pid <postmaster pid>" and waits to be killed.
func helperMain(dir string) {
	bin, err := FindBinDir(os.Getenv)
	if err == nil {
		var c *Cluster
		if c, err = Start(context.Background(), Options{DataDir: dir, BinDir: bin}); err == nil {
			fmt.Printf("pid %d\n", c.Pid())
			<-c.Done()
			err = fmt.Errorf("postgres exited while its parent was alive")
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}

func TestCluster_StartStop(t *testing.T) {
	ctx := context.Background()
	dir := shortTempDir(t)
	bin := binDir(t)

	c := start(t, dir, bin)
	d := open(t, c)
	if _, err := d.Exec(`CREATE TABLE cities (name text); INSERT INTO cities VALUES ('北京'), ('上海'), ('广州')`); err != nil {
		t.Fatal(err)
	}

	t.Run("ErrDataDirInUse", func(t *testing.T) {
		c2, err := Start(ctx, Options{DataDir: dir, BinDir: bin})
		if err == nil {
			c2.Stop(ctx)
			t.Fatal("second Start on a data folder in use succeeded, want an error")
		}
		t.Log(err)
	})

	t.Run("UTF8", func(t *testing.T) {
		var enc string
		if err := d.QueryRow(`SHOW server_encoding`).Scan(&enc); err != nil {
			t.Fatal(err)
		}
		if enc != "UTF8" {
			t.Errorf("server_encoding: got %s, want UTF8", enc)
		}
		// Code-point order: 上 U+4E0A, 北 U+5317, 广 U+5E7F.
		var names string
		if err := d.QueryRow(`SELECT string_agg(name, ',' ORDER BY name) FROM cities`).Scan(&names); err != nil {
			t.Fatal(err)
		}
		if want := "上海,北京,广州"; names != want {
			t.Errorf("sorted: got %s, want %s", names, want)
		}
		var ctype string
		if err := d.QueryRow(`SHOW lc_ctype`).Scan(&ctype); err != nil {
			t.Fatal(err)
		}
		if ctype == "C" { // the --no-locale fallback: ASCII-only character classes
			t.Skip("no C.UTF-8 locale on this machine")
		}
		var lower string
		var word bool
		if err := d.QueryRow(`SELECT lower('ÄÉ中'), '北京市' ~ '^\w+$'`).Scan(&lower, &word); err != nil {
			t.Fatal(err)
		}
		if lower != "äé中" || !word {
			t.Errorf("got lower %q and \\w matching Chinese %v, want %q and true", lower, word, "äé中")
		}
	})

	pid := c.Pid()
	children := childrenOf(pid)
	if len(children) == 0 {
		t.Fatal("found no children of the postmaster, want its background processes")
	}
	d.Close()
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done not closed after Stop")
	}
	for _, p := range append(children, pid) {
		if !gone(p) {
			t.Errorf("process %d still running after Stop", p)
		}
	}
	if err := c.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	// A second Start reuses the cluster and its data.
	c = start(t, dir, bin)
	var n int
	if err := open(t, c).QueryRow(`SELECT count(*) FROM cities`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("rows after restart: got %d, want 3", n)
	}
}

// TestCluster_ParentKilled checks that the server stops when the process that started it
// is killed outright, with no chance to clean up.
func TestCluster_ParentKilled(t *testing.T) {
	dir := shortTempDir(t)
	bin := binDir(t)

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	if _, err := fmt.Sscanf(line, "pid %d", &pid); err != nil {
		cmd.Wait()
		t.Fatalf("helper printed %q, want a pid; its stderr: %s", line, stderr.String())
	}

	cmd.Process.Kill() // SIGKILL
	cmd.Wait()
	// As long as the test may wait (dbtest.TimeLeft, which this package cannot import): one
	// left running never goes, and a loaded machine can take its time.
	deadline := time.Now().Add(15 * time.Minute)
	if d, ok := t.Deadline(); ok {
		deadline = d.Add(-time.Until(d) / 10)
	}
	for !gone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("postmaster %d still running after its parent was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// It shut down cleanly, so the cluster starts again at once.
	c := start(t, dir, bin)
	if err := open(t, c).Ping(); err != nil {
		t.Fatal(err)
	}
}

func TestFindBinDir(t *testing.T) {
	t.Run("LINLI_PG_BIN", func(t *testing.T) {
		empty := t.TempDir()
		getenv := func(k string) string {
			if k == "LINLI_PG_BIN" {
				return empty
			}
			return os.Getenv(k)
		}
		if dir, err := FindBinDir(getenv); err == nil {
			t.Errorf("got %s, want an error for a folder without initdb and postgres", dir)
		}
	})
	t.Run("Search", func(t *testing.T) {
		getenv := func(k string) string {
			if k == "LINLI_PG_BIN" {
				return ""
			}
			return os.Getenv(k)
		}
		dir, err := FindBinDir(getenv)
		if err != nil {
			t.Fatal(err)
		}
		if !isExecutable(filepath.Join(dir, "initdb")) {
			t.Errorf("got %s, which holds no initdb", dir)
		}
	})
	t.Run("NewestVersion", func(t *testing.T) {
		root := t.TempDir()
		for _, v := range []string{"9.6", "15", "16", "17"} {
			bin := filepath.Join(root, v, "bin")
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			if v == "17" {
				continue // an incomplete install must be passed over
			}
			for _, name := range []string{"initdb", "postgres"} {
				if err := os.WriteFile(filepath.Join(bin, name), nil, 0o755); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got, want := newestBinDir(root), filepath.Join(root, "16", "bin"); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
}

func TestDSN(t *testing.T) {
	c := &Cluster{runDir: "/tmp/my data/run"}
	want := `host='/tmp/my data/run' port=5432 user=postgres dbname=linli sslmode=disable`
	if got := c.DSN("linli"); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// shortTempDir returns a new folder with a short path, since socket paths are limited to
// 107 bytes and t.TempDir's can be longer, that the postgres user may enter.
func shortTempDir(tb testing.TB) string {
	tb.Helper()
	dir, err := os.MkdirTemp("", "pgc-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func binDir(tb testing.TB) string {
	tb.Helper()
	dir, err := FindBinDir(os.Getenv)
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// start starts a cluster that is stopped when the test ends.
func start(tb testing.TB, dir, bin string) *Cluster {
	tb.Helper()
	c, err := Start(context.Background(), Options{DataDir: dir, BinDir: bin})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Stop(context.Background()) })
	return c
}

func open(tb testing.TB, c *Cluster) *sql.DB {
	tb.Helper()
	d, err := sql.Open("postgres", c.DSN("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// gone reports whether process pid has exited. A zombie counts as gone: once its parent
// has died it waits for init to reap it, which some container inits never do.
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}
