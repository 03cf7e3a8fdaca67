package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"linli/db"
	"linli/db/dbtest"
	"linli/db/demo"
)

// The tests run the real program: as a child process (this test binary, re-executed with
// LINLI_TEST_SERVICE=1) where signals and crashes matter, and through run() where they do not.
func TestMain(m *testing.M) {
	if os.Getenv("LINLI_TEST_SERVICE") == "1" {
		main()
		os.Exit(0)
	}
	dbtest.Main(m)
}

// service is the program running as a child process.
type service struct {
	t    *testing.T
	cmd  *exec.Cmd
	url  string
	done chan error
	out  *bytes.Buffer
}

func startService(t *testing.T, dataDir string, env ...string) *service {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LINLI_TEST_SERVICE=1", "PORT=0", "LINLI_DATA_DIR="+dataDir, "LINLI_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &service{t: t, cmd: cmd, done: make(chan error, 1), out: &logs}
	urlFound := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		re := regexp.MustCompile(`playground: (http://\S+?)/$`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlFound <- m[1]
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
	})
	select {
	case s.url = <-urlFound:
	case err := <-s.done:
		t.Fatalf("service exited before serving: %v\n%s", err, logs.String())
	case <-time.After(dbtest.TimeLeft(t)):
		t.Fatalf("service not serving\n%s", logs.String())
	}
	return s
}

// gql posts a query and decodes data into dst.
func (s *service) gql(token, query string, dst any) {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		s.t.Fatalf("%s: %v %v", query, err, out.Errors)
	}
	if err := json.Unmarshal(out.Data, dst); err != nil {
		s.t.Fatal(err)
	}
}

func (s *service) get(path string) (int, string) {
	s.t.Helper()
	res, err := http.Get(s.url + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// stop sends sig and waits for the service to exit.
func (s *service) stop(sig os.Signal) error {
	s.t.Helper()
	s.cmd.Process.Signal(sig)
	select {
	case err := <-s.done:
		return err
	case <-time.After(dbtest.TimeLeft(s.t)):
		s.t.Fatalf("service still running after %v", sig)
		return nil
	}
}

func (s *service) login(phone string) string {
	var out struct{ Login struct{ Token string } }
	s.gql("", fmt.Sprintf(`mutation { login(phone: %q, password: %q) { token } }`, phone, demo.Password), &out)
	return out.Login.Token
}

// postmasterPid reads the pid of the private PostgreSQL from its lock file.
func postmasterPid(t *testing.T, dataDir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "pgdata", "postmaster.pid"))
	if err != nil {
		t.Fatalf("no running PostgreSQL in %s: %v", dataDir, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitGone waits for process pid to end (one left running never does).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(dbtest.TimeLeft(t))
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); err == syscall.ESRCH {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("PostgreSQL (pid %d) still running after the service stopped", pid)
}

// shortTempDir is a data folder with a short path (socket paths are limited to 107 bytes)
// that the postgres user can reach when the tests run as root.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "linli-srv-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "data")
}

func TestServiceLifecycle(t *testing.T) {
	t.Parallel()
	dir := shortTempDir(t)

	// First start: a private cluster, migrated, with demo data.
	s := startService(t, dir)
	if code, _ := s.get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: got %d", code)
	}
	if code, _ := s.get("/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz: got %d", code)
	}
	if code, page := s.get("/"); code != http.StatusOK || !strings.Contains(page, "/query") {
		t.Fatalf("playground: got %d", code)
	}
	token := s.login("13800000002")
	var me struct{ Me struct{ Name string } }
	s.gql(token, `{ me { name } }`, &me)
	if me.Me.Name == "" {
		t.Fatal("me: no name for the demo volunteer")
	}
	pid := postmasterPid(t, dir)

	// SIGTERM: in-flight work finishes, the service exits cleanly and stops its PostgreSQL.
	if err := s.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.out)
	}
	waitGone(t, pid)

	// Second start: same cluster, same data (the token from the first run still works).
	s = startService(t, dir)
	s.gql(token, `{ me { name } }`, &me)
	if me.Me.Name == "" {
		t.Fatal("data did not survive a restart")
	}
	pid = postmasterPid(t, dir)

	// SIGKILL: the service cannot clean up, and PostgreSQL must still go.
	s.stop(syscall.SIGKILL)
	waitGone(t, pid)

	// And it starts again after the crash.
	s = startService(t, dir)
	s.gql(token, `{ me { name } }`, &me)
	s.stop(syscall.SIGINT)
}

func TestRunSettings(t *testing.T) {
	t.Parallel()
	getenv := func(env map[string]string) func(string) string {
		return func(k string) string { return env[k] }
	}
	ctx, cancel := context.WithTimeout(t.Context(), dbtest.TimeLeft(t))
	defer cancel()

	t.Run("NoPostgres", func(t *testing.T) {
		err := run(ctx, nil, getenv(map[string]string{"LINLI_PG_BIN": t.TempDir(), "LINLI_DATA_DIR": t.TempDir()}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
			t.Fatalf("got %v, want one sentence naming what to install or set", err)
		}
	})
	t.Run("BadSetting", func(t *testing.T) {
		err := run(ctx, nil, getenv(map[string]string{"LINLI_MAX_DEPTH": "deep", "PORT": "http"}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "LINLI_MAX_DEPTH") || !strings.Contains(err.Error(), "PORT") {
			t.Fatalf("got %v, want both bad settings named", err)
		}
	})
	t.Run("SignIn", func(t *testing.T) {
		s, err := readSettings(getenv(map[string]string{"LINLI_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5",
			"LINLI_LOGIN_MAX_FAILURES": "3", "LINLI_LOGIN_MAX_FAILURES_PER_ADDRESS": "20", "LINLI_LOGIN_MAX_FAILURES_PER_PHONE": "40", "LINLI_LOGIN_WINDOW": "1h"}))
		if err != nil {
			t.Fatal(err)
		}
		var st db.Store
		s.store(&st)
		want := db.LoginLimits{PerPhoneAddress: 3, PerAddress: 20, PerPhone: 40, Window: time.Hour}
		if st.LoginLimits != want || len(s.api.TrustedProxies) != 2 || s.api.TrustedProxies[1].String() != "192.168.1.5/32" {
			t.Fatalf("got %+v and proxies %v, want %+v and 10.0.0.0/8, 192.168.1.5/32", st.LoginLimits, s.api.TrustedProxies, want)
		}
		for _, env := range []map[string]string{
			{"LINLI_TRUSTED_PROXIES": "10.0.0.0/8, the load balancer"},
			{"LINLI_LOGIN_MAX_FAILURES": "10", "LINLI_LOGIN_MAX_FAILURES_PER_PHONE": "10"},
		} {
			if _, err := readSettings(getenv(env)); err == nil {
				t.Errorf("%v: got no error", env)
			}
		}
	})
	t.Run("Listen", func(t *testing.T) {
		for env, want := range map[[2]string]string{
			{"", ""}:                 "127.0.0.1:8080",
			{"", "9000"}:             "127.0.0.1:9000",
			{":8080", ""}:            ":8080",
			{"[::1]:8080", ""}:       "[::1]:8080",
			{"0.0.0.0:80", ""}:       "0.0.0.0:80",
			{"127.0.0.1:8080", "80"}: "",
			{"8080", ""}:             "",
			{"example.org:8080", ""}: "",
			{"", "http"}:             "",
		} {
			s, err := readSettings(getenv(map[string]string{"LINLI_LISTEN": env[0], "PORT": env[1]}))
			if want == "" && err == nil {
				t.Errorf("LINLI_LISTEN=%q PORT=%q: got %q, want an error", env[0], env[1], s.listen)
			} else if want != "" && (err != nil || s.listen != want) {
				t.Errorf("LINLI_LISTEN=%q PORT=%q: got %q (%v), want %q", env[0], env[1], s.listen, err, want)
			}
		}
		// Through run(): every interface is said so in the banner, and the URL it
		// prints answers.
		_, dsn := dbtest.New(t)
		ctx, stop := context.WithCancel(ctx)
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, nil, getenv(map[string]string{"DATABASE_URL": dsn, "LINLI_LISTEN": ":0", "LINLI_DEMO": "off",
				"LINLI_DATA_DIR": t.TempDir()}), out, io.Discard)
		}()
		re := regexp.MustCompile(`GraphQL: +(http://\S+)/query`)
		deadline := time.Now().Add(dbtest.TimeLeft(t))
		for re.FindStringSubmatch(out.String()) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		m := re.FindStringSubmatch(out.String())
		if m == nil || !strings.Contains(out.String(), "every network interface") || !strings.HasPrefix(m[1], "http://localhost:") {
			stop()
			<-done
			t.Fatalf("banner does not say the service listens on every interface:\n%s", out.String())
		}
		res, err := http.Get(m[1] + "/healthz")
		if err == nil {
			res.Body.Close()
		}
		stop()
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s/healthz: %v %v", m[1], err, res)
		}
		if err := <-done; err != nil {
			t.Fatalf("run: %v", err)
		}
	})
	t.Run("TrustedDocuments", func(t *testing.T) {
		_, dsn := dbtest.New(t)
		dir := t.TempDir()
		const typename = "query Typename { __typename }"
		sum := sha256.Sum256([]byte(typename))
		hash := hex.EncodeToString(sum[:])
		files := map[string]string{
			// graphql-codegen's client preset: persisted-documents.json, keyed by SHA-256.
			"persisted-documents.json": `{"` + hash + `": "` + typename + `"}`,
			// relay-compiler's persist output, keyed by an MD5 stored as given.
			"relay.json": `{"5d41402abc4b2a76b9719d911017c592": "query Relay { __typename }"}`,
			"wrong.json": `{"` + strings.Repeat("0", 64) + `": "query Wrong { __typename }"}`,
		}
		for name, text := range files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		env := getenv(map[string]string{"DATABASE_URL": dsn, "LINLI_DEMO": "off", "LINLI_DATA_DIR": dir})
		documents := func(args ...string) (string, error) {
			var out syncBuffer
			err := run(ctx, append([]string{"linli", "documents"}, args...), env, &out, io.Discard)
			return out.String(), err
		}
		if out, err := documents("add", filepath.Join(dir, "persisted-documents.json"), filepath.Join(dir, "relay.json")); err != nil || strings.Count(out, "1 newly registered") != 2 {
			t.Fatalf("add: %v\n%s", err, out)
		}
		if out, err := documents("add", filepath.Join(dir, "relay.json")); err != nil || !strings.Contains(out, "1 registered already") {
			t.Fatalf("add again: %v\n%s", err, out)
		}
		if _, err := documents("add", filepath.Join(dir, "wrong.json")); err == nil || !strings.Contains(err.Error(), "SHA-256") {
			t.Fatalf("a hash that is not its document's: got %v, want it refused", err)
		}
		out, err := documents("list")
		if err != nil || !strings.Contains(out, hash) || !strings.Contains(out, "5d41402abc4b2a76b9719d911017c592") || strings.Contains(out, "Wrong") || !strings.Contains(out, "2 documents registered") {
			t.Fatalf("list: %v\n%s", err, out)
		}
		// Served with LINLI_TRUSTED_DOCUMENTS=on: the registered document runs by id, text is refused.
		ctx, stop := context.WithCancel(ctx)
		banner := &syncBuffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, nil, getenv(map[string]string{"DATABASE_URL": dsn, "LINLI_DEMO": "off", "LINLI_DATA_DIR": dir,
				"LINLI_LISTEN": "127.0.0.1:0", "LINLI_TRUSTED_DOCUMENTS": "on"}), banner, io.Discard)
		}()
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}()
		re := regexp.MustCompile(`GraphQL: +(http://\S+)`)
		deadline := time.Now().Add(dbtest.TimeLeft(t))
		for re.FindStringSubmatch(banner.String()) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		m := re.FindStringSubmatch(banner.String())
		if m == nil {
			t.Fatalf("not serving:\n%s", banner.String())
		}
		post := func(body string) (int, string) {
			res, err := http.Post(m[1], "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		if code, body := post(`{"documentId": "sha256:` + hash + `"}`); code != http.StatusOK || !strings.Contains(body, `"__typename":"Query"`) {
			t.Fatalf("registered by id: %d %s", code, body)
		}
		if code, body := post(`{"query": "{ __typename }"}`); code != http.StatusForbidden || !strings.Contains(body, "DOCUMENT_NOT_TRUSTED") {
			t.Fatalf("text: %d %s, want 403 DOCUMENT_NOT_TRUSTED", code, body)
		}
	})
	t.Run("NewerDatabase", func(t *testing.T) {
		d, dsn := dbtest.New(t)
		if _, err := d.Exec(`INSERT INTO schema_migrations (version, name) VALUES (999, '0999_future.sql')`); err != nil {
			t.Fatal(err)
		}
		err := run(ctx, nil, getenv(map[string]string{"DATABASE_URL": dsn, "PORT": "0"}), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("got %v, want a refusal naming a newer version", err)
		}
	})
	t.Run("DatabaseURL", func(t *testing.T) {
		_, dsn := dbtest.New(t)
		dataDir := filepath.Join(t.TempDir(), "unused")
		ctx, stop := context.WithCancel(ctx)
		out := &syncBuffer{}
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, nil, getenv(map[string]string{"DATABASE_URL": dsn, "PORT": "0", "LINLI_DATA_DIR": dataDir}), out, io.Discard)
		}()
		deadline := time.Now().Add(dbtest.TimeLeft(t))
		for !strings.Contains(out.String(), "playground") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		stop()
		if err := <-done; err != nil {
			t.Fatalf("run: %v", err)
		}
		if !strings.Contains(out.String(), "13800000002") {
			t.Fatalf("banner lists no demo sign-ins:\n%s", out.String())
		}
		if !strings.Contains(out.String(), "playground: http://127.0.0.1:") || !strings.Contains(out.String(), "this machine only") {
			t.Fatalf("banner does not say the service listens on this machine only (the default):\n%s", out.String())
		}
		// The data folder holds at most the ballot key (the demo's open secret vote is
		// sealed under it), never a private cluster.
		entries, err := os.ReadDir(dataDir)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, f := range entries {
			if f.Name() != "ballot.key" {
				t.Fatalf("with DATABASE_URL set, a private cluster was still created (%s in the data folder)", f.Name())
			}
		}
	})
}

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLoadBallotKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	key, err := loadBallotKey("", dir)
	if err != nil || len(key) != 32 {
		t.Fatalf("generated key: %d bytes, %v", len(key), err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "ballot.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("ballot.key: %v, %v; want mode 0600", fi, err)
	}
	if again, err := loadBallotKey("", dir); err != nil || !bytes.Equal(again, key) {
		t.Fatalf("second start: got another key (%v)", err)
	}
	hexKey := strings.Repeat("ab", 32)
	if k, err := loadBallotKey(hexKey, dir); err != nil || len(k) != 32 || k[0] != 0xab {
		t.Fatalf("hex key: %x, %v", k, err)
	}
	if _, err := loadBallotKey("abcd", dir); err == nil {
		t.Fatal("short key accepted")
	}
}
