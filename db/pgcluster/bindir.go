package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// debianRoot is where Debian and Ubuntu install each PostgreSQL major version, as
// <version>/bin, without putting the server binaries on PATH.
const debianRoot = "/usr/lib/postgresql"

// FindBinDir returns the directory holding the PostgreSQL server binaries initdb and
// postgres. It looks, in order, at LINLI_PG_BIN (which must hold both), at PATH, at the
// output of pg_config --bindir, and at the newest /usr/lib/postgresql/<version>/bin.
// Environment variables are read through getenv, so tests can supply their own.
func FindBinDir(getenv func(string) string) (string, error) {
	if dir := getenv("LINLI_PG_BIN"); dir != "" {
		if !hasServer(dir) {
			return "", fmt.Errorf("LINLI_PG_BIN is %s, but that folder does not hold both initdb and postgres: point it at the folder that does, or set DATABASE_URL to an existing database", dir)
		}
		return dir, nil
	}

	path := getenv("PATH")
	initdb, postgres := lookPath("initdb", path), lookPath("postgres", path)
	if initdb != "" && postgres != "" && filepath.Dir(initdb) == filepath.Dir(postgres) {
		// Prefer the real installation folder when PATH holds symlinks into it, as
		// /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb: logs then name it.
		if real, err := filepath.EvalSymlinks(initdb); err == nil && hasServer(filepath.Dir(real)) {
			return filepath.Dir(real), nil
		}
		return filepath.Dir(initdb), nil
	}

	// pg_config often comes with the client library alone (libpq-dev), so the folder it
	// names is used only if the server binaries are really there.
	if pgConfig := lookPath("pg_config", path); pgConfig != "" {
		if out, err := exec.Command(pgConfig, "--bindir").Output(); err == nil {
			if dir := strings.TrimSpace(string(out)); hasServer(dir) {
				return dir, nil
			}
		}
	}

	if dir := newestBinDir(debianRoot); dir != "" {
		return dir, nil
	}
	return "", errors.New("no PostgreSQL server binaries (initdb, postgres) found on PATH, via pg_config or in " +
		debianRoot + "/*/bin: install PostgreSQL (on Debian: apt-get install postgresql) or set DATABASE_URL to an existing database")
}

// lookPath is exec.LookPath over the given PATH value rather than the process's own.
// Like exec.LookPath it ignores relative entries, so a binary in the working directory
// is never picked up by accident.
func lookPath(name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func hasServer(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

// newestBinDir returns root/<version>/bin for the highest version that holds the server
// binaries, comparing versions as numbers (9.6 < 15 < 16), or "" if there is none.
func newestBinDir(root string) string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return ""
	}
	var best []int
	bestDir := ""
	for _, e := range entries {
		v, ok := parseVersion(e.Name())
		dir := filepath.Join(root, e.Name(), "bin")
		if ok && versionLess(best, v) && hasServer(dir) {
			best, bestDir = v, dir
		}
	}
	return bestDir
}

func parseVersion(s string) ([]int, bool) {
	var v []int
	for _, part := range strings.Split(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

// versionLess reports whether a comes before b; nil comes before every version.
func versionLess(a, b []int) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}
